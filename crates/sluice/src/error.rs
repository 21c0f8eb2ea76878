//! Why the binary's inputs (the container environment, standalone connector files, the worker
//! properties) could not be turned into a configuration. Every message is one line naming the
//! offending variable, file or key.

use std::path::PathBuf;

use connect_runtime::worker_config::WorkerConfigError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum InputError {
    /// A setting the `debezium/connect` entrypoint requires is not in the environment.
    #[error("{message}")]
    MissingEnv {
        var: &'static str,
        message: &'static str,
    },
    /// A connector configuration file `ConnectStandalone` would refuse.
    #[error("{0}")]
    ConnectorFile(String),
    #[error("failed to read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The worker settings (or a properties file) are invalid.
    #[error(transparent)]
    Worker(#[from] WorkerConfigError),
}
