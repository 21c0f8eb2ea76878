//! Connector, task and active-topic statuses (the status topic).
//!
//! Mirrors `KafkaStatusBackingStore`: records are folded by the same
//! `StatusTable` in every implementation.

pub(crate) mod memory;
pub(crate) mod records;

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// A connector's or task's state (`AbstractStatus.State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    Unassigned,
    Running,
    Paused,
    Failed,
    Restarting,
    /// Connectors only (3.5+).
    Stopped,
    /// Never stored: writing it deletes the status (a tombstone).
    Destroyed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unassigned => "UNASSIGNED",
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Failed => "FAILED",
            Self::Restarting => "RESTARTING",
            Self::Stopped => "STOPPED",
            Self::Destroyed => "DESTROYED",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "UNASSIGNED" => Ok(Self::Unassigned),
            "RUNNING" => Ok(Self::Running),
            "PAUSED" => Ok(Self::Paused),
            "FAILED" => Ok(Self::Failed),
            "RESTARTING" => Ok(Self::Restarting),
            "STOPPED" => Ok(Self::Stopped),
            "DESTROYED" => Ok(Self::Destroyed),
            other => Err(format!("unknown state '{other}'")),
        }
    }
}

/// The status of a connector or a task (`ConnectorStatus`, `TaskStatus`). Serializes exactly
/// as the status topic's value: `{"state":…,"trace":…,"worker_id":…,"generation":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorStatus {
    pub state: State,
    /// The failure's stack trace text; `None` unless FAILED.
    pub trace: Option<String>,
    /// `<advertised host>:<advertised port>` of the worker that wrote it.
    pub worker_id: String,
    /// Group generation of the writer.
    pub generation: i32,
}

/// A task's status has the same shape as a connector's.
pub type TaskStatus = ConnectorStatus;

/// A topic a connector has used (`TopicStatus`, KIP-558).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicStatus {
    pub topic: String,
    pub connector: String,
    pub task: i32,
    /// When the topic was first seen, in milliseconds since the epoch.
    pub discover_timestamp: i64,
}

/// The status store (`StatusBackingStore`).
///
/// Writes return after they are applied locally (and, for Kafka, acknowledged and read back),
/// so a `get_*` afterwards shows them. Statuses written by other workers show up as they are
/// read.
#[async_trait]
pub trait StatusStore: Send + Sync + fmt::Debug {
    /// Writes `status-connector-<name>`; [`State::Destroyed`] writes a tombstone.
    ///
    /// # Errors
    /// When the record cannot be written.
    async fn put_connector(
        &self,
        connector: &str,
        status: &ConnectorStatus,
    ) -> Result<(), StoreError>;

    /// Writes `status-task-<name>-<task>`; [`State::Destroyed`] writes a tombstone.
    ///
    /// # Errors
    /// When the record cannot be written.
    async fn put_task(
        &self,
        connector: &str,
        task: u32,
        status: &TaskStatus,
    ) -> Result<(), StoreError>;

    /// Writes the connector's status unless a newer group generation owns it (`putSafe`): the
    /// write is skipped when the current status comes from another worker with a higher
    /// generation, so a worker that lost the connector in a rebalance cannot overwrite its new
    /// owner's status. Returns whether it wrote.
    ///
    /// # Errors
    /// When the record cannot be written.
    async fn put_connector_safe(
        &self,
        connector: &str,
        status: &ConnectorStatus,
    ) -> Result<bool, StoreError> {
        if !may_overwrite(self.get_connector(connector).as_ref(), status) {
            return Ok(false);
        }
        self.put_connector(connector, status).await.map(|()| true)
    }

    /// [`StatusStore::put_connector_safe`] for a task.
    ///
    /// # Errors
    /// When the record cannot be written.
    async fn put_task_safe(
        &self,
        connector: &str,
        task: u32,
        status: &TaskStatus,
    ) -> Result<bool, StoreError> {
        if !may_overwrite(self.get_task(connector, task).as_ref(), status) {
            return Ok(false);
        }
        self.put_task(connector, task, status).await.map(|()| true)
    }

    /// Tombstones the connector's status and the status of every task known for it.
    ///
    /// # Errors
    /// When the tombstones cannot be written.
    async fn delete_connector(&self, connector: &str) -> Result<(), StoreError>;

    /// Writes `status-topic-<topic>:connector-<name>`.
    ///
    /// # Errors
    /// When the record cannot be written.
    async fn put_topic(&self, status: &TopicStatus) -> Result<(), StoreError>;

    /// Tombstones every active-topic record of the connector (`PUT …/topics/reset`).
    ///
    /// # Errors
    /// When the tombstones cannot be written.
    async fn delete_topics(&self, connector: &str) -> Result<(), StoreError>;

    /// Reads whatever other writers have appended up to now.
    ///
    /// # Errors
    /// When the log cannot be read to its end in time.
    async fn refresh(&self) -> Result<(), StoreError>;

    fn get_connector(&self, connector: &str) -> Option<ConnectorStatus>;

    fn get_task(&self, connector: &str, task: u32) -> Option<TaskStatus>;

    /// The known task statuses of a connector, by task number.
    fn tasks_of(&self, connector: &str) -> Vec<(u32, TaskStatus)>;

    /// The connector's active topics, sorted by topic name.
    fn topics_of(&self, connector: &str) -> Vec<TopicStatus>;

    /// Every connector with a status.
    fn connectors(&self) -> Vec<String>;
}

/// `CacheEntry.canWriteSafely`: nothing there yet, the same worker, or a generation at least
/// as new.
fn may_overwrite(current: Option<&ConnectorStatus>, next: &ConnectorStatus) -> bool {
    current.is_none_or(|c| c.worker_id == next.worker_id || c.generation <= next.generation)
}
