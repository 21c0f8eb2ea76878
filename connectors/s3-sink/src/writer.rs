//! One Kafka partition's writer: Confluent's rotation state machine (reference §4.1), plus the
//! replay plan that makes recovery exactly-once even when boundaries were not deterministic.
//!
//! Writing a record only changes memory; S3 I/O happens in [`PartitionWriter::drive`], which can
//! be called again after a failure and resumes where it stopped. That split is what lets a
//! retriable `put` be redelivered without losing or doubling a record.
//!
//! A rotated file is completed on a background tokio task (at most [`MAX_IN_FLIGHT`] per
//! partition) so that consumption goes on while its last part or single `PUT` travels. The file
//! moves into that task and comes back with the outcome: a failed one returns to the queue with
//! its retry state, so nothing about the retry rules changes, and until it has come back as
//! complete its start offset holds the committable offset back.

mod recovery;
mod upload;

use std::collections::BTreeMap;
use std::sync::Arc;

use connect_api::{SchemaRef, SinkRecord, TopicPartition};
use object_store::path::Path;

use crate::config::{FormatKind, NullBehavior, S3SinkConfig, SchemaCompatibility};
use crate::error::S3SinkError;
use crate::format::{RecordEncoder, View};
use crate::partitioner::{base_key, encode_partition, extract_timestamp};
use crate::store::SinkStore;
use crate::timefmt::next_scheduled_rotation;

/// Rotated files of one partition being completed in the background at once. Two keep the
/// consumer busy while one object travels; more would only hold more memory.
const MAX_IN_FLIGHT: usize = 2;

pub(crate) use recovery::{Planned, recover};
use upload::ObjectUpload;

/// What every writer of a task shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) cfg: Arc<S3SinkConfig>,
    pub(crate) store: Arc<dyn SinkStore>,
    pub(crate) encoder: RecordEncoder,
    /// The views each file set has, with their format and full suffix (`.keys.json.gz`).
    pub(crate) views: Vec<(View, FormatKind, String)>,
    /// Objects completed by this task's writers (`GET /metrics`).
    pub(crate) objects_written: Arc<std::sync::atomic::AtomicU64>,
}

impl Shared {
    pub(crate) fn new(cfg: Arc<S3SinkConfig>, store: Arc<dyn SinkStore>) -> Self {
        let mut views = vec![(View::Value, cfg.format, cfg.extension(cfg.format))];
        if cfg.store_keys {
            views.push((
                View::Keys,
                cfg.keys_format,
                format!(".keys{}", cfg.extension(cfg.keys_format)),
            ));
        }
        if cfg.store_headers {
            views.push((
                View::Headers,
                cfg.headers_format,
                format!(".headers{}", cfg.extension(cfg.headers_format)),
            ));
        }
        Self {
            objects_written: Arc::default(),
            encoder: RecordEncoder::new(&cfg),
            cfg,
            store,
            views,
        }
    }
}

/// The files of one encoded partition since the last rotation (one object per view).
#[derive(Debug)]
struct OpenFile {
    encoded: String,
    start: i64,
    last: i64,
    records: u64,
    schema: Option<SchemaRef>,
    uploads: Vec<ObjectUpload>,
    /// On replay: the record count of the object that already holds this file.
    target: Option<u64>,
}

impl OpenFile {
    /// Uploads what is left and completes every object of the file set. Each step is retried
    /// from where it stopped when called again.
    async fn finish(&mut self, store: &dyn SinkStore, part_size: usize) -> Result<(), S3SinkError> {
        let records = self.records;
        for upload in &mut self.uploads {
            if upload.has_full_part(part_size) {
                upload.upload_full_parts(store, part_size).await?;
            }
            upload.complete(store, records).await?;
        }
        Ok(())
    }

    fn buffered(&self) -> usize {
        self.uploads.iter().map(ObjectUpload::buffered).sum()
    }
}

/// A rotated file being completed on a background task; the task hands the file back.
#[derive(Debug)]
struct InFlight {
    start: i64,
    /// What the file held in memory when it left (counted until it comes back).
    bytes: usize,
    handle: tokio::task::JoinHandle<(OpenFile, Result<(), S3SinkError>)>,
}

/// One assigned Kafka partition.
#[derive(Debug)]
pub(crate) struct PartitionWriter {
    tp: TopicPartition,
    open: Vec<OpenFile>,
    /// Rotated files waiting to be completed (in start-offset order), or whose completion failed
    /// and will be retried.
    closing: Vec<OpenFile>,
    /// Rotated files being completed in the background.
    in_flight: Vec<InFlight>,
    /// Set when a background completion was lost (its task panicked): the records of that file
    /// are gone from memory, so nothing may be committed past it again.
    poisoned: bool,
    /// Offset ranges of files completed since the last reported offset.
    completed: Vec<(i64, i64)>,
    /// Records in the current file set (`recordCount`).
    count: u64,
    base_ts: Option<i64>,
    current_ts: Option<i64>,
    current_encoded: Option<String>,
    next_scheduled: Option<i64>,
    /// Highest offset processed (written or deliberately skipped).
    last_seen: Option<i64>,
    /// The offset last returned from `pre_commit`, or the committed offset at `open`.
    reported: Option<i64>,
    plan: BTreeMap<i64, Planned>,
    /// The task's count of completed objects (shared with [`Shared`]).
    objects_written: Arc<std::sync::atomic::AtomicU64>,
}

impl PartitionWriter {
    pub(crate) fn new(
        sh: &Shared,
        tp: TopicPartition,
        committed: Option<i64>,
        plan: BTreeMap<i64, Planned>,
        now: i64,
    ) -> Self {
        let next_scheduled = sh
            .cfg
            .rotate_schedule_interval_ms
            .zip(sh.cfg.timezone.as_ref())
            .map(|(iv, zone)| next_scheduled_rotation(now, iv, zone));
        Self {
            tp,
            open: Vec::new(),
            closing: Vec::new(),
            in_flight: Vec::new(),
            poisoned: false,
            completed: Vec::new(),
            count: 0,
            base_ts: None,
            current_ts: None,
            current_encoded: None,
            next_scheduled,
            last_seen: committed.map(|c| c - 1),
            reported: committed,
            plan,
            objects_written: Arc::clone(&sh.objects_written),
        }
    }

    /// Takes one record (in offset order). Changes memory only; see [`Self::drive`].
    ///
    /// # Errors
    /// Data errors (fatal); on error nothing about the record was kept.
    pub(crate) fn write(
        &mut self,
        sh: &Shared,
        record: &SinkRecord,
        now: i64,
    ) -> Result<(), S3SinkError> {
        let offset = record.kafka_offset;
        if self.last_seen.is_some_and(|last| offset <= last) {
            // Redelivered after a retriable failure, or replayed below the committed offset.
            return Ok(());
        }
        if self.reported.is_none() {
            // Nothing committed yet: consumption started here, so there is nothing to report
            // until a record at or after this offset is durable.
            self.reported = Some(offset);
        }
        self.drop_stale_plan(offset);
        if record.value.value.is_null() {
            match sh.cfg.null_values {
                NullBehavior::Fail => {
                    return Err(S3SinkError::NullValue {
                        topic: record.topic.clone(),
                        partition: record.kafka_partition,
                        offset,
                    });
                }
                NullBehavior::Ignore => {
                    self.last_seen = Some(offset);
                    return Ok(());
                }
                NullBehavior::Write => {}
            }
        }
        let cfg = &sh.cfg;
        let tombstone = record.value.value.is_null();
        let ts = match (cfg.is_time_based(), tombstone) {
            (false, _) => None,
            // `TombstoneTimestampExtractor`: tombstones always use the record time.
            (true, true) => Some(record.timestamp.unwrap_or(now)),
            (true, false) => Some(extract_timestamp(cfg, record, now)?),
        };
        let encoded = if tombstone {
            cfg.tombstone_partition.clone()
        } else {
            encode_partition(cfg, record, ts)?
        };

        // Encode first, so that a record the format rejects leaves no trace.
        let mut lines: Vec<Vec<u8>> = Vec::with_capacity(sh.views.len());
        for (view, format, _) in &sh.views {
            let mut line = Vec::new();
            if !(tombstone && *view == View::Value) {
                sh.encoder.encode(&mut line, *format, *view, record)?;
            }
            lines.push(line);
        }

        let schema = record.value.schema.clone();
        let count = self.count;
        let schema_rotation = self
            .open
            .iter()
            .find(|f| f.encoded == encoded)
            .is_some_and(|f| {
                let switch = f.schema.is_none() != schema.is_none();
                switch
                    || (count > 0
                        && schema_changed(
                            cfg.schema_compatibility,
                            f.schema.as_ref(),
                            schema.as_ref(),
                        ))
            });
        if schema_rotation {
            self.rotate();
        }
        if self.rotate_on_time(sh, &encoded, ts, now) {
            self.set_next_scheduled(sh, now);
            self.rotate();
        }

        if self.plan.contains_key(&offset)
            && let Some(i) = self
                .open
                .iter()
                .position(|f| f.encoded == encoded && f.target.is_none())
        {
            // A previous incarnation started an object here, so its file for this partition
            // ended just before. Rotated files complete in the background, two at a time, so a
            // crash can leave a later file in the bucket and an earlier one not: the replay's
            // file for the gap must end here too, or it would repeat the object's records.
            let done = self.open.remove(i);
            self.closing.push(done);
            if self.open.is_empty() {
                self.reset_set();
            }
        }
        let idx = match self.open.iter().position(|f| f.encoded == encoded) {
            Some(i) => i,
            None => {
                let file = self.new_file(sh, &encoded, offset)?;
                self.open.push(file);
                self.open.len() - 1
            }
        };
        let file = &mut self.open[idx];
        for (upload, line) in file.uploads.iter_mut().zip(&lines) {
            upload.append(line)?;
        }
        file.records += 1;
        file.last = offset;
        file.schema = schema;
        let reached_target = file.target == Some(file.records);

        self.count += 1;
        self.current_encoded = Some(encoded);
        self.current_ts = ts;
        if self.base_ts.is_none() {
            self.base_ts = ts;
        }
        self.last_seen = Some(offset);

        if reached_target {
            // The object holding this file already exists with exactly these records.
            let done = self.open.remove(idx);
            self.closing.push(done);
            if self.open.is_empty() {
                self.reset_set();
            }
        }
        if self.count >= cfg.flush_size {
            self.rotate();
        }
        Ok(())
    }

    /// Time-driven rotation without a new record (Confluent's check when its buffer is empty),
    /// called on every `put` and `pre_commit`.
    pub(crate) fn tick(&mut self, sh: &Shared, now: i64) {
        if self.count == 0 {
            // A schedule that passed while idle restarts from now (Confluent issue #359).
            if self.next_scheduled.is_some_and(|n| now >= n) {
                self.set_next_scheduled(sh, now);
            }
            return;
        }
        let encoded = self.current_encoded.clone().unwrap_or_default();
        if self.rotate_on_time(sh, &encoded, self.current_ts, now) {
            self.set_next_scheduled(sh, now);
            self.rotate();
        }
    }

    fn rotate_on_time(&self, sh: &Shared, encoded: &str, ts: Option<i64>, now: i64) -> bool {
        if self.count == 0 {
            return false;
        }
        let cfg = &sh.cfg;
        let periodic = cfg.rotate_interval_ms.is_some_and(|iv| {
            cfg.is_time_based()
                && (matches!((self.base_ts, ts), (Some(b), Some(t)) if t - b >= iv)
                    || (cfg.rotate_file_on_partition_change
                        && self.current_encoded.as_deref() != Some(encoded)))
        });
        let scheduled = self.next_scheduled.is_some_and(|n| now >= n);
        periodic || scheduled
    }

    fn set_next_scheduled(&mut self, sh: &Shared, now: i64) {
        if let (Some(iv), Some(zone)) = (sh.cfg.rotate_schedule_interval_ms, &sh.cfg.timezone) {
            self.next_scheduled = Some(next_scheduled_rotation(now, iv, zone));
        }
    }

    /// Rotation (`commitFiles`): every open file of the partition is closed at once. Files a
    /// replay must reproduce exactly stay open until they hold their recorded count.
    pub(crate) fn rotate(&mut self) {
        let (keep, close): (Vec<_>, Vec<_>) = std::mem::take(&mut self.open)
            .into_iter()
            .partition(|f| f.target.is_some());
        self.closing.extend(close);
        self.open = keep;
        self.reset_set();
    }

    fn reset_set(&mut self) {
        self.count = 0;
        self.base_ts = None;
    }

    fn new_file(
        &mut self,
        sh: &Shared,
        encoded: &str,
        offset: i64,
    ) -> Result<OpenFile, S3SinkError> {
        let cfg = &sh.cfg;
        let base = base_key(cfg, &self.tp.topic, self.tp.partition, encoded, offset);
        let planned = self.plan.remove(&offset);
        if let Some(p) = &planned
            && p.base != base
        {
            return Err(S3SinkError::Conflict(format!(
                "replay of {} at offset {offset} would write {base}, but {} already starts there; \
                 the partitioner configuration or the data changed",
                self.tp, p.base
            )));
        }
        let mut uploads = Vec::with_capacity(sh.views.len());
        for (i, (_, _, suffix)) in sh.views.iter().enumerate() {
            let key_text = format!("{base}{suffix}");
            let key = Path::parse(&key_text).map_err(|e| {
                S3SinkError::Data(format!("{key_text} is not a valid object key: {e}"))
            })?;
            let exists = planned
                .as_ref()
                .is_some_and(|p| p.existing.get(i).copied().unwrap_or(false));
            // A tombstone file set has no value object (reference §3.5).
            let tombstones = cfg.null_values == NullBehavior::Write
                && encoded == cfg.tombstone_partition
                && sh.views[i].0 == View::Value;
            let exists = exists || tombstones;
            uploads.push(if exists {
                ObjectUpload::existing(key)
            } else {
                ObjectUpload::new(key, cfg.compression, cfg.compression_level)
            });
        }
        Ok(OpenFile {
            encoded: encoded.to_owned(),
            start: offset,
            last: offset,
            records: 0,
            schema: None,
            uploads,
            target: planned.map(|p| p.records),
        })
    }

    /// Plan entries before `offset` can no longer be matched (their first record is gone).
    fn drop_stale_plan(&mut self, offset: i64) {
        if self
            .plan
            .first_key_value()
            .is_some_and(|(s, _)| *s < offset)
        {
            let keep = self.plan.split_off(&offset);
            for (start, p) in std::mem::replace(&mut self.plan, keep) {
                tracing::warn!(partition = %self.tp, start, key = %p.base, "an existing object's first record was not redelivered; its records may be written again");
            }
        }
    }

    /// Performs pending S3 work without waiting for it: full parts of open files inline, then
    /// collects finished background completions and starts the next ones. When more files are
    /// waiting than may be in flight, waits for the oldest completions (back-pressure).
    ///
    /// # Errors
    /// The first store failure; calling again resumes from there.
    pub(crate) async fn drive(&mut self, sh: &Shared) -> Result<(), S3SinkError> {
        let store = sh.store.as_ref();
        let part_size = sh.cfg.part_size;
        for file in &mut self.open {
            for upload in &mut file.uploads {
                if upload.has_full_part(part_size) {
                    upload.upload_full_parts(store, part_size).await?;
                }
            }
        }
        self.collect(false).await?;
        self.launch(sh, MAX_IN_FLIGHT);
        while !self.closing.is_empty() {
            self.collect_oldest().await?;
            self.launch(sh, MAX_IN_FLIGHT);
        }
        Ok(())
    }

    /// Completes every rotated file before returning (commits, memory pressure, close).
    ///
    /// # Errors
    /// The first store failure; the failed files stay queued for the next call.
    pub(crate) async fn settle(&mut self, sh: &Shared) -> Result<(), S3SinkError> {
        self.drive(sh).await?;
        self.launch(sh, usize::MAX);
        self.collect(true).await
    }

    /// Starts background completions for queued files, oldest first, up to `limit` in flight.
    fn launch(&mut self, sh: &Shared, limit: usize) {
        while self.in_flight.len() < limit && !self.closing.is_empty() {
            let mut file = self.closing.remove(0);
            let store = Arc::clone(&sh.store);
            let part_size = sh.cfg.part_size;
            let start = file.start;
            let bytes = file.buffered();
            let handle = tokio::spawn(async move {
                let result = file.finish(store.as_ref(), part_size).await;
                (file, result)
            });
            self.in_flight.push(InFlight {
                start,
                bytes,
                handle,
            });
        }
    }

    /// Takes back finished completions (all of them, waiting, when `wait`).
    async fn collect(&mut self, wait: bool) -> Result<(), S3SinkError> {
        let mut first_error = None;
        let mut i = 0;
        while i < self.in_flight.len() {
            if !wait && !self.in_flight[i].handle.is_finished() {
                i += 1;
                continue;
            }
            if let Err(e) = self.take_back(i).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn collect_oldest(&mut self) -> Result<(), S3SinkError> {
        let Some(i) = self
            .in_flight
            .iter()
            .enumerate()
            .min_by_key(|(_, f)| f.start)
            .map(|(i, _)| i)
        else {
            return Ok(());
        };
        self.take_back(i).await
    }

    /// Waits for the completion at `i` and takes its file back. Cancel-safe: the entry leaves
    /// `in_flight` only once its outcome is in hand, so a dropped call forgets no file.
    async fn take_back(&mut self, i: usize) -> Result<(), S3SinkError> {
        let joined = (&mut self.in_flight[i].handle).await;
        let done = self.in_flight.remove(i);
        match joined {
            Ok((file, Ok(()))) => {
                tracing::debug!(partition = %self.tp, start = file.start, last = file.last, records = file.records, "file committed");
                self.completed.push((file.start, file.last));
                let objects = u64::try_from(file.uploads.len()).unwrap_or(u64::MAX);
                self.objects_written
                    .fetch_add(objects, std::sync::atomic::Ordering::Relaxed);
                Ok(())
            }
            Ok((file, Err(e))) => {
                // Back in the queue, in offset order, with its retry state.
                let at = self.closing.partition_point(|f| f.start < file.start);
                self.closing.insert(at, file);
                Err(e)
            }
            Err(e) => {
                self.poisoned = true;
                Err(S3SinkError::Upload(format!(
                    "completing the file of {} at offset {} ended abnormally: {e}",
                    self.tp, done.start
                )))
            }
        }
    }

    /// Files being written (one per encoded partition and view).
    pub(crate) fn open_files(&self) -> usize {
        self.open.iter().map(|f| f.uploads.len()).sum()
    }

    /// Bytes this partition holds in memory.
    pub(crate) fn buffered(&self) -> usize {
        self.open
            .iter()
            .chain(&self.closing)
            .map(OpenFile::buffered)
            .sum::<usize>()
            + self.in_flight.iter().map(|f| f.bytes).sum::<usize>()
    }

    /// Under memory pressure: send the biggest buffer as an early part if S3 allows it, else
    /// rotate. Returns false when nothing can be freed here.
    pub(crate) fn relieve(&mut self) -> bool {
        let biggest = self
            .open
            .iter_mut()
            .flat_map(|f| f.uploads.iter_mut())
            .filter(|u| u.is_writing())
            .max_by_key(|u| u.pending_out());
        if let Some(u) = biggest
            && u.pending_out() >= crate::config::MIN_PART_SIZE
        {
            u.flush_early = true;
            return true;
        }
        if self.open.iter().any(|f| f.target.is_none()) {
            self.rotate();
            return true;
        }
        false
    }

    /// The offset up to which every record is in a complete object, and no complete object holds
    /// a record at or after it (so a restart there replays whole files only).
    pub(crate) fn committable(&self) -> Option<i64> {
        if self.poisoned {
            return None;
        }
        let pending = self.open.iter().chain(&self.closing).map(|f| f.start);
        let mut cut = match pending.chain(self.in_flight.iter().map(|f| f.start)).min() {
            Some(s) => s,
            None => self.last_seen? + 1,
        };
        loop {
            let straddling = self
                .completed
                .iter()
                .filter(|(s, l)| *s < cut && cut <= *l)
                .map(|(s, _)| *s)
                .min();
            match straddling {
                Some(s) => cut = s,
                None => return Some(cut),
            }
        }
    }

    /// The offset to hand to the runtime, if it moved since the last one.
    pub(crate) fn take_commit(&mut self) -> Option<i64> {
        let cut = self.committable()?;
        if self.reported.is_some_and(|r| cut <= r) {
            return None;
        }
        self.reported = Some(cut);
        self.completed.retain(|(_, l)| *l >= cut);
        Some(cut)
    }

    /// Drops unfinished uploads (a rebalance or stop): their records will be consumed again.
    /// Background completions are waited for, not cancelled: a request already sent may still
    /// create its object, and the next owner's recovery must see it when it lists the bucket.
    pub(crate) async fn abort(&mut self, sh: &Shared) {
        if let Err(e) = self.collect(true).await {
            tracing::debug!(partition = %self.tp, error = %e, "an upload failed while closing; its records will be consumed again");
        }
        for file in self.open.iter_mut().chain(self.closing.iter_mut()) {
            for upload in &mut file.uploads {
                upload.abort(sh.store.as_ref()).await;
            }
        }
        self.open.clear();
        self.closing.clear();
    }
}

impl Drop for PartitionWriter {
    /// A writer dropped without [`PartitionWriter::abort`] (its task was dropped mid-call, as
    /// in a crash) stops its background completions: a detached one could create an object
    /// after the partition's next owner has listed the bucket for recovery.
    fn drop(&mut self) {
        for f in &self.in_flight {
            f.handle.abort();
        }
    }
}

fn schema_changed(
    compat: SchemaCompatibility,
    current: Option<&SchemaRef>,
    new: Option<&SchemaRef>,
) -> bool {
    match (current, new) {
        (Some(c), Some(n)) => match compat {
            SchemaCompatibility::None => c != n,
            SchemaCompatibility::Backward | SchemaCompatibility::Full => n.version > c.version,
            SchemaCompatibility::Forward => n.version < c.version,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ObjectStoreBackend;
    use connect_api::{ConnectorConfig, Props};

    fn shared() -> Shared {
        let p: Props = [
            ("topics", "t"),
            ("format.class", crate::config::FORMAT_JSON),
            ("storage.class", crate::config::STORAGE_S3),
            ("flush.size", "3"),
            ("s3.bucket.name", "b"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let store = Arc::new(ObjectStoreBackend::new(Arc::new(
            object_store::memory::InMemory::new(),
        )));
        Shared::new(Arc::new(S3SinkConfig::parse(&p).unwrap()), store)
    }

    #[test]
    fn commit_offsets_never_cut_through_a_complete_file() {
        let sh = shared();
        let mut w = PartitionWriter::new(
            &sh,
            TopicPartition::new("t", 0),
            Some(0),
            BTreeMap::new(),
            0,
        );
        // A replayed file (0..=8) completed while a file started at 7 is still open: committing
        // 7 would make a restart rewrite record 8, so nothing past 0 is safe.
        w.completed = vec![(0, 8), (1, 1)];
        let open = w.new_file(&sh, "partition=0", 7).unwrap();
        w.open.push(open);
        w.last_seen = Some(9);
        assert_eq!(w.committable(), Some(0));
        assert_eq!(w.take_commit(), None, "0 is already committed");
        // Once the open file is complete too, everything seen is committable.
        w.open.clear();
        w.completed.push((7, 9));
        assert_eq!(w.take_commit(), Some(10));
        assert!(
            w.completed.is_empty(),
            "ranges below the commit are forgotten"
        );
    }

    #[test]
    fn redelivered_and_replayed_records_are_skipped_by_offset() {
        let sh = shared();
        let mut w = PartitionWriter::new(
            &sh,
            TopicPartition::new("t", 0),
            Some(5),
            BTreeMap::new(),
            0,
        );
        for o in [3, 4, 5, 6, 5, 6, 7] {
            w.write(&sh, &value_record(o), 0).unwrap();
        }
        // 5, 6, 7 once each: flush.size 3 rotated exactly one file.
        assert_eq!(w.closing.len(), 1);
        assert_eq!(
            (w.closing[0].start, w.closing[0].last, w.closing[0].records),
            (5, 7, 3)
        );
    }

    fn value_record(o: i64) -> SinkRecord {
        SinkRecord {
            topic: "t".into(),
            kafka_partition: 0,
            kafka_offset: o,
            key: connect_api::SchemaAndValue::NULL,
            value: connect_api::SchemaAndValue::schemaless(connect_api::Value::Int64(o)),
            timestamp: None,
            timestamp_type: connect_api::TimestampType::NoTimestampType,
            headers: Default::default(),
            raw_key: None,
            raw_value: None,
        }
    }

    #[test]
    fn a_replay_ends_its_file_where_a_later_uncommitted_object_starts() {
        // Two rotated files were completing in the background when the worker died: the later
        // one (2..=3) is in the bucket, the earlier one (0..=1) is not, and the commit is 0.
        // The replay must write 0..=1 as a file of its own and leave 2..=3 to the existing
        // object; appending 2 to the open file would write records 2 and 3 twice.
        let sh = shared();
        let base = base_key(&sh.cfg, "t", 0, "partition=0", 2);
        let plan = BTreeMap::from([(
            2,
            Planned {
                base,
                records: 2,
                existing: vec![true],
            },
        )]);
        let mut w = PartitionWriter::new(&sh, TopicPartition::new("t", 0), Some(0), plan, 0);
        for o in 0..=4 {
            w.write(&sh, &value_record(o), 0).unwrap();
        }
        let files: Vec<(i64, i64, u64, Option<u64>)> = w
            .closing
            .iter()
            .chain(&w.open)
            .map(|f| (f.start, f.last, f.records, f.target))
            .collect();
        assert_eq!(
            files,
            [(0, 1, 2, None), (2, 3, 2, Some(2)), (4, 4, 1, None)],
            "the gap's file, the existing object, then the normal rules"
        );
    }
}
