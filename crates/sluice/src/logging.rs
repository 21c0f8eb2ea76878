//! Logging, and the run-time levels behind `/admin/loggers`.
//!
//! Kafka Connect names loggers after Java packages (`org.apache.kafka.connect.runtime`,
//! `io.debezium`); Sluice logs through `tracing` with Rust targets. Each Kafka-style name maps to
//! the crates that play its part, so `PUT /admin/loggers/io.debezium {"level":"DEBUG"}` turns on
//! the MySQL connector's debug logs, as users of the JVM worker expect.

use std::collections::BTreeMap;
use std::sync::Mutex;

use connect_runtime::Loggers;
use connect_runtime::entities::LoggerLevel;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

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

fn tracing_level(level: &str) -> &'static str {
    match level {
        "TRACE" => "trace",
        "DEBUG" => "debug",
        "INFO" => "info",
        "WARN" => "warn",
        "ERROR" | "FATAL" => "error",
        _ => "off",
    }
}

/// The Rust targets a logger name stands for.
fn targets(name: &str) -> Vec<String> {
    for (family, crates) in FAMILIES {
        if name == *family
            || name.starts_with(&format!("{family}."))
            || family.starts_with(&format!("{name}."))
        {
            return crates.iter().map(|c| (*c).to_owned()).collect();
        }
    }
    // A Rust target given directly (`connect_runtime::worker`).
    vec![name.to_owned()]
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

#[derive(Debug)]
struct Entry {
    level: String,
    last_modified: Option<i64>,
}

/// Run-time log levels on a `tracing` reload handle.
pub(crate) struct TracingLoggers {
    handle: reload::Handle<EnvFilter, Registry>,
    levels: Mutex<BTreeMap<String, Entry>>,
}

impl std::fmt::Debug for TracingLoggers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracingLoggers").finish_non_exhaustive()
    }
}

impl TracingLoggers {
    fn filter(levels: &BTreeMap<String, Entry>) -> EnvFilter {
        let root = levels
            .get("root")
            .map_or("info", |e| tracing_level(&e.level));
        // Quiet noisy dependencies unless asked for.
        let mut directives = vec![
            root.to_owned(),
            "h2=warn".into(),
            "hyper=warn".into(),
            "aws_config=warn".into(),
        ];
        // Parents first, so a more specific logger wins.
        let mut names: Vec<&String> = levels.keys().filter(|k| *k != "root").collect();
        names.sort_by_key(|n| n.len());
        for name in names {
            let lvl = tracing_level(&levels[name].level);
            for t in targets(name) {
                directives.push(format!("{t}={lvl}"));
            }
        }
        EnvFilter::new(directives.join(","))
    }

    fn effective(&self, levels: &BTreeMap<String, Entry>, name: &str) -> LoggerLevel {
        let mut best: Option<(&String, &Entry)> = None;
        for (k, e) in levels {
            if (name == k || name.starts_with(&format!("{k}.")))
                && best.is_none_or(|(b, _)| k.len() > b.len())
            {
                best = Some((k, e));
            }
        }
        match best {
            Some((k, e)) if k == name => LoggerLevel {
                level: e.level.clone(),
                last_modified: e.last_modified,
            },
            Some((_, e)) => LoggerLevel {
                level: e.level.clone(),
                last_modified: None,
            },
            None => {
                let root = levels
                    .get("root")
                    .map_or("INFO".to_owned(), |e| e.level.clone());
                LoggerLevel {
                    level: root,
                    last_modified: None,
                }
            }
        }
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
        (levels.contains_key(name) || is_known(name)).then(|| self.effective(&levels, name))
    }

    fn set_level(&self, name: &str, level: &str) -> Result<Vec<String>, String> {
        let upper = level.to_ascii_uppercase();
        if !LEVELS.contains(&upper.as_str()) {
            return Err(format!("invalid log level '{level}'."));
        }
        let mut levels = self
            .levels
            .lock()
            .map_err(|_| "logger state is poisoned".to_owned())?;
        let now = chrono::Utc::now().timestamp_millis();
        let mut affected = vec![name.to_owned()];
        for (k, e) in levels.iter_mut() {
            if k.starts_with(&format!("{name}.")) || (name == "root" && k != "root") {
                e.level.clone_from(&upper);
                e.last_modified = Some(now);
                affected.push(k.clone());
            }
        }
        levels.insert(
            name.to_owned(),
            Entry {
                level: upper,
                last_modified: Some(now),
            },
        );
        let filter = Self::filter(&levels);
        self.handle.reload(filter).map_err(|e| e.to_string())?;
        affected.sort();
        affected.dedup();
        Ok(affected)
    }
}

/// Installs the subscriber. The initial root level comes from `LOG_LEVEL` (the debezium image's
/// variable) or `RUST_LOG`-style `SLUICE_LOG`, else INFO.
pub(crate) fn init() -> TracingLoggers {
    let root = std::env::var("LOG_LEVEL")
        .ok()
        .map(|l| l.to_ascii_uppercase())
        .filter(|l| LEVELS.contains(&l.as_str()));
    let mut levels = BTreeMap::new();
    levels.insert(
        "root".to_owned(),
        Entry {
            level: root.unwrap_or_else(|| "INFO".to_owned()),
            last_modified: None,
        },
    );
    let filter = match std::env::var("SLUICE_LOG") {
        Ok(s) => EnvFilter::new(s),
        Err(_) => TracingLoggers::filter(&levels),
    };
    let (layer, handle) = reload::Layer::new(filter);
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(true);
    tracing_subscriber::registry()
        .with(layer)
        .with(fmt)
        .try_init()
        .ok();
    TracingLoggers {
        handle,
        levels: Mutex::new(levels),
    }
}
