//! The Kafka stores against librdkafka's in-process mock cluster: no broker needed, so these
//! run everywhere. The mock has no CreateTopics, so topics are created on the mock directly
//! and the stores must carry on ("assume it exists"), as Kafka does on brokers that refuse
//! topic creation.

use std::time::Duration;

use connect_storage::{
    ConfigStore, KafkaConfigStore, KafkaOffsetStore, KafkaSettings, KafkaStatusStore, StoreError,
    TargetState, TopicSettings, conformance,
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
