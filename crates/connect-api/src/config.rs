//! `ConfigDef`: one declarative definition per plugin drives parsing, defaults, the `/config`
//! listing and `/config/validate`.
//!
//! Parsing has two phases, shaped like Kafka's `ConfigDef`/`AbstractConfig`:
//! 1. [`ConfigDef::parse`] converts types, applies defaults, checks required keys and runs the
//!    per-key validators, **collecting every error** into a [`ConfigReport`];
//! 2. [`ConnectorConfig::from_parsed`] builds the typed config and applies cross-field rules, each
//!    error attributed to a field.
//!
//! Unknown keys are never errors: every connector also receives `name`, `tasks.max`,
//! `transforms.*` and more, and Kafka Connect tolerates keys it does not know.

mod def;
mod parse;
mod report;
mod types;
mod validators;

pub use def::{ConfigDef, ConfigDefBuilder, ConfigKey, DefaultValue, Importance, Width};
pub use parse::{ParseOutcome, ParsedConfig};
pub use report::{ConfigInfo, ConfigInfos, ConfigKeyInfo, ConfigReport, ConfigValueInfo};
pub use types::{ConfigType, ConfigValue, Password};
pub use validators::Validator;

use std::fmt;

/// Errors attributed to configuration keys, in the order found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `message` against `key`.
    pub fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push((key.into(), message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when no error was recorded.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (_, msg) in &self.0 {
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            f.write_str(msg)?;
        }
        Ok(())
    }
}

/// A connector's or task's typed configuration, parsed from [`crate::Props`] through its
/// [`ConfigDef`].
pub trait ConnectorConfig: Sized + Send + Sync + 'static {
    /// The single source of truth for the keys this config reads.
    fn config_def() -> &'static ConfigDef;

    /// The definition that applies to `props`, for plugins whose keys depend on a setting (a
    /// plugin reproducing two versions of a product). [`Self::config_def`] by default.
    fn config_def_for(props: &crate::Props) -> &'static ConfigDef {
        let _ = props;
        Self::config_def()
    }

    /// Builds the typed config from values that already passed [`ConfigDef::parse`].
    ///
    /// Cross-field rules go here; each error names a field. Must be pure: no I/O.
    ///
    /// # Errors
    /// Every violated rule, each attributed to a key.
    fn from_parsed(parsed: &ParsedConfig) -> Result<Self, FieldErrors>;

    /// Parses `props` in both phases.
    ///
    /// # Errors
    /// Every field error of both phases.
    fn parse(props: &crate::Props) -> Result<Self, FieldErrors> {
        let outcome = Self::config_def_for(props).parse(props);
        let errors = outcome.report.field_errors();
        if !errors.is_empty() {
            return Err(errors);
        }
        Self::from_parsed(&outcome.parsed)
    }
}
