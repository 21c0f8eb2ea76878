//! Request extractors and content negotiation with Jersey's rules.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request};
use http::request::Parts;
use http::{HeaderMap, header};

use crate::error::ApiError;
use crate::jackson;
use crate::state::AppState;
use crate::uri::percent_decode;

/// A request entity read by Jackson; `None` for an empty body or a JSON `null` (Kafka Connect
/// then fails with a `NullPointerException`, which handlers turn into `500` with a `null`
/// message).
///
/// * `Content-Type` must be `application/json` (parameters ignored); anything else is `415`.
/// * Without a `Content-Type`, an empty body is `None` and a non-empty one is `415` (Jersey finds
///   no reader for `application/octet-stream`).
/// * A body over [`AppState::body_limit`] is `413`.
/// * Malformed JSON is `500` with Jackson's message.
#[derive(Debug)]
pub(crate) struct Entity<T>(pub(crate) Option<T>);

impl<T> FromRequest<AppState> for Entity<T>
where
    T: jackson::Entity + Send,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let declared = req.headers().get(header::CONTENT_TYPE).map(|v| {
            v.to_str()
                .ok()
                .and_then(media_type)
                .is_some_and(|(t, s)| t == "application" && s == "json")
        });
        if declared == Some(false) {
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = match Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
                return Err(if declared.is_none() {
                    ApiError::unsupported_media_type()
                } else {
                    ApiError::payload_too_large()
                });
            }
            Err(e) => {
                tracing::debug!(error = %e, "failed to read the request body");
                return Err(ApiError::bad_request());
            }
        };
        if declared.is_none() {
            return if bytes.is_empty() {
                Ok(Self(None))
            } else {
                Err(ApiError::unsupported_media_type())
            };
        }
        match jackson::read::<T>(&bytes) {
            Ok(v) => Ok(Self(v)),
            Err(e) => {
                tracing::debug!(error = %e, "request body rejected");
                Err(ApiError::new(
                    http::StatusCode::INTERNAL_SERVER_ERROR,
                    e.message(),
                ))
            }
        }
    }
}

/// Path parameters, percent-decoded once from the request's raw path, as JAX-RS does: `%2F`
/// decodes to `/` inside a segment, `%252F` to `%2F`, and bytes that are not UTF-8 (`%FF`) to
/// U+FFFD, as Jersey's UTF-8 decoder replaces them. An empty segment (`/connectors//`) matches no
/// JAX-RS template (`[^/]+`), so it is an unmatched route.
#[derive(Debug)]
pub(crate) struct PathParams(Vec<(String, String)>);

impl PathParams {
    /// The decoded parameter; empty if absent (never, for the declared routes).
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The parameters of `template` (`/connectors/{connector}`) in the raw, still encoded
    /// `path`: each `{name}` segment decoded once. `None` when the two do not line up or a
    /// parameter is empty.
    fn from_raw(template: &str, path: &str) -> Option<Self> {
        let template = template.strip_suffix('/').unwrap_or(template);
        let path = match path.strip_suffix('/') {
            Some(p) if template.len() > 1 => p,
            _ => path,
        };
        let names: Vec<&str> = template.split('/').collect();
        let raw: Vec<&str> = path.split('/').collect();
        if names.len() != raw.len() {
            return None;
        }
        let mut params = Vec::new();
        for (name, value) in names.iter().zip(raw) {
            if let Some(name) = name.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                if value.is_empty() {
                    return None;
                }
                params.push((name.to_owned(), percent_decode(value, false)));
            }
        }
        Some(Self(params))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // axum's own parameters are decoded already (and refused when not UTF-8), so the
        // parameters are taken again from the raw path, by the matched template.
        let template = parts
            .extensions
            .get::<MatchedPath>()
            .ok_or_else(ApiError::route_not_found)?;
        Self::from_raw(template.as_str(), parts.uri.path()).ok_or_else(ApiError::route_not_found)
    }
}

/// Parses `type/subtype; params` into lower-cased type and subtype.
pub(crate) fn media_type(v: &str) -> Option<(String, String)> {
    let essence = v.split(';').next()?.trim();
    let (t, s) = essence.split_once('/')?;
    let token = |x: &str| {
        !x.is_empty()
            && x.bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
    };
    if !token(t) || !token(s) {
        return None;
    }
    Some((t.to_ascii_lowercase(), s.to_ascii_lowercase()))
}

/// Whether a `Content-Type` is compatible with `application/json` for method selection
/// (`MediaType.isCompatible`: wildcards match).
pub(crate) fn compatible_with_json(t: &str, s: &str) -> bool {
    (t == "*" || t == "application") && (s == "*" || s == "json")
}

/// Whether an `Accept` header admits `application/json`. Ranges that cannot be parsed are
/// ignored; a header with none that can is treated as `*/*`.
pub(crate) fn accepts_json(headers: &HeaderMap) -> bool {
    let mut any_parsed = false;
    for value in headers.get_all(header::ACCEPT) {
        let Ok(v) = value.to_str() else { continue };
        for range in v.split(',') {
            if range.trim().is_empty() {
                continue;
            }
            let Some((t, s)) = media_type(range) else {
                continue;
            };
            any_parsed = true;
            let q = range
                .split(';')
                .skip(1)
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
                .and_then(|(_, v)| v.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && compatible_with_json(&t, &s) {
                return true;
            }
        }
    }
    !any_parsed
}
