//! [`AppState`]: what the router needs.

use std::sync::Arc;
use std::time::Duration;

use connect_runtime::{Herder, Loggers};

use crate::security::RestSecurity;

/// Kafka Connect's `RestServer.DEFAULT_REST_REQUEST_TIMEOUT_MS`.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(90);

/// The largest request body read (Kafka Connect has no limit; 32 MiB is far above any real
/// connector config).
pub const DEFAULT_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// `topic.tracking.enable` / `topic.tracking.allow.reset` (both default `true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicTracking {
    pub enable: bool,
    pub allow_reset: bool,
}

impl Default for TopicTracking {
    fn default() -> Self {
        Self {
            enable: true,
            allow_reset: true,
        }
    }
}

/// Which endpoints a listener serves (`admin.listeners`, `RestServer.initializeResources`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Endpoints {
    /// Everything: `listeners` when `admin.listeners` is not set.
    #[default]
    All,
    /// All but `/admin/…`: `listeners` when `admin.listeners` is set (empty disables the
    /// admin endpoints altogether).
    Regular,
    /// Only `/admin/…`, without REST extensions, CORS or header rules, which Kafka installs on
    /// the main listeners only: `admin.listeners`.
    Admin,
    /// Only `GET /metrics`, likewise bare: Sluice's `metrics.listener`, standing in for the
    /// port of the JMX exporter agent that serves a JVM worker's metrics.
    Metrics,
}

/// The state the REST handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    pub herder: Arc<dyn Herder>,
    pub loggers: Arc<dyn Loggers>,
    /// The worker's advertised URL (`http://host:8083`). `Location` headers are built from the
    /// request's `Host` header when there is one (as Jersey does) and from this URL otherwise;
    /// its scheme is always used.
    pub advertised_url: String,
    pub topic_tracking: TopicTracking,
    /// Longest a request may take before `500 Request timed out`.
    pub request_timeout: Duration,
    /// Largest request body; larger ones get `413`.
    pub body_limit: usize,
    /// CORS, BasicAuth and response header rules (none by default).
    pub security: RestSecurity,
    pub endpoints: Endpoints,
    /// The client requests go to other workers of the cluster with (distributed mode); without
    /// one, a request for another worker is a 500.
    pub forwarder: Option<crate::forward::Forwarder>,
}

impl AppState {
    /// State with Kafka Connect's defaults (topic tracking on, 90 s timeout, 32 MiB bodies).
    pub fn new(
        herder: Arc<dyn Herder>,
        loggers: Arc<dyn Loggers>,
        advertised_url: impl Into<String>,
    ) -> Self {
        Self {
            herder,
            loggers,
            advertised_url: advertised_url.into(),
            topic_tracking: TopicTracking::default(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            body_limit: DEFAULT_BODY_LIMIT,
            security: RestSecurity::default(),
            endpoints: Endpoints::All,
            forwarder: None,
        }
    }

    /// Forwarding requests to the other workers of the cluster with `forwarder`.
    #[must_use]
    pub fn with_forwarder(mut self, forwarder: crate::forward::Forwarder) -> Self {
        self.forwarder = Some(forwarder);
        self
    }

    /// With `topic.tracking.enable` / `topic.tracking.allow.reset`.
    #[must_use]
    pub fn with_topic_tracking(mut self, enable: bool, allow_reset: bool) -> Self {
        self.topic_tracking = TopicTracking {
            enable,
            allow_reset,
        };
        self
    }

    /// With another request timeout.
    #[must_use]
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// With CORS, BasicAuth and response header rules.
    #[must_use]
    pub fn with_security(mut self, security: RestSecurity) -> Self {
        self.security = security;
        self
    }

    /// Serving only some endpoints (`admin.listeners`).
    #[must_use]
    pub fn with_endpoints(mut self, endpoints: Endpoints) -> Self {
        self.endpoints = endpoints;
        self
    }

    /// With another body limit.
    #[must_use]
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }
}
