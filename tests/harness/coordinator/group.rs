//! The classic group coordinator's state machine, as Kafka 3.9's `GroupCoordinator.scala`,
//! `GroupMetadata.scala`, `MemberMetadata.scala` and the delayed operations (`DelayedJoin`,
//! `InitialDelayedJoin`, `DelayedSync`, `DelayedHeartbeat`) run it, without the offsets and the
//! log: groups live in memory for as long as the coordinator does.
//!
//! Kafka's purgatories become tokio timers. Each delayed operation is a [`Timer`] carrying the
//! epoch it was armed in; completing or replacing the operation bumps the epoch, so a timer
//! that fires for an older epoch does nothing (Kafka's `checkAndComplete` before expiry).
//! Handlers run under one lock and return the timers they arm, which the caller spawns
//! after releasing it.
//!
//! Where Kafka picks by hash-map order (the next leader when the leader leaves, the winner of a
//! tied protocol vote) this picks by join order. Static membership (`group.instance.id`) is
//! refused: JoinGroup answers `INVALID_REQUEST`, and heartbeats, syncs and leaves naming an
//! instance get Kafka's `UNKNOWN_MEMBER_ID` for an instance it does not know.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use tokio::sync::oneshot;

/// `JoinGroupRequest.UNKNOWN_MEMBER_ID`.
const UNKNOWN_MEMBER_ID: &str = "";
/// `GroupCoordinator.NewMemberJoinTimeoutMs`: a new member's JoinGroup is dropped after 5
/// minutes without the rebalance completing.
const NEW_MEMBER_JOIN_TIMEOUT_MS: i32 = 5 * 60 * 1000;
/// `GroupCoordinator.NoGeneration`.
const NO_GENERATION: i32 = -1;

const NONE: i16 = 0;

fn code(e: ResponseError) -> i16 {
    e.code()
}

/// Answers a request; the client may be gone, and Kafka drops such an answer as well.
fn send<T>(tx: oneshot::Sender<T>, answer: T) {
    tx.send(answer).ok();
}

/// The coordinator's settings, Kafka's `group.*` broker configs.
#[derive(Clone, Debug)]
pub struct Config {
    /// `group.min.session.timeout.ms` (Kafka's default 6000).
    pub min_session_timeout_ms: i32,
    /// `group.max.session.timeout.ms` (Kafka's default 1800000).
    pub max_session_timeout_ms: i32,
    /// `group.initial.rebalance.delay.ms`. Kafka's default is 3000; tests want the first
    /// generation at once, so ours is 0.
    pub initial_rebalance_delay_ms: i32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            min_session_timeout_ms: 6000,
            max_session_timeout_ms: 1_800_000,
            initial_rebalance_delay_ms: 0,
        }
    }
}

/// Kafka's `GroupState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

impl GroupState {
    /// The name DescribeGroups reports (`GroupState.toString`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Empty => "Empty",
            Self::PreparingRebalance => "PreparingRebalance",
            Self::CompletingRebalance => "CompletingRebalance",
            Self::Stable => "Stable",
            Self::Dead => "Dead",
        }
    }
}

/// A JoinGroup request, whatever its version.
#[derive(Clone, Debug, Default)]
pub struct JoinRequest {
    pub group_id: String,
    pub member_id: String,
    pub group_instance_id: Option<String>,
    /// Version 4 and later (without an instance id): a member without an id gets one and
    /// `MEMBER_ID_REQUIRED`.
    pub require_known_member_id: bool,
    pub client_id: String,
    pub client_host: String,
    /// Version 0 has none: pass the session timeout, as Kafka does.
    pub rebalance_timeout_ms: i32,
    pub session_timeout_ms: i32,
    pub protocol_type: String,
    /// In the member's order of preference.
    pub protocols: Vec<(String, Bytes)>,
}

/// Kafka's `JoinGroupResult`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinResult {
    pub error: i16,
    pub member_id: String,
    pub generation_id: i32,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub leader: String,
    /// Every member's id and metadata for the chosen protocol, for the leader only.
    pub members: Vec<(String, Bytes)>,
}

impl JoinResult {
    fn error(member_id: &str, error: i16) -> Self {
        Self {
            error,
            member_id: member_id.to_owned(),
            generation_id: NO_GENERATION,
            protocol_type: None,
            protocol_name: None,
            leader: String::new(),
            members: Vec::new(),
        }
    }
}

/// A SyncGroup request.
#[derive(Clone, Debug, Default)]
pub struct SyncRequest {
    pub group_id: String,
    pub generation_id: i32,
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    /// The leader's assignment, member id → bytes; empty from followers.
    pub assignments: Vec<(String, Bytes)>,
}

/// Kafka's `SyncGroupResult`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncResult {
    pub error: i16,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub assignment: Bytes,
}

impl SyncResult {
    fn error(error: i16) -> Self {
        Self {
            error,
            protocol_type: None,
            protocol_name: None,
            assignment: Bytes::new(),
        }
    }
}

/// One member of a LeaveGroup request (version 3 and later send several).
#[derive(Clone, Debug, Default)]
pub struct Leaving {
    pub member_id: String,
    pub group_instance_id: Option<String>,
}

/// Kafka's `LeaveGroupResult`: the top-level error and one per member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaveResult {
    pub error: i16,
    /// (member id, group instance id, error), in the request's order.
    pub members: Vec<(String, Option<String>, i16)>,
}

/// Kafka's `GroupSummary` for DescribeGroups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSummary {
    pub error: i16,
    pub state: String,
    pub protocol_type: String,
    pub protocol: String,
    pub members: Vec<MemberSummary>,
}

/// Kafka's `MemberSummary`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSummary {
    pub member_id: String,
    pub client_id: String,
    pub client_host: String,
    pub metadata: Bytes,
    pub assignment: Bytes,
}

/// Kafka's `MemberMetadata`; the awaiting callbacks are the senders of the pending responses.
#[derive(Debug)]
struct Member {
    id: String,
    client_id: String,
    client_host: String,
    rebalance_timeout_ms: i32,
    session_timeout_ms: i32,
    protocol_type: String,
    protocols: Vec<(String, Bytes)>,
    assignment: Bytes,
    awaiting_join: Option<oneshot::Sender<JoinResult>>,
    awaiting_sync: Option<oneshot::Sender<SyncResult>>,
    is_new: bool,
    heartbeat_satisfied: bool,
    /// Bumped whenever the heartbeat expectation is completed and rescheduled.
    heartbeat_epoch: u64,
}

impl Member {
    fn has_satisfied_heartbeat(&self) -> bool {
        if self.is_new {
            self.heartbeat_satisfied
        } else if self.awaiting_join.is_some() || self.awaiting_sync.is_some() {
            true
        } else {
            self.heartbeat_satisfied
        }
    }

    fn matches(&self, protocols: &[(String, Bytes)]) -> bool {
        self.protocols == protocols
    }

    fn metadata(&self, protocol: &str) -> Bytes {
        self.protocols
            .iter()
            .find(|(name, _)| name == protocol)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }

    fn vote(&self, candidates: &HashSet<&str>) -> Option<String> {
        self.protocols
            .iter()
            .find(|(name, _)| candidates.contains(name.as_str()))
            .map(|(name, _)| name.clone())
    }

    fn invoke_join(&mut self, result: JoinResult) {
        if let Some(tx) = self.awaiting_join.take() {
            // The client may be gone; Kafka drops such a response as well.
            send(tx, result);
        }
    }

    fn invoke_sync(&mut self, result: SyncResult) -> bool {
        match self.awaiting_sync.take() {
            Some(tx) => {
                send(tx, result);
                true
            }
            None => false,
        }
    }
}

/// The pending join operation of a group: Kafka's `DelayedJoin` or `InitialDelayedJoin` in the
/// rebalance purgatory.
#[derive(Clone, Copy, Debug)]
enum JoinOp {
    Delayed,
    Initial { delay_ms: i32, remaining_ms: i32 },
}

/// Kafka's `GroupMetadata`.
#[derive(Debug)]
struct Group {
    state: GroupState,
    protocol_type: Option<String>,
    protocol_name: Option<String>,
    generation: i32,
    leader: Option<String>,
    /// In join order.
    members: Vec<Member>,
    pending_members: HashSet<String>,
    pending_sync: HashSet<String>,
    new_member_added: bool,
    join_op: Option<(u64, JoinOp)>,
    join_epoch: u64,
    sync_epoch: u64,
}

impl Group {
    fn new() -> Self {
        Self {
            state: GroupState::Empty,
            protocol_type: None,
            protocol_name: None,
            generation: 0,
            leader: None,
            members: Vec::new(),
            pending_members: HashSet::new(),
            pending_sync: HashSet::new(),
            new_member_added: false,
            join_op: None,
            join_epoch: 0,
            sync_epoch: 0,
        }
    }

    fn has(&self, id: &str) -> bool {
        self.members.iter().any(|m| m.id == id)
    }

    fn get(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.id == id)
    }

    fn is_leader(&self, id: &str) -> bool {
        self.leader.as_deref() == Some(id)
    }

    fn has_all_members_joined(&self) -> bool {
        self.members.iter().all(|m| m.awaiting_join.is_some()) && self.pending_members.is_empty()
    }

    fn rebalance_timeout_ms(&self) -> i32 {
        self.members
            .iter()
            .map(|m| m.rebalance_timeout_ms)
            .fold(0, i32::max)
    }

    fn can_rebalance(&self) -> bool {
        matches!(
            self.state,
            GroupState::Stable | GroupState::CompletingRebalance | GroupState::Empty
        )
    }

    fn supported_count(&self, protocol: &str) -> usize {
        self.members
            .iter()
            .filter(|m| m.protocols.iter().any(|(n, _)| n == protocol))
            .count()
    }

    fn supports_protocols(&self, protocol_type: &str, protocols: &[(String, Bytes)]) -> bool {
        if self.state == GroupState::Empty {
            !protocol_type.is_empty() && !protocols.is_empty()
        } else {
            self.protocol_type.as_deref() == Some(protocol_type)
                && protocols
                    .iter()
                    .any(|(n, _)| self.supported_count(n) == self.members.len())
        }
    }

    /// Kafka's vote: each member names its most preferred protocol among those every member
    /// supports; the most named wins.
    fn select_protocol(&self) -> Option<String> {
        let candidates: HashSet<&str> = self
            .members
            .iter()
            .flat_map(|m| m.protocols.iter().map(|(n, _)| n.as_str()))
            .filter(|n| self.supported_count(n) == self.members.len())
            .collect();
        let mut votes: Vec<(String, usize)> = Vec::new();
        for vote in self.members.iter().filter_map(|m| m.vote(&candidates)) {
            match votes.iter_mut().find(|(p, _)| *p == vote) {
                Some((_, n)) => *n += 1,
                None => votes.push((vote, 1)),
            }
        }
        let best = votes.iter().map(|(_, n)| *n).max()?;
        votes.into_iter().find(|(_, n)| *n == best).map(|(p, _)| p)
    }

    fn add(&mut self, member: Member) {
        if self.members.is_empty() {
            self.protocol_type = Some(member.protocol_type.clone());
        }
        if self.leader.is_none() {
            self.leader = Some(member.id.clone());
        }
        self.pending_members.remove(&member.id);
        self.members.push(member);
    }

    fn remove(&mut self, id: &str) {
        self.members.retain(|m| m.id != id);
        if self.is_leader(id) {
            self.leader = self.members.first().map(|m| m.id.clone());
        }
        self.pending_members.remove(id);
        self.pending_sync.remove(id);
    }

    fn maybe_elect_new_joined_leader(&mut self) -> bool {
        let Some(leader) = self.leader.clone() else {
            return false;
        };
        if self.get(&leader).is_some_and(|m| m.awaiting_join.is_some()) {
            return true;
        }
        match self.members.iter().find(|m| m.awaiting_join.is_some()) {
            Some(m) => {
                self.leader = Some(m.id.clone());
                true
            }
            None => false,
        }
    }

    fn init_next_generation(&mut self) {
        self.generation += 1;
        if self.members.is_empty() {
            self.protocol_name = None;
            self.state = GroupState::Empty;
        } else {
            self.protocol_name = self.select_protocol();
            self.state = GroupState::CompletingRebalance;
        }
        self.pending_sync.clear();
    }

    fn current_member_metadata(&self) -> Vec<(String, Bytes)> {
        let protocol = self.protocol_name.clone().unwrap_or_default();
        self.members
            .iter()
            .map(|m| (m.id.clone(), m.metadata(&protocol)))
            .collect()
    }

    fn join_result(&self, member_id: &str, with_members: bool) -> JoinResult {
        JoinResult {
            error: NONE,
            member_id: member_id.to_owned(),
            generation_id: self.generation,
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol_name.clone(),
            leader: self.leader.clone().unwrap_or_default(),
            members: if with_members {
                self.current_member_metadata()
            } else {
                Vec::new()
            },
        }
    }
}

/// A delayed operation to arm: fire [`Coordinator::expire`] with it after `after`.
#[derive(Clone, Debug)]
pub(crate) struct Timer {
    pub after: Duration,
    pub kind: TimerKind,
}

/// What a [`Timer`] expires.
#[derive(Clone, Debug)]
pub(crate) enum TimerKind {
    /// `DelayedHeartbeat` of a member.
    Heartbeat {
        group: String,
        member: String,
        epoch: u64,
    },
    /// `DelayedHeartbeat` of a pending member (one that got `MEMBER_ID_REQUIRED`).
    PendingMember { group: String, member: String },
    /// `DelayedJoin` / `InitialDelayedJoin`.
    Join { group: String, epoch: u64 },
    /// `DelayedSync`.
    Sync {
        group: String,
        epoch: u64,
        generation: i32,
    },
}

fn millis(ms: i32) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

#[derive(Debug, Default)]
struct Inner {
    config: Config,
    groups: HashMap<String, Group>,
    timers: Vec<Timer>,
}

/// Kafka's classic group coordinator for the groups it is asked about. Cheap to clone (the
/// clones share the groups). Its timers run on the tokio runtime it is used on.
#[derive(Clone, Debug, Default)]
pub struct Coordinator {
    inner: Arc<Mutex<Inner>>,
}

impl Coordinator {
    pub fn new(config: Config) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                config,
                ..Inner::default()
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic under the lock leaves consistent-enough groups for a test harness.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` under the lock, then spawns the timers it armed.
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let (out, timers) = {
            let mut inner = self.lock();
            let out = f(&mut inner);
            (out, std::mem::take(&mut inner.timers))
        };
        for timer in timers {
            spawn_timer(Arc::downgrade(&self.inner), timer);
        }
        out
    }

    /// Kafka's `handleJoinGroup`; resolves when the coordinator answers (at once for errors
    /// and `MEMBER_ID_REQUIRED`, else when the rebalance completes).
    pub async fn join(&self, request: JoinRequest) -> JoinResult {
        let (tx, rx) = oneshot::channel();
        let member_id = request.member_id.clone();
        self.with(|inner| inner.join(request, tx));
        // A dropped sender is a member removed while it waited (Kafka answers it nothing; the
        // client's request times out and its retry learns it is unknown).
        rx.await
            .unwrap_or_else(|_| JoinResult::error(&member_id, code(ResponseError::UnknownMemberId)))
    }

    /// Kafka's `handleSyncGroup`; a follower's answer waits for the leader's assignment.
    pub async fn sync(&self, request: SyncRequest) -> SyncResult {
        let (tx, rx) = oneshot::channel();
        self.with(|inner| inner.sync(request, tx));
        rx.await
            .unwrap_or_else(|_| SyncResult::error(code(ResponseError::UnknownMemberId)))
    }

    /// Kafka's `handleHeartbeat`: the error code.
    pub fn heartbeat(
        &self,
        group_id: &str,
        member_id: &str,
        group_instance_id: Option<&str>,
        generation_id: i32,
    ) -> i16 {
        self.with(|inner| inner.heartbeat(group_id, member_id, group_instance_id, generation_id))
    }

    /// Kafka's `handleLeaveGroup`.
    pub fn leave(&self, group_id: &str, leaving: &[Leaving]) -> LeaveResult {
        self.with(|inner| inner.leave(group_id, leaving))
    }

    /// Kafka's `handleDescribeGroup`.
    pub fn describe(&self, group_id: &str) -> GroupSummary {
        self.with(|inner| inner.describe(group_id))
    }

    /// The group's state, generation and leader (for tests and logs).
    pub fn state(&self, group_id: &str) -> Option<(GroupState, i32, Option<String>)> {
        self.with(|inner| {
            inner
                .groups
                .get(group_id)
                .map(|g| (g.state, g.generation, g.leader.clone()))
        })
    }

    /// The group's member ids in join order.
    pub fn members(&self, group_id: &str) -> Vec<String> {
        self.with(|inner| {
            inner
                .groups
                .get(group_id)
                .map(|g| g.members.iter().map(|m| m.id.clone()).collect())
                .unwrap_or_default()
        })
    }
}

fn spawn_timer(inner: Weak<Mutex<Inner>>, timer: Timer) {
    tokio::spawn(async move {
        tokio::time::sleep(timer.after).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        Coordinator { inner }.with(|i| i.expire(timer.kind));
    });
}

impl Inner {
    fn arm(&mut self, after: Duration, kind: TimerKind) {
        self.timers.push(Timer { after, kind });
    }

    fn join(&mut self, r: JoinRequest, tx: oneshot::Sender<JoinResult>) {
        if r.group_id.is_empty() {
            return send(
                tx,
                JoinResult::error(&r.member_id, code(ResponseError::InvalidGroupId)),
            );
        }
        if r.group_instance_id.is_some() {
            // Static membership is not modelled: refuse it rather than treat it as dynamic.
            return send(
                tx,
                JoinResult::error(&r.member_id, code(ResponseError::InvalidRequest)),
            );
        }
        if r.session_timeout_ms < self.config.min_session_timeout_ms
            || r.session_timeout_ms > self.config.max_session_timeout_ms
        {
            return send(
                tx,
                JoinResult::error(&r.member_id, code(ResponseError::InvalidSessionTimeout)),
            );
        }
        let unknown = r.member_id == UNKNOWN_MEMBER_ID;
        if !self.groups.contains_key(&r.group_id) {
            if !unknown {
                return send(
                    tx,
                    JoinResult::error(&r.member_id, code(ResponseError::UnknownMemberId)),
                );
            }
            self.groups.insert(r.group_id.clone(), Group::new());
        }
        let group_id = r.group_id.clone();
        if unknown {
            self.new_member_join(r, tx);
        } else {
            self.current_member_join(r, tx);
        }
        if self.group(&group_id).state == GroupState::PreparingRebalance {
            self.try_complete_join(&group_id);
        }
    }

    /// The group, which the caller knows exists.
    fn group(&mut self, id: &str) -> &mut Group {
        self.groups.entry(id.to_owned()).or_insert_with(Group::new)
    }

    fn new_member_join(&mut self, r: JoinRequest, tx: oneshot::Sender<JoinResult>) {
        let group = self.group(&r.group_id);
        if group.state == GroupState::Dead {
            send(
                tx,
                JoinResult::error(
                    UNKNOWN_MEMBER_ID,
                    code(ResponseError::CoordinatorNotAvailable),
                ),
            );
            return;
        }
        if !group.supports_protocols(&r.protocol_type, &r.protocols) {
            send(
                tx,
                JoinResult::error(
                    UNKNOWN_MEMBER_ID,
                    code(ResponseError::InconsistentGroupProtocol),
                ),
            );
            return;
        }
        let member_id = format!("{}-{}", r.client_id, uuid::Uuid::new_v4());
        if r.require_known_member_id {
            group.pending_members.insert(member_id.clone());
            let after = millis(r.session_timeout_ms);
            self.arm(
                after,
                TimerKind::PendingMember {
                    group: r.group_id.clone(),
                    member: member_id.clone(),
                },
            );
            send(
                tx,
                JoinResult::error(&member_id, code(ResponseError::MemberIdRequired)),
            );
        } else {
            self.add_member_and_rebalance(member_id, r, tx);
        }
    }

    fn current_member_join(&mut self, r: JoinRequest, tx: oneshot::Sender<JoinResult>) {
        let group = self.group(&r.group_id);
        if group.state == GroupState::Dead {
            send(
                tx,
                JoinResult::error(&r.member_id, code(ResponseError::CoordinatorNotAvailable)),
            );
            return;
        }
        if !group.supports_protocols(&r.protocol_type, &r.protocols) {
            send(
                tx,
                JoinResult::error(&r.member_id, code(ResponseError::InconsistentGroupProtocol)),
            );
            return;
        }
        if group.pending_members.contains(&r.member_id) {
            let id = r.member_id.clone();
            return self.add_member_and_rebalance(id, r, tx);
        }
        let Some(member) = group.get(&r.member_id) else {
            send(
                tx,
                JoinResult::error(&r.member_id, code(ResponseError::UnknownMemberId)),
            );
            return;
        };
        let matches = member.matches(&r.protocols);
        match group.state {
            GroupState::PreparingRebalance => self.update_member_and_rebalance(r, tx),
            GroupState::CompletingRebalance if matches => {
                // The member lost its JoinGroup response: give it this generation again.
                let leader = group.is_leader(&r.member_id);
                send(tx, group.join_result(&r.member_id, leader));
            }
            GroupState::CompletingRebalance => self.update_member_and_rebalance(r, tx),
            GroupState::Stable if group.is_leader(&r.member_id) || !matches => {
                // A leader's JoinGroup always rebalances: that is how it asks for one.
                self.update_member_and_rebalance(r, tx);
            }
            GroupState::Stable => {
                send(tx, group.join_result(&r.member_id, false));
            }
            GroupState::Empty | GroupState::Dead => {
                send(
                    tx,
                    JoinResult::error(&r.member_id, code(ResponseError::UnknownMemberId)),
                );
            }
        }
    }

    fn add_member_and_rebalance(
        &mut self,
        member_id: String,
        r: JoinRequest,
        tx: oneshot::Sender<JoinResult>,
    ) {
        let group = self.group(&r.group_id);
        if group.state == GroupState::PreparingRebalance && group.generation == 0 {
            group.new_member_added = true;
        }
        group.add(Member {
            id: member_id.clone(),
            client_id: r.client_id,
            client_host: r.client_host,
            rebalance_timeout_ms: r.rebalance_timeout_ms,
            session_timeout_ms: r.session_timeout_ms,
            protocol_type: r.protocol_type,
            protocols: r.protocols,
            assignment: Bytes::new(),
            awaiting_join: Some(tx),
            awaiting_sync: None,
            is_new: true,
            heartbeat_satisfied: false,
            heartbeat_epoch: 0,
        });
        // Kafka cannot see a new member's disconnect while its JoinGroup waits, so a new
        // member's join expires after 5 minutes rather than its session timeout.
        self.schedule_expiration(&r.group_id, &member_id, NEW_MEMBER_JOIN_TIMEOUT_MS);
        self.maybe_prepare_rebalance(&r.group_id);
    }

    fn update_member_and_rebalance(&mut self, r: JoinRequest, tx: oneshot::Sender<JoinResult>) {
        let group = self.group(&r.group_id);
        if let Some(m) = group.get_mut(&r.member_id) {
            m.protocols = r.protocols;
            m.rebalance_timeout_ms = r.rebalance_timeout_ms;
            m.session_timeout_ms = r.session_timeout_ms;
            m.awaiting_join = Some(tx);
        }
        self.maybe_prepare_rebalance(&r.group_id);
    }

    fn maybe_prepare_rebalance(&mut self, group_id: &str) {
        if self.group(group_id).can_rebalance() {
            self.prepare_rebalance(group_id);
        }
    }

    fn prepare_rebalance(&mut self, group_id: &str) {
        let initial_delay = self.config.initial_rebalance_delay_ms;
        let group = self.group(group_id);
        if group.state == GroupState::CompletingRebalance {
            let answered = reset_and_propagate_assignment_error(
                group,
                code(ResponseError::RebalanceInProgress),
            );
            self.reschedule(group_id, answered);
        }
        let group = self.group(group_id);
        // removeSyncExpiration
        group.pending_sync.clear();
        group.sync_epoch += 1;
        let rebalance_timeout = group.rebalance_timeout_ms();
        let op = if group.state == GroupState::Empty && initial_delay > 0 {
            JoinOp::Initial {
                delay_ms: initial_delay,
                remaining_ms: (rebalance_timeout - initial_delay).max(0),
            }
        } else {
            JoinOp::Delayed
        };
        group.state = GroupState::PreparingRebalance;
        let after = match op {
            JoinOp::Delayed => rebalance_timeout,
            JoinOp::Initial { delay_ms, .. } => delay_ms,
        };
        self.watch_join(group_id, op, after);
    }

    /// `tryCompleteElseWatch` of a join operation.
    fn watch_join(&mut self, group_id: &str, op: JoinOp, after_ms: i32) {
        let group = self.group(group_id);
        group.join_epoch += 1;
        let epoch = group.join_epoch;
        group.join_op = Some((epoch, op));
        self.arm(
            millis(after_ms),
            TimerKind::Join {
                group: group_id.to_owned(),
                epoch,
            },
        );
        self.try_complete_join(group_id);
    }

    /// `checkAndComplete(GroupJoinKey)`: a `DelayedJoin` completes once every member has
    /// rejoined; an `InitialDelayedJoin` only on its timer.
    fn try_complete_join(&mut self, group_id: &str) {
        let group = self.group(group_id);
        if matches!(group.join_op, Some((_, JoinOp::Delayed))) && group.has_all_members_joined() {
            group.join_op = None;
            self.complete_join(group_id);
        }
    }

    fn complete_join(&mut self, group_id: &str) {
        let group = self.group(group_id);
        let gone: Vec<String> = group
            .members
            .iter()
            .filter(|m| m.awaiting_join.is_none())
            .map(|m| m.id.clone())
            .collect();
        for id in gone {
            group.remove(&id);
        }
        if group.state == GroupState::Dead {
            return;
        }
        if !group.maybe_elect_new_joined_leader() && !group.members.is_empty() {
            let timeout = group.rebalance_timeout_ms();
            return self.watch_join(group_id, JoinOp::Delayed, timeout);
        }
        group.init_next_generation();
        if group.state == GroupState::Empty {
            return;
        }
        let results: Vec<(String, JoinResult)> = group
            .members
            .iter()
            .map(|m| {
                (
                    m.id.clone(),
                    group.join_result(&m.id, group.is_leader(&m.id)),
                )
            })
            .collect();
        for (id, result) in results {
            let group = self.group(group_id);
            let Some(m) = group.get_mut(&id) else {
                continue;
            };
            m.invoke_join(result);
            let session = m.session_timeout_ms;
            self.schedule_expiration(group_id, &id, session);
            let group = self.group(group_id);
            if let Some(m) = group.get_mut(&id) {
                m.is_new = false;
            }
            group.pending_sync.insert(id);
        }
        // schedulePendingSync
        let group = self.group(group_id);
        group.sync_epoch += 1;
        let (epoch, generation, timeout) = (
            group.sync_epoch,
            group.generation,
            group.rebalance_timeout_ms(),
        );
        self.arm(
            millis(timeout),
            TimerKind::Sync {
                group: group_id.to_owned(),
                epoch,
                generation,
            },
        );
    }

    /// `completeAndScheduleNextExpiration`: the member's current heartbeat expectation is met,
    /// and a new one starts now.
    fn schedule_expiration(&mut self, group_id: &str, member_id: &str, timeout_ms: i32) {
        let group = self.group(group_id);
        let Some(m) = group.get_mut(member_id) else {
            return;
        };
        m.heartbeat_epoch += 1;
        m.heartbeat_satisfied = false;
        if m.has_satisfied_heartbeat() {
            // tryCompleteElseWatch completes at once: no expiry is watched.
            return;
        }
        let epoch = m.heartbeat_epoch;
        self.arm(
            millis(timeout_ms),
            TimerKind::Heartbeat {
                group: group_id.to_owned(),
                member: member_id.to_owned(),
                epoch,
            },
        );
    }

    /// `propagateAssignment` resets the session of each member it answered.
    fn reschedule(&mut self, group_id: &str, answered: Vec<(String, i32)>) {
        for (id, session) in answered {
            self.schedule_expiration(group_id, &id, session);
        }
    }

    fn remove_member_and_update_group(&mut self, group_id: &str, member_id: &str) {
        let group = self.group(group_id);
        if let Some(m) = group.get_mut(member_id) {
            m.invoke_join(JoinResult::error(
                UNKNOWN_MEMBER_ID,
                code(ResponseError::UnknownMemberId),
            ));
        }
        group.remove(member_id);
        match group.state {
            GroupState::Dead | GroupState::Empty => {}
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.maybe_prepare_rebalance(group_id);
            }
            GroupState::PreparingRebalance => self.try_complete_join(group_id),
        }
    }

    fn remove_pending_member_and_update_group(&mut self, group_id: &str, member_id: &str) {
        let group = self.group(group_id);
        group.remove(member_id);
        if group.state == GroupState::PreparingRebalance {
            self.try_complete_join(group_id);
        }
    }

    fn sync(&mut self, r: SyncRequest, tx: oneshot::Sender<SyncResult>) {
        if r.group_id.is_empty() {
            return send(tx, SyncResult::error(code(ResponseError::InvalidGroupId)));
        }
        let Some(group) = self.groups.get_mut(&r.group_id) else {
            return send(tx, SyncResult::error(code(ResponseError::UnknownMemberId)));
        };
        if group.state == GroupState::Dead {
            return send(
                tx,
                SyncResult::error(code(ResponseError::CoordinatorNotAvailable)),
            );
        }
        if r.group_instance_id.is_some() || !group.has(&r.member_id) {
            return send(tx, SyncResult::error(code(ResponseError::UnknownMemberId)));
        }
        if r.generation_id != group.generation {
            return send(
                tx,
                SyncResult::error(code(ResponseError::IllegalGeneration)),
            );
        }
        if r.protocol_type
            .as_ref()
            .is_some_and(|t| group.protocol_type.as_ref() != Some(t))
            || r.protocol_name
                .as_ref()
                .is_some_and(|n| group.protocol_name.as_ref() != Some(n))
        {
            return send(
                tx,
                SyncResult::error(code(ResponseError::InconsistentGroupProtocol)),
            );
        }
        match group.state {
            GroupState::Empty => send(tx, SyncResult::error(code(ResponseError::UnknownMemberId))),
            GroupState::PreparingRebalance => send(
                tx,
                SyncResult::error(code(ResponseError::RebalanceInProgress)),
            ),
            GroupState::CompletingRebalance => {
                if let Some(m) = group.get_mut(&r.member_id) {
                    m.awaiting_sync = Some(tx);
                }
                group.pending_sync.remove(&r.member_id);
                if group.is_leader(&r.member_id) {
                    // Members the leader left out get an empty assignment.
                    let assignment: BTreeMap<&str, &Bytes> = r
                        .assignments
                        .iter()
                        .map(|(id, a)| (id.as_str(), a))
                        .collect();
                    for m in &mut group.members {
                        m.assignment = assignment
                            .get(m.id.as_str())
                            .map(|a| (*a).clone())
                            .unwrap_or_default();
                    }
                    let (protocol_type, protocol_name) =
                        (group.protocol_type.clone(), group.protocol_name.clone());
                    let mut answered = Vec::new();
                    for m in &mut group.members {
                        let result = SyncResult {
                            error: NONE,
                            protocol_type: protocol_type.clone(),
                            protocol_name: protocol_name.clone(),
                            assignment: m.assignment.clone(),
                        };
                        if m.invoke_sync(result) {
                            answered.push((m.id.clone(), m.session_timeout_ms));
                        }
                    }
                    group.state = GroupState::Stable;
                    let group_id = r.group_id.clone();
                    self.reschedule(&group_id, answered);
                }
            }
            GroupState::Stable => {
                group.pending_sync.remove(&r.member_id);
                let result = SyncResult {
                    error: NONE,
                    protocol_type: group.protocol_type.clone(),
                    protocol_name: group.protocol_name.clone(),
                    assignment: group
                        .get(&r.member_id)
                        .map(|m| m.assignment.clone())
                        .unwrap_or_default(),
                };
                let session = group.get(&r.member_id).map_or(0, |m| m.session_timeout_ms);
                send(tx, result);
                self.schedule_expiration(&r.group_id, &r.member_id, session);
            }
            GroupState::Dead => send(
                tx,
                SyncResult::error(code(ResponseError::CoordinatorNotAvailable)),
            ),
        }
    }

    fn heartbeat(
        &mut self,
        group_id: &str,
        member_id: &str,
        group_instance_id: Option<&str>,
        generation_id: i32,
    ) -> i16 {
        if group_id.is_empty() {
            return code(ResponseError::InvalidGroupId);
        }
        let Some(group) = self.groups.get(group_id) else {
            return code(ResponseError::UnknownMemberId);
        };
        if group.state == GroupState::Dead {
            return code(ResponseError::CoordinatorNotAvailable);
        }
        let Some(member) = group.get(member_id).filter(|_| group_instance_id.is_none()) else {
            return code(ResponseError::UnknownMemberId);
        };
        if generation_id != group.generation {
            return code(ResponseError::IllegalGeneration);
        }
        let session = member.session_timeout_ms;
        let answer = match group.state {
            GroupState::Empty => return code(ResponseError::UnknownMemberId),
            GroupState::PreparingRebalance => code(ResponseError::RebalanceInProgress),
            GroupState::CompletingRebalance | GroupState::Stable => NONE,
            GroupState::Dead => return code(ResponseError::CoordinatorNotAvailable),
        };
        self.schedule_expiration(group_id, member_id, session);
        answer
    }

    fn leave(&mut self, group_id: &str, leaving: &[Leaving]) -> LeaveResult {
        if group_id.is_empty() {
            return LeaveResult {
                error: code(ResponseError::InvalidGroupId),
                members: Vec::new(),
            };
        }
        let each = |error: i16| {
            leaving
                .iter()
                .map(|l| (l.member_id.clone(), l.group_instance_id.clone(), error))
                .collect()
        };
        let Some(group) = self.groups.get(group_id) else {
            return LeaveResult {
                error: NONE,
                members: each(code(ResponseError::UnknownMemberId)),
            };
        };
        if group.state == GroupState::Dead {
            return LeaveResult {
                error: code(ResponseError::CoordinatorNotAvailable),
                members: Vec::new(),
            };
        }
        let mut members = Vec::with_capacity(leaving.len());
        for l in leaving {
            let group = self.group(group_id);
            let error = if l.member_id == UNKNOWN_MEMBER_ID || l.group_instance_id.is_some() {
                // By instance id: no static member is ever known here.
                code(ResponseError::UnknownMemberId)
            } else if group.pending_members.contains(&l.member_id) {
                self.remove_pending_member_and_update_group(group_id, &l.member_id);
                NONE
            } else if group.has(&l.member_id) {
                self.remove_member_and_update_group(group_id, &l.member_id);
                NONE
            } else {
                code(ResponseError::UnknownMemberId)
            };
            members.push((l.member_id.clone(), l.group_instance_id.clone(), error));
        }
        LeaveResult {
            error: NONE,
            members,
        }
    }

    fn describe(&self, group_id: &str) -> GroupSummary {
        let Some(group) = self.groups.get(group_id) else {
            return GroupSummary {
                error: NONE,
                state: GroupState::Dead.name().to_owned(),
                protocol_type: String::new(),
                protocol: String::new(),
                members: Vec::new(),
            };
        };
        let stable = group.state == GroupState::Stable;
        let protocol = if stable {
            group.protocol_name.clone().unwrap_or_default()
        } else {
            String::new()
        };
        GroupSummary {
            error: NONE,
            state: group.state.name().to_owned(),
            protocol_type: group.protocol_type.clone().unwrap_or_default(),
            members: group
                .members
                .iter()
                .map(|m| MemberSummary {
                    member_id: m.id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    metadata: if stable {
                        m.metadata(&protocol)
                    } else {
                        Bytes::new()
                    },
                    assignment: if stable {
                        m.assignment.clone()
                    } else {
                        Bytes::new()
                    },
                })
                .collect(),
            protocol,
        }
    }

    fn expire(&mut self, kind: TimerKind) {
        match kind {
            TimerKind::Heartbeat {
                group,
                member,
                epoch,
            } => {
                let Some(g) = self.groups.get(&group) else {
                    return;
                };
                let expired = g.state != GroupState::Dead
                    && g.get(&member).is_some_and(|m| {
                        m.heartbeat_epoch == epoch && !m.has_satisfied_heartbeat()
                    });
                if expired {
                    self.remove_member_and_update_group(&group, &member);
                }
            }
            TimerKind::PendingMember { group, member } => {
                let pending = self
                    .groups
                    .get(&group)
                    .is_some_and(|g| g.pending_members.contains(&member));
                if pending {
                    self.remove_pending_member_and_update_group(&group, &member);
                }
            }
            TimerKind::Join { group, epoch } => {
                let Some(g) = self.groups.get_mut(&group) else {
                    return;
                };
                let Some((_, op)) = g.join_op.filter(|(e, _)| *e == epoch) else {
                    return;
                };
                g.join_op = None;
                match op {
                    JoinOp::Initial {
                        delay_ms,
                        remaining_ms,
                    } if g.new_member_added && remaining_ms != 0 => {
                        g.new_member_added = false;
                        let configured = self.config.initial_rebalance_delay_ms;
                        let delay = configured.min(remaining_ms);
                        let remaining = (remaining_ms - delay_ms).max(0);
                        self.watch_join(
                            &group,
                            JoinOp::Initial {
                                delay_ms: delay,
                                remaining_ms: remaining,
                            },
                            delay,
                        );
                    }
                    _ => self.complete_join(&group),
                }
            }
            TimerKind::Sync {
                group,
                epoch,
                generation,
            } => {
                let Some(g) = self.groups.get_mut(&group) else {
                    return;
                };
                let live = g.sync_epoch == epoch
                    && g.generation == generation
                    && matches!(
                        g.state,
                        GroupState::CompletingRebalance | GroupState::Stable
                    )
                    && !g.pending_sync.is_empty();
                if !live {
                    return;
                }
                let late: Vec<String> = g.pending_sync.iter().cloned().collect();
                for id in late {
                    g.remove(&id);
                }
                self.prepare_rebalance(&group);
            }
        }
    }
}

/// `resetAndPropagateAssignmentError`: members waiting for their assignment get `error`; the
/// members answered, with their session timeouts.
fn reset_and_propagate_assignment_error(group: &mut Group, error: i16) -> Vec<(String, i32)> {
    let mut answered = Vec::new();
    for m in &mut group.members {
        m.assignment = Bytes::new();
        if m.invoke_sync(SyncResult::error(error)) {
            answered.push((m.id.clone(), m.session_timeout_ms));
        }
    }
    answered
}

#[cfg(test)]
mod tests;
