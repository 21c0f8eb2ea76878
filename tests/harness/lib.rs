//! Service harness for Sluice's end-to-end tests.
//!
//! Starts real processes on loopback — no Docker on our machines — or reuses the ones
//! `scripts/stack.sh up` started, when `scripts/test.sh` exported their addresses:
//!
//! | handle     | reuses          | else starts                                         |
//! |------------|-----------------|-----------------------------------------------------|
//! | [`Broker`] | `KAFKA_BOOTSTRAP` | `tansu broker` with SQLite storage in a temp dir    |
//! | [`Mysql`]  | `MYSQL_URL`     | a private `mariadbd` with the binlog on (ROW, FULL) |
//! | [`Mysql::try_shared_57`] | —  | a second private `mariadbd` that says `5.7.19-log`  |
//! | [`S3`]     | `S3_ENDPOINT`   | `s3s-fs` with bucket `warehouse`                    |
//! | [`GroupCoordinator`] | — | a listener coordinating chosen groups as Kafka does, relaying the rest to the broker |
//!
//! Service-backed tests are gated on [`it_enabled`] (`CONNECT_IT=1`) and return early otherwise.
//! Each handle is shared per test binary through a `tokio::sync::OnceCell`; under nextest every
//! test is its own process, so export the endpoints (as `scripts/test.sh` does) to avoid one
//! service start per test. Use [`random_name`] for topics, databases, groups and keys so tests
//! can share a service.
//!
//! [`Worker`] launches the built `sluice` binary on a free port and talks to it through
//! [`RestClient`]. [`read_topic`] reads back what it wrote to a topic, stopping on a record count
//! or a quiet period because tansu's high watermarks cannot be trusted.
//!
//! # Layout
//! - `process`: spawning with log files, a watchdog that reaps services when the test exits
//! - `broker`, `mysql`, `s3`: the shared service handles
//! - `worker`: the `sluice` launcher (kill / restart)
//! - `cluster`: Sluice workers in one Connect group with FileStream sources over them, for the
//!   distributed tests
//! - `rest`: a small typed Kafka Connect REST client
//! - `oracle`: the real Kafka Connect worker (kc.sh) for differential tests
//! - `coordinator`: [`GroupCoordinator`], Kafka's classic group coordinator in front of the
//!   broker for chosen groups (tansu 0.6's own is defective), relaying everything else
//! - `topic`: reading a topic back from the beginning without trusting watermarks
//!
//! # Example
//! ```no_run
//! # async fn t() -> Result<(), connect_e2e::BoxError> {
//! if !connect_e2e::it_enabled() {
//!     return Ok(());
//! }
//! let broker = connect_e2e::Broker::shared().await;
//! let topic = connect_e2e::random_name("orders");
//! println!("{} {topic}", broker.bootstrap());
//! # Ok(()) }
//! ```

mod broker;
pub mod cluster;
mod coordinator;
mod mysql;
mod oracle;
mod process;
mod rest;
mod s3;
pub mod tls;
mod topic;
mod worker;

use std::collections::BTreeSet;
use std::future::Future;
use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use broker::Broker;
pub use coordinator::{Coordinator, CoordinatorConfig, GroupCoordinator, GroupState};
pub use mysql::{MYSQL_57_VERSION, Mysql, ROOT_PASSWORD as MYSQL_ROOT_PASSWORD};
pub use oracle::{JvmWorker, JvmWorkerBuilder};
pub use rest::{
    ConnectorState, ConnectorStateInfo, PluginInfo, RestClient, RestResponse, ServerInfo, TaskState,
};
pub use s3::{
    ACCESS_KEY as S3_ACCESS_KEY, BUCKET as S3_BUCKET, S3, SECRET_KEY as S3_SECRET_KEY, list_keys,
    object_lines, object_store,
};
pub use topic::{
    TopicRecord, Until, consumer_from_beginning, read_topic, topic_line_counts, topic_with_values,
};
pub use worker::{Worker, WorkerBuilder};

/// Error type of the harness and of tests (`Result<(), BoxError>` plus `?`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// True when service-backed tests should run (`CONNECT_IT=1`, as `scripts/test.sh` sets).
pub fn it_enabled() -> bool {
    std::env::var("CONNECT_IT").is_ok_and(|v| v == "1")
}

/// A name unique to this call: `<prefix>_<pid>_<random>`, safe for topics, groups, MySQL
/// databases and S3 keys (lowercase ASCII, digits and `_`).
pub fn random_name(prefix: &str) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    let suffix: String = (0..10)
        .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)]))
        .collect();
    format!("{prefix}_{}_{suffix}", std::process::id())
}

/// A loopback port that was free a moment ago, and never one this process was given before. The
/// OS hands out ephemeral ports round-robin, so the race with another process grabbing it before
/// our service binds is small; starters retry on a fresh port if the service fails to come up.
/// Within one test it is not small: a test that keeps a port free for a broker started later
/// (`broker_outage`) must not see its worker's REST listener take it, or the worker's Kafka
/// client talks to its own HTTP server.
pub fn free_port() -> Result<u16, BoxError> {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    for _ in 0..1000 {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = l.local_addr()?.port();
        let fresh = GIVEN.lock().map_or(true, |mut given| given.insert(port));
        if fresh {
            return Ok(port);
        }
    }
    Err("every free port the OS offered was handed out before".into())
}

/// Polls `probe` with exponential backoff (20 ms doubling to 1 s) until it returns `true` or
/// `timeout` passes. Returns whether it succeeded.
pub async fn wait_until<F, Fut>(timeout: Duration, mut probe: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(20);
    loop {
        if probe().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(delay.min(deadline.saturating_duration_since(Instant::now()))).await;
        delay = (delay * 2).min(Duration::from_secs(1));
    }
}

/// The workspace root (parent of this package's folder).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Finds an executable on `PATH`, then in the places our installs put things that a test's
/// `PATH` may lack (`/usr/sbin` for `mariadbd`, `~/.cargo/bin` for tansu and s3s-fs).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.push("/usr/sbin".into());
    dirs.push("/usr/local/sbin".into());
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

pub(crate) fn program(name: &str, hint: &str) -> Result<PathBuf, BoxError> {
    find_program(name).ok_or_else(|| format!("`{name}` not found on PATH; {hint}").into())
}

/// Timeout for a service to become ready; `SLUICE_IT_READY_SECS` overrides (slow CI disks).
pub(crate) fn ready_timeout() -> Duration {
    std::env::var("SLUICE_IT_READY_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_names_differ_and_are_identifier_safe() {
        let a = random_name("t");
        let b = random_name("t");
        assert_ne!(a, b);
        assert!(a.starts_with("t_"));
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        );
    }

    #[test]
    fn free_port_never_hands_out_a_port_twice_in_a_process() {
        let ports: Vec<u16> = (0..3000).map(|_| free_port().unwrap()).collect();
        let distinct: BTreeSet<u16> = ports.iter().copied().collect();
        assert_eq!(distinct.len(), ports.len());
    }

    #[tokio::test]
    async fn wait_until_times_out_and_succeeds() {
        assert!(!wait_until(Duration::from_millis(50), || async { false }).await);
        let mut n = 0;
        assert!(
            wait_until(Duration::from_secs(5), || {
                n += 1;
                let done = n >= 3;
                async move { done }
            })
            .await
        );
    }
}
