//! `org.apache.kafka.connect.transforms.Cast`: casts fields, or the whole key/value, to another
//! primitive type with Java's narrowing and parsing rules.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use base64::Engine as _;
use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use connect_api::data::{Date, Decimal, Time, Timestamp};
use connect_api::{
    ConnectError, ConnectRecord, Props, Schema, SchemaAndValue, SchemaBuilder, SchemaRef,
    SchemaType, Struct, Transformation, TransformationPlugin, Value, java,
};
use num_bigint::BigInt;

use super::simple_date_format::SimpleDateFormat;
use super::support::{field_value, map_get, map_put};
use super::util::{self, SchemaCache, Side};

const SPEC: &str = "spec";
const PURPOSE: &str = "cast types";
const MILLIS_PER_DAY: i64 = 86_400_000;

const INPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]";
const OUTPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                SPEC,
                ConfigType::List,
                Importance::High,
                "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, float64, boolean, and string. Note that binary fields can only be cast to string.",
            )
            .required(),
        )
        .define(util::replace_null_with_default_key())
        .build()
});

/// The `$Key` and `$Value` plugins.
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!("Cast", &CONFIG_DEF, create)
}

/// What the spec asks for.
#[derive(Debug, Clone, PartialEq)]
enum Casts {
    Whole(SchemaType),
    Fields(HashMap<String, SchemaType>),
}

/// `Schema.Type.valueOf(name.toUpperCase())`.
fn schema_type(name: &str) -> Option<SchemaType> {
    Some(match name.to_uppercase().as_str() {
        "INT8" => SchemaType::Int8,
        "INT16" => SchemaType::Int16,
        "INT32" => SchemaType::Int32,
        "INT64" => SchemaType::Int64,
        "FLOAT32" => SchemaType::Float32,
        "FLOAT64" => SchemaType::Float64,
        "BOOLEAN" => SchemaType::Boolean,
        "STRING" => SchemaType::String,
        "BYTES" => SchemaType::Bytes,
        "ARRAY" => SchemaType::Array,
        "MAP" => SchemaType::Map,
        "STRUCT" => SchemaType::Struct,
        _ => return None,
    })
}

fn valid_output(t: SchemaType) -> Result<SchemaType, ConnectError> {
    if matches!(
        t,
        SchemaType::Bytes | SchemaType::Array | SchemaType::Map | SchemaType::Struct
    ) {
        return Err(util::config_error(
            SPEC,
            format!(
                "Cast transformation does not support casting to {}; supported types are {OUTPUT_TYPES}",
                util::java_type_name(t)
            ),
        ));
    }
    Ok(t)
}

/// `parseFieldTypes`, with its exceptions' texts.
fn parse_casts(mappings: &[String]) -> Result<Casts, ConnectError> {
    if mappings.is_empty() {
        return Err(util::config_error(
            SPEC,
            "Must specify at least one field to cast.",
        ));
    }
    // Java wraps the enum lookup's exception with `ConfigException(message, cause)`, which is
    // its (name, value) constructor: the texts come out swapped.
    let parse = |name: &str| {
        schema_type(name).ok_or_else(|| {
            util::config_error(
                SPEC,
                format!(
                    "Invalid value java.lang.IllegalArgumentException: No enum constant org.apache.kafka.connect.data.Schema.Type.{} for configuration Invalid type found in casting spec: {name}",
                    name.to_uppercase()
                ),
            )
        })
    };
    let mut fields = HashMap::new();
    let mut whole = None;
    for mapping in mappings {
        let parts = java::split(mapping, ':');
        match parts.as_slice() {
            [t] => whole = Some(valid_output(parse(t.trim())?)?),
            [field, t] => {
                let t = valid_output(parse(t.trim())?)?;
                fields.insert(field.trim().to_owned(), t);
            }
            // `":"` splits to nothing, and Java then indexes past the end.
            [] => {
                return Err(util::config_error(
                    SPEC,
                    "Index 1 out of bounds for length 0",
                ));
            }
            _ => {
                return Err(util::invalid_value(
                    "renames",
                    &util::java_list(mappings),
                    &format!("Invalid rename mapping: {mapping}"),
                ));
            }
        }
    }
    match whole {
        Some(_) if mappings.len() > 1 => Err(util::config_error(
            SPEC,
            "Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec",
        )),
        Some(t) => Ok(Casts::Whole(t)),
        None => Ok(Casts::Fields(fields)),
    }
}

fn create(side: Side, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let parsed = util::parse_config(&CONFIG_DEF, props)?;
    Ok(Box::new(Cast {
        side,
        casts: parse_casts(parsed.list(SPEC))?,
        replace_null_with_default: parsed.boolean(util::REPLACE_NULL_WITH_DEFAULT),
        cache: SchemaCache::default(),
    }))
}

#[derive(Debug)]
struct Cast {
    side: Side,
    casts: Casts,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

/// A value as the Java object `castValueToType` sees.
enum JavaValue {
    /// Byte, Short, Integer or Long.
    Integral(i64),
    Float(f32),
    Double(f64),
    BigDecimal(BigInt, i32),
    Boolean(bool),
    Text(String),
    Bytes(bytes::Bytes),
    /// `java.util.Date` (only reaches a cast to STRING), in epoch milliseconds.
    Date(i64),
}

impl JavaValue {
    fn class(&self) -> &'static str {
        match self {
            Self::Integral(_) => "java.lang.Long",
            Self::Float(_) => "java.lang.Float",
            Self::Double(_) => "java.lang.Double",
            Self::BigDecimal(..) => "java.math.BigDecimal",
            Self::Boolean(_) => "java.lang.Boolean",
            Self::Text(_) => "java.lang.String",
            Self::Bytes(_) => "[B",
            Self::Date(_) => "java.util.Date",
        }
    }

    /// `Number.longValue()`.
    fn long_value(&self) -> Option<i64> {
        Some(match self {
            Self::Integral(v) => *v,
            // Java's float-to-long conversion saturates and maps NaN to 0, as `as` does.
            Self::Float(v) => *v as i64,
            Self::Double(v) => *v as i64,
            Self::BigDecimal(u, s) => util::big_decimal_long_value(u, *s),
            _ => return None,
        })
    }

    /// `Number.intValue()`.
    fn int_value(&self) -> Option<i32> {
        Some(match self {
            Self::Integral(v) => *v as i32,
            Self::Float(v) => *v as i32,
            Self::Double(v) => *v as i32,
            Self::BigDecimal(u, s) => util::big_decimal_long_value(u, *s) as i32,
            _ => return None,
        })
    }

    /// `Number.doubleValue()`.
    fn double_value(&self) -> Option<f64> {
        Some(match self {
            Self::Integral(v) => *v as f64,
            Self::Float(v) => f64::from(*v),
            Self::Double(v) => *v,
            Self::BigDecimal(u, s) => util::big_decimal_double_value(u, *s),
            _ => return None,
        })
    }

    /// `Number.floatValue()` (correctly rounded from the exact value, not via a double).
    fn float_value(&self) -> Option<f32> {
        Some(match self {
            Self::Integral(v) => *v as f32,
            Self::Float(v) => *v,
            Self::Double(v) => *v as f32,
            Self::BigDecimal(u, s) => format!("{u}e{}", -i64::from(*s))
                .parse()
                .unwrap_or(f32::NAN),
            _ => return None,
        })
    }
}

/// The Java object a Connect value is, once `encodeLogicalType` ran (for casts to anything but
/// STRING the temporal types are their epoch numbers).
fn java_value(value: Value, schema: Option<&Schema>, target: SchemaType) -> JavaValue {
    let name = schema.and_then(|s| s.name.as_deref());
    let encode = target != SchemaType::String;
    match value {
        Value::Int32(days) if name == Some(Date::LOGICAL_NAME) && !encode => {
            JavaValue::Date(i64::from(days) * MILLIS_PER_DAY)
        }
        Value::Int32(millis) if name == Some(Time::LOGICAL_NAME) && !encode => {
            JavaValue::Date(i64::from(millis))
        }
        Value::Int64(millis) if name == Some(Timestamp::LOGICAL_NAME) && !encode => {
            JavaValue::Date(millis)
        }
        Value::Bytes(b) if name == Some(Decimal::LOGICAL_NAME) => match schema {
            Some(s) => {
                let (unscaled, scale) = util::decimal_parts(&b, s);
                JavaValue::BigDecimal(unscaled, scale)
            }
            None => JavaValue::Bytes(b),
        },
        Value::Int8(v) => JavaValue::Integral(v.into()),
        Value::Int16(v) => JavaValue::Integral(v.into()),
        Value::Int32(v) => JavaValue::Integral(v.into()),
        Value::Int64(v) => JavaValue::Integral(v),
        Value::Float32(v) => JavaValue::Float(v),
        Value::Float64(v) => JavaValue::Double(v),
        Value::Boolean(v) => JavaValue::Boolean(v),
        Value::String(v) => JavaValue::Text(v),
        Value::Bytes(b) => JavaValue::Bytes(b),
        // The input type check refuses the rest before they get here.
        _ => JavaValue::Text(String::new()),
    }
}

fn out_of_range(text: &str) -> ConnectError {
    util::data_error(format!(
        "Value ({text}) was out of range for requested data type"
    ))
}

/// `Long.parseLong`-style: optional sign, ASCII digits, within `[min, max]`.
fn parse_integral(text: &str, min: i64, max: i64) -> Result<i64, ConnectError> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(out_of_range(text));
    }
    text.parse::<i64>()
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| out_of_range(text))
}

/// `Double.parseDouble`: trimmed, optional sign, `NaN`/`Infinity`, decimal digits with an
/// optional exponent and an optional `f`/`d` suffix. Hexadecimal literals are not accepted.
fn parse_floating(text: &str) -> Result<f64, ConnectError> {
    let trimmed = connect_api::java::trim(text);
    let (negative, body) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let magnitude = match body {
        "NaN" => f64::NAN,
        "Infinity" => f64::INFINITY,
        _ => {
            let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
            let (mantissa, exponent) = match body.find(['e', 'E']) {
                Some(i) => (&body[..i], Some(&body[i + 1..])),
                None => (body, None),
            };
            let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
            let digits_ok = (!int.is_empty() || !frac.is_empty())
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit());
            let exponent_ok = exponent.is_none_or(|e| {
                let e = e.strip_prefix(['+', '-']).unwrap_or(e);
                !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
            });
            if !digits_ok || !exponent_ok {
                return Err(out_of_range(text));
            }
            body.parse::<f64>().map_err(|_| out_of_range(text))?
        }
    };
    Ok(if negative { -magnitude } else { magnitude })
}

/// `Float.parseFloat`: as [`parse_floating`] but rounded once, straight to a float.
fn parse_float32(text: &str) -> Result<f32, ConnectError> {
    let v = parse_floating(text)?;
    if !v.is_finite() {
        return Ok(v as f32);
    }
    let trimmed = connect_api::java::trim(text);
    let body = trimmed
        .strip_suffix(['f', 'F', 'd', 'D'])
        .unwrap_or(trimmed);
    body.parse::<f32>().map_err(|_| out_of_range(text))
}

/// `Values.dateFormatFor(date).format(date)` in UTC.
fn format_date(millis: i64) -> String {
    let pattern = if millis < MILLIS_PER_DAY {
        "HH:mm:ss.SSS'Z'"
    } else if millis % MILLIS_PER_DAY == 0 {
        "yyyy-MM-dd"
    } else {
        "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
    };
    SimpleDateFormat::new(pattern).map_or_else(|_| String::new(), |f| f.format(millis))
}

/// `castValueToType(schema, value, targetType)`.
fn cast_value(
    schema: Option<&Schema>,
    value: Value,
    target: SchemaType,
) -> Result<Value, ConnectError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let inferred = match schema {
        Some(s) => s.schema_type,
        None => value.inferred_type().unwrap_or(SchemaType::String),
    };
    if matches!(
        inferred,
        SchemaType::Array | SchemaType::Map | SchemaType::Struct
    ) {
        return Err(util::data_error(format!(
            "Cast transformation does not support casting from {}; supported types are {INPUT_TYPES}",
            util::java_type_name(inferred)
        )));
    }
    let v = java_value(value, schema, target);
    let unexpected = |v: &JavaValue| {
        util::data_error(format!(
            "Unexpected type in Cast transformation: class {}",
            v.class()
        ))
    };
    Ok(match target {
        SchemaType::Int8 => Value::Int8(match &v {
            JavaValue::Boolean(b) => i8::from(*b),
            JavaValue::Text(t) => parse_integral(t, i8::MIN.into(), i8::MAX.into())? as i8,
            n => n.int_value().ok_or_else(|| unexpected(n))? as i8,
        }),
        SchemaType::Int16 => Value::Int16(match &v {
            JavaValue::Boolean(b) => i16::from(*b),
            JavaValue::Text(t) => parse_integral(t, i16::MIN.into(), i16::MAX.into())? as i16,
            n => n.int_value().ok_or_else(|| unexpected(n))? as i16,
        }),
        SchemaType::Int32 => Value::Int32(match &v {
            JavaValue::Boolean(b) => i32::from(*b),
            JavaValue::Text(t) => parse_integral(t, i32::MIN.into(), i32::MAX.into())? as i32,
            n => n.int_value().ok_or_else(|| unexpected(n))?,
        }),
        SchemaType::Int64 => Value::Int64(match &v {
            JavaValue::Boolean(b) => i64::from(*b),
            JavaValue::Text(t) => parse_integral(t, i64::MIN, i64::MAX)?,
            n => n.long_value().ok_or_else(|| unexpected(n))?,
        }),
        SchemaType::Float32 => Value::Float32(match &v {
            JavaValue::Boolean(b) => f32::from(u8::from(*b)),
            JavaValue::Text(t) => parse_float32(t)?,
            n => n.float_value().ok_or_else(|| unexpected(n))?,
        }),
        SchemaType::Float64 => Value::Float64(match &v {
            JavaValue::Boolean(b) => f64::from(u8::from(*b)),
            JavaValue::Text(t) => parse_floating(t)?,
            n => n.double_value().ok_or_else(|| unexpected(n))?,
        }),
        SchemaType::Boolean => Value::Boolean(match &v {
            JavaValue::Boolean(b) => *b,
            JavaValue::Text(t) => t.eq_ignore_ascii_case("true"),
            n => n.long_value().ok_or_else(|| unexpected(n))? != 0,
        }),
        SchemaType::String => Value::String(match v {
            JavaValue::Date(millis) => format_date(millis),
            JavaValue::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(&b),
            JavaValue::Integral(n) => n.to_string(),
            JavaValue::Float(f) => java::float_to_string(f),
            JavaValue::Double(d) => java::double_to_string(d),
            JavaValue::BigDecimal(u, s) => java::big_decimal_to_string(&u, s),
            JavaValue::Boolean(b) => b.to_string(),
            JavaValue::Text(t) => t,
        }),
        other => {
            return Err(util::data_error(format!(
                "{} is not supported in the Cast transformation.",
                util::java_type_name(other)
            )));
        }
    })
}

impl Casts {
    /// `getOrBuildSchema`, without the cache.
    fn updated_schema(&self, source: &SchemaRef) -> Result<SchemaRef, ConnectError> {
        let mut out = match self {
            Casts::Whole(t) => {
                util::copy_schema_basics_into(source, SchemaBuilder::new(*t)).into_schema()
            }
            Casts::Fields(casts) => {
                if source.schema_type != SchemaType::Struct {
                    return Err(util::data_error("Cannot list fields on non-struct type"));
                }
                let mut out =
                    util::copy_schema_basics_into(source, Schema::struct_builder()).into_schema();
                for field in &source.fields {
                    let schema = match casts.get(&field.name) {
                        Some(t) => {
                            let mut b = SchemaBuilder::new(*t);
                            if field.schema.optional {
                                b = b.optional();
                            }
                            if let Some(d) = &field.schema.default {
                                b = b.default_value(cast_value(
                                    Some(&field.schema),
                                    d.clone(),
                                    *t,
                                )?);
                            }
                            b.build()
                        }
                        None => field.schema.clone(),
                    };
                    util::push_field(&mut out, &field.name, schema)?;
                }
                out
            }
        };
        if source.optional {
            out.optional = true;
        }
        if let Some(d) = &source.default {
            out.default = Some(cast_value(Some(source), d.clone(), out.schema_type)?);
        }
        Ok(Arc::new(out))
    }
}

/// A whole-value cast keeps the source schema's name, so a Date, Time or Timestamp cast to a
/// number still carries the logical name, and Kafka's `JsonConverter` then refuses the number
/// (`expected Date`). Sluice's model holds temporal values as numbers, so the refusal is made
/// here, with the converter's text.
fn check_temporal_name(schema: &Schema, value: &Value) -> Result<(), ConnectError> {
    let logical = match schema.name.as_deref() {
        Some(Date::LOGICAL_NAME) => "Date",
        Some(Time::LOGICAL_NAME) => "Time",
        Some(Timestamp::LOGICAL_NAME) => "Timestamp",
        _ => return Ok(()),
    };
    if value.is_null() || schema.schema_type == SchemaType::String {
        return Ok(());
    }
    Err(util::data_error(format!(
        "Invalid type for {logical}, expected Date but was class {}",
        util::java_class_name(value, None)
    )))
}

impl Transformation for Cast {
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        self.side
            .apply_unless_null(record, |operating, _| self.cast(operating))
    }
}

impl Cast {
    fn cast(&mut self, operating: SchemaAndValue) -> Result<SchemaAndValue, ConnectError> {
        let SchemaAndValue { schema, value } = operating;
        Ok(match (schema, &self.casts) {
            (None, Casts::Whole(t)) => SchemaAndValue::schemaless(cast_value(None, value, *t)?),
            (None, Casts::Fields(casts)) => {
                // Each field is cast once (the spec is a map), so reading the entry being
                // replaced reads the original value.
                let mut out = util::require_map(value, PURPOSE)?;
                for (field, t) in casts {
                    let original = map_get(&out, field).cloned().unwrap_or(Value::Null);
                    map_put(&mut out, field, cast_value(None, original, *t)?);
                }
                SchemaAndValue::schemaless(Value::Map(out))
            }
            (Some(schema), casts) => {
                let updated_schema = self
                    .cache
                    .get_or_try_insert(&schema, |s| casts.updated_schema(s))?;
                match casts {
                    Casts::Whole(t) => {
                        let v = cast_value(Some(&schema), value, *t)?;
                        check_temporal_name(&updated_schema, &v)?;
                        SchemaAndValue::new(Some(updated_schema), v)
                    }
                    Casts::Fields(casts) => {
                        let value = util::require_struct(&value, Some(&schema), PURPOSE)?;
                        let mut out = Struct::new(updated_schema.clone());
                        for field in &value.schema().fields {
                            let original =
                                field_value(value, field, self.replace_null_with_default);
                            let v = match casts.get(&field.name) {
                                Some(t) => cast_value(Some(&field.schema), original, *t)?,
                                None => original,
                            };
                            let Some(target) = updated_schema.field(&field.name) else {
                                return Err(util::data_error("field cannot be null."));
                            };
                            util::check_put(&field.name, &target.schema, &v)?;
                            out.put_index(target.index, v);
                        }
                        SchemaAndValue::new(Some(updated_schema), Value::Struct(out))
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::record;

    fn spec(s: &str) -> Props {
        [("spec".to_owned(), s.to_owned())].into()
    }

    fn cast_whole(s: &str, value: SchemaAndValue) -> Result<SchemaAndValue, ConnectError> {
        Ok(create(Side::Value, &spec(s))?
            .apply(record(value))?
            .unwrap()
            .value)
    }

    #[test]
    fn integers_narrow_by_wrapping_as_java_does() {
        let out = cast_whole(
            "int8",
            SchemaAndValue::new(Some(Schema::int32()), Value::Int32(300)),
        )
        .unwrap();
        assert_eq!(out.value, Value::Int8(44));
        assert_eq!(out.schema.unwrap().schema_type, SchemaType::Int8);
    }

    #[test]
    fn doubles_become_java_text() {
        let out = cast_whole(
            "string",
            SchemaAndValue::new(Some(Schema::float64()), Value::Float64(1.0e10)),
        )
        .unwrap();
        assert_eq!(out.value, Value::from("1.0E10"));
    }

    #[test]
    fn a_decimal_field_casts_to_its_plain_text_and_to_a_truncated_integer() {
        let schema = Schema::struct_builder()
            .field("d", Decimal::schema(2))
            .field("e", Decimal::schema(2))
            .build();
        let value = Struct::new(schema.clone())
            .with("d", Value::Bytes(Decimal::encode(&BigInt::from(-12345))))
            .with("e", Value::Bytes(Decimal::encode(&BigInt::from(-12345))));
        let out = create(Side::Value, &spec("d:string,e:int32"))
            .unwrap()
            .apply(record(SchemaAndValue::new(Some(schema), value.into())))
            .unwrap()
            .unwrap();
        let s = out.value.value.as_struct().unwrap().clone();
        assert_eq!(s.get("d"), Some(&Value::from("-123.45")));
        assert_eq!(s.get("e"), Some(&Value::Int32(-123)));
    }

    #[test]
    fn a_timestamp_casts_to_iso_text_and_a_date_to_a_day() {
        let ts = Timestamp::builder().build();
        let out = cast_whole(
            "string",
            SchemaAndValue::new(Some(ts), Value::Int64(1_700_000_000_123)),
        )
        .unwrap();
        assert_eq!(out.value, Value::from("2023-11-14T22:13:20.123Z"));
        let date = Date::builder().build();
        let out = cast_whole(
            "string",
            SchemaAndValue::new(Some(date), Value::Int32(19675)),
        )
        .unwrap();
        assert_eq!(out.value, Value::from("2023-11-14"));
    }

    #[test]
    fn text_that_is_not_a_number_is_out_of_range() {
        let err = cast_whole("int32", SchemaAndValue::schemaless("12x".into())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Value (12x) was out of range for requested data type"
        );
    }

    #[test]
    fn bytes_cast_to_base64_text() {
        let out = cast_whole(
            "string",
            SchemaAndValue::new(Some(Schema::bytes()), Value::Bytes(vec![0, 1, 2].into())),
        )
        .unwrap();
        assert_eq!(out.value, Value::from("AAEC"));
    }

    #[test]
    fn spec_errors_carry_kafkas_texts() {
        let text = |s: &str| create(Side::Value, &spec(s)).unwrap_err().to_string();
        let prefix = "connector configuration is invalid: ";
        assert_eq!(
            text("a:bytes"),
            format!(
                "{prefix}Cast transformation does not support casting to BYTES; supported types are {OUTPUT_TYPES}"
            )
        );
        assert_eq!(
            text("a:float"),
            format!(
                "{prefix}Invalid value java.lang.IllegalArgumentException: No enum constant org.apache.kafka.connect.data.Schema.Type.FLOAT for configuration Invalid type found in casting spec: float"
            )
        );
        assert_eq!(
            text("int8,a:int16"),
            format!(
                "{prefix}Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec"
            )
        );
        assert_eq!(
            text("a:b:c"),
            format!(
                "{prefix}Invalid value [a:b:c] for configuration renames: Invalid rename mapping: a:b:c"
            )
        );
    }

    #[test]
    fn a_schemaless_map_gets_missing_cast_fields_as_nulls() {
        let value = Value::Map(vec![("a".into(), Value::from("5"))]);
        let out = create(Side::Value, &spec("a:int16,b:int8"))
            .unwrap()
            .apply(record(SchemaAndValue::schemaless(value)))
            .unwrap()
            .unwrap();
        let Value::Map(entries) = out.value.value else {
            panic!("not a map")
        };
        assert_eq!(entries[0], ("a".into(), Value::Int16(5)));
        assert_eq!(entries[1], ("b".into(), Value::Null));
    }
}
