//! The Debezium MySQL source end to end: the article's connector JSON posted to a real worker
//! over REST against MariaDB and a real broker, checked for Debezium's topics and record
//! content, and for at-least-once delivery across repeated SIGKILLs during the snapshot and
//! during streaming.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connect_e2e::{
    BoxError, Broker, Mysql, TopicRecord, Until, Worker, consumer_from_beginning, it_enabled,
    random_name, read_topic, wait_until,
};
use mysql_async::prelude::Queryable;
use rand::Rng;
use rdkafka::message::Message;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);
const TABLE: &str = "olist_orders_dataset";

fn skip(test: &str) -> bool {
    if it_enabled() {
        return false;
    }
    eprintln!("{test}: skipped, set CONNECT_IT=1 to run service-backed tests");
    true
}

/// The article's `olist_orders_dataset`: eight varchar columns, `order_id` the primary key.
fn create_table_sql(db: &str) -> String {
    format!(
        "CREATE TABLE `{db}`.{TABLE} (
            order_id varchar(32),
            customer_id varchar(32),
            order_status varchar(16),
            order_purchase_timestamp varchar(32),
            order_approved_at varchar(32),
            order_delivered_carrier_date varchar(32),
            order_delivered_customer_date varchar(32),
            order_estimated_delivery_date varchar(32),
            PRIMARY KEY (order_id)
        )"
    )
}

/// Zero-padded so the key order (the chunked snapshot's order) is the numeric order.
fn order_id(i: u64) -> String {
    format!("{i:010}")
}

fn row_values(i: u64) -> String {
    format!(
        "('{}', 'c{i}', 'delivered', '2017-10-02 10:56:33', '2017-10-02 11:07:15', \
         '2017-10-04 19:55:00', '2017-10-10 21:25:13', '2017-10-18 00:00:00')",
        order_id(i)
    )
}

fn insert_sql(db: &str, ids: std::ops::Range<u64>) -> String {
    let rows: Vec<String> = ids.map(row_values).collect();
    format!("INSERT INTO `{db}`.{TABLE} VALUES {}", rows.join(","))
}

/// The article's connector JSON (`demo/setup_connectors.sh`), with the addresses of this run and
/// names unique to the test so tests can share the broker and the server.
fn article_config(mysql: &Mysql, bootstrap: &str, db: &str, prefix: &str) -> Value {
    let server_id: u32 = rand::rng().random_range(100_000..2_000_000_000);
    json!({
        "connector.class": "io.debezium.connector.mysql.MySqlConnector",
        "tasks.max": "1",
        "database.hostname": mysql.host(),
        "database.port": mysql.port().to_string(),
        "database.user": "debezium",
        "database.password": "dbz",
        "database.server.id": server_id.to_string(),
        "database.include.list": db,
        "topic.prefix": prefix,
        "schema.history.internal.kafka.bootstrap.servers": bootstrap,
        "schema.history.internal.kafka.topic": format!("schema-changes.{db}"),
    })
}

/// One consumed record.
#[derive(Debug, Clone)]
struct Rec {
    partition: i32,
    offset: i64,
    key: Option<Value>,
    /// `None` for a tombstone.
    value: Option<Value>,
    raw_value: Option<Vec<u8>>,
}

fn parse(bytes: Option<&[u8]>) -> Option<Value> {
    bytes.map(|b| serde_json::from_slice(b).unwrap_or(Value::Null))
}

impl From<TopicRecord> for Rec {
    fn from(r: TopicRecord) -> Self {
        Self {
            partition: r.partition,
            offset: r.offset,
            key: parse(r.key.as_deref()),
            value: parse(r.value.as_deref()),
            raw_value: r.value,
        }
    }
}

/// Reads `topic` until `n` records were read, then keeps reading for `settle` to catch extras
/// (a count, not the watermarks: see [`read_topic`]). Sorted by (partition, offset).
async fn read_n(
    bootstrap: &str,
    topic: &str,
    n: usize,
    settle: Duration,
) -> Result<Vec<Rec>, BoxError> {
    let records = read_topic(bootstrap, topic, Until::Count { n, settle }).await?;
    Ok(records.into_iter().map(Rec::from).collect())
}

fn names(schema: &Value) -> Vec<String> {
    schema["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|x| x["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn field<'a>(schema: &'a Value, name: &str) -> &'a Value {
    schema["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|x| x["field"] == name))
        .unwrap_or(&Value::Null)
}

const COLUMNS: [&str; 8] = [
    "order_id",
    "customer_id",
    "order_status",
    "order_purchase_timestamp",
    "order_approved_at",
    "order_delivered_carrier_date",
    "order_delivered_customer_date",
    "order_estimated_delivery_date",
];

/// Checks one data-change record against Debezium 2.2's shape and returns its payload.
fn check_change(rec: &Rec, prefix: &str, db: &str) -> Value {
    let topic = format!("{prefix}.{db}.{TABLE}");
    let key = rec.key.as_ref().expect("data records have a key");
    assert_eq!(key["schema"]["name"], format!("{topic}.Key"), "{key}");
    assert_eq!(key["schema"]["type"], "struct");
    assert_eq!(key["schema"]["optional"], false);
    assert_eq!(names(&key["schema"]), ["order_id"]);
    assert_eq!(
        field(&key["schema"], "order_id"),
        &json!({"type": "string", "optional": false, "field": "order_id"})
    );
    let value = rec.value.as_ref().expect("not a tombstone");
    let schema = &value["schema"];
    assert_eq!(schema["name"], format!("{topic}.Envelope"));
    assert_eq!(schema["version"], 1, "Debezium 2.2 envelope version");
    assert_eq!(
        names(schema),
        ["before", "after", "source", "op", "ts_ms", "transaction"],
        "Debezium 2.0-2.5 envelope field order"
    );
    for side in ["before", "after"] {
        let s = field(schema, side);
        assert_eq!(s["name"], format!("{topic}.Value"));
        assert_eq!(s["optional"], true);
        assert_eq!(names(s), COLUMNS);
        assert_eq!(field(s, "order_id")["optional"], false, "PK is NOT NULL");
        assert_eq!(
            field(s, "customer_id"),
            &json!({"type": "string", "optional": true, "field": "customer_id"})
        );
    }
    let source = field(schema, "source");
    assert_eq!(source["name"], "io.debezium.connector.mysql.Source");
    assert_eq!(
        names(source),
        [
            "version",
            "connector",
            "name",
            "ts_ms",
            "snapshot",
            "db",
            "sequence",
            "table",
            "server_id",
            "gtid",
            "file",
            "pos",
            "row",
            "thread",
            "query"
        ]
    );
    assert_eq!(
        field(source, "snapshot"),
        &json!({"type": "string", "optional": true, "name": "io.debezium.data.Enum", "version": 1,
                "parameters": {"allowed": "true,last,false,incremental"}, "default": "false",
                "field": "snapshot"})
    );
    assert_eq!(field(schema, "transaction")["name"], "event.block");
    let p = &value["payload"];
    let s = &p["source"];
    assert_eq!(s["version"], "2.2.0.Final");
    assert_eq!(s["connector"], "mysql");
    assert_eq!(s["name"], prefix);
    assert_eq!(s["db"], db);
    assert_eq!(s["table"], TABLE);
    assert_eq!(s["sequence"], Value::Null);
    assert_eq!(s["query"], Value::Null);
    assert!(
        s["ts_ms"].as_i64().is_some_and(|t| t > 1_600_000_000_000),
        "{s}"
    );
    assert!(s["file"].as_str().is_some_and(|f| !f.is_empty()), "{s}");
    assert!(s["pos"].as_i64().is_some_and(|x| x > 0), "{s}");
    assert!(p["ts_ms"].as_i64().is_some_and(|t| t > 1_600_000_000_000));
    assert_eq!(p["transaction"], Value::Null);
    // The key is the row's primary key.
    let row = if p["after"].is_null() {
        &p["before"]
    } else {
        &p["after"]
    };
    assert_eq!(key["payload"], json!({"order_id": row["order_id"]}));
    p.clone()
}

fn full_row(i: u64) -> Value {
    json!({
        "order_id": order_id(i), "customer_id": format!("c{i}"), "order_status": "delivered",
        "order_purchase_timestamp": "2017-10-02 10:56:33",
        "order_approved_at": "2017-10-02 11:07:15",
        "order_delivered_carrier_date": "2017-10-04 19:55:00",
        "order_delivered_customer_date": "2017-10-10 21:25:13",
        "order_estimated_delivery_date": "2017-10-18 00:00:00",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn article_connector_writes_debezium_topics_and_records() -> Result<(), BoxError> {
    if skip("article_connector_writes_debezium_topics_and_records") {
        return Ok(());
    }
    // Given the article's table in a database of our own, with three orders.
    let broker = Broker::try_shared().await?;
    let bootstrap = broker.bootstrap().to_owned();
    let mysql = Mysql::try_shared().await?;
    let db = mysql.create_database("mysql_src").await?;
    let pool = mysql.pool();
    let mut conn = pool.get_conn().await?;
    conn.query_drop(create_table_sql(&db)).await?;
    conn.query_drop(insert_sql(&db, 1..4)).await?;

    // When the article's connector JSON is posted to a worker.
    let mut worker = Worker::builder()
        .env("OFFSET_FLUSH_INTERVAL_MS", "1000")
        .start()
        .await?;
    let rest = worker.rest();
    let prefix = random_name("dbserver1");
    let name = random_name("src-brazillian-ecommerce");
    let config = article_config(mysql, &bootstrap, &db, &prefix);
    let history_topic = config["schema.history.internal.kafka.topic"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let created = rest
        .post("/connectors", &json!({"name": name, "config": config}))
        .await?;
    assert_eq!(created.status, 201, "{}", created.text);
    rest.wait_running(&name, 1, WAIT).await?;

    // Then the snapshot reads the three rows, marked first / true / last.
    let data_topic = format!("{prefix}.{db}.{TABLE}");
    let snap = read_n(&bootstrap, &data_topic, 3, Duration::from_millis(200)).await?;
    assert_eq!(snap.len(), 3, "worker log:\n{}", worker.log_tail(60));
    let mut by_id: BTreeMap<String, Value> = BTreeMap::new();
    for r in &snap {
        let p = check_change(r, &prefix, &db);
        assert_eq!(p["op"], "r");
        assert_eq!(p["before"], Value::Null);
        assert_eq!(
            p["source"]["server_id"], 0,
            "snapshot rows carry server_id 0"
        );
        assert_eq!(p["source"]["row"], 0);
        assert_eq!(p["source"]["thread"], Value::Null);
        let id = p["after"]["order_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        by_id.insert(id, p);
    }
    for i in 1..4 {
        assert_eq!(by_id[&order_id(i)]["after"], full_row(i));
    }
    let markers: Vec<&str> = by_id
        .values()
        .map(|p| p["source"]["snapshot"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        markers,
        ["first", "true", "last"],
        "snapshot markers in key order"
    );
    let snap_pos = &by_id[&order_id(1)]["source"];
    assert!(
        by_id
            .values()
            .all(|p| p["source"]["file"] == snap_pos["file"]
                && p["source"]["pos"] == snap_pos["pos"]),
        "all snapshot rows carry the snapshot's binlog position"
    );

    // When rows are inserted, updated and deleted, and a column is added.
    conn.query_drop(insert_sql(&db, 4..5)).await?;
    conn.query_drop(format!(
        "UPDATE `{db}`.{TABLE} SET order_status = 'shipped' WHERE order_id = '{}'",
        order_id(1)
    ))
    .await?;
    conn.query_drop(format!(
        "DELETE FROM `{db}`.{TABLE} WHERE order_id = '{}'",
        order_id(2)
    ))
    .await?;
    conn.query_drop(format!(
        "ALTER TABLE `{db}`.{TABLE} ADD COLUMN note varchar(16)"
    ))
    .await?;
    conn.query_drop(format!(
        "INSERT INTO `{db}`.{TABLE} (order_id, note) VALUES ('{}', 'late')",
        order_id(5)
    ))
    .await?;

    // Then c, u, d + tombstone and a c with the new column follow.
    let all = read_n(&bootstrap, &data_topic, 3 + 5, Duration::from_millis(500)).await?;
    assert_eq!(all.len(), 8, "worker log:\n{}", worker.log_tail(60));
    let streamed: Vec<&Rec> = all
        .iter()
        .filter(|r| r.value.as_ref().is_none_or(|v| v["payload"]["op"] != "r"))
        .collect();
    assert_eq!(streamed.len(), 5);
    // By op and key: partitions interleave, so topic order says nothing across keys.
    let find = |op: &str, id: u64| {
        streamed
            .iter()
            .find(|r| {
                r.value.as_ref().is_some_and(|v| v["payload"]["op"] == op)
                    && r.key
                        .as_ref()
                        .is_some_and(|k| k["payload"]["order_id"] == order_id(id))
            })
            .copied()
            .ok_or_else(|| format!("no {op} record for {id}"))
    };
    let create = find("c", 4)?;
    let p = check_change(create, &prefix, &db);
    assert_eq!(p["before"], Value::Null);
    assert_eq!(p["after"], full_row(4));
    let update = find("u", 1)?;
    let p = check_change(update, &prefix, &db);
    assert_eq!(p["before"], full_row(1));
    let mut shipped = full_row(1);
    shipped["order_status"] = json!("shipped");
    assert_eq!(p["after"], shipped);
    let delete = find("d", 2)?;
    let p = check_change(delete, &prefix, &db);
    assert_eq!(p["before"], full_row(2));
    assert_eq!(p["after"], Value::Null);
    for r in [create, update, delete] {
        let s = &r
            .value
            .as_ref()
            .map(|v| v["payload"]["source"].clone())
            .unwrap_or_default();
        assert_eq!(
            s["snapshot"], "false",
            "streamed rows: snapshot defaults to false"
        );
        assert!(s["server_id"].as_i64().is_some_and(|x| x > 0), "{s}");
        // From the BEGIN query event; MariaDB's GTID event replaces BEGIN and carries none.
        assert!(s["thread"].is_i64() || s["thread"].is_null(), "{s}");
    }
    // The tombstone: same key and partition, right after the delete, no value bytes.
    let tomb = all
        .iter()
        .find(|r| r.partition == delete.partition && r.offset == delete.offset + 1)
        .ok_or("no record after the delete")?;
    assert!(tomb.raw_value.is_none(), "tombstone value must be null");
    assert_eq!(tomb.key, delete.key);
    // After the ALTER the new column is part of the schema and the row.
    let late = streamed
        .iter()
        .filter_map(|r| r.value.as_ref())
        .find(|v| v["payload"]["after"]["order_id"] == order_id(5))
        .ok_or("no record for the row inserted after the ALTER")?;
    assert_eq!(late["payload"]["op"], "c");
    assert_eq!(late["payload"]["after"]["note"], "late");
    assert_eq!(
        field(field(&late["schema"], "after"), "note"),
        &json!({"type": "string", "optional": true, "field": "note"})
    );

    // The schema change topic `<prefix>`: the snapshot's CREATE TABLE and the streamed ALTER.
    let changes = read_n(&bootstrap, &prefix, 2, Duration::from_millis(500)).await?;
    let ours: Vec<&Rec> = changes
        .iter()
        .filter(|r| {
            r.key
                .as_ref()
                .is_some_and(|k| k["payload"]["databaseName"] == db)
        })
        .collect();
    assert!(
        !ours.is_empty(),
        "no schema change records for {db}: {changes:?}"
    );
    for r in &changes {
        let key = r.key.as_ref().ok_or("schema change without key")?;
        assert_eq!(
            key["schema"],
            json!({"type": "struct", "fields": [{"type": "string", "optional": false, "field": "databaseName"}],
                   "optional": false, "name": "io.debezium.connector.mysql.SchemaChangeKey", "version": 1})
        );
        assert_eq!(r.partition, 0, "schema changes go to partition 0");
        let v = r.value.as_ref().ok_or("schema change without value")?;
        assert_eq!(
            v["schema"]["name"],
            "io.debezium.connector.mysql.SchemaChangeValue"
        );
        assert_eq!(v["schema"]["version"], 1);
        assert_eq!(
            names(&v["schema"]),
            [
                "source",
                "ts_ms",
                "databaseName",
                "schemaName",
                "ddl",
                "tableChanges"
            ]
        );
        assert_eq!(v["payload"]["source"]["connector"], "mysql");
        assert_eq!(v["payload"]["source"]["name"], prefix.as_str());
        assert_eq!(v["payload"]["schemaName"], Value::Null);
    }
    let table_id = format!("\"{db}\".\"{TABLE}\"");
    let change_of = |kind: &str| {
        ours.iter()
            .filter_map(|r| r.value.as_ref())
            .find(|v| {
                v["payload"]["tableChanges"]
                    .as_array()
                    .is_some_and(|c| c.iter().any(|c| c["type"] == kind && c["id"] == table_id))
            })
            .cloned()
            .ok_or_else(|| format!("no {kind} schema change for {table_id}"))
    };
    let create_change = change_of("CREATE")?;
    let payload = &create_change["payload"];
    assert!(
        payload["ddl"]
            .as_str()
            .is_some_and(|d| d.contains("CREATE TABLE"))
    );
    assert_eq!(payload["databaseName"], db);
    assert_eq!(payload["source"]["snapshot"], "true");
    let table = &payload["tableChanges"][0]["table"];
    assert_eq!(table["primaryKeyColumnNames"], json!(["order_id"]));
    let cols: Vec<&str> = table["columns"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(cols, COLUMNS);
    assert_eq!(table["columns"][0]["typeName"], "VARCHAR");
    assert_eq!(table["columns"][0]["jdbcType"], 12);
    assert_eq!(table["columns"][0]["length"], 32);
    assert_eq!(table["columns"][0]["position"], 1);
    assert_eq!(table["columns"][0]["optional"], false);
    let alter = change_of("ALTER")?;
    assert!(
        alter["payload"]["ddl"]
            .as_str()
            .is_some_and(|d| d.contains("ADD COLUMN note"))
    );
    assert_eq!(alter["payload"]["source"]["snapshot"], "false");
    assert_eq!(alter["payload"]["source"]["table"], TABLE);
    assert_eq!(
        alter["payload"]["tableChanges"][0]["table"]["columns"]
            .as_array()
            .map(Vec::len),
        Some(9)
    );

    // The history topic: Debezium's HistoryRecord JSON (no schema envelope), keyless, one partition.
    let history = read_n(&bootstrap, &history_topic, 2, Duration::from_millis(500)).await?;
    assert!(history.iter().all(|r| r.key.is_none() && r.partition == 0));
    let hist: Vec<&Value> = history.iter().filter_map(|r| r.value.as_ref()).collect();
    for h in &hist {
        assert_eq!(h["source"], json!({"server": prefix}), "{h}");
        assert!(
            h["position"]["file"].is_string() && h["position"]["pos"].is_i64(),
            "{h}"
        );
        assert!(h["ts_ms"].is_i64() && h["ddl"].is_string() && h["tableChanges"].is_array());
    }
    let created_in_history = hist.iter().find(|h| {
        h["tableChanges"].as_array().is_some_and(|c| {
            c.iter()
                .any(|c| c["type"] == "CREATE" && c["id"] == table_id)
        })
    });
    let h = created_in_history.ok_or("no CREATE TABLE in the history")?;
    assert_eq!(
        h["position"]["snapshot"], true,
        "recorded during the snapshot"
    );
    assert_eq!(h["databaseName"], db);
    assert!(hist.iter().any(|h| {
        h["ddl"]
            .as_str()
            .is_some_and(|d| d.contains("ADD COLUMN note"))
            && h["position"].get("snapshot").is_none()
    }));

    rest.delete_connector(&name).await?;
    worker.stop(Duration::from_secs(10)).await?;
    conn.query_drop(format!("DROP DATABASE `{db}`")).await?;
    drop(conn);
    pool.disconnect().await?;
    Ok(())
}

/// What the background reader of the kill test has seen, per primary key.
#[derive(Debug, Default)]
struct Seen {
    records: u64,
    /// id → (`r` count, `c` count).
    ops: HashMap<u64, (u32, u32)>,
    /// Distinct preloaded ids read as `r` (the snapshot's progress).
    snapshot_rows: u64,
    /// The snapshot's final record (`source.snapshot: last`) was read.
    snapshot_done: bool,
}

const PRELOAD: u64 = 50_000;
/// Ids of rows inserted while the worker runs and dies start here.
const LIVE_START: u64 = 1_000_000;

fn spawn_counter(
    bootstrap: String,
    topic: String,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Result<(), String>> {
    std::thread::spawn(move || {
        let consumer = consumer_from_beginning(&bootstrap, &topic).map_err(|e| e.to_string())?;
        while !stop.load(Ordering::Relaxed) {
            let Some(m) = consumer.poll(Duration::from_millis(50)) else {
                continue;
            };
            let m = m.map_err(|e| e.to_string())?;
            let Some(v) = parse(m.payload()) else {
                continue;
            };
            let p = &v["payload"];
            let id: u64 = p["after"]["order_id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("record without an order id: {v}"))?;
            let mut s = seen.lock().map_err(|e| e.to_string())?;
            s.records += 1;
            s.snapshot_done |= p["source"]["snapshot"] == "last";
            let e = s.ops.entry(id).or_default();
            match p["op"].as_str() {
                Some("r") => {
                    e.0 += 1;
                    if e.0 == 1 && id < LIVE_START {
                        s.snapshot_rows += 1;
                    }
                }
                Some("c") => e.1 += 1,
                other => return Err(format!("unexpected op {other:?}")),
            }
        }
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_committed_row_survives_repeated_sigkill_in_snapshot_and_streaming()
-> Result<(), BoxError> {
    if skip("every_committed_row_survives_repeated_sigkill_in_snapshot_and_streaming") {
        return Ok(());
    }
    let started = Instant::now();
    // Given the article's table with 50k orders.
    let broker = Broker::try_shared().await?;
    let bootstrap = broker.bootstrap().to_owned();
    let mysql = Mysql::try_shared().await?;
    let db = mysql.create_database("mysql_kill").await?;
    let pool = mysql.pool();
    let mut conn = pool.get_conn().await?;
    conn.query_drop(create_table_sql(&db)).await?;
    for start in (1..=PRELOAD).step_by(2000) {
        conn.query_drop(insert_sql(&db, start..(start + 2000).min(PRELOAD + 1)))
            .await?;
    }
    drop(conn);

    // And a writer committing small transactions of known ids the whole time.
    let next_id = Arc::new(AtomicU64::new(LIVE_START));
    let stop_writer = Arc::new(AtomicBool::new(false));
    let writer = {
        let (pool, db, next_id, stop) = (
            pool.clone(),
            db.clone(),
            next_id.clone(),
            stop_writer.clone(),
        );
        tokio::spawn(async move {
            let mut conn = pool.get_conn().await?;
            while !stop.load(Ordering::Relaxed) {
                let n = rand::rng().random_range(1..=5);
                let from = next_id.load(Ordering::SeqCst);
                conn.query_drop(insert_sql(&db, from..from + n)).await?;
                // Only committed ids count (autocommit: the statement returned, it committed).
                next_id.store(from + n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            Ok::<_, mysql_async::Error>(())
        })
    };

    // When the connector (with the chunked snapshot, so a killed snapshot resumes) runs on a
    // worker that is SIGKILLed twice during the snapshot and four times while streaming.
    let mut worker = Worker::builder()
        .env("OFFSET_FLUSH_INTERVAL_MS", "250")
        .start()
        .await?;
    let rest = worker.rest();
    let prefix = random_name("kill");
    let name = random_name("src-kill");
    let mut config = article_config(mysql, &bootstrap, &db, &prefix);
    config["snapshot.chunk.size"] = json!("5000");
    let created = rest
        .post("/connectors", &json!({"name": name, "config": config}))
        .await?;
    assert_eq!(created.status, 201, "{}", created.text);

    let topic = format!("{prefix}.{db}.{TABLE}");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop_counter = Arc::new(AtomicBool::new(false));
    let counter = spawn_counter(
        bootstrap.clone(),
        topic.clone(),
        seen.clone(),
        stop_counter.clone(),
    );
    let snapshot_rows = || seen.lock().map_or(0, |s| s.snapshot_rows);

    let mut kills: Vec<(&str, u64)> = Vec::new();
    let thresholds = {
        let mut rng = rand::rng();
        [
            rng.random_range(3_000..15_000),
            rng.random_range(22_000..40_000),
        ]
    };
    for threshold in thresholds {
        // Kill once the reader saw the snapshot pass a random point (it lags the worker).
        let reached = wait_until(WAIT, || {
            let n = snapshot_rows();
            async move { n >= threshold }
        })
        .await;
        assert!(
            reached,
            "snapshot stalled; worker log:\n{}",
            worker.log_tail(60)
        );
        let phase = if snapshot_rows() < PRELOAD {
            "snapshot"
        } else {
            "streaming"
        };
        worker.kill().await?;
        kills.push((phase, snapshot_rows()));
        worker.restart().await?;
    }
    let progress = || {
        seen.lock()
            .map_or((false, 0), |s| (s.snapshot_done, s.records))
    };
    for _ in 0..4 {
        // Kill only once this start streams: the task runs, the snapshot is done and new
        // changes arrive (else the kill would land in the worker's own start-up).
        rest.wait_running(&name, 1, WAIT).await?;
        let (_, before) = progress();
        let streaming = wait_until(WAIT, || {
            let (done, n) = progress();
            async move { done && n > before + 100 }
        })
        .await;
        assert!(
            streaming,
            "not streaming after restart: {:?}; log:\n{}",
            progress(),
            worker.log_tail(60)
        );
        let delay = rand::rng().random_range(200..1500);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        worker.kill().await?;
        kills.push(("streaming", snapshot_rows()));
        worker.restart().await?;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop_writer.store(true, Ordering::Relaxed);
    writer.await??;
    let last = next_id.load(Ordering::SeqCst);
    pool.disconnect().await?;

    // Then every committed row reaches the topic.
    let complete = |s: &Seen| {
        (1..=PRELOAD)
            .chain(LIVE_START..last)
            .all(|id| s.ops.contains_key(&id))
    };
    let all_there = wait_until(WAIT, || {
        let done = seen.lock().is_ok_and(|s| complete(&s));
        async move { done }
    })
    .await;
    // Extras that were still on their way.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop_counter.store(true, Ordering::Relaxed);
    counter.join().map_err(|_| "counter thread panicked")??;
    // The counter thread is done: take the tallies out so no lock is held across an await.
    let s = std::mem::take(&mut *seen.lock().map_err(|e| e.to_string())?);
    let missing: Vec<u64> = (1..=PRELOAD)
        .chain(LIVE_START..last)
        .filter(|id| !s.ops.contains_key(id))
        .collect();
    let live = last - LIVE_START;
    let distinct = s.ops.len() as u64;
    // The same change delivered twice (its offset was not yet committed when the worker died):
    // extra `r` records are replays of snapshot progress, extra `c` records of streaming.
    let replayed_r: u64 = s
        .ops
        .values()
        .map(|(r, _)| u64::from(r.saturating_sub(1)))
        .sum();
    let replayed_c: u64 = s
        .ops
        .values()
        .map(|(_, c)| u64::from(c.saturating_sub(1)))
        .sum();
    // A live row read by a resumed snapshot chunk *and* streamed from the original snapshot
    // position (the documented at-least-once overlap of `snapshot.chunk.size`).
    let overlap = s.ops.values().filter(|(r, c)| *r > 0 && *c > 0).count() as u64;
    println!(
        "kills: {kills:?}\nrows: {PRELOAD} preloaded + {live} live; records read: {}; distinct ids: {distinct}; \
         duplicates: {} = {replayed_r} replayed snapshot rows + {replayed_c} replayed streamed rows + \
         {overlap} snapshot/stream overlap; missing: {}; took {:?}",
        s.records,
        s.records - distinct,
        missing.len(),
        started.elapsed()
    );
    assert!(
        all_there && missing.is_empty(),
        "{} committed rows never reached {topic} (first: {:?}); worker log:\n{}",
        missing.len(),
        &missing[..missing.len().min(10)],
        worker.log_tail(80)
    );
    assert!(
        kills.iter().filter(|(p, _)| *p == "snapshot").count() >= 1,
        "{kills:?}"
    );
    assert!(kills.len() >= 5);
    // The worker's own account of each start: a snapshot resumed after a kill proves the kill
    // landed inside the snapshot (the reader's view above lags the worker).
    let log = std::fs::read_to_string(worker.log_path()).unwrap_or_default();
    let plans: Vec<&str> = log
        .lines()
        .filter_map(|l| l.split("starting MySQL CDC task plan=").nth(1))
        .map(|p| p.split([' ', '{']).next().unwrap_or_default())
        .collect();
    println!("task start plans: {plans:?}");
    assert!(
        plans.contains(&"ResumeSnapshot"),
        "no kill interrupted the snapshot: {plans:?}"
    );
    assert!(
        plans.contains(&"Resume"),
        "no kill during streaming: {plans:?}"
    );
    // Replays are bounded by what can be in flight at a kill: records delivered since the last
    // offset flush (250 ms) plus the runtime's in-flight batches (8 of at most 2048 records).
    // Streaming runs at the writer's pace (~1-2k rows/s), so it replays less than one poll
    // batch (max.batch.size 2048) per kill; the snapshot runs as fast as the pipeline.
    let snapshot_kills = kills.iter().filter(|(p, _)| *p == "snapshot").count() as u64;
    let streaming_kills = kills.len() as u64 - snapshot_kills;
    assert!(
        replayed_c < streaming_kills.max(1) * 2048,
        "{replayed_c} streamed rows replayed over {streaming_kills} streaming kills"
    );
    assert!(
        replayed_r < snapshot_kills.max(1) * 20_000,
        "{replayed_r} snapshot rows replayed over {snapshot_kills} snapshot kills"
    );
    worker.stop(Duration::from_secs(10)).await?;
    let pool = mysql.pool();
    pool.get_conn()
        .await?
        .query_drop(format!("DROP DATABASE `{db}`"))
        .await?;
    pool.disconnect().await?;
    Ok(())
}
