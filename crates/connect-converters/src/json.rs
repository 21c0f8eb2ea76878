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

use self::cache::Lru;
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

/// The serialized form of one schema, kept with the schema so that its address cannot be reused
/// by another schema while the entry lives.
type CachedSchema = (SchemaRef, Arc<[u8]>);

/// A configured `JsonConverter`.
#[derive(Debug)]
pub struct JsonConverter {
    config: JsonConverterConfig,
    options: Options,
    /// Keyed by the schema's address: schemas are shared `Arc`s, one per table or topic.
    to_json: Mutex<Lru<usize, CachedSchema>>,
    /// Keyed by the schema's raw JSON text, so a cached schema is not even parsed.
    to_connect: Mutex<Lru<Box<str>, Option<SchemaRef>>>,
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
            to_json: Mutex::new(Lru::new(config.schemas_cache_size)),
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
        let key = Arc::as_ptr(schema) as usize;
        {
            let mut cache = self.to_json.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((_, bytes)) = cache.get(&key) {
                out.extend_from_slice(bytes);
                return Ok(());
            }
        }
        let start = out.len();
        encode::schema(out, schema, self.options)?;
        let bytes: Arc<[u8]> = Arc::from(&out[start..]);
        self.to_json
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .put(key, (schema.clone(), bytes));
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
        self.from_connect_data(topic, &Vec::new(), value)
    }

    fn to_connect_header(
        &self,
        topic: &str,
        _key: &str,
        bytes: Option<&[u8]>,
    ) -> Result<SchemaAndValue, ConvertError> {
        self.to_connect_data(topic, &Vec::new(), bytes)
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
