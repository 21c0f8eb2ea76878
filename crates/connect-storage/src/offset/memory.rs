//! The in-process offset store.

use std::sync::Mutex;

use async_trait::async_trait;
use connect_api::{SourceOffset, SourcePartition};

use super::records::OffsetTable;
use super::{OffsetStore, OffsetUpdate};
use crate::StoreError;

/// An [`OffsetStore`] in memory (`MemoryOffsetBackingStore`). Updates go through the same
/// key/value encoding as the Kafka store, so what one accepts the other accepts too.
#[derive(Debug, Default)]
pub struct MemoryOffsetStore {
    table: Mutex<OffsetTable>,
}

impl MemoryOffsetStore {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl OffsetStore for MemoryOffsetStore {
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
        let mut table = self.table.lock().map_err(|_| StoreError::Closed)?;
        let encoded = table.encode(connector, &updates)?;
        for r in encoded {
            table.apply(Some(&r.key), r.value.as_deref());
        }
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
