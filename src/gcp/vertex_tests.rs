//! Tests of `vertex.rs`.

use super::*;

fn client(base: Option<&str>) -> VertexClient {
    VertexClient::new(base, TokenSource::demo()).unwrap()
}

#[test]
fn urls_per_region_or_one_override() {
    assert_eq!(
        client(None)
            .custom_jobs_url("my-project", "us-west1")
            .unwrap(),
        "https://us-west1-aiplatform.googleapis.com/v1/projects/my-project/locations/us-west1/customJobs"
    );
    assert_eq!(
        client(Some("http://127.0.0.1:9/"))
            .custom_jobs_url("my-project", "europe-west4")
            .unwrap(),
        "http://127.0.0.1:9/v1/projects/my-project/locations/europe-west4/customJobs"
    );
    assert!(VertexClient::new(Some("ftp://x"), TokenSource::demo()).is_err());
}

#[test]
fn refuses_what_must_not_reach_a_url() {
    let c = client(None);
    for region in ["", "US-WEST1", "us-west1.evil.com", "1us", "us/west"] {
        assert!(c.base_url(region).is_err(), "{region:?}");
    }
    assert!(c.custom_jobs_url("Bad_Project", "us-west1").is_err());
}

#[tokio::test]
async fn get_refuses_a_malformed_name_without_sending() {
    let c = client(Some("http://127.0.0.1:9"));
    for name in [
        "",
        "projects/p/locations/us-west1/customJobs",
        "projects/p/locations/us-west1/customJobs/1/../x",
        "projects/p/zones/us-west1/customJobs/1",
        "projects/p?x/locations/us-west1/customJobs/1",
    ] {
        let e = c.get_custom_job(name).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound, "{name}");
        assert_eq!(e.http_status, None, "nothing sent for {name}");
    }
}

/// Vertex AI's quota answer (by its message, or by Google's ErrorInfo reason) is
/// `quota_exceeded` through the shared classifier; a 429 rate limit stays `rate_limited`.
#[test]
fn a_429_for_quota_in_use_is_quota_exceeded_not_a_rate_limit() {
    use crate::gcp::http::classify_google_error;
    let kind = |body: serde_json::Value| {
        let bytes = body.to_string().into_bytes();
        classify_google_error(429, &bytes).kind
    };
    assert_eq!(
        kind(
            serde_json::json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
            "message": "The following quota metrics exceed quota limits: \
            aiplatform.googleapis.com/custom_model_training_nvidia_l4_gpus"}})
        ),
        ErrorKind::QuotaExceeded
    );
    assert_eq!(
        kind(
            serde_json::json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
            "message": "m", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RESOURCE_QUOTA_EXCEEDED", "domain": "googleapis.com"}]}})
        ),
        ErrorKind::QuotaExceeded
    );
    assert_eq!(
        kind(
            serde_json::json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
            "message": "Quota exceeded for quota metric 'Job or LRO submission requests'",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED"}]}})
        ),
        ErrorKind::RateLimited
    );
}

#[test]
fn job_fields_id_region_and_console_link() {
    let job: CustomJob = serde_json::from_value(serde_json::json!({
        "name": "projects/123/locations/us-west1/customJobs/456",
        "displayName": "train", "state": "JOB_STATE_PENDING",
        "createTime": "2026-11-21T02:47:03.123Z", "jobSpec": {"workerPoolSpecs": []},
        "labels": {"a": "b"}
    }))
    .unwrap();
    assert_eq!(job.id(), "456");
    assert_eq!(job.region(), Some("us-west1"));
    assert_eq!(job.display_name, "train");
    assert_eq!(job.create_time.as_deref(), Some("2026-11-21T02:47:03.123Z"));
    assert_eq!(
        console_url("my-project", "us-west1", job.id()),
        "https://console.cloud.google.com/vertex-ai/locations/us-west1/training/456?project=my-project"
    );
    assert_eq!(CustomJob::default().region(), None);
}
