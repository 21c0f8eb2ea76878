//! Task runners: they drive a plugin's task with Kafka Connect's delivery guarantees.
//!
//! - [`source`]: `poll` → convert → produce → wait for the delivery report → `commit_record` →
//!   the offset becomes committable; offsets are written to the offset store only for the
//!   contiguous acknowledged prefix (batches complete in order), then `commit`.
//! - [`sink`]: a consumer owned by the task (group `connect-<name>`), `put` → `pre_commit` →
//!   commit exactly the offsets the task reports durable.

pub mod sink;
pub mod source;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use connect_api::{ConnectError, Converter, HeaderConverter, TaskHost};
use connect_storage::{ConnectorStatus, State, StatusStore};
use tokio::sync::Notify;

/// Writes connector and task statuses with this worker's id and generation.
#[derive(Debug, Clone)]
pub struct StatusReporter {
    pub store: Arc<dyn StatusStore>,
    pub worker_id: String,
    pub generation: i32,
}

impl StatusReporter {
    fn status(&self, state: State, trace: Option<String>) -> ConnectorStatus {
        ConnectorStatus {
            state,
            trace,
            worker_id: self.worker_id.clone(),
            generation: self.generation,
        }
    }

    /// Records a connector's state; a failure to write is logged, never fatal (the status topic
    /// is advisory and the next transition rewrites it).
    pub async fn connector(&self, name: &str, state: State, trace: Option<String>) {
        if let Err(error) = self
            .store
            .put_connector(name, &self.status(state, trace))
            .await
        {
            tracing::warn!(connector = name, %error, "Could not write connector status.");
        }
    }

    pub async fn task(&self, name: &str, task: u32, state: State, trace: Option<String>) {
        if let Err(error) = self
            .store
            .put_task(name, task, &self.status(state, trace))
            .await
        {
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

/// The runtime side of `TaskHost`: commit requests and progress reports.
#[derive(Debug, Default)]
pub struct HostSignals {
    commit_requested: AtomicBool,
    notify: Notify,
}

impl HostSignals {
    /// Takes a pending commit request.
    pub fn take_commit_request(&self) -> bool {
        self.commit_requested.swap(false, Ordering::AcqRel)
    }

    /// Resolves when a commit is requested.
    pub async fn commit_requested(&self) {
        self.notify.notified().await;
    }
}

impl TaskHost for HostSignals {
    fn request_commit(&self) {
        self.commit_requested.store(true, Ordering::Release);
        self.notify.notify_one();
    }

    fn report_progress(&self, progress: serde_json::Value) {
        // Logged only for now; exposing it over REST is TODO(#3).
        tracing::info!(progress = %progress, "Task progress.");
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
