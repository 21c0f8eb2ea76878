//! Kafka Connect's REST entities (`org.apache.kafka.connect.runtime.rest.entities`).
//!
//! Field order is Jackson's (creator parameters in declaration order), because clients and the
//! contract tests compare bodies byte for byte.

use connect_api::Props;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// `GET /` (`ServerInfo`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServerInfo {
    pub version: String,
    pub commit: String,
    pub kafka_cluster_id: Option<String>,
}

/// `GET /health` (`WorkerStatus`), with the HTTP status it is served with.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorkerStatus {
    pub status: String,
    pub message: String,
}

/// The outcome of a health check.
#[derive(Debug, Clone, PartialEq)]
pub enum Health {
    /// 200 `healthy`.
    Healthy,
    /// 503 `starting`, with the stage the worker is in.
    Starting(String),
    /// 500 `unhealthy`, with the reason.
    Unhealthy(String),
}

impl Health {
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Healthy => 200,
            Self::Starting(_) => 503,
            Self::Unhealthy(_) => 500,
        }
    }

    pub fn body(&self) -> WorkerStatus {
        match self {
            Self::Healthy => WorkerStatus {
                status: "healthy".into(),
                message: "Worker has completed startup and is ready to handle requests.".into(),
            },
            Self::Starting(stage) => WorkerStatus {
                status: "starting".into(),
                message: format!("Worker is still starting up. {stage}"),
            },
            Self::Unhealthy(reason) => WorkerStatus {
                status: "unhealthy".into(),
                message: format!(
                    "Worker was unable to handle this request and may be unable to handle other requests. {reason}"
                ),
            },
        }
    }
}

/// `source`, `sink` or `unknown` (`ConnectorType`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorType {
    Source,
    Sink,
    Unknown,
}

/// `{"connector":…,"task":…}` (`ConnectorTaskId`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectorTaskId {
    pub connector: String,
    pub task: u32,
}

/// `GET /connectors/{c}` (`ConnectorInfo`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectorInfo {
    pub name: String,
    pub config: Props,
    pub tasks: Vec<ConnectorTaskId>,
    #[serde(rename = "type")]
    pub connector_type: ConnectorType,
}

/// A connector's or task's state (`AbstractStatus.State`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    Unassigned,
    Running,
    Paused,
    Failed,
    Restarting,
    Stopped,
    Destroyed,
}

/// The connector part of `ConnectorStateInfo`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectorState {
    pub state: State,
    pub worker_id: String,
    /// Omitted when empty (`@JsonInclude(NON_EMPTY)`); always present for FAILED.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trace: Option<String>,
}

/// A task entry of `ConnectorStateInfo`, and `GET …/tasks/{t}/status`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TaskState {
    pub id: u32,
    pub state: State,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trace: Option<String>,
}

/// `GET …/tasks/{t}/progress`: Sluice's own entity (Kafka Connect has no such endpoint), a
/// task's state with the latest progress it reported. `progress` and `reported_at_ms` are `null`
/// until the current run of the task reports.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TaskProgressInfo {
    pub id: u32,
    pub worker_id: String,
    pub state: State,
    /// Whatever JSON the task reported last, unchanged.
    pub progress: Option<Json>,
    /// When it was reported, in epoch milliseconds.
    pub reported_at_ms: Option<i64>,
}

/// `GET /connectors/{c}/status` (`ConnectorStateInfo`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectorStateInfo {
    pub name: String,
    pub connector: ConnectorState,
    pub tasks: Vec<TaskState>,
    #[serde(rename = "type")]
    pub connector_type: ConnectorType,
}

/// `GET /connectors/{c}/tasks` entries (`TaskInfo`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TaskInfo {
    pub id: ConnectorTaskId,
    pub config: Props,
}

/// `GET /connector-plugins` entries (`PluginInfo`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PluginInfo {
    pub class: String,
    #[serde(rename = "type")]
    pub plugin_type: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
}

/// One partition's offset in `ConnectorOffsets`; `offset: null` resets it (PATCH).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectorOffset {
    pub partition: Map<String, Json>,
    pub offset: Option<Map<String, Json>>,
}

/// `GET/PATCH /connectors/{c}/offsets` (`ConnectorOffsets`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ConnectorOffsets {
    pub offsets: Vec<ConnectorOffset>,
}

/// `{"message":…}` (`Message`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Message {
    pub message: String,
}

/// The target state of a connector (`TargetState`); `initial_state` on create uses
/// `RUNNING|PAUSED|STOPPED`, with RUNNING meaning STARTED.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "UPPERCASE")]
pub enum TargetState {
    Started,
    Paused,
    Stopped,
}

/// `GET /admin/loggers/{name}` (`LoggerLevel`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LoggerLevel {
    pub level: String,
    pub last_modified: Option<i64>,
}

/// The result of a PUT or PATCH of a connector config.
#[derive(Debug, Clone, PartialEq)]
pub struct Upserted {
    /// `true` when the connector did not exist before (201 + `Location`), else 200.
    pub created: bool,
    pub info: ConnectorInfo,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_omits_null_trace_and_keeps_kafka_field_order() {
        let s = ConnectorStateInfo {
            name: "c".into(),
            connector: ConnectorState {
                state: State::Running,
                worker_id: "127.0.0.1:8083".into(),
                trace: None,
            },
            tasks: vec![TaskState {
                id: 0,
                state: State::Failed,
                worker_id: "127.0.0.1:8083".into(),
                trace: Some("boom".into()),
            }],
            connector_type: ConnectorType::Source,
        };
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"name":"c","connector":{"state":"RUNNING","worker_id":"127.0.0.1:8083"},"tasks":[{"id":0,"state":"FAILED","worker_id":"127.0.0.1:8083","trace":"boom"}],"type":"source"}"#
        );
    }

    #[test]
    fn task_progress_writes_nulls_before_the_first_report() {
        let p = TaskProgressInfo {
            id: 0,
            worker_id: "127.0.0.1:8083".into(),
            state: State::Running,
            progress: None,
            reported_at_ms: None,
        };
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"id":0,"worker_id":"127.0.0.1:8083","state":"RUNNING","progress":null,"reported_at_ms":null}"#
        );
    }
}
