use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::FutureRecord;
use rdkafka::util::Timeout;

use super::EventProducer;

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
    use rdkafka::Message as _;
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
