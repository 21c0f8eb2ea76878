//! The `sluice` binary with `metrics.listener`: `GET /metrics` is served on a port of its own,
//! alone and without the REST API's BasicAuth (as a JVM worker's JMX exporter agent is), while
//! the REST listeners keep serving it behind their security; a listener that cannot be bound or
//! parsed stops the worker before it starts.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SLUICE: &str = env!("CARGO_BIN_EXE_sluice");
const BASIC_AUTH: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

/// A standalone worker's properties (no broker is needed to serve the API): BasicAuth on the
/// REST listener, and `metrics_listener` when given.
fn worker_properties(dir: &Path, rest_port: u16, metrics_listener: Option<&str>) -> String {
    let d = dir.display();
    std::fs::write(dir.join("users.properties"), "alice: secret\n").expect("users");
    std::fs::write(
        dir.join("connect_jaas.conf"),
        format!(
            "KafkaConnect {{ org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required file=\"{d}/users.properties\"; }};\n"
        ),
    )
    .expect("jaas");
    let mut props = format!(
        "bootstrap.servers=127.0.0.1:1
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
offset.storage.file.filename={d}/offsets
listeners=http://127.0.0.1:{rest_port}
rest.extension.classes={BASIC_AUTH}
sluice.rest.jaas.config.file={d}/connect_jaas.conf
"
    );
    if let Some(l) = metrics_listener {
        props.push_str(&format!("metrics.listener={l}\n"));
    }
    props
}

/// An answer: status code, `Content-Type` and body.
#[derive(Debug)]
struct Answer {
    code: String,
    content_type: String,
    body: String,
}

fn curl(method: &str, url: &str, user: Option<&str>) -> Answer {
    let mut args = vec![
        "-s",
        "-X",
        method,
        "-H",
        "Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5",
        "-o",
        "-",
        "-w",
        "\n%{http_code} %{content_type}",
    ];
    if let Some(u) = user {
        args.extend(["-u", u]);
    }
    args.push(url);
    let out = Command::new("curl").args(&args).output().expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, tail) = text.rsplit_once('\n').unwrap_or(("", ""));
    let (code, content_type) = tail.split_once(' ').unwrap_or((tail, ""));
    Answer {
        code: code.to_owned(),
        content_type: content_type.to_owned(),
        body: body.to_owned(),
    }
}

/// Kills the worker when the test ends, pass or fail.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn start(dir: &Path) -> Worker {
    let log = std::fs::File::create(dir.join("worker.log")).expect("log");
    Worker(
        Command::new(SLUICE)
            .args(["standalone", "worker.properties"])
            .current_dir(dir)
            .env_remove("KAFKA_OPTS")
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("sluice"),
    )
}

/// Waits until `url` answers at all.
fn wait_for(worker: &mut Worker, dir: &Path, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while curl("GET", url, None).code == "000" {
        if let Some(status) = worker.0.try_wait().expect("wait") {
            panic!(
                "sluice exited with {status}: {}",
                std::fs::read_to_string(dir.join("worker.log")).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "sluice did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_metrics_listener_serves_only_the_exposition_and_without_the_rest_apis_basic_auth() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (rest_port, metrics_port) = (free_port(), free_port());
    let metrics = format!("http://127.0.0.1:{metrics_port}");
    std::fs::write(
        d.join("worker.properties"),
        worker_properties(d, rest_port, Some(&metrics)),
    )
    .expect("worker");
    let mut worker = start(d);
    wait_for(&mut worker, d, &format!("{metrics}/metrics"));

    // The exposition, whole, in the OpenMetrics format, with no credentials.
    let a = curl("GET", &format!("{metrics}/metrics"), None);
    assert_eq!(a.code, "200", "{a:?}");
    assert!(
        a.content_type.starts_with("application/openmetrics-text"),
        "{a:?}"
    );
    assert!(a.body.ends_with("# EOF\n"), "{}", a.body);
    for family in [
        "# TYPE kafka_connect_worker_connector_count gauge",
        "# TYPE process_resident_memory_bytes gauge",
    ] {
        assert!(a.body.contains(family), "{family} missing:\n{}", a.body);
    }
    let a = curl("GET", &format!("{metrics}/metrics?names=confluent"), None);
    assert_eq!(a.code, "200", "{a:?}");
    assert!(
        a.body
            .contains("kafka_connect_connect_worker_metrics_connector_count"),
        "{}",
        a.body
    );
    // Nothing of the REST API is there.
    for path in ["/", "/connectors", "/connector-plugins", "/admin/loggers"] {
        let a = curl("GET", &format!("{metrics}{path}"), None);
        assert_eq!(a.code, "404", "GET {path}: {a:?}");
    }
    let a = curl("POST", &format!("{metrics}/metrics"), None);
    assert_eq!(a.code, "405", "{a:?}");

    // The REST listener keeps /metrics, behind its BasicAuth.
    let rest = format!("http://127.0.0.1:{rest_port}");
    assert_eq!(curl("GET", &format!("{rest}/metrics"), None).code, "401");
    let a = curl("GET", &format!("{rest}/metrics"), Some("alice:secret"));
    assert_eq!(a.code, "200", "{a:?}");
    assert!(
        a.body
            .contains("# TYPE kafka_connect_worker_connector_count gauge"),
        "{}",
        a.body
    );
    drop(worker);
    let logged = std::fs::read_to_string(d.join("worker.log")).expect("log");
    assert!(
        logged.contains(&format!("listener=http://127.0.0.1:{metrics_port}"))
            && logged.contains("metrics_only=true"),
        "{logged}"
    );
}

fn start_and_fail(dir: &Path) -> Output {
    let mut child = Command::new(SLUICE)
        .args(["standalone", "worker.properties"])
        .current_dir(dir)
        .env_remove("KAFKA_OPTS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sluice");
    // A worker that wrongly starts would run forever: stop it and fail.
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("sluice started instead of refusing to");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    assert!(!out.status.success(), "sluice started: {out:?}");
    out
}

#[test]
fn a_metrics_listener_that_cannot_be_bound_or_parsed_refuses_start_up_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let listener = format!("http://127.0.0.1:{port}");
    std::fs::write(
        d.join("worker.properties"),
        worker_properties(d, free_port(), Some(&listener)),
    )
    .expect("worker");
    let out = start_and_fail(d);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("could not listen on 127.0.0.1:{port}")),
        "{err}"
    );
    drop(taken);

    std::fs::write(
        d.join("worker.properties"),
        worker_properties(d, free_port(), Some("127.0.0.1:9404")),
    )
    .expect("worker");
    let out = start_and_fail(d);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Invalid value 127.0.0.1:9404 for configuration metrics.listener"),
        "{err}"
    );
}
