//! `io.debezium.transforms.HeaderToValue`: copies or moves headers into fields of the value,
//! including nested ones (`source.origin`), through Debezium's `ConnectRecordUtil`.

use std::sync::{Arc, LazyLock};

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, ParsedConfig, Width};
use connect_api::{
    ConnectError, ConnectRecord, Props, Schema, SchemaAndValue, SchemaBuilder, SchemaRef,
    SchemaType, Struct, Transformation, TransformationPlugin, Value, java,
};

use super::{check_enum, get_with_default, invalid_config, required};
use crate::kafka::util::{
    check_put, copy_schema_basics_into, data_error, java_exception, lookup_field, push_field,
    require_struct,
};

const CLASS: &str = "io.debezium.transforms.HeaderToValue";
const HEADERS: &str = "headers";
const FIELDS: &str = "fields";
const OPERATION: &str = "operation";
const ROOT_FIELD_NAME: &str = "payload";
const CACHE_SIZE: usize = 64;

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                HEADERS,
                ConfigType::List,
                Importance::High,
                "Header names in the record whose values are to be copied or moved to record value.",
            )
            .display_name("Header names list"),
        )
        .define(
            ConfigKey::new(
                FIELDS,
                ConfigType::List,
                Importance::High,
                "Field names, in the same order as the header names listed in the headers configuration property. Supports Struct nesting using dot notation.",
            )
            .display_name("Field names list"),
        )
        .define(
            ConfigKey::new(
                OPERATION,
                ConfigType::String,
                Importance::High,
                "Either <code>move</code> if the fields are to be moved to the value (removed from the headers), or <code>copy</code> if the fields are to be copied to the value (retained in the headers).",
            )
            .width(Width::None)
            .display_name("Operation: mover or copy")
            .recommended(&["move", "copy"]),
        )
        .build()
});

pub(super) fn plugin() -> Box<dyn TransformationPlugin> {
    super::plugin(CLASS, &CONFIG_DEF, create)
}

fn create(_: &ParsedConfig, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let fields = list(props, FIELDS)?;
    let headers = list(props, HEADERS)?;
    let operation = required(props, OPERATION)?;
    check_enum(props, OPERATION, &["move", "copy"])?;
    if fields.len() != headers.len() {
        return Err(crate::kafka::util::config_error(
            FIELDS,
            format!(
                "'{FIELDS}' config must have the same number of elements as '{HEADERS}' config."
            ),
        ));
    }
    Ok(Box::new(HeaderToValue {
        fields,
        headers,
        move_headers: operation.trim().eq_ignore_ascii_case("move"),
        schema_cache: Vec::new(),
    }))
}

/// A required list, split (`String.split(",")`, so a trailing comma adds nothing) and trimmed as
/// Debezium's `Configuration.getList`, without empty or space-holding elements.
fn list(props: &Props, name: &str) -> Result<Vec<String>, ConnectError> {
    let raw = required(props, name)?;
    let items: Vec<String> = java::split(raw, ',')
        .into_iter()
        .map(|s| s.trim().to_owned())
        .collect();
    if items.iter().any(|i| i.contains(' ')) {
        return Err(invalid_config(
            name,
            Some(raw),
            "Element(s) containing space not permitted",
        ));
    }
    if items.iter().any(String::is_empty) {
        return Err(invalid_config(
            name,
            Some(raw),
            "Empty string element(s) not permitted",
        ));
    }
    Ok(items)
}

/// A configured `HeaderToValue`.
#[derive(Debug)]
pub struct HeaderToValue {
    fields: Vec<String>,
    headers: Vec<String>,
    move_headers: bool,
    /// Debezium caches the new schema by the old one alone, so the first record's headers
    /// decide the schema of every later record with the same value schema.
    schema_cache: Vec<(SchemaRef, SchemaRef)>,
}

/// `ConnectRecordUtil.NewEntry`.
#[derive(Debug, Clone)]
struct NewEntry {
    name: String,
    schema: Option<SchemaRef>,
    value: Value,
}

impl Transformation for HeaderToValue {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.value.value.is_null() {
            return Ok(Some(record));
        }
        let value = require_struct(&record.value.value, None, "Header field insertion")?;
        let entries: Vec<NewEntry> = record
            .headers
            .iter()
            .filter_map(|h| {
                let i = self.headers.iter().position(|k| *k == h.key)?;
                Some(NewEntry {
                    name: self.fields[i].clone(),
                    schema: h.value.schema.clone(),
                    value: h.value.value.clone(),
                })
            })
            .collect();
        if entries.is_empty() {
            return Ok(Some(record));
        }
        let old_schema = value.schema().clone();
        let new_schema = match self.schema_cache.iter().position(|(k, _)| *k == old_schema) {
            Some(i) => {
                // Least recently used goes first, as in Debezium's bounded LRU map.
                let entry = self.schema_cache.remove(i);
                let schema = entry.1.clone();
                self.schema_cache.push(entry);
                schema
            }
            None => {
                let s = make_new_schema(&old_schema, &entries)?;
                if self.schema_cache.len() >= CACHE_SIZE {
                    self.schema_cache.remove(0);
                }
                self.schema_cache.push((old_schema, s.clone()));
                s
            }
        };
        let updated = make_updated_value(value, &entries, &new_schema)?;
        record.value = SchemaAndValue::new(Some(new_schema), Value::Struct(updated));
        if self.move_headers {
            record.headers.retain(|h| !self.headers.contains(&h.key));
        }
        Ok(Some(record))
    }
}

fn nested_names(entries: &[NewEntry]) -> Vec<&str> {
    entries
        .iter()
        .filter(|e| e.name.contains('.'))
        .map(|e| e.name.as_str())
        .collect()
}

fn make_new_schema(old: &SchemaRef, entries: &[NewEntry]) -> Result<SchemaRef, ConnectError> {
    let nested = nested_names(entries);
    for name in &nested {
        let parts = java::split(name, '.');
        let mut current: &Schema = old;
        for part in parts.iter().take(parts.len().saturating_sub(1)) {
            let Some(field) = current.field(part) else {
                break;
            };
            if is_primitive(field.schema.schema_type) {
                // `ConnectRecordUtil` throws a `DebeziumException` here.
                return Err(java_exception(
                    "DebeziumException",
                    format!(
                        "Field '{part}' is a primitive type, not a struct. Cannot add nested field '{name}'."
                    ),
                ));
            }
            current = &field.schema;
        }
    }
    build_new_schema(ROOT_FIELD_NAME, old, entries, &nested, 0)
}

fn is_primitive(t: SchemaType) -> bool {
    !matches!(t, SchemaType::Struct | SchemaType::Array | SchemaType::Map)
}

fn entry_schema(entry: &NewEntry, field: &str) -> Result<SchemaRef, ConnectError> {
    entry.schema.clone().ok_or_else(|| {
        java_exception(
            "SchemaBuilderException",
            format!("fieldSchema for field {field} cannot be null."),
        )
    })
}

fn build_new_schema(
    field_name: &str,
    old: &SchemaRef,
    entries: &[NewEntry],
    nested: &[&str],
    level: usize,
) -> Result<SchemaRef, ConnectError> {
    if is_primitive(old.schema_type) {
        return Ok(old.clone());
    }
    let mut schema =
        copy_schema_basics_into(old, SchemaBuilder::new(SchemaType::Struct)).into_schema();
    for f in &old.fields {
        let field_schema = if is_contained_in(&f.name, nested) {
            build_new_schema(&f.name, &f.schema, entries, nested, level + 1)?
        } else {
            f.schema.clone()
        };
        push_field(&mut schema, &f.name, field_schema)?;
    }
    for entry in entries {
        if let Some(name) = get_field_name(&entry.name, field_name, level)
            && schema.field(name).is_none()
        {
            push_field(&mut schema, name, entry_schema(entry, name)?)?;
        }
    }
    for parent in new_parent_fields_at_level(field_name, old, nested, level) {
        let mut parent_schema = Schema::struct_builder().optional().into_schema();
        for entry in entries {
            if let Some(name) = nested_field_name_for_parent(&entry.name, parent, field_name, level)
            {
                push_field(&mut parent_schema, name, entry_schema(entry, name)?)?;
            }
        }
        push_field(&mut schema, parent, Arc::new(parent_schema))?;
    }
    Ok(Arc::new(schema))
}

fn make_updated_value(
    original: &Struct,
    entries: &[NewEntry],
    schema: &SchemaRef,
) -> Result<Struct, ConnectError> {
    let nested = nested_names(entries);
    build_updated_value(ROOT_FIELD_NAME, original, entries, schema, &nested, 0)
}

/// `Struct.put` with the checks of `ConnectSchema.validateValue` that can fail here: an unknown
/// field, a null for a required field, a struct of another schema.
fn put(target: &mut Struct, name: &str, value: Value) -> Result<(), ConnectError> {
    let field = lookup_field(target.schema(), name)?;
    check_put(name, &field.schema, &value)?;
    if let Value::Struct(s) = &value
        && **s.schema() != *field.schema
    {
        return Err(data_error("Struct schemas do not match."));
    }
    target.put(name, value);
    Ok(())
}

fn build_updated_value(
    field_name: &str,
    original: &Struct,
    entries: &[NewEntry],
    schema: &SchemaRef,
    nested: &[&str],
    level: usize,
) -> Result<Struct, ConnectError> {
    let mut updated = Struct::new(schema.clone());
    for f in &original.schema().fields {
        let v = get_with_default(original, &f.name);
        if v.is_null() {
            continue;
        }
        if is_contained_in(&f.name, nested) {
            let inner = require_struct(&v, None, "Nested field")?;
            let inner_schema = lookup_field(schema, &f.name)?.schema.clone();
            let built =
                build_updated_value(&f.name, inner, entries, &inner_schema, nested, level + 1)?;
            put(&mut updated, &f.name, Value::Struct(built))?;
        } else {
            put(&mut updated, &f.name, v)?;
        }
    }
    for entry in entries {
        if let Some(name) = get_field_name(&entry.name, field_name, level) {
            put(&mut updated, name, entry.value.clone())?;
        }
    }
    for parent in new_parent_fields_at_level(field_name, original.schema(), nested, level) {
        if let Some(parent_field) = schema.field(parent) {
            let mut parent_struct = Struct::new(parent_field.schema.clone());
            for entry in entries {
                if let Some(name) =
                    nested_field_name_for_parent(&entry.name, parent, field_name, level)
                {
                    put(&mut parent_struct, name, entry.value.clone())?;
                }
            }
            put(&mut updated, parent, Value::Struct(parent_struct))?;
        }
    }
    Ok(updated)
}

/// `getFieldName`: the name an entry takes at this level, if it belongs here.
fn get_field_name<'a>(destination: &'a str, field_name: &str, level: usize) -> Option<&'a str> {
    let names = java::split(destination, '.');
    if names.len() == 1 && field_name == ROOT_FIELD_NAME {
        return names.first().copied();
    }
    let parent_level = level.saturating_sub(1);
    if names.len() == level + 1 && names.get(parent_level).is_some_and(|n| *n == field_name) {
        return names.get(level).copied();
    }
    None
}

/// `isContainedIn`: a substring test, as in Debezium.
fn is_contained_in(field_name: &str, nested: &[&str]) -> bool {
    let with_separator = format!("{field_name}.");
    nested.iter().any(|s| s.contains(&with_separator))
}

fn new_parent_fields_at_level<'a>(
    current: &str,
    old: &Schema,
    nested: &[&'a str],
    level: usize,
) -> Vec<&'a str> {
    let mut parents: Vec<&'a str> = Vec::new();
    for name in nested {
        let parts = java::split(name, '.');
        let process = (level == 0 && current == ROOT_FIELD_NAME)
            || (level > 0 && level < parts.len() && parts[level - 1] == current);
        if process && level + 1 < parts.len() {
            let field = parts[level];
            if old.field(field).is_none() && !parents.contains(&field) {
                parents.push(field);
            }
        }
    }
    parents
}

fn nested_field_name_for_parent<'a>(
    destination: &'a str,
    parent: &str,
    current: &str,
    level: usize,
) -> Option<&'a str> {
    let parts = java::split(destination, '.');
    if level == 0 && current == ROOT_FIELD_NAME {
        if parts.len() > 1 && parts[0] == parent {
            return Some(parts[1]);
        }
    } else if level > 0 {
        let upto = (level + 1).min(parts.len());
        if parts[..upto].join(".") == parent && level + 1 < parts.len() {
            return Some(parts[level + 1]);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use connect_api::Header;

    use super::*;

    fn record() -> ConnectRecord {
        let source = Schema::struct_builder()
            .name("src")
            .field("db", Schema::string())
            .build();
        let schema = Schema::struct_builder()
            .name("row")
            .field("id", Schema::int32())
            .field("source", source.clone())
            .build();
        let value = Struct::new(schema.clone())
            .with("id", 1)
            .with("source", Struct::new(source).with("db", "inventory"));
        ConnectRecord {
            kafka_partition: Some(0),
            headers: vec![
                Header {
                    key: "h1".into(),
                    value: SchemaAndValue::new(Some(Schema::string()), "one".into()),
                },
                Header {
                    key: "h2".into(),
                    value: SchemaAndValue::new(Some(Schema::int64()), Value::Int64(2)),
                },
            ]
            .into(),
            ..crate::test_support::source_record(
                "t",
                SchemaAndValue::new(Some(schema), Value::Struct(value)),
            )
        }
    }

    fn transform(fields: &str, op: &str) -> Box<dyn Transformation> {
        let props: Props = [
            (HEADERS.to_string(), "h1,h2".to_string()),
            (FIELDS.to_string(), fields.to_string()),
            (OPERATION.to_string(), op.to_string()),
        ]
        .into();
        plugin().create(&props).unwrap()
    }

    #[test]
    fn copy_appends_header_fields_and_keeps_the_headers() {
        let out = transform("a,b", "copy").apply(record()).unwrap().unwrap();
        let schema = out.value.schema.unwrap();
        let names: Vec<_> = schema.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["id", "source", "a", "b"]);
        assert_eq!(schema.name.as_deref(), Some("row"));
        let v = out.value.value.as_struct().unwrap();
        assert_eq!(v.get("b"), Some(&Value::Int64(2)));
        assert_eq!(out.headers.len(), 2);
    }

    #[test]
    fn move_into_a_nested_struct_and_a_new_parent_removes_the_headers() {
        let out = transform("source.origin,meta.count", "move")
            .apply(record())
            .unwrap()
            .unwrap();
        let v = out.value.value.as_struct().unwrap();
        let source = v.get("source").unwrap().as_struct().unwrap();
        assert_eq!(source.get("origin"), Some(&Value::from("one")));
        let meta = v.get("meta").unwrap().as_struct().unwrap();
        assert_eq!(meta.get("count"), Some(&Value::Int64(2)));
        assert!(meta.schema().optional);
        assert!(out.headers.is_empty());
    }

    #[test]
    fn mismatched_list_lengths_are_a_config_error() {
        let props: Props = [
            (HEADERS.to_string(), "h1,h2".to_string()),
            (FIELDS.to_string(), "a".to_string()),
            (OPERATION.to_string(), "copy".to_string()),
        ]
        .into();
        let err = plugin().create(&props).unwrap_err();
        assert!(
            matches!(&err, ConnectError::Config(e) if e.to_string()
                == "'fields' config must have the same number of elements as 'headers' config."),
            "{err:?}"
        );
    }
}
