use super::*;

fn task(connector: &str, task: u32) -> ConnectorTaskId {
    ConnectorTaskId {
        connector: connector.to_owned(),
        task,
    }
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn metadata(owned: Option<OwnedWork>) -> WorkerMetadata {
    WorkerMetadata {
        url: "w1".to_owned(),
        config_offset: 7,
        owned,
    }
}

fn assignment(version: i16) -> Assignment {
    Assignment {
        error: AssignmentError::None,
        leader: "L".to_owned(),
        leader_url: "u".to_owned(),
        config_offset: 3,
        connectors: strings(&["a"]),
        tasks: vec![task("a", 1), task("b", 0)],
        revoked_connectors: strings(&["r"]),
        revoked_tasks: vec![task("r", 2)],
        delay: Duration::from_millis(1500),
        protocol_version: version,
    }
}

const NULL: [u8; 4] = [0xFF; 4];

fn be64(v: i64) -> [u8; 8] {
    v.to_be_bytes()
}

#[test]
fn eager_metadata_is_version_url_and_offset() {
    let bytes = encode_metadata(0, &metadata(Some(OwnedWork::default())));
    let mut want = vec![0, 0, 0, 2, b'w', b'1'];
    want.extend(be64(7));
    assert_eq!(bytes, want);
    let (version, m) = decode_metadata(&bytes).unwrap();
    assert_eq!(version, 0);
    assert_eq!(m, metadata(None));
}

#[test]
fn cooperative_metadata_without_an_assignment_has_a_null_allocation() {
    let bytes = encode_metadata(1, &metadata(None));
    let mut want = vec![0, 1, 0, 2, b'w', b'1'];
    want.extend(be64(7));
    want.extend(NULL);
    assert_eq!(bytes, want);
    assert_eq!(decode_metadata(&bytes).unwrap(), (1, metadata(None)));
}

#[test]
fn cooperative_metadata_embeds_what_the_member_runs_as_an_assignment() {
    let owned = OwnedWork {
        connectors: strings(&["c"]),
        tasks: vec![task("c", 0)],
    };
    let bytes = encode_metadata(2, &metadata(Some(owned.clone())));
    let mut allocation = vec![0, 2, 0, 0, 0, 0, 0, 0];
    allocation.extend(be64(7));
    allocation.extend([0, 0, 0, 1, 0, 1, b'c', 0, 0, 0, 2]);
    allocation.extend(NULL);
    allocation.extend([0, 0, 0, 0]); // task 0
    allocation.extend([0, 0, 0, 0]); // nothing revoked
    allocation.extend([0, 0, 0, 0]); // no delay
    let mut want = vec![0, 2, 0, 2, b'w', b'1'];
    want.extend(be64(7));
    want.extend((allocation.len() as i32).to_be_bytes());
    want.extend(&allocation);
    assert_eq!(bytes, want);
    assert_eq!(decode_metadata(&bytes).unwrap(), (2, metadata(Some(owned))));
}

#[test]
fn each_connect_protocol_setting_offers_itself_and_the_older_protocols_newest_first() {
    let m = metadata(Some(OwnedWork::default()));
    let offered = |c| {
        join_protocols(c, &m)
            .into_iter()
            .map(|(name, bytes)| (name, i16::from_be_bytes([bytes[0], bytes[1]])))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        offered(ConnectProtocolCompatibility::Eager),
        [("default", 0)]
    );
    assert_eq!(
        offered(ConnectProtocolCompatibility::Compatible),
        [("compatible", 1), ("default", 0)]
    );
    assert_eq!(
        offered(ConnectProtocolCompatibility::Sessioned),
        [("sessioned", 2), ("compatible", 1), ("default", 0)]
    );
    let sessioned = join_protocols(ConnectProtocolCompatibility::Sessioned, &m);
    assert_eq!(sessioned[0].1, encode_metadata(2, &m));
    assert_eq!(sessioned[1].1, encode_metadata(1, &m));
    assert_eq!(sessioned[2].1, encode_metadata(0, &m));
}

#[test]
fn the_chosen_protocol_name_gives_its_version_ignoring_case() {
    assert_eq!(version_of("default").unwrap(), 0);
    assert_eq!(version_of("compatible").unwrap(), 1);
    assert_eq!(version_of("sessioned").unwrap(), 2);
    assert_eq!(version_of("SESSIONED").unwrap(), 2);
    // Java's equalsIgnoreCase: U+017F (long s) upper-cases to 'S'.
    assert_eq!(version_of("\u{17F}essioned").unwrap(), 2);
    let err = version_of("range").unwrap_err().to_string();
    assert_eq!(
        err,
        "Not found Connect protocol compatibility mode for protocol: range"
    );
    assert!(version_of("eager").is_err());
}

#[test]
fn connect_protocol_settings_parse_as_kafka_s_enum_names() {
    assert_eq!(
        ConnectProtocolCompatibility::from_config("Eager"),
        Some(ConnectProtocolCompatibility::Eager)
    );
    assert_eq!(
        ConnectProtocolCompatibility::from_config("sessioned"),
        Some(ConnectProtocolCompatibility::Sessioned)
    );
    assert_eq!(ConnectProtocolCompatibility::from_config("default"), None);
    assert_eq!(
        ConnectProtocolCompatibility::from_protocol_version(1),
        Some(ConnectProtocolCompatibility::Compatible)
    );
    assert_eq!(ConnectProtocolCompatibility::from_protocol_version(3), None);
}

#[test]
fn an_eager_assignment_lists_each_connector_with_minus_one_then_its_tasks() {
    let bytes = encode_assignment(&assignment(0));
    let mut want = vec![0, 0, 0, 0, 0, 1, b'L', 0, 1, b'u'];
    want.extend(be64(3));
    want.extend([0, 0, 0, 2, 0, 1, b'a', 0, 0, 0, 2]);
    want.extend(NULL);
    want.extend([0, 0, 0, 1, 0, 1, b'b', 0, 0, 0, 1, 0, 0, 0, 0]);
    assert_eq!(bytes, want);
    let back = decode_assignment(&bytes).unwrap();
    assert_eq!(
        back,
        Assignment {
            revoked_connectors: vec![],
            revoked_tasks: vec![],
            delay: Duration::ZERO,
            ..assignment(0)
        }
    );
}

#[test]
fn a_cooperative_assignment_adds_revocations_and_the_delay() {
    let bytes = encode_assignment(&assignment(2));
    let eager = encode_assignment(&assignment(0));
    // The same fields as eager after the header, then `revoked` and `delay`.
    assert_eq!(&bytes[..2], &[0, 2]);
    assert_eq!(&bytes[2..eager.len()], &eager[2..]);
    let mut tail = vec![0, 0, 0, 1, 0, 1, b'r', 0, 0, 0, 2];
    tail.extend(NULL);
    tail.extend([0, 0, 0, 2]);
    tail.extend(1500i32.to_be_bytes());
    assert_eq!(&bytes[eager.len()..], &tail[..]);
    assert_eq!(decode_assignment(&bytes).unwrap(), assignment(2));
    let v1 = encode_assignment(&assignment(1));
    assert_eq!(&v1[..2], &[0, 1]);
    assert_eq!(decode_assignment(&v1).unwrap(), assignment(1));
}

#[test]
fn assigned_connectors_are_written_in_java_hash_set_order() {
    let a = Assignment {
        connectors: strings(&["connector3", "connector1", "connector2", "connector1"]),
        tasks: vec![
            task("connector2", 0),
            task("other", 4),
            task("connector3", 1),
        ],
        revoked_connectors: strings(&["z", "y", "z"]),
        revoked_tasks: vec![],
        ..assignment(1)
    };
    let back = decode_assignment(&encode_assignment(&a)).unwrap();
    // HashSet order (buckets 0, 1, 2), deduplicated; tasks of a connector follow it, a task's
    // connector that is not assigned itself comes after them.
    assert_eq!(back.connectors, ["connector1", "connector2", "connector3"]);
    assert_eq!(
        back.tasks,
        [
            task("connector2", 0),
            task("connector3", 1),
            task("other", 4)
        ]
    );
    // Revoked connectors keep their order, deduplicated.
    assert_eq!(back.revoked_connectors, ["z", "y"]);
}

#[test]
fn a_config_mismatch_and_unknown_error_codes_read_as_failed() {
    let a = Assignment {
        error: AssignmentError::ConfigMismatch,
        ..assignment(2)
    };
    let mut bytes = encode_assignment(&a);
    assert_eq!(&bytes[2..4], &[0, 1]);
    assert_eq!(decode_assignment(&bytes).unwrap(), a);
    bytes[3] = 7;
    assert_eq!(
        decode_assignment(&bytes).unwrap().error,
        AssignmentError::ConfigMismatch
    );
}

#[test]
fn a_negative_delay_reads_as_none_and_a_huge_one_is_capped() {
    let a = Assignment {
        delay: Duration::from_secs(u64::MAX / 4),
        ..assignment(1)
    };
    let mut bytes = encode_assignment(&a);
    let n = bytes.len();
    assert_eq!(&bytes[n - 4..], &i32::MAX.to_be_bytes());
    bytes[n - 4..].copy_from_slice(&(-5i32).to_be_bytes());
    assert_eq!(decode_assignment(&bytes).unwrap().delay, Duration::ZERO);
}

#[test]
fn null_arrays_and_missing_trailing_fields_take_kafka_s_defaults() {
    let mut bytes = vec![0, 1, 0, 0, 0, 1, b'L', 0, 0];
    bytes.extend(be64(9));
    let only_required = decode_assignment(&bytes).unwrap();
    assert_eq!(only_required.config_offset, 9);
    assert!(only_required.connectors.is_empty() && only_required.revoked_tasks.is_empty());
    assert_eq!(only_required.delay, Duration::ZERO);
    bytes.extend(NULL);
    bytes.extend(NULL);
    bytes.extend(20i32.to_be_bytes());
    let nulls = decode_assignment(&bytes).unwrap();
    assert!(nulls.connectors.is_empty() && nulls.revoked_connectors.is_empty());
    assert_eq!(nulls.delay, Duration::from_millis(20));
}

#[test]
fn trailing_bytes_are_ignored_as_kafka_does() {
    let mut bytes = encode_metadata(0, &metadata(None));
    // Eager metadata followed by a (null) allocation: what a cooperative reader sees.
    bytes.extend(NULL);
    assert_eq!(decode_metadata(&bytes).unwrap(), (0, metadata(None)));
    let mut a = encode_assignment(&assignment(2));
    a.extend([1, 2, 3]);
    assert_eq!(decode_assignment(&a).unwrap(), assignment(2));
}

#[test]
fn higher_versions_are_read_with_the_version_1_layout() {
    let a = assignment(5);
    let bytes = encode_assignment(&a);
    assert_eq!(&bytes[..2], &[0, 5]);
    assert_eq!(decode_assignment(&bytes).unwrap(), a);
}

#[test]
fn a_negative_version_or_task_number_is_refused() {
    let mut bytes = encode_assignment(&assignment(1));
    bytes[0] = 0xFF;
    bytes[1] = 0xFF;
    assert_eq!(
        decode_assignment(&bytes).unwrap_err().to_string(),
        "Unsupported subscription version: -1"
    );
    assert!(decode_metadata(&bytes).is_err());

    let mut bytes = vec![0, 0, 0, 0, 0, 0, 0, 0];
    bytes.extend(be64(1));
    bytes.extend([0, 0, 0, 1, 0, 1, b'c', 0, 0, 0, 1]);
    bytes.extend((-2i32).to_be_bytes());
    assert_eq!(
        decode_assignment(&bytes).unwrap_err().to_string(),
        "task number -2 of connector c is negative"
    );
}

#[test]
fn a_huge_array_count_is_an_error_not_an_allocation() {
    let mut bytes = vec![0, 1, 0, 0, 0, 0, 0, 0];
    bytes.extend(be64(1));
    bytes.extend(i32::MAX.to_be_bytes());
    let err = decode_assignment(&bytes).unwrap_err().to_string();
    assert_eq!(
        err,
        "Error reading field 'assignment': Error reading array of size 2147483647, only 0 bytes available"
    );
}

#[test]
fn a_malformed_allocation_fails_the_whole_metadata() {
    let mut bytes = vec![0, 1, 0, 1, b'w'];
    bytes.extend(be64(1));
    bytes.extend([0, 0, 0, 2, 0, 1]);
    let err = decode_metadata(&bytes).unwrap_err().to_string();
    assert_eq!(
        err,
        "Error reading field 'error': Missing value for field 'error' which has no default value."
    );
}

/// Lengths at which a prefix of an encoding is itself valid: where the rest are fields the
/// schema lets be missing.
fn assert_prefixes(bytes: &[u8], valid_lengths: &[usize], decode: impl Fn(&[u8]) -> bool) {
    for len in 0..bytes.len() {
        assert_eq!(
            decode(&bytes[..len]),
            valid_lengths.contains(&len),
            "prefix of {len} of {} bytes",
            bytes.len()
        );
    }
    assert!(decode(bytes));
}

#[test]
fn every_truncation_of_an_assignment_is_an_error_except_at_optional_fields() {
    let bytes = encode_assignment(&assignment(2));
    // header 2, error 2, leader 3, url 3, offset 8 = 18; assignment array 2 entries:
    // 4 + (3 + 4 + 8) + (3 + 4 + 4) = 30; revoked: 4 + 3 + 4 + 8 = 19; delay 4.
    assert_eq!(bytes.len(), 18 + 30 + 19 + 4);
    assert_prefixes(&bytes, &[18, 48, 67], |b| decode_assignment(b).is_ok());
    let eager = encode_assignment(&assignment(0));
    assert_prefixes(&eager, &[18], |b| decode_assignment(b).is_ok());
}

#[test]
fn every_truncation_of_metadata_is_an_error_except_before_the_allocation() {
    let owned = OwnedWork {
        connectors: strings(&["c"]),
        tasks: vec![task("c", 0), task("d", 1)],
    };
    let bytes = encode_metadata(2, &metadata(Some(owned)));
    // header 2, url 4, offset 8 = 14: without the allocation the metadata is complete.
    assert_prefixes(&bytes, &[14], |b| decode_metadata(b).is_ok());
}

#[test]
fn garbage_never_panics() {
    // A fixed linear congruential sequence: varied bytes, the same on every run.
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) as u8
    };
    let valid = encode_metadata(
        2,
        &metadata(Some(OwnedWork {
            connectors: strings(&["c"]),
            tasks: vec![task("c", 0)],
        })),
    );
    let (mut failed, mut decoded) = (0, 0);
    for round in 0..2000 {
        let len = usize::from(next()) % 64;
        let mut bytes: Vec<u8> = (0..len).map(|_| next()).collect();
        if round % 2 == 0 {
            // Valid bytes with some flipped keep the decoder deep in the structure.
            bytes = valid.clone();
            for _ in 0..3 {
                let i = usize::from(next()) % bytes.len();
                bytes[i] = next();
            }
        }
        for ok in [
            decode_metadata(&bytes).is_ok(),
            decode_assignment(&bytes).is_ok(),
        ] {
            if ok {
                decoded += 1;
            } else {
                failed += 1;
            }
        }
    }
    // Both outcomes occur: the decoder went past the header into the structure.
    assert!(
        failed > 1000 && decoded > 10,
        "{failed} failed, {decoded} decoded"
    );
}

#[test]
fn unicode_names_round_trip() {
    let a = Assignment {
        connectors: strings(&["café-源", "😀"]),
        tasks: vec![task("😀", 3)],
        ..assignment(2)
    };
    let back = decode_assignment(&encode_assignment(&a)).unwrap();
    let mut connectors = back.connectors.clone();
    connectors.sort();
    assert_eq!(connectors, ["café-源", "😀"]);
    assert_eq!(back.tasks, a.tasks);
}
