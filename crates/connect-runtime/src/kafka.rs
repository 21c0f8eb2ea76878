//! The shared Kafka client pool.
//!
//! One `FutureProducer` per effective producer configuration (worker base plus the connector's
//! `producer.override.*`), shared by clone (rdkafka documents it as cheap: it is an `Arc` inside);
//! one `AdminClient` per worker. Consumers are never pooled: each sink task owns its own, because
//! group membership and assignment belong to a single instance.
//!
//! Every client's settings go through [`connect_api::kafka_client::translate`], the one table
//! from Kafka's Java client settings (`max.request.size`, `sasl.jaas.config`,
//! `ssl.truststore.location`, …) to librdkafka's; keys it ignores are logged at WARN once.
//!
//! librdkafka says only "certificate verify failed" when a broker's certificate is rejected;
//! [`KafkaClients::tls_failure`] and [`tls_failure_of`] name the cause (an expired certificate,
//! a foreign CA, a host-name mismatch) with a handshake of their own, for `/health`, the log
//! and a failed task's trace.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use connect_api::kafka_client::tls_probe::{self, TlsFailure};
use connect_api::kafka_client::{self, ClientConfigError, ClientKind};
use dashmap::DashMap;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::FutureProducer;

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
    base: ClientProps,
    /// Worker-level `admin.*` settings.
    admin_overrides: ClientProps,
    producers: DashMap<ClientProps, FutureProducer>,
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

    /// As [`KafkaClients::new`], with the worker's `admin.*` settings for the admin client.
    /// The base settings are checked for producers and consumers too, so a bad store, password
    /// or JAAS text fails the worker's start rather than its first connector.
    ///
    /// # Errors
    /// As [`KafkaClients::new`].
    pub fn with_admin_overrides(
        base: ClientProps,
        admin_overrides: ClientProps,
    ) -> Result<Self, ClientError> {
        let admin = client_config(&[&base, &admin_overrides], ClientKind::Admin)?
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

    /// The settings every client starts from.
    pub fn base(&self) -> &ClientProps {
        &self.inner.base
    }

    /// A consumer configuration (never pooled): base settings plus `overrides`, translated.
    ///
    /// # Errors
    /// When a setting cannot be translated.
    pub fn try_consumer_config(
        &self,
        overrides: &ClientProps,
    ) -> Result<ClientConfig, ClientError> {
        client_config(&[&self.inner.base, overrides], ClientKind::Consumer)
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

    /// The worker's `admin.*` settings.
    pub fn admin_overrides(&self) -> &ClientProps {
        &self.inner.admin_overrides
    }

    /// The shared producer for `overrides` (empty for the worker's default producer).
    ///
    /// # Errors
    /// When librdkafka rejects the settings.
    pub fn producer(&self, overrides: &ClientProps) -> Result<FutureProducer, ClientError> {
        if let Some(p) = self.inner.producers.get(overrides) {
            return Ok(p.clone());
        }
        // Defaults tuned for throughput with bounded latency; Kafka Connect's own producer
        // defaults (acks=all, idempotence) keep ordering and no-duplicate delivery per partition.
        let mut defaults: ClientProps = [
            ("acks", "all"),
            ("enable.idempotence", "true"),
            ("linger.ms", "5"),
            ("batch.num.messages", "10000"),
            ("compression.type", "none"),
            ("message.timeout.ms", "2147483647"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        defaults.extend(overrides.clone());
        let producer: FutureProducer =
            client_config(&[&self.inner.base, &defaults], ClientKind::Producer)?
                .create()
                .map_err(ClientError::Create)?;
        self.inner
            .producers
            .insert(overrides.clone(), producer.clone());
        Ok(producer)
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
    let props = config
        .config_map()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    probe_off_runtime(props).await
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

/// The worker's top-level settings that every Kafka client takes: the security settings
/// (`security.protocol`, `sasl.*`, `ssl.*`) and the connection settings of Kafka's
/// `CommonClientConfigs`, plus `bootstrap.servers`. Kafka Connect passes these to its
/// internal-topic clients and admin client; Sluice gives them to every client, connector
/// producers and consumers included, which `producer.*`/`consumer.*` settings then override.
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batches_of_every_compression_are_written_and_read_back() {
        // librdkafka built without a codec refuses `compression.type` at creation, and a
        // consumer without it cannot decompress: a round trip per codec proves both sides.
        let cluster = rdkafka::mocking::MockCluster::new(1).unwrap();
        cluster.create_topic("c", 1, 1).unwrap();
        let clients = KafkaClients::new(props(&[(
            "bootstrap.servers",
            &cluster.bootstrap_servers(),
        )]))
        .unwrap();
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

    #[test]
    fn worker_level_java_settings_reach_each_client_translated() {
        let clients = KafkaClients::with_admin_overrides(
            props(&[
                ("bootstrap.servers", "127.0.0.1:1"),
                ("client.dns.lookup", "use_all_dns_ips"),
            ]),
            props(&[("request.timeout.ms", "7000")]),
        )
        .unwrap();
        let consumer = clients
            .try_consumer_config(&props(&[
                ("fetch.max.wait.ms", "42"),
                ("max.poll.records", "10"),
            ]))
            .unwrap();
        assert_eq!(consumer.get("fetch.wait.max.ms"), Some("42"));
        assert_eq!(consumer.get("max.poll.records"), None);
        assert_eq!(consumer.get("client.dns.lookup"), Some("use_all_dns_ips"));
        assert_eq!(
            clients
                .admin_overrides()
                .get("request.timeout.ms")
                .map(String::as_str),
            Some("7000")
        );
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
