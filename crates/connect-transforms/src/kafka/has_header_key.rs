//! `org.apache.kafka.connect.transforms.predicates.HasHeaderKey`: true when the record has at
//! least one header with the configured name.

use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, ParsedConfig, Validator};
use connect_api::{ConnectError, ConnectRecord, Predicate, PredicatePlugin};

use super::support::PredPlugin;

const NAME: &str = "name";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                NAME,
                ConfigType::String,
                Importance::Medium,
                "The header name.",
            )
            .required()
            .validator(Validator::NonEmptyString),
        )
        .build()
});

/// The `HasHeaderKey` plugin.
pub(crate) fn plugin() -> Box<dyn PredicatePlugin> {
    PredPlugin::boxed(
        "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
        &CONFIG_DEF,
        make,
    )
}

fn make(config: &ParsedConfig) -> Result<Box<dyn Predicate>, ConnectError> {
    Ok(Box::new(HasHeaderKey {
        name: config.string(NAME).to_owned(),
    }))
}

#[derive(Debug)]
struct HasHeaderKey {
    name: String,
}

impl Predicate for HasHeaderKey {
    fn test(&mut self, record: &ConnectRecord) -> Result<bool, ConnectError> {
        Ok(record.headers.iter().any(|h| h.key == self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::{Header, SchemaAndValue};

    #[test]
    fn only_records_carrying_the_header_match() {
        let props = [(NAME.to_string(), "h".to_string())].into();
        let mut p = plugin().create(&props).unwrap();
        let mut record = ConnectRecord {
            headers: vec![Header {
                key: "other".into(),
                value: SchemaAndValue::NULL,
            }]
            .into(),
            ..crate::test_support::source_record("t", SchemaAndValue::NULL)
        };
        assert!(!p.test(&record).unwrap());
        record.headers.push(Header {
            key: "h".into(),
            value: SchemaAndValue::NULL,
        });
        assert!(p.test(&record).unwrap());
    }

    #[test]
    fn an_empty_name_is_rejected() {
        let props = [(NAME.to_string(), String::new())].into();
        let err = plugin().create(&props).unwrap_err();
        assert!(
            err.to_string().contains("String must be non-empty"),
            "{err}"
        );
    }
}
