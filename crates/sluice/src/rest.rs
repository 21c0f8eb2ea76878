//! The REST listeners, as Kafka's `RestServer` opens them: every `listeners` entry (http or
//! https), and the `admin.listeners` ones serving only `/admin/…` (absent: the admin endpoints
//! are on `listeners`; empty: they are off). Everything that can be wrong (a store, the JAAS
//! file, an unknown REST extension, a port in use) is found before the worker starts.
//!
//! Sluice adds one of its own: `metrics.listener` serves only `GET /metrics`, the way a JVM
//! worker's Prometheus JMX exporter agent has a port of its own, so that scrapers can reach the
//! metrics where the REST API is not exposed. Like the admin listeners it has no REST
//! extensions (so no BasicAuth), CORS or header rules.

use std::io;
use std::sync::Arc;

use anyhow::Context as _;
use connect_rest::security::{RestSecurity, tls};
use connect_rest::{AppState, Endpoints, ServerLimits};
use connect_runtime::worker_config::{Listener, Protocol, WorkerConfig};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A listener bound and ready to serve.
struct Bound {
    listener: Listener,
    tcp: tokio::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    endpoints: Endpoints,
}

/// `metrics.listener`'s TLS settings, as `admin.listeners.https.` is the admin listeners'.
const METRICS_LISTENER_HTTPS_PREFIX: &str = "metrics.listener.https.";

/// Binds every REST listener and serves the API on each until `cancel`.
///
/// # Errors
/// A security setting that cannot be honoured, or a listener that cannot be bound.
pub(crate) async fn start(
    config: &WorkerConfig,
    state: AppState,
    limits: ServerLimits,
    cancel: &CancellationToken,
) -> anyhow::Result<Vec<JoinHandle<io::Result<()>>>> {
    let kafka_opts = std::env::var("KAFKA_OPTS").ok();
    let security = RestSecurity::from_worker_props(&config.originals, kafka_opts.as_deref())?;
    let main_endpoints = match config.admin_listeners {
        None => Endpoints::All,
        Some(_) => Endpoints::Regular,
    };
    let mut wanted: Vec<(&Listener, Endpoints, &str)> = config
        .listeners
        .iter()
        .map(|l| (l, main_endpoints, tls::LISTENERS_HTTPS_PREFIX))
        .collect();
    for l in config.admin_listeners.iter().flatten() {
        wanted.push((l, Endpoints::Admin, tls::ADMIN_LISTENERS_HTTPS_PREFIX));
    }
    if let Some(l) = &config.metrics_listener {
        wanted.push((l, Endpoints::Metrics, METRICS_LISTENER_HTTPS_PREFIX));
    }
    let mut bound = Vec::new();
    for (listener, endpoints, prefix) in wanted {
        let tls = match listener.protocol {
            Protocol::Http => None,
            Protocol::Https => Some(
                tls::server_config(&config.originals, prefix)
                    .with_context(|| format!("cannot serve {listener}"))?,
            ),
        };
        let bind = listener.bind_address();
        let tcp = tokio::net::TcpListener::bind(&bind)
            .await
            .with_context(|| format!("could not listen on {bind}"))?;
        bound.push(Bound {
            listener: listener.clone(),
            tcp,
            tls,
            endpoints,
        });
    }
    let mut servers = Vec::new();
    for b in bound {
        let app = connect_rest::router(
            state
                .clone()
                .with_security(security.clone())
                .with_endpoints(b.endpoints),
        );
        tracing::info!(
            listener = %b.listener,
            admin = b.endpoints == Endpoints::Admin,
            metrics_only = b.endpoints == Endpoints::Metrics,
            basic_auth = security.basic_auth.is_some()
                && matches!(b.endpoints, Endpoints::All | Endpoints::Regular),
            "REST server listening."
        );
        let shutdown = cancel.clone().cancelled_owned();
        servers.push(match b.tls {
            None => tokio::spawn(connect_rest::serve(b.tcp, app, limits, shutdown)),
            Some(tls) => tokio::spawn(connect_rest::serve_tls(b.tcp, app, limits, tls, shutdown)),
        });
    }
    Ok(servers)
}
