//! The command line: configuration errors, standalone mode.

use std::time::Duration;

use connect_e2e::{BoxError, Broker, Worker, free_port, it_enabled, random_name, wait_until};
use serde_json::json;

#[test]
fn a_missing_required_setting_is_one_line_naming_it_and_exit_code_2() -> Result<(), BoxError> {
    let bin = Worker::binary()?;
    // The debezium/connect environment without CONFIG_STORAGE_TOPIC.
    let out = std::process::Command::new(&bin)
        .env_clear()
        .env("BOOTSTRAP_SERVERS", "127.0.0.1:9")
        .env("OFFSET_STORAGE_TOPIC", "o")
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr)?;
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("CONFIG_STORAGE_TOPIC"), "{err}");
    // A properties file without group.id.
    let dir = tempfile::tempdir()?;
    let props = dir.path().join("worker.properties");
    std::fs::write(
        &props,
        "bootstrap.servers=127.0.0.1:9\nkey.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\nconfig.storage.topic=c\noffset.storage.topic=o\nstatus.storage.topic=s\n",
    )?;
    let out = std::process::Command::new(&bin)
        .arg("distributed")
        .arg(&props)
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr)?;
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("Missing required configuration \"group.id\" which has no default value."),
        "{err}"
    );
    Ok(())
}

#[test]
fn help_documents_the_environment_and_the_modes() -> Result<(), BoxError> {
    let out = std::process::Command::new(Worker::binary()?)
        .arg("--help")
        .output()?;
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout)?;
    for needle in [
        "distributed",
        "standalone",
        "BOOTSTRAP_SERVERS",
        "CONFIG_STORAGE_TOPIC",
        "CONNECT_",
        "exits with code 2",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
    Ok(())
}

#[tokio::test]
async fn standalone_mode_runs_connectors_from_files_and_keeps_offsets_in_its_file()
-> Result<(), BoxError> {
    if !it_enabled() {
        eprintln!("skipped, set CONNECT_IT=1 to run service-backed tests");
        return Ok(());
    }
    // Given a worker.properties with a file offset store and a connector file in POST form.
    let broker = Broker::try_shared().await?;
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let offsets = dir.path().join("offsets.json");
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "one\ntwo\nthree\n")?;
    let props = dir.path().join("worker.properties");
    std::fs::write(
        &props,
        format!(
            "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\noffset.storage.file.filename={}\noffset.flush.interval.ms=200\nlisteners=http://127.0.0.1:{port}\n",
            broker.bootstrap(),
            offsets.display()
        ),
    )?;
    let name = random_name("standalone");
    let connector = dir.path().join("source.json");
    std::fs::write(
        &connector,
        json!({"name": name, "config": {"connector.class": "FileStreamSource",
            "file": input.display().to_string(), "topic": random_name("standalone-topic")}})
        .to_string(),
    )?;
    let mut worker = Worker::builder()
        .port(port)
        .args([
            "standalone".to_owned(),
            props.display().to_string(),
            connector.display().to_string(),
        ])
        .start()
        .await?;
    let rest = worker.rest();

    // Then the connector from the file runs, and its offset reaches the offsets file.
    rest.wait_running(&name, 1, Duration::from_secs(60)).await?;
    assert_eq!(rest.connectors().await?, std::slice::from_ref(&name));
    let want = format!(r#"{{"position":{}}}"#, "one\ntwo\nthree\n".len());
    assert!(
        wait_until(Duration::from_secs(30), || async {
            // The file holds [key, value] pairs: the offsets topic's key and value, as text.
            std::fs::read_to_string(&offsets)
                .ok()
                .and_then(|s| serde_json::from_str::<Vec<(String, Option<String>)>>(&s).ok())
                .is_some_and(|pairs| {
                    pairs.iter().any(|(k, v)| {
                        k.starts_with(&format!("[\"{name}\","))
                            && v.as_deref() == Some(want.as_str())
                    })
                })
        })
        .await,
        "offsets file: {:?}",
        std::fs::read_to_string(&offsets)
    );
    // And after SIGKILL the restarted worker reads the same offset back.
    worker.kill().await?;
    worker.restart().await?;
    let rest = worker.rest();
    rest.wait_running(&name, 1, Duration::from_secs(60)).await?;
    let got = rest.get(&format!("/connectors/{name}/offsets")).await?;
    assert_eq!(
        got.body["offsets"][0]["offset"]["position"],
        json!("one\ntwo\nthree\n".len()),
        "{}",
        got.text
    );
    worker.stop(Duration::from_secs(10)).await?;
    Ok(())
}
