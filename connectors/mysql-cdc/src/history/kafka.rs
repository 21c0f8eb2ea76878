//! `io.debezium.storage.kafka.history.KafkaSchemaHistory`: the history in a one-partition topic
//! with infinite retention, written and read with the connector's own Kafka clients (as
//! Debezium does), because the worker's producer gives no read-back and no ordering guarantee
//! across restarts.
//!
//! The `schema.history.internal.producer.*` / `consumer.*` settings are Kafka Java client
//! settings (TLS stores, `sasl.jaas.config`, …), translated by
//! [`connect_api::kafka_client::translate`] as the worker's own clients are.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::Props;
use connect_api::kafka_client::{self, ClientKind};
use kafka_clients::EventProducer;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::Message;
use rdkafka::producer::FutureRecord;
use rdkafka::{Offset, TopicPartitionList};

use super::{HistoryRecord, SchemaHistory};
use crate::error::{CdcError, Result};

/// How long a failure's TLS check may take per bootstrap server.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The history topic and the clients' settings.
#[derive(Clone)]
pub struct KafkaHistory {
    bootstrap: String,
    topic: String,
    /// `schema.history.internal.producer.*` pass-through settings.
    producer_overrides: Props,
    /// `schema.history.internal.consumer.*` pass-through settings.
    consumer_overrides: Props,
    timeout: Duration,
    /// Created on first write and reused: a snapshot writes one record per table.
    producer: Arc<OnceLock<EventProducer>>,
}

impl std::fmt::Debug for KafkaHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Client overrides can hold SASL secrets: name the topic only.
        f.debug_struct("KafkaHistory")
            .field("bootstrap", &self.bootstrap)
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

impl KafkaHistory {
    pub fn new(bootstrap: &str, topic: &str, originals: &Props) -> Self {
        let prefixed = |p: &str| -> Props {
            originals
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(p).map(|s| (s.to_owned(), v.clone())))
                .collect()
        };
        Self {
            bootstrap: bootstrap.to_owned(),
            topic: topic.to_owned(),
            producer_overrides: prefixed("schema.history.internal.producer."),
            consumer_overrides: prefixed("schema.history.internal.consumer."),
            timeout: Duration::from_secs(30),
            producer: Arc::new(OnceLock::new()),
        }
    }

    /// The client settings for `kind`: the history's bootstrap servers, `defaults`, the
    /// connector's pass-through settings, then `forced`, translated from Java's names.
    fn base(
        &self,
        kind: ClientKind,
        defaults: &[(&str, &str)],
        forced: &[(&str, &str)],
    ) -> Result<ClientConfig> {
        let mut c = ClientConfig::new();
        for (k, v) in &self.translated(kind, defaults, forced)? {
            c.set(k, v);
        }
        Ok(c)
    }

    /// The librdkafka settings behind [`Self::base`].
    fn translated(
        &self,
        kind: ClientKind,
        defaults: &[(&str, &str)],
        forced: &[(&str, &str)],
    ) -> Result<Props> {
        let layer = |pairs: &[(&str, &str)]| -> Props {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let overrides = match kind {
            ClientKind::Consumer => &self.consumer_overrides,
            ClientKind::Producer | ClientKind::Admin => &self.producer_overrides,
        };
        let bootstrap = layer(&[("bootstrap.servers", &self.bootstrap)]);
        let translated = kafka_client::translate(
            &[&bootstrap, &layer(defaults), overrides, &layer(forced)],
            kind,
        )
        .map_err(|e| self.err("invalid schema history client settings", e))?;
        for warning in translated.new_warnings() {
            tracing::warn!("{warning}");
        }
        Ok(translated.props)
    }

    /// A failure of a `kind` client. librdkafka reports a rejected broker certificate as
    /// "certificate verify failed" in its log and the call only times out, so when the client
    /// speaks TLS a handshake of our own names the cause (a foreign CA, an expired
    /// certificate, a host-name mismatch). Blocking: up to [`PROBE_TIMEOUT`] per server.
    fn failure(&self, kind: ClientKind, what: &str, e: impl std::fmt::Display) -> CdcError {
        let rejected = self
            .translated(kind, &[], &[])
            .ok()
            .and_then(|props| kafka_client::tls_probe::probe(&props, PROBE_TIMEOUT))
            .filter(|f| f.certificate_rejected);
        match rejected {
            Some(f) => self.err(what, format_args!("SSL handshake failed: {f} ({e})")),
            None => self.err(what, e),
        }
    }

    /// [`Self::failure`] from async code, off the runtime's threads.
    async fn failure_async(&self, kind: ClientKind, what: &'static str, e: String) -> CdcError {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.failure(kind, what, e))
            .await
            .unwrap_or_else(|j| CdcError::History(format!("history failure check panicked: {j}")))
    }

    fn err(&self, what: &str, e: impl std::fmt::Display) -> CdcError {
        CdcError::History(format!(
            "{what} (topic {} at {}): {e}",
            self.topic, self.bootstrap
        ))
    }

    fn consumer(&self) -> Result<BaseConsumer> {
        let group = format!("{}-sluice-history", self.topic);
        self.base(
            ClientKind::Consumer,
            // The broker holds fetches for fetch.wait.max.ms even when data is ready.
            &[("fetch.wait.max.ms", "10")],
            &[
                ("group.id", &group),
                ("enable.auto.commit", "false"),
                ("enable.partition.eof", "false"),
            ],
        )?
        .create()
        .map_err(|e| self.err("cannot create the history consumer", e))
    }

    /// The high watermark of partition 0, or `None` when the topic does not exist.
    fn high_watermark(&self, consumer: &BaseConsumer) -> Result<Option<i64>> {
        let md = consumer
            .fetch_metadata(Some(&self.topic), self.timeout)
            .map_err(|e| self.failure(ClientKind::Consumer, "cannot read metadata", e))?;
        let exists = md
            .topics()
            .iter()
            .any(|t| t.name() == self.topic && t.error().is_none() && !t.partitions().is_empty());
        if !exists {
            return Ok(None);
        }
        let (_, high) = consumer
            .fetch_watermarks(&self.topic, 0, self.timeout)
            .map_err(|e| self.failure(ClientKind::Consumer, "cannot read the history size", e))?;
        Ok(Some(high))
    }
}

#[async_trait]
impl SchemaHistory for KafkaHistory {
    async fn exists(&self) -> Result<bool> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let consumer = this.consumer()?;
            Ok(this.high_watermark(&consumer)?.is_some_and(|h| h > 0))
        })
        .await
        .map_err(|e| CdcError::History(format!("history check panicked: {e}")))?
    }

    async fn initialize(&self) -> Result<()> {
        let admin: AdminClient<DefaultClientContext> = self
            .base(ClientKind::Admin, &[], &[])?
            .create()
            .map_err(|e| self.err("cannot create an admin client", e))?;
        let opts = AdminOptions::new().operation_timeout(Some(self.timeout));
        let topic = NewTopic::new(&self.topic, 1, TopicReplication::Fixed(1))
            .set("cleanup.policy", "delete")
            .set("retention.ms", "9223372036854775807")
            .set("retention.bytes", "-1");
        let results = match admin.create_topics([&topic], &opts).await {
            Ok(r) => r,
            Err(e) => {
                let what = "cannot create the history topic";
                return Err(self
                    .failure_async(ClientKind::Admin, what, e.to_string())
                    .await);
            }
        };
        for r in results {
            match r {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((_, code)) => return Err(self.err("cannot create the history topic", code)),
            }
        }
        Ok(())
    }

    async fn record(&self, records: &[HistoryRecord]) -> Result<()> {
        let producer = match self.producer.get() {
            Some(p) => p,
            None => {
                let p: EventProducer = self
                    .base(
                        ClientKind::Producer,
                        &[],
                        &[("acks", "1"), ("message.timeout.ms", "30000")],
                    )?
                    .create()
                    .map_err(|e| self.err("cannot create the history producer", e))?;
                self.producer.get_or_init(|| p)
            }
        };
        for r in records {
            let json = r.to_json();
            let rec: FutureRecord<'_, (), str> =
                FutureRecord::to(&self.topic).partition(0).payload(&json);
            if let Err((e, _)) = producer.send(rec, self.timeout).await {
                let what = "cannot write a history record";
                return Err(self
                    .failure_async(ClientKind::Producer, what, e.to_string())
                    .await);
            }
        }
        Ok(())
    }

    async fn recover(&self) -> Result<Vec<HistoryRecord>> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let consumer = this.consumer()?;
            let Some(high) = this.high_watermark(&consumer)? else {
                return Ok(Vec::new());
            };
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset(&this.topic, 0, Offset::Beginning)
                .map_err(|e| this.err("cannot assign", e))?;
            consumer
                .assign(&tpl)
                .map_err(|e| this.err("cannot assign", e))?;
            let mut out = Vec::new();
            let deadline = std::time::Instant::now() + this.timeout * 4;
            let mut next = 0;
            while next < high {
                if std::time::Instant::now() > deadline {
                    return Err(CdcError::HistoryMissing(format!(
                        "read only {next} of {high} history records from {}",
                        this.topic
                    )));
                }
                match consumer.poll(Duration::from_millis(200)) {
                    None => {}
                    Some(Err(e)) => {
                        return Err(this.failure(
                            ClientKind::Consumer,
                            "cannot read the history",
                            e,
                        ));
                    }
                    Some(Ok(m)) => {
                        next = m.offset() + 1;
                        let text = m.payload_view::<str>().transpose().map_err(|e| {
                            CdcError::HistoryMissing(format!(
                                "record at offset {} is not UTF-8: {e:?}",
                                m.offset()
                            ))
                        })?;
                        if let Some(t) = text {
                            out.push(HistoryRecord::from_json(t)?);
                        }
                    }
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| CdcError::History(format!("history recovery panicked: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(pairs: &[(&str, &str)]) -> KafkaHistory {
        let originals: Props = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        KafkaHistory::new("b:9092", "history", &originals)
    }

    #[test]
    fn java_client_settings_of_the_history_clients_are_translated() {
        let h = history(&[
            (
                "schema.history.internal.producer.max.request.size",
                "2000000",
            ),
            (
                "schema.history.internal.producer.security.protocol",
                "SASL_SSL",
            ),
            ("schema.history.internal.consumer.fetch.max.wait.ms", "25"),
        ]);
        let producer = h.base(ClientKind::Producer, &[], &[("acks", "1")]).unwrap();
        assert_eq!(producer.get("message.max.bytes"), Some("2000000"));
        assert_eq!(producer.get("security.protocol"), Some("sasl_ssl"));
        assert_eq!(producer.get("request.required.acks"), Some("1"));
        assert_eq!(producer.get("bootstrap.servers"), Some("b:9092"));
        let consumer = h
            .base(ClientKind::Consumer, &[("fetch.wait.max.ms", "10")], &[])
            .unwrap();
        assert_eq!(consumer.get("fetch.wait.max.ms"), Some("25"));
    }

    #[test]
    fn a_bad_jaas_config_fails_the_history_client_naming_the_key_not_the_password() {
        let h = history(&[
            ("schema.history.internal.consumer.sasl.mechanism", "PLAIN"),
            (
                "schema.history.internal.consumer.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"hist-pw-1\"",
            ),
        ]);
        let Err(err) = h.consumer() else {
            panic!("the consumer was created")
        };
        let err = err.to_string();
        assert!(err.contains("sasl.jaas.config"), "{err}");
        assert!(!err.contains("hist-pw-1"), "{err}");
    }
}
