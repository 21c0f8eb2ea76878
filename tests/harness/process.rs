//! Spawning service processes for tests.
//!
//! `kill_on_drop(true)` covers handles that are dropped. Shared handles live in statics, which
//! Rust never drops, so every spawned service also gets a detached shell watchdog: when the test
//! process exits (normally, by panic or by SIGKILL) the watchdog SIGKILLs the service and
//! removes its temp folder. That keeps nextest runs from leaking brokers and databases, and
//! needs no `unsafe` (no `prctl(PR_SET_PDEATHSIG)`, which would also fire when the spawning
//! *thread* exits — libtest runs each test on its own thread).

use std::fmt;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::{Child, Command};

use crate::BoxError;

/// A running service process whose output goes to a log file (never to the test's pipes, which
/// nextest would report as leaked).
pub(crate) struct Supervised {
    name: String,
    child: Child,
    log: PathBuf,
}

impl fmt::Debug for Supervised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervised")
            .field("name", &self.name)
            .field("pid", &self.child.id())
            .field("log", &self.log)
            .finish()
    }
}

impl Supervised {
    /// Spawns `cmd` with stdout and stderr appended to `log`. `cleanup_dir` is removed by the
    /// watchdog after the test process exits.
    pub(crate) fn spawn(
        name: &str,
        mut cmd: Command,
        log: &Path,
        cleanup_dir: Option<&Path>,
    ) -> Result<Self, BoxError> {
        let out = OpenOptions::new().create(true).append(true).open(log)?;
        let err = out.try_clone()?;
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(|e| format!("spawning {name}: {e}"))?;
        let pid = child.id().ok_or_else(|| format!("{name} exited at once"))?;
        watchdog(pid, cleanup_dir)?;
        Ok(Self {
            name: name.to_owned(),
            child,
            log: log.to_path_buf(),
        })
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// `Some(description)` when the process has exited.
    pub(crate) fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("unknown ({e})")),
        }
    }

    /// SIGKILL and reap.
    pub(crate) async fn kill(&mut self) -> Result<(), BoxError> {
        if self.exited().is_none() {
            self.child.kill().await?;
        }
        Ok(())
    }

    /// SIGTERM (through `kill(1)`, as the lints forbid `unsafe` libc calls), then SIGKILL
    /// after `grace`.
    pub(crate) async fn terminate(&mut self, grace: std::time::Duration) -> Result<(), BoxError> {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status()
                .await?;
            if tokio::time::timeout(grace, self.child.wait()).await.is_ok() {
                return Ok(());
            }
        }
        self.kill().await
    }

    /// The last `lines` lines of the log, for error messages.
    pub(crate) fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log, lines)
    }

    /// An error that names the service, how it ended (if it did) and its log tail.
    pub(crate) fn startup_error(&mut self, what: &str) -> BoxError {
        let state = match self.exited() {
            Some(status) => format!("exited with {status}"),
            None => "still running".to_owned(),
        };
        format!(
            "{} {what} ({state}); log {}:\n{}",
            self.name,
            self.log.display(),
            self.log_tail(30)
        )
        .into()
    }
}

pub(crate) fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Starts a detached `sh` loop that outlives nothing but the test process: it exits when the
/// child exits (so a restarted worker's old pid is never signalled later), and when the test
/// process goes away it kills the child and removes `dir`. The outer `sh` backgrounds the loop
/// and returns at once, so the loop is reparented to init and leaves no zombie behind.
fn watchdog(child: u32, dir: Option<&Path>) -> Result<(), BoxError> {
    const SCRIPT: &str = r#"
P=$1 C=$2 D=$3
(
  while kill -0 "$P" 2>/dev/null; do
    if [ -n "$C" ] && ! kill -0 "$C" 2>/dev/null; then
      C=
      [ -z "$D" ] && exit 0
    fi
    sleep 0.5
  done
  [ -n "$C" ] && kill -9 "$C" 2>/dev/null
  if [ -n "$D" ]; then sleep 1; rm -rf "$D"; fi
) >/dev/null 2>&1 </dev/null &
"#;
    // SLUICE_KEEP_TEST_DIRS=1 keeps logs and data after the test process is gone, to debug a
    // failure that only shows up once in many runs.
    let dir = dir.filter(|_| std::env::var_os("SLUICE_KEEP_TEST_DIRS").is_none());
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(SCRIPT)
        .arg("sh")
        .arg(std::process::id().to_string())
        .arg(child.to_string())
        .arg(dir.map(|d| d.as_os_str().to_owned()).unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(format!("watchdog shell failed: {status}").into());
    }
    Ok(())
}

/// A fresh temp folder owned by the watchdog of the first process started in it (tempfile's
/// own cleanup never runs for statics).
pub(crate) fn temp_dir(prefix: &str) -> Result<PathBuf, BoxError> {
    Ok(tempfile::Builder::new().prefix(prefix).tempdir()?.keep())
}
