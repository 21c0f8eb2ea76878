//! Takeover both ways on the same internal topics and `GROUP_ID`: the real Kafka Connect worker
//! runs a FileStream source and sink, it is stopped with SIGTERM, Sluice starts on its config,
//! offset and status topics and continues both connectors from the JVM's offsets; then Sluice
//! is stopped and the JVM continues from Sluice's: every line in the output file exactly once.
//! After a SIGKILL of the JVM worker, Sluice continues both from the JVM's offsets once the dead
//! sink consumer's session has expired: every line in the topic and in the output file, only the
//! lines in flight at the kill more than once, counted.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use connect_e2e::{
    BoxError, Broker, JvmWorker, RestClient, Worker, it_enabled, random_name, topic_line_counts,
    wait_until,
};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(180);

fn append(file: &Path, range: std::ops::Range<u32>) -> Result<(), BoxError> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(file)?;
    for i in range {
        writeln!(f, "line {i:05}")?;
    }
    Ok(())
}

/// How often each line is in the output file.
fn counts(file: &Path) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for l in std::fs::read_to_string(file).unwrap_or_default().lines() {
        *out.entry(l.to_owned()).or_default() += 1;
    }
    out
}

async fn all_lines_arrive(out: &Path, n: u32) -> bool {
    wait_until(WAIT, || async {
        let c = counts(out);
        (0..n).all(|i| c.contains_key(&format!("line {i:05}")))
    })
    .await
}

/// A FileStream source and sink named `<id>-src` and `<id>-sink` (unique, so that the sink's
/// group `connect-<id>-sink` is this test's alone).
async fn create_pipeline(
    rest: &RestClient,
    id: &str,
    input: &Path,
    output: &Path,
    topic: &str,
) -> Result<(), BoxError> {
    for (name, config) in [
        (
            format!("{id}-src"),
            json!({"connector.class": "FileStreamSource", "file": input.display().to_string(),
                   "topic": topic, "topic.creation.default.partitions": "1",
                   "topic.creation.default.replication.factor": "1"}),
        ),
        (
            format!("{id}-sink"),
            json!({"connector.class": "FileStreamSink", "file": output.display().to_string(),
                   "topics": topic}),
        ),
    ] {
        let r = rest
            .post("/connectors", &json!({"name": name, "config": config}))
            .await?;
        if r.status != 201 {
            return Err(format!("create {name}: {} {}", r.status, r.text).into());
        }
    }
    Ok(())
}

/// A Sluice worker on the JVM cluster's group and topics (kc.sh names them `<group>.configs`,
/// `.offsets`, `.status`).
async fn sluice_on(group: &str) -> Result<Worker, BoxError> {
    Worker::builder()
        .env("GROUP_ID", group)
        .env("CONFIG_STORAGE_TOPIC", format!("{group}.configs"))
        .env("OFFSET_STORAGE_TOPIC", format!("{group}.offsets"))
        .env("STATUS_STORAGE_TOPIC", format!("{group}.status"))
        .env("OFFSET_FLUSH_INTERVAL_MS", "1000")
        // A static member leaves no LeaveGroup behind when it stops (KIP-345), so a JVM worker
        // taking the sink back would wait for its session to expire, and tansu 0.6 never
        // expires a dead static member. The JVM worker joins as a dynamic member; so does this.
        .env("CONNECT_SLUICE_SINK_STATIC_MEMBERSHIP", "false")
        .start()
        .await
}

async fn takeover_both_ways(kill_jvm: bool) -> Result<(), BoxError> {
    let broker = Broker::try_shared().await?;
    let bootstrap = broker.bootstrap().to_owned();
    let group = random_name("takeover");
    let Some(mut jvm) = JvmWorker::builder().group(&group).start(&bootstrap).await? else {
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let (input, output) = (dir.path().join("in.txt"), dir.path().join("out.txt"));
    let topic = random_name("takeover-lines");
    let id = random_name("tk");
    // Given a FileStream pipeline on the JVM worker that has copied 100 lines,
    append(&input, 0..100)?;
    create_pipeline(&jvm.rest(), &id, &input, &output, &topic).await?;
    assert!(
        all_lines_arrive(&output, 100).await,
        "JVM pipeline: {:?}\n{}",
        counts(&output).len(),
        jvm.log_tail(40)
    );
    // (and both have committed their offsets: the worker flushes and commits every second),
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // when 50 more lines arrive and the JVM worker goes away at once,
    append(&input, 100..150)?;
    if kill_jvm {
        jvm.kill().await?;
        // A replacement worker comes up a few seconds after the crash. The dead sink consumer
        // (dynamic, session.timeout.ms 45 s) stays its group's leader until its session expires;
        // then tansu 0.6 lets Sluice's consumer, still a follower of the dead leader's generation,
        // complete it with its own empty assignment, and keeps that generation stable (Kafka
        // starts a new one). With Sluice's consumer joined a few seconds after the dead one's
        // last heartbeat, that happens nearly every time: the sink must notice it and rejoin.
        tokio::time::sleep(Duration::from_secs(6)).await;
    } else {
        jvm.stop().await?;
    }
    // then Sluice, started on the same topics, runs the connectors from the JVM's offsets.
    let mut sluice = sluice_on(&group).await?;
    append(&input, 150..200)?;
    if kill_jvm {
        let in_flight = 100..150;
        let is_in_flight = |l: &str| in_flight.clone().any(|i| l == format!("line {i:05}"));
        // The source: every line in the topic; only lines in flight at the kill twice (the JVM
        // wrote them without committing their offsets).
        let lines = topic_line_counts(&bootstrap, &topic, 200).await?;
        assert!(
            (0..200).all(|i| lines.contains_key(&format!("line {i:05}"))),
            "{} distinct lines in the topic\nsluice log:\n{}",
            lines.len(),
            sluice.log_tail(60)
        );
        let source_extra: usize = lines.values().map(|n| n - 1).sum();
        assert!(
            lines
                .iter()
                .all(|(l, n)| *n == 1 || (*n == 2 && is_in_flight(l))),
            "lines in the topic more than once: {:?}",
            lines.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
        );
        // The sink: every line in the output file once the group has let Sluice's consumer in;
        // copies beyond the first only of lines in flight, at most one per record of such a line
        // in the topic (the JVM may have written a record without committing its offset).
        let arrived = all_lines_arrive(&output, 200).await;
        let c = counts(&output);
        assert!(
            arrived,
            "after the killed JVM: {} distinct lines in the output\nsluice log:\n{}",
            c.len(),
            sluice.log_tail(60)
        );
        let sink_extra: usize = c.values().map(|n| n - 1).sum();
        let in_flight_records: usize = lines
            .iter()
            .filter(|(l, _)| is_in_flight(l))
            .map(|(_, n)| n)
            .sum();
        assert!(
            c.iter().all(|(l, n)| *n == 1 || is_in_flight(l))
                && sink_extra <= source_extra + in_flight_records,
            "{sink_extra} extra lines in the output ({source_extra} extra in the topic, \
             {in_flight_records} records of lines in flight): {:?}",
            c.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
        );
        assert_eq!(c.len(), 200, "lines that are not the input's");
        eprintln!(
            "after SIGKILL: 200 lines, {source_extra} written twice to the topic, \
             {sink_extra} written twice to the output"
        );
        let status = sluice.rest().get("/connectors?expand=status").await?;
        assert!(!status.text.contains("FAILED"), "{}", status.text);
        sluice.stop(Duration::from_secs(20)).await?;
        return Ok(());
    }
    assert!(
        all_lines_arrive(&output, 200).await,
        "after the JVM: {} distinct lines\nsluice log:\n{}",
        counts(&output).len(),
        sluice.log_tail(60)
    );
    let status = sluice.rest().get("/connectors?expand=status").await?;
    assert!(status.text.contains("RUNNING"), "{}", status.text);

    // When Sluice is stopped and a JVM worker takes the cluster back,
    sluice.stop(Duration::from_secs(20)).await?;
    let Some(jvm2) = JvmWorker::builder().group(&group).start(&bootstrap).await? else {
        return Ok(());
    };
    append(&input, 200..250)?;
    // then it continues from Sluice's offsets,
    assert!(
        all_lines_arrive(&output, 250).await,
        "after Sluice: {} distinct lines\njvm log:\n{}",
        counts(&output).len(),
        jvm2.log_tail(60)
    );
    // and nothing was lost or written twice: each graceful stop committed what it wrote.
    let c = counts(&output);
    let twice: Vec<&String> = c.iter().filter(|(_, n)| **n > 1).map(|(l, _)| l).collect();
    assert!(twice.is_empty(), "lines written more than once: {twice:?}");
    assert_eq!(c.len(), 250);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sluice_takes_over_from_a_stopped_jvm_worker_and_hands_back() -> Result<(), BoxError> {
    if !it_enabled() {
        eprintln!("skipped, set CONNECT_IT=1 to run service-backed tests");
        return Ok(());
    }
    takeover_both_ways(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sluice_takes_over_the_source_and_sink_of_a_killed_jvm_worker() -> Result<(), BoxError> {
    if !it_enabled() {
        eprintln!("skipped, set CONNECT_IT=1 to run service-backed tests");
        return Ok(());
    }
    takeover_both_ways(true).await
}
