//! The sink's own series for `GET /metrics` (the Confluent S3 sink has no MBeans of its own, so
//! these are Sluice's names): objects written, bytes uploaded, open files, and buffered bytes
//! against `sluice.max.buffered.bytes`, reported through `TaskHost::report_metric` once per
//! `put`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use connect_api::SinkTaskHost;
use object_store::MultipartId;
use object_store::multipart::PartId;
use object_store::path::Path;

use crate::error::S3SinkError;
use crate::store::{Created, SinkStore};

/// Bytes the store accepted.
#[derive(Debug, Default)]
pub(crate) struct StoreCounters {
    bytes: AtomicU64,
}

/// A store that counts the bytes of every body or part it sent. A create-only `PUT` counts even
/// when it answers "already exists": a retried request finds its own object that way (and some
/// S3 servers answer so after storing it). Objects are counted by the writers, when a file set
/// is complete.
#[derive(Debug)]
pub(crate) struct CountingStore {
    inner: Arc<dyn SinkStore>,
    counters: Arc<StoreCounters>,
}

impl CountingStore {
    pub(crate) fn wrap(inner: Arc<dyn SinkStore>) -> (Arc<dyn SinkStore>, Arc<StoreCounters>) {
        let counters = Arc::new(StoreCounters::default());
        let store = Arc::new(Self {
            inner,
            counters: Arc::clone(&counters),
        });
        (store, counters)
    }

    fn add_bytes(&self, n: usize) {
        self.counters
            .bytes
            .fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

#[async_trait]
impl SinkStore for CountingStore {
    async fn put_new(
        &self,
        key: &Path,
        data: Bytes,
        metadata: &[(&'static str, String)],
    ) -> Result<Created, S3SinkError> {
        let len = data.len();
        let created = self.inner.put_new(key, data, metadata).await?;
        self.add_bytes(len);
        Ok(created)
    }
    async fn create_multipart(&self, key: &Path) -> Result<MultipartId, S3SinkError> {
        self.inner.create_multipart(key).await
    }
    async fn put_part(
        &self,
        key: &Path,
        id: &MultipartId,
        idx: usize,
        data: Bytes,
    ) -> Result<PartId, S3SinkError> {
        let len = data.len();
        let part = self.inner.put_part(key, id, idx, data).await?;
        self.add_bytes(len);
        Ok(part)
    }
    async fn complete_multipart(
        &self,
        key: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<(), S3SinkError> {
        self.inner.complete_multipart(key, id, parts).await
    }
    async fn abort_multipart(&self, key: &Path, id: &MultipartId) -> Result<(), S3SinkError> {
        self.inner.abort_multipart(key, id).await
    }
    async fn exists(&self, key: &Path) -> Result<bool, S3SinkError> {
        self.inner.exists(key).await
    }
    async fn list(&self, prefix: Option<&Path>) -> Result<Vec<Path>, S3SinkError> {
        self.inner.list(prefix).await
    }
    async fn list_after(
        &self,
        prefix: Option<&Path>,
        after: &Path,
    ) -> Result<Vec<Path>, S3SinkError> {
        self.inner.list_after(prefix, after).await
    }
    async fn read(&self, key: &Path) -> Result<(Bytes, HashMap<String, String>), S3SinkError> {
        self.inner.read(key).await
    }
}

/// What the task reports, and under which labels.
#[derive(Debug)]
pub(crate) struct SinkMetrics {
    pub(crate) counters: Arc<StoreCounters>,
    /// The writers' count of completed objects.
    pub(crate) objects: Arc<AtomicU64>,
    pub(crate) connector: String,
    pub(crate) task: String,
}

impl SinkMetrics {
    /// Publishes the gauges (`sluice_s3_sink_*{connector,task}`).
    pub(crate) fn report(
        &self,
        host: &dyn SinkTaskHost,
        open_files: usize,
        buffered: usize,
        max_buffered: u64,
    ) {
        let labels = [
            ("connector", self.connector.as_str()),
            ("task", self.task.as_str()),
        ];
        let c = &self.counters;
        let values = [
            (
                "sluice_s3_sink_objects_written",
                self.objects.load(Ordering::Relaxed) as f64,
            ),
            (
                "sluice_s3_sink_uploaded_bytes",
                c.bytes.load(Ordering::Relaxed) as f64,
            ),
            ("sluice_s3_sink_open_files", open_files as f64),
            ("sluice_s3_sink_buffered_bytes", buffered as f64),
            ("sluice_s3_sink_max_buffered_bytes", max_buffered as f64),
        ];
        for (name, value) in values {
            host.report_metric(name, &labels, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use object_store::memory::InMemory;

    use super::*;
    use crate::store::ObjectStoreBackend;

    #[tokio::test]
    async fn every_body_and_part_sent_counts_its_bytes() {
        let (store, counters) =
            CountingStore::wrap(Arc::new(ObjectStoreBackend::new(Arc::new(InMemory::new()))));
        let key = Path::from("t/partition=0/t+0+0000000000.json");
        let put = store
            .put_new(&key, Bytes::from_static(b"{}\n{}\n"), &[])
            .await;
        assert_eq!(put.ok(), Some(Created::Yes));
        let again = store.put_new(&key, Bytes::from_static(b"x"), &[]).await;
        assert_eq!(again.ok(), Some(Created::AlreadyExists));
        let big = Path::from("t/partition=0/t+0+0000000100.json");
        let id = store.create_multipart(&big).await.expect("create");
        let part = store
            .put_part(&big, &id, 0, Bytes::from(vec![b'a'; 10]))
            .await
            .expect("part");
        store
            .complete_multipart(&big, &id, vec![part])
            .await
            .expect("complete");
        assert_eq!(counters.bytes.load(Ordering::Relaxed), 17);
    }
}
