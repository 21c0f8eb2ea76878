//! Source connector offsets (the offsets topic, or a file in standalone mode).
//!
//! Keys and values are what Kafka's `OffsetStorageWriter` writes through the internal
//! `JsonConverter` (schemas off): key `["<connector>",{<source partition>}]`, value the source
//! offset map, tombstone to forget a partition (`OffsetBackingStore`).

pub(crate) mod file;
pub(crate) mod memory;
pub(crate) mod records;

use std::fmt;

use async_trait::async_trait;
use connect_api::{SourceOffset, SourcePartition};

use crate::StoreError;

/// An offset to write for a partition; `None` forgets the partition (tombstone).
pub type OffsetUpdate = (SourcePartition, Option<SourceOffset>);

/// The source offset store (`OffsetBackingStore` with `OffsetStorageWriter`'s key layout).
#[async_trait]
pub trait OffsetStore: Send + Sync + fmt::Debug {
    /// The latest offsets of those `partitions` that have one, including what other writers
    /// have appended up to now.
    ///
    /// # Errors
    /// When the store cannot be read (to its end, for Kafka).
    async fn get(
        &self,
        connector: &str,
        partitions: &[SourcePartition],
    ) -> Result<Vec<(SourcePartition, SourceOffset)>, StoreError>;

    /// Writes a batch of offsets and returns once it is durable (acknowledged by the broker, or
    /// renamed into place for a file), so the caller may consider exactly these offsets
    /// committed.
    ///
    /// # Errors
    /// When any update of the batch cannot be made durable.
    async fn put_batch(
        &self,
        connector: &str,
        updates: Vec<OffsetUpdate>,
    ) -> Result<(), StoreError>;

    /// Every partition of the connector that has an offset (`GET /connectors/{c}/offsets`).
    ///
    /// # Errors
    /// When the store cannot be read (to its end, for Kafka).
    async fn all_for(
        &self,
        connector: &str,
    ) -> Result<Vec<(SourcePartition, SourceOffset)>, StoreError>;
}
