//! What Sluice has in place of Kafka's `kafka-clients` jar beyond rdkafka itself: the
//! [`producer::EventProducer`] that the worker's stores, its source tasks and dead letter
//! queues, and connectors' own clients (Debezium's schema history) all send through.
//!
//! The settings those clients are created with come from `connect_api::kafka_client`, which
//! translates Kafka's Java client settings; this crate only drives librdkafka.

pub mod producer;

pub use producer::{DeliveryFuture, EventProducer};
