//! Requests another worker must serve (`HerderRequestHandler.completeOrForwardRequest`): a
//! follower's router, whose herder answers "ask the leader", forwards writes over HTTP to a
//! leader's router on a real listener, with Kafka's `forward` hops and 409s; the signed
//! internal `POST /connectors/{c}/tasks` reaches the herder with its body and signature, and
//! the signed `PUT /connectors/{c}/fence` is answered by the leader with Kafka's statuses.
//! Over https (a private CA made with `openssl` and `keytool`), the follower trusts and
//! presents what the worker's REST TLS settings name, as Kafka's `RestClient` does.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use connect_api::Props;
use connect_api::config::{ConfigInfos, ConfigKeyInfo};
use connect_rest::security::tls;
use connect_rest::testkit::{self, FakeHerder};
use connect_rest::{AppState, Forwarder, ServerLimits, router, serve, serve_tls};
use connect_runtime::entities::{
    ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, Health, Message, PluginInfo, ServerInfo,
    TargetState, TaskInfo, TaskProgressInfo, TaskState, Upserted,
};
use connect_runtime::worker::cluster::KeySettings;
use connect_runtime::{Herder, HerderError, SignatureHeaders};
use connect_storage::SessionKey;
use http::StatusCode;
use tower::ServiceExt;

/// What the internal endpoint handed the herder: connector, body, configs read, signature.
type InternalCall = (
    String,
    Vec<u8>,
    Option<Vec<Props>>,
    Option<SignatureHeaders>,
);

/// A follower: reads from the fake cluster state, every write "only the leader can".
#[derive(Debug)]
struct Follower {
    reads: Arc<FakeHerder>,
    leader: Option<String>,
    internal: Mutex<Vec<InternalCall>>,
}

impl Follower {
    fn not_leader<T>(&self) -> Result<T, HerderError> {
        Err(HerderError::request_target(
            "Only the leader can set connector configs.",
            self.leader.clone(),
        ))
    }
}

#[async_trait]
impl Herder for Follower {
    async fn server_info(&self) -> ServerInfo {
        self.reads.server_info().await
    }
    async fn health(&self) -> Health {
        self.reads.health().await
    }
    async fn connectors(&self) -> Result<Vec<String>, HerderError> {
        self.reads.connectors().await
    }
    async fn connector_info(&self, name: &str) -> Result<ConnectorInfo, HerderError> {
        self.reads.connector_info(name).await
    }
    async fn connector_config(&self, name: &str) -> Result<Props, HerderError> {
        self.reads.connector_config(name).await
    }
    async fn put_connector_config(
        &self,
        _: &str,
        _: Props,
        _: bool,
        _: Option<TargetState>,
    ) -> Result<Upserted, HerderError> {
        self.not_leader()
    }
    async fn patch_connector_config(
        &self,
        _: &str,
        _: BTreeMap<String, Option<String>>,
    ) -> Result<ConnectorInfo, HerderError> {
        self.not_leader()
    }
    async fn delete_connector(&self, _: &str) -> Result<(), HerderError> {
        self.not_leader()
    }
    async fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo, HerderError> {
        self.reads.connector_status(name).await
    }
    async fn task_status(&self, name: &str, task: u32) -> Result<TaskState, HerderError> {
        self.reads.task_status(name, task).await
    }
    async fn task_progress(&self, name: &str, task: u32) -> Result<TaskProgressInfo, HerderError> {
        self.reads.task_progress(name, task).await
    }
    async fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>, HerderError> {
        self.reads.task_configs(name).await
    }
    async fn restart_connector(
        &self,
        _: &str,
        _: bool,
        _: bool,
    ) -> Result<Option<ConnectorStateInfo>, HerderError> {
        self.not_leader()
    }
    async fn restart_task(&self, _: &str, _: u32) -> Result<(), HerderError> {
        self.not_leader()
    }
    async fn pause_connector(&self, name: &str) -> Result<(), HerderError> {
        self.reads.pause_connector(name).await
    }
    async fn resume_connector(&self, name: &str) -> Result<(), HerderError> {
        self.reads.resume_connector(name).await
    }
    async fn stop_connector(&self, _: &str) -> Result<(), HerderError> {
        self.not_leader()
    }
    async fn connector_topics(&self, name: &str) -> Result<Vec<String>, HerderError> {
        self.reads.connector_topics(name).await
    }
    async fn reset_connector_topics(&self, name: &str) -> Result<(), HerderError> {
        self.reads.reset_connector_topics(name).await
    }
    async fn connector_offsets(&self, name: &str) -> Result<ConnectorOffsets, HerderError> {
        self.reads.connector_offsets(name).await
    }
    async fn alter_connector_offsets(
        &self,
        _: &str,
        _: ConnectorOffsets,
    ) -> Result<Message, HerderError> {
        self.not_leader()
    }
    async fn reset_connector_offsets(&self, _: &str) -> Result<Message, HerderError> {
        self.not_leader()
    }
    async fn put_task_configs(
        &self,
        name: &str,
        body: &[u8],
        configs: Option<Vec<Props>>,
        signature: Option<SignatureHeaders>,
    ) -> Result<(), HerderError> {
        if let Ok(mut seen) = self.internal.lock() {
            seen.push((name.to_owned(), body.to_vec(), configs, signature));
        }
        Ok(())
    }
    async fn fence_zombie_source_tasks(
        &self,
        _: &str,
        _: &[u8],
        _: Option<SignatureHeaders>,
    ) -> Result<(), HerderError> {
        Err(HerderError::request_target(
            "Only the leader may perform zombie fencing.",
            self.leader.clone(),
        ))
    }
    fn plugins(&self, connectors_only: bool) -> Vec<PluginInfo> {
        self.reads.plugins(connectors_only)
    }
    fn plugin_config(&self, plugin: &str) -> Result<Vec<ConfigKeyInfo>, HerderError> {
        self.reads.plugin_config(plugin)
    }
    async fn validate_connector_config(&self, config: Props) -> Result<ConfigInfos, HerderError> {
        self.reads.validate_connector_config(config).await
    }
}

/// A leader on a real listener; the request targets it saw, in order.
async fn leader() -> (String, Arc<FakeHerder>, Arc<Mutex<Vec<String>>>) {
    leader_served(None, "127.0.0.1").await
}

/// A leader on a real listener, over TLS when `tls` is given, with its URL naming `host`.
async fn leader_served(
    tls: Option<Arc<rustls::ServerConfig>>,
    host: &str,
) -> (String, Arc<FakeHerder>, Arc<Mutex<Vec<String>>>) {
    let (state, herder, _) = testkit::state();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = router(state).layer(middleware::from_fn(move |req: Request, next: Next| {
        let log = log.clone();
        async move {
            let auth = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_owned();
            if let Ok(mut l) = log.lock() {
                l.push(format!("{} {} auth={auth}", req.method(), req.uri()));
            }
            next.run(req).await
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let never = std::future::pending();
    let url = match tls {
        Some(tls) => {
            tokio::spawn(serve_tls(
                listener,
                app,
                ServerLimits::default(),
                tls,
                never,
            ));
            format!("https://{host}:{port}/")
        }
        None => {
            tokio::spawn(serve(listener, app, ServerLimits::default(), never));
            format!("http://{host}:{port}/")
        }
    };
    (url, herder, seen)
}

fn follower(leader: Option<String>) -> (axum::Router, Arc<Follower>, Arc<FakeHerder>) {
    follower_with(leader, Forwarder::new(Duration::from_secs(10)).unwrap())
}

fn follower_with(
    leader: Option<String>,
    forwarder: Forwarder,
) -> (axum::Router, Arc<Follower>, Arc<FakeHerder>) {
    let (_, reads, loggers) = testkit::state();
    let herder = Arc::new(Follower {
        reads: reads.clone(),
        leader,
        internal: Mutex::new(Vec::new()),
    });
    let state =
        AppState::new(herder.clone(), loggers, "http://localhost:8083").with_forwarder(forwarder);
    (router(state), herder, reads)
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (StatusCode, http::HeaderMap, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "follower:8083");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if !body.is_empty() {
        req = req.header("content-type", "application/json");
    }
    let resp: Response = app
        .clone()
        .oneshot(req.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

const CREATE: &str = r#"{"name":"c","config":{"connector.class":"FileStreamSource","topic":"t"}}"#;

#[tokio::test]
async fn a_follower_forwards_writes_to_the_leader_and_answers_with_its_answer() {
    let (url, leader_herder, seen) = leader().await;
    let (app, _, _) = follower(Some(url.clone()));

    // A create on the follower is served by the leader, with the credentials and one hop left.
    let (status, headers, body) = call(
        &app,
        "POST",
        "/connectors",
        &[("authorization", "Basic dTpw")],
        CREATE,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.starts_with(r#"{"name":"c","config":{"#), "{body}");
    assert_eq!(
        headers.get("location").and_then(|v| v.to_str().ok()),
        Some("http://follower:8083/connectors/c"),
        "the Location names the worker asked"
    );
    assert!(
        leader_herder.config_of("c").is_some(),
        "the leader wrote it"
    );
    // A leader's error comes back as it is, and other query parameters go along.
    let (status, _, body) = call(&app, "POST", "/connectors", &[], CREATE).await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::CONFLICT,
            r#"{"error_code":409,"message":"Connector c already exists"}"#
        )
    );
    let (status, _, _) = call(
        &app,
        "POST",
        "/connectors/c/restart?onlyFailed=false",
        &[],
        "",
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = call(&app, "DELETE", "/connectors/c", &[], "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(leader_herder.config_of("c").is_none());
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "POST /connectors?forward=true auth=Basic dTpw",
            "POST /connectors?forward=true auth=-",
            "POST /connectors/c/restart?forward=true&onlyFailed=false auth=-",
            "DELETE /connectors/c?forward=true auth=-",
        ]
    );
}

#[tokio::test]
async fn hops_are_limited_to_two_and_an_unknown_leader_is_a_409() {
    let (url, _, seen) = leader().await;
    let (app, _, _) = follower(Some(url));
    // A request that already came from another worker goes on once more, marked as the last hop.
    let (status, _, _) = call(&app, "POST", "/connectors?forward=true", &[], CREATE).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        seen.lock().unwrap()[0],
        "POST /connectors?forward=false auth=-"
    );
    // One marked as the last hop is not forwarded again.
    let (status, _, body) = call(&app, "POST", "/connectors?forward=false", &[], CREATE).await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::CONFLICT,
            r#"{"error_code":409,"message":"Cannot complete request because of a conflicting operation (e.g. worker rebalance)"}"#
        )
    );
    // Without a known leader, Kafka's "momentarily" 409.
    let (app, _, _) = follower(None);
    let (status, _, body) = call(&app, "DELETE", "/connectors/c", &[], "").await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::CONFLICT,
            r#"{"error_code":409,"message":"Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway."}"#
        )
    );
}

#[tokio::test]
async fn a_leader_that_cannot_be_reached_is_an_io_error_500() {
    let (app, _, _) = follower(Some("http://127.0.0.1:1/".to_owned()));
    let (status, _, body) = call(&app, "PUT", "/connectors/c/stop", &[], "").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        body.starts_with(
            r#"{"error_code":500,"message":"IO Error trying to forward REST request: "#
        ),
        "{body}"
    );
}

#[tokio::test]
async fn the_signed_internal_endpoint_hands_body_and_signature_to_the_herder() {
    let (app, herder, _) = follower(None);
    let body = r#"[{"a":"1"}]"#;
    let (status, _, _) = call(
        &app,
        "POST",
        "/connectors/c/tasks",
        &[
            ("X-Connect-Authorization", "c2lnbmVk"),
            ("X-Connect-Request-Signature-Algorithm", "HmacSHA256"),
        ],
        body,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = call(&app, "POST", "/connectors/c/tasks/", &[], body).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let seen = herder.internal.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            (
                "c".to_owned(),
                body.as_bytes().to_vec(),
                Some(vec![Props::from([("a".to_owned(), "1".to_owned())])]),
                Some(SignatureHeaders {
                    algorithm: "HmacSHA256".into(),
                    signature: "c2lnbmVk".into(),
                })
            ),
            (
                "c".to_owned(),
                body.as_bytes().to_vec(),
                Some(vec![Props::from([("a".to_owned(), "1".to_owned())])]),
                None
            ),
        ]
    );
    // The connectors resource still answers a method it lacks there.
    let (status, _, _) = call(&app, "DELETE", "/connectors/c/tasks", &[], "").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    // `fromHeaders` runs in the resource: a signature the JVM cannot read never reaches the
    // herder.
    let (status, _, text) = call(
        &app,
        "POST",
        "/connectors/c/tasks",
        &[
            ("X-Connect-Authorization", "c2lnbmVk"),
            ("X-Connect-Request-Signature-Algorithm", "HmacSHA999"),
        ],
        body,
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::BAD_REQUEST,
            r#"{"error_code":400,"message":"Algorithm HmacSHA999 not available"}"#
        )
    );
    assert_eq!(herder.internal.lock().unwrap().len(), 2);
}

/// `InternalConnectResource.putTaskConfigs` reads its body with a plain `ObjectMapper` before the
/// herder sees it: an empty body, a non-list and a non-map entry are Jackson's 500s, as the JVM
/// worker (Kafka Connect 4.3, checked with curl) answers them, and the herder is never called.
#[tokio::test]
async fn the_internal_endpoint_answers_an_unreadable_body_as_jackson_does() {
    let (app, herder, _) = follower(None);
    let redacted = "[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)";
    let cases = [
        (
            "",
            format!("No content to map due to end-of-input\n at {redacted}; line: 1]"),
        ),
        (
            "\n \n ",
            format!("No content to map due to end-of-input\n at {redacted}; line: 1]"),
        ),
        (
            "{}",
            format!(
                "Cannot deserialize value of type `java.util.ArrayList<java.util.Map<java.lang.String,java.lang.String>>` from Object value (token `JsonToken.START_OBJECT`)\n at {redacted}; line: 1, column: 1]"
            ),
        ),
        (
            "[1]",
            format!(
                "Cannot deserialize value of type `java.util.LinkedHashMap<java.lang.String,java.lang.String>` from Integer value (token `JsonToken.VALUE_NUMBER_INT`)\n at {redacted}; line: 1, column: 2] (through reference chain: java.util.ArrayList[0])"
            ),
        ),
        (
            r#"[{"a":{}}]"#,
            format!(
                "Cannot deserialize value of type `java.lang.String` from Object value (token `JsonToken.START_OBJECT`)\n at {redacted}; line: 1, column: 7] (through reference chain: java.util.ArrayList[0]->java.util.LinkedHashMap[\"a\"])"
            ),
        ),
    ];
    for (body, message) in cases {
        let (status, _, text) = call(&app, "POST", "/connectors/c/tasks", &[], body).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body:?}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["error_code"], 500, "{body:?}");
        assert_eq!(json["message"], message.as_str(), "{body:?}");
    }
    assert!(herder.internal.lock().unwrap().is_empty());
}

/// A source and a sink connector on a fake herder.
async fn source_and_sink(herder: &FakeHerder) {
    for (name, class, key) in [
        ("src", "FileStreamSource", "topic"),
        ("snk", "FileStreamSink", "topics"),
    ] {
        let config = Props::from([
            ("name".to_owned(), name.to_owned()),
            ("connector.class".to_owned(), class.to_owned()),
            (key.to_owned(), "t".to_owned()),
        ]);
        herder
            .put_connector_config(name, config, false, None)
            .await
            .unwrap();
    }
}

fn session_key() -> SessionKey {
    SessionKey {
        key: b"0123456789abcdef0123456789abcdef".to_vec(),
        algorithm: "HmacSHA256".to_owned(),
        creation_timestamp: 0,
    }
}

/// `DistributedHerder.doFenceZombieSourceTasks` on the leader: a `void` resource method, so a
/// source connector is `204` with no body; Kafka's 404 and 400 otherwise.
#[tokio::test]
async fn the_leader_answers_a_fence_for_a_source_connector_with_204_and_no_body() {
    let (state, herder, _) = testkit::state();
    source_and_sink(&herder).await;
    let app = router(state);
    for uri in ["/connectors/src/fence", "/connectors/src/fence/"] {
        let (status, headers, body) = call(&app, "PUT", uri, &[], "").await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::NO_CONTENT, ""),
            "{uri}"
        );
        assert_eq!(headers.get("content-type"), None, "{uri}");
    }
    let (status, _, body) = call(&app, "PUT", "/connectors/nope/fence", &[], "").await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::NOT_FOUND,
            r#"{"error_code":404,"message":"Connector nope not found"}"#
        )
    );
    let (status, _, body) = call(&app, "PUT", "/connectors/snk/fence", &[], "").await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            r#"{"error_code":400,"message":"Connector snk is not a source connector"}"#
        )
    );
    // The resource declares no `@Consumes`: a body of any type reaches the herder.
    let (status, _, body) = call(
        &app,
        "PUT",
        "/connectors/src/fence",
        &[("content-type", "text/plain")],
        "",
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::NO_CONTENT, ""));
}

/// `requestNotSignedProperly` under the `sessioned` protocol, after `fromHeaders` in the resource.
#[tokio::test]
async fn under_sessioned_a_fence_must_be_signed_with_the_session_key() {
    let (state, herder, _) = testkit::state();
    source_and_sink(&herder).await;
    herder.set_session_key(Some(session_key()));
    let app = router(state);
    let signed = KeySettings::default().sign(&session_key(), b"").unwrap();
    let header = |name: &str| {
        signed
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let (mac, algorithm) = (
        header("X-Connect-Authorization"),
        header("X-Connect-Request-Signature-Algorithm"),
    );
    let with = |mac: &str, algorithm: &str| {
        vec![
            ("X-Connect-Authorization".to_owned(), mac.to_owned()),
            (
                "X-Connect-Request-Signature-Algorithm".to_owned(),
                algorithm.to_owned(),
            ),
        ]
    };
    let cases = [
        (
            Vec::new(),
            "",
            StatusCode::BAD_REQUEST,
            r#"{"error_code":400,"message":"Internal request missing required signature"}"#,
        ),
        (
            // Only one of the two headers: no signature at all.
            with(&mac, &algorithm)[..1].to_vec(),
            "",
            StatusCode::BAD_REQUEST,
            r#"{"error_code":400,"message":"Internal request missing required signature"}"#,
        ),
        (
            // Signed for an empty body, sent with one.
            with(&mac, &algorithm),
            "{}",
            StatusCode::FORBIDDEN,
            r#"{"error_code":403,"message":"Internal request contained invalid signature."}"#,
        ),
        (
            with(&mac, "HmacSHA999"),
            "",
            StatusCode::BAD_REQUEST,
            r#"{"error_code":400,"message":"Algorithm HmacSHA999 not available"}"#,
        ),
        (with(&mac, &algorithm), "", StatusCode::NO_CONTENT, ""),
    ];
    for (headers, body, status, text) in cases {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let answer = call(&app, "PUT", "/connectors/src/fence", &headers, body).await;
        assert_eq!(
            (answer.0, answer.2.as_str()),
            (status, text),
            "{headers:?} {body:?}"
        );
    }
    // The signature is checked before the connector is looked up.
    let (status, _, body) = call(&app, "PUT", "/connectors/nope/fence", &[], "").await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            r#"{"error_code":400,"message":"Internal request missing required signature"}"#
        )
    );
}

/// A follower forwards a fence to the leader (`completeOrForwardRequest`), which, as Kafka's
/// `RestClient`, gets only the `Authorization` header: without `sessioned` the leader's 204 comes
/// back; under it, the leader's 400 for the signature that did not go along.
#[tokio::test]
async fn a_follower_forwards_a_fence_to_the_leader_without_its_signature() {
    let (url, leader_herder, seen) = leader().await;
    source_and_sink(&leader_herder).await;
    let (app, _, _) = follower(Some(url));
    let (status, headers, body) = call(
        &app,
        "PUT",
        "/connectors/src/fence",
        &[("authorization", "Basic dTpw")],
        "",
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::NO_CONTENT, ""));
    assert_eq!(headers.get("content-type"), None);
    let (status, _, body) = call(&app, "PUT", "/connectors/snk/fence", &[], "").await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            r#"{"error_code":400,"message":"Connector snk is not a source connector"}"#
        )
    );
    leader_herder.set_session_key(Some(session_key()));
    let signed = KeySettings::default().sign(&session_key(), b"").unwrap();
    let headers: Vec<(&str, &str)> = signed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, body) = call(&app, "PUT", "/connectors/src/fence", &headers, "").await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::BAD_REQUEST,
            r#"{"error_code":400,"message":"Internal request missing required signature"}"#
        )
    );
    assert_eq!(
        seen.lock().unwrap().clone(),
        [
            "PUT /connectors/src/fence?forward=true auth=Basic dTpw",
            "PUT /connectors/snk/fence?forward=true auth=-",
            "PUT /connectors/src/fence?forward=true auth=-",
        ]
    );
}

fn run(dir: &std::path::Path, program: &str, args: &[&str]) {
    let out = std::process::Command::new(program)
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

/// A private CA; a leader certificate for `localhost` only, in a JKS keystore; a follower
/// (client) certificate in PKCS12 and PEM keystores; the CA as PEM and in a JKS truststore.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let days = ["-days", "2"];
        run(
            d,
            "openssl",
            &[
                &["req", "-x509", "-newkey", "rsa:2048", "-nodes"][..],
                &[
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                    "-subj",
                    "/CN=forward-ca",
                ],
                &days,
            ]
            .concat(),
        );
        for (name, ext) in [
            (
                "leader",
                "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n",
            ),
            ("follower", "extendedKeyUsage=clientAuth\n"),
        ] {
            std::fs::write(
                d.join(format!("{name}.ext")),
                format!("basicConstraints=CA:FALSE\n{ext}"),
            )
            .unwrap();
            let (key, csr, pem) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.pem"),
            );
            let subject = format!("/CN={name}");
            run(
                d,
                "openssl",
                &[
                    "req", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr, "-subj",
                    &subject,
                ],
            );
            run(
                d,
                "openssl",
                &[
                    &[
                        "x509", "-req", "-in", &csr, "-CA", "ca.pem", "-CAkey", "ca.key",
                    ][..],
                    &[
                        "-CAcreateserial",
                        "-out",
                        &pem,
                        "-extfile",
                        &format!("{name}.ext"),
                    ],
                    &days,
                ]
                .concat(),
            );
            run(
                d,
                "openssl",
                &[
                    "pkcs12",
                    "-export",
                    "-in",
                    &pem,
                    "-inkey",
                    &key,
                    "-out",
                    &format!("{name}.p12"),
                    "-passout",
                    "pass:store-pw",
                    "-name",
                    name,
                ],
            );
            let keystore = format!(
                "{}{}",
                std::fs::read_to_string(d.join(&key)).unwrap(),
                std::fs::read_to_string(d.join(&pem)).unwrap()
            );
            std::fs::write(d.join(format!("{name}-keystore.pem")), keystore).unwrap();
        }
        run(
            d,
            "keytool",
            &[
                "-importkeystore",
                "-srckeystore",
                "leader.p12",
                "-srcstoretype",
                "PKCS12",
                "-srcstorepass",
                "store-pw",
                "-destkeystore",
                "leader.jks",
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

    /// The leader's listener: its JKS keystore, and client certificates the CA signed
    /// required.
    fn leader_tls(&self) -> Arc<rustls::ServerConfig> {
        tls::server_config(
            &props(&[
                (
                    "listeners.https.ssl.keystore.location",
                    &self.path("leader.jks"),
                ),
                ("listeners.https.ssl.keystore.password", "store-pw"),
                ("listeners.https.ssl.truststore.type", "PEM"),
                (
                    "listeners.https.ssl.truststore.location",
                    &self.path("ca.pem"),
                ),
                ("listeners.https.ssl.client.auth", "required"),
            ]),
            tls::LISTENERS_HTTPS_PREFIX,
        )
        .unwrap()
    }
}

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn worker_forwarder(pairs: &[(&str, &str)]) -> Forwarder {
    Forwarder::for_worker(&props(pairs), Duration::from_secs(10)).unwrap()
}

const IO_ERROR: &str = r#"{"error_code":500,"message":"IO Error trying to forward REST request: "#;

#[tokio::test]
async fn a_follower_forwards_to_an_https_leader_with_the_worker_truststore_and_keystore() {
    let pki = Pki::new();
    let (url, leader_herder, seen) = leader_served(Some(pki.leader_tls()), "localhost").await;
    let (ca, trust_jks) = (pki.path("ca.pem"), pki.path("trust.jks"));
    let (p12, pem) = (pki.path("follower.p12"), pki.path("follower-keystore.pem"));
    let configs = [
        // The listener's settings, as Kafka's RestClient reads them first.
        vec![
            ("listeners.https.ssl.truststore.type", "PEM"),
            ("listeners.https.ssl.truststore.location", ca.as_str()),
            ("listeners.https.ssl.keystore.type", "PKCS12"),
            ("listeners.https.ssl.keystore.location", p12.as_str()),
            ("listeners.https.ssl.keystore.password", "store-pw"),
            // Not read: the prefixed settings replace the plain ones all or nothing.
            ("ssl.truststore.location", "/nonexistent.jks"),
        ],
        // Without any `listeners.https.` key, the plain `ssl.*` ones.
        vec![
            ("ssl.truststore.location", trust_jks.as_str()),
            ("ssl.truststore.password", "trust-pw"),
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.location", pem.as_str()),
        ],
    ];
    for (i, config) in configs.iter().enumerate() {
        let forwarder = worker_forwarder(config);
        assert_eq!(forwarder.tls_problem(), None);
        let (app, _, _) = follower_with(Some(url.clone()), forwarder);
        let name = format!("c{i}");
        let create = CREATE.replace(r#""name":"c""#, &format!(r#""name":"{name}""#));
        let (status, _, body) = call(&app, "POST", "/connectors", &[], &create).await;
        assert_eq!(status, StatusCode::CREATED, "{config:?}: {body}");
        assert!(leader_herder.config_of(&name).is_some(), "{config:?}");
    }
    assert_eq!(seen.lock().unwrap().len(), 2);

    // The keystore is what the leader's `ssl.client.auth=required` let in: without it the
    // handshake is refused.
    let no_keystore = worker_forwarder(&[
        ("ssl.truststore.type", "PEM"),
        ("ssl.truststore.location", &ca),
    ]);
    let (app, _, _) = follower_with(Some(url), no_keystore);
    let (status, _, body) = call(&app, "POST", "/connectors", &[], CREATE).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert!(body.starts_with(IO_ERROR), "{body}");
    assert_eq!(seen.lock().unwrap().len(), 2, "the leader served nothing");
}

#[tokio::test]
async fn without_the_truststore_an_https_leader_is_an_io_error_naming_the_tls_cause() {
    let pki = Pki::new();
    let (url, _, seen) = leader_served(Some(pki.leader_tls()), "localhost").await;
    // The keystore but no truststore: Jetty trusts the keystore's own certificate (and
    // nothing else), so the leader's certificate is not trusted.
    let forwarder = worker_forwarder(&[
        ("ssl.keystore.type", "PKCS12"),
        ("ssl.keystore.location", &pki.path("follower.p12")),
        ("ssl.keystore.password", "store-pw"),
    ]);
    for forwarder in [forwarder, Forwarder::new(Duration::from_secs(10)).unwrap()] {
        let (app, _, _) = follower_with(Some(url.clone()), forwarder);
        let (status, _, body) = call(&app, "PUT", "/connectors/c/stop", &[], "").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        assert!(body.starts_with(IO_ERROR), "{body}");
        assert!(
            body.contains("invalid peer certificate: UnknownIssuer"),
            "{body}"
        );
    }
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_leader_certificate_for_another_host_is_refused_unless_identification_is_off() {
    let pki = Pki::new();
    // The leader's certificate names `localhost`, not 127.0.0.1.
    let (url, leader_herder, _) = leader_served(Some(pki.leader_tls()), "127.0.0.1").await;
    let (ca, p12) = (pki.path("ca.pem"), pki.path("follower.p12"));
    let settings = |identification: Option<&'static str>| {
        let mut pairs = vec![
            ("ssl.truststore.type", "PEM"),
            ("ssl.truststore.location", ca.as_str()),
            ("ssl.keystore.type", "PKCS12"),
            ("ssl.keystore.location", p12.as_str()),
            ("ssl.keystore.password", "store-pw"),
        ];
        if let Some(v) = identification {
            pairs.push(("ssl.endpoint.identification.algorithm", v));
        }
        worker_forwarder(&pairs)
    };
    for checked in [None, Some("https"), Some("HTTPS")] {
        let (app, _, _) = follower_with(Some(url.clone()), settings(checked));
        let (status, _, body) = call(&app, "POST", "/connectors", &[], CREATE).await;
        assert_eq!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{checked:?}: {body}"
        );
        assert!(body.starts_with(IO_ERROR), "{body}");
        assert!(
            body.contains(
                r#"invalid peer certificate: certificate not valid for name \"127.0.0.1\""#
            ),
            "{body}"
        );
    }
    assert!(leader_herder.config_of("c").is_none());
    let (app, _, _) = follower_with(Some(url), settings(Some("")));
    let (status, _, body) = call(&app, "POST", "/connectors", &[], CREATE).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(leader_herder.config_of("c").is_some());
}

#[tokio::test]
async fn without_a_truststore_the_keystore_certificate_is_trusted_as_jetty_does() {
    let pki = Pki::new();
    // Every worker with the same keystore and no truststore (no client authentication).
    let shared = [
        ("ssl.keystore.location", pki.path("leader.jks")),
        ("ssl.keystore.password", "store-pw".to_owned()),
    ];
    let pairs: Vec<(&str, &str)> = shared.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let leader_tls = tls::server_config(&props(&pairs), tls::LISTENERS_HTTPS_PREFIX).unwrap();
    let (url, leader_herder, _) = leader_served(Some(leader_tls), "localhost").await;
    let (app, _, _) = follower_with(Some(url), worker_forwarder(&pairs));
    let (status, _, body) = call(&app, "POST", "/connectors", &[], CREATE).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(leader_herder.config_of("c").is_some());
}

#[tokio::test]
async fn client_tls_settings_sluice_cannot_honour_fail_only_https_forwarding_naming_them() {
    let (http_url, leader_herder, _) = leader().await;
    let forwarder = worker_forwarder(&[
        (
            "listeners.https.ssl.endpoint.identification.algorithm",
            "LDAPS",
        ),
        ("listeners.https.ssl.enabled.protocols", "TLSv1.2"),
    ]);
    assert_eq!(
        forwarder.tls_problem(),
        Some(
            "Invalid value LDAPS for configuration listeners.https.ssl.endpoint.identification.algorithm: the REST client checks host names as https, or not at all when the value is empty"
        )
    );
    // A cluster of http workers never needs the TLS client.
    let (app, _, _) = follower_with(Some(http_url), forwarder.clone());
    let (status, _, body) = call(&app, "POST", "/connectors", &[], CREATE).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(leader_herder.config_of("c").is_some());
    // To an https worker, Kafka's answer when its RestClient cannot start.
    let (app, _, _) = follower_with(Some("https://localhost:1/".to_owned()), forwarder);
    let (status, _, body) = call(&app, "DELETE", "/connectors/c", &[], "").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body,
        r#"{"error_code":500,"message":"Failed to start RestClient: Invalid value LDAPS for configuration listeners.https.ssl.endpoint.identification.algorithm: the REST client checks host names as https, or not at all when the value is empty"}"#
    );
}
