//! The worker runtime: herder, task runners, plugin registry, shared Kafka clients.
