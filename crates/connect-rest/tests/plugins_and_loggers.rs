//! `/connector-plugins` and `/admin/loggers`.

mod common;

use axum::body::Body;
use common::{App, at};

const CONNECTOR_PLUGINS: &str = r#"[{"class":"org.apache.kafka.connect.file.FileStreamSinkConnector","type":"sink","version":"3.9.0"},{"class":"org.apache.kafka.connect.file.FileStreamSourceConnector","type":"source","version":"3.9.0"},{"class":"org.apache.kafka.connect.mirror.MirrorSourceConnector","type":"source","version":"3.9.0"}]"#;

#[tokio::test]
async fn plugin_listing() {
    let app = App::new();
    // The article's call: curl -H "Accept:application/json" localhost:8083/connector-plugins/
    let r = app
        .send(
            "GET",
            "/connector-plugins/",
            &[("accept", "application/json")],
            Body::empty(),
        )
        .await;
    r.assert(200, CONNECTOR_PLUGINS);
    assert_eq!(r.header("content-type"), Some("application/json"));
    app.get("/connector-plugins")
        .await
        .assert(200, CONNECTOR_PLUGINS);
    app.get("/connector-plugins?connectorsOnly=true")
        .await
        .assert(200, CONNECTOR_PLUGINS);
    // Blank means the default for a primitive boolean.
    app.get("/connector-plugins?connectorsOnly=")
        .await
        .assert(200, CONNECTOR_PLUGINS);
    let all = app.get("/connector-plugins?connectorsOnly=FALSE").await;
    all.assert(
        200,
        &format!(
            "{},{{\"class\":\"org.apache.kafka.connect.transforms.InsertField$Value\",\"type\":\"transformation\"}}]",
            CONNECTOR_PLUGINS.trim_end_matches(']')
        ),
    );
    // Anything but "true" is false.
    assert_eq!(
        app.get("/connector-plugins?connectorsOnly=no").await.body,
        all.body
    );
}

#[tokio::test]
async fn plugin_config() {
    let app = App::new();
    let topic = r#"[{"name":"topic","type":"STRING","required":true,"default_value":null,"importance":"HIGH","documentation":"","group":null,"width":"NONE","display_name":"topic","dependents":[],"order":-1}]"#;
    app.get("/connector-plugins/FileStreamSource/config")
        .await
        .assert(200, topic);
    app.get("/connector-plugins/org.apache.kafka.connect.file.FileStreamSourceConnector/config/")
        .await
        .assert(200, topic);
    app.get("/connector-plugins/Nope/config")
        .await
        .assert_error(404, "Unknown plugin Nope.");
}

#[tokio::test]
async fn validate() {
    let app = App::new();
    let ok = r#"{"connector.class":"org.apache.kafka.connect.file.FileStreamSourceConnector","name":"file-src","tasks.max":"1"}"#;
    let r = app
        .json(
            "PUT",
            "/connector-plugins/FileStreamSourceConnector/config/validate",
            ok,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.starts_with(r#"{"name":"org.apache.kafka.connect.file.FileStreamSourceConnector","error_count":1,"groups":["Common"],"configs":[{"definition":{"name":"name","type":"STRING","required":true,"default_value":null,"importance":"HIGH","documentation":"Globally unique name to use for this connector.","group":"Common","width":"MEDIUM","display_name":"Connector name","dependents":[],"order":1},"value":{"name":"name","value":"file-src","recommended_values":[],"errors":[],"visible":true}}"#), "{}", r.body);
    assert!(r.body.ends_with(r#"{"definition":{"name":"topic","type":"STRING","required":true,"default_value":null,"importance":"HIGH","documentation":"","group":null,"width":"NONE","display_name":"topic","dependents":[],"order":-1},"value":{"name":"topic","value":null,"recommended_values":[],"errors":["Missing required configuration \"topic\" which has no default value."],"visible":true}}]}"#), "{}", r.body);
    // The path may be the alias, the simple name or the full class name.
    for plugin in [
        "FileStreamSource",
        "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "Source",
    ] {
        let r = app
            .json(
                "PUT",
                &format!("/connector-plugins/{plugin}/config/validate/"),
                ok,
            )
            .await;
        assert_eq!(r.status, 200, "{plugin}: {}", r.body);
    }
    // Otherwise the class must end with the normalised plugin name (case-sensitive, as Kafka).
    for plugin in ["FileStreamSink", "filestreamsource", "Connector"] {
        app.json("PUT", &format!("/connector-plugins/{plugin}/config/validate"), ok).await.assert_error(
            400,
            &format!(
                "Included connector type org.apache.kafka.connect.file.FileStreamSourceConnector does not match request type {plugin}"
            ),
        );
    }
    // An alias in the body and the full class in the path do not match in Kafka either.
    app.json(
        "PUT",
        "/connector-plugins/org.apache.kafka.connect.file.FileStreamSourceConnector/config/validate",
        r#"{"connector.class":"FileStreamSource"}"#,
    )
    .await
    .assert_error(
        400,
        "Included connector type FileStreamSource does not match request type org.apache.kafka.connect.file.FileStreamSourceConnector",
    );
    // Failures inside validation surface as ExecutionException: 500 with the cause's class.
    app.json("PUT", "/connector-plugins/FileStreamSource/config/validate", r#"{"name":"x"}"#).await.assert_error(
        500,
        "org.apache.kafka.connect.runtime.rest.errors.BadRequestException: Connector config {name=x} contains no connector type",
    );
    let r = app
        .json(
            "PUT",
            "/connector-plugins/Nope/config/validate",
            r#"{"connector.class":"Nope"}"#,
        )
        .await;
    assert_eq!(r.status, 500);
    assert!(
        r.body.starts_with(r#"{"error_code":500,"message":"org.apache.kafka.connect.errors.ConnectException: Failed to find any class that implements Connector and which name matches Nope"#),
        "{}",
        r.body
    );
    // null values are reported in the result, not as an error.
    let r = app
        .json(
            "PUT",
            "/connector-plugins/FileStreamSource/config/validate",
            r#"{"connector.class":"FileStreamSource","name":"n","topic":null,"extra":null}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.starts_with(r#"{"name":"FileStreamSource","error_count":2,"groups":["Common"],"configs":[{"definition":null,"value":{"name":"extra","value":null,"recommended_values":[],"errors":["Null value can not be supplied as the configuration value."],"visible":true}}"#), "{}", r.body);
    assert!(r.body.contains(r#""value":{"name":"topic","value":null,"recommended_values":[],"errors":["Null value can not be supplied as the configuration value."],"visible":true}"#), "{}", r.body);
    app.json(
        "PUT",
        "/connector-plugins/FileStreamSource/config/validate",
        "",
    )
    .await
    .assert(500, r#"{"error_code":500,"message":"Cannot invoke \"java.util.Map.get(Object)\" because \"connectorConfig\" is null"}"#);
    app.json(
        "PUT",
        "/connector-plugins/FileStreamSource/config/validate",
        r#"{"connector.class":}"#,
    )
    .await
    .assert_error(
        500,
        &format!(
            "Unexpected character ('}}' (code 125)): expected a value{}",
            at(1, 21)
        ),
    );
}

#[tokio::test]
async fn loggers() {
    let app = App::new();
    let all = r#"{"org.apache.kafka.connect":{"level":"INFO","last_modified":null},"org.apache.kafka.connect.runtime.Worker":{"level":"INFO","last_modified":null},"root":{"level":"INFO","last_modified":null}}"#;
    app.get("/admin/loggers").await.assert(200, all);
    app.get("/admin/loggers/").await.assert(200, all);
    app.get("/admin/loggers/root")
        .await
        .assert(200, r#"{"level":"INFO","last_modified":null}"#);
    app.get("/admin/loggers/com.example")
        .await
        .assert_error(404, "Logger com.example not found.");
    app.json(
        "PUT",
        "/admin/loggers/org.apache.kafka.connect",
        r#"{"level":"DEBUG"}"#,
    )
    .await
    .assert(
        200,
        r#"["org.apache.kafka.connect","org.apache.kafka.connect.runtime.Worker"]"#,
    );
    app.get("/admin/loggers/org.apache.kafka.connect/")
        .await
        .assert(200, r#"{"level":"DEBUG","last_modified":1696000000000}"#);
    app.json(
        "PUT",
        "/admin/loggers/org.apache.kafka.connect?scope=cluster",
        r#"{"level":"warn"}"#,
    )
    .await
    .assert(204, "");
    app.json(
        "PUT",
        "/admin/loggers/org.apache.kafka.connect?scope=Cluster",
        r#"{"level":"info"}"#,
    )
    .await
    .assert(204, "");
    // Unknown scopes mean worker.
    let r = app
        .json(
            "PUT",
            "/admin/loggers/org.apache.kafka.connect?scope=galaxy",
            r#"{"level":"ERROR"}"#,
        )
        .await;
    assert_eq!(r.status, 200);
    app.json("PUT", "/admin/loggers/root", r#"{"levle":"DEBUG"}"#)
        .await
        .assert_error(
            400,
            "Desired 'level' parameter was not specified in request.",
        );
    app.json("PUT", "/admin/loggers/root", r#"{"level":null}"#)
        .await
        .assert_error(
            400,
            "Desired 'level' parameter was not specified in request.",
        );
    app.json("PUT", "/admin/loggers/root", r#"{"level":"CRITICAL"}"#)
        .await
        .assert_error(404, "invalid log level 'CRITICAL'.");
    app.json("PUT", "/admin/loggers/root", "")
        .await
        .assert(500, r#"{"error_code":500,"message":"Cannot invoke \"java.util.Map.get(Object)\" because \"levelMap\" is null"}"#);
    app.send("PUT", "/admin/loggers/root", &[], r#"{"level":"DEBUG"}"#)
        .await
        .assert_error(415, "HTTP 415 Unsupported Media Type");
}
