//! `org.apache.kafka.connect.transforms.InsertField`: adds the record's topic, partition,
//! offset, timestamp and/or a static string as fields of the key or value.

use std::sync::{Arc, LazyLock};

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use connect_api::data::Timestamp;
use connect_api::{
    ConnectError, ConnectRecord, Props, Schema, SchemaAndValue, SchemaRef, SchemaType, Struct,
    Transformation, TransformationPlugin, Value,
};

use super::support::{field_value, map_put};
use super::util::{self, SchemaCache, Side};

const TOPIC_FIELD: &str = "topic.field";
const PARTITION_FIELD: &str = "partition.field";
const OFFSET_FIELD: &str = "offset.field";
const TIMESTAMP_FIELD: &str = "timestamp.field";
const STATIC_FIELD: &str = "static.field";
const STATIC_VALUE: &str = "static.value";
const PURPOSE: &str = "field insertion";
const OPTIONALITY_DOC: &str = "Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default).";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    let field =
        |name: &str, doc: String| ConfigKey::new(name, ConfigType::String, Importance::Medium, doc);
    ConfigDef::builder()
        .define(field(TOPIC_FIELD, format!("Field name for Kafka topic. {OPTIONALITY_DOC}")))
        .define(field(
            PARTITION_FIELD,
            format!("Field name for Kafka partition. {OPTIONALITY_DOC}"),
        ))
        .define(field(
            OFFSET_FIELD,
            format!("Field name for Kafka offset - only applicable to sink connectors.<br/>{OPTIONALITY_DOC}"),
        ))
        .define(field(
            TIMESTAMP_FIELD,
            format!("Field name for record timestamp. {OPTIONALITY_DOC}"),
        ))
        .define(field(
            STATIC_FIELD,
            format!("Field name for static data field. {OPTIONALITY_DOC}"),
        ))
        .define(field(
            STATIC_VALUE,
            "Static field value, if field name configured.".to_owned(),
        ))
        .define(util::replace_null_with_default_key())
        .build()
});

/// The `$Key` and `$Value` plugins.
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!("InsertField", &CONFIG_DEF, create)
}

/// Builds an inserted field's schema from its optionality.
type SchemaOf = fn(bool) -> SchemaRef;

/// `InsertionSpec`: a field name with `!` (required) or `?` (optional, the default) suffix.
#[derive(Debug, Clone)]
struct Spec {
    name: String,
    optional: bool,
}

impl Spec {
    fn parse(spec: Option<&str>) -> Option<Self> {
        let spec = spec?;
        Some(if let Some(name) = spec.strip_suffix('?') {
            Self {
                name: name.to_owned(),
                optional: true,
            }
        } else if let Some(name) = spec.strip_suffix('!') {
            Self {
                name: name.to_owned(),
                optional: false,
            }
        } else {
            Self {
                name: spec.to_owned(),
                optional: true,
            }
        })
    }
}

fn create(side: Side, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let config = util::parse_config(&CONFIG_DEF, props)?;
    let t = InsertField {
        side,
        topic: Spec::parse(config.opt_string(TOPIC_FIELD)),
        partition: Spec::parse(config.opt_string(PARTITION_FIELD)),
        offset: Spec::parse(config.opt_string(OFFSET_FIELD)),
        timestamp: Spec::parse(config.opt_string(TIMESTAMP_FIELD)),
        static_field: Spec::parse(config.opt_string(STATIC_FIELD)),
        static_value: config.opt_string(STATIC_VALUE).map(str::to_owned),
        replace_null_with_default: config.boolean(util::REPLACE_NULL_WITH_DEFAULT),
        cache: SchemaCache::default(),
    };
    if t.topic.is_none()
        && t.partition.is_none()
        && t.offset.is_none()
        && t.timestamp.is_none()
        && t.static_field.is_none()
    {
        // `ConfigException(message)`: no key of its own.
        return Err(util::config_error(
            TOPIC_FIELD,
            "No field insertion configured",
        ));
    }
    if t.static_field.is_some() && t.static_value.is_none() {
        // Kafka appends the `InsertionSpec` object, whose `toString` is an identity hash.
        return Err(util::invalid_value(
            STATIC_VALUE,
            "null",
            "No value specified for static field: org.apache.kafka.connect.transforms.InsertField$InsertionSpec",
        ));
    }
    Ok(Box::new(t))
}

#[derive(Debug)]
struct InsertField {
    side: Side,
    topic: Option<Spec>,
    partition: Option<Spec>,
    offset: Option<Spec>,
    timestamp: Option<Spec>,
    static_field: Option<Spec>,
    static_value: Option<String>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl InsertField {
    /// `requireSinkRecord(record, PURPOSE).kafkaOffset()`.
    fn offset_of(record: &ConnectRecord) -> Result<i64, ConnectError> {
        match (record.is_sink, record.kafka_offset) {
            (true, Some(offset)) => Ok(offset),
            _ => Err(util::data_error(format!(
                "Only SinkRecord supported for [{PURPOSE}], found: org.apache.kafka.connect.source.SourceRecord"
            ))),
        }
    }

    /// The inserted fields in Kafka's order, with their values for this record (`None`: not put).
    fn insertions(
        &self,
        record: &ConnectRecord,
    ) -> Result<Vec<(&Spec, Option<Value>)>, ConnectError> {
        let mut out = Vec::with_capacity(5);
        if let Some(s) = &self.topic {
            out.push((s, Some(Value::String(record.topic.clone()))));
        }
        if let Some(s) = &self.partition {
            out.push((s, record.kafka_partition.map(Value::Int32)));
        }
        if let Some(s) = &self.offset {
            out.push((s, Some(Value::Int64(Self::offset_of(record)?))));
        }
        if let Some(s) = &self.timestamp {
            // With a schema Kafka puts a `java.util.Date`: the same millis under `Timestamp`.
            out.push((s, record.timestamp.map(Value::Int64)));
        }
        if let Some(s) = &self.static_field {
            out.push((s, self.static_value.clone().map(Value::String)));
        }
        Ok(out)
    }

    fn updated_schema(&self, schema: &SchemaRef) -> Result<SchemaRef, ConnectError> {
        let mut target =
            util::copy_schema_basics_into(schema, Schema::struct_builder()).into_schema();
        for f in &schema.fields {
            util::push_field(&mut target, &f.name, f.schema.clone())?;
        }
        let added: [(&Option<Spec>, SchemaOf); 5] = [
            (&self.topic, |o| Schema::primitive(SchemaType::String, o)),
            (&self.partition, |o| Schema::primitive(SchemaType::Int32, o)),
            (&self.offset, |o| Schema::primitive(SchemaType::Int64, o)),
            (&self.timestamp, |o| {
                Timestamp::builder().optional_if(o).build()
            }),
            (&self.static_field, |o| {
                Schema::primitive(SchemaType::String, o)
            }),
        ];
        for (spec, schema_of) in added {
            if let Some(spec) = spec {
                util::push_field(&mut target, &spec.name, schema_of(spec.optional))?;
            }
        }
        Ok(Arc::new(target))
    }

    fn insert(
        &mut self,
        operating: SchemaAndValue,
        record: &ConnectRecord,
    ) -> Result<SchemaAndValue, ConnectError> {
        let SchemaAndValue { schema, value } = operating;
        Ok(match schema {
            None => {
                let mut map = util::require_map(value, PURPOSE)?;
                for (spec, value) in self.insertions(record)? {
                    if let Some(v) = value {
                        map_put(&mut map, &spec.name, v);
                    }
                }
                SchemaAndValue::schemaless(Value::Map(map))
            }
            Some(schema) => {
                let value = util::require_struct(&value, Some(&schema), PURPOSE)?;
                let source = value.schema();
                let mut cache = std::mem::take(&mut self.cache);
                let updated_schema = cache.get_or_try_insert(source, |s| self.updated_schema(s));
                self.cache = cache;
                let updated_schema = updated_schema?;
                let mut out = Struct::new(updated_schema.clone());
                for f in &source.fields {
                    out.put_index(
                        f.index,
                        field_value(value, f, self.replace_null_with_default),
                    );
                }
                for (spec, v) in self.insertions(record)? {
                    if let Some(v) = v {
                        out.put(&spec.name, v);
                    }
                }
                SchemaAndValue::new(Some(updated_schema), Value::Struct(out))
            }
        })
    }
}

impl Transformation for InsertField {
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        self.side
            .apply_unless_null(record, |operating, record| self.insert(operating, record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::util::props;

    fn create_with(
        side: Side,
        pairs: &[(&str, &str)],
    ) -> Result<Box<dyn Transformation>, ConnectError> {
        create(side, &props(pairs))
    }

    fn record(value: SchemaAndValue, is_sink: bool) -> ConnectRecord {
        ConnectRecord {
            topic: "orders".into(),
            kafka_partition: Some(2),
            key: SchemaAndValue::NULL,
            value,
            timestamp: Some(1_700_000_000_000),
            headers: Default::default(),
            kafka_offset: is_sink.then_some(42),
            is_sink,
        }
    }

    #[test]
    fn metadata_fields_are_appended_to_a_struct_with_their_optionality() {
        let mut t = create_with(
            Side::Value,
            &[
                ("topic.field", "t!"),
                ("partition.field", "p"),
                ("offset.field", "o?"),
                ("timestamp.field", "ts"),
                ("static.field", "s"),
                ("static.value", "v"),
            ],
        )
        .unwrap();
        let schema = Schema::struct_builder()
            .name("row")
            .version(2)
            .field("id", Schema::int32())
            .optional()
            .build();
        let value = Struct::new(schema.clone()).with("id", 7);
        let out = t
            .apply(record(
                SchemaAndValue::new(Some(schema), Value::Struct(value)),
                true,
            ))
            .unwrap()
            .unwrap();
        let s = out.value.schema.unwrap();
        let names: Vec<_> = s.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["id", "t", "p", "o", "ts", "s"]);
        assert!(!s.fields[1].schema.optional);
        assert!(s.fields[2].schema.optional);
        assert_eq!(
            s.fields[4].schema.name.as_deref(),
            Some(Timestamp::LOGICAL_NAME)
        );
        assert_eq!(s.name.as_deref(), Some("row"));
        assert!(!s.optional, "copySchemaBasics does not copy optionality");
        let v = out.value.value.as_struct().unwrap().clone();
        assert_eq!(v.get("t"), Some(&Value::from("orders")));
        assert_eq!(v.get("p"), Some(&Value::Int32(2)));
        assert_eq!(v.get("o"), Some(&Value::Int64(42)));
        assert_eq!(v.get("ts"), Some(&Value::Int64(1_700_000_000_000)));
        assert_eq!(v.get("s"), Some(&Value::from("v")));
    }

    #[test]
    fn a_schemaless_map_gets_entries_and_a_null_value_passes_through() {
        let mut t = create_with(
            Side::Key,
            &[("topic.field", "t"), ("timestamp.field", "ts")],
        )
        .unwrap();
        let mut r = record(SchemaAndValue::NULL, false);
        r.key = SchemaAndValue::schemaless(Value::Map(vec![(Value::from("a"), Value::from(1))]));
        let out = t.apply(r).unwrap().unwrap();
        assert_eq!(
            out.key.value,
            Value::Map(vec![
                (Value::from("a"), Value::from(1)),
                (Value::from("t"), Value::from("orders")),
                (Value::from("ts"), Value::Int64(1_700_000_000_000)),
            ])
        );
        let r = record(
            SchemaAndValue::new(Some(Schema::optional_string()), Value::Null),
            false,
        );
        let mut t = create_with(Side::Value, &[("topic.field", "t")]).unwrap();
        assert_eq!(t.apply(r.clone()).unwrap().unwrap(), r);
    }

    #[test]
    fn offsets_need_a_sink_record() {
        let mut t = create_with(Side::Value, &[("offset.field", "o")]).unwrap();
        let r = record(SchemaAndValue::schemaless(Value::Map(Vec::new())), false);
        assert_eq!(
            t.apply(r).unwrap_err().to_string(),
            "Only SinkRecord supported for [field insertion], found: org.apache.kafka.connect.source.SourceRecord"
        );
    }

    #[test]
    fn config_errors_match_kafka() {
        let err = create_with(Side::Value, &[]).unwrap_err();
        assert!(
            matches!(&err, ConnectError::Config(e) if e.to_string() == "No field insertion configured"),
            "{err:?}"
        );
        let err = create_with(Side::Value, &[("static.field", "s")]).unwrap_err();
        assert!(err.to_string().contains(
            "Invalid value null for configuration static.value: No value specified for static field"
        ));
    }

    #[test]
    fn inserting_an_existing_field_name_fails() {
        let mut t = create_with(Side::Value, &[("topic.field", "id")]).unwrap();
        let schema = Schema::struct_builder()
            .field("id", Schema::primitive(SchemaType::Int32, false))
            .build();
        let value = Struct::new(schema.clone()).with("id", 1);
        let err = t
            .apply(record(
                SchemaAndValue::new(Some(schema), Value::Struct(value)),
                false,
            ))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Cannot create field because of field name duplication id"
        );
    }
}
