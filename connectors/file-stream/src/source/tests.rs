use std::io::Write as _;
use std::sync::Arc;

use connect_api::SchemaType;
use connect_api::config::ConfigInfos;
use serde_json::json;

use super::*;
use crate::testing::{StubOffsets, props, source_context};

fn partition(file: &str) -> SourcePartition {
    SourcePartition::new(json!({ "filename": file }).as_object().unwrap().clone())
}

fn offset(v: Json) -> SourceOffset {
    SourceOffset(json!({ "position": v }).as_object().unwrap().clone())
}

async fn start_task(
    file: &str,
    extra: &[(&str, &str)],
    offsets: Arc<StubOffsets>,
) -> FileStreamSourceTask {
    let mut p = props(&[("file", file), ("topic", "lines")]);
    p.extend(props(extra));
    let config = FileStreamSourceConfig::parse(&p).unwrap();
    FileStreamSourceTask::start(source_context(p, offsets), config)
        .await
        .unwrap()
}

fn values(records: &[SourceRecord]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r.value.value.as_str().unwrap())
        .collect()
}

fn positions(records: &[SourceRecord]) -> Vec<i64> {
    records
        .iter()
        .map(|r| {
            r.source_offset.to_offset().0[POSITION_FIELD]
                .as_i64()
                .unwrap()
        })
        .collect()
}

fn append(path: &std::path::Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn config_def_is_kafkas() {
    let infos = ConfigInfos::new(
        "FileStreamSourceConnector",
        &CONFIG_DEF,
        &Default::default(),
    );
    let json = serde_json::to_value(CONFIG_DEF.key_infos()).unwrap();
    assert_eq!(
        json,
        json!([
            {"name": "file", "type": "STRING", "required": false, "default_value": null,
             "importance": "HIGH",
             "documentation": "Source filename. If not specified, the standard input will be used",
             "group": null, "width": "NONE", "display_name": "file", "dependents": [], "order": -1},
            {"name": "topic", "type": "STRING", "required": true, "default_value": null,
             "importance": "HIGH", "documentation": "The topic to publish data to",
             "group": null, "width": "NONE", "display_name": "topic", "dependents": [], "order": -1},
            {"name": "batch.size", "type": "INT", "required": false, "default_value": "2000",
             "importance": "LOW",
             "documentation": "The maximum number of records the source task can read from the file each time it is polled",
             "group": null, "width": "NONE", "display_name": "batch.size", "dependents": [], "order": -1},
        ])
    );
    assert!(infos.groups.is_empty());
}

#[test]
fn topic_is_required_and_non_empty() {
    let missing = FileStreamSourceConfig::parse(&props(&[("file", "/tmp/x")])).unwrap_err();
    assert_eq!(
        missing.0,
        [(
            "topic".to_owned(),
            "Missing required configuration \"topic\" which has no default value.".to_owned()
        )]
    );
    let empty = FileStreamSourceConfig::parse(&props(&[("topic", "")])).unwrap_err();
    assert_eq!(
        empty.0,
        [(
            "topic".to_owned(),
            "Invalid value  for configuration topic: String must be non-empty".to_owned()
        )]
    );
    let ok = FileStreamSourceConfig::parse(&props(&[("topic", "t"), ("file", "")])).unwrap();
    assert_eq!(ok.file, None, "an empty file name means stdin, as in Kafka");
    assert_eq!(ok.batch_size, 2000);
}

#[tokio::test]
async fn one_task_whatever_tasks_max_carrying_every_property() {
    let p = props(&[
        ("connector.class", "FileStreamSource"),
        ("file", "/tmp/in.txt"),
        ("topic", "t"),
        ("tasks.max", "4"),
    ]);
    let config = FileStreamSourceConfig::parse(&p).unwrap();
    let ctx = ConnectorContext {
        name: "src".into(),
        host: Arc::new(NoopConnectorHost),
    };
    let connector = FileStreamSourceConnector::start(ctx, config).await.unwrap();
    let tasks = connector.task_configs(NonZeroU32::new(4).unwrap()).unwrap();
    assert_eq!(tasks, vec![p]);
}

#[derive(Debug)]
struct NoopConnectorHost;
impl connect_api::connector::ConnectorHost for NoopConnectorHost {
    fn request_task_reconfiguration(&self) {}
    fn raise_error(&self, _error: ConnectError) {}
}

#[tokio::test(start_paused = true)]
async fn emits_each_line_with_the_byte_position_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    // "é" is two bytes: positions count bytes, so that seeking to them on restart is exact.
    append(&path, "a\nbé\r\nc\rd\n");
    let file = path.to_str().unwrap();
    let mut task = start_task(file, &[], Arc::default()).await;

    let records = task.poll().await.unwrap();

    assert_eq!(values(&records), ["a", "bé", "c", "d"]);
    assert_eq!(positions(&records), [2, 7, 9, 11]);
    let first = &records[0];
    assert_eq!(first.topic, "lines");
    assert_eq!(first.source_partition, partition(file));
    assert_eq!(
        first.value.schema.as_ref().unwrap().schema_type,
        SchemaType::String
    );
    assert!(!first.value.schema.as_ref().unwrap().optional);
    assert_eq!(first.key, SchemaAndValue::NULL);
    assert!(first.timestamp.is_some());
}

#[tokio::test(start_paused = true)]
async fn resumes_after_the_committed_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    append(&path, "one\ntwo\nthree\n");
    let file = path.to_str().unwrap();
    let offsets = Arc::new(StubOffsets::default());
    offsets
        .committed
        .lock()
        .unwrap()
        .push((partition(file), offset(json!(4))));
    let mut task = start_task(file, &[], offsets).await;

    let records = task.poll().await.unwrap();

    assert_eq!(values(&records), ["two", "three"]);
    assert_eq!(positions(&records), [8, 14]);
}

#[tokio::test(start_paused = true)]
async fn a_committed_position_of_the_wrong_type_fails_the_task() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    append(&path, "one\n");
    let file = path.to_str().unwrap();
    let offsets = Arc::new(StubOffsets::default());
    offsets
        .committed
        .lock()
        .unwrap()
        .push((partition(file), offset(json!("4"))));
    let mut task = start_task(file, &[], offsets).await;

    let err = task.poll().await.unwrap_err();

    assert!(!err.is_retriable());
    assert_eq!(err.to_string(), "Offset position is the incorrect type");
}

#[tokio::test(start_paused = true)]
async fn tails_lines_appended_after_end_of_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    append(&path, "first\npart");
    let file = path.to_str().unwrap();
    let mut task = start_task(file, &[], Arc::default()).await;

    assert_eq!(values(&task.poll().await.unwrap()), ["first"]);

    // At end of input the task backs off a second before answering "nothing yet".
    let before = tokio::time::Instant::now();
    assert!(task.poll().await.unwrap().is_empty());
    assert!(before.elapsed() >= EOF_BACKOFF);

    // The unterminated "part" is completed by the append and is emitted whole.
    append(&path, "ial\nsecond\n");
    let records = task.poll().await.unwrap();
    assert_eq!(values(&records), ["partial", "second"]);
    assert_eq!(positions(&records), [14, 21]);
}

#[tokio::test(start_paused = true)]
async fn waits_for_a_file_that_does_not_exist_yet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later.txt");
    let file = path.to_str().unwrap();
    let mut task = start_task(file, &[], Arc::default()).await;

    let before = tokio::time::Instant::now();
    assert!(task.poll().await.unwrap().is_empty());
    assert!(before.elapsed() >= EOF_BACKOFF);

    append(&path, "hello\n");
    assert_eq!(values(&task.poll().await.unwrap()), ["hello"]);
}

#[tokio::test(start_paused = true)]
async fn batch_size_bounds_each_poll_without_losing_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    append(&path, "1\n2\n3\n4\n5\n");
    let file = path.to_str().unwrap();
    let mut task = start_task(file, &[("batch.size", "2")], Arc::default()).await;

    assert_eq!(values(&task.poll().await.unwrap()), ["1", "2"]);
    assert_eq!(values(&task.poll().await.unwrap()), ["3", "4"]);
    let last = task.poll().await.unwrap();
    assert_eq!(values(&last), ["5"]);
    assert_eq!(positions(&last), [10]);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_poll_loses_no_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    append(&path, "a\nb\n");
    let file = path.to_str().unwrap();
    let mut task = start_task(file, &[], Arc::default()).await;
    assert_eq!(values(&task.poll().await.unwrap()), ["a", "b"]);

    // Cancel a poll that is waiting at end of file, as the runner does at shutdown.
    let cancelled = tokio::time::timeout(Duration::from_millis(10), task.poll()).await;
    assert!(cancelled.is_err());

    append(&path, "c\n");
    let records = task.poll().await.unwrap();
    assert_eq!(values(&records), ["c"]);
    assert_eq!(positions(&records), [6]);
}

fn alter(config: &[(&str, &str)], offsets: &[(Json, Option<Json>)]) -> Result<bool, ConnectError> {
    let offsets: Vec<_> = offsets
        .iter()
        .map(|(p, o)| {
            (
                SourcePartition::new(p.as_object().unwrap().clone()),
                o.as_ref()
                    .map(|o| SourceOffset(o.as_object().unwrap().clone())),
            )
        })
        .collect();
    FileStreamSourceConnector::alter_offsets(&props(config), &offsets)
}

const WITH_FILE: &[(&str, &str)] = &[("file", "/tmp/in.txt"), ("topic", "t")];

#[test]
fn alter_offsets_accepts_positions_and_tombstones() {
    let ok = alter(
        WITH_FILE,
        &[
            (
                json!({"filename": "/tmp/in.txt"}),
                Some(json!({"position": 42})),
            ),
            (
                json!({"filename": "/tmp/old.txt"}),
                Some(json!({"position": 0})),
            ),
            (json!({"garbage": 1}), None),
        ],
    );
    assert!(ok.unwrap());
}

#[test]
fn alter_offsets_rejects_bad_offsets_with_kafkas_messages() {
    let cases = [
        (
            json!({"filename": "f"}),
            json!({"pos": 1}),
            "Offset objects should either be null or contain the key 'position'",
        ),
        (
            json!({"filename": "f"}),
            json!({"position": "10"}),
            "The value for the 'position' key in the offset is expected to be a Long value",
        ),
        (
            json!({"filename": "f"}),
            json!({"position": 1.5}),
            "The value for the 'position' key in the offset is expected to be a Long value",
        ),
        (
            json!({"filename": "f"}),
            json!({"position": -1}),
            "The value for the 'position' key in the offset should be a non-negative value",
        ),
        (
            json!({"file": "f"}),
            json!({"position": 1}),
            "Partition objects should contain the key 'filename'",
        ),
    ];
    for (p, o, message) in cases {
        let err = alter(WITH_FILE, &[(p, Some(o))]).unwrap_err();
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn alter_offsets_is_refused_for_stdin() {
    let err = alter(&[("topic", "t")], &[(json!({"filename": null}), None)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Offsets cannot be modified if the 'file' configuration is unspecified. \
         This is because stdin is used for input and offsets are not tracked."
    );
}

#[tokio::test(start_paused = true)]
async fn poll_after_stop_reports_stopped_instead_of_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    append(&path, "a\n");
    let mut task = start_task(path.to_str().unwrap(), &[], Arc::default()).await;
    assert_eq!(values(&task.poll().await.unwrap()), ["a"]);

    task.stop().await.unwrap();
    append(&path, "b\n");

    assert!(matches!(task.poll().await, Err(ConnectError::Stopped)));
}
