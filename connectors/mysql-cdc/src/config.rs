//! The connector's configuration: Debezium 2.2's MySQL property names and defaults.
//!
//! Every property a Debezium user sets must be accepted unchanged, so names, defaults and the
//! accepted values are Debezium's (reference §8). Properties Debezium has but Sluice does not act
//! on yet are still declared, so that `/config/validate` lists them and their defaults.

use std::sync::LazyLock;

pub(crate) mod debezium36;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};
use connect_api::{ConnectorConfig, FieldErrors, ParsedConfig};
use regex::Regex;

/// Debezium's class for the Kafka-backed schema history.
pub const KAFKA_HISTORY_CLASS: &str = "io.debezium.storage.kafka.history.KafkaSchemaHistory";
/// Debezium's in-memory schema history (lost on restart; for tests).
pub const MEMORY_HISTORY_CLASS: &str = "io.debezium.relational.history.MemorySchemaHistory";

/// `snapshot.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    Initial,
    InitialOnly,
    WhenNeeded,
    /// `no_data` / `schema_only`: structures only, then stream from the current position.
    NoData,
    /// `recovery` / `schema_only_recovery`: rebuild the history, keep the stored offset.
    Recovery,
    Never,
}

impl SnapshotMode {
    const ALLOWED: &'static [&'static str] = &[
        "initial",
        "initial_only",
        "when_needed",
        "no_data",
        "schema_only",
        "recovery",
        "schema_only_recovery",
        "never",
    ];

    fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "initial_only" => Self::InitialOnly,
            "when_needed" => Self::WhenNeeded,
            "no_data" | "schema_only" => Self::NoData,
            "recovery" | "schema_only_recovery" => Self::Recovery,
            "never" => Self::Never,
            _ => Self::Initial,
        }
    }
}

/// `event.processing.failure.handling.mode`: what to do with a row that cannot be converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureMode {
    Fail,
    Warn,
    Skip,
}

/// `database.ssl.mode`, MySQL's client modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never encrypt.
    Disabled,
    /// Encrypt when the server offers TLS, without verifying its certificate.
    Preferred,
    /// Encrypt or fail, without verifying the certificate.
    Required,
    /// Encrypt and verify the certificate's CA, not its host name.
    VerifyCa,
    /// Encrypt and verify the CA and that the certificate names `database.hostname`.
    VerifyIdentity,
}

/// `snapshot.locking.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockingMode {
    Minimal,
    Extended,
    None,
}

/// `decimal.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalMode {
    Precise,
    Double,
    String,
}

/// `bigint.unsigned.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BigintUnsignedMode {
    Long,
    Precise,
}

/// `time.precision.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePrecisionMode {
    AdaptiveTimeMicroseconds,
    Connect,
}

/// `binary.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryMode {
    Bytes,
    Base64,
    Base64UrlSafe,
    Hex,
}

/// Where the schema history lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryStore {
    Kafka {
        bootstrap_servers: String,
        topic: String,
    },
    Memory,
}

/// The value converters' settings, shared by the snapshot and the binlog reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueModes {
    pub decimal: DecimalMode,
    pub bigint_unsigned: BigintUnsignedMode,
    pub time_precision: TimePrecisionMode,
    pub binary: BinaryMode,
}

impl Default for ValueModes {
    fn default() -> Self {
        Self {
            decimal: DecimalMode::Precise,
            bigint_unsigned: BigintUnsignedMode::Long,
            time_precision: TimePrecisionMode::AdaptiveTimeMicroseconds,
            binary: BinaryMode::Bytes,
        }
    }
}

/// Anchored, case-insensitive include/exclude patterns, as Debezium's `Selectors` build them.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    include: Vec<Regex>,
    exclude: Vec<Regex>,
}

impl Filter {
    fn new(include: &[String], exclude: &[String]) -> Result<Self, String> {
        let compile = |list: &[String]| -> Result<Vec<Regex>, String> {
            list.iter()
                .filter(|p| !p.is_empty())
                .map(|p| {
                    Regex::new(&format!("(?i)^(?:{p})$"))
                        .map_err(|e| format!("invalid regular expression {p}: {e}"))
                })
                .collect()
        };
        Ok(Self {
            include: compile(include)?,
            exclude: compile(exclude)?,
        })
    }

    /// Whether `name` is captured.
    pub fn matches(&self, name: &str) -> bool {
        if !self.include.is_empty() {
            return self.include.iter().any(|r| r.is_match(name));
        }
        !self.exclude.iter().any(|r| r.is_match(name))
    }
}

/// The typed configuration of the connector and its (single) task.
#[derive(Debug, Clone)]
pub struct MySqlConfig {
    pub hostname: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub server_id: u32,
    pub topic_prefix: String,
    pub databases: Filter,
    pub tables: Filter,
    /// Matched against `<db>.<table>.<column>`; excluded columns leave the value, not the key.
    pub columns: Filter,
    /// `message.key.columns`: (table pattern, key columns).
    pub key_columns: Vec<(Regex, Vec<String>)>,
    pub ignore_builtin: bool,
    pub tombstones_on_delete: bool,
    pub include_schema_changes: bool,
    pub include_query: bool,
    pub provide_transaction_metadata: bool,
    /// Operations (`c`, `u`, `d`, `t`) that are not emitted.
    pub skipped_operations: Vec<String>,
    pub modes: ValueModes,
    /// `sluice.debezium.version`: whose output layout the records take.
    pub layout: crate::event::Layout,
    pub failure_mode: FailureMode,
    pub snapshot_mode: SnapshotMode,
    pub locking_mode: LockingMode,
    pub snapshot_lock_timeout_ms: i64,
    /// `snapshot.chunk.size` (0 = off); see [`MySqlConfig::snapshot_chunk`].
    pub snapshot_chunk_size: usize,
    /// `snapshot.max.threads`: connections reading snapshot chunks in parallel.
    pub snapshot_max_threads: usize,
    /// `snapshot.include.collection.list`.
    pub snapshot_tables: Filter,
    /// `snapshot.select.statement.overrides`: `db.table` → the SELECT to run instead of `SELECT *`.
    pub snapshot_selects: Vec<(String, String)>,
    pub max_batch_size: usize,
    pub max_queue_size: usize,
    /// `max.queue.size.in.bytes`: the approximate bytes of queued records at which the reader
    /// waits; 0 (Debezium's default) bounds the queue by records only.
    pub max_queue_size_in_bytes: u64,
    pub poll_interval_ms: u64,
    pub heartbeat_interval_ms: u64,
    /// `connect.keep.alive.interval.ms` (Debezium's default 60000): the binlog connection asks
    /// the server for heartbeat events every 0.8 of it.
    pub keep_alive_interval_ms: u64,
    /// `connection.validation.timeout.ms` (Debezium's default 60000): how long validate's
    /// connection test may take.
    pub connection_validation_timeout_ms: u64,
    pub connect_timeout_ms: u64,
    /// `database.ssl.mode`.
    pub ssl_mode: SslMode,
    /// `database.ssl.truststore`: CA certificates (PEM) that verify the server.
    pub ssl_truststore: Option<std::path::PathBuf>,
    /// `database.ssl.keystore`: the client's certificate chain and private key (PEM).
    pub ssl_keystore: Option<std::path::PathBuf>,
    /// `database.initial.statements`, split on `;` (`;;` stands for a literal `;`).
    pub initial_statements: Vec<String>,
    pub history: HistoryStore,
    pub skip_unparseable_ddl: bool,
    pub store_only_captured_tables_ddl: bool,
    /// `schema.history.internal.ddl.filter`: binlog statements that are neither applied nor
    /// recorded (whole-text, case-insensitive matches).
    pub ddl_filter: Vec<Regex>,
    /// Every raw property, handed to the task unchanged (as Debezium's task configs are).
    pub originals: connect_api::Props,
}

const BUILTIN_DATABASES: &[&str] = &["mysql", "sys", "performance_schema", "information_schema"];

/// The key-range size of a parallel snapshot when `snapshot.chunk.size` is not set: big enough
/// that a range query's overhead is small, small enough that `threads` ranges in memory stay a
/// few MB per thread with typical rows.
pub const PARALLEL_SNAPSHOT_CHUNK: usize = 8192;

/// Debezium 2.2's default `schema.history.internal.ddl.filter` (debezium-core
/// `io.debezium.relational.history.SchemaHistory.DDL_FILTER`): RDS housekeeping, `FLUSH RELAY
/// LOGS`, savepoints and every comment-only statement.
const DDL_FILTER_22: &str = r"DROP TEMPORARY TABLE IF EXISTS .+ /\* generated by server \*/,INSERT INTO mysql.rds_heartbeat2\(.*\) values \(.*\) ON DUPLICATE KEY UPDATE value = .*,DELETE FROM mysql.rds_sysinfo.*,INSERT INTO mysql.rds_sysinfo\(.*\) values \(.*\),INSERT INTO mysql.rds_monitor\(.*\) values \(.*\) ON DUPLICATE KEY UPDATE value = .*,INSERT INTO mysql.rds_monitor\(.*\) values \(.*\),DELETE FROM mysql.rds_monitor.*,FLUSH RELAY LOGS.*,flush relay logs.*,SAVEPOINT .*,^\s*#.*";

/// Debezium 3.6.3's (debezium-connector-common `SchemaHistory.DDL_FILTER`, as the 3.6.3 jar
/// carries it): only comments starting `# Dummy event` (DBZ-6840), so a dummy event the server
/// truncated (`# Dum`) is recorded; account, routine, view and maintenance statements are
/// filtered.
const DDL_FILTER_36: &str = r"DROP TEMPORARY TABLE IF EXISTS .+ /\* generated by server \*/,(SET STATEMENT .*)?INSERT INTO (mysql\.)?rds_heartbeat2\(.*\) values \(.*\) ON DUPLICATE KEY UPDATE value = .*,(SET STATEMENT .*)?DELETE FROM (mysql\.)?rds_sysinfo.*,(SET STATEMENT .*)?INSERT INTO (mysql\.)?rds_sysinfo\(.*\) values \(.*\),(SET STATEMENT .*)?INSERT INTO (mysql\.)?rds_monitor\(.*\) values \(.*\) ON DUPLICATE KEY UPDATE value = .*,(SET STATEMENT .*)?INSERT INTO (mysql\.)?rds_monitor\(.*\) values \(.*\),(SET STATEMENT .*)?DELETE FROM (mysql\.)?rds_monitor.*,FLUSH RELAY LOGS.*,flush relay logs.*,SAVEPOINT .*,^\s*#\s*Dummy event.*,(SET STATEMENT .*)?TRUNCATE TABLE .*,(SET STATEMENT .*)?REPLACE INTO .*,^(?:SET STATEMENT\s+.*?FOR\s+)?(?:GRANT|REVOKE)\s+.*,^(?:SET STATEMENT\s+.*?FOR\s+)?(?:ANALYZE|OPTIMIZE|REPAIR)\s+(?:NO_WRITE_TO_BINLOG\s+|LOCAL\s+)?TABLE\s+.*,^(?:SET STATEMENT\s+.*?FOR\s+)?(CREATE|ALTER|DROP)\s+(?:OR\s+REPLACE\s+)?(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(USER|ROLE)\b.*,^(?:SET STATEMENT\s+.*?FOR\s+)?(CREATE|ALTER|DROP)\s+(?:OR\s+REPLACE\s+)?(?:ALGORITHM\s*=\s*[^\s]+\s+)?(?:DEFINER\s*=\s*[^\s]+\s+)?(?:SQL\s+SECURITY\s+[^\s]+\s+)?(VIEW|FUNCTION|PROCEDURE|TRIGGER)\s+.*";

/// The DDL filter's patterns: `configured` or `layout`'s default, split as Debezium's
/// `Strings.setOfRegex` splits (at commas not escaped with a backslash), each compiled
/// case-insensitive with `.` matching newlines and matched against the whole statement
/// (`Predicates.includes(…, CASE_INSENSITIVE | DOTALL)`, `Matcher.matches`). A pattern the
/// `regex` crate cannot compile is left out with a warning.
fn ddl_filter(configured: Option<&str>, layout: crate::event::Layout) -> Vec<Regex> {
    let text = configured.unwrap_or(if layout.is_3x() {
        DDL_FILTER_36
    } else {
        DDL_FILTER_22
    });
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&',') {
            cur.push(',');
            chars.next();
        } else if c == ',' {
            items.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    items.push(cur);
    items
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            regex::RegexBuilder::new(&format!("^(?:{p})$"))
                .case_insensitive(true)
                .dot_matches_new_line(true)
                .build()
                .map_err(
                    |e| tracing::warn!(pattern = %p, error = %e, "ignoring a DDL filter pattern"),
                )
                .ok()
        })
        .collect()
}

impl MySqlConfig {
    /// Whether the DDL filter drops `sql` (a binlog statement, trimmed).
    pub fn ddl_filtered(&self, sql: &str) -> bool {
        self.ddl_filter.iter().any(|r| r.is_match(sql))
    }

    /// The snapshot's key-range size in rows, 0 for Debezium's one `SELECT` per table.
    pub fn snapshot_chunk(&self) -> usize {
        if self.snapshot_chunk_size > 0 {
            self.snapshot_chunk_size
        } else if self.snapshot_max_threads > 1 {
            PARALLEL_SNAPSHOT_CHUNK
        } else {
            0
        }
    }

    /// Whether `db` is captured.
    pub fn database_captured(&self, db: &str) -> bool {
        if self.ignore_builtin && BUILTIN_DATABASES.iter().any(|b| b.eq_ignore_ascii_case(db)) {
            return false;
        }
        self.databases.matches(db)
    }

    /// Whether `db.table` is captured.
    pub fn table_captured(&self, db: &str, table: &str) -> bool {
        self.database_captured(db) && self.tables.matches(&format!("{db}.{table}"))
    }

    /// The `message.key.columns` override for `db.table`, if any.
    pub fn key_override(&self, db: &str, table: &str) -> Option<&[String]> {
        let name = format!("{db}.{table}");
        self.key_columns
            .iter()
            .find(|(r, _)| r.is_match(&name))
            .map(|(_, c)| c.as_slice())
    }

    /// Whether operation `op` is emitted (`skipped.operations` names ops by their code).
    pub fn emits(&self, op: crate::event::Op) -> bool {
        !self.skipped_operations.iter().any(|s| s == op.code())
    }
}

fn key(name: &str, ty: ConfigType, importance: Importance, doc: &str) -> ConfigKey {
    ConfigKey::new(name, ty, importance, doc)
}

static DEF: LazyLock<ConfigDef> = LazyLock::new(|| debezium36::regrouped(&DEF_22));

/// Debezium 2.2's keys as Sluice declares them; [`DEF`] puts them in Debezium's groups.
static DEF_22: LazyLock<ConfigDef> = LazyLock::new(|| {
    use ConfigType::{Boolean, Int, List, Long, Password, String as Str};
    use Importance::{High, Low, Medium};
    ConfigDef::builder()
        .group("Connection")
        .define(key("database.hostname", Str, High, "Resolvable hostname or IP address of the database server.").required())
        .define(key("database.port", Int, High, "Port of the database server.").default("3306").validator(Validator::between(1.0, 65535.0)))
        .define(key("database.user", Str, High, "Name of the database user to be used when connecting to the database.").required())
        .define(key("database.password", Password, High, "Password of the database user to be used when connecting to the database."))
        .define(key("database.server.id", Long, Low, "A numeric ID of this database client, which must be unique across all currently-running database processes in the cluster. This connector joins the MySQL database cluster as another server (with this unique ID) so it can read the binlog.").required().validator(Validator::between(1.0, 4_294_967_295.0)))
        .define(key("topic.prefix", Str, High, "Topic prefix that identifies and provides a namespace for the particular database server/cluster is capturing changes. The topic prefix should be unique across all other connectors, since it is used as a prefix for all Kafka topic names that receive events emitted by this connector. Only alphanumeric characters, hyphens, dots and underscores must be accepted.").required().validator(Validator::custom(|v| match v {
            connect_api::config::ConfigValue::String(s) if s.is_empty() => Err("String must be non-empty".to_owned()),
            connect_api::config::ConfigValue::String(s) if !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) => Err("Topic prefix can only contain alphanumeric characters, dots, hyphens and underscores".to_owned()),
            _ => Ok(()),
        })))
        .define(key("database.ssl.truststore", Str, Low, "CA certificates that verify the server's certificate (verify_ca, verify_identity). Sluice reads a PEM file where Debezium reads a Java truststore; without it the system's roots are used.").default(""))
        .define(key("database.ssl.truststore.password", Password, Low, "The truststore's password (not needed for PEM files).").default(""))
        .define(key("database.ssl.keystore", Str, Low, "The client's certificate chain and private key, for servers that require client certificates. Sluice reads one PEM file holding both where Debezium reads a Java keystore.").default(""))
        .define(key("database.ssl.keystore.password", Password, Low, "The keystore's password (not needed for unencrypted PEM keys).").default(""))
        .define(key("database.ssl.mode", Str, Medium, "Whether to use an encrypted connection to the database: 'disabled', 'preferred', 'required', 'verify_ca' or 'verify_identity'.").default("preferred").validator(Validator::OneOfIgnoreCase(&["disabled", "preferred", "required", "verify_ca", "verify_identity"])))
        .define(key("database.initial.statements", Str, Low, "A semicolon separated list of SQL statements to be executed when a connection to the database is established."))
        .define(key("connect.timeout.ms", Long, Medium, "Maximum time to wait after trying to connect to the database before timing out, given in milliseconds.").default("30000").validator(Validator::at_least(1.0)))
        .group("Filters")
        .define(key("database.include.list", List, High, "The databases for which changes are to be captured (comma-separated regular expressions).").default(""))
        .define(key("database.exclude.list", List, High, "A comma-separated list of regular expressions that match database names to be excluded from monitoring.").default(""))
        .define(key("table.include.list", List, High, "The tables for which changes are to be captured (regular expressions matched against <db>.<table>).").default(""))
        .define(key("table.exclude.list", List, High, "A comma-separated list of regular expressions that match the fully-qualified names of tables to be excluded from monitoring.").default(""))
        .define(key("column.include.list", List, Medium, "Regular expressions matching columns to include in change events (fully-qualified <db>.<table>.<column>).").default(""))
        .define(key("column.exclude.list", List, Medium, "Regular expressions matching columns to exclude from change events (fully-qualified <db>.<table>.<column>).").default(""))
        .define(key("message.key.columns", Str, Low, "A semicolon-separated list of expressions that match fully-qualified tables and column(s) to be used as message key, e.g. inventory.customers:pk1,pk2;(.*).purchaseorders:pk3,pk4"))
        .define(key("table.ignore.builtin", Boolean, Low, "Flag specifying whether built-in tables should be ignored.").default("true"))
        .group("Events")
        .define(key("tombstones.on.delete", Boolean, Medium, "Whether delete operations should be represented by a delete event and a subsequent tombstone event (true) or only by a delete event (false).").default("true"))
        .define(key("include.schema.changes", Boolean, Medium, "Whether the connector should publish changes in the database schema to a Kafka topic with the same name as the database server ID.").default("true"))
        .define(key("include.query", Boolean, Medium, "Whether the connector should include the original SQL query that generated the change event.").default("false"))
        .define(key("skipped.operations", List, Low, "The comma-separated list of operations to skip during streaming, defined as: 'c' for inserts/create; 'u' for updates; 'd' for deletes, 't' for truncates, and 'none' to indicate nothing skipped.").default("t").validator(Validator::ListOf(&["c", "u", "d", "t", "none"])))
        .define(key("decimal.handling.mode", Str, Medium, "Specify how DECIMAL and NUMERIC columns should be represented in change events: 'precise', 'string' or 'double'.").default("precise").validator(Validator::OneOfIgnoreCase(&["precise", "string", "double"])))
        .define(key("bigint.unsigned.handling.mode", Str, Medium, "Specify how BIGINT UNSIGNED columns should be represented in change events: 'long' or 'precise'.").default("long").validator(Validator::OneOfIgnoreCase(&["long", "precise"])))
        .define(key("time.precision.mode", Str, Medium, "Time, date and timestamps can be represented with different kinds of precisions: 'adaptive_time_microseconds' or 'connect'.").default("adaptive_time_microseconds").validator(Validator::OneOfIgnoreCase(&["adaptive_time_microseconds", "connect"])))
        .define(key("binary.handling.mode", Str, Low, "Specify how binary (blob, binary, etc.) columns should be represented in change events: 'bytes', 'base64', 'base64-url-safe' or 'hex'.").default("bytes").validator(Validator::OneOfIgnoreCase(&["bytes", "base64", "base64-url-safe", "hex"])))
        .define(key("event.processing.failure.handling.mode", Str, Medium, "Specify how failures during processing of events should be handled: 'fail', 'warn' or 'skip'.").default("fail").validator(Validator::OneOfIgnoreCase(&["fail", "warn", "skip"])))
        .define(key("sluice.debezium.version", Str, Medium, "Sluice extension: whose change-event layout to write. '2.2' (default): Debezium 2.2's, as the article's images. '3.6': Debezium 3.6.3's (ts_us/ts_ns in the envelope and source block, envelope version 2, the first_in_data_collection/last_in_data_collection snapshot markers, the __debezium.context.* headers); source.version then says 3.6.3.Final.").default("2.2").validator(Validator::OneOfIgnoreCase(crate::event::Layout::ALLOWED)))
        .define(key("provide.transaction.metadata", Boolean, Low, "Enables transaction metadata extraction together with event counting.").default("false"))
        .group("Snapshot")
        .define(key("snapshot.mode", Str, Low, "The criteria for running a snapshot upon startup of the connector: 'initial', 'initial_only', 'when_needed', 'schema_only' (no_data), 'schema_only_recovery' (recovery) or 'never'.").default("initial").validator(Validator::OneOfIgnoreCase(SnapshotMode::ALLOWED)))
        .define(key("snapshot.locking.mode", Str, Low, "Controls how long the connector holds onto the global read lock while it is performing a snapshot: 'minimal', 'extended' or 'none'.").default("minimal").validator(Validator::OneOfIgnoreCase(&["minimal", "extended", "none"])))
        .define(key("snapshot.lock.timeout.ms", Long, Medium, "The maximum number of millis to wait for table locks at the beginning of a snapshot.").default("10000"))
        .define(key("snapshot.include.collection.list", List, Medium, "Regular expressions matching the fully-qualified names of tables (<db>.<table>) whose data the snapshot reads; defaults to all captured tables.").default(""))
        .define(key("snapshot.select.statement.overrides", List, Medium, "Tables (<db>.<table>) whose snapshot SELECT is given by the property snapshot.select.statement.overrides.<db>.<table>.").default(""))
        .define(key("snapshot.chunk.size", Int, Low, "Sluice extension: read each table with a primary key in chunks of this many rows (ordered by the key), recording the last key in the offsets so that a restarted snapshot resumes after it instead of starting over. 0 (default) reads each table with one SELECT, as Debezium does.").default("0").validator(Validator::at_least(0.0)))
        .define(key("snapshot.max.threads", Int, Medium, "The number of connections that read snapshot rows in parallel. Above 1, tables with a primary key are read in key ranges of snapshot.chunk.size rows (8192 when that is 0), all inside the same consistent read, and emitted in key order.").default("1").validator(Validator::at_least(1.0)))
        .define(key("snapshot.fetch.size", Int, Medium, "The maximum number of records that should be loaded into memory while performing a snapshot."))
        .group("Connector")
        .define(key("max.batch.size", Int, Medium, "Maximum size of each batch of source records.").default("2048").validator(Validator::at_least(1.0)))
        .define(key("max.queue.size", Int, Medium, "Maximum size of the queue for change events read from the database log but not yet recorded or forwarded.").default("8192").validator(Validator::at_least(1.0)))
        .define(key("max.queue.size.in.bytes", Long, Medium, "Maximum size of the queue in bytes for change events read from the database log but not yet recorded or forwarded. Defaults to 0. Mean the feature is not enabled").default("0").validator(Validator::at_least(0.0)))
        .define(key("poll.interval.ms", Long, Medium, "Time to wait for new change events to appear after receiving no events, given in milliseconds.").default("500").validator(Validator::at_least(0.0)))
        .define(key("heartbeat.interval.ms", Int, Medium, "Length of an interval in milli-seconds in in which the connector periodically sends heartbeat messages to a heartbeat topic. Use 0 to disable heartbeat messages.").default("0").validator(Validator::at_least(0.0)))
        .group("History Storage")
        .define(key("schema.history.internal", ConfigType::Class, Low, "The name of the SchemaHistory class that should be used to store and recover database schema changes.").default(KAFKA_HISTORY_CLASS).validator(Validator::custom(|v| match v {
            connect_api::config::ConfigValue::Class(c) if c != KAFKA_HISTORY_CLASS && c != MEMORY_HISTORY_CLASS => Err(format!("Sluice supports {KAFKA_HISTORY_CLASS} and {MEMORY_HISTORY_CLASS}")),
            _ => Ok(()),
        })))
        .define(key("schema.history.internal.kafka.bootstrap.servers", Str, High, "A list of host/port pairs that the connector will use for establishing the initial connection to the Kafka cluster for retrieving database schema history previously stored by the connector."))
        .define(key("schema.history.internal.kafka.topic", Str, High, "The name of the topic for the database schema history."))
        .define(key("schema.history.internal.skip.unparseable.ddl", Boolean, Low, "Controls the action Debezium will take when it meets a DDL statement it cannot parse. By default the connector will stop operating but by changing the setting it can ignore the statements which it cannot parse.").default("false"))
        .define(key("schema.history.internal.store.only.captured.tables.ddl", Boolean, Low, "Controls what DDL will Debezium store in database schema history. By default (false) Debezium will store all incoming DDL statements.").default("false"))
        .build()
});

/// Debezium 3.6.3's definition (`sluice.debezium.version=3.6`), with the keys Sluice reads
/// beyond it.
static DEF36: LazyLock<ConfigDef> = LazyLock::new(|| debezium36::definition(&DEF));

/// The layout `props` select (`sluice.debezium.version`, 2.2 when unset).
pub(crate) fn layout_of(props: &connect_api::Props) -> crate::event::Layout {
    props
        .get("sluice.debezium.version")
        .map(|v| crate::event::Layout::parse(v.trim()))
        .unwrap_or_default()
}

/// Whether `props` select Debezium 3.6's layout (and so its definition).
pub(crate) fn is_v36(props: &connect_api::Props) -> bool {
    layout_of(props).is_3x()
}

/// Debezium keys Sluice reads that its 2.2-era definition does not declare (Debezium 2.2's
/// configuration lists neither): millisecond settings, 60000 by default.
const READ_OUTSIDE_DEF: &[&str] = &[
    "connect.keep.alive.interval.ms",
    "connection.validation.timeout.ms",
];

fn read_outside_def(originals: &connect_api::Props, key: &str) -> u64 {
    debug_assert!(READ_OUTSIDE_DEF.contains(&key));
    originals
        .get(key)
        .and_then(|v| connect_api::java::trim(v).parse().ok())
        .unwrap_or(60_000)
}

/// Values of Debezium 3.6 keys Sluice reads that it does not implement: refused (never run as
/// another mode).
const UNIMPLEMENTED_36_VALUES: &[(&str, &[&str])] = &[
    (
        "snapshot.mode",
        &["always", "configuration_based", "custom"],
    ),
    (
        "time.precision.mode",
        &["adaptive", "isostring", "microseconds", "nanoseconds"],
    ),
    ("event.processing.failure.handling.mode", &["ignore"]),
    (
        "snapshot.locking.mode",
        &[
            "minimal_percona",
            "minimal_percona_no_table_locks",
            "custom",
        ],
    ),
];

/// In 3.6 mode, the Debezium 3.6 keys Sluice does not read, set to anything but their default,
/// and values of keys it reads that it does not implement, are refused on their key.
fn refuse_unimplemented_36(originals: &connect_api::Props, errors: &mut FieldErrors) {
    for (key, value) in originals {
        let value = connect_api::java::trim(value);
        let Some(e) = debezium36::TABLE.keys.iter().find(|e| e.name == *key) else {
            continue;
        };
        let reason = if DEF.key(key).is_some() || READ_OUTSIDE_DEF.contains(&key.as_str()) {
            UNIMPLEMENTED_36_VALUES
                .iter()
                .find(|(k, vals)| *k == key && vals.contains(&value.to_lowercase().as_str()))
                .map(|_| format!("the value {value} is not implemented"))
        } else if value.is_empty()
            || e.default
                .as_deref()
                .is_some_and(|d| d.trim().eq_ignore_ascii_case(value))
            || UNIMPLEMENTED.iter().any(|(k, _)| {
                if k.ends_with('.') {
                    key.starts_with(k)
                } else {
                    key == k
                }
            })
            || (key == "signal.enabled.channels" && value == "source")
        {
            None
        } else {
            Some("Sluice does not implement this Debezium 3.6 setting".to_owned())
        };
        if let Some(reason) = reason {
            errors.push(
                key.clone(),
                format!("The '{key}' value is invalid: Sluice's MySQL source does not support it: {reason}. Remove the setting."),
            );
        }
    }
}

/// Debezium features this reader does not implement, by key prefix (or whole key), and what a
/// connector asking for them would get instead. A non-empty value is refused on its key: running
/// without the feature would silently emit unmasked or untruncated columns, miss signals, or
/// ignore custom converters. The check is part of parsing, so it runs at validation and again
/// when a connector or task read back from the config topic starts.
const UNIMPLEMENTED: &[(&str, &str)] = &[
    (
        "column.mask.",
        "column masking is not implemented; the column would be emitted unmasked",
    ),
    (
        "column.truncate.",
        "column truncation is not implemented; the column would be emitted whole",
    ),
    (
        "column.propagate.source.type",
        "source type parameters (__debezium.source.column.type …) are not added to schemas",
    ),
    (
        "datatype.propagate.source.type",
        "source type parameters (__debezium.source.column.type …) are not added to schemas",
    ),
    (
        "converters",
        "custom converters (CustomConverter) are not supported; columns are converted by the built-in rules",
    ),
    (
        "signal.",
        "signals (and the incremental and blocking snapshots they start) are not implemented",
    ),
];

fn refuse_unimplemented(originals: &connect_api::Props, errors: &mut FieldErrors) {
    for (key, value) in originals {
        let value = connect_api::java::trim(value);
        // `source` is the default channel list; with no `signal.data.collection` it reads
        // nothing, in Debezium too.
        if value.is_empty() || (key == "signal.enabled.channels" && value == "source") {
            continue;
        }
        let reason = UNIMPLEMENTED.iter().find_map(|(k, reason)| {
            let hit = if k.ends_with('.') {
                key.starts_with(k)
            } else {
                key == k
            };
            hit.then_some(*reason)
        });
        if let Some(reason) = reason {
            errors.push(
                key.clone(),
                format!("The '{key}' value is invalid: Sluice's MySQL source does not support it: {reason}. Remove the setting."),
            );
        }
    }
}

impl ConnectorConfig for MySqlConfig {
    fn config_def() -> &'static ConfigDef {
        &DEF
    }

    fn config_def_for(props: &connect_api::Props) -> &'static ConfigDef {
        if is_v36(props) { &DEF36 } else { &DEF }
    }

    fn from_parsed(p: &ParsedConfig) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        refuse_unimplemented(p.originals(), &mut errors);
        let v36 = is_v36(p.originals());
        if v36 {
            refuse_unimplemented_36(p.originals(), &mut errors);
        }
        let lower = |k: &str| p.string(k).to_ascii_lowercase();
        for (inc, exc) in [
            ("database.include.list", "database.exclude.list"),
            ("table.include.list", "table.exclude.list"),
        ] {
            if !p.list(inc).is_empty() && !p.list(exc).is_empty() {
                errors.push(exc, format!("\"{inc}\" is already specified"));
            }
        }
        let databases = Filter::new(
            p.list("database.include.list"),
            p.list("database.exclude.list"),
        )
        .unwrap_or_else(|e| {
            errors.push("database.include.list", e);
            Filter::default()
        });
        let tables = Filter::new(p.list("table.include.list"), p.list("table.exclude.list"))
            .unwrap_or_else(|e| {
                errors.push("table.include.list", e);
                Filter::default()
            });
        if !p.list("column.include.list").is_empty() && !p.list("column.exclude.list").is_empty() {
            errors.push(
                "column.exclude.list",
                "\"column.include.list\" is already specified",
            );
        }
        let columns = Filter::new(p.list("column.include.list"), p.list("column.exclude.list"))
            .unwrap_or_else(|e| {
                errors.push("column.include.list", e);
                Filter::default()
            });
        let mut key_columns = Vec::new();
        for entry in p
            .string("message.key.columns")
            .split(';')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            match entry.rsplit_once(':') {
                Some((table, cols)) if !cols.trim().is_empty() => {
                    match Regex::new(&format!("(?i)^(?:{table})$")) {
                        Ok(r) => key_columns
                            .push((r, cols.split(',').map(|c| c.trim().to_owned()).collect())),
                        Err(e) => errors.push(
                            "message.key.columns",
                            format!("invalid regular expression {table}: {e}"),
                        ),
                    }
                }
                _ => errors.push(
                    "message.key.columns",
                    format!("\"{entry}\" is not of the form <table>:<column>[,<column>…]"),
                ),
            }
        }
        let ssl_mode = match lower("database.ssl.mode").as_str() {
            "disabled" => SslMode::Disabled,
            "required" => SslMode::Required,
            "verify_ca" => SslMode::VerifyCa,
            "verify_identity" => SslMode::VerifyIdentity,
            _ => SslMode::Preferred,
        };
        let pem_file = |key: &str, errors: &mut FieldErrors| -> Option<std::path::PathBuf> {
            let path = p.string(key).trim().to_owned();
            if path.is_empty() {
                return None;
            }
            match std::fs::read(&path) {
                // 0xFEEDFEED: a Java KeyStore, which only the JVM reads.
                Ok(b) if b.starts_with(&[0xfe, 0xed, 0xfe, 0xed]) => errors.push(
                    key,
                    format!("{path} is a Java KeyStore (JKS); give a PEM file instead (keytool -exportcert -rfc for certificates; openssl pkcs12 for a key)"),
                ),
                Ok(b) if !b.starts_with(b"-----BEGIN") && !String::from_utf8_lossy(&b).contains("-----BEGIN ") => errors.push(
                    key,
                    format!("{path} is not a PEM file (-----BEGIN …-----)"),
                ),
                Ok(_) => return Some(path.into()),
                Err(e) => errors.push(key, format!("cannot read {path}: {e}")),
            }
            None
        };
        let ssl_truststore = pem_file("database.ssl.truststore", &mut errors);
        let ssl_keystore = pem_file("database.ssl.keystore", &mut errors);
        let snapshot_tables = Filter::new(p.list("snapshot.include.collection.list"), &[])
            .unwrap_or_else(|e| {
                errors.push("snapshot.include.collection.list", e);
                Filter::default()
            });
        let mut snapshot_selects = Vec::new();
        // A LIST in 2.2's definition, a STRING (split the same way) in 3.6's.
        let override_tables: Vec<String> = match p.value("snapshot.select.statement.overrides") {
            connect_api::config::ConfigValue::List(v) => v.clone(),
            connect_api::config::ConfigValue::String(s) => s
                .split(',')
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect(),
            _ => Vec::new(),
        };
        for table in &override_tables {
            let key = format!("snapshot.select.statement.overrides.{table}");
            match p.original(&key).map(str::trim).filter(|q| !q.is_empty()) {
                Some(q) => snapshot_selects.push((table.clone(), q.to_owned())),
                None => errors.push(
                    "snapshot.select.statement.overrides",
                    format!("{table} is listed but {key} is not set"),
                ),
            }
        }
        let max_batch = p.int("max.batch.size");
        let max_queue = p.int("max.queue.size");
        if max_queue <= max_batch {
            errors.push(
                "max.queue.size",
                format!("Must be larger than the maximum batch size ({max_batch})"),
            );
        }
        let history = if p.string("schema.history.internal") == MEMORY_HISTORY_CLASS {
            HistoryStore::Memory
        } else {
            let bootstrap = p
                .string("schema.history.internal.kafka.bootstrap.servers")
                .to_owned();
            let topic = p.string("schema.history.internal.kafka.topic").to_owned();
            // Debezium 3.6 reads these when the task starts (KafkaSchemaHistory.configure), not
            // in validate; the task start fails on them then.
            if bootstrap.is_empty() && !v36 {
                errors.push("schema.history.internal.kafka.bootstrap.servers", "The 'schema.history.internal.kafka.bootstrap.servers' value is invalid: A value is required");
            }
            if topic.is_empty() && !v36 {
                errors.push("schema.history.internal.kafka.topic", "The 'schema.history.internal.kafka.topic' value is invalid: A value is required");
            }
            HistoryStore::Kafka {
                bootstrap_servers: bootstrap,
                topic,
            }
        };
        let skipped: Vec<String> = p
            .list("skipped.operations")
            .iter()
            .filter(|s| *s != "none")
            .cloned()
            .collect();
        let modes = ValueModes {
            decimal: match lower("decimal.handling.mode").as_str() {
                "double" => DecimalMode::Double,
                "string" => DecimalMode::String,
                _ => DecimalMode::Precise,
            },
            bigint_unsigned: if lower("bigint.unsigned.handling.mode") == "precise" {
                BigintUnsignedMode::Precise
            } else {
                BigintUnsignedMode::Long
            },
            time_precision: if lower("time.precision.mode") == "connect" {
                TimePrecisionMode::Connect
            } else {
                TimePrecisionMode::AdaptiveTimeMicroseconds
            },
            binary: match lower("binary.handling.mode").as_str() {
                "base64" => BinaryMode::Base64,
                "base64-url-safe" => BinaryMode::Base64UrlSafe,
                "hex" => BinaryMode::Hex,
                _ => BinaryMode::Bytes,
            },
        };
        let config = Self {
            hostname: p.string("database.hostname").to_owned(),
            port: u16::try_from(p.int("database.port")).unwrap_or(3306),
            user: p.string("database.user").to_owned(),
            password: p
                .password("database.password")
                .map(|s| s.expose().to_owned())
                .unwrap_or_default(),
            server_id: u32::try_from(p.long("database.server.id")).unwrap_or(1),
            topic_prefix: p.string("topic.prefix").to_owned(),
            databases,
            tables,
            columns,
            key_columns,
            ignore_builtin: p.boolean("table.ignore.builtin"),
            tombstones_on_delete: p.boolean("tombstones.on.delete"),
            include_schema_changes: p.boolean("include.schema.changes"),
            include_query: p.boolean("include.query"),
            provide_transaction_metadata: p.boolean("provide.transaction.metadata"),
            skipped_operations: skipped,
            modes,
            layout: crate::event::Layout::parse(p.string("sluice.debezium.version")),
            failure_mode: match lower("event.processing.failure.handling.mode").as_str() {
                "warn" => FailureMode::Warn,
                "skip" => FailureMode::Skip,
                _ => FailureMode::Fail,
            },
            snapshot_mode: SnapshotMode::parse(p.string("snapshot.mode")),
            locking_mode: match lower("snapshot.locking.mode").as_str() {
                "extended" => LockingMode::Extended,
                "none" => LockingMode::None,
                _ => LockingMode::Minimal,
            },
            snapshot_lock_timeout_ms: p.long("snapshot.lock.timeout.ms"),
            snapshot_tables,
            snapshot_selects,
            snapshot_chunk_size: usize::try_from(p.int("snapshot.chunk.size")).unwrap_or(0),
            snapshot_max_threads: usize::try_from(p.int("snapshot.max.threads"))
                .unwrap_or(1)
                .max(1),
            max_batch_size: usize::try_from(max_batch).unwrap_or(2048),
            max_queue_size: usize::try_from(max_queue).unwrap_or(8192),
            max_queue_size_in_bytes: u64::try_from(p.long("max.queue.size.in.bytes")).unwrap_or(0),
            poll_interval_ms: u64::try_from(p.long("poll.interval.ms")).unwrap_or(500),
            heartbeat_interval_ms: u64::try_from(p.int("heartbeat.interval.ms")).unwrap_or(0),
            keep_alive_interval_ms: read_outside_def(
                p.originals(),
                "connect.keep.alive.interval.ms",
            ),
            connection_validation_timeout_ms: read_outside_def(
                p.originals(),
                "connection.validation.timeout.ms",
            ),
            connect_timeout_ms: u64::try_from(p.long("connect.timeout.ms")).unwrap_or(30_000),
            ssl_mode,
            ssl_truststore,
            ssl_keystore,
            initial_statements: p
                .string("database.initial.statements")
                .replace(";;", "\u{0}")
                .split(';')
                .map(|st| st.replace('\u{0}', ";").trim().to_owned())
                .filter(|st| !st.is_empty())
                .collect(),
            history,
            skip_unparseable_ddl: p.boolean("schema.history.internal.skip.unparseable.ddl"),
            store_only_captured_tables_ddl: p
                .boolean("schema.history.internal.store.only.captured.tables.ddl"),
            ddl_filter: ddl_filter(
                p.originals()
                    .get("schema.history.internal.ddl.filter")
                    .map(String::as_str),
                crate::event::Layout::parse(p.string("sluice.debezium.version")),
            ),
            originals: p.originals().clone(),
        };
        errors.into_result(config)
    }
}

#[cfg(test)]
mod tests {
    use connect_api::Props;

    use super::*;

    /// The article's connector config, verbatim.
    pub(crate) fn article_props() -> Props {
        serde_json::from_str(r#"{"connector.class":"io.debezium.connector.mysql.MySqlConnector","tasks.max":"1","database.hostname":"mysql","database.port":"3306","database.user":"debezium","database.password":"dbz","database.server.id":"184054","database.include.list":"brazillian_ecommerce","topic.prefix":"dbserver1","schema.history.internal.kafka.bootstrap.servers":"redpanda:9092","schema.history.internal.kafka.topic":"schema-changes.brazillian_ecommerce"}"#).unwrap()
    }

    #[test]
    fn article_config_parses_with_debezium_defaults() {
        let c = MySqlConfig::parse(&article_props()).unwrap();
        assert_eq!(c.hostname, "mysql");
        assert_eq!(c.port, 3306);
        assert_eq!(c.server_id, 184_054);
        assert_eq!(c.password, "dbz");
        assert_eq!(c.topic_prefix, "dbserver1");
        assert_eq!(c.snapshot_mode, SnapshotMode::Initial);
        assert_eq!(c.locking_mode, LockingMode::Minimal);
        assert_eq!(c.modes, ValueModes::default());
        assert!(c.tombstones_on_delete && c.include_schema_changes && !c.include_query);
        assert_eq!(c.skipped_operations, ["t"]);
        assert_eq!(
            c.history,
            HistoryStore::Kafka {
                bootstrap_servers: "redpanda:9092".into(),
                topic: "schema-changes.brazillian_ecommerce".into()
            }
        );
        assert!(c.table_captured("brazillian_ecommerce", "olist_orders_dataset"));
        assert!(!c.table_captured("other", "t"));
        assert!(!c.database_captured("mysql"));
    }

    #[test]
    fn missing_required_keys_and_bad_modes_are_reported_per_field() {
        let mut props = article_props();
        props.remove("database.hostname");
        props.insert("time.precision.mode".into(), "adaptive".into());
        props.insert("database.server.id".into(), "0".into());
        let errs = MySqlConfig::parse(&props).unwrap_err();
        let keys: Vec<_> = errs.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "database.hostname",
                "database.server.id",
                "time.precision.mode"
            ]
        );
    }

    #[test]
    fn cross_field_rules_name_the_offending_field() {
        let mut props = article_props();
        props.insert("database.exclude.list".into(), "x".into());
        props.insert("max.queue.size".into(), "100".into());
        props.insert("max.batch.size".into(), "200".into());
        props.remove("schema.history.internal.kafka.topic");
        let errs = MySqlConfig::parse(&props).unwrap_err();
        let keys: Vec<_> = errs.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "database.exclude.list",
                "max.queue.size",
                "schema.history.internal.kafka.topic"
            ]
        );
    }

    #[test]
    fn message_key_columns_and_column_filters_parse() {
        let mut props = article_props();
        props.insert(
            "message.key.columns".into(),
            "inventory.customers:pk1,pk2;(.*).purchaseorders:pk3".into(),
        );
        props.insert(
            "column.exclude.list".into(),
            "inventory\\.customers\\.secret".into(),
        );
        let c = MySqlConfig::parse(&props).unwrap();
        assert_eq!(
            c.key_override("inventory", "customers").unwrap(),
            ["pk1", "pk2"]
        );
        assert_eq!(c.key_override("x", "purchaseorders").unwrap(), ["pk3"]);
        assert!(c.key_override("x", "other").is_none());
        assert!(!c.columns.matches("inventory.customers.secret"));
        assert!(c.columns.matches("inventory.customers.name"));
        props.insert("message.key.columns".into(), "nocolon".into());
        let errs = MySqlConfig::parse(&props).unwrap_err();
        assert_eq!(errs.0[0].0, "message.key.columns");
    }

    #[test]
    fn ssl_modes_parse_and_key_stores_must_be_pem() {
        let mut props = article_props();
        assert_eq!(
            MySqlConfig::parse(&props).unwrap().ssl_mode,
            SslMode::Preferred
        );
        props.insert("database.ssl.mode".into(), "VERIFY_IDENTITY".into());
        props.insert(
            "database.initial.statements".into(),
            "SET a=1; SET b=';;'".into(),
        );
        let c = MySqlConfig::parse(&props).unwrap();
        assert_eq!(c.ssl_mode, SslMode::VerifyIdentity);
        assert_eq!(c.initial_statements, ["SET a=1", "SET b=';'"]);
        let dir = std::env::temp_dir().join(format!("sluice-ssl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let jks = dir.join("trust.jks");
        std::fs::write(&jks, [0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]).unwrap();
        let pem = dir.join("ca.pem");
        std::fs::write(
            &pem,
            "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        props.insert("database.ssl.truststore".into(), jks.display().to_string());
        props.insert(
            "database.ssl.keystore".into(),
            dir.join("missing.pem").display().to_string(),
        );
        let errs = MySqlConfig::parse(&props).unwrap_err();
        let fields: Vec<&str> = errs.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(fields, ["database.ssl.truststore", "database.ssl.keystore"]);
        assert!(errs.0[0].1.contains("Java KeyStore"), "{:?}", errs.0);
        props.insert("database.ssl.truststore".into(), pem.display().to_string());
        props.insert("database.ssl.keystore".into(), pem.display().to_string());
        let c = MySqlConfig::parse(&props).unwrap();
        assert_eq!(c.ssl_truststore.as_deref(), Some(pem.as_path()));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn select_overrides_need_their_statement() {
        let mut props = article_props();
        props.insert("snapshot.select.statement.overrides".into(), "db.t".into());
        let errs = MySqlConfig::parse(&props).unwrap_err();
        assert_eq!(errs.0[0].0, "snapshot.select.statement.overrides");
        props.insert(
            "snapshot.select.statement.overrides.db.t".into(),
            "SELECT * FROM db.t WHERE id > 1".into(),
        );
        let c = MySqlConfig::parse(&props).unwrap();
        assert_eq!(
            c.snapshot_selects,
            [(
                "db.t".to_owned(),
                "SELECT * FROM db.t WHERE id > 1".to_owned()
            )]
        );
    }

    #[test]
    fn unimplemented_debezium_features_are_refused_naming_the_key() {
        for (key, value) in [
            ("column.mask.with.12.chars", "inventory.customers.email"),
            (
                "column.mask.hash.SHA-256.with.salt.CzQMA0cB5K",
                "inventory.customers.email",
            ),
            ("column.truncate.to.20.chars", "inventory.customers.name"),
            ("column.propagate.source.type", ".*"),
            ("datatype.propagate.source.type", "INT"),
            ("converters", "boolean"),
            ("signal.data.collection", "inventory.debezium_signal"),
            ("signal.enabled.channels", "source,kafka"),
            ("signal.kafka.topic", "signals"),
        ] {
            let mut props = article_props();
            props.insert(key.into(), value.into());
            let errs = MySqlConfig::parse(&props).unwrap_err();
            assert_eq!(errs.0.len(), 1, "{key}: {errs:?}");
            assert_eq!(errs.0[0].0, key);
            assert!(
                errs.0[0].1.starts_with(&format!(
                    "The '{key}' value is invalid: Sluice's MySQL source does not support it: "
                )),
                "{:?}",
                errs.0
            );
        }
    }

    #[test]
    fn inert_values_of_unimplemented_features_are_accepted() {
        let mut props = article_props();
        props.insert("signal.enabled.channels".into(), "source".into());
        props.insert("converters".into(), " ".into());
        props.insert("column.propagate.source.type".into(), "".into());
        assert!(MySqlConfig::parse(&props).is_ok());
    }

    #[test]
    fn debezium_keys_read_outside_the_definition_are_used_not_refused_in_3_6_mode() {
        let mut props = article_props();
        props.insert("sluice.debezium.version".into(), "3.6".into());
        props.insert("connect.keep.alive.interval.ms".into(), "5000".into());
        props.insert("connection.validation.timeout.ms".into(), " 2500".into());
        let c = MySqlConfig::parse(&props).unwrap();
        assert_eq!(c.keep_alive_interval_ms, 5000);
        assert_eq!(c.connection_validation_timeout_ms, 2500);
        let defaults = MySqlConfig::parse(&article_props()).unwrap();
        assert_eq!(defaults.connection_validation_timeout_ms, 60_000);
    }

    #[test]
    fn legacy_snapshot_mode_names_are_aliases() {
        let mut props = article_props();
        props.insert("snapshot.mode".into(), "schema_only_recovery".into());
        assert_eq!(
            MySqlConfig::parse(&props).unwrap().snapshot_mode,
            SnapshotMode::Recovery
        );
        props.insert("snapshot.mode".into(), "schema_only".into());
        assert_eq!(
            MySqlConfig::parse(&props).unwrap().snapshot_mode,
            SnapshotMode::NoData
        );
    }
}
