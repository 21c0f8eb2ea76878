//! The member's state machine against a scripted coordinator ([`fake`]), its TLS and SASL
//! ([`security`], [`oauthbearer`]), and real groups on a broker and with a JVM worker ([`live`]).

mod fake;
mod live;
mod oauthbearer;
mod security;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use self::fake::{Fake, Seen};
use super::{GroupMember, MemberHandle};
use crate::protocol::{
    OwnedWork, WorkerMetadata, decode_assignment, decode_metadata, encode_assignment,
    encode_metadata,
};
use crate::{
    Assignment, AssignmentError, ConfigSnapshot, ConfigView, ConnectProtocolCompatibility,
    ConnectorTaskId, DistributedError, MemberEvent, MemberSettings,
};

/// A config view with a fixed offset and snapshot; records the offsets the leader asked for.
pub(super) struct View {
    offset: i64,
    snapshot: Mutex<Result<ConfigSnapshot, String>>,
    asked: Mutex<Vec<i64>>,
}

impl View {
    pub(super) fn new(offset: i64, connectors: &[(&str, u32)]) -> Arc<View> {
        Arc::new(View {
            offset,
            snapshot: Mutex::new(Ok(ConfigSnapshot {
                offset,
                connectors: connectors
                    .iter()
                    .map(|(c, n)| ((*c).to_owned(), *n))
                    .collect(),
            })),
            asked: Mutex::default(),
        })
    }

    /// A view at `offset` that can read the config topic on to `snapshot_offset`.
    fn catching_up(offset: i64, snapshot_offset: i64, connectors: &[(&str, u32)]) -> Arc<View> {
        let v = View::new(offset, connectors);
        if let Ok(s) = v.snapshot.lock().unwrap().as_mut() {
            s.offset = snapshot_offset;
        }
        v
    }

    fn failing(offset: i64) -> Arc<View> {
        let v = View::new(offset, &[]);
        *v.snapshot.lock().unwrap() = Err("the config topic is behind".into());
        v
    }
}

#[async_trait::async_trait]
impl ConfigView for View {
    fn config_offset(&self) -> i64 {
        self.offset
    }

    async fn snapshot_at_least(&self, offset: i64) -> Result<ConfigSnapshot, DistributedError> {
        self.asked.lock().unwrap().push(offset);
        self.snapshot
            .lock()
            .unwrap()
            .clone()
            .map_err(DistributedError::Protocol)
    }
}

pub(super) fn settings(bootstrap: &str) -> MemberSettings {
    MemberSettings {
        group_id: "g".into(),
        worker_url: "http://w1:8083/".into(),
        bootstrap: vec![bootstrap.to_owned()],
        client: BTreeMap::new(),
        client_id: "sluice-test".into(),
        session_timeout: Duration::from_secs(3),
        heartbeat_interval: Duration::from_millis(100),
        rebalance_timeout: Duration::from_secs(5),
        protocol: ConnectProtocolCompatibility::Sessioned,
        scheduled_rebalance_max_delay: Duration::ZERO,
        retry_backoff: Duration::from_millis(50),
    }
}

pub(super) async fn next(rx: &mut tokio::sync::mpsc::Receiver<MemberEvent>) -> MemberEvent {
    tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .expect("an event in time")
        .expect("the member is running")
}

/// The next event, which must be `Assigned`: (generation, member id, assignment).
async fn assigned(rx: &mut tokio::sync::mpsc::Receiver<MemberEvent>) -> (i32, String, Assignment) {
    match next(rx).await {
        MemberEvent::Assigned {
            generation,
            member_id,
            assignment,
        } => (generation, member_id, assignment),
        other => panic!("expected Assigned, got {other:?}"),
    }
}

pub(super) async fn wait_for(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..750 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

fn task(c: &str, n: u32) -> ConnectorTaskId {
    ConnectorTaskId {
        connector: c.into(),
        task: n,
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// An assignment from a leader called `leader-1`.
fn from_leader(
    version: i16,
    connectors: &[&str],
    tasks: &[ConnectorTaskId],
    revoked_connectors: &[&str],
    revoked_tasks: &[ConnectorTaskId],
) -> Assignment {
    Assignment {
        error: AssignmentError::None,
        leader: "leader-1".into(),
        leader_url: "http://leader:8083/".into(),
        config_offset: 7,
        connectors: strings(connectors),
        tasks: tasks.to_vec(),
        revoked_connectors: strings(revoked_connectors),
        revoked_tasks: revoked_tasks.to_vec(),
        delay: Duration::ZERO,
        protocol_version: version,
    }
}

fn start(
    settings: MemberSettings,
    view: Arc<View>,
) -> (MemberHandle, tokio::sync::mpsc::Receiver<MemberEvent>) {
    GroupMember::start(settings, view).unwrap()
}

fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort();
    v
}

fn join_metadata(seen: &Seen) -> WorkerMetadata {
    match seen {
        Seen::Join { metadata, .. } => decode_metadata(metadata).unwrap().1,
        other => panic!("not a join: {other:?}"),
    }
}

#[tokio::test]
async fn a_member_joins_again_with_the_member_id_the_coordinator_requires() {
    let fake = Fake::start().await;
    fake.with(|s| s.require_member_id = true);
    let (handle, mut rx) = start(settings(&fake.addr), View::new(0, &[("c1", 2)]));
    let (generation, member_id, a) = assigned(&mut rx).await;
    assert_eq!(generation, 1);
    assert_eq!(member_id, "member-1");
    assert_eq!(a.leader, "member-1");
    assert_eq!(a.leader_url, "http://w1:8083/");
    assert_eq!(a.connectors, ["c1"]);
    assert_eq!(sorted(&a.tasks), [task("c1", 0), task("c1", 1)]);
    let joins = fake.joins();
    let ids: Vec<_> = joins
        .iter()
        .map(|j| match j {
            Seen::Join { member_id, .. } => member_id.clone(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(ids, ["", "member-1"]);
    match &joins[1] {
        Seen::Join { protocols, .. } => {
            assert_eq!(protocols, &["sessioned", "compatible", "default"]);
        }
        _ => unreachable!(),
    }
    let status = handle.status().borrow().clone();
    assert!(status.joined && status.is_leader);
    assert_eq!(status.generation, 1);
    assert_eq!(status.protocol_version, Some(2));
    assert_eq!(status.leader_url.as_deref(), Some("http://w1:8083/"));
    handle.leave().await;
}

#[tokio::test]
async fn the_leader_reads_the_config_to_the_highest_member_offset_and_assigns_everyone() {
    let fake = Fake::start().await;
    let other = WorkerMetadata {
        url: "http://w9:8083/".into(),
        config_offset: 42,
        owned: None,
    };
    fake.with(|s| {
        s.other_members = vec![("member-9".into(), Bytes::from(encode_metadata(2, &other)))]
    });
    let view = View::catching_up(3, 42, &[("a", 1), ("b", 1)]);
    let (handle, mut rx) = start(settings(&fake.addr), view.clone());
    let (_, me, mine) = assigned(&mut rx).await;
    assert_eq!(*view.asked.lock().unwrap(), [42]);
    let sync = fake
        .seen()
        .into_iter()
        .find_map(|s| match s {
            Seen::Sync { assignments, .. } if !assignments.is_empty() => Some(assignments),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        sync.keys().cloned().collect::<Vec<_>>(),
        [me.clone(), "member-9".to_owned()]
    );
    let mut connectors = Vec::new();
    let mut tasks = Vec::new();
    for bytes in sync.values() {
        let a = decode_assignment(bytes).unwrap();
        assert_eq!(a.error, AssignmentError::None);
        assert_eq!(a.config_offset, 42);
        assert_eq!(a.leader, me);
        assert_eq!(a.leader_url, "http://w1:8083/");
        connectors.extend(a.connectors);
        tasks.extend(a.tasks);
    }
    assert_eq!(sorted(&connectors), ["a", "b"]);
    assert_eq!(sorted(&tasks), [task("a", 0), task("b", 0)]);
    assert_eq!(mine, decode_assignment(&sync[&me]).unwrap());
    handle.leave().await;
}

#[tokio::test]
async fn a_leader_that_cannot_read_the_config_assigns_config_mismatch_and_retries() {
    let fake = Fake::start().await;
    let other = WorkerMetadata {
        url: "http://w9:8083/".into(),
        config_offset: 42,
        owned: None,
    };
    fake.with(|s| {
        s.other_members = vec![("member-9".into(), Bytes::from(encode_metadata(2, &other)))]
    });
    let (handle, mut rx) = start(settings(&fake.addr), View::failing(3));
    let (_, _, a) = assigned(&mut rx).await;
    assert_eq!(a.error, AssignmentError::ConfigMismatch);
    assert_eq!(a.config_offset, 42);
    assert!(a.connectors.is_empty() && a.tasks.is_empty());
    let sync = fake
        .seen()
        .into_iter()
        .find_map(|s| match s {
            Seen::Sync { assignments, .. } => Some(assignments),
            _ => None,
        })
        .unwrap();
    for bytes in sync.values() {
        let other = decode_assignment(bytes).unwrap();
        assert_eq!(other.error, AssignmentError::ConfigMismatch);
        assert_eq!(other.config_offset, 42);
    }
    assert!(!handle.status().borrow().joined);
    // A failed assignment is retried without being asked.
    wait_for("a second join", || fake.joins().len() >= 2).await;
    handle.leave().await;
}

#[tokio::test]
async fn a_follower_merges_new_work_with_what_it_kept_and_rejoins_after_revoking() {
    let fake = Fake::start().await;
    let first = from_leader(2, &["c1", "c2"], &[task("c1", 0), task("c2", 0)], &[], &[]);
    let second = from_leader(2, &["c3"], &[task("c3", 0)], &["c1"], &[task("c1", 0)]);
    let third = from_leader(2, &[], &[], &[], &[]);
    fake.with(|s| {
        s.leader = Some("leader-1".into());
        s.follower_assignments = [&first, &second, &third]
            .iter()
            .map(|a| Bytes::from(encode_assignment(a)))
            .collect();
    });
    let (handle, mut rx) = start(settings(&fake.addr), View::new(7, &[]));
    let (_, _, a) = assigned(&mut rx).await;
    assert_eq!(a.connectors, ["c1", "c2"]);
    assert!(!handle.status().borrow().is_leader);
    assert_eq!(
        handle.status().borrow().leader_url.as_deref(),
        Some("http://leader:8083/")
    );

    handle.request_rejoin();
    let MemberEvent::Revoke {
        connectors,
        tasks,
        done,
    } = next(&mut rx).await
    else {
        panic!("expected the revocation first");
    };
    assert_eq!(connectors, ["c1"]);
    assert_eq!(tasks, [task("c1", 0)]);
    // The member offered what it ran when it rejoined.
    let joins = fake.joins();
    assert_eq!(joins.len(), 2);
    assert_eq!(
        join_metadata(&joins[1]).owned,
        Some(OwnedWork {
            connectors: strings(&["c1", "c2"]),
            tasks: vec![task("c1", 0), task("c2", 0)],
        })
    );
    done.send(()).unwrap();
    let (generation, _, a) = assigned(&mut rx).await;
    assert_eq!(generation, 2);
    assert_eq!(sorted(&a.connectors), ["c2", "c3"]);
    assert_eq!(sorted(&a.tasks), [task("c2", 0), task("c3", 0)]);
    assert_eq!(a.revoked_connectors, ["c1"]);
    // Kafka's worker rejoins once revoked work is stopped, unasked.
    wait_for("the rejoin after the revocation", || {
        fake.joins().len() == 3
    })
    .await;
    let owned = join_metadata(&fake.joins()[2]).owned.unwrap();
    assert_eq!(sorted(&owned.connectors), ["c2", "c3"]);
    let (generation, _, a) = assigned(&mut rx).await;
    assert_eq!(generation, 3);
    assert_eq!(sorted(&a.connectors), ["c2", "c3"]);
    handle.leave().await;
}

#[tokio::test]
async fn an_eager_member_revokes_everything_before_it_rejoins() {
    let fake = Fake::start().await;
    let first = from_leader(0, &["c1"], &[task("c1", 0)], &[], &[]);
    let second = from_leader(0, &["c2"], &[task("c2", 0)], &[], &[]);
    fake.with(|s| {
        s.leader = Some("leader-1".into());
        s.follower_assignments = [&first, &second]
            .iter()
            .map(|a| Bytes::from(encode_assignment(a)))
            .collect();
    });
    let mut eager = settings(&fake.addr);
    eager.protocol = ConnectProtocolCompatibility::Eager;
    let (handle, mut rx) = start(eager, View::new(7, &[]));
    let (_, _, a) = assigned(&mut rx).await;
    assert_eq!(a.connectors, ["c1"]);
    match &fake.joins()[0] {
        Seen::Join { protocols, .. } => assert_eq!(protocols, &["default"]),
        _ => unreachable!(),
    }
    handle.request_rejoin();
    let MemberEvent::Revoke {
        connectors,
        tasks,
        done,
    } = next(&mut rx).await
    else {
        panic!("expected the revocation");
    };
    assert_eq!(connectors, ["c1"]);
    assert_eq!(tasks, [task("c1", 0)]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fake.joins().len(), 1, "joined before the work was stopped");
    done.send(()).unwrap();
    let (_, _, a) = assigned(&mut rx).await;
    // Eager assignments are complete: nothing of the old one is carried over.
    assert_eq!(a.connectors, ["c2"]);
    assert_eq!(a.tasks, [task("c2", 0)]);
    handle.leave().await;
}

#[tokio::test]
async fn a_group_falling_back_to_eager_stops_the_cooperative_work_it_leaves_out() {
    let fake = Fake::start().await;
    let first = from_leader(1, &["c1", "c2"], &[task("c1", 0)], &[], &[]);
    let second = from_leader(0, &["c2"], &[], &[], &[]);
    fake.with(|s| {
        s.leader = Some("leader-1".into());
        s.follower_assignments = [&first, &second]
            .iter()
            .map(|a| Bytes::from(encode_assignment(a)))
            .collect();
    });
    let mut compatible = settings(&fake.addr);
    compatible.protocol = ConnectProtocolCompatibility::Compatible;
    let (handle, mut rx) = start(compatible, View::new(7, &[]));
    let (_, _, a) = assigned(&mut rx).await;
    assert_eq!(a.protocol_version, 1);
    match &fake.joins()[0] {
        Seen::Join { protocols, .. } => assert_eq!(protocols, &["compatible", "default"]),
        _ => unreachable!(),
    }
    // An eager-only worker joined: the group now speaks `default`.
    fake.with(|s| s.protocol = Some("default".into()));
    handle.request_rejoin();
    let MemberEvent::Revoke {
        connectors,
        tasks,
        done,
    } = next(&mut rx).await
    else {
        panic!("expected what the eager assignment leaves out revoked");
    };
    // Cooperative before: nothing was revoked before joining, only what is now elsewhere.
    assert_eq!(fake.joins().len(), 2);
    assert_eq!(connectors, ["c1"]);
    assert_eq!(tasks, [task("c1", 0)]);
    done.send(()).unwrap();
    let (_, _, a) = assigned(&mut rx).await;
    assert_eq!(a.protocol_version, 0);
    assert_eq!(a.connectors, ["c2"]);
    assert!(a.tasks.is_empty());
    handle.leave().await;
}

#[tokio::test]
async fn a_failed_assignment_keeps_the_work_and_reports_it_when_rejoining() {
    let fake = Fake::start().await;
    let first = from_leader(2, &["c1"], &[task("c1", 0)], &[], &[]);
    let mut failed = from_leader(2, &[], &[], &[], &[]);
    failed.error = AssignmentError::ConfigMismatch;
    failed.config_offset = 9;
    let third = from_leader(2, &[], &[], &[], &[]);
    fake.with(|s| {
        s.leader = Some("leader-1".into());
        s.follower_assignments = [&first, &failed, &third]
            .iter()
            .map(|a| Bytes::from(encode_assignment(a)))
            .collect();
    });
    let (handle, mut rx) = start(settings(&fake.addr), View::new(7, &[]));
    assigned(&mut rx).await;
    handle.request_rejoin();
    let (_, _, a) = assigned(&mut rx).await;
    assert_eq!(a.error, AssignmentError::ConfigMismatch);
    assert_eq!(a.config_offset, 9);
    // Cooperative: a failed round revokes nothing, the kept work goes on.
    assert_eq!(a.connectors, ["c1"]);
    assert!(!handle.status().borrow().joined);
    handle.request_rejoin();
    let (generation, _, a) = assigned(&mut rx).await;
    assert_eq!(generation, 3);
    assert_eq!(a.error, AssignmentError::None);
    assert_eq!(a.connectors, ["c1"]);
    let owned = join_metadata(&fake.joins()[2]).owned.unwrap();
    assert_eq!(owned.connectors, ["c1"]);
    assert_eq!(owned.tasks, [task("c1", 0)]);
    handle.leave().await;
}

#[tokio::test]
async fn an_empty_sync_group_assignment_makes_the_member_leave_and_rejoin_as_a_new_member() {
    let fake = Fake::start().await;
    let good = from_leader(2, &["c1"], &[task("c1", 0)], &[], &[]);
    fake.with(|s| {
        s.leader = Some("leader-1".into());
        s.follower_assignments = [Bytes::new(), Bytes::from(encode_assignment(&good))]
            .into_iter()
            .collect();
    });
    let (handle, mut rx) = start(settings(&fake.addr), View::new(0, &[]));
    let (_, member_id, a) = assigned(&mut rx).await;
    assert_eq!(a.connectors, ["c1"]);
    let seen = fake.seen();
    let left: Vec<&Vec<String>> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Leave { member_ids } => Some(member_ids),
            _ => None,
        })
        .collect();
    assert_eq!(left.len(), 1, "{seen:?}");
    assert_ne!(
        left[0],
        &vec![member_id],
        "it came back under a new member id"
    );
    handle.leave().await;
}

#[tokio::test]
async fn a_heartbeat_answered_rebalance_in_progress_makes_the_member_rejoin() {
    let fake = Fake::start().await;
    let (handle, mut rx) = start(settings(&fake.addr), View::new(0, &[("c1", 1)]));
    let (generation, _, _) = assigned(&mut rx).await;
    assert_eq!(generation, 1);
    fake.with(|s| s.heartbeat_errors.push_back(27));
    // Cooperative: nothing is revoked, the next event is the new assignment.
    let (generation, _, a) = assigned(&mut rx).await;
    assert_eq!(generation, 2);
    assert_eq!(a.connectors, ["c1"]);
    assert_eq!(fake.joins().len(), 2);
    handle.leave().await;
}

#[tokio::test]
async fn an_unknown_member_heartbeat_revokes_everything_and_rejoins_as_a_new_member() {
    let fake = Fake::start().await;
    let (handle, mut rx) = start(settings(&fake.addr), View::new(0, &[("c1", 1)]));
    let (_, first_id, _) = assigned(&mut rx).await;
    fake.with(|s| s.heartbeat_errors.push_back(25));
    let MemberEvent::Revoke {
        connectors,
        tasks,
        done,
    } = next(&mut rx).await
    else {
        panic!("expected everything revoked");
    };
    assert_eq!(connectors, ["c1"]);
    assert_eq!(tasks, [task("c1", 0)]);
    done.send(()).unwrap();
    match next(&mut rx).await {
        MemberEvent::Lost { reason } => assert!(reason.contains("UnknownMemberId"), "{reason}"),
        other => panic!("expected Lost, got {other:?}"),
    }
    let (generation, member_id, a) = assigned(&mut rx).await;
    assert_eq!(generation, 2);
    assert_ne!(member_id, first_id);
    assert_eq!(a.connectors, ["c1"]);
    let joins = fake.joins();
    match &joins[1] {
        Seen::Join { member_id, .. } => assert_eq!(member_id, ""),
        _ => unreachable!(),
    }
    // Nothing is owned any more when it rejoins.
    assert_eq!(join_metadata(&joins[1]).owned, None);
    handle.leave().await;
}

#[tokio::test]
async fn a_not_coordinator_answer_moves_the_member_to_the_new_coordinator() {
    let first = Fake::start().await;
    let second = Fake::start().await;
    let (handle, mut rx) = start(settings(&first.addr), View::new(0, &[("c1", 1)]));
    let (generation, member_id, _) = assigned(&mut rx).await;
    first.with(|s| {
        s.coordinator = Some(second.addr.clone());
        s.heartbeat_errors.push_back(16);
    });
    wait_for("heartbeats at the new coordinator", || {
        second.seen().iter().any(|s| {
            *s == Seen::Heartbeat {
                member_id: member_id.clone(),
                generation,
            }
        })
    })
    .await;
    assert_eq!(
        handle.status().borrow().coordinator.as_deref(),
        Some(second.addr.as_str())
    );
    assert!(handle.status().borrow().joined);
    handle.leave().await;
    assert!(
        second
            .seen()
            .iter()
            .any(|s| matches!(s, Seen::Leave { .. }))
    );
}

#[tokio::test]
async fn leaving_sends_leave_group_with_the_member_id_and_stops() {
    let fake = Fake::start().await;
    let (handle, mut rx) = start(settings(&fake.addr), View::new(0, &[]));
    let (_, member_id, _) = assigned(&mut rx).await;
    handle.leave().await;
    assert!(fake.seen().contains(&Seen::Leave {
        member_ids: vec![member_id],
    }));
    let status = handle.status().borrow().clone();
    assert!(status.stopped && !status.joined);
    assert!(rx.recv().await.is_none(), "the member stopped");
}

#[tokio::test]
async fn dropping_the_event_receiver_makes_the_member_leave() {
    let fake = Fake::start().await;
    let (handle, mut rx) = start(settings(&fake.addr), View::new(0, &[]));
    let (_, member_id, _) = assigned(&mut rx).await;
    drop(rx);
    // The next event the member has to deliver finds nobody listening.
    handle.request_rejoin();
    wait_for("LeaveGroup", || {
        fake.seen().contains(&Seen::Leave {
            member_ids: vec![member_id.clone()],
        })
    })
    .await;
    wait_for("the stop", || handle.status().borrow().stopped).await;
}

#[tokio::test]
async fn an_unreachable_coordinator_costs_the_assignment_after_the_heartbeat_interval() {
    let fake = Fake::start().await;
    let (handle, mut rx) = start(settings(&fake.addr), View::new(0, &[("c1", 1)]));
    assigned(&mut rx).await;
    let gone = std::time::Instant::now();
    drop(fake);
    let MemberEvent::Revoke {
        connectors, done, ..
    } = next(&mut rx).await
    else {
        panic!("expected the assignment revoked");
    };
    assert_eq!(connectors, ["c1"]);
    // Well before the 3 s session timeout: the heartbeat interval is 100 ms.
    assert!(
        gone.elapsed() < Duration::from_secs(2),
        "{:?}",
        gone.elapsed()
    );
    done.send(()).unwrap();
    match next(&mut rx).await {
        MemberEvent::Lost { reason } => assert!(reason.contains("unreachable"), "{reason}"),
        other => panic!("expected Lost, got {other:?}"),
    }
    assert!(!handle.status().borrow().joined);
    assert!(handle.status().borrow().last_error.is_some());
}

#[tokio::test]
async fn an_assignment_delay_schedules_a_rejoin() {
    let fake = Fake::start().await;
    let mut first = from_leader(2, &["c1"], &[], &[], &[]);
    first.delay = Duration::from_millis(400);
    let second = from_leader(2, &[], &[], &[], &[]);
    fake.with(|s| {
        s.leader = Some("leader-1".into());
        s.follower_assignments = [&first, &second]
            .iter()
            .map(|a| Bytes::from(encode_assignment(a)))
            .collect();
    });
    let (handle, mut rx) = start(settings(&fake.addr), View::new(7, &[]));
    let (_, _, a) = assigned(&mut rx).await;
    let got = std::time::Instant::now();
    assert_eq!(a.delay, Duration::from_millis(400));
    let (generation, _, a) = assigned(&mut rx).await;
    assert!(
        got.elapsed() >= Duration::from_millis(350),
        "{:?}",
        got.elapsed()
    );
    assert_eq!(generation, 2);
    // The second assignment adds nothing and revokes nothing: c1 is kept.
    assert_eq!(a.connectors, ["c1"]);
    handle.leave().await;
}

#[tokio::test]
async fn a_sync_group_rebalance_in_progress_is_retried_at_once() {
    let fake = Fake::start().await;
    fake.with(|s| s.sync_errors.push_back(27));
    let (handle, mut rx) = start(settings(&fake.addr), View::new(0, &[("c1", 1)]));
    let (generation, _, a) = assigned(&mut rx).await;
    assert_eq!(generation, 2);
    assert_eq!(a.connectors, ["c1"]);
    let syncs = fake
        .seen()
        .iter()
        .filter(|s| matches!(s, Seen::Sync { .. }))
        .count();
    assert_eq!(syncs, 2);
    handle.leave().await;
}

#[tokio::test]
async fn settings_the_member_cannot_work_with_are_refused_at_start() {
    let view = View::new(0, &[]);
    let mut s = settings("127.0.0.1:1");
    s.group_id = " ".into();
    assert!(matches!(
        GroupMember::start(s, view.clone()),
        Err(DistributedError::Config(m)) if m.contains("group.id")
    ));
    let mut s = settings("127.0.0.1:1");
    s.bootstrap = vec!["nohostport".into()];
    assert!(matches!(
        GroupMember::start(s, view.clone()),
        Err(DistributedError::Config(m)) if m.contains("bootstrap.servers")
    ));
}

/// Work as the live tests and the event checks see it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Work {
    Connector(String),
    Task(ConnectorTaskId),
}

pub(super) fn work_of(connectors: &[String], tasks: &[ConnectorTaskId]) -> BTreeSet<Work> {
    connectors
        .iter()
        .cloned()
        .map(Work::Connector)
        .chain(tasks.iter().cloned().map(Work::Task))
        .collect()
}

#[tokio::test]
async fn a_member_asked_to_back_off_gives_up_its_work_leaves_and_joins_again_as_a_new_member_later()
{
    let fake = Fake::start().await;
    let (handle, mut rx) = start(settings(&fake.addr), View::new(0, &[("c1", 1)]));
    let (_, member_id, a) = assigned(&mut rx).await;
    assert_eq!(a.connectors, ["c1"]);
    // When the runtime cannot read the config topic to the assignment's offset,
    let pause = Duration::from_secs(2);
    let asked = tokio::time::Instant::now();
    handle.leave_and_back_off("the config topic is behind".into(), pause);
    // the member revokes its work, tells the runtime it is out of the group,
    let MemberEvent::Revoke {
        connectors,
        tasks,
        done,
    } = next(&mut rx).await
    else {
        panic!("expected the revocation first");
    };
    assert_eq!((connectors, tasks), (strings(&["c1"]), vec![task("c1", 0)]));
    done.send(()).unwrap();
    match next(&mut rx).await {
        MemberEvent::Lost { reason } => assert_eq!(reason, "the config topic is behind"),
        other => panic!("expected Lost, got {other:?}"),
    }
    // leaves the group (so the others get the work now), says why,
    let left: Vec<Vec<String>> = fake
        .seen()
        .into_iter()
        .filter_map(|s| match s {
            Seen::Leave { member_ids } => Some(member_ids),
            _ => None,
        })
        .collect();
    assert_eq!(left, [vec![member_id.clone()]]);
    let status = handle.status().borrow().clone();
    assert!(!status.joined);
    assert_eq!(
        status.last_error.as_deref(),
        Some("the config topic is behind")
    );
    // and joins again, as a new member, only once the pause is over.
    let (_, again, a) = assigned(&mut rx).await;
    assert!(
        asked.elapsed() >= pause,
        "rejoined after {:?}",
        asked.elapsed()
    );
    assert_ne!(again, member_id);
    assert_eq!(a.connectors, ["c1"]);
    let joins = fake.joins();
    assert_eq!(joins.len(), 2, "{joins:?}");
    assert!(
        matches!(&joins[1], Seen::Join { member_id, .. } if member_id.is_empty()),
        "{joins:?}"
    );
    handle.leave().await;
}
