//! The few object-store operations the sink needs, behind a trait so that tests can inject an
//! in-memory or failing store, and the S3 client built from the Confluent keys.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::TryStreamExt as _;
use object_store::aws::AmazonS3Builder;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, BackoffConfig, GetOptions, MultipartId, ObjectStore,
    ObjectStoreExt as _, PutMode, PutMultipartOptions, PutOptions, PutPayload, RetryConfig,
};

use crate::config::S3SinkConfig;
use crate::error::S3SinkError;

/// User metadata key (`x-amz-meta-…`) holding an object's record count, so recovery need not
/// read the object to count its lines.
pub const META_RECORDS: &str = "sluice-records";

/// Result of a create-only put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    Yes,
    AlreadyExists,
}

/// Object-store operations used by the writer. Every method is one request (plus the client's own
/// retries), so callers can retry a failed step without repeating successful ones.
#[async_trait]
pub trait SinkStore: Send + Sync + fmt::Debug + 'static {
    /// `PUT` with `If-None-Match: *`.
    async fn put_new(
        &self,
        key: &Path,
        data: Bytes,
        metadata: &[(&'static str, String)],
    ) -> Result<Created, S3SinkError>;
    async fn create_multipart(&self, key: &Path) -> Result<MultipartId, S3SinkError>;
    async fn put_part(
        &self,
        key: &Path,
        id: &MultipartId,
        idx: usize,
        data: Bytes,
    ) -> Result<PartId, S3SinkError>;
    async fn complete_multipart(
        &self,
        key: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<(), S3SinkError>;
    async fn abort_multipart(&self, key: &Path, id: &MultipartId) -> Result<(), S3SinkError>;
    async fn exists(&self, key: &Path) -> Result<bool, S3SinkError>;
    /// Keys under `prefix` (whole path segments), in no particular order.
    async fn list(&self, prefix: Option<&Path>) -> Result<Vec<Path>, S3SinkError>;
    /// Keys under `prefix` that sort after `after` (S3 `start-after`). The default lists
    /// everything and filters.
    async fn list_after(
        &self,
        prefix: Option<&Path>,
        after: &Path,
    ) -> Result<Vec<Path>, S3SinkError> {
        let mut keys = self.list(prefix).await?;
        keys.retain(|k| k.as_ref() > after.as_ref());
        Ok(keys)
    }
    /// An object's bytes and user metadata.
    async fn read(&self, key: &Path) -> Result<(Bytes, HashMap<String, String>), S3SinkError>;
}

/// Both halves of `object_store` the sink needs.
pub trait ObjectAndMultipartStore: ObjectStore + MultipartStore {}
impl<T: ObjectStore + MultipartStore> ObjectAndMultipartStore for T {}

/// [`SinkStore`] over any `object_store` backend (S3, or `InMemory` in tests).
#[derive(Debug, Clone)]
pub struct ObjectStoreBackend {
    inner: Arc<dyn ObjectAndMultipartStore>,
}

impl ObjectStoreBackend {
    pub fn new(inner: Arc<dyn ObjectAndMultipartStore>) -> Self {
        Self { inner }
    }
}

fn err(key: &Path) -> impl FnOnce(object_store::Error) -> S3SinkError + '_ {
    move |e| S3SinkError::store(key.as_ref(), e)
}

#[async_trait]
impl SinkStore for ObjectStoreBackend {
    async fn put_new(
        &self,
        key: &Path,
        data: Bytes,
        metadata: &[(&'static str, String)],
    ) -> Result<Created, S3SinkError> {
        let mut attributes = Attributes::new();
        for (k, v) in metadata {
            attributes.insert(Attribute::Metadata((*k).into()), v.clone().into());
        }
        let opts = PutOptions {
            mode: PutMode::Create,
            attributes,
            ..PutOptions::default()
        };
        match self.inner.put_opts(key, PutPayload::from(data), opts).await {
            Ok(_) => Ok(Created::Yes),
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => Ok(Created::AlreadyExists),
            Err(e) => Err(S3SinkError::store(key.as_ref(), e)),
        }
    }

    async fn create_multipart(&self, key: &Path) -> Result<MultipartId, S3SinkError> {
        self.inner
            .create_multipart_opts(key, PutMultipartOptions::default())
            .await
            .map_err(err(key))
    }

    async fn put_part(
        &self,
        key: &Path,
        id: &MultipartId,
        idx: usize,
        data: Bytes,
    ) -> Result<PartId, S3SinkError> {
        self.inner
            .put_part(key, id, idx, PutPayload::from(data))
            .await
            .map_err(err(key))
    }

    async fn complete_multipart(
        &self,
        key: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<(), S3SinkError> {
        self.inner
            .complete_multipart(key, id, parts)
            .await
            .map(|_| ())
            .map_err(err(key))
    }

    async fn abort_multipart(&self, key: &Path, id: &MultipartId) -> Result<(), S3SinkError> {
        self.inner.abort_multipart(key, id).await.map_err(err(key))
    }

    async fn exists(&self, key: &Path) -> Result<bool, S3SinkError> {
        match self.inner.head(key).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(S3SinkError::store(key.as_ref(), e)),
        }
    }

    async fn list(&self, prefix: Option<&Path>) -> Result<Vec<Path>, S3SinkError> {
        let shown = prefix.map(|p| p.to_string()).unwrap_or_default();
        self.inner
            .list(prefix)
            .map_ok(|m| m.location)
            .try_collect()
            .await
            .map_err(|e| S3SinkError::store(shown, e))
    }

    async fn list_after(
        &self,
        prefix: Option<&Path>,
        after: &Path,
    ) -> Result<Vec<Path>, S3SinkError> {
        let shown = prefix.map(|p| p.to_string()).unwrap_or_default();
        self.inner
            .list_with_offset(prefix, after)
            .map_ok(|m| m.location)
            .try_collect()
            .await
            .map_err(|e| S3SinkError::store(shown, e))
    }

    async fn read(&self, key: &Path) -> Result<(Bytes, HashMap<String, String>), S3SinkError> {
        let got = self
            .inner
            .get_opts(key, GetOptions::default())
            .await
            .map_err(err(key))?;
        let metadata = got
            .attributes
            .iter()
            .filter_map(|(k, v)| match k {
                Attribute::Metadata(name) => Some((name.to_string(), v.to_string())),
                _ => None,
            })
            .collect();
        let bytes = got.bytes().await.map_err(err(key))?;
        Ok((bytes, metadata))
    }
}

/// Builds the S3 client the way `S3Storage.newS3Client` does: `store.url` as a custom endpoint
/// (path style by default, so MinIO needs no DNS), `s3.region` as the signing region, static keys
/// when both are set and the AWS environment/credential chain otherwise, and the client's retry
/// policy from `s3.part.retries` / `s3.retry.backoff.ms`.
///
/// # Errors
/// When the builder rejects the configuration.
pub fn build_s3(cfg: &S3SinkConfig) -> Result<Arc<dyn SinkStore>, S3SinkError> {
    let mut b = AmazonS3Builder::from_env()
        .with_bucket_name(&cfg.bucket)
        .with_region(&cfg.region)
        .with_virtual_hosted_style_request(!cfg.path_style)
        .with_retry(RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(cfg.retry_backoff_ms.max(1)),
                max_backoff: Duration::from_secs(60),
                base: 2.0,
            },
            max_retries: cfg.part_retries,
            retry_timeout: Duration::from_secs(300),
        });
    if let Some(url) = &cfg.store_url {
        b = b
            .with_endpoint(url)
            .with_allow_http(url.starts_with("http://"));
    }
    if let (Some(id), Some(secret)) = (&cfg.access_key_id, &cfg.secret_access_key) {
        b = b.with_access_key_id(id).with_secret_access_key(secret);
    }
    let s3 = b.build().map_err(|e| S3SinkError::Client(e.to_string()))?;
    Ok(Arc::new(ObjectStoreBackend::new(Arc::new(s3))))
}

/// Wall-clock milliseconds, injectable so that scheduled rotation is tested without sleeping.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    fn now_millis(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

/// A clock that moves only when told to.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: i64) -> Self {
        Self(AtomicI64::new(start))
    }

    pub fn set(&self, millis: i64) {
        self.0.store(millis, Ordering::SeqCst);
    }

    pub fn advance(&self, millis: i64) {
        self.0.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
