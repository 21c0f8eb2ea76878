//! JSON nodes → Connect schemas and values (`asConnectSchema`, `convertToConnect`).
//!
//! Deliberate difference from Kafka: a JSON node of the wrong kind for its schema (a string where
//! an `int32` is declared) is an error here, where Jackson's accessors would silently read `0`,
//! `false` or `null`.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::GeneralPurpose;
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use bytes::Bytes;
use connect_api::data::{Date, Decimal, Time, Timestamp};
use connect_api::{ConvertError, Field, Schema, SchemaRef, SchemaType, Struct, Value};

use super::parse::{Node, is_integral};
use connect_api::data::values::java_type_name;
use connect_api::java;

/// Jackson decodes base64 with or without padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn err(message: impl Into<String>) -> ConvertError {
    ConvertError::deserialize(message)
}

/// Builds a schema from its JSON form. `Ok(None)` for a JSON `null`.
pub(crate) fn schema(
    node: &Node<'_>,
    replace_null_with_default: bool,
) -> Result<Option<SchemaRef>, ConvertError> {
    if matches!(node, Node::Null) {
        return Ok(None);
    }
    let Some(Node::String(type_name)) = node.get("type") else {
        return Err(err("Schema must contain 'type' field"));
    };
    let mut s = Schema::builder(SchemaType::Int8).into_schema();
    match type_name.as_ref() {
        "array" => {
            let items = match node.get("items") {
                None | Some(Node::Null) => {
                    return Err(err("Array schema did not specify the element type"));
                }
                Some(items) => required_schema(items, replace_null_with_default, "valueSchema")?,
            };
            s.schema_type = SchemaType::Array;
            s.value_schema = Some(items);
        }
        "map" => {
            let Some(keys) = node.get("keys") else {
                return Err(err("Map schema did not specify the key type"));
            };
            let Some(values) = node.get("values") else {
                return Err(err("Map schema did not specify the value type"));
            };
            s.schema_type = SchemaType::Map;
            s.key_schema = Some(required_schema(
                keys,
                replace_null_with_default,
                "keySchema",
            )?);
            s.value_schema = Some(required_schema(
                values,
                replace_null_with_default,
                "valueSchema",
            )?);
        }
        "struct" => {
            let Some(Node::Array(fields)) = node.get("fields") else {
                return Err(err("Struct schema's \"fields\" argument is not an array."));
            };
            s.schema_type = SchemaType::Struct;
            for field in fields {
                let Some(Node::String(name)) = field.get("field") else {
                    return Err(err("Struct schema's field name not specified properly"));
                };
                if s.fields.iter().any(|f| f.name == *name) {
                    return Err(err(format!(
                        "Cannot create field because of field name duplication {name}"
                    )));
                }
                let field_schema = schema(field, replace_null_with_default)?
                    .ok_or_else(|| err(format!("fieldSchema for field {name} cannot be null.")))?;
                let index = s.fields.len();
                s.fields.push(Field {
                    name: name.to_string(),
                    index,
                    schema: field_schema,
                });
            }
        }
        other => {
            s.schema_type = SchemaType::parse(other)
                .ok_or_else(|| err(format!("Unknown schema type: {other}")))?;
        }
    }
    s.optional = matches!(node.get("optional"), Some(Node::Bool(true)));
    if let Some(Node::String(name)) = node.get("name") {
        s.name = Some(name.to_string());
    }
    if let Some(Node::Number(v)) = node.get("version")
        && is_integral(v)
    {
        // `intValue()` of a long keeps the low 32 bits.
        s.version = v.parse::<i64>().ok().map(|v| v as i32);
    }
    if let Some(Node::String(doc)) = node.get("doc") {
        s.doc = Some(doc.to_string());
    }
    if let Some(Node::Object(params)) = node.get("parameters") {
        for (k, v) in params {
            let Node::String(v) = v else {
                return Err(err("Schema parameters must have string values."));
            };
            match s.parameters.iter_mut().find(|(pk, _)| pk == k) {
                Some(slot) => slot.1 = v.to_string(),
                None => s.parameters.push((k.to_string(), v.to_string())),
            }
        }
    }
    let Some(default_node) = node.get("default") else {
        return Ok(Some(Arc::new(s)));
    };
    // The default is read against the schema built so far, as Kafka reads it against the builder.
    let without_default = Arc::new(s);
    let default = value(
        Some(&without_default),
        Some(default_node),
        replace_null_with_default,
    )?;
    let mut s = Arc::unwrap_or_clone(without_default);
    s.default = (!default.is_null()).then_some(default);
    Ok(Some(Arc::new(s)))
}

fn required_schema(
    node: &Node<'_>,
    replace_null_with_default: bool,
    what: &str,
) -> Result<SchemaRef, ConvertError> {
    schema(node, replace_null_with_default)?.ok_or_else(|| err(format!("{what} cannot be null.")))
}

/// Converts `node` (absent = `None`) under `schema` (`convertToConnect`).
pub(crate) fn value(
    schema: Option<&SchemaRef>,
    node: Option<&Node<'_>>,
    replace_null_with_default: bool,
) -> Result<Value, ConvertError> {
    let Some(s) = schema else {
        return Ok(match node {
            None => Value::Null,
            Some(n) => schemaless(n)?,
        });
    };
    let node = match node {
        None | Some(Node::Null) => {
            if replace_null_with_default && let Some(default) = &s.default {
                return Ok(default.clone());
            }
            if s.optional {
                return Ok(Value::Null);
            }
            return Err(err(format!(
                "Invalid null value for required {} field",
                java_type_name(s.schema_type)
            )));
        }
        Some(n) => n,
    };
    if let Some(name) = &s.name
        && let Some(v) = logical(s, name, node)?
    {
        return Ok(v);
    }
    let mismatch = |expected: &str| {
        err(format!(
            "Invalid type for {} field: expected {expected} but found {}",
            java_type_name(s.schema_type),
            node.type_name()
        ))
    };
    Ok(match s.schema_type {
        SchemaType::Int8 => Value::Int8(int_value(node).ok_or_else(|| mismatch("a number"))? as i8),
        SchemaType::Int16 => {
            Value::Int16(int_value(node).ok_or_else(|| mismatch("a number"))? as i16)
        }
        SchemaType::Int32 => Value::Int32(int_value(node).ok_or_else(|| mismatch("a number"))?),
        SchemaType::Int64 => Value::Int64(long_value(node).ok_or_else(|| mismatch("a number"))?),
        SchemaType::Float32 => match node {
            Node::Number(t) => Value::Float32(t.parse().map_err(|_| mismatch("a number"))?),
            _ => return Err(mismatch("a number")),
        },
        SchemaType::Float64 => match node {
            Node::Number(t) => Value::Float64(t.parse().map_err(|_| mismatch("a number"))?),
            _ => return Err(mismatch("a number")),
        },
        SchemaType::Boolean => match node {
            Node::Bool(b) => Value::Boolean(*b),
            _ => return Err(mismatch("a boolean")),
        },
        SchemaType::String => match node {
            Node::String(t) => Value::String(t.to_string()),
            _ => return Err(mismatch("a string")),
        },
        SchemaType::Bytes => match node {
            Node::String(t) => Value::Bytes(
                BASE64
                    .decode(t.as_bytes())
                    .map(Bytes::from)
                    .map_err(|_| err("Invalid bytes field"))?,
            ),
            _ => return Err(mismatch("a base64 string")),
        },
        SchemaType::Array => match node {
            Node::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| value(s.value_schema.as_ref(), Some(i), replace_null_with_default))
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(mismatch("an array")),
        },
        SchemaType::Map => map(s, node, replace_null_with_default)?,
        SchemaType::Struct => {
            let Node::Object(members) = node else {
                return Err(err(format!(
                    "Structs should be encoded as JSON objects, but found {}",
                    node.type_name()
                )));
            };
            let mut values = Vec::with_capacity(s.fields.len());
            for (i, field) in s.fields.iter().enumerate() {
                // Members usually come in schema order, so try the same position first.
                let member = match members.get(i) {
                    Some((k, v)) if *k == field.name => Some(v),
                    _ => members
                        .iter()
                        .rev()
                        .find(|(k, _)| *k == field.name)
                        .map(|(_, v)| v),
                };
                values.push(value(
                    Some(&field.schema),
                    member,
                    replace_null_with_default,
                )?);
            }
            Value::Struct(
                Struct::from_values(s.clone(), values)
                    .ok_or_else(|| err("struct field count does not match its schema"))?,
            )
        }
    })
}

/// Kafka's logical types; `None` when `name` is not one of them.
fn logical(s: &Schema, name: &str, node: &Node<'_>) -> Result<Option<Value>, ConvertError> {
    Ok(Some(match name {
        Decimal::LOGICAL_NAME => match node {
            Node::Number(text) => {
                let scale = super::encode::decimal_scale(s).map_err(|e| err(e.to_string()))?;
                let (unscaled, from) = java::parse_big_decimal(text)
                    .ok_or_else(|| err(format!("Invalid Decimal value {text}")))?;
                let unscaled = java::rescale(unscaled, from, scale).ok_or_else(|| {
                    err(format!(
                        "Decimal value {text} does not fit the schema's scale {scale}"
                    ))
                })?;
                Value::Bytes(Decimal::encode(&unscaled))
            }
            Node::String(t) => Value::Bytes(
                BASE64
                    .decode(t.as_bytes())
                    .map(Bytes::from)
                    .map_err(|_| err("Invalid bytes for Decimal field"))?,
            ),
            other => {
                return Err(err(format!(
                    "Invalid type for Decimal, underlying representation should be numeric or bytes but was {}",
                    other.type_name()
                )));
            }
        },
        Date::LOGICAL_NAME | Time::LOGICAL_NAME => match node {
            Node::Number(t) if is_integral(t) && t.parse::<i32>().is_ok() => {
                Value::Int32(t.parse().unwrap_or_default())
            }
            other => {
                let what = if name == Date::LOGICAL_NAME {
                    "Date"
                } else {
                    "Time"
                };
                return Err(err(format!(
                    "Invalid type for {what}, underlying representation should be integer but was {}",
                    other.type_name()
                )));
            }
        },
        Timestamp::LOGICAL_NAME => match node {
            Node::Number(t) if is_integral(t) => Value::Int64(
                long_value(node)
                    .ok_or_else(|| err(format!("Numeric value ({t}) out of range of long")))?,
            ),
            other => {
                return Err(err(format!(
                    "Invalid type for Timestamp, underlying representation should be integral but was {}",
                    other.type_name()
                )));
            }
        },
        _ => return Ok(None),
    }))
}

/// Jackson's `longValue()` for a number node: integral text exactly, fractions truncated.
fn long_value(node: &Node<'_>) -> Option<i64> {
    let Node::Number(t) = node else { return None };
    if is_integral(t) {
        t.parse::<i64>().ok()
    } else {
        t.parse::<f64>().ok().map(|f| f as i64)
    }
}

/// Jackson's `intValue()`: a long keeps its low 32 bits, as Java's `(int)` cast does.
fn int_value(node: &Node<'_>) -> Option<i32> {
    let Node::Number(t) = node else { return None };
    if is_integral(t) {
        t.parse::<i64>().ok().map(|v| v as i32)
    } else {
        t.parse::<f64>().ok().map(|f| f as i32)
    }
}

fn map(s: &SchemaRef, node: &Node<'_>, replace: bool) -> Result<Value, ConvertError> {
    let key_schema = s.key_schema.as_ref();
    let value_schema = s.value_schema.as_ref();
    if key_schema.is_none_or(|k| k.schema_type == SchemaType::String) {
        let Node::Object(members) = node else {
            return Err(err(format!(
                "Maps with string fields should be encoded as JSON objects, but found {}",
                node.type_name()
            )));
        };
        let mut entries = Vec::with_capacity(members.len());
        for (k, v) in dedup_last_wins(members) {
            entries.push((
                Value::String(k.to_string()),
                value(value_schema, Some(v), replace)?,
            ));
        }
        return Ok(Value::Map(entries));
    }
    let Node::Array(items) = node else {
        return Err(err(format!(
            "Maps with non-string fields should be encoded as JSON array of tuples, but found {}",
            node.type_name()
        )));
    };
    let mut entries: Vec<(Value, Value)> = Vec::with_capacity(items.len());
    for item in items {
        let Node::Array(pair) = item else {
            return Err(err(format!(
                "Found invalid map entry instead of array tuple: {}",
                item.type_name()
            )));
        };
        if pair.len() != 2 {
            return Err(err(format!(
                "Found invalid map entry, expected length 2 but found :{}",
                pair.len()
            )));
        }
        let k = value(key_schema, Some(&pair[0]), replace)?;
        let v = value(value_schema, Some(&pair[1]), replace)?;
        // A Java map keeps one entry per key.
        match entries.iter_mut().find(|(ek, _)| *ek == k) {
            Some(slot) => slot.1 = v,
            None => entries.push((k, v)),
        }
    }
    Ok(Value::Map(entries))
}

/// Object members with repeated keys collapsed: first position, last value (`LinkedHashMap.put`).
fn dedup_last_wins<'n, 'a>(
    members: &'n [(std::borrow::Cow<'a, str>, Node<'a>)],
) -> Vec<(&'n str, &'n Node<'a>)> {
    let mut out: Vec<(&str, &Node<'a>)> = Vec::with_capacity(members.len());
    if members.len() <= 16 {
        for (k, v) in members {
            match out.iter_mut().find(|(ok, _)| *ok == k.as_ref()) {
                Some(slot) => slot.1 = v,
                None => out.push((k.as_ref(), v)),
            }
        }
    } else {
        let mut index = std::collections::HashMap::with_capacity(members.len());
        for (k, v) in members {
            match index.get(k.as_ref()) {
                Some(&i) => out[i] = (k.as_ref(), v),
                None => {
                    index.insert(k.as_ref(), out.len());
                    out.push((k.as_ref(), v));
                }
            }
        }
    }
    out
}

/// A schemaless JSON number: integral ones are `Int64`, others `Float64`.
pub(crate) fn schemaless_number(t: &str) -> Result<Value, ConvertError> {
    Ok(if is_integral(t) {
        Value::Int64(
            t.parse()
                .map_err(|_| err(format!("Numeric value ({t}) out of range of long")))?,
        )
    } else {
        Value::Float64(
            t.parse()
                .map_err(|_| err(format!("Invalid numeric value {t}")))?,
        )
    })
}

/// Schemaless JSON: objects become string-keyed maps, integers `Int64`, other numbers `Float64`.
/// (Whole documents take the fused path, `parse::parse_schemaless`; this serves payloads
/// whose envelope declares a null schema.)
fn schemaless(node: &Node<'_>) -> Result<Value, ConvertError> {
    Ok(match node {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Boolean(*b),
        Node::Number(t) => schemaless_number(t)?,
        Node::String(t) => Value::String(t.to_string()),
        Node::Array(items) => Value::Array(items.iter().map(schemaless).collect::<Result<_, _>>()?),
        Node::Object(members) => Value::Map(
            dedup_last_wins(members)
                .into_iter()
                .map(|(k, v)| Ok((Value::String(k.to_owned()), schemaless(v)?)))
                .collect::<Result<_, ConvertError>>()?,
        ),
    })
}
