//! The status store after writes that timed out, against a private tansu that the test freezes
//! (SIGSTOP) and thaws: `KAFKA_BOOTSTRAP=… cargo test -p connect-storage --test status_outage`
//! with `tansu` on the PATH. Without `KAFKA_BOOTSTRAP` (the sign that broker tests are wanted)
//! or without `tansu`, the test prints a notice and passes without doing anything.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use connect_storage::{
    ConnectorStatus, KafkaSettings, KafkaStatusStore, State, StatusStore, TopicSettings,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A tansu of the test's own, killed when dropped.
struct Tansu {
    child: Child,
    bootstrap: String,
    _dir: tempfile::TempDir,
}

impl Tansu {
    fn start() -> Result<Option<Self>, Box<dyn std::error::Error>> {
        if std::env::var("KAFKA_BOOTSTRAP").is_err() {
            eprintln!("KAFKA_BOOTSTRAP is not set: skipping a test that needs a Kafka broker.");
            return Ok(None);
        }
        let dir = tempfile::tempdir()?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = match Command::new("tansu")
            .arg("broker")
            .args(["--listener-url", &url, "--advertised-listener-url", &url])
            .args([
                "--storage-engine",
                &format!("sqlite:///{}", dir.path().join("tansu.db").display()),
            ])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                eprintln!("no tansu to start ({e}): skipping.");
                return Ok(None);
            }
        };
        let bootstrap = format!("127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(&bootstrap).is_err() {
            if started.elapsed() > Duration::from_secs(20) {
                return Err("tansu did not accept connections".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(Some(Self {
            child,
            bootstrap,
            _dir: dir,
        }))
    }

    fn signal(&self, signal: &str) -> TestResult {
        let ok = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()?
            .success();
        if ok {
            Ok(())
        } else {
            Err(format!("kill {signal} failed").into())
        }
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        self.signal("-CONT").ok();
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn running(generation: i32) -> ConnectorStatus {
    ConnectorStatus {
        state: State::Running,
        trace: None,
        worker_id: "w1:8083".into(),
        generation,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_are_written_again_once_a_broker_that_let_writes_time_out_is_back() -> TestResult {
    let Some(tansu) = Tansu::start()? else {
        return Ok(());
    };
    let mut settings = KafkaSettings::new(&tansu.bootstrap);
    settings.timeout = Duration::from_secs(3);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let topic = TopicSettings::status(format!("status-outage-{nanos}"), 5, 1);
    let store = KafkaStatusStore::open(&settings, &topic).await?;
    store.put_task("c", 0, &running(1)).await?;

    // Given writes that time out while the broker does not answer,
    tansu.signal("-STOP")?;
    for generation in 2..4 {
        assert!(store.put_task("c", 0, &running(generation)).await.is_err());
    }
    tansu.signal("-CONT")?;

    // then, once it answers again, a status is written (within a few of the store's timeouts)
    // and read back.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = None;
    loop {
        match store.put_task("c", 0, &running(7)).await {
            Ok(()) => break,
            Err(e) if Instant::now() < deadline => {
                last = Some(e.to_string());
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return Err(format!("{e} (before: {last:?})").into()),
        }
    }
    assert_eq!(store.get_task("c", 0).map(|s| s.generation), Some(7));
    Ok(())
}
