//! The Service Usage client against wiremock answering in Google's shapes (SPEC §4):
//! each error class, each bucket rule end to end, retries, `Retry-After`, the deadline,
//! the 401 token renewal, and the request's path, query and header.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use quota_tui::catalog::{Capacity, Check, GpuType, Limit, MetricRequest, QuotaMetric};
use quota_tui::gcp::auth::{Credentials, Secret, TokenSource};
use quota_tui::gcp::serviceusage::{RetryPolicy, ServiceUsageClient};
use quota_tui::gcp::{ApiError, ErrorKind, QuotaSource};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PROJECT: &str = "my-project";
const T4_PATH: &str = "/v1beta1/projects/my-project/services/aiplatform.googleapis.com/\
    consumerQuotaMetrics/aiplatform.googleapis.com%2Fcustom_model_training_preemptible_nvidia_t4_gpus";
const T4_METRIC: &str =
    "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus";
const C3_PATH: &str = "/v1beta1/projects/my-project/services/cloudbuild.googleapis.com/\
    consumerQuotaMetrics/cloudbuild.googleapis.com%2Fconcurrent_private_pool_c3_build_cpus";
const C3_METRIC: &str = "cloudbuild.googleapis.com/concurrent_private_pool_c3_build_cpus";

/// Fast backoff so retry tests stay short; the deadline is given per test.
fn policy(deadline: Duration) -> RetryPolicy {
    RetryPolicy {
        deadline,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        factor: 2.0,
    }
}

fn client_with(base: &str, tokens: TokenSource, deadline: Duration) -> ServiceUsageClient {
    ServiceUsageClient::new(PROJECT, base, tokens)
        .expect("valid project and URL")
        .with_policy(policy(deadline))
}

fn client(server: &MockServer) -> ServiceUsageClient {
    client_with(
        &server.uri(),
        TokenSource::fixed(Secret::new("tok-1"), "test"),
        Duration::from_secs(5),
    )
}

fn t4(region: &str) -> Check {
    Check::gpu(GpuType::T4, Capacity::Spot, region)
}

fn t4_body() -> Value {
    json!({
      "name": "projects/123/services/aiplatform.googleapis.com/consumerQuotaMetrics/x",
      "metric": T4_METRIC, "displayName": "T4 spot", "unit": "1/{project}/{region}",
      "consumerQuotaLimits": [
        {"name": "total", "metric": T4_METRIC, "unit": "1/{project}",
         "quotaBuckets": [{"effectiveLimit": "96", "defaultLimit": "96"}]},
        {"name": "regional", "metric": T4_METRIC, "unit": "1/{project}/{region}", "isPrecise": true,
         "allowsAdminOverrides": true,
         "supportedLocations": ["us-central1", "us-east1", "us-west1", "europe-west4"],
         "quotaBuckets": [
           {"effectiveLimit": "4",  "defaultLimit": "4"},
           {"effectiveLimit": "16", "defaultLimit": "4", "dimensions": {"region": "us-central1"},
            "producerOverride": {"name": "limits/regional/producerOverrides/1",
              "overrideValue": "16", "dimensions": {"region": "us-central1"}}},
           // A cap to 0: proto3 JSON leaves effectiveLimit and overrideValue out.
           {"defaultLimit": "4", "dimensions": {"region": "europe-west4"},
            "consumerOverride": {"name": "limits/regional/consumerOverrides/2",
              "dimensions": {"region": "europe-west4"}}},
           {"effectiveLimit": "-1", "defaultLimit": "4", "dimensions": {"region": "us-west1"}}]}]})
}

fn google_error(code: u16, status: &str, message: &str, reason: &str) -> Value {
    json!({"error": {"code": code, "message": message, "status": status,
        "errors": [{"message": message, "domain": "global", "reason": reason}],
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SOME_REASON",
                     "domain": "googleapis.com"}]}})
}

async fn mount_ok(server: &MockServer, p: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn mount_error(server: &MockServer, code: u16, body: Value) {
    Mock::given(method("GET"))
        .and(path(T4_PATH))
        .respond_with(ResponseTemplate::new(code).set_body_json(body))
        .mount(server)
        .await;
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

async fn fetch_t4(server: &MockServer) -> Result<Limit, ApiError> {
    client(server)
        .fetch_limit(&t4("us-central1"))
        .await
        .map(|f| f.limit)
}

#[tokio::test]
async fn request_has_encoded_metric_full_view_and_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(T4_PATH))
        .and(query_param("view", "FULL"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(t4_body()))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(fetch_t4(&server).await, Ok(Limit::Finite(16)));
    let seen = &server.received_requests().await.unwrap()[0];
    assert!(
        seen.url.as_str().contains("%2Fcustom_model_training"),
        "{}",
        seen.url
    );
}

#[tokio::test]
async fn bucket_rules_end_to_end() {
    let server = MockServer::start().await;
    mount_ok(&server, T4_PATH, t4_body()).await;
    let c = client(&server);
    let read = |region: &'static str| {
        let c = c.clone();
        async move { c.fetch_limit(&t4(region)).await.map(|f| f.limit) }
    };
    // Region bucket of the regional limit, not the project-wide limit listed first.
    assert_eq!(read("us-central1").await, Ok(Limit::Finite(16)));
    assert_eq!(read("europe-west4").await, Ok(Limit::Finite(0)));
    assert_eq!(
        read("us-east1").await,
        Ok(Limit::Finite(4)),
        "default bucket"
    );
    assert_eq!(read("us-west1").await, Ok(Limit::Unlimited));
}

/// One `consumerQuotaMetrics.get` answers every region of the metric (SPEC §3, §4): the
/// four regions of T4 from one request, each by the bucket rules; a region the answer has no
/// bucket for (and no default bucket) fails alone.
#[tokio::test]
async fn one_request_answers_every_region_of_the_metric() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(T4_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(t4_body()))
        .expect(1)
        .mount(&server)
        .await;
    let request = MetricRequest::new(
        QuotaMetric::Gpu {
            gpu: GpuType::T4,
            capacity: Capacity::Spot,
        },
        ["us-central1", "us-east1", "us-west1", "europe-west4"],
    );
    let limits = client(&server).fetch_metric(&request).await.unwrap();
    assert_eq!(
        limits,
        [
            Ok(Limit::Finite(16)),
            Ok(Limit::Finite(4)),
            Ok(Limit::Unlimited),
            Ok(Limit::Finite(0))
        ]
    );
    assert_eq!(requests(&server).await, 1);

    let c3 = MetricRequest::new(QuotaMetric::C3, ["us-east1", "us-west2"]);
    let server = MockServer::start().await;
    mount_ok(
        &server,
        C3_PATH,
        json!({"metric": C3_METRIC, "consumerQuotaLimits": [{
            "unit": "1/{project}/{region}/{build_origin}",
            "quotaBuckets": [
              {"effectiveLimit": "176", "dimensions": {"region": "us-east1", "build_origin": "default"}}]}]}),
    )
    .await;
    let limits = client(&server).fetch_metric(&c3).await.unwrap();
    assert_eq!(limits[0], Ok(Limit::Finite(176)));
    let e = limits[1].as_ref().unwrap_err();
    assert_eq!((e.kind, e.attempts), (ErrorKind::Parse, 1), "{e}");
    assert!(e.message.contains("C3 us-west2"), "{e}");
}

#[tokio::test]
async fn c3_decoy_build_origin_never_wins_end_to_end() {
    let server = MockServer::start().await;
    let body = json!({"metric": C3_METRIC, "consumerQuotaLimits": [{
        "unit": "1/{project}/{region}/{build_origin}",
        "quotaBuckets": [
          {"effectiveLimit": "24", "defaultLimit": "24"},
          {"effectiveLimit": "900", "dimensions": {"region": "us-east1", "build_origin": "trigger"}},
          {"effectiveLimit": "176", "dimensions": {"region": "us-east1", "build_origin": "default"}},
          {"effectiveLimit": "800", "dimensions": {"region": "us-west2", "build_origin": "trigger"}},
          {"effectiveLimit": "96", "dimensions": {"region": "us-east4"}}]}]});
    mount_ok(&server, C3_PATH, body).await;
    let c = client(&server);
    assert_eq!(
        c.fetch_limit(&Check::c3("us-east1")).await.map(|f| f.limit),
        Ok(Limit::Finite(176))
    );
    assert_eq!(
        c.fetch_limit(&Check::c3("us-west2")).await.map(|f| f.limit),
        Ok(Limit::Finite(24))
    );
    assert_eq!(
        c.fetch_limit(&Check::c3("us-east4")).await.map(|f| f.limit),
        Ok(Limit::Finite(96))
    );
}

#[tokio::test]
async fn unreadable_answers_are_parse_errors_without_retry() {
    let cases = [
        json!({"metric": T4_METRIC, "consumerQuotaLimits": [{"unit": "1/{project}/{region}",
              "quotaBuckets": [{"effectiveLimit": "many"}]}]}),
        json!({"metric": T4_METRIC, "consumerQuotaLimits": [{"unit": "1/{project}/{region}",
              "quotaBuckets": [{"effectiveLimit": "8", "dimensions": {"region": "us-east1"}}]}]}),
        json!({"metric": "aiplatform.googleapis.com/something_else", "consumerQuotaLimits": []}),
        json!([1, 2, 3]),
    ];
    for body in cases {
        let server = MockServer::start().await;
        mount_ok(&server, T4_PATH, body.clone()).await;
        let err = fetch_t4(&server).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Parse, "{body}: {err}");
        assert_eq!(requests(&server).await, 1, "parse errors are not retried");
    }
    let server = MockServer::start().await;
    Mock::given(path(T4_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>not json</html>"))
        .mount(&server)
        .await;
    assert_eq!(fetch_t4(&server).await.unwrap_err().kind, ErrorKind::Parse);
}

#[tokio::test]
async fn permission_denied_keeps_googles_message_and_is_not_retried() {
    let server = MockServer::start().await;
    let msg = "Permission 'serviceusage.quotas.get' denied on resource project my-project.";
    mount_error(
        &server,
        403,
        google_error(403, "PERMISSION_DENIED", msg, "forbidden"),
    )
    .await;
    let err = fetch_t4(&server).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Permission);
    assert_eq!(err.message, msg);
    assert_eq!(
        (err.http_status, err.google_status.as_deref()),
        (Some(403), Some("PERMISSION_DENIED"))
    );
    assert_eq!(err.attempts, 1);
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn not_found_is_not_retried() {
    let server = MockServer::start().await;
    mount_error(
        &server,
        404,
        google_error(
            404,
            "NOT_FOUND",
            "Project 'my-project' not found.",
            "notFound",
        ),
    )
    .await;
    let err = fetch_t4(&server).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("not found"), "{err}");
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn rate_limited_403_is_retried_until_the_deadline_and_reported_with_attempts() {
    let server = MockServer::start().await;
    mount_error(
        &server,
        403,
        google_error(
            403,
            "PERMISSION_DENIED",
            "Quota exceeded for quota metric 'Read requests'",
            "rateLimitExceeded",
        ),
    )
    .await;
    let c = client_with(
        &server.uri(),
        TokenSource::demo(),
        Duration::from_millis(400),
    );
    let err = c
        .fetch_limit(&t4("us-central1"))
        .await
        .map(|f| f.limit)
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::RateLimited);
    assert!(err.attempts >= 3, "retried: {err}");
    // The deadline may cut the last attempt before its request reached the server.
    let seen = requests(&server).await;
    assert!(
        seen == err.attempts as usize || seen + 1 == err.attempts as usize,
        "attempts {} reported, {seen} requests seen",
        err.attempts
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_unavailable() {
    for code in [500u16, 502, 503, 504] {
        let server = MockServer::start().await;
        mount_error(
            &server,
            code,
            google_error(
                code,
                "UNAVAILABLE",
                "The service is currently unavailable.",
                "backendError",
            ),
        )
        .await;
        let c = client_with(
            &server.uri(),
            TokenSource::demo(),
            Duration::from_millis(300),
        );
        let err = c
            .fetch_limit(&t4("us-central1"))
            .await
            .map(|f| f.limit)
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unavailable, "{code}");
        assert!(err.attempts >= 2, "{code}: {err}");
        assert!(
            err.to_string().starts_with(&format!(
                "unavailable after {} tries ({code} UNAVAILABLE)",
                err.attempts
            )),
            "{err}"
        );
    }
}

#[tokio::test]
async fn connection_refused_is_unavailable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client_with(
        &format!("http://127.0.0.1:{port}"),
        TokenSource::demo(),
        Duration::from_millis(300),
    );
    let err = c
        .fetch_limit(&t4("us-central1"))
        .await
        .map(|f| f.limit)
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unavailable, "{err}");
    assert!(err.attempts >= 2, "{err}");
}

#[tokio::test]
async fn two_429_then_200_succeeds_on_the_third_attempt() {
    let server = MockServer::start().await;
    Mock::given(path(T4_PATH))
        .respond_with(ResponseTemplate::new(429).set_body_json(google_error(
            429,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded",
            "rateLimitExceeded",
        )))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_ok(&server, T4_PATH, t4_body()).await;
    let fetched = client(&server)
        .fetch_limit(&t4("us-central1"))
        .await
        .unwrap();
    assert_eq!(fetched.limit, Limit::Finite(16));
    assert_eq!(fetched.attempts, 3);
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(path(T4_PATH))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(google_error(
                    429,
                    "RESOURCE_EXHAUSTED",
                    "Quota exceeded",
                    "rateLimitExceeded",
                )),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_ok(&server, T4_PATH, t4_body()).await;
    let started = Instant::now();
    let fetched = client(&server)
        .fetch_limit(&t4("us-central1"))
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(fetched.attempts, 2);
    // The backoff alone would wait 10–20 ms; Retry-After asks for 1 s.
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(4), "waited {waited:?}");
}

#[tokio::test]
async fn retry_after_longer_than_the_deadline_ends_the_check_at_once() {
    let server = MockServer::start().await;
    Mock::given(path(T4_PATH))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("retry-after", "30")
                .set_body_json(google_error(
                    503,
                    "UNAVAILABLE",
                    "try later",
                    "backendError",
                )),
        )
        .mount(&server)
        .await;
    let started = Instant::now();
    let err = fetch_t4(&server).await.unwrap_err();
    assert_eq!((err.kind, err.attempts), (ErrorKind::Unavailable, 1));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn an_answer_that_never_comes_ends_at_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(path(T4_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(t4_body())
                .set_delay(Duration::from_secs(60)),
        )
        .mount(&server)
        .await;
    let c = client_with(&server.uri(), TokenSource::demo(), Duration::from_secs(1));
    let started = Instant::now();
    let err = c
        .fetch_limit(&t4("us-central1"))
        .await
        .map(|f| f.limit)
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert!(err.message.contains("1s deadline"), "{err}");
    assert_eq!(err.attempts, 1);
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

/// Hands out `old` from its cache and `new-N` when asked for a fresh token; counts both.
#[derive(Default)]
struct CountingTokens {
    cached: AtomicU32,
    fresh: AtomicU32,
}

#[async_trait]
impl Credentials for CountingTokens {
    async fn token(&self) -> Result<Secret, ApiError> {
        self.cached.fetch_add(1, Ordering::SeqCst);
        let fresh = self.fresh.load(Ordering::SeqCst);
        Ok(Secret::new(if fresh == 0 {
            "old".to_string()
        } else {
            format!("new-{fresh}")
        }))
    }
    async fn fresh_token(&self) -> Result<Secret, ApiError> {
        let n = self.fresh.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(Secret::new(format!("new-{n}")))
    }
    fn source_name(&self) -> &str {
        "counting"
    }
}

fn unauthenticated() -> Value {
    google_error(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials.",
        "authError",
    )
}

#[tokio::test]
async fn a_401_fetches_one_new_token_and_succeeds() {
    let server = MockServer::start().await;
    Mock::given(path(T4_PATH))
        .and(header("authorization", "Bearer old"))
        .respond_with(ResponseTemplate::new(401).set_body_json(unauthenticated()))
        .mount(&server)
        .await;
    Mock::given(path(T4_PATH))
        .and(header("authorization", "Bearer new-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(t4_body()))
        .mount(&server)
        .await;
    let tokens = Arc::new(CountingTokens::default());
    let c = client_with(
        &server.uri(),
        TokenSource::from_credentials(tokens.clone()),
        Duration::from_secs(5),
    );
    let fetched = c.fetch_limit(&t4("us-central1")).await.unwrap();
    assert_eq!((fetched.limit, fetched.attempts), (Limit::Finite(16), 2));
    assert_eq!(tokens.fresh.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_second_401_is_an_auth_error_after_one_renewal() {
    let server = MockServer::start().await;
    mount_error(&server, 401, unauthenticated()).await;
    let tokens = Arc::new(CountingTokens::default());
    let c = client_with(
        &server.uri(),
        TokenSource::from_credentials(tokens.clone()),
        Duration::from_secs(5),
    );
    let err = c
        .fetch_limit(&t4("us-central1"))
        .await
        .map(|f| f.limit)
        .unwrap_err();
    assert_eq!((err.kind, err.attempts), (ErrorKind::Auth, 2));
    assert_eq!(
        err.message,
        "Request had invalid authentication credentials."
    );
    assert_eq!(tokens.fresh.load(Ordering::SeqCst), 1);
    assert_eq!(requests(&server).await, 2);
    assert!(
        !format!("{err} {err:?}").contains("new-1"),
        "no token in the error"
    );
}

#[tokio::test]
async fn a_bad_project_id_sends_no_request() {
    let server = MockServer::start().await;
    mount_ok(&server, T4_PATH, t4_body()).await;
    for bad in ["My-Project", "../../v1/other", "abc", "proj-"] {
        let err = ServiceUsageClient::new(bad, &server.uri(), TokenSource::demo()).unwrap_err();
        assert!(err.message.contains(bad), "{err}");
    }
    assert_eq!(requests(&server).await, 0);
}

#[tokio::test]
async fn a_retryable_error_then_silence_reports_the_error_not_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(path(T4_PATH))
        .respond_with(ResponseTemplate::new(429).set_body_json(google_error(
            429,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded",
            "rateLimitExceeded",
        )))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path(T4_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(t4_body())
                .set_delay(Duration::from_secs(60)),
        )
        .mount(&server)
        .await;
    let c = client_with(&server.uri(), TokenSource::demo(), Duration::from_secs(1));
    let err = c
        .fetch_limit(&t4("us-central1"))
        .await
        .map(|f| f.limit)
        .unwrap_err();
    assert_eq!((err.kind, err.attempts), (ErrorKind::RateLimited, 2));
    let shown = err.to_string();
    assert!(
        shown.starts_with("rate limited after 2 tries (429 RESOURCE_EXHAUSTED): Quota exceeded"),
        "{shown}"
    );
    assert!(shown.contains("1s deadline"), "{shown}");
}

thread_local! {
    /// Where this thread's tracing events go (the no-token-in-logs test).
    static LOG_SINK: std::cell::RefCell<Option<LogBuffer>> = const { std::cell::RefCell::new(None) };
}

/// Collects everything a thread's tracing events write, for the no-token-in-logs test.
#[derive(Clone, Default)]
struct LogBuffer(Arc<std::sync::Mutex<Vec<u8>>>);

struct ThreadSink;

impl std::io::Write for ThreadSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG_SINK.with(|s| {
            if let Some(b) = s.borrow().as_ref() {
                b.0.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Capture this thread's debug events. A process-global subscriber with a per-thread sink,
/// not a thread-default dispatcher: tracing-core caches each callsite's interest from the
/// dispatchers present when it is first hit, and another test hitting the client's callsites
/// first without one would make this test miss its events under load.
fn capture_debug_logs() -> LogBuffer {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(|| ThreadSink)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        tracing::callsite::rebuild_interest_cache();
    });
    let logs = LogBuffer::default();
    LOG_SINK.with(|s| *s.borrow_mut() = Some(logs.clone()));
    logs
}

#[tokio::test]
async fn debug_logs_show_the_request_but_never_the_token() {
    let logs = capture_debug_logs();
    let server = MockServer::start().await;
    mount_error(&server, 401, unauthenticated()).await;
    let c = client_with(
        &server.uri(),
        TokenSource::fixed(Secret::new("ya29.very-secret"), "test"),
        Duration::from_secs(5),
    );
    let err = c
        .fetch_limit(&t4("us-central1"))
        .await
        .map(|f| f.limit)
        .unwrap_err();
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("consumerQuotaMetrics"),
        "requests are logged: {text}"
    );
    assert!(
        !text.contains("very-secret"),
        "token leaked into the log: {text}"
    );
    assert!(!format!("{err} {err:?} {c:?}").contains("very-secret"));
}
