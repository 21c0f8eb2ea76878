//! Where the reader is: the file, the restart position (the open transaction's start), the
//! events and rows to skip after a restart, and the GTID sets, from which every record's offset
//! is made.

use crate::gtid::GtidSet;
use crate::offset::BinlogOffset;

/// Where the reader is.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cursor {
    pub(super) file: String,
    /// The restart position: start of the open transaction, or after the last complete event.
    pub(super) restart_pos: u64,
    pub(super) in_tx: bool,
    /// Events handled since the transaction started (or since the restart point).
    pub(super) events: u64,
    /// Events and rows to skip after a restart.
    pub(super) skip_events: u64,
    pub(super) skip_rows: u64,
    pub(super) gtids: GtidSet,
    /// The completed set before the open transaction.
    pub(super) committed_gtids: GtidSet,
    /// `committed_gtids` as text, rendered once per transaction rather than once per row.
    pub(super) committed_text: Option<String>,
    pub(super) current_gtid: Option<String>,
    pub(super) pending_gtid: Option<PendingGtid>,
    /// Whether the open transaction has started its statements (BEGIN, or a MariaDB GTID that
    /// stands for one); a DDL after a bare GTID is a transaction of its own.
    pub(super) begun: bool,
    /// Whether the next connection starts from the GTID set (a restart whose file is not on
    /// this server); cleared once a connection is open, since the stream then knows its file.
    pub(super) start_by_gtids: bool,
    /// Start and end of the TRANSACTION_PAYLOAD event whose inner events are being read.
    pub(super) payload: Option<(u64, u64)>,
    pub(super) thread: Option<i64>,
    pub(super) query: Option<String>,
    /// The timestamp of the last event that had one (not a server heartbeat).
    pub(super) last_ts_sec: Option<i64>,
    /// The source time of the last change or schema change: what Debezium's offset carries as
    /// `ts_sec` between events (a heartbeat's), since only those set its source time.
    pub(super) record_ts_sec: Option<i64>,
    /// The server id of the last event, server heartbeats included.
    pub(super) last_server_id: i64,
}

#[derive(Debug, Clone)]
pub(super) enum PendingGtid {
    MySql(String, u64),
    MariaDb(u32, u32, u64),
}

impl Cursor {
    pub(super) fn offset(&self, event: u64, row: u64, ts_sec: i64, server_id: i64) -> BinlogOffset {
        BinlogOffset {
            file: self.file.clone(),
            pos: self.restart_pos,
            gtids: self.committed_text.clone(),
            event,
            row,
            ts_sec: Some(ts_sec),
            server_id: Some(server_id),
            ..BinlogOffset::default()
        }
    }

    /// The offset a heartbeat sent now carries: the restart point, with the last event's time
    /// and server id (Debezium's `getOffset` between events).
    pub(super) fn heartbeat_offset(&self) -> BinlogOffset {
        BinlogOffset {
            ts_sec: self.record_ts_sec,
            server_id: Some(self.last_server_id),
            ..self.offset(0, 0, 0, 0)
        }
    }

    pub(super) fn begin(&mut self, start: u64) {
        self.in_tx = true;
        self.begun = false;
        self.restart_pos = start;
        self.events = 0;
    }

    /// The completed set plus the open transaction's GTID, as text.
    pub(super) fn gtids_with_pending(&self) -> Option<String> {
        let mut set = self.gtids.clone();
        match self.pending_gtid.as_ref()? {
            PendingGtid::MySql(src, gno) => set.add_mysql(src, *gno),
            PendingGtid::MariaDb(d, s, q) => set.add_mariadb(*d, *s, *q),
        }
        Some(set.to_string())
    }

    pub(super) fn commit(&mut self, next: u64) {
        self.in_tx = false;
        self.begun = false;
        self.payload = None;
        self.restart_pos = next;
        self.events = 0;
        self.skip_events = 0;
        self.skip_rows = 0;
        match self.pending_gtid.take() {
            Some(PendingGtid::MySql(src, gno)) => self.gtids.add_mysql(&src, gno),
            Some(PendingGtid::MariaDb(d, s, q)) => self.gtids.add_mariadb(d, s, q),
            None => {}
        }
        self.committed_gtids = self.gtids.clone();
        self.committed_text =
            (!self.committed_gtids.is_empty()).then(|| self.committed_gtids.to_string());
        self.current_gtid = None;
        self.thread = None;
        self.query = None;
    }
}
