//! The JSON text Confluent's `JsonFormat` writes: Kafka `JsonConverter` payloads and Jackson
//! `ObjectMapper` output, byte for byte (reference §3.3–3.4).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use connect_api::{Schema, Value, java};
use num_bigint::BigInt;

use crate::error::S3SinkError;

const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";

/// Serializes Connect values as Confluent's JsonFormat does.
#[derive(Debug, Clone, Copy)]
pub struct JsonEncoder {
    /// `json.decimal.format=NUMERIC`.
    pub decimal_numeric: bool,
}

impl JsonEncoder {
    /// Appends the JSON text of a top-level value (no line separator).
    ///
    /// # Errors
    /// When a value does not fit its schema.
    pub fn write(
        &self,
        out: &mut Vec<u8>,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<(), S3SinkError> {
        match (schema, value) {
            // A top-level non-struct goes through Jackson, which prints a BigDecimal as a number
            // whatever `json.decimal.format` says.
            (Some(s), Value::Bytes(b)) if s.name.as_deref() == Some(DECIMAL) => {
                write_decimal_numeric(out, s, b);
                Ok(())
            }
            _ => self.value(out, schema, value),
        }
    }

    fn value(
        &self,
        out: &mut Vec<u8>,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<(), S3SinkError> {
        let value = match (value, schema) {
            // `replace.null.with.default` is on in the JsonFormat's converter.
            (Value::Null, Some(s)) => match &s.default {
                Some(d) => d,
                None if s.optional => value,
                None => {
                    return Err(S3SinkError::Data(
                        "Conversion error: null value for field that is required and has no default value".into(),
                    ));
                }
            },
            _ => value,
        };
        match value {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Int8(v) => write_int(out, *v),
            Value::Int16(v) => write_int(out, *v),
            Value::Int32(v) => write_int(out, *v),
            Value::Int64(v) => write_int(out, *v),
            Value::Float32(v) => java::write_json_float(out, *v),
            Value::Float64(v) => java::write_json_double(out, *v),
            Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::String(s) => java::write_json_string(out, s),
            Value::Bytes(b) => match schema {
                Some(s) if s.name.as_deref() == Some(DECIMAL) && self.decimal_numeric => {
                    write_decimal_numeric(out, s, b)
                }
                _ => {
                    out.push(b'"');
                    out.extend_from_slice(STANDARD.encode(b).as_bytes());
                    out.push(b'"');
                }
            },
            Value::Array(items) => {
                let item_schema = schema.and_then(|s| s.value_schema.as_deref());
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.value(out, item_schema, item)?;
                }
                out.push(b']');
            }
            Value::Map(entries) => self.map(out, schema, entries)?,
            Value::Struct(st) => {
                out.push(b'{');
                for (i, (field, v)) in st.schema().fields.iter().zip(st.values()).enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    java::write_json_string(out, &field.name);
                    out.push(b':');
                    self.value(out, Some(&field.schema), v)?;
                }
                out.push(b'}');
            }
        }
        Ok(())
    }

    fn map(
        &self,
        out: &mut Vec<u8>,
        schema: Option<&Schema>,
        entries: &[(Value, Value)],
    ) -> Result<(), S3SinkError> {
        let key_schema = schema.and_then(|s| s.key_schema.as_deref());
        let value_schema = schema.and_then(|s| s.value_schema.as_deref());
        let string_keys = match key_schema {
            Some(k) => k.schema_type == connect_api::SchemaType::String,
            None => entries.iter().all(|(k, _)| matches!(k, Value::String(_))),
        };
        if !string_keys {
            // JsonConverter writes a map with non-string keys as an array of [key, value] pairs.
            out.push(b'[');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'[');
                self.value(out, key_schema, k)?;
                out.push(b',');
                self.value(out, value_schema, v)?;
                out.push(b']');
            }
            out.push(b']');
            return Ok(());
        }
        let keyed: Vec<(&str, &Value)> = entries
            .iter()
            .filter_map(|(k, v)| k.as_str().map(|k| (k, v)))
            .collect();
        out.push(b'{');
        for (i, (k, v)) in java_hash_map_order(&keyed).into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            java::write_json_string(out, k);
            out.push(b':');
            self.value(out, value_schema, v)?;
        }
        out.push(b'}');
        Ok(())
    }
}

/// Orders entries as a `java.util.HashMap` filled in this order iterates them: buckets by
/// `String.hashCode` spread, ascending, insertion order within a bucket; a repeated key keeps its
/// first position and its last value.
pub fn java_hash_map_order<'a, V>(entries: &[(&'a str, V)]) -> Vec<(&'a str, V)>
where
    V: Copy,
{
    let mut unique: Vec<(&'a str, V)> = Vec::with_capacity(entries.len());
    if entries.len() <= 16 {
        for &(k, v) in entries {
            match unique.iter_mut().find(|e| e.0 == k) {
                Some(slot) => slot.1 = v,
                None => unique.push((k, v)),
            }
        }
    } else {
        // Large maps: an index instead of a quadratic scan.
        let mut index = std::collections::HashMap::with_capacity(entries.len());
        for &(k, v) in entries {
            match index.get(k) {
                Some(&i) => unique[i] = (k, v),
                None => {
                    index.insert(k, unique.len());
                    unique.push((k, v));
                }
            }
        }
    }
    java::hash_map_order(
        unique
            .into_iter()
            .map(|(k, v)| (java::string_hash(k), (k, v)))
            .collect(),
    )
}

/// Appends an integer's decimal text without a temporary `String`.
fn write_int(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// `BigDecimal.toString()` of the unscaled two's-complement `bytes` at the schema's scale.
fn write_decimal_numeric(out: &mut Vec<u8>, schema: &Schema, bytes: &[u8]) {
    let scale: i32 = schema
        .parameter("scale")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let unscaled = BigInt::from_signed_bytes_be(bytes);
    out.extend_from_slice(java::big_decimal_to_string(&unscaled, scale).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::{SchemaBuilder, SchemaType, Struct};

    fn enc() -> JsonEncoder {
        JsonEncoder {
            decimal_numeric: false,
        }
    }

    fn text(schema: Option<&Schema>, v: &Value) -> String {
        let mut out = Vec::new();
        enc().write(&mut out, schema, v).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn map(entries: Vec<(&str, Value)>) -> Value {
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Value::String(k.into()), v))
                .collect(),
        )
    }

    #[test]
    fn schemaless_maps_come_out_in_java_hash_map_order() {
        // Reference §3.3: the full schemaless example, byte for byte.
        let v = map(vec![
            ("id", Value::Int64(42)),
            ("name", Value::String("Zoë \"q\" \\ /\t\u{1}".into())),
            ("amount", Value::Float64(1.5)),
            ("ts", Value::Int64(1_700_000_000_000)),
            ("active", Value::Boolean(true)),
            ("tags", Value::Array(vec!["a".into(), "b".into()])),
            ("zeta", Value::Float64(1e10)),
            ("alpha", Value::Float64(0.0001)),
            ("customer_id", Value::Null),
            (
                "nested",
                map(vec![("y", Value::Int64(1)), ("x", Value::Int64(2))]),
            ),
        ]);
        assert_eq!(
            text(None, &v),
            r#"{"zeta":1.0E10,"amount":1.5,"alpha":1.0E-4,"name":"Zoë \"q\" \\ /\t\u0001","active":true,"id":42,"customer_id":null,"nested":{"x":2,"y":1},"ts":1700000000000,"tags":["a","b"]}"#
        );
    }

    #[test]
    fn thirteen_keys_resize_the_table_like_java() {
        let keys: Vec<String> = (0..13).map(|i| format!("field_{i}")).collect();
        let entries: Vec<(&str, u8)> = keys.iter().map(|k| (k.as_str(), 0)).collect();
        let order: Vec<&str> = java_hash_map_order(&entries)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            order,
            [
                "field_0", "field_3", "field_10", "field_4", "field_11", "field_1", "field_12",
                "field_2", "field_7", "field_8", "field_5", "field_6", "field_9"
            ]
        );
    }

    #[test]
    fn doubles_follow_java_double_to_string() {
        for (v, want) in [
            (100.0, "100.0"),
            (0.001, "0.001"),
            (12_345_678.9, "1.23456789E7"),
            (-0.0, "-0.0"),
            (0.300_000_000_000_000_04, "0.30000000000000004"),
            (1e-5, "1.0E-5"),
            (f64::NAN, "\"NaN\""),
            (f64::NEG_INFINITY, "\"-Infinity\""),
        ] {
            assert_eq!(text(None, &Value::Float64(v)), want, "{v}");
        }
        assert_eq!(text(None, &Value::Float32(3.2)), "3.2");
        assert_eq!(text(None, &Value::Float32(1.1)), "1.1");
        // JDK 17's `Float.toString` prints a whole float's digits down to its precision.
        assert_eq!(text(None, &Value::Float32(1.7e12)), "1.70000004E12");
        assert_eq!(text(None, &Value::Float32(f32::INFINITY)), "\"Infinity\"");
    }

    #[test]
    fn control_characters_use_upper_case_hex() {
        assert_eq!(
            text(None, &Value::String("a\u{1f}b\u{7f}\u{2028}".into())),
            "\"a\\u001Fb\u{7f}\u{2028}\""
        );
    }

    #[test]
    fn escapes_at_the_edges_and_in_a_row_keep_the_text_between_them() {
        for (input, want) in [
            ("", r#""""#),
            ("\"", r#""\"""#),
            ("\"\"x\\", r#""\"\"x\\""#),
            ("\n\r\t\u{8}\u{c}\u{0}", r#""\n\r\t\b\f\u0000""#),
            ("é\"ü", "\"é\\\"ü\""),
            ("plain text, no escapes", r#""plain text, no escapes""#),
        ] {
            assert_eq!(text(None, &Value::String(input.into())), want, "{input:?}");
        }
    }

    #[test]
    fn repeated_map_keys_keep_their_first_place_and_last_value_in_large_maps_too() {
        for n in [3usize, 40] {
            let mut entries: Vec<(String, Value)> = (0..n)
                .map(|i| (format!("k{i}"), Value::Int64(i as i64)))
                .collect();
            entries.push(("k1".into(), Value::Int64(-1)));
            let pairs: Vec<(&str, &Value)> = entries.iter().map(|(k, v)| (k.as_str(), v)).collect();
            let order = java_hash_map_order(&pairs);
            assert_eq!(order.len(), n);
            assert_eq!(order.iter().filter(|(k, _)| *k == "k1").count(), 1);
            assert!(order.contains(&("k1", &Value::Int64(-1))));
        }
    }

    #[test]
    fn structs_write_the_payload_in_field_order() {
        let dec = SchemaBuilder::new(SchemaType::Bytes)
            .name(DECIMAL)
            .parameter("scale", "2")
            .build();
        let schema = Schema::struct_builder()
            .field("id", Schema::int64())
            .field("f32", Schema::float32())
            .field("bytes", Schema::bytes())
            .field("dec", dec.clone())
            .field("opt", Schema::optional_string())
            .build();
        let s = Struct::new(schema.clone())
            .with("id", Value::Int64(42))
            .with("f32", Value::Float32(1.1))
            .with("bytes", Value::Bytes(vec![0, 1, 2, 3, 4, 5, 0xfa].into()))
            .with("dec", Value::Bytes(vec![0x04, 0xD2].into()));
        assert_eq!(
            text(Some(&schema), &Value::Struct(s.clone())),
            r#"{"id":42,"f32":1.1,"bytes":"AAECAwQF+g==","dec":"BNI=","opt":null}"#
        );
        let mut out = Vec::new();
        JsonEncoder {
            decimal_numeric: true,
        }
        .write(&mut out, Some(&schema), &Value::Struct(s))
        .unwrap();
        assert!(String::from_utf8(out).unwrap().contains(r#""dec":12.34"#));
    }

    #[test]
    fn required_null_without_default_is_an_error() {
        let schema = Schema::struct_builder().field("a", Schema::int32()).build();
        let mut out = Vec::new();
        assert!(
            enc()
                .write(
                    &mut out,
                    Some(&schema),
                    &Value::Struct(Struct::new(schema.clone()))
                )
                .is_err()
        );
    }
}
