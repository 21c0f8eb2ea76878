//! One internal topic read from the beginning and written to (`KafkaBasedLog`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt as _;
use kafka_clients::{DeliveryFuture, EventProducer};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{FutureRecord, Producer as _};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use connect_api::kafka_client::ClientKind;

use super::{KafkaSettings, TopicSettings, admin};
use crate::{Record, StoreError};

/// How often the reader publishes its consumer position even without new records. Only
/// records a reader never sees (transaction markers written by an exactly-once Java worker)
/// need it: they advance the position but deliver nothing.
const POSITION_TICK: Duration = Duration::from_millis(200);
/// At most this many records are applied before progress is published and the position
/// tick gets a chance to run.
const MAX_DRAIN: usize = 10_000;
/// Read errors are logged as warnings at most this often (the rest at debug level).
const WARN_EVERY: Duration = Duration::from_secs(10);
/// How long to back off after a read error before polling again.
const ERROR_BACKOFF: Duration = Duration::from_millis(100);

/// Called by the reader for every record: key, value (`None` for a tombstone), partition,
/// offset.
pub(crate) type Apply = Box<dyn FnMut(Option<&[u8]>, Option<&[u8]>, i32, i64) + Send>;

/// How a log reads its topic.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogOptions {
    /// The worker property naming the topic (`config.storage.topic`), for error messages.
    pub(crate) property: &'static str,
    /// What the topic keeps (`connector configurations`), for error messages.
    pub(crate) purpose: &'static str,
    /// `isolation.level=read_committed` (the config topic: a Java leader with exactly-once
    /// support writes it transactionally).
    pub(crate) read_committed: bool,
    /// Whether the topic must have exactly one partition (the config topic: its records are
    /// only meaningful in one total order).
    pub(crate) single_partition: bool,
    /// Whether writes go through the idempotent producer (config and offsets) or the status
    /// topic's non-idempotent one ([`KafkaSettings::status_writer`]).
    pub(crate) idempotent: bool,
}

/// A compacted topic, consumed from the beginning by a background task.
pub(crate) struct KafkaLog {
    topic: String,
    producer: EventProducer,
    consumer: Arc<StreamConsumer>,
    partitions: i32,
    /// The next offset to apply, per partition: everything before it has been applied.
    progress: watch::Receiver<Vec<i64>>,
    timeout: Duration,
    reader: JoinHandle<()>,
    /// Held while a batch is enqueued, so that concurrent batches do not interleave (a task
    /// config update must reach the log as `task-*…, commit-*` without foreign records inside).
    batch_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for KafkaLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaLog")
            .field("topic", &self.topic)
            .field("partitions", &self.partitions)
            .field("progress", &*self.progress.borrow())
            .finish_non_exhaustive()
    }
}

impl KafkaLog {
    /// The producer's librdkafka handle, to tell whether two logs share one.
    #[cfg(test)]
    pub(crate) fn producer_handle(&self) -> *mut rdkafka::types::RDKafka {
        self.producer.client().native_ptr()
    }
}

impl Drop for KafkaLog {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl KafkaLog {
    /// Creates the topic if needed, starts the reader and waits until the topic has been read
    /// to its end. `make_apply` receives the end offset of each partition at start-up.
    pub(crate) async fn open(
        settings: &KafkaSettings,
        topic: &TopicSettings,
        options: LogOptions,
        make_apply: impl FnOnce(&[i64]) -> Apply,
    ) -> Result<Self, StoreError> {
        // Created first (by the first store opened): the idempotent producer fetches its
        // producer id in the background (its first attempt finds no connection yet and retries
        // after 500 ms), overlapping the topic set-up and the initial read.
        let producer = if options.idempotent {
            settings.writer()?
        } else {
            settings.status_writer()?
        };

        let isolation = if options.read_committed {
            "read_committed"
        } else {
            "read_uncommitted"
        };
        let client_id = format!("sluice-{}-reader", topic.name);
        let consumer: StreamConsumer = settings
            .client_config(
                ClientKind::Consumer,
                // tansu holds every fetch for fetch.wait.max.ms even when data is ready, and
                // Kafka's 500 ms default would make every read-back that slow; but each fetch
                // costs tansu a query per partition (31 for the three topics), and at 10 ms an
                // idle worker kept tansu's SQLite engine at 100% of a core. 100 ms costs a REST
                // write at most that much more and leaves tansu idle.
                &[
                    ("fetch.wait.max.ms", "100"),
                    ("fetch.min.bytes", "1"),
                    ("client.id", &client_id),
                ],
                &[
                    // librdkafka wants a group id for any consumer; the reader never joins
                    // the group (partitions are assigned by hand) nor commits to it.
                    ("group.id", &client_id),
                    ("enable.auto.commit", "false"),
                    ("enable.auto.offset.store", "false"),
                    ("auto.offset.reset", "earliest"),
                    ("enable.partition.eof", "false"),
                    ("isolation.level", isolation),
                ],
            )?
            .create()
            .map_err(|e| {
                StoreError::kafka(
                    format!("cannot create a consumer for topic {}", topic.name),
                    e,
                )
            })?;
        let consumer = Arc::new(consumer);
        // Look before creating: a topic that exists needs no admin rights, and some brokers
        // (librdkafka's mock) cannot create topics at all.
        let partitions =
            match partition_count(&consumer, &topic.name, settings.timeout, false).await? {
                Some(n) => n,
                None => {
                    admin::ensure_topic(settings, topic).await?;
                    partition_count(&consumer, &topic.name, settings.timeout, true)
                        .await?
                        .ok_or(StoreError::Closed)?
                }
            };
        if options.single_partition && partitions > 1 {
            let property = options.property;
            return Err(StoreError::Config(format!(
                "Topic '{}' supplied via the '{property}' property is required to have a single partition \
                     in order to guarantee consistency of connector configurations, but found {partitions} partitions.",
                topic.name
            )));
        }

        let mut assignment = TopicPartitionList::new();
        for p in 0..partitions {
            assignment
                .add_partition_offset(&topic.name, p, Offset::Beginning)
                .map_err(|e| StoreError::kafka(format!("cannot assign topic {}", topic.name), e))?;
        }
        consumer
            .assign(&assignment)
            .map_err(|e| StoreError::kafka(format!("cannot assign topic {}", topic.name), e))?;

        let (highs, ends) =
            end_offsets(&consumer, &topic.name, partitions, settings.timeout).await?;
        let apply = make_apply(&highs);
        let (progress_tx, progress) =
            watch::channel(vec![0; usize::try_from(partitions).unwrap_or(0)]);
        let reader = tokio::spawn(read_loop(
            consumer.clone(),
            topic.name.clone(),
            apply,
            progress_tx,
        ));

        warm_up(&producer, &topic.name, settings.timeout).await;

        let log = Self {
            topic: topic.name.clone(),
            producer,
            consumer,
            partitions,
            progress,
            timeout: settings.timeout,
            reader,
            batch_lock: tokio::sync::Mutex::new(()),
        };
        // Checked while the log loads: on a broker that ignores the request the check costs
        // its whole (short) timeout, which then overlaps the initial read.
        let (verified, loaded) = tokio::join!(
            admin::verify_compacted(settings, &topic.name, options.property, options.purpose),
            log.wait_for(&ends, "reading the topic to its end at start-up"),
        );
        verified?;
        loaded?;
        debug!(
            topic = log.topic,
            partitions, "Read internal topic to its end."
        );
        Ok(log)
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The consumer, for metadata calls (cluster id).
    pub(crate) fn consumer(&self) -> &Arc<StreamConsumer> {
        &self.consumer
    }

    /// Sends the records in order and waits until the broker acknowledged all of them.
    /// Returns, per partition written, the offset after the last record.
    pub(crate) async fn send(&self, records: &[Record]) -> Result<Vec<(i32, i64)>, StoreError> {
        let mut pending: Vec<DeliveryFuture> = Vec::with_capacity(records.len());
        // Enqueue everything before awaiting anything: the idempotent producer keeps the order
        // within a partition, and one round trip serves the whole batch.
        {
            let _batch = self.batch_lock.lock().await;
            for record in records {
                pending.push(self.enqueue(record).await?);
            }
        }
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut written: Vec<(i32, i64)> = Vec::new();
        for delivery in pending {
            let outcome = tokio::time::timeout_at(deadline, delivery)
                .await
                .map_err(|_| StoreError::Timeout {
                    action: format!(
                        "waiting for the broker to acknowledge a write to topic {}",
                        self.topic
                    ),
                    millis: self.timeout.as_millis(),
                })?;
            match outcome {
                Ok(Ok(d)) => match written.iter_mut().find(|(p, _)| *p == d.partition) {
                    Some(entry) => entry.1 = entry.1.max(d.offset + 1),
                    None => written.push((d.partition, d.offset + 1)),
                },
                Ok(Err((e, _))) => {
                    return Err(StoreError::kafka(
                        format!("cannot write to topic {}", self.topic),
                        e,
                    ));
                }
                Err(_) => return Err(StoreError::Closed),
            }
        }
        Ok(written)
    }

    async fn enqueue(&self, record: &Record) -> Result<DeliveryFuture, StoreError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let mut out = FutureRecord::<[u8], [u8]>::to(&self.topic).key(record.key.as_slice());
            if let Some(value) = &record.value {
                out = out.payload(value.as_slice());
            }
            match self.producer.send_result(out) {
                Ok(delivery) => return Ok(delivery),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _))
                    if Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err((e, _)) => {
                    return Err(StoreError::kafka(
                        format!("cannot write to topic {}", self.topic),
                        e,
                    ));
                }
            }
        }
    }

    /// Sends the records and waits until the reader has applied them.
    pub(crate) async fn write(&self, records: &[Record]) -> Result<(), StoreError> {
        let written = self.send(records).await?;
        self.wait_for(&written, "reading back a write").await
    }

    /// Waits until everything written to the topic so far has been applied.
    pub(crate) async fn read_to_end(&self) -> Result<(), StoreError> {
        let (_, ends) =
            end_offsets(&self.consumer, &self.topic, self.partitions, self.timeout).await?;
        self.wait_for(&ends, "reading the topic to its end").await
    }

    /// Waits until the reader's progress reaches `targets` (partition, next offset).
    async fn wait_for(&self, targets: &[(i32, i64)], action: &str) -> Result<(), StoreError> {
        let mut progress = self.progress.clone();
        let reached = |p: &Vec<i64>| {
            targets.iter().all(|(partition, end)| {
                usize::try_from(*partition)
                    .ok()
                    .and_then(|i| p.get(i))
                    .is_some_and(|done| done >= end)
            })
        };
        let waiting = async {
            loop {
                if reached(&progress.borrow_and_update()) {
                    return Ok(());
                }
                if progress.changed().await.is_err() {
                    return Err(StoreError::Closed);
                }
            }
        };
        tokio::time::timeout(self.timeout, waiting)
            .await
            .map_err(|_| StoreError::Timeout {
                action: format!("{action} (topic {})", self.topic),
                millis: self.timeout.as_millis(),
            })?
    }
}

/// Applies records as they arrive and publishes how far each partition is applied.
async fn read_loop(
    consumer: Arc<StreamConsumer>,
    topic: String,
    mut apply: Apply,
    progress: watch::Sender<Vec<i64>>,
) {
    let mut tick = tokio::time::interval(POSITION_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut applied: Vec<(i32, i64)> = Vec::new();
    let mut last_warning: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            message = consumer.recv() => {
                let mut next = Some(message);
                let mut drained = 0;
                // Apply everything already fetched before publishing progress: a fetched batch
                // arrives whole, so a reader waiting for any offset inside it is released only
                // once the whole batch is applied. This matters on tansu 0.6, whose high
                // watermark is the last batch's base offset plus one, short of its end.
                while let Some(message) = next.take() {
                    match message {
                        Ok(m) => {
                            apply(m.key(), m.payload(), m.partition(), m.offset());
                            applied.push((m.partition(), m.offset() + 1));
                        }
                        Err(error) => {
                            // A broker outage fails every poll: say so now and then, not
                            // ten times a second.
                            let now = tokio::time::Instant::now();
                            if last_warning.is_none_or(|at| now.duration_since(at) >= WARN_EVERY) {
                                warn!(topic, %error, "Error while reading an internal topic; retrying.");
                                last_warning = Some(now);
                            } else {
                                debug!(topic, %error, "Error while reading an internal topic; retrying.");
                            }
                            tokio::time::sleep(ERROR_BACKOFF).await;
                            break;
                        }
                    }
                    drained += 1;
                    if drained < MAX_DRAIN {
                        next = consumer.recv().now_or_never();
                    }
                }
                if !applied.is_empty() {
                    progress.send_if_modified(|p| {
                        applied.drain(..).fold(false, |changed, (partition, next)| advance(p, partition, next) | changed)
                    });
                }
            },
            _ = tick.tick() => {
                // Everything `recv` delivered has been applied by now, so the consumer
                // position never runs ahead of the applied state here.
                if let Ok(positions) = consumer.position() {
                    progress.send_if_modified(|p| {
                        let mut changed = false;
                        for e in positions.elements() {
                            if let Offset::Offset(next) = e.offset() {
                                changed |= advance(p, e.partition(), next);
                            }
                        }
                        changed
                    });
                }
            }
        }
    }
}

/// Fetches the topic's metadata through the producer, so its first write does not wait for a
/// metadata round of its own (about half a second against tansu). Best effort: a failure here
/// only costs that first write the wait.
async fn warm_up(producer: &EventProducer, topic: &str, timeout: Duration) {
    let producer = producer.clone();
    let name = topic.to_string();
    let outcome =
        tokio::task::spawn_blocking(move || producer.client().fetch_metadata(Some(&name), timeout))
            .await;
    if let Ok(Err(error)) = outcome {
        debug!(topic, %error, "Could not fetch metadata for the internal topic's producer.");
    }
}

fn advance(progress: &mut [i64], partition: i32, next: i64) -> bool {
    match usize::try_from(partition)
        .ok()
        .and_then(|i| progress.get_mut(i))
    {
        Some(done) if next > *done => {
            *done = next;
            true
        }
        _ => false,
    }
}

/// How many partitions the topic has. With `wait`, waits until the metadata shows them (a
/// just-created topic may take a moment to appear); without, answers `None` at once when the
/// topic is not there.
async fn partition_count(
    consumer: &Arc<StreamConsumer>,
    topic: &str,
    timeout: Duration,
    wait: bool,
) -> Result<Option<i32>, StoreError> {
    let consumer = consumer.clone();
    let name = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let last_error = match consumer.fetch_metadata(Some(&name), remaining) {
                Ok(metadata) => match metadata.topics().iter().find(|t| t.name() == name) {
                    Some(t) if t.error().is_none() && !t.partitions().is_empty() => {
                        return i32::try_from(t.partitions().len()).map(Some).map_err(|_| {
                            StoreError::Config(format!("topic {name} has too many partitions"))
                        });
                    }
                    Some(t) => format!("{:?}", t.error()),
                    None => "topic missing from metadata".to_string(),
                },
                Err(e) => e.to_string(),
            };
            if !wait {
                debug!(
                    topic = name,
                    reason = last_error,
                    "Internal topic not found."
                );
                return Ok(None);
            }
            if Instant::now() >= deadline {
                return Err(StoreError::Broker {
                    context: format!("cannot find the partitions of topic {name}"),
                    reason: last_error,
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    })
    .await
    .map_err(|_| StoreError::Closed)?
}

/// The offset after the last readable record of each partition (the last stable offset under
/// `read_committed`, since the query uses the consumer's isolation level), and the same as
/// wait targets, leaving out partitions with nothing to read so that a log whose records were
/// all deleted is not waited for forever.
///
/// One ListOffsets request per bound for all partitions (a `LATEST`/`EARLIEST` timestamp
/// lookup), rather than two per partition as `fetch_watermarks` would take: offset reads do
/// this before every lookup, on a 25-partition topic.
async fn end_offsets(
    consumer: &Arc<StreamConsumer>,
    topic: &str,
    partitions: i32,
    timeout: Duration,
) -> Result<(Vec<i64>, Vec<(i32, i64)>), StoreError> {
    let consumer = consumer.clone();
    let name = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let highs = list_offsets(&consumer, &name, partitions, Offset::End, timeout)?;
        let lows = list_offsets(&consumer, &name, partitions, Offset::Beginning, timeout)?;
        let ends = (0..partitions)
            .zip(highs.iter().zip(&lows))
            .filter(|(_, (high, low))| high > low)
            .map(|(p, (high, _))| (p, *high))
            .collect();
        Ok((highs, ends))
    })
    .await
    .map_err(|_| StoreError::Closed)?
}

fn list_offsets(
    consumer: &StreamConsumer,
    topic: &str,
    partitions: i32,
    bound: Offset,
    timeout: Duration,
) -> Result<Vec<i64>, StoreError> {
    let failed = |e| StoreError::kafka(format!("cannot read the end offsets of topic {topic}"), e);
    let mut request = TopicPartitionList::new();
    for p in 0..partitions {
        request
            .add_partition_offset(topic, p, bound)
            .map_err(failed)?;
    }
    let answer = consumer
        .offsets_for_times(request, timeout)
        .map_err(failed)?;
    let mut offsets = vec![0; usize::try_from(partitions).unwrap_or(0)];
    for e in answer.elements() {
        e.error().map_err(failed)?;
        let slot = usize::try_from(e.partition())
            .ok()
            .and_then(|i| offsets.get_mut(i));
        match (slot, e.offset()) {
            (Some(slot), Offset::Offset(o)) => *slot = o,
            (_, other) => {
                return Err(StoreError::Broker {
                    context: format!("cannot read the end offsets of topic {topic}"),
                    reason: format!("partition {} answered {other:?}", e.partition()),
                });
            }
        }
    }
    Ok(offsets)
}
