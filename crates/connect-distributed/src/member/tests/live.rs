//! Real groups. On the broker at `KAFKA_BOOTSTRAP` (skipped when unset): three members share
//! the work of one config, exactly once; a member that leaves or dies loses its work to the
//! others. With a JVM Kafka Connect worker in group `SLUICE_JVM_GROUP` (skipped when unset; see
//! `/work/shared/oracle/kc.sh`): the member joins the JVM's cluster and decodes its leader's
//! assignment.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{View, Work, work_of};
use crate::member::{GroupMember, MemberHandle};
use crate::{AssignmentError, ConnectProtocolCompatibility, MemberEvent, MemberSettings};

fn bootstrap() -> Option<String> {
    // RUST_LOG=connect_distributed=debug shows the members' side of a failing run.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init()
        .ok();
    std::env::var("KAFKA_BOOTSTRAP")
        .ok()
        .filter(|b| !b.is_empty())
}

fn live_settings(bootstrap: &str, group: &str, n: usize) -> MemberSettings {
    MemberSettings {
        group_id: group.to_owned(),
        worker_url: format!("http://sluice-{n}:8083/"),
        bootstrap: bootstrap.split(',').map(str::to_owned).collect(),
        client: Default::default(),
        client_id: format!("sluice-it-{n}"),
        // Kafka's group.min.session.timeout.ms is 6 s.
        session_timeout: Duration::from_secs(6),
        heartbeat_interval: Duration::from_millis(500),
        rebalance_timeout: Duration::from_secs(20),
        protocol: ConnectProtocolCompatibility::Sessioned,
        scheduled_rebalance_max_delay: Duration::ZERO,
        retry_backoff: Duration::from_millis(100),
    }
}

fn unique_group(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("sluice-member-it-{name}-{}-{nanos}", std::process::id())
}

/// A member with a stand-in runtime that stops what is revoked and runs what is assigned.
struct Worker {
    handle: MemberHandle,
    owned: Arc<Mutex<BTreeSet<Work>>>,
    /// Set when the runtime has been killed (its tokio runtime dropped without leaving).
    dead: bool,
    own_runtime: Option<tokio::runtime::Runtime>,
}

impl Worker {
    fn start(settings: MemberSettings, view: Arc<View>) -> Worker {
        let (handle, mut rx) = GroupMember::start(settings, view).unwrap();
        let owned: Arc<Mutex<BTreeSet<Work>>> = Arc::default();
        let o = owned.clone();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                apply(&o, event);
            }
        });
        Worker {
            handle,
            owned,
            dead: false,
            own_runtime: None,
        }
    }

    /// A worker on a runtime of its own, so the test can kill it without a LeaveGroup.
    fn start_killable(settings: MemberSettings, view: Arc<View>) -> Worker {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let _enter = rt.enter();
        let mut w = Worker::start(settings, view);
        drop(_enter);
        w.own_runtime = Some(rt);
        w
    }

    fn kill(&mut self) {
        if let Some(rt) = self.own_runtime.take() {
            rt.shutdown_background();
        }
        self.dead = true;
    }

    fn owned(&self) -> BTreeSet<Work> {
        self.owned.lock().unwrap().clone()
    }
}

fn apply(owned: &Mutex<BTreeSet<Work>>, event: MemberEvent) {
    match event {
        MemberEvent::Revoke {
            connectors,
            tasks,
            done,
        } => {
            let mut o = owned.lock().unwrap();
            for w in work_of(&connectors, &tasks) {
                o.remove(&w);
            }
            done.send(()).ok();
        }
        MemberEvent::Assigned { assignment, .. } => {
            *owned.lock().unwrap() = if assignment.error == AssignmentError::None {
                work_of(&assignment.connectors, &assignment.tasks)
            } else {
                BTreeSet::new()
            };
        }
        MemberEvent::Lost { .. } => owned.lock().unwrap().clear(),
    }
}

const CONFIG: &[(&str, u32)] = &[("a", 2), ("b", 3), ("c", 1)];

fn everything() -> BTreeSet<Work> {
    let connectors: Vec<String> = CONFIG.iter().map(|(c, _)| (*c).to_owned()).collect();
    let tasks: Vec<_> = CONFIG
        .iter()
        .flat_map(|(c, n)| {
            (0..*n).map(|t| crate::ConnectorTaskId {
                connector: (*c).to_owned(),
                task: t,
            })
        })
        .collect();
    work_of(&connectors, &tasks)
}

/// The live workers' state is one stable generation whose assignments cover every connector
/// and task exactly once, with one leader.
fn converged(workers: &[&Worker]) -> Result<(), String> {
    let statuses: Vec<_> = workers
        .iter()
        .map(|w| w.handle.status().borrow().clone())
        .collect();
    if !statuses.iter().all(|s| s.joined) {
        return Err(format!("not all joined: {statuses:?}"));
    }
    let generations: BTreeSet<_> = statuses.iter().map(|s| s.generation).collect();
    if generations.len() != 1 {
        return Err(format!("generations differ: {generations:?}"));
    }
    if statuses.iter().filter(|s| s.is_leader).count() != 1 {
        return Err(format!("not exactly one leader: {statuses:?}"));
    }
    let owned: Vec<_> = workers.iter().map(|w| w.owned()).collect();
    let total: usize = owned.iter().map(BTreeSet::len).sum();
    let union: BTreeSet<_> = owned.iter().flatten().cloned().collect();
    if union != everything() || total != union.len() {
        return Err(format!("work is not covered exactly once: {owned:?}"));
    }
    Ok(())
}

async fn converge(workers: &[&Worker], within: Duration) -> Duration {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < within {
        match converged(workers) {
            Ok(()) => {
                // Stable for a few heartbeats, not a passing state.
                tokio::time::sleep(Duration::from_millis(1500)).await;
                if converged(workers).is_ok() {
                    return start.elapsed();
                }
            }
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no convergence within {within:?}: {last}");
}

async fn three(bootstrap: &str, group: &str, killable_third: bool) -> Vec<Worker> {
    let view = View::new(5, CONFIG);
    let mut workers: Vec<Worker> = (0..2)
        .map(|n| Worker::start(live_settings(bootstrap, group, n), view.clone()))
        .collect();
    let third = live_settings(bootstrap, group, 2);
    workers.push(if killable_third {
        Worker::start_killable(third, view.clone())
    } else {
        Worker::start(third, view)
    });
    workers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_share_every_connector_and_task_exactly_once() {
    let Some(bootstrap) = bootstrap() else {
        eprintln!("KAFKA_BOOTSTRAP unset: skipped");
        return;
    };
    let group = unique_group("share");
    let workers = three(&bootstrap, &group, false).await;
    let took = converge(&workers.iter().collect::<Vec<_>>(), Duration::from_secs(60)).await;
    eprintln!("three members converged in {took:?}");
    let sizes: Vec<_> = workers.iter().map(|w| w.owned().len()).collect();
    // Balanced: 9 units of work over 3 members.
    assert_eq!(
        sizes.iter().max().unwrap() - sizes.iter().min().unwrap(),
        0,
        "{sizes:?}"
    );
    for w in &workers {
        w.handle.leave().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_work_of_a_member_that_leaves_moves_to_the_others() {
    let Some(bootstrap) = bootstrap() else {
        eprintln!("KAFKA_BOOTSTRAP unset: skipped");
        return;
    };
    let group = unique_group("leave");
    let workers = three(&bootstrap, &group, false).await;
    converge(&workers.iter().collect::<Vec<_>>(), Duration::from_secs(60)).await;
    let leaving = workers[2].owned();
    assert!(!leaving.is_empty());
    workers[2].handle.leave().await;
    assert!(workers[2].handle.status().borrow().stopped);
    let took = converge(&[&workers[0], &workers[1]], Duration::from_secs(30)).await;
    eprintln!("after a LeaveGroup the others run everything after {took:?}");
    let rest: BTreeSet<_> = workers[0]
        .owned()
        .union(&workers[1].owned())
        .cloned()
        .collect();
    assert!(leaving.is_subset(&rest));
    for w in &workers[..2] {
        w.handle.leave().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_work_of_a_member_that_dies_moves_after_the_session_timeout() {
    let Some(bootstrap) = bootstrap() else {
        eprintln!("KAFKA_BOOTSTRAP unset: skipped");
        return;
    };
    let group = unique_group("kill");
    let mut workers = three(&bootstrap, &group, true).await;
    converge(&workers.iter().collect::<Vec<_>>(), Duration::from_secs(60)).await;
    let dying = workers[2].owned();
    assert!(!dying.is_empty());
    let killed = Instant::now();
    workers[2].kill();
    assert!(workers[2].dead);
    let took = converge(&[&workers[0], &workers[1]], Duration::from_secs(60)).await;
    eprintln!(
        "after a kill without LeaveGroup the others run everything after {:?} (convergence check {took:?})",
        killed.elapsed()
    );
    // Not before the coordinator could know: the session timeout is 6 s.
    assert!(
        killed.elapsed() >= Duration::from_secs(5),
        "{:?}",
        killed.elapsed()
    );
    for w in &workers[..2] {
        w.handle.leave().await;
    }
}

/// Run with a JVM worker up: `KC_GROUP=g KC_PORT=p kc.sh up`, then `SLUICE_JVM_GROUP=g
/// SLUICE_JVM_URL=http://127.0.0.1:p/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_joins_a_jvm_workers_group_and_follows_its_leader() {
    let (Some(bootstrap), Ok(group), Ok(url)) = (
        bootstrap(),
        std::env::var("SLUICE_JVM_GROUP"),
        std::env::var("SLUICE_JVM_URL"),
    ) else {
        eprintln!("KAFKA_BOOTSTRAP, SLUICE_JVM_GROUP or SLUICE_JVM_URL unset: skipped");
        return;
    };
    let mut settings = live_settings(&bootstrap, &group, 0);
    settings.session_timeout = Duration::from_secs(10);
    settings.heartbeat_interval = Duration::from_secs(3);
    settings.rebalance_timeout = Duration::from_secs(60);
    // The JVM leader reads its own config topic; a member that has read nothing asks no more.
    let (handle, mut rx) = GroupMember::start(settings, View::new(-1, &[])).unwrap();
    let started = Instant::now();
    let mut assignments = Vec::new();
    while started.elapsed() < Duration::from_secs(90) {
        let Ok(Some(event)) = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await else {
            if !assignments.is_empty() {
                break;
            }
            continue;
        };
        eprintln!("{event:?}");
        match event {
            MemberEvent::Assigned {
                assignment,
                member_id,
                generation,
            } => assignments.push((generation, member_id, assignment)),
            MemberEvent::Revoke { done, .. } => {
                done.send(()).ok();
            }
            MemberEvent::Lost { .. } => {}
        }
    }
    let (generation, member_id, a) = assignments
        .last()
        .expect("an assignment from the JVM leader")
        .clone();
    let status = handle.status().borrow().clone();
    eprintln!("status after {:?}: {status:?}", started.elapsed());
    assert_eq!(a.error, AssignmentError::None);
    assert_ne!(a.leader, member_id, "the JVM worker, there first, leads");
    assert_eq!(a.leader_url, url);
    assert_eq!(a.protocol_version, 2, "sessioned");
    assert!(status.joined && !status.is_leader);
    assert_eq!(status.generation, generation);
    handle.leave().await;
}

/// The other way round: the member leads a fresh group `SLUICE_JVM_FOLLOWER_GROUP` and a JVM
/// worker started into it afterwards (`KC_GROUP=… KC_PORT=… kc.sh up`, advertising
/// `SLUICE_JVM_FOLLOWER_URL`) gets part of the member's config assigned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jvm_worker_follows_a_member_that_leads() {
    let (Some(bootstrap), Ok(group), Ok(url)) = (
        bootstrap(),
        std::env::var("SLUICE_JVM_FOLLOWER_GROUP"),
        std::env::var("SLUICE_JVM_FOLLOWER_URL"),
    ) else {
        eprintln!(
            "KAFKA_BOOTSTRAP, SLUICE_JVM_FOLLOWER_GROUP or SLUICE_JVM_FOLLOWER_URL unset: skipped"
        );
        return;
    };
    let mut settings = live_settings(&bootstrap, &group, 0);
    settings.session_timeout = Duration::from_secs(10);
    settings.heartbeat_interval = Duration::from_secs(3);
    settings.rebalance_timeout = Duration::from_secs(60);
    // The JVM worker has read nothing of its (empty) config topic: offset -1, as the view's.
    let worker = Worker::start(settings, View::new(-1, CONFIG));
    let started = Instant::now();
    let mut status = worker.handle.status();
    let jvm_work = loop {
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "no JVM worker got work: {:?}",
            status.borrow()
        );
        tokio::time::timeout(Duration::from_secs(1), status.changed())
            .await
            .ok();
        let s = status.borrow_and_update().clone();
        if let Some(state) = s.leader_state.as_ref().filter(|_| s.is_leader) {
            let theirs: Vec<_> = state
                .connector_owners
                .iter()
                .filter(|(_, owner)| **owner == url)
                .map(|(c, _)| c.clone())
                .collect();
            if !theirs.is_empty() {
                eprintln!(
                    "generation {}: the JVM worker runs {theirs:?}; {state:?}",
                    s.generation
                );
                break theirs;
            }
        }
    };
    assert!(!jvm_work.is_empty());
    assert!(!worker.owned().is_empty());
    // Stay long enough for the JVM worker to receive its assignment (its log shows it).
    tokio::time::sleep(Duration::from_secs(15)).await;
    let s = worker.handle.status().borrow().clone();
    assert!(s.joined && s.is_leader, "{s:?}");
    worker.handle.leave().await;
}
