use super::*;

#[test]
fn ownership_of_an_assignment_covers_exactly_its_connectors_and_tasks() {
    let assignment = Assignment {
        error: AssignmentError::None,
        leader: "l".into(),
        leader_url: "http://l:8083/".into(),
        config_offset: 3,
        connectors: vec!["c".into()],
        tasks: vec![connect_distributed::ConnectorTaskId {
            connector: "d".into(),
            task: 1,
        }],
        revoked_connectors: Vec::new(),
        revoked_tasks: Vec::new(),
        delay: Duration::ZERO,
        protocol_version: 2,
    };
    let mut owned = Owned::of(&assignment);
    assert!(owned.connector("c") && !owned.connector("d"));
    assert!(owned.task("d", 1) && !owned.task("d", 0) && !owned.task("c", 0));
    assert!(owned.any_of("c") && owned.any_of("d") && !owned.any_of("e"));
    owned.revoke(
        &[],
        &[connect_distributed::ConnectorTaskId {
            connector: "d".into(),
            task: 1,
        }],
    );
    assert!(!owned.any_of("d"));
    // Acting on a stale assignment keeps only what runs and stays assigned.
    let mut running = Owned::Assigned {
        connectors: ["c".to_owned(), "x".to_owned()].into(),
        tasks: [("x".to_owned(), 0)].into(),
    };
    running.keep_only(&assignment);
    assert_eq!(
        running,
        Owned::Assigned {
            connectors: ["c".to_owned()].into(),
            tasks: BTreeSet::new(),
        }
    );
    assert!(Owned::Everything.task("any", 7) && !Owned::nothing().any_of("any"));
}

#[test]
fn the_assignor_sees_stopped_connectors_without_tasks() {
    let mut state = ClusterConfigState::default();
    for name in ["run", "stop"] {
        state.connectors.insert(name.into(), Props::new());
        state
            .task_configs
            .insert(name.into(), vec![Props::new(), Props::new()]);
    }
    state
        .target_states
        .insert("stop".into(), TargetState::Stopped);
    assert_eq!(
        task_counts(&state),
        [("run".to_owned(), 2), ("stop".to_owned(), 0)].into()
    );
}

#[test]
fn times_and_names_are_written_as_java_writes_them() {
    let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_120);
    assert_eq!(java_instant(t), "2023-11-14T22:13:20.120Z");
    let whole = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    assert_eq!(java_instant(whole), "2023-11-14T22:13:20Z");
    assert_eq!(encode_segment("my conn/ü"), "my%20conn%2F%C3%BC");
    assert_eq!(scheme("https://h:1/"), "https");
}
