//! The initial snapshot (reference §4): a consistent read of every captured table at a known
//! binlog position, emitted as `op: r` events, plus the schema history records that describe
//! the tables at that position.
//!
//! Sequence (`snapshot.locking.mode=minimal`): `FLUSH TABLES WITH READ LOCK`, `START TRANSACTION
//! WITH CONSISTENT SNAPSHOT`, read the binlog position, `SHOW CREATE TABLE` each table, `UNLOCK
//! TABLES`, then `SELECT *` per table inside the still-open transaction. The lock makes the
//! position and the read view agree; releasing it early keeps writers blocked only briefly.

use std::sync::Arc;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row, Value as MyValue};

use crate::config::LockingMode;
use crate::convert::Cell;
use crate::emitter::{Emitter, now_ms};
use crate::error::{CdcError, Result};
use crate::event::{Op, SourceInfo};
use crate::offset::BinlogOffset;
use crate::table::{Column, TableId};

fn db_err(ctx: &str) -> impl FnOnce(mysql_async::Error) -> CdcError + '_ {
    move |e| CdcError::db(ctx, e)
}

/// Checks that the server can be captured; returns whether it is MariaDB.
///
/// # Errors
/// Binlog off, a format other than ROW, a row image other than FULL, missing grants.
pub(crate) async fn check_server(conn: &mut Conn) -> Result<bool> {
    type Settings = (Option<String>, Option<String>, Option<String>, String);
    let row: Option<Settings> = conn
        .query_first(
            "SELECT @@global.log_bin, @@global.binlog_format, @@global.binlog_row_image, VERSION()",
        )
        .await
        .map_err(db_err("Unable to read the server's binlog settings"))?;
    let Some((log_bin, format, image, version)) = row else {
        return Err(CdcError::ServerSetup(
            "the server returned no binlog settings".into(),
        ));
    };
    validate_settings(log_bin.as_deref(), format.as_deref(), image.as_deref())?;
    if let Err(e) = binlog_status(conn).await {
        return Err(CdcError::ServerSetup(format!(
            "The connector's user lacks the REPLICATION CLIENT (MariaDB: BINLOG MONITOR) privilege needed to read the binlog position: {e}. Grant SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.*"
        )));
    }
    Ok(version.to_ascii_lowercase().contains("mariadb"))
}

/// Debezium's checks of the global binlog settings (`validateBinlogConfiguration`).
pub(crate) fn validate_settings(
    log_bin: Option<&str>,
    format: Option<&str>,
    image: Option<&str>,
) -> Result<()> {
    if !matches!(log_bin, Some("1" | "ON" | "on")) {
        return Err(CdcError::ServerSetup(
            "The MySQL server is not configured to use a binlog (log_bin is OFF); enable log_bin, binlog_format=ROW and binlog_row_image=FULL".into(),
        ));
    }
    if !format.is_some_and(|f| f.eq_ignore_ascii_case("ROW")) {
        return Err(CdcError::ServerSetup(format!(
            "The MySQL server is not configured to use a ROW binlog_format, which is required for this connector to work properly. Change the MySQL configuration to use a binlog_format=ROW and restart the connector. (binlog_format={})",
            format.unwrap_or_default()
        )));
    }
    if !image.is_none_or(|i| i.eq_ignore_ascii_case("FULL")) {
        return Err(CdcError::ServerSetup(format!(
            "The MySQL server is not configured to use a FULL binlog_row_image, which is required for this connector to work properly. Change the MySQL configuration to use a binlog_row_image=FULL and restart the connector. (binlog_row_image={})",
            image.unwrap_or_default()
        )));
    }
    Ok(())
}

/// `SHOW MASTER STATUS`, or its MySQL 8.4+ name `SHOW BINARY LOG STATUS` when the server no
/// longer knows the old one (syntax error 1064).
async fn binlog_status(conn: &mut Conn) -> std::result::Result<Option<Row>, mysql_async::Error> {
    match conn.query_first("SHOW MASTER STATUS").await {
        Err(mysql_async::Error::Server(e)) if e.code == 1064 => {
            conn.query_first("SHOW BINARY LOG STATUS").await
        }
        other => other,
    }
}

/// Whether binlog `file` still exists on the server.
pub(crate) async fn binlog_available(conn: &mut Conn, file: &str) -> Result<bool> {
    let logs: Vec<Row> = conn
        .query("SHOW BINARY LOGS")
        .await
        .map_err(db_err("SHOW BINARY LOGS failed"))?;
    Ok(logs
        .into_iter()
        .any(|mut r| r.take::<String, _>(0).is_some_and(|f| f == file)))
}

/// The oldest binlog file.
pub(crate) async fn first_binlog(conn: &mut Conn) -> Result<String> {
    let logs: Vec<Row> = conn
        .query("SHOW BINARY LOGS")
        .await
        .map_err(db_err("SHOW BINARY LOGS failed"))?;
    logs.into_iter()
        .next()
        .and_then(|mut r| r.take::<String, _>(0))
        .ok_or_else(|| CdcError::ServerSetup("the server lists no binary logs".into()))
}

/// The current binlog position and GTID set.
pub(crate) async fn master_position(conn: &mut Conn, mariadb: bool) -> Result<BinlogOffset> {
    let row: Option<Row> = binlog_status(conn)
        .await
        .map_err(db_err("SHOW MASTER STATUS failed"))?;
    let Some(mut row) = row else {
        return Err(CdcError::ServerSetup(
            "SHOW MASTER STATUS returned nothing: the binlog is not enabled".into(),
        ));
    };
    let file: String = row.take(0).unwrap_or_default();
    let pos: u64 = row.take(1).unwrap_or(4);
    let gtids = if mariadb {
        let g: Option<String> = conn
            .query_first("SELECT @@gtid_binlog_pos")
            .await
            .map_err(db_err("reading @@gtid_binlog_pos failed"))?;
        g.filter(|s| !s.is_empty())
    } else if row.len() > 4 {
        row.take::<Option<String>, _>(4)
            .flatten()
            .map(|s| s.replace('\n', ""))
            .filter(|s| !s.is_empty())
    } else {
        None
    };
    Ok(BinlogOffset {
        file,
        pos,
        gtids,
        ..BinlogOffset::default()
    })
}

fn quote(id: &str) -> String {
    format!("`{}`", id.replace('`', "``"))
}

/// Text-protocol value → cell. Binary columns keep their bytes; everything else is text.
fn cell(col: &Column, v: Option<MyValue>) -> Cell {
    let Some(v) = v else { return Cell::Null };
    Cell::from_my_value(v, |b| {
        let raw = col.is_binary()
            || matches!(
                col.type_name.as_str(),
                "BIT"
                    | "GEOMETRY"
                    | "POINT"
                    | "LINESTRING"
                    | "POLYGON"
                    | "MULTIPOINT"
                    | "MULTILINESTRING"
                    | "MULTIPOLYGON"
                    | "GEOMETRYCOLLECTION"
                    | "GEOMCOLLECTION"
            );
        if raw {
            Cell::Bytes(b)
        } else {
            match String::from_utf8(b) {
                Ok(s) => Cell::Text(s),
                Err(e) => Cell::Bytes(e.into_bytes()),
            }
        }
    })
}

/// The captured databases and their base tables, in the server's (sorted) order.
async fn list_tables(emitter: &Emitter, conn: &mut Conn) -> Result<Vec<(String, Vec<String>)>> {
    let dbs: Vec<String> = conn
        .query("SHOW DATABASES")
        .await
        .map_err(db_err("SHOW DATABASES failed"))?;
    let mut tables = Vec::new();
    for db in dbs
        .into_iter()
        .filter(|d| emitter.config.database_captured(d))
    {
        let rows: Vec<(String, String)> = conn
            .query(format!(
                "SHOW FULL TABLES IN {} WHERE Table_Type = 'BASE TABLE'",
                quote(&db)
            ))
            .await
            .map_err(db_err("listing tables failed"))?;
        tables.push((db, rows.into_iter().map(|(t, _)| t).collect()));
    }
    Ok(tables)
}

/// Continues an interrupted chunked snapshot after the row recorded in `offset`, in a new
/// consistent read; streaming then starts at the original snapshot position, so changes made
/// meanwhile are replayed (at-least-once) on top of the rows read now.
pub(crate) async fn resume(
    emitter: &mut Emitter,
    conn: &mut Conn,
    offset: &BinlogOffset,
) -> Result<BinlogOffset> {
    conn.query_drop("SET NAMES utf8mb4")
        .await
        .map_err(db_err("SET NAMES failed"))?;
    conn.query_drop("SET time_zone='+00:00'")
        .await
        .map_err(db_err("setting time_zone failed"))?;
    let tables = list_tables(emitter, conn).await?;
    conn.query_drop("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .await
        .map_err(db_err("setting isolation failed"))?;
    // Readers need no common read view here: streaming replays everything since the original
    // position on top of whatever each range reads now.
    let threads = emitter.config.snapshot_max_threads;
    let readers = if threads > 1 {
        connect_readers(emitter, threads, true).await?
    } else {
        Vec::new()
    };
    let readers = start_reads(conn, readers, true).await?;
    let key: Vec<serde_json::Value> = offset
        .snapshot_key
        .as_deref()
        .and_then(|k| serde_json::from_str(k).ok())
        .ok_or_else(|| {
            CdcError::Offset(format!("unreadable snapshot_key {:?}", offset.snapshot_key))
        })?;
    let resume = Resume {
        table: offset.snapshot_table.clone().unwrap_or_default(),
        key,
    };
    let mut position = offset.clone();
    position.snapshot_table = None;
    position.snapshot_key = None;
    position.snapshot = true;
    let readers = read_data(emitter, conn, readers, &tables, &position, Some(resume)).await?;
    close_readers(readers).await;
    conn.query_drop("COMMIT")
        .await
        .map_err(db_err("COMMIT failed"))?;
    position.snapshot = false;
    Ok(position)
}

/// Where an interrupted chunked snapshot continues.
#[derive(Debug, Clone)]
struct Resume {
    table: String,
    key: Vec<serde_json::Value>,
}

/// A key cell as JSON for the offset; `None` when the value cannot be bound back exactly.
fn key_json(c: &Cell) -> Option<serde_json::Value> {
    Some(match c {
        Cell::Int(i) => (*i).into(),
        Cell::UInt(u) => (*u).into(),
        Cell::Text(s) => s.clone().into(),
        Cell::DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            micros,
        } => format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}.{micros:06}")
            .into(),
        _ => return None,
    })
}

fn key_param(v: &serde_json::Value) -> MyValue {
    match v {
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => MyValue::Int(i),
            (_, Some(u)) => MyValue::UInt(u),
            _ => MyValue::Double(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => MyValue::Bytes(s.clone().into_bytes()),
        _ => MyValue::NULL,
    }
}

/// Runs the snapshot; returns the binlog position streaming continues from.
pub(crate) async fn run(
    emitter: &mut Emitter,
    conn: &mut Conn,
    data: bool,
) -> Result<BinlogOffset> {
    let config = emitter.config.clone();
    let timeout_s = (config.snapshot_lock_timeout_ms / 1000).max(1);
    conn.query_drop(format!("SET SESSION lock_wait_timeout={timeout_s}"))
        .await
        .map_err(db_err("setting lock_wait_timeout failed"))?;
    conn.query_drop("SET NAMES utf8mb4")
        .await
        .map_err(db_err("SET NAMES failed"))?;
    // TIMESTAMP text is rendered in the session zone; UTC makes it the value Debezium emits.
    conn.query_drop("SET time_zone='+00:00'")
        .await
        .map_err(db_err("setting time_zone failed"))?;

    let tables = list_tables(emitter, conn).await?;
    let threads = config.snapshot_max_threads;
    let readers = if data && threads > 1 && config.snapshot_chunk() > 0 {
        connect_readers(emitter, threads, config.locking_mode != LockingMode::None).await?
    } else {
        Vec::new()
    };

    let locked = match config.locking_mode {
        LockingMode::None => false,
        _ => match conn.query_drop("FLUSH TABLES WITH READ LOCK").await {
            Ok(()) => true,
            Err(e) => {
                return Err(CdcError::ServerSetup(format!(
                    "Unable to take the global read lock for a consistent snapshot: {e}. Grant RELOAD (or FLUSH_TABLES), or set snapshot.locking.mode=none if no DDL runs during the snapshot"
                )));
            }
        },
    };
    conn.query_drop("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .await
        .map_err(db_err("setting isolation failed"))?;
    // Parallel chunk readers open their reads with this one, while the lock (if any) holds.
    let readers = start_reads(conn, readers, locked).await?;
    let mut position = match emitter.mariadb {
        true => read_view_position(conn).await?,
        false => master_position(conn, false).await?,
    };
    position.ts_sec = Some(now_ms() / 1000);
    position.snapshot = data;

    // Schema: the same statement sequence Debezium records, read under the lock, applied (history
    // writes, schema-change events) after it is released so writers wait as little as possible.
    let (cs, coll): (Option<String>, Option<String>) = conn
        .query_first("SELECT @@character_set_server, @@collation_server")
        .await
        .map_err(db_err("reading the server charset failed"))?
        .unwrap_or((None, None));
    // (database, table, statement)
    let mut statements: Vec<(String, Option<String>, String)> = vec![(
        String::new(),
        None,
        format!(
            "SET character_set_server={}, collation_server={}",
            cs.unwrap_or_default(),
            coll.unwrap_or_default()
        ),
    )];
    for (db, names) in &tables {
        for t in names {
            statements.push((
                db.clone(),
                None,
                format!("DROP TABLE IF EXISTS {}.{}", quote(db), quote(t)),
            ));
        }
        statements.push((
            db.clone(),
            None,
            format!("DROP DATABASE IF EXISTS {}", quote(db)),
        ));
        let (dcs, dcoll): (Option<String>, Option<String>) = conn
            .exec_first(
                "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
                (db.clone(),),
            )
            .await
            .map_err(db_err("reading the database charset failed"))?
            .unwrap_or((None, None));
        statements.push((
            db.clone(),
            None,
            format!(
                "CREATE DATABASE {} CHARSET {} COLLATE {}",
                quote(db),
                dcs.unwrap_or_default(),
                dcoll.unwrap_or_default()
            ),
        ));
        statements.push((db.clone(), None, format!("USE {}", quote(db))));
        for t in names {
            let row: Option<(String, String)> = conn
                .query_first(format!("SHOW CREATE TABLE {}.{}", quote(db), quote(t)))
                .await
                .map_err(db_err("SHOW CREATE TABLE failed"))?;
            if let Some((_, ddl)) = row {
                statements.push((db.clone(), Some(t.clone()), ddl));
            }
        }
    }
    if locked && config.locking_mode == LockingMode::Minimal {
        conn.query_drop("UNLOCK TABLES")
            .await
            .map_err(db_err("UNLOCK TABLES failed"))?;
    }
    for (db, table, ddl) in statements {
        let source = SourceInfo {
            ts_ms: now_ms(),
            snapshot: Some("true"),
            db: db.clone(),
            table,
            file: position.file.clone(),
            pos: i64::try_from(position.pos).unwrap_or(i64::MAX),
            ..SourceInfo::default()
        };
        emitter.apply_ddl(&db, &ddl, &source, &position).await?;
    }

    if data {
        let readers = read_data(emitter, conn, readers, &tables, &position, None).await?;
        close_readers(readers).await;
    }
    conn.query_drop("COMMIT")
        .await
        .map_err(db_err("COMMIT failed"))?;
    if locked && config.locking_mode == LockingMode::Extended {
        conn.query_drop("UNLOCK TABLES")
            .await
            .map_err(db_err("UNLOCK TABLES failed"))?;
    }
    position.snapshot = false;
    Ok(position)
}

/// One converted row waiting for its snapshot marker (the next row decides whether it is last).
struct Pending {
    id: TableId,
    values: Vec<connect_api::data::Value>,
    ts_ms: i64,
    /// The row's primary key (chunked snapshots), for the resume point in its offset.
    key: Option<Vec<serde_json::Value>>,
}

/// Emits rows in order, holding one back so that the last row of the snapshot gets `last`
/// (and, in the 3.x layout, the last row of each table `last_in_data_collection`).
struct RowMarker<'a> {
    position: &'a BinlogOffset,
    pending: Option<Pending>,
    first: bool,
    /// 3.x: Debezium's `firstTable`/`lastTable` (the first and last table it snapshots, `None`
    /// with several snapshot threads), and the table of the row emitted last.
    edges: Option<(Option<TableId>, Option<TableId>)>,
    previous: Option<TableId>,
}

impl RowMarker<'_> {
    async fn push(&mut self, emitter: &mut Emitter, row: Pending) -> Result<()> {
        let next = row.id.clone();
        if let Some(p) = self.pending.replace(row) {
            let marker = self.advance(&p.id, &next);
            emit(emitter, p, marker, self.position, false).await?;
        }
        Ok(())
    }

    /// The marker of a row of `id` that a row of `next` follows, moving past it. The snapshot's
    /// very last row is not marked here: `finish` gives it `last` (in 3.x too, where
    /// `BufferingSnapshotChangeRecordReceiver.completeSnapshot` re-marks it).
    fn advance(&mut self, id: &TableId, next: &TableId) -> &'static str {
        let marker = self.marker(id, next);
        self.first = false;
        self.previous = Some(id.clone());
        marker
    }

    /// 2.2: `first`/`true`; 3.x: `RelationalSnapshotChangeEventSource.SnapshotMarkerResolver`.
    fn marker(&self, id: &TableId, next: &TableId) -> &'static str {
        let Some((first_table, last_table)) = &self.edges else {
            return if self.first { "first" } else { "true" };
        };
        let first_in_table = self.previous.as_ref() != Some(id);
        let last_in_table = next != id;
        if last_in_table && last_table.as_ref() == Some(id) {
            "last"
        } else if self.first && first_in_table && first_table.as_ref() == Some(id) {
            "first"
        } else if last_in_table {
            "last_in_data_collection"
        } else if first_in_table {
            "first_in_data_collection"
        } else {
            "true"
        }
    }

    /// Converts and pushes rows of a chunked table, each with its primary key for the offset;
    /// returns the last row's key (`None` when it cannot be bound back into a query).
    async fn push_keyed(
        &mut self,
        emitter: &mut Emitter,
        id: &TableId,
        ts: &crate::event::TableSchema,
        pk: &[usize],
        ts_ms: i64,
        rows: impl Iterator<Item = Vec<Cell>>,
    ) -> Result<Option<Vec<serde_json::Value>>> {
        let mut last = None;
        for cells in rows {
            let key: Option<Vec<serde_json::Value>> = pk
                .iter()
                .map(|&i| cells.get(i).and_then(key_json))
                .collect();
            let values = emitter.convert_row(ts, cells)?;
            last.clone_from(&key);
            self.push(
                emitter,
                Pending {
                    id: id.clone(),
                    values,
                    ts_ms,
                    key,
                },
            )
            .await?;
        }
        Ok(last)
    }

    async fn finish(mut self, emitter: &mut Emitter) -> Result<()> {
        match self.pending.take() {
            Some(p) => emit(emitter, p, "last", self.position, true).await,
            None => Ok(()),
        }
    }
}

/// Snapshot progress for the logs and `GET /connectors/{name}/tasks/{id}/progress`.
struct Progress {
    started: std::time::Instant,
    last_report: std::time::Instant,
    rows: u64,
    tables_done: usize,
    tables_total: usize,
    threads: usize,
}

impl Progress {
    /// How often a running snapshot reports between tables.
    const EVERY: std::time::Duration = std::time::Duration::from_secs(2);

    fn new(tables_total: usize, threads: usize) -> Self {
        let now = std::time::Instant::now();
        Self {
            started: now,
            last_report: now,
            rows: 0,
            tables_done: 0,
            tables_total,
            threads,
        }
    }

    fn report(&mut self, emitter: &Emitter, table: &str, table_rows: u64, table_done: bool) {
        let now = std::time::Instant::now();
        if !table_done && now.duration_since(self.last_report) < Self::EVERY {
            return;
        }
        self.last_report = now;
        let secs = now.duration_since(self.started).as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        let rate = if secs > 0.0 {
            (self.rows as f64 / secs).round()
        } else {
            0.0
        };
        emitter.host.report_progress(serde_json::json!({
            "snapshot": {
                "table": table,
                "table_rows": table_rows,
                "table_done": table_done,
                "tables_done": self.tables_done,
                "tables_total": self.tables_total,
                "rows": self.rows,
                "rows_per_second": rate,
                "elapsed_ms": u64::try_from(now.duration_since(self.started).as_millis()).unwrap_or(u64::MAX),
                "threads": self.threads,
            }
        }));
        let done = table_done && self.tables_done >= self.tables_total;
        crate::emitter::metrics::report_snapshot(
            emitter.host.as_ref(),
            emitter.flavor.connector(),
            &emitter.config.topic_prefix,
            Some((table, table_rows)),
            self.tables_done,
            self.tables_total,
            !done,
        );
    }
}

/// `(a, b) > (?, ?)`, or `a > ?` for one column, which every optimizer turns into a range.
fn key_cmp(cols: &[String], op: &str) -> String {
    let marks = vec!["?"; cols.len()].join(", ");
    if cols.len() == 1 {
        format!("{} {op} ?", cols[0])
    } else {
        format!("({}) {op} ({marks})", cols.join(", "))
    }
}

/// Text-protocol rows → cells of `cols`.
fn cells_of(cols: &[Column], raw: Vec<Option<MyValue>>) -> Vec<Cell> {
    raw.into_iter()
        .enumerate()
        .map(|(i, v)| cols.get(i).map_or(Cell::Null, |c| cell(c, v)))
        .collect()
}

/// One key range of a table, read by a chunk reader on its own connection.
async fn read_range(
    mut conn: Conn,
    sql: String,
    params: Vec<MyValue>,
    cols: Arc<[Column]>,
) -> (Conn, Result<Vec<Vec<Cell>>>) {
    let fetched: std::result::Result<Vec<Row>, _> = conn
        .exec(sql, mysql_async::Params::Positional(params))
        .await;
    let rows = fetched
        .map_err(db_err("snapshot chunk SELECT failed"))
        .map(|rows| {
            rows.into_iter()
                .map(|r| cells_of(&cols, r.unwrap_raw()))
                .collect()
        });
    (conn, rows)
}

/// Reads the captured tables' rows. With a chunk size (`snapshot.chunk.size`, or
/// `snapshot.max.threads` > 1), tables with a primary key are read in key order, chunk by chunk,
/// and each record's offset names its key. With `readers`, chunks are read by those connections
/// in parallel while this one finds the next range's upper key; rows are still emitted in key
/// order, so a record's offset always means "every row up to this key is out".
async fn read_data(
    emitter: &mut Emitter,
    conn: &mut Conn,
    mut readers: Vec<Conn>,
    tables: &[(String, Vec<String>)],
    position: &BinlogOffset,
    resume: Option<Resume>,
) -> Result<Vec<Conn>> {
    let captured: Vec<TableId> = tables
        .iter()
        .flat_map(|(db, ts)| ts.iter().map(move |t| TableId::new(db.clone(), t.clone())))
        .filter(|id| emitter.config.table_captured(&id.db, &id.table))
        .filter(|id| emitter.config.snapshot_tables.matches(&id.to_string()))
        .collect();
    let chunk = emitter.config.snapshot_chunk();
    let serial = emitter.config.snapshot_max_threads == 1;
    let mut out = RowMarker {
        position,
        pending: None,
        first: resume.is_none(),
        edges: emitter.config.layout.is_3x().then(|| {
            (
                captured.first().filter(|_| serial).cloned(),
                captured.last().filter(|_| serial).cloned(),
            )
        }),
        previous: None,
    };
    let mut skipping = resume.is_some();
    let mut progress = Progress::new(captured.len(), readers.len().max(1));
    for id in &captured {
        let name = id.to_string();
        let mut after: Option<Vec<serde_json::Value>> = None;
        if let Some(r) = resume.as_ref().filter(|_| skipping) {
            if name != r.table {
                progress.tables_done += 1;
                continue;
            }
            skipping = false;
            after = Some(r.key.clone());
        }
        let Some(ts) = emitter.table_schema(id) else {
            progress.tables_done += 1;
            continue;
        };
        let ts_ms = now_ms() / 1000 * 1000;
        let select = emitter
            .config
            .snapshot_selects
            .iter()
            .find(|(t, _)| *t == name)
            .map(|(_, q)| q.clone());
        let pk: Vec<usize> = ts
            .table
            .primary_key
            .iter()
            .filter_map(|k| {
                ts.columns()
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(k))
            })
            .collect();
        // Chunk bounds are bound back as parameters from their JSON form, which binary, bit,
        // floating and TIME keys do not survive exactly. With chunking only implied by
        // snapshot.max.threads such a table is read whole, as Debezium reads every table.
        let bindable = pk.iter().all(|&i| {
            let c = &ts.columns()[i];
            !c.is_binary()
                && !matches!(
                    c.type_name.as_str(),
                    "BIT" | "FLOAT" | "DOUBLE" | "REAL" | "TIME"
                )
        });
        let implied = emitter.config.snapshot_chunk_size == 0;
        let chunked = chunk > 0 && select.is_none() && !pk.is_empty() && (bindable || !implied);
        let table = format!("{}.{}", quote(&id.db), quote(&id.table));
        let key_cols: Vec<String> = pk.iter().map(|&i| quote(&ts.columns()[i].name)).collect();
        let mut rows = 0u64;
        if !chunked {
            let sql = select.unwrap_or_else(|| format!("SELECT * FROM {table}"));
            let mut result = conn
                .query_iter(sql)
                .await
                .map_err(db_err("snapshot SELECT failed"))?;
            while let Some(row) = result
                .next()
                .await
                .map_err(db_err("reading snapshot rows failed"))?
            {
                let values = emitter.convert_row(&ts, cells_of(ts.columns(), row.unwrap_raw()))?;
                out.push(
                    emitter,
                    Pending {
                        id: id.clone(),
                        values,
                        ts_ms,
                        key: None,
                    },
                )
                .await?;
                rows += 1;
                progress.rows += 1;
                if rows.is_multiple_of(4096) {
                    progress.report(emitter, &name, rows, false);
                }
            }
        } else if readers.is_empty() {
            // One connection: each chunk starts after the last key of the previous one.
            loop {
                let mut sql = format!("SELECT * FROM {table}");
                let mut params = Vec::new();
                if let Some(k) = &after {
                    sql.push_str(&format!(" WHERE {}", key_cmp(&key_cols, ">")));
                    params = k.iter().map(key_param).collect();
                }
                sql.push_str(&format!(" ORDER BY {} LIMIT {chunk}", key_cols.join(", ")));
                let fetched: Vec<Row> = conn
                    .exec(sql, mysql_async::Params::Positional(params))
                    .await
                    .map_err(db_err("snapshot chunk SELECT failed"))?;
                let n = fetched.len();
                let cells = fetched
                    .into_iter()
                    .map(|raw| cells_of(ts.columns(), raw.unwrap_raw()));
                after = out.push_keyed(emitter, id, &ts, &pk, ts_ms, cells).await?;
                rows += n as u64;
                progress.rows += n as u64;
                progress.report(emitter, &name, rows, false);
                if n < chunk {
                    break;
                }
                if after.is_none() {
                    // A key of raw bytes cannot be bound back into the next chunk's query.
                    return Err(unchunkable(&name));
                }
            }
        } else {
            // Parallel: this connection walks the key index to each range's upper key (no rows
            // cross the wire), readers fetch the ranges, results are taken in range order.
            let cols: Arc<[Column]> = ts.columns().to_vec().into();
            let mut inflight = futures::stream::FuturesOrdered::new();
            let mut lo = after;
            let mut exhausted = false;
            loop {
                while !exhausted && let Some(reader) = readers.pop() {
                    let hi = upper_key(conn, &ts, &table, &key_cols, &pk, lo.as_deref(), chunk)
                        .await
                        .map_err(|e| e.unwrap_or_else(|| unchunkable(&name)))?;
                    let mut sql = format!("SELECT * FROM {table}");
                    let mut params: Vec<MyValue> = Vec::new();
                    let mut conds = Vec::new();
                    if let Some(k) = &lo {
                        conds.push(key_cmp(&key_cols, ">"));
                        params.extend(k.iter().map(key_param));
                    }
                    if let Some(k) = &hi {
                        conds.push(key_cmp(&key_cols, "<="));
                        params.extend(k.iter().map(key_param));
                    }
                    if !conds.is_empty() {
                        sql.push_str(&format!(" WHERE {}", conds.join(" AND ")));
                    }
                    sql.push_str(&format!(" ORDER BY {}", key_cols.join(", ")));
                    exhausted = hi.is_none();
                    lo = hi;
                    inflight.push_back(tokio::spawn(read_range(reader, sql, params, cols.clone())));
                }
                let Some(joined) = futures::StreamExt::next(&mut inflight).await else {
                    break;
                };
                let (reader, fetched) = joined.map_err(|e| {
                    CdcError::Decode(format!("a snapshot chunk reader of {name} failed: {e}"))
                })?;
                readers.push(reader);
                let fetched = fetched?;
                let n = fetched.len();
                out.push_keyed(emitter, id, &ts, &pk, ts_ms, fetched.into_iter())
                    .await?;
                rows += n as u64;
                progress.rows += n as u64;
                progress.report(emitter, &name, rows, false);
            }
        }
        progress.tables_done += 1;
        progress.report(emitter, &name, rows, true);
        tracing::info!(table = %name, rows, "snapshot of the table done");
    }
    out.finish(emitter).await?;
    Ok(readers)
}

fn unchunkable(name: &str) -> CdcError {
    CdcError::Decode(format!(
        "{name}: its primary key cannot be used for chunked snapshots; set snapshot.chunk.size=0 and snapshot.max.threads=1"
    ))
}

/// The key of the `chunk`-th row after `lo`: the inclusive upper end of the next range, or
/// `Ok(None)` when fewer rows are left (the last range is open). `Err(None)`: a key that cannot
/// be bound back into a query.
async fn upper_key(
    conn: &mut Conn,
    ts: &crate::event::TableSchema,
    table: &str,
    key_cols: &[String],
    pk: &[usize],
    lo: Option<&[serde_json::Value]>,
    chunk: usize,
) -> std::result::Result<Option<Vec<serde_json::Value>>, Option<CdcError>> {
    let mut sql = format!("SELECT {} FROM {table}", key_cols.join(", "));
    let mut params = Vec::new();
    if let Some(k) = lo {
        sql.push_str(&format!(" WHERE {}", key_cmp(key_cols, ">")));
        params = k.iter().map(key_param).collect();
    }
    sql.push_str(&format!(
        " ORDER BY {} LIMIT 1 OFFSET {}",
        key_cols.join(", "),
        chunk - 1
    ));
    let row: Option<Row> = conn
        .exec_first(sql, mysql_async::Params::Positional(params))
        .await
        .map_err(|e| {
            Some(CdcError::db(
                "finding a snapshot chunk's upper key failed",
                e,
            ))
        })?;
    let Some(row) = row else {
        return Ok(None);
    };
    let raw = row.unwrap_raw();
    pk.iter()
        .zip(raw)
        .map(|(&i, v)| key_json(&cell(&ts.columns()[i], v)))
        .collect::<Option<Vec<_>>>()
        .map(Some)
        .ok_or(None)
}

/// Connects `n` readers for parallel chunk reads, before the main connection opens its read view
/// so that joining it later is a single statement. MySQL has no status that tells a
/// transaction's binlog position, so without the global read lock nothing can prove that the
/// readers share the main read view: the snapshot then stays on one connection.
async fn connect_readers(emitter: &Emitter, n: usize, locked: bool) -> Result<Vec<Conn>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if !locked && !emitter.mariadb {
        tracing::warn!(
            "snapshot.max.threads > 1 needs snapshot.locking.mode minimal or extended on MySQL (the readers must share one read view); reading with one connection"
        );
        return Ok(Vec::new());
    }
    let mut readers = Vec::with_capacity(n);
    for _ in 0..n {
        let mut c = crate::connection::connect(&emitter.config).await?;
        for st in [
            "SET NAMES utf8mb4",
            "SET time_zone='+00:00'",
            "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
        ] {
            c.query_drop(st)
                .await
                .map_err(db_err("setting up a snapshot chunk reader failed"))?;
        }
        readers.push(c);
    }
    Ok(readers)
}

/// Opens the main connection's consistent read and each reader's at the same point. Under the
/// global read lock every read view opened is that point. Without it, all the reads are opened
/// at once and MariaDB tells each one's binlog position (`binlog_snapshot_file/position`): when
/// a write landed between them, all are ended and opened again, a bounded number of times, after
/// which the snapshot goes on with the main connection alone.
async fn start_reads(main: &mut Conn, mut readers: Vec<Conn>, locked: bool) -> Result<Vec<Conn>> {
    const START: &str = "START TRANSACTION WITH CONSISTENT SNAPSHOT";
    const ATTEMPTS: usize = 20;
    if locked || readers.is_empty() {
        main.query_drop(START)
            .await
            .map_err(db_err("START TRANSACTION failed"))?;
        for r in futures::future::join_all(readers.iter_mut().map(|c| c.query_drop(START))).await {
            r.map_err(db_err("opening a snapshot chunk reader's read failed"))?;
        }
        return Ok(readers);
    }
    for _ in 0..ATTEMPTS {
        let (m, rs) = futures::future::join(
            main.query_drop(START),
            futures::future::join_all(readers.iter_mut().map(|c| c.query_drop(START))),
        )
        .await;
        m.map_err(db_err("START TRANSACTION failed"))?;
        for r in rs {
            r.map_err(db_err("opening a snapshot chunk reader's read failed"))?;
        }
        let want = snapshot_status(main).await?;
        let mut same = want.is_some();
        for c in &mut readers {
            same = same && snapshot_status(c).await? == want;
        }
        if same {
            return Ok(readers);
        }
        let (m, rs) = futures::future::join(
            main.query_drop("COMMIT"),
            futures::future::join_all(readers.iter_mut().map(|c| c.query_drop("COMMIT"))),
        )
        .await;
        m.map_err(db_err("COMMIT failed"))?;
        for r in rs {
            r.map_err(db_err("ending a snapshot chunk reader's read failed"))?;
        }
    }
    tracing::warn!(
        "writes kept moving the binlog while the snapshot's chunk readers opened their reads; reading with one connection"
    );
    close_readers(readers).await;
    main.query_drop(START)
        .await
        .map_err(db_err("START TRANSACTION failed"))?;
    Ok(Vec::new())
}

/// MariaDB: the binlog position of this connection's consistent read and its GTID state. Without
/// the global read lock (`snapshot.locking.mode=none`) the server's current position may already
/// be past the read view, and streaming from there would skip the changes in between.
async fn read_view_position(conn: &mut Conn) -> Result<BinlogOffset> {
    let Some((file, pos)) = snapshot_status(conn).await? else {
        return master_position(conn, true).await;
    };
    let pos: u64 = pos.parse().map_err(|_| {
        CdcError::ServerSetup(format!("binlog_snapshot_position is not a number: {pos}"))
    })?;
    let gtids: Option<String> = conn
        .exec_first("SELECT BINLOG_GTID_POS(?, ?)", (file.clone(), pos))
        .await
        .map_err(db_err("BINLOG_GTID_POS failed"))?
        .flatten();
    Ok(BinlogOffset {
        file,
        pos,
        gtids: gtids.filter(|g| !g.is_empty()),
        ..BinlogOffset::default()
    })
}

/// MariaDB's binlog position of this connection's consistent read, if the server tells it.
async fn snapshot_status(conn: &mut Conn) -> Result<Option<(String, String)>> {
    let rows: Vec<(String, String)> = conn
        .query("SHOW STATUS LIKE 'binlog_snapshot_%'")
        .await
        .map_err(db_err("reading binlog_snapshot_file failed"))?;
    let get = |k: &str| {
        rows.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    Ok(get("binlog_snapshot_file")
        .zip(get("binlog_snapshot_position"))
        .filter(|(f, _)| !f.is_empty()))
}

/// Ends the readers' transactions and closes them.
async fn close_readers(readers: Vec<Conn>) {
    for mut c in readers {
        if let Err(e) = c.query_drop("COMMIT").await {
            tracing::debug!(error = %e, "ending a chunk reader's read failed");
        }
        if let Err(e) = c.disconnect().await {
            tracing::debug!(error = %e, "closing a chunk reader failed");
        }
    }
}

async fn emit(
    emitter: &mut Emitter,
    p: Pending,
    marker: &'static str,
    position: &BinlogOffset,
    last: bool,
) -> Result<()> {
    let Some(ts) = emitter.table_schema(&p.id) else {
        return Ok(());
    };
    let source = SourceInfo {
        ts_ms: p.ts_ms,
        snapshot: Some(marker),
        db: p.id.db.clone(),
        table: Some(p.id.table.clone()),
        server_id: 0,
        file: position.file.clone(),
        pos: i64::try_from(position.pos).unwrap_or(i64::MAX),
        ..SourceInfo::default()
    };
    let mut offset = position.clone();
    // The last snapshot record's offset marks the snapshot complete.
    offset.snapshot = !last;
    if !last && let Some(k) = &p.key {
        offset.snapshot_table = Some(p.id.to_string());
        offset.snapshot_key = Some(serde_json::Value::Array(k.clone()).to_string());
    }
    emitter
        .emit_change(&ts, Op::Read, None, Some(p.values), source, &offset)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The markers a snapshot of `rows` (one table id per row, in order) gets, `captured`
    /// being the tables it snapshots, in order.
    fn markers(layout_3x: bool, captured: &[&str], rows: &[&str]) -> Vec<&'static str> {
        let id = |t: &str| TableId::new("db", t);
        let position = BinlogOffset::default();
        let mut m = RowMarker {
            position: &position,
            pending: None,
            first: true,
            edges: layout_3x.then(|| {
                (
                    captured.first().map(|t| id(t)),
                    captured.last().map(|t| id(t)),
                )
            }),
            previous: None,
        };
        let mut out: Vec<&'static str> = rows
            .windows(2)
            .map(|w| m.advance(&id(w[0]), &id(w[1])))
            .collect();
        out.push("last");
        out
    }

    #[test]
    fn the_3x_layout_marks_the_first_and_last_row_of_each_table() {
        // Debezium 3.6.3's markers for these tables (tests/debezium_diff.rs saw them).
        let captured = ["a_one", "all_types", "b_empty", "c_two"];
        let rows = [
            "a_one",
            "all_types",
            "all_types",
            "all_types",
            "c_two",
            "c_two",
        ];
        assert_eq!(
            markers(true, &captured, &rows),
            [
                "first",
                "first_in_data_collection",
                "true",
                "last_in_data_collection",
                "first_in_data_collection",
                "last"
            ]
        );
        // 2.2 knows only first, true and last.
        assert_eq!(
            markers(false, &captured, &rows),
            ["first", "true", "true", "true", "true", "last"]
        );
    }

    #[test]
    fn in_the_3x_layout_an_empty_first_table_leaves_no_row_marked_first() {
        // firstTable is the first table snapshotted, rows or not (tableOrder == 1).
        let captured = ["a_empty", "b", "c"];
        assert_eq!(
            markers(true, &captured, &["b", "b", "c"]),
            [
                "first_in_data_collection",
                "last_in_data_collection",
                "last"
            ]
        );
        // A last table without rows: the buffered last row still becomes `last`.
        assert_eq!(
            markers(true, &["a", "b", "z_empty"], &["a", "b"]),
            ["first", "last"]
        );
    }

    #[test]
    fn binlog_settings_other_than_row_full_are_refused_with_the_fix() {
        assert!(validate_settings(Some("1"), Some("ROW"), Some("FULL")).is_ok());
        let off = validate_settings(Some("0"), Some("ROW"), Some("FULL"))
            .unwrap_err()
            .to_string();
        assert!(off.contains("log_bin is OFF"), "{off}");
        let stmt = validate_settings(Some("ON"), Some("STATEMENT"), Some("FULL"))
            .unwrap_err()
            .to_string();
        assert!(
            stmt.contains("binlog_format=ROW") && stmt.contains("binlog_format=STATEMENT"),
            "{stmt}"
        );
        let minimal = validate_settings(Some("ON"), Some("ROW"), Some("MINIMAL"))
            .unwrap_err()
            .to_string();
        assert!(minimal.contains("binlog_row_image=FULL"), "{minimal}");
    }

    #[test]
    fn text_cells_keep_binary_columns_as_bytes() {
        let bin = Column::new("b", "varbinary(4)");
        assert_eq!(
            cell(&bin, Some(MyValue::Bytes(vec![0xff]))),
            Cell::Bytes(vec![0xff])
        );
        let txt = Column::new("t", "varchar(4)");
        assert_eq!(
            cell(&txt, Some(MyValue::Bytes(b"ok".to_vec()))),
            Cell::Text("ok".into())
        );
        assert_eq!(cell(&txt, Some(MyValue::NULL)), Cell::Null);
    }
}
