//! One task run's metrics: what Kafka's `WorkerTask.TaskMetricsGroup`, `SourceTaskMetricsGroup`,
//! `SinkTaskMetricsGroup` and `ErrorHandlingMetrics` keep, updated by the runners once per batch.
//!
//! Every update takes one short `std::sync::Mutex` lock and never holds it across an `.await`.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::window::Window;
use super::{Bean, BeanType};

/// Source or sink: which runner-specific group a task has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Source,
    Sink,
}

/// A plugin series: `(name, labels)`.
type PluginKey = (String, Vec<(String, String)>);

/// The metrics of one task run; the runner and the plugin's host hold it, the worker renders it.
#[derive(Debug)]
pub struct TaskMetrics {
    pub(crate) connector: String,
    pub(crate) task: u32,
    pub(crate) kind: TaskKind,
    stats: Mutex<Stats>,
    plugin: Mutex<BTreeMap<PluginKey, f64>>,
}

#[derive(Debug)]
struct Stats {
    paused: bool,
    since: Instant,
    running: Duration,
    paused_for: Duration,
    started: Instant,
    batch_size: Window,
    commit_time: Window,
    commit_success: Window,
    // source
    poll_total: u64,
    poll_rate: Window,
    poll_time: Window,
    write_total: u64,
    write_rate: Window,
    active: i64,
    active_stat: Window,
    // sink
    read_total: u64,
    read_rate: Window,
    send_total: u64,
    send_rate: Window,
    put_time: Window,
    commit_completion_total: u64,
    commit_completion_rate: Window,
    partition_count: usize,
    /// Records lag per `(topic, partition)`: high watermark minus the next offset to read.
    lag: BTreeMap<(String, i32), i64>,
    // errors
    record_errors: u64,
    record_failures: u64,
    records_skipped: u64,
    errors_logged: u64,
    dlq_requests: u64,
    dlq_failures: u64,
    last_error_ms: i64,
}

/// Errors met in one batch, counted locally and recorded at once.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCounts {
    /// Records that hit an error (`total-record-errors`).
    pub errors: u64,
    /// Failed operation attempts (`total-record-failures`).
    pub failures: u64,
    /// Records skipped under `errors.tolerance=all` (`total-records-skipped`).
    pub skipped: u64,
    /// Errors written to the log (`total-errors-logged`).
    pub logged: u64,
}

impl ErrorCounts {
    /// A record skipped under `errors.tolerance=all` (after one failed attempt).
    pub fn skipped_one(&mut self, logged: bool) {
        self.errors += 1;
        self.failures += 1;
        self.skipped += 1;
        self.logged += u64::from(logged);
    }

    /// A record whose error fails the task.
    pub fn failed_one() -> Self {
        Self {
            errors: 1,
            failures: 1,
            ..Self::default()
        }
    }
}

impl TaskMetrics {
    pub fn new(connector: &str, task: u32, kind: TaskKind) -> Self {
        let now = Instant::now();
        Self {
            connector: connector.to_owned(),
            task,
            kind,
            stats: Mutex::new(Stats {
                paused: false,
                since: now,
                running: Duration::ZERO,
                paused_for: Duration::ZERO,
                started: now,
                batch_size: Window::new(now),
                commit_time: Window::new(now),
                commit_success: Window::new(now),
                poll_total: 0,
                poll_rate: Window::new(now),
                poll_time: Window::new(now),
                write_total: 0,
                write_rate: Window::new(now),
                active: 0,
                active_stat: Window::new(now),
                read_total: 0,
                read_rate: Window::new(now),
                send_total: 0,
                send_rate: Window::new(now),
                put_time: Window::new(now),
                commit_completion_total: 0,
                commit_completion_rate: Window::new(now),
                partition_count: 0,
                lag: BTreeMap::new(),
                record_errors: 0,
                record_failures: 0,
                records_skipped: 0,
                errors_logged: 0,
                dlq_requests: 0,
                dlq_failures: 0,
                last_error_ms: 0,
            }),
            plugin: Mutex::new(BTreeMap::new()),
        }
    }

    /// A poisoned lock is taken over: the stats are plain numbers, always consistent enough.
    fn stats(&self) -> MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The task paused or resumed (`TaskMetricsGroup.onPause/onResume`).
    pub fn set_paused(&self, paused: bool) {
        let now = Instant::now();
        let mut s = self.stats();
        if s.paused == paused {
            return;
        }
        let spent = now.saturating_duration_since(s.since);
        if s.paused {
            s.paused_for += spent;
        } else {
            s.running += spent;
        }
        s.paused = paused;
        s.since = now;
    }

    /// `poll` returned `records` after `took` (`SourceTaskMetricsGroup.recordPoll`).
    pub fn source_polled(&self, records: usize, took: Duration) {
        let now = Instant::now();
        let n = records as f64;
        let mut s = self.stats();
        s.batch_size.record(now, n);
        s.poll_total += records as u64;
        s.poll_rate.record(now, n);
        s.poll_time.record(now, took.as_secs_f64() * 1000.0);
        s.active += records as i64;
        let active = s.active as f64;
        s.active_stat.record(now, active);
    }

    /// A polled batch of `records` was acknowledged, `written` of them sent to Kafka (the rest
    /// dropped by a transform or skipped) (`recordWrite`).
    pub fn source_written(&self, records: usize, written: usize) {
        let now = Instant::now();
        let mut s = self.stats();
        s.write_total += written as u64;
        s.write_rate.record(now, written as f64);
        s.active = (s.active - records as i64).max(0);
        let active = s.active as f64;
        s.active_stat.record(now, active);
    }

    /// An offset commit finished (`recordCommitSuccess` / `recordCommitFailure`).
    pub fn offset_commit(&self, ok: bool, took: Duration) {
        let now = Instant::now();
        let mut s = self.stats();
        if ok {
            s.commit_time.record(now, took.as_secs_f64() * 1000.0);
        }
        s.commit_success.record(now, if ok { 1.0 } else { 0.0 });
    }

    /// The sink consumer handed over `records` (`recordRead`).
    pub fn sink_read(&self, records: usize) {
        let now = Instant::now();
        let mut s = self.stats();
        s.read_total += records as u64;
        s.read_rate.record(now, records as f64);
    }

    /// `put` of `records` returned after `took`; `active` records are read but not committed
    /// (`recordSend`, `recordPut`, `recordActiveCount`).
    pub fn sink_put(&self, records: usize, took: Duration, active: i64) {
        let now = Instant::now();
        let n = records as f64;
        let mut s = self.stats();
        s.batch_size.record(now, n);
        s.send_total += records as u64;
        s.send_rate.record(now, n);
        s.put_time.record(now, took.as_secs_f64() * 1000.0);
        s.active = active;
        s.active_stat.record(now, active as f64);
    }

    /// The sink's offsets were committed; `active` records are still uncommitted
    /// (`recordOffsetCommitSuccess` of `SinkTaskMetricsGroup`).
    pub fn sink_committed(&self, active: i64) {
        let now = Instant::now();
        let mut s = self.stats();
        s.commit_completion_total += 1;
        s.commit_completion_rate.record(now, 1.0);
        s.active = active;
        s.active_stat.record(now, active as f64);
    }

    /// The sink's assignment changed (`recordPartitionCount`).
    pub fn partition_count(&self, count: usize) {
        self.stats().partition_count = count;
    }

    /// The latest records lag of each assigned partition; partitions not listed are dropped.
    pub fn set_lag(&self, lag: BTreeMap<(String, i32), i64>) {
        self.stats().lag = lag;
    }

    /// Errors of one batch (`ErrorHandlingMetrics`).
    pub fn errors(&self, e: ErrorCounts) {
        if e == ErrorCounts::default() {
            return;
        }
        let mut s = self.stats();
        s.record_errors += e.errors;
        s.record_failures += e.failures;
        s.records_skipped += e.skipped;
        s.errors_logged += e.logged;
        s.last_error_ms = chrono::Utc::now().timestamp_millis();
    }

    /// A record sent to the dead letter queue (`recordDeadLetterQueueProduceRequest/Failed`).
    pub fn dlq_produce(&self, ok: bool) {
        let mut s = self.stats();
        s.dlq_requests += 1;
        if !ok {
            s.dlq_failures += 1;
        }
    }

    /// A plugin's gauge (`TaskHost::report_metric`).
    pub fn plugin_metric(&self, name: &str, labels: &[(&str, &str)], value: f64) {
        let key = (
            name.to_owned(),
            labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        self.plugin
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, value);
    }

    /// The plugin's series, for rendering.
    pub(crate) fn plugin_series(&self) -> Vec<(PluginKey, f64)> {
        self.plugin
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    /// Total records moved so far: polled (source) or read (sink). For tests and logs.
    pub fn records_total(&self) -> u64 {
        let s = self.stats();
        match self.kind {
            TaskKind::Source => s.poll_total,
            TaskKind::Sink => s.read_total,
        }
    }

    /// The task's attributes as Kafka's MBeans hold them, read at `now`.
    pub(crate) fn beans(&self, now: Instant, out: &mut Vec<Bean>) {
        let s = self.stats();
        let mut push = |ty: BeanType, attr: &'static str, value: f64| {
            out.push(Bean::task(ty, attr, &self.connector, self.task, value));
        };
        let spent = now.saturating_duration_since(s.since);
        let (running, paused) = if s.paused {
            (s.running, s.paused_for + spent)
        } else {
            (s.running + spent, s.paused_for)
        };
        let total = now.saturating_duration_since(s.started).as_secs_f64();
        let ratio = |d: Duration| {
            if total > 0.0 {
                d.as_secs_f64() / total
            } else {
                0.0
            }
        };
        use BeanType::{ConnectorTask as T, SinkTask as K, SourceTask as S, TaskError as E};
        push(T, "running-ratio", ratio(running));
        push(T, "pause-ratio", ratio(paused));
        push(T, "batch-size-avg", s.batch_size.avg(now));
        push(T, "batch-size-max", s.batch_size.max(now));
        push(T, "offset-commit-avg-time-ms", s.commit_time.avg(now));
        push(T, "offset-commit-max-time-ms", s.commit_time.max(now));
        // `Frequencies.forBooleanValues`: fractions of the commits in the window, 0 without any
        // (Kafka names them percentages but reports 0..1).
        let success = s.commit_success.avg(now);
        let (ok, failed) = if success.is_nan() {
            (0.0, 0.0)
        } else {
            (success, 1.0 - success)
        };
        push(T, "offset-commit-success-percentage", ok);
        push(T, "offset-commit-failure-percentage", failed);
        match self.kind {
            TaskKind::Source => {
                push(S, "source-record-poll-rate", s.poll_rate.rate(now));
                push(S, "source-record-poll-total", s.poll_total as f64);
                push(S, "source-record-write-rate", s.write_rate.rate(now));
                push(S, "source-record-write-total", s.write_total as f64);
                push(S, "poll-batch-avg-time-ms", s.poll_time.avg(now));
                push(S, "poll-batch-max-time-ms", s.poll_time.max(now));
                push(S, "source-record-active-count", s.active as f64);
                push(S, "source-record-active-count-avg", s.active_stat.avg(now));
                push(S, "source-record-active-count-max", s.active_stat.max(now));
            }
            TaskKind::Sink => {
                push(K, "sink-record-read-rate", s.read_rate.rate(now));
                push(K, "sink-record-read-total", s.read_total as f64);
                push(K, "sink-record-send-rate", s.send_rate.rate(now));
                push(K, "sink-record-send-total", s.send_total as f64);
                push(K, "put-batch-avg-time-ms", s.put_time.avg(now));
                push(K, "put-batch-max-time-ms", s.put_time.max(now));
                push(
                    K,
                    "offset-commit-completion-rate",
                    s.commit_completion_rate.rate(now),
                );
                push(
                    K,
                    "offset-commit-completion-total",
                    s.commit_completion_total as f64,
                );
                push(K, "partition-count", s.partition_count as f64);
                push(K, "sink-record-active-count", s.active as f64);
                push(K, "sink-record-active-count-avg", s.active_stat.avg(now));
                push(K, "sink-record-active-count-max", s.active_stat.max(now));
                let lag_max = s.lag.values().copied().max().map_or(f64::NAN, |m| m as f64);
                push(K, "sink-record-lag-max", lag_max);
            }
        }
        push(E, "total-record-errors", s.record_errors as f64);
        push(E, "total-record-failures", s.record_failures as f64);
        push(E, "total-records-skipped", s.records_skipped as f64);
        push(E, "total-errors-logged", s.errors_logged as f64);
        push(E, "total-retries", 0.0);
        push(E, "deadletterqueue-produce-requests", s.dlq_requests as f64);
        push(E, "deadletterqueue-produce-failures", s.dlq_failures as f64);
        push(E, "last-error-timestamp", s.last_error_ms as f64);
        if self.kind == TaskKind::Sink {
            // The sink consumer's `records-lag` (`consumer-fetch-manager-metrics`), under the
            // client id Kafka gives a sink task's consumer.
            let client = format!("connector-consumer-{}-{}", self.connector, self.task);
            for ((topic, partition), lag) in &s.lag {
                out.push(Bean::records_lag(&client, topic, *partition, *lag as f64));
            }
        }
    }
}
