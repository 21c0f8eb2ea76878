//! The worker runtime of Sluice: it runs connectors and tasks with Kafka Connect's lifecycle.
//!
//! # Layout
//! - [`herder`]: the [`Herder`] trait the REST layer drives, and its error type.
//! - [`entities`]: serde mirrors of Kafka Connect's REST entities (`ConnectorInfo`,
//!   `ConnectorStateInfo`, …), with Kafka's field order.
//! - [`loggers`]: run-time log levels behind `/admin/loggers`.
//! - [`transforms`]: a connector's SMT chain and the keys its aliases add to validation.
//! - [`override_policy`]: which client settings connectors may override.
//! - [`unsupported`]: connector settings Sluice refuses, or accepts with a warning.
//! - [`metrics`]: the Prometheus exposition of `GET /metrics`, under the JMX exporter's names.

pub mod entities;
pub mod herder;
pub mod loggers;

pub use herder::{Herder, HerderError, HerderErrorKind, SignatureHeaders};
pub use loggers::Loggers;
pub use worker::{Stores, WorkerHerder, WorkerSettings};
pub mod config_providers;
pub mod connector_config;
pub mod kafka;
pub mod metrics;
pub mod override_policy;
pub mod registry;
pub mod task;
pub mod topic_creation;
pub mod transforms;
pub mod unsupported;
pub mod worker;
pub mod worker_config;
