//! Kafka's `IncrementalCooperativeAssignor` (KIP-415), ported step for step from Kafka 3.9
//! (`performTaskAssignment` and its helpers), with Java's collection orders reproduced where
//! they decide the outcome (see [`crate::protocol::java_order`]).
//!
//! Each rebalance the leader compares what the members report running with what it assigned
//! last time and with the config: deleted work is revoked, work running twice is revoked from
//! every holder, work nobody reports (a lost worker's) is held back for
//! `scheduled.rebalance.max.delay.ms` in case the worker returns, new and expired-lost work is
//! spread over the least loaded workers, and overloaded workers give up their excess (to be
//! assigned in the follow-up rebalance), at most once per exponential back-off period.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::ordered::OrderedSet;
use crate::ConnectorTaskId;
use crate::protocol::java_order::{
    cmp_str, cmp_task, grown_capacity, hash_order, string_hash, string_set_order, task_set_order,
};

/// Kafka's `ConnectorsAndTasks`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Work {
    pub(crate) connectors: OrderedSet<String>,
    pub(crate) tasks: OrderedSet<ConnectorTaskId>,
}

impl Work {
    pub(crate) fn new(connectors: &[String], tasks: &[ConnectorTaskId]) -> Self {
        Self {
            connectors: connectors.iter().cloned().collect(),
            tasks: tasks.iter().cloned().collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    fn add_all(&mut self, other: &Work) {
        self.connectors.extend(other.connectors.iter());
        self.tasks.extend(other.tasks.iter());
    }

    fn remove_all(&mut self, other: &Work) {
        self.connectors.remove_all(other.connectors.iter());
        self.tasks.remove_all(other.tasks.iter());
    }

    fn clear(&mut self) {
        self.connectors.clear();
        self.tasks.clear();
    }
}

/// A worker's id and its work, in the order Kafka lists workers (`WorkerLoad`).
pub(crate) type WorkerLoad = (String, Work);

/// What one rebalance decides (Kafka's `ClusterAssignment`), per worker.
#[derive(Debug, Default)]
pub(crate) struct ClusterAssignment {
    pub(crate) newly_assigned: BTreeMap<String, Work>,
    pub(crate) newly_revoked: BTreeMap<String, Work>,
    pub(crate) all_assigned: BTreeMap<String, Work>,
}

/// Kafka's `ExponentialBackoff` without jitter (the assignor uses none).
#[derive(Debug, Clone)]
struct ExponentialBackoff {
    initial_interval: i64,
    multiplier: f64,
    max_interval: i64,
    exp_max: f64,
}

impl ExponentialBackoff {
    fn new(initial_interval: i64, multiplier: i32, max_interval: i64) -> Self {
        let initial_interval = initial_interval.min(max_interval);
        let multiplier = f64::from(multiplier);
        let exp_max = if max_interval > initial_interval {
            (max_interval as f64 / initial_interval.max(1) as f64).ln() / multiplier.ln()
        } else {
            0.0
        };
        Self {
            initial_interval,
            multiplier,
            max_interval,
            exp_max,
        }
    }

    fn backoff(&self, attempts: i64) -> i64 {
        if self.exp_max == 0.0 {
            return self.initial_interval;
        }
        let exp = (attempts as f64).min(self.exp_max);
        let term = self.initial_interval as f64 * self.multiplier.powf(exp);
        // Java's `(long)` cast: truncation, saturating.
        (term as i64).min(self.max_interval)
    }
}

/// The leader's incremental cooperative assignor with the state Kafka keeps between rebalances.
#[derive(Debug, Clone)]
pub struct IncrementalCooperativeAssignor {
    /// `scheduled.rebalance.max.delay.ms`.
    pub(crate) max_delay: i32,
    previous_assignment: Work,
    previous_revocation: Work,
    revoked_in_previous: bool,
    pub(crate) candidate_workers_for_reassignment: OrderedSet<String>,
    pub(crate) scheduled_rebalance: i64,
    pub(crate) delay: i32,
    pub(crate) previous_generation_id: i32,
    pub(crate) previous_members: HashSet<String>,
    consecutive_revoking_rebalances_backoff: ExponentialBackoff,
    num_successive_revoking_rebalances: i32,
    pub(crate) leader_state: super::LeaderState,
}

impl IncrementalCooperativeAssignor {
    pub(crate) fn with_max_delay_ms(max_delay: i32) -> Self {
        Self {
            max_delay,
            previous_assignment: Work::default(),
            previous_revocation: Work::default(),
            revoked_in_previous: false,
            candidate_workers_for_reassignment: OrderedSet::default(),
            scheduled_rebalance: 0,
            delay: 0,
            previous_generation_id: -1,
            previous_members: HashSet::new(),
            // Kafka starts the back-off at 1 ms, or 0 when the delay is disabled (0) so that
            // it stays 0.
            consecutive_revoking_rebalances_backoff: ExponentialBackoff::new(
                if max_delay == 0 { 0 } else { 1 },
                40,
                i64::from(max_delay),
            ),
            num_successive_revoking_rebalances: 0,
            leader_state: super::LeaderState::default(),
        }
    }

    /// `performTaskAssignment(ClusterConfigState, int, int, Map)`. `member_assignments` in the
    /// order Kafka's `HashMap` of members iterates; `configured_connectors` sorted.
    pub(crate) fn perform_task_assignment(
        &mut self,
        now_ms: i64,
        configured: &Work,
        last_completed_generation_id: i32,
        current_generation_id: i32,
        member_assignments: Vec<WorkerLoad>,
    ) -> ClusterAssignment {
        if self.previous_generation_id != last_completed_generation_id {
            tracing::debug!(
                previous_generation = self.previous_generation_id,
                last_completed_generation = last_completed_generation_id,
                "the leader's view of the previous assignment is outdated; ignoring it"
            );
            self.previous_assignment = Work::default();
        }

        let active = union(&member_assignments);

        // A previous revocation did not take effect: start again from what the members run.
        if !self.previous_revocation.is_empty() {
            let revocation_ignored = self
                .previous_revocation
                .connectors
                .iter()
                .any(|c| active.connectors.contains(c))
                || self
                    .previous_revocation
                    .tasks
                    .iter()
                    .any(|t| active.tasks.contains(t));
            if revocation_ignored {
                self.previous_assignment = active.clone();
            }
            self.previous_revocation.clear();
        }

        let deleted = diff(&self.previous_assignment, &[configured]);
        let duplicated = duplicated_assignments(&member_assignments);
        let lost_assignments = diff(&self.previous_assignment, &[&active, &deleted]);
        let created = diff(configured, &[&self.previous_assignment, &active]);
        tracing::debug!(
            deleted_connectors = deleted.connectors.len(),
            deleted_tasks = deleted.tasks.len(),
            lost_connectors = lost_assignments.connectors.len(),
            lost_tasks = lost_assignments.tasks.len(),
            created_connectors = created.connectors.len(),
            created_tasks = created.tasks.len(),
            "incremental cooperative assignment"
        );

        // What each worker runs now, less what was deleted: the base of the incremental diff.
        let current_worker_assignment: HashMap<String, Work> = member_assignments
            .iter()
            .map(|(worker, work)| {
                let mut kept = work.clone();
                kept.remove_all(&deleted);
                (worker.clone(), kept)
            })
            .collect();

        let mut to_revoke: BTreeMap<String, Work> = BTreeMap::new();
        let deleted_to_revoke = intersection(&deleted, &member_assignments);
        add_all(&mut to_revoke, &deleted_to_revoke);
        let duplicated_to_revoke = intersection(&duplicated, &member_assignments);
        add_all(&mut to_revoke, &duplicated_to_revoke);

        let mut next_worker_assignment = member_assignments;
        remove_all(&mut next_worker_assignment, &deleted_to_revoke);
        remove_all(&mut next_worker_assignment, &duplicated_to_revoke);

        let mut lost_assignments_to_reassign = Work::default();
        self.handle_lost_assignments(
            now_ms,
            &lost_assignments,
            &mut lost_assignments_to_reassign,
            &mut next_worker_assignment,
        );

        // No load-balancing revocations while a delayed rebalance is pending.
        if self.delay == 0 {
            let load_balancing_revocations =
                perform_load_balancing_revocations(configured, &next_worker_assignment);
            if self.revoked_in_previous && !load_balancing_revocations.is_empty() {
                self.num_successive_revoking_rebalances =
                    self.num_successive_revoking_rebalances.saturating_add(1);
                self.delay = clamp_i32(
                    self.consecutive_revoking_rebalances_backoff
                        .backoff(i64::from(self.num_successive_revoking_rebalances)),
                );
                if self.delay != 0 {
                    self.scheduled_rebalance = now_ms.saturating_add(i64::from(self.delay));
                    tracing::debug!(
                        delay_ms = self.delay,
                        "consecutive revoking rebalances; skipping revocations this round"
                    );
                } else {
                    add_all(&mut to_revoke, &load_balancing_revocations);
                    remove_all(&mut next_worker_assignment, &load_balancing_revocations);
                }
            } else if !load_balancing_revocations.is_empty() {
                add_all(&mut to_revoke, &load_balancing_revocations);
                remove_all(&mut next_worker_assignment, &load_balancing_revocations);
                self.revoked_in_previous = true;
            } else if self.revoked_in_previous {
                // The previous round revoked and this one need not: the load has converged.
                self.revoked_in_previous = false;
                self.num_successive_revoking_rebalances = 0;
            }
        } else {
            self.revoked_in_previous = false;
        }

        let mut to_assign = Work::default();
        to_assign.add_all(&created);
        to_assign.add_all(&lost_assignments_to_reassign);

        assign_connectors(&mut next_worker_assignment, to_assign.connectors.as_slice());
        assign_tasks(&mut next_worker_assignment, to_assign.tasks.as_slice());

        let mut newly_assigned = BTreeMap::new();
        for (worker, next) in &next_worker_assignment {
            let current = current_worker_assignment.get(worker);
            let work = Work {
                connectors: next
                    .connectors
                    .iter()
                    .filter(|c| current.is_none_or(|w| !w.connectors.contains(c)))
                    .cloned()
                    .collect(),
                tasks: next
                    .tasks
                    .iter()
                    .filter(|t| current.is_none_or(|w| !w.tasks.contains(t)))
                    .cloned()
                    .collect(),
            };
            newly_assigned.insert(worker.clone(), work);
        }

        let revoked = to_revoke;
        self.previous_assignment =
            self.compute_previous_assignment(&revoked, &next_worker_assignment, &lost_assignments);
        self.previous_generation_id = current_generation_id;
        self.previous_members = next_worker_assignment
            .iter()
            .map(|(worker, _)| worker.clone())
            .collect();

        let mut all_assigned = BTreeMap::new();
        for (worker, next) in next_worker_assignment {
            let mut work = next;
            if let Some(r) = revoked.get(&worker) {
                work.remove_all(r);
            }
            all_assigned.insert(worker, work);
        }

        ClusterAssignment {
            newly_assigned,
            newly_revoked: revoked,
            all_assigned,
        }
    }

    fn compute_previous_assignment(
        &mut self,
        to_revoke: &BTreeMap<String, Work>,
        next: &[WorkerLoad],
        lost_assignments: &Work,
    ) -> Work {
        let mut previous = union(next);
        for revoked in to_revoke.values() {
            previous.remove_all(revoked);
            self.previous_revocation.add_all(revoked);
        }
        previous.add_all(lost_assignments);
        previous
    }

    /// `handleLostAssignments`: decides whether lost work waits for its worker to return, goes
    /// to the workers that joined meanwhile, or is assigned as new.
    pub(crate) fn handle_lost_assignments(
        &mut self,
        now_ms: i64,
        lost_assignments: &Work,
        lost_assignments_to_reassign: &mut Work,
        complete_worker_assignment: &mut [WorkerLoad],
    ) {
        if lost_assignments.is_empty() && !self.revoked_in_previous {
            self.reset_delay();
            return;
        }

        let active_members: HashSet<&String> = complete_worker_assignment
            .iter()
            .map(|(worker, _)| worker)
            .collect();
        if self.scheduled_rebalance <= 0
            && self
                .previous_members
                .iter()
                .all(|m| active_members.contains(m))
        {
            // Nobody left: the members probably missed the previous assignment.
            lost_assignments_to_reassign.add_all(lost_assignments);
            return;
        } else if self.max_delay == 0 {
            lost_assignments_to_reassign.add_all(lost_assignments);
            return;
        }

        if self.scheduled_rebalance > 0 && now_ms >= self.scheduled_rebalance {
            // The delay expired: reassign the lost work.
            let candidates: Vec<usize> = if self.candidate_workers_for_reassignment.is_empty() {
                Vec::new()
            } else {
                self.pick_candidate_workers_for_reassignment(complete_worker_assignment)
            };
            if candidates.is_empty() {
                lost_assignments_to_reassign.add_all(lost_assignments);
            } else {
                for (i, connector) in lost_assignments.connectors.iter().enumerate() {
                    let worker = candidates[i % candidates.len()];
                    complete_worker_assignment[worker]
                        .1
                        .connectors
                        .insert(connector.clone());
                }
                for (i, task) in lost_assignments.tasks.iter().enumerate() {
                    let worker = candidates[i % candidates.len()];
                    complete_worker_assignment[worker]
                        .1
                        .tasks
                        .insert(task.clone());
                }
            }
            self.reset_delay();
            // The full delay has passed: successive revoking rebalances are allowed again.
            self.revoked_in_previous = false;
        } else {
            let new_candidates = candidate_workers_for_reassignment(complete_worker_assignment);
            self.candidate_workers_for_reassignment
                .extend(new_candidates.iter());
            if now_ms < self.scheduled_rebalance {
                self.delay = self.calculate_delay(now_ms);
            } else {
                // No delayed rebalance yet: start one.
                self.delay = self.max_delay;
            }
            self.scheduled_rebalance = now_ms.saturating_add(i64::from(self.delay));
            tracing::debug!(
                delay_ms = self.delay,
                "lost connectors or tasks; reassignment postponed"
            );
        }
    }

    fn reset_delay(&mut self) {
        self.candidate_workers_for_reassignment.clear();
        self.scheduled_rebalance = 0;
        self.delay = 0;
    }

    /// The candidates still in the group, as indices into `complete_worker_assignment`, in
    /// the order they became candidates.
    fn pick_candidate_workers_for_reassignment(
        &self,
        complete_worker_assignment: &[WorkerLoad],
    ) -> Vec<usize> {
        self.candidate_workers_for_reassignment
            .iter()
            .filter_map(|candidate| {
                complete_worker_assignment
                    .iter()
                    .position(|(worker, _)| worker == candidate)
            })
            .collect()
    }

    fn calculate_delay(&self, now_ms: i64) -> i32 {
        let diff = self.scheduled_rebalance.saturating_sub(now_ms);
        if diff > 0 {
            clamp_i32(diff.min(i64::from(self.max_delay)))
        } else {
            0
        }
    }
}

fn clamp_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

/// The workers with nothing assigned, in Java `HashSet` order (`Collectors.toSet()`).
fn candidate_workers_for_reassignment(complete_worker_assignment: &[WorkerLoad]) -> Vec<String> {
    let empty: Vec<String> = complete_worker_assignment
        .iter()
        .filter(|(_, work)| work.is_empty())
        .map(|(worker, _)| worker.clone())
        .collect();
    let capacity = grown_capacity(empty.len());
    hash_order(empty, |w| string_hash(w), capacity)
}

/// Everything the workers run, each once.
fn union(workers: &[WorkerLoad]) -> Work {
    let mut all = Work::default();
    for (_, work) in workers {
        all.add_all(work);
    }
    all
}

/// `diff(base, toSubtract...)`: what `base` has and none of the others, sorted (a `TreeSet`).
fn diff(base: &Work, to_subtract: &[&Work]) -> Work {
    let mut connectors: Vec<String> = base
        .connectors
        .iter()
        .filter(|c| !to_subtract.iter().any(|s| s.connectors.contains(c)))
        .cloned()
        .collect();
    connectors.sort_by(|a, b| cmp_str(a, b));
    let mut tasks: Vec<ConnectorTaskId> = base
        .tasks
        .iter()
        .filter(|t| !to_subtract.iter().any(|s| s.tasks.contains(t)))
        .cloned()
        .collect();
    tasks.sort_by(cmp_task);
    Work::new(&connectors, &tasks)
}

/// The connectors and tasks more than one worker reports running.
fn duplicated_assignments(member_assignments: &[WorkerLoad]) -> Work {
    let mut connector_counts: HashMap<&String, usize> = HashMap::new();
    let mut task_counts: HashMap<&ConnectorTaskId, usize> = HashMap::new();
    for (_, work) in member_assignments {
        for c in work.connectors.iter() {
            *connector_counts.entry(c).or_default() += 1;
        }
        for t in work.tasks.iter() {
            *task_counts.entry(t).or_default() += 1;
        }
    }
    Work {
        connectors: connector_counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(c, _)| c.clone())
            .collect(),
        tasks: task_counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(t, _)| t.clone())
            .collect(),
    }
}

/// `intersection(set, assignments)`: per worker, what it runs of `set`, in the order of a
/// `new HashSet<>(worker's collection)` with the rest removed.
fn intersection(set: &Work, member_assignments: &[WorkerLoad]) -> Vec<WorkerLoad> {
    member_assignments
        .iter()
        .map(|(worker, work)| {
            let connectors = string_set_order(work.connectors.as_slice())
                .into_iter()
                .filter(|c| set.connectors.contains(c));
            let tasks = task_set_order(work.tasks.as_slice())
                .into_iter()
                .filter(|t| set.tasks.contains(t));
            (
                worker.clone(),
                Work {
                    connectors: connectors.collect(),
                    tasks: tasks.collect(),
                },
            )
        })
        .collect()
}

fn add_all(base: &mut BTreeMap<String, Work>, to_add: &[WorkerLoad]) {
    for (worker, work) in to_add {
        base.entry(worker.clone()).or_default().add_all(work);
    }
}

fn remove_all(worker_loads: &mut [WorkerLoad], to_remove: &[WorkerLoad]) {
    for (worker, work) in worker_loads.iter_mut() {
        if let Some((_, r)) = to_remove.iter().find(|(w, _)| w == worker) {
            work.remove_all(r);
        }
    }
}

/// `performLoadBalancingRevocations`: what each worker must give up so that none runs more
/// than a balanced share; the workers in `workers`' order take the extra ones.
fn perform_load_balancing_revocations(
    configured: &Work,
    workers: &[WorkerLoad],
) -> Vec<WorkerLoad> {
    if workers.iter().all(|(_, work)| work.is_empty()) || configured.is_empty() {
        return Vec::new();
    }
    let connector_revocations =
        load_balancing_revocations(configured.connectors.len(), workers, |w| &w.connectors);
    let task_revocations =
        load_balancing_revocations(configured.tasks.len(), workers, |w| &w.tasks);
    let mut result: BTreeMap<String, Work> = BTreeMap::new();
    for (worker, revoked) in connector_revocations {
        result
            .entry(worker)
            .or_default()
            .connectors
            .extend(revoked.iter());
    }
    for (worker, revoked) in task_revocations {
        result
            .entry(worker)
            .or_default()
            .tasks
            .extend(revoked.iter());
    }
    result.into_iter().collect()
}

fn load_balancing_revocations<E: Eq + std::hash::Hash + Clone>(
    total_to_allocate: usize,
    workers: &[WorkerLoad],
    allocation: impl Fn(&Work) -> &OrderedSet<E>,
) -> Vec<(String, Vec<E>)> {
    let total_workers = workers.len();
    if total_workers == 0 {
        return Vec::new();
    }
    let min_allocated_per_worker = total_to_allocate / total_workers;
    let workers_to_allocate_extra = total_to_allocate % total_workers;
    let size = |w: &Work| allocation(w).len();

    let workers_allocated_minimum = workers
        .iter()
        .filter(|(_, w)| size(w) == min_allocated_per_worker)
        .count();
    let workers_allocated_single_extra = workers
        .iter()
        .filter(|(_, w)| size(w) == min_allocated_per_worker + 1)
        .count();
    if workers_allocated_single_extra == workers_to_allocate_extra
        && workers_allocated_minimum + workers_allocated_single_extra == total_workers
    {
        return Vec::new();
    }

    let mut result = Vec::new();
    let mut allocated_extras = 0;
    for (worker, work) in workers {
        let current = size(work);
        if current <= min_allocated_per_worker {
            continue;
        }
        let max_allocation = if allocated_extras < workers_to_allocate_extra {
            allocated_extras += 1;
            if current == min_allocated_per_worker + 1 {
                continue;
            }
            min_allocated_per_worker + 1
        } else {
            min_allocated_per_worker
        };
        let revoked: Vec<E> = allocation(work)
            .iter()
            .take(current - max_allocation)
            .cloned()
            .collect();
        result.push((worker.clone(), revoked));
    }
    result
}

/// `assignConnectors`: round-robin over the least loaded workers, each round over the workers
/// whose load equals the least loaded one's at the round's start.
pub(crate) fn assign_connectors(workers: &mut [WorkerLoad], connectors: &[String]) {
    workers.sort_by(|a, b| {
        a.1.connectors
            .len()
            .cmp(&b.1.connectors.len())
            .then_with(|| cmp_str(&a.0, &b.0))
    });
    round_robin(workers, connectors, |w| &mut w.connectors);
}

/// `assignTasks`, as [`assign_connectors`] over task counts.
pub(crate) fn assign_tasks(workers: &mut [WorkerLoad], tasks: &[ConnectorTaskId]) {
    workers.sort_by(|a, b| {
        a.1.tasks
            .len()
            .cmp(&b.1.tasks.len())
            .then_with(|| cmp_str(&a.0, &b.0))
    });
    round_robin(workers, tasks, |w| &mut w.tasks);
}

fn round_robin<E: Eq + std::hash::Hash + Clone>(
    workers: &mut [WorkerLoad],
    load: &[E],
    allocation: impl Fn(&mut Work) -> &mut OrderedSet<E>,
) {
    if workers.is_empty() {
        return;
    }
    let mut load = load.iter().peekable();
    while load.peek().is_some() {
        let first_load = allocation(&mut workers[0].1).len();
        let up_to = workers
            .iter_mut()
            .position(|(_, w)| allocation(w).len() > first_load)
            .unwrap_or(workers.len());
        for (_, work) in workers[..up_to].iter_mut() {
            let Some(item) = load.next() else { break };
            allocation(work).insert(item.clone());
            if load.peek().is_none() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests;
