//! Helpers shared by Kafka's transforms (and Debezium's, which run on Kafka's classes): the
//! `$Key`/`$Value` plumbing ([`Side::apply`], [`plugins!`]), config parsing, `Requirements`,
//! `Struct.lookupField`/`put` and `SchemaBuilder.field`, `SchemaUtil`, Java class names for
//! error texts, and the schema caches.

use std::sync::Arc;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use connect_api::connector::PluginKind;
use connect_api::data::{Date, Decimal, Time, Timestamp};
use connect_api::{
    ConnectError, ConnectRecord, Field, ParsedConfig, PluginDescriptor, Props, Schema,
    SchemaAndValue, SchemaBuilder, SchemaRef, SchemaType, Transformation, TransformationPlugin,
    Value,
};

// Java's regex `matches()`/`replaceFirst` rules, shared with Debezium's routers.
pub(crate) use super::regex_router::replace_first;
pub(crate) use super::support::JavaPattern;

/// The Kafka release whose transforms these are; reported as each plugin's version.
pub(crate) const KAFKA_VERSION: &str = "3.9.0";

/// Which part of the record a `$Key` or `$Value` variant works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Key,
    Value,
}

impl Side {
    /// `operatingSchema`/`operatingValue`.
    fn get(self, record: &ConnectRecord) -> &SchemaAndValue {
        match self {
            Self::Key => &record.key,
            Self::Value => &record.value,
        }
    }

    /// Moves the operating schema and value out, leaving a null in their place.
    fn take(self, record: &mut ConnectRecord) -> SchemaAndValue {
        std::mem::take(match self {
            Self::Key => &mut record.key,
            Self::Value => &mut record.value,
        })
    }

    /// `newRecord` with the updated schema and value.
    fn set(self, record: &mut ConnectRecord, data: SchemaAndValue) {
        match self {
            Self::Key => record.key = data,
            Self::Value => record.value = data,
        }
    }

    /// `apply` of a `$Key`/`$Value` transform: `update` gets the operating schema and value
    /// (moved out of the record) and the rest of the record; what it returns replaces them.
    ///
    /// # Errors
    /// Whatever `update` returns.
    pub(crate) fn apply<F>(
        self,
        mut record: ConnectRecord,
        update: F,
    ) -> Result<Option<ConnectRecord>, ConnectError>
    where
        F: FnOnce(SchemaAndValue, &mut ConnectRecord) -> Result<SchemaAndValue, ConnectError>,
    {
        let operating = self.take(&mut record);
        let updated = update(operating, &mut record)?;
        self.set(&mut record, updated);
        Ok(Some(record))
    }

    /// [`apply`](Self::apply) for the transforms that begin with
    /// `if (operatingValue(record) == null) return record;`.
    ///
    /// # Errors
    /// Whatever `update` returns.
    pub(crate) fn apply_unless_null<F>(
        self,
        record: ConnectRecord,
        update: F,
    ) -> Result<Option<ConnectRecord>, ConnectError>
    where
        F: FnOnce(SchemaAndValue, &mut ConnectRecord) -> Result<SchemaAndValue, ConnectError>,
    {
        if self.get(&record).value.is_null() {
            return Ok(Some(record));
        }
        self.apply(record, update)
    }
}

/// Builds a configured transform for one side from its parsed properties.
pub(crate) type Factory = fn(Side, &Props) -> Result<Box<dyn Transformation>, ConnectError>;

/// A transformation plugin described by its class, definition and factory.
#[derive(Debug)]
pub(crate) struct KafkaTransformPlugin {
    descriptor: PluginDescriptor,
    def: &'static ConfigDef,
    side: Side,
    factory: Factory,
}

impl TransformationPlugin for KafkaTransformPlugin {
    fn descriptor(&self) -> &PluginDescriptor {
        &self.descriptor
    }

    fn config_def(&self) -> &ConfigDef {
        self.def
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        (self.factory)(self.side, props)
    }
}

/// A transformation plugin for `class` (a full Java class name such as `…Cast$Value`).
pub(crate) fn plugin(
    class: &'static str,
    side: Side,
    def: &'static ConfigDef,
    factory: Factory,
) -> Box<dyn TransformationPlugin> {
    Box::new(KafkaTransformPlugin {
        descriptor: descriptor(class, PluginKind::Transformation),
        def,
        side,
        factory,
    })
}

/// The plugins of Kafka's transform `$name` (`"Cast"`): its `$Key` and `$Value` variants, which
/// share one definition and factory; with `single` the one plugin of a transform that has no
/// variants (`"RegexRouter"`), whose factory is handed [`Side::Value`].
macro_rules! plugins {
    ($name:literal, $def:expr, $factory:expr) => {
        vec![
            $crate::kafka::util::plugin(
                concat!("org.apache.kafka.connect.transforms.", $name, "$Key"),
                $crate::kafka::util::Side::Key,
                $def,
                $factory,
            ),
            $crate::kafka::util::plugin(
                concat!("org.apache.kafka.connect.transforms.", $name, "$Value"),
                $crate::kafka::util::Side::Value,
                $def,
                $factory,
            ),
        ]
    };
    (single $name:literal, $def:expr, $factory:expr) => {
        vec![$crate::kafka::util::plugin(
            concat!("org.apache.kafka.connect.transforms.", $name),
            $crate::kafka::util::Side::Value,
            $def,
            $factory,
        )]
    };
}
pub(crate) use plugins;

/// A descriptor for one of Kafka's plugins.
pub(crate) fn descriptor(class: &'static str, kind: PluginKind) -> PluginDescriptor {
    PluginDescriptor {
        class,
        extra_aliases: &[],
        kind,
        version: KAFKA_VERSION,
    }
}

/// The `replace.null.with.default` key (KIP-1040), read with `Struct.get` when true and
/// `Struct.getWithoutDefault` when false.
pub(crate) const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// The definition of [`REPLACE_NULL_WITH_DEFAULT`], the same in every transform that has it.
pub(crate) fn replace_null_with_default_key() -> ConfigKey {
    ConfigKey::new(
        REPLACE_NULL_WITH_DEFAULT,
        ConfigType::Boolean,
        Importance::Medium,
        "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
    )
    .default("true")
}

/// `new SimpleConfig(CONFIG_DEF, props)`: every field error, or the parsed values.
///
/// # Errors
/// [`ConnectError::Config`] with Kafka's `ConfigException` texts.
pub(crate) fn parse_config(def: &ConfigDef, props: &Props) -> Result<ParsedConfig, ConnectError> {
    let outcome = def.parse(props);
    let errors = outcome.report.field_errors();
    if errors.is_empty() {
        Ok(outcome.parsed)
    } else {
        Err(ConnectError::Config(errors))
    }
}

/// A `ConfigException` raised by a transform's own `configure` (not by `ConfigDef` parsing).
pub(crate) fn config_error(key: &str, message: impl Into<String>) -> ConnectError {
    let mut errors = connect_api::FieldErrors::new();
    errors.push(key, message);
    ConnectError::Config(errors)
}

/// Kafka's `ConfigException(name, value, message)` text.
pub(crate) fn invalid_value(key: &str, value: &str, reason: &str) -> ConnectError {
    config_error(
        key,
        format!("Invalid value {value} for configuration {key}: {reason}"),
    )
}

/// Properties from `(key, value)` pairs.
pub(crate) fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Java's `List.toString()`: `[a, b]`.
pub(crate) fn java_list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

/// A LIST key checked by `NonEmptyListValidator`, with Kafka's exact text (the value shown as
/// Java prints a list).
///
/// # Errors
/// `Invalid value [] for configuration <key>: Empty list`.
pub(crate) fn non_empty_list(
    parsed: &ParsedConfig,
    key: &str,
) -> Result<Vec<String>, ConnectError> {
    let items = parsed.list(key).to_vec();
    if items.is_empty() {
        return Err(invalid_value(key, "[]", "Empty list"));
    }
    Ok(items)
}

/// `BigDecimal.longValue()`: the integer part (truncated toward zero), its low 64 bits.
pub(crate) fn big_decimal_long_value(unscaled: &num_bigint::BigInt, scale: i32) -> i64 {
    use num_bigint::BigInt;
    let ten = BigInt::from(10u8);
    let int = if scale <= -64 {
        // unscaled × 10^64… is a multiple of 2^64: its low 64 bits are zero.
        return 0;
    } else if scale <= 0 {
        unscaled * ten.pow(scale.unsigned_abs())
    } else if u64::from(scale.unsigned_abs()) > unscaled.bits() {
        // 10^scale > 2^bits > |unscaled|: no integer part (and no huge power to compute).
        return 0;
    } else {
        // BigInt division truncates toward zero, as Java's does.
        unscaled / ten.pow(scale.unsigned_abs())
    };
    let low = &int & BigInt::from(u64::MAX);
    // Two's-complement truncation, as Java's narrowing does.
    u64::try_from(low).map_or(0, |v| v as i64)
}

/// `BigDecimal.doubleValue()`: correctly rounded.
pub(crate) fn big_decimal_double_value(unscaled: &num_bigint::BigInt, scale: i32) -> f64 {
    format!("{unscaled}e{}", -i64::from(scale))
        .parse()
        .unwrap_or(f64::NAN)
}

/// The value of a decimal field (unscaled bytes) and its scale.
pub(crate) fn decimal_parts(bytes: &[u8], schema: &Schema) -> (num_bigint::BigInt, i32) {
    let scale = schema
        .parameter(Decimal::SCALE_FIELD)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (Decimal::decode(bytes), scale)
}

/// Kafka's `DataException` (the record does not fit the operation): DLQ headers and traces
/// name that class.
pub(crate) fn data_error(message: impl Into<String>) -> ConnectError {
    ConnectError::data(message)
}

/// A runtime failure Kafka raises as another exception than `DataException`
/// (`IllegalArgumentException`, `NullPointerException`…): fatal with `message`, the simple
/// class name as its cause so that traces and the differential test can tell them apart.
pub(crate) fn java_exception(
    simple_class: &'static str,
    message: impl Into<String>,
) -> ConnectError {
    ConnectError::fatal_with(message, JavaExceptionClass(simple_class))
}

/// The class of a [`java_exception`].
#[derive(Debug)]
pub(crate) struct JavaExceptionClass(pub(crate) &'static str);

impl std::fmt::Display for JavaExceptionClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for JavaExceptionClass {}

/// `Requirements.requireSchema`.
///
/// # Errors
/// When `schema` is absent.
pub(crate) fn require_schema<'a>(
    schema: Option<&'a SchemaRef>,
    purpose: &str,
) -> Result<&'a SchemaRef, ConnectError> {
    schema.ok_or_else(|| data_error(format!("Schema required for [{purpose}]")))
}

/// `Requirements.requireMap`: schemaless maps are `Value::Map`s.
///
/// # Errors
/// When the value is not a map.
pub(crate) fn require_map(
    value: Value,
    purpose: &str,
) -> Result<Vec<(Value, Value)>, ConnectError> {
    match value {
        Value::Map(entries) => Ok(entries),
        other => Err(not_a_map(&other, purpose)),
    }
}

/// [`require_map`] on a value the record keeps.
///
/// # Errors
/// When the value is not a map.
pub(crate) fn require_map_ref<'a>(
    value: &'a Value,
    purpose: &str,
) -> Result<&'a [(Value, Value)], ConnectError> {
    match value {
        Value::Map(entries) => Ok(entries),
        other => Err(not_a_map(other, purpose)),
    }
}

fn not_a_map(found: &Value, purpose: &str) -> ConnectError {
    data_error(format!(
        "Only Map objects supported in absence of schema for [{purpose}], found: {}",
        java_class_name(found, None)
    ))
}

/// `Requirements.requireStruct`; `schema` is the value's, for the Java class a logical type has
/// (Debezium's callers pass none: they name the class of the value alone).
///
/// # Errors
/// When the value is not a struct.
pub(crate) fn require_struct<'a>(
    value: &'a Value,
    schema: Option<&Schema>,
    purpose: &str,
) -> Result<&'a connect_api::Struct, ConnectError> {
    match value {
        Value::Struct(s) => Ok(s),
        other => Err(not_a_struct(other, schema, purpose)),
    }
}

/// The `DataException` of [`require_struct`], for callers that match the value themselves.
pub(crate) fn not_a_struct(found: &Value, schema: Option<&Schema>, purpose: &str) -> ConnectError {
    data_error(format!(
        "Only Struct objects supported for [{purpose}], found: {}",
        java_class_name(found, schema)
    ))
}

/// `Struct.lookupField(name)` (behind `Struct.get`, `put` and `getWithoutDefault`).
///
/// # Errors
/// `<name> is not a valid field name` when `schema` has no such field.
pub(crate) fn lookup_field<'a>(schema: &'a Schema, name: &str) -> Result<&'a Field, ConnectError> {
    schema
        .field(name)
        .ok_or_else(|| data_error(format!("{name} is not a valid field name")))
}

/// A struct of `schema` with every field read from `source` (`Struct.get`, or
/// `getWithoutDefault` unless `with_default`) and put with `Struct.put`'s checks: the loop of
/// `ReplaceField`, `HeaderFrom` (move) and `SetSchemaMetadata`. A field is read under the name
/// `renamed_from` gives, else its own.
///
/// # Errors
/// A field `source` lacks, or a null for a required field.
pub(crate) fn rebuild_struct<'s>(
    source: &connect_api::Struct,
    schema: &SchemaRef,
    with_default: bool,
    renamed_from: impl Fn(&str) -> Option<&'s str>,
) -> Result<connect_api::Struct, ConnectError> {
    let mut out = connect_api::Struct::new(Arc::clone(schema));
    for field in &schema.fields {
        let name = renamed_from(&field.name).unwrap_or(&field.name);
        let src = lookup_field(source.schema(), name)?;
        let v = super::support::field_value(source, src, with_default);
        check_put(&field.name, &field.schema, &v)?;
        out.put_index(field.index, v);
    }
    Ok(out)
}

/// The Java class (`getClass().getName()`) Kafka would hold for `value`, read with `schema`
/// (logical types are `BigDecimal`/`java.util.Date` there). `"null"` for null.
pub(crate) fn java_class_name(value: &Value, schema: Option<&Schema>) -> &'static str {
    let logical = schema.and_then(|s| s.name.as_deref());
    match value {
        Value::Null => "null",
        Value::Int8(_) => "java.lang.Byte",
        Value::Int16(_) => "java.lang.Short",
        Value::Int32(_) if matches!(logical, Some(Date::LOGICAL_NAME | Time::LOGICAL_NAME)) => {
            "java.util.Date"
        }
        Value::Int32(_) => "java.lang.Integer",
        Value::Int64(_) if logical == Some(Timestamp::LOGICAL_NAME) => "java.util.Date",
        Value::Int64(_) => "java.lang.Long",
        Value::Float32(_) => "java.lang.Float",
        Value::Float64(_) => "java.lang.Double",
        Value::Boolean(_) => "java.lang.Boolean",
        Value::String(_) => "java.lang.String",
        Value::Bytes(_) if logical == Some(Decimal::LOGICAL_NAME) => "java.math.BigDecimal",
        Value::Bytes(_) => "[B",
        Value::Array(_) => "java.util.ArrayList",
        Value::Map(_) => "java.util.HashMap",
        Value::Struct(_) => "org.apache.kafka.connect.data.Struct",
    }
}

/// `Schema.Type.toString()`: the enum constant's name.
pub(crate) use connect_api::data::values::java_type_name;

/// `Struct.put`'s null check (`ConnectSchema.validateValue`): a null for a required field.
///
/// # Errors
/// `Invalid value: null used for required field: "<name>", schema type: <TYPE>`.
pub(crate) fn check_put(field: &str, schema: &Schema, value: &Value) -> Result<(), ConnectError> {
    if value.is_null() && !schema.optional {
        return Err(data_error(format!(
            "Invalid value: null used for required field: \"{field}\", schema type: {}",
            java_type_name(schema.schema_type)
        )));
    }
    Ok(())
}

/// `SchemaBuilder.field(name, schema)` on a schema being built: the name checks
/// (`SchemaBuilderException`), then the field is appended.
///
/// # Errors
/// An empty or repeated name.
pub(crate) fn push_field(
    target: &mut Schema,
    name: &str,
    schema: SchemaRef,
) -> Result<(), ConnectError> {
    super::support::check_new_field(&target.fields, name)?;
    let index = target.fields.len();
    target.fields.push(connect_api::Field {
        name: name.to_owned(),
        index,
        schema,
    });
    Ok(())
}

/// `SchemaUtil.copySchemaBasics(source)`: type, name, version, doc and parameters (not the
/// optional flag or the default).
pub(crate) fn copy_schema_basics(source: &Schema) -> SchemaBuilder {
    let builder = match (source.schema_type, &source.value_schema) {
        (SchemaType::Array, Some(items)) => SchemaBuilder::array(Arc::clone(items)),
        (t, _) => SchemaBuilder::new(t),
    };
    copy_schema_basics_into(source, builder)
}

/// `SchemaUtil.copySchemaBasics(source, builder)`.
pub(crate) fn copy_schema_basics_into(
    source: &Schema,
    mut builder: SchemaBuilder,
) -> SchemaBuilder {
    if let Some(name) = &source.name {
        builder = builder.name(name.clone());
    }
    if let Some(version) = source.version {
        builder = builder.version(version);
    }
    if let Some(doc) = &source.doc {
        builder = builder.doc(doc.clone());
    }
    for (k, v) in &source.parameters {
        builder = builder.parameter(k.clone(), v.clone());
    }
    builder
}

/// Kafka's per-transform `LRUCache<Schema, Schema>(16)` of updated schemas. Looked up by
/// pointer first (schemas are shared `Arc`s), then by equality as Java's `equals` does.
#[derive(Debug, Default)]
pub(crate) struct SchemaCache {
    entries: Vec<(SchemaRef, SchemaRef)>,
}

impl SchemaCache {
    const CAPACITY: usize = 16;

    /// The updated schema for `source`, building it with `build` on a miss.
    ///
    /// # Errors
    /// Whatever `build` returns.
    pub(crate) fn get_or_try_insert(
        &mut self,
        source: &SchemaRef,
        build: impl FnOnce(&SchemaRef) -> Result<SchemaRef, ConnectError>,
    ) -> Result<SchemaRef, ConnectError> {
        let hit = self
            .entries
            .iter()
            .position(|(k, _)| Arc::ptr_eq(k, source))
            .or_else(|| self.entries.iter().position(|(k, _)| **k == **source));
        if let Some(i) = hit {
            let entry = self.entries.remove(i);
            let updated = Arc::clone(&entry.1);
            self.entries.push(entry);
            return Ok(updated);
        }
        let updated = build(source)?;
        if self.entries.len() == Self::CAPACITY {
            self.entries.remove(0);
        }
        self.entries
            .push((Arc::clone(source), Arc::clone(&updated)));
        Ok(updated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_split_drops_trailing_empty_parts_only() {
        use connect_api::java::split;
        assert_eq!(split("a:b", ':'), vec!["a", "b"]);
        assert_eq!(split("a:", ':'), vec!["a"]);
        assert_eq!(split(":a", ':'), vec!["", "a"]);
        assert_eq!(split("a,,b,,", ','), vec!["a", "", "b"]);
        assert_eq!(split("", ':'), vec![""]);
        assert!(split("::", ':').is_empty());
        assert!(split(":", ':').is_empty());
    }

    #[test]
    fn a_string_where_a_struct_is_required_names_its_java_class() {
        let err = require_struct(&Value::from("x"), None, "field extraction").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Only Struct objects supported for [field extraction], found: java.lang.String"
        );
    }

    #[test]
    fn a_rebuilt_struct_refuses_a_null_for_a_required_field_as_struct_put_does() {
        let schema = Schema::struct_builder().field("a", Schema::int32()).build();
        // A struct whose required field was never set.
        let source = connect_api::Struct::new(schema.clone());
        let err = rebuild_struct(&source, &schema, false, |_| None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid value: null used for required field: \"a\", schema type: INT32"
        );
    }

    #[test]
    fn a_rebuilt_struct_reads_renamed_fields_and_names_a_missing_one() {
        let source_schema = Schema::struct_builder()
            .field("old", Schema::int32())
            .build();
        let source = connect_api::Struct::new(source_schema).with("old", 7);
        let renamed = Schema::struct_builder()
            .field("new", Schema::int32())
            .build();
        let out =
            rebuild_struct(&source, &renamed, true, |n| (n == "new").then_some("old")).unwrap();
        assert_eq!(out.get("new"), Some(&Value::Int32(7)));
        let err = rebuild_struct(&source, &renamed, true, |_| None).unwrap_err();
        assert_eq!(err.to_string(), "new is not a valid field name");
    }

    #[test]
    fn a_decimal_value_is_a_big_decimal_for_java() {
        let schema = Decimal::schema(2);
        assert_eq!(
            java_class_name(&Value::Bytes(vec![1].into()), Some(&schema)),
            "java.math.BigDecimal"
        );
    }

    #[test]
    fn copied_schema_basics_keep_name_and_parameters_but_not_optional() {
        let source = Schema::struct_builder()
            .name("n")
            .version(3)
            .doc("d")
            .parameter("a", "b")
            .optional()
            .build();
        let copy = copy_schema_basics(&source).build();
        assert_eq!(copy.name.as_deref(), Some("n"));
        assert_eq!(copy.version, Some(3));
        assert_eq!(copy.doc.as_deref(), Some("d"));
        assert_eq!(copy.parameter("a"), Some("b"));
        assert!(!copy.optional);
    }

    #[test]
    fn big_decimal_long_value_truncates_and_wraps_as_java_does() {
        use num_bigint::BigInt;
        assert_eq!(big_decimal_long_value(&BigInt::from(-12345), 2), -123);
        assert_eq!(big_decimal_long_value(&BigInt::from(5), -2), 500);
        // 2^64 + 7 keeps only its low bits.
        let big = (BigInt::from(1u8) << 64) + 7;
        assert_eq!(big_decimal_long_value(&big, 0), 7);
        // A huge scale leaves nothing, without computing 10^scale.
        assert_eq!(big_decimal_long_value(&BigInt::from(1), i32::MAX), 0);
        assert_eq!(big_decimal_long_value(&BigInt::from(3), i32::MIN), 0);
    }

    #[test]
    fn the_schema_cache_reuses_an_equal_schema() {
        let mut cache = SchemaCache::default();
        let a = Schema::int32();
        let first = cache
            .get_or_try_insert(&a, |_| Ok(Schema::string()))
            .unwrap();
        let second = cache
            .get_or_try_insert(&Schema::int32(), |_| Ok(Schema::bytes()))
            .unwrap();
        assert!(Arc::ptr_eq(&first, &second));
    }
}
