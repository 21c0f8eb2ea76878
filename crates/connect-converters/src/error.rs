//! The crate's own error: what goes wrong below the converter boundary, before it is reported to
//! the runtime as a [`connect_api::ConvertError`] with Kafka's wording.

/// A failure inside this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not JSON (the counterpart of Jackson's `JsonParseException`).
    #[error("{message} (line: {line}, column: {column})")]
    JsonSyntax {
        message: String,
        line: usize,
        column: usize,
    },
}
