//! The JSON text Confluent's `JsonFormat` writes: Kafka `JsonConverter` payloads and Jackson
//! `ObjectMapper` output, byte for byte (reference §3.3–3.4).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use connect_api::{Schema, Value};
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
            Value::Float32(v) => write_java_float(out, f64::from(*v), &Sci::of(v), v.is_finite()),
            Value::Float64(v) => write_java_float(out, *v, &Sci::of(v), v.is_finite()),
            Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::String(s) => write_string(out, s),
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
                    write_string(out, &field.name);
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
            write_string(out, k);
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
    // (bucket, key, value); the bucket is filled in once the final size is known.
    let mut unique: Vec<(usize, &'a str, V)> = Vec::with_capacity(entries.len());
    if entries.len() <= 16 {
        for &(k, v) in entries {
            match unique.iter_mut().find(|e| e.1 == k) {
                Some(slot) => slot.2 = v,
                None => unique.push((0, k, v)),
            }
        }
    } else {
        // Large maps: an index instead of a quadratic scan.
        let mut index = std::collections::HashMap::with_capacity(entries.len());
        for &(k, v) in entries {
            match index.get(k) {
                Some(&i) => unique[i] = (0, k, v),
                None => {
                    index.insert(k, unique.len());
                    unique.push((0, k, v));
                }
            }
        }
    }
    let mut capacity: usize = 16;
    while unique.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let mask = capacity - 1;
    // Keys are hashed once each (`sort_by_key` would hash on every comparison); the stable
    // sort keeps insertion order inside a bucket, which is what HashMap's resize preserves.
    for e in &mut unique {
        e.0 = spread(java_string_hash(e.1)) as usize & mask;
    }
    unique.sort_by_key(|e| e.0);
    unique.into_iter().map(|(_, k, v)| (k, v)).collect()
}

fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

fn spread(h: i32) -> u32 {
    let h = h as u32;
    h ^ (h >> 16)
}

/// Java's `Double.toString`/`Float.toString` from Rust's shortest round-trip digits (`sci` is the
/// `{:e}` rendering), with Jackson's quoted `NaN`/`Infinity`.
fn write_java_float(out: &mut Vec<u8>, v: f64, sci: &Sci, finite: bool) {
    if !finite {
        let text = if v.is_nan() {
            "\"NaN\""
        } else if v > 0.0 {
            "\"Infinity\""
        } else {
            "\"-Infinity\""
        };
        out.extend_from_slice(text.as_bytes());
        return;
    }
    java_float_text(out, v, sci.as_str());
}

/// A float's `{:e}` text (shortest round-trip digits) in a stack buffer: one per JSON number,
/// so no heap allocation.
struct Sci {
    buf: [u8; 40],
    len: usize,
}

impl Sci {
    fn of(v: &impl std::fmt::LowerExp) -> Self {
        use std::io::Write as _;
        let mut buf = [0u8; 40];
        let mut cursor = std::io::Cursor::new(&mut buf[..]);
        // The longest f64 text, `-2.2250738585072014e-308`, is 24 bytes, so the write fits;
        // were it cut short, the digits written so far would still be a number.
        let len = match write!(cursor, "{v:e}") {
            Ok(()) | Err(_) => usize::try_from(cursor.position()).unwrap_or(0),
        };
        Self { buf, len }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("0e0")
    }
}

/// Appends Java's `Double.toString` of `v`, given its `{:e}` text.
fn java_float_text(out: &mut Vec<u8>, v: f64, sci: &str) {
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
        return;
    }
    let (negative, sci) = match sci.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sci),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digit_buf = [0u8; 40];
    let mut n = 0;
    for b in mantissa.bytes().filter(u8::is_ascii_digit) {
        if let Some(slot) = digit_buf.get_mut(n) {
            *slot = b;
            n += 1;
        }
    }
    let digits = &digit_buf[..n];
    if negative {
        out.push(b'-');
    }
    let abs = v.abs();
    if (1e-3..1e7).contains(&abs) {
        if exp >= 0 {
            let int_len = usize::try_from(exp).unwrap_or(0) + 1;
            if digits.len() <= int_len {
                out.extend_from_slice(digits);
                out.resize(out.len() + (int_len - digits.len()), b'0');
                out.extend_from_slice(b".0");
            } else {
                let (int_part, frac) = digits.split_at(int_len);
                out.extend_from_slice(int_part);
                out.push(b'.');
                out.extend_from_slice(frac);
            }
        } else {
            out.extend_from_slice(b"0.");
            out.resize(out.len() + usize::try_from(-exp - 1).unwrap_or(0), b'0');
            out.extend_from_slice(digits);
        }
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.extend_from_slice(first);
        out.push(b'.');
        out.extend_from_slice(if rest.is_empty() { b"0" } else { rest });
        out.push(b'E');
        write_int(out, exp);
    }
}

/// A JSON string as Jackson escapes it: `"` and `\`, the short escapes, other control characters
/// as `\u00XX` with upper-case hex; everything else (`/`, DEL, non-ASCII) raw.
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Copies runs of bytes that need no escape in one go, skipping 8 clean bytes per step: done
    // byte by byte this was ~10 % of the sink task's CPU on clickstream records.
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8)
            && let Ok(word) = <[u8; 8]>::try_from(chunk)
            && !word_needs_escape(u64::from_le_bytes(word))
        {
            i += 8;
            continue;
        }
        let b = bytes[i];
        i += 1;
        if !NEEDS_ESCAPE[usize::from(b)] {
            continue;
        }
        out.extend_from_slice(&bytes[run..i - 1]);
        run = i;
        write_escape(out, b);
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

/// The bytes Jackson escapes in a string: the quote, the backslash and the C0 controls.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Appends Jackson's escape for a byte [`NEEDS_ESCAPE`] marks.
fn write_escape(out: &mut Vec<u8>, b: u8) {
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x09 => out.extend_from_slice(b"\\t"),
        0x0A => out.extend_from_slice(b"\\n"),
        0x0C => out.extend_from_slice(b"\\f"),
        0x0D => out.extend_from_slice(b"\\r"),
        c => {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(c >> 4)]);
            out.push(HEX[usize::from(c & 0xF)]);
        }
    }
}

/// Whether any of the 8 bytes of `w` is below 0x20, a quote or a backslash (exact: the
/// "has a zero byte" / "has a byte less than n" bit tricks have no false positives).
#[inline]
fn word_needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0;
    below_space || has_zero(w ^ (ONES * b'"' as u64)) || has_zero(w ^ (ONES * b'\\' as u64))
}

/// Appends an integer's decimal text without a temporary `String`.
fn write_int(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// `BigDecimal.toString()` of the unscaled two's-complement `bytes` at the schema's scale.
fn write_decimal_numeric(out: &mut Vec<u8>, schema: &Schema, bytes: &[u8]) {
    let scale: i64 = schema
        .parameter("scale")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let unscaled = BigInt::from_signed_bytes_be(bytes);
    out.extend_from_slice(big_decimal_string(&unscaled, scale).as_bytes());
}

fn big_decimal_string(unscaled: &BigInt, scale: i64) -> String {
    let text = unscaled.to_string();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d.to_owned()),
        None => (false, text.clone()),
    };
    let len = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let adjusted = -scale + (len - 1);
    let mut s = String::new();
    if negative {
        s.push('-');
    }
    if scale >= 0 && adjusted >= -6 {
        if scale == 0 {
            s.push_str(&digits);
        } else if len > scale {
            let point = usize::try_from(len - scale).unwrap_or(0);
            s.push_str(&digits[..point]);
            s.push('.');
            s.push_str(&digits[point..]);
        } else {
            s.push_str("0.");
            for _ in 0..(scale - len) {
                s.push('0');
            }
            s.push_str(&digits);
        }
    } else {
        s.push_str(&digits[..1]);
        if digits.len() > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push('E');
        if adjusted >= 0 {
            s.push('+');
        }
        s.push_str(&adjusted.to_string());
    }
    s
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
    fn the_word_at_a_time_scan_escapes_exactly_what_the_byte_table_does() {
        // Byte by byte through the same table and escapes: what the scan must reproduce.
        fn reference(s: &str) -> Vec<u8> {
            let mut out = vec![b'"'];
            for &b in s.as_bytes() {
                if NEEDS_ESCAPE[usize::from(b)] {
                    write_escape(&mut out, b);
                } else {
                    out.push(b);
                }
            }
            out.push(b'"');
            out
        }
        // Every special (and near-special) character at every position of strings that span
        // zero, one and two 8-byte words plus a tail.
        for len in 0..20 {
            for special in [
                "\0", "\u{1f}", "\"", "\\", " ", "!", "#", "[", "]", "\u{7f}", "é", "\n",
            ] {
                for at in 0..=len {
                    let s = format!("{}{special}{}", "a".repeat(at), "b".repeat(len - at));
                    let mut out = Vec::new();
                    write_string(&mut out, &s);
                    assert_eq!(out, reference(&s), "{s:?}");
                }
            }
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
    fn big_decimal_strings_match_java() {
        assert_eq!(big_decimal_string(&BigInt::from(10500), 3), "10.500");
        assert_eq!(big_decimal_string(&BigInt::from(12), 8), "1.2E-7");
        assert_eq!(big_decimal_string(&BigInt::from(1), -3), "1E+3");
        assert_eq!(big_decimal_string(&BigInt::from(-5), 1), "-0.5");
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
