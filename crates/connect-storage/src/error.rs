//! The crate's single error type.

use std::path::PathBuf;

use rdkafka::error::KafkaError;

/// Everything a store can fail with.
///
/// Messages are lower-case without a trailing period: the runtime may pass them on verbatim in a
/// REST `message` field.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A Kafka client call failed.
    #[error("{context}: {source}")]
    Kafka {
        context: String,
        #[source]
        source: KafkaError,
    },
    /// The broker refused an admin request (topic creation, metadata).
    #[error("{context}: {reason}")]
    Broker { context: String, reason: String },
    /// The store's configuration or its topic is unusable (for example a config topic with more
    /// than one partition).
    #[error("{0}")]
    Config(String),
    /// A write was not acknowledged and read back, or the log was not read to its end, in time.
    #[error("timed out after {millis} ms {action}")]
    Timeout { action: String, millis: u128 },
    /// A value could not be encoded.
    #[error("cannot encode {what}: {source}")]
    Encode {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    /// A file-backed store could not read or write its file.
    #[error("offset file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file-backed store found a file it cannot parse.
    #[error("offset file {path} is corrupt: {reason}")]
    CorruptFile { path: PathBuf, reason: String },
    /// The store's background reader has stopped; nothing more can be read or written.
    #[error("store is closed")]
    Closed,
}

impl StoreError {
    pub(crate) fn kafka(context: impl Into<String>, source: KafkaError) -> Self {
        Self::Kafka {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn encode(what: impl Into<String>, source: serde_json::Error) -> Self {
        Self::Encode {
            what: what.into(),
            source,
        }
    }
}
