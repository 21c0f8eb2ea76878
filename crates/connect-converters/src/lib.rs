//! Kafka Connect's converters, byte-compatible with Apache Kafka 3.9.
//!
//! A converter is the boundary between Kafka's bytes and the Connect data model: sinks receive
//! what `to_connect_data` reads, and sources' records leave through `from_connect_data`. Each
//! converter is offered to the runtime as a [`ConverterPlugin`] under its Java class name, so
//! existing worker and connector configurations (`value.converter=org.apache.kafka.connect.json.JsonConverter`)
//! work unchanged; [`plugins`] lists them all.
//!
//! | class | module |
//! |---|---|
//! | `org.apache.kafka.connect.json.JsonConverter` | [`json`] |
//! | `org.apache.kafka.connect.storage.StringConverter` | [`string`] |
//! | `org.apache.kafka.connect.converters.ByteArrayConverter` | [`bytearray`] |
//! | `org.apache.kafka.connect.storage.SimpleHeaderConverter` | [`header`] |
//! | `org.apache.kafka.connect.converters.{Short,Integer,Long,Float,Double,Boolean}Converter` | [`number`] |
//!
//! Byte-compatibility is the point: downstream consumers (and golden files captured from real
//! Kafka Connect + Debezium deployments) compare output byte for byte. The JSON writer therefore
//! follows Jackson's conventions exactly (member order, escapes, `Double.toString` number forms)
//! instead of using a general-purpose serializer; Java's text forms live in `connect_api::java`.
//!
//! `JsonConverter` writes JSON straight into the output buffer (no intermediate tree) and writes
//! each schema's JSON once: up to `schemas.cache.size` schemas are cached, found by their `Arc`'s
//! address (holding the `Arc` so the address cannot be reused) or, for another object with the
//! same content, by a content hash confirmed field by field; reading caches schemas by their
//! raw JSON text, so a repeated envelope schema is neither parsed nor rebuilt. Callers that batch output can use
//! [`json::JsonConverter::write`] to append to their own buffer.
//!
//! # Deliberate differences from Kafka
//! - A JSON node of the wrong kind for its declared schema (`"x"` for an `int32`) is an error;
//!   Jackson's accessors would silently read `0`, `false` or `null`.
//! - JSON nesting is limited to 200 levels (Jackson: 1000) so that recursion fits a 2 MiB stack.
//! - `SimpleHeaderConverter` reads a top-level text as a number or temporal value only when the
//!   whole text is one (Kafka reads `1,2` as the int8 `1`), and it unescapes `\"` and `\\`
//!   inside quoted strings of array/map texts (Kafka keeps the backslashes).
//! - Lone UTF-16 surrogates in `\u` escapes become U+FFFD (Rust strings cannot hold them).
//! - A NUMERIC decimal is read at the schema's scale (the Connect model stores the unscaled bytes),
//!   and rejected when that would drop non-zero digits.
//!
//! # Example
//! ```
//! use connect_api::{ConverterPlugin, Schema, SchemaAndValue, Struct, Props};
//! use connect_converters::json::JsonConverterPlugin;
//!
//! let schema = Schema::struct_builder()
//!     .name("dbserver1.inventory.customers.Key")
//!     .field("id", Schema::int32())
//!     .build();
//! let key = Struct::new(schema.clone()).with("id", 1004);
//!
//! let converter = JsonConverterPlugin::default().create(&Props::new(), true).unwrap();
//! let bytes = converter
//!     .from_connect_data("customers", &connect_api::Headers::new(), &SchemaAndValue::new(Some(schema), key.clone().into()))
//!     .unwrap()
//!     .unwrap();
//! assert_eq!(
//!     &bytes[..],
//!     br#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"dbserver1.inventory.customers.Key"},"payload":{"id":1004}}"#
//! );
//!
//! let back = converter.to_connect_data("customers", &connect_api::Headers::new(), Some(&bytes)).unwrap();
//! assert_eq!(back.value.as_struct().unwrap().get("id"), Some(&1004.into()));
//! ```

pub mod bytearray;
mod error;
pub mod header;
pub mod json;
pub mod number;
pub mod string;

use std::sync::Arc;

use connect_api::config::{
    ConfigDef, ConfigDefBuilder, ConfigKey, ConfigType, Importance, ParsedConfig, Validator,
};
use connect_api::connector::PluginKind;
use connect_api::{ConnectError, ConverterPlugin, PluginDescriptor, Props};

pub use error::Error;

/// The Kafka release whose converters these are; reported as each plugin's version.
pub const KAFKA_VERSION: &str = "3.9.0";

/// Every converter plugin of this crate, for the runtime's registry.
pub fn plugins() -> Vec<Arc<dyn ConverterPlugin>> {
    let mut out: Vec<Arc<dyn ConverterPlugin>> = vec![
        Arc::new(json::JsonConverterPlugin::default()),
        Arc::new(string::StringConverterPlugin::default()),
        Arc::new(bytearray::ByteArrayConverterPlugin::default()),
        Arc::new(header::SimpleHeaderConverterPlugin::default()),
    ];
    out.extend(
        number::NumberConverterPlugin::all().map(|p| Arc::new(p) as Arc<dyn ConverterPlugin>),
    );
    out
}

/// `ConverterType`: what a converter instance is used for (`converter.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConverterType {
    Key,
    Value,
    Header,
}

impl ConverterType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Value => "value",
            Self::Header => "header",
        }
    }

    pub fn for_key(is_key: bool) -> Self {
        if is_key { Self::Key } else { Self::Value }
    }
}

const CONVERTER_TYPE: &str = "converter.type";

/// `ConverterConfig.newConfigDef()`: the `converter.type` key every converter shares.
fn converter_def() -> ConfigDefBuilder {
    ConfigDef::builder().define(
        ConfigKey::new(
            CONVERTER_TYPE,
            ConfigType::String,
            Importance::Low,
            "How this converter will be used.",
        )
        .required()
        .validator(Validator::OneOf(&["key", "value", "header"])),
    )
}

/// Parses converter properties with `converter.type` set from how the converter is used, as
/// Kafka's `configure(configs, isKey)` overrides it.
fn parse_props(
    def: &ConfigDef,
    props: &Props,
    ty: ConverterType,
) -> Result<(ParsedConfig, ConverterType), ConnectError> {
    let mut props = props.clone();
    props.insert(CONVERTER_TYPE.to_owned(), ty.as_str().to_owned());
    let outcome = def.parse(&props);
    let errors = outcome.report.field_errors();
    if !errors.is_empty() {
        return Err(ConnectError::Config(errors));
    }
    Ok((outcome.parsed, ty))
}

fn descriptor(class: &'static str) -> PluginDescriptor {
    PluginDescriptor {
        class,
        extra_aliases: &[],
        kind: PluginKind::Converter,
        version: KAFKA_VERSION,
    }
}
