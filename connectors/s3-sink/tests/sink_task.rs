//! Drives `S3SinkTask` directly, as the runtime would, against an in-memory store (and a real
//! S3 endpoint when `S3_ENDPOINT` is set).

use std::collections::BTreeMap;
use std::io::Read as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use connect_api::{
    AssignedPartition, ConnectError, ConnectorConfig, OffsetMap, Props, Schema, SchemaAndValue,
    SinkRecord, SinkTask, Struct, TimestampType, TopicPartition, Value,
};
use connect_s3_sink::{
    Clock, ManualClock, ObjectStoreBackend, S3SinkConfig, S3SinkError, S3SinkTask, SinkStore,
};
use futures::TryStreamExt as _;
use object_store::memory::InMemory;
use object_store::multipart::PartId;
use object_store::path::Path;
use object_store::{MultipartId, ObjectStore, ObjectStoreExt as _};

mod support {
    use super::*;

    pub(crate) fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    pub(crate) const BRAZILLIAN: &[(&str, &str)] = &[
        ("topics.regex", "dbserver1.brazillian_ecommerce.*"),
        ("topics.dir", "brazillian_ecommerce"),
        ("connector.class", "io.confluent.connect.s3.S3SinkConnector"),
        (
            "key.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        (
            "format.class",
            "io.confluent.connect.s3.format.json.JsonFormat",
        ),
        ("flush.size", "1000"),
        ("store.url", "http://minio:9000"),
        ("storage.class", "io.confluent.connect.s3.storage.S3Storage"),
        ("s3.region", "us-east-1"),
        ("s3.bucket.name", "warehouse"),
        ("aws.access.key.id", "minio"),
        ("aws.secret.access.key", "minio123"),
    ];

    pub(crate) const CLICKSTREAM: &[(&str, &str)] = &[
        ("topics", "clickstream_events"),
        ("topics.dir", "clickstream_events"),
        ("connector.class", "io.confluent.connect.s3.S3SinkConnector"),
        ("key.converter.schemas.enable", "false"),
        (
            "key.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("value.converter.schemas.enable", "false"),
        ("s3.compression.type", "gzip"),
        (
            "format.class",
            "io.confluent.connect.s3.format.json.JsonFormat",
        ),
        ("flush.size", "100"),
        ("store.url", "http://minio:9000"),
        ("storage.class", "io.confluent.connect.s3.storage.S3Storage"),
        ("s3.region", "us-east-1"),
        ("s3.bucket.name", "warehouse"),
        ("aws.access.key.id", "minio"),
        ("aws.secret.access.key", "minio123"),
    ];

    pub(crate) fn config(base: &[(&str, &str)], overrides: &[(&str, &str)]) -> S3SinkConfig {
        let mut p = props(base);
        for (k, v) in overrides {
            p.insert((*k).to_owned(), (*v).to_owned());
        }
        S3SinkConfig::parse(&p).unwrap()
    }

    pub(crate) fn record(
        topic: &str,
        partition: i32,
        offset: i64,
        value: SchemaAndValue,
    ) -> SinkRecord {
        SinkRecord {
            topic: topic.into(),
            kafka_partition: partition,
            kafka_offset: offset,
            key: SchemaAndValue::NULL,
            value,
            timestamp: Some(1_700_000_000_000 + offset),
            timestamp_type: TimestampType::CreateTime,
            headers: Default::default(),
            raw_key: None,
            raw_value: None,
        }
    }

    /// A schemaless clickstream event, as `JsonConverter` with `schemas.enable=false` gives it
    /// (fields in the producer's order).
    pub(crate) fn click(partition: i32, offset: i64) -> SinkRecord {
        let s = |v: String| Value::String(v);
        let value = Value::Map(vec![
            (s("event_id".into()), Value::Int64(offset)),
            (s("user_id".into()), s(format!("u{}", offset % 10))),
            (s("session_id".into()), s(format!("s{}", offset / 10))),
            (s("event_type".into()), s("click".into())),
            (s("page_url".into()), s(format!("/p/{}", offset % 7))),
            (s("ts".into()), Value::Int64(1_700_000_000_000 + offset)),
        ]);
        record(
            "clickstream_events",
            partition,
            offset,
            SchemaAndValue::schemaless(value),
        )
    }

    /// The line Confluent writes for [`click`]: Java `HashMap` order (checked independently:
    /// buckets page_url 0, event_id 3, event_type 3, user_id 5, session_id 9, ts 15).
    pub(crate) fn click_line(offset: i64) -> String {
        format!(
            r#"{{"page_url":"/p/{}","event_id":{offset},"event_type":"click","user_id":"u{}","session_id":"s{}","ts":{}}}"#,
            offset % 7,
            offset % 10,
            offset / 10,
            1_700_000_000_000 + offset
        )
    }

    pub(crate) fn memory() -> (Arc<InMemory>, Arc<dyn SinkStore>) {
        let mem = Arc::new(InMemory::new());
        let store: Arc<dyn SinkStore> = Arc::new(ObjectStoreBackend::new(mem.clone()));
        (mem, store)
    }

    pub(crate) fn task(
        cfg: S3SinkConfig,
        store: Arc<dyn SinkStore>,
        clock: Arc<ManualClock>,
    ) -> S3SinkTask {
        S3SinkTask::from_parts(cfg, store, clock as Arc<dyn Clock>)
    }

    /// A task with `clickstream_events-0` opened and no committed offset: most tests' start.
    pub(crate) async fn click_task(
        cfg: S3SinkConfig,
        store: Arc<dyn SinkStore>,
        clock: Arc<ManualClock>,
    ) -> S3SinkTask {
        let mut t = task(cfg, store, clock);
        t.open(&[assigned("clickstream_events", 0, None)])
            .await
            .unwrap();
        t
    }

    pub(crate) fn assigned(
        topic: &str,
        partition: i32,
        committed: Option<i64>,
    ) -> AssignedPartition {
        AssignedPartition {
            partition: TopicPartition::new(topic, partition),
            committed,
        }
    }

    /// Every object, gunzipped when its key ends in `.gz`.
    pub(crate) async fn objects(store: &dyn ObjectStore) -> BTreeMap<String, Vec<u8>> {
        objects_under(store, None).await
    }

    pub(crate) async fn objects_under(
        store: &dyn ObjectStore,
        prefix: Option<&Path>,
    ) -> BTreeMap<String, Vec<u8>> {
        let metas: Vec<_> = store.list(prefix).try_collect().await.unwrap();
        let mut out = BTreeMap::new();
        for m in metas {
            let bytes = store.get(&m.location).await.unwrap().bytes().await.unwrap();
            let key = m.location.to_string();
            let data = if key.ends_with(".gz") {
                let mut d = Vec::new();
                flate2::read::GzDecoder::new(bytes.as_ref())
                    .read_to_end(&mut d)
                    .unwrap();
                d
            } else {
                bytes.to_vec()
            };
            out.insert(key, data);
        }
        out
    }

    pub(crate) fn lines(data: &[u8]) -> Vec<String> {
        let text = String::from_utf8(data.to_vec()).unwrap();
        assert!(
            text.ends_with('\n'),
            "every record ends with a line separator"
        );
        text.lines().map(str::to_owned).collect()
    }

    /// Every `event_id` across all objects, in key order, to check exactly-once.
    pub(crate) fn event_ids(objects: &BTreeMap<String, Vec<u8>>) -> Vec<i64> {
        let mut ids: Vec<i64> = objects
            .values()
            .flat_map(|d| lines(d))
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(&l).unwrap()["event_id"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        ids.sort_unstable();
        ids
    }

    pub(crate) fn offsets(pairs: &[(&str, i32, i64)]) -> OffsetMap {
        pairs
            .iter()
            .map(|(t, p, o)| (TopicPartition::new(*t, *p), *o))
            .collect()
    }

    /// A store that fails every request while `down` is set.
    #[derive(Debug)]
    pub(crate) struct FlakyStore {
        pub(crate) inner: Arc<dyn SinkStore>,
        pub(crate) down: AtomicBool,
        pub(crate) failures: AtomicUsize,
        /// When set, every `PUT` waits for a permit (the test lets uploads through by hand).
        pub(crate) gate: Option<tokio::sync::Semaphore>,
    }

    impl FlakyStore {
        pub(crate) fn new(inner: Arc<dyn SinkStore>) -> Self {
            Self {
                inner,
                down: AtomicBool::new(false),
                failures: AtomicUsize::new(0),
                gate: None,
            }
        }

        fn check(&self, key: &Path) -> Result<(), S3SinkError> {
            if self.down.load(Ordering::SeqCst) {
                self.failures.fetch_add(1, Ordering::SeqCst);
                return Err(S3SinkError::Store {
                    key: key.to_string(),
                    source: object_store::Error::Generic {
                        store: "flaky",
                        source: "connection refused".into(),
                    },
                });
            }
            Ok(())
        }
    }

    #[async_trait]
    impl SinkStore for FlakyStore {
        async fn put_new(
            &self,
            key: &Path,
            data: Bytes,
            metadata: &[(&'static str, String)],
        ) -> Result<connect_s3_sink::store::Created, S3SinkError> {
            if let Some(gate) = &self.gate
                && let Ok(permit) = gate.acquire().await
            {
                permit.forget();
            }
            self.check(key)?;
            self.inner.put_new(key, data, metadata).await
        }
        async fn create_multipart(&self, key: &Path) -> Result<MultipartId, S3SinkError> {
            self.check(key)?;
            self.inner.create_multipart(key).await
        }
        async fn put_part(
            &self,
            key: &Path,
            id: &MultipartId,
            idx: usize,
            data: Bytes,
        ) -> Result<PartId, S3SinkError> {
            self.check(key)?;
            self.inner.put_part(key, id, idx, data).await
        }
        async fn complete_multipart(
            &self,
            key: &Path,
            id: &MultipartId,
            parts: Vec<PartId>,
        ) -> Result<(), S3SinkError> {
            self.check(key)?;
            self.inner.complete_multipart(key, id, parts).await
        }
        async fn abort_multipart(&self, key: &Path, id: &MultipartId) -> Result<(), S3SinkError> {
            self.check(key)?;
            self.inner.abort_multipart(key, id).await
        }
        async fn exists(&self, key: &Path) -> Result<bool, S3SinkError> {
            self.check(key)?;
            self.inner.exists(key).await
        }
        async fn list(&self, prefix: Option<&Path>) -> Result<Vec<Path>, S3SinkError> {
            self.check(&Path::from("list"))?;
            self.inner.list(prefix).await
        }
        async fn read(
            &self,
            key: &Path,
        ) -> Result<(Bytes, std::collections::HashMap<String, String>), S3SinkError> {
            self.check(key)?;
            self.inner.read(key).await
        }
    }
}

use support::*;

const T0: i64 = 1_699_920_000_000; // 2023-11-14T00:00:00Z

#[tokio::test]
async fn clickstream_config_writes_gzipped_json_lines_at_confluent_keys() {
    let (mem, store) = memory();
    let clock = Arc::new(ManualClock::new(T0));
    let mut t = task(config(CLICKSTREAM, &[]), store, clock);
    t.open(&[
        assigned("clickstream_events", 0, None),
        assigned("clickstream_events", 1, None),
    ])
    .await
    .unwrap();

    let batch: Vec<SinkRecord> = (0..250)
        .map(|o| click(0, o))
        .chain((0..120).map(|o| click(1, o)))
        .collect();
    for chunk in batch.chunks(37) {
        t.put(chunk).await.unwrap();
    }
    let committed = t.pre_commit(&OffsetMap::new()).await.unwrap();
    assert_eq!(
        committed,
        offsets(&[
            ("clickstream_events", 0, 200),
            ("clickstream_events", 1, 100)
        ])
    );

    let objs = objects(mem.as_ref()).await;
    let keys: Vec<&str> = objs.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "clickstream_events/clickstream_events/partition=0/clickstream_events+0+0000000000.json.gz",
            "clickstream_events/clickstream_events/partition=0/clickstream_events+0+0000000100.json.gz",
            "clickstream_events/clickstream_events/partition=1/clickstream_events+1+0000000000.json.gz",
        ]
    );
    let second = &objs["clickstream_events/clickstream_events/partition=0/clickstream_events+0+0000000100.json.gz"];
    assert_eq!(
        lines(second),
        (100..200).map(click_line).collect::<Vec<_>>()
    );

    // Raw bytes really are gzip (Java's header magic), not plain text.
    let raw = mem
        .get(&Path::from("clickstream_events/clickstream_events/partition=1/clickstream_events+1+0000000000.json.gz"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&raw[..3], &[0x1f, 0x8b, 0x08]);
    // Nothing is committed twice: a second pre_commit without progress reports nothing.
    assert!(t.pre_commit(&OffsetMap::new()).await.unwrap().is_empty());
}

#[tokio::test]
async fn brazillian_config_writes_struct_payloads_without_the_envelope() {
    let (mem, store) = memory();
    let clock = Arc::new(ManualClock::new(T0));
    let mut t = task(config(BRAZILLIAN, &[]), store, clock);
    let topic = "dbserver1.brazillian_ecommerce.orders";
    t.open(&[assigned(topic, 0, None)]).await.unwrap();

    let row = Schema::struct_builder()
        .name("dbserver1.brazillian_ecommerce.orders.Value")
        .optional()
        .field("order_id", Schema::string())
        .field("order_status", Schema::optional_string())
        .field("price", Schema::float64())
        .build();
    let envelope = Schema::struct_builder()
        .name("dbserver1.brazillian_ecommerce.orders.Envelope")
        .field("before", row.clone())
        .field("after", row.clone())
        .field("op", Schema::string())
        .field("ts_ms", Schema::optional_int64())
        .build();
    let make = |o: i64| {
        let after = Struct::new(row.clone())
            .with("order_id", format!("o{o}").as_str())
            .with(
                "order_status",
                if o % 2 == 0 {
                    Value::String("delivered\n\"x\"".into())
                } else {
                    Value::Null
                },
            )
            .with("price", Value::Float64(o as f64 / 4.0));
        let v = Struct::new(envelope.clone())
            .with("after", Value::Struct(after))
            .with("op", "c")
            .with("ts_ms", Value::Int64(1_700_000_000_000 + o));
        record(
            topic,
            0,
            o,
            SchemaAndValue::new(Some(envelope.clone()), Value::Struct(v)),
        )
    };
    let batch: Vec<SinkRecord> = (0..2500).map(make).collect();
    t.put(&batch[..1700]).await.unwrap();
    t.put(&batch[1700..]).await.unwrap();
    assert_eq!(
        t.pre_commit(&OffsetMap::new()).await.unwrap(),
        offsets(&[(topic, 0, 2000)])
    );

    let objs = objects(mem.as_ref()).await;
    let keys: Vec<&str> = objs.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "brazillian_ecommerce/dbserver1.brazillian_ecommerce.orders/partition=0/dbserver1.brazillian_ecommerce.orders+0+0000000000.json",
            "brazillian_ecommerce/dbserver1.brazillian_ecommerce.orders/partition=0/dbserver1.brazillian_ecommerce.orders+0+0000001000.json",
        ]
    );
    let l = lines(&objs[keys[1]]);
    assert_eq!(l.len(), 1000);
    assert_eq!(
        l[0],
        r#"{"before":null,"after":{"order_id":"o1000","order_status":"delivered\n\"x\"","price":250.0},"op":"c","ts_ms":1700000001000}"#
    );
    assert_eq!(
        l[1],
        r#"{"before":null,"after":{"order_id":"o1001","order_status":null,"price":250.25},"op":"c","ts_ms":1700000001001}"#
    );
}

/// Crash = the task is dropped without `pre_commit`; the next one opens at the last returned
/// offset and receives the same records again.
async fn crash_and_replay(scheduled: bool) {
    let (mem, store) = memory();
    let overrides: &[(&str, &str)] = if scheduled {
        &[
            ("flush.size", "100"),
            ("rotate.schedule.interval.ms", "60000"),
            ("timezone", "UTC"),
        ]
    } else {
        &[("flush.size", "3")]
    };
    let tp = ("clickstream_events", 0);

    // First incarnation.
    let clock = Arc::new(ManualClock::new(T0 + 1_000));
    let mut t1 = task(config(CLICKSTREAM, overrides), store.clone(), clock.clone());
    t1.open(&[assigned(tp.0, tp.1, None)]).await.unwrap();
    t1.put(&(0..5).map(|o| click(0, o)).collect::<Vec<_>>())
        .await
        .unwrap();
    if scheduled {
        // A minute passes: the next put closes the open file early, on the wall clock.
        clock.advance(60_000);
    }
    let first = t1.pre_commit(&OffsetMap::new()).await.unwrap();
    let c1 = if scheduled { 5 } else { 3 };
    assert_eq!(first, offsets(&[(tp.0, tp.1, c1)]));
    t1.put(&(5..8).map(|o| click(0, o)).collect::<Vec<_>>())
        .await
        .unwrap();
    clock.advance(60_000);
    t1.put(&[]).await.unwrap(); // an empty poll still drives the schedule
    t1.put(&(8..10).map(|o| click(0, o)).collect::<Vec<_>>())
        .await
        .unwrap();
    settle(&mut t1).await; // the uploads finish; the crash comes before the commit
    let before_crash = objects(mem.as_ref()).await;
    drop(t1);

    // Second incarnation, with a clock that would cut files elsewhere.
    let clock2 = Arc::new(ManualClock::new(T0 + 30_000_000));
    let mut t2 = task(
        config(CLICKSTREAM, overrides),
        store.clone(),
        clock2.clone(),
    );
    t2.open(&[assigned(tp.0, tp.1, Some(c1))]).await.unwrap();
    t2.put(&(c1..12).map(|o| click(0, o)).collect::<Vec<_>>())
        .await
        .unwrap();
    clock2.advance(60_000);
    let second = t2.pre_commit(&OffsetMap::new()).await.unwrap();
    assert_eq!(second, offsets(&[(tp.0, tp.1, 12)]));

    let after = objects(mem.as_ref()).await;
    // Objects that existed before the crash are untouched, byte for byte.
    for (k, v) in &before_crash {
        assert_eq!(after.get(k), Some(v), "{k} changed");
    }
    // Every record is in exactly one object.
    assert_eq!(event_ids(&after), (0..12).collect::<Vec<_>>());
    let starts: Vec<String> = after
        .keys()
        .map(|k| k.rsplit('+').next().unwrap().to_owned())
        .collect();
    if scheduled {
        assert_eq!(
            starts,
            [
                "0000000000.json.gz",
                "0000000005.json.gz",
                "0000000008.json.gz"
            ]
        );
    } else {
        assert_eq!(
            starts,
            [
                "0000000000.json.gz",
                "0000000003.json.gz",
                "0000000006.json.gz",
                "0000000009.json.gz"
            ]
        );
    }
}

#[tokio::test]
async fn replay_after_crash_is_exactly_once_with_deterministic_rotation() {
    crash_and_replay(false).await;
}

#[tokio::test]
async fn replay_after_crash_is_exactly_once_with_scheduled_rotation() {
    crash_and_replay(true).await;
}

#[tokio::test]
async fn scheduled_rotation_flushes_an_idle_partition_from_pre_commit() {
    let (mem, store) = memory();
    let clock = Arc::new(ManualClock::new(T0 + 10_000));
    let cfg = config(
        CLICKSTREAM,
        &[
            ("rotate.schedule.interval.ms", "3600000"),
            ("timezone", "UTC"),
        ],
    );
    let mut t = click_task(cfg, store, clock.clone()).await;
    t.put(&(0..7).map(|o| click(0, o)).collect::<Vec<_>>())
        .await
        .unwrap();
    clock.set(T0 + 3_599_999);
    assert!(t.pre_commit(&OffsetMap::new()).await.unwrap().is_empty());
    assert!(objects(mem.as_ref()).await.is_empty());
    clock.set(T0 + 3_600_000); // the top of the hour, aligned to midnight UTC
    assert_eq!(
        t.pre_commit(&OffsetMap::new()).await.unwrap(),
        offsets(&[("clickstream_events", 0, 7)])
    );
    assert_eq!(
        event_ids(&objects(mem.as_ref()).await),
        (0..7).collect::<Vec<_>>()
    );
}

/// Waits for the task's background uploads, as the runtime's commit does (the offsets it
/// reports are not committed anywhere here).
async fn settle(t: &mut S3SinkTask) {
    t.pre_commit(&OffsetMap::new()).await.unwrap();
}

/// The error a store failure surfaces as: rotated files complete in the background, so it comes
/// from this `put` or, at the latest, from the next `pre_commit` (which waits for uploads).
async fn put_error(t: &mut S3SinkTask, records: &[SinkRecord]) -> ConnectError {
    match t.put(records).await {
        Err(e) => e,
        Ok(()) => t
            .pre_commit(&OffsetMap::new())
            .await
            .expect_err("the store failure surfaces by pre_commit"),
    }
}

#[tokio::test]
async fn s3_outage_is_retriable_and_loses_or_doubles_nothing() {
    let (mem, inner) = memory();
    let flaky = Arc::new(FlakyStore::new(inner));
    let clock = Arc::new(ManualClock::new(T0));
    let mut t = click_task(
        config(CLICKSTREAM, &[("flush.size", "3")]),
        flaky.clone(),
        clock,
    )
    .await;
    let batch: Vec<SinkRecord> = (0..8).map(|o| click(0, o)).collect();
    t.put(&batch[..2]).await.unwrap();

    flaky.down.store(true, Ordering::SeqCst);
    let err = put_error(&mut t, &batch[2..6]).await;
    assert!(err.is_retriable(), "{err}");
    let err = t.pre_commit(&OffsetMap::new()).await.unwrap_err();
    assert!(err.is_retriable(), "{err}");
    assert!(flaky.failures.load(Ordering::SeqCst) >= 2);

    // The runtime redelivers the same batch once S3 is back.
    flaky.down.store(false, Ordering::SeqCst);
    t.put(&batch[2..6]).await.unwrap();
    t.put(&batch[6..]).await.unwrap();
    assert_eq!(
        t.pre_commit(&OffsetMap::new()).await.unwrap(),
        offsets(&[("clickstream_events", 0, 6)])
    );
    let objs = objects(mem.as_ref()).await;
    assert_eq!(objs.len(), 2);
    assert_eq!(event_ids(&objs), (0..6).collect::<Vec<_>>());
}

/// A clickstream event with a large payload, to exercise parts and the memory cap.
fn big_click(partition: i32, offset: i64, size: usize) -> SinkRecord {
    let payload: String = std::iter::repeat_n('x', size).collect();
    let value = Value::Map(vec![
        (Value::String("event_id".into()), Value::Int64(offset)),
        (Value::String("blob".into()), Value::String(payload)),
    ]);
    record(
        "clickstream_events",
        partition,
        offset,
        SchemaAndValue::schemaless(value),
    )
}

#[tokio::test]
async fn large_files_stream_as_multipart_parts_and_recover_by_counting_lines() {
    let (mem, inner) = memory();
    let flaky = Arc::new(FlakyStore::new(inner));
    let overrides = [
        ("s3.compression.type", "none"),
        ("flush.size", "60"),
        ("s3.part.size", "5242880"),
    ];
    let clock = Arc::new(ManualClock::new(T0));
    let mut t = click_task(
        config(CLICKSTREAM, &overrides),
        flaky.clone(),
        clock.clone(),
    )
    .await;
    // 60 records of ~100 KB: the first part (5 MiB) goes out while the file is still open.
    let batch: Vec<SinkRecord> = (0..75).map(|o| big_click(0, o, 100_000)).collect();
    t.put(&batch[..55]).await.unwrap();
    assert!(
        objects(mem.as_ref()).await.is_empty(),
        "a file is invisible until complete"
    );
    flaky.down.store(true, Ordering::SeqCst);
    assert!(put_error(&mut t, &batch[55..]).await.is_retriable());
    flaky.down.store(false, Ordering::SeqCst);
    t.put(&batch[55..]).await.unwrap();
    settle(&mut t).await;
    let objs = objects(mem.as_ref()).await;
    let key =
        "clickstream_events/clickstream_events/partition=0/clickstream_events+0+0000000000.json";
    assert_eq!(objs.keys().collect::<Vec<_>>(), [key]);
    assert_eq!(event_ids(&objs), (0..60).collect::<Vec<_>>());
    let head = mem.head(&Path::from(key)).await.unwrap();
    assert!(head.size > 5_242_880);
    drop(t); // crash before the commit of offset 60

    let mut t2 = click_task(config(CLICKSTREAM, &overrides), flaky.clone(), clock).await;
    t2.put(&batch).await.unwrap();
    t2.put(&(75..120).map(|o| big_click(0, o, 10)).collect::<Vec<_>>())
        .await
        .unwrap();
    assert_eq!(
        t2.pre_commit(&OffsetMap::new()).await.unwrap(),
        offsets(&[("clickstream_events", 0, 120)])
    );
    assert_eq!(
        event_ids(&objects(mem.as_ref()).await),
        (0..120).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn memory_cap_flushes_early_instead_of_failing_and_stays_exactly_once() {
    let (mem, store) = memory();
    let overrides = [
        ("s3.compression.type", "none"),
        ("flush.size", "1000"),
        ("sluice.max.buffered.bytes", "1048576"),
        ("rotate.schedule.interval.ms", "60000"),
        ("timezone", "UTC"),
    ];
    let clock = Arc::new(ManualClock::new(T0));
    let mut t = task(
        config(CLICKSTREAM, &overrides),
        store.clone(),
        clock.clone(),
    );
    let parts: Vec<_> = (0..4)
        .map(|p| assigned("clickstream_events", p, None))
        .collect();
    t.open(&parts).await.unwrap();
    // 4 partitions x 40 records x 50 KB = 8 MB, far above the 1 MiB cap and below flush.size.
    let batch: Vec<SinkRecord> = (0..40)
        .flat_map(|o| (0..4).map(move |p| big_click(p, o, 50_000)))
        .collect();
    t.put(&batch).await.unwrap();
    let objs = objects(mem.as_ref()).await;
    assert!(
        objs.len() >= 6,
        "early flushes wrote {} objects",
        objs.len()
    );
    assert!(
        objs.values().all(|o| o.len() <= 1_048_576 + 51_000),
        "no object exceeds the cap by more than a record"
    );
    assert_eq!(t.pre_commit(&OffsetMap::new()).await.unwrap().len(), 4);
    drop(t);

    // Crash before those commits reached Kafka: everything is replayed, and the early
    // (non-deterministic) boundaries are recovered from the bucket.
    let mut t2 = task(config(CLICKSTREAM, &overrides), store, clock.clone());
    t2.open(&parts).await.unwrap();
    t2.put(&batch).await.unwrap();
    clock.advance(120_000);
    assert_eq!(
        t2.pre_commit(&OffsetMap::new())
            .await
            .unwrap()
            .values()
            .collect::<Vec<_>>(),
        [&40, &40, &40, &40]
    );
    let objs = objects(mem.as_ref()).await;
    for p in 0..4 {
        let ids: Vec<i64> = {
            let mine: BTreeMap<String, Vec<u8>> = objs
                .iter()
                .filter(|(k, _)| k.contains(&format!("partition={p}/")))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            event_ids(&mine)
        };
        assert_eq!(ids, (0..40).collect::<Vec<_>>(), "partition {p}");
    }
}

#[tokio::test]
async fn null_values_fail_by_default_and_are_skipped_with_ignore() {
    let (_, store) = memory();
    let clock = Arc::new(ManualClock::new(T0));
    let tombstone = record("clickstream_events", 0, 0, SchemaAndValue::NULL);
    let mut t = task(config(CLICKSTREAM, &[]), store.clone(), clock.clone());
    let err = t.put(std::slice::from_ref(&tombstone)).await.unwrap_err();
    assert!(!err.is_retriable());
    assert!(
        err.trace()
            .contains("Null valued records are not writeable"),
        "{}",
        err.trace()
    );

    let mut t = task(
        config(
            CLICKSTREAM,
            &[("behavior.on.null.values", "ignore"), ("flush.size", "2")],
        ),
        store,
        clock,
    );
    t.put(&[tombstone, click(0, 1), click(0, 2)]).await.unwrap();
    assert_eq!(
        t.pre_commit(&OffsetMap::new()).await.unwrap(),
        offsets(&[("clickstream_events", 0, 3)])
    );
}

/// Against a real S3 endpoint (s3s-fs or MinIO) when `S3_ENDPOINT` is set.
#[tokio::test]
async fn http_endpoint_round_trip_and_replay() {
    let Ok(endpoint) = std::env::var("S3_ENDPOINT") else {
        eprintln!("skipping http_endpoint_round_trip_and_replay: S3_ENDPOINT is not set");
        return;
    };
    let run = format!("sluice-s3-it-{}-{}", std::process::id(), subsec_nanos());
    let overrides = [
        ("store.url", endpoint.as_str()),
        ("topics.dir", run.as_str()),
        ("flush.size", "100"),
    ];
    let cfg = config(CLICKSTREAM, &overrides);
    let ctx = connect_api::SinkTaskContext {
        connector: "sink-s3-clickstream".into(),
        task: 0,
        props: cfg.props.clone(),
        host: Arc::new(StubHost),
    };
    let mut t = S3SinkTask::start(ctx.clone(), cfg.clone()).await.unwrap();
    t.open(&[assigned("clickstream_events", 0, None)])
        .await
        .unwrap();
    let batch: Vec<SinkRecord> = (0..250).map(|o| click(0, o)).collect();
    t.put(&batch).await.unwrap();
    drop(t); // crash before any commit

    let mut t = S3SinkTask::start(ctx, cfg).await.unwrap();
    t.open(&[assigned("clickstream_events", 0, None)])
        .await
        .unwrap();
    t.put(&batch).await.unwrap();
    assert_eq!(
        t.pre_commit(&OffsetMap::new()).await.unwrap(),
        offsets(&[("clickstream_events", 0, 200)])
    );

    let s3 = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(&endpoint)
        .with_allow_http(true)
        .with_bucket_name("warehouse")
        .with_region("us-east-1")
        .with_access_key_id("minio")
        .with_secret_access_key("minio123")
        .build()
        .unwrap();
    let mine = objects_under(&s3, Some(&Path::from(run.as_str()))).await;
    assert_eq!(mine.len(), 2, "the replay wrote no extra object");
    assert_eq!(
        mine.keys().collect::<Vec<_>>(),
        [
            &format!(
                "{run}/clickstream_events/partition=0/clickstream_events+0+0000000000.json.gz"
            ),
            &format!(
                "{run}/clickstream_events/partition=0/clickstream_events+0+0000000100.json.gz"
            ),
        ]
    );
    assert_eq!(
        lines(mine.values().next().unwrap()),
        (0..100).map(click_line).collect::<Vec<_>>()
    );
    assert_eq!(event_ids(&mine), (0..200).collect::<Vec<_>>());

    // The endpoint enforces `If-None-Match: *`: an existing object is never replaced.
    let backend = ObjectStoreBackend::new(Arc::new(s3));
    let key = Path::from(
        format!("{run}/clickstream_events/partition=0/clickstream_events+0+0000000000.json.gz")
            .as_str(),
    );
    let again = backend
        .put_new(&key, Bytes::from_static(b"other"), &[])
        .await
        .unwrap();
    assert_eq!(again, connect_s3_sink::store::Created::AlreadyExists);
}

fn subsec_nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

#[derive(Debug)]
struct StubHost;

impl connect_api::TaskHost for StubHost {
    fn request_commit(&self) {}
    fn report_progress(&self, _progress: serde_json::Value) {}
}

impl connect_api::SinkTaskHost for StubHost {
    fn reset_offset(&self, _partition: TopicPartition, _offset: i64) {}
    fn set_retry_timeout(&self, _timeout: std::time::Duration) {}
    fn assignment(&self) -> Vec<TopicPartition> {
        Vec::new()
    }
}

fn click_at(partition: i32, offset: i64, ts: i64) -> SinkRecord {
    let mut r = click(partition, offset);
    r.timestamp = Some(ts);
    r
}

#[tokio::test]
async fn time_partitioned_file_sets_replay_file_by_file() {
    let (mem, store) = memory();
    let overrides = [
        (
            "partitioner.class",
            "io.confluent.connect.storage.partitioner.HourlyPartitioner",
        ),
        ("locale", "en"),
        ("timezone", "UTC"),
        ("timestamp.extractor", "Record"),
        ("flush.size", "4"),
        ("rotate.schedule.interval.ms", "60000"),
    ];
    // Even offsets fall in hour 22, odd ones in hour 23: every file set has two files.
    let rec = |o: i64| click_at(0, o, 1_700_000_000_000 + (o % 2) * 3_600_000);
    let clock = Arc::new(ManualClock::new(T0 + 1_000));
    let mut t1 = click_task(
        config(CLICKSTREAM, &overrides),
        store.clone(),
        clock.clone(),
    )
    .await;
    t1.put(&(0..6).map(rec).collect::<Vec<_>>()).await.unwrap();
    clock.advance(61_000);
    t1.put(&[]).await.unwrap(); // the schedule closes files 4 and 5 after one record each
    t1.put(&(6..9).map(rec).collect::<Vec<_>>()).await.unwrap();
    settle(&mut t1).await; // the uploads finish; the crash comes before the commit
    let before_crash = objects(mem.as_ref()).await;
    assert_eq!(before_crash.len(), 4);
    drop(t1);

    let clock2 = Arc::new(ManualClock::new(T0 + 10_000));
    let mut t2 = click_task(config(CLICKSTREAM, &overrides), store, clock2).await;
    t2.put(&(0..12).map(rec).collect::<Vec<_>>()).await.unwrap();
    assert_eq!(
        t2.pre_commit(&OffsetMap::new()).await.unwrap(),
        offsets(&[("clickstream_events", 0, 10)])
    );

    let after = objects(mem.as_ref()).await;
    for (k, v) in &before_crash {
        assert_eq!(after.get(k), Some(v), "{k} changed");
    }
    let dir = "clickstream_events/clickstream_events/year=2023/month=11/day=14";
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        [
            &format!("{dir}/hour=22/clickstream_events+0+0000000000.json.gz"),
            &format!("{dir}/hour=22/clickstream_events+0+0000000004.json.gz"),
            &format!("{dir}/hour=22/clickstream_events+0+0000000006.json.gz"),
            &format!("{dir}/hour=23/clickstream_events+0+0000000001.json.gz"),
            &format!("{dir}/hour=23/clickstream_events+0+0000000005.json.gz"),
            &format!("{dir}/hour=23/clickstream_events+0+0000000007.json.gz"),
        ]
    );
    assert_eq!(event_ids(&after), (0..10).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_unexpected_existing_object_is_never_overwritten() {
    let (mem, store) = memory();
    let clock = Arc::new(ManualClock::new(T0));
    let mut t = click_task(config(CLICKSTREAM, &[("flush.size", "2")]), store, clock).await;
    // Another writer creates the key after this task listed the bucket.
    let key = Path::from(
        "clickstream_events/clickstream_events/partition=0/clickstream_events+0+0000000000.json.gz",
    );
    mem.put(&key, Bytes::from_static(b"someone else's").into())
        .await
        .unwrap();
    let err = put_error(&mut t, &[click(0, 0), click(0, 1)]).await;
    assert!(!err.is_retriable());
    assert!(
        err.trace().contains("refusing to overwrite"),
        "{}",
        err.trace()
    );
    let kept = mem.get(&key).await.unwrap().bytes().await.unwrap();
    assert_eq!(kept.as_ref(), b"someone else's");
}

#[tokio::test]
async fn keys_and_headers_files_sit_next_to_values_and_are_rebuilt_when_missing() {
    use connect_api::{Header, Headers};
    let (mem, store) = memory();
    let overrides = [
        ("flush.size", "2"),
        ("store.kafka.keys", "true"),
        (
            "keys.format.class",
            "io.confluent.connect.s3.format.json.JsonFormat",
        ),
        ("store.kafka.headers", "true"),
        (
            "headers.format.class",
            "io.confluent.connect.s3.format.json.JsonFormat",
        ),
    ];
    let rec = |o: i64| {
        let mut r = click(0, o);
        r.key = SchemaAndValue::schemaless(Value::String(format!("k{o}")));
        r.headers = Headers::from(vec![Header {
            key: "trace".into(),
            value: SchemaAndValue::schemaless(Value::Int64(o)),
        }]);
        r
    };
    let clock = Arc::new(ManualClock::new(T0));
    let mut t = click_task(
        config(CLICKSTREAM, &overrides),
        store.clone(),
        clock.clone(),
    )
    .await;
    t.put(&(0..2).map(rec).collect::<Vec<_>>()).await.unwrap();
    settle(&mut t).await;
    let dir = "clickstream_events/clickstream_events/partition=0/clickstream_events+0+0000000000";
    let objs = objects(mem.as_ref()).await;
    assert_eq!(
        objs.keys().collect::<Vec<_>>(),
        [
            &format!("{dir}.headers.json.gz"),
            &format!("{dir}.json.gz"),
            &format!("{dir}.keys.json.gz")
        ]
    );
    assert_eq!(
        lines(&objs[&format!("{dir}.keys.json.gz")]),
        [r#""k0""#, r#""k1""#]
    );
    assert_eq!(
        lines(&objs[&format!("{dir}.headers.json.gz")]),
        [
            r#"{"headers":[{"key":"trace","value":"0"}]}"#,
            r#"{"headers":[{"key":"trace","value":"1"}]}"#
        ]
    );
    drop(t);

    // The crash lost the keys object (say its upload never completed): replay rebuilds only it.
    mem.delete(&Path::from(format!("{dir}.keys.json.gz")))
        .await
        .unwrap();
    let mut t2 = click_task(config(CLICKSTREAM, &overrides), store, clock).await;
    t2.put(&(0..2).map(rec).collect::<Vec<_>>()).await.unwrap();
    settle(&mut t2).await;
    assert_eq!(objects(mem.as_ref()).await, objs);
}

#[tokio::test]
async fn tombstones_are_written_as_keys_only_files_with_write() {
    let (mem, store) = memory();
    let overrides = [
        ("flush.size", "2"),
        ("store.kafka.keys", "true"),
        (
            "keys.format.class",
            "io.confluent.connect.s3.format.json.JsonFormat",
        ),
        ("behavior.on.null.values", "write"),
    ];
    let keyed = |mut r: SinkRecord| {
        r.key = SchemaAndValue::schemaless(Value::String(format!("k{}", r.kafka_offset)));
        r
    };
    let tombstone = |o: i64| keyed(record("clickstream_events", 0, o, SchemaAndValue::NULL));
    let clock = Arc::new(ManualClock::new(T0));
    let mut t = click_task(config(CLICKSTREAM, &overrides), store, clock).await;
    t.put(&[tombstone(0), keyed(click(0, 1)), tombstone(2)])
        .await
        .unwrap();
    assert_eq!(
        t.pre_commit(&OffsetMap::new()).await.unwrap(),
        offsets(&[("clickstream_events", 0, 2)])
    );
    let objs = objects(mem.as_ref()).await;
    let dir = "clickstream_events/clickstream_events";
    assert_eq!(
        objs.keys().collect::<Vec<_>>(),
        [
            &format!("{dir}/partition=0/clickstream_events+0+0000000001.json.gz"),
            &format!("{dir}/partition=0/clickstream_events+0+0000000001.keys.json.gz"),
            &format!("{dir}/tombstone/clickstream_events+0+0000000000.keys.json.gz"),
        ]
    );
    assert_eq!(
        lines(&objs[&format!("{dir}/tombstone/clickstream_events+0+0000000000.keys.json.gz")]),
        [r#""k0""#]
    );
}

/// Multipart objects against a real endpoint: parts stream out, the key is checked before
/// completion, and a replay recovers the object's record count by reading it.
#[tokio::test]
async fn http_endpoint_multipart_objects_replay_exactly_once() {
    let Ok(endpoint) = std::env::var("S3_ENDPOINT") else {
        eprintln!(
            "skipping http_endpoint_multipart_objects_replay_exactly_once: S3_ENDPOINT is not set"
        );
        return;
    };
    let run = format!("sluice-s3-it-mp-{}-{}", std::process::id(), subsec_nanos());
    let overrides = [
        ("store.url", endpoint.as_str()),
        ("topics.dir", run.as_str()),
        ("flush.size", "60"),
        ("s3.compression.type", "none"),
        ("s3.part.size", "5242880"),
    ];
    let cfg = config(CLICKSTREAM, &overrides);
    let ctx = connect_api::SinkTaskContext {
        connector: "sink-s3-clickstream".into(),
        task: 0,
        props: cfg.props.clone(),
        host: Arc::new(StubHost),
    };
    let batch: Vec<SinkRecord> = (0..70).map(|o| big_click(0, o, 100_000)).collect();
    let mut t = S3SinkTask::start(ctx.clone(), cfg.clone()).await.unwrap();
    t.open(&[assigned("clickstream_events", 0, None)])
        .await
        .unwrap();
    t.put(&batch).await.unwrap();
    drop(t);

    let mut t = S3SinkTask::start(ctx, cfg).await.unwrap();
    t.open(&[assigned("clickstream_events", 0, None)])
        .await
        .unwrap();
    t.put(&batch).await.unwrap();
    t.put(&(70..120).map(|o| big_click(0, o, 10)).collect::<Vec<_>>())
        .await
        .unwrap();
    assert_eq!(
        t.pre_commit(&OffsetMap::new()).await.unwrap(),
        offsets(&[("clickstream_events", 0, 120)])
    );

    let s3 = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(&endpoint)
        .with_allow_http(true)
        .with_bucket_name("warehouse")
        .with_region("us-east-1")
        .with_access_key_id("minio")
        .with_secret_access_key("minio123")
        .build()
        .unwrap();
    let mine = objects_under(&s3, Some(&Path::from(run.as_str()))).await;
    assert_eq!(mine.len(), 2);
    assert!(mine.values().next().unwrap().len() > 5_242_880);
    assert_eq!(event_ids(&mine), (0..120).collect::<Vec<_>>());
}

/// A real HTTP client against a port nobody listens on: the client retries `s3.part.retries`
/// times with backoff, then the task reports a retriable error and keeps its records.
#[tokio::test]
async fn unreachable_endpoint_is_retriable_after_the_client_retries() {
    let overrides = [
        ("store.url", "http://127.0.0.1:9"),
        ("flush.size", "2"),
        ("s3.part.retries", "2"),
        ("s3.retry.backoff.ms", "10"),
    ];
    let cfg = config(CLICKSTREAM, &overrides);
    let ctx = connect_api::SinkTaskContext {
        connector: "sink-s3-clickstream".into(),
        task: 0,
        props: cfg.props.clone(),
        host: Arc::new(StubHost),
    };
    let mut t = S3SinkTask::start(ctx, cfg).await.unwrap();
    let started = std::time::Instant::now();
    let err = put_error(&mut t, &[click(0, 0), click(0, 1)]).await;
    assert!(err.is_retriable(), "{}", err.trace());
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let err = t.pre_commit(&OffsetMap::new()).await.unwrap_err();
    assert!(err.is_retriable(), "{}", err.trace());
}

/// Stores every new object but answers the first `PUT` with an error, as when S3 (or s3s-fs)
/// fails after writing, or the response is lost.
#[derive(Debug)]
struct LostResponseStore {
    inner: Arc<dyn SinkStore>,
    lost: AtomicUsize,
}

#[async_trait]
impl SinkStore for LostResponseStore {
    async fn put_new(
        &self,
        key: &Path,
        data: Bytes,
        metadata: &[(&'static str, String)],
    ) -> Result<connect_s3_sink::store::Created, S3SinkError> {
        let created = self.inner.put_new(key, data, metadata).await?;
        if self.lost.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(S3SinkError::Store {
                key: key.to_string(),
                source: object_store::Error::Generic {
                    store: "lost",
                    source: "500 Internal Server Error".into(),
                },
            });
        }
        Ok(created)
    }
    async fn create_multipart(&self, key: &Path) -> Result<MultipartId, S3SinkError> {
        self.inner.create_multipart(key).await
    }
    async fn put_part(
        &self,
        key: &Path,
        id: &MultipartId,
        idx: usize,
        data: Bytes,
    ) -> Result<PartId, S3SinkError> {
        self.inner.put_part(key, id, idx, data).await
    }
    async fn complete_multipart(
        &self,
        key: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<(), S3SinkError> {
        self.inner.complete_multipart(key, id, parts).await
    }
    async fn abort_multipart(&self, key: &Path, id: &MultipartId) -> Result<(), S3SinkError> {
        self.inner.abort_multipart(key, id).await
    }
    async fn exists(&self, key: &Path) -> Result<bool, S3SinkError> {
        self.inner.exists(key).await
    }
    async fn list(&self, prefix: Option<&Path>) -> Result<Vec<Path>, S3SinkError> {
        self.inner.list(prefix).await
    }
    async fn read(
        &self,
        key: &Path,
    ) -> Result<(Bytes, std::collections::HashMap<String, String>), S3SinkError> {
        self.inner.read(key).await
    }
}

#[tokio::test]
async fn a_put_retried_after_a_lost_response_finds_its_own_object_and_goes_on() {
    let (mem, inner) = memory();
    let store = Arc::new(LostResponseStore {
        inner,
        lost: AtomicUsize::new(0),
    });
    let clock = Arc::new(ManualClock::new(T0));
    let mut t = click_task(config(CLICKSTREAM, &[("flush.size", "3")]), store, clock).await;
    let batch: Vec<SinkRecord> = (0..7).map(|o| click(0, o)).collect();
    let err = put_error(&mut t, &batch[..4]).await;
    assert!(err.is_retriable(), "{err}");
    // The next call (a redelivery, or a put after the failed commit) retries the conditional
    // PUT, which now answers "already exists".
    t.put(&batch[..4]).await.unwrap();
    t.put(&batch[4..]).await.unwrap();
    assert_eq!(
        t.pre_commit(&OffsetMap::new()).await.unwrap(),
        offsets(&[("clickstream_events", 0, 6)])
    );
    let objs = objects(mem.as_ref()).await;
    assert_eq!(objs.len(), 2);
    assert_eq!(event_ids(&objs), (0..6).collect::<Vec<_>>());
}

#[tokio::test]
async fn puts_go_on_while_rotated_files_upload_and_commits_wait_for_them() {
    let (mem, inner) = memory();
    // S3 holds every PUT until the test lets it through.
    let store = Arc::new(FlakyStore {
        gate: Some(tokio::sync::Semaphore::new(0)),
        ..FlakyStore::new(inner)
    });
    let clock = Arc::new(ManualClock::new(T0));
    let mut t = click_task(
        config(CLICKSTREAM, &[("flush.size", "2")]),
        store.clone(),
        clock,
    )
    .await;
    // Two files rotate while S3 holds every PUT: put returns all the same.
    let batch: Vec<SinkRecord> = (0..5).map(|o| click(0, o)).collect();
    tokio::time::timeout(std::time::Duration::from_secs(5), t.put(&batch))
        .await
        .expect("put does not wait for the uploads of rotated files")
        .unwrap();
    assert!(objects(mem.as_ref()).await.is_empty());
    // A commit waits for them (and, abandoned, forgets nothing).
    let waited = tokio::time::timeout(
        std::time::Duration::from_millis(200),
        t.pre_commit(&OffsetMap::new()),
    )
    .await;
    assert!(
        waited.is_err(),
        "pre_commit reported before the objects existed"
    );
    if let Some(gate) = &store.gate {
        gate.add_permits(2);
    }
    assert_eq!(
        t.pre_commit(&OffsetMap::new()).await.unwrap(),
        offsets(&[("clickstream_events", 0, 4)])
    );
    assert_eq!(
        event_ids(&objects(mem.as_ref()).await),
        (0..4).collect::<Vec<_>>()
    );
}
