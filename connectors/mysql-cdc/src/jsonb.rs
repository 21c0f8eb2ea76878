//! MySQL binary JSON → `serde_json`, with the SQL values a document can hold rendered as
//! Debezium renders them.
//!
//! A MySQL JSON document can hold SQL values that JSON has no type for:
//! `JSON_OBJECT('d', CAST('2020-01-02' AS DATE))` or `JSON_ARRAY(CAST(1.50 AS DECIMAL(5,2)))`
//! store the DATE and the DECIMAL as *opaque* scalars, a column type code and that type's binary
//! form. mysql_common's `TryFrom<jsonb::Value> for serde_json::Value` refuses those. Its
//! `jsonb::Value::parse` accepts them, but it renders them its own way (decimals as strings,
//! times with six fraction digits, `base64:type<N>:` prefixes).
//!
//! Debezium (`MySqlValueConverters.convertJson`) renders a binlog JSON value with
//! mysql-binlog-connector-java's `JsonBinary.parseAsString`, which walks the document into a
//! `JsonStringFormatter`. [`to_json`] follows that code. For MySQL documents its output is the
//! same from 0.26.1 (July 2022) to the current head (a4c14bb), which covers the release
//! Debezium 2.2 uses. Line numbers are those of a4c14bb. `JsonBinary.parseOpaque`
//! (JsonBinary.java:695-740) dispatches on the type code:
//! - `DECIMAL`, `NEWDECIMAL` (`parseDecimal`, :866-875) become a JSON number,
//!   `BigDecimal.toPlainString()`: never an exponent, exactly `scale` fraction digits (`1.50`,
//!   `0.00`), and no negative zero. See "Decimals" below.
//! - `DATE` (`parseDate`, :768-776) becomes `"YYYY-MM-DD"` (`valueDate`, `appendDate`,
//!   JsonStringFormatter.java:177-181, :315-325).
//! - `TIME`, `TIME_V2` (`parseTime`, :804-816) become `"HH:MM:SS[.fraction]"` (`valueTime`,
//!   `appendTime`, :194-202, :327-337). The hour may have three digits (`838:59:59`). Negative
//!   times get a leading `-` (Debezium garbles them; see [`time`]).
//! - `DATETIME`, `DATETIME_V2`, `TIMESTAMP`, `TIMESTAMP_V2` (`parseDatetime`, :844-856) become
//!   `"YYYY-MM-DD HH:MM:SS[.fraction]"` (`valueDatetime`, :185-191). `valueTimestamp` (epoch
//!   seconds) is never called from `JsonBinary`.
//! - Every other type (`VARCHAR`, `BLOB`, `BIT`, `GEOMETRY`, …) becomes its bytes in standard
//!   base64 with padding, quoted (`valueOpaque`, :211-215: `Base64.getEncoder()`).
//!
//! The fraction is the microseconds, written only when they are not zero: six digits with the
//! trailing zeros dropped (`appendSixDigitUnsignedInt(micros, true)`, :289-313), so `.5` and
//! `.000001`. mysql_common decodes the packed values (`binlog::time::MysqlTime`,
//! `binlog::decimal::Decimal`). For every value MySQL can write, its fields are the ones
//! `JsonBinary` computes.
//!
//! Beyond Debezium: the type codes that the Java `ColumnType` enum lacks (`TYPED_ARRAY` 20,
//! `VECTOR` 242, `UNKNOWN` 243) make `parseOpaque` throw, so Debezium fails the event. Here they
//! follow the base64 rule like every other non-temporal type.
//!
//! Documents without opaque values convert exactly as mysql_common's `TryFrom` does: the same
//! values, the same errors, and object members in key order (`serde_json::Map` is a `BTreeMap`
//! here, because `preserve_order` is off). Debezium writes members in binary order. That
//! deviation is older than this module and is documented in the crate docs.
//!
//! # Decimals
//! A `serde_json::Number` is a u64, an i64 or an f64 unless serde_json's `arbitrary_precision`
//! feature is on, and that feature is off in this workspace. The decimal's plain text goes
//! through serde_json's own number parser (`Number::from_str`). With the feature off, integers in
//! the i64/u64 range stay exact (`42`), and everything else becomes an f64: `1.50` → `1.5`,
//! `9.00` → `9.0`, `0.000001` → `1e-6`, `99999999999999999999` → `1e+20`, and digits beyond f64
//! precision are lost. It is still a JSON number, of the same value up to f64 precision, where
//! Debezium writes `1.50`. With the feature on, the parser keeps the text verbatim, and the output
//! is Debezium's byte for byte with no change here. But the feature changes number handling for
//! every crate in the build, so turning it on is a decision for the workspace, not for this
//! module.

use std::io;
use std::str::{FromStr, from_utf8};

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use mysql_common::binlog::decimal::Decimal;
use mysql_common::binlog::jsonb::{
    Array, ComplexValue, JsonbToJsonError, Object, OpaqueValue, StorageFormat, Value as Jsonb,
};
use mysql_common::binlog::time::MysqlTime;
use mysql_common::constants::ColumnType;
use serde_json::{Map, Number, Value};

/// Converts a binary JSON value, opaque scalars included, to the `serde_json` value whose
/// compact rendering is the text Debezium writes (see the module docs for the limits).
///
/// # Errors
/// The errors of mysql_common's `TryFrom<jsonb::Value>` for a malformed document or invalid
/// UTF-8, and [`JsonbToJsonError::InvalidJsonb`] for an opaque value too short for its type.
pub(crate) fn to_json(value: Jsonb<'_>) -> Result<Value, JsonbToJsonError> {
    Ok(match value {
        Jsonb::Null => Value::Null,
        Jsonb::Bool(b) => Value::Bool(b),
        Jsonb::I16(x) => x.into(),
        Jsonb::U16(x) => x.into(),
        Jsonb::I32(x) => x.into(),
        Jsonb::U32(x) => x.into(),
        Jsonb::I64(x) => x.into(),
        Jsonb::U64(x) => x.into(),
        // A non-finite double becomes null, as mysql_common's conversion does (`From<f64>`).
        // A MySQL document cannot hold one anyway.
        Jsonb::F64(x) => x.into(),
        Jsonb::String(s) => from_utf8(s.str_raw())?.into(),
        Jsonb::SmallArray(a) => array(a)?,
        Jsonb::LargeArray(a) => array(a)?,
        Jsonb::SmallObject(o) => object(o)?,
        Jsonb::LargeObject(o) => object(o)?,
        Jsonb::Opaque(o) => opaque(o)?,
    })
}

/// The text of a converted document as `JsonStringFormatter` writes it: compact, strings and
/// member names escaped as Jackson escapes them (`\u001B`, upper-case), numbers as serde_json
/// writes them (the same text as Debezium's except as the crate docs say).
pub(crate) fn to_text(value: &Value) -> String {
    let mut out = String::new();
    write_text(&mut out, value);
    out
}

fn write_text(out: &mut String, value: &Value) {
    let quoted = |out: &mut String, s: &str| {
        out.push('"');
        out.push_str(&connect_api::java::json_escape(s));
        out.push('"');
    };
    match value {
        Value::String(s) => quoted(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_text(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (name, member)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                quoted(out, name);
                out.push(':');
                write_text(out, member);
            }
            out.push('}');
        }
        // Null, booleans and numbers: serde_json's compact text.
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn array<T: StorageFormat>(a: ComplexValue<'_, T, Array>) -> Result<Value, JsonbToJsonError> {
    a.iter()
        .map(|element| to_json(element?))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

fn object<T: StorageFormat>(o: ComplexValue<'_, T, Object>) -> Result<Value, JsonbToJsonError> {
    o.iter()
        .map(|member| {
            let (key, value) = member?;
            Ok((from_utf8(key.value_raw())?.to_owned(), to_json(value)?))
        })
        .collect::<Result<Map<_, _>, _>>()
        .map(Value::Object)
}

/// `JsonBinary.parseOpaque` (JsonBinary.java:695-740).
fn opaque(o: OpaqueValue<'_>) -> Result<Value, JsonbToJsonError> {
    let ty = o.value_type();
    let data = o.data_raw();
    Ok(match ty {
        ColumnType::MYSQL_TYPE_DECIMAL | ColumnType::MYSQL_TYPE_NEWDECIMAL => {
            Value::Number(decimal(data)?)
        }
        ColumnType::MYSQL_TYPE_DATE => {
            Value::String(date(&MysqlTime::from_int64_date_packed(packed(ty, data)?)))
        }
        ColumnType::MYSQL_TYPE_TIME | ColumnType::MYSQL_TYPE_TIME2 => {
            Value::String(time(packed(ty, data)?))
        }
        ColumnType::MYSQL_TYPE_DATETIME
        | ColumnType::MYSQL_TYPE_DATETIME2
        | ColumnType::MYSQL_TYPE_TIMESTAMP
        | ColumnType::MYSQL_TYPE_TIMESTAMP2 => {
            let t = MysqlTime::from_int64_datetime_packed(packed(ty, data)?);
            Value::String(format!("{} {}", date(&t), clock_of(&t)))
        }
        _ => Value::String(BASE64_STANDARD.encode(data)),
    })
}

/// The packed temporal value (`TIME_to_longlong_packed`) that MySQL stores for a DATE, TIME,
/// DATETIME or TIMESTAMP: a little-endian i64 (`int8store`). `JsonBinary.readInt64` reads it the
/// same way and ignores any trailing bytes.
fn packed(ty: ColumnType, data: &[u8]) -> io::Result<i64> {
    data.first_chunk::<8>()
        .map(|bytes| i64::from_le_bytes(*bytes))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not enough data to decode {ty:?}"),
            )
        })
}

/// A packed DECIMAL (precision, scale, `decimal2bin`) as a JSON number: see "Decimals" in the
/// module docs.
fn decimal(data: &[u8]) -> Result<Number, JsonbToJsonError> {
    let text = plain_decimal(data)?;
    Number::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e).into())
}

/// A packed DECIMAL as `BigDecimal.toPlainString()` writes what `asBigDecimal` decodes
/// (`parseDecimal`, JsonBinary.java:866-875): Debezium's text.
fn plain_decimal(data: &[u8]) -> io::Result<String> {
    // Without keep_precision the all-zero leading digit groups are dropped. BigDecimal has no
    // leading zeros either, and with them `Display` would print a `0` for each group.
    let text = Decimal::read_packed(data, false)?.to_string();
    // `decimal2bin` can encode a negative zero. `asBigDecimal` negates a zero magnitude, and
    // BigDecimal has no negative zero, so Debezium writes `0.00`. mysql_common keeps the sign.
    Ok(if text.bytes().any(|b| matches!(b, b'1'..=b'9')) {
        text
    } else {
        text.trim_start_matches('-').to_owned()
    })
}

/// `valueDate` / `appendDate` (JsonStringFormatter.java:177-181, :315-325). The year is never
/// negative here, so `appendDate`'s sign branch never applies.
fn date(t: &MysqlTime) -> String {
    format!(
        "{}-{}-{}",
        four_digits(t.year.into()),
        two_digits(t.month.into()),
        two_digits(t.day.into())
    )
}

/// The time of day of a decoded DATETIME, as `appendTime` writes it.
fn clock_of(t: &MysqlTime) -> String {
    clock(
        t.hour.into(),
        t.minute.into(),
        t.second.into(),
        t.second_part.into(),
    )
}

/// A packed TIME, as `valueTime` (JsonStringFormatter.java:194-202) writes it.
///
/// Negative times deliberately differ from Debezium: its `parseTime` (JsonBinary.java:804-816)
/// does not undo MySQL's negation of the packed magnitude, so `-01:30:00` comes out as
/// `"02:0-30:00"` and `-12:00:00` as `"12:00:00"` (checked on the JVM). No consumer can use that
/// text; we write the value with a leading `-`, as `valueTime`'s own `hour < 0` branch would.
fn time(packed: i64) -> String {
    // mysql_common decodes the magnitude of a negative packed time correctly.
    let t = MysqlTime::from_int64_time_packed(packed);
    let hms = clock_of(&t);
    if packed < 0 { format!("-{hms}") } else { hms }
}

/// `appendTime` (JsonStringFormatter.java:327-337).
fn clock(hour: i64, minute: i64, second: i64, micros: i64) -> String {
    let hms = format!(
        "{}:{}:{}",
        two_digits(hour),
        two_digits(minute),
        two_digits(second)
    );
    if micros == 0 {
        hms
    } else {
        format!("{hms}.{}", fraction(micros))
    }
}

/// `appendTwoDigitUnsignedInt` (JsonStringFormatter.java:267-275). Its asserts are off in
/// production, so a value of 100 or more is written whole, and a negative one gets a `0` in
/// front (`0-5`).
fn two_digits(v: i64) -> String {
    if v < 10 {
        format!("0{v}")
    } else {
        v.to_string()
    }
}

/// `appendFourDigitUnsignedInt` (JsonStringFormatter.java:277-287).
fn four_digits(v: i64) -> String {
    match v {
        ..10 => format!("000{v}"),
        10..100 => format!("00{v}"),
        100..1000 => format!("0{v}"),
        _ => v.to_string(),
    }
}

/// `appendSixDigitUnsignedInt(v, true)` (JsonStringFormatter.java:289-313). The zero padding
/// is chosen from the untrimmed value, and then up to six trailing zeros are dropped.
fn fraction(mut v: i64) -> String {
    let pad = match v {
        ..10 => "00000",
        10..100 => "0000",
        100..1000 => "000",
        1000..10000 => "00",
        10000..100000 => "0",
        _ => "",
    };
    for _ in 0..6 {
        if v % 10 == 0 {
            v /= 10;
        }
    }
    format!("{pad}{v}")
}

#[cfg(test)]
mod tests {
    use mysql_common::io::ParseBuf;

    use super::*;

    /// Bytes from hex, for documents written out by hand.
    fn bytes(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    /// A binary JSON document (type byte first, as in a row image), converted and rendered.
    fn render(doc: &str) -> String {
        let doc = bytes(doc);
        let value: Jsonb<'_> = ParseBuf(&doc).parse(()).unwrap();
        to_text(&to_json(value).unwrap())
    }

    /// A scalar opaque document: type code, length, data (hex).
    fn opaque_doc(ty: ColumnType, data: &str) -> String {
        let len = data.len() / 2;
        assert!(len < 128, "one-byte length only");
        format!("0f{:02x}{len:02x}{data}", ty as u8)
    }

    /// serde_json's compact rendering of Debezium's text: Debezium's text itself, except that
    /// a decimal goes through `Number` (see "Decimals" in the module docs).
    fn as_serde_renders(debezium: &str) -> String {
        serde_json::from_str::<Value>(debezium).unwrap().to_string()
    }

    // The expected texts below are what mysql-binlog-connector-java 0.27.2
    // (`JsonBinary.parseAsString`, the call Debezium makes) printed for these same bytes, run
    // on a JVM. The packed values were built with MySQL's formulas
    // (`TIME_to_longlong_{date,time,datetime}_packed`, `decimal2bin`).

    /// Asserts that each (type, packed data, Debezium's text) renders as Debezium's text.
    fn assert_renders(cases: &[(ColumnType, &str, &str)]) {
        for &(ty, data, debezium) in cases {
            assert_eq!(render(&opaque_doc(ty, data)), debezium, "{ty:?} {data}");
        }
    }

    #[test]
    fn dates_are_quoted_yyyy_mm_dd() {
        use ColumnType::MYSQL_TYPE_DATE as DATE;
        assert_renders(&[
            (DATE, "000000000044a519", r#""2020-01-02""#),
            (DATE, "0000000000000000", r#""0000-00-00""#),
            (DATE, "0000000000821000", r#""0005-01-01""#),
        ]);
    }

    #[test]
    fn times_drop_a_zero_fraction_and_trailing_zeros_and_keep_long_hours() {
        use ColumnType::{MYSQL_TYPE_TIME as TIME, MYSQL_TYPE_TIME2 as TIME2};
        assert_renders(&[
            (TIME, "000000b8c8000000", r#""12:34:56""#),
            (TIME, "010000fb6e340000", r#""838:59:59.000001""#),
            (TIME, "20a1070000000000", r#""00:00:00.5""#),
            // Java's TIME_V2 code is decoded like TIME.
            (TIME2, "2800008310000000", r#""01:02:03.00004""#),
        ]);
    }

    #[test]
    fn negative_times_keep_their_sign_unlike_debeziums_garbled_text() {
        use ColumnType::MYSQL_TYPE_TIME as TIME;
        assert_renders(&[
            // Debezium writes these "02:0-30:00", "02:0-31:0-1.00000-5", "01:0-1:0-2.00000-25"
            // and "12:00:00".
            (TIME, "00000080e8ffffff", r#""-01:30:00""#),
            (TIME, "e05ef87fe8ffffff", r#""-01:30:00.5""#),
            (TIME, "702ffcfeffffffff", r#""-00:00:01.25""#),
            (TIME, "0000000040ffffff", r#""-12:00:00""#),
        ]);
    }

    #[test]
    fn datetimes_and_timestamps_share_one_format() {
        use ColumnType::{
            MYSQL_TYPE_DATETIME as DATETIME, MYSQL_TYPE_DATETIME2 as DATETIME2,
            MYSQL_TYPE_TIMESTAMP as TIMESTAMP, MYSQL_TYPE_TIMESTAMP2 as TIMESTAMP2,
        };
        assert_renders(&[
            (
                DATETIME,
                "08e201053144a519",
                r#""2020-01-02 03:04:05.1234""#,
            ),
            (DATETIME, "0000000000000000", r#""0000-00-00 00:00:00""#),
            (
                DATETIME,
                "010000fb7eff6319",
                r#""1999-12-31 23:59:59.000001""#,
            ),
            (TIMESTAMP, "20a1074a82cea919", r#""2021-06-07 08:09:10.5""#),
            (DATETIME2, "0000004a82cea919", r#""2021-06-07 08:09:10""#),
            (
                TIMESTAMP2,
                "0a00004a82cea919",
                r#""2021-06-07 08:09:10.00001""#,
            ),
        ]);
    }

    #[test]
    fn decimals_are_numbers_with_debeziums_value() {
        use ColumnType::{MYSQL_TYPE_DECIMAL as DECIMAL, MYSQL_TYPE_NEWDECIMAL as NEWDECIMAL};
        // (precision, scale, decimal2bin) → Debezium's text
        let cases = [
            ("0502800132", "1.50"),
            ("05027ffecd", "-1.50"),
            ("0502800000", "0.00"),
            ("05027fffff", "0.00"), // a negative zero
            ("050080002a", "42"),
            ("05007fffd5", "-42"),
            ("0500800000", "0"),
            ("03018005", "0.5"),
            ("0a068000000001", "0.000001"),
            ("14008c149aa4350dfb38d2", "12345678901234567890"),
            ("1400e33b9ac9ff3b9ac9ff", "99999999999999999999"),
            ("0c01810000000005", "1000000000.5"),
            ("0603807b01c8", "123.456"),
            ("0b028000000900", "9.00"),
            (
                "28127ff3eb655bcaf204c72df8a432eaff439eb1",
                "-12345678901234567890.123456789012345678",
            ),
            (
                "411e85f5e0ff3b9ac9ff3b9ac9ff3b9ac9ff3b9ac9ff3b9ac9ff3b9ac9ff03e7",
                "99999999999999999999999999999999999.999999999999999999999999999999",
            ),
        ];
        for (data, debezium) in cases {
            // The decimal's text is Debezium's exactly. Only the Number holding it may lose the
            // trailing zeros and precision.
            assert_eq!(plain_decimal(&bytes(data)).unwrap(), debezium);
            let ours = render(&opaque_doc(NEWDECIMAL, data));
            assert_eq!(ours, as_serde_renders(debezium), "{debezium}");
            let ours: Value = serde_json::from_str(&ours).unwrap();
            assert!(ours.is_number(), "{debezium}: {ours}");
        }
        // Java's old DECIMAL code is decoded like NEWDECIMAL.
        assert_eq!(
            render(&opaque_doc(DECIMAL, "0502800132")),
            as_serde_renders("1.50")
        );
    }

    #[test]
    fn integral_and_short_decimals_render_byte_identical_to_debezium() {
        use ColumnType::MYSQL_TYPE_NEWDECIMAL as NEWDECIMAL;
        // What a Number holds exactly whatever serde_json's features: integers in u64/i64 range,
        // and fractions without trailing zeros that f64's shortest form writes in plain notation.
        for (data, debezium) in [
            ("050080002a", "42"),
            ("05007fffd5", "-42"),
            ("0500800000", "0"),
            ("14008c149aa4350dfb38d2", "12345678901234567890"),
            ("03018005", "0.5"),
            ("0603807b01c8", "123.456"),
            ("0c01810000000005", "1000000000.5"),
        ] {
            assert_eq!(render(&opaque_doc(NEWDECIMAL, data)), debezium);
        }
    }

    #[test]
    fn other_opaque_types_are_quoted_standard_base64() {
        use ColumnType::*;
        let cases = [
            (MYSQL_TYPE_VARCHAR, "55", r#""VQ==""#),
            (MYSQL_TYPE_BLOB, "cafe", r#""yv4=""#),
            (MYSQL_TYPE_BLOB, "", r#""""#),
            (
                MYSQL_TYPE_GEOMETRY,
                "000000000101000000000000000000f03f0000000000000040",
                r#""AAAAAAEBAAAAAAAAAAAA8D8AAAAAAAAAQA==""#,
            ),
            (MYSQL_TYPE_BIT, "05", r#""BQ==""#),
            (MYSQL_TYPE_YEAR, "e407", r#""5Ac=""#),
            // Debezium fails on the codes its ColumnType enum lacks; these follow the same rule.
            (MYSQL_TYPE_VECTOR, "0000803f", r#""AACAPw==""#),
            (MYSQL_TYPE_TYPED_ARRAY, "00", r#""AA==""#),
        ];
        assert_renders(&cases);
    }

    #[test]
    fn opaque_values_inside_objects_and_arrays_convert_in_place() {
        // {"a": DATE 2020-01-02, "b": DECIMAL(5,2) 1.50, "c": [TIME 12:34:56, null, BLOB cafe]}
        // (keys in binary order, so that Debezium's member order is ours).
        let doc = "0003004800190001001a0001001b0001000f1c000f2600022d006162630a0800000000\
                   0044a519f605050280013203001b000f0d000400000f17000b08000000b8c8000000fc02cafe";
        assert_eq!(
            render(doc),
            as_serde_renders(r#"{"a":"2020-01-02","b":1.50,"c":["12:34:56",null,"yv4="]}"#)
        );
    }

    #[test]
    fn control_characters_in_strings_escape_with_upper_case_hex_like_json_binary() {
        // "\u{1b}A\t" and {"\u{1}": "\"/"}.
        assert_eq!(render("0c031b4109"), r#""\u001BA\t""#);
        assert_eq!(
            render("0001000f000b0001000c0c000102222f"),
            r#"{"\u0001":"\"/"}"#
        );
    }

    #[test]
    fn documents_without_opaque_values_convert_as_mysql_common_does() {
        // {"b": i64::MIN, "a": u64::MAX, "c": -100000, "d": [-7, 4000000000, true,
        // "tab\there \"q\" \\ é"] (a large array), "e": {"x": null, "y": 0.1, "z": 1e300},
        // "f": false, "g": 65535, "h": ""}, then scalars.
        let docs = [
            "000800b3003c0001003d0001003e0001003f000100400001004100010042000100430001000944000a\
             4c0007540003580000860004020006ffff0cb20062616364656667680000000000000080ffffffff\
             ffffffff6079feff040000002e00000005f9ff00000800286bee04010000000c1c00000011746162\
             096865726520227122205c20c3a903002c00190001001a0001001b0001000400000b1c000b240078\
             797a9a9999999999b93f9c7500883ce4377e00",
            "0c026869",
            "0b00000000000004c0",
            "0401",
        ];
        for doc in docs {
            let raw = bytes(doc);
            let value: Jsonb<'_> = ParseBuf(&raw).parse(()).unwrap();
            let expected = Value::try_from(value.clone()).unwrap();
            let ours = to_json(value).unwrap();
            assert_eq!(ours, expected);
            assert_eq!(ours.to_string(), expected.to_string());
        }
        assert_eq!(
            render("0b00000000000004c0"),
            "-2.5",
            "a plain double keeps serde_json's rendering"
        );
    }

    #[test]
    fn malformed_values_are_errors_not_panics() {
        use ColumnType::{MYSQL_TYPE_DATE as DATE, MYSQL_TYPE_NEWDECIMAL as NEWDECIMAL};
        let error = |doc: &str| {
            let raw = bytes(doc);
            let value: Jsonb<'_> = ParseBuf(&raw).parse(()).unwrap();
            to_json(value).unwrap_err().to_string()
        };
        // Invalid UTF-8 keeps mysql_common's message.
        let msg = error("0c02c328");
        assert!(msg.contains("invalid UTF-8"), "{msg}");
        // A DATE shorter than its 8 packed bytes, a DECIMAL(5,2) missing two of its 3 bytes.
        let msg = error(&opaque_doc(DATE, "00000000"));
        assert!(
            msg.contains("not enough data to decode MYSQL_TYPE_DATE"),
            "{msg}"
        );
        let msg = error(&opaque_doc(NEWDECIMAL, "050280"));
        assert!(msg.contains("JSONB value is invalid"), "{msg}");
    }
}
