//! One object being written: its bytes stream into S3 parts as they fill, and every step can be
//! retried after a failure without repeating the steps that succeeded.

use std::io::Write as _;

use bytes::Bytes;
use flate2::write::GzEncoder;
use object_store::MultipartId;
use object_store::multipart::PartId;
use object_store::path::Path;

use crate::config::{Compression, MIN_PART_SIZE};
use crate::error::S3SinkError;
use crate::store::{Created, META_RECORDS, SinkStore};

/// Bytes of memory one live deflate stream holds (window, hash chains and pending buffer at the
/// default level; flate2 runs on zlib-rs, the fastest of its Rust backends). Measured as RSS per open gzip file with 500 open files (see
/// BENCHMARKS.md); counted so that `sluice.max.buffered.bytes` bounds what gzip really costs.
pub(crate) const GZIP_STATE_BYTES: usize = 330 * 1024;
/// A gzip object keeps its first bytes uncompressed and only starts a deflate stream once it
/// holds this much: with many open files (a wide topic, time-based partitions) most hold a few
/// records, and a stream per file would cost [`GZIP_STATE_BYTES`] each for a few KiB of data.
/// The switch happens at the same record whenever the same records are appended, so a replay
/// still writes the same bytes.
const GZIP_LAZY_BYTES: usize = 64 * 1024;

enum Body {
    Plain(Vec<u8>),
    /// gzip, not started yet: the uncompressed bytes so far.
    GzipPending(Vec<u8>, flate2::Compression),
    /// Boxed: a live deflate stream's state is large and most files never start one.
    Gzip(Box<GzEncoder<Vec<u8>>>),
}

impl Body {
    /// The finished bytes ready to go out as parts (`None` while gzip has not started).
    fn out(&mut self) -> Option<&mut Vec<u8>> {
        match self {
            Self::Plain(v) => Some(v),
            Self::GzipPending(..) => None,
            Self::Gzip(g) => Some(g.get_mut()),
        }
    }

    /// Length of [`Self::out`].
    fn len(&self) -> usize {
        match self {
            Self::Plain(v) => v.len(),
            Self::GzipPending(..) => 0,
            Self::Gzip(g) => g.get_ref().len(),
        }
    }

    /// Memory held, compressor state included.
    fn memory(&self) -> usize {
        match self {
            Self::Plain(v) | Self::GzipPending(v, _) => v.len(),
            Self::Gzip(g) => g.get_ref().len() + GZIP_STATE_BYTES,
        }
    }

    fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Self::Plain(v) => v.extend_from_slice(bytes),
            Self::GzipPending(v, level) => {
                v.extend_from_slice(bytes);
                if v.len() >= GZIP_LAZY_BYTES {
                    let mut g = Box::new(GzEncoder::new(Vec::new(), *level));
                    g.write_all(v)?;
                    *self = Self::Gzip(g);
                }
            }
            Self::Gzip(g) => g.write_all(bytes)?,
        }
        Ok(())
    }

    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Plain(v) => Ok(v),
            Self::GzipPending(v, level) => {
                let mut g = GzEncoder::new(Vec::with_capacity(v.len() / 4 + 64), level);
                g.write_all(&v)?;
                g.finish()
            }
            Self::Gzip(g) => (*g).finish(),
        }
    }
}

/// An object under construction (or, on replay, one that already exists and is only counted).
pub(crate) struct ObjectUpload {
    pub(crate) key: Path,
    /// `None` once finished, or from the start when the object already exists.
    body: Option<Body>,
    multipart: Option<(MultipartId, Vec<PartId>)>,
    /// A part whose upload failed; it goes first on the next attempt.
    retry_part: Option<Bytes>,
    /// The tail of the object, after the body was finished.
    tail: Option<Bytes>,
    /// Set when memory pressure asks for the buffer to go out as a part before it is full.
    pub(crate) flush_early: bool,
    complete_attempted: bool,
    pub(crate) done: bool,
}

impl std::fmt::Debug for ObjectUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectUpload")
            .field("key", &self.key.as_ref())
            .field("buffered", &self.buffered())
            .field(
                "multipart",
                &self.multipart.as_ref().map(|(id, parts)| (id, parts.len())),
            )
            .field("done", &self.done)
            .finish()
    }
}

impl ObjectUpload {
    pub(crate) fn new(key: Path, compression: Compression, level: i32) -> Self {
        let body = match compression {
            Compression::None => Body::Plain(Vec::new()),
            Compression::Gzip => {
                let level = u32::try_from(level).unwrap_or(6).min(9);
                Body::GzipPending(Vec::new(), flate2::Compression::new(level))
            }
        };
        Self::with_body(key, Some(body))
    }

    /// An object this file does not write: it already exists (replay), or the view has no
    /// object (a tombstone file set has no value object). Records are only counted.
    pub(crate) fn existing(key: Path) -> Self {
        let mut u = Self::with_body(key, None);
        u.done = true;
        u
    }

    fn with_body(key: Path, body: Option<Body>) -> Self {
        Self {
            key,
            body,
            multipart: None,
            retry_part: None,
            tail: None,
            flush_early: false,
            complete_attempted: false,
            done: false,
        }
    }

    /// Whether bytes are being written (false for an object that already exists).
    pub(crate) fn is_writing(&self) -> bool {
        self.body.is_some()
    }

    pub(crate) fn append(&mut self, bytes: &[u8]) -> Result<(), S3SinkError> {
        if let Some(body) = &mut self.body {
            body.append(bytes)
                .map_err(|e| S3SinkError::Data(format!("gzip failed: {e}")))?;
        }
        Ok(())
    }

    /// Bytes held in memory for this object (a live compressor's state included).
    pub(crate) fn buffered(&self) -> usize {
        self.body.as_ref().map_or(0, Body::memory)
            + self.retry_part.as_ref().map_or(0, Bytes::len)
            + self.tail.as_ref().map_or(0, Bytes::len)
    }

    /// Finished bytes waiting to go out as parts (what an early part would send).
    pub(crate) fn pending_out(&self) -> usize {
        self.body.as_ref().map_or(0, Body::len)
    }

    /// Whether [`Self::upload_full_parts`] has anything to do.
    pub(crate) fn has_full_part(&self, part_size: usize) -> bool {
        let len = self.body.as_ref().map_or(0, Body::len);
        self.retry_part.is_some() || len >= part_size || (self.flush_early && len >= MIN_PART_SIZE)
    }

    /// Uploads every full part (and an early one when asked to).
    pub(crate) async fn upload_full_parts(
        &mut self,
        store: &dyn SinkStore,
        part_size: usize,
    ) -> Result<(), S3SinkError> {
        if let Some(part) = self.retry_part.take() {
            self.upload_part(store, part).await?;
        }
        loop {
            let Some(body) = self.body.as_mut() else {
                return Ok(());
            };
            let Some(out) = body.out() else {
                return Ok(());
            };
            let part = if out.len() >= part_size {
                let rest = out.split_off(part_size);
                Bytes::from(std::mem::replace(out, rest))
            } else if self.flush_early && out.len() >= MIN_PART_SIZE {
                self.flush_early = false;
                Bytes::from(std::mem::take(out))
            } else {
                return Ok(());
            };
            self.upload_part(store, part).await?;
        }
    }

    async fn upload_part(&mut self, store: &dyn SinkStore, part: Bytes) -> Result<(), S3SinkError> {
        if self.multipart.is_none() {
            match store.create_multipart(&self.key).await {
                Ok(id) => self.multipart = Some((id, Vec::new())),
                Err(e) => {
                    self.retry_part = Some(part);
                    return Err(e);
                }
            }
        }
        let Some((id, parts)) = self.multipart.as_mut() else {
            return Ok(());
        };
        match store
            .put_part(&self.key, id, parts.len(), part.clone())
            .await
        {
            Ok(p) => {
                parts.push(p);
                Ok(())
            }
            Err(e) => {
                self.retry_part = Some(part);
                Err(e)
            }
        }
    }

    /// Makes the object durable and visible; `records` goes into its user metadata when it is a
    /// single `PUT`. Never replaces an existing object.
    pub(crate) async fn complete(
        &mut self,
        store: &dyn SinkStore,
        records: u64,
    ) -> Result<(), S3SinkError> {
        if self.done {
            return Ok(());
        }
        if let Some(body) = self.body.take() {
            let bytes = body
                .finish()
                .map_err(|e| S3SinkError::Data(format!("gzip failed: {e}")))?;
            self.tail = Some(Bytes::from(bytes));
        }
        if let Some(part) = self.retry_part.take() {
            self.upload_part(store, part).await?;
        }
        if self.multipart.is_none() {
            let tail = self.tail.clone().unwrap_or_default();
            return match store
                .put_new(
                    &self.key,
                    tail.clone(),
                    &[(META_RECORDS, records.to_string())],
                )
                .await?
            {
                Created::Yes => {
                    self.tail = None;
                    self.done = true;
                    Ok(())
                }
                // A PUT whose response was lost (or that failed after storing the object) is
                // retried, by the client or by redelivery, and then finds its own object: the
                // same bytes under the same key are the same records, so it is done.
                Created::AlreadyExists if store.read(&self.key).await?.0 == tail => {
                    self.tail = None;
                    self.done = true;
                    Ok(())
                }
                Created::AlreadyExists => Err(self.conflict()),
            };
        }
        if let Some(tail) = self.tail.take()
            && !tail.is_empty()
        {
            self.upload_part(store, tail).await?;
        }
        // object_store 0.14 cannot send If-None-Match on CompleteMultipartUpload, so look first.
        // A hit after an earlier completion attempt means that attempt succeeded and only its
        // response was lost.
        if store.exists(&self.key).await? {
            if self.complete_attempted {
                self.done = true;
                return Ok(());
            }
            if let Some((id, _)) = &self.multipart
                && let Err(e) = store.abort_multipart(&self.key, id).await
            {
                tracing::warn!(key = %self.key, error = %e, "could not abort a multipart upload");
            }
            return Err(self.conflict());
        }
        let Some((id, parts)) = self.multipart.clone() else {
            return Ok(());
        };
        self.complete_attempted = true;
        store.complete_multipart(&self.key, &id, parts).await?;
        self.done = true;
        Ok(())
    }

    /// Best-effort cleanup of an upload that will never complete.
    pub(crate) async fn abort(&mut self, store: &dyn SinkStore) {
        if let Some((id, _)) = self.multipart.take()
            && !self.done
            && let Err(e) = store.abort_multipart(&self.key, &id).await
        {
            tracing::warn!(key = %self.key, error = %e, "could not abort a multipart upload; a bucket lifecycle rule will remove it");
        }
        self.body = None;
        self.tail = None;
        self.retry_part = None;
    }

    fn conflict(&self) -> S3SinkError {
        S3SinkError::Conflict(format!(
            "object {} already exists but this task's recovery did not expect it: another writer \
             is using the same topics.dir, or the topic's data changed since it was written; \
             refusing to overwrite it",
            self.key
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| format!("{{\"id\":{i},\"page\":\"/product/{}\"}}\n", i % 97).into_bytes())
            .collect()
    }

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(data), &mut out).unwrap();
        out
    }

    #[test]
    fn lazy_gzip_holds_the_same_records_and_replays_byte_for_byte() {
        for n in [0, 3, 2_000, 20_000] {
            let level = flate2::Compression::new(6);
            let body = |n| {
                let mut lazy = Body::GzipPending(Vec::new(), level);
                for l in lines(n) {
                    lazy.append(&l).unwrap();
                }
                lazy.finish().unwrap()
            };
            let first = body(n);
            // The same records appended again (a replay) give the same object bytes.
            assert_eq!(first, body(n), "{n} lines");
            assert_eq!(gunzip(&first), lines(n).concat(), "{n} lines");
        }
    }

    #[test]
    fn small_gzip_files_hold_no_compressor_until_they_grow() {
        let mut body = Body::GzipPending(Vec::new(), flate2::Compression::new(6));
        for l in lines(10) {
            body.append(&l).unwrap();
        }
        assert!(matches!(body, Body::GzipPending(..)));
        assert!(body.memory() < 1024, "{}", body.memory());
        assert_eq!(body.len(), 0, "nothing is ready to upload as a part");
        for l in lines(5_000) {
            body.append(&l).unwrap();
        }
        assert!(matches!(body, Body::Gzip(_)));
        assert!(body.memory() >= GZIP_STATE_BYTES);
    }
}
