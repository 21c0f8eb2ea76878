//! The reconcile loop.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use connect_api::connector::ConnectorContext;
use connect_api::{
    ConnectError, OffsetStorageReader, PluginKind, Props, SinkTaskContext, SourceOffset,
    SourcePartition, SourceTaskContext,
};
use connect_storage::{
    ClusterConfigState, ConfigStore, OffsetStore, State, StatusStore, TargetState,
};
use tokio::sync::{mpsc, watch};

use super::cluster::Owned;
use super::{Command, ConnectorSlot, LoopHost, TaskSlot, WorkerHerder, task_class};
use crate::connector_config::{FrameworkConfig, framework_def};
use crate::metrics::TaskKind;
use crate::task::sink::{SinkHost, SinkRunner};
use crate::task::source::SourceRunner;
use crate::task::{
    ErrorPolicy, HostSignals, LatestProgress, StatusQueue, StatusReporter, TaskConverters, TaskExit,
};
use crate::topic_creation::TopicCreation;
use crate::transforms::TransformChain;

/// The three state stores.
#[derive(Debug, Clone)]
pub struct Stores {
    pub config: Arc<dyn ConfigStore>,
    pub offsets: Arc<dyn OffsetStore>,
    pub status: Arc<dyn StatusStore>,
}

/// Reads source offsets for tasks.
#[derive(Debug)]
struct OffsetReader {
    connector: String,
    store: Arc<dyn OffsetStore>,
}

#[async_trait]
impl OffsetStorageReader for OffsetReader {
    async fn offsets(
        &self,
        partitions: &[SourcePartition],
    ) -> Result<Vec<(SourcePartition, SourceOffset)>, ConnectError> {
        self.store
            .get(&self.connector, partitions)
            .await
            .map_err(|e| ConnectError::retriable_with("could not read source offsets", e))
    }
}

pub(super) struct Reconciler {
    herder: WorkerHerder,
    stores: Stores,
    connectors: HashMap<String, ConnectorSlot>,
    /// The last restart request served, per connector.
    restart_seq: HashMap<String, i64>,
    reporter: StatusReporter,
    /// What this worker is to run (everything, or its group assignment).
    ownership: watch::Receiver<Owned>,
    /// Every status write of this loop and of its tasks goes through it (`stores.status` is
    /// this queue), so stopping work never waits for a status write the broker cannot take.
    status_queue: Arc<StatusQueue>,
}

impl Reconciler {
    pub(super) fn new(herder: WorkerHerder, mut stores: Stores) -> Self {
        let status_queue = StatusQueue::start(stores.status.clone());
        stores.status = status_queue.clone();
        let reporter = StatusReporter {
            store: stores.status.clone(),
            worker_id: herder.inner.settings.worker_id.clone(),
            generation: herder.inner.generation.clone(),
        };
        let ownership = herder.ownership();
        // Requests already in the log at start-up are not served again (Kafka ignores them too).
        let restart_seq = stores
            .config
            .snapshot()
            .restart_requests
            .iter()
            .map(|(k, r)| (k.clone(), r.seq))
            .collect();
        Self {
            herder,
            stores,
            connectors: HashMap::new(),
            restart_seq,
            reporter,
            ownership,
            status_queue,
        }
    }

    pub(super) async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut snapshots = self.stores.config.subscribe();
        let cancel = self.herder.inner.cancel.clone();
        // A periodic pass notices tasks that ended by themselves.
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        let mut ownership = self.ownership.clone();
        loop {
            let snapshot = snapshots.borrow_and_update().clone();
            ownership.mark_unchanged();
            self.reconcile(&snapshot).await;
            self.yield_to_newer_generations().await;
            tokio::select! {
                () = cancel.cancelled() => break,
                r = snapshots.changed() => if r.is_err() { break },
                r = ownership.changed() => if r.is_err() { break },
                _ = tick.tick() => {}
                Some(cmd) = commands.recv() => self.command(cmd).await,
            }
        }
        self.shutdown().await;
    }

    async fn shutdown(&mut self) {
        let names: Vec<String> = self.connectors.keys().cloned().collect();
        for name in names {
            if let Some(mut slot) = self.connectors.remove(&name) {
                self.stop_tasks(&name, &mut slot, false).await;
                self.stop_instance(&name, &mut slot).await;
                if slot.owns_connector {
                    self.reporter
                        .connector(&name, State::Unassigned, None)
                        .await;
                }
            }
        }
        // The UNASSIGNED statuses were queued; they go out before the worker ends, as Kafka's
        // status store flushes its producer when it stops.
        self.status_queue.flush().await;
    }

    async fn command(&mut self, cmd: Command) {
        match cmd {
            Command::RestartConnector(name, reply) => {
                self.restart(&name, true, false, false).await;
                reply.send(()).ok();
            }
            Command::RestartTask(name, id, reply) => {
                if let Some(mut slot) = self.connectors.remove(&name) {
                    if let Some(t) = slot.tasks.remove(&id) {
                        self.stop_task(&name, id, t).await;
                    }
                    self.connectors.insert(name.clone(), slot);
                }
                reply.send(()).ok();
            }
            Command::Reconfigure(name) => {
                if let Some(slot) = self.connectors.get_mut(&name) {
                    slot.needs_task_configs = true;
                }
            }
            Command::ConnectorFailed(name, trace) => {
                let Some(slot) = self.connectors.get_mut(&name) else {
                    return;
                };
                if !slot.owns_connector {
                    return;
                }
                slot.failed = true;
                self.reporter
                    .connector(&name, State::Failed, Some(trace))
                    .await;
            }
            Command::Converge(reply) => {
                let snapshot = self.stores.config.snapshot();
                self.reconcile(&snapshot).await;
                self.claim_statuses().await;
                reply.send(()).ok();
            }
        }
    }

    /// After a rebalance, what this worker runs says so: a status another worker wrote for it
    /// (the previous owner's UNASSIGNED, or a worker that ran it while this one was out of the
    /// group) is replaced by this worker's. Kafka writes statuses only on transitions; a group
    /// whose coordinator hands work around while members are out of a generation (tansu) would
    /// otherwise show owners that no longer run it.
    async fn claim_statuses(&mut self) {
        if *self.ownership.borrow() == Owned::Everything {
            return;
        }
        let me = self.reporter.worker_id.clone();
        let names: Vec<String> = self.connectors.keys().cloned().collect();
        for name in names {
            let Some(slot) = self.connectors.get(&name) else {
                continue;
            };
            let state = match slot.target {
                TargetState::Paused => State::Paused,
                TargetState::Stopped => State::Stopped,
                TargetState::Started => State::Running,
            };
            let claim_connector = slot.owns_connector
                && !slot.failed
                && (slot.instance.is_some() || slot.target == TargetState::Stopped)
                && self
                    .stores
                    .status
                    .get_connector(&name)
                    .is_none_or(|s| s.worker_id != me);
            let task_state = if slot.target == TargetState::Paused {
                State::Paused
            } else {
                State::Running
            };
            let tasks: Vec<u32> = slot
                .tasks
                .keys()
                .copied()
                .filter(|&id| {
                    self.stores
                        .status
                        .get_task(&name, id)
                        .is_none_or(|s| s.worker_id != me)
                })
                .collect();
            if claim_connector {
                self.reporter.connector(&name, state, None).await;
            }
            for id in tasks {
                self.reporter.task(&name, id, task_state, None).await;
            }
        }
    }

    /// A connector or task that another worker runs under a newer group generation is not
    /// this worker's any more, whatever its last assignment said: it stops here. This only
    /// happens when a coordinator completed generations without this worker while it still
    /// believed itself a member (Kafka's coordinator waits for every member; tansu's does not),
    /// and it keeps a task from running on two workers for longer than a status takes to
    /// arrive.
    async fn yield_to_newer_generations(&mut self) {
        if *self.ownership.borrow() == Owned::Everything {
            return;
        }
        let me = self.reporter.worker_id.clone();
        let mine = self
            .reporter
            .generation
            .load(std::sync::atomic::Ordering::Relaxed);
        let newer = |s: Option<connect_storage::ConnectorStatus>| {
            s.is_some_and(|s| {
                s.worker_id != me && s.generation > mine && s.state != State::Unassigned
            })
        };
        let mut connectors = Vec::new();
        let mut tasks = Vec::new();
        for (name, slot) in &self.connectors {
            if slot.owns_connector && newer(self.stores.status.get_connector(name)) {
                connectors.push(name.clone());
            }
            for &id in slot.tasks.keys() {
                if newer(self.stores.status.get_task(name, id)) {
                    tasks.push(connect_distributed::ConnectorTaskId {
                        connector: name.clone(),
                        task: id,
                    });
                }
            }
        }
        if connectors.is_empty() && tasks.is_empty() {
            return;
        }
        tracing::warn!(
            ?connectors,
            tasks = ?tasks.iter().map(|t| format!("{}-{}", t.connector, t.task)).collect::<Vec<_>>(),
            generation = mine,
            "Another worker runs these under a newer group generation; stopping them here."
        );
        self.herder
            .inner
            .ownership
            .send_modify(|o| o.revoke(&connectors, &tasks));
        let snapshot = self.stores.config.snapshot();
        self.reconcile(&snapshot).await;
    }

    /// Restarts the connector instance (when `connector`) and its tasks (all with
    /// `include_tasks`; only FAILED ones with `only_failed`).
    async fn restart(
        &mut self,
        name: &str,
        connector: bool,
        include_tasks: bool,
        only_failed: bool,
    ) {
        let Some(mut slot) = self.connectors.remove(name) else {
            return;
        };
        let status = self.stores.status.clone();
        let conn_failed = status
            .get_connector(name)
            .is_some_and(|s| s.state == State::Failed);
        // Each worker restarts what it runs (`doRestartConnectorAndTasks` filters by assignment).
        if connector && slot.owns_connector && (!only_failed || conn_failed) {
            self.reporter.connector(name, State::Restarting, None).await;
            self.stop_instance(name, &mut slot).await;
            slot.failed = false;
            slot.needs_task_configs = true;
        }
        if include_tasks {
            let ids: Vec<u32> = slot.tasks.keys().copied().collect();
            for id in ids {
                let failed = status
                    .get_task(name, id)
                    .is_some_and(|s| s.state == State::Failed);
                if (!only_failed || failed)
                    && let Some(t) = slot.tasks.remove(&id)
                {
                    self.reporter.task(name, id, State::Restarting, None).await;
                    self.stop_task(name, id, t).await;
                }
            }
        }
        self.connectors.insert(name.to_owned(), slot);
    }

    async fn reconcile(&mut self, snapshot: &ClusterConfigState) {
        let owned = self.ownership.borrow().clone();
        // Deleted connectors.
        let gone: Vec<String> = self
            .connectors
            .keys()
            .filter(|n| !snapshot.contains(n))
            .cloned()
            .collect();
        for name in gone {
            let Some(mut slot) = self.connectors.remove(&name) else {
                continue;
            };
            self.stop_tasks(&name, &mut slot, true).await;
            self.stop_instance(&name, &mut slot).await;
            // The connector's statuses go with it; in a group its owner removes them (and the
            // leader catches any left behind after the next rebalance).
            if slot.owns_connector
                && let Err(e) = self.stores.status.delete_connector(&name).await
            {
                tracing::warn!(connector = %name, error = %e, "Could not delete statuses.");
            }
            tracing::info!(connector = %name, "Connector deleted.");
        }
        // Connectors this worker no longer runs any part of (revoked in a rebalance).
        let released: Vec<String> = self
            .connectors
            .keys()
            .filter(|n| snapshot.contains(n) && !owned.any_of(n))
            .cloned()
            .collect();
        for name in released {
            if let Some(mut slot) = self.connectors.remove(&name) {
                self.release(&name, &mut slot).await;
            }
        }
        // Restart requests written by a REST call on any worker.
        for (name, req) in &snapshot.restart_requests {
            if self.restart_seq.get(name).is_some_and(|&s| s >= req.seq) {
                continue;
            }
            self.restart_seq.insert(name.clone(), req.seq);
            self.restart(name, true, req.include_tasks, req.only_failed)
                .await;
        }
        for (name, config) in &snapshot.connectors {
            if !owned.any_of(name) {
                continue;
            }
            let target = snapshot.target_state(name).unwrap_or(TargetState::Started);
            let changed = self
                .connectors
                .get(name)
                .is_none_or(|s| s.config != *config);
            if changed {
                let mut owned_before = false;
                if let Some(mut old) = self.connectors.remove(name) {
                    self.stop_tasks(name, &mut old, false).await;
                    self.stop_instance(name, &mut old).await;
                    owned_before = old.owns_connector;
                }
                let plugin = config
                    .get("connector.class")
                    .and_then(|c| self.herder.inner.registry.connector(c))
                    .cloned();
                let (target_tx, _) = watch::channel(target);
                self.connectors.insert(
                    name.clone(),
                    ConnectorSlot {
                        config: config.clone(),
                        plugin,
                        instance: None,
                        failed: false,
                        target,
                        target_tx,
                        tasks: BTreeMap::new(),
                        needs_task_configs: true,
                        fresh: true,
                        owns_connector: owned_before,
                    },
                );
            }
            let Some(mut slot) = self.connectors.remove(name) else {
                continue;
            };
            self.converge(name, &mut slot, target, snapshot, &owned)
                .await;
            self.connectors.insert(name.clone(), slot);
        }
    }

    /// Stops every part of a connector this worker ran, keeping its statuses for the worker
    /// that takes it over (`onRevoked`): the connector and its tasks report UNASSIGNED unless a
    /// newer generation already wrote theirs.
    async fn release(&mut self, name: &str, slot: &mut ConnectorSlot) {
        self.stop_tasks(name, slot, false).await;
        self.stop_instance(name, slot).await;
        if slot.owns_connector {
            self.reporter.connector(name, State::Unassigned, None).await;
            slot.owns_connector = false;
        }
        tracing::info!(connector = name, "Released connector after a rebalance.");
    }

    /// Brings one connector to its target state and its committed task configs.
    async fn converge(
        &mut self,
        name: &str,
        slot: &mut ConnectorSlot,
        target: TargetState,
        snapshot: &ClusterConfigState,
        owned: &Owned,
    ) {
        let owns = owned.connector(name);
        if slot.owns_connector && !owns {
            // The connector was revoked; the tasks this worker still runs stay.
            self.stop_instance(name, slot).await;
            self.reporter.connector(name, State::Unassigned, None).await;
            slot.failed = false;
        }
        if owns && !slot.owns_connector {
            slot.fresh = true;
            slot.needs_task_configs = true;
        }
        slot.owns_connector = owns;
        let target_changed = slot.target != target;
        slot.target = target;
        slot.target_tx.send_replace(target);
        if !owns {
            self.converge_tasks(name, slot, target, snapshot, owned)
                .await;
            return;
        }
        if target == TargetState::Stopped {
            // A new slot (created STOPPED, or loaded at start-up) reports STOPPED too, as
            // Kafka's WorkerConnector does when it starts in that target state.
            if slot.instance.is_some() || !slot.tasks.is_empty() || target_changed || slot.fresh {
                self.stop_tasks(name, slot, true).await;
                self.stop_instance(name, slot).await;
                self.reporter.connector(name, State::Stopped, None).await;
            }
            slot.fresh = false;
            // A stopped connector has no tasks. Task configs written after the stop's empty
            // set (a reconfiguration that raced with `PUT …/stop`) are cleared again.
            if !snapshot.tasks(name).is_empty()
                && let Err(e) = self
                    .herder
                    .publish_task_configs(&self.stores, name, Vec::new())
                    .await
            {
                tracing::warn!(connector = name, error = %e, "Could not clear the task configs of a stopped connector; will retry.");
            }
            return;
        }
        slot.fresh = false;
        if slot.failed {
            return;
        }
        if slot.instance.is_none() {
            let Some(plugin) = slot.plugin.clone() else {
                let class = slot
                    .config
                    .get("connector.class")
                    .cloned()
                    .unwrap_or_default();
                let msg = self.herder.inner.registry.unknown_connector_message(&class);
                slot.failed = true;
                self.reporter
                    .connector(name, State::Failed, Some(ConnectError::fatal(msg).trace()))
                    .await;
                return;
            };
            // The plugin gets the config with its `${provider:…}` placeholders resolved; the
            // slot (and the config topic) keep the placeholders.
            let resolved = match self.herder.resolve_config(name, &slot.config) {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(connector = name, error = %e, "Connector config could not be resolved.");
                    slot.failed = true;
                    self.reporter
                        .connector(name, State::Failed, Some(e.trace()))
                        .await;
                    return;
                }
            };
            // A chain this binary cannot build fails the connector, naming what is missing:
            // a config read back from the config topic must never run without its transforms.
            if let Err(e) = TransformChain::from_config(&self.herder.inner.registry, &resolved) {
                tracing::error!(connector = name, error = %e, "Connector transformations are invalid.");
                slot.failed = true;
                self.reporter
                    .connector(name, State::Failed, Some(e.trace()))
                    .await;
                return;
            }
            // Settings Sluice refuses at validation fail a stored connector too.
            let is_source = plugin.descriptor().kind == PluginKind::Source;
            if let Err(e) = crate::unsupported::check_at_start(name, &resolved, is_source) {
                tracing::error!(connector = name, error = %e, "Connector configuration is not supported.");
                slot.failed = true;
                self.reporter
                    .connector(name, State::Failed, Some(e.trace()))
                    .await;
                return;
            }
            let ctx = ConnectorContext {
                name: name.to_owned(),
                host: Arc::new(LoopHost {
                    name: name.to_owned(),
                    commands: self.herder.inner.commands.clone(),
                }),
            };
            let started = plugin.start(ctx, &resolved).await;
            self.herder.inner.metrics.connector_startup(started.is_ok());
            match started {
                Ok(instance) => {
                    slot.instance = Some(instance);
                    slot.needs_task_configs = true;
                    let state = if target == TargetState::Paused {
                        State::Paused
                    } else {
                        State::Running
                    };
                    self.reporter.connector(name, state, None).await;
                    tracing::info!(connector = name, "Connector started.");
                }
                Err(e) => {
                    tracing::error!(connector = name, error = %e, "Connector failed to start.");
                    slot.failed = true;
                    self.reporter
                        .connector(name, State::Failed, Some(e.trace()))
                        .await;
                    return;
                }
            }
        } else if target_changed {
            let state = if target == TargetState::Paused {
                State::Paused
            } else {
                State::Running
            };
            self.reporter.connector(name, state, None).await;
        }
        if slot.needs_task_configs {
            slot.needs_task_configs = false;
            match self.generate_task_configs(slot) {
                Ok(configs) => {
                    if configs.as_slice() != snapshot.tasks(name) {
                        if let Err(e) = self
                            .herder
                            .publish_task_configs(&self.stores, name, configs)
                            .await
                        {
                            tracing::warn!(connector = name, error = %e, "Could not write task configs; will retry.");
                            slot.needs_task_configs = true;
                        }
                        // The write comes back as a new snapshot; tasks start from that one.
                        return;
                    }
                }
                Err(e) => {
                    slot.failed = true;
                    self.reporter
                        .connector(name, State::Failed, Some(e.trace()))
                        .await;
                    return;
                }
            }
        }
        self.converge_tasks(name, slot, target, snapshot, owned)
            .await;
    }

    /// Brings the tasks this worker owns to the committed task configs: starts missing ones,
    /// restarts changed ones, stops extra ones and those no longer assigned here.
    async fn converge_tasks(
        &mut self,
        name: &str,
        slot: &mut ConnectorSlot,
        target: TargetState,
        snapshot: &ClusterConfigState,
        owned: &Owned,
    ) {
        if target == TargetState::Stopped {
            if !slot.tasks.is_empty() {
                self.stop_tasks(name, slot, true).await;
            }
            return;
        }
        let wanted = snapshot.tasks(name);
        let extra: Vec<u32> = slot
            .tasks
            .keys()
            .copied()
            .filter(|&i| i as usize >= wanted.len())
            .collect();
        for id in extra {
            if let Some(t) = slot.tasks.remove(&id) {
                self.stop_task(name, id, t).await;
                self.reporter.task(name, id, State::Destroyed, None).await;
            }
        }
        let revoked: Vec<u32> = slot
            .tasks
            .keys()
            .copied()
            .filter(|&i| !owned.task(name, i))
            .collect();
        for id in revoked {
            if let Some(t) = slot.tasks.remove(&id) {
                self.stop_task(name, id, t).await;
            }
        }
        for (i, cfg) in wanted.iter().enumerate() {
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            if !owned.task(name, id) {
                continue;
            }
            match slot.tasks.get(&id) {
                Some(t) if t.config == *cfg => continue,
                Some(_) => {
                    if let Some(t) = slot.tasks.remove(&id) {
                        self.stop_task(name, id, t).await;
                    }
                }
                None => {}
            }
            if let Some(t) = self.start_task(name, slot, id, cfg).await {
                slot.tasks.insert(id, t);
            }
        }
    }

    fn generate_task_configs(&self, slot: &ConnectorSlot) -> Result<Vec<Props>, ConnectError> {
        let Some(instance) = &slot.instance else {
            return Ok(Vec::new());
        };
        let Some(plugin) = &slot.plugin else {
            return Ok(Vec::new());
        };
        let is_source = plugin.descriptor().kind == PluginKind::Source;
        let name = slot.config.get("name").map_or("", String::as_str);
        let resolved = self.herder.resolve_config(name, &slot.config)?;
        let fw = FrameworkConfig::from_parsed(
            &framework_def(is_source).parse(&resolved).parsed,
            is_source,
        );
        let max = NonZeroU32::new(fw.tasks_max).unwrap_or(NonZeroU32::MIN);
        let mut configs = instance.task_configs(max)?;
        if fw.tasks_max_enforce && configs.len() > fw.tasks_max as usize {
            return Err(ConnectError::fatal(format!(
                "The connector {} has generated {} tasks, which is greater than {}, the maximum number of tasks it is configured to create. ",
                slot.config.get("name").map_or("", String::as_str),
                configs.len(),
                fw.tasks_max
            )));
        }
        let class = task_class(plugin.descriptor().class);
        for c in &mut configs {
            c.insert("task.class".to_owned(), class.clone());
            if !is_source {
                for k in ["topics", "topics.regex"] {
                    if let Some(v) = slot.config.get(k) {
                        c.insert(k.to_owned(), v.clone());
                    }
                }
            }
        }
        // Task configs go to the config topic: a value the connector copied from a resolved
        // key goes back to its placeholder, as Kafka's `reverseTransform` does.
        Ok(crate::config_providers::reverse_transform(
            &slot.config,
            &configs,
        ))
    }

    async fn stop_instance(&mut self, name: &str, slot: &mut ConnectorSlot) {
        if let Some(mut instance) = slot.instance.take()
            && let Err(e) = instance.stop().await
        {
            tracing::warn!(connector = name, error = %e, "Connector stop failed.");
        }
    }

    async fn stop_tasks(&mut self, name: &str, slot: &mut ConnectorSlot, destroy: bool) {
        let tasks = std::mem::take(&mut slot.tasks);
        for (id, t) in tasks {
            self.stop_task(name, id, t).await;
            if destroy {
                self.reporter.task(name, id, State::Destroyed, None).await;
            }
        }
    }

    /// Cancels a task and waits up to `task.shutdown.graceful.timeout.ms` for it to flush.
    async fn stop_task(&mut self, name: &str, id: u32, t: TaskSlot) {
        // The run's progress goes with it: a report from a stopped run would look current.
        self.herder.inner.progress.remove(&(name.to_owned(), id));
        self.herder.inner.metrics.remove_task(name, id);
        t.cancel.cancel();
        let mut join = t.join;
        match tokio::time::timeout(self.herder.inner.settings.graceful_timeout, &mut join).await {
            Ok(Ok(TaskExit::Stopped)) => {
                self.reporter.task(name, id, State::Unassigned, None).await;
            }
            Ok(_) => {}
            Err(_) => {
                tracing::error!(
                    connector = name,
                    task = id,
                    "Graceful stop of task timed out."
                );
                join.abort();
                self.reporter.task(name, id, State::Unassigned, None).await;
            }
        }
    }

    /// Starts a task with fresh progress, visible to the REST API from before the task's own
    /// `start` (which may report already); a task that does not start leaves none behind.
    async fn start_task(
        &mut self,
        name: &str,
        slot: &ConnectorSlot,
        id: u32,
        cfg: &Props,
    ) -> Option<TaskSlot> {
        let progress = LatestProgress::default();
        let key = (name.to_owned(), id);
        self.herder
            .inner
            .progress
            .insert(key.clone(), progress.clone());
        let started = self.launch_task(name, slot, id, cfg, progress).await;
        self.herder.inner.metrics.task_startup(started.is_some());
        if started.is_none() {
            self.herder.inner.progress.remove(&key);
            self.herder.inner.metrics.remove_task(name, id);
        }
        started
    }

    async fn launch_task(
        &mut self,
        name: &str,
        slot: &ConnectorSlot,
        id: u32,
        cfg: &Props,
        progress: LatestProgress,
    ) -> Option<TaskSlot> {
        let Some(plugin) = slot.plugin.clone() else {
            // A worker without the connector's plugin (a class only other workers of a mixed
            // cluster have) says so on the task it was assigned.
            let class = slot
                .config
                .get("connector.class")
                .cloned()
                .unwrap_or_default();
            let msg = self.herder.inner.registry.unknown_connector_message(&class);
            self.reporter
                .task(
                    name,
                    id,
                    State::Failed,
                    Some(ConnectError::fatal(msg).trace()),
                )
                .await;
            return None;
        };
        let inner = &self.herder.inner;
        let is_source = plugin.descriptor().kind == PluginKind::Source;
        // The task runs on resolved configs; `cfg` (with placeholders) stays the slot's, to
        // compare with what the config topic holds.
        let resolved = self
            .herder
            .resolve_config(name, &slot.config)
            .and_then(|c| Ok((c, self.herder.resolve_config(name, cfg)?)));
        let (config, task_config) = match resolved {
            Ok(r) => r,
            Err(e) => {
                self.reporter
                    .task(name, id, State::Failed, Some(e.trace()))
                    .await;
                return None;
            }
        };
        // `Worker.connectorClientConfigOverrides`: a stored config cannot bypass the policy.
        if let Err(e) = inner
            .settings
            .client_config_override_policy
            .check_task(&config, is_source)
        {
            self.reporter
                .task(name, id, State::Failed, Some(e.trace()))
                .await;
            return None;
        }
        let fw = FrameworkConfig::from_parsed(
            &framework_def(is_source).parse(&config).parsed,
            is_source,
        );
        let converters = match self.herder.converters_for(&config, &fw) {
            Ok(c) => c,
            Err(e) => {
                self.reporter
                    .task(name, id, State::Failed, Some(e.trace()))
                    .await;
                return None;
            }
        };
        let transforms = match TransformChain::from_config(&inner.registry, &config) {
            Ok(t) => t,
            Err(e) => {
                self.reporter
                    .task(name, id, State::Failed, Some(e.trace()))
                    .await;
                return None;
            }
        };
        let errors = ErrorPolicy {
            tolerate_all: fw.tolerate_all,
            log_errors: fw.log_errors,
            log_include_messages: fw.log_include_messages,
            dlq_topic: fw.dlq_topic.clone(),
            dlq_replication_factor: fw.dlq_replication_factor,
            dlq_context_headers: fw.dlq_context_headers,
        };
        let cancel = inner.cancel.child_token();
        let target = slot.target_tx.subscribe();
        let kind = if is_source {
            TaskKind::Source
        } else {
            TaskKind::Sink
        };
        let metrics = inner.metrics.start_task(name, id, kind);
        let join = if is_source {
            let signals = Arc::new(HostSignals::new(progress).with_metrics(metrics.clone()));
            let ctx = SourceTaskContext {
                connector: name.to_owned(),
                task: id,
                props: task_config.clone(),
                offsets: Arc::new(OffsetReader {
                    connector: name.to_owned(),
                    store: self.stores.offsets.clone(),
                }),
                host: signals.clone(),
            };
            let task = match plugin.start_source_task(ctx, &task_config).await {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!(connector = name, task = id, error = %e, "Task failed to start.");
                    self.reporter
                        .task(name, id, State::Failed, Some(e.trace()))
                        .await;
                    return None;
                }
            };
            let producer_overrides =
                prefixed(&config, "producer.override.", &inner.settings.producer);
            let producer = match inner.clients.producer(&producer_overrides) {
                Ok(p) => p,
                Err(e) => {
                    let e = ConnectError::fatal_with("could not create the producer", e);
                    self.reporter
                        .task(name, id, State::Failed, Some(e.trace()))
                        .await;
                    return None;
                }
            };
            let runner = SourceRunner {
                connector: name.to_owned(),
                task_id: id,
                task,
                transforms,
                converters,
                producer,
                clients: inner.clients.clone(),
                offsets: self.stores.offsets.clone(),
                status: self.reporter.clone(),
                status_store: self.stores.status.clone(),
                errors,
                topic_creation: if inner.settings.topic_creation_enable {
                    TopicCreation::from_props(&config)
                } else {
                    TopicCreation::disabled()
                },
                topic_tracking: inner.settings.topic_tracking,
                flush_interval: inner.settings.offset_flush_interval,
                target,
                signals,
                metrics,
                cancel: cancel.clone(),
            };
            tokio::spawn(runner.run())
        } else {
            let host = Arc::new(SinkHost::new(
                HostSignals::new(progress).with_metrics(metrics.clone()),
            ));
            let ctx = SinkTaskContext {
                connector: name.to_owned(),
                task: id,
                props: task_config.clone(),
                host: host.clone(),
            };
            let task = match plugin.start_sink_task(ctx, &task_config).await {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!(connector = name, task = id, error = %e, "Task failed to start.");
                    self.reporter
                        .task(name, id, State::Failed, Some(e.trace()))
                        .await;
                    return None;
                }
            };
            let mut consumer_config = self.herder.sink_consumer_config(name, &config);
            // Static membership: a task restarted after a crash takes over its own dead member at
            // once instead of waiting for the group to expire it (brokers such as tansu never
            // do). One live instance per (connector, task) holds in a single-worker cluster.
            if inner.settings.sink_static_membership {
                consumer_config.set("group.instance.id", format!("sluice-{name}-{id}"));
            }
            let dlq = crate::task::sink::DlqWriter {
                clients: inner.clients.clone(),
                producer: match &fw.dlq_topic {
                    // Kafka's DLQ producer is `baseProducerConfigs`: `producer.*`, then the
                    // sink's `producer.override.*`.
                    Some(_) => inner
                        .clients
                        .producer(&prefixed(
                            &config,
                            "producer.override.",
                            &inner.settings.producer,
                        ))
                        .ok(),
                    None => None,
                },
                policy: errors.clone(),
            };
            let runner = SinkRunner {
                connector: name.to_owned(),
                task_id: id,
                task,
                transforms,
                converters,
                clients: inner.clients.clone(),
                consumer_config,
                topics: fw
                    .topics
                    .iter()
                    .filter(|t| !t.is_empty())
                    .cloned()
                    .collect(),
                topics_regex: fw.topics_regex.clone(),
                sole_task: self.stores.config.snapshot().tasks(name).len() == 1,
                dlq,
                status: self.reporter.clone(),
                status_store: self.stores.status.clone(),
                errors,
                topic_tracking: inner.settings.topic_tracking,
                commit_interval: inner.settings.offset_flush_interval,
                target,
                host,
                metrics,
                cancel: cancel.clone(),
            };
            tokio::spawn(runner.run())
        };
        tracing::info!(connector = name, task = id, "Task started.");
        Some(TaskSlot {
            config: cfg.clone(),
            cancel,
            join,
        })
    }
}

/// `base` overlaid with the keys of `props` under `prefix` (prefix stripped).
pub(super) fn prefixed(props: &Props, prefix: &str, base: &Props) -> Props {
    let mut out = base.clone();
    for (k, v) in props {
        if let Some(rest) = k.strip_prefix(prefix) {
            out.insert(rest.to_owned(), v.clone());
        }
    }
    out
}

impl WorkerHerder {
    /// The converters of a connector: its own `key.converter` (with its `key.converter.*`
    /// settings) when set, else the worker's, as Kafka's `Worker` chooses them.
    pub(super) fn converters_for(
        &self,
        config: &Props,
        fw: &FrameworkConfig,
    ) -> Result<TaskConverters, ConnectError> {
        let s = &self.inner.settings;
        let reg = &self.inner.registry;
        let pick =
            |own: &Option<String>, prefix: &str, worker: &(String, Props)| -> (String, Props) {
                match own {
                    Some(class) => (class.clone(), prefixed(config, prefix, &Props::new())),
                    None => worker.clone(),
                }
            };
        let (kc, kp) = pick(&fw.key_converter, "key.converter.", &s.key_converter);
        let (vc, vp) = pick(&fw.value_converter, "value.converter.", &s.value_converter);
        let (hc, hp) = pick(
            &fw.header_converter,
            "header.converter.",
            &s.header_converter,
        );
        let find = |class: &str| {
            reg.converter(class)
                .cloned()
                .ok_or_else(|| ConnectError::fatal(format!("Failed to find any class that implements Converter and which name matches {class}")))
        };
        let key: Arc<dyn connect_api::Converter> = Arc::from(find(&kc)?.create(&kp, true)?);
        let value: Arc<dyn connect_api::Converter> = Arc::from(find(&vc)?.create(&vp, false)?);
        let header: Arc<dyn connect_api::HeaderConverter> =
            Arc::from(find(&hc)?.create_header(&hp)?);
        Ok(TaskConverters {
            key,
            value,
            header,
            key_class: kc,
            header_class: hc,
            value_class: vc,
        })
    }

    /// A sink task's consumer: group `connect-<name>`, manual offset storage and commits.
    pub(super) fn sink_consumer_config(&self, name: &str, config: &Props) -> rdkafka::ClientConfig {
        let s = &self.inner.settings;
        let mut props: Props = [
            ("group.id", format!("connect-{name}")),
            ("enable.auto.commit", "false".to_owned()),
            ("enable.auto.offset.store", "false".to_owned()),
            ("auto.offset.reset", "earliest".to_owned()),
            // Brokers that hold every fetch for `fetch.wait.max.ms` even when data is ready
            // (tansu does) would cap a sink at a few batches a second with the 500 ms default.
            ("fetch.wait.max.ms", "50".to_owned()),
            ("client.id", format!("connector-consumer-{name}")),
            // A subscribed topic that does not exist yet (the source creating it has not written
            // yet) and new topics matching `topics.regex` are noticed at the next metadata
            // refresh; librdkafka's 5-minute default would stall such sinks for minutes.
            ("topic.metadata.refresh.interval.ms", "5000".to_owned()),
            // After a crash the group waits this long for the dead member before reassigning
            // its partitions. librdkafka heartbeats from a background thread, so a slow `put`
            // cannot cause a false eviction; 10 s keeps recovery after SIGKILL short.
            ("session.timeout.ms", "10000".to_owned()),
            // The group's rebalance timeout is taken from this. A worker killed while its sink
            // was joining leaves a member the group waits for until that timeout; librdkafka's
            // 5 minutes would stall a restarted sink that long. The poll thread polls even while
            // `put` runs, so only a channel full for a minute (a long downstream outage) exceeds it,
            // and then the task simply rejoins.
            ("max.poll.interval.ms", "60000".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        props.extend(s.consumer.clone());
        props = prefixed(config, "consumer.override.", &props);
        self.inner.clients.consumer_config(&props)
    }
}
