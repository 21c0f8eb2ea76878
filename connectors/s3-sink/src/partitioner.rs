//! Partitioners (the directory part of a key) and object key layout, exactly as Confluent builds
//! them.

use connect_api::{SinkRecord, Value};

use crate::config::{S3SinkConfig, TimestampExtractor};
use crate::error::S3SinkError;
use crate::timefmt::{JodaPattern, Zone, bucket_start};

/// `partitioner.class`, resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum PartitionerKind {
    /// `partition=<kafka partition>`.
    Default,
    /// `name=value` per field of the value struct.
    Field(Vec<String>),
    /// TimeBased, Daily and Hourly.
    Time(TimeSpec),
}

/// A time-based partitioner's bucket width, Joda `path.format` and zone.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSpec {
    pub duration_ms: i64,
    pub format: JodaPattern,
    pub zone: Zone,
}

/// The timestamp a time-based partitioner files `record` under; `now` is the wall clock of the
/// current `put` (Confluent reads it once per write pass).
///
/// # Errors
/// When the record has no usable timestamp.
pub fn extract_timestamp(
    cfg: &S3SinkConfig,
    record: &SinkRecord,
    now: i64,
) -> Result<i64, S3SinkError> {
    match &cfg.timestamp_extractor {
        TimestampExtractor::Wallclock => Ok(now),
        TimestampExtractor::Record => record.timestamp.ok_or_else(|| {
            S3SinkError::Data(format!(
                "Unable to determine timestamp using timestamp.extractor Record for record at offset {}",
                record.kafka_offset
            ))
        }),
        TimestampExtractor::RecordField(field) => {
            let v = nested(&record.value.value, field).ok_or_else(|| {
                S3SinkError::Data(format!("Unable to find timestamp field {field} in record at offset {}", record.kafka_offset))
            })?;
            timestamp_of(v).ok_or_else(|| {
                S3SinkError::Data(format!(
                    "Unsupported type for timestamp field {field} in record at offset {}",
                    record.kafka_offset
                ))
            })
        }
    }
}

/// `DataUtils.getNestedFieldValue`: dotted path through structs and string-keyed maps.
fn nested<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = value;
    for part in path.split('.') {
        cur = match cur {
            Value::Struct(s) => s.get(part)?,
            Value::Map(entries) => entries
                .iter()
                .rev()
                .find(|(k, _)| k.as_str() == Some(part))
                .map(|(_, v)| v)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn timestamp_of(v: &Value) -> Option<i64> {
    match v {
        Value::Int8(_) | Value::Int16(_) | Value::Int32(_) | Value::Int64(_) => v.as_i64(),
        #[allow(clippy::cast_possible_truncation)]
        Value::Float64(f) => Some(*f as i64),
        #[allow(clippy::cast_possible_truncation)]
        Value::Float32(f) => Some(*f as i64),
        Value::String(s) => {
            let digits = s.strip_prefix('-').unwrap_or(s);
            if !digits.is_empty()
                && digits.len() <= 19
                && digits.bytes().all(|b| b.is_ascii_digit())
            {
                return s.parse().ok();
            }
            chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|d| d.timestamp_millis())
                .or_else(|| {
                    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                        .ok()
                        .map(|d| d.and_utc().timestamp_millis())
                })
        }
        _ => None,
    }
}

/// The encoded partition of `record` (`encodePartition`), given its extracted timestamp.
///
/// # Errors
/// `"Error encoding partition."` cases: a field partitioner on a non-struct value or a field of
/// an unsupported type.
pub fn encode_partition(
    cfg: &S3SinkConfig,
    record: &SinkRecord,
    timestamp: Option<i64>,
) -> Result<String, S3SinkError> {
    match &cfg.partitioner {
        PartitionerKind::Default => Ok(format!("partition={}", record.kafka_partition)),
        PartitionerKind::Field(fields) => {
            let Value::Struct(s) = &record.value.value else {
                return Err(S3SinkError::Data(format!(
                    "Error encoding partition: FieldPartitioner needs a Struct value (offset {})",
                    record.kafka_offset
                )));
            };
            let mut parts = Vec::with_capacity(fields.len());
            for name in fields {
                let rendered = match s.get(name) {
                    None => {
                        return Err(S3SinkError::Data(format!(
                            "Error encoding partition: no field {name} in the value (offset {})",
                            record.kafka_offset
                        )));
                    }
                    Some(Value::Null) => "null".to_owned(),
                    Some(
                        v @ (Value::Int8(_) | Value::Int16(_) | Value::Int32(_) | Value::Int64(_)),
                    ) => v.as_i64().unwrap_or_default().to_string(),
                    Some(Value::String(v)) => v.clone(),
                    Some(Value::Boolean(b)) => b.to_string(),
                    Some(_) => {
                        return Err(S3SinkError::Data(format!(
                            "Error encoding partition: field {name} has a type FieldPartitioner does not support (offset {})",
                            record.kafka_offset
                        )));
                    }
                };
                parts.push(format!("{name}={rendered}"));
            }
            Ok(parts.join(&cfg.directory_delim))
        }
        PartitionerKind::Time(spec) => {
            let ts = timestamp.unwrap_or_default();
            Ok(spec
                .format
                .format(bucket_start(spec.duration_ms, ts, &spec.zone), &spec.zone))
        }
    }
}

/// Object key layout (`TopicPartitionWriter.fileKeyToCommit`), without the extension:
/// `<topics.dir><dd><topic><dd><encoded><dd><topic><fd><partition><fd><offset, zero padded>`.
pub fn base_key(
    cfg: &S3SinkConfig,
    topic: &str,
    partition: i32,
    encoded: &str,
    start_offset: i64,
) -> String {
    let dd = &cfg.directory_delim;
    let fd = &cfg.file_delim;
    let width = cfg.zero_pad_width;
    let name = format!("{topic}{fd}{partition}{fd}{start_offset:0width$}");
    let suffix = format!("{topic}{dd}{encoded}{dd}{name}");
    if cfg.topics_dir.trim().is_empty() {
        suffix
    } else {
        format!("{}{dd}{suffix}", cfg.topics_dir)
    }
}

/// The string every key of `topic`'s files starts with, and, for the default partitioner, the
/// narrower prefix of one Kafka partition's files.
pub fn listing_prefix(cfg: &S3SinkConfig, topic: &str, partition: i32) -> String {
    let dd = &cfg.directory_delim;
    let topic_prefix = if cfg.topics_dir.trim().is_empty() {
        format!("{topic}{dd}")
    } else {
        format!("{}{dd}{topic}{dd}", cfg.topics_dir)
    };
    match cfg.partitioner {
        PartitionerKind::Default => format!("{topic_prefix}partition={partition}{dd}"),
        _ => topic_prefix,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::{ConnectorConfig, Props, Schema, SchemaAndValue, Struct, TimestampType};

    fn cfg(extra: &[(&str, &str)]) -> S3SinkConfig {
        let mut p: Props = [
            ("topics", "orders"),
            ("format.class", crate::config::FORMAT_JSON),
            ("storage.class", crate::config::STORAGE_S3),
            ("flush.size", "3"),
            ("s3.bucket.name", "b"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for (k, v) in extra {
            p.insert((*k).to_owned(), (*v).to_owned());
        }
        S3SinkConfig::parse(&p).unwrap()
    }

    fn record(value: Value, ts: Option<i64>) -> SinkRecord {
        SinkRecord {
            topic: "orders".into(),
            kafka_partition: 3,
            kafka_offset: 42,
            key: SchemaAndValue::NULL,
            value: SchemaAndValue::new(None, value),
            timestamp: ts,
            timestamp_type: TimestampType::CreateTime,
            headers: Default::default(),
            raw_key: None,
            raw_value: None,
        }
    }

    fn key_of(c: &S3SinkConfig, r: &SinkRecord, now: i64) -> String {
        let ts = if c.is_time_based() {
            Some(extract_timestamp(c, r, now).unwrap())
        } else {
            None
        };
        let enc = encode_partition(c, r, ts).unwrap();
        base_key(c, &r.topic, r.kafka_partition, &enc, r.kafka_offset) + &c.extension(c.format)
    }

    #[test]
    fn default_partitioner_key_matches_confluent() {
        let c = cfg(&[]);
        assert_eq!(
            key_of(&c, &record(Value::Null, None), 0),
            "topics/orders/partition=3/orders+3+0000000042.json"
        );
        let c = cfg(&[
            ("topics.dir", ""),
            ("filename.offset.zero.pad.width", "3"),
            ("s3.compression.type", "gzip"),
        ]);
        assert_eq!(
            key_of(&c, &record(Value::Null, None), 0),
            "orders/partition=3/orders+3+042.json.gz"
        );
        let c = cfg(&[
            ("format.class", crate::config::FORMAT_BYTEARRAY),
            ("file.delim", "_"),
        ]);
        assert_eq!(
            key_of(&c, &record(Value::Null, None), 0),
            "topics/orders/partition=3/orders_3_0000000042.bin"
        );
    }

    #[test]
    fn offsets_wider_than_the_pad_are_not_truncated() {
        let c = cfg(&[("filename.offset.zero.pad.width", "2")]);
        assert_eq!(
            base_key(&c, "t", 0, "partition=0", 12345),
            "topics/t/partition=0/t+0+12345"
        );
    }

    #[test]
    fn field_partitioner_joins_fields_with_the_directory_delimiter() {
        let schema = Schema::struct_builder()
            .field("region", Schema::string())
            .field("tier", Schema::int32())
            .field("opt", Schema::optional_string())
            .build();
        let s = Struct::new(schema).with("region", "eu").with("tier", 1);
        let c = cfg(&[
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.FieldPartitioner",
            ),
            ("partition.field.name", "region,tier,opt"),
        ]);
        assert_eq!(
            key_of(&c, &record(Value::Struct(s), None), 0),
            "topics/orders/region=eu/tier=1/opt=null/orders+3+0000000042.json"
        );
        let err = encode_partition(&c, &record(Value::Map(Vec::new()), None), None).unwrap_err();
        assert!(err.to_string().starts_with("Error encoding partition"));
    }

    #[test]
    fn time_based_partitioners_bucket_record_time() {
        let hourly = cfg(&[
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.HourlyPartitioner",
            ),
            ("locale", "en-US"),
            ("timezone", "UTC"),
            ("timestamp.extractor", "Record"),
        ]);
        let r = record(Value::Null, Some(1_700_000_000_000));
        assert_eq!(
            key_of(&hourly, &r, 0),
            "topics/orders/year=2023/month=11/day=14/hour=22/orders+3+0000000042.json"
        );
        let daily = cfg(&[
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.DailyPartitioner",
            ),
            ("locale", "en"),
            ("timezone", "America/Los_Angeles"),
        ]);
        assert_eq!(
            key_of(&daily, &r, 1_700_000_000_000),
            "topics/orders/year=2023/month=11/day=14/orders+3+0000000042.json"
        );
        let field = cfg(&[
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
            ),
            ("partition.duration.ms", "900000"),
            ("path.format", "'dt'=YYYY-MM-dd/'hr'=HH/'min'=mm/"),
            ("locale", "en"),
            ("timezone", "UTC"),
            ("timestamp.extractor", "RecordField"),
            ("timestamp.field", "meta.ts"),
        ]);
        let v = Value::Map(vec![(
            "meta".into(),
            Value::Map(vec![(
                "ts".into(),
                Value::String("2023-11-14T22:13:20Z".into()),
            )]),
        )]);
        assert_eq!(
            key_of(&field, &record(v, None), 0),
            "topics/orders/dt=2023-11-14/hr=22/min=00/orders+3+0000000042.json"
        );
        assert!(extract_timestamp(&hourly, &record(Value::Null, None), 0).is_err());
    }
}
