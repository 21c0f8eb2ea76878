//! The differential REST suite: one sequence of requests (the lifecycle, offsets, validation,
//! the error paths) sent to the real Kafka Connect worker and to Sluice, each in a cluster of
//! its own on one broker, and the answers compared: status codes and bodies, after masking
//! worker ids, times and traces.
//!
//! The oracle is Kafka Connect 4.3; Sluice answers as 3.9. Where 4.3 legitimately differs from
//! 3.9, the difference is listed in [`KNOWN_DIFFERENCES`] with the Kafka source that explains
//! it, and the comparison drops exactly that part. Everything else must be equal.

use std::time::Duration;

use connect_e2e::{BoxError, Broker, JvmWorker, RestClient, Worker, it_enabled, random_name};
use serde_json::{Value, json};

/// 4.3 versus 3.9, each checked against Kafka 3.9's sources.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "GET / version",
        "RootResource.serverInfo returns AppInfoParser.getVersion(): 4.3.0 on the oracle, 3.9.0 on Sluice (commit and cluster id differ per build and cluster).",
    ),
    (
        "status `version` of connectors and tasks",
        "KIP-891 (Kafka 4.1) added `version` to ConnectorStateInfo.AbstractState; 3.9's AbstractState has only state, trace, worker_id.",
    ),
    (
        "plugin config `order_in_group`, `order`",
        "3.9's ConfigKeyInfo serializes `order` (getter `order()`, last); 4.x renamed it `order_in_group` after `group`.",
    ),
    (
        "validate and plugin config: `*.plugin.version` keys, converter defaults, Common-group numbering",
        "KIP-891 (4.1) added connector.plugin.version and key/value/header.converter.plugin.version to ConnectorConfig.configDef() (shifting the shared Common/Transforms/Predicates order counter), and gave the converter keys the worker's converters as defaults with recommenders; 3.9's ConnectorConfig.configDef() defines the converters with a null default and no recommender. The oracle's answers drop those keys and fields, and orders of those groups are compared in a unit test against 3.9 instead (connector_config.rs).",
    ),
    (
        "unknown connector class on create: 500 versus 400",
        "3.9's AbstractHerder.validateConnectorConfig calls getConnector(connType), whose plugins().newConnector throws a plain ConnectException: ConnectExceptionMapper answers 500. 4.x answers 400. The plugin lists in the message differ by build.",
    ),
    (
        "Jackson parse-error texts",
        "The 500 for malformed JSON carries Jackson's message; Kafka 3.9 ships Jackson 2.16, 4.3 a newer one whose source-location text differs. Status and shape are compared, not the text.",
    ),
];

/// What one answer is reduced to before comparing.
fn normalize(mut body: Value, worker_ids: &[String]) -> Value {
    fn walk(v: &mut Value, ids: &[String]) {
        match v {
            Value::String(s) if ids.iter().any(|id| id == s) => *s = "<worker>".into(),
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, ids)),
            Value::Object(m) => {
                // KNOWN_DIFFERENCES: status `version` (KIP-891).
                if m.contains_key("state") {
                    m.remove("version");
                }
                if let Some(t) = m.get_mut("trace") {
                    *t = json!("<trace>");
                }
                // KNOWN_DIFFERENCES: `order_in_group` versus `order`.
                if let Some(o) = m.remove("order_in_group") {
                    m.insert("order".into(), o);
                }
                m.values_mut().for_each(|x| walk(x, ids));
            }
            _ => {}
        }
    }
    walk(&mut body, worker_ids);
    body
}

/// KNOWN_DIFFERENCES (KIP-891): drops the 4.x-only `*.plugin.version` keys, the converter
/// defaults, values and recommendations 4.x derives from the worker, and the order numbers of
/// the groups 4.x renumbered, from a ConfigInfos body or a plugin's key list.
fn without_kip_891(mut body: Value) -> Value {
    fn name_of(c: &Value) -> Option<&str> {
        c["definition"]["name"]
            .as_str()
            .or_else(|| c["value"]["name"].as_str())
            .or_else(|| c["name"].as_str())
    }
    let list = match body.get_mut("configs") {
        Some(configs) => configs.as_array_mut(),
        None => body.as_array_mut(),
    };
    if let Some(list) = list {
        list.retain(|c| !name_of(c).is_some_and(|n| n.ends_with("plugin.version")));
        for c in list.iter_mut() {
            let name = name_of(c).unwrap_or_default().to_owned();
            let def = if c.get("definition").is_some() {
                &mut c["definition"]
            } else {
                &mut *c
            };
            if matches!(
                def["group"].as_str(),
                Some("Common" | "Transforms" | "Predicates")
            ) {
                def["order"] = json!("<3.9 numbering: unit test>");
                if let Some(d) = def.as_object_mut() {
                    d.remove("order_in_group");
                }
            }
            if matches!(
                name.as_str(),
                "key.converter" | "value.converter" | "header.converter"
            ) {
                def["default_value"] = Value::Null;
                if let Some(v) = c.get_mut("value").filter(|v| v.is_object()) {
                    v["recommended_values"] = json!([]);
                    if v["errors"].as_array().is_some_and(Vec::is_empty) {
                        v["value"] = Value::Null;
                    }
                }
            }
        }
    }
    body
}

/// The paths at which two answers differ, with both values (`$` is the root).
fn differences(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let (va, vb) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                if !x.contains_key(k) || !y.contains_key(k) {
                    out.push(format!(
                        "{path}.{k}: jvm {} / sluice {}",
                        if x.contains_key(k) {
                            va.to_string()
                        } else {
                            "(absent)".into()
                        },
                        if y.contains_key(k) {
                            vb.to_string()
                        } else {
                            "(absent)".into()
                        }
                    ));
                } else {
                    differences(&format!("{path}.{k}"), va, vb, out);
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                let label = va["name"]
                    .as_str()
                    .or_else(|| va["definition"]["name"].as_str())
                    .map_or(i.to_string(), str::to_owned);
                differences(&format!("{path}[{label}]"), va, vb, out);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            let names = |v: &[Value]| -> Vec<String> {
                v.iter()
                    .map(|e| {
                        e["name"]
                            .as_str()
                            .or_else(|| e["definition"]["name"].as_str())
                            .map_or_else(|| e.to_string(), str::to_owned)
                    })
                    .collect()
            };
            out.push(format!(
                "{path}: {} vs {} elements\n    jvm:    {:?}\n    sluice: {:?}",
                x.len(),
                y.len(),
                names(x),
                names(y)
            ));
        }
        _ if a != b => out.push(format!("{path}: jvm {a} / sluice {b}")),
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Json(Value),
    Raw(&'static str, &'static str),
}

async fn send(
    rest: &RestClient,
    method: &str,
    path: &str,
    body: &Body,
) -> Result<(u16, Value), BoxError> {
    let r = match body {
        Body::None => rest.raw(method, path, None, "").await?,
        Body::Json(v) => {
            rest.raw(method, path, Some("application/json"), &v.to_string())
                .await?
        }
        Body::Raw(ct, text) => rest.raw(method, path, Some(ct), text).await?,
    };
    Ok((r.status, r.body))
}

/// Polls `path` on `rest` until `done` holds (60 s at most).
async fn wait_for(
    rest: &RestClient,
    path: &str,
    done: impl Fn(&Value) -> bool,
) -> Result<(), BoxError> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = rest.get(path).await?;
        if done(&r.body) {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("{} {path}: still {}", rest.base(), r.text).into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn state_is(state: &'static str) -> impl Fn(&Value) -> bool {
    move |s: &Value| {
        s["connector"]["state"] == state
            && s["tasks"]
                .as_array()
                .is_some_and(|t| !t.is_empty() && t.iter().all(|t| t["state"] == state))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rest_api_answers_as_the_jvm_worker_does() -> Result<(), BoxError> {
    if !it_enabled() {
        eprintln!("skipped, set CONNECT_IT=1 to run service-backed tests");
        return Ok(());
    }
    let broker = Broker::try_shared().await?;
    let bootstrap = broker.bootstrap().to_owned();
    let Some(jvm) = JvmWorker::builder().start(&bootstrap).await? else {
        return Ok(());
    };
    let mut sluice = Worker::builder().start().await?;
    let workers = [("jvm", jvm.rest()), ("sluice", sluice.rest())];
    let ids = vec![jvm.worker_id(), format!("127.0.0.1:{}", sluice.port())];
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "a\nb\nc\n")?;
    let name = random_name("src");
    let topic = random_name("rest-diff");
    let source = json!({
        "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "tasks.max": "1",
        "file": file.display().to_string(),
        "topic": topic,
        "topic.creation.default.partitions": "1",
        "topic.creation.default.replication.factor": "1",
    });
    let mut changed = source.clone();
    changed["batch.size"] = json!("100");
    let c = |p: &str| format!("/connectors/{name}{p}");
    let validate_bad =
        json!({"connector.class": "FileStreamSource", "name": "v", "tasks.max": "0", "topic": ""});
    let sink_both = json!({"connector.class": "FileStreamSink", "name": "v", "topics": "a", "topics.regex": "b.*"});

    // (what, method, path, body, wait for this after the step on both workers)
    type Wait = Option<(String, fn(&Value) -> bool)>;
    let running: fn(&Value) -> bool = |s| state_is("RUNNING")(s);
    let has_topic: fn(&Value) -> bool = |t| {
        t.as_object()
            .and_then(|m| m.values().next())
            .is_some_and(|c| c["topics"].as_array().is_some_and(|a| !a.is_empty()))
    };
    let paused: fn(&Value) -> bool = |s| state_is("PAUSED")(s);
    let stopped: fn(&Value) -> bool = |s| {
        s["connector"]["state"] == "STOPPED" && s["tasks"].as_array().is_some_and(Vec::is_empty)
    };
    let steps: Vec<(&str, &str, String, Body, Wait)> = vec![
        (
            "no connectors",
            "GET",
            "/connectors".into(),
            Body::None,
            None,
        ),
        (
            "create",
            "POST",
            "/connectors".into(),
            Body::Json(json!({"name": name, "config": source})),
            Some((c("/status"), running)),
        ),
        (
            "create again",
            "POST",
            "/connectors".into(),
            Body::Json(json!({"name": name, "config": source})),
            None,
        ),
        ("list", "GET", "/connectors".into(), Body::None, None),
        ("info", "GET", c(""), Body::None, None),
        ("info, trailing slash", "GET", c("/"), Body::None, None),
        (
            "status",
            "GET",
            c("/status"),
            Body::None,
            Some((c("/topics"), has_topic)),
        ),
        ("config", "GET", c("/config"), Body::None, None),
        ("tasks", "GET", c("/tasks"), Body::None, None),
        ("task status", "GET", c("/tasks/0/status"), Body::None, None),
        (
            "unknown task status",
            "GET",
            c("/tasks/7/status"),
            Body::None,
            None,
        ),
        ("topics", "GET", c("/topics"), Body::None, None),
        (
            "expand status",
            "GET",
            "/connectors?expand=status".into(),
            Body::None,
            None,
        ),
        (
            "expand both",
            "GET",
            "/connectors?expand=status&expand=info".into(),
            Body::None,
            None,
        ),
        (
            "put config",
            "PUT",
            c("/config"),
            Body::Json(changed.clone()),
            Some((c("/status"), running)),
        ),
        (
            "patch config",
            "PATCH",
            c("/config"),
            Body::Json(json!({"batch.size": "200"})),
            Some((c("/status"), running)),
        ),
        (
            "pause",
            "PUT",
            c("/pause"),
            Body::None,
            Some((c("/status"), paused)),
        ),
        (
            "resume",
            "PUT",
            c("/resume"),
            Body::None,
            Some((c("/status"), running)),
        ),
        (
            "restart",
            "POST",
            c("/restart"),
            Body::None,
            Some((c("/status"), running)),
        ),
        (
            "restart with tasks",
            "POST",
            c("/restart?includeTasks=true&onlyFailed=false"),
            Body::None,
            Some((c("/status"), running)),
        ),
        (
            "offsets while running",
            "DELETE",
            c("/offsets"),
            Body::None,
            None,
        ),
        (
            "stop",
            "PUT",
            c("/stop"),
            Body::None,
            Some((c("/status"), stopped)),
        ),
        ("offsets", "GET", c("/offsets"), Body::None, None),
        (
            "alter offsets",
            "PATCH",
            c("/offsets"),
            Body::Json(
                json!({"offsets": [{"partition": {"filename": file.display().to_string()}, "offset": {"position": 2}}]}),
            ),
            None,
        ),
        (
            "offsets after alter",
            "GET",
            c("/offsets"),
            Body::None,
            None,
        ),
        ("reset offsets", "DELETE", c("/offsets"), Body::None, None),
        (
            "offsets after reset",
            "GET",
            c("/offsets"),
            Body::None,
            None,
        ),
        (
            "unknown connector",
            "GET",
            "/connectors/nope".into(),
            Body::None,
            None,
        ),
        (
            "unknown status",
            "GET",
            "/connectors/nope/status".into(),
            Body::None,
            None,
        ),
        (
            "unknown config",
            "GET",
            "/connectors/nope/config".into(),
            Body::None,
            None,
        ),
        (
            "pause unknown",
            "PUT",
            "/connectors/nope/pause".into(),
            Body::None,
            None,
        ),
        (
            "restart unknown",
            "POST",
            "/connectors/nope/restart".into(),
            Body::None,
            None,
        ),
        (
            "delete unknown",
            "DELETE",
            "/connectors/nope".into(),
            Body::None,
            None,
        ),
        (
            "no body",
            "POST",
            "/connectors".into(),
            Body::Raw("application/json", ""),
            None,
        ),
        (
            "form body",
            "POST",
            "/connectors".into(),
            Body::Raw("application/x-www-form-urlencoded", "a=b"),
            None,
        ),
        (
            "no config",
            "POST",
            "/connectors".into(),
            Body::Json(json!({"name": "x"})),
            None,
        ),
        (
            "no class",
            "POST",
            "/connectors".into(),
            Body::Json(json!({"name": "x", "config": {"topic": "t"}})),
            None,
        ),
        (
            "unknown class",
            "POST",
            "/connectors".into(),
            Body::Json(json!({"name": "x", "config": {"connector.class": "com.example.Nope"}})),
            None,
        ),
        (
            "name mismatch",
            "PUT",
            "/connectors/x/config".into(),
            Body::Json(json!({"name": "y", "connector.class": "FileStreamSource", "topic": "t"})),
            None,
        ),
        (
            "validate errors",
            "PUT",
            "/connector-plugins/FileStreamSource/config/validate".into(),
            Body::Json(validate_bad.clone()),
            None,
        ),
        (
            "validate sink topics",
            "PUT",
            "/connector-plugins/FileStreamSinkConnector/config/validate".into(),
            Body::Json(sink_both.clone()),
            None,
        ),
        (
            "plugin config",
            "GET",
            "/connector-plugins/FileStreamSource/config".into(),
            Body::None,
            None,
        ),
        (
            "unknown plugin config",
            "GET",
            "/connector-plugins/com.example.Nope/config".into(),
            Body::None,
            None,
        ),
        (
            "wrong method",
            "DELETE",
            "/connectors".into(),
            Body::None,
            None,
        ),
        (
            "unknown route",
            "GET",
            "/nothing/here".into(),
            Body::None,
            None,
        ),
        ("bad task id", "GET", c("/tasks/x/status"), Body::None, None),
        ("delete", "DELETE", c(""), Body::None, None),
        ("gone", "GET", c(""), Body::None, None),
        ("empty again", "GET", "/connectors".into(), Body::None, None),
        (
            "create stopped",
            "POST",
            "/connectors".into(),
            Body::Json(json!({"name": "stopped", "config": source, "initial_state": "STOPPED"})),
            Some(("/connectors/stopped/status".into(), stopped)),
        ),
        (
            "stopped status",
            "GET",
            "/connectors/stopped/status".into(),
            Body::None,
            None,
        ),
        (
            "stopped in expand",
            "GET",
            "/connectors?expand=status".into(),
            Body::None,
            None,
        ),
        (
            "stopped tasks",
            "GET",
            "/connectors/stopped/tasks".into(),
            Body::None,
            None,
        ),
        (
            "delete stopped",
            "DELETE",
            "/connectors/stopped".into(),
            Body::None,
            None,
        ),
    ];
    let mut found = Vec::new();
    for (what, method, path, body, wait) in &steps {
        let mut answers = Vec::new();
        for (label, rest) in &workers {
            if *what == "offsets after reset" {
                // The reset's tombstones reach each worker's offset reader asynchronously.
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            let (status, mut answer) = send(rest, method, path, body).await?;
            if path.contains("/connector-plugins/") {
                answer = without_kip_891(answer);
            }
            if *what == "malformed json" {
                // KNOWN_DIFFERENCES: Jackson's text; compare the shape only.
                answer["message"] = json!(answer["message"].is_string());
            }
            if *what == "unknown class" {
                // KNOWN_DIFFERENCES: 500 in 3.9, 400 in 4.x; the plugin lists differ by build.
                answer["error_code"] = json!("4xx or 5xx");
                answer["message"] = json!(
                    answer["message"].as_str().map(|m| m
                        .split(", available")
                        .next()
                        .unwrap_or_default()
                        .to_owned())
                );
                answers.push((0, normalize(answer, &ids)));
                continue;
            }
            answers.push((status, normalize(answer, &ids)));
            if let Some((p, done)) = wait {
                wait_for(rest, p, done)
                    .await
                    .map_err(|e| format!("{label} after {what}: {e}"))?;
            }
        }
        if answers[0] != answers[1] {
            let mut paths = Vec::new();
            if answers[0].0 != answers[1].0 {
                paths.push(format!(
                    "status: jvm {} / sluice {}",
                    answers[0].0, answers[1].0
                ));
            }
            differences("$", &answers[0].1, &answers[1].1, &mut paths);
            found.push(format!("{what}: {method} {path}\n  {}", paths.join("\n  ")));
        }
    }
    assert!(
        found.is_empty(),
        "{} of {} answers differ (known differences: {:?}):\n{}",
        found.len(),
        steps.len(),
        KNOWN_DIFFERENCES.iter().map(|d| d.0).collect::<Vec<_>>(),
        found.join("\n")
    );
    sluice.stop(Duration::from_secs(10)).await?;
    Ok(())
}
