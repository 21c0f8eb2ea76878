use std::collections::HashMap;

use super::{
    ConfigDef, ConfigReport, ConfigType, ConfigValue, ConfigValueInfo, DefaultValue, Password,
};
use crate::Props;

/// Values that passed [`ConfigDef::parse`], with typed getters.
///
/// Getters read only keys the definition declares: asking for an undeclared key is a bug in the
/// plugin (the definition is the single source of truth), caught by a debug assertion.
#[derive(Debug, Clone, Default)]
pub struct ParsedConfig {
    values: HashMap<String, ConfigValue>,
    originals: Props,
}

/// The result of [`ConfigDef::parse`]: the typed values and the per-key report.
#[derive(Debug, Clone)]
pub struct ParseOutcome {
    pub parsed: ParsedConfig,
    pub report: ConfigReport,
}

impl ConfigDef {
    /// Parses `props` against this definition, collecting every error.
    pub fn parse(&self, props: &Props) -> ParseOutcome {
        let mut values = HashMap::with_capacity(self.keys().len());
        let mut infos = Vec::with_capacity(self.keys().len());
        for key in self.keys() {
            let mut errors = Vec::new();
            let raw = props.get(&key.name).map(String::as_str);
            let value = match (raw, &key.default) {
                (Some(raw), _) => match ConfigValue::parse(key.config_type, raw) {
                    Ok(v) => Some(v),
                    Err(reason) => {
                        errors.push(invalid(&key.name, raw, &reason));
                        None
                    }
                },
                (None, DefaultValue::Required) => {
                    errors.push(format!(
                        "Missing required configuration \"{}\" which has no default value.",
                        key.name
                    ));
                    None
                }
                (None, DefaultValue::Null) => Some(ConfigValue::Null),
                (None, DefaultValue::Value(d)) => match ConfigValue::parse(key.config_type, d) {
                    Ok(v) => Some(v),
                    Err(reason) => {
                        errors.push(invalid(&key.name, d, &reason));
                        None
                    }
                },
            };
            if let (Some(v), Some(validator)) = (&value, &key.validator)
                && !matches!(v, ConfigValue::Null)
                && let Err(reason) = validator.check(v)
            {
                let shown = v.to_config_string().unwrap_or_default();
                errors.push(invalid(&key.name, &shown, &reason));
            }
            let shown = match (&value, raw) {
                (_, Some(_)) if key.config_type == ConfigType::Password => {
                    Some(Password::HIDDEN.to_owned())
                }
                (_, Some(raw)) => Some(raw.to_owned()),
                (Some(v), None) => v.to_config_string(),
                (None, None) => None,
            };
            infos.push(ConfigValueInfo {
                name: key.name.clone(),
                value: shown,
                recommended_values: key.recommended.clone(),
                errors,
                visible: true,
            });
            if let Some(v) = value {
                values.insert(key.name.clone(), v);
            }
        }
        ParseOutcome {
            parsed: ParsedConfig {
                values,
                originals: props.clone(),
            },
            report: ConfigReport { values: infos },
        }
    }
}

/// Kafka's `ConfigException(name, value, message)` text.
pub(crate) fn invalid(key: &str, value: &str, reason: &str) -> String {
    format!("Invalid value {value} for configuration {key}: {reason}")
}

impl ParsedConfig {
    fn get(&self, key: &str) -> &ConfigValue {
        debug_assert!(
            self.values.contains_key(key),
            "config key {key} is not declared or failed"
        );
        self.values.get(key).unwrap_or(&ConfigValue::Null)
    }

    /// The raw value of any key, declared or not (for pass-through prefixes such as
    /// `database.*` or `key.converter.*`).
    pub fn original(&self, key: &str) -> Option<&str> {
        self.originals.get(key).map(String::as_str)
    }

    /// Every raw property.
    pub fn originals(&self) -> &Props {
        &self.originals
    }

    /// Raw properties under `prefix`, with the prefix stripped.
    pub fn originals_with_prefix(&self, prefix: &str) -> Props {
        self.originals
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_owned(), v.clone())))
            .collect()
    }

    /// The parsed value of `key`.
    pub fn value(&self, key: &str) -> &ConfigValue {
        self.get(key)
    }

    /// A STRING or CLASS key; `None` when null.
    pub fn opt_string(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            ConfigValue::String(s) | ConfigValue::Class(s) => Some(s),
            _ => None,
        }
    }

    /// A STRING or CLASS key; empty when null.
    pub fn string(&self, key: &str) -> &str {
        self.opt_string(key).unwrap_or("")
    }

    pub fn int(&self, key: &str) -> i32 {
        match *self.get(key) {
            ConfigValue::Int(v) => v,
            ConfigValue::Short(v) => v.into(),
            _ => 0,
        }
    }

    pub fn opt_int(&self, key: &str) -> Option<i32> {
        match *self.get(key) {
            ConfigValue::Int(v) => Some(v),
            _ => None,
        }
    }

    pub fn long(&self, key: &str) -> i64 {
        match *self.get(key) {
            ConfigValue::Long(v) => v,
            ConfigValue::Int(v) => v.into(),
            _ => 0,
        }
    }

    pub fn opt_long(&self, key: &str) -> Option<i64> {
        match *self.get(key) {
            ConfigValue::Long(v) => Some(v),
            ConfigValue::Int(v) => Some(v.into()),
            _ => None,
        }
    }

    pub fn double(&self, key: &str) -> f64 {
        match *self.get(key) {
            ConfigValue::Double(v) => v,
            _ => 0.0,
        }
    }

    pub fn boolean(&self, key: &str) -> bool {
        matches!(self.get(key), ConfigValue::Boolean(true))
    }

    pub fn list(&self, key: &str) -> &[String] {
        match self.get(key) {
            ConfigValue::List(v) => v,
            _ => &[],
        }
    }

    /// A PASSWORD key; `None` when null.
    pub fn password(&self, key: &str) -> Option<&Password> {
        match self.get(key) {
            ConfigValue::Password(p) => Some(p),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigKey, Importance, Validator};

    fn def() -> ConfigDef {
        ConfigDef::builder()
            .define(
                ConfigKey::new("tasks.max", ConfigType::Int, Importance::High, "Tasks.")
                    .default("1")
                    .validator(Validator::at_least(1.0)),
            )
            .define(ConfigKey::new("topic", ConfigType::String, Importance::High, "T.").required())
            .define(
                ConfigKey::new("flag", ConfigType::Boolean, Importance::Low, "F.").default("false"),
            )
            .define(ConfigKey::new(
                "secret",
                ConfigType::Password,
                Importance::Low,
                "S.",
            ))
            .define(ConfigKey::new("list", ConfigType::List, Importance::Low, "L.").default("a, b"))
            .build()
    }

    #[test]
    fn parse_collects_every_field_error_in_kafka_wording() {
        let props: Props = [("tasks.max", "abc"), ("flag", "yes")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        let out = def().parse(&props);
        let errs: Vec<_> = out
            .report
            .field_errors()
            .0
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        assert_eq!(
            errs,
            [
                "Invalid value abc for configuration tasks.max: Not a number of type INT",
                "Missing required configuration \"topic\" which has no default value.",
                "Invalid value yes for configuration flag: Expected value to be either true or false",
            ]
        );
        assert_eq!(out.report.error_count(), 3);
    }

    #[test]
    fn range_validator_reports_the_bound() {
        let props: Props = [("tasks.max", "0"), ("topic", "t")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        let out = def().parse(&props);
        assert_eq!(
            out.report.field_errors().0,
            [(
                "tasks.max".to_owned(),
                "Invalid value 0 for configuration tasks.max: Value must be at least 1".to_owned()
            )]
        );
    }

    #[test]
    fn defaults_apply_and_passwords_stay_hidden_in_the_report() {
        let props: Props = [("topic", "t"), ("secret", "s3cr3t")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        let out = def().parse(&props);
        assert_eq!(out.parsed.int("tasks.max"), 1);
        assert_eq!(out.parsed.list("list"), ["a", "b"]);
        assert!(!out.parsed.boolean("flag"));
        assert_eq!(out.parsed.password("secret").unwrap().expose(), "s3cr3t");
        let shown = out
            .report
            .values
            .iter()
            .find(|v| v.name == "secret")
            .unwrap();
        assert_eq!(shown.value.as_deref(), Some("[hidden]"));
        assert_eq!(
            format!("{:?}", out.parsed.password("secret").unwrap()),
            "[hidden]"
        );
    }
}
