//! Single Message Transforms and predicates: Kafka's `connect-transforms` jar and the Debezium
//! SMTs CDC pipelines rely on, as Sluice plugins.
//!
//! Each transform implements [`connect_api::Transformation`] over a [`connect_api::ConnectRecord`]
//! and is registered by class name through a [`connect_api::TransformationPlugin`]; predicates
//! likewise. Output must be byte-equal to the Java implementations' once converted, so every
//! rule (field order, optional flags, schema names and versions, error texts) follows their
//! sources.
//!
//! - [`kafka`] holds Kafka's `org.apache.kafka.connect.transforms.*` and `…transforms.predicates.*`.
//! - [`debezium`] holds Debezium's `io.debezium.transforms.*`.

pub mod debezium;
pub mod kafka;
#[cfg(test)]
mod test_support;

use connect_api::{PredicatePlugin, TransformationPlugin};

/// Every transformation this crate ships, for the binary's registry.
pub fn transformations() -> Vec<Box<dyn TransformationPlugin>> {
    let mut all = kafka::transformations();
    all.extend(debezium::transformations());
    all
}

/// Every predicate this crate ships.
pub fn predicates() -> Vec<Box<dyn PredicatePlugin>> {
    kafka::predicates()
}
