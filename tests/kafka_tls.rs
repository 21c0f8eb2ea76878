//! The worker's Kafka clients (`connect_runtime::kafka::KafkaClients`) over TLS and SASL_SSL
//! against a real broker: the harness's private tansu behind `stunnel4`
//! (`connect_e2e::tls`), with stores made per run by `openssl` and `keytool`. The clients are
//! set up as a JVM worker configures them: the worker's top-level settings for its admin
//! client, its `producer.*`/`consumer.*` settings for the producers and consumers.
//!
//! Service-backed: runs with `CONNECT_IT=1`; needs `tansu`, `stunnel4`, `openssl`, `keytool`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connect_e2e::tls::{
    BrokerCertificate, PemAs, Pki, STORE_PASSWORD, StoreType, TlsBroker, TlsBrokerOptions,
    client_settings,
};
use connect_e2e::{BoxError, it_enabled};
use connect_runtime::kafka::{ClientProps, KafkaClients, TopicSpec};
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::FutureRecord;
use rdkafka::{Offset, TopicPartitionList};

fn skip(test: &str) -> bool {
    if it_enabled() {
        return false;
    }
    eprintln!("{test}: skipped, set CONNECT_IT=1 to run service-backed tests");
    true
}

fn props(pairs: &[(&str, &str)]) -> ClientProps {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Kafka's Java settings for TLS with `store` (the harness's), plus `security.protocol`.
fn tls(
    pki: &Pki,
    protocol: &str,
    store: StoreType,
    pem: PemAs,
    client_cert: bool,
) -> Result<ClientProps, BoxError> {
    let mut out = props(&[("security.protocol", protocol)]);
    out.extend(client_settings(pki, "", store, pem, client_cert)?);
    Ok(out)
}

/// A worker whose top-level settings (its admin client's) are `worker` plus
/// `bootstrap.servers`.
fn worker(bootstrap: &str, worker: &ClientProps) -> Result<KafkaClients, BoxError> {
    let mut base = worker.clone();
    base.insert("bootstrap.servers".into(), bootstrap.to_owned());
    Ok(KafkaClients::new(base)?)
}

/// Compressions read and written through tansu. Snappy is not here: tansu 0.6 never serves a
/// snappy batch librdkafka wrote (the consumer waits forever, no error); the mock cluster test
/// in `connect_runtime::kafka` covers snappy.
const CODECS: [&str; 4] = ["none", "gzip", "lz4", "zstd"];

/// Creates `topic` with the worker's admin client, writes records with each of `codecs`
/// through producers configured with `client` (the worker's `producer.*`) and reads them back
/// with a fresh consumer configured with `client` (its `consumer.*`).
async fn round_trip(
    clients: &KafkaClients,
    client: &ClientProps,
    topic: &str,
    codecs: &[&str],
) -> Result<(), BoxError> {
    clients
        .ensure_topic(
            topic,
            &TopicSpec {
                partitions: Some(1),
                replication_factor: Some(1),
                configs: Vec::new(),
            },
        )
        .await?;
    for codec in codecs.iter().copied() {
        let mut settings = client.clone();
        settings.extend(props(&[("compression.type", codec), ("linger.ms", "50")]));
        let producer = clients.producer(&settings)?;
        let futures: Vec<_> = (0..20)
            .map(|i| {
                let payload = format!("{codec}-{i}-{}", "x".repeat(200));
                let producer = producer.clone();
                let topic = topic.to_owned();
                async move {
                    producer
                        .send(
                            FutureRecord::<(), _>::to(&topic).payload(&payload),
                            Duration::from_secs(30),
                        )
                        .await
                        .map_err(|(e, _)| e)
                }
            })
            .collect();
        for r in futures::future::join_all(futures).await {
            r?;
        }
    }
    let errors = Errors::default();
    let mut settings = client.clone();
    settings.extend(props(&[("group.id", topic), ("fetch.max.wait.ms", "50")]));
    let consumer: BaseConsumer<Errors> = clients
        .try_consumer_config(&settings)?
        .create_with_context(errors.clone())?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)?;
    consumer.assign(&tpl)?;
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.len() < codecs.len() * 20 && Instant::now() < deadline {
        // Errors such as "all brokers down" while `localhost` resolves to ::1 first are
        // transient: librdkafka goes on to 127.0.0.1.
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                seen.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned())
            }
            Some(Err(e)) => errors.push(e.to_string()),
            None => {}
        }
    }
    for codec in codecs {
        let n = seen
            .iter()
            .filter(|s| s.starts_with(&format!("{codec}-")))
            .count();
        assert_eq!(
            n,
            20,
            "{codec} records read back; librdkafka said: {:?}",
            errors
                .lines()
                .into_iter()
                .filter(|e| !e.contains("AllBrokersDown"))
                .collect::<Vec<_>>()
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producers_and_consumers_work_over_tls_with_pem_pkcs12_and_jks_stores()
-> Result<(), BoxError> {
    if skip("producers_and_consumers_work_over_tls_with_pem_pkcs12_and_jks_stores") {
        return Ok(());
    }
    let pki = Pki::generate()?;
    let broker = TlsBroker::start(
        &pki,
        &TlsBrokerOptions {
            client_auth: true,
            ..TlsBrokerOptions::default()
        },
    )
    .await?;
    // The worker's own clients on JKS; its producers and consumers on each store type in
    // turn, inline PEM included (which would clash with the worker's `ssl.truststore.location`
    // if the top level reached them).
    let clients = worker(
        &broker.bootstrap(),
        &tls(&pki, "SSL", StoreType::Jks, PemAs::File, true)?,
    )?;
    for (name, store, pem) in [
        ("pem-inline", StoreType::Pem, PemAs::Inline),
        ("pem-file", StoreType::Pem, PemAs::File),
        ("pkcs12", StoreType::Pkcs12, PemAs::File),
        ("jks", StoreType::Jks, PemAs::File),
    ] {
        let client = tls(&pki, "SSL", store, pem, true)?;
        round_trip(&clients, &client, &format!("tls-{name}"), &CODECS).await?;
    }
    Ok(())
}

/// Records librdkafka's error callbacks, where TLS and SASL failures are reported.
#[derive(Clone, Default)]
struct Errors(Arc<Mutex<Vec<String>>>);

impl Errors {
    fn push(&self, line: String) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(line);
    }

    fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl ClientContext for Errors {
    fn error(&self, error: KafkaError, reason: &str) {
        self.push(format!("{error}: {reason}"));
    }
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        if (level as i32) <= (rdkafka::config::RDKafkaLogLevel::Warning as i32) {
            self.push(format!("{fac}: {log_message}"));
        }
    }
}
impl ConsumerContext for Errors {}

/// Connects a consumer configured with `client` (the worker's `consumer.*`) to `bootstrap`
/// and returns librdkafka's errors once metadata fails.
fn failed_connection(bootstrap: &str, client: &ClientProps) -> Result<String, BoxError> {
    let clients = worker(bootstrap, &ClientProps::new())?;
    let errors = Errors::default();
    let mut settings = client.clone();
    settings.insert("group.id".into(), "g".into());
    let consumer: BaseConsumer<Errors> = clients
        .try_consumer_config(&settings)?
        .create_with_context(errors.clone())?;
    let result = consumer.fetch_metadata(None, Duration::from_secs(5));
    assert!(result.is_err(), "metadata was fetched");
    // Error callbacks are served by poll.
    let deadline = Instant::now() + Duration::from_secs(5);
    while errors.lines().is_empty() && Instant::now() < deadline {
        consumer.poll(Duration::from_millis(100));
    }
    let text = errors.lines().join("\n");
    assert!(!text.contains(STORE_PASSWORD), "a password in: {text}");
    Ok(text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_ca_an_expired_certificate_or_a_host_name_mismatch_fails() -> Result<(), BoxError>
{
    if skip("a_foreign_ca_an_expired_certificate_or_a_host_name_mismatch_fails") {
        return Ok(());
    }
    let pki = Pki::generate()?;
    let with_cert = TlsBrokerOptions {
        client_auth: true,
        ..TlsBrokerOptions::default()
    };
    let broker = TlsBroker::start(&pki, &with_cert).await?;
    let trusted = tls(&pki, "SSL", StoreType::Jks, PemAs::File, true)?;
    let mut with_foreign = trusted.clone();
    with_foreign.insert(
        "ssl.truststore.location".into(),
        pki.path("foreign.jks").display().to_string(),
    );
    let text = failed_connection(&broker.bootstrap(), &with_foreign)?;
    assert!(text.contains("certificate verify failed"), "{text}");

    // librdkafka reports a host name mismatch as a failed verification without saying which
    // check failed.
    let text = failed_connection(&broker.bootstrap_by_ip(), &trusted)?;
    assert!(text.contains("certificate verify failed"), "{text}");

    // An expired broker certificate fails verification too.
    let expired = TlsBroker::start(
        &pki,
        &TlsBrokerOptions {
            certificate: BrokerCertificate::Expired,
            ..with_cert.clone()
        },
    )
    .await?;
    let text = failed_connection(&expired.bootstrap(), &trusted)?;
    assert!(text.contains("certificate verify failed"), "{text}");

    // An empty ssl.endpoint.identification.algorithm disables the host name check, as in Java.
    let mut unchecked = trusted.clone();
    unchecked.insert(
        "ssl.endpoint.identification.algorithm".into(),
        String::new(),
    );
    let clients = worker(&broker.bootstrap_by_ip(), &unchecked)?;
    round_trip(&clients, &unchecked, "tls-no-hostname-check", &["none"]).await
}

fn sasl_ssl(pki: &Pki, mechanism: &str, jaas: &str) -> Result<ClientProps, BoxError> {
    let mut out = tls(pki, "SASL_SSL", StoreType::Pkcs12, PemAs::File, true)?;
    out.extend(props(&[
        ("sasl.mechanism", mechanism),
        ("sasl.jaas.config", jaas),
    ]));
    Ok(out)
}

const SCRAM: &str = "org.apache.kafka.common.security.scram.ScramLoginModule";

/// tansu 0.6's `--authentication` offers SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER (its
/// handshake lists them); PLAIN is not offered, and tansu closes the connection on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_ssl_with_scram_works_and_a_wrong_password_or_an_unoffered_mechanism_fails()
-> Result<(), BoxError> {
    if skip("sasl_ssl_with_scram_works_and_a_wrong_password_or_an_unoffered_mechanism_fails") {
        return Ok(());
    }
    let pki = Pki::generate()?;
    let broker = TlsBroker::start(
        &pki,
        &TlsBrokerOptions {
            client_auth: true,
            scram: true,
            ..TlsBrokerOptions::default()
        },
    )
    .await?;
    broker.add_scram_user("alice", "alice-secret-pw")?;
    for mechanism in ["SCRAM-SHA-256", "SCRAM-SHA-512"] {
        let jaas = format!(r#"{SCRAM} required username="alice" password="alice-secret-pw";"#);
        let client = sasl_ssl(&pki, mechanism, &jaas)?;
        let clients = worker(&broker.bootstrap(), &client)?;
        round_trip(&clients, &client, &format!("sasl-{mechanism}"), &["zstd"]).await?;
    }

    let wrong = format!(r#"{SCRAM} required username="alice" password="not-her-password";"#);
    let text = failed_connection(
        &broker.bootstrap(),
        &sasl_ssl(&pki, "SCRAM-SHA-256", &wrong)?,
    )?;
    assert!(text.contains("SASL SCRAM authentication failed"), "{text}");
    assert!(!text.contains("not-her-password"), "{text}");

    let plain = r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret-pw";"#;
    let text = failed_connection(&broker.bootstrap(), &sasl_ssl(&pki, "PLAIN", plain)?)?;
    assert!(
        text.contains("SASL PLAIN mechanism handshake failed"),
        "{text}"
    );
    assert!(!text.contains("alice-secret-pw"), "{text}");
    Ok(())
}
