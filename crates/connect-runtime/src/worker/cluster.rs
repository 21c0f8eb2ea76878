//! Distributed mode: this worker as one member of a Kafka Connect cluster (Kafka's
//! `DistributedHerder` around its `WorkerGroupMember`).
//!
//! The group member (`connect_distributed`) joins the Connect group once the config topic has
//! been read; the leader assigns every connector and task to one worker. This module turns the
//! member's events into what the reconcile loop runs ([`Owned`]), and does the herder's part of
//! the protocol:
//!
//! - a revocation stops the named connectors and tasks (their offsets are committed as they
//!   stop) before the member is told it may go on, so nothing runs on two workers;
//! - an assignment is acted upon once the config topic is read to the offset it was made at
//!   (`handleRebalanceCompleted`); a worker that is behind or past it rejoins instead;
//! - connectors added or removed, or task counts changed, make the worker rejoin so the leader
//!   assigns with them (the member itself rejoins after a revoking assignment and at the end
//!   of a scheduled rebalance delay);
//! - the leader deletes the statuses of deleted connectors and writes session keys
//!   (`inter.worker.key.*`, [`signature`]);
//! - writes that Kafka reserves to the leader, or to a connector's owner, answer
//!   [`HerderError::request_target`] with the URL to forward them to, which the REST layer does.
//!   Such requests wait while the worker is between two assignments, as they queue behind
//!   Kafka's herder thread during a rebalance.
//!
//! Beyond Kafka's herder, for coordinators that complete generations without a live member
//! (tansu 0.6): after each rebalance a worker rewrites the status of what it runs when another
//! worker's status is there, and it stops a connector or task whose status another worker wrote
//! under a newer generation (the reconcile loop does both).

pub mod signature;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use connect_api::Props;
use connect_distributed::member::MemberStatus;
use connect_distributed::{
    Assignment, AssignmentError, ConfigSnapshot, ConfigView, ConnectProtocolCompatibility,
    DistributedError, MemberEvent,
};
use connect_storage::{ClusterConfigState, ConfigStore, State, TargetState};
use dashmap::DashMap;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

pub use signature::{KeySettings, SIGNATURE_ALGORITHM_HEADER, SIGNATURE_HEADER};

use super::{Command, Stores, WorkerHerder};
use crate::entities::Health;
use crate::herder::{HerderError, SignatureHeaders};

/// Backoff of a failed task-config hand-over to the leader (Kafka's
/// `RECONFIGURE_CONNECTOR_TASKS_BACKOFF_INITIAL_MS` / `_MAX_MS`).
const FORWARD_BACKOFF_INITIAL: Duration = Duration::from_millis(250);
const FORWARD_BACKOFF_MAX: Duration = Duration::from_secs(60);
/// How soon a leader retries writing a session key that could not be written.
const KEY_WRITE_RETRY: Duration = Duration::from_secs(1);

/// What the herder needs of the group member: `connect_distributed::MemberHandle`, or a fake
/// in tests.
#[async_trait]
pub trait GroupHandle: Send + Sync + fmt::Debug {
    /// Rejoin at the next opportunity, so the leader assigns with the current config.
    fn request_rejoin(&self);
    /// Leave the group, giving up the assignment, and join again after `pause`
    /// (`member.maybeLeaveGroup` + `backoff`); `reason` is the member's last error.
    fn leave_and_back_off(&self, reason: String, pause: Duration);
    /// The member's state, for `/health` and for waiting out a rebalance.
    fn status(&self) -> watch::Receiver<MemberStatus>;
    /// Leave the group for good (shutdown).
    async fn leave(&self);
    /// `connect.protocol`, which the member reports as its protocol until a rebalance picks
    /// one (the `connect-protocol` metric); `None` when unknown.
    fn configured_protocol(&self) -> Option<ConnectProtocolCompatibility> {
        None
    }
}

#[async_trait]
impl GroupHandle for connect_distributed::MemberHandle {
    fn request_rejoin(&self) {
        connect_distributed::MemberHandle::request_rejoin(self);
    }

    fn leave_and_back_off(&self, reason: String, pause: Duration) {
        connect_distributed::MemberHandle::leave_and_back_off(self, reason, pause);
    }

    fn status(&self) -> watch::Receiver<MemberStatus> {
        connect_distributed::MemberHandle::status(self)
    }

    async fn leave(&self) {
        connect_distributed::MemberHandle::leave(self).await;
    }

    fn configured_protocol(&self) -> Option<ConnectProtocolCompatibility> {
        Some(connect_distributed::MemberHandle::configured_protocol(self))
    }
}

/// Sends internal requests to another worker of the cluster (Kafka's `RestClient`).
#[async_trait]
pub trait InterWorkerClient: Send + Sync + fmt::Debug {
    /// `method url` with a JSON `body` and the given extra headers. `Ok` for a 2xx answer;
    /// otherwise the remote error with its status and message, or a transport failure.
    async fn request(
        &self,
        method: &str,
        url: &str,
        body: Vec<u8>,
        headers: Vec<(&'static str, String)>,
    ) -> Result<(), HerderError>;
}

/// A started group member: its handle and its events.
pub type StartedMember = (Arc<dyn GroupHandle>, mpsc::Receiver<MemberEvent>);

/// Starts the group member once the config topic has been read; the binary passes
/// `connect_distributed::GroupMember::start`. An error (settings the member cannot work with)
/// stops the worker.
pub type MemberStarter =
    Box<dyn FnOnce(Arc<dyn ConfigView>) -> Result<StartedMember, String> + Send>;

/// Distributed mode's settings ([`WorkerHerder::set_cluster`]).
pub struct ClusterSettings {
    pub start_member: MemberStarter,
    /// `inter.worker.*`.
    pub keys: KeySettings,
    pub client: Arc<dyn InterWorkerClient>,
    /// `worker.sync.timeout.ms`: how long to read the config topic to an assignment's offset.
    pub sync_timeout: Duration,
    /// `worker.unsync.backoff.ms`: how long a worker that could not read the config topic to an
    /// assignment's offset stays out of the group before it rejoins.
    pub unsync_backoff: Duration,
    /// This worker's advertised REST URL (`http://host:port/`).
    pub worker_url: String,
}

impl fmt::Debug for ClusterSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterSettings")
            .field("keys", &self.keys)
            .field("client", &self.client)
            .field("sync_timeout", &self.sync_timeout)
            .field("unsync_backoff", &self.unsync_backoff)
            .field("worker_url", &self.worker_url)
            .finish_non_exhaustive()
    }
}

/// What this worker runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owned {
    /// Every connector and task in the config topic (no group: standalone mode).
    Everything,
    /// What the group leader assigned to this worker.
    Assigned {
        connectors: BTreeSet<String>,
        tasks: BTreeSet<(String, u32)>,
    },
}

impl Owned {
    /// Nothing yet: a member before its first assignment.
    pub fn nothing() -> Self {
        Self::Assigned {
            connectors: BTreeSet::new(),
            tasks: BTreeSet::new(),
        }
    }

    fn of(assignment: &Assignment) -> Self {
        Self::Assigned {
            connectors: assignment.connectors.iter().cloned().collect(),
            tasks: assignment
                .tasks
                .iter()
                .map(|t| (t.connector.clone(), t.task))
                .collect(),
        }
    }

    /// Whether this worker runs the connector itself.
    pub fn connector(&self, name: &str) -> bool {
        match self {
            Self::Everything => true,
            Self::Assigned { connectors, .. } => connectors.contains(name),
        }
    }

    /// Whether this worker runs the task.
    pub fn task(&self, name: &str, task: u32) -> bool {
        match self {
            Self::Everything => true,
            Self::Assigned { tasks, .. } => tasks.contains(&(name.to_owned(), task)),
        }
    }

    /// Whether this worker runs the connector or any of its tasks.
    pub fn any_of(&self, name: &str) -> bool {
        match self {
            Self::Everything => true,
            Self::Assigned { connectors, tasks } => {
                connectors.contains(name) || tasks.iter().any(|(c, _)| c == name)
            }
        }
    }

    pub(super) fn revoke(
        &mut self,
        names: &[String],
        ids: &[connect_distributed::ConnectorTaskId],
    ) {
        if let Self::Assigned { connectors, tasks } = self {
            for n in names {
                connectors.remove(n);
            }
            for t in ids {
                tasks.remove(&(t.connector.clone(), t.task));
            }
        }
    }

    /// What stays when an assignment cannot be acted upon yet: only what runs already and is
    /// still assigned.
    fn keep_only(&mut self, assignment: &Assignment) {
        let assigned = Self::of(assignment);
        if let (
            Self::Assigned { connectors, tasks },
            Self::Assigned {
                connectors: ac,
                tasks: at,
            },
        ) = (self, assigned)
        {
            connectors.retain(|c| ac.contains(c));
            tasks.retain(|t| at.contains(t));
        }
    }
}

/// The latest assignment as REST calls need it (Kafka's herder `assignment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Current {
    generation: i32,
    member_id: String,
    leader: String,
    leader_url: String,
    protocol_version: i16,
    connectors: BTreeSet<String>,
    tasks: BTreeSet<(String, u32)>,
}

impl Current {
    fn is_leader(&self) -> bool {
        !self.member_id.is_empty() && self.member_id == self.leader
    }

    fn leader_url(&self) -> Option<String> {
        Some(self.leader_url.clone()).filter(|u| !u.trim().is_empty())
    }

    /// Internal requests are signed and checked from the `sessioned` protocol on.
    fn signed_requests(&self) -> bool {
        self.protocol_version >= 2
    }
}

/// Distributed mode's shared state.
#[derive(Debug)]
pub struct ClusterState {
    member: Arc<dyn GroupHandle>,
    keys: KeySettings,
    client: Arc<dyn InterWorkerClient>,
    sync_timeout: Duration,
    unsync_backoff: Duration,
    worker_url: String,
    current: watch::Sender<Option<Current>>,
    /// Since when the member has been trying to join (for `/health`).
    seeking_since: Mutex<SystemTime>,
    ever_joined: AtomicBool,
    /// The backoff of the next retry of a failed task-config hand-over, by connector.
    forward_backoff: DashMap<String, Duration>,
}

impl ClusterState {
    pub(super) async fn leave(&self) {
        self.member.leave().await;
    }

    fn current(&self) -> Option<Current> {
        self.current.borrow().clone()
    }

    /// The assignment, once the member is in a generation and this worker has acted on it.
    /// `None` when the member is gone.
    async fn settled(&self) -> Option<Current> {
        let mut status = self.member.status();
        let mut current = self.current.subscribe();
        loop {
            let joined = status.borrow_and_update().joined;
            if joined && let Some(c) = current.borrow_and_update().clone() {
                return Some(c);
            }
            tokio::select! {
                r = status.changed() => if r.is_err() { return None },
                r = current.changed() => if r.is_err() { return None },
            }
        }
    }

    /// `NotLeaderException` unless this worker leads the group.
    async fn require_leader(&self, message: &str) -> Result<Current, HerderError> {
        let Some(c) = self.settled().await else {
            return Err(HerderError::request_target(message, None));
        };
        if c.is_leader() {
            Ok(c)
        } else {
            Err(HerderError::request_target(message, c.leader_url()))
        }
    }
}

/// The [`ConfigView`] the member reads: the config store.
#[derive(Debug)]
struct StoreView {
    store: Arc<dyn ConfigStore>,
    sync_timeout: Duration,
}

/// A connector's task count as the assignor sees it: a stopped connector has none.
fn task_counts(snapshot: &ClusterConfigState) -> BTreeMap<String, u32> {
    snapshot
        .connectors
        .keys()
        .map(|name| {
            let n = if snapshot.target_state(name) == Some(TargetState::Stopped) {
                0
            } else {
                u32::try_from(snapshot.tasks(name).len()).unwrap_or(u32::MAX)
            };
            (name.clone(), n)
        })
        .collect()
}

#[async_trait]
impl ConfigView for StoreView {
    fn config_offset(&self) -> i64 {
        self.store.subscribe().borrow().offset
    }

    async fn snapshot_at_least(&self, offset: i64) -> Result<ConfigSnapshot, DistributedError> {
        if self.store.subscribe().borrow().offset < offset {
            match tokio::time::timeout(self.sync_timeout, self.store.refresh()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(DistributedError::Protocol(e.to_string())),
                Err(_) => {
                    return Err(DistributedError::Protocol(
                        "Didn't reach end of config log quickly enough".to_owned(),
                    ));
                }
            }
        }
        let snapshot = self.store.snapshot();
        if snapshot.offset < offset {
            return Err(DistributedError::Protocol(format!(
                "Was selected to perform assignments, but do not have latest config found in sync request (at {}, members at {offset})",
                snapshot.offset
            )));
        }
        Ok(ConfigSnapshot {
            offset: snapshot.offset,
            connectors: task_counts(&snapshot),
        })
    }
}

/// `Instant.toString()` of a wall-clock time, to the millisecond.
fn java_instant(t: SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Utc> = t.into();
    let ms = dt.timestamp_millis();
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or(dt)
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis(),
    )
    .unwrap_or(i64::MAX)
}

/// A path segment as JAX-RS's `UriBuilder.path` encodes a connector name.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The part of a `scheme://host:port/` URL before `://`.
fn scheme(url: &str) -> &str {
    url.split_once("://").map_or("http", |(s, _)| s)
}

impl WorkerHerder {
    /// Runs this worker as a member of a Connect cluster (distributed mode): call once, before
    /// [`WorkerHerder::run`], which starts the member after reading the config topic.
    pub fn set_cluster(&self, settings: ClusterSettings) {
        if let Ok(mut p) = self.inner.pending_cluster.lock() {
            *p = Some(settings);
        }
    }

    /// Starts the member and the task that acts on its events; `None` (and the worker
    /// stops) when the member cannot start.
    pub(super) fn start_cluster(
        &self,
        settings: ClusterSettings,
        stores: &Stores,
    ) -> Option<JoinHandle<()>> {
        // Nothing is assigned before the first rebalance.
        self.inner.ownership.send_replace(Owned::nothing());
        let view = Arc::new(StoreView {
            store: stores.config.clone(),
            sync_timeout: settings.sync_timeout,
        });
        let (member, events) = match (settings.start_member)(view) {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(error = %e, "Cannot join the Connect group; stopping.");
                self.inner.cancel.cancel();
                return None;
            }
        };
        self.inner.metrics.join_group(
            member
                .configured_protocol()
                .map(ConnectProtocolCompatibility::protocol_version),
        );
        let state = Arc::new(ClusterState {
            member,
            keys: settings.keys,
            client: settings.client,
            sync_timeout: settings.sync_timeout,
            unsync_backoff: settings.unsync_backoff,
            worker_url: settings.worker_url,
            current: watch::Sender::new(None),
            seeking_since: Mutex::new(SystemTime::now()),
            ever_joined: AtomicBool::new(false),
            forward_backoff: DashMap::new(),
        });
        self.inner.cluster.set(state.clone()).ok();
        tracing::info!("Joining the Connect group.");
        Some(tokio::spawn(self.clone().drive(
            state,
            events,
            stores.clone(),
        )))
    }

    fn cluster(&self) -> Option<&Arc<ClusterState>> {
        self.inner.cluster.get()
    }

    /// The cluster driver: member events, config changes, timers.
    async fn drive(
        self,
        cluster: Arc<ClusterState>,
        mut events: mpsc::Receiver<MemberEvent>,
        stores: Stores,
    ) {
        let cancel = self.inner.cancel.clone();
        let mut configs = stores.config.subscribe();
        let mut shape = task_counts(&configs.borrow_and_update());
        let mut status = cluster.member.status();
        let mut status_open = true;
        let mut key_check_at: Option<tokio::time::Instant> = None;
        loop {
            let key_check = async move {
                match key_check_at {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = cancel.cancelled() => return,
                event = events.recv() => {
                    let Some(event) = event else {
                        tracing::error!("The group member stopped; this worker runs nothing until restarted.");
                        self.inner.ownership.send_replace(Owned::nothing());
                        self.converge().await;
                        return;
                    };
                    match event {
                        MemberEvent::Revoke { connectors, tasks, done } => {
                            tracing::info!(?connectors, tasks = ?tasks.iter().map(|t| format!("{}-{}", t.connector, t.task)).collect::<Vec<_>>(), "Stopping revoked connectors and tasks.");
                            self.inner
                                .ownership
                                .send_modify(|o| o.revoke(&connectors, &tasks));
                            self.converge().await;
                            tracing::info!("Finished stopping tasks in preparation for rebalance");
                            done.send(()).ok();
                        }
                        MemberEvent::Assigned { generation, member_id, assignment } => {
                            self.on_assigned(&cluster, &stores, generation, member_id, &assignment).await;
                            key_check_at = self.check_session_key(&cluster, &stores).await;
                        }
                        MemberEvent::Lost { reason } => {
                            tracing::warn!(%reason, "Lost membership of the Connect group; rejoining.");
                            cluster.current.send_replace(None);
                            self.inner.ownership.send_replace(Owned::nothing());
                            self.converge().await;
                            key_check_at = None;
                        }
                    }
                }
                r = configs.changed() => {
                    if r.is_err() {
                        return;
                    }
                    let next = task_counts(&configs.borrow_and_update());
                    if next != shape {
                        shape = next;
                        // `onConnectorConfigUpdate` / `onConnectorConfigRemove` /
                        // `onTaskConfigUpdate`: the leader must assign with the new config.
                        // Unlike Kafka's, only the leader (which wrote the change) starts the
                        // rebalance; the others follow when the coordinator tells them. Every
                        // worker rejoining on its own turns one change into overlapping
                        // rebalances, and a coordinator that does not wait for every member
                        // (tansu) then completes generations without some of them.
                        let lead = cluster.current().is_none_or(|c| c.is_leader());
                        if lead {
                            tracing::info!("Connectors or task counts changed; rejoining the group so the new config is assigned.");
                            cluster.member.request_rejoin();
                        }
                    }
                    // A key written by another leader moves the next rotation.
                    if key_check_at.is_some() {
                        key_check_at = self.check_session_key(&cluster, &stores).await;
                    }
                }
                r = status.changed(), if status_open => {
                    if r.is_err() {
                        status_open = false;
                        continue;
                    }
                    let joined = status.borrow_and_update().joined;
                    if !joined
                        && let Ok(mut since) = cluster.seeking_since.lock()
                        && cluster.current.borrow().is_some()
                    {
                        *since = SystemTime::now();
                    }
                }
                () = key_check => {
                    key_check_at = self.check_session_key(&cluster, &stores).await;
                }
            }
        }
    }

    /// Reconciles with the current ownership and waits until the loop has.
    async fn converge(&self) {
        let (tx, rx) = oneshot::channel();
        if self
            .inner
            .commands
            .send(Command::Converge(tx))
            .await
            .is_ok()
        {
            rx.await.ok();
        }
    }

    /// `RebalanceListener.onAssigned` + `handleRebalanceCompleted`.
    async fn on_assigned(
        &self,
        cluster: &ClusterState,
        stores: &Stores,
        generation: i32,
        member_id: String,
        assignment: &Assignment,
    ) {
        tracing::info!(
            generation,
            protocol_version = assignment.protocol_version,
            leader = %assignment.leader,
            leader_url = %assignment.leader_url,
            config_offset = assignment.config_offset,
            connectors = ?assignment.connectors,
            tasks = ?assignment.tasks.iter().map(|t| format!("{}-{}", t.connector, t.task)).collect::<Vec<_>>(),
            delay = ?assignment.delay,
            "Joined group and got assignment."
        );
        self.inner.metrics.rebalance_started(
            generation,
            &assignment.leader_url,
            assignment.protocol_version,
        );
        self.inner.generation.store(generation, Ordering::Relaxed);
        let current = Current {
            generation,
            member_id,
            leader: assignment.leader.clone(),
            leader_url: assignment.leader_url.clone(),
            protocol_version: assignment.protocol_version,
            connectors: assignment.connectors.iter().cloned().collect(),
            tasks: assignment
                .tasks
                .iter()
                .map(|t| (t.connector.clone(), t.task))
                .collect(),
        };
        let leader = current.is_leader();
        cluster.current.send_replace(Some(current));
        cluster.ever_joined.store(true, Ordering::Relaxed);
        let mut behind = stores.config.subscribe().borrow().offset < assignment.config_offset;
        if assignment.error == AssignmentError::ConfigMismatch || behind {
            if assignment.error == AssignmentError::ConfigMismatch {
                tracing::warn!(
                    "Join group completed, but assignment failed. Reading to end of config and retrying."
                );
            } else {
                tracing::warn!("Catching up to assignment's config offset.");
            }
            let read = match tokio::time::timeout(cluster.sync_timeout, stores.config.refresh())
                .await
            {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(format!(
                    "Could not read to the end of the config topic: {e}"
                )),
                Err(_) => Err(format!(
                    "Didn't reach end of config log quickly enough (worker.sync.timeout.ms = {} ms)",
                    cluster.sync_timeout.as_millis()
                )),
            };
            let offset = stores.config.subscribe().borrow().offset;
            behind = offset < assignment.config_offset;
            // Kafka's herder leaves and backs off only when the read times out; a worker that
            // read its config topic to the end and is still behind the leader's offset reads
            // another topic than the leader (or one that lost records): rejoining at once only
            // gets it the same assignment again, which it cannot run, so it leaves as well and
            // its work goes to the others.
            let problem = match read {
                Err(e) => Some(e),
                Ok(()) if behind => Some(format!(
                    "The config topic (config.storage.topic) ends at offset {offset}, before the group's assignment at config offset {}: this worker reads another config topic than the leader, or one that lost records",
                    assignment.config_offset
                )),
                Ok(()) => None,
            };
            if let Some(problem) = problem {
                let reason = format!(
                    "{problem}; leaving the group for {} ms before rejoining",
                    cluster.unsync_backoff.as_millis()
                );
                tracing::error!(
                    config_offset = offset,
                    assignment_config_offset = assignment.config_offset,
                    "{reason}"
                );
                cluster.current.send_replace(None);
                cluster
                    .member
                    .leave_and_back_off(reason, cluster.unsync_backoff);
                return;
            }
            if assignment.error == AssignmentError::ConfigMismatch {
                cluster.member.request_rejoin();
                return;
            }
        }
        let offset = stores.config.subscribe().borrow().offset;
        if offset != assignment.config_offset {
            tracing::info!(
                "Current config state offset {offset} does not match group assignment {}. Forcing rebalance.",
                assignment.config_offset
            );
            self.inner
                .ownership
                .send_modify(|o| o.keep_only(assignment));
            cluster.member.request_rejoin();
            return;
        }
        tracing::info!(
            "Starting connectors and tasks using config offset {}",
            assignment.config_offset
        );
        self.inner.ownership.send_replace(Owned::of(assignment));
        self.converge().await;
        tracing::info!("Finished starting connectors and tasks");
        if leader {
            self.delete_removed_statuses(stores).await;
        }
        // Kafka's leader deletes these statuses within the rebalance too (in `onAssigned`).
        self.inner.metrics.rebalance_succeeded();
    }

    /// `updateDeletedConnectorStatus` + `updateDeletedTaskStatus` (the leader, after a
    /// rebalance): statuses of connectors and tasks the config no longer has.
    async fn delete_removed_statuses(&self, stores: &Stores) {
        let snapshot = stores.config.snapshot();
        for name in stores.status.connectors() {
            if !snapshot.contains(&name) {
                if let Err(e) = stores.status.delete_connector(&name).await {
                    tracing::warn!(connector = %name, error = %e, "Could not delete the statuses of a deleted connector.");
                }
                continue;
            }
            let count = snapshot.tasks(&name).len();
            let reporter = crate::task::StatusReporter {
                store: stores.status.clone(),
                worker_id: self.inner.settings.worker_id.clone(),
                generation: self.inner.generation.clone(),
            };
            for (id, _) in stores.status.tasks_of(&name) {
                if id as usize >= count {
                    reporter.task(&name, id, State::Destroyed, None).await;
                }
            }
        }
    }

    /// The leader's session key duty (`checkForKeyRotation`): writes a new key when there is
    /// none, it expired, or it was made for another algorithm or size. Returns when to look
    /// again.
    async fn check_session_key(
        &self,
        cluster: &ClusterState,
        stores: &Stores,
    ) -> Option<tokio::time::Instant> {
        let current = cluster.current()?;
        if !current.is_leader() || !current.signed_requests() {
            return None;
        }
        let now = now_ms();
        let key = stores.config.snapshot().session_key;
        let expiry = if cluster.keys.needs_new_key(key.as_ref(), now) {
            tracing::debug!("Distributing new session key");
            let written = match cluster.keys.generate(now) {
                Ok(k) => stores
                    .config
                    .put_session_key(&k)
                    .await
                    .map(|()| cluster.keys.expiry(&k))
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            match written {
                Ok(expiry) => expiry,
                Err(e) => {
                    tracing::info!(error = %e, "Failed to write new session key to config topic; retrying.");
                    return Some(tokio::time::Instant::now() + KEY_WRITE_RETRY);
                }
            }
        } else {
            key.as_ref().map_or(now, |k| cluster.keys.expiry(k))
        };
        let wait = u64::try_from(expiry.saturating_sub(now)).unwrap_or(0);
        Some(tokio::time::Instant::now() + Duration::from_millis(wait))
    }

    // ---------------------------------------------------------------------------------------
    // What the reconcile loop asks.

    /// The current ownership, for the reconcile loop.
    pub(super) fn ownership(&self) -> watch::Receiver<Owned> {
        self.inner.ownership.subscribe()
    }

    /// Hands a connector's new task configs to the config topic (`publishConnectorTaskConfigs`):
    /// written directly outside a group or by the leader, otherwise sent to the leader, signed,
    /// in the background; a failed hand-over asks the loop for the configs again after a
    /// backoff.
    ///
    /// # Errors
    /// A direct write that failed; the caller retries on its next pass.
    pub(super) async fn publish_task_configs(
        &self,
        stores: &Stores,
        name: &str,
        configs: Vec<Props>,
    ) -> Result<(), String> {
        let Some(cluster) = self.cluster().cloned() else {
            return stores
                .config
                .put_task_configs(name, &configs)
                .await
                .map_err(|e| e.to_string());
        };
        let current = cluster.current();
        if current.as_ref().is_some_and(Current::is_leader) {
            return write_task_configs(stores, name, &configs)
                .await
                .map_err(|e| e.message);
        }
        let herder = self.clone();
        let name = name.to_owned();
        let session_key = stores.config.snapshot().session_key;
        tokio::spawn(async move {
            let sent = match current.and_then(|c| c.leader_url()) {
                None => Err("Request to leader to reconfigure connector tasks failed because the URL of the leader's REST interface is empty!".to_owned()),
                Some(leader) => {
                    let url = format!(
                        "{}/connectors/{}/tasks",
                        leader.trim_end_matches('/'),
                        encode_segment(&name)
                    );
                    herder.send_task_configs(&cluster, &url, &configs, session_key.as_ref()).await
                }
            };
            match sent {
                Ok(()) => {
                    cluster.forward_backoff.remove(&name);
                    tracing::debug!(connector = %name, "Forwarded task configurations to the leader.");
                }
                Err(e) => {
                    let backoff = cluster
                        .forward_backoff
                        .get(&name)
                        .map_or(FORWARD_BACKOFF_INITIAL, |b| *b);
                    cluster
                        .forward_backoff
                        .insert(name.clone(), (backoff * 2).min(FORWARD_BACKOFF_MAX));
                    tracing::error!(connector = %name, error = %e, ?backoff, "Failed to reconfigure connector's tasks, retrying after backoff.");
                    tokio::select! {
                        () = herder.inner.cancel.cancelled() => {}
                        () = tokio::time::sleep(backoff) => {
                            herder.inner.commands.send(Command::Reconfigure(name)).await.ok();
                        }
                    }
                }
            }
        });
        Ok(())
    }

    async fn send_task_configs(
        &self,
        cluster: &ClusterState,
        url: &str,
        configs: &[Props],
        key: Option<&connect_storage::SessionKey>,
    ) -> Result<(), String> {
        let body = serde_json::to_vec(configs).map_err(|e| e.to_string())?;
        // Kafka signs whenever it has a key; the leader checks only under `sessioned`.
        let headers = match key {
            Some(k) => cluster.keys.sign(k, &body)?,
            None => Vec::new(),
        };
        tracing::trace!(
            connector_url = url,
            "Forwarding task configurations for connector to leader"
        );
        cluster
            .client
            .request("POST", url, body, headers)
            .await
            .map_err(|e| e.message)
    }

    // ---------------------------------------------------------------------------------------
    // What REST calls ask.

    /// Writes Kafka reserves to the leader: `Ok` outside a group and on the leader, otherwise
    /// Kafka's `NotLeaderException` with `message` and the leader's URL to forward to.
    pub(super) async fn require_leader(&self, message: &str) -> Result<(), HerderError> {
        let Some(c) = self.cluster() else {
            return Ok(());
        };
        c.require_leader(message).await?;
        // Leadership moves between rebalances: what the previous leader wrote just before
        // must be read before this one answers (a delete right after a create through another
        // worker would otherwise be a 404).
        if let Some(stores) = self.inner.stores.get() {
            match tokio::time::timeout(c.sync_timeout, stores.config.refresh()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "Could not read to the end of the config topic.")
                }
                Err(_) => tracing::warn!("Didn't reach end of config log quickly enough"),
            }
        }
        Ok(())
    }

    /// Restarts run where the connector (`task: None`) or task runs: `Ok` when that is this
    /// worker; the leader answers `NotAssignedException` with the owner's URL, other workers
    /// `NotLeaderException` with the leader's (`restartConnector`, `restartTask`).
    pub(super) async fn require_owner(
        &self,
        connector: &str,
        task: Option<u32>,
    ) -> Result<(), HerderError> {
        let Some(cluster) = self.cluster() else {
            return Ok(());
        };
        let (not_assigned, not_leader) = match task {
            None => (
                "Cannot restart connector since it is not assigned to this member",
                "Only the leader can process restart requests.",
            ),
            Some(_) => (
                "Cannot restart task since it is not assigned to this member",
                "Cannot restart task since it is not assigned to this member",
            ),
        };
        let Some(c) = cluster.settled().await else {
            return Err(HerderError::request_target(not_leader, None));
        };
        let here = match task {
            None => c.connectors.contains(connector),
            Some(t) => c.tasks.contains(&(connector.to_owned(), t)),
        };
        if here {
            Ok(())
        } else if c.is_leader() {
            let owner = owner_url(&cluster.member.status().borrow(), connector, task)
                .or_else(|| self.owner_url_from_status(cluster, connector, task));
            Err(HerderError::request_target(not_assigned, owner))
        } else {
            Err(HerderError::request_target(not_leader, c.leader_url()))
        }
    }

    /// The owner's URL from the status topic, when the member has no leader state (it led no
    /// completed rebalance yet): the worker id of its latest status, if another worker's.
    fn owner_url_from_status(
        &self,
        cluster: &ClusterState,
        connector: &str,
        task: Option<u32>,
    ) -> Option<String> {
        let stores = self.inner.stores.get()?;
        let status = match task {
            None => stores.status.get_connector(connector),
            Some(t) => stores.status.get_task(connector, t),
        }?;
        (status.worker_id != self.inner.settings.worker_id && !status.worker_id.is_empty())
            .then(|| format!("{}://{}/", scheme(&cluster.worker_url), status.worker_id))
    }

    /// `requestNotSignedProperly`: from the `sessioned` protocol on, an internal request must
    /// carry a valid MAC of `body` made with the current session key. Nothing to check outside
    /// a group.
    ///
    /// # Errors
    /// Kafka's 400, 503 or 403 for a signature that is missing or does not check.
    pub(super) fn verify_internal_request(
        &self,
        stores: &Stores,
        body: &[u8],
        signature: Option<&SignatureHeaders>,
    ) -> Result<(), HerderError> {
        let Some(cluster) = self.cluster() else {
            return Ok(());
        };
        let protocol = match cluster.current() {
            Some(c) => c.protocol_version,
            None => cluster
                .member
                .status()
                .borrow()
                .protocol_version
                .unwrap_or(2),
        };
        if let Some(s) = signature {
            signature::check_headers(s)?;
        }
        if protocol >= 2 {
            let key = stores.config.snapshot().session_key;
            cluster.keys.verify(key.as_ref(), body, signature)?;
        }
        Ok(())
    }

    /// `putTaskConfigs` (`POST /connectors/{c}/tasks`): checks the signature under the
    /// `sessioned` protocol, then the leader writes the configs.
    pub(super) async fn put_task_configs_signed(
        &self,
        name: &str,
        body: &[u8],
        configs: Option<Vec<Props>>,
        signature: Option<SignatureHeaders>,
    ) -> Result<(), HerderError> {
        let stores = self.stores().await?;
        let Some(cluster) = self.cluster().cloned() else {
            return Err(HerderError::internal(
                "Kafka Connect in standalone mode does not support externally setting task configurations.",
            ));
        };
        self.verify_internal_request(stores, body, signature.as_ref())?;
        cluster
            .require_leader("Only the leader may write task configurations.")
            .await?;
        if !stores.config.snapshot().contains(name) {
            return Err(HerderError::connector_not_found(name));
        }
        // `writeTaskConfigs` with a null list fails in the herder thread (a peer's bug).
        let Some(configs) = configs else {
            return Err(HerderError::internal(format!(
                "The task configurations for connector {name} are null"
            )));
        };
        write_task_configs(stores, name, &configs).await
    }

    /// `/health` while the member is out of the group: Kafka's herder thread is then stuck
    /// "ensuring membership in the cluster", so its health check times out with that stage:
    /// 503 before the first join (the herder is not ready yet), 500 after.
    pub(super) fn cluster_health(&self) -> Option<Health> {
        let cluster = self.cluster()?;
        let status = cluster.member.status().borrow().clone();
        if status.joined && cluster.current.borrow().is_some() {
            return None;
        }
        let since = cluster
            .seeking_since
            .lock()
            .map(|s| *s)
            .unwrap_or_else(|_| SystemTime::now());
        let mut stage = format!(
            "The worker is currently ensuring membership in the cluster, which began at {}.",
            java_instant(since)
        );
        if let Some(e) = status.last_error.filter(|e| !e.is_empty()) {
            stage.push_str(&format!(" Last error: {e}"));
        }
        Some(if cluster.ever_joined.load(Ordering::Relaxed) {
            Health::Unhealthy(stage)
        } else {
            Health::Starting(stage)
        })
    }
}

/// `WorkerCoordinator.ownerUrl`: the leader's record of who runs a connector or task.
fn owner_url(status: &MemberStatus, connector: &str, task: Option<u32>) -> Option<String> {
    let state = status.leader_state.as_ref()?;
    match task {
        None => state.owner_url(connector),
        Some(t) => state.task_owner_url(&connect_distributed::ConnectorTaskId {
            connector: connector.to_owned(),
            task: t,
        }),
    }
    .map(str::to_owned)
}

/// `writeTaskConfigs`: a stopped connector takes no tasks.
async fn write_task_configs(
    stores: &Stores,
    name: &str,
    configs: &[Props],
) -> Result<(), HerderError> {
    if !configs.is_empty()
        && stores.config.snapshot().target_state(name) == Some(TargetState::Stopped)
    {
        return Err(HerderError::bad_request(format!(
            "Cannot submit non-empty set of task configs for stopped connector {name}"
        )));
    }
    stores
        .config
        .put_task_configs(name, configs)
        .await
        .map_err(|e| HerderError::internal(e.to_string()))
}

/// The body of `POST /connectors/{c}/tasks`: `List<Map<String, String>>`, whose `null` values
/// mean absent keys.
#[cfg(test)]
mod tests;
