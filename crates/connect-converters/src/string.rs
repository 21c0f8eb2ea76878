//! `org.apache.kafka.connect.storage.StringConverter`: the value's text in `converter.encoding`.

use std::sync::LazyLock;

use bytes::Bytes;
use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance, Width};
use connect_api::{
    ConnectError, ConvertError, Converter, ConverterPlugin, FieldErrors, HeaderConverter, Headers,
    PluginDescriptor, Props, Schema, SchemaAndValue, SchemaRef, Value,
};

use crate::{ConverterType, converter_def, descriptor, parse_props};
use connect_api::java;

const ENCODING: &str = "converter.encoding";

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| {
    converter_def()
        .define(
            ConfigKey::new(
                ENCODING,
                ConfigType::String,
                Importance::High,
                "The name of the Java character set to use for encoding strings as byte arrays.",
            )
            .default("UTF8")
            .width(Width::Medium)
            .display_name("Encoding"),
        )
        .build()
});

static OPTIONAL_STRING: LazyLock<SchemaRef> = LazyLock::new(Schema::optional_string);

/// The character sets supported for `converter.encoding` (Java names and aliases).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// ISO-8859-1: one byte per char; chars above U+00FF become `?` as in Java.
    Latin1,
    /// US-ASCII: chars above U+007F become `?`.
    Ascii,
    Utf16Be,
    Utf16Le,
    /// Java's `UTF-16`: big-endian with a byte-order mark when writing; reads either order.
    Utf16,
}

impl Encoding {
    /// Looks up a Java charset name (case-insensitive).
    pub fn from_java_name(name: &str) -> Option<Self> {
        Some(
            match name.trim().to_ascii_uppercase().replace('_', "-").as_str() {
                "UTF8" | "UTF-8" => Self::Utf8,
                "ISO-8859-1" | "ISO8859-1" | "LATIN1" | "ISO-LATIN-1" | "8859-1" | "L1"
                | "CP819" => Self::Latin1,
                "US-ASCII" | "ASCII" | "ASCII7" | "646" | "ISO646-US" => Self::Ascii,
                "UTF-16BE" | "UTF16BE" => Self::Utf16Be,
                "UTF-16LE" | "UTF16LE" => Self::Utf16Le,
                "UTF-16" | "UTF16" => Self::Utf16,
                _ => return None,
            },
        )
    }

    fn encode(self, s: &str) -> Vec<u8> {
        match self {
            Self::Utf8 => s.as_bytes().to_vec(),
            Self::Latin1 => s
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect(),
            Self::Ascii => s
                .chars()
                .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
                .collect(),
            Self::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            Self::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            Self::Utf16 => [0xFE, 0xFF]
                .into_iter()
                .chain(s.encode_utf16().flat_map(u16::to_be_bytes))
                .collect(),
        }
    }

    /// Decodes as Java's `new String(bytes, charset)`: malformed input becomes U+FFFD.
    fn decode(self, b: &[u8]) -> String {
        let utf16 = |b: &[u8], be: bool| {
            let units: Vec<u16> = b
                .chunks(2)
                .map(|c| match (c, be) {
                    ([hi, lo], true) => u16::from_be_bytes([*hi, *lo]),
                    ([lo, hi], false) => u16::from_le_bytes([*lo, *hi]),
                    _ => 0xFFFD,
                })
                .collect();
            String::from_utf16_lossy(&units)
        };
        match self {
            Self::Utf8 => String::from_utf8_lossy(b).into_owned(),
            Self::Latin1 => b.iter().map(|&c| char::from(c)).collect(),
            Self::Ascii => b
                .iter()
                .map(|&c| {
                    if c.is_ascii() {
                        char::from(c)
                    } else {
                        '\u{FFFD}'
                    }
                })
                .collect(),
            Self::Utf16Be => utf16(b, true),
            Self::Utf16Le => utf16(b, false),
            Self::Utf16 => match b {
                [0xFE, 0xFF, rest @ ..] => utf16(rest, true),
                [0xFF, 0xFE, rest @ ..] => utf16(rest, false),
                _ => utf16(b, true),
            },
        }
    }
}

/// A configured `StringConverter`.
#[derive(Debug)]
pub struct StringConverter {
    encoding: Encoding,
}

impl StringConverter {
    pub fn new(encoding: Encoding) -> Self {
        Self { encoding }
    }

    fn from_props(props: &Props, ty: ConverterType) -> Result<Self, ConnectError> {
        let (parsed, _) = parse_props(&CONFIG_DEF, props, ty)?;
        let name = parsed.string(ENCODING);
        match Encoding::from_java_name(name) {
            Some(encoding) => Ok(Self::new(encoding)),
            None => {
                let mut errors = FieldErrors::new();
                errors.push(
                    ENCODING,
                    format!(
                        "Invalid value {name} for configuration {ENCODING}: unsupported charset"
                    ),
                );
                Err(ConnectError::Config(errors))
            }
        }
    }

    fn to_bytes(&self, data: &SchemaAndValue) -> Option<Bytes> {
        if data.value.is_null() {
            return None;
        }
        Some(Bytes::from(
            self.encoding.encode(&java_to_string(&data.value)),
        ))
    }
}

/// Java's `Object.toString()` for Connect values (`Struct{a=1}`, `[1, 2]`, `{k=v}`).
pub(crate) fn java_to_string(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Int8(n) => n.to_string(),
        Value::Int16(n) => n.to_string(),
        Value::Int32(n) => n.to_string(),
        Value::Int64(n) => n.to_string(),
        Value::Float32(n) => java::float_to_string(*n),
        Value::Float64(n) => java::double_to_string(*n),
        Value::Boolean(b) => b.to_string(),
        Value::String(s) => s.clone(),
        // Java would print an identity hash (`[B@1b6d3586`); text is more useful and stable.
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(java_to_string).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}={}", java_to_string(k), java_to_string(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Struct(st) => {
            let parts: Vec<String> = st
                .schema()
                .fields
                .iter()
                .zip(st.values())
                .filter(|(_, v)| !v.is_null())
                .map(|(f, v)| format!("{}={}", f.name, java_to_string(v)))
                .collect();
            format!("Struct{{{}}}", parts.join(","))
        }
    }
}

impl Converter for StringConverter {
    fn from_connect_data(
        &self,
        _topic: &str,
        _headers: &Headers,
        data: &SchemaAndValue,
    ) -> Result<Option<Bytes>, ConvertError> {
        Ok(self.to_bytes(data))
    }

    fn to_connect_data(
        &self,
        _topic: &str,
        _headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> Result<SchemaAndValue, ConvertError> {
        let value = bytes.map_or(Value::Null, |b| Value::String(self.encoding.decode(b)));
        Ok(SchemaAndValue::new(Some(OPTIONAL_STRING.clone()), value))
    }
}

impl HeaderConverter for StringConverter {
    fn from_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        value: &SchemaAndValue,
    ) -> Result<Option<Bytes>, ConvertError> {
        Ok(self.to_bytes(value))
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

/// The plugin for `org.apache.kafka.connect.storage.StringConverter`.
#[derive(Debug)]
pub struct StringConverterPlugin {
    descriptor: PluginDescriptor,
}

impl Default for StringConverterPlugin {
    fn default() -> Self {
        Self {
            descriptor: descriptor("org.apache.kafka.connect.storage.StringConverter"),
        }
    }
}

impl ConverterPlugin for StringConverterPlugin {
    fn descriptor(&self) -> &PluginDescriptor {
        &self.descriptor
    }

    fn config_def(&self) -> &ConfigDef {
        &CONFIG_DEF
    }

    fn create(&self, props: &Props, is_key: bool) -> Result<Box<dyn Converter>, ConnectError> {
        Ok(Box::new(StringConverter::from_props(
            props,
            ConverterType::for_key(is_key),
        )?))
    }

    fn create_header(&self, props: &Props) -> Result<Box<dyn HeaderConverter>, ConnectError> {
        Ok(Box::new(StringConverter::from_props(
            props,
            ConverterType::Header,
        )?))
    }
}
