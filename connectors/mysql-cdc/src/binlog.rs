//! Streaming: reads the binlog over the replication protocol and turns row events into change
//! events with the tracked schema, DDL into schema changes, and keeps the restart offset exact
//! (reference §5, §6).

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use mysql_async::binlog::events::{Event, EventData, RowsEventData};
use mysql_async::{BinlogStreamRequest, Conn};
use mysql_common::binlog::value::BinlogValue;
use mysql_common::value::Value as MyValue;

use crate::convert::Cell;
use crate::error::{CdcError, Result};
use crate::event::SourceInfo;
use crate::offset::BinlogOffset;
use crate::table::{Column, TableId};
use crate::task::{Engine, connect};

const MARIADB_GTID_EVENT: u8 = 162;
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
                if let (Ok(d), Ok(srv), Ok(seq)) = (dashes[0].parse(), dashes[1].parse(), dashes[2].parse()) {
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
            let r: Vec<String> = ranges.iter().map(|(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") }).collect();
            parts.push(format!("{src}:{}", r.join(":")));
        }
        f.write_str(&parts.join(","))
    }
}

fn uuid_text(sid: [u8; 16]) -> String {
    let h: String = sid.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// A binlog value → cell. Strings stay bytes (decoded later with the column charset).
pub(crate) fn binlog_cell(col: &Column, v: Option<BinlogValue<'_>>) -> Result<Cell> {
    Ok(match v {
        None => Cell::Null,
        Some(BinlogValue::Value(v)) => match v {
            MyValue::NULL => Cell::Null,
            MyValue::Int(i) => Cell::Int(i),
            MyValue::UInt(u) => Cell::UInt(u),
            MyValue::Float(f) => Cell::Float(f),
            MyValue::Double(d) => Cell::Double(d),
            MyValue::Date(y, m, d, h, mi, s, us) => Cell::DateTime { year: y, month: m, day: d, hour: h, minute: mi, second: s, micros: us },
            MyValue::Time(neg, days, h, m, s, us) => Cell::Time { negative: neg, days, hours: h, minutes: m, seconds: s, micros: us },
            MyValue::Bytes(b) => match col.type_name.as_str() {
                "DECIMAL" | "NUMERIC" | "TIMESTAMP" | "YEAR" | "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "FLOAT" | "DOUBLE" | "REAL" | "DATE" | "DATETIME" | "TIME" => {
                    Cell::Text(String::from_utf8_lossy(&b).into_owned())
                }
                _ => Cell::Bytes(b),
            },
        },
        Some(BinlogValue::Jsonb(j)) => {
            let json = serde_json::Value::try_from(j).map_err(|e| CdcError::Decode(format!("column {}: invalid binary JSON: {e}", col.name)))?;
            Cell::Json(json.to_string())
        }
        Some(BinlogValue::JsonDiff(_)) => {
            return Err(CdcError::ServerSetup(format!(
                "column {} holds a partial JSON update; set binlog_row_value_options='' (PARTIAL_JSON is not supported, as in Debezium)",
                col.name
            )));
        }
    })
}

/// A ROTATE event's file name. The fake ROTATE the server sends before the format description
/// can carry the 4 checksum bytes after the name; a binlog name ends at its numeric suffix.
fn clean_file_name(name: &str) -> String {
    let bytes = name.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'.' {
            let digits = bytes[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits >= 6 {
                return name[..i + 1 + digits].to_owned();
            }
        }
    }
    name.chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')).collect()
}

/// Where the reader is.
#[derive(Debug, Clone, Default)]
struct Cursor {
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
    current_gtid: Option<String>,
    pending_gtid: Option<PendingGtid>,
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
            gtids: (!self.committed_gtids.is_empty()).then(|| self.committed_gtids.to_string()),
            event,
            row,
            ts_sec: Some(ts_sec),
            server_id: Some(server_id),
            snapshot: false,
        }
    }

    fn begin(&mut self, start: u64) {
        self.in_tx = true;
        self.restart_pos = start;
        self.events = 0;
    }

    fn commit(&mut self, next: u64) {
        self.in_tx = false;
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
        self.current_gtid = None;
        self.thread = None;
        self.query = None;
    }
}

/// Streams from `start` until the task stops, reconnecting with back-off on connection loss.
pub(crate) async fn stream(engine: &mut Engine, start: BinlogOffset) -> Result<()> {
    let gtids = start.gtids.as_deref().map(GtidSet::parse).unwrap_or_default();
    let mut cursor = Cursor {
        file: start.file.clone(),
        restart_pos: start.pos,
        skip_events: start.event,
        skip_rows: start.row,
        committed_gtids: gtids.clone(),
        gtids,
        ..Cursor::default()
    };
    let mut attempt = 0u32;
    loop {
        match stream_once(engine, &mut cursor).await {
            Ok(()) => return Ok(()),
            Err(CdcError::Database { retriable: true, context, source }) if attempt < 10 => {
                attempt += 1;
                let wait = Duration::from_millis(500 * 2u64.pow(attempt.min(6)));
                tracing::warn!(%context, error = %source, ?wait, attempt, "binlog connection lost; reconnecting");
                engine.flush().await?;
                tokio::time::sleep(wait).await;
                // Resume from the restart point, skipping what this run already emitted.
                cursor.skip_events = cursor.events;
                cursor.skip_rows = 0;
                cursor.in_tx = false;
                cursor.gtids = cursor.committed_gtids.clone();
            }
            Err(e) => return Err(e),
        }
    }
}

async fn open(engine: &Engine, cursor: &Cursor) -> Result<mysql_async::BinlogStream> {
    let mut conn: Conn = connect(&engine.config).await?;
    if engine.mariadb {
        // MariaDB sends its GTID events only to replicas that announce this capability.
        use mysql_async::prelude::Queryable;
        conn.query_drop("SET @mariadb_slave_capability=4").await.map_err(|e| CdcError::db("announcing the MariaDB replica capability failed", e))?;
    }
    let request = BinlogStreamRequest::new(engine.config.server_id).with_filename(cursor.file.as_bytes()).with_pos(cursor.restart_pos);
    conn.get_binlog_stream(request).await.map_err(|e| classify(e, cursor))
}

fn classify(e: mysql_async::Error, cursor: &Cursor) -> CdcError {
    if let mysql_async::Error::Server(s) = &e {
        if s.code == 1236 {
            let m = s.message.to_ascii_lowercase();
            if m.contains("could not find first log file") || m.contains("purged") || m.contains("not find") {
                return CdcError::BinlogPurged { position: format!("{}:{}", cursor.file, cursor.restart_pos) };
            }
            return CdcError::ServerSetup(format!("The server refused to send the binlog: {} (is database.server.id unique among replicas?)", s.message));
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
    loop {
        let next = match tokio::time::timeout(idle, stream.next()).await {
            Err(_) => {
                engine.flush().await?;
                continue;
            }
            Ok(None) => {
                engine.flush().await?;
                return Err(CdcError::db("the server closed the binlog stream", mysql_async::Error::Io(mysql_async::IoError::Io(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "binlog stream ended")))));
            }
            Ok(Some(Err(e))) => return Err(classify(e, cursor)),
            Ok(Some(Ok(ev))) => ev,
        };
        handle(engine, &stream, cursor, &next).await?;
    }
}

async fn handle(engine: &mut Engine, stream: &mysql_async::BinlogStream, cursor: &mut Cursor, ev: &Event) -> Result<()> {
    let header = ev.header();
    let next_pos = u64::from(header.log_pos());
    let start_pos = next_pos.saturating_sub(u64::from(header.event_size()));
    let ts_sec = i64::from(header.timestamp());
    let server_id = i64::from(header.server_id());
    let raw_type = header.event_type_raw();
    // Events the server synthesises at stream start (fake ROTATE, FORMAT_DESCRIPTION) have
    // log_pos 0 and do not count towards the transaction's events.
    let counts = next_pos != 0;

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
            cursor.in_tx = flags & 1 == 0;
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
    let data = ev.read_data().map_err(|e| CdcError::Decode(format!("cannot decode binlog event at {}:{start_pos}: {e}", cursor.file)))?;
    let Some(data) = data else {
        if counts {
            cursor.events += 1;
        }
        return Ok(());
    };
    match data {
        EventData::RotateEvent(r) => {
            cursor.file = clean_file_name(&r.name());
            if !cursor.in_tx {
                cursor.restart_pos = r.position();
            }
            return Ok(());
        }
        EventData::FormatDescriptionEvent(_) | EventData::HeartbeatEvent => return Ok(()),
        EventData::GtidEvent(g) => {
            let mut src = uuid_text(g.sid());
            if let Some(tag) = g.tag() {
                src = format!("{src}:{tag}");
            }
            cursor.begin(start_pos);
            cursor.in_tx = false;
            cursor.current_gtid = Some(format!("{src}:{}", g.gno()));
            cursor.pending_gtid = Some(PendingGtid::MySql(src, g.gno()));
        }
        EventData::QueryEvent(q) => {
            let sql = q.query();
            let trimmed = sql.trim();
            if trimmed.eq_ignore_ascii_case("BEGIN") {
                if cursor.pending_gtid.is_none() || !cursor.in_tx && cursor.events == 0 && cursor.current_gtid.is_none() {
                    cursor.begin(start_pos);
                }
                cursor.in_tx = true;
                cursor.thread = Some(i64::from(q.thread_id()));
            } else if trimmed.eq_ignore_ascii_case("COMMIT") || trimmed.eq_ignore_ascii_case("ROLLBACK") {
                cursor.events += 1;
                cursor.commit(next_pos);
                return Ok(());
            } else if (cursor.restart_pos, next_pos) != (0, 0) {
                let key = (crate::offset::file_index(&cursor.file), next_pos);
                let already = engine.history_high.is_some_and(|h| key <= h);
                let skip = cursor.skip_events > cursor.events;
                if !already && !skip {
                    let db = q.schema().into_owned();
                    let mut after = cursor.offset(0, 0, ts_sec, server_id);
                    after.pos = next_pos;
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
                    if let Some(effect) = engine.apply_ddl(&db, trimmed, &source, &after).await? {
                        for id in &effect.truncated {
                            if engine.config.emits("t") && engine.config.table_captured(&id.db, &id.table) {
                                let mut src = source.clone();
                                src.db.clone_from(&id.db);
                                src.table = Some(id.table.clone());
                                engine.emit_truncate(id, &src, &after).await?;
                            }
                        }
                    }
                }
                if !cursor.in_tx {
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
            engine.flush().await?;
            return Ok(());
        }
        EventData::RowsQueryEvent(q) => {
            if engine.config.include_query {
                cursor.query = Some(q.query().into_owned());
            }
        }
        EventData::RowsEvent(rows) => {
            let index = cursor.events;
            if index >= cursor.skip_events {
                let skip_rows = if index == cursor.skip_events { cursor.skip_rows } else { 0 };
                rows_event(engine, stream, cursor, &rows, index, skip_rows, start_pos, ts_sec, server_id).await?;
            }
        }
        _ => {}
    }
    if counts {
        cursor.events += 1;
    }
    if !cursor.in_tx && counts && !matches!(raw_type, 2 | 15) {
        // Outside a transaction every complete event moves the restart point.
        cursor.restart_pos = next_pos;
        cursor.events = 0;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn rows_event(
    engine: &mut Engine,
    stream: &mysql_async::BinlogStream,
    cursor: &Cursor,
    rows: &RowsEventData<'_>,
    index: u64,
    skip_rows: u64,
    start_pos: u64,
    ts_sec: i64,
    server_id: i64,
) -> Result<()> {
    let Some(tme) = stream.get_tme(rows.table_id()) else {
        return Err(CdcError::Decode(format!("rows event at {}:{start_pos} refers to unknown table id {}", cursor.file, rows.table_id())));
    };
    let id = TableId::new(tme.database_name().into_owned(), tme.table_name().into_owned());
    if !engine.config.table_captured(&id.db, &id.table) {
        return Ok(());
    }
    let Some(ts) = engine.table_schema(&id) else {
        return Err(CdcError::Decode(format!(
            "rows event at {}:{start_pos} for {id}, whose structure is unknown; the schema history does not cover this table (restart with snapshot.mode=recovery)",
            cursor.file
        )));
    };
    let op = match rows {
        RowsEventData::WriteRowsEventV1(_) | RowsEventData::WriteRowsEvent(_) => "c",
        RowsEventData::UpdateRowsEventV1(_) | RowsEventData::UpdateRowsEvent(_) | RowsEventData::PartialUpdateRowsEvent(_) => "u",
        RowsEventData::DeleteRowsEventV1(_) | RowsEventData::DeleteRowsEvent(_) => "d",
    };
    if !engine.config.emits(op) {
        return Ok(());
    }
    let decode = |row: Option<mysql_common::binlog::row::BinlogRow>| -> Result<Option<Vec<Cell>>> {
        let Some(mut row) = row else { return Ok(None) };
        let n = row.len();
        let mut cells = Vec::with_capacity(n);
        for i in 0..n {
            let col = ts.columns().get(i).ok_or_else(|| {
                CdcError::Decode(format!("rows event for {id} has {n} columns but the tracked schema has {} (inconsistent schema)", ts.columns().len()))
            })?;
            cells.push(binlog_cell(col, row.take(i))?);
        }
        Ok(Some(cells))
    };
    for (i, r) in rows.rows(tme).enumerate() {
        let (before, after) = r.map_err(|e| CdcError::Decode(format!("cannot decode a row of {id} at {}:{start_pos}: {e}", cursor.file)))?;
        let row_no = u64::try_from(i).unwrap_or(u64::MAX);
        if row_no < skip_rows {
            continue;
        }
        let before = decode(before)?.map(|c| engine.convert_row(&ts, c)).transpose()?;
        let after = decode(after)?.map(|c| engine.convert_row(&ts, c)).transpose()?;
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
        engine.emit_change(&ts, op, before, after, &source, &offset).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotate_names_lose_trailing_checksum_bytes() {
        assert_eq!(clean_file_name("binlog.000001\u{fffd}\0<\u{fffd}"), "binlog.000001");
        assert_eq!(clean_file_name("mysql-bin.000123"), "mysql-bin.000123");
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
}
