//! Why a broker's TLS handshake fails, said precisely.
//!
//! librdkafka reports every rejected broker certificate as "certificate verify failed": a
//! foreign CA, an expired certificate and a host-name mismatch read the same. [`probe`] makes
//! a handshake of its own with OpenSSL and the client's librdkafka settings (the CA from
//! `ssl.ca.pem` or `ssl.ca.location`, else the system's; the client certificate; host-name
//! checking per `ssl.endpoint.identification.algorithm`) and reads OpenSSL's verification
//! result ("certificate has expired", "hostname mismatch", "unable to get local issuer
//! certificate", …), so an error can name the cause. It sends no Kafka request and reads no
//! secret into its answer.

use std::io::Read as _;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use openssl::pkey::PKey;
use openssl::ssl::{HandshakeError, SslConnector, SslMethod};
use openssl::x509::X509;
use openssl::x509::store::X509StoreBuilder;

use crate::Props;

/// A failed handshake with one bootstrap server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("TLS handshake with {server} failed: {reason}")]
pub struct TlsFailure {
    /// `host:port` as in `bootstrap.servers`.
    pub server: String,
    /// OpenSSL's words: the certificate verification result, or the handshake error.
    pub reason: String,
    /// The broker's certificate failed verification (a configuration problem that retrying
    /// cannot fix), rather than the handshake breaking for another reason.
    pub certificate_rejected: bool,
}

/// At most this many bootstrap servers are tried: each try can take the whole timeout.
const MAX_SERVERS: usize = 3;

/// Handshakes with the bootstrap servers of `props` (librdkafka settings, as
/// [`super::translate`] gives them) and returns the first failure, or `None` when the client
/// does not use TLS, verification is off, every handshake succeeds or no server accepts a
/// connection (then TLS is not what fails). Blocking: up to `timeout` per server tried.
pub fn probe(props: &Props, timeout: Duration) -> Option<TlsFailure> {
    let protocol = props
        .get("security.protocol")
        .map(|p| p.trim().to_ascii_lowercase());
    if !matches!(protocol.as_deref(), Some("ssl" | "sasl_ssl")) {
        return None;
    }
    if props
        .get("enable.ssl.certificate.verification")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
    {
        return None;
    }
    let connector = connector(props)?;
    let check_host = props
        .get("ssl.endpoint.identification.algorithm")
        .is_none_or(|a| a.trim().eq_ignore_ascii_case("https"));
    props
        .get("bootstrap.servers")?
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take(MAX_SERVERS)
        .find_map(|server| handshake(&connector, server, check_host, timeout))
}

/// An OpenSSL client set up as librdkafka sets itself up from `props`; `None` when the
/// settings cannot be read (librdkafka then fails with its own error).
fn connector(props: &Props) -> Option<SslConnector> {
    let mut b = SslConnector::builder(SslMethod::tls_client()).ok()?;
    if let Some(pem) = props.get("ssl.ca.pem").filter(|s| !s.trim().is_empty()) {
        let mut store = X509StoreBuilder::new().ok()?;
        for cert in X509::stack_from_pem(pem.as_bytes()).ok()? {
            store.add_cert(cert).ok()?;
        }
        b.set_cert_store(store.build());
    } else if let Some(location) = props
        .get("ssl.ca.location")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty() && *s != "probe")
    {
        b.set_cert_store(X509StoreBuilder::new().ok()?.build());
        let path = std::path::Path::new(location);
        if path.is_dir() {
            b.load_verify_locations(None, Some(path)).ok()?;
        } else {
            b.load_verify_locations(Some(path), None).ok()?;
        }
    }
    let chain = match (
        props.get("ssl.certificate.pem"),
        props.get("ssl.certificate.location"),
    ) {
        (Some(pem), _) => X509::stack_from_pem(pem.as_bytes()).ok(),
        (None, Some(path)) => std::fs::read(path)
            .ok()
            .and_then(|b| X509::stack_from_pem(&b).ok()),
        (None, None) => None,
    };
    let key = match (props.get("ssl.key.pem"), props.get("ssl.key.location")) {
        (Some(pem), _) => Some(pem.as_bytes().to_vec()),
        (None, Some(path)) => std::fs::read(path).ok(),
        (None, None) => None,
    };
    if let (Some(chain), Some(key)) = (chain, key) {
        let key = match props.get("ssl.key.password") {
            Some(pw) => PKey::private_key_from_pem_passphrase(&key, pw.as_bytes()),
            None => PKey::private_key_from_pem(&key),
        };
        // Without a usable client certificate the probe still checks the broker's.
        if let (Ok(key), Some((leaf, rest))) = (key, chain.split_first()) {
            let presented = b.set_certificate(leaf).is_ok() && b.set_private_key(&key).is_ok();
            if presented {
                for c in rest {
                    b.add_extra_chain_cert(c.clone()).ok();
                }
            }
        }
    }
    Some(b.build())
}

/// `host` and `port` of a bootstrap entry (`host:port`, `[v6]:port`, an optional
/// `SSL://`-style listener prefix).
fn host_port(server: &str) -> Option<(String, u16)> {
    let bare = server.rsplit("://").next().unwrap_or(server);
    let (host, port) = bare.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some((host.to_owned(), port.parse().ok()?))
}

fn handshake(
    connector: &SslConnector,
    server: &str,
    check_host: bool,
    timeout: Duration,
) -> Option<TlsFailure> {
    let (host, port) = host_port(server)?;
    let deadline = Instant::now() + timeout;
    let tcp = (host.as_str(), port)
        .to_socket_addrs()
        .ok()?
        .find_map(|addr| {
            let left = deadline.saturating_duration_since(Instant::now());
            TcpStream::connect_timeout(&addr, left.max(Duration::from_millis(1))).ok()
        })?;
    let left = deadline.saturating_duration_since(Instant::now());
    let left = left.max(Duration::from_millis(100));
    tcp.set_read_timeout(Some(left)).ok()?;
    tcp.set_write_timeout(Some(left)).ok()?;
    let config = connector.configure().ok()?.verify_hostname(check_host);
    let failure = |reason: String, certificate_rejected: bool| TlsFailure {
        server: server.to_owned(),
        reason,
        certificate_rejected,
    };
    match config.connect(&host, tcp) {
        Ok(mut stream) => {
            // A TLS 1.3 server refuses a client certificate after the client has finished:
            // its alert arrives on the first read. A broker sends nothing unasked, so a
            // timeout here means it accepted the handshake.
            stream
                .get_ref()
                .set_read_timeout(Some(Duration::from_millis(300)))
                .ok();
            let mut byte = [0_u8; 1];
            match stream.read(&mut byte) {
                Err(e)
                    if e.kind() != std::io::ErrorKind::WouldBlock
                        && e.kind() != std::io::ErrorKind::TimedOut =>
                {
                    Some(failure(format!("the broker ended the session: {e}"), false))
                }
                _ => None,
            }
        }
        Err(HandshakeError::Failure(mid)) => {
            let verify = mid.ssl().verify_result();
            if verify.as_raw() != 0 {
                Some(failure(
                    format!("certificate verify failed: {}", verify.error_string()),
                    true,
                ))
            } else {
                Some(failure(openssl_reason(mid.error()), false))
            }
        }
        Err(HandshakeError::SetupFailure(e)) => Some(failure(e.to_string(), false)),
        // The socket timed out mid-handshake: the server is not answering TLS in time.
        Err(HandshakeError::WouldBlock(_)) => Some(failure(
            "the broker did not complete the handshake in time".to_owned(),
            false,
        )),
    }
}

/// The reasons OpenSSL gives for a broken handshake (without its error-queue noise).
fn openssl_reason(e: &openssl::ssl::Error) -> String {
    let reasons: Vec<String> = e
        .ssl_error()
        .map(|stack| {
            stack
                .errors()
                .iter()
                .filter_map(|err| err.reason().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if reasons.is_empty() {
        e.to_string()
    } else {
        reasons.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn bootstrap_entries_give_host_and_port() {
        assert_eq!(
            host_port("localhost:9093"),
            Some(("localhost".into(), 9093))
        );
        assert_eq!(host_port("SSL://b1:9093"), Some(("b1".into(), 9093)));
        assert_eq!(host_port("[::1]:9093"), Some(("::1".into(), 9093)));
        assert_eq!(host_port("no-port"), None);
    }

    #[test]
    fn a_plaintext_client_or_one_without_verification_is_not_probed() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let server = listener.local_addr().unwrap().to_string();
        for p in [
            props(&[("bootstrap.servers", &server)]),
            props(&[
                ("bootstrap.servers", &server),
                ("security.protocol", "sasl_plaintext"),
            ]),
            props(&[
                ("bootstrap.servers", &server),
                ("security.protocol", "ssl"),
                ("enable.ssl.certificate.verification", "false"),
            ]),
        ] {
            assert_eq!(probe(&p, Duration::from_secs(1)), None);
        }
    }

    #[test]
    fn a_plaintext_server_is_named_as_not_speaking_tls() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let server = listener.local_addr().unwrap().to_string();
        // A plaintext broker answers a ClientHello with a Kafka-framed error, or not at all.
        let answer = std::thread::spawn(move || {
            use std::io::Write as _;
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0_u8; 512];
            let hello = s.read(&mut buf).unwrap();
            assert!(hello > 0, "a ClientHello");
            // The client may have hung up already.
            s.write_all(b"\x00\x00\x00\x08plain-kafka-bytes").ok();
        });
        let failure = probe(
            &props(&[("bootstrap.servers", &server), ("security.protocol", "ssl")]),
            Duration::from_secs(5),
        )
        .expect("a failure");
        answer.join().unwrap();
        assert_eq!(failure.server, server);
        assert!(!failure.certificate_rejected);
        assert!(
            failure
                .to_string()
                .starts_with(&format!("TLS handshake with {server} failed: ")),
            "{failure}"
        );
    }

    /// A test PKI made with the openssl crate: a CA, a foreign CA, and broker certificates
    /// signed by the CA (valid for `localhost`, expired, or for another host name).
    struct TestPki {
        ca: X509,
        ca_key: PKey<openssl::pkey::Private>,
        foreign_ca: X509,
    }

    fn key() -> PKey<openssl::pkey::Private> {
        use openssl::ec::{EcGroup, EcKey};
        use openssl::nid::Nid;
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
    }

    /// A certificate for `key` named `cn` (and, for a leaf, `DNS:cn`), valid from `from` to
    /// `to` (`YYYYMMDDHHMMSSZ`, or days from now), signed by `issuer` (self-signed: `None`).
    fn certificate(
        cn: &str,
        key: &PKey<openssl::pkey::Private>,
        issuer: Option<(&X509, &PKey<openssl::pkey::Private>)>,
        validity: (openssl::asn1::Asn1Time, openssl::asn1::Asn1Time),
    ) -> X509 {
        use openssl::asn1::Asn1Integer;
        use openssl::bn::BigNum;
        use openssl::hash::MessageDigest;
        use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
        use openssl::x509::{X509Builder, X509NameBuilder};
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", cn).unwrap();
        let name = name.build();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        let serial = Asn1Integer::from_bn(&BigNum::from_u32(next_serial()).unwrap()).unwrap();
        b.set_serial_number(&serial).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_pubkey(key).unwrap();
        b.set_not_before(&validity.0).unwrap();
        b.set_not_after(&validity.1).unwrap();
        match issuer {
            None => {
                b.set_issuer_name(&name).unwrap();
                b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                    .unwrap();
                b.sign(key, MessageDigest::sha256()).unwrap();
            }
            Some((ca, ca_key)) => {
                b.set_issuer_name(ca.subject_name()).unwrap();
                let san = SubjectAlternativeName::new()
                    .dns(cn)
                    .build(&b.x509v3_context(Some(ca), None))
                    .unwrap();
                b.append_extension(san).unwrap();
                b.sign(ca_key, MessageDigest::sha256()).unwrap();
            }
        }
        b.build()
    }

    fn next_serial() -> u32 {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }

    fn days(from: u32, to: u32) -> (openssl::asn1::Asn1Time, openssl::asn1::Asn1Time) {
        (
            openssl::asn1::Asn1Time::days_from_now(from).unwrap(),
            openssl::asn1::Asn1Time::days_from_now(to).unwrap(),
        )
    }

    impl TestPki {
        fn new() -> Self {
            let (ca_key, foreign_key) = (key(), key());
            Self {
                ca: certificate("test-ca", &ca_key, None, days(0, 2)),
                foreign_ca: certificate("foreign-ca", &foreign_key, None, days(0, 2)),
                ca_key,
            }
        }

        /// A broker certificate and its key, signed by the CA.
        fn broker(
            &self,
            host: &str,
            validity: (openssl::asn1::Asn1Time, openssl::asn1::Asn1Time),
        ) -> (X509, PKey<openssl::pkey::Private>) {
            let key = key();
            let cert = certificate(host, &key, Some((&self.ca, &self.ca_key)), validity);
            (cert, key)
        }
    }

    /// A TLS server on a loopback port presenting `cert`: it completes (or fails) handshakes
    /// until the test ends, and never sends application data, like a broker.
    fn tls_server(cert: X509, key: PKey<openssl::pkey::Private>) -> u16 {
        use openssl::ssl::SslAcceptor;
        let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
        acceptor.set_certificate(&cert).unwrap();
        acceptor.set_private_key(&key).unwrap();
        let acceptor = acceptor.build();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                // A refused handshake is the point of most tests; the next one may succeed.
                // Held open until the client hangs up (or 2 s pass), as a broker waits for a
                // request.
                if let Ok(mut tls) = acceptor.accept(stream) {
                    let mut byte = [0_u8; 1];
                    tls.get_ref()
                        .set_read_timeout(Some(Duration::from_secs(2)))
                        .ok();
                    tls.read_exact(&mut byte).ok();
                }
            }
        });
        port
    }

    /// librdkafka settings of a TLS client of `localhost:port` trusting `ca`.
    fn trusting(ca: &X509, port: u16) -> Props {
        let pem = String::from_utf8(ca.to_pem().unwrap()).unwrap();
        props(&[
            ("bootstrap.servers", &format!("localhost:{port}")),
            ("security.protocol", "ssl"),
            ("ssl.ca.pem", &pem),
        ])
    }

    fn rejection(p: &Props) -> TlsFailure {
        let failure = probe(p, Duration::from_secs(5)).expect("a failed handshake");
        assert!(failure.certificate_rejected, "{failure}");
        failure
    }

    #[test]
    fn a_broker_certificate_from_a_foreign_ca_is_named_as_such() {
        let pki = TestPki::new();
        let (cert, key) = pki.broker("localhost", days(0, 2));
        let port = tls_server(cert, key);
        assert_eq!(
            probe(&trusting(&pki.ca, port), Duration::from_secs(5)),
            None
        );
        let failure = rejection(&trusting(&pki.foreign_ca, port));
        assert_eq!(failure.server, format!("localhost:{port}"));
        assert_eq!(
            failure.reason,
            "certificate verify failed: unable to get local issuer certificate"
        );
    }

    #[test]
    fn an_expired_broker_certificate_is_named_as_such() {
        let pki = TestPki::new();
        let from = openssl::asn1::Asn1Time::from_str("20200101000000Z").unwrap();
        let to = openssl::asn1::Asn1Time::from_str("20200102000000Z").unwrap();
        let (cert, key) = pki.broker("localhost", (from, to));
        let port = tls_server(cert, key);
        let failure = rejection(&trusting(&pki.ca, port));
        assert_eq!(
            failure.to_string(),
            format!(
                "TLS handshake with localhost:{port} failed: certificate verify failed: certificate has expired"
            )
        );
    }

    #[test]
    fn a_broker_certificate_for_another_host_is_a_hostname_mismatch_unless_unchecked() {
        let pki = TestPki::new();
        let (cert, key) = pki.broker("kafka.invalid", days(0, 2));
        let port = tls_server(cert, key);
        let mut p = trusting(&pki.ca, port);
        let failure = rejection(&p);
        assert_eq!(
            failure.reason,
            "certificate verify failed: hostname mismatch"
        );
        // `ssl.endpoint.identification.algorithm=` (librdkafka's `none`) turns the check off.
        p.insert(
            "ssl.endpoint.identification.algorithm".to_owned(),
            "none".to_owned(),
        );
        assert_eq!(probe(&p, Duration::from_secs(5)), None);
    }

    #[test]
    fn an_unreachable_server_is_not_a_tls_failure() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let p = props(&[
            ("bootstrap.servers", &format!("127.0.0.1:{port}")),
            ("security.protocol", "ssl"),
        ]);
        assert_eq!(probe(&p, Duration::from_secs(1)), None);
    }
}
