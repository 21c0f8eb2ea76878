//! The status topic's records, as `KafkaStatusBackingStore` writes them, and the table they
//! fold into.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tracing::warn;

use super::{ConnectorStatus, State, TopicStatus};
use crate::{Record, StoreError};

const CONNECTOR_PREFIX: &str = "status-connector-";
const TASK_PREFIX: &str = "status-task-";
const TOPIC_PREFIX: &str = "status-topic-";
const TOPIC_SEPARATOR: &str = ":connector-";

/// `TOPIC_STATUS_SCHEMA_V0`: `{"topic":{"name":…,"connector":…,"task":…,"discoverTimestamp":…}}`.
#[derive(Serialize, Deserialize)]
struct TopicValue {
    topic: TopicFields,
}

#[derive(Serialize, Deserialize)]
struct TopicFields {
    name: String,
    connector: String,
    task: i32,
    #[serde(rename = "discoverTimestamp")]
    discover_timestamp: i64,
}

pub(crate) fn connector_key(connector: &str) -> String {
    format!("{CONNECTOR_PREFIX}{connector}")
}

pub(crate) fn task_key(connector: &str, task: u32) -> String {
    format!("{TASK_PREFIX}{connector}-{task}")
}

pub(crate) fn topic_key(topic: &str, connector: &str) -> String {
    format!("{TOPIC_PREFIX}{topic}{TOPIC_SEPARATOR}{connector}")
}

/// A status record; DESTROYED is written as a tombstone.
pub(crate) fn status(key: String, status: &ConnectorStatus) -> Result<Record, StoreError> {
    let value = if status.state == State::Destroyed {
        None
    } else {
        Some(serde_json::to_vec(status).map_err(|e| StoreError::encode(&key, e))?)
    };
    Ok(Record {
        key: key.into_bytes(),
        value,
    })
}

pub(crate) fn topic(status: &TopicStatus) -> Result<Record, StoreError> {
    let key = topic_key(&status.topic, &status.connector);
    let value = TopicValue {
        topic: TopicFields {
            name: status.topic.clone(),
            connector: status.connector.clone(),
            task: status.task,
            discover_timestamp: status.discover_timestamp,
        },
    };
    let bytes = serde_json::to_vec(&value).map_err(|e| StoreError::encode(&key, e))?;
    Ok(Record {
        key: key.into_bytes(),
        value: Some(bytes),
    })
}

pub(crate) fn tombstone(key: String) -> Record {
    Record {
        key: key.into_bytes(),
        value: None,
    }
}

/// Every status read so far.
#[derive(Debug, Default)]
pub(crate) struct StatusTable {
    pub(crate) connectors: BTreeMap<String, ConnectorStatus>,
    pub(crate) tasks: BTreeMap<String, BTreeMap<u32, ConnectorStatus>>,
    /// By connector, then topic.
    pub(crate) topics: BTreeMap<String, BTreeMap<String, TopicStatus>>,
}

impl StatusTable {
    /// Applies one record; malformed ones are logged and skipped, as Kafka does.
    pub(crate) fn apply(&mut self, key: Option<&[u8]>, value: Option<&[u8]>) {
        let Some(key) = key.and_then(|k| std::str::from_utf8(k).ok()) else {
            warn!("Skipping status record without a UTF-8 key.");
            return;
        };
        if let Some(connector) = key.strip_prefix(CONNECTOR_PREFIX) {
            match value.map(parse_status).transpose() {
                Ok(Some(s)) => {
                    self.connectors.insert(connector.to_string(), s);
                }
                Ok(None) => {
                    self.connectors.remove(connector);
                }
                Err(error) => warn!(key, %error, "Skipping malformed connector status."),
            }
        } else if let Some(rest) = key.strip_prefix(TASK_PREFIX) {
            // Connector names may contain '-': the task number is the last segment.
            let Some((connector, task)) = rest
                .rsplit_once('-')
                .and_then(|(c, t)| Some((c, t.parse::<u32>().ok()?)))
            else {
                warn!(key, "Skipping task status whose key has no task number.");
                return;
            };
            match value.map(parse_status).transpose() {
                Ok(Some(s)) => {
                    self.tasks
                        .entry(connector.to_string())
                        .or_default()
                        .insert(task, s);
                }
                Ok(None) => {
                    if let Some(tasks) = self.tasks.get_mut(connector) {
                        tasks.remove(&task);
                        if tasks.is_empty() {
                            self.tasks.remove(connector);
                        }
                    }
                }
                Err(error) => warn!(key, %error, "Skipping malformed task status."),
            }
        } else if let Some(rest) = key.strip_prefix(TOPIC_PREFIX) {
            let Some((topic, connector)) = rest.split_once(TOPIC_SEPARATOR) else {
                warn!(key, "Skipping topic status with a malformed key.");
                return;
            };
            match value.map(serde_json::from_slice::<TopicValue>).transpose() {
                Ok(Some(v)) => {
                    let status = TopicStatus {
                        topic: v.topic.name,
                        connector: v.topic.connector,
                        task: v.topic.task,
                        discover_timestamp: v.topic.discover_timestamp,
                    };
                    self.topics
                        .entry(status.connector.clone())
                        .or_default()
                        .insert(status.topic.clone(), status);
                }
                Ok(None) => {
                    if let Some(topics) = self.topics.get_mut(connector) {
                        topics.remove(topic);
                        if topics.is_empty() {
                            self.topics.remove(connector);
                        }
                    }
                }
                Err(error) => warn!(key, %error, "Skipping malformed topic status."),
            }
        } else {
            warn!(key, "Skipping status record with an unknown key.");
        }
    }

    /// Tombstones for the connector's status and every task status known for it.
    pub(crate) fn connector_tombstones(&self, connector: &str) -> Vec<Record> {
        let mut records = vec![tombstone(connector_key(connector))];
        if let Some(tasks) = self.tasks.get(connector) {
            records.extend(tasks.keys().map(|t| tombstone(task_key(connector, *t))));
        }
        records
    }

    /// Tombstones for every active topic of the connector.
    pub(crate) fn topic_tombstones(&self, connector: &str) -> Vec<Record> {
        self.topics
            .get(connector)
            .map(|topics| {
                topics
                    .keys()
                    .map(|t| tombstone(topic_key(t, connector)))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn tasks_of(&self, connector: &str) -> Vec<(u32, ConnectorStatus)> {
        self.tasks
            .get(connector)
            .map(|t| t.iter().map(|(i, s)| (*i, s.clone())).collect())
            .unwrap_or_default()
    }

    pub(crate) fn topics_of(&self, connector: &str) -> Vec<TopicStatus> {
        self.topics
            .get(connector)
            .map(|t| t.values().cloned().collect())
            .unwrap_or_default()
    }
}

fn parse_status(value: &[u8]) -> Result<ConnectorStatus, serde_json::Error> {
    serde_json::from_slice(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(generation: i32) -> ConnectorStatus {
        ConnectorStatus {
            state: State::Running,
            trace: None,
            worker_id: "127.0.0.1:8083".into(),
            generation,
        }
    }

    #[test]
    fn status_value_matches_kafka_field_order() {
        let r = status(connector_key("file-source"), &running(7)).unwrap();
        assert_eq!(r.key, b"status-connector-file-source");
        assert_eq!(
            r.value.as_deref(),
            Some(
                &br#"{"state":"RUNNING","trace":null,"worker_id":"127.0.0.1:8083","generation":7}"#
                    [..]
            )
        );
    }

    #[test]
    fn destroyed_is_a_tombstone() {
        let destroyed = ConnectorStatus {
            state: State::Destroyed,
            ..running(1)
        };
        let r = status(task_key("c", 0), &destroyed).unwrap();
        assert_eq!(r.key, b"status-task-c-0");
        assert_eq!(r.value, None);
    }

    #[test]
    fn topic_record_matches_kafka_bytes() {
        let t = TopicStatus {
            topic: "connect-test".into(),
            connector: "file-sink".into(),
            task: 0,
            discover_timestamp: 1_700_000_000_000,
        };
        let r = topic(&t).unwrap();
        assert_eq!(r.key, b"status-topic-connect-test:connector-file-sink");
        assert_eq!(
            r.value.as_deref(),
            Some(&br#"{"topic":{"name":"connect-test","connector":"file-sink","task":0,"discoverTimestamp":1700000000000}}"#[..])
        );
    }

    #[test]
    fn task_key_takes_the_last_dash_segment_as_task_number() {
        let mut table = StatusTable::default();
        let r = status(task_key("my-dashed-conn", 12), &running(3)).unwrap();
        table.apply(Some(&r.key), r.value.as_deref());
        assert_eq!(table.tasks_of("my-dashed-conn"), vec![(12, running(3))]);
    }

    #[test]
    fn java_failed_status_with_trace_is_read() {
        let mut table = StatusTable::default();
        let value = br#"{"state":"FAILED","trace":"org.apache.kafka.connect.errors.ConnectException: boom\n\tat X","worker_id":"172.20.0.4:8083","generation":7}"#;
        table.apply(Some(b"status-task-c-1"), Some(value));
        let s = &table.tasks_of("c")[0].1;
        assert_eq!(s.state, State::Failed);
        assert_eq!(
            s.trace.as_deref(),
            Some("org.apache.kafka.connect.errors.ConnectException: boom\n\tat X")
        );
    }

    #[test]
    fn malformed_status_records_are_skipped() {
        let mut table = StatusTable::default();
        table.apply(
            Some(b"status-connector-c"),
            Some(br#"{"state":"DOZING","trace":null,"worker_id":"w","generation":1}"#),
        );
        table.apply(Some(b"status-task-c-x"), Some(br#"{}"#));
        table.apply(Some(b"status-topic-nocolon"), Some(br#"{}"#));
        table.apply(Some(b"other"), Some(br#"{}"#));
        assert!(table.connectors.is_empty() && table.tasks.is_empty() && table.topics.is_empty());
    }
}
