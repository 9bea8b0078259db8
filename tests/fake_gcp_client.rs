//! The real Service Usage client against the embedded fake GCP over loopback (SPEC §5):
//! the whole default catalog, the C3 decoy, retried faults, malformed bodies, missing
//! credentials, unknown metrics, hangs and shutdown.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::future::join_all;
use quota_tui::catalog::{C3_METRIC, CLOUDBUILD_SERVICE, Capacity, Catalog, Check, Limit};
use quota_tui::catalog::{MetricRequest, QuotaMetric};
use quota_tui::fake_gcp::{DECOY_BUILD_ORIGIN, DEMO_PROJECT, FakeGcp, FakeGcpConfig, quota_limit};
use quota_tui::gcp::auth::TokenSource;
use quota_tui::gcp::serviceusage::{RetryPolicy, ServiceUsageClient};
use quota_tui::gcp::{ErrorKind, QuotaSource};

fn client(fake: &FakeGcp, deadline: Duration) -> ServiceUsageClient {
    ServiceUsageClient::new(DEMO_PROJECT, fake.base_url(), TokenSource::demo())
        .expect("demo project is valid")
        .with_policy(RetryPolicy {
            deadline,
            ..RetryPolicy::default()
        })
}

/// Every check of `requests`, with its answer, one request per metric.
async fn fetch_checks(
    c: &ServiceUsageClient,
    requests: &[MetricRequest],
) -> Vec<(Check, Result<Limit, quota_tui::gcp::ApiError>)> {
    let answers = join_all(requests.iter().map(|r| c.fetch_metric(r))).await;
    requests
        .iter()
        .zip(answers)
        .flat_map(|(r, a)| {
            let limits = a.unwrap_or_else(|e| panic!("{}: {e}", r.metric));
            r.checks().into_iter().zip(limits)
        })
        .collect()
}

#[tokio::test]
async fn six_requests_answer_all_38_default_checks_with_the_fakes_values() {
    let cfg = FakeGcpConfig::quiet();
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    assert!(fake.base_url().starts_with("http://127.0.0.1:"));
    let c = client(&fake, Duration::from_secs(5));
    let checked = fetch_checks(&c, &Catalog::default().requests()).await;
    assert_eq!(checked.len(), 38);
    let answers: Vec<_> = checked.iter().map(|(_, a)| a.clone()).collect();
    for (check, answer) in &checked {
        let limit = answer.as_ref().unwrap_or_else(|e| panic!("{check}: {e}"));
        let want = quota_limit(cfg.seed, check.metric.name(), &check.region).unwrap();
        assert_eq!(*limit, want, "{check}");
        let max = if check.metric == QuotaMetric::C3 {
            512
        } else {
            64
        };
        assert!(
            limit.finite().is_some_and(|v| (0..=max).contains(&v)),
            "{check}: {limit}"
        );
    }
    let found = answers
        .iter()
        .filter(|a| a.as_ref().unwrap().is_positive())
        .count();
    assert!(
        found > 5 && found < 38,
        "a plausible mix of zero and non-zero: {found}"
    );

    let stats = fake.stats();
    assert_eq!(stats.total_requests, 6, "one request per metric");
    assert_eq!(stats.requests.len(), 6);
    assert!(
        stats
            .requests
            .iter()
            .all(|r| r.bearer && r.project == DEMO_PROJECT)
    );
    assert!(
        stats.max_in_flight > 1,
        "the 6 requests overlapped: {}",
        stats.max_in_flight
    );
    let mut per_service = BTreeMap::new();
    for r in &stats.requests {
        assert!(r.metric.starts_with(&format!("{}/", r.service)), "{r:?}");
        *per_service.entry(r.service.as_str()).or_insert(0) += 1;
    }
    assert_eq!(per_service.get("aiplatform.googleapis.com"), Some(&5));
    assert_eq!(per_service.get(CLOUDBUILD_SERVICE), Some(&1));
    fake.shutdown().await.unwrap();
}

#[tokio::test]
async fn on_demand_metrics_answer_too_and_values_are_fixed_by_the_seed() {
    let cfg = FakeGcpConfig {
        seed: 99,
        ..FakeGcpConfig::quiet()
    };
    let (a, b) = (
        FakeGcp::start(cfg, 0).await.unwrap(),
        FakeGcp::start(cfg, 0).await.unwrap(),
    );
    let on_demand = Catalog {
        capacity: Capacity::OnDemand,
        ..Catalog::default()
    };
    let requests = on_demand.gpu_requests();
    let read = |fake: &FakeGcp| {
        let c = client(fake, Duration::from_secs(5));
        let requests = requests.clone();
        async move { fetch_checks(&c, &requests).await }
    };
    let (va, vb) = (read(&a).await, read(&b).await);
    assert_eq!(va.len(), 20);
    assert!(va.iter().all(|(_, r)| r.is_ok()), "{va:?}");
    assert_eq!(va, vb);
}

#[tokio::test]
async fn the_c3_decoy_bucket_never_wins() {
    let fake = FakeGcp::start(FakeGcpConfig::quiet(), 0).await.unwrap();
    let c = client(&fake, Duration::from_secs(5));
    let (body, _) = c.get_metric(CLOUDBUILD_SERVICE, C3_METRIC).await.unwrap();
    let buckets = &body.consumer_quota_limits[0].quota_buckets;
    for check in Catalog::default().c3_checks() {
        let decoy = buckets
            .iter()
            .find(|b| {
                b.dimensions.get("region") == Some(&check.region)
                    && b.dimensions.get("build_origin").map(String::as_str)
                        == Some(DECOY_BUILD_ORIGIN)
            })
            .map(|b| match &b.effective_limit {
                // proto3 JSON leaves a zero out.
                None => 0,
                Some(v) => v.as_str().and_then(|s| s.parse::<i64>().ok()).unwrap(),
            })
            .expect("a decoy for every region");
        let got = c.fetch_limit(&check).await.unwrap().limit;
        assert_ne!(got, Limit::Finite(decoy), "{check} read the decoy");
    }
}

#[tokio::test]
async fn error_rate_one_is_retried_then_fails_rate_limited_or_unavailable() {
    let cfg = FakeGcpConfig {
        error_rate: 1.0,
        ..FakeGcpConfig::quiet()
    };
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    // Retry-After: 1 with a 1.5 s deadline leaves room for exactly one retry.
    let c = client(&fake, Duration::from_millis(1500));
    let checks = [
        Check::c3("us-east1"),
        Check::c3("europe-west9"),
        Catalog::default().gpu_checks()[0].clone(),
    ];
    let answers = join_all(checks.iter().map(|k| c.fetch_limit(k))).await;
    for (check, a) in checks.iter().zip(answers) {
        let err = a.unwrap_err();
        assert!(
            matches!(err.kind, ErrorKind::RateLimited | ErrorKind::Unavailable),
            "{check}: {err}"
        );
        assert_eq!(err.attempts, 2, "{check}: {err}");
        assert!(matches!(err.http_status, Some(429 | 503)), "{err:?}");
    }
    assert_eq!(fake.stats().requests.len(), 6);
}

#[tokio::test]
async fn malformed_rate_one_is_a_parse_error() {
    let cfg = FakeGcpConfig {
        malformed_rate: 1.0,
        ..FakeGcpConfig::quiet()
    };
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    let err = client(&fake, Duration::from_secs(5))
        .fetch_limit(&Check::c3("us-central1"))
        .await
        .unwrap_err();
    assert_eq!((err.kind, err.attempts), (ErrorKind::Parse, 1), "{err}");
}

#[tokio::test]
async fn a_request_without_a_bearer_token_gets_a_google_401() {
    let fake = FakeGcp::start(FakeGcpConfig::quiet(), 0).await.unwrap();
    let url = client(&fake, Duration::from_secs(5)).metric_url(CLOUDBUILD_SERVICE, C3_METRIC);
    let response = quota_tui::gcp::http::http_client()
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
    let stats = fake.stats();
    assert_eq!(stats.requests.len(), 1);
    assert!(!stats.requests[0].bearer);
    assert_eq!(
        stats.requests[0].metric, C3_METRIC,
        "the metric arrives decoded"
    );
}

#[tokio::test]
async fn an_unknown_metric_is_not_found() {
    let fake = FakeGcp::start(FakeGcpConfig::quiet(), 0).await.unwrap();
    let c = client(&fake, Duration::from_secs(5));
    let err = c
        .get_metric(
            "aiplatform.googleapis.com",
            "aiplatform.googleapis.com/custom_model_training_nvidia_v100_gpus",
        )
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind, err.http_status),
        (ErrorKind::NotFound, Some(404))
    );
    assert!(err.message.contains("nvidia_v100_gpus"), "{err}");
    // A metric asked for under the wrong service is unknown there too.
    let err = c
        .get_metric("aiplatform.googleapis.com", C3_METRIC)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    // The H100 name Google does not have (the original's `_80gb_`): 404, as from Google.
    let err = c
        .get_metric(
            "aiplatform.googleapis.com",
            "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_h100_80gb_gpus",
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
}

#[tokio::test]
async fn a_project_without_service_usage_gets_googles_service_disabled_with_its_url() {
    let cfg = FakeGcpConfig {
        service_disabled: true,
        ..FakeGcpConfig::quiet()
    };
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    let c = client(&fake, Duration::from_secs(5));
    let err = c.fetch_limit(&Check::c3("us-east1")).await.unwrap_err();
    assert_eq!((err.kind, err.attempts), (ErrorKind::ServiceDisabled, 1));
    let number = quota_tui::fake_gcp::project_number(DEMO_PROJECT);
    assert_eq!(
        err.details.activation_url,
        Some(format!(
            "https://console.developers.google.com/apis/api/serviceusage.googleapis.com/\
             overview?project={number}"
        ))
    );
    assert_eq!(err.details.service_title(), Some("Service Usage API"));
    assert_eq!(fake.stats().requests.len(), 1, "not retried");
}

#[tokio::test]
async fn a_hang_times_out_and_shutdown_still_ends_promptly() {
    let cfg = FakeGcpConfig {
        hang_rate: 1.0,
        ..FakeGcpConfig::quiet()
    };
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    let err = client(&fake, Duration::from_millis(500))
        .fetch_limit(&Check::c3("us-central1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
    let started = Instant::now();
    fake.shutdown().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn after_shutdown_the_client_sees_unavailable() {
    let fake = FakeGcp::start(FakeGcpConfig::quiet(), 0).await.unwrap();
    let c = client(&fake, Duration::from_millis(300));
    assert!(c.fetch_limit(&Check::c3("us-central1")).await.is_ok());
    fake.shutdown().await.unwrap();
    let c = client_for_url(&c, Duration::from_millis(300));
    let err = c.fetch_limit(&Check::c3("us-central1")).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unavailable, "{err}");
}

/// A new client (new connection pool) for the same URL, so no pooled connection is reused.
fn client_for_url(c: &ServiceUsageClient, deadline: Duration) -> ServiceUsageClient {
    let base = c.metric_url("s", "m");
    let base = &base[..base.find("/v1beta1").unwrap()];
    ServiceUsageClient::new(DEMO_PROJECT, base, TokenSource::demo())
        .unwrap()
        .with_deadline(deadline)
}
