use std::sync::Arc;

use connect_api::{SchemaAndValue, TimestampType, Value};
use serde_json::json;

use super::*;
use crate::testing::{props, sink_context};

fn record(offset: i64, value: Value) -> SinkRecord {
    SinkRecord {
        topic: "lines".into(),
        kafka_partition: 0,
        kafka_offset: offset,
        key: SchemaAndValue::NULL,
        value: SchemaAndValue::schemaless(value),
        timestamp: None,
        timestamp_type: TimestampType::CreateTime,
        headers: Default::default(),
        raw_key: None,
        raw_value: None,
    }
}

async fn start_task(path: &std::path::Path) -> FileStreamSinkTask {
    let p = props(&[("file", path.to_str().unwrap())]);
    let config = FileStreamSinkConfig::parse(&p).unwrap();
    FileStreamSinkTask::start(sink_context(p), config)
        .await
        .unwrap()
}

#[test]
fn config_def_is_kafkas() {
    let json = serde_json::to_value(CONFIG_DEF.key_infos()).unwrap();
    assert_eq!(
        json,
        json!([{
            "name": "file", "type": "STRING", "required": false, "default_value": null,
            "importance": "HIGH",
            "documentation": "Destination filename. If not specified, the standard output will be used",
            "group": null, "width": "NONE", "display_name": "file", "dependents": [], "order": -1
        }])
    );
}

#[tokio::test]
async fn tasks_max_copies_of_the_connector_properties() {
    let p = props(&[("file", "/tmp/out.txt"), ("topics", "a")]);
    let config = FileStreamSinkConfig::parse(&p).unwrap();
    let ctx = ConnectorContext {
        name: "sink".into(),
        host: Arc::new(NoopConnectorHost),
    };
    let connector = FileStreamSinkConnector::start(ctx, config).await.unwrap();
    let tasks = connector.task_configs(NonZeroU32::new(3).unwrap()).unwrap();
    assert_eq!(tasks, vec![p.clone(), p.clone(), p]);
}

#[derive(Debug)]
struct NoopConnectorHost;
impl connect_api::connector::ConnectorHost for NoopConnectorHost {
    fn request_task_reconfiguration(&self) {}
    fn raise_error(&self, _error: ConnectError) {}
}

#[tokio::test]
async fn lines_reach_the_file_as_they_arrive_and_offsets_follow_the_sync() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    let mut task = start_task(&path).await;

    task.put(&[
        record(0, "first".into()),
        record(1, Value::Int32(2)),
        record(2, Value::Null),
    ])
    .await
    .unwrap();
    // Like Kafka's PrintStream, each batch reaches the file at once (readers see it); durability
    // (fsync) is promised only by pre_commit.
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "first\n2\nnull\n");

    let current: OffsetMap = [(TopicPartition::new("lines", 0), 3)].into();
    let committed = task.pre_commit(&current).await.unwrap();

    assert_eq!(committed, current);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "first\n2\nnull\n");
}

#[tokio::test]
async fn appends_to_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    std::fs::write(&path, "earlier\n").unwrap();
    let mut task = start_task(&path).await;

    task.put(&[record(
        0,
        Value::Array(vec![Value::Int32(1), Value::Int32(2)]),
    )])
    .await
    .unwrap();
    task.stop().await.unwrap();

    assert_eq!(std::fs::read_to_string(&path).unwrap(), "earlier\n[1, 2]\n");
}

#[tokio::test]
async fn put_after_stop_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut task = start_task(&dir.path().join("out.txt")).await;
    task.stop().await.unwrap();

    let err = task.put(&[record(0, "late".into())]).await.unwrap_err();

    assert!(matches!(err, ConnectError::Stopped));
}

#[tokio::test]
async fn an_unwritable_file_fails_start_with_kafkas_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("out.txt");
    let p = props(&[("file", path.to_str().unwrap())]);
    let config = FileStreamSinkConfig::parse(&p).unwrap();

    let err = FileStreamSinkTask::start(sink_context(p), config)
        .await
        .unwrap_err();

    assert_eq!(
        err.to_string(),
        format!(
            "Couldn't find or create file '{}' for FileStreamSinkTask",
            path.display()
        )
    );
}

#[tokio::test]
async fn a_full_disk_fails_the_batch_as_retriable_so_nothing_is_committed_past_it() {
    // /dev/full accepts the open and fails every write with ENOSPC: a disk that filled up.
    let full = std::path::Path::new("/dev/full");
    if !full.exists() {
        eprintln!("skipping: /dev/full is not available on this system");
        return;
    }
    let mut task = start_task(full).await;
    let err = task.put(&[record(0, "lost".into())]).await.unwrap_err();
    assert!(
        err.is_retriable(),
        "the runner should redeliver the batch later, not fail the task"
    );
    assert_eq!(err.to_string(), "Failed to write to /dev/full");
}
