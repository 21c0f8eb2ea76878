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
        if !self.dirty {
            return;
        }
        let now = Instant::now();
        if self
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use super::*;

    /// Keeps the latest value of each reported series.
    #[derive(Debug, Default)]
    struct Recorder(Mutex<BTreeMap<String, f64>>);

    impl TaskHost for Recorder {
        fn request_commit(&self) {}
        fn report_progress(&self, _progress: serde_json::Value) {}
        fn report_metric(&self, name: &str, labels: &[(&str, &str)], value: f64) {
            let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            self.0
                .lock()
                .expect("lock")
                .insert(format!("{name}{{{}}}", labels.join(",")), value);
        }
    }

    impl Recorder {
        fn get(&self, series: &str) -> Option<f64> {
            self.0.lock().expect("lock").get(series).copied()
        }
    }

    fn source(snapshot: Option<&'static str>, ts_ms: i64, pos: i64) -> SourceInfo {
        SourceInfo {
            ts_ms,
            snapshot,
            db: "shop".into(),
            table: Some("orders".into()),
            server_id: 1,
            gtid: None,
            file: "binlog.000003".into(),
            pos,
            row: 0,
            thread: None,
            query: None,
        }
    }

    const S: &str = "plugin=mysql,name=shop,context=streaming";

    #[test]
    fn streamed_events_and_commits_are_counted_and_snapshot_rows_are_not() {
        let host = Recorder::default();
        let mut m = StreamingMetrics::default();
        m.set_connected(true);
        m.event(&source(Some("true"), 1, 4));
        m.event(&source(None, crate::emitter::now_ms() - 5_000, 100));
        m.event(&source(None, crate::emitter::now_ms(), 200));
        m.committed();
        m.report(&host, "mysql", "shop");
        let get = |n: &str| host.get(&format!("debezium_metrics_{n}{{{S}}}"));
        assert_eq!(get("TotalNumberOfEventsSeen"), Some(2.0));
        assert_eq!(get("NumberOfCommittedTransactions"), Some(1.0));
        assert_eq!(get("Connected"), Some(1.0));
        assert_eq!(get("BinlogPosition"), Some(200.0));
        assert!(get("MilliSecondsBehindSource").is_some_and(|v| (0.0..1_000.0).contains(&v)));
        assert_eq!(
            host.get(&format!(
                "debezium_metrics_BinlogFilename{{{S},filename=binlog.000003}}"
            )),
            Some(1.0)
        );
    }

    #[test]
    fn publication_waits_a_second_but_a_disconnect_goes_out_at_once() {
        let host = Recorder::default();
        let mut m = StreamingMetrics::default();
        m.set_connected(true);
        m.report(&host, "mysql", "shop");
        m.event(&source(None, 1, 10));
        m.report(&host, "mysql", "shop");
        let seen = format!("debezium_metrics_TotalNumberOfEventsSeen{{{S}}}");
        assert_eq!(host.get(&seen), Some(0.0), "held back within the second");
        m.set_connected(false);
        m.report(&host, "mysql", "shop");
        assert_eq!(host.get(&seen), Some(1.0));
        assert_eq!(
            host.get(&format!("debezium_metrics_Connected{{{S}}}")),
            Some(0.0)
        );
    }

    #[test]
    fn a_finished_snapshot_reports_no_remaining_tables() {
        let host = Recorder::default();
        report_snapshot(
            &host,
            "mysql",
            "shop",
            Some(("shop.orders", 300)),
            2,
            2,
            false,
        );
        let s = "plugin=mysql,name=shop,context=snapshot";
        assert_eq!(
            host.get(&format!(
                "debezium_metrics_RowsScanned{{{s},table=shop.orders}}"
            )),
            Some(300.0)
        );
        assert_eq!(
            host.get(&format!("debezium_metrics_RemainingTableCount{{{s}}}")),
            Some(0.0)
        );
        assert_eq!(
            host.get(&format!("debezium_metrics_SnapshotCompleted{{{s}}}")),
            Some(1.0)
        );
        assert_eq!(
            host.get(&format!("debezium_metrics_SnapshotRunning{{{s}}}")),
            Some(0.0)
        );
    }
}
