//! The Kafka producer every Sluice client uses: rdkafka's [`BaseProducer`], with its delivery
//! reports served by a thread that sleeps until librdkafka has something for it.
//!
//! rdkafka's `FutureProducer` serves them from a thread that calls `poll(100 ms)` in a loop.
//! That poll (rdkafka 0.39) waits on a deadline converted to whole milliseconds, so the last
//! sub-millisecond of every wait becomes a string of zero-timeout polls: the thread spins
//! through it, ~1 % of a core per producer, idle or busy. Here librdkafka writes to an eventfd
//! whenever its queue gets an event after the thread last served it
//! (`rd_kafka_queue_io_event_enable`), and the thread blocks in `poll(2)` on that fd.
//!
//! [`EventProducer`] keeps `FutureProducer`'s interface ([`EventProducer::send_result`] gives a
//! [`DeliveryFuture`], [`EventProducer::send`] waits out a full queue), and dereferences to the
//! [`BaseProducer`] for the rest (`client()`, `flush`, `in_flight_count`).
//!
//! The only unsafe code of the workspace is here: the four librdkafka calls rdkafka does not
//! wrap (the main queue's handle, its io event, its length, the handle's release).
#![allow(unsafe_code)]

use std::future::Future;
use std::ops::Deref;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::bindings as rdsys;
use rdkafka::client::{ClientContext, DefaultClientContext, OAuthToken};
use rdkafka::config::{
    ClientConfig, FromClientConfig, FromClientConfigAndContext, RDKafkaLogLevel,
};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::{Message as _, OwnedMessage, ToBytes};
use rdkafka::producer::future_producer::{Delivery, OwnedDeliveryResult};
use rdkafka::producer::{
    BaseProducer, BaseRecord, DeliveryResult, FutureRecord, Producer as _, ProducerContext,
};
use rdkafka::statistics::Statistics;
use rdkafka::util::Timeout;
use rustix::event::{EventfdFlags, PollFd, PollFlags, Timespec};
use tokio::sync::oneshot;

/// How long the serving thread sleeps without a wake-up before it looks at the queue anyway:
/// a lost wake-up delays delivery reports by this much at worst, it never loses them.
const IDLE_CHECK: Timespec = Timespec {
    tv_sec: 1,
    tv_nsec: 0,
};

/// How long [`EventProducer::send`] waits before retrying a record the full queue refused,
/// as `FutureProducer::send` does.
const QUEUE_FULL_RETRY: Duration = Duration::from_millis(100);

/// The context of an [`EventProducer`]: `C`'s callbacks, and each delivery report sent to the
/// [`DeliveryFuture`] of its record.
pub struct Deliveries<C> {
    inner: C,
}

impl<C> std::fmt::Debug for Deliveries<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliveries").finish_non_exhaustive()
    }
}

impl<C: ClientContext> ClientContext for Deliveries<C> {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = C::ENABLE_REFRESH_OAUTH_TOKEN;

    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.inner.log(level, fac, log_message);
    }

    fn stats(&self, statistics: Statistics) {
        self.inner.stats(statistics);
    }

    fn stats_raw(&self, statistics: &[u8]) {
        self.inner.stats_raw(statistics);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.inner.error(error, reason);
    }

    fn generate_oauth_token(
        &self,
        oauthbearer_config: Option<&str>,
    ) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        self.inner.generate_oauth_token(oauthbearer_config)
    }
}

impl<C: ClientContext> ProducerContext for Deliveries<C> {
    type DeliveryOpaque = Box<oneshot::Sender<OwnedDeliveryResult>>;

    fn delivery(&self, result: &DeliveryResult<'_>, tx: Self::DeliveryOpaque) {
        let owned = match result {
            Ok(message) => Ok(Delivery {
                partition: message.partition(),
                offset: message.offset(),
                timestamp: message.timestamp(),
            }),
            Err((error, message)) => Err((error.clone(), message.detach())),
        };
        // The receiver is gone when the caller stopped waiting; the report has no one to tell.
        tx.send(owned).ok();
    }
}

/// What a record's delivery came to, once librdkafka reports it: `Err` only if the producer
/// went away with the record undelivered and unreported.
#[derive(Debug)]
pub struct DeliveryFuture {
    rx: oneshot::Receiver<OwnedDeliveryResult>,
}

impl Future for DeliveryFuture {
    type Output = Result<OwnedDeliveryResult, oneshot::error::RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx).poll(cx)
    }
}

/// librdkafka's main queue handle, on which the producer's events arrive.
struct MainQueue(*mut rdsys::rd_kafka_queue_t);

// SAFETY: librdkafka's queues are thread-safe; the handle is only used while the producer
// lives (it is destroyed before the producer, in `Driver::drop`).
unsafe impl Send for MainQueue {}
unsafe impl Sync for MainQueue {}

/// What the serving thread and the handles share. Field order is drop order: the producer
/// (its purge and flush) goes before the fd closes.
struct Shared<C: ClientContext + 'static> {
    producer: BaseProducer<Deliveries<C>>,
    queue: MainQueue,
    wake: OwnedFd,
    stop: AtomicBool,
}

/// The serving thread, stopped and joined when the last clone goes.
struct Driver<C: ClientContext + 'static> {
    shared: Arc<Shared<C>>,
    thread: Option<JoinHandle<()>>,
}

impl<C: ClientContext + 'static> Drop for Driver<C> {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        wake(&self.shared.wake);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::warn!("The Kafka producer's serving thread panicked.");
        }
        // The producer's own drop still serves the queue (its purge and flush).
        release(&self.shared.queue);
    }
}

/// Stops librdkafka's writes to the wake-up fd and releases the queue handle. librdkafka must
/// not write to the fd once it is closed (its number may be reused by then).
fn release(queue: &MainQueue) {
    // SAFETY: the handle came from `rd_kafka_queue_get_main`, no thread uses it any more, and
    // the producer it belongs to is still alive (it is dropped after this).
    unsafe {
        rdsys::rd_kafka_queue_io_event_enable(queue.0, -1, std::ptr::null(), 0);
        rdsys::rd_kafka_queue_destroy(queue.0);
    }
}

/// A Kafka producer whose delivery reports are served without polling; clones share it.
pub struct EventProducer<C: ClientContext + 'static = DefaultClientContext> {
    driver: Arc<Driver<C>>,
}

impl<C: ClientContext + 'static> std::fmt::Debug for EventProducer<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventProducer").finish_non_exhaustive()
    }
}

impl<C: ClientContext + 'static> Clone for EventProducer<C> {
    fn clone(&self) -> Self {
        Self {
            driver: Arc::clone(&self.driver),
        }
    }
}

impl<C: ClientContext + 'static> Deref for EventProducer<C> {
    type Target = BaseProducer<Deliveries<C>>;

    fn deref(&self) -> &Self::Target {
        &self.driver.shared.producer
    }
}

impl FromClientConfig for EventProducer {
    fn from_config(config: &ClientConfig) -> KafkaResult<Self> {
        Self::from_config_and_context(config, DefaultClientContext)
    }
}

impl<C: ClientContext + 'static> FromClientConfigAndContext<C> for EventProducer<C> {
    fn from_config_and_context(config: &ClientConfig, context: C) -> KafkaResult<Self> {
        let producer: BaseProducer<Deliveries<C>> =
            BaseProducer::from_config_and_context(config, Deliveries { inner: context })?;
        let wake = rustix::event::eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)
            .map_err(|e| KafkaError::ClientCreation(format!("cannot create an eventfd: {e}")))?;
        // SAFETY: the client is alive; the handle is destroyed in `Driver::drop`, before it.
        let queue =
            MainQueue(unsafe { rdsys::rd_kafka_queue_get_main(producer.client().native_ptr()) });
        // An eventfd takes 8-byte writes that add to its counter.
        static ONE: [u8; 8] = 1u64.to_ne_bytes();
        // SAFETY: `ONE` is static and the fd outlives the registration (removed in `drop`).
        unsafe {
            use std::os::fd::AsRawFd;
            rdsys::rd_kafka_queue_io_event_enable(
                queue.0,
                wake.as_raw_fd(),
                ONE.as_ptr().cast(),
                ONE.len(),
            );
        }
        let shared = Arc::new(Shared {
            producer,
            queue,
            wake,
            stop: AtomicBool::new(false),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("kafka producer".to_owned())
                .spawn(move || serve(&shared))
        };
        match thread {
            Ok(thread) => Ok(Self {
                driver: Arc::new(Driver {
                    shared,
                    thread: Some(thread),
                }),
            }),
            Err(e) => {
                release(&shared.queue);
                Err(KafkaError::ClientCreation(format!(
                    "cannot start the producer's thread: {e}"
                )))
            }
        }
    }
}

/// The serving thread: sleeps until librdkafka (or `Driver::drop`) writes to `wake`, then
/// serves every event on the queue: delivery reports, errors, logs, statistics.
fn serve<C: ClientContext + 'static>(shared: &Shared<C>) {
    let Shared {
        producer,
        queue,
        wake,
        stop,
    } = shared;
    let mut counter = [0u8; 8];
    loop {
        let mut fds = [PollFd::new(wake, PollFlags::IN)];
        // EINTR or a timeout: look at the queue all the same.
        rustix::event::poll(&mut fds, Some(&IDLE_CHECK)).ok();
        // Resets the counter; EAGAIN when the wait timed out.
        rustix::io::read(wake, &mut counter).ok();
        if stop.load(Ordering::Acquire) {
            return;
        }
        // Each poll serves one event and marks the queue served, so librdkafka writes again
        // for the next event that arrives, even one that arrives while this loop runs.
        // SAFETY: the queue handle is alive while the driver (which joins this thread) is.
        while unsafe { rdsys::rd_kafka_queue_length(queue.0) } > 0 {
            producer.poll(Duration::ZERO);
            if stop.load(Ordering::Acquire) {
                return;
            }
        }
    }
}

fn wake(fd: &OwnedFd) {
    // Only fails if the counter would overflow, when the thread is awake anyway.
    rustix::io::write(fd, &1u64.to_ne_bytes()).ok();
}

// `FutureRecord` and `BaseRecord` carry the same fields; rdkafka's own conversions between
// them are private, so the two directions are spelled out here.
fn into_base<'a, K, P>(
    record: FutureRecord<'a, K, P>,
    tx: Box<oneshot::Sender<OwnedDeliveryResult>>,
) -> BaseRecord<'a, K, P, Box<oneshot::Sender<OwnedDeliveryResult>>>
where
    K: ToBytes + ?Sized,
    P: ToBytes + ?Sized,
{
    BaseRecord {
        topic: record.topic,
        partition: record.partition,
        payload: record.payload,
        key: record.key,
        timestamp: record.timestamp,
        headers: record.headers,
        delivery_opaque: tx,
    }
}

fn from_base<'a, K, P, D: rdkafka::IntoOpaque>(
    record: BaseRecord<'a, K, P, D>,
) -> FutureRecord<'a, K, P>
where
    K: ToBytes + ?Sized,
    P: ToBytes + ?Sized,
{
    FutureRecord {
        topic: record.topic,
        partition: record.partition,
        payload: record.payload,
        key: record.key,
        timestamp: record.timestamp,
        headers: record.headers,
    }
}

impl<C: ClientContext + 'static> EventProducer<C> {
    /// Enqueues `record`; its [`DeliveryFuture`] resolves with librdkafka's delivery report.
    /// A refused record (the queue is full, the topic is unknown...) comes back with the error.
    #[allow(clippy::result_large_err)]
    pub fn send_result<'a, K, P>(
        &self,
        record: FutureRecord<'a, K, P>,
    ) -> Result<DeliveryFuture, (KafkaError, FutureRecord<'a, K, P>)>
    where
        K: ToBytes + ?Sized,
        P: ToBytes + ?Sized,
    {
        let (tx, rx) = oneshot::channel();
        self.driver
            .shared
            .producer
            .send(into_base(record, Box::new(tx)))
            .map(|()| DeliveryFuture { rx })
            .map_err(|(e, record)| (e, from_base(record)))
    }

    /// Sends `record` and waits for its delivery report, retrying while the queue is full for
    /// up to `queue_timeout`, as `FutureProducer::send` does.
    #[allow(clippy::result_large_err)]
    pub async fn send<K, P, T>(
        &self,
        record: FutureRecord<'_, K, P>,
        queue_timeout: T,
    ) -> OwnedDeliveryResult
    where
        K: ToBytes + ?Sized,
        P: ToBytes + ?Sized,
        T: Into<Timeout>,
    {
        let start = Instant::now();
        let queue_timeout = queue_timeout.into();
        let (tx, rx) = oneshot::channel();
        let mut record = into_base(record, Box::new(tx));
        loop {
            match self.driver.shared.producer.send(record) {
                Ok(()) => {
                    return rx.await.unwrap_or_else(|_| {
                        Err((
                            KafkaError::Canceled,
                            OwnedMessage::new(
                                None,
                                None,
                                String::new(),
                                rdkafka::Timestamp::NotAvailable,
                                -1,
                                -1,
                                None,
                            ),
                        ))
                    });
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back))
                    if match queue_timeout {
                        Timeout::Never => true,
                        Timeout::After(t) => start.elapsed() < t,
                    } =>
                {
                    record = back;
                    tokio::time::sleep(QUEUE_FULL_RETRY).await;
                }
                Err((e, back)) => {
                    let message = OwnedMessage::new(
                        back.payload.map(|p| p.to_bytes().to_vec()),
                        back.key.map(|k| k.to_bytes().to_vec()),
                        back.topic.to_owned(),
                        back.timestamp.map_or(
                            rdkafka::Timestamp::NotAvailable,
                            rdkafka::Timestamp::CreateTime,
                        ),
                        back.partition.unwrap_or(-1),
                        0,
                        back.headers,
                    );
                    return Err((e, message));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
