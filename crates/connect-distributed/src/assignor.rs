//! The group leader's assignment of connectors and tasks to the members: Kafka's
//! `EagerAssignor` (round-robin, for the `default` protocol) and
//! `IncrementalCooperativeAssignor` (for `compatible` and `sessioned`). Pure: the members'
//! metadata, the config snapshot and the time go in, one [`Assignment`] per member comes out,
//! ready for [`crate::protocol::encode_assignment`].
//!
//! The leader reads the config topic up to the highest offset any member reported
//! ([`max_config_offset`]); when it cannot, every member gets a `CONFIG_MISMATCH` assignment
//! ([`config_mismatch`]) and rejoins after reading further, as in Kafka.

mod incremental;
mod ordered;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

pub use incremental::IncrementalCooperativeAssignor;
use incremental::{ClusterAssignment, Work};

use crate::protocol::WorkerMetadata;
use crate::protocol::java_order::{cmp_str, grown_capacity, hash_order, string_hash};
use crate::{Assignment, AssignmentError, ConfigSnapshot, ConnectorTaskId};

/// A group member as the leader sees it in the JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberInfo {
    pub member_id: String,
    pub metadata: WorkerMetadata,
}

/// The highest config offset any member reported: what the leader must have read before it
/// assigns (`None` without members).
pub fn max_config_offset(members: &[MemberInfo]) -> Option<i64> {
    members.iter().map(|m| m.metadata.config_offset).max()
}

/// Every member's assignment when the leader could not read the config topic up to
/// [`max_config_offset`]: `CONFIG_MISMATCH`, nothing assigned, at that offset.
pub fn config_mismatch(
    leader_id: &str,
    leader_url: &str,
    members: &[MemberInfo],
    protocol_version: i16,
) -> BTreeMap<String, Assignment> {
    let offset = max_config_offset(members).unwrap_or(-1);
    members
        .iter()
        .map(|m| {
            let mut a = empty_assignment(leader_id, leader_url, offset, protocol_version);
            a.error = AssignmentError::ConfigMismatch;
            (m.member_id.clone(), a)
        })
        .collect()
}

fn empty_assignment(
    leader_id: &str,
    leader_url: &str,
    config_offset: i64,
    protocol_version: i16,
) -> Assignment {
    Assignment {
        error: AssignmentError::None,
        leader: leader_id.to_owned(),
        leader_url: leader_url.to_owned(),
        config_offset,
        connectors: Vec::new(),
        tasks: Vec::new(),
        revoked_connectors: Vec::new(),
        revoked_tasks: Vec::new(),
        delay: Duration::ZERO,
        protocol_version,
    }
}

/// The connectors in `String` order and their tasks (`0..n`), as Kafka's
/// `ClusterConfigState.connectors()`/`tasks(connector)`.
fn configured(config: &ConfigSnapshot) -> (Vec<String>, Vec<ConnectorTaskId>) {
    let mut connectors: Vec<String> = config.connectors.keys().cloned().collect();
    connectors.sort_by(|a, b| cmp_str(a, b));
    let tasks = connectors
        .iter()
        .flat_map(|c| {
            let n = config.connectors.get(c).copied().unwrap_or(0);
            (0..n).map(move |task| ConnectorTaskId {
                connector: c.clone(),
                task,
            })
        })
        .collect();
    (connectors, tasks)
}

/// Kafka's `EagerAssignor`: with the `default` protocol every member has stopped everything
/// before it joins; the connectors, then all their tasks, are dealt round-robin over the
/// members sorted by id, everything in `String` order. Each member's assignment is all it runs.
/// Empty without members.
///
/// The assignment's config offset is `config.offset`, which must be at least
/// [`max_config_offset`] (else every member gets [`config_mismatch`]).
pub fn assign_eager(
    leader_id: &str,
    leader_url: &str,
    members: &[MemberInfo],
    config: &ConfigSnapshot,
) -> BTreeMap<String, Assignment> {
    let Some(max_offset) = max_config_offset(members) else {
        return BTreeMap::new();
    };
    if config.offset < max_offset {
        tracing::info!(
            leader_offset = config.offset,
            max_offset,
            "the leader has not read the config topic as far as a member; asking for a resync"
        );
        return config_mismatch(leader_id, leader_url, members, 0);
    }
    let mut assignments: BTreeMap<String, Assignment> = members
        .iter()
        .map(|m| {
            (
                m.member_id.clone(),
                empty_assignment(leader_id, leader_url, config.offset, 0),
            )
        })
        .collect();
    let mut member_ids: Vec<String> = assignments.keys().cloned().collect();
    member_ids.sort_by(|a, b| cmp_str(a, b));
    let (connectors, tasks) = configured(config);
    let mut next_member = member_ids.iter().cycle();
    for connector in connectors {
        if let Some(a) = next_member.next().and_then(|m| assignments.get_mut(m)) {
            a.connectors.push(connector);
        }
    }
    for task in tasks {
        if let Some(a) = next_member.next().and_then(|m| assignments.get_mut(m)) {
            a.tasks.push(task);
        }
    }
    assignments
}

/// Who runs what after the latest assignment, for sending a request to the worker that runs
/// a connector or task (Kafka's `WorkerCoordinator.LeaderState`, `ownerUrl`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaderState {
    /// Connector → the URL of the member that runs it.
    pub connector_owners: BTreeMap<String, String>,
    /// Task → the URL of the member that runs it.
    pub task_owners: BTreeMap<ConnectorTaskId, String>,
}

impl LeaderState {
    /// From complete assignments (what each member runs, as [`assign_eager`] returns).
    pub fn from_complete_assignments(
        members: &[MemberInfo],
        assignments: &BTreeMap<String, Assignment>,
    ) -> Self {
        let urls: HashMap<&str, &str> = members
            .iter()
            .map(|m| (m.member_id.as_str(), m.metadata.url.as_str()))
            .collect();
        let mut state = Self::default();
        for (member, a) in assignments {
            let Some(url) = urls.get(member.as_str()) else {
                continue;
            };
            for c in &a.connectors {
                state.connector_owners.insert(c.clone(), (*url).to_owned());
            }
            for t in &a.tasks {
                state.task_owners.insert(t.clone(), (*url).to_owned());
            }
        }
        state
    }

    /// The URL of the member running `connector`.
    pub fn owner_url(&self, connector: &str) -> Option<&str> {
        self.connector_owners.get(connector).map(String::as_str)
    }

    /// The URL of the member running `task`.
    pub fn task_owner_url(&self, task: &ConnectorTaskId) -> Option<&str> {
        self.task_owners.get(task).map(String::as_str)
    }
}

/// The members in the order Kafka's leader holds them (a `HashMap` filled in JoinGroup
/// response order), each id once; a repeated id keeps its first place and its last metadata,
/// as `put` does.
fn java_member_order(members: &[MemberInfo]) -> Vec<&MemberInfo> {
    let mut last: HashMap<&str, &MemberInfo> = HashMap::new();
    for m in members {
        last.insert(m.member_id.as_str(), m);
    }
    let ids: Vec<&str> = members.iter().map(|m| m.member_id.as_str()).collect();
    let capacity = grown_capacity(last.len());
    hash_order(ids, |id| string_hash(id), capacity)
        .into_iter()
        .filter_map(|id| last.get(id).copied())
        .collect()
}

impl IncrementalCooperativeAssignor {
    /// A leader's assignor; `max_delay` is `scheduled.rebalance.max.delay.ms` (at most
    /// `i32::MAX` ms, an int in Kafka). A worker keeps one for its lifetime, as Kafka's
    /// `WorkerCoordinator` does: it carries the previous assignment, the pending delay and the
    /// back-off between revoking rebalances from one rebalance this worker leads to the next.
    pub fn new(max_delay: Duration) -> Self {
        Self::with_max_delay_ms(i32::try_from(max_delay.as_millis()).unwrap_or(i32::MAX))
    }

    /// Assigns for one rebalance this worker leads.
    ///
    /// `generation` is the group generation being formed (JoinGroup's), and
    /// `last_completed_generation` the generation of the last rebalance this worker completed
    /// (its last successful SyncGroup, -1 before any): when it is not the generation of this
    /// assignor's previous assignment, that previous assignment may never have reached the
    /// members and is ignored, as in Kafka. `now_ms` is the wall clock in milliseconds (the
    /// delay for lost work is measured with it). `protocol_version` is the group's
    /// sub-protocol (1 or 2), written into each assignment.
    ///
    /// Returns each member's assignment as it goes on the wire: what is *newly* assigned to it
    /// and what it must revoke, the delay until the next rebalance when lost work is held back
    /// (every member then rejoins after it), and `config.offset`, which must be at least
    /// [`max_config_offset`] (else every member gets [`config_mismatch`] and the assignor's
    /// state is left as it was). Empty without members.
    #[expect(
        clippy::too_many_arguments,
        reason = "one rebalance's inputs, as Kafka's performAssignment takes them"
    )]
    pub fn assign(
        &mut self,
        now_ms: i64,
        leader_id: &str,
        leader_url: &str,
        generation: i32,
        last_completed_generation: i32,
        protocol_version: i16,
        members: &[MemberInfo],
        config: &ConfigSnapshot,
    ) -> BTreeMap<String, Assignment> {
        let Some(max_offset) = max_config_offset(members) else {
            return BTreeMap::new();
        };
        if config.offset < max_offset {
            tracing::info!(
                leader_offset = config.offset,
                max_offset,
                "the leader has not read the config topic as far as a member; asking for a resync"
            );
            return config_mismatch(leader_id, leader_url, members, protocol_version);
        }
        let ordered = java_member_order(members);
        let member_assignments = ordered
            .iter()
            .map(|m| {
                let work = m
                    .metadata
                    .owned
                    .as_ref()
                    .map(|o| Work::new(&o.connectors, &o.tasks))
                    .unwrap_or_default();
                (m.member_id.clone(), work)
            })
            .collect();
        let (connectors, tasks) = configured(config);
        let configured = Work::new(&connectors, &tasks);
        let cluster = self.perform_task_assignment(
            now_ms,
            &configured,
            last_completed_generation,
            generation,
            member_assignments,
        );
        self.leader_state = leader_state(&ordered, &cluster);
        let delay = Duration::from_millis(u64::try_from(self.delay).unwrap_or(0));
        ordered
            .iter()
            .map(|m| {
                let mut a =
                    empty_assignment(leader_id, leader_url, config.offset, protocol_version);
                if let Some(w) = cluster.newly_assigned.get(&m.member_id) {
                    a.connectors = w.connectors.as_slice().to_vec();
                    a.tasks = w.tasks.as_slice().to_vec();
                }
                if let Some(w) = cluster.newly_revoked.get(&m.member_id) {
                    a.revoked_connectors = w.connectors.as_slice().to_vec();
                    a.revoked_tasks = w.tasks.as_slice().to_vec();
                }
                a.delay = delay;
                (m.member_id.clone(), a)
            })
            .collect()
    }

    /// Who runs what once the latest assignment's revocations and additions are applied.
    pub fn leader_state(&self) -> &LeaderState {
        &self.leader_state
    }

    /// The delay the latest assignment asked the members to wait before rejoining.
    pub fn delay(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.delay).unwrap_or(0))
    }
}

fn leader_state(members: &[&MemberInfo], cluster: &ClusterAssignment) -> LeaderState {
    let urls: HashMap<&str, &str> = members
        .iter()
        .map(|m| (m.member_id.as_str(), m.metadata.url.as_str()))
        .collect();
    let mut state = LeaderState::default();
    for (member, work) in &cluster.all_assigned {
        let Some(url) = urls.get(member.as_str()) else {
            continue;
        };
        for c in work.connectors.iter() {
            state.connector_owners.insert(c.clone(), (*url).to_owned());
        }
        for t in work.tasks.iter() {
            state.task_owners.insert(t.clone(), (*url).to_owned());
        }
    }
    state
}

#[cfg(test)]
mod tests;
