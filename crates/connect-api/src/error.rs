//! Errors a plugin returns to the runtime.

use std::error::Error as StdError;

use crate::config::FieldErrors;

/// A boxed error for sources of [`ConnectError`].
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What a connector, task or converter reports to the runtime.
///
/// Mirrors Kafka Connect's exception hierarchy: `RetriableException` ([`ConnectError::Retriable`])
/// makes the runtime retry the same operation after a back-off; `ConnectException`
/// ([`ConnectError::Fatal`]) fails the task, whose status then carries [`ConnectError::trace`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The configuration is invalid; each error is attributed to a field.
    #[error("connector configuration is invalid: {0}")]
    Config(FieldErrors),
    /// A transient failure: the runtime retries the same call after a back-off.
    #[error("{context}")]
    Retriable {
        context: String,
        #[source]
        source: Option<BoxError>,
    },
    /// A permanent failure: the task or connector goes to FAILED.
    #[error("{context}")]
    Fatal {
        context: String,
        #[source]
        source: Option<BoxError>,
    },
    /// Data could not be converted.
    #[error(transparent)]
    Converter(#[from] ConvertError),
    /// A record does not fit what an operation expects (Kafka's `DataException`, thrown by
    /// transforms such as `ExtractField` on a value that is not a struct).
    #[error("{0}")]
    Data(String),
    /// The operation was interrupted because the task is stopping.
    #[error("task was stopped")]
    Stopped,
}

impl ConnectError {
    /// A fatal error with a message only.
    pub fn fatal(context: impl Into<String>) -> Self {
        Self::Fatal {
            context: context.into(),
            source: None,
        }
    }

    /// A fatal error caused by `source`.
    pub fn fatal_with(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Fatal {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// Kafka's `DataException`: the record does not fit the operation.
    pub fn data(message: impl Into<String>) -> Self {
        Self::Data(message.into())
    }

    /// A retriable error with a message only.
    pub fn retriable(context: impl Into<String>) -> Self {
        Self::Retriable {
            context: context.into(),
            source: None,
        }
    }

    /// A retriable error caused by `source`.
    pub fn retriable_with(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Retriable {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// Whether the runtime should retry the operation rather than fail the task.
    pub fn is_retriable(&self) -> bool {
        matches!(self, Self::Retriable { .. })
    }

    /// The Java class name Kafka Connect would report for this error; clients such as kcctl
    /// and Redpanda Console show it at the head of a FAILED status `trace`.
    pub fn java_class(&self) -> &'static str {
        match self {
            Self::Config(_) => "org.apache.kafka.common.config.ConfigException",
            Self::Retriable { .. } => "org.apache.kafka.connect.errors.RetriableException",
            Self::Fatal { .. } | Self::Stopped => {
                "org.apache.kafka.connect.errors.ConnectException"
            }
            Self::Converter(_) | Self::Data(_) => "org.apache.kafka.connect.errors.DataException",
        }
    }

    /// The status `trace` text: the error and its whole cause chain, laid out like Java's
    /// `printStackTrace()` (`Class: message`, then one `Caused by:` line per cause) so that tools
    /// which parse Kafka Connect traces keep working.
    pub fn trace(&self) -> String {
        let mut out = format!("{}: {}", self.java_class(), self);
        let mut cause = self.source();
        while let Some(c) = cause {
            out.push_str("\nCaused by: ");
            out.push_str(&c.to_string());
            cause = c.source();
        }
        out
    }
}

/// A failure to convert between bytes and Connect data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// The bytes could not be read as the converter's format.
    #[error("{message}")]
    Deserialize {
        message: String,
        #[source]
        source: Option<BoxError>,
    },
    /// The Connect data does not fit the schema or the format.
    #[error("{message}")]
    Serialize {
        message: String,
        #[source]
        source: Option<BoxError>,
    },
}

impl ConvertError {
    /// A deserialization failure.
    pub fn deserialize(message: impl Into<String>) -> Self {
        Self::Deserialize {
            message: message.into(),
            source: None,
        }
    }

    /// A serialization failure.
    pub fn serialize(message: impl Into<String>) -> Self {
        Self::Serialize {
            message: message.into(),
            source: None,
        }
    }
}
