//! Transaction metadata (`provide.transaction.metadata`): the id of the transaction being read,
//! the BEGIN and END records of the `<prefix>.transaction` topic, and the `transaction` block
//! (total and per-table order) of each change event. The readers only say where a transaction
//! starts ([`Emitter::open_transaction`]) and ends ([`Emitter::end_transaction`]).

use connect_api::SchemaAndValue;
use connect_api::SourceRecord;
use connect_api::data::Value;

use super::{Emitter, now_ms};
use crate::error::Result;
use crate::event::TableSchema;
use crate::offset::{BinlogOffset, OFFSET_TRANSACTION_ID};
/// `TransactionContext.OFFSET_TABLE_COUNT_PREFIX`, followed by the table's `db.table`.
const OFFSET_TABLE_COUNT_PREFIX: &str = "transaction_data_collection_order_";

/// The transaction being read, as far as its metadata goes.
#[derive(Debug, Clone, Default)]
pub(super) struct Transaction {
    /// The id of the transaction being read (GTID, or `file=…,pos=…`).
    id: Option<String>,
    /// Counters of the transaction whose BEGIN was emitted.
    counts: Option<Counts>,
}

/// The event counters of one transaction.
#[derive(Debug, Clone)]
struct Counts {
    id: String,
    total: i64,
    per_table: Vec<(String, i64)>,
}

impl Transaction {
    /// The keys `TransactionContext.store` adds to a streaming offset while the transaction's
    /// metadata is open: its id and each table's event count so far.
    pub(super) fn offset_keys(&self) -> Vec<(String, serde_json::Value)> {
        let Some(tx) = &self.counts else {
            return Vec::new();
        };
        let mut keys = vec![(OFFSET_TRANSACTION_ID.to_owned(), tx.id.clone().into())];
        keys.extend(
            tx.per_table
                .iter()
                .map(|(t, n)| (format!("{OFFSET_TABLE_COUNT_PREFIX}{t}"), (*n).into())),
        );
        keys
    }
}

impl Emitter {
    /// Marks the start of a transaction's change events, with the id `id` computes (Debezium's:
    /// the GTID, or the position of the transaction's start), unless one is already open.
    pub(crate) fn open_transaction(&mut self, id: impl FnOnce() -> String) {
        if self.tx.id.is_none() {
            self.tx.id = Some(id());
        }
    }

    /// With `provide.transaction.metadata`: emits the BEGIN record on the transaction's first
    /// event and returns the event's `transaction` block.
    pub(super) async fn transaction_block(
        &mut self,
        ts: &TableSchema,
        offset: &BinlogOffset,
    ) -> Result<Option<Value>> {
        if !self.config.provide_transaction_metadata {
            return Ok(None);
        }
        let Some(id) = self.tx.id.clone() else {
            return Ok(None);
        };
        if self.tx.counts.as_ref().is_none_or(|t| t.id != id) {
            self.tx.counts = Some(Counts {
                id: id.clone(),
                total: 0,
                per_table: Vec::new(),
            });
            self.push_tx_record("BEGIN", &id, None, offset).await?;
        }
        let table = ts.id().to_string();
        let Some(tx) = self.tx.counts.as_mut() else {
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
    ///
    /// `offset` is the position before the commit, as Debezium dispatches the END before
    /// `commitTransaction` moves its offset; the END's offset still carries the transaction's
    /// keys (the context is reset after it).
    pub(crate) async fn end_transaction(&mut self, offset: &BinlogOffset) -> Result<()> {
        self.tx.id = None;
        self.streaming.committed();
        if let Some(tx) = self.tx.counts.clone() {
            self.push_tx_record("END", &tx.id, Some(&tx), offset)
                .await?;
        }
        self.tx.counts = None;
        Ok(())
    }

    async fn push_tx_record(
        &mut self,
        status: &str,
        id: &str,
        tx: Option<&Counts>,
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
            self.record_offset(offset, false),
            format!("{}.transaction", self.config.topic_prefix),
            SchemaAndValue::new(Some(ks), Value::Struct(key)),
            SchemaAndValue::new(Some(vs), Value::Struct(value)),
        );
        self.push(rec).await
    }
}
