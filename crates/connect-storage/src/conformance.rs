//! Behaviour every store implementation must share, as scenarios run against any of them
//! (object_store's `integration.rs` idea): the memory stores run them in unit tests, the Kafka
//! stores against a broker in `tests/kafka.rs`.
//!
//! Each scenario expects a store that has never seen the connectors it uses (all are named
//! `conformance-*`).
//!
//! # Panics
//! Every function panics, with the failed expectation, when the store misbehaves: they are
//! meant to be called from tests.

use std::time::Duration;

use connect_api::{Props, SourceOffset, SourcePartition};
use serde_json::{Map, Value, json};

use crate::{
    ConfigStore, ConnectorStatus, OffsetStore, SessionKey, State, StatusStore, TargetState,
    TopicStatus,
};

const NOTIFY_TIMEOUT: Duration = Duration::from_secs(10);

fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not a JSON object: {other}"),
    }
}

fn partition(v: Value) -> SourcePartition {
    SourcePartition::new(object(v))
}

fn offset(v: Value) -> SourceOffset {
    SourceOffset(object(v))
}

/// Connector configs, target states, committed task configs, restart requests, deletion,
/// session keys and change notifications.
pub async fn config_store(store: &dyn ConfigStore) {
    let a = "conformance-a";
    let b = "conformance-b";
    let a_props = props(&[
        ("connector.class", "FileStreamSource"),
        ("name", a),
        ("tasks.max", "2"),
    ]);
    let mut rx = store.subscribe();
    assert!(
        !rx.has_changed().expect("store is alive"),
        "a new subscriber has seen the current state already"
    );
    let start_offset = store.snapshot().offset;

    // Given no connector, when one is created without a target state, then it is visible at
    // once, STARTED, and subscribers hear of it.
    store
        .put_connector_config(a, &a_props, None)
        .await
        .expect("put connector config");
    let snap = store.snapshot();
    assert_eq!(
        snap.connectors.get(a),
        Some(&a_props),
        "connector config is read back"
    );
    assert_eq!(
        snap.target_state(a),
        Some(TargetState::Started),
        "a new connector is STARTED"
    );
    assert!(snap.tasks(a).is_empty(), "a new connector has no tasks");
    assert!(
        snap.offset > start_offset,
        "the offset grows with every write"
    );
    tokio::time::timeout(NOTIFY_TIMEOUT, rx.changed())
        .await
        .expect("subscriber is notified in time")
        .expect("store is alive");
    assert!(
        rx.borrow_and_update().contains(a),
        "the notified snapshot holds the write"
    );

    // A connector created PAUSED stays PAUSED when its config is updated without a state.
    store
        .put_connector_config(b, &props(&[("name", b)]), Some(TargetState::Paused))
        .await
        .expect("put b");
    assert_eq!(store.snapshot().target_state(b), Some(TargetState::Paused));
    store
        .put_connector_config(b, &props(&[("name", b), ("x", "1")]), None)
        .await
        .expect("update b");
    let snap = store.snapshot();
    assert_eq!(
        snap.target_state(b),
        Some(TargetState::Paused),
        "an update keeps the target state"
    );
    assert_eq!(
        snap.connectors
            .get(b)
            .and_then(|p| p.get("x"))
            .map(String::as_str),
        Some("1")
    );

    // Target states: STOPPED round-trips (it is written as state.v2).
    for state in [
        TargetState::Stopped,
        TargetState::Paused,
        TargetState::Started,
    ] {
        store
            .put_target_state(a, state)
            .await
            .expect("put target state");
        assert_eq!(store.snapshot().target_state(a), Some(state));
    }

    // Task configs are visible together once committed, and a new set replaces the old one.
    let t0 = props(&[("task.class", "T"), ("file", "/tmp/0")]);
    let t1 = props(&[("task.class", "T"), ("file", "/tmp/1")]);
    store
        .put_task_configs(a, &[t0.clone(), t1.clone()])
        .await
        .expect("put task configs");
    assert_eq!(store.snapshot().tasks(a), &[t0.clone(), t1.clone()]);
    store
        .put_task_configs(a, std::slice::from_ref(&t1))
        .await
        .expect("shrink task configs");
    assert_eq!(
        store.snapshot().tasks(a),
        std::slice::from_ref(&t1),
        "fewer tasks replace more"
    );
    store.put_task_configs(a, &[]).await.expect("zero tasks");
    let snap = store.snapshot();
    assert_eq!(
        snap.task_configs.get(a),
        Some(&Vec::new()),
        "a zero-task commit is recorded"
    );
    assert!(
        snap.tasks(b).is_empty(),
        "tasks of one connector do not leak to another"
    );
    store
        .put_task_configs(a, std::slice::from_ref(&t0))
        .await
        .expect("tasks again");

    // Restart requests: the latest per connector, with a growing sequence number.
    store
        .put_restart_request(a, true, false)
        .await
        .expect("restart request");
    let first = *store
        .snapshot()
        .restart_requests
        .get(a)
        .expect("restart request is visible");
    assert!(first.include_tasks && !first.only_failed);
    store
        .put_restart_request(a, false, true)
        .await
        .expect("second restart request");
    let second = *store
        .snapshot()
        .restart_requests
        .get(a)
        .expect("second restart request is visible");
    assert!(!second.include_tasks && second.only_failed);
    assert!(
        second.seq > first.seq,
        "a later request has a larger sequence number"
    );

    // Cluster-wide log levels: the latest per namespace, with a growing sequence number.
    store
        .put_logger_level("org.apache.kafka.connect", "DEBUG")
        .await
        .expect("logger level");
    store
        .put_logger_level("org.apache.kafka.connect", "WARN")
        .await
        .expect("second logger level");
    let level = store
        .snapshot()
        .logger_levels
        .get("org.apache.kafka.connect")
        .cloned()
        .expect("logger level is visible");
    assert_eq!(level.level, "WARN");
    assert!(level.seq > second.seq);

    // Deleting a connector removes its config, target state and tasks, and nothing else.
    store.remove_connector(a).await.expect("remove connector");
    let snap = store.snapshot();
    assert!(!snap.contains(a), "a removed connector is gone");
    assert_eq!(snap.target_state(a), None);
    assert!(
        !snap.target_states.contains_key(a),
        "its target state is tombstoned too"
    );
    assert!(
        snap.tasks(a).is_empty() && !snap.task_configs.contains_key(a),
        "its tasks are gone"
    );
    assert!(
        !snap.restart_requests.contains_key(a),
        "its pending restart is dropped"
    );
    assert!(snap.contains(b), "other connectors stay");

    // Re-creating it starts from scratch.
    store
        .put_connector_config(a, &a_props, Some(TargetState::Stopped))
        .await
        .expect("re-create");
    let snap = store.snapshot();
    assert_eq!(snap.target_state(a), Some(TargetState::Stopped));
    assert!(snap.tasks(a).is_empty());
    store.refresh().await.expect("refresh");
    assert_eq!(store.snapshot().connectors.get(a), Some(&a_props));

    // A session key written by the leader is visible at once, and a newer one replaces it.
    for (stamp, fill) in [(1_000, 7u8), (2_000, 9u8)] {
        let key = SessionKey {
            key: vec![fill; 32],
            algorithm: "HmacSHA256".into(),
            creation_timestamp: stamp,
        };
        store.put_session_key(&key).await.expect("put session key");
        assert_eq!(store.snapshot().session_key, Some(key));
    }
}

/// Offsets: read-back, update, per-connector isolation, field-order independence, tombstones.
pub async fn offset_store(store: &dyn OffsetStore) {
    let c = "conformance-offsets";
    let other = "conformance-offsets-other";
    let file_a = partition(json!({"filename": "/tmp/a.txt"}));
    let file_b = partition(json!({"filename": "/tmp/b.txt"}));
    let unknown = partition(json!({"filename": "/tmp/none.txt"}));

    assert!(
        store
            .get(c, std::slice::from_ref(&file_a))
            .await
            .expect("get")
            .is_empty(),
        "no offset before a write"
    );

    store
        .put_batch(
            c,
            vec![
                (file_a.clone(), Some(offset(json!({"position": 30})))),
                (file_b.clone(), Some(offset(json!({"position": 7})))),
            ],
        )
        .await
        .expect("put batch");
    let got = store
        .get(c, &[file_a.clone(), unknown.clone(), file_b.clone()])
        .await
        .expect("get");
    assert_eq!(
        got,
        vec![
            (file_a.clone(), offset(json!({"position": 30}))),
            (file_b.clone(), offset(json!({"position": 7})))
        ],
        "written offsets are read back, unknown partitions are left out"
    );

    // A later write wins; another connector's identical partition is separate.
    store
        .put_batch(
            c,
            vec![(file_a.clone(), Some(offset(json!({"position": 45}))))],
        )
        .await
        .expect("update");
    store
        .put_batch(
            other,
            vec![(file_a.clone(), Some(offset(json!({"position": 1}))))],
        )
        .await
        .expect("other");
    assert_eq!(
        store
            .get(c, std::slice::from_ref(&file_a))
            .await
            .expect("get"),
        vec![(file_a.clone(), offset(json!({"position": 45})))]
    );
    assert_eq!(
        store
            .get(other, std::slice::from_ref(&file_a))
            .await
            .expect("get"),
        vec![(file_a.clone(), offset(json!({"position": 1})))]
    );

    // Debezium-style offsets with several fields and nested values survive intact, and a
    // partition with several fields is found whatever their order.
    let server = partition(json!({"server": "dbserver1", "db": "inventory"}));
    let binlog = offset(
        json!({"ts_sec": 1_700_000_000, "file": "mysql-bin.000003", "pos": 154, "gtids": null, "snapshot": true}),
    );
    store
        .put_batch(c, vec![(server.clone(), Some(binlog.clone()))])
        .await
        .expect("put debezium offset");
    let reordered = partition(json!({"db": "inventory", "server": "dbserver1"}));
    assert_eq!(
        store
            .get(c, std::slice::from_ref(&reordered))
            .await
            .expect("get")
            .first()
            .map(|(_, o)| o),
        Some(&binlog)
    );

    // A tombstone forgets the partition.
    store
        .put_batch(c, vec![(file_b.clone(), None)])
        .await
        .expect("tombstone");
    assert!(
        store
            .get(c, std::slice::from_ref(&file_b))
            .await
            .expect("get")
            .is_empty(),
        "a tombstone forgets the partition"
    );
    let mut all: Vec<_> = store
        .all_for(c)
        .await
        .expect("all_for")
        .into_iter()
        .map(|(p, o)| (Value::Object(p.into_map()), Value::Object(o.0)))
        .collect();
    all.sort_by_key(|(p, _)| p.to_string());
    assert_eq!(
        all,
        vec![
            (
                json!({"db": "inventory", "server": "dbserver1"}),
                Value::Object(binlog.0.clone())
            ),
            (json!({"filename": "/tmp/a.txt"}), json!({"position": 45})),
        ],
        "all_for lists exactly the live partitions of the connector"
    );
    assert!(
        store
            .all_for("conformance-never-written")
            .await
            .expect("all_for")
            .is_empty()
    );
}

/// Connector, task and topic statuses: read-back, DESTROYED tombstones, deletion.
pub async fn status_store(store: &dyn StatusStore) {
    let c = "conformance-status-conn";
    let status = |state: State, generation: i32| ConnectorStatus {
        state,
        trace: None,
        worker_id: "127.0.0.1:8083".to_string(),
        generation,
    };

    assert_eq!(store.get_connector(c), None, "no status before a write");

    store
        .put_connector(c, &status(State::Running, 1))
        .await
        .expect("put connector");
    assert_eq!(store.get_connector(c), Some(status(State::Running, 1)));
    assert!(store.connectors().contains(&c.to_string()));

    let failed = ConnectorStatus {
        trace: Some(
            "org.apache.kafka.connect.errors.ConnectException: boom\n\tat X.y(X.java:1)".into(),
        ),
        ..status(State::Failed, 2)
    };
    store
        .put_task(c, 0, &status(State::Running, 2))
        .await
        .expect("put task 0");
    store.put_task(c, 1, &failed).await.expect("put task 1");
    store
        .put_task(c, 10, &status(State::Unassigned, 2))
        .await
        .expect("put task 10");
    assert_eq!(
        store.get_task(c, 1),
        Some(failed.clone()),
        "a trace survives the round trip"
    );
    assert_eq!(
        store.tasks_of(c),
        vec![
            (0, status(State::Running, 2)),
            (1, failed.clone()),
            (10, status(State::Unassigned, 2))
        ],
        "tasks are listed by number"
    );

    // Safe writes yield to a newer generation of another worker, not to an older one.
    let other_worker = |state: State, generation: i32| ConnectorStatus {
        worker_id: "10.0.0.2:8083".to_string(),
        ..status(state, generation)
    };
    assert!(
        store
            .put_task_safe(c, 0, &other_worker(State::Running, 5))
            .await
            .expect("safe put of a newer generation"),
        "a newer generation may overwrite"
    );
    assert!(
        !store
            .put_task_safe(c, 0, &status(State::Failed, 4))
            .await
            .expect("safe put of an older generation"),
        "an older generation of another worker may not"
    );
    assert_eq!(store.get_task(c, 0), Some(other_worker(State::Running, 5)));
    assert!(
        store
            .put_connector_safe(c, &status(State::Running, 1))
            .await
            .expect("safe put by the same worker"),
        "the same worker may always overwrite"
    );
    store
        .put_task(c, 0, &status(State::Running, 2))
        .await
        .expect("put task 0 back");

    // DESTROYED deletes.
    store
        .put_task(c, 10, &status(State::Destroyed, 2))
        .await
        .expect("destroy task 10");
    assert_eq!(
        store.get_task(c, 10),
        None,
        "a DESTROYED task status is deleted"
    );

    // Active topics.
    for (topic, ts) in [("topic-b", 2), ("topic-a", 1)] {
        let t = TopicStatus {
            topic: topic.into(),
            connector: c.into(),
            task: 0,
            discover_timestamp: ts,
        };
        store.put_topic(&t).await.expect("put topic");
    }
    let topics: Vec<_> = store
        .topics_of(c)
        .into_iter()
        .map(|t| (t.topic, t.discover_timestamp))
        .collect();
    assert_eq!(
        topics,
        vec![("topic-a".to_string(), 1), ("topic-b".to_string(), 2)]
    );

    // Deleting the connector removes its task statuses but not its topics (reset separately).
    store.delete_connector(c).await.expect("delete connector");
    assert_eq!(store.get_connector(c), None);
    assert!(
        store.tasks_of(c).is_empty(),
        "task statuses go with the connector"
    );
    assert_eq!(
        store.topics_of(c).len(),
        2,
        "active topics stay until reset"
    );
    store.delete_topics(c).await.expect("delete topics");
    assert!(store.topics_of(c).is_empty(), "topics reset");
    store.refresh().await.expect("refresh");
    assert_eq!(store.get_connector(c), None);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemoryConfigStore, MemoryOffsetStore, MemoryStatusStore};

    #[tokio::test]
    async fn memory_config_store_conforms() {
        config_store(&MemoryConfigStore::new()).await;
    }

    #[tokio::test]
    async fn memory_offset_store_conforms() {
        offset_store(&MemoryOffsetStore::new()).await;
    }

    #[tokio::test]
    async fn memory_status_store_conforms() {
        status_store(&MemoryStatusStore::new()).await;
    }

    #[tokio::test]
    async fn file_offset_store_conforms() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::FileOffsetStore::open(dir.path().join("offsets.json"))
            .await
            .unwrap();
        offset_store(&store).await;
        // And everything is still there after reopening.
        drop(store);
        let reopened = crate::FileOffsetStore::open(dir.path().join("offsets.json"))
            .await
            .unwrap();
        assert_eq!(
            reopened.all_for("conformance-offsets").await.unwrap().len(),
            2
        );
    }
}
