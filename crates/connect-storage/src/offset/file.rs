//! The standalone-mode offset store: `offset.storage.file.filename`.
//!
//! Kafka's `FileOffsetBackingStore` writes a Java-serialized `HashMap<ByteBuffer, ByteBuffer>`,
//! which cannot sensibly be produced outside a JVM. This store keeps the same information, the
//! offset topic's `[key bytes, value bytes]` pairs, as a JSON array of two-string arrays:
//!
//! ```text
//! [["[\"file-source\",{\"filename\":\"/tmp/test.txt\"}]","{\"position\":30}"]]
//! ```
//!
//! so a file written by a Java worker cannot be read here, nor the reverse. Each write replaces
//! the file atomically (temporary file, fsync, rename), so a crash leaves either the old or the
//! new offsets, never a torn file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use connect_api::{SourceOffset, SourcePartition};

use super::records::OffsetTable;
use super::{OffsetStore, OffsetUpdate};
use crate::StoreError;

/// An [`OffsetStore`] persisted to one JSON file (see the module docs for the format).
#[derive(Debug)]
pub struct FileOffsetStore {
    path: PathBuf,
    table: Mutex<OffsetTable>,
    // Serializes writers so that an older snapshot can never overwrite a newer one.
    write: tokio::sync::Mutex<()>,
}

impl FileOffsetStore {
    /// Opens the store, loading the file if it exists.
    ///
    /// # Errors
    /// When the file exists but cannot be read or parsed.
    pub async fn open(path: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let path = path.into();
        let read_path = path.clone();
        let table = tokio::task::spawn_blocking(move || load(&read_path))
            .await
            .map_err(|_| StoreError::Closed)??;
        Ok(Self {
            path,
            table: Mutex::new(table),
            write: tokio::sync::Mutex::new(()),
        })
    }

    /// The file this store writes.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn load(path: &Path) -> Result<OffsetTable, StoreError> {
    let mut table = OffsetTable::default();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(table),
        Err(e) => return Err(io(path)(e)),
    };
    // Java's object streams start with 0xACED: the file of a Java worker, which this store
    // cannot read (see the module docs), deserves a clearer word than a JSON syntax error.
    if bytes.starts_with(&[0xAC, 0xED]) {
        return Err(StoreError::CorruptFile {
            path: path.to_path_buf(),
            reason: "it was written by a Java Kafka Connect worker (Java serialization), which \
                     Sluice cannot read; move it away or point offset.storage.file.filename elsewhere"
                .into(),
        });
    }
    let pairs: Vec<(String, Option<String>)> =
        serde_json::from_slice(&bytes).map_err(|e| StoreError::CorruptFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    for (key, value) in pairs {
        table.apply(Some(key.as_bytes()), value.as_deref().map(str::as_bytes));
    }
    Ok(table)
}

fn save(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    use std::io::Write as _;

    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    file.write_all(contents).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))?;
    // The rename is durable only once the directory entry is; some filesystems refuse to open
    // a directory for syncing, and the data itself is already safe, so that is not an error.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Err(error) = std::fs::File::open(dir).and_then(|d| d.sync_all())
    {
        tracing::debug!(dir = %dir.display(), %error, "Could not sync the offset file's directory.");
    }
    Ok(())
}

fn serialize(table: &OffsetTable) -> Result<Vec<u8>, StoreError> {
    let pairs: Vec<(String, String)> = table
        .records()?
        .into_iter()
        .map(|r| {
            let key = String::from_utf8_lossy(&r.key).into_owned();
            let value = r
                .value
                .map(|v| String::from_utf8_lossy(&v).into_owned())
                .unwrap_or_default();
            (key, value)
        })
        .collect();
    serde_json::to_vec(&pairs).map_err(|e| StoreError::encode("offset file", e))
}

#[async_trait]
impl OffsetStore for FileOffsetStore {
    async fn get(
        &self,
        connector: &str,
        partitions: &[SourcePartition],
    ) -> Result<Vec<(SourcePartition, SourceOffset)>, StoreError> {
        Ok(self
            .table
            .lock()
            .map_err(|_| StoreError::Closed)?
            .get(connector, partitions))
    }

    async fn put_batch(
        &self,
        connector: &str,
        updates: Vec<OffsetUpdate>,
    ) -> Result<(), StoreError> {
        let _writer = self.write.lock().await;
        // Apply to a copy first: offsets become visible only once they are on disk.
        let mut next = self.table.lock().map_err(|_| StoreError::Closed)?.clone();
        let encoded = next.encode(connector, &updates)?;
        for r in encoded {
            next.apply(Some(&r.key), r.value.as_deref());
        }
        let contents = serialize(&next)?;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || save(&path, &contents))
            .await
            .map_err(|_| StoreError::Closed)??;
        *self.table.lock().map_err(|_| StoreError::Closed)? = next;
        Ok(())
    }

    async fn all_for(
        &self,
        connector: &str,
    ) -> Result<Vec<(SourcePartition, SourceOffset)>, StoreError> {
        Ok(self
            .table
            .lock()
            .map_err(|_| StoreError::Closed)?
            .all_for(connector))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn partition(v: serde_json::Value) -> SourcePartition {
        SourcePartition::new(v.as_object().unwrap().clone())
    }

    fn offset(v: serde_json::Value) -> SourceOffset {
        SourceOffset(v.as_object().unwrap().clone())
    }

    #[tokio::test]
    async fn offsets_survive_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connect.offsets");
        let store = FileOffsetStore::open(&path).await.unwrap();
        let p = partition(json!({"filename": "/tmp/test.txt"}));
        store
            .put_batch(
                "file-source",
                vec![(p.clone(), Some(offset(json!({"position": 30}))))],
            )
            .await
            .unwrap();
        drop(store);

        let raw = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            raw,
            r#"[["[\"file-source\",{\"filename\":\"/tmp/test.txt\"}]","{\"position\":30}"]]"#
        );
        let reopened = FileOffsetStore::open(&path).await.unwrap();
        assert_eq!(
            reopened
                .get("file-source", std::slice::from_ref(&p))
                .await
                .unwrap(),
            vec![(p, offset(json!({"position": 30})))]
        );
        assert!(!dir.path().join("connect.offsets.tmp").exists());
    }

    #[tokio::test]
    async fn corrupt_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connect.offsets");
        std::fs::write(&path, b"\xac\xed\x00\x05java-serialized").unwrap();
        let err = FileOffsetStore::open(&path).await.unwrap_err();
        assert!(matches!(err, StoreError::CorruptFile { .. }), "{err}");
        assert!(err.to_string().contains("Java serialization"), "{err}");
        std::fs::write(&path, b"[[1,2]]").unwrap();
        let err = FileOffsetStore::open(&path).await.unwrap_err();
        assert!(matches!(err, StoreError::CorruptFile { .. }), "{err}");
    }

    #[tokio::test]
    async fn failed_write_leaves_offsets_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("connect.offsets");
        let store = FileOffsetStore::open(&path).await.unwrap();
        let p = partition(json!({"f": "a"}));
        let err = store
            .put_batch("c", vec![(p.clone(), Some(offset(json!({"pos": 1}))))])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Io { .. }), "{err}");
        assert!(store.get("c", &[p]).await.unwrap().is_empty());
    }
}
