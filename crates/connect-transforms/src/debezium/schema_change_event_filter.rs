//! `io.debezium.transforms.SchemaChangeEventFilter`: drops schema change events of the listed
//! kinds (`CREATE`, `ALTER`, `DROP`, `TRUNCATE`, `DATABASE`).

use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, ParsedConfig, Width};
use connect_api::{
    ConnectError, ConnectRecord, Props, Transformation, TransformationPlugin, Value, java,
};

use super::get_with_default;
use crate::kafka::util::{java_exception, require_struct};

const CLASS: &str = "io.debezium.transforms.SchemaChangeEventFilter";
const EXCLUDE_LIST: &str = "schema.change.event.exclude.list";
const TYPES: &[&str] = &["CREATE", "ALTER", "DROP", "TRUNCATE", "DATABASE"];

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                EXCLUDE_LIST,
                ConfigType::String,
                Importance::High,
                "Support filtering during DDL synchronization",
            )
            .width(Width::Short)
            .display_name("Schema change event exclude list"),
        )
        .build()
});

pub(super) fn plugin() -> Box<dyn TransformationPlugin> {
    super::plugin(CLASS, &CONFIG_DEF, create)
}

fn create(_: &ParsedConfig, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let raw = super::required(props, EXCLUDE_LIST)?;
    let mut excluded = Vec::new();
    for name in java::split(raw, ',') {
        let name = name.trim();
        match TYPES.iter().find(|t| **t == name) {
            Some(t) => excluded.push(*t),
            None => {
                return Err(java_exception(
                    "IllegalArgumentException",
                    format!(
                        "No enum constant io.debezium.schema.SchemaChangeEvent.SchemaChangeEventType.{name}"
                    ),
                ));
            }
        }
    }
    Ok(Box::new(SchemaChangeEventFilter { excluded }))
}

/// A configured `SchemaChangeEventFilter`.
#[derive(Debug)]
pub struct SchemaChangeEventFilter {
    excluded: Vec<&'static str>,
}

/// `SchemaFactory.isSchemaChangeSchema`.
fn is_schema_change(record: &ConnectRecord) -> bool {
    record
        .value
        .schema
        .as_ref()
        .and_then(|s| s.name.as_deref())
        .is_some_and(|n| n.ends_with(".SchemaChangeValue") || n.ends_with(".SchemaChangeKey"))
}

impl Transformation for SchemaChangeEventFilter {
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if record.value.value.is_null() || !is_schema_change(&record) {
            return Ok(Some(record));
        }
        let value = require_struct(
            &record.value.value,
            None,
            "Read schema change event to filter",
        )?;
        if value.schema().field("tableChanges").is_none() {
            return Err(ConnectError::data("tableChanges is not a valid field name"));
        }
        let kind = match get_with_default(value, "tableChanges") {
            Value::Null => return Ok(None),
            Value::Array(changes) => match changes.first() {
                None => "DATABASE".to_owned(),
                Some(Value::Struct(change)) => get_with_default(change, "type")
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                // Java casts each element to `Struct`.
                Some(_) => {
                    return Err(java_exception(
                        "ClassCastException",
                        "a table change is not a struct",
                    ));
                }
            },
            _ => {
                return Err(ConnectError::data(
                    "Field 'tableChanges' is not of type ARRAY",
                ));
            }
        };
        let Some(kind) = TYPES.iter().find(|t| **t == kind) else {
            return Err(java_exception(
                "IllegalArgumentException",
                format!(
                    "No enum constant io.debezium.schema.SchemaChangeEvent.SchemaChangeEventType.{kind}"
                ),
            ));
        };
        Ok((!self.excluded.contains(kind)).then_some(record))
    }
}

#[cfg(test)]
mod tests {
    use connect_api::{Schema, SchemaAndValue, SchemaBuilder, Struct};

    use super::*;

    fn event(kind: Option<&str>) -> ConnectRecord {
        let change = Schema::struct_builder()
            .name("io.debezium.connector.schema.Change")
            .field("type", Schema::string())
            .build();
        let schema = Schema::struct_builder()
            .name("io.debezium.connector.mysql.SchemaChangeValue")
            .field("ddl", Schema::optional_string())
            .field("tableChanges", SchemaBuilder::array(change.clone()).build())
            .build();
        let changes = kind
            .map(|k| vec![Value::Struct(Struct::new(change).with("type", k))])
            .unwrap_or_default();
        let value = Struct::new(schema.clone()).with("tableChanges", Value::Array(changes));
        crate::test_support::source_record(
            "srv",
            SchemaAndValue::new(Some(schema), Value::Struct(value)),
        )
    }

    fn filter(list: &str) -> Box<dyn Transformation> {
        let props: Props = [(EXCLUDE_LIST.to_string(), list.to_string())].into();
        plugin().create(&props).unwrap()
    }

    #[test]
    fn listed_kinds_are_dropped_and_others_kept() {
        let mut f = filter("ALTER, DATABASE");
        assert!(f.apply(event(Some("ALTER"))).unwrap().is_none());
        assert!(f.apply(event(None)).unwrap().is_none());
        assert!(f.apply(event(Some("CREATE"))).unwrap().is_some());
    }

    #[test]
    fn an_unknown_kind_is_rejected_at_configuration() {
        let props: Props = [(EXCLUDE_LIST.to_string(), "ALTER,RENAME".to_string())].into();
        let err = plugin().create(&props).unwrap_err();
        assert!(err.to_string().ends_with("SchemaChangeEventType.RENAME"));
    }
}
