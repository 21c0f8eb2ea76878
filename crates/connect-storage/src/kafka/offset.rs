//! The offset store on the offsets topic (`KafkaOffsetBackingStore`).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use connect_api::{SourceOffset, SourcePartition};

use super::log::{KafkaLog, LogOptions};
use super::{KafkaSettings, TopicSettings};
use crate::StoreError;
use crate::offset::records::OffsetTable;
use crate::offset::{OffsetStore, OffsetUpdate};

/// An [`OffsetStore`] on `offset.storage.topic`.
///
/// Reads first read the topic to its end, so offsets written by another worker (or through
/// the REST offsets API elsewhere) are seen, as Kafka's `get` does.
#[derive(Debug)]
pub struct KafkaOffsetStore {
    pub(super) log: KafkaLog,
    table: Arc<Mutex<OffsetTable>>,
}

impl KafkaOffsetStore {
    /// Creates the topic if missing and reads it to its end.
    ///
    /// # Errors
    /// When the topic cannot be created or read.
    pub async fn open(settings: &KafkaSettings, topic: &TopicSettings) -> Result<Self, StoreError> {
        let table = Arc::new(Mutex::new(OffsetTable::default()));
        let reader_table = table.clone();
        let options = LogOptions {
            property: "offset.storage.topic",
            purpose: "source connector offsets",
            read_committed: false,
            single_partition: false,
            idempotent: true,
        };
        let log = KafkaLog::open(settings, topic, options, move |_| {
            Box::new(move |key, value, _partition, _offset| {
                if let Ok(mut t) = reader_table.lock() {
                    t.apply(key, value);
                }
            })
        })
        .await?;
        Ok(Self { log, table })
    }

    fn read<T>(&self, f: impl FnOnce(&OffsetTable) -> T) -> Result<T, StoreError> {
        Ok(f(&*self.table.lock().map_err(|_| StoreError::Closed)?))
    }
}

#[async_trait]
impl OffsetStore for KafkaOffsetStore {
    async fn get(
        &self,
        connector: &str,
        partitions: &[SourcePartition],
    ) -> Result<Vec<(SourcePartition, SourceOffset)>, StoreError> {
        self.log.read_to_end().await?;
        self.read(|t| t.get(connector, partitions))
    }

    async fn put_batch(
        &self,
        connector: &str,
        updates: Vec<OffsetUpdate>,
    ) -> Result<(), StoreError> {
        let encoded = self
            .table
            .lock()
            .map_err(|_| StoreError::Closed)?
            .encode(connector, &updates)?;
        // Acknowledged is durable: the reader applies the records when they come round,
        // and the next `get` reads to the end before answering.
        self.log.send(&encoded).await.map(drop)
    }

    async fn all_for(
        &self,
        connector: &str,
    ) -> Result<Vec<(SourcePartition, SourceOffset)>, StoreError> {
        self.log.read_to_end().await?;
        self.read(|t| t.all_for(connector))
    }
}
