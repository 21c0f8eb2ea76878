//! `allowed.paths` of the file and directory providers, checked as Kafka's
//! `org.apache.kafka.common.config.internals.AllowedPaths` checks it: lexically.
//!
//! Kafka normalises with `java.nio.file.Path.normalize()` (drops `.`, folds `..` into its parent
//! without looking at the disk) and compares whole components with `Path.startsWith`. It never
//! resolves symbolic links: a link inside an allowed directory is followed to wherever it points,
//! and a path that reaches an allowed directory only through a link is refused. Sluice keeps that
//! behaviour so that a worker configuration means the same thing under both.

use std::path::{Component, Path, PathBuf};

use connect_api::java;

use super::ConfigProviderError;

/// The parsed `allowed.paths`: `None` when the parameter is absent or empty (every path allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AllowedPaths(Option<Vec<PathBuf>>);

impl AllowedPaths {
    /// `AllowedPaths(String configValue)`: every comma-separated entry (not trimmed, as
    /// `String.split(",")` does not trim) must be absolute and exist once normalised.
    pub(super) fn configure(
        provider: &str,
        value: Option<&str>,
    ) -> Result<Self, ConfigProviderError> {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return Ok(Self(None));
        };
        let mut allowed = Vec::new();
        for entry in java::split(value, ',') {
            let normalised = java_normalize(Path::new(entry));
            let reason = if !normalised.is_absolute() {
                "is not absolute"
            } else if !normalised.exists() {
                "does not exist"
            } else {
                allowed.push(normalised);
                continue;
            };
            return Err(ConfigProviderError::InvalidAllowedPath {
                provider: provider.to_owned(),
                path: normalised.display().to_string(),
                reason,
            });
        }
        Ok(Self(Some(allowed)))
    }

    /// `parseUntrustedPath`: the path to open, or `None` when it lies outside every allowed path.
    /// With no `allowed.paths` the path is used as given (not normalised), as in Kafka.
    pub(super) fn parse_untrusted_path(&self, path: &str) -> Option<PathBuf> {
        let parsed = PathBuf::from(path);
        let Some(allowed) = &self.0 else {
            return Some(parsed);
        };
        let normalised = java_normalize(&parsed);
        allowed
            .iter()
            .any(|a| normalised.starts_with(a))
            .then_some(normalised)
    }
}

/// Kafka's reading of a comma-separated worker setting (`config.providers`,
/// `AbstractConfig.instantiateConfigProviders`): nothing when empty, else `String.split(",")`
/// ([`java::split`]: trailing empty entries dropped, inner ones kept, none trimmed).
pub(super) fn java_split_comma(value: &str) -> Vec<&str> {
    if value.is_empty() {
        return Vec::new();
    }
    java::split(value, ',')
}

/// `UnixPath.normalize()`: `.` removed, `name/..` folded, `..` directly under the root dropped,
/// leading `..` of a relative path kept. Purely textual.
fn java_normalize(path: &Path) -> PathBuf {
    let mut root: Option<Component<'_>> = None;
    let mut parts: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => root = Some(component),
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                _ if root.is_some() => {}
                _ => parts.push(component),
            },
            Component::Normal(_) => parts.push(component),
        }
    }
    root.into_iter().chain(parts).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_folds_dot_dot_without_touching_the_disk() {
        let n = |p: &str| java_normalize(Path::new(p)).display().to_string();
        assert_eq!(n("/a/b/../c"), "/a/c");
        assert_eq!(n("/a/./b/"), "/a/b");
        assert_eq!(n("/../../etc/passwd"), "/etc/passwd");
        assert_eq!(n("a/../../b"), "../b");
        assert_eq!(n("../a/.."), "..");
        assert_eq!(n("//a//b"), "/a/b");
        assert_eq!(n(""), "");
    }

    #[test]
    fn java_split_drops_trailing_empty_entries_only() {
        assert_eq!(java_split_comma("/a,,/b,,"), vec!["/a", "", "/b"]);
        assert_eq!(java_split_comma(","), Vec::<&str>::new());
        // Kafka checks for an empty value before splitting, where Java's split would give [""].
        assert_eq!(java_split_comma(""), Vec::<&str>::new());
        assert_eq!(java_split_comma("/a, /b"), vec!["/a", " /b"]);
    }

    #[test]
    fn a_sibling_directory_sharing_a_name_prefix_is_not_inside() {
        let dir = tempfile::tempdir().unwrap();
        let allowed_dir = dir.path().join("secrets");
        std::fs::create_dir(&allowed_dir).unwrap();
        let allowed = AllowedPaths::configure("file", Some(allowed_dir.to_str().unwrap())).unwrap();
        let sibling = format!("{}-other/x", allowed_dir.display());
        assert_eq!(allowed.parse_untrusted_path(&sibling), None);
        let inside = format!("{}/x", allowed_dir.display());
        assert_eq!(
            allowed.parse_untrusted_path(&inside),
            Some(PathBuf::from(&inside))
        );
    }

    #[test]
    fn an_empty_list_after_splitting_allows_nothing() {
        let allowed = AllowedPaths::configure("file", Some(",")).unwrap();
        assert_eq!(allowed.parse_untrusted_path("/etc/passwd"), None);
    }

    #[test]
    fn no_allowed_paths_uses_the_path_as_given() {
        let allowed = AllowedPaths::configure("file", Some("")).unwrap();
        assert_eq!(
            allowed.parse_untrusted_path("x/../y"),
            Some(PathBuf::from("x/../y"))
        );
    }
}
