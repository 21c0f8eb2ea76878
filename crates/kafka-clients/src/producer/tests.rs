use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::FutureRecord;
use rdkafka::util::Timeout;

use bytes::Bytes;
use rdkafka::Message as _;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::{Header, Headers as _, OwnedHeaders};

use super::{EventProducer, OwnedRecord};

fn config(pairs: &[(&str, &str)]) -> ClientConfig {
    let mut c = ClientConfig::new();
    for (k, v) in pairs {
        c.set(*k, *v);
    }
    c
}

/// Guards every wait on librdkafka: a delivery report that never arrives fails the test.
async fn within<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("no delivery report in 30 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_gets_its_delivery_report_in_order() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("t", 1, 1).unwrap();
    let producer: EventProducer = config(&[
        ("bootstrap.servers", &cluster.bootstrap_servers()),
        ("linger.ms", "5"),
    ])
    .create()
    .unwrap();
    let futures: Vec<_> = (0..500)
        .map(|i| {
            let payload = format!("record {i}");
            producer
                .send_result(FutureRecord::<(), _>::to("t").payload(&payload))
                .unwrap()
        })
        .collect();
    for (i, f) in futures.into_iter().enumerate() {
        let delivery = within(f).await.unwrap().unwrap();
        assert_eq!(delivery.partition, 0);
        assert_eq!(delivery.offset, i as i64);
    }
    // Reports keep coming after a quiet spell, when the thread has gone back to sleep.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = producer
        .send(
            FutureRecord::<(), _>::to("t").payload("later"),
            Timeout::Never,
        )
        .await
        .unwrap();
    assert_eq!(later.offset, 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_reaches_its_future_with_the_error_and_the_record() {
    // Nothing listens on port 1: the record times out in the producer.
    let producer: EventProducer = config(&[
        ("bootstrap.servers", "127.0.0.1:1"),
        ("message.timeout.ms", "200"),
    ])
    .create()
    .unwrap();
    let f = producer
        .send_result(FutureRecord::to("t").key("k").payload("v"))
        .unwrap();
    let (error, message) = within(f).await.unwrap().unwrap_err();
    assert_eq!(
        error,
        KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut)
    );
    assert_eq!(message.payload(), Some(&b"v"[..]));
    assert_eq!(message.key(), Some(&b"k"[..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_librdkafka_refuses_comes_back_with_the_error() {
    let producer: EventProducer = config(&[
        ("bootstrap.servers", "127.0.0.1:1"),
        ("message.max.bytes", "1000"),
    ])
    .create()
    .unwrap();
    let big = vec![b'x'; 5000];
    let Err((error, record)) = producer.send_result(FutureRecord::<(), _>::to("t").payload(&big))
    else {
        panic!("a record over message.max.bytes was accepted");
    };
    assert_eq!(
        error,
        KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge)
    );
    assert_eq!(record.payload.map(Vec::len), Some(5000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_retries_a_full_queue_until_its_timeout() {
    let producer: EventProducer = config(&[
        ("bootstrap.servers", "127.0.0.1:1"),
        ("queue.buffering.max.messages", "1"),
    ])
    .create()
    .unwrap();
    let _first = producer
        .send_result(FutureRecord::<(), _>::to("t").payload("1"))
        .unwrap();
    let (error, _) = within(producer.send(
        FutureRecord::<(), _>::to("t").payload("2"),
        Duration::from_millis(250),
    ))
    .await
    .unwrap_err();
    assert_eq!(
        error,
        KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_last_clone_settles_the_records_still_queued() {
    let producer: EventProducer = config(&[("bootstrap.servers", "127.0.0.1:1")])
        .create()
        .unwrap();
    let clone = producer.clone();
    let f = producer
        .send_result(FutureRecord::<(), _>::to("t").payload("v"))
        .unwrap();
    drop(producer);
    // A clone keeps the producer, and its thread, alive.
    let g = clone
        .send_result(FutureRecord::<(), _>::to("t").payload("w"))
        .unwrap();
    tokio::task::spawn_blocking(move || drop(clone))
        .await
        .unwrap();
    // Purged on drop: each future resolves (with the purge error, or as cancelled), none hangs.
    for f in [f, g] {
        match within(f).await {
            Ok(Err((KafkaError::MessageProduction(code), _))) => {
                assert_eq!(code, RDKafkaErrorCode::PurgeQueue);
            }
            Ok(other) => panic!("a purged record was reported as {other:?}"),
            Err(_) => {}
        }
    }
}

fn owned(topic: &str, key: &str, payload: &Bytes) -> OwnedRecord {
    OwnedRecord {
        topic: topic.to_owned(),
        key: Some(Bytes::copy_from_slice(key.as_bytes())),
        payload: Some(payload.clone()),
        ..OwnedRecord::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_sent_without_a_copy_arrives_whole_and_is_released_after_its_report() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("t", 1, 1).unwrap();
    let producer: EventProducer = config(&[
        ("bootstrap.servers", &cluster.bootstrap_servers()),
        ("linger.ms", "50"),
    ])
    .create()
    .unwrap();
    let payloads: Vec<Bytes> = (0..200)
        .map(|i| Bytes::from(format!("payload {i} {}", "x".repeat(i * 37)).into_bytes()))
        .collect();
    let mut futures = Vec::new();
    for (i, payload) in payloads.iter().enumerate() {
        let mut record = owned("t", &format!("k{i}"), payload);
        record.headers = Some(OwnedHeaders::new().insert(Header {
            key: "h",
            value: Some(&format!("v{i}")),
        }));
        futures.push(producer.send_owned(&mut record).unwrap());
        // Taken by the send: the producer holds the payload, and owns the headers.
        assert!(record.payload.is_none() && record.headers.is_none() && record.key.is_none());
        assert_eq!(record.topic, "t");
    }
    // Lingering in librdkafka's queue: the producer still reads the payloads in place.
    assert!(payloads.iter().all(|p| !p.is_unique()));
    for (i, f) in futures.into_iter().enumerate() {
        let delivery = within(f).await.unwrap().unwrap();
        assert_eq!(delivery.offset, i as i64);
    }
    // Reported: the producer has let go of every payload.
    assert!(payloads.iter().all(Bytes::is_unique));

    let consumer: BaseConsumer = config(&[
        ("bootstrap.servers", &cluster.bootstrap_servers()),
        ("group.id", "g"),
        ("auto.offset.reset", "earliest"),
    ])
    .create()
    .unwrap();
    consumer.subscribe(&["t"]).unwrap();
    let mut read = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while read < payloads.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "read only {read} records"
        );
        let Some(m) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let m = m.unwrap();
        let i = usize::try_from(m.offset()).unwrap();
        assert_eq!(m.payload(), Some(&payloads[i][..]));
        assert_eq!(m.key(), Some(format!("k{i}").as_bytes()));
        let h = m.headers().unwrap().get(0);
        assert_eq!((h.key, h.value), ("h", Some(format!("v{i}").as_bytes())));
        read += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_refused_without_a_copy_comes_back_whole() {
    let producer: EventProducer = config(&[
        ("bootstrap.servers", "127.0.0.1:1"),
        ("message.max.bytes", "1000"),
    ])
    .create()
    .unwrap();
    let big = Bytes::from(vec![b'x'; 5000]);
    let mut record = owned("t", "k", &big);
    record.headers = Some(OwnedHeaders::new().insert(Header {
        key: "h",
        value: Some("v"),
    }));
    let error = producer.send_owned(&mut record).unwrap_err();
    assert_eq!(
        error,
        KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge)
    );
    assert_eq!(record.payload.as_deref(), Some(&big[..]));
    assert_eq!(record.key.as_deref(), Some(&b"k"[..]));
    assert_eq!(record.headers.map(|h| h.count()), Some(1));
    // Nothing else holds the payload: the refused send kept no reference.
    drop(record.payload);
    assert!(big.is_unique());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_without_a_copy_reports_the_record_and_releases_the_payload() {
    let producer: EventProducer = config(&[
        ("bootstrap.servers", "127.0.0.1:1"),
        ("message.timeout.ms", "200"),
    ])
    .create()
    .unwrap();
    let payload = Bytes::from(b"value".to_vec());
    let f = producer.send_owned(&mut owned("t", "k", &payload)).unwrap();
    let (error, message) = within(f).await.unwrap().unwrap_err();
    assert_eq!(
        error,
        KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut)
    );
    assert_eq!(message.payload(), Some(&b"value"[..]));
    assert_eq!(message.key(), Some(&b"k"[..]));
    assert!(payload.is_unique());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_sent_without_a_copy_are_released_when_the_producer_goes() {
    let producer: EventProducer = config(&[("bootstrap.servers", "127.0.0.1:1")])
        .create()
        .unwrap();
    let payload = Bytes::from(b"value".to_vec());
    let f = producer.send_owned(&mut owned("t", "k", &payload)).unwrap();
    assert!(!payload.is_unique());
    tokio::task::spawn_blocking(move || drop(producer))
        .await
        .unwrap();
    // Purged on drop, reported, and the payload let go.
    if let Ok(report) = within(f).await {
        assert!(report.is_err(), "a purged record was delivered");
    }
    assert!(payload.is_unique());
}
