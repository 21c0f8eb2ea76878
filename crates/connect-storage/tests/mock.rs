//! The Kafka stores against librdkafka's in-process mock cluster: no broker needed, so these
//! run everywhere. The mock has no CreateTopics and ignores DescribeConfigs, so topics are
//! created on the mock directly: the stores find them and create nothing, and they skip the
//! cleanup-policy check after its short timeout, as Kafka does on brokers that cannot answer.

use std::time::Duration;

use connect_api::Props;
use connect_storage::{
    ConfigStore, ConnectorStatus, KafkaConfigStore, KafkaOffsetStore, KafkaSettings,
    KafkaStatusStore, State, StatusStore, StoreError, TargetState, TopicSettings, conformance,
};
use rdkafka::mocking::MockCluster;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn settings(cluster: &MockCluster<'_, rdkafka::producer::DefaultProducerContext>) -> KafkaSettings {
    let mut s = KafkaSettings::new(cluster.bootstrap_servers());
    s.timeout = Duration::from_secs(20);
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_stores_conform_on_the_mock_cluster() -> TestResult {
    let cluster = MockCluster::new(1)?;
    cluster.create_topic("connect-configs", 1, 1)?;
    cluster.create_topic("connect-offsets", 25, 1)?;
    cluster.create_topic("connect-status", 5, 1)?;
    let s = settings(&cluster);

    let config = KafkaConfigStore::open(&s, &TopicSettings::config("connect-configs", 1)).await?;
    conformance::config_store(&config).await;
    let offsets =
        KafkaOffsetStore::open(&s, &TopicSettings::offsets("connect-offsets", 25, 1)).await?;
    conformance::offset_store(&offsets).await;
    let status = KafkaStatusStore::open(&s, &TopicSettings::status("connect-status", 5, 1)).await?;
    conformance::status_store(&status).await;

    // A second config store over the same topic sees the first one's state.
    drop(config);
    let reopened = KafkaConfigStore::open(&s, &TopicSettings::config("connect-configs", 1)).await?;
    assert_eq!(
        reopened.snapshot().target_state("conformance-a"),
        Some(TargetState::Stopped)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_partition_config_topic_is_refused_on_the_mock_cluster() -> TestResult {
    let cluster = MockCluster::new(1)?;
    cluster.create_topic("configs", 2, 1)?;
    let err = KafkaConfigStore::open(&settings(&cluster), &TopicSettings::config("configs", 1))
        .await
        .expect_err("two partitions must be refused");
    assert!(
        matches!(err, StoreError::Config(ref m) if m.contains("found 2 partitions")),
        "{err}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_to_an_unreachable_broker_fails_within_the_timeout() -> TestResult {
    let cluster = MockCluster::new(1)?;
    cluster.create_topic("configs", 1, 1)?;
    let mut s = settings(&cluster);
    s.timeout = Duration::from_secs(2);
    let config = KafkaConfigStore::open(&s, &TopicSettings::config("configs", 1)).await?;

    // Given a broker that goes down, a write fails with an error instead of hanging a REST call.
    cluster.broker_down(1)?;
    let started = std::time::Instant::now();
    let err = config
        .put_target_state("c", TargetState::Paused)
        .await
        .expect_err("a write to a dead broker must fail");
    assert!(
        matches!(err, StoreError::Timeout { .. } | StoreError::Kafka { .. }),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        config.snapshot().target_state("c"),
        None,
        "a failed write is not applied"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_see_each_others_writes() -> TestResult {
    let cluster = MockCluster::new(1)?;
    cluster.create_topic("configs", 1, 1)?;
    cluster.create_topic("status", 5, 1)?;
    let s = settings(&cluster);
    let topic = TopicSettings::config("configs", 1);
    // Separate settings values: two workers do not share a producer.
    let s2 = settings(&cluster);
    let (leader, follower) = tokio::try_join!(
        KafkaConfigStore::open(&s, &topic),
        KafkaConfigStore::open(&s2, &topic)
    )?;
    let mut follower_rx = follower.subscribe();

    // Given two workers on one config topic, when one writes a connector and its tasks,
    let props: Props = [("name".to_string(), "c".to_string())].into();
    leader.put_connector_config("c", &props, None).await?;
    leader
        .put_task_configs("c", &[props.clone(), props.clone()])
        .await?;

    // then the other hears of it and, once refreshed, holds the same state.
    tokio::time::timeout(Duration::from_secs(10), follower_rx.changed()).await??;
    follower.refresh().await?;
    assert_eq!(follower.snapshot(), leader.snapshot());
    assert_eq!(follower.snapshot().tasks("c").len(), 2);

    // And a pause written by the follower (any worker may write target states) reaches the leader.
    follower.put_target_state("c", TargetState::Paused).await?;
    leader.refresh().await?;
    assert_eq!(
        leader.snapshot().target_state("c"),
        Some(TargetState::Paused)
    );

    // Statuses too.
    let status_topic = TopicSettings::status("status", 5, 1);
    let (a, b) = tokio::try_join!(
        KafkaStatusStore::open(&s, &status_topic),
        KafkaStatusStore::open(&s2, &status_topic)
    )?;
    let running = ConnectorStatus {
        state: State::Running,
        trace: None,
        worker_id: "a:8083".into(),
        generation: 1,
    };
    a.put_connector("c", &running).await?;
    b.refresh().await?;
    assert_eq!(b.get_connector("c"), Some(running));
    Ok(())
}
