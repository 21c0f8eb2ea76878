//! Values rendered as Java's `String.valueOf(Object)` renders them, because Kafka's
//! `FileStreamSinkTask` writes `println(record.value())` and users diff our output against it.

use std::fmt::Write as _;

use connect_api::{Value, java};

/// The text `PrintStream.println(Object)` would write for `value` (without the newline).
///
/// Two deliberate departures: `Bytes` are written as (lossy) UTF-8 text instead of Java's
/// meaningless `[B@1b6d3586` identity string, and logical types (`Date`, `Decimal` …) are written
/// in their physical form, since Java's forms depend on the JVM's locale and time zone.
pub(crate) fn java_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Int8(v) => push_display(out, v),
        Value::Int16(v) => push_display(out, v),
        Value::Int32(v) => push_display(out, v),
        Value::Int64(v) => push_display(out, v),
        Value::Float32(v) => out.push_str(&java::float_to_string(*v)),
        Value::Float64(v) => out.push_str(&java::double_to_string(*v)),
        Value::Boolean(v) => push_display(out, v),
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) => out.push_str(&String::from_utf8_lossy(b)),
        // `AbstractCollection.toString`: "[a, b]".
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        // `AbstractMap.toString`: "{k=v, k2=v2}".
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, k);
                out.push('=');
                write_value(out, v);
            }
            out.push('}');
        }
        // `Struct.toString`: null fields are left out, no space after the comma.
        Value::Struct(s) => {
            out.push_str("Struct{");
            let mut first = true;
            for (field, v) in s.schema().fields.iter().zip(s.values()) {
                if v.is_null() {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&field.name);
                out.push('=');
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

fn push_display(out: &mut String, v: impl std::fmt::Display) {
    // Writing to a String cannot fail, so the Result carries nothing.
    write!(out, "{v}").unwrap_or(());
}

#[cfg(test)]
mod tests {
    use connect_api::{Schema, Struct};

    use super::*;

    #[test]
    fn scalars_render_as_java_prints_them() {
        assert_eq!(java_string(&Value::Null), "null");
        assert_eq!(java_string(&Value::Int32(-7)), "-7");
        assert_eq!(java_string(&Value::Boolean(true)), "true");
        assert_eq!(java_string(&Value::Float64(1.0)), "1.0");
        assert_eq!(java_string(&Value::Float64(0.25)), "0.25");
        assert_eq!(java_string(&Value::Float64(1.5e10)), "1.5E10");
        assert_eq!(java_string(&Value::Float64(1e-5)), "1.0E-5");
        assert_eq!(java_string(&Value::Float64(-0.0)), "-0.0");
        assert_eq!(java_string(&Value::Float64(1e7)), "1.0E7");
        // A `Float` prints with `Float.toString`, not as the widened double (1.100000023841858).
        assert_eq!(java_string(&Value::Float32(1.1)), "1.1");
        assert_eq!(java_string(&Value::Float32(1.7e12)), "1.70000004E12");
        assert_eq!(java_string(&"héllo".into()), "héllo");
    }

    #[test]
    fn collections_and_structs_render_as_java_to_string() {
        let list = Value::Array(vec![Value::Int32(1), "a".into(), Value::Null]);
        assert_eq!(java_string(&list), "[1, a, null]");
        let map = Value::Map(vec![
            ("k".into(), Value::Int64(1)),
            ("j".into(), "v".into()),
        ]);
        assert_eq!(java_string(&map), "{k=1, j=v}");
        let schema = Schema::struct_builder()
            .field("id", Schema::int32())
            .field("note", Schema::optional_string())
            .field("name", Schema::string())
            .build();
        let s = Struct::new(schema).with("id", 42).with("name", "x");
        assert_eq!(java_string(&Value::Struct(s)), "Struct{id=42,name=x}");
    }
}
