//! The bytes ⇄ Connect data boundary.

use bytes::Bytes;

use crate::Props;
use crate::config::ConfigDef;
use crate::connector::PluginDescriptor;
use crate::data::SchemaAndValue;
use crate::error::{ConnectError, ConvertError};
use crate::record::Headers;

/// A configured converter (`Converter`). Selected per connector by class name at run time, so it
/// is used as `dyn Converter`.
#[allow(clippy::wrong_self_convention)] // Kafka's method names, kept for familiarity
pub trait Converter: Send + Sync + std::fmt::Debug + 'static {
    /// Serializes; `Ok(None)` for a null value (a tombstone).
    ///
    /// # Errors
    /// When the value does not fit the schema or the format.
    fn from_connect_data(
        &self,
        topic: &str,
        headers: &Headers,
        data: &SchemaAndValue,
    ) -> Result<Option<Bytes>, ConvertError>;

    /// Deserializes; `None` bytes give a null value.
    ///
    /// # Errors
    /// When the bytes are not in the converter's format.
    fn to_connect_data(
        &self,
        topic: &str,
        headers: &Headers,
        bytes: Option<&[u8]>,
    ) -> Result<SchemaAndValue, ConvertError>;
}

/// A configured header converter (`HeaderConverter`).
///
/// `from_connect_header` must be a function of its arguments: a source runner reuses the bytes
/// of a header list that records share for the next records of the same topic that carry it.
#[allow(clippy::wrong_self_convention)]
pub trait HeaderConverter: Send + Sync + std::fmt::Debug + 'static {
    /// # Errors
    /// When the header value cannot be serialized.
    fn from_connect_header(
        &self,
        topic: &str,
        key: &str,
        value: &SchemaAndValue,
    ) -> Result<Option<Bytes>, ConvertError>;

    /// # Errors
    /// When the header bytes cannot be read.
    fn to_connect_header(
        &self,
        topic: &str,
        key: &str,
        bytes: Option<&[u8]>,
    ) -> Result<SchemaAndValue, ConvertError>;
}

/// A converter plugin: its descriptor, its definition and a factory.
pub trait ConverterPlugin: Send + Sync + std::fmt::Debug + 'static {
    fn descriptor(&self) -> &PluginDescriptor;
    fn config_def(&self) -> &ConfigDef;
    /// Builds a converter from its properties (prefix already stripped: `schemas.enable`, …).
    ///
    /// # Errors
    /// On invalid properties.
    fn create(&self, props: &Props, is_key: bool) -> Result<Box<dyn Converter>, ConnectError>;
    /// Builds a header converter, for plugins that are one.
    ///
    /// # Errors
    /// On invalid properties, or when this plugin is not a header converter.
    fn create_header(&self, _props: &Props) -> Result<Box<dyn HeaderConverter>, ConnectError> {
        Err(ConnectError::fatal(format!(
            "{} is not a header converter",
            self.descriptor().class
        )))
    }
}
