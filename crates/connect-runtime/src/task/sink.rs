//! The sink task runner (`WorkerSinkTask`).
//!
//! The task owns its consumer (group `connect-<connector>`, never shared). A dedicated thread
//! polls it — librdkafka's poll is blocking — and hands owned batches and rebalance events to the
//! runner through one bounded channel, so records and assignment changes arrive in the order the
//! consumer saw them and a slow task back-pressures the poller instead of growing a queue.
//! Offsets are stored manually: the runner commits exactly what `pre_commit` reports durable.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant as StdInstant};

use bytes::Bytes;
use connect_api::{
    AssignedPartition, ConnectError, Header, Headers, OffsetMap, SinkRecord, SinkTaskHost,
    TaskHost, TimestampType, TopicPartition,
};
use connect_storage::{State, StatusStore, TargetState, TopicStatus};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::{Header as KHeader, Headers as _, Message as _, OwnedHeaders};
use rdkafka::producer::FutureRecord;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::util::Timeout;
use rdkafka::{ClientConfig, ClientContext};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::{ErrorPolicy, HostSignals, StatusReporter, TaskConverters, TaskExit};
use crate::kafka::{KafkaClients, SharedProducer, TopicSpec};
use crate::metrics::{ErrorCounts, TaskMetrics};
use crate::registry::DynSinkTask;
use crate::transforms::TransformChain;

/// Records per batch handed to `put` (Kafka's `max.poll.records` default is 500; larger batches
/// amortize per-call costs for sinks that buffer anyway).
const MAX_BATCH: usize = 2000;
/// Batches buffered between the poller and the runner.
const CHANNEL_BATCHES: usize = 4;
/// How often librdkafka reports its statistics, from which the consumer lag is read (on the
/// poll thread, off the record path, without broker requests).
const STATISTICS_INTERVAL_MS: &str = "5000";

/// A consumed record, detached from librdkafka's buffers.
#[derive(Debug)]
pub(crate) struct Consumed {
    topic: String,
    partition: i32,
    offset: i64,
    timestamp: Option<i64>,
    timestamp_type: TimestampType,
    key: Option<Bytes>,
    value: Option<Bytes>,
    headers: Vec<(String, Option<Bytes>)>,
}

enum PollEvent {
    Records(Vec<Consumed>),
    Assigned(Vec<AssignedPartition>),
    /// The poller waits on `done` before letting the rebalance proceed, so the runner can commit
    /// what is durable for these partitions while they are still ours.
    Revoked(Vec<TopicPartition>, std::sync::mpsc::SyncSender<()>),
    Error(String),
    /// A TLS handshake with a broker failed (librdkafka's `__SSL`).
    TlsError(String),
}

struct SinkContext {
    tx: mpsc::Sender<PollEvent>,
    /// Set once the consumer completed a group join (any assignment, even an empty one).
    joined: Arc<AtomicBool>,
    /// The connector's target state: partitions assigned while it is not `STARTED` are paused
    /// before the consumer can fetch from them (Kafka Connect's `onPartitionsAssigned`).
    target: watch::Receiver<TargetState>,
    /// Where the consumer lag read from librdkafka's statistics goes.
    metrics: Arc<TaskMetrics>,
}

/// How long a static member may go without completing its first group join before the task
/// rejoins as a dynamic member. tansu 0.6 expires dead members only on requests without
/// `group.instance.id`, so a static member can wait forever for a SyncGroup from a leader that
/// died (a previous incarnation killed mid-rebalance). A normal static join there takes ~6 s;
/// Kafka and Redpanda answer at once, so this never fires against them.
const STUCK_JOIN: Duration = Duration::from_secs(20);

/// How often a joined consumer that holds no partition asks whether its group stranded it, and
/// how long every answer must say so before it rejoins (see [`SinkRunner::stranded`]): longer
/// than a metadata refresh (`topic.metadata.refresh.interval.ms`, 5 s), after which a consumer
/// that joined before its topic existed rejoins by itself.
const STRANDED_CHECK: Duration = Duration::from_secs(5);
const STRANDED_FOR: Duration = Duration::from_secs(20);

/// Why a consumer's run ended.
/// Where a consumed record sits in its partition.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Position {
    partition: TopicPartition,
    offset: i64,
}

/// What the loop keeps between events.
#[derive(Debug, Default)]
struct LoopState {
    /// Next offset to read per partition (what has been handed to `put`).
    consumed: OffsetMap,
    /// Last offsets committed to the group, to skip no-op commits.
    committed: OffsetMap,
    seen_topics: HashSet<String>,
    /// Records arrived since the last idle tick.
    got_data: bool,
    paused: bool,
    /// When the consumer's TLS failures were last diagnosed (see [`TLS_PROBE_INTERVAL`]).
    last_tls_probe: Option<StdInstant>,
}

/// librdkafka retries a failed TLS handshake on every reconnect; the diagnostic handshake that
/// names the cause runs at most this often.
const TLS_PROBE_INTERVAL: Duration = Duration::from_secs(30);

enum RunEnd {
    Exit(TaskExit),
    /// The first group join did not complete in [`STUCK_JOIN`]: rejoin as a dynamic member.
    StuckJoin,
    /// The group holds a generation that gives this consumer, the connector's only task, nothing
    /// to read: rejoin (as a dynamic member) to start a new one.
    Stranded,
}

impl ClientContext for SinkContext {
    /// The records lag of each fetched partition (Kafka's `records-lag`): the last stable (or
    /// high) offset minus the position handed to the task, or the committed offset before any.
    fn stats(&self, statistics: rdkafka::Statistics) {
        let mut lag = std::collections::BTreeMap::new();
        for (topic, t) in statistics.topics {
            for (partition, p) in t.partitions {
                let end = if p.ls_offset >= 0 {
                    p.ls_offset
                } else {
                    p.hi_offset
                };
                let at = if p.app_offset >= 0 {
                    p.app_offset
                } else {
                    p.committed_offset
                };
                if partition >= 0 && end >= 0 && at >= 0 {
                    lag.insert((topic.clone(), partition), (end - at).max(0));
                }
            }
        }
        self.metrics.set_lag(lag);
    }
}

impl ConsumerContext for SinkContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            let parts = to_partitions(tpl);
            if parts.is_empty() {
                return;
            }
            let (done_tx, done_rx) = std::sync::mpsc::sync_channel(1);
            if self
                .tx
                .blocking_send(PollEvent::Revoked(parts, done_tx))
                .is_ok()
            {
                // Bounded: a stuck task must not hold the group's rebalance forever.
                if done_rx.recv_timeout(Duration::from_secs(30)).is_err() {
                    tracing::warn!(
                        "Rebalance went ahead before the task committed its revoked partitions."
                    );
                }
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            self.joined.store(true, Ordering::Release);
            if *self.target.borrow() != TargetState::Started
                && let Err(e) = consumer.pause(tpl)
            {
                tracing::warn!(error = %e, "Could not pause newly assigned partitions.");
            }
            let committed = consumer
                .committed_offsets((*tpl).clone(), Duration::from_secs(10))
                .ok();
            let parts = to_partitions(tpl)
                .into_iter()
                .map(|p| {
                    let c = committed.as_ref().and_then(|c| {
                        c.find_partition(&p.topic, p.partition)
                            .and_then(|e| match e.offset() {
                                Offset::Offset(o) => Some(o),
                                _ => None,
                            })
                    });
                    AssignedPartition {
                        partition: p,
                        committed: c,
                    }
                })
                .collect::<Vec<_>>();
            if !parts.is_empty() {
                self.tx.blocking_send(PollEvent::Assigned(parts)).ok();
            }
        }
    }
}

fn to_partitions(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

/// Everything a sink runner needs.
pub struct SinkRunner {
    pub connector: String,
    pub task_id: u32,
    pub task: Box<dyn DynSinkTask>,
    /// Applied after the converters, before `put`.
    pub transforms: TransformChain,
    pub converters: TaskConverters,
    pub clients: KafkaClients,
    pub consumer_config: ClientConfig,
    pub topics: Vec<String>,
    pub topics_regex: Option<String>,
    /// The connector has this one task, so the task's consumer should be its group's only
    /// member (and hold every partition of its topics).
    pub sole_task: bool,
    pub dlq: DlqWriter,
    pub status: StatusReporter,
    pub status_store: Arc<dyn StatusStore>,
    pub errors: ErrorPolicy,
    pub topic_tracking: bool,
    pub commit_interval: Duration,
    pub target: watch::Receiver<TargetState>,
    pub host: Arc<SinkHost>,
    /// This run's `sink-task-metrics`, `connector-task-metrics`, `task-error-metrics` and lag.
    pub metrics: Arc<TaskMetrics>,
    pub cancel: CancellationToken,
}

/// Writes records the converters could not read to the dead letter queue.
#[derive(Clone)]
pub struct DlqWriter {
    pub clients: KafkaClients,
    pub producer: Option<SharedProducer>,
    pub policy: ErrorPolicy,
}

impl std::fmt::Debug for DlqWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DlqWriter")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SinkRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkRunner")
            .field("connector", &self.connector)
            .field("task", &self.task_id)
            .finish_non_exhaustive()
    }
}

impl DlqWriter {
    /// Writes an unconvertible record to the dead letter queue, with Kafka Connect's
    /// `__connect.errors.*` headers when enabled.
    pub(crate) async fn send(
        &self,
        connector: &str,
        task_id: u32,
        c: &Consumed,
        stage: &str,
        class: &str,
        error: &ConnectError,
    ) -> Result<(), ConnectError> {
        let (Some(topic), Some(producer)) = (&self.policy.dlq_topic, &self.producer) else {
            return Ok(());
        };
        let spec = TopicSpec {
            partitions: Some(1),
            replication_factor: Some(i32::from(self.policy.dlq_replication_factor)),
            configs: Vec::new(),
        };
        if let Err(e) = self.clients.ensure_topic(topic, &spec).await {
            // A replication factor the broker cannot meet (the default is 3): retry with its default.
            tracing::warn!(error = %e, "Could not create the DLQ topic as configured; using broker defaults.");
            self.clients
                .ensure_topic(topic, &TopicSpec::default())
                .await
                .map_err(|e| {
                    ConnectError::retriable_with("could not create the dead letter queue topic", e)
                })?;
        }
        let mut headers = OwnedHeaders::new();
        for (k, v) in &c.headers {
            headers = headers.insert(KHeader {
                key: k,
                value: v.as_deref(),
            });
        }
        if self.policy.dlq_context_headers {
            let ctx = [
                ("__connect.errors.topic", c.topic.clone()),
                ("__connect.errors.partition", c.partition.to_string()),
                ("__connect.errors.offset", c.offset.to_string()),
                ("__connect.errors.connector.name", connector.to_owned()),
                ("__connect.errors.task.id", task_id.to_string()),
                ("__connect.errors.stage", stage.to_owned()),
                ("__connect.errors.class.name", class.to_owned()),
                (
                    "__connect.errors.exception.class.name",
                    error.java_class().to_owned(),
                ),
                ("__connect.errors.exception.message", error.to_string()),
                ("__connect.errors.exception.stacktrace", error.trace()),
            ];
            for (k, v) in &ctx {
                headers = headers.insert(KHeader {
                    key: k,
                    value: Some(v.as_bytes()),
                });
            }
        }
        let mut rec: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic).headers(headers);
        if let Some(k) = &c.key {
            rec = rec.key(k.as_ref());
        }
        if let Some(v) = &c.value {
            rec = rec.payload(v.as_ref());
        }
        producer
            .send(rec, Timeout::Never)
            .await
            .map(|_| ())
            .map_err(|(e, _)| {
                ConnectError::retriable_with("could not write to the dead letter queue", e)
            })
    }
}

/// The runtime side of `SinkTaskContext`.
#[derive(Debug, Default)]
pub struct SinkHost {
    pub signals: HostSignals,
    assignment: std::sync::Mutex<Vec<TopicPartition>>,
    resets: std::sync::Mutex<Vec<(TopicPartition, i64)>>,
    retry_timeout: std::sync::Mutex<Option<Duration>>,
}

impl SinkHost {
    /// A host whose commit requests and progress reports go through `signals`.
    pub fn new(signals: HostSignals) -> Self {
        Self {
            signals,
            ..Self::default()
        }
    }
}

impl TaskHost for SinkHost {
    fn request_commit(&self) {
        self.signals.request_commit();
    }
    fn report_progress(&self, progress: serde_json::Value) {
        self.signals.report_progress(progress);
    }
    fn report_metric(&self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.signals.report_metric(name, labels, value);
    }
}

impl SinkTaskHost for SinkHost {
    fn reset_offset(&self, partition: TopicPartition, offset: i64) {
        if let Ok(mut r) = self.resets.lock() {
            r.push((partition, offset));
        }
    }
    fn set_retry_timeout(&self, timeout: Duration) {
        if let Ok(mut t) = self.retry_timeout.lock() {
            *t = Some(timeout);
        }
    }
    fn assignment(&self) -> Vec<TopicPartition> {
        self.assignment
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default()
    }
}

impl SinkRunner {
    pub async fn run(mut self) -> TaskExit {
        let exit = loop {
            match self.run_consumer().await {
                RunEnd::Exit(exit) => break exit,
                RunEnd::StuckJoin => {
                    tracing::warn!(connector = %self.connector, task = self.task_id, after = ?STUCK_JOIN,
                        "The consumer did not complete its group join as a static member; rejoining as a dynamic member.");
                    self.consumer_config.remove("group.instance.id");
                }
                RunEnd::Stranded => {
                    tracing::warn!(connector = %self.connector, task = self.task_id,
                        "The connector's only task was assigned none of its topics' partitions (the broker completed a rebalance without the leader's assignment); rejoining.");
                    self.consumer_config.remove("group.instance.id");
                }
            }
        };
        if let Err(e) = self.task.stop().await {
            tracing::warn!(connector = %self.connector, task = self.task_id, error = %e, "Task stop failed.");
        }
        exit
    }

    /// One consumer's life: create, subscribe, poll until the task ends or its join is stuck.
    async fn run_consumer(&mut self) -> RunEnd {
        if self.consumer_config.get("statistics.interval.ms").is_none() {
            self.consumer_config
                .set("statistics.interval.ms", STATISTICS_INTERVAL_MS);
        }
        let (tx, mut rx) = mpsc::channel(CHANNEL_BATCHES);
        let joined = Arc::new(AtomicBool::new(false));
        let is_static = self.consumer_config.get("group.instance.id").is_some();
        let consumer: Arc<BaseConsumer<SinkContext>> =
            match self.consumer_config.create_with_context(SinkContext {
                tx: tx.clone(),
                joined: joined.clone(),
                target: self.target.clone(),
                metrics: self.metrics.clone(),
            }) {
                Ok(c) => Arc::new(c),
                Err(e) => {
                    let err = ConnectError::fatal_with("could not create the sink consumer", e);
                    return RunEnd::Exit(self.fail(err).await);
                }
            };
        let subscribed = match &self.topics_regex {
            // Kafka matches `topics.regex` against the whole topic name (`Matcher.matches`);
            // librdkafka treats a subscription starting with `^` as a regex; its engine has no
            // `(?:…)`, so a plain group anchors the alternatives.
            Some(re) => consumer.subscribe(&[&format!("^({re})$")]),
            None => {
                let topics: Vec<&str> = self.topics.iter().map(String::as_str).collect();
                consumer.subscribe(&topics)
            }
        };
        if let Err(e) = subscribed {
            return RunEnd::Exit(
                self.fail(ConnectError::fatal_with("could not subscribe", e))
                    .await,
            );
        }
        let stop = Arc::new(AtomicBool::new(false));
        let poller = {
            let consumer = consumer.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name(format!("sink-{}-{}", self.connector, self.task_id))
                .spawn(move || poll_loop(&consumer, &tx, &stop))
        };
        let poller = match poller {
            Ok(h) => h,
            Err(e) => {
                return RunEnd::Exit(
                    self.fail(ConnectError::fatal_with("could not start the poller", e))
                        .await,
                );
            }
        };
        let join_watch = is_static.then(|| joined.clone());
        let exit = self.run_loop(&consumer, &mut rx, join_watch, &joined).await;
        stop.store(true, Ordering::Release);
        // Drain so the poller is never blocked on a full channel while we join it.
        rx.close();
        while rx.recv().await.is_some() {}
        let joined = tokio::task::spawn_blocking(move || {
            let clean = poller.join().is_ok();
            consumer.unsubscribe();
            clean
        })
        .await;
        if !matches!(joined, Ok(true)) {
            tracing::warn!(connector = %self.connector, task = self.task_id, "The consumer poll thread ended abnormally.");
        }
        exit
    }

    /// Kafka's consumer throws `SslAuthenticationException` from `poll` when the handshake
    /// fails, and the task fails with it; librdkafka retries and says only "SSL transport
    /// error". A diagnostic handshake with the consumer's settings tells a rejected broker
    /// certificate (fatal, named in the trace) from a passing failure (retried).
    async fn diagnose_tls(&mut self, st: &mut LoopState) -> Result<(), ConnectError> {
        if st
            .last_tls_probe
            .is_some_and(|t| t.elapsed() < TLS_PROBE_INTERVAL)
        {
            return Ok(());
        }
        st.last_tls_probe = Some(StdInstant::now());
        match crate::kafka::tls_failure_of(&self.consumer_config).await {
            Some(failure) if failure.certificate_rejected => {
                Err(ConnectError::fatal_with("SSL handshake failed", failure))
            }
            Some(failure) => {
                tracing::warn!(connector = %self.connector, task = self.task_id, %failure, "The consumer's TLS handshake fails; retrying.");
                Ok(())
            }
            None => Ok(()),
        }
    }

    async fn fail(&mut self, e: ConnectError) -> TaskExit {
        tracing::error!(connector = %self.connector, task = self.task_id, error = %e, "Task failed.");
        self.status
            .task(
                &self.connector,
                self.task_id,
                State::Failed,
                Some(e.trace()),
            )
            .await;
        TaskExit::Failed(e)
    }

    async fn run_loop(
        &mut self,
        consumer: &Arc<BaseConsumer<SinkContext>>,
        rx: &mut mpsc::Receiver<PollEvent>,
        join_watch: Option<Arc<AtomicBool>>,
        joined: &AtomicBool,
    ) -> RunEnd {
        // With a static member: the first join must complete within STUCK_JOIN.
        let join_deadline = tokio::time::sleep(STUCK_JOIN);
        tokio::pin!(join_deadline);
        let mut watching = join_watch.is_some();
        let mut stranded_tick = tokio::time::interval(STRANDED_CHECK);
        // Ticks missed before the first join must not count as checks.
        stranded_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        stranded_tick.tick().await;
        let mut stranded_since: Option<StdInstant> = None;
        let mut st = LoopState::default();
        let mut commit_tick = tokio::time::interval(self.commit_interval);
        commit_tick.tick().await;
        // Sinks that rotate on wall-clock time (the S3 sink's `rotate.schedule.interval.ms`)
        // need regular calls when no data arrives, as Kafka gives them with empty `put`s.
        let mut idle_tick = tokio::time::interval(Duration::from_secs(1));
        self.status
            .task(&self.connector, self.task_id, State::Running, None)
            .await;
        loop {
            self.follow_target(consumer, &mut st).await;
            let turn = tokio::select! {
                () = self.cancel.cancelled() => break,
                () = &mut join_deadline, if watching => {
                    watching = false;
                    if join_watch.as_ref().is_some_and(|j| !j.load(Ordering::Acquire)) {
                        return RunEnd::StuckJoin;
                    }
                    Ok(())
                }
                _ = stranded_tick.tick(), if self.sole_task && joined.load(Ordering::Acquire) => {
                    let probe = self.host.assignment().is_empty().then(|| self.stranded(consumer));
                    if let Some(probe) = probe && probe.await {
                        let since = *stranded_since.get_or_insert_with(StdInstant::now);
                        if since.elapsed() >= STRANDED_FOR {
                            return RunEnd::Stranded;
                        }
                    } else {
                        stranded_since = None;
                    }
                    Ok(())
                }
                _ = self.target.changed() => Ok(()),
                _ = commit_tick.tick() => self.commit(consumer, &mut st, None).await,
                () = self.host.signals.commit_requested() => {
                    if self.host.signals.take_commit_request() {
                        self.commit(consumer, &mut st, None).await
                    } else {
                        Ok(())
                    }
                }
                _ = idle_tick.tick() => {
                    let idle = !st.got_data && !st.paused;
                    st.got_data = false;
                    if idle { self.put_with_retry(&[]).await } else { Ok(()) }
                }
                ev = rx.recv() => match ev {
                    None => break,
                    Some(ev) => self.on_event(consumer, &mut st, ev).await,
                }
            };
            if let Err(e) = turn {
                return RunEnd::Exit(self.fail(e).await);
            }
        }
        // Graceful stop: commit what the task reports durable.
        if let Err(e) = self.commit(consumer, &mut st, None).await {
            return RunEnd::Exit(self.fail(e).await);
        }
        let assigned = self.host.assignment();
        if let Err(e) = self.task.close(&assigned).await {
            tracing::warn!(error = %e, "Task close failed.");
        }
        RunEnd::Exit(TaskExit::Stopped)
    }

    /// Whether the group holds a generation that strands this joined, unassigned consumer of the
    /// connector's only task: its topics have partitions, so the group (whose only live member it
    /// is) should have given it all of them. Kafka never gets there: in CompletingRebalance it
    /// takes assignments only from the leader's SyncGroup, a member expiring meanwhile starts a
    /// new generation (`GroupCoordinator.doSyncGroup`, `removeMemberAndUpdateGroup`), and a topic
    /// created after the join makes the consumer rejoin at its next metadata refresh. tansu 0.6
    /// does: when the leader's session expires between a follower's JoinGroup and its SyncGroup,
    /// it takes the follower's empty SyncGroup for the leader's and keeps that generation stable
    /// (the sink of a worker killed with SIGKILL, taken over by a new one). Its DescribeGroups
    /// fails on the SQLite engine, so the group's members cannot be asked instead.
    ///
    /// The returned future borrows nothing of the runner (which is not `Sync`).
    fn stranded(
        &self,
        consumer: &Arc<BaseConsumer<SinkContext>>,
    ) -> impl Future<Output = bool> + Send + 'static {
        let topics = self.topics.clone();
        // As the subscription matches it: the whole name.
        let regex = self
            .topics_regex
            .as_deref()
            .and_then(|r| regex::Regex::new(&format!("^(?:{r})$")).ok());
        let consumer = consumer.clone();
        let probe = tokio::task::spawn_blocking(move || {
            let timeout = Duration::from_secs(5);
            let has_partitions = |md: &rdkafka::metadata::Metadata| {
                md.topics().iter().any(|t| {
                    let wanted = topics.iter().any(|x| x == t.name())
                        || regex.as_ref().is_some_and(|r| r.is_match(t.name()));
                    wanted && !t.partitions().is_empty()
                })
            };
            if regex.is_some() {
                consumer
                    .fetch_metadata(None, timeout)
                    .is_ok_and(|md| has_partitions(&md))
            } else {
                topics.iter().any(|t| {
                    consumer
                        .fetch_metadata(Some(t), timeout)
                        .is_ok_and(|md| has_partitions(&md))
                })
            }
        });
        async move { probe.await.unwrap_or(false) }
    }

    /// Pauses or resumes the whole assignment when the target state changed.
    async fn follow_target(&mut self, consumer: &BaseConsumer<SinkContext>, st: &mut LoopState) {
        let want_pause = *self.target.borrow() != TargetState::Started;
        if want_pause == st.paused {
            return;
        }
        st.paused = want_pause;
        self.metrics.set_paused(want_pause);
        let assignment = consumer.assignment().unwrap_or_default();
        let r = if st.paused {
            consumer.pause(&assignment)
        } else {
            consumer.resume(&assignment)
        };
        if let Err(e) = r {
            tracing::warn!(error = %e, "Could not pause or resume the consumer.");
        }
        let state = if st.paused {
            State::Paused
        } else {
            State::Running
        };
        self.status
            .task(&self.connector, self.task_id, state, None)
            .await;
    }

    /// Handles one event from the poll thread.
    async fn on_event(
        &mut self,
        consumer: &Arc<BaseConsumer<SinkContext>>,
        st: &mut LoopState,
        ev: PollEvent,
    ) -> Result<(), ConnectError> {
        match ev {
            PollEvent::Error(msg) => {
                tracing::warn!(connector = %self.connector, task = self.task_id, error = %msg, "Consumer error.");
                Ok(())
            }
            PollEvent::TlsError(msg) => {
                tracing::warn!(connector = %self.connector, task = self.task_id, error = %msg, "Consumer error.");
                self.diagnose_tls(st).await
            }
            PollEvent::Assigned(parts) => self.on_assigned(consumer, st, &parts).await,
            PollEvent::Revoked(parts, done) => {
                tracing::info!(connector = %self.connector, task = self.task_id,
                    partitions = %parts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                    "Revoking previously assigned partitions.");
                let only: HashSet<TopicPartition> = parts.iter().cloned().collect();
                let committed = self.commit(consumer, st, Some(&only)).await;
                let closed = self.task.close(&parts).await;
                for p in &parts {
                    st.consumed.remove(p);
                    st.committed.remove(p);
                }
                if let Ok(mut a) = self.host.assignment.lock() {
                    a.retain(|x| !only.contains(x));
                    self.metrics.partition_count(a.len());
                }
                // The poll thread waits for this before the consumer gives the partitions up.
                done.send(()).ok();
                committed.and(closed)
            }
            PollEvent::Records(batch) => {
                st.got_data = true;
                self.metrics.sink_read(batch.len());
                let (records, positions) = self.convert_batch(batch, &mut st.seen_topics).await?;
                for p in positions {
                    st.consumed.insert(p.partition, p.offset + 1);
                }
                let started = std::time::Instant::now();
                self.put_with_retry(&records).await?;
                self.metrics
                    .sink_put(records.len(), started.elapsed(), active_records(st));
                self.apply_resets(consumer);
                Ok(())
            }
        }
    }

    async fn on_assigned(
        &mut self,
        consumer: &BaseConsumer<SinkContext>,
        st: &mut LoopState,
        parts: &[AssignedPartition],
    ) -> Result<(), ConnectError> {
        tracing::info!(connector = %self.connector, task = self.task_id, paused = st.paused,
            partitions = %parts.iter().map(|p| p.partition.to_string()).collect::<Vec<_>>().join(", "),
            "Adding newly assigned partitions.");
        // The poll thread paused them or not by the target it saw; the target may have changed
        // since in ways this loop cannot see (a watch keeps only the latest value), so match the
        // new partitions to it now. A difference from `paused` is then reconciled by
        // `follow_target`.
        let mut tpl = TopicPartitionList::new();
        for p in parts {
            tpl.add_partition(&p.partition.topic, p.partition.partition);
        }
        let r = if *self.target.borrow() == TargetState::Started {
            consumer.resume(&tpl)
        } else {
            consumer.pause(&tpl)
        };
        if let Err(e) = r {
            tracing::warn!(error = %e, "Could not pause or resume assigned partitions.");
        }
        for p in parts {
            if let Some(c) = p.committed {
                st.committed.insert(p.partition.clone(), c);
            }
        }
        if let Ok(mut a) = self.host.assignment.lock() {
            a.extend(parts.iter().map(|p| p.partition.clone()));
            self.metrics.partition_count(a.len());
        }
        self.task.open(parts).await
    }

    fn apply_resets(&self, consumer: &BaseConsumer<SinkContext>) {
        let resets: Vec<_> = self
            .host
            .resets
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default();
        for (tp, off) in resets {
            if let Err(e) = consumer.seek(
                &tp.topic,
                tp.partition,
                Offset::Offset(off),
                Duration::from_secs(10),
            ) {
                tracing::warn!(partition = %tp, offset = off, error = %e, "Could not rewind a partition.");
            }
        }
    }

    /// `put`, redelivering the same batch after a retriable failure until it succeeds or the task
    /// is stopped.
    async fn put_with_retry(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError> {
        loop {
            match self.task.put(records).await {
                Ok(()) => return Ok(()),
                Err(e) if e.is_retriable() => {
                    let wait = self
                        .host
                        .retry_timeout
                        .lock()
                        .ok()
                        .and_then(|t| *t)
                        .unwrap_or(Duration::from_secs(1));
                    tracing::warn!(connector = %self.connector, task = self.task_id, error = %e, ?wait, "Retriable put failure; redelivering the batch.");
                    tokio::select! {
                        () = self.cancel.cancelled() => return Err(ConnectError::Stopped),
                        () = tokio::time::sleep(wait) => {}
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Converts and transforms a batch; returns the records for `put` and the position of
    /// every consumed record, whether put, dropped by a transform or skipped as an error.
    async fn convert_batch(
        &mut self,
        batch: Vec<Consumed>,
        seen_topics: &mut HashSet<String>,
    ) -> Result<(Vec<SinkRecord>, Vec<Position>), ConnectError> {
        let mut out = Vec::with_capacity(batch.len());
        let mut positions = Vec::with_capacity(batch.len());
        for c in batch {
            positions.push(Position {
                partition: TopicPartition::new(&c.topic, c.partition),
                offset: c.offset,
            });
            if self.topic_tracking && !seen_topics.contains(&c.topic) {
                let status = TopicStatus {
                    topic: c.topic.clone(),
                    connector: self.connector.clone(),
                    task: i32::try_from(self.task_id).unwrap_or(i32::MAX),
                    discover_timestamp: chrono::Utc::now().timestamp_millis(),
                };
                if let Err(e) = self.status_store.put_topic(&status).await {
                    tracing::warn!(error = %e, "Could not record an active topic.");
                }
                seen_topics.insert(c.topic.clone());
            }
            let converted = self.convert(&c).and_then(|r| {
                if self.transforms.is_empty() {
                    return Ok(Some(r));
                }
                self.transforms
                    .apply_sink(r)
                    .map_err(|f| ("TRANSFORMATION", f.class, f.error))
            });
            match converted {
                Ok(Some(r)) => out.push(r),
                // Dropped by a transform: its offset still counts as processed.
                Ok(None) => {}
                Err((stage, class, e)) if self.errors.tolerate_all => {
                    let mut errors = ErrorCounts::default();
                    errors.skipped_one(self.errors.log_errors);
                    self.metrics.errors(errors);
                    if self.errors.log_errors {
                        if self.errors.log_include_messages {
                            tracing::error!(connector = %self.connector, topic = %c.topic, partition = c.partition, offset = c.offset, stage, error = %e, "Error converting a record; skipped (errors.tolerance=all).");
                        } else {
                            tracing::error!(connector = %self.connector, stage, error = %e, "Error converting a record; skipped (errors.tolerance=all).");
                        }
                    }
                    let sent = self
                        .dlq
                        .send(&self.connector, self.task_id, &c, stage, &class, &e)
                        .await;
                    if self.errors.dlq_topic.is_some() {
                        self.metrics.dlq_produce(sent.is_ok());
                    }
                    sent?;
                }
                Err((stage, class, e)) => {
                    self.metrics.errors(ErrorCounts::failed_one());
                    tracing::error!(connector = %self.connector, task = self.task_id, "Error encountered in task. Executing stage '{stage}' with class '{class}'.");
                    return Err(ConnectError::fatal_with(
                        "Tolerance exceeded in error handler",
                        e,
                    ));
                }
            }
        }
        Ok((out, positions))
    }

    fn convert(&self, c: &Consumed) -> Result<SinkRecord, (&'static str, String, ConnectError)> {
        let conv = &self.converters;
        let mut headers = Vec::with_capacity(c.headers.len());
        for (k, v) in &c.headers {
            let value = conv
                .header
                .to_connect_header(&c.topic, k, v.as_deref())
                .map_err(|e| ("HEADER_CONVERTER", conv.header_class.clone(), e.into()))?;
            headers.push(Header {
                key: k.clone(),
                value,
            });
        }
        let headers = Headers::from(headers);
        let key = conv
            .key
            .to_connect_data(&c.topic, &headers, c.key.as_deref())
            .map_err(|e| {
                (
                    "KEY_CONVERTER",
                    conv.key_class.clone(),
                    ConnectError::from(e),
                )
            })?;
        let value = conv
            .value
            .to_connect_data(&c.topic, &headers, c.value.as_deref())
            .map_err(|e| {
                (
                    "VALUE_CONVERTER",
                    conv.value_class.clone(),
                    ConnectError::from(e),
                )
            })?;
        Ok(SinkRecord {
            topic: c.topic.clone(),
            kafka_partition: c.partition,
            kafka_offset: c.offset,
            key,
            value,
            timestamp: c.timestamp,
            timestamp_type: c.timestamp_type,
            headers,
            raw_key: c.key.clone(),
            raw_value: c.value.clone(),
        })
    }

    /// `pre_commit`, then commits exactly the returned offsets that moved forward (optionally
    /// only for `only`'s partitions).
    async fn commit(
        &mut self,
        consumer: &Arc<BaseConsumer<SinkContext>>,
        st: &mut LoopState,
        only: Option<&HashSet<TopicPartition>>,
    ) -> Result<(), ConnectError> {
        let consumed = &st.consumed;
        let committed = &mut st.committed;
        let current: OffsetMap = match only {
            Some(set) => consumed
                .iter()
                .filter(|(tp, _)| set.contains(*tp))
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            None => consumed.clone(),
        };
        if current.is_empty() {
            return Ok(());
        }
        let durable = match self.task.pre_commit(&current).await {
            Ok(d) => d,
            // The sink could not make its data durable yet (its store is down): nothing new is
            // committed this round and the task keeps its records; the next commit tries again.
            // Kafka rewinds the consumer here instead; our sinks keep their state across a
            // retriable failure, as they do for `put`.
            Err(e) if e.is_retriable() => {
                tracing::warn!(connector = %self.connector, task = self.task_id, error = %e, "Sink could not make its records durable; offsets not committed this time.");
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let mut tpl = TopicPartitionList::new();
        let mut advanced = BTreeMap::new();
        for (tp, off) in durable {
            // Never commit beyond what was handed to the task, nor backwards.
            let Some(&limit) = current.get(&tp) else {
                continue;
            };
            let off = off.min(limit);
            if committed.get(&tp).is_some_and(|&c| c >= off) {
                continue;
            }
            if tpl
                .add_partition_offset(&tp.topic, tp.partition, Offset::Offset(off))
                .is_ok()
            {
                advanced.insert(tp, off);
            }
        }
        if advanced.is_empty() {
            return Ok(());
        }
        let c = consumer.clone();
        let started = std::time::Instant::now();
        let res = tokio::task::spawn_blocking(move || c.commit(&tpl, CommitMode::Sync))
            .await
            .map_err(|e| ConnectError::fatal_with("commit thread failed", e))?;
        self.metrics.offset_commit(res.is_ok(), started.elapsed());
        match res {
            Ok(()) => {
                tracing::debug!(connector = %self.connector, task = self.task_id, partitions = advanced.len(), "Committed sink offsets.");
                committed.extend(advanced);
                self.metrics.sink_committed(active_records(st));
            }
            // A failed commit is retried at the next interval; the data is durable, only the
            // group's bookmark lags (a restart then re-delivers, which sinks absorb).
            Err(e) => {
                tracing::warn!(connector = %self.connector, error = %e, "Offset commit failed; will retry.")
            }
        }
        Ok(())
    }
}

/// Records handed to the task whose offsets are not committed yet (`sink-record-active-count`).
fn active_records(st: &LoopState) -> i64 {
    st.consumed
        .iter()
        .map(|(tp, &next)| (next - st.committed.get(tp).copied().unwrap_or(next)).max(0))
        .sum()
}

fn poll_loop(
    consumer: &BaseConsumer<SinkContext>,
    tx: &mpsc::Sender<PollEvent>,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::Acquire) {
        let mut batch = Vec::new();
        let started = StdInstant::now();
        while batch.len() < MAX_BATCH {
            let wait = if batch.is_empty() {
                Duration::from_millis(100)
            } else {
                Duration::ZERO
            };
            match consumer.poll(wait) {
                None => break,
                Some(Ok(m)) => {
                    let (timestamp, timestamp_type) = match m.timestamp() {
                        rdkafka::Timestamp::NotAvailable => (None, TimestampType::NoTimestampType),
                        rdkafka::Timestamp::CreateTime(t) => (Some(t), TimestampType::CreateTime),
                        rdkafka::Timestamp::LogAppendTime(t) => {
                            (Some(t), TimestampType::LogAppendTime)
                        }
                    };
                    let headers = m
                        .headers()
                        .map(|h| {
                            h.iter()
                                .map(|h| (h.key.to_owned(), h.value.map(Bytes::copy_from_slice)))
                                .collect()
                        })
                        .unwrap_or_default();
                    batch.push(Consumed {
                        topic: m.topic().to_owned(),
                        partition: m.partition(),
                        offset: m.offset(),
                        timestamp,
                        timestamp_type,
                        key: m.key().map(Bytes::copy_from_slice),
                        value: m.payload().map(Bytes::copy_from_slice),
                        headers,
                    });
                }
                Some(Err(e)) => {
                    let event = if e.rdkafka_error_code() == Some(RDKafkaErrorCode::SSL) {
                        PollEvent::TlsError(e.to_string())
                    } else {
                        PollEvent::Error(e.to_string())
                    };
                    if tx.blocking_send(event).is_err() {
                        return;
                    }
                    break;
                }
            }
            if started.elapsed() > Duration::from_millis(50) {
                break;
            }
        }
        if !batch.is_empty() && tx.blocking_send(PollEvent::Records(batch)).is_err() {
            return;
        }
    }
}
