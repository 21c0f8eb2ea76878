//! The route table: every route is served (with and without a trailing slash) and matches
//! `openapi.yaml`; unmatched routes, wrong methods, timeouts and panics answer in the error shape.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use axum::body::Body;
use common::App;
use connect_rest::ROUTES;

fn concrete(template: &str) -> String {
    template
        .replace("{connector}", "c")
        .replace("{task}", "0")
        .replace("{plugin}", "FileStreamSource")
        .replace("{logger}", "root")
}

#[test]
fn openapi_describes_exactly_the_routes() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.yaml"))
        .expect("openapi.yaml at the repository root");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with("3.0")),
        Some(true)
    );
    let paths = doc["paths"].as_mapping().expect("paths");
    let mut documented = BTreeSet::new();
    for (path, item) in paths {
        let path = path.as_str().expect("path string");
        for (method, _) in item.as_mapping().expect("path item") {
            let method = method.as_str().expect("key");
            if [
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method)
            {
                documented.insert((method.to_uppercase(), path.to_owned()));
            }
        }
    }
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.as_str().to_owned(), (*p).to_owned()))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in openapi.yaml: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "in openapi.yaml but not served: {unserved:?}"
    );
    assert_eq!(served.len(), ROUTES.len(), "duplicate rows in ROUTES");
}

#[tokio::test]
async fn every_route_is_served_with_and_without_a_trailing_slash() {
    let app = App::new();
    app.create_source("c").await;
    for (method, template) in ROUTES {
        let path = concrete(template);
        let mut variants = vec![path.clone()];
        if path != "/" {
            variants.push(format!("{path}/"));
        }
        for uri in variants {
            let body = if matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
                "{}"
            } else {
                ""
            };
            let r = app.json(method.as_str(), &uri, body).await;
            assert_ne!(r.status, 405, "{method} {uri}: {}", r.body);
            assert!(
                !(r.status == 404 && r.body.contains("HTTP 404 Not Found")),
                "{method} {uri} not routed: {}",
                r.body
            );
        }
    }
}

#[tokio::test]
async fn unmatched_routes_and_methods() {
    let app = App::new();
    for uri in [
        "/nope",
        "/connectors/c/tasks/0",
        "/connectors//",
        "/connectors/c/status/x",
        "/admin",
        "//",
    ] {
        let r = app.get(uri).await;
        r.assert(404, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#);
        assert_eq!(r.header("content-type"), None, "{uri}");
    }
    for (method, uri) in [
        ("DELETE", "/connectors"),
        ("PUT", "/connectors"),
        ("POST", "/connector-plugins/"),
        ("GET", "/connectors/c/restart"),
        // `POST …/tasks` is the signed inter-worker endpoint; nothing else writes there.
        ("PUT", "/connectors/c/tasks"),
        // `PUT …/fence` is the other one; the path has no other method.
        ("GET", "/connectors/c/fence"),
        ("POST", "/connectors/c/fence/"),
        ("DELETE", "/"),
        ("POST", "/health"),
        ("PATCH", "/admin/loggers/root"),
    ] {
        let r = app.bare(method, uri).await;
        r.assert(
            405,
            r#"{"error_code":405,"message":"HTTP 405 Method Not Allowed"}"#,
        );
        assert_eq!(r.header("content-type"), None, "{method} {uri}");
        assert_eq!(r.header("allow"), None, "{method} {uri}");
    }
    // 405 comes before content negotiation.
    app.send(
        "DELETE",
        "/connectors",
        &[("content-type", "text/plain")],
        "x",
    )
    .await
    .assert(
        405,
        r#"{"error_code":405,"message":"HTTP 405 Method Not Allowed"}"#,
    );
}

#[tokio::test]
async fn head_and_options() {
    let app = App::new();
    let r = app.bare("HEAD", "/connectors").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "");
    let r = app.bare("OPTIONS", "/connectors/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.body, "HEAD, POST, GET, OPTIONS");
    assert_eq!(r.header("allow"), Some("HEAD, POST, GET, OPTIONS"));
    // The signed internal endpoint's path, as the JVM worker answers it.
    let r = app.bare("OPTIONS", "/connectors/c/fence").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "OPTIONS, PUT");
}

#[tokio::test]
async fn timeouts_answer_500_request_timed_out() {
    let app = App::with(|s| s.with_request_timeout(Duration::from_millis(100)));
    app.herder.set_hang(true);
    app.get("/connectors")
        .await
        .assert_error(500, "Request timed out");
    app.json(
        "POST",
        "/connectors",
        r#"{"name":"x","config":{"connector.class":"FileStreamSource"}}"#,
    )
    .await
    .assert_error(500, "Request timed out");
    app.herder.set_hang(false);
    app.get("/connectors").await.assert(200, "[]");
}

#[tokio::test]
async fn panics_answer_500() {
    let app = App::new();
    app.herder.set_panic(true);
    app.get("/connectors")
        .await
        .assert_error(500, "HTTP 500 Internal Server Error");
    app.herder.set_panic(false);
    app.send("GET", "/connectors", &[], Body::empty())
        .await
        .assert(200, "[]");
}
