//! The assignor's building blocks, after the unit-level cases of Kafka's
//! `IncrementalCooperativeAssignorTest` (`assignConnectors`, `assignTasks`,
//! `handleLostAssignments`).

use super::*;

const MAX_DELAY: i32 = 300_000;

fn connectors(start: u32, end: u32) -> Vec<String> {
    (start..end).map(|i| format!("connector{i}")).collect()
}

fn tasks(start: u32, end: u32) -> Vec<ConnectorTaskId> {
    (start..end)
        .map(|i| ConnectorTaskId {
            connector: "task".to_owned(),
            task: i,
        })
        .collect()
}

fn worker_load(worker: &str, c_start: u32, c_num: u32, t_start: u32, t_num: u32) -> WorkerLoad {
    (
        worker.to_owned(),
        Work::new(
            &connectors(c_start, c_start + c_num),
            &tasks(t_start, t_start + t_num),
        ),
    )
}

fn empty(worker: &str) -> WorkerLoad {
    (worker.to_owned(), Work::default())
}

fn names(loads: &[WorkerLoad]) -> Vec<&str> {
    loads.iter().map(|(w, _)| w.as_str()).collect()
}

#[test]
fn new_connectors_go_round_robin_over_equally_loaded_workers() {
    let mut workers: Vec<WorkerLoad> = (0..3)
        .map(|i| worker_load(&format!("worker{i}"), i * 2, 2, i * 2, 2))
        .collect();
    assign_connectors(&mut workers, &connectors(6, 11));
    assert_eq!(names(&workers), ["worker0", "worker1", "worker2"]);
    let got: Vec<&[String]> = workers
        .iter()
        .map(|(_, w)| w.connectors.as_slice())
        .collect();
    assert_eq!(
        got,
        [
            &["connector0", "connector1", "connector6", "connector9"][..],
            &["connector2", "connector3", "connector7", "connector10"][..],
            &["connector4", "connector5", "connector8"][..],
        ]
    );

    assign_tasks(&mut workers, &tasks(6, 11));
    let got: Vec<Vec<u32>> = workers
        .iter()
        .map(|(_, w)| w.tasks.iter().map(|t| t.task).collect())
        .collect();
    assert_eq!(got, [vec![0, 1, 6, 9], vec![2, 3, 7, 10], vec![4, 5, 8]]);
}

#[test]
fn new_work_fills_the_least_loaded_workers_first() {
    let mut workers = vec![
        worker_load("worker0", 0, 2, 0, 2),
        worker_load("worker1", 2, 3, 2, 3),
        worker_load("worker2", 5, 4, 5, 4),
        empty("worker3"),
    ];
    assign_connectors(&mut workers, &connectors(9, 24));
    assign_tasks(&mut workers, &tasks(9, 24));
    for (worker, work) in &workers {
        assert_eq!(work.connectors.len(), 6, "{worker}");
        assert_eq!(work.tasks.len(), 6, "{worker}");
    }
    // The empty worker took the first new connector.
    let worker3 = workers.iter().find(|(w, _)| w == "worker3").unwrap();
    assert_eq!(worker3.1.connectors.as_slice()[0], "connector9");
}

/// worker0..2 running 2 connectors and 4 tasks each.
fn three_workers() -> Vec<WorkerLoad> {
    vec![
        worker_load("worker0", 0, 2, 0, 4),
        worker_load("worker1", 2, 2, 4, 4),
        worker_load("worker2", 4, 2, 8, 4),
    ]
}

fn member_set(loads: &[WorkerLoad]) -> HashSet<String> {
    loads.iter().map(|(w, _)| w.clone()).collect()
}

fn candidates(a: &IncrementalCooperativeAssignor) -> Vec<&str> {
    a.candidate_workers_for_reassignment
        .iter()
        .map(String::as_str)
        .collect()
}

/// An assignor that has seen three workers, one of which (`worker1`) is now gone: returns it
/// with the lost work and the two remaining workers, after the first lost-work round.
fn after_worker1_is_lost(
    now: i64,
    max_delay: i32,
) -> (IncrementalCooperativeAssignor, Work, Vec<WorkerLoad>) {
    let mut a = IncrementalCooperativeAssignor::with_max_delay_ms(max_delay);
    let mut workers = three_workers();
    a.handle_lost_assignments(now, &Work::default(), &mut Work::default(), &mut workers);
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!((a.scheduled_rebalance, a.delay), (0, 0));
    a.previous_members = member_set(&workers);
    let (_, lost) = workers.remove(1);
    (a, lost, workers)
}

#[test]
fn lost_work_waits_for_its_worker_and_goes_back_to_it_when_it_returns() {
    let mut now = 1_000_000;
    let (mut a, lost, mut workers) = after_worker1_is_lost(now, MAX_DELAY);
    a.handle_lost_assignments(now, &lost, &mut Work::default(), &mut workers);
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!(a.scheduled_rebalance, now + i64::from(MAX_DELAY));
    assert_eq!(a.delay, MAX_DELAY);

    a.previous_members = member_set(&workers);
    now += i64::from(MAX_DELAY / 2);
    workers.push(empty("worker1"));
    a.handle_lost_assignments(now, &lost, &mut Work::default(), &mut workers);
    assert_eq!(candidates(&a), ["worker1"]);
    assert_eq!(a.scheduled_rebalance, now + i64::from(MAX_DELAY / 2));
    assert_eq!(a.delay, MAX_DELAY / 2);

    a.previous_members = member_set(&workers);
    now += i64::from(MAX_DELAY / 2);
    let mut to_reassign = Work::default();
    a.handle_lost_assignments(now, &lost, &mut to_reassign, &mut workers);
    let returned = &workers.iter().find(|(w, _)| w == "worker1").unwrap().1;
    assert_eq!(returned.connectors.as_slice(), lost.connectors.as_slice());
    assert_eq!(returned.tasks.as_slice(), lost.tasks.as_slice());
    assert!(to_reassign.is_empty());
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!((a.scheduled_rebalance, a.delay), (0, 0));
}

#[test]
fn lost_work_of_a_worker_that_never_returns_is_reassigned_as_new_after_the_delay() {
    let mut now = 1_000_000;
    let (mut a, lost, mut workers) = after_worker1_is_lost(now, MAX_DELAY);
    a.handle_lost_assignments(now, &lost, &mut Work::default(), &mut workers);
    assert_eq!(a.delay, MAX_DELAY);

    now += i64::from(MAX_DELAY / 2);
    a.handle_lost_assignments(now, &lost, &mut Work::default(), &mut workers);
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!(a.scheduled_rebalance, now + i64::from(MAX_DELAY / 2));
    assert_eq!(a.delay, MAX_DELAY / 2);

    now += i64::from(MAX_DELAY / 2);
    let mut to_reassign = Work::default();
    a.handle_lost_assignments(now, &lost, &mut to_reassign, &mut workers);
    assert_eq!(
        to_reassign.connectors.as_slice(),
        lost.connectors.as_slice()
    );
    assert_eq!(to_reassign.tasks.as_slice(), lost.tasks.as_slice());
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!((a.scheduled_rebalance, a.delay), (0, 0));
}

#[test]
fn lost_work_is_spread_over_every_worker_that_joined_during_the_delay() {
    let mut now = 1_000_000;
    let (mut a, lost, mut workers) = after_worker1_is_lost(now, MAX_DELAY);
    workers.push(empty("worker3"));
    a.handle_lost_assignments(now, &lost, &mut Work::default(), &mut workers);
    assert_eq!(candidates(&a), ["worker3"]);
    assert_eq!(a.delay, MAX_DELAY);

    a.previous_members = member_set(&workers);
    now += i64::from(MAX_DELAY / 2);
    workers.push(empty("worker1"));
    a.handle_lost_assignments(now, &lost, &mut Work::default(), &mut workers);
    let mut both = candidates(&a);
    both.sort_unstable();
    assert_eq!(both, ["worker1", "worker3"]);
    assert_eq!(a.delay, MAX_DELAY / 2);

    // By now both candidates got other work; they still share the lost work.
    a.previous_members = member_set(&workers);
    now += i64::from(MAX_DELAY / 2);
    for (w, work) in workers.iter_mut() {
        if w == "worker1" {
            *work = worker_load("worker1", 6, 2, 8, 4).1;
        } else if w == "worker3" {
            *work = worker_load("worker3", 8, 2, 12, 4).1;
        }
    }
    a.handle_lost_assignments(now, &lost, &mut Work::default(), &mut workers);
    let held: Vec<&String> = workers
        .iter()
        .filter(|(w, _)| w == "worker1" || w == "worker3")
        .flat_map(|(_, work)| work.connectors.iter())
        .collect();
    assert!(lost.connectors.iter().all(|c| held.contains(&c)));
    let held_tasks: Vec<&ConnectorTaskId> = workers
        .iter()
        .filter(|(w, _)| w == "worker1" || w == "worker3")
        .flat_map(|(_, work)| work.tasks.iter())
        .collect();
    assert!(lost.tasks.iter().all(|t| held_tasks.contains(&t)));
    // Round-robin: one lost connector each.
    for (w, work) in &workers {
        if w == "worker1" || w == "worker3" {
            assert_eq!(work.connectors.len(), 3, "{w}");
        }
    }
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!((a.scheduled_rebalance, a.delay), (0, 0));
}

#[test]
fn a_worker_that_returns_and_leaves_again_during_the_delay_gets_nothing() {
    let mut now = 1_000_000;
    let (mut a, lost, mut workers) = after_worker1_is_lost(now, MAX_DELAY);
    a.handle_lost_assignments(now, &lost, &mut Work::default(), &mut workers);

    a.previous_members = member_set(&workers);
    now += i64::from(MAX_DELAY / 2);
    workers.push(empty("worker1"));
    a.handle_lost_assignments(now, &lost, &mut Work::default(), &mut workers);
    assert_eq!(candidates(&a), ["worker1"]);

    a.previous_members = member_set(&workers);
    now += i64::from(MAX_DELAY / 2);
    workers.pop();
    let mut to_reassign = Work::default();
    a.handle_lost_assignments(now, &lost, &mut to_reassign, &mut workers);
    assert_eq!(
        to_reassign.connectors.as_slice(),
        lost.connectors.as_slice()
    );
    assert_eq!(to_reassign.tasks.as_slice(), lost.tasks.as_slice());
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!((a.scheduled_rebalance, a.delay), (0, 0));
}

#[test]
fn with_the_delay_disabled_lost_work_is_reassigned_at_once() {
    let now = 1_000_000;
    let (mut a, lost, mut workers) = after_worker1_is_lost(now, 0);
    let mut to_reassign = Work::default();
    a.handle_lost_assignments(now, &lost, &mut to_reassign, &mut workers);
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!((a.scheduled_rebalance, a.delay), (0, 0));
    assert_eq!(
        to_reassign.connectors.as_slice(),
        lost.connectors.as_slice()
    );
    assert_eq!(to_reassign.tasks.as_slice(), lost.tasks.as_slice());
}

#[test]
fn the_back_off_matches_kafka_s_exponential_backoff() {
    // What `new ExponentialBackoff(1, 40, max, 0).backoff(1..=7)` returns in Kafka 4.3,
    // including the float rounding that caps a 1000 ms maximum at 999.
    let cases: [(i64, [i64; 7]); 6] = [
        (
            300_000,
            [40, 1600, 64_000, 300_000, 300_000, 300_000, 300_000],
        ),
        (1000, [40, 999, 999, 999, 999, 999, 999]),
        (10_000, [40, 1600, 10_000, 10_000, 10_000, 10_000, 10_000]),
        (60_000, [40, 1600, 60_000, 60_000, 60_000, 60_000, 60_000]),
        (
            123_457,
            [40, 1600, 64_000, 123_457, 123_457, 123_457, 123_457],
        ),
        (
            i64::from(i32::MAX),
            [
                40,
                1600,
                64_000,
                2_560_000,
                102_400_000,
                2_147_483_647,
                2_147_483_647,
            ],
        ),
    ];
    for (max, want) in cases {
        let b = ExponentialBackoff::new(1, 40, max);
        let got: Vec<i64> = (1..=7).map(|n| b.backoff(n)).collect();
        assert_eq!(got, want, "max {max}");
    }
    assert_eq!(ExponentialBackoff::new(0, 40, 0).backoff(3), 0);
    assert_eq!(ExponentialBackoff::new(1, 40, 1).backoff(3), 1);
}
