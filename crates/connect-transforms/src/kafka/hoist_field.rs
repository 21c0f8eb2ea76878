//! `org.apache.kafka.connect.transforms.HoistField`: wraps the key or value in a one-field struct
//! (or a one-entry map when schemaless).

use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use connect_api::{
    ConnectError, ConnectRecord, Props, Schema, SchemaAndValue, SchemaRef, Struct, Transformation,
    TransformationPlugin, Value,
};

use super::util::{self, SchemaCache, Side};

const FIELD: &str = "field";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                FIELD,
                ConfigType::String,
                Importance::Medium,
                "Field name for the single field that will be created in the resulting Struct or Map.",
            )
            .required(),
        )
        .build()
});

/// The `$Key` and `$Value` plugins.
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!("HoistField", &CONFIG_DEF, create)
}

fn create(side: Side, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let parsed = util::parse_config(&CONFIG_DEF, props)?;
    Ok(Box::new(HoistField {
        side,
        field: parsed.string(FIELD).to_owned(),
        cache: SchemaCache::default(),
    }))
}

#[derive(Debug)]
struct HoistField {
    side: Side,
    field: String,
    cache: SchemaCache,
}

impl Transformation for HoistField {
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        self.side
            .apply(record, |operating, _| self.hoist(operating))
    }
}

impl HoistField {
    fn hoist(&mut self, operating: SchemaAndValue) -> Result<SchemaAndValue, ConnectError> {
        let SchemaAndValue { schema, value } = operating;
        let Some(schema) = schema else {
            return Ok(SchemaAndValue::schemaless(Value::Map(vec![(
                Value::String(self.field.clone()),
                value,
            )])));
        };
        let field = &self.field;
        let updated_schema: SchemaRef = self.cache.get_or_try_insert(&schema, |s| {
            Ok(Schema::struct_builder()
                .field(field.clone(), s.clone())
                .build())
        })?;
        util::check_put(field, &schema, &value)?;
        let mut s = Struct::new(updated_schema.clone());
        s.put_index(0, value);
        Ok(SchemaAndValue::new(Some(updated_schema), Value::Struct(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::key_record as record;

    fn hoist(side: Side) -> Box<dyn Transformation> {
        create(side, &[("field".to_owned(), "magic".to_owned())].into()).unwrap()
    }

    #[test]
    fn a_schemaless_key_is_wrapped_in_a_one_entry_map() {
        let out = hoist(Side::Key)
            .apply(record(SchemaAndValue::schemaless(Value::Int64(42))))
            .unwrap()
            .unwrap();
        assert_eq!(
            out.key.value,
            Value::Map(vec![("magic".into(), Value::Int64(42))])
        );
        assert!(out.key.schema.is_none());
    }

    #[test]
    fn a_key_with_a_schema_becomes_a_struct_with_one_field_of_that_schema() {
        let out = hoist(Side::Key)
            .apply(record(SchemaAndValue::new(
                Some(Schema::int32()),
                Value::Int32(42),
            )))
            .unwrap()
            .unwrap();
        let schema = out.key.schema.unwrap();
        assert_eq!(schema.fields.len(), 1);
        assert_eq!(schema.fields[0].name, "magic");
        assert_eq!(schema.fields[0].schema, Schema::int32());
        assert_eq!(
            out.key.value.as_struct().unwrap().get("magic"),
            Some(&Value::Int32(42))
        );
    }

    #[test]
    fn a_null_for_a_required_schema_is_refused_as_struct_put_does() {
        let err = hoist(Side::Key)
            .apply(record(SchemaAndValue::new(
                Some(Schema::int32()),
                Value::Null,
            )))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value: null used for required field: \"magic\", schema type: INT32"
        );
    }

    #[test]
    fn the_field_name_is_required() {
        let err = create(Side::Value, &Props::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "connector configuration is invalid: Missing required configuration \"field\" which has no default value."
        );
    }
}
