//! `org.apache.kafka.connect.transforms.TimestampRouter`: the topic becomes `topic.format` with
//! `${topic}` and `${timestamp}` (the record timestamp in `timestamp.format`, UTC) filled in.

use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use connect_api::{ConnectError, ConnectRecord, Props, Transformation, TransformationPlugin};

use super::simple_date_format::SimpleDateFormat;
use super::util::{self, Side};

const TOPIC_FORMAT: &str = "topic.format";
const TIMESTAMP_FORMAT: &str = "timestamp.format";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                TOPIC_FORMAT,
                ConfigType::String,
                Importance::High,
                "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as placeholders for the topic and timestamp, respectively.",
            )
            .default("${topic}-${timestamp}"),
        )
        .define(
            ConfigKey::new(
                TIMESTAMP_FORMAT,
                ConfigType::String,
                Importance::High,
                "Format string for the timestamp that is compatible with <code>java.text.SimpleDateFormat</code>.",
            )
            .default("yyyyMMdd"),
        )
        .build()
});

/// The `TimestampRouter` plugin.
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!(single "TimestampRouter", &CONFIG_DEF, create)
}

fn create(_: Side, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let config = util::parse_config(&CONFIG_DEF, props)?;
    // Kafka builds the `SimpleDateFormat` lazily, so a bad pattern fails the first record.
    let format = SimpleDateFormat::new(config.string(TIMESTAMP_FORMAT));
    Ok(Box::new(TimestampRouter {
        topic_format: config.string(TOPIC_FORMAT).to_owned(),
        format,
    }))
}

#[derive(Debug)]
struct TimestampRouter {
    topic_format: String,
    format: Result<SimpleDateFormat, String>,
}

impl Transformation for TimestampRouter {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let Some(timestamp) = record.timestamp else {
            return Err(util::data_error(format!(
                "Timestamp missing on record: {}",
                record_text(&record)
            )));
        };
        let format = self
            .format
            .as_ref()
            .map_err(|e| util::java_exception("IllegalArgumentException", e.clone()))?;
        let formatted = format.format(timestamp);
        record.topic = self
            .topic_format
            .replace("${topic}", &record.topic)
            .replace("${timestamp}", &formatted);
        Ok(Some(record))
    }
}

/// The start of `ConnectRecord.toString()`, enough to say which record lacked a timestamp.
fn record_text(record: &ConnectRecord) -> String {
    let kind = if record.is_sink {
        "SinkRecord"
    } else {
        "SourceRecord"
    };
    let partition = record
        .kafka_partition
        .map_or_else(|| "null".to_owned(), |p| p.to_string());
    format!(
        "{kind}{{topic='{}', kafkaPartition={partition}, …}}",
        record.topic
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::SchemaAndValue;

    fn record(topic: &str, timestamp: Option<i64>) -> ConnectRecord {
        ConnectRecord {
            topic: topic.into(),
            kafka_partition: Some(1),
            timestamp,
            kafka_offset: Some(3),
            ..crate::test_support::record(SchemaAndValue::NULL)
        }
    }

    #[test]
    fn the_default_formats_append_the_utc_day() {
        let mut t = create(Side::Value, &Props::new()).unwrap();
        let out = t
            .apply(record("orders", Some(1_700_000_000_000)))
            .unwrap()
            .unwrap();
        assert_eq!(out.topic, "orders-20231114");
    }

    #[test]
    fn placeholders_are_replaced_everywhere_and_topic_text_is_literal() {
        let props: Props = [
            (
                TOPIC_FORMAT.to_owned(),
                "${timestamp}_${topic}_${topic}".to_owned(),
            ),
            (TIMESTAMP_FORMAT.to_owned(), "yyyy-MM".to_owned()),
        ]
        .into();
        let mut t = create(Side::Value, &props).unwrap();
        let out = t.apply(record("a$1", Some(0))).unwrap().unwrap();
        assert_eq!(out.topic, "1970-01_a$1_a$1");
    }

    #[test]
    fn a_record_without_timestamp_fails() {
        let mut t = create(Side::Value, &Props::new()).unwrap();
        let err = t.apply(record("orders", None)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("Timestamp missing on record: SinkRecord{topic='orders'"),
            "{err}"
        );
    }
}
