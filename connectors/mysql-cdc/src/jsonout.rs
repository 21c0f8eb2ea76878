//! Records as Kafka's `JsonConverter` writes them, through the workspace's converter
//! (`connect-converters`, byte-compatible with Kafka's): the golden tests compare these texts with
//! what Debezium's records print through the real converter.

use std::sync::{Arc, LazyLock};

use connect_api::data::{Schema, SchemaAndValue, Value};
use connect_converters::json::{JsonConverter, JsonConverterConfig};

static WITH_SCHEMAS: LazyLock<JsonConverter> = LazyLock::new(|| converter(true));
static WITHOUT_SCHEMAS: LazyLock<JsonConverter> = LazyLock::new(|| converter(false));

fn converter(schemas_enable: bool) -> JsonConverter {
    JsonConverter::new(JsonConverterConfig {
        schemas_enable,
        ..JsonConverterConfig::default()
    })
}

/// What `converter` writes for `value` of `schema`; `null` when it writes nothing (a tombstone)
/// and the converter's error text when the value does not fit the schema.
fn write(converter: &JsonConverter, schema: Option<&Schema>, value: &Value) -> String {
    let data = SchemaAndValue::new(schema.map(|s| Arc::new(s.clone())), value.clone());
    let mut out = Vec::new();
    match converter.write(&mut out, &data) {
        Ok(true) => String::from_utf8_lossy(&out).into_owned(),
        Ok(false) => "null".into(),
        Err(e) => format!("<{e}>"),
    }
}

/// `{"schema":…,"payload":…}` (`schemas.enable=true`), or `null` for a tombstone.
pub fn envelope(schema: Option<&Schema>, value: &Value) -> String {
    write(&WITH_SCHEMAS, schema, value)
}

/// The schema alone, as the converter writes it in an envelope's `schema`.
pub fn schema(schema: &Schema) -> String {
    match WITH_SCHEMAS.schema_json(&Arc::new(schema.clone())) {
        Ok(json) => String::from_utf8_lossy(&json).into_owned(),
        Err(e) => format!("<{e}>"),
    }
}

/// The payload alone (`schemas.enable=false`).
pub fn payload_only(schema: &Schema, value: &Value) -> String {
    write(&WITHOUT_SCHEMAS, Some(schema), value)
}

#[cfg(test)]
mod tests {
    use connect_api::data::{SchemaBuilder, SchemaType};

    use super::*;

    fn one(ty: SchemaType, v: Value) -> String {
        payload_only(&SchemaBuilder::new(ty).build(), &v)
    }

    #[test]
    fn doubles_and_floats_print_as_the_json_converter_prints_them() {
        assert_eq!(one(SchemaType::Float64, Value::Float64(1e7)), "1.0E7");
        assert_eq!(one(SchemaType::Float64, Value::Float64(2.25)), "2.25");
        assert_eq!(one(SchemaType::Float64, Value::Float64(1e-4)), "1.0E-4");
        assert_eq!(
            one(SchemaType::Float64, Value::Float64(f64::NAN)),
            "\"NaN\""
        );
        // Float.toString, not the widened double's 1.100000023841858.
        assert_eq!(one(SchemaType::Float32, Value::Float32(1.1)), "1.1");
        assert_eq!(one(SchemaType::Float32, Value::Float32(3.0)), "3.0");
    }

    #[test]
    fn strings_escape_controls_with_upper_case_hex_like_jackson() {
        assert_eq!(
            one(SchemaType::String, Value::from("a\u{1b}b\"/\n")),
            r#""a\u001Bb\"/\n""#
        );
    }
}
