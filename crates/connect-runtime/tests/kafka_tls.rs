//! The worker's Kafka clients over TLS and SASL_SSL against a real broker: a private tansu
//! (SQLite storage in a temp dir, free ports) behind `stunnel4`, which terminates TLS and
//! requires a client certificate; tansu advertises the stunnel port, so every connection is
//! TLS. Stores are generated per run with `openssl` and `keytool`. Service-backed: runs with
//! `CONNECT_IT=1` only.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connect_runtime::kafka::{ClientProps, KafkaClients, TopicSpec};
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::FutureRecord;
use rdkafka::{Offset, TopicPartitionList};

fn it_enabled() -> bool {
    if std::env::var("CONNECT_IT").is_ok_and(|v| v == "1") {
        return true;
    }
    eprintln!("skipped, set CONNECT_IT=1 to run service-backed tests");
    false
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A child process killed when the test ends.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        // Already exited is fine: nothing is left to reap then.
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn wait_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// CA, broker and client certificates, the client's stores in every type, and a foreign CA.
struct Pki {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

const STORE_PW: &str = "store-secret-1";

impl Pki {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let pki = Self { _tmp: tmp, dir };
        let p = |f: &str| pki.path(f);
        for ca in ["ca", "foreign-ca"] {
            run(Command::new("openssl").args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                &format!("/CN={ca}"),
                "-keyout",
                &p(&format!("{ca}.key")),
                "-out",
                &p(&format!("{ca}.pem")),
            ]));
        }
        // The broker's certificate names `localhost` only, so connecting by IP is a mismatch.
        std::fs::write(pki.dir.join("san.ext"), "subjectAltName=DNS:localhost\n").unwrap();
        for (name, cn, ext) in [("broker", "localhost", true), ("client", "client", false)] {
            run(Command::new("openssl").args([
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                &format!("/CN={cn}"),
                "-keyout",
                &p(&format!("{name}.key")),
                "-out",
                &p(&format!("{name}.csr")),
            ]));
            let mut cmd = Command::new("openssl");
            cmd.args([
                "x509",
                "-req",
                "-days",
                "2",
                "-in",
                &p(&format!("{name}.csr")),
                "-CA",
                &p("ca.pem"),
                "-CAkey",
                &p("ca.key"),
                "-CAcreateserial",
                "-out",
                &p(&format!("{name}.pem")),
            ]);
            if ext {
                cmd.args(["-extfile", &p("san.ext")]);
            }
            run(&mut cmd);
        }
        run(Command::new("openssl").args([
            "pkcs12",
            "-export",
            "-in",
            &p("client.pem"),
            "-inkey",
            &p("client.key"),
            "-name",
            "client",
            "-out",
            &p("client.p12"),
            "-passout",
            &format!("pass:{STORE_PW}"),
        ]));
        run(Command::new("keytool").args([
            "-importkeystore",
            "-noprompt",
            "-srckeystore",
            &p("client.p12"),
            "-srcstoretype",
            "PKCS12",
            "-srcstorepass",
            STORE_PW,
            "-destkeystore",
            &p("client.jks"),
            "-deststoretype",
            "JKS",
            "-deststorepass",
            STORE_PW,
        ]));
        for (ca, file, ty) in [
            ("ca", "trust.jks", "JKS"),
            ("ca", "trust.p12", "PKCS12"),
            ("foreign-ca", "foreign.jks", "JKS"),
        ] {
            run(Command::new("keytool").args([
                "-importcert",
                "-noprompt",
                "-alias",
                "ca",
                "-file",
                &p(&format!("{ca}.pem")),
                "-keystore",
                &p(file),
                "-storetype",
                ty,
                "-storepass",
                STORE_PW,
            ]));
        }
        pki
    }

    fn path(&self, f: &str) -> String {
        self.dir.join(f).display().to_string()
    }

    /// `broker-expired.pem`: the broker's key and name, signed by the CA, valid only in 2020.
    fn expired_broker_cert(&self) -> String {
        use openssl::asn1::Asn1Time;
        use openssl::hash::MessageDigest;
        use openssl::pkey::PKey;
        use openssl::x509::{X509, X509Builder};
        let read = |f: &str| std::fs::read(self.dir.join(f)).unwrap();
        let ca = X509::from_pem(&read("ca.pem")).unwrap();
        let ca_key = PKey::private_key_from_pem(&read("ca.key")).unwrap();
        let current = X509::from_pem(&read("broker.pem")).unwrap();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_serial_number(current.serial_number()).unwrap();
        b.set_subject_name(current.subject_name()).unwrap();
        b.set_issuer_name(ca.subject_name()).unwrap();
        b.set_pubkey(&current.public_key().unwrap()).unwrap();
        b.set_not_before(&Asn1Time::from_str("20200101000000Z").unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::from_str("20200102000000Z").unwrap())
            .unwrap();
        let san = openssl::x509::extension::SubjectAlternativeName::new()
            .dns("localhost")
            .build(&b.x509v3_context(Some(&ca), None))
            .unwrap();
        b.append_extension(san).unwrap();
        b.sign(&ca_key, MessageDigest::sha256()).unwrap();
        std::fs::write(
            self.dir.join("broker-expired.pem"),
            b.build().to_pem().unwrap(),
        )
        .unwrap();
        "broker-expired.pem".to_owned()
    }
}

/// tansu behind stunnel; `bootstrap()` is the TLS port.
struct TlsBroker {
    _tansu: Proc,
    _stunnel: Proc,
    tls_port: u16,
    _dir: tempfile::TempDir,
}

impl TlsBroker {
    fn start(pki: &Pki, authentication: bool) -> Self {
        Self::start_with_cert(pki, authentication, "broker.pem")
    }

    fn start_with_cert(pki: &Pki, authentication: bool, cert: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let plain = free_port();
        let tls_port = free_port();
        let mut cmd = Command::new("tansu");
        cmd.arg("broker")
            .args(["--listener-url", &format!("tcp://127.0.0.1:{plain}")])
            .args([
                "--advertised-listener-url",
                &format!("tcp://localhost:{tls_port}"),
            ])
            .args([
                "--storage-engine",
                &format!("sqlite:///{}", dir.path().join("tansu.db").display()),
            ])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if authentication {
            cmd.arg("--authentication");
        }
        let tansu = Proc(cmd.spawn().expect("tansu runs (scripts/stack.sh install)"));
        wait_port(plain);
        let conf = dir.path().join("stunnel.conf");
        std::fs::write(
            &conf,
            format!(
                "foreground = yes\npid =\n[kafka]\naccept = 127.0.0.1:{tls_port}\nconnect = 127.0.0.1:{plain}\n\
                 cert = {}\nkey = {}\nCAfile = {}\nverifyChain = yes\n",
                pki.path(cert),
                pki.path("broker.key"),
                pki.path("ca.pem"),
            ),
        )
        .unwrap();
        let stunnel = Proc(
            Command::new("stunnel4")
                .arg(&conf)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("stunnel4 runs (apt-get install stunnel4)"),
        );
        wait_port(tls_port);
        Self {
            _tansu: tansu,
            _stunnel: stunnel,
            tls_port,
            _dir: dir,
        }
    }
}

fn props(pairs: &[(&str, &str)]) -> ClientProps {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Compressions read and written through tansu. Snappy is not here: tansu 0.6 never serves a
/// snappy batch librdkafka wrote (the consumer waits forever, no error); the mock cluster test
/// in `kafka.rs` covers snappy.
const CODECS: [&str; 4] = ["none", "gzip", "lz4", "zstd"];

/// Writes records with each of `codecs` and reads them back with a fresh consumer.
async fn round_trip(clients: &KafkaClients, topic: &str, codecs: &[&str]) {
    clients
        .ensure_topic(
            topic,
            &TopicSpec {
                partitions: Some(1),
                replication_factor: Some(1),
                configs: Vec::new(),
            },
        )
        .await
        .unwrap();
    for codec in codecs.iter().copied() {
        let producer = clients
            .producer(&props(&[("compression.type", codec), ("linger.ms", "50")]))
            .unwrap();
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
            r.unwrap();
        }
    }
    let errors = Errors::default();
    let consumer: BaseConsumer<Errors> = clients
        .try_consumer_config(&props(&[("group.id", topic), ("fetch.max.wait.ms", "50")]))
        .unwrap()
        .create_with_context(errors.clone())
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&tpl).unwrap();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.len() < codecs.len() * 20 && Instant::now() < deadline {
        // Errors such as "all brokers down" while `localhost` resolves to ::1 first are
        // transient: librdkafka goes on to 127.0.0.1.
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => seen.push(String::from_utf8(m.payload().unwrap().to_vec()).unwrap()),
            Some(Err(e)) => errors.0.lock().unwrap().push(e.to_string()),
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
                .0
                .lock()
                .unwrap()
                .iter()
                .filter(|e| !e.contains("AllBrokersDown"))
                .collect::<Vec<_>>()
        );
    }
}

fn ssl_base(broker: &TlsBroker, extra: &[(&str, &str)]) -> ClientProps {
    let mut p = props(&[
        (
            "bootstrap.servers",
            &format!("localhost:{}", broker.tls_port),
        ),
        ("security.protocol", "SSL"),
    ]);
    p.extend(props(extra));
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producers_and_consumers_work_over_tls_with_pem_pkcs12_and_jks_stores() {
    if !it_enabled() {
        return;
    }
    let pki = Pki::new();
    let broker = TlsBroker::start(&pki, false);
    let (ca, chain, key) = (
        std::fs::read_to_string(pki.dir.join("ca.pem")).unwrap(),
        std::fs::read_to_string(pki.dir.join("client.pem")).unwrap(),
        std::fs::read_to_string(pki.dir.join("client.key")).unwrap(),
    );
    let (jks_trust, p12_trust, jks_key, p12_key) = (
        pki.path("trust.jks"),
        pki.path("trust.p12"),
        pki.path("client.jks"),
        pki.path("client.p12"),
    );
    let variants: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "pem",
            vec![
                ("ssl.truststore.type", "PEM"),
                ("ssl.truststore.certificates", &ca),
                ("ssl.keystore.type", "PEM"),
                ("ssl.keystore.certificate.chain", &chain),
                ("ssl.keystore.key", &key),
            ],
        ),
        (
            "pkcs12",
            vec![
                ("ssl.truststore.type", "PKCS12"),
                ("ssl.truststore.location", &p12_trust),
                ("ssl.truststore.password", STORE_PW),
                ("ssl.keystore.type", "PKCS12"),
                ("ssl.keystore.location", &p12_key),
                ("ssl.keystore.password", STORE_PW),
            ],
        ),
        (
            "jks",
            vec![
                ("ssl.truststore.location", &jks_trust),
                ("ssl.truststore.password", STORE_PW),
                ("ssl.keystore.location", &jks_key),
                ("ssl.keystore.password", STORE_PW),
                ("ssl.key.password", STORE_PW),
            ],
        ),
    ];
    for (name, extra) in variants {
        let clients = KafkaClients::new(ssl_base(&broker, &extra)).unwrap();
        round_trip(&clients, &format!("tls-{name}"), &CODECS).await;
    }
}

/// Records librdkafka's error callbacks, where TLS and SASL failures are reported.
#[derive(Clone, Default)]
struct Errors(Arc<Mutex<Vec<String>>>);

impl ClientContext for Errors {
    fn error(&self, error: KafkaError, reason: &str) {
        self.0.lock().unwrap().push(format!("{error}: {reason}"));
    }
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        if (level as i32) <= (rdkafka::config::RDKafkaLogLevel::Warning as i32) {
            self.0.lock().unwrap().push(format!("{fac}: {log_message}"));
        }
    }
}
impl ConsumerContext for Errors {}

/// Connects a consumer with `base` and returns librdkafka's errors once metadata fails.
fn failed_connection(base: ClientProps) -> String {
    let clients = KafkaClients::new(base).unwrap();
    let errors = Errors::default();
    let consumer: BaseConsumer<Errors> = clients
        .try_consumer_config(&props(&[("group.id", "g")]))
        .unwrap()
        .create_with_context(errors.clone())
        .unwrap();
    let result = consumer.fetch_metadata(None, Duration::from_secs(5));
    assert!(result.is_err(), "metadata was fetched");
    // Error callbacks are served by poll.
    let deadline = Instant::now() + Duration::from_secs(5);
    while errors.0.lock().unwrap().is_empty() && Instant::now() < deadline {
        consumer.poll(Duration::from_millis(100));
    }
    let text = errors.0.lock().unwrap().join("\n");
    assert!(!text.contains(STORE_PW), "a password in: {text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_ca_an_expired_certificate_or_a_host_name_mismatch_fails() {
    if !it_enabled() {
        return;
    }
    let pki = Pki::new();
    let broker = TlsBroker::start(&pki, false);
    let (foreign, trust, key) = (
        pki.path("foreign.jks"),
        pki.path("trust.jks"),
        pki.path("client.jks"),
    );
    let keystore = [
        ("ssl.keystore.location", key.as_str()),
        ("ssl.keystore.password", STORE_PW),
    ];
    let mut with_foreign = vec![
        ("ssl.truststore.location", foreign.as_str()),
        ("ssl.truststore.password", STORE_PW),
    ];
    with_foreign.extend(keystore);
    let text = failed_connection(ssl_base(&broker, &with_foreign));
    assert!(text.contains("certificate verify failed"), "{text}");

    let mut by_ip = ssl_base(
        &broker,
        &[
            ("ssl.truststore.location", trust.as_str()),
            ("ssl.truststore.password", STORE_PW),
        ],
    );
    by_ip.extend(props(&keystore));
    by_ip.insert(
        "bootstrap.servers".into(),
        format!("127.0.0.1:{}", broker.tls_port),
    );
    let text = failed_connection(by_ip.clone());
    assert!(
        // librdkafka reports a host name mismatch as a failed verification without saying which
        // check failed.
        text.contains("certificate verify failed"),
        "{text}"
    );

    // An expired broker certificate fails verification too.
    let expired = TlsBroker::start_with_cert(&pki, false, &pki.expired_broker_cert());
    let mut to_expired = ssl_base(
        &expired,
        &[
            ("ssl.truststore.location", trust.as_str()),
            ("ssl.truststore.password", STORE_PW),
        ],
    );
    to_expired.extend(props(&keystore));
    let text = failed_connection(to_expired);
    assert!(text.contains("certificate verify failed"), "{text}");

    // An empty ssl.endpoint.identification.algorithm disables the host name check, as in Java.
    by_ip.insert(
        "ssl.endpoint.identification.algorithm".into(),
        String::new(),
    );
    let clients = KafkaClients::new(by_ip).unwrap();
    round_trip(&clients, "tls-no-hostname-check", &["none"]).await;
}

/// Adds a SCRAM user to tansu's SQLite store, as `kafka-configs --alter --add-config
/// 'SCRAM-SHA-256=[password=…]'` would through AlterUserScramCredentials (which rdkafka does
/// not expose): RFC 5802's salted password, stored key and server key.
fn add_scram_user(broker: &TlsBroker, user: &str, password: &str) {
    let script = r#"
import hashlib, hmac, os, sqlite3, sys
db, user, password = sys.argv[1:4]
con = sqlite3.connect(db, timeout=30)
for mechanism, h in ((1, "sha256"), (2, "sha512")):
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac(h, password.encode(), salt, 4096)
    client_key = hmac.new(salted, b"Client Key", h).digest()
    stored_key = hashlib.new(h, client_key).digest()
    server_key = hmac.new(salted, b"Server Key", h).digest()
    con.execute("insert into scram_credential (cluster, username, mechanism, salt, iterations, stored_key, server_key) select id, ?, ?, ?, 4096, ?, ? from cluster", (user, mechanism, salt, stored_key, server_key))
con.commit()
assert con.execute("select count(*) from scram_credential").fetchone()[0] >= 2, "no cluster row"
"#;
    run(Command::new("python3")
        .args(["-c", script])
        .arg(broker._dir.path().join("tansu.db"))
        .args([user, password]));
}

fn sasl_ssl(pki: &Pki, broker: &TlsBroker, mechanism: &str, jaas: &str) -> ClientProps {
    let mut base = ssl_base(
        broker,
        &[
            ("security.protocol", "SASL_SSL"),
            ("ssl.truststore.type", "PKCS12"),
            ("ssl.truststore.location", &pki.path("trust.p12")),
            ("ssl.truststore.password", STORE_PW),
            ("ssl.keystore.type", "PKCS12"),
            ("ssl.keystore.location", &pki.path("client.p12")),
            ("ssl.keystore.password", STORE_PW),
            ("sasl.mechanism", mechanism),
        ],
    );
    base.insert("sasl.jaas.config".into(), jaas.into());
    base
}

const SCRAM: &str = "org.apache.kafka.common.security.scram.ScramLoginModule";

/// tansu 0.6's `--authentication` offers SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER (its
/// handshake lists them); PLAIN is not offered, and tansu closes the connection on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_ssl_with_scram_works_and_a_wrong_password_or_an_unoffered_mechanism_fails() {
    if !it_enabled() {
        return;
    }
    let pki = Pki::new();
    let broker = TlsBroker::start(&pki, true);
    add_scram_user(&broker, "alice", "alice-secret-pw");
    for mechanism in ["SCRAM-SHA-256", "SCRAM-SHA-512"] {
        let jaas = format!(r#"{SCRAM} required username="alice" password="alice-secret-pw";"#);
        let clients = KafkaClients::new(sasl_ssl(&pki, &broker, mechanism, &jaas)).unwrap();
        round_trip(&clients, &format!("sasl-{mechanism}"), &["zstd"]).await;
    }

    let wrong = format!(r#"{SCRAM} required username="alice" password="not-her-password";"#);
    let text = failed_connection(sasl_ssl(&pki, &broker, "SCRAM-SHA-256", &wrong));
    assert!(text.contains("SASL SCRAM authentication failed"), "{text}");
    assert!(!text.contains("not-her-password"), "{text}");

    let plain = r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret-pw";"#;
    let text = failed_connection(sasl_ssl(&pki, &broker, "PLAIN", plain));
    assert!(
        text.contains("SASL PLAIN mechanism handshake failed"),
        "{text}"
    );
    assert!(!text.contains("alice-secret-pw"), "{text}");
}
