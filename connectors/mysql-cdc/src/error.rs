//! The crate's single error type.

use connect_api::ConnectError;

/// Everything that can go wrong while capturing changes.
///
/// Each variant knows whether Kafka Connect would retry it ([`CdcError::into_connect`]): a dropped
/// connection is retriable, a purged binlog or a damaged schema history is not, because retrying
/// cannot fix it and the operator has to act (the message says how).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CdcError {
    /// The database refused or lost the connection.
    #[error("{context}: {source}")]
    Database {
        context: String,
        #[source]
        source: mysql_async::Error,
        retriable: bool,
    },
    /// The server is not set up for CDC (binlog off, wrong format, missing grants).
    #[error("{0}")]
    ServerSetup(String),
    /// The stored binlog position no longer exists on the server.
    #[error(
        "The connector is trying to read binlog starting at {position}, but this is no longer available on the server. Reconfigure the connector to use a snapshot when needed (snapshot.mode=when_needed)."
    )]
    BinlogPurged { position: String },
    /// A DDL statement could not be parsed.
    #[error(
        "DDL statement couldn't be parsed ({reason}). Set schema.history.internal.skip.unparseable.ddl=true to skip it. Statement: {ddl}"
    )]
    UnparseableDdl { ddl: String, reason: String },
    /// The schema history is missing or unreadable while offsets exist.
    #[error(
        "The db history topic or its content is fully or partially missing ({0}). Please check database history topic configuration and re-execute the snapshot, or restart with snapshot.mode=recovery to rebuild it from the current table structures."
    )]
    HistoryMissing(String),
    /// The schema history store failed.
    #[error("schema history: {0}")]
    History(String),
    /// A schema history record Sluice cannot read: not Debezium's `HistoryRecord` layout as
    /// 2.x–3.6 write it (a newer Debezium's, or another program's).
    #[error(
        "The schema history holds a record this connector cannot read ({0}). It may have been written by a newer Debezium than 3.6. Nothing was skipped: to go on, restart with snapshot.mode=recovery to rebuild the history from the current table structures, or point schema.history.internal.kafka.topic at a new topic and take a new snapshot."
    )]
    HistoryUnreadable(String),
    /// A binlog event could not be decoded or does not match the tracked schema.
    #[error("{0}")]
    Decode(String),
    /// A stored offset is malformed.
    #[error(
        "invalid source offset: {0}. Nothing was skipped: stop the connector and correct or reset its offset (PATCH or DELETE /connectors/<name>/offsets; a reset takes a new snapshot)."
    )]
    Offset(String),
}

impl CdcError {
    pub(crate) fn db(context: impl Into<String>, source: mysql_async::Error) -> Self {
        // I/O failures and the server errors of a dropped or killed connection are transient;
        // access and SQL errors are not.
        let retriable = match &source {
            mysql_async::Error::Io(_) => true,
            mysql_async::Error::Server(s) => matches!(s.code, 1053 | 1927 | 2006 | 2013),
            mysql_async::Error::Driver(_) => true,
            _ => false,
        };
        Self::Database {
            context: context.into(),
            source,
            retriable,
        }
    }

    /// The Kafka Connect view of this error.
    pub fn into_connect(self) -> ConnectError {
        match self {
            Self::Database {
                retriable: true, ..
            } => {
                let msg = self.to_string();
                ConnectError::retriable_with(msg, self)
            }
            other => {
                let msg = other.to_string();
                ConnectError::fatal_with(msg, other)
            }
        }
    }
}

impl From<CdcError> for ConnectError {
    fn from(e: CdcError) -> Self {
        e.into_connect()
    }
}

pub(crate) type Result<T, E = CdcError> = std::result::Result<T, E>;
