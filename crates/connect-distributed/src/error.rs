//! The crate's error type.

/// Failures of the group protocol.
#[derive(Debug, thiserror::Error)]
pub enum DistributedError {
    /// Bytes that do not follow the Connect protocol or the Kafka wire format.
    #[error("{0}")]
    Protocol(String),
    /// A setting distributed mode cannot honour (an unsupported `security.protocol` or
    /// `sasl.mechanism`, an unreadable certificate, ...).
    #[error("distributed mode: {0}")]
    Config(String),
    /// The network: connecting, reading, writing, or a peer that closed the connection.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The TLS handshake or certificate verification failed.
    #[error("TLS with {broker}: {message}")]
    Tls { broker: String, message: String },
    /// SASL authentication was refused or could not be completed.
    #[error("SASL {mechanism} authentication with {broker} failed: {message}")]
    Authentication {
        mechanism: String,
        broker: String,
        message: String,
    },
    /// A broker answered a request with a Kafka error code.
    #[error("{api} failed: {name} ({code}){}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Kafka {
        api: &'static str,
        code: i16,
        name: String,
        message: Option<String>,
    },
    /// A request got no answer in time.
    #[error("{0} timed out")]
    Timeout(String),
    /// The broker supports no version of an API the member needs.
    #[error("the broker supports no usable version of {api} (it offers {min}..={max})")]
    UnsupportedVersion {
        api: &'static str,
        min: i16,
        max: i16,
    },
}
