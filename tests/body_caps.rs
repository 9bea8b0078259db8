//! Response bodies are read up to a cap, never unbounded (SPEC §4, issue 11): the Service
//! Usage and Vertex AI clients against a server whose bodies are huge or never end.
//! A client that read without a cap would hang on an endless body (each test has a short
//! deadline) or hold 50 MB of message.

#[path = "common/hostile_server.rs"]
mod hostile_server;

use std::time::Duration;

use axum::body::Bytes;
use hostile_server::{Answer, HostileServer, google_error, huge_google_error};
use quota_tui::catalog::{Capacity, Check, GpuType};
use quota_tui::gcp::auth::TokenSource;
use quota_tui::gcp::error::MAX_MESSAGE_BYTES;
use quota_tui::gcp::serviceusage::{RetryPolicy, ServiceUsageClient};
use quota_tui::gcp::vertex::VertexClient;
use quota_tui::gcp::{ApiError, ErrorKind};

fn policy() -> RetryPolicy {
    RetryPolicy {
        deadline: Duration::from_secs(5),
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        factor: 2.0,
    }
}

async fn fetch_t4(answer: Answer) -> ApiError {
    let server = HostileServer::start(move |_, _| answer.clone()).await;
    let client = ServiceUsageClient::new("my-project", &server.url, TokenSource::demo())
        .unwrap()
        .with_policy(policy());
    let check = Check::gpu(GpuType::T4, Capacity::Spot, "us-central1");
    tokio::time::timeout(Duration::from_secs(20), client.fetch_limit(&check))
        .await
        .expect("a capped read ends")
        .expect_err("no limit in these answers")
}

#[tokio::test]
async fn an_endless_success_body_is_a_parse_error_after_4_mib() {
    let e = fetch_t4(Answer::Endless(200, Bytes::from(vec![b' '; 64 * 1024]))).await;
    assert_eq!(e.kind, ErrorKind::Parse, "{e}");
    assert!(e.message.contains("over 4 MiB"), "{e}");
    assert_eq!(e.attempts, 1, "a parse error is not retried");
}

#[tokio::test]
async fn a_success_body_announced_over_the_cap_is_not_read() {
    let e = fetch_t4(Answer::Full(200, Bytes::from(vec![b' '; 5 << 20]))).await;
    assert_eq!(e.kind, ErrorKind::Parse, "{e}");
    assert!(e.message.contains("over 4 MiB"), "{e}");
}

#[tokio::test]
async fn an_endless_error_body_is_classified_by_status_with_an_excerpt() {
    let e = fetch_t4(Answer::Endless(
        403,
        Bytes::from_static(b"<html>Forbidden</html>\n"),
    ))
    .await;
    assert_eq!(e.kind, ErrorKind::Permission, "{e}");
    assert_eq!(e.http_status, Some(403));
    assert!(
        e.message
            .starts_with("not a Google error body: <html>Forbidden</html>"),
        "{e}"
    );
    assert!(e.message.len() < 1024, "{}", e.message.len());
}

#[tokio::test]
async fn a_50_mb_google_message_is_cut_to_a_few_kib() {
    let e = fetch_t4(Answer::Full(
        403,
        huge_google_error(403, "PERMISSION_DENIED", 50 << 20),
    ))
    .await;
    assert_eq!(e.kind, ErrorKind::Permission, "{e}");
    assert!(
        e.message.len() <= MAX_MESSAGE_BYTES + 64,
        "{}",
        e.message.len()
    );
    assert!(e.to_string().len() < 1024, "shown: {}", e.to_string().len());
}

#[tokio::test]
async fn a_long_message_under_the_body_cap_is_kept_capped() {
    let message = "m".repeat(60 * 1024);
    let e = fetch_t4(Answer::Full(
        403,
        google_error(403, "PERMISSION_DENIED", &message),
    ))
    .await;
    assert_eq!(e.kind, ErrorKind::Permission, "{e}");
    assert_eq!(e.google_status.as_deref(), Some("PERMISSION_DENIED"));
    assert_eq!(
        e.message,
        format!(
            "{}…({} bytes more)",
            "m".repeat(MAX_MESSAGE_BYTES),
            60 * 1024 - MAX_MESSAGE_BYTES
        )
    );
}

#[tokio::test]
async fn vertex_ai_answers_are_capped_too() {
    let server = HostileServer::start(|method, _| {
        if method == axum::http::Method::POST {
            Answer::Endless(200, Bytes::from(vec![b' '; 64 * 1024]))
        } else {
            Answer::Full(404, huge_google_error(404, "NOT_FOUND", 20 << 20))
        }
    })
    .await;
    let client = VertexClient::new(Some(&server.url), TokenSource::demo())
        .unwrap()
        .with_policy(policy());
    let created = tokio::time::timeout(
        Duration::from_secs(20),
        client.create_custom_job("my-project", "us-central1", &serde_json::json!({})),
    )
    .await
    .expect("a capped read ends")
    .unwrap_err();
    assert_eq!(created.kind, ErrorKind::Parse, "{created}");
    assert!(created.message.contains("over 4 MiB"), "{created}");

    let got = client
        .get_custom_job("projects/my-project/locations/us-central1/customJobs/1")
        .await
        .unwrap_err();
    assert_eq!(got.kind, ErrorKind::NotFound, "{got}");
    assert!(got.message.len() < 1024, "{}", got.message.len());
}
