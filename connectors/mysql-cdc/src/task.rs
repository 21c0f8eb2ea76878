//! The source task: checks the server, restores the schema from the history, then runs the
//! snapshot and the binlog reader in a background task that feeds `poll` through a bounded
//! channel (so `poll` is cancel-safe: unreturned batches stay in the channel).

use std::sync::Arc;
use std::time::Duration;

use connect_api::{ConnectError, SourceRecord, SourceTask, SourceTaskContext};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::{HistoryStore, MySqlConfig, SnapshotMode};
use crate::connection::connect;
use crate::emitter::{Batch, Emitter};
use crate::error::{CdcError, Result};
use crate::event::Flavor;
use crate::history::{KafkaHistory, MemoryHistory, SchemaHistory};
use crate::offset::{BinlogOffset, partition};

/// What the background reader does first.
#[derive(Debug, Clone)]
enum Plan {
    /// Snapshot (with or without data), then stream unless `initial_only`.
    Snapshot { data: bool, stream: bool },
    /// Re-record the history from the current structures, then stream from `offset`.
    Recovery { offset: BinlogOffset },
    /// Stream from `offset` with the recovered history.
    Resume {
        offset: BinlogOffset,
        /// Start from the offset's GTID set rather than its file and position.
        by_gtids: bool,
    },
    /// Continue a chunked snapshot after the row in `offset`, then stream from its position.
    ResumeSnapshot { offset: BinlogOffset, stream: bool },
    /// `snapshot.mode=never` without offsets: stream from the oldest binlog.
    StreamFromStart,
}

/// The MySQL CDC source task.
#[derive(Debug)]
pub struct MySqlSourceTask {
    rx: mpsc::Receiver<Batch>,
    handle: Option<JoinHandle<()>>,
    poll_interval: Duration,
    finished: bool,
}

impl MySqlSourceTask {
    /// Starts the task with an explicit history store (tests, or an embedding application).
    ///
    /// # Errors
    /// Connection failures, a server not set up for CDC, missing history, malformed offsets.
    pub async fn start_with_history(
        ctx: SourceTaskContext,
        config: MySqlConfig,
        history: Arc<dyn SchemaHistory>,
    ) -> std::result::Result<Self, ConnectError> {
        Self::start_inner(ctx, config, history)
            .await
            .map_err(CdcError::into_connect)
    }

    async fn start_inner(
        ctx: SourceTaskContext,
        config: MySqlConfig,
        history: Arc<dyn SchemaHistory>,
    ) -> Result<Self> {
        let flavor = match ctx.props.get("connector.class") {
            Some(c) if c.to_ascii_lowercase().contains("mariadb") => Flavor::MariaDb,
            _ => Flavor::MySql,
        };
        let config = Arc::new(config);
        let mut conn = connect(&config).await?;
        let mariadb = crate::snapshot::check_server(&mut conn).await?;
        let part = partition(&config.topic_prefix);
        let stored = ctx
            .offsets
            .offsets(std::slice::from_ref(&part))
            .await
            .map_err(|e| CdcError::Offset(format!("cannot read stored offsets: {e}")))?
            .into_iter()
            .find(|(p, _)| *p == part)
            .map(|(_, o)| BinlogOffset::from_source_offset(&o))
            .transpose()?;
        history.initialize().await?;
        // `max.queue.size` bounds what Debezium's queue holds, the batch being filled included:
        // the channel takes the whole batches that fit beside the one the emitter is filling.
        let capacity = (config.max_queue_size / config.max_batch_size.max(1))
            .saturating_sub(1)
            .max(1);
        let (tx, rx) = mpsc::channel(capacity);
        let mut emitter = Emitter::new(
            config.clone(),
            flavor,
            mariadb,
            history,
            tx,
            ctx.host.clone(),
        );
        let plan = match (stored, config.snapshot_mode) {
            (Some(o), SnapshotMode::Recovery) => Plan::Recovery { offset: o },
            (Some(o), mode)
                if o.snapshot
                    && o.snapshot_table.is_some()
                    && config.snapshot_chunk() > 0
                    && emitter.history.exists().await? =>
            {
                emitter.recover_history(Some(&o), false).await?;
                Plan::ResumeSnapshot {
                    offset: o,
                    stream: mode != SnapshotMode::InitialOnly,
                }
            }
            (Some(o), mode)
                if o.snapshot && mode != SnapshotMode::Never && mode != SnapshotMode::NoData =>
            {
                // An interrupted snapshot restarts from scratch, as in Debezium.
                Plan::Snapshot {
                    data: true,
                    stream: mode != SnapshotMode::InitialOnly,
                }
            }
            (Some(o), mode) => {
                if !emitter.history.exists().await? {
                    return Err(CdcError::HistoryMissing(
                        "no schema history records were found while offsets exist".into(),
                    ));
                }
                // The offset's file missing here: a failover to another server of the cluster,
                // or purged binlogs. With a GTID set the stream can still find its place (the
                // server says if those GTIDs are purged too); on the same server the file and
                // position stay the exact, proven way.
                let available = crate::snapshot::binlog_available(&mut conn, &o.file).await?;
                let by_gtids = !available && o.gtids.as_deref().is_some_and(|g| !g.is_empty());
                emitter.recover_history(Some(&o), by_gtids).await?;
                if by_gtids {
                    // History positions are the old server's: they cannot tell which DDL this
                    // server has already shown; the GTID set does (the server skips those).
                    emitter.history_high = None;
                }
                if !available && !by_gtids {
                    if mode == SnapshotMode::WhenNeeded {
                        emitter.schemas.clear();
                        Plan::Snapshot {
                            data: true,
                            stream: true,
                        }
                    } else {
                        return Err(CdcError::BinlogPurged {
                            position: format!("{}:{}", o.file, o.pos),
                        });
                    }
                } else {
                    Plan::Resume {
                        offset: o,
                        by_gtids,
                    }
                }
            }
            (None, SnapshotMode::Never) => Plan::StreamFromStart,
            (None, SnapshotMode::NoData | SnapshotMode::Recovery) => Plan::Snapshot {
                data: false,
                stream: true,
            },
            (None, SnapshotMode::InitialOnly) => Plan::Snapshot {
                data: true,
                stream: false,
            },
            (None, _) => Plan::Snapshot {
                data: true,
                stream: true,
            },
        };
        tracing::info!(?plan, connector = %ctx.connector, "starting MySQL CDC task");
        let handle = tokio::spawn(async move {
            let out = emitter.sender();
            if let Err(e) = run(&mut emitter, conn, plan).await {
                // The records before the failure still go out; then `poll` reports it. If the
                // task is already gone nobody is left to tell.
                if emitter.flush().await.is_ok() && out.send(Err(e)).await.is_err() {
                    tracing::debug!("task stopped before its failure could be reported");
                }
            }
        });
        Ok(Self {
            rx,
            handle: Some(handle),
            poll_interval: Duration::from_millis(config.poll_interval_ms.max(1)),
            finished: false,
        })
    }
}

async fn run(emitter: &mut Emitter, mut conn: mysql_async::Conn, plan: Plan) -> Result<()> {
    let start = match plan {
        Plan::Snapshot { data, stream } => {
            let pos = crate::snapshot::run(emitter, &mut conn, data).await?;
            emitter.flush().await?;
            // The snapshot's completion is in the last record's offset: commit it soon.
            emitter.host.request_commit();
            if !stream {
                if let Err(e) = conn.disconnect().await {
                    tracing::debug!(error = %e, "closing the snapshot connection failed");
                }
                return Ok(());
            }
            pos
        }
        Plan::Recovery { offset } => {
            emitter.schemas.clear();
            crate::snapshot::run(emitter, &mut conn, false).await?;
            emitter.flush().await?;
            offset
        }
        Plan::Resume { offset, by_gtids } => {
            if let Err(e) = conn.disconnect().await {
                tracing::debug!(error = %e, "closing the snapshot connection failed");
            }
            return crate::binlog::stream(emitter, offset, by_gtids).await;
        }
        Plan::ResumeSnapshot { offset, stream } => {
            let pos = crate::snapshot::resume(emitter, &mut conn, &offset).await?;
            emitter.flush().await?;
            emitter.host.request_commit();
            if !stream {
                return Ok(());
            }
            pos
        }
        Plan::StreamFromStart => {
            let first = crate::snapshot::first_binlog(&mut conn).await?;
            BinlogOffset {
                file: first,
                pos: 4,
                ..BinlogOffset::default()
            }
        }
    };
    if let Err(e) = conn.disconnect().await {
        tracing::debug!(error = %e, "closing the snapshot connection failed");
    }
    crate::binlog::stream(emitter, start, false).await
}

impl SourceTask for MySqlSourceTask {
    type Config = MySqlConfig;
    // `commit_record` is not overridden: the runtime drops each record once it is sent.
    const READS_COMMITTED_RECORDS: bool = false;

    async fn start(
        ctx: SourceTaskContext,
        config: MySqlConfig,
    ) -> std::result::Result<Self, ConnectError> {
        let history: Arc<dyn SchemaHistory> = match &config.history {
            HistoryStore::Memory => Arc::new(MemoryHistory::default()),
            HistoryStore::Kafka {
                bootstrap_servers,
                topic,
            } => Arc::new(KafkaHistory::new(
                bootstrap_servers,
                topic,
                &config.originals,
            )),
        };
        Self::start_with_history(ctx, config, history).await
    }

    async fn poll(&mut self) -> std::result::Result<Vec<SourceRecord>, ConnectError> {
        if self.finished {
            tokio::time::sleep(self.poll_interval).await;
            return Ok(Vec::new());
        }
        match tokio::time::timeout(self.poll_interval, self.rx.recv()).await {
            Err(_) => Ok(Vec::new()),
            // The batch's share of `max.queue.size.in.bytes` is freed here, as Debezium's
            // `poll` frees what it drains.
            Ok(Some(Ok(batch))) => Ok(batch.records),
            Ok(Some(Err(e))) => {
                self.finished = true;
                Err(e.into_connect())
            }
            Ok(None) => {
                // The reader ended. Normal only for `initial_only`; a panic must fail the task
                // rather than leave it silently idle.
                self.finished = true;
                match self.handle.take() {
                    Some(h) => match h.await {
                        Err(e) if e.is_panic() => Err(ConnectError::fatal(format!(
                            "the MySQL reader task panicked: {e}"
                        ))),
                        _ => Ok(Vec::new()),
                    },
                    None => Ok(Vec::new()),
                }
            }
        }
    }

    async fn stop(&mut self) -> std::result::Result<(), ConnectError> {
        if let Some(h) = self.handle.take() {
            h.abort();
            if let Err(e) = h.await
                && !e.is_cancelled()
            {
                tracing::warn!(error = %e, "the reader task ended abnormally");
            }
        }
        Ok(())
    }
}

impl Drop for MySqlSourceTask {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.abort();
        }
    }
}
