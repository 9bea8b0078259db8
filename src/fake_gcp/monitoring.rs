//! The fake's Cloud Monitoring route (SPEC §5): `GET /v3/projects/{P}/timeSeries`
//! (`projects.timeSeries.list`), answering with the usage series of `usage.rs` in Google's
//! `ListTimeSeriesResponse` shape (the Monitoring v3 Discovery document,
//! `monitoring/v3/monitoring-api.json` in googleapis/google-api-go-client).
//!
//! - `filter` (required; the subset of `filter.rs`) must name `metric.type`; only
//!   `serviceruntime.googleapis.com/quota/allocation/usage` on `consumer_quota` has series,
//!   any other metric or resource type answers `{}` (no series, as Google answers a query
//!   that matches nothing), and so does an unknown quota metric;
//! - `interval.endTime` is required, `interval.startTime` defaults to it and may not be
//!   later; points lie in the interval;
//! - `aggregation.perSeriesAligner`: absent or `ALIGN_NONE` gives the raw samples, one a
//!   minute, newest first (the newest holds the usage now, older ones an earlier value);
//!   `ALIGN_NEXT_OLDER` gives one point per `aggregation.alignmentPeriod` (required, at
//!   least 60 s) ending at `interval.endTime`, the latest value; other aligners and any
//!   cross-series reducer are refused (the fake does not compute them);
//! - `view`: `FULL` (the default) or `HEADERS` (no points); a series without points in the
//!   interval is left out of a FULL answer;
//! - pages hold at most [`SERIES_PER_PAGE`] series (fewer when `pageSize` asks for fewer):
//!   small, so that the demo's busier metrics take two or three pages and the client's
//!   pagination runs every time (Google's default page is 100,000 points, one page for any
//!   quota metric), yet not so small that a metric's pages, each with the demo's 0.3–2.5 s
//!   latency, crowd the 10 s deadline. `nextPageToken` is tied to the query; a token from another query is a
//!   400;
//! - no bearer → 401; with `monitoring_disabled`, Google's 403 `SERVICE_DISABLED` for the
//!   Cloud Monitoring API; with `monitoring_denied`, or a project ID Google would refuse, 403
//!   "Permission monitoring.timeSeries.list denied (or the resource may not exist)."; a
//!   malformed query → 400 `INVALID_ARGUMENT`; latency and faults (503, 429 for Monitoring's
//!   own read quota, cut bodies, hangs) as on every route of the fake.

mod filter;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{Value, json};

use self::filter::Filter;
use super::errors;
use super::quotas::{known_metrics, stable_hash};
use super::serviceusage::has_bearer;
use super::state::{FakeState, Fault, RecordedUsageRequest};
use super::usage::{Series, point_json, series_json, series_of};
use crate::gcp::google_error::parse_proto_duration;
use crate::gcp::monitoring::{CONSUMER_QUOTA_RESOURCE, USAGE_METRIC_TYPE};
use crate::gcp::project::validate_project_id;

/// Path of `projects.timeSeries.list` (axum syntax).
pub(crate) const TIME_SERIES_ROUTE: &str = "/v3/projects/{project}/timeSeries";

/// The Cloud Monitoring API's service name.
const MONITORING_SERVICE: &str = "monitoring.googleapis.com";

/// Most series on one page of the fake.
pub const SERIES_PER_PAGE: usize = 10;

/// The Cloud Monitoring routes, to merge into the fake's router.
pub(crate) fn routes() -> Router<Arc<FakeState>> {
    Router::new().route(TIME_SERIES_ROUTE, get(list_time_series))
}

/// A `timeSeries.list` request, checked.
#[derive(Debug)]
struct ListRequest {
    filter: Filter,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// `ALIGN_NEXT_OLDER`'s alignment period; `None` for raw samples.
    period: Option<TimeDelta>,
    headers_only: bool,
    page_size: usize,
    offset: usize,
    /// Hash of the query without `pageToken` and `pageSize`: ties a page token to it.
    fingerprint: u64,
}

async fn list_time_series(
    State(state): State<Arc<FakeState>>,
    Path(project): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query_map(raw.as_deref().unwrap_or_default());
    let bearer = has_bearer(&headers);
    state.record_usage(RecordedUsageRequest {
        project: project.clone(),
        quota_metric: query
            .get("filter")
            .and_then(|f| filter::parse(f).ok())
            .and_then(|f| f.metric_labels.get("quota_metric").cloned())
            .unwrap_or_default(),
        page_token: query.contains_key("pageToken"),
        bearer,
    });
    if !bearer {
        return errors::unauthenticated_for("monitoring.googleapis.com");
    }
    let Some(fault) = state.delay().await else {
        return errors::unavailable();
    };
    if state.cfg.monitoring_disabled {
        return errors::service_disabled(&project, MONITORING_SERVICE, "Cloud Monitoring API");
    }
    if state.cfg.monitoring_denied || validate_project_id(&project).is_err() {
        return errors::monitoring_permission_denied();
    }
    match fault {
        Fault::Unavailable | Fault::Hang => return errors::unavailable(),
        Fault::RateLimited => return errors::monitoring_rate_limited(&project),
        Fault::Malformed => {
            let cut = "{\"timeSeries\": [{\"metric\": {\"labels\": {\"quota_metric\": \"";
            let ct = [(header::CONTENT_TYPE, "application/json")];
            return (StatusCode::OK, ct, cut).into_response();
        }
        Fault::None => {}
    }
    match parse_request(&project, &query) {
        Ok(request) => Json(page(&state, &project, &request)).into_response(),
        Err(message) => errors::invalid_argument_message(&message),
    }
}

/// The query's parameters, decoded (the last of a repeated one).
fn query_map(raw: &str) -> BTreeMap<String, String> {
    let url = reqwest::Url::parse(&format!("http://fake/?{raw}"));
    url.map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

fn parse_time(
    query: &BTreeMap<String, String>,
    key: &str,
) -> Result<Option<DateTime<Utc>>, String> {
    query
        .get(key)
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    format!("Invalid value at '{key}' (type.googleapis.com/google.protobuf.Timestamp), \"{v}\"")
                })
        })
        .transpose()
}

fn parse_request(project: &str, query: &BTreeMap<String, String>) -> Result<ListRequest, String> {
    let raw_filter = query.get("filter").map(String::as_str).unwrap_or_default();
    let filter = filter::parse(raw_filter)
        .map_err(|why| format!("Field filter had an invalid value of \"{raw_filter}\": {why}."))?;
    let end =
        parse_time(query, "interval.endTime")?.ok_or("Field interval.endTime is required.")?;
    let start = parse_time(query, "interval.startTime")?.unwrap_or(end);
    if start > end {
        return Err("The start time must not be later than the end time.".into());
    }
    let aligner = query
        .get("aggregation.perSeriesAligner")
        .map(String::as_str);
    let period = match aligner {
        None | Some("ALIGN_NONE") => None,
        Some("ALIGN_NEXT_OLDER") => {
            let p = query
                .get("aggregation.alignmentPeriod")
                .and_then(|p| parse_proto_duration(p))
                .ok_or("The alignment period is required with a per-series aligner.")?;
            if p.as_secs() < 60 {
                return Err("The alignment period must be at least 60 seconds.".into());
            }
            Some(TimeDelta::from_std(p).map_err(|e| e.to_string())?)
        }
        Some(other) => {
            return Err(format!(
                "The fake supports ALIGN_NONE and ALIGN_NEXT_OLDER, not {other}."
            ));
        }
    };
    if query.contains_key("aggregation.crossSeriesReducer") {
        return Err("The fake does not reduce across series.".into());
    }
    let headers_only = match query.get("view").map(String::as_str) {
        None | Some("FULL") => false,
        Some("HEADERS") => true,
        Some(v) => {
            return Err(format!(
                "Invalid value at 'view' (type.googleapis.com/google.monitoring.v3.ListTimeSeriesRequest.TimeSeriesView), \"{v}\""
            ));
        }
    };
    let page_size = match query.get("pageSize") {
        None => SERIES_PER_PAGE,
        Some(v) => match v.parse::<i32>() {
            Ok(n) if n > 0 => SERIES_PER_PAGE.min(n as usize),
            _ => {
                return Err(format!(
                    "Invalid value at 'page_size' (TYPE_INT32), \"{v}\""
                ));
            }
        },
    };
    let words: Vec<String> = std::iter::once(project.to_string())
        .chain(
            query
                .iter()
                .filter(|(k, _)| *k != "pageToken" && *k != "pageSize")
                .map(|(k, v)| format!("{k}={v}")),
        )
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let fingerprint = stable_hash(0, &words);
    let offset = match query.get("pageToken") {
        None => 0,
        Some(t) => t
            .split_once('-')
            .filter(|(f, _)| u64::from_str_radix(f, 16) == Ok(fingerprint))
            .and_then(|(_, o)| o.parse().ok())
            .ok_or_else(|| {
                format!(
                    "Field pageToken had an invalid value of \"{t}\": not a token of this query."
                )
            })?,
    };
    Ok(ListRequest {
        filter,
        start,
        end,
        period,
        headers_only,
        page_size,
        offset,
        fingerprint,
    })
}

/// Whether `s` (of `project`) matches the filter's labels.
fn matches(f: &Filter, project: &str, s: &Series) -> bool {
    let metric_ok = f.metric_labels.iter().all(|(k, v)| match k.as_str() {
        "quota_metric" => *v == s.metric,
        "limit_name" => *v == s.limit_name,
        _ => false,
    });
    let service = s.metric.split('/').next().unwrap_or_default();
    let resource_ok = f.resource_labels.iter().all(|(k, v)| match k.as_str() {
        "project_id" => v == project,
        "service" => v == service,
        "location" => *v == s.location,
        _ => false,
    });
    metric_ok && resource_ok
}

/// The points of `s` for `r`, newest first.
fn points(r: &ListRequest, s: &Series) -> Vec<Value> {
    if r.headers_only {
        return Vec::new();
    }
    let rfc = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let (newest, step) = match r.period {
        Some(p) => (r.end, p),
        None => {
            let minute = r.end.timestamp() - r.end.timestamp().rem_euclid(60);
            let newest = DateTime::from_timestamp(minute, 0).unwrap_or(r.end);
            (newest, TimeDelta::seconds(60))
        }
    };
    (0..3)
        .map(|k| (k, newest - step * k))
        .take_while(|(k, t)| *t >= r.start && (*k == 0 || *t > r.start))
        .map(|(k, t)| point_json(&rfc(t), if k == 0 { s.now } else { s.before }))
        .collect()
}

/// The page `r` asks for: the matching series from `r.offset`, and the next page's token.
fn page(state: &FakeState, project: &str, r: &ListRequest) -> Value {
    let wanted = r.filter.metric_type == USAGE_METRIC_TYPE
        && r.filter
            .resource_type
            .as_deref()
            .is_none_or(|t| t == CONSUMER_QUOTA_RESOURCE);
    let metrics = match (wanted, r.filter.metric_labels.get("quota_metric")) {
        (false, _) => Vec::new(),
        (true, Some(m)) => vec![m.clone()],
        (true, None) => known_metrics(),
    };
    let all: Vec<Value> = {
        let jobs = state.jobs.lock().expect("jobs lock");
        metrics
            .iter()
            .flat_map(|m| {
                series_of(state.cfg.seed, m, &|region| {
                    i64::from(jobs.gpus_held(m, region))
                })
            })
            .filter(|s| matches(&r.filter, project, s))
            .filter_map(|s| {
                let pts = points(r, &s);
                (r.headers_only || !pts.is_empty()).then(|| series_json(project, &s, pts))
            })
            .collect()
    };
    let end = all.len().min(r.offset + r.page_size);
    let mut body = json!({});
    if r.offset < end {
        body["timeSeries"] = Value::Array(all[r.offset..end].to_vec());
        body["unit"] = json!("1");
    }
    if end < all.len() {
        body["nextPageToken"] = json!(format!("{:016x}-{end}", r.fingerprint));
    }
    body
}
