//! Logging, and the run-time levels behind `/admin/loggers`.
//!
//! Kafka Connect names loggers after Java packages (`org.apache.kafka.connect.runtime`,
//! `io.debezium`); Sluice logs through `tracing` with Rust targets. Each Kafka-style name maps to
//! the crates that play its part, so `PUT /admin/loggers/io.debezium {"level":"DEBUG"}` turns on
//! the MySQL connector's debug logs, as users of the JVM worker expect.
//!
//! A logger name comes from a request, so it is treated as an opaque log4j name: it is mapped to
//! Rust targets by plain string rules and never parsed as a filter directive (an `EnvFilter`
//! directive can carry field regexes and span filters, which a client could use to make every
//! later change expensive or to add a global rule). The filter is a table of levels by target,
//! consulted per callsite; a change costs a few map operations plus one interest-cache rebuild.
//! Every log line is written with its control characters escaped, so no request text can forge
//! a line.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::ops::Bound;
use std::sync::{Arc, Mutex, RwLock};

use connect_runtime::Loggers;
use connect_runtime::entities::LoggerLevel;
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

const LEVELS: &[&str] = &["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"];

/// Kafka-style logger families and the Rust targets behind them.
const FAMILIES: &[(&str, &[&str])] = &[
    (
        "org.apache.kafka.connect",
        &[
            "connect_runtime",
            "connect_rest",
            "connect_storage",
            "connect_converters",
            "connect_file",
            "sluice",
        ],
    ),
    ("io.debezium", &["connect_mysql_cdc"]),
    ("io.confluent.connect.s3", &["connect_s3_sink"]),
    ("io.confluent", &["connect_s3_sink"]),
    ("org.apache.kafka.clients", &["rdkafka"]),
];

/// Noisy dependencies, quiet unless a logger asks for them.
const QUIET: &[&str] = &["h2", "hyper", "hyper_util", "aws_config"];

fn tracing_level(level: &str) -> LevelFilter {
    match level {
        "TRACE" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "INFO" => LevelFilter::INFO,
        "WARN" => LevelFilter::WARN,
        "ERROR" | "FATAL" => LevelFilter::ERROR,
        _ => LevelFilter::OFF,
    }
}

/// Whether `name` is a Rust module path (`connect_runtime::worker`), which is then used as a
/// target as it is. Anything else is not a target any code logs to.
fn is_rust_target(name: &str) -> bool {
    name.split("::").all(|seg| {
        let mut chars = seg.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Whether `name` is `family` or one of its ancestors or descendants in log4j's dotted hierarchy.
fn related(name: &str, family: &str) -> bool {
    let below =
        |a: &str, b: &str| a.len() > b.len() && a.starts_with(b) && a.as_bytes()[b.len()] == b'.';
    name == family || below(name, family) || below(family, name)
}

/// The Rust targets a logger name stands for: the crates of every family it belongs to, or the
/// name itself when it is a Rust module path, or none (a log4j logger nothing logs to).
fn targets(name: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for (family, crates) in FAMILIES {
        if related(name, family) {
            for c in *crates {
                if !out.contains(c) {
                    out.push(c);
                }
            }
        }
    }
    if out.is_empty() && is_rust_target(name) {
        out.push(name);
    }
    out
}

fn is_known(name: &str) -> bool {
    name == "root"
        || FAMILIES.iter().any(|(f, crates)| {
            name == *f
                || name.starts_with(&format!("{f}."))
                || crates
                    .iter()
                    .any(|c| name == *c || name.starts_with(&format!("{c}::")))
        })
}

/// The level a target is filtered at, and the logger name that set it (a more specific logger
/// wins over its ancestors, as in log4j).
#[derive(Debug, Clone)]
struct TargetLevel {
    level: LevelFilter,
    source: String,
}

/// The filter's state: the root level and levels by Rust target (a target also covers its
/// `::` descendants).
#[derive(Debug)]
struct Table {
    root: LevelFilter,
    targets: HashMap<String, TargetLevel>,
}

impl Table {
    fn new(root: LevelFilter) -> Self {
        let mut targets = HashMap::new();
        for t in QUIET {
            targets.insert(
                (*t).to_owned(),
                TargetLevel {
                    level: LevelFilter::WARN,
                    source: String::new(),
                },
            );
        }
        Self { root, targets }
    }

    /// The level for a callsite's target: its own entry, else its nearest `::` ancestor's, else
    /// the root's. Costs one lookup per path segment.
    fn level_of(&self, target: &str) -> LevelFilter {
        let mut t = target;
        loop {
            if let Some(e) = self.targets.get(t) {
                return e.level;
            }
            match t.rfind("::") {
                Some(i) => t = &t[..i],
                None => return self.root,
            }
        }
    }

    fn enabled(&self, target: &str, level: &tracing::Level) -> bool {
        self.level_of(target) >= *level
    }

    fn max_level(&self) -> LevelFilter {
        self.targets
            .values()
            .map(|e| e.level)
            .fold(self.root, std::cmp::max)
    }

    /// Applies `PUT /admin/loggers/<name>` to the targets behind `name`.
    fn set(&mut self, name: &str, level: LevelFilter) {
        if name == "root" {
            // log4j sets every logger to the root's new level.
            self.root = level;
            self.targets.retain(|_, e| e.source.is_empty());
            return;
        }
        for t in targets(name) {
            let keep = self
                .targets
                .get(t)
                .is_some_and(|e| e.source.len() > name.len() && !related(&e.source, name));
            if !keep {
                self.targets.insert(
                    t.to_owned(),
                    TargetLevel {
                        level,
                        source: name.to_owned(),
                    },
                );
            }
        }
    }
}

/// The `tracing` layer that filters by the [`Table`].
#[derive(Debug, Clone)]
struct TableFilter(Arc<RwLock<Table>>);

impl TableFilter {
    fn enabled_for(&self, target: &str, level: &tracing::Level) -> bool {
        self.0.read().is_ok_and(|t| t.enabled(target, level))
    }
}

impl<S: Subscriber> Layer<S> for TableFilter {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if self.enabled_for(meta.target(), meta.level()) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.enabled_for(meta.target(), meta.level())
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.0.read().ok().map(|t| t.max_level())
    }
}

/// Writes log lines with control characters escaped (`\n`, `\u{85}`, …) except each line's
/// final newline, so text from a request cannot start a forged line.
#[derive(Debug)]
struct EscapingWriter<W>(W);

/// Whether `c` is written escaped: every control character but the tab, and the Unicode line
/// and paragraph separators.
fn needs_escape(c: char) -> bool {
    c != '\t' && (c.is_control() || c == '\u{2028}' || c == '\u{2029}')
}

/// Appends `text` with the characters [`needs_escape`] picks escaped: `\n` and `\r` short, the
/// others as `\u{…}`. Runs between them are copied whole.
fn push_escaped(out: &mut Vec<u8>, text: &str) {
    let mut run = 0;
    for (i, c) in text.char_indices() {
        if !needs_escape(c) {
            continue;
        }
        out.extend_from_slice(&text.as_bytes()[run..i]);
        match c {
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            // `\u{…}` is all ASCII.
            c => out.extend(c.escape_unicode().map(|e| e as u8)),
        }
        run = i + c.len_utf8();
    }
    out.extend_from_slice(&text.as_bytes()[run..]);
}

/// Appends one line (`buf` without its final newline, then that newline) escaped, invalid UTF-8
/// replaced by U+FFFD as `String::from_utf8_lossy` does.
fn push_escaped_line(out: &mut Vec<u8>, buf: &[u8]) {
    let (body, newline) = match buf.strip_suffix(b"\n") {
        Some(b) => (b, true),
        None => (buf, false),
    };
    for chunk in body.utf8_chunks() {
        push_escaped(out, chunk.valid());
        if !chunk.invalid().is_empty() {
            out.extend_from_slice("\u{FFFD}".as_bytes());
        }
    }
    if newline {
        out.push(b'\n');
    }
}

/// Whether `buf` goes out as it is: valid UTF-8 with nothing to escape but its final newline.
fn is_clean_line(buf: &[u8]) -> bool {
    let body = buf.strip_suffix(b"\n").unwrap_or(buf);
    std::str::from_utf8(body).is_ok_and(|text| !text.chars().any(needs_escape))
}

/// The largest escaped-line buffer a thread keeps for its next line; a longer line's buffer is
/// freed after use rather than held for the life of the thread.
const KEPT_LINE_CAPACITY: usize = 64 * 1024;

thread_local! {
    /// Each thread's buffer for escaped lines, reused from line to line.
    static LINE: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` on this thread's cleared line buffer. While the buffer is out (a log line written
/// from inside `f`) or gone (thread teardown), `f` gets a new one.
fn with_line_buffer<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    let mut line = LINE.try_with(Cell::take).unwrap_or_default();
    line.clear();
    let result = f(&mut line);
    if line.capacity() <= KEPT_LINE_CAPACITY {
        // During thread teardown there is no buffer to return it to; it is dropped instead.
        LINE.try_with(|cell| cell.set(line)).unwrap_or_default();
    }
    result
}

impl<W: Write> Write for EscapingWriter<W> {
    /// One `write_all` per line (so lines from several threads do not interleave), straight from
    /// `buf` when nothing needs escaping.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if is_clean_line(buf) {
            self.0.write_all(buf)?;
        } else {
            with_line_buffer(|line| {
                push_escaped_line(line, buf);
                self.0.write_all(line)
            })?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[derive(Debug, Clone, Copy)]
struct EscapedStderr;

impl<'a> MakeWriter<'a> for EscapedStderr {
    type Writer = EscapingWriter<io::Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        EscapingWriter(io::stderr())
    }
}

#[derive(Debug)]
struct Entry {
    level: String,
    last_modified: Option<i64>,
}

/// Run-time log levels: the levels `/admin/loggers` reports, by log4j name, and the filter table
/// they drive.
pub(crate) struct TracingLoggers {
    filter: TableFilter,
    levels: Mutex<BTreeMap<String, Entry>>,
}

impl std::fmt::Debug for TracingLoggers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracingLoggers").finish_non_exhaustive()
    }
}

impl TracingLoggers {
    fn new(root: &str) -> Self {
        let mut levels = BTreeMap::new();
        levels.insert(
            "root".to_owned(),
            Entry {
                level: root.to_owned(),
                last_modified: None,
            },
        );
        Self {
            filter: TableFilter(Arc::new(RwLock::new(Table::new(tracing_level(root))))),
            levels: Mutex::new(levels),
        }
    }

    /// log4j's effective level: the nearest dotted ancestor with a level, else the root's.
    fn effective(levels: &BTreeMap<String, Entry>, name: &str) -> LoggerLevel {
        if let Some(e) = levels.get(name) {
            return LoggerLevel {
                level: e.level.clone(),
                last_modified: e.last_modified,
            };
        }
        let mut n = name;
        while let Some(i) = n.rfind('.') {
            n = &n[..i];
            if let Some(e) = levels.get(n) {
                return LoggerLevel {
                    level: e.level.clone(),
                    last_modified: None,
                };
            }
        }
        LoggerLevel {
            level: levels
                .get("root")
                .map_or_else(|| "INFO".to_owned(), |e| e.level.clone()),
            last_modified: None,
        }
    }

    /// Applies `SLUICE_LOG`: comma-separated `level` or `target=level` items (Rust targets,
    /// `tracing` level names); items that are neither are reported and skipped.
    fn apply_env(&self, spec: &str) {
        let Ok(mut table) = self.filter.0.write() else {
            return;
        };
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (target, level) = match item.split_once('=') {
                Some((t, l)) => (Some(t.trim()), l.trim()),
                None => (None, item),
            };
            let upper = level.to_ascii_uppercase();
            let valid_target = target.is_none_or(is_rust_target);
            if !LEVELS.contains(&upper.as_str()) || !valid_target {
                eprintln!("sluice: ignoring SLUICE_LOG item {:?}", item);
                continue;
            }
            let level = tracing_level(&upper);
            match target {
                None => table.root = level,
                Some(t) => {
                    table.targets.insert(
                        t.to_owned(),
                        TargetLevel {
                            level,
                            source: String::new(),
                        },
                    );
                }
            }
        }
    }

    #[cfg(test)]
    fn enabled(&self, target: &str, level: &tracing::Level) -> bool {
        self.filter.enabled_for(target, level)
    }

    #[cfg(test)]
    fn filter_targets(&self) -> Vec<String> {
        let table = self.filter.0.read().expect("table");
        let mut t: Vec<String> = table
            .targets
            .iter()
            .filter(|(_, e)| !e.source.is_empty())
            .map(|(k, _)| k.clone())
            .collect();
        t.sort();
        t
    }
}

impl Loggers for TracingLoggers {
    fn levels(&self) -> BTreeMap<String, LoggerLevel> {
        let Ok(levels) = self.levels.lock() else {
            return BTreeMap::new();
        };
        levels
            .iter()
            .map(|(k, e)| {
                (
                    k.clone(),
                    LoggerLevel {
                        level: e.level.clone(),
                        last_modified: e.last_modified,
                    },
                )
            })
            .collect()
    }

    fn level(&self, name: &str) -> Option<LoggerLevel> {
        let levels = self.levels.lock().ok()?;
        (levels.contains_key(name) || is_known(name)).then(|| Self::effective(&levels, name))
    }

    fn set_level(&self, name: &str, level: &str) -> Result<Vec<String>, String> {
        let upper = level.to_ascii_uppercase();
        if !LEVELS.contains(&upper.as_str()) {
            return Err(format!("invalid log level '{level}'."));
        }
        // `Loggers.loggers`: the root matches case-insensitively, and a logger is affected when
        // its name starts with the namespace (a plain prefix, not a dotted one).
        let name = if name.eq_ignore_ascii_case("root") {
            "root"
        } else {
            name
        };
        let now = chrono::Utc::now().timestamp_millis();
        let mut affected = vec![name.to_owned()];
        {
            let mut levels = self
                .levels
                .lock()
                .map_err(|_| "logger state is poisoned".to_owned())?;
            let descendants: Vec<String> = if name == "root" {
                levels.keys().filter(|k| *k != "root").cloned().collect()
            } else {
                levels
                    .range::<str, _>((Bound::Excluded(name), Bound::Unbounded))
                    .take_while(|(k, _)| k.starts_with(name))
                    .map(|(k, _)| k.clone())
                    .collect()
            };
            for k in descendants {
                if let Some(e) = levels.get_mut(&k) {
                    e.level.clone_from(&upper);
                    e.last_modified = Some(now);
                }
                affected.push(k);
            }
            levels.insert(
                name.to_owned(),
                Entry {
                    level: upper.clone(),
                    last_modified: Some(now),
                },
            );
            let mut table = self
                .filter
                .0
                .write()
                .map_err(|_| "logger state is poisoned".to_owned())?;
            table.set(name, tracing_level(&upper));
        }
        // Callsites cache whether they are enabled; the locks are released first because the
        // rebuild asks the filter again.
        tracing::callsite::rebuild_interest_cache();
        affected.sort();
        affected.dedup();
        Ok(affected)
    }
}

/// Installs the subscriber. The initial root level comes from `LOG_LEVEL` (the debezium image's
/// variable), else INFO; `SLUICE_LOG` adds `level` / `target=level` items.
pub(crate) fn init() -> TracingLoggers {
    let root = std::env::var("LOG_LEVEL")
        .ok()
        .map(|l| l.to_ascii_uppercase())
        .filter(|l| LEVELS.contains(&l.as_str()))
        .unwrap_or_else(|| "INFO".to_owned());
    let loggers = TracingLoggers::new(&root);
    if let Ok(spec) = std::env::var("SLUICE_LOG") {
        loggers.apply_env(&spec);
    }
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(EscapedStderr)
        .with_ansi(false)
        .with_target(true);
    tracing_subscriber::registry()
        .with(loggers.filter.clone())
        .with(fmt)
        .try_init()
        .ok();
    loggers
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use tracing::Level;

    use super::*;

    #[test]
    fn a_crafted_logger_name_is_stored_literally_and_filters_nothing() {
        let loggers = TracingLoggers::new("INFO");
        let name = format!("zz[s{{f=[ab]*a{}}}]", "[ab]".repeat(18));
        let started = Instant::now();
        let affected = loggers.set_level(&name, "DEBUG").expect("accepted");
        // A safety bound only: the regex state machine the old filter built took seconds.
        assert!(started.elapsed() < Duration::from_millis(50));
        assert_eq!(affected, vec![name.clone()]);
        let names: Vec<String> = loggers.levels().into_keys().collect();
        assert_eq!(names, vec!["root".to_owned(), name.clone()]);
        assert!(loggers.filter_targets().is_empty());
        assert!(!loggers.enabled("zz", &Level::DEBUG));
        assert_eq!(loggers.level(&name).expect("set").level, "DEBUG");
    }

    #[test]
    fn a_comma_in_a_logger_name_adds_no_global_rule() {
        let loggers = TracingLoggers::new("INFO");
        loggers.set_level("debug,x", "DEBUG").expect("accepted");
        assert!(!loggers.enabled("some_crate", &Level::DEBUG));
        assert!(!loggers.enabled("debug", &Level::DEBUG));
        assert!(loggers.filter_targets().is_empty());
        loggers.set_level("root", "WARN").expect("accepted");
        assert!(!loggers.enabled("some_crate", &Level::INFO));
        assert!(loggers.enabled("some_crate", &Level::WARN));
    }

    #[test]
    fn kafka_names_map_to_the_crates_behind_them() {
        let loggers = TracingLoggers::new("INFO");
        loggers.set_level("io.debezium", "DEBUG").expect("accepted");
        assert!(loggers.enabled("connect_mysql_cdc::binlog", &Level::DEBUG));
        assert!(!loggers.enabled("connect_runtime", &Level::DEBUG));
        // A more specific logger wins over its ancestor, whatever the order.
        loggers
            .set_level("io.debezium.connector.mysql", "ERROR")
            .expect("accepted");
        assert!(!loggers.enabled("connect_mysql_cdc", &Level::WARN));
        loggers.set_level("io.debezium", "TRACE").expect("accepted");
        assert!(loggers.enabled("connect_mysql_cdc", &Level::TRACE));
        assert_eq!(
            loggers
                .level("io.debezium.connector.mysql")
                .expect("set")
                .level,
            "TRACE"
        );
        loggers
            .set_level("connect_runtime::worker", "TRACE")
            .expect("accepted");
        assert!(loggers.enabled("connect_runtime::worker::task", &Level::TRACE));
        assert!(!loggers.enabled("connect_runtime::herder", &Level::DEBUG));
        assert!(!loggers.enabled("connect_runtime_x", &Level::DEBUG));
    }

    #[test]
    fn root_resets_every_logger_but_keeps_dependencies_quiet() {
        let loggers = TracingLoggers::new("INFO");
        loggers
            .set_level("org.apache.kafka.connect", "TRACE")
            .expect("accepted");
        let affected = loggers.set_level("root", "DEBUG").expect("accepted");
        assert_eq!(affected, vec!["org.apache.kafka.connect", "root"]);
        assert!(!loggers.enabled("connect_rest", &Level::TRACE));
        assert!(loggers.enabled("connect_rest", &Level::DEBUG));
        assert!(!loggers.enabled("hyper::proto", &Level::INFO));
    }

    #[test]
    fn a_namespace_affects_every_logger_its_name_starts_with() {
        let loggers = TracingLoggers::new("INFO");
        loggers
            .set_level("io.debezium.connector", "DEBUG")
            .expect("accepted");
        loggers
            .set_level("io.debeziumx", "DEBUG")
            .expect("accepted");
        let affected = loggers.set_level("io.debezium", "WARN").expect("accepted");
        assert_eq!(
            affected,
            vec!["io.debezium", "io.debezium.connector", "io.debeziumx"]
        );
        let affected = loggers.set_level("ROOT", "ERROR").expect("accepted");
        assert_eq!(
            affected,
            vec![
                "io.debezium",
                "io.debezium.connector",
                "io.debeziumx",
                "root"
            ]
        );
        assert_eq!(loggers.level("root").expect("root").level, "ERROR");
        assert!(!loggers.enabled("connect_mysql_cdc", &Level::WARN));
    }

    #[test]
    fn a_bad_level_is_refused_with_kafkas_message() {
        let loggers = TracingLoggers::new("INFO");
        assert_eq!(
            loggers.set_level("root", "LOUD"),
            Err("invalid log level 'LOUD'.".to_owned())
        );
    }

    #[test]
    fn sluice_log_items_are_plain_levels_and_targets() {
        let loggers = TracingLoggers::new("INFO");
        loggers.apply_env("warn, connect_rest=trace, x[{a=.*}]=debug, bogus");
        assert!(!loggers.enabled("other", &Level::INFO));
        assert!(loggers.enabled("connect_rest::routes", &Level::TRACE));
        assert!(!loggers.enabled("x", &Level::DEBUG));
    }

    #[test]
    fn a_newline_in_logged_text_is_escaped() {
        let mut out = EscapingWriter(Vec::new());
        out.write_all(b"INFO connect_rest: logger=a\nFORGED line\r\x1b\xc2\x85 end\n")
            .expect("write");
        assert_eq!(
            String::from_utf8(out.0).expect("utf-8"),
            "INFO connect_rest: logger=a\\nFORGED line\\r\\u{1b}\\u{85} end\n"
        );
    }

    /// The escaping as first written (a `String` per line): what the reusable-buffer writer must
    /// reproduce byte for byte.
    fn escaped_by_reference(buf: &[u8]) -> Vec<u8> {
        let (body, newline) = match buf.strip_suffix(b"\n") {
            Some(b) => (b, true),
            None => (buf, false),
        };
        let text = String::from_utf8_lossy(body);
        let mut out = String::with_capacity(text.len() + 1);
        for c in text.chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push('\t'),
                c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                    out.push_str(&c.escape_unicode().to_string());
                }
                c => out.push(c),
            }
        }
        if newline {
            out.push('\n');
        }
        out.into_bytes()
    }

    #[test]
    fn every_line_is_written_byte_for_byte_as_the_per_line_string_escaping_wrote_it() {
        let pieces: &[&[u8]] = &[
            b"plain",
            b"\n",
            b"\r",
            b"\t",
            b"\x00",
            b"\x1b[31m",
            b"\x7f",
            "\u{85}".as_bytes(),
            "\u{9f}".as_bytes(),
            "\u{a0}".as_bytes(),
            "\u{2028}".as_bytes(),
            "\u{2029}".as_bytes(),
            "\u{200b}".as_bytes(),
            "é シ 😀".as_bytes(),
            b"\xff",
            b"\xc2",
            b"\xe2\x80",
            b"\xf0\x9f\x98",
            b"\xed\xa0\x80",
        ];
        let mut lines: Vec<Vec<u8>> = vec![Vec::new(), b"\n".to_vec(), b"\n\n".to_vec()];
        for a in pieces {
            for b in pieces {
                let mut line = [*a, b"x", *b].concat();
                lines.push(line.clone());
                line.push(b'\n');
                lines.push(line);
            }
        }
        for line in &lines {
            let mut out = EscapingWriter(Vec::new());
            out.write_all(line).expect("write");
            assert_eq!(out.0, escaped_by_reference(line), "{line:?}");
        }
    }

    #[test]
    fn a_clean_line_goes_out_unchanged_and_a_long_escaped_line_does_not_keep_its_buffer() {
        let clean = "INFO connect_runtime: tab\tand é\n".as_bytes();
        assert!(is_clean_line(clean));
        let mut out = EscapingWriter(Vec::new());
        out.write_all(clean).expect("write");
        assert_eq!(out.0, clean);

        // An escaped line leaves the thread its buffer for the next one…
        let mut out = EscapingWriter(Vec::new());
        out.write_all(b"a\rb\n").expect("write");
        assert_eq!(out.0, b"a\\rb\n");
        let kept = LINE.with(Cell::take);
        assert!(kept.capacity() > 0);
        LINE.with(|cell| cell.set(kept));
        // …unless it was longer than what is worth keeping.
        let long = format!("{}\r\n", "x".repeat(KEPT_LINE_CAPACITY * 2));
        let mut out = EscapingWriter(Vec::new());
        out.write_all(long.as_bytes()).expect("write");
        assert_eq!(out.0.len(), long.len() + 1);
        assert!(LINE.with(Cell::take).capacity() <= KEPT_LINE_CAPACITY);
    }

    #[test]
    fn a_logged_event_with_request_text_stays_on_one_line() {
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl Write for Buf {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0.lock().expect("buf").extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let sink = buf.clone();
        let fmt = tracing_subscriber::fmt::layer()
            .with_writer(move || EscapingWriter(sink.clone()))
            .with_ansi(false);
        let subscriber = tracing_subscriber::registry().with(fmt);
        tracing::subscriber::with_default(subscriber, || {
            let name = "c1\nERROR forged";
            tracing::info!(connector = %name, "connector created");
        });
        let text = String::from_utf8(buf.0.lock().expect("buf").clone()).expect("utf-8");
        assert_eq!(text.matches('\n').count(), 1, "{text}");
        assert!(text.contains("c1\\nERROR forged"), "{text}");
    }
}
