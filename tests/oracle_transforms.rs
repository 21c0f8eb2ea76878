//! Transform chains on the real Kafka Connect worker and on Sluice, side by side: the same
//! FileStream source file, the same chain, each worker writing its own topic on one broker;
//! the topics must hold the same keys, values and headers, byte for byte (timestamps are each
//! producer's clock and are not compared).
//!
//! The transforms' own differential cases (every option, schema and schemaless) run the Java
//! classes directly (`crates/connect-transforms/tests/differential.rs`); this test shows the
//! worker path around them is the same: chain order, predicates, converters, headers, routing.

use std::time::Duration;

use connect_e2e::{
    BoxError, Broker, JvmWorker, RestClient, TopicRecord, Until, Worker, it_enabled, random_name,
    read_topic,
};
use serde_json::{Map, Value, json};

/// One chain: its name, the input lines, the transform settings, how many records it writes
/// and the suffix a router adds to the topic.
struct Chain {
    name: &'static str,
    lines: &'static [&'static str],
    settings: &'static [(&'static str, &'static str)],
    records: usize,
    topic_suffix: &'static str,
}

const TEXT: &[&str] = &[
    "1",
    "22",
    "hello world",
    "{\"a\":1}",
    "ünïcødé ✓",
    "tab\there",
];
const NUMBERS: &[&str] = &["1", "22", "-333", "4444"];

const CHAINS: &[Chain] = &[
    Chain {
        name: "hoist-insert",
        lines: TEXT,
        settings: &[
            ("transforms", "hoist,insert"),
            (
                "transforms.hoist.type",
                "org.apache.kafka.connect.transforms.HoistField$Value",
            ),
            ("transforms.hoist.field", "line"),
            (
                "transforms.insert.type",
                "org.apache.kafka.connect.transforms.InsertField$Value",
            ),
            ("transforms.insert.static.field", "origin"),
            ("transforms.insert.static.value", "file"),
        ],
        records: 6,
        topic_suffix: "",
    },
    Chain {
        name: "value-to-key",
        lines: TEXT,
        settings: &[
            ("transforms", "hoist,tokey,extract"),
            (
                "transforms.hoist.type",
                "org.apache.kafka.connect.transforms.HoistField$Value",
            ),
            ("transforms.hoist.field", "line"),
            (
                "transforms.tokey.type",
                "org.apache.kafka.connect.transforms.ValueToKey",
            ),
            ("transforms.tokey.fields", "line"),
            (
                "transforms.extract.type",
                "org.apache.kafka.connect.transforms.ExtractField$Key",
            ),
            ("transforms.extract.field", "line"),
        ],
        records: 6,
        topic_suffix: "",
    },
    Chain {
        name: "rename-metadata",
        lines: TEXT,
        settings: &[
            ("transforms", "hoist,rename,meta"),
            (
                "transforms.hoist.type",
                "org.apache.kafka.connect.transforms.HoistField$Value",
            ),
            ("transforms.hoist.field", "line"),
            (
                "transforms.rename.type",
                "org.apache.kafka.connect.transforms.ReplaceField$Value",
            ),
            ("transforms.rename.renames", "line:text"),
            (
                "transforms.meta.type",
                "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value",
            ),
            ("transforms.meta.schema.name", "com.example.Line"),
            ("transforms.meta.schema.version", "3"),
        ],
        records: 6,
        topic_suffix: "",
    },
    Chain {
        name: "headers",
        lines: TEXT,
        settings: &[
            ("transforms", "h1,hoist,copy,drop"),
            (
                "transforms.h1.type",
                "org.apache.kafka.connect.transforms.InsertHeader",
            ),
            ("transforms.h1.header", "h1"),
            ("transforms.h1.value.literal", "v1"),
            (
                "transforms.hoist.type",
                "org.apache.kafka.connect.transforms.HoistField$Value",
            ),
            ("transforms.hoist.field", "line"),
            (
                "transforms.copy.type",
                "org.apache.kafka.connect.transforms.HeaderFrom$Value",
            ),
            ("transforms.copy.fields", "line"),
            ("transforms.copy.headers", "copied"),
            ("transforms.copy.operation", "copy"),
            (
                "transforms.drop.type",
                "org.apache.kafka.connect.transforms.DropHeaders",
            ),
            ("transforms.drop.headers", "h1"),
        ],
        records: 6,
        topic_suffix: "",
    },
    Chain {
        name: "predicates-route",
        lines: TEXT,
        settings: &[
            ("transforms", "hoist,skip,route"),
            (
                "transforms.hoist.type",
                "org.apache.kafka.connect.transforms.HoistField$Value",
            ),
            ("transforms.hoist.field", "line"),
            ("transforms.hoist.predicate", "tomb"),
            ("transforms.hoist.negate", "true"),
            (
                "transforms.skip.type",
                "org.apache.kafka.connect.transforms.Filter",
            ),
            ("transforms.skip.predicate", "tomb"),
            (
                "transforms.route.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            ("transforms.route.regex", "(.*)"),
            ("transforms.route.replacement", "$1-routed"),
            ("predicates", "tomb"),
            (
                "predicates.tomb.type",
                "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
            ),
        ],
        records: 6,
        topic_suffix: "-routed",
    },
    Chain {
        name: "cast-flatten",
        lines: NUMBERS,
        settings: &[
            ("transforms", "hoist,cast,outer,flat"),
            (
                "transforms.hoist.type",
                "org.apache.kafka.connect.transforms.HoistField$Value",
            ),
            ("transforms.hoist.field", "n"),
            (
                "transforms.cast.type",
                "org.apache.kafka.connect.transforms.Cast$Value",
            ),
            ("transforms.cast.spec", "n:int64"),
            (
                "transforms.outer.type",
                "org.apache.kafka.connect.transforms.HoistField$Value",
            ),
            ("transforms.outer.field", "outer"),
            (
                "transforms.flat.type",
                "org.apache.kafka.connect.transforms.Flatten$Value",
            ),
            ("transforms.flat.delimiter", "_"),
        ],
        records: 4,
        topic_suffix: "",
    },
];

fn connector_config(file: &str, topic: &str, chain: &Chain) -> Value {
    let mut c = Map::new();
    for (k, v) in [
        (
            "connector.class",
            "org.apache.kafka.connect.file.FileStreamSourceConnector",
        ),
        ("tasks.max", "1"),
        (
            "key.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("key.converter.schemas.enable", "true"),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("value.converter.schemas.enable", "true"),
        ("topic.creation.default.partitions", "1"),
        ("topic.creation.default.replication.factor", "1"),
    ] {
        c.insert(k.into(), json!(v));
    }
    c.insert("file".into(), json!(file));
    c.insert("topic".into(), json!(topic));
    for (k, v) in chain.settings {
        c.insert((*k).into(), json!(v));
    }
    Value::Object(c)
}

async fn create(rest: &RestClient, name: &str, config: &Value) -> Result<(), BoxError> {
    let r = rest
        .post("/connectors", &json!({"name": name, "config": config}))
        .await?;
    if r.status != 201 {
        return Err(format!(
            "creating {name} on {}: {} {}",
            rest.base(),
            r.status,
            r.text
        )
        .into());
    }
    Ok(())
}

/// One record as compared: key and value text, and the headers.
type Compared = (
    Option<String>,
    Option<String>,
    Vec<(String, Option<String>)>,
);

/// What is compared: everything but the timestamp.
fn comparable(records: &[TopicRecord]) -> Vec<Compared> {
    records
        .iter()
        .map(|r| {
            let headers = r
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_deref()
                            .map(|v| String::from_utf8_lossy(v).into_owned()),
                    )
                })
                .collect();
            (r.key_text(), r.value_text(), headers)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filestream_records_through_transform_chains_match_the_jvm_worker_byte_for_byte()
-> Result<(), BoxError> {
    if !it_enabled() {
        eprintln!("skipped, set CONNECT_IT=1 to run service-backed tests");
        return Ok(());
    }
    let broker = Broker::try_shared().await?;
    let bootstrap = broker.bootstrap().to_owned();
    let Some(jvm) = JvmWorker::builder().start(&bootstrap).await? else {
        return Ok(());
    };
    let mut sluice = Worker::builder().start().await?;
    let dir = tempfile::tempdir()?;
    let id = random_name("smt");
    // Given each chain's input file, read by a FileStream source on each worker.
    for chain in CHAINS {
        let file = dir.path().join(format!("{}.txt", chain.name));
        let text: String = chain.lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&file, text)?;
        let file = file.display().to_string();
        for (label, rest) in [("jvm", jvm.rest()), ("sluice", sluice.rest())] {
            let topic = format!("{id}-{}-{label}", chain.name);
            create(
                &rest,
                &format!("{}-{label}", chain.name),
                &connector_config(&file, &topic, chain),
            )
            .await?;
        }
    }
    // Then each chain's two topics hold the same records.
    let mut mismatches = Vec::new();
    for chain in CHAINS {
        let mut read = Vec::new();
        for label in ["jvm", "sluice"] {
            let topic = format!("{id}-{}-{label}{}", chain.name, chain.topic_suffix);
            let records = read_topic(
                &bootstrap,
                &topic,
                Until::Count {
                    n: chain.records,
                    settle: Duration::from_millis(500),
                },
            )
            .await?;
            read.push(comparable(&records));
        }
        let (jvm_records, sluice_records) = (&read[0], &read[1]);
        if jvm_records.len() != chain.records || jvm_records != sluice_records {
            mismatches.push(format!(
                "chain {}:\n  jvm:    {jvm_records:?}\n  sluice: {sluice_records:?}",
                chain.name
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{}\nsluice log:\n{}\njvm log:\n{}",
        mismatches.join("\n"),
        sluice.log_tail(40),
        jvm.log_tail(40)
    );
    sluice.stop(Duration::from_secs(10)).await?;
    Ok(())
}
