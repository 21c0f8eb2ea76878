//! The Kafka-topic backed stores (distributed mode), on rdkafka.
//!
//! Each store owns one `KafkaLog`: a background reader that consumes every partition from the beginning without a consumer
//! group, and the producer the stores opened from one [`KafkaSettings`] share (acks=all,
//! idempotent, Java's murmur2 partitioner so a key lands in the partition a Java worker would
//! pick). A write returns after its records are acknowledged and, for the config and status
//! stores, read back; start-up returns after the topic is read to its end (`KafkaBasedLog`).
//!
//! Topics are looked up first and created (compacted, with the configured partitions and
//! replication factor) only when missing; an existing topic must be compacted and, for the
//! config topic, have one partition, or opening fails with Kafka Connect's own message.
//!
//! Broker quirks this copes with (tansu 0.6, the development broker):
//! - it holds every fetch for `fetch.wait.max.ms` even when data is ready, so readers use
//!   100 ms instead of librdkafka's 500 ms, or every read-back would take that long. The price
//!   is idle polling, a query per partition per fetch: on tansu's SQLite engine an idle worker
//!   costs tansu ~28 % of a core at 100 ms and kept it at 100 % at 10 ms (measured). Against a
//!   real Kafka, which answers a fetch as soon as data arrives, a larger value through
//!   [`KafkaSettings::extra`] (Kafka's own 500 ms) loses nothing;
//! - its high watermark is the base offset of the last record batch plus one, short of the
//!   batch's end, so the reader applies everything already fetched before it reports progress
//!   (a fetched batch arrives whole), and read-backs of our own writes wait for the delivered
//!   offsets rather than for a watermark;
//! - it never creates topics on its own, so every topic is created here.

pub(crate) mod admin;
pub(crate) mod config;
pub(crate) mod log;
pub(crate) mod offset;
pub(crate) mod status;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use connect_api::kafka_client::{self, ClientKind};
use kafka_clients::EventProducer;
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
    /// The config and offset topics' producer, created by the first store opened and shared
    /// by clones.
    writer: SharedWriter,
    /// The status topic's producer (not idempotent), shared likewise.
    status_writer: SharedWriter,
}

/// One producer for the config and offset topics instead of one each (and one for the status
/// topic, which must not be idempotent): each producer is a librdkafka client with its own
/// threads, connections and buffers.
#[derive(Clone, Default)]
struct SharedWriter(Arc<std::sync::Mutex<Option<EventProducer>>>);

impl std::fmt::Debug for SharedWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedWriter")
    }
}

impl KafkaSettings {
    pub fn new(bootstrap_servers: impl Into<String>) -> Self {
        Self {
            bootstrap_servers: bootstrap_servers.into(),
            extra: BTreeMap::new(),
            timeout: Duration::from_secs(30),
            writer: SharedWriter::default(),
            status_writer: SharedWriter::default(),
        }
    }

    /// The producer for the config and offset topics' writes, created on first use and shared
    /// by every store opened from this settings value or its clones. The settings it was made
    /// with (`extra`, `timeout`) are those of the first call. A producer that hit a fatal error
    /// (the idempotent producer's unrecoverable states) is replaced, so reopening the stores
    /// after such a failure starts afresh.
    pub(crate) fn writer(&self) -> Result<EventProducer, StoreError> {
        self.shared_producer(&self.writer, true)
    }

    /// The status topic's producer: not idempotent, as Kafka's `KafkaStatusBackingStore` makes
    /// it (`enable.idempotence=false`). An idempotent producer whose messages timed out (a
    /// worker cut off from the broker) must bump its epoch before it may write again, which
    /// tansu 0.6 does not support: every later write fails, and the statuses of a worker that
    /// came back would never be written. Statuses need no exactly-once delivery: a duplicate of
    /// a compacted status record changes nothing. One request in flight keeps librdkafka's
    /// retries from reordering the records of a partition (Kafka's has `retries=0` and retries
    /// in the store; here every write is retried by librdkafka within its timeout).
    pub(crate) fn status_writer(&self) -> Result<EventProducer, StoreError> {
        self.shared_producer(&self.status_writer, false)
    }

    fn shared_producer(
        &self,
        shared: &SharedWriter,
        idempotent: bool,
    ) -> Result<EventProducer, StoreError> {
        use rdkafka::producer::Producer as _;
        let mut slot = shared
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(p) = slot.as_ref() {
            match p.client().fatal_error() {
                None => return Ok(p.clone()),
                Some((code, reason)) => {
                    tracing::warn!(?code, %reason, "The internal topics' producer failed fatally; creating a new one.");
                }
            }
        }
        let timeout = self.timeout.as_millis().to_string();
        let (client_id, forced): (&str, &[(&str, &str)]) = if idempotent {
            (
                "sluice-internal-writer",
                &[
                    ("acks", "all"),
                    ("enable.idempotence", "true"),
                    // Java's default partitioner: a key goes where a Java worker would put
                    // it, so compaction and readers see one partition per key.
                    ("partitioner", "murmur2_random"),
                    ("message.timeout.ms", &timeout),
                ],
            )
        } else {
            (
                "sluice-status-writer",
                &[
                    ("acks", "all"),
                    ("enable.idempotence", "false"),
                    ("max.in.flight.requests.per.connection", "1"),
                    ("partitioner", "murmur2_random"),
                    ("message.timeout.ms", &timeout),
                ],
            )
        };
        let producer: EventProducer = self
            .client_config(
                ClientKind::Producer,
                &[("linger.ms", "0"), ("client.id", client_id)],
                forced,
            )?
            .create()
            .map_err(|e| StoreError::kafka("cannot create the internal topics' producer", e))?;
        *slot = Some(producer.clone());
        Ok(producer)
    }

    /// Takes a ready client config: its `bootstrap.servers`, and every other property as
    /// [`KafkaSettings::extra`].
    pub fn from_client_config(config: &ClientConfig) -> Self {
        let mut settings = Self::new(config.get("bootstrap.servers").unwrap_or_default());
        settings.extra = config
            .config_map()
            .into_iter()
            .filter(|(k, _)| *k != "bootstrap.servers")
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        settings
    }

    /// The base client config for a `kind` client; `defaults` may be overridden by
    /// [`KafkaSettings::extra`], `forced` may not. [`KafkaSettings::extra`] may use Kafka's Java
    /// client names: everything goes through [`connect_api::kafka_client::translate`].
    ///
    /// # Errors
    /// [`StoreError::Config`] when a setting cannot be translated (it names the key, never a
    /// secret).
    pub(crate) fn client_config(
        &self,
        kind: ClientKind,
        defaults: &[(&str, &str)],
        forced: &[(&str, &str)],
    ) -> Result<ClientConfig, StoreError> {
        let layer = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let bootstrap = layer(&[("bootstrap.servers", &self.bootstrap_servers)]);
        let translated = kafka_client::translate(
            &[&bootstrap, &layer(defaults), &self.extra, &layer(forced)],
            kind,
        )
        .map_err(|e| StoreError::Config(e.to_string()))?;
        for warning in translated.new_warnings() {
            tracing::warn!("{warning}");
        }
        let mut config = ClientConfig::new();
        for (k, v) in &translated.props {
            config.set(k, v);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_client_names_in_the_extra_settings_are_translated_and_override_defaults() {
        let mut settings = KafkaSettings::new("b:9092");
        settings
            .extra
            .insert("fetch.max.wait.ms".into(), "7".into());
        settings
            .extra
            .insert("max.request.size".into(), "2000000".into());
        let consumer = settings
            .client_config(ClientKind::Consumer, &[("fetch.wait.max.ms", "100")], &[])
            .unwrap();
        assert_eq!(consumer.get("fetch.wait.max.ms"), Some("7"));
        assert_eq!(consumer.get("fetch.max.wait.ms"), None);
        // A producer key is not given to a consumer.
        assert_eq!(consumer.get("message.max.bytes"), None);
        let producer = settings
            .client_config(ClientKind::Producer, &[], &[("acks", "all")])
            .unwrap();
        assert_eq!(producer.get("message.max.bytes"), Some("2000000"));
        assert_eq!(producer.get("request.required.acks"), Some("all"));
    }

    #[test]
    fn an_untranslatable_extra_setting_is_a_config_error_naming_it() {
        let mut settings = KafkaSettings::new("b:9092");
        settings
            .extra
            .insert("sasl.jaas.config".into(), "not a jaas entry".into());
        settings
            .extra
            .insert("sasl.mechanism".into(), "PLAIN".into());
        let err = settings
            .client_config(ClientKind::Admin, &[], &[])
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Config(m) if m.contains("sasl.jaas.config")),
            "{err}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_config_and_offset_stores_share_a_producer_and_the_status_store_has_its_own() {
        use rdkafka::producer::Producer as _;
        // Each producer is a librdkafka client with its own threads and connections, so the
        // stores share one; the status store writes through its own, not idempotent.
        let cluster = rdkafka::mocking::MockCluster::new(1).unwrap();
        for (topic, partitions) in [("c", 1), ("o", 2), ("s", 2)] {
            cluster.create_topic(topic, partitions, 1).unwrap();
        }
        let mut settings = KafkaSettings::new(cluster.bootstrap_servers());
        settings.timeout = Duration::from_secs(20);
        let config = config::KafkaConfigStore::open(&settings, &TopicSettings::config("c", 1))
            .await
            .unwrap();
        let offsets =
            offset::KafkaOffsetStore::open(&settings.clone(), &TopicSettings::offsets("o", 2, 1))
                .await
                .unwrap();
        let status = status::KafkaStatusStore::open(&settings, &TopicSettings::status("s", 2, 1))
            .await
            .unwrap();
        let handle = config.log.producer_handle();
        assert_eq!(offsets.log.producer_handle(), handle);
        assert_ne!(status.log.producer_handle(), handle);
        assert_eq!(
            status.log.producer_handle(),
            settings.status_writer().unwrap().client().native_ptr()
        );
    }

    #[test]
    fn clones_of_the_settings_share_one_writer() {
        use rdkafka::producer::Producer as _;
        // No broker needed: librdkafka creates the handle without connecting.
        let settings = KafkaSettings::new("127.0.0.1:1");
        let first = settings.writer().unwrap();
        let again = settings.clone().writer().unwrap();
        assert_eq!(first.client().native_ptr(), again.client().native_ptr());
        let other = KafkaSettings::new("127.0.0.1:1").writer().unwrap();
        assert_ne!(first.client().native_ptr(), other.client().native_ptr());
    }

    #[test]
    fn extra_settings_override_defaults_but_not_forced_ones() {
        let mut client = ClientConfig::new();
        client
            .set("bootstrap.servers", "b:9092")
            .set("fetch.wait.max.ms", "1")
            .set("isolation.level", "read_uncommitted")
            .set("security.protocol", "SASL_SSL");
        let settings = KafkaSettings::from_client_config(&client);
        assert_eq!(settings.bootstrap_servers, "b:9092");
        assert!(!settings.extra.contains_key("bootstrap.servers"));
        let config = settings
            .client_config(
                ClientKind::Consumer,
                &[("fetch.wait.max.ms", "10")],
                &[("isolation.level", "read_committed")],
            )
            .unwrap();
        assert_eq!(config.get("fetch.wait.max.ms"), Some("1"));
        assert_eq!(config.get("security.protocol"), Some("sasl_ssl"));
        assert_eq!(config.get("isolation.level"), Some("read_committed"));
        assert_eq!(config.get("bootstrap.servers"), Some("b:9092"));
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
        .client_config(ClientKind::Admin, &[], &[])?
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
