//! Single Message Transforms and predicates (`Transformation`, `Predicate`, KIP-66 and KIP-585).
//!
//! Kafka's `Transformation<R extends ConnectRecord<R>>` is generic over source and sink records
//! and rebuilds them with `newRecord`. Here a transform sees one concrete [`ConnectRecord`]: the
//! fields every record type shares, plus the Kafka offset of a record read from Kafka. The
//! runtime moves a `SourceRecord` or `SinkRecord` into it and back, keeping what transforms
//! cannot change (source partition and offset, timestamp type, raw bytes when untouched).
//!
//! Plugins are configured like converters: the runtime strips `transforms.<alias>.` (or
//! `predicates.<alias>.`) and hands the rest to [`TransformationPlugin::create`].

use std::fmt;

use crate::Props;
use crate::config::ConfigDef;
use crate::connector::PluginDescriptor;
use crate::data::SchemaAndValue;
use crate::error::ConnectError;
use crate::record::{Headers, SinkRecord, SourceRecord};

/// What a transform reads and rebuilds: Kafka's `ConnectRecord` fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectRecord {
    pub topic: String,
    /// `None` on a source record that lets the producer choose.
    pub kafka_partition: Option<i32>,
    pub key: SchemaAndValue,
    pub value: SchemaAndValue,
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
    pub headers: Headers,
    /// The offset of a record read from Kafka (`SinkRecord.kafkaOffset()`); `None` on the
    /// source side. `InsertField`'s `offset.field` uses it.
    pub kafka_offset: Option<i64>,
    /// True for records read from Kafka: some transforms (`InsertField`) add fields only to
    /// sink records, as Kafka's do with `instanceof SinkRecord`.
    pub is_sink: bool,
}

impl ConnectRecord {
    /// The transformable part of a source record.
    pub fn from_source(record: &SourceRecord) -> Self {
        Self {
            topic: record.topic.clone(),
            kafka_partition: record.kafka_partition,
            key: record.key.clone(),
            value: record.value.clone(),
            timestamp: record.timestamp,
            headers: record.headers.clone(),
            kafka_offset: None,
            is_sink: false,
        }
    }

    /// The transformable part of a source record, moved out of it: the record keeps its
    /// topic, source partition and offset, and its key, value and headers become empty.
    pub fn take_from_source(record: &mut SourceRecord) -> Self {
        Self {
            topic: record.topic.clone(),
            kafka_partition: record.kafka_partition,
            key: std::mem::take(&mut record.key),
            value: std::mem::take(&mut record.value),
            timestamp: record.timestamp,
            headers: std::mem::take(&mut record.headers),
            kafka_offset: None,
            is_sink: false,
        }
    }

    /// The transformable part of a sink record.
    pub fn from_sink(record: &SinkRecord) -> Self {
        Self {
            topic: record.topic.clone(),
            kafka_partition: Some(record.kafka_partition),
            key: record.key.clone(),
            value: record.value.clone(),
            timestamp: record.timestamp,
            headers: record.headers.clone(),
            kafka_offset: Some(record.kafka_offset),
            is_sink: true,
        }
    }
}

/// A configured transform instance. Each task owns its chain, so `apply` takes `&mut self`
/// (schema caches need no lock).
pub trait Transformation: Send + fmt::Debug {
    /// Returns the new record, or `None` to drop it (its offset still counts as processed).
    ///
    /// # Errors
    /// When the record does not fit what the transform expects (Kafka's `DataException`).
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError>;
}

/// A configured predicate instance (KIP-585).
pub trait Predicate: Send + fmt::Debug {
    /// # Errors
    /// When the record cannot be tested.
    fn test(&mut self, record: &ConnectRecord) -> Result<bool, ConnectError>;
}

/// A transformation plugin: descriptor (`kind` = `Transformation`), definition and factory.
pub trait TransformationPlugin: Send + Sync + fmt::Debug + 'static {
    fn descriptor(&self) -> &PluginDescriptor;
    /// The keys under `transforms.<alias>.` (without `type`, `predicate`, `negate`).
    fn config_def(&self) -> &ConfigDef;
    /// Builds an instance from its own properties (prefix stripped).
    ///
    /// # Errors
    /// `ConnectError::Config` with every field error, or a fatal error for cross-field rules.
    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError>;
}

/// A predicate plugin: descriptor (`kind` = `Predicate`), definition and factory.
pub trait PredicatePlugin: Send + Sync + fmt::Debug + 'static {
    fn descriptor(&self) -> &PluginDescriptor;
    /// The keys under `predicates.<alias>.` (without `type`).
    fn config_def(&self) -> &ConfigDef;
    /// Builds an instance from its own properties (prefix stripped).
    ///
    /// # Errors
    /// `ConnectError::Config` with every field error.
    fn create(&self, props: &Props) -> Result<Box<dyn Predicate>, ConnectError>;
}
