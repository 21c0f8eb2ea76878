//! A broker that is down at start-up: the REST API answers, `/health` says why, and the worker
//! opens its state topics by itself once the broker appears.

use std::time::Duration;

use connect_e2e::{BoxError, Broker, Worker, free_port, it_enabled, wait_until};
use serde_json::json;

#[tokio::test]
async fn worker_serves_rest_while_the_broker_is_down_and_recovers_when_it_appears()
-> Result<(), BoxError> {
    if !it_enabled() {
        eprintln!("skipped, set CONNECT_IT=1 to run service-backed tests");
        return Ok(());
    }
    // Given a worker whose broker address has nothing listening yet.
    let port = free_port()?;
    let mut worker = Worker::builder()
        .env("BOOTSTRAP_SERVERS", format!("127.0.0.1:{port}"))
        .start()
        .await?;
    let rest = worker.rest();

    // Then GET / and /health answer at once; /health says the worker is starting.
    let root = rest.get("/").await?;
    assert_eq!(root.status, 200, "{}", root.text);
    assert_eq!(root.body["version"], "3.9.0");
    let health = rest.get("/health").await?;
    assert_eq!(health.status, 503, "{}", health.text);
    assert_eq!(health.body["status"], "starting");
    let message = health.body["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.starts_with("Worker is still starting up."),
        "{message}"
    );

    // When the broker comes up on that address, the worker becomes healthy by itself
    // and connectors can be created.
    let _broker = Broker::start_on(port).await?;
    assert!(
        wait_until(Duration::from_secs(120), || async {
            rest.get("/health")
                .await
                .is_ok_and(|h| h.status == 200 && h.body["status"] == "healthy")
        })
        .await,
        "worker never became healthy; log:\n{}",
        worker.log_tail(40)
    );
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "a\nb\n")?;
    let created = rest
        .post(
            "/connectors",
            &json!({"name": "after-outage", "config": {"connector.class": "FileStreamSource",
                "file": file.display().to_string(), "topic": "after-outage"}}),
        )
        .await?;
    assert_eq!(created.status, 201, "{}", created.text);
    rest.wait_running("after-outage", 1, Duration::from_secs(60))
        .await?;
    worker.stop(Duration::from_secs(10)).await?;
    Ok(())
}
