//! The fixed-width converters in `org.apache.kafka.connect.converters`: `ShortConverter`,
//! `IntegerConverter`, `LongConverter`, `FloatConverter`, `DoubleConverter` and
//! `BooleanConverter`, which write Kafka's big-endian serializer formats.

use std::sync::LazyLock;

use bytes::Bytes;
use connect_api::config::ConfigDef;
use connect_api::{
    ConnectError, ConvertError, Converter, ConverterPlugin, HeaderConverter, Headers,
    PluginDescriptor, Props, Schema, SchemaAndValue, SchemaRef, SchemaType, Value,
};

use crate::{ConverterType, converter_def, descriptor, parse_props};
use connect_api::data::values::{java_class, java_type_name};

static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| converter_def().build());

/// Which primitive a [`NumberConverter`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    Short,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
}

impl NumberKind {
    const ALL: [NumberKind; 6] = [
        Self::Short,
        Self::Integer,
        Self::Long,
        Self::Float,
        Self::Double,
        Self::Boolean,
    ];

    fn class(self) -> &'static str {
        match self {
            Self::Short => "org.apache.kafka.connect.converters.ShortConverter",
            Self::Integer => "org.apache.kafka.connect.converters.IntegerConverter",
            Self::Long => "org.apache.kafka.connect.converters.LongConverter",
            Self::Float => "org.apache.kafka.connect.converters.FloatConverter",
            Self::Double => "org.apache.kafka.connect.converters.DoubleConverter",
            Self::Boolean => "org.apache.kafka.connect.converters.BooleanConverter",
        }
    }

    /// The name in Kafka's error texts, and of its (de)serializer.
    fn type_name(self) -> (&'static str, &'static str) {
        match self {
            Self::Short => ("short", "ShortDeserializer"),
            Self::Integer => ("integer", "IntegerDeserializer"),
            Self::Long => ("long", "LongDeserializer"),
            Self::Float => ("float", "FloatDeserializer"),
            Self::Double => ("double", "DoubleDeserializer"),
            Self::Boolean => ("boolean", "BooleanDeserializer"),
        }
    }

    fn width(self) -> usize {
        match self {
            Self::Boolean => 1,
            Self::Short => 2,
            Self::Integer | Self::Float => 4,
            Self::Long | Self::Double => 8,
        }
    }

    fn schema_type(self) -> SchemaType {
        match self {
            Self::Short => SchemaType::Int16,
            Self::Integer => SchemaType::Int32,
            Self::Long => SchemaType::Int64,
            Self::Float => SchemaType::Float32,
            Self::Double => SchemaType::Float64,
            Self::Boolean => SchemaType::Boolean,
        }
    }
}

/// A configured fixed-width converter.
#[derive(Debug)]
pub struct NumberConverter {
    kind: NumberKind,
    schema: SchemaRef,
}

impl NumberConverter {
    pub fn new(kind: NumberKind) -> Self {
        Self {
            kind,
            schema: Schema::primitive(kind.schema_type(), true),
        }
    }

    fn to_bytes(&self, data: &SchemaAndValue) -> Result<Option<Bytes>, ConvertError> {
        if self.kind == NumberKind::Boolean
            && let Some(s) = &data.schema
            && s.schema_type != SchemaType::Boolean
        {
            return Err(ConvertError::serialize(format!(
                "Invalid schema type for BooleanConverter: {}",
                java_type_name(s.schema_type)
            )));
        }
        let bytes: Vec<u8> = match (self.kind, &data.value) {
            (_, Value::Null) => return Ok(None),
            (NumberKind::Short, Value::Int16(v)) => v.to_be_bytes().to_vec(),
            (NumberKind::Integer, Value::Int32(v)) => v.to_be_bytes().to_vec(),
            (NumberKind::Long, Value::Int64(v)) => v.to_be_bytes().to_vec(),
            (NumberKind::Float, Value::Float32(v)) => v.to_be_bytes().to_vec(),
            (NumberKind::Double, Value::Float64(v)) => v.to_be_bytes().to_vec(),
            (NumberKind::Boolean, Value::Boolean(v)) => vec![u8::from(*v)],
            (NumberKind::Boolean, other) => {
                return Err(ConvertError::serialize(format!(
                    "BooleanConverter is not compatible with objects of type {}",
                    java_class(other)
                )));
            }
            (kind, other) => {
                return Err(ConvertError::serialize(format!(
                    "Failed to serialize to {} (was {}): ",
                    kind.type_name().0,
                    java_class(other)
                )));
            }
        };
        Ok(Some(Bytes::from(bytes)))
    }

    fn to_data(&self, bytes: Option<&[u8]>) -> Result<SchemaAndValue, ConvertError> {
        let Some(b) = bytes else {
            return Ok(SchemaAndValue::new(Some(self.schema.clone()), Value::Null));
        };
        let (name, deserializer) = self.kind.type_name();
        let fail = |cause: String| {
            ConvertError::deserialize(format!("Failed to deserialize {name}: {cause}"))
        };
        if b.len() != self.kind.width() {
            return Err(fail(format!(
                "Size of data received by {deserializer} is not {}",
                self.kind.width()
            )));
        }
        let arr = |n: usize| -> [u8; 8] {
            let mut a = [0u8; 8];
            a[..n].copy_from_slice(&b[..n]);
            a
        };
        let value = match self.kind {
            NumberKind::Short => Value::Int16(i16::from_be_bytes([b[0], b[1]])),
            NumberKind::Integer => Value::Int32(i32::from_be_bytes([b[0], b[1], b[2], b[3]])),
            NumberKind::Long => Value::Int64(i64::from_be_bytes(arr(8))),
            NumberKind::Float => Value::Float32(f32::from_be_bytes([b[0], b[1], b[2], b[3]])),
            NumberKind::Double => Value::Float64(f64::from_be_bytes(arr(8))),
            NumberKind::Boolean => match b[0] {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                other => {
                    return Err(fail(format!(
                        "Unexpected byte received by BooleanDeserializer: {}",
                        other as i8
                    )));
                }
            },
        };
        Ok(SchemaAndValue::new(Some(self.schema.clone()), value))
    }
}

impl Converter for NumberConverter {
    fn from_connect_data(
        &self,
        _topic: &str,
        _headers: &Headers,
        data: &SchemaAndValue,
    ) -> Result<Option<Bytes>, ConvertError> {
        self.to_bytes(data)
    }

    fn to_connect_data(
        &self,
        _topic: &str,
        _headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> Result<SchemaAndValue, ConvertError> {
        self.to_data(bytes)
    }
}

impl HeaderConverter for NumberConverter {
    fn from_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        value: &SchemaAndValue,
    ) -> Result<Option<Bytes>, ConvertError> {
        self.to_bytes(value)
    }

    fn to_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        bytes: Option<&[u8]>,
    ) -> Result<SchemaAndValue, ConvertError> {
        self.to_data(bytes)
    }
}

/// The plugin for one of the fixed-width converters.
#[derive(Debug)]
pub struct NumberConverterPlugin {
    kind: NumberKind,
    descriptor: PluginDescriptor,
}

impl NumberConverterPlugin {
    pub fn new(kind: NumberKind) -> Self {
        Self {
            kind,
            descriptor: descriptor(kind.class()),
        }
    }

    /// One plugin per kind.
    pub fn all() -> impl Iterator<Item = Self> {
        NumberKind::ALL.into_iter().map(Self::new)
    }
}

impl ConverterPlugin for NumberConverterPlugin {
    fn descriptor(&self) -> &PluginDescriptor {
        &self.descriptor
    }

    fn config_def(&self) -> &ConfigDef {
        &CONFIG_DEF
    }

    fn create(&self, props: &Props, is_key: bool) -> Result<Box<dyn Converter>, ConnectError> {
        parse_props(&CONFIG_DEF, props, ConverterType::for_key(is_key))?;
        Ok(Box::new(NumberConverter::new(self.kind)))
    }

    fn create_header(&self, props: &Props) -> Result<Box<dyn HeaderConverter>, ConnectError> {
        parse_props(&CONFIG_DEF, props, ConverterType::Header)?;
        Ok(Box::new(NumberConverter::new(self.kind)))
    }
}
