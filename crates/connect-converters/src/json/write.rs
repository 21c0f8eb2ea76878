//! Low-level JSON output with Jackson's exact conventions (compact, raw UTF-8, upper-case
//! `\u00XX` escapes, `/` unescaped, non-finite floats as strings).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use connect_api::java;

/// Writes `s` as a quoted JSON string, escaped as Jackson does.
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    java::write_json_string(out, s);
}

/// Writes `"key":`.
pub(crate) fn key(out: &mut Vec<u8>, k: &str) {
    string(out, k);
    out.push(b':');
}

/// Writes a decimal integer (hot on every payload: no allocation, two digits per step).
pub(crate) fn int(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

pub(crate) fn double(out: &mut Vec<u8>, v: f64) {
    java::write_json_double(out, v);
}

pub(crate) fn float(out: &mut Vec<u8>, v: f32) {
    java::write_json_float(out, v);
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
}
