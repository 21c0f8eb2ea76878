//! `GET /metrics`: the worker's Prometheus exposition (Sluice's own path; the JVM worker serves
//! these series through a JMX exporter agent on a port of its own).

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use connect_runtime::metrics::{CONTENT_TYPE, Names};
use http::{HeaderValue, StatusCode, header};

use crate::error::ApiError;
use crate::state::AppState;
use crate::uri::query_pairs;

/// `GET /metrics[?names=strimzi|confluent]`: the OpenMetrics text, named by Strimzi's JMX
/// exporter rules (default) or Confluent's.
pub(crate) async fn metrics(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut names = Names::default();
    for (k, v) in query_pairs(query.as_deref()) {
        if k == "names" {
            names = Names::parse(&v).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("Unknown metric names '{v}': use strimzi or confluent"),
                )
            })?;
        }
    }
    let body = state.herder.metrics(names).await;
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    Ok(resp)
}
