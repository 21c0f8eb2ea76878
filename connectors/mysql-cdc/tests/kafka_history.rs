//! The Kafka-backed schema history against a real broker (`KAFKA_BOOTSTRAP`) and server
//! (`MYSQL_URL`); skipped with a notice when either is unset.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use connect_api::data::Value;
use connect_api::{
    ConnectError, ConnectorConfig, OffsetStorageReader, Props, SourceOffset, SourcePartition,
    SourceRecord, SourceTask, SourceTaskContext, TaskHost,
};
use connect_mysql_cdc::history::{KafkaHistory, SchemaHistory};
use connect_mysql_cdc::{MySqlConfig, MySqlSourceTask};
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

#[derive(Debug)]
struct Host;
impl TaskHost for Host {
    fn request_commit(&self) {}
    fn report_progress(&self, _progress: serde_json::Value) {}
}

fn env() -> Option<(String, String)> {
    match (std::env::var("MYSQL_URL"), std::env::var("KAFKA_BOOTSTRAP")) {
        (Ok(m), Ok(k)) => Some((m, k)),
        _ => {
            eprintln!(
                "MYSQL_URL or KAFKA_BOOTSTRAP is not set: skipping the Kafka schema history test"
            );
            None
        }
    }
}

async fn start(props: &Props, offsets: &Arc<Offsets>) -> Result<MySqlSourceTask, ConnectError> {
    let ctx = SourceTaskContext {
        connector: "article".into(),
        task: 0,
        props: props.clone(),
        offsets: offsets.clone(),
        host: Arc::new(Host),
    };
    MySqlSourceTask::start(
        ctx,
        MySqlConfig::parse(props).map_err(ConnectError::Config)?,
    )
    .await
}

async fn collect(task: &mut MySqlSourceTask, out: &mut Vec<SourceRecord>, n: usize, topic: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while out.iter().filter(|r| r.topic == topic).count() < n {
        assert!(
            Instant::now() < deadline,
            "timed out with {} records",
            out.len()
        );
        out.extend(task.poll().await.unwrap());
    }
}

#[tokio::test]
async fn article_config_keeps_its_history_in_kafka_and_recovers_from_it() {
    let Some((mysql, kafka)) = env() else { return };
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let history_topic = format!("schema-changes.brazillian_ecommerce.{stamp}");
    let db = "cdc_kafka_history";
    let mut conn = mysql_async::Conn::from_url(&mysql).await.unwrap();
    conn.query_drop(format!("DROP DATABASE IF EXISTS {db}"))
        .await
        .unwrap();
    conn.query_drop(format!("CREATE DATABASE {db}"))
        .await
        .unwrap();
    conn.query_drop(format!(
        "CREATE TABLE {db}.orders (order_id VARCHAR(32) PRIMARY KEY, order_status VARCHAR(32))"
    ))
    .await
    .unwrap();
    conn.query_drop(format!("INSERT INTO {db}.orders VALUES ('o1','delivered')"))
        .await
        .unwrap();

    let rest = mysql.strip_prefix("mysql://").unwrap();
    let (cred, addr) = rest.split_once('@').unwrap();
    let (user, pass) = cred.split_once(':').unwrap();
    let (host, port) = addr.trim_end_matches('/').split_once(':').unwrap();
    let props: Props = serde_json::from_value(serde_json::json!({
        "connector.class": "io.debezium.connector.mysql.MySqlConnector", "tasks.max": "1",
        "database.hostname": host, "database.port": port, "database.user": user, "database.password": pass,
        "database.server.id": "184061", "database.include.list": db, "topic.prefix": "dbserver1",
        "schema.history.internal.kafka.bootstrap.servers": kafka,
        "schema.history.internal.kafka.topic": history_topic,
    }))
    .unwrap();
    let offsets = Arc::new(Offsets::default());
    let topic = format!("dbserver1.{db}.orders");

    // A missing history with offsets present is fatal and says how to recover.
    *offsets.0.lock().unwrap() = Some(SourceOffset(
        serde_json::from_str(r#"{"file":"binlog.000001","pos":4}"#).unwrap(),
    ));
    let err = start(&props, &offsets).await.unwrap_err().to_string();
    assert!(err.contains("snapshot.mode=recovery"), "{err}");
    *offsets.0.lock().unwrap() = None;

    let mut task = start(&props, &offsets).await.unwrap();
    let mut recs = Vec::new();
    collect(&mut task, &mut recs, 1, &topic).await;
    let last = recs
        .iter()
        .rfind(|r| r.topic == topic)
        .unwrap()
        .source_offset
        .clone();
    task.stop().await.unwrap();
    drop(task);

    // The topic holds Debezium-shaped records, the CREATE TABLE among them.
    let history = KafkaHistory::new(&kafka, &history_topic, &Props::new());
    let records = history.recover().await.unwrap();
    assert!(records.len() >= 5, "{records:?}");
    assert!(records[0].ddl.starts_with("SET character_set_server="));
    assert!(
        records
            .iter()
            .any(|r| r.ddl.starts_with("CREATE TABLE `orders`"))
    );

    // Restart from the committed offset: the schema comes back from Kafka, streaming continues,
    // and DDL while streaming lands in the topic too.
    *offsets.0.lock().unwrap() = Some(last.to_offset());
    let mut task = start(&props, &offsets).await.unwrap();
    conn.query_drop(format!(
        "ALTER TABLE {db}.orders ADD COLUMN note VARCHAR(8)"
    ))
    .await
    .unwrap();
    conn.query_drop(format!(
        "INSERT INTO {db}.orders VALUES ('o2','created','n')"
    ))
    .await
    .unwrap();
    let mut more = Vec::new();
    collect(&mut task, &mut more, 1, &topic).await;
    let rec = more.iter().find(|r| r.topic == topic).unwrap();
    let after = rec
        .value
        .value
        .as_struct()
        .unwrap()
        .get("after")
        .unwrap()
        .as_struct()
        .unwrap();
    assert_eq!(after.get("note"), Some(&Value::from("n")));
    task.stop().await.unwrap();
    let records = history.recover().await.unwrap();
    assert!(
        records.last().unwrap().ddl.contains("ADD COLUMN note"),
        "{:?}",
        records.last()
    );
}
