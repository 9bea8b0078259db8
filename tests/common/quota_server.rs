//! A local Service Usage and Cloud Monitoring server for end-to-end tests: answers
//! `consumerQuotaMetrics.get` with bodies shaped as Google sends them (SPEC §4), a per-metric
//! delay or hang, and `timeSeries.list` with usage series shaped as Google sends them (SPEC
//! §4 Usage; nothing in use unless told), and records every request (metric, start, end,
//! bearer token) so tests can count requests and measure how many were in flight at once.
//! Point both `QUOTA_TUI_SERVICEUSAGE_URL` and `QUOTA_TUI_MONITORING_URL` at [`QuotaServer::url`].

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

/// How the server answers one metric.
#[derive(Debug, Clone)]
pub enum Answer {
    /// After `delay`, a body whose region buckets give `per_region` values (default bucket 0).
    Quota {
        delay: Duration,
        per_region: HashMap<String, i64>,
    },
    /// After `delay`, an error status with Google's error body.
    Error {
        delay: Duration,
        code: u16,
        status: &'static str,
        message: &'static str,
    },
    /// After `delay`, exactly this status, body and optional `Retry-After` (seconds).
    Custom {
        delay: Duration,
        code: u16,
        body: serde_json::Value,
        retry_after: Option<u64>,
    },
    /// Never answers.
    Hang,
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub metric: String,
    pub start: Instant,
    pub end: Option<Instant>,
    pub bearer: Option<String>,
}

/// How the server answers one metric's usage.
#[derive(Debug, Clone)]
pub enum UsageAnswer {
    /// One series per region listed, its latest point the value (a region left out has no
    /// series: 0 in use).
    Series(HashMap<String, i64>),
    /// An error status with Google's error body.
    Error {
        code: u16,
        status: &'static str,
        message: &'static str,
    },
}

type UsageFn = dyn Fn(&str) -> UsageAnswer + Send + Sync;

#[derive(Clone)]
struct AppState {
    answers: Arc<dyn Fn(&str) -> Answer + Send + Sync>,
    usage: Arc<UsageFn>,
    seen: Arc<Mutex<Vec<Seen>>>,
    usage_seen: Arc<Mutex<Vec<Seen>>>,
}

pub struct QuotaServer {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    usage_seen: Arc<Mutex<Vec<Seen>>>,
    _task: tokio::task::JoinHandle<()>,
}

impl QuotaServer {
    /// Start on 127.0.0.1 (a free port); `answers(metric)` decides each answer; nothing is
    /// in use.
    pub async fn start(answers: impl Fn(&str) -> Answer + Send + Sync + 'static) -> Self {
        Self::start_with_usage(answers, |_| UsageAnswer::Series(HashMap::new())).await
    }

    /// Start with `answers(metric)` for the limits and `usage(metric)` for the usage.
    pub async fn start_with_usage(
        answers: impl Fn(&str) -> Answer + Send + Sync + 'static,
        usage: impl Fn(&str) -> UsageAnswer + Send + Sync + 'static,
    ) -> Self {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let usage_seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let state = AppState {
            answers: Arc::new(answers),
            usage: Arc::new(usage),
            seen: seen.clone(),
            usage_seen: usage_seen.clone(),
        };
        let app = Router::new()
            .route(
                "/v1beta1/projects/{project}/services/{service}/consumerQuotaMetrics/{metric}",
                get(handle),
            )
            .route("/v3/projects/{project}/timeSeries", get(handle_usage))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        QuotaServer {
            url: format!("http://{addr}"),
            seen,
            usage_seen,
            _task: task,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The `timeSeries.list` requests, in order (`metric`: the filter's quota metric).
    pub fn usage_seen(&self) -> Vec<Seen> {
        self.usage_seen.lock().unwrap().clone()
    }

    /// The most requests that were in flight at one moment.
    pub fn max_in_flight(&self) -> usize {
        let seen = self.seen();
        let far = Instant::now() + Duration::from_secs(3600);
        let mut edges: Vec<(Instant, i32)> = Vec::new();
        for s in &seen {
            edges.push((s.start, 1));
            edges.push((s.end.unwrap_or(far), -1));
        }
        // Ends sort before starts at the same instant.
        edges.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let (mut now, mut max) = (0i32, 0i32);
        for (_, d) in edges {
            now += d;
            max = max.max(now);
        }
        max as usize
    }
}

/// An int64 field as Google's proto3 JSON sends it: a decimal string, left out when 0.
pub fn int64(v: i64) -> Option<serde_json::Value> {
    (v != 0).then(|| json!(v.to_string()))
}

/// A bucket `{"effectiveLimit", "defaultLimit", "dimensions"}` with zeros left out.
pub fn bucket(effective: i64, default: i64, dimensions: serde_json::Value) -> serde_json::Value {
    let mut b = json!({});
    if let Some(v) = int64(effective) {
        b["effectiveLimit"] = v;
    }
    if let Some(v) = int64(default) {
        b["defaultLimit"] = v;
    }
    if !dimensions.is_null() {
        b["dimensions"] = dimensions;
    }
    b
}

/// A ConsumerQuotaMetric body shaped as Google sends it (SPEC §4; proto3 JSON, so zeros are
/// left out): a project-wide limit listed first (a decoy), then the per-region limit with
/// `allowsAdminOverrides`, `supportedLocations`, a default bucket of 0 (`{}`) and one bucket
/// per region, a granted one carrying its `producerOverride`; C3 buckets carry
/// `build_origin = default`, plus a decoy bucket for another origin.
pub fn body(metric: &str, per_region: &HashMap<String, i64>) -> serde_json::Value {
    let c3 = metric.starts_with("cloudbuild");
    let unit = if c3 {
        "1/{project}/{region}/{build_origin}"
    } else {
        "1/{project}/{region}"
    };
    let mut buckets = vec![bucket(0, 0, serde_json::Value::Null)];
    let mut regions: Vec<_> = per_region.iter().collect();
    regions.sort();
    for (r, v) in &regions {
        if c3 {
            buckets.push(bucket(
                9999,
                0,
                json!({"region": r, "build_origin": "cloud_run_job"}),
            ));
        }
        let dims = if c3 {
            json!({"region": r, "build_origin": "default"})
        } else {
            json!({"region": r})
        };
        let mut b = bucket(**v, 0, dims.clone());
        if **v != 0 {
            b["producerOverride"] = json!({"name": format!("limits/x/producerOverrides/{r}"),
                "overrideValue": v.to_string(), "dimensions": dims, "metric": metric, "unit": unit});
        }
        buckets.push(b);
    }
    let locations: Vec<&String> = regions.iter().map(|(r, _)| *r).collect();
    json!({
        "name": format!("projects/123456789012/services/x/consumerQuotaMetrics/{}", metric.replace('/', "%2F")),
        "metric": metric,
        "displayName": "test metric",
        "unit": unit,
        "someFutureField": {"ignored": true},
        "consumerQuotaLimits": [
            {"name": "global", "metric": metric, "unit": "1/{project}",
             "quotaBuckets": [bucket(777, 777, serde_json::Value::Null)]},
            {"name": "regional", "metric": metric, "unit": unit, "isPrecise": true,
             "allowsAdminOverrides": true, "supportedLocations": locations,
             "quotaBuckets": buckets}
        ]
    })
}

/// Google's 403 `SERVICE_DISABLED` body for `service` (titled `title`) in project number
/// `number`, as Google sends it (message, ErrorInfo with `activationUrl`, LocalizedMessage,
/// Help; see `src/fake_gcp/errors.rs`). Returns the body and the activation URL.
pub fn service_disabled_body(
    service: &str,
    title: &str,
    number: u64,
) -> (serde_json::Value, String) {
    let url = format!(
        "https://console.developers.google.com/apis/api/{service}/overview?project={number}"
    );
    let message = format!(
        "{title} has not been used in project {number} before or it is disabled. Enable it by \
         visiting {url} then retry. If you enabled this API recently, wait a few minutes for \
         the action to propagate to our systems and retry."
    );
    let body = json!({"error": {"code": 403, "message": message, "status": "PERMISSION_DENIED",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED",
             "domain": "googleapis.com", "metadata": {"serviceTitle": title,
             "consumer": format!("projects/{number}"), "containerInfo": number.to_string(),
             "service": service, "activationUrl": url}},
            {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
             "message": message},
            {"@type": "type.googleapis.com/google.rpc.Help", "links": [
                {"description": "Google developers console API activation", "url": url}]}]}});
    (body, url)
}

fn bearer_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
}

/// `timeSeries.list`: the series of the filter's `metric.labels.quota_metric`, as Google
/// shapes them (proto3 JSON: a zero value is `{}`), or the error asked for.
async fn handle_usage(
    State(state): State<AppState>,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let filter = query.get("filter").cloned().unwrap_or_default();
    let metric = filter
        .split("metric.labels.quota_metric=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_string();
    state.usage_seen.lock().unwrap().push(Seen {
        metric: metric.clone(),
        start: Instant::now(),
        end: Some(Instant::now()),
        bearer: bearer_of(&headers),
    });
    match (state.usage)(&metric) {
        UsageAnswer::Series(per_region) => {
            let end = query.get("interval.endTime").cloned().unwrap_or_default();
            let mut regions: Vec<_> = per_region.iter().collect();
            regions.sort();
            let series: Vec<serde_json::Value> = regions
                .iter()
                .map(|(r, v)| {
                    let value = int64(**v).map_or(json!({}), |v| json!({"int64Value": v}));
                    json!({"metric": {"type": "serviceruntime.googleapis.com/quota/allocation/usage",
                                      "labels": {"quota_metric": metric, "limit_name": "PerRegion"}},
                           "resource": {"type": "consumer_quota",
                                        "labels": {"location": r, "project_id": "p", "service": "s"}},
                           "metricKind": "GAUGE", "valueType": "INT64",
                           "points": [{"interval": {"startTime": end, "endTime": end}, "value": value}]})
                })
                .collect();
            let body = if series.is_empty() {
                json!({})
            } else {
                json!({"timeSeries": series, "unit": "1"})
            };
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        UsageAnswer::Error {
            code,
            status,
            message,
        } => {
            let b = json!({"error": {"code": code, "message": message, "status": status}});
            (StatusCode::from_u16(code).unwrap(), axum::Json(b)).into_response()
        }
    }
}

async fn handle(
    State(state): State<AppState>,
    Path((_project, _service, metric)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let bearer = bearer_of(&headers);
    let idx = {
        let mut seen = state.seen.lock().unwrap();
        seen.push(Seen {
            metric: metric.clone(),
            start: Instant::now(),
            end: None,
            bearer,
        });
        seen.len() - 1
    };
    let answer = (state.answers)(&metric);
    let resp = match answer {
        Answer::Hang => {
            std::future::pending::<()>().await;
            unreachable!()
        }
        Answer::Quota { delay, per_region } => {
            tokio::time::sleep(delay).await;
            (StatusCode::OK, axum::Json(body(&metric, &per_region))).into_response()
        }
        Answer::Error {
            delay,
            code,
            status,
            message,
        } => {
            tokio::time::sleep(delay).await;
            let b = json!({"error": {"code": code, "message": message, "status": status,
                "errors": [{"reason": "forbidden", "message": message}]}});
            (StatusCode::from_u16(code).unwrap(), axum::Json(b)).into_response()
        }
        Answer::Custom {
            delay,
            code,
            body,
            retry_after,
        } => {
            tokio::time::sleep(delay).await;
            let mut r = (StatusCode::from_u16(code).unwrap(), axum::Json(body)).into_response();
            if let Some(s) = retry_after {
                r.headers_mut()
                    .insert("retry-after", s.to_string().parse().unwrap());
            }
            r
        }
    };
    state.seen.lock().unwrap()[idx].end = Some(Instant::now());
    resp
}

/// Every default-catalog region with `value`.
pub fn all_regions(value: i64) -> HashMap<String, i64> {
    quota_tui::catalog::DEFAULT_C3_REGIONS
        .iter()
        .chain(quota_tui::catalog::DEFAULT_GPU_REGIONS.iter())
        .map(|r| (r.to_string(), value))
        .collect()
}
