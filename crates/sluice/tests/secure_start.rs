//! The `sluice` binary started with a secured REST API and config-provider placeholders in its
//! own properties (KIP-421): it serves https with BasicAuth to `curl`, and refuses to start,
//! naming the file or class, when a placeholder or the REST set-up is wrong, never printing a
//! secret.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SLUICE: &str = env!("CARGO_BIN_EXE_sluice");
const BASIC_AUTH: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension";
const PASSWORD: &str = "w0nderland-Secret";

fn run(dir: &Path, program: &str, args: &[&str]) {
    let out = Command::new(program)
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

/// A CA and a PEM keystore for localhost in `dir`.
fn certificates(dir: &Path) {
    run(
        dir,
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=sluice-test-ca",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .expect("ext");
    run(
        dir,
        "openssl",
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    run(
        dir,
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    );
    let key = std::fs::read_to_string(dir.join("server.key")).expect("key");
    let cert = std::fs::read_to_string(dir.join("server.pem")).expect("cert");
    std::fs::write(dir.join("keystore.pem"), format!("{key}{cert}")).expect("keystore");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

/// A standalone worker's properties: https on `port`, BasicAuth, and `offset.flush.interval.ms`
/// and the keystore location taken from a file through the `file` config provider.
fn worker_properties(dir: &Path, port: u16, secrets_file: &str) -> String {
    let d = dir.display();
    std::fs::write(
        dir.join("secrets.properties"),
        format!("flush=15000\nkeystore={d}/keystore.pem\n"),
    )
    .expect("secrets");
    std::fs::write(dir.join("users.properties"), format!("alice: {PASSWORD}\n")).expect("users");
    std::fs::write(
        dir.join("connect_jaas.conf"),
        format!(
            "KafkaConnect {{ org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required file=\"{d}/users.properties\"; }};\n"
        ),
    )
    .expect("jaas");
    format!(
        "bootstrap.servers=127.0.0.1:1
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
offset.storage.file.filename={d}/offsets
config.providers=file
config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
offset.flush.interval.ms=${{file:{d}/{secrets_file}:flush}}
listeners=https://127.0.0.1:{port}
ssl.keystore.type=PEM
ssl.keystore.location=${{file:{d}/{secrets_file}:keystore}}
rest.extension.classes={BASIC_AUTH}
sluice.rest.jaas.config.file={d}/connect_jaas.conf
"
    )
}

fn curl(dir: &Path, port: u16, user: Option<&str>) -> (String, String) {
    let url = format!("https://localhost:{port}/");
    let ca = dir.join("ca.pem").display().to_string();
    let mut args = vec!["-s", "-o", "-", "-w", "\n%{http_code}", "--cacert", &ca];
    if let Some(u) = user {
        args.extend(["-u", u]);
    }
    args.push(&url);
    let out = Command::new("curl").args(&args).output().expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", ""));
    (code.to_owned(), body.to_owned())
}

/// Kills the worker when the test ends, pass or fail.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

#[test]
fn a_worker_resolves_its_placeholders_and_serves_https_with_basic_auth() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    certificates(d);
    let port = free_port();
    std::fs::write(
        d.join("worker.properties"),
        worker_properties(d, port, "secrets.properties"),
    )
    .expect("worker");
    let log = std::fs::File::create(d.join("worker.log")).expect("log");
    let mut worker = Worker(
        Command::new(SLUICE)
            .args(["standalone", "worker.properties"])
            .current_dir(d)
            .env("LOG_LEVEL", "DEBUG")
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("sluice"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let (code, body) = loop {
        let answer = curl(d, port, None);
        if answer.0 != "000" {
            break answer;
        }
        if let Some(status) = worker.0.try_wait().expect("wait") {
            panic!(
                "sluice exited with {status}: {}",
                std::fs::read_to_string(d.join("worker.log")).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "sluice did not start");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        (code.as_str(), body.as_str()),
        ("401", "User cannot access the resource.")
    );
    let (code, _) = curl(d, port, Some("alice:not-the-password"));
    assert_eq!(code, "401");
    let (code, body) = curl(d, port, Some(&format!("alice:{PASSWORD}")));
    assert_eq!(code, "200", "{body}");
    assert!(body.starts_with(r#"{"version":"#), "{body}");
    drop(worker);
    let logged = std::fs::read_to_string(d.join("worker.log")).expect("log");
    assert!(logged.contains("REST server listening"), "{logged}");
    assert!(!logged.contains(PASSWORD), "{logged}");
}

fn start_and_fail(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(SLUICE);
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("KAFKA_OPTS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("sluice");
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
fn a_placeholder_naming_a_missing_file_refuses_start_up_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let port = free_port();
    std::fs::write(
        d.join("worker.properties"),
        worker_properties(d, port, "missing-secrets.properties"),
    )
    .expect("worker");
    let out = start_and_fail(d, &["standalone", "worker.properties"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing-secrets.properties") && err.contains("'file'"),
        "{err}"
    );

    // The same in the debezium/connect environment mode (OFFSET_FLUSH_INTERVAL_MS, which the
    // image always sets, would replace CONNECT_OFFSET_FLUSH_INTERVAL_MS; heartbeat.interval.ms
    // has no such variable).
    let missing = d.join("missing-secrets.properties").display().to_string();
    let out = start_and_fail(
        d,
        &[],
        &[
            ("BOOTSTRAP_SERVERS", "127.0.0.1:1"),
            ("CONFIG_STORAGE_TOPIC", "c"),
            ("OFFSET_STORAGE_TOPIC", "o"),
            ("STATUS_STORAGE_TOPIC", "s"),
            ("CONNECT_CONFIG_PROVIDERS", "file"),
            (
                "CONNECT_CONFIG_PROVIDERS_FILE_CLASS",
                "org.apache.kafka.common.config.provider.FileConfigProvider",
            ),
            (
                "CONNECT_HEARTBEAT_INTERVAL_MS",
                &format!("${{file:{missing}:flush}}"),
            ),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing-secrets.properties"), "{err}");
}

#[test]
fn an_unknown_rest_extension_or_a_missing_users_file_refuses_start_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    certificates(d);
    let port = free_port();
    let props = worker_properties(d, port, "secrets.properties");
    std::fs::write(
        d.join("worker.properties"),
        props.replace(BASIC_AUTH, "com.example.TokenAuthExtension"),
    )
    .expect("worker");
    let out = start_and_fail(d, &["standalone", "worker.properties"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("com.example.TokenAuthExtension"), "{err}");

    std::fs::write(d.join("worker.properties"), &props).expect("worker");
    std::fs::remove_file(d.join("users.properties")).expect("rm");
    let out = start_and_fail(d, &["standalone", "worker.properties"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("users.properties"), "{err}");
    assert!(!err.contains(PASSWORD), "{err}");
}
