use serde::Serialize;

use super::{ConfigDef, ConfigKey, FieldErrors};

/// The per-key outcome of validating a config (`ConfigValueInfo`), in definition order.
#[derive(Debug, Clone, Default)]
pub struct ConfigReport {
    pub values: Vec<ConfigValueInfo>,
}

impl ConfigReport {
    /// Total number of error messages (Kafka's `error_count`: a key may contribute several).
    pub fn error_count(&self) -> usize {
        self.values.iter().map(|v| v.errors.len()).sum()
    }

    /// Every error, attributed to its key.
    pub fn field_errors(&self) -> FieldErrors {
        FieldErrors(
            self.values
                .iter()
                .flat_map(|v| v.errors.iter().map(|e| (v.name.clone(), e.clone())))
                .collect(),
        )
    }

    /// Adds errors from a later phase (`from_parsed`) to the keys they name; an error for a key
    /// not in the report gets an entry of its own.
    pub fn add_errors(&mut self, errors: &FieldErrors) {
        for (key, msg) in &errors.0 {
            match self.values.iter_mut().find(|v| v.name == *key) {
                Some(v) => {
                    if !v.errors.contains(msg) {
                        v.errors.push(msg.clone());
                    }
                }
                None => self.values.push(ConfigValueInfo {
                    name: key.clone(),
                    value: None,
                    recommended_values: Vec::new(),
                    errors: vec![msg.clone()],
                    visible: true,
                }),
            }
        }
    }

    /// Appends the entries of `other` (a later definition: framework keys, converter keys).
    pub fn extend(&mut self, other: ConfigReport) {
        self.values.extend(other.values);
    }
}

/// Mirrors `ConfigValueInfo`; field order is Kafka's.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConfigValueInfo {
    pub name: String,
    pub value: Option<String>,
    pub recommended_values: Vec<String>,
    pub errors: Vec<String>,
    pub visible: bool,
}

/// Mirrors `ConfigKeyInfo`; field order is Kafka's (`order` last: Jackson writes the getter
/// after the creator parameters).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConfigKeyInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub config_type: String,
    pub required: bool,
    pub default_value: Option<String>,
    pub importance: String,
    pub documentation: String,
    pub group: Option<String>,
    pub width: String,
    pub display_name: String,
    pub dependents: Vec<String>,
    pub order: i32,
}

impl From<&ConfigKey> for ConfigKeyInfo {
    fn from(k: &ConfigKey) -> Self {
        Self {
            name: k.name.clone(),
            config_type: k.config_type.as_str().to_owned(),
            required: k.is_required(),
            default_value: k.default_string(),
            importance: k.importance.as_str().to_owned(),
            documentation: k.documentation.clone(),
            group: k.group.clone(),
            width: k.width.as_str().to_owned(),
            display_name: k.display_name.clone(),
            dependents: k.dependents.clone(),
            order: k.order_in_group,
        }
    }
}

/// Mirrors `ConfigInfo`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConfigInfo {
    pub definition: Option<ConfigKeyInfo>,
    pub value: Option<ConfigValueInfo>,
}

/// Mirrors `ConfigInfos`, the body of `PUT /connector-plugins/{p}/config/validate`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConfigInfos {
    pub name: String,
    pub error_count: usize,
    pub groups: Vec<String>,
    pub configs: Vec<ConfigInfo>,
}

impl ConfigInfos {
    /// Builds the validate response for a definition and its report. Report entries for keys the
    /// definition does not know come first with `definition: null`, as in Kafka.
    pub fn new(name: impl Into<String>, def: &ConfigDef, report: &ConfigReport) -> Self {
        let mut configs = Vec::with_capacity(report.values.len());
        let listed = |name: &str| def.key(name).is_some_and(|k| !k.unlisted);
        for v in report
            .values
            .iter()
            .filter(|v| !listed(&v.name) && (def.key(&v.name).is_none() || !v.errors.is_empty()))
        {
            configs.push(ConfigInfo {
                definition: None,
                value: Some(v.clone()),
            });
        }
        for key in def.keys().iter().filter(|k| !k.unlisted) {
            let value = report.values.iter().find(|v| v.name == key.name).cloned();
            configs.push(ConfigInfo {
                definition: Some(key.into()),
                value,
            });
        }
        Self {
            name: name.into(),
            error_count: report.error_count(),
            groups: def.groups().to_vec(),
            configs,
        }
    }
}

impl ConfigDef {
    /// The body of `GET /connector-plugins/{p}/config`.
    pub fn key_infos(&self) -> Vec<ConfigKeyInfo> {
        self.keys()
            .iter()
            .filter(|k| !k.unlisted)
            .map(Into::into)
            .collect()
    }
}
