//! Requests served by another worker of the cluster: Kafka's `HerderRequestHandler`
//! (`completeOrForwardRequest`), its `RestClient`, and the signed inter-worker endpoints of
//! `InternalClusterResource` (`POST /connectors/{c}/tasks`, `PUT /connectors/{c}/fence`).
//!
//! A herder call that only the leader (or the worker running a connector) may serve fails with
//! [`HerderErrorKind::RequestTarget`](connect_runtime::HerderErrorKind::RequestTarget) and the
//! URL of that worker. The error's response carries a [`ForwardTo`] marker, and
//! [`forward_when_asked`], around every route Kafka forwards, sends the original request there
//! instead, with Kafka's `forward` query parameter limiting the hops to two: a request without
//! it goes on with `forward=true`, one with `forward=true` goes on with `forward=false`, and one
//! with `forward=false` is a `409`. Only the `Authorization` header goes along, as in Kafka.
//!
//! [`Forwarder`] is the one HTTP client of a worker: it forwards REST requests and sends the
//! runtime's signed internal requests (it is the runtime's
//! [`InterWorkerClient`](connect_runtime::worker::cluster::InterWorkerClient)). Built with
//! [`Forwarder::for_worker`], it speaks TLS to `https://` workers as Kafka's `RestClient` does,
//! with the REST TLS settings of the worker ([`client_config`]).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{FromRequest, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use connect_api::Props;
use connect_runtime::worker::cluster::signature::check_headers;
use connect_runtime::worker::cluster::{
    InterWorkerClient, SIGNATURE_ALGORITHM_HEADER, SIGNATURE_HEADER,
};
use connect_runtime::{HerderError, HerderErrorKind, SignatureHeaders};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::PathParams;
use crate::jackson;
use crate::security::tls::client_config;
use crate::state::AppState;
use crate::uri::{first, java_bool, query_pairs};

/// Kafka's 409 when the worker a request should go to is not known (`NotLeaderException`
/// without a leader URL).
pub const NO_LEADER_URL: &str = "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.";
/// Kafka's 409 when two hops did not reach the worker that can serve a request.
pub const CONFLICTING_OPERATION: &str =
    "Cannot complete request because of a conflicting operation (e.g. worker rebalance)";

/// The routes whose herder call may answer "ask that worker", as Kafka's resources call
/// `completeOrForwardRequest`, and whether their body goes along.
const FORWARDED: &[(Method, &str, bool)] = &[
    (Method::POST, "/connectors", true),
    (Method::PUT, "/connectors/{connector}/config", true),
    (Method::PATCH, "/connectors/{connector}/config", true),
    (Method::DELETE, "/connectors/{connector}", false),
    (Method::POST, "/connectors/{connector}/restart", false),
    (Method::PUT, "/connectors/{connector}/stop", false),
    (
        Method::POST,
        "/connectors/{connector}/tasks/{task}/restart",
        false,
    ),
    (Method::PATCH, "/connectors/{connector}/offsets", true),
    (Method::DELETE, "/connectors/{connector}/offsets", false),
    (Method::POST, "/connectors/{connector}/tasks", true),
    (Method::PUT, "/connectors/{connector}/fence", true),
];

/// The signed inter-worker routes (`InternalClusterResource`): outside `ROUTES` and
/// `openapi.yaml`, as Kafka hides them from its API description (`@Operation(hidden = true)`),
/// exempt from BasicAuth, as `JaasBasicAuthFilter` exempts them, and taking a body of any
/// media type, as the resource declares no `@Consumes`.
pub const INTERNAL_ROUTES: &[(Method, &str)] = &[
    (Method::POST, "/connectors/{connector}/tasks"),
    (Method::PUT, "/connectors/{connector}/fence"),
];

/// On an error response: the request must be served by the worker at this URL (`None`: no
/// worker is known to serve it right now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ForwardTo(pub(crate) Option<String>);

/// Jackson's `ErrorMessage` of a forwarded request's failure.
#[derive(Debug, Deserialize)]
struct ErrorMessage {
    message: Option<String>,
}

/// The worker's HTTP client for other workers (Kafka's `RestClient`). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Forwarder {
    client: reqwest::Client,
    /// Why the worker's REST TLS settings cannot make a client: Kafka builds its TLS only for
    /// an `https://` URL, so only requests to one fail with it.
    tls_problem: Option<Arc<str>>,
}

/// A worker's answer to a forwarded request.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: Bytes,
}

impl Forwarder {
    /// A client whose requests give up after `timeout` (the REST request timeout: the request
    /// being served would time out by then anyway), trusting the system's CAs for `https://`.
    ///
    /// # Errors
    /// When the TLS stack cannot be set up.
    pub fn new(timeout: Duration) -> Result<Self, String> {
        Ok(Self {
            client: Self::builder(timeout).build().map_err(client_error)?,
            tls_problem: None,
        })
    }

    /// The client of a worker with these (resolved) properties: for `https://` workers it
    /// trusts and presents what `SSLUtils.createClientSideSslContextFactory` does
    /// (`listeners.https.ssl.*`, else `ssl.*`). Settings that cannot make a TLS client are not
    /// an error here, as a cluster of `http://` workers never uses them: see
    /// [`Forwarder::tls_problem`].
    ///
    /// # Errors
    /// When the HTTP client cannot be set up.
    pub fn for_worker(props: &Props, timeout: Duration) -> Result<Self, String> {
        match client_config(props) {
            Ok(tls) => Ok(Self {
                client: Self::builder(timeout)
                    .tls_backend_preconfigured(tls)
                    .build()
                    .map_err(client_error)?,
                tls_problem: None,
            }),
            Err(e) => Ok(Self {
                client: Self::builder(timeout).build().map_err(client_error)?,
                tls_problem: Some(e.to_string().into()),
            }),
        }
    }

    /// Why requests to `https://` workers fail (each with a 500 naming this), if they do.
    pub fn tls_problem(&self) -> Option<&str> {
        self.tls_problem.as_deref()
    }

    fn builder(timeout: Duration) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("kafka-connect")
    }

    /// `RestClient.httpRequest`: a 2xx answer, or Kafka's error for the others.
    async fn send(
        &self,
        method: Method,
        url: &str,
        headers: Vec<(&'static str, String)>,
        body: Option<Bytes>,
    ) -> Result<Answer, ApiError> {
        if let Some(problem) = &self.tls_problem
            && url.starts_with("https://")
        {
            tracing::error!(url, error = %problem, "Failed to start RestClient");
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Failed to start RestClient: {problem}"),
            ));
        }
        let mut req = self
            .client
            .request(method, url)
            .header(header::ACCEPT, "application/json");
        for (k, v) in headers {
            req = req.header(k, v);
        }
        if let Some(body) = body {
            req = req
                .header(header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let resp = req.send().await.map_err(|e| {
            let e = error_chain(&e);
            tracing::error!(url, error = %e, "IO error forwarding REST request");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("IO Error trying to forward REST request: {e}"),
            )
        })?;
        let status = resp.status();
        let content_type = resp.headers().get(header::CONTENT_TYPE).cloned();
        let body = resp.bytes().await.map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "IO Error trying to forward REST request: {}",
                    error_chain(&e)
                ),
            )
        })?;
        if status == StatusCode::NO_CONTENT || status.is_success() {
            return Ok(Answer {
                status,
                content_type,
                body,
            });
        }
        if status.as_u16() >= 400 {
            tracing::error!(
                url,
                status = status.as_u16(),
                "Error forwarding REST request"
            );
            return Err(match serde_json::from_slice::<ErrorMessage>(&body) {
                Ok(e) => match e.message {
                    Some(m) => ApiError::new(status, m),
                    None => ApiError::null_message(status),
                },
                Err(e) => ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("Error trying to forward REST request: {e}"),
                ),
            });
        }
        Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "Unexpected status code when handling forwarded request: {}",
                status.as_u16()
            ),
        ))
    }
}

fn client_error(e: reqwest::Error) -> String {
    format!("cannot create the inter-worker HTTP client: {e}")
}

/// An error with its causes (`error sending request …: client error (Connect): invalid peer
/// certificate: UnknownIssuer`): reqwest's own text hides the TLS cause, which Java's
/// `SSLHandshakeException` message names.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let c_text = c.to_string();
        if !text.contains(&c_text) {
            text.push_str(": ");
            text.push_str(&c_text);
        }
        cause = c.source();
    }
    text
}

#[async_trait]
impl InterWorkerClient for Forwarder {
    async fn request(
        &self,
        method: &str,
        url: &str,
        body: Vec<u8>,
        headers: Vec<(&'static str, String)>,
    ) -> Result<(), HerderError> {
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|e| HerderError::internal(e.to_string()))?;
        self.send(method, url, headers, Some(Bytes::from(body)))
            .await
            .map(drop)
            .map_err(|e| {
                let kind = match e.status().as_u16() {
                    400 => HerderErrorKind::BadRequest,
                    403 => HerderErrorKind::Forbidden,
                    404 => HerderErrorKind::NotFound,
                    409 => HerderErrorKind::Conflict,
                    503 => HerderErrorKind::ServiceUnavailable,
                    _ => HerderErrorKind::Internal,
                };
                HerderError::new(kind, e.message().unwrap_or("null").to_owned())
            })
    }
}

fn forwarded_route(method: &Method, template: &str) -> Option<bool> {
    let template = match template.strip_suffix('/') {
        Some(t) if !t.is_empty() => t,
        _ => template,
    };
    FORWARDED
        .iter()
        .find(|(m, p, _)| m == method && *p == template)
        .map(|(_, _, body)| *body)
}

/// Runs the route and, when its herder call names another worker, forwards the request there
/// (`completeOrForwardRequest`).
pub(crate) async fn forward_when_asked(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let with_body = match req.extensions().get::<MatchedPath>() {
        Some(m) => forwarded_route(req.method(), m.as_str()),
        None => None,
    };
    let Some(with_body) = with_body else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    // The body is needed twice, for the route and for forwarding: read it as the `Entity`
    // extractor would, with its answers for a body that is too large or unreadable.
    let (bytes, body) = if with_body {
        let whole = Request::from_parts(parts.clone(), body);
        match Bytes::from_request(whole, &state).await {
            Ok(b) => (b.clone(), Body::from(b)),
            Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
                return if parts.headers.contains_key(header::CONTENT_TYPE) {
                    ApiError::payload_too_large().into_response()
                } else {
                    ApiError::unsupported_media_type().into_response()
                };
            }
            Err(e) => {
                tracing::debug!(error = %e, "failed to read the request body");
                return ApiError::bad_request().into_response();
            }
        }
    } else {
        (Bytes::new(), body)
    };
    let inner = Request::from_parts(parts.clone(), body);
    let resp = next.run(inner).await;
    let Some(ForwardTo(target)) = resp.extensions().get::<ForwardTo>().cloned() else {
        return resp;
    };
    let pairs = query_pairs(parts.uri.query());
    // `@QueryParam("forward") Boolean`: absent is `null`.
    let forward = first(&pairs, "forward").map(java_bool);
    if forward == Some(false) {
        tracing::error!(
            method = %parts.method,
            path = parts.uri.path(),
            "Request failed because it couldn't find the target Connect worker within two hops (between workers)."
        );
        return ApiError::new(StatusCode::CONFLICT, CONFLICTING_OPERATION).into_response();
    }
    let Some(target) = target else {
        return ApiError::new(StatusCode::CONFLICT, NO_LEADER_URL).into_response();
    };
    // Only the first worker to handle a user request may forward it on (two hops at most).
    // The other parameters go along as they came.
    let mut query = format!("forward={}", forward.is_none());
    for raw in parts.uri.query().unwrap_or_default().split('&') {
        let key = raw.split_once('=').map_or(raw, |(k, _)| k);
        if raw.is_empty() || crate::uri::percent_decode(key, true) == "forward" {
            continue;
        }
        query.push('&');
        query.push_str(raw);
    }
    let url = format!(
        "{}{}?{query}",
        target.trim_end_matches('/'),
        parts.uri.path()
    );
    tracing::debug!(%url, method = %parts.method, "Forwarding request");
    let mut headers = Vec::new();
    if let Some(auth) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        headers.push(("authorization", auth.to_owned()));
    }
    let Some(forwarder) = state.forwarder.as_ref() else {
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "This worker is not able to communicate with the other workers of the cluster",
        )
        .into_response();
    };
    let body = (with_body && !bytes.is_empty()).then_some(bytes);
    match forwarder
        .send(parts.method.clone(), &url, headers, body)
        .await
    {
        Ok(answer) => relay(&state, &parts.headers, answer),
        Err(e) => e.into_response(),
    }
}

/// The forwarded request's answer as this worker gives it: the same status and entity, and for
/// a created connector a `Location` on this worker, as Jersey builds it from the request.
fn relay(state: &AppState, request_headers: &HeaderMap, answer: Answer) -> Response {
    let mut resp = Response::new(Body::from(answer.body.clone()));
    *resp.status_mut() = answer.status;
    if !answer.body.is_empty() {
        let ct = answer
            .content_type
            .unwrap_or_else(|| HeaderValue::from_static("application/json"));
        resp.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    if answer.status == StatusCode::CREATED
        && let Ok(info) = serde_json::from_slice::<serde_json::Value>(&answer.body)
        && let Some(name) = info.get("name").and_then(|n| n.as_str())
    {
        let location = crate::handlers::location(state, request_headers, name);
        if let Ok(v) = HeaderValue::from_str(&location) {
            resp.headers_mut().insert(header::LOCATION, v);
        }
    }
    resp
}

/// `POST /connectors/{connector}/tasks` (`InternalClusterResource.putTaskConfigs`): the leader
/// writes the task configs another worker's connector generated, once their signature checks.
pub(crate) async fn put_task_configs(
    State(state): State<AppState>,
    path: PathParams,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    // The resource reads the body (a plain `ObjectMapper`) before the herder sees the request.
    let configs = jackson::read_task_configs(&body).map_err(|e| {
        tracing::debug!(error = %e, "task configs rejected");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.message())
    })?;
    let signature = signature_from_headers(&headers)?;
    // A null value (or a null config) in a signed peer's list has no meaning for a task's
    // settings: Sluice keeps the settings that have values.
    let configs = configs.map(|list| {
        list.into_iter()
            .map(|m| {
                m.unwrap_or_default()
                    .into_iter()
                    .filter_map(|(k, v)| Some((k, v?)))
                    .collect::<Props>()
            })
            .collect::<Vec<_>>()
    });
    state
        .herder
        .put_task_configs(path.get("connector"), &body, configs, signature)
        .await?;
    Ok(no_content())
}

/// `PUT /connectors/{connector}/fence` (`InternalClusterResource.fenceZombies`): the leader
/// fences out a source connector's older task generations for another worker, once the request's
/// signature checks. A `void` resource method: `204` with no body.
pub(crate) async fn fence_zombies(
    State(state): State<AppState>,
    path: PathParams,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let signature = signature_from_headers(&headers)?;
    state
        .herder
        .fence_zombie_source_tasks(path.get("connector"), &body, signature)
        .await?;
    Ok(no_content())
}

/// `InternalRequestSignature.fromHeaders`, which the resource runs before any herder does:
/// no signature unless both headers are there; an algorithm the JVM lacks or a signature that
/// is not base64 is a 400.
fn signature_from_headers(headers: &HeaderMap) -> Result<Option<SignatureHeaders>, ApiError> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (Some(algorithm), Some(signature)) =
        (text(SIGNATURE_ALGORITHM_HEADER), text(SIGNATURE_HEADER))
    else {
        return Ok(None);
    };
    let signature = SignatureHeaders {
        algorithm,
        signature,
    };
    check_headers(&signature)?;
    Ok(Some(signature))
}

fn no_content() -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    resp
}

/// Whether a request is for a signed internal endpoint (`JaasBasicAuthFilter.isInternalRequest`).
pub(crate) fn is_internal(method: &Method, template: &str) -> bool {
    INTERNAL_ROUTES
        .iter()
        .any(|(m, p)| m == method && *p == template)
}
