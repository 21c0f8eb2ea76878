//! `org.apache.kafka.connect.transforms.HeaderFrom`: copies or moves fields of the key or value
//! into headers.

use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};
use connect_api::{
    ConnectError, ConnectRecord, Header, Props, SchemaAndValue, SchemaRef, Transformation,
    TransformationPlugin, Value,
};

use super::support::{field_value, map_get};
use super::util::{self, SchemaCache, Side};

const FIELDS: &str = "fields";
const HEADERS: &str = "headers";
const OPERATION: &str = "operation";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                FIELDS,
                ConfigType::List,
                Importance::High,
                "Field names in the record whose values are to be copied or moved to headers.",
            )
            .required(),
        )
        .define(
            ConfigKey::new(
                HEADERS,
                ConfigType::List,
                Importance::High,
                "Header names, in the same order as the field names listed in the fields configuration property.",
            )
            .required(),
        )
        .define(
            ConfigKey::new(
                OPERATION,
                ConfigType::String,
                Importance::High,
                "Either <code>move</code> if the fields are to be moved to the headers (removed from the key/value), or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value).",
            )
            .required()
            .validator(Validator::OneOf(&["move", "copy"])),
        )
        .define(util::replace_null_with_default_key())
        .build()
});

/// The `$Key` and `$Value` plugins.
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!("HeaderFrom", &CONFIG_DEF, create)
}

fn create(side: Side, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let config = util::parse_config(&CONFIG_DEF, props)?;
    let fields = util::non_empty_list(&config, FIELDS)?;
    let headers = util::non_empty_list(&config, HEADERS)?;
    if fields.len() != headers.len() {
        return Err(util::config_error(
            FIELDS,
            format!(
                "'{FIELDS}' config must have the same number of elements as '{HEADERS}' config."
            ),
        ));
    }
    Ok(Box::new(HeaderFrom {
        side,
        fields,
        headers,
        is_move: config.string(OPERATION) == "move",
        replace_null_with_default: config.boolean(util::REPLACE_NULL_WITH_DEFAULT),
        cache: SchemaCache::default(),
    }))
}

#[derive(Debug)]
struct HeaderFrom {
    side: Side,
    fields: Vec<String>,
    headers: Vec<String>,
    is_move: bool,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl HeaderFrom {
    fn purpose(&self) -> &'static str {
        if self.is_move {
            "header move"
        } else {
            "header copy"
        }
    }

    fn move_schema(&mut self, schema: &SchemaRef) -> Result<SchemaRef, ConnectError> {
        let fields = &self.fields;
        self.cache.get_or_try_insert(schema, |s| {
            let mut b = util::copy_schema_basics_into(s, connect_api::Schema::struct_builder());
            for f in s.fields.iter().filter(|f| !fields.contains(&f.name)) {
                b = b.field(f.name.clone(), f.schema.clone());
            }
            Ok(b.build())
        })
    }

    fn with_schema(
        &mut self,
        operating: Value,
        schema: SchemaRef,
        record: &mut ConnectRecord,
    ) -> Result<SchemaAndValue, ConnectError> {
        let value = util::require_struct(&operating, Some(&schema), self.purpose())?;
        let moved = if self.is_move {
            let moved = self.move_schema(&schema)?;
            let out =
                util::rebuild_struct(value, &moved, self.replace_null_with_default, |_| None)?;
            Some(SchemaAndValue::new(Some(moved), Value::Struct(out)))
        } else {
            None
        };
        for (field, header) in self.fields.iter().zip(&self.headers) {
            let field_value = value.schema().field(field).map_or(Value::Null, |f| {
                field_value(value, f, self.replace_null_with_default)
            });
            let Some(field_schema) = schema.field(field) else {
                // Kafka dereferences `operatingSchema.field(fieldName)` unchecked.
                return Err(util::java_exception(
                    "NullPointerException",
                    "Cannot invoke \"org.apache.kafka.connect.data.Field.schema()\" because the return value of \"org.apache.kafka.connect.data.Schema.field(String)\" is null",
                ));
            };
            record.headers.push(Header {
                key: header.clone(),
                value: SchemaAndValue::new(Some(field_schema.schema.clone()), field_value),
            });
        }
        // A copy leaves the operating value as it was.
        Ok(moved.unwrap_or_else(|| SchemaAndValue::new(Some(schema), operating)))
    }

    fn schemaless(
        &self,
        value: &Value,
        record: &mut ConnectRecord,
    ) -> Result<SchemaAndValue, ConnectError> {
        let value = util::require_map_ref(value, self.purpose())?;
        let mut updated = value.to_vec();
        for (field, header) in self.fields.iter().zip(&self.headers) {
            let field_value = map_get(value, field).cloned().unwrap_or(Value::Null);
            if self.is_move {
                updated.retain(|(k, _)| k.as_str() != Some(field.as_str()));
            }
            record.headers.push(Header {
                key: header.clone(),
                value: SchemaAndValue::schemaless(field_value),
            });
        }
        Ok(SchemaAndValue::schemaless(Value::Map(updated)))
    }
}

impl Transformation for HeaderFrom {
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        self.side
            .apply(record, |operating, record| match operating.schema {
                Some(schema) => self.with_schema(operating.value, schema, record),
                None => self.schemaless(&operating.value, record),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::{Schema, SchemaType, Struct};

    fn create_with(side: Side, op: &str) -> Box<dyn Transformation> {
        let props: Props = [
            (FIELDS.to_owned(), "a,b".to_owned()),
            (HEADERS.to_owned(), "ha,hb".to_owned()),
            (OPERATION.to_owned(), op.to_owned()),
        ]
        .into();
        create(side, &props).unwrap()
    }

    /// A record that already has a header `x`, which the added ones must follow.
    fn record(value: SchemaAndValue) -> ConnectRecord {
        let mut record = crate::test_support::record(value);
        record.headers.push(Header {
            key: "x".into(),
            value: SchemaAndValue::NULL,
        });
        record
    }

    fn struct_value() -> SchemaAndValue {
        let b_schema = Schema::builder(SchemaType::String)
            .optional()
            .default_value(Value::from("dflt"))
            .build();
        let schema = Schema::struct_builder()
            .field("a", Schema::int32())
            .field("b", b_schema)
            .field("c", Schema::string())
            .build();
        let s = Struct::new(schema.clone()).with("a", 1).with("c", "keep");
        SchemaAndValue::new(Some(schema), Value::Struct(s))
    }

    #[test]
    fn move_removes_the_fields_and_adds_headers_with_their_schemas() {
        let mut t = create_with(Side::Value, "move");
        let out = t.apply(record(struct_value())).unwrap().unwrap();
        let s = out.value.value.as_struct().unwrap();
        let names: Vec<_> = s.schema().fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["c"]);
        let keys: Vec<_> = out.headers.iter().map(|h| h.key.as_str()).collect();
        assert_eq!(keys, ["x", "ha", "hb"]);
        assert_eq!(out.headers[1].value.value, Value::Int32(1));
        assert_eq!(out.headers[2].value.value, Value::from("dflt"));
        assert!(out.headers[2].value.schema.as_ref().unwrap().optional);
    }

    #[test]
    fn copy_keeps_the_value_and_schemaless_headers_have_no_schema() {
        let mut t = create_with(Side::Key, "copy");
        let mut r = record(SchemaAndValue::NULL);
        let map = Value::Map(vec![
            (Value::from("a"), Value::from(1)),
            (Value::from("z"), Value::from(2)),
        ]);
        r.key = SchemaAndValue::schemaless(map.clone());
        let out = t.apply(r).unwrap().unwrap();
        assert_eq!(out.key.value, map);
        assert_eq!(
            out.headers[1].value,
            SchemaAndValue::schemaless(Value::from(1))
        );
        assert_eq!(out.headers[2].value, SchemaAndValue::NULL);
    }

    #[test]
    fn a_tombstone_is_rejected_like_kafka() {
        let mut t = create_with(Side::Value, "move");
        let err = t.apply(record(SchemaAndValue::NULL)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Only Map objects supported in absence of schema for [header move], found: null"
        );
    }

    #[test]
    fn mismatched_lists_are_a_config_error() {
        let props: Props = [
            (FIELDS.to_owned(), "a".to_owned()),
            (HEADERS.to_owned(), "ha,hb".to_owned()),
            (OPERATION.to_owned(), "copy".to_owned()),
        ]
        .into();
        let err = create(Side::Value, &props).unwrap_err();
        assert!(
            matches!(&err, ConnectError::Config(e) if e.to_string()
                == "'fields' config must have the same number of elements as 'headers' config."),
            "{err:?}"
        );
    }
}
