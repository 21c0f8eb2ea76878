//! The Kafka Connect REST API on axum.
