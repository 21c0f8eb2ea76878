//! `org.apache.kafka.connect.transforms.InsertHeader`: adds a header whose schema and value are
//! inferred from a literal (`Values.parseString`).

use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use connect_api::data::values;
use connect_api::{
    ConnectError, ConnectRecord, Header, Props, SchemaAndValue, Transformation,
    TransformationPlugin,
};

use super::util::{self, Side};

const HEADER: &str = "header";
const VALUE_LITERAL: &str = "value.literal";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                HEADER,
                ConfigType::String,
                Importance::High,
                "The name of the header.",
            )
            .required(),
        )
        .define(
            ConfigKey::new(
                VALUE_LITERAL,
                ConfigType::String,
                Importance::High,
                "The literal value that is to be set as the header value on all records.",
            )
            .required(),
        )
        .build()
});

/// The `InsertHeader` plugin.
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!(single "InsertHeader", &CONFIG_DEF, create)
}

fn create(_: Side, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let config = util::parse_config(&CONFIG_DEF, props)?;
    let literal = config.string(VALUE_LITERAL);
    // Kafka's `InsertHeader` reads its literal with `Values.parseString`, as
    // `SimpleHeaderConverter` reads header text.
    let value = values::parse_string(literal);
    Ok(Box::new(InsertHeader {
        header: config.string(HEADER).to_owned(),
        value,
    }))
}

#[derive(Debug)]
struct InsertHeader {
    header: String,
    value: SchemaAndValue,
}

impl Transformation for InsertHeader {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        record.headers.push(Header {
            key: self.header.clone(),
            value: self.value.clone(),
        });
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::{SchemaType, Value};

    fn insert(literal: &str) -> SchemaAndValue {
        let props: Props = [
            (HEADER.to_owned(), "h".to_owned()),
            (VALUE_LITERAL.to_owned(), literal.to_owned()),
        ]
        .into();
        let mut t = create(Side::Value, &props).unwrap();
        let record = ConnectRecord {
            headers: vec![Header {
                key: "h".into(),
                value: SchemaAndValue::NULL,
            }]
            .into(),
            ..crate::test_support::source_record("t", SchemaAndValue::NULL)
        };
        let out = t.apply(record).unwrap().unwrap();
        assert_eq!(
            out.headers.len(),
            2,
            "an existing header of that name stays"
        );
        out.headers[1].value.clone()
    }

    #[test]
    fn the_literal_is_typed_by_inference() {
        let v = insert("42");
        assert_eq!(v.schema.unwrap().schema_type, SchemaType::Int8);
        assert_eq!(v.value, Value::Int8(42));
        let v = insert("true");
        assert_eq!(v.value, Value::Boolean(true));
        let v = insert("hello world");
        assert_eq!(v.value, Value::from("hello world"));
    }
}
