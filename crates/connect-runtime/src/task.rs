//! Task runners: they drive a plugin's task with Kafka Connect's delivery guarantees.
//!
//! - [`source`]: `poll` → convert → produce → wait for the delivery report → `commit_record` →
//!   the offset becomes committable; offsets are written to the offset store only for the
//!   contiguous acknowledged prefix (batches complete in order), then `commit`.
//! - [`sink`]: a consumer owned by the task (group `connect-<name>`), `put` → `pre_commit` →
//!   commit exactly the offsets the task reports durable.

pub mod sink;
pub mod source;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use connect_api::{ConnectError, Converter, HeaderConverter, TaskHost};
use connect_storage::{ConnectorStatus, State, StatusStore, StoreError, TaskStatus, TopicStatus};
use tokio::sync::{Notify, Semaphore, mpsc, oneshot};

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

/// Status writes queued but not yet handed to the store; a full queue makes the next write
/// wait (back-pressure instead of unbounded memory while the broker is unreachable).
const QUEUED_WRITES: usize = 256;

/// Writes in flight at once (each waits for its acknowledgement and read-back).
const WRITES_IN_FLIGHT: u32 = 64;

type Write = Pin<Box<dyn Future<Output = Result<bool, StoreError>> + Send>>;

enum Job {
    Write {
        /// The status record's key: writes of one key complete in the order they were queued.
        key: String,
        write: Write,
        /// Where the result goes; none for a write nobody waits for.
        reply: Option<oneshot::Sender<Result<bool, StoreError>>>,
    },
    /// Answers once every write queued before it has completed.
    Flush(oneshot::Sender<()>),
}

/// A [`StatusStore`] in front of the worker's, through which all of its status writes go, in
/// order per key.
///
/// A status that reports the worker letting go of something (UNASSIGNED, `onShutdown`) is
/// written in the background: the caller returns once the write is queued. Stopping work
/// (above all for a rebalance revocation) must not wait for a broker that cannot be reached;
/// Kafka's `KafkaStatusBackingStore` sends every status with a callback and never blocks the
/// herder. Every other write still waits for its completion, so a status read right after a
/// transition shows it. Being queued in order with the background ones, a later write of the
/// same key (a task started here again: RUNNING) never completes before an earlier UNASSIGNED.
#[derive(Debug)]
pub struct StatusQueue {
    inner: Arc<dyn StatusStore>,
    jobs: mpsc::Sender<Job>,
}

impl StatusQueue {
    /// Starts the queue's writer on the current Tokio runtime; it ends when the last clone of
    /// the returned queue is dropped and its writes are done.
    pub fn start(inner: Arc<dyn StatusStore>) -> Arc<Self> {
        let (jobs, queued) = mpsc::channel(QUEUED_WRITES);
        tokio::spawn(Self::write_all(queued));
        Arc::new(Self { inner, jobs })
    }

    async fn write_all(mut queued: mpsc::Receiver<Job>) {
        let permits = Arc::new(Semaphore::new(WRITES_IN_FLIGHT as usize));
        // The completion signal of the last write queued per key: the next one of the key
        // starts after it (a dropped sender is the signal).
        let mut last: HashMap<String, oneshot::Receiver<()>> = HashMap::new();
        while let Some(job) = queued.recv().await {
            match job {
                Job::Write { key, write, reply } => {
                    let Ok(permit) = permits.clone().acquire_owned().await else {
                        return;
                    };
                    last.retain(|_, done| {
                        matches!(done.try_recv(), Err(oneshot::error::TryRecvError::Empty))
                    });
                    let (done, done_rx) = oneshot::channel::<()>();
                    let before = last.insert(key.clone(), done_rx);
                    tokio::spawn(async move {
                        if let Some(before) = before {
                            before.await.ok();
                        }
                        let written = write.await;
                        drop(done);
                        match reply {
                            Some(reply) => {
                                reply.send(written).ok();
                            }
                            None => {
                                if let Err(error) = written {
                                    tracing::warn!(key, %error, "Could not write a status.");
                                }
                            }
                        }
                        drop(permit);
                    });
                }
                Job::Flush(reply) => {
                    if let Ok(all) = permits.acquire_many(WRITES_IN_FLIGHT).await {
                        drop(all);
                    }
                    reply.send(()).ok();
                }
            }
        }
    }

    /// Queues a write; waits for its result unless `background`. A write the queue cannot take
    /// (its writer is gone) fails with [`StoreError::Closed`].
    async fn submit(
        &self,
        key: String,
        write: Write,
        background: bool,
    ) -> Result<bool, StoreError> {
        if background {
            self.jobs
                .send(Job::Write {
                    key,
                    write,
                    reply: None,
                })
                .await
                .map_err(|_| StoreError::Closed)?;
            return Ok(true);
        }
        let (reply, result) = oneshot::channel();
        self.jobs
            .send(Job::Write {
                key,
                write,
                reply: Some(reply),
            })
            .await
            .map_err(|_| StoreError::Closed)?;
        result.await.map_err(|_| StoreError::Closed)?
    }

    /// Waits until every write queued so far has completed (or failed).
    pub async fn flush(&self) {
        let (reply, done) = oneshot::channel();
        if self.jobs.send(Job::Flush(reply)).await.is_ok() {
            done.await.ok();
        }
    }

    fn connector_key(connector: &str) -> String {
        format!("status-connector-{connector}")
    }

    fn task_key(connector: &str, task: u32) -> String {
        format!("status-task-{connector}-{task}")
    }
}

#[async_trait]
impl StatusStore for StatusQueue {
    async fn put_connector(
        &self,
        connector: &str,
        status: &ConnectorStatus,
    ) -> Result<(), StoreError> {
        let (inner, name, status) = (self.inner.clone(), connector.to_owned(), status.clone());
        let write: Write =
            Box::pin(async move { inner.put_connector(&name, &status).await.map(|()| true) });
        self.submit(Self::connector_key(connector), write, false)
            .await
            .map(drop)
    }

    async fn put_task(
        &self,
        connector: &str,
        task: u32,
        status: &TaskStatus,
    ) -> Result<(), StoreError> {
        let (inner, name, status) = (self.inner.clone(), connector.to_owned(), status.clone());
        let write: Write =
            Box::pin(async move { inner.put_task(&name, task, &status).await.map(|()| true) });
        self.submit(Self::task_key(connector, task), write, false)
            .await
            .map(drop)
    }

    /// An UNASSIGNED status is written in the background and reported as written once queued.
    async fn put_connector_safe(
        &self,
        connector: &str,
        status: &ConnectorStatus,
    ) -> Result<bool, StoreError> {
        let background = status.state == State::Unassigned;
        let (inner, name, status) = (self.inner.clone(), connector.to_owned(), status.clone());
        let write: Write = Box::pin(async move { inner.put_connector_safe(&name, &status).await });
        self.submit(Self::connector_key(connector), write, background)
            .await
    }

    /// An UNASSIGNED status is written in the background and reported as written once queued.
    async fn put_task_safe(
        &self,
        connector: &str,
        task: u32,
        status: &TaskStatus,
    ) -> Result<bool, StoreError> {
        let background = status.state == State::Unassigned;
        let (inner, name, status) = (self.inner.clone(), connector.to_owned(), status.clone());
        let write: Write = Box::pin(async move { inner.put_task_safe(&name, task, &status).await });
        self.submit(Self::task_key(connector, task), write, background)
            .await
    }

    /// After the connector's queued writes, so none of them brings a status back.
    async fn delete_connector(&self, connector: &str) -> Result<(), StoreError> {
        self.flush().await;
        self.inner.delete_connector(connector).await
    }

    async fn put_topic(&self, status: &TopicStatus) -> Result<(), StoreError> {
        self.inner.put_topic(status).await
    }

    async fn delete_topics(&self, connector: &str) -> Result<(), StoreError> {
        self.inner.delete_topics(connector).await
    }

    async fn refresh(&self) -> Result<(), StoreError> {
        self.inner.refresh().await
    }

    fn get_connector(&self, connector: &str) -> Option<ConnectorStatus> {
        self.inner.get_connector(connector)
    }

    fn get_task(&self, connector: &str, task: u32) -> Option<TaskStatus> {
        self.inner.get_task(connector, task)
    }

    fn tasks_of(&self, connector: &str) -> Vec<(u32, TaskStatus)> {
        self.inner.tasks_of(connector)
    }

    fn topics_of(&self, connector: &str) -> Vec<TopicStatus> {
        self.inner.topics_of(connector)
    }

    fn connectors(&self) -> Vec<String> {
        self.inner.connectors()
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
    use std::time::Duration;

    use connect_storage::MemoryStatusStore;
    use serde_json::json;

    use super::*;

    /// A status store whose writes take `delay` per state and which records the order they
    /// completed in.
    #[derive(Debug)]
    struct SlowStore {
        inner: MemoryStatusStore,
        /// Writes of this state wait for a permit of `open`.
        held: Option<State>,
        open: Semaphore,
        done: Mutex<Vec<State>>,
    }

    #[async_trait]
    impl StatusStore for SlowStore {
        async fn put_connector(
            &self,
            connector: &str,
            status: &ConnectorStatus,
        ) -> Result<(), StoreError> {
            if self.held == Some(status.state) {
                self.open.acquire().await.unwrap().forget();
            }
            self.inner.put_connector(connector, status).await?;
            self.done.lock().unwrap().push(status.state);
            Ok(())
        }
        async fn put_task(
            &self,
            connector: &str,
            task: u32,
            status: &TaskStatus,
        ) -> Result<(), StoreError> {
            if self.held == Some(status.state) {
                self.open.acquire().await.unwrap().forget();
            }
            self.inner.put_task(connector, task, status).await?;
            self.done.lock().unwrap().push(status.state);
            Ok(())
        }
        async fn delete_connector(&self, connector: &str) -> Result<(), StoreError> {
            self.inner.delete_connector(connector).await
        }
        async fn put_topic(&self, status: &TopicStatus) -> Result<(), StoreError> {
            self.inner.put_topic(status).await
        }
        async fn delete_topics(&self, connector: &str) -> Result<(), StoreError> {
            self.inner.delete_topics(connector).await
        }
        async fn refresh(&self) -> Result<(), StoreError> {
            Ok(())
        }
        fn get_connector(&self, connector: &str) -> Option<ConnectorStatus> {
            self.inner.get_connector(connector)
        }
        fn get_task(&self, connector: &str, task: u32) -> Option<TaskStatus> {
            self.inner.get_task(connector, task)
        }
        fn tasks_of(&self, connector: &str) -> Vec<(u32, TaskStatus)> {
            self.inner.tasks_of(connector)
        }
        fn topics_of(&self, connector: &str) -> Vec<TopicStatus> {
            self.inner.topics_of(connector)
        }
        fn connectors(&self) -> Vec<String> {
            self.inner.connectors()
        }
    }

    impl SlowStore {
        fn holding(state: State) -> Self {
            Self {
                inner: MemoryStatusStore::new(),
                held: Some(state),
                open: Semaphore::new(0),
                done: Mutex::default(),
            }
        }
    }

    fn reporter(store: Arc<dyn StatusStore>) -> StatusReporter {
        StatusReporter {
            store,
            worker_id: "w1:8083".into(),
            generation: Arc::new(AtomicI32::new(3)),
        }
    }

    #[tokio::test]
    async fn an_unassigned_status_does_not_wait_for_a_store_that_cannot_write() {
        let slow = Arc::new(SlowStore::holding(State::Unassigned));
        let queue = StatusQueue::start(slow.clone());
        let status = reporter(queue.clone());
        tokio::time::timeout(Duration::from_secs(5), async {
            status.task("c", 0, State::Unassigned, None).await;
            status.connector("c", State::Unassigned, None).await;
        })
        .await
        .expect("the stop path waited for a status write");
        assert!(slow.done.lock().unwrap().is_empty(), "nothing written yet");
        // They are written once the store can, and a flush waits for them.
        slow.open.add_permits(2);
        tokio::time::timeout(Duration::from_secs(5), queue.flush())
            .await
            .unwrap();
        assert_eq!(
            slow.get_task("c", 0).map(|s| s.state),
            Some(State::Unassigned)
        );
        assert_eq!(
            slow.get_connector("c").map(|s| s.state),
            Some(State::Unassigned)
        );
    }

    #[tokio::test]
    async fn a_later_running_status_of_a_task_is_never_overtaken_by_its_earlier_unassigned() {
        let slow = Arc::new(SlowStore::holding(State::Unassigned));
        let status = reporter(StatusQueue::start(slow.clone()));
        status.task("c", 0, State::Unassigned, None).await;
        // Another task's write is not held up by it.
        tokio::time::timeout(
            Duration::from_secs(5),
            status.task("c", 1, State::Running, None),
        )
        .await
        .expect("another key waited");
        let running = tokio::spawn({
            let status = status.clone();
            async move { status.task("c", 0, State::Running, None).await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!running.is_finished(), "RUNNING overtook UNASSIGNED");
        slow.open.add_permits(1);
        tokio::time::timeout(Duration::from_secs(5), running)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            *slow.done.lock().unwrap(),
            [State::Running, State::Unassigned, State::Running]
        );
        assert_eq!(slow.get_task("c", 0).map(|s| s.state), Some(State::Running));
    }

    #[tokio::test]
    async fn a_running_status_is_readable_as_soon_as_its_write_returns() {
        let status = reporter(StatusQueue::start(Arc::new(MemoryStatusStore::new())));
        status.task("c", 2, State::Running, None).await;
        let read = status.store.get_task("c", 2).expect("written");
        assert_eq!((read.state, read.generation), (State::Running, 3));
    }

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
