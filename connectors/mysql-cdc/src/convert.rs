//! MySQL column types → Kafka Connect schemas and values, as Debezium 2.2 maps them (reference §3).
//!
//! Both the snapshot (text protocol) and the binlog reader hand over [`Cell`]s; one converter
//! turns either into the Connect value, so a row looks the same whichever way it was read (except
//! where Debezium itself differs, such as JSON whitespace).

use base64::Engine as _;
use chrono::{Datelike, NaiveDate};
use connect_api::data::{Decimal, Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};
use num_bigint::BigInt;

use crate::config::{BigintUnsignedMode, BinaryMode, DecimalMode, TimePrecisionMode, ValueModes};
use crate::table::{Column, unquote_literal};

/// A column value as read from MySQL, before conversion.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    UInt(u64),
    Float(f32),
    Double(f64),
    /// A textual rendering: the snapshot's text protocol, or the binlog's DECIMAL text, TIMESTAMP
    /// epoch (`sec[.usec]`) and YEAR.
    Text(String),
    /// Raw bytes: binlog strings (in the column charset), binary strings, BIT, SET bitmaps,
    /// geometry.
    Bytes(Vec<u8>),
    DateTime {
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        micros: u32,
    },
    Time {
        negative: bool,
        days: u32,
        hours: u8,
        minutes: u8,
        seconds: u8,
        micros: u32,
    },
    /// JSON already rendered as text.
    Json(String),
}

impl Cell {
    /// The cell of a driver value (text or binary protocol, or a binlog row); `bytes` decides what
    /// a byte string is, which depends on the column and on where it was read.
    pub(crate) fn from_my_value(
        v: mysql_common::value::Value,
        bytes: impl FnOnce(Vec<u8>) -> Self,
    ) -> Self {
        use mysql_common::value::Value as MyValue;
        match v {
            MyValue::NULL => Self::Null,
            MyValue::Bytes(b) => bytes(b),
            MyValue::Int(i) => Self::Int(i),
            MyValue::UInt(u) => Self::UInt(u),
            MyValue::Float(f) => Self::Float(f),
            MyValue::Double(d) => Self::Double(d),
            MyValue::Date(year, month, day, hour, minute, second, micros) => Self::DateTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
                micros,
            },
            MyValue::Time(negative, days, hours, minutes, seconds, micros) => Self::Time {
                negative,
                days,
                hours,
                minutes,
                seconds,
                micros,
            },
        }
    }
}

/// The fractional-second precision of a temporal column (`DATETIME(6)` → 6).
fn fsp(col: &Column) -> i32 {
    col.length.unwrap_or(0)
}

fn named(ty: SchemaType, name: &str) -> SchemaBuilder {
    Schema::builder(ty).name(name).version(1)
}

fn decimal_builder(scale: i32, precision: i32) -> SchemaBuilder {
    Decimal::builder(scale).parameter("connect.decimal.precision", precision.to_string())
}

/// The physical Connect type of `col`'s values (cheaper than building the schema per cell).
fn physical_type(col: &Column, modes: ValueModes) -> SchemaType {
    match (col.type_name.as_str(), col.unsigned) {
        ("TINYINT", _) | ("SMALLINT", false) => SchemaType::Int16,
        ("SMALLINT", true) | ("MEDIUMINT", _) | ("INT", false) => SchemaType::Int32,
        ("BIGINT", true) if modes.bigint_unsigned == BigintUnsignedMode::Precise => {
            SchemaType::Bytes
        }
        ("FLOAT", _) if col.scale.is_none() && col.length.unwrap_or(0) <= 24 => SchemaType::Float32,
        ("REAL", _) => SchemaType::Float32,
        ("FLOAT" | "DOUBLE", _) => SchemaType::Float64,
        _ => SchemaType::Int64,
    }
}

/// The schema of `col`'s values, without optionality or default.
fn base_schema(col: &Column, modes: ValueModes) -> SchemaBuilder {
    let adaptive = modes.time_precision == TimePrecisionMode::AdaptiveTimeMicroseconds;
    let t = col.type_name.as_str();
    match t {
        "BOOLEAN" => Schema::builder(SchemaType::Boolean),
        "BIT" => match col.length.unwrap_or(1) {
            1 => Schema::builder(SchemaType::Boolean),
            n => {
                named(SchemaType::Bytes, "io.debezium.data.Bits").parameter("length", n.to_string())
            }
        },
        "TINYINT" => Schema::builder(SchemaType::Int16),
        "SMALLINT" if col.unsigned => Schema::builder(SchemaType::Int32),
        "SMALLINT" => Schema::builder(SchemaType::Int16),
        "MEDIUMINT" => Schema::builder(SchemaType::Int32),
        "INT" if col.unsigned => Schema::builder(SchemaType::Int64),
        "INT" => Schema::builder(SchemaType::Int32),
        "BIGINT" if col.unsigned && modes.bigint_unsigned == BigintUnsignedMode::Precise => {
            decimal_builder(0, 20)
        }
        "BIGINT" => Schema::builder(SchemaType::Int64),
        "FLOAT" if col.scale.is_none() && col.length.unwrap_or(0) <= 24 => {
            Schema::builder(SchemaType::Float32)
        }
        "REAL" => Schema::builder(SchemaType::Float32),
        "FLOAT" | "DOUBLE" => Schema::builder(SchemaType::Float64),
        "DECIMAL" | "NUMERIC" => match modes.decimal {
            DecimalMode::Precise => {
                decimal_builder(col.scale.unwrap_or(0), col.length.unwrap_or(10))
            }
            DecimalMode::Double => Schema::builder(SchemaType::Float64),
            DecimalMode::String => Schema::builder(SchemaType::String),
        },
        "DATE" if adaptive => named(SchemaType::Int32, "io.debezium.time.Date"),
        "DATE" => named(SchemaType::Int32, "org.apache.kafka.connect.data.Date"),
        "TIME" if adaptive => named(SchemaType::Int64, "io.debezium.time.MicroTime"),
        "TIME" => named(SchemaType::Int32, "org.apache.kafka.connect.data.Time"),
        "DATETIME" if !adaptive => {
            named(SchemaType::Int64, "org.apache.kafka.connect.data.Timestamp")
        }
        "DATETIME" if fsp(col) <= 3 => named(SchemaType::Int64, "io.debezium.time.Timestamp"),
        "DATETIME" => named(SchemaType::Int64, "io.debezium.time.MicroTimestamp"),
        "TIMESTAMP" => named(SchemaType::String, "io.debezium.time.ZonedTimestamp"),
        "YEAR" => named(SchemaType::Int32, "io.debezium.time.Year"),
        "JSON" => named(SchemaType::String, "io.debezium.data.Json"),
        "ENUM" => named(SchemaType::String, "io.debezium.data.Enum")
            .parameter("allowed", col.enum_values.join(",")),
        "SET" => named(SchemaType::String, "io.debezium.data.EnumSet")
            .parameter("allowed", col.enum_values.join(",")),
        "POINT" => named(SchemaType::Struct, "io.debezium.data.geometry.Point")
            .doc("Geometry (POINT)")
            .field("x", Schema::float64())
            .field("y", Schema::float64())
            .field("wkb", Schema::optional_bytes())
            .field("srid", Schema::optional_int32()),
        "GEOMETRY" | "LINESTRING" | "POLYGON" | "MULTIPOINT" | "MULTILINESTRING"
        | "MULTIPOLYGON" | "GEOMETRYCOLLECTION" | "GEOMCOLLECTION" => {
            named(SchemaType::Struct, "io.debezium.data.geometry.Geometry")
                .doc("Geometry")
                .field("wkb", Schema::bytes())
                .field("srid", Schema::optional_int32())
        }
        _ if col.is_binary() => match modes.binary {
            BinaryMode::Bytes => Schema::builder(SchemaType::Bytes),
            _ => Schema::builder(SchemaType::String),
        },
        _ => Schema::builder(SchemaType::String),
    }
}

/// The Connect schema of a column as a value field: optionality and the converted DB default.
pub fn column_schema(col: &Column, modes: ValueModes, force_required: bool) -> SchemaRef {
    let optional = col.optional && !force_required;
    let mut b = base_schema(col, modes).optional_if(optional);
    if let Some(default) = default_value(col, modes, optional) {
        b = b.default_value(default);
    }
    b.build()
}

/// The schema `default` Debezium derives from the column's `DEFAULT` clause.
fn default_value(col: &Column, modes: ValueModes, optional: bool) -> Option<Value> {
    let expr = col.default_expression.as_deref()?.trim();
    if expr.eq_ignore_ascii_case("NULL") {
        return None;
    }
    let upper = expr.to_ascii_uppercase();
    if upper.starts_with("CURRENT_TIMESTAMP")
        || upper.starts_with("NOW(")
        || upper.starts_with("LOCALTIME")
    {
        // Debezium cannot evaluate the function: a required column gets the epoch, an optional
        // one no default at all.
        if optional {
            return None;
        }
        let zero = match col.type_name.as_str() {
            "TIMESTAMP" => Cell::Text("1970-01-01 00:00:00".into()),
            "DATE" => Cell::Text("1970-01-01".into()),
            _ => Cell::Text("1970-01-01 00:00:00".into()),
        };
        return convert(col, modes, zero, optional).ok();
    }
    if expr.starts_with('(') || expr.contains('(') && !expr.starts_with('\'') {
        return None;
    }
    let literal = unquote_literal(expr);
    let cell = if col.type_name == "BIT" {
        bit_literal(&literal, col.length.unwrap_or(1))?
    } else if col.is_binary() {
        Cell::Bytes(literal.into_bytes())
    } else {
        Cell::Text(literal)
    };
    convert(col, modes, cell, optional)
        .ok()
        .filter(|v| !v.is_null())
}

/// `b'101'` (already unquoted to `b101`?) or a number as BIT bytes (big-endian, as MySQL sends).
fn bit_literal(lit: &str, bits: i32) -> Option<Cell> {
    let digits = lit.trim_start_matches(['b', 'B']).trim_matches('\'');
    let n = if digits.chars().all(|c| c == '0' || c == '1') && lit.starts_with(['b', 'B']) {
        u64::from_str_radix(digits, 2).ok()?
    } else {
        digits.parse::<u64>().ok()?
    };
    let nbytes = usize::try_from(bits).ok()?.div_ceil(8).max(1);
    let be = n.to_be_bytes();
    Some(Cell::Bytes(be[8 - nbytes.min(8)..].to_vec()))
}

/// 24:00:00, the largest TIME Kafka Connect's `Time` (and Debezium's `connect` mode) takes.
const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Converts one cell of `col`. `optional` is the field's optionality (zero dates become null in
/// optional fields and the epoch otherwise).
///
/// # Errors
/// A value that does not fit the column type (the message names the column and the value).
pub fn convert(
    col: &Column,
    modes: ValueModes,
    cell: Cell,
    optional: bool,
) -> Result<Value, String> {
    if cell == Cell::Null {
        return Ok(Value::Null);
    }
    let bad = |what: &dyn std::fmt::Debug| {
        format!(
            "column {} ({}): cannot convert {what:?}",
            col.name, col.type_name
        )
    };
    let adaptive = modes.time_precision == TimePrecisionMode::AdaptiveTimeMicroseconds;
    let t = col.type_name.as_str();
    Ok(match t {
        "BOOLEAN" => Value::Boolean(as_i128(col, &cell).ok_or_else(|| bad(&cell))? != 0),
        "BIT" => {
            let bytes = match &cell {
                Cell::Bytes(b) => b.clone(),
                Cell::Int(_) | Cell::UInt(_) | Cell::Text(_) => {
                    let n = as_i128(col, &cell).ok_or_else(|| bad(&cell))?;
                    let nbytes = usize::try_from(col.length.unwrap_or(1))
                        .unwrap_or(1)
                        .div_ceil(8)
                        .clamp(1, 8);
                    let be = (n as u64).to_be_bytes();
                    be[8 - nbytes..].to_vec()
                }
                _ => return Err(bad(&cell)),
            };
            if col.length.unwrap_or(1) == 1 {
                Value::Boolean(bytes.iter().any(|b| *b != 0))
            } else {
                // Debezium's Bits are little-endian, MySQL's big-endian; pad to the declared width.
                let nbytes = usize::try_from(col.length.unwrap_or(1))
                    .unwrap_or(1)
                    .div_ceil(8);
                let mut le: Vec<u8> = bytes.iter().rev().copied().collect();
                le.resize(nbytes.max(le.len()), 0);
                le.truncate(nbytes);
                Value::Bytes(le.into())
            }
        }
        "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" => {
            let n = as_i128(col, &cell).ok_or_else(|| bad(&cell))?;
            // mysql_common does not sign-extend MEDIUMINT from the binlog.
            let n = if t == "MEDIUMINT" && !col.unsigned && (1 << 23..1 << 24).contains(&n) {
                n - (1 << 24)
            } else {
                n
            };
            let n = if col.unsigned && n < 0 {
                // The binlog carries unsigned values as signed when the server does not log
                // signedness; widen them back by the column's width.
                let bits = match t {
                    "TINYINT" => 8,
                    "SMALLINT" => 16,
                    "MEDIUMINT" => 24,
                    "INT" => 32,
                    _ => 64,
                };
                n + (1i128 << bits)
            } else {
                n
            };
            match physical_type(col, modes) {
                SchemaType::Int16 => Value::Int16(i16::try_from(n).map_err(|_| bad(&n))?),
                SchemaType::Int32 => Value::Int32(i32::try_from(n).map_err(|_| bad(&n))?),
                SchemaType::Bytes => Value::Bytes(Decimal::encode(&BigInt::from(n))),
                // BIGINT UNSIGNED in `long` mode wraps like Java's long.
                _ => Value::Int64(n as i64),
            }
        }
        "FLOAT" | "REAL" | "DOUBLE" => {
            let f = match &cell {
                Cell::Float(f) => f64::from(*f),
                Cell::Double(d) => *d,
                Cell::Int(i) => *i as f64,
                Cell::Text(s) => s.trim().parse().map_err(|_| bad(s))?,
                other => return Err(bad(other)),
            };
            match physical_type(col, modes) {
                SchemaType::Float32 => Value::Float32(f as f32),
                _ => Value::Float64(f),
            }
        }
        "DECIMAL" | "NUMERIC" => {
            let text = match &cell {
                Cell::Text(s) => s.trim().to_owned(),
                Cell::Int(i) => i.to_string(),
                Cell::Double(d) => d.to_string(),
                Cell::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                other => return Err(bad(other)),
            };
            match modes.decimal {
                DecimalMode::Double => Value::Float64(text.parse().map_err(|_| bad(&text))?),
                DecimalMode::String => Value::String(text),
                DecimalMode::Precise => {
                    let (unscaled, scale) = Decimal::parse(&text).ok_or_else(|| bad(&text))?;
                    Value::Bytes(Decimal::encode(&rescale(
                        unscaled,
                        scale,
                        col.scale.unwrap_or(0),
                    )))
                }
            }
        }
        "DATE" => match parse_datetime(&cell) {
            Some(dt) if dt.is_zero_date() => zero_or_null(optional, Value::Int32(0)),
            Some(dt) => Value::Int32(dt.epoch_days().ok_or_else(|| bad(&cell))?),
            None => return Err(bad(&cell)),
        },
        "DATETIME" => match parse_datetime(&cell) {
            Some(dt) if dt.is_zero_date() => zero_or_null(optional, Value::Int64(0)),
            Some(dt) => {
                let micros = dt.epoch_micros().ok_or_else(|| bad(&cell))?;
                if adaptive && fsp(col) > 3 {
                    Value::Int64(micros)
                } else {
                    Value::Int64(micros.div_euclid(1000))
                }
            }
            None => return Err(bad(&cell)),
        },
        "TIMESTAMP" => {
            let (secs, micros) = match &cell {
                Cell::Text(s) if !s.contains('-') => parse_epoch(s).ok_or_else(|| bad(s))?,
                other => match parse_datetime(other) {
                    Some(dt) if dt.is_zero_date() => {
                        return Ok(zero_or_null(
                            optional,
                            Value::String("1970-01-01T00:00:00Z".into()),
                        ));
                    }
                    Some(dt) => {
                        let m = dt.epoch_micros().ok_or_else(|| bad(other))?;
                        (
                            m.div_euclid(1_000_000),
                            u32::try_from(m.rem_euclid(1_000_000)).unwrap_or(0),
                        )
                    }
                    None => return Err(bad(other)),
                },
            };
            if secs == 0 && micros == 0 && matches!(cell, Cell::Text(ref s) if !s.contains('-')) {
                // MySQL stores the zero TIMESTAMP as epoch 0.
                return Ok(zero_or_null(
                    optional,
                    Value::String("1970-01-01T00:00:00Z".into()),
                ));
            }
            Value::String(zoned_timestamp(secs, micros, fsp(col)).ok_or_else(|| bad(&cell))?)
        }
        "TIME" => {
            let micros = parse_time_micros(&cell).ok_or_else(|| bad(&cell))?;
            if adaptive {
                Value::Int64(micros)
            } else if (0..=MICROS_PER_DAY).contains(&micros) {
                Value::Int32(i32::try_from(micros / 1000).map_err(|_| bad(&micros))?)
            } else {
                // `connect` mode takes no large TIME values (`supportsLargeTimeValues` is true
                // only in the adaptive modes): `Time.toMilliOfDay` refuses one outside
                // 00:00:00..24:00:00 and `handleUnknownData` makes it null in an optional
                // field, with a warning that leaves the value out; a required field fails.
                if optional {
                    tracing::warn!(
                        column = %col.name,
                        "Unexpected value for a TIME column outside 00:00:00..24:00:00 with time.precision.mode=connect: written as null"
                    );
                    return Ok(Value::Null);
                }
                return Err(format!(
                    "column {} ({}): a TIME value outside 00:00:00..24:00:00 has no Kafka Connect Time with time.precision.mode=connect",
                    col.name, col.type_name
                ));
            }
        }
        "YEAR" => {
            let y = as_i128(col, &cell).ok_or_else(|| bad(&cell))?;
            Value::Int32(i32::try_from(y).map_err(|_| bad(&y))?)
        }
        "ENUM" => match &cell {
            Cell::Int(i) => Value::String(enum_label(col, *i).ok_or_else(|| bad(&cell))?),
            Cell::UInt(i) => Value::String(
                enum_label(col, i64::try_from(*i).unwrap_or(0)).ok_or_else(|| bad(&cell))?,
            ),
            Cell::Text(s) => Value::String(s.clone()),
            Cell::Bytes(b) => Value::String(decode_text(col, b)),
            other => return Err(bad(other)),
        },
        "SET" => match &cell {
            Cell::Bytes(b) if b.len() <= 8 => {
                let mut bits = 0u64;
                for (i, byte) in b.iter().enumerate() {
                    bits |= u64::from(*byte) << (8 * i);
                }
                Value::String(set_labels(col, bits))
            }
            Cell::Int(i) => Value::String(set_labels(col, *i as u64)),
            Cell::UInt(i) => Value::String(set_labels(col, *i)),
            Cell::Text(s) => Value::String(s.clone()),
            other => return Err(bad(other)),
        },
        "JSON" => match cell {
            Cell::Json(s) | Cell::Text(s) => Value::String(s),
            Cell::Bytes(b) => Value::String(String::from_utf8_lossy(&b).into_owned()),
            other => return Err(bad(&other)),
        },
        "POINT" | "GEOMETRY" | "LINESTRING" | "POLYGON" | "MULTIPOINT" | "MULTILINESTRING"
        | "MULTIPOLYGON" | "GEOMETRYCOLLECTION" | "GEOMCOLLECTION" => {
            let Cell::Bytes(raw) = &cell else {
                return Err(bad(&cell));
            };
            geometry(col, modes, raw, optional).ok_or_else(|| bad(&"malformed geometry"))?
        }
        _ if col.is_binary() => {
            let mut bytes = match cell {
                Cell::Bytes(b) => b,
                Cell::Text(s) => s.into_bytes(),
                other => return Err(bad(&other)),
            };
            if col.type_name == "BINARY"
                && let Some(n) = col.length.and_then(|n| usize::try_from(n).ok())
                && bytes.len() < n
            {
                // The binlog strips BINARY(n)'s trailing zero bytes (DBZ-254).
                bytes.resize(n, 0);
            }
            match modes.binary {
                BinaryMode::Bytes => Value::Bytes(bytes.into()),
                BinaryMode::Base64 => {
                    Value::String(base64::engine::general_purpose::STANDARD.encode(&bytes))
                }
                BinaryMode::Base64UrlSafe => {
                    Value::String(base64::engine::general_purpose::URL_SAFE.encode(&bytes))
                }
                BinaryMode::Hex => {
                    Value::String(bytes.iter().map(|b| format!("{b:02x}")).collect())
                }
            }
        }
        _ => match cell {
            Cell::Text(s) | Cell::Json(s) => Value::String(s),
            Cell::Bytes(b) => Value::String(decode_text_owned(col, b)),
            Cell::Int(i) => Value::String(i.to_string()),
            Cell::UInt(i) => Value::String(i.to_string()),
            other => return Err(bad(&other)),
        },
    })
}

fn zero_or_null(optional: bool, zero: Value) -> Value {
    if optional { Value::Null } else { zero }
}

fn as_i128(col: &Column, cell: &Cell) -> Option<i128> {
    match cell {
        Cell::Int(i) => Some(i128::from(*i)),
        Cell::UInt(u) => Some(i128::from(*u)),
        Cell::Text(s) => s.trim().parse().ok(),
        Cell::Bytes(b) if col.type_name == "BIT" || col.type_name == "BOOLEAN" => {
            Some(b.iter().fold(0i128, |acc, x| (acc << 8) | i128::from(*x)))
        }
        Cell::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
        Cell::Double(d) => Some(*d as i128),
        _ => None,
    }
}

fn rescale(unscaled: BigInt, from: i32, to: i32) -> BigInt {
    match to.cmp(&from) {
        std::cmp::Ordering::Equal => unscaled,
        std::cmp::Ordering::Greater => {
            unscaled * BigInt::from(10).pow(u32::try_from(to - from).unwrap_or(0))
        }
        std::cmp::Ordering::Less => {
            unscaled / BigInt::from(10).pow(u32::try_from(from - to).unwrap_or(0))
        }
    }
}

fn enum_label(col: &Column, index: i64) -> Option<String> {
    if index == 0 {
        // MySQL's "invalid value" marker, stored as the empty string.
        return Some(String::new());
    }
    col.enum_values
        .get(usize::try_from(index - 1).ok()?)
        .cloned()
}

fn set_labels(col: &Column, bits: u64) -> String {
    col.enum_values
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < 64 && bits & (1u64 << i) != 0)
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Decodes binlog string bytes with the column's character set. Invalid sequences become U+FFFD,
/// as Java's decoder does in Debezium, rather than failing the whole row.
pub fn decode_text(col: &Column, bytes: &[u8]) -> String {
    decode_text_owned(col, bytes.to_vec())
}

/// [`decode_text`] of bytes the caller owns: UTF-8 (and ASCII in any charset) becomes the
/// `String` without a copy, since this runs for every string cell of every binlog row.
pub fn decode_text_owned(col: &Column, bytes: Vec<u8>) -> String {
    if is_cp1252(col) && !bytes.is_ascii() {
        return bytes.iter().map(|b| cp1252(*b)).collect();
    }
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Whether the column's charset is MySQL's `latin1` (or `cp1252`); compared without
/// allocating, as it runs per cell.
fn is_cp1252(col: &Column) -> bool {
    col.charset
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("latin1") || c.eq_ignore_ascii_case("cp1252"))
}

/// MySQL's `latin1` is Windows-1252.
fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    if (0x80..0xa0).contains(&b) {
        HIGH[usize::from(b - 0x80)]
    } else {
        char::from(b)
    }
}

#[derive(Debug, Clone, Copy)]
struct DateTimeParts {
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    micros: u32,
}

impl DateTimeParts {
    fn is_zero_date(&self) -> bool {
        self.year == 0 || self.month == 0 || self.day == 0
    }

    fn epoch_days(&self) -> Option<i32> {
        let d = NaiveDate::from_ymd_opt(self.year, self.month, self.day)?;
        Some(d.num_days_from_ce() - 719_163)
    }

    fn epoch_micros(&self) -> Option<i64> {
        let days = i64::from(self.epoch_days()?);
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        Some(secs * 1_000_000 + i64::from(self.micros))
    }
}

fn parse_datetime(cell: &Cell) -> Option<DateTimeParts> {
    match cell {
        Cell::DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            micros,
        } => Some(DateTimeParts {
            year: i32::from(*year),
            month: u32::from(*month),
            day: u32::from(*day),
            hour: u32::from(*hour),
            minute: u32::from(*minute),
            second: u32::from(*second),
            micros: *micros,
        }),
        Cell::Text(s) => {
            let s = s.trim();
            let (date, time) = s.split_once([' ', 'T']).unwrap_or((s, ""));
            let mut d = date.split('-');
            let year = d.next()?.parse().ok()?;
            let month = d.next()?.parse().ok()?;
            let day = d.next()?.parse().ok()?;
            let (hour, minute, second, micros) = if time.is_empty() {
                (0, 0, 0, 0)
            } else {
                let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
                let mut t = hms.split(':');
                (
                    t.next()?.parse().ok()?,
                    t.next()?.parse().ok()?,
                    t.next()?.parse().ok()?,
                    frac_micros(frac)?,
                )
            };
            Some(DateTimeParts {
                year,
                month,
                day,
                hour,
                minute,
                second,
                micros,
            })
        }
        _ => None,
    }
}

fn frac_micros(frac: &str) -> Option<u32> {
    if frac.is_empty() {
        return Some(0);
    }
    let digits: String = frac.chars().take(6).collect();
    let n: u32 = digits.parse().ok()?;
    Some(n * 10u32.pow(u32::try_from(6 - digits.len()).ok()?))
}

fn parse_epoch(s: &str) -> Option<(i64, u32)> {
    let (sec, frac) = s.trim().split_once('.').unwrap_or((s.trim(), ""));
    Some((sec.parse().ok()?, frac_micros(frac)?))
}

fn parse_time_micros(cell: &Cell) -> Option<i64> {
    match cell {
        Cell::Time {
            negative,
            days,
            hours,
            minutes,
            seconds,
            micros,
        } => {
            let secs = i64::from(*days) * 86_400
                + i64::from(*hours) * 3600
                + i64::from(*minutes) * 60
                + i64::from(*seconds);
            let v = secs * 1_000_000 + i64::from(*micros);
            Some(if *negative { -v } else { v })
        }
        Cell::Text(s) => {
            let s = s.trim();
            let (negative, s) = match s.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, s),
            };
            let (hms, frac) = s.split_once('.').unwrap_or((s, ""));
            let mut t = hms.split(':');
            let h: i64 = t.next()?.parse().ok()?;
            let m: i64 = t.next()?.parse().ok()?;
            let sec: i64 = t.next()?.parse().ok()?;
            let v = ((h * 60 + m) * 60 + sec) * 1_000_000 + i64::from(frac_micros(frac)?);
            Some(if negative { -v } else { v })
        }
        _ => None,
    }
}

/// `io.debezium.time.ZonedTimestamp` text: UTC, `Z`, the fraction padded to the column's
/// fractional-second precision (Debezium ≥ 2.2), no fraction for `TIMESTAMP(0)`.
fn zoned_timestamp(secs: i64, micros: u32, fsp: i32) -> Option<String> {
    let dt = chrono::DateTime::from_timestamp(secs, micros * 1000)?;
    let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    let width = usize::try_from(fsp.clamp(0, 6)).unwrap_or(0);
    if width == 0 {
        return Some(format!("{base}Z"));
    }
    let frac = format!("{micros:06}");
    Some(format!("{base}.{}Z", &frac[..width]))
}

/// MySQL's internal geometry value: a 4-byte little-endian SRID, then OGC WKB.
fn geometry(col: &Column, modes: ValueModes, raw: &[u8], optional: bool) -> Option<Value> {
    if raw.len() < 4 {
        return None;
    }
    let srid = i32::from_le_bytes(raw[..4].try_into().ok()?);
    let wkb = bytes::Bytes::copy_from_slice(&raw[4..]);
    // The struct carries the field's own schema (optional for a nullable column): JsonConverter
    // refuses a struct whose schema is not the field's ("Mismatching schema.").
    let schema = column_schema(col, modes, !optional);
    let mut s = Struct::new(schema);
    if col.type_name == "POINT" {
        let w = &raw[4..];
        if w.len() < 21 {
            return None;
        }
        let little = w[0] == 1;
        let f = |b: &[u8]| -> Option<f64> {
            let arr: [u8; 8] = b.try_into().ok()?;
            Some(if little {
                f64::from_le_bytes(arr)
            } else {
                f64::from_be_bytes(arr)
            })
        };
        s.put("x", Value::Float64(f(&w[5..13])?));
        s.put("y", Value::Float64(f(&w[13..21])?));
    }
    s.put("wkb", Value::Bytes(wkb));
    // BinlogGeometry.fromBytes (MySqlGeometry in 2.x): "Debezium uses null for an unset/unknown
    // SRID", 0.
    if srid != 0 {
        s.put("srid", Value::Int32(srid));
    }
    Some(Value::Struct(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(expr: &str) -> Column {
        Column::new("c", expr)
    }

    fn conv(expr: &str, cell: Cell) -> Value {
        convert(&col(expr), ValueModes::default(), cell, true).unwrap()
    }

    #[test]
    fn decimals_encode_as_minimal_twos_complement_at_column_scale() {
        let b = |v: Value| match v {
            Value::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            b(conv("decimal(10,2)", Cell::Text("123.45".into()))),
            "MDk="
        );
        assert_eq!(
            b(conv("decimal(10,2)", Cell::Text("-123.45".into()))),
            "z8c="
        );
        assert_eq!(b(conv("decimal(10,2)", Cell::Text("0.00".into()))), "AA==");
        assert_eq!(b(conv("decimal(10,2)", Cell::Text("1".into()))), "ZA==");
        assert_eq!(
            b(conv("decimal(10,2)", Cell::Text("999.99".into()))),
            "AYaf"
        );
    }

    #[test]
    fn unsigned_integers_widen_and_signed_binlog_values_are_corrected() {
        assert_eq!(conv("tinyint unsigned", Cell::Int(-1)), Value::Int16(255));
        assert_eq!(
            conv("smallint unsigned", Cell::Int(-1)),
            Value::Int32(65535)
        );
        assert_eq!(
            conv("int unsigned", Cell::Int(-1)),
            Value::Int64(4_294_967_295)
        );
        assert_eq!(
            conv("bigint unsigned", Cell::UInt(u64::MAX)),
            Value::Int64(-1)
        );
        assert_eq!(
            conv("mediumint", Cell::Int(8_388_608)),
            Value::Int32(-8_388_608)
        );
        let precise = ValueModes {
            bigint_unsigned: BigintUnsignedMode::Precise,
            ..ValueModes::default()
        };
        let v = convert(&col("bigint unsigned"), precise, Cell::Int(-1), true).unwrap();
        assert_eq!(v, Value::Bytes(Decimal::encode(&BigInt::from(u64::MAX))));
    }

    #[test]
    fn temporal_values_follow_adaptive_time_microseconds() {
        assert_eq!(
            conv("date", Cell::Text("2018-06-20".into())),
            Value::Int32(17702)
        );
        assert_eq!(
            conv("datetime", Cell::Text("2018-06-20 06:37:03".into())),
            Value::Int64(1_529_476_623_000)
        );
        assert_eq!(
            conv(
                "datetime(6)",
                Cell::Text("2018-06-20 06:37:03.123456".into())
            ),
            Value::Int64(1_529_476_623_123_456)
        );
        assert_eq!(
            conv("timestamp", Cell::Text("1529501823".into())),
            Value::String("2018-06-20T13:37:03Z".into())
        );
        assert_eq!(
            conv("timestamp(3)", Cell::Text("2018-06-20 13:37:03.5".into())),
            Value::String("2018-06-20T13:37:03.500Z".into())
        );
        assert_eq!(
            conv("time(3)", Cell::Text("-01:00:00.5".into())),
            Value::Int64(-3_600_500_000)
        );
        assert_eq!(conv("year", Cell::Text("2024".into())), Value::Int32(2024));
    }

    #[test]
    fn zero_dates_are_null_when_optional_and_epoch_otherwise() {
        let c = col("datetime");
        let zero = Cell::Text("0000-00-00 00:00:00".into());
        assert_eq!(
            convert(&c, ValueModes::default(), zero.clone(), true).unwrap(),
            Value::Null
        );
        assert_eq!(
            convert(&c, ValueModes::default(), zero, false).unwrap(),
            Value::Int64(0)
        );
    }

    #[test]
    fn bits_enums_and_sets_decode_to_debezium_forms() {
        assert_eq!(conv("bit(1)", Cell::Bytes(vec![1])), Value::Boolean(true));
        assert_eq!(
            conv("bit(10)", Cell::Bytes(vec![0x02, 0x01])),
            Value::Bytes(vec![0x01, 0x02].into())
        );
        assert_eq!(
            conv("enum('S','M','L')", Cell::Int(2)),
            Value::String("M".into())
        );
        assert_eq!(
            conv("set('a','b','c')", Cell::Bytes(vec![0b101])),
            Value::String("a,c".into())
        );
    }

    #[test]
    fn latin1_bytes_decode_as_windows_1252() {
        let mut c = col("varchar(10)");
        c.charset = Some("latin1".into());
        let v = convert(
            &c,
            ValueModes::default(),
            Cell::Bytes(vec![0x63, 0x61, 0x66, 0xe9, 0x80]),
            true,
        )
        .unwrap();
        assert_eq!(v, Value::String("café€".into()));
    }

    #[test]
    fn string_cells_decode_by_charset_whatever_its_case_and_invalid_utf8_becomes_replacement() {
        let text = |charset: Option<&str>, bytes: &[u8]| {
            let mut c = col("varchar(10)");
            c.charset = charset.map(str::to_owned);
            let owned = convert(&c, ValueModes::default(), Cell::Bytes(bytes.to_vec()), true);
            assert_eq!(
                Value::String(decode_text(&c, bytes)),
                owned.clone().unwrap()
            );
            owned.unwrap()
        };
        assert_eq!(text(Some("LATIN1"), &[0xe9]), Value::String("é".into()));
        assert_eq!(text(Some("cp1252"), &[0x80]), Value::String("€".into()));
        assert_eq!(
            text(Some("utf8mb4"), "é€".as_bytes()),
            Value::String("é€".into())
        );
        assert_eq!(text(None, b"plain"), Value::String("plain".into()));
        assert_eq!(
            text(Some("latin1"), b"plain"),
            Value::String("plain".into())
        );
        assert_eq!(
            text(Some("utf8mb4"), &[0x61, 0xff]),
            Value::String("a\u{fffd}".into())
        );
    }

    #[test]
    fn decimal_binary_and_time_modes_change_schema_and_value() {
        let modes = |f: fn(&mut ValueModes)| {
            let mut m = ValueModes::default();
            f(&mut m);
            m
        };
        let dec = col("decimal(10,2)");
        let as_double = modes(|m| m.decimal = DecimalMode::Double);
        assert_eq!(
            convert(&dec, as_double, Cell::Text("123.45".into()), true).unwrap(),
            Value::Float64(123.45)
        );
        assert_eq!(
            column_schema(&dec, as_double, false).schema_type,
            SchemaType::Float64
        );
        let as_string = modes(|m| m.decimal = DecimalMode::String);
        assert_eq!(
            convert(&dec, as_string, Cell::Text("0.50".into()), true).unwrap(),
            Value::String("0.50".into())
        );
        let blob = col("blob");
        let bytes = Cell::Bytes(vec![0xfb, 0xff]);
        let b64 = modes(|m| m.binary = BinaryMode::Base64);
        assert_eq!(
            convert(&blob, b64, bytes.clone(), true).unwrap(),
            Value::String("+/8=".into())
        );
        let url = modes(|m| m.binary = BinaryMode::Base64UrlSafe);
        assert_eq!(
            convert(&blob, url, bytes.clone(), true).unwrap(),
            Value::String("-_8=".into())
        );
        let hex = modes(|m| m.binary = BinaryMode::Hex);
        assert_eq!(
            convert(&blob, hex, bytes, true).unwrap(),
            Value::String("fbff".into())
        );
        assert_eq!(
            column_schema(&blob, hex, false).schema_type,
            SchemaType::String
        );
        let connect = modes(|m| m.time_precision = TimePrecisionMode::Connect);
        let time = col("time(6)");
        assert_eq!(
            convert(&time, connect, Cell::Text("01:00:00.123456".into()), true).unwrap(),
            Value::Int32(3_600_123)
        );
        assert_eq!(
            column_schema(&time, connect, false).name.as_deref(),
            Some("org.apache.kafka.connect.data.Time")
        );
        // Debezium's `connect` mode has no large TIME values: null when optional, else an error.
        for large in ["-838:59:59", "24:00:01", "838:59:59"] {
            assert_eq!(
                convert(&time, connect, Cell::Text(large.into()), true).unwrap(),
                Value::Null,
                "{large}"
            );
            assert!(convert(&time, connect, Cell::Text(large.into()), false).is_err());
        }
        assert_eq!(
            convert(&time, connect, Cell::Text("24:00:00".into()), false).unwrap(),
            Value::Int32(86_400_000)
        );
        let dt = col("datetime(6)");
        assert_eq!(
            convert(
                &dt,
                connect,
                Cell::Text("2018-06-20 06:37:03.123456".into()),
                true
            )
            .unwrap(),
            Value::Int64(1_529_476_623_123)
        );
        assert_eq!(
            column_schema(&dt, connect, false).name.as_deref(),
            Some("org.apache.kafka.connect.data.Timestamp")
        );
        assert_eq!(
            column_schema(&col("date"), connect, false).name.as_deref(),
            Some("org.apache.kafka.connect.data.Date")
        );
    }

    #[test]
    fn values_that_do_not_fit_the_column_are_errors_naming_the_column() {
        let err = conv_err("int", Cell::Text("abc".into()));
        assert!(err.contains("column c (INT)"), "{err}");
        let err = conv_err("date", Cell::Text("2018-13-45".into()));
        assert!(err.contains("column c (DATE)"), "{err}");
    }

    fn conv_err(expr: &str, cell: Cell) -> String {
        convert(&col(expr), ValueModes::default(), cell, true).unwrap_err()
    }

    #[test]
    fn a_nullable_geometry_value_carries_its_fields_optional_schema() {
        // SRID 0, then WKB of POINT(1 2).
        let mut raw = vec![0, 0, 0, 0, 1, 1, 0, 0, 0];
        raw.extend(1.0f64.to_le_bytes());
        raw.extend(2.0f64.to_le_bytes());
        for expr in ["GEOMETRY", "POINT"] {
            let c = col(expr);
            assert!(c.optional, "{expr} columns are nullable by default");
            let v = convert(
                &c,
                ValueModes::default(),
                Cell::Bytes(raw.clone()),
                c.optional,
            )
            .unwrap();
            let field = column_schema(&c, ValueModes::default(), false);
            let Value::Struct(st) = &v else {
                panic!("{v:?}")
            };
            assert_eq!(**st.schema(), *field, "{expr}");
            // What JsonConverter checks before it writes a struct.
            let text = crate::jsonout::envelope(Some(&field), &v);
            // SRID 0 is "unknown": null, as Debezium writes it.
            assert!(text.contains(r#""srid":null"#), "{expr}: {text}");
        }
    }

    #[test]
    fn physical_types_agree_with_the_schemas() {
        for expr in [
            "tinyint",
            "tinyint unsigned",
            "smallint",
            "smallint unsigned",
            "mediumint",
            "int",
            "int unsigned",
            "bigint",
            "bigint unsigned",
            "float",
            "float(30)",
            "float(7,2)",
            "real",
            "double",
        ] {
            for modes in [
                ValueModes::default(),
                ValueModes {
                    bigint_unsigned: BigintUnsignedMode::Precise,
                    ..ValueModes::default()
                },
            ] {
                let c = col(expr);
                assert_eq!(
                    physical_type(&c, modes),
                    base_schema(&c, modes).into_schema().schema_type,
                    "{expr}"
                );
            }
        }
    }

    #[test]
    fn column_defaults_become_schema_defaults() {
        let mut c = col("decimal(10,2)");
        c.optional = false;
        c.default_expression = Some("'1.00'".into());
        let s = column_schema(&c, ValueModes::default(), false);
        assert_eq!(s.default, Some(Value::Bytes(vec![0x64].into())));
        let mut c = col("timestamp");
        c.optional = false;
        c.default_expression = Some("current_timestamp()".into());
        let s = column_schema(&c, ValueModes::default(), false);
        assert_eq!(
            s.default,
            Some(Value::String("1970-01-01T00:00:00Z".into()))
        );
        let mut c = col("enum('S','M','L')");
        c.default_expression = Some("'M'".into());
        assert_eq!(
            column_schema(&c, ValueModes::default(), false).default,
            Some(Value::String("M".into()))
        );
    }
}
