//! Java's text forms for numbers, which Kafka's output inherits through Jackson and `toString`.
//!
//! Byte-compatibility depends on these: Jackson writes a `double` with `Double.toString` (`1.0`,
//! `1.0E10`), a `BigDecimal` with `BigDecimal.toString` (`12.340`, `1E-7`), and never Rust's forms
//! (`1`, `1e10`).

use num_bigint::{BigInt, Sign};

/// `Double.toString(v)` for finite values (shortest round-tripping digits, as JDK 19+ prints).
pub fn double_to_string(v: f64) -> String {
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    if !v.is_finite() {
        return non_finite(v.is_nan(), v.is_sign_negative()).into();
    }
    layout(&format!("{v:e}"), v.abs() >= 1e-3 && v.abs() < 1e7)
}

/// `Float.toString(v)` for finite values.
pub fn float_to_string(v: f32) -> String {
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    if !v.is_finite() {
        return non_finite(v.is_nan(), v.is_sign_negative()).into();
    }
    layout(&format!("{v:e}"), v.abs() >= 1e-3 && v.abs() < 1e7)
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

/// Lays out Rust's shortest `{:e}` form (`-1.2345e-5`) the way Java does.
fn layout(sci: &str, plain: bool) -> String {
    let (negative, sci) = match sci.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sci),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    if plain {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        out.push('E');
        out.push_str(&exp.to_string());
    }
    out
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

/// The content of a JSON string as Jackson's generator escapes it (without the quotes): `"` and
/// `\\` with a backslash, `\b \t \n \f \r` short, other controls below U+0020 as `\u00XX`
/// with upper-case hex; `/`, DEL and everything from U+0080 written raw. Borrowed when nothing
/// needs escaping.
pub fn json_escape(s: &str) -> std::borrow::Cow<'_, str> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let needs = |c: char| c < ' ' || c == '"' || c == '\\';
    if !s.contains(needs) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xF)]));
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
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
    let mut capacity: u64 = 16;
    while items.len() as u64 > capacity * 3 / 4 {
        capacity *= 2;
    }
    let mask = u32::try_from(capacity - 1).unwrap_or(u32::MAX);
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
