//! The `sluice` binary against a broker that speaks only TLS (tansu behind stunnel, see
//! `connect_e2e::tls`), with stores made per run by `openssl` and `keytool`:
//!
//! - per security mode (SSL with client certificates; SASL_SSL with SCRAM), one worker whose
//!   internal topics live on that broker, a FileStream source → sink pipeline, and the MySQL
//!   source feeding the S3 sink. The worker is configured as a JVM worker is: top-level
//!   settings for its own clients, `producer.*`, `consumer.*` and `admin.*` for the connectors'
//!   clients. The worker's own clients, its `producer.*`/`consumer.*`/`admin.*` clients, the
//!   connectors' `*.override.*` clients and the MySQL source's schema-history clients each use
//!   another store type, so PEM (file and inline), PKCS12 and JKS are all exercised in both
//!   modes, and an inline-PEM override works beside the worker's store location, as in Kafka.
//!   A graceful restart then shows configs, target states and offsets read back from the
//!   internal topics;
//! - a broker certificate that fails verification (a foreign CA, an expired certificate, a
//!   host-name mismatch) is named in the worker's `/health`, and in the `trace` of a sink task
//!   (its consumer) and of a source task (its producer).
//!
//! Service-backed: runs with `CONNECT_IT=1`; needs `tansu`, `stunnel4`, `openssl`, `keytool`.

use std::path::Path;
use std::time::{Duration, Instant};

use connect_e2e::tls::{
    BrokerCertificate, PemAs, Pki, STORE_PASSWORD, StoreType, TlsBroker, TlsBrokerOptions,
    client_settings, scram_settings,
};
use connect_e2e::{
    BoxError, Mysql, RestClient, S3, Worker, WorkerBuilder, it_enabled, list_keys, object_lines,
    object_store, random_name, wait_until,
};
use mysql_async::prelude::Queryable;
use rand::Rng as _;
use serde_json::{Map, Value, json};

const WAIT: Duration = Duration::from_secs(120);

fn skip(test: &str) -> bool {
    if it_enabled() {
        return false;
    }
    eprintln!("{test}: skipped, set CONNECT_IT=1 to run service-backed tests");
    true
}

type Settings = Vec<(String, String)>;

/// Worker properties as the debezium/connect image's `CONNECT_*` variables.
fn worker_env(settings: &Settings) -> Settings {
    settings
        .iter()
        .map(|(k, v)| {
            (
                format!("CONNECT_{}", k.to_ascii_uppercase().replace('.', "_")),
                v.clone(),
            )
        })
        .collect()
}

fn with(config: &mut Value, settings: &Settings) {
    if let Some(map) = config.as_object_mut() {
        for (k, v) in settings {
            map.insert(k.clone(), Value::String(v.clone()));
        }
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn append(path: &Path, range: std::ops::Range<usize>) -> Result<(), BoxError> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    for i in range {
        writeln!(f, "line-{i}")?;
    }
    Ok(())
}

fn expected(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("line-{i}")).collect()
}

/// The security settings of one mode: the worker's (top-level for its internal topics and
/// admin client, `producer.*`/`consumer.*`/`admin.*` for the connectors' clients, as a JVM
/// worker sets them), the FileStream source's producer override, the S3 sink's consumer
/// override and the schema history's clients (which, as in Debezium, take only their own
/// `schema.history.internal.*` settings).
///
/// Kafka gives a connector's producer and consumer the worker's prefixed settings and the
/// connector's overrides only, never the worker's top-level `ssl.*`, so an override can switch
/// to inline PEM while the worker's own clients use a store location. An override cannot mix
/// inline PEM with a location left by the worker's `producer.*`/`consumer.*` (Kafka refuses
/// both in one client), so each override below replaces a layer of its own kind.
struct Mode {
    worker: Settings,
    source_override: Settings,
    s3_override: Settings,
    history: Settings,
}

fn prefixed(prefix: &str, pairs: &[(&str, &str)]) -> Settings {
    pairs
        .iter()
        .map(|(k, v)| (format!("{prefix}{k}"), (*v).to_owned()))
        .collect()
}

/// `security.protocol` and the TLS settings of one client under `prefix`.
fn tls_client(
    pki: &Pki,
    prefix: &str,
    protocol: &str,
    store: StoreType,
    pem: PemAs,
    client_cert: bool,
) -> Result<Settings, BoxError> {
    let mut out = prefixed(prefix, &[("security.protocol", protocol)]);
    out.extend(client_settings(pki, prefix, store, pem, client_cert)?);
    Ok(out)
}

/// The schema history's producer on inline PEM, its consumer (and admin) on `consumer`.
fn history(
    pki: &Pki,
    protocol: &str,
    consumer: StoreType,
    client_cert: bool,
) -> Result<Settings, BoxError> {
    let mut out = Settings::new();
    for (prefix, store, pem) in [
        (
            "schema.history.internal.producer.",
            StoreType::Pem,
            PemAs::Inline,
        ),
        ("schema.history.internal.consumer.", consumer, PemAs::File),
    ] {
        out.extend(tls_client(pki, prefix, protocol, store, pem, client_cert)?);
        if protocol == "SASL_SSL" {
            out.extend(scram_settings(
                prefix,
                "SCRAM-SHA-256",
                "pipeline",
                "pipeline-pw-2",
            ));
        }
    }
    Ok(out)
}

/// SSL with client certificates: the worker's own clients on JKS, its admin client on
/// PKCS12 (`admin.*` over the top level), the connectors' producers on PKCS12 and consumers on
/// a PEM file (`producer.*`, `consumer.*`); the FileStream source's producer overridden to
/// JKS, the S3 sink's consumer to PKCS12; the schema history on inline PEM and a PEM file.
fn ssl_mode(pki: &Pki) -> Result<Mode, BoxError> {
    let mut worker = tls_client(pki, "", "SSL", StoreType::Jks, PemAs::File, true)?;
    worker.extend(client_settings(
        pki,
        "admin.",
        StoreType::Pkcs12,
        PemAs::File,
        true,
    )?);
    worker.extend(tls_client(
        pki,
        "producer.",
        "SSL",
        StoreType::Pkcs12,
        PemAs::File,
        true,
    )?);
    worker.extend(tls_client(
        pki,
        "consumer.",
        "SSL",
        StoreType::Pem,
        PemAs::File,
        true,
    )?);
    Ok(Mode {
        worker,
        source_override: client_settings(
            pki,
            "producer.override.",
            StoreType::Jks,
            PemAs::File,
            true,
        )?,
        s3_override: client_settings(
            pki,
            "consumer.override.",
            StoreType::Pkcs12,
            PemAs::File,
            true,
        )?,
        history: history(pki, "SSL", StoreType::Pem, true)?,
    })
}

/// SASL_SSL with SCRAM, no client certificates: the worker's own clients on a PEM file and
/// SCRAM-SHA-512, its admin client as another user (`admin.*`), the connectors' producers on
/// inline PEM and consumers on JKS (`producer.*`, `consumer.*`); the FileStream source's
/// producer overridden to another inline PEM trust store and SCRAM-SHA-256 as another user
/// (inline PEM beside the worker's top-level `ssl.truststore.location`), the S3 sink's
/// consumer to PKCS12; the schema history on inline PEM and JKS.
fn sasl_ssl_mode(pki: &Pki) -> Result<Mode, BoxError> {
    let mut worker = tls_client(pki, "", "SASL_SSL", StoreType::Pem, PemAs::File, false)?;
    worker.extend(scram_settings(
        "",
        "SCRAM-SHA-512",
        "connect",
        "connect-pw-1",
    ));
    worker.extend(scram_settings(
        "admin.",
        "SCRAM-SHA-256",
        "pipeline",
        "pipeline-pw-2",
    ));
    for (prefix, store, pem) in [
        ("producer.", StoreType::Pem, PemAs::Inline),
        ("consumer.", StoreType::Jks, PemAs::File),
    ] {
        worker.extend(tls_client(pki, prefix, "SASL_SSL", store, pem, false)?);
        worker.extend(scram_settings(
            prefix,
            "SCRAM-SHA-512",
            "connect",
            "connect-pw-1",
        ));
    }
    let mut source_override = client_settings(
        pki,
        "producer.override.",
        StoreType::Pem,
        PemAs::Inline,
        false,
    )?;
    source_override.extend(scram_settings(
        "producer.override.",
        "SCRAM-SHA-256",
        "pipeline",
        "pipeline-pw-2",
    ));
    Ok(Mode {
        worker,
        source_override,
        s3_override: client_settings(
            pki,
            "consumer.override.",
            StoreType::Pkcs12,
            PemAs::File,
            false,
        )?,
        history: history(pki, "SASL_SSL", StoreType::Jks, false)?,
    })
}

fn builder(broker: &TlsBroker, mode_worker: &Settings) -> WorkerBuilder {
    Worker::builder()
        .env("BOOTSTRAP_SERVERS", broker.bootstrap())
        .env("OFFSET_FLUSH_INTERVAL_MS", "500")
        .envs(worker_env(mode_worker))
}

/// Calls `probe` until it gives `Some` or [`WAIT`] passes; `last` is what it said last.
async fn poll<T, F, Fut>(mut probe: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        match probe().await {
            Ok(v) => return Ok(v),
            Err(last) if Instant::now() > deadline => return Err(last),
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

async fn wait_healthy(rest: &RestClient) -> Result<(), BoxError> {
    poll(|| async {
        match rest.get("/health").await {
            Ok(r) if r.status == 200 => Ok(()),
            Ok(r) => Err(format!("{} {}", r.status, r.text)),
            Err(e) => Err(e.to_string()),
        }
    })
    .await
    .map_err(|last| format!("the worker never became healthy: {last}").into())
}

/// The rows of every object under `dir`, in key order.
async fn s3_rows(s3: &S3, dir: &str) -> Result<Vec<Value>, BoxError> {
    let store = object_store(s3)?;
    let mut rows = Vec::new();
    for key in list_keys(&*store, dir).await? {
        for line in object_lines(&*store, &key).await? {
            rows.push(serde_json::from_str(&line)?);
        }
    }
    Ok(rows)
}

async fn wait_rows(s3: &S3, dir: &str, n: usize, worker: &Worker) -> Result<Vec<Value>, BoxError> {
    let deadline = Instant::now() + WAIT;
    loop {
        let rows = s3_rows(s3, dir).await?;
        if rows.len() >= n || Instant::now() > deadline {
            assert_eq!(
                rows.len(),
                n,
                "{rows:?}; worker log:\n{}",
                worker.log_tail(60)
            );
            return Ok(rows);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn order_ids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["after"]["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Runs the worker and both pipelines on `broker` with `mode`, restarts the worker, and checks
/// that everything comes back from the internal topics.
async fn pipelines_over(broker: &TlsBroker, mode: &Mode) -> Result<(), BoxError> {
    let dir = tempfile::tempdir()?;
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    append(&input, 0..20)?;
    let mysql = Mysql::try_shared().await?;
    let s3 = S3::try_shared().await?;
    let db = mysql.create_database("tls").await?;
    let mut conn = mysql.pool().get_conn().await?;
    conn.query_drop(format!(
        "CREATE TABLE `{db}`.orders (id varchar(8) PRIMARY KEY, status varchar(16))"
    ))
    .await?;
    conn.query_drop(format!(
        "INSERT INTO `{db}`.orders VALUES ('o1','created'), ('o2','created'), ('o3','created')"
    ))
    .await?;

    // Given a worker whose internal topics are on the TLS broker.
    let mut worker = builder(broker, &mode.worker).start().await?;
    let rest = worker.rest();
    wait_healthy(&rest).await?;

    // When a FileStream source and sink, the MySQL source and the S3 sink run there.
    let id = random_name("tls");
    let (src, sink, cdc, s3_sink) = (
        format!("{id}-src"),
        format!("{id}-sink"),
        format!("{id}-cdc"),
        format!("{id}-s3"),
    );
    let topic = format!("{id}_lines");
    let mut source = json!({
        "connector.class": "FileStreamSource", "tasks.max": "1",
        "file": input.display().to_string(), "topic": topic,
        // One partition, so the sink sees the lines in order.
        "topic.creation.default.partitions": "1",
        "topic.creation.default.replication.factor": "1",
    });
    with(&mut source, &mode.source_override);
    let sink_config = json!({
        "connector.class": "FileStreamSink",
        "topics": topic, "file": output.display().to_string(),
    });
    let server_id: u32 = rand::rng().random_range(100_000..2_000_000_000);
    let prefix = format!("{id}_cdc");
    let mut mysql_source = json!({
        "connector.class": "io.debezium.connector.mysql.MySqlConnector",
        "tasks.max": "1",
        "database.hostname": mysql.host(),
        "database.port": mysql.port().to_string(),
        "database.user": "debezium",
        "database.password": "dbz",
        "database.server.id": server_id.to_string(),
        "database.include.list": db,
        "topic.prefix": prefix,
        "schema.history.internal.kafka.bootstrap.servers": broker.bootstrap(),
        "schema.history.internal.kafka.topic": format!("{id}_history"),
        "topic.creation.default.partitions": "1",
        "topic.creation.default.replication.factor": "1",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "false",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    });
    with(&mut mysql_source, &mode.history);
    let objects = format!("tls_{}", &id[id.len() - 8..]);
    let mut s3_config = json!({
        "connector.class": "io.confluent.connect.s3.S3SinkConnector",
        "topics": format!("{prefix}.{db}.orders"),
        "topics.dir": objects,
        "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
        "flush.size": "1",
        "store.url": s3.endpoint(),
        "storage.class": "io.confluent.connect.s3.storage.S3Storage",
        "s3.region": "us-east-1",
        "s3.bucket.name": s3.bucket(),
        "aws.access.key.id": s3.access_key(),
        "aws.secret.access.key": s3.secret_key(),
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "false",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    });
    with(&mut s3_config, &mode.s3_override);
    for (name, config) in [
        (&src, source),
        (&sink, sink_config),
        (&cdc, mysql_source),
        (&s3_sink, s3_config),
    ] {
        let r = rest
            .post("/connectors", &json!({"name": name, "config": config}))
            .await?;
        assert_eq!(r.status, 201, "{name}: {}", r.text);
    }
    for name in [&src, &sink, &cdc, &s3_sink] {
        rest.wait_running(name, 1, WAIT).await?;
    }

    // Then every line reaches the output file in order, and every row reaches S3.
    assert!(
        wait_until(WAIT, || async { lines(&output).len() >= 20 }).await,
        "sink wrote {:?}; worker log:\n{}",
        lines(&output),
        worker.log_tail(60)
    );
    assert_eq!(lines(&output), expected(20));
    let rows = wait_rows(s3, &objects, 3, &worker).await?;
    assert_eq!(order_ids(&rows), ["o1", "o2", "o3"]);

    // And after a graceful restart the connectors, their states and the source's offsets come
    // back from the internal topics, and the MySQL source resumes from its offsets and
    // schema history.
    let offsets = rest.get(&format!("/connectors/{src}/offsets")).await?;
    assert_eq!(offsets.status, 200, "{}", offsets.text);
    worker.stop(Duration::from_secs(30)).await?;
    worker.restart().await?;
    wait_healthy(&rest).await?;
    let mut listed = rest.connectors().await?;
    listed.sort();
    let mut want = vec![src.clone(), sink.clone(), cdc.clone(), s3_sink.clone()];
    want.sort();
    assert_eq!(listed, want);
    for name in [&src, &sink, &cdc, &s3_sink] {
        rest.wait_running(name, 1, WAIT).await?;
    }
    let again = rest.get(&format!("/connectors/{src}/offsets")).await?;
    assert_eq!(again.body, offsets.body, "{}", again.text);
    assert!(
        again.text.contains("position"),
        "the source's file position: {}",
        again.text
    );
    append(&input, 20..25)?;
    conn.query_drop(format!("INSERT INTO `{db}`.orders VALUES ('o4','created')"))
        .await?;
    assert!(
        wait_until(WAIT, || async { lines(&output).len() >= 25 }).await,
        "sink wrote {} lines after the restart; worker log:\n{}",
        lines(&output).len(),
        worker.log_tail(60)
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(lines(&output), expected(25), "no line twice, none lost");
    let rows = wait_rows(s3, &objects, 4, &worker).await?;
    assert_eq!(order_ids(&rows), ["o1", "o2", "o3", "o4"]);

    let log = std::fs::read_to_string(worker.log_path())?;
    for secret in [STORE_PASSWORD, "connect-pw-1", "pipeline-pw-2"] {
        assert!(!log.contains(secret), "a secret in the worker log");
    }
    worker.stop(Duration::from_secs(10)).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_and_its_pipelines_run_over_ssl_with_pem_pkcs12_and_jks_stores()
-> Result<(), BoxError> {
    if skip("the_worker_and_its_pipelines_run_over_ssl_with_pem_pkcs12_and_jks_stores") {
        return Ok(());
    }
    let pki = Pki::generate()?;
    let broker = TlsBroker::start(
        &pki,
        &TlsBrokerOptions {
            client_auth: true,
            ..TlsBrokerOptions::default()
        },
    )
    .await?;
    pipelines_over(&broker, &ssl_mode(&pki)?).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_and_its_pipelines_run_over_sasl_ssl_with_scram() -> Result<(), BoxError> {
    if skip("the_worker_and_its_pipelines_run_over_sasl_ssl_with_scram") {
        return Ok(());
    }
    let pki = Pki::generate()?;
    let broker = TlsBroker::start(
        &pki,
        &TlsBrokerOptions {
            scram: true,
            ..TlsBrokerOptions::default()
        },
    )
    .await?;
    broker.add_scram_user("connect", "connect-pw-1")?;
    broker.add_scram_user("pipeline", "pipeline-pw-2")?;
    pipelines_over(&broker, &sasl_ssl_mode(&pki)?).await
}

/// `GET /health` once its message names `cause`; the last answer otherwise.
async fn health_naming(rest: &RestClient, cause: &str) -> String {
    let answer = poll(|| async {
        let text = match rest.get("/health").await {
            Ok(r) => format!("{} {}", r.status, r.text),
            Err(e) => e.to_string(),
        };
        if text.contains(cause) {
            Ok(text)
        } else {
            Err(text)
        }
    })
    .await;
    answer.unwrap_or_else(|last| last)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_names_why_the_brokers_certificate_fails_verification() -> Result<(), BoxError> {
    if skip("health_names_why_the_brokers_certificate_fails_verification") {
        return Ok(());
    }
    let pki = Pki::generate()?;
    let trusting = |store: &str| -> Settings {
        prefixed(
            "",
            &[
                ("security.protocol", "SSL"),
                ("ssl.truststore.location", store),
                ("ssl.truststore.password", STORE_PASSWORD),
            ],
        )
    };
    let (trust, foreign) = (
        pki.path("trust.jks").display().to_string(),
        pki.path("foreign.jks").display().to_string(),
    );
    let cases = [
        (
            BrokerCertificate::Valid,
            trusting(&foreign),
            "unable to get local issuer certificate",
        ),
        (
            BrokerCertificate::Expired,
            trusting(&trust),
            "certificate has expired",
        ),
        (
            BrokerCertificate::OtherName,
            trusting(&trust),
            "hostname mismatch",
        ),
    ];
    for (certificate, settings, cause) in cases {
        let broker = TlsBroker::start(
            &pki,
            &TlsBrokerOptions {
                certificate,
                ..TlsBrokerOptions::default()
            },
        )
        .await?;
        let mut worker = builder(&broker, &settings).start().await?;
        let health = health_naming(&worker.rest(), cause).await;
        assert!(
            health.starts_with("503") && health.contains(cause),
            "{certificate:?}: {health}; worker log:\n{}",
            worker.log_tail(30)
        );
        assert!(
            health.contains(&format!("TLS handshake with {}", broker.bootstrap())),
            "{health}"
        );
        assert!(!health.contains(STORE_PASSWORD), "{health}");
        let log = std::fs::read_to_string(worker.log_path())?;
        assert!(log.contains(cause), "the cause is logged too");
        assert!(!log.contains(STORE_PASSWORD), "a password in the log");
        worker.stop(Duration::from_secs(10)).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sink_whose_consumer_distrusts_the_broker_fails_naming_the_cause() -> Result<(), BoxError>
{
    if skip("a_sink_whose_consumer_distrusts_the_broker_fails_naming_the_cause") {
        return Ok(());
    }
    let pki = Pki::generate()?;
    let broker = TlsBroker::start(&pki, &TlsBrokerOptions::default()).await?;
    let mut worker_settings = Settings::new();
    for prefix in ["", "consumer."] {
        worker_settings.extend(tls_client(
            &pki,
            prefix,
            "SSL",
            StoreType::Pkcs12,
            PemAs::File,
            false,
        )?);
    }
    let mut worker = builder(&broker, &worker_settings).start().await?;
    let rest = worker.rest();
    wait_healthy(&rest).await?;
    let dir = tempfile::tempdir()?;
    let name = random_name("distrust");
    let config = json!({
        "connector.class": "FileStreamSink",
        "topics": random_name("t"),
        "file": dir.path().join("out.txt").display().to_string(),
        "consumer.override.ssl.truststore.type": "JKS",
        "consumer.override.ssl.truststore.location": pki.path("foreign.jks").display().to_string(),
        "consumer.override.ssl.truststore.password": STORE_PASSWORD,
    });
    let trace = failed_task_trace(&worker, &name, &config).await?;
    assert!(
        trace.starts_with("org.apache.kafka.connect.errors.ConnectException: SSL handshake failed")
            && trace.contains("unable to get local issuer certificate")
            && trace.contains(&format!("TLS handshake with {}", broker.bootstrap())),
        "{trace}"
    );
    worker.stop(Duration::from_secs(10)).await?;
    Ok(())
}

/// Creates connector `name` with `config`, waits for its task to fail and returns the task's
/// `trace`, after checking it holds no password and the connector itself still runs.
async fn failed_task_trace(
    worker: &Worker,
    name: &str,
    config: &Value,
) -> Result<String, BoxError> {
    let rest = worker.rest();
    let r = rest
        .post("/connectors", &json!({"name": name, "config": config}))
        .await?;
    assert_eq!(r.status, 201, "{}", r.text);
    let trace = poll(|| async {
        let st = rest
            .connector_status(name)
            .await
            .map_err(|e| e.to_string())?;
        match st.tasks.first() {
            Some(t) if t.state == "FAILED" => Ok(t.trace.clone().unwrap_or_default()),
            other => Err(format!("{other:?}")),
        }
    })
    .await
    .map_err(|last| {
        format!(
            "the task never failed: {last}; log:\n{}",
            worker.log_tail(40)
        )
    })?;
    assert!(!trace.contains(STORE_PASSWORD), "{trace}");
    let st: Map<String, Value> = rest
        .get(&format!("/connectors/{name}/status"))
        .await?
        .body
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert_eq!(st["connector"]["state"], "RUNNING", "{st:?}");
    Ok(trace)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_whose_producer_distrusts_the_broker_fails_naming_the_cause()
-> Result<(), BoxError> {
    if skip("a_source_whose_producer_distrusts_the_broker_fails_naming_the_cause") {
        return Ok(());
    }
    let pki = Pki::generate()?;
    let broker = TlsBroker::start(&pki, &TlsBrokerOptions::default()).await?;
    let mut worker_settings = Settings::new();
    for prefix in ["", "producer."] {
        worker_settings.extend(tls_client(
            &pki,
            prefix,
            "SSL",
            StoreType::Pkcs12,
            PemAs::File,
            false,
        )?);
    }
    let mut worker = builder(&broker, &worker_settings).start().await?;
    wait_healthy(&worker.rest()).await?;
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in.txt");
    append(&input, 0..3)?;
    let config = json!({
        "connector.class": "FileStreamSource",
        "topic": random_name("t"),
        "file": input.display().to_string(),
        "topic.creation.default.partitions": "1",
        "topic.creation.default.replication.factor": "1",
        "producer.override.ssl.truststore.type": "JKS",
        "producer.override.ssl.truststore.location": pki.path("foreign.jks").display().to_string(),
        "producer.override.ssl.truststore.password": STORE_PASSWORD,
    });
    let trace = failed_task_trace(&worker, &random_name("distrust"), &config).await?;
    // Kafka's trace: the send callback's exception, caused by SslAuthenticationException.
    let lines: Vec<&str> = trace.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(
            "org.apache.kafka.connect.errors.ConnectException: Unrecoverable exception from producer send callback"
        ),
        "{trace}"
    );
    assert_eq!(
        lines.get(1).copied(),
        Some("Caused by: SSL handshake failed"),
        "{trace}"
    );
    assert_eq!(
        lines.get(2).copied(),
        Some(
            format!(
                "Caused by: TLS handshake with {} failed: certificate verify failed: unable to get local issuer certificate",
                broker.bootstrap()
            )
            .as_str()
        ),
        "{trace}"
    );
    worker.stop(Duration::from_secs(10)).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mysql_source_whose_history_clients_distrust_the_broker_fails_naming_the_cause()
-> Result<(), BoxError> {
    if skip("a_mysql_source_whose_history_clients_distrust_the_broker_fails_naming_the_cause") {
        return Ok(());
    }
    let pki = Pki::generate()?;
    let broker = TlsBroker::start(&pki, &TlsBrokerOptions::default()).await?;
    let mut worker_settings = Settings::new();
    for prefix in ["", "producer."] {
        worker_settings.extend(tls_client(
            &pki,
            prefix,
            "SSL",
            StoreType::Pkcs12,
            PemAs::File,
            false,
        )?);
    }
    let mut worker = builder(&broker, &worker_settings).start().await?;
    wait_healthy(&worker.rest()).await?;
    let mysql = Mysql::try_shared().await?;
    let db = mysql.create_database("tlshist").await?;
    let id = random_name("hist");
    let foreign = pki.path("foreign.jks").display().to_string();
    let server_id: u32 = rand::rng().random_range(100_000..2_000_000_000);
    let mut config = json!({
        "connector.class": "io.debezium.connector.mysql.MySqlConnector",
        "tasks.max": "1",
        "database.hostname": mysql.host(),
        "database.port": mysql.port().to_string(),
        "database.user": "debezium",
        "database.password": "dbz",
        "database.server.id": server_id.to_string(),
        "database.include.list": db,
        "topic.prefix": format!("{id}_cdc"),
        "schema.history.internal.kafka.bootstrap.servers": broker.bootstrap(),
        "schema.history.internal.kafka.topic": format!("{id}_history"),
        "topic.creation.default.partitions": "1",
        "topic.creation.default.replication.factor": "1",
    });
    for client in ["producer", "consumer"] {
        let p = format!("schema.history.internal.{client}.");
        for (k, v) in [
            ("security.protocol", "SSL"),
            ("ssl.truststore.type", "JKS"),
            ("ssl.truststore.location", foreign.as_str()),
            ("ssl.truststore.password", STORE_PASSWORD),
        ] {
            config[format!("{p}{k}")] = json!(v);
        }
    }
    let trace = failed_task_trace(&worker, &id, &config).await?;
    // librdkafka alone would only time out; the probe names why the handshake fails.
    assert!(
        trace.contains(&format!(
            "SSL handshake failed: TLS handshake with {} failed: certificate verify failed: unable to get local issuer certificate",
            broker.bootstrap()
        )),
        "{trace}"
    );
    worker.stop(Duration::from_secs(10)).await?;
    Ok(())
}
