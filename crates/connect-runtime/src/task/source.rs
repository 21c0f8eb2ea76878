//! The source task runner (`WorkerSourceTask`).
//!
//! A producer whose TLS handshake fails fails the task, as Kafka's producer fails the send
//! with `SslAuthenticationException` and the task with it: librdkafka instead retries and
//! reports "certificate verify failed" to its error callback only, so the runner watches those
//! reports ([`SharedProducer::tls_errors`]) while records are in flight and names the cause with
//! a diagnostic handshake ([`SharedProducer::tls_failure`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use bytes::Bytes;
use connect_api::{
    ConnectError, Headers, RecordOffset, SourceOffset, SourcePartition, SourceRecord,
};
use connect_storage::{OffsetStore, State, StatusStore, StoreError, TargetState, TopicStatus};
use futures::stream::FuturesOrdered;
use futures::{FutureExt, StreamExt};
use kafka_clients::DeliveryFuture;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header as KHeader, OwnedHeaders};
use rdkafka::producer::FutureRecord;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{ErrorPolicy, HostSignals, StatusReporter, TaskConverters, TaskExit};
use crate::kafka::{KafkaClients, SharedProducer};
use crate::metrics::{ErrorCounts, TaskMetrics};
use crate::registry::DynSourceTask;
use crate::topic_creation::TopicCreation;
use crate::transforms::TransformChain;

/// At most this many poll batches wait for their delivery reports at once. Generous, because a
/// source that polls small batches (a CDC stream of small transactions) would otherwise be held
/// to a few batches per broker round trip, and every wait shows up as latency.
const MAX_IN_FLIGHT_BATCHES: usize = 64;
/// At most this many records wait for their delivery reports at once (they are kept for
/// `commit_record`): what bounds memory when batches are large.
const MAX_IN_FLIGHT_RECORDS: usize = 16_384;
/// How long the task waits before retrying a record the producer's full buffer refused.
const QUEUE_FULL_WAIT: Duration = Duration::from_millis(5);
/// librdkafka reports a failed TLS handshake on every reconnect; the diagnostic handshake that
/// names the cause runs at most this often.
const TLS_PROBE_INTERVAL: Duration = Duration::from_secs(30);

/// Everything a source runner needs.
pub struct SourceRunner {
    pub connector: String,
    pub task_id: u32,
    pub task: Box<dyn DynSourceTask>,
    /// Applied after `poll`, before the converters; offsets stay the polled records'.
    pub transforms: TransformChain,
    pub converters: TaskConverters,
    pub producer: SharedProducer,
    pub clients: KafkaClients,
    pub offsets: Arc<dyn OffsetStore>,
    pub status: StatusReporter,
    pub status_store: Arc<dyn StatusStore>,
    pub errors: ErrorPolicy,
    pub topic_creation: TopicCreation,
    pub topic_tracking: bool,
    pub flush_interval: Duration,
    pub target: watch::Receiver<TargetState>,
    pub signals: Arc<HostSignals>,
    /// This run's `source-task-metrics`, `connector-task-metrics` and `task-error-metrics`.
    pub metrics: Arc<TaskMetrics>,
    pub cancel: CancellationToken,
}

impl std::fmt::Debug for SourceRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceRunner")
            .field("connector", &self.connector)
            .field("task", &self.task_id)
            .finish_non_exhaustive()
    }
}

/// A converted record, ready for the producer.
struct Serialized {
    topic: String,
    key: Option<Bytes>,
    value: Option<Bytes>,
    /// `None` for no headers: most CDC records have none, and librdkafka would copy an empty
    /// header list per message.
    headers: Option<OwnedHeaders>,
    partition: Option<i32>,
    timestamp: Option<i64>,
}

/// What the runner remembers from one record to the next while it converts and sends them.
#[derive(Default)]
struct SendMemo {
    /// Topics created or found since the task started.
    seen_topics: HashSet<String>,
    headers: Option<HeaderMemo>,
}

/// The last shared header list a record carried and its topic, and once a second record in a
/// row carried both, the list in librdkafka's form. Debezium 3 stamps four constant headers on
/// every record: in a run of records of one topic the first two are converted, and each later
/// one gets a copy of the second's result. A list that no later record carries costs a
/// reference, not a copy.
struct HeaderMemo {
    /// Held so that the list stays alive and unchanged: a list is changed only through a copy
    /// while another holder exists, so the same list means the same headers.
    list: Headers,
    topic: String,
    converted: Option<OwnedHeaders>,
}

/// What became of a record handed to the producer.
enum Enqueued {
    Queued(DeliveryFuture),
    Failed(KafkaError),
    Stopped,
}

/// What the runner keeps of a batch until Kafka acknowledges it.
enum Processed {
    /// The records as polled, for `commit_record`: the task reads them.
    Records(Vec<SourceRecord>),
    /// How many records the batch had and the last offset of each of its source partitions:
    /// a task that does not read committed records gets no `commit_record` calls, so nothing
    /// of a record outlives its send (a CDC stream keeps up to `MAX_IN_FLIGHT_RECORDS` in
    /// flight, and each record's offset and partition maps cost more than its bytes).
    Offsets {
        count: usize,
        latest: Vec<(SourcePartition, RecordOffset)>,
    },
}

impl Processed {
    fn len(&self) -> usize {
        match self {
            Processed::Records(r) => r.len(),
            Processed::Offsets { count, .. } => *count,
        }
    }
}

/// The processed part of a batch, how many of its records were sent (not dropped or skipped),
/// and the outcome.
type BatchResult = (Processed, usize, Result<(), String>);
/// Latest committable offset per source partition (keyed by the partition's canonical JSON).
type Pending = HashMap<String, (SourcePartition, SourceOffset)>;
/// An offset write in the background: the offsets it carries, how it went, how long it took.
type FlushResult = (Pending, Result<(), StoreError>, Duration);

/// Whether the loop goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// What the loop keeps between turns.
struct LoopState {
    /// Batches awaiting their delivery reports, in poll order.
    in_flight: FuturesOrdered<futures::future::BoxFuture<'static, BatchResult>>,
    in_flight_records: usize,
    /// The offset write running beside polling (one at a time), as Kafka Connect's offset
    /// committer does: waiting for the offsets topic inside the loop would stall the stream
    /// by a broker round trip every `offset.flush.interval.ms`.
    flushing: Option<futures::future::BoxFuture<'static, FlushResult>>,
    pending: Pending,
    memo: SendMemo,
    next_flush: Instant,
    paused: bool,
    /// The producer's TLS failures as librdkafka reports them.
    tls_errors: watch::Receiver<u64>,
    /// When the producer's or admin client's TLS failures were last diagnosed.
    last_tls_probe: Option<StdInstant>,
}

impl SourceRunner {
    /// Runs until cancelled or failed. The status is RUNNING/PAUSED/FAILED as it goes; the
    /// caller writes the final UNASSIGNED/DESTROYED.
    pub async fn run(mut self) -> TaskExit {
        let name = self.connector.clone();
        let id = self.task_id;
        let exit = self.run_loop().await;
        if let TaskExit::Failed(e) = &exit {
            tracing::error!(connector = %name, task = id, error = %e, "Task failed.");
            self.status
                .task(&name, id, State::Failed, Some(e.trace()))
                .await;
        }
        if let Err(e) = self.task.stop().await {
            tracing::warn!(connector = %name, task = id, error = %e, "Task stop failed.");
        }
        exit
    }

    async fn run_loop(&mut self) -> TaskExit {
        let mut st = LoopState {
            in_flight: FuturesOrdered::new(),
            in_flight_records: 0,
            flushing: None,
            pending: Pending::new(),
            memo: SendMemo::default(),
            next_flush: Instant::now() + self.flush_interval,
            paused: false,
            tls_errors: self.producer.tls_errors(),
            last_tls_probe: None,
        };
        self.status
            .task(&self.connector, self.task_id, State::Running, None)
            .await;
        let run = async {
            while self.step(&mut st).await? == Flow::Continue {}
            // Graceful stop: wait for what is in flight, then write its offsets.
            self.settle(&mut st).await
        };
        match run.await {
            Ok(()) | Err(ConnectError::Stopped) => TaskExit::Stopped,
            Err(e) => TaskExit::Failed(e),
        }
    }

    /// One turn of the loop: settle finished deliveries, follow the target state, start a due
    /// offset write, then wait for whichever comes first of shutdown, a delivery, the write, a
    /// state change, or records from `poll`.
    async fn step(&mut self, st: &mut LoopState) -> Result<Flow, ConnectError> {
        if self.cancel.is_cancelled() {
            return Ok(Flow::Stop);
        }
        // Drain delivery reports that are already in, in order.
        while let Some(Some(done)) = st.in_flight.next().now_or_never() {
            self.complete(st, done).await?;
        }
        if *self.target.borrow() != TargetState::Started {
            if !st.paused {
                st.paused = true;
                self.metrics.set_paused(true);
                self.status
                    .task(&self.connector, self.task_id, State::Paused, None)
                    .await;
            }
            // Settle what is in flight so offsets keep up while paused.
            self.settle(st).await?;
            return Ok(tokio::select! {
                () = self.cancel.cancelled() => Flow::Stop,
                _ = self.target.changed() => Flow::Continue,
            });
        }
        if st.paused {
            st.paused = false;
            self.metrics.set_paused(false);
            self.status
                .task(&self.connector, self.task_id, State::Running, None)
                .await;
        }
        if st.in_flight.len() >= MAX_IN_FLIGHT_BATCHES
            || st.in_flight_records >= MAX_IN_FLIGHT_RECORDS
        {
            tokio::select! {
                () = self.cancel.cancelled() => return Ok(Flow::Stop),
                Ok(()) = st.tls_errors.changed() => self.diagnose_tls(st).await?,
                done = st.in_flight.next() => match done {
                    Some(done) => self.complete(st, done).await?,
                    // Nothing in flight: the count cannot be anything but zero.
                    None => st.in_flight_records = 0,
                },
            }
            return Ok(Flow::Continue);
        }
        if Instant::now() >= st.next_flush || self.signals.take_commit_request() {
            // One write at a time; a slow one just makes the next carry more.
            if st.flushing.is_none() {
                st.flushing = self.start_flush(&mut st.pending);
            }
            st.next_flush = Instant::now() + self.flush_interval;
        }
        // `poll` is cancel-safe by contract, so racing it against shutdown, the flush deadline,
        // target-state changes and delivery reports loses nothing.
        let poll_started = std::time::Instant::now();
        let polled = tokio::select! {
            () = self.cancel.cancelled() => return Ok(Flow::Stop),
            () = tokio::time::sleep_until(st.next_flush) => return Ok(Flow::Continue),
            r = async {
                match st.flushing.as_mut() {
                    Some(f) => f.await,
                    None => std::future::pending().await,
                }
            }, if st.flushing.is_some() => {
                st.flushing = None;
                self.flushed(r, &mut st.pending).await?;
                return Ok(Flow::Continue);
            }
            () = self.signals.commit_requested() => return Ok(Flow::Continue),
            _ = self.target.changed() => return Ok(Flow::Continue),
            Some(done) = st.in_flight.next(), if !st.in_flight.is_empty() => {
                self.complete(st, done).await?;
                return Ok(Flow::Continue);
            }
            // Only while records wait for delivery: Kafka's producer fails a send, so a task
            // with nothing to send stays up while its broker cannot be reached.
            Ok(()) = st.tls_errors.changed(), if !st.in_flight.is_empty() => {
                self.diagnose_tls(st).await?;
                return Ok(Flow::Continue);
            }
            r = self.task.poll() => r,
        };
        let records = match polled {
            Ok(r) => r,
            Err(e) if e.is_retriable() => {
                tracing::warn!(connector = %self.connector, task = self.task_id, error = %e, "Retriable poll failure; retrying.");
                return Ok(tokio::select! {
                    () = self.cancel.cancelled() => Flow::Stop,
                    () = tokio::time::sleep(Duration::from_millis(500)) => Flow::Continue,
                });
            }
            Err(e) => return Err(e),
        };
        if !records.is_empty() {
            let count = records.len();
            self.metrics.source_polled(count, poll_started.elapsed());
            let fut = self.send_batch(records, &mut st.memo).await?;
            st.in_flight_records += count;
            st.in_flight.push_back(fut);
        }
        Ok(Flow::Continue)
    }

    /// Waits for every delivery in flight and for a running offset write, then writes the
    /// offsets still pending: nothing acknowledged is left uncommitted.
    async fn settle(&mut self, st: &mut LoopState) -> Result<(), ConnectError> {
        while let Some(done) = st.in_flight.next().await {
            self.complete(st, done).await?;
        }
        if let Some(f) = st.flushing.take() {
            let r = f.await;
            self.flushed(r, &mut st.pending).await?;
        }
        if let Some(f) = self.start_flush(&mut st.pending) {
            let r = f.await;
            self.flushed(r, &mut st.pending).await?;
        }
        Ok(())
    }

    /// Transforms, converts and enqueues a batch, record by record as Kafka's `sendRecords`
    /// does; the returned future resolves when Kafka acknowledged all of it (or one failed).
    async fn send_batch(
        &mut self,
        records: Vec<SourceRecord>,
        memo: &mut SendMemo,
    ) -> Result<futures::future::BoxFuture<'static, BatchResult>, ConnectError> {
        let keep_polled = self.task.reads_committed_records();
        let mut errors = ErrorCounts::default();
        let mut deliveries: Vec<(DeliveryFuture, usize)> = Vec::with_capacity(records.len());
        // The topics of the deliveries, one entry per run of equal topics: a failed delivery
        // names its topic, and most batches have one.
        let mut topics: Vec<String> = Vec::new();
        let mut kept = Vec::with_capacity(if keep_polled { records.len() } else { 0 });
        let mut latest: Vec<(SourcePartition, RecordOffset)> = Vec::new();
        let mut count = 0;
        let mut written = 0;
        let mut refused = None;
        for mut polled in records {
            let serialized = match self
                .prepare(&mut polled, keep_polled, memo, &mut errors)
                .await
            {
                Ok(s) => s,
                Err(e) => {
                    self.metrics.errors(errors);
                    return Err(e);
                }
            };
            // Enqueued here, one record after the other, as Kafka's `producer.send` is called:
            // when the producer's buffer (`buffer.memory`, librdkafka's
            // `queue.buffering.max.kbytes`) is full the task waits for space before the next
            // record, so records enter the producer in poll order (a record retried after
            // `QueueFull` must never overtake the next one), and polling stops while Kafka is
            // behind. librdkafka copies each record, so its serialized form goes once queued.
            if let Some(mut o) = serialized {
                match enqueue(&self.producer, &self.cancel, &mut o).await {
                    Enqueued::Queued(d) => {
                        if topics.last() != Some(&o.topic) {
                            topics.push(std::mem::take(&mut o.topic));
                        }
                        deliveries.push((d, topics.len() - 1));
                        written += 1;
                    }
                    Enqueued::Failed(e) => {
                        refused = Some(format!("could not deliver a record to {}: {e}", o.topic));
                        break;
                    }
                    // The rest of the batch was never sent: neither committed nor counted; the
                    // source polls it again after a restart.
                    Enqueued::Stopped => break,
                }
            }
            // Processed (sent, dropped by a transform, or skipped under `errors.tolerance=all`):
            // its offset becomes committable once every record before it is acknowledged.
            count += 1;
            if keep_polled {
                kept.push(polled);
            } else {
                remember_latest(&mut latest, polled.source_partition, polled.source_offset);
            }
        }
        self.metrics.errors(errors);
        let processed = if keep_polled {
            Processed::Records(kept)
        } else {
            Processed::Offsets { count, latest }
        };
        Ok(async move {
            let mut outcome = Ok(());
            for (delivery, topic) in deliveries {
                let failed = match delivery.await {
                    Ok(Ok(_)) => continue,
                    Ok(Err((e, _))) => e.to_string(),
                    Err(_) => "the producer was closed".to_owned(),
                };
                if outcome.is_ok() {
                    let topic = topics.get(topic).map_or("", String::as_str);
                    outcome = Err(format!("could not deliver a record to {topic}: {failed}"));
                }
            }
            if let (Ok(()), Some(refused)) = (&outcome, refused) {
                outcome = Err(refused);
            }
            (processed, written, outcome)
        }
        .boxed())
    }

    /// One polled record through the transforms and converters, its topic created on first
    /// sight: `None` when a transform dropped it or `errors.tolerance=all` skipped it.
    async fn prepare(
        &mut self,
        polled: &mut SourceRecord,
        keep_polled: bool,
        memo: &mut SendMemo,
        errors: &mut ErrorCounts,
    ) -> Result<Option<Serialized>, ConnectError> {
        // Transforms see the polled record; the runner keeps it (or its offset) for
        // `commit_record` and the offset commit, as processed even when a transform drops it.
        let transformed: SourceRecord;
        let record = if self.transforms.is_empty() {
            &*polled
        } else {
            match self.transforms.apply_source(polled, keep_polled) {
                Ok(Some(r)) => {
                    transformed = r;
                    &transformed
                }
                Ok(None) => return Ok(None),
                Err(f) if self.errors.tolerate_all => {
                    errors.skipped_one(self.errors.log_errors);
                    if self.errors.log_errors {
                        tracing::error!(connector = %self.connector, task = self.task_id, topic = %polled.topic, stage = "TRANSFORMATION", class = %f.class, error = %f.error, "Error transforming a source record; skipped (errors.tolerance=all).");
                    }
                    return Ok(None);
                }
                Err(f) => {
                    self.metrics.errors(ErrorCounts::failed_one());
                    tracing::error!(connector = %self.connector, task = self.task_id, "Error encountered in task. Executing stage 'TRANSFORMATION' with class '{}'.", f.class);
                    return Err(ConnectError::fatal_with(
                        "Tolerance exceeded in error handler",
                        f.error,
                    ));
                }
            }
        };
        let serialized = match convert(&self.converters, record, &mut memo.headers) {
            Ok(s) => s,
            Err(e) if self.errors.tolerate_all => {
                errors.skipped_one(self.errors.log_errors);
                if self.errors.log_errors {
                    tracing::error!(connector = %self.connector, task = self.task_id, topic = %record.topic, error = %e, "Error converting a source record; skipped (errors.tolerance=all).");
                }
                return Ok(None);
            }
            Err(e) => {
                self.metrics.errors(ErrorCounts::failed_one());
                return Err(e);
            }
        };
        if !memo.seen_topics.contains(&record.topic) {
            let topic = record.topic.clone();
            self.ensure_topic(&topic).await?;
            if self.topic_tracking {
                let status = TopicStatus {
                    topic: topic.clone(),
                    connector: self.connector.clone(),
                    task: i32::try_from(self.task_id).unwrap_or(i32::MAX),
                    discover_timestamp: chrono::Utc::now().timestamp_millis(),
                };
                if let Err(e) = self.status_store.put_topic(&status).await {
                    tracing::warn!(error = %e, "Could not record an active topic.");
                }
            }
            memo.seen_topics.insert(topic);
        }
        Ok(Some(serialized))
    }

    /// Creates `topic` when missing, retrying with back-off while the broker cannot (it is down,
    /// or still starting): a source must wait for its broker, not fail. A broker certificate
    /// the admin client rejects fails the task, as Kafka's `TopicAdmin` fails on
    /// `SslAuthenticationException`.
    async fn ensure_topic(&mut self, topic: &str) -> Result<(), ConnectError> {
        let mut backoff = Duration::from_millis(200);
        let mut last_probe: Option<StdInstant> = None;
        loop {
            match self.topic_creation.ensure(&self.clients, topic).await {
                Ok(()) => return Ok(()),
                Err(error) => {
                    if last_probe.is_none_or(|t| t.elapsed() >= TLS_PROBE_INTERVAL) {
                        last_probe = Some(StdInstant::now());
                        if let Some(failure) = self.clients.tls_failure().await
                            && failure.certificate_rejected
                        {
                            return Err(ConnectError::fatal_with(
                                format!("Error while attempting to create/find topic(s) '{topic}'"),
                                ConnectError::fatal_with("SSL handshake failed", failure),
                            ));
                        }
                    }
                    tracing::warn!(connector = %self.connector, task = self.task_id, topic, %error, ?backoff, "Could not create the topic; retrying.");
                    tokio::select! {
                        () = self.cancel.cancelled() => return Err(ConnectError::Stopped),
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    /// librdkafka reported a failed TLS handshake while records wait for delivery: a broker
    /// certificate the producer rejects fails the task as Kafka's failed send does (its trace
    /// names the cause), and the producer leaves the pool with the records queued in it; any
    /// other TLS failure is logged and retried, as librdkafka does.
    async fn diagnose_tls(&mut self, st: &mut LoopState) -> Result<(), ConnectError> {
        if st
            .last_tls_probe
            .is_some_and(|t| t.elapsed() < TLS_PROBE_INTERVAL)
        {
            return Ok(());
        }
        st.last_tls_probe = Some(StdInstant::now());
        match self.producer.tls_failure().await {
            Some(failure) if failure.certificate_rejected => {
                self.clients.discard_producer(&self.producer);
                Err(ConnectError::fatal_with(
                    "Unrecoverable exception from producer send callback",
                    ConnectError::fatal_with("SSL handshake failed", failure),
                ))
            }
            Some(failure) => {
                tracing::warn!(connector = %self.connector, task = self.task_id, %failure, "The producer's TLS handshake fails; retrying.");
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Handles a finished batch: fail on a delivery error, else `commit_record` each record (a
    /// task that reads them) and make the batch's offsets their partitions' latest committable.
    async fn complete(
        &mut self,
        st: &mut LoopState,
        (processed, written, outcome): BatchResult,
    ) -> Result<(), ConnectError> {
        let count = processed.len();
        st.in_flight_records = st.in_flight_records.saturating_sub(count);
        if let Err(msg) = outcome {
            return Err(ConnectError::fatal(msg));
        }
        self.metrics.source_written(count, written);
        match processed {
            Processed::Records(records) => {
                for r in records {
                    self.task.commit_record(&r).await?;
                    st.pending.insert(
                        r.source_partition.key(),
                        (r.source_partition, r.source_offset.into_offset()),
                    );
                }
            }
            Processed::Offsets { latest, .. } => {
                for (partition, offset) in latest {
                    st.pending
                        .insert(partition.key(), (partition, offset.into_offset()));
                }
            }
        }
        Ok(())
    }

    /// Starts writing the pending offsets (`None` when there are none); the loop awaits the
    /// write beside polling, and [`Self::settle`] awaits it in place.
    fn start_flush(
        &self,
        pending: &mut Pending,
    ) -> Option<futures::future::BoxFuture<'static, FlushResult>> {
        if pending.is_empty() {
            return None;
        }
        let taken = std::mem::take(pending);
        let batch: Vec<_> = taken
            .values()
            .map(|(p, o)| (p.clone(), Some(o.clone())))
            .collect();
        let offsets = Arc::clone(&self.offsets);
        let connector = self.connector.clone();
        Some(
            async move {
                let started = std::time::Instant::now();
                let result = offsets.put_batch(&connector, batch).await;
                (taken, result, started.elapsed())
            }
            .boxed(),
        )
    }

    /// A background offset write finished: on success tell the task (`commit`); on failure put
    /// its offsets back unless a newer one for the same partition arrived meanwhile, so the next
    /// write carries them (an outage delays commits, it never loses data).
    async fn flushed(
        &mut self,
        (taken, result, took): FlushResult,
        pending: &mut Pending,
    ) -> Result<(), ConnectError> {
        self.metrics.offset_commit(result.is_ok(), took);
        match result {
            Ok(()) => {
                tracing::debug!(connector = %self.connector, task = self.task_id, partitions = taken.len(), "Committed source offsets.");
                self.task.commit().await
            }
            Err(error) => {
                for (k, v) in taken {
                    pending.entry(k).or_insert(v);
                }
                tracing::warn!(connector = %self.connector, task = self.task_id, %error, "Could not commit source offsets; will retry.");
                Ok(())
            }
        }
    }
}

/// Makes `offset` the latest of `partition` in `latest` (source order: a later record's offset
/// supersedes an earlier one's).
fn remember_latest(
    latest: &mut Vec<(SourcePartition, RecordOffset)>,
    partition: SourcePartition,
    offset: RecordOffset,
) {
    // Most batches have one partition: the search starts at the newest entry.
    match latest.iter_mut().rev().find(|(p, _)| *p == partition) {
        Some(entry) => entry.1 = offset,
        None => latest.push((partition, offset)),
    }
}

/// A record's key, value and headers as bytes. A header list shared with the records before it
/// of the same topic (a source's constant headers) is not converted again: header converters
/// are functions of the topic, key and value (see [`connect_api::HeaderConverter`]).
fn convert(
    c: &TaskConverters,
    record: &SourceRecord,
    memo: &mut Option<HeaderMemo>,
) -> Result<Serialized, ConnectError> {
    let topic = &record.topic;
    let key = c
        .key
        .from_connect_data(topic, &record.headers, &record.key)?;
    let value = c
        .value
        .from_connect_data(topic, &record.headers, &record.value)?;
    let headers = if record.headers.is_empty() {
        None
    } else {
        Some(remembered_headers(c, record, memo)?)
    };
    Ok(Serialized {
        topic: topic.clone(),
        key,
        value,
        headers,
        partition: record.kafka_partition,
        timestamp: record.timestamp,
    })
}

/// A record's headers in librdkafka's form: a copy of the memo's when the record carries the
/// list and topic it remembers (converted and kept on the second such record), else converted.
fn remembered_headers(
    c: &TaskConverters,
    record: &SourceRecord,
    memo: &mut Option<HeaderMemo>,
) -> Result<OwnedHeaders, ConnectError> {
    match memo {
        Some(m) if m.topic == record.topic && Headers::same_list(&m.list, &record.headers) => {
            if let Some(converted) = &m.converted {
                return Ok(converted.clone());
            }
            let converted = convert_headers(c, record)?;
            m.converted = Some(converted.clone());
            Ok(converted)
        }
        _ => {
            if record.headers.is_shared() {
                *memo = Some(HeaderMemo {
                    list: record.headers.clone(),
                    topic: record.topic.clone(),
                    converted: None,
                });
            }
            convert_headers(c, record)
        }
    }
}

/// A record's headers through the header converter, in librdkafka's form.
fn convert_headers(
    c: &TaskConverters,
    record: &SourceRecord,
) -> Result<OwnedHeaders, ConnectError> {
    let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
    for h in record.headers.iter() {
        let v = c
            .header
            .from_connect_header(&record.topic, &h.key, &h.value)?;
        headers = headers.insert(KHeader {
            key: &h.key,
            value: v.as_deref(),
        });
    }
    Ok(headers)
}

/// Queues one record in the producer, waiting while its buffer is full.
async fn enqueue(
    producer: &SharedProducer,
    cancel: &CancellationToken,
    o: &mut Serialized,
) -> Enqueued {
    let headers = o.headers.take();
    let mut fr: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&o.topic);
    if let Some(h) = headers {
        fr = fr.headers(h);
    }
    if let Some(k) = &o.key {
        fr = fr.key(k.as_ref());
    }
    if let Some(v) = &o.value {
        fr = fr.payload(v.as_ref());
    }
    if let Some(p) = o.partition {
        fr = fr.partition(p);
    }
    if let Some(ts) = o.timestamp {
        fr = fr.timestamp(ts);
    }
    loop {
        match producer.send_result(fr) {
            Ok(d) => return Enqueued::Queued(d),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                fr = back;
                tokio::select! {
                    () = cancel.cancelled() => return Enqueued::Stopped,
                    () = tokio::time::sleep(QUEUE_FULL_WAIT) => {}
                }
            }
            Err((e, _)) => return Enqueued::Failed(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn partition(file: &str) -> SourcePartition {
        SourcePartition::new(
            json!({ "filename": file })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
    }

    fn offset(position: i64) -> SourceOffset {
        SourceOffset(
            json!({ "position": position })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
    }

    /// The `SimpleHeaderConverter`'s bytes with the topic in front, counting its calls.
    #[derive(Debug, Default)]
    struct CountingHeaders(std::sync::atomic::AtomicUsize);

    impl connect_api::HeaderConverter for CountingHeaders {
        fn from_connect_header(
            &self,
            topic: &str,
            _key: &str,
            value: &connect_api::SchemaAndValue,
        ) -> Result<Option<Bytes>, connect_api::ConvertError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let text = match &value.value {
                connect_api::Value::String(s) => s.clone(),
                other => format!("{other:?}"),
            };
            Ok(Some(Bytes::from(format!("{topic}:{text}"))))
        }

        fn to_connect_header(
            &self,
            _topic: &str,
            _key: &str,
            _bytes: Option<&[u8]>,
        ) -> Result<connect_api::SchemaAndValue, connect_api::ConvertError> {
            Ok(connect_api::SchemaAndValue::NULL)
        }
    }

    fn converters(header: Arc<CountingHeaders>) -> TaskConverters {
        let bytes: Arc<dyn connect_api::Converter> =
            Arc::new(connect_converters::bytearray::ByteArrayConverter);
        TaskConverters {
            key: bytes.clone(),
            value: bytes,
            header,
            key_class: "k".into(),
            header_class: "h".into(),
            value_class: "v".into(),
        }
    }

    fn header(key: &str, value: &str) -> connect_api::Header {
        connect_api::Header {
            key: key.into(),
            value: connect_api::SchemaAndValue::schemaless(connect_api::Value::String(
                value.into(),
            )),
        }
    }

    fn record(topic: &str, headers: &Headers) -> SourceRecord {
        let mut r = SourceRecord::new(
            partition("a"),
            offset(1),
            topic,
            connect_api::SchemaAndValue::NULL,
            connect_api::SchemaAndValue::NULL,
        );
        r.headers = headers.clone();
        r
    }

    /// The headers librdkafka was handed, as (key, value) text pairs.
    fn sent(s: &Serialized) -> Vec<(String, String)> {
        use rdkafka::message::Headers as _;
        let Some(h) = &s.headers else {
            return Vec::new();
        };
        h.iter()
            .map(|h| {
                (
                    h.key.to_owned(),
                    String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                )
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_header_list_that_records_of_one_topic_share_is_converted_twice_not_per_record()
    -> Result<(), ConnectError> {
        let counter = Arc::new(CountingHeaders::default());
        let calls = || counter.0.load(std::sync::atomic::Ordering::Relaxed);
        let c = converters(counter.clone());
        let shared = Headers::from(vec![header("a", "1"), header("b", "2")]);
        let mut memo = None;
        for _ in 0..5 {
            let s = convert(&c, &record("t1", &shared), &mut memo)?;
            assert_eq!(sent(&s), pairs(&[("a", "t1:1"), ("b", "t1:2")]));
        }
        // The first record's list is only remembered; the second's bytes are kept.
        assert_eq!(calls(), 4);
        // Another topic converts again: a converter may write the topic into the bytes.
        let s = convert(&c, &record("t2", &shared), &mut memo)?;
        assert_eq!(sent(&s), pairs(&[("a", "t2:1"), ("b", "t2:2")]));
        assert_eq!(calls(), 6);
        Ok(())
    }

    #[test]
    fn a_record_whose_shared_headers_were_changed_sends_its_own() -> Result<(), ConnectError> {
        let c = converters(Arc::new(CountingHeaders::default()));
        let shared = Headers::from(vec![header("a", "1")]);
        let mut memo = None;
        convert(&c, &record("t", &shared), &mut memo)?;
        // A transform changes one record's list: copy on write, so the memo does not apply.
        let mut changed = record("t", &shared);
        changed.headers.push(header("b", "2"));
        let s = convert(&c, &changed, &mut memo)?;
        assert_eq!(sent(&s), pairs(&[("a", "t:1"), ("b", "t:2")]));
        // An equal list that is not the same one is converted on its own, and right.
        let lookalike = Headers::from(vec![header("a", "9")]);
        let s = convert(&c, &record("t", &lookalike), &mut memo)?;
        assert_eq!(sent(&s), pairs(&[("a", "t:9")]));
        // The shared list still converts to its own headers afterwards.
        let s = convert(&c, &record("t", &shared), &mut memo)?;
        assert_eq!(sent(&s), pairs(&[("a", "t:1")]));
        // A record without headers sends none.
        let s = convert(&c, &record("t", &Headers::new()), &mut memo)?;
        assert!(s.headers.is_none());
        Ok(())
    }

    /// A source's typed offset that counts how often it is made a map.
    #[derive(Debug)]
    struct CountedForm(i64, Arc<std::sync::atomic::AtomicUsize>);

    impl connect_api::OffsetForm for CountedForm {
        fn to_offset(&self) -> SourceOffset {
            self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            offset(self.0)
        }

        fn heap_size(&self) -> usize {
            0
        }
    }

    #[test]
    fn a_batch_makes_only_its_latest_typed_offsets_maps() {
        let made = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut latest = Vec::new();
        for (file, position) in [("a", 1), ("a", 2), ("b", 10), ("a", 3), ("b", 11)] {
            let typed = RecordOffset::Typed(Arc::new(CountedForm(position, made.clone())));
            remember_latest(&mut latest, partition(file), typed);
        }
        assert_eq!(made.load(std::sync::atomic::Ordering::Relaxed), 0);
        let committed: Vec<(SourcePartition, SourceOffset)> = latest
            .into_iter()
            .map(|(p, o)| (p, o.into_offset()))
            .collect();
        assert_eq!(
            committed,
            vec![(partition("a"), offset(3)), (partition("b"), offset(11))]
        );
        assert_eq!(made.load(std::sync::atomic::Ordering::Relaxed), 2);
    }

    #[test]
    fn a_batch_keeps_only_the_latest_offset_of_each_partition() {
        let mut latest = Vec::new();
        for (file, position) in [("a", 1), ("a", 2), ("b", 10), ("a", 3), ("b", 11)] {
            remember_latest(&mut latest, partition(file), offset(position).into());
        }
        assert_eq!(
            latest,
            vec![
                (partition("a"), offset(3).into()),
                (partition("b"), offset(11).into())
            ]
        );
    }
}
