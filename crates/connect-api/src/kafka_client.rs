//! Kafka's Java client settings translated to librdkafka's, the one table every Kafka client
//! of Sluice goes through: the worker's (internal topics, admin, connector producers and
//! consumers) and a connector's own (Debezium's schema history).
//!
//! It lives in the plugin SPI, not in the runtime, because connectors that make their own
//! clients may depend on this crate alone; it is a plain `Props → Props` function, so this
//! crate stays free of any Kafka client library. It does link OpenSSL (which librdkafka links
//! anyway) to read PKCS12 stores and keys.
//!
//! Each key of `ProducerConfig`, `ConsumerConfig`, `AdminClientConfig` and
//! `CommonClientConfigs` (Kafka 3.9) is in [`JAVA_KEYS`] with one [`Rule`]: passed on under the
//! same or librdkafka's name (with a value conversion where the units or spellings differ),
//! ignored with a warning where that changes nothing a connector could observe, or refused
//! with an error naming the key where ignoring it would change behaviour or security. A key
//! not in the table is taken as a librdkafka setting and passed on unchanged (librdkafka refuses
//! unknown ones when the client is created). A key of another client kind (`group.id` given to
//! a producer) is dropped with a warning, as Java's "supplied but isn't a known config" does.
//! Where a Java default differs from librdkafka's in a way users rely on (the producer's 32 MB
//! `buffer.memory` against librdkafka's 1 GiB queue), the Java default applies unless the key
//! is set under either spelling: [`JAVA_DEFAULTS`].
//! The security settings (`sasl.jaas.config`, the trust and key stores) become librdkafka's
//! `sasl.*` and in-memory `ssl.*.pem` settings.

pub mod jaas;
mod jks;
mod stores;
pub mod tls_probe;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};

use crate::Props;

/// A client setting Sluice cannot honour, naming the key (never its value, which may be a
/// secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid Kafka client setting {key}: {message}")]
pub struct ClientConfigError {
    pub key: String,
    pub message: String,
}

impl ClientConfigError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Which client a configuration is for (a key of another kind is dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    Producer,
    Consumer,
    Admin,
}

impl ClientKind {
    fn bit(self) -> u8 {
        match self {
            Self::Producer => P,
            Self::Consumer => C,
            Self::Admin => A,
        }
    }
}

const P: u8 = 1;
const C: u8 = 2;
const A: u8 = 4;
const ALL: u8 = P | C | A;

/// A value conversion: `Ok(None)` drops the key, `Err` is the reason the value is refused.
pub type Convert = fn(&str) -> Result<Option<String>, String>;

/// What happens to one Java key.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// librdkafka knows it under the same name with the same meaning.
    Same,
    /// librdkafka's name for it.
    Rename(&'static str),
    /// librdkafka's name and a value conversion.
    Convert(&'static str, Convert),
    /// Dropped with a warning (logged once per key): why that is harmless.
    Ignore(&'static str),
    /// Refused when set to a non-empty value: why it cannot be honoured.
    Refuse(&'static str),
    /// Read together with related keys: the security settings (into librdkafka's `sasl.*` and
    /// `ssl.*.pem`), the per-codec compression levels, and the two partitioner keys.
    Combined,
}

/// A Java client key: its name, the clients that define it, and its rule.
#[derive(Debug, Clone, Copy)]
pub struct JavaKey {
    pub name: &'static str,
    kinds: u8,
    pub rule: Rule,
}

impl JavaKey {
    /// Whether a producer, consumer or admin client defines the key (Java's config classes).
    pub fn applies_to(&self, kind: ClientKind) -> bool {
        self.kinds & kind.bit() != 0
    }
}

const fn k(name: &'static str, kinds: u8, rule: Rule) -> JavaKey {
    JavaKey { name, kinds, rule }
}

const METRICS: &str =
    "client metrics are not exported to JMX reporters; librdkafka's own statistics are separate";
const SERDE: &str =
    "the worker always exchanges bytes with Kafka; converters do the (de)serialisation";
const TIMEOUT_API: &str = "librdkafka applies its own per-call timeouts; Sluice passes explicit timeouts to blocking calls";

/// Every Java client key of Kafka 3.9 and how it reaches librdkafka.
pub const JAVA_KEYS: &[JavaKey] = &[
    // CommonClientConfigs, on every client.
    k("bootstrap.servers", ALL, Rule::Same),
    k("client.id", ALL, Rule::Same),
    k("client.dns.lookup", ALL, Rule::Same),
    k("metadata.max.age.ms", ALL, Rule::Same),
    k(
        "send.buffer.bytes",
        ALL,
        Rule::Convert("socket.send.buffer.bytes", os_default_buffer),
    ),
    k(
        "receive.buffer.bytes",
        ALL,
        Rule::Convert("socket.receive.buffer.bytes", os_default_buffer),
    ),
    k("reconnect.backoff.ms", ALL, Rule::Same),
    k("reconnect.backoff.max.ms", ALL, Rule::Same),
    k("retry.backoff.ms", ALL, Rule::Same),
    k("retry.backoff.max.ms", ALL, Rule::Same),
    k("connections.max.idle.ms", ALL, Rule::Same),
    k("socket.connection.setup.timeout.ms", ALL, Rule::Same),
    k(
        "socket.connection.setup.timeout.max.ms",
        ALL,
        Rule::Ignore(
            "librdkafka has one connection setup timeout (socket.connection.setup.timeout.ms) without exponential growth",
        ),
    ),
    k("metadata.recovery.strategy", ALL, Rule::Same),
    k("enable.metrics.push", ALL, Rule::Same),
    k("metrics.sample.window.ms", ALL, Rule::Ignore(METRICS)),
    k("metrics.num.samples", ALL, Rule::Ignore(METRICS)),
    k("metrics.recording.level", ALL, Rule::Ignore(METRICS)),
    k("metric.reporters", ALL, Rule::Ignore(METRICS)),
    k("auto.include.jmx.reporter", ALL, Rule::Ignore(METRICS)),
    k(
        "security.providers",
        ALL,
        Rule::Refuse("Java security providers (classes) cannot be loaded; librdkafka uses OpenSSL"),
    ),
    k(
        "security.protocol",
        ALL,
        Rule::Convert("security.protocol", security_protocol),
    ),
    // Producer and admin `request.timeout.ms`: librdkafka's producer ack timeout, and its
    // socket timeout for the other clients.
    k("request.timeout.ms", P, Rule::Same),
    k(
        "request.timeout.ms",
        C | A,
        Rule::Rename("socket.timeout.ms"),
    ),
    k("retries", P, Rule::Rename("message.send.max.retries")),
    k(
        "retries",
        A,
        Rule::Ignore("librdkafka's admin requests retry within their timeout"),
    ),
    k("default.api.timeout.ms", C | A, Rule::Ignore(TIMEOUT_API)),
    k(
        "bootstrap.controllers",
        A,
        Rule::Refuse("librdkafka cannot talk to KRaft controllers directly; use bootstrap.servers"),
    ),
    // ProducerConfig.
    k("acks", P, Rule::Convert("request.required.acks", acks)),
    k("batch.size", P, Rule::Same),
    k("linger.ms", P, Rule::Rename("queue.buffering.max.ms")),
    k(
        "buffer.memory",
        P,
        Rule::Convert("queue.buffering.max.kbytes", bytes_to_kbytes),
    ),
    k("max.request.size", P, Rule::Rename("message.max.bytes")),
    k("delivery.timeout.ms", P, Rule::Rename("message.timeout.ms")),
    k(
        "max.in.flight.requests.per.connection",
        P,
        Rule::Rename("max.in.flight"),
    ),
    k("enable.idempotence", P, Rule::Same),
    k(
        "compression.type",
        P,
        Rule::Convert("compression.type", compression_type),
    ),
    // Read together with compression.type (librdkafka has one level for the active codec).
    k("compression.gzip.level", P, Rule::Combined),
    k("compression.lz4.level", P, Rule::Combined),
    k("compression.zstd.level", P, Rule::Combined),
    k(
        "max.block.ms",
        P,
        Rule::Ignore(
            "librdkafka's produce call never blocks on metadata or a full buffer; Sluice waits for buffer space itself",
        ),
    ),
    k(
        "metadata.max.idle.ms",
        P,
        Rule::Ignore("librdkafka keeps metadata of every topic it produced to"),
    ),
    // Read together: the class, when set, decides (see `partitioner`).
    k("partitioner.class", P, Rule::Combined),
    k("partitioner.ignore.keys", P, Rule::Combined),
    k(
        "partitioner.adaptive.partitioning.enable",
        P,
        Rule::Ignore(
            "librdkafka's sticky partitioning for keyless records does not weigh broker load",
        ),
    ),
    k(
        "partitioner.availability.timeout.ms",
        P,
        Rule::Ignore(
            "librdkafka's sticky partitioning for keyless records does not weigh broker load",
        ),
    ),
    k("transaction.timeout.ms", P, Rule::Same),
    k(
        "transactional.id",
        P,
        Rule::Refuse(
            "Sluice's producers are not transactional (exactly-once source support is not implemented)",
        ),
    ),
    k("key.serializer", P, Rule::Ignore(SERDE)),
    k("value.serializer", P, Rule::Ignore(SERDE)),
    k(
        "interceptor.classes",
        P | C,
        Rule::Refuse(
            "Java interceptors cannot run; they may change records, so they are not silently skipped",
        ),
    ),
    // ConsumerConfig.
    k("group.id", C, Rule::Same),
    k("group.instance.id", C, Rule::Same),
    k(
        "group.protocol",
        C,
        Rule::Convert("group.protocol", lower_case),
    ),
    k("group.remote.assignor", C, Rule::Same),
    k("session.timeout.ms", C, Rule::Same),
    k("heartbeat.interval.ms", C, Rule::Same),
    k("max.poll.interval.ms", C, Rule::Same),
    k(
        "max.poll.records",
        C,
        Rule::Ignore(
            "librdkafka hands over records one at a time; the sink task's batch size bounds each put",
        ),
    ),
    k("enable.auto.commit", C, Rule::Same),
    k("auto.commit.interval.ms", C, Rule::Same),
    k(
        "auto.offset.reset",
        C,
        Rule::Convert("auto.offset.reset", auto_offset_reset),
    ),
    k(
        "partition.assignment.strategy",
        C,
        Rule::Convert("partition.assignment.strategy", assignors),
    ),
    k("fetch.min.bytes", C, Rule::Same),
    k("fetch.max.bytes", C, Rule::Same),
    k("fetch.max.wait.ms", C, Rule::Rename("fetch.wait.max.ms")),
    k(
        "max.partition.fetch.bytes",
        C,
        Rule::Rename("fetch.message.max.bytes"),
    ),
    k(
        "isolation.level",
        C,
        Rule::Convert("isolation.level", lower_case),
    ),
    k("check.crcs", C, Rule::Same),
    k("client.rack", C, Rule::Same),
    k("allow.auto.create.topics", C, Rule::Same),
    k(
        "exclude.internal.topics",
        C,
        Rule::Ignore(
            "librdkafka never matches internal topics (__consumer_offsets) with a regex subscription",
        ),
    ),
    k(
        "internal.leave.group.on.close",
        C,
        Rule::Ignore(
            "an internal Kafka Streams setting; librdkafka always leaves the group on close",
        ),
    ),
    k(
        "internal.throw.on.fetch.stable.offset.unsupported",
        C,
        Rule::Ignore("an internal Kafka Streams setting"),
    ),
    k("key.deserializer", C, Rule::Ignore(SERDE)),
    k("value.deserializer", C, Rule::Ignore(SERDE)),
    // Security: SASL.
    k("sasl.mechanism", ALL, Rule::Combined),
    k("sasl.jaas.config", ALL, Rule::Combined),
    k("sasl.kerberos.service.name", ALL, Rule::Same),
    k("sasl.kerberos.kinit.cmd", ALL, Rule::Same),
    k("sasl.kerberos.min.time.before.relogin", ALL, Rule::Same),
    k(
        "sasl.kerberos.ticket.renew.window.factor",
        ALL,
        Rule::Ignore(
            "librdkafka renews Kerberos tickets every sasl.kerberos.min.time.before.relogin",
        ),
    ),
    k(
        "sasl.kerberos.ticket.renew.jitter",
        ALL,
        Rule::Ignore(
            "librdkafka renews Kerberos tickets every sasl.kerberos.min.time.before.relogin",
        ),
    ),
    k("sasl.login.callback.handler.class", ALL, Rule::Combined),
    k(
        "sasl.client.callback.handler.class",
        ALL,
        Rule::Refuse("Java callback handlers cannot run"),
    ),
    k(
        "sasl.login.class",
        ALL,
        Rule::Refuse("Java login classes cannot run"),
    ),
    k(
        "sasl.login.refresh.window.factor",
        ALL,
        Rule::Ignore("librdkafka refreshes OAuth tokens at 80 % of their lifetime"),
    ),
    k(
        "sasl.login.refresh.window.jitter",
        ALL,
        Rule::Ignore("librdkafka refreshes OAuth tokens at 80 % of their lifetime"),
    ),
    k(
        "sasl.login.refresh.min.period.seconds",
        ALL,
        Rule::Ignore("librdkafka refreshes OAuth tokens at 80 % of their lifetime"),
    ),
    k(
        "sasl.login.refresh.buffer.seconds",
        ALL,
        Rule::Ignore("librdkafka refreshes OAuth tokens at 80 % of their lifetime"),
    ),
    k(
        "sasl.login.connect.timeout.ms",
        ALL,
        Rule::Ignore("librdkafka's token request uses its own HTTP timeouts"),
    ),
    k(
        "sasl.login.read.timeout.ms",
        ALL,
        Rule::Ignore("librdkafka's token request uses its own HTTP timeouts"),
    ),
    k(
        "sasl.login.retry.backoff.ms",
        ALL,
        Rule::Ignore("librdkafka retries the token request on its own schedule"),
    ),
    k(
        "sasl.login.retry.backoff.max.ms",
        ALL,
        Rule::Ignore("librdkafka retries the token request on its own schedule"),
    ),
    k("sasl.oauthbearer.token.endpoint.url", ALL, Rule::Same),
    k(
        "sasl.oauthbearer.scope.claim.name",
        ALL,
        Rule::Ignore("librdkafka reads the scope from the token response's standard claim"),
    ),
    k(
        "sasl.oauthbearer.sub.claim.name",
        ALL,
        Rule::Ignore("librdkafka reads the principal from the standard sub claim"),
    ),
    k(
        "sasl.oauthbearer.jwks.endpoint.url",
        ALL,
        Rule::Ignore("a broker-side token validation setting"),
    ),
    k(
        "sasl.oauthbearer.jwks.endpoint.refresh.ms",
        ALL,
        Rule::Ignore("a broker-side token validation setting"),
    ),
    k(
        "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms",
        ALL,
        Rule::Ignore("a broker-side token validation setting"),
    ),
    k(
        "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
        ALL,
        Rule::Ignore("a broker-side token validation setting"),
    ),
    k(
        "sasl.oauthbearer.clock.skew.seconds",
        ALL,
        Rule::Ignore("a broker-side token validation setting"),
    ),
    k(
        "sasl.oauthbearer.expected.audience",
        ALL,
        Rule::Ignore("a broker-side token validation setting"),
    ),
    k(
        "sasl.oauthbearer.expected.issuer",
        ALL,
        Rule::Ignore("a broker-side token validation setting"),
    ),
    // Security: TLS.
    k(
        "ssl.protocol",
        ALL,
        Rule::Ignore("OpenSSL negotiates the highest TLS version both sides offer (1.2 or 1.3)"),
    ),
    k(
        "ssl.enabled.protocols",
        ALL,
        Rule::Ignore("OpenSSL negotiates the highest TLS version both sides offer (1.2 or 1.3)"),
    ),
    k(
        "ssl.cipher.suites",
        ALL,
        Rule::Refuse(
            "Java's cipher suite names are not OpenSSL's; set librdkafka's ssl.cipher.suites with OpenSSL names instead",
        ),
    ),
    k(
        "ssl.provider",
        ALL,
        Rule::Refuse("Java security providers cannot be loaded; librdkafka uses OpenSSL"),
    ),
    k(
        "ssl.engine.factory.class",
        ALL,
        Rule::Refuse("Java SSL engine factories cannot run"),
    ),
    k(
        "ssl.keymanager.algorithm",
        ALL,
        Rule::Ignore("OpenSSL has no key manager algorithms; the key store is read directly"),
    ),
    k(
        "ssl.trustmanager.algorithm",
        ALL,
        Rule::Ignore("OpenSSL verifies the chain as PKIX does"),
    ),
    k(
        "ssl.secure.random.implementation",
        ALL,
        Rule::Ignore("OpenSSL uses its own random generator"),
    ),
    k(
        "ssl.endpoint.identification.algorithm",
        ALL,
        Rule::Convert(
            "ssl.endpoint.identification.algorithm",
            endpoint_identification,
        ),
    ),
    k("ssl.truststore.type", ALL, Rule::Combined),
    k("ssl.truststore.location", ALL, Rule::Combined),
    k("ssl.truststore.password", ALL, Rule::Combined),
    k("ssl.truststore.certificates", ALL, Rule::Combined),
    k("ssl.keystore.type", ALL, Rule::Combined),
    k("ssl.keystore.location", ALL, Rule::Combined),
    k("ssl.keystore.password", ALL, Rule::Combined),
    k("ssl.keystore.key", ALL, Rule::Combined),
    k("ssl.keystore.certificate.chain", ALL, Rule::Combined),
    k("ssl.key.password", ALL, Rule::Combined),
];

/// Java client defaults that differ from librdkafka's in a way a Kafka Connect user relies on:
/// each is applied beneath every layer as if set there, so a value the user gives under either
/// spelling (the Java key or librdkafka's) wins, and it goes through the key's own [`Rule`].
///
/// `buffer.memory` bounds the bytes a producer holds for sending (Java's `BufferPool`; `send`
/// blocks when it is full). librdkafka's bound, `queue.buffering.max.kbytes`, defaults to 1 GiB,
/// so without this a connector's producer could hold 32 times what the same connector holds on
/// the JVM worker.
///
/// `partitioner.ignore.keys=false` is Java's built-in partitioner: a keyed record goes to
/// murmur2(key) mod partitions. librdkafka's default hashes keys with CRC32 instead, so the same
/// key would land in another partition than on the JVM worker: a topic written by both (a
/// takeover, a mixed cluster) would split a key's records over two partitions, out of order.
pub const JAVA_DEFAULTS: &[(ClientKind, &str, &str)] = &[
    (ClientKind::Producer, "buffer.memory", "33554432"),
    (ClientKind::Producer, "partitioner.ignore.keys", "false"),
];

/// librdkafka's aliases, so a Java key and a librdkafka spelling of the same setting in two
/// layers (worker default, connector override) are one setting and the later layer wins.
const LIBRDKAFKA_ALIASES: &[(&str, &str)] = &[
    ("acks", "request.required.acks"),
    ("linger.ms", "queue.buffering.max.ms"),
    ("retries", "message.send.max.retries"),
    ("delivery.timeout.ms", "message.timeout.ms"),
    ("max.in.flight.requests.per.connection", "max.in.flight"),
    ("max.partition.fetch.bytes", "fetch.message.max.bytes"),
    ("sasl.mechanism", "sasl.mechanisms"),
    ("compression.codec", "compression.type"),
    ("retry.backoff.ms", "retry.backoff.ms"),
    ("batch.num.messages", "batch.num.messages"),
    ("metadata.broker.list", "bootstrap.servers"),
    (
        "topic.metadata.refresh.interval.ms",
        "topic.metadata.refresh.interval.ms",
    ),
    ("queue.buffering.max.kbytes", "queue.buffering.max.kbytes"),
];

fn java_key(name: &str, kind: ClientKind) -> Option<&'static JavaKey> {
    JAVA_KEYS
        .iter()
        .find(|j| j.name == name && j.applies_to(kind))
        .or_else(|| JAVA_KEYS.iter().find(|j| j.name == name))
}

/// Java's two partitioner keys. Both end up as librdkafka's one `partitioner`, but in Java they
/// are two settings: a class set in one layer is not undone by `partitioner.ignore.keys` in
/// another, because `ignore.keys` only steers the built-in partitioner (`KafkaProducer.partition`).
const PARTITIONER_KEYS: [&str; 2] = ["partitioner.class", "partitioner.ignore.keys"];

/// Whether a key set in a later layer replaces `earlier`: the same librdkafka setting, except
/// that the two Java partitioner keys stand side by side (each still replaces, and is replaced
/// by, librdkafka's own `partitioner`).
fn replaces(later: &str, earlier: &str, kind: ClientKind) -> bool {
    if later != earlier && PARTITIONER_KEYS.contains(&later) && PARTITIONER_KEYS.contains(&earlier)
    {
        return false;
    }
    setting_of(later, kind) == setting_of(earlier, kind)
}

/// The librdkafka setting a key ends up as, so layers override each other across spellings.
fn setting_of(name: &str, kind: ClientKind) -> &str {
    if PARTITIONER_KEYS.contains(&name) {
        return "partitioner";
    }
    if let Some((_, canonical)) = LIBRDKAFKA_ALIASES.iter().find(|(a, _)| *a == name) {
        return canonical;
    }
    match java_key(name, kind).map(|j| j.rule) {
        Some(Rule::Rename(to) | Rule::Convert(to, _)) => to,
        _ => name,
    }
}

/// The result of a translation: librdkafka settings, and warnings for ignored keys.
#[derive(Clone, PartialEq, Eq)]
pub struct Translated {
    pub props: Props,
    /// One line per ignored key, saying why ignoring it is harmless.
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for Translated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The props hold passwords and private keys.
        f.debug_struct("Translated")
            .field("keys", &self.props.keys().collect::<Vec<_>>())
            .field("warnings", &self.warnings)
            .finish()
    }
}

impl Translated {
    /// The warnings not yet returned by this method in this process, so each is logged once.
    pub fn new_warnings(&self) -> Vec<String> {
        static SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
        let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
        self.warnings
            .iter()
            .filter(|w| seen.insert((*w).clone()))
            .cloned()
            .collect()
    }
}

/// Merges setting layers (later ones win, also across a Java key and its librdkafka spelling)
/// over the Java defaults of [`JAVA_DEFAULTS`] and translates the result for a `kind` client.
///
/// # Errors
/// A refused key, a value librdkafka cannot represent, or a security setting that cannot be
/// read (a store, its password, the JAAS text); the error names the key and no secret.
pub fn translate(layers: &[&Props], kind: ClientKind) -> Result<Translated, ClientConfigError> {
    let java_defaults: Props = JAVA_DEFAULTS
        .iter()
        .filter(|(k, _, _)| *k == kind)
        .map(|(_, key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
    let mut merged: BTreeMap<String, String> = BTreeMap::new();
    for layer in std::iter::once(&java_defaults).chain(layers.iter().copied()) {
        for (key, value) in layer.iter() {
            merged.retain(|k, _| !replaces(key, k, kind));
            merged.insert(key.clone(), value.clone());
        }
    }
    let mut out = Props::new();
    let mut warnings = Vec::new();
    for (key, value) in &merged {
        let Some(java) = java_key(key, kind) else {
            // Not a Java key: a librdkafka setting, under its canonical name.
            out.insert(setting_of(key, kind).to_owned(), value.clone());
            continue;
        };
        if !java.applies_to(kind) {
            warnings.push(format!(
                "The configuration '{key}' was supplied but isn't a known {} config; it is ignored.",
                match kind {
                    ClientKind::Producer => "producer",
                    ClientKind::Consumer => "consumer",
                    ClientKind::Admin => "admin client",
                }
            ));
            continue;
        }
        match java.rule {
            Rule::Same => {
                out.insert(key.clone(), value.clone());
            }
            Rule::Rename(to) => {
                out.insert(to.to_owned(), value.clone());
            }
            Rule::Convert(to, convert) => {
                if let Some(v) =
                    convert(value).map_err(|m| ClientConfigError::new(key.as_str(), m))?
                {
                    out.insert(to.to_owned(), v);
                }
            }
            Rule::Ignore(why) => warnings.push(format!(
                "The Kafka client setting '{key}' has no librdkafka equivalent and is ignored: {why}."
            )),
            Rule::Refuse(why) => {
                if !value.trim().is_empty() {
                    return Err(ClientConfigError::new(
                        key.as_str(),
                        format!("not supported by Sluice's Kafka clients: {why}"),
                    ));
                }
            }
            Rule::Combined => {}
        }
    }
    if kind == ClientKind::Producer {
        compression_level(&merged, &mut out)?;
        partitioner(&merged, &mut out)?;
    }
    sasl(&merged, &mut out)?;
    if let Some(ca) = stores::truststore(&merged)? {
        out.insert("ssl.ca.pem".to_owned(), ca);
    }
    if let Some((chain, key)) = stores::keystore(&merged)? {
        out.insert("ssl.certificate.pem".to_owned(), chain);
        out.insert("ssl.key.pem".to_owned(), key);
    }
    Ok(Translated {
        props: out,
        warnings,
    })
}

/// Java's per-codec `compression.<codec>.level`: librdkafka's `compression.level` for the
/// active codec; the others are unused, as in Java.
fn compression_level(merged: &Props, out: &mut Props) -> Result<(), ClientConfigError> {
    let codec = out.get("compression.type").cloned().unwrap_or_default();
    let key = format!("compression.{codec}.level");
    if let Some(level) = merged.get(&key) {
        let n: i32 = level
            .trim()
            .parse()
            .map_err(|_| ClientConfigError::new(key.as_str(), "not an integer"))?;
        out.insert("compression.level".to_owned(), n.to_string());
    }
    Ok(())
}

const OIDC_HANDLERS: &[&str] = &[
    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
    "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler",
];

/// `sasl.mechanism` and `sasl.jaas.config` as librdkafka's `sasl.mechanisms`,
/// `sasl.username`/`sasl.password`, `sasl.oauthbearer.*` and `sasl.kerberos.*`.
fn sasl(merged: &Props, out: &mut Props) -> Result<(), ClientConfigError> {
    let mechanism = merged
        .get("sasl.mechanism")
        .or_else(|| merged.get("sasl.mechanisms"))
        .map(|m| m.trim().to_ascii_uppercase());
    if let Some(m) = &mechanism {
        if !matches!(
            m.as_str(),
            "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512" | "OAUTHBEARER" | "GSSAPI"
        ) {
            return Err(ClientConfigError::new(
                "sasl.mechanism",
                format!(
                    "{m} is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER and GSSAPI are)"
                ),
            ));
        }
        out.insert("sasl.mechanisms".to_owned(), m.clone());
    }
    let handler = merged
        .get("sasl.login.callback.handler.class")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty());
    if let Some(h) = handler
        && !OIDC_HANDLERS.contains(&h)
    {
        return Err(ClientConfigError::new(
            "sasl.login.callback.handler.class",
            format!(
                "only Kafka's OIDC handler ({}) is supported",
                OIDC_HANDLERS[0]
            ),
        ));
    }
    let Some(text) = merged
        .get("sasl.jaas.config")
        .filter(|s| !s.trim().is_empty())
    else {
        return Ok(());
    };
    let entry = jaas::parse(text).map_err(|m| ClientConfigError::new("sasl.jaas.config", m))?;
    let module = entry.login_module.rsplit('.').next().unwrap_or_default();
    let opt = |name: &str| entry.options.get(name).cloned();
    let mechanism = mechanism.unwrap_or_else(|| "GSSAPI".to_owned());
    let expected = match mechanism.as_str() {
        "PLAIN" => "PlainLoginModule",
        "SCRAM-SHA-256" | "SCRAM-SHA-512" => "ScramLoginModule",
        "OAUTHBEARER" => "OAuthBearerLoginModule",
        _ => "Krb5LoginModule",
    };
    if module != expected {
        return Err(ClientConfigError::new(
            "sasl.jaas.config",
            format!(
                "the login module {} does not match sasl.mechanism={mechanism} (expected {expected})",
                entry.login_module
            ),
        ));
    }
    match module {
        "PlainLoginModule" | "ScramLoginModule" => {
            let (Some(user), Some(password)) = (opt("username"), opt("password")) else {
                return Err(ClientConfigError::new(
                    "sasl.jaas.config",
                    format!("{module} needs the username and password options"),
                ));
            };
            out.insert("sasl.username".to_owned(), user);
            out.insert("sasl.password".to_owned(), password);
        }
        "OAuthBearerLoginModule" => {
            let endpoint = merged
                .get("sasl.oauthbearer.token.endpoint.url")
                .filter(|s| !s.trim().is_empty());
            if endpoint.is_some() || handler.is_some() {
                if endpoint.is_none() {
                    return Err(ClientConfigError::new(
                        "sasl.oauthbearer.token.endpoint.url",
                        "the OIDC login callback handler needs the token endpoint URL",
                    ));
                }
                out.insert("sasl.oauthbearer.method".to_owned(), "oidc".to_owned());
                let (Some(id), Some(secret)) = (opt("clientId"), opt("clientSecret")) else {
                    return Err(ClientConfigError::new(
                        "sasl.jaas.config",
                        "OAuthBearerLoginModule needs the clientId and clientSecret options for the OIDC token endpoint",
                    ));
                };
                out.insert("sasl.oauthbearer.client.id".to_owned(), id);
                out.insert("sasl.oauthbearer.client.secret".to_owned(), secret);
                if let Some(scope) = opt("scope") {
                    out.insert("sasl.oauthbearer.scope".to_owned(), scope);
                }
                let extensions: Vec<String> = entry
                    .options
                    .iter()
                    .filter_map(|(k, v)| k.strip_prefix("extension_").map(|e| format!("{e}={v}")))
                    .collect();
                if !extensions.is_empty() {
                    out.insert(
                        "sasl.oauthbearer.extensions".to_owned(),
                        extensions.join(","),
                    );
                }
            } else {
                // Kafka's default handler: an unsecured JWT built from the options.
                out.insert(
                    "enable.sasl.oauthbearer.unsecure.jwt".to_owned(),
                    "true".to_owned(),
                );
                let principal = opt("unsecuredLoginStringClaim_sub").ok_or_else(|| {
                    ClientConfigError::new(
                        "sasl.jaas.config",
                        "an unsecured OAUTHBEARER login needs unsecuredLoginStringClaim_sub",
                    )
                })?;
                let mut config = vec![format!("principal={principal}")];
                if let Some(scope) = opt("unsecuredLoginListClaim_scope") {
                    // `OAuthBearerUnsecuredLoginCallbackHandler.listClaimValue`: the first
                    // character is the delimiter, empty items are dropped; librdkafka's list
                    // is comma-separated.
                    let mut chars = scope.chars();
                    let items: Vec<&str> = match chars.next() {
                        Some(delimiter) => chars
                            .as_str()
                            .split(delimiter)
                            .filter(|s| !s.is_empty())
                            .collect(),
                        None => Vec::new(),
                    };
                    if !items.is_empty() {
                        config.push(format!("scope={}", items.join(",")));
                    }
                }
                if let Some(life) = opt("unsecuredLoginLifetimeSeconds") {
                    config.push(format!("lifeSeconds={life}"));
                }
                for (key, value) in &entry.options {
                    if let Some(name) = key.strip_prefix("unsecuredLoginExtension_") {
                        config.push(format!("extension_{name}={value}"));
                    } else if key.starts_with("unsecuredLogin")
                        && !matches!(
                            key.as_str(),
                            "unsecuredLoginStringClaim_sub"
                                | "unsecuredLoginListClaim_scope"
                                | "unsecuredLoginLifetimeSeconds"
                        )
                    {
                        // librdkafka's unsecured JWT has sub, scope, iat and exp only: a claim
                        // it cannot carry is refused rather than left out of the token.
                        return Err(ClientConfigError::new(
                            "sasl.jaas.config",
                            format!(
                                "the unsecured OAUTHBEARER option {key} is not supported (unsecuredLoginStringClaim_sub, unsecuredLoginListClaim_scope, unsecuredLoginLifetimeSeconds and unsecuredLoginExtension_* are)"
                            ),
                        ));
                    }
                }
                // librdkafka splits this setting at spaces.
                if let Some(bad) = config.iter().find(|c| c.contains(char::is_whitespace)) {
                    let name = bad.split('=').next().unwrap_or_default();
                    return Err(ClientConfigError::new(
                        "sasl.jaas.config",
                        format!("the unsecured OAUTHBEARER {name} may not contain white space"),
                    ));
                }
                out.insert("sasl.oauthbearer.config".to_owned(), config.join(" "));
            }
        }
        _ => {
            if let Some(keytab) = opt("keyTab") {
                out.insert("sasl.kerberos.keytab".to_owned(), keytab);
            }
            if let Some(principal) = opt("principal") {
                out.insert("sasl.kerberos.principal".to_owned(), principal);
            }
        }
    }
    Ok(())
}

fn os_default_buffer(v: &str) -> Result<Option<String>, String> {
    let n: i64 = v.trim().parse().map_err(|_| "not an integer".to_owned())?;
    // Java's -1 is "the OS default", librdkafka's 0.
    Ok(Some(if n < 0 { 0 } else { n }.to_string()))
}

fn security_protocol(v: &str) -> Result<Option<String>, String> {
    let p = v.trim().to_ascii_uppercase();
    match p.as_str() {
        "PLAINTEXT" | "SSL" | "SASL_PLAINTEXT" | "SASL_SSL" => Ok(Some(p.to_ascii_lowercase())),
        _ => Err(format!(
            "{p} is not a security protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)"
        )),
    }
}

fn acks(v: &str) -> Result<Option<String>, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "all" | "-1" => Ok(Some("all".to_owned())),
        "0" => Ok(Some("0".to_owned())),
        "1" => Ok(Some("1".to_owned())),
        other => Err(format!(
            "String must be one of: all, -1, 0, 1 (got {other})"
        )),
    }
}

fn bytes_to_kbytes(v: &str) -> Result<Option<String>, String> {
    let bytes: i64 = v
        .trim()
        .parse()
        .map_err(|_| "not a number of bytes".to_owned())?;
    if bytes < 0 {
        return Err("must be at least 0".to_owned());
    }
    // Rounded up, so a limit never shrinks below what Java allowed; librdkafka's range is
    // 1 .. 2147483647 KiB.
    let kb = (bytes + 1023) / 1024;
    Ok(Some(kb.clamp(1, i64::from(i32::MAX)).to_string()))
}

fn compression_type(v: &str) -> Result<Option<String>, String> {
    let c = v.trim().to_ascii_lowercase();
    match c.as_str() {
        "none" | "gzip" | "snappy" | "lz4" | "zstd" => Ok(Some(c)),
        _ => Err(format!("{c} is not one of none, gzip, snappy, lz4, zstd")),
    }
}

fn lower_case(v: &str) -> Result<Option<String>, String> {
    Ok(Some(v.trim().to_ascii_lowercase()))
}

fn auto_offset_reset(v: &str) -> Result<Option<String>, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "earliest" => Ok(Some("earliest".to_owned())),
        "latest" => Ok(Some("latest".to_owned())),
        // Java throws NoOffsetForPartitionException; librdkafka reports a consumer error.
        "none" => Ok(Some("error".to_owned())),
        other => Err(format!(
            "{other} is not one of earliest, latest, none (by_duration is not supported)"
        )),
    }
}

/// Java assignor classes as librdkafka assignor names. librdkafka refuses a mix of eager and
/// cooperative assignors, which Java's default (`RangeAssignor, CooperativeStickyAssignor`,
/// meant for a later upgrade) is: the first assignor's protocol is kept.
fn assignors(v: &str) -> Result<Option<String>, String> {
    let mut names = Vec::new();
    for class in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let short = class.rsplit('.').next().unwrap_or(class);
        let name = match short {
            "RangeAssignor" | "range" => "range",
            "RoundRobinAssignor" | "roundrobin" => "roundrobin",
            "CooperativeStickyAssignor" | "cooperative-sticky" => "cooperative-sticky",
            _ => {
                return Err(format!(
                    "the assignor {class} has no librdkafka equivalent (RangeAssignor, RoundRobinAssignor and CooperativeStickyAssignor do)"
                ));
            }
        };
        names.push(name);
    }
    let Some(first) = names.first().copied() else {
        return Ok(None);
    };
    let cooperative = first == "cooperative-sticky";
    names.retain(|n| (*n == "cooperative-sticky") == cooperative);
    names.dedup();
    Ok(Some(names.join(",")))
}

/// librdkafka's partitioner that places keys as Java's does (`Utils.murmur2`, positive, modulo
/// the partition count); keyless records go to a random partition, sticky per batch.
const MURMUR2: &str = "murmur2_random";

/// `partitioner.class` and `partitioner.ignore.keys` as librdkafka's `partitioner`, as Java's
/// producer reads them: a class, when set, places every record and `ignore.keys` is unused; no
/// class is the built-in partitioner, which hashes keys unless `ignore.keys` is true. Both are
/// checked either way, as Java's `ConfigDef` checks both.
fn partitioner(merged: &Props, out: &mut Props) -> Result<(), ClientConfigError> {
    let [class_key, ignore_key] = PARTITIONER_KEYS;
    let class = match merged.get(class_key) {
        Some(v) => partitioner_class(v).map_err(|m| ClientConfigError::new(class_key, m))?,
        None => None,
    };
    let builtin = match merged.get(ignore_key) {
        Some(v) => {
            Some(partitioner_ignore_keys(v).map_err(|m| ClientConfigError::new(ignore_key, m))?)
        }
        None => None,
    };
    if let Some(p) = class.or(builtin) {
        out.insert("partitioner".to_owned(), p.to_owned());
    }
    Ok(())
}

/// The librdkafka partitioner of a `partitioner.class`; `None` when it is empty (the built-in
/// partitioner, steered by `partitioner.ignore.keys`).
fn partitioner_class(v: &str) -> Result<Option<&'static str>, String> {
    let class = v.trim();
    match class.rsplit('.').next().unwrap_or(class) {
        "" => Ok(None),
        // Deprecated in Kafka 3 (removed in 4.0): murmur2 of the key, sticky for keyless records,
        // whatever `ignore.keys` says.
        "DefaultPartitioner" => Ok(Some(MURMUR2)),
        "UniformStickyPartitioner" => Ok(Some("random")),
        _ => Err(format!(
            "the partitioner {class} has no librdkafka equivalent"
        )),
    }
}

/// The built-in partitioner: murmur2 of the key, or, with `ignore.keys`, none of it.
fn partitioner_ignore_keys(v: &str) -> Result<&'static str, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" => Ok("random"),
        "false" => Ok(MURMUR2),
        _ => Err("Expected value to be either true or false".to_owned()),
    }
}

fn endpoint_identification(v: &str) -> Result<Option<String>, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "" => Ok(Some("none".to_owned())),
        "https" => Ok(Some("https".to_owned())),
        other => Err(format!(
            "{other} is not supported (https, or empty to disable host name checking)"
        )),
    }
}

#[cfg(test)]
mod tests;
