//! Config providers (KIP-297, KIP-421): `${provider:[path:]key}` placeholders in worker and
//! connector configurations, replaced by secrets read from files, directories or the
//! environment, as Kafka 3.9's `ConfigTransformer` and its three shipped providers do.
//!
//! # Configuration (worker properties)
//! - `config.providers=file,env,dir`: the names placeholders may use.
//! - `config.providers.<name>.class`: `org.apache.kafka.common.config.provider.FileConfigProvider`,
//!   `…DirectoryConfigProvider` or `…EnvVarConfigProvider`, or an alias Connect's plugin
//!   scanner gives them (`FileConfigProvider`/`File`, `DirectoryConfigProvider`/`Directory`,
//!   `EnvVarConfigProvider`/`EnvVar`). A name without a `.class` is no provider: its
//!   placeholders stay as written. Any other class is refused, naming it.
//! - `config.providers.<name>.param.allowed.paths` (file, directory) and
//!   `config.providers.<name>.param.allowlist.pattern` (environment).
//!
//! # Grammar and outcomes (`ConfigTransformer.DEFAULT_PATTERN`)
//! `\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}`: a placeholder ends at the first `}`; the provider is
//! up to the first `:`, the optional path up to the second, the key is the rest (it may hold
//! further colons). Placeholders are not nested and a resolved value is not scanned again.
//! - provider not in `config.providers`, or listed without a class: left as written;
//! - key the provider does not have, file outside `allowed.paths`, directory that is not one,
//!   no path for the file/directory provider, variable refused by `allowlist.pattern`: left as
//!   written (Kafka logs a warning for the path cases only); [`Resolution::unresolved`] says
//!   which and why, so that the caller can log it;
//! - unreadable or missing file, unlistable directory, a path given to the environment
//!   provider: an error ([`ConfigProviderError`]) that fails the whole resolution.
//!
//! No error or log line holds a resolved value: they name the provider, path and keys only.
//!
//! # Where Kafka Connect resolves (for the herder and the worker)
//! - Worker properties, once at startup, before anything reads them
//!   (`WorkerConfig` → `AbstractConfig.resolveConfigVariables`): [`resolve_worker_config`].
//!   The connector-time providers are then built from the resolved properties
//!   ([`ConfigProviders::from_worker_props`], `Worker.initConfigTransformer`).
//! - Connector configs each time they are read to be used: `ClusterConfigState.connectorConfig`
//!   (connector start, task-config generation, task start, offset alteration) and
//!   `AbstractHerder.validateConnectorConfig` (before validating `PUT …/config` and
//!   `…/config/validate`). Files are re-read every time; nothing is cached.
//! - Task configs when a task starts (`ClusterConfigState.taskConfig`).
//! - Never for storage or display: the config topic, `GET /connectors/{c}/config`,
//!   `GET /connectors/{c}` and `GET /connectors/{c}/tasks` use the raw configs. The task
//!   configs a connector generates from its resolved config go through [`reverse_transform`]
//!   before they are written, so that the topic keeps the placeholders.
//!
//! # `config.action.reload` and TTLs
//! Kafka schedules a connector restart (`restart`, the default) when a provider returns a TTL
//! for a path. None of the three shipped providers ever returns one, so Kafka never reloads on
//! its own with them, and neither does Sluice: it keeps no TTLs. A changed secret is picked up
//! at the next connector or task (re)start, because every resolution reads the sources again.
//! [`reload_action`] parses the setting as `WorkerConfigTransformer` does (an invalid value
//! fails connector start).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::LazyLock;

use connect_api::Props;
use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};

mod allowed_paths;
mod provider;
#[cfg(test)]
mod tests;

use provider::{Lookup, Provider};

/// `WorkerConfig.CONFIG_PROVIDERS_CONFIG`.
pub const CONFIG_PROVIDERS_CONFIG: &str = "config.providers";
/// `ConnectorConfig.CONFIG_RELOAD_ACTION_CONFIG`.
pub const CONFIG_RELOAD_ACTION_CONFIG: &str = "config.action.reload";

/// Why config providers could not be set up or a placeholder could not be resolved. Messages
/// start with Kafka's `ConfigException` text and name the provider, path and keys involved;
/// they never hold a resolved value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigProviderError {
    /// `config.providers.<name>.class` names a class Sluice does not implement.
    #[error(
        "Invalid value {class} for configuration config.providers.{provider}.class: Could not load config provider class or one of its dependencies (Sluice implements org.apache.kafka.common.config.provider.FileConfigProvider, DirectoryConfigProvider and EnvVarConfigProvider)"
    )]
    UnknownClass { provider: String, class: String },
    /// An `allowed.paths` entry that is relative or does not exist.
    #[error("Path {path} {reason} (config.providers.{provider}.param.allowed.paths)")]
    InvalidAllowedPath {
        provider: String,
        path: String,
        reason: &'static str,
    },
    /// An `allowlist.pattern` that is not a regular expression Sluice can compile.
    #[error(
        "Invalid value {pattern} for configuration config.providers.{provider}.param.allowlist.pattern: {reason}"
    )]
    InvalidAllowlistPattern {
        provider: String,
        pattern: String,
        reason: String,
    },
    /// The file provider could not open or decode a file.
    #[error("Could not read properties from file {path} (config provider '{provider}'): {source}")]
    FileRead {
        provider: String,
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file provider read a file `java.util.Properties` refuses.
    #[error(
        "Could not read properties from file {path} (config provider '{provider}'): line {line}: {message}"
    )]
    FileSyntax {
        provider: String,
        path: String,
        line: usize,
        message: String,
    },
    /// The directory provider could not list a directory.
    #[error("Could not list directory {path} (config provider '{provider}'): {source}")]
    DirectoryList {
        provider: String,
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The directory provider could not read the file of a key.
    #[error(
        "Could not read file {path} for property {key} (config provider '{provider}'): {source}"
    )]
    DirectoryRead {
        provider: String,
        path: String,
        key: String,
        #[source]
        source: std::io::Error,
    },
    /// A placeholder gave the environment provider a path (`${env:path:KEY}`).
    #[error(
        "Path is not supported for EnvVarConfigProvider, invalid value '{path}' (config provider '{provider}')"
    )]
    EnvVarPath { provider: String, path: String },
    /// `config.action.reload` is neither `none` nor `restart` (Java's `valueOf` failure).
    #[error(
        "No enum constant org.apache.kafka.connect.runtime.Herder.ConfigReloadAction.{value} (config.action.reload)"
    )]
    InvalidReloadAction { value: String },
}

/// One `${provider:[path:]key}` occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub provider: String,
    /// Empty when the placeholder has none (`${env:KEY}`), as Kafka's `EMPTY_PATH`.
    pub path: String,
    pub key: String,
    /// The text as written in the configuration.
    pub text: String,
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why a placeholder was left as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnresolvedReason {
    /// The name is not in `config.providers`: most likely text that merely looks like one.
    ProviderNotConfigured,
    /// The name is in `config.providers` but `config.providers.<name>.class` is not set.
    ProviderWithoutClass,
    /// A file or directory placeholder without a path (`${file:key}`).
    NoPath,
    /// The path lies outside the provider's `allowed.paths`.
    PathNotAllowed,
    /// The directory provider's path is not a directory.
    NotADirectory,
    /// The file, directory or environment has no such key.
    KeyNotFound,
    /// The environment variable exists but `allowlist.pattern` does not admit it.
    NotInAllowlist,
}

impl fmt::Display for UnresolvedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ProviderNotConfigured => "no such provider in config.providers",
            Self::ProviderWithoutClass => {
                "the provider is listed in config.providers but has no class"
            }
            Self::NoPath => "the placeholder names no path",
            Self::PathNotAllowed => "the path is not allowed by allowed.paths",
            Self::NotADirectory => "the path is not a directory",
            Self::KeyNotFound => "the provider has no such key",
            Self::NotInAllowlist => "the variable is not allowed by allowlist.pattern",
        })
    }
}

/// A placeholder left in a resolved configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// The configuration key whose value holds it.
    pub config_key: String,
    pub placeholder: Placeholder,
    pub reason: UnresolvedReason,
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} in '{}' was left unresolved: {}",
            self.placeholder, self.config_key, self.reason
        )
    }
}

/// A resolved configuration and the placeholders that stayed as written.
#[derive(Clone, PartialEq, Eq)]
pub struct Resolution {
    /// Every key of the input, placeholders replaced. Holds secrets: never log or store it.
    pub props: Props,
    pub unresolved: Vec<Unresolved>,
}

// `props` holds secrets: only its keys are shown.
impl fmt::Debug for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolution")
            .field("keys", &self.props.keys().collect::<Vec<_>>())
            .field("unresolved", &self.unresolved)
            .finish()
    }
}

/// `config.action.reload`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadAction {
    None,
    /// The default.
    Restart,
}

/// The worker's configured providers, by name (`WorkerConfigTransformer`).
#[derive(Debug, Default)]
pub struct ConfigProviders {
    /// `None` for a name listed in `config.providers` without a `.class`.
    providers: BTreeMap<String, Option<Provider>>,
}

/// `config.providers` as the worker's `ConfigDef` reads it (type LIST: trimmed, split at
/// commas with the whitespace around them).
static PROVIDERS_LIST_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                CONFIG_PROVIDERS_CONFIG,
                ConfigType::List,
                Importance::Low,
                "Comma-separated names of ConfigProvider classes.",
            )
            .default(""),
        )
        .build()
});

impl ConfigProviders {
    /// The providers `Worker.initConfigTransformer` builds from the worker's properties (pass
    /// the properties [`resolve_worker_config`] returned). The environment provider reads the
    /// process environment now.
    ///
    /// # Errors
    /// A class Sluice does not implement, a bad `allowed.paths` entry or `allowlist.pattern`.
    pub fn from_worker_props(props: &Props) -> Result<Self, ConfigProviderError> {
        Self::from_worker_props_with_env(props, process_env)
    }

    /// [`from_worker_props`](Self::from_worker_props) with the environment the
    /// environment provider sees given by `env` (called once per such provider).
    ///
    /// # Errors
    /// As [`from_worker_props`](Self::from_worker_props).
    pub fn from_worker_props_with_env(
        props: &Props,
        env: impl Fn() -> BTreeMap<String, String>,
    ) -> Result<Self, ConfigProviderError> {
        let names = PROVIDERS_LIST_DEF
            .parse(props)
            .parsed
            .list(CONFIG_PROVIDERS_CONFIG)
            .to_vec();
        Self::build(names, props, &env)
    }

    fn build(
        names: Vec<String>,
        props: &Props,
        env: &dyn Fn() -> BTreeMap<String, String>,
    ) -> Result<Self, ConfigProviderError> {
        let mut providers = BTreeMap::new();
        for name in names {
            let provider = match props.get(&format!("{CONFIG_PROVIDERS_CONFIG}.{name}.class")) {
                None => None,
                Some(class) => {
                    let prefix = format!("{CONFIG_PROVIDERS_CONFIG}.{name}.param.");
                    let params: BTreeMap<String, String> = props
                        .iter()
                        .filter_map(|(k, v)| {
                            k.strip_prefix(&prefix)
                                .filter(|p| !p.is_empty())
                                .map(|p| (p.to_owned(), v.clone()))
                        })
                        .collect();
                    Some(Provider::new(&name, class, &params, env)?)
                }
            };
            providers.insert(name, provider);
        }
        Ok(Self { providers })
    }

    /// Whether no provider is usable (none listed, or none with a class).
    pub fn is_empty(&self) -> bool {
        self.providers.values().all(Option::is_none)
    }

    /// `props` with every resolvable placeholder replaced; `props` itself is untouched.
    ///
    /// # Errors
    /// A provider failed (unreadable file or directory, a path for the environment provider).
    pub fn resolve(&self, props: &Props) -> Result<Props, ConfigProviderError> {
        self.resolve_reporting(props).map(|r| r.props)
    }

    /// As [`resolve`](Self::resolve), also saying which placeholders stayed and why.
    ///
    /// # Errors
    /// As [`resolve`](Self::resolve).
    pub fn resolve_reporting(&self, props: &Props) -> Result<Resolution, ConfigProviderError> {
        // Every (provider, path) is asked once for all its keys, as `ConfigTransformer` does, so
        // one file is read once however many placeholders name it.
        let mut wanted: BTreeMap<&str, BTreeMap<&str, BTreeSet<String>>> = BTreeMap::new();
        for value in props.values() {
            for m in find_placeholders(value) {
                wanted
                    .entry(m.provider)
                    .or_default()
                    .entry(m.path)
                    .or_default()
                    .insert(m.key.to_owned());
            }
        }
        let mut lookups: BTreeMap<&str, BTreeMap<&str, Lookup>> = BTreeMap::new();
        for (name, paths) in wanted {
            if let Some(Some(provider)) = self.providers.get(name) {
                for (path, keys) in paths {
                    let lookup = provider.get(name, path, &keys)?;
                    lookups.entry(name).or_default().insert(path, lookup);
                }
            }
        }
        let mut unresolved = Vec::new();
        let props = props
            .iter()
            .map(|(k, v)| (k.clone(), self.replace(k, v, &lookups, &mut unresolved)))
            .collect();
        Ok(Resolution { props, unresolved })
    }

    /// As [`resolve_reporting`](Self::resolve_reporting) for a connector's configuration
    /// (`WorkerConfigTransformer.transform(connectorName, configs)`): its
    /// `config.action.reload` must also be `none` or `restart`.
    ///
    /// # Errors
    /// As [`resolve`](Self::resolve), or an invalid `config.action.reload`.
    pub fn resolve_connector_config(
        &self,
        props: &Props,
    ) -> Result<Resolution, ConfigProviderError> {
        let resolution = self.resolve_reporting(props)?;
        reload_action(props)?;
        Ok(resolution)
    }

    fn replace(
        &self,
        config_key: &str,
        value: &str,
        lookups: &BTreeMap<&str, BTreeMap<&str, Lookup>>,
        unresolved: &mut Vec<Unresolved>,
    ) -> String {
        let mut out = String::with_capacity(value.len());
        let mut copied_to = 0;
        for m in find_placeholders(value) {
            let mut leave = |reason| {
                unresolved.push(Unresolved {
                    config_key: config_key.to_owned(),
                    placeholder: m.to_placeholder(),
                    reason,
                });
            };
            let Some(by_path) = lookups.get(m.provider) else {
                leave(match self.providers.get(m.provider) {
                    Some(None) => UnresolvedReason::ProviderWithoutClass,
                    _ => UnresolvedReason::ProviderNotConfigured,
                });
                continue;
            };
            out.push_str(&value[copied_to..m.start]);
            let lookup = by_path.get(m.path);
            match lookup.and_then(|l| l.data.get(m.key)) {
                Some(replacement) => out.push_str(replacement),
                None => {
                    out.push_str(m.text);
                    let refused = self
                        .providers
                        .get(m.provider)
                        .and_then(Option::as_ref)
                        .is_some_and(|p| p.refused_key(m.key));
                    leave(match lookup.and_then(|l| l.refusal) {
                        Some(reason) => reason,
                        None if refused => UnresolvedReason::NotInAllowlist,
                        None => UnresolvedReason::KeyNotFound,
                    });
                }
            }
            copied_to = m.end;
        }
        out.push_str(&value[copied_to..]);
        out
    }
}

/// The worker's own properties with their placeholders resolved, as `AbstractConfig` does when
/// `WorkerConfig` is built (KIP-421): with providers built for this one resolution from the same
/// properties. Unlike the connector-time list, `config.providers` is split at commas without
/// trimming here (`String.split(",")`), so `file, env` names ` env`, which has no class.
/// `props` itself is untouched.
///
/// # Errors
/// As [`ConfigProviders::from_worker_props`] and [`ConfigProviders::resolve`].
pub fn resolve_worker_config(props: &Props) -> Result<Resolution, ConfigProviderError> {
    resolve_worker_config_with_env(props, process_env)
}

/// [`resolve_worker_config`] with the environment given by `env`.
///
/// # Errors
/// As [`resolve_worker_config`].
pub fn resolve_worker_config_with_env(
    props: &Props,
    env: impl Fn() -> BTreeMap<String, String>,
) -> Result<Resolution, ConfigProviderError> {
    let names = props
        .get(CONFIG_PROVIDERS_CONFIG)
        .map(|v| {
            allowed_paths::java_split_comma(v)
                .into_iter()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let providers = ConfigProviders::build(names, props, &env)?;
    if providers.is_empty() {
        return Ok(Resolution {
            props: props.clone(),
            unresolved: Vec::new(),
        });
    }
    providers.resolve_reporting(props)
}

/// `AbstractHerder.reverseTransform`: task configs generated from a resolved connector config,
/// with the value of every key that holds a placeholder in the raw connector config put back to
/// the raw value, so that the config topic never receives the secret. (As in Kafka, a secret a
/// connector copies under another key is not caught.)
pub fn reverse_transform(raw_connector_config: &Props, task_configs: &[Props]) -> Vec<Props> {
    let keys = keys_with_variable_values(raw_connector_config);
    task_configs
        .iter()
        .map(|task| {
            let mut task = task.clone();
            for key in &keys {
                if let (Some(value), Some(raw)) =
                    (task.get_mut(*key), raw_connector_config.get(*key))
                {
                    value.clone_from(raw);
                }
            }
            task
        })
        .collect()
}

/// `AbstractHerder.keysWithVariableValues`: the keys whose value holds a placeholder.
pub fn keys_with_variable_values(props: &Props) -> BTreeSet<&str> {
    props
        .iter()
        .filter(|(_, v)| !find_placeholders(v).is_empty())
        .map(|(k, _)| k.as_str())
        .collect()
}

/// The placeholders in a value, in order.
pub fn placeholders(value: &str) -> Vec<Placeholder> {
    find_placeholders(value)
        .iter()
        .map(PlaceholderMatch::to_placeholder)
        .collect()
}

/// `config.action.reload` as `WorkerConfigTransformer` reads it: trimmed, case-insensitive,
/// `restart` when absent.
///
/// # Errors
/// Any other value, as Java's `ConfigReloadAction.valueOf` throws.
pub fn reload_action(props: &Props) -> Result<ReloadAction, ConfigProviderError> {
    let Some(raw) = props.get(CONFIG_RELOAD_ACTION_CONFIG) else {
        return Ok(ReloadAction::Restart);
    };
    let upper = raw.trim().to_uppercase();
    match upper.as_str() {
        "NONE" => Ok(ReloadAction::None),
        "RESTART" => Ok(ReloadAction::Restart),
        _ => Err(ConfigProviderError::InvalidReloadAction { value: upper }),
    }
}

fn process_env() -> BTreeMap<String, String> {
    std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect()
}

/// One match of `ConfigTransformer.DEFAULT_PATTERN`, borrowing from the scanned value.
#[derive(Debug)]
struct PlaceholderMatch<'a> {
    start: usize,
    end: usize,
    text: &'a str,
    provider: &'a str,
    path: &'a str,
    key: &'a str,
}

impl PlaceholderMatch<'_> {
    fn to_placeholder(&self) -> Placeholder {
        Placeholder {
            provider: self.provider.to_owned(),
            path: self.path.to_owned(),
            key: self.key.to_owned(),
            text: self.text.to_owned(),
        }
    }
}

/// The successive matches `Matcher.find()` gives for
/// `\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}`. No group can cross a `}`, so a match starting at a
/// `${` spans to the first `}` after it, and exists when that body holds a `:`; the lazy groups
/// then cut the body at its first `:` (provider) and, when there is one, its second (path).
/// When a `${` has no such body, the search resumes one character later, as `find` does.
fn find_placeholders(value: &str) -> Vec<PlaceholderMatch<'_>> {
    let mut matches = Vec::new();
    let mut from = 0;
    while let Some(offset) = value[from..].find("${") {
        let start = from + offset;
        let body_start = start + 2;
        let Some(close) = value[body_start..].find('}') else {
            break;
        };
        let body_end = body_start + close;
        let body = &value[body_start..body_end];
        let Some((provider, rest)) = body.split_once(':') else {
            from = start + 1;
            continue;
        };
        let (path, key) = rest.split_once(':').unwrap_or(("", rest));
        matches.push(PlaceholderMatch {
            start,
            end: body_end + 1,
            text: &value[start..=body_end],
            provider,
            path,
            key,
        });
        from = body_end + 1;
    }
    matches
}
