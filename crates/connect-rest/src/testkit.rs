//! An in-memory [`Herder`] and [`Loggers`] that behave like a one-worker Kafka Connect cluster
//! with the FileStream and MirrorMaker plugins, for driving [`crate::router`] in tests.
//!
//! Errors carry Kafka Connect's exact messages (through [`HerderError`]'s constructors), config
//! validation reports `tasks.max`, `name` and required-key errors as Kafka does, and a connector
//! gets a RUNNING status with `tasks.max` tasks when created. Switches make every call hang
//! ([`FakeHerder::set_hang`]) or panic ([`FakeHerder::set_panic`]). As the leader of its
//! one-worker group it serves `PUT /connectors/{c}/fence`, checking signatures once
//! [`FakeHerder::set_session_key`] puts the group on the `sessioned` protocol.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use connect_api::Props;
use connect_api::config::{ConfigInfo, ConfigInfos, ConfigKeyInfo, ConfigValue, ConfigValueInfo};
use connect_runtime::entities::{
    ConnectorInfo, ConnectorOffsets, ConnectorState, ConnectorStateInfo, ConnectorTaskId,
    ConnectorType, Health, LoggerLevel, Message, PluginInfo, ServerInfo, State, TargetState,
    TaskInfo, TaskProgressInfo, TaskState, Upserted,
};
use connect_runtime::worker::cluster::KeySettings;
use connect_runtime::{Herder, HerderError, Loggers, SignatureHeaders};
use connect_storage::SessionKey;

use crate::state::AppState;

/// The worker id the fake reports in statuses.
pub const WORKER_ID: &str = "127.0.0.1:8083";

/// A plugin the fake knows.
#[derive(Debug, Clone)]
pub struct FakePlugin {
    pub class: String,
    /// `source`, `sink`, `transformation`, …
    pub kind: String,
    pub version: Option<String>,
    /// The plugin's own required keys (no default).
    pub required: Vec<String>,
    /// The task class its tasks report.
    pub task_class: String,
}

impl FakePlugin {
    fn new(class: &str, kind: &str, required: &[&str], task_class: &str) -> Self {
        Self {
            class: class.to_owned(),
            kind: kind.to_owned(),
            version: Some("3.9.0".to_owned()),
            required: required.iter().map(|s| (*s).to_owned()).collect(),
            task_class: task_class.to_owned(),
        }
    }

    fn simple_name(&self) -> &str {
        self.class.rsplit('.').next().unwrap_or(&self.class)
    }

    /// Full class name, simple name, or simple name without `Connector` (Kafka's aliases).
    fn matches(&self, name: &str) -> bool {
        let simple = self.simple_name();
        name == self.class || name == simple || Some(name) == simple.strip_suffix("Connector")
    }

    fn connector_type(&self) -> ConnectorType {
        match self.kind.as_str() {
            "source" => ConnectorType::Source,
            "sink" => ConnectorType::Sink,
            _ => ConnectorType::Unknown,
        }
    }

    fn desc(&self) -> String {
        let v = self.version.as_deref().unwrap_or("undefined");
        format!(
            "PluginDesc{{klass=class {c}, name='{c}', version='{v}', encodedVersion={v}, type={k}, typeName='{k}', location='classpath'}}",
            c = self.class,
            k = self.kind
        )
    }
}

#[derive(Debug, Clone)]
struct Connector {
    config: Props,
    target: TargetState,
    tasks: Vec<Props>,
    status: Option<ConnectorStateInfo>,
    topics: Vec<String>,
    offsets: ConnectorOffsets,
    connector_type: ConnectorType,
    /// The latest progress report and its epoch-ms time, per task id.
    progress: BTreeMap<u32, (serde_json::Value, i64)>,
}

#[derive(Debug)]
struct Inner {
    connectors: BTreeMap<String, Connector>,
    plugins: Vec<FakePlugin>,
    health: Health,
    /// With the `sessioned` protocol: the session key internal requests are signed with.
    session_key: Option<SessionKey>,
}

/// The in-memory herder.
#[derive(Debug)]
pub struct FakeHerder {
    inner: Mutex<Inner>,
    hang: AtomicBool,
    panic: AtomicBool,
}

impl Default for FakeHerder {
    fn default() -> Self {
        Self::new()
    }
}

#[allow(clippy::too_many_arguments)]
fn key(
    name: &str,
    ty: &str,
    required: bool,
    default: Option<&str>,
    doc: &str,
    group: Option<&str>,
    order: i32,
    width: &str,
    display: &str,
) -> ConfigKeyInfo {
    ConfigKeyInfo {
        name: name.to_owned(),
        config_type: ty.to_owned(),
        required,
        default_value: default.map(str::to_owned),
        importance: "HIGH".to_owned(),
        documentation: doc.to_owned(),
        group: group.map(str::to_owned),
        width: width.to_owned(),
        display_name: display.to_owned(),
        dependents: Vec::new(),
        order,
    }
}

/// The framework keys every connector has (a subset of `ConnectorConfig`).
fn framework_keys() -> Vec<ConfigKeyInfo> {
    vec![
        key(
            "name",
            "STRING",
            true,
            None,
            "Globally unique name to use for this connector.",
            Some("Common"),
            1,
            "MEDIUM",
            "Connector name",
        ),
        key(
            "connector.class",
            "STRING",
            true,
            None,
            "Name or alias of the class for this connector. Must be a subclass of org.apache.kafka.connect.connector.Connector. If the connector is org.apache.kafka.connect.file.FileStreamSinkConnector, you can either specify this full name,  or use \"FileStreamSink\" or \"FileStreamSinkConnector\" to make the configuration a bit shorter",
            Some("Common"),
            2,
            "LONG",
            "Connector class",
        ),
        key(
            "tasks.max",
            "INT",
            false,
            Some("1"),
            "Maximum number of tasks to use for this connector.",
            Some("Common"),
            3,
            "SHORT",
            "Tasks max",
        ),
    ]
}

impl FakeHerder {
    /// A herder with no connectors and the FileStream and MirrorMaker plugins.
    pub fn new() -> Self {
        let plugins = vec![
            FakePlugin::new(
                "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "sink",
                &["topics"],
                "org.apache.kafka.connect.file.FileStreamSinkTask",
            ),
            FakePlugin::new(
                "org.apache.kafka.connect.file.FileStreamSourceConnector",
                "source",
                &["topic"],
                "org.apache.kafka.connect.file.FileStreamSourceTask",
            ),
            FakePlugin::new(
                "org.apache.kafka.connect.mirror.MirrorSourceConnector",
                "source",
                &[],
                "org.apache.kafka.connect.mirror.MirrorSourceTask",
            ),
            FakePlugin {
                version: None,
                ..FakePlugin::new(
                    "org.apache.kafka.connect.transforms.InsertField$Value",
                    "transformation",
                    &[],
                    "",
                )
            },
        ];
        Self {
            inner: Mutex::new(Inner {
                connectors: BTreeMap::new(),
                plugins,
                health: Health::Healthy,
                session_key: None,
            }),
            hang: AtomicBool::new(false),
            panic: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes every async call wait forever (to exercise the request timeout).
    pub fn set_hang(&self, hang: bool) {
        self.hang.store(hang, Ordering::SeqCst);
    }

    /// Makes every async call panic (to exercise the panic guard).
    pub fn set_panic(&self, panic: bool) {
        self.panic.store(panic, Ordering::SeqCst);
    }

    /// Puts the group on the `sessioned` protocol with this session key (internal requests
    /// must then be signed with it and the default `inter.worker.*` settings), or with `None`
    /// on a protocol that checks no signatures (the default).
    pub fn set_session_key(&self, key: Option<SessionKey>) {
        self.lock().session_key = key;
    }

    pub fn set_health(&self, health: Health) {
        self.lock().health = health;
    }

    /// Replaces (or with `None` removes) a connector's status record.
    pub fn set_status(&self, name: &str, status: Option<ConnectorStateInfo>) {
        if let Some(c) = self.lock().connectors.get_mut(name) {
            c.status = status;
        }
    }

    /// Sets a connector's active topics.
    pub fn set_topics(&self, name: &str, topics: &[&str]) {
        if let Some(c) = self.lock().connectors.get_mut(name) {
            c.topics = topics.iter().map(|s| (*s).to_owned()).collect();
        }
    }

    /// Sets a connector's committed offsets.
    pub fn set_offsets(&self, name: &str, offsets: ConnectorOffsets) {
        if let Some(c) = self.lock().connectors.get_mut(name) {
            c.offsets = offsets;
        }
    }

    /// Records a progress report of a connector's task, reported at `reported_at_ms`.
    pub fn set_progress(
        &self,
        name: &str,
        task: u32,
        progress: serde_json::Value,
        reported_at_ms: i64,
    ) {
        if let Some(c) = self.lock().connectors.get_mut(name) {
            c.progress.insert(task, (progress, reported_at_ms));
        }
    }

    /// The stored config of a connector.
    pub fn config_of(&self, name: &str) -> Option<Props> {
        self.lock().connectors.get(name).map(|c| c.config.clone())
    }

    /// The target state of a connector.
    pub fn target_of(&self, name: &str) -> Option<TargetState> {
        self.lock().connectors.get(name).map(|c| c.target)
    }

    async fn gate(&self) {
        if self.panic.load(Ordering::SeqCst) {
            panic!("fake herder told to panic");
        }
        if self.hang.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        tokio::task::yield_now().await;
    }

    fn plugin<'a>(inner: &'a Inner, class: &str) -> Option<&'a FakePlugin> {
        inner
            .plugins
            .iter()
            .find(|p| p.matches(class) && matches!(p.kind.as_str(), "source" | "sink"))
    }

    /// `AbstractHerder.validateConnectorConfig`, for the keys the fake knows.
    fn validate(inner: &Inner, config: &Props) -> Result<ConfigInfos, HerderError> {
        let Some(class) = config.get("connector.class") else {
            let shown: Vec<String> = config.iter().map(|(k, v)| format!("{k}={v}")).collect();
            return Err(HerderError::bad_request(format!(
                "Connector config {{{}}} contains no connector type",
                shown.join(", ")
            )));
        };
        let Some(plugin) = Self::plugin(inner, class) else {
            let available: Vec<String> = inner
                .plugins
                .iter()
                .filter(|p| matches!(p.kind.as_str(), "source" | "sink"))
                .map(FakePlugin::desc)
                .collect();
            return Err(HerderError::internal(format!(
                "Failed to find any class that implements Connector and which name matches {class}, available connectors are: {}",
                available.join(", ")
            )));
        };
        let mut defs = framework_keys();
        for k in &plugin.required {
            defs.push(key(k, "STRING", true, None, "", None, -1, "NONE", k));
        }
        let mut configs = Vec::new();
        for (k, v) in config {
            if !defs.iter().any(|d| d.name == *k) {
                configs.push(ConfigInfo {
                    definition: None,
                    value: Some(value(k, Some(v), Vec::new())),
                });
            }
        }
        for def in defs {
            let given = config.get(&def.name);
            let mut errors = Vec::new();
            match (def.name.as_str(), given) {
                (_, None) if def.required => errors.push(format!(
                    "Missing required configuration \"{}\" which has no default value.",
                    def.name
                )),
                ("name", Some(v)) => {
                    // The runtime's own `NonEmptyStringWithoutControlChars`.
                    let check = connect_runtime::connector_config::framework_def(true)
                        .key("name")
                        .and_then(|k| k.validator.as_ref())
                        .map(|val| val.check(&ConfigValue::String(v.clone())));
                    if let Some(Err(reason)) = check {
                        errors.push(format!(
                            "Invalid value {v} for configuration name: {reason}"
                        ));
                    }
                }
                ("tasks.max", Some(v)) => match v.trim().parse::<i64>() {
                    Err(_) => errors.push(format!(
                        "Invalid value {v} for configuration tasks.max: Not a number of type INT"
                    )),
                    Ok(n) if n < 1 => errors.push(format!(
                        "Invalid value {n} for configuration tasks.max: Value must be at least 1"
                    )),
                    Ok(_) => {}
                },
                _ => {}
            }
            let shown = given.cloned().or_else(|| def.default_value.clone());
            configs.push(ConfigInfo {
                value: Some(value(&def.name, shown.as_ref(), errors)),
                definition: Some(def),
            });
        }
        let error_count = configs
            .iter()
            .filter_map(|c| c.value.as_ref())
            .map(|v| v.errors.len())
            .sum();
        Ok(ConfigInfos {
            name: class.clone(),
            error_count,
            groups: vec!["Common".to_owned()],
            configs,
        })
    }

    fn tasks_for(plugin: &FakePlugin, config: &Props) -> Vec<Props> {
        let n = config
            .get("tasks.max")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(1);
        (0..n)
            .map(|_| {
                let mut t = Props::new();
                t.insert("task.class".to_owned(), plugin.task_class.clone());
                for k in ["topic", "topics", "file"] {
                    if let Some(v) = config.get(k) {
                        t.insert(k.to_owned(), v.clone());
                    }
                }
                t
            })
            .collect()
    }

    fn running_status(name: &str, c: &Connector) -> ConnectorStateInfo {
        let state = match c.target {
            TargetState::Started => State::Running,
            TargetState::Paused => State::Paused,
            TargetState::Stopped => State::Stopped,
        };
        let tasks = if c.target == TargetState::Stopped {
            Vec::new()
        } else {
            (0..c.tasks.len())
                .map(|i| TaskState {
                    id: i as u32,
                    state,
                    worker_id: WORKER_ID.to_owned(),
                    trace: None,
                })
                .collect()
        };
        ConnectorStateInfo {
            name: name.to_owned(),
            connector: ConnectorState {
                state,
                worker_id: WORKER_ID.to_owned(),
                trace: None,
            },
            tasks,
            connector_type: c.connector_type,
        }
    }

    fn info(name: &str, c: &Connector) -> ConnectorInfo {
        ConnectorInfo {
            name: name.to_owned(),
            config: c.config.clone(),
            tasks: (0..c.tasks.len())
                .map(|i| ConnectorTaskId {
                    connector: name.to_owned(),
                    task: i as u32,
                })
                .collect(),
            connector_type: c.connector_type,
        }
    }

    fn put(
        inner: &mut Inner,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> Result<Upserted, HerderError> {
        let infos = Self::validate(inner, &config)?;
        if infos.error_count > 0 {
            let messages: Vec<String> = infos
                .configs
                .iter()
                .filter_map(|c| c.value.as_ref())
                .flat_map(|v| v.errors.iter().cloned())
                .collect();
            return Err(HerderError::invalid_config(&messages));
        }
        let exists = inner.connectors.contains_key(name);
        if exists && !allow_replace {
            return Err(HerderError::already_exists(name));
        }
        let plugin = Self::plugin(inner, &config["connector.class"])
            .expect("validated")
            .clone();
        let tasks = Self::tasks_for(&plugin, &config);
        let old_tasks = inner.connectors.get(name).map(|c| c.tasks.len());
        let entry = inner
            .connectors
            .entry(name.to_owned())
            .or_insert_with(|| Connector {
                config: Props::new(),
                target: initial_state.unwrap_or(TargetState::Started),
                tasks: Vec::new(),
                status: None,
                topics: Vec::new(),
                offsets: ConnectorOffsets::default(),
                connector_type: plugin.connector_type(),
                progress: BTreeMap::new(),
            });
        entry.config = config;
        entry.connector_type = plugin.connector_type();
        entry.tasks = if entry.target == TargetState::Stopped {
            Vec::new()
        } else {
            tasks
        };
        entry.status = Some(Self::running_status(name, entry));
        let mut info = Self::info(name, entry);
        // A new connector has no task configs yet; an update reports the current ones.
        info.tasks = match old_tasks {
            None => Vec::new(),
            Some(n) => (0..n)
                .map(|i| ConnectorTaskId {
                    connector: name.to_owned(),
                    task: i as u32,
                })
                .collect(),
        };
        Ok(Upserted {
            created: !exists,
            info,
        })
    }
}

fn value(name: &str, v: Option<&String>, errors: Vec<String>) -> ConfigValueInfo {
    ConfigValueInfo {
        name: name.to_owned(),
        value: v.cloned(),
        recommended_values: Vec::new(),
        errors,
        visible: true,
    }
}

#[async_trait]
impl Herder for FakeHerder {
    async fn server_info(&self) -> ServerInfo {
        self.gate().await;
        ServerInfo {
            version: "3.9.0".to_owned(),
            commit: "dd5272687e8adf9e".to_owned(),
            kafka_cluster_id: Some("Mk3OEYBSD34fcwNTJENDM2Qk".to_owned()),
        }
    }

    async fn health(&self) -> Health {
        self.gate().await;
        self.lock().health.clone()
    }

    async fn connectors(&self) -> Result<Vec<String>, HerderError> {
        self.gate().await;
        Ok(self.lock().connectors.keys().cloned().collect())
    }

    async fn connector_info(&self, name: &str) -> Result<ConnectorInfo, HerderError> {
        self.gate().await;
        let inner = self.lock();
        let c = inner
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        Ok(Self::info(name, c))
    }

    async fn connector_config(&self, name: &str) -> Result<Props, HerderError> {
        self.gate().await;
        let inner = self.lock();
        let c = inner
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        Ok(c.config.clone())
    }

    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> Result<Upserted, HerderError> {
        self.gate().await;
        Self::put(&mut self.lock(), name, config, allow_replace, initial_state)
    }

    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> Result<ConnectorInfo, HerderError> {
        self.gate().await;
        let mut inner = self.lock();
        let mut config = inner
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?
            .config
            .clone();
        for (k, v) in patch {
            match v {
                Some(v) => config.insert(k, v),
                None => config.remove(&k),
            };
        }
        Self::put(&mut inner, name, config, true, None).map(|u| u.info)
    }

    async fn delete_connector(&self, name: &str) -> Result<(), HerderError> {
        self.gate().await;
        self.lock()
            .connectors
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| HerderError::connector_not_found(name))
    }

    async fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo, HerderError> {
        self.gate().await;
        let inner = self.lock();
        inner
            .connectors
            .get(name)
            .and_then(|c| c.status.clone())
            .ok_or_else(|| HerderError::no_connector_status(name))
    }

    async fn task_status(&self, name: &str, task: u32) -> Result<TaskState, HerderError> {
        self.gate().await;
        let inner = self.lock();
        inner
            .connectors
            .get(name)
            .and_then(|c| c.status.as_ref())
            .and_then(|s| s.tasks.iter().find(|t| t.id == task).cloned())
            .ok_or_else(|| HerderError::no_task_status(name, task))
    }

    async fn task_progress(&self, name: &str, task: u32) -> Result<TaskProgressInfo, HerderError> {
        self.gate().await;
        let inner = self.lock();
        let c = inner.connectors.get(name);
        let status = c
            .and_then(|c| c.status.as_ref())
            .and_then(|s| s.tasks.iter().find(|t| t.id == task))
            .ok_or_else(|| HerderError::no_task_status(name, task))?;
        let latest = c.and_then(|c| c.progress.get(&task)).cloned();
        Ok(TaskProgressInfo {
            id: task,
            worker_id: status.worker_id.clone(),
            state: status.state,
            reported_at_ms: latest.as_ref().map(|(_, at)| *at),
            progress: latest.map(|(p, _)| p),
        })
    }

    async fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>, HerderError> {
        self.gate().await;
        let inner = self.lock();
        let c = inner
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        Ok(c.tasks
            .iter()
            .enumerate()
            .map(|(i, config)| TaskInfo {
                id: ConnectorTaskId {
                    connector: name.to_owned(),
                    task: i as u32,
                },
                config: config.clone(),
            })
            .collect())
    }

    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>, HerderError> {
        self.gate().await;
        let inner = self.lock();
        let c = inner
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::unknown_connector_colon(name))?;
        if !include_tasks && !only_failed {
            return Ok(None);
        }
        let mut plan = c
            .status
            .clone()
            .ok_or_else(|| HerderError::restart_status_not_found(name))?;
        if !only_failed || plan.connector.state == State::Failed {
            plan.connector.state = State::Restarting;
        }
        for t in &mut plan.tasks {
            if include_tasks && (!only_failed || t.state == State::Failed) {
                t.state = State::Restarting;
            }
        }
        Ok(Some(plan))
    }

    async fn restart_task(&self, name: &str, task: u32) -> Result<(), HerderError> {
        self.gate().await;
        let inner = self.lock();
        let c = inner
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::unknown_connector_colon(name))?;
        if task as usize >= c.tasks.len() {
            return Err(HerderError::unknown_task(name, task));
        }
        Ok(())
    }

    async fn pause_connector(&self, name: &str) -> Result<(), HerderError> {
        self.set_target(name, TargetState::Paused).await
    }

    async fn resume_connector(&self, name: &str) -> Result<(), HerderError> {
        self.set_target(name, TargetState::Started).await
    }

    async fn stop_connector(&self, name: &str) -> Result<(), HerderError> {
        self.set_target(name, TargetState::Stopped).await
    }

    async fn connector_topics(&self, name: &str) -> Result<Vec<String>, HerderError> {
        self.gate().await;
        Ok(self
            .lock()
            .connectors
            .get(name)
            .map(|c| c.topics.clone())
            .unwrap_or_default())
    }

    async fn reset_connector_topics(&self, name: &str) -> Result<(), HerderError> {
        self.gate().await;
        if let Some(c) = self.lock().connectors.get_mut(name) {
            c.topics.clear();
        }
        Ok(())
    }

    async fn connector_offsets(&self, name: &str) -> Result<ConnectorOffsets, HerderError> {
        self.gate().await;
        let inner = self.lock();
        let c = inner
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        Ok(c.offsets.clone())
    }

    async fn alter_connector_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> Result<Message, HerderError> {
        self.gate().await;
        let mut inner = self.lock();
        let c = inner
            .connectors
            .get_mut(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        if c.target != TargetState::Stopped {
            return Err(HerderError::not_stopped(name));
        }
        for o in offsets.offsets {
            c.offsets.offsets.retain(|e| e.partition != o.partition);
            if o.offset.is_some() {
                c.offsets.offsets.push(o);
            }
        }
        Ok(Message {
            message: "The offsets for this connector have been altered successfully".to_owned(),
        })
    }

    async fn reset_connector_offsets(&self, name: &str) -> Result<Message, HerderError> {
        self.gate().await;
        let mut inner = self.lock();
        let c = inner
            .connectors
            .get_mut(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        if c.target != TargetState::Stopped {
            return Err(HerderError::not_stopped(name));
        }
        c.offsets.offsets.clear();
        Ok(Message {
            message: "The offsets for this connector have been reset successfully".to_owned(),
        })
    }

    /// The leader's checks of `DistributedHerder.fenceZombieSourceTasks`; with no exactly-once
    /// source support there is never a fencing to do.
    async fn fence_zombie_source_tasks(
        &self,
        name: &str,
        body: &[u8],
        signature: Option<SignatureHeaders>,
    ) -> Result<(), HerderError> {
        self.gate().await;
        let inner = self.lock();
        if let Some(key) = &inner.session_key {
            KeySettings::default().verify(Some(key), body, signature.as_ref())?;
        }
        let c = inner
            .connectors
            .get(name)
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        if c.connector_type != ConnectorType::Source {
            return Err(HerderError::not_a_source_connector(name));
        }
        Ok(())
    }

    fn plugins(&self, connectors_only: bool) -> Vec<PluginInfo> {
        let inner = self.lock();
        let rank = |k: &str| match k {
            "sink" => 0,
            "source" => 1,
            "transformation" => 2,
            "predicate" => 3,
            "converter" => 4,
            _ => 5,
        };
        let mut out: Vec<&FakePlugin> = inner
            .plugins
            .iter()
            .filter(|p| !connectors_only || matches!(p.kind.as_str(), "source" | "sink"))
            .collect();
        out.sort_by(|a, b| (rank(&a.kind), &a.class).cmp(&(rank(&b.kind), &b.class)));
        out.into_iter()
            .map(|p| PluginInfo {
                class: p.class.clone(),
                plugin_type: p.kind.clone(),
                version: p.version.clone(),
            })
            .collect()
    }

    fn plugin_config(&self, plugin: &str) -> Result<Vec<ConfigKeyInfo>, HerderError> {
        let inner = self.lock();
        let p = inner
            .plugins
            .iter()
            .find(|p| p.matches(plugin))
            .ok_or_else(|| HerderError::unknown_plugin(plugin))?;
        Ok(p.required
            .iter()
            .map(|k| key(k, "STRING", true, None, "", None, -1, "NONE", k))
            .collect())
    }

    async fn validate_connector_config(&self, config: Props) -> Result<ConfigInfos, HerderError> {
        self.gate().await;
        Self::validate(&self.lock(), &config)
    }
}

impl FakeHerder {
    async fn set_target(&self, name: &str, target: TargetState) -> Result<(), HerderError> {
        self.gate().await;
        let mut inner = self.lock();
        let c = inner
            .connectors
            .get_mut(name)
            .ok_or_else(|| HerderError::unknown_connector(name))?;
        c.target = target;
        if target == TargetState::Stopped {
            c.tasks.clear();
        } else if c.tasks.is_empty()
            && let Some(plugin) = inner
                .plugins
                .iter()
                .find(|p| p.matches(&inner.connectors[name].config["connector.class"]))
                .cloned()
        {
            let c = inner.connectors.get_mut(name).expect("present");
            c.tasks = Self::tasks_for(&plugin, &c.config);
        }
        let c = inner.connectors.get_mut(name).expect("present");
        c.status = Some(Self::running_status(name, c));
        Ok(())
    }
}

/// In-memory log levels with log4j's level names.
#[derive(Debug)]
pub struct FakeLoggers {
    levels: Mutex<BTreeMap<String, LoggerLevel>>,
    clock: AtomicI64,
}

impl Default for FakeLoggers {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeLoggers {
    /// `root` at INFO and `org.apache.kafka.connect` plus a child with explicit levels.
    pub fn new() -> Self {
        let mut levels = BTreeMap::new();
        levels.insert(
            "root".to_owned(),
            LoggerLevel {
                level: "INFO".to_owned(),
                last_modified: None,
            },
        );
        levels.insert(
            "org.apache.kafka.connect".to_owned(),
            LoggerLevel {
                level: "INFO".to_owned(),
                last_modified: None,
            },
        );
        levels.insert(
            "org.apache.kafka.connect.runtime.Worker".to_owned(),
            LoggerLevel {
                level: "INFO".to_owned(),
                last_modified: None,
            },
        );
        Self {
            levels: Mutex::new(levels),
            clock: AtomicI64::new(1_696_000_000_000),
        }
    }
}

impl Loggers for FakeLoggers {
    fn levels(&self) -> BTreeMap<String, LoggerLevel> {
        self.levels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn level(&self, name: &str) -> Option<LoggerLevel> {
        self.levels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    fn set_level(&self, name: &str, level: &str) -> Result<Vec<String>, String> {
        let upper = level.to_uppercase();
        if !matches!(
            upper.as_str(),
            "ALL" | "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL" | "OFF"
        ) {
            return Err(format!("invalid log level '{level}'."));
        }
        let now = self.clock.fetch_add(1, Ordering::SeqCst);
        let mut levels = self
            .levels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let prefix = format!("{name}.");
        let mut affected: Vec<String> = levels
            .keys()
            .filter(|k| *k == name || k.starts_with(&prefix) || name == "root")
            .cloned()
            .collect();
        if !affected.iter().any(|k| k == name) {
            affected.push(name.to_owned());
        }
        for k in &affected {
            levels.insert(
                k.clone(),
                LoggerLevel {
                    level: upper.clone(),
                    last_modified: Some(now),
                },
            );
        }
        affected.sort();
        Ok(affected)
    }
}

/// An [`AppState`] over a fresh [`FakeHerder`] and [`FakeLoggers`], advertised at
/// `http://localhost:8083`; the fakes are returned for inspection.
pub fn state() -> (AppState, Arc<FakeHerder>, Arc<FakeLoggers>) {
    let herder = Arc::new(FakeHerder::new());
    let loggers = Arc::new(FakeLoggers::new());
    let state = AppState::new(herder.clone(), loggers.clone(), "http://localhost:8083");
    (state, herder, loggers)
}
