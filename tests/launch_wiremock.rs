//! `launch` against wiremock answering Service Usage (SPEC §4 bodies) and Vertex AI
//! `customJobs.create` / `customJobs.get`: the region chosen, the exact request body and
//! path, dry runs that send nothing, exit 5 with reasons, and failures at submission.

use std::sync::Arc;
use std::time::Duration;

use quota_tui::catalog::{Capacity, Catalog, GpuType};
use quota_tui::commands::launch::{LaunchOptions, run};
use quota_tui::exit;
use quota_tui::gcp::QuotaSource;
use quota_tui::gcp::auth::TokenSource;
use quota_tui::gcp::serviceusage::{RetryPolicy, ServiceUsageClient};
use quota_tui::gcp::vertex::VertexClient;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PROJECT: &str = "my-project";
const L4_SPOT: &str = "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_l4_gpus";
const IMAGE: &str = "us-docker.pkg.dev/my-project/trainers/l4:1";
const JOB: &str = "projects/123456/locations/us-west1/customJobs/789";

fn metric_path(metric: &str) -> String {
    format!(
        "/v1beta1/projects/{PROJECT}/services/aiplatform.googleapis.com/consumerQuotaMetrics/{}",
        metric.replace('/', "%2F")
    )
}

/// A ConsumerQuotaMetric (SPEC §4) with a default bucket of 4 and one bucket per region.
fn metric_body(metric: &str, per_region: &[(&str, i64)]) -> Value {
    let mut buckets = vec![json!({"effectiveLimit": "4", "defaultLimit": "4"})];
    buckets.extend(per_region.iter().map(|(r, v)| {
        let mut b = json!({"defaultLimit": "4", "dimensions": {"region": r}});
        if *v != 0 {
            // proto3 JSON, as Google sends it: a zero limit is left out.
            b["effectiveLimit"] = json!(v.to_string());
        }
        b
    }));
    json!({
        "name": format!("projects/{PROJECT}/services/aiplatform.googleapis.com/consumerQuotaMetrics/{}", metric.replace('/', "%2F")),
        "metric": metric,
        "displayName": "Custom model training preemptible Nvidia L4 GPUs per region",
        "unit": "1/{project}/{region}",
        "consumerQuotaLimits": [{
            "name": "limit", "metric": metric, "unit": "1/{project}/{region}", "isPrecise": true,
            "quotaBuckets": buckets
        }]
    })
}

/// The acceptance numbers of issue 5: L4 spot 1, 0, 12, 3; expects `launches` fresh
/// checks of four regions each (a launch never reads a cache).
async fn server_with_l4_quota(launches: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(metric_path(L4_SPOT)))
        .respond_with(ResponseTemplate::new(200).set_body_json(metric_body(
            L4_SPOT,
            &[
                ("us-central1", 1),
                ("us-east1", 0),
                ("us-west1", 12),
                ("europe-west4", 3),
            ],
        )))
        .named("Service Usage L4 spot")
        .expect(4 * launches)
        .mount(&server)
        .await;
    server
}

fn created_job(region: &str, display_name: &str, state: &str) -> Value {
    json!({
        "name": format!("projects/123456/locations/{region}/customJobs/789"),
        "displayName": display_name,
        "state": state,
        "createTime": "2026-11-21T02:47:03.123456Z",
        "jobSpec": {"workerPoolSpecs": []},
        "labels": {}
    })
}

fn opts(count: u32) -> LaunchOptions {
    LaunchOptions {
        gpu: GpuType::L4,
        count,
        capacity: Capacity::Spot,
        image: IMAGE.to_string(),
        name: Some("train-l4".to_string()),
        region: None,
        dry_run: false,
        json: false,
    }
}

/// Short deadlines so a retried 429 ends in about a second of real time.
fn quick_policy() -> RetryPolicy {
    RetryPolicy {
        deadline: Duration::from_millis(1500),
        min_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
        factor: 2.0,
    }
}

async fn launch(server: &MockServer, o: &LaunchOptions) -> Result<String, exit::Failure> {
    let source: Arc<dyn QuotaSource> = Arc::new(
        ServiceUsageClient::new(PROJECT, &server.uri(), TokenSource::demo())
            .unwrap()
            .with_policy(quick_policy()),
    );
    let vertex = VertexClient::new(Some(&server.uri()), TokenSource::demo())
        .unwrap()
        .with_policy(quick_policy());
    run(o, &Catalog::default(), source, &vertex, PROJECT, None).await
}

fn exact_body(machine: &str, count: u32, strategy: &str) -> Value {
    json!({"displayName": "train-l4", "jobSpec": {"workerPoolSpecs": [{"machineSpec":
        {"machineType": machine, "acceleratorType": "NVIDIA_L4", "acceleratorCount": count},
        "replicaCount": 1, "containerSpec": {"imageUri": IMAGE}}],
        "scheduling": {"strategy": strategy}}})
}

#[tokio::test]
async fn four_l4_go_to_us_west1_with_the_exact_body() {
    let server = server_with_l4_quota(1).await;
    Mock::given(method("POST"))
        .and(path(
            "/v1/projects/my-project/locations/us-west1/customJobs",
        ))
        .and(header("authorization", "Bearer quota-tui-demo-token"))
        .and(body_json(exact_body("g2-standard-48", 4, "SPOT")))
        .respond_with(ResponseTemplate::new(200).set_body_json(created_job(
            "us-west1",
            "train-l4",
            "JOB_STATE_PENDING",
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/{JOB}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(created_job(
            "us-west1",
            "train-l4",
            "JOB_STATE_RUNNING",
        )))
        .expect(1)
        .mount(&server)
        .await;

    let out = launch(&server, &opts(4)).await.expect("launch succeeds");
    assert!(out.contains("Region:  us-west1"), "{out}");
    assert!(
        out.contains("Machine: g2-standard-48 (4 × NVIDIA_L4, SPOT)"),
        "{out}"
    );
    assert!(out.contains(&format!("Job:     {JOB}")), "{out}");
    assert!(
        out.contains("State:   JOB_STATE_RUNNING"),
        "read back with get: {out}"
    );
    assert!(
        out.contains("https://console.cloud.google.com/vertex-ai/locations/us-west1/training/789?project=my-project"),
        "{out}"
    );
    // Ranking: us-west1 fits; the rest in preference order with their reasons.
    let lines: Vec<&str> = out.lines().skip(1).take(4).collect();
    assert!(
        lines[0].contains("us-west1") && lines[0].ends_with("fits"),
        "{out}"
    );
    assert!(
        lines[1].contains("us-central1") && lines[1].ends_with("quota 1 < 4"),
        "{out}"
    );
    assert!(
        lines[2].contains("us-east1") && lines[2].ends_with("quota 0"),
        "{out}"
    );
    assert!(
        lines[3].contains("europe-west4") && lines[3].ends_with("quota 3 < 4"),
        "{out}"
    );
}

#[tokio::test]
async fn one_l4_goes_to_us_central1_and_json_has_ranking_choice_and_job() {
    let server = server_with_l4_quota(1).await;
    Mock::given(method("POST"))
        .and(path(
            "/v1/projects/my-project/locations/us-central1/customJobs",
        ))
        .and(body_json(exact_body("g2-standard-4", 1, "SPOT")))
        .respond_with(ResponseTemplate::new(200).set_body_json(created_job(
            "us-central1",
            "train-l4",
            "JOB_STATE_PENDING",
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/v1/projects/123456/locations/us-central1/customJobs/789",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(created_job(
            "us-central1",
            "train-l4",
            "JOB_STATE_PENDING",
        )))
        .expect(1)
        .mount(&server)
        .await;

    let o = LaunchOptions {
        json: true,
        ..opts(1)
    };
    let out = launch(&server, &o).await.expect("launch succeeds");
    let v: Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(v["region"], "us-central1");
    assert_eq!(v["machine_type"], "g2-standard-4");
    assert_eq!(v["dry_run"], false);
    assert_eq!(
        v["job"]["name"],
        "projects/123456/locations/us-central1/customJobs/789"
    );
    assert_eq!(v["job"]["state"], "JOB_STATE_PENDING");
    let regions: Vec<&str> = v["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["region"].as_str().unwrap())
        .collect();
    assert_eq!(
        regions,
        ["us-central1", "us-west1", "europe-west4", "us-east1"]
    );
    assert_eq!(v["ranking"][3]["reason"], "quota 0");
    assert_eq!(v["ranking"][1]["limit"], 12);
}

#[tokio::test]
async fn dry_run_prints_the_body_and_sends_no_post() {
    let server = server_with_l4_quota(2).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(created_job("us-west1", "x", "y")))
        .expect(0)
        .mount(&server)
        .await;
    let o = LaunchOptions {
        dry_run: true,
        ..opts(4)
    };
    let out = launch(&server, &o).await.expect("dry run succeeds");
    let url = format!(
        "{}/v1/projects/my-project/locations/us-west1/customJobs",
        server.uri()
    );
    assert!(out.contains(&format!("Would POST {url}")), "{out}");
    let body_text = &out[out.find("\n{").expect("a JSON body") + 1..];
    let body: Value = serde_json::from_str(body_text).expect("the body is JSON");
    assert_eq!(body, exact_body("g2-standard-48", 4, "SPOT"));

    let o = LaunchOptions {
        json: true,
        name: None,
        ..o
    };
    let v: Value = serde_json::from_str(&launch(&server, &o).await.unwrap()).unwrap();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["request"]["url"], url);
    let mut body = v["request"]["body"].clone();
    let name = body["displayName"].take();
    let name = name.as_str().unwrap();
    assert!(
        name.starts_with("quota-tui-l4-") && name.len() == "quota-tui-l4-20261121-024522".len(),
        "default name: {name}"
    );
    assert_eq!(v["display_name"], name);
    let mut want = exact_body("g2-standard-48", 4, "SPOT");
    want["displayName"] = Value::Null;
    assert_eq!(body, want);
    assert!(v.get("job").is_none());
}

#[tokio::test]
async fn on_demand_reads_the_on_demand_metric_and_asks_for_standard() {
    let server = MockServer::start().await;
    let metric = GpuType::L4.metric(Capacity::OnDemand);
    assert!(!metric.contains("preemptible"));
    Mock::given(method("GET"))
        .and(path(metric_path(&metric)))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(metric_body(&metric, &[("us-east1", 8)])),
        )
        .expect(4)
        .mount(&server)
        .await;
    let o = LaunchOptions {
        capacity: Capacity::OnDemand,
        dry_run: true,
        json: true,
        ..opts(8)
    };
    let v: Value = serde_json::from_str(&launch(&server, &o).await.unwrap()).unwrap();
    assert_eq!(v["region"], "us-east1", "default bucket 4 < 8 elsewhere");
    assert_eq!(v["capacity"], "on-demand");
    assert_eq!(
        v["request"]["body"],
        exact_body("g2-standard-96", 8, "STANDARD")
    );
}

#[tokio::test]
async fn denied_everywhere_exits_5_saying_permission_was_denied() {
    let server = MockServer::start().await;
    let h100 = GpuType::H100.metric(Capacity::Spot);
    Mock::given(method("GET"))
        .and(path(metric_path(&h100)))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {
            "code": 403,
            "message": "Permission 'serviceusage.quotas.get' denied on resource 'projects/my-project'.",
            "status": "PERMISSION_DENIED",
            "errors": [{"reason": "forbidden"}]}})))
        .expect(4)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let o = LaunchOptions {
        gpu: GpuType::H100,
        ..opts(1)
    };
    let f = launch(&server, &o).await.unwrap_err();
    assert_eq!(f.code, exit::NO_REGION, "{f}");
    assert!(
        f.message
            .starts_with("no region can take 1 × H100 (spot): permission denied in every region"),
        "{f}"
    );
    for r in ["us-central1", "us-east1", "us-west1", "europe-west4"] {
        assert!(f.message.contains(r), "{r} listed: {f}");
    }
    assert_eq!(
        f.message
            .matches("denied on resource 'projects/my-project'")
            .count(),
        4,
        "Google's message per region: {f}"
    );
}

#[tokio::test]
async fn a_wanted_region_without_quota_exits_5_naming_where_it_fits() {
    let server = server_with_l4_quota(1).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let o = LaunchOptions {
        region: Some("us-east1".into()),
        ..opts(1)
    };
    let f = launch(&server, &o).await.unwrap_err();
    assert_eq!(f.code, exit::NO_REGION);
    assert!(
        f.message.starts_with(
            "region us-east1 cannot take 1 × L4 (spot) (it fits in us-central1, us-west1, europe-west4)"
        ),
        "{f}"
    );
}

#[tokio::test]
async fn an_impossible_shape_exits_2_before_any_request() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let o = LaunchOptions {
        gpu: GpuType::H200,
        count: 3,
        ..opts(3)
    };
    let f = launch(&server, &o).await.unwrap_err();
    assert_eq!(f.code, exit::USAGE);
    assert!(f.message.contains("valid counts for H200 are [8]"), "{f}");
}

#[tokio::test]
async fn a_quota_exceeded_429_at_submission_is_final_and_sent_once() {
    let server = server_with_l4_quota(1).await;
    let google = "The following quota metrics exceed quota limits: \
                  aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_l4_gpus";
    Mock::given(method("POST"))
        .and(path(
            "/v1/projects/my-project/locations/us-west1/customJobs",
        ))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"error": {
            "code": 429, "message": google, "status": "RESOURCE_EXHAUSTED"}})))
        .named("create answering 429")
        .mount(&server)
        .await;
    let f = launch(&server, &opts(4)).await.unwrap_err();
    assert_eq!(f.code, exit::API, "{f}");
    // SPEC §4: "exceed quota limits" is quota_exceeded, final, never retried.
    assert!(
        f.message
            .contains("quota exceeded (429 RESOURCE_EXHAUSTED)"),
        "{f}"
    );
    assert!(f.message.contains(google), "Google's message kept: {f}");
    assert!(
        !f.message.contains("may have been created"),
        "a 429 made nothing: {f}"
    );
    let posts = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method == wiremock::http::Method::POST)
        .count();
    assert_eq!(posts, 1, "quota exceeded is not sent again");
}

#[tokio::test]
async fn a_500_at_submission_is_not_sent_again_and_says_the_job_may_exist() {
    let server = server_with_l4_quota(1).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error": {
            "code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}})))
        .expect(1)
        .mount(&server)
        .await;
    let f = launch(&server, &opts(4)).await.unwrap_err();
    assert_eq!(f.code, exit::API);
    assert!(f.message.contains("Internal error encountered."), "{f}");
    assert!(
        f.message.contains("the job may have been created: look at https://console.cloud.google.com/vertex-ai/training/custom-jobs?project=my-project"),
        "{f}"
    );
}

#[tokio::test]
async fn a_401_at_submission_gets_a_new_token_and_is_sent_once_more() {
    let server = server_with_l4_quota(1).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "code": 401, "message": "Request had invalid authentication credentials.",
            "status": "UNAUTHENTICATED"}})))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(created_job(
            "us-west1",
            "train-l4",
            "JOB_STATE_PENDING",
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/{JOB}")))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let out = launch(&server, &opts(4))
        .await
        .expect("created after a new token");
    assert!(out.contains(&format!("Job:     {JOB}")), "{out}");
    assert!(
        out.contains("State:   JOB_STATE_PENDING"),
        "the create's answer: {out}"
    );
    assert!(
        out.contains("(reading the job back failed: unavailable"),
        "{out}"
    );
}
