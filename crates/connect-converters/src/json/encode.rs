//! Connect data → JSON bytes, written straight into the output buffer (no intermediate tree),
//! with the member order of Kafka's `JsonConverter.asJsonSchema` / `convertToJson`.

use connect_api::data::{Date, Decimal, Time, Timestamp};
use connect_api::{ConvertError, Schema, SchemaType, Value};
use num_bigint::BigInt;

use super::write;
use connect_api::data::values::{java_class, java_type_name};
use connect_api::java;

/// The settings that change the bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    pub(crate) decimal_numeric: bool,
    pub(crate) replace_null_with_default: bool,
}

/// Writes the JSON form of `schema`: `type`, then `fields` | `items` | `keys`,`values`, then
/// `optional`, `name`, `version`, `doc`, `parameters`, `default`.
pub(crate) fn schema(out: &mut Vec<u8>, s: &Schema, o: Options) -> Result<(), ConvertError> {
    schema_open(out, s, o)?;
    out.push(b'}');
    Ok(())
}

/// Like [`schema`] but leaves the object open, so a struct member can append `"field"` last.
fn schema_open(out: &mut Vec<u8>, s: &Schema, o: Options) -> Result<(), ConvertError> {
    out.extend_from_slice(b"{\"type\":");
    write::string(out, s.schema_type.as_str());
    match s.schema_type {
        SchemaType::Struct => {
            out.extend_from_slice(b",\"fields\":[");
            for (i, field) in s.fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                schema_open(out, &field.schema, o)?;
                out.extend_from_slice(b",\"field\":");
                write::string(out, &field.name);
                out.push(b'}');
            }
            out.push(b']');
        }
        SchemaType::Array => {
            out.extend_from_slice(b",\"items\":");
            optional_schema(out, s.value_schema.as_deref(), o)?;
        }
        SchemaType::Map => {
            out.extend_from_slice(b",\"keys\":");
            optional_schema(out, s.key_schema.as_deref(), o)?;
            out.extend_from_slice(b",\"values\":");
            optional_schema(out, s.value_schema.as_deref(), o)?;
        }
        _ => {}
    }
    out.extend_from_slice(b",\"optional\":");
    write::boolean(out, s.optional);
    if let Some(name) = &s.name {
        out.extend_from_slice(b",\"name\":");
        write::string(out, name);
    }
    if let Some(version) = s.version {
        out.extend_from_slice(b",\"version\":");
        write::int(out, version.into());
    }
    if let Some(doc) = &s.doc {
        out.extend_from_slice(b",\"doc\":");
        write::string(out, doc);
    }
    if !s.parameters.is_empty() {
        out.extend_from_slice(b",\"parameters\":{");
        for (i, (k, v)) in s.parameters.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write::key(out, k);
            write::string(out, v);
        }
        out.push(b'}');
    }
    if let Some(default) = default_of(s) {
        out.extend_from_slice(b",\"default\":");
        value(out, Some(s), default, o)?;
    }
    Ok(())
}

fn optional_schema(out: &mut Vec<u8>, s: Option<&Schema>, o: Options) -> Result<(), ConvertError> {
    match s {
        Some(s) => schema(out, s, o),
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

/// A schema's default; an explicit `Null` default is no default, as in Java.
fn default_of(s: &Schema) -> Option<&Value> {
    s.default.as_ref().filter(|d| !d.is_null())
}

fn invalid_type(s: &Schema, v: &Value) -> ConvertError {
    ConvertError::serialize(format!(
        "Invalid type for {}: {}",
        java_type_name(s.schema_type),
        java_class(v)
    ))
}

/// Writes the JSON form of `v` under `schema` (`convertToJson`).
pub(crate) fn value(
    out: &mut Vec<u8>,
    schema: Option<&Schema>,
    v: &Value,
    o: Options,
) -> Result<(), ConvertError> {
    let Some(s) = schema else {
        return schemaless(out, v, o);
    };
    if v.is_null() {
        if o.replace_null_with_default
            && let Some(default) = default_of(s)
        {
            return value(out, Some(s), default, o);
        }
        if s.optional {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        return Err(ConvertError::serialize(
            "Conversion error: null value for field that is required and has no default value",
        ));
    }
    if let Some(name) = &s.name
        && logical(out, s, name, v, o)?
    {
        return Ok(());
    }
    match (s.schema_type, v) {
        (SchemaType::Int8, Value::Int8(n)) => write::int(out, (*n).into()),
        (SchemaType::Int16, Value::Int16(n)) => write::int(out, (*n).into()),
        (SchemaType::Int32, Value::Int32(n)) => write::int(out, (*n).into()),
        (SchemaType::Int64, Value::Int64(n)) => write::int(out, *n),
        (SchemaType::Float32, Value::Float32(n)) => write::float(out, *n),
        (SchemaType::Float64, Value::Float64(n)) => write::double(out, *n),
        (SchemaType::Boolean, Value::Boolean(b)) => write::boolean(out, *b),
        (SchemaType::String, Value::String(text)) => write::string(out, text),
        (SchemaType::Bytes, Value::Bytes(b)) => write::base64(out, b),
        (SchemaType::Bytes, other) => {
            return Err(ConvertError::serialize(format!(
                "Invalid type for bytes type: {}",
                java_class(other)
            )));
        }
        (SchemaType::Array, Value::Array(items)) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                value(out, s.value_schema.as_deref(), item, o)?;
            }
            out.push(b']');
        }
        (SchemaType::Map, Value::Map(entries)) => {
            let key_schema = s.key_schema.as_deref();
            let value_schema = s.value_schema.as_deref();
            if key_schema.is_some_and(|k| k.schema_type == SchemaType::String) {
                map_as_object(out, key_schema, value_schema, entries, o)?;
            } else {
                map_as_pairs(out, key_schema, value_schema, entries, o)?;
            }
        }
        (SchemaType::Struct, Value::Struct(st)) => {
            if !std::ptr::eq(&**st.schema(), s) && **st.schema() != *s {
                return Err(ConvertError::serialize("Mismatching schema."));
            }
            out.push(b'{');
            for (i, (field, fv)) in s.fields.iter().zip(st.values()).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write::key(out, &field.name);
                value(out, Some(&field.schema), fv, o)?;
            }
            out.push(b'}');
        }
        (SchemaType::Struct, _) => return Err(ConvertError::serialize("Mismatching schema.")),
        _ => return Err(invalid_type(s, v)),
    }
    Ok(())
}

/// Kafka's logical types. Returns `false` for a name that is not one of them.
fn logical(
    out: &mut Vec<u8>,
    s: &Schema,
    name: &str,
    v: &Value,
    o: Options,
) -> Result<bool, ConvertError> {
    match name {
        Decimal::LOGICAL_NAME => {
            let Value::Bytes(bytes) = v else {
                return Err(ConvertError::serialize(format!(
                    "Invalid type for Decimal, expected BigDecimal but was {}",
                    java_class(v)
                )));
            };
            let scale = decimal_scale(s)?;
            let minimal = minimal_twos_complement(bytes);
            if o.decimal_numeric {
                let unscaled = BigInt::from_signed_bytes_be(minimal);
                out.extend_from_slice(java::big_decimal_to_string(&unscaled, scale).as_bytes());
            } else {
                write::base64(out, minimal);
            }
        }
        Date::LOGICAL_NAME | Time::LOGICAL_NAME => match v {
            Value::Int32(n) => write::int(out, (*n).into()),
            _ => {
                let what = if name == Date::LOGICAL_NAME {
                    "Date"
                } else {
                    "Time"
                };
                return Err(ConvertError::serialize(format!(
                    "Invalid type for {what}, expected Date but was {}",
                    java_class(v)
                )));
            }
        },
        Timestamp::LOGICAL_NAME => match v {
            Value::Int64(n) => write::int(out, *n),
            _ => {
                return Err(ConvertError::serialize(format!(
                    "Invalid type for Timestamp, expected Date but was {}",
                    java_class(v)
                )));
            }
        },
        _ => return Ok(false),
    }
    Ok(true)
}

/// The `scale` parameter of a Decimal schema.
pub(crate) fn decimal_scale(s: &Schema) -> Result<i32, ConvertError> {
    s.parameter(Decimal::SCALE_FIELD)
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            ConvertError::serialize("Invalid Decimal schema: scale parameter not found.")
        })
}

/// `BigInteger.toByteArray()` is minimal; values built elsewhere may carry redundant sign bytes,
/// which would change the base64 text.
pub(crate) fn minimal_twos_complement(bytes: &[u8]) -> &[u8] {
    if bytes.is_empty() {
        return &[0];
    }
    let mut i = 0;
    while i + 1 < bytes.len()
        && ((bytes[i] == 0x00 && bytes[i + 1] & 0x80 == 0)
            || (bytes[i] == 0xFF && bytes[i + 1] & 0x80 != 0))
    {
        i += 1;
    }
    &bytes[i..]
}

fn map_as_object(
    out: &mut Vec<u8>,
    key_schema: Option<&Schema>,
    value_schema: Option<&Schema>,
    entries: &[(Value, Value)],
    o: Options,
) -> Result<(), ConvertError> {
    out.push(b'{');
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match k {
            Value::String(k) => write::key(out, k),
            // `convertToJson(keySchema, null).asText()` of a null key is the text "null".
            Value::Null if key_schema.is_none_or(|ks| ks.optional) => write::key(out, "null"),
            other => {
                return Err(match key_schema {
                    Some(ks) if !other.is_null() => invalid_type(ks, other),
                    _ => ConvertError::serialize(
                        "Conversion error: null value for field that is required and has no default value",
                    ),
                });
            }
        }
        value(out, value_schema, v, o)?;
    }
    out.push(b'}');
    Ok(())
}

fn map_as_pairs(
    out: &mut Vec<u8>,
    key_schema: Option<&Schema>,
    value_schema: Option<&Schema>,
    entries: &[(Value, Value)],
    o: Options,
) -> Result<(), ConvertError> {
    out.push(b'[');
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        value(out, key_schema, k, o)?;
        out.push(b',');
        value(out, value_schema, v, o)?;
        out.push(b']');
    }
    out.push(b']');
    Ok(())
}

/// Values without a schema: the type is the value's own (`ConnectSchema.schemaType(class)`).
fn schemaless(out: &mut Vec<u8>, v: &Value, o: Options) -> Result<(), ConvertError> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Int8(n) => write::int(out, (*n).into()),
        Value::Int16(n) => write::int(out, (*n).into()),
        Value::Int32(n) => write::int(out, (*n).into()),
        Value::Int64(n) => write::int(out, *n),
        Value::Float32(n) => write::float(out, *n),
        Value::Float64(n) => write::double(out, *n),
        Value::Boolean(b) => write::boolean(out, *b),
        Value::String(s) => write::string(out, s),
        Value::Bytes(b) => write::base64(out, b),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                schemaless(out, item, o)?;
            }
            out.push(b']');
        }
        Value::Map(entries) => {
            if entries.iter().all(|(k, _)| matches!(k, Value::String(_))) {
                map_as_object(out, None, None, entries, o)?;
            } else {
                map_as_pairs(out, None, None, entries, o)?;
            }
        }
        // Kafka compares the struct's schema with the (absent) one and fails.
        Value::Struct(_) => return Err(ConvertError::serialize("Mismatching schema.")),
    }
    Ok(())
}
