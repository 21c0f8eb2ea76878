//! Live tests against a MySQL/MariaDB server with the binlog on (`MYSQL_URL`, e.g.
//! `mysql://root:debezium@127.0.0.1:3306`). Skipped with a notice when the variable is unset.
//!
//! Each test uses its own database and replica `server_id`, so they can run in parallel.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use connect_api::data::{Struct, Value};
use connect_api::{
    ConnectError, ConnectorConfig, OffsetStorageReader, Props, SourceOffset, SourcePartition,
    SourceRecord, SourceTask, SourceTaskContext, TaskHost,
};
use connect_mysql_cdc::history::MemoryHistory;
use connect_mysql_cdc::{MySqlConfig, MySqlSourceTask, jsonout};
use mysql_async::prelude::Queryable;

#[derive(Debug, Default)]
struct Offsets(Mutex<Option<SourceOffset>>);

#[async_trait]
impl OffsetStorageReader for Offsets {
    async fn offsets(
        &self,
        partitions: &[SourcePartition],
    ) -> Result<Vec<(SourcePartition, SourceOffset)>, ConnectError> {
        let stored = self.0.lock().unwrap().clone();
        Ok(partitions
            .iter()
            .filter_map(|p| stored.clone().map(|o| (p.clone(), o)))
            .collect())
    }
}

#[derive(Debug, Default)]
struct Host(Mutex<Vec<serde_json::Value>>);

impl TaskHost for Host {
    fn request_commit(&self) {}
    fn report_progress(&self, progress: serde_json::Value) {
        self.0.lock().unwrap().push(progress);
    }
}

struct Server {
    host: String,
    port: u16,
    user: String,
    password: String,
    url: String,
}

fn server() -> Option<Server> {
    let Ok(url) = std::env::var("MYSQL_URL") else {
        eprintln!("MYSQL_URL is not set: skipping the live MySQL CDC test");
        return None;
    };
    let rest = url.strip_prefix("mysql://")?;
    let (cred, addr) = rest.split_once('@')?;
    let (user, password) = cred.split_once(':').unwrap_or((cred, ""));
    let addr = addr.trim_end_matches('/');
    let (host, port) = addr.split_once(':').unwrap_or((addr, "3306"));
    Some(Server {
        host: host.into(),
        port: port.parse().ok()?,
        user: user.into(),
        password: password.into(),
        url: url.clone(),
    })
}

impl Server {
    async fn conn(&self) -> mysql_async::Conn {
        mysql_async::Conn::from_url(&self.url).await.unwrap()
    }

    fn props(&self, db: &str, server_id: u32, extra: &[(&str, &str)]) -> Props {
        let mut p: Props = [
            (
                "connector.class",
                "io.debezium.connector.mysql.MySqlConnector",
            ),
            ("tasks.max", "1"),
            ("database.hostname", self.host.as_str()),
            ("database.port", &self.port.to_string()),
            ("database.user", self.user.as_str()),
            ("database.password", self.password.as_str()),
            ("database.server.id", &server_id.to_string()),
            ("database.include.list", db),
            ("topic.prefix", "dbserver1"),
            (
                "schema.history.internal.kafka.bootstrap.servers",
                "127.0.0.1:1",
            ),
            ("schema.history.internal.kafka.topic", "schema-changes.test"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (k, v) in extra {
            p.insert((*k).into(), (*v).into());
        }
        p
    }
}

struct Harness {
    offsets: Arc<Offsets>,
    history: MemoryHistory,
    props: Props,
    /// What the tasks reported through `TaskHost::report_progress`.
    host: Arc<Host>,
}

impl Harness {
    fn new(props: Props) -> Self {
        Self {
            offsets: Arc::new(Offsets::default()),
            history: MemoryHistory::default(),
            props,
            host: Arc::new(Host::default()),
        }
    }

    async fn start(&self) -> Result<MySqlSourceTask, ConnectError> {
        let ctx = SourceTaskContext {
            connector: "inventory-connector".into(),
            task: 0,
            props: self.props.clone(),
            offsets: self.offsets.clone(),
            host: self.host.clone(),
        };
        let config = MySqlConfig::parse(&self.props).map_err(ConnectError::Config)?;
        MySqlSourceTask::start_with_history(ctx, config, Arc::new(self.history.clone())).await
    }
}

/// Polls until `done` holds for the collected records (or 30 s pass).
async fn collect(
    task: &mut MySqlSourceTask,
    out: &mut Vec<SourceRecord>,
    done: impl Fn(&[SourceRecord]) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done(out) {
        assert!(
            Instant::now() < deadline,
            "timed out; got {} records: {:#?}",
            out.len(),
            out.iter().map(describe).collect::<Vec<_>>()
        );
        out.extend(task.poll().await.unwrap());
    }
}

fn describe(r: &SourceRecord) -> String {
    format!("{} op={:?}", r.topic, field(r, "op"))
}

fn st(v: &Value) -> &Struct {
    v.as_struct().unwrap()
}

fn field<'a>(r: &'a SourceRecord, name: &str) -> Option<&'a Value> {
    r.value.value.as_struct().and_then(|s| s.get(name))
}

fn after<'a>(r: &'a SourceRecord, col: &str) -> &'a Value {
    st(field(r, "after").unwrap()).get(col).unwrap()
}

fn source<'a>(r: &'a SourceRecord, f: &str) -> &'a Value {
    st(field(r, "source").unwrap()).get(f).unwrap()
}

fn ops(records: &[SourceRecord], topic: &str) -> Vec<String> {
    records
        .iter()
        .filter(|r| r.topic == topic)
        .map(|r| match field(r, "op") {
            Some(Value::String(s)) => s.clone(),
            _ => "tombstone".into(),
        })
        .collect()
}

async fn reset_db(conn: &mut mysql_async::Conn, db: &str) {
    conn.query_drop(format!("DROP DATABASE IF EXISTS {db}"))
        .await
        .unwrap();
    conn.query_drop(format!(
        "CREATE DATABASE {db} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
    ))
    .await
    .unwrap();
}

const ORDERS_DDL: &str = "CREATE TABLE olist_orders_dataset (order_id varchar(32) NOT NULL PRIMARY KEY, customer_id varchar(32), order_status varchar(32), order_purchase_timestamp varchar(32), order_approved_at varchar(32), order_delivered_carrier_date varchar(32), order_delivered_customer_date varchar(32), order_estimated_delivery_date varchar(32))";

fn order(id: &str, status: &str) -> String {
    format!(
        "('{id}','c{id}','{status}','2017-10-02 10:56:33','2017-10-02 11:07:15','2017-10-04 19:55:00','2017-10-10 21:25:13','2017-10-18 00:00:00')"
    )
}

#[tokio::test]
async fn article_table_snapshot_then_streaming_matches_debezium() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "brazillian_ecommerce";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!("USE {db}")).await.unwrap();
    conn.query_drop(ORDERS_DDL).await.unwrap();
    conn.query_drop(format!(
        "INSERT INTO olist_orders_dataset VALUES {},{},{}",
        order("a1", "delivered"),
        order("a2", "shipped"),
        order("a3", "invoiced")
    ))
    .await
    .unwrap();

    let h = Harness::new(srv.props(db, 184_054, &[]));
    let mut task = h.start().await.unwrap();
    let topic = "dbserver1.brazillian_ecommerce.olist_orders_dataset";
    let mut recs = Vec::new();
    collect(&mut task, &mut recs, |r| ops(r, topic).len() >= 3).await;

    // Snapshot: three reads marked first/true/last, same position, server_id 0.
    let snap: Vec<&SourceRecord> = recs.iter().filter(|r| r.topic == topic).collect();
    let markers: Vec<_> = snap
        .iter()
        .map(|r| source(r, "snapshot").as_str().unwrap().to_owned())
        .collect();
    assert_eq!(markers, ["first", "true", "last"]);
    assert_eq!(ops(&recs, topic), ["r", "r", "r"]);
    assert_eq!(after(snap[0], "order_id"), &Value::from("a1"));
    assert_eq!(after(snap[1], "order_status"), &Value::from("shipped"));
    assert_eq!(source(snap[0], "server_id"), &Value::Int64(0));
    assert_eq!(source(snap[0], "thread"), &Value::Null);
    assert_eq!(source(snap[0], "version"), &Value::from("2.2.0.Final"));
    assert_eq!(source(snap[0], "connector"), &Value::from("mysql"));
    assert_eq!(source(snap[0], "name"), &Value::from("dbserver1"));
    assert_eq!(source(snap[0], "db"), &Value::from(db));
    assert_eq!(
        source(snap[0], "table"),
        &Value::from("olist_orders_dataset")
    );
    assert!(
        snap[0].source_offset.to_offset().0.get("snapshot") == Some(&serde_json::Value::Bool(true))
    );
    assert!(
        !snap[2].source_offset.to_offset().0.contains_key("snapshot"),
        "the last snapshot record completes the snapshot"
    );
    assert_eq!(snap[0].source_partition.key(), r#"{"server":"dbserver1"}"#);
    // Key: the primary key struct, named like Debezium's.
    let key_json = jsonout::envelope(snap[0].key.schema.as_deref(), &snap[0].key.value);
    assert_eq!(
        key_json,
        r#"{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"order_id"}],"optional":false,"name":"dbserver1.brazillian_ecommerce.olist_orders_dataset.Key"},"payload":{"order_id":"a1"}}"#
    );
    // Schema changes were published on the prefix topic, keyed by database.
    let ddl_recs: Vec<&SourceRecord> = recs.iter().filter(|r| r.topic == "dbserver1").collect();
    assert!(ddl_recs.iter().any(|r| {
        field(r, "ddl")
            .and_then(Value::as_str)
            .is_some_and(|d| d.starts_with("CREATE TABLE `olist_orders_dataset`"))
    }));
    assert!(ddl_recs.iter().all(|r| r.kafka_partition == Some(0)));
    // The history holds Debezium's snapshot sequence.
    let lines = h.history.lines();
    assert!(
        lines[0].contains(r#""ddl":"SET character_set_server="#),
        "{}",
        lines[0]
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(r#""ddl":"DROP DATABASE IF EXISTS `brazillian_ecommerce`""#))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(r#""ddl":"USE `brazillian_ecommerce`""#))
    );

    // Streaming: insert, update, delete (+ tombstone), DDL, insert with the new column, truncate.
    conn.query_drop(format!(
        "INSERT INTO olist_orders_dataset VALUES {}",
        order("b1", "created")
    ))
    .await
    .unwrap();
    conn.query_drop("UPDATE olist_orders_dataset SET order_status='approved' WHERE order_id='b1'")
        .await
        .unwrap();
    conn.query_drop("DELETE FROM olist_orders_dataset WHERE order_id='a1'")
        .await
        .unwrap();
    conn.query_drop("ALTER TABLE olist_orders_dataset ADD COLUMN note varchar(20) DEFAULT 'none'")
        .await
        .unwrap();
    conn.query_drop(format!(
        "INSERT INTO olist_orders_dataset VALUES {}",
        order("b2", "created").replace(")", ",'hello')")
    ))
    .await
    .unwrap();
    conn.query_drop("TRUNCATE TABLE olist_orders_dataset")
        .await
        .unwrap();
    conn.query_drop("INSERT INTO olist_orders_dataset (order_id) VALUES ('b3')")
        .await
        .unwrap();
    let n0 = recs.len();
    collect(&mut task, &mut recs, |r| ops(&r[n0..], topic).len() >= 6).await;
    let stream: Vec<&SourceRecord> = recs[n0..].iter().filter(|r| r.topic == topic).collect();
    assert_eq!(
        ops(&recs[n0..], topic),
        ["c", "u", "d", "tombstone", "c", "c"]
    );
    let c = stream[0];
    assert_eq!(field(c, "before"), Some(&Value::Null));
    assert_eq!(after(c, "order_id"), &Value::from("b1"));
    assert_eq!(
        source(c, "snapshot"),
        &Value::Null,
        "streaming leaves snapshot unset (JSON shows the default \"false\")"
    );
    assert_eq!(source(c, "server_id"), &Value::Int64(1));
    assert_eq!(source(c, "row"), &Value::Int32(0));
    let (master_file,): (String,) = {
        let row: mysql_async::Row = conn
            .query_first("SHOW MASTER STATUS")
            .await
            .unwrap()
            .unwrap();
        (row.get(0).unwrap(),)
    };
    assert_eq!(
        source(c, "file").as_str().unwrap(),
        master_file,
        "the exact binlog file name"
    );
    assert!(source(c, "pos").as_i64().unwrap() > 4);
    let gtid = source(c, "gtid").as_str().unwrap();
    assert_eq!(
        gtid.split('-').count(),
        3,
        "MariaDB GTID domain-server-seq: {gtid}"
    );
    assert_eq!(
        source(c, "ts_ms").as_i64().unwrap() % 1000,
        0,
        "binlog timestamps have second resolution"
    );
    let u = stream[1];
    assert_eq!(
        st(field(u, "before").unwrap()).get("order_status"),
        Some(&Value::from("created"))
    );
    assert_eq!(after(u, "order_status"), &Value::from("approved"));
    let d = stream[2];
    assert_eq!(field(d, "after"), Some(&Value::Null));
    assert_eq!(
        st(field(d, "before").unwrap()).get("order_id"),
        Some(&Value::from("a1"))
    );
    let tomb = stream[3];
    assert_eq!(tomb.value.value, Value::Null);
    assert_eq!(tomb.key, d.key);
    assert_eq!(after(stream[4], "note"), &Value::from("hello"));
    assert_eq!(after(stream[5], "note"), &Value::from("none"));
    // The ALTER produced a schema change event with the new column.
    let alter = recs[n0..]
        .iter()
        .find(|r| r.topic == "dbserver1")
        .expect("schema change for ALTER");
    assert!(
        field(alter, "ddl")
            .unwrap()
            .as_str()
            .unwrap()
            .starts_with("ALTER TABLE olist_orders_dataset ADD COLUMN note")
    );
    let changes = match field(alter, "tableChanges").unwrap() {
        Value::Array(a) => a.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(st(&changes[0]).get("type"), Some(&Value::from("ALTER")));
    // The whole update payload in Debezium 2.2's byte layout (timestamps/positions masked).
    let json = jsonout::payload_only(u.value.schema.as_ref().unwrap(), &u.value.value);
    assert!(
        json.starts_with(
            r#"{"before":{"order_id":"b1","customer_id":"cb1","order_status":"created","#
        ),
        "{json}"
    );
    assert!(
        json.contains(
            r#""source":{"version":"2.2.0.Final","connector":"mysql","name":"dbserver1","ts_ms":"#
        ),
        "{json}"
    );
    assert!(json.contains(r#""snapshot":"false","db":"brazillian_ecommerce","sequence":null,"table":"olist_orders_dataset","server_id":1,"gtid":""#), "{json}");
    assert!(
        json.contains(r#""row":0,"thread":null,"query":null},"op":"u","ts_ms":"#),
        "{json}"
    );
    assert!(json.ends_with(r#","transaction":null}"#), "{json}");
    task.stop().await.unwrap();
}

#[tokio::test]
async fn restart_resumes_after_the_last_committed_row_of_a_half_sent_event() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_restart";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!(
        "CREATE TABLE {db}.t (id INT PRIMARY KEY, v VARCHAR(10))"
    ))
    .await
    .unwrap();
    let h = Harness::new(srv.props(db, 184_055, &[]));
    let mut task = h.start().await.unwrap();
    let topic = "dbserver1.cdc_restart.t";
    let mut recs = Vec::new();
    // No rows: the snapshot emits only schema changes; wait for the CREATE TABLE one.
    collect(&mut task, &mut recs, |r| {
        r.iter().any(|x| {
            field(x, "ddl")
                .and_then(Value::as_str)
                .is_some_and(|d| d.starts_with("CREATE TABLE"))
        })
    })
    .await;
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (1,'a'),(2,'b'),(3,'c')"))
        .await
        .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (4,'d')"))
        .await
        .unwrap();
    collect(&mut task, &mut recs, |r| ops(r, topic).len() >= 4).await;
    task.stop().await.unwrap();
    drop(task);
    let rows: Vec<&SourceRecord> = recs.iter().filter(|r| r.topic == topic).collect();
    // Rows of one event share the position and count up `row`.
    assert_eq!(source(rows[0], "pos"), source(rows[2], "pos"));
    assert_eq!(source(rows[2], "row"), &Value::Int32(2));
    assert_eq!(
        rows[1].source_offset.to_offset().0.get("row"),
        Some(&serde_json::json!(2))
    );
    // Commit the offset of the second row only, then restart.
    *h.offsets.0.lock().unwrap() = Some(rows[1].source_offset.to_offset());
    let mut task = h.start().await.unwrap();
    let mut again = Vec::new();
    collect(&mut task, &mut again, |r| ops(r, topic).len() >= 2).await;
    let ids: Vec<_> = again
        .iter()
        .filter(|r| r.topic == topic)
        .map(|r| after(r, "id").clone())
        .collect();
    assert_eq!(
        ids,
        [Value::Int32(3), Value::Int32(4)],
        "exactly the rows after the committed one"
    );
    task.stop().await.unwrap();
}

#[tokio::test]
async fn every_column_type_converts_the_same_in_snapshot_and_binlog() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_types";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!("CREATE TABLE {db}.all_types (id INT NOT NULL PRIMARY KEY, c_tinyint TINYINT NOT NULL DEFAULT 0, c_utiny TINYINT UNSIGNED, c_bool BOOLEAN, c_usmall SMALLINT UNSIGNED, c_medium MEDIUMINT, c_uint INT UNSIGNED, c_big BIGINT, c_ubig BIGINT UNSIGNED, c_dec DECIMAL(10,2) NOT NULL DEFAULT '1.00', c_float FLOAT, c_double DOUBLE, c_bit1 BIT(1), c_bit10 BIT(10), c_char CHAR(3), c_vc VARCHAR(255) CHARACTER SET latin1, c_text TEXT, c_bin BINARY(4), c_blob BLOB, c_enum ENUM('S','M','L') DEFAULT 'M', c_set SET('a','b','c'), c_json JSON, c_year YEAR, c_date DATE, c_time TIME(3), c_dt DATETIME, c_dt6 DATETIME(6), c_ts TIMESTAMP(3) NULL, c_pt POINT, c_geo GEOMETRY)")).await.unwrap();
    let values = "(ID, -5, 255, 1, 65535, -8388608, 4294967295, -9223372036854775808, 18446744073709551615, -123.45, 1.5, 2.25, b'1', b'1000000001', 'ab', 'café', 'Tシャツ', x'0102', x'DEADBEEF', 'L', 'a,c', '{\"a\": 1}', 2024, '2018-06-20', '-01:02:03.5', '2018-06-20 06:37:03', '2018-06-20 06:37:03.123456', '2018-06-20 13:37:03.250', ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('LINESTRING(0 0,1 1)'))";
    conn.query_drop("SET time_zone='+00:00'").await.unwrap();
    conn.query_drop(format!(
        "INSERT INTO {db}.all_types VALUES {}",
        values.replace("ID", "1")
    ))
    .await
    .unwrap();
    let h = Harness::new(srv.props(db, 184_056, &[]));
    let mut task = h.start().await.unwrap();
    let topic = "dbserver1.cdc_types.all_types";
    let mut recs = Vec::new();
    collect(&mut task, &mut recs, |r| !ops(r, topic).is_empty()).await;
    conn.query_drop(format!(
        "INSERT INTO {db}.all_types VALUES {}",
        values.replace("ID", "2")
    ))
    .await
    .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.all_types (id) VALUES (3)"))
        .await
        .unwrap();
    collect(&mut task, &mut recs, |r| ops(r, topic).len() >= 3).await;
    let rows: Vec<&SourceRecord> = recs.iter().filter(|r| r.topic == topic).collect();
    let (snap, live, nulls) = (rows[0], rows[1], rows[2]);
    let expected: Vec<(&str, Value)> = vec![
        ("c_tinyint", Value::Int16(-5)),
        ("c_utiny", Value::Int16(255)),
        ("c_bool", Value::Int16(1)),
        ("c_usmall", Value::Int32(65535)),
        ("c_medium", Value::Int32(-8_388_608)),
        ("c_uint", Value::Int64(4_294_967_295)),
        ("c_big", Value::Int64(i64::MIN)),
        ("c_ubig", Value::Int64(-1)),
        ("c_dec", Value::Bytes(vec![0xcf, 0xc7].into())),
        ("c_float", Value::Float32(1.5)),
        ("c_double", Value::Float64(2.25)),
        ("c_bit1", Value::Boolean(true)),
        ("c_bit10", Value::Bytes(vec![0x01, 0x02].into())),
        ("c_char", Value::from("ab")),
        ("c_vc", Value::from("café")),
        ("c_text", Value::from("Tシャツ")),
        ("c_bin", Value::Bytes(vec![1, 2, 0, 0].into())),
        ("c_blob", Value::Bytes(vec![0xde, 0xad, 0xbe, 0xef].into())),
        ("c_enum", Value::from("L")),
        ("c_set", Value::from("a,c")),
        ("c_year", Value::Int32(2024)),
        ("c_date", Value::Int32(17702)),
        ("c_time", Value::Int64(-3_723_500_000)),
        ("c_dt", Value::Int64(1_529_476_623_000)),
        ("c_dt6", Value::Int64(1_529_476_623_123_456)),
        ("c_ts", Value::from("2018-06-20T13:37:03.250Z")),
    ];
    for (col, want) in &expected {
        assert_eq!(after(snap, col), want, "snapshot {col}");
        assert_eq!(after(live, col), want, "binlog {col}");
    }
    assert_eq!(after(snap, "c_json"), &Value::from("{\"a\": 1}"));
    let pt = st(after(live, "c_pt"));
    assert_eq!(
        (pt.get("x"), pt.get("y"), pt.get("srid")),
        (
            Some(&Value::Float64(1.0)),
            Some(&Value::Float64(2.0)),
            // SRID 0 is "unknown": Debezium writes null (MySqlGeometry.fromBytes in 2.2.1,
            // BinlogGeometry in 3.6.1).
            Some(&Value::Null)
        )
    );
    assert_eq!(after(snap, "c_pt"), after(live, "c_pt"));
    assert_eq!(after(snap, "c_geo"), after(live, "c_geo"));
    // Unset columns: null, or the default where the column has one.
    assert_eq!(after(nulls, "c_tinyint"), &Value::Int16(0));
    assert_eq!(after(nulls, "c_enum"), &Value::from("M"));
    assert_eq!(after(nulls, "c_dt"), &Value::Null);
    task.stop().await.unwrap();
}

#[tokio::test]
async fn faults_fail_with_actionable_errors() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_faults";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!("CREATE TABLE {db}.nokey (a INT, b VARCHAR(5))"))
        .await
        .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.nokey VALUES (1, 'x')"))
        .await
        .unwrap();

    let mut bad = Harness::new(srv.props(db, 184_057, &[("database.password", "wrong")]));
    let err = bad.start().await.unwrap_err().to_string();
    assert!(
        err.contains("check database.user and database.password"),
        "{err}"
    );
    bad.props
        .insert("database.hostname".into(), "no-such-host.invalid".into());
    bad.props
        .insert("database.password".into(), srv.password.clone());
    let err = bad.start().await.unwrap_err().to_string();
    assert!(err.contains("check database.hostname"), "{err}");

    // Offsets without a history: the message says how to recover.
    let h = Harness::new(srv.props(db, 184_058, &[]));
    *h.offsets.0.lock().unwrap() = Some(SourceOffset(
        serde_json::from_str(r#"{"file":"binlog.000001","pos":4}"#).unwrap(),
    ));
    let err = h.start().await.unwrap_err().to_string();
    assert!(err.contains("snapshot.mode=recovery"), "{err}");

    // A purged (never existing) binlog file.
    let h2 = Harness::new(srv.props(db, 184_059, &[]));
    h2.history.set_lines(vec![r#"{"source":{"server":"dbserver1"},"position":{"file":"binlog.000001","pos":4},"ts_ms":0,"databaseName":"cdc_faults","ddl":"CREATE TABLE nokey (a INT, b VARCHAR(5))","tableChanges":[]}"#.into()]);
    *h2.offsets.0.lock().unwrap() = Some(SourceOffset(
        serde_json::from_str(r#"{"file":"binlog.999999","pos":4}"#).unwrap(),
    ));
    let err = h2.start().await.unwrap_err().to_string();
    assert!(err.contains("no longer available on the server"), "{err}");

    // Recovery mode rebuilds the history and keeps the offset.
    let h3 = Harness::new(srv.props(db, 184_060, &[("snapshot.mode", "recovery")]));
    let (file, pos): (String, u64) = {
        let row: mysql_async::Row = conn
            .query_first("SHOW MASTER STATUS")
            .await
            .unwrap()
            .unwrap();
        (row.get(0).unwrap(), row.get(1).unwrap())
    };
    *h3.offsets.0.lock().unwrap() = Some(SourceOffset(
        serde_json::from_str(&format!(r#"{{"file":"{file}","pos":{pos}}}"#)).unwrap(),
    ));
    let mut task = h3.start().await.unwrap();
    conn.query_drop(format!("INSERT INTO {db}.nokey VALUES (2, 'y')"))
        .await
        .unwrap();
    let mut recs = Vec::new();
    collect(&mut task, &mut recs, |r| {
        !ops(r, "dbserver1.cdc_faults.nokey").is_empty()
    })
    .await;
    let rec = recs
        .iter()
        .find(|r| r.topic == "dbserver1.cdc_faults.nokey")
        .unwrap();
    assert_eq!(after(rec, "a"), &Value::Int32(2));
    assert_eq!(
        rec.key.value,
        Value::Null,
        "a table without primary key has a null key"
    );
    assert!(rec.key.schema.is_none());
    assert!(
        h3.history
            .lines()
            .iter()
            .any(|l| l.contains("CREATE TABLE `nokey`"))
    );
    task.stop().await.unwrap();
}

#[tokio::test]
async fn a_killed_binlog_connection_reconnects_without_losing_or_repeating_rows() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_reconnect";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!("CREATE TABLE {db}.t (id INT PRIMARY KEY)"))
        .await
        .unwrap();
    // Idle, Debezium emits a heartbeat only when an event arrives: the server's own heartbeat
    // events come every 0.8 × connect.keep.alive.interval.ms (48 s by default), so a short
    // keep-alive makes the idle heartbeat show up within the test.
    let h = Harness::new(srv.props(
        db,
        184_062,
        &[
            ("heartbeat.interval.ms", "100"),
            ("connect.keep.alive.interval.ms", "500"),
        ],
    ));
    let mut task = h.start().await.unwrap();
    let topic = "dbserver1.cdc_reconnect.t";
    let mut recs = Vec::new();
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (1),(2)"))
        .await
        .unwrap();
    collect(&mut task, &mut recs, |r| ops(r, topic).len() >= 2).await;
    // Idle: heartbeats carry the current offset on their own topic, partition 0.
    collect(&mut task, &mut recs, |r| {
        r.iter()
            .any(|x| x.topic == "__debezium-heartbeat.dbserver1")
    })
    .await;
    let beat = recs
        .iter()
        .find(|x| x.topic == "__debezium-heartbeat.dbserver1")
        .unwrap();
    assert_eq!(beat.kafka_partition, Some(0));
    assert_eq!(
        st(&beat.key.value).get("serverName"),
        Some(&Value::from("dbserver1"))
    );
    assert!(beat.source_offset.to_offset().0.contains_key("pos"));
    // Kill the server side of our replication connection (the dump thread of server id 184062).
    let dumps: Vec<(u64, String)> = conn
        .query("SELECT ID, COALESCE(INFO, '') FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")
        .await
        .unwrap();
    assert!(!dumps.is_empty());
    for (id, _) in &dumps {
        // Other tests' dump threads reconnect too; that is what is being tested.
        if let Err(e) = conn.query_drop(format!("KILL {id}")).await {
            eprintln!("KILL {id}: {e} (the thread already ended)");
        }
    }
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (3)"))
        .await
        .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (4),(5)"))
        .await
        .unwrap();
    collect(&mut task, &mut recs, |r| ops(r, topic).len() >= 5).await;
    // A little longer, to catch duplicates.
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        recs.extend(task.poll().await.unwrap());
    }
    let ids: Vec<Value> = recs
        .iter()
        .filter(|r| r.topic == topic)
        .map(|r| after(r, "id").clone())
        .collect();
    assert_eq!(ids, (1..=5).map(Value::Int32).collect::<Vec<_>>());
    task.stop().await.unwrap();
}

#[tokio::test]
async fn zero_dates_latin1_bytes_and_large_rows_stream_correctly() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_edge";
    reset_db(&mut conn, db).await;
    conn.query_drop("SET SESSION sql_mode=''").await.unwrap();
    conn.query_drop(format!("CREATE TABLE {db}.t (id INT PRIMARY KEY, d DATE NULL, dn DATETIME NOT NULL, l VARCHAR(10) CHARACTER SET latin1, big LONGBLOB)")).await.unwrap();
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (1, '0000-00-00', '0000-00-00 00:00:00', _latin1 x'E9FF80', NULL)")).await.unwrap();
    let h = Harness::new(srv.props(db, 184_063, &[]));
    let mut task = h.start().await.unwrap();
    let topic = "dbserver1.cdc_edge.t";
    let mut recs = Vec::new();
    collect(&mut task, &mut recs, |r| !ops(r, topic).is_empty()).await;
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (2, '0000-00-00', '0000-00-00 00:00:00', _latin1 x'E9FF80', NULL)")).await.unwrap();
    // A 64 MB row: the server must accept it, and the binlog event is larger still.
    conn.query_drop("SET GLOBAL max_allowed_packet=1073741824")
        .await
        .unwrap();
    let mut big_conn = srv.conn().await;
    big_conn
        .query_drop("SET SESSION sql_mode=''")
        .await
        .unwrap();
    let big = vec![0xabu8; 64 * 1024 * 1024];
    big_conn
        .exec_drop(
            format!("INSERT INTO {db}.t (id, dn, big) VALUES (3, '2020-01-01', ?)"),
            (big.clone(),),
        )
        .await
        .unwrap();
    collect(&mut task, &mut recs, |r| ops(r, topic).len() >= 3).await;
    let rows: Vec<&SourceRecord> = recs.iter().filter(|r| r.topic == topic).collect();
    for r in &rows[..2] {
        assert_eq!(after(r, "d"), &Value::Null, "nullable zero date → null");
        assert_eq!(
            after(r, "dn"),
            &Value::Int64(0),
            "required zero date → epoch"
        );
        assert_eq!(after(r, "l"), &Value::from("éÿ€"), "latin1 is Windows-1252");
    }
    match after(rows[2], "big") {
        Value::Bytes(b) => assert!(b.len() == big.len() && b.iter().all(|x| *x == 0xab)),
        other => panic!("{other:?}"),
    }
    task.stop().await.unwrap();
}

#[tokio::test]
async fn a_user_without_replication_grants_is_told_which_grant_is_missing() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_grants";
    reset_db(&mut conn, db).await;
    conn.query_drop("DROP USER IF EXISTS 'cdc_nogrant'@'%'")
        .await
        .unwrap();
    conn.query_drop("CREATE USER 'cdc_nogrant'@'%' IDENTIFIED BY 'pw'")
        .await
        .unwrap();
    conn.query_drop("GRANT SELECT ON *.* TO 'cdc_nogrant'@'%'")
        .await
        .unwrap();
    let h = Harness::new(srv.props(
        db,
        184_064,
        &[
            ("database.user", "cdc_nogrant"),
            ("database.password", "pw"),
        ],
    ));
    let err = h.start().await.unwrap_err().to_string();
    assert!(err.contains("REPLICATION CLIENT"), "{err}");
}

#[tokio::test]
async fn a_primary_key_update_becomes_delete_tombstone_and_create() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_pkchange";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!(
        "CREATE TABLE {db}.t (id INT PRIMARY KEY, v VARCHAR(5))"
    ))
    .await
    .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (1, 'a')"))
        .await
        .unwrap();
    let h = Harness::new(srv.props(db, 184_065, &[]));
    let mut task = h.start().await.unwrap();
    let topic = "dbserver1.cdc_pkchange.t";
    let mut recs = Vec::new();
    collect(&mut task, &mut recs, |r| !ops(r, topic).is_empty()).await;
    conn.query_drop(format!("UPDATE {db}.t SET id = 2 WHERE id = 1"))
        .await
        .unwrap();
    collect(&mut task, &mut recs, |r| ops(r, topic).len() >= 4).await;
    assert_eq!(ops(&recs, topic), ["r", "d", "tombstone", "c"]);
    let stream: Vec<&SourceRecord> = recs.iter().filter(|r| r.topic == topic).skip(1).collect();
    assert_eq!(st(&stream[0].key.value).get("id"), Some(&Value::Int32(1)));
    assert_eq!(stream[0].headers[0].key, "__debezium.newkey");
    assert_eq!(
        st(&stream[0].headers[0].value.value).get("id"),
        Some(&Value::Int32(2))
    );
    assert_eq!(st(&stream[2].key.value).get("id"), Some(&Value::Int32(2)));
    assert_eq!(stream[2].headers[0].key, "__debezium.oldkey");
    assert_eq!(after(stream[2], "v"), &Value::from("a"));
    task.stop().await.unwrap();
}

#[tokio::test]
async fn snapshot_modes_initial_only_no_data_and_when_needed_behave_like_debezium() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_modes";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!("CREATE TABLE {db}.t (id INT PRIMARY KEY)"))
        .await
        .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (1),(2)"))
        .await
        .unwrap();
    let topic = "dbserver1.cdc_modes.t";

    // initial_only: the rows, then nothing more (no streaming).
    let h = Harness::new(srv.props(db, 184_066, &[("snapshot.mode", "initial_only")]));
    let mut task = h.start().await.unwrap();
    let mut recs = Vec::new();
    collect(&mut task, &mut recs, |r| ops(r, topic).len() >= 2).await;
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (3)"))
        .await
        .unwrap();
    let until = Instant::now() + Duration::from_millis(800);
    while Instant::now() < until {
        recs.extend(task.poll().await.unwrap());
    }
    assert_eq!(ops(&recs, topic), ["r", "r"]);
    task.stop().await.unwrap();

    // no_data (schema_only): structures only, then the stream from the current position.
    let h = Harness::new(srv.props(db, 184_067, &[("snapshot.mode", "schema_only")]));
    let mut task = h.start().await.unwrap();
    let mut recs = Vec::new();
    collect(&mut task, &mut recs, |r| {
        r.iter().any(|x| {
            field(x, "ddl")
                .and_then(Value::as_str)
                .is_some_and(|d| d.starts_with("CREATE TABLE"))
        })
    })
    .await;
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (4)"))
        .await
        .unwrap();
    collect(&mut task, &mut recs, |r| !ops(r, topic).is_empty()).await;
    assert_eq!(ops(&recs, topic), ["c"]);
    assert_eq!(
        after(recs.iter().find(|r| r.topic == topic).unwrap(), "id"),
        &Value::Int32(4)
    );
    task.stop().await.unwrap();

    // when_needed with a position the server no longer has: a new snapshot instead of failing.
    let h = Harness::new(srv.props(
        db,
        184_068,
        &[
            ("snapshot.mode", "when_needed"),
            (
                "connector.class",
                "io.debezium.connector.mariadb.MariaDbConnector",
            ),
        ],
    ));
    h.history.set_lines(vec![r#"{"source":{"server":"dbserver1"},"position":{"file":"binlog.000001","pos":4},"ts_ms":0,"databaseName":"cdc_modes","ddl":"CREATE TABLE t (id INT PRIMARY KEY)","tableChanges":[]}"#.into()]);
    *h.offsets.0.lock().unwrap() = Some(SourceOffset(
        serde_json::from_str(r#"{"file":"binlog.999999","pos":4}"#).unwrap(),
    ));
    let mut task = h.start().await.unwrap();
    let mut recs = Vec::new();
    collect(&mut task, &mut recs, |r| ops(r, topic).len() >= 4).await;
    assert_eq!(ops(&recs, topic), ["r", "r", "r", "r"]);
    let r0 = recs.iter().find(|r| r.topic == topic).unwrap();
    // The MariaDB connector class names its own source schema.
    assert_eq!(source(r0, "connector"), &Value::from("mariadb"));
    let src_schema = field(r0, "source")
        .unwrap()
        .as_struct()
        .unwrap()
        .schema()
        .name
        .clone();
    assert_eq!(
        src_schema.as_deref(),
        Some("io.debezium.connector.mariadb.Source")
    );
    task.stop().await.unwrap();
}

#[tokio::test]
async fn transaction_metadata_brackets_each_transaction_with_begin_and_end() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_txmeta";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!("CREATE TABLE {db}.a (id INT PRIMARY KEY)"))
        .await
        .unwrap();
    conn.query_drop(format!("CREATE TABLE {db}.b (id INT PRIMARY KEY)"))
        .await
        .unwrap();
    let h = Harness::new(srv.props(db, 184_069, &[("provide.transaction.metadata", "true")]));
    let mut task = h.start().await.unwrap();
    let mut recs = Vec::new();
    collect(&mut task, &mut recs, |r| {
        r.iter().filter(|x| x.topic == "dbserver1").count() >= 3
    })
    .await;
    conn.query_drop(format!("START TRANSACTION; INSERT INTO {db}.a VALUES (1),(2); INSERT INTO {db}.b VALUES (1); COMMIT")).await.unwrap();
    let txt = "dbserver1.transaction";
    collect(&mut task, &mut recs, |r| {
        r.iter().filter(|x| x.topic == txt).count() >= 2
    })
    .await;
    let tx: Vec<&SourceRecord> = recs.iter().filter(|r| r.topic == txt).collect();
    let status = |r: &SourceRecord| {
        st(&r.value.value)
            .get("status")
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        (status(tx[0]), status(tx[1])),
        ("BEGIN".to_owned(), "END".to_owned())
    );
    let end = st(&tx[1].value.value);
    assert_eq!(end.get("event_count"), Some(&Value::Int64(3)));
    let id = end.get("id").unwrap().as_str().unwrap().to_owned();
    assert_eq!(id.split('-').count(), 3, "a MariaDB GTID: {id}");
    let data: Vec<&SourceRecord> = recs
        .iter()
        .filter(|r| r.topic.starts_with("dbserver1.cdc_txmeta."))
        .collect();
    let blocks: Vec<(i64, i64)> = data
        .iter()
        .map(|r| {
            let t = st(field(r, "transaction").unwrap());
            (
                t.get("total_order").unwrap().as_i64().unwrap(),
                t.get("data_collection_order").unwrap().as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(blocks, [(1, 1), (2, 2), (3, 1)]);
    let json = jsonout::payload_only(tx[1].value.schema.as_ref().unwrap(), &tx[1].value.value);
    assert!(json.contains(r#""data_collections":[{"data_collection":"cdc_txmeta.a","event_count":2},{"data_collection":"cdc_txmeta.b","event_count":1}]"#), "{json}");
    task.stop().await.unwrap();
}

/// Throughput on the article's table; runs only when `CDC_BENCH_ROWS` is set (e.g. 100000).
#[tokio::test]
async fn throughput_of_snapshot_and_streaming_on_the_article_table() {
    let Some(srv) = server() else { return };
    let Some(n) = std::env::var("CDC_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    else {
        eprintln!("CDC_BENCH_ROWS is not set: skipping the throughput measurement");
        return;
    };
    let mut conn = srv.conn().await;
    let db = "cdc_bench";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!("USE {db}")).await.unwrap();
    conn.query_drop(ORDERS_DDL).await.unwrap();
    let load = |from: usize, to: usize| {
        (from..to)
            .collect::<Vec<_>>()
            .chunks(1000)
            .map(|c| {
                format!(
                    "INSERT INTO olist_orders_dataset VALUES {}",
                    c.iter()
                        .map(|i| order(&format!("{i:030}"), "delivered"))
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
            .collect::<Vec<_>>()
    };
    for q in load(0, n) {
        conn.query_drop(q).await.unwrap();
    }
    let h = Harness::new(srv.props(db, 184_070, &[]));
    let topic = "dbserver1.cdc_bench.olist_orders_dataset";
    let started = Instant::now();
    let mut task = h.start().await.unwrap();
    let mut count = 0;
    while count < n {
        count += task
            .poll()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.topic == topic)
            .count();
    }
    let snap = started.elapsed();
    for q in load(n, 2 * n) {
        conn.query_drop(q).await.unwrap();
    }
    let started = Instant::now();
    let mut count = 0;
    while count < n {
        count += task
            .poll()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.topic == topic)
            .count();
    }
    let stream = started.elapsed();
    eprintln!(
        "{n} rows: snapshot {:.0} rows/s, streaming {:.0} rows/s (binlog already written)",
        n as f64 / snap.as_secs_f64(),
        n as f64 / stream.as_secs_f64()
    );
    task.stop().await.unwrap();
}

#[tokio::test]
async fn tables_created_renamed_and_dropped_while_streaming_are_tracked() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_ddl_stream";
    reset_db(&mut conn, db).await;
    let h = Harness::new(srv.props(db, 184_071, &[]));
    let mut task = h.start().await.unwrap();
    let mut recs = Vec::new();
    // The snapshot of an empty database still records it.
    collect(&mut task, &mut recs, |r| {
        r.iter().any(|x| {
            field(x, "ddl")
                .and_then(Value::as_str)
                .is_some_and(|d| d.starts_with("USE"))
        })
    })
    .await;
    conn.query_drop(format!(
        "CREATE TABLE {db}.n (id INT PRIMARY KEY, v ENUM('x','y') DEFAULT 'y')"
    ))
    .await
    .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.n (id) VALUES (1)"))
        .await
        .unwrap();
    conn.query_drop(format!("RENAME TABLE {db}.n TO {db}.m"))
        .await
        .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.m VALUES (2, 'x')"))
        .await
        .unwrap();
    conn.query_drop(format!(
        "ALTER TABLE {db}.m ENGINE=InnoDB, ADD COLUMN (w INT, z INT)"
    ))
    .await
    .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.m VALUES (3, 'x', 30, 31)"))
        .await
        .unwrap();
    conn.query_drop(format!("DROP TABLE {db}.m")).await.unwrap();
    collect(&mut task, &mut recs, |r| {
        r.iter().any(|x| {
            field(x, "ddl").and_then(Value::as_str).is_some_and(|d| {
                d.starts_with("DROP TABLE `cdc_ddl_stream`.`m`")
                    || d.starts_with("DROP TABLE cdc_ddl_stream.m")
            })
        })
    })
    .await;
    let n: Vec<&SourceRecord> = recs
        .iter()
        .filter(|r| r.topic == "dbserver1.cdc_ddl_stream.n")
        .collect();
    let m: Vec<&SourceRecord> = recs
        .iter()
        .filter(|r| r.topic == "dbserver1.cdc_ddl_stream.m")
        .collect();
    assert_eq!(n.len(), 1);
    assert_eq!(after(n[0], "v"), &Value::from("y"));
    assert_eq!(m.len(), 2);
    assert_eq!(after(m[0], "id"), &Value::Int32(2));
    assert_eq!(after(m[1], "z"), &Value::Int32(31));
    let kinds: Vec<String> = recs
        .iter()
        .filter(|r| r.topic == "dbserver1")
        .filter_map(|r| match field(r, "tableChanges") {
            Some(Value::Array(a)) if !a.is_empty() => {
                Some(st(&a[0]).get("type").unwrap().as_str().unwrap().to_owned())
            }
            _ => None,
        })
        .collect();
    // Debezium 2.2 records a DROP with no tableChanges: its SchemaChangeEvent looks the table
    // up after the parser removed it (a DROP change with the id came with DBZ-6828, 2.4.0).
    assert_eq!(kinds, ["CREATE", "ALTER", "ALTER"]);
    let drop = recs
        .iter()
        .filter(|r| r.topic == "dbserver1")
        .find(|r| {
            field(r, "ddl")
                .and_then(Value::as_str)
                .is_some_and(|d| d.starts_with("DROP TABLE `cdc_ddl_stream`.`m`"))
        })
        .expect("the DROP's schema change");
    assert_eq!(field(drop, "tableChanges"), Some(&Value::Array(Vec::new())));
    task.stop().await.unwrap();
}

#[tokio::test]
async fn a_restart_before_a_recorded_ddl_decodes_earlier_rows_with_the_earlier_schema() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_ddl_restart";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!("CREATE TABLE {db}.t (id INT PRIMARY KEY)"))
        .await
        .unwrap();
    let h = Harness::new(srv.props(db, 184_072, &[]));
    let mut task = h.start().await.unwrap();
    let topic = "dbserver1.cdc_ddl_restart.t";
    let mut recs = Vec::new();
    collect(&mut task, &mut recs, |r| {
        r.iter().any(|x| {
            field(x, "ddl")
                .and_then(Value::as_str)
                .is_some_and(|d| d.starts_with("CREATE TABLE"))
        })
    })
    .await;
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (0)"))
        .await
        .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (1)"))
        .await
        .unwrap();
    conn.query_drop(format!("ALTER TABLE {db}.t ADD COLUMN v VARCHAR(3)"))
        .await
        .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (2, 'x')"))
        .await
        .unwrap();
    collect(&mut task, &mut recs, |r| ops(r, topic).len() >= 3).await;
    task.stop().await.unwrap();
    drop(task);
    // Only the first insert's offset was committed; the ALTER is already in the history.
    let first = recs.iter().find(|r| r.topic == topic).unwrap();
    *h.offsets.0.lock().unwrap() = Some(first.source_offset.to_offset());
    let mut task = h.start().await.unwrap();
    let mut again = Vec::new();
    collect(&mut task, &mut again, |r| ops(r, topic).len() >= 2).await;
    let rows: Vec<&SourceRecord> = again.iter().filter(|r| r.topic == topic).collect();
    assert_eq!(after(rows[0], "id"), &Value::Int32(1));
    assert!(
        st(field(rows[0], "after").unwrap()).get("v").is_none(),
        "row 1 predates the column"
    );
    assert_eq!(after(rows[1], "v"), &Value::from("x"));
    task.stop().await.unwrap();
}

#[tokio::test]
async fn a_binlog_rotation_moves_events_to_the_new_file() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_rotate";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!("CREATE TABLE {db}.t (id INT PRIMARY KEY)"))
        .await
        .unwrap();
    let h = Harness::new(srv.props(db, 184_073, &[]));
    let mut task = h.start().await.unwrap();
    let topic = "dbserver1.cdc_rotate.t";
    let mut recs = Vec::new();
    collect(&mut task, &mut recs, |r| {
        r.iter().any(|x| {
            field(x, "ddl")
                .and_then(Value::as_str)
                .is_some_and(|d| d.starts_with("CREATE TABLE"))
        })
    })
    .await;
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (1)"))
        .await
        .unwrap();
    conn.query_drop("FLUSH BINARY LOGS").await.unwrap();
    let row: mysql_async::Row = conn
        .query_first("SHOW MASTER STATUS")
        .await
        .unwrap()
        .unwrap();
    let new_file: String = row.get(0).unwrap();
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (2)"))
        .await
        .unwrap();
    collect(&mut task, &mut recs, |r| ops(r, topic).len() >= 2).await;
    let rows: Vec<&SourceRecord> = recs.iter().filter(|r| r.topic == topic).collect();
    assert_ne!(source(rows[0], "file"), source(rows[1], "file"));
    assert_eq!(source(rows[1], "file").as_str().unwrap(), new_file);
    assert_eq!(
        rows[1]
            .source_offset
            .to_offset()
            .0
            .get("file")
            .and_then(|f| f.as_str()),
        Some(new_file.as_str())
    );
    task.stop().await.unwrap();
}

#[tokio::test]
async fn snapshot_data_can_be_limited_and_its_select_overridden() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_snapsel";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!("CREATE TABLE {db}.a (id INT PRIMARY KEY)"))
        .await
        .unwrap();
    conn.query_drop(format!("CREATE TABLE {db}.b (id INT PRIMARY KEY)"))
        .await
        .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.a VALUES (1),(2),(3)"))
        .await
        .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.b VALUES (1)"))
        .await
        .unwrap();
    let h = Harness::new(srv.props(
        db,
        184_074,
        &[
            ("snapshot.include.collection.list", "cdc_snapsel\\.a"),
            ("snapshot.select.statement.overrides", "cdc_snapsel.a"),
            (
                "snapshot.select.statement.overrides.cdc_snapsel.a",
                "SELECT * FROM cdc_snapsel.a WHERE id >= 2",
            ),
        ],
    ));
    let mut task = h.start().await.unwrap();
    let mut recs = Vec::new();
    collect(&mut task, &mut recs, |r| {
        ops(r, "dbserver1.cdc_snapsel.a").len() >= 2
    })
    .await;
    // Streaming still covers b.
    conn.query_drop(format!("INSERT INTO {db}.b VALUES (2)"))
        .await
        .unwrap();
    collect(&mut task, &mut recs, |r| {
        !ops(r, "dbserver1.cdc_snapsel.b").is_empty()
    })
    .await;
    let a: Vec<Value> = recs
        .iter()
        .filter(|r| r.topic == "dbserver1.cdc_snapsel.a")
        .map(|r| after(r, "id").clone())
        .collect();
    assert_eq!(a, [Value::Int32(2), Value::Int32(3)]);
    assert_eq!(ops(&recs, "dbserver1.cdc_snapsel.b"), ["c"]);
    task.stop().await.unwrap();
}

#[tokio::test]
async fn unparseable_ddl_stops_the_task_unless_told_to_skip_it() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_badddl";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!("CREATE TABLE {db}.t (id INT PRIMARY KEY)"))
        .await
        .unwrap();
    let strict = Harness::new(srv.props(db, 184_075, &[]));
    let lenient = Harness::new(srv.props(
        db,
        184_076,
        &[("schema.history.internal.skip.unparseable.ddl", "true")],
    ));
    let mut t1 = strict.start().await.unwrap();
    let mut t2 = lenient.start().await.unwrap();
    let mut r1 = Vec::new();
    let mut r2 = Vec::new();
    let ready = |r: &[SourceRecord]| {
        r.iter().any(|x| {
            field(x, "ddl")
                .and_then(Value::as_str)
                .is_some_and(|d| d.starts_with("CREATE TABLE `t`"))
        })
    };
    collect(&mut t1, &mut r1, ready).await;
    collect(&mut t2, &mut r2, ready).await;
    // Application-time periods: valid MariaDB, unknown to the parser.
    conn.query_drop(format!(
        "CREATE TABLE {db}.u (id INT PRIMARY KEY, s DATE, e DATE, PERIOD FOR p(s, e))"
    ))
    .await
    .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (1)"))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let err = loop {
        assert!(Instant::now() < deadline, "no error reported");
        match t1.poll().await {
            Ok(batch) => r1.extend(batch),
            Err(e) => break e.to_string(),
        }
    };
    assert!(
        err.contains("couldn't be parsed") && err.contains("skip.unparseable.ddl"),
        "{err}"
    );
    assert!(
        !r1.iter()
            .any(|r| r.topic == "dbserver1.cdc_badddl.t"
                && field(r, "op") == Some(&Value::from("c"))),
        "nothing after the bad DDL"
    );
    collect(&mut t2, &mut r2, |r| {
        !ops(r, "dbserver1.cdc_badddl.t").is_empty()
    })
    .await;
    assert_eq!(ops(&r2, "dbserver1.cdc_badddl.t"), ["c"]);
    t1.stop().await.unwrap();
    t2.stop().await.unwrap();
}

#[tokio::test]
async fn a_user_without_replication_slave_fails_when_streaming_starts() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_noslave";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!("CREATE TABLE {db}.t (id INT PRIMARY KEY)"))
        .await
        .unwrap();
    conn.query_drop("DROP USER IF EXISTS 'cdc_noslave'@'%'")
        .await
        .unwrap();
    conn.query_drop("CREATE USER 'cdc_noslave'@'%' IDENTIFIED BY 'pw'")
        .await
        .unwrap();
    conn.query_drop(
        "GRANT SELECT, RELOAD, SHOW DATABASES, BINLOG MONITOR ON *.* TO 'cdc_noslave'@'%'",
    )
    .await
    .unwrap();
    let h = Harness::new(srv.props(
        db,
        184_077,
        &[
            ("database.user", "cdc_noslave"),
            ("database.password", "pw"),
        ],
    ));
    let mut task = h.start().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let err = loop {
        assert!(Instant::now() < deadline, "no error reported");
        if let Err(e) = task.poll().await {
            break e.to_string();
        }
    };
    assert!(err.contains("REPLICATION SLAVE"), "{err}");
    task.stop().await.unwrap();
}

#[tokio::test]
async fn a_chunked_snapshot_resumes_after_the_last_committed_row() {
    chunked_resume("1", "cdc_chunks", 184_078).await;
}

#[tokio::test]
async fn a_parallel_chunked_snapshot_resumes_after_the_last_committed_row() {
    chunked_resume("3", "cdc_chunks_par", 184_079).await;
}

/// Kills (stops) a chunked snapshot after its fifth row and resumes it from that row's offset.
async fn chunked_resume(threads: &str, db: &str, server_id: u32) {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    reset_db(&mut conn, db).await;
    conn.query_drop(format!(
        "CREATE TABLE {db}.t (id INT PRIMARY KEY, v VARCHAR(10))"
    ))
    .await
    .unwrap();
    conn.query_drop(format!(
        "CREATE TABLE {db}.u (a VARCHAR(5), b INT, PRIMARY KEY (a, b))"
    ))
    .await
    .unwrap();
    let values: Vec<String> = (1..=10).map(|i| format!("({i}, 'v{i}')")).collect();
    conn.query_drop(format!("INSERT INTO {db}.t VALUES {}", values.join(",")))
        .await
        .unwrap();
    conn.query_drop(format!(
        "INSERT INTO {db}.u VALUES ('x', 2), ('x', 1), ('y', 0)"
    ))
    .await
    .unwrap();
    let extra = [
        ("snapshot.chunk.size", "3"),
        ("snapshot.max.threads", threads),
        ("max.batch.size", "1"),
        ("max.queue.size", "2"),
    ];
    let h = Harness::new(srv.props(db, server_id, &extra));
    let (t, u) = (&*format!("dbserver1.{db}.t"), &*format!("dbserver1.{db}.u"));
    let mut task = h.start().await.unwrap();
    let mut recs = Vec::new();
    collect(&mut task, &mut recs, |r| ops(r, t).len() >= 5).await;
    task.stop().await.unwrap();
    drop(task);
    let fifth = recs.iter().filter(|r| r.topic == t).nth(4).unwrap();
    assert_eq!(after(fifth, "id"), &Value::Int32(5));
    assert_eq!(
        fifth.source_offset.to_offset().0.get("snapshot_table"),
        Some(&serde_json::json!(format!("{db}.t")))
    );
    assert_eq!(
        fifth.source_offset.to_offset().0.get("snapshot_key"),
        Some(&serde_json::json!("[5]"))
    );
    // Changes while the connector is down, before and after the resume point.
    conn.query_drop(format!("UPDATE {db}.t SET v = 'changed' WHERE id = 7"))
        .await
        .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (11, 'v11')"))
        .await
        .unwrap();
    conn.query_drop(format!("DELETE FROM {db}.t WHERE id = 2"))
        .await
        .unwrap();

    *h.offsets.0.lock().unwrap() = Some(fifth.source_offset.to_offset());
    let mut task = h.start().await.unwrap();
    let mut again = Vec::new();
    collect(&mut task, &mut again, |r| {
        ops(r, u).len() >= 3 && ops(r, t).iter().filter(|o| *o != "r").count() >= 4
    })
    .await;
    let reads: Vec<Value> = again
        .iter()
        .filter(|r| r.topic == t && field(r, "op") == Some(&Value::from("r")))
        .map(|r| after(r, "id").clone())
        .collect();
    assert_eq!(
        reads,
        (6..=11).map(Value::Int32).collect::<Vec<_>>(),
        "exactly the rows after the resume point, as they are now"
    );
    let seven = again
        .iter()
        .find(|r| r.topic == t && after(r, "id") == &Value::Int32(7))
        .unwrap();
    assert_eq!(after(seven, "v"), &Value::from("changed"));
    let u_keys: Vec<(Value, Value)> = again
        .iter()
        .filter(|r| r.topic == u)
        .map(|r| (after(r, "a").clone(), after(r, "b").clone()))
        .collect();
    assert_eq!(
        u_keys,
        [
            ("x".into(), Value::Int32(1)),
            ("x".into(), Value::Int32(2)),
            ("y".into(), Value::Int32(0))
        ],
        "composite keys in key order"
    );
    let markers: Vec<String> = again
        .iter()
        .filter(|r| field(r, "op") == Some(&Value::from("r")))
        .map(|r| source(r, "snapshot").as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        markers.first().map(String::as_str),
        Some("true"),
        "the resumed part does not restart at first"
    );
    assert_eq!(markers.last().map(String::as_str), Some("last"));
    // Streaming starts from the original snapshot position: the changes are replayed.
    let streamed: Vec<String> = ops(&again, t).into_iter().filter(|o| o != "r").collect();
    assert_eq!(streamed, ["u", "c", "d", "tombstone"]);
    task.stop().await.unwrap();
}

/// Replays snapshot reads then changes onto a map id → v, checking the seam: a created row must
/// not be in the map yet (else the snapshot saw a row whose insert is streamed too), an updated
/// or deleted one must be. Returns the map, or the first inconsistency.
fn replay_ids(
    records: &[SourceRecord],
    topic: &str,
) -> Result<std::collections::BTreeMap<i64, String>, String> {
    let mut rows = std::collections::BTreeMap::new();
    for r in records.iter().filter(|r| r.topic == topic) {
        let Some(op) = field(r, "op").and_then(Value::as_str) else {
            continue; // a tombstone
        };
        let image = |which: &str| -> Option<(i64, String)> {
            let s = field(r, which)?.as_struct()?;
            let id = match s.get("id")? {
                Value::Int32(i) => i64::from(*i),
                other => return Some((-1, format!("{other:?}"))),
            };
            Some((id, s.get("v")?.as_str()?.to_owned()))
        };
        match op {
            "r" | "c" => {
                let (id, v) = image("after").ok_or("no after image")?;
                if rows.insert(id, v).is_some() {
                    return Err(format!("{op} of id {id}, which was already there"));
                }
            }
            "u" => {
                let (id, v) = image("after").ok_or("no after image")?;
                if rows.insert(id, v).is_none() {
                    return Err(format!("update of id {id}, which was never read"));
                }
            }
            "d" => {
                let (id, _) = image("before").ok_or("no before image")?;
                if rows.remove(&id).is_none() {
                    return Err(format!("delete of id {id}, which was never read"));
                }
            }
            other => return Err(format!("unexpected op {other}")),
        }
    }
    Ok(rows)
}

#[tokio::test]
async fn a_parallel_snapshot_reads_each_row_once_at_the_handover_point_while_writers_run() {
    let Some(srv) = server() else { return };
    for (n, locking) in ["minimal", "none"].into_iter().enumerate() {
        let mut conn = srv.conn().await;
        let db = format!("cdc_parallel_{locking}");
        reset_db(&mut conn, &db).await;
        conn.query_drop(format!(
            "CREATE TABLE {db}.t (id INT PRIMARY KEY, v VARCHAR(20))"
        ))
        .await
        .unwrap();
        // 20,000 rows with gaps in the key (ids 3, 6, 9 …), so ranges are not arithmetic.
        conn.query_drop(format!(
            "INSERT INTO {db}.t SELECT seq * 3, CONCAT('v', seq) FROM {db}.seq_1_to_20000"
        ))
        .await
        .unwrap();
        // Writers keep inserting, updating and deleting until the snapshot is over.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let stop = stop.clone();
            let mut w = srv.conn().await;
            let db = db.clone();
            tokio::spawn(async move {
                let mut i = 0i64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    i += 1;
                    let stmt = match i % 3 {
                        0 => format!("INSERT INTO {db}.t VALUES ({}, 'new{i}')", 100_000 + i),
                        1 => format!(
                            "UPDATE {db}.t SET v = 'upd{i}' WHERE id = {}",
                            (i * 7919) % 60_000 / 3 * 3 + 3
                        ),
                        _ => format!(
                            "DELETE FROM {db}.t WHERE id = {}",
                            (i * 104_729) % 60_000 / 3 * 3 + 3
                        ),
                    };
                    w.query_drop(stmt).await.unwrap();
                }
                i
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let h = Harness::new(srv.props(
            &db,
            184_200 + u32::try_from(n).unwrap(),
            &[
                ("snapshot.max.threads", "3"),
                ("snapshot.chunk.size", "500"),
                ("snapshot.locking.mode", locking),
            ],
        ));
        let topic = format!("dbserver1.{db}.t");
        let mut task = h.start().await.unwrap();
        let mut recs = Vec::new();
        collect(&mut task, &mut recs, |r| {
            r.iter().any(|r| {
                field(r, "source").is_some_and(|_| source(r, "snapshot") == &Value::from("last"))
            })
        })
        .await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let writes = writer.await.unwrap();
        let want: std::collections::BTreeMap<i64, String> = conn
            .query::<(i64, String), _>(format!("SELECT id, v FROM {db}.t"))
            .await
            .unwrap()
            .into_iter()
            .collect();
        // Stream until the replayed table equals the table; any seam error fails at once.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match replay_ids(&recs, &topic) {
                Err(e) => panic!("{locking}: {e}"),
                Ok(got) if got == want => break,
                Ok(_) => {}
            }
            assert!(
                Instant::now() < deadline,
                "{locking}: the stream never caught up"
            );
            recs.extend(task.poll().await.unwrap());
        }
        task.stop().await.unwrap();
        let reads: Vec<i64> = recs
            .iter()
            .filter(|r| r.topic == topic && field(r, "op") == Some(&Value::from("r")))
            .map(|r| match after(r, "id") {
                Value::Int32(i) => i64::from(*i),
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(
            reads.windows(2).all(|w| w[0] < w[1]),
            "{locking}: snapshot rows come in key order"
        );
        assert!(reads.len() > 19_000, "{locking}: {} rows read", reads.len());
        let streamed = recs
            .iter()
            .filter(|r| r.topic == topic && field(r, "op").is_some_and(|o| o != &Value::from("r")))
            .count();
        eprintln!(
            "{locking}: {} rows read, {streamed} changes streamed, {writes} writes",
            reads.len()
        );
        let progress = h.host.0.lock().unwrap().clone();
        let last = progress
            .iter()
            .rev()
            .find_map(|p| p.get("snapshot"))
            .expect("snapshot progress reported");
        assert_eq!(last["table"], serde_json::json!(format!("{db}.t")));
        assert_eq!(last["tables_done"], serde_json::json!(1));
        assert_eq!(last["tables_total"], serde_json::json!(1));
        assert_eq!(last["rows"], serde_json::json!(reads.len()));
        assert_eq!(
            last["threads"],
            serde_json::json!(3),
            "{locking}: three readers joined the read view"
        );
        conn.query_drop(format!("DROP DATABASE {db}"))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_restart_reads_from_the_offsets_gtid_set_when_its_file_means_nothing_here() {
    let Some(srv) = server() else { return };
    let mut conn = srv.conn().await;
    let db = "cdc_gtid_start";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!(
        "CREATE TABLE {db}.t (id INT PRIMARY KEY, v VARCHAR(10))"
    ))
    .await
    .unwrap();
    let topic = "dbserver1.cdc_gtid_start.t";
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (0, 'v0')"))
        .await
        .unwrap();
    let h = Harness::new(srv.props(db, 184_210, &[]));
    let mut task = h.start().await.unwrap();
    let mut recs = Vec::new();
    // The snapshot (one row) is over before the changes this test is about.
    collect(&mut task, &mut recs, |r| !ops(r, topic).is_empty()).await;
    for i in 1..=3 {
        conn.query_drop(format!("INSERT INTO {db}.t VALUES ({i}, 'v{i}')"))
            .await
            .unwrap();
    }
    // A DDL before the restart point: recovery must place it by GTID, not by position.
    conn.query_drop(format!("ALTER TABLE {db}.t ADD COLUMN z INT DEFAULT 5"))
        .await
        .unwrap();
    // One transaction, one rows event with three rows: the restart lands inside it.
    conn.query_drop(format!(
        "INSERT INTO {db}.t VALUES (4, 'v4', 40), (5, 'v5', 50), (6, 'v6', 60)"
    ))
    .await
    .unwrap();
    collect(&mut task, &mut recs, |r| ops(r, topic).len() >= 7).await;
    assert_eq!(ops(&recs, topic), ["r", "c", "c", "c", "c", "c", "c"]);
    task.stop().await.unwrap();
    drop(task);
    let fifth = recs
        .iter()
        .find(|r| r.topic == topic && after(r, "id") == &Value::Int32(5))
        .unwrap();
    let mut offset = fifth.source_offset.to_offset();
    assert!(
        offset
            .0
            .get("gtids")
            .and_then(|g| g.as_str())
            .is_some_and(|g| !g.is_empty()),
        "MariaDB offsets carry the GTID set: {offset:?}"
    );
    assert_eq!(offset.0.get("row"), Some(&serde_json::json!(2)));
    // As after a failover: the file and position name nothing on this server. Only the GTID
    // set (and the event/row skip inside the transaction) can place the stream.
    offset
        .0
        .insert("file".into(), serde_json::json!("other-bin.000042"));
    offset.0.insert("pos".into(), serde_json::json!(4));
    *h.offsets.0.lock().unwrap() = Some(offset);
    // A DDL after it: the server sends it once and the stream applies it once.
    conn.query_drop(format!("ALTER TABLE {db}.t ADD COLUMN w INT"))
        .await
        .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (7, 'v7', 70, 700)"))
        .await
        .unwrap();
    let mut task = h.start().await.unwrap();
    let mut again = Vec::new();
    collect(&mut task, &mut again, |r| {
        r.iter()
            .any(|x| x.topic == topic && after(x, "id") == &Value::Int32(7))
    })
    .await;
    task.stop().await.unwrap();
    let ids: Vec<Value> = again
        .iter()
        .filter(|r| r.topic == topic)
        .map(|r| after(r, "id").clone())
        .collect();
    assert_eq!(
        ids,
        [Value::Int32(6), Value::Int32(7)],
        "exactly the rows after the committed one"
    );
    let six = again
        .iter()
        .find(|r| r.topic == topic && after(r, "id") == &Value::Int32(6))
        .unwrap();
    assert_eq!(
        after(six, "z"),
        &Value::Int32(60),
        "the DDL before the offset was recovered"
    );
    let seven = again
        .iter()
        .find(|r| r.topic == topic && after(r, "id") == &Value::Int32(7))
        .unwrap();
    assert_eq!(
        after(seven, "w"),
        &Value::Int32(700),
        "the DDL after it was applied"
    );
    assert_eq!(after(seven, "z"), &Value::Int32(70));
    let file = source(seven, "file").as_str().unwrap();
    assert!(
        file.starts_with("binlog."),
        "positions come from this server again: {file}"
    );
}

/// `MYSQL_TLS_DIR`: the stack's TLS files (`scripts/stack.sh` makes them and starts MariaDB
/// with them; `scripts/test.sh` exports the variable).
fn tls_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("MYSQL_TLS_DIR").map(std::path::PathBuf::from);
    if dir.is_none() {
        eprintln!("MYSQL_TLS_DIR is not set: skipping the TLS test");
    }
    dir
}

#[tokio::test]
async fn ssl_modes_encrypt_and_verify_the_servers_certificate() {
    let Some(srv) = server() else { return };
    let Some(tls) = tls_dir() else { return };
    let mut conn = srv.conn().await;
    let have: Option<(String, String)> = conn
        .query_first("SHOW VARIABLES LIKE 'have_ssl'")
        .await
        .unwrap();
    assert_eq!(
        have.map(|(_, v)| v).as_deref(),
        Some("YES"),
        "MYSQL_TLS_DIR is set but the server offers no TLS: restart it with scripts/stack.sh"
    );
    let db = "cdc_tls";
    reset_db(&mut conn, db).await;
    conn.query_drop(format!("CREATE TABLE {db}.t (id INT PRIMARY KEY)"))
        .await
        .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.t VALUES (1)"))
        .await
        .unwrap();
    // A user the server admits over TLS only: a working connector proves encryption.
    conn.query_drop(
        "CREATE OR REPLACE USER 'cdc_tls'@'%' IDENTIFIED BY 'tls-only' REQUIRE SSL; GRANT ALL PRIVILEGES ON *.* TO 'cdc_tls'@'%'",
    )
    .await
    .unwrap();
    let ca = tls.join("ca.pem").display().to_string();
    let other = tls.join("other-ca.pem").display().to_string();
    let topic = "dbserver1.cdc_tls.t";
    let cases: [(&str, &str, bool); 6] = [
        ("disabled", "", false),
        ("preferred", "", true),
        ("required", "", true),
        ("verify_ca", &ca, true),
        ("verify_identity", &ca, true),
        ("verify_ca", &other, false),
    ];
    for (n, (mode, truststore, works)) in cases.into_iter().enumerate() {
        let h = Harness::new(srv.props(
            db,
            184_220 + u32::try_from(n).unwrap(),
            &[
                ("database.user", "cdc_tls"),
                ("database.password", "tls-only"),
                ("database.ssl.mode", mode),
                ("database.ssl.truststore", truststore),
            ],
        ));
        match h.start().await {
            Ok(mut task) => {
                assert!(works, "{mode} with {truststore:?} must not connect");
                let mut recs = Vec::new();
                collect(&mut task, &mut recs, |r| !ops(r, topic).is_empty()).await;
                task.stop().await.unwrap();
            }
            Err(e) => {
                let e = e.to_string();
                assert!(!works, "{mode} with {truststore:?}: {e}");
                assert!(e.contains("Unable to connect to MySQL"), "{mode}: {e}");
                if mode == "disabled" {
                    assert!(e.contains("Access denied"), "{e}");
                } else {
                    assert!(e.to_lowercase().contains("certificate"), "{mode}: {e}");
                }
            }
        }
    }
    conn.query_drop("DROP USER 'cdc_tls'@'%'").await.unwrap();
}
