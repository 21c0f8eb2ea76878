//! `org.apache.kafka.connect.transforms.predicates.TopicNameMatches`: true when the whole topic
//! name matches a Java regular expression.

use std::sync::LazyLock;

use connect_api::config::{
    ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, ParsedConfig, Validator,
};
use connect_api::{ConnectError, ConnectRecord, Predicate, PredicatePlugin};

use super::support::{JavaPattern, PredPlugin};
use super::util::invalid_value;

const PATTERN: &str = "pattern";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                PATTERN,
                ConfigType::String,
                Importance::Medium,
                "A Java regular expression for matching against the name of a record's topic.",
            )
            .required()
            // `CompositeValidator.of(new NonEmptyString(), new RegexValidator())`: first failure wins.
            .validator(Validator::custom(|v| {
                Validator::NonEmptyString.check(v)?;
                match v {
                    ConfigValue::String(s) => JavaPattern::compile(s)
                        .map(|_| ())
                        .map_err(|e| format!("Invalid regex: {e}")),
                    _ => Ok(()),
                }
            })),
        )
        .build()
});

/// The `TopicNameMatches` plugin.
pub(crate) fn plugin() -> Box<dyn PredicatePlugin> {
    PredPlugin::boxed(
        "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        &CONFIG_DEF,
        make,
    )
}

fn make(config: &ParsedConfig) -> Result<Box<dyn Predicate>, ConnectError> {
    let value = config.string(PATTERN);
    let pattern = JavaPattern::compile(value).map_err(|e| {
        invalid_value(
            PATTERN,
            value,
            &format!("entry must be a Java-compatible regular expression: {e}"),
        )
    })?;
    Ok(Box::new(TopicNameMatches { pattern }))
}

#[derive(Debug)]
struct TopicNameMatches {
    pattern: JavaPattern,
}

impl Predicate for TopicNameMatches {
    fn test(&mut self, record: &ConnectRecord) -> Result<bool, ConnectError> {
        Ok(self.pattern.matches(&record.topic))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::SchemaAndValue;

    fn record(topic: &str) -> ConnectRecord {
        crate::test_support::source_record(topic, SchemaAndValue::NULL)
    }

    #[test]
    fn the_whole_topic_must_match() {
        let props = [(PATTERN.to_string(), "db\\.(a|ab)".to_string())].into();
        let mut p = plugin().create(&props).unwrap();
        assert!(p.test(&record("db.ab")).unwrap());
        assert!(p.test(&record("db.a")).unwrap());
        assert!(!p.test(&record("xdb.a")).unwrap());
        assert!(!p.test(&record("db.abc")).unwrap());
    }

    #[test]
    fn an_invalid_pattern_is_a_config_error() {
        let props = [(PATTERN.to_string(), "(".to_string())].into();
        let err = plugin().create(&props).unwrap_err();
        assert!(
            err.to_string()
                .contains("Invalid value ( for configuration pattern: Invalid regex"),
            "{err}"
        );
    }
}
