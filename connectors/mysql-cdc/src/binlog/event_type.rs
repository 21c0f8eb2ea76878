//! The binlog event type codes the reader looks at by number (`Log_event_type` in MySQL's
//! `libs/mysql/binlog/event/binlog_event.h`, `Log_event_type` in MariaDB's `sql/log_event.h`).
//! Most events are matched through mysql_common's decoded `EventData`; these are the ones read
//! before or without decoding, and MariaDB's, which mysql_common does not know.

/// `QUERY_EVENT`: a statement (BEGIN, COMMIT, DDL, or statement-format DML).
pub(crate) const QUERY_EVENT: u8 = 2;
/// `ROTATE_EVENT`: the next binlog file; the server sends a fake one when a stream starts.
pub(crate) const ROTATE_EVENT: u8 = 4;
/// `FORMAT_DESCRIPTION_EVENT`: the binlog's layout, first in every file and every stream.
pub(crate) const FORMAT_DESCRIPTION_EVENT: u8 = 15;
/// `HEARTBEAT_LOG_EVENT`: sent by the server while the binlog is idle
/// (`@master_heartbeat_period`); it has no timestamp.
pub(crate) const HEARTBEAT_LOG_EVENT: u8 = 27;
/// `UPDATE_ROWS_EVENT` (version 2, MySQL 5.6+): the before and after images of updated rows.
#[cfg(test)]
pub(crate) const UPDATE_ROWS_EVENT: u8 = 31;
/// `PARTIAL_UPDATE_ROWS_EVENT` (MySQL 8.0.16+): an update whose JSON columns may be diffs.
#[cfg(test)]
pub(crate) const PARTIAL_UPDATE_ROWS_EVENT: u8 = 39;
/// `TRANSACTION_PAYLOAD_EVENT` (MySQL 8.0.20+): a compressed transaction's events.
pub(crate) const TRANSACTION_PAYLOAD_EVENT: u8 = 40;
/// MariaDB's `ANNOTATE_ROWS_EVENT`: the statement behind the rows events that follow.
pub(crate) const MARIADB_ANNOTATE_ROWS_EVENT: u8 = 160;
/// MariaDB's `GTID_EVENT`: a transaction's GTID (domain, sequence) and flags.
pub(crate) const MARIADB_GTID_EVENT: u8 = 162;
