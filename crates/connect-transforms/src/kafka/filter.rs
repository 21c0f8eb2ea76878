//! `org.apache.kafka.connect.transforms.Filter`: drops every record it is applied to; used with
//! a predicate (and `negate`) to drop some.

use std::sync::LazyLock;

use connect_api::config::ConfigDef;
use connect_api::{ConnectError, ConnectRecord, Props, Transformation, TransformationPlugin};

use super::util::{self, Side};

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| ConfigDef::builder().build());

/// The `Filter` plugin.
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!(single "Filter", &CONFIG_DEF, make)
}

fn make(_: Side, _: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    Ok(Box::new(Filter))
}

#[derive(Debug)]
struct Filter;

impl Transformation for Filter {
    fn apply(&mut self, _: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::{SchemaAndValue, Value};

    #[test]
    fn every_record_is_dropped() {
        let t = &plugins()[0];
        let mut f = t.create(&Default::default()).unwrap();
        let record =
            crate::test_support::source_record("t", SchemaAndValue::schemaless(Value::from("v")));
        assert_eq!(f.apply(record).unwrap(), None);
        assert_eq!(t.descriptor().version, "3.9.0");
    }
}
