//! `errors.tolerance=all` with a dead letter queue: a record the converter cannot read goes to the
//! DLQ with Kafka Connect's `__connect.errors.*` headers, and the rest flows on.

use std::time::Duration;

use connect_e2e::{
    BoxError, Broker, Worker, it_enabled, random_name, topic_with_values, wait_until,
};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use serde_json::json;

#[tokio::test]
async fn unreadable_records_go_to_the_dlq_with_error_headers_and_the_rest_flows_on()
-> Result<(), BoxError> {
    if !it_enabled() {
        eprintln!("skipped, set CONNECT_IT=1 to run service-backed tests");
        return Ok(());
    }
    let broker = Broker::try_shared().await?;
    let topic = random_name("mixed");
    let dlq = random_name("dlq");
    // Given a topic with two JSON values around one that is not JSON.
    topic_with_values(
        broker.bootstrap(),
        &topic,
        &[r#""ok-1""#, "not json{", r#""ok-2""#],
    )
    .await?;
    // FileStreamSink writes at commit time, as Kafka's does: commit often.
    let mut worker = Worker::builder()
        .env("OFFSET_FLUSH_INTERVAL_MS", "500")
        .start()
        .await?;
    let rest = worker.rest();
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("out.txt");
    let name = random_name("dlq-sink");
    let created = rest
        .post(
            "/connectors",
            &json!({"name": name, "config": {
                "connector.class": "FileStreamSink", "topics": topic, "file": out.display().to_string(),
                "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable": "false",
                "errors.tolerance": "all", "errors.log.enable": "true",
                "errors.deadletterqueue.topic.name": dlq,
                "errors.deadletterqueue.topic.replication.factor": "1",
                "errors.deadletterqueue.context.headers.enable": "true"}}),
        )
        .await?;
    assert_eq!(created.status, 201, "{}", created.text);

    // Then the good records reach the file and the task stays RUNNING.
    assert!(
        wait_until(Duration::from_secs(60), || async {
            std::fs::read_to_string(&out).is_ok_and(|s| s == "ok-1\nok-2\n")
        })
        .await,
        "out: {:?}\n{}",
        std::fs::read_to_string(&out),
        worker.log_tail(30)
    );
    rest.wait_running(&name, 1, Duration::from_secs(10)).await?;

    // And the bad one is in the DLQ, unchanged, with the error context.
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", random_name("dlq-reader"))
        .set("fetch.wait.max.ms", "10")
        .create()?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&dlq, 0, Offset::Beginning)?;
    consumer.assign(&tpl)?;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let msg = loop {
        if let Some(m) = consumer.poll(Duration::from_millis(200)) {
            break m?.detach();
        }
        assert!(std::time::Instant::now() < deadline, "nothing in the DLQ");
    };
    assert_eq!(msg.payload(), Some(&b"not json{"[..]));
    let headers = msg.headers().ok_or("no headers")?;
    let get = |k: &str| {
        headers
            .iter()
            .find(|h| h.key == k)
            .and_then(|h| h.value.map(|v| String::from_utf8_lossy(v).into_owned()))
    };
    assert_eq!(
        get("__connect.errors.topic").as_deref(),
        Some(topic.as_str())
    );
    assert_eq!(get("__connect.errors.partition").as_deref(), Some("0"));
    assert_eq!(get("__connect.errors.offset").as_deref(), Some("1"));
    assert_eq!(
        get("__connect.errors.connector.name").as_deref(),
        Some(name.as_str())
    );
    assert_eq!(get("__connect.errors.task.id").as_deref(), Some("0"));
    assert_eq!(
        get("__connect.errors.stage").as_deref(),
        Some("VALUE_CONVERTER")
    );
    assert_eq!(
        get("__connect.errors.class.name").as_deref(),
        Some("org.apache.kafka.connect.json.JsonConverter")
    );
    assert_eq!(
        get("__connect.errors.exception.class.name").as_deref(),
        Some("org.apache.kafka.connect.errors.DataException")
    );
    assert!(
        get("__connect.errors.exception.message")
            .is_some_and(|m| m.contains("Converting byte[] to Kafka Connect data failed"))
    );
    worker.stop(Duration::from_secs(10)).await?;
    Ok(())
}
