//! The route table, the router, and the request pipeline Jersey applies before a resource method
//! runs (404 → 405 → 415 → 406 → authentication), plus timeouts, panics and logging, and the
//! servlet filters Kafka puts in front of Jersey (CORS, response headers).

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use futures::FutureExt;
use http::{HeaderValue, Method, header};
use tower::util::MapResponse;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::extract::{accepts_json, compatible_with_json, media_type};
use crate::handlers as h;
use crate::security::basic_auth::{BasicAuth, UNAUTHORIZED_BODY, Verdict, WWW_AUTHENTICATE};
use crate::security::{RestSecurity, cors, headers};
use crate::state::{AppState, Endpoints};

/// Every route served, as `(method, path template)`. The router is built from this table, and
/// `openapi.yaml` must describe exactly these operations (checked by a test). Each path is also
/// served with a trailing slash (`/connectors/`), as JAX-RS does; `HEAD` is served wherever `GET`
/// is, and `OPTIONS` everywhere.
pub const ROUTES: &[(Method, &str)] = &[
    (Method::GET, "/"),
    (Method::GET, "/health"),
    // Sluice's own: the Prometheus exposition under the JMX exporter's names.
    (Method::GET, "/metrics"),
    (Method::GET, "/connectors"),
    (Method::POST, "/connectors"),
    (Method::GET, "/connectors/{connector}"),
    (Method::DELETE, "/connectors/{connector}"),
    (Method::GET, "/connectors/{connector}/config"),
    (Method::PUT, "/connectors/{connector}/config"),
    (Method::PATCH, "/connectors/{connector}/config"),
    (Method::GET, "/connectors/{connector}/status"),
    (Method::POST, "/connectors/{connector}/restart"),
    (Method::PUT, "/connectors/{connector}/pause"),
    (Method::PUT, "/connectors/{connector}/resume"),
    (Method::PUT, "/connectors/{connector}/stop"),
    (Method::GET, "/connectors/{connector}/tasks"),
    (Method::GET, "/connectors/{connector}/tasks-config"),
    (Method::GET, "/connectors/{connector}/tasks/{task}/status"),
    // Sluice's own (issue #3); Kafka Connect has no progress endpoint.
    (Method::GET, "/connectors/{connector}/tasks/{task}/progress"),
    (Method::POST, "/connectors/{connector}/tasks/{task}/restart"),
    (Method::GET, "/connectors/{connector}/topics"),
    (Method::PUT, "/connectors/{connector}/topics/reset"),
    (Method::GET, "/connectors/{connector}/offsets"),
    (Method::PATCH, "/connectors/{connector}/offsets"),
    (Method::DELETE, "/connectors/{connector}/offsets"),
    (Method::GET, "/connector-plugins"),
    (Method::GET, "/connector-plugins/{plugin}/config"),
    (Method::PUT, "/connector-plugins/{plugin}/config/validate"),
    (Method::GET, "/admin/loggers"),
    (Method::GET, "/admin/loggers/{logger}"),
    (Method::PUT, "/admin/loggers/{logger}"),
];

/// The handler for one row of [`ROUTES`].
///
/// # Panics
/// For a row without a handler (caught by the tests).
fn endpoint(method: &Method, path: &str) -> MethodRouter<AppState> {
    match (method.as_str(), path) {
        ("GET", "/") => get(h::server_info),
        ("GET", "/health") => get(h::health),
        ("GET", "/metrics") => get(crate::metrics::metrics),
        ("GET", "/connectors") => get(h::list_connectors),
        ("POST", "/connectors") => post(h::create_connector),
        ("GET", "/connectors/{connector}") => get(h::get_connector),
        ("DELETE", "/connectors/{connector}") => delete(h::delete_connector),
        ("GET", "/connectors/{connector}/config") => get(h::get_connector_config),
        ("PUT", "/connectors/{connector}/config") => put(h::put_connector_config),
        ("PATCH", "/connectors/{connector}/config") => patch(h::patch_connector_config),
        ("GET", "/connectors/{connector}/status") => get(h::connector_status),
        ("POST", "/connectors/{connector}/restart") => post(h::restart_connector),
        ("PUT", "/connectors/{connector}/pause") => put(h::pause_connector),
        ("PUT", "/connectors/{connector}/resume") => put(h::resume_connector),
        ("PUT", "/connectors/{connector}/stop") => put(h::stop_connector),
        ("GET", "/connectors/{connector}/tasks") => get(h::task_configs),
        ("GET", "/connectors/{connector}/tasks-config") => get(h::tasks_config),
        ("GET", "/connectors/{connector}/tasks/{task}/status") => get(h::task_status),
        ("GET", "/connectors/{connector}/tasks/{task}/progress") => get(h::task_progress),
        ("POST", "/connectors/{connector}/tasks/{task}/restart") => post(h::restart_task),
        ("GET", "/connectors/{connector}/topics") => get(h::connector_topics),
        ("PUT", "/connectors/{connector}/topics/reset") => put(h::reset_connector_topics),
        ("GET", "/connectors/{connector}/offsets") => get(h::get_offsets),
        ("PATCH", "/connectors/{connector}/offsets") => patch(h::alter_offsets),
        ("DELETE", "/connectors/{connector}/offsets") => delete(h::reset_offsets),
        ("GET", "/connector-plugins") => get(h::list_plugins),
        ("GET", "/connector-plugins/{plugin}/config") => get(h::plugin_config),
        ("PUT", "/connector-plugins/{plugin}/config/validate") => put(h::validate_config),
        ("GET", "/admin/loggers") => get(h::list_loggers),
        ("GET", "/admin/loggers/{logger}") => get(h::get_logger),
        ("PUT", "/admin/loggers/{logger}") => put(h::set_logger),
        ("POST", "/connectors/{connector}/tasks") => post(crate::forward::put_task_configs),
        ("PUT", "/connectors/{connector}/fence") => put(crate::forward::fence_zombies),
        (m, p) => panic!("no handler for {m} {p}"),
    }
}

/// The Kafka Connect REST API.
///
/// Every answer that is not a success is `{"error_code":N,"message":…}` (see [`ApiError`]).
pub fn router(state: AppState) -> Router {
    let endpoints = state.endpoints;
    // Kafka registers REST extensions, CORS and header rules on the main listeners only.
    let security = match endpoints {
        Endpoints::Admin | Endpoints::Metrics => RestSecurity::default(),
        Endpoints::All | Endpoints::Regular => state.security.clone(),
    };
    let mut by_path: BTreeMap<&str, MethodRouter<AppState>> = BTreeMap::new();
    // The signed inter-worker endpoints live where the connectors resource does.
    let internal = crate::forward::INTERNAL_ROUTES
        .iter()
        .filter(|_| matches!(endpoints, Endpoints::All | Endpoints::Regular));
    for (method, path) in ROUTES
        .iter()
        .filter(|(_, p)| {
            let admin = p.starts_with("/admin/");
            match endpoints {
                Endpoints::All => true,
                Endpoints::Regular => !admin,
                Endpoints::Admin => admin,
                Endpoints::Metrics => *p == "/metrics",
            }
        })
        .chain(internal)
    {
        let route = endpoint(method, path);
        let merged = match by_path.remove(path) {
            Some(existing) => existing.merge(route),
            None => route,
        };
        by_path.insert(path, merged);
    }
    let mut app: Router<AppState> = Router::new();
    for (path, route) in by_path {
        if path != "/" {
            app = app.route(&format!("{path}/"), route.clone());
        }
        app = app.route(path, route);
    }
    let guard = Guard {
        timeout: state.request_timeout,
    };
    let app: Router = app
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::forward::forward_when_asked,
        ))
        .route_layer(middleware::from_fn_with_state(
            security.basic_auth.clone(),
            negotiate,
        ))
        .fallback(route_not_found)
        .layer(DefaultBodyLimit::max(state.body_limit))
        .layer(middleware::from_fn_with_state(guard, guard_request))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map_or("<unmatched>", MatchedPath::as_str);
            tracing::info_span!("rest", method = %req.method(), route, uri = %req.uri())
        }))
        .with_state(state);
    // axum's method router adds `Allow` to a 405 after every layer has run; Kafka's exception
    // mapper answers with a fresh response that has none. Strip it from outside.
    let app = Router::new().fallback_service(MapResponse::new(
        app,
        strip_allow_from_405 as fn(Response) -> Response,
    ));
    if security.cors.is_none() && security.response_headers.is_empty() {
        return app;
    }
    // Servlet filters: they see every request, matched or not, before Jersey does.
    app.layer(middleware::from_fn_with_state(security, servlet_filters))
}

/// Jetty's `CrossOriginFilter` and `HeaderFilter`: headers decided from the request before the
/// API answers.
async fn servlet_filters(
    State(security): State<RestSecurity>,
    req: Request,
    next: Next,
) -> Response {
    let cors = security
        .cors
        .as_ref()
        .map(|c| c.response_headers(req.method(), req.headers()));
    let mut resp = next.run(req).await;
    headers::apply(&security.response_headers, resp.headers_mut());
    if let Some(cors) = cors {
        cors::merge_into(resp.headers_mut(), cors);
    }
    resp
}

/// `JaasBasicAuthFilter`, run where Jersey runs request filters: after the resource method was
/// selected (so 404, 405, 415 and 406 come first).
fn authenticate(auth: Option<&BasicAuth>, req: &Request) -> Option<Response> {
    let auth = auth?;
    match auth.check(req.headers().get(header::AUTHORIZATION)) {
        Verdict::Allowed => None,
        Verdict::Denied => {
            let mut resp = Response::new(Body::from(UNAUTHORIZED_BODY));
            *resp.status_mut() = http::StatusCode::UNAUTHORIZED;
            // Jersey gives the entity the resource's `@Produces` type.
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            // Kafka's filter sends no challenge; RFC 9110 wants one on a 401, and clients
            // such as curl's `--anyauth` need it to offer credentials.
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(WWW_AUTHENTICATE),
            );
            Some(resp)
        }
        Verdict::BadEncoding(message) => {
            Some(ApiError::new(http::StatusCode::INTERNAL_SERVER_ERROR, message).into_response())
        }
    }
}

fn strip_allow_from_405(mut resp: Response) -> Response {
    if resp.status() == http::StatusCode::METHOD_NOT_ALLOWED {
        resp.headers_mut().remove(header::ALLOW);
    }
    resp
}

/// The template of a matched path without its trailing slash.
fn template(matched: &str) -> &str {
    if matched.len() > 1 {
        matched.strip_suffix('/').unwrap_or(matched)
    } else {
        matched
    }
}

/// The methods a path template accepts, as [`ROUTES`] and the internal routes list them.
fn allowed_methods(path: &str) -> Vec<&'static Method> {
    ROUTES
        .iter()
        .chain(crate::forward::INTERNAL_ROUTES)
        .filter(|(_, p)| *p == path)
        .map(|(m, _)| m)
        .collect()
}

/// Jersey's method selection for a matched path: 405 for a method the resource lacks,
/// `OPTIONS` answered with the allowed methods, 415 for a `Content-Type` the resource does not
/// consume (`application/json` everywhere but `/`, `/health` and the internal routes), 406 for
/// an `Accept` that excludes `application/json`.
async fn negotiate(
    State(auth): State<Option<Arc<BasicAuth>>>,
    req: Request,
    next: Next,
) -> Response {
    let Some(matched) = req.extensions().get::<MatchedPath>().cloned() else {
        return next.run(req).await;
    };
    let path = template(matched.as_str());
    let allowed = allowed_methods(path);
    let method = req.method();
    if method == Method::OPTIONS {
        if let Some(denied) = authenticate(auth.as_deref(), &req) {
            return denied;
        }
        return options(&allowed);
    }
    let ok =
        allowed.contains(&method) || (method == Method::HEAD && allowed.contains(&&Method::GET));
    if !ok {
        return ApiError::method_not_allowed().into_response();
    }
    let consumes_json = path != "/" && path != "/health";
    if consumes_json && let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
        match ct.to_str().ok().and_then(media_type) {
            None => return ApiError::bad_request().into_response(),
            // `InternalClusterResource` declares no `@Consumes`: its methods take any type.
            Some((t, s))
                if !compatible_with_json(&t, &s) && !crate::forward::is_internal(method, path) =>
            {
                return ApiError::unsupported_media_type().into_response();
            }
            Some(_) => {}
        }
    }
    // `/metrics` answers in the exposition format, whatever a scraper accepts.
    if path != "/metrics" && !accepts_json(req.headers()) {
        return ApiError::not_acceptable().into_response();
    }
    // Workers authenticate their internal requests with signatures, not users' credentials.
    if !crate::forward::is_internal(method, path)
        && let Some(denied) = authenticate(auth.as_deref(), &req)
    {
        return denied;
    }
    next.run(req).await
}

/// Jersey's automatic `OPTIONS` answer: the allowed methods as `text/plain`.
fn options(allowed: &[&Method]) -> Response {
    let mut methods: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
    if methods.contains(&"GET") {
        methods.push("HEAD");
    }
    methods.push("OPTIONS");
    let methods = crate::java_order::string_keys_in_hash_order(methods);
    let list = methods.join(", ");
    let mut resp = Response::new(Body::from(list.clone()));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    if let Ok(v) = HeaderValue::from_str(&list) {
        resp.headers_mut().insert(header::ALLOW, v);
    }
    resp
}

/// 404 for a path no route matches.
async fn route_not_found() -> ApiError {
    ApiError::route_not_found()
}

#[derive(Debug, Clone, Copy)]
struct Guard {
    timeout: Duration,
}

/// Runs the request on its own task: past the timeout the client gets `500 Request timed out`
/// while the operation still completes (as Kafka Connect's herder does), and a panic becomes a
/// logged `500` instead of a dropped connection.
async fn guard_request(State(guard): State<Guard>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let task = tokio::spawn(AssertUnwindSafe(next.run(req)).catch_unwind());
    match tokio::time::timeout(guard.timeout, task).await {
        Ok(Ok(Ok(resp))) => resp,
        Ok(Ok(Err(panic))) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(%method, %uri, panic = %what, "request handler panicked");
            ApiError::internal().into_response()
        }
        Ok(Err(join)) => {
            tracing::error!(%method, %uri, error = %join, "request task failed");
            ApiError::internal().into_response()
        }
        Err(_) => {
            tracing::warn!(%method, %uri, timeout = ?guard.timeout, "request timed out");
            ApiError::timed_out().into_response()
        }
    }
}
