//! `org.apache.kafka.connect.transforms.ReplaceField`: drops (`exclude`), keeps (`include`) and
//! renames (`renames`) fields; the deprecated `blacklist`/`whitelist` still work as in 3.9.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use connect_api::{
    ConnectError, ConnectRecord, Props, Schema, SchemaAndValue, SchemaRef, Transformation,
    TransformationPlugin, Value, java,
};

use super::support::map_put;
use super::util::{self, SchemaCache, Side};

const EXCLUDE: &str = "exclude";
const INCLUDE: &str = "include";
const BLACKLIST: &str = "blacklist";
const WHITELIST: &str = "whitelist";
const RENAMES: &str = "renames";
const PURPOSE: &str = "field replacement";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(
                EXCLUDE,
                ConfigType::List,
                Importance::Medium,
                "Fields to exclude. This takes precedence over the fields to include.",
            )
            .default(""),
        )
        .define(ConfigKey::new(
            BLACKLIST,
            ConfigType::List,
            Importance::Low,
            "Deprecated. Use exclude instead.",
        ))
        .define(
            ConfigKey::new(
                INCLUDE,
                ConfigType::List,
                Importance::Medium,
                "Fields to include. If specified, only these fields will be used.",
            )
            .default(""),
        )
        .define(ConfigKey::new(
            WHITELIST,
            ConfigType::List,
            Importance::Low,
            "Deprecated. Use include instead.",
        ))
        .define(
            ConfigKey::new(
                RENAMES,
                ConfigType::List,
                Importance::Medium,
                "Field rename mappings.",
            )
            .default(""),
        )
        .define(util::replace_null_with_default_key())
        .build()
});

/// The `$Key` and `$Value` plugins.
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!("ReplaceField", &CONFIG_DEF, create)
}

/// `ConfigUtils.translateDeprecatedConfigs`: a deprecated alias stands in for its key when the key
/// itself is absent, and is dropped either way.
fn translate_deprecated(props: &Props) -> Props {
    let mut out = props.clone();
    for (target, alias) in [(INCLUDE, WHITELIST), (EXCLUDE, BLACKLIST)] {
        if let Some(old) = out.remove(alias)
            && !out.contains_key(target)
        {
            out.insert(target.to_owned(), old);
        }
    }
    out
}

/// `parseRenameMappings`: `from:to` pairs.
fn parse_renames(mappings: &[String]) -> Result<Vec<(String, String)>, ConnectError> {
    mappings
        .iter()
        .map(|m| match java::split(m, ':').as_slice() {
            [from, to] => Ok(((*from).to_owned(), (*to).to_owned())),
            _ => Err(util::invalid_value(
                RENAMES,
                &util::java_list(mappings),
                &format!("Invalid rename mapping: {m}"),
            )),
        })
        .collect()
}

fn create(side: Side, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let parsed = util::parse_config(&CONFIG_DEF, &translate_deprecated(props))?;
    let pairs = parse_renames(parsed.list(RENAMES))?;
    // Later pairs win, as HashMap.put does; the inverse likewise.
    let renames: HashMap<String, String> = pairs.iter().cloned().collect();
    let reverse: HashMap<String, String> = renames
        .iter()
        .map(|(from, to)| (to.clone(), from.clone()))
        .collect();
    Ok(Box::new(ReplaceField {
        side,
        spec: Spec {
            exclude: parsed.list(EXCLUDE).to_vec(),
            include: parsed.list(INCLUDE).to_vec(),
            renames,
            reverse,
        },
        replace_null_with_default: parsed.boolean(util::REPLACE_NULL_WITH_DEFAULT),
        cache: SchemaCache::default(),
    }))
}

#[derive(Debug)]
struct ReplaceField {
    side: Side,
    spec: Spec,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

/// Which fields stay and what they are called.
#[derive(Debug)]
struct Spec {
    exclude: Vec<String>,
    include: Vec<String>,
    renames: HashMap<String, String>,
    reverse: HashMap<String, String>,
}

impl Spec {
    fn keep(&self, name: &str) -> bool {
        !self.exclude.iter().any(|e| e == name)
            && (self.include.is_empty() || self.include.iter().any(|i| i == name))
    }

    fn renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.renames.get(name).map_or(name, String::as_str)
    }

    /// `makeUpdatedSchema`: the struct's basics (not its optional flag) and the kept fields.
    fn updated_schema(&self, source: &SchemaRef) -> Result<SchemaRef, ConnectError> {
        let mut updated =
            util::copy_schema_basics_into(source, Schema::struct_builder()).into_schema();
        for f in &source.fields {
            if self.keep(&f.name) {
                util::push_field(&mut updated, self.renamed(&f.name), f.schema.clone())?;
            }
        }
        Ok(Arc::new(updated))
    }
}

impl Transformation for ReplaceField {
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        self.side
            .apply_unless_null(record, |operating, _| self.replace(operating))
    }
}

impl ReplaceField {
    fn replace(&mut self, operating: SchemaAndValue) -> Result<SchemaAndValue, ConnectError> {
        let SchemaAndValue { schema, value } = operating;
        Ok(match schema {
            None => {
                let map = util::require_map(value, PURPOSE)?;
                let mut out = Vec::with_capacity(map.len());
                for (k, v) in map {
                    let Some(name) = k.as_str() else { continue };
                    if self.spec.keep(name) {
                        map_put(&mut out, self.spec.renamed(name), v);
                    }
                }
                SchemaAndValue::schemaless(Value::Map(out))
            }
            Some(schema) => {
                let value = util::require_struct(&value, Some(&schema), PURPOSE)?;
                let spec = &self.spec;
                let updated_schema = self
                    .cache
                    .get_or_try_insert(value.schema(), |s| spec.updated_schema(s))?;
                let out = util::rebuild_struct(
                    value,
                    &updated_schema,
                    self.replace_null_with_default,
                    |name| spec.reverse.get(name).map(String::as_str),
                )?;
                SchemaAndValue::new(Some(updated_schema), Value::Struct(out))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::kafka::util::props;
    use connect_api::Struct;

    use super::*;
    use crate::test_support::record;

    fn row() -> SchemaAndValue {
        let schema = Schema::struct_builder()
            .name("Row")
            .field("a", Schema::int32())
            .field("b", Schema::string())
            .field("c", Schema::optional_string())
            .build();
        let value = Struct::new(schema.clone()).with("a", 1).with("b", "x");
        SchemaAndValue::new(Some(schema), value.into())
    }

    fn field_names(out: &ConnectRecord) -> Vec<String> {
        let schema = out.value.schema.as_ref().unwrap();
        schema.fields.iter().map(|f| f.name.clone()).collect()
    }

    #[test]
    fn the_deprecated_whitelist_keeps_only_its_fields() {
        let mut t = create(Side::Value, &props(&[("whitelist", "a,c")])).unwrap();
        let out = t.apply(record(row())).unwrap().unwrap();
        assert_eq!(field_names(&out), ["a", "c"]);
    }

    #[test]
    fn the_deprecated_blacklist_drops_its_fields() {
        let mut t = create(Side::Value, &props(&[("blacklist", "b")])).unwrap();
        let out = t.apply(record(row())).unwrap().unwrap();
        assert_eq!(field_names(&out), ["a", "c"]);
    }

    #[test]
    fn include_wins_over_the_deprecated_whitelist() {
        let mut t = create(Side::Value, &props(&[("include", "b"), ("whitelist", "a")])).unwrap();
        let out = t.apply(record(row())).unwrap().unwrap();
        assert_eq!(field_names(&out), ["b"]);
    }

    #[test]
    fn renamed_fields_keep_their_values_and_the_schema_name() {
        let mut t = create(Side::Value, &props(&[("renames", "a:id,b:name")])).unwrap();
        let out = t.apply(record(row())).unwrap().unwrap();
        assert_eq!(field_names(&out), ["id", "name", "c"]);
        assert_eq!(
            out.value.schema.as_ref().unwrap().name.as_deref(),
            Some("Row")
        );
        let s = out.value.value.as_struct().unwrap().clone();
        assert_eq!(s.get("id"), Some(&Value::Int32(1)));
        assert_eq!(s.get("name"), Some(&Value::from("x")));
    }

    #[test]
    fn a_rename_without_a_colon_is_refused_with_kafkas_text() {
        let err = create(Side::Value, &props(&[("renames", "a:b, c")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "connector configuration is invalid: Invalid value [a:b, c] for configuration renames: Invalid rename mapping: c"
        );
    }
}
