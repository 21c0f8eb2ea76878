//! The Kafka Connect REST API on axum, indistinguishable from Kafka Connect 3.9's at the wire:
//! same paths (with or without a trailing slash), JSON shapes and field order, status codes and
//! error texts.
//!
//! # Layout
//! - [`router`] builds the API from [`ROUTES`] over an [`AppState`] (the [`connect_runtime::Herder`]
//!   and [`connect_runtime::Loggers`] it drives).
//! - [`ApiError`] renders every failure as `{"error_code":N,"message":…}`.
//! - `jackson`: request bodies are read with Jackson's rules and error messages (Kafka answers
//!   malformed JSON with 500 and Jackson's text).
//! - `java_order`: maps Kafka renders from a `java.util.HashMap` come out in the same key order.
//! - [`serve`] runs the router on a listener with Jetty's idle timeout, a header read timeout,
//!   a connection cap and the `Host` check ([`ServerLimits`]).
//! - [`security`]: https ([`security::tls`]), CORS, response header rules and the BasicAuth
//!   extension, from the worker properties; [`serve_tls`] serves the router over TLS.
//! - [`testkit`] (feature `testkit`): an in-memory herder and loggers for tests.
//!
//! - [`forward`]: requests another worker of the cluster must serve are forwarded there, as
//!   Kafka's `HerderRequestHandler` does, and the signed inter-worker endpoints
//!   `POST /connectors/{c}/tasks` and `PUT /connectors/{c}/fence` are served (outside
//!   [`ROUTES`]).
//!
//! Two endpoints are Sluice's own, not Kafka's:
//! `GET /connectors/{c}/tasks/{t}/progress`, the latest progress a task reported, and
//! `GET /metrics`, the Prometheus exposition (`metrics`).

mod error;
mod extract;
pub mod forward;
mod handlers;
mod jackson;
mod java_order;
mod metrics;
mod routes;
pub mod security;
mod server;
mod state;
mod uri;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use error::ApiError;
pub use forward::Forwarder;
pub use routes::{ROUTES, router};
pub use server::{
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_HEADERS, ServerLimits, serve, serve_tls,
};
pub use state::{AppState, DEFAULT_BODY_LIMIT, DEFAULT_REQUEST_TIMEOUT, Endpoints, TopicTracking};
