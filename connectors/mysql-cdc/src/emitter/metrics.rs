//! Debezium's MySQL streaming and snapshot metrics (`StreamingChangeEventSourceMetrics`,
//! `SnapshotChangeEventSourceMetrics`, `MySqlStreamingChangeEventSourceMetrics`), served at
//! `GET /metrics` through `TaskHost::report_metric` under the names the Debezium JMX exporter
//! rule gives them: `debezium.([^:]+)<type=connector-metrics, context=([^,]+), server=([^>]+)>([^:]+)`
//! → `debezium_metrics_$4{plugin="mysql",name="<topic.prefix>",context="streaming"}` (names keep
//! their case: that rule set has `lowercaseOutputName: false`), and
//! `…, key=([^>]+)><>RowsScanned` → `debezium_metrics_RowsScanned{plugin,name,context,table}`.
//! Booleans are 1/0, as the exporter turns them. `BinlogFilename` is a string the exporter
//! drops; Sluice serves it as `debezium_metrics_BinlogFilename{…,filename="…"} 1`.
//!
//! Counting is a few integer updates per event; the series are published at most once a second
//! (and when the stream connects or disconnects).

use std::time::{Duration, Instant};

use connect_api::TaskHost;

use crate::event::SourceInfo;

/// How often the streaming series are published at most.
const EVERY: Duration = Duration::from_secs(1);

/// The streaming context's counters.
#[derive(Debug, Default)]
pub(crate) struct StreamingMetrics {
    events_seen: u64,
    committed_transactions: u64,
    last_event_ts_ms: Option<i64>,
    binlog_file: String,
    binlog_pos: i64,
    connected: bool,
    /// Something changed since the last publication.
    dirty: bool,
    last_report: Option<Instant>,
}

impl StreamingMetrics {
    /// A streamed change event (snapshot rows are the snapshot context's).
    pub(crate) fn event(&mut self, source: &SourceInfo) {
        if source.snapshot.is_some() {
            return;
        }
        self.events_seen += 1;
        self.last_event_ts_ms = Some(source.ts_ms);
        if self.binlog_file != source.file {
            self.binlog_file.clone_from(&source.file);
        }
        self.binlog_pos = source.pos;
        self.dirty = true;
    }

    /// A transaction committed (`NumberOfCommittedTransactions`).
    pub(crate) fn committed(&mut self) {
        self.committed_transactions += 1;
        self.dirty = true;
    }

    /// The binlog connection opened or was lost (`Connected`); published at once.
    pub(crate) fn set_connected(&mut self, connected: bool) {
        self.connected = connected;
        self.dirty = true;
        self.last_report = None;
    }

    /// Publishes the series when something changed and the last publication is a second old.
    pub(crate) fn report(&mut self, host: &dyn TaskHost, plugin: &str, server: &str) {
        let now = Instant::now();
        if !self.dirty
            || self
                .last_report
                .is_some_and(|t| now.duration_since(t) < EVERY)
        {
            return;
        }
        self.dirty = false;
        self.last_report = Some(now);
        let labels = [
            ("plugin", plugin),
            ("name", server),
            ("context", "streaming"),
        ];
        let behind = self
            .last_event_ts_ms
            .map_or(-1.0, |ts| (crate::emitter::now_ms() - ts).max(0) as f64);
        let gauges = [
            ("debezium_metrics_MilliSecondsBehindSource", behind),
            (
                "debezium_metrics_TotalNumberOfEventsSeen",
                self.events_seen as f64,
            ),
            (
                "debezium_metrics_NumberOfCommittedTransactions",
                self.committed_transactions as f64,
            ),
            (
                "debezium_metrics_Connected",
                f64::from(u8::from(self.connected)),
            ),
            ("debezium_metrics_BinlogPosition", self.binlog_pos as f64),
            (
                "debezium_metrics_MilliSecondsSinceLastEvent",
                self.last_event_ts_ms.map_or(-1.0, |_| 0.0),
            ),
        ];
        for (name, value) in gauges {
            host.report_metric(name, &labels, value);
        }
        if !self.binlog_file.is_empty() {
            let labels = [
                ("plugin", plugin),
                ("name", server),
                ("context", "streaming"),
                ("filename", self.binlog_file.as_str()),
            ];
            host.report_metric("debezium_metrics_BinlogFilename", &labels, 1.0);
        }
    }
}

/// Publishes the snapshot context: `RowsScanned` of `table`, the table counts, and whether the
/// snapshot runs or completed.
pub(crate) fn report_snapshot(
    host: &dyn TaskHost,
    plugin: &str,
    server: &str,
    table: Option<(&str, u64)>,
    tables_done: usize,
    tables_total: usize,
    running: bool,
) {
    let labels = [
        ("plugin", plugin),
        ("name", server),
        ("context", "snapshot"),
    ];
    if let Some((table, rows)) = table {
        let mut with_table = labels.to_vec();
        with_table.push(("table", table));
        host.report_metric("debezium_metrics_RowsScanned", &with_table, rows as f64);
    }
    let remaining = tables_total.saturating_sub(tables_done);
    let gauges = [
        ("debezium_metrics_TotalTableCount", tables_total as f64),
        ("debezium_metrics_RemainingTableCount", remaining as f64),
        (
            "debezium_metrics_SnapshotRunning",
            f64::from(u8::from(running)),
        ),
        (
            "debezium_metrics_SnapshotCompleted",
            f64::from(u8::from(!running)),
        ),
    ];
    for (name, value) in gauges {
        host.report_metric(name, &labels, value);
    }
}
