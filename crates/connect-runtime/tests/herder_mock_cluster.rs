//! The herder end to end without an external broker: memory stores and librdkafka's in-process
//! mock cluster, with the real FileStream plugins and converters (and a test source that
//! reports progress).

use std::num::NonZeroU32;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use connect_api::config::{ConfigKey, ConfigType, Importance};
use connect_api::{
    ConfigDef, ConnectError, ConnectorConfig, ConnectorContext, FieldErrors, ParsedConfig,
    PluginDescriptor, PluginKind, Props, SourceConnector, SourceRecord, SourceTask,
    SourceTaskContext,
};
use connect_runtime::entities::{State, TaskProgressInfo};
use connect_runtime::kafka::KafkaClients;
use connect_runtime::registry::PluginRegistry;
use connect_runtime::{Herder, HerderErrorKind, Stores, WorkerHerder, WorkerSettings};
use connect_storage::{MemoryConfigStore, MemoryOffsetStore, MemoryStatusStore};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use tokio_util::sync::CancellationToken;

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn settings() -> WorkerSettings {
    let json = |schemas: &str| {
        (
            "org.apache.kafka.connect.json.JsonConverter".to_owned(),
            props(&[("schemas.enable", schemas)]),
        )
    };
    WorkerSettings {
        worker_id: "127.0.0.1:8083".into(),
        key_converter: json("true"),
        value_converter: json("true"),
        header_converter: (
            "org.apache.kafka.connect.storage.SimpleHeaderConverter".into(),
            Props::new(),
        ),
        offset_flush_interval: Duration::from_millis(200),
        graceful_timeout: Duration::from_secs(5),
        topic_tracking: true,
        topic_tracking_allow_reset: true,
        producer: Props::new(),
        consumer: Props::new(),
        client_config_override_policy: Default::default(),
        topic_creation_enable: true,
        commit: "0000000000000000".into(),
        // librdkafka's mock cluster has no static membership.
        sink_static_membership: false,
    }
}

/// A worker on in-memory stores, its run loop spawned; `cancel` stops it.
struct Running {
    herder: WorkerHerder,
    cancel: CancellationToken,
    run: tokio::task::JoinHandle<()>,
}

fn start_worker(registry: PluginRegistry, bootstrap: String) -> Running {
    let stores = memory_stores();
    start_worker_on(registry, bootstrap, stores)
}

/// Empty in-memory stores (a fresh cluster).
fn memory_stores() -> Stores {
    Stores {
        config: Arc::new(MemoryConfigStore::new()),
        offsets: Arc::new(MemoryOffsetStore::new()),
        status: Arc::new(MemoryStatusStore::new()),
    }
}

/// A worker on the given stores (which may already hold connectors, as a config topic does).
fn start_worker_on(registry: PluginRegistry, bootstrap: String, stores: Stores) -> Running {
    start_worker_with(registry, bootstrap, stores, settings())
}

/// [`start_worker_on`] with the given worker settings.
fn start_worker_with(
    registry: PluginRegistry,
    bootstrap: String,
    stores: Stores,
    settings: WorkerSettings,
) -> Running {
    let clients = KafkaClients::new([("bootstrap.servers".to_owned(), bootstrap)].into()).unwrap();
    let cancel = CancellationToken::new();
    let herder = WorkerHerder::new(registry, settings, clients, cancel.clone());
    let h = herder.clone();
    let run = tokio::spawn(async move {
        h.run(move || {
            let s = stores.clone();
            async move { Ok(s) }
        })
        .await;
    });
    Running {
        herder,
        cancel,
        run,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filestream_source_to_sink_through_the_herder_commits_offsets_after_delivery() {
    // `TEST_LOG=debug` shows the worker's logs when this needs debugging.
    if let Ok(f) = std::env::var("TEST_LOG") {
        tracing_subscriber::fmt().with_env_filter(f).try_init().ok();
    }
    let cluster = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let registry = PluginRegistry::builder()
        .source::<connect_file::FileStreamSourceConnector>()
        .sink::<connect_file::FileStreamSinkConnector>()
        .converters(connect_converters::plugins())
        .build()
        .unwrap();
    let Running {
        herder,
        cancel,
        run,
    } = start_worker(registry, bootstrap);

    // Given a file of 50 lines and a FileStream source and sink over one topic.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    let text: String = (0..50).map(|i| format!("row {i}\n")).collect();
    std::fs::write(&input, &text).unwrap();
    let input_s = input.display().to_string();
    let created = herder
        .put_connector_config(
            "src",
            props(&[
                ("name", "src"),
                ("connector.class", "FileStreamSource"),
                ("file", &input_s),
                ("topic", "lines"),
            ]),
            false,
            None,
        )
        .await
        .unwrap();
    assert!(created.created);
    assert!(
        created.info.tasks.is_empty(),
        "tasks are generated after the create returns"
    );
    herder
        .put_connector_config(
            "sink",
            props(&[
                ("name", "sink"),
                ("connector.class", "FileStreamSink"),
                ("topics", "lines"),
                ("file", &output.display().to_string()),
            ]),
            false,
            None,
        )
        .await
        .unwrap();

    // Then the lines arrive, and the source offset is the file's length once delivered.
    // The topic may have several partitions: order holds per partition only, so compare sets.
    let sorted = |s: &str| {
        let mut v: Vec<String> = s.lines().map(str::to_owned).collect();
        v.sort();
        v
    };
    for _ in 0..300 {
        if std::fs::read_to_string(&output).is_ok_and(|s| sorted(&s) == sorted(&text)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        sorted(&std::fs::read_to_string(&output).unwrap_or_default()),
        sorted(&text),
        "src: {:?}\nsink: {:?}",
        herder.connector_status("src").await,
        herder.connector_status("sink").await
    );
    let herder2 = herder.clone();
    for _ in 0..100 {
        let o = herder2.connector_offsets("src").await.unwrap();
        if o.offsets
            .first()
            .and_then(|o| o.offset.as_ref())
            .and_then(|m| m.get("position"))
            .and_then(|p| p.as_i64())
            == Some(text.len() as i64)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = herder.connector_status("src").await.unwrap();
    assert_eq!(status.connector.state, State::Running);
    assert_eq!(status.tasks.len(), 1);
    assert_eq!(status.tasks[0].state, State::Running);
    assert_eq!(herder.connector_topics("src").await.unwrap(), ["lines"]);
    let tasks = herder.task_configs("sink").await.unwrap();
    assert_eq!(
        tasks[0].config["task.class"],
        "org.apache.kafka.connect.file.FileStreamSinkTask"
    );
    assert_eq!(
        tasks[0].config["topics"], "lines",
        "sink task configs carry the topics"
    );

    // A second create of the same name is a 409 and changes nothing.
    let dup = herder
        .put_connector_config(
            "src",
            props(&[
                ("name", "src"),
                ("connector.class", "FileStreamSource"),
                ("topic", "x"),
            ]),
            false,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(dup.kind, HerderErrorKind::Conflict);
    assert_eq!(dup.message, "Connector src already exists");
    assert_eq!(
        herder.connector_config("src").await.unwrap()["topic"],
        "lines"
    );

    // Stop: STOPPED with no tasks; offsets can be altered only then.
    let err = herder.reset_connector_offsets("src").await.unwrap_err();
    assert_eq!(err.kind, HerderErrorKind::BadRequest);
    herder.stop_connector("src").await.unwrap();
    let h = herder.clone();
    let mut stopped = false;
    for _ in 0..100 {
        let s = h.connector_status("src").await.unwrap();
        if s.connector.state == State::Stopped && s.tasks.is_empty() {
            stopped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stopped, "connector never reached STOPPED");
    let msg = herder.reset_connector_offsets("src").await.unwrap();
    assert_eq!(
        msg.message,
        "The offsets for this connector have been reset successfully"
    );
    assert!(
        herder
            .connector_offsets("src")
            .await
            .unwrap()
            .offsets
            .is_empty()
    );

    // Delete removes config and status.
    herder.delete_connector("src").await.unwrap();
    assert_eq!(herder.connectors().await.unwrap(), ["sink"]);
    cancel.cancel();
    run.await.unwrap();
}

#[tokio::test]
async fn invalid_configs_are_rejected_with_kafkas_messages() {
    let registry = PluginRegistry::builder()
        .source::<connect_file::FileStreamSourceConnector>()
        .converters(connect_converters::plugins())
        .build()
        .unwrap();
    let Running {
        herder,
        cancel,
        run,
    } = start_worker(registry, "127.0.0.1:1".to_owned());

    let bad = herder
        .put_connector_config(
            "x",
            props(&[
                ("name", "x"),
                ("connector.class", "FileStreamSource"),
                ("tasks.max", "abc"),
            ]),
            false,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(bad.kind, HerderErrorKind::BadRequest);
    assert_eq!(
        bad.message,
        "Connector configuration is invalid and contains the following 2 error(s):\nInvalid value abc for configuration tasks.max: Not a number of type INT\nMissing required configuration \"topic\" which has no default value.\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"
    );
    let unknown = herder
        .put_connector_config(
            "y",
            props(&[("name", "y"), ("connector.class", "com.example.Nope")]),
            false,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(unknown.kind, HerderErrorKind::Internal);
    assert!(unknown.message.starts_with("Failed to find any class that implements Connector and which name matches com.example.Nope, available connectors are: PluginDesc{klass=class org.apache.kafka.connect.file.FileStreamSourceConnector"));
    let none = herder
        .put_connector_config("z", props(&[("name", "z")]), false, None)
        .await
        .unwrap_err();
    assert_eq!(
        none.message,
        "Connector config {name=z} contains no connector type"
    );
    assert!(
        herder.connectors().await.unwrap().is_empty(),
        "nothing was stored"
    );

    let infos = herder
        .validate_connector_config(props(&[
            ("connector.class", "FileStreamSource"),
            ("name", "v"),
            ("tasks.max", "0"),
        ]))
        .await
        .unwrap();
    assert_eq!(infos.error_count, 2);
    assert_eq!(infos.groups[0], "Common");
    let names: Vec<&str> = infos
        .configs
        .iter()
        .filter_map(|c| c.definition.as_ref())
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(&names[..3], ["name", "connector.class", "tasks.max"]);
    assert!(names.contains(&"topic") && names.contains(&"batch.size"));
    cancel.cancel();
    run.await.unwrap();
}

/// A source whose task reports `{"run": <report>}` as it starts (when `report` is set) and then
/// produces nothing: a task host report with nothing else going on.
#[derive(Debug)]
struct ReportingSource {
    originals: Props,
}

#[derive(Debug)]
struct ReportingConfig {
    report: Option<String>,
    originals: Props,
}

static REPORTING_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(ConfigKey::new(
            "report",
            ConfigType::String,
            Importance::High,
            "What the task reports as it starts; nothing when unset or empty.",
        ))
        .build()
});

impl ConnectorConfig for ReportingConfig {
    fn config_def() -> &'static ConfigDef {
        &REPORTING_DEF
    }

    fn from_parsed(parsed: &ParsedConfig) -> Result<Self, FieldErrors> {
        Ok(Self {
            report: parsed
                .opt_string("report")
                .filter(|r| !r.is_empty())
                .map(str::to_owned),
            originals: parsed.originals().clone(),
        })
    }
}

impl SourceConnector for ReportingSource {
    type Config = ReportingConfig;
    type Task = ReportingTask;
    const DESCRIPTOR: PluginDescriptor = PluginDescriptor {
        class: "com.example.ReportingSourceConnector",
        extra_aliases: &[],
        kind: PluginKind::Source,
        version: "1.0",
    };

    async fn start(_ctx: ConnectorContext, config: Self::Config) -> Result<Self, ConnectError> {
        Ok(Self {
            originals: config.originals,
        })
    }

    fn task_configs(&self, _max_tasks: NonZeroU32) -> Result<Vec<Props>, ConnectError> {
        Ok(vec![self.originals.clone()])
    }
}

#[derive(Debug)]
struct ReportingTask;

impl SourceTask for ReportingTask {
    type Config = ReportingConfig;

    async fn start(ctx: SourceTaskContext, config: Self::Config) -> Result<Self, ConnectError> {
        if let Some(run) = config.report {
            ctx.host.report_progress(serde_json::json!({ "run": run }));
        }
        Ok(Self)
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(Vec::new())
    }
}

/// Asks `fetch` until its answer satisfies `done` (20 s at most) and returns that answer.
async fn until<T, F, Fut>(what: &str, mut fetch: F, done: impl Fn(&T) -> bool) -> T
where
    T: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, connect_runtime::HerderError>>,
{
    let mut last = None;
    for _ in 0..200 {
        if let Ok(answer) = fetch().await {
            if done(&answer) {
                return answer;
            }
            last = Some(answer);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} never got there; last answer: {last:?}");
}

/// Task 0's progress, once `done` holds.
async fn progress_until(
    herder: &WorkerHerder,
    name: &str,
    done: impl Fn(&TaskProgressInfo) -> bool,
) -> TaskProgressInfo {
    until("task progress", || herder.task_progress(name, 0), done).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_serves_what_a_task_host_reported_until_the_task_restarts() {
    let cluster = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let registry = PluginRegistry::builder()
        .source::<ReportingSource>()
        .converters(connect_converters::plugins())
        .build()
        .unwrap();
    let Running {
        herder,
        cancel,
        run,
    } = start_worker(registry, cluster.bootstrap_servers());
    let config = |report: &str| {
        props(&[
            ("name", "reporter"),
            ("connector.class", "com.example.ReportingSourceConnector"),
            ("report", report),
        ])
    };

    // Given a task that reported once as it started.
    let before = chrono::Utc::now().timestamp_millis();
    herder
        .put_connector_config("reporter", config("first"), false, None)
        .await
        .unwrap();
    let p = progress_until(&herder, "reporter", |p| p.progress.is_some()).await;
    let after = chrono::Utc::now().timestamp_millis();
    // Then the worker returns that report, with the task's status and the time it was made.
    assert_eq!(p.id, 0);
    assert_eq!(p.worker_id, "127.0.0.1:8083");
    assert_eq!(p.progress, Some(serde_json::json!({"run": "first"})));
    let at = p.reported_at_ms.expect("a report time");
    assert!(
        (before..=after).contains(&at),
        "{before} <= {at} <= {after}"
    );
    let p = progress_until(&herder, "reporter", |p| p.state == State::Running).await;
    assert_eq!(p.progress, Some(serde_json::json!({"run": "first"})));

    // When the task restarts (its config changed) and the new run reports nothing,
    // then the old run's report is gone.
    herder
        .put_connector_config("reporter", config(""), true, None)
        .await
        .unwrap();
    let p = progress_until(&herder, "reporter", |p| p.progress.is_none()).await;
    assert_eq!(p.reported_at_ms, None);
    // And the next run's report shows once it is made.
    herder
        .put_connector_config("reporter", config("third"), true, None)
        .await
        .unwrap();
    let p = progress_until(&herder, "reporter", |p| p.progress.is_some()).await;
    assert_eq!(p.progress, Some(serde_json::json!({"run": "third"})));

    // Unknown tasks and connectors get the status endpoint's errors.
    for (name, task) in [("reporter", 1), ("nope", 0)] {
        let progress = herder.task_progress(name, task).await.unwrap_err();
        let status = herder.task_status(name, task).await.unwrap_err();
        assert_eq!(progress, status);
        assert_eq!(progress.kind, HerderErrorKind::NotFound);
    }
    cancel.cancel();
    run.await.unwrap();
}

/// A worker running only [`ReportingSource`], on a fresh mock cluster.
fn reporting_worker(cluster: &MockCluster<'static, DefaultProducerContext>) -> Running {
    let registry = PluginRegistry::builder()
        .source::<ReportingSource>()
        .converters(connect_converters::plugins())
        .build()
        .unwrap();
    start_worker(registry, cluster.bootstrap_servers())
}

fn reporting_config(name: &str, report: &str) -> Props {
    props(&[
        ("name", name),
        ("connector.class", "com.example.ReportingSourceConnector"),
        ("report", report),
    ])
}

/// The connector's status, once `done` holds.
async fn status_until(
    herder: &WorkerHerder,
    name: &str,
    done: impl Fn(&connect_runtime::entities::ConnectorStateInfo) -> bool,
) -> connect_runtime::entities::ConnectorStateInfo {
    until("status", || herder.connector_status(name), done).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_puts_of_one_name_give_one_create_and_only_updates() {
    let cluster = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let Running {
        herder,
        cancel,
        run,
    } = reporting_worker(&cluster);

    // When 50 callers PUT the same new connector at once, with different bodies,
    let puts = (0..50).map(|i| {
        let h = herder.clone();
        tokio::spawn(async move {
            h.put_connector_config("c", reporting_config("c", &format!("r{i}")), true, None)
                .await
        })
    });
    let results: Vec<_> = futures::future::join_all(puts)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    // then every one succeeds, exactly one as the create (201), the rest as updates (200),
    let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(errors.is_empty(), "errors: {errors:?}");
    let created = results
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|u| u.created))
        .count();
    assert_eq!(created, 1);
    // and the store holds one of the bodies.
    let report = herder.connector_config("c").await.unwrap()["report"].clone();
    assert!((0..50).any(|i| report == format!("r{i}")), "{report}");

    // When 20 PATCHes of different keys run at once, every key lands (none is lost to a
    // read-modify-write race).
    let patches = (0..20).map(|i| {
        let h = herder.clone();
        tokio::spawn(async move {
            h.patch_connector_config("c", [(format!("extra.{i}"), Some(i.to_string()))].into())
                .await
        })
    });
    for r in futures::future::join_all(patches).await {
        r.unwrap().unwrap();
    }
    let config = herder.connector_config("c").await.unwrap();
    for i in 0..20 {
        assert_eq!(config.get(&format!("extra.{i}")), Some(&i.to_string()));
    }
    // And the status converges on one running connector with one running task.
    status_until(&herder, "c", |s| {
        s.connector.state == State::Running
            && s.tasks.len() == 1
            && s.tasks[0].state == State::Running
    })
    .await;
    cancel.cancel();
    run.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_created_stopped_reports_stopped_with_no_tasks() {
    let cluster = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let Running {
        herder,
        cancel,
        run,
    } = reporting_worker(&cluster);

    herder
        .put_connector_config(
            "s",
            reporting_config("s", ""),
            false,
            Some(connect_runtime::entities::TargetState::Stopped),
        )
        .await
        .unwrap();
    // Kafka's WorkerConnector records STOPPED when it starts in that target state.
    let status = status_until(&herder, "s", |s| s.connector.state == State::Stopped).await;
    assert!(status.tasks.is_empty());
    assert_eq!(status.connector.worker_id, "127.0.0.1:8083");
    assert!(herder.task_configs("s").await.unwrap().is_empty());
    cancel.cancel();
    run.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_right_after_config_changes_leaves_a_stopped_connector_without_tasks() {
    let cluster = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let Running {
        herder,
        cancel,
        run,
    } = reporting_worker(&cluster);

    for round in 0..5 {
        let name = format!("x{round}");
        herder
            .put_connector_config(&name, reporting_config(&name, ""), false, None)
            .await
            .unwrap();
        status_until(&herder, &name, |s| {
            s.connector.state == State::Running && s.tasks.len() == 1
        })
        .await;
        // A PUT and a PATCH (each makes the worker regenerate task configs), then at once a stop.
        herder
            .put_connector_config(&name, reporting_config(&name, "a"), true, None)
            .await
            .unwrap();
        herder
            .patch_connector_config(&name, [("report".to_owned(), Some("b".to_owned()))].into())
            .await
            .unwrap();
        herder.stop_connector(&name).await.unwrap();
        // Then the connector settles STOPPED with no tasks, and stays so.
        status_until(&herder, &name, |s| {
            s.connector.state == State::Stopped && s.tasks.is_empty()
        })
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let s = herder.connector_status(&name).await.unwrap();
        assert_eq!(s.connector.state, State::Stopped, "round {round}");
        assert!(s.tasks.is_empty(), "round {round}: {s:?}");
        assert!(herder.task_configs(&name).await.unwrap().is_empty());
    }
    cancel.cancel();
    run.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_connector_whose_transform_is_missing_fails_naming_it_and_runs_no_task() {
    let cluster = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let registry = PluginRegistry::builder()
        .source::<ReportingSource>()
        .converters(connect_converters::plugins())
        .build()
        .unwrap();
    // Given a config topic that already holds a connector with a transform (written by a JVM
    // worker: no REST validation on this path),
    let stores = memory_stores();
    let mut config = reporting_config("u", "");
    config.insert("transforms".into(), "unwrap".into());
    config.insert(
        "transforms.unwrap.type".into(),
        "io.debezium.transforms.ExtractNewRecordState".into(),
    );
    stores
        .config
        .put_connector_config("u", &config, None)
        .await
        .unwrap();
    let Running {
        herder,
        cancel,
        run,
    } = start_worker_on(registry, cluster.bootstrap_servers(), stores);
    // then the connector goes FAILED with a trace naming the class, and no task runs it
    // without its transform.
    let status = status_until(&herder, "u", |s| s.connector.state == State::Failed).await;
    let trace = status.connector.trace.clone().unwrap_or_default();
    assert!(
        trace.contains("io.debezium.transforms.ExtractNewRecordState could not be found"),
        "{trace}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(herder.connector_status("u").await.unwrap().tasks.is_empty());
    assert!(herder.task_configs("u").await.unwrap().is_empty());
    cancel.cancel();
    run.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placeholders_reach_the_task_resolved_and_stay_placeholders_where_stored_and_served() {
    let cluster = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let Running {
        herder,
        cancel,
        run,
    } = reporting_worker(&cluster);
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.properties");
    std::fs::write(&secrets, "token=s3cr3t-value\n").unwrap();
    herder.set_config_providers(
        connect_runtime::config_providers::ConfigProviders::from_worker_props(&props(&[
            ("config.providers", "file"),
            (
                "config.providers.file.class",
                "org.apache.kafka.common.config.provider.FileConfigProvider",
            ),
        ]))
        .unwrap(),
    );
    let placeholder = format!("${{file:{}:token}}", secrets.display());

    // Given a connector whose setting is a placeholder,
    herder
        .put_connector_config("p", reporting_config("p", &placeholder), false, None)
        .await
        .unwrap();
    // then its task gets the secret,
    let p = progress_until(&herder, "p", |p| p.progress.is_some()).await;
    assert_eq!(p.progress, Some(serde_json::json!({"run": "s3cr3t-value"})));
    // and the stored connector config, the task configs and validation keep the placeholder.
    assert_eq!(
        herder.connector_config("p").await.unwrap()["report"],
        placeholder
    );
    let tasks = herder.task_configs("p").await.unwrap();
    assert_eq!(tasks[0].config["report"], placeholder);
    let infos = herder
        .validate_connector_config(reporting_config("p", &placeholder))
        .await
        .unwrap();
    let shown = serde_json::to_string(&infos).unwrap();
    assert!(
        shown.contains(&placeholder) && !shown.contains("s3cr3t"),
        "{shown}"
    );

    // Given a placeholder naming a file that is not there, the connector fails naming the
    // path, and no secret or task appears.
    let missing = format!("${{file:{}/nope.properties:token}}", dir.path().display());
    herder
        .put_connector_config("m", reporting_config("m", &missing), false, None)
        .await
        .unwrap_err();
    cancel.cancel();
    run.await.unwrap();
}

/// Memory stores holding `stored` connectors, as a config topic written by a JVM worker (or
/// under another worker configuration) would: nothing validated them.
async fn stores_holding(stored: &[(&str, Props)]) -> Stores {
    let stores = memory_stores();
    for (name, config) in stored {
        stores
            .config
            .put_connector_config(name, config, None)
            .await
            .unwrap();
    }
    stores
}

/// The errors `/config/validate` puts on `key`.
fn errors_on(infos: &connect_api::config::ConfigInfos, key: &str) -> Vec<String> {
    infos
        .configs
        .iter()
        .filter_map(|c| c.value.as_ref())
        .filter(|v| v.name == key)
        .flat_map(|v| v.errors.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_override_policy_refuses_overrides_at_validation_create_and_task_start() {
    let cluster = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let registry = PluginRegistry::builder()
        .source::<ReportingSource>()
        .converters(connect_converters::plugins())
        .build()
        .unwrap();
    // Given a stored connector that overrides its producer's acks (written under `All`),
    let mut stored = reporting_config("stored", "");
    stored.insert("producer.override.acks".into(), "all".into());
    let stores = stores_holding(&[("stored", stored)]).await;
    // and a worker with connector.client.config.override.policy=Principal,
    let mut worker = settings();
    worker.client_config_override_policy =
        connect_runtime::override_policy::OverridePolicy::Principal;
    let Running {
        herder,
        cancel,
        run,
    } = start_worker_with(registry, cluster.bootstrap_servers(), stores, worker);

    // validation puts Kafka's message on the refused key only,
    let mut config = reporting_config("v", "");
    config.insert("producer.override.acks".into(), "all".into());
    config.insert("producer.override.sasl.mechanism".into(), "PLAIN".into());
    let infos = herder
        .validate_connector_config(config.clone())
        .await
        .unwrap();
    let refusal = "The 'Principal' policy does not allow 'acks' to be overridden in the connector configuration.";
    assert_eq!(infos.error_count, 1);
    assert_eq!(errors_on(&infos, "producer.override.acks"), [refusal]);
    assert!(errors_on(&infos, "producer.override.sasl.mechanism").is_empty());
    // a create is refused with it,
    let err = herder
        .put_connector_config("v", config, false, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, HerderErrorKind::BadRequest);
    assert!(err.message.contains(refusal), "{}", err.message);
    // and the stored connector's task fails at start with Kafka's message, naming the key.
    let status = status_until(&herder, "stored", |s| {
        s.tasks.iter().any(|t| t.state == State::Failed)
    })
    .await;
    let trace = status.tasks[0].trace.clone().unwrap_or_default();
    assert!(
        trace.contains(&format!(
            "Client Config Overrides not allowed [[acks,[hidden],[],[{refusal}],true]]"
        )),
        "{trace}"
    );
    assert!(!herder.connectors().await.unwrap().contains(&"v".to_owned()));
    cancel.cancel();
    run.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_sluice_cannot_honour_are_refused_at_validation_and_fail_a_stored_connector() {
    let cluster = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let registry = PluginRegistry::builder()
        .source::<ReportingSource>()
        .converters(connect_converters::plugins())
        .build()
        .unwrap();
    // Given a stored source with its own offsets topic (a KIP-618 setting Sluice lacks),
    let mut stored = reporting_config("stored", "");
    stored.insert("offsets.storage.topic".into(), "own-offsets".into());
    let stores = stores_holding(&[("stored", stored)]).await;
    let Running {
        herder,
        cancel,
        run,
    } = start_worker_with(registry, cluster.bootstrap_servers(), stores, settings());

    // validation refuses exactly-once and connector-defined transactions on their keys,
    let mut config = reporting_config("v", "");
    config.insert("exactly.once.support".into(), "required".into());
    config.insert("transaction.boundary".into(), "connector".into());
    let infos = herder.validate_connector_config(config).await.unwrap();
    assert_eq!(infos.error_count, 2);
    assert_eq!(
        errors_on(&infos, "exactly.once.support"),
        ["This worker does not have exactly-once source support enabled."]
    );
    assert_eq!(errors_on(&infos, "transaction.boundary").len(), 1);
    // and the stored connector fails at start naming the key, with no task run.
    let status = status_until(&herder, "stored", |s| s.connector.state == State::Failed).await;
    let trace = status.connector.trace.clone().unwrap_or_default();
    assert!(
        trace.contains("offsets.storage.topic: Invalid value own-offsets"),
        "{trace}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(herder.task_configs("stored").await.unwrap().is_empty());
    cancel.cancel();
    run.await.unwrap();
}

/// `StandaloneHerder.fenceZombieSourceTasks`: outside a group there is no zombie fencing, an
/// `UnsupportedOperationException` (500) whatever the connector.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standalone_worker_answers_a_fence_as_kafkas_standalone_herder() {
    let cluster = MockCluster::<DefaultProducerContext>::new(1).unwrap();
    let Running {
        herder,
        cancel,
        run,
    } = reporting_worker(&cluster);
    herder
        .put_connector_config(
            "s",
            reporting_config("s", ""),
            false,
            Some(connect_runtime::entities::TargetState::Stopped),
        )
        .await
        .unwrap();
    for name in ["s", "nope"] {
        let err = herder
            .fence_zombie_source_tasks(name, b"", None)
            .await
            .unwrap_err();
        assert_eq!(
            (err.kind, err.message.as_str()),
            (
                HerderErrorKind::Internal,
                "Kafka Connect in standalone mode does not support exactly-once source connectors."
            ),
            "{name}"
        );
    }
    cancel.cancel();
    run.await.unwrap();
}
