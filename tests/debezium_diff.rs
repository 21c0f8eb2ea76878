//! The Debezium differential suite: the real Debezium 3.6.3 `MySqlConnector` (in the real Kafka
//! Connect worker, `../shared/oracle/kc.sh`) and Sluice's connector with
//! `sluice.debezium.version=3.6` read the same MariaDB (one that reports MySQL 5.7.19, so that
//! Debezium 3.6 accepts it: `Mysql::try_shared_57`) and the same statements: a table of the
//! column types of reference §3 plus three small tables (for the snapshot markers), a
//! snapshot, then inserts, updates (one of the primary key) and deletes, then DDL (add, drop and
//! rename a column, a new table, a dropped table) with rows between. Three connectors on each
//! side: schemas on with `provide.transaction.metadata`, schemas off with heartbeats, and
//! schemas on with the `decimal`/`bigint.unsigned`/`binary` handling modes and
//! `time.precision.mode=connect`. Their topics are read back as the worker's JsonConverter wrote
//! them and compared byte for byte after masking only what must differ
//! ([`ACCEPTED_DIFFERENCES`]).
//!
//! Compared as well: the schema change and history records with their table structures, the
//! streaming DDL records, and the offsets each worker committed (after the row changes, where
//! the last record of a transaction with metadata carries its `transaction_id`, and at the end).
//!
//! Both connectors use the same `topic.prefix` (it is in every schema name and `source.name`),
//! so each worker writes to a broker of its own: the JVM to the shared tansu, Sluice to a private
//! one started here. What is not compared is listed in [`OPEN_DIFFERENCES`].

use std::time::Duration;

use connect_e2e::{
    BoxError, Broker, JvmWorker, Mysql, TopicRecord, Until, Worker, it_enabled, random_name,
    read_topic,
};
use mysql_async::prelude::Queryable;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(120);
const SETTLE: Duration = Duration::from_secs(3);

/// What may differ between the two outputs, each with the Debezium source that explains it.
/// The comparison masks exactly these and nothing else.
const ACCEPTED_DIFFERENCES: &[(&str, &str)] = &[
    (
        "envelope ts_ms/ts_us/ts_ns",
        "the wall clock when the record was made: Envelope.create/read/update/delete take \
         `clock.currentTimeAsInstant()` (debezium-core io.debezium.data.Envelope, \
         io.debezium.relational.RelationalChangeRecordEmitter), so no two processes agree",
    ),
    (
        "header __debezium.context.runId (compared as \"is a UUIDv7\")",
        "CdcSourceTaskContext takes `UUIDUtils.generateNewUUID()` when the task starts: a UUIDv7 \
         of the start time and random bits (debezium-connector-common \
         io.debezium.connector.common.UUIDUtils), different in every run of any task",
    ),
    (
        "ts_ms of schema change values, history records and heartbeats",
        "the clock when the record is made: SchemaChangeEvent takes `clock.currentTimeAsInstant()` \
         (BinlogSnapshotChangeEventSource.addSchemaEvent), HistoryRecord is stored with \
         `clock.currentTimeInMillis()` (AbstractSchemaHistory.record), HeartbeatImpl puts \
         `Instant.now()` in its value",
    ),
    (
        "history position ts_sec of records written during the snapshot",
        "BinlogSnapshotChangeEventSource moves the offset's source time with \
         `offset.event(tableId, clock.currentTime())` for each schema event; streaming records \
         carry the binlog event's time and are compared unmasked",
    ),
    (
        "source ts_ms/ts_us/ts_ns of snapshot records",
        "BinlogSnapshotChangeEventSource sets the source timestamp from `clock.currentTime()` \
         while reading each table (RelationalSnapshotChangeEventSource.createDataEventsForTable); \
         streaming records carry the binlog event's header timestamp and are compared unmasked",
    ),
];

const RUN_ID_HEADER: &str = "__debezium.context.runId";

/// What a run id is reduced to: whether it is a UUIDv7 (version nibble 7, variant 10).
fn run_id_shape(id: &str) -> &'static str {
    let b = id.as_bytes();
    let hex = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_hexdigit);
    let ok = b.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
        && hex(0..8)
        && hex(9..13)
        && hex(14..18)
        && hex(19..23)
        && hex(24..36)
        && b[14] == b'7'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b');
    if ok { "<uuid v7>" } else { "<not a uuid v7>" }
}

/// What this scenario does not compare, each with the Debezium source that explains why.
pub const OPEN_DIFFERENCES: &[&str] = &[
    "heartbeat offsets are compared only through the last committed offset: when a heartbeat \
     falls due is a matter of timing (HeartbeatImpl.emitWithDelay after each binlog event); \
     Sluice beats after an event as Debezium does, but inside a transaction only at its first \
     event, where Debezium may beat at any event",
];

fn skip(test: &str) -> bool {
    if it_enabled() {
        return false;
    }
    eprintln!("{test}: skipped, set CONNECT_IT=1 to run service-backed tests");
    true
}

const TABLE: &str = "all_types";

/// The column types of reference §3 that a 5.7-faced MariaDB accepts.
fn create_table_sql(db: &str) -> String {
    format!(
        "CREATE TABLE `{db}`.{TABLE} (
            id INT NOT NULL PRIMARY KEY,
            c_tiny TINYINT, c_utiny TINYINT UNSIGNED, c_small SMALLINT,
            c_usmall SMALLINT UNSIGNED, c_medium MEDIUMINT, c_umedium MEDIUMINT UNSIGNED,
            c_int INT, c_uint INT UNSIGNED, c_big BIGINT, c_ubig BIGINT UNSIGNED,
            c_dec DECIMAL(10,2), c_dec0 DECIMAL(5) NOT NULL DEFAULT 7, c_float FLOAT, c_double DOUBLE,
            c_bit1 BIT(1), c_bit10 BIT(10), c_bool BOOLEAN,
            c_date DATE, c_time TIME, c_time3 TIME(3), c_time6 TIME(6),
            c_dt DATETIME, c_dt3 DATETIME(3), c_dt6 DATETIME(6),
            c_ts TIMESTAMP NULL, c_ts3 TIMESTAMP(3) NULL, c_year YEAR,
            c_char CHAR(5), c_varchar VARCHAR(20) NOT NULL DEFAULT 'x', c_text TEXT,
            c_latin VARCHAR(10) CHARACTER SET latin1,
            c_binary BINARY(4), c_varbinary VARBINARY(8), c_blob BLOB,
            c_enum ENUM('S','M','L') DEFAULT 'M', c_set SET('a','b','c'), c_json JSON,
            c_geo GEOMETRY
        )"
    )
}

const COLUMNS: &str = "id, c_tiny, c_utiny, c_small, c_usmall, c_medium, c_umedium, c_int, \
    c_uint, c_big, c_ubig, c_dec, c_dec0, c_float, c_double, c_bit1, c_bit10, c_bool, c_date, \
    c_time, c_time3, c_time6, c_dt, c_dt3, c_dt6, c_ts, c_ts3, c_year, c_char, c_varchar, c_text, \
    c_latin, c_binary, c_varbinary, c_blob, c_enum, c_set, c_json, c_geo";

fn row(id: i32) -> String {
    format!(
        "({id}, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295, \
         -9223372036854775808, 18446744073709551615, 12345678.91, 42, 3.5, -1.25e100, \
         b'1', b'1010101010', TRUE, '2024-02-29', '-838:59:59', '12:34:56.789', \
         '23:59:59.999999', '1000-01-01 00:00:00', '2024-06-01 12:00:00.123', \
         '9999-12-31 23:59:59.999999', '2024-06-01 12:00:00', '2038-01-19 03:14:07.999', \
         {year}, 'ab', 'héllo {id}', 'text {id}', 'café', x'00ff10', x'deadbeef', \
         x'0001020304', 'L', 'a,c', '{{\"k\": [1, 2.5, \"s\"], \"n\": null}}', \
         ST_GeomFromText('POINT(1 2)'))",
        year = 2000 + id
    )
}

fn null_row(id: i32) -> String {
    let nulls = vec!["NULL"; 38].join(", ");
    // c_dec0 and c_varchar are NOT NULL with defaults: DEFAULT keeps them legal.
    let mut cells: Vec<String> = nulls.split(", ").map(str::to_owned).collect();
    cells[11] = "DEFAULT".into();
    cells[28] = "DEFAULT".into();
    format!("({id}, {})", cells.join(", "))
}

/// The streaming statements, and how many records each makes on the data topic.
fn streaming_statements(db: &str) -> Vec<(String, usize)> {
    let t = format!("`{db}`.{TABLE}");
    vec![
        (format!("INSERT INTO {t} ({COLUMNS}) VALUES {}", row(10)), 1),
        (
            format!(
                "INSERT INTO {t} ({COLUMNS}) VALUES {}, {}",
                row(11),
                null_row(12)
            ),
            2,
        ),
        (
            format!(
                "UPDATE {t} SET c_int = 7, c_text = 'changed', c_json = '[]', c_set = '', \
                 c_ts = '1970-01-01 00:00:01', c_bit10 = b'0' WHERE id = 10"
            ),
            1,
        ),
        // A key change: delete (+ tombstone) of the old key, create of the new one.
        (format!("UPDATE {t} SET id = 20 WHERE id = 11"), 3),
        // A delete and its tombstone.
        (format!("DELETE FROM {t} WHERE id = 12"), 2),
    ]
}

/// DDL while streaming (add, drop and rename a column; a new table; a dropped table), each
/// followed by rows: the statements, and the records each makes per table.
fn ddl_statements(db: &str) -> Vec<(String, &'static str)> {
    let c = format!("`{db}`.c_two");
    let d = format!("`{db}`.d_new");
    vec![
        (format!("ALTER TABLE {c} ADD COLUMN w INT DEFAULT 5"), ""),
        (
            format!("INSERT INTO {c} (id, v, w) VALUES (3, 'y', 6)"),
            "c_two",
        ),
        (format!("ALTER TABLE {c} DROP COLUMN v"), ""),
        (format!("ALTER TABLE {c} RENAME COLUMN w TO w2"), ""),
        (format!("UPDATE {c} SET w2 = 7 WHERE id = 3"), "c_two"),
        (
            format!("CREATE TABLE {d} (id INT PRIMARY KEY, s VARCHAR(4))"),
            "",
        ),
        (format!("INSERT INTO {d} VALUES (1, 'a')"), "d_new"),
        (format!("DROP TABLE {d}"), ""),
    ]
}

/// The connector config both workers get; only the worker-specific keys differ.
fn connector_config(mysql: &Mysql, db: &str, prefix: &str, schemas: bool) -> Value {
    json!({
        "connector.class": "io.debezium.connector.mysql.MySqlConnector",
        "tasks.max": "1",
        "database.hostname": mysql.host(),
        "database.port": mysql.port().to_string(),
        "database.user": "debezium",
        "database.password": "dbz",
        "database.include.list": db,
        "topic.prefix": prefix,
        "schema.history.internal.kafka.topic": format!("{prefix}.history"),
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": schemas.to_string(),
        "value.converter.schemas.enable": schemas.to_string(),
        // tansu never creates a topic on produce (../shared/oracle/README.md), and one partition
        // keeps the records in the order they were written.
        "topic.creation.default.replication.factor": "1",
        "topic.creation.default.partitions": "1",
    })
}

/// Replaces the digits after every `"<field>":` in `text` with `<masked>`.
fn mask_number(text: &str, field: &str) -> String {
    // Compact (JsonConverter, 2.x history) and pretty (3.x history: `"name" : value`) text.
    let compact = mask_after(text, &format!("\"{field}\":"));
    mask_after(&compact, &format!("\"{field}\" : "))
}

fn mask_after(text: &str, needle: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(needle) {
        let (head, tail) = rest.split_at(i + needle.len());
        out.push_str(head);
        let digits = tail
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'-')
            .count();
        if digits > 0 {
            out.push_str("<masked>");
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// The record as compared: key and value text with the ACCEPTED_DIFFERENCES masked, and the
/// headers.
fn masked(r: &TopicRecord) -> String {
    let value = r.value_text().map(|v| {
        let v = ["ts_ms", "ts_us", "ts_ns"]
            .iter()
            .fold(v, |acc, f| mask_number(&acc, f));
        // A history record of the snapshot: its position's time is the snapshot clock's.
        if v.contains("\"snapshot\" : \"INITIAL\"") || v.contains("\"snapshot\":\"INITIAL\"") {
            mask_number(&v, "ts_sec")
        } else {
            v
        }
    });
    let headers: Vec<String> = r
        .headers
        .iter()
        .map(|(k, v)| {
            let text = v
                .as_deref()
                .map_or("null".into(), |b| String::from_utf8_lossy(b).into_owned());
            if k == RUN_ID_HEADER {
                return format!("{k}={}", run_id_shape(&text));
            }
            format!("{k}={text}")
        })
        .collect();
    format!(
        "key={}\nvalue={}\nheaders={headers:?}",
        r.key_text().unwrap_or_else(|| "null".into()),
        value.unwrap_or_else(|| "null".into())
    )
}

/// The unmasked source timestamps of streaming records, which both must agree on.
fn streaming_source_times(records: &[TopicRecord]) -> Vec<Value> {
    records
        .iter()
        .filter_map(|r| r.value.as_deref())
        .filter_map(|v| serde_json::from_slice::<Value>(v).ok())
        .map(|v| {
            let p = v.get("payload").cloned().unwrap_or(v);
            p["source"].clone()
        })
        .filter(|s| s["snapshot"] == "false")
        .map(|s| json!([s["ts_ms"], s["ts_us"], s["ts_ns"]]))
        .collect()
}

fn dump(dir: Option<&str>, name: &str, records: &[TopicRecord]) {
    let Some(dir) = dir else { return };
    let text: String = records.iter().map(|r| masked(r) + "\n\n").collect();
    std::fs::write(format!("{dir}/{name}"), text).ok();
}

/// Everything in a topic whose size the test does not know, once nothing new arrived for
/// `quiet`. Every topic read this way has records by then, so an empty read (a slow first
/// fetch on a busy broker) is tried again rather than compared.
async fn read_settled(
    bootstrap: &str,
    topic: &str,
    quiet: Duration,
) -> Result<Vec<TopicRecord>, BoxError> {
    let quiet = Until::Quiet(quiet);
    for _ in 0..5 {
        let records = read_topic(bootstrap, topic, quiet).await?;
        if !records.is_empty() {
            return Ok(records);
        }
    }
    read_topic(bootstrap, topic, quiet).await
}

async fn read_n(bootstrap: &str, topic: &str, n: usize) -> Result<Vec<TopicRecord>, BoxError> {
    read_topic(bootstrap, topic, Until::Count { n, settle: SETTLE }).await
}

/// Compares two outputs record by record; returns the differences.
fn compare(what: &str, jvm: &[TopicRecord], sluice: &[TopicRecord]) -> Vec<String> {
    let mut out = Vec::new();
    if jvm.len() != sluice.len() {
        out.push(format!(
            "{what}: {} records from Debezium, {} from Sluice",
            jvm.len(),
            sluice.len()
        ));
    }
    for (i, (a, b)) in jvm.iter().zip(sluice).enumerate() {
        let (a, b) = (masked(a), masked(b));
        if a != b {
            out.push(format!("{what} record {i}:\n debezium {a}\n sluice   {b}"));
        }
    }
    out
}

/// What one run of the scenario produced, as the two sides' records per output.
struct Outputs {
    /// The data topics (three tables, schemas on and off), the transaction topic, the last
    /// heartbeat, and the schema change and history topics.
    identical: Vec<(String, Vec<TopicRecord>, Vec<TopicRecord>)>,
    /// The last offset each committed per connector, after the row changes (not for the
    /// heartbeat connector, whose heartbeats make it a matter of timing) and at the end.
    offsets: Vec<(String, Option<String>, Option<String>)>,
    /// Streaming `source` timestamps, compared unmasked.
    source_times: Vec<(String, Vec<Value>, Vec<Value>)>,
    sluice_log: String,
}

/// Runs the statements against both connectors and reads back everything they wrote.
/// `None` when Java is absent (skipped, with the oracle's message).
async fn scenario() -> Result<Option<Outputs>, BoxError> {
    let dump_dir = std::env::var("DBZ_DIFF_DUMP").ok();
    let mysql = Mysql::try_shared_57().await?;
    let shared = Broker::shared().await;
    let Some(jvm) = JvmWorker::builder().start(shared.bootstrap()).await? else {
        eprintln!("debezium differential suite skipped: no Java (see the oracle's message above)");
        return Ok(None);
    };
    let private = Broker::start().await?;
    let sluice = Worker::builder()
        .env("BOOTSTRAP_SERVERS", private.bootstrap())
        // kc.sh's worker commits offsets every second; so does this one (the debezium/connect
        // image's OFFSET_FLUSH_INTERVAL_MS, which replaces any CONNECT_ one).
        .env("OFFSET_FLUSH_INTERVAL_MS", "1000")
        .start()
        .await?;

    let db = mysql.create_database("dbzdiff").await?;
    let pool = mysql.pool();
    let mut conn = pool.get_conn().await?;
    conn.query_drop(create_table_sql(&db)).await?;
    conn.query_drop(format!(
        "INSERT INTO `{db}`.{TABLE} ({COLUMNS}) VALUES {}, {}, {}",
        row(1),
        row(2),
        null_row(3)
    ))
    .await?;
    // Around it, tables that exercise 3.x's snapshot markers: a one-row first table (`first`),
    // an empty one, and a two-row last table (`first_in_data_collection`, `last`).
    for sql in [
        format!("CREATE TABLE `{db}`.a_one (id INT PRIMARY KEY, v VARCHAR(8))"),
        format!("INSERT INTO `{db}`.a_one VALUES (1, 'one')"),
        format!("CREATE TABLE `{db}`.b_empty (id INT PRIMARY KEY)"),
        format!("CREATE TABLE `{db}`.c_two (id BIGINT UNSIGNED PRIMARY KEY, v TEXT)"),
        format!("INSERT INTO `{db}`.c_two VALUES (1, 'x'), (2, NULL)"),
    ] {
        conn.query_drop(sql).await?;
    }
    let snapshot_rows = 3;

    // Schemas on with transaction metadata; schemas off with heartbeats; schemas on with the
    // other value modes.
    let runs = [
        (random_name("dbzon"), true),
        (random_name("dbzoff"), false),
        (random_name("dbzmodes"), true),
    ];
    for (i, (prefix, schemas)) in runs.iter().enumerate() {
        let name = format!("{prefix}-connector");
        let mut cfg = connector_config(mysql, &db, prefix, *schemas);
        match i {
            0 => cfg["provide.transaction.metadata"] = json!("true"),
            1 => cfg["heartbeat.interval.ms"] = json!("1000"),
            _ => {
                cfg["decimal.handling.mode"] = json!("string");
                cfg["bigint.unsigned.handling.mode"] = json!("precise");
                cfg["binary.handling.mode"] = json!("base64");
                // Kafka Connect's own temporal types; TIME '-838:59:59' has none (null).
                cfg["time.precision.mode"] = json!("connect");
            }
        }
        let mut jcfg = cfg.clone();
        jcfg["database.server.id"] = json!(rand_server_id());
        jcfg["schema.history.internal.kafka.bootstrap.servers"] = json!(shared.bootstrap());
        cfg["database.server.id"] = json!(rand_server_id());
        cfg["schema.history.internal.kafka.bootstrap.servers"] = json!(private.bootstrap());
        cfg["sluice.debezium.version"] = json!("3.6");
        jvm.rest().create_connector(&name, &props(&jcfg)).await?;
        sluice.rest().create_connector(&name, &props(&cfg)).await?;
        let j = jvm.rest().wait_running(&name, 1, WAIT).await;
        let s = sluice.rest().wait_running(&name, 1, WAIT).await;
        if let Err(e) = j {
            panic!("Debezium: {e}\n{}", jvm.log_tail(60));
        }
        if let Err(e) = s {
            panic!("Sluice: {e}\n{}", sluice.log_tail(60));
        }
    }
    let topic = |prefix: &str, table: &str| format!("{prefix}.{db}.{table}");
    // The snapshot must be over on both before the binlog moves, or a row could be read twice.
    for (prefix, _) in &runs {
        read_n(shared.bootstrap(), &topic(prefix, TABLE), snapshot_rows).await?;
        read_n(private.bootstrap(), &topic(prefix, TABLE), snapshot_rows).await?;
    }
    let mut expected = snapshot_rows;
    for (sql, n) in streaming_statements(&db) {
        conn.query_drop(&sql).await?;
        expected += n;
    }
    // Once both have written the row changes and committed their offsets, the last offset of
    // each is the last record's: an END record's (transaction metadata) or a tombstone's.
    for (prefix, _) in &runs {
        read_n(shared.bootstrap(), &topic(prefix, TABLE), expected).await?;
        read_n(private.bootstrap(), &topic(prefix, TABLE), expected).await?;
    }
    let committed = || async {
        let quiet = Duration::from_secs(4);
        let a = read_settled(
            shared.bootstrap(),
            &format!("{}.offsets", jvm.group()),
            quiet,
        )
        .await?;
        let b = read_settled(
            private.bootstrap(),
            sluice
                .env_var("OFFSET_STORAGE_TOPIC")
                .ok_or("sluice has no offset topic")?,
            quiet,
        )
        .await?;
        Ok::<_, BoxError>((a, b))
    };
    let (mid_a, mid_b) = committed().await?;
    let mut offsets = Vec::new();
    for (prefix, _) in runs.iter().filter(|(p, _)| !p.starts_with("dbzoff")) {
        let name = format!("{prefix}-connector");
        offsets.push((
            format!("{name} after the row changes"),
            last_offset(&mid_a, &name),
            last_offset(&mid_b, &name),
        ));
    }
    let mut per_table = vec![(TABLE, expected), ("a_one", 1), ("c_two", 2), ("d_new", 0)];
    let mut transactions = streaming_statements(&db).len();
    for (sql, table) in ddl_statements(&db) {
        conn.query_drop(&sql).await?;
        if let Some(t) = per_table.iter_mut().find(|(t, _)| *t == table) {
            t.1 += 1;
            transactions += 1;
        }
    }
    drop(conn);
    pool.disconnect().await?;

    let mut out = Outputs {
        identical: Vec::new(),
        offsets,
        source_times: Vec::new(),
        sluice_log: String::new(),
    };
    let (jvm_boot, sluice_boot) = (
        shared.bootstrap().to_owned(),
        private.bootstrap().to_owned(),
    );
    let both = |t: String| {
        let (ja, sb) = (jvm_boot.clone(), sluice_boot.clone());
        async move {
            let a = read_settled(&ja, &t, SETTLE).await?;
            let b = read_settled(&sb, &t, SETTLE).await?;
            Ok::<_, BoxError>((a, b))
        }
    };
    for (prefix, schemas) in &runs {
        let label = if prefix.starts_with("dbzmodes") {
            "modes"
        } else if *schemas {
            "schemas"
        } else {
            "noschemas"
        };
        for &(table, n) in &per_table {
            let a = read_n(shared.bootstrap(), &topic(prefix, table), n).await?;
            let b = read_n(private.bootstrap(), &topic(prefix, table), n).await?;
            assert_eq!(a.len(), n, "Debezium wrote {} records to {table}", a.len());
            if table == TABLE {
                out.source_times.push((
                    format!("{table} ({label})"),
                    streaming_source_times(&a),
                    streaming_source_times(&b),
                ));
            }
            out.identical
                .push((format!("{table} topic ({label})"), a, b));
        }
        for (what, t) in [
            ("schema change topic", prefix.clone()),
            ("history topic", format!("{prefix}.history")),
        ] {
            let (a, b) = both(t).await?;
            out.identical.push((format!("{what} ({label})"), a, b));
        }
    }
    // The transaction topic: a BEGIN and an END for each streamed statement.
    let tx_topic = format!("{}.transaction", runs[0].0);
    let n = 2 * transactions;
    let a = read_n(shared.bootstrap(), &tx_topic, n).await?;
    let b = read_n(private.bootstrap(), &tx_topic, n).await?;
    out.identical.push(("transaction topic".into(), a, b));
    // Heartbeats: how many depends on timing, so the last one of each is compared.
    let (a, b) = both(format!("__debezium-heartbeat.{}", runs[1].0)).await?;
    let last = |r: &[TopicRecord]| r[r.len().saturating_sub(1)..].to_vec();
    out.identical
        .push(("last heartbeat".into(), last(&a), last(&b)));

    // The offsets each committed last for each connector (commit times differ, so only the
    // final one is compared).
    let (offsets_a, offsets_b) = committed().await?;
    for (prefix, _) in &runs {
        let name = format!("{prefix}-connector");
        out.offsets.push((
            format!("{name} at the end"),
            last_offset(&offsets_a, &name),
            last_offset(&offsets_b, &name),
        ));
    }
    if let Some(dir) = dump_dir.as_deref() {
        for (what, a, b) in &out.identical {
            let file = what.replace([' ', '(', ')', ','], "_");
            dump(Some(dir), &format!("{file}.jvm"), a);
            dump(Some(dir), &format!("{file}.sluice"), b);
        }
    }
    out.sluice_log = sluice.log_tail(40);
    Ok(Some(out))
}

/// The last offset record of connector `name`, as `key => value` text.
fn last_offset(records: &[TopicRecord], name: &str) -> Option<String> {
    records
        .iter()
        .rev()
        .find(|r| {
            r.key_text()
                .is_some_and(|k| k.contains(&format!("\"{name}\"")))
        })
        .map(|r| {
            format!(
                "{} => {}",
                r.key_text().unwrap_or_default(),
                r.value_text().unwrap_or_default()
            )
        })
}

fn report(problems: &[String], log: &str) {
    assert!(
        problems.is_empty(),
        "{} differences:\n{}\n--- sluice log ---\n{log}",
        problems.len(),
        problems.join("\n"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debezium_36_and_sluice_write_the_same_records_and_offsets_for_every_column_type_and_ddl()
-> Result<(), BoxError> {
    if skip(
        "debezium_36_and_sluice_write_the_same_records_and_offsets_for_every_column_type_and_ddl",
    ) {
        return Ok(());
    }
    let Some(out) = scenario().await? else {
        return Ok(());
    };
    let mut problems = Vec::new();
    let mut compared = 0;
    for (what, a, b) in &out.identical {
        problems.extend(compare(what, a, b));
        compared += a.len().min(b.len());
        eprintln!(
            "{what}: {} records from Debezium, {} from Sluice",
            a.len(),
            b.len()
        );
    }
    for (what, a, b) in &out.source_times {
        if a != b {
            problems.push(format!(
                "streaming source timestamps of {what}: debezium {a:?}, sluice {b:?}"
            ));
        }
    }
    for (what, a, b) in &out.offsets {
        if a.is_none() || a != b {
            problems.push(format!(
                "last offset of {what}:\n debezium {a:?}\n sluice   {b:?}"
            ));
        }
    }
    eprintln!(
        "compared {compared} records and {} committed offsets byte for byte; accepted \
         differences: {}; not compared: {}",
        out.offsets.len(),
        ACCEPTED_DIFFERENCES.len(),
        OPEN_DIFFERENCES.len()
    );
    report(&problems, &out.sluice_log);
    Ok(())
}

fn props(config: &Value) -> std::collections::BTreeMap<String, String> {
    serde_json::from_value(config.clone()).expect("a config of strings")
}

fn rand_server_id() -> String {
    use rand::Rng;
    rand::rng()
        .random_range(100_000..2_000_000_000u32)
        .to_string()
}
