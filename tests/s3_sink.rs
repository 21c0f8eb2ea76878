//! The Confluent-compatible S3 sink through the real worker, against tansu and s3s-fs.
//!
//! - The article's two connector configs (`sink-s3-clickstream`: schemaless JSON + gzip,
//!   flush.size 100; `sink-s3-brazillian-ecommerce`: Debezium envelopes with schemas,
//!   `topics.regex`, flush.size 1000), with exact object keys and line-by-line contents.
//! - One exact-key test per partitioner / rotation mode the worker path supports: Default with
//!   flush.size, TimeBased and Daily with `timestamp.extractor=Record` and known record
//!   timestamps, `rotate.interval.ms`, and `rotate.schedule.interval.ms` (wall clock, so only
//!   the contiguity of the keys is pinned).
//! - Exactly-once under repeated SIGKILL, with and without scheduled rotation.
//! - Resident memory with 500 open files.
//!
//! Objects are read back over S3 (object_store), so the tests work against any endpoint.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use connect_e2e::{
    BoxError, Broker, S3, Worker, it_enabled, list_keys, object_lines, object_store as store,
    random_name,
};
use object_store::ObjectStore;
use rand::Rng as _;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(120);

fn skip(test: &str) -> bool {
    if it_enabled() {
        return false;
    }
    eprintln!("{test}: skipped, set CONNECT_IT=1 to run service-backed tests");
    true
}

/// 8 random characters, for names that must stay short.
fn short_id() -> String {
    let name = random_name("x");
    name[name.len() - 8..].to_owned()
}

// ---------------------------------------------------------------------------------------------
// Kafka

async fn create_topic(bootstrap: &str, topic: &str, partitions: i32) -> Result<(), BoxError> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()?;
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    for r in admin.create_topics([&new], &opts).await? {
        r.map_err(|(t, e)| format!("creating topic {t}: {e}"))?;
    }
    Ok(())
}

fn producer(bootstrap: &str) -> Result<FutureProducer, BoxError> {
    Ok(ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .set("message.timeout.ms", "60000")
        .create()?)
}

/// One record to produce: partition, key, value, timestamp (ms; `None` = now).
#[derive(Debug, Clone)]
struct Rec {
    partition: i32,
    key: Option<String>,
    value: String,
    ts: Option<i64>,
}

/// Sends `recs` (all in flight at once) and returns each one's offset, in input order.
async fn produce(p: &FutureProducer, topic: &str, recs: &[Rec]) -> Result<Vec<i64>, BoxError> {
    let mut offsets = Vec::with_capacity(recs.len());
    for chunk in recs.chunks(2000) {
        let sends = chunk.iter().map(|r| {
            let mut fr = FutureRecord::to(topic)
                .partition(r.partition)
                .payload(r.value.as_str());
            if let Some(k) = &r.key {
                fr = fr.key(k.as_str());
            }
            if let Some(ts) = r.ts {
                fr = fr.timestamp(ts);
            }
            p.send(fr, Duration::from_secs(60))
        });
        for (d, r) in futures::future::join_all(sends)
            .await
            .into_iter()
            .zip(chunk)
        {
            let d = d.map_err(|(e, _)| format!("producing to {topic}: {e}"))?;
            assert_eq!(d.partition, r.partition);
            offsets.push(d.offset);
        }
    }
    Ok(offsets)
}

/// What the topic holds, per partition, offset → value, built from the delivery reports.
type Expected = BTreeMap<i32, BTreeMap<i64, Value>>;

async fn produce_expected(
    p: &FutureProducer,
    topic: &str,
    recs: &[Rec],
    expected: &mut Expected,
) -> Result<(), BoxError> {
    let offsets = produce(p, topic, recs).await?;
    for (r, o) in recs.iter().zip(offsets) {
        let v: Value = serde_json::from_str(&r.value)?;
        // The sink writes the JsonConverter payload, not the envelope.
        let payload = match v.get("schema") {
            Some(_) => v["payload"].clone(),
            None => v,
        };
        expected.entry(r.partition).or_default().insert(o, payload);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Record generators

const MOCK_EVENTS: [&str; 5] = [
    "email_click",
    "link_1_click",
    "link_2_click",
    "link_3_click",
    "link_4_click",
];

/// One event as the article's `02_generate_clickstream.py` sends it: keyed by customer_id,
/// value `json.dumps({"timestamp", "daily", "EVENTS_TOPIC_NAME", "event_value"})`.
fn clickstream_event(i: usize, day: &str, partition: i32) -> Rec {
    let customer = format!(
        "{:032x}",
        0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(i as u64 + 1)
    );
    let value = json!({
        "timestamp": format!("{day}T10:{:02}:{:02}.{:06}", (i / 60) % 60, i % 60, i * 37 % 1_000_000),
        "daily": day,
        "EVENTS_TOPIC_NAME": MOCK_EVENTS[i % MOCK_EVENTS.len()],
        "event_value": i % 2,
    });
    Rec {
        partition,
        // kafka-python sends the key as raw bytes; as a JSON string it survives the
        // article's key.converter (JsonConverter, schemas off).
        key: Some(format!("\"{customer}\"")),
        value: value.to_string(),
        ts: None,
    }
}

/// A Debezium MySQL change event for `brazillian_ecommerce.<table>` in the JsonConverter
/// envelope (schemas on), as the article's Debezium source produces it.
fn debezium_event(server: &str, table: &str, id: usize, partition: i32) -> Rec {
    let row_fields = json!([
        {"type": "string", "optional": false, "field": "id"},
        {"type": "string", "optional": true, "field": "status"},
        {"type": "int32", "optional": true, "field": "items"},
        {"type": "double", "optional": true, "field": "price"},
        {"type": "int64", "optional": true, "name": "io.debezium.time.Timestamp", "version": 1, "field": "purchased_at"}
    ]);
    let name = format!("{server}.brazillian_ecommerce.{table}");
    let row_schema = |field: &str| {
        json!({"type": "struct", "fields": row_fields, "optional": true,
               "name": format!("{name}.Value"), "field": field})
    };
    let schema = json!({
        "type": "struct",
        "fields": [
            row_schema("before"),
            row_schema("after"),
            {"type": "struct", "optional": false, "name": "io.debezium.connector.mysql.Source", "field": "source", "fields": [
                {"type": "string", "optional": false, "field": "version"},
                {"type": "string", "optional": false, "field": "connector"},
                {"type": "string", "optional": false, "field": "name"},
                {"type": "int64", "optional": false, "field": "ts_ms"},
                {"type": "string", "optional": true, "name": "io.debezium.data.Enum", "version": 1,
                 "parameters": {"allowed": "true,last,false,incremental"}, "default": "false", "field": "snapshot"},
                {"type": "string", "optional": false, "field": "db"},
                {"type": "string", "optional": true, "field": "table"},
                {"type": "int64", "optional": false, "field": "server_id"},
                {"type": "string", "optional": false, "field": "file"},
                {"type": "int64", "optional": false, "field": "pos"},
                {"type": "int32", "optional": false, "field": "row"}
            ]},
            {"type": "string", "optional": false, "field": "op"},
            {"type": "int64", "optional": true, "field": "ts_ms"}
        ],
        "optional": false,
        "name": format!("{name}.Envelope"),
        "version": 1
    });
    let payload = json!({
        "before": null,
        "after": {
            "id": format!("{table}-{id:06}"),
            "status": if id.is_multiple_of(3) { "delivered" } else { "shipped \"fast\" ✓" },
            "items": (id % 7) as i32,
            "price": (id as f64) * 1.25 + 0.5,
            "purchased_at": 1_500_000_000_000_i64 + id as i64 * 1000,
        },
        "source": {
            "version": "2.7.3.Final", "connector": "mysql", "name": server,
            "ts_ms": 1_700_000_000_000_i64 + id as i64, "snapshot": "true",
            "db": "brazillian_ecommerce", "table": table, "server_id": 0,
            "file": "mysql-bin.000003", "pos": 157 + id as i64, "row": 0
        },
        "op": "r",
        "ts_ms": 1_700_000_000_500_i64 + id as i64,
    });
    let key = json!({
        "schema": {"type": "struct", "fields": [{"type": "string", "optional": false, "field": "id"}],
                   "optional": false, "name": format!("{name}.Key")},
        "payload": {"id": format!("{table}-{id:06}")}
    });
    Rec {
        partition,
        key: Some(key.to_string()),
        value: json!({"schema": schema, "payload": payload}).to_string(),
        ts: None,
    }
}

/// A schemaless JSON record carrying a unique id (for exactly-once counting).
fn id_event(id: usize, partitions: i32, ts: Option<i64>) -> Rec {
    Rec {
        partition: (id % partitions as usize) as i32,
        key: None,
        value: json!({"id": id, "page": format!("/product/{}", id % 977), "session": id / 13})
            .to_string(),
        ts,
    }
}

// ---------------------------------------------------------------------------------------------
// S3

/// Waits until `prefix` holds at least `n` objects and returns the keys.
async fn wait_for_keys(
    store: &dyn ObjectStore,
    prefix: &str,
    n: usize,
    worker: &Worker,
) -> Result<Vec<String>, BoxError> {
    let deadline = Instant::now() + WAIT;
    loop {
        let last = list_keys(store, prefix).await?;
        if last.len() >= n {
            return Ok(last);
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{prefix}: {} objects after {WAIT:?}, want {n}: {last:#?}\nworker log:\n{}",
                last.len(),
                worker.log_tail(60)
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `<dir>/<topic>/<encoded>/<topic>+<p>+<offset padded to 10><ext>`.
fn object_key(
    dir: &str,
    topic: &str,
    encoded: &str,
    partition: i32,
    start: i64,
    ext: &str,
) -> String {
    format!("{dir}/{topic}/{encoded}/{topic}+{partition}+{start:010}{ext}")
}

/// Asserts the object at `key` holds exactly the records at `offsets` of `partition`, one JSON
/// line each, in offset order.
async fn assert_object(
    store: &dyn ObjectStore,
    key: &str,
    expected: &Expected,
    partition: i32,
    offsets: impl IntoIterator<Item = i64>,
) -> Result<(), BoxError> {
    let lines = object_lines(store, key).await?;
    let want: Vec<&Value> = offsets
        .into_iter()
        .map(|o| &expected[&partition][&o])
        .collect();
    assert_eq!(lines.len(), want.len(), "record count of {key}");
    for (i, (line, want)) in lines.iter().zip(want).enumerate() {
        let got: Value = serde_json::from_str(line)
            .map_err(|e| format!("{key} line {i} is not JSON ({e}): {line}"))?;
        assert_eq!(&got, want, "{key} line {i}");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Connector configs

/// The article's `sink-s3-clickstream`, pointed at the test endpoint and unique names.
fn clickstream_config(s3: &S3, topics_dir: &str, topic: &str) -> Value {
    json!({
        "topics": topic,
        "topics.dir": topics_dir,
        "connector.class": "io.confluent.connect.s3.S3SinkConnector",
        "key.converter.schemas.enable": "false",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "s3.compression.type": "gzip",
        "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
        "flush.size": "100",
        "store.url": s3.endpoint(),
        "storage.class": "io.confluent.connect.s3.storage.S3Storage",
        "s3.region": "us-east-1",
        "s3.bucket.name": s3.bucket(),
        "aws.access.key.id": s3.access_key(),
        "aws.secret.access.key": s3.secret_key()
    })
}

/// The article's `sink-s3-brazillian-ecommerce`, pointed at the test endpoint and unique names.
fn cdc_config(s3: &S3, topics_dir: &str, regex: &str) -> Value {
    json!({
        "topics.regex": regex,
        "topics.dir": topics_dir,
        "connector.class": "io.confluent.connect.s3.S3SinkConnector",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
        "flush.size": "1000",
        "store.url": s3.endpoint(),
        "storage.class": "io.confluent.connect.s3.storage.S3Storage",
        "s3.region": "us-east-1",
        "s3.bucket.name": s3.bucket(),
        "aws.access.key.id": s3.access_key(),
        "aws.secret.access.key": s3.secret_key()
    })
}

/// Schemaless JSON, no compression, `flush.size` given, plus `extra` settings.
fn plain_config(
    s3: &S3,
    topics_dir: &str,
    topic: &str,
    flush: u64,
    extra: &[(&str, &str)],
) -> Value {
    let mut c = clickstream_config(s3, topics_dir, topic);
    c["s3.compression.type"] = json!("none");
    c["flush.size"] = json!(flush.to_string());
    for (k, v) in extra {
        c[*k] = json!(v);
    }
    c
}

async fn create_connector(worker: &Worker, name: &str, config: &Value) -> Result<(), BoxError> {
    let rest = worker.rest();
    let r = rest
        .post("/connectors", &json!({"name": name, "config": config}))
        .await?;
    assert_eq!(r.status, 201, "{}", r.text);
    if let Err(e) = rest.wait_running(name, 1, WAIT).await {
        return Err(format!("{e}\nworker log:\n{}", worker.log_tail(40)).into());
    }
    Ok(())
}

struct Setup {
    broker: &'static Broker,
    s3: &'static S3,
    store: Arc<dyn ObjectStore>,
}

async fn setup() -> Result<Setup, BoxError> {
    let s3 = S3::try_shared().await?;
    Ok(Setup {
        broker: Broker::try_shared().await?,
        store: store(s3)?,
        s3,
    })
}

// ---------------------------------------------------------------------------------------------
// The article's configs

#[tokio::test]
async fn clickstream_config_writes_gzip_objects_of_flush_size_records() -> Result<(), BoxError> {
    if skip("clickstream_config_writes_gzip_objects_of_flush_size_records") {
        return Ok(());
    }
    let Setup { broker, s3, store } = setup().await?;
    let topic = random_name("clickstream_events");
    let dir = random_name("clickstream_events");
    create_topic(broker.bootstrap(), &topic, 3).await?;
    let worker = Worker::builder().start().await?;
    create_connector(
        &worker,
        &random_name("sink-s3-clickstream"),
        &clickstream_config(s3, &dir, &topic),
    )
    .await?;

    // Given 250 events on partition 0, 100 on partition 1 and 99 on partition 2.
    let p = producer(broker.bootstrap())?;
    let mut expected = Expected::new();
    let mut recs = Vec::new();
    for (partition, n) in [(0, 250), (1, 100), (2, 99)] {
        for i in 0..n {
            recs.push(clickstream_event(recs.len() + i, "2017-01-05", partition));
        }
    }
    produce_expected(&p, &topic, &recs, &mut expected).await?;

    // Then every full set of 100 records is one gzip object; the rest stays open.
    let key =
        |p: i32, o: i64| object_key(&dir, &topic, &format!("partition={p}"), p, o, ".json.gz");
    let keys = wait_for_keys(&*store, &dir, 3, &worker).await?;
    assert_eq!(keys, [key(0, 0), key(0, 100), key(1, 0)]);

    // When partition 0 gets 50 more and partition 2 one more, each completes one more file:
    // nothing of the open files was written early.
    let more: Vec<Rec> = (0..50)
        .map(|i| clickstream_event(1000 + i, "2017-01-06", 0))
        .chain([clickstream_event(2000, "2017-01-06", 2)])
        .collect();
    produce_expected(&p, &topic, &more, &mut expected).await?;
    let keys = wait_for_keys(&*store, &dir, 5, &worker).await?;
    assert_eq!(
        keys,
        [key(0, 0), key(0, 100), key(0, 200), key(1, 0), key(2, 0)]
    );
    for (k, part, start) in [(0, 0, 0), (1, 0, 100), (2, 0, 200), (3, 1, 0), (4, 2, 0)] {
        assert_object(&*store, &keys[k], &expected, part, start..start + 100).await?;
    }
    Ok(())
}

#[tokio::test]
async fn cdc_config_writes_debezium_payloads_per_table_topic() -> Result<(), BoxError> {
    if skip("cdc_config_writes_debezium_payloads_per_table_topic") {
        return Ok(());
    }
    let Setup { broker, s3, store } = setup().await?;
    // `dbserver1.<unique>.brazillian_ecommerce.<table>`, matched by the article's regex shape.
    // Short names: s3s-fs keeps per-object files named after the base64 of the key, so keys
    // over ~150 bytes fail there with "File name too long" (the article's keys are ~150).
    let id = short_id();
    let server = format!("dbserver1_{id}");
    let dir = format!("bec_{id}");
    let orders = format!("{server}.brazillian_ecommerce.orders");
    let customers = format!("{server}.brazillian_ecommerce.customers");
    let other = format!("{server}.other_db.orders");
    for t in [&orders, &customers, &other] {
        create_topic(broker.bootstrap(), t, 1).await?;
    }
    let worker = Worker::builder().start().await?;
    let regex = format!("{server}.brazillian_ecommerce.*");
    create_connector(
        &worker,
        &random_name("sink-s3-brazillian-ecommerce"),
        &cdc_config(s3, &dir, &regex),
    )
    .await?;

    // Given 2,300 order events, 1,000 customer events and some events of an unmatched topic.
    let p = producer(broker.bootstrap())?;
    let mut exp_orders = Expected::new();
    let mut exp_customers = Expected::new();
    let recs: Vec<Rec> = (0..2300)
        .map(|i| debezium_event(&server, "orders", i, 0))
        .collect();
    produce_expected(&p, &orders, &recs, &mut exp_orders).await?;
    let recs: Vec<Rec> = (0..1000)
        .map(|i| debezium_event(&server, "customers", i, 0))
        .collect();
    produce_expected(&p, &customers, &recs, &mut exp_customers).await?;
    let recs: Vec<Rec> = (0..1000)
        .map(|i| debezium_event(&server, "other", i, 0))
        .collect();
    produce(&p, &other, &recs).await?;

    // Then each table topic has one object per 1,000 records with the envelope's payload.
    let keys = wait_for_keys(&*store, &dir, 3, &worker).await?;
    let key = |t: &str, o: i64| object_key(&dir, t, "partition=0", 0, o, ".json");
    let mut want = vec![key(&orders, 0), key(&orders, 1000), key(&customers, 0)];
    want.sort();
    assert_eq!(keys, want);
    assert_object(&*store, &key(&orders, 0), &exp_orders, 0, 0..1000).await?;
    assert_object(&*store, &key(&orders, 1000), &exp_orders, 0, 1000..2000).await?;
    assert_object(&*store, &key(&customers, 0), &exp_customers, 0, 0..1000).await?;
    // Struct fields keep the schema's order (Confluent writes them in schema order).
    let first = object_lines(&*store, &key(&orders, 0)).await?.remove(0);
    assert!(first.starts_with(r#"{"before":null,"after":{"id":"orders-000000","status":"delivered","items":0,"price":0.5,"purchased_at":1500000000000},"source":{"version":"2.7.3.Final""#), "{first}");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Partitioners and rotation

const HOUR: i64 = 3_600_000;
/// 2024-03-01T00:00:00Z.
const MAR_1: i64 = 1_709_251_200_000;

#[tokio::test]
async fn time_based_partitioner_files_records_by_record_time_hour() -> Result<(), BoxError> {
    if skip("time_based_partitioner_files_records_by_record_time_hour") {
        return Ok(());
    }
    let Setup { broker, s3, store } = setup().await?;
    let topic = random_name("clicks");
    let dir = random_name("hourly");
    create_topic(broker.bootstrap(), &topic, 1).await?;
    let worker = Worker::builder().start().await?;
    let config = plain_config(
        s3,
        &dir,
        &topic,
        3,
        &[
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
            ),
            ("partition.duration.ms", "3600000"),
            ("path.format", "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH"),
            ("locale", "en-US"),
            ("timezone", "UTC"),
            ("timestamp.extractor", "Record"),
        ],
    );
    create_connector(&worker, &random_name("hourly"), &config).await?;

    // Offsets 0-2 in hour 10, 3-4 in hour 11, 5 in hour 12: flush.size 3 closes every open file
    // of the set at once (Confluent's commitFiles).
    let ts = [
        10 * HOUR + 900_000,
        10 * HOUR + 1_200_000,
        11 * HOUR - 1,
        11 * HOUR,
        11 * HOUR + 1_800_000,
        12 * HOUR + 600_000,
    ];
    let recs: Vec<Rec> = ts
        .iter()
        .enumerate()
        .map(|(i, t)| id_event(i, 1, Some(MAR_1 + t)))
        .collect();
    let p = producer(broker.bootstrap())?;
    let mut expected = Expected::new();
    produce_expected(&p, &topic, &recs, &mut expected).await?;
    let key = |h: &str, o: i64| {
        object_key(
            &dir,
            &topic,
            &format!("year=2024/month=03/day=01/hour={h}"),
            0,
            o,
            ".json",
        )
    };
    let keys = wait_for_keys(&*store, &dir, 3, &worker).await?;
    assert_eq!(keys, [key("10", 0), key("11", 3), key("12", 5)]);
    assert_object(&*store, &keys[0], &expected, 0, 0..3).await?;
    assert_object(&*store, &keys[1], &expected, 0, 3..5).await?;
    assert_object(&*store, &keys[2], &expected, 0, 5..6).await?;

    // Then hour 12 again and two late records of hour 10: another set of 3.
    let ts = [12 * HOUR + 700_000, 10 * HOUR + 5, 10 * HOUR + 6];
    let recs: Vec<Rec> = ts
        .iter()
        .enumerate()
        .map(|(i, t)| id_event(6 + i, 1, Some(MAR_1 + t)))
        .collect();
    produce_expected(&p, &topic, &recs, &mut expected).await?;
    let keys = wait_for_keys(&*store, &dir, 5, &worker).await?;
    assert_eq!(
        keys,
        [
            key("10", 0),
            key("10", 7),
            key("11", 3),
            key("12", 5),
            key("12", 6)
        ]
    );
    assert_object(&*store, &key("12", 6), &expected, 0, 6..7).await?;
    assert_object(&*store, &key("10", 7), &expected, 0, 7..9).await?;
    Ok(())
}

#[tokio::test]
async fn daily_partitioner_uses_the_configured_time_zone() -> Result<(), BoxError> {
    if skip("daily_partitioner_uses_the_configured_time_zone") {
        return Ok(());
    }
    let Setup { broker, s3, store } = setup().await?;
    let topic = random_name("orders");
    let dir = random_name("daily");
    create_topic(broker.bootstrap(), &topic, 1).await?;
    let worker = Worker::builder().start().await?;
    let config = plain_config(
        s3,
        &dir,
        &topic,
        2,
        &[
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.DailyPartitioner",
            ),
            ("locale", "pt-BR"),
            ("timezone", "America/Sao_Paulo"),
            ("timestamp.extractor", "Record"),
        ],
    );
    create_connector(&worker, &random_name("daily"), &config).await?;

    // São Paulo is UTC-3: until 03:00Z of 1 March it is still 29 February (a leap day) there,
    // and 2 March 02:00Z is 1 March 23:00.
    let ts = [1, 3 * HOUR - 1, 3 * HOUR, 26 * HOUR, 27 * HOUR, 30 * HOUR];
    let recs: Vec<Rec> = ts
        .iter()
        .enumerate()
        .map(|(i, t)| id_event(i, 1, Some(MAR_1 + t)))
        .collect();
    let p = producer(broker.bootstrap())?;
    let mut expected = Expected::new();
    produce_expected(&p, &topic, &recs, &mut expected).await?;
    let key = |d: &str, o: i64| object_key(&dir, &topic, d, 0, o, ".json");
    let keys = wait_for_keys(&*store, &dir, 3, &worker).await?;
    assert_eq!(
        keys,
        [
            key("year=2024/month=02/day=29", 0),
            key("year=2024/month=03/day=01", 2),
            key("year=2024/month=03/day=02", 4),
        ]
    );
    assert_object(&*store, &keys[0], &expected, 0, 0..2).await?;
    assert_object(&*store, &keys[1], &expected, 0, 2..4).await?;
    assert_object(&*store, &keys[2], &expected, 0, 4..6).await?;
    Ok(())
}

#[tokio::test]
async fn rotate_interval_closes_files_by_record_time() -> Result<(), BoxError> {
    if skip("rotate_interval_closes_files_by_record_time") {
        return Ok(());
    }
    let Setup { broker, s3, store } = setup().await?;
    let topic = random_name("events");
    let dir = random_name("rotate_interval");
    create_topic(broker.bootstrap(), &topic, 1).await?;
    let worker = Worker::builder().start().await?;
    let config = plain_config(
        s3,
        &dir,
        &topic,
        1000,
        &[
            (
                "partitioner.class",
                "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
            ),
            ("partition.duration.ms", "86400000"),
            ("path.format", "'dt'=YYYY-MM-dd"),
            ("locale", "en-US"),
            ("timezone", "UTC"),
            ("timestamp.extractor", "Record"),
            ("rotate.interval.ms", "60000"),
        ],
    );
    create_connector(&worker, &random_name("rotate-interval"), &config).await?;

    // A file spans less than 60 s of record time: the record at +60 s starts the next file,
    // and so does the one at +125 s (65 s after that file's first record).
    let t0 = MAR_1 + 10 * HOUR;
    let ts = [0, 10_000, 59_999, 60_000, 70_000, 125_000];
    let recs: Vec<Rec> = ts
        .iter()
        .enumerate()
        .map(|(i, t)| id_event(i, 1, Some(t0 + t)))
        .collect();
    let p = producer(broker.bootstrap())?;
    let mut expected = Expected::new();
    produce_expected(&p, &topic, &recs, &mut expected).await?;
    let key = |o: i64| object_key(&dir, &topic, "dt=2024-03-01", 0, o, ".json");
    let keys = wait_for_keys(&*store, &dir, 2, &worker).await?;
    assert_eq!(keys, [key(0), key(3)]);
    assert_object(&*store, &keys[0], &expected, 0, 0..3).await?;
    assert_object(&*store, &keys[1], &expected, 0, 3..5).await?;

    let recs = [id_event(6, 1, Some(t0 + 200_000))];
    produce_expected(&p, &topic, &recs, &mut expected).await?;
    let keys = wait_for_keys(&*store, &dir, 3, &worker).await?;
    assert_eq!(keys, [key(0), key(3), key(5)]);
    assert_object(&*store, &keys[2], &expected, 0, 5..6).await?;
    Ok(())
}

#[tokio::test]
async fn rotate_schedule_interval_flushes_an_idle_partial_file() -> Result<(), BoxError> {
    if skip("rotate_schedule_interval_flushes_an_idle_partial_file") {
        return Ok(());
    }
    let Setup { broker, s3, store } = setup().await?;
    let topic = random_name("events");
    let dir = random_name("rotate_schedule");
    create_topic(broker.bootstrap(), &topic, 2).await?;
    let worker = Worker::builder().start().await?;
    let config = plain_config(
        s3,
        &dir,
        &topic,
        1000,
        &[("rotate.schedule.interval.ms", "2000"), ("timezone", "UTC")],
    );
    create_connector(&worker, &random_name("rotate-schedule"), &config).await?;

    // Far fewer records than flush.size: only the wall-clock schedule can close the files.
    let recs: Vec<Rec> = (0..10).map(|i| id_event(i, 2, None)).collect();
    let p = producer(broker.bootstrap())?;
    let mut expected = Expected::new();
    produce_expected(&p, &topic, &recs, &mut expected).await?;
    // Where the schedule cuts depends on the wall clock, so check the keys tile each partition.
    let keys = wait_for_all_records(&*store, &dir, 10, &worker).await?;
    assert_exactly_once(&keys, &dir, &topic, 2, 10)?;
    assert!(keys.values().all(|lines| !lines.is_empty()));
    for (key, lines) in &keys {
        let (part, start) = parse_key(key, &dir, &topic).ok_or("bad key")?;
        assert_object(
            &*store,
            key,
            &expected,
            part,
            start..start + lines.len() as i64,
        )
        .await?;
    }
    Ok(())
}

/// The demo's drain step: a sink holding open, partial files is reconfigured (PUT config adding
/// `rotate.schedule.interval.ms`). The restarted task must resume from the last complete file,
/// so the partial files' records are written by the new task, not skipped.
#[tokio::test]
async fn reconfiguring_a_sink_with_open_files_loses_none_of_their_records() -> Result<(), BoxError>
{
    if skip("reconfiguring_a_sink_with_open_files_loses_none_of_their_records") {
        return Ok(());
    }
    let Setup { broker, s3, store } = setup().await?;
    let topic = random_name("events");
    let dir = random_name("reconfigure");
    create_topic(broker.bootstrap(), &topic, 2).await?;
    let worker = Worker::builder().start().await?;
    let name = random_name("reconfigure");
    let config = plain_config(s3, &dir, &topic, 10, &[]);
    create_connector(&worker, &name, &config).await?;

    // Given 25 records per partition: two full files each, five records left open.
    let recs: Vec<Rec> = (0..50).map(|i| id_event(i, 2, None)).collect();
    let p = producer(broker.bootstrap())?;
    let mut expected = Expected::new();
    produce_expected(&p, &topic, &recs, &mut expected).await?;
    let keys = wait_for_keys(&*store, &dir, 4, &worker).await?;
    assert_eq!(keys.len(), 4, "{keys:?}");
    // Let the runtime commit the complete files (offset.flush.interval.ms) before the PUT.
    tokio::time::sleep(Duration::from_secs(3)).await;

    // When the config is replaced with one that also rotates on a schedule,
    let mut drained = config.clone();
    drained["rotate.schedule.interval.ms"] = json!("2000");
    drained["timezone"] = json!("UTC");
    let r = worker
        .rest()
        .put(&format!("/connectors/{name}/config"), &drained)
        .await?;
    assert_eq!(r.status, 200, "{}", r.text);

    // Then the open records reach the bucket, once each, where the last files ended.
    let objects = wait_for_all_records(&*store, &dir, 50, &worker).await?;
    assert_exactly_once(&objects, &dir, &topic, 2, 50)?;
    Ok(())
}

/// S3 goes away for a while: the task keeps RUNNING (retrying, neither failing nor dropping its
/// records), and once S3 is back every record is in exactly one object.
#[tokio::test]
async fn an_s3_outage_pauses_the_sink_and_it_resumes_with_nothing_lost_or_doubled()
-> Result<(), BoxError> {
    if skip("an_s3_outage_pauses_the_sink_and_it_resumes_with_nothing_lost_or_doubled") {
        return Ok(());
    }
    let broker = Broker::try_shared().await?;
    // A private s3s-fs, so that stopping it hurts nobody else.
    let mut s3 = S3::start().await?;
    let objects_store = store(&s3)?;
    let topic = random_name("events");
    let dir = random_name("outage");
    create_topic(broker.bootstrap(), &topic, 2).await?;
    let worker = Worker::builder().start().await?;
    let name = random_name("outage");
    let config = plain_config(
        &s3,
        &dir,
        &topic,
        10,
        &[("s3.part.retries", "1"), ("s3.retry.backoff.ms", "50")],
    );
    create_connector(&worker, &name, &config).await?;
    let p = producer(broker.bootstrap())?;
    let mut expected = Expected::new();
    let first: Vec<Rec> = (0..40).map(|i| id_event(i, 2, None)).collect();
    produce_expected(&p, &topic, &first, &mut expected).await?;
    wait_for_all_records(&*objects_store, &dir, 40, &worker).await?;

    // When S3 is down while records keep coming,
    s3.stop().await?;
    let second: Vec<Rec> = (40..80).map(|i| id_event(i, 2, None)).collect();
    produce_expected(&p, &topic, &second, &mut expected).await?;
    tokio::time::sleep(Duration::from_secs(8)).await;
    // then the task is still running (retriable failures do not fail it),
    let status = worker.rest().connector_status(&name).await?;
    assert!(
        status.tasks.iter().all(|t| t.state == "RUNNING"),
        "{status:?}\nworker log:\n{}",
        worker.log_tail(40)
    );
    assert!(
        worker.log_tail(400).contains("S3 is unavailable"),
        "the outage was noticed and retried:\n{}",
        worker.log_tail(40)
    );

    // and once S3 is back, everything lands exactly once.
    s3.restart().await?;
    let objects = wait_for_all_records(&*objects_store, &dir, 80, &worker).await?;
    assert_exactly_once(&objects, &dir, &topic, 2, 80)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Exactly-once under SIGKILL

/// `(partition, start offset)` from `<dir>/<topic>/partition=<p>/<topic>+<p>+<start>.json[.gz]`.
fn parse_key(key: &str, dir: &str, topic: &str) -> Option<(i32, i64)> {
    let rest = key.strip_prefix(&format!("{dir}/{topic}/partition="))?;
    let (p, file) = rest.split_once('/')?;
    let tail = file.strip_prefix(&format!("{topic}+{p}+"))?;
    let start = tail.split('.').next()?;
    Some((p.parse().ok()?, start.parse().ok()?))
}

/// Reads every object under `dir` (each once, as they appear) until they hold at least `n`
/// records in total; returns key → lines.
async fn wait_for_all_records(
    store: &dyn ObjectStore,
    dir: &str,
    n: usize,
    worker: &Worker,
) -> Result<BTreeMap<String, Vec<String>>, BoxError> {
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let deadline = Instant::now() + WAIT;
    loop {
        for k in list_keys(store, dir).await? {
            if let std::collections::btree_map::Entry::Vacant(e) = seen.entry(k) {
                let lines = object_lines(store, e.key()).await?;
                e.insert(lines);
            }
        }
        let total: usize = seen.values().map(Vec::len).sum();
        if total >= n {
            return Ok(seen);
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{dir}: {total} of {n} records in {} objects after {WAIT:?}\nworker log:\n{}",
                seen.len(),
                worker.log_tail(60)
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Every id `0..n` in exactly one line, and per partition the objects tile the offsets from 0
/// with neither gap nor overlap.
fn assert_exactly_once(
    objects: &BTreeMap<String, Vec<String>>,
    dir: &str,
    topic: &str,
    partitions: i32,
    n: usize,
) -> Result<(), BoxError> {
    let mut count = vec![0u32; n];
    let mut extra = Vec::new();
    let mut tiles: BTreeMap<i32, Vec<(i64, usize)>> = BTreeMap::new();
    for (key, lines) in objects {
        let (p, start) =
            parse_key(key, dir, topic).ok_or_else(|| format!("unexpected key {key}"))?;
        tiles.entry(p).or_default().push((start, lines.len()));
        for line in lines {
            let v: Value = serde_json::from_str(line)?;
            match v["id"].as_u64().map(|i| i as usize) {
                Some(i) if i < n => count[i] += 1,
                _ => extra.push(line.clone()),
            }
        }
    }
    let missing: Vec<usize> = (0..n).filter(|&i| count[i] == 0).collect();
    let doubled: Vec<usize> = (0..n).filter(|&i| count[i] > 1).collect();
    assert!(
        missing.is_empty() && doubled.is_empty() && extra.is_empty(),
        "{} missing (first {:?}), {} duplicated (first {:?}), {} unknown lines",
        missing.len(),
        &missing[..missing.len().min(10)],
        doubled.len(),
        &doubled[..doubled.len().min(10)],
        extra.len()
    );
    assert_eq!(
        tiles.len(),
        partitions as usize,
        "objects for every partition"
    );
    for (p, mut t) in tiles {
        t.sort_unstable();
        let mut next = 0;
        for (start, len) in t {
            assert_eq!(
                start, next,
                "partition {p}: object at {start}, expected {next}"
            );
            next = start + len as i64;
        }
    }
    Ok(())
}

/// Produces unique ids to a 3-partition topic at a steady pace while SIGKILLing and restarting
/// the worker twenty times at random moments (at least `min_records` in all); then checks
/// exactly-once.
async fn survive_sigkills(
    label: &str,
    flush: u64,
    min_records: usize,
    extra: &[(&str, &str)],
) -> Result<(), BoxError> {
    const PARTITIONS: i32 = 3;
    const KILLS: u32 = 20;
    let Setup { broker, s3, store } = setup().await?;
    let topic = random_name(label);
    let dir = random_name(label);
    create_topic(broker.bootstrap(), &topic, PARTITIONS).await?;
    // max.poll.interval.ms bounds how long tansu holds a rebalance for a member killed in the
    // middle of joining: with librdkafka's default (300 s) a kill during start-up stalls the
    // restarted task for up to 5 minutes (reported to the runtime owner, see BENCHMARKS.md).
    // A restarted worker runs its work once the Connect group has dropped its killed
    // incarnation, after `session.timeout.ms` (10 s by default, as for a JVM worker): a short
    // session keeps twenty kills within the test's time.
    let mut worker = Worker::builder()
        .env("OFFSET_FLUSH_INTERVAL_MS", "1000")
        .env("CONNECT_CONSUMER_MAX_POLL_INTERVAL_MS", "15000")
        .env("CONNECT_SESSION_TIMEOUT_MS", "6000")
        .env("CONNECT_HEARTBEAT_INTERVAL_MS", "2000")
        // A restarted incarnation that tansu 0.6 makes join as a new member while the killed
        // one is still listed (its SyncGroup comes back empty) would find its old assignment
        // "lost" and, as Kafka's assignor, hold it for scheduled.rebalance.max.delay.ms (5 min):
        // seen once in a full run, 42,802 of 54,600 records after the last kill. Reassign at once.
        .env("CONNECT_SCHEDULED_REBALANCE_MAX_DELAY_MS", "0")
        // The sink's consumer group likewise drops a killed consumer after its session (45 s
        // by default): 10 s keeps each restart short without expelling a live consumer when
        // the broker is slow to answer under load.
        .env("CONNECT_CONSUMER_SESSION_TIMEOUT_MS", "10000")
        .start()
        .await?;
    let name = random_name(label);
    create_connector(
        &worker,
        &name,
        &plain_config(s3, &dir, &topic, flush, extra),
    )
    .await?;

    // The producer runs throughout the kills, 300 records (100 per partition, whole files by
    // count) per `pause`, so every kill that waits for the worker to write finds data: a fixed
    // amount paced over a fixed time ran dry when restarts slowed down (a restarted worker
    // waits for the Connect group to drop its killed incarnation). Once the kills are over it
    // tops up to at least `min_records` at once; the total is what the bucket must hold.
    let produced = Arc::new(AtomicUsize::new(0));
    let kills_done = Arc::new(AtomicBool::new(false));
    let prod = {
        let p = producer(broker.bootstrap())?;
        let topic = topic.clone();
        let produced = produced.clone();
        let kills_done = kills_done.clone();
        tokio::spawn(async move {
            let burst = 100 * PARTITIONS as usize;
            let pause = Duration::from_millis(2_000);
            let mut next = 0;
            while !kills_done.load(Ordering::Relaxed) || next < min_records {
                let recs: Vec<Rec> = (next..next + burst)
                    .map(|i| id_event(i, PARTITIONS, None))
                    .collect();
                produce(&p, &topic, &recs).await?;
                next += burst;
                produced.fetch_add(recs.len(), Ordering::Relaxed);
                if !kills_done.load(Ordering::Relaxed) {
                    tokio::time::sleep(pause).await;
                }
            }
            Ok::<_, BoxError>(next)
        })
    };

    // A quarter of the kills hit the restarted worker at a random moment of its first 3 s
    // (start-up, group join, recovery in `open`); the others land while it is writing: after
    // it has completed at least one more object, plus a random 0-1.5 s (mid-file, mid-upload or
    // mid-commit).
    let started = Instant::now();
    let mut mid_stream = 0;
    for k in 0..KILLS {
        let restarted = Instant::now();
        // Every fourth kill (five of twenty): a random draw sometimes gave seven or more, and
        // the restart after an early kill is the slow one (the groups still hold the
        // incarnation killed mid-join), which left too few kills to land mid-write.
        let early = k % 4 == 3;
        let before = list_keys(&*store, &dir).await.map(|k| k.len()).unwrap_or(0);
        let mut objects = before;
        let mut mid = false;
        if early {
            let delay = rand::rng().random_range(0..3000);
            tokio::time::sleep(Duration::from_millis(delay)).await;
        } else {
            // 45 s: a restart takes 7-20 s, plus up to 20 s of rebalance stall after an early
            // kill (the stuck-join fallback) on a loaded machine.
            while objects == before && restarted.elapsed() < Duration::from_secs(45) {
                tokio::time::sleep(Duration::from_millis(100)).await;
                objects = list_keys(&*store, &dir)
                    .await
                    .map(|k| k.len())
                    .unwrap_or(objects);
            }
            mid = objects > before;
            if mid {
                mid_stream += 1;
            }
            let delay = rand::rng().random_range(0..1500);
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        eprintln!(
            "{label}: kill {} {:?} after start ({}; {objects} objects; {} produced; {:?} elapsed)",
            k + 1,
            restarted.elapsed(),
            match (early, mid) {
                (true, _) => "early",
                (false, true) => "while writing",
                (false, false) => "no progress within 45 s",
            },
            produced.load(Ordering::Relaxed),
            started.elapsed()
        );
        worker.kill().await?;
        worker.restart().await?;
    }
    kills_done.store(true, Ordering::Relaxed);
    let n = prod.await??;
    eprintln!(
        "{label}: producer done, {} kills in {:?}",
        KILLS,
        started.elapsed()
    );

    let objects = wait_for_all_records(&*store, &dir, n, &worker).await?;
    // Give a late duplicate (a replayed file written twice) the chance to show up.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let objects = wait_for_all_records(&*store, &dir, n, &worker)
        .await
        .map(|mut o| {
            o.extend(objects);
            o
        })?;
    eprintln!(
        "{label}: {} objects, all read back after {:?}",
        objects.len(),
        started.elapsed()
    );
    assert_exactly_once(&objects, &dir, &topic, PARTITIONS, n)?;
    assert_eq!(worker.starts(), KILLS + 1);
    assert!(
        mid_stream >= KILLS / 2,
        "only {mid_stream} of {KILLS} kills came while the worker was writing"
    );
    Ok(())
}

#[tokio::test]
async fn every_record_lands_once_across_twenty_sigkills() -> Result<(), BoxError> {
    if skip("every_record_lands_once_across_twenty_sigkills") {
        return Ok(());
    }
    // Bursts of 100 per partition: a multiple of flush.size, so every file closes by count.
    survive_sigkills("crash_count", 100, 20_100, &[]).await
}

// This test found two defects beyond the sink's own rules. (1) tansu's memory:// engine skips the
// rest of a batch when a fetch starts inside it (the harness runs tansu on SQLite;
// `reconfiguring_a_sink_with_open_files_loses_none_of_their_records` covers it). (2) After a
// kill, tansu 0.6 can keep a dead incarnation as the group leader and answer every SyncGroup
// of the static member with REBALANCE_IN_PROGRESS, because it expires dead members only on
// requests without `group.instance.id`; the runtime now rejoins as a dynamic member when the
// first join does not complete in 20 s (`STUCK_JOIN` in connect-runtime's task/sink.rs).
#[tokio::test]
async fn every_record_lands_once_across_twenty_sigkills_with_scheduled_rotation()
-> Result<(), BoxError> {
    if skip("every_record_lands_once_across_twenty_sigkills_with_scheduled_rotation") {
        return Ok(());
    }
    // Wall-clock rotation makes file boundaries differ between incarnations: recovery must
    // replay to the boundaries already in the bucket.
    survive_sigkills(
        "crash_sched",
        1000,
        20_000,
        &[("rotate.schedule.interval.ms", "1500"), ("timezone", "UTC")],
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Memory

/// `VmRSS` and `VmHWM` of a process, in KiB.
fn rss_kib(pid: u32) -> Result<(u64, u64), BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> Result<u64, BoxError> {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .ok_or_else(|| format!("no {name} in /proc/{pid}/status"))?;
        Ok(line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()?)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// BENCHMARKS.md (S3 sink, memory): measured peak 45 MiB (194 MiB before gzip streams started
/// lazily); the bound leaves ~4x headroom for allocator and machine noise.
const RSS_BOUND_MIB: u64 = 200;

#[tokio::test]
async fn five_hundred_open_gzip_files_stay_under_the_memory_bound() -> Result<(), BoxError> {
    if skip("five_hundred_open_gzip_files_stay_under_the_memory_bound") {
        return Ok(());
    }
    const PARTITIONS: i32 = 500;
    let Setup { broker, s3, store } = setup().await?;
    let topic = random_name("wide");
    let dir = random_name("wide");
    create_topic(broker.bootstrap(), &topic, PARTITIONS).await?;
    let worker = Worker::builder().start().await?;
    let pid = worker.pid().ok_or("worker has no pid")?;
    // The article's clickstream config (gzip): every open file has its own deflate stream.
    let mut config = clickstream_config(s3, &dir, &topic);
    config["flush.size"] = json!("20");
    create_connector(&worker, &random_name("wide"), &config).await?;
    let idle = rss_kib(pid)?;

    // 30 records per partition: one object of 20 proves the partition flows, and the next 10
    // stay in an open file.
    let recs: Vec<Rec> = (0..30 * PARTITIONS as usize)
        .map(|i| clickstream_event(i, "2017-01-05", (i % PARTITIONS as usize) as i32))
        .collect();
    produce(&producer(broker.bootstrap())?, &topic, &recs).await?;
    let keys = wait_for_keys(&*store, &dir, PARTITIONS as usize, &worker).await?;
    assert_eq!(
        keys.len(),
        PARTITIONS as usize,
        "one object per partition, files still open"
    );
    let mut max_rss = 0;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        max_rss = max_rss.max(rss_kib(pid)?.0);
    }
    let (_, hwm) = rss_kib(pid)?;
    eprintln!(
        "memory: idle RSS {} MiB; with {PARTITIONS} open gzip files RSS max {} MiB, peak (VmHWM) {} MiB",
        idle.0 / 1024,
        max_rss / 1024,
        hwm / 1024
    );
    assert!(
        hwm < RSS_BOUND_MIB * 1024,
        "peak RSS {} MiB over the {RSS_BOUND_MIB} MiB bound",
        hwm / 1024
    );
    assert_eq!(list_keys(&*store, &dir).await?.len(), PARTITIONS as usize);
    Ok(())
}
