//! The config topic's records, byte for byte as `KafkaConfigBackingStore` writes them, and the
//! fold that turns them into a [`ClusterConfigState`].

use std::collections::BTreeMap;

use connect_api::Props;
use serde::{Deserialize, Serialize};
use tracing::{debug, warn};

use base64::Engine as _;

use super::{ClusterConfigState, LoggerLevelUpdate, RestartRequest, SessionKey, TargetState};
use crate::{Record, StoreError};

const CONNECTOR_PREFIX: &str = "connector-";
const TASK_PREFIX: &str = "task-";
const COMMIT_PREFIX: &str = "commit-";
const TARGET_STATE_PREFIX: &str = "target-state-";
const RESTART_PREFIX: &str = "restart-connector-";
const LOGGER_PREFIX: &str = "logger-cluster-";
const SESSION_KEY_KEY: &str = "session-key";
// Records we read past without using: task count records matter only to exactly-once source
// fencing, which Sluice does not implement.
const IGNORED_PREFIXES: [&str; 1] = ["tasks-fencing-"];

/// Java's `Base64.getEncoder()` writes padded standard base64; its decoder takes the padding as
/// optional.
const JAVA_BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// `CONNECTOR_CONFIGURATION_V0` and `TASK_CONFIGURATION_V0`.
#[derive(Serialize)]
struct PropertiesOut<'a> {
    properties: &'a Props,
}

#[derive(Deserialize)]
struct PropertiesIn {
    // Java writes `Map<String, String>` whose values may be null.
    properties: BTreeMap<String, Option<String>>,
}

/// `TARGET_STATE_V1`: `state` stays readable by workers older than 3.5, which know no STOPPED.
#[derive(Serialize)]
struct TargetStateOut {
    state: &'static str,
    #[serde(rename = "state.v2")]
    state_v2: &'static str,
}

#[derive(Deserialize)]
struct TargetStateIn {
    state: Option<String>,
    #[serde(rename = "state.v2")]
    state_v2: Option<String>,
}

/// `CONNECTOR_TASKS_COMMIT_V0`.
#[derive(Serialize, Deserialize)]
struct CommitValue {
    tasks: i32,
}

/// `RESTART_REQUEST_V0`; absent fields default to false, as in Kafka.
#[derive(Serialize, Deserialize)]
struct RestartValue {
    #[serde(rename = "include-tasks", default)]
    include_tasks: bool,
    #[serde(rename = "only-failed", default)]
    only_failed: bool,
}

/// `SESSION_KEY_V0` (KIP-507), fields in the schema's order.
#[derive(Serialize, Deserialize)]
struct SessionKeyValue {
    key: String,
    algorithm: String,
    #[serde(rename = "creation-timestamp")]
    creation_timestamp: i64,
}

/// `LOGGER_LEVEL_V0` (KIP-976).
#[derive(Serialize, Deserialize)]
struct LoggerLevelValue {
    level: String,
}

fn encode<T: Serialize>(key: String, value: &T) -> Result<Record, StoreError> {
    let bytes = serde_json::to_vec(value).map_err(|e| StoreError::encode(&key, e))?;
    Ok(Record {
        key: key.into_bytes(),
        value: Some(bytes),
    })
}

fn tombstone(key: String) -> Record {
    Record {
        key: key.into_bytes(),
        value: None,
    }
}

pub(crate) fn connector_config(name: &str, props: &Props) -> Result<Record, StoreError> {
    encode(
        format!("{CONNECTOR_PREFIX}{name}"),
        &PropertiesOut { properties: props },
    )
}

pub(crate) fn connector_tombstone(name: &str) -> Record {
    tombstone(format!("{CONNECTOR_PREFIX}{name}"))
}

pub(crate) fn target_state(name: &str, state: TargetState) -> Result<Record, StoreError> {
    let legacy = match state {
        TargetState::Stopped => TargetState::Paused,
        other => other,
    };
    let value = TargetStateOut {
        state: legacy.as_str(),
        state_v2: state.as_str(),
    };
    encode(format!("{TARGET_STATE_PREFIX}{name}"), &value)
}

pub(crate) fn target_state_tombstone(name: &str) -> Record {
    tombstone(format!("{TARGET_STATE_PREFIX}{name}"))
}

pub(crate) fn task_config(name: &str, task: usize, props: &Props) -> Result<Record, StoreError> {
    encode(
        format!("{TASK_PREFIX}{name}-{task}"),
        &PropertiesOut { properties: props },
    )
}

pub(crate) fn commit(name: &str, tasks: usize) -> Result<Record, StoreError> {
    let tasks = i32::try_from(tasks)
        .map_err(|_| StoreError::Config(format!("too many tasks for connector {name}: {tasks}")))?;
    encode(format!("{COMMIT_PREFIX}{name}"), &CommitValue { tasks })
}

pub(crate) fn restart(
    name: &str,
    include_tasks: bool,
    only_failed: bool,
) -> Result<Record, StoreError> {
    encode(
        format!("{RESTART_PREFIX}{name}"),
        &RestartValue {
            include_tasks,
            only_failed,
        },
    )
}

pub(crate) fn logger_level(namespace: &str, level: &str) -> Result<Record, StoreError> {
    encode(
        format!("{LOGGER_PREFIX}{namespace}"),
        &LoggerLevelValue {
            level: level.to_string(),
        },
    )
}

pub(crate) fn session_key(key: &SessionKey) -> Result<Record, StoreError> {
    encode(
        SESSION_KEY_KEY.to_string(),
        &SessionKeyValue {
            key: JAVA_BASE64.encode(&key.key),
            algorithm: key.algorithm.clone(),
            creation_timestamp: key.creation_timestamp,
        },
    )
}

/// The records of a task-config update, in the order Kafka writes them.
pub(crate) fn task_configs(name: &str, configs: &[Props]) -> Result<Vec<Record>, StoreError> {
    let mut records = configs
        .iter()
        .enumerate()
        .map(|(i, props)| task_config(name, i, props))
        .collect::<Result<Vec<_>, _>>()?;
    records.push(commit(name, configs.len())?);
    Ok(records)
}

/// The records of a connector create or update.
pub(crate) fn connector_put(
    name: &str,
    props: &Props,
    state: Option<TargetState>,
) -> Result<Vec<Record>, StoreError> {
    let mut records = Vec::with_capacity(2);
    if let Some(state) = state {
        records.push(target_state(name, state)?);
    }
    records.push(connector_config(name, props)?);
    Ok(records)
}

/// Folds config records into a [`ClusterConfigState`], holding back task configs until their
/// commit (`KafkaConfigBackingStore.ConsumeCallback`).
#[derive(Debug, Default)]
pub(crate) struct ConfigApplier {
    /// Task configs read but not yet committed, by connector and task number.
    deferred: BTreeMap<String, BTreeMap<u32, Props>>,
    /// Restart requests and cluster log levels before this log position were in the log when
    /// the store started; Kafka only acts on those that arrive while it runs.
    live_from: i64,
}

impl ConfigApplier {
    pub(crate) fn new(live_from: i64) -> Self {
        Self {
            deferred: BTreeMap::new(),
            live_from,
        }
    }

    /// Applies one record read at log position `seq`. Malformed records are logged and skipped,
    /// as Kafka does: one bad record must not stop a worker from starting.
    pub(crate) fn apply(
        &mut self,
        state: &mut ClusterConfigState,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        seq: i64,
    ) {
        state.offset = seq + 1;
        let Some(key) = key.and_then(|k| std::str::from_utf8(k).ok()) else {
            warn!(seq, "Skipping config record without a UTF-8 key.");
            return;
        };
        if let Some(name) = key.strip_prefix(CONNECTOR_PREFIX) {
            self.apply_connector(state, name, value);
        } else if let Some(rest) = key.strip_prefix(TASK_PREFIX) {
            self.apply_task(key, rest, value);
        } else if let Some(name) = key.strip_prefix(COMMIT_PREFIX) {
            self.apply_commit(state, name, value);
        } else if let Some(name) = key.strip_prefix(TARGET_STATE_PREFIX) {
            apply_target_state(state, name, value);
        } else if let Some(name) = key.strip_prefix(RESTART_PREFIX) {
            self.apply_restart(state, name, value, seq);
        } else if let Some(namespace) = key.strip_prefix(LOGGER_PREFIX) {
            self.apply_logger_level(state, namespace, value, seq);
        } else if key == SESSION_KEY_KEY {
            apply_session_key(state, value);
        } else if IGNORED_PREFIXES.iter().any(|p| key.starts_with(p)) {
            debug!(key, "Ignoring config record Sluice does not use.");
        } else {
            warn!(key, "Skipping config record with an unknown key.");
        }
    }

    fn apply_connector(
        &mut self,
        state: &mut ClusterConfigState,
        name: &str,
        value: Option<&[u8]>,
    ) {
        let Some(value) = value else {
            state.connectors.remove(name);
            state.task_configs.remove(name);
            state.inconsistent.remove(name);
            state.restart_requests.remove(name);
            self.deferred.remove(name);
            return;
        };
        let Some(props) = parse_properties(name, value) else {
            return;
        };
        state.connectors.insert(name.to_string(), props);
        // A connector created by a worker that never wrote a target state is running.
        state
            .target_states
            .entry(name.to_string())
            .or_insert(TargetState::Started);
    }

    fn apply_task(&mut self, key: &str, rest: &str, value: Option<&[u8]>) {
        let Some((connector, task)) = rest.rsplit_once('-') else {
            warn!(
                key,
                "Skipping task config record whose key has no task number."
            );
            return;
        };
        let Ok(task) = task.parse::<u32>() else {
            warn!(
                key,
                "Skipping task config record whose key has no task number."
            );
            return;
        };
        let Some(value) = value else {
            warn!(key, "Skipping task config tombstone.");
            return;
        };
        let Some(props) = parse_properties(key, value) else {
            return;
        };
        self.deferred
            .entry(connector.to_string())
            .or_default()
            .insert(task, props);
    }

    fn apply_commit(&mut self, state: &mut ClusterConfigState, name: &str, value: Option<&[u8]>) {
        let Some(value) = value else {
            warn!(connector = name, "Skipping task commit tombstone.");
            return;
        };
        let count = match serde_json::from_slice::<CommitValue>(value) {
            Ok(c) => match u32::try_from(c.tasks) {
                Ok(n) => n,
                Err(_) => {
                    warn!(
                        connector = name,
                        tasks = c.tasks,
                        "Skipping task commit with a negative count."
                    );
                    return;
                }
            },
            Err(error) => {
                warn!(connector = name, %error, "Skipping malformed task commit record.");
                return;
            }
        };
        // Whatever happens, the buffered configs are spent: an inconsistent update must be
        // followed by a complete fresh set, never patched up with these.
        let mut deferred = self.deferred.remove(name).unwrap_or_default();
        // Compaction may keep task records beyond the count (4 tasks shrunk to 2 leaves 4 task
        // records and the commit for 2), so only the first `count` must all be there.
        if (0..count).all(|i| deferred.contains_key(&i)) {
            let configs = (0..count).filter_map(|i| deferred.remove(&i)).collect();
            state.task_configs.insert(name.to_string(), configs);
            state.inconsistent.remove(name);
        } else {
            debug!(
                connector = name,
                count, "Task commit does not find all its task configs."
            );
            state.task_configs.remove(name);
            state.inconsistent.insert(name.to_string());
        }
    }

    fn apply_restart(
        &mut self,
        state: &mut ClusterConfigState,
        name: &str,
        value: Option<&[u8]>,
        seq: i64,
    ) {
        let Some(value) = value else { return };
        if seq < self.live_from {
            return;
        }
        match serde_json::from_slice::<RestartValue>(value) {
            Ok(r) => {
                let request = RestartRequest {
                    include_tasks: r.include_tasks,
                    only_failed: r.only_failed,
                    seq,
                };
                state.restart_requests.insert(name.to_string(), request);
            }
            Err(error) => warn!(connector = name, %error, "Skipping malformed restart request."),
        }
    }
}

impl ConfigApplier {
    fn apply_logger_level(
        &self,
        state: &mut ClusterConfigState,
        namespace: &str,
        value: Option<&[u8]>,
        seq: i64,
    ) {
        // Levels written before start-up are not applied: a worker starts with its own
        // logging configuration, as in Kafka.
        let Some(value) = value.filter(|_| seq >= self.live_from) else {
            return;
        };
        match serde_json::from_slice::<LoggerLevelValue>(value) {
            Ok(v) => {
                let update = LoggerLevelUpdate {
                    level: v.level,
                    seq,
                };
                state.logger_levels.insert(namespace.to_string(), update);
            }
            Err(error) => warn!(namespace, %error, "Skipping malformed logger level record."),
        }
    }
}

/// `processSessionKeyRecord`: a tombstone or a malformed key is logged and skipped, keeping the
/// key read before.
fn apply_session_key(state: &mut ClusterConfigState, value: Option<&[u8]>) {
    let Some(value) = value else {
        warn!("Ignoring session key because it is unexpectedly null");
        return;
    };
    let parsed = match serde_json::from_slice::<SessionKeyValue>(value) {
        Ok(v) => v,
        Err(error) => {
            warn!(%error, "Ignoring malformed session key record.");
            return;
        }
    };
    match JAVA_BASE64.decode(parsed.key.as_bytes()) {
        Ok(key) => {
            state.session_key = Some(SessionKey {
                key,
                algorithm: parsed.algorithm,
                creation_timestamp: parsed.creation_timestamp,
            });
        }
        Err(error) => warn!(%error, "Ignoring session key whose key is not base64."),
    }
}

fn apply_target_state(state: &mut ClusterConfigState, name: &str, value: Option<&[u8]>) {
    let Some(value) = value else {
        state.target_states.remove(name);
        return;
    };
    let parsed = match serde_json::from_slice::<TargetStateIn>(value) {
        Ok(v) => v,
        Err(error) => {
            warn!(connector = name, %error, "Skipping malformed target state record.");
            return;
        }
    };
    // `state.v2` (3.5+) carries STOPPED; `state` alone comes from older workers.
    let Some(text) = parsed.state_v2.or(parsed.state) else {
        warn!(
            connector = name,
            "Skipping target state record without a state."
        );
        return;
    };
    match text.parse::<TargetState>() {
        Ok(s) => {
            state.target_states.insert(name.to_string(), s);
        }
        Err(error) => warn!(connector = name, %error, "Skipping target state record."),
    }
}

fn parse_properties(what: &str, value: &[u8]) -> Option<Props> {
    match serde_json::from_slice::<PropertiesIn>(value) {
        Ok(v) => Some(
            v.properties
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect(),
        ),
        Err(error) => {
            warn!(record = what, %error, "Skipping malformed config record.");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    fn text(r: &Record) -> (String, Option<String>) {
        let key = String::from_utf8(r.key.clone()).unwrap();
        (
            key,
            r.value
                .as_ref()
                .map(|v| String::from_utf8(v.clone()).unwrap()),
        )
    }

    fn apply_all(applier: &mut ConfigApplier, state: &mut ClusterConfigState, records: &[Record]) {
        for r in records {
            let seq = state.offset.max(0);
            applier.apply(state, Some(&r.key), r.value.as_deref(), seq);
        }
    }

    #[test]
    fn connector_record_matches_kafka_bytes() {
        let p = props(&[
            ("connector.class", "FileStreamSource"),
            ("tasks.max", "1"),
            ("topic", "connect-test"),
            ("file", "/tmp/test.txt"),
            ("name", "file-source"),
        ]);
        let (key, value) = text(&connector_config("file-source", &p).unwrap());
        assert_eq!(key, "connector-file-source");
        assert_eq!(
            value.as_deref(),
            Some(
                r#"{"properties":{"connector.class":"FileStreamSource","file":"/tmp/test.txt","name":"file-source","tasks.max":"1","topic":"connect-test"}}"#
            )
        );
    }

    #[test]
    fn target_state_downgrades_stopped_for_old_workers() {
        let cases = [
            (
                TargetState::Stopped,
                r#"{"state":"PAUSED","state.v2":"STOPPED"}"#,
            ),
            (
                TargetState::Paused,
                r#"{"state":"PAUSED","state.v2":"PAUSED"}"#,
            ),
            (
                TargetState::Started,
                r#"{"state":"STARTED","state.v2":"STARTED"}"#,
            ),
        ];
        for (state, expected) in cases {
            let (key, value) = text(&target_state("c", state).unwrap());
            assert_eq!(key, "target-state-c");
            assert_eq!(value.as_deref(), Some(expected));
        }
    }

    #[test]
    fn task_and_commit_and_restart_records_match_kafka_bytes() {
        let records =
            task_configs("my-conn", &[props(&[("a", "1")]), props(&[("a", "2")])]).unwrap();
        let texts: Vec<_> = records.iter().map(text).collect();
        assert_eq!(
            texts,
            vec![
                (
                    "task-my-conn-0".into(),
                    Some(r#"{"properties":{"a":"1"}}"#.into())
                ),
                (
                    "task-my-conn-1".into(),
                    Some(r#"{"properties":{"a":"2"}}"#.into())
                ),
                ("commit-my-conn".into(), Some(r#"{"tasks":2}"#.into())),
            ]
        );
        let (key, value) = text(&restart("my-conn", true, false).unwrap());
        assert_eq!(key, "restart-connector-my-conn");
        assert_eq!(
            value.as_deref(),
            Some(r#"{"include-tasks":true,"only-failed":false}"#)
        );
    }

    #[test]
    fn old_worker_target_state_without_v2_is_read() {
        let mut state = ClusterConfigState::default();
        let mut applier = ConfigApplier::default();
        applier.apply(
            &mut state,
            Some(b"target-state-c"),
            Some(br#"{"state":"PAUSED"}"#),
            0,
        );
        assert_eq!(state.target_states.get("c"), Some(&TargetState::Paused));
    }

    #[test]
    fn commit_missing_a_task_marks_connector_inconsistent() {
        let mut state = ClusterConfigState::default();
        let mut applier = ConfigApplier::default();
        let mut records = vec![connector_config("c", &props(&[("name", "c")])).unwrap()];
        records.push(task_config("c", 1, &props(&[("t", "1")])).unwrap());
        records.push(commit("c", 2).unwrap());
        apply_all(&mut applier, &mut state, &records);
        assert!(state.inconsistent.contains("c"));
        assert!(state.tasks("c").is_empty());

        // A complete update afterwards heals it, and the stale task-1 buffered before is not reused.
        let healed = task_configs("c", &[props(&[("t", "a")]), props(&[("t", "b")])]).unwrap();
        apply_all(&mut applier, &mut state, &healed);
        assert!(!state.inconsistent.contains("c"));
        assert_eq!(
            state.tasks("c"),
            &[props(&[("t", "a")]), props(&[("t", "b")])]
        );
    }

    #[test]
    fn compacted_extra_task_records_do_not_break_a_smaller_commit() {
        let mut state = ClusterConfigState::default();
        let mut applier = ConfigApplier::default();
        let records: Vec<Record> = (0..4)
            .map(|i| task_config("c", i, &props(&[("i", &i.to_string())])).unwrap())
            .chain([commit("c", 2).unwrap()])
            .collect();
        apply_all(&mut applier, &mut state, &records);
        assert_eq!(state.task_configs.get("c").map(Vec::len), Some(2));
        assert!(!state.inconsistent.contains("c"));
    }

    #[test]
    fn malformed_records_are_skipped_without_panicking() {
        let mut state = ClusterConfigState::default();
        let mut applier = ConfigApplier::default();
        let bad: [(&[u8], &[u8]); 6] = [
            (b"connector-x", b"not json"),
            (b"task-x", br#"{"properties":{}}"#),
            (b"task-x-y", br#"{"properties":{}}"#),
            (b"commit-x", br#"{"tasks":-1}"#),
            (b"target-state-x", br#"{"state":"SLEEPING"}"#),
            (b"\xff\xfe", b"{}"),
        ];
        for (i, (k, v)) in bad.iter().enumerate() {
            applier.apply(&mut state, Some(k), Some(v), i as i64);
        }
        assert!(state.connectors.is_empty());
        assert!(state.task_configs.is_empty());
        assert!(state.target_states.is_empty());
        assert_eq!(state.offset, 6);
    }

    #[test]
    fn restart_requests_older_than_start_are_ignored() {
        let mut state = ClusterConfigState::default();
        let mut applier = ConfigApplier::new(1);
        let r = restart("c", true, true).unwrap();
        applier.apply(&mut state, Some(&r.key), r.value.as_deref(), 0);
        assert!(state.restart_requests.is_empty());
        applier.apply(&mut state, Some(&r.key), r.value.as_deref(), 1);
        assert_eq!(
            state.restart_requests.get("c"),
            Some(&RestartRequest {
                include_tasks: true,
                only_failed: true,
                seq: 1
            })
        );
    }

    #[test]
    fn null_property_values_from_java_are_dropped() {
        let mut state = ClusterConfigState::default();
        let mut applier = ConfigApplier::default();
        let value = br#"{"properties":{"a":"1","b":null}}"#;
        applier.apply(&mut state, Some(b"connector-c"), Some(value), 0);
        assert_eq!(state.connectors.get("c"), Some(&props(&[("a", "1")])));
        assert_eq!(state.target_state("c"), Some(TargetState::Started));
    }

    #[test]
    fn a_session_key_record_matches_kafka_bytes_and_reads_back() {
        let key = SessionKey {
            key: (0u8..32).collect(),
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 1_700_000_000_123,
        };
        let (k, v) = text(&session_key(&key).unwrap());
        assert_eq!(k, "session-key");
        assert_eq!(
            v.as_deref(),
            Some(
                r#"{"key":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","algorithm":"HmacSHA256","creation-timestamp":1700000000123}"#
            )
        );
        let mut state = ClusterConfigState::default();
        let mut applier = ConfigApplier::default();
        let r = session_key(&key).unwrap();
        applier.apply(&mut state, Some(&r.key), r.value.as_deref(), 0);
        assert_eq!(state.session_key, Some(key));
    }

    #[test]
    fn a_malformed_or_null_session_key_keeps_the_previous_one() {
        let mut state = ClusterConfigState::default();
        let mut applier = ConfigApplier::default();
        // Written by a JVM worker: unpadded base64 is accepted as Java's decoder accepts it.
        applier.apply(
            &mut state,
            Some(b"session-key"),
            Some(br#"{"key":"AAEC","algorithm":"HmacSHA512","creation-timestamp":5}"#),
            0,
        );
        let first = state.session_key.clone();
        assert_eq!(first.as_ref().map(|k| k.key.clone()), Some(vec![0, 1, 2]));
        let bad: [Option<&[u8]>; 3] = [
            None,
            Some(br#"{"key":"!!","algorithm":"HmacSHA256","creation-timestamp":6}"#),
            Some(br#"{"key":"AAEC","algorithm":"HmacSHA256","creation-timestamp":"x"}"#),
        ];
        for (i, v) in bad.into_iter().enumerate() {
            applier.apply(&mut state, Some(b"session-key"), v, i as i64 + 1);
        }
        assert_eq!(state.session_key, first);
        assert!(
            !format!("{first:?}").contains("[0, 1, 2]"),
            "the key's bytes never reach a log"
        );
    }

    #[test]
    fn cluster_log_levels_after_start_are_kept_with_their_position() {
        let mut state = ClusterConfigState::default();
        let mut applier = ConfigApplier::new(1);
        let r = logger_level("org.apache.kafka", "DEBUG").unwrap();
        assert_eq!(r.key, b"logger-cluster-org.apache.kafka");
        assert_eq!(r.value.as_deref(), Some(&br#"{"level":"DEBUG"}"#[..]));
        applier.apply(&mut state, Some(&r.key), r.value.as_deref(), 0);
        assert!(
            state.logger_levels.is_empty(),
            "a level from before start-up is not applied"
        );
        applier.apply(&mut state, Some(&r.key), r.value.as_deref(), 1);
        assert_eq!(
            state.logger_levels.get("org.apache.kafka"),
            Some(&LoggerLevelUpdate {
                level: "DEBUG".into(),
                seq: 1
            })
        );
    }
}
