//! TLS and SASL of the coordinator connection, against the fake with a TLS listener and SASL
//! server sides written here, and the SCRAM client against RFC 7677's example.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::symm::Cipher;
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509, X509NameBuilder};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::fake::{Fake, SaslServer, Seen};
use super::{View, assigned, settings, start, wait_for};
use crate::DistributedError;
use crate::member::GroupMember;
use crate::member::conn::Connection;
use crate::member::sasl::{Mechanism, Scram};
use crate::member::security::Security;

fn client(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn scram_sha_256_follows_the_rfc_7677_example() {
    let mut scram = Scram::new(
        Mechanism::ScramSha256,
        "user",
        "pencil",
        "rOprNGfwEbeRWgbNEkqO".into(),
    );
    assert_eq!(scram.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    let server_first =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    assert_eq!(
        scram.client_final(server_first).unwrap(),
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
         p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    );
    scram
        .verify_server_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
        .unwrap();
    assert!(
        scram
            .verify_server_final("v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .is_err()
    );
    // A short or garbled verifier is an error, not a panic.
    assert!(scram.verify_server_final("v=AAAA").is_err());
    assert!(scram.verify_server_final("e=invalid-proof").is_err());
}

#[test]
fn scram_refuses_servers_that_weaken_or_hijack_the_exchange() {
    let mut scram = Scram::new(Mechanism::ScramSha512, "u", "p", "abc".into());
    let few = scram
        .client_final("r=abcdef,s=c2FsdA==,i=1024")
        .unwrap_err();
    assert!(few.contains("1024"), "{few}");
    let other = scram.client_final("r=xyz,s=c2FsdA==,i=4096").unwrap_err();
    assert!(other.contains("nonce"), "{other}");
    assert!(scram.client_final("r=abcdef,i=4096").is_err());
}

#[test]
fn scram_escapes_the_user_name() {
    let scram = Scram::new(Mechanism::ScramSha256, "a=b,c", "p", "n".into());
    assert_eq!(scram.client_first(), "n,,n=a=3Db=2Cc,r=n");
}

#[tokio::test]
async fn mechanisms_distributed_mode_cannot_speak_are_refused_by_name() {
    for mechanism in ["GSSAPI", "SCRAM-SHA-1"] {
        let mut s = settings("127.0.0.1:9");
        s.client = client(&[
            ("security.protocol", "sasl_ssl"),
            ("sasl.mechanisms", mechanism),
            ("sasl.username", "u"),
            ("sasl.password", "p"),
            ("enable.ssl.certificate.verification", "false"),
        ]);
        match GroupMember::start(s, View::new(0, &[])) {
            Err(e @ DistributedError::Config(_)) => {
                let m = e.to_string();
                assert!(
                    m.starts_with("distributed mode: sasl.mechanism") && m.contains(mechanism),
                    "{m}"
                );
                assert_eq!(
                    m.contains("Kerberos is not available"),
                    mechanism == "GSSAPI",
                    "{m}"
                );
            }
            other => panic!(
                "{mechanism}: expected a config error, got {:?}",
                other.map(|_| ())
            ),
        }
    }
    // librdkafka's default mechanism is GSSAPI.
    let mut s = settings("127.0.0.1:9");
    s.client = client(&[("security.protocol", "SASL_PLAINTEXT")]);
    assert!(matches!(
        GroupMember::start(s, View::new(0, &[])),
        Err(DistributedError::Config(m)) if m.contains("GSSAPI")
    ));
    let mut s = settings("127.0.0.1:9");
    s.client = client(&[("security.protocol", "ssl"), ("ssl.crl.location", "/x")]);
    assert!(matches!(
        GroupMember::start(s, View::new(0, &[])),
        Err(DistributedError::Config(m)) if m.contains("ssl.crl.location")
    ));
}

fn plain_server(user: &'static str, password: &'static str) -> SaslServer {
    Box::new(move |msg: &[u8]| {
        let expected = format!("\0{user}\0{password}");
        if msg == expected.as_bytes() {
            Ok(Vec::new())
        } else {
            Err("Authentication failed: Invalid username or password".into())
        }
    })
}

#[tokio::test]
async fn sasl_plain_authenticates_before_the_group_requests() {
    let fake = Fake::start().await;
    fake.with(|s| s.sasl = Some(("PLAIN".into(), Some(plain_server("alice", "secret")))));
    let mut s = settings(&fake.addr);
    s.client = client(&[
        ("security.protocol", "sasl_plaintext"),
        ("sasl.mechanisms", "PLAIN"),
        ("sasl.username", "alice"),
        ("sasl.password", "secret"),
    ]);
    let (handle, mut rx) = start(s, View::new(0, &[]));
    assigned(&mut rx).await;
    let seen = fake.seen();
    assert_eq!(seen[0], Seen::SaslHandshake("PLAIN".into()));
    assert_eq!(seen[1], Seen::SaslAuthenticate(b"\0alice\0secret".to_vec()));
    assert_eq!(seen[2], Seen::Find);
    handle.leave().await;
}

#[tokio::test]
async fn a_refused_password_is_reported_as_an_authentication_failure() {
    let fake = Fake::start().await;
    fake.with(|s| s.sasl = Some(("PLAIN".into(), Some(plain_server("alice", "secret")))));
    let mut s = settings(&fake.addr);
    s.client = client(&[
        ("security.protocol", "sasl_plaintext"),
        ("sasl.mechanisms", "PLAIN"),
        ("sasl.username", "alice"),
        ("sasl.password", "wrong"),
    ]);
    let (handle, _rx) = start(s, View::new(0, &[]));
    let status = handle.status();
    wait_for("the failure", || status.borrow().last_error.is_some()).await;
    let error = handle.status().borrow().last_error.clone().unwrap();
    assert!(
        error.contains("SASL PLAIN authentication")
            && error.contains("Invalid username or password"),
        "{error}"
    );
    assert!(!fake.seen().contains(&Seen::Find));
    handle.leave().await;
}

#[tokio::test]
async fn a_mechanism_the_broker_does_not_enable_names_the_enabled_ones() {
    let fake = Fake::start().await;
    fake.with(|s| s.sasl = Some(("SCRAM-SHA-512".into(), None)));
    let security = Security::from_client(&client(&[
        ("security.protocol", "sasl_plaintext"),
        ("sasl.mechanisms", "PLAIN"),
        ("sasl.username", "u"),
        ("sasl.password", "p"),
    ]))
    .unwrap();
    let err = Connection::open(&fake.addr, &security, "t", Duration::from_secs(5))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("UnsupportedSaslMechanism") && err.contains("SCRAM-SHA-512"),
        "{err}"
    );
}

fn hmac(digest: MessageDigest, key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = PKey::hmac(key).unwrap();
    let mut signer = openssl::sign::Signer::new(digest, &key).unwrap();
    signer.update(data).unwrap();
    signer.sign_to_vec().unwrap()
}

/// A SCRAM-SHA-512 server (RFC 5802 §3, the server's side), written apart from the client.
fn scram_server(user: &'static str, password: &'static str) -> SaslServer {
    let digest = MessageDigest::sha512();
    let salt = b"fake-salt-0123456".to_vec();
    let mut salted = vec![0; 64];
    openssl::pkcs5::pbkdf2_hmac(password.as_bytes(), &salt, 4096, digest, &mut salted).unwrap();
    let mut state: Option<(String, String)> = None;
    Box::new(move |msg: &[u8]| {
        let msg = std::str::from_utf8(msg).unwrap();
        match state.take() {
            None => {
                let bare = msg.strip_prefix("n,,").unwrap().to_owned();
                assert!(bare.starts_with(&format!("n={user},r=")), "{bare}");
                let nonce = bare.rsplit_once("r=").unwrap().1;
                let first = format!("r={nonce}SERVERNONCE,s={},i=4096", BASE64.encode(&salt));
                state = Some((bare, first.clone()));
                Ok(first.into_bytes())
            }
            Some((bare, first)) => {
                let (without_proof, proof) = msg.rsplit_once(",p=").unwrap();
                let proof = BASE64.decode(proof).unwrap();
                let auth = format!("{bare},{first},{without_proof}");
                let client_key = hmac(digest, &salted, b"Client Key");
                let stored = openssl::hash::hash(digest, &client_key).unwrap();
                let signature = hmac(digest, &stored, auth.as_bytes());
                let recovered: Vec<u8> = proof.iter().zip(&signature).map(|(p, s)| p ^ s).collect();
                if openssl::hash::hash(digest, &recovered).unwrap().to_vec() != stored.to_vec() {
                    return Err("Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512".into());
                }
                let server_key = hmac(digest, &salted, b"Server Key");
                Ok(format!(
                    "v={}",
                    BASE64.encode(hmac(digest, &server_key, auth.as_bytes()))
                )
                .into_bytes())
            }
        }
    })
}

#[tokio::test]
async fn scram_sha_512_authenticates_and_checks_the_server() {
    for (password, ok) in [("s3cret", true), ("wrong", false)] {
        let fake = Fake::start().await;
        fake.with(|s| s.sasl = Some(("SCRAM-SHA-512".into(), Some(scram_server("bob", "s3cret")))));
        let security = Security::from_client(&client(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "scram-sha-512"),
            ("sasl.username", "bob"),
            ("sasl.password", password),
        ]))
        .unwrap();
        let opened = Connection::open(&fake.addr, &security, "t", Duration::from_secs(5)).await;
        match (opened, ok) {
            (Ok(_), true) => {}
            (
                Err(DistributedError::Authentication {
                    mechanism, message, ..
                }),
                false,
            ) => {
                assert_eq!(mechanism, "SCRAM-SHA-512");
                assert!(message.contains("invalid credentials"), "{message}");
            }
            (other, _) => panic!("{password}: unexpected {:?}", other.map(|_| ())),
        }
    }
}

fn ec_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

/// A certificate for `cn`, self-signed when `issuer` is `None`; `dns` names for leaves.
fn certificate(
    cn: &str,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
    dns: &[&str],
    client: bool,
) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let serial = BigNum::from_u32(rand_serial())
        .unwrap()
        .to_asn1_integer()
        .unwrap();
    b.set_serial_number(&serial).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map_or(&name, |(ca, _)| ca.subject_name()))
        .unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    if issuer.is_none() {
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        b.append_extension(KeyUsage::new().critical().key_cert_sign().build().unwrap())
            .unwrap();
    } else {
        b.append_extension(BasicConstraints::new().build().unwrap())
            .unwrap();
        let mut eku = ExtendedKeyUsage::new();
        if client {
            eku.client_auth();
        } else {
            eku.server_auth();
        }
        b.append_extension(eku.build().unwrap()).unwrap();
        if !dns.is_empty() {
            let mut san = SubjectAlternativeName::new();
            for d in dns {
                san.dns(d);
            }
            let ext = san
                .build(&b.x509v3_context(issuer.map(|(ca, _)| &**ca), None))
                .unwrap();
            b.append_extension(ext).unwrap();
        }
    }
    let signer = issuer.map_or(key, |(_, k)| k);
    b.sign(signer, MessageDigest::sha256()).unwrap();
    b.build()
}

fn rand_serial() -> u32 {
    let mut bytes = [0u8; 4];
    openssl::rand::rand_bytes(&mut bytes).unwrap();
    u32::from_be_bytes(bytes) >> 1
}

fn pem(cert: &X509) -> String {
    String::from_utf8(cert.to_pem().unwrap()).unwrap()
}

struct Pki {
    ca: X509,
    ca_key: PKey<Private>,
}

impl Pki {
    fn new(name: &str) -> Pki {
        let ca_key = ec_key();
        Pki {
            ca: certificate(name, &ca_key, None, &[], false),
            ca_key,
        }
    }

    fn leaf(&self, cn: &str, dns: &[&str], client: bool) -> (X509, PKey<Private>) {
        let key = ec_key();
        let cert = certificate(cn, &key, Some((&self.ca, &self.ca_key)), dns, client);
        (cert, key)
    }
}

/// A TLS fake with a certificate for `localhost` only; with `client_ca`, it requires a client
/// certificate from that CA.
async fn tls_fake(server: &Pki, client_ca: Option<&Pki>) -> Fake {
    let (cert, key) = server.leaf("broker", &["localhost"], false);
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(pki) => {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(CertificateDer::from(pki.ca.to_der().unwrap()))
                .unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config = builder
        .with_single_cert(
            vec![CertificateDer::from(cert.to_der().unwrap())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                key.private_key_to_pkcs8().unwrap(),
            )),
        )
        .unwrap();
    Fake::start_with(Some(tokio_rustls::TlsAcceptor::from(Arc::new(config)))).await
}

async fn open(addr: &str, settings: &[(&str, &str)]) -> Result<Connection, DistributedError> {
    let security = Security::from_client(&client(settings))?;
    Connection::open(addr, &security, "t", Duration::from_secs(5)).await
}

#[tokio::test]
async fn tls_checks_the_chain_and_the_host_name_as_ssl_endpoint_identification_asks() {
    let pki = Pki::new("test-ca");
    let fake = tls_fake(&pki, None).await;
    let port = fake.addr.rsplit_once(':').unwrap().1.to_owned();
    let ca = pem(&pki.ca);

    // https (librdkafka's default): the certificate names localhost, not 127.0.0.1.
    let by_ip = open(
        &fake.addr,
        &[("security.protocol", "ssl"), ("ssl.ca.pem", &ca)],
    )
    .await;
    match by_ip {
        Err(DistributedError::Tls { message, .. }) => {
            assert!(message.contains("not valid for name"), "{message}");
        }
        other => panic!("expected a host name failure, got {:?}", other.map(|_| ())),
    }
    open(
        &format!("localhost:{port}"),
        &[("security.protocol", "ssl"), ("ssl.ca.pem", &ca)],
    )
    .await
    .unwrap();
    // none: the chain is enough.
    open(
        &fake.addr,
        &[
            ("security.protocol", "SSL"),
            ("ssl.ca.pem", &ca),
            ("ssl.endpoint.identification.algorithm", "none"),
        ],
    )
    .await
    .unwrap();
    // A CA file works as the inline PEM does.
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca).unwrap();
    open(
        &format!("localhost:{port}"),
        &[
            ("security.protocol", "ssl"),
            ("ssl.ca.location", ca_file.to_str().unwrap()),
        ],
    )
    .await
    .unwrap();
    // Another CA's certificate is refused even without host name checks.
    let stranger = pem(&Pki::new("other-ca").ca);
    let refused = open(
        &fake.addr,
        &[
            ("security.protocol", "ssl"),
            ("ssl.ca.pem", &stranger),
            ("ssl.endpoint.identification.algorithm", "none"),
        ],
    )
    .await;
    assert!(
        matches!(refused, Err(DistributedError::Tls { .. })),
        "{:?}",
        refused.map(|_| ())
    );
}

#[tokio::test]
async fn a_member_joins_over_mutual_tls_with_an_encrypted_client_key() {
    let pki = Pki::new("test-ca");
    let fake = tls_fake(&pki, Some(&pki)).await;
    let port = fake.addr.rsplit_once(':').unwrap().1.to_owned();
    fake.with(|s| s.coordinator = Some(format!("localhost:{port}")));
    let (cert, key) = pki.leaf("worker", &[], true);
    let key_pem = String::from_utf8(
        key.private_key_to_pem_pkcs8_passphrase(Cipher::aes_256_cbc(), b"keypass")
            .unwrap(),
    )
    .unwrap();
    let tls = [
        ("security.protocol", "ssl"),
        ("ssl.ca.pem", pem(&pki.ca).leak() as &str),
        ("ssl.certificate.pem", pem(&cert).leak() as &str),
        ("ssl.key.pem", key_pem.leak() as &str),
        ("ssl.key.password", "keypass"),
    ];
    // Without the client certificate the broker refuses the handshake.
    let without = open(&format!("localhost:{port}"), &tls[..2]).await;
    assert!(without.is_err());
    let mut s = settings(&format!("localhost:{port}"));
    s.client = client(&tls);
    let (handle, mut rx) = start(s, View::new(0, &[("c1", 1)]));
    let (_, _, a) = assigned(&mut rx).await;
    assert_eq!(a.connectors, ["c1"]);
    handle.leave().await;
    // A wrong key password is a clear settings error.
    let mut wrong = client(&tls);
    wrong.insert("ssl.key.password".into(), "nope".into());
    let mut s = settings("localhost:1");
    s.client = wrong;
    assert!(matches!(
        GroupMember::start(s, View::new(0, &[])),
        Err(DistributedError::Config(m)) if m.contains("ssl.key")
    ));
}
