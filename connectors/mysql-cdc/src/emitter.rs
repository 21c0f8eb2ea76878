//! The record emitter: everything the snapshot and the binlog reader decode becomes records
//! here. It keeps the tracked tables and their Connect schemas (the schema cache), applies DDL
//! and writes the schema history ([`schema`]), emits change, truncate and heartbeat events, and
//! owns the transaction metadata state ([`transaction`]). Records are batched and handed to the
//! task's `poll` through a bounded channel, so a slow consumer holds the readers back.

pub(crate) mod metrics;
mod schema;
mod transaction;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use connect_api::data::{SchemaAndValue, Value};
use connect_api::{RecordOffset, SourcePartition, SourceRecord, TaskHost};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::config::MySqlConfig;
use crate::convert::{Cell, convert};
use crate::ddl::Schemas;
use crate::error::{CdcError, Result};
use crate::event::{Flavor, Op, SourceInfo, TableSchema};
use crate::history::SchemaHistory;
use crate::offset::{BinlogOffset, RecordOffsetForm, partition};
use crate::table::TableId;

use transaction::Transaction;

/// Milliseconds since the epoch, the `ts_ms` of records and offsets.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0))
}

/// Microseconds since the epoch, the instant of an envelope (`ts_ms`, and 3.x's `ts_us`/`ts_ns`).
pub(crate) fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(0))
}

/// A UUIDv7 text for `now_ms`, as Debezium's `UUIDUtils.generateNewUUID` makes the run id: the
/// milliseconds in the top 48 bits, version 7, variant 2, the rest random.
fn uuid_v7(now_ms: i64) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    let msb = (now_ms.cast_unsigned() << 16) | (rng.random::<u64>() & 0x0fff) | 0x7000;
    let lsb = (rng.random::<u64>() & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    let hex = format!("{msb:016x}{lsb:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Debezium 3.x's `__debezium.context.*` headers (`DebeziumHeaderProducer.contextHeaders`,
/// added to every change and schema-change record while `extended.headers.enabled` is on, its
/// default): the logical name (`topic.prefix`), the task id, the connector's plugin name and
/// the id of this run of the task.
fn context_headers(config: &MySqlConfig, flavor: Flavor) -> connect_api::Headers {
    if !config.layout.is_3x() {
        return connect_api::Headers::new();
    }
    let header = |key: &str, value: String| connect_api::Header {
        key: format!("__debezium.context.{key}"),
        value: SchemaAndValue::new(
            Some(connect_api::data::Schema::primitive(
                connect_api::data::SchemaType::String,
                false,
            )),
            Value::String(value),
        ),
    };
    connect_api::Headers::from(vec![
        header("connectorLogicalName", config.topic_prefix.clone()),
        header("taskId", "0".into()),
        header("connectorName", flavor.connector().into()),
        header("runId", uuid_v7(now_ms())),
    ])
}

/// What the emitter hands to the task's `poll`: a batch of records, or the failure that ends
/// the reader.
pub(crate) type Batch = std::result::Result<Queued, CdcError>;

/// Records on their way to `poll`, holding their share of `max.queue.size.in.bytes` until
/// `poll` takes them.
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) records: Vec<SourceRecord>,
    _bytes: Option<OwnedSemaphorePermit>,
}

/// `max.queue.size.in.bytes` as semaphore permits.
fn queue_byte_limit(config: &MySqlConfig) -> usize {
    usize::try_from(config.max_queue_size_in_bytes)
        .unwrap_or(usize::MAX)
        .min(Semaphore::MAX_PERMITS)
}

/// Turns what the readers decode into records: change events, schema changes and the history,
/// heartbeats, and transaction metadata, whose state it alone keeps.
pub(crate) struct Emitter {
    pub(crate) config: Arc<MySqlConfig>,
    pub(crate) flavor: Flavor,
    pub(crate) mariadb: bool,
    pub(crate) schemas: Schemas,
    cache: HashMap<TableId, Arc<TableSchema>>,
    pub(crate) history: Arc<dyn SchemaHistory>,
    /// The binlog position of the newest DDL in the history: DDL at or before it was applied.
    pub(crate) history_high: Option<(u64, u64)>,
    partition: SourcePartition,
    out: mpsc::Sender<Batch>,
    batch: Vec<SourceRecord>,
    /// `max.queue.size.in.bytes` when set: one permit per approximate byte of queued records,
    /// the batch being filled included.
    queue_bytes: Option<Arc<Semaphore>>,
    /// The batch being filled's share of `queue_bytes`.
    batch_bytes: Option<OwnedSemaphorePermit>,
    pub(crate) host: Arc<dyn TaskHost>,
    /// `provide.transaction.metadata` state of the transaction being read.
    tx: Transaction,
    /// Appended to the headers of change and schema-change records (3.x layout only).
    pub(crate) context_headers: connect_api::Headers,
    /// Debezium's streaming metrics, published through `host` from `flush`.
    pub(crate) streaming: metrics::StreamingMetrics,
}

impl std::fmt::Debug for Emitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emitter")
            .field("flavor", &self.flavor)
            .finish_non_exhaustive()
    }
}

impl Emitter {
    /// An emitter with no tables yet, whose batches go to `out`.
    pub(crate) fn new(
        config: Arc<MySqlConfig>,
        flavor: Flavor,
        mariadb: bool,
        history: Arc<dyn SchemaHistory>,
        out: mpsc::Sender<Batch>,
        host: Arc<dyn TaskHost>,
    ) -> Self {
        let queue_bytes = (config.max_queue_size_in_bytes > 0)
            .then(|| Arc::new(Semaphore::new(queue_byte_limit(&config))));
        Self {
            queue_bytes,
            streaming: metrics::StreamingMetrics::default(),
            partition: partition(&config.topic_prefix),
            context_headers: context_headers(&config, flavor),
            config,
            flavor,
            mariadb,
            schemas: Schemas::default(),
            cache: HashMap::new(),
            history,
            history_high: None,
            batch_bytes: None,
            out,
            batch: Vec::new(),
            host,
            tx: Transaction::default(),
        }
    }

    /// A sender of this emitter's channel, to report the failure that ends the reader.
    pub(crate) fn sender(&self) -> mpsc::Sender<Batch> {
        self.out.clone()
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
        op: Op,
        before: Option<Vec<Value>>,
        after: Option<Vec<Value>>,
        source: SourceInfo,
        offset: &BinlogOffset,
    ) -> Result<()> {
        if op == Op::Update {
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
                self.emit_one(
                    ts,
                    Op::Delete,
                    before,
                    None,
                    old_key,
                    vec![newkey].into(),
                    source.clone(),
                    offset,
                )
                .await?;
                return self
                    .emit_one(
                        ts,
                        Op::Create,
                        None,
                        after,
                        new_key,
                        vec![oldkey].into(),
                        source,
                        offset,
                    )
                    .await;
            }
        }
        let key = Self::key_of(ts, after.as_ref().or(before.as_ref()));
        self.emit_one(
            ts,
            op,
            before,
            after,
            key,
            connect_api::Headers::new(),
            source,
            offset,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn emit_one(
        &mut self,
        ts: &TableSchema,
        op: Op,
        before: Option<Vec<Value>>,
        after: Option<Vec<Value>>,
        key: SchemaAndValue,
        headers: connect_api::Headers,
        source: SourceInfo,
        offset: &BinlogOffset,
    ) -> Result<()> {
        self.streaming.event(&source);
        let snapshot = source.snapshot.is_some();
        let block = self.transaction_block(ts, offset).await?;
        let value = ts.envelope_in_tx(
            op,
            before.and_then(|r| ts.value(r)),
            after.and_then(|r| ts.value(r)),
            source.into_struct(self.flavor, self.config.layout, &self.config.topic_prefix),
            now_us(),
            block,
        );
        let mut headers = headers;
        headers.append_shared(&self.context_headers);
        let record_offset = self.record_offset(offset, snapshot);
        // The key, offset and headers are copied only for the tombstone that follows a delete:
        // every other record moves them (copying an offset map per record showed in profiles).
        let tombstone =
            (op == Op::Delete && self.config.tombstones_on_delete && key.schema.is_some())
                .then(|| (record_offset.clone(), key.clone(), headers.clone()));
        let mut rec = SourceRecord::new(
            self.partition.clone(),
            record_offset,
            ts.topic.clone(),
            key,
            SchemaAndValue::new(Some(ts.envelope_schema.clone()), value),
        );
        rec.headers = headers;
        self.push(rec).await?;
        if let Some((record_offset, key, headers)) = tombstone {
            let mut tomb = SourceRecord::new(
                self.partition.clone(),
                record_offset,
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
            Op::Truncate,
            None,
            None,
            source.to_struct(self.flavor, self.config.layout, &self.config.topic_prefix),
            now_us(),
        );
        let mut rec = SourceRecord::new(
            self.partition.clone(),
            self.record_offset(offset, false),
            ts.topic.clone(),
            SchemaAndValue::NULL,
            SchemaAndValue::new(Some(ts.envelope_schema.clone()), value),
        );
        rec.headers.clone_from(&self.context_headers);
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
            self.record_offset(offset, false),
            format!("__debezium-heartbeat.{}", self.config.topic_prefix),
            SchemaAndValue::new(Some(ks), Value::Struct(key)),
            SchemaAndValue::new(Some(vs), Value::Struct(value)),
        );
        rec.kafka_partition = Some(0);
        self.push(rec).await?;
        self.flush().await
    }

    /// The offset of a record at `offset` ([`RecordOffset`]'s typed form: its map, built by
    /// [`RecordOffsetForm`], is Debezium's `getOffset`).
    pub(crate) fn record_offset(&self, offset: &BinlogOffset, snapshot: bool) -> RecordOffset {
        let snapshot = snapshot || offset.snapshot;
        RecordOffset::Typed(Arc::new(RecordOffsetForm {
            offset: offset.clone(),
            snapshot,
            layout: self.config.layout,
            tx_keys: if snapshot {
                Vec::new()
            } else {
                self.tx.offset_keys()
            },
        }))
    }

    pub(crate) async fn push(&mut self, rec: SourceRecord) -> Result<()> {
        if let Some(queue) = self.queue_bytes.clone() {
            self.reserve(&queue, rec.approximate_size()).await?;
        }
        self.batch.push(rec);
        if self.batch.len() >= self.config.max_batch_size {
            self.flush().await?;
        }
        Ok(())
    }

    /// Takes a record's share of `max.queue.size.in.bytes`, waiting while the queue is at its
    /// bound (Debezium's `ChangeEventQueue` waits the same way); a record larger than the whole
    /// bound passes alone.
    async fn reserve(&mut self, queue: &Arc<Semaphore>, size: usize) -> Result<()> {
        let size = u32::try_from(size.min(queue_byte_limit(&self.config))).unwrap_or(u32::MAX);
        let permit = match Arc::clone(queue).try_acquire_many_owned(size) {
            Ok(p) => p,
            Err(_) => {
                // The batch being filled holds bytes too: hand it over so `poll` frees them.
                self.flush().await?;
                Arc::clone(queue)
                    .acquire_many_owned(size)
                    .await
                    .map_err(|_| CdcError::Decode("task stopped".into()))?
            }
        };
        match &mut self.batch_bytes {
            Some(held) => held.merge(permit),
            None => self.batch_bytes = Some(permit),
        }
        Ok(())
    }

    /// Hands the pending records to `poll`; waits while the queue is full (back-pressure).
    pub(crate) async fn flush(&mut self) -> Result<()> {
        // The binlog reader flushes when idle too, so the series catch up with the last event.
        let plugin = self.flavor.connector();
        self.streaming
            .report(self.host.as_ref(), plugin, &self.config.topic_prefix);
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = Queued {
            records: std::mem::take(&mut self.batch),
            _bytes: self.batch_bytes.take(),
        };
        self.out
            .send(Ok(batch))
            .await
            .map_err(|_| CdcError::Decode("task stopped".into()))
    }
}

#[cfg(test)]
impl Emitter {
    /// An emitter over a minimal config, its output channel, and an in-memory history.
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
        let emitter = Self::new(
            config,
            Flavor::MySql,
            false,
            Arc::new(crate::history::MemoryHistory::default()),
            tx,
            Arc::new(NoHost),
        );
        (emitter, rx)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use connect_api::data::{SchemaAndValue, Value};
    use connect_api::{SourceOffset, SourceRecord};
    use serde_json::{Value as Json, json};

    use super::*;

    fn record(text: &str) -> SourceRecord {
        SourceRecord::new(
            partition("test"),
            SourceOffset::default(),
            "test.db.t",
            SchemaAndValue::NULL,
            SchemaAndValue::schemaless(Value::String(text.to_owned())),
        )
    }

    /// The records' shape for table `inventory.orders`, created by `ddl`.
    fn orders(ddl: &str) -> TableSchema {
        let mut schemas = Schemas::default();
        schemas.apply("inventory", ddl).unwrap();
        let table = schemas
            .get(&TableId::new("inventory", "orders"))
            .unwrap()
            .clone();
        TableSchema::new(
            table,
            "test",
            crate::config::ValueModes::default(),
            Flavor::MySql,
        )
    }

    /// Where a row of `inventory.orders` read from binlog `file` came from.
    fn orders_source(file: &str) -> SourceInfo {
        SourceInfo {
            db: "inventory".into(),
            table: Some("orders".into()),
            file: file.into(),
            ..SourceInfo::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn debezium_3_records_carry_the_context_headers_as_one_shared_list() {
        let (mut emitter, mut rx) = Emitter::for_test(&[("sluice.debezium.version", "3.6")]);
        let ts = orders("CREATE TABLE orders (id INT NOT NULL PRIMARY KEY, note VARCHAR(20))");
        for id in [1, 2] {
            let row = vec![Value::Int32(id), "n".into()];
            let source = orders_source("mysql-bin.000001");
            emitter
                .emit_change(
                    &ts,
                    Op::Create,
                    None,
                    Some(row),
                    source,
                    &BinlogOffset::default(),
                )
                .await
                .unwrap();
        }
        emitter.flush().await.unwrap();
        let records = rx.try_recv().unwrap().unwrap().records;
        assert_eq!(records.len(), 2);
        let keys: Vec<&str> = records[0].headers.iter().map(|h| h.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "__debezium.context.connectorLogicalName",
                "__debezium.context.taskId",
                "__debezium.context.connectorName",
                "__debezium.context.runId"
            ]
        );
        assert!(connect_api::Headers::same_list(
            &records[0].headers,
            &records[1].headers
        ));
    }

    #[tokio::test]
    async fn change_records_carry_a_typed_offset_that_becomes_debeziums_map() {
        for (version, snapshot_flag) in [("2.2", json!(true)), ("3.6", json!("INITIAL"))] {
            let (mut emitter, mut rx) = Emitter::for_test(&[("sluice.debezium.version", version)]);
            let ts = orders("CREATE TABLE orders (id INT NOT NULL PRIMARY KEY)");
            let streamed = BinlogOffset {
                file: "mysql-bin.000003".into(),
                pos: 154,
                row: 1,
                event: 2,
                ts_sec: Some(1_700_000_000),
                server_id: Some(223_344),
                ..BinlogOffset::default()
            };
            let snapshot = BinlogOffset {
                snapshot: true,
                row: 0,
                event: 0,
                ..streamed.clone()
            };
            for offset in [&streamed, &snapshot] {
                let source = orders_source(&offset.file);
                emitter
                    .emit_change(
                        &ts,
                        Op::Create,
                        None,
                        Some(vec![Value::Int32(1)]),
                        source,
                        offset,
                    )
                    .await
                    .unwrap();
            }
            emitter.flush().await.unwrap();
            let records = rx.try_recv().unwrap().unwrap().records;
            assert!(
                records
                    .iter()
                    .all(|r| matches!(r.source_offset, RecordOffset::Typed(_))),
                "{records:?}"
            );
            let mut expected = json!({
                "file": "mysql-bin.000003", "pos": 154, "row": 1, "event": 2,
                "ts_sec": 1_700_000_000, "server_id": 223_344,
            });
            // Debezium 2.2 puts the transaction id even when it is null; 3.x only when set.
            if version == "2.2" {
                expected["transaction_id"] = Json::Null;
            }
            assert_eq!(
                Json::Object(records[0].source_offset.to_offset().0),
                expected,
                "{version}"
            );
            assert_eq!(
                Json::Object(records[1].source_offset.to_offset().0),
                json!({
                    "file": "mysql-bin.000003", "pos": 154, "ts_sec": 1_700_000_000,
                    "server_id": 223_344, "snapshot": snapshot_flag,
                }),
                "{version}"
            );
            // A typed offset in the queue is a fraction of its map's size.
            let typed = records[0].approximate_size();
            let mut as_map = records[0].clone();
            as_map.source_offset = records[0].source_offset.to_offset().into();
            assert!(
                typed + 400 < as_map.approximate_size(),
                "{typed} {}",
                as_map.approximate_size()
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_byte_bound_hands_over_the_filling_batch_and_waits_until_poll_takes_it() {
        let size = record(&"x".repeat(1000)).approximate_size();
        let bound = (size * 5 / 2).to_string();
        let (mut emitter, mut rx) = Emitter::for_test(&[("max.queue.size.in.bytes", &bound)]);
        emitter.push(record(&"x".repeat(1000))).await.unwrap();
        emitter.push(record(&"x".repeat(1000))).await.unwrap();
        assert!(
            rx.try_recv().is_err(),
            "two records fit: the batch is still filling"
        );

        // The third would pass the bound: the two go to `poll`, and the third waits for them.
        let third = tokio::time::timeout(
            Duration::from_secs(60),
            emitter.push(record(&"x".repeat(1000))),
        )
        .await;
        assert!(
            third.is_err(),
            "the third record must wait for the queue to drain"
        );
        let handed = rx.try_recv().unwrap().unwrap();
        assert_eq!(handed.records.len(), 2);
        drop(handed);

        emitter.push(record(&"x".repeat(1000))).await.unwrap();
        emitter.flush().await.unwrap();
        assert_eq!(rx.try_recv().unwrap().unwrap().records.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_record_larger_than_the_byte_bound_passes_alone() {
        let (mut emitter, mut rx) = Emitter::for_test(&[("max.queue.size.in.bytes", "100")]);
        emitter.push(record(&"x".repeat(5000))).await.unwrap();
        let second = tokio::time::timeout(
            Duration::from_secs(60),
            emitter.push(record(&"y".repeat(5000))),
        )
        .await;
        assert!(
            second.is_err(),
            "the queue is at its bound while the first is queued"
        );
        assert_eq!(rx.try_recv().unwrap().unwrap().records.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_byte_bound_records_wait_only_for_the_record_bound() {
        let (mut emitter, mut rx) = Emitter::for_test(&[]);
        for _ in 0..100 {
            emitter.push(record(&"x".repeat(100_000))).await.unwrap();
        }
        assert!(
            rx.try_recv().is_err(),
            "100 records of 100 kB stay in the filling batch"
        );
    }
}
