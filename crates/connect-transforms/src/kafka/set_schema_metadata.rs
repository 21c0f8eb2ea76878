//! `org.apache.kafka.connect.transforms.SetSchemaMetadata`: sets the name and/or version of the
//! key or value schema (a struct value is rebuilt on the renamed schema).

use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use connect_api::{
    ConnectError, ConnectRecord, Props, SchemaAndValue, SchemaType, Transformation,
    TransformationPlugin, Value,
};

use super::util::{self, SchemaCache, Side};

const SCHEMA_NAME: &str = "schema.name";
const SCHEMA_VERSION: &str = "schema.version";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(ConfigKey::new(
            SCHEMA_NAME,
            ConfigType::String,
            Importance::High,
            "Schema name to set.",
        ))
        .define(ConfigKey::new(
            SCHEMA_VERSION,
            ConfigType::Int,
            Importance::High,
            "Schema version to set.",
        ))
        .define(util::replace_null_with_default_key())
        .build()
});

/// The `$Key` and `$Value` plugins.
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!("SetSchemaMetadata", &CONFIG_DEF, create)
}

fn create(side: Side, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let config = util::parse_config(&CONFIG_DEF, props)?;
    let name = config.opt_string(SCHEMA_NAME).map(str::to_owned);
    let version = config.opt_int(SCHEMA_VERSION);
    if name.is_none() && version.is_none() {
        // `ConfigException(message)`.
        return Err(util::config_error(
            SCHEMA_NAME,
            "Neither schema name nor version configured",
        ));
    }
    Ok(Box::new(SetSchemaMetadata {
        side,
        name,
        version,
        replace_null_with_default: config.boolean(util::REPLACE_NULL_WITH_DEFAULT),
        cache: SchemaCache::default(),
    }))
}

#[derive(Debug)]
struct SetSchemaMetadata {
    side: Side,
    name: Option<String>,
    version: Option<i32>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl Transformation for SetSchemaMetadata {
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        self.side
            .apply(record, |operating, _| self.update_schema(operating))
    }
}

impl SetSchemaMetadata {
    fn update_schema(&mut self, operating: SchemaAndValue) -> Result<SchemaAndValue, ConnectError> {
        let SchemaAndValue { schema, value } = operating;
        if value.is_null() && schema.is_none() {
            return Ok(SchemaAndValue::NULL);
        }
        let schema = util::require_schema(schema.as_ref(), "updating schema metadata")?;
        // Kafka 3.9 copies `schema.fields()` into the new `ConnectSchema`, which throws for
        // every type but a struct.
        if schema.schema_type != SchemaType::Struct {
            return Err(util::data_error("Cannot list fields on non-struct type"));
        }
        let (name, version) = (&self.name, self.version);
        let updated = self.cache.get_or_try_insert(schema, |s| {
            let mut copy = (**s).clone();
            if let Some(n) = name {
                copy.name = Some(n.clone());
            }
            if let Some(v) = version {
                copy.version = Some(v);
            }
            Ok(std::sync::Arc::new(copy))
        })?;
        let value = match value {
            Value::Struct(orig) => Value::Struct(util::rebuild_struct(
                &orig,
                &updated,
                self.replace_null_with_default,
                |_| None,
            )?),
            other => other,
        };
        Ok(SchemaAndValue::new(Some(updated), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::util::props;
    use crate::test_support::record;
    use connect_api::{Schema, Struct};

    fn create_with(pairs: &[(&str, &str)]) -> Result<Box<dyn Transformation>, ConnectError> {
        create(Side::Value, &props(pairs))
    }

    #[test]
    fn a_struct_schema_is_renamed_and_its_value_follows() {
        let mut t = create_with(&[(SCHEMA_NAME, "new.name"), (SCHEMA_VERSION, "4")]).unwrap();
        let schema = Schema::struct_builder()
            .name("old")
            .doc("d")
            .field("a", Schema::int32())
            .optional()
            .build();
        let v = Struct::new(schema.clone()).with("a", 5);
        let out = t
            .apply(record(SchemaAndValue::new(Some(schema), Value::Struct(v))))
            .unwrap()
            .unwrap();
        let s = out.value.schema.unwrap();
        assert_eq!(
            (s.name.as_deref(), s.version, s.doc.as_deref(), s.optional),
            (Some("new.name"), Some(4), Some("d"), true)
        );
        let v = out.value.value.as_struct().unwrap();
        assert_eq!(v.schema().name.as_deref(), Some("new.name"));
        assert_eq!(v.get("a"), Some(&Value::Int32(5)));
    }

    #[test]
    fn null_fields_take_their_default_unless_replacement_is_off() {
        let with_default = Schema::builder(SchemaType::Int32)
            .optional()
            .default_value(Value::Int32(9))
            .build();
        let schema = Schema::struct_builder().field("a", with_default).build();
        let input = || {
            record(SchemaAndValue::new(
                Some(schema.clone()),
                Value::Struct(Struct::new(schema.clone())),
            ))
        };
        let a = |out: ConnectRecord| out.value.value.as_struct().unwrap().get("a").cloned();
        let mut t = create_with(&[(SCHEMA_NAME, "n")]).unwrap();
        assert_eq!(a(t.apply(input()).unwrap().unwrap()), Some(Value::Int32(9)));
        let mut t = create_with(&[
            (SCHEMA_NAME, "n"),
            (util::REPLACE_NULL_WITH_DEFAULT, "false"),
        ])
        .unwrap();
        assert_eq!(a(t.apply(input()).unwrap().unwrap()), Some(Value::Null));
    }

    #[test]
    fn schemaless_data_needs_a_schema_unless_null() {
        let mut t = create_with(&[(SCHEMA_VERSION, "1")]).unwrap();
        assert!(t.apply(record(SchemaAndValue::NULL)).unwrap().is_some());
        let err = t
            .apply(record(SchemaAndValue::schemaless(Value::from("x"))))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Schema required for [updating schema metadata]"
        );
    }

    #[test]
    fn a_non_struct_schema_fails_as_in_kafka_3_9() {
        let mut t = create_with(&[(SCHEMA_NAME, "n")]).unwrap();
        let err = t
            .apply(record(SchemaAndValue::new(
                Some(Schema::string()),
                Value::from("x"),
            )))
            .unwrap_err();
        assert_eq!(err.to_string(), "Cannot list fields on non-struct type");
    }

    #[test]
    fn nothing_to_set_is_a_config_error() {
        let err = create_with(&[]).unwrap_err();
        assert!(
            matches!(&err, ConnectError::Config(e)
                if e.to_string() == "Neither schema name nor version configured"),
            "{err:?}"
        );
    }
}
