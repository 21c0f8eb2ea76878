//! Debezium-compatible MySQL/MariaDB change data capture source.
//!
//! This crate is the plugin behind `io.debezium.connector.mysql.MySqlConnector` (and
//! `io.debezium.connector.mariadb.MariaDbConnector`). It accepts Debezium's connector JSON
//! unchanged and writes what Debezium **2.2** writes (topics, key/value schemas, `source` block,
//! offsets, schema history), so every consumer downstream keeps working; with
//! `sluice.debezium.version=3.6` it writes what Debezium 3.6.3 writes instead, checked record by
//! record and offset by offset against the real connector (`tests/debezium_diff.rs`), and a
//! connector can move between a JVM worker running Debezium 3.6 and Sluice in either direction
//! on the same offsets and history (`tests/takeover_mysql.rs`). The plugin descriptor reports
//! version `2.2.0.Final`: clients that gate features on the Debezium version see the version
//! whose output they receive by default (the descriptor is per class, not per config; a 3.6-mode
//! connector's records say `3.6.3.Final` in `source.version`).
//!
//! # Rules kept from Debezium's sources
//! - Table structures in schema change and history records are described as Debezium's DDL
//!   parser describes them (`table::Column::history_view`): the declared type with its
//!   `UNSIGNED`/`ZEROFILL` suffix, `java.sql.Types` codes of `DataTypeResolver`, unquoted
//!   defaults, quoted ENUM/SET labels with lengths 1 and 2n−1, and a table without a charset
//!   taking its database's (`charsetForTable`). 2.2 and 3.6 differ in two rules only: which
//!   columns have an implicit NULL default, and `ON UPDATE` after `DEFAULT CURRENT_TIMESTAMP`.
//! - A binlog statement is dropped by `schema.history.internal.ddl.filter` (each version's
//!   default), else applied and recorded; one the parser makes no event of is recorded as a
//!   database-level change (`table` ""), as `parseDdl` does. So a 5.7-faced MariaDB's truncated
//!   dummy events (`# Dum`, sent to replicas that do not announce MariaDB's capabilities) are
//!   recorded in 3.6 mode, as Debezium 3.6.3 records them, and filtered in 2.2 mode, whose
//!   filter drops every comment; a real MySQL sends none, and on MariaDB the reader announces
//!   the capabilities, so it gets none either. `DROP TABLE` is recorded per table, with
//!   `DropTableParserListener`'s text.
//! - An event is handled with the time of the event before it (Debezium's binlog client calls
//!   the handler before the listener that records the time), and heartbeats are sent after an
//!   event once `heartbeat.interval.ms` has passed, the server being asked for its own heartbeat
//!   events every 0.8 × `connect.keep.alive.interval.ms`.
//! - Streaming offsets carry `TransactionContext.store`'s keys (2.2: `transaction_id` always,
//!   null outside a transaction; 3.6: only inside one), and a transaction's END record the
//!   offset from before its commit. Offsets are written in Java `HashMap` order by the offset
//!   store.
//! - An offset or a history record this connector cannot continue (an unknown key such as
//!   Debezium's `incremental_snapshot_*`, a blocking snapshot, a history record of an unknown
//!   layout) fails the task with a message naming it and how to recover.
//!
//! # Layout
//! - [`config`]: the `ConfigDef` (Debezium's property names and defaults) and the typed config.
//! - [`connector`]: the `SourceConnector` impls (one task: a binlog has a single reader).
//! - [`table`]: the tracked relational model; [`ddl`] keeps it current from DDL (sqlparser).
//! - [`convert`]: MySQL types → Connect schemas and values (reference §3).
//! - [`event`]: envelopes, the `source` block, schema-change events.
//! - [`history`]: the schema history store (trait, in-memory and Kafka impls) and its records.
//! - [`offset`]: Debezium's offset map and the restart rules.
//! - [`snapshot`] and [`binlog`]: the two readers. They decode; the emitter (module `emitter`)
//!   turns what they decode into records and owns the schema cache, DDL and history, and the
//!   transaction metadata state. [`task`] builds both and runs them behind `SourceTask`;
//!   connections are opened by module `connection`.
//! - [`gtid`]: GTID sets (MySQL and MariaDB forms) for offsets, restarts and the history.
//! - [`jsonout`]: records as the JSON converter writes them, for the golden tests.
//!
//! # Beyond Debezium
//! `snapshot.chunk.size` (default 0 = Debezium's single `SELECT` per table) reads tables with a
//! primary key in key-ordered chunks and records the last emitted key in each snapshot offset
//! (`snapshot_table`, `snapshot_key`); a restarted snapshot then continues after that row in a
//! new consistent read instead of starting over, and streaming starts at the original snapshot
//! position so changes made meanwhile are replayed on top (at-least-once, converging).
//!
//! `snapshot.max.threads` > 1 reads tables with a primary key with that many extra connections
//! in parallel, in key ranges of `snapshot.chunk.size` rows (8192 when unset): the main
//! connection walks the key index to each range's upper key (`LIMIT 1 OFFSET chunk-1`, no rows on
//! the wire) and hands ranges to the readers, whose results are emitted in range order, so
//! resuming works as above. All readers must see the snapshot's read view: under the global read
//! lock (`snapshot.locking.mode` minimal/extended) they open their transactions before it is
//! released; without the lock, on MariaDB, all transactions are opened at once and kept only
//! when their `binlog_snapshot_file/position` agree (else retried, then one connection). MySQL
//! without the lock reads with one connection. Progress (table, rows, rows/s, tables done) is
//! reported every 2 s and per table through `TaskHost::report_progress` (logged, and served at
//! `GET /connectors/{name}/tasks/{id}/progress`).
//!
//! On MariaDB the snapshot's binlog position is its read view's (`binlog_snapshot_*`, with
//! `BINLOG_GTID_POS`), not `SHOW MASTER STATUS`, so `snapshot.locking.mode=none` does not skip
//! the writes committed between opening the read and reading the position.
//!
//! # Known deviations from Debezium 2.2
//! - Restarts use the offset's file and position when that file is on the server. When it is
//!   not (a failover to another server of the cluster, or purged binlogs) and the offset has a
//!   GTID set the server can use (MariaDB; MySQL with `gtid_mode=ON`), the stream starts from the
//!   set (`@slave_connect_state` on MariaDB, `COM_BINLOG_DUMP_GTID` on MySQL) and history
//!   records are placed by GTID containment. Debezium prefers GTIDs whenever it has them;
//!   `gtid.source.includes/excludes` are not applied. Purged GTIDs fail the task
//!   (`snapshot.mode=when_needed` does not re-snapshot in that case).
//! - A DDL's offset (and its history record) includes the DDL's own GTID.
//! - `verify_ca` also checks the host name (mysql_async 0.37 with rustls 0.23.46; see
//!   `connection::ssl_opts`); the key store passwords are accepted and not used (PEM files).
//! - With MySQL GTIDs the restart position is the transaction's GTID event (Debezium: its
//!   `BEGIN`), so `event` counts one more event; Debezium-written offsets are read correctly.
//! - Binlog JSON is rendered by `serde_json` (keys sorted) rather than in binary-JSON key order.
//!   Opaque values inside JSON are written as Debezium's `JsonBinary` writes them (dates and
//!   times as strings, other types as base64), except that a DECIMAL inside a document keeps its
//!   value but not its scale's trailing zeros (`9.00` → `9.0`; serde_json runs without
//!   `arbitrary_precision`) and a negative TIME is written `-01:30:00` (Debezium garbles it).
//!   Doubles in a document are written as serde_json writes them: the same text as Debezium's
//!   `Double.toString` from 0.001 up to 10^7, but `10000000.0` and `1e-5` where `JsonBinary`
//!   writes the exact `new BigDecimal(double).toPlainString()` (`10000000`,
//!   `0.000010000000000000000818030539140313095458623138256371021270751953125`).
//! - Not implemented: incremental/blocking snapshots and signals,
//!   table-lock fallback when `FLUSH TABLES WITH READ LOCK` is refused, column masking/truncation,
//!   `column.propagate.source.type`, converters, `include.query` on MariaDB (needs annotate rows).
//! - TLS (`database.ssl.mode`, rustls): `database.ssl.truststore` and `database.ssl.keystore`
//!   are PEM files (CA certificates; the client's chain and key in one file), not Java key
//!   stores, which are refused at validation with the conversion to use.
//! - When the last captured table is empty, the last emitted snapshot row is still marked
//!   `last` (Debezium then marks none), so the snapshot's completion is always in an offset.
//! - Heartbeats inside a transaction are sent only at its first event (Debezium's may fall on
//!   any event of it, with an offset inside the transaction). After a restart inside a
//!   transaction with metadata, its per-table event orders start again from 1 (Debezium
//!   restores them from the offset).
//! - Not reproduced from the DDL parser: `CREATE UNIQUE INDEX` choosing a key for a table
//!   without one, and the per-clause statement texts of a multi-table `RENAME TABLE`.
//! - `MariaDbConnector` in 3.6 mode follows Debezium 3.6's MariaDB sources but was not compared
//!   with the real connector (the oracle's jars do not include debezium-connector-mariadb).

pub mod binlog;
pub mod config;
mod connection;
pub mod connector;
pub mod convert;
pub mod ddl;
mod emitter;
pub mod error;
pub mod event;
pub mod gtid;
pub mod history;
mod jsonb;
mod jsondiff;
pub mod jsonout;
pub mod offset;
pub mod snapshot;
pub mod table;
pub mod task;

pub use config::MySqlConfig;

pub use connector::{MariaDbConnector, MySqlConnector};
pub use error::CdcError;
pub use task::MySqlSourceTask;
