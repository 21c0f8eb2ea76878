//! Record formats: what one record contributes to a value, `.keys` or `.headers` file.

pub mod json;

use base64::Engine as _;
use connect_api::{SchemaAndValue, SinkRecord, Value, java};

use crate::config::{FormatKind, S3SinkConfig};
use crate::error::S3SinkError;
use json::JsonEncoder;

/// Which part of a record a file holds (`RecordView`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum View {
    Value,
    Keys,
    Headers,
}

/// Encodes records for every view of a file set.
#[derive(Debug, Clone)]
pub struct RecordEncoder {
    json: JsonEncoder,
    separator: Vec<u8>,
}

impl RecordEncoder {
    pub fn new(cfg: &S3SinkConfig) -> Self {
        Self {
            json: JsonEncoder {
                decimal_numeric: cfg.json_decimal_numeric,
            },
            separator: cfg.bytearray_separator.clone(),
        }
    }

    /// Appends `record`'s `view` in `format`, line separator included.
    ///
    /// # Errors
    /// Confluent's `DataException` cases: a null key or missing headers when they are stored, a
    /// value ByteArrayFormat cannot write, a value that does not fit its schema.
    pub fn encode(
        &self,
        out: &mut Vec<u8>,
        format: FormatKind,
        view: View,
        record: &SinkRecord,
    ) -> Result<(), S3SinkError> {
        match view {
            View::Value => self.encode_data(out, format, &record.value, record, "Value"),
            View::Keys => {
                if record.key.value.is_null() {
                    return Err(S3SinkError::Data(format!(
                        "Key cannot be null for SinkRecord: topic {} partition {} offset {}",
                        record.topic, record.kafka_partition, record.kafka_offset
                    )));
                }
                self.encode_data(out, format, &record.key, record, "Key")
            }
            View::Headers => match format {
                FormatKind::Json => {
                    self.headers_json(out, record);
                    out.push(b'\n');
                    Ok(())
                }
                FormatKind::ByteArray => Err(S3SinkError::Data(
                    "ByteArrayFormat cannot write headers: set headers.format.class to JsonFormat"
                        .into(),
                )),
            },
        }
    }

    fn encode_data(
        &self,
        out: &mut Vec<u8>,
        format: FormatKind,
        data: &SchemaAndValue,
        record: &SinkRecord,
        what: &str,
    ) -> Result<(), S3SinkError> {
        match format {
            FormatKind::Json => {
                self.json.write(out, data.schema.as_deref(), &data.value)?;
                out.push(b'\n');
            }
            FormatKind::ByteArray => {
                let schema_ok = data
                    .schema
                    .as_ref()
                    .is_none_or(|s| s.schema_type == connect_api::SchemaType::Bytes);
                match (&data.value, schema_ok) {
                    (Value::Bytes(b), true) => out.extend_from_slice(b),
                    (_, false) => {
                        return Err(S3SinkError::Data(format!(
                            "Invalid schema type for ByteArrayConverter: {what} of record at offset {}",
                            record.kafka_offset
                        )));
                    }
                    (other, true) => {
                        return Err(S3SinkError::Data(format!(
                            "ByteArrayConverter is not compatible with objects of type {:?} ({what} of record at offset {}); use value.converter=org.apache.kafka.connect.converters.ByteArrayConverter",
                            other.inferred_type(),
                            record.kafka_offset
                        )));
                    }
                }
                out.extend_from_slice(&self.separator);
            }
        }
        Ok(())
    }

    /// The enveloped `RecordHeaders` struct: `{"headers":[{"key":…,"value":…}]}`, each value
    /// rendered by `Values.convertToString`.
    fn headers_json(&self, out: &mut Vec<u8>, record: &SinkRecord) {
        out.extend_from_slice(b"{\"headers\":[");
        for (i, h) in record.headers.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"key\":");
            java::write_json_string(out, &h.key);
            out.extend_from_slice(b",\"value\":");
            match header_string(&self.json, &h.value) {
                Some(s) => java::write_json_string(out, &s),
                None => out.extend_from_slice(b"null"),
            }
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
    }
}

/// `Values.convertToString` for the common header types.
fn header_string(json: &JsonEncoder, v: &SchemaAndValue) -> Option<String> {
    Some(match &v.value {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        Value::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b),
        Value::Int8(_) | Value::Int16(_) | Value::Int32(_) | Value::Int64(_) => {
            v.value.as_i64().unwrap_or_default().to_string()
        }
        Value::Boolean(b) => b.to_string(),
        other => {
            let mut out = Vec::new();
            json.write(&mut out, v.schema.as_deref(), other).ok()?;
            let s = String::from_utf8_lossy(&out).into_owned();
            // Floats print as Java numbers; strip the quotes Jackson adds to NaN/Infinity.
            s.trim_matches('"').to_owned()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::{ConnectorConfig, Header, Props, TimestampType};

    fn cfg(extra: &[(&str, &str)]) -> S3SinkConfig {
        let mut p: Props = [
            ("topics", "t"),
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

    fn rec(key: Value, value: Value) -> SinkRecord {
        SinkRecord {
            topic: "t".into(),
            kafka_partition: 0,
            kafka_offset: 7,
            key: SchemaAndValue::schemaless(key),
            value: SchemaAndValue::schemaless(value),
            timestamp: None,
            timestamp_type: TimestampType::NoTimestampType,
            headers: vec![
                Header {
                    key: "h1".into(),
                    value: SchemaAndValue::schemaless("v1".into()),
                },
                Header {
                    key: "h2".into(),
                    value: SchemaAndValue::schemaless(Value::Int32(42)),
                },
            ]
            .into(),
            raw_key: None,
            raw_value: None,
        }
    }

    #[test]
    fn keys_and_headers_lines_match_confluent() {
        let e = RecordEncoder::new(&cfg(&[]));
        let r = rec("key".into(), "v".into());
        let mut out = Vec::new();
        e.encode(&mut out, FormatKind::Json, View::Keys, &r)
            .unwrap();
        e.encode(&mut out, FormatKind::Json, View::Headers, &r)
            .unwrap();
        e.encode(&mut out, FormatKind::Json, View::Value, &r)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"key\"\n{\"headers\":[{\"key\":\"h1\",\"value\":\"v1\"},{\"key\":\"h2\",\"value\":\"42\"}]}\n\"v\"\n"
        );
        let null_key = rec(Value::Null, "v".into());
        assert!(
            e.encode(&mut Vec::new(), FormatKind::Json, View::Keys, &null_key)
                .is_err()
        );
    }

    #[test]
    fn byte_array_format_writes_raw_bytes_and_the_separator() {
        let e = RecordEncoder::new(&cfg(&[("format.bytearray.separator", "||")]));
        let mut out = Vec::new();
        e.encode(
            &mut out,
            FormatKind::ByteArray,
            View::Value,
            &rec(Value::Null, Value::Bytes(vec![1, 2, 0xff].into())),
        )
        .unwrap();
        assert_eq!(out, [1, 2, 0xff, b'|', b'|']);
        let err = e
            .encode(
                &mut out,
                FormatKind::ByteArray,
                View::Value,
                &rec(Value::Null, "s".into()),
            )
            .unwrap_err();
        assert!(err.to_string().contains("ByteArrayConverter"));
    }
}
