//! `launch --wait` (SPEC §9, issue 13): after the submission, the job is followed with
//! `customJobs.get` every 10 s until it runs or ends. On the embedded demo a job goes
//! QUEUED → PENDING → RUNNING (exit 0, one stderr line per state); against wiremock a job
//! that failed ends the wait with Google's error, sanitised (exit 4).

use std::sync::Arc;
use std::time::Duration;

use assert_cmd::Command;
use quota_tui::catalog::{Capacity, Catalog, GpuType};
use quota_tui::commands::launch::{LaunchOptions, run};
use quota_tui::exit;
use quota_tui::gcp::QuotaSource;
use quota_tui::gcp::auth::TokenSource;
use quota_tui::gcp::serviceusage::ServiceUsageClient;
use quota_tui::gcp::vertex::VertexClient;
use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PROJECT: &str = "my-project";
const JOB: &str = "projects/123456/locations/us-central1/customJobs/789";

#[test]
fn on_the_demo_a_job_is_followed_from_queued_through_pending_to_running() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("quota-tui")
        .unwrap()
        .env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .env_remove("GOOGLE_OAUTH_ACCESS_TOKEN")
        .env_remove("QUOTA_TUI_AIPLATFORM_URL")
        .env_remove("QUOTA_TUI_SERVICEUSAGE_URL")
        .env_remove("QUOTA_TUI_MONITORING_URL")
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .args(["launch", "--gpu", "T4", "--image", "gcr.io/x/y:1", "--wait"])
        .args([
            "--demo-latency",
            "1ms..5ms",
            "--demo-error-rate",
            "0",
            "--log-dir",
        ])
        .arg(dir.path())
        .timeout(Duration::from_secs(90))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stderr}\n{stdout}");
    let states: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|w| w.starts_with("JOB_STATE_"))
        .collect();
    assert_eq!(
        states,
        ["JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING"],
        "{stderr}"
    );
    // Each line starts with its time; the later ones say how long after the submission.
    let running = stderr
        .lines()
        .find(|l| l.contains("JOB_STATE_RUNNING"))
        .unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(&running[..19], "%Y-%m-%dT%H:%M:%S").is_ok(),
        "{running}"
    );
    assert!(running.ends_with("s after the submission)"), "{running}");
    assert!(
        stdout.contains("Waited:  JOB_STATE_RUNNING after ")
            && stdout.contains("(QUEUED → PENDING → RUNNING)"),
        "{stdout}"
    );
}

#[test]
fn wait_and_dry_run_do_not_go_together() {
    let out = Command::cargo_bin("quota-tui")
        .unwrap()
        .args(["launch", "--gpu", "T4", "--image", "gcr.io/x/y:1"])
        .args(["--wait", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dry-run"));
}

/// Service Usage with 8 L4 spot GPUs in every region, Vertex AI making a job that failed.
async fn failing_job_server() -> MockServer {
    let server = MockServer::start().await;
    let metric = "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_l4_gpus";
    let buckets: Vec<_> = ["us-central1", "us-east1", "us-west1", "europe-west4"]
        .iter()
        .map(|r| json!({"effectiveLimit": "8", "dimensions": {"region": r}}))
        .collect();
    Mock::given(method("GET"))
        .and(path_regex("^/v1beta1/projects/my-project/services/.*"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "metric": metric,
            "consumerQuotaLimits": [{"metric": metric, "unit": "1/{project}/{region}",
                                     "quotaBuckets": buckets}]})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/v1/projects/my-project/locations/us-central1/customJobs",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": JOB, "displayName": "train-l4", "state": "JOB_STATE_QUEUED"})))
        .expect(1)
        .mount(&server)
        .await;
    // Google's failed job: state FAILED and a google.rpc.Status; the message carries an
    // escape sequence, which must not reach the terminal as one.
    Mock::given(method("GET"))
        .and(path(format!("/v1/{JOB}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": JOB, "displayName": "train-l4", "state": "JOB_STATE_FAILED",
            "error": {"code": 3, "message":
                "The replica workerpool0-0 exited with a non-zero status of 1.\u{1b}[2J"}})))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_failed_job_ends_the_wait_with_exit_4_and_googles_error_sanitised() {
    let server = failing_job_server().await;
    let source: Arc<dyn QuotaSource> =
        Arc::new(ServiceUsageClient::new(PROJECT, &server.uri(), TokenSource::demo()).unwrap());
    let vertex = VertexClient::new(Some(&server.uri()), TokenSource::demo()).unwrap();
    let opts = LaunchOptions {
        gpu: GpuType::L4,
        count: 1,
        capacity: Capacity::Spot,
        image: "us-docker.pkg.dev/my-project/trainers/l4:1".into(),
        name: Some("train-l4".into()),
        region: None,
        dry_run: false,
        json: false,
        wait: true,
    };
    let mut lines: Vec<String> = Vec::new();
    let mut progress = |l: &str| lines.push(l.to_string());
    let failure = run(
        &opts,
        &Catalog::default(),
        source,
        &vertex,
        PROJECT,
        None,
        &mut progress,
        false,
    )
    .await
    .expect_err("a failed job is exit 4");
    assert_eq!(failure.code, exit::API);
    assert!(
        failure.message.starts_with(
            "the job ended JOB_STATE_FAILED: The replica workerpool0-0 exited with a non-zero \
             status of 1."
        ),
        "{}",
        failure.message
    );
    assert!(failure.message.contains("(code 3)"), "{}", failure.message);
    assert!(
        !failure.message.contains('\u{1b}'),
        "sanitised: {}",
        failure.message
    );
    assert!(
        failure.message.contains(&format!("Job:     {JOB}")),
        "the report follows"
    );
    // Created queued, read back already failed: two lines, no 10 s poll.
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].contains(" JOB_STATE_QUEUED (submitted; "),
        "{lines:?}"
    );
    assert!(
        lines[1].ends_with(" JOB_STATE_FAILED (read back)"),
        "{lines:?}"
    );
}
