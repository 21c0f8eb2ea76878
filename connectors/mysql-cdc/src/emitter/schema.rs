//! The tracked tables' side of the emitter: the schema cache (Connect schemas per table),
//! applying DDL (from the binlog or the snapshot) to the tracked tables, recording it in the
//! schema history, emitting schema change events, and rebuilding the tables from the history on
//! restart.

use std::sync::Arc;

use connect_api::SchemaAndValue;
use connect_api::SourceRecord;

use super::{Emitter, now_ms};
use crate::ddl::DdlEffect;
use crate::error::{CdcError, Result};
use crate::event::{SchemaChangeSchemas, SourceInfo, TableSchema};
use crate::gtid::GtidSet;
use crate::history::HistoryRecord;
use crate::offset::BinlogOffset;
use crate::table::TableId;

impl Emitter {
    /// The Connect schemas of a tracked table, built once and kept until DDL changes it.
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
            config.layout,
            key_override,
            &|col| config.columns.matches(col),
        ));
        self.cache.insert(id.clone(), ts.clone());
        Some(ts)
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
        if !effect.drops.is_empty() {
            // One record per dropped table, each with its own statement; 2.2 writes no
            // tableChanges for a DROP (its SchemaChangeEvent looks the dropped table up after the
            // parser removed it), 3.x a DROP change with the id (DBZ-6828, 2.4.0).
            for (id, statement) in &effect.drops {
                if !self.config.database_captured(&id.db)
                    || self.config.store_only_captured_tables_ddl
                        && !self.config.table_captured(&id.db, &id.table)
                {
                    continue;
                }
                let changes = if self.config.layout.is_3x() {
                    vec![crate::ddl::TableChange {
                        kind: "DROP",
                        id: id.clone(),
                        table: None,
                        previous_id: None,
                    }]
                } else {
                    Vec::new()
                };
                let tables = vec![id.table.clone()];
                self.record_schema_change(&id.db, statement, changes, tables, source, offset)
                    .await?;
            }
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
        // A statement the parser understood nothing of is a database event: Debezium's
        // `databaseEvent` sets the source's table ids to `{null}`, which its `table()` joins to "".
        let tables: Vec<String> = if effect.unrecognised {
            vec![String::new()]
        } else {
            changes.iter().map(|c| c.id.table.clone()).collect()
        };
        if effect.truncated.is_empty() {
            self.record_schema_change(&db, ddl, changes, tables, source, offset)
                .await?;
        } else if !self.config.layout.is_3x() {
            // A TRUNCATE: 2.2 dispatches it as a schema change too (history, no topic record);
            // 3.x only as the truncate event (BinlogStreamingChangeEventSource.handleQueryEvent).
            self.record_history(&db, ddl, changes, offset).await?;
        }
        Ok(Some(effect))
    }

    /// Writes one history record.
    async fn record_history(
        &mut self,
        db: &str,
        ddl: &str,
        changes: Vec<crate::ddl::TableChange>,
        offset: &BinlogOffset,
    ) -> Result<i64> {
        let ts_ms = now_ms();
        let record = HistoryRecord {
            server: self.config.topic_prefix.clone(),
            position: offset.clone(),
            ts_ms,
            database_name: db.to_owned(),
            ddl: ddl.to_owned(),
            changes,
            layout: self.config.layout,
            flavor: self.flavor,
        };
        self.history.record(std::slice::from_ref(&record)).await?;
        self.history_high = Some(offset.position_key());
        Ok(ts_ms)
    }

    /// Writes one history record and, when `include.schema.changes` is on, queues the schema
    /// change event of the same statement (`tables` names the source block's `table`).
    async fn record_schema_change(
        &mut self,
        db: &str,
        ddl: &str,
        changes: Vec<crate::ddl::TableChange>,
        tables: Vec<String>,
        source: &SourceInfo,
        offset: &BinlogOffset,
    ) -> Result<()> {
        let table_changes = changes.clone();
        let ts_ms = self.record_history(db, ddl, changes, offset).await?;
        // 2.2 publishes no event for the snapshot's `SET character_set_server=…` (no database);
        // 3.6 does, with databaseName "".
        if !self.config.include_schema_changes || db.is_empty() && !self.config.layout.is_3x() {
            return Ok(());
        }
        let schemas = SchemaChangeSchemas::get(self.flavor, self.config.layout);
        let mut src = source.clone();
        src.db = db.to_owned();
        src.table = (!tables.is_empty()).then(|| tables.join(","));
        let table_changes = table_changes
            .iter()
            .map(|c| schemas.change(c.kind, &c.id, c.table.as_ref()))
            .collect();
        let value = schemas.value(
            src.to_struct(self.flavor, self.config.layout, &self.config.topic_prefix),
            ts_ms,
            db,
            ddl,
            table_changes,
        );
        let mut rec = SourceRecord::new(
            self.partition.clone(),
            self.record_offset(offset, source.snapshot.is_some()),
            self.config.topic_prefix.clone(),
            SchemaAndValue::new(Some(schemas.key.clone()), schemas.key_value(db)),
            SchemaAndValue::new(Some(schemas.value.clone()), value),
        );
        rec.kafka_partition = Some(0);
        rec.headers.clone_from(&self.context_headers);
        self.push(rec).await
    }

    /// Rebuilds the tracked tables from the history store, replaying only DDL at or before
    /// `upto` (the offset streaming resumes from): DDL recorded after it is read again from the
    /// binlog, after the rows that precede it.
    ///
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
            .map(GtidSet::parse)
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
                .map(GtidSet::parse)
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
