//! `org.apache.kafka.connect.transforms.predicates.RecordIsTombstone`: true when the value is
//! null (whatever its schema).

use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ParsedConfig};
use connect_api::{ConnectError, ConnectRecord, Predicate, PredicatePlugin};

use super::support::PredPlugin;

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| ConfigDef::builder().build());

/// The `RecordIsTombstone` plugin.
pub(crate) fn plugin() -> Box<dyn PredicatePlugin> {
    PredPlugin::boxed(
        "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
        &CONFIG_DEF,
        make,
    )
}

fn make(_: &ParsedConfig) -> Result<Box<dyn Predicate>, ConnectError> {
    Ok(Box::new(RecordIsTombstone))
}

#[derive(Debug)]
struct RecordIsTombstone;

impl Predicate for RecordIsTombstone {
    fn test(&mut self, record: &ConnectRecord) -> Result<bool, ConnectError> {
        Ok(record.value.value.is_null())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::{Schema, SchemaAndValue, Value};

    #[test]
    fn a_null_value_is_a_tombstone_even_with_a_schema() {
        let mut p = plugin().create(&Default::default()).unwrap();
        let mut record = ConnectRecord {
            key: SchemaAndValue::schemaless(Value::from("k")),
            ..crate::test_support::source_record(
                "t",
                SchemaAndValue::new(Some(Schema::optional_string()), Value::Null),
            )
        };
        assert!(p.test(&record).unwrap());
        record.value = SchemaAndValue::schemaless(Value::from(""));
        assert!(!p.test(&record).unwrap());
    }
}
