//! Launching the built `sluice` worker binary.
//!
//! `env!("CARGO_BIN_EXE_sluice")` only exists inside the `sluice` package, so the binary is
//! found by path: `SLUICE_BIN`, else the newer of `target/release/sluice` and
//! `target/debug/sluice` (honouring `CARGO_TARGET_DIR`). Build it first (`scripts/test.sh`
//! does; by hand: `cargo build -p sluice`).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use tokio::process::Command;

use crate::process::{Supervised, log_tail, temp_dir};
use crate::rest::RestClient;
use crate::s3::http_answers;
use crate::{BoxError, Broker, free_port, random_name, ready_timeout, wait_until, workspace_root};

/// Builds a [`Worker`]. By default the worker gets the shared [`Broker`] as
/// `BOOTSTRAP_SERVERS` and a unique `GROUP_ID` and internal topic names, so tests sharing a
/// broker do not see each other's connectors.
#[derive(Debug, Default)]
pub struct WorkerBuilder {
    env: Vec<(String, String)>,
    args: Vec<String>,
    bin: Option<PathBuf>,
    port: Option<u16>,
    host: Option<String>,
    wrapper: Vec<String>,
    ready_timeout: Option<Duration>,
}

impl WorkerBuilder {
    /// Sets (or overrides) one environment variable, e.g. `CONNECT_OFFSET_FLUSH_INTERVAL_MS`.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn envs<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Binary to run instead of the located `sluice`.
    pub fn bin(mut self, path: impl Into<PathBuf>) -> Self {
        self.bin = Some(path.into());
        self
    }

    /// REST port (default: a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The address the REST listener binds and advertises (default `127.0.0.1`).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Runs the binary through `program args… <sluice> <sluice args…>`, e.g.
    /// `ip netns exec <ns>` (which execs it, so the process is the worker's own).
    pub fn wrap<S: Into<String>>(mut self, program_and_args: impl IntoIterator<Item = S>) -> Self {
        self.wrapper = program_and_args.into_iter().map(Into::into).collect();
        self
    }

    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = Some(timeout);
        self
    }

    /// Starts the worker and waits until `GET /` answers 200.
    pub async fn start(self) -> Result<Worker, BoxError> {
        let bin = match self.bin {
            Some(b) => b,
            None => Worker::binary()?,
        };
        let port = match self.port {
            Some(p) => p,
            None => free_port()?,
        };
        let mut env = Vec::new();
        if !self.env.iter().any(|(k, _)| k == "BOOTSTRAP_SERVERS") {
            env.push((
                "BOOTSTRAP_SERVERS".to_owned(),
                Broker::try_shared().await?.bootstrap().to_owned(),
            ));
        }
        let id = random_name("connect");
        let defaults = [
            ("GROUP_ID", id.clone()),
            ("CONFIG_STORAGE_TOPIC", format!("{id}_configs")),
            ("OFFSET_STORAGE_TOPIC", format!("{id}_offsets")),
            ("STATUS_STORAGE_TOPIC", format!("{id}_statuses")),
        ];
        for (k, v) in defaults {
            if !self.env.iter().any(|(key, _)| key == k) {
                env.push((k.to_owned(), v));
            }
        }
        // The REST listener, in the debezium/connect image's variables and the worker
        // property passthrough (CONNECT_LISTENERS -> listeners).
        let host = self.host.unwrap_or_else(|| "127.0.0.1".to_owned());
        let listener = [
            ("REST_HOST_NAME", host.clone()),
            ("REST_PORT", port.to_string()),
            ("ADVERTISED_HOST_NAME", host.clone()),
            ("ADVERTISED_PORT", port.to_string()),
            ("CONNECT_LISTENERS", format!("http://{host}:{port}")),
        ];
        for (k, v) in listener {
            if !self.env.iter().any(|(key, _)| key == k) {
                env.push((k.to_owned(), v));
            }
        }
        env.extend(self.env);
        let mut worker = Worker {
            bin,
            args: self.args,
            wrapper: self.wrapper,
            env,
            host,
            port,
            dir: temp_dir("sluice-worker-")?,
            ready_timeout: self.ready_timeout.unwrap_or_else(ready_timeout),
            process: None,
            starts: 0,
        };
        worker.launch().await?;
        Ok(worker)
    }
}

/// A running (or killed) `sluice` worker process.
#[derive(Debug)]
pub struct Worker {
    bin: PathBuf,
    args: Vec<String>,
    wrapper: Vec<String>,
    env: Vec<(String, String)>,
    host: String,
    port: u16,
    dir: PathBuf,
    ready_timeout: Duration,
    process: Option<Supervised>,
    starts: u32,
}

impl Worker {
    pub fn builder() -> WorkerBuilder {
        WorkerBuilder::default()
    }

    /// Where the `sluice` binary is: `SLUICE_BIN`, else the most recently built of
    /// `<target>/release/sluice` and `<target>/debug/sluice`.
    pub fn binary() -> Result<PathBuf, BoxError> {
        if let Some(p) = std::env::var_os("SLUICE_BIN") {
            let p = PathBuf::from(p);
            return if p.is_file() {
                Ok(p)
            } else {
                Err(format!("SLUICE_BIN={} is not a file", p.display()).into())
            };
        }
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("target"));
        let target = if target.is_relative() {
            workspace_root().join(target)
        } else {
            target
        };
        ["release", "debug"]
            .iter()
            .map(|profile| target.join(profile).join("sluice"))
            .filter(|p| p.is_file())
            .max_by_key(|p| p.metadata().and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH))
            .ok_or_else(|| {
                format!(
                    "no sluice binary under {}/{{release,debug}}; run `cargo build -p sluice` or set SLUICE_BIN",
                    target.display()
                )
                .into()
            })
    }

    async fn launch(&mut self) -> Result<(), BoxError> {
        self.starts += 1;
        let mut cmd = match self.wrapper.split_first() {
            Some((program, args)) => {
                let mut cmd = Command::new(program);
                cmd.args(args).arg(&self.bin);
                cmd
            }
            None => Command::new(&self.bin),
        };
        cmd.args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.dir);
        let log = self.log_path();
        let mut process = Supervised::spawn("sluice", cmd, &log, Some(&self.dir))?;
        let url = self.url();
        let ready = wait_until(self.ready_timeout, || {
            let up = process.exited().is_none();
            let url = url.clone();
            async move { up && root_ok(&url).await }
        })
        .await;
        if !ready {
            let err = process.startup_error("did not answer GET / with 200");
            process.kill().await.ok();
            return Err(err);
        }
        self.process = Some(process);
        Ok(())
    }

    /// `http://<host>:<port>` (host `127.0.0.1` unless [`WorkerBuilder::host`]).
    pub fn url(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }

    /// The REST listener's address.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A REST client for this worker.
    ///
    /// # Panics
    /// Only if the HTTP client cannot be built (no TLS backend), which would be a build bug.
    pub fn rest(&self) -> RestClient {
        RestClient::new(self.url()).expect("building an HTTP client")
    }

    /// The environment the worker runs with (after defaults), e.g. to read its `GROUP_ID`.
    pub fn env_var(&self, key: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// This worker's log file (all starts append to it).
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("sluice.log")
    }

    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log_path(), lines)
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(Supervised::pid)
    }

    pub fn is_running(&mut self) -> bool {
        self.process.as_mut().is_some_and(|p| p.exited().is_none())
    }

    /// SIGKILL: a crash, no shutdown hooks, nothing flushed.
    pub async fn kill(&mut self) -> Result<(), BoxError> {
        if let Some(mut p) = self.process.take() {
            p.kill().await?;
        }
        Ok(())
    }

    /// SIGTERM and wait up to `grace` for a clean exit, then SIGKILL.
    pub async fn stop(&mut self, grace: Duration) -> Result<(), BoxError> {
        if let Some(mut p) = self.process.take() {
            p.terminate(grace).await?;
        }
        Ok(())
    }

    /// Starts the worker again on the same port with the same environment (same group and
    /// internal topics), killing it first if it still runs.
    pub async fn restart(&mut self) -> Result<(), BoxError> {
        self.kill().await?;
        // The old listener socket may linger briefly after SIGKILL.
        let url = self.url();
        let _ = wait_until(Duration::from_secs(5), || {
            let url = url.clone();
            async move { !http_answers(&url).await }
        })
        .await;
        self.launch().await
    }

    /// How many times the process was started.
    pub fn starts(&self) -> u32 {
        self.starts
    }
}

async fn root_ok(url: &str) -> bool {
    let Ok(client) = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
    else {
        return false;
    };
    matches!(client.get(format!("{url}/")).send().await, Ok(r) if r.status().as_u16() == 200)
}
