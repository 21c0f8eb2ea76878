//! `io.debezium.transforms.ExtractChangedRecordState`: headers listing which columns an update
//! changed and which it left alone.

use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, ParsedConfig, Width};
use connect_api::data::Decimal;
use connect_api::{
    ConnectError, ConnectRecord, Header, Props, Schema, SchemaAndValue, SchemaBuilder, SchemaRef,
    SchemaType, Transformation, TransformationPlugin, Value,
};

use super::{get_with_default, is_envelope};
use crate::kafka::util::require_struct;

const CLASS: &str = "io.debezium.transforms.ExtractChangedRecordState";
const HEADER_CHANGED_NAME: &str = "header.changed.name";
const HEADER_UNCHANGED_NAME: &str = "header.unchanged.name";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                HEADER_CHANGED_NAME,
                ConfigType::String,
                Importance::Low,
                "Specify the header changed name, default is null which means not send changes to header.",
            )
            .width(Width::Long)
            .display_name("Header change name."),
        )
        .define(
            ConfigKey::new(
                HEADER_UNCHANGED_NAME,
                ConfigType::String,
                Importance::Low,
                "Specify the header unchanged name of schema, default is null which means not send changes to header.",
            )
            .width(Width::Long)
            .display_name("Header unchanged name."),
        )
        .build()
});

pub(super) fn plugin() -> Box<dyn TransformationPlugin> {
    super::plugin(CLASS, &CONFIG_DEF, create)
}

fn create(parsed: &ParsedConfig, _: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let header = |key: &str| {
        parsed.opt_string(key).map(|name| {
            let schema = SchemaBuilder::array(Schema::optional_string())
                .optional()
                .name(name)
                .build();
            (name.to_owned(), schema)
        })
    };
    Ok(Box::new(ExtractChangedRecordState {
        changed: header(HEADER_CHANGED_NAME),
        unchanged: header(HEADER_UNCHANGED_NAME),
    }))
}

/// A configured `ExtractChangedRecordState`: header name and its (named) array schema.
#[derive(Debug)]
pub struct ExtractChangedRecordState {
    changed: Option<(String, SchemaRef)>,
    unchanged: Option<(String, SchemaRef)>,
}

impl Transformation for ExtractChangedRecordState {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.value.value.is_null() || !is_envelope(record.value.schema.as_ref()) {
            return Ok(Some(record));
        }
        let value = require_struct(&record.value.value, None, "Record value should be struct.")?;
        let after = get_with_default(value, "after");
        let before = get_with_default(value, "before");
        let mut changed = Vec::new();
        let mut unchanged = Vec::new();
        if !after.is_null() && !before.is_null() {
            let after = require_struct(&after, None, "After value should be struct.")?;
            let before = require_struct(&before, None, "Before value should be struct.")?;
            for field in &after.schema().fields {
                let a = &after.values()[field.index];
                let b = before.get(&field.name).ok_or_else(|| {
                    ConnectError::data(format!("{} is not a valid field name", field.name))
                })?;
                let name = Value::String(field.name.clone());
                if java_equals(&field.schema, a, b) {
                    unchanged.push(name);
                } else {
                    changed.push(name);
                }
            }
        }
        for (header, names) in [(&self.changed, changed), (&self.unchanged, unchanged)] {
            if let Some((key, schema)) = header
                && !key.trim().is_empty()
            {
                record.headers.push(Header {
                    key: key.clone(),
                    value: SchemaAndValue::new(Some(schema.clone()), Value::Array(names)),
                });
            }
        }
        Ok(Some(record))
    }
}

/// `Objects.equals` on the Java objects the converter would have produced: a plain `bytes`
/// column is a `byte[]`, equal only to itself, so two decoded copies always differ; a decimal
/// is a `BigDecimal` and compares by value; doubles compare by bits.
fn java_equals(schema: &Schema, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bytes(x), Value::Bytes(y)) => {
            schema.schema_type == SchemaType::Bytes
                && schema.name.as_deref() == Some(Decimal::LOGICAL_NAME)
                && x == y
        }
        (Value::Float64(x), Value::Float64(y)) => x.to_bits() == y.to_bits(),
        (Value::Float32(x), Value::Float32(y)) => x.to_bits() == y.to_bits(),
        (Value::Array(x), Value::Array(y)) => {
            let items = schema.value_schema.as_deref();
            x.len() == y.len()
                && x.iter().zip(y).all(|(p, q)| match items {
                    Some(s) => java_equals(s, p, q),
                    None => p == q,
                })
        }
        // Struct.equals uses Arrays.deepEquals, which compares nested byte arrays by content.
        (x, y) => x == y,
    }
}

#[cfg(test)]
mod tests {
    use connect_api::{Schema, Struct};

    use super::*;

    fn envelope(before: Option<(i32, &str)>, after: Option<(i32, &str)>) -> ConnectRecord {
        let row = Schema::struct_builder()
            .name("srv.db.t.Value")
            .optional()
            .field("id", Schema::int32())
            .field("name", Schema::optional_string())
            .build();
        let env = Schema::struct_builder()
            .name("srv.db.t.Envelope")
            .field("before", row.clone())
            .field("after", row.clone())
            .field("op", Schema::string())
            .build();
        let mk = |r: Option<(i32, &str)>| {
            r.map(|(id, n)| Value::Struct(Struct::new(row.clone()).with("id", id).with("name", n)))
                .unwrap_or(Value::Null)
        };
        let mut s = Struct::new(env.clone()).with("op", "u");
        s.put("before", mk(before));
        s.put("after", mk(after));
        ConnectRecord {
            kafka_partition: Some(0),
            ..crate::test_support::source_record(
                "srv.db.t",
                SchemaAndValue::new(Some(env), Value::Struct(s)),
            )
        }
    }

    fn transform() -> Box<dyn Transformation> {
        let props: Props = [
            (HEADER_CHANGED_NAME.to_string(), "Changed".to_string()),
            (HEADER_UNCHANGED_NAME.to_string(), "Unchanged".to_string()),
        ]
        .into();
        plugin().create(&props).unwrap()
    }

    #[test]
    fn an_update_lists_changed_and_unchanged_columns_in_named_array_headers() {
        let out = transform()
            .apply(envelope(Some((1, "a")), Some((1, "b"))))
            .unwrap()
            .unwrap();
        assert_eq!(out.headers.len(), 2);
        assert_eq!(out.headers[0].key, "Changed");
        assert_eq!(
            out.headers[0].value.value,
            Value::Array(vec!["name".into()])
        );
        let schema = out.headers[0].value.schema.as_ref().unwrap();
        assert_eq!(schema.name.as_deref(), Some("Changed"));
        assert!(schema.optional);
        assert_eq!(out.headers[1].value.value, Value::Array(vec!["id".into()]));
    }

    #[test]
    fn an_insert_gets_empty_lists() {
        let out = transform()
            .apply(envelope(None, Some((1, "b"))))
            .unwrap()
            .unwrap();
        assert_eq!(out.headers[0].value.value, Value::Array(vec![]));
        assert_eq!(out.headers[1].value.value, Value::Array(vec![]));
    }

    #[test]
    fn plain_bytes_always_count_as_changed_but_decimals_compare_by_value() {
        let bytes = Schema::bytes();
        let a = Value::Bytes(vec![1u8].into());
        assert!(!java_equals(&bytes, &a, &a.clone()));
        assert!(java_equals(&Decimal::schema(2), &a, &a.clone()));
    }
}
