//! The fake's Service Usage route: `GET /v1beta1/projects/{P}/services/{S}/
//! consumerQuotaMetrics/{M}` (M arrives percent-encoded; `view` is accepted and ignored,
//! the answer is always the FULL view).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::errors;
use super::quotas::metric_body;
use super::state::{FakeState, Fault, RecordedRequest};

/// Path of `consumerQuotaMetrics.get` (axum syntax).
pub(crate) const METRIC_ROUTE: &str =
    "/v1beta1/projects/{project}/services/{service}/consumerQuotaMetrics/{metric}";

/// The Service Usage routes, to merge into the fake's router.
pub(crate) fn routes() -> Router<Arc<FakeState>> {
    Router::new().route(METRIC_ROUTE, get(get_consumer_quota_metric))
}

/// Whether `headers` carry `Authorization: Bearer <something>`.
pub(crate) fn has_bearer(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| !t.trim().is_empty())
}

async fn get_consumer_quota_metric(
    State(state): State<Arc<FakeState>>,
    Path((project, service, metric)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let bearer = has_bearer(&headers);
    state.record(RecordedRequest {
        project: project.clone(),
        service: service.clone(),
        metric: metric.clone(),
        bearer,
    });
    if !bearer {
        return errors::unauthenticated();
    }
    let Some(fault) = state.delay().await else {
        return errors::unavailable();
    };
    match fault {
        Fault::Unavailable | Fault::Hang => return errors::unavailable(),
        Fault::RateLimited => return errors::rate_limited(),
        Fault::Malformed => {
            let cut = format!(
                "{{\"name\": \"projects/{project}/services/{service}/consumerQuotaMetrics/x\", \
                 \"consumerQuotaLimits\": [{{\"quotaBuckets\": [{{\"effectiveLimit\": \"1"
            );
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                cut,
            )
                .into_response();
        }
        Fault::None => {}
    }
    let belongs = metric
        .split_once('/')
        .is_some_and(|(prefix, _)| prefix == service);
    match metric_body(state.cfg.seed, &project, &service, &metric) {
        Some(body) if belongs => Json(body).into_response(),
        _ => errors::not_found(&format!(
            "Metric '{metric}' not found for service '{service}' in project '{project}'."
        )),
    }
}
