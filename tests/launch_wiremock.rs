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
/// checks, each one request answering the four regions (a launch never reads a cache).
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
        .expect(launches)
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
        wait: false,
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
    run(
        o,
        &Catalog::default(),
        source,
        &vertex,
        PROJECT,
        None,
        &mut |_| {},
        false,
    )
    .await
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
    // Ranking: us-west1 fits; the rest in preference order with their reasons. (This
    // source reads limits only: the usage is unknown, and the limits decide.)
    let lines: Vec<&str> = out.lines().skip(1).take(4).collect();
    assert!(
        lines[0].contains("us-west1") && lines[0].ends_with("?/12  quota 12, usage unknown"),
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
        .and(path(metric_path(metric)))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(metric_body(metric, &[("us-east1", 8)])),
        )
        .expect(1)
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
async fn denied_everywhere_exits_4_saying_permission_was_denied() {
    let server = MockServer::start().await;
    let h100 = GpuType::H100.metric(Capacity::Spot);
    Mock::given(method("GET"))
        .and(path(metric_path(h100)))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {
            "code": 403,
            "message": "Permission 'serviceusage.quotas.get' denied on resource 'projects/my-project'.",
            "status": "PERMISSION_DENIED",
            "errors": [{"reason": "forbidden"}]}})))
        .expect(1)
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
    assert_eq!(
        f.code,
        exit::API,
        "no region could be asked: not exit 5: {f}"
    );
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
        3,
        "Google's message per region that trains H100: {f}"
    );
    assert!(
        f.message.contains("H100 not offered in us-east1"),
        "us-east1's reason is that it does not train H100: {f}"
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
async fn a_429_rate_limit_at_submission_is_retried_then_reported_as_rate_limited() {
    let server = server_with_l4_quota(1).await;
    let google = "Quota exceeded for quota metric 'Job or LRO submission requests' and limit \
                  'Job or LRO submission requests per minute per region' of service \
                  'aiplatform.googleapis.com' for consumer 'project_number:123456'.";
    Mock::given(method("POST"))
        .and(path(
            "/v1/projects/my-project/locations/us-west1/customJobs",
        ))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"error": {
            "code": 429, "message": google, "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                         "reason": "RATE_LIMIT_EXCEEDED", "domain": "googleapis.com"}]}})))
        .named("create answering 429")
        .mount(&server)
        .await;
    let f = launch(&server, &opts(4)).await.unwrap_err();
    assert_eq!(f.code, exit::API, "{f}");
    assert!(f.message.contains("rate limited after"), "{f}");
    assert!(f.message.contains("(429 RESOURCE_EXHAUSTED)"), "{f}");
    assert!(f.message.contains(google), "Google's message kept: {f}");
    assert!(
        !f.message.contains("may have been created"),
        "a 429 made nothing: {f}"
    );
    let posts = posts(&server, None).await;
    assert!(
        posts >= 2,
        "a 429 made no job, so it is sent again: {posts}"
    );
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

/// POSTs the server received, to `region`'s customJobs or (None) to any.
async fn posts(server: &MockServer, region: Option<&str>) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method == wiremock::http::Method::POST)
        .filter(|r| {
            region.is_none_or(|reg| {
                r.url.path() == format!("/v1/projects/{PROJECT}/locations/{reg}/customJobs")
            })
        })
        .count()
}

/// Vertex AI's answer to a create beyond the region's GPU quota (the shape users quote from
/// `gcloud ai custom-jobs create`; see `fake_gcp::vertex::quota_exceeded`).
fn vertex_quota_exceeded() -> ResponseTemplate {
    ResponseTemplate::new(429).set_body_json(json!({"error": {
        "code": 429,
        "message": format!("The following quota metrics exceed quota limits: {L4_SPOT}"),
        "status": "RESOURCE_EXHAUSTED"}}))
}

async fn create_answers(server: &MockServer, region: &str, answer: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(format!(
            "/v1/projects/{PROJECT}/locations/{region}/customJobs"
        )))
        .respond_with(answer)
        .mount(server)
        .await;
}

async fn get_answers(server: &MockServer, region: &str) {
    Mock::given(method("GET"))
        .and(path(format!(
            "/v1/projects/123456/locations/{region}/customJobs/789"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(created_job(
            region,
            "train-l4",
            "JOB_STATE_PENDING",
        )))
        .mount(server)
        .await;
}

/// Issue 10's acceptance: the first-ranked region (us-central1 for 1 × L4) answers quota
/// exceeded: exactly one POST to it, then exactly one job, in the next ranked region
/// (us-west1); both regions' outcomes are reported.
#[tokio::test]
async fn quota_in_use_in_the_first_region_creates_one_job_in_the_next() {
    let server = server_with_l4_quota(1).await;
    create_answers(&server, "us-central1", vertex_quota_exceeded()).await;
    create_answers(
        &server,
        "us-west1",
        ResponseTemplate::new(200).set_body_json(created_job(
            "us-west1",
            "train-l4",
            "JOB_STATE_QUEUED",
        )),
    )
    .await;
    create_answers(&server, "europe-west4", ResponseTemplate::new(500)).await;
    get_answers(&server, "us-west1").await;

    let out = launch(&server, &opts(1))
        .await
        .expect("created in the next region");
    assert_eq!(posts(&server, Some("us-central1")).await, 1, "never resent");
    assert_eq!(posts(&server, Some("us-west1")).await, 1, "exactly one job");
    assert_eq!(posts(&server, None).await, 2, "nothing else asked");
    assert!(
        out.contains(
            "Create:  quota in use in us-central1 (429 RESOURCE_EXHAUSTED): The following quota \
             metrics exceed quota limits: aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_l4_gpus"
        ),
        "{out}"
    );
    assert!(out.contains("Region:  us-west1"), "{out}");
    assert!(out.contains(&format!("Job:     {JOB}")), "{out}");

    // The same in JSON: the refusal, and the region the job was made in.
    let server = server_with_l4_quota(1).await;
    create_answers(&server, "us-central1", vertex_quota_exceeded()).await;
    create_answers(
        &server,
        "us-west1",
        ResponseTemplate::new(200).set_body_json(created_job("us-west1", "train-l4", "Q")),
    )
    .await;
    get_answers(&server, "us-west1").await;
    let o = LaunchOptions {
        json: true,
        ..opts(1)
    };
    let v: Value = serde_json::from_str(&launch(&server, &o).await.unwrap()).unwrap();
    assert_eq!(v["region"], "us-west1");
    assert_eq!(v["machine_type"], "g2-standard-4");
    assert_eq!(v["refusals"][0]["region"], "us-central1");
    assert_eq!(v["refusals"][0]["error_kind"], "quota_exceeded");
    assert_eq!(v["refusals"].as_array().unwrap().len(), 1);
    assert_eq!(v["job"]["name"], JOB);
}

/// Four regions fit; the first three refuse for quota: the fourth is never asked, nothing is
/// created, and the exit is 5 (regions answered, none could take it) with each reason.
#[tokio::test]
async fn quota_in_use_in_three_regions_stops_after_three() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(metric_path(L4_SPOT)))
        .respond_with(ResponseTemplate::new(200).set_body_json(metric_body(
            L4_SPOT,
            &[
                ("us-central1", 8),
                ("us-east1", 8),
                ("us-west1", 8),
                ("europe-west4", 8),
            ],
        )))
        .mount(&server)
        .await;
    for region in ["us-central1", "us-east1", "us-west1"] {
        create_answers(&server, region, vertex_quota_exceeded()).await;
    }
    create_answers(
        &server,
        "europe-west4",
        ResponseTemplate::new(200).set_body_json(created_job("europe-west4", "x", "Q")),
    )
    .await;
    let f = launch(&server, &opts(1)).await.unwrap_err();
    assert_eq!(f.code, exit::NO_REGION, "{f}");
    for region in ["us-central1", "us-east1", "us-west1"] {
        assert_eq!(posts(&server, Some(region)).await, 1, "{region}");
        assert!(
            f.message
                .contains(&format!("Create:  quota in use in {region} (429")),
            "{region}: {f}"
        );
    }
    assert_eq!(
        posts(&server, Some("europe-west4")).await,
        0,
        "3 regions at most"
    );
    assert!(
        f.message.starts_with(
            "no job created for 1 × L4 (spot): quota in use in us-central1, us-east1, us-west1"
        ),
        "{f}"
    );
}

/// `--region` names the one region to use: a quota refusal there does not move the job.
#[tokio::test]
async fn a_named_region_is_the_only_one_asked() {
    let server = server_with_l4_quota(1).await;
    create_answers(&server, "us-west1", vertex_quota_exceeded()).await;
    create_answers(&server, "us-central1", ResponseTemplate::new(500)).await;
    let o = LaunchOptions {
        region: Some("us-west1".into()),
        ..opts(1)
    };
    let f = launch(&server, &o).await.unwrap_err();
    assert_eq!(f.code, exit::NO_REGION, "{f}");
    assert_eq!(posts(&server, None).await, 1);
}

/// A 2xx without a job `name` is not a submission: nothing to follow, and the job may exist.
#[tokio::test]
async fn a_2xx_without_a_name_is_an_error_not_submitted() {
    let server = server_with_l4_quota(1).await;
    create_answers(
        &server,
        "us-west1",
        ResponseTemplate::new(200)
            .set_body_json(json!({"displayName": "train-l4", "state": "JOB_STATE_QUEUED"})),
    )
    .await;
    let f = launch(&server, &opts(4)).await.unwrap_err();
    assert_eq!(f.code, exit::API, "{f}");
    assert!(
        f.message
            .contains("Vertex AI answered 200 without a job name"),
        "{f}"
    );
    assert!(
        f.message.contains(
            "the job may have been created: look at \
             https://console.cloud.google.com/vertex-ai/training/custom-jobs?project=my-project"
        ),
        "{f}"
    );
    assert!(!f.message.contains("Submitted"), "{f}");
    assert_eq!(
        posts(&server, None).await,
        1,
        "never resent, never moved on"
    );
}

/// A 503 proves nothing was made: the create is not sent again, anywhere, and the user is
/// told the job may exist and where to look.
#[tokio::test]
async fn a_503_on_create_is_sent_once_and_may_have_created_the_job() {
    let server = server_with_l4_quota(1).await;
    create_answers(
        &server,
        "us-central1",
        ResponseTemplate::new(503)
            .insert_header("retry-after", "0")
            .set_body_json(json!({"error": {"code": 503,
                "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}})),
    )
    .await;
    create_answers(&server, "us-west1", ResponseTemplate::new(500)).await;
    let f = launch(&server, &opts(1)).await.unwrap_err();
    assert_eq!(f.code, exit::API, "{f}");
    assert_eq!(posts(&server, None).await, 1, "exactly one POST: {f}");
    assert!(
        f.message.starts_with(
            "submitting the CustomJob to us-central1: unavailable (503 UNAVAILABLE): The service \
             is currently unavailable.; the job may have been created: look at \
             https://console.cloud.google.com/vertex-ai/training/custom-jobs?project=my-project"
        ),
        "{f}"
    );
}

/// Every region failing the same way before any quota is read: 401 → exit 3, 403 and 404
/// → exit 4, never 5, and no POST.
#[tokio::test]
async fn no_region_could_be_asked_exits_3_or_4_never_5() {
    for (code, status, want) in [
        (401, "UNAUTHENTICATED", exit::AUTH),
        (403, "PERMISSION_DENIED", exit::API),
        (404, "NOT_FOUND", exit::API),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(code).set_body_json(json!({"error": {
                "code": code, "message": format!("refused with {code}"), "status": status}})))
            .mount(&server)
            .await;
        let f = launch(&server, &opts(1)).await.unwrap_err();
        assert_eq!(f.code, want, "{code}: {f}");
        assert!(
            f.message.contains(&format!("refused with {code}")),
            "Google's message kept: {f}"
        );
        assert_eq!(posts(&server, None).await, 0, "{code}");
    }
}

/// H100 is not trained in us-east1 (Google's locations page): however much quota it has, it
/// is never ranked to fit, and the launch says so; named with `--region`, it exits 5.
#[tokio::test]
async fn a_region_that_does_not_offer_the_type_is_reported_never_ranked() {
    let h100 = GpuType::H100.metric(Capacity::Spot);
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(metric_path(h100)))
        .respond_with(ResponseTemplate::new(200).set_body_json(metric_body(
            h100,
            &[
                ("us-central1", 0),
                ("us-east1", 64),
                ("us-west1", 8),
                ("europe-west4", 0),
            ],
        )))
        .mount(&server)
        .await;
    let o = LaunchOptions {
        gpu: GpuType::H100,
        dry_run: true,
        ..opts(8)
    };
    let out = launch(&server, &o).await.expect("us-west1 fits");
    assert!(out.contains("Region:  us-west1"), "{out}");
    let east = out.lines().find(|l| l.contains("us-east1")).unwrap();
    assert!(
        east.starts_with("  -- us-east1")
            && east.contains("64")
            && east.ends_with("H100 not offered in us-east1 (Vertex AI training)"),
        "{out}"
    );
    let o = LaunchOptions {
        region: Some("us-east1".into()),
        ..o
    };
    let f = launch(&server, &o).await.unwrap_err();
    assert_eq!(f.code, exit::NO_REGION, "{f}");
    assert!(
        f.message.starts_with(
            "region us-east1 cannot take 8 × H100 (spot) (it fits in us-west1): H100 not offered \
             in us-east1"
        ),
        "{f}"
    );
    assert_eq!(posts(&server, None).await, 0);
}

/// Google: a3-highgpu-1g, -2g and -4g are for spot and flex-start only. An on-demand H100
/// launch of 1, 2 or 4 is refused before any request, naming the count that works.
#[tokio::test]
async fn on_demand_h100_below_eight_is_refused_up_front() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    for count in [1, 2, 4] {
        let o = LaunchOptions {
            gpu: GpuType::H100,
            capacity: Capacity::OnDemand,
            ..opts(count)
        };
        let f = launch(&server, &o).await.unwrap_err();
        assert_eq!(f.code, exit::USAGE, "{f}");
        assert_eq!(
            f.message,
            format!(
                "a3-highgpu-{count}g ({count} × H100) is offered for spot and flex-start only, \
                 not on-demand (Google's A3 High machine types): on-demand H100 works with 8 \
                 GPUs (a3-highgpu-8g), or choose spot"
            )
        );
    }
}
