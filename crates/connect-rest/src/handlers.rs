//! The endpoint handlers: `RootResource`, `ConnectorsResource`, `ConnectorPluginsResource` and
//! `LoggingResource`, one function per resource method.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use connect_api::Props;
use connect_api::config::{ConfigInfo, ConfigInfos, ConfigValueInfo};
use connect_api::java;
use connect_runtime::HerderErrorKind;
use connect_runtime::entities::{
    ConnectorInfo, ConnectorOffset, ConnectorOffsets, ConnectorStateInfo, TaskInfo,
};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Serialize;
use serde::ser::SerializeStruct;

use crate::error::{ApiError, java_exception_class};
use crate::extract::{Entity, PathParams};
use crate::jackson::{ConnectorOffsetsRequest, CreateConnectorRequest, JavaMap};
use crate::java_order::{self, ConfigOrder, Ordered, ordered_config};
use crate::state::AppState;
use crate::uri::{bool_param, encode_path, first, primitive_bool_param, query_pairs};

type ApiResult = Result<Response, ApiError>;

/// `ConfigValue` error for a `null` config value (`AbstractHerder.validateConnectorConfig`).
const NULL_VALUE_ERROR: &str = "Null value can not be supplied as the configuration value.";

// ------------------------------------------------------------------------------------ responses

/// A compact JSON answer with `Content-Type: application/json`.
pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut resp = Response::new(Body::from(bytes));
            *resp.status_mut() = status;
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "failed to serialise a response");
            ApiError::internal().into_response()
        }
    }
}

/// A status with no body (`202 Accepted`, `204 No Content`).
fn empty(status: StatusCode) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = status;
    resp
}

/// `ConnectorInfo` with its config in Kafka Connect's key order.
struct InfoOut<'a> {
    info: &'a ConnectorInfo,
    order: &'a ConfigOrder,
}

impl Serialize for InfoOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ConnectorInfo", 4)?;
        st.serialize_field("name", &self.info.name)?;
        st.serialize_field("config", &ordered_config(&self.info.config, self.order))?;
        st.serialize_field("tasks", &self.info.tasks)?;
        st.serialize_field("type", &self.info.connector_type)?;
        st.end()
    }
}

/// `TaskInfo` with its config in hash order.
struct TaskOut<'a>(&'a TaskInfo);

impl Serialize for TaskOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("TaskInfo", 2)?;
        st.serialize_field("id", &self.0.id)?;
        st.serialize_field(
            "config",
            &ordered_config(&self.0.config, &ConfigOrder::Hash),
        )?;
        st.end()
    }
}

/// A config map in hash order.
struct ConfigOut<'a>(&'a Props);

impl Serialize for ConfigOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ordered_config(self.0, &ConfigOrder::Hash).serialize(s)
    }
}

/// `Location: <base>/connectors/<name>`: `base` from the request's `Host` (Jersey resolves the
/// relative URI against the request) or the advertised URL, with the advertised scheme.
pub(crate) fn location(state: &AppState, headers: &HeaderMap, name: &str) -> String {
    let advertised = state.advertised_url.trim_end_matches('/');
    let scheme = advertised.split_once("://").map_or("http", |(s, _)| s);
    let base = match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) if !host.is_empty() => format!("{scheme}://{host}"),
        _ => advertised.to_owned(),
    };
    let name = name.strip_prefix('/').unwrap_or(name);
    if name.is_empty() {
        format!("{base}/connectors")
    } else {
        format!("{base}/connectors/{}", encode_path(name))
    }
}

fn with_location(mut resp: Response, location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => {
            resp.headers_mut().insert(header::LOCATION, v);
        }
        Err(e) => tracing::warn!(error = %e, location, "unrepresentable Location header"),
    }
    resp
}

// ------------------------------------------------------------------------------------ root

/// `GET /`
pub(crate) async fn server_info(State(state): State<AppState>) -> ApiResult {
    Ok(json(StatusCode::OK, &state.herder.server_info().await))
}

/// `GET /health`
pub(crate) async fn health(State(state): State<AppState>) -> ApiResult {
    let health = state.herder.health().await;
    let status =
        StatusCode::from_u16(health.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Ok(json(status, &health.body()))
}

// ------------------------------------------------------------------------------------ connectors

/// `GET /connectors[?expand=status&expand=info]`
pub(crate) async fn list_connectors(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let pairs = query_pairs(query.as_deref());
    let names = state.herder.connectors().await?;
    if !pairs.iter().any(|(k, _)| k == "expand") {
        return Ok(json(StatusCode::OK, &names));
    }
    let expansions: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "expand")
        .map(|(_, v)| v.as_str())
        .collect();
    // Values rendered per connector: `status` and `info` (a JSON `null` when the connector
    // vanished, as `AbstractHerder.connectorInfo` returns null). Rendered to text up front so the
    // `HashMap` key orders survive.
    type Expansions = Vec<(&'static str, String)>;
    let mut out: Vec<(i32, (String, Expansions))> = Vec::new();
    'connectors: for name in names {
        let mut entries: Vec<(&'static str, String)> = Vec::new();
        for expansion in &expansions {
            let (key, value) = match *expansion {
                "status" => match state.herder.connector_status(&name).await {
                    Ok(s) => ("status", to_json(&s)?),
                    Err(e) if e.kind == HerderErrorKind::NotFound => {
                        tracing::debug!(connector = name, "no status; omitted from the listing");
                        continue 'connectors;
                    }
                    Err(e) => return Err(e.into()),
                },
                "info" => match state.herder.connector_info(&name).await {
                    Ok(info) => (
                        "info",
                        to_json(&InfoOut {
                            info: &info,
                            order: &ConfigOrder::Hash,
                        })?,
                    ),
                    Err(e) if e.kind == HerderErrorKind::NotFound => ("info", "null".to_owned()),
                    Err(e) => return Err(e.into()),
                },
                other => {
                    tracing::info!(expansion = other, "Ignoring unknown expansion type");
                    continue;
                }
            };
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => entries.push((key, value)),
            }
        }
        let entries = java::hash_map_order(
            entries
                .into_iter()
                .map(|(k, v)| (java::string_hash(k), (k, v)))
                .collect(),
        );
        out.push((java::string_hash(&name), (name, entries)));
    }
    let rendered: Vec<(String, String)> = java::hash_map_order(out)
        .into_iter()
        .map(|(name, entries)| {
            let inner: Vec<(String, String)> = entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            (name, raw_object(&inner))
        })
        .collect();
    Ok(raw_json(StatusCode::OK, raw_object(&rendered)))
}

/// A JSON object from keys and already-rendered values, in the given order.
fn raw_object(entries: &[(String, String)]) -> String {
    let mut s = String::from("{");
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&serde_json::to_string(k).unwrap_or_else(|_| "\"\"".to_owned()));
        s.push(':');
        s.push_str(v);
    }
    s.push('}');
    s
}

/// A JSON answer from already-rendered text.
fn raw_json(status: StatusCode, body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn to_json<T: Serialize>(v: &T) -> Result<String, ApiError> {
    serde_json::to_string(v).map_err(|e| {
        tracing::error!(error = %e, "failed to serialise an entity");
        ApiError::internal()
    })
}

/// Turns a request config into herder props, or the answer Kafka Connect gives for `null`
/// values: those become validation errors (`Null value can not be supplied as the configuration
/// value.`). The herder's props cannot hold `null`, so the REST layer validates the rest and
/// merges those errors in where Kafka's `ConfigInfos` would carry them.
async fn props_or_null_value_errors(state: &AppState, config: &JavaMap) -> Result<Props, ApiError> {
    let props: Props = config
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
        .collect();
    let nulls: Vec<&str> = config
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| k.as_str())
        .collect();
    if nulls.is_empty() {
        return Ok(props);
    }
    let infos = state.herder.validate_connector_config(props).await?;
    let infos = with_null_value_errors(infos, &nulls);
    let messages: Vec<String> = infos
        .configs
        .iter()
        .filter_map(|c| c.value.as_ref())
        .flat_map(|v| v.errors.iter().cloned())
        .collect();
    Err(connect_runtime::HerderError::invalid_config(&messages).into())
}

/// Adds the `null`-value errors to a validation result made without those keys: a defined key
/// loses its "missing required" error (Kafka saw the key) and gains the null error; an undefined
/// key gets its own entry with no definition, ahead of the defined ones.
fn with_null_value_errors(mut infos: ConfigInfos, nulls: &[&str]) -> ConfigInfos {
    let mut undefined = Vec::new();
    for key in nulls {
        let missing =
            format!("Missing required configuration \"{key}\" which has no default value.");
        let slot = infos.configs.iter_mut().find(|c| {
            c.definition.as_ref().is_some_and(|d| d.name == *key)
                || c.value.as_ref().is_some_and(|v| v.name == *key)
        });
        match slot {
            Some(info) => {
                let value = info.value.get_or_insert_with(|| ConfigValueInfo {
                    name: (*key).to_owned(),
                    value: None,
                    recommended_values: Vec::new(),
                    errors: Vec::new(),
                    visible: true,
                });
                value.value = None;
                value.errors.retain(|e| *e != missing);
                value.errors.push(NULL_VALUE_ERROR.to_owned());
            }
            None => undefined.push(ConfigInfo {
                definition: None,
                value: Some(ConfigValueInfo {
                    name: (*key).to_owned(),
                    value: None,
                    recommended_values: Vec::new(),
                    errors: vec![NULL_VALUE_ERROR.to_owned()],
                    visible: true,
                }),
            }),
        }
    }
    let lead = infos
        .configs
        .iter()
        .take_while(|c| c.definition.is_none())
        .count();
    infos.configs.splice(lead..lead, undefined);
    infos.error_count = infos
        .configs
        .iter()
        .filter_map(|c| c.value.as_ref())
        .map(|v| v.errors.len())
        .sum();
    infos
}

/// `checkAndPutConnectorConfigName`: a non-null `name` must equal the connector name; otherwise
/// `name` is set (keeping its position if it was a `null`).
fn check_and_put_name(name: &str, config: &mut JavaMap) -> Result<(), ApiError> {
    match config.iter_mut().find(|(k, _)| k == "name") {
        Some((_, Some(included))) if included != name => {
            Err(connect_runtime::HerderError::name_mismatch(included, name).into())
        }
        Some((_, v)) => {
            *v = Some(name.to_owned());
            Ok(())
        }
        None => {
            config.push(("name".to_owned(), Some(name.to_owned())));
            Ok(())
        }
    }
}

/// `POST /connectors`
pub(crate) async fn create_connector(
    State(state): State<AppState>,
    headers: HeaderMap,
    Entity(body): Entity<CreateConnectorRequest>,
) -> ApiResult {
    let Some(req) = body else {
        return Err(ApiError::null_pointer(
            "org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest.name()",
            "createRequest",
        ));
    };
    let name = req
        .name
        .as_deref()
        .map_or(String::new(), |n| java::trim(n).to_owned());
    let Some(mut config) = req.config else {
        return Err(ApiError::null_pointer(
            "java.util.Map.get(Object)",
            "connectorConfig",
        ));
    };
    check_and_put_name(&name, &mut config)?;
    let props = props_or_null_value_errors(&state, &config).await?;
    let order = ConfigOrder::Request(config.iter().map(|(k, _)| k.clone()).collect());
    let upserted = state
        .herder
        .put_connector_config(&name, props, false, req.initial_state)
        .await?;
    tracing::info!(connector = name, "connector created");
    let resp = json(
        StatusCode::CREATED,
        &InfoOut {
            info: &upserted.info,
            order: &order,
        },
    );
    Ok(with_location(resp, &location(&state, &headers, &name)))
}

/// `GET /connectors/{connector}`
pub(crate) async fn get_connector(State(state): State<AppState>, path: PathParams) -> ApiResult {
    let info = state.herder.connector_info(path.get("connector")).await?;
    Ok(json(
        StatusCode::OK,
        &InfoOut {
            info: &info,
            order: &ConfigOrder::Hash,
        },
    ))
}

/// `GET /connectors/{connector}/config`
pub(crate) async fn get_connector_config(
    State(state): State<AppState>,
    path: PathParams,
) -> ApiResult {
    let config = state.herder.connector_config(path.get("connector")).await?;
    Ok(json(StatusCode::OK, &ConfigOut(&config)))
}

/// `PUT /connectors/{connector}/config`
pub(crate) async fn put_connector_config(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: PathParams,
    Entity(body): Entity<JavaMap>,
) -> ApiResult {
    let name = path.get("connector");
    let Some(mut config) = body else {
        return Err(ApiError::null_pointer(
            "java.util.Map.get(Object)",
            "connectorConfig",
        ));
    };
    check_and_put_name(name, &mut config)?;
    let props = props_or_null_value_errors(&state, &config).await?;
    let order = ConfigOrder::Request(config.iter().map(|(k, _)| k.clone()).collect());
    let upserted = state
        .herder
        .put_connector_config(name, props, true, None)
        .await?;
    let body = InfoOut {
        info: &upserted.info,
        order: &order,
    };
    if upserted.created {
        tracing::info!(connector = name, "connector created");
        let resp = json(StatusCode::CREATED, &body);
        Ok(with_location(resp, &location(&state, &headers, name)))
    } else {
        tracing::info!(connector = name, "connector reconfigured");
        Ok(json(StatusCode::OK, &body))
    }
}

/// `PATCH /connectors/{connector}/config`
pub(crate) async fn patch_connector_config(
    State(state): State<AppState>,
    path: PathParams,
    Entity(body): Entity<JavaMap>,
) -> ApiResult {
    let name = path.get("connector");
    let Some(patch) = body else {
        // `ConnectUtils.patchConfig(config, null)` throws once the connector is found.
        state.herder.connector_info(name).await?;
        return Err(ApiError::null_pointer(
            "java.util.Map.forEach(java.util.function.BiConsumer)",
            "patch",
        ));
    };
    let patch: BTreeMap<String, Option<String>> = patch.into_iter().collect();
    let info = state.herder.patch_connector_config(name, patch).await?;
    Ok(json(
        StatusCode::OK,
        &InfoOut {
            info: &info,
            order: &ConfigOrder::Hash,
        },
    ))
}

/// `DELETE /connectors/{connector}`
pub(crate) async fn delete_connector(State(state): State<AppState>, path: PathParams) -> ApiResult {
    let name = path.get("connector");
    state.herder.delete_connector(name).await?;
    tracing::info!(connector = name, "connector deleted");
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `GET /connectors/{connector}/status`
pub(crate) async fn connector_status(State(state): State<AppState>, path: PathParams) -> ApiResult {
    let status: ConnectorStateInfo = state.herder.connector_status(path.get("connector")).await?;
    Ok(json(StatusCode::OK, &status))
}

/// `POST /connectors/{connector}/restart[?includeTasks=…&onlyFailed=…]`
pub(crate) async fn restart_connector(
    State(state): State<AppState>,
    path: PathParams,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let pairs = query_pairs(query.as_deref());
    let include_tasks = bool_param(&pairs, "includeTasks", false);
    let only_failed = bool_param(&pairs, "onlyFailed", false);
    let name = path.get("connector");
    let plan = state
        .herder
        .restart_connector(name, include_tasks, only_failed)
        .await?;
    if !include_tasks && !only_failed {
        return Ok(empty(StatusCode::NO_CONTENT));
    }
    match plan {
        Some(plan) => Ok(json(StatusCode::ACCEPTED, &plan)),
        None => {
            tracing::warn!(connector = name, "the herder returned no restart plan");
            Ok(empty(StatusCode::ACCEPTED))
        }
    }
}

/// `PUT /connectors/{connector}/pause`
pub(crate) async fn pause_connector(State(state): State<AppState>, path: PathParams) -> ApiResult {
    state.herder.pause_connector(path.get("connector")).await?;
    Ok(empty(StatusCode::ACCEPTED))
}

/// `PUT /connectors/{connector}/resume`
pub(crate) async fn resume_connector(State(state): State<AppState>, path: PathParams) -> ApiResult {
    state.herder.resume_connector(path.get("connector")).await?;
    Ok(empty(StatusCode::ACCEPTED))
}

/// `PUT /connectors/{connector}/stop`
pub(crate) async fn stop_connector(State(state): State<AppState>, path: PathParams) -> ApiResult {
    state.herder.stop_connector(path.get("connector")).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `GET /connectors/{connector}/tasks`
pub(crate) async fn task_configs(State(state): State<AppState>, path: PathParams) -> ApiResult {
    let tasks = state.herder.task_configs(path.get("connector")).await?;
    let out: Vec<TaskOut<'_>> = tasks.iter().map(TaskOut).collect();
    Ok(json(StatusCode::OK, &out))
}

/// `GET /connectors/{connector}/tasks-config` (deprecated in 3.7, removed in 4.0)
pub(crate) async fn tasks_config(State(state): State<AppState>, path: PathParams) -> ApiResult {
    tracing::warn!(
        "The 'GET /connectors/{{connector}}/tasks-config' endpoint is deprecated and will be removed in the next major release. Please use the 'GET /connectors/{{connector}}/tasks' endpoint instead."
    );
    let tasks = state.herder.task_configs(path.get("connector")).await?;
    let keys: Vec<String> = tasks
        .iter()
        .map(|t| format!("{}-{}", t.id.connector, t.id.task))
        .collect();
    let configs: Vec<ConfigOut<'_>> = tasks.iter().map(|t| ConfigOut(&t.config)).collect();
    let ordered = java::hash_map_order(
        tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (java_order::task_id_hash(&t.id.connector, t.id.task), i))
            .collect(),
    );
    let body = Ordered(
        ordered
            .into_iter()
            .map(|i| (keys[i].as_str(), &configs[i]))
            .collect(),
    );
    Ok(json(StatusCode::OK, &body))
}

/// A `{task}` path parameter: a Java `Integer`, else JAX-RS answers 404.
fn task_param(path: &PathParams) -> Result<i32, ApiError> {
    path.get("task")
        .parse::<i32>()
        .map_err(|_| ApiError::not_found())
}

/// The `{task}` of the status-like task endpoints as a `u32`: a negative id parses as a Java
/// `Integer` but no status record can exist for it, so it is the herder's "no status" 404.
fn status_task_id(path: &PathParams) -> Result<u32, ApiError> {
    let task = task_param(path)?;
    u32::try_from(task).map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("No status found for task {}-{task}", path.get("connector")),
        )
    })
}

/// `GET /connectors/{connector}/tasks/{task}/status`
pub(crate) async fn task_status(State(state): State<AppState>, path: PathParams) -> ApiResult {
    let name = path.get("connector");
    let task = status_task_id(&path)?;
    Ok(json(
        StatusCode::OK,
        &state.herder.task_status(name, task).await?,
    ))
}

/// `GET /connectors/{connector}/tasks/{task}/progress` (Sluice's own): the task's status with
/// the latest progress it reported. Unknown connectors and tasks get the status endpoint's 404s,
/// so clients can treat both endpoints alike.
pub(crate) async fn task_progress(State(state): State<AppState>, path: PathParams) -> ApiResult {
    let name = path.get("connector");
    let task = status_task_id(&path)?;
    Ok(json(
        StatusCode::OK,
        &state.herder.task_progress(name, task).await?,
    ))
}

/// `POST /connectors/{connector}/tasks/{task}/restart`
pub(crate) async fn restart_task(State(state): State<AppState>, path: PathParams) -> ApiResult {
    let name = path.get("connector");
    let task = task_param(&path)?;
    let Ok(task) = u32::try_from(task) else {
        // `DistributedHerder.restartTask`: the connector is checked first, then the task.
        return match state.herder.connector_info(name).await {
            Err(e) if e.kind == HerderErrorKind::NotFound => {
                Err(connect_runtime::HerderError::unknown_connector_colon(name).into())
            }
            Err(e) => Err(e.into()),
            Ok(_) => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("Unknown task: {name}-{task}"),
            )),
        };
    };
    state.herder.restart_task(name, task).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `GET /connectors/{connector}/topics`
pub(crate) async fn connector_topics(State(state): State<AppState>, path: PathParams) -> ApiResult {
    if !state.topic_tracking.enable {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Topic tracking is disabled.",
        ));
    }
    let name = path.get("connector");
    let topics = state.herder.connector_topics(name).await?;
    #[derive(Serialize)]
    struct ActiveTopics<'a> {
        topics: &'a [String],
    }
    let inner = ActiveTopics { topics: &topics };
    Ok(json(StatusCode::OK, &Ordered(vec![(name, &inner)])))
}

/// `PUT /connectors/{connector}/topics/reset`
pub(crate) async fn reset_connector_topics(
    State(state): State<AppState>,
    path: PathParams,
) -> ApiResult {
    if !state.topic_tracking.enable {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Topic tracking is disabled.",
        ));
    }
    if !state.topic_tracking.allow_reset {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Topic tracking reset is disabled.",
        ));
    }
    state
        .herder
        .reset_connector_topics(path.get("connector"))
        .await?;
    Ok(empty(StatusCode::ACCEPTED))
}

/// `GET /connectors/{connector}/offsets`
pub(crate) async fn get_offsets(State(state): State<AppState>, path: PathParams) -> ApiResult {
    let offsets = state
        .herder
        .connector_offsets(path.get("connector"))
        .await?;
    Ok(json(StatusCode::OK, &offsets))
}

/// `PATCH /connectors/{connector}/offsets`
pub(crate) async fn alter_offsets(
    State(state): State<AppState>,
    path: PathParams,
    Entity(body): Entity<ConnectorOffsetsRequest>,
) -> ApiResult {
    let Some(req) = body else {
        return Err(ApiError::null_pointer(
            "org.apache.kafka.connect.runtime.rest.entities.ConnectorOffsets.offsets()",
            "offsets",
        ));
    };
    let entries = match req.offsets {
        Some(entries) if !entries.is_empty() => entries,
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "Partitions / offsets need to be provided for an alter offsets request",
            ));
        }
    };
    let mut offsets = Vec::with_capacity(entries.len());
    for entry in entries {
        // `ConnectorOffsets.toMap()` dereferences each entry.
        let Some(entry) = entry else {
            return Err(ApiError::null_pointer(
                "org.apache.kafka.connect.runtime.rest.entities.ConnectorOffset.partition()",
                "offset",
            ));
        };
        offsets.push(ConnectorOffset {
            partition: entry.partition.unwrap_or_default(),
            offset: entry.offset,
        });
    }
    let msg = state
        .herder
        .alter_connector_offsets(path.get("connector"), ConnectorOffsets { offsets })
        .await?;
    Ok(json(StatusCode::OK, &msg))
}

/// `DELETE /connectors/{connector}/offsets`
pub(crate) async fn reset_offsets(State(state): State<AppState>, path: PathParams) -> ApiResult {
    let msg = state
        .herder
        .reset_connector_offsets(path.get("connector"))
        .await?;
    Ok(json(StatusCode::OK, &msg))
}

// ------------------------------------------------------------------------------------ plugins

/// `GET /connector-plugins[?connectorsOnly=…]`
pub(crate) async fn list_plugins(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let pairs = query_pairs(query.as_deref());
    let connectors_only = primitive_bool_param(&pairs, "connectorsOnly", true);
    Ok(json(StatusCode::OK, &state.herder.plugins(connectors_only)))
}

/// `GET /connector-plugins/{plugin}/config`
pub(crate) async fn plugin_config(State(state): State<AppState>, path: PathParams) -> ApiResult {
    let keys = state.herder.plugin_config(path.get("plugin"))?;
    Ok(json(StatusCode::OK, &keys))
}

/// `ConnectorPluginsResource.normalizedPluginName`: strips a trailing `Connector`.
fn normalized_plugin_name(name: &str) -> &str {
    const SUFFIX: &str = "Connector";
    match name.strip_suffix(SUFFIX) {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => name,
    }
}

/// `PUT /connector-plugins/{plugin}/config/validate`
pub(crate) async fn validate_config(
    State(state): State<AppState>,
    path: PathParams,
    Entity(body): Entity<JavaMap>,
) -> ApiResult {
    let plugin = path.get("plugin");
    let Some(config) = body else {
        return Err(ApiError::null_pointer(
            "java.util.Map.get(Object)",
            "connectorConfig",
        ));
    };
    if let Some((_, Some(included))) = config.iter().find(|(k, _)| k == "connector.class")
        && !normalized_plugin_name(included).ends_with(normalized_plugin_name(plugin))
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("Included connector type {included} does not match request type {plugin}"),
        ));
    }
    let props: Props = config
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
        .collect();
    let nulls: Vec<&str> = config
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| k.as_str())
        .collect();
    match state.herder.validate_connector_config(props).await {
        Ok(infos) => {
            let infos = if nulls.is_empty() {
                infos
            } else {
                with_null_value_errors(infos, &nulls)
            };
            Ok(json(StatusCode::OK, &infos))
        }
        // Validation runs in a future; its failure surfaces as `ExecutionException`, i.e. 500
        // with the cause's `toString()`. Timeouts are the resource's own 500s.
        Err(e) if e.message.starts_with("Request timed out") => {
            Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.message))
        }
        Err(e) => {
            let message = if e.message.starts_with("org.apache.kafka.") {
                e.message
            } else {
                format!("{}: {}", java_exception_class(e.kind), e.message)
            };
            Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message))
        }
    }
}

// ------------------------------------------------------------------------------------ loggers

/// `GET /admin/loggers`
pub(crate) async fn list_loggers(State(state): State<AppState>) -> ApiResult {
    Ok(json(StatusCode::OK, &state.loggers.levels()))
}

/// `GET /admin/loggers/{logger}`
pub(crate) async fn get_logger(State(state): State<AppState>, path: PathParams) -> ApiResult {
    let name = path.get("logger");
    match state.loggers.level(name) {
        Some(level) => Ok(json(StatusCode::OK, &level)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("Logger {name} not found."),
        )),
    }
}

/// log4j's `Level.toLevel(s, null) != null`.
fn is_log4j_level(level: &str) -> bool {
    matches!(
        level.to_uppercase().as_str(),
        "ALL" | "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL" | "OFF"
    )
}

/// `PUT /admin/loggers/{logger}[?scope=worker|cluster]`
pub(crate) async fn set_logger(
    State(state): State<AppState>,
    path: PathParams,
    RawQuery(query): RawQuery,
    Entity(body): Entity<JavaMap>,
) -> ApiResult {
    let namespace = path.get("logger");
    let pairs = query_pairs(query.as_deref());
    let scope = first(&pairs, "scope").unwrap_or("worker");
    let Some(level_map) = body else {
        return Err(ApiError::null_pointer(
            "java.util.Map.get(Object)",
            "levelMap",
        ));
    };
    let Some((_, Some(level))) = level_map.iter().find(|(k, _)| k == "level") else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "Desired 'level' parameter was not specified in request.",
        ));
    };
    if !is_log4j_level(level) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("invalid log level '{level}'."),
        ));
    }
    let cluster = scope.eq_ignore_ascii_case("cluster");
    if !cluster && !scope.eq_ignore_ascii_case("worker") {
        tracing::warn!(
            scope,
            "Received invalid scope in request to adjust logging level; will default to worker"
        );
    }
    // A cluster-wide change reaches this worker too; until the herder can publish it to the
    // config topic (`logger-cluster-<namespace>`), it is applied here.
    let affected = state
        .loggers
        .set_level(namespace, level)
        .map_err(|msg| ApiError::new(StatusCode::NOT_FOUND, msg))?;
    tracing::info!(logger = namespace, level = %level, cluster, "log level changed");
    if cluster {
        Ok(empty(StatusCode::NO_CONTENT))
    } else {
        Ok(json(StatusCode::OK, &affected))
    }
}
