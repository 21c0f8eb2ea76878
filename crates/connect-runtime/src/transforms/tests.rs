//! The chain's Kafka semantics with small test plugins: order, predicates and `negate`, drops,
//! failures naming their class, and the keys and errors `enrich` adds for validation.

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use connect_api::{
    ConnectError, ConnectRecord, PluginDescriptor, PluginKind, Predicate, PredicatePlugin, Props,
    SchemaAndValue, Transformation, TransformationPlugin, Value,
};

use super::*;

/// Appends `suffix` (its config) to the topic; `fail=true` fails, `drop=true` drops.
#[derive(Debug)]
struct Suffix {
    suffix: String,
    fail: bool,
    drop: bool,
}

impl Transformation for Suffix {
    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        if self.fail {
            return Err(ConnectError::fatal("suffix failed"));
        }
        if self.drop {
            return Ok(None);
        }
        record.topic.push_str(&self.suffix);
        Ok(Some(record))
    }
}

#[derive(Debug)]
struct SuffixPlugin;

static SUFFIX_DEF: std::sync::LazyLock<ConfigDef> = std::sync::LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new("suffix", ConfigType::String, Importance::High, "Appended.").required(),
        )
        .define(
            ConfigKey::new("fail", ConfigType::Boolean, Importance::Low, "Fail.").default("false"),
        )
        .define(
            ConfigKey::new("drop", ConfigType::Boolean, Importance::Low, "Drop.").default("false"),
        )
        .build()
});

impl TransformationPlugin for SuffixPlugin {
    fn descriptor(&self) -> &PluginDescriptor {
        &PluginDescriptor {
            class: "com.example.Suffix",
            extra_aliases: &[],
            kind: PluginKind::Transformation,
            version: "1.0",
        }
    }
    fn config_def(&self) -> &ConfigDef {
        &SUFFIX_DEF
    }
    fn create(&self, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
        let parsed = SUFFIX_DEF.parse(props);
        if parsed.report.error_count() > 0 {
            return Err(ConnectError::Config(parsed.report.field_errors()));
        }
        Ok(Box::new(Suffix {
            suffix: parsed.parsed.string("suffix").to_owned(),
            fail: parsed.parsed.boolean("fail"),
            drop: parsed.parsed.boolean("drop"),
        }))
    }
}

/// Matches records whose topic starts with `prefix`.
#[derive(Debug)]
struct TopicStarts(String);

impl Predicate for TopicStarts {
    fn test(&mut self, record: &ConnectRecord) -> Result<bool, ConnectError> {
        Ok(record.topic.starts_with(&self.0))
    }
}

#[derive(Debug)]
struct TopicStartsPlugin;

static STARTS_DEF: std::sync::LazyLock<ConfigDef> = std::sync::LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new("prefix", ConfigType::String, Importance::High, "Prefix.").required(),
        )
        .build()
});

impl PredicatePlugin for TopicStartsPlugin {
    fn descriptor(&self) -> &PluginDescriptor {
        &PluginDescriptor {
            class: "com.example.TopicStarts",
            extra_aliases: &[],
            kind: PluginKind::Predicate,
            version: "1.0",
        }
    }
    fn config_def(&self) -> &ConfigDef {
        &STARTS_DEF
    }
    fn create(&self, props: &Props) -> Result<Box<dyn Predicate>, ConnectError> {
        let prefix = props
            .get("prefix")
            .cloned()
            .ok_or_else(|| ConnectError::fatal("prefix is required"))?;
        Ok(Box::new(TopicStarts(prefix)))
    }
}

fn registry() -> PluginRegistry {
    PluginRegistry::builder()
        .transformations([Box::new(SuffixPlugin) as Box<dyn TransformationPlugin>])
        .predicates([Box::new(TopicStartsPlugin) as Box<dyn PredicatePlugin>])
        .build()
        .unwrap()
}

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn record(topic: &str) -> ConnectRecord {
    ConnectRecord {
        topic: topic.to_owned(),
        kafka_partition: None,
        key: SchemaAndValue::schemaless(Value::Null),
        value: SchemaAndValue::schemaless(Value::from("v")),
        timestamp: None,
        headers: Default::default(),
        kafka_offset: None,
        is_sink: false,
    }
}

fn topic_after(chain: &mut TransformChain, topic: &str) -> Option<String> {
    chain.apply(record(topic)).unwrap().map(|r| r.topic)
}

#[test]
fn stages_run_in_alias_order() {
    let mut chain = TransformChain::from_config(
        &registry(),
        &props(&[
            ("transforms", "b, a"),
            ("transforms.a.type", "com.example.Suffix"),
            ("transforms.a.suffix", "-a"),
            ("transforms.b.type", "com.example.Suffix"),
            ("transforms.b.suffix", "-b"),
        ]),
    )
    .unwrap();
    assert_eq!(topic_after(&mut chain, "t").as_deref(), Some("t-b-a"));
}

#[test]
fn a_predicate_gates_its_stage_and_negate_inverts_it() {
    let config = |negate: &str| {
        let mut p = props(&[
            ("transforms", "a"),
            ("transforms.a.type", "com.example.Suffix"),
            ("transforms.a.suffix", "-a"),
            ("transforms.a.predicate", "isX"),
            ("predicates", "isX"),
            ("predicates.isX.type", "com.example.TopicStarts"),
            ("predicates.isX.prefix", "x"),
        ]);
        if !negate.is_empty() {
            p.insert("transforms.a.negate".into(), negate.into());
        }
        p
    };
    let mut plain = TransformChain::from_config(&registry(), &config("")).unwrap();
    assert_eq!(topic_after(&mut plain, "x1").as_deref(), Some("x1-a"));
    assert_eq!(topic_after(&mut plain, "y1").as_deref(), Some("y1"));
    let mut negated = TransformChain::from_config(&registry(), &config("true")).unwrap();
    assert_eq!(topic_after(&mut negated, "x1").as_deref(), Some("x1"));
    assert_eq!(topic_after(&mut negated, "y1").as_deref(), Some("y1-a"));
}

#[test]
fn a_dropped_record_stops_the_chain_and_a_failure_names_its_class() {
    let mut dropping = TransformChain::from_config(
        &registry(),
        &props(&[
            ("transforms", "d,f"),
            ("transforms.d.type", "com.example.Suffix"),
            ("transforms.d.suffix", ""),
            ("transforms.d.drop", "true"),
            ("transforms.f.type", "com.example.Suffix"),
            ("transforms.f.suffix", ""),
            ("transforms.f.fail", "true"),
        ]),
    )
    .unwrap();
    assert_eq!(
        topic_after(&mut dropping, "t"),
        None,
        "the failing stage never ran"
    );
    let mut failing = TransformChain::from_config(
        &registry(),
        &props(&[
            ("transforms", "f"),
            ("transforms.f.type", "Suffix"),
            ("transforms.f.suffix", ""),
            ("transforms.f.fail", "true"),
        ]),
    )
    .unwrap();
    let failure = failing.apply(record("t")).unwrap_err();
    assert_eq!(failure.class, "com.example.Suffix");
    assert_eq!(failure.error.to_string(), "suffix failed");
}

#[test]
fn a_transform_this_binary_lacks_fails_the_chain_with_its_name() {
    let err = TransformChain::from_config(
        &registry(),
        &props(&[
            ("transforms", "unwrap"),
            ("transforms.unwrap.type", "io.example.Missing"),
        ]),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains(
            "Invalid value io.example.Missing for configuration transforms.unwrap.type: Class io.example.Missing could not be found."
        ),
        "{err}"
    );
    let err = TransformChain::from_config(&registry(), &props(&[("transforms", "t")])).unwrap_err();
    assert!(
        err.to_string()
            .contains("Missing required configuration \"transforms.t.type\""),
        "{err}"
    );
}

#[test]
fn no_transforms_give_an_empty_chain() {
    for config in [
        props(&[]),
        props(&[("transforms", "")]),
        props(&[("transforms", "  ")]),
    ] {
        let chain = TransformChain::from_config(&registry(), &config).unwrap();
        assert!(chain.is_empty());
    }
}

#[test]
fn enrich_adds_each_aliases_keys_under_its_group() {
    let (def, errors) = enrich(
        &registry(),
        &ConfigDef::default(),
        &props(&[
            ("transforms", "a"),
            ("transforms.a.type", "com.example.Suffix"),
            ("predicates", "p"),
            ("predicates.p.type", "com.example.TopicStarts"),
        ]),
    );
    assert!(errors.is_empty(), "{errors:?}");
    let names: Vec<(&str, Option<&str>, i32)> = def
        .keys()
        .iter()
        .map(|k| (k.name.as_str(), k.group.as_deref(), k.order_in_group))
        .collect();
    // The type key first (order 0), then the embedded keys in Kafka's sorted order: required
    // keys, then by importance, then by name.
    assert_eq!(
        names,
        [
            ("transforms.a.type", Some("Transforms: a"), 0),
            ("transforms.a.suffix", Some("Transforms: a"), 1),
            ("transforms.a.negate", Some("Transforms: a"), 2),
            ("transforms.a.predicate", Some("Transforms: a"), 3),
            ("transforms.a.drop", Some("Transforms: a"), 4),
            ("transforms.a.fail", Some("Transforms: a"), 5),
            ("predicates.p.type", Some("Predicates: p"), 0),
            ("predicates.p.prefix", Some("Predicates: p"), 1),
        ]
    );
    let type_key = def.key("transforms.a.type").unwrap();
    assert_eq!(type_key.display_name, "Transformation type for a");
    assert_eq!(type_key.documentation, "Class for the 'a' transformation.");
    assert_eq!(type_key.recommended, ["com.example.Suffix"]);
    assert_eq!(def.groups(), ["Transforms: a", "Predicates: p"]);
}

#[test]
fn enrich_reports_kafkas_errors_for_bad_aliases() {
    let (_, errors) = enrich(
        &registry(),
        &ConfigDef::default(),
        &props(&[
            ("transforms", "a,a,b,c"),
            ("transforms.a.type", "com.example.TopicStarts"),
            ("transforms.b.type", "com.example.Nope"),
            ("transforms.c.type", "com.example.Suffix"),
            ("transforms.c.negate", "true"),
        ]),
    );
    let errors: Vec<(String, String)> = errors.0;
    assert_eq!(
        errors,
        [
            (
                "transforms".to_owned(),
                "Invalid value [a, a, b, c] for configuration transforms: Duplicate alias provided."
                    .to_owned()
            ),
            (
                "transforms.a.type".to_owned(),
                "Invalid value class com.example.TopicStarts for configuration transforms.a.type: Not a Transformation".to_owned()
            ),
            (
                "transforms.b.type".to_owned(),
                "Invalid value com.example.Nope for configuration transforms.b.type: Class com.example.Nope could not be found.".to_owned()
            ),
            (
                "transforms.c.type".to_owned(),
                "Config 'transforms.c.negate' was provided but there is no config 'transforms.c.predicate' defining a predicate to be negated."
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn a_polled_record_keeps_its_content_only_for_tasks_that_read_committed_records() {
    let mut chain = TransformChain::from_config(
        &registry(),
        &props(&[
            ("transforms", "a"),
            ("transforms.a.type", "com.example.Suffix"),
            ("transforms.a.suffix", "-a"),
        ]),
    )
    .unwrap();
    let polled = || {
        let mut r = connect_api::SourceRecord::new(
            connect_api::SourcePartition::new(
                serde_json::json!({"file": "f"})
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
            connect_api::SourceOffset(serde_json::json!({"pos": 1}).as_object().unwrap().clone()),
            "t",
            SchemaAndValue::schemaless(Value::from("k")),
            SchemaAndValue::schemaless(Value::from("v")),
        );
        r.timestamp = Some(7);
        r
    };
    for keep in [true, false] {
        let mut record = polled();
        let out = chain.apply_source(&mut record, keep).unwrap().unwrap();
        // The producer gets the transformed record,
        assert_eq!(out.topic, "t-a");
        assert_eq!(out.value.value, Value::from("v"));
        assert_eq!(out.timestamp, Some(7));
        // and the polled record keeps what its offset needs; its content only when asked.
        assert_eq!(record.source_partition, polled().source_partition);
        assert_eq!(record.source_offset, polled().source_offset);
        assert_eq!(record.topic, "t");
        assert_eq!(record.value.value.is_null(), !keep, "keep = {keep}");
    }
}
