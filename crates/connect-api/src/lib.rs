//! The plugin SPI of Sluice: what a connector author sees, and nothing else.
//!
//! This crate is the Rust counterpart of Kafka Connect's `connect-api` jar. Connector crates depend
//! on it alone (never on the runtime), which is what makes them plugins: the runtime can evolve its
//! Kafka clients, stores and REST layer without touching a connector.
//!
//! # Layout
//! - [`data`]: the Connect data model ([`Schema`], [`Value`], [`Struct`]), the logical types, and
//!   Kafka's `Values` text forms ([`data::values`]).
//! - [`record`]: [`SourceRecord`], [`SinkRecord`], partitions and offsets.
//! - [`config`]: [`ConfigDef`], the declarative definition that drives parsing, defaults,
//!   `GET /connector-plugins/{p}/config` and `PUT …/config/validate`.
//! - [`connector`], [`source`], [`sink`]: the typed author traits and their contexts.
//! - [`converter`]: the byte ⇄ Connect data boundary (`JsonConverter` and friends implement it).
//! - [`transform`]: Single Message Transforms and predicates over a [`ConnectRecord`].
//! - [`java`]: Java's and Jackson's text rules (`Double.toString`/`Float.toString` as JDK 17
//!   prints them, `BigDecimal.toString`, Jackson string escaping, `String.trim`,
//!   `String.hashCode` and `HashMap` order, civil dates, `.properties`) that byte-compatible
//!   output inherits; the one home of these rules for every crate.
//! - [`kafka_client`]: Kafka's Java client settings translated to librdkafka's, for every client
//!   the runtime or a connector creates.
//! - [`error`]: [`ConnectError`], which carries Kafka Connect's retriable/fatal distinction.
//!
//! # Example
//! ```
//! use connect_api::config::{ConfigDef, ConfigKey, ConfigType, Importance};
//! use connect_api::Props;
//!
//! let def = ConfigDef::builder()
//!     .define(ConfigKey::new("topic", ConfigType::String, Importance::High, "Topic to write to.").required())
//!     .define(ConfigKey::new("batch.size", ConfigType::Int, Importance::Low, "Records per poll.").default("2000"))
//!     .build();
//! let props: Props = [("topic".to_string(), "t".to_string())].into();
//! let outcome = def.parse(&props);
//! assert_eq!(outcome.report.error_count(), 0);
//! assert_eq!(outcome.parsed.int("batch.size"), 2000);
//! ```

pub mod config;
pub mod connector;
pub mod converter;
pub mod data;
pub mod error;
pub mod java;
pub mod kafka_client;
pub mod record;
pub mod sink;
pub mod source;
pub mod transform;

use std::collections::BTreeMap;

pub use config::{ConfigDef, ConnectorConfig, FieldErrors, ParsedConfig};
pub use connector::{
    ConnectorContext, PluginDescriptor, PluginKind, SinkConnector, SourceConnector,
};
pub use converter::{Converter, ConverterPlugin, HeaderConverter};
pub use data::{
    Field, Schema, SchemaAndValue, SchemaBuilder, SchemaRef, SchemaType, Struct, Value,
};
pub use error::{BoxError, ConnectError, ConvertError};
pub use record::{
    Header, Headers, OffsetForm, OffsetMap, RecordOffset, SinkRecord, SourceOffset,
    SourcePartition, SourceRecord, TimestampType, TopicPartition,
};
pub use sink::{AssignedPartition, SinkTask, SinkTaskContext, SinkTaskHost};
pub use source::{OffsetStorageReader, SourceTask, SourceTaskContext, TaskHost};
pub use transform::{
    ConnectRecord, Predicate, PredicatePlugin, Transformation, TransformationPlugin,
};

/// Raw Kafka Connect properties: exactly what arrives over REST and is stored in the config topic.
///
/// Sorted so that task configs and echoes are deterministic; Kafka's own `HashMap` order is
/// arbitrary, so no client can depend on any particular order.
pub type Props = BTreeMap<String, String>;
