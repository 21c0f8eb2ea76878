//! The initial snapshot (reference §4): a consistent read of every captured table at a known
//! binlog position, emitted as `op: r` events, plus the schema history records that describe
//! the tables at that position.
//!
//! Sequence (`snapshot.locking.mode=minimal`): `FLUSH TABLES WITH READ LOCK`, `START TRANSACTION
//! WITH CONSISTENT SNAPSHOT`, read the binlog position, `SHOW CREATE TABLE` each table, `UNLOCK
//! TABLES`, then `SELECT *` per table inside the still-open transaction. The lock makes the
//! position and the read view agree; releasing it early keeps writers blocked only briefly.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row, Value as MyValue};

use crate::config::LockingMode;
use crate::convert::Cell;
use crate::error::{CdcError, Result};
use crate::event::SourceInfo;
use crate::offset::BinlogOffset;
use crate::table::{Column, TableId};
use crate::task::{Engine, now_ms};

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
    match v {
        None | Some(MyValue::NULL) => Cell::Null,
        Some(MyValue::Bytes(b)) => {
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
        }
        Some(MyValue::Int(i)) => Cell::Int(i),
        Some(MyValue::UInt(u)) => Cell::UInt(u),
        Some(MyValue::Float(f)) => Cell::Float(f),
        Some(MyValue::Double(d)) => Cell::Double(d),
        Some(MyValue::Date(y, m, d, h, mi, s, us)) => Cell::DateTime {
            year: y,
            month: m,
            day: d,
            hour: h,
            minute: mi,
            second: s,
            micros: us,
        },
        Some(MyValue::Time(neg, days, h, m, s, us)) => Cell::Time {
            negative: neg,
            days,
            hours: h,
            minutes: m,
            seconds: s,
            micros: us,
        },
    }
}

/// The captured databases and their base tables, in the server's (sorted) order.
async fn list_tables(engine: &Engine, conn: &mut Conn) -> Result<Vec<(String, Vec<String>)>> {
    let dbs: Vec<String> = conn
        .query("SHOW DATABASES")
        .await
        .map_err(db_err("SHOW DATABASES failed"))?;
    let mut tables = Vec::new();
    for db in dbs
        .into_iter()
        .filter(|d| engine.config.database_captured(d))
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
    engine: &mut Engine,
    conn: &mut Conn,
    offset: &BinlogOffset,
) -> Result<BinlogOffset> {
    conn.query_drop("SET NAMES utf8mb4")
        .await
        .map_err(db_err("SET NAMES failed"))?;
    conn.query_drop("SET time_zone='+00:00'")
        .await
        .map_err(db_err("setting time_zone failed"))?;
    let tables = list_tables(engine, conn).await?;
    conn.query_drop("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .await
        .map_err(db_err("setting isolation failed"))?;
    conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        .await
        .map_err(db_err("START TRANSACTION failed"))?;
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
    read_data(engine, conn, &tables, &position, Some(resume)).await?;
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
pub(crate) async fn run(engine: &mut Engine, conn: &mut Conn, data: bool) -> Result<BinlogOffset> {
    let config = engine.config.clone();
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

    let tables = list_tables(engine, conn).await?;

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
    conn.query_drop("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .await
        .map_err(db_err("setting isolation failed"))?;
    conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        .await
        .map_err(db_err("START TRANSACTION failed"))?;
    let mut position = master_position(conn, engine.mariadb).await?;
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
        engine
            .apply_ddl(&db, &ddl, &source, &position, true)
            .await?;
    }

    if data {
        read_data(engine, conn, &tables, &position, None).await?;
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

/// Reads the captured tables' rows. With `snapshot.chunk.size`, tables with a primary key are
/// read in key order, chunk by chunk, and each record's offset names its key.
async fn read_data(
    engine: &mut Engine,
    conn: &mut Conn,
    tables: &[(String, Vec<String>)],
    position: &BinlogOffset,
    resume: Option<Resume>,
) -> Result<()> {
    let captured: Vec<TableId> = tables
        .iter()
        .flat_map(|(db, ts)| ts.iter().map(move |t| TableId::new(db.clone(), t.clone())))
        .filter(|id| engine.config.table_captured(&id.db, &id.table))
        .filter(|id| engine.config.snapshot_tables.matches(&id.to_string()))
        .collect();
    let chunk = engine.config.snapshot_chunk_size;
    let mut pending: Option<Pending> = None;
    let mut first = resume.is_none();
    let mut skipping = resume.is_some();
    let total = captured.len();
    for (n, id) in captured.iter().enumerate() {
        let name = id.to_string();
        let mut after: Option<Vec<serde_json::Value>> = None;
        if let Some(r) = resume.as_ref().filter(|_| skipping) {
            if name != r.table {
                continue;
            }
            skipping = false;
            after = Some(r.key.clone());
        }
        let Some(ts) = engine.table_schema(id) else {
            continue;
        };
        let ts_ms = now_ms() / 1000 * 1000;
        let select = engine
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
        let chunked = chunk > 0 && select.is_none() && !pk.is_empty();
        let mut rows = 0u64;
        loop {
            let raw_rows: Vec<Vec<Option<MyValue>>> = if chunked {
                let cols: Vec<String> = pk.iter().map(|&i| quote(&ts.columns()[i].name)).collect();
                let mut sql = format!("SELECT * FROM {}.{}", quote(&id.db), quote(&id.table));
                let mut params = Vec::new();
                if let Some(k) = &after {
                    let marks = vec!["?"; k.len()].join(", ");
                    sql.push_str(&format!(" WHERE ({}) > ({marks})", cols.join(", ")));
                    params = k.iter().map(key_param).collect();
                }
                sql.push_str(&format!(" ORDER BY {} LIMIT {chunk}", cols.join(", ")));
                let fetched: Vec<Row> = conn
                    .exec(sql, mysql_async::Params::Positional(params))
                    .await
                    .map_err(db_err("snapshot chunk SELECT failed"))?;
                fetched.into_iter().map(Row::unwrap_raw).collect()
            } else {
                Vec::new()
            };
            if !chunked {
                let sql = select.clone().unwrap_or_else(|| {
                    format!("SELECT * FROM {}.{}", quote(&id.db), quote(&id.table))
                });
                let mut result = conn
                    .query_iter(sql)
                    .await
                    .map_err(db_err("snapshot SELECT failed"))?;
                while let Some(row) = result
                    .next()
                    .await
                    .map_err(db_err("reading snapshot rows failed"))?
                {
                    let cells: Vec<Cell> = row
                        .unwrap_raw()
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| ts.columns().get(i).map_or(Cell::Null, |c| cell(c, v)))
                        .collect();
                    let values = engine.convert_row(&ts, cells)?;
                    if let Some(p) = pending.take() {
                        emit(
                            engine,
                            p,
                            if first { "first" } else { "true" },
                            position,
                            false,
                        )
                        .await?;
                        first = false;
                    }
                    pending = Some(Pending {
                        id: id.clone(),
                        values,
                        ts_ms,
                        key: None,
                    });
                    rows += 1;
                }
                break;
            }
            let fetched = raw_rows.len();
            for raw in raw_rows {
                let cells: Vec<Cell> = raw
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| ts.columns().get(i).map_or(Cell::Null, |c| cell(c, v)))
                    .collect();
                let key: Option<Vec<serde_json::Value>> = pk
                    .iter()
                    .map(|&i| cells.get(i).and_then(key_json))
                    .collect();
                let values = engine.convert_row(&ts, cells)?;
                if let Some(p) = pending.take() {
                    emit(
                        engine,
                        p,
                        if first { "first" } else { "true" },
                        position,
                        false,
                    )
                    .await?;
                    first = false;
                }
                after.clone_from(&key);
                pending = Some(Pending {
                    id: id.clone(),
                    values,
                    ts_ms,
                    key,
                });
                rows += 1;
            }
            if fetched < chunk || after.is_none() {
                // The last chunk, or a key that cannot be bound back: the table is done (a key
                // of raw bytes ends chunking early, so such tables need chunk.size 0).
                if fetched == chunk && after.is_none() {
                    return Err(CdcError::Decode(format!(
                        "{name}: its primary key cannot be used for chunked snapshots; set snapshot.chunk.size=0"
                    )));
                }
                break;
            }
        }
        engine.host.report_progress(serde_json::json!({
            "snapshot": {"table": name, "rows": rows, "tables_done": n + 1, "tables_total": total}
        }));
    }
    if let Some(p) = pending.take() {
        emit(engine, p, "last", position, true).await?;
    }
    Ok(())
}

async fn emit(
    engine: &mut Engine,
    p: Pending,
    marker: &'static str,
    position: &BinlogOffset,
    last: bool,
) -> Result<()> {
    let Some(ts) = engine.table_schema(&p.id) else {
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
    engine
        .emit_change(&ts, "r", None, Some(p.values), &source, &offset)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

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
