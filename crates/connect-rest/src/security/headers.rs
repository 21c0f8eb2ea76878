//! `response.http.headers.config`: Jetty's `HeaderFilter` rules (`set Name: value`,
//! `add Name: value`, comma-separated, a value with commas in double quotes), checked with
//! `RestServerConfig.validateHttpResponseHeaderConfig`'s messages. The headers are set before
//! the API answers, so a header the API sets itself (`Content-Type`) wins, as with Jetty.
//! `setDate`/`addDate` are refused: Sluice does not implement them.

use connect_api::Props;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::RestConfigError;

/// `RestServerConfig.RESPONSE_HTTP_HEADERS_CONFIG`.
pub const RESPONSE_HTTP_HEADERS_CONFIG: &str = "response.http.headers.config";

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderRule {
    /// `add` appends; `set` replaces.
    pub add: bool,
    pub name: HeaderName,
    pub value: HeaderValue,
}

/// Jetty's `StringUtil.csvSplit`: commas separate, double quotes group (and are removed),
/// items are trimmed.
fn csv_split(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn invalid(value: &str, reason: String) -> RestConfigError {
    RestConfigError::Invalid {
        key: RESPONSE_HTTP_HEADERS_CONFIG.to_owned(),
        value: value.to_owned(),
        reason,
    }
}

/// The rules, or none when the setting is blank.
///
/// # Errors
/// Kafka's validation messages, and `setDate`/`addDate`.
pub fn from_worker_props(props: &Props) -> Result<Vec<HeaderRule>, RestConfigError> {
    let Some(text) = props
        .get(RESPONSE_HTTP_HEADERS_CONFIG)
        .filter(|s| !s.trim().is_empty())
    else {
        return Ok(Vec::new());
    };
    let mut rules = Vec::new();
    for config in csv_split(text) {
        let Some((action, header)) = config.trim().split_once(char::is_whitespace) else {
            return Err(invalid(
                text,
                format!(
                    "Invalid format of header config '{config}'. Expected: '[ation] [header name]:[header value]'"
                ),
            ));
        };
        let add = match action.trim() {
            a if a.eq_ignore_ascii_case("set") => false,
            a if a.eq_ignore_ascii_case("add") => true,
            a if a.eq_ignore_ascii_case("setDate") || a.eq_ignore_ascii_case("addDate") => {
                return Err(invalid(
                    text,
                    format!(
                        "the header action '{a}' is not implemented by Sluice (set and add are)"
                    ),
                ));
            }
            a => {
                return Err(invalid(
                    text,
                    format!(
                        "Invalid header config action: '{a}'. Expected one of [set, add, setDate, addDate]"
                    ),
                ));
            }
        };
        let parts: Vec<&str> = header.trim().split(':').collect();
        // Java's `split(":")` drops trailing empty strings: `X-A:` is one token.
        let parts_len = parts
            .iter()
            .rposition(|p| !p.is_empty())
            .map_or(0, |i| i + 1);
        if parts_len != 2 {
            return Err(invalid(
                text,
                format!(
                    "Invalid format of header name and header value pair '{header}'. Expected: '[header name]:[header value]'"
                ),
            ));
        }
        let name = parts[0].trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(invalid(
                text,
                format!(
                    "Invalid header name '{name}'. The '[header name]' cannot contain whitespace"
                ),
            ));
        }
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| invalid(text, format!("Invalid header name '{name}': {e}")))?;
        let value = HeaderValue::from_str(parts[1].trim())
            .map_err(|e| invalid(text, format!("Invalid header value for '{name}': {e}")))?;
        rules.push(HeaderRule { add, name, value });
    }
    Ok(rules)
}

/// The answer's headers after the rules, applied before the API set its own.
pub(crate) fn apply(rules: &[HeaderRule], answer: &mut HeaderMap) {
    let mut before = HeaderMap::new();
    for r in rules {
        if r.add {
            before.append(r.name.clone(), r.value.clone());
        } else {
            before.insert(r.name.clone(), r.value.clone());
        }
    }
    for name in before.keys() {
        if answer.contains_key(name) {
            continue;
        }
        for v in before.get_all(name) {
            answer.append(name.clone(), v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Result<Vec<HeaderRule>, RestConfigError> {
        let mut p = Props::new();
        p.insert(RESPONSE_HTTP_HEADERS_CONFIG.to_owned(), text.to_owned());
        from_worker_props(&p)
    }

    #[test]
    fn set_and_add_rules_are_applied_unless_the_api_set_the_header() {
        let r = rules(r#"set X-Frame-Options: DENY,add Cache-Control: no-cache, add Cache-Control: "no-store, private", set Content-Type: text/html"#)
            .expect("valid");
        let mut answer = HeaderMap::new();
        answer.insert("content-type", HeaderValue::from_static("application/json"));
        apply(&r, &mut answer);
        assert_eq!(answer["x-frame-options"], "DENY");
        let cc: Vec<_> = answer.get_all("cache-control").iter().collect();
        assert_eq!(cc, ["no-cache", "no-store, private"]);
        assert_eq!(answer["content-type"], "application/json");
    }

    #[test]
    fn malformed_rules_are_refused_with_kafkas_messages() {
        let err = rules("X-Frame-Options: DENY")
            .expect_err("no action")
            .to_string();
        assert!(
            err.contains("Invalid header config action: 'X-Frame-Options:'"),
            "{err}"
        );
        let err = rules("set X-Frame-Options DENY")
            .expect_err("no colon")
            .to_string();
        assert!(
            err.contains("Invalid format of header name and header value pair"),
            "{err}"
        );
        let err = rules("setDate Expires: 3600")
            .expect_err("date")
            .to_string();
        assert!(err.contains("setDate"), "{err}");
    }
}
