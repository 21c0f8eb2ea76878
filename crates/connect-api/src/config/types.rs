//! Config value types and their text rules, as Kafka's `ConfigDef.parseType` and
//! `ConfigDef.convertToString` apply them.

use std::fmt;

use crate::java;

/// Kafka's `ConfigDef.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
}

impl ConfigType {
    /// The upper-case name used in `ConfigKeyInfo.type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Boolean => "BOOLEAN",
            Self::String => "STRING",
            Self::Int => "INT",
            Self::Short => "SHORT",
            Self::Long => "LONG",
            Self::Double => "DOUBLE",
            Self::List => "LIST",
            Self::Class => "CLASS",
            Self::Password => "PASSWORD",
        }
    }
}

/// A secret. Redacts itself in `Debug` and `Display` (Kafka's `Password`), so that it cannot
/// leak into logs or REST output by accident.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Password(String);

impl Password {
    pub const HIDDEN: &'static str = "[hidden]";

    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the one place that must send it (a login).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::HIDDEN)
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::HIDDEN)
    }
}

/// A parsed configuration value.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    /// A key with a `null` default and no value given.
    Null,
    Boolean(bool),
    String(String),
    Int(i32),
    Short(i16),
    Long(i64),
    Double(f64),
    List(Vec<String>),
    Class(String),
    Password(Password),
}

impl ConfigValue {
    /// Renders as Kafka's `ConfigDef.convertToString` does (lists joined by `,`, passwords hidden).
    pub fn to_config_string(&self) -> Option<String> {
        Some(match self {
            Self::Null => return None,
            Self::Boolean(b) => b.to_string(),
            Self::String(s) | Self::Class(s) => s.clone(),
            Self::Int(v) => v.to_string(),
            Self::Short(v) => v.to_string(),
            Self::Long(v) => v.to_string(),
            Self::Double(v) => java::double_to_string(*v),
            Self::List(items) => items.join(","),
            Self::Password(_) => Password::HIDDEN.to_owned(),
        })
    }

    /// Parses `raw` as `ty`; the error is Kafka's reason text.
    pub(crate) fn parse(ty: ConfigType, raw: &str) -> Result<Self, String> {
        // `String.trim()`: only characters up to U+0020, never U+0085 or U+00A0.
        let trimmed = java::trim(raw);
        let not_a_number = || format!("Not a number of type {}", ty.as_str());
        Ok(match ty {
            ConfigType::Boolean => match trimmed.to_ascii_lowercase().as_str() {
                "true" => Self::Boolean(true),
                "false" => Self::Boolean(false),
                _ => return Err("Expected value to be either true or false".to_owned()),
            },
            ConfigType::String => Self::String(trimmed.to_owned()),
            ConfigType::Password => Self::Password(Password::new(raw)),
            ConfigType::Class => Self::Class(trimmed.to_owned()),
            ConfigType::Int => Self::Int(trimmed.parse().map_err(|_| not_a_number())?),
            ConfigType::Short => Self::Short(trimmed.parse().map_err(|_| not_a_number())?),
            ConfigType::Long => Self::Long(trimmed.parse().map_err(|_| not_a_number())?),
            ConfigType::Double => Self::Double(trimmed.parse().map_err(|_| not_a_number())?),
            ConfigType::List => Self::List(if trimmed.is_empty() {
                Vec::new()
            } else {
                // `COMMA_WITH_WHITESPACE.split(trimmed, -1)`: Java's `\\s*,\\s*`, whose `\\s`
                // is ASCII whitespace only.
                trimmed
                    .split(',')
                    .map(|s| s.trim_matches(is_java_regex_space).to_owned())
                    .collect()
            }),
        })
    }
}

/// Java regex's `\\s`: `[ \\t\\n\\x0B\\f\\r]`.
fn is_java_regex_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_trimmed_as_java_trims_them() {
        // U+0085 (NEL) and U+00A0 are whitespace to Rust but not to `String.trim()`.
        let parsed = ConfigValue::parse(ConfigType::String, " c1\u{85}").unwrap();
        assert!(matches!(parsed, ConfigValue::String(ref s) if s == "c1\u{85}"));
        let parsed = ConfigValue::parse(ConfigType::String, "\u{a0}c1\u{1f}\t").unwrap();
        assert!(matches!(parsed, ConfigValue::String(ref s) if s == "\u{a0}c1"));
    }

    #[test]
    fn a_connector_name_ending_in_nel_keeps_it() {
        use crate::config::{ConfigDef, ConfigKey, Importance};
        let def = ConfigDef::builder()
            .define(ConfigKey::new(
                "name",
                ConfigType::String,
                Importance::High,
                "Name.",
            ))
            .build();
        let props = [("name".to_owned(), "c1\u{85}".to_owned())].into();
        let outcome = def.parse(&props);
        assert_eq!(outcome.parsed.string("name"), "c1\u{85}");
    }

    #[test]
    fn list_items_lose_only_ascii_whitespace_around_commas() {
        let parsed = ConfigValue::parse(ConfigType::List, " a \t, b\u{85} ,c ").unwrap();
        assert!(
            matches!(parsed, ConfigValue::List(ref v) if v == &["a", "b\u{85}", "c"]),
            "{parsed:?}"
        );
    }

    #[test]
    fn doubles_render_as_double_to_string() {
        let text = |v| ConfigValue::Double(v).to_config_string().unwrap();
        assert_eq!(text(1.0), "1.0");
        assert_eq!(text(0.5), "0.5");
        // Java's `Double.toString(1.0E7)`; the former local rule printed `10000000`.
        assert_eq!(text(1e7), "1.0E7");
        assert_eq!(text(1e-4), "1.0E-4");
    }
}
