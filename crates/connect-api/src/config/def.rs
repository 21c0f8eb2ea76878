use std::collections::HashMap;

use super::{ConfigType, Validator};

/// `ConfigDef.Importance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importance {
    High,
    Medium,
    Low,
}

impl Importance {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "HIGH",
            Self::Medium => "MEDIUM",
            Self::Low => "LOW",
        }
    }
}

/// `ConfigDef.Width`: a UI hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    None,
    Short,
    Medium,
    Long,
}

impl Width {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Short => "SHORT",
            Self::Medium => "MEDIUM",
            Self::Long => "LONG",
        }
    }
}

/// The default of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultValue {
    /// No default: the key is required (`NO_DEFAULT_VALUE`).
    Required,
    /// Optional, defaulting to `null`.
    Null,
    /// Optional, with this default (in Kafka's string form).
    Value(String),
}

/// One key of a [`ConfigDef`] (`ConfigDef.ConfigKey`).
#[derive(Debug, Clone)]
pub struct ConfigKey {
    pub name: String,
    pub config_type: ConfigType,
    pub default: DefaultValue,
    pub importance: Importance,
    pub documentation: String,
    pub group: Option<String>,
    pub order_in_group: i32,
    pub width: Width,
    pub display_name: String,
    pub dependents: Vec<String>,
    pub validator: Option<Validator>,
    /// Static recommended values (shown as `recommended_values` by `/config/validate`).
    pub recommended: Vec<String>,
    /// Parsed like any key but not listed by `/config` and `/config/validate`: a setting the
    /// plugin reads that the product it reproduces does not declare in its definition.
    pub unlisted: bool,
}

impl ConfigKey {
    /// A key with a `null` default; chain [`Self::required`] or [`Self::default`] to change that.
    pub fn new(
        name: impl Into<String>,
        config_type: ConfigType,
        importance: Importance,
        documentation: impl Into<String>,
    ) -> Self {
        let name = name.into();
        Self {
            display_name: name.clone(),
            name,
            config_type,
            default: DefaultValue::Null,
            importance,
            documentation: documentation.into(),
            group: None,
            order_in_group: -1,
            width: Width::None,
            dependents: Vec::new(),
            validator: None,
            recommended: Vec::new(),
            unlisted: false,
        }
    }

    #[must_use]
    pub fn unlisted(mut self) -> Self {
        self.unlisted = true;
        self
    }

    #[must_use]
    pub fn required(mut self) -> Self {
        self.default = DefaultValue::Required;
        self
    }

    #[must_use]
    pub fn default(mut self, value: impl Into<String>) -> Self {
        self.default = DefaultValue::Value(value.into());
        self
    }

    #[must_use]
    pub fn validator(mut self, validator: Validator) -> Self {
        self.validator = Some(validator);
        self
    }

    /// Places the key in `group` at `order`, for definitions whose numbering is not one
    /// counter per group (Kafka's `ConnectorConfig` numbers Common, Transforms and Predicates
    /// with one counter). Define such keys without [`ConfigDefBuilder::group`].
    #[must_use]
    pub fn in_group(mut self, group: &str, order: i32) -> Self {
        self.group = Some(group.to_owned());
        self.order_in_group = order;
        self
    }

    #[must_use]
    pub fn width(mut self, width: Width) -> Self {
        self.width = width;
        self
    }

    #[must_use]
    pub fn display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = display_name.into();
        self
    }

    #[must_use]
    pub fn recommended(mut self, values: &[&str]) -> Self {
        self.recommended = values.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    #[must_use]
    pub fn dependents(mut self, keys: &[&str]) -> Self {
        self.dependents = keys.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// `true` when the key has no default (`required` in `ConfigKeyInfo`).
    pub fn is_required(&self) -> bool {
        self.default == DefaultValue::Required
    }

    /// The default as `ConfigKeyInfo.default_value` renders it.
    pub fn default_string(&self) -> Option<String> {
        match &self.default {
            DefaultValue::Value(v) if self.config_type == ConfigType::Password => {
                Some(if v.is_empty() {
                    String::new()
                } else {
                    "[hidden]".to_owned()
                })
            }
            DefaultValue::Value(v) => Some(v.clone()),
            _ => None,
        }
    }
}

/// A plugin's (or the worker's) configuration definition (`ConfigDef`).
#[derive(Debug, Clone, Default)]
pub struct ConfigDef {
    keys: Vec<ConfigKey>,
    index: HashMap<String, usize>,
    groups: Vec<String>,
}

impl ConfigDef {
    pub fn builder() -> ConfigDefBuilder {
        ConfigDefBuilder::default()
    }

    /// Keys in definition order.
    pub fn keys(&self) -> &[ConfigKey] {
        &self.keys
    }

    pub fn key(&self, name: &str) -> Option<&ConfigKey> {
        self.index.get(name).map(|&i| &self.keys[i])
    }

    /// Groups in first-defined order.
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// A definition with `other`'s keys appended after this one's; a key defined in both keeps
    /// this definition (a plugin overriding a framework key).
    #[must_use]
    pub fn merged_with(&self, other: &ConfigDef) -> ConfigDef {
        let mut b = ConfigDefBuilder {
            def: self.clone(),
            current_group: None,
            next_order: 0,
        };
        for key in &other.keys {
            if !b.def.index.contains_key(&key.name) {
                b = b.define_raw(key.clone());
            }
        }
        b.def
    }
}

impl ConfigDef {
    /// Keys in Kafka's `sortedConfigs` order: by group (first-defined first, ungrouped keys
    /// before grouped ones), then order in group, then keys without a default, then importance,
    /// then name.
    pub fn sorted_keys(&self) -> Vec<&ConfigKey> {
        let group_ord = |g: &Option<String>| {
            g.as_ref()
                .and_then(|g| self.groups.iter().position(|x| x == g))
        };
        let rank = |i: Importance| match i {
            Importance::High => 0,
            Importance::Medium => 1,
            Importance::Low => 2,
        };
        let mut keys: Vec<&ConfigKey> = self.keys.iter().collect();
        keys.sort_by(|a, b| {
            let by_group = match (&a.group, &b.group) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Less,
                (Some(_), None) => std::cmp::Ordering::Greater,
                _ => group_ord(&a.group).cmp(&group_ord(&b.group)),
            };
            by_group
                .then(a.order_in_group.cmp(&b.order_in_group))
                .then(b.is_required().cmp(&a.is_required()))
                .then(rank(a.importance).cmp(&rank(b.importance)))
                .then(a.name.cmp(&b.name))
        });
        keys
    }

    /// Appends `child`'s keys under `prefix` (`ConfigDef.embed`): each key is renamed
    /// `prefix + name`, its group becomes `group` (or `group: <own group>`), and keys are
    /// numbered from `start_order` in `child`'s sorted order. A name already defined here
    /// keeps its first definition.
    #[must_use]
    pub fn embed(&self, prefix: &str, group: &str, start_order: i32, child: &ConfigDef) -> Self {
        let mut b = ConfigDefBuilder {
            def: self.clone(),
            current_group: None,
            next_order: 0,
        };
        for (order, key) in (start_order..).zip(child.sorted_keys()) {
            let mut key = key.clone();
            key.name = format!("{prefix}{}", key.name);
            key.group = Some(match &key.group {
                Some(own) => format!("{group}: {own}"),
                None => group.to_owned(),
            });
            key.order_in_group = order;
            key.dependents = key
                .dependents
                .iter()
                .map(|d| format!("{prefix}{d}"))
                .collect();
            if !b.def.index.contains_key(&key.name) {
                b = b.define_raw(key);
            }
        }
        b.def
    }

    /// A definition with `key` appended (group and order as set on it); a name already
    /// defined keeps its first definition.
    #[must_use]
    pub fn with_key(&self, key: ConfigKey) -> Self {
        if self.index.contains_key(&key.name) {
            return self.clone();
        }
        ConfigDefBuilder {
            def: self.clone(),
            current_group: None,
            next_order: 0,
        }
        .define_raw(key)
        .def
    }
}

/// Builds a [`ConfigDef`]. Keys defined after [`ConfigDefBuilder::group`] belong to that group and
/// are numbered 1, 2, … within it, as Kafka's `define(…, group, orderInGroup, …)` calls do.
#[derive(Debug, Default)]
#[must_use]
pub struct ConfigDefBuilder {
    def: ConfigDef,
    current_group: Option<String>,
    next_order: i32,
}

impl ConfigDefBuilder {
    /// Starts a group; following keys get `group` and increasing `order`.
    pub fn group(mut self, name: &str) -> Self {
        self.current_group = Some(name.to_owned());
        self.next_order = 0;
        self
    }

    /// Defines `key` in the current group.
    ///
    /// # Panics
    /// On a duplicate key name: definitions are static, so this is a programming error.
    pub fn define(mut self, mut key: ConfigKey) -> Self {
        if let Some(group) = &self.current_group {
            self.next_order += 1;
            key.group = Some(group.clone());
            key.order_in_group = self.next_order;
            if key.width == Width::None {
                key.width = Width::Medium;
            }
        }
        assert!(
            !self.def.index.contains_key(&key.name),
            "config key {} defined twice",
            key.name
        );
        self.define_raw(key)
    }

    fn define_raw(mut self, key: ConfigKey) -> Self {
        if let Some(g) = &key.group
            && !self.def.groups.contains(g)
        {
            self.def.groups.push(g.clone());
        }
        self.def.index.insert(key.name.clone(), self.def.keys.len());
        self.def.keys.push(key);
        self
    }

    pub fn build(self) -> ConfigDef {
        self.def
    }
}
