//! S3 for sink tests: s3s-fs (MinIO's stand-in), or whatever `S3_ENDPOINT` names.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt as _;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt as _};

use tokio::process::Command;
use tokio::sync::OnceCell;

use crate::process::{Supervised, temp_dir};
use crate::{BoxError, free_port, program, ready_timeout, wait_until};

/// The article's MinIO credentials, which `scripts/stack.sh` gives s3s-fs too.
pub const ACCESS_KEY: &str = "minio";
pub const SECRET_KEY: &str = "minio123";
/// The bucket that exists from the start.
pub const BUCKET: &str = "warehouse";

/// An S3-compatible endpoint. Use path-style addressing (`http://host:port/bucket/key`):
/// s3s-fs serves virtual-hosted style only for a configured `--domain`.
#[derive(Debug)]
pub struct S3 {
    endpoint: String,
    access_key: String,
    secret_key: String,
    data_dir: Option<PathBuf>,
    process: Option<Supervised>,
}

static SHARED: OnceCell<S3> = OnceCell::const_new();

impl S3 {
    /// The endpoint shared by this test binary: `S3_ENDPOINT` (with `S3_ACCESS_KEY` /
    /// `S3_SECRET_KEY`, default minio/minio123) if set, else s3s-fs on a free loopback port.
    ///
    /// # Panics
    /// If no endpoint can be reached or started.
    pub async fn shared() -> &'static Self {
        match Self::try_shared().await {
            Ok(s) => s,
            Err(e) => panic!("test S3 unavailable: {e}"),
        }
    }

    /// Like [`S3::shared`] but returns the error.
    pub async fn try_shared() -> Result<&'static Self, BoxError> {
        SHARED
            .get_or_try_init(|| async {
                match std::env::var("S3_ENDPOINT") {
                    Ok(e) if !e.is_empty() => Self::external(e).await,
                    _ => Self::start().await,
                }
            })
            .await
    }

    async fn external(endpoint: String) -> Result<Self, BoxError> {
        let endpoint = endpoint.trim_end_matches('/').to_owned();
        if !wait_until(Duration::from_secs(10), || http_answers(&endpoint)).await {
            return Err(format!("S3_ENDPOINT={endpoint}: no HTTP answer").into());
        }
        let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
        Ok(Self {
            endpoint,
            access_key: var("S3_ACCESS_KEY", ACCESS_KEY),
            secret_key: var("S3_SECRET_KEY", SECRET_KEY),
            data_dir: None,
            process: None,
        })
    }

    /// Starts a private s3s-fs over a temp folder holding bucket `warehouse`.
    pub async fn start() -> Result<Self, BoxError> {
        let dir = temp_dir("sluice-s3-")?;
        let data = dir.join("data");
        // Each folder under the root is a bucket.
        std::fs::create_dir_all(data.join(BUCKET))?;
        let mut last = None;
        for _ in 0..3 {
            let port = free_port()?;
            match spawn_on(&dir, &data, port).await {
                Ok(process) => {
                    return Ok(Self {
                        endpoint: format!("http://127.0.0.1:{port}"),
                        access_key: ACCESS_KEY.to_owned(),
                        secret_key: SECRET_KEY.to_owned(),
                        data_dir: Some(data),
                        process: Some(process),
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| "s3s-fs did not start".into()))
    }

    /// Kills a harness-started s3s-fs (an outage); [`S3::restart`] brings it back.
    pub async fn stop(&mut self) -> Result<(), BoxError> {
        let p = self
            .process
            .as_mut()
            .ok_or("stop needs a harness-started s3s-fs")?;
        p.kill().await
    }

    /// Starts a stopped harness s3s-fs again, on the same port over the same data.
    pub async fn restart(&mut self) -> Result<(), BoxError> {
        let data = self
            .data_dir
            .clone()
            .ok_or("restart needs a harness-started s3s-fs")?;
        let dir = data.parent().ok_or("data dir has no parent")?.to_path_buf();
        let port: u16 = self
            .endpoint
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or("endpoint has no port")?;
        self.process = Some(spawn_on(&dir, &data, port).await?);
        Ok(())
    }

    /// `http://host:port`, no trailing slash.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// Any region signs; s3s-fs does not check it.
    pub fn region(&self) -> &str {
        "us-east-1"
    }

    /// The pre-created bucket, `warehouse`.
    pub fn bucket(&self) -> &str {
        BUCKET
    }

    /// The folder behind a harness-started s3s-fs (`None` for an external endpoint). Tests can
    /// read objects straight from `<dir>/<bucket>/<key>` or make buckets with [`S3::create_bucket`].
    pub fn data_dir(&self) -> Option<&Path> {
        self.data_dir.as_deref()
    }

    /// Makes a bucket by creating its folder; only for a harness-started s3s-fs.
    pub fn create_bucket(&self, name: &str) -> Result<(), BoxError> {
        let dir = self
            .data_dir
            .as_ref()
            .ok_or("create_bucket needs a harness-started s3s-fs (S3_ENDPOINT is set)")?;
        std::fs::create_dir_all(dir.join(name))?;
        Ok(())
    }

    /// True when this harness started the server.
    pub fn is_managed(&self) -> bool {
        self.process.is_some()
    }
}

/// Any HTTP status counts: an unsigned request gets 403 from a live server.
pub(crate) async fn http_answers(endpoint: &str) -> bool {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build();
    match client {
        Ok(c) => c.get(format!("{endpoint}/")).send().await.is_ok(),
        Err(_) => false,
    }
}

/// s3s-fs on `port` over `data`, once it answers HTTP.
async fn spawn_on(dir: &Path, data: &Path, port: u16) -> Result<Supervised, BoxError> {
    let bin = program("s3s-fs", "run `scripts/stack.sh install`")?;
    let mut cmd = Command::new(&bin);
    cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
        .arg(data);
    let mut process = Supervised::spawn("s3s-fs", cmd, &dir.join("s3s-fs.log"), Some(dir))?;
    let endpoint = format!("http://127.0.0.1:{port}");
    let ready = wait_until(ready_timeout(), || {
        let up = process.exited().is_none();
        let endpoint = endpoint.clone();
        async move { up && http_answers(&endpoint).await }
    })
    .await;
    if ready {
        return Ok(process);
    }
    let err = process.startup_error("did not answer HTTP");
    process.kill().await.ok();
    Err(err)
}

/// An S3 client for `s3`'s bucket, to read back what a sink wrote.
///
/// # Errors
/// When the client cannot be built.
pub fn object_store(s3: &S3) -> Result<Arc<dyn ObjectStore>, BoxError> {
    Ok(Arc::new(
        AmazonS3Builder::new()
            .with_endpoint(s3.endpoint())
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .with_bucket_name(s3.bucket())
            .with_region(s3.region())
            .with_access_key_id(s3.access_key())
            .with_secret_access_key(s3.secret_key())
            .build()?,
    ))
}

/// Every key under `prefix`, sorted.
///
/// # Errors
/// When the listing fails.
pub async fn list_keys(store: &dyn ObjectStore, prefix: &str) -> Result<Vec<String>, BoxError> {
    let prefix = ObjPath::from(prefix);
    let mut keys: Vec<String> = store
        .list(Some(&prefix))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await?;
    keys.sort();
    Ok(keys)
}

/// The object's lines, gunzipped for `.gz` keys.
///
/// # Errors
/// When the object cannot be read or is not text.
pub async fn object_lines(store: &dyn ObjectStore, key: &str) -> Result<Vec<String>, BoxError> {
    let bytes = store.get(&ObjPath::from(key)).await?.bytes().await?;
    let text = if key.ends_with(".gz") {
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_string(&mut s)?;
        s
    } else {
        String::from_utf8(bytes.to_vec())?
    };
    Ok(text.lines().map(str::to_owned).collect())
}
