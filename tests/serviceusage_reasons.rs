//! The Service Usage client against wiremock answering Google's real error bodies (SPEC §4):
//! each ErrorInfo reason decides the kind, Google's message is kept, and the client waits as
//! long as Google asks (`RetryInfo.retryDelay`, `Retry-After` as seconds or an HTTP-date).
//! Bodies follow Google's answers cited in `src/fake_gcp/errors.rs`.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::quota_server::{all_regions, body, service_disabled_body};
use quota_tui::catalog::{Capacity, Check, GpuType, Limit};
use quota_tui::gcp::auth::{Secret, TokenSource};
use quota_tui::gcp::serviceusage::{RetryPolicy, ServiceUsageClient};
use quota_tui::gcp::{ApiError, ErrorKind};
use serde_json::{Value, json};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const PROJECT: &str = "my-project";
const T4_METRIC: &str =
    "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus";

fn t4_path() -> String {
    format!(
        "/v1beta1/projects/{PROJECT}/services/aiplatform.googleapis.com/consumerQuotaMetrics/{}",
        T4_METRIC.replace('/', "%2F")
    )
}

/// Fast backoff (10–40 ms) so a long wait can only come from what Google asked for.
fn client(server: &MockServer) -> ServiceUsageClient {
    ServiceUsageClient::new(
        PROJECT,
        &server.uri(),
        TokenSource::fixed(Secret::new("tok"), "test"),
    )
    .unwrap()
    .with_policy(RetryPolicy {
        deadline: Duration::from_secs(6),
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        factor: 2.0,
    })
}

async fn fetch(server: &MockServer) -> Result<Limit, ApiError> {
    client(server)
        .fetch_limit(&Check::gpu(GpuType::T4, Capacity::Spot, "us-central1"))
        .await
        .map(|f| f.limit)
}

async fn answer_always(server: &MockServer, code: u16, body: Value) {
    Mock::given(path(t4_path()))
        .respond_with(ResponseTemplate::new(code).set_body_json(body))
        .mount(server)
        .await;
}

/// `first` once (with priority), then a good body with 12 in every region.
async fn answer_once_then_ok(server: &MockServer, first: ResponseTemplate) {
    Mock::given(path(t4_path()))
        .respond_with(first)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(path(t4_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(body(T4_METRIC, &all_regions(12))))
        .mount(server)
        .await;
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

fn error_info(reason: &str, metadata: Value) -> Value {
    json!({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
           "domain": "googleapis.com", "metadata": metadata})
}

fn rate_limited_body(retry_delay: Option<&str>) -> Value {
    let mut details = vec![error_info(
        "RATE_LIMIT_EXCEEDED",
        json!({"service": "serviceusage.googleapis.com", "consumer": "projects/123456789012",
               "quota_metric": "serviceusage.googleapis.com/read_requests",
               "quota_limit": "ReadRequestsPerMinutePerProject"}),
    )];
    if let Some(d) = retry_delay {
        details.push(json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": d}));
    }
    json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": details,
        "message": "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per \
                    minute' of service 'serviceusage.googleapis.com' for consumer \
                    'project_number:123456789012'."}})
}

#[tokio::test]
async fn service_disabled_is_final_and_keeps_the_activation_url_from_the_metadata() {
    let server = MockServer::start().await;
    let (b, url) = service_disabled_body(
        "serviceusage.googleapis.com",
        "Service Usage API",
        123456789012,
    );
    answer_always(&server, 403, b).await;
    let e = fetch(&server).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::ServiceDisabled);
    assert_eq!(e.details.activation_url.as_deref(), Some(url.as_str()));
    assert!(
        e.message
            .starts_with("Service Usage API has not been used in project")
    );
    assert_eq!(e.attempts, 1);
    assert_eq!(requests(&server).await, 1, "not retried");
    assert_eq!(
        e.service_disabled_line("aiplatform.googleapis.com")
            .unwrap(),
        format!(
            "Service Usage API (serviceusage.googleapis.com) is not enabled in project \
             123456789012: enable it at {url}"
        )
    );
}

#[tokio::test]
async fn consumer_invalid_is_not_found_naming_the_clients_project() {
    let server = MockServer::start().await;
    let google = "Permission denied on resource project my-project.";
    answer_always(
        &server,
        403,
        json!({"error": {"code": 403, "message": google, "status": "PERMISSION_DENIED",
            "errors": [{"message": google, "domain": "global", "reason": "forbidden"}],
            "details": [error_info("CONSUMER_INVALID", json!({"containerInfo": "my-project",
                "consumer": "projects/my-project", "service": "serviceusage.googleapis.com"}))]}}),
    )
    .await;
    let e = fetch(&server).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(
        e.message,
        format!("project {PROJECT} not found, or you have no access to it (Google: {google})")
    );
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn rate_limit_exceeded_is_retried_and_then_succeeds() {
    let server = MockServer::start().await;
    answer_once_then_ok(
        &server,
        ResponseTemplate::new(429).set_body_json(rate_limited_body(None)),
    )
    .await;
    let fetched = client(&server)
        .fetch_limit(&Check::gpu(GpuType::T4, Capacity::Spot, "us-east1"))
        .await
        .unwrap();
    assert_eq!((fetched.limit, fetched.attempts), (Limit::Finite(12), 2));
}

#[tokio::test]
async fn invalid_argument_and_already_exists_are_their_own_kinds_and_not_retried() {
    for (code, status, want) in [
        (400, "INVALID_ARGUMENT", ErrorKind::Invalid),
        (409, "ALREADY_EXISTS", ErrorKind::Conflict),
    ] {
        let server = MockServer::start().await;
        let msg = format!("Google's {status} message");
        answer_always(
            &server,
            code,
            json!({"error": {"code": code, "message": msg, "status": status}}),
        )
        .await;
        let e = fetch(&server).await.unwrap_err();
        assert_eq!(e.kind, want, "{code}");
        assert_eq!(e.message, msg);
        assert_eq!(requests(&server).await, 1, "{code} is not retried");
    }
}

#[tokio::test]
async fn retry_info_delay_in_the_body_is_honoured() {
    let server = MockServer::start().await;
    answer_once_then_ok(
        &server,
        ResponseTemplate::new(429).set_body_json(rate_limited_body(Some("1.2s"))),
    )
    .await;
    let started = Instant::now();
    assert_eq!(fetch(&server).await, Ok(Limit::Finite(12)));
    let waited = started.elapsed();
    // The backoff alone waits 10–20 ms; RetryInfo asks for 1.2 s.
    assert!(waited >= Duration::from_millis(1200), "waited {waited:?}");
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn an_http_date_retry_after_is_honoured() {
    let server = MockServer::start().await;
    // Three seconds from now, cut to whole seconds by the format: at least 2 s away.
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3));
    answer_once_then_ok(
        &server,
        ResponseTemplate::new(503)
            .insert_header("retry-after", at.as_str())
            .set_body_json(json!({"error": {"code": 503, "status": "UNAVAILABLE",
                "message": "The service is currently unavailable."}})),
    )
    .await;
    let started = Instant::now();
    assert_eq!(fetch(&server).await, Ok(Limit::Finite(12)));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1500),
        "Retry-After {at} honoured: waited {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
}

#[tokio::test]
async fn a_zero_quota_region_without_effective_limit_reads_as_zero() {
    let server = MockServer::start().await;
    let mut regions = all_regions(8);
    regions.insert("us-central1".into(), 0);
    answer_always(&server, 200, body(T4_METRIC, &regions)).await;
    // The fixture leaves the zero out, as Google does.
    let b = body(T4_METRIC, &regions);
    let zero = b["consumerQuotaLimits"][1]["quotaBuckets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["dimensions"]["region"] == "us-central1")
        .unwrap();
    assert!(zero.get("effectiveLimit").is_none(), "{zero}");
    assert_eq!(fetch(&server).await, Ok(Limit::Finite(0)));
}
