//! Debezium's binlog offset (reference §6) and its source partition.
//!
//! `file`/`pos` are the restart coordinates: the start of the transaction being read (or the
//! position after the last complete event outside a transaction). `event` counts the events of
//! that transaction already handled and `row` the rows of the next rows event already emitted,
//! so a restart skips exactly what was sent.

use connect_api::{OffsetForm, SourceOffset, SourcePartition};
use serde_json::{Map, Value as Json};

use crate::error::{CdcError, Result};
use crate::event::Layout;

/// `{"server":"<topic.prefix>"}`.
pub fn partition(server: &str) -> SourcePartition {
    let mut m = Map::new();
    m.insert("server".into(), Json::String(server.into()));
    SourcePartition::new(m)
}

/// One binlog offset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BinlogOffset {
    pub file: String,
    pub pos: u64,
    /// The completed GTID set (MySQL `uuid:1-5,…`, MariaDB `0-1-42,…`).
    pub gtids: Option<String>,
    /// Events of the current transaction already handled.
    pub event: u64,
    /// Rows of the next rows event already emitted.
    pub row: u64,
    pub ts_sec: Option<i64>,
    pub server_id: Option<i64>,
    /// `true` while the initial snapshot is not complete.
    pub snapshot: bool,
    /// Sluice extension (chunked snapshots): the table being read and the primary key of the
    /// last row emitted from it, as a JSON array, so a restarted snapshot resumes after it.
    pub snapshot_table: Option<String>,
    pub snapshot_key: Option<String>,
}

/// `TransactionContext.OFFSET_TRANSACTION_ID`.
pub(crate) const OFFSET_TRANSACTION_ID: &str = "transaction_id";

/// What a change record's offset is made of, kept as it is until the worker commits the
/// newest record of a batch (a CDC task's queue holds thousands of records, and a map per
/// record was ~1 KB and ten allocations that were dropped unread).
#[derive(Debug)]
pub(crate) struct RecordOffsetForm {
    pub offset: BinlogOffset,
    /// A snapshot record (or one read while the snapshot is not complete).
    pub snapshot: bool,
    pub layout: Layout,
    /// `TransactionContext.store`'s keys at the record (streaming, with transaction metadata).
    pub tx_keys: Vec<(String, Json)>,
}

impl OffsetForm for RecordOffsetForm {
    /// The offset map Debezium's `getOffset` gives the record: a snapshot record's as it is
    /// (3.x: the snapshot's kind, `SnapshotType.toString()`, where 2.x puts `true`); a
    /// streaming record's with `TransactionContext.store`'s keys (`transaction_id` and the
    /// per-table event counts while a transaction's metadata is open; 2.2 puts the id even when
    /// it is null, 3.x only when set, DBZ-7380 in 2.6.0).
    fn to_offset(&self) -> SourceOffset {
        let mut o = self.offset.to_source_offset();
        if self.snapshot {
            if self.layout.is_3x()
                && let Some(flag) = o.0.get_mut("snapshot")
            {
                *flag = Json::String("INITIAL".into());
            }
            return o;
        }
        for (key, value) in &self.tx_keys {
            o.0.insert(key.clone(), value.clone());
        }
        if !self.layout.is_3x() && !o.0.contains_key(OFFSET_TRANSACTION_ID) {
            o.0.insert(OFFSET_TRANSACTION_ID.into(), Json::Null);
        }
        o
    }

    fn heap_size(&self) -> usize {
        let o = &self.offset;
        o.file.capacity()
            + o.gtids.as_ref().map_or(0, String::capacity)
            + o.snapshot_table.as_ref().map_or(0, String::capacity)
            + o.snapshot_key.as_ref().map_or(0, String::capacity)
            + self.tx_keys.capacity() * std::mem::size_of::<(String, Json)>()
            + self
                .tx_keys
                .iter()
                .map(|(k, v)| k.capacity() + v.as_str().map_or(0, str::len))
                .sum::<usize>()
    }
}

impl BinlogOffset {
    /// The map Debezium stores; zero `row`/`event` and absent `ts_sec`/`server_id` are omitted.
    pub fn to_source_offset(&self) -> SourceOffset {
        let mut m = Map::new();
        if let Some(ts) = self.ts_sec {
            m.insert("ts_sec".into(), ts.into());
        }
        m.insert("file".into(), self.file.clone().into());
        m.insert("pos".into(), self.pos.into());
        if let Some(g) = &self.gtids {
            m.insert("gtids".into(), g.clone().into());
        }
        if self.row > 0 {
            m.insert("row".into(), self.row.into());
        }
        if let Some(s) = self.server_id.filter(|s| *s != 0) {
            m.insert("server_id".into(), s.into());
        }
        if self.event > 0 {
            m.insert("event".into(), self.event.into());
        }
        if self.snapshot {
            m.insert("snapshot".into(), true.into());
            if let (Some(t), Some(k)) = (&self.snapshot_table, &self.snapshot_key) {
                m.insert("snapshot_table".into(), t.clone().into());
                m.insert("snapshot_key".into(), k.clone().into());
            }
        }
        SourceOffset(m)
    }

    /// Reads a stored offset, Debezium's (2.x or 3.x) or Sluice's.
    ///
    /// # Errors
    /// When `file` or `pos` is missing, a known key has a value of the wrong type, or the
    /// offset holds state this connector does not implement (a key it does not know, such as
    /// Debezium's `incremental_snapshot_*`, or a snapshot kind other than the initial one):
    /// continuing without it would run differently from the JVM, so it is refused, named.
    pub fn from_source_offset(o: &SourceOffset) -> Result<Self> {
        let m = &o.0;
        let whole = || Json::Object(m.clone());
        let int = |k: &str| -> Option<i64> {
            match m.get(k)? {
                Json::Number(n) => n.as_i64(),
                Json::String(s) => s.parse().ok(),
                _ => None,
            }
        };
        let file = m
            .get("file")
            .and_then(Json::as_str)
            .ok_or_else(|| CdcError::Offset(format!("no \"file\" in {}", Json::Object(m.clone()))))?
            .to_owned();
        let pos = int("pos").ok_or_else(|| {
            CdcError::Offset(format!("no \"pos\" in {}", Json::Object(m.clone())))
        })?;
        if let Some(k) = m.keys().find(|k| !is_known_offset_key(k)) {
            return Err(CdcError::Offset(format!(
                "the key \"{k}\" in {} is state this connector does not implement{}",
                whole(),
                if k.starts_with("incremental_snapshot") {
                    " (Debezium's incremental snapshot)"
                } else {
                    ""
                }
            )));
        }
        for k in ["event", "row", "ts_sec", "server_id", "pos"] {
            match m.get(k) {
                None | Some(Json::Null) => {}
                Some(Json::Number(n)) if n.as_i64().is_some() => {}
                Some(Json::String(s)) if s.parse::<i64>().is_ok() => {}
                Some(v) => {
                    return Err(CdcError::Offset(format!(
                        "\"{k}\" is {v}, not a whole number, in {}",
                        whole()
                    )));
                }
            }
        }
        for k in [
            "gtids",
            "file",
            "transaction_id",
            "snapshot_table",
            "snapshot_key",
        ] {
            if let Some(v) = m.get(k).filter(|v| !v.is_string() && !v.is_null()) {
                return Err(CdcError::Offset(format!(
                    "\"{k}\" is {v}, not a string, in {}",
                    whole()
                )));
            }
        }
        match m.get("snapshot") {
            None | Some(Json::Null | Json::Bool(_)) => {}
            Some(Json::String(s))
                if s.eq_ignore_ascii_case("true")
                    || s.eq_ignore_ascii_case("false")
                    || s == "INITIAL" => {}
            Some(v) => {
                return Err(CdcError::Offset(format!(
                    "\"snapshot\" is {v}: only the initial snapshot (true, \"INITIAL\") is implemented, in {}",
                    whole()
                )));
            }
        }
        let snapshot = match m.get("snapshot") {
            Some(Json::Bool(b)) => *b,
            Some(Json::String(s)) => s.eq_ignore_ascii_case("true") || s == "INITIAL",
            _ => false,
        } && !matches!(m.get("snapshot_completed"), Some(Json::Bool(true)));
        Ok(Self {
            file,
            pos: u64::try_from(pos).map_err(|_| CdcError::Offset(format!("negative pos {pos}")))?,
            gtids: m.get("gtids").and_then(Json::as_str).map(str::to_owned),
            event: int("event")
                .and_then(|v| u64::try_from(v).ok())
                .unwrap_or(0),
            row: int("row").and_then(|v| u64::try_from(v).ok()).unwrap_or(0),
            ts_sec: int("ts_sec"),
            server_id: int("server_id"),
            snapshot,
            snapshot_table: m
                .get("snapshot_table")
                .and_then(Json::as_str)
                .map(str::to_owned),
            snapshot_key: m
                .get("snapshot_key")
                .and_then(Json::as_str)
                .map(str::to_owned),
        })
    }

    /// Orders positions by binlog file (numeric suffix) then position.
    pub fn position_key(&self) -> (u64, u64) {
        (file_index(&self.file), self.pos)
    }
}

/// The keys Debezium's binlog offsets hold (`BinlogOffsetContext.getOffset`,
/// `TransactionContext.store`, `OffsetContext.Loader.loadSnapshotCompleted`) and Sluice's
/// resumable-snapshot keys. The transaction metadata counters are read past: after a restart
/// the transaction's event orders count from its next event.
fn is_known_offset_key(k: &str) -> bool {
    matches!(
        k,
        "file"
            | "pos"
            | "gtids"
            | "event"
            | "row"
            | "ts_sec"
            | "server_id"
            | "snapshot"
            | "snapshot_completed"
            | "transaction_id"
            | "snapshot_table"
            | "snapshot_key"
    ) || k.starts_with("transaction_data_collection_order_")
}

/// The numeric suffix of a binlog file name (`mysql-bin.000003` → 3).
pub fn file_index(file: &str) -> u64 {
    file.rsplit('.')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip_and_omit_zero_fields_like_debezium() {
        let o = BinlogOffset {
            file: "mysql-bin.000003".into(),
            pos: 817,
            row: 1,
            event: 2,
            ts_sec: Some(1_530_088_501),
            server_id: Some(223_344),
            ..BinlogOffset::default()
        };
        let m = o.to_source_offset();
        assert_eq!(
            Json::Object(m.0.clone()).to_string(),
            r#"{"event":2,"file":"mysql-bin.000003","pos":817,"row":1,"server_id":223344,"ts_sec":1530088501}"#
        );
        assert_eq!(BinlogOffset::from_source_offset(&m).unwrap(), o);
        let first: SourceOffset =
            SourceOffset(serde_json::from_str(r#"{"file":"mysql-bin.000002","pos":154}"#).unwrap());
        let f = BinlogOffset::from_source_offset(&first).unwrap();
        assert_eq!(
            (f.file.as_str(), f.pos, f.row, f.event, f.snapshot),
            ("mysql-bin.000002", 154, 0, 0, false)
        );
    }

    #[test]
    fn debezium_3_offsets_are_read_and_state_sluice_cannot_continue_is_refused_by_name() {
        let read = |text: &str| {
            BinlogOffset::from_source_offset(&SourceOffset(serde_json::from_str(text).unwrap()))
        };
        // What Debezium 3.6.3 committed after a transaction with metadata (debezium_diff).
        let o = read(r#"{"transaction_id":"file=binlog.000001,pos=12086","ts_sec":1796539470,"file":"binlog.000001","transaction_data_collection_order_d.all_types":1,"pos":12086,"server_id":1,"event":4}"#).unwrap();
        assert_eq!((o.pos, o.event, o.row), (12086, 4, 0));
        assert!(
            read(r#"{"file":"b.1","pos":4,"snapshot":"INITIAL"}"#)
                .unwrap()
                .snapshot
        );
        for (text, named) in [
            (
                r#"{"file":"b.1","pos":4,"incremental_snapshot_primary_key":"aced"}"#,
                "\"incremental_snapshot_primary_key\"",
            ),
            (
                r#"{"file":"b.1","pos":4,"snapshot":"BLOCKING"}"#,
                "\"BLOCKING\"",
            ),
            (
                r#"{"file":"b.1","pos":4,"event":"x"}"#,
                "\"event\" is \"x\"",
            ),
            (r#"{"file":"b.1","pos":4,"gtids":7}"#, "\"gtids\" is 7"),
        ] {
            let e = read(text).unwrap_err().to_string();
            assert!(e.contains(named) && e.contains("offsets"), "{e}");
        }
    }

    #[test]
    fn malformed_offsets_are_errors_not_panics() {
        let bad = SourceOffset(serde_json::from_str(r#"{"pos":"x"}"#).unwrap());
        assert!(
            BinlogOffset::from_source_offset(&bad)
                .unwrap_err()
                .to_string()
                .contains("no \"file\"")
        );
        let snap = SourceOffset(
            serde_json::from_str(r#"{"file":"b.1","pos":4,"snapshot":true}"#).unwrap(),
        );
        assert!(BinlogOffset::from_source_offset(&snap).unwrap().snapshot);
    }
}
