//! Requests another worker must serve (`HerderRequestHandler.completeOrForwardRequest`): a
//! follower's router, whose herder answers "ask the leader", forwards writes over HTTP to a
//! leader's router on a real listener, with Kafka's `forward` hops and 409s; and the signed
//! internal `POST /connectors/{c}/tasks` reaches the herder with its body and signature.

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
use connect_rest::testkit::{self, FakeHerder};
use connect_rest::{AppState, Forwarder, ServerLimits, router, serve};
use connect_runtime::entities::{
    ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, Health, Message, PluginInfo, ServerInfo,
    TargetState, TaskInfo, TaskProgressInfo, TaskState, Upserted,
};
use connect_runtime::{Herder, HerderError, SignatureHeaders};
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
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(serve(
        listener,
        app,
        ServerLimits::default(),
        std::future::pending(),
    ));
    (url, herder, seen)
}

fn follower(leader: Option<String>) -> (axum::Router, Arc<Follower>, Arc<FakeHerder>) {
    let (_, reads, loggers) = testkit::state();
    let herder = Arc::new(Follower {
        reads: reads.clone(),
        leader,
        internal: Mutex::new(Vec::new()),
    });
    let state = AppState::new(herder.clone(), loggers, "http://localhost:8083")
        .with_forwarder(Forwarder::new(Duration::from_secs(10)).unwrap());
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
