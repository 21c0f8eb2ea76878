//! The Kafka-topic backed stores (distributed mode), on rdkafka.
//!
//! Each store owns one [`log::KafkaLog`]: its own producer (acks=all, idempotent, Java's
//! murmur2 partitioner so a key lands in the partition a Java worker would pick) and one
//! background reader that consumes every partition from the beginning without a consumer
//! group. A write returns after its records are acknowledged and, for the config and status
//! stores, read back; start-up returns after the topic is read to its end (`KafkaBasedLog`).

pub(crate) mod admin;
pub(crate) mod config;
pub(crate) mod log;
pub(crate) mod offset;
pub(crate) mod status;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;

use crate::StoreError;

/// How to reach Kafka.
#[derive(Debug, Clone)]
pub struct KafkaSettings {
    pub bootstrap_servers: String,
    /// librdkafka properties applied to every client (`security.protocol`, `sasl.*`, …). They
    /// may override the reader tuning (`fetch.wait.max.ms`) but not the settings correctness
    /// depends on (acks, idempotence, partitioner, offset reset, isolation level).
    pub extra: BTreeMap<String, String>,
    /// How long a write may take to be acknowledged and read back, and start-up to read a
    /// topic to its end (Kafka uses 30 s).
    pub timeout: Duration,
}

impl KafkaSettings {
    pub fn new(bootstrap_servers: impl Into<String>) -> Self {
        Self {
            bootstrap_servers: bootstrap_servers.into(),
            extra: BTreeMap::new(),
            timeout: Duration::from_secs(30),
        }
    }

    /// The base client config; `defaults` may be overridden by [`KafkaSettings::extra`],
    /// `forced` may not.
    pub(crate) fn client_config(
        &self,
        defaults: &[(&str, &str)],
        forced: &[(&str, &str)],
    ) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.bootstrap_servers);
        for (k, v) in defaults {
            config.set(*k, *v);
        }
        for (k, v) in &self.extra {
            config.set(k, v);
        }
        for (k, v) in forced {
            config.set(*k, *v);
        }
        config
    }
}

/// An internal topic: its name, and how to create it when missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSettings {
    pub name: String,
    pub partitions: i32,
    /// `-1` means the broker's default.
    pub replication_factor: i16,
}

impl TopicSettings {
    /// `config.storage.topic`: always one partition.
    pub fn config(name: impl Into<String>, replication_factor: i16) -> Self {
        Self {
            name: name.into(),
            partitions: 1,
            replication_factor,
        }
    }

    /// `offset.storage.topic` (Kafka's default partitions: 25).
    pub fn offsets(name: impl Into<String>, partitions: i32, replication_factor: i16) -> Self {
        Self {
            name: name.into(),
            partitions,
            replication_factor,
        }
    }

    /// `status.storage.topic` (Kafka's default partitions: 5).
    pub fn status(name: impl Into<String>, partitions: i32, replication_factor: i16) -> Self {
        Self {
            name: name.into(),
            partitions,
            replication_factor,
        }
    }
}

/// The Kafka cluster id, for `GET /`'s `kafka_cluster_id`.
///
/// # Errors
/// When no broker answers in time or the broker reports no cluster id.
pub async fn fetch_cluster_id(settings: &KafkaSettings) -> Result<String, StoreError> {
    let admin: AdminClient<DefaultClientContext> = settings
        .client_config(&[], &[])
        .create()
        .map_err(|e| StoreError::kafka("cannot create a Kafka admin client", e))?;
    let admin = Arc::new(admin);
    let timeout = settings.timeout;
    tokio::task::spawn_blocking(move || admin.inner().fetch_cluster_id(timeout))
        .await
        .map_err(|_| StoreError::Closed)?
        .ok_or_else(|| StoreError::Broker {
            context: format!(
                "cannot read the Kafka cluster id from {}",
                settings.bootstrap_servers
            ),
            reason: "no broker answered with a cluster id".into(),
        })
}
