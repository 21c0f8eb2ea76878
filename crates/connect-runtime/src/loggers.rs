//! Run-time log levels, behind `/admin/loggers` (KIP-495).

use std::collections::BTreeMap;

use crate::entities::LoggerLevel;

/// Reads and changes log levels at run time. Logger names are Kafka-style dotted names
/// (`org.apache.kafka.connect`, `root`) mapped onto `tracing` targets by the implementation.
///
/// A name comes straight from a request path: it is an opaque log4j name (any string), which an
/// implementation maps by plain string rules and must never interpret as filter syntax.
pub trait Loggers: Send + Sync + std::fmt::Debug {
    /// Every logger with an explicit level, plus `root`, sorted.
    fn levels(&self) -> BTreeMap<String, LoggerLevel>;
    /// One logger's level; `None` when unknown.
    fn level(&self, name: &str) -> Option<LoggerLevel>;
    /// Sets `name` (and its descendants) to `level`; returns the affected logger names, sorted.
    ///
    /// # Errors
    /// The message for an invalid level (`invalid log level '<x>'.`).
    fn set_level(&self, name: &str, level: &str) -> Result<Vec<String>, String>;
}
