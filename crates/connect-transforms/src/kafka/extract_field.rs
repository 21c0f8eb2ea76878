//! `org.apache.kafka.connect.transforms.ExtractField`: replaces the key or value with one of its
//! fields (KIP-821 nested paths with `field.syntax.version=V2`).

use std::sync::LazyLock;

use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};
use connect_api::{
    ConnectError, ConnectRecord, Field, Props, Schema, SchemaAndValue, Struct, Transformation,
    TransformationPlugin, Value,
};

use super::support::{field_value, map_get};
use super::util::{self, Side};

const FIELD: &str = "field";
const FIELD_SYNTAX_VERSION: &str = "field.syntax.version";
const PURPOSE: &str = "field extraction";
const NESTED_PURPOSE: &str = "nested field access";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    ConfigDef::builder()
        .define(
            ConfigKey::new(FIELD, ConfigType::String, Importance::Medium, "Field name to extract.")
                .required(),
        )
        .define(util::replace_null_with_default_key())
        .define(
            ConfigKey::new(
                FIELD_SYNTAX_VERSION,
                ConfigType::String,
                Importance::High,
                "Defines the version of the syntax to access fields. If set to `V1`, then the field paths are limited to access the elements at the root level of the struct or map. If set to `V2`, the syntax will support accessing nested elements. To access nested elements, dotted notation is used. If dots are already included in the field name, then backtick pairs can be used to wrap field names containing dots. E.g. to access the subfield `baz` from a field named \"foo.bar\" in a struct/map the following format can be used to access its elements: \"`foo.bar`.baz\".",
            )
            .default("V1")
            .validator(Validator::OneOfIgnoreCase(&["V1", "V2"])),
        )
        .build()
});

/// The `$Key` and `$Value` plugins.
pub(crate) fn plugins() -> Vec<Box<dyn TransformationPlugin>> {
    util::plugins!("ExtractField", &CONFIG_DEF, create)
}

fn create(side: Side, props: &Props) -> Result<Box<dyn Transformation>, ConnectError> {
    let parsed = util::parse_config(&CONFIG_DEF, props)?;
    let original = parsed.string(FIELD).to_owned();
    let v2 = parsed
        .string(FIELD_SYNTAX_VERSION)
        .eq_ignore_ascii_case("V2");
    let path = if v2 {
        parse_path_v2(&original)?
    } else {
        vec![original.clone()]
    };
    Ok(Box::new(ExtractField {
        side,
        path,
        original,
        replace_null_with_default: parsed.boolean(util::REPLACE_NULL_WITH_DEFAULT),
    }))
}

/// `SingleFieldPath.buildFieldPathV2`: dots separate steps; a step in backticks may hold dots,
/// and a backslash before a backtick escapes it.
fn parse_path_v2(path: &str) -> Result<Vec<String>, ConnectError> {
    let chars: Vec<char> = path.chars().collect();
    let find = |c: char, from: usize| {
        chars[from.min(chars.len())..]
            .iter()
            .position(|&x| x == c)
            .map(|p| p + from)
    };
    let text = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    let incomplete = |at: usize| {
        util::config_error(
            FIELD,
            format!(
                "Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick at position {at} to escape it"
            ),
        )
    };
    let mut steps = Vec::new();
    let mut idx = 0;
    while idx < chars.len() {
        if chars[idx] != '`' {
            let start = idx;
            match find('.', idx) {
                Some(dot) => {
                    steps.push(text(start, dot));
                    idx = dot + 1;
                }
                None => {
                    steps.push(text(start, chars.len()));
                    break;
                }
            }
        } else {
            let backtick_at = idx;
            idx += 1;
            let mut field = String::new();
            let mut start = idx;
            loop {
                let Some(found) = find('`', idx) else {
                    return Err(incomplete(backtick_at));
                };
                idx = found;
                let escaped = chars[idx - 1] == '\\';
                if idx + 1 >= chars.len() {
                    if escaped {
                        return Err(incomplete(backtick_at));
                    }
                    field.push_str(&text(start, idx));
                    steps.push(field);
                    idx += 1;
                    break;
                }
                if chars[idx + 1] != '.' {
                    idx += 1;
                    continue;
                }
                if escaped {
                    field.push_str(&text(start, idx - 1));
                    field.push('`');
                    idx += 1;
                    start = idx;
                    continue;
                }
                field.push_str(&text(start, idx));
                steps.push(field);
                idx += 2;
                break;
            }
        }
    }
    if chars.last() == Some(&'.') {
        steps.push(String::new());
    }
    Ok(steps)
}

#[derive(Debug)]
struct ExtractField {
    side: Side,
    /// Never empty.
    path: Vec<String>,
    original: String,
    replace_null_with_default: bool,
}

impl ExtractField {
    /// `SingleFieldPath.fieldFrom`.
    fn field_from<'a>(&self, schema: &'a Schema) -> Option<&'a Field> {
        let (last, parents) = self.path.split_last()?;
        let mut current = schema;
        for step in parents {
            current = &current.field(step)?.schema;
        }
        current.field(last)
    }

    /// `SingleFieldPath.valueFrom(Struct, withDefault)`: intermediate steps read with
    /// `Struct.get` (a null falls back to the field's default).
    fn value_from_struct(&self, root: &Struct) -> Result<Value, ConnectError> {
        let Some((last, parents)) = self.path.split_last() else {
            return Ok(Value::Null);
        };
        let mut current = root.clone();
        for step in parents {
            let Some(field) = current.schema().field(step).cloned() else {
                return Ok(Value::Null);
            };
            current = match field_value(&current, &field, true) {
                Value::Null => return Ok(Value::Null),
                Value::Struct(s) => s,
                other => {
                    return Err(util::not_a_struct(
                        &other,
                        Some(&field.schema),
                        NESTED_PURPOSE,
                    ));
                }
            };
        }
        Ok(match current.schema().field(last) {
            Some(field) => field_value(&current, field, self.replace_null_with_default),
            None => Value::Null,
        })
    }

    /// `SingleFieldPath.valueFrom(Map)`.
    fn value_from_map(&self, root: &[(Value, Value)]) -> Result<Value, ConnectError> {
        let Some((last, parents)) = self.path.split_last() else {
            return Ok(Value::Null);
        };
        let mut current = root;
        for step in parents {
            match map_get(current, step) {
                None | Some(Value::Null) => return Ok(Value::Null),
                Some(other) => current = util::require_map_ref(other, NESTED_PURPOSE)?,
            }
        }
        Ok(map_get(current, last).cloned().unwrap_or(Value::Null))
    }

    fn extract(&self, operating: SchemaAndValue) -> Result<SchemaAndValue, ConnectError> {
        let SchemaAndValue { schema, value } = operating;
        let Some(schema) = schema else {
            let value = match &value {
                Value::Null => Value::Null,
                other => self.value_from_map(util::require_map_ref(other, PURPOSE)?)?,
            };
            return Ok(SchemaAndValue::schemaless(value));
        };
        let value = match &value {
            Value::Null => None,
            other => Some(util::require_struct(other, Some(&schema), PURPOSE)?),
        };
        let Some(field) = self.field_from(&schema) else {
            return Err(util::java_exception(
                "IllegalArgumentException",
                format!("Unknown field: {}", self.original),
            ));
        };
        let extracted = match value {
            None => Value::Null,
            Some(s) => self.value_from_struct(s)?,
        };
        Ok(SchemaAndValue::new(Some(field.schema.clone()), extracted))
    }
}

impl Transformation for ExtractField {
    fn apply(&mut self, record: ConnectRecord) -> Result<Option<ConnectRecord>, ConnectError> {
        self.side
            .apply(record, |operating, _| self.extract(operating))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::util::props;
    use crate::test_support::record;

    #[test]
    fn v2_paths_split_on_dots_and_keep_backticked_dots() {
        assert_eq!(parse_path_v2("a.b").unwrap(), ["a", "b"]);
        assert_eq!(parse_path_v2("`a.b`.c").unwrap(), ["a.b", "c"]);
        assert_eq!(parse_path_v2("a.").unwrap(), ["a", ""]);
        assert_eq!(parse_path_v2("`a\\`.b`").unwrap(), ["a`.b"]);
        assert_eq!(
            parse_path_v2("`a.b").unwrap_err().to_string(),
            "connector configuration is invalid: Incomplete backtick pair in path: [`a.b], consider adding a backslash before backtick at position 0 to escape it"
        );
    }

    #[test]
    fn a_nested_struct_field_is_extracted_with_its_schema() {
        let inner = Schema::struct_builder().field("b", Schema::int32()).build();
        let outer = Schema::struct_builder().field("a", inner.clone()).build();
        let value = Struct::new(outer.clone()).with("a", Struct::new(inner).with("b", 7));
        let mut t = create(
            Side::Value,
            &props(&[("field", "a.b"), ("field.syntax.version", "v2")]),
        )
        .unwrap();
        let out = t
            .apply(record(SchemaAndValue::new(Some(outer), value.into())))
            .unwrap()
            .unwrap();
        assert_eq!(out.value.value, Value::Int32(7));
        assert_eq!(out.value.schema, Some(Schema::int32()));
    }

    #[test]
    fn an_unknown_field_with_a_schema_is_an_illegal_argument() {
        let schema = Schema::struct_builder().field("a", Schema::int32()).build();
        let value = Struct::new(schema.clone()).with("a", 1);
        let mut t = create(Side::Value, &props(&[("field", "x")])).unwrap();
        let err = t
            .apply(record(SchemaAndValue::new(Some(schema), value.into())))
            .unwrap_err();
        assert_eq!(err.to_string(), "Unknown field: x");
    }

    #[test]
    fn a_schemaless_string_is_refused_with_kafkas_message() {
        let mut t = create(Side::Value, &props(&[("field", "x")])).unwrap();
        let err = t
            .apply(record(SchemaAndValue::schemaless("s".into())))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Only Map objects supported in absence of schema for [field extraction], found: java.lang.String"
        );
    }
}
