//! The assignors' behaviour, after Kafka's `IncrementalCooperativeAssignorTest` (the
//! rebalance scenarios) and `WorkerCoordinatorTest` (the eager round-robin).

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::protocol::OwnedWork;

fn task(connector: &str, task: u32) -> ConnectorTaskId {
    ConnectorTaskId {
        connector: connector.to_owned(),
        task,
    }
}

fn url(worker: &str) -> String {
    format!("http://{worker}:8083")
}

fn member(id: &str, offset: i64, owned: Option<OwnedWork>) -> MemberInfo {
    MemberInfo {
        member_id: id.to_owned(),
        metadata: WorkerMetadata {
            url: url(id),
            config_offset: offset,
            owned,
        },
    }
}

/// Kafka's test default for `scheduled.rebalance.max.delay.ms`.
const DEFAULT_DELAY: i64 = 300_000;
const CONFIG_OFFSET: i64 = 618;

/// A simulated cluster driven through rebalances, as Kafka's test drives its assignor: the
/// members report what they run, the leader assigns, the members apply the assignment.
struct Cluster {
    assignor: IncrementalCooperativeAssignor,
    max_delay: i64,
    now: i64,
    generation: i32,
    connectors: BTreeMap<String, u32>,
    /// What each worker runs: connectors and tasks in the order it got them.
    workers: BTreeMap<String, (Vec<String>, Vec<ConnectorTaskId>)>,
    last: BTreeMap<String, Assignment>,
}

impl Cluster {
    /// Kafka's test setup: `connector1` and `connector2` with 4 tasks each, one empty worker.
    fn new(max_delay: i64) -> Self {
        let mut cluster = Self {
            assignor: IncrementalCooperativeAssignor::new(Duration::ZERO),
            max_delay,
            now: 1_700_000_000_000,
            generation: 1000,
            connectors: BTreeMap::new(),
            workers: BTreeMap::new(),
            last: BTreeMap::new(),
        };
        cluster.add_connector("connector1", 4);
        cluster.add_connector("connector2", 4);
        cluster.add_workers(&["worker1"]);
        cluster.new_leader();
        cluster
    }

    /// A fresh assignor, as after a leader change (Kafka's test `initAssignor`).
    fn new_leader(&mut self) {
        self.assignor =
            IncrementalCooperativeAssignor::new(Duration::from_millis(self.max_delay as u64));
        self.assignor.previous_generation_id = self.generation;
    }

    fn add_connector(&mut self, name: &str, tasks: u32) {
        assert!(self.connectors.insert(name.to_owned(), tasks).is_none());
    }

    fn remove_connector(&mut self, name: &str) {
        assert!(self.connectors.remove(name).is_some());
    }

    fn add_workers(&mut self, names: &[&str]) {
        for name in names {
            self.add_worker(name, &[], &[]);
        }
    }

    fn add_worker(&mut self, name: &str, connectors: &[String], tasks: &[ConnectorTaskId]) {
        let previous = self
            .workers
            .insert((*name).to_owned(), (connectors.to_vec(), tasks.to_vec()));
        assert!(previous.is_none(), "worker {name} already exists");
    }

    fn remove_workers(&mut self, names: &[&str]) {
        for name in names {
            assert!(self.workers.remove(*name).is_some());
        }
    }

    fn sleep(&mut self, ms: i64) {
        self.now += ms;
    }

    fn delay(&self) -> i64 {
        i64::from(self.assignor.delay)
    }

    fn rebalance(&mut self) {
        self.rebalance_with(false, false);
    }

    /// The assignment is computed but never reaches the members.
    fn failed_rebalance(&mut self) {
        self.rebalance_with(true, false);
    }

    /// The leader's last completed generation is not the one it last assigned in.
    fn mismatched_rebalance(&mut self) {
        self.rebalance_with(false, true);
    }

    fn rebalance_with(&mut self, failed: bool, generation_mismatch: bool) {
        self.generation += 1;
        let last_completed = if generation_mismatch {
            self.generation - 2
        } else {
            self.generation - 1
        };
        let members: Vec<MemberInfo> = self
            .workers
            .iter()
            .map(|(id, (connectors, tasks))| {
                member(
                    id,
                    CONFIG_OFFSET,
                    Some(OwnedWork {
                        connectors: connectors.clone(),
                        tasks: tasks.clone(),
                    }),
                )
            })
            .collect();
        let leader = members[0].member_id.clone();
        let config = ConfigSnapshot {
            offset: CONFIG_OFFSET,
            connectors: self.connectors.clone(),
        };
        let result = self.assignor.assign(
            self.now,
            &leader,
            &url(&leader),
            self.generation,
            last_completed,
            2,
            &members,
            &config,
        );
        self.last = result;
        self.assert_no_redundant_assignments();
        for a in self.last.values() {
            assert_eq!(a.delay, self.assignor.delay());
            assert_eq!(a.leader, leader);
            assert_eq!(a.config_offset, CONFIG_OFFSET);
            assert_eq!(a.protocol_version, 2);
        }
        if !failed {
            self.apply();
        }
    }

    /// What Kafka's member does with an assignment: stop the revoked, start the new.
    fn apply(&mut self) {
        for (worker, a) in &self.last {
            let (connectors, tasks) = self.workers.get_mut(worker).expect("a member");
            connectors.retain(|c| !a.revoked_connectors.contains(c));
            connectors.extend(a.connectors.iter().cloned());
            tasks.retain(|t| !a.revoked_tasks.contains(t));
            tasks.extend(a.tasks.iter().cloned());
        }
        // The leader's view of who runs what is what the members now run.
        let state = self.assignor.leader_state();
        for (worker, (connectors, tasks)) in &self.workers {
            let mine: BTreeSet<&String> = state
                .connector_owners
                .iter()
                .filter(|(_, u)| **u == url(worker))
                .map(|(c, _)| c)
                .collect();
            assert_eq!(mine, connectors.iter().collect(), "connectors of {worker}");
            let mine: BTreeSet<&ConnectorTaskId> = state
                .task_owners
                .iter()
                .filter(|(_, u)| **u == url(worker))
                .map(|(t, _)| t)
                .collect();
            assert_eq!(mine, tasks.iter().collect(), "tasks of {worker}");
        }
    }

    fn assert_workers(&self, names: &[&str]) {
        let got: Vec<&str> = self.last.keys().map(String::as_str).collect();
        assert_eq!(got, names);
    }

    fn allocations(
        &self,
        count: impl Fn(&(Vec<String>, Vec<ConnectorTaskId>)) -> usize,
    ) -> Vec<usize> {
        let mut counts: Vec<usize> = self.workers.values().map(count).collect();
        counts.sort_unstable();
        counts
    }

    #[track_caller]
    fn assert_connector_allocations(&self, expected: &[usize]) {
        let mut expected = expected.to_vec();
        expected.sort_unstable();
        assert_eq!(
            self.allocations(|w| w.0.len()),
            expected,
            "connectors per worker"
        );
    }

    #[track_caller]
    fn assert_task_allocations(&self, expected: &[usize]) {
        let mut expected = expected.to_vec();
        expected.sort_unstable();
        assert_eq!(
            self.allocations(|w| w.1.len()),
            expected,
            "tasks per worker"
        );
    }

    #[track_caller]
    fn assert_no_revocations(&self) {
        for (worker, a) in &self.last {
            assert!(
                a.revoked_connectors.is_empty() && a.revoked_tasks.is_empty(),
                "{worker} was told to revoke {a:?}"
            );
        }
    }

    #[track_caller]
    fn assert_empty_assignment(&self) {
        self.assert_no_revocations();
        for (worker, a) in &self.last {
            assert!(
                a.connectors.is_empty() && a.tasks.is_empty(),
                "{worker} was assigned {a:?}"
            );
        }
    }

    /// Nothing newly assigned runs already, and nothing is assigned twice.
    #[track_caller]
    fn assert_no_redundant_assignments(&self) {
        let running: BTreeSet<&String> = self.workers.values().flat_map(|w| &w.0).collect();
        let running_tasks: BTreeSet<&ConnectorTaskId> =
            self.workers.values().flat_map(|w| &w.1).collect();
        let mut new_connectors = BTreeSet::new();
        let mut new_tasks = BTreeSet::new();
        for a in self.last.values() {
            for c in &a.connectors {
                assert!(new_connectors.insert(c), "{c} assigned twice");
                assert!(!running.contains(c), "{c} assigned while running");
            }
            for t in &a.tasks {
                assert!(new_tasks.insert(t), "{t:?} assigned twice");
                assert!(!running_tasks.contains(t), "{t:?} assigned while running");
            }
        }
    }

    #[track_caller]
    fn assert_balanced_and_complete_allocation(&self) {
        let connectors = self.allocations(|w| w.0.len());
        let tasks = self.allocations(|w| w.1.len());
        assert!(
            connectors[connectors.len() - 1] - connectors[0] <= 1,
            "{connectors:?}"
        );
        assert!(tasks[tasks.len() - 1] - tasks[0] <= 1, "{tasks:?}");
        let all: BTreeSet<&String> = self.workers.values().flat_map(|w| &w.0).collect();
        assert_eq!(all, self.connectors.keys().collect());
        let all_tasks: Vec<&ConnectorTaskId> = self.workers.values().flat_map(|w| &w.1).collect();
        let expected: BTreeSet<ConnectorTaskId> = self
            .connectors
            .iter()
            .flat_map(|(c, n)| (0..*n).map(|i| task(c, i)))
            .collect();
        assert_eq!(all_tasks.len(), expected.len(), "a task runs twice");
        assert_eq!(
            all_tasks.into_iter().cloned().collect::<BTreeSet<_>>(),
            expected
        );
    }
}

#[test]
fn a_joining_worker_gets_work_through_a_revocation_then_an_assignment() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_workers(&["worker1"]);
    c.assert_connector_allocations(&[2]);
    c.assert_task_allocations(&[8]);
    c.assert_balanced_and_complete_allocation();

    c.add_workers(&["worker2"]);
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_workers(&["worker1", "worker2"]);
    c.assert_connector_allocations(&[0, 1]);
    c.assert_task_allocations(&[0, 4]);

    c.rebalance();
    c.assert_no_revocations();
    assert_eq!(c.delay(), 0);
    c.assert_connector_allocations(&[1, 1]);
    c.assert_task_allocations(&[4, 4]);
    c.assert_balanced_and_complete_allocation();

    c.sleep(c.delay());
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_empty_assignment();
}

#[test]
fn successive_revoking_rebalances_are_spaced_by_an_exponential_delay() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.add_connector("connector3", 4);
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_connector_allocations(&[3]);
    c.assert_task_allocations(&[12]);
    c.assert_balanced_and_complete_allocation();

    c.add_workers(&["worker2"]);
    c.rebalance();
    c.assert_connector_allocations(&[0, 2]);
    c.assert_task_allocations(&[0, 6]);

    // Right after a revocation: no revoking now, a delay instead.
    c.add_workers(&["worker3"]);
    c.rebalance();
    assert!(c.delay() > 0);
    c.assert_workers(&["worker1", "worker2", "worker3"]);
    c.assert_connector_allocations(&[0, 1, 2]);
    c.assert_task_allocations(&[3, 3, 6]);

    c.sleep(c.delay());
    c.add_workers(&["worker4"]);
    c.rebalance();
    c.assert_connector_allocations(&[0, 0, 1, 1]);
    c.assert_task_allocations(&[0, 3, 3, 3]);

    // A second successive revoking rebalance: the back-off grows (40x).
    c.add_workers(&["worker5"]);
    c.rebalance();
    assert!(c.delay() > 40, "{}", c.delay());
    c.assert_connector_allocations(&[0, 0, 1, 1, 1]);
    c.assert_task_allocations(&[1, 2, 3, 3, 3]);

    c.sleep(c.delay());
    c.add_workers(&["worker6"]);
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_connector_allocations(&[0, 0, 0, 1, 1, 1]);
    c.assert_task_allocations(&[0, 1, 2, 2, 2, 2]);

    c.rebalance();
    c.assert_connector_allocations(&[0, 0, 0, 1, 1, 1]);
    c.assert_task_allocations(&[2, 2, 2, 2, 2, 2]);
    c.assert_balanced_and_complete_allocation();
}

#[test]
fn the_revocation_back_off_grows_40_fold_up_to_the_max_delay() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.add_connector("connector3", 40);
    c.rebalance();
    let mut delays = Vec::new();
    for i in 2..=5 {
        c.add_workers(&[&format!("worker{i}")]);
        c.rebalance(); // revokes
        c.add_workers(&[&format!("worker{i}b")]);
        c.rebalance(); // would revoke again: delayed instead
        delays.push(c.delay());
        c.sleep(c.delay());
    }
    assert_eq!(delays[..3], [40, 1600, 64_000]);
    // ln(300000)/ln(40) caps the exponent: the back-off never passes the max delay.
    assert!(
        delays[3] <= DEFAULT_DELAY && delays[3] >= 299_999,
        "{delays:?}"
    );
}

#[test]
fn with_no_delay_successive_rebalances_revoke_at_once() {
    let mut c = Cluster::new(0);
    c.add_connector("connector3", 4);
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_connector_allocations(&[3]);
    c.assert_task_allocations(&[12]);

    c.add_workers(&["worker2"]);
    c.rebalance();
    c.assert_connector_allocations(&[0, 2]);
    c.assert_task_allocations(&[0, 6]);

    c.add_workers(&["worker3"]);
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_connector_allocations(&[0, 1, 1]);
    c.assert_task_allocations(&[3, 3, 4]);

    c.rebalance();
    c.assert_no_revocations();
    c.assert_connector_allocations(&[1, 1, 1]);
    c.assert_task_allocations(&[4, 4, 4]);
    c.assert_balanced_and_complete_allocation();
}

#[test]
fn a_one_millisecond_max_delay_defers_a_successive_revocation_by_one_millisecond() {
    let mut c = Cluster::new(1);
    c.add_connector("connector3", 4);
    c.rebalance();
    c.assert_connector_allocations(&[3]);

    c.add_workers(&["worker2"]);
    c.rebalance();
    c.assert_connector_allocations(&[0, 2]);
    c.assert_task_allocations(&[0, 6]);

    c.add_workers(&["worker3"]);
    c.rebalance();
    assert_eq!(c.delay(), 1);
    c.assert_connector_allocations(&[0, 1, 2]);
    c.assert_task_allocations(&[3, 3, 6]);
}

#[test]
fn a_worker_joining_during_a_delayed_rebalance_causes_no_revocation() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.add_connector("connector3", 4);
    c.rebalance();
    c.add_workers(&["worker2"]);
    c.rebalance();
    c.assert_connector_allocations(&[0, 2]);
    c.assert_task_allocations(&[0, 6]);

    c.add_workers(&["worker3"]);
    c.rebalance();
    assert!(c.delay() > 0);
    c.assert_no_revocations();
    c.assert_connector_allocations(&[0, 1, 2]);
    c.assert_task_allocations(&[3, 3, 6]);

    c.sleep(c.delay() / 2);
    c.add_workers(&["worker4"]);
    c.rebalance();
    assert!(c.delay() > 0);
    c.assert_no_revocations();
    c.assert_connector_allocations(&[0, 0, 1, 2]);
    c.assert_task_allocations(&[0, 3, 3, 6]);

    c.sleep(c.delay());
    c.add_workers(&["worker5"]);
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_connector_allocations(&[0, 0, 0, 1, 1]);
    c.assert_task_allocations(&[0, 0, 2, 3, 3]);

    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_no_revocations();
    c.assert_connector_allocations(&[0, 0, 1, 1, 1]);
    c.assert_task_allocations(&[2, 2, 2, 3, 3]);
    c.assert_balanced_and_complete_allocation();
}

#[test]
fn a_lost_worker_s_work_is_held_for_the_delay_then_reassigned() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.add_workers(&["worker2"]);
    c.rebalance();
    c.assert_connector_allocations(&[1, 1]);
    c.assert_task_allocations(&[4, 4]);

    c.remove_workers(&["worker2"]);
    c.rebalance();
    assert_eq!(c.delay(), DEFAULT_DELAY);
    c.assert_workers(&["worker1"]);
    c.assert_empty_assignment();

    c.sleep(DEFAULT_DELAY / 2);
    c.rebalance();
    assert_eq!(c.delay(), DEFAULT_DELAY / 2);
    c.assert_empty_assignment();

    c.sleep(DEFAULT_DELAY / 2 + 1);
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_connector_allocations(&[2]);
    c.assert_task_allocations(&[8]);
    c.assert_balanced_and_complete_allocation();
}

#[test]
fn a_worker_returning_within_the_delay_gets_its_share_back_when_it_expires() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.add_workers(&["worker2"]);
    c.rebalance();

    c.remove_workers(&["worker2"]);
    c.rebalance();
    assert_eq!(c.delay(), DEFAULT_DELAY);
    c.assert_empty_assignment();

    c.sleep(DEFAULT_DELAY / 2);
    c.rebalance();
    assert_eq!(c.delay(), DEFAULT_DELAY / 2);
    c.assert_empty_assignment();

    c.sleep(DEFAULT_DELAY / 4);
    c.add_workers(&["worker2"]);
    c.rebalance();
    assert_eq!(c.delay(), DEFAULT_DELAY / 4);
    c.assert_workers(&["worker1", "worker2"]);
    c.assert_empty_assignment();

    c.sleep(DEFAULT_DELAY / 4);
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_no_revocations();
    c.assert_connector_allocations(&[1, 1]);
    c.assert_task_allocations(&[4, 4]);
    c.assert_balanced_and_complete_allocation();
    // The returning worker got exactly the work it had lost.
    assert_eq!(c.workers["worker2"].0.len(), 1);
}

#[test]
fn a_new_leader_without_history_reassigns_the_old_leader_s_work_at_once() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.add_workers(&["worker2", "worker3"]);
    c.rebalance();
    c.assert_connector_allocations(&[0, 1, 1]);
    c.assert_task_allocations(&[2, 3, 3]);
    c.assert_balanced_and_complete_allocation();

    c.remove_workers(&["worker1"]);
    c.new_leader();
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_workers(&["worker2", "worker3"]);
    c.assert_connector_allocations(&[1, 1]);
    c.assert_task_allocations(&[4, 4]);
    c.assert_balanced_and_complete_allocation();

    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_empty_assignment();
}

#[test]
fn a_returning_former_leader_is_balanced_in_like_a_new_worker() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.add_workers(&["worker2", "worker3"]);
    c.rebalance();
    c.remove_workers(&["worker1"]);
    c.new_leader();
    c.rebalance();
    c.assert_connector_allocations(&[1, 1]);
    c.assert_task_allocations(&[4, 4]);

    c.add_workers(&["worker1"]);
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_workers(&["worker1", "worker2", "worker3"]);
    c.assert_connector_allocations(&[0, 1, 1]);
    c.assert_task_allocations(&[0, 3, 3]);

    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_no_revocations();
    c.assert_connector_allocations(&[0, 1, 1]);
    c.assert_task_allocations(&[2, 3, 3]);
    c.assert_balanced_and_complete_allocation();
}

#[test]
fn a_leader_change_keeps_every_running_assignment() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.add_connector("connector3", 3);
    c.add_workers(&["worker2", "worker3"]);
    c.rebalance();
    c.assert_balanced_and_complete_allocation();
    let before = c.workers.clone();

    // Another worker leads with no memory of earlier rebalances; all members stayed.
    c.new_leader();
    c.assignor.previous_generation_id = -1;
    c.rebalance();
    c.assert_empty_assignment();
    assert_eq!(c.delay(), 0);
    assert_eq!(c.workers, before);
}

#[test]
fn an_undelivered_first_assignment_is_assigned_again() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.add_workers(&["worker2"]);
    c.failed_rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_workers(&["worker1", "worker2"]);
    c.assert_connector_allocations(&[0, 0]);
    c.assert_task_allocations(&[0, 0]);

    // The members report what they ran before; nobody left, so no delay.
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_connector_allocations(&[1, 1]);
    c.assert_task_allocations(&[4, 4]);
    c.assert_balanced_and_complete_allocation();
}

#[test]
fn an_undelivered_revocation_is_retried_after_the_back_off() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.add_workers(&["worker2"]);
    c.rebalance();
    c.assert_connector_allocations(&[1, 1]);

    c.add_workers(&["worker3"]);
    c.failed_rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_connector_allocations(&[0, 1, 1]);
    c.assert_task_allocations(&[0, 4, 4]);

    c.rebalance();
    assert!(c.delay() > 0);
    c.assert_connector_allocations(&[0, 1, 1]);
    c.assert_task_allocations(&[0, 4, 4]);

    c.sleep(c.delay());
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_connector_allocations(&[0, 1, 1]);
    c.assert_task_allocations(&[0, 3, 3]);

    c.rebalance();
    c.assert_connector_allocations(&[0, 1, 1]);
    c.assert_task_allocations(&[2, 3, 3]);
    c.assert_balanced_and_complete_allocation();
}

#[test]
fn a_generation_mismatch_discards_the_leader_s_view_of_the_previous_assignment() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.add_workers(&["worker2"]);
    c.rebalance();

    c.add_workers(&["worker3"]);
    c.failed_rebalance();
    c.assert_connector_allocations(&[0, 1, 1]);
    c.assert_task_allocations(&[0, 4, 4]);

    c.mismatched_rebalance();
    assert!(c.delay() > 0);
    c.assert_connector_allocations(&[0, 1, 1]);
    c.assert_task_allocations(&[0, 4, 4]);

    c.sleep(c.delay());
    c.rebalance();
    c.assert_connector_allocations(&[0, 1, 1]);
    c.assert_task_allocations(&[0, 3, 3]);

    c.rebalance();
    c.assert_connector_allocations(&[0, 1, 1]);
    c.assert_task_allocations(&[2, 3, 3]);
    c.assert_balanced_and_complete_allocation();
}

#[test]
fn deleted_connectors_are_revoked_and_the_rest_stays_balanced() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.add_connector("connector3", 4);
    c.add_workers(&["worker2"]);
    c.rebalance();
    c.assert_connector_allocations(&[1, 2]);
    c.assert_task_allocations(&[6, 6]);
    c.assert_balanced_and_complete_allocation();

    c.remove_connector("connector3");
    c.rebalance();
    assert_eq!(c.delay(), 0);
    let revoked: Vec<&String> = c
        .last
        .values()
        .flat_map(|a| &a.revoked_connectors)
        .collect();
    assert_eq!(revoked, ["connector3"]);
    c.assert_connector_allocations(&[1, 1]);
    c.assert_task_allocations(&[4, 4]);
    c.assert_balanced_and_complete_allocation();
}

#[test]
fn added_connectors_go_to_the_least_loaded_workers_without_moving_anything() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.add_workers(&["worker2", "worker3"]);
    c.rebalance();
    c.assert_connector_allocations(&[0, 1, 1]);

    c.add_connector("connector3", 2);
    c.rebalance();
    c.assert_no_revocations();
    c.assert_connector_allocations(&[1, 1, 1]);
    c.assert_task_allocations(&[3, 3, 4]);
    c.assert_balanced_and_complete_allocation();
    let assigned: Vec<&String> = c.last.values().flat_map(|a| &a.connectors).collect();
    assert_eq!(assigned, ["connector3"]);
}

#[test]
fn a_task_count_change_assigns_new_tasks_and_revokes_removed_ones() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.add_workers(&["worker2"]);
    c.rebalance();
    c.assert_task_allocations(&[4, 4]);

    c.connectors.insert("connector1".to_owned(), 6);
    c.rebalance();
    c.assert_no_revocations();
    let new: BTreeSet<&ConnectorTaskId> = c.last.values().flat_map(|a| &a.tasks).collect();
    assert_eq!(
        new,
        [task("connector1", 4), task("connector1", 5)]
            .iter()
            .collect()
    );
    c.assert_task_allocations(&[5, 5]);
    c.assert_balanced_and_complete_allocation();

    c.connectors.insert("connector1".to_owned(), 1);
    c.rebalance();
    let revoked: BTreeSet<&ConnectorTaskId> =
        c.last.values().flat_map(|a| &a.revoked_tasks).collect();
    assert_eq!(
        revoked,
        (1..6)
            .map(|i| task("connector1", i))
            .collect::<Vec<_>>()
            .iter()
            .collect()
    );
    c.assert_balanced_and_complete_allocation();
}

#[test]
fn with_no_delay_a_lost_worker_s_work_is_reassigned_at_once() {
    let mut c = Cluster::new(0);
    c.add_workers(&["worker2"]);
    c.rebalance();
    c.assert_connector_allocations(&[1, 1]);
    c.assert_task_allocations(&[4, 4]);

    c.remove_workers(&["worker2"]);
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_workers(&["worker1"]);
    c.assert_connector_allocations(&[2]);
    c.assert_task_allocations(&[8]);
    c.assert_balanced_and_complete_allocation();
}

#[test]
fn work_running_on_two_workers_is_revoked_from_both_then_assigned_once() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.rebalance();
    c.assert_connector_allocations(&[2]);
    c.assert_task_allocations(&[8]);

    let tasks: Vec<ConnectorTaskId> = (0..4).map(|i| task("connector1", i)).collect();
    c.add_worker("worker2", &["connector1".to_owned()], &tasks);
    c.rebalance();
    assert_eq!(c.delay(), 0);
    for worker in ["worker1", "worker2"] {
        let a = &c.last[worker];
        assert_eq!(a.revoked_connectors, ["connector1"], "{worker}");
        let revoked: BTreeSet<&ConnectorTaskId> = a.revoked_tasks.iter().collect();
        assert_eq!(revoked, tasks.iter().collect(), "{worker}");
    }
    c.assert_connector_allocations(&[0, 1]);
    c.assert_task_allocations(&[0, 4]);

    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_no_revocations();
    c.assert_connector_allocations(&[1, 1]);
    c.assert_task_allocations(&[4, 4]);
    c.assert_balanced_and_complete_allocation();

    c.rebalance();
    c.assert_empty_assignment();
}

#[test]
fn duplicated_work_that_was_deleted_is_only_revoked() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.rebalance();
    c.remove_connector("connector1");
    let tasks: Vec<ConnectorTaskId> = (0..4).map(|i| task("connector1", i)).collect();
    c.add_worker("worker2", &["connector1".to_owned()], &tasks);
    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_connector_allocations(&[0, 1]);
    c.assert_task_allocations(&[0, 2]);

    c.rebalance();
    assert_eq!(c.delay(), 0);
    c.assert_no_revocations();
    c.assert_connector_allocations(&[0, 1]);
    c.assert_task_allocations(&[2, 2]);
    c.assert_balanced_and_complete_allocation();

    c.rebalance();
    c.assert_empty_assignment();
}

#[test]
fn many_workers_get_a_balanced_spread() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    for i in 3..=9 {
        c.add_connector(&format!("connector{i}"), i);
    }
    let names: Vec<String> = (2..=7).map(|i| format!("worker{i}")).collect();
    c.add_workers(&names.iter().map(String::as_str).collect::<Vec<_>>());
    c.rebalance();
    c.assert_no_revocations();
    c.assert_balanced_and_complete_allocation();
    // 9 connectors and 50 tasks over 7 workers.
    c.assert_connector_allocations(&[1, 1, 1, 1, 1, 2, 2]);
    c.assert_task_allocations(&[7, 7, 7, 7, 7, 7, 8]);
}

#[test]
fn a_leader_behind_the_members_answers_config_mismatch_and_keeps_its_state() {
    let mut c = Cluster::new(DEFAULT_DELAY);
    c.add_workers(&["worker2"]);
    c.rebalance();
    let members = vec![member("worker1", 700, None), member("worker2", 618, None)];
    let config = ConfigSnapshot {
        offset: 650,
        connectors: c.connectors.clone(),
    };
    let state_before = c.assignor.leader_state().clone();
    let out = c.assignor.assign(
        c.now,
        "worker1",
        "http://worker1:8083",
        5000,
        4999,
        2,
        &members,
        &config,
    );
    for a in out.values() {
        assert_eq!(a.error, AssignmentError::ConfigMismatch);
        assert_eq!(a.config_offset, 700);
        assert!(a.connectors.is_empty() && a.revoked_tasks.is_empty());
    }
    assert_eq!(out.len(), 2);
    assert_eq!(c.assignor.leader_state(), &state_before);
    // The next rebalance continues from the previous one.
    c.rebalance();
    c.assert_empty_assignment();
}

#[test]
fn assignments_carry_the_group_s_protocol_version_and_the_leader() {
    let mut assignor = IncrementalCooperativeAssignor::new(Duration::from_secs(300));
    let members = vec![member("followMe", 618, None)];
    let config = ConfigSnapshot {
        offset: 618,
        connectors: BTreeMap::new(),
    };
    for version in [1, 2] {
        let out = assignor.assign(
            0,
            "followMe",
            "followMe:618",
            1,
            -1,
            version,
            &members,
            &config,
        );
        let a = &out["followMe"];
        assert_eq!(a.protocol_version, version);
        assert_eq!(a.leader, "followMe");
        assert_eq!(a.leader_url, "followMe:618");
        assert_eq!(a.error, AssignmentError::None);
    }
    assert!(
        assignor
            .assign(0, "x", "y", 2, 1, 2, &[], &config)
            .is_empty()
    );
}

fn eager_config(offset: i64, connectors: &[(&str, u32)]) -> ConfigSnapshot {
    ConfigSnapshot {
        offset,
        connectors: connectors
            .iter()
            .map(|(c, n)| ((*c).to_owned(), *n))
            .collect(),
    }
}

#[test]
fn eager_assignment_deals_connectors_then_tasks_round_robin() {
    let members = [member("leader", 4, None), member("member", 4, None)];
    let out = assign_eager(
        "leader",
        "leaderUrl:8083",
        &members,
        &eager_config(4, &[("connector1", 1)]),
    );
    let leader = &out["leader"];
    assert_eq!(leader.error, AssignmentError::None);
    assert_eq!(leader.leader, "leader");
    assert_eq!(leader.leader_url, "leaderUrl:8083");
    assert_eq!(leader.config_offset, 4);
    assert_eq!(leader.protocol_version, 0);
    assert_eq!(leader.connectors, ["connector1"]);
    assert!(leader.tasks.is_empty());
    let other = &out["member"];
    assert!(other.connectors.is_empty());
    assert_eq!(other.tasks, [task("connector1", 0)]);
}

#[test]
fn eager_assignment_continues_the_round_robin_from_connectors_into_tasks() {
    let members = [member("leader", 9, None), member("member", 9, None)];
    let config = eager_config(9, &[("connector1", 2), ("connector2", 1)]);
    let out = assign_eager("leader", "leaderUrl:8083", &members, &config);
    assert_eq!(out["leader"].connectors, ["connector1"]);
    assert_eq!(
        out["leader"].tasks,
        [task("connector1", 0), task("connector2", 0)]
    );
    assert_eq!(out["member"].connectors, ["connector2"]);
    assert_eq!(out["member"].tasks, [task("connector1", 1)]);
}

#[test]
fn eager_assignment_spreads_single_task_connectors_evenly() {
    let members = [member("member", 12, None), member("leader", 12, None)];
    let config = eager_config(
        12,
        &[("connector3", 1), ("connector1", 1), ("connector2", 1)],
    );
    let out = assign_eager("leader", "leaderUrl:8083", &members, &config);
    assert_eq!(out["leader"].connectors, ["connector1", "connector3"]);
    assert_eq!(out["leader"].tasks, [task("connector2", 0)]);
    assert_eq!(out["member"].connectors, ["connector2"]);
    assert_eq!(
        out["member"].tasks,
        [task("connector1", 0), task("connector3", 0)]
    );
    let state = LeaderState::from_complete_assignments(&members, &out);
    assert_eq!(state.owner_url("connector2"), Some("http://member:8083"));
    assert_eq!(
        state.task_owner_url(&task("connector2", 0)),
        Some("http://leader:8083")
    );
    assert_eq!(state.owner_url("nope"), None);
}

#[test]
fn eager_assignment_sorts_tasks_numerically_and_names_as_java_strings() {
    let members = [member("a", 1, None)];
    let config = eager_config(1, &[("b", 11), ("\u{FF21}", 0), ("\u{10000}", 0)]);
    let out = assign_eager("a", "u", &members, &config);
    // U+10000 is a surrogate pair in UTF-16 and sorts before U+FF21 there.
    assert_eq!(out["a"].connectors, ["b", "\u{10000}", "\u{FF21}"]);
    assert_eq!(
        out["a"].tasks,
        (0..11).map(|i| task("b", i)).collect::<Vec<_>>()
    );
}

#[test]
fn an_eager_leader_behind_the_members_answers_config_mismatch() {
    let members = [member("leader", 3, None), member("member", 5, None)];
    let out = assign_eager("leader", "u", &members, &eager_config(4, &[("c", 2)]));
    for a in out.values() {
        assert_eq!(a.error, AssignmentError::ConfigMismatch);
        assert_eq!(a.config_offset, 5);
        assert!(a.connectors.is_empty() && a.tasks.is_empty());
    }
    // A leader that read further than asked assigns at the offset it read.
    let out = assign_eager("leader", "u", &members, &eager_config(8, &[("c", 2)]));
    assert_eq!(out["leader"].config_offset, 8);
    assert_eq!(out["leader"].error, AssignmentError::None);
    assert!(assign_eager("leader", "u", &[], &eager_config(8, &[])).is_empty());
    assert_eq!(max_config_offset(&members), Some(5));
    assert_eq!(max_config_offset(&[]), None);
}

#[test]
fn members_are_walked_in_java_hash_map_order() {
    // "Aa" and "BB" share bucket 0 (kept in arrival order), "worker1" is in bucket 11: what
    // Java prints for a HashMap filled with worker1, BB, Aa.
    let members = [
        member("worker1", 0, None),
        member("BB", 0, None),
        member("Aa", 0, None),
    ];
    let order: Vec<&str> = java_member_order(&members)
        .iter()
        .map(|m| m.member_id.as_str())
        .collect();
    let bucket = |s: &str| {
        let h = string_hash(s) as u32;
        (h ^ (h >> 16)) & 15
    };
    assert!(
        bucket("BB") < bucket("worker1"),
        "{} {}",
        bucket("BB"),
        bucket("worker1")
    );
    assert_eq!(order, ["BB", "Aa", "worker1"]);
}
