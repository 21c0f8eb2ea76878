//! Topics as a Java Kafka Connect 3.9 worker leaves them, read by the Kafka stores. Runs on
//! librdkafka's in-process mock cluster, so it needs no broker.

use std::time::Duration;

use connect_api::{Props, SourceOffset, SourcePartition};
use connect_storage::{
    ConfigStore, ConnectorStatus, KafkaConfigStore, KafkaOffsetStore, KafkaSettings,
    KafkaStatusStore, OffsetStore, RestartRequest, State, StatusStore, TargetState, TopicSettings,
};
use rdkafka::ClientConfig;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{DefaultProducerContext, FutureProducer, FutureRecord};
use serde_json::json;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn settings(cluster: &MockCluster<'_, DefaultProducerContext>) -> KafkaSettings {
    let mut s = KafkaSettings::new(cluster.bootstrap_servers());
    s.timeout = Duration::from_secs(20);
    s
}

/// Writes records as a Java worker would: string keys, JSON values, murmur2 partitioning.
async fn produce(
    cluster: &MockCluster<'_, DefaultProducerContext>,
    topic: &str,
    records: &[(&str, Option<&str>)],
) -> TestResult {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", cluster.bootstrap_servers())
        .set("partitioner", "murmur2_random")
        .create()?;
    for (key, value) in records {
        let mut record = FutureRecord::<str, str>::to(topic).key(key);
        if let Some(v) = value {
            record = record.payload(v);
        }
        producer
            .send(record, Duration::from_secs(10))
            .await
            .map_err(|(e, _)| e)?;
    }
    Ok(())
}

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_topic_written_by_a_java_worker_is_understood() -> TestResult {
    let cluster = MockCluster::new(1)?;
    cluster.create_topic("connect-configs", 1, 1)?;
    // Given a config log with every record kind a 3.9 worker writes, in its field orders,
    produce(
        &cluster,
        "connect-configs",
        &[
            ("target-state-file-source", Some(r#"{"state":"PAUSED"}"#)),
            (
                "connector-file-source",
                Some(r#"{"properties":{"connector.class":"FileStreamSource","tasks.max":"2","topic":"connect-test","file":"/tmp/test.txt","name":"file-source"}}"#),
            ),
            ("task-file-source-0", Some(r#"{"properties":{"task.class":"org.apache.kafka.connect.file.FileStreamSourceTask","batch.size":"2000","topic":"connect-test","file":"/tmp/test.txt"}}"#)),
            ("task-file-source-1", Some(r#"{"properties":{"task.class":"org.apache.kafka.connect.file.FileStreamSourceTask","batch.size":"2000","topic":"connect-test","file":"/tmp/b.txt"}}"#)),
            ("commit-file-source", Some(r#"{"tasks":2}"#)),
            ("session-key", Some(r#"{"key":"c2VjcmV0","algorithm":"HmacSHA256","creation-timestamp":1700000000000}"#)),
            ("tasks-fencing-file-source", Some(r#"{"task-count":2}"#)),
            ("logger-cluster-org.apache.kafka", Some(r#"{"level":"DEBUG"}"#)),
            ("restart-connector-file-source", Some(r#"{"include-tasks":true,"only-failed":false}"#)),
            ("connector-stopped", Some(r#"{"properties":{"name":"stopped","connector.class":"X"}}"#)),
            ("task-stopped-0", Some(r#"{"properties":{"task.class":"X"}}"#)),
            ("commit-stopped", Some(r#"{"tasks":1}"#)),
            ("commit-stopped", Some(r#"{"tasks":0}"#)),
            ("target-state-stopped", Some(r#"{"state":"PAUSED","state.v2":"STOPPED"}"#)),
            // A leader that died after writing a task config but before its commit.
            ("connector-half", Some(r#"{"properties":{"name":"half"}}"#)),
            ("task-half-0", Some(r#"{"properties":{"task.class":"X"}}"#)),
            ("connector-deleted", Some(r#"{"properties":{"name":"deleted"}}"#)),
            ("connector-deleted", None),
            ("target-state-deleted", None),
        ],
    )
    .await?;

    // when a store opens the topic,
    let store = KafkaConfigStore::open(
        &settings(&cluster),
        &TopicSettings::config("connect-configs", 1),
    )
    .await?;

    // then it sees what the Java worker's herder would.
    let snap = store.snapshot();
    assert_eq!(
        snap.connectors.keys().collect::<Vec<_>>(),
        vec!["file-source", "half", "stopped"]
    );
    assert_eq!(snap.connectors["file-source"]["file"], "/tmp/test.txt");
    assert_eq!(
        snap.target_state("file-source"),
        Some(TargetState::Paused),
        "a V0 target state is read"
    );
    assert_eq!(
        snap.target_state("stopped"),
        Some(TargetState::Stopped),
        "state.v2 wins over state"
    );
    assert_eq!(snap.target_state("half"), Some(TargetState::Started));
    let files: Vec<_> = snap
        .tasks("file-source")
        .iter()
        .map(|t| t["file"].as_str())
        .collect();
    assert_eq!(files, vec!["/tmp/test.txt", "/tmp/b.txt"]);
    assert_eq!(
        snap.task_configs.get("stopped"),
        Some(&Vec::new()),
        "the last commit counts"
    );
    assert!(
        snap.tasks("half").is_empty(),
        "uncommitted task configs stay hidden"
    );
    assert!(
        snap.logger_levels.is_empty(),
        "cluster log levels from before start-up are not applied"
    );
    assert!(
        snap.restart_requests.is_empty(),
        "requests from before start-up are not replayed"
    );
    assert_eq!(snap.offset, 19);

    // And a restart request arriving now is seen, with its log position.
    let rx = store.subscribe();
    produce(
        &cluster,
        "connect-configs",
        &[(
            "restart-connector-file-source",
            Some(r#"{"only-failed":true}"#),
        )],
    )
    .await?;
    store.refresh().await?;
    assert!(rx.has_changed()?);
    assert_eq!(
        store.snapshot().restart_requests.get("file-source"),
        Some(&RestartRequest {
            include_tasks: false,
            only_failed: true,
            seq: 19
        })
    );
    // A later commit for the half-written connector, with its task, completes it.
    produce(
        &cluster,
        "connect-configs",
        &[
            ("task-half-0", Some(r#"{"properties":{"task.class":"Y"}}"#)),
            ("commit-half", Some(r#"{"tasks":1}"#)),
        ],
    )
    .await?;
    store.refresh().await?;
    assert_eq!(
        store.snapshot().tasks("half"),
        &[props(&[("task.class", "Y")])]
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_offset_topics_written_by_a_java_worker_are_understood() -> TestResult {
    let cluster = MockCluster::new(1)?;
    cluster.create_topic("connect-status", 5, 1)?;
    cluster.create_topic("connect-offsets", 25, 1)?;
    produce(
        &cluster,
        "connect-status",
        &[
            ("status-connector-inventory-connector", Some(r#"{"state":"RUNNING","trace":null,"worker_id":"172.20.0.4:8083","generation":7}"#)),
            ("status-task-inventory-connector-0", Some(r#"{"state":"FAILED","trace":"org.apache.kafka.connect.errors.ConnectException: boom\n\tat io.debezium.X.y(X.java:1)","worker_id":"172.20.0.4:8083","generation":7}"#)),
            ("status-task-inventory-connector-1", Some(r#"{"state":"RUNNING","trace":null,"worker_id":"172.20.0.4:8083","generation":7}"#)),
            ("status-task-inventory-connector-1", None),
            ("status-topic-dbserver1.inventory.customers:connector-inventory-connector", Some(r#"{"topic":{"name":"dbserver1.inventory.customers","connector":"inventory-connector","task":0,"discoverTimestamp":1700000000000}}"#)),
        ],
    )
    .await?;
    produce(
        &cluster,
        "connect-offsets",
        &[
            (
                r#"["inventory-connector",{"server":"dbserver1"}]"#,
                Some(r#"{"ts_sec":1700000000,"file":"mysql-bin.000003","pos":154}"#),
            ),
            (
                r#"["file-source",{"filename":"/tmp/test.txt"}]"#,
                Some(r#"{"position":30}"#),
            ),
            (
                r#"["file-source",{"filename":"/tmp/test.txt"}]"#,
                Some(r#"{"position":60}"#),
            ),
            // Keys OffsetUtils rejects are skipped.
            (r#"["file-source"]"#, Some(r#"{"position":1}"#)),
            (r#"{"not":"a list"}"#, Some(r#"{"position":1}"#)),
        ],
    )
    .await?;

    let s = settings(&cluster);
    let status = KafkaStatusStore::open(&s, &TopicSettings::status("connect-status", 5, 1)).await?;
    let offsets =
        KafkaOffsetStore::open(&s, &TopicSettings::offsets("connect-offsets", 25, 1)).await?;

    assert_eq!(
        status.get_connector("inventory-connector"),
        Some(ConnectorStatus {
            state: State::Running,
            trace: None,
            worker_id: "172.20.0.4:8083".into(),
            generation: 7
        })
    );
    let tasks = status.tasks_of("inventory-connector");
    assert_eq!(tasks.len(), 1, "the tombstoned task is gone");
    assert_eq!(tasks[0].0, 0);
    assert_eq!(tasks[0].1.state, State::Failed);
    assert!(
        tasks[0]
            .1
            .trace
            .as_deref()
            .is_some_and(|t| t.contains("\n\tat io.debezium"))
    );
    let topics = status.topics_of("inventory-connector");
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].topic, "dbserver1.inventory.customers");
    assert_eq!(topics[0].discover_timestamp, 1_700_000_000_000);

    let server = SourcePartition::new(
        json!({"server": "dbserver1"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    let binlog = SourceOffset(
        json!({"ts_sec": 1_700_000_000, "file": "mysql-bin.000003", "pos": 154})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    assert_eq!(
        offsets
            .get("inventory-connector", std::slice::from_ref(&server))
            .await?,
        vec![(server, binlog)]
    );
    let file = offsets.all_for("file-source").await?;
    assert_eq!(file.len(), 1);
    assert_eq!(
        file[0].1.0.get("position"),
        Some(&json!(60)),
        "the latest offset wins"
    );
    Ok(())
}
