//! `io.debezium.transforms.outbox.EventRouter`: the outbox pattern. Each insert into an outbox
//! table becomes one event on `outbox.event.<aggregatetype>`, keyed by the aggregate id, whose
//! value is the payload column (or a struct with it and extra columns).
//!
//! `table.expand.json.payload=true` (parsing a JSON string payload into a struct with an
//! inferred schema) is not supported: configuring it fails rather than emitting different data.

use std::sync::{Arc, LazyLock};

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, ParsedConfig, Width};
use connect_api::{
    ConnectError, ConnectRecord, Header, Props, Schema, SchemaAndValue, SchemaRef, SchemaType,
    Struct, Transformation, TransformationPlugin, Value, java,
};

use super::{check_enum, get_checked, get_with_default, invalid_config, is_envelope};
use crate::kafka::util::{java_exception, lookup_field, push_field, require_struct};

const CLASS: &str = "io.debezium.transforms.outbox.EventRouter";
const FIELD_EVENT_ID: &str = "table.field.event.id";
const FIELD_EVENT_KEY: &str = "table.field.event.key";
const FIELD_EVENT_TYPE: &str = "table.field.event.type";
const FIELD_PAYLOAD: &str = "table.field.event.payload";
const FIELD_EVENT_TIMESTAMP: &str = "table.field.event.timestamp";
const FIELDS_ADDITIONAL_PLACEMENT: &str = "table.fields.additional.placement";
const FIELDS_ADDITIONAL_MISSING: &str = "table.field.additional.missing";
const FIELD_SCHEMA_VERSION: &str = "table.field.event.schema.version";
const OPERATION_INVALID_BEHAVIOR: &str = "table.op.invalid.behavior";
const EXPAND_JSON_PAYLOAD: &str = "table.expand.json.payload";
const TABLE_JSON_PAYLOAD_NULL_BEHAVIOR: &str = "table.json.payload.null.behavior";
const ROUTE_BY_FIELD: &str = "route.by.field";
const ROUTE_TOPIC_REGEX: &str = "route.topic.regex";
const ROUTE_TOPIC_REPLACEMENT: &str = "route.topic.replacement";
const ROUTE_TOMBSTONE_ON_EMPTY_PAYLOAD: &str = "route.tombstone.on.empty.payload";
const ENVELOPE_PAYLOAD: &str = "payload";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    let key = |name: &str, t: ConfigType, imp: Importance, display: &str, doc: &str| {
        ConfigKey::new(name, t, imp, doc)
            .width(Width::Medium)
            .display_name(display)
    };
    let s = ConfigType::String;
    ConfigDef::builder()
        .group("Table")
        .define(key(FIELD_EVENT_ID, s, Importance::Low, "Event ID Field", "The column which contains the event ID within the outbox table").default("id"))
        .define(key(FIELD_EVENT_KEY, s, Importance::Low, "Event Key Field", "The column which contains the event key within the outbox table").default("aggregateid"))
        .define(key(FIELD_EVENT_TYPE, s, Importance::Low, "Event Type Field", "The column which contains the event type within the outbox table").default("type"))
        .define(key(FIELD_PAYLOAD, s, Importance::Low, "Event Payload Field", "The column which contains the event payload within the outbox table").default("payload"))
        .define(key(FIELD_EVENT_TIMESTAMP, s, Importance::Medium, "Event Timestamp Field", "Optionally you can override the Kafka message timestamp with a value from a chosen column, otherwise it'll be the Debezium event processed timestamp."))
        .define(
            key(FIELDS_ADDITIONAL_PLACEMENT, ConfigType::List, Importance::High, "Settings for each additional column in the outbox table", "Extra fields can be added as part of the event envelope or a message header, format is a list of colon-delimited pairs or trios when you desire to have aliases, e.g. <code>id:header,field_name:envelope:alias,field_name:partition</code> "),
        )
        .define(
            key(FIELDS_ADDITIONAL_MISSING, s, Importance::Medium, "Behavior when an additional field is missing in the change data", "When transforming the 'table.fields.additional.placement' fields, defines the behavior when one of the configured fields is missing in the change data. 'error' (default) will throw an exception; 'ignore' will silently skip the missing field.")
                .default("error")
                .recommended(&["error", "ignore"]),
        )
        .define(key(FIELD_SCHEMA_VERSION, s, Importance::Low, "Event Schema Version Field", "The column which contains the event schema version within the outbox table"))
        .define(
            key(OPERATION_INVALID_BEHAVIOR, s, Importance::Medium, "Behavior when capturing an unexpected outbox event", "While Debezium is capturing changes from the outbox table, it is expecting only to process 'create' or 'delete' row events; in case something else is processed this transform can log it as warning, error or stop the process.")
                .default("warn")
                .recommended(&["warn", "error", "fatal"]),
        )
        .define(
            key(EXPAND_JSON_PAYLOAD, ConfigType::Boolean, Importance::Medium, "Expand Payload escaped string as real JSON", "Whether or not to try unescaping a JSON string and make it real JSON. It will infer schema information from payload and update the record schema accordingly. If content is not JSON, it just produces a warning and emits the record unchanged")
                .default("false"),
        )
        .define(
            key(TABLE_JSON_PAYLOAD_NULL_BEHAVIOR, s, Importance::Medium, "Behavior when json payload including null value", "Behavior when json payload including null value, the default will ignore null, optional_bytes will keep the null value, and treat null as optional bytes of connect.")
                .default("ignore")
                .recommended(&["ignore", "optional_bytes"]),
        )
        .group("Router")
        .define(key(ROUTE_BY_FIELD, s, Importance::High, "Field to route events by", "The column which determines how the events will be routed, the value will become part of the topic name").default("aggregatetype"))
        .define(key(ROUTE_TOPIC_REGEX, s, Importance::Low, "The name of the routed topic", "The default regex to use within the RegexRouter, the default capture will allow to replace the routed field into a new topic name defined in 'route.topic.replacement'").default("(?<routedByValue>.*)"))
        .define(key(ROUTE_TOPIC_REPLACEMENT, s, Importance::High, "The name of the routed topic", "The name of the topic in which the events will be routed, a replacement '${routedByValue}' is available which is the value of The column configured via 'route.by.field'").default("outbox.event.${routedByValue}"))
        .define(key(ROUTE_TOMBSTONE_ON_EMPTY_PAYLOAD, ConfigType::Boolean, Importance::High, "Empty payloads cause a tombstone message", "Whether or not an empty payload should cause a tombstone event.").default("false"))
        // OpenTelemetry tracing (`ActivateTracingSpan`) is not implemented; the keys are
        // accepted so configurations written for Debezium validate the same, and a non-default
        // value is reported at creation (`warn_tracing_has_no_effect`).
        .group("Tracing")
        .define(key("tracing.span.context.field", s, Importance::High, "Serialized tracing span context field", "The name of the field containing java.util.Properties representation of serialized span context. Defaults to 'tracingspancontext'").default("tracingspancontext"))
        .define(key("tracing.operation.name", s, Importance::High, "Tracing operation name", "The operation name representing Debezium processing span. Default is 'debezium-read'").default("debezium-read"))
        .define(key("tracing.with.context.field.only", ConfigType::Boolean, Importance::High, "Trace only events with context field present", "Set to `true` when only events that have serialized context field should be traced.").default("false"))
        .build()
});

pub(super) fn plugin() -> Box<dyn TransformationPlugin> {
    super::plugin(CLASS, &CONFIG_DEF, create)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    Header,
    Envelope,
    Partition,
}

#[derive(Debug, Clone)]
struct AdditionalField {
    placement: Placement,
    field: String,
    alias: String,
}

/// The `tracing.*` keys and their defaults.
const TRACING_DEFAULTS: [(&str, &str); 3] = [
    ("tracing.span.context.field", "tracingspancontext"),
    ("tracing.operation.name", "debezium-read"),
    ("tracing.with.context.field.only", "false"),
];

/// Sluice never accepts a setting and ignores it silently: a `tracing.*` key set to anything
/// but its default gets one WARN. Debezium's `EventRouterDelegate` applies `ActivateTracingSpan`
/// only when `ActivateTracingSpan.isOpenTelemetryAvailable()` (the OpenTelemetry API on the
/// worker's classpath), so without it these keys do nothing in Debezium either.
fn warn_tracing_has_no_effect(parsed: &ParsedConfig) {
    let set: Vec<String> = TRACING_DEFAULTS
        .iter()
        .filter_map(|(key, default)| {
            let value = if *key == "tracing.with.context.field.only" {
                parsed.boolean(key).to_string()
            } else {
                parsed.string(key).to_owned()
            };
            (value != *default).then(|| format!("{key}={value}"))
        })
        .collect();
    if !set.is_empty() {
        tracing::warn!(
            "{CLASS}: {} has no effect: Sluice has no OpenTelemetry tracing (Debezium's EventRouter \
             also ignores the tracing.* settings unless the OpenTelemetry API is on the worker's \
             classpath)",
            set.join(", ")
        );
    }
}

fn create(parsed: &ParsedConfig, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    if let Some(raw) = props.get(FIELDS_ADDITIONAL_PLACEMENT) {
        let items = java::split(raw, ',');
        if items
            .iter()
            .any(|m| !matches!(java::split(m, ':').len(), 2 | 3))
        {
            return Err(invalid_config(
                FIELDS_ADDITIONAL_PLACEMENT,
                Some(raw),
                &format!(
                    "A comma-separated list of valid String pairs or trios is expected but got: [{}]",
                    items.join(", ")
                ),
            ));
        }
    }
    check_enum(props, FIELDS_ADDITIONAL_MISSING, &["error", "ignore"])?;
    check_enum(
        props,
        OPERATION_INVALID_BEHAVIOR,
        &["warn", "error", "fatal"],
    )?;
    check_enum(
        props,
        TABLE_JSON_PAYLOAD_NULL_BEHAVIOR,
        &["ignore", "optional_bytes"],
    )?;
    if parsed.boolean(EXPAND_JSON_PAYLOAD) {
        return Err(ConnectError::fatal(format!(
            "{EXPAND_JSON_PAYLOAD}=true is not supported by Sluice's EventRouter"
        )));
    }
    let mut additional = Vec::new();
    if let Some(mapping) = parsed.original(FIELDS_ADDITIONAL_PLACEMENT) {
        for item in java::split(mapping, ',') {
            let parts = java::split(item, ':');
            let placement = match parts
                .get(1)
                .map(|p| p.trim().to_ascii_lowercase())
                .as_deref()
            {
                Some("header") => Placement::Header,
                Some("envelope") => Placement::Envelope,
                Some("partition") => Placement::Partition,
                _ => {
                    return Err(crate::kafka::util::config_error(
                        FIELDS_ADDITIONAL_PLACEMENT,
                        format!(
                            "Invalid value {mapping} for configuration {FIELDS_ADDITIONAL_PLACEMENT}: unknown placement in {item}"
                        ),
                    ));
                }
            };
            let field = parts[0].trim().to_owned();
            let alias = match parts.get(2) {
                Some(a) if parts.len() == 3 => a.trim().to_owned(),
                _ => field.clone(),
            };
            additional.push(AdditionalField {
                placement,
                field,
                alias,
            });
        }
    }
    let router = super::kafka_transform(
        "org.apache.kafka.connect.transforms.RegexRouter",
        &[
            ("regex", parsed.string(ROUTE_TOPIC_REGEX)),
            ("replacement", parsed.string(ROUTE_TOPIC_REPLACEMENT)),
        ],
    )?;
    let only_headers = additional
        .iter()
        .all(|f| f.placement != Placement::Envelope);
    warn_tracing_has_no_effect(parsed);
    Ok(Box::new(EventRouter {
        field_event_id: parsed.string(FIELD_EVENT_ID).to_owned(),
        field_event_key: parsed.opt_string(FIELD_EVENT_KEY).map(str::to_owned),
        field_payload: parsed.string(FIELD_PAYLOAD).to_owned(),
        field_event_timestamp: parsed.opt_string(FIELD_EVENT_TIMESTAMP).map(str::to_owned),
        field_schema_version: parsed.opt_string(FIELD_SCHEMA_VERSION).map(str::to_owned),
        route_by_field: parsed.string(ROUTE_BY_FIELD).to_owned(),
        router,
        tombstone_on_empty_payload: parsed.boolean(ROUTE_TOMBSTONE_ON_EMPTY_PAYLOAD),
        fail_on_update: parsed
            .string(OPERATION_INVALID_BEHAVIOR)
            .trim()
            .eq_ignore_ascii_case("fatal"),
        ignore_missing: parsed
            .string(FIELDS_ADDITIONAL_MISSING)
            .trim()
            .eq_ignore_ascii_case("ignore"),
        only_headers,
        additional,
        payload_schemas: Vec::new(),
        versioned_schemas: Vec::new(),
    }))
}

/// A configured `EventRouter`.
#[derive(Debug)]
pub struct EventRouter {
    field_event_id: String,
    field_event_key: Option<String>,
    field_payload: String,
    field_event_timestamp: Option<String>,
    field_schema_version: Option<String>,
    route_by_field: String,
    /// Kafka's `RegexRouter` on `route.topic.regex`/`route.topic.replacement`.
    router: Box<dyn Transformation>,
    tombstone_on_empty_payload: bool,
    fail_on_update: bool,
    ignore_missing: bool,
    /// No `envelope` placement: the value is the payload itself.
    only_headers: bool,
    additional: Vec<AdditionalField>,
    /// Debezium caches the value schema by payload schema (and by version), so the first
    /// event's aggregate type names it for all later ones.
    payload_schemas: Vec<(SchemaRef, SchemaRef)>,
    versioned_schemas: Vec<(Option<i32>, SchemaRef)>,
}

/// Java's `toString()` of a key, for the update error text: `Struct{a=1,b=x}` skips nulls.
fn java_to_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Int8(v) => v.to_string(),
        Value::Int16(v) => v.to_string(),
        Value::Int32(v) => v.to_string(),
        Value::Int64(v) => v.to_string(),
        Value::Float32(v) => connect_api::java::float_to_string(*v),
        Value::Float64(v) => connect_api::java::double_to_string(*v),
        Value::Boolean(v) => v.to_string(),
        Value::String(v) => v.clone(),
        Value::Struct(s) => {
            let fields: Vec<String> = s
                .schema()
                .fields
                .iter()
                .zip(s.values())
                .filter(|(_, v)| !v.is_null())
                .map(|(f, v)| format!("{}={}", f.name, java_to_string(v)))
                .collect();
            format!("Struct{{{}}}", fields.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(java_to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}={}", java_to_string(k), java_to_string(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Bytes(b) => format!("{b:?}"),
    }
}

fn get(value: &Struct, name: &str) -> Result<Value, ConnectError> {
    lookup_field(value.schema(), name)?;
    Ok(get_with_default(value, name))
}

impl Transformation for EventRouter {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.value.value.is_null() {
            return Ok(None);
        }
        if !is_envelope(record.value.schema.as_ref()) {
            return Ok(Some(record));
        }
        let envelope = require_struct(&record.value.value, None, "Detect Debezium Operation")?;
        let op = get_checked(envelope, "op", SchemaType::String)?;
        match op.as_str() {
            Some("d") => return Ok(None),
            Some("u") if self.fail_on_update => {
                return Err(java_exception(
                    "IllegalStateException",
                    format!(
                        "Unexpected update message received {}, fail.",
                        java_to_string(&record.key.value)
                    ),
                ));
            }
            Some("u") => return Ok(None),
            Some(_) => {}
            // `op.equals(…)` on a null `op`.
            None => return Err(java_exception("NullPointerException", "op is null")),
        }
        let Some(after_field) = record.value.schema.as_ref().and_then(|s| s.field("after")) else {
            return Err(java_exception(
                "IllegalArgumentException",
                "Unknown field: after",
            ));
        };
        let event_schema = after_field.schema.clone();
        let after = get_with_default(envelope, "after");
        let event = require_struct(&after, None, "Read Outbox Event")?;

        let Some(payload_field) = event_schema.field(&self.field_payload) else {
            return Err(java_exception(
                "ConnectException",
                format!(
                    "Unable to find payload field {} in event",
                    self.field_payload
                ),
            ));
        };
        let payload_schema = payload_field.schema.clone();
        let timestamp = self.event_timestamp(envelope, event)?;
        let event_id = get(event, &self.field_event_id)?;
        let payload = get_with_default(event, &self.field_payload);
        let id_schema = event_schema
            .field(&self.field_event_id)
            .map(|f| f.schema.clone())
            .ok_or_else(|| {
                java_exception(
                    "ConnectException",
                    format!(
                        "Unable to find event-id field {} in event",
                        self.field_event_id
                    ),
                )
            })?;
        record.headers.push(Header {
            key: "id".into(),
            value: SchemaAndValue::new(Some(id_schema), event_id),
        });

        let routed_by = get_checked(event, &self.route_by_field, SchemaType::String)?;
        let routed_by = routed_by.as_str().map(str::to_owned);
        let mut struct_value = if self.only_headers {
            None
        } else {
            let version = match &self.field_schema_version {
                Some(f) => Some(get_checked(event, f, SchemaType::Int32)?),
                None => None,
            };
            let schema = self.value_schema(
                &payload_schema,
                &event_schema,
                routed_by.as_deref(),
                version,
            )?;
            let mut s = Struct::new(schema);
            s.put(ENVELOPE_PAYLOAD, payload.clone());
            Some(s)
        };

        let mut partition = None;
        for extra in &self.additional {
            let present = event.schema().field(&extra.field).is_some();
            if self.ignore_missing && !present {
                continue;
            }
            match extra.placement {
                Placement::Envelope => {
                    let v = get(event, &extra.field)?;
                    if let Some(s) = struct_value.as_mut() {
                        lookup_field(s.schema(), &extra.alias)?;
                        s.put(&extra.alias, v);
                    }
                }
                Placement::Header => {
                    let v = get(event, &extra.field)?;
                    let schema = lookup_field(&event_schema, &extra.field)?.schema.clone();
                    record.headers.push(Header {
                        key: extra.alias.clone(),
                        value: SchemaAndValue::new(Some(schema), v),
                    });
                }
                Placement::Partition => {
                    partition = match get_checked(event, &extra.field, SchemaType::Int32)? {
                        Value::Int32(p) => Some(p),
                        _ => None,
                    };
                }
            }
        }

        let is_delete = match &payload {
            Value::Null => true,
            Value::String(s) => connect_api::java::trim(s).is_empty(),
            _ => false,
        };
        record.value = if is_delete && self.tombstone_on_empty_payload {
            SchemaAndValue::NULL
        } else if let Some(s) = struct_value {
            let schema = s.schema().clone();
            SchemaAndValue::new(Some(schema), Value::Struct(s))
        } else {
            SchemaAndValue::new(Some(payload_schema), payload)
        };
        record.key = match &self.field_event_key {
            Some(k) => {
                let key = get(event, k)?;
                let schema = event_schema
                    .field(k)
                    .map_or_else(Schema::string, |f| f.schema.clone());
                SchemaAndValue::new(Some(schema), key)
            }
            None => SchemaAndValue::new(Some(Schema::string()), Value::Null),
        };
        if record.is_sink && partition.is_none() {
            // `SinkRecord.newRecord` unboxes the partition, which Debezium passes as null
            // unless a `partition` placement sets it.
            return Err(java_exception(
                "NullPointerException",
                "Cannot invoke \"java.lang.Integer.intValue()\" because \"kafkaPartition\" is null",
            ));
        }
        let Some(topic) = routed_by else {
            return Err(java_exception(
                "NullPointerException",
                "Cannot invoke \"java.lang.CharSequence.length()\" because \"this.text\" is null",
            ));
        };
        record.topic = topic;
        record.kafka_partition = partition;
        record.timestamp = timestamp;
        self.router.apply(record)
    }
}

impl EventRouter {
    fn event_timestamp(
        &self,
        envelope: &Struct,
        event: &Struct,
    ) -> Result<Option<i64>, ConnectError> {
        let envelope_ts = || -> Result<Option<i64>, ConnectError> {
            Ok(get_checked(envelope, "ts_ms", SchemaType::Int64)?.as_i64())
        };
        let Some(field) = &self.field_event_timestamp else {
            return envelope_ts();
        };
        let Some(f) = event.schema().field(field) else {
            return Err(java_exception(
                "ConnectException",
                format!("Unable to find timestamp field {field} in event"),
            ));
        };
        let Some(ts) = get_checked(event, field, SchemaType::Int64)?.as_i64() else {
            return envelope_ts();
        };
        match f.schema.name.as_deref() {
            None => Err(java_exception(
                "ConnectException",
                format!(
                    "Unsupported field type {} (without logical schema name) for event timestamp",
                    crate::kafka::util::java_type_name(f.schema.schema_type)
                ),
            )),
            Some("io.debezium.time.Timestamp") => Ok(Some(ts)),
            Some("io.debezium.time.MicroTimestamp") => Ok(Some(ts / 1_000)),
            Some("io.debezium.time.NanoTimestamp") => Ok(Some(ts / 1_000_000)),
            Some(other) => Err(java_exception(
                "ConnectException",
                format!("Unsupported field type {other} for event timestamp"),
            )),
        }
    }

    fn value_schema(
        &mut self,
        payload_schema: &SchemaRef,
        event_schema: &SchemaRef,
        routed_by: Option<&str>,
        version: Option<Value>,
    ) -> Result<SchemaRef, ConnectError> {
        let version = version.map(|v| match v {
            Value::Int32(n) => Some(n),
            _ => None,
        });
        if let Some(v) = version {
            if let Some((_, s)) = self.versioned_schemas.iter().find(|(k, _)| *k == v) {
                return Ok(s.clone());
            }
            let mut schema = self.value_schema_of(payload_schema, event_schema, routed_by)?;
            if let Some(n) = v {
                schema.version = Some(n);
            }
            let schema = Arc::new(schema);
            self.versioned_schemas.push((v, schema.clone()));
            return Ok(schema);
        }
        if let Some((_, s)) = self
            .payload_schemas
            .iter()
            .find(|(k, _)| k == payload_schema)
        {
            return Ok(s.clone());
        }
        let schema = Arc::new(self.value_schema_of(payload_schema, event_schema, routed_by)?);
        self.payload_schemas
            .push((payload_schema.clone(), schema.clone()));
        Ok(schema)
    }

    fn value_schema_of(
        &self,
        payload_schema: &SchemaRef,
        event_schema: &Schema,
        routed_by: Option<&str>,
    ) -> Result<Schema, ConnectError> {
        let routed = routed_by.unwrap_or("null");
        let name = match event_schema.name.as_deref() {
            Some(original) => match original.rfind('.') {
                Some(dot) => format!("{}{routed}.{}", &original[..=dot], &original[dot + 1..]),
                None => format!("{routed}.{original}"),
            },
            None => routed.to_owned(),
        };
        let mut schema = Schema::struct_builder()
            .name(name)
            .field(ENVELOPE_PAYLOAD, payload_schema.clone())
            .into_schema();
        for extra in &self.additional {
            if extra.placement != Placement::Envelope {
                continue;
            }
            match event_schema.field(&extra.field) {
                Some(f) => push_field(&mut schema, &extra.alias, f.schema.clone())?,
                None if self.ignore_missing => {}
                None => {
                    return Err(java_exception(
                        "ConnectException",
                        format!("Unable to find field {} in event", extra.field),
                    ));
                }
            }
        }
        Ok(schema)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// The log lines written while `f` runs (WARN and above).
    fn warnings_during(f: impl FnOnce()) -> String {
        #[derive(Clone, Default)]
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Sink {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = sink.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    fn create_with(pairs: &[(&str, &str)]) -> Result<Box<dyn Transformation>, ConnectError> {
        let props = crate::kafka::util::props(pairs);
        plugin().create(&props)
    }

    #[test]
    fn a_tracing_setting_other_than_its_default_warns_once_that_it_has_no_effect() {
        let logs = warnings_during(|| {
            create_with(&[
                ("tracing.operation.name", "outbox-read"),
                ("tracing.with.context.field.only", "true"),
            ])
            .unwrap();
        });
        assert_eq!(logs.matches("WARN").count(), 1, "{logs}");
        assert!(
            logs.contains(
                "tracing.operation.name=outbox-read, tracing.with.context.field.only=true has no effect: Sluice has no OpenTelemetry tracing"
            ),
            "{logs}"
        );
        assert!(logs.contains("unless the OpenTelemetry API is on the worker's classpath"));
    }

    #[test]
    fn tracing_settings_left_at_their_defaults_log_nothing() {
        let logs = warnings_during(|| {
            create_with(&[("tracing.operation.name", "debezium-read")]).unwrap();
        });
        assert_eq!(logs, "");
    }

    fn outbox(op: &str, payload: Option<&str>) -> ConnectRecord {
        let row = Schema::struct_builder()
            .name("srv.shop.outbox.Value")
            .optional()
            .field("id", Schema::string())
            .field("aggregatetype", Schema::string())
            .field("aggregateid", Schema::string())
            .field("type", Schema::string())
            .field("payload", Schema::optional_string())
            .build();
        let env = Schema::struct_builder()
            .name("srv.shop.outbox.Envelope")
            .field("before", row.clone())
            .field("after", row.clone())
            .field("op", Schema::string())
            .field("ts_ms", Schema::optional_int64())
            .build();
        let after = Struct::new(row)
            .with("id", "e-1")
            .with("aggregatetype", "Order")
            .with("aggregateid", "o-7")
            .with("type", "OrderCreated")
            .with("payload", payload);
        let mut value = Struct::new(env.clone())
            .with("op", op)
            .with("ts_ms", 1_700_000_000_000i64);
        value.put("after", Value::Struct(after));
        crate::test_support::source_record(
            "srv.shop.outbox",
            SchemaAndValue::new(Some(env), Value::Struct(value)),
        )
    }

    fn router(extra: &[(&str, &str)]) -> Box<dyn Transformation> {
        let props = crate::kafka::util::props(extra);
        plugin().create(&props).unwrap()
    }

    #[test]
    fn an_insert_becomes_its_payload_on_the_aggregate_topic() {
        let out = router(&[])
            .apply(outbox("c", Some("{\"n\":1}")))
            .unwrap()
            .unwrap();
        assert_eq!(out.topic, "outbox.event.Order");
        assert_eq!(out.key.value, Value::from("o-7"));
        assert_eq!(out.value.value, Value::from("{\"n\":1}"));
        assert_eq!(out.timestamp, Some(1_700_000_000_000));
        assert_eq!(out.headers[0].key, "id");
        assert_eq!(out.headers[0].value.value, Value::from("e-1"));
    }

    #[test]
    fn deletes_updates_and_tombstones_are_dropped() {
        let mut r = router(&[]);
        assert!(r.apply(outbox("d", None)).unwrap().is_none());
        assert!(r.apply(outbox("u", None)).unwrap().is_none());
        let mut tombstone = outbox("c", None);
        tombstone.value = SchemaAndValue::NULL;
        assert!(r.apply(tombstone).unwrap().is_none());
    }

    #[test]
    fn envelope_placement_wraps_the_payload_in_a_struct_named_after_the_aggregate() {
        let out = router(&[(
            FIELDS_ADDITIONAL_PLACEMENT,
            "type:envelope:eventType,aggregateid:header",
        )])
        .apply(outbox("c", Some("x")))
        .unwrap()
        .unwrap();
        let v = out.value.value.as_struct().unwrap();
        assert_eq!(
            v.schema().name.as_deref(),
            Some("srv.shop.outbox.Order.Value")
        );
        assert_eq!(v.get("eventType"), Some(&Value::from("OrderCreated")));
        assert_eq!(out.headers[1].key, "aggregateid");
    }

    #[test]
    fn an_empty_payload_becomes_a_tombstone_when_asked() {
        let out = router(&[(ROUTE_TOMBSTONE_ON_EMPTY_PAYLOAD, "true")])
            .apply(outbox("c", Some("  ")))
            .unwrap()
            .unwrap();
        assert_eq!(out.value, SchemaAndValue::NULL);
    }
}
