//! `io.debezium.transforms.ByLogicalTableRouter`: routes the change events of several physical
//! tables (shards) to one logical topic, renaming the key, row and envelope schemas after it and
//! adding the physical table to the key so keys stay unique.

use std::sync::{Arc, LazyLock};

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, ParsedConfig, Width};
use connect_api::{
    ConnectError, ConnectRecord, Props, Schema, SchemaAndValue, SchemaBuilder, SchemaRef,
    SchemaType, Struct, Transformation, TransformationPlugin, Value,
};

use super::{get_with_default, is_envelope};
use crate::kafka::util::{JavaPattern, push_field, replace_first, require_struct};

const CLASS: &str = "io.debezium.transforms.ByLogicalTableRouter";
const TOPIC_REGEX: &str = "topic.regex";
const TOPIC_REPLACEMENT: &str = "topic.replacement";
const KEY_ENFORCE_UNIQUENESS: &str = "key.enforce.uniqueness";
const KEY_FIELD_REGEX: &str = "key.field.regex";
const KEY_FIELD_REPLACEMENT: &str = "key.field.replacement";
const LOGICAL_TABLE_CACHE_SIZE: &str = "logical.table.cache.size";
/// Read by Debezium although its `config()` does not list them.
const KEY_FIELD_NAME: &str = "key.field.name";
const SCHEMA_NAME_ADJUSTMENT_MODE: &str = "schema.name.adjustment.mode";
const DEFAULT_KEY_FIELD_NAME: &str = "__dbz__physicalTableIdentifier";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    let key = |name: &str, t: ConfigType, width: Width, display: &str, doc: &str| {
        ConfigKey::new(name, t, Importance::Low, doc)
            .width(width)
            .display_name(display)
    };
    ConfigDef::builder()
        .define(
            key(
                TOPIC_REGEX,
                ConfigType::String,
                Width::Long,
                "Topic regex",
                "The regex used for extracting the name of the logical table from the original topic name.",
            ),
        )
        .define(
            key(
                TOPIC_REPLACEMENT,
                ConfigType::String,
                Width::Long,
                "Topic replacement",
                "The replacement string used in conjunction with topic.regex. This will be used to create the new topic name.",
            )
        )
        .define(
            key(
                KEY_ENFORCE_UNIQUENESS,
                ConfigType::Boolean,
                Width::Short,
                "Add source topic name into key",
                "Augment each record's key with a field denoting the source topic. This field distinguishes records coming from different physical tables which may otherwise have primary/unique key conflicts. If the source tables are guaranteed to have globally unique keys then this may be set to false to disable key rewriting.",
            )
            .default("true"),
        )
        .define(
            key(
                KEY_FIELD_REGEX,
                ConfigType::String,
                Width::Long,
                "Key field regex",
                "The regex used for extracting the physical table identifier from the original topic name. Now that multiple physical tables can share a topic, the event's key may need to be augmented to include fields other than just those for the record's primary/unique key, since these are not guaranteed to be unique across tables. We need some identifier added to the key that distinguishes the different physical tables.",
            ),
        )
        .define(key(
            KEY_FIELD_REPLACEMENT,
            ConfigType::String,
            Width::Long,
            "Key field replacement",
            "The replacement string used in conjunction with key.field.regex. This will be used to create the physical table identifier in the record's key.",
        ))
        .define(
            key(
                LOGICAL_TABLE_CACHE_SIZE,
                ConfigType::Int,
                Width::Long,
                "Logical table cache size",
                "The size used for holding the max entries in LRUCache. The cache will keep the old/new schema for logical table key and value, also cache the derived key and topic regex result for improving the source record transformation.",
            )
            .default("16"),
        )
        .build()
});

pub(super) fn plugin() -> Box<dyn TransformationPlugin> {
    super::plugin_with(CLASS, &CONFIG_DEF, create, Some(super::UNABLE_TO_VALIDATE))
}

/// `SchemaNameAdjustmentMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameAdjustment {
    None,
    Avro,
    AvroUnicode,
}

impl NameAdjustment {
    /// `SchemaNameAdjuster.validFullname`, over UTF-16 units as Java's `charAt`: `[A-Za-z_]`
    /// first, then also digits and dots. `avro` writes `_` for each invalid unit and keeps a
    /// leading digit after it; `avro_unicode` writes `_uXXXX`.
    fn adjust(self, name: &str) -> String {
        if self == Self::None {
            return name.to_owned();
        }
        let mut out = String::with_capacity(name.len());
        let mut changed = false;
        for (i, unit) in name.encode_utf16().enumerate() {
            let c = char::from_u32(u32::from(unit));
            let first_ok = c.is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
            let valid = first_ok || (i > 0 && c.is_some_and(|c| c.is_ascii_digit() || c == '.'));
            if valid {
                out.extend(c);
                continue;
            }
            changed = true;
            match self {
                Self::Avro => {
                    out.push('_');
                    if i == 0 && c.is_some_and(|c| c.is_ascii_digit()) {
                        out.extend(c);
                    }
                }
                _ => out.push_str(&format!("_u{unit:04x}")),
            }
        }
        if changed { out } else { name.to_owned() }
    }
}

fn create(parsed: &ParsedConfig, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let unable = || ConnectError::fatal(super::UNABLE_TO_VALIDATE);
    let (Some(topic_regex), Some(topic_replacement)) = (
        parsed.opt_string(TOPIC_REGEX),
        parsed.opt_string(TOPIC_REPLACEMENT),
    ) else {
        return Err(unable());
    };
    if topic_regex.trim().is_empty() || topic_replacement.trim().is_empty() {
        return Err(unable());
    }
    let topic_regex = JavaPattern::compile(topic_regex).map_err(|_| unable())?;
    let key_field_regex = parsed
        .opt_string(KEY_FIELD_REGEX)
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let key_field = match key_field_regex {
        Some(_) => {
            let replacement = parsed.opt_string(KEY_FIELD_REPLACEMENT).unwrap_or("");
            if replacement.trim().is_empty() {
                return Err(unable());
            }
            let raw = parsed.opt_string(KEY_FIELD_REGEX).unwrap_or("");
            Some((
                JavaPattern::compile(raw).map_err(|_| unable())?,
                replacement.to_owned(),
            ))
        }
        None => None,
    };
    let adjustment = match props
        .get(SCHEMA_NAME_ADJUSTMENT_MODE)
        .map(|s| s.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("none") => NameAdjustment::None,
        Some("avro") => NameAdjustment::Avro,
        Some("avro_unicode") => NameAdjustment::AvroUnicode,
        Some(_) => return Err(unable()),
    };
    let cache_size = usize::try_from(parsed.int(LOGICAL_TABLE_CACHE_SIZE)).unwrap_or(0);
    Ok(Box::new(ByLogicalTableRouter {
        topic_regex,
        topic_replacement: topic_replacement.to_owned(),
        key_field,
        key_field_name: props
            .get(KEY_FIELD_NAME)
            .cloned()
            .unwrap_or_else(|| DEFAULT_KEY_FIELD_NAME.to_owned()),
        key_enforce_uniqueness: parsed.boolean(KEY_ENFORCE_UNIQUENESS),
        adjustment,
        key_schemas: Lru::new(cache_size),
        envelope_schemas: Lru::new(cache_size),
    }))
}

/// Debezium's `LRUCache` keyed by schema. It matters for output: the renamed schema is cached
/// by the old schema alone, so two topics sharing one key schema both get the first topic's
/// key schema name, as in Debezium.
#[derive(Debug)]
struct Lru {
    capacity: usize,
    entries: Vec<(SchemaRef, SchemaRef)>,
}

impl Lru {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Vec::new(),
        }
    }

    fn get(&mut self, key: &SchemaRef) -> Option<SchemaRef> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        let entry = self.entries.remove(i);
        let value = entry.1.clone();
        self.entries.push(entry);
        Some(value)
    }

    fn put(&mut self, key: SchemaRef, value: SchemaRef) {
        self.entries.retain(|(k, _)| *k != key);
        self.entries.push((key, value));
        if self.entries.len() > self.capacity {
            self.entries.remove(0);
        }
    }
}

/// A configured `ByLogicalTableRouter`.
#[derive(Debug)]
pub struct ByLogicalTableRouter {
    topic_regex: JavaPattern,
    topic_replacement: String,
    key_field: Option<(JavaPattern, String)>,
    key_field_name: String,
    key_enforce_uniqueness: bool,
    adjustment: NameAdjustment,
    key_schemas: Lru,
    envelope_schemas: Lru,
}

impl Transformation for ByLogicalTableRouter {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        let old_topic = record.topic.clone();
        if !self.topic_regex.matches(&old_topic) {
            return Ok(Some(record));
        }
        let new_topic = replace_first(&self.topic_regex.find, &old_topic, &self.topic_replacement)?;
        if new_topic.is_empty() {
            return Ok(Some(record));
        }

        record.key = if record.key.value.is_null() {
            SchemaAndValue::NULL
        } else {
            let old_key = require_struct(&record.key.value, None, "Updating schema")?;
            let schema = self.update_key_schema(old_key.schema(), &new_topic)?;
            let key = self.update_key(&schema, old_key, &old_topic)?;
            SchemaAndValue::new(Some(schema), Value::Struct(key))
        };
        record.topic = new_topic.clone();

        if record.value.value.is_null() || !is_envelope(record.value.schema.as_ref()) {
            return Ok(Some(record));
        }
        let old_envelope = require_struct(&record.value.value, None, "Updating schema")?;
        let schema = self.update_envelope_schema(old_envelope.schema(), &new_topic)?;
        let envelope = update_envelope(&schema, old_envelope)?;
        record.value = SchemaAndValue::new(Some(schema), Value::Struct(envelope));
        Ok(Some(record))
    }
}

/// `copySchemaExcludingName`: version, doc, parameters, optionality and (optionally) fields.
fn copy_excluding_name(source: &Schema, copy_fields: bool) -> SchemaBuilder {
    let mut builder = SchemaBuilder::new(SchemaType::Struct).optional_if(source.optional);
    if let Some(v) = source.version {
        builder = builder.version(v);
    }
    if let Some(doc) = &source.doc {
        builder = builder.doc(doc.clone());
    }
    for (k, v) in &source.parameters {
        builder = builder.parameter(k.clone(), v.clone());
    }
    if copy_fields {
        for f in &source.fields {
            builder = builder.field(f.name.clone(), f.schema.clone());
        }
    }
    builder
}

fn copy_row(schema: &SchemaRef, old: &Struct) -> Result<Struct, ConnectError> {
    let mut row = Struct::new(schema.clone());
    for f in &old.schema().fields {
        if !row.put(&f.name, old.values()[f.index].clone()) {
            return Err(ConnectError::data(format!(
                "{} is not a valid field name",
                f.name
            )));
        }
    }
    Ok(row)
}

fn update_envelope(schema: &SchemaRef, old: &Struct) -> Result<Struct, ConnectError> {
    let row_schema = schema
        .field("before")
        .map(|f| f.schema.clone())
        .ok_or_else(|| ConnectError::data("before is not a valid field name"))?;
    let mut envelope = Struct::new(schema.clone());
    for f in &old.schema().fields {
        let mut v = get_with_default(old, &f.name);
        if (f.name == "before" || f.name == "after") && !v.is_null() {
            v = Value::Struct(copy_row(
                &row_schema,
                require_struct(&v, None, "Updating schema")?,
            )?);
        }
        envelope.put(&f.name, v);
    }
    Ok(envelope)
}

impl ByLogicalTableRouter {
    fn update_key_schema(
        &mut self,
        old: &SchemaRef,
        topic: &str,
    ) -> Result<SchemaRef, ConnectError> {
        if let Some(s) = self.key_schemas.get(old) {
            return Ok(s);
        }
        let mut schema = copy_excluding_name(old, true)
            .name(self.adjustment.adjust(&format!("{topic}.Key")))
            .into_schema();
        if self.key_enforce_uniqueness {
            push_field(&mut schema, &self.key_field_name, Schema::string())?;
        }
        let schema = Arc::new(schema);
        self.key_schemas.put(old.clone(), schema.clone());
        Ok(schema)
    }

    fn update_key(
        &self,
        schema: &SchemaRef,
        old: &Struct,
        old_topic: &str,
    ) -> Result<Struct, ConnectError> {
        let mut key = copy_row(schema, old)?;
        if self.key_enforce_uniqueness {
            let identifier = match &self.key_field {
                Some((re, replacement)) if re.matches(old_topic) => {
                    replace_first(&re.find, old_topic, replacement)?
                }
                _ => old_topic.to_owned(),
            };
            key.put(&self.key_field_name, Value::String(identifier));
        }
        Ok(key)
    }

    fn update_envelope_schema(
        &mut self,
        old: &SchemaRef,
        topic: &str,
    ) -> Result<SchemaRef, ConnectError> {
        if let Some(s) = self.envelope_schemas.get(old) {
            return Ok(s);
        }
        let Some(before) = old.field("before") else {
            return Err(crate::kafka::util::java_exception(
                "NullPointerException",
                "Cannot invoke \"org.apache.kafka.connect.data.Field.schema()\" because the return value of \"org.apache.kafka.connect.data.Schema.field(String)\" is null",
            ));
        };
        let row = copy_excluding_name(&before.schema, true)
            .name(self.adjustment.adjust(&format!("{topic}.Value")))
            .build();
        let mut builder = copy_excluding_name(old, false);
        for f in &old.fields {
            let schema = if f.name == "before" || f.name == "after" {
                row.clone()
            } else {
                f.schema.clone()
            };
            builder = builder.field(f.name.clone(), schema);
        }
        let schema = builder
            .name(self.adjustment.adjust(&format!("{topic}.Envelope")))
            .build();
        self.envelope_schemas.put(old.clone(), schema.clone());
        Ok(schema)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_schema(table: &str) -> SchemaRef {
        Schema::struct_builder()
            .name(format!("srv.db.{table}.Key"))
            .field("id", Schema::int32())
            .build()
    }

    fn record(table: &str) -> ConnectRecord {
        let row = Schema::struct_builder()
            .name(format!("srv.db.{table}.Value"))
            .optional()
            .field("id", Schema::int32())
            .build();
        let env = Schema::struct_builder()
            .name(format!("srv.db.{table}.Envelope"))
            .version(1)
            .field("before", row.clone())
            .field("after", row.clone())
            .field("op", Schema::string())
            .build();
        let mut value = Struct::new(env.clone()).with("op", "c");
        value.put("after", Value::Struct(Struct::new(row).with("id", 5)));
        let key_schema = key_schema(table);
        ConnectRecord {
            key: SchemaAndValue::new(
                Some(key_schema.clone()),
                Value::Struct(Struct::new(key_schema).with("id", 5)),
            ),
            ..crate::test_support::source_record(
                &format!("srv.db.{table}"),
                SchemaAndValue::new(Some(env), Value::Struct(value)),
            )
        }
    }

    fn router(extra: &[(&str, &str)]) -> Box<dyn Transformation> {
        let mut props: Props = [
            (
                TOPIC_REGEX.to_string(),
                r"(.*)\.(.*)\.customers_shard(.*)".to_string(),
            ),
            (
                TOPIC_REPLACEMENT.to_string(),
                "$1.$2.customers_all".to_string(),
            ),
        ]
        .into();
        for (k, v) in extra {
            props.insert((*k).to_string(), (*v).to_string());
        }
        plugin().create(&props).unwrap()
    }

    #[test]
    fn a_shard_is_routed_with_renamed_schemas_and_the_physical_topic_in_the_key() {
        let out = router(&[])
            .apply(record("customers_shard1"))
            .unwrap()
            .unwrap();
        assert_eq!(out.topic, "srv.db.customers_all");
        let key = out.key.value.as_struct().unwrap();
        assert_eq!(
            key.schema().name.as_deref(),
            Some("srv.db.customers_all.Key")
        );
        assert_eq!(
            key.get(DEFAULT_KEY_FIELD_NAME),
            Some(&Value::from("srv.db.customers_shard1"))
        );
        let env = out.value.schema.unwrap();
        assert_eq!(env.name.as_deref(), Some("srv.db.customers_all.Envelope"));
        assert_eq!(env.version, Some(1));
        let row = &env.field("after").unwrap().schema;
        assert_eq!(row.name.as_deref(), Some("srv.db.customers_all.Value"));
        assert!(row.optional);
    }

    #[test]
    fn key_field_regex_names_the_physical_table_and_uniqueness_can_be_off() {
        let out = router(&[
            (KEY_FIELD_REGEX, r".*_shard(\d+)"),
            (KEY_FIELD_REPLACEMENT, "shard-$1"),
            (KEY_FIELD_NAME, "shard"),
        ])
        .apply(record("customers_shard2"))
        .unwrap()
        .unwrap();
        let key = out.key.value.as_struct().unwrap();
        assert_eq!(key.get("shard"), Some(&Value::from("shard-2")));

        let out = router(&[(KEY_ENFORCE_UNIQUENESS, "false")])
            .apply(record("customers_shard2"))
            .unwrap()
            .unwrap();
        assert_eq!(out.key.value.as_struct().unwrap().schema().fields.len(), 1);
    }

    #[test]
    fn a_topic_that_does_not_match_passes_unchanged() {
        let input = record("orders");
        let out = router(&[]).apply(input.clone()).unwrap().unwrap();
        assert_eq!(out, input);
    }

    #[test]
    fn a_key_field_regex_without_replacement_is_rejected() {
        let props: Props = [
            (TOPIC_REGEX.to_string(), "a".to_string()),
            (TOPIC_REPLACEMENT.to_string(), "b".to_string()),
            (KEY_FIELD_REGEX.to_string(), "x".to_string()),
        ]
        .into();
        let err = plugin().create(&props).unwrap_err();
        assert_eq!(err.to_string(), "Unable to validate config.");
    }

    #[test]
    fn avro_adjustment_replaces_characters_avro_names_cannot_hold() {
        assert_eq!(NameAdjustment::Avro.adjust("1a-b.9c"), "_1a_b.9c");
        assert_eq!(NameAdjustment::AvroUnicode.adjust("1é"), "_u0031_u00e9");
        assert_eq!(NameAdjustment::None.adjust("1a-b"), "1a-b");
    }
}
