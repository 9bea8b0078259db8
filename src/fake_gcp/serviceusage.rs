//! The fake's Service Usage route: `GET /v1beta1/{projects|folders|organizations}/{ID}/
//! services/{S}/consumerQuotaMetrics/{M}` (M arrives percent-encoded; `view` is accepted and
//! ignored, the answer is always the FULL view).
//!
//! Answers as Google does (`errors.rs`, `metric_body.rs`): a metric the fake does not know,
//! or one another service owns, is a 404; a project ID Google would not accept is
//! `CONSUMER_INVALID`; with `service_disabled` set, every call is `SERVICE_DISABLED` for the
//! Service Usage API itself.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::errors;
use super::metric_body::{Consumer, metric_body};
use super::state::{FakeState, Fault, RecordedRequest};
use crate::gcp::project::validate_project_id;

/// Path of `consumerQuotaMetrics.get` (axum syntax); `{kind}` is `projects`, `folders` or
/// `organizations`.
pub(crate) const METRIC_ROUTE: &str =
    "/v1beta1/{kind}/{consumer}/services/{service}/consumerQuotaMetrics/{metric}";

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
    Path((kind, project, service, metric)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let consumer = match kind.as_str() {
        "projects" => Consumer::Project(&project),
        "folders" => Consumer::Folder(&project),
        "organizations" => Consumer::Organization(&project),
        _ => {
            return errors::not_found(&format!(
                "The requested URL /v1beta1/{kind}/... was not found on this server."
            ));
        }
    };
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
    if state.cfg.service_disabled {
        return errors::service_disabled(
            &project,
            "serviceusage.googleapis.com",
            "Service Usage API",
        );
    }
    if matches!(consumer, Consumer::Project(_)) && validate_project_id(&project).is_err() {
        return errors::consumer_invalid(&project, "serviceusage.googleapis.com");
    }
    match fault {
        Fault::Unavailable | Fault::Hang => return errors::unavailable(),
        Fault::RateLimited => return errors::rate_limited(&project),
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
    match metric_body(state.cfg.seed, consumer, &service, &metric) {
        Some(body) if belongs => Json(body).into_response(),
        _ => errors::not_found(&format!(
            "Metric '{metric}' not found for service '{service}' in project '{project}'."
        )),
    }
}
