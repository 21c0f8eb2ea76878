//! Reading a topic back from the beginning, as a test checks what the worker wrote.
//!
//! Nothing here trusts the broker's watermarks. tansu 0.6 under-reports the high watermark of
//! partitions written in multi-record batches, so "read up to the high watermark" (or waiting
//! for lag 0) stops early and silently drops records that are in the log. Instead a read stops
//! on what the test knows: a record count ([`Until::Count`]) or a quiet period
//! ([`Until::Quiet`]).

use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Headers, Message};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use crate::{BoxError, random_name};

/// How long [`consumer_from_beginning`] waits for the topic and [`read_topic`] reads at most.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// When [`read_topic`] stops reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Once `n` records were read, keep reading for `settle` more, so that extras (duplicates
    /// a test must notice) are caught too, then stop.
    Count { n: usize, settle: Duration },
    /// Once no record arrived for this long. For topics whose final size the test does not
    /// know (the worker's internal topics); costs at least this long per read.
    Quiet(Duration),
}

/// One record read back from a topic, as stored: bytes, not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicRecord {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    /// `None` for a tombstone.
    pub value: Option<Vec<u8>>,
    /// In the order they were written; a header's value may be null.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl TopicRecord {
    /// The key as text (lossy UTF-8).
    pub fn key_text(&self) -> Option<String> {
        self.key
            .as_deref()
            .map(|k| String::from_utf8_lossy(k).into_owned())
    }

    /// The value as text (lossy UTF-8); `None` for a tombstone.
    pub fn value_text(&self) -> Option<String> {
        self.value
            .as_deref()
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }
}

/// Reads every partition of `topic` from the beginning until `until` says stop, and returns
/// the records sorted by (partition, offset).
///
/// Stops on a count or a quiet period, never on the high watermarks: see the module docs
/// (tansu 0.6 under-reports them). Waits for the topic to exist first. After 60 s it returns
/// what it has rather than an error, so the caller's assertion (with the worker's log) reports
/// the shortfall.
///
/// # Errors
/// If the topic does not appear within 60 s, or the consumer fails.
pub async fn read_topic(
    bootstrap: &str,
    topic: &str,
    until: Until,
) -> Result<Vec<TopicRecord>, BoxError> {
    let (bootstrap, topic) = (bootstrap.to_owned(), topic.to_owned());
    // librdkafka's `BaseConsumer::poll` blocks; keep it off the test's runtime threads, which
    // are also driving the REST client and (on a current-thread runtime) everything else.
    tokio::task::spawn_blocking(move || read_blocking(&bootstrap, &topic, until)).await?
}

fn read_blocking(bootstrap: &str, topic: &str, until: Until) -> Result<Vec<TopicRecord>, BoxError> {
    let consumer = consumer_from_beginning(bootstrap, topic)?;
    let mut out = Vec::new();
    let mut progress = Progress::new(until, Instant::now());
    while !progress.finished(out.len(), Instant::now()) {
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            let m = match m {
                Ok(m) => m,
                // A dropped broker connection is reported as an error and librdkafka reconnects
                // by itself, as Kafka's consumer does silently: the reader goes on until its
                // deadline instead of failing the test.
                Err(KafkaError::MessageConsumption(
                    RDKafkaErrorCode::AllBrokersDown | RDKafkaErrorCode::BrokerTransportFailure,
                )) => continue,
                Err(e) => return Err(e.into()),
            };
            progress.record_at(Instant::now());
            let headers = m
                .headers()
                .map(|hs| {
                    hs.iter()
                        .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
                        .collect()
                })
                .unwrap_or_default();
            out.push(TopicRecord {
                partition: m.partition(),
                offset: m.offset(),
                key: m.key().map(<[u8]>::to_vec),
                value: m.payload().map(<[u8]>::to_vec),
                headers,
            });
        }
    }
    out.sort_by_key(|r| (r.partition, r.offset));
    Ok(out)
}

/// A consumer assigned every partition of `topic` at the beginning, with no committed group
/// offsets (a fresh random group, auto-commit off). For tests that watch a topic live; to read
/// it once, use [`read_topic`].
///
/// Blocks (up to 60 s) until the topic exists, and the consumer's `poll` blocks: call it from a
/// thread of its own or `spawn_blocking`.
///
/// # Errors
/// If the topic does not appear within 60 s, or the consumer cannot be created.
pub fn consumer_from_beginning(bootstrap: &str, topic: &str) -> Result<BaseConsumer, BoxError> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", random_name("reader"))
        .set("enable.auto.commit", "false")
        // tansu holds a fetch for the full `fetch.wait.max.ms` when there is nothing new, which
        // with the default (500 ms) makes every read of a quiet topic slow.
        .set("fetch.wait.max.ms", "10")
        .create()?;
    let deadline = Instant::now() + READ_TIMEOUT;
    loop {
        // Metadata for a topic not yet created comes back with an error (or, from some
        // brokers, without partitions) rather than failing: retry until it has partitions.
        let md = consumer.fetch_metadata(Some(topic), Duration::from_secs(5));
        let parts: Vec<i32> = md
            .ok()
            .iter()
            .flat_map(|m| m.topics())
            .filter(|t| t.name() == topic && t.error().is_none())
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        if !parts.is_empty() {
            let mut tpl = TopicPartitionList::new();
            for p in parts {
                tpl.add_partition_offset(topic, p, Offset::Beginning)?;
            }
            consumer.assign(&tpl)?;
            return Ok(consumer);
        }
        if Instant::now() >= deadline {
            return Err(format!("topic {topic} was never created").into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The stop rule of [`read_topic`], apart from the consumer so it can be tested without a
/// broker.
#[derive(Debug)]
struct Progress {
    until: Until,
    deadline: Instant,
    last_record: Instant,
    settle_until: Option<Instant>,
}

impl Progress {
    fn new(until: Until, now: Instant) -> Self {
        Self {
            until,
            deadline: now + READ_TIMEOUT,
            // Quiet counts from the start, so an empty topic ends the read after one period.
            last_record: now,
            settle_until: None,
        }
    }

    fn record_at(&mut self, now: Instant) {
        self.last_record = now;
    }

    /// Whether to stop, having read `read` records by `now`.
    fn finished(&mut self, read: usize, now: Instant) -> bool {
        if now >= self.deadline {
            return true;
        }
        match self.until {
            Until::Count { n, settle } => {
                if read >= n && self.settle_until.is_none() {
                    self.settle_until = Some(now + settle);
                }
                self.settle_until.is_some_and(|t| now >= t)
            }
            Until::Quiet(quiet) => now.duration_since(self.last_record) >= quiet,
        }
    }
}

/// Creates `topic` with one partition and writes `values` to it, in order, with no key.
///
/// # Errors
/// When the topic cannot be created or a value not delivered.
pub async fn topic_with_values(
    bootstrap: &str,
    topic: &str,
    values: &[&str],
) -> Result<(), BoxError> {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()?;
    admin
        .create_topics(
            [&NewTopic::new(topic, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await?;
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()?;
    for v in values {
        producer
            .send(
                FutureRecord::<(), str>::to(topic).payload(v),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| e)?;
    }
    Ok(())
}

/// The FileStream lines in `topic` with how often each occurs, once `n` records are there (and
/// 2 s passed without more): a JsonConverter value with schemas
/// (`{"schema":{…},"payload":"line 00001"}`) counts as its payload, any other value as its text.
///
/// # Errors
/// When the topic cannot be read.
pub async fn topic_line_counts(
    bootstrap: &str,
    topic: &str,
    n: usize,
) -> Result<std::collections::BTreeMap<String, usize>, BoxError> {
    let records = read_topic(
        bootstrap,
        topic,
        Until::Count {
            n,
            settle: Duration::from_secs(2),
        },
    )
    .await?;
    let mut out = std::collections::BTreeMap::new();
    for r in records {
        let text = r.value_text().unwrap_or_default();
        let line = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["payload"].as_str().map(str::to_owned))
            .unwrap_or(text);
        *out.entry(line).or_default() += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn count_keeps_reading_for_the_settle_period_after_the_nth_record() {
        let t0 = Instant::now();
        let mut p = Progress::new(
            Until::Count {
                n: 2,
                settle: 100 * MS,
            },
            t0,
        );
        assert!(!p.finished(1, t0 + 500 * MS), "short of n: keep reading");
        assert!(
            !p.finished(2, t0 + 600 * MS),
            "settle starts at the nth record"
        );
        assert!(!p.finished(3, t0 + 650 * MS), "extras do not restart it");
        assert!(p.finished(3, t0 + 700 * MS));
    }

    #[test]
    fn quiet_stops_only_after_a_period_without_records() {
        let t0 = Instant::now();
        let mut p = Progress::new(Until::Quiet(100 * MS), t0);
        assert!(!p.finished(0, t0 + 50 * MS));
        p.record_at(t0 + 90 * MS);
        assert!(
            !p.finished(1, t0 + 150 * MS),
            "a record restarts the period"
        );
        assert!(p.finished(1, t0 + 190 * MS));
        assert!(
            Progress::new(Until::Quiet(100 * MS), t0).finished(0, t0 + 100 * MS),
            "an empty topic ends after one period"
        );
    }

    #[test]
    fn every_mode_stops_at_the_deadline() {
        let t0 = Instant::now();
        let end = t0 + READ_TIMEOUT;
        let count = Until::Count { n: 10, settle: MS };
        assert!(Progress::new(count, t0).finished(0, end));
        let mut quiet = Progress::new(Until::Quiet(MS), t0);
        quiet.record_at(end);
        assert!(quiet.finished(5, end));
    }
}
