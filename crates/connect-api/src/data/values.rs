//! Kafka's `org.apache.kafka.connect.data.Values` text forms: what `SimpleHeaderConverter` writes (`convertToString`) and how it
//! infers a typed value back from text (`parseString`), plus the Java names used in error texts.
//!
//! Deliberate difference from Kafka: a top-level text is a number or a temporal value only when
//! the *whole* text is one (Kafka reads `1,2` as the int8 `1`; here it stays the string `1,2`).

use crate::data::{Date, Decimal, Time, Timestamp};
use crate::{Schema, SchemaAndValue, SchemaBuilder, SchemaRef, SchemaType, Value};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use num_bigint::BigInt;

use crate::java;

const MILLIS_PER_DAY: i64 = 86_400_000;

/// The Java class Kafka would name for a value (`class java.lang.Long`).
pub fn java_class(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Int8(_) => "class java.lang.Byte",
        Value::Int16(_) => "class java.lang.Short",
        Value::Int32(_) => "class java.lang.Integer",
        Value::Int64(_) => "class java.lang.Long",
        Value::Float32(_) => "class java.lang.Float",
        Value::Float64(_) => "class java.lang.Double",
        Value::Boolean(_) => "class java.lang.Boolean",
        Value::String(_) => "class java.lang.String",
        Value::Bytes(_) => "class [B",
        Value::Array(_) => "class java.util.ArrayList",
        Value::Map(_) => "class java.util.HashMap",
        Value::Struct(_) => "class org.apache.kafka.connect.data.Struct",
    }
}

/// `Schema.Type.toString()` (`INT32`, `FLOAT64`, …).
pub fn java_type_name(t: SchemaType) -> &'static str {
    match t {
        SchemaType::Int8 => "INT8",
        SchemaType::Int16 => "INT16",
        SchemaType::Int32 => "INT32",
        SchemaType::Int64 => "INT64",
        SchemaType::Float32 => "FLOAT32",
        SchemaType::Float64 => "FLOAT64",
        SchemaType::Boolean => "BOOLEAN",
        SchemaType::String => "STRING",
        SchemaType::Bytes => "BYTES",
        SchemaType::Array => "ARRAY",
        SchemaType::Map => "MAP",
        SchemaType::Struct => "STRUCT",
    }
}

/// `Values.convertToString(schema, value)`; `None` for a null value.
pub fn convert_to_string(schema: Option<&Schema>, v: &Value) -> Option<String> {
    if v.is_null() {
        return None;
    }
    let mut out = String::new();
    append(&mut out, schema, v, false);
    Some(out)
}

fn append(out: &mut String, schema: Option<&Schema>, v: &Value, embedded: bool) {
    if let Some(s) = schema
        && let Some(name) = s.name.as_deref()
        && append_logical(out, s, name, v)
    {
        return;
    }
    match v {
        Value::Null => out.push_str("null"),
        Value::Int8(n) => out.push_str(&n.to_string()),
        Value::Int16(n) => out.push_str(&n.to_string()),
        Value::Int32(n) => out.push_str(&n.to_string()),
        Value::Int64(n) => out.push_str(&n.to_string()),
        Value::Float32(n) => out.push_str(&java::float_to_string(*n)),
        Value::Float64(n) => out.push_str(&java::double_to_string(*n)),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::String(text) if embedded => {
            out.push('"');
            out.push_str(&text.replace('\\', "\\\\").replace('"', "\\\""));
            out.push('"');
        }
        Value::String(text) => out.push_str(text),
        Value::Bytes(b) if embedded => {
            out.push('"');
            out.push_str(&STANDARD.encode(b));
            out.push('"');
        }
        Value::Bytes(b) => out.push_str(&STANDARD.encode(b)),
        Value::Array(items) => {
            let item_schema = schema.and_then(|s| s.value_schema.as_deref());
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, item_schema, item, true);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let key_schema = schema.and_then(|s| s.key_schema.as_deref());
            let value_schema = schema.and_then(|s| s.value_schema.as_deref());
            out.push('{');
            for (i, (k, val)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, key_schema, k, true);
                out.push(':');
                append(out, value_schema, val, true);
            }
            out.push('}');
        }
        Value::Struct(st) => {
            out.push('{');
            for (i, (field, val)) in st.schema().fields.iter().zip(st.values()).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, None, &Value::String(field.name.clone()), true);
                out.push(':');
                // `Struct.get` falls back to the field's default.
                let val = match (&field.schema.default, val) {
                    (Some(d), Value::Null) => d,
                    _ => val,
                };
                append(out, Some(&field.schema), val, true);
            }
            out.push('}');
        }
    }
}

/// Logical values print as Java prints the logical object (`BigDecimal`, `java.util.Date`).
fn append_logical(out: &mut String, s: &Schema, name: &str, v: &Value) -> bool {
    let millis = match (name, v) {
        (Decimal::LOGICAL_NAME, Value::Bytes(b)) => {
            let Some(scale) = s
                .parameter(Decimal::SCALE_FIELD)
                .and_then(|p| p.parse().ok())
            else {
                return false;
            };
            out.push_str(&java::big_decimal_to_string(&Decimal::decode(b), scale));
            return true;
        }
        (Date::LOGICAL_NAME, Value::Int32(days)) => i64::from(*days) * MILLIS_PER_DAY,
        (Time::LOGICAL_NAME, Value::Int32(ms)) => i64::from(*ms),
        (Timestamp::LOGICAL_NAME, Value::Int64(ms)) => *ms,
        _ => return false,
    };
    out.push_str(&format_date(millis));
    true
}

/// `Values.dateFormatFor`: time-of-day below one day, a date on a day boundary, else a timestamp.
fn format_date(millis: i64) -> String {
    let day = millis.div_euclid(MILLIS_PER_DAY);
    let ms = millis.rem_euclid(MILLIS_PER_DAY);
    let time = format!(
        "{:02}:{:02}:{:02}.{:03}Z",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    );
    let (y, m, d) = java::civil_from_days(day);
    if millis < MILLIS_PER_DAY {
        time
    } else if ms == 0 {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{time}")
    }
}

/// `Values.parseString`: infers a schema and value from text. A `null` literal gives
/// [`SchemaAndValue::NULL`].
pub fn parse_string(text: &str) -> SchemaAndValue {
    if text.is_empty() {
        return SchemaAndValue::new(Some(Schema::string()), Value::String(String::new()));
    }
    let trimmed = text.trim();
    match trimmed {
        "null" => return SchemaAndValue::NULL,
        "true" => return SchemaAndValue::new(Some(Schema::boolean()), Value::Boolean(true)),
        "false" => return SchemaAndValue::new(Some(Schema::boolean()), Value::Boolean(false)),
        _ => {}
    }
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        let mut p = Embedded {
            chars: trimmed.as_bytes(),
            text: trimmed,
            pos: 0,
        };
        if let Ok(Some(parsed)) = p.value()
            && p.at_end()
        {
            return parsed;
        }
    }
    let first = trimmed.as_bytes().first().copied().unwrap_or(b' ');
    if first.is_ascii_digit()
        && let Some(temporal) = parse_temporal(trimmed)
    {
        return temporal;
    }
    if (first.is_ascii_digit() || first == b'+' || first == b'-')
        && let Some(number) = parse_number(trimmed)
    {
        return number;
    }
    SchemaAndValue::new(Some(Schema::string()), Value::String(text.to_owned()))
}

/// `parseAsNumber`: the narrowest integer that holds an integral value, else float32, float64 or
/// an exact Decimal.
fn parse_number(token: &str) -> Option<SchemaAndValue> {
    let (unscaled, scale) = java::parse_big_decimal(token)?;
    if let Some(exact) = exact_integer(&unscaled, scale) {
        return Some(exact);
    }
    if scale != 0 {
        if let Ok(f) = token.parse::<f32>()
            && f.is_finite()
        {
            return Some(SchemaAndValue::new(
                Some(Schema::float32()),
                Value::Float32(f),
            ));
        }
        if let Ok(d) = token.parse::<f64>()
            && d.is_finite()
        {
            return Some(SchemaAndValue::new(
                Some(Schema::float64()),
                Value::Float64(d),
            ));
        }
    }
    Some(SchemaAndValue::new(
        Some(Decimal::schema(scale)),
        Value::Bytes(Decimal::encode(&unscaled)),
    ))
}

fn exact_integer(unscaled: &BigInt, scale: i32) -> Option<SchemaAndValue> {
    let zero = BigInt::from(0u8);
    let integral = if unscaled == &zero {
        zero
    } else if scale <= 0 {
        unscaled * BigInt::from(10u8).pow(scale.unsigned_abs().min(40))
    } else {
        let factor = BigInt::from(10u8).pow(scale.unsigned_abs());
        if unscaled % &factor != zero {
            return None;
        }
        unscaled / factor
    };
    let v = i64::try_from(&integral).ok()?;
    Some(if let Ok(v) = i8::try_from(v) {
        SchemaAndValue::new(Some(Schema::int8()), Value::Int8(v))
    } else if let Ok(v) = i16::try_from(v) {
        SchemaAndValue::new(Some(Schema::int16()), Value::Int16(v))
    } else if let Ok(v) = i32::try_from(v) {
        SchemaAndValue::new(Some(Schema::int32()), Value::Int32(v))
    } else {
        SchemaAndValue::new(Some(Schema::int64()), Value::Int64(v))
    })
}

/// The three ISO-8601 forms Kafka writes: `HH:mm:ss.SSS'Z'`, `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`,
/// `yyyy-MM-dd`, read as UTC.
fn parse_temporal(token: &str) -> Option<SchemaAndValue> {
    let token = token.replace("\\:", ":");
    let b = token.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = token.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let time = |off: usize| -> Option<i64> {
        if b.get(off + 2) != Some(&b':')
            || b.get(off + 5) != Some(&b':')
            || b.get(off + 8) != Some(&b'.')
        {
            return None;
        }
        let (h, m, s, ms) = (
            num(off..off + 2)?,
            num(off + 3..off + 5)?,
            num(off + 6..off + 8)?,
            num(off + 9..off + 12)?,
        );
        (h < 24 && m < 60 && s < 60).then_some(((h * 60 + m) * 60 + s) * 1000 + ms)
    };
    let date = || -> Option<i64> {
        if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (m, d) = (u32::try_from(m).ok()?, u32::try_from(d).ok()?);
        let days = java::days_from_civil(y, m, d);
        // Reject dates that do not exist (2023-02-30) rather than rolling them over.
        (java::civil_from_days(days) == (y, m, d)).then_some(days)
    };
    match b.len() {
        13 if b[12] == b'Z' => {
            let ms = time(0)?;
            Some(SchemaAndValue::new(
                Some(Time::builder().build()),
                Value::Int32(ms as i32),
            ))
        }
        24 if b[10] == b'T' && b[23] == b'Z' => {
            let ms = date()? * MILLIS_PER_DAY + time(11)?;
            Some(SchemaAndValue::new(
                Some(Timestamp::builder().build()),
                Value::Int64(ms),
            ))
        }
        10 => {
            let days = i32::try_from(date()?).ok()?;
            Some(SchemaAndValue::new(
                Some(Date::builder().build()),
                Value::Int32(days),
            ))
        }
        _ => None,
    }
}

/// A value embedded in an array or map literal.
struct Embedded<'a> {
    chars: &'a [u8],
    text: &'a str,
    pos: usize,
}

type Parsed = Option<SchemaAndValue>;

impl Embedded<'_> {
    fn skip_ws(&mut self) {
        while self
            .chars
            .get(self.pos)
            .is_some_and(u8::is_ascii_whitespace)
        {
            self.pos += 1;
        }
    }

    fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos >= self.chars.len()
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.chars.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Parsed, ()> {
        self.skip_ws();
        match self.chars.get(self.pos) {
            None => Err(()),
            Some(b'"') => {
                self.pos += 1;
                let mut s = String::new();
                let start = self.pos;
                let mut run = start;
                loop {
                    match self.chars.get(self.pos) {
                        None => return Err(()),
                        Some(b'"') => break,
                        Some(b'\\') => {
                            s.push_str(&self.text[run..self.pos]);
                            self.pos += 1;
                            run = self.pos;
                            if self.pos >= self.chars.len() {
                                return Err(());
                            }
                            // Keep the escaped char (which may be multi-byte) with the next run.
                            self.pos += 1;
                            while !self.text.is_char_boundary(self.pos) {
                                self.pos += 1;
                            }
                        }
                        Some(_) => self.pos += 1,
                    }
                }
                s.push_str(&self.text[run..self.pos]);
                self.pos += 1;
                if let Some(temporal) = parse_temporal(&s) {
                    return Ok(Some(temporal));
                }
                Ok(Some(SchemaAndValue::new(
                    Some(Schema::string()),
                    Value::String(s),
                )))
            }
            Some(b'[') => {
                self.pos += 1;
                self.array()
            }
            Some(b'{') => {
                self.pos += 1;
                self.map()
            }
            Some(_) => {
                let start = self.pos;
                while let Some(c) = self.chars.get(self.pos) {
                    if matches!(c, b',' | b']' | b'}' | b':' | b'"' | b'[' | b'{') {
                        break;
                    }
                    self.pos += 1;
                }
                let token = self.text[start..self.pos].trim();
                match token {
                    "null" => return Ok(None),
                    "true" => {
                        return Ok(Some(SchemaAndValue::new(
                            Some(Schema::boolean()),
                            true.into(),
                        )));
                    }
                    "false" => {
                        return Ok(Some(SchemaAndValue::new(
                            Some(Schema::boolean()),
                            false.into(),
                        )));
                    }
                    _ => {}
                }
                let first = token.as_bytes().first().copied().ok_or(())?;
                if first.is_ascii_digit() {
                    // Unescaped colons split a time into tokens; take them back.
                    if let Some(t) = self.temporal_with_colons(start) {
                        return Ok(Some(t));
                    }
                }
                if first.is_ascii_digit() || first == b'+' || first == b'-' {
                    return parse_number(token).map(Some).ok_or(());
                }
                Err(())
            }
        }
    }

    fn temporal_with_colons(&mut self, start: usize) -> Option<SchemaAndValue> {
        for len in [24usize, 13, 10] {
            if let Some(candidate) = self.text.get(start..start + len)
                && let Some(t) = parse_temporal(candidate)
            {
                self.pos = start + len;
                return Some(t);
            }
        }
        None
    }

    fn array(&mut self) -> Result<Parsed, ()> {
        let mut items = Vec::new();
        if !self.eat(b']') {
            loop {
                items.push(self.value()?);
                if self.eat(b']') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(());
                }
            }
        }
        let schemas: Vec<Option<&SchemaRef>> = items
            .iter()
            .map(|i| i.as_ref().and_then(|sv| sv.schema.as_ref()))
            .collect();
        let common = common_schema(&schemas);
        let values = items
            .into_iter()
            .map(|i| align(i.map(|sv| sv.value).unwrap_or_default(), common.as_ref()))
            .collect();
        let mut b = Schema::builder(SchemaType::Array);
        if let Some(c) = common {
            b = SchemaBuilder::array(c);
        }
        Ok(Some(SchemaAndValue::new(
            Some(b.build()),
            Value::Array(values),
        )))
    }

    fn map(&mut self) -> Result<Parsed, ()> {
        let mut entries = Vec::new();
        if !self.eat(b'}') {
            loop {
                let key = self.value()?.ok_or(())?;
                if !self.eat(b':') {
                    return Err(());
                }
                let value = self.value()?;
                entries.push((key, value));
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(());
                }
            }
        }
        let key_schemas: Vec<Option<&SchemaRef>> =
            entries.iter().map(|(k, _)| k.schema.as_ref()).collect();
        let value_schemas: Vec<Option<&SchemaRef>> = entries
            .iter()
            .map(|(_, v)| v.as_ref().and_then(|sv| sv.schema.as_ref()))
            .collect();
        let key_common = common_schema(&key_schemas);
        let value_common = common_schema(&value_schemas);
        let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let k = align(k.value, key_common.as_ref());
            let v = align(
                v.map(|sv| sv.value).unwrap_or_default(),
                value_common.as_ref(),
            );
            match out.iter_mut().find(|(ek, _)| *ek == k) {
                Some(slot) => slot.1 = v,
                None => out.push((k, v)),
            }
        }
        let mut schema = Schema::builder(SchemaType::Map).into_schema();
        schema.key_schema = key_common;
        schema.value_schema = value_common;
        Ok(Some(SchemaAndValue::new(
            Some(std::sync::Arc::new(schema)),
            Value::Map(out),
        )))
    }
}

/// Numeric widening order used by Kafka's `mergeSchemas`.
fn numeric_rank(t: SchemaType) -> Option<u8> {
    Some(match t {
        SchemaType::Int8 => 0,
        SchemaType::Int16 => 1,
        SchemaType::Int32 => 2,
        SchemaType::Int64 => 3,
        SchemaType::Float32 => 4,
        SchemaType::Float64 => 5,
        _ => return None,
    })
}

/// The schema every (non-null) element fits: the same schema, or the widest plain number.
fn common_schema(schemas: &[Option<&SchemaRef>]) -> Option<SchemaRef> {
    let mut common: Option<&SchemaRef> = None;
    for s in schemas.iter().flatten() {
        common = Some(match common {
            None => s,
            Some(c) if c.schema_type == s.schema_type && c.name == s.name => c,
            Some(c) if c.name.is_none() && s.name.is_none() => {
                let (rc, rs) = (numeric_rank(c.schema_type)?, numeric_rank(s.schema_type)?);
                if rs > rc { s } else { c }
            }
            Some(_) => return None,
        });
    }
    common.cloned()
}

/// Widens a number to the common schema's type.
fn align(v: Value, schema: Option<&SchemaRef>) -> Value {
    let Some(s) = schema else { return v };
    let as_i64 = v.as_i64();
    match (s.schema_type, as_i64, &v) {
        (SchemaType::Int16, Some(n), _) => Value::Int16(n as i16),
        (SchemaType::Int32, Some(n), _) => Value::Int32(n as i32),
        (SchemaType::Int64, Some(n), _) => Value::Int64(n),
        (SchemaType::Float32, Some(n), _) => Value::Float32(n as f32),
        (SchemaType::Float64, Some(n), _) => Value::Float64(n as f64),
        (SchemaType::Float64, None, Value::Float32(f)) => Value::Float64(f64::from(*f)),
        _ => v,
    }
}
