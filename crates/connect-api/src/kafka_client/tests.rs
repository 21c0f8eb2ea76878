use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn tr(pairs: &[(&str, &str)], kind: ClientKind) -> Result<Translated, ClientConfigError> {
    translate(&[&props(pairs)], kind)
}

#[test]
fn renamed_producer_keys_get_librdkafka_names_and_units() {
    let t = tr(
        &[
            ("max.request.size", "2097152"),
            ("buffer.memory", "33554433"),
            ("linger.ms", "20"),
            ("batch.size", "65536"),
            ("acks", "-1"),
            ("enable.idempotence", "true"),
            ("compression.type", "ZSTD"),
            ("compression.zstd.level", "7"),
            ("compression.gzip.level", "3"),
            ("retries", "5"),
            ("delivery.timeout.ms", "120000"),
            ("request.timeout.ms", "15000"),
            ("send.buffer.bytes", "-1"),
            ("client.id", "c1"),
            (
                "partitioner.class",
                "org.apache.kafka.clients.producer.internals.DefaultPartitioner",
            ),
        ],
        ClientKind::Producer,
    )
    .unwrap();
    let expected = props(&[
        ("message.max.bytes", "2097152"),
        // 33554433 bytes is 32768 KiB and one byte: rounded up.
        ("queue.buffering.max.kbytes", "32769"),
        ("queue.buffering.max.ms", "20"),
        ("batch.size", "65536"),
        ("request.required.acks", "all"),
        ("enable.idempotence", "true"),
        ("compression.type", "zstd"),
        ("compression.level", "7"),
        ("message.send.max.retries", "5"),
        ("message.timeout.ms", "120000"),
        ("request.timeout.ms", "15000"),
        ("socket.send.buffer.bytes", "0"),
        ("client.id", "c1"),
        ("partitioner", "murmur2_random"),
    ]);
    assert_eq!(t.props, expected);
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
}

#[test]
fn consumer_keys_are_renamed_and_assignor_classes_become_librdkafka_names() {
    let t = tr(
        &[
            ("fetch.max.wait.ms", "250"),
            ("max.partition.fetch.bytes", "2048"),
            ("request.timeout.ms", "40000"),
            ("auto.offset.reset", "none"),
            ("isolation.level", "READ_COMMITTED"),
            ("session.timeout.ms", "10000"),
            ("heartbeat.interval.ms", "3000"),
            ("max.poll.interval.ms", "60000"),
            (
                "partition.assignment.strategy",
                "org.apache.kafka.clients.consumer.RangeAssignor, org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
            ),
        ],
        ClientKind::Consumer,
    )
    .unwrap();
    let expected = props(&[
        ("fetch.wait.max.ms", "250"),
        ("fetch.message.max.bytes", "2048"),
        ("socket.timeout.ms", "40000"),
        ("auto.offset.reset", "error"),
        ("isolation.level", "read_committed"),
        ("session.timeout.ms", "10000"),
        ("heartbeat.interval.ms", "3000"),
        ("max.poll.interval.ms", "60000"),
        // Java's default list mixes eager and cooperative, which librdkafka refuses.
        ("partition.assignment.strategy", "range"),
    ]);
    assert_eq!(t.props, expected);
}

#[test]
fn a_later_layer_overrides_an_earlier_one_across_java_and_librdkafka_spellings() {
    let defaults = props(&[("linger.ms", "5"), ("acks", "all")]);
    let overrides = props(&[
        ("queue.buffering.max.ms", "50"),
        ("request.required.acks", "1"),
    ]);
    let t = translate(&[&defaults, &overrides], ClientKind::Producer).unwrap();
    assert_eq!(t.props["queue.buffering.max.ms"], "50");
    assert_eq!(t.props["request.required.acks"], "1");
    // The two settings and the producer's Java defaults `buffer.memory` and the partitioner
    // (JAVA_DEFAULTS).
    assert_eq!(t.props.len(), 4);
    let t = translate(&[&overrides, &defaults], ClientKind::Producer).unwrap();
    assert_eq!(t.props["queue.buffering.max.ms"], "5");
    assert_eq!(t.props["request.required.acks"], "all");
}

#[test]
fn a_producer_without_buffer_memory_gets_the_java_producers_32_mib_bound() {
    // librdkafka's own default is 1 GiB (1048576 KiB); Java's buffer.memory is 33554432 bytes.
    let t = tr(&[("client.id", "c1")], ClientKind::Producer).unwrap();
    assert_eq!(t.props["queue.buffering.max.kbytes"], "32768");
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    let t = translate(&[], ClientKind::Producer).unwrap();
    assert_eq!(
        t.props,
        props(&[
            ("queue.buffering.max.kbytes", "32768"),
            ("partitioner", "murmur2_random"),
        ])
    );
}

#[test]
fn a_producer_places_keys_with_javas_murmur2_unless_told_otherwise() {
    // Java's producer without partitioner settings, or with partitioner.ignore.keys=false.
    for given in [vec![], vec![("partitioner.ignore.keys", "false")]] {
        let t = tr(&given, ClientKind::Producer).unwrap();
        assert_eq!(t.props["partitioner"], "murmur2_random", "{given:?}");
    }
    // Each way of choosing another one, under a Java or a librdkafka key, replaces it.
    for (given, expected) in [
        (("partitioner.ignore.keys", "true"), "random"),
        (
            (
                "partitioner.class",
                "org.apache.kafka.clients.producer.UniformStickyPartitioner",
            ),
            "random",
        ),
        (("partitioner", "consistent_random"), "consistent_random"),
    ] {
        let t = tr(&[given], ClientKind::Producer).unwrap();
        assert_eq!(t.props["partitioner"], expected, "{given:?}");
    }
    for kind in [ClientKind::Consumer, ClientKind::Admin] {
        let t = translate(&[], kind).unwrap();
        assert!(!t.props.contains_key("partitioner"), "{kind:?}");
    }
}

#[test]
fn a_partitioner_class_decides_over_ignore_keys_in_any_layer_as_in_javas_producer() {
    const STICKY: &str = "org.apache.kafka.clients.producer.UniformStickyPartitioner";
    // Java uses the class and reads ignore.keys only for its built-in partitioner, whichever
    // layer (worker, connector override) gives which.
    let class = props(&[("partitioner.class", STICKY)]);
    let keys = props(&[("partitioner.ignore.keys", "false")]);
    let both = props(&[
        ("partitioner.class", STICKY),
        ("partitioner.ignore.keys", "false"),
    ]);
    for layers in [vec![&both], vec![&class, &keys], vec![&keys, &class]] {
        let t = translate(&layers, ClientKind::Producer).unwrap();
        assert_eq!(t.props["partitioner"], "random", "{layers:?}");
    }
    // An empty class is the built-in partitioner, so ignore.keys steers it.
    let t = tr(
        &[
            ("partitioner.class", ""),
            ("partitioner.ignore.keys", "true"),
        ],
        ClientKind::Producer,
    )
    .unwrap();
    assert_eq!(t.props["partitioner"], "random");
    // Java checks ignore.keys even when a class makes it unused.
    let e = tr(
        &[
            ("partitioner.class", STICKY),
            ("partitioner.ignore.keys", "maybe"),
        ],
        ClientKind::Producer,
    )
    .unwrap_err();
    assert_eq!(e.key, "partitioner.ignore.keys");
    // librdkafka's own key and the Java keys still replace each other across layers.
    let rdkafka = props(&[("partitioner", "consistent_random")]);
    let t = translate(&[&both, &rdkafka], ClientKind::Producer).unwrap();
    assert_eq!(t.props["partitioner"], "consistent_random");
    let t = translate(&[&rdkafka, &keys], ClientKind::Producer).unwrap();
    assert_eq!(t.props["partitioner"], "murmur2_random");
}

#[test]
fn a_users_producer_buffer_bound_wins_over_the_java_default_under_either_spelling() {
    let t = tr(&[("buffer.memory", "1048576")], ClientKind::Producer).unwrap();
    assert_eq!(t.props["queue.buffering.max.kbytes"], "1024");
    assert!(!t.props.contains_key("buffer.memory"));
    let t = tr(
        &[("queue.buffering.max.kbytes", "1048576")],
        ClientKind::Producer,
    )
    .unwrap();
    assert_eq!(t.props["queue.buffering.max.kbytes"], "1048576");
    // The worker's producer.* in one layer, a connector's producer.override.* in a later one.
    let worker = props(&[("buffer.memory", "67108864")]);
    let connector = props(&[("queue.buffering.max.kbytes", "4096")]);
    let t = translate(&[&worker, &connector], ClientKind::Producer).unwrap();
    assert_eq!(t.props["queue.buffering.max.kbytes"], "4096");
    let t = translate(&[&connector, &worker], ClientKind::Producer).unwrap();
    assert_eq!(t.props["queue.buffering.max.kbytes"], "65536");
}

#[test]
fn consumers_and_admin_clients_get_no_producer_buffer_bound() {
    for kind in [ClientKind::Consumer, ClientKind::Admin] {
        let t = tr(&[("client.id", "c1")], kind).unwrap();
        assert_eq!(t.props, props(&[("client.id", "c1")]), "{kind:?}");
        assert!(t.warnings.is_empty(), "{kind:?}: {:?}", t.warnings);
    }
}

#[test]
fn a_buffer_memory_librdkafka_cannot_take_is_refused_as_before() {
    let e = tr(&[("buffer.memory", "-1")], ClientKind::Producer).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid Kafka client setting buffer.memory: must be at least 0"
    );
    let e = tr(&[("buffer.memory", "32MB")], ClientKind::Producer).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid Kafka client setting buffer.memory: not a number of bytes"
    );
}

#[test]
fn librdkafka_only_keys_pass_unchanged_and_other_kinds_keys_are_dropped_with_a_warning() {
    let t = tr(
        &[
            ("queue.buffering.max.messages", "1000"),
            ("group.id", "g"),
            (
                "key.serializer",
                "org.apache.kafka.common.serialization.ByteArraySerializer",
            ),
            ("metric.reporters", "com.example.Reporter"),
        ],
        ClientKind::Producer,
    )
    .unwrap();
    assert_eq!(
        t.props,
        props(&[
            ("queue.buffering.max.messages", "1000"),
            ("queue.buffering.max.kbytes", "32768"),
            ("partitioner", "murmur2_random"),
        ])
    );
    assert_eq!(t.warnings.len(), 3, "{:?}", t.warnings);
    assert!(t.warnings.iter().any(|w| w.contains("'group.id'")));
    assert!(t.warnings.iter().any(|w| w.contains("'metric.reporters'")));
}

#[test]
fn a_warning_is_returned_once_per_process() {
    let t = tr(&[("metrics.num.samples", "3")], ClientKind::Admin).unwrap();
    let first = t.new_warnings();
    assert_eq!(first.len(), 1);
    assert!(t.new_warnings().is_empty());
}

#[test]
fn refused_keys_give_an_error_naming_the_key() {
    for (key, value, kind) in [
        ("transactional.id", "tx", ClientKind::Producer),
        ("interceptor.classes", "com.example.I", ClientKind::Consumer),
        (
            "ssl.cipher.suites",
            "TLS_AES_128_GCM_SHA256",
            ClientKind::Admin,
        ),
        (
            "sasl.login.class",
            "com.example.Login",
            ClientKind::Producer,
        ),
        (
            "partition.assignment.strategy",
            "org.apache.kafka.clients.consumer.StickyAssignor",
            ClientKind::Consumer,
        ),
        (
            "auto.offset.reset",
            "by_duration:PT1H",
            ClientKind::Consumer,
        ),
        ("security.protocol", "TLS", ClientKind::Producer),
        ("acks", "2", ClientKind::Producer),
    ] {
        let err = tr(&[(key, value)], kind).unwrap_err();
        assert_eq!(err.key, key);
        assert!(err.to_string().contains(key), "{err}");
    }
    // An empty interceptor list is Java's default and harmless.
    assert!(tr(&[("interceptor.classes", "")], ClientKind::Producer).is_ok());
}

#[test]
fn every_refused_or_ignored_key_has_a_reason_and_no_key_is_listed_twice_for_a_kind() {
    for j in JAVA_KEYS {
        if let Rule::Ignore(why) | Rule::Refuse(why) = j.rule {
            assert!(!why.is_empty(), "{}", j.name);
        }
        for kind in [
            ClientKind::Producer,
            ClientKind::Consumer,
            ClientKind::Admin,
        ] {
            let n = JAVA_KEYS
                .iter()
                .filter(|o| o.name == j.name && o.applies_to(kind))
                .count();
            assert!(n <= 1, "{} is listed {n} times", j.name);
        }
    }
}

#[test]
fn a_plain_jaas_config_becomes_sasl_username_and_password() {
    let t = tr(
        &[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "scram-sha-512"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="svc" password="p@ss word";"#,
            ),
            ("ssl.endpoint.identification.algorithm", ""),
        ],
        ClientKind::Admin,
    )
    .unwrap();
    assert_eq!(
        t.props,
        props(&[
            ("security.protocol", "sasl_ssl"),
            ("sasl.mechanisms", "SCRAM-SHA-512"),
            ("sasl.username", "svc"),
            ("sasl.password", "p@ss word"),
            ("ssl.endpoint.identification.algorithm", "none"),
        ])
    );
    assert!(!format!("{t:?}").contains("p@ss word"));
}

#[test]
fn an_oauthbearer_jaas_config_with_a_token_endpoint_uses_librdkafkas_oidc() {
    let t = tr(
        &[
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.oauthbearer.token.endpoint.url", "https://idp/token"),
            (
                "sasl.login.callback.handler.class",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
            ),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId='app' clientSecret='shh' scope='kafka' extension_logicalCluster='lkc-1';",
            ),
        ],
        ClientKind::Producer,
    )
    .unwrap();
    assert_eq!(t.props["sasl.oauthbearer.method"], "oidc");
    assert_eq!(
        t.props["sasl.oauthbearer.token.endpoint.url"],
        "https://idp/token"
    );
    assert_eq!(t.props["sasl.oauthbearer.client.id"], "app");
    assert_eq!(t.props["sasl.oauthbearer.client.secret"], "shh");
    assert_eq!(t.props["sasl.oauthbearer.scope"], "kafka");
    assert_eq!(
        t.props["sasl.oauthbearer.extensions"],
        "logicalCluster=lkc-1"
    );
}

#[test]
fn an_unsecured_oauthbearer_login_uses_librdkafkas_unsecured_jwt() {
    let t = tr(
        &[
            ("sasl.mechanism", "OAUTHBEARER"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"alice\";",
            ),
        ],
        ClientKind::Consumer,
    )
    .unwrap();
    assert_eq!(t.props["enable.sasl.oauthbearer.unsecure.jwt"], "true");
    assert_eq!(t.props["sasl.oauthbearer.config"], "principal=alice");
}

#[test]
fn an_unsecured_login_carries_its_scope_list_and_extensions_and_refuses_claims_librdkafka_lacks() {
    let jaas = |options: &str| {
        format!(
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"alice\" {options};"
        )
    };
    let t = tr(
        &[
            ("sasl.mechanism", "OAUTHBEARER"),
            (
                "sasl.jaas.config",
                &jaas(
                    "unsecuredLoginListClaim_scope=\"|read||write\" unsecuredLoginLifetimeSeconds=\"600\" unsecuredLoginExtension_traceId=\"t1\"",
                ),
            ),
        ],
        ClientKind::Consumer,
    )
    .unwrap();
    assert_eq!(
        t.props["sasl.oauthbearer.config"],
        "principal=alice scope=read,write lifeSeconds=600 extension_traceId=t1"
    );
    for option in [
        "unsecuredLoginNumberClaim_level=\"3\"",
        "unsecuredLoginStringClaim_team=\"x\"",
        "unsecuredLoginPrincipalClaimName=\"user\"",
    ] {
        let err = tr(
            &[
                ("sasl.mechanism", "OAUTHBEARER"),
                ("sasl.jaas.config", &jaas(option)),
            ],
            ClientKind::Consumer,
        )
        .unwrap_err();
        let name = option.split('=').next().unwrap();
        assert_eq!(err.key, "sasl.jaas.config");
        assert!(err.message.contains(name), "{err}");
    }
}

#[test]
fn a_bad_jaas_string_or_a_module_of_another_mechanism_is_refused_without_the_password() {
    let bad = tr(
        &[
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"topsecret\"",
            ),
        ],
        ClientKind::Producer,
    )
    .unwrap_err();
    assert_eq!(bad.key, "sasl.jaas.config");
    assert!(
        bad.message.contains("not terminated by semi-colon"),
        "{bad}"
    );
    let wrong = tr(
        &[
            ("sasl.mechanism", "PLAIN"),
            (
                "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"topsecret\";",
            ),
        ],
        ClientKind::Producer,
    )
    .unwrap_err();
    assert!(
        wrong
            .message
            .contains("does not match sasl.mechanism=PLAIN"),
        "{wrong}"
    );
    for e in [bad, wrong] {
        assert!(!e.to_string().contains("topsecret"));
        assert!(!format!("{e:?}").contains("topsecret"));
    }
    let mech = tr(&[("sasl.mechanism", "DIGEST-MD5")], ClientKind::Producer).unwrap_err();
    assert_eq!(mech.key, "sasl.mechanism");
}

// --- Stores, generated with openssl and keytool. ---

struct Material {
    _dir: tempfile::TempDir,
    dir: PathBuf,
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a client key and certificate signed by it, and the stores Kafka users have: PKCS12 and
/// JKS key stores, JKS and PKCS12 trust stores, an encrypted PEM key.
fn material() -> Material {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().to_path_buf();
    let p = |f: &str| d.join(f).display().to_string();
    run(Command::new("openssl").args([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
        "-keyout",
        &p("ca.key"),
        "-out",
        &p("ca.pem"),
    ]));
    run(Command::new("openssl").args([
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=client",
        "-keyout",
        &p("client.key"),
        "-out",
        &p("client.csr"),
    ]));
    run(Command::new("openssl").args([
        "x509",
        "-req",
        "-days",
        "2",
        "-in",
        &p("client.csr"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-out",
        &p("client.pem"),
    ]));
    run(Command::new("openssl").args([
        "pkcs8",
        "-topk8",
        "-in",
        &p("client.key"),
        "-out",
        &p("client.enc.key"),
        "-passout",
        "pass:key-pass",
    ]));
    run(Command::new("openssl").args([
        "pkcs12",
        "-export",
        "-in",
        &p("client.pem"),
        "-inkey",
        &p("client.key"),
        "-certfile",
        &p("ca.pem"),
        "-name",
        "client",
        "-out",
        &p("ks.p12"),
        "-passout",
        "pass:p12-pass",
    ]));
    run(Command::new("keytool").args([
        "-importkeystore",
        "-noprompt",
        "-srckeystore",
        &p("ks.p12"),
        "-srcstoretype",
        "PKCS12",
        "-srcstorepass",
        "p12-pass",
        "-srcalias",
        "client",
        "-destkeystore",
        &p("ks.jks"),
        "-deststoretype",
        "JKS",
        "-deststorepass",
        "jks-pass",
        "-destkeypass",
        "jks-key-pass",
    ]));
    for (file, ty) in [("ts.jks", "JKS"), ("ts.p12", "PKCS12")] {
        run(Command::new("keytool").args([
            "-importcert",
            "-noprompt",
            "-alias",
            "ca",
            "-file",
            &p("ca.pem"),
            "-keystore",
            &p(file),
            "-storetype",
            ty,
            "-storepass",
            "ts-pass",
        ]));
    }
    Material { _dir: tmp, dir: d }
}

impl Material {
    fn path(&self, f: &str) -> String {
        self.dir.join(f).display().to_string()
    }
    fn read(&self, f: &str) -> String {
        std::fs::read_to_string(self.dir.join(f)).unwrap()
    }
}

fn subjects(pem: &str) -> Vec<String> {
    openssl::x509::X509::stack_from_pem(pem.as_bytes())
        .unwrap()
        .iter()
        .map(|c| {
            c.subject_name()
                .entries()
                .map(|e| String::from_utf8_lossy(e.data().as_slice()).into_owned())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

fn same_key(pem: &str, file: &Path) {
    let a = openssl::pkey::PKey::private_key_from_pem(pem.as_bytes()).unwrap();
    let b = openssl::pkey::PKey::private_key_from_pem(&std::fs::read(file).unwrap()).unwrap();
    assert!(a.public_eq(&b));
}

#[test]
fn jks_pkcs12_and_pem_truststores_all_give_the_ca_as_pem() {
    let m = material();
    for (ty, file, pw) in [
        ("JKS", "ts.jks", Some("ts-pass")),
        // Java reads a truststore without a password, skipping the integrity check.
        ("JKS", "ts.jks", None),
        ("PKCS12", "ts.p12", Some("ts-pass")),
        // A PKCS12 file under Java's default type, as keystore.type.compat allows.
        ("JKS", "ts.p12", Some("ts-pass")),
        ("PEM", "ca.pem", None),
    ] {
        let location = m.path(file);
        let mut p = vec![
            ("ssl.truststore.type", ty),
            ("ssl.truststore.location", location.as_str()),
        ];
        if let Some(pw) = pw {
            p.push(("ssl.truststore.password", pw));
        }
        let t = tr(&p, ClientKind::Consumer).unwrap();
        assert_eq!(subjects(&t.props["ssl.ca.pem"]), ["test-ca"], "{ty} {file}");
        assert!(!t.props.keys().any(|k| k.starts_with("ssl.truststore")));
    }
    let inline = m.read("ca.pem");
    let t = tr(
        &[
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.certificates", &inline),
        ],
        ClientKind::Admin,
    )
    .unwrap();
    assert_eq!(subjects(&t.props["ssl.ca.pem"]), ["test-ca"]);
}

#[test]
fn jks_and_pkcs12_keystores_give_the_key_and_its_chain_as_pem() {
    let m = material();
    let jks = tr(
        &[
            ("ssl.keystore.location", &m.path("ks.jks")),
            ("ssl.keystore.password", "jks-pass"),
            ("ssl.key.password", "jks-key-pass"),
        ],
        ClientKind::Producer,
    )
    .unwrap();
    let p12 = tr(
        &[
            ("ssl.keystore.type", "PKCS12"),
            ("ssl.keystore.location", &m.path("ks.p12")),
            ("ssl.keystore.password", "p12-pass"),
        ],
        ClientKind::Producer,
    )
    .unwrap();
    for t in [&jks, &p12] {
        assert_eq!(
            subjects(&t.props["ssl.certificate.pem"]),
            ["client", "test-ca"]
        );
        same_key(&t.props["ssl.key.pem"], &m.dir.join("client.key"));
    }
}

#[test]
fn pem_keystores_from_a_file_or_inline_with_an_encrypted_key_are_read() {
    let m = material();
    let combined = format!("{}{}", m.read("client.enc.key"), m.read("client.pem"));
    std::fs::write(m.dir.join("combined.pem"), &combined).unwrap();
    let file = tr(
        &[
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.location", &m.path("combined.pem")),
            ("ssl.key.password", "key-pass"),
        ],
        ClientKind::Consumer,
    )
    .unwrap();
    let inline = tr(
        &[
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.key", &m.read("client.enc.key")),
            ("ssl.keystore.certificate.chain", &m.read("client.pem")),
            ("ssl.key.password", "key-pass"),
        ],
        ClientKind::Consumer,
    )
    .unwrap();
    for t in [&file, &inline] {
        assert_eq!(subjects(&t.props["ssl.certificate.pem"]), ["client"]);
        same_key(&t.props["ssl.key.pem"], &m.dir.join("client.key"));
    }
}

fn assert_secret_free(e: &ClientConfigError, secret: &str) {
    assert!(!e.to_string().contains(secret), "{e}");
    assert!(!format!("{e:?}").contains(secret), "{e:?}");
}

#[test]
fn a_wrong_truststore_password_names_the_password_setting_and_not_the_password() {
    let m = material();
    for (ty, file) in [("JKS", "ts.jks"), ("PKCS12", "ts.p12")] {
        let e = tr(
            &[
                ("ssl.truststore.type", ty),
                ("ssl.truststore.location", &m.path(file)),
                ("ssl.truststore.password", "wrong-pw-xyz"),
            ],
            ClientKind::Producer,
        )
        .unwrap_err();
        assert_eq!(e.key, "ssl.truststore.password", "{e}");
        assert!(e.message.contains("password"), "{e}");
        assert_secret_free(&e, "wrong-pw-xyz");
    }
}

#[test]
fn a_wrong_key_password_in_a_jks_keystore_is_reported_as_such() {
    let m = material();
    let e = tr(
        &[
            ("ssl.keystore.location", &m.path("ks.jks")),
            ("ssl.keystore.password", "jks-pass"),
            ("ssl.key.password", "not-the-key-pw"),
        ],
        ClientKind::Producer,
    )
    .unwrap_err();
    assert_eq!(e.key, "ssl.key.password");
    assert!(e.message.contains("Cannot recover key"), "{e}");
    assert_secret_free(&e, "not-the-key-pw");
}

#[test]
fn a_truncated_jks_file_is_reported_as_truncated() {
    let m = material();
    let data = std::fs::read(m.dir.join("ts.jks")).unwrap();
    for cut in [8, 12, data.len() / 2, data.len() - 1] {
        std::fs::write(m.dir.join("cut.jks"), &data[..cut]).unwrap();
        let e = tr(
            &[
                ("ssl.truststore.location", &m.path("cut.jks")),
                ("ssl.truststore.password", "ts-pass"),
            ],
            ClientKind::Consumer,
        )
        .unwrap_err();
        assert_eq!(e.key, "ssl.truststore.location", "{e}");
        assert!(e.message.contains("truncated"), "cut at {cut}: {e}");
    }
}

#[test]
fn a_keystore_without_its_password_or_a_missing_file_is_refused() {
    let m = material();
    let e = tr(
        &[("ssl.keystore.location", &m.path("ks.jks"))],
        ClientKind::Producer,
    )
    .unwrap_err();
    assert_eq!(e.key, "ssl.keystore.password");
    let e = tr(
        &[("ssl.truststore.location", &m.path("nope.jks"))],
        ClientKind::Producer,
    )
    .unwrap_err();
    assert_eq!(e.key, "ssl.truststore.location");
    assert!(e.message.contains("cannot read"), "{e}");
}
