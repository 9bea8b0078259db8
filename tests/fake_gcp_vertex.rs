//! The real Vertex AI client against the embedded fake GCP over loopback (SPEC §5): a
//! CustomJob created then read back (QUEUED → PENDING → RUNNING), a body the fake refuses
//! with Google's 400 `INVALID_ARGUMENT`, a launch beyond the region's quota (Vertex AI's
//! 429, `quota_exceeded`), jobs holding their GPUs, an unknown job (404), a missing token
//! (401), and injected faults that never make a job twice.

use std::time::Duration;

use quota_tui::catalog::{Capacity, GpuType, Limit};
use quota_tui::fake_gcp::{
    DEMO_PROJECT, FakeGcp, FakeGcpConfig, fake_regions, quota_limit, seeded_usage,
};
use quota_tui::gcp::ErrorKind;
use quota_tui::gcp::auth::TokenSource;
use quota_tui::gcp::serviceusage::RetryPolicy;
use quota_tui::gcp::vertex::VertexClient;
use quota_tui::launch::LaunchPlan;
use serde_json::json;

fn client(fake: &FakeGcp, deadline: Duration) -> VertexClient {
    VertexClient::new(Some(fake.base_url()), TokenSource::demo())
        .unwrap()
        .with_policy(RetryPolicy {
            deadline,
            min_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
}

/// A region whose seeded `gpu` quota for `capacity` is at least `count` (or below it when
/// `fits` is false).
fn region_where(seed: u64, gpu: GpuType, capacity: Capacity, count: u32, fits: bool) -> String {
    fake_regions()
        .into_iter()
        .find(|r| {
            let limit = quota_limit(seed, gpu.metric(capacity), r).unwrap();
            limit.at_least(i64::from(count)) == fits
        })
        .unwrap_or_else(|| panic!("no region where {count} × {gpu} fits={fits}"))
        .to_string()
}

#[tokio::test]
async fn create_then_get_walks_the_job_states() {
    let cfg = FakeGcpConfig::quiet();
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    let vertex = client(&fake, Duration::from_secs(5));
    let region = region_where(cfg.seed, GpuType::T4, Capacity::Spot, 1, true);
    let plan = LaunchPlan::new(
        GpuType::T4,
        1,
        Capacity::Spot,
        &region,
        "gcr.io/x/y:1",
        "train-1",
    )
    .unwrap();
    let body = plan.custom_job_body();

    let created = vertex
        .create_custom_job(DEMO_PROJECT, &region, &body)
        .await
        .unwrap();
    let prefix = format!("projects/{DEMO_PROJECT}/locations/{region}/customJobs/");
    let id = created.name.strip_prefix(&prefix).expect(&created.name);
    assert!(
        id.len() == 19 && id.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );
    assert_eq!(created.display_name, "train-1");
    assert_eq!(created.state, "JOB_STATE_QUEUED");
    let t = created.create_time.as_deref().unwrap();
    chrono::DateTime::parse_from_rfc3339(t).expect("RFC 3339 createTime");
    assert_eq!(created.region(), Some(region.as_str()));

    // Read back at once: still queued (PENDING from 2 s, RUNNING from 5 s; the unit tests of
    // the fake's clock walk the states).
    let read = vertex.get_custom_job(&created.name).await.unwrap();
    assert_eq!(read.name, created.name);
    assert_eq!(read.state, "JOB_STATE_QUEUED");
    assert_eq!(read.create_time, created.create_time);
    assert!(read.start_time.is_none());

    // The job spec is echoed as sent.
    let raw: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v1/{}", fake.base_url(), created.name))
        .bearer_auth("demo")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw["jobSpec"], body["jobSpec"]);

    let second = vertex
        .create_custom_job(DEMO_PROJECT, &region, &body)
        .await
        .unwrap();
    assert_ne!(second.name, created.name, "every create makes a new job");
    assert_eq!(fake.stats().custom_jobs, [created.name, second.name]);
    fake.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_bad_body_is_a_google_400_naming_the_fields() {
    let fake = FakeGcp::start(FakeGcpConfig::quiet(), 0).await.unwrap();
    let vertex = client(&fake, Duration::from_secs(5));
    let body = json!({"displayName": "x", "jobSpec": {"workerPoolSpecs": [{"machineSpec":
        {"machineType": "n1-standard-4", "acceleratorType": "NVIDIA_TESLA_T4", "acceleratorCount": 1},
        "containerSpec": {"imageUri": ""}}]}});
    let e = vertex
        .create_custom_job(DEMO_PROJECT, "us-central1", &body)
        .await
        .unwrap_err();
    assert_eq!(e.http_status, Some(400));
    assert_eq!(e.google_status.as_deref(), Some("INVALID_ARGUMENT"));
    assert!(
        e.message.starts_with("List of found errors:")
            && e.message
                .contains("job_spec.worker_pool_specs[0].container_spec.image_uri")
            && e.message.contains("job_spec.scheduling.strategy"),
        "{}",
        e.message
    );
    assert_eq!(e.attempts, 1, "a 400 is not retried");

    let raw = reqwest::Client::new()
        .post(format!(
            "{}/v1/projects/{DEMO_PROJECT}/locations/us-central1/customJobs",
            fake.base_url()
        ))
        .bearer_auth("demo")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let v: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(v["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(
        v["error"]["details"][0]["@type"],
        "type.googleapis.com/google.rpc.BadRequest"
    );
    assert!(fake.stats().custom_jobs.is_empty(), "nothing created");
    fake.shutdown().await.unwrap();
}

#[tokio::test]
async fn beyond_the_regions_quota_is_vertex_ais_429() {
    let cfg = FakeGcpConfig::quiet();
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    let vertex = client(&fake, Duration::from_millis(500));
    let region = region_where(cfg.seed, GpuType::H100, Capacity::Spot, 8, false);
    let limit = quota_limit(cfg.seed, GpuType::H100.metric(Capacity::Spot), &region).unwrap();
    assert!(!limit.at_least(8), "{limit:?}");
    let plan = LaunchPlan::new(GpuType::H100, 8, Capacity::Spot, &region, "img", "big").unwrap();
    let e = vertex
        .create_custom_job(DEMO_PROJECT, &region, &plan.custom_job_body())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::QuotaExceeded, "{e}");
    assert_eq!(e.http_status, Some(429));
    assert_eq!(e.google_status.as_deref(), Some("RESOURCE_EXHAUSTED"));
    assert_eq!(e.attempts, 1, "final: never retried");
    assert_eq!(
        e.message,
        "The following quota metrics exceed quota limits: \
         aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_h100_gpus"
    );
    assert!(fake.stats().custom_jobs.is_empty());

    // Google's shape, as users quote it: code, message, status, and nothing else.
    let raw = reqwest::Client::new()
        .post(format!(
            "{}/v1/projects/{DEMO_PROJECT}/locations/{region}/customJobs",
            fake.base_url()
        ))
        .bearer_auth("demo")
        .json(&plan.custom_job_body())
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 429);
    assert!(raw.headers().get("retry-after").is_none());
    let v: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(
        v,
        json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
            "message": "The following quota metrics exceed quota limits: \
                aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_h100_gpus"}})
    );
    fake.shutdown().await.unwrap();
}

/// The fake's jobs hold their GPUs, as Vertex AI counts them: a region with room for one
/// 8-GPU job refuses the second. (Room is the limit less what Monitoring shows in use.)
#[tokio::test]
async fn jobs_hold_their_gpus_until_the_quota_is_in_use() {
    let cfg = FakeGcpConfig::quiet();
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    let vertex = client(&fake, Duration::from_secs(5));
    let metric = GpuType::H100.metric(Capacity::Spot);
    let region = fake_regions()
        .into_iter()
        .find(|r| {
            quota_limit(cfg.seed, metric, r) == Some(Limit::Finite(8))
                && seeded_usage(cfg.seed, metric, r).unwrap_or(0) == 0
        })
        .expect("a region with H100 quota 8, none in use");
    let plan = LaunchPlan::new(GpuType::H100, 8, Capacity::Spot, region, "img", "one").unwrap();
    vertex
        .create_custom_job(DEMO_PROJECT, region, &plan.custom_job_body())
        .await
        .expect("8 of 8 fit");
    let e = vertex
        .create_custom_job(DEMO_PROJECT, region, &plan.custom_job_body())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::QuotaExceeded, "{e}");
    assert_eq!(fake.stats().custom_jobs.len(), 1);
    // Other capacities and regions are counted apart.
    let t4 = LaunchPlan::new(GpuType::T4, 1, Capacity::Spot, region, "img", "t4").unwrap();
    let t4_metric = GpuType::T4.metric(Capacity::Spot);
    let t4_in_use = seeded_usage(cfg.seed, t4_metric, region).unwrap_or(0);
    if quota_limit(cfg.seed, t4_metric, region)
        .unwrap()
        .at_least(t4_in_use + 1)
    {
        vertex
            .create_custom_job(DEMO_PROJECT, region, &t4.custom_job_body())
            .await
            .expect("T4 is another metric");
    }
    fake.shutdown().await.unwrap();
}

/// On demand, a3-highgpu-1g/2g/4g are refused as Vertex AI refuses a bad spec (400).
#[tokio::test]
async fn on_demand_small_a3_high_is_a_400() {
    let fake = FakeGcp::start(FakeGcpConfig::quiet(), 0).await.unwrap();
    let vertex = client(&fake, Duration::from_secs(5));
    let spot = LaunchPlan::new(GpuType::H100, 2, Capacity::Spot, "us-central1", "i", "n").unwrap();
    let mut body = spot.custom_job_body();
    body["jobSpec"]["scheduling"]["strategy"] = json!("STANDARD");
    let e = vertex
        .create_custom_job(DEMO_PROJECT, "us-central1", &body)
        .await
        .unwrap_err();
    assert_eq!(e.http_status, Some(400), "{e}");
    assert!(
        e.message
            .contains("\"a3-highgpu-2g\" is only available with SPOT or FLEX_START"),
        "{e}"
    );
    assert!(fake.stats().custom_jobs.is_empty());
    fake.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_jobs_and_missing_tokens() {
    let fake = FakeGcp::start(FakeGcpConfig::quiet(), 0).await.unwrap();
    let vertex = client(&fake, Duration::from_secs(5));
    let name = format!("projects/{DEMO_PROJECT}/locations/us-west1/customJobs/42");
    let e = vertex.get_custom_job(&name).await.unwrap_err();
    assert_eq!((e.kind, e.http_status), (ErrorKind::NotFound, Some(404)));
    assert!(e.message.contains(&name), "{}", e.message);

    let raw = reqwest::Client::new()
        .post(format!(
            "{}/v1/projects/{DEMO_PROJECT}/locations/us-west1/customJobs",
            fake.base_url()
        ))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 401);
    fake.shutdown().await.unwrap();
}

#[tokio::test]
async fn injected_faults_are_retried_and_never_make_two_jobs() {
    // Every answer a 503 or 429: nothing is ever created, and the client gives up in time.
    let cfg = FakeGcpConfig {
        error_rate: 1.0,
        ..FakeGcpConfig::quiet()
    };
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    let vertex = client(&fake, Duration::from_millis(1500));
    let region = region_where(cfg.seed, GpuType::T4, Capacity::Spot, 1, true);
    let plan = LaunchPlan::new(GpuType::T4, 1, Capacity::Spot, &region, "img", "n").unwrap();
    let e = vertex
        .create_custom_job(DEMO_PROJECT, &region, &plan.custom_job_body())
        .await
        .unwrap_err();
    assert!(e.kind.is_retryable(), "{e}");
    assert!(fake.stats().custom_jobs.is_empty());
    fake.shutdown().await.unwrap();

    // A cut-off answer to a create: the job exists, the client says it may, and does not
    // send the create again.
    let cfg = FakeGcpConfig {
        malformed_rate: 1.0,
        ..FakeGcpConfig::quiet()
    };
    let fake = FakeGcp::start(cfg, 0).await.unwrap();
    let vertex = client(&fake, Duration::from_secs(5));
    let e = vertex
        .create_custom_job(DEMO_PROJECT, &region, &plan.custom_job_body())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Parse);
    assert!(e.message.contains("may have been created"), "{}", e.message);
    assert_eq!(
        fake.stats().custom_jobs.len(),
        1,
        "created once, not replayed"
    );
    fake.shutdown().await.unwrap();
}
