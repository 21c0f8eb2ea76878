//! The config store on the config topic (`KafkaConfigBackingStore`).

use async_trait::async_trait;
use connect_api::Props;
use tokio::sync::watch;

use super::log::{KafkaLog, LogOptions};
use super::{KafkaSettings, TopicSettings};
use crate::StoreError;
use crate::config::records::{self, ConfigApplier};
use crate::config::{ClusterConfigState, ConfigStore, SessionKey, TargetState};

/// A [`ConfigStore`] on `config.storage.topic`.
///
/// The topic must have a single partition (a worker refuses more, as Kafka does) and is read
/// with `isolation.level=read_committed`.
#[derive(Debug)]
pub struct KafkaConfigStore {
    pub(super) log: KafkaLog,
    state: watch::Receiver<ClusterConfigState>,
}

impl KafkaConfigStore {
    /// Creates the topic if missing and reads it to its end.
    ///
    /// # Errors
    /// When the topic cannot be created or read, or has more than one partition.
    pub async fn open(settings: &KafkaSettings, topic: &TopicSettings) -> Result<Self, StoreError> {
        let initial = ClusterConfigState {
            offset: -1,
            ..ClusterConfigState::default()
        };
        let (tx, state) = watch::channel(initial);
        let options = LogOptions {
            property: "config.storage.topic",
            purpose: "connector configurations",
            read_committed: true,
            single_partition: true,
            idempotent: true,
        };
        let log = KafkaLog::open(settings, topic, options, move |ends| {
            // Restart requests already in the log were meant for a worker that has since
            // gone; only those arriving from now on are acted upon.
            let mut applier = ConfigApplier::new(ends.first().copied().unwrap_or(0));
            Box::new(move |key, value, _partition, offset| {
                tx.send_modify(|state| applier.apply(state, key, value, offset));
            })
        })
        .await?;
        Ok(Self { log, state })
    }

    /// The Kafka cluster id (`GET /`'s `kafka_cluster_id`).
    ///
    /// # Errors
    /// When no broker answers with a cluster id in time.
    pub async fn cluster_id(&self) -> Result<String, StoreError> {
        let consumer = self.log.consumer().clone();
        let timeout = self.log_timeout();
        tokio::task::spawn_blocking(move || {
            use rdkafka::consumer::Consumer as _;
            consumer.client().fetch_cluster_id(timeout)
        })
        .await
        .map_err(|_| StoreError::Closed)?
        .ok_or_else(|| StoreError::Broker {
            context: "cannot read the Kafka cluster id".into(),
            reason: "no broker answered with a cluster id".into(),
        })
    }

    fn log_timeout(&self) -> std::time::Duration {
        self.log.timeout()
    }
}

#[async_trait]
impl ConfigStore for KafkaConfigStore {
    async fn put_connector_config(
        &self,
        name: &str,
        props: &Props,
        target_state: Option<TargetState>,
    ) -> Result<(), StoreError> {
        self.log
            .write(&records::connector_put(name, props, target_state)?)
            .await
    }

    async fn remove_connector(&self, name: &str) -> Result<(), StoreError> {
        self.log
            .write(&[
                records::connector_tombstone(name),
                records::target_state_tombstone(name),
            ])
            .await
    }

    async fn put_task_configs(&self, name: &str, configs: &[Props]) -> Result<(), StoreError> {
        self.log.write(&records::task_configs(name, configs)?).await
    }

    async fn put_target_state(&self, name: &str, state: TargetState) -> Result<(), StoreError> {
        self.log.write(&[records::target_state(name, state)?]).await
    }

    async fn put_restart_request(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<(), StoreError> {
        self.log
            .write(&[records::restart(name, include_tasks, only_failed)?])
            .await
    }

    async fn put_logger_level(&self, namespace: &str, level: &str) -> Result<(), StoreError> {
        self.log
            .write(&[records::logger_level(namespace, level)?])
            .await
    }

    async fn put_session_key(&self, key: &SessionKey) -> Result<(), StoreError> {
        self.log.write(&[records::session_key(key)?]).await
    }

    async fn refresh(&self) -> Result<(), StoreError> {
        self.log.read_to_end().await
    }

    fn snapshot(&self) -> ClusterConfigState {
        self.state.borrow().clone()
    }

    fn subscribe(&self) -> watch::Receiver<ClusterConfigState> {
        // Like `Sender::subscribe`: the current state counts as seen, so the first `changed()`
        // means a real change, as with the memory store.
        let mut rx = self.state.clone();
        rx.mark_unchanged();
        rx
    }
}
