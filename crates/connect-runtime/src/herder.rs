//! The [`Herder`]: what the REST layer asks of the worker.
//!
//! Mirrors Kafka Connect's `Herder` interface. Every error carries the exact message Kafka Connect
//! gives for that endpoint (see the constructors on [`HerderError`]), and a kind that decides the
//! HTTP status, so the REST layer never invents wording.

use std::collections::BTreeMap;

use async_trait::async_trait;
use connect_api::Props;
use connect_api::config::{ConfigInfos, ConfigKeyInfo};

use crate::entities::{
    ConnectorInfo, ConnectorOffsets, ConnectorStateInfo, Health, Message, PluginInfo, ServerInfo,
    TargetState, TaskInfo, TaskProgressInfo, TaskState, Upserted,
};

/// How a [`HerderError`] maps to HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HerderErrorKind {
    /// 400
    BadRequest,
    /// 403
    Forbidden,
    /// 404
    NotFound,
    /// 409
    Conflict,
    /// 500
    Internal,
    /// 503
    ServiceUnavailable,
    /// Another worker of the cluster must serve the request (Kafka's `RequestTargetException`:
    /// `NotLeaderException`, `NotAssignedException`): [`HerderError::forward_url`] names it, and
    /// the REST layer forwards the request there. Unforwarded, it is a 500, as in Kafka.
    RequestTarget,
}

impl HerderErrorKind {
    pub fn http_status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Conflict => 409,
            Self::Internal | Self::RequestTarget => 500,
            Self::ServiceUnavailable => 503,
        }
    }
}

/// An error from the herder, with Kafka Connect's message.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub struct HerderError {
    pub kind: HerderErrorKind,
    pub message: String,
    /// With [`HerderErrorKind::RequestTarget`]: the advertised URL of the worker that can serve
    /// the request, `None` while this worker knows of no leader (a rebalance is under way).
    pub forward_url: Option<String>,
}

impl HerderError {
    pub fn new(kind: HerderErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            forward_url: None,
        }
    }

    /// `NotLeaderException` / `NotAssignedException`: the request is for `url`'s worker.
    pub fn request_target(message: impl Into<String>, url: Option<String>) -> Self {
        Self {
            kind: HerderErrorKind::RequestTarget,
            message: message.into(),
            forward_url: url,
        }
    }

    /// 409 for a write that cannot be ordered against the cluster's config right now
    /// (`RebalanceNeededException` as `HerderRequestHandler` answers it).
    pub fn rebalance_needed() -> Self {
        Self::new(
            HerderErrorKind::Conflict,
            "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)",
        )
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(HerderErrorKind::BadRequest, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(HerderErrorKind::Internal, message)
    }

    /// 404 `Connector <c> not found` (info, config, tasks, delete, PATCH config, offsets).
    pub fn connector_not_found(name: &str) -> Self {
        Self::new(
            HerderErrorKind::NotFound,
            format!("Connector {name} not found"),
        )
    }

    /// 404 `Unknown connector <c>` (pause, resume, stop).
    pub fn unknown_connector(name: &str) -> Self {
        Self::new(
            HerderErrorKind::NotFound,
            format!("Unknown connector {name}"),
        )
    }

    /// 404 `Unknown connector: <c>` (restart, task restart).
    pub fn unknown_connector_colon(name: &str) -> Self {
        Self::new(
            HerderErrorKind::NotFound,
            format!("Unknown connector: {name}"),
        )
    }

    /// 404 `Unknown task: <c>-<t>`.
    pub fn unknown_task(name: &str, task: u32) -> Self {
        Self::new(
            HerderErrorKind::NotFound,
            format!("Unknown task: {name}-{task}"),
        )
    }

    /// 404 `No status found for connector <c>`.
    pub fn no_connector_status(name: &str) -> Self {
        Self::new(
            HerderErrorKind::NotFound,
            format!("No status found for connector {name}"),
        )
    }

    /// 404 `No status found for task <c>-<t>`.
    pub fn no_task_status(name: &str, task: u32) -> Self {
        Self::new(
            HerderErrorKind::NotFound,
            format!("No status found for task {name}-{task}"),
        )
    }

    /// 404 `Status for connector <c> not found` (restart with parameters).
    pub fn restart_status_not_found(name: &str) -> Self {
        Self::new(
            HerderErrorKind::NotFound,
            format!("Status for connector {name} not found"),
        )
    }

    /// 409 `Connector <c> already exists`.
    pub fn already_exists(name: &str) -> Self {
        Self::new(
            HerderErrorKind::Conflict,
            format!("Connector {name} already exists"),
        )
    }

    /// 404 `Unknown plugin <p>.`
    pub fn unknown_plugin(plugin: &str) -> Self {
        Self::new(
            HerderErrorKind::NotFound,
            format!("Unknown plugin {plugin}."),
        )
    }

    /// 400 for offsets changes on a connector that is not STOPPED.
    pub fn not_stopped(name: &str) -> Self {
        Self::bad_request(format!(
            "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
        ))
    }

    /// 400 `Connector configuration is invalid and contains the following N error(s): …`.
    pub fn invalid_config(errors: &[String]) -> Self {
        let mut msg = format!(
            "Connector configuration is invalid and contains the following {} error(s):",
            errors.len()
        );
        for e in errors {
            msg.push('\n');
            msg.push_str(e);
        }
        msg.push_str("\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`");
        Self::bad_request(msg)
    }

    /// `StandaloneHerder.fenceZombieSourceTasks`: an `UnsupportedOperationException`, which
    /// `ConnectExceptionMapper` answers with 500.
    pub fn fencing_in_standalone_mode() -> Self {
        Self::internal(
            "Kafka Connect in standalone mode does not support exactly-once source connectors.",
        )
    }

    /// 400 `Connector <c> is not a source connector` (zombie fencing).
    pub fn not_a_source_connector(name: &str) -> Self {
        Self::bad_request(format!("Connector {name} is not a source connector"))
    }

    /// 400 `Connector name configuration (<a>) doesn't match connector name in the URL (<b>)`.
    pub fn name_mismatch(in_config: &str, in_url: &str) -> Self {
        Self::bad_request(format!(
            "Connector name configuration ({in_config}) doesn't match connector name in the URL ({in_url})"
        ))
    }
}

/// The signature headers of an internal request (`InternalRequestSignature.fromHeaders`): both
/// present, or the request counts as unsigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    /// `X-Connect-Request-Signature-Algorithm` (`HmacSHA256`).
    pub algorithm: String,
    /// `X-Connect-Authorization`: the base64 MAC of the request body.
    pub signature: String,
}

/// What the REST layer asks of the worker (`Herder`).
///
/// Implementations must answer read calls without waiting on Kafka when they can (from their
/// in-memory view of the config and status topics), so the REST API stays responsive when the
/// broker is slow or down.
#[async_trait]
pub trait Herder: Send + Sync + std::fmt::Debug {
    /// `GET /`.
    async fn server_info(&self) -> ServerInfo;
    /// `GET /health`.
    async fn health(&self) -> Health;
    /// `GET /metrics`: the OpenMetrics exposition (`crate::metrics::CONTENT_TYPE`) under the JMX
    /// exporter names of `names`. A herder without metrics serves an empty exposition.
    async fn metrics(&self, _names: crate::metrics::Names) -> String {
        "# EOF\n".to_owned()
    }

    /// Connector names, sorted.
    async fn connectors(&self) -> Result<Vec<String>, HerderError>;
    async fn connector_info(&self, name: &str) -> Result<ConnectorInfo, HerderError>;
    async fn connector_config(&self, name: &str) -> Result<Props, HerderError>;
    /// Creates or replaces a connector. `config` already has `name` set to `name` (the REST layer
    /// checks mismatches). With `allow_replace = false` an existing connector is a 409.
    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> Result<Upserted, HerderError>;
    /// `PATCH …/config`: `None` removes a key.
    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> Result<ConnectorInfo, HerderError>;
    async fn delete_connector(&self, name: &str) -> Result<(), HerderError>;

    async fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo, HerderError>;
    async fn task_status(&self, name: &str, task: u32) -> Result<TaskState, HerderError>;
    /// `GET …/tasks/{t}/progress` (Sluice's own): the task's status with the latest progress its
    /// current run reported on this worker. Errors exactly as [`Herder::task_status`] does.
    async fn task_progress(&self, name: &str, task: u32) -> Result<TaskProgressInfo, HerderError>;
    async fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>, HerderError>;

    /// `None` for the plain restart (204); `Some(plan)` with `includeTasks`/`onlyFailed` (202).
    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>, HerderError>;
    async fn restart_task(&self, name: &str, task: u32) -> Result<(), HerderError>;
    async fn pause_connector(&self, name: &str) -> Result<(), HerderError>;
    async fn resume_connector(&self, name: &str) -> Result<(), HerderError>;
    async fn stop_connector(&self, name: &str) -> Result<(), HerderError>;

    /// Active topics (KIP-558).
    async fn connector_topics(&self, name: &str) -> Result<Vec<String>, HerderError>;
    async fn reset_connector_topics(&self, name: &str) -> Result<(), HerderError>;

    async fn connector_offsets(&self, name: &str) -> Result<ConnectorOffsets, HerderError>;
    async fn alter_connector_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> Result<Message, HerderError>;
    async fn reset_connector_offsets(&self, name: &str) -> Result<Message, HerderError>;

    /// `POST /connectors/{c}/tasks`, the signed inter-worker request (KIP-507) by which the
    /// worker running a connector hands its task configs to the leader. `body` is the request's
    /// bytes, which the signature covers; `configs` what the resource read from them (`None`
    /// for a JSON `null`).
    async fn put_task_configs(
        &self,
        _name: &str,
        _body: &[u8],
        _configs: Option<Vec<Props>>,
        _signature: Option<SignatureHeaders>,
    ) -> Result<(), HerderError> {
        // `StandaloneHerder.putTaskConfigs`.
        Err(HerderError::internal(
            "Kafka Connect in standalone mode does not support externally setting task configurations.",
        ))
    }

    /// `PUT /connectors/{c}/fence`, the signed inter-worker request (KIP-618) by which the
    /// worker about to start a connector's exactly-once source tasks asks the leader to fence
    /// out older task generations (`fenceZombieSourceTasks`). `body` is the request's bytes,
    /// which the signature covers; the resource has already read the signature headers.
    async fn fence_zombie_source_tasks(
        &self,
        _name: &str,
        _body: &[u8],
        _signature: Option<SignatureHeaders>,
    ) -> Result<(), HerderError> {
        Err(HerderError::fencing_in_standalone_mode())
    }

    /// `GET /connector-plugins`, in Kafka's order (sinks, sources, then the rest by kind).
    fn plugins(&self, connectors_only: bool) -> Vec<PluginInfo>;
    /// `GET /connector-plugins/{p}/config`.
    fn plugin_config(&self, plugin: &str) -> Result<Vec<ConfigKeyInfo>, HerderError>;
    /// `PUT /connector-plugins/{p}/config/validate`; the caller has checked that `connector.class`
    /// matches `{p}`.
    async fn validate_connector_config(&self, config: Props) -> Result<ConfigInfos, HerderError>;
}
