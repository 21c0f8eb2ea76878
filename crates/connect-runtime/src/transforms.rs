//! A connector's transformation chain: Kafka's `ConnectorConfig.transformations()`,
//! `TransformationStage` and `TransformationChain`, and the `ConnectorConfig.enrich` step that
//! adds each alias's keys to the definition `/config/validate` reports.
//!
//! The chain is built from the same properties at validation, at connector start and at task
//! start, so a configuration the worker accepted over REST and one read back from the config
//! topic obey the same rules: a transform Sluice lacks fails the connector with a trace that
//! names it; it never runs without it.

use std::fmt;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, DefaultValue, Importance, Width};
use connect_api::{
    ConnectError, ConnectRecord, FieldErrors, Predicate, Props, RecordOffset, SinkRecord,
    SourcePartition, SourceRecord, Transformation,
};

use crate::registry::PluginRegistry;

/// The keys every transformation gets implicitly (`PredicatedTransformation`).
const PREDICATE_KEY: &str = "predicate";
const NEGATE_KEY: &str = "negate";

/// Kafka's `List` parsing of `transforms` / `predicates`: comma-separated, trimmed, an empty
/// value is an empty list.
fn aliases(props: &Props, key: &str) -> Vec<String> {
    match props.get(key).map(|v| v.trim()) {
        None | Some("") => Vec::new(),
        Some(v) => v.split(',').map(|a| a.trim().to_owned()).collect(),
    }
}

/// `aliases` without repeats, first occurrence first (`LinkedHashSet`).
fn unique(aliases: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(aliases.len());
    for a in aliases {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// The properties under `prefix`, prefix stripped (`originalsWithPrefix`).
fn with_prefix(props: &Props, prefix: &str) -> Props {
    props
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_owned(), v.clone())))
        .collect()
}

/// Kafka's `ConfigException(name, value, message)` text.
fn invalid(key: &str, value: &str, reason: &str) -> String {
    format!("Invalid value {value} for configuration {key}: {reason}")
}

/// The transformation and predicate keys of a connector config, added to `base` as
/// `ConnectorConfig.enrich(…, requireFullConfig=false)` adds them, with the errors of the
/// `…type` keys (their class validators) and of duplicate aliases.
pub fn enrich(
    registry: &PluginRegistry,
    base: &ConfigDef,
    props: &Props,
) -> (ConfigDef, FieldErrors) {
    let mut def = base.clone();
    let mut errors = FieldErrors::new();
    for (list_key, kind) in [
        ("transforms", Kind::Transformation),
        ("predicates", Kind::Predicate),
    ] {
        let all = aliases(props, list_key);
        let distinct = unique(all.clone());
        if distinct.len() < all.len() {
            errors.push(
                list_key,
                invalid(
                    list_key,
                    &format!("[{}]", all.join(", ")),
                    "Duplicate alias provided.",
                ),
            );
        }
        for alias in distinct {
            let prefix = format!("{list_key}.{alias}.");
            let group = format!("{}: {alias}", kind.group());
            let type_key = format!("{prefix}type");
            let mut key = ConfigKey::new(
                &type_key,
                ConfigType::Class,
                Importance::High,
                format!("Class for the '{alias}' {}.", kind.lower()),
            )
            .width(Width::Long)
            .display_name(format!("{} type for {alias}", kind.name()));
            key.default = DefaultValue::Required;
            key.group = Some(group.clone());
            key.order_in_group = 0;
            key.recommended = kind.classes(registry);
            def = def.with_key(key);
            let Some(class) = props
                .get(&type_key)
                .map(|c| c.trim())
                .filter(|c| !c.is_empty())
            else {
                // The required-key error comes from parsing the enriched definition.
                continue;
            };
            let child = match kind.config_def(registry, &type_key, class) {
                Ok(child) => child,
                Err(reason) => {
                    errors.push(&type_key, reason);
                    continue;
                }
            };
            if kind == Kind::Transformation {
                let negate = format!("{prefix}{NEGATE_KEY}");
                let predicate = format!("{prefix}{PREDICATE_KEY}");
                if props.contains_key(&negate) && !props.contains_key(&predicate) {
                    errors.push(
                        &type_key,
                        format!("Config '{negate}' was provided but there is no config '{predicate}' defining a predicate to be negated."),
                    );
                }
            }
            def = def.embed(&prefix, &group, 1, &child);
        }
    }
    (def, errors)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Transformation,
    Predicate,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Transformation => "Transformation",
            Self::Predicate => "Predicate",
        }
    }

    fn lower(self) -> &'static str {
        match self {
            Self::Transformation => "transformation",
            Self::Predicate => "predicate",
        }
    }

    fn group(self) -> &'static str {
        match self {
            Self::Transformation => "Transforms",
            Self::Predicate => "Predicates",
        }
    }

    /// Every class of this kind, sorted (Kafka's `ClassRecommender` over a sorted plugin set).
    fn classes(self, registry: &PluginRegistry) -> Vec<String> {
        let mut out: Vec<String> = match self {
            Self::Transformation => registry
                .transformations()
                .iter()
                .map(|p| p.descriptor().class.to_owned())
                .collect(),
            Self::Predicate => registry
                .predicates()
                .iter()
                .map(|p| p.descriptor().class.to_owned())
                .collect(),
        };
        out.sort();
        out
    }

    /// The definition embedded under the alias, or the type key's error.
    fn config_def(
        self,
        registry: &PluginRegistry,
        type_key: &str,
        class: &str,
    ) -> Result<ConfigDef, String> {
        match self {
            Self::Transformation => match registry.transformation(class) {
                Some(p) => {
                    let implicit = ConfigDef::builder()
                        .define(
                            ConfigKey::new(
                                PREDICATE_KEY,
                                ConfigType::String,
                                Importance::Medium,
                                "The alias of a predicate used to determine whether to apply this transformation.",
                            )
                            .default(""),
                        )
                        .define(
                            ConfigKey::new(
                                NEGATE_KEY,
                                ConfigType::Boolean,
                                Importance::Medium,
                                "Whether the configured predicate should be negated.",
                            )
                            .default("false"),
                        )
                        .build();
                    // The implicit keys mask a transform's own keys of the same name.
                    Ok(implicit.merged_with(p.config_def()))
                }
                None => Err(self.unknown(registry, type_key, class)),
            },
            Self::Predicate => match registry.predicate(class) {
                Some(p) => Ok(p.config_def().clone()),
                None => Err(self.unknown(registry, type_key, class)),
            },
        }
    }

    /// Kafka's type-key error for a class that is not of this kind (its validator's
    /// `ConfigException(key, String.valueOf(cls), …)`), or not there at all (`parseType`).
    fn unknown(self, registry: &PluginRegistry, type_key: &str, class: &str) -> String {
        if registry.knows_class(class) {
            invalid(
                type_key,
                &format!("class {class}"),
                &format!("Not a {}", self.name()),
            )
        } else {
            invalid(
                type_key,
                class,
                &format!("Class {class} could not be found."),
            )
        }
    }
}

/// One alias of the chain (`TransformationStage`).
struct Stage {
    class: String,
    transform: Box<dyn Transformation>,
    predicate: Option<(Box<dyn Predicate>, bool)>,
}

/// A transform that failed on a record: the stage's class (for `errors.log.*` and the DLQ's
/// `__connect.errors.class.name`) and the error.
#[derive(Debug)]
pub struct StageFailure {
    pub class: String,
    pub error: ConnectError,
}

/// A task's transformations, in order. Each task builds its own: instances keep schema caches.
#[derive(Default)]
pub struct TransformChain {
    stages: Vec<Stage>,
}

impl fmt::Debug for TransformChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.stages.iter().map(|s| &s.class))
            .finish()
    }
}

impl TransformChain {
    /// Builds the chain a connector config names (`ConnectorConfig.transformations()`).
    ///
    /// # Errors
    /// A fatal error naming the alias and class when a transform or predicate is unknown to
    /// this binary or refuses its configuration.
    pub fn from_config(registry: &PluginRegistry, config: &Props) -> Result<Self, ConnectError> {
        let (_, errors) = enrich(registry, &ConfigDef::default(), config);
        if !errors.is_empty() {
            return Err(ConnectError::Config(errors));
        }
        let predicate_aliases = aliases(config, "predicates");
        let mut stages = Vec::new();
        for alias in aliases(config, "transforms") {
            let prefix = format!("transforms.{alias}.");
            let type_key = format!("{prefix}type");
            let Some(class) = config.get(&type_key).map(|c| c.trim().to_owned()) else {
                return Err(ConnectError::fatal(format!(
                    "Missing required configuration \"{type_key}\" which has no default value."
                )));
            };
            let plugin = registry.transformation(&class).ok_or_else(|| {
                ConnectError::fatal(Kind::Transformation.unknown(registry, &type_key, &class))
            })?;
            let mut own = with_prefix(config, &prefix);
            let predicate_alias = own.remove(PREDICATE_KEY).filter(|p| !p.is_empty());
            let negate = own
                .remove(NEGATE_KEY)
                .is_some_and(|n| n.trim().eq_ignore_ascii_case("true"));
            let transform = plugin
                .create(&own)
                .map_err(|e| stage_error(&alias, &class, e))?;
            let predicate = match predicate_alias {
                None => None,
                Some(p) => {
                    let p_type = format!("predicates.{p}.type");
                    if !predicate_aliases.contains(&p) {
                        return Err(ConnectError::fatal(format!(
                            "Unknown configuration '{p_type}'"
                        )));
                    }
                    let Some(p_class) = config.get(&p_type).map(|c| c.trim().to_owned()) else {
                        return Err(ConnectError::fatal(format!(
                            "Missing required configuration \"{p_type}\" which has no default value."
                        )));
                    };
                    let plugin = registry.predicate(&p_class).ok_or_else(|| {
                        ConnectError::fatal(Kind::Predicate.unknown(registry, &p_type, &p_class))
                    })?;
                    let instance = plugin
                        .create(&with_prefix(config, &format!("predicates.{p}.")))
                        .map_err(|e| stage_error(&p, &p_class, e))?;
                    Some((instance, negate))
                }
            };
            stages.push(Stage {
                class: plugin.descriptor().class.to_owned(),
                transform,
                predicate,
            });
        }
        Ok(Self { stages })
    }

    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// Runs the record through every stage (`TransformationChain.apply`): a stage whose
    /// predicate does not match passes the record on unchanged; `None` from a stage drops it.
    ///
    /// # Errors
    /// The first stage that failed, with its class.
    pub fn apply(
        &mut self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, StageFailure> {
        for stage in &mut self.stages {
            let fire = match &mut stage.predicate {
                None => true,
                Some((p, negate)) => match p.test(&record) {
                    Ok(matched) => matched != *negate,
                    Err(error) => {
                        return Err(StageFailure {
                            class: stage.class.clone(),
                            error,
                        });
                    }
                },
            };
            if !fire {
                continue;
            }
            match stage.transform.apply(record) {
                Ok(Some(next)) => record = next,
                Ok(None) => return Ok(None),
                Err(error) => {
                    return Err(StageFailure {
                        class: stage.class.clone(),
                        error,
                    });
                }
            }
        }
        Ok(Some(record))
    }

    /// A polled source record through the chain, for the producer: the result carries no
    /// source partition or offset (they stay with the polled record, which the runner keeps
    /// for `commit_record` and the offset). With `keep_polled` the chain works on a copy;
    /// without it the key, value and headers move out of the polled record, sparing a copy
    /// of every record for tasks that do not read what `commit_record` is given.
    ///
    /// # Errors
    /// As [`Self::apply`].
    pub fn apply_source(
        &mut self,
        polled: &mut SourceRecord,
        keep_polled: bool,
    ) -> Result<Option<SourceRecord>, StageFailure> {
        let input = if keep_polled {
            ConnectRecord::from_source(polled)
        } else {
            ConnectRecord::take_from_source(polled)
        };
        Ok(self.apply(input)?.map(|r| SourceRecord {
            source_partition: SourcePartition::default(),
            source_offset: RecordOffset::default(),
            topic: r.topic,
            kafka_partition: r.kafka_partition,
            key: r.key,
            value: r.value,
            timestamp: r.timestamp,
            headers: r.headers,
        }))
    }

    /// A sink record through the chain. A transformed record carries no raw bytes: byte fast
    /// paths (schemaless JSON written back as read) must not bypass a transform.
    ///
    /// # Errors
    /// As [`Self::apply`].
    pub fn apply_sink(&mut self, record: SinkRecord) -> Result<Option<SinkRecord>, StageFailure> {
        let (offset, partition, timestamp_type) = (
            record.kafka_offset,
            record.kafka_partition,
            record.timestamp_type,
        );
        let input = ConnectRecord {
            topic: record.topic,
            kafka_partition: Some(partition),
            key: record.key,
            value: record.value,
            timestamp: record.timestamp,
            headers: record.headers,
            kafka_offset: Some(offset),
            is_sink: true,
        };
        Ok(self.apply(input)?.map(|r| SinkRecord {
            topic: r.topic,
            kafka_partition: r.kafka_partition.unwrap_or(partition),
            kafka_offset: offset,
            key: r.key,
            value: r.value,
            timestamp: r.timestamp,
            timestamp_type,
            headers: r.headers,
            raw_key: None,
            raw_value: None,
        }))
    }
}

/// A transform or predicate that refused its configuration, named in the task's trace.
fn stage_error(alias: &str, class: &str, e: ConnectError) -> ConnectError {
    ConnectError::fatal_with(
        format!("The configuration of '{alias}' ({class}) is invalid"),
        e,
    )
}

#[cfg(test)]
mod tests;
