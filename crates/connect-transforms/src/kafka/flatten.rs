//! `org.apache.kafka.connect.transforms.Flatten`: nested structs (or maps) become top-level
//! fields named by joining the path with `delimiter`.

use std::sync::{Arc, LazyLock};

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use connect_api::{
    ConnectError, ConnectRecord, Props, Schema, SchemaAndValue, SchemaRef, SchemaType, Struct,
    Transformation, TransformationPlugin, Value,
};

use super::support::{field_value, map_put};
use super::util::{self, SchemaCache, Side};

const DELIMITER: &str = "delimiter";
const PURPOSE: &str = "flattening";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                DELIMITER,
                ConfigType::String,
                Importance::Medium,
                "Delimiter to insert between field names from the input record when generating field names for the output record",
            )
            .default("."),
        )
        .build()
});

/// The `$Key` and `$Value` plugins.
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!("Flatten", &CONFIG_DEF, create)
}

fn create(side: Side, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let parsed = util::parse_config(&CONFIG_DEF, props)?;
    Ok(Box::new(Flatten {
        side,
        names: Names {
            delimiter: parsed.string(DELIMITER).to_owned(),
        },
        cache: SchemaCache::default(),
    }))
}

#[derive(Debug)]
struct Flatten {
    side: Side,
    names: Names,
    cache: SchemaCache,
}

/// Flattened field naming and the schema/value walks.
#[derive(Debug)]
struct Names {
    delimiter: String,
}

fn unsupported(kind: &str, name: &str, schemas: bool) -> ConnectError {
    let with = if schemas { "with" } else { "without" };
    util::data_error(format!(
        "Flatten transformation does not support {kind} for record {with} schemas (for field {name})."
    ))
}

impl Names {
    fn name(&self, prefix: &str, field: &str) -> String {
        if prefix.is_empty() {
            field.to_owned()
        } else {
            format!("{prefix}{}{field}", self.delimiter)
        }
    }

    fn flatten_map(
        &self,
        map: Vec<(Value, Value)>,
        prefix: &str,
        out: &mut Vec<(Value, Value)>,
    ) -> Result<(), ConnectError> {
        for (k, v) in map {
            let key = k.as_str().unwrap_or_default();
            let name = self.name(prefix, key);
            match v {
                Value::Map(inner) => self.flatten_map(inner, &name, out)?,
                Value::Struct(_) => {
                    return Err(unsupported(
                        "class org.apache.kafka.connect.data.Struct",
                        &name,
                        false,
                    ));
                }
                other => map_put(out, &name, other),
            }
        }
        Ok(())
    }

    /// `buildUpdatedSchema`.
    fn build_schema(
        &self,
        schema: &Schema,
        prefix: &str,
        out: &mut Schema,
        optional: bool,
        default_from_parent: Option<&Struct>,
    ) -> Result<(), ConnectError> {
        for field in &schema.fields {
            let name = self.name(prefix, &field.name);
            let field_optional = optional || field.schema.optional;
            let default = match &field.schema.default {
                Some(d) => Some(d.clone()),
                None => default_from_parent
                    .map(|p| field_value(p, field, true))
                    .filter(|v| !v.is_null()),
            };
            match field.schema.schema_type {
                SchemaType::Struct => {
                    let nested = match &default {
                        Some(Value::Struct(s)) => Some(s),
                        _ => None,
                    };
                    self.build_schema(&field.schema, &name, out, field_optional, nested)?;
                }
                SchemaType::Map => return Err(unsupported("MAP", &name, true)),
                _ => {
                    let mut builder = util::copy_schema_basics(&field.schema);
                    if field_optional {
                        builder = builder.optional();
                    }
                    if let Some(d) = default {
                        builder = builder.default_value(d);
                    }
                    util::push_field(out, &name, builder.build())?;
                }
            }
        }
        Ok(())
    }

    /// `buildWithSchema`: a null nested struct leaves its fields null.
    fn build_value(
        &self,
        value: &Struct,
        prefix: &str,
        out: &mut Struct,
    ) -> Result<(), ConnectError> {
        for field in &value.schema().fields {
            let name = self.name(prefix, &field.name);
            match field.schema.schema_type {
                SchemaType::Struct => {
                    // Struct.getStruct reads the raw value, without the default.
                    if let Some(Value::Struct(nested)) = value.values().get(field.index) {
                        self.build_value(nested, &name, out)?;
                    }
                }
                SchemaType::Map => return Err(unsupported("MAP", &name, true)),
                _ => {
                    let v = field_value(value, field, true);
                    let schema = Arc::clone(out.schema());
                    let target = util::lookup_field(&schema, &name)?;
                    util::check_put(&name, &target.schema, &v)?;
                    out.put_index(target.index, v);
                }
            }
        }
        Ok(())
    }

    fn updated_schema(&self, schema: &SchemaRef) -> Result<SchemaRef, ConnectError> {
        let mut out = util::copy_schema_basics_into(schema, Schema::struct_builder()).into_schema();
        let default = match &schema.default {
            Some(Value::Struct(s)) => Some(s),
            _ => None,
        };
        self.build_schema(schema, "", &mut out, schema.optional, default)?;
        Ok(Arc::new(out))
    }
}

impl Transformation for Flatten {
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        self.side
            .apply_unless_null(record, |operating, _| self.flatten(operating))
    }
}

impl Flatten {
    fn flatten(&mut self, operating: SchemaAndValue) -> Result<SchemaAndValue, ConnectError> {
        let SchemaAndValue { schema, value } = operating;
        Ok(match schema {
            None => {
                let map = util::require_map(value, PURPOSE)?;
                let mut out = Vec::with_capacity(map.len());
                self.names.flatten_map(map, "", &mut out)?;
                SchemaAndValue::schemaless(Value::Map(out))
            }
            Some(schema) => {
                let value = util::require_struct(&value, Some(&schema), PURPOSE)?;
                let names = &self.names;
                let updated_schema = self
                    .cache
                    .get_or_try_insert(&schema, |s| names.updated_schema(s))?;
                let mut out = Struct::new(updated_schema.clone());
                self.names.build_value(value, "", &mut out)?;
                SchemaAndValue::new(Some(updated_schema), Value::Struct(out))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::record;

    fn flatten(delimiter: &str) -> Box<dyn Transformation> {
        create(
            Side::Value,
            &[("delimiter".to_owned(), delimiter.to_owned())].into(),
        )
        .unwrap()
    }

    #[test]
    fn nested_struct_fields_are_lifted_with_joined_names() {
        let inner = Schema::struct_builder()
            .optional()
            .field("b", Schema::int32())
            .build();
        let outer = Schema::struct_builder()
            .name("Outer")
            .field("a", inner.clone())
            .field("c", Schema::string())
            .build();
        let value = Struct::new(outer.clone())
            .with("a", Struct::new(inner).with("b", 1))
            .with("c", "x");
        let out = flatten("_")
            .apply(record(SchemaAndValue::new(Some(outer), value.into())))
            .unwrap()
            .unwrap();
        let schema = out.value.schema.unwrap();
        let names: Vec<_> = schema.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a_b", "c"]);
        // The parent is optional, so its flattened children are too.
        assert!(schema.fields[0].schema.optional);
        assert_eq!(schema.name.as_deref(), Some("Outer"));
        assert_eq!(
            out.value.value.as_struct().unwrap().get("a_b"),
            Some(&Value::Int32(1))
        );
    }

    #[test]
    fn nested_schemaless_maps_are_flattened() {
        let value = Value::Map(vec![
            ("a".into(), Value::Map(vec![("b".into(), Value::Int64(1))])),
            ("c".into(), Value::Array(vec![Value::Int64(2)])),
        ]);
        let out = flatten(".")
            .apply(record(SchemaAndValue::schemaless(value)))
            .unwrap()
            .unwrap();
        assert_eq!(
            out.value.value,
            Value::Map(vec![
                ("a.b".into(), Value::Int64(1)),
                ("c".into(), Value::Array(vec![Value::Int64(2)]))
            ])
        );
    }

    #[test]
    fn a_map_field_with_a_schema_is_refused() {
        let schema = Schema::struct_builder()
            .field(
                "m",
                connect_api::SchemaBuilder::map(Schema::string(), Schema::string()).build(),
            )
            .build();
        let value = Struct::new(schema.clone()).with("m", Value::Map(Vec::new()));
        let err = flatten(".")
            .apply(record(SchemaAndValue::new(Some(schema), value.into())))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Flatten transformation does not support MAP for record with schemas (for field m)."
        );
    }
}
