//! `org.apache.kafka.connect.transforms.RegexRouter`: when the whole topic matches `regex`, the
//! topic becomes `Matcher.replaceFirst(replacement)`.

use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use connect_api::{ConnectError, ConnectRecord, Props, Transformation, TransformationPlugin};

use super::support::{JavaPattern, valid_regex};
use super::util::{self, Side, parse_config};

const REGEX: &str = "regex";
const REPLACEMENT: &str = "replacement";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                REGEX,
                ConfigType::String,
                Importance::High,
                "Regular expression to use for matching.",
            )
            .required()
            .validator(valid_regex()),
        )
        .define(
            ConfigKey::new(
                REPLACEMENT,
                ConfigType::String,
                Importance::High,
                "Replacement string.",
            )
            .required(),
        )
        .build()
});

/// The `RegexRouter` plugin.
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!(single "RegexRouter", &CONFIG_DEF, make)
}

fn make(_: Side, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let config = parse_config(&CONFIG_DEF, props)?;
    let regex = JavaPattern::compile(config.string(REGEX))
        .map_err(|e| util::java_exception("PatternSyntaxException", e.to_string()))?;
    Ok(Box::new(RegexRouter {
        regex,
        replacement: config.string(REPLACEMENT).to_owned(),
    }))
}

#[derive(Debug)]
struct RegexRouter {
    regex: JavaPattern,
    replacement: String,
}

impl Transformation for RegexRouter {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if self.regex.matches(&record.topic) {
            record.topic = replace_first(&self.regex.find, &record.topic, &self.replacement)?;
        }
        Ok(Some(record))
    }
}

/// `Matcher.replaceFirst(replacement)`, with Java's replacement syntax: `\x` is a literal `x`,
/// `$n` takes as many digits as still name a group, `${name}` a named group.
pub(crate) fn replace_first(
    re: &regex::Regex,
    text: &str,
    replacement: &str,
) -> Result<String, ConnectError> {
    let Some(caps) = re.captures(text) else {
        return Ok(text.to_owned());
    };
    let whole = caps.get(0).map_or(0..0, |m| m.range());
    let group_count = re.captures_len() - 1;
    let illegal = |m: &str| util::java_exception("IllegalArgumentException", m.to_owned());
    let mut out = String::with_capacity(text.len() + replacement.len());
    out.push_str(&text[..whole.start]);
    let chars: Vec<char> = replacement.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                i += 1;
                let c = chars
                    .get(i)
                    .ok_or_else(|| illegal("character to be escaped is missing"))?;
                out.push(*c);
                i += 1;
            }
            '$' => {
                i += 1;
                let c = *chars
                    .get(i)
                    .ok_or_else(|| illegal("Illegal group reference: group index is missing"))?;
                let group = if c == '{' {
                    i += 1;
                    let start = i;
                    while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                        i += 1;
                    }
                    let name: String = chars[start..i].iter().collect();
                    if name.is_empty() {
                        return Err(illegal("named capturing group has 0 length name"));
                    }
                    if chars.get(i) != Some(&'}') {
                        return Err(illegal("named capturing group is missing trailing '}'"));
                    }
                    if name.starts_with(|c: char| c.is_ascii_digit()) {
                        return Err(illegal(&format!(
                            "capturing group name {{{name}}} starts with digit character"
                        )));
                    }
                    i += 1;
                    re.capture_names()
                        .position(|n| n == Some(name.as_str()))
                        .ok_or_else(|| illegal(&format!("No group with name {{{name}}}")))?
                } else {
                    let mut n = c
                        .to_digit(10)
                        .ok_or_else(|| illegal("Illegal group reference"))?
                        as usize;
                    i += 1;
                    while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                        let next = n * 10 + d as usize;
                        if next > group_count {
                            break;
                        }
                        n = next;
                        i += 1;
                    }
                    if n > group_count {
                        return Err(util::java_exception(
                            "IndexOutOfBoundsException",
                            format!("No group {n}"),
                        ));
                    }
                    n
                };
                if let Some(m) = caps.get(group) {
                    out.push_str(m.as_str());
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out.push_str(&text[whole.end..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::SchemaAndValue;

    fn route(regex: &str, replacement: &str, topic: &str) -> Result<String, ConnectError> {
        let props = [
            (REGEX.to_string(), regex.to_string()),
            (REPLACEMENT.to_string(), replacement.to_string()),
        ]
        .into();
        let mut t = plugins()[0].create(&props)?;
        let record = ConnectRecord {
            kafka_partition: Some(3),
            ..crate::test_support::source_record(topic, SchemaAndValue::NULL)
        };
        Ok(t.apply(record)?.unwrap().topic)
    }

    #[test]
    fn a_matching_topic_is_rewritten_with_group_references() {
        assert_eq!(
            route("(.*)\\.(.*)\\.(.*)", "$3", "srv.db.orders").unwrap(),
            "orders"
        );
        assert_eq!(
            route("(?<db>\\w+)-(\\w+)", "${db}_$2x", "a-b").unwrap(),
            "a_bx"
        );
        assert_eq!(route("(a)", "\\$1-$10", "a").unwrap(), "$1-a0");
    }

    #[test]
    fn a_topic_that_only_partly_matches_is_left_alone() {
        assert_eq!(route("db", "x", "db.t").unwrap(), "db.t");
    }

    #[test]
    fn replace_first_uses_the_leftmost_match_after_a_whole_match() {
        assert_eq!(route("(a|ab)", "X", "ab").unwrap(), "Xb");
    }

    #[test]
    fn a_bad_group_reference_fails_like_java() {
        let err = route("(a)", "$2", "a").unwrap_err();
        assert_eq!(err.to_string(), "No group 2");
        let err = route("(a)", "$x", "a").unwrap_err();
        assert_eq!(err.to_string(), "Illegal group reference");
    }
}
