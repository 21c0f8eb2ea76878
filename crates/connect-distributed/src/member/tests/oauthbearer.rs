//! SASL OAUTHBEARER: librdkafka's unsecured JWS, the RFC 7628 client first message, the OIDC
//! client-credentials request against a token endpoint served here, and the exchange with the
//! fake coordinator; and, when `tansu` is installed, what tansu 0.6 does with it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64URL};

use super::fake::{Fake, SaslServer, Seen};
use super::{View, assigned, settings, start, wait_for};
use crate::DistributedError;
use crate::member::GroupMember;
use crate::member::conn::Connection;
use crate::member::sasl::oauthbearer::{Unsecured, client_first_message};
use crate::member::security::Security;

fn client(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn at_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

#[test]
fn the_unsecured_jws_is_librdkafkas_for_the_same_config() {
    // librdkafka's own unit tests (rdkafka_sasl_oauthbearer.c), issued at 1000 ms.
    let cases = [
        (
            "principal=fubar",
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJmdWJhciIsImlhdCI6MS4wMDAsImV4cCI6MzYwMS4wMDB9.",
            3600,
        ),
        (
            "principal=fubar scope=role1,role2 lifeSeconds=60",
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJmdWJhciIsImlhdCI6MS4wMDAsImV4cCI6NjEuMDAwLCJzY29wZ\
             SI6WyJyb2xlMSIsInJvbGUyIl19.",
            60,
        ),
        (
            "principal=fubar principalClaimName=azp scope=role1,role2 scopeClaimName=roles \
             lifeSeconds=60",
            "eyJhbGciOiJub25lIn0.eyJhenAiOiJmdWJhciIsImlhdCI6MS4wMDAsImV4cCI6NjEuMDAwLCJyb2xlc\
             yI6WyJyb2xlMSIsInJvbGUyIl19.",
            60,
        ),
    ];
    for (config, expected, life) in cases {
        let (unsecured, extensions) = Unsecured::parse(config).unwrap();
        assert!(extensions.is_empty());
        let token = unsecured.token(at_ms(1000));
        assert_eq!(token.value, expected, "{config}");
        assert_eq!(token.principal, "fubar");
        assert_eq!(token.expires, at_ms(1000 + life * 1000));
    }
    // Empty and repeated scope elements are dropped; milliseconds are kept.
    let (unsecured, extensions) =
        Unsecured::parse("  principal=svc scope=a,,b,a extension_a=b extension_yz=yzval").unwrap();
    assert_eq!(
        extensions,
        [("a".into(), "b".into()), ("yz".into(), "yzval".into())]
    );
    let token = unsecured.token(at_ms(1_549_251_467_546));
    let claims = token.value.split('.').nth(1).unwrap();
    assert_eq!(
        String::from_utf8(BASE64URL.decode(claims).unwrap()).unwrap(),
        r#"{"sub":"svc","iat":1549251467.546,"exp":1549255067.546,"scope":["a","b"]}"#
    );
}

#[test]
fn an_unsecured_config_librdkafka_refuses_is_refused_with_its_message() {
    let cases = [
        (
            "extension_notaprincipal=hi",
            "Invalid sasl.oauthbearer.config: no principal=<value>",
        ),
        (
            "principal=fubar unrecognized",
            "Unrecognized sasl.oauthbearer.config beginning at: unrecognized",
        ),
        ("principal=", "Invalid sasl.oauthbearer.config: empty"),
        (
            "principal=fubar scope=",
            "Invalid sasl.oauthbearer.config: empty",
        ),
        (
            "principal=fubar lifeSeconds=",
            "Invalid sasl.oauthbearer.config: empty",
        ),
        ("principal=fubar lifeSeconds=1.5", "non-integral"),
        ("principal=fubar lifeSeconds=0", "out of range"),
        ("principal=\"fu", "'\"' cannot appear in principal"),
        ("principal=fubar scope=\"a,b", "'\"' cannot appear in scope"),
    ];
    for (config, message) in cases {
        let err = Unsecured::parse(config).unwrap_err();
        assert!(err.contains(message), "{config}: {err}");
    }
}

#[test]
fn the_client_first_message_is_rfc_7628s_with_the_extensions() {
    assert_eq!(
        client_first_message("abc.def.", &[]),
        b"n,,\x01auth=Bearer abc.def.\x01\x01"
    );
    assert_eq!(
        client_first_message(
            "t",
            &[("traceId".into(), "123".into()), ("b".into(), "x y".into())]
        ),
        b"n,,\x01auth=Bearer t\x01traceId=123\x01b=x y\x01\x01"
    );
}

fn start_err(pairs: &[(&str, &str)]) -> String {
    let mut s = settings("127.0.0.1:9");
    s.client = client(pairs);
    match GroupMember::start(s, View::new(0, &[])) {
        Err(e @ DistributedError::Config(_)) => e.to_string(),
        other => panic!(
            "{pairs:?}: expected a config error, got {:?}",
            other.map(|_| ())
        ),
    }
}

#[tokio::test]
async fn oauthbearer_settings_the_member_cannot_use_are_refused_at_start() {
    let base = [
        ("security.protocol", "sasl_plaintext"),
        ("sasl.mechanisms", "OAUTHBEARER"),
    ];
    let with = |more: &[(&'static str, &'static str)]| {
        let mut v = base.to_vec();
        v.extend_from_slice(more);
        v
    };
    let m = start_err(&with(&[]));
    assert!(
        m.contains("sasl.oauthbearer.method=oidc")
            && m.contains("enable.sasl.oauthbearer.unsecure.jwt"),
        "{m}"
    );
    let m = start_err(&with(&[
        ("sasl.oauthbearer.method", "oidc"),
        (
            "sasl.oauthbearer.token.endpoint.url",
            "http://127.0.0.1:9/token",
        ),
        ("sasl.oauthbearer.client.id", "id"),
    ]));
    assert!(m.contains("sasl.oauthbearer.client.secret"), "{m}");
    let m = start_err(&with(&[
        ("sasl.oauthbearer.method", "oidc"),
        ("sasl.oauthbearer.token.endpoint.url", "ftp://idp/token"),
        ("sasl.oauthbearer.client.id", "id"),
        ("sasl.oauthbearer.client.secret", "very-secret"),
    ]));
    assert!(m.contains("ftp") && !m.contains("very-secret"), "{m}");
    let m = start_err(&with(&[
        ("enable.sasl.oauthbearer.unsecure.jwt", "true"),
        ("sasl.oauthbearer.config", "principal=a extension_auth=x"),
    ]));
    assert!(m.contains("auth is reserved"), "{m}");
    let m = start_err(&with(&[
        ("enable.sasl.oauthbearer.unsecure.jwt", "true"),
        ("sasl.oauthbearer.config", "principal=a extension_a1=x"),
    ]));
    assert!(m.contains("\"a1\" is invalid"), "{m}");
}

/// A token endpoint on 127.0.0.1: answers every POST /token with the scripted status and body
/// and records each request's headers and body.
struct Endpoint {
    url: String,
    answer: Arc<Mutex<(u16, String)>>,
    requests: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    _server: tokio::task::JoinHandle<()>,
}

type EndpointState = (
    Arc<Mutex<(u16, String)>>,
    Arc<Mutex<Vec<(HeaderMap, String)>>>,
);

impl Endpoint {
    async fn start(status: u16, body: String) -> Endpoint {
        let answer = Arc::new(Mutex::new((status, body)));
        let requests: Arc<Mutex<Vec<(HeaderMap, String)>>> = Arc::default();
        let app = axum::Router::new()
            .route(
                "/token",
                post(
                    |State((answer, requests)): State<EndpointState>,
                     headers: HeaderMap,
                     body: String| async move {
                        requests.lock().unwrap().push((headers, body));
                        let (status, body) = answer.lock().unwrap().clone();
                        (
                            StatusCode::from_u16(status).unwrap(),
                            [("content-type", "application/json")],
                            body,
                        )
                    },
                ),
            )
            .with_state((answer.clone(), requests.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/token", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Endpoint {
            url,
            answer,
            requests,
            _server: server,
        }
    }

    fn requests(&self) -> Vec<(HeaderMap, String)> {
        self.requests.lock().unwrap().clone()
    }
}

/// A signed-looking JWT (the member does not check signatures; the broker does).
fn jwt(sub: &str, exp: u64) -> String {
    format!(
        "{}.{}.c2lnbmF0dXJl",
        BASE64URL.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
        BASE64URL.encode(format!(r#"{{"sub":"{sub}","exp":{exp},"iat":1}}"#))
    )
}

fn in_an_hour() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600
}

fn oidc_settings(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("security.protocol", "sasl_plaintext".into()),
        ("sasl.mechanisms", "OAUTHBEARER".into()),
        ("sasl.oauthbearer.method", "oidc".into()),
        ("sasl.oauthbearer.token.endpoint.url", url.into()),
        ("sasl.oauthbearer.client.id", "connect-worker".into()),
        ("sasl.oauthbearer.client.secret", "s3cr3t:value".into()),
        ("sasl.oauthbearer.scope", "kafka read".into()),
        (
            "sasl.oauthbearer.extensions",
            "traceId=abc,logicalCluster=lkc-1".into(),
        ),
    ]
}

fn owned(pairs: &[(&'static str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// The fake broker's OAUTHBEARER side: accepts exactly `expected`, else answers Kafka's way
/// (a JSON error challenge, then a failure once the client sends ^A).
fn bearer_server(expected: Vec<u8>) -> SaslServer {
    let mut failed = false;
    Box::new(move |msg: &[u8]| {
        if failed {
            assert_eq!(
                msg, b"\x01",
                "the client must answer the error with a lone ^A"
            );
            return Err(
                "Authentication failed during authentication due to invalid credentials \
                        with SASL mechanism OAUTHBEARER"
                    .into(),
            );
        }
        if msg == expected.as_slice() {
            Ok(Vec::new())
        } else {
            failed = true;
            Ok(br#"{"status":"invalid_token"}"#.to_vec())
        }
    })
}

#[tokio::test]
async fn a_member_joins_with_a_token_from_the_oidc_token_endpoint() {
    let token = jwt("connect-worker", in_an_hour());
    let endpoint = Endpoint::start(
        200,
        format!(r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":3600}}"#),
    )
    .await;
    let fake = Fake::start().await;
    let expected =
        format!("n,,\x01auth=Bearer {token}\x01traceId=abc\x01logicalCluster=lkc-1\x01\x01");
    fake.with(|s| {
        s.sasl = Some((
            "OAUTHBEARER".into(),
            Some(bearer_server(expected.clone().into_bytes())),
        ))
    });
    let mut s = settings(&fake.addr);
    s.client = owned(&oidc_settings(&endpoint.url));
    let (handle, mut rx) = start(s, View::new(0, &[]));
    assigned(&mut rx).await;
    let seen = fake.seen();
    assert_eq!(seen[0], Seen::SaslHandshake("OAUTHBEARER".into()));
    assert_eq!(seen[1], Seen::SaslAuthenticate(expected.into_bytes()));
    assert_eq!(seen[2], Seen::Find);
    handle.leave().await;

    // Kafka's ClientCredentialsRequestFormatter: HTTP Basic with the standard alphabet, the
    // scope URL-encoded as Java's URLEncoder does.
    let requests = endpoint.requests();
    let (headers, body) = &requests[0];
    assert_eq!(body, "grant_type=client_credentials&scope=kafka+read");
    assert_eq!(
        headers["authorization"],
        format!("Basic {}", BASE64.encode("connect-worker:s3cr3t:value"))
    );
    assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
    assert_eq!(headers["accept"], "application/json");
}

#[tokio::test]
async fn a_token_is_reused_until_most_of_its_lifetime_has_passed() {
    let endpoint = Endpoint::start(
        200,
        format!(r#"{{"access_token":"{}"}}"#, jwt("svc", in_an_hour())),
    )
    .await;
    let fake = Fake::start().await;
    fake.with(|s| {
        s.sasl = Some((
            "OAUTHBEARER".into(),
            Some(Box::new(|_: &[u8]| Ok(Vec::new()))),
        ))
    });
    let security = Security::from_client(&owned(&oidc_settings(&endpoint.url))).unwrap();
    for _ in 0..3 {
        Connection::open(&fake.addr, &security, "t", Duration::from_secs(5))
            .await
            .unwrap();
    }
    assert_eq!(endpoint.requests().len(), 1);

    // A token with 1 s left is past 80 % of any lifetime that began before now.
    let now = in_an_hour() - 3600;
    *endpoint.answer.lock().unwrap() = (
        200,
        format!(r#"{{"access_token":"{}"}}"#, jwt("svc", now + 1)),
    );
    let security = Security::from_client(&owned(&oidc_settings(&endpoint.url))).unwrap();
    Connection::open(&fake.addr, &security, "t", Duration::from_secs(5))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    Connection::open(&fake.addr, &security, "t", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(endpoint.requests().len(), 3);
}

async fn oidc_error(endpoint_url: &str) -> String {
    let fake = Fake::start().await;
    fake.with(|s| {
        s.sasl = Some((
            "OAUTHBEARER".into(),
            Some(Box::new(|_: &[u8]| Ok(Vec::new()))),
        ))
    });
    let security = Security::from_client(&owned(&oidc_settings(endpoint_url))).unwrap();
    let err = Connection::open(&fake.addr, &security, "t", Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(
        matches!(err, DistributedError::Authentication { .. }),
        "{err:?}"
    );
    assert!(
        !fake
            .seen()
            .iter()
            .any(|s| matches!(s, Seen::SaslAuthenticate(_))),
        "no token, so nothing is sent"
    );
    let message = err.to_string();
    assert!(!message.contains("s3cr3t"), "{message}");
    message
}

#[tokio::test]
async fn token_endpoint_failures_name_their_cause_and_never_the_secret() {
    let endpoint = Endpoint::start(
        401,
        r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#.into(),
    )
    .await;
    let m = oidc_error(&endpoint.url).await;
    assert!(
        m.contains("SASL OAUTHBEARER authentication")
            && m.contains("HTTP 401")
            && m.contains("invalid_client - Client authentication failed"),
        "{m}"
    );

    *endpoint.answer.lock().unwrap() = (
        200,
        r#"{"token_type":"Bearer","refresh_token":"rt-secret"}"#.into(),
    );
    let m = oidc_error(&endpoint.url).await;
    assert!(
        m.contains("no access_token") && m.contains("token_type") && !m.contains("rt-secret"),
        "{m}"
    );

    *endpoint.answer.lock().unwrap() = (200, r#"{"access_token":"opaque-token-value"}"#.into());
    let m = oidc_error(&endpoint.url).await;
    assert!(
        m.contains("not a JWT") && !m.contains("opaque-token-value"),
        "{m}"
    );

    // A port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", closed.local_addr().unwrap());
    drop(closed);
    let m = oidc_error(&url).await;
    assert!(m.contains("unreachable") && m.contains(&url), "{m}");
}

#[tokio::test]
async fn a_token_the_broker_rejects_is_reported_with_the_brokers_error() {
    let fake = Fake::start().await;
    fake.with(|s| {
        s.sasl = Some((
            "OAUTHBEARER".into(),
            Some(bearer_server(b"not what the member sends".to_vec())),
        ))
    });
    let mut s = settings(&fake.addr);
    s.client = client(&[
        ("security.protocol", "sasl_plaintext"),
        ("sasl.mechanisms", "OAUTHBEARER"),
        ("enable.sasl.oauthbearer.unsecure.jwt", "true"),
        ("sasl.oauthbearer.config", "principal=alice"),
    ]);
    let (handle, _rx) = start(s, View::new(0, &[]));
    let status = handle.status();
    wait_for("the failure", || status.borrow().last_error.is_some()).await;
    let error = handle.status().borrow().last_error.clone().unwrap();
    assert!(
        error.contains("SASL OAUTHBEARER authentication")
            && error.contains("rejected the token of principal alice")
            && error.contains("invalid_token")
            && error.contains("invalid credentials"),
        "{error}"
    );
    assert!(!error.contains("eyJ"), "the token is not shown: {error}");
    let seen = fake.seen();
    assert_eq!(seen[2], Seen::SaslAuthenticate(b"\x01".to_vec()));
    assert!(!seen.contains(&Seen::Find));
    handle.leave().await;
}

#[tokio::test]
async fn an_unsecured_token_authenticates_the_member() {
    let fake = Fake::start().await;
    let sent: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let record = sent.clone();
    fake.with(|s| {
        s.sasl = Some((
            "OAUTHBEARER".into(),
            Some(Box::new(move |m: &[u8]| {
                record.lock().unwrap().push(m.to_vec());
                Ok(Vec::new())
            })),
        ))
    });
    let mut s = settings(&fake.addr);
    s.client = client(&[
        ("security.protocol", "sasl_plaintext"),
        ("sasl.mechanisms", "OAUTHBEARER"),
        ("enable.sasl.oauthbearer.unsecure.jwt", "true"),
        (
            "sasl.oauthbearer.config",
            "principal=alice scope=a,b extension_traceId=9",
        ),
    ]);
    let (handle, mut rx) = start(s, View::new(0, &[]));
    assigned(&mut rx).await;
    handle.leave().await;
    let first = String::from_utf8(sent.lock().unwrap()[0].clone()).unwrap();
    let token = first
        .strip_prefix("n,,\x01auth=Bearer ")
        .and_then(|r| r.strip_suffix("\x01traceId=9\x01\x01"))
        .unwrap_or_else(|| panic!("{first:?}"));
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(BASE64URL.decode(parts[0]).unwrap(), br#"{"alg":"none"}"#);
    assert_eq!(parts[2], "");
    let claims: serde_json::Value =
        serde_json::from_slice(&BASE64URL.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["scope"], serde_json::json!(["a", "b"]));
    let life = claims["exp"].as_f64().unwrap() - claims["iat"].as_f64().unwrap();
    assert!((life - 3600.0).abs() < 0.01, "{claims}");
}

/// `tansu` on `PATH` or in `~/.cargo/bin`, where `scripts/stack.sh install` puts it.
fn tansu() -> Option<std::path::PathBuf> {
    let home = std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo/bin"));
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .chain(home)
        .map(|dir| dir.join("tansu"))
        .find(|p| p.is_file())
}

/// A private tansu requiring SASL on a free loopback port (never the shared :9092), killed
/// when dropped, its debug log in `log`.
async fn private_tansu(
    tansu: &std::path::Path,
    log: &std::path::Path,
) -> (tokio::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let url = format!("tcp://{addr}");
    let child = tokio::process::Command::new(tansu)
        .args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
        ])
        .args(["--storage-engine", "memory://tansu/", "--authentication"])
        .env("RUST_LOG", "tansu_auth=debug,rsasl=debug")
        // tansu logs to stdout.
        .stdout(std::fs::File::create(log).unwrap())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&addr).await.is_ok() {
            return (child, addr);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("tansu did not listen on {addr}");
}

#[tokio::test]
async fn tansu_0_6_parses_the_oauthbearer_message_but_refuses_every_token() {
    let Some(tansu) = tansu() else {
        eprintln!("tansu not installed: skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("tansu.log");
    let (mut child, addr) = private_tansu(&tansu, &log).await;
    let security = Security::from_client(&client(&[
        ("security.protocol", "sasl_plaintext"),
        ("sasl.mechanisms", "OAUTHBEARER"),
        ("enable.sasl.oauthbearer.unsecure.jwt", "true"),
        ("sasl.oauthbearer.config", "principal=alice"),
    ]))
    .unwrap();
    let err = Connection::open(&addr, &security, "t", Duration::from_secs(10))
        .await
        .unwrap_err()
        .to_string();
    child.kill().await.unwrap();
    assert!(
        err.contains("rejected the token of principal alice")
            && err.contains("SASL Authentication failed"),
        "{err}"
    );
    // The message parsed (rsasl's OAUTHBEARER parser would log `Parse(…)`), and the session
    // then failed because tansu's callback never validates a bearer token: tansu 0.6 offers
    // OAUTHBEARER but cannot accept any token.
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains(
            r#"NoCallback("rsasl::mechanisms::oauthbearer::properties::OAuthBearerValidate")"#
        ) && !log.contains("Parse("),
        "{log}"
    );
}
