//! Drives the router in-process with `tower::ServiceExt::oneshot` (no network).

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use connect_rest::testkit::{self, FakeHerder, FakeLoggers};
use connect_rest::{AppState, router};
use http::{HeaderMap, Request, StatusCode};
use tower::ServiceExt;

/// A response: status, headers and the body as text.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts status and exact body.
    #[track_caller]
    pub fn assert(&self, status: u16, body: &str) {
        assert_eq!(
            (self.status.as_u16(), self.body.as_str()),
            (status, body),
            "unexpected answer (headers {:?})",
            self.headers
        );
    }

    /// Asserts an error answer with its exact message.
    #[track_caller]
    pub fn assert_error(&self, status: u16, message: &str) {
        let body = serde_json::json!({ "error_code": status, "message": message }).to_string();
        self.assert(status, &body);
    }
}

/// The app under test with its fakes.
pub struct App {
    pub router: Router,
    pub herder: Arc<FakeHerder>,
    pub loggers: Arc<FakeLoggers>,
}

impl App {
    pub fn new() -> Self {
        Self::with(|s| s)
    }

    pub fn with(f: impl FnOnce(AppState) -> AppState) -> Self {
        let (state, herder, loggers) = testkit::state();
        Self {
            router: router(f(state)),
            herder,
            loggers,
        }
    }

    /// Sends a request; `headers` are added as given, `body` as bytes.
    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(body.into()).expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = to_bytes(resp.into_body(), usize::MAX).await.expect("body");
        Resp {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).expect("utf-8 body"),
        }
    }

    /// A request without body or headers (curl's `GET`).
    pub async fn get(&self, uri: &str) -> Resp {
        self.send("GET", uri, &[], Body::empty()).await
    }

    /// A request with a JSON body and `Content-Type: application/json`.
    pub async fn json(&self, method: &str, uri: &str, body: &str) -> Resp {
        self.send(
            method,
            uri,
            &[("content-type", "application/json")],
            body.to_owned(),
        )
        .await
    }

    /// A body-less request of `method`.
    pub async fn bare(&self, method: &str, uri: &str) -> Resp {
        self.send(method, uri, &[], Body::empty()).await
    }

    /// Creates the quickstart file source `name` (asserting 201).
    pub async fn create_source(&self, name: &str) -> Resp {
        let body = format!(
            r#"{{"name":{},"config":{{"connector.class":"FileStreamSource","tasks.max":"1","file":"/tmp/test.txt","topic":"connect-test"}}}}"#,
            serde_json::to_string(name).expect("json")
        );
        let r = self.json("POST", "/connectors", &body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r
    }
}

/// Jackson's location suffix for `line`/`column`.
pub fn at(line: u32, column: u32) -> String {
    format!(
        "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: {line}, column: {column}]"
    )
}

/// The full "invalid configuration" message for these validation errors.
pub fn invalid(errors: &[&str]) -> String {
    let mut s = format!(
        "Connector configuration is invalid and contains the following {} error(s):",
        errors.len()
    );
    for e in errors {
        s.push('\n');
        s.push_str(e);
    }
    s.push_str("\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`");
    s
}
