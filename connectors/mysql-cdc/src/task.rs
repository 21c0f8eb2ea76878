//! The source task: checks the server, restores the schema from the history, then runs the
//! snapshot and the binlog reader in a background task that feeds `poll` through a bounded
//! channel (so `poll` is cancel-safe: unreturned batches stay in the channel).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use connect_api::data::{SchemaAndValue, Value};
use connect_api::{
    ConnectError, SourcePartition, SourceRecord, SourceTask, SourceTaskContext, TaskHost,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::{HistoryStore, MySqlConfig, SnapshotMode, SslMode};
use crate::convert::{Cell, convert};
use crate::ddl::{DdlEffect, Schemas};
use crate::error::{CdcError, Result};
use crate::event::{Flavor, SchemaChangeSchemas, SourceInfo, TableSchema};
use crate::history::{HistoryRecord, KafkaHistory, MemoryHistory, SchemaHistory};
use crate::offset::{BinlogOffset, partition};
use crate::table::TableId;

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0))
}

/// Connection options for `config`, with TLS when `tls` (see [`ssl_opts`]).
pub(crate) fn opts(config: &MySqlConfig, tls: bool) -> mysql_async::Opts {
    mysql_async::OptsBuilder::default()
        .ip_or_hostname(config.hostname.clone())
        .tcp_port(config.port)
        .user(Some(config.user.clone()))
        .pass(Some(config.password.clone()))
        .prefer_socket(false)
        .ssl_opts(if tls { ssl_opts(config) } else { None })
        .into()
}

/// TLS settings for `database.ssl.mode`, as MySQL's client modes mean them: `preferred` and
/// `required` encrypt without verifying, `verify_ca` checks the chain against
/// `database.ssl.truststore` (or the bundled Mozilla roots), `verify_identity` also the host
/// name. Known limit: mysql_async 0.37 recognises rustls's "not valid for name" error by its
/// old text, so `verify_ca` also checks the host name today (stricter, never weaker): give
/// `database.hostname` as a name the certificate holds.
pub(crate) fn ssl_opts(config: &MySqlConfig) -> Option<mysql_async::SslOpts> {
    let verify = match config.ssl_mode {
        SslMode::Disabled => return None,
        SslMode::Preferred | SslMode::Required => None,
        SslMode::VerifyCa => Some(false),
        SslMode::VerifyIdentity => Some(true),
    };
    let mut ssl = mysql_async::SslOpts::default()
        .with_danger_accept_invalid_certs(verify.is_none())
        .with_danger_skip_domain_validation(verify != Some(true));
    if let Some(ca) = &config.ssl_truststore {
        ssl = ssl.with_root_certs(vec![ca.clone().into()]);
    }
    if let Some(key) = &config.ssl_keystore {
        // One PEM file holds the chain and the key, like Debezium's single keystore.
        ssl = ssl.with_client_identity(Some(mysql_async::ClientIdentity::new(
            key.clone().into(),
            key.clone().into(),
        )));
    }
    Some(ssl)
}

/// Opens a connection, turning failures into messages an operator can act on.
pub(crate) async fn connect(config: &MySqlConfig) -> Result<mysql_async::Conn> {
    match connect_with(config, config.ssl_mode != SslMode::Disabled).await {
        // `preferred`: a server without TLS, or whose TLS rustls cannot speak (TLS 1.0/1.1,
        // weak keys), gets a plain connection, as MySQL's client falls back.
        Err(CdcError::Database { source, .. })
            if config.ssl_mode == SslMode::Preferred
                && matches!(
                    source,
                    mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer)
                        | mysql_async::Error::Io(mysql_async::IoError::Tls(_))
                ) =>
        {
            connect_with(config, false).await
        }
        other => other,
    }
}

async fn connect_with(config: &MySqlConfig, tls: bool) -> Result<mysql_async::Conn> {
    let target = format!(
        "{}:{} as user '{}'",
        config.hostname, config.port, config.user
    );
    let timeout = Duration::from_millis(config.connect_timeout_ms);
    match tokio::time::timeout(timeout, mysql_async::Conn::new(opts(config, tls))).await {
        Err(_) => Err(CdcError::ServerSetup(format!(
            "Timed out after {} ms connecting to MySQL at {target}",
            config.connect_timeout_ms
        ))),
        Ok(Err(e)) => {
            let hint = match &e {
                mysql_async::Error::Server(s) if s.code == 1045 => {
                    " (check database.user and database.password)"
                }
                mysql_async::Error::Io(_) if tls => {
                    " (check database.hostname and database.port, and database.ssl.mode with its truststore/keystore)"
                }
                mysql_async::Error::Io(_) => " (check database.hostname and database.port)",
                mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer) => {
                    " (the server does not offer TLS, which database.ssl.mode requires)"
                }
                _ => "",
            };
            Err(CdcError::db(
                format!("Unable to connect to MySQL at {target}{hint}"),
                e,
            ))
        }
        Ok(Ok(mut c)) => {
            use mysql_async::prelude::Queryable;
            for st in &config.initial_statements {
                c.query_drop(st.as_str()).await.map_err(|e| {
                    CdcError::db(format!("database.initial.statements: '{st}' failed"), e)
                })?;
            }
            Ok(c)
        }
    }
}

type Batch = std::result::Result<Vec<SourceRecord>, CdcError>;

/// State shared by the snapshot and the binlog reader.
pub(crate) struct Engine {
    pub config: Arc<MySqlConfig>,
    pub flavor: Flavor,
    pub mariadb: bool,
    pub schemas: Schemas,
    cache: HashMap<TableId, Arc<TableSchema>>,
    pub history: Arc<dyn SchemaHistory>,
    /// The binlog position of the newest DDL in the history: DDL at or before it was applied.
    pub history_high: Option<(u64, u64)>,
    pub partition: SourcePartition,
    out: mpsc::Sender<Batch>,
    batch: Vec<SourceRecord>,
    pub host: Arc<dyn TaskHost>,
    /// The id of the transaction being read (GTID, or `file=…,pos=…`), for transaction metadata.
    pub tx_id: Option<String>,
    /// Counters of the transaction whose BEGIN was emitted.
    tx: Option<TxState>,
}

/// `provide.transaction.metadata` bookkeeping of one transaction.
#[derive(Debug, Clone)]
struct TxState {
    id: String,
    total: i64,
    per_table: Vec<(String, i64)>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("flavor", &self.flavor)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub(crate) fn table_schema(&mut self, id: &TableId) -> Option<Arc<TableSchema>> {
        if let Some(ts) = self.cache.get(id) {
            return Some(ts.clone());
        }
        let table = self.schemas.get(id)?.clone();
        let config = self.config.clone();
        let key_override = config.key_override(&id.db, &id.table);
        let ts = Arc::new(TableSchema::with_options(
            table,
            &config.topic_prefix,
            config.modes,
            self.flavor,
            key_override,
            &|col| config.columns.matches(col),
        ));
        self.cache.insert(id.clone(), ts.clone());
        Some(ts)
    }

    /// Converts raw cells into the row's Connect values.
    pub(crate) fn convert_row(&self, ts: &TableSchema, cells: Vec<Cell>) -> Result<Vec<Value>> {
        if cells.len() != ts.columns().len() {
            return Err(CdcError::Decode(format!(
                "row of {} has {} columns but the tracked schema has {}; the schema history does not match the binlog (inconsistent schema)",
                ts.id(),
                cells.len(),
                ts.columns().len()
            )));
        }
        cells
            .into_iter()
            .enumerate()
            .map(|(i, cell)| {
                let col = &ts.columns()[i];
                let optional = col.optional;
                convert(col, self.config.modes, cell, optional)
                    .map_err(|e| CdcError::Decode(format!("{}: {e}", ts.id())))
            })
            .collect()
    }

    fn key_of(ts: &TableSchema, row: Option<&Vec<Value>>) -> SchemaAndValue {
        match (row.and_then(|r| ts.key(r)), &ts.key_schema) {
            (Some(k), Some(s)) => SchemaAndValue::new(Some(s.clone()), k),
            _ => SchemaAndValue::NULL,
        }
    }

    /// Queues the records of one row change (plus the tombstone after a delete). An update that
    /// changes the primary key becomes, as in Debezium, a delete of the old key (with header
    /// `__debezium.newkey`), its tombstone, and a create of the new key (`__debezium.oldkey`).
    pub(crate) async fn emit_change(
        &mut self,
        ts: &TableSchema,
        op: &str,
        before: Option<Vec<Value>>,
        after: Option<Vec<Value>>,
        source: &SourceInfo,
        offset: &BinlogOffset,
    ) -> Result<()> {
        if op == "u" {
            let old_key = Self::key_of(ts, before.as_ref());
            let new_key = Self::key_of(ts, after.as_ref());
            if old_key.schema.is_some() && old_key != new_key {
                let newkey = connect_api::Header {
                    key: "__debezium.newkey".into(),
                    value: new_key.clone(),
                };
                let oldkey = connect_api::Header {
                    key: "__debezium.oldkey".into(),
                    value: old_key.clone(),
                };
                self.emit_one(ts, "d", before, None, old_key, vec![newkey], source, offset)
                    .await?;
                return self
                    .emit_one(ts, "c", None, after, new_key, vec![oldkey], source, offset)
                    .await;
            }
        }
        let key = Self::key_of(ts, after.as_ref().or(before.as_ref()));
        self.emit_one(ts, op, before, after, key, Vec::new(), source, offset)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn emit_one(
        &mut self,
        ts: &TableSchema,
        op: &str,
        before: Option<Vec<Value>>,
        after: Option<Vec<Value>>,
        key: SchemaAndValue,
        headers: connect_api::Headers,
        source: &SourceInfo,
        offset: &BinlogOffset,
    ) -> Result<()> {
        let block = self.next_tx_block(ts, offset).await?;
        let value = ts.envelope_in_tx(
            op,
            before.and_then(|r| ts.value(r)),
            after.and_then(|r| ts.value(r)),
            source.to_struct(self.flavor, &self.config.topic_prefix),
            now_ms(),
            block,
        );
        let mut rec = SourceRecord::new(
            self.partition.clone(),
            offset.to_source_offset(),
            ts.topic.clone(),
            key.clone(),
            SchemaAndValue::new(Some(ts.envelope_schema.clone()), value),
        );
        rec.headers.clone_from(&headers);
        self.push(rec).await?;
        if op == "d" && self.config.tombstones_on_delete && key.schema.is_some() {
            let mut tomb = SourceRecord::new(
                self.partition.clone(),
                offset.to_source_offset(),
                ts.topic.clone(),
                key,
                SchemaAndValue::NULL,
            );
            tomb.headers = headers;
            self.push(tomb).await?;
        }
        Ok(())
    }

    /// A truncate (`op: t`) event, when `skipped.operations` lets it through.
    pub(crate) async fn emit_truncate(
        &mut self,
        id: &TableId,
        source: &SourceInfo,
        offset: &BinlogOffset,
    ) -> Result<()> {
        let Some(ts) = self.table_schema(id) else {
            return Ok(());
        };
        let value = ts.envelope(
            "t",
            None,
            None,
            source.to_struct(self.flavor, &self.config.topic_prefix),
            now_ms(),
        );
        let rec = SourceRecord::new(
            self.partition.clone(),
            offset.to_source_offset(),
            ts.topic.clone(),
            SchemaAndValue::NULL,
            SchemaAndValue::new(Some(ts.envelope_schema.clone()), value),
        );
        self.push(rec).await
    }

    /// With `provide.transaction.metadata`: emits the BEGIN record on the transaction's first
    /// event and returns the event's `transaction` block.
    async fn next_tx_block(
        &mut self,
        ts: &TableSchema,
        offset: &BinlogOffset,
    ) -> Result<Option<Value>> {
        if !self.config.provide_transaction_metadata {
            return Ok(None);
        }
        let Some(id) = self.tx_id.clone() else {
            return Ok(None);
        };
        if self.tx.as_ref().is_none_or(|t| t.id != id) {
            self.tx = Some(TxState {
                id: id.clone(),
                total: 0,
                per_table: Vec::new(),
            });
            self.push_tx_record("BEGIN", &id, None, offset).await?;
        }
        let table = ts.id().to_string();
        let Some(tx) = self.tx.as_mut() else {
            return Ok(None);
        };
        tx.total += 1;
        let order = match tx.per_table.iter_mut().find(|(t, _)| *t == table) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                tx.per_table.push((table, 1));
                1
            }
        };
        Ok(Some(crate::event::transaction_block(&id, tx.total, order)))
    }

    /// Ends the current transaction: the END record, when a BEGIN was emitted.
    pub(crate) async fn end_transaction(&mut self, offset: &BinlogOffset) -> Result<()> {
        self.tx_id = None;
        if let Some(tx) = self.tx.take() {
            self.push_tx_record("END", &tx.id.clone(), Some(&tx), offset)
                .await?;
        }
        Ok(())
    }

    async fn push_tx_record(
        &mut self,
        status: &str,
        id: &str,
        tx: Option<&TxState>,
        offset: &BinlogOffset,
    ) -> Result<()> {
        let (ks, vs, cs) = crate::event::transaction_topic_schemas();
        let mut key = connect_api::Struct::new(ks.clone());
        key.put("id", id);
        let mut value = connect_api::Struct::new(vs.clone());
        value.put("status", status);
        value.put("id", id);
        if let Some(tx) = tx {
            value.put("event_count", tx.total);
            let collections = tx
                .per_table
                .iter()
                .map(|(t, n)| {
                    let mut c = connect_api::Struct::new(cs.clone());
                    c.put("data_collection", t.clone());
                    c.put("event_count", *n);
                    Value::Struct(c)
                })
                .collect();
            value.put("data_collections", Value::Array(collections));
        }
        value.put("ts_ms", now_ms());
        let rec = SourceRecord::new(
            self.partition.clone(),
            offset.to_source_offset(),
            format!("{}.transaction", self.config.topic_prefix),
            SchemaAndValue::new(Some(ks), Value::Struct(key)),
            SchemaAndValue::new(Some(vs), Value::Struct(value)),
        );
        self.push(rec).await
    }

    /// A heartbeat carrying `offset`, so Connect can commit progress while tables are idle.
    pub(crate) async fn emit_heartbeat(&mut self, offset: &BinlogOffset) -> Result<()> {
        let (ks, vs) = crate::event::heartbeat_schemas();
        let mut key = connect_api::Struct::new(ks.clone());
        key.put("serverName", self.config.topic_prefix.clone());
        let mut value = connect_api::Struct::new(vs.clone());
        value.put("ts_ms", now_ms());
        let mut rec = SourceRecord::new(
            self.partition.clone(),
            offset.to_source_offset(),
            format!("__debezium-heartbeat.{}", self.config.topic_prefix),
            SchemaAndValue::new(Some(ks), Value::Struct(key)),
            SchemaAndValue::new(Some(vs), Value::Struct(value)),
        );
        rec.kafka_partition = Some(0);
        self.push(rec).await?;
        self.flush().await
    }

    pub(crate) async fn push(&mut self, rec: SourceRecord) -> Result<()> {
        self.batch.push(rec);
        if self.batch.len() >= self.config.max_batch_size {
            self.flush().await?;
        }
        Ok(())
    }

    /// Hands the pending records to `poll`; waits while the queue is full (back-pressure).
    pub(crate) async fn flush(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        self.out
            .send(Ok(batch))
            .await
            .map_err(|_| CdcError::Decode("task stopped".into()))
    }

    /// Applies a DDL statement: updates the tracked tables, writes the history record and, when
    /// `include.schema.changes` is on, queues the schema-change event.
    ///
    /// Returns `None` when the statement was skipped as unparseable.
    pub(crate) async fn apply_ddl(
        &mut self,
        current_db: &str,
        ddl: &str,
        source: &SourceInfo,
        offset: &BinlogOffset,
        always_record: bool,
    ) -> Result<Option<DdlEffect>> {
        let effect = match self.schemas.apply(current_db, ddl) {
            Ok(e) => e,
            Err(reason) if self.config.skip_unparseable_ddl => {
                tracing::warn!(%ddl, %reason, "skipping unparseable DDL (schema.history.internal.skip.unparseable.ddl=true)");
                return Ok(None);
            }
            Err(reason)
                if crate::ddl::target_database(ddl, current_db)
                    .is_some_and(|db| !self.config.database_captured(&db)) =>
            {
                // A database this connector does not capture: its tables never reach us.
                tracing::debug!(%ddl, %reason, "ignoring unparseable DDL of a database that is not captured");
                return Ok(None);
            }
            Err(reason) => {
                return Err(CdcError::UnparseableDdl {
                    ddl: ddl.to_owned(),
                    reason,
                });
            }
        };
        for c in &effect.changes {
            self.cache.remove(&c.id);
            if let Some(p) = &c.previous_id {
                self.cache.remove(p);
            }
        }
        if !always_record && effect == DdlEffect::default() {
            // Not a statement that shapes tables (GRANT, SET, CREATE USER, …): nothing to keep.
            return Ok(Some(effect));
        }
        let db = effect
            .databases
            .first()
            .cloned()
            .unwrap_or_else(|| current_db.to_owned());
        // MySQL's default (store.only.captured.databases.ddl=true): DDL of other databases is
        // neither stored nor published.
        if !db.is_empty() && !self.config.database_captured(&db) {
            return Ok(Some(effect));
        }
        let changes: Vec<_> = effect
            .changes
            .iter()
            .filter(|c| {
                !self.config.store_only_captured_tables_ddl
                    || self.config.table_captured(&c.id.db, &c.id.table)
            })
            .cloned()
            .collect();
        let ts_ms = now_ms();
        let record = HistoryRecord {
            server: self.config.topic_prefix.clone(),
            position: offset.clone(),
            ts_ms,
            database_name: db.clone(),
            ddl: ddl.to_owned(),
            changes: changes.clone(),
        };
        self.history.record(std::slice::from_ref(&record)).await?;
        self.history_high = Some(offset.position_key());
        if self.config.include_schema_changes && effect.truncated.is_empty() && !db.is_empty() {
            let schemas = SchemaChangeSchemas::get(self.flavor);
            let mut src = source.clone();
            src.db.clone_from(&db);
            let tables: Vec<String> = changes.iter().map(|c| c.id.table.clone()).collect();
            src.table = (!tables.is_empty()).then(|| tables.join(","));
            let table_changes = changes
                .iter()
                .map(|c| schemas.change(c.kind, &c.id, c.table.as_ref()))
                .collect();
            let value = schemas.value(
                src.to_struct(self.flavor, &self.config.topic_prefix),
                ts_ms,
                &db,
                ddl,
                table_changes,
            );
            let mut rec = SourceRecord::new(
                self.partition.clone(),
                offset.to_source_offset(),
                self.config.topic_prefix.clone(),
                SchemaAndValue::new(Some(schemas.key.clone()), schemas.key_value(&db)),
                SchemaAndValue::new(Some(schemas.value.clone()), value),
            );
            rec.kafka_partition = Some(0);
            self.push(rec).await?;
        }
        Ok(Some(effect))
    }

    /// Rebuilds the tracked tables from the history store.
    /// Rebuilds the tracked tables from the history store, replaying only DDL at or before
    /// `upto` (the offset streaming resumes from): DDL recorded after it is read again from the
    /// binlog, after the rows that precede it.
    /// Rebuilds the table structures from the history records at or before `upto`: by binlog
    /// position, or with `by_gtids` (the offset's file is not on this server, e.g. after a
    /// failover) by GTID containment, as Debezium compares records when GTIDs are in use.
    pub(crate) async fn recover_history(
        &mut self,
        upto: Option<&BinlogOffset>,
        by_gtids: bool,
    ) -> Result<()> {
        let records = self.history.recover().await?;
        let limit = upto.map(BinlogOffset::position_key);
        // By GTIDs, a record belongs before the offset when its set is inside the offset's;
        // that holds across a failover to a server whose files and positions differ.
        let limit_gtids = upto
            .filter(|_| by_gtids)
            .and_then(|o| o.gtids.as_deref())
            .map(crate::binlog::GtidSet::parse)
            .filter(|g| !g.is_empty());
        if records.is_empty() {
            return Err(CdcError::HistoryMissing(
                "the schema history is empty".into(),
            ));
        }
        let mut current_db = String::new();
        for r in &records {
            let key = r.position.position_key();
            let record_gtids = r
                .position
                .gtids
                .as_deref()
                .map(crate::binlog::GtidSet::parse)
                .filter(|g| !g.is_empty());
            let after = match (&limit_gtids, record_gtids) {
                (Some(offset), Some(record)) => !offset.contains(&record),
                _ => limit.is_some_and(|l| key > l),
            };
            if after {
                continue;
            }
            if current_db.is_empty() || !r.database_name.is_empty() {
                current_db.clone_from(&r.database_name);
            }
            match self.schemas.apply(&current_db, &r.ddl) {
                Ok(e) => {
                    if let Some(db) = e.use_database {
                        current_db = db;
                    }
                }
                Err(reason) if self.config.skip_unparseable_ddl => {
                    tracing::warn!(ddl = %r.ddl, %reason, "skipping unparseable DDL from the history");
                }
                Err(reason) => {
                    return Err(CdcError::UnparseableDdl {
                        ddl: r.ddl.clone(),
                        reason,
                    });
                }
            }
            if self.history_high.is_none_or(|h| key > h) {
                self.history_high = Some(key);
            }
        }
        self.cache.clear();
        Ok(())
    }
}

#[cfg(test)]
impl Engine {
    /// An engine over a minimal config, its output channel, and an in-memory history.
    pub(crate) fn for_test(extra: &[(&str, &str)]) -> (Self, mpsc::Receiver<Batch>) {
        use connect_api::ConnectorConfig;
        let mut props: connect_api::Props = [
            ("database.hostname", "localhost"),
            ("database.user", "u"),
            ("database.server.id", "1"),
            ("topic.prefix", "test"),
            (
                "schema.history.internal",
                crate::config::MEMORY_HISTORY_CLASS,
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (k, v) in extra {
            props.insert((*k).to_owned(), (*v).to_owned());
        }
        let config = Arc::new(MySqlConfig::parse(&props).expect("test config"));
        let (tx, rx) = mpsc::channel(1024);
        #[derive(Debug)]
        struct NoHost;
        impl TaskHost for NoHost {
            fn request_commit(&self) {}
            fn report_progress(&self, _p: serde_json::Value) {}
        }
        let engine = Self {
            partition: partition(&config.topic_prefix),
            config,
            flavor: Flavor::MySql,
            mariadb: false,
            schemas: Schemas::default(),
            cache: HashMap::new(),
            history: Arc::new(MemoryHistory::default()),
            history_high: None,
            out: tx,
            batch: Vec::new(),
            host: Arc::new(NoHost),
            tx_id: None,
            tx: None,
        };
        (engine, rx)
    }
}

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
        let capacity = (config.max_queue_size / config.max_batch_size.max(1)).max(2);
        let (tx, rx) = mpsc::channel(capacity);
        let mut engine = Engine {
            config: config.clone(),
            flavor,
            mariadb,
            schemas: Schemas::default(),
            cache: HashMap::new(),
            history,
            history_high: None,
            partition: part,
            out: tx,
            batch: Vec::new(),
            host: ctx.host.clone(),
            tx_id: None,
            tx: None,
        };
        let plan = match (stored, config.snapshot_mode) {
            (Some(o), SnapshotMode::Recovery) => Plan::Recovery { offset: o },
            (Some(o), mode)
                if o.snapshot
                    && o.snapshot_table.is_some()
                    && config.snapshot_chunk() > 0
                    && engine.history.exists().await? =>
            {
                engine.recover_history(Some(&o), false).await?;
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
                if !engine.history.exists().await? {
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
                engine.recover_history(Some(&o), by_gtids).await?;
                if by_gtids {
                    // History positions are the old server's: they cannot tell which DDL this
                    // server has already shown; the GTID set does (the server skips those).
                    engine.history_high = None;
                }
                if !available && !by_gtids {
                    if mode == SnapshotMode::WhenNeeded {
                        engine.schemas.clear();
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
            let out = engine.out.clone();
            if let Err(e) = run(&mut engine, conn, plan).await {
                // The records before the failure still go out; then `poll` reports it. If the
                // task is already gone nobody is left to tell.
                if engine.flush().await.is_ok() && out.send(Err(e)).await.is_err() {
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

async fn run(engine: &mut Engine, mut conn: mysql_async::Conn, plan: Plan) -> Result<()> {
    let start = match plan {
        Plan::Snapshot { data, stream } => {
            let pos = crate::snapshot::run(engine, &mut conn, data).await?;
            engine.flush().await?;
            // The snapshot's completion is in the last record's offset: commit it soon.
            engine.host.request_commit();
            if !stream {
                if let Err(e) = conn.disconnect().await {
                    tracing::debug!(error = %e, "closing the snapshot connection failed");
                }
                return Ok(());
            }
            pos
        }
        Plan::Recovery { offset } => {
            engine.schemas.clear();
            crate::snapshot::run(engine, &mut conn, false).await?;
            engine.flush().await?;
            offset
        }
        Plan::Resume { offset, by_gtids } => {
            if let Err(e) = conn.disconnect().await {
                tracing::debug!(error = %e, "closing the snapshot connection failed");
            }
            return crate::binlog::stream(engine, offset, by_gtids).await;
        }
        Plan::ResumeSnapshot { offset, stream } => {
            let pos = crate::snapshot::resume(engine, &mut conn, &offset).await?;
            engine.flush().await?;
            engine.host.request_commit();
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
    crate::binlog::stream(engine, start, false).await
}

impl SourceTask for MySqlSourceTask {
    type Config = MySqlConfig;

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
            Ok(Some(Ok(batch))) => Ok(batch),
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
