//! Kafka's example connectors, `FileStreamSource` and `FileStreamSink`, as Sluice plugins.
//!
//! They are small on purpose: Kafka ships them to demonstrate the Connect API, and people use
//! them to smoke-test a worker (`connect-file-source.properties` is in every Kafka tarball). So
//! they follow Kafka 3.9's classes closely, down to the `ConfigDef` texts shown by
//! `GET /connector-plugins/{p}/config` and the error messages of `alterOffsets`.
//!
//! # Layout
//! - [`source`]: `FileStreamSourceConnector` and its task, which tails a file (or stdin) line by
//!   line and records the byte position after each line as the source offset.
//! - [`sink`]: `FileStreamSinkConnector` and its task, which appends each record's value to a file
//!   (or stdout) and makes it durable before offsets are committed.
//! - `text`: the Java `toString` rendering the sink writes values with.
//!
//! Both connectors depend on `connect-api` alone; the worker binary registers
//! [`FileStreamSourceConnector`] and [`FileStreamSinkConnector`].

pub mod sink;
pub mod source;
mod text;

#[cfg(test)]
mod testing;

pub use sink::{FileStreamSinkConfig, FileStreamSinkConnector, FileStreamSinkTask};
pub use source::{FileStreamSourceConfig, FileStreamSourceConnector, FileStreamSourceTask};

/// The version both connectors report. Kafka's file connectors report the Kafka version
/// (`AppInfoParser.getVersion()`); we report the one we are a drop-in for, so that
/// `GET /connector-plugins` reads as it does on Kafka Connect 3.9.
pub(crate) const KAFKA_VERSION: &str = "3.9.0";
