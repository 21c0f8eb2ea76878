//! The events of the stream, one at a time: transaction boundaries and GTIDs move the cursor,
//! DDL goes to the emitter's schema, rows events become change events (reference §5, §6).

use std::collections::BTreeMap;

use mysql_async::binlog::events::{Event, EventData, RowsEventData};

use super::cursor::{Cursor, PendingGtid};
use super::decode::{RowImages, TableMaps, decode_image, rotate_file_name};
use super::event_type::{
    FORMAT_DESCRIPTION_EVENT, HEARTBEAT_LOG_EVENT, MARIADB_ANNOTATE_ROWS_EVENT, MARIADB_GTID_EVENT,
    QUERY_EVENT, ROTATE_EVENT, TRANSACTION_PAYLOAD_EVENT,
};
use crate::config::FailureMode;
use crate::emitter::Emitter;
use crate::error::{CdcError, Result};
use crate::event::{Op, SourceInfo};
use crate::gtid::uuid_text;
use crate::table::TableId;

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

/// Whether the DDL filter drops a statement: the binlog reader neither applies nor records it
/// (`handleQueryEvent`; 3.x lets TRUNCATE through its filter, which lists TRUNCATE only to keep
/// it out of the history, to emit the truncate event).
fn filtered(emitter: &Emitter, sql: &str) -> bool {
    let truncate = sql
        .get(..8)
        .is_some_and(|w| w.eq_ignore_ascii_case("TRUNCATE"));
    emitter.config.ddl_filtered(sql) && !(truncate && emitter.config.layout.is_3x())
}

/// Handles one event: moves `cursor` (positions, GTIDs, transaction boundaries) and hands DDL,
/// rows and transaction ends to the emitter. `stream` holds the TABLE_MAP events seen so far.
pub(crate) async fn handle<M: TableMaps + Sync>(
    emitter: &mut Emitter,
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
    let raw_type = header.event_type_raw();
    // Debezium's binlog client calls its event handler before the listener that records the
    // event's timestamp (BinlogStreamingChangeEventSource registers handleEvent, then onEvent),
    // so an event is handled with the time of the last event before it that had one (not a
    // server heartbeat, not a zero time): a MariaDB dummy event or a BEGIN after a pause carries
    // the previous statement's time.
    let own_ts = i64::from(header.timestamp());
    let ts_sec = cursor.last_ts_sec.unwrap_or(own_ts);
    if own_ts != 0 && raw_type != HEARTBEAT_LOG_EVENT {
        cursor.last_ts_sec = Some(own_ts);
    }
    let server_id = i64::from(header.server_id());
    cursor.last_server_id = server_id;
    // Events the server synthesises at stream start (fake ROTATE, FORMAT_DESCRIPTION) have
    // log_pos 0 and do not count towards the transaction's events.
    let counts = next_pos != 0 && !matches!(raw_type, ROTATE_EVENT | FORMAT_DESCRIPTION_EVENT);

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
        if emitter.config.include_query {
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
                // The END carries the offset from before the commit (Debezium dispatches it
                // before `commitTransaction`).
                let before = cursor.offset(cursor.events, 0, ts_sec, server_id);
                cursor.events += 1;
                cursor.commit(next_pos);
                emitter.end_transaction(&before).await?;
                return Ok(());
            } else if is_dml(trimmed) && !filtered(emitter, trimmed) {
                tracing::warn!(query = %trimmed, "ignoring a DML statement in the binlog; binlog_format must be ROW");
            } else if (cursor.restart_pos, next_pos) != (0, 0) {
                let key = (crate::offset::file_index(&cursor.file), next_pos);
                let already = emitter.history_high.is_some_and(|h| key <= h);
                let skip = cursor.skip_events > cursor.events;
                if !already && !skip && !filtered(emitter, trimmed) {
                    cursor.record_ts_sec = Some(ts_sec);
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
                        // Debezium's source thread is the enclosing BEGIN's, reset at every
                        // commit: none for a DDL, which stands alone.
                        thread: cursor.thread,
                        query: None,
                        ..SourceInfo::default()
                    };
                    // Every statement that passes the filter is recorded, as Debezium's
                    // parseDdl records one it understood nothing of as a database-level change.
                    if let Some(effect) = emitter.apply_ddl(&db, trimmed, &source, &after).await? {
                        for id in &effect.truncated {
                            if emitter.config.emits(Op::Truncate)
                                && emitter.config.table_captured(&id.db, &id.table)
                            {
                                let mut src = source.clone();
                                src.db.clone_from(&id.db);
                                src.table = Some(id.table.clone());
                                emitter.emit_truncate(id, &src, &after).await?;
                            }
                        }
                    }
                }
                if !cursor.in_tx || !cursor.begun {
                    cursor.events += 1;
                    cursor.commit(next_pos);
                    emitter.flush().await?;
                    return Ok(());
                }
            }
        }
        EventData::XidEvent(_) => {
            // The END carries the offset from before the commit (Debezium dispatches it
            // before `commitTransaction`).
            let before = cursor.offset(cursor.events, 0, ts_sec, server_id);
            cursor.events += 1;
            cursor.commit(next_pos);
            emitter.end_transaction(&before).await?;
            emitter.flush().await?;
            return Ok(());
        }
        EventData::RowsQueryEvent(q) if emitter.config.include_query => {
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
                let captured = rows_event(
                    emitter, stream, cursor, &rows, index, skip_rows, start_pos, ts_sec, server_id,
                )
                .await?;
                if captured {
                    cursor.record_ts_sec = Some(ts_sec);
                }
            }
        }
        _ => {}
    }
    if counts {
        cursor.events += 1;
    }
    if !cursor.in_tx && counts && raw_type != QUERY_EVENT {
        // Outside a transaction every complete event moves the restart point.
        cursor.restart_pos = next_pos;
        cursor.events = 0;
    }
    Ok(())
}

/// One rows event: each row (after the ones a restart skips) decoded, converted and emitted as a
/// change event of `op` from the event type, unless `skipped.operations` names it. Returns
/// whether the table is captured.
#[allow(clippy::too_many_arguments)]
async fn rows_event<M: TableMaps + Sync>(
    emitter: &mut Emitter,
    stream: &M,
    cursor: &Cursor,
    rows: &RowsEventData<'_>,
    index: u64,
    skip_rows: u64,
    start_pos: u64,
    ts_sec: i64,
    server_id: i64,
) -> Result<bool> {
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
    if !emitter.config.table_captured(&id.db, &id.table) {
        return Ok(false);
    }
    let Some(ts) = emitter.table_schema(&id) else {
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
        RowsEventData::WriteRowsEventV1(_) | RowsEventData::WriteRowsEvent(_) => Op::Create,
        RowsEventData::UpdateRowsEventV1(_)
        | RowsEventData::UpdateRowsEvent(_)
        | RowsEventData::PartialUpdateRowsEvent(_) => Op::Update,
        RowsEventData::DeleteRowsEventV1(_) | RowsEventData::DeleteRowsEvent(_) => Op::Delete,
    };
    if !emitter.config.emits(op) {
        return Ok(true);
    }
    // Debezium's transaction id: the GTID, or the position of the transaction's start.
    emitter.open_transaction(|| {
        cursor
            .current_gtid
            .clone()
            .unwrap_or_else(|| format!("file={},pos={}", cursor.file, cursor.restart_pos))
    });
    let images = RowImages::new(rows, tme).map_err(|e| {
        CdcError::Decode(format!(
            "cannot decode the rows event of {id} at {}:{start_pos}: {e}",
            cursor.file
        ))
    })?;
    for (i, r) in images.enumerate() {
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
            .and_then(|b| b.map(|c| emitter.convert_row(&ts, c)).transpose())
            .and_then(|b| {
                let a = decode_image(ts.columns(), &id, after, docs)?
                    .map(|c| emitter.convert_row(&ts, c))
                    .transpose()?;
                Ok((b, a))
            });
        let (before, after) = match converted {
            Ok(pair) => pair,
            Err(e @ CdcError::Decode(_)) => match emitter.config.failure_mode {
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
        emitter
            .emit_change(&ts, op, before, after, source, &offset)
            .await?;
    }
    Ok(true)
}
