//! `org.apache.kafka.connect.transforms.TimestampConverter`: converts a timestamp (the whole key
//! or value, or one field of it) between Unix epoch numbers, formatted strings and Connect's
//! `Date`, `Time` and `Timestamp` logical types.

use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};
use connect_api::data::{Date, Time, Timestamp};
use connect_api::{
    ConnectError, ConnectRecord, Props, Schema, SchemaAndValue, SchemaRef, SchemaType, Struct,
    Transformation, TransformationPlugin, Value,
};

use super::simple_date_format::SimpleDateFormat;
use super::support::{field_value, map_get, map_put};
use super::util::{self, SchemaCache, Side};

const FIELD: &str = "field";
const TARGET_TYPE: &str = "target.type";
const FORMAT: &str = "format";
const UNIX_PRECISION: &str = "unix.precision";
const PURPOSE: &str = "converting timestamp formats";
const MILLIS_PER_DAY: i64 = 86_400_000;

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                FIELD,
                ConfigType::String,
                Importance::High,
                "The field containing the timestamp, or empty if the entire value is a timestamp",
            )
            .default(""),
        )
        .define(
            ConfigKey::new(
                TARGET_TYPE,
                ConfigType::String,
                Importance::High,
                "The desired timestamp representation: string, unix, Date, Time, or Timestamp",
            )
            .required()
            .validator(Validator::OneOf(&["string", "unix", "Date", "Time", "Timestamp"])),
        )
        .define(
            ConfigKey::new(
                FORMAT,
                ConfigType::String,
                Importance::Medium,
                "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string or used to parse the input if the input is a string.",
            )
            .default(""),
        )
        .define(
            ConfigKey::new(
                UNIX_PRECISION,
                ConfigType::String,
                Importance::Low,
                "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. Used to generate the output when type=unix or used to parse the input if the input is a Long.Note: This SMT will cause precision loss during conversions from, and to, values with sub-millisecond components.",
            )
            .default("milliseconds")
            .validator(Validator::OneOf(&[
                "nanoseconds",
                "microseconds",
                "milliseconds",
                "seconds",
            ])),
        )
        .define(util::replace_null_with_default_key())
        .build()
});

/// The `$Key` and `$Value` plugins.
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!("TimestampConverter", &CONFIG_DEF, create)
}

/// A timestamp representation (`TimestampTranslator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Unix,
    Date,
    Time,
    Timestamp,
}

impl Kind {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "string" => Self::String,
            "unix" => Self::Unix,
            "Date" => Self::Date,
            "Time" => Self::Time,
            "Timestamp" => Self::Timestamp,
            _ => return None,
        })
    }

    /// `typeSchema(isOptional)`.
    fn schema(self, optional: bool) -> SchemaRef {
        match self {
            Self::String => Schema::primitive(SchemaType::String, optional),
            Self::Unix => Schema::primitive(SchemaType::Int64, optional),
            Self::Date => Date::builder().optional_if(optional).build(),
            Self::Time => Time::builder().optional_if(optional).build(),
            Self::Timestamp => Timestamp::builder().optional_if(optional).build(),
        }
    }

    /// `timestampTypeFromSchema`.
    fn of_schema(schema: &Schema) -> Result<Self, ConnectError> {
        Ok(match (schema.name.as_deref(), schema.schema_type) {
            (Some(Timestamp::LOGICAL_NAME), _) => Self::Timestamp,
            (Some(Date::LOGICAL_NAME), _) => Self::Date,
            (Some(Time::LOGICAL_NAME), _) => Self::Time,
            (_, SchemaType::String) => Self::String,
            (_, SchemaType::Int64) => Self::Unix,
            _ => {
                return Err(util::java_exception(
                    "ConnectException",
                    format!(
                        "Schema {} does not correspond to a known timestamp type format",
                        schema_text(schema)
                    ),
                ));
            }
        })
    }
}

/// `ConnectSchema.toString()`: the name if there is one, else `Schema{TYPE}`.
fn schema_text(schema: &Schema) -> String {
    match &schema.name {
        Some(n) => format!("Schema{{{n}:{}}}", util::java_type_name(schema.schema_type)),
        None => format!("Schema{{{}}}", util::java_type_name(schema.schema_type)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

fn create(side: Side, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let config = util::parse_config(&CONFIG_DEF, props)?;
    let target = Kind::parse(config.string(TARGET_TYPE)).ok_or_else(|| {
        util::java_exception(
            "ConnectException",
            format!("Unsupported timestamp type: {}", config.string(TARGET_TYPE)),
        )
    })?;
    let pattern = config.string(FORMAT);
    if target == Kind::String && pattern.trim().is_empty() {
        return Err(util::config_error(
            FORMAT,
            "TimestampConverter requires format option to be specified when using string timestamps",
        ));
    }
    let format = if pattern.trim().is_empty() {
        None
    } else {
        // Kafka passes (message, cause) to `ConfigException(name, value)`, so the text reads
        // "Invalid value <cause> for configuration <message>".
        Some(SimpleDateFormat::new(pattern).map_err(|e| {
            util::config_error(FORMAT, format!(
                "Invalid value java.lang.IllegalArgumentException: {e} for configuration TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: {pattern}"
            ))
        })?)
    };
    let precision = match config.string(UNIX_PRECISION) {
        "seconds" => Precision::Seconds,
        "microseconds" => Precision::Micros,
        "nanoseconds" => Precision::Nanos,
        _ => Precision::Millis,
    };
    Ok(Box::new(TimestampConverter {
        side,
        field: config.string(FIELD).to_owned(),
        target,
        format,
        precision,
        replace_null_with_default: config.boolean(util::REPLACE_NULL_WITH_DEFAULT),
        cache: SchemaCache::default(),
    }))
}

#[derive(Debug)]
struct TimestampConverter {
    side: Side,
    field: String,
    target: Kind,
    format: Option<SimpleDateFormat>,
    precision: Precision,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

/// Java's `Class.toString()` for the object a schemaless or typed value is.
fn class_text(value: &Value, schema: Option<&Schema>) -> String {
    format!("class {}", util::java_class_name(value, schema))
}

impl TimestampConverter {
    /// `toRaw`: the instant in epoch milliseconds. `schema` is the value's own schema, if any.
    fn to_raw(
        &self,
        kind: Kind,
        value: &Value,
        schema: Option<&Schema>,
    ) -> Result<i64, ConnectError> {
        match (kind, value) {
            (Kind::String, Value::String(s)) => {
                let format = self.format.as_ref().ok_or_else(|| {
                    util::java_exception("NullPointerException", "Cannot invoke \"java.text.SimpleDateFormat.parse(String)\" because \"config.format\" is null")
                })?;
                format.parse(s).map_err(|()| {
                    util::data_error(format!(
                        "Could not parse timestamp: value ({s}) does not match pattern ({})",
                        format.pattern()
                    ))
                })
            }
            (Kind::String, other) => Err(util::data_error(format!(
                "Expected string timestamp to be a String, but found {}",
                class_text(other, schema)
            ))),
            (Kind::Unix, Value::Int64(v)) if !is_logical(schema) => Ok(match self.precision {
                Precision::Seconds => v.saturating_mul(1000),
                Precision::Millis => *v,
                Precision::Micros => v / 1000,
                Precision::Nanos => v / 1_000_000,
            }),
            (Kind::Unix, other) => Err(util::data_error(format!(
                "Expected Unix timestamp to be a Long, but found {}",
                class_text(other, schema)
            ))),
            (Kind::Date, Value::Int32(days)) if is_logical(schema) => {
                Ok(i64::from(*days) * MILLIS_PER_DAY)
            }
            (Kind::Time, Value::Int32(ms)) if is_logical(schema) => Ok(i64::from(*ms)),
            (Kind::Timestamp, Value::Int64(ms)) if is_logical(schema) => Ok(*ms),
            (Kind::Date | Kind::Time | Kind::Timestamp, other) => {
                let name = match kind {
                    Kind::Date => "Date",
                    Kind::Time => "Time",
                    _ => "Timestamp",
                };
                Err(util::data_error(format!(
                    "Expected {name} to be a java.util.Date, but found {}",
                    class_text(other, schema)
                )))
            }
        }
    }

    /// `toType`: the target representation of an instant.
    fn to_type(&self, millis: i64) -> Result<Value, ConnectError> {
        Ok(match self.target {
            Kind::String => match &self.format {
                Some(f) => Value::String(f.format(millis)),
                None => return Err(util::data_error("format is not set")),
            },
            Kind::Unix => Value::Int64(match self.precision {
                Precision::Seconds => millis / 1000,
                Precision::Millis => millis,
                Precision::Micros => millis.saturating_mul(1000),
                Precision::Nanos => millis.saturating_mul(1_000_000),
            }),
            Kind::Date => Value::Int32(
                i32::try_from(millis.div_euclid(MILLIS_PER_DAY))
                    .map_err(|_| util::data_error("Date out of range"))?,
            ),
            Kind::Time => Value::Int32(millis.rem_euclid(MILLIS_PER_DAY) as i32),
            Kind::Timestamp => Value::Int64(millis),
        })
    }

    /// `convertTimestamp(timestamp, format)`; `kind` `None` infers it from the Java type.
    fn convert(
        &self,
        value: Value,
        kind: Option<Kind>,
        schema: Option<&Schema>,
    ) -> Result<Value, ConnectError> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let kind = match kind {
            Some(k) => k,
            None => match &value {
                Value::Int64(_) => Kind::Unix,
                Value::String(_) => Kind::String,
                other => {
                    return Err(util::data_error(format!(
                        "TimestampConverter does not support {} objects as timestamps",
                        class_text(other, None)
                    )));
                }
            },
        };
        let millis = self.to_raw(kind, &value, schema)?;
        self.to_type(millis)
    }

    fn updated_schema(&self, schema: &SchemaRef) -> Result<SchemaRef, ConnectError> {
        if schema.schema_type != SchemaType::Struct {
            return Err(util::data_error("Cannot list fields on non-struct type"));
        }
        let mut b = util::copy_schema_basics_into(schema, Schema::struct_builder());
        for f in &schema.fields {
            let field_schema = if f.name == self.field {
                self.target.schema(f.schema.optional)
            } else {
                f.schema.clone()
            };
            b = b.field(f.name.clone(), field_schema);
        }
        if schema.optional {
            b = b.optional();
        }
        if let Some(Value::Struct(default)) = &schema.default {
            let shape = b.clone().build();
            b = b.default_value(Value::Struct(self.convert_struct(default, &shape)?));
        }
        Ok(b.build())
    }

    /// A converted schemaless value. Kafka leaves a `java.util.Date` there for the `Date`, `Time`
    /// and `Timestamp` targets, which no converter can write without a schema (`JsonConverter`
    /// fails with this text); Sluice's data model has no schemaless date, so the record fails
    /// here, in the transform, instead of one stage later.
    fn schemaless_result(&self, value: Value) -> Result<Value, ConnectError> {
        match (self.target, &value) {
            (_, Value::Null) | (Kind::String | Kind::Unix, _) => Ok(value),
            (Kind::Date | Kind::Time | Kind::Timestamp, _) => Err(util::data_error(
                "Java class class java.util.Date does not have corresponding schema type.",
            )),
        }
    }

    /// `applyValueWithSchema`.
    fn convert_struct(&self, value: &Struct, updated: &SchemaRef) -> Result<Struct, ConnectError> {
        let mut out = Struct::new(updated.clone());
        for f in &value.schema().fields {
            let v = field_value(value, f, self.replace_null_with_default);
            let v = if f.name == self.field {
                self.convert(v, Some(Kind::of_schema(&f.schema)?), Some(&f.schema))?
            } else {
                v
            };
            out.put(&f.name, v);
        }
        Ok(out)
    }

    fn convert_operating(
        &mut self,
        operating: SchemaAndValue,
    ) -> Result<SchemaAndValue, ConnectError> {
        let SchemaAndValue { schema, value } = operating;
        Ok(match schema {
            None if value.is_null() || self.field.is_empty() => SchemaAndValue::schemaless(
                self.schemaless_result(self.convert(value, None, None)?)?,
            ),
            None => {
                let mut updated = util::require_map(value, PURPOSE)?;
                let current = map_get(&updated, &self.field)
                    .cloned()
                    .unwrap_or(Value::Null);
                let converted = self.schemaless_result(self.convert(current, None, None)?)?;
                map_put(&mut updated, &self.field, converted);
                SchemaAndValue::schemaless(Value::Map(updated))
            }
            Some(schema) if self.field.is_empty() => {
                let updated_schema = self.target.schema(schema.optional);
                let kind = Kind::of_schema(&schema)?;
                let v = self.convert(value, Some(kind), Some(&schema))?;
                SchemaAndValue::new(Some(updated_schema), v)
            }
            Some(schema) => {
                let value = match &value {
                    Value::Null => None,
                    other => Some(util::require_struct(other, Some(&schema), PURPOSE)?),
                };
                let mut cache = std::mem::take(&mut self.cache);
                let updated_schema = cache.get_or_try_insert(&schema, |s| self.updated_schema(s));
                self.cache = cache;
                let updated_schema = updated_schema?;
                let v = match value {
                    None => Value::Null,
                    Some(s) => Value::Struct(self.convert_struct(s, &updated_schema)?),
                };
                SchemaAndValue::new(Some(updated_schema), v)
            }
        })
    }
}

fn is_logical(schema: Option<&Schema>) -> bool {
    matches!(
        schema.and_then(|s| s.name.as_deref()),
        Some(Date::LOGICAL_NAME | Time::LOGICAL_NAME | Timestamp::LOGICAL_NAME)
    )
}

impl Transformation for TimestampConverter {
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        self.side
            .apply(record, |operating, _| self.convert_operating(operating))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::util::props;
    use crate::test_support::record;

    fn create_with(
        side: Side,
        pairs: &[(&str, &str)],
    ) -> Result<Box<dyn Transformation>, ConnectError> {
        create(side, &props(pairs))
    }

    fn run(pairs: &[(&str, &str)], value: SchemaAndValue) -> Result<SchemaAndValue, ConnectError> {
        let mut t = create_with(Side::Value, pairs)?;
        Ok(t.apply(record(value))?.unwrap().value)
    }

    const T: i64 = 1_700_000_000_123;

    #[test]
    fn a_whole_timestamp_value_becomes_each_target_type() {
        let ts = SchemaAndValue::new(Some(Timestamp::builder().build()), Value::Int64(T));
        let out = run(
            &[(TARGET_TYPE, "string"), (FORMAT, "yyyy-MM-dd HH:mm:ss.SSS")],
            ts.clone(),
        )
        .unwrap();
        assert_eq!(out.value, Value::from("2023-11-14 22:13:20.123"));
        assert_eq!(out.schema.unwrap().schema_type, SchemaType::String);
        let out = run(
            &[(TARGET_TYPE, "unix"), (UNIX_PRECISION, "microseconds")],
            ts.clone(),
        )
        .unwrap();
        assert_eq!(out.value, Value::Int64(T * 1000));
        let out = run(&[(TARGET_TYPE, "Date")], ts.clone()).unwrap();
        assert_eq!(out.value, Value::Int32(19_675));
        assert_eq!(
            out.schema.unwrap().name.as_deref(),
            Some(Date::LOGICAL_NAME)
        );
        let out = run(&[(TARGET_TYPE, "Time")], ts).unwrap();
        assert_eq!(out.value, Value::Int32(80_000_123));
    }

    #[test]
    fn unix_input_honours_the_precision() {
        let v = SchemaAndValue::new(Some(Schema::int64()), Value::Int64(1_700_000_000_123_456));
        let out = run(
            &[(TARGET_TYPE, "Timestamp"), (UNIX_PRECISION, "microseconds")],
            v,
        )
        .unwrap();
        assert_eq!(out.value, Value::Int64(T));
        // TimeUnit.MICROSECONDS.toMillis truncates toward zero: -1500 µs is -1 ms.
        let v = SchemaAndValue::schemaless(Value::Int64(-1_500));
        let t = Timestamp::builder().build();
        let out = run(
            &[(TARGET_TYPE, "unix"), (UNIX_PRECISION, "microseconds")],
            SchemaAndValue::new(Some(t), Value::Int64(-1)),
        )
        .unwrap();
        assert_eq!(out.value, Value::Int64(-1000));
        let out = run(
            &[
                (TARGET_TYPE, "string"),
                (FORMAT, "ss.SSS"),
                (UNIX_PRECISION, "microseconds"),
            ],
            v,
        )
        .unwrap();
        assert_eq!(out.value, Value::from("59.999"));
    }

    #[test]
    fn a_field_of_a_struct_is_converted_and_the_schema_keeps_the_rest() {
        let schema = Schema::struct_builder()
            .name("row")
            .field("id", Schema::int32())
            .field("at", Schema::optional_string())
            .optional()
            .build();
        let s = Struct::new(schema.clone())
            .with("id", 1)
            .with("at", "2023-11-14");
        let out = run(
            &[
                (TARGET_TYPE, "Timestamp"),
                (FIELD, "at"),
                (FORMAT, "yyyy-MM-dd"),
            ],
            SchemaAndValue::new(Some(schema.clone()), Value::Struct(s)),
        )
        .unwrap();
        let s2 = out.schema.unwrap();
        assert!(s2.optional);
        assert_eq!(s2.name.as_deref(), Some("row"));
        assert_eq!(
            s2.fields[1].schema.name.as_deref(),
            Some(Timestamp::LOGICAL_NAME)
        );
        assert!(s2.fields[1].schema.optional);
        let v = out.value.as_struct().unwrap().clone();
        assert_eq!(v.get("at"), Some(&Value::Int64(1_699_920_000_000)));
        let null = run(
            &[
                (TARGET_TYPE, "Timestamp"),
                (FIELD, "at"),
                (FORMAT, "yyyy-MM-dd"),
            ],
            SchemaAndValue::new(Some(schema), Value::Null),
        )
        .unwrap();
        assert_eq!(null.value, Value::Null);
    }

    #[test]
    fn a_schemaless_map_field_is_converted_by_its_java_type() {
        let map = Value::Map(vec![
            (Value::from("at"), Value::Int64(T)),
            (Value::from("x"), Value::from(1)),
        ]);
        let out = run(
            &[(TARGET_TYPE, "string"), (FIELD, "at"), (FORMAT, "yyyy")],
            SchemaAndValue::schemaless(map),
        )
        .unwrap();
        assert_eq!(
            out.value,
            Value::Map(vec![
                (Value::from("at"), Value::from("2023")),
                (Value::from("x"), Value::from(1))
            ])
        );
        let err = run(
            &[(TARGET_TYPE, "unix")],
            SchemaAndValue::schemaless(Value::Int32(5)),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "TimestampConverter does not support class java.lang.Integer objects as timestamps"
        );
    }

    #[test]
    fn a_schemaless_date_result_fails_as_the_converter_would() {
        let err = run(
            &[(TARGET_TYPE, "Timestamp")],
            SchemaAndValue::schemaless(Value::Int64(T)),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Java class class java.util.Date does not have corresponding schema type."
        );
        let out = run(&[(TARGET_TYPE, "Date")], SchemaAndValue::NULL).unwrap();
        assert_eq!(out, SchemaAndValue::NULL);
    }

    #[test]
    fn an_unparseable_string_names_value_and_pattern() {
        let v = SchemaAndValue::new(Some(Schema::string()), Value::from("nope"));
        let err = run(&[(TARGET_TYPE, "unix"), (FORMAT, "yyyy-MM-dd")], v).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Could not parse timestamp: value (nope) does not match pattern (yyyy-MM-dd)"
        );
    }

    #[test]
    fn config_errors_match_kafka() {
        let message = |e: ConnectError| match e {
            ConnectError::Config(errors) => errors.to_string(),
            other => panic!("not a ConfigException: {other:?}"),
        };
        let err = create_with(Side::Value, &[(TARGET_TYPE, "string")]).unwrap_err();
        assert_eq!(
            message(err),
            "TimestampConverter requires format option to be specified when using string timestamps"
        );
        let err =
            create_with(Side::Value, &[(TARGET_TYPE, "unix"), (FORMAT, "yyyy-qq")]).unwrap_err();
        assert_eq!(
            message(err),
            "Invalid value java.lang.IllegalArgumentException: Illegal pattern character 'q' for configuration TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: yyyy-qq"
        );
    }
}
