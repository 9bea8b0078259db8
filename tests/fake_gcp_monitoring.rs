//! The embedded demo's Cloud Monitoring route against the real usage client (SPEC §5):
//! usage for every metric the catalog can ask for, never above the fake's limit, with full,
//! partly used and missing regions, over several pages; Google's JSON shape on the wire; the
//! 400/401/403 answers; jobs created on the demo adding to the usage of their region.

use std::time::Duration;

use quota_tui::catalog::{Capacity, GpuType, Limit};
use quota_tui::fake_gcp::{
    DEMO_PROJECT, FakeGcp, FakeGcpConfig, GLOBAL_LOCATION, SERIES_PER_PAGE, fake_regions,
    known_metrics, quota_limit, seeded_usage,
};
use quota_tui::gcp::ErrorKind;
use quota_tui::gcp::auth::TokenSource;
use quota_tui::gcp::monitoring::{MonitoringClient, USAGE_METRIC_TYPE};
use quota_tui::gcp::serviceusage::RetryPolicy;
use quota_tui::gcp::vertex::VertexClient;
use quota_tui::launch::LaunchPlan;
use serde_json::Value;

fn monitoring(fake: &FakeGcp) -> MonitoringClient {
    MonitoringClient::new(DEMO_PROJECT, fake.base_url(), TokenSource::demo())
        .unwrap()
        .with_policy(RetryPolicy {
            deadline: Duration::from_secs(10),
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            factor: 2.0,
        })
}

fn regions() -> Vec<String> {
    fake_regions().into_iter().map(String::from).collect()
}

#[tokio::test]
async fn every_metric_reads_back_the_fakes_usage_within_its_limits() {
    let cfg = FakeGcpConfig::quiet();
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    let client = monitoring(&fake);
    let (mut full, mut partly, mut idle, mut missing) = (0, 0, 0, 0);
    let mut paginated = 0;
    let metrics = known_metrics();
    assert_eq!(metrics.len(), 11, "5 GPU types × spot/on-demand, and C3");
    for metric in &metrics {
        let usage = client.fetch_usage(metric).await.unwrap();
        let mut series = 0;
        for region in regions() {
            let limit = quota_limit(cfg.seed, metric, &region).unwrap();
            let used = usage.in_region(&region);
            assert_eq!(used, seeded_usage(cfg.seed, metric, &region).unwrap_or(0));
            assert!(
                limit.at_least(used),
                "{metric} {region}: {used} of {limit:?}"
            );
            match (usage.by_location.get(&region), limit) {
                (None, _) => missing += 1,
                (Some(0), _) => idle += 1,
                (Some(u), Limit::Finite(l)) if *u == l => full += 1,
                (Some(_), _) => partly += 1,
            }
            series += usage.by_location.contains_key(&region) as usize;
        }
        let is_gpu = !metric.starts_with("cloudbuild.");
        assert_eq!(
            usage.by_location.contains_key(GLOBAL_LOCATION),
            is_gpu && series > 0
        );
        series += usage.by_location.contains_key(GLOBAL_LOCATION) as usize;
        assert_eq!(
            usage.pages as usize,
            series.div_ceil(SERIES_PER_PAGE).max(1),
            "{metric}: {series} series"
        );
        paginated += (usage.pages >= 2) as usize;
    }
    assert!(
        paginated >= 3,
        "pagination exercised: {paginated} metrics took pages"
    );
    assert!(
        full > 0 && partly > 0 && idle > 0 && missing > 0,
        "full {full}, partly {partly}, at zero {idle}, without a series {missing}"
    );
    let asked: Vec<_> = fake.stats().usage_requests;
    assert!(asked.iter().all(|r| r.bearer && r.project == DEMO_PROJECT));
    assert!(
        asked.iter().any(|r| r.page_token),
        "next pages were asked for"
    );
    assert_eq!(
        asked.iter().filter(|r| !r.page_token).count(),
        metrics.len(),
        "one first page per metric"
    );
    fake.shutdown().await.unwrap();
}

/// A job the demo's Vertex AI accepts holds its GPUs: Monitoring shows them in use in its
/// region (and in the project-wide series).
#[tokio::test]
async fn a_job_created_on_the_demo_adds_to_the_usage_of_its_region() {
    let cfg = FakeGcpConfig::quiet();
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    let client = monitoring(&fake);
    let metric = GpuType::T4.metric(Capacity::Spot);
    let before = client.fetch_usage(metric).await.unwrap();
    let region = regions()
        .into_iter()
        .find(|r| {
            quota_limit(cfg.seed, metric, r)
                .unwrap()
                .at_least(before.in_region(r) + 4)
        })
        .expect("a region with 4 T4s free");
    let vertex = VertexClient::new(Some(fake.base_url()), TokenSource::demo()).unwrap();
    let plan = LaunchPlan::new(GpuType::T4, 4, Capacity::Spot, &region, "img", "u").unwrap();
    vertex
        .create_custom_job(DEMO_PROJECT, &region, &plan.custom_job_body())
        .await
        .expect("created");
    let after = client.fetch_usage(metric).await.unwrap();
    assert_eq!(after.in_region(&region), before.in_region(&region) + 4);
    assert_eq!(
        after.in_region(GLOBAL_LOCATION),
        before.in_region(GLOBAL_LOCATION) + 4
    );
    for other in regions().iter().filter(|r| **r != region) {
        assert_eq!(after.in_region(other), before.in_region(other), "{other}");
    }
    // Other metrics are untouched.
    let on_demand = GpuType::T4.metric(Capacity::OnDemand);
    assert_eq!(
        client
            .fetch_usage(on_demand)
            .await
            .unwrap()
            .in_region(&region),
        seeded_usage(cfg.seed, on_demand, &region).unwrap_or(0)
    );
    fake.shutdown().await.unwrap();
}

async fn raw(fake: &FakeGcp, query: &[(&str, &str)], bearer: bool) -> (u16, Value) {
    let url = format!("{}/v3/projects/{DEMO_PROJECT}/timeSeries", fake.base_url());
    // The crate's client: it installs the rustls provider reqwest is built to need.
    let mut req = quota_tui::gcp::http::http_client().get(url).query(query);
    if bearer {
        req = req.bearer_auth("demo");
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn filter_of(metric: &str) -> String {
    format!(
        "metric.type=\"{USAGE_METRIC_TYPE}\" AND resource.type=\"consumer_quota\" AND \
         metric.labels.quota_metric=\"{metric}\""
    )
}

/// What `curl` sees: Google's `ListTimeSeriesResponse`, raw samples newest first, zeros left
/// out, a next page token.
#[tokio::test]
async fn the_wire_shape_is_googles() {
    let cfg = FakeGcpConfig::quiet();
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    let metric = GpuType::T4.metric(Capacity::Spot);
    let end = chrono::Utc::now();
    let start = end - chrono::TimeDelta::minutes(10);
    let (s, e) = (start.to_rfc3339(), end.to_rfc3339());
    let filter = filter_of(metric);
    let q = [
        ("filter", filter.as_str()),
        ("interval.startTime", &s),
        ("interval.endTime", &e),
    ];
    let (status, body) = raw(&fake, &q, true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["unit"], "1");
    assert!(
        body["nextPageToken"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    let series = body["timeSeries"].as_array().unwrap();
    assert_eq!(series.len(), SERIES_PER_PAGE);
    for ts in series {
        assert_eq!(ts["metric"]["type"], USAGE_METRIC_TYPE);
        assert_eq!(ts["metric"]["labels"]["quota_metric"], metric);
        assert!(ts["metric"]["labels"]["limit_name"].is_string());
        assert_eq!(ts["resource"]["type"], "consumer_quota");
        assert_eq!(ts["resource"]["labels"]["project_id"], DEMO_PROJECT);
        assert_eq!(
            ts["resource"]["labels"]["service"],
            "aiplatform.googleapis.com"
        );
        assert_eq!(
            (ts["metricKind"].as_str(), ts["valueType"].as_str()),
            (Some("GAUGE"), Some("INT64"))
        );
        let location = ts["resource"]["labels"]["location"].as_str().unwrap();
        let points = ts["points"].as_array().unwrap();
        assert_eq!(
            points.len(),
            3,
            "one a minute over the last 10 minutes, 3 kept"
        );
        let ends: Vec<&str> = points
            .iter()
            .map(|p| p["interval"]["endTime"].as_str().unwrap())
            .collect();
        assert!(
            ends.windows(2).all(|w| w[0] > w[1]),
            "newest first: {ends:?}"
        );
        let now = seeded_usage(cfg.seed, metric, location).unwrap_or(0);
        match &points[0]["value"] {
            v if now == 0 => assert_eq!(*v, serde_json::json!({}), "zero omitted"),
            v => assert_eq!(v["int64Value"], now.to_string(), "int64 as a string"),
        }
    }
    fake.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_requests_get_googles_errors() {
    let fake = FakeGcp::start(FakeGcpConfig::quiet(), 0).await.unwrap();
    let end = chrono::Utc::now().to_rfc3339();
    let good = filter_of(GpuType::T4.metric(Capacity::Spot));
    let (status, body) = raw(
        &fake,
        &[("filter", &good), ("interval.endTime", &end)],
        false,
    )
    .await;
    assert_eq!(
        (status, body["error"]["status"].as_str()),
        (401, Some("UNAUTHENTICATED"))
    );
    for q in [
        vec![
            ("filter", "metric.type=\"x\" OR metric.type=\"y\""),
            ("interval.endTime", end.as_str()),
        ],
        vec![("filter", good.as_str())],
        vec![("filter", good.as_str()), ("interval.endTime", "yesterday")],
        vec![
            ("filter", good.as_str()),
            ("interval.endTime", &end),
            ("pageToken", "0-4"),
        ],
        vec![
            ("filter", good.as_str()),
            ("interval.endTime", &end),
            ("aggregation.perSeriesAligner", "ALIGN_NEXT_OLDER"),
            ("aggregation.alignmentPeriod", "30s"),
        ],
    ] {
        let (status, body) = raw(&fake, &q, true).await;
        assert_eq!(status, 400, "{q:?}: {body}");
        assert_eq!(body["error"]["status"], "INVALID_ARGUMENT", "{q:?}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    // An unknown quota metric or another metric type matches nothing: `{}`.
    let other = filter_of("aiplatform.googleapis.com/nothing_here");
    let (status, body) = raw(
        &fake,
        &[("filter", &other), ("interval.endTime", &end)],
        true,
    )
    .await;
    assert_eq!((status, body), (200, serde_json::json!({})));
    fake.shutdown().await.unwrap();
}

#[tokio::test]
async fn without_monitoring_viewer_the_client_says_which_role() {
    let cfg = FakeGcpConfig {
        monitoring_denied: true,
        ..FakeGcpConfig::quiet()
    };
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    let e = monitoring(&fake)
        .usage(GpuType::L4.metric(Capacity::Spot), &regions())
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.http_status),
        (ErrorKind::Permission, Some(403)),
        "{e}"
    );
    assert!(e.message.contains("roles/monitoring.viewer"), "{e}");
    fake.shutdown().await.unwrap();
}

#[tokio::test]
async fn without_the_cloud_monitoring_api_the_client_names_it_with_its_activation_url() {
    let cfg = FakeGcpConfig {
        monitoring_disabled: true,
        ..FakeGcpConfig::quiet()
    };
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    let e = monitoring(&fake)
        .usage(GpuType::L4.metric(Capacity::Spot), &regions())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ServiceDisabled, "{e}");
    let line = e
        .service_disabled_line("monitoring.googleapis.com")
        .unwrap();
    assert!(
        line.starts_with("Cloud Monitoring API (monitoring.googleapis.com) is not enabled")
            && line.contains(
                ": enable it at https://console.developers.google.com/apis/api/monitoring.googleapis.com/"
            ),
        "{line}"
    );
    fake.shutdown().await.unwrap();
}

/// The demo's injected 503s and 429s are retried like real ones and the usage still comes.
#[tokio::test]
async fn injected_faults_are_retried() {
    let cfg = FakeGcpConfig {
        error_rate: 0.3,
        ..FakeGcpConfig::quiet()
    };
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    let client = monitoring(&fake);
    let mut retried = 0;
    // Three metrics keep it short: a 503 asks for a 1 s wait (Retry-After).
    for metric in known_metrics().into_iter().take(3) {
        let usage = client.fetch_usage(&metric).await.unwrap();
        retried += usage.attempts - usage.pages;
        for region in regions() {
            assert_eq!(
                usage.in_region(&region),
                seeded_usage(cfg.seed, &metric, &region).unwrap_or(0)
            );
        }
    }
    assert!(retried > 0, "some pages were retried");
    fake.shutdown().await.unwrap();
}
