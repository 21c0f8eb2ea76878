//! Path parameters decoded once, Java's trimming of names, and the listener's limits (idle and
//! slow connections, the connection cap, `Host`, many headers) over real sockets.

mod common;

use std::time::Duration;

use common::{App, invalid};
use connect_rest::{ServerLimits, router, serve, testkit};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, timeout};

fn source(name: &str) -> String {
    json!({"name": name, "config": {"connector.class": "FileStreamSource", "topic": "t"}})
        .to_string()
}

#[tokio::test]
async fn a_doubly_encoded_slash_is_decoded_once() {
    let app = App::new();
    app.create_source("a/b").await;
    // `%252F` is `%2F` once decoded: not `a/b`.
    app.get("/connectors/a%252Fb")
        .await
        .assert_error(404, "Connector a%2Fb not found");
    assert_eq!(app.get("/connectors/a%2Fb").await.status, 200);
}

#[tokio::test]
async fn a_name_with_a_percent_escape_is_reachable_encoded_once() {
    let app = App::new();
    let r = app.json("POST", "/connectors", &source("a%2Fb")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let info = app.get("/connectors/a%252Fb").await;
    assert_eq!(info.status, 200, "{}", info.body);
    let v: serde_json::Value = serde_json::from_str(&info.body).expect("json");
    assert_eq!(v["name"], "a%2Fb");
    app.get("/connectors/a%25252Fb")
        .await
        .assert_error(404, "Connector a%252Fb not found");
}

#[tokio::test]
async fn bytes_that_are_not_utf8_decode_to_the_replacement_character() {
    let app = App::new();
    // Jersey decodes path escapes as UTF-8 with replacement; it never refuses the path.
    app.get("/connectors/x%FFy")
        .await
        .assert_error(404, "Connector x\u{FFFD}y not found");
    app.get("/connectors/%C3%A9%C3")
        .await
        .assert_error(404, "Connector é\u{FFFD} not found");
}

#[tokio::test]
async fn names_are_trimmed_like_java_strings() {
    let app = App::new();
    app.create_source("base-src").await;
    // U+00A0 and U+3000 are not at or below U+0020: Java keeps them, so the names differ.
    for name in [" \u{a0}base-src", "\u{3000}base-src "] {
        let r = app.json("POST", "/connectors", &source(name)).await;
        assert_eq!(r.status, 201, "{name:?}: {}", r.body);
        let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
        assert_eq!(v["name"], name.trim_matches(' '));
    }
    // Characters up to U+0020 (tabs, newlines, other ASCII controls) are trimmed.
    let r = app
        .json("POST", "/connectors", &source("\t\n\u{1}trimmed \r"))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(app.get("/connectors/trimmed").await.status, 200);
}

#[tokio::test]
async fn an_iso_control_character_in_a_name_is_kafkas_400() {
    let app = App::new();
    // U+0085 is an ISO control character that `str::trim` would have stripped.
    let r = app.json("POST", "/connectors", &source("c1\u{85}")).await;
    r.assert_error(
        400,
        &invalid(&[
            "Invalid value c1\u{85} for configuration name: String may not contain control sequences but had the following ASCII chars: 133",
        ]),
    );
    app.get("/connectors/c1")
        .await
        .assert_error(404, "Connector c1 not found");
    let r = app
        .json(
            "PUT",
            "/connectors/x%7Fy/config",
            r#"{"connector.class":"FileStreamSource","topic":"t"}"#,
        )
        .await;
    r.assert_error(
        400,
        &invalid(&[
            "Invalid value x\u{7f}y for configuration name: String may not contain control sequences but had the following ASCII chars: 127",
        ]),
    );
}

// ------------------------------------------------------------------------------- the listener

/// The fake app served on 127.0.0.1:0 with `limits`.
async fn served(limits: ServerLimits) -> std::net::SocketAddr {
    let (state, _, _) = testkit::state();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(serve(
        listener,
        router(state),
        limits,
        std::future::pending::<()>(),
    ));
    addr
}

fn short(idle_ms: u64, header_ms: u64, max_connections: usize) -> ServerLimits {
    ServerLimits {
        idle_timeout: Duration::from_millis(idle_ms),
        header_read_timeout: Duration::from_millis(header_ms),
        max_connections,
        ..ServerLimits::default()
    }
}

/// Reads until the peer closes (or `limit` passes); the bytes read and whether it closed.
async fn read_to_close(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        match timeout(
            deadline.saturating_duration_since(Instant::now()),
            stream.read(&mut buf),
        )
        .await
        {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
        }
    }
}

/// Sends `request` and reads one response head and body (up to the close or 2 s).
async fn exchange(addr: std::net::SocketAddr, request: &str) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(request.as_bytes()).await.expect("write");
    read_to_close(&mut s, Duration::from_secs(2)).await.0
}

#[tokio::test]
async fn idle_connections_are_closed_after_the_idle_timeout() {
    let addr = served(short(300, 300, 1024)).await;
    let mut conns = Vec::new();
    for _ in 0..200 {
        conns.push(TcpStream::connect(addr).await.expect("connect"));
    }
    let started = Instant::now();
    for c in &mut conns {
        let (text, closed) = read_to_close(c, Duration::from_secs(5)).await;
        assert!(closed, "still open");
        assert_eq!(text, "");
    }
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_kept_alive_connection_is_closed_once_idle() {
    let addr = served(short(300, 10_000, 1024)).await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /connectors HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let (text, closed) = read_to_close(&mut s, Duration::from_secs(5)).await;
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(closed, "the idle connection stayed open");
}

#[tokio::test]
async fn a_head_sent_a_byte_at_a_time_is_cut_off() {
    let addr = served(short(10_000, 400, 1024)).await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let request =
        b"GET /connectors HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let started = Instant::now();
    let mut cut = false;
    for b in request {
        // Each byte is I/O, so only the head's deadline can end this.
        if s.write_all(&[*b]).await.is_err() {
            cut = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (text, closed) = read_to_close(&mut s, Duration::from_secs(3)).await;
    assert!(cut || closed, "the slow head was still being read");
    assert!(!text.contains("200 OK"), "a slow head was answered: {text}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn the_head_deadline_does_not_shorten_the_idle_wait() {
    let addr = served(short(10_000, 300, 1024)).await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    // Idle longer than the head deadline, before and between requests: the connection stays.
    tokio::time::sleep(Duration::from_millis(600)).await;
    for _ in 0..2 {
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let mut buf = [0u8; 512];
        let n = timeout(Duration::from_secs(2), s.read(&mut buf))
            .await
            .expect("answered")
            .expect("read");
        assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK"), "{:?}", &buf[..n]);
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let addr = served(short(10_000, 10_000, 2)).await;
    let a = TcpStream::connect(addr).await.expect("connect");
    let _b = TcpStream::connect(addr).await.expect("connect");
    // The kernel completes the handshake; the worker does not take the connection yet.
    let mut c = TcpStream::connect(addr).await.expect("connect");
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 64];
    assert!(
        timeout(Duration::from_millis(300), c.read(&mut buf))
            .await
            .is_err(),
        "a third connection was served over a cap of two"
    );
    drop(a);
    let (text, _) = read_to_close(&mut c, Duration::from_secs(3)).await;
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
}

#[tokio::test]
async fn shutdown_closes_idle_connections_and_returns() {
    let (state, _, _) = testkit::state();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        router(state),
        ServerLimits::default(),
        async move {
            stopped.await.ok();
        },
    ));
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    let mut used = TcpStream::connect(addr).await.expect("connect");
    used.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 256];
    let n = used.read(&mut buf).await.expect("read");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK"));
    stop.send(()).expect("server waiting");
    timeout(Duration::from_secs(3), server)
        .await
        .expect("serve returned")
        .expect("task")
        .expect("served");
    assert!(read_to_close(&mut idle, Duration::from_secs(1)).await.1);
    assert!(read_to_close(&mut used, Duration::from_secs(1)).await.1);
}

#[tokio::test]
async fn http_1_1_without_host_is_400() {
    let addr = served(ServerLimits::default()).await;
    let text = exchange(addr, "GET /connectors HTTP/1.1\r\n\r\n").await;
    assert!(text.starts_with("HTTP/1.1 400 Bad Request"), "{text}");
    assert!(text.ends_with("\r\n\r\n"), "a body: {text}");
    let text = exchange(
        addr,
        "GET /connectors HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.ends_with("[]"), "{text}");
    // HTTP/1.0 has no Host requirement.
    let text = exchange(addr, "GET /connectors HTTP/1.0\r\n\r\n").await;
    assert!(text.starts_with("HTTP/1.0 200 OK"), "{text}");
}

#[tokio::test]
async fn a_request_with_150_headers_is_served() {
    let addr = served(ServerLimits::default()).await;
    let mut request = String::from("GET /connectors HTTP/1.1\r\nHost: h\r\nConnection: close\r\n");
    for i in 0..150 {
        request.push_str(&format!("X-H{i}: v\r\n"));
    }
    request.push_str("\r\n");
    let text = exchange(addr, &request).await;
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
}

// ------------------------------------------------------------------------------- openapi.yaml

fn openapi() -> serde_yaml::Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.yaml"))
        .expect("openapi.yaml at the repository root");
    serde_yaml::from_str(&text).expect("valid YAML")
}

#[test]
fn openapi_documents_the_500s_kafka_gives_for_bodies() {
    let doc = openapi();
    let paths = doc["paths"].as_mapping().expect("paths");
    let mut with_body = 0;
    for (path, item) in paths {
        for (method, op) in item.as_mapping().expect("path item") {
            if op.get("requestBody").is_none() {
                continue;
            }
            with_body += 1;
            assert!(
                op["responses"].get("500").is_some(),
                "{method:?} {path:?} takes a body but documents no 500"
            );
        }
    }
    assert_eq!(with_body, 6);
    // An object value in a config map is Jackson's 500, so the schema must not allow one.
    let values = &doc["components"]["schemas"]["ConfigMap"]["additionalProperties"];
    let types: Vec<&str> = values["oneOf"]
        .as_sequence()
        .expect("oneOf")
        .iter()
        .filter_map(|t| t["type"].as_str())
        .collect();
    assert_eq!(types, ["string", "number", "boolean"]);
    let create = &doc["components"]["schemas"]["CreateConnectorRequest"];
    let required: Vec<&str> = create["required"]
        .as_sequence()
        .expect("required")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(required, ["name", "config"]);
    let description = doc["info"]["description"].as_str().expect("description");
    assert!(description.contains("no `Allow` header"), "{description}");
}

#[tokio::test]
async fn the_answers_openapi_promises_for_bodies_are_served() {
    let app = App::new();
    // A missing body: Kafka's NullPointerException.
    app.send(
        "POST",
        "/connectors",
        &[("content-type", "application/json")],
        "",
    )
    .await
    .assert(
        500,
        r#"{"error_code":500,"message":"Cannot invoke \"org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest.name()\" because \"createRequest\" is null"}"#,
    );
    // An object value in a config map.
    let r = app
        .json(
            "PUT",
            "/connectors/c/config",
            r#"{"connector.class":{"a":1}}"#,
        )
        .await;
    assert_eq!(r.status, 500, "{}", r.body);
    assert!(
        r.body
            .contains("Cannot deserialize value of type `java.lang.String` from Object value"),
        "{}",
        r.body
    );
    // 405 without `Allow`.
    let r = app.bare("DELETE", "/connectors").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), None);
}
