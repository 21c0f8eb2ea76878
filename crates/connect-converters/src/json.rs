//! `org.apache.kafka.connect.json.JsonConverter`.
//!
//! Layout: `write` (Jackson's byte conventions), `encode` (data → bytes), `parse` (bytes →
//! nodes that keep number text and member order), `decode` (nodes → data), `cache` (the
//! bounded schema caches).

mod cache;
mod decode;
mod encode;
mod parse;
mod write;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use bytes::Bytes;
use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator, Width};
use connect_api::{
    ConnectError, ConvertError, Converter, ConverterPlugin, HeaderConverter, Headers,
    PluginDescriptor, Props, SchemaAndValue, SchemaRef, Value,
};

use self::cache::{Lookup, Lru, SchemaJsonCache};
use self::encode::Options;
use self::parse::Envelope;
use crate::{ConverterType, converter_def, descriptor, parse_props};

const SCHEMAS_ENABLE: &str = "schemas.enable";
const SCHEMAS_CACHE_SIZE: &str = "schemas.cache.size";
const DECIMAL_FORMAT: &str = "decimal.format";
const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

const ENVELOPE_ERROR: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";
const DESERIALIZE_PREFIX: &str =
    "Converting byte[] to Kafka Connect data failed due to serialization error: ";

/// How `Decimal` values are written (`decimal.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalFormat {
    /// Base64 of the unscaled two's-complement bytes (Kafka's default).
    #[default]
    Base64,
    /// A JSON number with every digit of the scale (`12.340`).
    Numeric,
}

/// `JsonConverterConfig`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonConverterConfig {
    pub converter_type: ConverterType,
    pub schemas_enable: bool,
    pub schemas_cache_size: usize,
    pub decimal_format: DecimalFormat,
    pub replace_null_with_default: bool,
}

impl Default for JsonConverterConfig {
    fn default() -> Self {
        Self {
            converter_type: ConverterType::Value,
            schemas_enable: true,
            schemas_cache_size: 1000,
            decimal_format: DecimalFormat::Base64,
            replace_null_with_default: true,
        }
    }
}

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    let grouped = |key: ConfigKey, group: &str, order: i32, display: &str| ConfigKey {
        group: Some(group.to_owned()),
        order_in_group: order,
        width: Width::Medium,
        display_name: display.to_owned(),
        ..key
    };
    converter_def()
        .define(grouped(
            ConfigKey::new(
                SCHEMAS_ENABLE,
                ConfigType::Boolean,
                Importance::High,
                "Include schemas within each of the serialized values and keys.",
            )
            .default("true"),
            "Schemas",
            0,
            "Enable Schemas",
        ))
        .define(grouped(
            ConfigKey::new(
                SCHEMAS_CACHE_SIZE,
                ConfigType::Int,
                Importance::High,
                "The maximum number of schemas that can be cached in this converter instance.",
            )
            .default("1000"),
            "Schemas",
            1,
            "Schema Cache Size",
        ))
        .define(grouped(
            ConfigKey::new(
                DECIMAL_FORMAT,
                ConfigType::String,
                Importance::Low,
                "Controls which format this converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
            )
            .default("BASE64")
            .validator(Validator::OneOfIgnoreCase(&["BASE64", "NUMERIC"])),
            "Serialization",
            0,
            "Decimal Format",
        ))
        .define(grouped(
            ConfigKey::new(
                REPLACE_NULL_WITH_DEFAULT,
                ConfigType::Boolean,
                Importance::Low,
                "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
            )
            .default("true"),
            "Serialization",
            1,
            "Replace null with default",
        ))
        .build()
});

impl JsonConverterConfig {
    /// Kafka's `JsonConverterConfig.configDef()`.
    pub fn config_def() -> &'static ConfigDef {
        &CONFIG_DEF
    }

    /// Parses converter properties (prefix already stripped); `converter_type` fills
    /// `converter.type` when absent, as `configure(configs, isKey)` does.
    ///
    /// # Errors
    /// Every invalid key, as [`ConnectError::Config`].
    pub fn parse(props: &Props, converter_type: ConverterType) -> Result<Self, ConnectError> {
        let (parsed, converter_type) = parse_props(&CONFIG_DEF, props, converter_type)?;
        Ok(Self {
            converter_type,
            schemas_enable: parsed.boolean(SCHEMAS_ENABLE),
            // Kafka's LRUCache treats a negative size like zero: nothing is kept.
            schemas_cache_size: usize::try_from(parsed.int(SCHEMAS_CACHE_SIZE)).unwrap_or(0),
            decimal_format: if parsed
                .string(DECIMAL_FORMAT)
                .eq_ignore_ascii_case("NUMERIC")
            {
                DecimalFormat::Numeric
            } else {
                DecimalFormat::Base64
            },
            replace_null_with_default: parsed.boolean(REPLACE_NULL_WITH_DEFAULT),
        })
    }
}

/// A configured `JsonConverter`.
#[derive(Debug)]
pub struct JsonConverter {
    config: JsonConverterConfig,
    options: Options,
    /// Each schema's JSON, written once (see `cache`).
    to_json: Mutex<SchemaJsonCache>,
    /// Keyed by the schema's raw JSON text, so a cached schema is not even parsed.
    to_connect: Mutex<Lru<Arc<str>, Option<SchemaRef>>>,
    /// The last output size, to allocate the next buffer once.
    size_hint: AtomicUsize,
}

impl JsonConverter {
    pub fn new(config: JsonConverterConfig) -> Self {
        let options = Options {
            decimal_numeric: config.decimal_format == DecimalFormat::Numeric,
            replace_null_with_default: config.replace_null_with_default,
        };
        Self {
            to_json: Mutex::new(SchemaJsonCache::new(config.schemas_cache_size)),
            to_connect: Mutex::new(Lru::new(config.schemas_cache_size)),
            options,
            config,
            size_hint: AtomicUsize::new(256),
        }
    }

    pub fn config(&self) -> &JsonConverterConfig {
        &self.config
    }

    /// Appends the serialized form of `data` to `out` (the envelope when schemas are enabled).
    /// Returns `false`, writing nothing, for a null schema with a null value (a tombstone).
    ///
    /// # Errors
    /// When the value does not fit its schema.
    pub fn write(&self, out: &mut Vec<u8>, data: &SchemaAndValue) -> Result<bool, ConvertError> {
        if data.schema.is_none() && data.value.is_null() {
            return Ok(false);
        }
        let schema = data.schema.as_deref();
        if self.config.schemas_enable {
            out.extend_from_slice(b"{\"schema\":");
            match &data.schema {
                Some(s) => self.write_schema(out, s)?,
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\"payload\":");
            encode::value(out, schema, &data.value, self.options)?;
            out.push(b'}');
        } else {
            encode::value(out, schema, &data.value, self.options)?;
        }
        Ok(true)
    }

    /// The JSON form of `schema` alone, as `asJsonSchema` renders it.
    ///
    /// # Errors
    /// When the schema's default value does not fit the schema.
    pub fn schema_json(&self, schema: &SchemaRef) -> Result<Vec<u8>, ConvertError> {
        let mut out = Vec::new();
        self.write_schema(&mut out, schema)?;
        Ok(out)
    }

    fn write_schema(&self, out: &mut Vec<u8>, schema: &SchemaRef) -> Result<(), ConvertError> {
        let lookup = self
            .to_json
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write(schema, out);
        let Lookup::Miss(content) = lookup else {
            return Ok(());
        };
        let start = out.len();
        encode::schema(out, schema, self.options)?;
        self.to_json
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(schema, content, &out[start..]);
        Ok(())
    }

    fn read_schema(&self, text: &str) -> Result<Option<SchemaRef>, ConvertError> {
        if text == "null" {
            return Ok(None);
        }
        if let Some(hit) = self
            .to_connect
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(text)
        {
            return Ok(hit.clone());
        }
        let node = parse::parse(text.as_bytes())
            .map_err(|e| ConvertError::deserialize(format!("{DESERIALIZE_PREFIX}{e}")))?
            .unwrap_or(parse::Node::Null);
        let schema = decode::schema(&node, self.config.replace_null_with_default)?;
        self.to_connect
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .put(text.into(), schema.clone());
        Ok(schema)
    }

    fn read(&self, bytes: &[u8]) -> Result<SchemaAndValue, ConvertError> {
        let syntax =
            |e: crate::Error| ConvertError::deserialize(format!("{DESERIALIZE_PREFIX}{e}"));
        let replace = self.config.replace_null_with_default;
        if self.config.schemas_enable {
            match parse::parse_envelope(bytes).map_err(syntax)? {
                Envelope::Invalid => Err(ConvertError::deserialize(ENVELOPE_ERROR)),
                Envelope::Valid { schema, payload } => {
                    let schema = self.read_schema(schema)?;
                    let value = decode::value(schema.as_ref(), Some(&payload), replace)?;
                    Ok(SchemaAndValue::new(schema, value))
                }
            }
        } else {
            match parse::parse_schemaless(bytes) {
                Ok(value) => Ok(SchemaAndValue::schemaless(value.unwrap_or(Value::Null))),
                Err(parse::SchemalessError::Syntax(e)) => Err(syntax(e)),
                // Rare: redo it as nodes, which resolve duplicate keys before converting.
                Err(parse::SchemalessError::Number) => {
                    let node = parse::parse(bytes).map_err(syntax)?;
                    Ok(SchemaAndValue::schemaless(decode::value(
                        None,
                        node.as_ref(),
                        replace,
                    )?))
                }
            }
        }
    }
}

impl Converter for JsonConverter {
    fn from_connect_data(
        &self,
        _topic: &str,
        _headers: &Headers,
        data: &SchemaAndValue,
    ) -> Result<Option<Bytes>, ConvertError> {
        let mut out = Vec::with_capacity(self.size_hint.load(Ordering::Relaxed));
        if !self.write(&mut out, data)? {
            return Ok(None);
        }
        self.size_hint.store(
            out.len().next_power_of_two().min(1 << 20),
            Ordering::Relaxed,
        );
        Ok(Some(Bytes::from(out)))
    }

    fn to_connect_data(
        &self,
        _topic: &str,
        _headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> Result<SchemaAndValue, ConvertError> {
        match bytes {
            None => Ok(SchemaAndValue::NULL),
            Some(bytes) => self.read(bytes),
        }
    }
}

impl HeaderConverter for JsonConverter {
    fn from_connect_header(
        &self,
        topic: &str,
        _key: &str,
        value: &SchemaAndValue,
    ) -> Result<Option<Bytes>, ConvertError> {
        self.from_connect_data(topic, &Headers::new(), value)
    }

    fn to_connect_header(
        &self,
        topic: &str,
        _key: &str,
        bytes: Option<&[u8]>,
    ) -> Result<SchemaAndValue, ConvertError> {
        self.to_connect_data(topic, &Headers::new(), bytes)
    }
}

/// The plugin for `org.apache.kafka.connect.json.JsonConverter`.
#[derive(Debug)]
pub struct JsonConverterPlugin {
    descriptor: PluginDescriptor,
}

impl Default for JsonConverterPlugin {
    fn default() -> Self {
        Self {
            descriptor: descriptor("org.apache.kafka.connect.json.JsonConverter"),
        }
    }
}

impl ConverterPlugin for JsonConverterPlugin {
    fn descriptor(&self) -> &PluginDescriptor {
        &self.descriptor
    }

    fn config_def(&self) -> &ConfigDef {
        &CONFIG_DEF
    }

    fn create(&self, props: &Props, is_key: bool) -> Result<Box<dyn Converter>, ConnectError> {
        let config = JsonConverterConfig::parse(props, ConverterType::for_key(is_key))?;
        Ok(Box::new(JsonConverter::new(config)))
    }

    fn create_header(&self, props: &Props) -> Result<Box<dyn HeaderConverter>, ConnectError> {
        let config = JsonConverterConfig::parse(props, ConverterType::Header)?;
        Ok(Box::new(JsonConverter::new(config)))
    }
}

#[cfg(test)]
mod tests {
    use connect_api::{Schema, Struct};

    use super::*;

    const CAPTURE: &str = include_str!("../tests/fixtures/debezium-3.1-customers-create.json");

    fn with_cache_size(size: &str) -> JsonConverter {
        let props = Props::from([(SCHEMAS_CACHE_SIZE.to_owned(), size.to_owned())]);
        JsonConverter::new(JsonConverterConfig::parse(&props, ConverterType::Value).unwrap())
    }

    fn bytes(c: &JsonConverter, data: &SchemaAndValue) -> Vec<u8> {
        let mut out = Vec::new();
        assert!(c.write(&mut out, data).unwrap());
        out
    }

    /// (entries, hits) of the schema → JSON cache.
    fn cache_stats(c: &JsonConverter) -> (usize, u64) {
        let cache = c.to_json.lock().unwrap();
        (cache.len(), cache.hits())
    }

    #[test]
    fn cache_hits_write_the_bytes_a_fresh_encoding_writes() {
        let expected = CAPTURE.trim_end().as_bytes();
        let reader = with_cache_size("1000");
        let record = reader.read(expected).unwrap();
        let cached = with_cache_size("1000");
        let uncached = with_cache_size("0");
        for round in 1..=3 {
            assert_eq!(bytes(&cached, &record), expected);
            assert_eq!(bytes(&uncached, &record), expected);
            assert_eq!(cache_stats(&cached), (1, round - 1), "round {round}");
        }
        assert_eq!(cache_stats(&uncached), (0, 0));

        // The same schema built again (another object, as a rebuilt schema would be) is found
        // by its content and written the same.
        let rebuilt = with_cache_size("1000").read(expected).unwrap();
        let (a, b) = (record.schema.as_ref(), rebuilt.schema.as_ref());
        assert!(!Arc::ptr_eq(a.unwrap(), b.unwrap()));
        assert_eq!(bytes(&cached, &rebuilt), expected);
        assert_eq!(cache_stats(&cached), (1, 3));
    }

    #[test]
    fn schemas_cache_size_bounds_the_schema_cache() {
        let cached = with_cache_size("3");
        let uncached = with_cache_size("0");
        let records: Vec<SchemaAndValue> = (0..10)
            .map(|i| {
                let schema = Schema::struct_builder()
                    .name(format!("s{i}"))
                    .field("n", Schema::int32())
                    .build();
                let value = Struct::new(schema.clone()).with("n", i);
                SchemaAndValue::new(Some(schema), value.into())
            })
            .collect();
        for record in &records {
            assert_eq!(bytes(&cached, record), bytes(&uncached, record));
            assert!(cache_stats(&cached).0 <= 3);
        }
        assert_eq!(cache_stats(&cached), (3, 0));
        // The three most recent are kept; the first was dropped long ago.
        for record in &records[7..] {
            assert_eq!(bytes(&cached, record), bytes(&uncached, record));
        }
        assert_eq!(cache_stats(&cached), (3, 3));
        assert_eq!(bytes(&cached, &records[0]), bytes(&uncached, &records[0]));
        assert_eq!(cache_stats(&cached), (3, 3));
    }

    #[test]
    fn a_negative_cache_size_caches_nothing_and_still_writes_schemas() {
        let c = with_cache_size("-1");
        let record = c.read(CAPTURE.trim_end().as_bytes()).unwrap();
        assert_eq!(bytes(&c, &record), CAPTURE.trim_end().as_bytes());
        assert_eq!(cache_stats(&c), (0, 0));
    }

    #[test]
    fn schemas_differing_only_in_parameter_order_keep_their_own_order() {
        let c = with_cache_size("10");
        let decimal = |params: [(&str, &str); 2]| {
            let mut b = Schema::builder(connect_api::SchemaType::Bytes)
                .name("org.apache.kafka.connect.data.Decimal")
                .version(1);
            for (k, v) in params {
                b = b.parameter(k, v);
            }
            let schema = b.build();
            SchemaAndValue::new(
                Some(schema),
                Value::Bytes(Bytes::from_static(&[0x30, 0x39])),
            )
        };
        let scale_first = decimal([("scale", "2"), ("connect.decimal.precision", "10")]);
        let precision_first = decimal([("connect.decimal.precision", "10"), ("scale", "2")]);
        let a = String::from_utf8(bytes(&c, &scale_first)).unwrap();
        let b = String::from_utf8(bytes(&c, &precision_first)).unwrap();
        assert!(
            a.contains(r#""parameters":{"scale":"2","connect.decimal.precision":"10"}"#),
            "{a}"
        );
        assert!(
            b.contains(r#""parameters":{"connect.decimal.precision":"10","scale":"2"}"#),
            "{b}"
        );
        assert_eq!(cache_stats(&c), (2, 0));
    }
}
