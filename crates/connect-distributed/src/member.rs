//! The group member: Kafka's `WorkerGroupMember` + `WorkerCoordinator` + the consumer's
//! `AbstractCoordinator`, over one connection to the group coordinator.
//!
//! One task owns the connection and runs the state machine: find the coordinator, JoinGroup
//! (protocol type `connect`), SyncGroup (the leader assigns), heartbeats, LeaveGroup. The
//! runtime talks to it through [`MemberHandle`] and hears from it through [`MemberEvent`]s.
//!
//! Requests go out one at a time, as a Kafka broker answers them per connection anyway; while
//! the member waits for the runtime (a revocation) or the config view (the leader's snapshot) it
//! keeps heartbeating, as Kafka's heartbeat thread does.
//!
//! Where this differs from Kafka's Java worker, on purpose:
//! - Membership loss (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID, no heartbeat
//!   answer within `session.timeout.ms`) revokes everything before rejoining, with the
//!   cooperative protocols too: by then the leader may have handed the work to another worker,
//!   and a task must never run twice. Kafka's worker only does this when the coordinator stays
//!   unreachable for `heartbeat.interval.ms`, which this member does as well.
//! - Errors Kafka treats as fatal for the herder (GROUP_AUTHORIZATION_FAILED, INVALID_GROUP_ID,
//!   INCONSISTENT_GROUP_PROTOCOL, …) are retried after `retry.backoff.ms` and reported in
//!   [`MemberStatus::last_error`] instead of ending the worker.
//! - `scheduled.rebalance.max.delay.ms`: the rejoin an assignment's delay asks for is scheduled
//!   here, not by the runtime (Kafka's herder does it).

mod conn;
mod sasl;
mod security;
mod tls;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    FindCoordinatorRequest, GroupId, HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest,
    SyncGroupRequest,
};
use kafka_protocol::protocol::{Request, StrBytes};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use self::conn::{Connection, kafka_error};
use self::security::Security;
use crate::assignor::{
    IncrementalCooperativeAssignor, LeaderState, MemberInfo, assign_eager, config_mismatch,
    max_config_offset,
};
use crate::protocol::{
    OwnedWork, WorkerMetadata, decode_assignment, decode_metadata, encode_assignment,
    join_protocols, version_of,
};
use crate::{
    Assignment, AssignmentError, ConfigView, ConnectProtocolCompatibility, ConnectorTaskId,
    DistributedError, MemberEvent, MemberSettings,
};

/// How many events may wait unread before the member waits for the runtime.
const EVENT_CAPACITY: usize = 16;
/// `request.timeout.ms`, Connect's default: connecting, FindCoordinator, SyncGroup, Heartbeat.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(40);
/// `socket.connection.setup.timeout.ms`, Kafka's default: connecting, TLS, ApiVersions, SASL.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Kafka's `JOIN_GROUP_TIMEOUT_LAPSE`: a JoinGroup may wait the rebalance timeout, plus this.
const JOIN_GROUP_TIMEOUT_LAPSE: Duration = Duration::from_secs(5);
/// How long leaving may take on shutdown; leaving is a courtesy (the session would expire).
const LEAVE_TIMEOUT: Duration = Duration::from_secs(5);
/// The group protocol type of Kafka Connect workers.
const PROTOCOL_TYPE: &str = "connect";
/// Kafka's `JoinGroupRequest.maybeTruncateReason` limit.
const MAX_REASON_CHARS: usize = 255;

const MEMBER_ID_REQUIRED: i16 = ResponseError::MemberIdRequired.code();
const UNKNOWN_MEMBER_ID: i16 = ResponseError::UnknownMemberId.code();
const ILLEGAL_GENERATION: i16 = ResponseError::IllegalGeneration.code();
const FENCED_INSTANCE_ID: i16 = ResponseError::FencedInstanceId.code();
const REBALANCE_IN_PROGRESS: i16 = ResponseError::RebalanceInProgress.code();
const NOT_COORDINATOR: i16 = ResponseError::NotCoordinator.code();
const COORDINATOR_NOT_AVAILABLE: i16 = ResponseError::CoordinatorNotAvailable.code();
const INCONSISTENT_GROUP_PROTOCOL: i16 = ResponseError::InconsistentGroupProtocol.code();

/// Starts a group member (Kafka's `WorkerGroupMember`).
#[derive(Debug)]
pub struct GroupMember;

impl GroupMember {
    /// Checks the settings and spawns the member's task on the current tokio runtime. It joins
    /// the group at once and stays in it, rejoining after any loss, until
    /// [`MemberHandle::leave`], until every handle is dropped or until the event receiver is
    /// dropped (then it leaves the group).
    ///
    /// Errors are settings it cannot work with: no group id or bootstrap server, an unsupported
    /// `security.protocol`/`sasl.mechanism`, unreadable certificates.
    pub fn start(
        settings: MemberSettings,
        view: Arc<dyn ConfigView>,
    ) -> Result<(MemberHandle, mpsc::Receiver<MemberEvent>), DistributedError> {
        if settings.group_id.trim().is_empty() {
            return Err(DistributedError::Config(
                "group.id must not be empty".into(),
            ));
        }
        if settings
            .bootstrap
            .iter()
            .all(|b| conn::split_host_port(b).is_none())
        {
            return Err(DistributedError::Config(format!(
                "bootstrap.servers has no host:port address ({:?})",
                settings.bootstrap
            )));
        }
        let security = Security::from_client(&settings.client)?;
        let (events_tx, events_rx) = mpsc::channel(EVENT_CAPACITY);
        let (status_tx, status_rx) = watch::channel(MemberStatus {
            generation: -1,
            ..MemberStatus::default()
        });
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let protocol = settings.protocol;
        let backoff = Arc::new(std::sync::Mutex::new(None));
        let mut member = Member::new(settings, security, view, events_tx, status_tx, cmd_rx);
        member.backoff = backoff.clone();
        tokio::spawn(Box::pin(member.run()));
        Ok((
            MemberHandle {
                commands: cmd_tx,
                status: status_rx,
                protocol,
                backoff,
            },
            events_rx,
        ))
    }
}

/// Where the member stands, for `/health`, REST forwarding and logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberStatus {
    /// In a group generation with a usable assignment: after SyncGroup, until membership is
    /// lost or the member leaves. A cooperative rebalance in progress keeps it true (the work
    /// keeps running); an assignment with `CONFIG_MISMATCH` makes it false.
    pub joined: bool,
    /// The generation of the last completed join, -1 before any.
    pub generation: i32,
    /// This member's id, empty before the coordinator gave one.
    pub member_id: String,
    /// The leader's member id from the latest assignment.
    pub leader_id: Option<String>,
    /// The leader's advertised REST URL from the latest assignment, where writes are forwarded.
    pub leader_url: Option<String>,
    /// This member is the leader of the latest assignment.
    pub is_leader: bool,
    /// The Connect sub-protocol version the group chose (0 eager, 1 compatible, 2 sessioned).
    pub protocol_version: Option<i16>,
    /// The coordinator broker, `host:port`, while connected to it.
    pub coordinator: Option<String>,
    /// The latest failure (coordinator lookup, join, heartbeat), cleared by a completed join.
    pub last_error: Option<String>,
    /// Who runs which connector and task, when this member led the latest completed
    /// rebalance (Kafka's `WorkerCoordinator.ownerUrl`); cleared when a rebalance starts.
    pub leader_state: Option<Arc<LeaderState>>,
    /// The member has left the group for good.
    pub stopped: bool,
}

/// What the handle asks of the member task.
#[derive(Debug)]
enum Command {
    Rejoin,
    Leave(oneshot::Sender<()>),
}

/// Talks to a running member. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MemberHandle {
    commands: mpsc::UnboundedSender<Command>,
    status: watch::Receiver<MemberStatus>,
    protocol: ConnectProtocolCompatibility,
    /// A leave-and-back-off the runtime asked for, taken by the member's next turn.
    backoff: PendingBackoff,
}

/// Why and for how long the member must stay out of the group.
type PendingBackoff = Arc<std::sync::Mutex<Option<(String, Duration)>>>;

impl MemberHandle {
    /// Rejoins the group at the next opportunity (Kafka's `member.requestRejoin()`), e.g. after
    /// this worker wrote a new connector or task count to the config topic, or read the config
    /// topic up to a failed assignment's offset, so the leader assigns with it. Without it, a
    /// `CONFIG_MISMATCH` assignment is retried after `retry.backoff.ms`.
    pub fn request_rejoin(&self) {
        // A stopped member has nothing to rejoin.
        self.commands.send(Command::Rejoin).ok();
    }

    /// Leaves the group, giving up the assignment (revoked, then `Lost`), stays out for
    /// `pause` and joins again as a new member: what Kafka's herder does when it cannot read
    /// the config topic to an assignment's offset (`member.maybeLeaveGroup` and
    /// `backoff(worker.unsync.backoff.ms)`), so that the group reassigns this worker's work
    /// instead of waiting on it. `reason` becomes the status's `last_error`.
    pub fn leave_and_back_off(&self, reason: String, pause: Duration) {
        if let Ok(mut pending) = self.backoff.lock() {
            *pending = Some((reason, pause));
        }
        // Wakes the member if it waits for its next heartbeat.
        self.commands.send(Command::Rejoin).ok();
    }

    /// The member's status; `changed()` on it wakes on every update.
    pub fn status(&self) -> watch::Receiver<MemberStatus> {
        self.status.clone()
    }

    /// `connect.protocol`: the mode this member offers, which Kafka's member reports as its
    /// current protocol until a rebalance picks one.
    pub fn configured_protocol(&self) -> ConnectProtocolCompatibility {
        self.protocol
    }

    /// Leaves the group (LeaveGroup) and stops the member; returns once it has. The runtime
    /// stops its work first, as Kafka's herder does on shutdown; no `Revoke` is emitted.
    pub async fn leave(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Leave(tx)).is_ok() {
            rx.await.ok();
        }
    }
}

/// The member must stop: the runtime asked to leave (and waits on the sender), or dropped its
/// handles or its event receiver.
struct Stop(Option<oneshot::Sender<()>>);

/// Kafka's `MemberState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not in a generation: heartbeats off.
    Unjoined,
    /// JoinGroup sent: heartbeats off.
    PreparingRebalance,
    /// JoinGroup answered, SyncGroup to come: heartbeats on.
    CompletingRebalance,
    /// Synced: heartbeats on.
    Stable,
}

/// Membership found lost, handled before anything else.
#[derive(Debug)]
struct Lost {
    reason: String,
    reset_member_id: bool,
}

/// The state machine; one task owns it.
struct Member {
    settings: MemberSettings,
    security: Security,
    view: Arc<dyn ConfigView>,
    events: mpsc::Sender<MemberEvent>,
    status: watch::Sender<MemberStatus>,
    commands: mpsc::UnboundedReceiver<Command>,
    assignor: IncrementalCooperativeAssignor,

    coordinator: Option<Connection>,
    /// The last coordinator's address, to leave the group through after a broken request.
    coordinator_addr: Option<String>,
    /// Since when the coordinator has been unknown.
    coordinator_lost_at: Option<Instant>,
    /// Which bootstrap server to ask first, rotating after failures.
    next_bootstrap: usize,

    state: State,
    member_id: String,
    generation: i32,
    /// The Connect protocol version of the last completed rebalance (before any: the version
    /// `connect.protocol` prefers), which decides eager or cooperative revocation.
    protocol_version: i16,
    /// Everything this member owns (cooperative assignments merged with what was kept); `None`
    /// before the first assignment and after a loss.
    assignment: Option<(i32, Assignment)>,
    /// The generation of the last completed SyncGroup, -1 before any (the assignor's input).
    last_completed_generation: i32,
    /// What this member, as leader, computed for the generation being synced, and then for
    /// the latest completed one.
    pending_leader_state: Option<Arc<LeaderState>>,
    leader_state: Option<Arc<LeaderState>>,
    needs_join_prepare: bool,
    /// Why the member must rejoin, if it must.
    rejoin: Option<String>,
    /// When an assignment's delay (or a failed assignment's backoff) asks for a rejoin.
    scheduled_rejoin: Option<Instant>,
    lost: Option<Lost>,
    last_heartbeat_sent: Instant,
    /// The last answer from the coordinator that proves this member is still in its session.
    last_heartbeat_ok: Instant,
    heartbeat_failed: bool,
    last_error: Option<String>,
    stopped: bool,
    backoff: PendingBackoff,
}

impl Member {
    fn new(
        settings: MemberSettings,
        security: Security,
        view: Arc<dyn ConfigView>,
        events: mpsc::Sender<MemberEvent>,
        status: watch::Sender<MemberStatus>,
        commands: mpsc::UnboundedReceiver<Command>,
    ) -> Self {
        let now = Instant::now();
        let protocol_version = match settings.protocol {
            ConnectProtocolCompatibility::Eager => 0,
            ConnectProtocolCompatibility::Compatible => 1,
            ConnectProtocolCompatibility::Sessioned => 2,
        };
        Member {
            assignor: IncrementalCooperativeAssignor::new(settings.scheduled_rebalance_max_delay),
            settings,
            security,
            view,
            events,
            status,
            commands,
            coordinator: None,
            coordinator_addr: None,
            coordinator_lost_at: None,
            next_bootstrap: 0,
            state: State::Unjoined,
            member_id: String::new(),
            generation: -1,
            protocol_version,
            assignment: None,
            last_completed_generation: -1,
            pending_leader_state: None,
            leader_state: None,
            needs_join_prepare: true,
            rejoin: None,
            scheduled_rejoin: None,
            lost: None,
            last_heartbeat_sent: now,
            last_heartbeat_ok: now,
            heartbeat_failed: false,
            last_error: None,
            stopped: false,
            backoff: PendingBackoff::default(),
        }
    }

    async fn run(mut self) {
        let notify = loop {
            if let Err(Stop(notify)) = self.step().await {
                break notify;
            }
        };
        self.leave_group("the worker is stopping").await;
        self.stopped = true;
        self.state = State::Unjoined;
        self.coordinator = None;
        self.publish();
        if let Some(tx) = notify {
            tx.send(()).ok();
        }
    }

    /// One turn of Kafka's `WorkerCoordinator.poll`: handle a loss, find the coordinator, join if
    /// needed, else heartbeat when due.
    async fn step(&mut self) -> Result<(), Stop> {
        let backoff = self.backoff.lock().ok().and_then(|mut b| b.take());
        if let Some((reason, pause)) = backoff {
            return self.back_off(reason, pause).await;
        }
        if self.lost.is_none()
            && self.owns_work()
            && self.state != State::PreparingRebalance
            && self.last_heartbeat_ok.elapsed() > self.settings.session_timeout
        {
            self.lost = Some(Lost {
                reason: format!(
                    "no answer from the group coordinator within session.timeout.ms ({} ms)",
                    self.settings.session_timeout.as_millis()
                ),
                reset_member_id: false,
            });
        }
        if let Some(lost) = self.lost.take() {
            self.lose(lost).await?;
        }
        if self.coordinator.is_none() {
            // Kafka's worker gives discovery `heartbeat.interval.ms` before it revokes its work.
            let found = if self.owns_work() {
                let limit = self
                    .settings
                    .heartbeat_interval
                    .max(Duration::from_millis(1));
                match tokio::time::timeout(limit, self.find_coordinator()).await {
                    Ok(found) => found?,
                    Err(_) => Err(DistributedError::Timeout(
                        "finding the group coordinator".into(),
                    )),
                }
            } else {
                self.find_coordinator().await?
            };
            if let Err(e) = found {
                self.fail(&e);
                self.revoke_if_unreachable().await?;
                self.sleep(self.settings.retry_backoff).await?;
                return Ok(());
            }
            self.coordinator_lost_at = None;
        }
        if self.rejoin_needed() {
            return self.join_group().await;
        }
        self.stable().await
    }

    fn owns_work(&self) -> bool {
        self.assignment
            .as_ref()
            .is_some_and(|(_, a)| !a.connectors.is_empty() || !a.tasks.is_empty())
    }

    fn rejoin_needed(&self) -> bool {
        self.assignment.is_none()
            || self.rejoin.is_some()
            || self.state != State::Stable
            || self.scheduled_rejoin.is_some_and(|t| t <= Instant::now())
    }

    /// Stable: wait for the next heartbeat, a scheduled rebalance or a command.
    async fn stable(&mut self) -> Result<(), Stop> {
        let beat = self.next_heartbeat();
        let wake = self.scheduled_rejoin.map_or(beat, |t| t.min(beat));
        self.idle_until(wake).await?;
        if self.rejoin.is_some() {
            return Ok(());
        }
        if self.scheduled_rejoin.is_some_and(|t| t <= Instant::now()) {
            self.scheduled_rejoin = None;
            self.rejoin = Some("the scheduled rebalance is due".into());
            return Ok(());
        }
        if Instant::now() >= beat {
            self.heartbeat().await?;
        }
        Ok(())
    }

    fn next_heartbeat(&self) -> Instant {
        let wait = if self.heartbeat_failed {
            self.settings.retry_backoff
        } else {
            self.settings.heartbeat_interval
        };
        self.last_heartbeat_sent + wait
    }

    fn heartbeat_enabled(&self) -> bool {
        self.coordinator.is_some()
            && self.lost.is_none()
            && matches!(self.state, State::CompletingRebalance | State::Stable)
    }

    /// One Heartbeat, as Kafka's `HeartbeatResponseHandler` reacts to it.
    async fn heartbeat(&mut self) -> Result<(), Stop> {
        if self.last_heartbeat_ok.elapsed() > self.settings.session_timeout {
            self.mark_coordinator_unknown("the session timed out without a heartbeat response");
            return Ok(());
        }
        self.last_heartbeat_sent = Instant::now();
        let group = group_id(&self.settings.group_id);
        let (generation, member_id) = (self.generation, str_bytes(&self.member_id));
        let response = self
            .call(
                "Heartbeat",
                0,
                REQUEST_TIMEOUT.min(self.settings.session_timeout),
                |_| {
                    HeartbeatRequest::default()
                        .with_group_id(group)
                        .with_generation_id(generation)
                        .with_member_id(member_id)
                },
            )
            .await?;
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                self.heartbeat_failed = true;
                self.fail(&e);
                return Ok(());
            }
        };
        match response.error_code {
            0 => {
                self.heartbeat_failed = false;
                self.last_heartbeat_ok = Instant::now();
            }
            REBALANCE_IN_PROGRESS => {
                self.heartbeat_failed = false;
                self.last_heartbeat_ok = Instant::now();
                // While joining the group already rebalances; only a stable member must rejoin.
                if self.state == State::Stable {
                    self.rejoin
                        .get_or_insert_with(|| "the group is rebalancing".into());
                }
            }
            code @ (ILLEGAL_GENERATION | UNKNOWN_MEMBER_ID | FENCED_INSTANCE_ID) => {
                self.lost = Some(Lost {
                    reason: format!(
                        "the coordinator answered the heartbeat of generation {generation} with {}",
                        kafka_error("Heartbeat", code, None)
                    ),
                    // An illegal generation keeps the member id, which may still be valid.
                    reset_member_id: code != ILLEGAL_GENERATION,
                });
            }
            code @ (NOT_COORDINATOR | COORDINATOR_NOT_AVAILABLE) => {
                self.heartbeat_failed = true;
                let e = kafka_error("Heartbeat", code, None);
                self.fail(&e);
                self.mark_coordinator_unknown(&e.to_string());
            }
            code => {
                self.heartbeat_failed = true;
                self.fail(&kafka_error("Heartbeat", code, None));
            }
        }
        Ok(())
    }

    /// Kafka's `joinGroupIfNeeded`, one attempt: prepare (eager: revoke everything), JoinGroup,
    /// assign if leader, SyncGroup, complete.
    async fn join_group(&mut self) -> Result<(), Stop> {
        if self.needs_join_prepare {
            self.needs_join_prepare = false;
            if self.protocol_version == 0
                && let Some((_, a)) = &mut self.assignment
                && a.error == AssignmentError::None
            {
                let connectors = std::mem::take(&mut a.connectors);
                let tasks = std::mem::take(&mut a.tasks);
                if !connectors.is_empty() || !tasks.is_empty() {
                    self.revoke(connectors, tasks).await?;
                }
            }
            if self.lost.is_some() {
                return Ok(());
            }
        }
        let reason = self
            .rejoin
            .take()
            .unwrap_or_else(|| "joining the group".to_owned());
        self.state = State::PreparingRebalance;
        self.leader_state = None;
        self.pending_leader_state = None;
        self.publish();

        let metadata = WorkerMetadata {
            url: self.settings.worker_url.clone(),
            config_offset: self.view.config_offset(),
            // A failed cooperative assignment still carries the work kept from before: the
            // leader must know it runs here.
            owned: self.assignment.as_ref().map(|(_, a)| OwnedWork {
                connectors: a.connectors.clone(),
                tasks: a.tasks.clone(),
            }),
        };
        let protocols = join_protocols(self.settings.protocol, &metadata)
            .into_iter()
            .map(|(name, bytes)| {
                JoinGroupRequestProtocol::default()
                    .with_name(StrBytes::from_static_str(name))
                    .with_metadata(Bytes::from(bytes))
            })
            .collect::<Vec<_>>();
        let group = group_id(&self.settings.group_id);
        let member_id = str_bytes(&self.member_id);
        let session = millis(self.settings.session_timeout);
        let rebalance = millis(self.settings.rebalance_timeout);
        let short_reason: String = reason.chars().take(MAX_REASON_CHARS).collect();
        tracing::info!(group = %self.settings.group_id, reason = %reason, "(re-)joining the group");
        let timeout =
            REQUEST_TIMEOUT.max(self.settings.rebalance_timeout + JOIN_GROUP_TIMEOUT_LAPSE);
        let response = self
            .call("JoinGroup", 1, timeout, |version| {
                let mut request = JoinGroupRequest::default()
                    .with_group_id(group)
                    .with_session_timeout_ms(session)
                    .with_rebalance_timeout_ms(rebalance)
                    .with_member_id(member_id)
                    .with_protocol_type(StrBytes::from_static_str(PROTOCOL_TYPE))
                    .with_protocols(protocols);
                if version >= 8 {
                    request = request.with_reason(Some(StrBytes::from_string(short_reason)));
                }
                request
            })
            .await?;
        // Any answer shows the coordinator still holds this member's session.
        self.last_heartbeat_ok = Instant::now();
        let response = match response {
            Ok(r) => r,
            Err(e) => return self.rebalance_failed(reason, &e, true).await,
        };
        match response.error_code {
            0 => {}
            MEMBER_ID_REQUIRED => {
                // KIP-394: the coordinator names the member id to join with; join again now.
                self.member_id = response.member_id.to_string();
                self.state = State::Unjoined;
                self.rejoin = Some(reason);
                return Ok(());
            }
            REBALANCE_IN_PROGRESS => {
                self.state = State::Unjoined;
                self.rejoin = Some(reason);
                return Ok(());
            }
            code @ UNKNOWN_MEMBER_ID => {
                self.lost = Some(Lost {
                    reason: format!("JoinGroup: {}", kafka_error("JoinGroup", code, None)),
                    reset_member_id: true,
                });
                self.state = State::Unjoined;
                return Ok(());
            }
            code => {
                let e = kafka_error("JoinGroup", code, None);
                if matches!(code, NOT_COORDINATOR | COORDINATOR_NOT_AVAILABLE) {
                    self.mark_coordinator_unknown(&e.to_string());
                }
                return self.rebalance_failed(reason, &e, true).await;
            }
        }
        if let Some(t) = response
            .protocol_type
            .as_ref()
            .filter(|t| t.as_str() != PROTOCOL_TYPE)
        {
            let e = inconsistent("JoinGroup", &format!("protocol type {t}"));
            return self.rebalance_failed(reason, &e, true).await;
        }
        let protocol = response
            .protocol_name
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default();
        let version = match version_of(&protocol) {
            Ok(v) => v,
            Err(e) => return self.rebalance_failed(reason, &e, true).await,
        };
        self.generation = response.generation_id;
        self.member_id = response.member_id.to_string();
        self.state = State::CompletingRebalance;
        self.last_heartbeat_sent = Instant::now();
        self.heartbeat_failed = false;
        let is_leader = response.leader == response.member_id;
        tracing::info!(
            generation = self.generation,
            member_id = %self.member_id,
            protocol = %protocol,
            leader = is_leader,
            "joined the group"
        );
        let assignments = if is_leader {
            match self
                .assign(response.leader.as_str(), version, &response.members)
                .await?
            {
                Ok(a) => a,
                Err(e) => return self.rebalance_failed(reason, &e, true).await,
            }
        } else {
            Vec::new()
        };
        if self.state != State::CompletingRebalance || self.lost.is_some() {
            // A heartbeat during the leader's assignment found the generation gone.
            self.rejoin.get_or_insert(reason);
            return Ok(());
        }

        let group = group_id(&self.settings.group_id);
        let (generation, member_id) = (self.generation, str_bytes(&self.member_id));
        let protocol_name = StrBytes::from_string(protocol.clone());
        let response = self
            .call("SyncGroup", 0, REQUEST_TIMEOUT.max(timeout), |_| {
                SyncGroupRequest::default()
                    .with_group_id(group)
                    .with_generation_id(generation)
                    .with_member_id(member_id)
                    .with_protocol_type(Some(StrBytes::from_static_str(PROTOCOL_TYPE)))
                    .with_protocol_name(Some(protocol_name))
                    .with_assignments(assignments)
            })
            .await?;
        let response = match response {
            Ok(r) => r,
            Err(e) => return self.rebalance_failed(reason, &e, true).await,
        };
        match response.error_code {
            0 => {}
            REBALANCE_IN_PROGRESS => {
                self.state = State::Unjoined;
                self.rejoin = Some(reason);
                return Ok(());
            }
            code @ (UNKNOWN_MEMBER_ID | ILLEGAL_GENERATION) => {
                self.lost = Some(Lost {
                    reason: format!("SyncGroup: {}", kafka_error("SyncGroup", code, None)),
                    reset_member_id: code == UNKNOWN_MEMBER_ID,
                });
                self.state = State::Unjoined;
                return Ok(());
            }
            code => {
                let e = kafka_error("SyncGroup", code, None);
                if matches!(code, NOT_COORDINATOR | COORDINATOR_NOT_AVAILABLE) {
                    self.mark_coordinator_unknown(&e.to_string());
                }
                return self.rebalance_failed(reason, &e, true).await;
            }
        }
        if let Some(t) = response
            .protocol_type
            .as_ref()
            .filter(|t| t.as_str() != PROTOCOL_TYPE)
        {
            let e = inconsistent("SyncGroup", &format!("protocol type {t}"));
            return self.rebalance_failed(reason, &e, true).await;
        }
        if let Some(p) = response
            .protocol_name
            .as_ref()
            .filter(|p| p.as_str() != protocol)
        {
            let e = inconsistent(
                "SyncGroup",
                &format!("protocol {p}, joined with {protocol}"),
            );
            return self.rebalance_failed(reason, &e, true).await;
        }
        if response.assignment.is_empty() {
            // Every Connect leader writes at least a version header, so no assignment means the
            // generation was completed without its leader's SyncGroup: tansu 0.6 does this when
            // the leader expires mid-rebalance, and then hands the same empty generation to
            // every rejoin of this member id. Leave and come back as a new member, which
            // forces a real rebalance (a Kafka coordinator never gets here).
            tracing::warn!(
                generation = self.generation,
                member_id = %self.member_id,
                "SyncGroup gave no assignment (the generation lost its leader); rejoining as a new member"
            );
            self.leave_group("the generation lost its leader").await;
            self.member_id.clear();
            self.generation = -1;
            let e = DistributedError::Protocol(
                "SyncGroup gave an empty assignment: the generation lost its leader".to_owned(),
            );
            return self.rebalance_failed(reason, &e, true).await;
        }
        let assignment = match decode_assignment(&response.assignment) {
            Ok(a) => a,
            Err(e) => return self.rebalance_failed(reason, &e, true).await,
        };
        self.state = State::Stable;
        self.on_join_complete(version, assignment).await
    }

    /// A rebalance attempt failed: rejoin, after `retry.backoff.ms` unless Kafka retries at once.
    async fn rebalance_failed(
        &mut self,
        reason: String,
        error: &DistributedError,
        backoff: bool,
    ) -> Result<(), Stop> {
        self.fail(error);
        self.state = State::Unjoined;
        self.rejoin = Some(reason);
        if backoff {
            self.sleep(self.settings.retry_backoff).await?;
        }
        Ok(())
    }

    /// The leader's duty (Kafka's `onLeaderElected` + the assignors' `performAssignment`): read
    /// the config to the highest offset any member has, assign, and encode each member's part.
    async fn assign(
        &mut self,
        leader_id: &str,
        version: i16,
        members: &[JoinGroupResponseMember],
    ) -> Result<Result<Vec<SyncGroupRequestAssignment>, DistributedError>, Stop> {
        let mut infos = Vec::with_capacity(members.len());
        for m in members {
            match decode_metadata(&m.metadata) {
                Ok((_, metadata)) => infos.push(MemberInfo {
                    member_id: m.member_id.to_string(),
                    metadata,
                }),
                Err(e) => {
                    return Ok(Err(DistributedError::Protocol(format!(
                        "the metadata of member {}: {e}",
                        m.member_id.as_str()
                    ))));
                }
            }
        }
        let max_offset = max_config_offset(&infos).unwrap_or(-1);
        let leader_url = infos.iter().find(|m| m.member_id == leader_id).map_or_else(
            || self.settings.worker_url.clone(),
            |m| m.metadata.url.clone(),
        );
        let view = self.view.clone();
        let snapshot = self
            .heartbeat_while(async move { view.snapshot_at_least(max_offset).await })
            .await?;
        let assignments: BTreeMap<String, Assignment> = match snapshot {
            Ok(config) if version == 0 => {
                let a = assign_eager(leader_id, &leader_url, &infos, &config);
                self.pending_leader_state =
                    Some(Arc::new(LeaderState::from_complete_assignments(&infos, &a)));
                a
            }
            Ok(config) => {
                let a = self.assignor.assign(
                    now_ms(),
                    leader_id,
                    &leader_url,
                    self.generation,
                    self.last_completed_generation,
                    version,
                    &infos,
                    &config,
                );
                self.pending_leader_state = Some(Arc::new(self.assignor.leader_state().clone()));
                a
            }
            Err(e) => {
                tracing::warn!(
                    max_offset,
                    error = %e,
                    "elected leader but cannot read the config topic to the members' offset; \
                     assigning CONFIG_MISMATCH so the group re-syncs"
                );
                config_mismatch(leader_id, &leader_url, &infos, version)
            }
        };
        Ok(Ok(assignments
            .iter()
            .map(|(member, a)| {
                SyncGroupRequestAssignment::default()
                    .with_member_id(str_bytes(member))
                    .with_assignment(Bytes::from(encode_assignment(a)))
            })
            .collect()))
    }

    /// Kafka's `WorkerCoordinator.onJoinComplete` and the herder's reaction to revocations.
    async fn on_join_complete(&mut self, version: i16, received: Assignment) -> Result<(), Stop> {
        self.protocol_version = version;
        self.last_completed_generation = self.generation;
        self.leader_state = if received.leader == self.member_id {
            self.pending_leader_state.take()
        } else {
            None
        };
        self.last_heartbeat_ok = Instant::now();
        self.last_heartbeat_sent = Instant::now();
        self.heartbeat_failed = false;
        let mut full = received;
        if version > 0 {
            let revoked = !full.revoked_connectors.is_empty() || !full.revoked_tasks.is_empty();
            if revoked {
                self.revoke(full.revoked_connectors.clone(), full.revoked_tasks.clone())
                    .await?;
                // Kafka's herder rejoins once the revoked work is stopped, so the leader can
                // give it to others in the next round.
                self.rejoin.get_or_insert_with(|| {
                    "work was revoked; rejoining so the leader can reassign it".into()
                });
            }
            if let Some((_, previous)) = &self.assignment {
                let kept_connectors = previous
                    .connectors
                    .iter()
                    .filter(|c| !full.revoked_connectors.contains(c))
                    .cloned()
                    .collect::<Vec<_>>();
                let kept_tasks = previous
                    .tasks
                    .iter()
                    .filter(|t| !full.revoked_tasks.contains(t))
                    .cloned()
                    .collect::<Vec<_>>();
                merge(&mut full.connectors, kept_connectors);
                merge(&mut full.tasks, kept_tasks);
            }
        } else if let Some((_, previous)) = &self.assignment {
            // The group fell back to eager while this member ran cooperative work: an eager
            // assignment is complete, so what it leaves out must stop first.
            let connectors: Vec<String> = previous
                .connectors
                .iter()
                .filter(|c| !full.connectors.contains(c))
                .cloned()
                .collect();
            let tasks: Vec<ConnectorTaskId> = previous
                .tasks
                .iter()
                .filter(|t| !full.tasks.contains(t))
                .cloned()
                .collect();
            if !connectors.is_empty() || !tasks.is_empty() {
                self.revoke(connectors, tasks).await?;
            }
        }
        let now = Instant::now();
        self.scheduled_rejoin = if full.error != AssignmentError::None {
            Some(now + self.settings.retry_backoff)
        } else if !full.delay.is_zero() {
            Some(now + full.delay)
        } else {
            None
        };
        self.needs_join_prepare = true;
        self.last_error = None;
        tracing::info!(
            generation = self.generation,
            protocol_version = version,
            connectors = ?full.connectors,
            tasks = full.tasks.len(),
            error = ?full.error,
            delay_ms = full.delay.as_millis(),
            "rebalance completed"
        );
        self.assignment = Some((self.generation, full.clone()));
        self.publish();
        self.emit(MemberEvent::Assigned {
            generation: self.generation,
            member_id: self.member_id.clone(),
            assignment: full,
        })
        .await
    }

    /// Membership is gone: stop everything, tell the runtime, and start over.
    async fn lose(&mut self, lost: Lost) -> Result<(), Stop> {
        tracing::warn!(reason = %lost.reason, "group membership lost");
        self.state = State::Unjoined;
        self.generation = -1;
        if lost.reset_member_id {
            self.member_id.clear();
        }
        self.needs_join_prepare = true;
        self.scheduled_rejoin = None;
        self.leader_state = None;
        self.last_error = Some(lost.reason.clone());
        self.publish();
        self.give_up_assignment(lost.reason).await
    }

    /// [`MemberHandle::leave_and_back_off`].
    async fn back_off(&mut self, reason: String, pause: Duration) -> Result<(), Stop> {
        tracing::warn!(%reason, backoff_ms = pause.as_millis(), "leaving the group and backing off before rejoining");
        self.leave_group("the worker cannot read the config topic to the assignment's offset")
            .await;
        self.lose(Lost {
            reason,
            reset_member_id: true,
        })
        .await?;
        self.rejoin = None;
        self.sleep(pause).await
    }

    /// Revokes everything owned (if anything) and tells the runtime membership is lost.
    async fn give_up_assignment(&mut self, reason: String) -> Result<(), Stop> {
        if let Some((_, a)) = self.assignment.take() {
            self.publish();
            if !a.connectors.is_empty() || !a.tasks.is_empty() {
                self.revoke(a.connectors, a.tasks).await?;
            }
            self.emit(MemberEvent::Lost { reason }).await?;
        }
        Ok(())
    }

    /// Kafka's `WorkerCoordinator.poll`: a coordinator unreachable for `heartbeat.interval.ms`
    /// revokes the assignment, so nothing runs while this worker may no longer be a member.
    async fn revoke_if_unreachable(&mut self) -> Result<(), Stop> {
        let Some(since) = self.coordinator_lost_at else {
            return Ok(());
        };
        if since.elapsed() < self.settings.heartbeat_interval || self.assignment.is_none() {
            return Ok(());
        }
        let reason = format!(
            "the group coordinator was unreachable for {} ms",
            since.elapsed().as_millis()
        );
        tracing::warn!("{reason}; revoking the assignment");
        self.give_up_assignment(reason).await
    }

    /// Asks the runtime to stop `connectors`/`tasks` and waits for it (at most
    /// `rebalance.timeout.ms`), heartbeating meanwhile.
    async fn revoke(
        &mut self,
        connectors: Vec<String>,
        tasks: Vec<ConnectorTaskId>,
    ) -> Result<(), Stop> {
        tracing::info!(?connectors, tasks = tasks.len(), "revoking");
        let (done, stopped) = oneshot::channel();
        self.emit(MemberEvent::Revoke {
            connectors,
            tasks,
            done,
        })
        .await?;
        let limit = self.settings.rebalance_timeout;
        match self
            .heartbeat_while(tokio::time::timeout(limit, stopped))
            .await?
        {
            Ok(_) => {}
            Err(_) => tracing::warn!(
                "the runtime did not confirm the revocation within rebalance.timeout.ms ({} ms); going on",
                limit.as_millis()
            ),
        }
        Ok(())
    }

    /// Sends an event, heartbeating while the runtime is slow to take it.
    async fn emit(&mut self, event: MemberEvent) -> Result<(), Stop> {
        let events = self.events.clone();
        match self
            .heartbeat_while(async move { events.send(event).await })
            .await?
        {
            Ok(()) => Ok(()),
            // Nobody listens any more: the runtime is gone, so leave.
            Err(_) => Err(Stop(None)),
        }
    }

    /// Drives `fut` to completion while heartbeating when due and taking commands.
    async fn heartbeat_while<F: Future>(&mut self, fut: F) -> Result<F::Output, Stop> {
        let mut fut = std::pin::pin!(fut);
        loop {
            let beat = self.heartbeat_enabled().then(|| self.next_heartbeat());
            let due = async move {
                match beat {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                out = &mut fut => return Ok(out),
                cmd = self.commands.recv() => apply(cmd, &mut self.rejoin)?,
                () = due => self.heartbeat().await?,
            }
        }
    }

    /// Sleeps until `deadline` or the next command.
    async fn idle_until(&mut self, deadline: Instant) -> Result<(), Stop> {
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => Ok(()),
            cmd = self.commands.recv() => apply(cmd, &mut self.rejoin),
        }
    }

    async fn sleep(&mut self, pause: Duration) -> Result<(), Stop> {
        guarded(
            &mut self.commands,
            &mut self.rejoin,
            tokio::time::sleep(pause),
        )
        .await
    }

    /// One request to the coordinator; a transport failure forgets the coordinator, as Kafka's
    /// client does on a disconnect.
    async fn call<R: Request>(
        &mut self,
        api: &'static str,
        min_version: i16,
        timeout: Duration,
        build: impl FnOnce(i16) -> R,
    ) -> Result<Result<R::Response, DistributedError>, Stop> {
        let Some(conn) = self.coordinator.as_mut() else {
            return Ok(Err(kafka_error(api, COORDINATOR_NOT_AVAILABLE, None)));
        };
        let version = match conn.version::<R>(api, min_version) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        let request = build(version);
        let sent = guarded(
            &mut self.commands,
            &mut self.rejoin,
            conn.send(api, &request, version, timeout),
        )
        .await;
        match sent {
            Ok(Ok(response)) => Ok(Ok(response)),
            Ok(Err(e)) => {
                self.mark_coordinator_unknown(&e.to_string());
                Ok(Err(e))
            }
            Err(stop) => {
                // The request may be half sent; the connection is unusable.
                self.coordinator = None;
                Err(stop)
            }
        }
    }

    fn mark_coordinator_unknown(&mut self, cause: &str) {
        if let Some(conn) = self.coordinator.take() {
            tracing::info!(
                coordinator = conn.broker(),
                cause,
                "the group coordinator is unavailable; rediscovering it"
            );
            self.coordinator_lost_at.get_or_insert_with(Instant::now);
            self.publish();
        }
    }

    /// Kafka's `ensureCoordinatorReady`: FindCoordinator (key type group) through a bootstrap
    /// server, then a connection to the coordinator it names.
    async fn find_coordinator(&mut self) -> Result<Result<(), DistributedError>, Stop> {
        self.coordinator_lost_at.get_or_insert_with(Instant::now);
        let servers = self.settings.bootstrap.clone();
        let mut last = DistributedError::Config("bootstrap.servers is empty".into());
        for i in 0..servers.len() {
            let broker = &servers[(self.next_bootstrap + i) % servers.len()];
            match self.lookup_via(broker).await? {
                Ok(conn) => {
                    tracing::info!(
                        coordinator = conn.broker(),
                        "discovered the group coordinator"
                    );
                    self.coordinator_addr = Some(conn.broker().to_owned());
                    self.coordinator = Some(conn);
                    // Kafka's `heartbeat.resetSessionTimeout()` on discovery: the session is
                    // judged by this coordinator's answers from now on.
                    self.last_heartbeat_ok = Instant::now();
                    self.publish();
                    return Ok(Ok(()));
                }
                Err(e) => last = e,
            }
        }
        self.next_bootstrap = self.next_bootstrap.wrapping_add(1);
        Ok(Err(last))
    }

    async fn lookup_via(
        &mut self,
        broker: &str,
    ) -> Result<Result<Connection, DistributedError>, Stop> {
        let open = Connection::open(
            broker,
            &self.security,
            &self.settings.client_id,
            CONNECT_TIMEOUT,
        );
        let mut conn = match guarded(&mut self.commands, &mut self.rejoin, open).await? {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let version = match conn.version::<FindCoordinatorRequest>("FindCoordinator", 0) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        let group = str_bytes(&self.settings.group_id);
        // Version 4 (KIP-699) looks keys up in batches.
        let request = if version >= 4 {
            FindCoordinatorRequest::default().with_coordinator_keys(vec![group])
        } else {
            FindCoordinatorRequest::default().with_key(group)
        };
        let sent = conn.send("FindCoordinator", &request, version, REQUEST_TIMEOUT);
        let response = match guarded(&mut self.commands, &mut self.rejoin, sent).await? {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let (code, message, host, port) = if version >= 4 {
            match response.coordinators.first() {
                Some(c) if response.coordinators.len() == 1 => (
                    c.error_code,
                    c.error_message.clone(),
                    c.host.clone(),
                    c.port,
                ),
                _ => {
                    return Ok(Err(DistributedError::Protocol(format!(
                        "FindCoordinator via {broker}: {} coordinators for one group",
                        response.coordinators.len()
                    ))));
                }
            }
        } else {
            (
                response.error_code,
                response.error_message.clone(),
                response.host.clone(),
                response.port,
            )
        };
        if code != 0 {
            return Ok(Err(kafka_error("FindCoordinator", code, message.as_ref())));
        }
        let address = if host.contains(':') {
            format!("[{}]:{port}", host.as_str())
        } else {
            format!("{}:{port}", host.as_str())
        };
        if address == broker {
            return Ok(Ok(conn));
        }
        drop(conn);
        let open = Connection::open(
            &address,
            &self.security,
            &self.settings.client_id,
            CONNECT_TIMEOUT,
        );
        guarded(&mut self.commands, &mut self.rejoin, open).await
    }

    /// Kafka's `maybeLeaveGroup`: a best-effort LeaveGroup so the group rebalances now rather
    /// than after the session timeout.
    async fn leave_group(&mut self, reason: &str) {
        if self.member_id.is_empty() {
            return;
        }
        let conn = match self.coordinator.take() {
            Some(c) => Some(c),
            None => match &self.coordinator_addr {
                Some(addr) => Connection::open(
                    addr,
                    &self.security,
                    &self.settings.client_id,
                    LEAVE_TIMEOUT,
                )
                .await
                .ok(),
                None => None,
            },
        };
        let Some(mut conn) = conn else {
            tracing::info!("no coordinator to send LeaveGroup to; the session will expire");
            return;
        };
        let Ok(version) = conn.version::<LeaveGroupRequest>("LeaveGroup", 0) else {
            return;
        };
        let group = group_id(&self.settings.group_id);
        let member_id = str_bytes(&self.member_id);
        // Version 3 (KIP-345) leaves in batches, version 5 (KIP-800) with a reason.
        let request = if version >= 3 {
            let mut identity = MemberIdentity::default().with_member_id(member_id);
            if version >= 5 {
                identity = identity.with_reason(Some(StrBytes::from_string(reason.to_owned())));
            }
            LeaveGroupRequest::default()
                .with_group_id(group)
                .with_members(vec![identity])
        } else {
            LeaveGroupRequest::default()
                .with_group_id(group)
                .with_member_id(member_id)
        };
        tracing::info!(member_id = %self.member_id, "leaving the group");
        match conn
            .send("LeaveGroup", &request, version, LEAVE_TIMEOUT)
            .await
        {
            Ok(r) => {
                let code = if r.error_code != 0 {
                    r.error_code
                } else {
                    r.members.first().map_or(0, |m| m.error_code)
                };
                if code != 0 {
                    tracing::info!(error = %kafka_error("LeaveGroup", code, None), "LeaveGroup refused");
                }
            }
            Err(e) => tracing::info!(error = %e, "LeaveGroup failed"),
        }
    }

    fn fail(&mut self, error: &DistributedError) {
        tracing::warn!(group = %self.settings.group_id, error = %error, "group membership");
        self.last_error = Some(error.to_string());
        self.publish();
    }

    /// Publishes the status when it changed.
    fn publish(&self) {
        let assignment = self.assignment.as_ref();
        let status = MemberStatus {
            joined: !self.stopped
                && assignment.is_some_and(|(_, a)| a.error == AssignmentError::None),
            generation: assignment.map_or(-1, |(g, _)| *g),
            member_id: self.member_id.clone(),
            leader_id: assignment.map(|(_, a)| a.leader.clone()),
            leader_url: assignment.map(|(_, a)| a.leader_url.clone()),
            is_leader: assignment.is_some_and(|(_, a)| a.leader == self.member_id),
            protocol_version: assignment.map(|(_, a)| a.protocol_version),
            coordinator: self.coordinator.as_ref().map(|c| c.broker().to_owned()),
            last_error: self.last_error.clone(),
            leader_state: self.leader_state.clone(),
            stopped: self.stopped,
        };
        self.status.send_if_modified(|s| {
            let changed = *s != status;
            *s = status;
            changed
        });
    }
}

/// Applies a command that arrived while the member waited.
fn apply(cmd: Option<Command>, rejoin: &mut Option<String>) -> Result<(), Stop> {
    match cmd {
        Some(Command::Rejoin) => {
            rejoin.get_or_insert_with(|| "the worker requested a rejoin".into());
            Ok(())
        }
        Some(Command::Leave(done)) => Err(Stop(Some(done))),
        None => Err(Stop(None)),
    }
}

/// Drives `fut` while taking commands; a leave ends the wait.
async fn guarded<F: Future>(
    commands: &mut mpsc::UnboundedReceiver<Command>,
    rejoin: &mut Option<String>,
    fut: F,
) -> Result<F::Output, Stop> {
    let mut fut = std::pin::pin!(fut);
    loop {
        tokio::select! {
            biased;
            out = &mut fut => return Ok(out),
            cmd = commands.recv() => apply(cmd, rejoin)?,
        }
    }
}

/// Appends the `kept` items `into` lacks.
fn merge<T: PartialEq>(into: &mut Vec<T>, kept: Vec<T>) {
    for item in kept {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

fn inconsistent(api: &'static str, what: &str) -> DistributedError {
    DistributedError::Kafka {
        api,
        code: INCONSISTENT_GROUP_PROTOCOL,
        name: "InconsistentGroupProtocol".into(),
        message: Some(format!("the coordinator answered with {what}")),
    }
}

fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

fn group_id(s: &str) -> GroupId {
    GroupId(str_bytes(s))
}

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
