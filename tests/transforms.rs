//! Single Message Transforms through the real worker: the article's MySQL source unwrapped by
//! `ExtractNewRecordState` and renamed by `RegexRouter` feeding the S3 sink, and a sink-side
//! transform failure tolerated into the dead letter queue with Kafka's error headers.

use std::time::{Duration, Instant};

use connect_e2e::{
    BoxError, Broker, Mysql, S3, Until, Worker, it_enabled, list_keys, object_lines, object_store,
    random_name, read_topic, topic_with_values, wait_until,
};
use mysql_async::prelude::Queryable;
use rand::Rng as _;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(120);

fn skip(test: &str) -> bool {
    if it_enabled() {
        return false;
    }
    eprintln!("{test}: skipped, set CONNECT_IT=1 to run service-backed tests");
    true
}

/// 8 random characters, for names that must stay short (s3s-fs keys).
fn short_id() -> String {
    let name = random_name("x");
    name[name.len() - 8..].to_owned()
}

/// The article's order row `i` as the unwrapped record carries it.
fn order(i: u32, status: &str) -> Value {
    json!({
        "order_id": format!("o{i}"),
        "customer_id": format!("c{i}"),
        "order_status": status,
        "order_purchase_timestamp": "2017-10-02 10:56:33",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_article_source_unwrapped_and_routed_lands_in_s3_as_flat_rows_of_the_routed_topic()
-> Result<(), BoxError> {
    if skip("the_article_source_unwrapped_and_routed_lands_in_s3_as_flat_rows_of_the_routed_topic")
    {
        return Ok(());
    }
    // Given the article's orders table (four of its columns) with three rows.
    let broker = Broker::try_shared().await?;
    let bootstrap = broker.bootstrap().to_owned();
    let mysql = Mysql::try_shared().await?;
    let s3 = S3::try_shared().await?;
    let store = object_store(s3)?;
    let db = mysql.create_database("smt").await?;
    let mut conn = mysql.pool().get_conn().await?;
    conn.query_drop(format!(
        "CREATE TABLE `{db}`.olist_orders_dataset (order_id varchar(32), customer_id varchar(32), \
         order_status varchar(16), order_purchase_timestamp varchar(32), PRIMARY KEY (order_id))"
    ))
    .await?;
    conn.query_drop(format!(
        "INSERT INTO `{db}`.olist_orders_dataset VALUES \
         ('o1','c1','created','2017-10-02 10:56:33'), ('o2','c2','created','2017-10-02 10:56:33'), \
         ('o3','c3','created','2017-10-02 10:56:33')"
    ))
    .await?;

    // When the article's source runs with `unwrap` (rewrite deletes) and a router that renames
    // the table topic, and an S3 sink reads the routed topic.
    let id = short_id();
    let routed = format!("flat_{id}");
    let dir = format!("smt_{id}");
    let server_id: u32 = rand::rng().random_range(100_000..2_000_000_000);
    let source = json!({
        "connector.class": "io.debezium.connector.mysql.MySqlConnector",
        "tasks.max": "1",
        "database.hostname": mysql.host(),
        "database.port": mysql.port().to_string(),
        "database.user": "debezium",
        "database.password": "dbz",
        "database.server.id": server_id.to_string(),
        "database.include.list": db,
        "topic.prefix": format!("dbs_{id}"),
        "schema.history.internal.kafka.bootstrap.servers": bootstrap,
        "schema.history.internal.kafka.topic": format!("schema-changes.{db}"),
        "topic.creation.default.partitions": "1",
        "topic.creation.default.replication.factor": "1",
        "transforms": "unwrap,route",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.unwrap.delete.handling.mode": "rewrite",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "[^.]+\\.[^.]+\\.olist_orders_dataset",
        "transforms.route.replacement": routed,
    });
    let sink = json!({
        "connector.class": "io.confluent.connect.s3.S3SinkConnector",
        "topics": routed,
        "topics.dir": dir,
        "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
        "flush.size": "5",
        "store.url": s3.endpoint(),
        "storage.class": "io.confluent.connect.s3.storage.S3Storage",
        "s3.region": "us-east-1",
        "s3.bucket.name": s3.bucket(),
        "aws.access.key.id": s3.access_key(),
        "aws.secret.access.key": s3.secret_key(),
    });
    let mut worker = Worker::builder()
        .env("OFFSET_FLUSH_INTERVAL_MS", "1000")
        .start()
        .await?;
    let rest = worker.rest();
    let src_name = random_name("src-smt");
    let r = rest
        .post("/connectors", &json!({"name": src_name, "config": source}))
        .await?;
    assert_eq!(r.status, 201, "{}", r.text);
    rest.wait_running(&src_name, 1, WAIT).await?;
    let sink_name = random_name("sink-smt");
    let r = rest
        .post("/connectors", &json!({"name": sink_name, "config": sink}))
        .await?;
    assert_eq!(r.status, 201, "{}", r.text);
    rest.wait_running(&sink_name, 1, WAIT).await?;
    // And one row is updated and one deleted while streaming.
    conn.query_drop(format!(
        "UPDATE `{db}`.olist_orders_dataset SET order_status='delivered' WHERE order_id='o1'"
    ))
    .await?;
    conn.query_drop(format!(
        "DELETE FROM `{db}`.olist_orders_dataset WHERE order_id='o2'"
    ))
    .await?;

    // Then the sink writes one object of five flat rows under the routed topic's key: the
    // snapshot, the update and the delete rewritten with `__deleted` (its tombstone dropped).
    let key = format!("{dir}/{routed}/partition=0/{routed}+0+0000000000.json");
    let deadline = Instant::now() + WAIT;
    let keys = loop {
        let keys = list_keys(&*store, &dir).await?;
        if !keys.is_empty() || Instant::now() > deadline {
            break keys;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(
        keys,
        std::slice::from_ref(&key),
        "worker log:\n{}",
        worker.log_tail(60)
    );
    let rows: Vec<Value> = object_lines(&*store, &key)
        .await?
        .iter()
        .map(|l| serde_json::from_str(l))
        .collect::<Result<_, _>>()?;
    let with_deleted = |mut row: Value, deleted: &str| {
        row["__deleted"] = json!(deleted);
        row
    };
    assert_eq!(
        rows,
        [
            with_deleted(order(1, "created"), "false"),
            with_deleted(order(2, "created"), "false"),
            with_deleted(order(3, "created"), "false"),
            with_deleted(order(1, "delivered"), "false"),
            with_deleted(order(2, "created"), "true"),
        ]
    );
    // And the source's status and the routed topic's tracking show the transform ran there.
    let topics = rest.get(&format!("/connectors/{src_name}/topics")).await?;
    assert!(topics.text.contains(&routed), "{}", topics.text);
    worker.stop(Duration::from_secs(10)).await?;
    Ok(())
}

#[tokio::test]
async fn a_sink_transform_failure_is_tolerated_into_the_dlq_with_the_transforms_stage_and_class()
-> Result<(), BoxError> {
    if skip(
        "a_sink_transform_failure_is_tolerated_into_the_dlq_with_the_transforms_stage_and_class",
    ) {
        return Ok(());
    }
    let broker = Broker::try_shared().await?;
    let topic = random_name("smt-mixed");
    let dlq = random_name("smt-dlq");
    // Given schemaless JSON values: two objects around a string, which `ExtractField` cannot
    // take a field of.
    topic_with_values(
        broker.bootstrap(),
        &topic,
        &[r#"{"x":"a"}"#, r#""just a string""#, r#"{"x":"b"}"#],
    )
    .await?;
    let mut worker = Worker::builder()
        .env("OFFSET_FLUSH_INTERVAL_MS", "500")
        .start()
        .await?;
    let rest = worker.rest();
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("out.txt");
    let name = random_name("smt-dlq-sink");
    let created = rest
        .post(
            "/connectors",
            &json!({"name": name, "config": {
                "connector.class": "FileStreamSink", "topics": topic, "file": out.display().to_string(),
                "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable": "false",
                "transforms": "x",
                "transforms.x.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
                "transforms.x.field": "x",
                "errors.tolerance": "all", "errors.log.enable": "true",
                "errors.deadletterqueue.topic.name": dlq,
                "errors.deadletterqueue.topic.replication.factor": "1",
                "errors.deadletterqueue.context.headers.enable": "true"}}),
        )
        .await?;
    assert_eq!(created.status, 201, "{}", created.text);

    // Then the extracted fields reach the file and the task stays RUNNING,
    assert!(
        wait_until(Duration::from_secs(60), || async {
            std::fs::read_to_string(&out).is_ok_and(|s| s == "a\nb\n")
        })
        .await,
        "out: {:?}\n{}",
        std::fs::read_to_string(&out),
        worker.log_tail(30)
    );
    rest.wait_running(&name, 1, Duration::from_secs(10)).await?;

    // and the string is in the DLQ as consumed, with the transform's stage and class.
    let records = read_topic(
        broker.bootstrap(),
        &dlq,
        Until::Count {
            n: 1,
            settle: Duration::from_millis(200),
        },
    )
    .await?;
    let msg = records.first().ok_or("nothing in the DLQ")?;
    assert_eq!(msg.value.as_deref(), Some(&br#""just a string""#[..]));
    let get = |k: &str| {
        msg.headers
            .iter()
            .find(|(key, _)| key == k)
            .and_then(|(_, v)| v.as_ref().map(|v| String::from_utf8_lossy(v).into_owned()))
    };
    assert_eq!(get("__connect.errors.offset").as_deref(), Some("1"));
    assert_eq!(
        get("__connect.errors.stage").as_deref(),
        Some("TRANSFORMATION")
    );
    assert_eq!(
        get("__connect.errors.class.name").as_deref(),
        Some("org.apache.kafka.connect.transforms.ExtractField$Value")
    );
    assert_eq!(
        get("__connect.errors.exception.class.name").as_deref(),
        Some("org.apache.kafka.connect.errors.DataException")
    );
    assert_eq!(
        get("__connect.errors.exception.message").as_deref(),
        Some(
            "Only Map objects supported in absence of schema for [field extraction], found: java.lang.String"
        )
    );
    worker.stop(Duration::from_secs(10)).await?;
    Ok(())
}
