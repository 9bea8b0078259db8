//! Classification of Google's error bodies as Google sends them (bodies modelled on
//! Google's answers quoted in the doc comments of `fake_gcp/errors.rs`).

use super::*;
use serde_json::json;

fn classify(code: u16, body: serde_json::Value) -> ApiError {
    classify_google_error(code, body.to_string().as_bytes())
}

fn error_info(reason: &str, metadata: serde_json::Value) -> serde_json::Value {
    json!({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
           "domain": "googleapis.com", "metadata": metadata})
}

const ACTIVATION: &str = "https://console.developers.google.com/apis/api/serviceusage.googleapis.com/overview?project=123";

fn service_disabled(with_metadata_url: bool) -> serde_json::Value {
    let mut metadata = json!({"serviceTitle": "Service Usage API", "consumer": "projects/123",
        "containerInfo": "123", "service": "serviceusage.googleapis.com"});
    if with_metadata_url {
        metadata["activationUrl"] = json!(ACTIVATION);
    }
    json!({"error": {"code": 403, "status": "PERMISSION_DENIED",
        "message": format!("Service Usage API has not been used in project 123 before or it is \
            disabled. Enable it by visiting {ACTIVATION} then retry. If you enabled this API \
            recently, wait a few minutes for the action to propagate to our systems and retry."),
        "details": [error_info("SERVICE_DISABLED", metadata),
            {"@type": "type.googleapis.com/google.rpc.Help", "links": [
                {"description": "Google developers console API activation", "url": ACTIVATION}]}]}})
}

#[test]
fn service_disabled_keeps_the_activation_url_and_names_the_api() {
    for with_url in [true, false] {
        let e = classify(403, service_disabled(with_url));
        assert_eq!(
            e.kind,
            ErrorKind::ServiceDisabled,
            "metadata url {with_url}"
        );
        assert_eq!(e.details.activation_url.as_deref(), Some(ACTIVATION));
        assert!(e.message.starts_with("Service Usage API has not been used"));
        assert_eq!(e.details.service(), Some("serviceusage.googleapis.com"));
        assert_eq!(
            e.service_disabled_line("x").as_deref(),
            Some(
                "Service Usage API (serviceusage.googleapis.com) is not enabled in project 123: \
                 enable it at https://console.developers.google.com/apis/api/\
                 serviceusage.googleapis.com/overview?project=123"
            )
        );
        assert!(!e.kind.is_retryable());
    }
}

#[test]
fn legacy_access_not_configured_is_service_disabled_with_the_url_from_the_message() {
    let e = classify(
        403,
        json!({"error": {"code": 403, "message": "Cloud Build API has not been used in project 9 \
            before or it is disabled. Enable it by visiting https://console.developers.google.com/\
            apis/api/cloudbuild.googleapis.com/overview?project=9 then retry.",
            "errors": [{"message": "m", "domain": "usageLimits", "reason": "accessNotConfigured"}]}}),
    );
    assert_eq!(e.kind, ErrorKind::ServiceDisabled);
    assert_eq!(
        e.details.activation_url.as_deref(),
        Some(
            "https://console.developers.google.com/apis/api/cloudbuild.googleapis.com/overview?project=9"
        )
    );
    assert_eq!(e.reason(), Some("accessNotConfigured"));
    assert_eq!(
        e.service_disabled_line("cloudbuild.googleapis.com")
            .unwrap()
            .split(':')
            .next(),
        Some("cloudbuild.googleapis.com is not enabled")
    );
}

#[test]
fn an_activation_url_that_is_not_plain_https_is_dropped() {
    let mut body = service_disabled(true);
    body["error"]["details"][0]["metadata"]["activationUrl"] = json!("javascript:alert(1)");
    body["error"]["message"] = json!("disabled; see http://plain.example/x");
    let e = classify(403, body);
    assert_eq!(e.kind, ErrorKind::ServiceDisabled);
    assert_eq!(e.details.activation_url, None);
}

#[test]
fn consumer_invalid_is_not_found_worded_for_people_with_googles_message_kept() {
    let body = json!({"error": {"code": 403, "status": "PERMISSION_DENIED",
        "message": "Permission denied on resource project my-gone-project.",
        "errors": [{"message": "Permission denied on resource project my-gone-project.",
                    "domain": "global", "reason": "forbidden"}],
        "details": [error_info("CONSUMER_INVALID", json!({"containerInfo": "my-gone-project",
            "consumer": "projects/my-gone-project", "service": "serviceusage.googleapis.com"}))]}});
    let e = classify(403, body);
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(
        e.message,
        "project my-gone-project not found, or you have no access to it \
         (Google: Permission denied on resource project my-gone-project.)"
    );
    let e = e.in_project("my-project");
    assert!(
        e.message
            .starts_with("project my-project not found, or you have no access to it (Google: "),
        "{e}"
    );
    // Other kinds are left alone by in_project.
    let denied = classify(
        403,
        json!({"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "no"}}),
    );
    assert_eq!(denied.clone().in_project("p"), denied);
}

#[test]
fn rate_limit_reasons_and_bare_429s_are_rate_limited_with_retry_info() {
    let e = classify(
        429,
        json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
            "message": "Quota exceeded for quota metric 'Read requests' and limit 'Read requests \
                per minute' of service 'serviceusage.googleapis.com' for consumer 'project_number:123'.",
            "details": [error_info("RATE_LIMIT_EXCEEDED", json!({"quota_metric":
                "serviceusage.googleapis.com/read_requests", "quota_limit": "ReadRequestsPerMinutePerProject",
                "service": "serviceusage.googleapis.com", "consumer": "projects/123"})),
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}]}}),
    );
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert_eq!(e.details.retry_delay, Some(Duration::from_secs(7)));
    assert_eq!(
        e.details.metadata.get("quota_limit").map(String::as_str),
        Some("ReadRequestsPerMinutePerProject")
    );
    // The same reason on a 403, and the legacy reason.
    let e = classify(
        403,
        json!({"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "m",
            "details": [error_info("RATE_LIMIT_EXCEEDED", json!({}))]}}),
    );
    assert_eq!(e.kind, ErrorKind::RateLimited);
    let e = classify(
        403,
        json!({"error": {"code": 403, "message": "m", "errors": [{"reason": "rateLimitExceeded"}]}}),
    );
    assert_eq!(e.kind, ErrorKind::RateLimited);
    // A 429 without any reason.
    let e = classify(429, json!({"error": {"code": 429, "message": "slow down"}}));
    assert_eq!(
        (e.kind, e.details.retry_delay),
        (ErrorKind::RateLimited, None)
    );
}

#[test]
fn a_429_saying_quota_metrics_exceed_their_limits_is_quota_exceeded_and_final() {
    let msg = "The following quota metrics exceed quota limits: \
               aiplatform.googleapis.com/custom_model_training_nvidia_h100_gpus";
    let by_message = classify(
        429,
        json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": msg}}),
    );
    // Even when a legacy rate-limit reason rides along, the message decides.
    let with_legacy = classify(
        429,
        json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": msg,
            "errors": [{"reason": "rateLimitExceeded"}]}}),
    );
    let by_reason = classify(
        429,
        json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "m",
            "details": [error_info("RESOURCE_QUOTA_EXCEEDED", json!({"quota_metric": "x"}))]}}),
    );
    for e in [by_message, with_legacy, by_reason] {
        assert_eq!(e.kind, ErrorKind::QuotaExceeded, "{e}");
        assert!(!e.kind.is_retryable());
    }
}

#[test]
fn statuses_without_a_deciding_reason() {
    let cases = [
        (400, "INVALID_ARGUMENT", ErrorKind::Invalid),
        (401, "UNAUTHENTICATED", ErrorKind::Auth),
        (403, "PERMISSION_DENIED", ErrorKind::Permission),
        (404, "NOT_FOUND", ErrorKind::NotFound),
        (409, "ALREADY_EXISTS", ErrorKind::Conflict),
        (412, "FAILED_PRECONDITION", ErrorKind::Invalid),
        (405, "", ErrorKind::Invalid),
        (500, "INTERNAL", ErrorKind::Unavailable),
        (502, "", ErrorKind::Unavailable),
        (503, "UNAVAILABLE", ErrorKind::Unavailable),
        (504, "DEADLINE_EXCEEDED", ErrorKind::Unavailable),
    ];
    for (code, status, want) in cases {
        let e = classify(
            code,
            json!({"error": {"code": code, "status": status, "message": "Google says so",
                "details": [error_info("SOME_OTHER_REASON", json!({}))]}}),
        );
        assert_eq!(e.kind, want, "{code} {status}");
        assert_eq!(e.message, "Google says so");
        assert_eq!(e.reason(), Some("SOME_OTHER_REASON"));
        assert_eq!(e.http_status, Some(code));
    }
}

#[test]
fn a_body_that_is_not_google_json_is_classified_by_status_and_excerpted() {
    let e = classify_google_error(502, b"<html><body>Bad   Gateway</body></html>");
    assert_eq!(e.kind, ErrorKind::Unavailable);
    assert_eq!(
        e.message,
        "not a Google error body: <html><body>Bad Gateway</body></html>"
    );
    assert_eq!(e.google_status, None);
    assert_eq!(*e.details, ErrorDetails::default());
    let e = classify_google_error(404, b"");
    assert_eq!(e.message, "HTTP 404 without a body");
}

#[test]
fn proto_durations() {
    assert_eq!(parse_proto_duration("7s"), Some(Duration::from_secs(7)));
    assert_eq!(
        parse_proto_duration("0.5s"),
        Some(Duration::from_millis(500))
    );
    assert_eq!(
        parse_proto_duration("3.957525076s"),
        Some(Duration::new(3, 957_525_076))
    );
    for bad in [
        "",
        "s",
        "7",
        "-1s",
        "1.2.3s",
        "1.0000000001s",
        "x s",
        "1e3s",
    ] {
        assert_eq!(parse_proto_duration(bad), None, "{bad}");
    }
}

#[test]
fn metadata_values_are_capped_and_stripped_of_control_characters() {
    let long = "a".repeat(2000);
    let e = classify(
        403,
        json!({"error": {"code": 403, "message": "m", "details": [error_info("X",
            json!({"service": format!("evil\u{1b}[2J{long}"), "unrelated": "dropped"}))]}}),
    );
    let service = e.details.service().unwrap();
    assert!(!service.contains('\u{1b}'));
    assert_eq!(service.chars().count(), MAX_METADATA_CHARS);
    assert!(!e.details.metadata.contains_key("unrelated"));
}
