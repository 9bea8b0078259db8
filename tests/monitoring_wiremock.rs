//! The Cloud Monitoring usage client against wiremock answering in Google's shapes (SPEC §4
//! "Usage: Google Cloud Monitoring v3"): the exact query, per-region usage with a missing
//! region and proto3's omitted zeros, pagination, the 403 that names the role, retries of
//! 429/503 within the deadline, the 401 token renewal, and the quota project header.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quota_tui::gcp::auth::{Credentials, QuotaProject, Secret, TokenSource};
use quota_tui::gcp::monitoring::MonitoringClient;
use quota_tui::gcp::serviceusage::RetryPolicy;
use quota_tui::gcp::{ApiError, ErrorKind};
use quota_tui::origin::Origin;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const PROJECT: &str = "my-project";
const PATH: &str = "/v3/projects/my-project/timeSeries";
const T4: &str = "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus";
const FILTER: &str = "metric.type=\"serviceruntime.googleapis.com/quota/allocation/usage\" AND \
    resource.type=\"consumer_quota\" AND metric.labels.quota_metric=\
    \"aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus\"";

fn regions() -> Vec<String> {
    ["us-central1", "us-east1", "us-west1"]
        .map(String::from)
        .to_vec()
}

fn policy(deadline: Duration) -> RetryPolicy {
    RetryPolicy {
        deadline,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        factor: 2.0,
    }
}

fn client_with(server: &MockServer, tokens: TokenSource, deadline: Duration) -> MonitoringClient {
    MonitoringClient::new(PROJECT, &server.uri(), tokens)
        .expect("valid project and URL")
        .with_policy(policy(deadline))
}

fn client(server: &MockServer) -> MonitoringClient {
    let tokens =
        TokenSource::fixed(Secret::new("tok-1"), "test").with_quota_project(Some(QuotaProject {
            id: "billing-proj".into(),
            origin: Origin::flag("--billing-project"),
        }));
    client_with(server, tokens, Duration::from_secs(5))
}

/// One usage series as Google sends it, with `points` newest first.
fn series(location: &str, limit: &str, points: Value) -> Value {
    json!({
        "metric": {"type": "serviceruntime.googleapis.com/quota/allocation/usage",
                   "labels": {"quota_metric": T4, "limit_name": limit}},
        "resource": {"type": "consumer_quota",
                     "labels": {"project_id": PROJECT, "service": "aiplatform.googleapis.com",
                                "location": location}},
        "metricKind": "GAUGE",
        "valueType": "INT64",
        "points": points,
    })
}

fn point(end: &str, value: Value) -> Value {
    json!({"interval": {"startTime": end, "endTime": end}, "value": value})
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn query(r: &Request) -> BTreeMap<String, String> {
    r.url.query_pairs().into_owned().collect()
}

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

#[tokio::test]
async fn usage_per_region_from_the_exact_query() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .and(query_param("filter", FILTER))
        .and(query_param("view", "FULL"))
        .and(query_param("aggregation.alignmentPeriod", "3600s"))
        .and(query_param(
            "aggregation.perSeriesAligner",
            "ALIGN_NEXT_OLDER",
        ))
        .and(query_param_is_missing("pageToken"))
        .and(header("authorization", "Bearer tok-1"))
        .and(header("x-goog-user-project", "billing-proj"))
        .respond_with(ok(json!({
            "timeSeries": [
                // int64 as a JSON string; the newest point first.
                series("us-central1", "PerRegion", json!([
                    point("2026-05-01T10:00:00Z", json!({"int64Value": "14"})),
                    point("2026-05-01T09:59:00Z", json!({"int64Value": "2"}))])),
                // A zero point: proto3 JSON leaves the value empty.
                series("us-west1", "PerRegion", json!([point("2026-05-01T10:00:00Z", json!({}))])),
                // The project-wide limit's series: never a region's.
                series("global", "PerProject", json!([
                    point("2026-05-01T10:00:00Z", json!({"int64Value": "30"}))])),
            ],
            "unit": "1"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let before = Utc::now();
    let c = client(&server);
    // us-east1 has no series: 0 in use.
    assert_eq!(c.usage(T4, &regions()).await.unwrap(), [14, 0, 0]);
    let after = Utc::now();
    let received = server.received_requests().await.unwrap();
    let q = query(&received[0]);
    let (start, end) = (time(&q["interval.startTime"]), time(&q["interval.endTime"]));
    assert_eq!((end - start).num_seconds(), 3600, "the last hour: {q:?}");
    let slack = chrono::Duration::seconds(1);
    assert!(
        end >= before - slack && end <= after + slack,
        "ending now: {end}"
    );
    assert!(q["interval.endTime"].ends_with('Z'), "UTC, RFC 3339: {q:?}");
}

#[tokio::test]
async fn pages_are_followed_with_the_same_query_and_the_token() {
    let server = MockServer::start().await;
    Mock::given(path(PATH))
        .and(query_param_is_missing("pageToken"))
        .respond_with(ok(json!({
            "timeSeries": [series("us-central1", "L", json!([
                point("2026-05-01T10:00:00Z", json!({"int64Value": "3"}))]))],
            "nextPageToken": "page-2 token/=="
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path(PATH))
        .and(query_param("pageToken", "page-2 token/=="))
        .respond_with(ok(json!({
            "timeSeries": [
                // The same series continued: its newer point wins.
                series("us-central1", "L", json!([
                    point("2026-05-01T10:01:00Z", json!({"int64Value": "5"}))])),
                series("us-east1", "L", json!([
                    point("2026-05-01T10:00:00Z", json!({"int64Value": "8"}))]))]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let usage = client(&server).fetch_usage(T4).await.unwrap();
    assert_eq!(usage.in_regions(&regions()), [5, 8, 0]);
    assert_eq!((usage.pages, usage.attempts), (2, 2));
    let received = server.received_requests().await.unwrap();
    let (mut first, mut second) = (query(&received[0]), query(&received[1]));
    assert_eq!(
        second.remove("pageToken").as_deref(),
        Some("page-2 token/==")
    );
    first.remove("pageToken");
    assert_eq!(first, second, "every page asks the same question");
}

#[tokio::test]
async fn a_repeated_page_token_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    Mock::given(path(PATH))
        .respond_with(ok(json!({"nextPageToken": "again"})))
        .mount(&server)
        .await;
    let e = client(&server).fetch_usage(T4).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Parse, "{e}");
    assert!(e.message.contains("the same nextPageToken twice"), "{e}");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_403_is_permission_and_names_the_role() {
    let server = MockServer::start().await;
    Mock::given(path(PATH))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {
            "code": 403,
            "message": "Permission monitoring.timeSeries.list denied (or the resource may not exist).",
            "status": "PERMISSION_DENIED"}})))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server).usage(T4, &regions()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permission, "{e}");
    assert_eq!((e.http_status, e.attempts), (Some(403), 1), "never retried");
    assert!(
        e.message
            .starts_with("Permission monitoring.timeSeries.list denied"),
        "Google's message first: {e}"
    );
    for part in [
        "Monitoring Viewer",
        "roles/monitoring.viewer",
        "on project my-project",
    ] {
        assert!(e.message.contains(part), "{part}: {e}");
    }
}

/// 429 then 503 (with Google's RetryInfo and Retry-After), then the answer: retried within
/// the deadline; every attempt is counted.
#[tokio::test]
async fn rate_limits_and_unavailability_are_retried_within_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(path(PATH))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"error": {
            "code": 429, "status": "RESOURCE_EXHAUSTED",
            "message": "Quota exceeded for quota metric 'Time series queries'",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.05s"}]}})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path(PATH))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("retry-after", "0")
                .set_body_json(json!({"error": {"code": 503, "status": "UNAVAILABLE",
                    "message": "The service is currently unavailable."}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path(PATH))
        .respond_with(ok(json!({"timeSeries": [series("us-east1", "L", json!([
            point("2026-05-01T10:00:00Z", json!({"int64Value": "4"}))]))]})))
        .mount(&server)
        .await;
    let started = Instant::now();
    let usage = client(&server).fetch_usage(T4).await.unwrap();
    assert_eq!(usage.in_regions(&regions()), [0, 4, 0]);
    assert_eq!(usage.attempts, 3);
    assert!(
        started.elapsed() >= Duration::from_millis(50),
        "RetryInfo honoured"
    );
}

#[tokio::test]
async fn a_server_that_stays_unavailable_fails_at_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(path(PATH))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"error": {
            "code": 503, "status": "UNAVAILABLE", "message": "down"}})))
        .mount(&server)
        .await;
    let tokens = TokenSource::fixed(Secret::new("tok"), "test");
    let c = client_with(&server, tokens, Duration::from_millis(300));
    let started = Instant::now();
    let e = c.fetch_usage(T4).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unavailable, "{e}");
    assert!(e.attempts >= 3, "retried: {e:?}");
    assert!(
        started.elapsed() < Duration::from_millis(800),
        "within the deadline: {:?}",
        started.elapsed()
    );
}

/// An answer that says it may be incomplete is not taken as the usage: retried, and a
/// complete answer wins.
#[tokio::test]
async fn execution_errors_are_retried() {
    let server = MockServer::start().await;
    Mock::given(path(PATH))
        .respond_with(ok(
            json!({"executionErrors": [{"code": 4, "message": "partial"}]}),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path(PATH))
        .respond_with(ok(json!({"timeSeries": [series("us-west1", "L", json!([
            point("2026-05-01T10:00:00Z", json!({"int64Value": "2"}))]))]})))
        .mount(&server)
        .await;
    let usage = client(&server).fetch_usage(T4).await.unwrap();
    assert_eq!((usage.in_region("us-west1"), usage.attempts), (2, 2));
}

struct Renewing {
    fresh: AtomicU32,
}

#[async_trait]
impl Credentials for Renewing {
    async fn token(&self) -> Result<Secret, ApiError> {
        Ok(Secret::new("old"))
    }
    async fn fresh_token(&self) -> Result<Secret, ApiError> {
        self.fresh.fetch_add(1, Ordering::SeqCst);
        Ok(Secret::new("new"))
    }
    fn source_name(&self) -> &str {
        "renewing"
    }
}

#[tokio::test]
async fn a_401_gets_one_fresh_token() {
    let server = MockServer::start().await;
    Mock::given(path(PATH))
        .and(header("authorization", "Bearer old"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "code": 401, "status": "UNAUTHENTICATED", "message": "Request had invalid authentication credentials."}})))
        .mount(&server)
        .await;
    Mock::given(path(PATH))
        .and(header("authorization", "Bearer new"))
        .respond_with(ok(json!({})))
        .mount(&server)
        .await;
    let creds = Arc::new(Renewing {
        fresh: AtomicU32::new(0),
    });
    let c = client_with(
        &server,
        TokenSource::from_credentials(creds.clone()),
        Duration::from_secs(5),
    );
    assert_eq!(c.usage(T4, &regions()).await.unwrap(), [0, 0, 0]);
    assert_eq!(creds.fresh.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_body_that_is_not_a_list_answer_is_a_parse_error() {
    let server = MockServer::start().await;
    Mock::given(path(PATH))
        .respond_with(ok(json!({"timeSeries": [series("us-east1", "L", json!([
            point("2026-05-01T10:00:00Z", json!({"int64Value": "many"}))]))]})))
        .mount(&server)
        .await;
    let e = client(&server).fetch_usage(T4).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Parse, "{e}");
    assert!(e.message.contains("us-east1"), "{e}");
    assert!(!e.to_string().contains("tok-1"), "no token in errors: {e}");
}
