//! Streaming: reads the binlog over the replication protocol and turns row events into change
//! events with the tracked schema, DDL into schema changes, and keeps the restart offset exact
//! (reference §5, §6).
//!
//! Beyond Debezium, MySQL 8 partial JSON updates (`binlog_row_value_options=PARTIAL_JSON`,
//! `PARTIAL_UPDATE_ROWS_EVENT`) are read: the after value of a partially updated JSON column is
//! rebuilt by applying the logged diffs to the document in the before image (module `jsondiff`),
//! which `binlog_row_image=FULL` (required anyway) always carries.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use mysql_async::binlog::events::{Event, EventData, RowsEventData, TableMapEvent};
use mysql_async::{BinlogStreamRequest, Conn};
use mysql_common::binlog::jsonb;
use mysql_common::binlog::jsondiff::JsonDiff;
use mysql_common::binlog::row::BinlogRow;
use mysql_common::binlog::value::BinlogValue;
use mysql_common::value::Value as MyValue;

use crate::config::FailureMode;
use crate::convert::Cell;
use crate::error::{CdcError, Result};
use crate::event::SourceInfo;
use crate::jsondiff;
use crate::offset::BinlogOffset;
use crate::table::{Column, TableId};
use crate::task::{Engine, connect};

const MARIADB_GTID_EVENT: u8 = 162;
const TRANSACTION_PAYLOAD_EVENT: u8 = 40;

/// Where TABLE_MAP events are cached: the live stream or a binlog file reader.
pub(crate) trait TableMaps {
    fn table_map(&self, table_id: u64) -> Option<&TableMapEvent<'static>>;
}

impl TableMaps for mysql_async::BinlogStream {
    fn table_map(&self, table_id: u64) -> Option<&TableMapEvent<'static>> {
        self.get_tme(table_id)
    }
}

impl TableMaps for mysql_common::binlog::EventStreamReader {
    fn table_map(&self, table_id: u64) -> Option<&TableMapEvent<'static>> {
        self.get_tme(table_id)
    }
}
const MARIADB_ANNOTATE_ROWS_EVENT: u8 = 160;

/// The completed GTID set: MySQL `uuid:1-5:7` intervals or MariaDB's per-domain last GTID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GtidSet {
    /// MySQL: `uuid[:tag]` → sorted, merged `[start, end]` intervals.
    mysql: BTreeMap<String, Vec<(u64, u64)>>,
    /// MariaDB: domain → (server, sequence).
    mariadb: BTreeMap<u32, (u32, u64)>,
}

impl GtidSet {
    /// Parses either flavour's text form.
    pub fn parse(s: &str) -> Self {
        let mut set = Self::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let dashes: Vec<&str> = part.split('-').collect();
            if !part.contains(':') && dashes.len() == 3 {
                if let (Ok(d), Ok(srv), Ok(seq)) =
                    (dashes[0].parse(), dashes[1].parse(), dashes[2].parse())
                {
                    set.mariadb.insert(d, (srv, seq));
                }
                continue;
            }
            let mut fields = part.split(':');
            let Some(uuid) = fields.next() else { continue };
            let mut source = uuid.to_owned();
            for f in fields {
                let range = f.split_once('-').map_or((f, f), |(a, b)| (a, b));
                match (range.0.parse::<u64>(), range.1.parse::<u64>()) {
                    (Ok(a), Ok(b)) => set.mysql.entry(source.clone()).or_default().push((a, b)),
                    // A tag (MySQL 8.4 `uuid:tag:n`) switches the source.
                    _ => source = format!("{uuid}:{f}"),
                }
            }
        }
        for v in set.mysql.values_mut() {
            merge(v);
        }
        set
    }

    pub fn add_mysql(&mut self, source: &str, gno: u64) {
        let v = self.mysql.entry(source.to_owned()).or_default();
        v.push((gno, gno));
        merge(v);
    }

    pub fn add_mariadb(&mut self, domain: u32, server: u32, seq: u64) {
        self.mariadb.insert(domain, (server, seq));
    }

    pub fn is_empty(&self) -> bool {
        self.mysql.is_empty() && self.mariadb.is_empty()
    }

    /// Whether every GTID of `other` is in this set (MariaDB: per domain, by sequence number).
    pub fn contains(&self, other: &GtidSet) -> bool {
        let mysql = other.mysql.iter().all(|(src, ranges)| {
            self.mysql.get(src).is_some_and(|mine| {
                ranges
                    .iter()
                    .all(|&(a, b)| mine.iter().any(|&(x, y)| x <= a && b <= y))
            })
        });
        let mariadb = other.mariadb.iter().all(|(domain, (_, seq))| {
            self.mariadb
                .get(domain)
                .is_some_and(|(_, mine)| mine >= seq)
        });
        mysql && mariadb
    }

    /// The MariaDB part as `@slave_connect_state` wants it: `domain-server-seq,…`.
    pub(crate) fn mariadb_state(&self) -> String {
        Self {
            mysql: BTreeMap::new(),
            mariadb: self.mariadb.clone(),
        }
        .to_string()
    }

    /// The MySQL part as the SID blocks of `COM_BINLOG_DUMP_GTID`.
    ///
    /// # Errors
    /// A source that is not a UUID (optionally with a tag).
    pub(crate) fn mysql_sids(&self) -> Result<Vec<mysql_common::packets::Sid<'static>>> {
        self.mysql
            .keys()
            .map(|src| {
                let one = Self {
                    mysql: BTreeMap::from([(src.clone(), self.mysql[src].clone())]),
                    mariadb: BTreeMap::new(),
                }
                .to_string();
                one.parse().map_err(|e| {
                    CdcError::Offset(format!(
                        "the offset's GTID set has an invalid part {one}: {e}"
                    ))
                })
            })
            .collect()
    }
}

fn merge(v: &mut Vec<(u64, u64)>) {
    v.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(v.len());
    for &(a, b) in v.iter() {
        match out.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    *v = out;
}

impl std::fmt::Display for GtidSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        for (d, (s, q)) in &self.mariadb {
            parts.push(format!("{d}-{s}-{q}"));
        }
        for (src, ranges) in &self.mysql {
            let r: Vec<String> = ranges
                .iter()
                .map(|(a, b)| {
                    if a == b {
                        a.to_string()
                    } else {
                        format!("{a}-{b}")
                    }
                })
                .collect();
            parts.push(format!("{src}:{}", r.join(":")));
        }
        f.write_str(&parts.join(","))
    }
}

fn uuid_text(sid: [u8; 16]) -> String {
    let h: String = sid.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A binlog value → cell. Strings stay bytes (decoded later with the column charset).
pub(crate) fn binlog_cell(col: &Column, v: Option<BinlogValue<'_>>) -> Result<Cell> {
    Ok(match v {
        None => {
            return Err(CdcError::ServerSetup(format!(
                "column {} is missing from the binlog row image; the connector needs binlog_row_image=FULL",
                col.name
            )));
        }
        Some(BinlogValue::Value(v)) => match v {
            MyValue::NULL => Cell::Null,
            MyValue::Int(i) => Cell::Int(i),
            MyValue::UInt(u) => Cell::UInt(u),
            MyValue::Float(f) => Cell::Float(f),
            MyValue::Double(d) => Cell::Double(d),
            MyValue::Date(y, m, d, h, mi, s, us) => Cell::DateTime {
                year: y,
                month: m,
                day: d,
                hour: h,
                minute: mi,
                second: s,
                micros: us,
            },
            MyValue::Time(neg, days, h, m, s, us) => Cell::Time {
                negative: neg,
                days,
                hours: h,
                minutes: m,
                seconds: s,
                micros: us,
            },
            MyValue::Bytes(b) => match col.type_name.as_str() {
                "DECIMAL" | "NUMERIC" | "TIMESTAMP" | "YEAR" | "TINYINT" | "SMALLINT"
                | "MEDIUMINT" | "INT" | "BIGINT" | "FLOAT" | "DOUBLE" | "REAL" | "DATE"
                | "DATETIME" | "TIME" => Cell::Text(String::from_utf8_lossy(&b).into_owned()),
                _ => Cell::Bytes(b),
            },
        },
        Some(BinlogValue::Jsonb(j)) => Cell::Json(json_value(col, j)?.to_string()),
        // Diffs only mean something next to the before image's document; rows_event applies
        // them (decode_image) and never lets one reach this point.
        Some(BinlogValue::JsonDiff(_)) => {
            return Err(CdcError::Decode(format!(
                "column {} holds a partial JSON update but no document to apply it to",
                col.name
            )));
        }
    })
}

/// Binary JSON → `serde_json`, for whole documents and for the values of partial-update diffs
/// alike, so both render the same compact text.
fn json_value(col: &Column, j: jsonb::Value<'_>) -> Result<serde_json::Value> {
    // Not mysql_common's `TryFrom`: it refuses the opaque values (DECIMAL, DATE, TIME, …) a
    // document can hold, which `crate::jsonb` renders as Debezium does.
    crate::jsonb::to_json(j)
        .map_err(|e| CdcError::Decode(format!("column {}: invalid binary JSON: {e}", col.name)))
}

/// Applies a partial update's diffs, in order, to the column's before document.
fn apply_json_diffs(
    col: &Column,
    doc: &mut serde_json::Value,
    diffs: &[JsonDiff<'_>],
) -> Result<()> {
    for diff in diffs {
        let path = std::str::from_utf8(diff.path()).map_err(|e| {
            CdcError::Decode(format!(
                "column {}: the path of a partial JSON update is not UTF-8: {e}",
                col.name
            ))
        })?;
        let value = diff
            .value()
            .map(|v| json_value(col, v.clone()))
            .transpose()?;
        jsondiff::apply(doc, diff.operation(), path, value)
            .map_err(|e| CdcError::Decode(format!("column {}: {e}", col.name)))?;
    }
    Ok(())
}

/// Decodes one row image into cells.
///
/// `docs` is `Some` for the rows of a partial update: decoding the before image fills it with
/// the JSON documents by column, and decoding the after image applies each partially updated
/// column's diffs to its before document. A JSON column outside the event's partial-column
/// bitmap arrives whole and is decoded like any other.
fn decode_image(
    columns: &[Column],
    id: &TableId,
    row: Option<BinlogRow>,
    mut docs: Option<&mut BTreeMap<usize, serde_json::Value>>,
) -> Result<Option<Vec<Cell>>> {
    let Some(mut row) = row else { return Ok(None) };
    let n = row.len();
    let mut cells = Vec::with_capacity(n);
    for i in 0..n {
        let col = columns.get(i).ok_or_else(|| {
            CdcError::Decode(format!(
                "rows event for {id} has {n} columns but the tracked schema has {} (inconsistent schema)",
                columns.len()
            ))
        })?;
        let cell = match (row.take(i), docs.as_deref_mut()) {
            (Some(BinlogValue::Jsonb(j)), Some(docs)) => {
                let doc = json_value(col, j)?;
                let cell = Cell::Json(doc.to_string());
                docs.insert(i, doc);
                cell
            }
            (Some(BinlogValue::JsonDiff(diffs)), Some(docs)) => {
                // MySQL refuses to apply diffs to a NULL document too: the source only logs
                // diffs when it modified a document in place.
                let mut doc = docs.remove(&i).ok_or_else(|| {
                    CdcError::Decode(format!(
                        "column {} of {id} holds a partial JSON update but its before value is not a JSON document",
                        col.name
                    ))
                })?;
                apply_json_diffs(col, &mut doc, &diffs)?;
                Cell::Json(doc.to_string())
            }
            (v, _) => binlog_cell(col, v)?,
        };
        cells.push(cell);
    }
    Ok(Some(cells))
}

/// CRC-32 (IEEE), as the binlog checksums events.
fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for part in parts {
        for &byte in *part {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
    }
    !crc
}

/// A ROTATE event's file name. The fake ROTATE the server sends before the format description
/// carries the event checksum after the name when checksums are on, and the decoder cannot
/// know that yet: strip the last 4 bytes when they are the CRC-32 of the event.
fn rotate_file_name(ev: &Event) -> String {
    let data = ev.data();
    if data.len() < 8 {
        return String::new();
    }
    let h = ev.header();
    let mut header = Vec::with_capacity(19);
    header.extend_from_slice(&h.timestamp().to_le_bytes());
    header.push(h.event_type_raw());
    header.extend_from_slice(&h.server_id().to_le_bytes());
    header.extend_from_slice(&h.event_size().to_le_bytes());
    header.extend_from_slice(&h.log_pos().to_le_bytes());
    header.extend_from_slice(&h.flags_raw().to_le_bytes());
    let mut name = &data[8..];
    if data.len() >= 12 {
        let (body, sum) = data.split_at(data.len() - 4);
        if sum.try_into().map(u32::from_le_bytes).ok() == Some(crc32(&[&header, body])) {
            name = &body[8..];
        }
    }
    String::from_utf8_lossy(name).into_owned()
}

/// Statement-format DML (a server switched to STATEMENT/MIXED logging writes these).
fn is_dml(sql: &str) -> bool {
    let first = sql
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    matches!(
        first.as_str(),
        "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "SAVEPOINT" | "XA"
    )
}

/// Where the reader is.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cursor {
    file: String,
    /// The restart position: start of the open transaction, or after the last complete event.
    restart_pos: u64,
    in_tx: bool,
    /// Events handled since the transaction started (or since the restart point).
    events: u64,
    /// Events and rows to skip after a restart.
    skip_events: u64,
    skip_rows: u64,
    gtids: GtidSet,
    /// The completed set before the open transaction.
    committed_gtids: GtidSet,
    /// `committed_gtids` as text, rendered once per transaction rather than once per row.
    committed_text: Option<String>,
    current_gtid: Option<String>,
    pending_gtid: Option<PendingGtid>,
    /// Whether the open transaction has started its statements (BEGIN, or a MariaDB GTID that
    /// stands for one); a DDL after a bare GTID is a transaction of its own.
    begun: bool,
    /// Whether the next connection starts from the GTID set (a restart whose file is not on
    /// this server); cleared once a connection is open, since the stream then knows its file.
    start_by_gtids: bool,
    /// Start and end of the TRANSACTION_PAYLOAD event whose inner events are being read.
    payload: Option<(u64, u64)>,
    thread: Option<i64>,
    query: Option<String>,
}

#[derive(Debug, Clone)]
enum PendingGtid {
    MySql(String, u64),
    MariaDb(u32, u32, u64),
}

impl Cursor {
    fn offset(&self, event: u64, row: u64, ts_sec: i64, server_id: i64) -> BinlogOffset {
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

    fn begin(&mut self, start: u64) {
        self.in_tx = true;
        self.begun = false;
        self.restart_pos = start;
        self.events = 0;
    }

    /// The completed set plus the open transaction's GTID, as text.
    fn gtids_with_pending(&self) -> Option<String> {
        let mut set = self.gtids.clone();
        match self.pending_gtid.as_ref()? {
            PendingGtid::MySql(src, gno) => set.add_mysql(src, *gno),
            PendingGtid::MariaDb(d, s, q) => set.add_mariadb(*d, *s, *q),
        }
        Some(set.to_string())
    }

    fn commit(&mut self, next: u64) {
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

/// Streams from `start` until the task stops, reconnecting with back-off on connection loss.
/// Streams from `start`; with `by_gtids`, the first connection starts from its GTID set (see
/// [`use_gtids`]), reconnections from the file and position this stream has reached.
pub(crate) async fn stream(engine: &mut Engine, start: BinlogOffset, by_gtids: bool) -> Result<()> {
    let gtids = start
        .gtids
        .as_deref()
        .map(GtidSet::parse)
        .unwrap_or_default();
    let mut cursor = Cursor {
        file: start.file.clone(),
        restart_pos: start.pos,
        skip_events: start.event,
        skip_rows: start.row,
        committed_text: (!gtids.is_empty()).then(|| gtids.to_string()),
        committed_gtids: gtids.clone(),
        gtids,
        start_by_gtids: by_gtids,
        ..Cursor::default()
    };
    let mut attempt = 0u32;
    loop {
        match stream_once(engine, &mut cursor).await {
            Ok(()) => return Ok(()),
            Err(CdcError::Database {
                retriable: true,
                context,
                source,
            }) if attempt < 10 => {
                attempt += 1;
                let wait = Duration::from_millis(500 * 2u64.pow(attempt.min(6)));
                tracing::warn!(%context, error = %source, ?wait, attempt, "binlog connection lost; reconnecting");
                engine.flush().await?;
                tokio::time::sleep(wait).await;
                // Resume from the restart point, skipping what this run already emitted.
                // Skip what this run already emitted, unless it has not yet got past the skip
                // it started with (a restart's half-sent event).
                if cursor.events > cursor.skip_events {
                    cursor.skip_events = cursor.events;
                    cursor.skip_rows = 0;
                }
                cursor.in_tx = false;
                cursor.gtids = cursor.committed_gtids.clone();
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whether the binlog is read from a GTID set instead of a file and position: when the offset's
/// file is not on this server (a failover to another server of the cluster, where file names and
/// positions mean something else) and the server logs GTIDs (MariaDB always; MySQL with
/// `gtid_mode=ON`). Skipping `event`/`row` works the same, because the server starts with the
/// first transaction outside the set, which is the one the offset's position points at.
async fn use_gtids(engine: &Engine, conn: &mut Conn, cursor: &Cursor) -> Result<bool> {
    use mysql_async::prelude::Queryable;
    if !cursor.start_by_gtids || cursor.committed_gtids.is_empty() {
        return Ok(false);
    }
    if engine.mariadb {
        return Ok(!cursor.committed_gtids.mariadb.is_empty());
    }
    let mode: Option<String> = conn
        .query_first("SELECT @@GLOBAL.gtid_mode")
        .await
        .map_err(|e| CdcError::db("reading gtid_mode failed", e))?;
    Ok(mode.is_some_and(|m| m.eq_ignore_ascii_case("ON"))
        && !cursor.committed_gtids.mysql.is_empty())
}

async fn open(engine: &Engine, cursor: &Cursor) -> Result<mysql_async::BinlogStream> {
    use mysql_async::prelude::Queryable;
    let mut conn: Conn = connect(&engine.config).await?;
    if engine.mariadb {
        // MariaDB sends its GTID events only to replicas that announce this capability.
        conn.query_drop("SET @mariadb_slave_capability=4")
            .await
            .map_err(|e| CdcError::db("announcing the MariaDB replica capability failed", e))?;
    }
    let gtids = use_gtids(engine, &mut conn, cursor).await?;
    let request = BinlogStreamRequest::new(engine.config.server_id);
    let request = match (gtids, engine.mariadb) {
        (false, _) => request
            .with_filename(cursor.file.as_bytes())
            .with_pos(cursor.restart_pos),
        (true, true) => {
            // A MariaDB primary streams from @slave_connect_state when it is set, whatever
            // file the dump request names. Not strict: the set may name other domains' or
            // servers' GTIDs that this server never had.
            let state = cursor.committed_gtids.mariadb_state();
            for st in [
                format!("SET @slave_connect_state='{state}'"),
                "SET @slave_gtid_strict_mode=0".to_owned(),
                "SET @slave_gtid_ignore_duplicates=0".to_owned(),
            ] {
                conn.query_drop(st)
                    .await
                    .map_err(|e| CdcError::db("setting the MariaDB GTID start failed", e))?;
            }
            tracing::info!(gtids = %state, "reading the binlog from the offset's GTID set");
            request
        }
        (true, false) => {
            tracing::info!(gtids = %cursor.committed_gtids, "reading the binlog from the offset's GTID set");
            request
                .with_gtid()
                .with_gtid_set(cursor.committed_gtids.mysql_sids()?)
        }
    };
    conn.get_binlog_stream(request)
        .await
        .map_err(|e| classify(e, cursor))
}

fn classify(e: mysql_async::Error, cursor: &Cursor) -> CdcError {
    if let mysql_async::Error::Server(s) = &e {
        if s.code == 1236 {
            let m = s.message.to_ascii_lowercase();
            if m.contains("could not find first log file")
                || m.contains("purged")
                || m.contains("not find")
            {
                return CdcError::BinlogPurged {
                    position: format!("{}:{}", cursor.file, cursor.restart_pos),
                };
            }
            return CdcError::ServerSetup(format!(
                "The server refused to send the binlog: {} (is database.server.id unique among replicas?)",
                s.message
            ));
        }
        if s.code == 1227 || s.code == 1045 {
            return CdcError::ServerSetup(format!(
                "The connector's user lacks the REPLICATION SLAVE privilege needed to read the binlog: {}",
                s.message
            ));
        }
    }
    CdcError::db("reading the binlog failed", e)
}

async fn stream_once(engine: &mut Engine, cursor: &mut Cursor) -> Result<()> {
    let mut stream = open(engine, cursor).await?;
    let idle = Duration::from_millis(engine.config.poll_interval_ms.clamp(10, 100));
    let heartbeat = Duration::from_millis(engine.config.heartbeat_interval_ms);
    let mut last_beat = tokio::time::Instant::now();
    loop {
        let next = match tokio::time::timeout(idle, stream.next()).await {
            Err(_) => {
                engine.flush().await?;
                if !heartbeat.is_zero() && last_beat.elapsed() >= heartbeat && !cursor.in_tx {
                    last_beat = tokio::time::Instant::now();
                    let offset = cursor.offset(0, 0, crate::task::now_ms() / 1000, 0);
                    engine.emit_heartbeat(&offset).await?;
                }
                continue;
            }
            Ok(None) => {
                engine.flush().await?;
                return Err(CdcError::db(
                    "the server closed the binlog stream",
                    mysql_async::Error::Io(mysql_async::IoError::Io(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "binlog stream ended",
                    ))),
                ));
            }
            Ok(Some(Err(e))) => return Err(classify(e, cursor)),
            Ok(Some(Ok(ev))) => ev,
        };
        handle(engine, &stream, cursor, &next).await?;
    }
}

pub(crate) async fn handle<M: TableMaps + Sync>(
    engine: &mut Engine,
    stream: &M,
    cursor: &mut Cursor,
    ev: &Event,
) -> Result<()> {
    let header = ev.header();
    let mut next_pos = u64::from(header.log_pos());
    let mut start_pos = next_pos.saturating_sub(u64::from(header.event_size()));
    if header.event_type_raw() == TRANSACTION_PAYLOAD_EVENT {
        // Its events follow, decompressed, with no positions of their own: they are reported
        // at the payload's position, and the transaction ends after the payload.
        cursor.payload = Some((start_pos, next_pos));
        cursor.events += 1;
        return Ok(());
    }
    let in_payload = next_pos == 0 && cursor.payload.is_some();
    if let Some((s, n)) = cursor.payload.filter(|_| in_payload) {
        start_pos = s;
        next_pos = n;
    }
    let ts_sec = i64::from(header.timestamp());
    let server_id = i64::from(header.server_id());
    let raw_type = header.event_type_raw();
    // Events the server synthesises at stream start (fake ROTATE, FORMAT_DESCRIPTION) have
    // log_pos 0 and do not count towards the transaction's events.
    let counts = next_pos != 0 && !matches!(header.event_type_raw(), 4 | 15);

    if raw_type == MARIADB_GTID_EVENT {
        let d = ev.data();
        if d.len() >= 13 {
            let seq = u64::from_le_bytes(d[0..8].try_into().unwrap_or([0; 8]));
            let domain = u32::from_le_bytes(d[8..12].try_into().unwrap_or([0; 4]));
            let flags = d[12];
            let srv = header.server_id();
            cursor.begin(start_pos);
            cursor.current_gtid = Some(format!("{domain}-{srv}-{seq}"));
            cursor.pending_gtid = Some(PendingGtid::MariaDb(domain, srv, seq));
            // FL_STANDALONE: a single statement (DDL) without BEGIN/COMMIT.
            cursor.begun = flags & 1 == 0;
        }
        cursor.events += 1;
        return Ok(());
    }
    if raw_type == MARIADB_ANNOTATE_ROWS_EVENT {
        if engine.config.include_query {
            cursor.query = Some(String::from_utf8_lossy(ev.data()).into_owned());
        }
        cursor.events += 1;
        return Ok(());
    }
    let data = ev.read_data().map_err(|e| {
        CdcError::Decode(format!(
            "cannot decode binlog event at {}:{start_pos}: {e}",
            cursor.file
        ))
    })?;
    let Some(data) = data else {
        if counts {
            cursor.events += 1;
        }
        return Ok(());
    };
    match data {
        EventData::RotateEvent(r) => {
            let name = rotate_file_name(ev);
            cursor.file = if name.is_empty() {
                r.name().into_owned()
            } else {
                name
            };
            if !cursor.in_tx {
                cursor.restart_pos = r.position();
            }
            // The stream now knows its file here: a reconnection resumes by file and position.
            cursor.start_by_gtids = false;
            return Ok(());
        }
        EventData::FormatDescriptionEvent(_) | EventData::HeartbeatEvent => return Ok(()),
        EventData::GtidEvent(g) => {
            let mut src = uuid_text(g.sid());
            if let Some(tag) = g.tag() {
                src = format!("{src}:{tag}");
            }
            cursor.begin(start_pos);
            cursor.current_gtid = Some(format!("{src}:{}", g.gno()));
            cursor.pending_gtid = Some(PendingGtid::MySql(src, g.gno()));
        }
        EventData::QueryEvent(q) => {
            let sql = q.query();
            let trimmed = sql.trim();
            if trimmed.eq_ignore_ascii_case("BEGIN") {
                if !cursor.in_tx {
                    cursor.begin(start_pos);
                }
                cursor.begun = true;
                cursor.thread = Some(i64::from(q.thread_id()));
            } else if trimmed.eq_ignore_ascii_case("COMMIT")
                || trimmed.eq_ignore_ascii_case("ROLLBACK")
            {
                cursor.events += 1;
                cursor.commit(next_pos);
                engine
                    .end_transaction(&cursor.offset(0, 0, ts_sec, server_id))
                    .await?;
                return Ok(());
            } else if is_dml(trimmed) {
                tracing::warn!(query = %trimmed, "ignoring a DML statement in the binlog; binlog_format must be ROW");
            } else if (cursor.restart_pos, next_pos) != (0, 0) {
                let key = (crate::offset::file_index(&cursor.file), next_pos);
                let already = engine.history_high.is_some_and(|h| key <= h);
                let skip = cursor.skip_events > cursor.events;
                if !already && !skip {
                    let db = q.schema().into_owned();
                    let mut after = cursor.offset(0, 0, ts_sec, server_id);
                    after.pos = next_pos;
                    // After the DDL means its GTID is done too: a GTID-positioned restart (and
                    // recovery by GTID containment) must not see this DDL again.
                    after.gtids = cursor.gtids_with_pending().or(after.gtids);
                    let source = SourceInfo {
                        ts_ms: ts_sec * 1000,
                        db: db.clone(),
                        server_id,
                        gtid: cursor.current_gtid.clone(),
                        file: cursor.file.clone(),
                        pos: i64::try_from(start_pos).unwrap_or(i64::MAX),
                        thread: Some(i64::from(q.thread_id())),
                        query: None,
                        ..SourceInfo::default()
                    };
                    if let Some(effect) = engine
                        .apply_ddl(&db, trimmed, &source, &after, false)
                        .await?
                    {
                        for id in &effect.truncated {
                            if engine.config.emits("t")
                                && engine.config.table_captured(&id.db, &id.table)
                            {
                                let mut src = source.clone();
                                src.db.clone_from(&id.db);
                                src.table = Some(id.table.clone());
                                engine.emit_truncate(id, &src, &after).await?;
                            }
                        }
                    }
                }
                if !cursor.in_tx || !cursor.begun {
                    cursor.events += 1;
                    cursor.commit(next_pos);
                    engine.flush().await?;
                    return Ok(());
                }
            }
        }
        EventData::XidEvent(_) => {
            cursor.events += 1;
            cursor.commit(next_pos);
            engine
                .end_transaction(&cursor.offset(0, 0, ts_sec, server_id))
                .await?;
            engine.flush().await?;
            return Ok(());
        }
        EventData::RowsQueryEvent(q) if engine.config.include_query => {
            cursor.query = Some(q.query().into_owned());
        }
        EventData::RowsEvent(rows) => {
            let index = cursor.events;
            if index >= cursor.skip_events {
                let skip_rows = if index == cursor.skip_events {
                    cursor.skip_rows
                } else {
                    0
                };
                rows_event(
                    engine, stream, cursor, &rows, index, skip_rows, start_pos, ts_sec, server_id,
                )
                .await?;
            }
        }
        _ => {}
    }
    if counts {
        cursor.events += 1;
    }
    if !cursor.in_tx && counts && raw_type != 2 {
        // Outside a transaction every complete event moves the restart point.
        cursor.restart_pos = next_pos;
        cursor.events = 0;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn rows_event<M: TableMaps + Sync>(
    engine: &mut Engine,
    stream: &M,
    cursor: &Cursor,
    rows: &RowsEventData<'_>,
    index: u64,
    skip_rows: u64,
    start_pos: u64,
    ts_sec: i64,
    server_id: i64,
) -> Result<()> {
    let Some(tme) = stream.table_map(rows.table_id()) else {
        return Err(CdcError::Decode(format!(
            "rows event at {}:{start_pos} refers to unknown table id {}",
            cursor.file,
            rows.table_id()
        )));
    };
    let id = TableId::new(
        tme.database_name().into_owned(),
        tme.table_name().into_owned(),
    );
    if !engine.config.table_captured(&id.db, &id.table) {
        return Ok(());
    }
    let Some(ts) = engine.table_schema(&id) else {
        return Err(CdcError::Decode(format!(
            "rows event at {}:{start_pos} for {id}, whose structure is unknown; the schema history does not cover this table (restart with snapshot.mode=recovery)",
            cursor.file
        )));
    };
    let partial_json = matches!(rows, RowsEventData::PartialUpdateRowsEvent(_));
    let n = ts.columns().len();
    let full_before = rows
        .columns_before_image()
        .is_none_or(|b| b.iter().take(n).all(|x| *x));
    let full_after = rows
        .columns_after_image()
        .is_none_or(|b| b.iter().take(n).all(|x| *x));
    if !full_before || !full_after {
        // A partial JSON update is only readable with the before image's documents; say so,
        // since turning PARTIAL_JSON off is the other way out.
        let why = if partial_json {
            " (a partial JSON update is rebuilt from the JSON document in the before image; the alternative is binlog_row_value_options='')"
        } else {
            ""
        };
        return Err(CdcError::ServerSetup(format!(
            "rows event for {id} at {}:{start_pos} has a partial row image; the connector needs binlog_row_image=FULL{why}",
            cursor.file
        )));
    }
    let op = match rows {
        RowsEventData::WriteRowsEventV1(_) | RowsEventData::WriteRowsEvent(_) => "c",
        RowsEventData::UpdateRowsEventV1(_)
        | RowsEventData::UpdateRowsEvent(_)
        | RowsEventData::PartialUpdateRowsEvent(_) => "u",
        RowsEventData::DeleteRowsEventV1(_) | RowsEventData::DeleteRowsEvent(_) => "d",
    };
    if !engine.config.emits(op) {
        return Ok(());
    }
    if engine.tx_id.is_none() {
        // Debezium's transaction id: the GTID, or the position of the transaction's start.
        engine.tx_id = Some(
            cursor
                .current_gtid
                .clone()
                .unwrap_or_else(|| format!("file={},pos={}", cursor.file, cursor.restart_pos)),
        );
    }
    for (i, r) in rows.rows(tme).enumerate() {
        let (before, after) = r.map_err(|e| {
            CdcError::Decode(format!(
                "cannot decode a row of {id} at {}:{start_pos}: {e}",
                cursor.file
            ))
        })?;
        let row_no = u64::try_from(i).unwrap_or(u64::MAX);
        if row_no < skip_rows {
            continue;
        }
        // The before image's JSON documents, by column, for the after image's diffs.
        let mut docs = BTreeMap::new();
        let mut docs = partial_json.then_some(&mut docs);
        let converted = decode_image(ts.columns(), &id, before, docs.as_deref_mut())
            .and_then(|b| b.map(|c| engine.convert_row(&ts, c)).transpose())
            .and_then(|b| {
                let a = decode_image(ts.columns(), &id, after, docs)?
                    .map(|c| engine.convert_row(&ts, c))
                    .transpose()?;
                Ok((b, a))
            });
        let (before, after) = match converted {
            Ok(pair) => pair,
            Err(e @ CdcError::Decode(_)) => match engine.config.failure_mode {
                FailureMode::Fail => return Err(e),
                FailureMode::Warn => {
                    tracing::warn!(error = %e, file = %cursor.file, pos = start_pos, row = i, "skipping a row that cannot be converted (event.processing.failure.handling.mode=warn)");
                    continue;
                }
                FailureMode::Skip => {
                    tracing::debug!(error = %e, "skipping a row that cannot be converted");
                    continue;
                }
            },
            Err(e) => return Err(e),
        };
        let source = SourceInfo {
            ts_ms: ts_sec * 1000,
            snapshot: None,
            db: id.db.clone(),
            table: Some(id.table.clone()),
            server_id,
            gtid: cursor.current_gtid.clone(),
            file: cursor.file.clone(),
            pos: i64::try_from(start_pos).unwrap_or(i64::MAX),
            row: i32::try_from(i).unwrap_or(i32::MAX),
            thread: cursor.thread,
            query: cursor.query.clone(),
        };
        let offset = cursor.offset(index, row_no + 1, ts_sec, server_id);
        engine
            .emit_change(&ts, op, before, after, &source, &offset)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use connect_api::SourceRecord;
    use connect_api::data::{Struct, Value};
    use mysql_common::binlog::BinlogFile;
    use mysql_common::binlog::consts::BinlogVersion;

    use super::*;

    const FIXTURES: &str = "/work/shared/fixtures/mysql-binlogs";

    /// Replays a binlog file through the streaming code, with `seed` DDL (db, statement)
    /// applied first for tables the file does not create. Returns the records and the first
    /// error, if any.
    async fn replay(name: &str, seed: &[(&str, &str)]) -> (Vec<SourceRecord>, Option<CdcError>) {
        let path = format!("{FIXTURES}/{name}");
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        replay_from(name, BufReader::new(file), seed).await
    }

    /// [`replay`] of binlog bytes built by a test, reported as file `name`.
    async fn replay_from(
        name: &str,
        binlog: impl std::io::BufRead,
        seed: &[(&str, &str)],
    ) -> (Vec<SourceRecord>, Option<CdcError>) {
        let (mut engine, mut rx) = Engine::for_test(&[("table.ignore.builtin", "false")]);
        for (db, ddl) in seed {
            engine.schemas.apply(db, ddl).unwrap();
        }
        let mut bf = BinlogFile::new(BinlogVersion::Version4, binlog).unwrap();
        let mut cursor = Cursor {
            file: name.to_owned(),
            restart_pos: 4,
            ..Cursor::default()
        };
        let mut out = Vec::new();
        let mut error = None;
        'events: while let Some(ev) = bf.next() {
            let ev = match ev {
                Ok(ev) => ev,
                Err(e) => {
                    error = Some(CdcError::Decode(e.to_string()));
                    break;
                }
            };
            let mut inner = Vec::new();
            if ev.header().event_type_raw() == TRANSACTION_PAYLOAD_EVENT {
                let tpe = ev
                    .read_event::<mysql_common::binlog::events::TransactionPayloadEvent<'_>>()
                    .unwrap();
                let mut bytes = std::io::Cursor::new(tpe.danger_decompress());
                while let Some(e) = bf.reader_mut().read_decompressed(&mut bytes).unwrap() {
                    inner.push(e);
                }
            }
            for e in std::iter::once(&ev).chain(inner.iter()) {
                if let Err(e) = handle(&mut engine, bf.reader(), &mut cursor, e).await {
                    error = Some(e);
                    break 'events;
                }
                engine.flush().await.unwrap();
                while let Ok(batch) = rx.try_recv() {
                    out.extend(batch.unwrap());
                }
            }
        }
        engine.flush().await.unwrap();
        while let Ok(batch) = rx.try_recv() {
            out.extend(batch.unwrap());
        }
        (out, error)
    }

    fn rows<'a>(recs: &'a [SourceRecord], topic: &str) -> Vec<&'a SourceRecord> {
        recs.iter()
            .filter(|r| r.topic == topic && !r.value.value.is_null())
            .collect()
    }

    fn env(r: &SourceRecord) -> &Struct {
        r.value.value.as_struct().unwrap()
    }

    fn image<'a>(r: &'a SourceRecord, which: &str) -> &'a Struct {
        env(r).get(which).unwrap().as_struct().unwrap()
    }

    fn src<'a>(r: &'a SourceRecord, f: &str) -> &'a Value {
        env(r)
            .get("source")
            .unwrap()
            .as_struct()
            .unwrap()
            .get(f)
            .unwrap()
    }

    #[tokio::test]
    async fn mysql_gtids_with_tags_and_decimals_decode() {
        let seed = [(
            "test",
            "CREATE TABLE orders (id INT PRIMARY KEY, qty INT, amount DECIMAL(10,2))",
        )];
        let (recs, err) = replay("binlog_transaction_with_GTID_TAG.000001", &seed).await;
        assert!(err.is_none(), "{err:?}");
        let r = rows(&recs, "test.test.orders");
        assert_eq!(r.len(), 1);
        let after = image(r[0], "after");
        assert_eq!(after.get("id"), Some(&Value::Int32(3)));
        assert_eq!(after.get("qty"), Some(&Value::Int32(100)));
        assert_eq!(
            after.get("amount"),
            Some(&Value::Bytes(vec![0x61, 0xa8].into()))
        );
        let gtid = src(r[0], "gtid").as_str().unwrap();
        assert!(gtid.ends_with(":mytag:3"), "{gtid}");
        assert_eq!(src(r[0], "server_id"), &Value::Int64(1));
        // The rows event starts where the TABLE_MAP before it ends (log_pos 461).
        assert_eq!(src(r[0], "pos"), &Value::Int64(461));
    }

    #[tokio::test]
    async fn statement_inserts_and_ddl_with_gtids_update_the_schema() {
        let (recs, err) = replay("binlog_transaction_with_GTID.000001", &[]).await;
        assert!(err.is_none(), "{err:?}");
        // CREATE TABLE and DROP TABLE became schema changes on the prefix topic.
        let ddl: Vec<String> = recs
            .iter()
            .filter(|r| r.topic == "test")
            .map(|r| env(r).get("ddl").unwrap().as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            ddl,
            [
                "CREATE TABLE t1 (c1 INT)",
                "DROP TABLE `t1` /* generated by server */"
            ]
        );
        let last = recs.last().unwrap();
        let gtids = last
            .source_offset
            .0
            .get("gtids")
            .and_then(|g| g.as_str())
            .unwrap()
            .to_owned();
        // GTID 3 is the DROP itself: its offset points after it, so its set includes it (a
        // GTID-positioned restart must not apply the DROP again).
        assert!(gtids.ends_with(":1-3"), "{gtids}");
    }

    #[tokio::test]
    async fn compressed_transaction_payloads_are_read() {
        let seed = [("test", "CREATE TABLE tb1 (id INT PRIMARY KEY)")];
        let (recs, err) = replay("transaction_compression.000001", &seed).await;
        assert!(err.is_none(), "{err:?}");
        let r = rows(&recs, "test.test.tb1");
        assert_eq!(r.len(), 1);
        assert_eq!(image(r[0], "after").get("id"), Some(&Value::Int32(1)));
        // Rows inside the payload report the payload's position.
        // The TRANSACTION_PAYLOAD event starts at 274 (mysqlbinlog reports that offset).
        assert_eq!(src(r[0], "pos"), &Value::Int64(274));
        // After the payload's XID the restart point is the payload's end.
        assert_eq!(
            r[0].source_offset.0.get("event"),
            Some(&serde_json::json!(2))
        );
    }

    #[tokio::test]
    async fn invisible_columns_stay_in_rows_and_unsigned_values_widen() {
        let (recs, err) = replay("binlog-invisible-columns.000001", &[]).await;
        assert!(err.is_none(), "{err:?}");
        let r = rows(&recs, "test.mysql.t1");
        assert_eq!(r.len(), 3);
        let a = image(r[0], "after");
        assert_eq!(a.get("f1"), Some(&Value::Int64(1)));
        assert_eq!(a.get("f3"), Some(&Value::Int32(-3)));
        assert_eq!(a.get("f4"), Some(&Value::from("4")));
        assert_eq!(a.get("f5"), Some(&Value::Bytes(vec![5].into())));
        assert_eq!(a.get("f6"), Some(&Value::Int64(6_000_000_000)));
        let u = r[2];
        assert_eq!(image(u, "before").get("f3"), Some(&Value::Int32(-33)));
        assert_eq!(image(u, "after").get("f2"), Some(&Value::Int64(222)));
        assert_eq!(env(u).get("op"), Some(&Value::from("u")));
    }

    #[tokio::test]
    async fn enums_sets_and_strings_decode_with_their_labels() {
        let (recs, err) = replay("mysql-enum-string-set.000001", &[]).await;
        assert!(err.is_none(), "{err:?}");
        let r = rows(&recs, "test.mysql.t");
        assert_eq!(
            r.iter()
                .map(|x| env(x).get("op").unwrap().as_str().unwrap())
                .collect::<Vec<_>>(),
            ["c", "u", "d"]
        );
        let a = image(r[0], "after");
        assert_eq!(a.get("f3"), Some(&Value::from("var1")));
        assert_eq!(a.get("f4"), Some(&Value::from("one,three")));
        let u = image(r[1], "after");
        assert_eq!(u.get("f1"), Some(&Value::from("field1")));
        assert_eq!(u.get("f3"), Some(&Value::from("variant2")));
        // A keyless table: null key, and no tombstone after the delete.
        assert!(r[2].key.schema.is_none());
        assert_eq!(recs.iter().filter(|x| x.topic == "test.mysql.t").count(), 3);
    }

    #[tokio::test]
    async fn mariadb_gtids_annotations_and_timestamps_decode() {
        let seed = [(
            "toddy_test",
            "CREATE TABLE outbox (id BIGINT PRIMARY KEY, topic VARCHAR(20), event_type TINYINT, event LONGTEXT, created TIMESTAMP)",
        )];
        let (recs, err) = replay("mariadb-bin.000001", &seed).await;
        assert!(err.is_none(), "{err:?}");
        let r = rows(&recs, "test.toddy_test.outbox");
        assert_eq!(r.len(), 2);
        let a = image(r[0], "after");
        assert_eq!(a.get("id"), Some(&Value::Int64(62)));
        assert_eq!(a.get("topic"), Some(&Value::from("foo")));
        assert_eq!(a.get("event"), Some(&Value::from("{\"foo\":1}")));
        assert_eq!(a.get("created"), Some(&Value::from("2022-04-20T22:18:04Z")));
        assert_eq!(src(r[0], "gtid"), &Value::from("0-1-1"));
        assert_eq!(src(r[1], "gtid"), &Value::from("0-1-2"));
        // The restart point of a MariaDB transaction is its GTID event (ends at 372, 42 bytes).
        assert_eq!(
            r[0].source_offset.0.get("pos"),
            Some(&serde_json::json!(330))
        );
        // Completed GTIDs: the first transaction is in the set while the second is read.
        assert_eq!(
            r[1].source_offset.0.get("gtids"),
            Some(&serde_json::json!("0-1-1"))
        );
        assert_eq!(src(r[0], "ts_ms"), &Value::Int64(1_650_493_084_000));
    }

    #[tokio::test]
    async fn bits_decode_little_endian() {
        let (recs, err) = replay("mysql_type_bit.000001", &[]).await;
        assert!(err.is_none(), "{err:?}");
        let a = image(rows(&recs, "test.mysql.foo")[0], "after");
        assert_eq!(a.get("a"), Some(&Value::Bytes(vec![4].into())));
        assert_eq!(a.get("b"), Some(&Value::from("foo")));
        assert_eq!(a.get("c"), Some(&Value::Bytes(vec![b' '].into())));
    }

    fn op(r: &SourceRecord) -> &str {
        env(r).get("op").unwrap().as_str().unwrap()
    }

    /// The `json_col` of a record's image, parsed, with its text.
    fn json_col(r: &SourceRecord, which: &str) -> (serde_json::Value, String) {
        let text = image(r, which)
            .get("json_col")
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        (serde_json::from_str(&text).unwrap(), text)
    }

    /// `json.binlog.000001` (MySQL 8.0.22, from mysql_common's test data) holds, on
    /// `mysql.t(id INT PRIMARY KEY, json_col JSON, name … AS (json_col->>'$.name'),
    /// age INT AS (json_col->'$.age'))`: 6 inserts (Joe 24, Sue 32, Pete 40, twice), one
    /// UPDATE of all 6 rows logged whole (age + 1), then one logged with
    /// binlog_row_value_options=PARTIAL_JSON: per row the diff `REPLACE $.age <age + 1>`.
    const JSON_BINLOG: &str = "json.binlog.000001";

    #[tokio::test]
    async fn binlog_json_is_compact_and_a_minimal_partial_update_asks_for_full_images() {
        let (recs, err) = replay(JSON_BINLOG, &[]).await;
        let r = rows(&recs, "test.mysql.t");
        // The file's partial update was logged with binlog_row_image=MINIMAL: its before image
        // is the key alone, so there is no document to apply the diffs to.
        assert_eq!(
            r.iter().map(|x| op(x)).collect::<Vec<_>>(),
            [["c"; 6], ["u"; 6]].concat(),
            "6 inserts and 6 full updates before the partial ones"
        );
        let (doc, text) = json_col(r[0], "after");
        assert_eq!(
            doc,
            serde_json::json!({"age": 24, "data": "xxxxxxxxxx", "name": "Joe"})
        );
        assert_eq!(text, r#"{"age":24,"data":"xxxxxxxxxx","name":"Joe"}"#);
        let err = err.expect("a partial update without the before document must fail");
        assert!(matches!(err, CdcError::ServerSetup(_)), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("binlog_row_image=FULL"), "{msg}");
        assert!(msg.contains("binlog_row_value_options=''"), "{msg}");
    }

    /// The events of a binlog file: (start offset, bytes).
    fn split_events(file: &[u8]) -> Vec<(usize, Vec<u8>)> {
        let mut out = Vec::new();
        let mut pos = 4;
        while pos < file.len() {
            let size = u32::from_le_bytes(file[pos + 9..pos + 13].try_into().unwrap()) as usize;
            out.push((pos, file[pos..pos + size].to_vec()));
            pos += size;
        }
        out
    }

    /// Length of the values of `mysql.t`'s columns `cols` (0 `id` INT, 1 `json_col` JSON,
    /// 2 `name` VARCHAR(100) utf8mb4 with a 2-byte length, 3 `age` INT) at the start of `b`.
    fn values_len(b: &[u8], cols: &[usize]) -> usize {
        let mut at = 0;
        for c in cols {
            at += match c {
                0 | 3 => 4,
                1 => 4 + u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize,
                2 => 2 + usize::from(u16::from_le_bytes(b[at..at + 2].try_into().unwrap())),
                _ => unreachable!("mysql.t has 4 columns"),
            };
        }
        at
    }

    /// How the rebuilt partial update carries `json_col` in its after images.
    #[derive(Clone, Copy)]
    enum AfterJson {
        /// The server's diffs, with the column in the partial-column bitmap.
        Diffs,
        /// The whole document (the previous update's), with the column outside the bitmap.
        Whole,
    }

    /// `json.binlog.000001` as a server with binlog_row_image=FULL would have written it: the
    /// partial update's rows get the full before image (each row's after image from the
    /// preceding full UPDATE, byte for byte) and a full after image (`id` added in front of the
    /// server's diffs and generated columns). `edit` may change the new event body; event
    /// sizes, positions and checksums are recomputed.
    fn json_binlog_with_full_images(after_json: AfterJson, edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
        let file = std::fs::read(format!("{FIXTURES}/{JSON_BINLOG}")).unwrap();
        let events = split_events(&file);
        let body = |ev: &[u8]| ev[19..ev.len() - 4].to_vec();
        // Rows event body: table id (6), flags (2), extra data (its length counts itself),
        // column count (lenenc), before and after column bitmaps, then the rows.
        let rows_start = |b: &[u8], bitmaps: [u8; 2]| {
            let extra = usize::from(u16::from_le_bytes([b[8], b[9]]));
            let at = 8 + extra;
            // Only 4 bits count; the server sets the spare bits of a full image's bitmap.
            assert_eq!(
                [b[at], b[at + 1] & 0x0f, b[at + 2] & 0x0f],
                [4, bitmaps[0], bitmaps[1]]
            );
            at + 3
        };
        let of_type = |t: u8| {
            let found: Vec<&(usize, Vec<u8>)> = events.iter().filter(|(_, e)| e[4] == t).collect();
            assert_eq!(found.len(), 1, "one event of type {t}");
            found[0].clone()
        };

        // The full UPDATE (UPDATE_ROWS_EVENT, 31): keep each row's after image (null bitmap
        // and values), by id.
        let (_, full) = of_type(31);
        let b = body(&full);
        let mut at = rows_start(&b, [0x0f, 0x0f]);
        let mut latest = BTreeMap::new();
        while at < b.len() {
            assert_eq!(b[at], 0, "no NULLs in the fixture");
            at += 1 + values_len(&b[at + 1..], &[0, 1, 2, 3]);
            let len = 1 + values_len(&b[at + 1..], &[0, 1, 2, 3]);
            let image = b[at..at + len].to_vec();
            latest.insert(image[1..5].to_vec(), image);
            at += len;
        }
        assert_eq!(latest.len(), 6);

        // The partial update (PARTIAL_UPDATE_ROWS_EVENT, 39): MINIMAL images, the key before
        // and the changed columns after, behind the value options (PARTIAL_JSON) and the
        // partial-column bitmap.
        let (start, partial) = of_type(39);
        let b = body(&partial);
        let head = rows_start(&b, [0x01, 0x0e]);
        let mut rows = Vec::new();
        let mut at = head;
        let mut count = 0;
        while at < b.len() {
            assert_eq!(b[at], 0);
            let id = b[at + 1..at + 5].to_vec();
            at += 5;
            assert_eq!(
                b[at..at + 3],
                [1, 1, 0],
                "PARTIAL_JSON, json_col partial, no NULLs"
            );
            at += 3;
            let len = values_len(&b[at..], &[1, 2, 3]);
            let before = &latest[&id];
            rows.extend_from_slice(before);
            match after_json {
                AfterJson::Diffs => {
                    rows.extend_from_slice(&[1, 1, 0]);
                    rows.extend_from_slice(&id);
                    rows.extend_from_slice(&b[at..at + len]);
                }
                AfterJson::Whole => {
                    rows.extend_from_slice(&[1, 0]);
                    rows.extend_from_slice(before);
                }
            }
            at += len;
            count += 1;
        }
        assert_eq!(count, 6);
        let mut new_body = b[..head - 2].to_vec();
        // Both images whole, with the bitmap bytes the server wrote for its full UPDATE.
        new_body.extend_from_slice(&[0xff, 0xff]);
        new_body.extend_from_slice(&rows);
        edit(&mut new_body);

        let old_size = partial.len();
        let new_size = 19 + new_body.len() + 4;
        let mut out = file[..start].to_vec();
        let mut ev = partial[..19].to_vec();
        ev[9..13].copy_from_slice(&u32::try_from(new_size).unwrap().to_le_bytes());
        ev[13..17].copy_from_slice(&u32::try_from(start + new_size).unwrap().to_le_bytes());
        ev.extend_from_slice(&new_body);
        let sum = crc32(&[&ev]);
        ev.extend_from_slice(&sum.to_le_bytes());
        out.extend_from_slice(&ev);
        // The events after it move by the size difference.
        for (s, ev) in events.iter().filter(|(s, _)| *s > start) {
            let mut ev = ev.clone();
            let pos = u32::from_le_bytes(ev[13..17].try_into().unwrap()) as usize;
            let moved = pos + new_size - old_size;
            assert_eq!(*s + ev.len(), pos);
            ev[13..17].copy_from_slice(&u32::try_from(moved).unwrap().to_le_bytes());
            let n = ev.len();
            let sum = crc32(&[&ev[..n - 4]]);
            ev[n - 4..].copy_from_slice(&sum.to_le_bytes());
            out.extend_from_slice(&ev);
        }
        out
    }

    #[tokio::test]
    async fn partial_json_updates_apply_their_diffs_to_the_before_document() {
        let binlog = json_binlog_with_full_images(AfterJson::Diffs, |_| {});
        let (recs, err) = replay_from(JSON_BINLOG, &binlog[..], &[]).await;
        assert!(err.is_none(), "{err:?}");
        // Every row of every rows event: 6 inserts, 6 full updates, 6 partial updates.
        let r = rows(&recs, "test.mysql.t");
        assert_eq!(
            r.iter().map(|x| op(x)).collect::<Vec<_>>(),
            [["c"; 6], ["u"; 6], ["u"; 6]].concat()
        );
        // What the server's documents are after `age + 1` a second time.
        let expected = [
            r#"{"age":26,"data":"xxxxxxxxxx","name":"Joe"}"#,
            r#"{"age":34,"data":"yyyyyyyyyy","name":"Sue"}"#,
            r#"{"age":42,"data":"zzzzzzzzzz","name":"Pete"}"#,
        ];
        for (k, (full, partial)) in r[6..12].iter().zip(&r[12..]).enumerate() {
            let id = image(partial, "after").get("id").unwrap().clone();
            assert_eq!(image(full, "after").get("id"), Some(&id));
            // The partial update's after image: the same compact text a whole document gives.
            let (doc, text) = json_col(partial, "after");
            assert_eq!(text, expected[k % 3], "row {id:?}");
            // The server computed the generated columns from its own document: they agree
            // with the rebuilt one.
            assert_eq!(
                image(partial, "after").get("age"),
                Some(&Value::Int32(
                    i32::try_from(doc["age"].as_i64().unwrap()).unwrap()
                ))
            );
            assert_eq!(
                image(partial, "after").get("name").and_then(|v| v.as_str()),
                doc["name"].as_str()
            );
            // Consecutive updates of a row chain: the document the partial update starts from
            // is the one the full update left.
            assert_eq!(json_col(partial, "before"), json_col(full, "after"));
            let (mut started, _) = json_col(full, "after");
            started["age"] = serde_json::json!(started["age"].as_i64().unwrap() + 1);
            assert_eq!(doc, started);
        }
    }

    #[tokio::test]
    async fn json_columns_outside_the_partial_bitmap_are_whole_documents() {
        let binlog = json_binlog_with_full_images(AfterJson::Whole, |_| {});
        let (recs, err) = replay_from(JSON_BINLOG, &binlog[..], &[]).await;
        assert!(err.is_none(), "{err:?}");
        let r = rows(&recs, "test.mysql.t");
        assert_eq!(r.len(), 18);
        for partial in &r[12..] {
            assert_eq!(op(partial), "u");
            assert_eq!(json_col(partial, "after"), json_col(partial, "before"));
        }
    }

    #[tokio::test]
    async fn a_diff_that_does_not_fit_the_before_document_fails_the_row_clearly() {
        // `$.age` → `$.agf` (same length): REPLACE of a member the documents do not have.
        let binlog = json_binlog_with_full_images(AfterJson::Diffs, |body| {
            let at = body.windows(6).position(|w| w == b"\x05$.age").unwrap();
            body[at + 5] = b'f';
        });
        let (recs, err) = replay_from(JSON_BINLOG, &binlog[..], &[]).await;
        assert_eq!(rows(&recs, "test.mysql.t").len(), 12);
        let err = err.expect("the diff cannot apply");
        assert!(matches!(err, CdcError::Decode(_)), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("column json_col") && msg.contains("REPLACE `$.agf`"),
            "{msg}"
        );
        assert!(msg.contains("no member \"agf\""), "{msg}");
    }

    #[test]
    fn diffs_on_a_null_before_value_are_a_decode_error() {
        use mysql_common::io::ParseBuf;
        // REPLACE `$.age` with the int16 26, as the fixture's server wrote it.
        const DIFF: &[u8] = b"\x00\x05$.age\x03\x05\x1a\x00";
        let diff: JsonDiff<'static> = ParseBuf(DIFF).parse(()).unwrap();
        let columns = [Column::new("json_col", "json")];
        let id = TableId::new("mysql", "t");
        let no_columns: std::sync::Arc<[mysql_common::packets::Column]> = Vec::new().into();
        let before = BinlogRow::new(
            vec![Some(BinlogValue::Value(MyValue::NULL))],
            no_columns.clone(),
        );
        let after = BinlogRow::new(vec![Some(BinlogValue::JsonDiff(vec![diff]))], no_columns);
        let mut docs = BTreeMap::new();
        let b = decode_image(&columns, &id, Some(before), Some(&mut docs)).unwrap();
        assert_eq!(b, Some(vec![Cell::Null]));
        let err = decode_image(&columns, &id, Some(after), Some(&mut docs)).unwrap_err();
        assert!(matches!(err, CdcError::Decode(_)), "{err:?}");
        assert!(
            err.to_string()
                .contains("before value is not a JSON document"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn partial_row_images_are_rejected_not_nulled() {
        let seed = [(
            "noria",
            "CREATE TABLE t1 (a INT PRIMARY KEY, b TEXT, c CHAR(1), d INT, e INT UNSIGNED)",
        )];
        let (recs, err) = replay("minimal_row_metadata.000001", &seed).await;
        assert!(rows(&recs, "test.noria.t1").is_empty());
        let msg = err.expect("minimal image must fail").to_string();
        assert!(msg.contains("binlog_row_image=FULL"), "{msg}");
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(&[b"123456789"]), 0xcbf4_3926);
        assert_eq!(crc32(&[b"1234", b"56789"]), 0xcbf4_3926);
    }

    #[test]
    fn gtid_sets_merge_intervals_and_keep_mariadb_domains() {
        let mut s = GtidSet::parse("50303655-f22a-11e8-92a5-0242ac1d0003:1-5:7");
        s.add_mysql("50303655-f22a-11e8-92a5-0242ac1d0003", 6);
        assert_eq!(s.to_string(), "50303655-f22a-11e8-92a5-0242ac1d0003:1-7");
        let mut m = GtidSet::parse("0-1-42,1-2-7");
        m.add_mariadb(0, 1, 43);
        assert_eq!(m.to_string(), "0-1-43,1-2-7");
    }

    #[test]
    fn gtid_set_containment_follows_intervals_and_domain_sequences() {
        let u = "50303655-f22a-11e8-92a5-0242ac1d0003";
        let big = GtidSet::parse(&format!("{u}:1-10:20-30"));
        assert!(big.contains(&GtidSet::parse(&format!("{u}:2-5:21"))));
        assert!(
            !big.contains(&GtidSet::parse(&format!("{u}:9-21"))),
            "spans a gap"
        );
        assert!(!big.contains(&GtidSet::parse("11111111-f22a-11e8-92a5-0242ac1d0003:1")));
        assert!(big.contains(&GtidSet::default()));
        let m = GtidSet::parse("0-1-42,1-2-7");
        assert!(
            m.contains(&GtidSet::parse("0-5-40")),
            "server ids do not matter"
        );
        assert!(!m.contains(&GtidSet::parse("0-1-43")));
        assert!(!m.contains(&GtidSet::parse("2-1-1")), "unknown domain");
    }

    #[test]
    fn gtid_sets_become_dump_requests_for_each_flavour() {
        let set = GtidSet::parse(
            "0-1-42,50303655-f22a-11e8-92a5-0242ac1d0003:1-5:7,50303655-f22a-11e8-92a5-0242ac1d0004:blue:3",
        );
        assert_eq!(set.mariadb_state(), "0-1-42");
        let sids = set.mysql_sids().unwrap();
        assert_eq!(sids.len(), 2);
        let ivals: Vec<(u64, u64)> = sids[0]
            .intervals()
            .iter()
            .map(|i| (i.start(), i.end()))
            .collect();
        assert_eq!(
            ivals,
            [(1, 6), (7, 8)],
            "the wire format's ends are exclusive"
        );
        assert_eq!(
            sids[1].tag().map(ToString::to_string).as_deref(),
            Some("blue")
        );
        assert_eq!(sids[1].intervals()[0].start(), 3);
        let bad = GtidSet::parse("not-a-uuid:1-5");
        assert!(bad.mysql_sids().is_err());
    }

    /// `json-opaque.binlog` (MySQL 9.0.1, from mysql_common's test data) inserts eight documents
    /// into `foo.test(a JSON)`. The first six each hold one value that MySQL stores opaque:
    /// VARCHAR, DATE, DATETIME, TIME, DECIMAL(6,3) and DECIMAL(11,2). The last two hold none.
    #[tokio::test]
    async fn json_opaque_values_decode_and_render_as_debezium_renders_them() {
        let (recs, err) = replay("json-opaque.binlog", &[]).await;
        assert!(err.is_none(), "{err:?}");
        let ours: Vec<&str> = rows(&recs, "test.foo.test")
            .into_iter()
            .map(|r| image(r, "after").get("a").unwrap().as_str().unwrap())
            .collect();
        // What mysql-binlog-connector-java 0.27.2's `JsonBinary.parseAsString` (the call
        // Debezium makes) printed for this file's rows, run on a JVM.
        let debezium = [
            r#"{"a":"VQ=="}"#,
            r#"{"b":"2012-03-18"}"#,
            r#"{"c":"2012-03-18 11:30:45"}"#,
            r#"{"c":"87:31:46.654321"}"#,
            r#"{"d":123.456}"#,
            r#"{"e":9.00}"#,
            r#"{"e":[0,1,true,false]}"#,
            r#"{"e":null}"#,
        ];
        assert_eq!(ours.len(), debezium.len(), "{ours:?}");
        for (i, (ours, debezium)) in ours.into_iter().zip(debezium).enumerate() {
            if i == 5 {
                // A serde_json Number cannot keep the scale of 9.00 unless serde_json's
                // `arbitrary_precision` feature is on (module `jsonb`, "Decimals").
                let number: serde_json::Value = serde_json::from_str(debezium).unwrap();
                assert_eq!(ours, number.to_string());
            } else {
                assert_eq!(ours, debezium);
            }
        }
    }
}
