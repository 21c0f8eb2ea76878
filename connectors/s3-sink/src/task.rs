//! `S3SinkTask`: routes records to per-partition writers, keeps memory under the cap, and reports
//! only offsets whose records are in complete objects.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use connect_api::{
    AssignedPartition, ConnectError, OffsetMap, SinkRecord, SinkTask, SinkTaskContext,
    SinkTaskHost, TopicPartition,
};

use crate::config::S3SinkConfig;
use crate::error::S3SinkError;
use crate::metrics::{CountingStore, SinkMetrics};
use crate::store::{Clock, SinkStore, SystemClock, build_s3};
use crate::writer::{PartitionWriter, Shared, recover};

/// The sink task.
#[derive(Debug)]
pub struct S3SinkTask {
    shared: Shared,
    clock: Arc<dyn Clock>,
    writers: BTreeMap<TopicPartition, PartitionWriter>,
    /// Bytes held by all writers' buffers (kept up to date incrementally).
    buffered: usize,
    /// Set when started by the runtime: told how long to wait after a retriable failure.
    host: Option<Arc<dyn SinkTaskHost>>,
    /// Set when started by the runtime: the store's counters and the series' labels.
    metrics: Option<SinkMetrics>,
}

impl S3SinkTask {
    /// A task over an explicit store and clock: the seam tests use to inject an in-memory or
    /// failing store and a manual clock.
    pub fn from_parts(
        config: S3SinkConfig,
        store: Arc<dyn SinkStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            shared: Shared::new(Arc::new(config), store),
            clock,
            writers: BTreeMap::new(),
            buffered: 0,
            host: None,
            metrics: None,
        }
    }

    fn cap(&self) -> usize {
        usize::try_from(self.shared.cfg.max_buffered_bytes).unwrap_or(usize::MAX)
    }

    /// Retries whatever S3 work an earlier call left unfinished and collects finished
    /// background completions; with `settle`, waits until every rotated file is complete.
    async fn drive_all(&mut self, settle: bool) -> Result<(), S3SinkError> {
        let sh = &self.shared;
        let mut result = Ok(());
        for w in self.writers.values_mut() {
            let r = if settle {
                w.settle(sh).await
            } else {
                w.drive(sh).await
            };
            if let Err(e) = r {
                result = Err(e);
                break;
            }
        }
        self.buffered = self.writers.values().map(PartitionWriter::buffered).sum();
        result
    }

    /// Frees memory until the task is under its cap: early parts where S3 allows them, otherwise
    /// early rotation of the partition holding the most.
    async fn relieve_memory(&mut self) -> Result<(), S3SinkError> {
        let cap = self.cap();
        let mut tried = Vec::new();
        while self.buffered > cap {
            let Some(tp) = self
                .writers
                .iter()
                .filter(|(tp, _)| !tried.contains(*tp))
                .max_by_key(|(_, w)| w.buffered())
                .map(|(tp, _)| tp.clone())
            else {
                break;
            };
            let sh = &self.shared;
            let Some(w) = self.writers.get_mut(&tp) else {
                break;
            };
            let before = w.buffered();
            if w.relieve() {
                tracing::info!(partition = %tp, buffered = before, cap, "memory cap reached; flushing early");
                // Wait for the uploads: memory is only free once they are done.
                let result = w.settle(sh).await;
                self.buffered = (self.buffered + w.buffered()).saturating_sub(before);
                result?;
            }
            tried.push(tp);
        }
        Ok(())
    }

    async fn put_records(&mut self, records: &[SinkRecord]) -> Result<(), S3SinkError> {
        let now = self.clock.now_millis();
        self.drive_all(false).await?;
        let cap = self.cap();
        for record in records {
            let tp = TopicPartition::new(record.topic.clone(), record.kafka_partition);
            let sh = &self.shared;
            let w = self.writers.entry(tp).or_insert_with_key(|tp| {
                PartitionWriter::new(sh, tp.clone(), None, BTreeMap::new(), now)
            });
            let before = w.buffered();
            w.write(sh, record, now)?;
            let result = w.drive(sh).await;
            self.buffered = (self.buffered + w.buffered()).saturating_sub(before);
            result?;
            if self.buffered > cap {
                self.relieve_memory().await?;
            }
        }
        self.tick(now).await
    }

    async fn tick(&mut self, now: i64) -> Result<(), S3SinkError> {
        let sh = &self.shared;
        for w in self.writers.values_mut() {
            w.tick(sh, now);
        }
        self.drive_all(false).await
    }
}

impl SinkTask for S3SinkTask {
    type Config = S3SinkConfig;

    async fn start(ctx: SinkTaskContext, config: S3SinkConfig) -> Result<Self, ConnectError> {
        if config.rotate_interval_ms.is_some() && !config.is_time_based() {
            tracing::warn!(
                "rotate.interval.ms is only honoured with a time-based partitioner; ignoring it"
            );
        }
        let (store, counters) = CountingStore::wrap(build_s3(&config)?);
        let mut task = Self::from_parts(config, store, Arc::new(SystemClock));
        task.host = Some(ctx.host);
        task.metrics = Some(SinkMetrics {
            counters,
            objects: Arc::clone(&task.shared.objects_written),
            connector: ctx.connector,
            task: ctx.task.to_string(),
        });
        Ok(task)
    }

    async fn open(&mut self, partitions: &[AssignedPartition]) -> Result<(), ConnectError> {
        let now = self.clock.now_millis();
        for p in partitions {
            let plan = recover(&self.shared, &p.partition, p.committed).await?;
            let w = PartitionWriter::new(&self.shared, p.partition.clone(), p.committed, plan, now);
            if let Some(mut old) = self.writers.insert(p.partition.clone(), w) {
                old.abort(&self.shared).await;
            }
        }
        self.buffered = self.writers.values().map(PartitionWriter::buffered).sum();
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError> {
        let result = self.put_records(records).await.map_err(ConnectError::from);
        if let (Some(m), Some(host)) = (&self.metrics, &self.host) {
            let open = self.writers.values().map(PartitionWriter::open_files).sum();
            m.report(
                host.as_ref(),
                open,
                self.buffered,
                self.shared.cfg.max_buffered_bytes,
            );
        }
        if let (Err(e), Some(host)) = (&result, &self.host)
            && e.is_retriable()
        {
            host.set_retry_timeout(Duration::from_millis(
                self.shared.cfg.connector_retry_backoff_ms,
            ));
        }
        result
    }

    async fn pre_commit(&mut self, _current: &OffsetMap) -> Result<OffsetMap, ConnectError> {
        let now = self.clock.now_millis();
        self.tick(now).await?;
        // Commits are rare (offset.flush.interval.ms): wait for the uploads in flight so the
        // offset reported covers every file rotated so far.
        self.drive_all(true).await?;
        Ok(self
            .writers
            .iter_mut()
            .filter_map(|(tp, w)| w.take_commit().map(|o| (tp.clone(), o)))
            .collect())
    }

    async fn close(&mut self, partitions: &[TopicPartition]) -> Result<(), ConnectError> {
        for tp in partitions {
            if let Some(mut w) = self.writers.remove(tp) {
                w.abort(&self.shared).await;
            }
        }
        self.buffered = self.writers.values().map(PartitionWriter::buffered).sum();
        Ok(())
    }

    async fn stop(&mut self) -> Result<(), ConnectError> {
        for (_, mut w) in std::mem::take(&mut self.writers) {
            w.abort(&self.shared).await;
        }
        self.buffered = 0;
        Ok(())
    }
}
