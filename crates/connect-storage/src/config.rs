//! Connector and task configurations, target states and restart requests (the config topic).
//!
//! Mirrors `KafkaConfigBackingStore`: every implementation turns its operations into the config
//! topic's records and folds them through the same `ConfigApplier`, so the memory
//! store behaves exactly like the Kafka one, including the buffering of task configs until their
//! `commit-<connector>` record.

pub(crate) mod memory;
pub(crate) mod records;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use connect_api::Props;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::StoreError;

/// What a connector should be doing (`TargetState`).
///
/// The REST `initial_state` spells [`TargetState::Started`] as `RUNNING`; that mapping belongs to
/// the REST layer, this type uses the config topic's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TargetState {
    Started,
    Paused,
    Stopped,
}

impl TargetState {
    /// The config topic's spelling (`STARTED`, `PAUSED`, `STOPPED`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "STARTED",
            Self::Paused => "PAUSED",
            Self::Stopped => "STOPPED",
        }
    }
}

impl fmt::Display for TargetState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TargetState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "STARTED" => Ok(Self::Started),
            "PAUSED" => Ok(Self::Paused),
            "STOPPED" => Ok(Self::Stopped),
            other => Err(format!("unknown target state '{other}'")),
        }
    }
}

/// A restart request (`RestartRequest`, KIP-745) read from the config topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartRequest {
    pub include_tasks: bool,
    pub only_failed: bool,
    /// Position of the request in the config log. It grows with every record, so a herder that
    /// remembers the last `seq` it handled can tell a new request from one it already served,
    /// even when two requests for the same connector coalesce between two snapshots.
    pub seq: i64,
}

/// A cluster-wide log level (`logger-cluster-<namespace>`, KIP-976) read from the config topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggerLevelUpdate {
    /// The log4j level name (`DEBUG`, `INFO`, …) as written.
    pub level: String,
    /// Position in the config log, as for [`RestartRequest::seq`].
    pub seq: i64,
}

/// The key workers sign internal REST requests with (`SessionKey`, KIP-507), from the
/// `session-key` record the group leader writes.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey {
    /// The raw key bytes (base64 in the record).
    pub key: Vec<u8>,
    /// The `javax.crypto` algorithm the key was generated for (`HmacSHA256`).
    pub algorithm: String,
    /// When the leader created it, in epoch milliseconds.
    pub creation_timestamp: i64,
}

impl fmt::Debug for SessionKey {
    // The key is a shared secret: logs show its size, never its bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKey")
            .field("key", &format_args!("<{} bytes>", self.key.len()))
            .field("algorithm", &self.algorithm)
            .field("creation_timestamp", &self.creation_timestamp)
            .finish()
    }
}

/// Everything the config topic says, as of [`ClusterConfigState::offset`]
/// (`ClusterConfigState`).
///
/// Task configs written but not yet committed are not part of it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterConfigState {
    /// The next log position to read: the number of records applied so far for the memory
    /// store, the offset after the last consumed record for Kafka (`-1` before any record, as
    /// in Kafka's `ClusterConfigState.offset()`).
    pub offset: i64,
    /// Raw connector configurations, by connector name.
    pub connectors: BTreeMap<String, Props>,
    /// Target states. A connector without a `target-state-*` record is `STARTED`; a target
    /// state may also exist before its connector (it is written first on create).
    pub target_states: BTreeMap<String, TargetState>,
    /// Committed task configurations, by connector: index `i` is task `i`. `Some(vec![])`
    /// after a `{"tasks":0}` commit (a stopped connector); absent when none was ever committed.
    pub task_configs: BTreeMap<String, Vec<Props>>,
    /// Connectors whose last commit did not find every task config it counts (compaction ate
    /// them); their tasks must be regenerated (`inconsistentConnectors`).
    pub inconsistent: BTreeSet<String>,
    /// The latest restart request per connector that arrived after the store started; requests
    /// already in the log at start-up are ignored, as Kafka does.
    pub restart_requests: BTreeMap<String, RestartRequest>,
    /// The latest cluster-wide log level per namespace that arrived after the store started
    /// (levels already in the log at start-up are ignored, as Kafka does).
    pub logger_levels: BTreeMap<String, LoggerLevelUpdate>,
    /// The latest session key (`session-key`), whenever it was written.
    pub session_key: Option<SessionKey>,
}

impl ClusterConfigState {
    /// Whether the connector exists (has a config).
    pub fn contains(&self, connector: &str) -> bool {
        self.connectors.contains_key(connector)
    }

    /// The target state of an existing connector.
    pub fn target_state(&self, connector: &str) -> Option<TargetState> {
        if !self.contains(connector) {
            return None;
        }
        Some(
            self.target_states
                .get(connector)
                .copied()
                .unwrap_or(TargetState::Started),
        )
    }

    /// The committed task configs of a connector; empty when none are committed or the
    /// connector is inconsistent.
    pub fn tasks(&self, connector: &str) -> &[Props] {
        if self.inconsistent.contains(connector) {
            return &[];
        }
        self.task_configs.get(connector).map_or(&[], Vec::as_slice)
    }
}

/// The config store (`ConfigBackingStore`).
///
/// Every write returns only after the store has applied it, so a [`ConfigStore::snapshot`]
/// taken afterwards shows it (read-your-writes): REST calls answer after a write. Records from
/// other writers (another worker, a previous run) appear in snapshots too, and
/// [`ConfigStore::subscribe`] notifies about every change whatever its origin.
#[async_trait]
pub trait ConfigStore: Send + Sync + fmt::Debug {
    /// Writes `target-state-<name>` when `target_state` is given, then `connector-<name>`.
    ///
    /// # Errors
    /// When the records cannot be written and read back.
    async fn put_connector_config(
        &self,
        name: &str,
        props: &Props,
        target_state: Option<TargetState>,
    ) -> Result<(), StoreError>;

    /// Tombstones `connector-<name>` and `target-state-<name>`; the connector's committed task
    /// configs disappear with it.
    ///
    /// # Errors
    /// When the tombstones cannot be written and read back.
    async fn remove_connector(&self, name: &str) -> Result<(), StoreError>;

    /// Writes `task-<name>-0..n` then `commit-<name>` `{"tasks":n}`; the configs become
    /// visible together when the commit is applied.
    ///
    /// # Errors
    /// When the records cannot be written and read back.
    async fn put_task_configs(&self, name: &str, configs: &[Props]) -> Result<(), StoreError>;

    /// Writes `target-state-<name>`.
    ///
    /// # Errors
    /// When the record cannot be written and read back.
    async fn put_target_state(&self, name: &str, state: TargetState) -> Result<(), StoreError>;

    /// Writes `restart-connector-<name>`.
    ///
    /// # Errors
    /// When the record cannot be written and read back.
    async fn put_restart_request(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<(), StoreError>;

    /// Writes `logger-cluster-<namespace>` `{"level":…}` (`PUT /admin/loggers/{ns}?scope=cluster`);
    /// every worker, this one included, applies it when it reads it.
    ///
    /// # Errors
    /// When the record cannot be written and read back.
    async fn put_logger_level(&self, namespace: &str, level: &str) -> Result<(), StoreError>;

    /// Writes `session-key` (the group leader, distributed mode): the key every worker of the
    /// cluster verifies internal requests with once it has read it.
    ///
    /// # Errors
    /// When the record cannot be written and read back.
    async fn put_session_key(&self, key: &SessionKey) -> Result<(), StoreError>;

    /// Reads whatever other writers have appended up to now (`refresh`); the herder calls it
    /// before acting as leader.
    ///
    /// # Errors
    /// When the log cannot be read to its end in time.
    async fn refresh(&self) -> Result<(), StoreError>;

    /// The current state.
    fn snapshot(&self) -> ClusterConfigState;

    /// A receiver that is notified of every applied change.
    fn subscribe(&self) -> watch::Receiver<ClusterConfigState>;
}
