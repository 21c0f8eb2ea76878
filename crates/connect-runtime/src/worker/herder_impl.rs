//! The [`Herder`] methods the REST layer calls.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::{ConfigDef, ConfigInfos, ConfigKeyInfo, ConfigReport};
use connect_api::{PluginKind, Props, SourceOffset, SourcePartition, TopicPartition};
use connect_storage::{State as StoreState, TargetState as StoreTarget};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use serde_json::{Map, Value as Json};
use tokio::sync::oneshot;

use super::{Command, KAFKA_VERSION, WorkerHerder, java_map};
use crate::connector_config::framework_def;
use crate::entities::{
    ConnectorInfo, ConnectorOffset, ConnectorOffsets, ConnectorState, ConnectorStateInfo,
    ConnectorTaskId, ConnectorType, Health, Message, PluginInfo, ServerInfo, State, TargetState,
    TaskInfo, TaskProgressInfo, TaskState, Upserted,
};
use crate::herder::{Herder, HerderError};
use crate::registry::DynConnectorPlugin;

fn store_err(e: impl std::fmt::Display) -> HerderError {
    HerderError::internal(e.to_string())
}

fn to_store_target(t: TargetState) -> StoreTarget {
    match t {
        TargetState::Started => StoreTarget::Started,
        TargetState::Paused => StoreTarget::Paused,
        TargetState::Stopped => StoreTarget::Stopped,
    }
}

fn to_state(s: StoreState) -> State {
    match s {
        StoreState::Unassigned => State::Unassigned,
        StoreState::Running => State::Running,
        StoreState::Paused => State::Paused,
        StoreState::Failed => State::Failed,
        StoreState::Restarting => State::Restarting,
        StoreState::Stopped => State::Stopped,
        StoreState::Destroyed => State::Destroyed,
    }
}

impl WorkerHerder {
    fn plugin_for(&self, config: &Props) -> Option<&std::sync::Arc<dyn DynConnectorPlugin>> {
        config
            .get("connector.class")
            .and_then(|c| self.inner.registry.connector(c))
    }

    fn connector_type(&self, config: &Props) -> ConnectorType {
        match self.plugin_for(config).map(|p| p.descriptor().kind) {
            Some(PluginKind::Source) => ConnectorType::Source,
            Some(PluginKind::Sink) => ConnectorType::Sink,
            _ => ConnectorType::Unknown,
        }
    }

    /// Full validation of a submitted config, on its values with `${provider:…}` placeholders
    /// resolved (as Kafka's `validateConnectorConfig` does). Unlike Kafka, the answer shows a
    /// key whose value holds a placeholder with the placeholder, never the secret.
    async fn validate(&self, config: &Props) -> Result<ConfigInfos, HerderError> {
        let name = config.get("name").map_or("", String::as_str);
        let resolved = self
            .resolve_config(name, config)
            .map_err(|e| HerderError::internal(e.to_string()))?;
        let mut infos = self.validate_resolved(&resolved).await?;
        let raw_keys = crate::config_providers::keys_with_variable_values(config);
        for info in &mut infos.configs {
            if let Some(v) = info.value.as_mut()
                && raw_keys.contains(v.name.as_str())
            {
                v.value = config.get(&v.name).cloned();
            }
        }
        Ok(infos)
    }

    /// Full validation: framework keys, the plugin's keys, converter classes, sink topics.
    async fn validate_resolved(&self, config: &Props) -> Result<ConfigInfos, HerderError> {
        let Some(class) = config.get("connector.class") else {
            return Err(HerderError::bad_request(format!(
                "Connector config {} contains no connector type",
                java_map(config)
            )));
        };
        let Some(plugin) = self.inner.registry.connector(class) else {
            return Err(HerderError::internal(
                self.inner.registry.unknown_connector_message(class),
            ));
        };
        let is_source = plugin.descriptor().kind == PluginKind::Source;
        // The framework keys plus each transformation and predicate alias's own keys
        // (`ConnectorConfig.enrich`), validated together.
        let (fw_def, alias_errors) =
            crate::transforms::enrich(&self.inner.registry, framework_def(is_source), config);
        let mut report = fw_def.parse(config).report;
        report.add_errors(&alias_errors);
        for key in ["key.converter", "value.converter", "header.converter"] {
            if let Some(c) = config.get(key).filter(|c| !c.trim().is_empty())
                && self.inner.registry.converter(c).is_none()
            {
                let mut e = connect_api::FieldErrors::new();
                e.push(
                    key,
                    format!(
                        "Invalid value {c} for configuration {key}: Class {c} could not be found."
                    ),
                );
                report.add_errors(&e);
            }
        }
        if !is_source {
            let topics = config.get("topics").is_some_and(|t| !t.trim().is_empty());
            let regex = config
                .get("topics.regex")
                .is_some_and(|t| !t.trim().is_empty());
            let mut e = connect_api::FieldErrors::new();
            if topics && regex {
                let msg =
                    "topics and topics.regex are mutually exclusive options, but both are set.";
                e.push("topics", msg);
                e.push("topics.regex", msg);
            } else if !topics && !regex {
                let msg = "Must configure one of topics or topics.regex";
                e.push("topics", msg);
                e.push("topics.regex", msg);
            }
            if let Some(re) = config.get("topics.regex").filter(|r| !r.trim().is_empty())
                && regex::Regex::new(re).is_err()
            {
                e.push("topics.regex", format!("Invalid value {re} for configuration topics.regex: Must be a valid regular expression"));
            }
            report.add_errors(&e);
        }
        // Settings Sluice cannot honour, and overrides the worker's policy forbids.
        report.add_errors(&crate::unsupported::check_connector(config, is_source).errors);
        report.add_errors(
            &self
                .inner
                .settings
                .client_config_override_policy
                .validate(config, is_source),
        );
        let plugin_report = plugin.validate(config).await;
        let mut merged = ConfigReport::default();
        merged.extend(report);
        for v in plugin_report.values {
            if fw_def.key(&v.name).is_none() {
                merged.values.push(v);
            }
        }
        let def: ConfigDef = fw_def.merged_with(plugin.config_def_for(config));
        Ok(ConfigInfos::new(class.clone(), &def, &merged))
    }

    async fn command(&self, cmd: Command, rx: oneshot::Receiver<()>) {
        if self.inner.commands.send(cmd).await.is_ok()
            && tokio::time::timeout(Duration::from_secs(60), rx)
                .await
                .is_err()
        {
            tracing::warn!("The worker did not confirm a restart within 60 s.");
        }
    }

    fn require_connector(
        &self,
        stores: &super::Stores,
        name: &str,
        err: fn(&str) -> HerderError,
    ) -> Result<Props, HerderError> {
        stores
            .config
            .snapshot()
            .connectors
            .get(name)
            .cloned()
            .ok_or_else(|| err(name))
    }

    /// Validates and writes one connector config; the caller holds `config_writes`.
    async fn upsert(
        &self,
        stores: &super::Stores,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> Result<Upserted, HerderError> {
        let infos = self.validate(&config).await?;
        if infos.error_count > 0 {
            let errors: Vec<String> = infos
                .configs
                .iter()
                .filter_map(|c| c.value.as_ref())
                .flat_map(|v| v.errors.iter().cloned())
                .collect();
            return Err(HerderError::invalid_config(&errors));
        }
        self.require_leader("Only the leader can set connector configs.")
            .await?;
        let existed = stores.config.snapshot().contains(name);
        if existed && !allow_replace {
            return Err(HerderError::already_exists(name));
        }
        let target = if existed {
            None
        } else {
            initial_state.map(to_store_target)
        };
        stores
            .config
            .put_connector_config(name, &config, target)
            .await
            .map_err(store_err)?;
        let snap = stores.config.snapshot();
        let tasks = if existed {
            (0..snap.tasks(name).len())
                .map(|i| ConnectorTaskId {
                    connector: name.to_owned(),
                    task: u32::try_from(i).unwrap_or(u32::MAX),
                })
                .collect()
        } else {
            Vec::new()
        };
        let connector_type = self.connector_type(&config);
        Ok(Upserted {
            created: !existed,
            info: ConnectorInfo {
                name: name.to_owned(),
                config,
                tasks,
                connector_type,
            },
        })
    }

    async fn sink_group_offsets(
        &self,
        name: &str,
        config: &Props,
    ) -> Result<Vec<(TopicPartition, i64)>, HerderError> {
        let consumer_config = self.sink_consumer_config(name, config);
        let topics: Vec<String> = config
            .get("topics")
            .map(|t| {
                t.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let regex = config
            .get("topics.regex")
            .filter(|r| !r.trim().is_empty())
            .and_then(|r| regex::Regex::new(&format!("^(?:{r})$")).ok());
        tokio::task::spawn_blocking(move || {
            let consumer: BaseConsumer = consumer_config.create().map_err(store_err)?;
            let md = consumer
                .fetch_metadata(None, Duration::from_secs(10))
                .map_err(store_err)?;
            let mut tpl = TopicPartitionList::new();
            for t in md.topics() {
                let wanted = topics.iter().any(|x| x == t.name())
                    || regex.as_ref().is_some_and(|r| r.is_match(t.name()));
                if wanted {
                    for p in t.partitions() {
                        tpl.add_partition(t.name(), p.id());
                    }
                }
            }
            if tpl.count() == 0 {
                return Ok(Vec::new());
            }
            let committed = consumer
                .committed_offsets(tpl, Duration::from_secs(10))
                .map_err(store_err)?;
            Ok(committed
                .elements()
                .iter()
                .filter_map(|e| match e.offset() {
                    Offset::Offset(o) => Some((TopicPartition::new(e.topic(), e.partition()), o)),
                    _ => None,
                })
                .collect())
        })
        .await
        .map_err(store_err)?
    }
}

fn sink_partition(p: &Map<String, Json>) -> Result<TopicPartition, HerderError> {
    let topic = p.get("kafka_topic").and_then(Json::as_str);
    let partition = p
        .get("kafka_partition")
        .and_then(Json::as_i64)
        .and_then(|v| i32::try_from(v).ok());
    match (topic, partition) {
        (Some(t), Some(p)) => Ok(TopicPartition::new(t, p)),
        _ => Err(HerderError::bad_request(
            "Failed to alter offsets: partitions must contain the keys kafka_topic (string) and kafka_partition (integer)",
        )),
    }
}

#[async_trait]
impl Herder for WorkerHerder {
    async fn server_info(&self) -> ServerInfo {
        ServerInfo {
            version: KAFKA_VERSION.to_owned(),
            commit: self.inner.settings.commit.clone(),
            kafka_cluster_id: self.inner.cluster_id.get().cloned(),
        }
    }

    async fn health(&self) -> Health {
        if self.inner.stores.get().is_none() {
            let why = self.inner.broker_error.lock().ok().and_then(|b| b.clone());
            let mut msg = format!(
                "The worker is currently initializing and reading to the end of internal topics, which began at {}.",
                self.inner.started_at
            );
            if let Some(w) = why {
                msg.push_str(&format!(" Last error: {w}"));
            }
            return Health::Starting(msg);
        }
        if let Some(h) = self.cluster_health() {
            return h;
        }
        match self.inner.broker_error.lock().ok().and_then(|b| b.clone()) {
            Some(e) => Health::Unhealthy(e),
            None => Health::Healthy,
        }
    }

    async fn connectors(&self) -> Result<Vec<String>, HerderError> {
        let stores = self.stores().await?;
        Ok(stores
            .config
            .snapshot()
            .connectors
            .keys()
            .cloned()
            .collect())
    }

    async fn connector_info(&self, name: &str) -> Result<ConnectorInfo, HerderError> {
        let stores = self.stores().await?;
        let snap = stores.config.snapshot();
        let config = snap
            .connectors
            .get(name)
            .cloned()
            .ok_or_else(|| HerderError::connector_not_found(name))?;
        let tasks = (0..snap.tasks(name).len())
            .map(|i| ConnectorTaskId {
                connector: name.to_owned(),
                task: u32::try_from(i).unwrap_or(u32::MAX),
            })
            .collect();
        let connector_type = self.connector_type(&config);
        Ok(ConnectorInfo {
            name: name.to_owned(),
            config,
            tasks,
            connector_type,
        })
    }

    async fn connector_config(&self, name: &str) -> Result<Props, HerderError> {
        let stores = self.stores().await?;
        self.require_connector(stores, name, HerderError::connector_not_found)
    }

    async fn put_connector_config(
        &self,
        name: &str,
        config: Props,
        allow_replace: bool,
        initial_state: Option<TargetState>,
    ) -> Result<Upserted, HerderError> {
        let stores = self.stores().await?;
        let _ordered = self.inner.config_writes.lock().await;
        self.upsert(stores, name, config, allow_replace, initial_state)
            .await
    }

    async fn patch_connector_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> Result<ConnectorInfo, HerderError> {
        let stores = self.stores().await?;
        self.require_leader("Only the leader can set connector configs.")
            .await?;
        // Read-modify-write under the write order, so concurrent patches all apply.
        let _ordered = self.inner.config_writes.lock().await;
        let mut config = self.require_connector(stores, name, HerderError::connector_not_found)?;
        for (k, v) in patch {
            match v {
                Some(v) => config.insert(k, v),
                None => config.remove(&k),
            };
        }
        Ok(self.upsert(stores, name, config, true, None).await?.info)
    }

    async fn delete_connector(&self, name: &str) -> Result<(), HerderError> {
        let stores = self.stores().await?;
        self.require_leader("Only the leader can delete connector configs.")
            .await?;
        self.require_connector(stores, name, HerderError::connector_not_found)?;
        stores
            .config
            .remove_connector(name)
            .await
            .map_err(store_err)
    }

    async fn connector_status(&self, name: &str) -> Result<ConnectorStateInfo, HerderError> {
        let stores = self.stores().await?;
        let status = stores
            .status
            .get_connector(name)
            .ok_or_else(|| HerderError::no_connector_status(name))?;
        let snap = stores.config.snapshot();
        let config = snap.connectors.get(name).cloned().unwrap_or_default();
        let n = snap.tasks(name).len();
        let tasks = stores
            .status
            .tasks_of(name)
            .into_iter()
            .filter(|(id, s)| (*id as usize) < n && s.state != StoreState::Destroyed)
            .map(|(id, s)| TaskState {
                id,
                state: to_state(s.state),
                worker_id: s.worker_id,
                trace: s.trace.filter(|t| !t.is_empty()),
            })
            .collect();
        Ok(ConnectorStateInfo {
            name: name.to_owned(),
            connector: ConnectorState {
                state: to_state(status.state),
                worker_id: status.worker_id,
                trace: status.trace.filter(|t| !t.is_empty()),
            },
            tasks,
            connector_type: self.connector_type(&config),
        })
    }

    async fn task_status(&self, name: &str, task: u32) -> Result<TaskState, HerderError> {
        let stores = self.stores().await?;
        let s = stores
            .status
            .get_task(name, task)
            .ok_or_else(|| HerderError::no_task_status(name, task))?;
        Ok(TaskState {
            id: task,
            state: to_state(s.state),
            worker_id: s.worker_id,
            trace: s.trace.filter(|t| !t.is_empty()),
        })
    }

    async fn metrics(&self, names: crate::metrics::Names) -> String {
        self.scrape_metrics(names).await
    }

    async fn task_progress(&self, name: &str, task: u32) -> Result<TaskProgressInfo, HerderError> {
        let status = self.task_status(name, task).await?;
        // Only runs on this worker have an entry: a task another worker of the cluster runs (or
        // ran) shows its status without progress.
        let latest = self
            .inner
            .progress
            .get(&(name.to_owned(), task))
            .and_then(|p| p.get());
        let (progress, reported_at_ms) = match latest {
            Some(r) => (Some(r.progress), Some(r.reported_at_ms)),
            None => (None, None),
        };
        Ok(TaskProgressInfo {
            id: status.id,
            worker_id: status.worker_id,
            state: status.state,
            progress,
            reported_at_ms,
        })
    }

    async fn task_configs(&self, name: &str) -> Result<Vec<TaskInfo>, HerderError> {
        let stores = self.stores().await?;
        let snap = stores.config.snapshot();
        if !snap.contains(name) {
            return Err(HerderError::connector_not_found(name));
        }
        Ok(snap
            .tasks(name)
            .iter()
            .enumerate()
            .map(|(i, c)| TaskInfo {
                id: ConnectorTaskId {
                    connector: name.to_owned(),
                    task: u32::try_from(i).unwrap_or(u32::MAX),
                },
                config: c.clone(),
            })
            .collect())
    }

    async fn restart_connector(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStateInfo>, HerderError> {
        let stores = self.stores().await?;
        self.require_connector(stores, name, HerderError::unknown_connector_colon)?;
        if !include_tasks && !only_failed {
            self.require_owner(name, None).await?;
            let (tx, rx) = oneshot::channel();
            self.command(Command::RestartConnector(name.to_owned(), tx), rx)
                .await;
            return Ok(None);
        }
        self.require_leader("Only the leader can process restart requests.")
            .await?;
        let mut plan = self
            .connector_status(name)
            .await
            .map_err(|_| HerderError::restart_status_not_found(name))?;
        if !only_failed || plan.connector.state == State::Failed {
            plan.connector.state = State::Restarting;
            plan.connector.trace = None;
        }
        if include_tasks {
            for t in &mut plan.tasks {
                if !only_failed || t.state == State::Failed {
                    t.state = State::Restarting;
                    t.trace = None;
                }
            }
        }
        stores
            .config
            .put_restart_request(name, include_tasks, only_failed)
            .await
            .map_err(store_err)?;
        Ok(Some(plan))
    }

    async fn restart_task(&self, name: &str, task: u32) -> Result<(), HerderError> {
        let stores = self.stores().await?;
        self.require_connector(stores, name, HerderError::unknown_connector_colon)?;
        if task as usize >= stores.config.snapshot().tasks(name).len() {
            return Err(HerderError::unknown_task(name, task));
        }
        self.require_owner(name, Some(task)).await?;
        let (tx, rx) = oneshot::channel();
        self.command(Command::RestartTask(name.to_owned(), task, tx), rx)
            .await;
        Ok(())
    }

    async fn pause_connector(&self, name: &str) -> Result<(), HerderError> {
        let stores = self.stores().await?;
        self.require_connector(stores, name, HerderError::unknown_connector)?;
        stores
            .config
            .put_target_state(name, StoreTarget::Paused)
            .await
            .map_err(store_err)
    }

    async fn resume_connector(&self, name: &str) -> Result<(), HerderError> {
        let stores = self.stores().await?;
        self.require_connector(stores, name, HerderError::unknown_connector)?;
        stores
            .config
            .put_target_state(name, StoreTarget::Started)
            .await
            .map_err(store_err)
    }

    async fn stop_connector(&self, name: &str) -> Result<(), HerderError> {
        let stores = self.stores().await?;
        self.require_connector(stores, name, HerderError::unknown_connector)?;
        self.require_leader("Only the leader can transition connectors to the STOPPED state.")
            .await?;
        // Kafka's order: an empty task set first, then the STOPPED target state.
        stores
            .config
            .put_task_configs(name, &[])
            .await
            .map_err(store_err)?;
        stores
            .config
            .put_target_state(name, StoreTarget::Stopped)
            .await
            .map_err(store_err)
    }

    async fn connector_topics(&self, name: &str) -> Result<Vec<String>, HerderError> {
        if !self.inner.settings.topic_tracking {
            return Err(HerderError::new(
                crate::HerderErrorKind::Forbidden,
                "Topic tracking is disabled.",
            ));
        }
        let stores = self.stores().await?;
        Ok(stores
            .status
            .topics_of(name)
            .into_iter()
            .map(|t| t.topic)
            .collect())
    }

    async fn reset_connector_topics(&self, name: &str) -> Result<(), HerderError> {
        if !self.inner.settings.topic_tracking {
            return Err(HerderError::new(
                crate::HerderErrorKind::Forbidden,
                "Topic tracking is disabled.",
            ));
        }
        if !self.inner.settings.topic_tracking_allow_reset {
            return Err(HerderError::new(
                crate::HerderErrorKind::Forbidden,
                "Topic tracking reset is disabled.",
            ));
        }
        let stores = self.stores().await?;
        stores.status.delete_topics(name).await.map_err(store_err)
    }

    async fn connector_offsets(&self, name: &str) -> Result<ConnectorOffsets, HerderError> {
        let stores = self.stores().await?;
        let config = self.require_connector(stores, name, HerderError::connector_not_found)?;
        let offsets = match self.connector_type(&config) {
            ConnectorType::Sink => self
                .sink_group_offsets(name, &config)
                .await?
                .into_iter()
                .map(|(tp, off)| {
                    let mut p = Map::new();
                    p.insert("kafka_topic".into(), Json::from(tp.topic));
                    p.insert("kafka_partition".into(), Json::from(tp.partition));
                    let mut o = Map::new();
                    o.insert("kafka_offset".into(), Json::from(off));
                    ConnectorOffset {
                        partition: p,
                        offset: Some(o),
                    }
                })
                .collect(),
            _ => stores
                .offsets
                .all_for(name)
                .await
                .map_err(store_err)?
                .into_iter()
                .map(|(p, o)| ConnectorOffset {
                    partition: p.into_map(),
                    offset: Some(o.0),
                })
                .collect(),
        };
        Ok(ConnectorOffsets { offsets })
    }

    async fn alter_connector_offsets(
        &self,
        name: &str,
        offsets: ConnectorOffsets,
    ) -> Result<Message, HerderError> {
        let stores = self.stores().await?;
        self.require_leader("Only the leader can process external offsets modification requests")
            .await?;
        let config = self.require_connector(stores, name, HerderError::connector_not_found)?;
        if offsets.offsets.is_empty() {
            return Err(HerderError::bad_request(
                "Partitions / offsets need to be provided for an alter offsets request",
            ));
        }
        if stores.config.snapshot().target_state(name) != Some(StoreTarget::Stopped) {
            return Err(HerderError::not_stopped(name));
        }
        let plugin = self.plugin_for(&config).cloned().ok_or_else(|| {
            HerderError::internal(self.inner.registry.unknown_connector_message(
                config.get("connector.class").map_or("", String::as_str),
            ))
        })?;
        let managed = if plugin.descriptor().kind == PluginKind::Sink {
            let mut parsed = Vec::new();
            for o in &offsets.offsets {
                let tp = sink_partition(&o.partition)?;
                let off = match &o.offset {
                    None => None,
                    Some(m) => Some(m.get("kafka_offset").and_then(Json::as_i64).filter(|v| *v >= 0).ok_or_else(|| {
                        HerderError::bad_request("Failed to alter offsets: offsets must contain the key kafka_offset (non-negative integer)")
                    })?),
                };
                parsed.push((tp, off));
            }
            let ok = plugin
                .alter_sink_offsets(&config, &parsed)
                .map_err(|e| HerderError::bad_request(e.to_string()))?;
            let consumer_config = self.sink_consumer_config(name, &config);
            tokio::task::spawn_blocking(move || {
                let consumer: BaseConsumer = consumer_config.create().map_err(store_err)?;
                let mut tpl = TopicPartitionList::new();
                for (tp, off) in &parsed {
                    // A null offset resets the partition: with `auto.offset.reset=earliest` a
                    // commit at the beginning is what a deleted offset amounts to.
                    let o = off.map_or(Offset::Beginning, Offset::Offset);
                    tpl.add_partition_offset(&tp.topic, tp.partition, o)
                        .map_err(store_err)?;
                }
                consumer
                    .commit(&tpl, rdkafka::consumer::CommitMode::Sync)
                    .map_err(store_err)
            })
            .await
            .map_err(store_err)??;
            ok
        } else {
            let parsed: Vec<(SourcePartition, Option<SourceOffset>)> = offsets
                .offsets
                .iter()
                .map(|o| {
                    (
                        SourcePartition::new(o.partition.clone()),
                        o.offset.clone().map(SourceOffset),
                    )
                })
                .collect();
            let ok = plugin
                .alter_source_offsets(&config, &parsed)
                .map_err(|e| HerderError::bad_request(e.to_string()))?;
            stores
                .offsets
                .put_batch(name, parsed)
                .await
                .map_err(store_err)?;
            ok
        };
        Ok(Message {
            message: if managed {
                "The offsets for this connector have been altered successfully".to_owned()
            } else {
                "The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses.".to_owned()
            },
        })
    }

    async fn reset_connector_offsets(&self, name: &str) -> Result<Message, HerderError> {
        let stores = self.stores().await?;
        self.require_leader("Only the leader can process external offsets modification requests")
            .await?;
        let config = self.require_connector(stores, name, HerderError::connector_not_found)?;
        if stores.config.snapshot().target_state(name) != Some(StoreTarget::Stopped) {
            return Err(HerderError::not_stopped(name));
        }
        if self.connector_type(&config) == ConnectorType::Sink {
            let group = format!("connect-{name}");
            let opts = rdkafka::admin::AdminOptions::new();
            let r = self
                .inner
                .clients
                .admin()
                .delete_groups(&[group.as_str()], &opts)
                .await
                .map_err(store_err)?;
            for g in r {
                if let Err((_, code)) = g
                    && code != rdkafka::types::RDKafkaErrorCode::GroupIdNotFound
                {
                    return Err(HerderError::internal(format!(
                        "Failed to reset offsets: {code}"
                    )));
                }
            }
        } else {
            let all = stores.offsets.all_for(name).await.map_err(store_err)?;
            let tombstones = all.into_iter().map(|(p, _)| (p, None)).collect();
            stores
                .offsets
                .put_batch(name, tombstones)
                .await
                .map_err(store_err)?;
        }
        Ok(Message {
            message: "The offsets for this connector have been reset successfully".to_owned(),
        })
    }

    async fn put_task_configs(
        &self,
        name: &str,
        body: &[u8],
        configs: Option<Vec<Props>>,
        signature: Option<crate::herder::SignatureHeaders>,
    ) -> Result<(), HerderError> {
        self.put_task_configs_signed(name, body, configs, signature)
            .await
    }

    /// `DistributedHerder.fenceZombieSourceTasks`: the signature checks, then the leader
    /// answers for a source connector it has.
    async fn fence_zombie_source_tasks(
        &self,
        name: &str,
        body: &[u8],
        signature: Option<crate::herder::SignatureHeaders>,
    ) -> Result<(), HerderError> {
        let stores = self.stores().await?;
        if self.inner.cluster.get().is_none() {
            return Err(HerderError::fencing_in_standalone_mode());
        }
        self.verify_internal_request(stores, body, signature.as_ref())?;
        self.require_leader("Only the leader may perform zombie fencing.")
            .await?;
        let config = self.require_connector(stores, name, HerderError::connector_not_found)?;
        if self.connector_type(&config) != ConnectorType::Source {
            return Err(HerderError::not_a_source_connector(name));
        }
        // Kafka's leader goes on when the connector's latest task configs are newer than its
        // latest task count record (`pendingFencing`, which the config store tracks whatever
        // `exactly.once.source.support` says): it fences out the transactional producers of
        // the older task generations, or only writes a new count record. Sluice refuses
        // `exactly.once.source.support=enabled`, so none of its tasks ever has a transactional
        // producer to fence and nothing reads count records (the config store skips them):
        // there is nothing to fence, and the answer is the success Kafka gives once it has
        // fenced. Unlike Kafka's leader, no count record is written.
        Ok(())
    }

    fn plugins(&self, connectors_only: bool) -> Vec<PluginInfo> {
        let reg = &self.inner.registry;
        let mut rows: Vec<(PluginKind, &str, &str)> = reg
            .connectors()
            .iter()
            .map(|p| {
                (
                    p.descriptor().kind,
                    p.descriptor().class,
                    p.descriptor().version,
                )
            })
            .collect();
        if !connectors_only {
            let descriptors = reg
                .converters()
                .iter()
                .map(|p| *p.descriptor())
                .chain(reg.transformations().iter().map(|p| *p.descriptor()))
                .chain(reg.predicates().iter().map(|p| *p.descriptor()));
            rows.extend(descriptors.map(|d| (d.kind, d.class, d.version)));
        }
        rows.sort();
        rows.into_iter()
            .map(|(kind, class, version)| PluginInfo {
                class: class.to_owned(),
                plugin_type: kind.as_str().to_owned(),
                version: (version != "undefined").then(|| version.to_owned()),
            })
            .collect()
    }

    fn plugin_config(&self, plugin: &str) -> Result<Vec<ConfigKeyInfo>, HerderError> {
        let reg = &self.inner.registry;
        if let Some(p) = reg.connector(plugin) {
            let fw = framework_def(p.descriptor().kind == PluginKind::Source);
            // The plugin's own keys first, then framework keys it does not override.
            return Ok(p.config_def().merged_with(fw).key_infos());
        }
        if let Some(c) = reg.converter(plugin) {
            return Ok(c.config_def().key_infos());
        }
        if let Some(t) = reg.transformation(plugin) {
            return Ok(t.config_def().key_infos());
        }
        if let Some(p) = reg.predicate(plugin) {
            return Ok(p.config_def().key_infos());
        }
        Err(HerderError::unknown_plugin(plugin))
    }

    async fn validate_connector_config(&self, config: Props) -> Result<ConfigInfos, HerderError> {
        self.validate(&config).await
    }
}
