//! The worker's herder: one reconcile loop owns every running connector and task.
//!
//! The loop is an actor, like Kafka's herder tick thread: it reacts to config-store snapshots
//! (from this worker's REST calls, another worker, or a previous run read back at start) and to
//! commands (restart, reconfigure), and starts, stops and reconfigures instances until what runs
//! matches what the config topic says. REST calls never touch running instances directly; they
//! write to the stores and, where Kafka answers synchronously, wait for the store to apply it.

pub mod cluster;
mod control;
mod herder_impl;
mod scrape;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicI32;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use connect_api::connector::ConnectorHost;
use connect_api::{ConnectError, Props};
use connect_storage::{StoreError, TargetState};
use dashmap::DashMap;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::kafka::KafkaClients;
use crate::registry::{DynConnectorPlugin, PluginRegistry, RunningConnector};
use crate::task::{LatestProgress, TaskExit};

pub use control::Stores;

/// The Kafka version `GET /` reports: clients such as kcctl gate features on it.
pub const KAFKA_VERSION: &str = "3.9.0";

/// How long opening the stores may take before a diagnostic TLS handshake looks for a cause.
const TLS_PROBE_AFTER: Duration = Duration::from_secs(3);

/// Worker-level settings the herder needs.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// `<advertised host>:<advertised port>`.
    pub worker_id: String,
    /// `(class, props)` of the worker's default converters.
    pub key_converter: (String, Props),
    pub value_converter: (String, Props),
    pub header_converter: (String, Props),
    pub offset_flush_interval: Duration,
    pub graceful_timeout: Duration,
    pub topic_tracking: bool,
    pub topic_tracking_allow_reset: bool,
    /// Worker `producer.*` settings (prefix stripped).
    pub producer: Props,
    /// Worker `consumer.*` settings (prefix stripped).
    pub consumer: Props,
    /// `connector.client.config.override.policy`: which `*.override.*` keys connectors may set.
    pub client_config_override_policy: crate::override_policy::OverridePolicy,
    /// `topic.creation.enable`: whether the worker creates source connectors' topics.
    pub topic_creation_enable: bool,
    /// The commit id `GET /` reports.
    pub commit: String,
    /// Sink consumers join their group as static members (`group.instance.id`), so a task
    /// restarted after a crash replaces its dead member at once. Off only for brokers without
    /// KIP-345 support (librdkafka's mock cluster).
    pub sink_static_membership: bool,
}

/// The herder; cheap to clone.
#[derive(Debug, Clone)]
pub struct WorkerHerder {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: PluginRegistry,
    settings: WorkerSettings,
    clients: KafkaClients,
    stores: OnceLock<Stores>,
    ready: watch::Sender<bool>,
    /// Orders connector config writes (PUT, PATCH) one after another, as Kafka's herder thread
    /// does: each write validates, reads and writes against the result of the previous one, so
    /// concurrent PUTs of one name give one 201 and 200s (never 409) and PATCHes lose nothing.
    /// It guards no data; holding it across the store write is its purpose.
    config_writes: tokio::sync::Mutex<()>,
    /// `config.providers` (KIP-297): connector and task configs are resolved with them when
    /// they start; what is stored and served keeps the placeholders. Empty until set.
    config_providers: OnceLock<crate::config_providers::ConfigProviders>,
    /// The progress of each task this worker runs, by `(connector, task)`. The reconcile loop
    /// adds an entry when it starts a task and removes it when it stops one, so a restarted task
    /// shows no progress until it reports again; REST reads it without going through the loop.
    progress: DashMap<(String, u32), LatestProgress>,
    /// What `GET /metrics` serves; task runs register and remove themselves with the loop.
    metrics: crate::metrics::WorkerMetrics,
    commands: mpsc::Sender<Command>,
    commands_rx: std::sync::Mutex<Option<mpsc::Receiver<Command>>>,
    cluster_id: OnceLock<String>,
    /// Why the broker is unreachable, for `/health`.
    broker_error: std::sync::Mutex<Option<String>>,
    started_at: String,
    cancel: CancellationToken,
    /// What this worker runs: everything outside a group, its assignment inside one.
    ownership: watch::Sender<cluster::Owned>,
    /// The group generation statuses are written with (1 outside a group).
    generation: Arc<AtomicI32>,
    /// Distributed mode's settings, until `run` starts the group member with them.
    pending_cluster: std::sync::Mutex<Option<cluster::ClusterSettings>>,
    /// Distributed mode's state, set by `run` before the worker is ready.
    cluster: OnceLock<Arc<cluster::ClusterState>>,
}

/// Requests to the reconcile loop.
#[derive(Debug)]
enum Command {
    RestartConnector(String, oneshot::Sender<()>),
    RestartTask(String, u32, oneshot::Sender<()>),
    Reconfigure(String),
    ConnectorFailed(String, String),
    /// Reconcile with the current ownership now and answer when done (the cluster driver, to
    /// stop revoked connectors and tasks before it lets the group go on).
    Converge(oneshot::Sender<()>),
}

/// A running task.
#[derive(Debug)]
struct TaskSlot {
    config: Props,
    cancel: CancellationToken,
    join: JoinHandle<TaskExit>,
}

/// A connector this worker runs.
#[derive(Debug)]
struct ConnectorSlot {
    config: Props,
    plugin: Option<Arc<dyn DynConnectorPlugin>>,
    instance: Option<Box<dyn RunningConnector>>,
    failed: bool,
    target: TargetState,
    target_tx: watch::Sender<TargetState>,
    tasks: BTreeMap<u32, TaskSlot>,
    /// Set when task configs must be (re)generated.
    needs_task_configs: bool,
    /// Not converged yet: its first pass reports its state even when nothing changes.
    fresh: bool,
    /// This worker runs the connector itself, not only some of its tasks.
    owns_connector: bool,
}

#[derive(Debug)]
struct LoopHost {
    name: String,
    commands: mpsc::Sender<Command>,
}

impl ConnectorHost for LoopHost {
    fn request_task_reconfiguration(&self) {
        self.commands
            .try_send(Command::Reconfigure(self.name.clone()))
            .ok();
    }

    fn raise_error(&self, error: ConnectError) {
        self.commands
            .try_send(Command::ConnectorFailed(self.name.clone(), error.trace()))
            .ok();
    }
}

impl WorkerHerder {
    pub fn new(
        registry: PluginRegistry,
        settings: WorkerSettings,
        clients: KafkaClients,
        cancel: CancellationToken,
    ) -> Self {
        let (commands, rx) = mpsc::channel(256);
        let (ready, _) = watch::channel(false);
        Self {
            inner: Arc::new(Inner {
                registry,
                settings,
                clients,
                stores: OnceLock::new(),
                ready,
                config_writes: tokio::sync::Mutex::new(()),
                config_providers: OnceLock::new(),
                progress: DashMap::new(),
                metrics: crate::metrics::WorkerMetrics::default(),
                commands,
                commands_rx: std::sync::Mutex::new(Some(rx)),
                cluster_id: OnceLock::new(),
                broker_error: std::sync::Mutex::new(None),
                started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                cancel,
                ownership: watch::Sender::new(cluster::Owned::Everything),
                generation: Arc::new(AtomicI32::new(1)),
                pending_cluster: std::sync::Mutex::new(None),
                cluster: OnceLock::new(),
            }),
        }
    }

    /// The worker's metrics registry.
    pub fn metrics(&self) -> &crate::metrics::WorkerMetrics {
        &self.inner.metrics
    }

    /// Sets the worker's config providers (once, before `run`); later calls are ignored.
    pub fn set_config_providers(&self, providers: crate::config_providers::ConfigProviders) {
        self.inner.config_providers.set(providers).ok();
    }

    /// A connector's (or task's) configuration with its `${provider:path:key}` placeholders
    /// resolved, for handing to a plugin. The result holds secrets: it is never stored, logged
    /// or served. Placeholders left as written for a reason other than "no such provider" are
    /// logged (their text, never a value).
    ///
    /// # Errors
    /// A fatal error naming the provider, path or key when a placeholder cannot be read.
    pub(crate) fn resolve_config(&self, name: &str, props: &Props) -> Result<Props, ConnectError> {
        let Some(providers) = self.inner.config_providers.get().filter(|p| !p.is_empty()) else {
            return Ok(props.clone());
        };
        let resolution = providers.resolve_connector_config(props).map_err(|e| {
            ConnectError::fatal(format!(
                "Failed to resolve the configuration's ${{…}} placeholders: {e}"
            ))
        })?;
        for u in &resolution.unresolved {
            if u.reason != crate::config_providers::UnresolvedReason::ProviderNotConfigured {
                tracing::warn!(connector = name, "{u}");
            }
        }
        Ok(resolution.props)
    }

    /// Opens the stores (retrying with back-off while the broker is unreachable, so the REST API
    /// stays up and `/health` says why), then runs the reconcile loop until cancelled.
    pub async fn run<F, Fut>(&self, open_stores: F)
    where
        F: Fn() -> Fut + Send,
        Fut: std::future::Future<Output = Result<Stores, StoreError>> + Send,
    {
        let mut backoff = Duration::from_millis(200);
        // A store that takes long to open may be failing its TLS handshakes, which librdkafka
        // retries without saying why: a handshake of our own names the cause for `/health`.
        let mut tls_cause: Option<String> = None;
        let stores = loop {
            let opening = open_stores();
            tokio::pin!(opening);
            let diagnosis = async {
                tokio::time::sleep(TLS_PROBE_AFTER).await;
                self.inner.clients.tls_failure().await
            };
            tokio::pin!(diagnosis);
            let mut diagnosed = false;
            let opened = loop {
                tokio::select! {
                    () = self.inner.cancel.cancelled() => return,
                    r = &mut opening => break r,
                    failure = &mut diagnosis, if !diagnosed => {
                        diagnosed = true;
                        tls_cause = failure.map(|f| f.to_string());
                        if let Some(cause) = &tls_cause {
                            self.report_tls_failure(cause);
                            self.set_broker_error(Some(cause.clone()));
                        }
                    }
                }
            };
            match opened {
                Ok(s) => break s,
                Err(e) => {
                    tracing::warn!(error = %e, ?backoff, "Could not open the worker's state stores; retrying.");
                    let why = match &tls_cause {
                        Some(cause) => format!("{e}; {cause}"),
                        None => e.to_string(),
                    };
                    self.set_broker_error(Some(why));
                    tokio::select! {
                        () = self.inner.cancel.cancelled() => return,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        };
        self.set_broker_error(None);
        if let Some(id) = self.inner.clients.cluster_id().await {
            self.inner.cluster_id.set(id).ok();
        }
        let rx = self
            .inner
            .commands_rx
            .lock()
            .ok()
            .and_then(|mut r| r.take());
        let Some(rx) = rx else { return };
        // In a group, nothing runs until the leader assigns it; the member joins once the
        // config topic has been read, as Kafka's herder joins after its start-up read.
        let pending = self
            .inner
            .pending_cluster
            .lock()
            .ok()
            .and_then(|mut p| p.take());
        let driver = pending.and_then(|settings| self.start_cluster(settings, &stores));
        // Requests see the stores only now that the worker's mode is settled: a member of a
        // group must not answer, for a moment, as a standalone worker would (healthy before
        // it joined; "standalone mode" to a forwarded task-config write).
        self.inner.stores.set(stores.clone()).ok();
        self.inner.ready.send_replace(true);
        tracing::info!("Worker started; reading connector configurations.");
        let probe = tokio::spawn(self.clone().probe_broker());
        control::Reconciler::new(self.clone(), stores).run(rx).await;
        probe.abort();
        if let Some(driver) = driver {
            // Kafka's herder stops its work before the member leaves the group.
            driver.abort();
            if let Some(cluster) = self.inner.cluster.get() {
                cluster.leave().await;
            }
        }
    }

    /// Watches the broker so `/health` can say why the worker is unhealthy.
    async fn probe_broker(self) {
        loop {
            tokio::select! {
                () = self.inner.cancel.cancelled() => return,
                () = tokio::time::sleep(Duration::from_secs(5)) => {}
            }
            let clients = self.inner.clients.clone();
            let r = tokio::task::spawn_blocking(move || {
                clients
                    .admin()
                    .inner()
                    .fetch_metadata(None, Duration::from_secs(5))
                    .map(|_| ())
            })
            .await;
            match r {
                Ok(Ok(())) => self.set_broker_error(None),
                Ok(Err(e)) => {
                    let mut why = format!("Unable to reach the Kafka cluster: {e}");
                    if let Some(cause) = self.inner.clients.tls_failure().await {
                        let cause = cause.to_string();
                        self.report_tls_failure(&cause);
                        why = format!("{why}; {cause}");
                    }
                    self.set_broker_error(Some(why));
                }
                Err(_) => {}
            }
        }
    }

    /// Logs a TLS failure of the worker's clients once per distinct cause (the probe runs
    /// again on every retry).
    fn report_tls_failure(&self, cause: &str) {
        let seen = self
            .inner
            .broker_error
            .lock()
            .ok()
            .is_some_and(|b| b.as_deref().is_some_and(|e| e.contains(cause)));
        if !seen {
            tracing::error!(
                cause,
                "The worker's Kafka clients cannot complete the TLS handshake with the brokers."
            );
        }
    }

    fn set_broker_error(&self, e: Option<String>) {
        if let Ok(mut b) = self.inner.broker_error.lock() {
            *b = e;
        }
    }

    /// The stores, waiting for start-up to finish (Kafka answers requests made during start-up
    /// once the herder is ready, or times out).
    async fn stores(&self) -> Result<&Stores, crate::HerderError> {
        if let Some(s) = self.inner.stores.get() {
            return Ok(s);
        }
        let mut rx = self.inner.ready.subscribe();
        let waited = tokio::time::timeout(Duration::from_secs(90), rx.wait_for(|r| *r)).await;
        match (waited, self.inner.stores.get()) {
            (Ok(Ok(_)), Some(s)) => Ok(s),
            _ => Err(crate::HerderError::internal(format!(
                "Request timed out. The worker is currently initializing and reading to the end of internal topics, which began at {}.",
                self.inner.started_at
            ))),
        }
    }
}

/// `io.debezium.connector.mysql.MySqlConnector` → `…MySqlConnectorTask` (Debezium's naming);
/// `…FileStreamSourceConnector` → `…FileStreamSourceTask` (Kafka's and Confluent's).
pub(crate) fn task_class(connector_class: &str) -> String {
    if connector_class.starts_with("io.debezium.") {
        return format!("{connector_class}Task");
    }
    match connector_class.strip_suffix("Connector") {
        Some(base) => format!("{base}Task"),
        None => format!("{connector_class}Task"),
    }
}

/// Java's `Map.toString()` (`{k=v, k2=v2}`), used in Kafka's error messages.
pub(crate) fn java_map(props: &Props) -> String {
    let inner: Vec<String> = props.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", inner.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_class_follows_each_vendors_naming() {
        assert_eq!(
            task_class("org.apache.kafka.connect.file.FileStreamSourceConnector"),
            "org.apache.kafka.connect.file.FileStreamSourceTask"
        );
        assert_eq!(
            task_class("io.debezium.connector.mysql.MySqlConnector"),
            "io.debezium.connector.mysql.MySqlConnectorTask"
        );
        assert_eq!(
            task_class("io.confluent.connect.s3.S3SinkConnector"),
            "io.confluent.connect.s3.S3SinkTask"
        );
    }
}
