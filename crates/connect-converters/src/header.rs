//! `org.apache.kafka.connect.storage.SimpleHeaderConverter`: headers as their text form
//! (`Values.convertToString`), read back with type inference (`Values.parseString`).

use std::sync::LazyLock;

use bytes::Bytes;
use connect_api::config::ConfigDef;
use connect_api::connector::PluginKind;
use connect_api::{
    ConnectError, ConvertError, Converter, ConverterPlugin, HeaderConverter, PluginDescriptor,
    Props, SchemaAndValue,
};

use connect_api::data::values;

use crate::descriptor;

/// Kafka's `SimpleHeaderConverter.config()` is an empty definition.
static CONFIG_DEF: LazyLock<ConfigDef> = LazyLock::new(|| ConfigDef::builder().build());

/// A configured `SimpleHeaderConverter`.
#[derive(Debug, Default)]
pub struct SimpleHeaderConverter;

impl HeaderConverter for SimpleHeaderConverter {
    fn from_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        value: &SchemaAndValue,
    ) -> Result<Option<Bytes>, ConvertError> {
        Ok(values::convert_to_string(value.schema.as_deref(), &value.value).map(Bytes::from))
    }

    fn to_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        bytes: Option<&[u8]>,
    ) -> Result<SchemaAndValue, ConvertError> {
        let Some(bytes) = bytes else {
            return Ok(SchemaAndValue::NULL);
        };
        // Java's `new String(bytes, UTF_8)` replaces malformed input rather than failing.
        Ok(values::parse_string(&String::from_utf8_lossy(bytes)))
    }
}

/// The plugin for `org.apache.kafka.connect.storage.SimpleHeaderConverter`.
#[derive(Debug)]
pub struct SimpleHeaderConverterPlugin {
    descriptor: PluginDescriptor,
}

impl Default for SimpleHeaderConverterPlugin {
    fn default() -> Self {
        let mut descriptor = descriptor("org.apache.kafka.connect.storage.SimpleHeaderConverter");
        descriptor.kind = PluginKind::HeaderConverter;
        Self { descriptor }
    }
}

impl ConverterPlugin for SimpleHeaderConverterPlugin {
    fn descriptor(&self) -> &PluginDescriptor {
        &self.descriptor
    }

    fn config_def(&self) -> &ConfigDef {
        &CONFIG_DEF
    }

    fn create(&self, _props: &Props, _is_key: bool) -> Result<Box<dyn Converter>, ConnectError> {
        Err(ConnectError::fatal(format!(
            "{} is not a Converter; it can only be used as header.converter",
            self.descriptor.class
        )))
    }

    fn create_header(&self, _props: &Props) -> Result<Box<dyn HeaderConverter>, ConnectError> {
        Ok(Box::new(SimpleHeaderConverter))
    }
}
