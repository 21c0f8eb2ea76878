//! Differential test: every case file under `tests/cases/<group>/*.json` runs through Kafka
//! Connect's real Java transforms (`tests/oracle/TransformOracle.java` against the oracle jars)
//! and through ours; the outputs are compared line by line and every mismatch is reported.
//! The case format is described in `tests/cases/README.md`.
//!
//! Without `java`/`javac` or the oracle jars the test prints `skipped: …` and passes; CI installs
//! them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use connect_api::{
    ConnectError, ConnectRecord, Converter, ConverterPlugin, Header, Predicate, Props,
    SchemaAndValue, Transformation,
};
use connect_converters::json::JsonConverterPlugin;
use serde_json::{Value as Json, json};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `tests/cases/<group>/*.json`, sorted so reports are stable; `DIFF_CASES=<text>` keeps
/// only the paths containing that text (`DIFF_CASES=kafka-a1/`).
fn case_files() -> Vec<PathBuf> {
    let filter = std::env::var("DIFF_CASES").unwrap_or_default();
    let mut out = all_case_files();
    out.retain(|p| p.to_string_lossy().contains(&filter));
    out
}

fn all_case_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(groups) = std::fs::read_dir(crate_dir().join("tests/cases")) else {
        return out;
    };
    for group in groups.flatten() {
        if !group.path().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(group.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Runs the Java oracle over `files`; returns each case's output lines.
fn run_oracle(jars: &Path, files: &[PathBuf]) -> Result<HashMap<PathBuf, Vec<String>>, String> {
    let classes = java_oracle::compile(
        jars,
        &[crate_dir().join("tests/oracle/TransformOracle.java")],
    )?;
    // Kafka's date texts (`Cast` to string, `TimestampConverter`) use the JVM's default zone
    // and locale; Sluice's are UTC and English.
    let java = Command::new("java")
        .args([
            "-Duser.timezone=UTC",
            "-Duser.language=en",
            "-Duser.country=US",
        ])
        .arg("-cp")
        .arg(java_oracle::classpath(classes.path(), jars))
        .arg("TransformOracle")
        .args(files)
        .output()
        .map_err(|e| format!("java not runnable: {e}"))?;
    assert!(
        java.status.success(),
        "the oracle failed:\n{}",
        String::from_utf8_lossy(&java.stderr)
    );
    let mut out: HashMap<PathBuf, Vec<String>> = HashMap::new();
    let mut current = None;
    for line in String::from_utf8_lossy(&java.stdout).lines() {
        if let Some(path) = line.strip_prefix("=== ") {
            current = Some(PathBuf::from(path));
            out.entry(PathBuf::from(path)).or_default();
        } else if let Some(path) = &current {
            out.entry(path.clone()).or_default().push(line.to_owned());
        }
    }
    Ok(out)
}

/// ConfigDef's LIST parsing, as the oracle does it.
fn list(value: Option<&String>) -> Vec<String> {
    match value.map(|v| v.trim()) {
        None | Some("") => Vec::new(),
        Some(v) => v.split(',').map(|s| s.trim().to_owned()).collect(),
    }
}

/// `AbstractConfig.originalsWithPrefix`.
fn with_prefix(config: &Props, prefix: &str) -> Props {
    config
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(prefix)
                .filter(|rest| !rest.is_empty())
                .map(|rest| (rest.to_owned(), v.clone()))
        })
        .collect()
}

/// The text the oracle prints for a configuration failure: ConfigException stops at the first.
fn config_error_text(e: &ConnectError) -> String {
    match e {
        ConnectError::Config(errors) => {
            errors.0.first().map(|(_, m)| m.clone()).unwrap_or_default()
        }
        other => other.to_string(),
    }
}

/// The oracle's `<exception simple class name>: <message>`. A transform's `DataException` is
/// [`ConnectError::Data`]; a fatal error names another Java exception class by its cause
/// (`IllegalArgumentException`: a single word ending in `Exception`), else it is a
/// `ConnectException`.
fn runtime_error_text(e: &ConnectError) -> String {
    match e {
        ConnectError::Fatal { context, source } => {
            let class = source
                .as_ref()
                .map(ToString::to_string)
                .filter(|c| c.ends_with("Exception") && !c.contains(' '))
                .unwrap_or_else(|| "ConnectException".to_owned());
            format!("{class}: {context}")
        }
        ConnectError::Config(_) => format!("ConfigException: {}", config_error_text(e)),
        other => {
            let class = other.java_class();
            let simple = class.rsplit('.').next().unwrap_or(class);
            format!("{simple}: {other}")
        }
    }
}

struct Stage {
    transformation: Box<dyn Transformation>,
    /// Index into the chain's predicates, and `negate`.
    predicate: Option<(usize, bool)>,
}

struct Chain {
    predicates: Vec<Box<dyn Predicate>>,
    stages: Vec<Stage>,
}

/// Builds the chain as Kafka's `ConnectorConfig.transformationStages` does.
fn build_chain(config: &Props) -> Result<Chain, String> {
    let transforms = connect_transforms::transformations();
    let predicate_plugins = connect_transforms::predicates();
    let mut predicates = Vec::new();
    let mut predicate_index = HashMap::new();
    for alias in list(config.get("predicates")) {
        let prefix = format!("predicates.{alias}.");
        let class = config
            .get(&format!("{prefix}type"))
            .cloned()
            .unwrap_or_default();
        let plugin = predicate_plugins
            .iter()
            .find(|p| p.descriptor().class == class)
            .ok_or_else(|| format!("Sluice has no predicate {class}"))?;
        let p = plugin
            .create(&with_prefix(config, &prefix))
            .map_err(|e| config_error_text(&e))?;
        predicate_index.insert(alias, predicates.len());
        predicates.push(p);
    }
    let mut stages = Vec::new();
    for alias in list(config.get("transforms")) {
        let prefix = format!("transforms.{alias}.");
        let mut props = with_prefix(config, &prefix);
        let predicate_alias = props.remove("predicate");
        let negate = props.remove("negate");
        let class = props.get("type").cloned().unwrap_or_default();
        let plugin = transforms
            .iter()
            .find(|p| p.descriptor().class == class)
            .ok_or_else(|| format!("Sluice has no transformation {class}"))?;
        let transformation = plugin.create(&props).map_err(|e| config_error_text(&e))?;
        let predicate = match predicate_alias {
            None => None,
            Some(a) => {
                let idx = *predicate_index
                    .get(&a)
                    .ok_or_else(|| format!("unknown predicate alias {a}"))?;
                Some((idx, negate.is_some_and(|n| n.eq_ignore_ascii_case("true"))))
            }
        };
        stages.push(Stage {
            transformation,
            predicate,
        });
    }
    Ok(Chain { predicates, stages })
}

struct Converters {
    key_in: Box<dyn Converter>,
    value_in: Box<dyn Converter>,
    key_out: Box<dyn Converter>,
    value_out: Box<dyn Converter>,
    key_plain: Box<dyn Converter>,
    value_plain: Box<dyn Converter>,
}

impl Converters {
    fn new() -> Self {
        let plugin = JsonConverterPlugin::default();
        let make = |schemas: bool, is_key: bool| {
            let props: Props = [("schemas.enable".to_owned(), schemas.to_string())].into();
            plugin.create(&props, is_key).unwrap()
        };
        Self {
            key_in: make(true, true),
            value_in: make(true, false),
            key_out: make(true, true),
            value_out: make(true, false),
            key_plain: make(false, true),
            value_plain: make(false, false),
        }
    }
}

fn decode(
    converter: &dyn Converter,
    topic: &str,
    envelope: Option<&Json>,
) -> Result<SchemaAndValue, ConnectError> {
    match envelope {
        None | Some(Json::Null) => Ok(SchemaAndValue::NULL),
        Some(e) => {
            let bytes = serde_json::to_vec(e).unwrap();
            Ok(converter.to_connect_data(topic, &connect_api::Headers::new(), Some(&bytes))?)
        }
    }
}

fn encode(
    converter: &dyn Converter,
    topic: &str,
    data: &SchemaAndValue,
) -> Result<Json, ConnectError> {
    Ok(converter
        .from_connect_data(topic, &connect_api::Headers::new(), data)?
        .map_or(Json::Null, |b| {
            Json::String(String::from_utf8_lossy(&b).into_owned())
        }))
}

fn input_record(conv: &Converters, r: &Json) -> Result<ConnectRecord, ConnectError> {
    let topic = r["topic"].as_str().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    for h in r["headers"].as_array().into_iter().flatten() {
        headers.push(Header {
            key: h["key"].as_str().unwrap_or_default().to_owned(),
            value: decode(conv.value_in.as_ref(), &topic, h.get("value"))?,
        });
    }
    let sink = r.get("sink").is_none_or(|s| s.as_bool() == Some(true));
    let partition = r["partition"].as_i64().map(|p| i32::try_from(p).unwrap());
    Ok(ConnectRecord {
        key: decode(conv.key_in.as_ref(), &topic, r.get("key"))?,
        value: decode(conv.value_in.as_ref(), &topic, r.get("value"))?,
        kafka_partition: if sink {
            Some(partition.unwrap_or(0))
        } else {
            partition
        },
        timestamp: r["timestamp"].as_i64(),
        headers: headers.into(),
        kafka_offset: sink.then(|| r["offset"].as_i64().unwrap_or(0)),
        is_sink: sink,
        topic,
    })
}

/// Output fields whose JSON objects may legitimately differ in member order: Java decodes and
/// builds maps as `HashMap`s, whose iteration order Sluice does not reproduce.
#[derive(Default)]
struct Loose {
    fields: Vec<&'static str>,
    headers: Vec<usize>,
}

/// Whether `data` holds a map: schemaless, or a schema with a MAP anywhere in it.
fn may_hold_a_map(data: &SchemaAndValue) -> bool {
    fn schema_has_map(s: &connect_api::Schema) -> bool {
        s.schema_type == connect_api::SchemaType::Map
            || s.fields.iter().any(|f| schema_has_map(&f.schema))
            || s.value_schema.as_deref().is_some_and(schema_has_map)
    }
    data.schema.as_deref().is_none_or(schema_has_map)
}

fn run_record(chain: &mut Chain, conv: &Converters, input: &Json) -> (Json, Loose) {
    let mut loose = Loose::default();
    let outcome = (|| -> Result<Json, ConnectError> {
        let mut record = Some(input_record(conv, input)?);
        for stage in &mut chain.stages {
            let Some(r) = record.take() else { break };
            if let Some((idx, negate)) = stage.predicate
                && chain.predicates[idx].test(&r)? == negate
            {
                record = Some(r);
                continue;
            }
            record = stage.transformation.apply(r)?;
        }
        let Some(r) = record else {
            return Ok(json!({"dropped": true}));
        };
        if may_hold_a_map(&r.key) {
            loose.fields.extend(["key", "key_schemaless"]);
        }
        if may_hold_a_map(&r.value) {
            loose.fields.extend(["value", "value_schemaless"]);
        }
        let t = r.topic.as_str();
        let mut headers = Vec::new();
        for (i, h) in r.headers.iter().enumerate() {
            if may_hold_a_map(&h.value) {
                loose.headers.push(i);
            }
            headers.push(
                json!({"key": h.key, "value": encode(conv.value_out.as_ref(), t, &h.value)?}),
            );
        }
        Ok(json!({
            "topic": t,
            "partition": r.kafka_partition,
            "timestamp": r.timestamp,
            "key": encode(conv.key_out.as_ref(), t, &r.key)?,
            "value": encode(conv.value_out.as_ref(), t, &r.value)?,
            "key_schemaless": encode(conv.key_plain.as_ref(), t, &r.key)?,
            "value_schemaless": encode(conv.value_plain.as_ref(), t, &r.value)?,
            "headers": headers,
        }))
    })();
    let line = outcome.unwrap_or_else(|e| json!({"error": runtime_error_text(&e)}));
    (line, loose)
}

/// Two converter texts that differ only in JSON object member order.
fn same_ignoring_member_order(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::String(a), Json::String(b)) => {
            match (
                serde_json::from_str::<Json>(a),
                serde_json::from_str::<Json>(b),
            ) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            }
        }
        _ => false,
    }
}

/// Exact equality, except for member order inside the `loose` fields.
fn matches(java: &Json, rust: &Json, loose: &Loose) -> bool {
    if java == rust {
        return true;
    }
    let (Json::Object(j), Json::Object(r)) = (java, rust) else {
        return false;
    };
    if j.len() != r.len() {
        return false;
    }
    j.iter().all(|(k, jv)| {
        let Some(rv) = r.get(k) else { return false };
        if jv == rv {
            return true;
        }
        if k == "headers" {
            let (Some(jh), Some(rh)) = (jv.as_array(), rv.as_array()) else {
                return false;
            };
            return jh.len() == rh.len()
                && jh.iter().zip(rh).enumerate().all(|(i, (a, b))| {
                    a == b
                        || (loose.headers.contains(&i)
                            && a["key"] == b["key"]
                            && same_ignoring_member_order(&a["value"], &b["value"]))
                });
        }
        loose.fields.contains(&k.as_str()) && same_ignoring_member_order(jv, rv)
    })
}

/// Our output lines for one case.
fn run_rust(case: &Json) -> Vec<(Json, Loose)> {
    let config: Props = case["config"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let v = match v {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect();
    let mut chain = match build_chain(&config) {
        Ok(c) => c,
        Err(message) => return vec![(json!({"config_error": message}), Loose::default())],
    };
    let conv = Converters::new();
    case["records"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| run_record(&mut chain, &conv, r))
        .collect()
}

#[test]
fn every_case_matches_kafka_connects_own_transforms() {
    let files = case_files();
    // Our side runs even without the oracle, so a case that panics or a chain that cannot be
    // built is caught everywhere.
    let ours: Vec<(PathBuf, Vec<(Json, Loose)>)> = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let case: Json = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", f.display()));
            (f.clone(), run_rust(&case))
        })
        .collect();
    let jars = match java_oracle::jars("connect-transforms-") {
        Ok(j) => j,
        Err(why) => {
            println!("skipped: differential transform test: {why}");
            return;
        }
    };
    if files.is_empty() {
        println!("skipped: no case files");
        return;
    }
    let theirs = match run_oracle(&jars, &files) {
        Ok(t) => t,
        Err(why) => {
            println!("skipped: differential transform test: {why}");
            return;
        }
    };
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for (file, our_lines) in &ours {
        let name = file
            .strip_prefix(crate_dir().join("tests/cases"))
            .unwrap_or(file)
            .display()
            .to_string();
        let java_lines = theirs.get(file).cloned().unwrap_or_default();
        let count = our_lines.len().max(java_lines.len());
        for i in 0..count {
            let java: Option<Json> = java_lines
                .get(i)
                .map(|l| serde_json::from_str(l).unwrap_or(Json::String(l.clone())));
            let rust = our_lines.get(i);
            compared += 1;
            let same = match (&java, rust) {
                (Some(j), Some((r, loose))) => matches(j, r, loose),
                _ => false,
            };
            if !same {
                mismatches.push(format!(
                    "{name} record {i}:\n  java: {}\n  rust: {}",
                    java.map_or("<none>".to_owned(), |j| j.to_string()),
                    rust.map_or("<none>".to_owned(), |(r, _)| r.to_string())
                ));
            }
        }
    }
    println!(
        "differential: {} case files, {compared} outputs compared, {} mismatches",
        files.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn member_order_is_tolerated_only_where_a_map_may_be() {
    let java = json!({"value": "{\"a\":1,\"b\":2}", "key": "{\"a\":1,\"b\":2}"});
    let rust = json!({"value": "{\"b\":2,\"a\":1}", "key": "{\"b\":2,\"a\":1}"});
    let value_only = Loose {
        fields: vec!["value"],
        headers: Default::default(),
    };
    assert!(!matches(&java, &rust, &value_only));
    let both = Loose {
        fields: vec!["value", "key"],
        headers: Default::default(),
    };
    assert!(matches(&java, &rust, &both));
    let other_values = json!({"value": "{\"b\":3,\"a\":1}", "key": "{\"b\":2,\"a\":1}"});
    assert!(!matches(&java, &other_values, &both));
}

#[test]
fn the_chain_skips_a_stage_whose_predicate_does_not_match() {
    let case = json!({
        "config": {
            "transforms": "h",
            "transforms.h.type": "org.apache.kafka.connect.transforms.HoistField$Value",
            "transforms.h.field": "w",
            "transforms.h.predicate": "p",
            "transforms.h.negate": "true",
            "predicates": "p",
            "predicates.p.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            "predicates.p.pattern": "skip.*"
        },
        "records": [
            {"topic": "skipped", "value": {"schema": null, "payload": 1}},
            {"topic": "kept", "value": {"schema": null, "payload": 1}}
        ]
    });
    let out = run_rust(&case);
    assert_eq!(out[0].0["value"], json!("{\"schema\":null,\"payload\":1}"));
    assert_eq!(
        out[1].0["value"],
        json!("{\"schema\":null,\"payload\":{\"w\":1}}")
    );
}
