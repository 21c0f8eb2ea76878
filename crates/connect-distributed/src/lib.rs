//! Distributed mode: how several workers form one Kafka Connect cluster.
//!
//! Kafka Connect workers coordinate through a Kafka consumer group of protocol type `connect`
//! (JoinGroup/SyncGroup/Heartbeat/LeaveGroup). Each member sends its REST URL and the config
//! topic offset it has read; the elected leader reads the config topic, computes who runs which
//! connector and task, and hands each member its assignment. This crate is that protocol and
//! nothing else: it knows no herder and no store. The runtime gives it a [`ConfigView`] and
//! reacts to the [`MemberEvent`]s it emits.
//!
//! - [`protocol`]: the byte layouts of `ConnectProtocol` (eager, `default`) and
//!   `IncrementalCooperativeConnectProtocol` (`compatible`, `sessioned`) metadata and assignments.
//! - [`assignor`]: the leader's assignment (Kafka's `EagerAssignor` and
//!   `IncrementalCooperativeAssignor`), pure functions over the members and the config.
//! - [`member`]: the group member: coordinator lookup, join, sync, heartbeats, leave.

pub mod assignor;
pub mod error;
pub mod member;
pub mod protocol;

use std::collections::BTreeMap;
use std::time::Duration;

pub use error::DistributedError;
pub use member::{GroupMember, MemberHandle, MemberStatus};

/// A connector's task, as Kafka's `ConnectorTaskId`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectorTaskId {
    pub connector: String,
    pub task: u32,
}

/// `connect.protocol`: which sub-protocols this worker offers, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectProtocolCompatibility {
    /// `default`: eager rebalancing (`ConnectProtocol`, version 0).
    Eager,
    /// `compatible`: incremental cooperative (version 1), eager offered too.
    Compatible,
    /// `sessioned`: incremental cooperative with session keys (version 2); Kafka's default.
    #[default]
    Sessioned,
}

/// Kafka's `ConnectProtocol.Assignment` error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentError {
    /// `NO_ERROR` (0).
    None,
    /// `CONFIG_MISMATCH` (1): the leader could not read the config topic to the members' offset.
    ConfigMismatch,
}

/// What the leader gave this member in the latest completed rebalance.
///
/// Two views use this type. On the wire ([`protocol::encode_assignment`],
/// [`protocol::decode_assignment`], the assignor's output) a cooperative assignment holds only
/// the *newly* assigned connectors and tasks plus the revocations, as Kafka's. In
/// [`MemberEvent::Assigned`] the member has merged it: `connectors`/`tasks` are everything this
/// member runs from now on and `revoked_*` what it stopped. With the eager protocol everything
/// was revoked before joining and `revoked_*` are empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub error: AssignmentError,
    /// The leader's member id.
    pub leader: String,
    /// The leader's advertised REST URL, where followers forward writes.
    pub leader_url: String,
    /// The config topic offset the leader assigned at; run nothing before reading this far.
    pub config_offset: i64,
    pub connectors: Vec<String>,
    pub tasks: Vec<ConnectorTaskId>,
    pub revoked_connectors: Vec<String>,
    pub revoked_tasks: Vec<ConnectorTaskId>,
    /// `scheduled.rebalance.max.delay.ms` still to wait before lost work is reassigned.
    pub delay: Duration,
    /// The sub-protocol version the group chose (0 eager, 1 compatible, 2 sessioned).
    pub protocol_version: i16,
}

/// The config as the leader assigns it: every connector and how many tasks it has.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigSnapshot {
    /// The config topic offset this snapshot was read to.
    pub offset: i64,
    /// Connector name → number of task configs (0 while its tasks are not yet generated or
    /// when it is stopped).
    pub connectors: BTreeMap<String, u32>,
}

/// What the member needs from the runtime.
#[async_trait::async_trait]
pub trait ConfigView: Send + Sync {
    /// The config topic offset this worker has read (its JoinGroup metadata).
    fn config_offset(&self) -> i64;
    /// Leader only: read the config topic to at least `offset` (the highest offset any member
    /// reported) and return the snapshot. An error makes the leader answer `CONFIG_MISMATCH`.
    async fn snapshot_at_least(&self, offset: i64) -> Result<ConfigSnapshot, DistributedError>;
}

/// Group membership settings (Kafka's `DistributedConfig` names in the comments).
#[derive(Debug, Clone)]
pub struct MemberSettings {
    /// `group.id`.
    pub group_id: String,
    /// This worker's advertised REST URL (`rest.advertised.*` / listeners).
    pub worker_url: String,
    /// `bootstrap.servers` as `host:port` strings.
    pub bootstrap: Vec<String>,
    /// The client's security settings in librdkafka's names (`security.protocol`,
    /// `ssl.ca.location`/`ssl.ca.pem`, `ssl.certificate.*`, `ssl.key.*`, `sasl.mechanism`,
    /// `sasl.username`, `sasl.password`, ...), as `connect_api::kafka_client` produces them.
    pub client: BTreeMap<String, String>,
    /// `client.id` prefix for the coordinator connection.
    pub client_id: String,
    /// `session.timeout.ms` (default 10 s).
    pub session_timeout: Duration,
    /// `heartbeat.interval.ms` (default 3 s).
    pub heartbeat_interval: Duration,
    /// `rebalance.timeout.ms` (default 60 s).
    pub rebalance_timeout: Duration,
    /// `connect.protocol` (default sessioned).
    pub protocol: ConnectProtocolCompatibility,
    /// `scheduled.rebalance.max.delay.ms` (default 5 min).
    pub scheduled_rebalance_max_delay: Duration,
    /// `retry.backoff.ms`.
    pub retry_backoff: Duration,
}

/// What the member tells the runtime, in order, on a bounded channel.
#[derive(Debug)]
pub enum MemberEvent {
    /// Stop these, and commit their offsets, then send on `done`. The member waits for it
    /// before it goes on (bounded by `rebalance.timeout.ms`), which is what keeps a task from
    /// running on two workers: with the eager protocol everything is revoked before each join;
    /// with the cooperative ones what an assignment revokes is stopped before the member
    /// rejoins so the leader can hand it to another worker.
    Revoke {
        connectors: Vec<String>,
        tasks: Vec<ConnectorTaskId>,
        done: tokio::sync::oneshot::Sender<()>,
    },
    /// A rebalance completed. `assignment.connectors`/`tasks` are everything this member owns
    /// now (the member merges a cooperative assignment's additions with what it kept), so the
    /// runtime starts what it does not run yet.
    Assigned {
        generation: i32,
        member_id: String,
        assignment: Assignment,
    },
    /// Membership lost (session timed out, fenced, unknown member): the runtime stops
    /// everything (a `Revoke` of all precedes this), and the member rejoins by itself.
    Lost { reason: String },
}
