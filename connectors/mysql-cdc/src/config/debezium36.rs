//! Debezium 3.6.3's `MySqlConnector` definition and `validate`, for `sluice.debezium.version=3.6`.
//!
//! `debezium36.json` is generated from the real connector's answers (its `/config/validate`
//! listing, and probes that set every key to one value; `debezium36.gen.py` shows how): each
//! key's definition as Debezium's `Field.group` declares it, its recommended values and
//! visibility, and the ordered `Field` validators (`rules`) that produced the probes' messages.
//! The same rules, with Debezium's messages, judge the plugin's keys in both modes (Debezium 2.2
//! declares the keys both versions share with the same `Field` validators).

use std::sync::LazyLock;

use connect_api::Props;
use connect_api::config::{
    ConfigDef, ConfigKey, ConfigReport, ConfigType, ConfigValueInfo, Importance, Width,
};
use serde::Deserialize;

/// One key of the generated table.
#[derive(Debug, Deserialize)]
pub(crate) struct Entry {
    pub(crate) name: String,
    #[serde(rename = "type")]
    config_type: String,
    pub(crate) default: Option<String>,
    importance: String,
    documentation: String,
    group: String,
    order: i32,
    width: String,
    display_name: String,
    dependents: Vec<String>,
    recommended: Vec<String>,
    visible: bool,
    rules: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Table {
    /// The oracle's `groups`, which the built definition must reproduce.
    #[cfg(test)]
    pub(crate) groups: Vec<String>,
    pub(crate) keys: Vec<Entry>,
}

pub(crate) static TABLE: LazyLock<Table> = LazyLock::new(|| {
    serde_json::from_str(include_str!("debezium36.json")).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the Debezium 3.6 definition table does not parse");
        Table {
            #[cfg(test)]
            groups: Vec::new(),
            keys: Vec::new(),
        }
    })
});

fn entry(name: &str) -> Option<&'static Entry> {
    TABLE.keys.iter().find(|e| e.name == name)
}

fn config_type(s: &str) -> ConfigType {
    match s {
        "BOOLEAN" => ConfigType::Boolean,
        "INT" => ConfigType::Int,
        "SHORT" => ConfigType::Short,
        "LONG" => ConfigType::Long,
        "DOUBLE" => ConfigType::Double,
        "LIST" => ConfigType::List,
        "CLASS" => ConfigType::Class,
        "PASSWORD" => ConfigType::Password,
        _ => ConfigType::String,
    }
}

/// Debezium 3.6.3's definition, then the keys Sluice reads that Debezium does not declare:
/// `sluice.debezium.version` (listed), and unlisted ones (`binary.handling.mode`,
/// `snapshot.chunk.size`, the Kafka schema history's settings, which Debezium reads when the
/// task starts) taken from the 2.2 definition.
pub(crate) fn definition(v22: &ConfigDef) -> ConfigDef {
    let mut def = ConfigDef::default();
    for e in &TABLE.keys {
        let importance = match e.importance.as_str() {
            "HIGH" => Importance::High,
            "MEDIUM" => Importance::Medium,
            _ => Importance::Low,
        };
        let width = match e.width.as_str() {
            "SHORT" => Width::Short,
            "MEDIUM" => Width::Medium,
            "LONG" => Width::Long,
            _ => Width::None,
        };
        let mut key = ConfigKey::new(
            e.name.clone(),
            config_type(&e.config_type),
            importance,
            e.documentation.clone(),
        )
        .in_group(&e.group, e.order)
        .width(width)
        .display_name(e.display_name.clone());
        key.dependents.clone_from(&e.dependents);
        key.recommended.clone_from(&e.recommended);
        if let Some(d) = &e.default {
            key = key.default(d.clone());
        }
        def = def.with_key(key);
    }
    for k in v22.keys() {
        if entry(&k.name).is_none() {
            let mut key = k.clone();
            if k.name != "sluice.debezium.version" {
                // Ungrouped, so that no group Debezium lacks enters `groups`.
                key = key.unlisted();
                key.group = None;
                key.order_in_group = -1;
            }
            def = def.with_key(key);
        }
    }
    def
}

fn java_int(v: &str) -> Option<i64> {
    // `Integer.parseInt`/`Long.parseLong`: an optional sign and ASCII digits, nothing else.
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse::<i64>().ok()
}

fn parses_as_i32(v: &str) -> bool {
    java_int(v).is_some_and(|n| i32::try_from(n).is_ok())
}

/// `javax.lang.model.SourceVersion.isName`: dot-separated identifiers, none a keyword.
fn is_java_name(v: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "abstract",
        "assert",
        "boolean",
        "break",
        "byte",
        "case",
        "catch",
        "char",
        "class",
        "const",
        "continue",
        "default",
        "do",
        "double",
        "else",
        "enum",
        "extends",
        "final",
        "finally",
        "float",
        "for",
        "goto",
        "if",
        "implements",
        "import",
        "instanceof",
        "int",
        "interface",
        "long",
        "native",
        "new",
        "package",
        "private",
        "protected",
        "public",
        "return",
        "short",
        "static",
        "strictfp",
        "super",
        "switch",
        "synchronized",
        "this",
        "throw",
        "throws",
        "transient",
        "try",
        "void",
        "volatile",
        "while",
        "true",
        "false",
        "null",
        "_",
    ];
    v.split('.').all(|id| {
        let mut chars = id.chars();
        chars
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
            && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
            && !KEYWORDS.contains(&id)
    })
}

const KEY_COLUMNS_PATTERN: &str = r"^\s*([^:]+):([^:,]+(,[^:,]+)*)\s*$";
static KEY_COLUMNS: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new(KEY_COLUMNS_PATTERN).ok());

/// `TOPIC_NAME_PATTERN`/`HOSTNAME_PATTERN`: one or more of `[A-Za-z0-9._-]`.
fn is_name_chars(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The problems Debezium's `Field.validate` reports for `e` in `props`, in its order, each as
/// `Field.validationOutput` words it.
pub(crate) fn field_errors(e: &Entry, props: &Props) -> Vec<String> {
    let get = |name: &str| -> Option<String> {
        props
            .get(name)
            .cloned()
            .or_else(|| entry(name).and_then(|x| x.default.clone()))
    };
    let value = get(&e.name);
    let v = value.as_deref();
    let mut problems: Vec<String> = Vec::new();
    for rule in &e.rules {
        let (kind, arg) = rule.split_once(':').unwrap_or((rule.as_str(), ""));
        let problem: Option<String> = match (kind, v) {
            ("required", _) if v.is_none_or(|s| s.trim().is_empty()) => {
                Some("A value is required".into())
            }
            ("int", Some(s)) if !parses_as_i32(s) => Some("An integer is expected".into()),
            ("long", Some(s)) if java_int(s).is_none() => Some("A long value is expected".into()),
            ("short", Some(s)) if java_int(s).is_none_or(|n| i16::try_from(n).is_err()) => {
                Some("A short value is expected".into())
            }
            ("double", Some(s)) if s.trim().parse::<f64>().is_err() => {
                Some("A double value is expected".into())
            }
            ("boolean", Some(s))
                if !s.trim().eq_ignore_ascii_case("true")
                    && !s.trim().eq_ignore_ascii_case("false") =>
            {
                Some("Either 'true' or 'false' is expected".into())
            }
            ("class", Some(s)) if !is_java_name(s) => Some("A Java class name is expected".into()),
            ("positive_int", Some(s))
                if !(parses_as_i32(s) && java_int(s).is_some_and(|n| n > 0)) =>
            {
                Some("A positive, non-zero integer value is expected".into())
            }
            ("positive_long", Some(s)) if java_int(s).is_none_or(|n| n <= 0) => {
                Some("A positive, non-zero long value is expected".into())
            }
            ("non_negative_int", Some(s))
                if !(parses_as_i32(s) && java_int(s).is_some_and(|n| n >= 0)) =>
            {
                Some("An non-negative integer is expected".into())
            }
            ("non_negative_long", Some(s)) if java_int(s).is_none_or(|n| n < 0) => {
                Some("A non-negative long value is expected".into())
            }
            ("enum", Some(s))
                if !arg
                    .split(", ")
                    .any(|a| a == s.trim().to_lowercase().as_str()) =>
            {
                Some(format!("Value must be one of {arg}"))
            }
            ("named_enum", Some(s))
                if !e
                    .recommended
                    .iter()
                    .any(|a| a == s.trim().to_lowercase().as_str()) =>
            {
                Some(format!("Must be a valid {} value", e.name))
            }
            ("regex_list", Some(s)) => s
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .find_map(|p| regex::Regex::new(p).err())
                .map(|err| {
                    format!(
                        "A comma-separated list of valid regular expressions is expected, but {err}"
                    )
                }),
            ("excluded_by", Some(_)) if get(arg).is_some() => {
                Some(format!("\"{arg}\" is already specified"))
            }
            ("excluded_by_gtid", Some(_)) if get(arg).is_some() => {
                Some("Cannot specify GTID excludes when includes are provided.".into())
            }
            ("name_chars", Some(s))
                // validateHostname skips a blank value; validateTopicName does not.
                if !(is_name_chars(s) || (e.name == "database.hostname" && s.trim().is_empty())) =>
            {
                Some(format!(
                    "{s} has invalid format (only the underscore, hyphen, dot and alphanumeric characters are allowed)"
                ))
            }
            ("queue_size", Some(s)) => {
                if let Some(q) = java_int(s).filter(|_| parses_as_i32(s)) {
                    let batch = get("max.batch.size")
                        .as_deref()
                        .and_then(java_int)
                        .unwrap_or(2048);
                    if q <= 0 {
                        problems.push("A positive queue size is required".into());
                    }
                    (q <= batch).then(|| "Must be larger than the maximum batch size".to_owned())
                } else {
                    None
                }
            }
            ("operations", Some(s)) => s
                .split(',')
                .map(str::trim)
                .any(|op| !["c", "u", "d", "t", "none"].contains(&op.to_lowercase().as_str()))
                .then(|| "Invalid operation".to_owned()),
            ("key_columns", Some(s)) => {
                if s.trim().is_empty() {
                    problems.push("Must not be empty".into());
                }
                let re = &*KEY_COLUMNS;
                for item in s.split(';') {
                    if re.as_ref().is_some_and(|re| !re.is_match(item)) {
                        problems.push(format!(
                            "{item} has an invalid format (expecting '{KEY_COLUMNS_PATTERN}')"
                        ));
                    }
                }
                None
            }
            ("key_value_map", Some(s)) if !s.trim().is_empty() => s
                .split(',')
                .any(|kv| kv.split_once('=').is_none_or(|(k, _)| k.trim().is_empty()))
                .then(|| {
                    "A equivalent-separated map of valid key/value pairs is expected, for example: k1=v1,k2=v2".to_owned()
                }),
            _ => None,
        };
        problems.extend(problem);
    }
    problems
        .into_iter()
        .map(|p| format!("The '{}' value is invalid: {p}", e.name))
        .collect()
}

/// The group Debezium puts `name` in (`Field.group`); Sluice's keys go where their neighbours
/// are: the schema history's Kafka settings with History Storage, Sluice's own layout choice
/// with Events, the rest with Connector.
pub(crate) fn group_of(name: &str) -> &'static str {
    match entry(name) {
        Some(e) => e.group.as_str(),
        None if name.starts_with("schema.history.internal.") => "History Storage",
        None if name == "sluice.debezium.version" => "Events",
        None => "Connector",
    }
}

/// `def` with Debezium's groups (MySQL, Connector, History Storage, Events, in that order, as
/// `ConfigDefinition.configDef()` defines them in 2.2 and 3.6), keys numbered within each group
/// in their order in `def`.
pub(crate) fn regrouped(def: &ConfigDef) -> ConfigDef {
    const GROUPS: [&str; 4] = ["MySQL", "Connector", "History Storage", "Events"];
    let mut out = ConfigDef::default();
    for group in GROUPS {
        for (order, k) in (1..).zip(def.keys().iter().filter(|k| group_of(&k.name) == group)) {
            out = out.with_key(k.clone().in_group(group, order));
        }
    }
    out
}

/// `RelationalBaseSourceConnector.validate`'s field part: `report` (the ConfigDef's answer) with
/// the errors of Debezium's keys replaced by Debezium's. In 3.6 mode the entries are Debezium's
/// own (no value, its recommended values and visibility); Sluice's further errors (settings it
/// does not implement, cross-field rules of its own) are added only when Debezium finds none,
/// as they are errors Debezium would not report at all.
pub(crate) fn field_report(props: &Props, report: &ConfigReport, v36: bool) -> ConfigReport {
    let mut out = ConfigReport::default();
    let mut debezium_errors = 0;
    for v in &report.values {
        let mut v = v.clone();
        if let Some(e) = entry(&v.name) {
            v.errors = field_errors(e, props);
            debezium_errors += v.errors.len();
            if v36 {
                v.value = None;
                v.recommended_values.clone_from(&e.recommended);
                v.visible = e.visible;
            }
        }
        out.values.push(v);
    }
    if v36 {
        for e in &TABLE.keys {
            if !out.values.iter().any(|v| v.name == e.name) {
                let errors = field_errors(e, props);
                debezium_errors += errors.len();
                out.values.push(ConfigValueInfo {
                    name: e.name.clone(),
                    value: None,
                    recommended_values: e.recommended.clone(),
                    errors,
                    visible: e.visible,
                });
            }
        }
    }
    if debezium_errors == 0 {
        out.add_errors(&report.field_errors());
    } else {
        // Only Debezium's own errors for its keys; the ConfigDef's errors of other keys stay.
        for v in &mut out.values {
            if entry(&v.name).is_none()
                && let Some(orig) = report.values.iter().find(|o| o.name == v.name)
            {
                v.errors.clone_from(&orig.errors);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// The oracle's answers to probes setting every key to one value (`<missing>`: none set).
    fn probes() -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
        serde_json::from_str(include_str!("debezium36-probes.json")).unwrap()
    }

    #[test]
    fn the_rules_answer_every_probe_as_debezium_3_6_3_did() {
        // Regex texts are Java's PatternSyntaxException messages there; only the lead is compared.
        let lead = |m: &str| {
            m.split_once(", but ")
                .map_or(m.to_owned(), |(a, _)| a.to_owned())
        };
        let mut differ = Vec::new();
        for (probe, answers) in probes() {
            let props: Props = if probe == "<missing>" {
                Props::new()
            } else {
                TABLE
                    .keys
                    .iter()
                    .map(|e| (e.name.clone(), probe.clone()))
                    .collect()
            };
            for e in &TABLE.keys {
                let ours: Vec<String> = field_errors(e, &props).iter().map(|m| lead(m)).collect();
                let theirs: Vec<String> = answers[&e.name].iter().map(|m| lead(m)).collect();
                if ours != theirs {
                    differ.push(format!("{probe:?} {}: {theirs:?} / {ours:?}", e.name));
                }
            }
        }
        assert!(differ.is_empty(), "{}", differ.join("\n"));
    }

    #[test]
    fn the_22_definition_takes_debeziums_groups() {
        use connect_api::ConnectorConfig;
        let def = crate::config::MySqlConfig::config_def_for(&Props::new());
        assert_eq!(
            def.groups(),
            ["MySQL", "Connector", "History Storage", "Events"]
        );
        let host = def.key("database.hostname").unwrap();
        assert_eq!(host.group.as_deref(), Some("MySQL"));
    }

    #[test]
    fn the_definition_lists_debeziums_keys_and_groups_in_its_order() {
        let def = definition(&ConfigDef::default());
        let names: Vec<&str> = def.keys().iter().map(|k| k.name.as_str()).collect();
        assert_eq!(names.len(), 124);
        assert_eq!(
            &names[..3],
            ["topic.prefix", "database.hostname", "database.port"]
        );
        assert_eq!(def.groups(), TABLE.groups.as_slice());
        assert_eq!(
            def.groups(),
            ["MySQL", "Connector", "History Storage", "Events"]
        );
        let port = def.key("database.port").unwrap();
        assert!(!port.is_required());
        assert_eq!(port.default_string().as_deref(), Some("3306"));
        assert_eq!(port.width, Width::Short);
    }
}
