//! Checks that the harness reaches each service. With `CONNECT_IT=1` these use the stack that
//! `scripts/test.sh` started (or start their own); without it they return early.

use std::time::Duration;

use connect_e2e::{BoxError, Broker, Mysql, S3, it_enabled, random_name};
use mysql_async::prelude::Queryable;

fn skip(test: &str) -> bool {
    if it_enabled() {
        return false;
    }
    eprintln!("{test}: skipped, set CONNECT_IT=1 to run service-backed tests");
    true
}

#[tokio::test]
async fn broker_accepts_tcp_connections() -> Result<(), BoxError> {
    if skip("broker_accepts_tcp_connections") {
        return Ok(());
    }
    let broker = Broker::try_shared().await?;
    eprintln!(
        "broker {} (started by harness: {})",
        broker.bootstrap(),
        broker.is_managed()
    );
    // A TCP connect is enough here; protocol-level checks belong to the Kafka store tests.
    let addr = broker.bootstrap().split(',').next().unwrap_or_default();
    tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(addr)).await??;
    Ok(())
}

#[tokio::test]
async fn mysql_answers_select_1_with_row_binlog() -> Result<(), BoxError> {
    if skip("mysql_answers_select_1_with_row_binlog") {
        return Ok(());
    }
    let mysql = Mysql::try_shared().await?;
    eprintln!(
        "mysql {} (started by harness: {})",
        mysql.url(),
        mysql.is_managed()
    );
    let pool = mysql.pool();
    let mut conn = pool.get_conn().await?;
    let one: Option<u8> = conn.query_first("SELECT 1").await?;
    assert_eq!(one, Some(1));
    // Debezium needs the binlog in ROW format with full row images.
    let vars: Option<(String, String)> = conn
        .query_first("SELECT @@binlog_format, @@binlog_row_image")
        .await?;
    assert_eq!(vars, Some(("ROW".to_owned(), "FULL".to_owned())));
    let db = mysql.create_database("smoke").await?;
    conn.query_drop(format!("DROP DATABASE `{db}`")).await?;
    drop(conn);
    pool.disconnect().await?;
    Ok(())
}

#[tokio::test]
async fn s3_endpoint_answers_http() -> Result<(), BoxError> {
    if skip("s3_endpoint_answers_http") {
        return Ok(());
    }
    let s3 = S3::try_shared().await?;
    eprintln!(
        "s3 {} (started by harness: {})",
        s3.endpoint(),
        s3.is_managed()
    );
    let resp = reqwest::get(format!("{}/", s3.endpoint())).await?;
    // Unsigned requests are refused (403), which still proves an S3 server answered.
    let status = resp.status().as_u16();
    assert!(status == 200 || status == 403, "unexpected status {status}");
    Ok(())
}

#[test]
fn random_names_are_unique() {
    assert_ne!(random_name("t"), random_name("t"));
}

/// Exercises the `Worker` launcher itself (start, readiness, SIGKILL, restart on the same port)
/// with `python3 -m http.server` standing in for `sluice`, so it runs before the real worker
/// serves REST and needs no services.
#[tokio::test]
async fn worker_launcher_kills_and_restarts_a_stand_in() -> Result<(), BoxError> {
    let Some(python) = connect_e2e::find_program("python3") else {
        eprintln!("worker_launcher_kills_and_restarts_a_stand_in: skipped, no python3");
        return Ok(());
    };
    let port = connect_e2e::free_port()?;
    let mut worker = connect_e2e::Worker::builder()
        .bin(python)
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .port(port)
        // Set explicitly so the launcher does not start a broker for a stand-in.
        .env("BOOTSTRAP_SERVERS", "127.0.0.1:1")
        .start()
        .await?;
    let first = worker.pid();
    assert_eq!(worker.rest().get("/").await?.status, 200);
    assert!(
        worker
            .env_var("GROUP_ID")
            .is_some_and(|g| g.starts_with("connect_"))
    );

    worker.kill().await?;
    assert!(!worker.is_running());
    assert!(
        worker.rest().get("/").await.is_err(),
        "still answering after SIGKILL"
    );

    worker.restart().await?;
    assert_ne!(worker.pid(), first);
    assert_eq!(worker.starts(), 2);
    assert_eq!(worker.rest().get("/").await?.status, 200);
    worker.stop(Duration::from_secs(5)).await?;
    Ok(())
}
