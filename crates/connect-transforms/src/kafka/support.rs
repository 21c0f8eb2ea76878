//! Helpers the header, routing, metadata and timestamp transforms need beyond `util.rs`: the
//! predicate plugin, Kafka's list/regex validators, `Struct.get`, and [`JavaPattern`], the one
//! Java regex wrapper of the crate (Debezium's routers and `TimezoneConverter` use it too).

use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigValue, Validator};
use connect_api::connector::PluginKind;
use connect_api::{
    ConnectError, Field, PluginDescriptor, Predicate, PredicatePlugin, Props, Struct, Value,
};

use super::util::{descriptor, java_exception, parse_config};

type MakePredicate = fn(&connect_api::ParsedConfig) -> Result<Box<dyn Predicate>, ConnectError>;

/// A predicate plugin built from a static definition and a constructor.
#[derive(Debug)]
pub(crate) struct PredPlugin {
    descriptor: PluginDescriptor,
    def: &'static LazyLock<ConfigDef>,
    make: MakePredicate,
}

impl PredPlugin {
    pub(crate) fn boxed(
        class: &'static str,
        def: &'static LazyLock<ConfigDef>,
        make: MakePredicate,
    ) -> Box<dyn PredicatePlugin> {
        Box::new(Self {
            descriptor: descriptor(class, PluginKind::Predicate),
            def,
            make,
        })
    }
}

impl PredicatePlugin for PredPlugin {
    fn descriptor(&self) -> &PluginDescriptor {
        &self.descriptor
    }

    fn config_def(&self) -> &ConfigDef {
        self.def
    }

    fn create(&self, props: &Props) -> Result<Box<dyn Predicate>, ConnectError> {
        (self.make)(&parse_config(self.def, props)?)
    }
}

/// `RegexValidator`: the pattern must compile.
pub(crate) fn valid_regex() -> Validator {
    Validator::custom(|v| match v {
        ConfigValue::String(s) => JavaPattern::compile(s)
            .map(|_| ())
            .map_err(|e| format!("Invalid regex: {e}")),
        _ => Ok(()),
    })
}

/// A compiled `java.util.regex.Pattern`. The `regex` crate shares Java's syntax for everything
/// but backreferences, lookaround and possessive quantifiers, which it rejects.
#[derive(Debug, Clone)]
pub(crate) struct JavaPattern {
    /// For `find`/`replaceFirst`: leftmost-first, as Java's backtracking finds.
    pub(crate) find: regex::Regex,
    /// For `matches()`: an anchored copy, because the leftmost-first match may stop short of the
    /// end even when a longer alternative would cover the whole text.
    whole: regex::Regex,
}

impl JavaPattern {
    pub(crate) fn compile(pattern: &str) -> Result<Self, regex::Error> {
        let pattern = unquote(pattern);
        Ok(Self {
            find: regex::Regex::new(&pattern)?,
            whole: regex::Regex::new(&format!(r"\A(?:{pattern})\z"))?,
        })
    }

    /// `Pattern.matcher(text).matches()`.
    pub(crate) fn matches(&self, text: &str) -> bool {
        self.whole.is_match(text)
    }
}

/// Rewrites Java's `\Q…\E` literal quoting, which the `regex` crate lacks, as escaped text.
fn unquote(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Q') => {
                let rest = chars.as_str();
                let (quoted, after) = rest.split_once("\\E").unwrap_or((rest, ""));
                out.push_str(&regex::escape(quoted));
                chars = after.chars();
            }
            Some(next) => {
                out.push('\\');
                out.push(next);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// `Struct.get(field)` (`with_default`) or `Struct.getWithoutDefault(name)`: a null field reads
/// as its schema's default unless `replace.null.with.default=false`.
pub(crate) fn field_value(s: &Struct, field: &Field, with_default: bool) -> Value {
    let v = s.values().get(field.index).cloned().unwrap_or(Value::Null);
    if with_default && v.is_null() {
        field.schema.default.clone().unwrap_or(Value::Null)
    } else {
        v
    }
}

/// `HashMap.put(key, value)` on a string-keyed map: replaces in place, else appends.
pub(crate) fn map_put(map: &mut Vec<(Value, Value)>, key: &str, value: Value) {
    match map.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
        Some(slot) => slot.1 = value,
        None => map.push((Value::String(key.to_owned()), value)),
    }
}

/// `HashMap.get(key)` on a string-keyed map.
pub(crate) fn map_get<'a>(map: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// `SchemaBuilder.field`'s name checks (`SchemaBuilderException`).
pub(crate) fn check_new_field(fields: &[Field], name: &str) -> Result<(), ConnectError> {
    if name.is_empty() {
        return Err(java_exception(
            "SchemaBuilderException",
            "fieldName cannot be null.",
        ));
    }
    if fields.iter().any(|f| f.name == name) {
        return Err(java_exception(
            "SchemaBuilderException",
            format!("Cannot create field because of field name duplication {name}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::{Schema, SchemaType};

    #[test]
    fn a_null_field_reads_as_its_default_only_when_asked() {
        let f = Schema::builder(SchemaType::Int32)
            .optional()
            .default_value(Value::Int32(7))
            .build();
        let schema = Schema::struct_builder().field("a", f).build();
        let s = Struct::new(schema.clone());
        let field = &schema.fields[0];
        assert_eq!(field_value(&s, field, true), Value::Int32(7));
        assert_eq!(field_value(&s, field, false), Value::Null);
    }

    #[test]
    fn a_whole_match_is_found_even_when_leftmost_first_stops_short() {
        let p = JavaPattern::compile("a|ab").unwrap();
        assert!(p.matches("ab"));
        assert!(!p.matches("abc"));
    }

    #[test]
    fn every_header_routing_metadata_and_timestamp_plugin_is_registered_once() {
        let transforms = crate::kafka::transformations();
        for class in [
            "InsertField$Key",
            "InsertField$Value",
            "InsertHeader",
            "DropHeaders",
            "HeaderFrom$Key",
            "HeaderFrom$Value",
            "SetSchemaMetadata$Key",
            "SetSchemaMetadata$Value",
            "RegexRouter",
            "TimestampRouter",
            "TimestampConverter$Key",
            "TimestampConverter$Value",
            "Filter",
        ] {
            let full = format!("org.apache.kafka.connect.transforms.{class}");
            let found: Vec<_> = transforms
                .iter()
                .filter(|p| p.descriptor().class == full)
                .collect();
            assert_eq!(found.len(), 1, "{full}");
            assert_eq!(found[0].descriptor().kind, PluginKind::Transformation);
            assert_eq!(found[0].descriptor().version, "3.9.0");
        }
        let predicates = crate::kafka::predicates();
        let classes: Vec<_> = predicates.iter().map(|p| p.descriptor().class).collect();
        assert_eq!(
            classes,
            [
                "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
                "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
                "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            ]
        );
        assert!(
            predicates
                .iter()
                .all(|p| p.descriptor().kind == PluginKind::Predicate)
        );
    }

    #[test]
    fn java_literal_quoting_is_understood() {
        let p = JavaPattern::compile(r"\Qdb.shop\E\.(.*)").unwrap();
        assert!(p.matches("db.shop.orders"));
        assert!(!p.matches("dbxshop.orders"));
        assert!(
            JavaPattern::compile(r"\Q(unterminated")
                .unwrap()
                .matches("(unterminated")
        );
        assert!(JavaPattern::compile(r"a\\Qb").unwrap().matches(r"a\Qb"));
    }

    #[test]
    fn a_put_replaces_in_place_and_appends_new_keys() {
        let mut m = vec![
            (Value::from("a"), Value::from(1)),
            (Value::from("b"), Value::from(2)),
        ];
        map_put(&mut m, "a", Value::from(3));
        map_put(&mut m, "c", Value::from(4));
        assert_eq!(map_get(&m, "a"), Some(&Value::from(3)));
        assert_eq!(m[2].0, Value::from("c"));
    }
}
