//! Streaming: reads the binlog over the replication protocol and turns row events into change
//! events with the tracked schema, DDL into schema changes, and keeps the restart offset exact
//! (reference §5, §6).
//!
//! - `stream`: the replication connection, its reconnection and heartbeats;
//! - `events`: one event at a time, transaction boundaries, DDL and rows;
//! - `cursor`: the position the reader has reached, from which offsets are made;
//! - `decode`: row images into cells, binary JSON, ROTATE file names;
//! - `event_type`: the event type codes read by number.
//!
//! Beyond Debezium, MySQL 8 partial JSON updates (`binlog_row_value_options=PARTIAL_JSON`,
//! `PARTIAL_UPDATE_ROWS_EVENT`) are read: the after value of a partially updated JSON column is
//! rebuilt by applying the logged diffs to the document in the before image (module `jsondiff`),
//! which `binlog_row_image=FULL` (required anyway) always carries.

mod cursor;
mod decode;
mod event_type;
mod events;
mod stream;
#[cfg(test)]
mod tests;

pub(crate) use stream::stream;
