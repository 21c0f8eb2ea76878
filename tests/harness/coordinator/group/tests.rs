//! The state machine driven directly (no sockets), on paused tokio time.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use tokio::task::JoinHandle;

use super::*;

const GROUP: &str = "connect-cluster";
const SESSION_MS: i32 = 6_000;
const REBALANCE_MS: i32 = 60_000;

fn err(e: ResponseError) -> i16 {
    e.code()
}

/// A Connect worker's JoinGroup: `tag` names it in its metadata.
fn request(member_id: &str, tag: &str) -> JoinRequest {
    JoinRequest {
        group_id: GROUP.to_owned(),
        member_id: member_id.to_owned(),
        group_instance_id: None,
        require_known_member_id: true,
        client_id: format!("worker-{tag}"),
        client_host: "/127.0.0.1".to_owned(),
        rebalance_timeout_ms: REBALANCE_MS,
        session_timeout_ms: SESSION_MS,
        protocol_type: "connect".to_owned(),
        protocols: vec![
            ("sessioned".to_owned(), Bytes::from(format!("s-{tag}"))),
            ("compatible".to_owned(), Bytes::from(format!("c-{tag}"))),
        ],
    }
}

fn spawn_join(c: &Coordinator, r: JoinRequest) -> JoinHandle<JoinResult> {
    let c = c.clone();
    tokio::spawn(async move { c.join(r).await })
}

fn spawn_sync(c: &Coordinator, r: SyncRequest) -> JoinHandle<SyncResult> {
    let c = c.clone();
    tokio::spawn(async move { c.sync(r).await })
}

/// Lets spawned requests reach the coordinator (time is paused: this takes no real time).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(10)).await;
}

/// The first JoinGroup of a member (id required), then its second; returns the id and the
/// pending second join.
async fn enter(c: &Coordinator, tag: &str) -> (String, JoinHandle<JoinResult>) {
    let first = c.join(request("", tag)).await;
    assert_eq!(first.error, err(ResponseError::MemberIdRequired));
    assert!(first.member_id.starts_with(&format!("worker-{tag}-")));
    let id = first.member_id.clone();
    let h = spawn_join(c, request(&id, tag));
    settle().await;
    (id, h)
}

fn sync_request(id: &str, generation: i32, assignments: Vec<(String, Bytes)>) -> SyncRequest {
    SyncRequest {
        group_id: GROUP.to_owned(),
        generation_id: generation,
        member_id: id.to_owned(),
        group_instance_id: None,
        protocol_type: Some("connect".to_owned()),
        protocol_name: Some("sessioned".to_owned()),
        assignments,
    }
}

fn assignment_of(id: &str) -> Bytes {
    Bytes::from(format!("work-of-{id}"))
}

/// Every member syncs; the leader assigns each `work-of-<id>`. Returns the results in order.
async fn sync_all(c: &Coordinator, joined: &[JoinResult]) -> Vec<SyncResult> {
    let mut handles = Vec::new();
    // Followers first: their answers wait for the leader's.
    let mut ordered: Vec<&JoinResult> = joined.iter().filter(|j| j.leader != j.member_id).collect();
    ordered.extend(joined.iter().filter(|j| j.leader == j.member_id));
    for j in &ordered {
        let assignments = j
            .members
            .iter()
            .map(|(id, _)| (id.clone(), assignment_of(id)))
            .collect();
        handles.push((
            j.member_id.clone(),
            spawn_sync(c, sync_request(&j.member_id, j.generation_id, assignments)),
        ));
        settle().await;
    }
    let mut out = Vec::new();
    for j in joined {
        let (_, h) = handles
            .iter_mut()
            .find(|(id, _)| *id == j.member_id)
            .expect("synced");
        out.push(h.await.expect("sync task"));
    }
    out
}

/// Members `(id, tag)` rejoin in this order (each reaching the coordinator before the next).
async fn rejoin(c: &Coordinator, members: &[(String, &str)]) -> Vec<JoinHandle<JoinResult>> {
    let mut handles = Vec::new();
    for (id, tag) in members {
        handles.push(spawn_join(c, request(id, tag)));
        settle().await;
    }
    handles
}

async fn results(handles: Vec<JoinHandle<JoinResult>>) -> Vec<JoinResult> {
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("join task"));
    }
    out
}

/// A Stable group of `tags`, built as clients do: each new member joins, the others rejoin
/// when their heartbeat says a rebalance is under way, everyone syncs. Returns the ids.
async fn stable_group(c: &Coordinator, tags: &[&'static str]) -> Vec<(String, &'static str)> {
    let mut members: Vec<(String, &'static str)> = Vec::new();
    for tag in tags {
        let (id, pending) = enter(c, tag).await;
        let (_, generation, _) = c.state(GROUP).expect("group");
        for (old, _) in &members {
            assert_eq!(
                c.heartbeat(GROUP, old, None, generation),
                err(ResponseError::RebalanceInProgress)
            );
        }
        let others = rejoin(c, &members).await;
        let mut joined = vec![pending.await.expect("join")];
        joined.extend(results(others).await);
        sync_all(c, &joined).await;
        members.push((id, tag));
    }
    assert_eq!(c.state(GROUP).map(|s| s.0), Some(GroupState::Stable));
    members
}

#[tokio::test(start_paused = true)]
async fn a_member_without_an_id_gets_member_id_required_and_then_leads_generation_1() {
    let c = Coordinator::new(Config::default());
    let (id, pending) = enter(&c, "a").await;
    let joined = pending.await.expect("join");
    assert_eq!(joined.error, 0);
    assert_eq!(joined.generation_id, 1);
    assert_eq!(joined.leader, id);
    assert_eq!(joined.protocol_name.as_deref(), Some("sessioned"));
    assert_eq!(joined.protocol_type.as_deref(), Some("connect"));
    assert_eq!(joined.members, vec![(id.clone(), Bytes::from("s-a"))]);
    assert_eq!(
        c.state(GROUP),
        Some((GroupState::CompletingRebalance, 1, Some(id)))
    );
}

#[tokio::test(start_paused = true)]
async fn a_join_before_version_4_enters_the_group_without_a_second_request() {
    let c = Coordinator::new(Config::default());
    let mut r = request("", "a");
    r.require_known_member_id = false;
    let joined = c.join(r).await;
    assert_eq!((joined.error, joined.generation_id), (0, 1));
    assert_eq!(joined.leader, joined.member_id);
}

#[tokio::test(start_paused = true)]
async fn a_rebalance_completes_once_every_known_member_has_rejoined() {
    let c = Coordinator::new(Config::default());
    let members = stable_group(&c, &["a", "b"]).await;
    assert_eq!(c.state(GROUP).map(|s| s.1), Some(2));
    // When c joins, the group waits for a and b,
    let (c_id, c_join) = enter(&c, "c").await;
    let a_join = rejoin(&c, &members[..1]).await;
    settle().await;
    assert!(!c_join.is_finished(), "completed without b");
    assert_eq!(
        c.state(GROUP).map(|s| s.0),
        Some(GroupState::PreparingRebalance)
    );
    // and completes generation 3 when b rejoins too.
    let b_join = rejoin(&c, &members[1..]).await;
    let mut all = results(a_join).await;
    all.extend(results(b_join).await);
    all.push(c_join.await.expect("join"));
    assert!(all.iter().all(|j| j.error == 0 && j.generation_id == 3));
    // The leader (a, first to join) gets everyone's metadata; the others none.
    let leader = &all[0];
    assert_eq!(leader.leader, members[0].0);
    let mut metadata: Vec<(String, Bytes)> = leader.members.clone();
    metadata.sort();
    let mut want = vec![
        (members[0].0.clone(), Bytes::from("s-a")),
        (members[1].0.clone(), Bytes::from("s-b")),
        (c_id, Bytes::from("s-c")),
    ];
    want.sort();
    assert_eq!(metadata, want);
    assert!(all[1..].iter().all(|j| j.members.is_empty()));
}

#[tokio::test(start_paused = true)]
async fn a_member_that_does_not_rejoin_is_dropped_when_the_rebalance_timeout_expires() {
    let c = Coordinator::new(Config::default());
    let members = stable_group(&c, &["a", "b"]).await;
    let (c_id, c_join) = enter(&c, "c").await;
    let a_join = rejoin(&c, &members[..1]).await;
    // b keeps heartbeating but never rejoins: told a rebalance is under way each time,
    let started = tokio::time::Instant::now();
    while !c_join.is_finished() {
        let code = c.heartbeat(GROUP, &members[1].0, None, 2);
        if code != 0 {
            assert!(
                code == err(ResponseError::RebalanceInProgress)
                    || code == err(ResponseError::UnknownMemberId),
                "{code}"
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // and dropped when the largest rebalance timeout of the members (60 s) expires.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(59) && waited <= Duration::from_secs(61),
        "{waited:?}"
    );
    let joined = c_join.await.expect("join");
    assert_eq!(joined.generation_id, 3);
    let a = results(a_join).await.remove(0);
    let mut ids: Vec<String> = a.members.iter().map(|(id, _)| id.clone()).collect();
    ids.sort();
    let mut want = vec![members[0].0.clone(), c_id];
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(
        c.heartbeat(GROUP, &members[1].0, None, 3),
        err(ResponseError::UnknownMemberId)
    );
}

#[tokio::test(start_paused = true)]
async fn a_silent_member_is_removed_after_its_session_timeout_and_the_generation_moves_on() {
    let c = Coordinator::new(Config::default());
    let members = stable_group(&c, &["a", "b", "c"]).await;
    let (_, generation, leader) = c.state(GROUP).expect("group");
    assert_eq!(leader.as_deref(), Some(members[0].0.as_str()));
    // b goes silent; a and c heartbeat every second.
    let mut rebalancing_after = None;
    for second in 1..=10 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let codes: Vec<i16> = [&members[0], &members[2]]
            .iter()
            .map(|(id, _)| c.heartbeat(GROUP, id, None, generation))
            .collect();
        if codes
            .iter()
            .all(|c| *c == err(ResponseError::RebalanceInProgress))
        {
            rebalancing_after = Some(second);
            break;
        }
        assert_eq!(codes, vec![0, 0], "at {second} s");
    }
    // 6 s after its last sign of life, b is gone and a rebalance is under way;
    assert_eq!(rebalancing_after, Some(6));
    assert_eq!(
        c.members(GROUP),
        vec![members[0].0.clone(), members[2].0.clone()]
    );
    // a and c rejoin and get the next generation without b.
    let joined = results(rejoin(&c, &[members[0].clone(), members[2].clone()]).await).await;
    assert!(joined.iter().all(|j| j.generation_id == generation + 1));
    assert_eq!(joined[0].members.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn another_member_leads_when_the_leader_dies() {
    let c = Coordinator::new(Config::default());
    let members = stable_group(&c, &["a", "b", "c"]).await;
    let (_, generation, leader) = c.state(GROUP).expect("group");
    assert_eq!(leader.as_deref(), Some(members[0].0.as_str()));
    // The leader a goes silent; b and c heartbeat until told to rejoin.
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let code = c.heartbeat(GROUP, &members[1].0, None, generation);
        c.heartbeat(GROUP, &members[2].0, None, generation);
        if code == err(ResponseError::RebalanceInProgress) {
            break;
        }
    }
    let joined = results(rejoin(&c, &members[1..]).await).await;
    assert!(joined.iter().all(|j| j.generation_id == generation + 1));
    assert_eq!(
        joined[0].leader, members[1].0,
        "b, the first member left, leads"
    );
    assert_eq!(joined[1].leader, members[1].0);
    assert_eq!(joined[0].members.len(), 2);
    // and its assignment reaches c.
    let synced = sync_all(&c, &joined).await;
    assert_eq!(synced[1].assignment, assignment_of(&members[2].0));
}

#[tokio::test(start_paused = true)]
async fn the_leader_stays_leader_while_it_is_a_member() {
    let c = Coordinator::new(Config::default());
    let members = stable_group(&c, &["a", "b"]).await;
    let (c_id, c_join) = enter(&c, "c").await;
    // b rejoins first this time; a, the leader, after it.
    let b_join = rejoin(&c, &members[1..]).await;
    let a_join = rejoin(&c, &members[..1]).await;
    let mut joined = results(b_join).await;
    joined.extend(results(a_join).await);
    joined.push(c_join.await.expect("join"));
    assert!(joined.iter().all(|j| j.leader == members[0].0));
    assert_eq!(joined[1].members.len(), 3);
    assert!(
        joined
            .iter()
            .all(|j| j.member_id != j.leader || !j.members.is_empty())
    );
    assert!(c.members(GROUP).contains(&c_id));
}

#[tokio::test(start_paused = true)]
async fn the_protocol_is_the_one_most_members_prefer_among_those_all_support() {
    let c = Coordinator::new(Config::default());
    let protocols = |names: &[&str]| -> Vec<(String, Bytes)> {
        names
            .iter()
            .map(|n| ((*n).to_owned(), Bytes::from(format!("m-{n}"))))
            .collect()
    };
    let join = |tag: &str, id: &str, names: &[&str]| {
        let mut r = request(id, tag);
        r.require_known_member_id = false;
        r.protocols = protocols(names);
        r
    };
    let a_names = ["sessioned", "compatible"];
    // a prefers sessioned and forms generation 1 alone; b prefers compatible; c knows eager
    // too, which no one else does, and prefers compatible to sessioned.
    let a = c.join(join("a", "", &a_names)).await;
    assert_eq!(a.generation_id, 1);
    let mut handles = vec![spawn_join(&c, join("b", "", &["compatible", "sessioned"]))];
    settle().await;
    handles.push(spawn_join(
        &c,
        join("c", "", &["eager", "compatible", "sessioned"]),
    ));
    settle().await;
    handles.insert(0, spawn_join(&c, join("a", &a.member_id, &a_names)));
    let joined = results(handles).await;
    assert!(joined.iter().all(|j| j.generation_id == 2), "{joined:?}");
    assert_eq!(joined[0].protocol_name.as_deref(), Some("compatible"));
    // The leader gets each member's metadata for that protocol.
    assert!(
        joined[0]
            .members
            .iter()
            .all(|(_, m)| m.as_ref() == b"m-compatible")
    );
    // A member that supports none of the group's protocols is refused.
    let mut stranger = request("", "d");
    stranger.require_known_member_id = false;
    stranger.protocols = protocols(&["eager"]);
    assert_eq!(
        c.join(stranger).await.error,
        err(ResponseError::InconsistentGroupProtocol)
    );
}

#[tokio::test(start_paused = true)]
async fn followers_get_their_assignment_once_the_leader_has_synced() {
    let c = Coordinator::new(Config::default());
    let members = stable_group(&c, &["a", "b"]).await;
    let (c_id, c_join) = enter(&c, "c").await;
    let joined = {
        let mut j = results(rejoin(&c, &members).await).await;
        j.push(c_join.await.expect("join"));
        j
    };
    let generation = joined[0].generation_id;
    let follower = spawn_sync(&c, sync_request(&members[1].0, generation, Vec::new()));
    settle().await;
    assert!(
        !follower.is_finished(),
        "answered before the leader's assignment"
    );
    // The leader leaves c out of its assignment: c gets an empty one.
    let leader = c
        .sync(sync_request(
            &members[0].0,
            generation,
            vec![
                (members[0].0.clone(), assignment_of(&members[0].0)),
                (members[1].0.clone(), assignment_of(&members[1].0)),
            ],
        ))
        .await;
    assert_eq!(leader.assignment, assignment_of(&members[0].0));
    let follower = follower.await.expect("sync");
    assert_eq!(follower.error, 0);
    assert_eq!(follower.assignment, assignment_of(&members[1].0));
    assert_eq!(follower.protocol_name.as_deref(), Some("sessioned"));
    let late = c.sync(sync_request(&c_id, generation, Vec::new())).await;
    assert_eq!((late.error, late.assignment), (0, Bytes::new()));
    assert_eq!(c.state(GROUP).map(|s| s.0), Some(GroupState::Stable));
}

#[tokio::test(start_paused = true)]
async fn a_member_that_does_not_sync_is_removed_and_a_rebalance_starts() {
    let c = Coordinator::new(Config::default());
    let members = stable_group(&c, &["a", "b"]).await;
    let (c_id, c_join) = enter(&c, "c").await;
    let mut joined = results(rejoin(&c, &members).await).await;
    joined.push(c_join.await.expect("join"));
    let generation = joined[0].generation_id;
    // a and c sync and heartbeat; b heartbeats but never syncs.
    let a_sync = spawn_sync(
        &c,
        sync_request(
            &members[0].0,
            generation,
            joined[0]
                .members
                .iter()
                .map(|(id, _)| (id.clone(), assignment_of(id)))
                .collect(),
        ),
    );
    let c_sync = c.sync(sync_request(&c_id, generation, Vec::new())).await;
    assert_eq!(c_sync.error, 0);
    assert_eq!(a_sync.await.expect("sync").error, 0);
    let mut removed_after = None;
    for second in 1..=70 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        c.heartbeat(GROUP, &members[1].0, None, generation);
        c.heartbeat(GROUP, &c_id, None, generation);
        let code = c.heartbeat(GROUP, &members[0].0, None, generation);
        if code == err(ResponseError::RebalanceInProgress) {
            removed_after = Some(second);
            break;
        }
    }
    // Kafka's DelayedSync waits the rebalance timeout (60 s), then drops b.
    assert_eq!(removed_after, Some(60));
    assert!(!c.members(GROUP).contains(&members[1].0));
    assert_eq!(
        c.heartbeat(GROUP, &members[1].0, None, generation),
        err(ResponseError::UnknownMemberId)
    );
}

#[tokio::test(start_paused = true)]
async fn heartbeats_are_answered_as_kafka_does_in_each_state() {
    let c = Coordinator::new(Config::default());
    assert_eq!(
        c.heartbeat(GROUP, "nobody", None, 0),
        err(ResponseError::UnknownMemberId),
        "unknown group"
    );
    assert_eq!(
        c.heartbeat("", "nobody", None, 0),
        err(ResponseError::InvalidGroupId)
    );
    let (a, pending) = enter(&c, "a").await;
    let joined = pending.await.expect("join");
    // CompletingRebalance: the right generation is fine, another is illegal.
    assert_eq!(c.heartbeat(GROUP, &a, None, joined.generation_id), 0);
    assert_eq!(
        c.heartbeat(GROUP, &a, None, joined.generation_id + 1),
        err(ResponseError::IllegalGeneration)
    );
    assert_eq!(
        c.heartbeat(GROUP, "nobody", None, joined.generation_id),
        err(ResponseError::UnknownMemberId)
    );
    assert_eq!(
        c.heartbeat(GROUP, &a, Some("instance-1"), joined.generation_id),
        err(ResponseError::UnknownMemberId),
        "no static member is known"
    );
    sync_all(&c, std::slice::from_ref(&joined)).await;
    // Stable.
    assert_eq!(c.heartbeat(GROUP, &a, None, 1), 0);
    // PreparingRebalance (b joined): told to rejoin.
    let (_, _b_join) = enter(&c, "b").await;
    assert_eq!(
        c.heartbeat(GROUP, &a, None, 1),
        err(ResponseError::RebalanceInProgress)
    );
    assert_eq!(
        c.heartbeat(GROUP, &a, None, 0),
        err(ResponseError::IllegalGeneration)
    );
    // Empty (everyone left): unknown.
    let left = c.leave(
        GROUP,
        &c.members(GROUP)
            .into_iter()
            .map(|member_id| Leaving {
                member_id,
                group_instance_id: None,
            })
            .collect::<Vec<_>>(),
    );
    assert!(left.members.iter().all(|(_, _, e)| *e == 0));
    settle().await;
    assert_eq!(c.state(GROUP).map(|s| s.0), Some(GroupState::Empty));
    assert_eq!(
        c.heartbeat(GROUP, &a, None, 2),
        err(ResponseError::UnknownMemberId)
    );
}

#[tokio::test(start_paused = true)]
async fn heartbeats_keep_a_member_in_the_group() {
    let c = Coordinator::new(Config::default());
    let members = stable_group(&c, &["a", "b"]).await;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        for (id, _) in &members {
            assert_eq!(c.heartbeat(GROUP, id, None, 2), 0);
        }
    }
    assert_eq!(
        c.state(GROUP).map(|s| (s.0, s.1)),
        Some((GroupState::Stable, 2))
    );
}

#[tokio::test(start_paused = true)]
async fn leave_group_removes_each_member_named_and_starts_a_rebalance() {
    let c = Coordinator::new(Config::default());
    let members = stable_group(&c, &["a", "b", "c"]).await;
    let leaving = |id: &str| Leaving {
        member_id: id.to_owned(),
        group_instance_id: None,
    };
    let left = c.leave(
        GROUP,
        &[
            leaving(&members[0].0),
            leaving("nobody"),
            leaving(&members[2].0),
        ],
    );
    assert_eq!(left.error, 0);
    assert_eq!(
        left.members
            .iter()
            .map(|(id, _, e)| (id.as_str(), *e))
            .collect::<Vec<_>>(),
        vec![
            (members[0].0.as_str(), 0),
            ("nobody", err(ResponseError::UnknownMemberId)),
            (members[2].0.as_str(), 0),
        ]
    );
    assert_eq!(c.members(GROUP), vec![members[1].0.clone()]);
    assert_eq!(
        c.heartbeat(GROUP, &members[1].0, None, 3),
        err(ResponseError::RebalanceInProgress)
    );
    let joined = results(rejoin(&c, &members[1..2]).await).await;
    assert_eq!(joined[0].generation_id, 4);
    assert_eq!(joined[0].leader, members[1].0, "the leader left: b leads");
    let nobody = c.leave("other-group", &[leaving("x")]);
    assert_eq!(
        nobody.members,
        vec![("x".to_owned(), None, err(ResponseError::UnknownMemberId))]
    );
}

#[tokio::test(start_paused = true)]
async fn a_pending_member_that_never_rejoins_holds_the_rebalance_until_its_session_expires() {
    let c = Coordinator::new(Config::default());
    let members = stable_group(&c, &["a"]).await;
    // x asks for an id and never comes back; b joins properly, and a rejoins.
    let x = c.join(request("", "x")).await;
    assert_eq!(x.error, err(ResponseError::MemberIdRequired));
    let started = tokio::time::Instant::now();
    let (_, b_join) = enter(&c, "b").await;
    let a_join = rejoin(&c, &members).await;
    let joined = b_join.await.expect("join");
    // The rebalance waited for x until its session timeout forgot it.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(5_900) && waited <= Duration::from_millis(6_100),
        "{waited:?}"
    );
    assert_eq!(joined.generation_id, 2);
    assert_eq!(results(a_join).await[0].members.len(), 2);
    let late = c.join(request(&x.member_id, "x")).await;
    assert_eq!(late.error, err(ResponseError::UnknownMemberId));
}

#[tokio::test(start_paused = true)]
async fn a_follower_rejoining_a_stable_group_unchanged_gets_the_current_generation() {
    let c = Coordinator::new(Config::default());
    let members = stable_group(&c, &["a", "b"]).await;
    let b = c.join(request(&members[1].0, "b")).await;
    assert_eq!((b.error, b.generation_id), (0, 2));
    assert!(b.members.is_empty());
    assert_eq!(c.state(GROUP).map(|s| s.0), Some(GroupState::Stable));
    // and a SyncGroup in a Stable group returns the member's assignment again.
    let again = c.sync(sync_request(&members[1].0, 2, Vec::new())).await;
    assert_eq!(again.assignment, assignment_of(&members[1].0));
    // The leader's JoinGroup, though, always starts a rebalance.
    let _a = spawn_join(&c, request(&members[0].0, "a"));
    settle().await;
    assert_eq!(
        c.state(GROUP).map(|s| s.0),
        Some(GroupState::PreparingRebalance)
    );
}

#[tokio::test(start_paused = true)]
async fn a_member_whose_join_response_was_lost_gets_the_same_generation_again() {
    let c = Coordinator::new(Config::default());
    let members = stable_group(&c, &["a", "b"]).await;
    let (_, c_join) = enter(&c, "c").await;
    let joined = results(rejoin(&c, &members).await).await;
    c_join.await.expect("join");
    assert_eq!(
        c.state(GROUP).map(|s| s.0),
        Some(GroupState::CompletingRebalance)
    );
    let again = c.join(request(&members[0].0, "a")).await;
    assert_eq!(again, joined[0]);
}

#[tokio::test(start_paused = true)]
async fn sync_group_outside_the_current_generation_is_refused() {
    let c = Coordinator::new(Config::default());
    let members = stable_group(&c, &["a"]).await;
    let old = c.sync(sync_request(&members[0].0, 0, Vec::new())).await;
    assert_eq!(old.error, err(ResponseError::IllegalGeneration));
    let unknown = c.sync(sync_request("nobody", 1, Vec::new())).await;
    assert_eq!(unknown.error, err(ResponseError::UnknownMemberId));
    let (_, _b) = enter(&c, "b").await;
    let during = c.sync(sync_request(&members[0].0, 1, Vec::new())).await;
    assert_eq!(during.error, err(ResponseError::RebalanceInProgress));
    let mut wrong = sync_request(&members[0].0, 1, Vec::new());
    wrong.protocol_name = Some("eager".to_owned());
    assert_eq!(
        c.sync(wrong).await.error,
        err(ResponseError::InconsistentGroupProtocol)
    );
}

#[tokio::test(start_paused = true)]
async fn a_follower_waiting_for_its_assignment_is_told_to_rejoin_when_a_rebalance_starts() {
    let c = Coordinator::new(Config::default());
    let members = stable_group(&c, &["a", "b"]).await;
    let (_, c_join) = enter(&c, "c").await;
    let joined = results(rejoin(&c, &members).await).await;
    c_join.await.expect("join");
    let waiting = spawn_sync(
        &c,
        sync_request(&members[1].0, joined[0].generation_id, Vec::new()),
    );
    settle().await;
    // d joins before the leader syncs.
    let (_, _d) = enter(&c, "d").await;
    let answer = waiting.await.expect("sync");
    assert_eq!(answer.error, err(ResponseError::RebalanceInProgress));
}

#[tokio::test(start_paused = true)]
async fn a_static_member_and_a_bad_session_timeout_are_refused() {
    let c = Coordinator::new(Config::default());
    let mut r = request("", "a");
    r.group_instance_id = Some("instance-1".to_owned());
    assert_eq!(c.join(r).await.error, err(ResponseError::InvalidRequest));
    let mut r = request("", "a");
    r.session_timeout_ms = 5_999;
    assert_eq!(
        c.join(r).await.error,
        err(ResponseError::InvalidSessionTimeout)
    );
    let mut r = request("", "a");
    r.group_id = String::new();
    assert_eq!(c.join(r).await.error, err(ResponseError::InvalidGroupId));
    assert_eq!(
        c.join(request("made-up-id", "a")).await.error,
        err(ResponseError::UnknownMemberId)
    );
}

#[tokio::test(start_paused = true)]
async fn describe_reports_the_state_protocol_and_assignments() {
    let c = Coordinator::new(Config::default());
    assert_eq!(c.describe(GROUP).state, "Dead");
    let members = stable_group(&c, &["a", "b"]).await;
    let s = c.describe(GROUP);
    assert_eq!(
        (
            s.state.as_str(),
            s.protocol_type.as_str(),
            s.protocol.as_str()
        ),
        ("Stable", "connect", "sessioned")
    );
    assert_eq!(
        s.members
            .iter()
            .map(|m| (
                m.member_id.clone(),
                m.metadata.clone(),
                m.assignment.clone()
            ))
            .collect::<Vec<_>>(),
        members
            .iter()
            .map(|(id, tag)| (
                id.clone(),
                Bytes::from(format!("s-{tag}")),
                assignment_of(id)
            ))
            .collect::<Vec<_>>()
    );
}

#[tokio::test(start_paused = true)]
async fn an_initial_rebalance_delay_waits_for_more_members_before_the_first_generation() {
    let c = Coordinator::new(Config {
        initial_rebalance_delay_ms: 3_000,
        ..Config::default()
    });
    let started = tokio::time::Instant::now();
    let (_, a) = enter(&c, "a").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, b) = enter(&c, "b").await;
    let a = a.await.expect("join");
    let b = b.await.expect("join");
    // b arrived within the delay: the delay ran again, and both are in generation 1.
    assert_eq!((a.generation_id, b.generation_id), (1, 1));
    assert_eq!(a.members.len(), 2);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(6) && waited < Duration::from_secs(7),
        "{waited:?}"
    );
}
