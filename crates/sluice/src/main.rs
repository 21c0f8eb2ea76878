//! `sluice`: a Kafka Connect-compatible worker in one small binary.
//!
//! It serves Kafka Connect's REST API, runs the Debezium MySQL source and the Confluent S3 sink
//! (and Kafka's FileStream examples) as native plugins, and keeps its state where Kafka Connect
//! keeps it: the config, offset and status topics, and the sink consumer groups.
//!
//! # Layout
//! - `main.rs`: command line, configuration sources, wiring, signals.
//! - `cluster.rs`: distributed mode's group membership settings.
//! - `debezium_env.rs`: the worker configuration from the `debezium/connect` image environment.
//! - `connector_file.rs`: standalone mode's connector configuration files.
//! - `error.rs`: why those inputs could not be read.
//! - `logging.rs`: `tracing` set-up and the `/admin/loggers` levels.
//! - `plugins.rs`: the explicit plugin list.
//! - `rest.rs`: the REST listeners (http, https, admin) and their security settings.

mod cluster;
mod connector_file;
mod debezium_env;
mod error;
mod logging;
mod plugins;
mod rest;

/// glibc's malloc cost ~19 % of the CPU of a CDC stream (perf, BENCHMARKS.md): every record
/// allocates its data model, JSON bytes and producer copies on one thread and frees them on
/// another. mimalloc's thread-local free lists make that cheaper.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use connect_api::Props;
use connect_runtime::Herder;
use connect_runtime::config_providers::{self, ConfigProviders};
use connect_runtime::entities::TargetState;
use connect_runtime::kafka::{KafkaClients, worker_admin_props};
use connect_runtime::worker_config::{Mode, WorkerConfig, load_properties};
use connect_runtime::{Stores, WorkerHerder, WorkerSettings};
use connect_storage::{
    FileOffsetStore, KafkaConfigStore, KafkaOffsetStore, KafkaSettings, KafkaStatusStore,
    MemoryConfigStore, MemoryStatusStore, TopicSettings,
};
use tokio_util::sync::CancellationToken;

const AFTER_HELP: &str = "\
With no command, Sluice runs in distributed mode configured like the debezium/connect image:
  BOOTSTRAP_SERVERS          bootstrap.servers (required)
  GROUP_ID                   group.id (default 1)
  CONFIG_STORAGE_TOPIC       config.storage.topic (required)
  OFFSET_STORAGE_TOPIC       offset.storage.topic (required)
  STATUS_STORAGE_TOPIC       status.storage.topic
  KEY_CONVERTER              key.converter (default org.apache.kafka.connect.json.JsonConverter)
  VALUE_CONVERTER            value.converter (default org.apache.kafka.connect.json.JsonConverter)
  OFFSET_FLUSH_INTERVAL_MS   offset.flush.interval.ms (default 60000)
  OFFSET_FLUSH_TIMEOUT_MS    offset.flush.timeout.ms (default 5000)
  SHUTDOWN_TIMEOUT           task.shutdown.graceful.timeout.ms (default 10000)
  ADVERTISED_HOST_NAME       rest.advertised.host.name
  ADVERTISED_PORT            rest.advertised.port (default 8083)
  CONNECT_<NAME>             any worker property: CONNECT_HEARTBEAT_INTERVAL_MS -> heartbeat.interval.ms
  LOG_LEVEL                  root log level (TRACE, DEBUG, INFO, WARN, ERROR)

Worker properties (Kafka 3.9 defaults): listeners=http://:8083, key/value.converter (required in
files), header.converter=SimpleHeaderConverter, offset.flush.interval.ms=60000,
config/offset/status.storage.topic, *.storage.partitions (offsets 25, status 5),
*.storage.replication.factor (3; -1 = broker default), topic.tracking.enable=true,
rest.advertised.host.name/port, producer.* / consumer.* client settings,
sluice.rest.max.connections (open REST connections, default 1024).

A missing required setting prints one line naming it and exits with code 2.";

/// A Kafka Connect-compatible worker.
#[derive(Debug, Parser)]
#[command(name = "sluice", version, about, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Distributed mode (`connect-distributed.sh worker.properties`): state in Kafka topics.
    Distributed {
        /// Worker properties file.
        worker_properties: PathBuf,
    },
    /// Standalone mode (`connect-standalone.sh worker.properties connector…`): offsets in
    /// `offset.storage.file.filename`, connectors from JSON or properties files.
    Standalone {
        /// Worker properties file.
        worker_properties: PathBuf,
        /// Connector configurations (`.json` in the POST /connectors or flat form, or `.properties`).
        connectors: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let huge_pages = disable_huge_pages();
    let cli = Cli::parse();
    let (config, connector_files) = match load(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sluice: {e:#}");
            return ExitCode::from(2);
        }
    };
    let loggers = Arc::new(logging::init());
    if let Err(error) = huge_pages {
        tracing::debug!(%error, "Transparent huge pages stay on: idle memory will be higher.");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sluice: could not start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config, connector_files, loggers)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "Worker stopped with an error.");
            eprintln!("sluice: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Turns transparent huge pages off for the whole process (the flag belongs to the address
/// space: every thread, mimalloc's heaps and the C libraries' alike). With huge pages, one byte
/// touched in a 2 MiB region makes all of it resident: they were ~10.5 MB of the idle worker's
/// 41 MB, for no measurable per-record gain (BENCHMARKS.md). mimalloc is also built with
/// `no_thp`, so it does not ask for them (`madvise`) in the allocations made before `main`;
/// this call covers kernels set to `always`. Best effort: without it only memory grows.
fn disable_huge_pages() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    rustix::thread::disable_transparent_huge_pages(true)?;
    Ok(())
}

/// A connector to create at start-up (standalone mode) and its `initial_state`.
type ConnectorToCreate = (Props, Option<TargetState>);

fn load(cli: &Cli) -> anyhow::Result<(ResolvedWorker, Vec<ConnectorToCreate>)> {
    Ok(match &cli.command {
        None => {
            let env: BTreeMap<String, String> = std::env::vars().collect();
            let props = debezium_env::props_from_debezium_env(&env)?;
            (
                resolved_worker_config(Mode::Distributed, &props)?,
                Vec::new(),
            )
        }
        Some(Command::Distributed { worker_properties }) => (
            resolved_worker_config(Mode::Distributed, &load_properties(worker_properties)?)?,
            Vec::new(),
        ),
        Some(Command::Standalone {
            worker_properties,
            connectors,
        }) => {
            let config =
                resolved_worker_config(Mode::Standalone, &load_properties(worker_properties)?)?;
            let mut files = Vec::new();
            for path in connectors {
                let file = connector_file::load_connector_file(path)?;
                let mut props = file.config;
                props.insert("name".to_owned(), file.name);
                files.push((props, file.initial_state));
            }
            (config, files)
        }
    })
}

/// The worker's configuration with its `${provider:path:key}` placeholders resolved first, as
/// Kafka's `WorkerConfig` does (KIP-421), and the providers connectors will use, built from the
/// resolved properties (`Worker.initConfigTransformer`). Placeholders left as written are
/// returned to be logged once logging is up; messages name provider, path and key only.
fn resolved_worker_config(mode: Mode, raw: &Props) -> anyhow::Result<ResolvedWorker> {
    // The provider errors repeat their cause in their text: one line, no chain.
    let resolution = config_providers::resolve_worker_config(raw).map_err(|e| {
        anyhow::anyhow!("could not resolve the worker configuration's placeholders: {e}")
    })?;
    let providers = ConfigProviders::from_worker_props(&resolution.props)
        .map_err(|e| anyhow::anyhow!("could not set up the config providers: {e}"))?;
    let unresolved = resolution
        .unresolved
        .iter()
        .map(ToString::to_string)
        .collect();
    let config = WorkerConfig::from_props(mode, resolution.props)?;
    Ok(ResolvedWorker {
        config,
        providers,
        unresolved,
    })
}

/// A worker configuration read at start-up.
#[derive(Debug)]
struct ResolvedWorker {
    config: WorkerConfig,
    providers: ConfigProviders,
    /// Placeholders left as written, for a warning each.
    unresolved: Vec<String>,
}

/// Settings under `prefix`, with the prefix stripped.
fn with_prefix(props: &Props, prefix: &str) -> Props {
    props
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_owned(), v.clone())))
        .collect()
}

/// The worker's settings every Kafka client takes (security, `sasl.*`, `ssl.*`, connection
/// settings), in Kafka's names: `connect_api::kafka_client` translates them per client.
fn client_props(config: &WorkerConfig) -> BTreeMap<String, String> {
    let mut out = connect_runtime::kafka::worker_client_props(&config.originals);
    out.insert(
        "bootstrap.servers".to_owned(),
        config.bootstrap_servers.join(","),
    );
    out
}

/// `sluice.rest.max.connections`: open REST connections allowed at once.
const MAX_CONNECTIONS_CONFIG: &str = "sluice.rest.max.connections";

/// The REST listener's limits: Jetty's timeouts, and the connection cap from the worker config.
fn rest_limits(props: &Props) -> anyhow::Result<connect_rest::ServerLimits> {
    let mut limits = connect_rest::ServerLimits::default();
    if let Some(v) = props.get(MAX_CONNECTIONS_CONFIG) {
        limits.max_connections = v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .with_context(|| {
                format!("Invalid value {v} for configuration {MAX_CONNECTIONS_CONFIG}: must be a positive integer")
            })?;
    }
    Ok(limits)
}

async fn run(
    worker: ResolvedWorker,
    connector_files: Vec<ConnectorToCreate>,
    loggers: Arc<logging::TracingLoggers>,
) -> anyhow::Result<()> {
    let ResolvedWorker {
        config,
        providers,
        unresolved,
    } = worker;
    for u in unresolved {
        tracing::warn!("Worker configuration placeholder {u}");
    }
    let cancel = CancellationToken::new();
    spawn_signal_handler(cancel.clone());

    let local_host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_owned());
    let advertised = config.advertised_rest_listener().clone();
    let worker_id = config.worker_id(&local_host);
    let advertised_url = format!("{}://{}", advertised.protocol.as_str(), worker_id);
    let o = &config.originals;
    let clients = KafkaClients::with_admin_overrides(client_props(&config), worker_admin_props(o))
        .context("could not configure the Kafka clients")?;
    for notice in config.notices() {
        tracing::warn!("{notice}");
    }
    let settings = WorkerSettings {
        worker_id: worker_id.clone(),
        key_converter: (
            config.key_converter.clone(),
            with_prefix(o, "key.converter."),
        ),
        value_converter: (
            config.value_converter.clone(),
            with_prefix(o, "value.converter."),
        ),
        header_converter: (
            config.header_converter.clone(),
            with_prefix(o, "header.converter."),
        ),
        offset_flush_interval: config.offset_flush_interval,
        graceful_timeout: config.task_shutdown_graceful_timeout,
        topic_tracking: config.topic_tracking_enable,
        topic_tracking_allow_reset: config.topic_tracking_allow_reset,
        producer: with_prefix(o, "producer."),
        consumer: with_prefix(o, "consumer."),
        client_config_override_policy: config.connector_client_config_override_policy.clone(),
        topic_creation_enable: config.topic_creation_enable,
        commit: env!("SLUICE_COMMIT").to_owned(),
        sink_static_membership: o
            .get("sluice.sink.static.membership")
            .is_none_or(|v| v.trim() != "false"),
    };
    let herder = WorkerHerder::new(
        plugins::registry()?,
        settings,
        clients.clone(),
        cancel.clone(),
    );
    herder.set_config_providers(providers);

    // One HTTP client for other workers: forwarded REST requests and signed internal ones,
    // with the worker's REST TLS settings for https workers (Kafka's `RestClient`).
    let forwarder = connect_rest::Forwarder::for_worker(o, connect_rest::DEFAULT_REQUEST_TIMEOUT)
        .map_err(anyhow::Error::msg)?;
    if let Some(problem) = forwarder.tls_problem() {
        // A worker that advertises https has https peers: its forwarding could never work.
        // Kafka builds the client's TLS only for an https URL, so an http worker may carry
        // `ssl.*` settings (for its Kafka clients) that no REST client could use.
        if config.mode == Mode::Distributed
            && advertised.protocol == connect_runtime::worker_config::Protocol::Https
        {
            anyhow::bail!("the REST client for the other workers cannot be set up: {problem}");
        }
        if o.keys()
            .any(|k| k.starts_with("ssl.") || k.starts_with("listeners.https."))
        {
            tracing::warn!(
                "Requests forwarded to https:// workers will fail: the REST client for the other workers cannot be set up: {problem}"
            );
        }
    }
    let state =
        connect_rest::AppState::new(Arc::new(herder.clone()), loggers, advertised_url.clone())
            .with_forwarder(forwarder.clone());
    let limits = rest_limits(&config.originals)?;
    tracing::info!(worker_id = %worker_id, "Starting the REST listeners.");
    let servers = rest::start(&config, state, limits, &cancel).await?;

    if !connector_files.is_empty() {
        let herder = herder.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            for (props, initial_state) in connector_files {
                let name = props.get("name").cloned().unwrap_or_default();
                if let Err(e) = herder
                    .put_connector_config(&name, props, true, initial_state)
                    .await
                {
                    tracing::error!(connector = %name, error = %e, "Could not create a connector from the command line; stopping.");
                    cancel.cancel();
                    return;
                }
                tracing::info!(connector = %name, "Created connector from the command line.");
            }
        });
    }

    let kafka = {
        let mut s = KafkaSettings::new(config.bootstrap_servers.join(","));
        s.extra = client_props(&config);
        s.extra.remove("bootstrap.servers");
        s
    };
    match config.mode {
        Mode::Distributed => {
            let topics = config
                .storage_topics
                .clone()
                .context("distributed mode needs the storage topics")?;
            // Kafka's advertised URL ends with `/`; other workers forward requests to it.
            herder.set_cluster(cluster::cluster_settings(
                &config,
                &format!("{advertised_url}/"),
                &client_props(&config),
                Arc::new(forwarder),
            )?);
            herder
                .run(|| {
                    let kafka = kafka.clone();
                    let topics = topics.clone();
                    async move {
                        let config = KafkaConfigStore::open(
                            &kafka,
                            &TopicSettings::config(
                                &topics.config_topic,
                                topics.config_replication_factor,
                            ),
                        )
                        .await?;
                        let offsets = KafkaOffsetStore::open(
                            &kafka,
                            &TopicSettings::offsets(
                                &topics.offset_topic,
                                topics.offset_partitions,
                                topics.offset_replication_factor,
                            ),
                        )
                        .await?;
                        let status = KafkaStatusStore::open(
                            &kafka,
                            &TopicSettings::status(
                                &topics.status_topic,
                                topics.status_partitions,
                                topics.status_replication_factor,
                            ),
                        )
                        .await?;
                        Ok(Stores {
                            config: Arc::new(config),
                            offsets: Arc::new(offsets),
                            status: Arc::new(status),
                        })
                    }
                })
                .await;
        }
        Mode::Standalone => {
            let path = config
                .offset_storage_file
                .clone()
                .context("standalone mode needs offset.storage.file.filename")?;
            herder
                .run(|| {
                    let path = path.clone();
                    async move {
                        let offsets = FileOffsetStore::open(path).await?;
                        Ok(Stores {
                            config: Arc::new(MemoryConfigStore::new()),
                            offsets: Arc::new(offsets),
                            status: Arc::new(MemoryStatusStore::new()),
                        })
                    }
                })
                .await;
        }
    }
    cancel.cancel();
    for server in servers {
        server
            .await
            .context("REST server task failed")?
            .context("REST server failed")?;
    }
    tracing::info!("Worker stopped.");
    Ok(())
}

fn spawn_signal_handler(cancel: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            () = term => {}
        }
        tracing::info!("Shutting down.");
        cancel.cancel();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_are_off_for_the_process_after_start_up() {
        let thp_enabled = || {
            std::fs::read_to_string("/proc/self/status")
                .expect("status")
                .lines()
                .find_map(|l| l.strip_prefix("THP_enabled:").map(|v| v.trim().to_owned()))
        };
        disable_huge_pages().expect("prctl");
        // Kernels before 5.0 do not report the flag; the prctl's own answer then has to do.
        if let Some(enabled) = thp_enabled() {
            assert_eq!(enabled, "0");
        }
        assert!(rustix::thread::transparent_huge_pages_are_disabled().expect("prctl"));
    }

    #[test]
    fn the_rest_connection_cap_comes_from_the_worker_config() {
        let mut props = Props::new();
        assert_eq!(
            rest_limits(&props).expect("defaults").max_connections,
            connect_rest::DEFAULT_MAX_CONNECTIONS
        );
        props.insert(MAX_CONNECTIONS_CONFIG.to_owned(), " 16 ".to_owned());
        assert_eq!(rest_limits(&props).expect("set").max_connections, 16);
        for bad in ["0", "-1", "many"] {
            props.insert(MAX_CONNECTIONS_CONFIG.to_owned(), bad.to_owned());
            let err = rest_limits(&props).expect_err(bad).to_string();
            assert!(err.contains(MAX_CONNECTIONS_CONFIG), "{err}");
        }
    }
}
