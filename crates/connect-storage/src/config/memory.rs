//! The in-process config store (standalone mode and tests).

use std::sync::Mutex;

use async_trait::async_trait;
use connect_api::Props;
use tokio::sync::watch;

use super::records::{self, ConfigApplier};
use super::{ClusterConfigState, ConfigStore, SessionKey, TargetState};
use crate::{Record, StoreError};

/// A [`ConfigStore`] in memory. It encodes every write as config-topic records and folds them
/// through the same code as the Kafka store, so both agree on semantics.
#[derive(Debug)]
pub struct MemoryConfigStore {
    applier: Mutex<ConfigApplier>,
    state: watch::Sender<ClusterConfigState>,
}

impl Default for MemoryConfigStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryConfigStore {
    pub fn new() -> Self {
        let initial = ClusterConfigState {
            offset: -1,
            ..ClusterConfigState::default()
        };
        Self {
            applier: Mutex::new(ConfigApplier::new(0)),
            state: watch::Sender::new(initial),
        }
    }

    fn write(&self, records: Vec<Record>) -> Result<(), StoreError> {
        let mut applier = self.applier.lock().map_err(|_| StoreError::Closed)?;
        for record in records {
            self.state.send_modify(|state| {
                let seq = state.offset.max(0);
                applier.apply(state, Some(&record.key), record.value.as_deref(), seq);
            });
        }
        Ok(())
    }
}

#[async_trait]
impl ConfigStore for MemoryConfigStore {
    async fn put_connector_config(
        &self,
        name: &str,
        props: &Props,
        target_state: Option<TargetState>,
    ) -> Result<(), StoreError> {
        self.write(records::connector_put(name, props, target_state)?)
    }

    async fn remove_connector(&self, name: &str) -> Result<(), StoreError> {
        self.write(vec![
            records::connector_tombstone(name),
            records::target_state_tombstone(name),
        ])
    }

    async fn put_task_configs(&self, name: &str, configs: &[Props]) -> Result<(), StoreError> {
        self.write(records::task_configs(name, configs)?)
    }

    async fn put_target_state(&self, name: &str, state: TargetState) -> Result<(), StoreError> {
        self.write(vec![records::target_state(name, state)?])
    }

    async fn put_restart_request(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<(), StoreError> {
        self.write(vec![records::restart(name, include_tasks, only_failed)?])
    }

    async fn put_logger_level(&self, namespace: &str, level: &str) -> Result<(), StoreError> {
        self.write(vec![records::logger_level(namespace, level)?])
    }

    async fn put_session_key(&self, key: &SessionKey) -> Result<(), StoreError> {
        self.write(vec![records::session_key(key)?])
    }

    async fn refresh(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn snapshot(&self) -> ClusterConfigState {
        self.state.borrow().clone()
    }

    fn subscribe(&self) -> watch::Receiver<ClusterConfigState> {
        self.state.subscribe()
    }
}
