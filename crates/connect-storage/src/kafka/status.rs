//! The status store on the status topic (`KafkaStatusBackingStore`).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::log::{KafkaLog, LogOptions};
use super::{KafkaSettings, TopicSettings};
use crate::status::records::{self, StatusTable};
use crate::status::{ConnectorStatus, StatusStore, TaskStatus, TopicStatus};
use crate::{Record, StoreError};

/// A [`StatusStore`] on `status.storage.topic`.
///
/// Unlike Kafka, which fires status writes and forgets them, a write here waits until it is
/// read back, so a status read right after a write shows it (the runtime's `StatusQueue`
/// decides which writes nobody waits for). Writes go through a producer that is not
/// idempotent, as Kafka's ([`KafkaSettings::status_writer`]).
#[derive(Debug)]
pub struct KafkaStatusStore {
    pub(super) log: KafkaLog,
    table: Arc<Mutex<StatusTable>>,
}

impl KafkaStatusStore {
    /// Creates the topic if missing and reads it to its end.
    ///
    /// # Errors
    /// When the topic cannot be created or read.
    pub async fn open(settings: &KafkaSettings, topic: &TopicSettings) -> Result<Self, StoreError> {
        let table = Arc::new(Mutex::new(StatusTable::default()));
        let reader_table = table.clone();
        let options = LogOptions {
            property: "status.storage.topic",
            purpose: "connector and task statuses",
            read_committed: false,
            single_partition: false,
            idempotent: false,
        };
        let log = KafkaLog::open(settings, topic, options, move |_| {
            Box::new(move |key, value, _partition, _offset| {
                if let Ok(mut t) = reader_table.lock() {
                    t.apply(key, value);
                }
            })
        })
        .await?;
        Ok(Self { log, table })
    }

    fn read<T: Default>(&self, f: impl FnOnce(&StatusTable) -> T) -> T {
        self.table.lock().map(|t| f(&t)).unwrap_or_default()
    }

    async fn write(&self, records: Vec<Record>) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        self.log.write(&records).await
    }
}

#[async_trait]
impl StatusStore for KafkaStatusStore {
    async fn put_connector(
        &self,
        connector: &str,
        status: &ConnectorStatus,
    ) -> Result<(), StoreError> {
        self.write(vec![records::status(
            records::connector_key(connector),
            status,
        )?])
        .await
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
        .await
    }

    async fn delete_connector(&self, connector: &str) -> Result<(), StoreError> {
        let tombstones = self.read(|t| t.connector_tombstones(connector));
        self.write(tombstones).await
    }

    async fn put_topic(&self, status: &TopicStatus) -> Result<(), StoreError> {
        self.write(vec![records::topic(status)?]).await
    }

    async fn delete_topics(&self, connector: &str) -> Result<(), StoreError> {
        let tombstones = self.read(|t| t.topic_tombstones(connector));
        self.write(tombstones).await
    }

    async fn refresh(&self) -> Result<(), StoreError> {
        self.log.read_to_end().await
    }

    fn get_connector(&self, connector: &str) -> Option<ConnectorStatus> {
        self.read(|t| t.connectors.get(connector).cloned())
    }

    fn get_task(&self, connector: &str, task: u32) -> Option<TaskStatus> {
        self.read(|t| t.tasks.get(connector).and_then(|m| m.get(&task)).cloned())
    }

    fn tasks_of(&self, connector: &str) -> Vec<(u32, TaskStatus)> {
        self.read(|t| t.tasks_of(connector))
    }

    fn topics_of(&self, connector: &str) -> Vec<TopicStatus> {
        self.read(|t| t.topics_of(connector))
    }

    fn connectors(&self) -> Vec<String> {
        self.read(|t| t.connectors.keys().cloned().collect())
    }
}
