//! Connector traits and the plugin descriptor.

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;

use crate::Props;
use crate::config::{ConfigReport, ConnectorConfig};
use crate::error::ConnectError;
use crate::record::{SourceOffset, SourcePartition, TopicPartition};
use crate::sink::SinkTask;
use crate::source::SourceTask;

/// The kind of a plugin, as `GET /connector-plugins` reports it (`PluginType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PluginKind {
    Sink,
    Source,
    Transformation,
    Predicate,
    Converter,
    HeaderConverter,
}

impl PluginKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sink => "sink",
            Self::Source => "source",
            Self::Transformation => "transformation",
            Self::Predicate => "predicate",
            Self::Converter => "converter",
            Self::HeaderConverter => "header_converter",
        }
    }
}

/// Identifies a plugin: its Java class name (what users put in `connector.class`), extra aliases
/// beyond the ones computed from the class name, its kind and version.
#[derive(Debug, Clone, Copy)]
pub struct PluginDescriptor {
    pub class: &'static str,
    pub extra_aliases: &'static [&'static str],
    pub kind: PluginKind,
    pub version: &'static str,
}

/// Lets a running connector talk back to the runtime (`ConnectorContext`).
pub trait ConnectorHost: Send + Sync + std::fmt::Debug {
    /// Asks the runtime to call `task_configs` again and restart tasks if they changed
    /// (a sink's `topics.regex` matched a new topic, a source found a new table…).
    fn request_task_reconfiguration(&self);
    /// Reports a failure found in the background; the connector goes to FAILED.
    fn raise_error(&self, error: ConnectError);
}

/// Handed to a connector at start.
#[derive(Debug, Clone)]
pub struct ConnectorContext {
    pub name: String,
    pub host: Arc<dyn ConnectorHost>,
}

/// A source connector: splits its work into task configs (`SourceConnector`).
///
/// Implementors may write `async fn` for the `impl Future` methods.
pub trait SourceConnector: Sized + Send + Sync + 'static {
    type Config: ConnectorConfig;
    type Task: SourceTask;
    const DESCRIPTOR: PluginDescriptor;

    /// Starts the connector with its validated configuration.
    fn start(
        ctx: ConnectorContext,
        config: Self::Config,
    ) -> impl Future<Output = Result<Self, ConnectError>> + Send;

    /// Task property maps, persisted as `task-<name>-<n>` records, so they stay strings.
    ///
    /// # Errors
    /// When the connector cannot divide its work.
    fn task_configs(&self, max_tasks: NonZeroU32) -> Result<Vec<Props>, ConnectError>;

    fn stop(&mut self) -> impl Future<Output = Result<(), ConnectError>> + Send {
        async { Ok(()) }
    }

    /// `Connector.validate`: the connector's own checks after the runtime validated `config`
    /// against [`ConnectorConfig::config_def_for`] (`report`), such as a connection test or
    /// validation rules of the product the plugin reproduces. Returns the report to answer with;
    /// the default returns it unchanged.
    fn validate(config: &Props, report: ConfigReport) -> impl Future<Output = ConfigReport> + Send {
        let _ = config;
        async move { report }
    }

    /// `Connector.version()` of an instance configured with `config` (Kafka reports it per
    /// connector, in the `connector-version` metric): the plugin's version unless the config
    /// chooses the version of the product the plugin reproduces.
    fn version(config: &Props) -> &'static str {
        let _ = config;
        Self::DESCRIPTOR.version
    }

    /// KIP-875: checks an offsets alteration before the runtime writes it (`alterOffsets`).
    /// Returns `true` when the connector manages no offsets outside the framework.
    ///
    /// # Errors
    /// When the offsets are not valid for this connector (the REST call answers 400).
    fn alter_offsets(
        _config: &Props,
        _offsets: &[(SourcePartition, Option<SourceOffset>)],
    ) -> Result<bool, ConnectError> {
        Ok(true)
    }
}

/// A sink connector (`SinkConnector`).
pub trait SinkConnector: Sized + Send + Sync + 'static {
    type Config: ConnectorConfig;
    type Task: SinkTask;
    const DESCRIPTOR: PluginDescriptor;

    fn start(
        ctx: ConnectorContext,
        config: Self::Config,
    ) -> impl Future<Output = Result<Self, ConnectError>> + Send;

    /// Task property maps. The runtime adds `topics` / `topics.regex` and `task.class`.
    ///
    /// # Errors
    /// When the connector cannot divide its work.
    fn task_configs(&self, max_tasks: NonZeroU32) -> Result<Vec<Props>, ConnectError>;

    fn stop(&mut self) -> impl Future<Output = Result<(), ConnectError>> + Send {
        async { Ok(()) }
    }

    /// `Connector.validate`: the connector's own checks after the runtime validated `config`
    /// against [`ConnectorConfig::config_def_for`] (`report`), such as a connection test or
    /// validation rules of the product the plugin reproduces. Returns the report to answer with;
    /// the default returns it unchanged.
    fn validate(config: &Props, report: ConfigReport) -> impl Future<Output = ConfigReport> + Send {
        let _ = config;
        async move { report }
    }

    /// `Connector.version()` of an instance configured with `config` (Kafka reports it per
    /// connector, in the `connector-version` metric): the plugin's version unless the config
    /// chooses the version of the product the plugin reproduces.
    fn version(config: &Props) -> &'static str {
        let _ = config;
        Self::DESCRIPTOR.version
    }

    /// KIP-875: checks an offsets alteration (consumer-group offsets) before the runtime applies it.
    ///
    /// # Errors
    /// When the offsets are not valid for this connector.
    fn alter_offsets(
        _config: &Props,
        _offsets: &[(TopicPartition, Option<i64>)],
    ) -> Result<bool, ConnectError> {
        Ok(true)
    }
}
