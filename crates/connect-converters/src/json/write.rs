//! Low-level JSON output with Jackson's exact conventions (compact, raw UTF-8, upper-case
//! `\u00XX` escapes, `/` unescaped, non-finite floats as strings).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use connect_api::java;

/// Escapes for the bytes below 0x80 that need one: 0 = none, b'u' = `\u00XX`, else `\<c>`.
const ESCAPES: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0A] = b'n';
    t[0x0C] = b'f';
    t[0x0D] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Writes `s` as a quoted JSON string.
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x80 {
            continue;
        }
        let esc = ESCAPES[b as usize];
        if esc == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if esc == b'u' {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 0xF) as usize]);
        } else {
            out.push(b'\\');
            out.push(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Writes `"key":`.
pub(crate) fn key(out: &mut Vec<u8>, k: &str) {
    string(out, k);
    out.push(b':');
}

/// Writes a decimal integer (hot on every payload, so no allocation).
pub(crate) fn int(out: &mut Vec<u8>, v: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

pub(crate) fn double(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        out.extend_from_slice(java::double_to_string(v).as_bytes());
    } else {
        // Jackson's WRITE_NAN_AS_STRINGS (on by default) quotes the non-finite values.
        string(out, java::non_finite(v.is_nan(), v.is_sign_negative()));
    }
}

pub(crate) fn float(out: &mut Vec<u8>, v: f32) {
    if v.is_finite() {
        out.extend_from_slice(java::float_to_string(v).as_bytes());
    } else {
        string(out, java::non_finite(v.is_nan(), v.is_sign_negative()));
    }
}

pub(crate) fn boolean(out: &mut Vec<u8>, v: bool) {
    out.extend_from_slice(if v { b"true" } else { b"false" });
}

/// Writes `bytes` as a quoted base64 string (Jackson's MIME-no-linefeeds variant = standard).
pub(crate) fn base64(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + bytes.len().div_ceil(3) * 4, 0);
    let written = STANDARD.encode_slice(bytes, &mut out[start..]).unwrap_or(0);
    out.truncate(start + written);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> String {
        let mut out = Vec::new();
        string(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_escape_like_jackson() {
        assert_eq!(s("a\"b\\c/d"), r#""a\"b\\c/d""#);
        assert_eq!(s("\n\t\r\u{8}\u{c}"), r#""\n\t\r\b\f""#);
        assert_eq!(s("\u{1}\u{1f}"), r#""\u0001\u001F""#);
        assert_eq!(s("Tシャツ é"), "\"Tシャツ é\"");
        assert_eq!(s("\u{7f}\u{2028}"), "\"\u{7f}\u{2028}\"");
    }

    #[test]
    fn ints_print_all_digits() {
        let mut out = Vec::new();
        for v in [0, 7, -7, 1_465_491_411_815_123_456, i64::MIN, i64::MAX] {
            out.clear();
            int(&mut out, v);
            assert_eq!(String::from_utf8(out.clone()).unwrap(), v.to_string());
        }
    }

    #[test]
    fn base64_is_padded_standard_alphabet() {
        let mut out = Vec::new();
        base64(&mut out, &[0xfb, 0xff]);
        assert_eq!(out, b"\"+/8=\"");
        out.clear();
        base64(&mut out, &[]);
        assert_eq!(out, b"\"\"");
    }

    #[test]
    fn non_finite_doubles_are_quoted() {
        let mut out = Vec::new();
        double(&mut out, f64::NAN);
        out.push(b',');
        double(&mut out, f64::NEG_INFINITY);
        out.push(b',');
        float(&mut out, 2.5);
        assert_eq!(out, b"\"NaN\",\"-Infinity\",2.5");
    }
}
