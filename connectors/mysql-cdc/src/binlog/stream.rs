//! The binlog stream: opens the replication connection (from a file and position, or from a GTID
//! set after a failover), reads events until the task stops, sends heartbeats as Debezium does
//! (after an event, once `heartbeat.interval.ms` has passed; an idle server sends its own
//! heartbeat events every 0.8 × `connect.keep.alive.interval.ms`), and reconnects with back-off
//! when the connection is lost.

use std::time::Duration;

use futures::StreamExt;
use mysql_async::{BinlogStreamRequest, Conn};

use super::cursor::Cursor;
use super::events::handle;
use crate::connection::connect;
use crate::emitter::Emitter;
use crate::error::{CdcError, Result};
use crate::gtid::GtidSet;
use crate::offset::BinlogOffset;

/// Streams from `start` until the task stops, reconnecting with back-off on connection loss.
/// With `by_gtids`, the first connection starts from its GTID set (see [`use_gtids`]),
/// reconnections from the file and position this stream has reached.
pub(crate) async fn stream(
    emitter: &mut Emitter,
    start: BinlogOffset,
    by_gtids: bool,
) -> Result<()> {
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
        let streamed = stream_once(emitter, &mut cursor).await;
        emitter.streaming.set_connected(false);
        match streamed {
            Ok(()) => return Ok(()),
            Err(CdcError::Database {
                retriable: true,
                context,
                source,
            }) if attempt < 10 => {
                attempt += 1;
                let wait = Duration::from_millis(500 * 2u64.pow(attempt.min(6)));
                tracing::warn!(%context, error = %source, ?wait, attempt, "binlog connection lost; reconnecting");
                emitter.flush().await?;
                tokio::time::sleep(wait).await;
                // Resume from the restart point. Skip what this run already emitted, unless it has not yet got past the skip
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
async fn use_gtids(emitter: &Emitter, conn: &mut Conn, cursor: &Cursor) -> Result<bool> {
    use mysql_async::prelude::Queryable;
    if !cursor.start_by_gtids || cursor.committed_gtids.is_empty() {
        return Ok(false);
    }
    if emitter.mariadb {
        return Ok(cursor.committed_gtids.has_mariadb());
    }
    let mode: Option<String> = conn
        .query_first("SELECT @@GLOBAL.gtid_mode")
        .await
        .map_err(|e| CdcError::db("reading gtid_mode failed", e))?;
    Ok(mode.is_some_and(|m| m.eq_ignore_ascii_case("ON")) && cursor.committed_gtids.has_mysql())
}

async fn open(emitter: &Emitter, cursor: &Cursor) -> Result<mysql_async::BinlogStream> {
    use mysql_async::prelude::Queryable;
    let mut conn: Conn = connect(&emitter.config).await?;
    // mysql-binlog-connector-java's heartbeat request, with the period Debezium gives it
    // (BinlogStreamingChangeEventSource: keep-alive interval × 0.8), in nanoseconds.
    let period_ns = emitter
        .config
        .keep_alive_interval_ms
        .saturating_mul(800_000);
    if period_ns > 0 {
        conn.query_drop(format!("SET @master_heartbeat_period={period_ns}"))
            .await
            .map_err(|e| CdcError::db("asking for server heartbeats failed", e))?;
    }
    if emitter.mariadb {
        // MariaDB sends its GTID events only to replicas that announce this capability.
        conn.query_drop("SET @mariadb_slave_capability=4")
            .await
            .map_err(|e| CdcError::db("announcing the MariaDB replica capability failed", e))?;
    }
    let gtids = use_gtids(emitter, &mut conn, cursor).await?;
    let request = BinlogStreamRequest::new(emitter.config.server_id);
    let request = match (gtids, emitter.mariadb) {
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

async fn stream_once(emitter: &mut Emitter, cursor: &mut Cursor) -> Result<()> {
    let mut stream = open(emitter, cursor).await?;
    emitter.streaming.set_connected(true);
    let idle = Duration::from_millis(emitter.config.poll_interval_ms.clamp(10, 100));
    let heartbeat = Duration::from_millis(emitter.config.heartbeat_interval_ms);
    let mut last_beat = tokio::time::Instant::now();
    loop {
        let next = match tokio::time::timeout(idle, stream.next()).await {
            Err(_) => {
                emitter.flush().await?;
                continue;
            }
            Ok(None) => {
                emitter.flush().await?;
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
        handle(emitter, &stream, cursor, &next).await?;
        // HeartbeatImpl.emitWithDelay after each event. Inside a transaction only right after
        // its first event (the GTID or BEGIN), where the offset is still the transaction's
        // start; later ones wait for its end, so a heartbeat offset never points into an event.
        let at_start = !cursor.in_tx || cursor.events <= 1;
        if !heartbeat.is_zero() && last_beat.elapsed() >= heartbeat && at_start {
            last_beat = tokio::time::Instant::now();
            emitter.emit_heartbeat(&cursor.heartbeat_offset()).await?;
        }
    }
}
