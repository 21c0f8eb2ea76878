//! The shared Kafka client pool.
//!
//! One producer per effective producer configuration (the worker's `producer.*` plus the
//! connector's `producer.override.*`), shared by clone (a `kafka_clients::EventProducer` is an
//! `Arc` inside); one `AdminClient` per worker. Consumers are never pooled: each sink task owns
//! its own, because group membership and assignment belong to a single instance.
//!
//! Which worker settings reach which client follows Kafka 3.9's `Worker`: a connector's
//! producers and consumers get `bootstrap.servers` and nothing else of the worker's top level
//! (`baseProducerConfigs`/`baseConsumerConfigs` take only the `producer.`/`consumer.` prefixed
//! settings and the connector's overrides), so the worker's own `ssl.*`, `sasl.*` and
//! `security.protocol` never mix with a connector's stores; the admin client takes the worker's
//! top-level admin settings and then `admin.*` (`adminConfigs`). See [`worker_admin_props`].
//!
//! Every client's settings go through [`connect_api::kafka_client::translate`], the one table
//! from Kafka's Java client settings (`max.request.size`, `sasl.jaas.config`,
//! `ssl.truststore.location`, …) to librdkafka's; keys it ignores are logged at WARN once.
//!
//! librdkafka says only "certificate verify failed" when a broker's certificate is rejected;
//! [`KafkaClients::tls_failure`], [`SharedProducer::tls_failure`] and [`tls_failure_of`] name
//! the cause (an expired certificate, a foreign CA, a host-name mismatch) with a handshake of
//! their own, for `/health`, the log and a failed task's trace. A producer's TLS errors arrive
//! through librdkafka's error callback only, so [`SharedProducer::tls_errors`] reports them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use connect_api::kafka_client::tls_probe::{self, TlsFailure};
use connect_api::kafka_client::{self, ClientConfigError, ClientKind, JAVA_KEYS};
use dashmap::DashMap;
use kafka_clients::EventProducer;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use tokio::sync::watch;

/// Client settings: `bootstrap.servers` and whatever else the worker passes to every client.
pub type ClientProps = BTreeMap<String, String>;

/// Errors of the client pool.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("could not create a Kafka client: {0}")]
    Create(#[source] KafkaError),
    #[error(transparent)]
    Config(#[from] ClientConfigError),
    #[error("could not create topic {topic}: {source}")]
    CreateTopic {
        topic: String,
        #[source]
        source: KafkaError,
    },
    #[error("could not create topic {topic}: {message}")]
    CreateTopicRejected { topic: String, message: String },
}

/// How a missing topic is created (KIP-158 `topic.creation.*`, or the broker's defaults).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TopicSpec {
    /// `None`: the broker's default (`-1`).
    pub partitions: Option<i32>,
    /// `None`: the broker's default (`-1`).
    pub replication_factor: Option<i32>,
    pub configs: Vec<(String, String)>,
}

/// The worker's Kafka clients.
#[derive(Clone)]
pub struct KafkaClients {
    inner: Arc<Inner>,
}

struct Inner {
    /// The worker's top-level client settings: the base of its admin client. Connector
    /// producers and consumers take only its `bootstrap.servers`.
    base: ClientProps,
    /// The admin client's own settings over `base` (see [`worker_admin_props`]).
    admin_overrides: ClientProps,
    producers: DashMap<ClientProps, SharedProducer>,
    admin: AdminClient<DefaultClientContext>,
    /// Topics known to exist, so the produce path asks the broker at most once per topic.
    known_topics: DashMap<String, ()>,
}

impl std::fmt::Debug for KafkaClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be passwords or private keys: show the keys only.
        f.debug_struct("KafkaClients")
            .field("base", &self.inner.base.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl KafkaClients {
    /// Creates the pool (no network I/O happens until a client is used).
    ///
    /// # Errors
    /// When a setting cannot be translated (see [`kafka_client::translate`]) or librdkafka
    /// rejects it.
    pub fn new(base: ClientProps) -> Result<Self, ClientError> {
        Self::with_admin_overrides(base, ClientProps::new())
    }

    /// As [`KafkaClients::new`], with the admin client's settings over `base` (the worker's
    /// top-level admin settings and `admin.*`: [`worker_admin_props`]). The base settings are
    /// checked for producers and consumers too (the worker's internal-topic clients take them),
    /// so a bad store, password or JAAS text fails the worker's start rather than later.
    ///
    /// # Errors
    /// As [`KafkaClients::new`].
    pub fn with_admin_overrides(
        base: ClientProps,
        admin_overrides: ClientProps,
    ) -> Result<Self, ClientError> {
        let admin = admin_config(&base, &admin_overrides)?
            .create()
            .map_err(ClientError::Create)?;
        client_config(&[&base], ClientKind::Producer)?;
        client_config(&[&base], ClientKind::Consumer)?;
        Ok(Self {
            inner: Arc::new(Inner {
                base,
                admin_overrides,
                producers: DashMap::new(),
                admin,
                known_topics: DashMap::new(),
            }),
        })
    }

    /// The worker's top-level client settings (the admin client's base).
    pub fn base(&self) -> &ClientProps {
        &self.inner.base
    }

    /// What a connector's producer or consumer takes from the worker's top level:
    /// `bootstrap.servers` only, as Kafka's `Worker.baseProducerConfigs` and
    /// `baseConsumerConfigs` put nothing else of it in (the worker's `producer.*`/`consumer.*`
    /// come with the caller's settings).
    fn connector_base(&self) -> ClientProps {
        self.inner
            .base
            .get("bootstrap.servers")
            .map(|b| ("bootstrap.servers".to_owned(), b.clone()))
            .into_iter()
            .collect()
    }

    /// A consumer configuration (never pooled): the worker's `bootstrap.servers` plus
    /// `overrides` (the worker's `consumer.*` and the connector's `consumer.override.*`),
    /// translated.
    ///
    /// # Errors
    /// When a setting cannot be translated.
    pub fn try_consumer_config(
        &self,
        overrides: &ClientProps,
    ) -> Result<ClientConfig, ClientError> {
        client_config(&[&self.connector_base(), overrides], ClientKind::Consumer)
    }

    /// As [`KafkaClients::try_consumer_config`], for callers that create the consumer later: a
    /// setting that cannot be translated yields a configuration whose `create()` fails with
    /// the translation error's text (it names the key, never a secret).
    pub fn consumer_config(&self, overrides: &ClientProps) -> ClientConfig {
        self.try_consumer_config(overrides).unwrap_or_else(|e| {
            tracing::error!(error = %e, "Invalid consumer settings.");
            let mut cfg = ClientConfig::new();
            cfg.set(INVALID_CONFIG_KEY, e.to_string());
            cfg
        })
    }

    /// The admin client's settings over the base (see [`worker_admin_props`]).
    pub fn admin_overrides(&self) -> &ClientProps {
        &self.inner.admin_overrides
    }

    /// The admin client's configuration: the base, then [`KafkaClients::admin_overrides`],
    /// translated.
    ///
    /// # Errors
    /// When a setting cannot be translated.
    pub fn admin_config(&self) -> Result<ClientConfig, ClientError> {
        admin_config(&self.inner.base, &self.inner.admin_overrides)
    }

    /// A producer configuration: the worker's `bootstrap.servers`, Sluice's producer defaults,
    /// then `overrides` (the worker's `producer.*` and the connector's `producer.override.*`),
    /// translated.
    ///
    /// # Errors
    /// When a setting cannot be translated.
    pub fn producer_config(&self, overrides: &ClientProps) -> Result<ClientConfig, ClientError> {
        // Kafka Connect's own defaults (`Worker.baseProducerConfigs`): acks=all, no idempotence,
        // one request in flight, retries without a deadline. Records reach each partition in
        // order, at least once. The idempotent producer's five requests in flight are not only
        // a departure from the JVM worker: librdkafka 2.12 busy-polls its broker socket while a
        // partition's window of five is full (~0.5M poll(2) calls a second under CDC load,
        // 30-50 % of the worker's CPU; BENCHMARKS.md, "Producer defaults and the binlog row
        // decoder"). `linger.ms` and `batch.num.messages` are Sluice's throughput choices; all
        // of these can be overridden.
        let mut defaults: ClientProps = [
            ("acks", "all"),
            ("enable.idempotence", "false"),
            ("max.in.flight.requests.per.connection", "1"),
            ("linger.ms", "5"),
            ("batch.num.messages", "10000"),
            ("compression.type", "none"),
            ("message.timeout.ms", "2147483647"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        defaults.extend(overrides.clone());
        client_config(&[&self.connector_base(), &defaults], ClientKind::Producer)
    }

    /// The shared producer for `overrides` (the worker's `producer.*`, then a connector's
    /// `producer.override.*`); see [`KafkaClients::producer_config`].
    ///
    /// # Errors
    /// When a setting cannot be translated or librdkafka rejects it.
    pub fn producer(&self, overrides: &ClientProps) -> Result<SharedProducer, ClientError> {
        if let Some(p) = self.inner.producers.get(overrides) {
            return Ok(p.clone());
        }
        let config = self.producer_config(overrides)?;
        let events = ProducerEvents::new(settings_of(&config));
        let producer: EventProducer<ProducerEvents> = config
            .create_with_context(events.clone())
            .map_err(ClientError::Create)?;
        let shared = SharedProducer { producer, events };
        self.inner
            .producers
            .insert(overrides.clone(), shared.clone());
        Ok(shared)
    }

    /// Takes `producer` out of the pool, so the next task asking for its settings gets a new
    /// one: a task that failed on it must not leave records queued there for its successor.
    pub fn discard_producer(&self, producer: &SharedProducer) {
        self.inner
            .producers
            .retain(|_, p| !Arc::ptr_eq(&p.events.inner, &producer.events.inner));
    }

    pub fn admin(&self) -> &AdminClient<DefaultClientContext> {
        &self.inner.admin
    }

    /// The cluster id, for `GET /`. Blocking (librdkafka call), so run it off the runtime.
    pub async fn cluster_id(&self) -> Option<String> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            this.inner
                .admin
                .inner()
                .fetch_cluster_id(Duration::from_secs(5))
        })
        .await
        .ok()
        .flatten()
    }

    /// Why the worker's clients (the admin client's settings: the base and `admin.*`) cannot
    /// complete a TLS handshake with the bootstrap servers, when that is what fails: `None`
    /// without TLS, or when the handshake succeeds or no server accepts a connection.
    pub async fn tls_failure(&self) -> Option<TlsFailure> {
        let translated = kafka_client::translate(
            &[&self.inner.base, &self.inner.admin_overrides],
            ClientKind::Admin,
        )
        .ok()?;
        probe_off_runtime(translated.props).await
    }

    /// Whether `topic` exists on the broker (a metadata request, off the runtime).
    pub async fn topic_exists(&self, topic: &str) -> Result<bool, ClientError> {
        if self.inner.known_topics.contains_key(topic) {
            return Ok(true);
        }
        let this = self.clone();
        let name = topic.to_owned();
        let exists = tokio::task::spawn_blocking(move || {
            this.inner
                .admin
                .inner()
                .fetch_metadata(Some(&name), Duration::from_secs(10))
                .map(|m| {
                    m.topics().iter().any(|t| {
                        t.name() == name && t.error().is_none() && !t.partitions().is_empty()
                    })
                })
        })
        .await
        .map_err(|e| ClientError::CreateTopicRejected {
            topic: topic.to_owned(),
            message: e.to_string(),
        })?
        .map_err(|source| ClientError::CreateTopic {
            topic: topic.to_owned(),
            source,
        })?;
        if exists {
            self.inner.known_topics.insert(topic.to_owned(), ());
        }
        Ok(exists)
    }

    /// Creates `topic` if it does not exist. Brokers such as tansu (and Redpanda with
    /// auto-creation off) never create topics on produce, and a produce to a missing topic waits
    /// forever, so every writer calls this first.
    ///
    /// # Errors
    /// When the broker refuses the creation for a reason other than "already exists".
    pub async fn ensure_topic(&self, topic: &str, spec: &TopicSpec) -> Result<(), ClientError> {
        if self.topic_exists(topic).await? {
            return Ok(());
        }
        let partitions = spec.partitions.unwrap_or(-1);
        let rf = spec.replication_factor.unwrap_or(-1);
        match self
            .create_topic(topic, partitions, rf, &spec.configs)
            .await
        {
            Ok(()) => {}
            // Some brokers do not understand -1 ("broker default"); fall back to one partition
            // and a replication factor of one, which every broker accepts.
            Err(ClientError::CreateTopicRejected { .. }) if partitions < 0 || rf < 0 => {
                self.create_topic(topic, partitions.max(1), rf.max(1), &spec.configs)
                    .await?;
            }
            Err(e) => return Err(e),
        }
        self.inner.known_topics.insert(topic.to_owned(), ());
        tracing::info!(topic, "Created topic.");
        Ok(())
    }

    async fn create_topic(
        &self,
        topic: &str,
        partitions: i32,
        rf: i32,
        configs: &[(String, String)],
    ) -> Result<(), ClientError> {
        let mut new = NewTopic::new(topic, partitions, TopicReplication::Fixed(rf));
        for (k, v) in configs {
            new = new.set(k, v);
        }
        let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        let results = self
            .inner
            .admin
            .create_topics([&new], &opts)
            .await
            .map_err(|source| ClientError::CreateTopic {
                topic: topic.to_owned(),
                source,
            })?;
        for r in results {
            if let Err((_, code)) = r
                && code != RDKafkaErrorCode::TopicAlreadyExists
            {
                return Err(ClientError::CreateTopicRejected {
                    topic: topic.to_owned(),
                    message: code.to_string(),
                });
            }
        }
        Ok(())
    }
}

/// How long the diagnostic handshake may take per bootstrap server.
const TLS_PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// As [`KafkaClients::tls_failure`], for a client configured with `config` (librdkafka
/// settings, e.g. a sink task's consumer).
pub async fn tls_failure_of(config: &ClientConfig) -> Option<TlsFailure> {
    probe_off_runtime(settings_of(config)).await
}

/// The librdkafka settings of `config`.
fn settings_of(config: &ClientConfig) -> ClientProps {
    config
        .config_map()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// A pooled producer (cloned cheaply) with what librdkafka reports about it outside its
/// delivery reports. It dereferences to the rdkafka producer.
#[derive(Clone)]
pub struct SharedProducer {
    producer: EventProducer<ProducerEvents>,
    events: ProducerEvents,
}

impl std::ops::Deref for SharedProducer {
    type Target = EventProducer<ProducerEvents>;

    fn deref(&self) -> &Self::Target {
        &self.producer
    }
}

impl std::fmt::Debug for SharedProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The settings hold passwords and private keys.
        f.debug_struct("SharedProducer").finish_non_exhaustive()
    }
}

impl SharedProducer {
    /// Counts the TLS handshake failures librdkafka reported (`__SSL`): it retries them
    /// without failing a single delivery, so this is the only sign a producer cannot reach
    /// its brokers over TLS. A receiver sees the failures after it subscribed.
    pub fn tls_errors(&self) -> watch::Receiver<u64> {
        self.events.inner.tls_errors.subscribe()
    }

    /// Why this producer's TLS handshake fails, as [`KafkaClients::tls_failure`] says it for
    /// the admin client (a handshake of its own with the producer's settings).
    pub async fn tls_failure(&self) -> Option<TlsFailure> {
        probe_off_runtime(self.events.inner.settings.clone()).await
    }
}

/// The context of a pooled producer: counts the TLS failures of librdkafka's error callback
/// (which otherwise only logs them) and keeps the settings for the diagnostic handshake.
#[derive(Clone)]
pub struct ProducerEvents {
    inner: Arc<EventsInner>,
}

impl std::fmt::Debug for ProducerEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The settings hold passwords and private keys.
        f.debug_struct("ProducerEvents")
            .field("tls_errors", &*self.inner.tls_errors.borrow())
            .finish_non_exhaustive()
    }
}

struct EventsInner {
    /// The producer's librdkafka settings.
    settings: ClientProps,
    tls_errors: watch::Sender<u64>,
}

impl ProducerEvents {
    fn new(settings: ClientProps) -> Self {
        Self {
            inner: Arc::new(EventsInner {
                settings,
                tls_errors: watch::Sender::new(0),
            }),
        }
    }
}

impl ClientContext for ProducerEvents {
    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::SSL) {
            self.inner
                .tls_errors
                .send_modify(|n| *n = n.wrapping_add(1));
        }
        // What rdkafka's default context logs, under its target (the
        // `org.apache.kafka.clients` logger).
        tracing::error!(target: "rdkafka::client", "librdkafka: {error}: {reason}");
    }
}

async fn probe_off_runtime(props: ClientProps) -> Option<TlsFailure> {
    tokio::task::spawn_blocking(move || tls_probe::probe(&props, TLS_PROBE_TIMEOUT))
        .await
        .ok()
        .flatten()
}

/// The property a failed translation is carried in by [`KafkaClients::consumer_config`]:
/// librdkafka refuses it at `create()`, quoting the translation error.
const INVALID_CONFIG_KEY: &str = "sluice.invalid.client.config";

fn admin_config(base: &ClientProps, overrides: &ClientProps) -> Result<ClientConfig, ClientError> {
    client_config(&[base, overrides], ClientKind::Admin)
}

/// `layers` (later ones win) translated for a `kind` client; ignored keys are logged once.
fn client_config(layers: &[&ClientProps], kind: ClientKind) -> Result<ClientConfig, ClientError> {
    let translated = kafka_client::translate(layers, kind)?;
    for warning in translated.new_warnings() {
        tracing::warn!("{warning}");
    }
    let mut cfg = ClientConfig::new();
    for (k, v) in &translated.props {
        cfg.set(k, v);
    }
    Ok(cfg)
}

/// The worker's top-level settings that its own Kafka clients take: the security settings
/// (`security.protocol`, `sasl.*`, `ssl.*`) and the connection settings of Kafka's
/// `CommonClientConfigs`, plus `bootstrap.servers`. Kafka Connect passes these to its
/// internal-topic clients and admin clients, never to a connector's producers and consumers
/// (those take the worker's `producer.*`/`consumer.*` instead; see [`KafkaClients`]).
pub fn worker_client_props(originals: &BTreeMap<String, String>) -> ClientProps {
    const COMMON: &[&str] = &[
        "bootstrap.servers",
        "client.dns.lookup",
        "metadata.max.age.ms",
        "send.buffer.bytes",
        "receive.buffer.bytes",
        "reconnect.backoff.ms",
        "reconnect.backoff.max.ms",
        "retry.backoff.ms",
        "retry.backoff.max.ms",
        "connections.max.idle.ms",
        "socket.connection.setup.timeout.ms",
        "socket.connection.setup.timeout.max.ms",
        "metadata.recovery.strategy",
    ];
    originals
        .iter()
        .filter(|(k, _)| {
            COMMON.contains(&k.as_str())
                || k.starts_with("security.")
                || k.starts_with("sasl.")
                || k.starts_with("ssl.")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The admin client's settings over [`worker_client_props`], as Kafka 3.9's
/// `Worker.adminConfigs` builds them: every top-level worker setting that is an admin client
/// setting (Java's `AdminClientConfig` reads no other; `bootstrap.servers` is the base's),
/// then the `admin.*` settings with the prefix stripped.
pub fn worker_admin_props(originals: &BTreeMap<String, String>) -> ClientProps {
    let mut out: ClientProps = originals
        .iter()
        .filter(|(k, _)| {
            k.as_str() != "bootstrap.servers"
                && JAVA_KEYS
                    .iter()
                    .any(|j| j.name == k.as_str() && j.applies_to(ClientKind::Admin))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    out.extend(
        originals
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("admin.").map(|s| (s.to_owned(), v.clone()))),
    );
    out
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use rdkafka::Message as _;
    use rdkafka::consumer::{BaseConsumer, Consumer as _};
    use rdkafka::producer::FutureRecord;
    use rdkafka::{Offset, TopicPartitionList};

    use super::*;

    fn props(pairs: &[(&str, &str)]) -> ClientProps {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// librdkafka's in-process mock cluster with `topic` of `partitions`, and a worker's clients
    /// bootstrapped to it (the cluster lives as long as the first half of the pair).
    fn mock_cluster_clients(
        topic: &str,
        partitions: i32,
    ) -> (
        rdkafka::mocking::MockCluster<'static, rdkafka::producer::DefaultProducerContext>,
        KafkaClients,
    ) {
        let cluster = rdkafka::mocking::MockCluster::new(1).unwrap();
        cluster.create_topic(topic, partitions, 1).unwrap();
        let clients = KafkaClients::new(props(&[(
            "bootstrap.servers",
            &cluster.bootstrap_servers(),
        )]))
        .unwrap();
        (cluster, clients)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batches_of_every_compression_are_written_and_read_back() {
        // librdkafka built without a codec refuses `compression.type` at creation, and a
        // consumer without it cannot decompress: a round trip per codec proves both sides.
        let (_cluster, clients) = mock_cluster_clients("c", 1);
        let codecs = ["gzip", "snappy", "lz4", "zstd"];
        for codec in codecs {
            let producer = clients
                .producer(&props(&[("compression.type", codec), ("linger.ms", "20")]))
                .unwrap();
            let sends: Vec<_> = (0..10)
                .map(|i| {
                    let producer = producer.clone();
                    let payload = format!("{codec}:{i}:{}", "z".repeat(500));
                    async move {
                        producer
                            .send(
                                FutureRecord::<(), _>::to("c").payload(&payload),
                                Duration::from_secs(10),
                            )
                            .await
                            .map_err(|(e, _)| e)
                    }
                })
                .collect();
            for r in futures::future::join_all(sends).await {
                r.unwrap();
            }
        }
        let consumer: BaseConsumer = clients
            .try_consumer_config(&props(&[("group.id", "g")]))
            .unwrap()
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset("c", 0, Offset::Beginning).unwrap();
        consumer.assign(&tpl).unwrap();
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while seen.len() < 40 && Instant::now() < deadline {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
                seen.push(String::from_utf8(m.payload().unwrap().to_vec()).unwrap());
            }
        }
        for codec in codecs {
            let n = seen
                .iter()
                .filter(|s| s.starts_with(&format!("{codec}:")))
                .count();
            assert_eq!(n, 10, "{codec}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_connector_producers_keyed_records_land_in_the_partition_javas_producer_picks() {
        // Partitions of a 3-partition topic that Kafka's own producer picks for these keys
        // (`Utils.toPositive(Utils.murmur2(key)) % 3`, run on kafka-clients 4.3.0's jar):
        // a takeover or a mixed cluster keeps each key in one partition only if Sluice agrees.
        const JAVA: [(&str, i32); 12] = [
            (r#"{"id":1}"#, 0),
            (r#"{"id":2}"#, 1),
            (r#"{"id":3}"#, 0),
            (r#"{"id":4}"#, 2),
            (r#"{"id":5}"#, 2),
            (r#"{"id":6}"#, 1),
            (r#"{"id":7}"#, 0),
            (r#"{"id":8}"#, 0),
            (r#"{"id":9}"#, 0),
            (r#"{"id":10}"#, 1),
            (r#"{"id":11}"#, 1),
            (r#"{"id":12}"#, 2),
        ];
        let (_cluster, clients) = mock_cluster_clients("keyed", 3);
        // No partitioner settings: what a connector gets from a worker config that has none.
        let producer = clients.producer(&ClientProps::new()).unwrap();
        for (key, java) in JAVA {
            let delivery = producer
                .send(
                    FutureRecord::to("keyed").key(key).payload("v"),
                    Duration::from_secs(10),
                )
                .await
                .map_err(|(e, _)| e)
                .unwrap();
            assert_eq!(delivery.partition, java, "{key}");
        }
    }

    /// A CA certificate in PEM, and a file holding it.
    fn ca_pem(dir: &std::path::Path) -> (String, String) {
        use openssl::asn1::Asn1Time;
        use openssl::hash::MessageDigest;
        use openssl::pkey::PKey;
        use openssl::rsa::Rsa;
        use openssl::x509::{X509Builder, X509NameBuilder};
        let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "test-ca").unwrap();
        let name = name.build();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        let pem = String::from_utf8(b.build().to_pem().unwrap()).unwrap();
        let path = dir.join("ca.pem");
        std::fs::write(&path, &pem).unwrap();
        (pem, path.display().to_string())
    }

    /// A worker whose own clients trust `ca_file` over TLS and SASL (top-level settings, as
    /// `worker_client_props` passes them), with its `admin.*`/top-level admin settings.
    fn secured_worker(ca_file: &str, originals: &[(&str, &str)]) -> KafkaClients {
        let mut all = props(&[
            ("bootstrap.servers", "127.0.0.1:1"),
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="worker" password="worker-pw";"#,
            ),
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.location", ca_file),
        ]);
        all.extend(props(originals));
        KafkaClients::with_admin_overrides(worker_client_props(&all), worker_admin_props(&all))
            .unwrap()
    }

    /// The connector-side settings of a JVM worker: `producer.*` or `consumer.*` with the
    /// prefix stripped, inline PEM trust and no SASL.
    fn inline_pem_client(ca: &str) -> ClientProps {
        props(&[
            ("security.protocol", "SSL"),
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.certificates", ca),
        ])
    }

    #[test]
    fn a_connector_producer_takes_the_bootstrap_servers_but_not_the_workers_security() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, ca_file) = ca_pem(dir.path());
        let clients = secured_worker(&ca_file, &[]);
        // Inline PEM beside the worker's `ssl.truststore.location` would be refused
        // ("set either …, not both") if the worker's top level reached the producer.
        let producer = clients.producer_config(&inline_pem_client(&ca)).unwrap();
        assert_eq!(producer.get("bootstrap.servers"), Some("127.0.0.1:1"));
        assert_eq!(producer.get("security.protocol"), Some("ssl"));
        assert_eq!(producer.get("ssl.ca.pem").map(str::trim), Some(ca.trim()));
        assert_eq!(producer.get("ssl.ca.location"), None);
        assert_eq!(producer.get("sasl.mechanisms"), None);
        assert_eq!(producer.get("sasl.password"), None);
        // Without `producer.*` security settings the producer is a plaintext client, as in Kafka.
        let plain = clients.producer_config(&ClientProps::new()).unwrap();
        assert_eq!(plain.get("security.protocol"), None);
        assert_eq!(plain.get("ssl.ca.pem"), None);
        assert_eq!(plain.get("request.required.acks"), Some("all"));
        clients.producer(&inline_pem_client(&ca)).unwrap();
    }

    #[test]
    fn a_connector_producer_defaults_to_kafka_connects_one_request_in_flight_without_idempotence() {
        let worker = props(&[("bootstrap.servers", "127.0.0.1:1")]);
        let clients = KafkaClients::with_admin_overrides(
            worker_client_props(&worker),
            worker_admin_props(&worker),
        )
        .unwrap();
        let producer = clients.producer_config(&ClientProps::new()).unwrap();
        assert_eq!(producer.get("request.required.acks"), Some("all"));
        assert_eq!(producer.get("enable.idempotence"), Some("false"));
        assert_eq!(producer.get("max.in.flight"), Some("1"));
        assert_eq!(producer.get("message.timeout.ms"), Some("2147483647"));
        // A connector (or the worker's `producer.*`) can still ask for the idempotent producer.
        let idempotent = clients
            .producer_config(&props(&[
                ("enable.idempotence", "true"),
                ("max.in.flight.requests.per.connection", "5"),
            ]))
            .unwrap();
        assert_eq!(idempotent.get("enable.idempotence"), Some("true"));
        assert_eq!(idempotent.get("max.in.flight"), Some("5"));
    }

    #[test]
    fn a_connector_consumer_takes_the_bootstrap_servers_but_not_the_workers_security() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, ca_file) = ca_pem(dir.path());
        let clients = secured_worker(&ca_file, &[("client.dns.lookup", "use_all_dns_ips")]);
        let mut overrides = inline_pem_client(&ca);
        overrides.extend(props(&[
            ("fetch.max.wait.ms", "42"),
            ("max.poll.records", "10"),
        ]));
        let consumer = clients.try_consumer_config(&overrides).unwrap();
        assert_eq!(consumer.get("bootstrap.servers"), Some("127.0.0.1:1"));
        assert_eq!(consumer.get("security.protocol"), Some("ssl"));
        assert_eq!(consumer.get("ssl.ca.pem").map(str::trim), Some(ca.trim()));
        assert_eq!(consumer.get("ssl.ca.location"), None);
        assert_eq!(consumer.get("sasl.mechanisms"), None);
        assert_eq!(consumer.get("fetch.wait.max.ms"), Some("42"));
        assert_eq!(consumer.get("max.poll.records"), None);
        // Top-level connection settings are the worker's own clients', not a connector's.
        assert_eq!(consumer.get("client.dns.lookup"), None);
    }

    #[test]
    fn the_admin_client_takes_the_workers_top_level_admin_settings_then_admin_ones() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, ca_file) = ca_pem(dir.path());
        let clients = secured_worker(
            &ca_file,
            &[
                ("request.timeout.ms", "7000"),
                ("group.id", "connect-cluster"),
                ("offset.storage.topic", "offsets"),
                ("producer.security.protocol", "PLAINTEXT"),
                ("consumer.ssl.truststore.certificates", &ca),
                ("admin.client.id", "admin-1"),
                ("admin.sasl.mechanism", "SCRAM-SHA-256"),
            ],
        );
        let admin = clients.admin_config().unwrap();
        assert_eq!(admin.get("bootstrap.servers"), Some("127.0.0.1:1"));
        assert_eq!(admin.get("security.protocol"), Some("sasl_ssl"));
        assert!(
            admin
                .get("ssl.ca.pem")
                .is_some_and(|p| p.trim() == ca.trim())
        );
        assert_eq!(admin.get("sasl.username"), Some("worker"));
        assert_eq!(admin.get("sasl.mechanisms"), Some("SCRAM-SHA-256"));
        assert_eq!(admin.get("socket.timeout.ms"), Some("7000"));
        assert_eq!(admin.get("client.id"), Some("admin-1"));
        assert_eq!(admin.get("group.id"), None);
        assert_eq!(admin.get("offset.storage.topic"), None);
    }

    #[test]
    fn worker_admin_props_take_top_level_admin_keys_and_the_admin_prefix() {
        let originals = props(&[
            ("bootstrap.servers", "b:9092"),
            ("group.id", "connect-cluster"),
            (
                "key.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("ssl.truststore.location", "/t.jks"),
            ("request.timeout.ms", "7000"),
            ("retries", "3"),
            ("max.request.size", "2000000"),
            ("producer.ssl.truststore.location", "/p.jks"),
            ("consumer.security.protocol", "SSL"),
            ("admin.retries", "5"),
            ("admin.ssl.keystore.location", "/a.jks"),
        ]);
        let p = worker_admin_props(&originals);
        assert_eq!(
            p.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>(),
            [
                "request.timeout.ms=7000",
                "retries=5",
                "ssl.keystore.location=/a.jks",
                "ssl.truststore.location=/t.jks",
            ]
        );
    }

    #[test]
    fn a_producers_tls_errors_are_counted_and_others_are_not() {
        let clients = KafkaClients::new(props(&[("bootstrap.servers", "127.0.0.1:1")])).unwrap();
        let producer = clients.producer(&ClientProps::new()).unwrap();
        let mut errors = producer.tls_errors();
        let context = ProducerEvents {
            inner: Arc::clone(&producer.events.inner),
        };
        context.error(
            KafkaError::Global(RDKafkaErrorCode::AllBrokersDown),
            "1/1 brokers are down",
        );
        assert!(!errors.has_changed().unwrap());
        context.error(
            KafkaError::Global(RDKafkaErrorCode::SSL),
            "SSL handshake failed: certificate verify failed",
        );
        assert!(errors.has_changed().unwrap());
        assert_eq!(*errors.borrow_and_update(), 1);
    }

    #[tokio::test]
    async fn a_plaintext_producer_has_no_tls_failure_to_name() {
        let clients = KafkaClients::new(props(&[("bootstrap.servers", "127.0.0.1:1")])).unwrap();
        let producer = clients.producer(&ClientProps::new()).unwrap();
        assert_eq!(producer.tls_failure().await, None);
    }

    #[test]
    fn a_discarded_producer_is_replaced_by_a_new_one() {
        let clients = KafkaClients::new(props(&[("bootstrap.servers", "127.0.0.1:1")])).unwrap();
        let settings = props(&[("linger.ms", "1")]);
        let first = clients.producer(&settings).unwrap();
        let again = clients.producer(&settings).unwrap();
        assert!(Arc::ptr_eq(&first.events.inner, &again.events.inner));
        clients.discard_producer(&first);
        let fresh = clients.producer(&settings).unwrap();
        assert!(!Arc::ptr_eq(&first.events.inner, &fresh.events.inner));
    }

    #[test]
    fn an_invalid_consumer_setting_fails_creation_with_the_translation_error() {
        let clients = KafkaClients::new(props(&[("bootstrap.servers", "127.0.0.1:1")])).unwrap();
        let overrides = props(&[(
            "partition.assignment.strategy",
            "org.apache.kafka.clients.consumer.StickyAssignor",
        )]);
        let err = clients.try_consumer_config(&overrides).unwrap_err();
        assert!(
            err.to_string().contains("partition.assignment.strategy"),
            "{err}"
        );
        let created: Result<BaseConsumer, _> = clients.consumer_config(&overrides).create();
        let text = created.err().unwrap().to_string();
        assert!(
            text.contains("StickyAssignor has no librdkafka equivalent"),
            "{text}"
        );
    }

    #[test]
    fn a_bad_worker_level_security_setting_fails_at_start_without_the_secret() {
        let err = KafkaClients::new(props(&[
            ("bootstrap.servers", "127.0.0.1:1"),
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"pw-123456\"",
            ),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("sasl.jaas.config"), "{err}");
        assert!(!err.to_string().contains("pw-123456"));
        assert!(!format!("{err:?}").contains("pw-123456"));
        let clients = KafkaClients::new(props(&[
            ("bootstrap.servers", "127.0.0.1:1"),
            ("sasl.password", "pw-123456"),
        ]))
        .unwrap();
        assert!(!format!("{clients:?}").contains("pw-123456"));
    }

    #[test]
    fn worker_client_props_take_security_and_connection_settings_only() {
        let originals = props(&[
            ("bootstrap.servers", "b:9092"),
            ("group.id", "connect-cluster"),
            ("ssl.truststore.location", "/t.jks"),
            ("sasl.mechanism", "PLAIN"),
            ("security.protocol", "SASL_SSL"),
            ("offset.storage.topic", "o"),
            ("client.dns.lookup", "use_all_dns_ips"),
        ]);
        let p = worker_client_props(&originals);
        assert_eq!(
            p.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "bootstrap.servers",
                "client.dns.lookup",
                "sasl.mechanism",
                "security.protocol",
                "ssl.truststore.location"
            ]
        );
    }
}
