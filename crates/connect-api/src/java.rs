//! Java's and Jackson's text rules, which Kafka's output inherits through Jackson and `toString`:
//! the one home of each for every crate.
//!
//! Byte-compatibility depends on these: Jackson writes a `double` with `Double.toString` (`1.0`,
//! `1.0E10`), a `BigDecimal` with `BigDecimal.toString` (`12.340`, `1E-7`), and never Rust's forms
//! (`1`, `1e10`). Also here: Jackson's string escaping, `String.trim()`, `String.hashCode()` and
//! `HashMap` iteration order, civil dates, region time zones, and the `.properties` format.

use num_bigint::{BigInt, Sign};

mod floating;
mod properties;
mod zone;

pub use properties::{PropertiesError, parse_properties};
pub use zone::ZoneRules;

/// `Double.toString(v)` as JDK 17 prints it (see [`write_double`]).
pub fn double_to_string(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_double(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

/// `Float.toString(v)` as JDK 17 prints it (see [`write_float`]).
pub fn float_to_string(v: f32) -> String {
    let mut out = Vec::with_capacity(16);
    write_float(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `Double.toString(v)` as JDK 17 prints it: `1.0`, `1.0E7`, `1.0E-4`, `NaN`,
/// `-Infinity`; not always the shortest digits (`1.0E23` prints `9.999999999999999E22`; the
/// `floating` module says why). No allocation for the usual values.
pub fn write_double(out: &mut Vec<u8>, v: f64) {
    let fixed = special(v.is_nan(), v.is_infinite(), v == 0.0, v.is_sign_negative());
    write_floating(out, fixed, v.is_sign_negative(), || {
        floating::double_digits(v)
    });
}

/// Appends `Float.toString(v)` as JDK 17 prints it (`1.1`, `1.70000004E12`).
pub fn write_float(out: &mut Vec<u8>, v: f32) {
    let fixed = special(v.is_nan(), v.is_infinite(), v == 0.0, v.is_sign_negative());
    write_floating(out, fixed, v.is_sign_negative(), || {
        floating::float_digits(v)
    });
}

/// The layout shared by `Double.toString` and `Float.toString`: zeros and the non-finite values
/// have fixed texts, the others their developed digits.
fn write_floating(
    out: &mut Vec<u8>,
    fixed: Option<&'static str>,
    negative: bool,
    digits: impl FnOnce() -> floating::Digits,
) {
    if let Some(text) = fixed {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    if negative {
        out.push(b'-');
    }
    floating::layout(out, &digits());
}

/// Appends a `double` as Jackson's `writeNumber` does: `Double.toString`, except that the
/// non-finite values are quoted (`WRITE_NAN_AS_STRINGS`, on by default).
pub fn write_json_double(out: &mut Vec<u8>, v: f64) {
    quoted_unless(v.is_finite(), out, |out| write_double(out, v));
}

/// Appends a `float` as Jackson's `writeNumber` does (see [`write_json_double`]).
pub fn write_json_float(out: &mut Vec<u8>, v: f32) {
    quoted_unless(v.is_finite(), out, |out| write_float(out, v));
}

/// Runs `write`, between quotes unless `bare`.
fn quoted_unless(bare: bool, out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    if !bare {
        out.push(b'"');
    }
    write(out);
    if !bare {
        out.push(b'"');
    }
}

/// Java's text for zeros and the non-finite values, which have no digits to develop.
fn special(nan: bool, infinite: bool, zero: bool, negative: bool) -> Option<&'static str> {
    if nan || infinite {
        Some(non_finite(nan, negative))
    } else if zero {
        Some(if negative { "-0.0" } else { "0.0" })
    } else {
        None
    }
}

/// Java's names for the non-finite values (`NaN`, `Infinity`, `-Infinity`).
pub fn non_finite(nan: bool, negative: bool) -> &'static str {
    if nan {
        "NaN"
    } else if negative {
        "-Infinity"
    } else {
        "Infinity"
    }
}

/// `BigDecimal.toString()` of `unscaled × 10^-scale`: plain unless the scale is negative or the
/// adjusted exponent is below -6, then scientific (`1E-7`, `1.23E+4`).
pub fn big_decimal_to_string(unscaled: &BigInt, scale: i32) -> String {
    let coeff = unscaled.magnitude().to_string();
    let negative = unscaled.sign() == Sign::Minus;
    let mut out = String::with_capacity(coeff.len() + 8);
    if negative {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(&coeff);
        return out;
    }
    let adjusted = -i64::from(scale) + (coeff.len() as i64 - 1);
    if scale > 0 && adjusted >= -6 {
        let scale = scale as usize;
        if coeff.len() > scale {
            let (i, f) = coeff.split_at(coeff.len() - scale);
            out.push_str(i);
            out.push('.');
            out.push_str(f);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', scale - coeff.len()));
            out.push_str(&coeff);
        }
    } else {
        out.push_str(&coeff[..1]);
        if coeff.len() > 1 {
            out.push('.');
            out.push_str(&coeff[1..]);
        }
        if adjusted != 0 {
            out.push('E');
            if adjusted > 0 {
                out.push('+');
            }
            out.push_str(&adjusted.to_string());
        }
    }
    out
}

/// Parses a JSON/Java decimal literal (`-12.340`, `1.5E+3`) into (unscaled, scale), keeping every
/// digit as `new BigDecimal(text)` does.
pub fn parse_big_decimal(text: &str) -> Option<(BigInt, i32)> {
    let (mantissa, exp) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let body = int_part.strip_prefix(['-', '+']).unwrap_or(int_part);
    if body.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !body.bytes().all(|b| b.is_ascii_digit()) || !frac_part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int_part}{frac_part}");
    let unscaled: BigInt = digits.parse().ok()?;
    let scale = i32::try_from(frac_part.len()).ok()?.checked_sub(exp)?;
    Some((unscaled, scale))
}

/// Rescales (unscaled, from) to `to` without losing digits; `None` when digits would be lost.
pub fn rescale(unscaled: BigInt, from: i32, to: i32) -> Option<BigInt> {
    use std::cmp::Ordering;
    match to.cmp(&from) {
        Ordering::Equal => Some(unscaled),
        Ordering::Greater => {
            let factor = BigInt::from(10u8).pow(u32::try_from(to - from).ok()?);
            Some(unscaled * factor)
        }
        Ordering::Less => {
            let factor = BigInt::from(10u8).pow(u32::try_from(from - to).ok()?);
            let zero = BigInt::from(0u8);
            (&unscaled % &factor == zero).then(|| unscaled / factor)
        }
    }
}

/// Days since the epoch as (year, month, day) in the proleptic Gregorian calendar.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) as days since the epoch.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The content of a JSON string as Jackson's generator escapes it (without the quotes; see
/// [`write_json_string`]). Borrowed when nothing needs escaping.
pub fn json_escape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.bytes().any(|b| NEEDS_ESCAPE[usize::from(b)]) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(s.len() + 8);
    write_json_escaped(&mut out, s);
    // Escapes are ASCII and inserted between whole characters, so the text stays UTF-8.
    std::borrow::Cow::Owned(
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// Appends `s` as a quoted JSON string as Jackson's `JsonGenerator.writeString` escapes it: `"`
/// and `\\` with a backslash, `\\b \\t \\n \\f \\r` short, other controls below U+0020 as
/// `\\u00XX` with upper-case hex; `/`, DEL and everything from U+0080 written raw.
pub fn write_json_string(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    write_json_escaped(out, s);
    out.push(b'"');
}

/// [`write_json_string`] without the quotes. Hot in every JSON writer (the S3 sink's rows, the
/// converters' payloads): runs that need no escape are copied whole, 8 clean bytes per step.
fn write_json_escaped(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
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

/// `String.trim()`: strips characters up to U+0020 from both ends, and nothing else
/// (`str::trim` would also strip U+0085, U+00A0, U+3000, … and so merge names Kafka keeps
/// apart, or hide a control character Kafka refuses).
pub fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= '\u{20}')
}

/// `String.split(regex)` where the regex matches one literal character (`","`, `":"`,
/// `"\\."`): inner and leading empty parts are kept, trailing ones dropped, so `"a,,b,,"` gives
/// `[a, , b]`, `","` gives `[]`, and `""` (nothing to split) gives `[""]`.
pub fn split(text: &str, separator: char) -> Vec<&str> {
    let mut parts: Vec<&str> = text.split(separator).collect();
    if text.is_empty() {
        return parts;
    }
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// `String.hashCode()` (over UTF-16 code units).
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// Orders `items` (each with its Java `hashCode()`, given in insertion order) as a
/// `new HashMap<>()` filled in that order iterates them: by bucket,
/// `(h ^ (h >>> 16)) & (capacity - 1)`, ties in insertion order; the capacity starts at 16 and
/// doubles whenever the size passes three quarters of it. (Bins that Java turns into trees, at
/// 8 or more colliding keys, are not modelled.)
pub fn hash_map_order<T>(items: Vec<(i32, T)>) -> Vec<T> {
    let mut capacity: usize = 16;
    while items.len() > capacity * 3 / 4 {
        capacity *= 2;
    }
    hash_table_order(items, capacity)
}

/// Orders `items` (each with its Java `hashCode()`, in insertion order) as a Java hash table
/// of `capacity` buckets iterates them: by bucket `(h ^ (h >>> 16)) & (capacity - 1)`, ties in
/// insertion order. For tables whose capacity was not grown from 16 one insertion at a time
/// (`new HashSet<>(collection)` presizes), where [`hash_map_order`] does not apply.
pub fn hash_table_order<T>(items: Vec<(i32, T)>, capacity: usize) -> Vec<T> {
    let mask = u32::try_from(capacity.saturating_sub(1)).unwrap_or(u32::MAX);
    let mut keyed: Vec<(u32, usize, T)> = items
        .into_iter()
        .enumerate()
        .map(|(i, (h, v))| {
            let h = h as u32;
            ((h ^ (h >> 16)) & mask, i, v)
        })
        .collect();
    keyed.sort_by_key(|(bucket, i, _)| (*bucket, *i));
    keyed.into_iter().map(|(_, _, v)| v).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_java() {
        assert_eq!(double_to_string(1.0), "1.0");
        assert_eq!(double_to_string(-1.5), "-1.5");
        assert_eq!(double_to_string(0.001), "0.001");
        assert_eq!(double_to_string(0.0001), "1.0E-4");
        assert_eq!(double_to_string(1e7), "1.0E7");
        assert_eq!(double_to_string(9_999_999.0), "9999999.0");
        assert_eq!(double_to_string(1.0e10), "1.0E10");
        assert_eq!(double_to_string(123_456.789), "123456.789");
        assert_eq!(double_to_string(1.2345e-5), "1.2345E-5");
        assert_eq!(double_to_string(-0.0), "-0.0");
        assert_eq!(double_to_string(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(double_to_string(f64::MAX), "1.7976931348623157E308");
        assert_eq!(double_to_string(100.0), "100.0");
    }

    #[test]
    fn floats_print_like_java() {
        assert_eq!(float_to_string(1.1), "1.1");
        assert_eq!(float_to_string(3.4028235e38), "3.4028235E38");
        assert_eq!(float_to_string(0.5), "0.5");
        assert_eq!(float_to_string(12.34), "12.34");
        // JDK 17 prints a whole float's digits down to its precision, not the shortest ones.
        assert_eq!(float_to_string(1.7e12), "1.70000004E12");
        assert_eq!(float_to_string(219_360_192.0), "2.19360192E8");
    }

    #[test]
    fn doubles_keep_jdk_17_s_non_shortest_digits() {
        assert_eq!(double_to_string(1e23), "9.999999999999999E22");
        assert_eq!(double_to_string(2e23), "1.9999999999999998E23");
        assert_eq!(
            double_to_string(-6.286_268_740_299_207e18),
            "-6.2862687402992067E18"
        );
    }

    #[test]
    fn json_numbers_quote_only_the_non_finite_values() {
        let mut out = Vec::new();
        write_json_double(&mut out, f64::NAN);
        out.push(b',');
        write_json_float(&mut out, f32::NEG_INFINITY);
        out.push(b',');
        write_json_double(&mut out, 1e7);
        assert_eq!(out, b"\"NaN\",\"-Infinity\",1.0E7");
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
                    write_json_string(&mut out, &s);
                    assert_eq!(out, reference(&s), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn trim_strips_only_what_java_trims() {
        assert_eq!(trim(" \t\u{0}c1\u{1f}\r\n"), "c1");
        assert_eq!(trim("c1\u{85}"), "c1\u{85}");
        assert_eq!(trim("\u{a0}c1\u{3000}"), "\u{a0}c1\u{3000}");
    }

    #[test]
    fn big_decimals_print_like_java() {
        let s = |u: i64, sc: i32| big_decimal_to_string(&BigInt::from(u), sc);
        assert_eq!(s(12340, 3), "12.340");
        assert_eq!(s(-12340, 3), "-12.340");
        assert_eq!(s(5, 2), "0.05");
        assert_eq!(s(1, 7), "1E-7");
        assert_eq!(s(1, 6), "0.000001");
        assert_eq!(s(123, -2), "1.23E+4");
        assert_eq!(s(0, 2), "0.00");
        assert_eq!(s(42, 0), "42");
    }

    #[test]
    fn big_decimal_literals_keep_their_scale() {
        assert_eq!(parse_big_decimal("12.340"), Some((BigInt::from(12340), 3)));
        assert_eq!(parse_big_decimal("-1.5E+3"), Some((BigInt::from(-15), -2)));
        assert_eq!(parse_big_decimal("abc"), None);
        assert_eq!(rescale(BigInt::from(1234), 2, 3), Some(BigInt::from(12340)));
        assert_eq!(rescale(BigInt::from(12340), 3, 2), Some(BigInt::from(1234)));
        assert_eq!(rescale(BigInt::from(12345), 3, 2), None);
    }

    #[test]
    fn calendar_round_trips() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_000), (2022, 1, 8));
        assert_eq!(days_from_civil(2022, 1, 8), 19_000);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn string_hashes_and_hash_map_order_follow_java() {
        // "hello".hashCode() == 99162322 in Java; "polygenelubricants" overflows to MIN_VALUE.
        assert_eq!(string_hash("hello"), 99_162_322);
        assert_eq!(string_hash("polygenelubricants"), i32::MIN);
        // Debezium's MySQL offset map as the JVM iterates it (reference §7.2's history records).
        let keys = ["server_id", "file", "pos", "event", "ts_sec", "snapshot"];
        let order = hash_map_order(keys.iter().map(|k| (string_hash(k), *k)).collect());
        assert_eq!(
            order,
            ["ts_sec", "file", "pos", "server_id", "event", "snapshot"]
        );
    }

    #[test]
    fn resized_hash_maps_iterate_like_java() {
        // Printed by Java 17's `HashMap` filled with key.0 … key.39 in order (capacity 64).
        let keys: Vec<String> = (0..40).map(|i| format!("key.{i}")).collect();
        let order = hash_map_order(keys.iter().map(|k| (string_hash(k), k.as_str())).collect());
        let java = "key.17, key.39, key.16, key.38, key.19, key.18, key.13, key.35, key.12, key.34, key.15, key.37, key.14, key.36, key.31, key.30, key.11, key.33, key.10, key.32, key.28, key.27, key.29, key.24, key.23, key.26, key.25, key.2, key.20, key.1, key.0, key.22, key.21, key.6, key.5, key.4, key.3, key.9, key.8, key.7";
        assert_eq!(order.join(", "), java);
    }

    #[test]
    fn json_strings_escape_like_jackson() {
        assert_eq!(json_escape("plain é/シ"), "plain é/シ");
        assert!(matches!(
            json_escape("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(json_escape("a\"b\\c"), r#"a\"b\\c"#);
        assert_eq!(json_escape("\n\t\r\u{8}\u{c}"), r#"\n\t\r\b\f"#);
        assert_eq!(
            json_escape("\u{1}\u{1f}\u{7f}\u{2028}"),
            "\\u0001\\u001F\u{7f}\u{2028}"
        );
    }
}
