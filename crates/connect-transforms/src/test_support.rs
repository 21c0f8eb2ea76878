//! Records the unit tests run through the transforms.

use connect_api::{ConnectRecord, SchemaAndValue};

/// A sink record (topic `t`, partition 0, offset 0, no timestamp or headers) with `value` and a
/// null key.
pub(crate) fn record(value: SchemaAndValue) -> ConnectRecord {
    ConnectRecord {
        topic: "t".into(),
        kafka_partition: Some(0),
        key: SchemaAndValue::NULL,
        value,
        timestamp: None,
        headers: Default::default(),
        kafka_offset: Some(0),
        is_sink: true,
    }
}

/// [`record`] with `key` and a null value.
pub(crate) fn key_record(key: SchemaAndValue) -> ConnectRecord {
    ConnectRecord {
        key,
        ..record(SchemaAndValue::NULL)
    }
}

/// A source record of `topic` (no partition, offset, timestamp or headers) with `value` and a
/// null key.
pub(crate) fn source_record(topic: &str, value: SchemaAndValue) -> ConnectRecord {
    ConnectRecord {
        topic: topic.into(),
        kafka_partition: None,
        key: SchemaAndValue::NULL,
        value,
        timestamp: None,
        headers: Default::default(),
        kafka_offset: None,
        is_sink: false,
    }
}
