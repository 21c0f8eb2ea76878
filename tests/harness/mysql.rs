//! MySQL for CDC tests: a private MariaDB with the binlog on, or whatever `MYSQL_URL` names.

use std::path::Path;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{Opts, Pool};
use tokio::process::Command;
use tokio::sync::OnceCell;

use crate::process::{Supervised, temp_dir};
use crate::{BoxError, free_port, program, random_name, ready_timeout, wait_until};

/// The article's root password (`MYSQL_ROOT_PASSWORD=debezium`).
pub const ROOT_PASSWORD: &str = "debezium";

/// A MySQL-protocol server for tests (MariaDB 10.11 on our machines, not Oracle MySQL: GTIDs
/// and some binlog events differ).
#[derive(Debug)]
pub struct Mysql {
    url: String,
    opts: Opts,
    process: Option<Supervised>,
}

static SHARED: OnceCell<Mysql> = OnceCell::const_new();
static SHARED_57: OnceCell<Mysql> = OnceCell::const_new();

/// The version a [`Mysql::shared_57`] server reports. Debezium 3.6's MySqlConnector refuses
/// MariaDB 10.11 (it reads the version as MySQL 8.4+ and sends `SHOW BINARY LOG STATUS`), and
/// Connector/J 9 asks for `transaction_isolation` on servers that say 5.7.20 or later; 5.7.19
/// passes both (../shared/oracle/README.md).
pub const MYSQL_57_VERSION: &str = "5.7.19-log";

impl Mysql {
    /// The server shared by this test binary: `MYSQL_URL` if set, else a MariaDB started on a
    /// free loopback port with `log-bin`, `binlog-format=ROW`, `binlog-row-image=FULL`.
    ///
    /// # Panics
    /// If no server can be reached or started.
    pub async fn shared() -> &'static Self {
        match Self::try_shared().await {
            Ok(m) => m,
            Err(e) => panic!("test MySQL unavailable: {e}"),
        }
    }

    /// Like [`Mysql::shared`] but returns the error.
    pub async fn try_shared() -> Result<&'static Self, BoxError> {
        SHARED
            .get_or_try_init(|| async {
                match std::env::var("MYSQL_URL") {
                    Ok(u) if !u.is_empty() => Self::external(u).await,
                    _ => Self::start().await,
                }
            })
            .await
    }

    /// A private MariaDB shared by this test binary that reports itself as MySQL
    /// [`MYSQL_57_VERSION`] (`--version=5.7.19-log`), beside the [`Mysql::shared`] one, so that
    /// the real Debezium 3.6 connector accepts it. Binlog ROW/FULL, root/`debezium`,
    /// `debezium`/`dbz` with replication grants, on a free port. Never `MYSQL_URL`'s server.
    pub async fn try_shared_57() -> Result<&'static Self, BoxError> {
        SHARED_57
            .get_or_try_init(|| Self::start_as(Some(MYSQL_57_VERSION)))
            .await
    }

    async fn external(url: String) -> Result<Self, BoxError> {
        let opts = Opts::from_url(&url).map_err(|e| format!("MYSQL_URL={url}: {e}"))?;
        let ok = wait_until(Duration::from_secs(10), || ping(opts.clone())).await;
        if !ok {
            return Err(format!("MYSQL_URL={url}: server does not answer").into());
        }
        Ok(Self {
            url,
            opts,
            process: None,
        })
    }

    /// Starts a private MariaDB in a temp datadir (about 3 s, most of it `mariadb-install-db`).
    pub async fn start() -> Result<Self, BoxError> {
        Self::start_as(None).await
    }

    /// [`Mysql::start`], reporting `version` (`--version=…`) when given.
    pub async fn start_as(version: Option<&str>) -> Result<Self, BoxError> {
        let hint = "install Debian's mariadb-server (`scripts/stack.sh install`)";
        let install_db = program("mariadb-install-db", hint)?;
        let mariadbd = program("mariadbd", hint)?;
        let dir = temp_dir("sluice-mariadb-")?;
        let data = dir.join("data");
        let out = Command::new(&install_db)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args([
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ])
            .output()
            .await?;
        if !out.status.success() {
            return Err(format!(
                "mariadb-install-db failed: {}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        let mut last = None;
        for _ in 0..3 {
            let port = free_port()?;
            let mut process = spawn_mariadbd(&mariadbd, &dir, &data, port, version)?;
            // Fresh datadir: root@localhost has no password yet.
            let bare = Opts::from_url(&format!("mysql://root@127.0.0.1:{port}"))?;
            let ready = wait_until(ready_timeout(), || {
                let up = process.exited().is_none();
                let bare = bare.clone();
                async move { up && ping(bare).await }
            })
            .await;
            if !ready {
                last = Some(process.startup_error("did not answer"));
                process.kill().await.ok();
                continue;
            }
            create_accounts(bare).await?;
            let url = format!("mysql://root:{ROOT_PASSWORD}@127.0.0.1:{port}");
            let opts = Opts::from_url(&url)?;
            return Ok(Self {
                url,
                opts,
                process: Some(process),
            });
        }
        Err(last.unwrap_or_else(|| "mariadbd did not start".into()))
    }

    /// `mysql://user:password@host:port` (no database).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL with a default database.
    pub fn url_for(&self, database: &str) -> String {
        format!("{}/{database}", self.url.trim_end_matches('/'))
    }

    pub fn host(&self) -> String {
        self.opts.ip_or_hostname().to_owned()
    }

    pub fn port(&self) -> u16 {
        self.opts.tcp_port()
    }

    pub fn user(&self) -> String {
        self.opts.user().unwrap_or("root").to_owned()
    }

    pub fn password(&self) -> String {
        self.opts.pass().unwrap_or_default().to_owned()
    }

    /// A new connection pool (pools are tied to the runtime that uses them, so tests make their
    /// own rather than sharing one across `#[tokio::test]` runtimes).
    pub fn pool(&self) -> Pool {
        Pool::new(self.opts.clone())
    }

    /// Creates a database with a unique name and returns the name.
    pub async fn create_database(&self, prefix: &str) -> Result<String, BoxError> {
        let name = random_name(prefix);
        let pool = self.pool();
        let mut conn = pool.get_conn().await?;
        conn.query_drop(format!("CREATE DATABASE `{name}`")).await?;
        drop(conn);
        pool.disconnect().await?;
        Ok(name)
    }

    /// True when this harness started the server (false when it came from `MYSQL_URL`).
    pub fn is_managed(&self) -> bool {
        self.process.is_some()
    }
}

fn spawn_mariadbd(
    bin: &Path,
    dir: &Path,
    data: &Path,
    port: u16,
    version: Option<&str>,
) -> Result<Supervised, BoxError> {
    let mut cmd = Command::new(bin);
    // --no-defaults must come first; it keeps /etc/mysql/*.cnf (the system server's) out.
    cmd.arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .arg("--user=root")
        .arg(format!("--port={port}"))
        .arg("--bind-address=127.0.0.1")
        // The temp dir path is short, so the socket stays under the 108-byte limit.
        .arg(format!("--socket={}", dir.join("sock").display()))
        .arg(format!("--pid-file={}", dir.join("mariadbd.pid").display()))
        .arg(format!("--log-bin={}", data.join("binlog").display()))
        .args([
            "--binlog-format=ROW",
            "--binlog-row-image=FULL",
            "--server-id=1",
        ])
        .arg("--max-allowed-packet=128M");
    if let Some(v) = version {
        cmd.arg(format!("--version={v}"));
    }
    Supervised::spawn("mariadbd", cmd, &dir.join("mariadbd.log"), Some(dir))
}

async fn ping(opts: Opts) -> bool {
    let pool = Pool::new(opts);
    let ok = match pool.get_conn().await {
        Ok(mut c) => c.query_first::<u8, _>("SELECT 1").await.is_ok(),
        Err(_) => false,
    };
    pool.disconnect().await.ok();
    ok
}

/// The article's accounts: root/`debezium`, and `debezium`/`dbz` with the grants Debezium's
/// MySQL connector documents.
async fn create_accounts(bare: Opts) -> Result<(), BoxError> {
    let pool = Pool::new(bare);
    let mut conn = pool.get_conn().await?;
    let pw = ROOT_PASSWORD;
    let mut sql = vec![format!(
        "ALTER USER 'root'@'localhost' IDENTIFIED BY '{pw}'"
    )];
    for host in ["127.0.0.1", "%"] {
        sql.push(format!(
            "CREATE USER IF NOT EXISTS 'root'@'{host}' IDENTIFIED BY '{pw}'"
        ));
        sql.push(format!(
            "GRANT ALL PRIVILEGES ON *.* TO 'root'@'{host}' WITH GRANT OPTION"
        ));
    }
    for host in ["localhost", "127.0.0.1", "%"] {
        sql.push(format!(
            "CREATE USER IF NOT EXISTS 'debezium'@'{host}' IDENTIFIED BY 'dbz'"
        ));
        sql.push(format!(
            "GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT, \
             LOCK TABLES ON *.* TO 'debezium'@'{host}'"
        ));
    }
    for stmt in sql {
        conn.query_drop(&stmt)
            .await
            .map_err(|e| format!("{stmt}: {e}"))?;
    }
    drop(conn);
    pool.disconnect().await?;
    Ok(())
}
