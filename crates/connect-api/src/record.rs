//! Records that flow between tasks and the runtime.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Map, Value as Json};

use crate::data::SchemaAndValue;

/// A Kafka topic partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        Self {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// Next offset to consume, per partition (Kafka's committed-offset convention: the offset of the
/// first record *not yet* processed).
pub type OffsetMap = BTreeMap<TopicPartition, i64>;

/// Where a source record came from (`sourcePartition`). A newtype so that it cannot be passed where
/// an offset is expected; JSON because it round-trips through the offsets topic as JSON. Shared,
/// because a source stamps the same partition on every record it reads from it (a CDC task's
/// queue holds thousands): a clone is a reference count, not a map.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourcePartition(pub Arc<Map<String, Json>>);

/// How far into its partition a source has read (`sourceOffset`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceOffset(pub Map<String, Json>);

impl SourcePartition {
    pub fn new(map: Map<String, Json>) -> Self {
        Self(Arc::new(map))
    }

    /// Canonical JSON bytes, usable as a map key (serde_json keeps keys sorted).
    pub fn key(&self) -> String {
        // A map of JSON values always serializes; the fallback is unreachable.
        serde_json::to_string(&*self.0).unwrap_or_default()
    }

    /// The partition's map, copied only when another record still shares it.
    pub fn into_map(self) -> Map<String, Json> {
        Arc::unwrap_or_clone(self.0)
    }
}

/// A record header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub key: String,
    pub value: SchemaAndValue,
}

/// Record headers in order; keys may repeat, as in Kafka.
pub type Headers = Vec<Header>;

/// A record produced by a source task (`SourceRecord`).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    pub source_partition: SourcePartition,
    pub source_offset: SourceOffset,
    pub topic: String,
    /// `None` lets the producer's partitioner choose (by key hash).
    pub kafka_partition: Option<i32>,
    pub key: SchemaAndValue,
    pub value: SchemaAndValue,
    /// Milliseconds since the epoch; `None` lets the producer stamp it.
    pub timestamp: Option<i64>,
    pub headers: Headers,
}

impl SourceRecord {
    /// A record with no explicit partition, timestamp or headers.
    pub fn new(
        source_partition: SourcePartition,
        source_offset: SourceOffset,
        topic: impl Into<String>,
        key: SchemaAndValue,
        value: SchemaAndValue,
    ) -> Self {
        Self {
            source_partition,
            source_offset,
            topic: topic.into(),
            kafka_partition: None,
            key,
            value,
            timestamp: None,
            headers: Vec::new(),
        }
    }

    /// Roughly the memory this record holds (see [`crate::data::Value::approximate_size`]); a shared source
    /// partition is not counted.
    pub fn approximate_size(&self) -> usize {
        fn map(m: &Map<String, Json>) -> usize {
            // serde_json's map is a B-tree of 11-entry nodes; each entry owns a key and a value.
            let entries = m.len().div_ceil(11) * 11;
            entries * (std::mem::size_of::<String>() + std::mem::size_of::<Json>())
                + m.iter().map(|(k, v)| k.capacity() + json(v)).sum::<usize>()
        }
        fn json(v: &Json) -> usize {
            match v {
                Json::String(s) => s.capacity(),
                Json::Array(a) => a
                    .iter()
                    .map(|v| std::mem::size_of::<Json>() + json(v))
                    .sum(),
                Json::Object(m) => map(m),
                _ => 0,
            }
        }
        std::mem::size_of::<Self>()
            + self.topic.capacity()
            + map(&self.source_offset.0)
            + self.key.value.heap_size()
            + self.value.value.heap_size()
            + self
                .headers
                .iter()
                .map(|h| {
                    std::mem::size_of::<Header>() + h.key.capacity() + h.value.value.heap_size()
                })
                .sum::<usize>()
    }
}

/// Kafka's timestamp type of a consumed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    NoTimestampType,
    CreateTime,
    LogAppendTime,
}

/// A record delivered to a sink task (`SinkRecord`).
#[derive(Debug, Clone, PartialEq)]
pub struct SinkRecord {
    pub topic: String,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    pub key: SchemaAndValue,
    pub value: SchemaAndValue,
    pub timestamp: Option<i64>,
    pub timestamp_type: TimestampType,
    pub headers: Headers,
    /// The key bytes as read from Kafka, before conversion. Byte-oriented formats and fast paths
    /// (schemaless JSON written back as JSON) use them to avoid a decode/encode round trip.
    pub raw_key: Option<Bytes>,
    /// The value bytes as read from Kafka, before conversion.
    pub raw_value: Option<Bytes>,
}
