//! The crate's single error type, and how it maps onto Kafka Connect's retriable/fatal split.

use connect_api::ConnectError;

/// Everything that can go wrong inside the S3 sink.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum S3SinkError {
    /// The object store failed (after the client's own retries). Transient by nature: the task
    /// keeps its state and the runtime calls again.
    #[error("S3 request failed for {key}: {source}")]
    Store {
        key: String,
        #[source]
        source: object_store::Error,
    },
    /// A record cannot be written with the configured format or partitioner.
    #[error("{0}")]
    Data(String),
    /// A record with a null value met `behavior.on.null.values=fail`.
    #[error(
        "Null valued records are not writeable with current behavior.on.null.values 'settings. \
         (topic {topic}, partition {partition}, offset {offset})"
    )]
    NullValue {
        topic: String,
        partition: i32,
        offset: i64,
    },
    /// The bucket already holds an object that a replay could not account for: writing would
    /// either overwrite someone else's data or duplicate records, so the task stops instead.
    #[error("{0}")]
    Conflict(String),
    /// A background upload task ended without handing its file back (it panicked).
    #[error("{0}")]
    Upload(String),
    /// The S3 client could not be built from the configuration.
    #[error("cannot build the S3 client: {0}")]
    Client(String),
}

impl S3SinkError {
    pub(crate) fn store(key: impl Into<String>, source: object_store::Error) -> Self {
        Self::Store {
            key: key.into(),
            source,
        }
    }
}

impl From<S3SinkError> for ConnectError {
    fn from(e: S3SinkError) -> Self {
        match e {
            // Credentials and unsupported operations do not heal by waiting.
            S3SinkError::Store {
                source:
                    object_store::Error::PermissionDenied { .. }
                    | object_store::Error::Unauthenticated { .. }
                    | object_store::Error::NotSupported { .. }
                    | object_store::Error::NotImplemented { .. },
                ..
            } => ConnectError::fatal_with("S3 rejected the request", e),
            S3SinkError::Store { .. } => ConnectError::retriable_with("S3 is unavailable", e),
            other => ConnectError::fatal_with("S3 sink failed", other),
        }
    }
}
