//! The in-process status store.

use std::sync::Mutex;

use async_trait::async_trait;

use super::records::{self, StatusTable};
use super::{ConnectorStatus, StatusStore, TaskStatus, TopicStatus};
use crate::{Record, StoreError};

/// A [`StatusStore`] in memory (`MemoryStatusBackingStore`), folding the same records as the
/// Kafka store.
#[derive(Debug, Default)]
pub struct MemoryStatusStore {
    table: Mutex<StatusTable>,
}

impl MemoryStatusStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn write(&self, records: Vec<Record>) -> Result<(), StoreError> {
        let mut table = self.table.lock().map_err(|_| StoreError::Closed)?;
        for r in records {
            table.apply(Some(&r.key), r.value.as_deref());
        }
        Ok(())
    }

    fn read<T>(&self, f: impl FnOnce(&StatusTable) -> T) -> Option<T> {
        self.table.lock().ok().map(|t| f(&t))
    }
}

#[async_trait]
impl StatusStore for MemoryStatusStore {
    async fn put_connector(
        &self,
        connector: &str,
        status: &ConnectorStatus,
    ) -> Result<(), StoreError> {
        self.write(vec![records::status(
            records::connector_key(connector),
            status,
        )?])
    }

    async fn put_task(
        &self,
        connector: &str,
        task: u32,
        status: &TaskStatus,
    ) -> Result<(), StoreError> {
        self.write(vec![records::status(
            records::task_key(connector, task),
            status,
        )?])
    }

    async fn delete_connector(&self, connector: &str) -> Result<(), StoreError> {
        let tombstones = self
            .read(|t| t.connector_tombstones(connector))
            .ok_or(StoreError::Closed)?;
        self.write(tombstones)
    }

    async fn put_topic(&self, status: &TopicStatus) -> Result<(), StoreError> {
        self.write(vec![records::topic(status)?])
    }

    async fn delete_topics(&self, connector: &str) -> Result<(), StoreError> {
        let tombstones = self
            .read(|t| t.topic_tombstones(connector))
            .ok_or(StoreError::Closed)?;
        self.write(tombstones)
    }

    async fn refresh(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn get_connector(&self, connector: &str) -> Option<ConnectorStatus> {
        self.read(|t| t.connectors.get(connector).cloned())
            .flatten()
    }

    fn get_task(&self, connector: &str, task: u32) -> Option<TaskStatus> {
        self.read(|t| t.tasks.get(connector).and_then(|m| m.get(&task)).cloned())
            .flatten()
    }

    fn tasks_of(&self, connector: &str) -> Vec<(u32, TaskStatus)> {
        self.read(|t| t.tasks_of(connector)).unwrap_or_default()
    }

    fn topics_of(&self, connector: &str) -> Vec<TopicStatus> {
        self.read(|t| t.topics_of(connector)).unwrap_or_default()
    }

    fn connectors(&self) -> Vec<String> {
        self.read(|t| t.connectors.keys().cloned().collect())
            .unwrap_or_default()
    }
}
