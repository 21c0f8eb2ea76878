//! `org.apache.kafka.connect.converters.ByteArrayConverter`: bytes pass through untouched.

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
static OPTIONAL_BYTES: LazyLock<SchemaRef> = LazyLock::new(Schema::optional_bytes);

/// A configured `ByteArrayConverter`.
#[derive(Debug, Default)]
pub struct ByteArrayConverter;

impl ByteArrayConverter {
    fn to_bytes(data: &SchemaAndValue) -> Result<Option<Bytes>, ConvertError> {
        if let Some(s) = &data.schema
            && s.schema_type != SchemaType::Bytes
        {
            return Err(ConvertError::serialize(format!(
                "Invalid schema type for ByteArrayConverter: {}",
                java_type_name(s.schema_type)
            )));
        }
        match &data.value {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b.clone())),
            other => Err(ConvertError::serialize(format!(
                "ByteArrayConverter is not compatible with objects of type {}",
                java_class(other)
            ))),
        }
    }

    fn to_data(bytes: Option<&[u8]>) -> SchemaAndValue {
        let value = bytes.map_or(Value::Null, |b| Value::Bytes(Bytes::copy_from_slice(b)));
        SchemaAndValue::new(Some(OPTIONAL_BYTES.clone()), value)
    }
}

impl Converter for ByteArrayConverter {
    fn from_connect_data(
        &self,
        _topic: &str,
        _headers: &Headers,
        data: &SchemaAndValue,
    ) -> Result<Option<Bytes>, ConvertError> {
        Self::to_bytes(data)
    }

    fn to_connect_data(
        &self,
        _topic: &str,
        _headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> Result<SchemaAndValue, ConvertError> {
        Ok(Self::to_data(bytes))
    }
}

impl HeaderConverter for ByteArrayConverter {
    fn from_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        value: &SchemaAndValue,
    ) -> Result<Option<Bytes>, ConvertError> {
        Self::to_bytes(value)
    }

    fn to_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        bytes: Option<&[u8]>,
    ) -> Result<SchemaAndValue, ConvertError> {
        Ok(Self::to_data(bytes))
    }
}

/// The plugin for `org.apache.kafka.connect.converters.ByteArrayConverter`.
#[derive(Debug)]
pub struct ByteArrayConverterPlugin {
    descriptor: PluginDescriptor,
}

impl Default for ByteArrayConverterPlugin {
    fn default() -> Self {
        Self {
            descriptor: descriptor("org.apache.kafka.connect.converters.ByteArrayConverter"),
        }
    }
}

impl ConverterPlugin for ByteArrayConverterPlugin {
    fn descriptor(&self) -> &PluginDescriptor {
        &self.descriptor
    }

    fn config_def(&self) -> &ConfigDef {
        &CONFIG_DEF
    }

    fn create(&self, props: &Props, is_key: bool) -> Result<Box<dyn Converter>, ConnectError> {
        parse_props(&CONFIG_DEF, props, ConverterType::for_key(is_key))?;
        Ok(Box::new(ByteArrayConverter))
    }

    fn create_header(&self, props: &Props) -> Result<Box<dyn HeaderConverter>, ConnectError> {
        parse_props(&CONFIG_DEF, props, ConverterType::Header)?;
        Ok(Box::new(ByteArrayConverter))
    }
}
