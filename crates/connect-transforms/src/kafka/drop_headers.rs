//! `org.apache.kafka.connect.transforms.DropHeaders`: removes every header whose key is listed.

use std::collections::HashSet;
use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use connect_api::{ConnectError, ConnectRecord, Props, Transformation, TransformationPlugin};

use super::util::{self, Side, non_empty_list, parse_config};

const HEADERS: &str = "headers";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                HEADERS,
                ConfigType::List,
                Importance::High,
                "The name of the headers to be removed.",
            )
            .required(),
        )
        .build()
});

/// The `DropHeaders` plugin.
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!(single "DropHeaders", &CONFIG_DEF, make)
}

fn make(_: Side, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let config = parse_config(&CONFIG_DEF, props)?;
    Ok(Box::new(DropHeaders {
        headers: non_empty_list(&config, HEADERS)?.into_iter().collect(),
    }))
}

#[derive(Debug)]
struct DropHeaders {
    headers: HashSet<String>,
}

impl Transformation for DropHeaders {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        record.headers.retain(|h| !self.headers.contains(&h.key));
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::{Header, SchemaAndValue, Value};

    fn header(k: &str, v: &str) -> Header {
        Header {
            key: k.into(),
            value: SchemaAndValue::schemaless(Value::from(v)),
        }
    }

    #[test]
    fn listed_headers_are_removed_every_time_they_occur_and_others_keep_their_order() {
        let props = [(HEADERS.to_string(), "a, c".to_string())].into();
        let mut t = plugins()[0].create(&props).unwrap();
        let record = ConnectRecord {
            headers: vec![
                header("a", "1"),
                header("b", "2"),
                header("a", "3"),
                header("d", "4"),
                header("c", "5"),
            ]
            .into(),
            ..crate::test_support::source_record("t", SchemaAndValue::NULL)
        };
        let out = t.apply(record).unwrap().unwrap();
        let keys: Vec<_> = out.headers.iter().map(|h| h.key.as_str()).collect();
        assert_eq!(keys, ["b", "d"]);
    }

    #[test]
    fn an_empty_list_is_rejected_with_kafkas_message() {
        let props = [(HEADERS.to_string(), String::new())].into();
        let err = plugins()[0].create(&props).unwrap_err();
        assert_eq!(
            err.to_string(),
            "connector configuration is invalid: Invalid value [] for configuration headers: Empty list"
        );
    }
}
