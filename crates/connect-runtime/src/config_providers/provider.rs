//! The three `ConfigProvider`s Kafka ships, with their `configure` and `get(path, keys)`.
//!
//! A provider either answers with the values it found (possibly fewer than asked: the
//! placeholders of the missing ones stay as written), refuses quietly (Kafka logs a warning and
//! returns no data: path outside `allowed.paths`, not a directory, no path), or fails (Kafka
//! throws `ConfigException`: unreadable file, a path given to the environment provider).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use regex::Regex;

use super::allowed_paths::AllowedPaths;
use super::{ConfigProviderError, UnresolvedReason};
use crate::worker_config::{WorkerConfigError, load_properties};

const FILE_CLASS: &str = "org.apache.kafka.common.config.provider.FileConfigProvider";
const DIRECTORY_CLASS: &str = "org.apache.kafka.common.config.provider.DirectoryConfigProvider";
const ENV_VAR_CLASS: &str = "org.apache.kafka.common.config.provider.EnvVarConfigProvider";

/// `FileConfigProvider.ALLOWED_PATHS_CONFIG` (also the directory provider's).
pub(super) const ALLOWED_PATHS_PARAM: &str = "allowed.paths";
/// `EnvVarConfigProvider.ALLOWLIST_PATTERN_CONFIG`.
pub(super) const ALLOWLIST_PATTERN_PARAM: &str = "allowlist.pattern";

/// A configured provider instance.
pub(super) enum Provider {
    File(AllowedPaths),
    Directory(AllowedPaths),
    EnvVar {
        /// The variables the allowlist admits, captured when the provider was configured
        /// (Kafka reads `System.getenv()` once, in the constructor).
        vars: BTreeMap<String, String>,
        /// Names the allowlist refused, kept (without values) only to say why a lookup failed.
        refused: BTreeSet<String>,
    },
}

// The environment holds secrets: only names and counts are ever shown.
impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(allowed) => f.debug_tuple("File").field(allowed).finish(),
            Self::Directory(allowed) => f.debug_tuple("Directory").field(allowed).finish(),
            Self::EnvVar { vars, refused } => f
                .debug_struct("EnvVar")
                .field("allowed_vars", &vars.len())
                .field("refused_vars", &refused.len())
                .finish(),
        }
    }
}

/// What a provider returned for one path.
#[derive(Default)]
pub(super) struct Lookup {
    pub(super) data: BTreeMap<String, String>,
    /// Why the provider returned nothing at all for this path, when it refused quietly.
    pub(super) refusal: Option<UnresolvedReason>,
}

impl Lookup {
    fn refused(reason: UnresolvedReason) -> Self {
        Self {
            data: BTreeMap::new(),
            refusal: Some(reason),
        }
    }
}

impl Provider {
    /// Instantiates `class` (full name or one of the aliases Connect's plugin scanner gives
    /// it: the simple name, and the simple name without its `ConfigProvider` suffix) and
    /// configures it with its `param.*` settings.
    pub(super) fn new(
        name: &str,
        class: &str,
        params: &BTreeMap<String, String>,
        env: &dyn Fn() -> BTreeMap<String, String>,
    ) -> Result<Self, ConfigProviderError> {
        let allowed =
            || AllowedPaths::configure(name, params.get(ALLOWED_PATHS_PARAM).map(String::as_str));
        match class {
            FILE_CLASS | "FileConfigProvider" | "File" => Ok(Self::File(allowed()?)),
            DIRECTORY_CLASS | "DirectoryConfigProvider" | "Directory" => {
                Ok(Self::Directory(allowed()?))
            }
            ENV_VAR_CLASS | "EnvVarConfigProvider" | "EnvVar" => {
                let pattern = match params.get(ALLOWLIST_PATTERN_PARAM) {
                    Some(p) => p.as_str(),
                    None => {
                        tracing::info!(
                            "No pattern for environment variables provided. Using default pattern '(.*)'."
                        );
                        ".*"
                    }
                };
                // `Matcher.matches()`: the whole name must match.
                let re = Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
                    ConfigProviderError::InvalidAllowlistPattern {
                        provider: name.to_owned(),
                        pattern: pattern.to_owned(),
                        reason: e.to_string(),
                    }
                })?;
                let (vars, refused): (BTreeMap<_, _>, BTreeMap<_, _>) =
                    env().into_iter().partition(|(k, _)| re.is_match(k));
                Ok(Self::EnvVar {
                    vars,
                    refused: refused.into_keys().collect(),
                })
            }
            _ => Err(ConfigProviderError::UnknownClass {
                provider: name.to_owned(),
                class: class.to_owned(),
            }),
        }
    }

    /// `ConfigProvider.get(path, keys)`.
    pub(super) fn get(
        &self,
        name: &str,
        path: &str,
        keys: &BTreeSet<String>,
    ) -> Result<Lookup, ConfigProviderError> {
        match self {
            Self::File(allowed) => file_get(name, allowed, path, keys),
            Self::Directory(allowed) => directory_get(name, allowed, path, keys),
            Self::EnvVar { vars, .. } => {
                if !path.is_empty() {
                    return Err(ConfigProviderError::EnvVarPath {
                        provider: name.to_owned(),
                        path: path.to_owned(),
                    });
                }
                let data = keys
                    .iter()
                    .filter_map(|k| vars.get(k).map(|v| (k.clone(), v.clone())))
                    .collect();
                Ok(Lookup {
                    data,
                    refusal: None,
                })
            }
        }
    }

    /// Whether a key this provider did not return was refused by the allowlist rather than
    /// absent.
    pub(super) fn refused_key(&self, key: &str) -> bool {
        matches!(self, Self::EnvVar { refused, .. } if refused.contains(key))
    }
}

/// `FileConfigProvider.get(path, keys)`: `path` is a Java `.properties` file.
fn file_get(
    name: &str,
    allowed: &AllowedPaths,
    path: &str,
    keys: &BTreeSet<String>,
) -> Result<Lookup, ConfigProviderError> {
    if path.is_empty() {
        return Ok(Lookup::refused(UnresolvedReason::NoPath));
    }
    let Some(file) = allowed.parse_untrusted_path(path) else {
        tracing::warn!("The path {path} is not allowed to be accessed");
        return Ok(Lookup::refused(UnresolvedReason::PathNotAllowed));
    };
    let properties = load_properties(&file).map_err(|e| match e {
        WorkerConfigError::Properties { line, message, .. } => ConfigProviderError::FileSyntax {
            provider: name.to_owned(),
            path: path.to_owned(),
            line,
            message,
        },
        other => {
            let source = match other {
                WorkerConfigError::Io { source, .. } => source,
                other => std::io::Error::other(other.to_string()),
            };
            tracing::error!("Could not read properties from file {path}: {source}");
            ConfigProviderError::FileRead {
                provider: name.to_owned(),
                path: path.to_owned(),
                source,
            }
        }
    })?;
    let data = keys
        .iter()
        .filter_map(|k| properties.get(k).map(|v| (k.clone(), v.clone())))
        .collect();
    Ok(Lookup {
        data,
        refusal: None,
    })
}

/// `DirectoryConfigProvider.get(path, keys)`: each key is the name of a regular file (links
/// followed) directly in the directory `path`, its value the whole file as UTF-8, not trimmed.
fn directory_get(
    name: &str,
    allowed: &AllowedPaths,
    path: &str,
    keys: &BTreeSet<String>,
) -> Result<Lookup, ConfigProviderError> {
    if path.is_empty() {
        return Ok(Lookup::refused(UnresolvedReason::NoPath));
    }
    let Some(dir) = allowed.parse_untrusted_path(path) else {
        tracing::warn!("The path {path} is not allowed to be accessed");
        return Ok(Lookup::refused(UnresolvedReason::PathNotAllowed));
    };
    if !dir.is_dir() {
        tracing::warn!("The path {path} is not a directory");
        return Ok(Lookup::refused(UnresolvedReason::NotADirectory));
    }
    let list_error = |source: std::io::Error| {
        tracing::error!("Could not list directory {}: {source}", dir.display());
        ConfigProviderError::DirectoryList {
            provider: name.to_owned(),
            path: dir.display().to_string(),
            source,
        }
    };
    let mut data = BTreeMap::new();
    // Listing, rather than joining `dir` and the key, is what keeps a key such as `../x` from
    // naming a file outside the directory.
    for entry in std::fs::read_dir(&dir).map_err(list_error)? {
        let entry = entry.map_err(list_error)?;
        let Some(file_name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let file = entry.path();
        if !keys.contains(&file_name) || !file.is_file() {
            continue;
        }
        let bytes = std::fs::read(&file).map_err(|source| {
            tracing::error!(
                "Could not read file {} for property {file_name}: {source}",
                file.display()
            );
            ConfigProviderError::DirectoryRead {
                provider: name.to_owned(),
                path: file.display().to_string(),
                key: file_name.clone(),
                source,
            }
        })?;
        // `new String(bytes, UTF_8)` replaces malformed input rather than failing.
        data.insert(file_name, String::from_utf8_lossy(&bytes).into_owned());
    }
    Ok(Lookup {
        data,
        refusal: None,
    })
}
