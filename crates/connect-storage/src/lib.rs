//! The worker's state stores: connector configs, source offsets and statuses.
//!
//! In distributed mode Kafka Connect keeps its state in three compacted topics; the Kafka
//! implementations here read and write them byte for byte as Kafka Connect 3.9 does, so a Java
//! worker can read what Sluice wrote and the reverse. Standalone mode and tests use the memory
//! implementations (and the file offset store). Every implementation of a store turns its
//! operations into the same topic records and folds them through the same code, so they cannot
//! drift apart; [`conformance`] checks the behaviour every implementation must share.
//!
//! # Layout
//! - [`config`]: [`ConfigStore`], [`ClusterConfigState`], [`TargetState`]; records of the config
//!   topic (`connector-*`, `task-*`, `commit-*`, `target-state-*`, `restart-connector-*`,
//!   `logger-cluster-*`, `session-key`).
//! - [`offset`]: [`OffsetStore`]; offsets topic keys `["<connector>",{partition}]`; the
//!   [`FileOffsetStore`] for `offset.storage.file.filename`.
//! - [`status`]: [`StatusStore`], [`ConnectorStatus`], [`State`], [`TopicStatus`]; records of the
//!   status topic (`status-connector-*`, `status-task-*`, `status-topic-*`).
//! - [`kafka`]: the topic-backed implementations on rdkafka, topic creation, the cluster id.
//! - [`conformance`]: scenarios run against every implementation.
//! - [`StoreError`]: the crate's error.
//!
//! # Example
//! ```
//! use connect_storage::{ConfigStore, MemoryConfigStore, TargetState};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = MemoryConfigStore::new();
//! let props = [("connector.class".to_string(), "FileStreamSource".to_string())].into();
//! store.put_connector_config("file-source", &props, Some(TargetState::Paused)).await?;
//! store.put_task_configs("file-source", &[props.clone()]).await?;
//! let state = store.snapshot();
//! assert_eq!(state.target_state("file-source"), Some(TargetState::Paused));
//! assert_eq!(state.tasks("file-source").len(), 1);
//! # Ok::<(), connect_storage::StoreError>(())
//! # }).unwrap();
//! ```

pub mod config;
pub mod conformance;
mod error;
pub mod kafka;
pub mod offset;
pub mod status;

pub use config::memory::MemoryConfigStore;
pub use config::{
    ClusterConfigState, ConfigStore, LoggerLevelUpdate, RestartRequest, SessionKey, TargetState,
};
pub use error::StoreError;
pub use kafka::config::KafkaConfigStore;
pub use kafka::offset::KafkaOffsetStore;
pub use kafka::status::KafkaStatusStore;
pub use kafka::{KafkaSettings, TopicSettings, fetch_cluster_id};
pub use offset::file::FileOffsetStore;
pub use offset::memory::MemoryOffsetStore;
pub use offset::{OffsetStore, OffsetUpdate};
pub use status::memory::MemoryStatusStore;
pub use status::{ConnectorStatus, State, StatusStore, TaskStatus, TopicStatus};

/// One record of an internal topic: key bytes and value bytes, `None` for a tombstone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) key: Vec<u8>,
    pub(crate) value: Option<Vec<u8>>,
}
