//! The worker end to end on a real broker: FileStream source and sink created over REST, data
//! flowing file → topic → file, pause/resume/stop/restart/delete, and recovery of configs,
//! target states and offsets from the internal topics after SIGKILL.

use std::path::Path;
use std::time::Duration;

use connect_e2e::{
    BoxError, Broker, TopicRecord, Until, Worker, it_enabled, random_name, read_topic, wait_until,
};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(60);

fn skip(test: &str) -> bool {
    if it_enabled() {
        return false;
    }
    eprintln!("{test}: skipped, set CONNECT_IT=1 to run service-backed tests");
    true
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn append(path: &Path, from: usize, to: usize) -> Result<(), BoxError> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    for i in from..to {
        writeln!(f, "line-{i}")?;
    }
    Ok(())
}

fn expected(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("line-{i}")).collect()
}

/// The internal topics and the data topic reach no known record count, so a read stops once
/// nothing arrived for this long (see [`read_topic`] on why not at the watermarks).
const QUIET: Duration = Duration::from_secs(3);

#[tokio::test]
async fn filestream_pipeline_survives_sigkill_with_configs_states_and_offsets()
-> Result<(), BoxError> {
    if skip("filestream_pipeline_survives_sigkill_with_configs_states_and_offsets") {
        return Ok(());
    }
    // Given a worker on a real broker and an input file of 100 lines.
    let broker = Broker::try_shared().await?;
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    append(&input, 0, 100)?;
    let config_topic = random_name("configs");
    let offset_topic = random_name("offsets");
    let mut worker = Worker::builder()
        .env("CONFIG_STORAGE_TOPIC", &config_topic)
        .env("OFFSET_STORAGE_TOPIC", &offset_topic)
        .env("OFFSET_FLUSH_INTERVAL_MS", "500")
        .start()
        .await?;
    let rest = worker.rest();
    let topic = random_name("lines");
    // Unique names: the sink's group `connect-<name>` lives on in a shared broker.
    let src = random_name("src");
    let sink_name = random_name("sink");

    // When the source and the sink are created over REST.
    let created = rest
        .post(
            "/connectors",
            &json!({"name": src, "config": {
                "connector.class": "FileStreamSource", "tasks.max": 1,
                "file": input.display().to_string(), "topic": topic}}),
        )
        .await?;
    assert_eq!(created.status, 201, "{}", created.text);
    let body = created.body;
    assert_eq!(body["tasks"], json!([]));
    assert_eq!(body["type"], "source");
    assert_eq!(
        body["config"]["tasks.max"], "1",
        "numbers are coerced to strings"
    );
    let sink = rest
        .post(
            "/connectors/",
            &json!({"name": sink_name, "config": {
                "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "topics": topic, "file": output.display().to_string()}}),
        )
        .await?;
    assert_eq!(sink.status, 201, "{}", sink.text);
    rest.wait_running(&src, 1, WAIT).await?;
    rest.wait_running(&sink_name, 1, WAIT).await?;

    // Then every line reaches the output file, in order.
    assert!(
        wait_until(WAIT, || async { lines(&output).len() >= 100 }).await,
        "sink wrote {} lines; worker log:\n{}",
        lines(&output).len(),
        worker.log_tail(80)
    );
    assert_eq!(lines(&input).len(), 100);

    // Pause: the status says so, and lines appended meanwhile flow once resumed.
    assert_eq!(rest.pause_connector(&src).await?.status, 202);
    assert!(
        wait_until(WAIT, || async {
            rest.connector_status(&src).await.is_ok_and(|s| {
                s.connector.state == "PAUSED" && s.tasks.iter().all(|t| t.state == "PAUSED")
            })
        })
        .await
    );
    append(&input, 100, 150)?;
    assert_eq!(rest.resume_connector(&src).await?.status, 202);
    rest.wait_running(&src, 1, WAIT).await?;
    assert!(wait_until(WAIT, || async { lines(&output).len() >= 150 }).await);

    // The source offset is committed to the offsets topic.
    let size = std::fs::metadata(&input)?.len();
    assert!(
        wait_until(WAIT, || async {
            rest.get(&format!("/connectors/{src}/offsets"))
                .await
                .is_ok_and(|r| r.body["offsets"][0]["offset"]["position"] == json!(size))
        })
        .await,
        "source offset never reached {size}"
    );
    // And the sink has committed all 150 lines. FileStreamSink is at-least-once, as Kafka's is:
    // lines written after its last commit would be written again after a crash.
    assert!(
        wait_until(WAIT, || async {
            rest.get(&format!("/connectors/{sink_name}/offsets"))
                .await
                .is_ok_and(|r| {
                    r.body["offsets"].as_array().is_some_and(|a| {
                        a.iter()
                            .filter_map(|o| o["offset"]["kafka_offset"].as_i64())
                            .sum::<i64>()
                            == 150
                    })
                })
        })
        .await,
        "the sink never committed all 150 lines"
    );

    // SIGKILL, restart: configs, states and offsets come back from the topics.
    worker.kill().await?;
    worker.restart().await?;
    let rest = worker.rest();
    let mut names = rest.connectors().await?;
    names.sort();
    let mut want_names = vec![sink_name.clone(), src.clone()];
    want_names.sort();
    assert_eq!(names, want_names);
    rest.wait_running(&src, 1, WAIT).await?;
    rest.wait_running(&sink_name, 1, WAIT).await?;
    append(&input, 150, 200)?;
    assert!(wait_until(WAIT, || async { lines(&output).len() >= 200 }).await);
    // The committed offset was honoured: no line of the first 150 was sent twice by the source.
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Values carry the JsonConverter envelope; the topic has several partitions, so compare
    // as sorted sets (order is only defined within a partition).
    let mut topic_values: Vec<String> = read_topic(broker.bootstrap(), &topic, Until::Quiet(QUIET))
        .await?
        .iter()
        .filter_map(TopicRecord::value_text)
        .map(|v| {
            let env: serde_json::Value = serde_json::from_str(&v).unwrap_or_default();
            assert_eq!(
                env["schema"],
                json!({"type": "string", "optional": false}),
                "{v}"
            );
            env["payload"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    topic_values.sort();
    let mut want = expected(200);
    want.sort();
    assert_eq!(topic_values, want, "records in {topic}: exactly once each");
    let mut out = lines(&output);
    out.sort();
    assert_eq!(out, want);

    // Stop: STOPPED with no tasks; offsets can then be altered; resume brings it back.
    let stopped = rest.put_empty(&format!("/connectors/{src}/stop")).await?;
    assert_eq!(stopped.status, 204);
    assert!(
        wait_until(WAIT, || async {
            rest.connector_status(&src)
                .await
                .is_ok_and(|s| s.connector.state == "STOPPED" && s.tasks.is_empty())
        })
        .await
    );
    let altered = rest
        .patch(
            &format!("/connectors/{src}/offsets"),
            &json!({"offsets": [{"partition": {"filename": input.display().to_string()}, "offset": {"position": 0}}]}),
        )
        .await?;
    assert_eq!(altered.status, 200, "{}", altered.text);
    assert_eq!(
        altered.body,
        json!({"message": "The offsets for this connector have been altered successfully"})
    );

    // The config topic holds Kafka Connect's exact records.
    let records = read_topic(broker.bootstrap(), &config_topic, Until::Quiet(QUIET)).await?;
    let has = |r: &TopicRecord, key: &str, value: &str| {
        r.key_text().as_deref() == Some(key) && r.value_text().as_deref() == Some(value)
    };
    let src_config = records
        .iter()
        .find(|r| r.key_text().as_deref() == Some(format!("connector-{src}").as_str()))
        .and_then(TopicRecord::value_text)
        .ok_or("no connector-src record")?;
    assert_eq!(
        src_config,
        format!(
            r#"{{"properties":{{"connector.class":"FileStreamSource","file":"{}","name":"{src}","tasks.max":"1","topic":"{topic}"}}}}"#,
            input.display()
        )
    );
    assert!(records.iter().any(|r| has(
        r,
        &format!("target-state-{src}"),
        r#"{"state":"PAUSED","state.v2":"STOPPED"}"#
    )));
    assert!(
        records
            .iter()
            .any(|r| has(r, &format!("commit-{src}"), r#"{"tasks":1}"#))
    );
    let offsets = read_topic(broker.bootstrap(), &offset_topic, Until::Quiet(QUIET)).await?;
    assert!(offsets.iter().any(|r| has(
        r,
        &format!(r#"["{src}",{{"filename":"{}"}}]"#, input.display()),
        &format!(r#"{{"position":{size}}}"#)
    )));

    // Delete: gone from the list, status 404.
    assert_eq!(rest.delete_connector(&src).await?.status, 204);
    assert_eq!(rest.connectors().await?, std::slice::from_ref(&sink_name));
    // As in Kafka, the status is tombstoned shortly after the config.
    assert!(
        wait_until(WAIT, || async {
            rest.get(&format!("/connectors/{src}/status")).await.is_ok_and(|r| {
                r.status == 404 && r.body == json!({"error_code": 404, "message": format!("No status found for connector {src}")})
            })
        })
        .await
    );
    worker.stop(Duration::from_secs(10)).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sink_created_paused_joins_its_group_but_consumes_nothing_until_resumed()
-> Result<(), BoxError> {
    if skip("a_sink_created_paused_joins_its_group_but_consumes_nothing_until_resumed") {
        return Ok(());
    }
    // Given a topic holding 30 lines (written by a FileStream source).
    let broker = Broker::try_shared().await?;
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in.txt");
    let output = dir.path().join("out.txt");
    append(&input, 0, 30)?;
    let worker = Worker::builder().start().await?;
    let rest = worker.rest();
    let topic = random_name("paused-lines");
    let src = random_name("src");
    let sink = random_name("sink");
    let created = rest
        .post(
            "/connectors",
            &json!({"name": src, "config": {"connector.class": "FileStreamSource",
                "file": input.display().to_string(), "topic": topic}}),
        )
        .await?;
    assert_eq!(created.status, 201, "{}", created.text);
    let records = read_topic(
        broker.bootstrap(),
        &topic,
        Until::Count {
            n: 30,
            settle: Duration::ZERO,
        },
    )
    .await?;
    assert_eq!(records.len(), 30);

    // When a sink is created with `initial_state: PAUSED` ...
    let created = rest
        .post(
            "/connectors",
            &json!({"name": sink, "initial_state": "PAUSED", "config": {
                "connector.class": "FileStreamSink", "topics": topic,
                "file": output.display().to_string()}}),
        )
        .await?;
    assert_eq!(created.status, 201, "{}", created.text);

    // ... then its task reports PAUSED and its consumer joins the group and gets the
    // partitions (the runtime logs the assignment, as Kafka's consumer does) ...
    assert!(
        wait_until(WAIT, || async {
            rest.connector_status(&sink)
                .await
                .is_ok_and(|s| s.tasks.iter().any(|t| t.state == "PAUSED"))
                && worker.log_tail(400).lines().any(|l| {
                    l.contains("Adding newly assigned partitions.") && l.contains(topic.as_str())
                })
        })
        .await,
        "the paused sink never got its partitions; worker log:\n{}",
        worker.log_tail(60)
    );
    // ... but writes nothing, even with a fetch cycle's time to do so ...
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(lines(&output), Vec::<String>::new());

    // ... until it is resumed: then every line arrives.
    assert_eq!(rest.resume_connector(&sink).await?.status, 202);
    assert!(
        wait_until(WAIT, || async { lines(&output).len() >= 30 }).await,
        "resumed sink wrote {} lines",
        lines(&output).len()
    );
    // The topic has several partitions, so only the set of lines is fixed.
    let (mut got, mut want) = (lines(&output), expected(30));
    got.sort();
    want.sort();
    assert_eq!(got, want);
    Ok(())
}
