//! Connector endpoints: status codes and exact bodies, Kafka Connect 3.9 semantics.

mod common;

use axum::body::Body;
use common::{App, at, invalid};
use connect_runtime::entities::{ConnectorOffset, ConnectorOffsets, Health, TargetState};
use serde_json::json;

const FILE_SOURCE_INFO: &str = r#"{"name":"file-source","config":{"connector.class":"FileStreamSource","file":"/tmp/test.txt","tasks.max":"1","name":"file-source","topic":"connect-test"},"tasks":[{"connector":"file-source","task":0}],"type":"source"}"#;
const FILE_SOURCE_STATUS: &str = r#"{"name":"file-source","connector":{"state":"RUNNING","worker_id":"127.0.0.1:8083"},"tasks":[{"id":0,"state":"RUNNING","worker_id":"127.0.0.1:8083"}],"type":"source"}"#;

#[tokio::test]
async fn root_and_health() {
    let app = App::new();
    app.get("/").await.assert(
        200,
        r#"{"version":"3.9.0","commit":"dd5272687e8adf9e","kafka_cluster_id":"Mk3OEYBSD34fcwNTJENDM2Qk"}"#,
    );
    let r = app.get("/").await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    app.get("/health").await.assert(
        200,
        r#"{"status":"healthy","message":"Worker has completed startup and is ready to handle requests."}"#,
    );
    app.get("/health/").await.assert(
        200,
        r#"{"status":"healthy","message":"Worker has completed startup and is ready to handle requests."}"#,
    );
    app.herder.set_health(Health::Starting(
        "The worker is currently awaiting startup, which began at 2024-07-03T12:00:00Z.".into(),
    ));
    app.get("/health").await.assert(
        503,
        r#"{"status":"starting","message":"Worker is still starting up. The worker is currently awaiting startup, which began at 2024-07-03T12:00:00Z."}"#,
    );
    app.herder.set_health(Health::Unhealthy("".into()));
    assert_eq!(app.get("/health").await.status, 500);
    // The root resource consumes nothing: any Content-Type is fine.
    let r = app
        .send("GET", "/", &[("content-type", "text/plain")], Body::empty())
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn create_then_read_back() {
    let app = App::new();
    app.get("/connectors").await.assert(200, "[]");
    app.send(
        "GET",
        "/connectors/",
        &[("accept", "application/json")],
        Body::empty(),
    )
    .await
    .assert(200, "[]");

    let r = app.create_source("file-source").await;
    // The config echoes the request's order with `name` appended; no tasks yet.
    r.assert(
        201,
        r#"{"name":"file-source","config":{"connector.class":"FileStreamSource","tasks.max":"1","file":"/tmp/test.txt","topic":"connect-test","name":"file-source"},"tasks":[],"type":"source"}"#,
    );
    assert_eq!(
        r.header("location"),
        Some("http://localhost:8083/connectors/file-source")
    );
    assert_eq!(r.header("content-type"), Some("application/json"));

    app.get("/connectors")
        .await
        .assert(200, r#"["file-source"]"#);
    app.get("/connectors/")
        .await
        .assert(200, r#"["file-source"]"#);
    app.get("/connectors/file-source")
        .await
        .assert(200, FILE_SOURCE_INFO);
    app.get("/connectors/file-source/")
        .await
        .assert(200, FILE_SOURCE_INFO);
    app.get("/connectors/file-source/config").await.assert(
        200,
        r#"{"connector.class":"FileStreamSource","file":"/tmp/test.txt","tasks.max":"1","name":"file-source","topic":"connect-test"}"#,
    );
    app.get("/connectors/file-source/status")
        .await
        .assert(200, FILE_SOURCE_STATUS);
    app.get("/connectors/file-source/status/")
        .await
        .assert(200, FILE_SOURCE_STATUS);
    app.get("/connectors/file-source/tasks").await.assert(
        200,
        r#"[{"id":{"connector":"file-source","task":0},"config":{"file":"/tmp/test.txt","task.class":"org.apache.kafka.connect.file.FileStreamSourceTask","topic":"connect-test"}}]"#,
    );
    app.get("/connectors/file-source/tasks-config").await.assert(
        200,
        r#"{"file-source-0":{"file":"/tmp/test.txt","task.class":"org.apache.kafka.connect.file.FileStreamSourceTask","topic":"connect-test"}}"#,
    );
    app.get("/connectors/file-source/tasks/0/status")
        .await
        .assert(
            200,
            r#"{"id":0,"state":"RUNNING","worker_id":"127.0.0.1:8083"}"#,
        );

    // Redpanda Console sends Content-Type: application/json on GET and DELETE.
    let console = [
        ("content-type", "application/json"),
        ("accept", "application/json"),
        ("user-agent", "Redpanda Console"),
    ];
    let r = app
        .send("GET", "/connectors/file-source", &console, Body::empty())
        .await;
    r.assert(200, FILE_SOURCE_INFO);
    let r = app
        .send("DELETE", "/connectors/file-source", &console, Body::empty())
        .await;
    r.assert(204, "");
    assert_eq!(r.header("content-type"), None);
    app.get("/connectors/file-source")
        .await
        .assert_error(404, "Connector file-source not found");
    app.bare("DELETE", "/connectors/file-source")
        .await
        .assert_error(404, "Connector file-source not found");
}

#[tokio::test]
async fn location_follows_the_host_header() {
    let app = App::new();
    let body =
        json!({"name":"my connector","config":{"connector.class":"FileStreamSource","topic":"t"}});
    let r = app
        .send(
            "POST",
            "/connectors/",
            &[
                ("content-type", "application/json"),
                ("host", "connect:8083"),
            ],
            body.to_string(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some("http://connect:8083/connectors/my%20connector")
    );
}

#[tokio::test]
async fn names_round_trip_through_the_path() {
    let app = App::new();
    for (name, encoded) in [
        ("my connector", "my%20connector"),
        ("a/b", "a%2Fb"),
        ("connecteur-é", "connecteur-%C3%A9"),
        ("dwh.mydatabase.person", "dwh.mydatabase.person"),
        ("plus+sign", "plus+sign"),
    ] {
        let body =
            json!({"name": name, "config": {"connector.class": "FileStreamSource", "topic": "t"}});
        let r = app.json("POST", "/connectors", &body.to_string()).await;
        assert_eq!(r.status, 201, "{name}: {}", r.body);
        let info = app.get(&format!("/connectors/{encoded}")).await;
        assert_eq!(info.status, 200, "{name}: {}", info.body);
        let v: serde_json::Value = serde_json::from_str(&info.body).expect("json");
        assert_eq!(v["name"], name);
        assert_eq!(v["config"]["name"], name);
        let status = app.get(&format!("/connectors/{encoded}/status/")).await;
        assert_eq!(status.status, 200, "{name}: {}", status.body);
        app.bare("PUT", &format!("/connectors/{encoded}/pause"))
            .await
            .assert(202, "");
        app.bare("DELETE", &format!("/connectors/{encoded}"))
            .await
            .assert(204, "");
    }
    // Kafka's UriBuilder keeps `/` in the Location path.
    let body =
        json!({"name": "a/b", "config": {"connector.class": "FileStreamSource", "topic": "t"}});
    let r = app.json("POST", "/connectors", &body.to_string()).await;
    assert_eq!(
        r.header("location"),
        Some("http://localhost:8083/connectors/a/b")
    );
    let body =
        json!({"name": "ünï", "config": {"connector.class": "FileStreamSource", "topic": "t"}});
    let r = app.json("POST", "/connectors", &body.to_string()).await;
    assert_eq!(
        r.header("location"),
        Some("http://localhost:8083/connectors/%C3%BCn%C3%AF")
    );
}

#[tokio::test]
async fn create_bad_input() {
    let app = App::new();
    // Name trimmed.
    let r = app
        .json(
            "POST",
            "/connectors",
            r#"{"name":"  spaced  ","config":{"connector.class":"FileStreamSource","topic":"t"}}"#,
        )
        .await;
    r.assert(
        201,
        r#"{"name":"spaced","config":{"connector.class":"FileStreamSource","topic":"t","name":"spaced"},"tasks":[],"type":"source"}"#,
    );
    // Name mismatch.
    app.json(
        "POST",
        "/connectors",
        r#"{"name":"a","config":{"name":"b","connector.class":"FileStreamSource"}}"#,
    )
    .await
    .assert_error(
        400,
        "Connector name configuration (b) doesn't match connector name in the URL (a)",
    );
    // A trimmed name must match config.name exactly.
    app.json(
        "POST",
        "/connectors",
        r#"{"name":" a ","config":{"name":" a ","connector.class":"FileStreamSource"}}"#,
    )
    .await
    .assert_error(
        400,
        "Connector name configuration ( a ) doesn't match connector name in the URL (a)",
    );
    // Missing config: NullPointerException.
    app.json("POST", "/connectors", r#"{"name":"x"}"#)
        .await
        .assert(500, r#"{"error_code":500,"message":"Cannot invoke \"java.util.Map.get(Object)\" because \"connectorConfig\" is null"}"#);
    app.json("POST", "/connectors", r#"{"name":"x","config":null}"#)
        .await
        .assert(500, r#"{"error_code":500,"message":"Cannot invoke \"java.util.Map.get(Object)\" because \"connectorConfig\" is null"}"#);
    app.json("POST", "/connectors", "")
        .await
        .assert(500, r#"{"error_code":500,"message":"Cannot invoke \"org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest.name()\" because \"createRequest\" is null"}"#);
    app.json("POST", "/connectors", "null")
        .await
        .assert(500, r#"{"error_code":500,"message":"Cannot invoke \"org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest.name()\" because \"createRequest\" is null"}"#);
    app.bare("POST", "/connectors")
        .await
        .assert(500, r#"{"error_code":500,"message":"Cannot invoke \"org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest.name()\" because \"createRequest\" is null"}"#);
    // Missing name: validation rejects the empty name.
    app.json(
        "POST",
        "/connectors",
        r#"{"config":{"connector.class":"FileStreamSource","topic":"t"}}"#,
    )
    .await
    .assert_error(
        400,
        &invalid(&["Invalid value  for configuration name: String may not be empty"]),
    );
    // Missing connector.class.
    app.json(
        "POST",
        "/connectors",
        r#"{"name":"x","config":{"tasks.max":"1"}}"#,
    )
    .await
    .assert_error(
        400,
        "Connector config {name=x, tasks.max=1} contains no connector type",
    );
    // Unknown class: the herder's 500.
    let r = app
        .json(
            "POST",
            "/connectors",
            r#"{"name":"x","config":{"connector.class":"com.example.Nope"}}"#,
        )
        .await;
    assert_eq!(r.status, 500);
    assert!(
        r.body.starts_with(r#"{"error_code":500,"message":"Failed to find any class that implements Connector and which name matches com.example.Nope, available connectors are: PluginDesc{klass=class org.apache.kafka.connect.file.FileStreamSinkConnector"#),
        "{}",
        r.body
    );
    // Invalid values.
    app.json("POST", "/connectors", r#"{"name":"x","config":{"connector.class":"FileStreamSource","topic":"t","tasks.max":"0"}}"#)
        .await
        .assert_error(400, &invalid(&["Invalid value 0 for configuration tasks.max: Value must be at least 1"]));
    app.json("POST", "/connectors", r#"{"name":"x","config":{"connector.class":"FileStreamSource","topic":"t","tasks.max":"abc"}}"#)
        .await
        .assert_error(400, &invalid(&["Invalid value abc for configuration tasks.max: Not a number of type INT"]));
    app.json(
        "POST",
        "/connectors",
        r#"{"name":"x","config":{"connector.class":"FileStreamSource"}}"#,
    )
    .await
    .assert_error(
        400,
        &invalid(&["Missing required configuration \"topic\" which has no default value."]),
    );
    // JSON numbers and booleans are config strings.
    let r = app
        .json("POST", "/connectors", r#"{"name":"n","config":{"connector.class":"FileStreamSource","topic":"t","tasks.max":2,"x.flag":true,"x.ratio":1.50}}"#)
        .await;
    r.assert(
        201,
        r#"{"name":"n","config":{"connector.class":"FileStreamSource","topic":"t","tasks.max":"2","x.flag":"true","x.ratio":"1.50","name":"n"},"tasks":[],"type":"source"}"#,
    );
    // null values are validation errors; a required key given as null is not "missing".
    app.json(
        "POST",
        "/connectors",
        r#"{"name":"y","config":{"connector.class":"FileStreamSource","topic":null,"extra":null}}"#,
    )
    .await
    .assert_error(
        400,
        &invalid(&[
            "Null value can not be supplied as the configuration value.",
            "Null value can not be supplied as the configuration value.",
        ]),
    );
    // A null `name` in the config is replaced by the name.
    let r = app
        .json("POST", "/connectors", r#"{"name":"z","config":{"name":null,"connector.class":"FileStreamSource","topic":"t"}}"#)
        .await;
    r.assert(
        201,
        r#"{"name":"z","config":{"name":"z","connector.class":"FileStreamSource","topic":"t"},"tasks":[],"type":"source"}"#,
    );
    // Already exists.
    app.json(
        "POST",
        "/connectors",
        r#"{"name":"z","config":{"connector.class":"FileStreamSource","topic":"t"}}"#,
    )
    .await
    .assert_error(409, "Connector z already exists");
}

#[tokio::test]
async fn create_initial_state() {
    let app = App::new();
    for (name, state, target, shown) in [
        ("p", "paused", TargetState::Paused, "PAUSED"),
        ("s", "Stopped", TargetState::Stopped, "STOPPED"),
        ("r", "RUNNING", TargetState::Started, "RUNNING"),
    ] {
        let body = json!({"name": name, "config": {"connector.class": "FileStreamSource", "topic": "t"}, "initial_state": state});
        let r = app.json("POST", "/connectors", &body.to_string()).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(app.herder.target_of(name), Some(target));
        let status = app.get(&format!("/connectors/{name}/status")).await;
        assert!(
            status
                .body
                .contains(&format!(r#""connector":{{"state":"{shown}""#)),
            "{}",
            status.body
        );
    }
    let r = app
        .json("POST", "/connectors", r#"{"name":"x","config":{"connector.class":"FileStreamSource"},"initial_state":"sleeping"}"#)
        .await;
    r.assert_error(
        500,
        &format!(
            "Cannot construct instance of `org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest$InitialState`, problem: No enum constant org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest.InitialState.SLEEPING{} (through reference chain: org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest[\"initial_state\"])",
            at(1, 77)
        ),
    );
}

#[tokio::test]
async fn malformed_bodies() {
    let app = App::new();
    app.json("POST", "/connectors", r#"{"name":"x",}"#).await.assert_error(
        500,
        &format!("Unexpected character ('}}' (code 125)): was expecting double-quote to start field name{}", at(1, 14)),
    );
    app.json("POST", "/connectors", "{\n  \"name\": \"x\",\n  \"config\": {\n    \"a\": \"b\"\n    \"c\": \"d\"\n  }\n}")
        .await
        .assert_error(
            500,
            &format!(
                "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries{} (through reference chain: org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest[\"config\"])",
                at(5, 6)
            ),
        );
    app.json("PUT", "/connectors/x/config", r#"{"a":"b""#).await.assert_error(
        500,
        &format!(
            "Unexpected end-of-input: expected close marker for Object (start marker at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 1]){}",
            at(1, 9)
        ),
    );
    app.json("PUT", "/connectors/x/config", r#"{"a":{"b":"c"}}"#).await.assert_error(
        500,
        &format!(
            "Cannot deserialize value of type `java.lang.String` from Object value (token `JsonToken.START_OBJECT`){} (through reference chain: java.util.LinkedHashMap[\"a\"])",
            at(1, 6)
        ),
    );
    app.json("POST", "/connectors", r#"{"name":"x","config":{},"tasks":[]}"#).await.assert_error(
        500,
        &format!(
            "Unrecognized field \"tasks\" (class org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest), not marked as ignorable (3 known properties: \"config\", \"name\", \"initial_state\"]){} (through reference chain: org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest[\"tasks\"])",
            at(1, 36)
        ),
    );
    // Content after the JSON value is ignored, as Jackson does.
    let r = app
        .json(
            "POST",
            "/connectors",
            r#"{"name":"t","config":{"connector.class":"FileStreamSource","topic":"t"}} trailing"#,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test]
async fn content_types() {
    let app = App::new();
    let body = r#"{"name":"x","config":{"connector.class":"FileStreamSource","topic":"t"}}"#;
    // curl -d defaults to application/x-www-form-urlencoded.
    app.send(
        "POST",
        "/connectors",
        &[("content-type", "application/x-www-form-urlencoded")],
        body,
    )
    .await
    .assert_error(415, "HTTP 415 Unsupported Media Type");
    // A body without Content-Type: no reader for application/octet-stream.
    app.send("POST", "/connectors", &[], body)
        .await
        .assert_error(415, "HTTP 415 Unsupported Media Type");
    app.send(
        "PUT",
        "/connectors/x/config",
        &[("content-type", "text/plain")],
        "{}",
    )
    .await
    .assert_error(415, "HTTP 415 Unsupported Media Type");
    // Parameters and case do not matter.
    let r = app
        .send(
            "POST",
            "/connectors",
            &[("content-type", "Application/JSON; charset=UTF-8")],
            body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Jersey matches @Consumes on every method of the resource, with or without a body.
    app.send(
        "GET",
        "/connectors",
        &[("content-type", "text/plain")],
        Body::empty(),
    )
    .await
    .assert_error(415, "HTTP 415 Unsupported Media Type");
    app.send(
        "PUT",
        "/connectors/x/pause",
        &[("content-type", "application/x-www-form-urlencoded")],
        "a=b",
    )
    .await
    .assert_error(415, "HTTP 415 Unsupported Media Type");
    // A body on a method that reads none is ignored when its type is acceptable.
    app.send(
        "PUT",
        "/connectors/x/pause",
        &[("content-type", "application/json")],
        "not json",
    )
    .await
    .assert(202, "");
    app.send("PUT", "/connectors/x/resume", &[], "whatever")
        .await
        .assert(202, "");
    // Accept must admit JSON.
    app.send(
        "GET",
        "/connectors",
        &[("accept", "text/html")],
        Body::empty(),
    )
    .await
    .assert_error(406, "HTTP 406 Not Acceptable");
    app.send(
        "GET",
        "/connectors",
        &[("accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
        Body::empty(),
    )
    .await
    .assert(200, r#"["x"]"#);
    app.send(
        "GET",
        "/connectors",
        &[("accept", "application/json;q=0")],
        Body::empty(),
    )
    .await
    .assert_error(406, "HTTP 406 Not Acceptable");
}

#[tokio::test]
async fn put_and_patch_config() {
    let app = App::new();
    let r = app
        .json(
            "PUT",
            "/connectors/sink/config",
            r#"{"connector.class":"FileStreamSink","topics":"t","tasks.max":1}"#,
        )
        .await;
    r.assert(
        201,
        r#"{"name":"sink","config":{"connector.class":"FileStreamSink","topics":"t","tasks.max":"1","name":"sink"},"tasks":[],"type":"sink"}"#,
    );
    assert_eq!(
        r.header("location"),
        Some("http://localhost:8083/connectors/sink")
    );
    let r = app
        .json(
            "PUT",
            "/connectors/sink/config/",
            r#"{"name":"sink","connector.class":"FileStreamSink","topics":"t","tasks.max":"2"}"#,
        )
        .await;
    r.assert(
        200,
        r#"{"name":"sink","config":{"name":"sink","connector.class":"FileStreamSink","topics":"t","tasks.max":"2"},"tasks":[{"connector":"sink","task":0}],"type":"sink"}"#,
    );
    assert_eq!(r.header("location"), None);
    app.json(
        "PUT",
        "/connectors/sink/config",
        r#"{"name":"other","connector.class":"FileStreamSink"}"#,
    )
    .await
    .assert_error(
        400,
        "Connector name configuration (other) doesn't match connector name in the URL (sink)",
    );
    app.json("PUT", "/connectors/sink/config", "")
        .await
        .assert(500, r#"{"error_code":500,"message":"Cannot invoke \"java.util.Map.get(Object)\" because \"connectorConfig\" is null"}"#);
    app.json(
        "PUT",
        "/connectors/sink/config",
        r#"{"connector.class":"FileStreamSink","topics":"t","tasks.max":"0"}"#,
    )
    .await
    .assert_error(
        400,
        &invalid(&["Invalid value 0 for configuration tasks.max: Value must be at least 1"]),
    );

    // PATCH: null removes a key; always 200.
    let r = app
        .json(
            "PATCH",
            "/connectors/sink/config",
            r#"{"tasks.max":3,"file":"/tmp/out.txt"}"#,
        )
        .await;
    r.assert(
        200,
        r#"{"name":"sink","config":{"connector.class":"FileStreamSink","file":"/tmp/out.txt","tasks.max":"3","topics":"t","name":"sink"},"tasks":[{"connector":"sink","task":0},{"connector":"sink","task":1}],"type":"sink"}"#,
    );
    let r = app
        .json("PATCH", "/connectors/sink/config", r#"{"file":null}"#)
        .await;
    assert_eq!(r.status, 200);
    assert!(
        !app.herder
            .config_of("sink")
            .expect("exists")
            .contains_key("file")
    );
    app.json("PATCH", "/connectors/nope/config", r#"{"a":"b"}"#)
        .await
        .assert_error(404, "Connector nope not found");
    app.json("PATCH", "/connectors/nope/config", "")
        .await
        .assert_error(404, "Connector nope not found");
    app.json("PATCH", "/connectors/sink/config", "")
        .await
        .assert(500, r#"{"error_code":500,"message":"Cannot invoke \"java.util.Map.forEach(java.util.function.BiConsumer)\" because \"patch\" is null"}"#);
}

#[tokio::test]
async fn expand_listing() {
    let app = App::new();
    app.get("/connectors?expand=status").await.assert(200, "{}");
    app.create_source("file-source").await;
    app.get("/connectors?expand=status&expand=info")
        .await
        .assert(
            200,
            &format!(
                r#"{{"file-source":{{"status":{FILE_SOURCE_STATUS},"info":{FILE_SOURCE_INFO}}}}}"#
            ),
        );
    // Redpanda Console's order: "info" and "status" share a HashMap bucket, so insertion order
    // decides.
    app.send(
        "GET",
        "/connectors/?expand=info&expand=status",
        &[("content-type", "application/json")],
        Body::empty(),
    )
    .await
    .assert(
        200,
        &format!(
            r#"{{"file-source":{{"info":{FILE_SOURCE_INFO},"status":{FILE_SOURCE_STATUS}}}}}"#
        ),
    );
    app.get("/connectors?expand=info").await.assert(
        200,
        &format!(r#"{{"file-source":{{"info":{FILE_SOURCE_INFO}}}}}"#),
    );
    app.get("/connectors?expand=bogus")
        .await
        .assert(200, r#"{"file-source":{}}"#);
    app.get("/connectors?expand")
        .await
        .assert(200, r#"{"file-source":{}}"#);
    app.get("/connectors?expand=")
        .await
        .assert(200, r#"{"file-source":{}}"#);
    // A connector without a status record is left out.
    app.create_source("fresh").await;
    app.herder.set_status("fresh", None);
    app.get("/connectors?expand=status").await.assert(
        200,
        &format!(r#"{{"file-source":{{"status":{FILE_SOURCE_STATUS}}}}}"#),
    );
    app.get("/connectors?expand=status&expand=info")
        .await
        .assert(
            200,
            &format!(
                r#"{{"file-source":{{"status":{FILE_SOURCE_STATUS},"info":{FILE_SOURCE_INFO}}}}}"#
            ),
        );
    let r = app.get("/connectors?expand=info").await;
    assert!(
        r.body.contains(r#""fresh":{"info":{"name":"fresh""#),
        "{}",
        r.body
    );
    app.get("/connectors")
        .await
        .assert(200, r#"["file-source","fresh"]"#);
}

#[tokio::test]
async fn lifecycle_calls() {
    let app = App::new();
    app.create_source("c").await;
    // Plain restart: 204, also with Python's False.
    app.bare("POST", "/connectors/c/restart")
        .await
        .assert(204, "");
    app.bare(
        "POST",
        "/connectors/c/restart?includeTasks=False&onlyFailed=False",
    )
    .await
    .assert(204, "");
    app.bare("POST", "/connectors/c/restart?includeTasks=yes")
        .await
        .assert(204, "");
    app.bare("POST", "/connectors/c/restart/?includeTasks=TRUE&onlyFailed=false").await.assert(
        202,
        r#"{"name":"c","connector":{"state":"RESTARTING","worker_id":"127.0.0.1:8083"},"tasks":[{"id":0,"state":"RESTARTING","worker_id":"127.0.0.1:8083"}],"type":"source"}"#,
    );
    app.bare("POST", "/connectors/c/restart?onlyFailed=true").await.assert(
        202,
        r#"{"name":"c","connector":{"state":"RUNNING","worker_id":"127.0.0.1:8083"},"tasks":[{"id":0,"state":"RUNNING","worker_id":"127.0.0.1:8083"}],"type":"source"}"#,
    );
    app.bare("POST", "/connectors/nope/restart")
        .await
        .assert_error(404, "Unknown connector: nope");
    app.bare("POST", "/connectors/nope/restart?includeTasks=true")
        .await
        .assert_error(404, "Unknown connector: nope");
    app.herder.set_status("c", None);
    app.bare("POST", "/connectors/c/restart?includeTasks=true")
        .await
        .assert_error(404, "Status for connector c not found");
    app.get("/connectors/c/status")
        .await
        .assert_error(404, "No status found for connector c");

    let r = app.bare("PUT", "/connectors/c/pause").await;
    r.assert(202, "");
    assert_eq!(r.header("content-type"), None);
    assert_eq!(app.herder.target_of("c"), Some(TargetState::Paused));
    app.bare("PUT", "/connectors/c/pause").await.assert(202, "");
    app.bare("PUT", "/connectors/c/resume/")
        .await
        .assert(202, "");
    assert_eq!(app.herder.target_of("c"), Some(TargetState::Started));
    app.bare("PUT", "/connectors/c/stop").await.assert(204, "");
    assert_eq!(app.herder.target_of("c"), Some(TargetState::Stopped));
    app.get("/connectors/c/status").await.assert(
        200,
        r#"{"name":"c","connector":{"state":"STOPPED","worker_id":"127.0.0.1:8083"},"tasks":[],"type":"source"}"#,
    );
    app.bare("PUT", "/connectors/c/resume")
        .await
        .assert(202, "");
    for action in ["pause", "resume", "stop"] {
        app.bare("PUT", &format!("/connectors/nope/{action}"))
            .await
            .assert_error(404, "Unknown connector nope");
    }
}

#[tokio::test]
async fn task_endpoints() {
    let app = App::new();
    app.create_source("c").await;
    app.get("/connectors/c/tasks/0/status/").await.assert(
        200,
        r#"{"id":0,"state":"RUNNING","worker_id":"127.0.0.1:8083"}"#,
    );
    app.get("/connectors/c/tasks/+0/status").await.assert(
        200,
        r#"{"id":0,"state":"RUNNING","worker_id":"127.0.0.1:8083"}"#,
    );
    app.get("/connectors/c/tasks/7/status")
        .await
        .assert_error(404, "No status found for task c-7");
    app.get("/connectors/c/tasks/-1/status")
        .await
        .assert_error(404, "No status found for task c--1");
    for bad in ["abc", "1.5", "2147483648", "%20"] {
        let r = app.get(&format!("/connectors/c/tasks/{bad}/status")).await;
        r.assert_error(404, "HTTP 404 Not Found");
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    app.bare("POST", "/connectors/c/tasks/0/restart")
        .await
        .assert(204, "");
    app.bare("POST", "/connectors/c/tasks/0/restart/")
        .await
        .assert(204, "");
    app.bare("POST", "/connectors/c/tasks/5/restart")
        .await
        .assert_error(404, "Unknown task: c-5");
    app.bare("POST", "/connectors/c/tasks/-1/restart")
        .await
        .assert_error(404, "Unknown task: c--1");
    app.bare("POST", "/connectors/nope/tasks/0/restart")
        .await
        .assert_error(404, "Unknown connector: nope");
    app.bare("POST", "/connectors/nope/tasks/-1/restart")
        .await
        .assert_error(404, "Unknown connector: nope");
    app.bare("POST", "/connectors/c/tasks/x/restart")
        .await
        .assert_error(404, "HTTP 404 Not Found");
    app.get("/connectors/nope/tasks")
        .await
        .assert_error(404, "Connector nope not found");
    app.get("/connectors/nope/tasks-config")
        .await
        .assert_error(404, "Connector nope not found");
    // Not a Kafka route.
    let r = app.get("/connectors/c/tasks/0").await;
    r.assert_error(404, "HTTP 404 Not Found");
    assert_eq!(r.header("content-type"), None);
}

#[tokio::test]
async fn task_progress_shows_the_latest_report_with_its_time() {
    let app = App::new();
    app.create_source("c").await;
    app.herder.set_progress(
        "c",
        0,
        // Keys in sorted order, so the body is the same with or without `preserve_order`.
        json!({"rows_per_second":350.5,"snapshot":{"rows":1200,"table":"inventory.orders","tables_done":2,"tables_total":5}}),
        1_720_000_000_123,
    );
    let expected = r#"{"id":0,"worker_id":"127.0.0.1:8083","state":"RUNNING","progress":{"rows_per_second":350.5,"snapshot":{"rows":1200,"table":"inventory.orders","tables_done":2,"tables_total":5}},"reported_at_ms":1720000000123}"#;
    let r = app.get("/connectors/c/tasks/0/progress").await;
    r.assert(200, expected);
    assert_eq!(r.header("content-type"), Some("application/json"));
    app.get("/connectors/c/tasks/0/progress/")
        .await
        .assert(200, expected);
    app.get("/connectors/c/tasks/+0/progress")
        .await
        .assert(200, expected);
    // The Kafka Connect status shapes stay as they were.
    app.get("/connectors/c/tasks/0/status").await.assert(
        200,
        r#"{"id":0,"state":"RUNNING","worker_id":"127.0.0.1:8083"}"#,
    );
    app.get("/connectors/c/status").await.assert(
        200,
        r#"{"name":"c","connector":{"state":"RUNNING","worker_id":"127.0.0.1:8083"},"tasks":[{"id":0,"state":"RUNNING","worker_id":"127.0.0.1:8083"}],"type":"source"}"#,
    );
}

#[tokio::test]
async fn task_progress_is_null_before_the_task_reports() {
    let app = App::new();
    app.create_source("c").await;
    app.get("/connectors/c/tasks/0/progress").await.assert(
        200,
        r#"{"id":0,"worker_id":"127.0.0.1:8083","state":"RUNNING","progress":null,"reported_at_ms":null}"#,
    );
}

#[tokio::test]
async fn task_progress_of_an_unknown_connector_or_task_is_the_status_404() {
    let app = App::new();
    app.create_source("c").await;
    // The same bodies as `…/tasks/{task}/status` for the same paths.
    for (connector, task, message) in [
        ("nope", "0", "No status found for task nope-0"),
        ("c", "7", "No status found for task c-7"),
        ("c", "-1", "No status found for task c--1"),
        ("c", "abc", "HTTP 404 Not Found"),
        ("c", "2147483648", "HTTP 404 Not Found"),
    ] {
        for endpoint in ["status", "progress"] {
            let r = app
                .get(&format!("/connectors/{connector}/tasks/{task}/{endpoint}"))
                .await;
            r.assert_error(404, message);
            assert_eq!(r.header("content-type"), Some("application/json"));
        }
    }
    // A report for a task the connector does not have changes nothing.
    app.herder.set_progress("c", 7, json!({"rows": 1}), 1);
    app.get("/connectors/c/tasks/7/progress")
        .await
        .assert_error(404, "No status found for task c-7");
}

#[tokio::test]
async fn tasks_config_keys_in_hash_order() {
    let app = App::new();
    let body = json!({"name":"multi","config":{"connector.class":"FileStreamSource","topic":"t","tasks.max":"3"}});
    app.json("POST", "/connectors", &body.to_string()).await;
    let r = app.get("/connectors/multi/tasks-config").await;
    assert_eq!(r.status, 200);
    let keys: Vec<String> =
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&r.body)
            .map(|m| m.keys().cloned().collect())
            .expect("object");
    assert_eq!(keys.len(), 3);
    let first = r.body.find("multi-0").expect("0");
    let second = r.body.find("multi-1").expect("1");
    // hashCode("multi")*31 + task are consecutive buckets.
    assert!(first < second, "{}", r.body);
}

#[tokio::test]
async fn topics() {
    let app = App::new();
    app.create_source("c").await;
    app.herder.set_topics("c", &["connect-test"]);
    app.get("/connectors/c/topics")
        .await
        .assert(200, r#"{"c":{"topics":["connect-test"]}}"#);
    app.get("/connectors/nope/topics/")
        .await
        .assert(200, r#"{"nope":{"topics":[]}}"#);
    app.bare("PUT", "/connectors/c/topics/reset")
        .await
        .assert(202, "");
    app.get("/connectors/c/topics")
        .await
        .assert(200, r#"{"c":{"topics":[]}}"#);

    let no_reset = App::with(|s| s.with_topic_tracking(true, false));
    no_reset
        .get("/connectors/c/topics")
        .await
        .assert(200, r#"{"c":{"topics":[]}}"#);
    no_reset
        .bare("PUT", "/connectors/c/topics/reset")
        .await
        .assert_error(403, "Topic tracking reset is disabled.");
    let off = App::with(|s| s.with_topic_tracking(false, true));
    off.get("/connectors/c/topics")
        .await
        .assert_error(403, "Topic tracking is disabled.");
    off.bare("PUT", "/connectors/c/topics/reset")
        .await
        .assert_error(403, "Topic tracking is disabled.");
}

#[tokio::test]
async fn offsets() {
    let app = App::new();
    app.create_source("c").await;
    let mut partition = serde_json::Map::new();
    partition.insert("filename".into(), json!("test.txt"));
    let mut offset = serde_json::Map::new();
    offset.insert("position".into(), json!(30));
    app.herder.set_offsets(
        "c",
        ConnectorOffsets {
            offsets: vec![ConnectorOffset {
                partition,
                offset: Some(offset),
            }],
        },
    );
    app.get("/connectors/c/offsets").await.assert(
        200,
        r#"{"offsets":[{"partition":{"filename":"test.txt"},"offset":{"position":30}}]}"#,
    );
    app.get("/connectors/nope/offsets")
        .await
        .assert_error(404, "Connector nope not found");

    let alter = r#"{"offsets":[{"partition":{"filename":"test.txt"},"offset":{"position":10}}]}"#;
    app.json("PATCH", "/connectors/c/offsets", alter).await.assert_error(
        400,
        "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/c/stop' endpoint",
    );
    app.bare("DELETE", "/connectors/c/offsets").await.assert_error(
        400,
        "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/c/stop' endpoint",
    );
    app.bare("PUT", "/connectors/c/stop").await.assert(204, "");
    app.json("PATCH", "/connectors/c/offsets", alter)
        .await
        .assert(
            200,
            r#"{"message":"The offsets for this connector have been altered successfully"}"#,
        );
    app.get("/connectors/c/offsets").await.assert(
        200,
        r#"{"offsets":[{"partition":{"filename":"test.txt"},"offset":{"position":10}}]}"#,
    );
    for empty in [r#"{"offsets":[]}"#, "{}", r#"{"offsets":null}"#] {
        app.json("PATCH", "/connectors/c/offsets", empty)
            .await
            .assert_error(
                400,
                "Partitions / offsets need to be provided for an alter offsets request",
            );
    }
    app.json("PATCH", "/connectors/c/offsets", "")
        .await
        .assert(500, r#"{"error_code":500,"message":"Cannot invoke \"org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets.offsets()\" because \"offsets\" is null"}"#);
    app.json("PATCH", "/connectors/c/offsets", r#"{"offsets":[null]}"#)
        .await
        .assert(500, r#"{"error_code":500,"message":"Cannot invoke \"org.apache.kafka.connect.runtime.rest.entities.ConnectorOffset.partition()\" because \"offset\" is null"}"#);
    app.json("PATCH", "/connectors/c/offsets", r#"{"offset":[]}"#).await.assert_error(
        500,
        &format!(
            "Unrecognized field \"offset\" (class org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets), not marked as ignorable (one known property: \"offsets\"]){} (through reference chain: org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets[\"offset\"])",
            at(1, 14)
        ),
    );
    app.bare("DELETE", "/connectors/c/offsets/").await.assert(
        200,
        r#"{"message":"The offsets for this connector have been reset successfully"}"#,
    );
    app.json("PATCH", "/connectors/nope/offsets", alter)
        .await
        .assert_error(404, "Connector nope not found");
}

#[tokio::test]
async fn concurrent_creates_of_one_name() {
    let app = App::new();
    let body = r#"{"name":"race","config":{"connector.class":"FileStreamSource","topic":"t"}}"#;
    let calls = (0..16).map(|_| app.json("POST", "/connectors", body));
    let results = futures::future::join_all(calls).await;
    let created = results.iter().filter(|r| r.status == 201).count();
    let conflicts: Vec<_> = results.iter().filter(|r| r.status == 409).collect();
    assert_eq!(created, 1);
    assert_eq!(conflicts.len(), 15);
    for r in conflicts {
        r.assert_error(409, "Connector race already exists");
    }
}

#[tokio::test]
async fn large_bodies() {
    // 10 MB config value: read and processed (Kafka has no limit; ours is 32 MiB).
    let app = App::new();
    let big = "x".repeat(10 * 1024 * 1024);
    let body = format!(
        r#"{{"name":"big","config":{{"connector.class":"FileStreamSource","topic":"t","file":"{big}"}}}}"#
    );
    let r = app.json("POST", "/connectors", &body).await;
    assert_eq!(r.status, 201);
    assert!(
        r.body.len() > 10 * 1024 * 1024 && r.body.contains(&big),
        "echoes the config"
    );
    // Over the limit: 413 in the error shape.
    let small = App::with(|s| s.with_body_limit(1024 * 1024));
    small
        .json("POST", "/connectors", &body)
        .await
        .assert_error(413, "HTTP 413 Request Entity Too Large");
    // A truncated 10 MB document is a Jackson error, not a crash.
    let r = app
        .json("POST", "/connectors", &body[..body.len() - 10])
        .await;
    assert_eq!(r.status, 500);
    assert!(
        r.body.contains("Unexpected end-of-input in VALUE_STRING"),
        "{}",
        &r.body[..200.min(r.body.len())]
    );
}
