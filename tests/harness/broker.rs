//! The Kafka API broker: tansu, or whatever `KAFKA_BOOTSTRAP` points at.

use std::time::Duration;

use tokio::net::TcpStream;
use tokio::process::Command;
use tokio::sync::OnceCell;

use crate::process::{Supervised, temp_dir};
use crate::{BoxError, free_port, program, ready_timeout, wait_until};

/// A Kafka-compatible broker for tests.
///
/// tansu does not create topics on produce or metadata requests, so tests (and Sluice) must
/// create the topics they write to.
#[derive(Debug)]
pub struct Broker {
    bootstrap: String,
    process: Option<Supervised>,
}

static SHARED: OnceCell<Broker> = OnceCell::const_new();

impl Broker {
    /// The broker shared by this test binary: `KAFKA_BOOTSTRAP` if set, else a tansu started
    /// on a free loopback port.
    ///
    /// # Panics
    /// If no broker can be reached or started; the message carries the broker's log tail.
    pub async fn shared() -> &'static Self {
        match Self::try_shared().await {
            Ok(b) => b,
            Err(e) => panic!("test broker unavailable: {e}"),
        }
    }

    /// Like [`Broker::shared`] but returns the error.
    pub async fn try_shared() -> Result<&'static Self, BoxError> {
        SHARED
            .get_or_try_init(|| async {
                match std::env::var("KAFKA_BOOTSTRAP") {
                    Ok(b) if !b.is_empty() => Self::external(b).await,
                    _ => Self::start().await,
                }
            })
            .await
    }

    async fn external(bootstrap: String) -> Result<Self, BoxError> {
        let first = bootstrap.split(',').next().unwrap_or_default().to_owned();
        if !wait_until(Duration::from_secs(10), || tcp_ok(&first)).await {
            return Err(format!("KAFKA_BOOTSTRAP={bootstrap}: nothing accepts on {first}").into());
        }
        Ok(Self {
            bootstrap,
            process: None,
        })
    }

    /// Starts a private tansu with SQLite storage in a temp dir (lost when the test ends).
    ///
    /// Not tansu's `memory://` engine: it stores whole batches and answers a fetch only with
    /// batches starting at or after the fetch offset, so a consumer resuming from a committed
    /// offset inside a producer's batch never sees that batch's remaining records. Kafka, Redpanda
    /// and tansu's SQLite engine return the batch that contains the offset.
    pub async fn start() -> Result<Self, BoxError> {
        let mut last = None;
        // A free port can be taken between our probe and tansu's bind: retry on a new one.
        for _ in 0..3 {
            match Self::start_on(free_port()?).await {
                Ok(b) => return Ok(b),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| "tansu did not start".into()))
    }

    /// Starts a private tansu on `port` (for tests where a client was told the address before
    /// the broker existed).
    pub async fn start_on(port: u16) -> Result<Self, BoxError> {
        Self::start_at("127.0.0.1", port).await
    }

    /// Starts a private tansu listening on and advertising `host:port` (an address of one's
    /// own, e.g. a veth's, for clients in another network namespace).
    pub async fn start_at(host: &str, port: u16) -> Result<Self, BoxError> {
        let tansu = program("tansu", "run `scripts/stack.sh install`")?;
        let dir = temp_dir("sluice-tansu-")?;
        let url = format!("tcp://{host}:{port}");
        let mut cmd = Command::new(&tansu);
        cmd.arg("broker")
            .args(["--listener-url", &url, "--advertised-listener-url", &url])
            // tansu drops one leading '/' of the path, hence `sqlite:///` + an absolute path.
            .args([
                "--storage-engine",
                &format!("sqlite:///{}", dir.join("tansu.db").display()),
            ])
            // Keep stray files (if any) in the temp dir, not the test's cwd.
            .current_dir(&dir);
        let mut process = Supervised::spawn("tansu", cmd, &dir.join("tansu.log"), Some(&dir))?;
        let addr = format!("{host}:{port}");
        let ready = wait_until(ready_timeout(), || {
            let up = process.exited().is_none();
            let addr = addr.clone();
            async move { up && tcp_ok(&addr).await }
        })
        .await;
        if ready {
            return Ok(Self {
                bootstrap: addr,
                process: Some(process),
            });
        }
        let err = process.startup_error("did not accept connections");
        process.kill().await.ok();
        Err(err)
    }

    /// `host:port[,host:port…]` for `bootstrap.servers`.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// True when this harness started the broker (false when it came from `KAFKA_BOOTSTRAP`).
    pub fn is_managed(&self) -> bool {
        self.process.is_some()
    }
}

pub(crate) async fn tcp_ok(addr: &str) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}
