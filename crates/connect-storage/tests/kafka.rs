//! The Kafka stores against a real broker: `KAFKA_BOOTSTRAP=host:port cargo test -p connect-storage`.
//! Without `KAFKA_BOOTSTRAP` every test prints a notice and passes without doing anything.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use connect_api::{Props, SourceOffset, SourcePartition};
use connect_storage::{
    ConfigStore, ConnectorStatus, KafkaConfigStore, KafkaOffsetStore, KafkaSettings,
    KafkaStatusStore, OffsetStore, State, StatusStore, StoreError, TargetState, TopicSettings,
    TopicStatus, conformance,
};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::json;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn bootstrap() -> Option<String> {
    match std::env::var("KAFKA_BOOTSTRAP") {
        Ok(b) if !b.is_empty() => Some(b),
        _ => {
            eprintln!("KAFKA_BOOTSTRAP is not set: skipping a test that needs a Kafka broker.");
            None
        }
    }
}

fn settings(bootstrap: &str) -> KafkaSettings {
    let mut s = KafkaSettings::new(bootstrap);
    s.timeout = Duration::from_secs(20);
    s
}

/// Topic names unique to one test run.
fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos}", std::process::id())
}

struct Topics {
    config: TopicSettings,
    offsets: TopicSettings,
    status: TopicSettings,
}

fn topics(test: &str) -> Topics {
    Topics {
        // Replication factor 3 on a one-broker cluster: the stores fall back to 1.
        config: TopicSettings::config(unique(&format!("{test}-configs")), 3),
        offsets: TopicSettings::offsets(unique(&format!("{test}-offsets")), 25, -1),
        status: TopicSettings::status(unique(&format!("{test}-status")), 5, 1),
    }
}

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn partition(v: serde_json::Value) -> SourcePartition {
    SourcePartition::new(v.as_object().cloned().unwrap_or_default())
}

fn offset(v: serde_json::Value) -> SourceOffset {
    SourceOffset(v.as_object().cloned().unwrap_or_default())
}

fn file_source_props() -> Props {
    props(&[
        ("connector.class", "FileStreamSource"),
        ("tasks.max", "1"),
        ("topic", "connect-test"),
        ("file", "/tmp/test.txt"),
        ("name", "file-source"),
    ])
}

/// Every record of a topic, per partition in offset order, read with a plain consumer until
/// the topic stays quiet for a second. (Not up to the high watermark: tansu 0.6 reports the
/// base offset of the last batch plus one as the high watermark, short of the batch's end.)
async fn raw_records(
    bootstrap: &str,
    topic: &str,
) -> Result<Vec<(String, Option<String>)>, Box<dyn std::error::Error>> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", unique("raw-reader"))
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "10")
        .create()?;
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let partitions = metadata
        .topics()
        .first()
        .map(|t| t.partitions().len())
        .unwrap_or(0);
    let mut assignment = TopicPartitionList::new();
    for p in 0..i32::try_from(partitions)? {
        assignment.add_partition_offset(topic, p, Offset::Beginning)?;
    }
    consumer.assign(&assignment)?;
    let mut out = Vec::new();
    while let Ok(m) = tokio::time::timeout(Duration::from_secs(1), consumer.recv()).await {
        let m = m?;
        let key = String::from_utf8(m.key().unwrap_or_default().to_vec())?;
        let value = m
            .payload()
            .map(|v| String::from_utf8(v.to_vec()))
            .transpose()?;
        out.push((key, value));
    }
    Ok(out)
}

async fn produce_raw(bootstrap: &str, topic: &str, key: &str, value: Option<&str>) -> TestResult {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("partitioner", "murmur2_random")
        .create()?;
    let mut record = FutureRecord::<str, str>::to(topic).key(key);
    if let Some(v) = value {
        record = record.payload(v);
    }
    producer
        .send(record, Duration::from_secs(10))
        .await
        .map_err(|(e, _)| e)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_stores_pass_the_conformance_suites() -> TestResult {
    let Some(bootstrap) = bootstrap() else {
        return Ok(());
    };
    let s = settings(&bootstrap);
    let t = topics("conformance");
    let config = KafkaConfigStore::open(&s, &t.config).await?;
    conformance::config_store(&config).await;
    let offsets = KafkaOffsetStore::open(&s, &t.offsets).await?;
    conformance::offset_store(&offsets).await;
    let status = KafkaStatusStore::open(&s, &t.status).await?;
    conformance::status_store(&status).await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_hold_exactly_kafka_connect_keys_and_values() -> TestResult {
    let Some(bootstrap) = bootstrap() else {
        return Ok(());
    };
    let s = settings(&bootstrap);
    let t = topics("bytes");

    // Given the three stores, when a file source is created, stopped, given a task, restarted,
    // and reports offsets and statuses ...
    let config = KafkaConfigStore::open(&s, &t.config).await?;
    config
        .put_connector_config(
            "file-source",
            &file_source_props(),
            Some(TargetState::Stopped),
        )
        .await?;
    let task = props(&[
        (
            "task.class",
            "org.apache.kafka.connect.file.FileStreamSourceTask",
        ),
        ("batch.size", "2000"),
        ("topic", "connect-test"),
        ("file", "/tmp/test.txt"),
    ]);
    config.put_task_configs("file-source", &[task]).await?;
    config
        .put_target_state("file-source", TargetState::Started)
        .await?;
    config
        .put_restart_request("file-source", true, false)
        .await?;
    config.remove_connector("file-source").await?;

    let offsets = KafkaOffsetStore::open(&s, &t.offsets).await?;
    offsets
        .put_batch(
            "file-source",
            vec![(
                partition(json!({"filename": "/tmp/test.txt"})),
                Some(offset(json!({"position": 30}))),
            )],
        )
        .await?;
    offsets
        .put_batch(
            "inventory-connector",
            vec![(
                partition(json!({"server": "dbserver1"})),
                Some(offset(
                    json!({"ts_sec": 1_700_000_000, "file": "mysql-bin.000003", "pos": 154}),
                )),
            )],
        )
        .await?;
    offsets
        .put_batch(
            "file-source",
            vec![(partition(json!({"filename": "/tmp/test.txt"})), None)],
        )
        .await?;

    let status = KafkaStatusStore::open(&s, &t.status).await?;
    let running = ConnectorStatus {
        state: State::Running,
        trace: None,
        worker_id: "127.0.0.1:8083".into(),
        generation: 7,
    };
    status.put_connector("file-source", &running).await?;
    status
        .put_task(
            "file-source",
            0,
            &ConnectorStatus {
                state: State::Destroyed,
                ..running.clone()
            },
        )
        .await?;
    status
        .put_topic(&TopicStatus {
            topic: "connect-test".into(),
            connector: "file-sink".into(),
            task: 0,
            discover_timestamp: 1_700_000_000_000,
        })
        .await?;

    // ... then the topics hold exactly what Kafka Connect writes.
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        raw_records(&bootstrap, &t.config.name).await?,
        vec![
            (
                "target-state-file-source".to_string(),
                some(r#"{"state":"PAUSED","state.v2":"STOPPED"}"#)
            ),
            (
                "connector-file-source".to_string(),
                some(
                    r#"{"properties":{"connector.class":"FileStreamSource","file":"/tmp/test.txt","name":"file-source","tasks.max":"1","topic":"connect-test"}}"#
                )
            ),
            (
                "task-file-source-0".to_string(),
                some(
                    r#"{"properties":{"batch.size":"2000","file":"/tmp/test.txt","task.class":"org.apache.kafka.connect.file.FileStreamSourceTask","topic":"connect-test"}}"#
                )
            ),
            ("commit-file-source".to_string(), some(r#"{"tasks":1}"#)),
            (
                "target-state-file-source".to_string(),
                some(r#"{"state":"STARTED","state.v2":"STARTED"}"#)
            ),
            (
                "restart-connector-file-source".to_string(),
                some(r#"{"include-tasks":true,"only-failed":false}"#)
            ),
            ("connector-file-source".to_string(), None),
            ("target-state-file-source".to_string(), None),
        ]
    );

    // 25 partitions: compare as a sorted list (a tombstone sorts before a value).
    let mut offset_records = raw_records(&bootstrap, &t.offsets.name).await?;
    offset_records.sort();
    assert_eq!(
        offset_records,
        vec![
            (
                r#"["file-source",{"filename":"/tmp/test.txt"}]"#.to_string(),
                None
            ),
            (
                r#"["file-source",{"filename":"/tmp/test.txt"}]"#.to_string(),
                some(r#"{"position":30}"#)
            ),
            (
                r#"["inventory-connector",{"server":"dbserver1"}]"#.to_string(),
                // Java HashMap order, as Debezium 3.6.3 through the JVM worker writes it.
                some(r#"{"ts_sec":1700000000,"file":"mysql-bin.000003","pos":154}"#)
            ),
        ]
    );

    let mut status_records = raw_records(&bootstrap, &t.status.name).await?;
    status_records.sort();
    assert_eq!(
        status_records,
        vec![
            (
                "status-connector-file-source".to_string(),
                some(
                    r#"{"state":"RUNNING","trace":null,"worker_id":"127.0.0.1:8083","generation":7}"#
                )
            ),
            ("status-task-file-source-0".to_string(), None),
            (
                "status-topic-connect-test:connector-file-sink".to_string(),
                some(
                    r#"{"topic":{"name":"connect-test","connector":"file-sink","task":0,"discoverTimestamp":1700000000000}}"#
                )
            ),
        ]
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_store_recovers_everything_from_the_topics() -> TestResult {
    let Some(bootstrap) = bootstrap() else {
        return Ok(());
    };
    let s = settings(&bootstrap);
    let t = topics("restart");
    let server = partition(json!({"server": "dbserver1"}));
    let binlog = offset(json!({"file": "mysql-bin.000003", "pos": 154}));
    let task0 = props(&[("task.class", "T"), ("n", "0")]);
    let task1 = props(&[("task.class", "T"), ("n", "1")]);
    let running = ConnectorStatus {
        state: State::Running,
        trace: None,
        worker_id: "127.0.0.1:8083".into(),
        generation: 3,
    };

    // Given a first run that wrote configs, states, tasks, a restart request, offsets and statuses ...
    {
        let config = KafkaConfigStore::open(&s, &t.config).await?;
        config
            .put_connector_config("cdc", &props(&[("name", "cdc")]), None)
            .await?;
        config
            .put_task_configs("cdc", &[task0.clone(), task1.clone()])
            .await?;
        config
            .put_connector_config(
                "paused",
                &props(&[("name", "paused")]),
                Some(TargetState::Paused),
            )
            .await?;
        config
            .put_connector_config("stopped", &props(&[("name", "stopped")]), None)
            .await?;
        config.put_task_configs("stopped", &[]).await?;
        config
            .put_target_state("stopped", TargetState::Stopped)
            .await?;
        config
            .put_connector_config("gone", &props(&[("name", "gone")]), None)
            .await?;
        config.remove_connector("gone").await?;
        config.put_restart_request("cdc", true, true).await?;
        assert!(config.snapshot().restart_requests.contains_key("cdc"));
        let offsets = KafkaOffsetStore::open(&s, &t.offsets).await?;
        offsets
            .put_batch("cdc", vec![(server.clone(), Some(binlog.clone()))])
            .await?;
        let status = KafkaStatusStore::open(&s, &t.status).await?;
        status.put_connector("cdc", &running).await?;
        status.put_task("cdc", 1, &running).await?;
    }
    // ... and task configs whose commit never came (a leader died mid-write),
    produce_raw(
        &bootstrap,
        &t.config.name,
        "task-cdc-0",
        Some(r#"{"properties":{"uncommitted":"yes"}}"#),
    )
    .await?;

    // when new stores open the same topics (with their own producer, as after a restart),
    let s = settings(&bootstrap);
    let config = KafkaConfigStore::open(&s, &t.config).await?;
    let offsets = KafkaOffsetStore::open(&s, &t.offsets).await?;
    let status = KafkaStatusStore::open(&s, &t.status).await?;

    // then they hold the same state, without the uncommitted tasks or the stale restart request.
    let snap = config.snapshot();
    assert_eq!(
        snap.connectors.keys().collect::<Vec<_>>(),
        vec!["cdc", "paused", "stopped"]
    );
    assert_eq!(snap.target_state("cdc"), Some(TargetState::Started));
    assert_eq!(snap.target_state("paused"), Some(TargetState::Paused));
    assert_eq!(snap.target_state("stopped"), Some(TargetState::Stopped));
    assert_eq!(
        snap.tasks("cdc"),
        &[task0, task1],
        "committed task configs survive, uncommitted ones stay hidden"
    );
    assert_eq!(snap.task_configs.get("stopped"), Some(&Vec::new()));
    assert!(
        snap.restart_requests.is_empty(),
        "restart requests from before start-up are not replayed"
    );
    assert!(snap.offset > 0);
    assert_eq!(
        offsets.get("cdc", std::slice::from_ref(&server)).await?,
        vec![(server, binlog)]
    );
    assert_eq!(status.get_connector("cdc"), Some(running.clone()));
    assert_eq!(status.tasks_of("cdc"), vec![(1, running)]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_written_by_another_worker_are_seen() -> TestResult {
    let Some(bootstrap) = bootstrap() else {
        return Ok(());
    };
    let s = settings(&bootstrap);
    let t = topics("foreign");
    let config = KafkaConfigStore::open(&s, &t.config).await?;
    let offsets = KafkaOffsetStore::open(&s, &t.offsets).await?;
    let mut rx = config.subscribe();
    rx.borrow_and_update();

    // Given a Java worker that creates a connector and commits offsets with fields in its own order,
    produce_raw(
        &bootstrap,
        &t.config.name,
        "connector-java",
        Some(r#"{"properties":{"name":"java","tasks.max":"1"}}"#),
    )
    .await?;
    produce_raw(
        &bootstrap,
        &t.offsets.name,
        r#"["java",{"table":"t","db":"d"}]"#,
        Some(r#"{"pos":42}"#),
    )
    .await?;

    // then subscribers hear of the connector, and offsets are found whatever the field order.
    tokio::time::timeout(Duration::from_secs(10), async {
        while !rx.borrow_and_update().contains("java") {
            rx.changed().await?;
        }
        Ok::<_, tokio::sync::watch::error::RecvError>(())
    })
    .await??;
    config.refresh().await?;
    assert_eq!(
        config.snapshot().target_state("java"),
        Some(TargetState::Started)
    );
    let p = partition(json!({"db": "d", "table": "t"}));
    assert_eq!(
        offsets.get("java", std::slice::from_ref(&p)).await?,
        vec![(p.clone(), offset(json!({"pos": 42})))]
    );
    // And resetting that partition tombstones Java's very key, so compaction forgets it.
    offsets.put_batch("java", vec![(p, None)]).await?;
    let records = raw_records(&bootstrap, &t.offsets.name).await?;
    assert_eq!(
        records,
        vec![
            (
                r#"["java",{"table":"t","db":"d"}]"#.to_string(),
                Some(r#"{"pos":42}"#.to_string())
            ),
            (r#"["java",{"table":"t","db":"d"}]"#.to_string(), None),
        ]
    );
    assert!(offsets.all_for("java").await?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_topic_with_several_partitions_is_refused() -> TestResult {
    let Some(bootstrap) = bootstrap() else {
        return Ok(());
    };
    let s = settings(&bootstrap);
    let name = unique("multi-partition-configs");
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .create()?;
    let topic =
        NewTopic::new(&name, 3, TopicReplication::Fixed(1)).set("cleanup.policy", "compact");
    for r in admin.create_topics([&topic], &AdminOptions::new()).await? {
        r.map_err(|(t, code)| format!("cannot create {t}: {code}"))?;
    }
    let err = KafkaConfigStore::open(&s, &TopicSettings::config(&name, 1))
        .await
        .expect_err("3 partitions must be refused");
    assert!(matches!(err, StoreError::Config(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "Topic '{name}' supplied via the 'config.storage.topic' property is required to have a single partition in \
             order to guarantee consistency of connector configurations, but found 3 partitions."
        )
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_id_is_read_from_the_broker() -> TestResult {
    let Some(bootstrap) = bootstrap() else {
        return Ok(());
    };
    let s = settings(&bootstrap);
    let id = connect_storage::fetch_cluster_id(&s).await?;
    assert!(!id.is_empty());
    let config = KafkaConfigStore::open(&s, &topics("cluster-id").config).await?;
    assert_eq!(config.cluster_id().await?, id);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_that_is_not_compacted_is_refused() -> TestResult {
    let Some(bootstrap) = bootstrap() else {
        return Ok(());
    };
    let s = settings(&bootstrap);
    let name = unique("delete-policy-offsets");
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .create()?;
    let topic = NewTopic::new(&name, 1, TopicReplication::Fixed(1)).set("cleanup.policy", "delete");
    for r in admin.create_topics([&topic], &AdminOptions::new()).await? {
        r.map_err(|(t, code)| format!("cannot create {t}: {code}"))?;
    }
    let err = KafkaOffsetStore::open(&s, &TopicSettings::offsets(&name, 1, 1))
        .await
        .expect_err("a topic with cleanup.policy=delete must be refused");
    assert!(matches!(err, StoreError::Config(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "Topic '{name}' supplied via the 'offset.storage.topic' property is required to have \
             'cleanup.policy=compact' to guarantee consistency and durability of source connector offsets, but found \
             the topic currently has 'cleanup.policy=delete'. Continuing would likely result in eventually losing \
             source connector offsets and problems restarting this Connect cluster in the future. Change the \
             'offset.storage.topic' property in the Connect worker configurations to use a topic with \
             'cleanup.policy=compact'."
        )
    );
    Ok(())
}
