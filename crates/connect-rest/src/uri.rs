//! URI helpers with JAX-RS semantics: query parameters, Java booleans, percent-coding.

/// Percent-decodes `s`; `+` becomes a space when `plus_is_space` (query strings). Malformed
/// escapes are kept literally; invalid UTF-8 is replaced.
pub(crate) fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded query parameters, in order, repeated keys kept (`?expand=a&expand=b`).
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    let Some(q) = query else { return Vec::new() };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k, true), percent_decode(v, true)),
            None => (percent_decode(p, true), String::new()),
        })
        .collect()
}

/// The first value of `name` (JAX-RS `@QueryParam`).
pub(crate) fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `Boolean.valueOf`: `true` in any case is true, anything else false.
pub(crate) fn java_bool(v: &str) -> bool {
    v.eq_ignore_ascii_case("true")
}

/// A `Boolean` query parameter with `@DefaultValue`: absent means the default.
pub(crate) fn bool_param(pairs: &[(String, String)], name: &str, default: bool) -> bool {
    first(pairs, name).map_or(default, java_bool)
}

/// A primitive `boolean` query parameter with `@DefaultValue`: absent or blank means the
/// default (Jersey's `PrimitiveValueOfExtractor`).
pub(crate) fn primitive_bool_param(pairs: &[(String, String)], name: &str, default: bool) -> bool {
    match first(pairs, name) {
        Some(v) if !v.trim().is_empty() => java_bool(v),
        _ => default,
    }
}

/// Encodes a connector name for a `Location` path the way `UriBuilder.path(name)` does:
/// unreserved characters, sub-delimiters, `:`, `@`, `/` and existing `%XX` escapes are kept,
/// everything else is percent-encoded as UTF-8.
pub(crate) fn encode_path(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
            );
        let escape = b == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if keep || escape {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_queries_like_jersey() {
        let q = query_pairs(Some("expand=status&expand=info&x=a+b%2Fc&flag&e=%zz"));
        assert_eq!(
            q,
            vec![
                ("expand".into(), "status".into()),
                ("expand".into(), "info".into()),
                ("x".into(), "a b/c".into()),
                ("flag".into(), String::new()),
                ("e".into(), "%zz".into()),
            ]
        );
        assert_eq!(percent_decode("a%20b+c", false), "a b+c");
        assert_eq!(percent_decode("%C3%BC%", false), "ü%");
    }

    #[test]
    fn booleans_are_java_booleans() {
        assert!(java_bool("TRUE"));
        assert!(java_bool("True"));
        assert!(!java_bool("False"));
        assert!(!java_bool("yes"));
        assert!(!java_bool(""));
        let q = query_pairs(Some("connectorsOnly="));
        assert!(primitive_bool_param(&q, "connectorsOnly", true));
        assert!(!bool_param(&q, "connectorsOnly", true));
    }

    #[test]
    fn encodes_names_like_uribuilder() {
        assert_eq!(encode_path("my connector"), "my%20connector");
        assert_eq!(encode_path("a/b"), "a/b");
        assert_eq!(encode_path("ünï"), "%C3%BCn%C3%AF");
        assert_eq!(encode_path("a%20b"), "a%20b");
        assert_eq!(encode_path("100%"), "100%25");
        assert_eq!(encode_path("x?y#z"), "x%3Fy%23z");
    }
}
