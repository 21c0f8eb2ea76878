//! Stub runtime handles for driving the tasks directly in tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::{
    ConnectError, OffsetStorageReader, Props, SinkTaskContext, SinkTaskHost, SourceOffset,
    SourcePartition, SourceTaskContext, TaskHost, TopicPartition,
};

/// An offset store holding whatever the test committed.
#[derive(Debug, Default)]
pub(crate) struct StubOffsets {
    pub(crate) committed: Mutex<Vec<(SourcePartition, SourceOffset)>>,
}

#[async_trait]
impl OffsetStorageReader for StubOffsets {
    async fn offsets(
        &self,
        partitions: &[SourcePartition],
    ) -> Result<Vec<(SourcePartition, SourceOffset)>, ConnectError> {
        let committed = self.committed.lock().unwrap().clone();
        Ok(committed
            .into_iter()
            .filter(|(p, _)| partitions.contains(p))
            .collect())
    }
}

/// A host that records nothing the tests need; the file tasks never call back.
#[derive(Debug, Default)]
pub(crate) struct StubHost;

impl TaskHost for StubHost {
    fn request_commit(&self) {}
    fn report_progress(&self, _progress: serde_json::Value) {}
}

impl SinkTaskHost for StubHost {
    fn reset_offset(&self, _partition: TopicPartition, _offset: i64) {}
    fn set_retry_timeout(&self, _timeout: Duration) {}
    fn assignment(&self) -> Vec<TopicPartition> {
        Vec::new()
    }
}

pub(crate) fn props(pairs: &[(&str, &str)]) -> Props {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub(crate) fn source_context(props: Props, offsets: Arc<StubOffsets>) -> SourceTaskContext {
    SourceTaskContext {
        connector: "file-source".to_owned(),
        task: 0,
        props,
        offsets,
        host: Arc::new(StubHost),
    }
}

pub(crate) fn sink_context(props: Props) -> SinkTaskContext {
    SinkTaskContext {
        connector: "file-sink".to_owned(),
        task: 0,
        props,
        host: Arc::new(StubHost),
    }
}
