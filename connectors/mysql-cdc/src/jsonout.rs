//! A minimal `JsonConverter` emulation (`schemas.enable=true`), used by the golden tests to
//! compare records with the byte strings the reference prints, and by the schema history writer
//! for its ordered JSON.

use base64::Engine as _;
use connect_api::data::{Schema, SchemaType, Value};

/// Appends `s` as a JSON string literal (Jackson's escaping: raw UTF-8, `\uXXXX` for controls).
pub(crate) fn push_str(out: &mut String, s: &str) {
    out.push_str(&serde_json::Value::String(s.to_owned()).to_string());
}

/// `{"schema":…,"payload":…}`, or `null` for a tombstone.
pub fn envelope(schema: Option<&Schema>, value: &Value) -> String {
    let Some(schema) = schema else {
        return if value.is_null() {
            "null".into()
        } else {
            payload_schemaless(value)
        };
    };
    let mut out = String::from("{\"schema\":");
    schema_json(&mut out, schema, None);
    out.push_str(",\"payload\":");
    payload(&mut out, schema, value);
    out.push('}');
    out
}

/// The payload alone (`schemas.enable=false`).
pub fn payload_only(schema: &Schema, value: &Value) -> String {
    let mut out = String::new();
    payload(&mut out, schema, value);
    out
}

fn payload_schemaless(value: &Value) -> String {
    format!("{value:?}")
}

fn schema_json(out: &mut String, s: &Schema, field: Option<&str>) {
    out.push_str("{\"type\":");
    push_str(out, s.schema_type.as_str());
    match s.schema_type {
        SchemaType::Struct => {
            out.push_str(",\"fields\":[");
            for (i, f) in s.fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                schema_json(out, &f.schema, Some(&f.name));
            }
            out.push(']');
        }
        SchemaType::Array => {
            out.push_str(",\"items\":");
            if let Some(v) = &s.value_schema {
                schema_json(out, v, None);
            }
        }
        SchemaType::Map => {
            out.push_str(",\"keys\":");
            if let Some(k) = &s.key_schema {
                schema_json(out, k, None);
            }
            out.push_str(",\"values\":");
            if let Some(v) = &s.value_schema {
                schema_json(out, v, None);
            }
        }
        _ => {}
    }
    out.push_str(",\"optional\":");
    out.push_str(if s.optional { "true" } else { "false" });
    if let Some(n) = &s.name {
        out.push_str(",\"name\":");
        push_str(out, n);
    }
    if let Some(v) = s.version {
        out.push_str(&format!(",\"version\":{v}"));
    }
    if let Some(d) = &s.doc {
        out.push_str(",\"doc\":");
        push_str(out, d);
    }
    if !s.parameters.is_empty() {
        out.push_str(",\"parameters\":{");
        for (i, (k, v)) in s.parameters.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_str(out, k);
            out.push(':');
            push_str(out, v);
        }
        out.push('}');
    }
    if let Some(d) = &s.default {
        out.push_str(",\"default\":");
        payload(out, s, d);
    }
    if let Some(f) = field {
        out.push_str(",\"field\":");
        push_str(out, f);
    }
    out.push('}');
}

fn java_double(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e7 {
        format!("{v:.1}")
    } else {
        v.to_string()
    }
}

fn payload(out: &mut String, s: &Schema, v: &Value) {
    let v = match (v, &s.default) {
        (Value::Null, Some(d)) => d,
        _ => v,
    };
    match v {
        Value::Null => out.push_str("null"),
        Value::Int8(x) => out.push_str(&x.to_string()),
        Value::Int16(x) => out.push_str(&x.to_string()),
        Value::Int32(x) => out.push_str(&x.to_string()),
        Value::Int64(x) => out.push_str(&x.to_string()),
        Value::Float32(x) => out.push_str(&java_double(f64::from(*x))),
        Value::Float64(x) => out.push_str(&java_double(*x)),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::String(x) => push_str(out, x),
        Value::Bytes(b) => push_str(out, &base64::engine::general_purpose::STANDARD.encode(b)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match &s.value_schema {
                    Some(is) => payload(out, is, item),
                    None => out.push_str("null"),
                }
            }
            out.push(']');
        }
        Value::Map(_) => out.push_str("{}"),
        Value::Struct(st) => {
            out.push('{');
            for (i, f) in s.fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_str(out, &f.name);
                out.push(':');
                payload(out, &f.schema, st.values().get(i).unwrap_or(&Value::Null));
            }
            out.push('}');
        }
    }
}
