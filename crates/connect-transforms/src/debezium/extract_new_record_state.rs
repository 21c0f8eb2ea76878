//! `io.debezium.transforms.ExtractNewRecordState`: the "unwrap" that turns a change event
//! envelope into the row it describes.
//!
//! Behaviour is Debezium 3.6's (`delete.tombstone.handling.mode`, default `tombstone`). The 2.2
//! options `drop.tombstones` and `delete.handling.mode`, which 3.x removed, are still honoured
//! when `delete.tombstone.handling.mode` is not set, as Debezium 2.5–2.7 did, so a 2.2
//! configuration keeps its meaning instead of silently changing behaviour.

use std::sync::{Arc, LazyLock};

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Width};
use connect_api::config::{ParsedConfig, Validator};
use connect_api::{
    ConnectError, ConnectRecord, Field, Header, Props, Schema, SchemaAndValue, SchemaBuilder,
    SchemaRef, SchemaType, Struct, Transformation, TransformationPlugin, Value, java,
};

use super::{get_checked, get_with_default, get_without_default, is_envelope};
use crate::kafka::util::{
    copy_schema_basics, copy_schema_basics_into, java_exception, push_field, require_struct,
};

const CLASS: &str = "io.debezium.transforms.ExtractNewRecordState";
const HANDLE_TOMBSTONE_DELETES: &str = "delete.tombstone.handling.mode";
const ROUTE_BY_FIELD: &str = "route.by.field";
const ADD_FIELDS_PREFIX: &str = "add.fields.prefix";
const ADD_FIELDS: &str = "add.fields";
const ADD_HEADERS_PREFIX: &str = "add.headers.prefix";
const ADD_HEADERS: &str = "add.headers";
const DROP_FIELDS_HEADER: &str = "drop.fields.header.name";
const DROP_FIELDS_FROM_KEY: &str = "drop.fields.from.key";
const DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE: &str = "drop.fields.keep.schema.compatible";
/// Read by Debezium although not part of its `config()`.
const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";
/// Debezium 2.2 names, removed in 3.0.
const LEGACY_DROP_TOMBSTONES: &str = "drop.tombstones";
const LEGACY_HANDLE_DELETES: &str = "delete.handling.mode";

const DELETED_FIELD: &str = "__deleted";
const PURPOSE: &str = "source field insertion";
const MODES: &[&str] = &[
    "drop",
    "tombstone",
    "rewrite",
    "rewrite-with-tombstone",
    "delete-to-tombstone",
];

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    let key = |name: &str, t: ConfigType, width: Width, display: &str, doc: &str| {
        ConfigKey::new(name, t, Importance::Low, doc)
            .width(width)
            .display_name(display)
    };
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                HANDLE_TOMBSTONE_DELETES,
                ConfigType::String,
                Importance::Medium,
                "How to handle delete records. Options are: drop - Remove the delete event and tombstone from the stream.tombstone (default) - For each delete event, leave only a tombstone in the stream.rewrite - Remove tombstone from the record, and add a `__deleted` field with the value `true`.rewrite-with-tombstone - Retain tombstone in record and add a `__deleted` field with the value `true`.delete-to-tombstone - Convert delete events to tombstone events and drop tombstone events.",
            )
            .default("tombstone")
            .width(Width::Medium)
            .display_name("Handle delete and tombstone records")
            .recommended(MODES)
            .validator(Validator::custom(|v| match v {
                ConfigValue::String(s) if DeleteMode::parse(s).is_none() => {
                    Err(format!("Value must be one of {}", MODES.join(", ")))
                }
                _ => Ok(()),
            })),
        )
        .define(
            key(
                ROUTE_BY_FIELD,
                ConfigType::String,
                Width::Long,
                "Route by field name",
                "The column which determines how the events will be routed, the value will replace the topic name.",
            )
            .default(""),
        )
        .define(
            key(
                ADD_FIELDS_PREFIX,
                ConfigType::String,
                Width::Short,
                "Field prefix to be added to each field.",
                "Adds this prefix to each field listed.",
            )
            .default("__"),
        )
        .define(
            key(
                ADD_FIELDS,
                ConfigType::List,
                Width::Long,
                "Adds the specified field(s) to the message if they exist.",
                "Adds each field listed, prefixed with __ (or __<struct>_ if the struct is specified). Example: 'version,connector,source.ts_ms' would add __version, __connector and __source_ts_ms fields. Optionally one can also map new field name like version:VERSION,connector:CONNECTOR,source.ts_ms:EVENT_TIMESTAMP.Please note that the new field name is case-sensitive.",
            )
            .default(""),
        )
        .define(
            key(
                ADD_HEADERS_PREFIX,
                ConfigType::String,
                Width::Short,
                "Header prefix to be added to each header.",
                "Adds this prefix listed to each header.",
            )
            .default("__"),
        )
        .define(
            key(
                ADD_HEADERS,
                ConfigType::List,
                Width::Long,
                "Adds the specified fields to the header if they exist.",
                "Adds each field listed to the header,  __ (or __<struct>_ if the struct is specified). Example: 'version,connector,source.ts_ms' would add __version, __connector and __source_ts_ms fields. Optionally one can also map new field name like version:VERSION,connector:CONNECTOR,source.ts_ms:EVENT_TIMESTAMP.Please note that the new field name is case-sensitive.",
            )
            .default(""),
        )
        .define(key(
            DROP_FIELDS_HEADER,
            ConfigType::String,
            Width::Short,
            "Specifies a header that contains a list of field names to be removed",
            "Specifies the name of a header that contains a list of fields to be removed from the event value.",
        ))
        .define(
            key(
                DROP_FIELDS_FROM_KEY,
                ConfigType::Boolean,
                Width::Short,
                "Specifies whether the fields to be dropped should also be omitted from the key",
                "Specifies whether to apply the drop fields behavior to the event key as well as the value. Default behavior is to only remove fields from the event value, not the key.",
            )
            .default("false"),
        )
        .define(
            key(
                DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE,
                ConfigType::Boolean,
                Width::Short,
                "Specifies if fields are dropped, will the event's schemas be compatible",
                "Controls the output event's schema compatibility when using the drop fields feature. `true`: dropped fields are removed if the schema indicates its optional leaving the schemas unchanged, `false`: dropped fields are removed from the key/value schemas, regardless of optionality.",
            )
            .default("true"),
        )
        .build()
});

pub(super) fn plugin() -> Box<dyn TransformationPlugin> {
    super::plugin_with(CLASS, &CONFIG_DEF, create, Some(super::UNABLE_TO_VALIDATE))
}

/// `DeleteTombstoneHandling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeleteMode {
    Drop,
    Tombstone,
    Rewrite,
    RewriteWithTombstone,
    DeleteToTombstone,
}

impl DeleteMode {
    fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "drop" => Self::Drop,
            "tombstone" => Self::Tombstone,
            "rewrite" => Self::Rewrite,
            "rewrite-with-tombstone" => Self::RewriteWithTombstone,
            "delete-to-tombstone" => Self::DeleteToTombstone,
            _ => return None,
        })
    }
}

/// What happens to a delete event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnDelete {
    Drop,
    /// The `after` extraction: a null value that keeps the row schema (a "flattened delete").
    NullValue,
    /// A real tombstone: null value and null schema.
    Tombstone,
    /// The `before` row with `__deleted=true`.
    Rewrite,
}

/// The delete/tombstone strategy (`DefaultDeleteHandlingStrategy` or 2.x's legacy one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Strategy {
    keep_tombstones: bool,
    on_delete: OnDelete,
    /// Inserts and updates get `__deleted=false`.
    rewrite: bool,
}

impl Strategy {
    fn of(mode: DeleteMode) -> Self {
        let (keep_tombstones, on_delete) = match mode {
            DeleteMode::Drop => (false, OnDelete::Drop),
            DeleteMode::Tombstone => (false, OnDelete::NullValue),
            DeleteMode::Rewrite => (false, OnDelete::Rewrite),
            DeleteMode::RewriteWithTombstone => (true, OnDelete::Rewrite),
            DeleteMode::DeleteToTombstone => (false, OnDelete::Tombstone),
        };
        Self {
            keep_tombstones,
            on_delete,
            rewrite: on_delete == OnDelete::Rewrite,
        }
    }

    /// Debezium 2.x's `drop.tombstones` (default true) and `delete.handling.mode`
    /// (`drop` default, `none`, `rewrite`).
    fn legacy(props: &Props) -> Result<Self, ConnectError> {
        let drop_tombstones = match props.get(LEGACY_DROP_TOMBSTONES).map(|s| s.trim()) {
            None => true,
            Some(s) if s.eq_ignore_ascii_case("true") => true,
            Some(s) if s.eq_ignore_ascii_case("false") => false,
            Some(_) => return Err(ConnectError::fatal(super::UNABLE_TO_VALIDATE)),
        };
        let on_delete = match props
            .get(LEGACY_HANDLE_DELETES)
            .map(|s| s.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("drop") => OnDelete::Drop,
            Some("none") => OnDelete::NullValue,
            Some("rewrite") => OnDelete::Rewrite,
            Some(_) => return Err(ConnectError::fatal(super::UNABLE_TO_VALIDATE)),
        };
        Ok(Self {
            keep_tombstones: !drop_tombstones,
            on_delete,
            rewrite: on_delete == OnDelete::Rewrite,
        })
    }
}

/// `AbstractExtractNewRecordState.FieldReference`: an envelope field copied into the row or a
/// header.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldReference {
    /// `source`, `transaction` (or `updateDescription`), or `None` for top-level `op`/`ts_*`.
    parent: Option<String>,
    field: String,
    new_field: String,
}

impl FieldReference {
    fn parse(prefix: &str, spec: &str) -> Result<Self, ConnectError> {
        let parts = java::split(spec, ':');
        let head = parts.first().copied().unwrap_or("");
        let splits = java::split(head, '.');
        let single = splits.len() <= 1;
        let field = if single {
            splits.first().copied().unwrap_or("")
        } else {
            splits[1]
        };
        let parent = if single {
            determine_struct(field).map(str::to_owned)
        } else {
            Some(splits[0].to_owned())
        };
        let new_field = match parts.len() {
            0 | 1 if single => format!("{prefix}{field}"),
            0 | 1 => format!("{prefix}{}_{field}", splits[0]),
            2 => format!("{prefix}{}", parts[1]),
            _ => {
                return Err(java_exception(
                    "IllegalArgumentException",
                    format!("Unexpected field name: {spec}"),
                ));
            }
        };
        Ok(Self {
            parent,
            field: field.to_owned(),
            new_field,
        })
    }

    fn list(prefix: &str, config: Option<&str>) -> Result<Vec<Self>, ConnectError> {
        match config {
            None | Some("") => Ok(Vec::new()),
            Some(list) => java::split(list, ',')
                .into_iter()
                .map(|f| Self::parse(prefix, f.trim()))
                .collect(),
        }
    }

    /// `getSchema`: an optional copy of the field's schema, looked up in its parent struct and
    /// then in the envelope itself (a field another transform added).
    fn schema(&self, envelope: &Schema) -> Result<Option<SchemaRef>, ConnectError> {
        Ok(self.field(envelope)?.map(|f| optional_copy(&f.schema)))
    }

    /// Whether [`Self::schema`] finds the field, without building its schema.
    fn present(&self, envelope: &Schema) -> Result<bool, ConnectError> {
        Ok(self.field(envelope)?.is_some())
    }

    /// `getField`: in the parent struct, else in the envelope itself.
    fn field<'a>(&self, envelope: &'a Schema) -> Result<Option<&'a Field>, ConnectError> {
        let Some(parent) = &self.parent else {
            return Ok(envelope.field(&self.field));
        };
        let Some(parent_field) = envelope.field(parent) else {
            return Err(java_exception(
                "NullPointerException",
                format!(
                    "Cannot invoke \"org.apache.kafka.connect.data.Field.schema()\" because the return value of \"org.apache.kafka.connect.data.Schema.field(String)\" is null (no field {parent} in the envelope)"
                ),
            ));
        };
        Ok(parent_field
            .schema
            .field(&self.field)
            .or_else(|| envelope.field(&self.field)))
    }

    /// `getValue`: the field's raw value (no default substitution).
    fn value(&self, envelope: &Struct) -> Result<Value, ConnectError> {
        let parent = match &self.parent {
            Some(p) => match get_without_default(envelope, p)? {
                Value::Struct(s) => s,
                Value::Null => return Ok(Value::Null),
                other => return Ok(other.clone()),
            },
            None => envelope,
        };
        if parent.schema().field(&self.field).is_some() {
            Ok(get_without_default(parent, &self.field)?.clone())
        } else {
            Ok(get_without_default(envelope, &self.field)?.clone())
        }
    }
}

/// `copySchemaBasics(schema).optional().build()`.
fn optional_copy(schema: &Schema) -> SchemaRef {
    copy_schema_basics(schema).optional().build()
}

fn determine_struct(field: &str) -> Option<&'static str> {
    match field {
        "id" | "data_collection_order" | "total_order" => Some("transaction"),
        "op" | "ts_ms" | "ts_us" | "ts_ns" => None,
        "updateDescription" => Some("updateDescription"),
        _ => Some("source"),
    }
}

fn create(parsed: &ParsedConfig, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let strategy = if props.contains_key(HANDLE_TOMBSTONE_DELETES)
        || !(props.contains_key(LEGACY_DROP_TOMBSTONES)
            || props.contains_key(LEGACY_HANDLE_DELETES))
    {
        let mode = DeleteMode::parse(parsed.string(HANDLE_TOMBSTONE_DELETES))
            .ok_or_else(|| ConnectError::fatal(super::UNABLE_TO_VALIDATE))?;
        Strategy::of(mode)
    } else {
        Strategy::legacy(props)?
    };
    let replace_null_with_default = !props
        .get(REPLACE_NULL_WITH_DEFAULT)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
    let route = parsed.string(ROUTE_BY_FIELD);
    Ok(Box::new(ExtractNewRecordState {
        strategy,
        additional_fields: FieldReference::list(
            parsed.string(ADD_FIELDS_PREFIX),
            props.get(ADD_FIELDS).map(String::as_str),
        )?,
        additional_headers: FieldReference::list(
            parsed.string(ADD_HEADERS_PREFIX),
            props.get(ADD_HEADERS).map(String::as_str),
        )?,
        route_by_field: (!route.is_empty()).then(|| route.to_owned()),
        drop_fields_header: parsed.opt_string(DROP_FIELDS_HEADER).map(str::to_owned),
        drop_fields_from_key: parsed.boolean(DROP_FIELDS_FROM_KEY),
        drop_fields_keep_schema_compatible: parsed.boolean(DROP_FIELDS_KEEP_SCHEMA_COMPATIBLE),
        mark_deleted: deleted_marker("true", replace_null_with_default)?,
        mark_kept: deleted_marker("false", replace_null_with_default)?,
        row_schemas: Vec::new(),
    }))
}

/// `ConnectRecordUtil.insertStaticValueDelegate(DELETED_FIELD, flag, replaceNullWithDefault)`.
fn deleted_marker(
    flag: &str,
    replace_null_with_default: bool,
) -> Result<Box<dyn Transformation>, ConnectError> {
    super::kafka_transform(
        "org.apache.kafka.connect.transforms.InsertField$Value",
        &[
            ("static.field", DELETED_FIELD),
            ("static.value", flag),
            (
                "replace.null.with.default",
                if replace_null_with_default {
                    "true"
                } else {
                    "false"
                },
            ),
        ],
    )
}

/// A configured `ExtractNewRecordState`.
#[derive(Debug)]
pub struct ExtractNewRecordState {
    strategy: Strategy,
    additional_fields: Vec<FieldReference>,
    additional_headers: Vec<FieldReference>,
    route_by_field: Option<String>,
    drop_fields_header: Option<String>,
    drop_fields_from_key: bool,
    drop_fields_keep_schema_compatible: bool,
    /// Kafka's `InsertField$Value` adding `__deleted=true` / `false`.
    mark_deleted: Box<dyn Transformation>,
    mark_kept: Box<dyn Transformation>,
    /// Debezium's `schemaUpdateCache`, keyed by row schema and operation.
    row_schemas: Vec<(SchemaRef, Option<String>, SchemaRef)>,
}

/// Debezium's `SCHEMA_CACHE_SIZE`.
const ROW_SCHEMA_CACHE_SIZE: usize = 64;

impl Transformation for ExtractNewRecordState {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let is_tombstone = record.value.value.is_null();
        let is_valid_envelope = is_envelope(record.value.schema.as_ref());

        if (is_valid_envelope || is_tombstone) && !self.additional_headers.is_empty() {
            let added = self.make_headers(&record.value.value)?;
            record.headers.extend(added);
        }

        if is_tombstone {
            return Ok(self.strategy.keep_tombstones.then_some(record));
        }
        if !is_valid_envelope {
            return Ok(Some(record));
        }

        let envelope = match std::mem::take(&mut record.value.value) {
            Value::Struct(s) => s,
            other => {
                require_struct(&other, None, "field extraction")?;
                return Ok(None);
            }
        };
        let after = extract(&record, &envelope, "after")?;
        if after.value.is_null() {
            let before = extract(&record, &envelope, "before")?;
            if before.value.is_null() {
                // A truncate: Debezium drops it.
                return Ok(None);
            }
            let Some(mut unwrapped) = self.handle_delete(record, after, before)? else {
                return Ok(None);
            };
            if let Some(route) = &self.route_by_field {
                let before = match get_without_default(&envelope, "before")? {
                    Value::Struct(s) => s,
                    _ => return Err(null_pointer("before")),
                };
                let topic = get_string(before, route)?;
                set_topic(&mut unwrapped, topic);
            }
            unwrapped = self.drop_fields(unwrapped)?;
            if !unwrapped.value.value.is_null() {
                unwrapped = self.add_fields(&envelope, unwrapped)?;
            }
            Ok(Some(unwrapped))
        } else {
            let mut unwrapped = record;
            unwrapped.value = after;
            if self.strategy.rewrite {
                unwrapped = self.insert_deleted(unwrapped, false)?;
            }
            if let Some(route) = self.route_by_field.as_deref() {
                let row = require_struct(
                    &unwrapped.value.value,
                    None,
                    "Read record to set topic routing for CREATE / UPDATE",
                )?;
                let topic = get_string(row, route)?;
                set_topic(&mut unwrapped, topic);
            }
            unwrapped = self.add_fields(&envelope, unwrapped)?;
            self.drop_fields(unwrapped).map(Some)
        }
    }
}

/// Java's `NullPointerException` when a struct that must be there is null.
fn null_pointer(what: &str) -> ConnectError {
    java_exception(
        "NullPointerException",
        format!(
            "Cannot invoke \"org.apache.kafka.connect.data.Struct.getString(String)\" because the return value of \"org.apache.kafka.connect.data.Struct.getStruct(String)\" is null ({what})"
        ),
    )
}

/// `Struct.getString(name)`: the field must exist and hold a string (or null).
fn get_string(value: &Struct, field: &str) -> Result<Option<String>, ConnectError> {
    Ok(get_checked(value, field, SchemaType::String)?
        .as_str()
        .map(str::to_owned))
}

/// `setTopic`: a blank topic leaves the record alone.
fn set_topic(record: &mut ConnectRecord, topic: Option<String>) {
    if let Some(t) = topic
        && !t.trim().is_empty()
    {
        record.topic = t;
    }
}

/// Kafka's `ExtractField$Value` on `field` of the envelope (default substitution on, as
/// Debezium configures it): the field's schema, and its value.
fn extract(
    record: &ConnectRecord,
    envelope: &Struct,
    field: &str,
) -> Result<SchemaAndValue, ConnectError> {
    let schema = record.value.schema.as_ref();
    let Some(f) = schema.and_then(|s| s.field(field)) else {
        return Err(java_exception(
            "IllegalArgumentException",
            format!("Unknown field: {field}"),
        ));
    };
    Ok(SchemaAndValue::new(
        Some(f.schema.clone()),
        get_with_default(envelope, field),
    ))
}

impl ExtractNewRecordState {
    fn handle_delete(
        &mut self,
        mut record: ConnectRecord,
        after: SchemaAndValue,
        before: SchemaAndValue,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        match self.strategy.on_delete {
            OnDelete::Drop => Ok(None),
            OnDelete::NullValue => {
                record.value = after;
                Ok(Some(record))
            }
            OnDelete::Tombstone => {
                record.value = SchemaAndValue::NULL;
                Ok(Some(record))
            }
            OnDelete::Rewrite => {
                record.value = before;
                self.insert_deleted(record, true).map(Some)
            }
        }
    }

    /// Kafka's `InsertField$Value` with `static.field=__deleted`, as Debezium delegates it.
    fn insert_deleted(
        &mut self,
        record: ConnectRecord,
        deleted: bool,
    ) -> Result<ConnectRecord, ConnectError> {
        if !matches!(record.value.value, Value::Struct(_)) {
            return Ok(record);
        }
        let delegate = if deleted {
            &mut self.mark_deleted
        } else {
            &mut self.mark_kept
        };
        delegate
            .apply(record)?
            .ok_or_else(|| ConnectError::fatal("InsertField dropped a record"))
    }

    fn make_headers(&self, envelope: &Value) -> Result<Vec<Header>, ConnectError> {
        let mut headers = Vec::new();
        for reference in &self.additional_headers {
            let Value::Struct(envelope) = envelope else {
                if reference.field == "op" {
                    headers.push(Header {
                        key: reference.new_field.clone(),
                        value: SchemaAndValue::new(Some(Schema::string()), Value::from("d")),
                    });
                }
                continue;
            };
            if let Some(schema) = reference.schema(envelope.schema())? {
                headers.push(Header {
                    key: reference.new_field.clone(),
                    value: SchemaAndValue::new(Some(schema), reference.value(envelope)?),
                });
            }
        }
        Ok(headers)
    }

    /// `addFields`: the row rebuilt with `copySchemaBasics` (so it is no longer optional) and the
    /// requested envelope fields appended. Runs even when none are requested, as in Debezium.
    fn add_fields(
        &mut self,
        envelope: &Struct,
        mut record: ConnectRecord,
    ) -> Result<ConnectRecord, ConnectError> {
        let value = require_struct(&record.value.value, None, PURPOSE)?;
        let schema = value.schema();
        let op = envelope
            .get("op")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let cached = self
            .row_schemas
            .iter()
            .position(|(k, o, _)| std::sync::Arc::ptr_eq(k, schema) && *o == op)
            .or_else(|| {
                self.row_schemas
                    .iter()
                    .position(|(k, o, _)| k == schema && *o == op)
            });
        let new_schema = match cached {
            Some(i) => self.row_schemas[i].2.clone(),
            None => {
                let mut row =
                    copy_schema_basics_into(schema, SchemaBuilder::new(SchemaType::Struct))
                        .into_schema();
                row.fields.clone_from(&schema.fields);
                for reference in &self.additional_fields {
                    if let Some(field_schema) = reference.schema(envelope.schema())? {
                        push_field(&mut row, &reference.new_field, field_schema)?;
                    }
                }
                let built = Arc::new(row);
                if self.row_schemas.len() >= ROW_SCHEMA_CACHE_SIZE {
                    self.row_schemas.remove(0);
                }
                self.row_schemas.push((schema.clone(), op, built.clone()));
                built
            }
        };
        let mut values = value.values().to_vec();
        for reference in &self.additional_fields {
            if reference.present(envelope.schema())? {
                values.push(reference.value(envelope)?);
            }
        }
        let updated = Struct::from_values(new_schema.clone(), values)
            .ok_or_else(|| ConnectError::fatal("struct does not match its schema"))?;
        record.value = SchemaAndValue::new(Some(new_schema), Value::Struct(updated));
        Ok(record)
    }

    /// `drop.fields.header.name`: removes the fields the header lists (Kafka's `ReplaceField`
    /// with `exclude`), from the key too with `drop.fields.from.key`.
    fn drop_fields(&self, mut record: ConnectRecord) -> Result<ConnectRecord, ConnectError> {
        let Some(header_name) = self.drop_fields_header.as_deref() else {
            return Ok(record);
        };
        if header_name.trim().is_empty() {
            return Ok(record);
        }
        let Some(header) = record.headers.iter().find(|h| h.key == header_name) else {
            return Ok(record);
        };
        let names: Vec<String> = match &header.value.value {
            Value::Null => return Ok(record),
            Value::Array(items) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            other => {
                return Err(java_exception(
                    "ClassCastException",
                    format!(
                        "class {} cannot be cast to class java.util.List",
                        crate::kafka::util::java_class_name(other, None)
                    ),
                ));
            }
        };
        if names.is_empty() {
            return Ok(record);
        }
        if self.drop_fields_from_key && !record.key.value.is_null() {
            let drop = self.fields_to_drop(record.key.schema.as_deref(), &names)?;
            record = exclude_fields(
                record,
                "org.apache.kafka.connect.transforms.ReplaceField$Key",
                &drop,
            )?;
        }
        let drop = self.fields_to_drop(record.value.schema.as_deref(), &names)?;
        exclude_fields(
            record,
            "org.apache.kafka.connect.transforms.ReplaceField$Value",
            &drop,
        )
    }

    /// `getFieldsToDropFromSchema`: with `drop.fields.keep.schema.compatible` only the optional
    /// fields the schema has, otherwise every listed name.
    fn fields_to_drop(
        &self,
        schema: Option<&Schema>,
        names: &[String],
    ) -> Result<Vec<String>, ConnectError> {
        if !self.drop_fields_keep_schema_compatible {
            return Ok(names.to_vec());
        }
        let Some(schema) = schema else {
            return Err(java_exception(
                "NullPointerException",
                "Cannot invoke \"org.apache.kafka.connect.data.Schema.fields()\" because \"schema\" is null",
            ));
        };
        Ok(schema
            .fields
            .iter()
            .filter(|f| f.schema.optional && names.contains(&f.name))
            .map(|f| f.name.clone())
            .collect())
    }
}

/// Kafka's `ReplaceField` with `exclude`, configured per record as Debezium does.
fn exclude_fields(
    record: ConnectRecord,
    class: &str,
    names: &[String],
) -> Result<ConnectRecord, ConnectError> {
    if names.is_empty() {
        return Ok(record);
    }
    let exclude = names.join(",");
    super::kafka_transform(class, &[("exclude", exclude.as_str())])?
        .apply(record)?
        .ok_or_else(|| ConnectError::fatal("ReplaceField dropped a record"))
}

#[cfg(test)]
mod tests;
