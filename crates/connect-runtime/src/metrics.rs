//! Prometheus metrics for `GET /metrics`, named as the Prometheus JMX exporter names Kafka
//! Connect's and Debezium's MBeans, so dashboards and alerts built for the JVM worker work
//! unchanged.
//!
//! # Model
//! Values are kept as Kafka keeps them: as MBean attributes ([`Bean`]: a `kafka.connect` type,
//! its key properties and an attribute such as `batch-size-avg`). A scrape reads them and maps
//! each through one of two published JMX exporter rule sets ([`Names`]):
//!
//! - [`Names::Strimzi`] (the default): Strimzi's `packaging/examples/metrics/kafka-connect-metrics.yaml`
//!   (`lowercaseOutputName`, `lowercaseOutputLabelNames`):
//!   - `kafka.connect<type=(.+)-metrics, connector=(.+), task=(.+)><>(.+-total)` (COUNTER) and
//!     `…><>(.+-count|.+-ms|.+-ratio|.+-seq-no|.+-rate|.+-max|.+-avg|.+-failures|.+-requests|.+-timestamp|.+-logged|.+-errors|.+-retries|.+-skipped)`
//!     (GAUGE) → `kafka_connect_$1_$4{connector,task}`: `kafka_connect_connector_task_batch_size_avg`,
//!     `kafka_connect_source_task_source_record_poll_total`, `kafka_connect_sink_task_partition_count`,
//!     `kafka_connect_task_error_total_record_errors`, `kafka_connect_task_error_deadletterqueue_produce_requests` …
//!     Attributes no pattern matches (`offset-commit-success-percentage`) are not exported, as there.
//!   - `kafka.connect<type=connector-task-metrics, connector=(.+), task=(.+)><>status: ([a-z-]+)`
//!     → `kafka_connect_connector_task_status{connector,task,status="running"} 1`;
//!   - `kafka.connect<type=connector-metrics, connector=(.+)><>(connector-class|connector-type|connector-version|status): (.+)`
//!     → `kafka_connect_connector_status{connector,status="running"} 1` (and `_connector_class` …);
//!   - `kafka.connect<type=connect-worker-metrics><>([a-z-]+-total)` (COUNTER) / `([a-z-]+)` (GAUGE)
//!     → `kafka_connect_worker_connector_startup_attempts_total`, `kafka_connect_worker_connector_count` …;
//!   - `kafka.connect<type=connect-worker-metrics, connector=(.+)><>([a-z-]+)`
//!     → `kafka_connect_worker_connector_running_task_count{connector}` …;
//!   - distributed mode only, `kafka.connect<type=connect-worker-rebalance-metrics><>(leader-name|connect-protocol): (.+)`
//!     → `kafka_connect_worker_rebalance_leader_name{leader_name="http://…/"} 1` (and `_connect_protocol`),
//!     `…><>([a-z-]+-total)` (COUNTER) / `([a-z-]+)` (GAUGE) → `kafka_connect_worker_rebalance_completed_rebalances_total`,
//!     `kafka_connect_worker_rebalance_epoch`, `…_rebalancing`, `…_rebalance_{max,avg}_time_ms`,
//!     `…_time_since_last_rebalance_ms`;
//!   - `kafka.consumer<type=consumer-fetch-manager-metrics, client-id=(.+), topic=(.+), partition=(.+)><>(.+-lag)`
//!     → `kafka_consumer_fetch_manager_records_lag{clientid,topic,partition}` (per partition lag).
//! - [`Names::Confluent`] (`GET /metrics?names=confluent`): Confluent's
//!   `jmx-monitoring-stacks/shared-assets/jmx-exporter/kafka_connect.yml` (cp-helm-charts' rules
//!   are the same family):
//!   - `kafka.connect<type=(.+)-task-metrics, connector=(.+), task=(\d+)><>(.+): (.+)`
//!     → `kafka_connect_$1_task_metrics_$4`: `kafka_connect_connector_task_metrics_batch_size_avg{connector,task="0"}`,
//!     `kafka_connect_source_task_metrics_source_record_poll_total`, `kafka_connect_sink_task_metrics_sink_record_read_total` …;
//!   - `kafka.connect<type=task-error-metrics, connector=(.+), task=(\d+)><>([^:]+)`
//!     → `kafka_connect_task_error_metrics_total_record_errors` …;
//!   - `kafka.connect<type=connect-worker-metrics><>([^:]+)` → `kafka_connect_connect_worker_metrics_$1{connector="aggregate"}`,
//!     and with `connector=(.+)` → `kafka_connect_connect_worker_metrics_$2{connector}`;
//!   - `kafka.connect<type=connect-worker-rebalance-metrics><>([^:]+)` → `kafka_connect_connect_worker_rebalance_metrics_$1`
//!     (numbers only: `leader-name` and `connect-protocol` are strings without a `value`);
//!   - `kafka.connect<type=connector-metrics, connector=(.+)><>(.+): (.+)` → `kafka_connect_connector_metrics{connector,status="running"} 1`;
//!   - `kafka.(.+)<type=(.+), (.+)=(.+), (.+)=(.+), (.+)=(.+)><>(.+):` →
//!     `kafka_consumer_consumer_fetch_manager_metrics_records_lag{client_type="consumer",client_id,topic,partition}`.
//!
//! Under both: what plugins report through `TaskHost::report_metric` as they name it (the MySQL
//! source uses Debezium's `debezium.([^:]+)<type=connector-metrics, context=([^,]+), server=([^>]+)>([^:]+)`
//! → `debezium_metrics_$4{plugin,name,context}` rule), and the process collector's
//! `process_resident_memory_bytes`, `process_cpu_seconds_total`, `process_open_fds` …
//! JMX exporter counters are exposed as OpenMetrics counters (`…_total`), everything else as
//! gauges; the JMX exporter's UNTYPED becomes a gauge.

mod process;
mod rebalance;
mod task;
mod window;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use dashmap::DashMap;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

pub use task::{ErrorCounts, TaskKind, TaskMetrics};

/// The `Content-Type` of [`render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Which JMX exporter rule set names the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Names {
    /// Strimzi's `kafka-connect-metrics.yaml`.
    #[default]
    Strimzi,
    /// Confluent's `jmx-monitoring-stacks` `kafka_connect.yml`.
    Confluent,
}

impl Names {
    /// `strimzi` or `confluent` (the `names` query parameter); `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "strimzi" => Some(Self::Strimzi),
            "confluent" => Some(Self::Confluent),
            _ => None,
        }
    }
}

/// The MBean types Sluice keeps values for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BeanType {
    /// `kafka.connect:type=connector-task-metrics,connector=…,task=…`
    ConnectorTask,
    /// `kafka.connect:type=source-task-metrics,…`
    SourceTask,
    /// `kafka.connect:type=sink-task-metrics,…`
    SinkTask,
    /// `kafka.connect:type=task-error-metrics,…`
    TaskError,
    /// `kafka.connect:type=connector-metrics,connector=…`
    Connector,
    /// `kafka.connect:type=connect-worker-metrics`
    Worker,
    /// `kafka.connect:type=connect-worker-metrics,connector=…`
    WorkerConnector,
    /// `kafka.connect:type=connect-worker-rebalance-metrics` (distributed mode only)
    WorkerRebalance,
    /// `kafka.consumer:type=consumer-fetch-manager-metrics,client-id=…,topic=…,partition=…`
    ConsumerFetch,
}

impl BeanType {
    /// The `type=` key property without `-metrics`, as the rules capture it.
    fn short(self) -> &'static str {
        match self {
            Self::ConnectorTask => "connector-task",
            Self::SourceTask => "source-task",
            Self::SinkTask => "sink-task",
            Self::TaskError => "task-error",
            Self::Connector => "connector",
            Self::Worker | Self::WorkerConnector => "connect-worker",
            Self::WorkerRebalance => "connect-worker-rebalance",
            Self::ConsumerFetch => "consumer-fetch-manager",
        }
    }
}

/// An attribute value: JMX exporter exports numbers, and strings only where a rule turns them
/// into a label.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Number(f64),
    Text(String),
}

/// One MBean attribute.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bean {
    ty: BeanType,
    attr: &'static str,
    /// The key properties after `type=`, in MBean order (`connector`, `task`, …).
    props: Vec<(&'static str, String)>,
    value: Value,
}

impl Bean {
    pub(crate) fn task(
        ty: BeanType,
        attr: &'static str,
        connector: &str,
        task: u32,
        v: f64,
    ) -> Self {
        Self {
            ty,
            attr,
            props: vec![
                ("connector", connector.to_owned()),
                ("task", task.to_string()),
            ],
            value: Value::Number(v),
        }
    }

    fn worker(attr: &'static str, v: f64) -> Self {
        Self {
            ty: BeanType::Worker,
            attr,
            props: Vec::new(),
            value: Value::Number(v),
        }
    }

    fn worker_connector(attr: &'static str, connector: &str, v: f64) -> Self {
        Self {
            ty: BeanType::WorkerConnector,
            attr,
            props: vec![("connector", connector.to_owned())],
            value: Value::Number(v),
        }
    }

    fn connector(attr: &'static str, connector: &str, v: &str) -> Self {
        Self {
            ty: BeanType::Connector,
            attr,
            props: vec![("connector", connector.to_owned())],
            value: Value::Text(v.to_owned()),
        }
    }

    fn task_status(connector: &str, task: u32, status: &str) -> Self {
        Self {
            ty: BeanType::ConnectorTask,
            attr: "status",
            props: vec![
                ("connector", connector.to_owned()),
                ("task", task.to_string()),
            ],
            value: Value::Text(status.to_owned()),
        }
    }

    pub(crate) fn records_lag(client: &str, topic: &str, partition: i32, lag: f64) -> Self {
        Self {
            ty: BeanType::ConsumerFetch,
            attr: "records-lag",
            props: vec![
                ("client-id", client.to_owned()),
                ("topic", topic.to_owned()),
                ("partition", partition.to_string()),
            ],
            value: Value::Number(lag),
        }
    }
}

/// OpenMetrics family kinds used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
}

/// One exported sample.
#[derive(Debug, Clone, PartialEq)]
struct Series {
    /// The family name; a counter's without its `_total` (the encoder adds it).
    name: String,
    kind: Kind,
    labels: Vec<(String, String)>,
    value: f64,
}

/// jmx_exporter's `safeName`: characters outside `[a-zA-Z0-9:_]` become `_`, runs of `_` fold.
fn safe_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_ascii_alphanumeric() || c == ':' || c == '_' {
            c
        } else {
            '_'
        };
        if c == '_' && out.ends_with('_') {
            continue;
        }
        out.push(c);
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// The Strimzi gauge rule's attribute suffixes.
const STRIMZI_TASK_GAUGES: &[&str] = &[
    "-count",
    "-ms",
    "-ratio",
    "-seq-no",
    "-rate",
    "-max",
    "-avg",
    "-failures",
    "-requests",
    "-timestamp",
    "-logged",
    "-errors",
    "-retries",
    "-skipped",
];

/// A number series: `-total` attributes are counters (their `_total` added by the encoder).
fn number(prefix: &str, attr: &str, labels: Vec<(String, String)>, v: f64) -> Series {
    match attr.strip_suffix("-total") {
        Some(base) => Series {
            name: safe_name(&format!("{prefix}{base}")).to_lowercase(),
            kind: Kind::Counter,
            labels,
            value: v,
        },
        None => Series {
            name: safe_name(&format!("{prefix}{attr}")).to_lowercase(),
            kind: Kind::Gauge,
            labels,
            value: v,
        },
    }
}

fn props_labels(b: &Bean) -> Vec<(String, String)> {
    b.props
        .iter()
        .map(|(k, v)| (safe_name(k).to_lowercase(), v.clone()))
        .collect()
}

/// What the rule set makes of one attribute (`None`: no rule matches it).
fn name_bean(names: Names, b: &Bean) -> Option<Series> {
    use BeanType as T;
    let labels = props_labels(b);
    let one = |name: String, mut labels: Vec<(String, String)>, label: &str, text: &str| Series {
        name,
        kind: Kind::Gauge,
        labels: {
            labels.push((safe_name(label).to_lowercase(), text.to_owned()));
            labels
        },
        value: 1.0,
    };
    match (names, b.ty, &b.value) {
        (Names::Strimzi, T::ConnectorTask, Value::Text(s)) if b.attr == "status" => Some(one(
            "kafka_connect_connector_task_status".to_owned(),
            labels,
            "status",
            s,
        )),
        (Names::Strimzi, T::Connector, Value::Text(s)) => Some(one(
            safe_name(&format!("kafka_connect_connector_{}", b.attr)).to_lowercase(),
            labels,
            b.attr,
            s,
        )),
        (
            Names::Strimzi,
            T::ConnectorTask | T::SourceTask | T::SinkTask | T::TaskError,
            Value::Number(v),
        ) => {
            let prefix = format!("kafka_connect_{}_", b.ty.short());
            if b.attr.ends_with("-total") || STRIMZI_TASK_GAUGES.iter().any(|s| b.attr.ends_with(s))
            {
                Some(number(&prefix, b.attr, labels, *v))
            } else {
                None
            }
        }
        (Names::Strimzi, T::Worker | T::WorkerConnector, Value::Number(v)) => {
            let s = number("kafka_connect_worker_", b.attr, labels, *v);
            // Only the bare worker bean has the COUNTER rule; per-connector ones are gauges.
            Some(if b.ty == T::WorkerConnector && s.kind == Kind::Counter {
                Series {
                    name: format!("{}_total", s.name),
                    kind: Kind::Gauge,
                    ..s
                }
            } else {
                s
            })
        }
        // `(leader-name|connect-protocol): (.+)` → value 1 with the text as a label; an empty
        // text fails `(.+)` and the catch-all rule drops the string.
        (Names::Strimzi, T::WorkerRebalance, Value::Text(s)) if !s.is_empty() => Some(one(
            safe_name(&format!("kafka_connect_worker_rebalance_{}", b.attr)).to_lowercase(),
            labels,
            b.attr,
            s,
        )),
        (Names::Strimzi, T::WorkerRebalance, Value::Number(v)) => Some(number(
            "kafka_connect_worker_rebalance_",
            b.attr,
            labels,
            *v,
        )),
        (Names::Strimzi, T::ConsumerFetch, Value::Number(v)) => Some(Series {
            name: safe_name(&format!("kafka_consumer_fetch_manager_{}", b.attr)),
            kind: Kind::Gauge,
            // `clientId` in the rule, lowercased by `lowercaseOutputLabelNames`.
            labels: labels
                .into_iter()
                .map(|(k, v)| {
                    (
                        if k == "client_id" {
                            "clientid".to_owned()
                        } else {
                            k
                        },
                        v,
                    )
                })
                .collect(),
            value: *v,
        }),
        (
            Names::Confluent,
            T::ConnectorTask | T::SourceTask | T::SinkTask | T::TaskError,
            Value::Number(v),
        ) => {
            let prefix = format!("kafka_connect_{}_metrics_", b.ty.short());
            Some(number(&prefix, b.attr, labels, *v))
        }
        (Names::Confluent, T::Connector, Value::Text(s)) => Some(one(
            "kafka_connect_connector_metrics".to_owned(),
            labels,
            b.attr,
            s,
        )),
        (Names::Confluent, T::Worker, Value::Number(v)) => Some(number(
            "kafka_connect_connect_worker_metrics_",
            b.attr,
            vec![("connector".to_owned(), "aggregate".to_owned())],
            *v,
        )),
        (Names::Confluent, T::WorkerConnector, Value::Number(v)) => Some(number(
            "kafka_connect_connect_worker_metrics_",
            b.attr,
            labels,
            *v,
        )),
        (Names::Confluent, T::WorkerRebalance, Value::Number(v)) => Some(number(
            "kafka_connect_connect_worker_rebalance_metrics_",
            b.attr,
            labels,
            *v,
        )),
        (Names::Confluent, T::ConsumerFetch, Value::Number(v)) => {
            let mut l = vec![("client_type".to_owned(), "consumer".to_owned())];
            l.extend(labels);
            Some(Series {
                name: safe_name(&format!(
                    "kafka_consumer_consumer_fetch_manager_metrics_{}",
                    b.attr
                )),
                kind: Kind::Gauge,
                labels: l,
                value: *v,
            })
        }
        // Strings no rule turns into a label are dropped, as the JMX exporter drops them.
        _ => None,
    }
}

/// The worker's metrics registry: worker-level counters and the live task runs.
#[derive(Debug, Clone, Default)]
pub struct WorkerMetrics {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    connector_startup_attempts: AtomicU64,
    connector_startup_success: AtomicU64,
    connector_startup_failure: AtomicU64,
    task_startup_attempts: AtomicU64,
    task_startup_success: AtomicU64,
    task_startup_failure: AtomicU64,
    tasks: DashMap<(String, u32), Arc<TaskMetrics>>,
    /// The rebalance group, once this worker is a group member (distributed mode).
    rebalance: Mutex<Option<rebalance::Rebalance>>,
}

/// A connector's state as the status store has it, for a scrape.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorSnapshot {
    pub name: String,
    pub class: String,
    /// `source`, `sink` or `unknown`.
    pub connector_type: String,
    pub version: String,
    /// Kafka's state name (`RUNNING` …).
    pub state: String,
    /// `(task id, state)`.
    pub tasks: Vec<(u32, String)>,
}

impl WorkerMetrics {
    /// A connector start was attempted and succeeded or failed (`recordConnectorStartup*`).
    pub fn connector_startup(&self, ok: bool) {
        let i = &self.inner;
        i.connector_startup_attempts.fetch_add(1, Ordering::Relaxed);
        if ok {
            &i.connector_startup_success
        } else {
            &i.connector_startup_failure
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// A task start was attempted and succeeded or failed (`recordTaskStartup*`).
    pub fn task_startup(&self, ok: bool) {
        let i = &self.inner;
        i.task_startup_attempts.fetch_add(1, Ordering::Relaxed);
        if ok {
            &i.task_startup_success
        } else {
            &i.task_startup_failure
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// This worker became a member of a Connect group offering `connect.protocol`'s
    /// `protocol_version` (if known): the `connect-worker-rebalance-metrics` group exists from
    /// now on, as Kafka's `DistributedHerder` creates it.
    pub(crate) fn join_group(&self, protocol_version: Option<i16>) {
        let now = group_clock();
        self.with_rebalance(|r| {
            *r = Some(rebalance::Rebalance::new(now, protocol_version));
        });
    }

    /// The member handed over an assignment (`rebalanceStarted`).
    pub(crate) fn rebalance_started(
        &self,
        generation: i32,
        leader_url: &str,
        protocol_version: i16,
    ) {
        let now = group_clock();
        self.with_rebalance(|r| {
            if let Some(r) = r {
                r.started(now, generation, leader_url, protocol_version);
            }
        });
    }

    /// The worker started the work of its assignment (`rebalanceSucceeded`).
    pub(crate) fn rebalance_succeeded(&self) {
        let now = group_clock();
        self.with_rebalance(|r| {
            if let Some(r) = r {
                r.succeeded(now);
            }
        });
    }

    fn with_rebalance<T>(&self, f: impl FnOnce(&mut Option<rebalance::Rebalance>) -> T) -> T {
        // A panic while holding the lock leaves plain values behind: still good to read.
        let mut guard = self
            .inner
            .rebalance
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// The metrics of a new task run; they replace the previous run's.
    pub fn start_task(&self, connector: &str, task: u32, kind: TaskKind) -> Arc<TaskMetrics> {
        let m = Arc::new(TaskMetrics::new(connector, task, kind));
        self.inner
            .tasks
            .insert((connector.to_owned(), task), Arc::clone(&m));
        m
    }

    /// A task run ended: its series go, as Kafka removes a task's metric group.
    pub fn remove_task(&self, connector: &str, task: u32) {
        self.inner.tasks.remove(&(connector.to_owned(), task));
    }

    /// The live metrics of a task run, if it runs here.
    pub fn task(&self, connector: &str, task: u32) -> Option<Arc<TaskMetrics>> {
        self.inner
            .tasks
            .get(&(connector.to_owned(), task))
            .map(|e| Arc::clone(e.value()))
    }

    /// Every attribute at `now`, with the connectors' states from the status store.
    fn beans(&self, connectors: &[ConnectorSnapshot], now: Instant) -> Vec<Bean> {
        let i = &self.inner;
        let mut out = Vec::new();
        let task_count: usize = connectors.iter().map(|c| c.tasks.len()).sum();
        out.push(Bean::worker("connector-count", connectors.len() as f64));
        out.push(Bean::worker("task-count", task_count as f64));
        let startup = |prefix: &str, attempts: u64, ok: u64, failed: u64, out: &mut Vec<Bean>| {
            let (a, s, f, sp, fp): (
                &'static str,
                &'static str,
                &'static str,
                &'static str,
                &'static str,
            ) = if prefix == "connector" {
                (
                    "connector-startup-attempts-total",
                    "connector-startup-success-total",
                    "connector-startup-failure-total",
                    "connector-startup-success-percentage",
                    "connector-startup-failure-percentage",
                )
            } else {
                (
                    "task-startup-attempts-total",
                    "task-startup-success-total",
                    "task-startup-failure-total",
                    "task-startup-success-percentage",
                    "task-startup-failure-percentage",
                )
            };
            let pct = |n: u64| {
                if attempts == 0 {
                    0.0
                } else {
                    n as f64 / attempts as f64
                }
            };
            out.push(Bean::worker(a, attempts as f64));
            out.push(Bean::worker(s, ok as f64));
            out.push(Bean::worker(f, failed as f64));
            // Kafka's startup percentages are fractions (`Frequencies` of 1.0/0.0).
            out.push(Bean::worker(sp, pct(ok)));
            out.push(Bean::worker(fp, pct(failed)));
        };
        let ld = |a: &AtomicU64| a.load(Ordering::Relaxed);
        startup(
            "connector",
            ld(&i.connector_startup_attempts),
            ld(&i.connector_startup_success),
            ld(&i.connector_startup_failure),
            &mut out,
        );
        startup(
            "task",
            ld(&i.task_startup_attempts),
            ld(&i.task_startup_success),
            ld(&i.task_startup_failure),
            &mut out,
        );
        for c in connectors {
            let count = |state: &str| c.tasks.iter().filter(|(_, s)| s == state).count() as f64;
            let name = c.name.as_str();
            out.push(Bean::worker_connector(
                "connector-total-task-count",
                name,
                c.tasks.len() as f64,
            ));
            for (attr, state) in [
                ("connector-running-task-count", "RUNNING"),
                ("connector-paused-task-count", "PAUSED"),
                ("connector-failed-task-count", "FAILED"),
                ("connector-unassigned-task-count", "UNASSIGNED"),
                ("connector-destroyed-task-count", "DESTROYED"),
                ("connector-restarting-task-count", "RESTARTING"),
            ] {
                out.push(Bean::worker_connector(attr, name, count(state)));
            }
            out.push(Bean::connector("connector-class", name, &c.class));
            out.push(Bean::connector("connector-type", name, &c.connector_type));
            out.push(Bean::connector("connector-version", name, &c.version));
            out.push(Bean::connector("status", name, &c.state.to_lowercase()));
            for (task, state) in &c.tasks {
                out.push(Bean::task_status(name, *task, &state.to_lowercase()));
            }
        }
        if let Some(r) = self.with_rebalance(|r| r.clone()) {
            r.beans(group_clock(), &mut out);
        }
        let mut tasks: Vec<Arc<TaskMetrics>> =
            i.tasks.iter().map(|e| Arc::clone(e.value())).collect();
        tasks.sort_by(|a, b| (&a.connector, a.task).cmp(&(&b.connector, b.task)));
        for t in &tasks {
            t.beans(now, &mut out);
        }
        out
    }

    /// The exposition of every metric, named by `names`.
    pub fn render(&self, connectors: &[ConnectorSnapshot], names: Names) -> String {
        let now = Instant::now();
        let mut series: Vec<Series> = self
            .beans(connectors, now)
            .iter()
            .filter_map(|b| name_bean(names, b))
            .collect();
        for e in self.inner.tasks.iter() {
            for ((name, labels), value) in e.value().plugin_series() {
                series.push(Series {
                    name: safe_name(&name),
                    kind: Kind::Gauge,
                    labels: labels
                        .into_iter()
                        .map(|(k, v)| (safe_name(&k), v))
                        .collect(),
                    value,
                });
            }
        }
        series.extend(process::series());
        encode(series)
    }
}

/// The clock of the rebalance group: the cluster driver's (tokio's, which tests pause), the
/// same instant as `Instant::now()` otherwise.
fn group_clock() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// A family's samples: labels and value.
type Samples = Vec<(Vec<(String, String)>, f64)>;

/// The series grouped into families (one descriptor per name), encoded by prometheus-client.
#[derive(Debug)]
struct Families(BTreeMap<String, (Kind, Samples)>);

impl Collector for Families {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        for (name, (kind, samples)) in &self.0 {
            let ty = match kind {
                Kind::Counter => MetricType::Counter,
                Kind::Gauge => MetricType::Gauge,
            };
            let help = format!("{name} (Sluice; named by the JMX exporter rules it mirrors)");
            let mut family = encoder.encode_descriptor(name, &help, None, ty)?;
            for (labels, value) in samples {
                let m = family.encode_family(labels)?;
                match kind {
                    Kind::Counter => ConstCounter::new(*value).encode(m)?,
                    Kind::Gauge => ConstGauge::new(*value).encode(m)?,
                }
            }
        }
        Ok(())
    }
}

fn encode(series: Vec<Series>) -> String {
    let mut families: BTreeMap<String, (Kind, Samples)> = BTreeMap::new();
    for s in series {
        let entry = families
            .entry(s.name)
            .or_insert_with(|| (s.kind, Vec::new()));
        // A name seen as both kinds keeps its first; the clash cannot be encoded twice.
        if entry.0 == s.kind {
            entry.1.push((s.labels, s.value));
        }
    }
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Families(families)));
    let mut out = String::new();
    if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
        // Writing to a String cannot fail; an encoder error still yields a valid exposition.
        out.clear();
        out.push_str("# EOF\n");
    }
    out
}

#[cfg(test)]
mod tests;
