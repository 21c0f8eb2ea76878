//! The secured REST API over real sockets on 127.0.0.1: https with PEM, PKCS12 and JKS
//! keystores (made in the test with `openssl` and `keytool`), client certificates required,
//! CORS, and the BasicAuth extension with its JAAS and credentials files.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use connect_api::Props;
use connect_rest::security::{JAAS_CONFIG_FILE_CONFIG, RestSecurity, tls};
use connect_rest::testkit;
use connect_rest::{Endpoints, ServerLimits, router, serve, serve_tls};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BASIC_AUTH: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";

fn run(dir: &Path, program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for localhost/127.0.0.1 and a client certificate, in PEM,
/// PKCS12 and JKS.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        run(
            d,
            "openssl",
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=sluice-test-ca",
            ],
        );
        for (name, usage, san) in [
            (
                "server",
                "serverAuth",
                "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
            ),
            ("client", "clientAuth", ""),
        ] {
            std::fs::write(
                d.join(format!("{name}.ext")),
                format!("basicConstraints=CA:FALSE\nextendedKeyUsage={usage}\n{san}"),
            )
            .expect("ext");
            run(
                d,
                "openssl",
                &[
                    "req",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    &format!("{name}.key"),
                    "-out",
                    &format!("{name}.csr"),
                    "-subj",
                    &format!("/CN={name}"),
                ],
            );
            run(
                d,
                "openssl",
                &[
                    "x509",
                    "-req",
                    "-in",
                    &format!("{name}.csr"),
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    &format!("{name}.pem"),
                    "-days",
                    "2",
                    "-extfile",
                    &format!("{name}.ext"),
                ],
            );
        }
        let key = std::fs::read_to_string(d.join("server.key")).expect("key");
        let cert = std::fs::read_to_string(d.join("server.pem")).expect("cert");
        std::fs::write(d.join("server-keystore.pem"), format!("{key}{cert}"))
            .expect("pem keystore");
        run(
            d,
            "openssl",
            &[
                "pkcs12",
                "-export",
                "-in",
                "server.pem",
                "-inkey",
                "server.key",
                "-out",
                "server.p12",
                "-passout",
                "pass:store-pw",
                "-name",
                "server",
            ],
        );
        run(
            d,
            "keytool",
            &[
                "-importkeystore",
                "-srckeystore",
                "server.p12",
                "-srcstoretype",
                "PKCS12",
                "-srcstorepass",
                "store-pw",
                "-destkeystore",
                "server.jks",
                "-deststoretype",
                "JKS",
                "-deststorepass",
                "store-pw",
                "-destkeypass",
                "store-pw",
                "-noprompt",
            ],
        );
        run(
            d,
            "keytool",
            &[
                "-importcert",
                "-file",
                "ca.pem",
                "-alias",
                "ca",
                "-keystore",
                "trust.jks",
                "-storetype",
                "JKS",
                "-storepass",
                "trust-pw",
                "-noprompt",
            ],
        );
        Self { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// A TLS client trusting the CA, with the client certificate when `with_cert`.
    fn client(&self, with_cert: bool) -> tokio_rustls::TlsConnector {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(self.path("ca.pem")).expect("ca") {
            roots.add(c.expect("ca cert")).expect("add");
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots);
        let config = if with_cert {
            let chain = CertificateDer::pem_file_iter(self.path("client.pem"))
                .expect("chain")
                .collect::<Result<Vec<_>, _>>()
                .expect("chain");
            let key = PrivateKeyDer::from_pem_file(self.path("client.key")).expect("key");
            builder
                .with_client_auth_cert(chain, key)
                .expect("client cert")
        } else {
            builder.with_no_client_auth()
        };
        tokio_rustls::TlsConnector::from(Arc::new(config))
    }
}

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The fake API served on 127.0.0.1:0, over TLS when `tls` is given.
async fn served(tls: Option<Arc<rustls::ServerConfig>>, security: RestSecurity) -> SocketAddr {
    let (state, _, _) = testkit::state();
    let app = router(state.with_security(security));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let never = std::future::pending::<()>();
    match tls {
        Some(tls) => tokio::spawn(serve_tls(
            listener,
            app,
            ServerLimits::default(),
            tls,
            never,
        )),
        None => tokio::spawn(serve(listener, app, ServerLimits::default(), never)),
    };
    addr
}

#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> std::io::Result<Answer> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    Ok(Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    })
}

async fn https_get(
    addr: SocketAddr,
    connector: &tokio_rustls::TlsConnector,
    path: &str,
) -> std::io::Result<Answer> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost").expect("name");
    let tls = connector.connect(name, tcp).await?;
    exchange(tls, "GET", path, &[]).await
}

async fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    exchange(
        TcpStream::connect(addr).await.expect("connect"),
        method,
        path,
        headers,
    )
    .await
    .expect("http exchange")
}

#[tokio::test]
async fn https_serves_the_api_with_pem_pkcs12_and_jks_keystores() {
    let pki = Pki::new();
    let pem = pki.path("server-keystore.pem");
    let p12 = pki.path("server.p12");
    let jks = pki.path("server.jks");
    let configs = [
        props(&[
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.location", &pem),
        ]),
        props(&[
            ("listeners.https.ssl.keystore.type", "PKCS12"),
            ("listeners.https.ssl.keystore.location", &p12),
            ("listeners.https.ssl.keystore.password", "store-pw"),
            // Ignored: the prefixed settings replace the plain ones all or nothing.
            ("ssl.keystore.location", "/nonexistent.jks"),
        ]),
        props(&[
            ("ssl.keystore.location", &jks),
            ("ssl.keystore.password", "store-pw"),
        ]),
    ];
    for p in configs {
        let tls = tls::server_config(&p, tls::LISTENERS_HTTPS_PREFIX).expect("tls config");
        let addr = served(Some(tls), RestSecurity::default()).await;
        let a = https_get(addr, &pki.client(false), "/connectors")
            .await
            .expect("https");
        assert_eq!(a.status, 200, "{a:?}");
        assert_eq!(a.body, "[]");
        // A plain-HTTP client on the https port gets no HTTP answer.
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let mut buf = Vec::new();
        // Either the server closes with a TLS alert or resets; no HTTP answer either way.
        tcp.read_to_end(&mut buf).await.ok();
        assert!(!String::from_utf8_lossy(&buf).contains("HTTP/1.1 200"));
    }
}

#[tokio::test]
async fn a_wrong_keystore_password_refuses_start_up_without_showing_it() {
    let pki = Pki::new();
    let p = props(&[
        ("ssl.keystore.type", "PKCS12"),
        ("ssl.keystore.location", &pki.path("server.p12")),
        ("ssl.keystore.password", "not-the-pw-42"),
    ]);
    let err = tls::server_config(&p, tls::LISTENERS_HTTPS_PREFIX)
        .expect_err("wrong password")
        .to_string();
    assert!(err.contains("ssl.keystore.password"), "{err}");
    assert!(!err.contains("not-the-pw-42"), "{err}");
}

#[tokio::test]
async fn client_auth_required_refuses_a_client_without_a_trusted_certificate() {
    let pki = Pki::new();
    let p = props(&[
        (
            "listeners.https.ssl.keystore.location",
            &pki.path("server.jks"),
        ),
        ("listeners.https.ssl.keystore.password", "store-pw"),
        (
            "listeners.https.ssl.truststore.location",
            &pki.path("trust.jks"),
        ),
        ("listeners.https.ssl.truststore.password", "trust-pw"),
        ("listeners.https.ssl.client.auth", "required"),
    ]);
    let tls = tls::server_config(&p, tls::LISTENERS_HTTPS_PREFIX).expect("tls config");
    let addr = served(Some(tls), RestSecurity::default()).await;
    let ok = https_get(addr, &pki.client(true), "/")
        .await
        .expect("with cert");
    assert_eq!(ok.status, 200, "{ok:?}");
    // TLS 1.3 reports the refusal on the first read, so either step may fail.
    let refused = https_get(addr, &pki.client(false), "/").await;
    assert!(refused.is_err(), "{refused:?}");

    // `requested` lets a client without a certificate in.
    let mut p = p;
    p.insert("listeners.https.ssl.client.auth".into(), "requested".into());
    let tls = tls::server_config(&p, tls::LISTENERS_HTTPS_PREFIX).expect("tls config");
    let addr = served(Some(tls), RestSecurity::default()).await;
    let a = https_get(addr, &pki.client(false), "/")
        .await
        .expect("without cert");
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn cors_preflight_and_simple_requests_get_jettys_headers() {
    let security = RestSecurity::from_worker_props(
        &props(&[
            ("access.control.allow.origin", "https://ui.example.com"),
            ("access.control.allow.methods", "GET,POST,PUT,DELETE"),
        ]),
        None,
    )
    .expect("security");
    let addr = served(None, security).await;
    let pre = http(
        addr,
        "OPTIONS",
        "/connectors",
        &[
            ("Origin", "https://ui.example.com"),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "Content-Type"),
        ],
    )
    .await;
    assert_eq!(pre.status, 200, "{pre:?}");
    assert_eq!(
        pre.header("access-control-allow-origin"),
        Some("https://ui.example.com")
    );
    assert_eq!(
        pre.header("access-control-allow-methods"),
        Some("GET,POST,PUT,DELETE")
    );
    assert_eq!(pre.header("access-control-max-age"), Some("1800"));
    let simple = http(
        addr,
        "GET",
        "/connectors",
        &[("Origin", "https://ui.example.com")],
    )
    .await;
    assert_eq!(
        simple.header("access-control-allow-origin"),
        Some("https://ui.example.com")
    );
    assert_eq!(
        simple.header("access-control-allow-credentials"),
        Some("true")
    );
    let foreign = http(
        addr,
        "GET",
        "/connectors",
        &[("Origin", "https://evil.example.com")],
    )
    .await;
    assert_eq!(foreign.status, 200);
    assert_eq!(foreign.header("access-control-allow-origin"), None);
}

/// A JAAS file and a credentials file for `user`/`password`.
fn jaas_files(dir: &Path, user: &str, password: &str) -> PathBuf {
    let users = dir.join("users.properties");
    std::fs::write(&users, format!("# users\n{user}: {password}\n")).expect("users");
    let jaas = dir.join("connect_jaas.conf");
    std::fs::write(
        &jaas,
        format!(
            "KafkaConnect {{\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file=\"{}\";\n}};\n",
            users.display()
        ),
    )
    .expect("jaas");
    jaas
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// Log output collected from the current thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn basic_auth_answers_401_as_kafka_and_200_with_the_right_password() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let dir = tempfile::tempdir().expect("tempdir");
    let password = "Pa55-w0rd-never-shown";
    let jaas = jaas_files(dir.path(), "alice", password);
    let opts = format!(
        "-Xmx512m -Djava.security.auth.login.config={}",
        jaas.display()
    );
    let security = RestSecurity::from_worker_props(
        &props(&[("rest.extension.classes", BASIC_AUTH)]),
        Some(&opts),
    )
    .expect("security");
    let addr = served(None, security).await;

    let mut answers = Vec::new();
    for path in ["/", "/health", "/connectors"] {
        let a = http(addr, "GET", path, &[]).await;
        assert_eq!(a.status, 401, "{path}: {a:?}");
        assert_eq!(a.body, "User cannot access the resource.");
        assert_eq!(
            a.header("www-authenticate"),
            Some(r#"Basic realm="KafkaConnect""#),
            "the challenge names the JAAS login context"
        );
        answers.push(a);
    }
    let wrong = http(
        addr,
        "GET",
        "/connectors",
        &[("Authorization", &basic("alice", "Pa55-w0rd-guess"))],
    )
    .await;
    assert_eq!(wrong.status, 401);
    let ok = http(
        addr,
        "GET",
        "/connectors",
        &[("Authorization", &basic("alice", password))],
    )
    .await;
    assert_eq!((ok.status, ok.body.as_str()), (200, "[]"));
    assert_eq!(
        wrong.header("www-authenticate"),
        Some(r#"Basic realm="KafkaConnect""#)
    );
    assert_eq!(ok.header("www-authenticate"), None);
    let not_base64 = http(
        addr,
        "GET",
        "/connectors",
        &[("Authorization", "Basic a-b=")],
    )
    .await;
    assert_eq!(not_base64.status, 500);
    assert_eq!(
        not_base64.body,
        r#"{"error_code":500,"message":"Illegal base64 character 2d"}"#
    );
    // The signed internal endpoints are exempt: the herder answers without credentials.
    let fence = http(addr, "PUT", "/connectors/c/fence", &[]).await;
    assert_eq!(
        (fence.status, fence.body.as_str()),
        (
            404,
            r#"{"error_code":404,"message":"Connector c not found"}"#
        )
    );
    // Unmatched paths are answered before the filter runs, as by Jersey.
    let missing = http(addr, "GET", "/nope", &[]).await;
    assert_eq!(missing.status, 404);
    answers.extend([wrong, ok, not_base64, fence, missing]);

    for a in &answers {
        assert!(
            !a.head.contains(password) && !a.body.contains(password),
            "{a:?}"
        );
    }
    let logged = String::from_utf8_lossy(&logs.0.lock().expect("lock")).into_owned();
    assert!(!logged.is_empty(), "the requests were logged");
    assert!(!logged.contains(password), "{logged}");
    assert!(!logged.contains("Pa55-w0rd-guess"), "{logged}");
}

#[tokio::test]
async fn basic_auth_over_https_with_the_sluice_jaas_setting() {
    let pki = Pki::new();
    let jaas = jaas_files(pki.dir.path(), "bob", "hunter2");
    let p = props(&[
        ("rest.extension.classes", BASIC_AUTH),
        (JAAS_CONFIG_FILE_CONFIG, &jaas.display().to_string()),
        ("ssl.keystore.location", &pki.path("server.p12")),
        ("ssl.keystore.type", "PKCS12"),
        ("ssl.keystore.password", "store-pw"),
    ]);
    let security = RestSecurity::from_worker_props(&p, None).expect("security");
    let tls = tls::server_config(&p, tls::LISTENERS_HTTPS_PREFIX).expect("tls");
    let addr = served(Some(tls), security).await;
    let a = https_get(addr, &pki.client(false), "/connectors")
        .await
        .expect("https");
    assert_eq!(a.status, 401);
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let s = pki
        .client(false)
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("tls");
    let a = exchange(
        s,
        "GET",
        "/connectors",
        &[("Authorization", &basic("bob", "hunter2"))],
    )
    .await
    .expect("https exchange");
    assert_eq!((a.status, a.body.as_str()), (200, "[]"));
}

#[test]
fn a_missing_jaas_or_credentials_file_refuses_start_up_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing_jaas = dir.path().join("no-such-jaas.conf");
    let p = props(&[
        ("rest.extension.classes", BASIC_AUTH),
        (JAAS_CONFIG_FILE_CONFIG, &missing_jaas.display().to_string()),
    ]);
    let err = RestSecurity::from_worker_props(&p, None)
        .expect_err("no jaas")
        .to_string();
    assert!(err.contains("no-such-jaas.conf"), "{err}");

    let jaas = jaas_files(dir.path(), "alice", "secret-pw");
    std::fs::remove_file(dir.path().join("users.properties")).expect("rm");
    let p = props(&[
        ("rest.extension.classes", BASIC_AUTH),
        (JAAS_CONFIG_FILE_CONFIG, &jaas.display().to_string()),
    ]);
    let err = RestSecurity::from_worker_props(&p, None)
        .expect_err("no users")
        .to_string();
    assert!(err.contains("users.properties"), "{err}");

    let mut f = std::fs::File::create(&jaas).expect("jaas");
    writeln!(f, "KafkaServer {{ org.example.Other required; }};").expect("write");
    let err = RestSecurity::from_worker_props(&p, None)
        .expect_err("no entry")
        .to_string();
    assert!(
        err.contains("connect_jaas.conf") && err.contains("KafkaConnect"),
        "{err}"
    );

    let p = props(&[("rest.extension.classes", BASIC_AUTH)]);
    let err = RestSecurity::from_worker_props(&p, None)
        .expect_err("no path")
        .to_string();
    assert!(err.contains(JAAS_CONFIG_FILE_CONFIG), "{err}");
}

#[tokio::test]
async fn admin_listeners_serve_only_the_logger_endpoints_and_without_basic_auth() {
    let dir = tempfile::tempdir().expect("tempdir");
    let jaas = jaas_files(dir.path(), "alice", "pw-1");
    let security = RestSecurity::from_worker_props(
        &props(&[
            ("rest.extension.classes", BASIC_AUTH),
            (JAAS_CONFIG_FILE_CONFIG, &jaas.display().to_string()),
        ]),
        None,
    )
    .expect("security");
    let serve_with = |endpoints: Endpoints| {
        let security = security.clone();
        async move {
            let (state, _, _) = testkit::state();
            let app = router(state.with_security(security).with_endpoints(endpoints));
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("addr");
            let never = std::future::pending::<()>();
            tokio::spawn(serve(listener, app, ServerLimits::default(), never));
            addr
        }
    };
    let auth = basic("alice", "pw-1");
    let main = serve_with(Endpoints::Regular).await;
    let a = http(main, "GET", "/admin/loggers", &[("Authorization", &auth)]).await;
    assert_eq!(a.status, 404, "{a:?}");
    let a = http(main, "GET", "/connectors", &[("Authorization", &auth)]).await;
    assert_eq!(a.status, 200, "{a:?}");
    // Kafka registers REST extensions on the main listeners' resources only.
    let admin = serve_with(Endpoints::Admin).await;
    let a = http(admin, "GET", "/admin/loggers", &[]).await;
    assert_eq!(a.status, 200, "{a:?}");
    let a = http(admin, "GET", "/connectors", &[]).await;
    assert_eq!(a.status, 404, "{a:?}");
    let all = serve_with(Endpoints::All).await;
    let a = http(all, "GET", "/admin/loggers", &[]).await;
    assert_eq!(a.status, 401, "{a:?}");
}
