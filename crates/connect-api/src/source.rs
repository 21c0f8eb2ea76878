//! The source task trait and its context.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;

use crate::Props;
use crate::config::ConnectorConfig;
use crate::error::ConnectError;
use crate::record::{SourceOffset, SourcePartition, SourceRecord};

/// Reads committed source offsets (`OffsetStorageReader`).
#[async_trait]
pub trait OffsetStorageReader: Send + Sync + std::fmt::Debug {
    /// The last committed offset of each partition that has one.
    ///
    /// # Errors
    /// When the offset store cannot be read.
    async fn offsets(
        &self,
        partitions: &[SourcePartition],
    ) -> Result<Vec<(SourcePartition, SourceOffset)>, ConnectError>;
}

/// Side channels from any task to the runtime.
pub trait TaskHost: Send + Sync + std::fmt::Debug {
    /// Asks for an offset commit soon rather than at the next `offset.flush.interval.ms`.
    fn request_commit(&self);
    /// Publishes progress (snapshot tables done, rows read, rows/s …) for logs and the REST API.
    fn report_progress(&self, progress: serde_json::Value);
    /// Sets a gauge served at `GET /metrics`: `name` and `labels` are the full Prometheus series
    /// (a plugin names it as the JMX exporter rule for the Java plugin does, e.g.
    /// `debezium_metrics_MilliSecondsBehindSource{plugin,name,context}`). The series lives as
    /// long as the task run. Meant for once per batch or timer, not per record; the default
    /// drops it (hosts without metrics).
    fn report_metric(&self, _name: &str, _labels: &[(&str, &str)], _value: f64) {}
}

/// Handed to a source task at start (`SourceTaskContext`).
#[derive(Debug, Clone)]
pub struct SourceTaskContext {
    pub connector: String,
    pub task: u32,
    /// The task's raw properties, for pass-through keys a typed config does not declare.
    pub props: Props,
    pub offsets: Arc<dyn OffsetStorageReader>,
    pub host: Arc<dyn TaskHost>,
}

/// A source task (`SourceTask`).
///
/// The runner calls [`SourceTask::poll`] in a loop, converts and produces the records, and once a
/// record is acknowledged by Kafka calls [`SourceTask::commit_record`]; its offset becomes
/// committable only when every earlier record of the same poll order is acknowledged too.
pub trait SourceTask: Sized + Send + 'static {
    type Config: ConnectorConfig;

    fn start(
        ctx: SourceTaskContext,
        config: Self::Config,
    ) -> impl Future<Output = Result<Self, ConnectError>> + Send;

    /// The next batch; an empty batch means "nothing now" (the runner polls again).
    ///
    /// # Cancel safety
    /// Must be cancel-safe: the runner `select!`s it against shutdown, so a dropped future must
    /// not lose data (keep read-but-unreturned rows in `self`, not in the future).
    fn poll(&mut self) -> impl Future<Output = Result<Vec<SourceRecord>, ConnectError>> + Send;

    /// Whether the task implements [`Self::commit_record`]. A task that sets it `false` gets
    /// no `commit_record` calls, which lets the runtime drop each record once it is sent (and
    /// a transform chain take the polled record's content instead of copying it): only the
    /// batch's latest offset per source partition waits for Kafka's acknowledgement. The
    /// default keeps every record until then (Kafka hands `commitRecord` the record as polled,
    /// before its transforms).
    const READS_COMMITTED_RECORDS: bool = true;

    /// Called once per record after Kafka acknowledged it.
    fn commit_record(
        &mut self,
        _record: &SourceRecord,
    ) -> impl Future<Output = Result<(), ConnectError>> + Send {
        async { Ok(()) }
    }

    /// Called after offsets were flushed to the offset store.
    fn commit(&mut self) -> impl Future<Output = Result<(), ConnectError>> + Send {
        async { Ok(()) }
    }

    fn stop(&mut self) -> impl Future<Output = Result<(), ConnectError>> + Send {
        async { Ok(()) }
    }
}
