//! Task runners: they drive a plugin's task with Kafka Connect's delivery guarantees.
//!
//! - [`source`]: `poll` → convert → produce → wait for the delivery report → `commit_record` →
//!   the offset becomes committable; offsets are written to the offset store only for the
//!   contiguous acknowledged prefix (batches complete in order), then `commit`.
//! - [`sink`]: a consumer owned by the task (group `connect-<name>`), `put` → `pre_commit` →
//!   commit exactly the offsets the task reports durable.

pub mod sink;
pub mod source;

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use connect_api::{ConnectError, Converter, HeaderConverter, TaskHost};
use connect_storage::{ConnectorStatus, State, StatusStore};
use tokio::sync::Notify;

/// Writes connector and task statuses with this worker's id and group generation.
///
/// Like Kafka's herder, a state that reports the worker letting go of something (UNASSIGNED
/// after a stop, FAILED) is written with `putSafe`: it never overwrites the status a worker of a
/// newer generation wrote, so a worker that lost a task in a rebalance cannot mask its new
/// owner's status.
#[derive(Debug, Clone)]
pub struct StatusReporter {
    pub store: Arc<dyn StatusStore>,
    pub worker_id: String,
    /// The generation of the group assignment this worker runs under (shared with the cluster
    /// driver, which bumps it on each assignment; 1 outside a group).
    pub generation: Arc<AtomicI32>,
}

impl StatusReporter {
    fn status(&self, state: State, trace: Option<String>) -> ConnectorStatus {
        ConnectorStatus {
            state,
            trace,
            worker_id: self.worker_id.clone(),
            generation: self.generation.load(Ordering::Relaxed),
        }
    }

    /// `onShutdown` and `onFailure` use `putSafe`; every other transition `put`.
    fn is_safe_write(state: State) -> bool {
        matches!(state, State::Unassigned | State::Failed)
    }

    /// Records a connector's state; a failure to write is logged, never fatal (the status topic
    /// is advisory and the next transition rewrites it).
    pub async fn connector(&self, name: &str, state: State, trace: Option<String>) {
        let status = self.status(state, trace);
        let written = if Self::is_safe_write(state) {
            self.store.put_connector_safe(name, &status).await.map(drop)
        } else {
            self.store.put_connector(name, &status).await
        };
        if let Err(error) = written {
            tracing::warn!(connector = name, %error, "Could not write connector status.");
        }
    }

    pub async fn task(&self, name: &str, task: u32, state: State, trace: Option<String>) {
        let status = self.status(state, trace);
        let written = if Self::is_safe_write(state) {
            self.store
                .put_task_safe(name, task, &status)
                .await
                .map(drop)
        } else {
            self.store.put_task(name, task, &status).await
        };
        if let Err(error) = written {
            tracing::warn!(connector = name, task, %error, "Could not write task status.");
        }
    }
}

/// The converters a task uses.
#[derive(Debug, Clone)]
pub struct TaskConverters {
    pub key: Arc<dyn Converter>,
    pub value: Arc<dyn Converter>,
    pub header: Arc<dyn HeaderConverter>,
    pub key_class: String,
    pub header_class: String,
    pub value_class: String,
}

/// What the framework does with a record it cannot convert (`errors.*`).
#[derive(Debug, Clone, Default)]
pub struct ErrorPolicy {
    pub tolerate_all: bool,
    pub log_errors: bool,
    pub log_include_messages: bool,
    pub dlq_topic: Option<String>,
    pub dlq_replication_factor: i16,
    pub dlq_context_headers: bool,
}

/// What a task last reported through [`TaskHost::report_progress`], and when.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressReport {
    /// The connector's JSON, as reported.
    pub progress: serde_json::Value,
    /// Wall-clock time of the report, in epoch milliseconds.
    pub reported_at_ms: i64,
}

/// The latest [`ProgressReport`] of one task run. The task's [`HostSignals`] writes it and the
/// worker reads it for the REST API; clones share one value.
///
/// A plain mutex is enough: it guards a clone or a swap, never an `.await`.
#[derive(Debug, Clone, Default)]
pub struct LatestProgress(Arc<Mutex<Option<ProgressReport>>>);

impl LatestProgress {
    /// The latest report, if the task made one.
    pub fn get(&self) -> Option<ProgressReport> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the report. A poisoned lock is taken over: a panic elsewhere must not stop a
    /// task from reporting, and the value is replaced whole.
    pub fn set(&self, report: ProgressReport) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(report);
    }
}

/// The runtime side of `TaskHost`: commit requests and progress reports.
///
/// One per task run, so a restarted task starts with no progress.
#[derive(Debug, Default)]
pub struct HostSignals {
    commit_requested: AtomicBool,
    notify: Notify,
    progress: LatestProgress,
    /// Where the plugin's `report_metric` gauges go; none in hosts without metrics.
    metrics: Option<Arc<crate::metrics::TaskMetrics>>,
}

impl HostSignals {
    /// Signals whose progress reports go to `progress`, which the worker reads.
    pub fn new(progress: LatestProgress) -> Self {
        Self {
            progress,
            ..Self::default()
        }
    }

    /// With the task run's metrics, which the plugin's gauges join.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<crate::metrics::TaskMetrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Takes a pending commit request.
    pub fn take_commit_request(&self) -> bool {
        self.commit_requested.swap(false, Ordering::AcqRel)
    }

    /// Resolves when a commit is requested.
    pub async fn commit_requested(&self) {
        self.notify.notified().await;
    }

    /// Where this task run's progress reports are kept.
    pub fn progress(&self) -> &LatestProgress {
        &self.progress
    }
}

impl TaskHost for HostSignals {
    fn request_commit(&self) {
        self.commit_requested.store(true, Ordering::Release);
        self.notify.notify_one();
    }

    /// Logs the report and keeps it as the task's latest. Every report is kept and logged: the
    /// connector decides how often it reports.
    fn report_progress(&self, progress: serde_json::Value) {
        tracing::info!(progress = %progress, "Task progress.");
        self.progress.set(ProgressReport {
            progress,
            reported_at_ms: chrono::Utc::now().timestamp_millis(),
        });
    }

    fn report_metric(&self, name: &str, labels: &[(&str, &str)], value: f64) {
        if let Some(m) = &self.metrics {
            m.plugin_metric(name, labels, value);
        }
    }
}

/// How a task run ended.
#[derive(Debug)]
pub enum TaskExit {
    /// Stopped on request.
    Stopped,
    /// Failed; the status is already FAILED with this error's trace.
    Failed(ConnectError),
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_report_is_kept_as_the_latest_progress_with_its_time() {
        let progress = LatestProgress::default();
        let signals = HostSignals::new(progress.clone());
        assert_eq!(progress.get(), None, "nothing before the first report");
        let before = chrono::Utc::now().timestamp_millis();
        signals.report_progress(json!({"tables_done": 1}));
        let after = chrono::Utc::now().timestamp_millis();
        let report = progress.get().expect("a report");
        assert_eq!(report.progress, json!({"tables_done": 1}));
        assert!((before..=after).contains(&report.reported_at_ms));
    }

    #[test]
    fn every_report_replaces_the_previous_one_without_rate_limiting() {
        let signals = HostSignals::default();
        for rows in 0..100 {
            signals.report_progress(json!({ "rows": rows }));
        }
        assert_eq!(
            signals.progress().get().map(|r| r.progress),
            Some(json!({"rows": 99}))
        );
    }
}
