//! [`ApiError`]: every error answer, as Kafka Connect's `ConnectExceptionMapper` renders it.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use connect_runtime::{HerderError, HerderErrorKind};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

/// An error answer: `{"error_code":N,"message":…}` with `error_code` equal to the HTTP status.
///
/// `message` is `null` where Kafka Connect's exception has no message (a
/// `NullPointerException`, e.g. `POST /connectors` without `config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    message: Option<String>,
    /// Jersey answers unmatched routes (404) and wrong methods (405) without a `Content-Type`.
    content_type: bool,
    /// The herder named another worker to serve the request (`RequestTargetException`); the
    /// forwarding layer acts on it.
    forward: Option<crate::forward::ForwardTo>,
}

/// `ErrorMessage`: field order `error_code`, `message`.
#[derive(Serialize)]
struct ErrorMessage<'a> {
    error_code: u16,
    message: Option<&'a str>,
}

impl ApiError {
    /// An error with a message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: Some(message.into()),
            content_type: true,
            forward: None,
        }
    }

    /// An error whose message is `null`.
    pub fn null_message(status: StatusCode) -> Self {
        Self {
            status,
            message: None,
            content_type: true,
            forward: None,
        }
    }

    /// Jersey's text for a bare status: `HTTP 404 Not Found`.
    fn jersey(status: StatusCode) -> Self {
        let reason = match status.as_u16() {
            // JAX-RS `Response.Status` reason phrases where they differ from hyper's.
            413 => "Request Entity Too Large",
            _ => status.canonical_reason().unwrap_or(""),
        };
        Self::new(status, format!("HTTP {} {reason}", status.as_u16()))
    }

    /// 404 `HTTP 404 Not Found` for a path no route matches (no `Content-Type`, as Jersey).
    pub fn route_not_found() -> Self {
        Self {
            content_type: false,
            ..Self::jersey(StatusCode::NOT_FOUND)
        }
    }

    /// 404 `HTTP 404 Not Found` raised inside a matched route (e.g. a task id that is not an
    /// integer).
    pub fn not_found() -> Self {
        Self::jersey(StatusCode::NOT_FOUND)
    }

    /// 405 `HTTP 405 Method Not Allowed` (no `Content-Type`, as Jersey).
    pub fn method_not_allowed() -> Self {
        Self {
            content_type: false,
            ..Self::jersey(StatusCode::METHOD_NOT_ALLOWED)
        }
    }

    /// 415 `HTTP 415 Unsupported Media Type`.
    pub fn unsupported_media_type() -> Self {
        Self::jersey(StatusCode::UNSUPPORTED_MEDIA_TYPE)
    }

    /// 406 `HTTP 406 Not Acceptable`.
    pub fn not_acceptable() -> Self {
        Self::jersey(StatusCode::NOT_ACCEPTABLE)
    }

    /// 400 `HTTP 400 Bad Request` (an unparseable header).
    pub fn bad_request() -> Self {
        Self::jersey(StatusCode::BAD_REQUEST)
    }

    /// 413 `HTTP 413 Request Entity Too Large`.
    pub fn payload_too_large() -> Self {
        Self::jersey(StatusCode::PAYLOAD_TOO_LARGE)
    }

    /// 500 `Request timed out`.
    pub fn timed_out() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Request timed out")
    }

    /// 500 `HTTP 500 Internal Server Error`, for a handler that panicked.
    pub fn internal() -> Self {
        Self::jersey(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// 500 for a missing body or field that Kafka Connect dereferences: the JVM's helpful
    /// `NullPointerException` text (Java 17+, which Kafka 3.9 images run), naming the method
    /// invoked and the variable of Kafka's source that was null.
    pub fn null_pointer(method: &str, variable: &str) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Cannot invoke \"{method}\" because \"{variable}\" is null"),
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The exact body bytes.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&ErrorMessage {
            error_code: self.status.as_u16(),
            message: self.message.as_deref(),
        })
        .expect("serialisable")
    }
}

impl From<HerderError> for ApiError {
    fn from(e: HerderError) -> Self {
        let status =
            StatusCode::from_u16(e.kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let forward = (e.kind == HerderErrorKind::RequestTarget)
            .then_some(crate::forward::ForwardTo(e.forward_url));
        Self {
            forward,
            ..Self::new(status, e.message)
        }
    }
}

/// The Java exception class Kafka Connect would have thrown for a herder error kind; the
/// validate endpoint prefixes messages with it (`ExecutionException.getMessage()`).
pub(crate) fn java_exception_class(kind: HerderErrorKind) -> &'static str {
    match kind.http_status() {
        400 => "org.apache.kafka.connect.runtime.rest.errors.BadRequestException",
        404 => "org.apache.kafka.connect.errors.NotFoundException",
        409 => "org.apache.kafka.connect.errors.AlreadyExistsException",
        500 => "org.apache.kafka.connect.errors.ConnectException",
        _ => "org.apache.kafka.connect.runtime.rest.errors.ConnectRestException",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut resp = Response::new(Body::from(body));
        *resp.status_mut() = self.status;
        if let Some(forward) = self.forward {
            resp.extensions_mut().insert(forward);
        }
        if self.content_type {
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        resp
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}",
            self.status.as_u16(),
            self.message.as_deref().unwrap_or("null")
        )
    }
}

impl std::error::Error for ApiError {}
