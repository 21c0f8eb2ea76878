//! `org.apache.kafka.connect.transforms.ValueToKey`: replaces the key with a struct (or map) of
//! some of the value's fields.

use std::sync::{Arc, LazyLock};

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use connect_api::{
    ConnectError, ConnectRecord, Props, Schema, SchemaAndValue, Struct, Transformation,
    TransformationPlugin, Value,
};

use super::support::{field_value, map_get, map_put};
use super::util::{self, SchemaCache, Side};

const FIELDS: &str = "fields";
const PURPOSE: &str = "copying fields from value to key";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                FIELDS,
                ConfigType::List,
                Importance::High,
                "Field names on the record value to extract as the record key.",
            )
            .required(),
        )
        .define(util::replace_null_with_default_key())
        .build()
});

/// The plugin (ValueToKey has no `$Key`/`$Value` variants).
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!(single "ValueToKey", &CONFIG_DEF, create)
}

fn create(_side: Side, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let parsed = util::parse_config(&CONFIG_DEF, props)?;
    let fields = util::non_empty_list(&parsed, FIELDS)?;
    Ok(Box::new(ValueToKey {
        fields,
        replace_null_with_default: parsed.boolean(util::REPLACE_NULL_WITH_DEFAULT),
        cache: SchemaCache::default(),
    }))
}

#[derive(Debug)]
struct ValueToKey {
    fields: Vec<String>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl Transformation for ValueToKey {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let value = &record.value;
        let key = match &value.schema {
            None => {
                let map = util::require_map_ref(&value.value, PURPOSE)?;
                let mut key = Vec::with_capacity(self.fields.len());
                for f in &self.fields {
                    map_put(&mut key, f, map_get(map, f).cloned().unwrap_or(Value::Null));
                }
                SchemaAndValue::schemaless(Value::Map(key))
            }
            Some(_) => {
                let s = util::require_struct(&value.value, value.schema.as_deref(), PURPOSE)?;
                let fields = &self.fields;
                let key_schema = self.cache.get_or_try_insert(s.schema(), |vs| {
                    let mut key_schema = Schema::struct_builder().into_schema();
                    for f in fields {
                        let Some(field) = vs.field(f) else {
                            return Err(util::data_error(format!("Field does not exist: {f}")));
                        };
                        util::push_field(&mut key_schema, f, field.schema.clone())?;
                    }
                    Ok(Arc::new(key_schema))
                })?;
                let mut key = Struct::new(key_schema.clone());
                for f in fields {
                    let (Some(src), Some(dst)) = (s.schema().field(f), key_schema.field(f)) else {
                        continue;
                    };
                    let v = field_value(s, src, self.replace_null_with_default);
                    util::check_put(f, &dst.schema, &v)?;
                    key.put_index(dst.index, v);
                }
                SchemaAndValue::new(Some(key_schema), Value::Struct(key))
            }
        };
        record.key = key;
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::record;

    fn fields(list: &str) -> Props {
        [("fields".to_owned(), list.to_owned())].into()
    }

    #[test]
    fn the_key_becomes_a_struct_of_the_listed_value_fields_in_list_order() {
        let schema = Schema::struct_builder()
            .field("a", Schema::int32())
            .field("b", Schema::string())
            .build();
        let value = Struct::new(schema.clone()).with("a", 1).with("b", "x");
        let out = create(Side::Value, &fields("b,a"))
            .unwrap()
            .apply(record(SchemaAndValue::new(Some(schema), value.into())))
            .unwrap()
            .unwrap();
        let key_schema = out.key.schema.unwrap();
        let names: Vec<_> = key_schema.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        let key = out.key.value.as_struct().unwrap().clone();
        assert_eq!(key.get("a"), Some(&Value::Int32(1)));
    }

    #[test]
    fn a_missing_field_in_a_schemaless_value_becomes_a_null_entry() {
        let value = Value::Map(vec![("a".into(), Value::Int64(1))]);
        let out = create(Side::Value, &fields("a,z"))
            .unwrap()
            .apply(record(SchemaAndValue::schemaless(value)))
            .unwrap()
            .unwrap();
        assert_eq!(
            out.key.value,
            Value::Map(vec![
                ("a".into(), Value::Int64(1)),
                ("z".into(), Value::Null)
            ])
        );
    }

    #[test]
    fn a_field_listed_twice_is_refused_as_kafka_3_9s_schema_builder_does() {
        let schema = Schema::struct_builder().field("a", Schema::int32()).build();
        let value = Struct::new(schema.clone()).with("a", 1);
        let err = create(Side::Value, &fields("a,a"))
            .unwrap()
            .apply(record(SchemaAndValue::new(Some(schema), value.into())))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Cannot create field because of field name duplication a"
        );
    }

    #[test]
    fn an_empty_field_list_is_refused_as_kafka_does() {
        let err = create(Side::Value, &fields("")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "connector configuration is invalid: Invalid value [] for configuration fields: Empty list"
        );
    }
}
