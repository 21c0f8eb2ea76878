//! The sink task trait and its context.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::Props;
use crate::config::ConnectorConfig;
use crate::error::ConnectError;
use crate::record::{OffsetMap, SinkRecord, TopicPartition};
use crate::source::TaskHost;

/// Sink-side requests to the runtime (`SinkTaskContext`).
pub trait SinkTaskHost: TaskHost {
    /// Rewinds consumption of `partition` to `offset` before the next `put` (`context.offset`).
    fn reset_offset(&self, partition: TopicPartition, offset: i64);
    /// After a retriable `put` failure, wait this long before redelivering (`context.timeout`).
    fn set_retry_timeout(&self, timeout: Duration);
    /// Partitions currently assigned to the task.
    fn assignment(&self) -> Vec<TopicPartition>;
}

/// Handed to a sink task at start.
#[derive(Debug, Clone)]
pub struct SinkTaskContext {
    pub connector: String,
    pub task: u32,
    pub props: Props,
    pub host: Arc<dyn SinkTaskHost>,
}

/// A partition newly assigned to a task, with the group's committed offset (the next offset the
/// task will be given), so a task can line its state up with what is durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignedPartition {
    pub partition: TopicPartition,
    pub committed: Option<i64>,
}

/// A sink task (`SinkTask`).
///
/// Contract: the runner calls `put` with records in offset order per partition; periodically (and
/// before a rebalance) it calls `pre_commit` with the offsets consumed so far and commits to the
/// consumer group **exactly** the offsets returned, which must be durable downstream.
pub trait SinkTask: Sized + Send + 'static {
    type Config: ConnectorConfig;

    fn start(
        ctx: SinkTaskContext,
        config: Self::Config,
    ) -> impl Future<Output = Result<Self, ConnectError>> + Send;

    fn open(
        &mut self,
        _partitions: &[AssignedPartition],
    ) -> impl Future<Output = Result<(), ConnectError>> + Send {
        async { Ok(()) }
    }

    /// Takes a batch. A [`ConnectError::Retriable`] makes the runner redeliver the same batch after
    /// the retry timeout, so the task must not keep partial effects of a failed call it cannot
    /// make idempotent.
    fn put(
        &mut self,
        records: &[SinkRecord],
    ) -> impl Future<Output = Result<(), ConnectError>> + Send;

    /// Returns the offsets (next offset to read) that are durable downstream. The default
    /// (Kafka's `flush` then "all consumed") suits sinks whose `put` is synchronous.
    fn pre_commit(
        &mut self,
        current: &OffsetMap,
    ) -> impl Future<Output = Result<OffsetMap, ConnectError>> + Send {
        let all = current.clone();
        async move { Ok(all) }
    }

    fn close(
        &mut self,
        _partitions: &[TopicPartition],
    ) -> impl Future<Output = Result<(), ConnectError>> + Send {
        async { Ok(()) }
    }

    fn stop(&mut self) -> impl Future<Output = Result<(), ConnectError>> + Send {
        async { Ok(()) }
    }
}
