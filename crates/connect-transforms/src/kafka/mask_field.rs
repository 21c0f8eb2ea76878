//! `org.apache.kafka.connect.transforms.MaskField`: replaces fields with their type's "null"
//! (0, false, "", empty list/map) or with a configured replacement.

use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};
use connect_api::data::Decimal;
use connect_api::{
    ConnectError, ConnectRecord, Props, Schema, SchemaAndValue, Struct, Transformation,
    TransformationPlugin, Value, java,
};

use super::support::{field_value, map_get, map_put};
use super::util::{self, Side};

const FIELDS: &str = "fields";
const REPLACEMENT: &str = "replacement";
const PURPOSE: &str = "mask fields";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(FIELDS, ConfigType::List, Importance::High, "Names of fields to mask.")
                .required(),
        )
        .define(
            ConfigKey::new(
                REPLACEMENT,
                ConfigType::String,
                Importance::Low,
                "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty string values only).",
            )
            .validator(Validator::NonEmptyString),
        )
        .define(util::replace_null_with_default_key())
        .build()
});

/// The `$Key` and `$Value` plugins.
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!("MaskField", &CONFIG_DEF, create)
}

fn create(side: Side, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let parsed = util::parse_config(&CONFIG_DEF, props)?;
    let mut fields = util::non_empty_list(&parsed, FIELDS)?;
    // Kafka keeps them in a HashSet.
    let mut seen = std::collections::HashSet::new();
    fields.retain(|f| seen.insert(f.clone()));
    Ok(Box::new(MaskField {
        side,
        fields,
        replacement: parsed.opt_string(REPLACEMENT).map(str::to_owned),
        replace_null_with_default: parsed.boolean(util::REPLACE_NULL_WITH_DEFAULT),
    }))
}

#[derive(Debug)]
struct MaskField {
    side: Side,
    fields: Vec<String>,
    replacement: Option<String>,
    replace_null_with_default: bool,
}

/// `Values.convertToLong(null, text)` (`new BigDecimal(text).longValue()`) or
/// `convertToDouble`: `number` turns the parsed decimal into the wanted type.
fn replacement_number<T>(
    text: &str,
    number: impl FnOnce(&num_bigint::BigInt, i32) -> T,
) -> Result<T, ConnectError> {
    java::parse_big_decimal(text)
        .map(|(u, s)| number(&u, s))
        .ok_or_else(|| {
            util::data_error(format!(
                "Unable to convert {text} (class java.lang.String) to a number"
            ))
        })
}

impl MaskField {
    fn mask(&self, operating: SchemaAndValue) -> Result<SchemaAndValue, ConnectError> {
        let SchemaAndValue { schema, value } = operating;
        Ok(match schema {
            None => {
                // `fields` holds each name once, so the entry being replaced is the original.
                let mut out = util::require_map(value, PURPOSE)?;
                for f in &self.fields {
                    let original = map_get(&out, f).cloned().unwrap_or(Value::Null);
                    map_put(&mut out, f, self.masked(original, None)?);
                }
                SchemaAndValue::schemaless(Value::Map(out))
            }
            Some(schema) => {
                let value = util::require_struct(&value, Some(&schema), PURPOSE)?;
                let mut out = Struct::new(value.schema().clone());
                for field in &value.schema().fields {
                    let original = field_value(value, field, self.replace_null_with_default);
                    let v = if self.fields.contains(&field.name) {
                        self.masked(original, Some(&field.schema))?
                    } else {
                        original
                    };
                    util::check_put(&field.name, &field.schema, &v)?;
                    out.put_index(field.index, v);
                }
                SchemaAndValue::new(Some(schema), Value::Struct(out))
            }
        })
    }

    /// `masked(value)`; `schema` is the field's, for the Java class logical types have.
    fn masked(&self, value: Value, schema: Option<&Schema>) -> Result<Value, ConnectError> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let class = util::java_class_name(&value, schema);
        match &self.replacement {
            None => Ok(match (class, value) {
                ("java.lang.Boolean", _) => Value::Boolean(false),
                (_, Value::Int8(_)) => Value::Int8(0),
                (_, Value::Int16(_)) => Value::Int16(0),
                (_, Value::Int32(_)) => Value::Int32(0),
                (_, Value::Int64(_)) => Value::Int64(0),
                (_, Value::Float32(_)) => Value::Float32(0.0),
                (_, Value::Float64(_)) => Value::Float64(0.0),
                (_, Value::String(_)) => Value::String(String::new()),
                (_, Value::Array(_)) => Value::Array(Vec::new()),
                (_, Value::Map(_)) => Value::Map(Vec::new()),
                ("java.math.BigDecimal", Value::Bytes(_)) => {
                    // BigDecimal.ZERO has scale 0, which JsonConverter refuses for another scale.
                    decimal(&num_bigint::BigInt::from(0u8), 0, schema)?
                }
                (class, _) => {
                    return Err(util::data_error(format!(
                        "Cannot mask value of type: class {class}"
                    )));
                }
            }),
            Some(text) => Ok(match (class, value) {
                (
                    "java.lang.Byte" | "java.lang.Short" | "java.lang.Integer" | "java.lang.Long",
                    v,
                ) => {
                    let n = replacement_number(text, util::big_decimal_long_value)?;
                    match v {
                        Value::Int8(_) => Value::Int8(n as i8),
                        Value::Int16(_) => Value::Int16(n as i16),
                        Value::Int32(_) => Value::Int32(n as i32),
                        _ => Value::Int64(n),
                    }
                }
                ("java.lang.Float", _) => {
                    Value::Float32(replacement_number(text, util::big_decimal_double_value)? as f32)
                }
                ("java.lang.Double", _) => {
                    Value::Float64(replacement_number(text, util::big_decimal_double_value)?)
                }
                ("java.lang.String", _) => Value::String(text.clone()),
                ("java.math.BigDecimal", _) => {
                    let (unscaled, scale) = java::parse_big_decimal(text).ok_or_else(|| {
                        util::data_error(format!(
                            "Unable to convert {text} (class java.lang.String) to number"
                        ))
                    })?;
                    decimal(&unscaled, scale, schema)?
                }
                (class, _) => {
                    return Err(util::data_error(format!(
                        "Cannot mask value of type class {class} with custom replacement."
                    )));
                }
            }),
        }
    }
}

/// A `BigDecimal` put into a decimal field: its scale must be the schema's, as
/// `Decimal.fromLogical` (run by the converter) demands.
fn decimal(
    unscaled: &num_bigint::BigInt,
    scale: i32,
    schema: Option<&Schema>,
) -> Result<Value, ConnectError> {
    let schema_scale = schema
        .and_then(|s| s.parameter(Decimal::SCALE_FIELD))
        .and_then(|s| s.parse::<i32>().ok())
        .unwrap_or(0);
    if scale != schema_scale {
        return Err(util::data_error(format!(
            "Decimal value has mismatching scale for given Decimal schema. Schema has scale {schema_scale}, value has scale {scale}."
        )));
    }
    Ok(Value::Bytes(Decimal::encode(unscaled)))
}

impl Transformation for MaskField {
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        self.side.apply(record, |operating, _| self.mask(operating))
    }
}

#[cfg(test)]
mod tests {
    use crate::kafka::util::props;
    use crate::test_support::record;
    use connect_api::data::Timestamp;

    use super::*;

    fn masked(
        fields: &str,
        replacement: Option<&str>,
        value: SchemaAndValue,
    ) -> Result<Struct, ConnectError> {
        let mut p = props(&[("fields", fields)]);
        if let Some(r) = replacement {
            p.insert("replacement".into(), r.into());
        }
        let out = create(Side::Value, &p)?.apply(record(value))?.unwrap();
        Ok(out.value.value.as_struct().unwrap().clone())
    }

    fn row() -> SchemaAndValue {
        let schema = Schema::struct_builder()
            .field("n", Schema::int32())
            .field("s", Schema::string())
            .field("ts", Timestamp::builder().build())
            .field("b", Schema::boolean())
            .build();
        let value = Struct::new(schema.clone())
            .with("n", 42)
            .with("s", "secret")
            .with("ts", 1_700_000_000_000_i64)
            .with("b", true);
        SchemaAndValue::new(Some(schema), value.into())
    }

    #[test]
    fn masked_fields_take_their_types_zero_value() {
        let s = masked("n,s,ts,b", None, row()).unwrap();
        assert_eq!(s.get("n"), Some(&Value::Int32(0)));
        assert_eq!(s.get("s"), Some(&Value::from("")));
        assert_eq!(s.get("ts"), Some(&Value::Int64(0)));
        assert_eq!(s.get("b"), Some(&Value::Boolean(false)));
    }

    #[test]
    fn a_numeric_replacement_is_converted_to_the_field_type() {
        let s = masked("n,s", Some("12.9"), row()).unwrap();
        assert_eq!(s.get("n"), Some(&Value::Int32(12)));
        assert_eq!(s.get("s"), Some(&Value::from("12.9")));
    }

    #[test]
    fn a_replacement_for_a_timestamp_is_refused() {
        let err = masked("ts", Some("1"), row()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Cannot mask value of type class java.util.Date with custom replacement."
        );
    }

    #[test]
    fn a_text_replacement_for_a_number_is_refused_with_kafkas_text() {
        let err = masked("n", Some("abc"), row()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Unable to convert abc (class java.lang.String) to a number"
        );
    }
}
