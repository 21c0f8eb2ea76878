//! `GET /metrics` against a real worker: a MySQL → S3 pipeline's counters match the records
//! moved, the sink's consumer lag goes to zero, Debezium's streaming and snapshot series follow
//! the binlog, and a dead letter queue run shows in the error counters.

use std::collections::BTreeMap;
use std::time::Duration;

use connect_e2e::{
    BoxError, Broker, Mysql, RestClient, S3, Worker, it_enabled, list_keys, object_store,
    random_name, topic_with_values,
};
use mysql_async::prelude::Queryable;
use rand::Rng;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(90);

fn skip(test: &str) -> bool {
    if it_enabled() {
        return false;
    }
    eprintln!("{test}: skipped, set CONNECT_IT=1 to run service-backed tests");
    true
}

/// One sample: the family name and its labels.
type Key = (String, BTreeMap<String, String>);

/// The samples of an OpenMetrics text exposition (label values unescaped).
fn parse(text: &str) -> Result<BTreeMap<Key, f64>, BoxError> {
    let mut out = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').ok_or("no value")?;
        let value: f64 = value.parse()?;
        let (name, labels) = match series.split_once('{') {
            None => (series.to_owned(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').ok_or("unclosed labels")?;
                let mut labels = BTreeMap::new();
                let mut chars = body.chars().peekable();
                while chars.peek().is_some() {
                    let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
                    if chars.next() != Some('"') {
                        return Err(format!("bad label in {line}").into());
                    }
                    let mut v = String::new();
                    while let Some(c) = chars.next() {
                        match c {
                            '\\' => match chars.next() {
                                Some('n') => v.push('\n'),
                                Some(o) => v.push(o),
                                None => {}
                            },
                            '"' => break,
                            c => v.push(c),
                        }
                    }
                    if chars.peek() == Some(&',') {
                        chars.next();
                    }
                    labels.insert(key, v);
                }
                (name.to_owned(), labels)
            }
        };
        out.insert((name, labels), value);
    }
    Ok(out)
}

/// The worker's metrics, named by `names`.
async fn scrape(rest: &RestClient, names: &str) -> Result<BTreeMap<Key, f64>, BoxError> {
    let r = rest.get(&format!("/metrics?names={names}")).await?;
    if r.status != 200 {
        return Err(format!("GET /metrics: {} {}", r.status, r.text).into());
    }
    if !r.text.ends_with("# EOF\n") {
        return Err("the exposition does not end with # EOF".into());
    }
    parse(&r.text)
}

/// Scrapes until `done` holds or `WAIT` passes; returns whether it held and the last scrape.
async fn scrape_until(
    rest: &RestClient,
    names: &str,
    done: impl Fn(&BTreeMap<Key, f64>) -> bool,
) -> (bool, BTreeMap<Key, f64>) {
    let deadline = std::time::Instant::now() + WAIT;
    let mut last = BTreeMap::new();
    loop {
        if let Ok(m) = scrape(rest, names).await {
            if done(&m) {
                return (true, m);
            }
            last = m;
        }
        if std::time::Instant::now() > deadline {
            return (false, last);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The metric names a Grafana dashboard's queries select (an identifier before `{`).
fn dashboard_metrics(json: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let bytes = json.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'{' {
            continue;
        }
        let start = bytes[..i]
            .iter()
            .rposition(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
            .map_or(0, |p| p + 1);
        let name = &json[start..i];
        if name.contains('_') && name.starts_with(|c: char| c.is_ascii_lowercase()) {
            names.insert(name.to_owned());
        }
    }
    names
}

/// The value of `name` whose labels include all of `labels`.
fn value(m: &BTreeMap<Key, f64>, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    m.iter()
        .find(|((n, l), _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.get(*k).is_some_and(|x| x == v))
        })
        .map(|(_, v)| *v)
}

const TABLE: &str = "orders";

fn insert_sql(db: &str, ids: std::ops::Range<u64>) -> String {
    let rows: Vec<String> = ids.map(|i| format!("({i}, 'o{i}')")).collect();
    format!("INSERT INTO `{db}`.{TABLE} VALUES {}", rows.join(","))
}

#[tokio::test]
async fn a_mysql_to_s3_pipeline_counts_its_records_and_its_lag_drains_to_zero()
-> Result<(), BoxError> {
    if skip("a_mysql_to_s3_pipeline_counts_its_records_and_its_lag_drains_to_zero") {
        return Ok(());
    }
    // Given 300 rows for the snapshot.
    let broker = Broker::try_shared().await?;
    let bootstrap = broker.bootstrap().to_owned();
    let mysql = Mysql::try_shared().await?;
    let s3 = S3::try_shared().await?;
    let db = mysql.create_database("metrics").await?;
    let pool = mysql.pool();
    let mut conn = pool.get_conn().await?;
    conn.query_drop(format!(
        "CREATE TABLE `{db}`.{TABLE} (id bigint PRIMARY KEY, note varchar(32))"
    ))
    .await?;
    conn.query_drop(insert_sql(&db, 0..300)).await?;

    let mut worker = Worker::builder()
        .env("OFFSET_FLUSH_INTERVAL_MS", "1000")
        .start()
        .await?;
    let rest = worker.rest();
    let prefix = random_name("metrics");
    let src = random_name("metrics-src");
    let server_id: u32 = rand::rng().random_range(100_000..2_000_000_000);
    let created = rest
        .post(
            "/connectors",
            &json!({"name": src, "config": {
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
            }}),
        )
        .await?;
    assert_eq!(created.status, 201, "{}", created.text);
    rest.wait_running(&src, 1, WAIT).await?;
    // The task runs before its snapshot reads: rows inserted before the snapshot's consistent
    // read would be snapshot rows, not streamed events.
    let snap = [("name", prefix.as_str()), ("context", "snapshot")];
    let (snapshotted, _) = scrape_until(&rest, "strimzi", |m| {
        value(m, "debezium_metrics_SnapshotCompleted", &snap) == Some(1.0)
    })
    .await;
    assert!(snapshotted, "the snapshot did not complete");
    // When 200 more rows are streamed in four transactions.
    for k in 0..4u64 {
        conn.query_drop(insert_sql(&db, 300 + k * 50..350 + k * 50))
            .await?;
    }
    let topic = format!("{prefix}.{db}.{TABLE}");
    let sink = random_name("metrics-s3");
    let topics_dir = random_name("metrics-dir");
    let created = rest
        .post(
            "/connectors",
            &json!({"name": sink, "config": {
                "connector.class": "io.confluent.connect.s3.S3SinkConnector",
                "topics": topic,
                "topics.dir": topics_dir,
                "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
                "flush.size": "100",
                "store.url": s3.endpoint(),
                "storage.class": "io.confluent.connect.s3.storage.S3Storage",
                "s3.region": "us-east-1",
                "s3.bucket.name": s3.bucket(),
                "aws.access.key.id": s3.access_key(),
                "aws.secret.access.key": s3.secret_key(),
            }}),
        )
        .await?;
    assert_eq!(created.status, 201, "{}", created.text);

    // Then the sink reads and sends exactly the 500 rows, its lag on the data topic drains to
    // zero, and it reports the objects the bucket holds (one per 100 records of a partition).
    let src_l = [("connector", src.as_str()), ("task", "0")];
    let sink_l = [("connector", sink.as_str()), ("task", "0")];
    let client = format!("connector-consumer-{sink}-0");
    let lag_l = [
        ("clientid", client.as_str()),
        ("topic", topic.as_str()),
        ("partition", "0"),
    ];
    let (drained, last) = scrape_until(&rest, "strimzi", |m| {
        value(m, "kafka_connect_sink_task_sink_record_send_total", &sink_l) == Some(500.0)
            && value(m, "kafka_consumer_fetch_manager_records_lag", &lag_l) == Some(0.0)
            && value(m, "sluice_s3_sink_objects_written", &sink_l).is_some_and(|v| v >= 3.0)
            && value(
                m,
                "debezium_metrics_TotalNumberOfEventsSeen",
                &[("name", &prefix)],
            ) == Some(200.0)
    })
    .await;
    let dump = |m: &BTreeMap<Key, f64>| {
        m.iter()
            .filter(|((n, l), _)| {
                !n.starts_with("process_")
                    && l.values().any(|v| v == &src || v == &sink || v == &prefix)
            })
            .map(|((n, l), v)| format!("{n}{l:?} {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(drained, "{}\n{}", dump(&last), worker.log_tail(40));
    let m = last;
    assert_eq!(
        value(
            &m,
            "kafka_connect_sink_task_sink_record_read_total",
            &sink_l
        ),
        Some(500.0)
    );
    let partitions = value(&m, "kafka_connect_sink_task_partition_count", &sink_l)
        .ok_or("no partition count")?;
    assert!(partitions >= 1.0, "{partitions}");
    let keys = list_keys(object_store(s3)?.as_ref(), &topics_dir).await?;
    assert_eq!(
        value(&m, "sluice_s3_sink_objects_written", &sink_l),
        Some(keys.len() as f64),
        "{keys:?}"
    );
    assert!(value(&m, "sluice_s3_sink_uploaded_bytes", &sink_l).is_some_and(|b| b > 0.0));
    // The source polled and wrote the same records: the 500 rows plus its schema changes.
    let polled = value(
        &m,
        "kafka_connect_source_task_source_record_poll_total",
        &src_l,
    )
    .ok_or("no poll total")?;
    let written = value(
        &m,
        "kafka_connect_source_task_source_record_write_total",
        &src_l,
    )
    .ok_or("no write total")?;
    assert!(polled >= 500.0 && polled == written, "{polled} {written}");
    assert_eq!(
        value(
            &m,
            "kafka_connect_source_task_source_record_active_count",
            &src_l
        ),
        Some(0.0)
    );
    assert!(
        value(&m, "kafka_connect_connector_task_batch_size_max", &src_l).is_some_and(|v| v >= 1.0)
    );
    assert_eq!(
        value(
            &m,
            "kafka_connect_connector_task_status",
            &[("connector", &src), ("task", "0"), ("status", "running")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &m,
            "kafka_connect_worker_connector_running_task_count",
            &[("connector", &sink)]
        ),
        Some(1.0)
    );
    assert!(
        value(&m, "kafka_connect_worker_task_startup_success_total", &[]).is_some_and(|v| v >= 2.0)
    );
    // Debezium's series: the snapshot read 300 rows and finished, the stream is connected and
    // counted its four transactions.
    let snap = [
        ("plugin", "mysql"),
        ("name", prefix.as_str()),
        ("context", "snapshot"),
    ];
    let stream = [
        ("plugin", "mysql"),
        ("name", prefix.as_str()),
        ("context", "streaming"),
    ];
    let table = format!("{db}.{TABLE}");
    assert_eq!(
        value(
            &m,
            "debezium_metrics_RowsScanned",
            &[("name", &prefix), ("table", &table)]
        ),
        Some(300.0),
        "{}",
        dump(&m)
    );
    assert_eq!(
        value(&m, "debezium_metrics_SnapshotCompleted", &snap),
        Some(1.0)
    );
    assert_eq!(
        value(&m, "debezium_metrics_SnapshotRunning", &snap),
        Some(0.0)
    );
    assert_eq!(
        value(&m, "debezium_metrics_RemainingTableCount", &snap),
        Some(0.0)
    );
    assert_eq!(value(&m, "debezium_metrics_Connected", &stream), Some(1.0));
    assert!(
        value(
            &m,
            "debezium_metrics_NumberOfCommittedTransactions",
            &stream
        )
        .is_some_and(|v| v >= 4.0)
    );
    assert!(
        value(&m, "debezium_metrics_MilliSecondsBehindSource", &stream).is_some_and(|v| v >= 0.0)
    );
    assert!(value(&m, "debezium_metrics_BinlogPosition", &stream).is_some_and(|v| v > 0.0));
    assert!(value(&m, "process_resident_memory_bytes", &[]).is_some_and(|v| v > 1e6));
    assert!(value(&m, "process_open_fds", &[]).is_some_and(|v| v > 3.0));

    // And every series the Grafana dashboard queries is served.
    let dashboard = std::fs::read_to_string(
        connect_e2e::workspace_root().join("docker/grafana/sluice-dashboard.json"),
    )?;
    let missing: Vec<String> = dashboard_metrics(&dashboard)
        .into_iter()
        .filter(|name| !m.keys().any(|(n, _)| n == name))
        .collect();
    assert!(
        missing.is_empty(),
        "the dashboard queries unserved series: {missing:?}"
    );

    // And Confluent's names carry the same values.
    let c = scrape(&rest, "confluent").await?;
    assert_eq!(
        value(
            &c,
            "kafka_connect_sink_task_metrics_sink_record_send_total",
            &sink_l
        ),
        Some(500.0)
    );
    assert_eq!(
        value(
            &c,
            "kafka_connect_connect_worker_metrics_connector_running_task_count",
            &[("connector", &src)]
        ),
        Some(1.0)
    );

    for name in [&sink, &src] {
        rest.delete(&format!("/connectors/{name}")).await?;
    }
    worker.stop(Duration::from_secs(10)).await?;
    Ok(())
}

#[tokio::test]
async fn a_dead_letter_queue_run_shows_in_the_error_counters() -> Result<(), BoxError> {
    if skip("a_dead_letter_queue_run_shows_in_the_error_counters") {
        return Ok(());
    }
    let broker = Broker::try_shared().await?;
    let topic = random_name("metrics-mixed");
    let dlq = random_name("metrics-dlq");
    // Given two JSON values around one that is not JSON.
    topic_with_values(
        broker.bootstrap(),
        &topic,
        &[r#""ok-1""#, "not json{", r#""ok-2""#],
    )
    .await?;
    let mut worker = Worker::builder()
        .env("OFFSET_FLUSH_INTERVAL_MS", "500")
        .start()
        .await?;
    let rest = worker.rest();
    let dir = tempfile::tempdir()?;
    let name = random_name("metrics-dlq-sink");
    let created = rest
        .post(
            "/connectors",
            &json!({"name": name, "config": {
                "connector.class": "FileStreamSink", "topics": topic,
                "file": dir.path().join("out.txt").display().to_string(),
                "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable": "false",
                "errors.tolerance": "all", "errors.log.enable": "true",
                "errors.deadletterqueue.topic.name": dlq,
                "errors.deadletterqueue.topic.replication.factor": "1"}}),
        )
        .await?;
    assert_eq!(created.status, 201, "{}", created.text);

    // Then the bad record is one error, one skip and one DLQ request, the good ones are sent,
    // and the lag drains.
    let l = [("connector", name.as_str()), ("task", "0")];
    let client = format!("connector-consumer-{name}-0");
    let (done, last) = scrape_until(&rest, "confluent", |m| {
        value(
            m,
            "kafka_connect_sink_task_metrics_sink_record_read_total",
            &l,
        ) == Some(3.0)
            && value(
                m,
                "kafka_consumer_consumer_fetch_manager_metrics_records_lag",
                &[("client_id", &client), ("topic", &topic)],
            ) == Some(0.0)
    })
    .await;
    assert!(done, "{last:?}\n{}", worker.log_tail(30));
    let m = last;
    let e = |attr: &str| value(&m, &format!("kafka_connect_task_error_metrics_{attr}"), &l);
    assert_eq!(e("total_record_errors"), Some(1.0));
    assert_eq!(e("total_record_failures"), Some(1.0));
    assert_eq!(e("total_records_skipped"), Some(1.0));
    assert_eq!(e("total_errors_logged"), Some(1.0));
    assert_eq!(e("deadletterqueue_produce_requests"), Some(1.0));
    assert_eq!(e("deadletterqueue_produce_failures"), Some(0.0));
    assert!(e("last_error_timestamp").is_some_and(|t| t > 1.6e12));
    assert_eq!(
        value(
            &m,
            "kafka_connect_sink_task_metrics_sink_record_send_total",
            &l
        ),
        Some(2.0)
    );
    rest.delete(&format!("/connectors/{name}")).await?;
    worker.stop(Duration::from_secs(10)).await?;
    Ok(())
}

#[test]
fn the_test_parser_reads_labels_with_escapes() -> Result<(), BoxError> {
    let m = parse("# TYPE a gauge\na{x=\"q\\\"\\n\",y=\"2\"} 1.5\nb_total 3\n# EOF\n")?;
    assert_eq!(value(&m, "a", &[("x", "q\"\n"), ("y", "2")]), Some(1.5));
    assert_eq!(value(&m, "b_total", &[]), Some(3.0));
    Ok(())
}
