//! Debezium's transforms (`io.debezium.transforms`), as they behave in Debezium 3.6.
//!
//! Sluice's MySQL source writes Debezium 2.2's envelope (`before`, `after`, `source`, `op`,
//! `ts_ms`, `transaction`, schema `<server>.<db>.<table>.Envelope`), which these transforms read
//! unchanged. Where 2.2 and 3.6 differ the 3.6 behaviour wins, and the 2.2 option names are still
//! accepted (see [`extract_new_record_state`]).
//!
//! This module holds what several of them share: the plugin wrapper, Debezium's envelope test
//! (`SmtManager.isValidEnvelope`), the Connect `Struct` reads the Java code makes (`Struct.get`
//! with defaults), Debezium's `SmtManager.validate` error texts, and access to Kafka's
//! transforms, which Debezium delegates to (`InsertField`, `ReplaceField`, `RegexRouter`).
//! Kafka's `Requirements`, `SchemaUtil`, `SchemaBuilder.field` and Java regex rules come from
//! `crate::kafka::util`; Java's `String.split` from [`connect_api::java::split`].

pub mod by_logical_table_router;
pub mod event_router;
pub mod extract_changed_record_state;
pub mod extract_new_record_state;
pub mod header_to_value;
pub mod schema_change_event_filter;
pub mod timezone_converter;

use std::fmt;
use std::sync::LazyLock;

use connect_api::config::{ConfigDef, FieldErrors, ParsedConfig};
use connect_api::{
    ConnectError, PluginDescriptor, PluginKind, Props, SchemaRef, SchemaType, Struct,
    Transformation, TransformationPlugin, Value,
};

use crate::kafka::util::{java_type_name, lookup_field};

/// The version Sluice's Debezium plugins report: the one `connect_mysql_cdc` reports for the
/// MySQL connector (`DEBEZIUM_VERSION`), so `GET /connector-plugins` is consistent. This crate
/// cannot depend on the connector, hence the copy.
pub const DEBEZIUM_VERSION: &str = "2.2.0.Final";

/// Debezium's transformations.
pub fn transformations() -> Vec<Box<dyn TransformationPlugin>> {
    vec![
        extract_new_record_state::plugin(),
        extract_changed_record_state::plugin(),
        by_logical_table_router::plugin(),
        header_to_value::plugin(),
        schema_change_event_filter::plugin(),
        event_router::plugin(),
        timezone_converter::plugin(),
    ]
}

type Factory = fn(&ParsedConfig, &Props) -> Result<Box<dyn Transformation>, ConnectError>;

/// One Debezium transformation: class name, definition and constructor.
struct DebeziumPlugin {
    descriptor: PluginDescriptor,
    def: &'static LazyLock<ConfigDef>,
    factory: Factory,
    /// Transforms that check their fields with `Configuration.validateAndRecord` log each
    /// problem and throw this one `ConnectException` message instead.
    validation_failure: Option<&'static str>,
}

impl fmt::Debug for DebeziumPlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DebeziumPlugin")
            .field("class", &self.descriptor.class)
            .finish_non_exhaustive()
    }
}

impl TransformationPlugin for DebeziumPlugin {
    fn descriptor(&self) -> &PluginDescriptor {
        &self.descriptor
    }

    fn config_def(&self) -> &ConfigDef {
        self.def
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let outcome = self.def.parse(props);
        let errors = outcome.report.field_errors();
        if !errors.is_empty() {
            return Err(match self.validation_failure {
                Some(message) => ConnectError::fatal(message),
                None => ConnectError::Config(errors),
            });
        }
        (self.factory)(&outcome.parsed, props)
    }
}

fn plugin(
    class: &'static str,
    def: &'static LazyLock<ConfigDef>,
    factory: Factory,
) -> Box<dyn TransformationPlugin> {
    plugin_with(class, def, factory, None)
}

/// The `ConnectException` text of `Configuration.validateAndRecord` failures.
const UNABLE_TO_VALIDATE: &str = "Unable to validate config.";

fn plugin_with(
    class: &'static str,
    def: &'static LazyLock<ConfigDef>,
    factory: Factory,
    validation_failure: Option<&'static str>,
) -> Box<dyn TransformationPlugin> {
    Box::new(DebeziumPlugin {
        descriptor: PluginDescriptor {
            class,
            extra_aliases: &[],
            kind: PluginKind::Transformation,
            version: DEBEZIUM_VERSION,
        },
        def,
        factory,
        validation_failure,
    })
}

/// The `ConfigException` that `SmtManager.validate` throws for the first invalid field. Kafka's
/// own `ConfigDef` does not carry these Debezium validations, so they run when the transform is
/// created, not in `/config/validate`.
fn invalid_config(name: &str, raw: Option<&str>, problem: &str) -> ConnectError {
    let mut errors = FieldErrors::new();
    errors.push(
        name,
        format!(
            "Invalid value {} for configuration {name}: The '{name}' value is invalid: {problem}",
            raw.unwrap_or("null")
        ),
    );
    ConnectError::Config(errors)
}

/// `Field.isRequired`: present and not blank.
fn required<'a>(props: &'a Props, name: &str) -> Result<&'a str, ConnectError> {
    match props.get(name) {
        Some(v) if !connect_api::java::trim(v).is_empty() => Ok(v),
        other => Err(invalid_config(
            name,
            other.map(String::as_str),
            "A value is required",
        )),
    }
}

/// Debezium's `EnumRecommender` check: the trimmed, lower-cased value must be one of `values`.
fn check_enum(props: &Props, name: &str, values: &[&str]) -> Result<(), ConnectError> {
    match props.get(name) {
        Some(v) if !values.contains(&connect_api::java::trim(v).to_ascii_lowercase().as_str()) => {
            Err(invalid_config(
                name,
                Some(v),
                &format!("Value must be one of {}", values.join(", ")),
            ))
        }
        _ => Ok(()),
    }
}

/// One of Kafka's transforms, configured as Debezium configures its delegates (Debezium calls
/// `ExtractField`, `InsertField` and `ReplaceField` rather than repeating them).
fn kafka_transform(
    class: &str,
    props: &[(&str, &str)],
) -> Result<Box<dyn Transformation>, ConnectError> {
    let plugin = crate::kafka::transformations()
        .into_iter()
        .find(|p| p.descriptor().class == class)
        .ok_or_else(|| ConnectError::fatal(format!("{class} is not available")))?;
    plugin.create(&crate::kafka::util::props(props))
}

/// `SmtManager.isValidEnvelope`: a value schema whose name ends with `.Envelope`.
fn is_envelope(schema: Option<&SchemaRef>) -> bool {
    schema
        .and_then(|s| s.name.as_deref())
        .is_some_and(|n| n.ends_with(".Envelope"))
}

/// Java's `Struct.get(name)`: a null field reads as its schema's default.
fn get_with_default(value: &Struct, field: &str) -> Value {
    let Some(f) = value.schema().field(field) else {
        return Value::Null;
    };
    match value.values().get(f.index) {
        Some(Value::Null) | None => f.schema.default.clone().unwrap_or(Value::Null),
        Some(v) => v.clone(),
    }
}

/// `Struct.getString`/`getInt32`/… (`getCheckType`): the field must exist and be of type `t`; a
/// null reads as its default.
fn get_checked(value: &Struct, name: &str, t: SchemaType) -> Result<Value, ConnectError> {
    let field = lookup_field(value.schema(), name)?;
    if field.schema.schema_type != t {
        return Err(ConnectError::data(format!(
            "Field '{name}' is not of type {}",
            java_type_name(t)
        )));
    }
    Ok(get_with_default(value, name))
}

/// `Struct.getWithoutDefault(name)`, failing as Java does on an unknown field.
fn get_without_default<'a>(value: &'a Struct, field: &str) -> Result<&'a Value, ConnectError> {
    let field = lookup_field(value.schema(), field)?;
    Ok(value.values().get(field.index).unwrap_or(&Value::Null))
}

#[cfg(test)]
mod tests {
    use connect_api::SchemaBuilder;

    use super::*;

    #[test]
    fn every_transform_is_registered_with_the_keys_of_debeziums_config_def() {
        // Key names in the order Debezium 3.6.3's `config()` lists them.
        let expected: &[(&str, &[&str])] = &[
            (
                "io.debezium.transforms.ExtractNewRecordState",
                &[
                    "delete.tombstone.handling.mode",
                    "route.by.field",
                    "add.fields.prefix",
                    "add.fields",
                    "add.headers.prefix",
                    "add.headers",
                    "drop.fields.header.name",
                    "drop.fields.from.key",
                    "drop.fields.keep.schema.compatible",
                ],
            ),
            (
                "io.debezium.transforms.ExtractChangedRecordState",
                &["header.changed.name", "header.unchanged.name"],
            ),
            (
                "io.debezium.transforms.ByLogicalTableRouter",
                &[
                    "topic.regex",
                    "topic.replacement",
                    "key.enforce.uniqueness",
                    "key.field.regex",
                    "key.field.replacement",
                    "logical.table.cache.size",
                ],
            ),
            (
                "io.debezium.transforms.HeaderToValue",
                &["headers", "fields", "operation"],
            ),
            (
                "io.debezium.transforms.SchemaChangeEventFilter",
                &["schema.change.event.exclude.list"],
            ),
            (
                "io.debezium.transforms.outbox.EventRouter",
                &[
                    "table.field.event.id",
                    "table.field.event.key",
                    "table.field.event.type",
                    "table.field.event.payload",
                    "table.field.event.timestamp",
                    "table.fields.additional.placement",
                    "table.field.additional.missing",
                    "table.field.event.schema.version",
                    "table.op.invalid.behavior",
                    "table.expand.json.payload",
                    "table.json.payload.null.behavior",
                    "route.by.field",
                    "route.topic.regex",
                    "route.topic.replacement",
                    "route.tombstone.on.empty.payload",
                    "tracing.span.context.field",
                    "tracing.operation.name",
                    "tracing.with.context.field.only",
                ],
            ),
            (
                "io.debezium.transforms.TimezoneConverter",
                &["converted.timezone", "include.list", "exclude.list"],
            ),
        ];
        let plugins = transformations();
        assert_eq!(plugins.len(), expected.len());
        for (class, keys) in expected {
            let plugin = plugins
                .iter()
                .find(|p| p.descriptor().class == *class)
                .unwrap_or_else(|| panic!("{class} is not registered"));
            assert_eq!(plugin.descriptor().kind, PluginKind::Transformation);
            assert_eq!(plugin.descriptor().version, DEBEZIUM_VERSION);
            let names: Vec<&str> = plugin
                .config_def()
                .keys()
                .iter()
                .map(|k| k.name.as_str())
                .collect();
            assert_eq!(names, *keys, "{class}");
        }
    }

    #[test]
    fn a_null_field_reads_as_its_default_only_through_get_with_default() {
        let schema = SchemaBuilder::new(SchemaType::Struct)
            .field(
                "a",
                SchemaBuilder::new(SchemaType::Int32)
                    .optional()
                    .default_value(Value::Int32(7))
                    .build(),
            )
            .build();
        let s = Struct::new(schema);
        assert_eq!(get_with_default(&s, "a"), Value::Int32(7));
        assert_eq!(get_without_default(&s, "a").unwrap(), &Value::Null);
        assert!(get_without_default(&s, "b").is_err());
    }
}
