//! Google's error answers, as the fake sends them (<https://cloud.google.com/apis/design/errors>):
//! `{"error": {"code", "message", "status", "details": [...]}}`, with the typed details Google
//! attaches: `google.rpc.ErrorInfo` (reason, domain `googleapis.com`, metadata),
//! `google.rpc.LocalizedMessage`, `google.rpc.Help`, `google.rpc.RetryInfo`
//! (<https://github.com/googleapis/googleapis/blob/master/google/rpc/error_details.proto>).
//! Reasons and metadata keys are `google.api.ErrorReason`
//! (<https://github.com/googleapis/googleapis/blob/master/google/api/error_reason.proto>).
//! Zero and empty fields are left out, as proto3 JSON does.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::metric_body::project_number;

/// A Google error answer: HTTP `code`, `status`, `message` and the `details` given.
fn google_error(code: StatusCode, status: &str, message: &str, details: Vec<Value>) -> Response {
    let mut error = json!({"code": code.as_u16(), "message": message, "status": status});
    if !details.is_empty() {
        error["details"] = Value::Array(details);
    }
    (code, Json(json!({ "error": error }))).into_response()
}

/// A `google.rpc.ErrorInfo` of the `googleapis.com` domain.
fn error_info(reason: &str, metadata: Value) -> Value {
    json!({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
           "domain": "googleapis.com", "metadata": metadata})
}

fn localized(message: &str) -> Value {
    json!({"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
           "message": message})
}

fn help(description: &str, url: &str) -> Value {
    json!({"@type": "type.googleapis.com/google.rpc.Help",
           "links": [{"description": description, "url": url}]})
}

/// 401 `UNAUTHENTICATED`: no `Authorization: Bearer` header. Google's wording for a
/// request without credentials, with ErrorInfo reason `CREDENTIALS_MISSING`.
pub(crate) fn unauthenticated() -> Response {
    unauthenticated_for("serviceusage.googleapis.com")
}

/// [`unauthenticated`] as `service` answers it (ErrorInfo metadata `service`).
pub(crate) fn unauthenticated_for(service: &str) -> Response {
    google_error(
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
        "Request is missing required authentication credential. Expected OAuth 2 access \
         token, login cookie or other valid authentication credential. See \
         https://developers.google.com/identity/sign-in/web/devconsole-project.",
        vec![error_info(
            "CREDENTIALS_MISSING",
            json!({ "service": service }),
        )],
    )
}

/// 404 `NOT_FOUND` with `message` and no details, as Google answers a name that does not
/// exist (e.g. "Error 404: No quota limit with limitId ..." in
/// <https://github.com/hashicorp/terraform-provider-google/issues/16934>).
pub(crate) fn not_found(message: &str) -> Response {
    google_error(StatusCode::NOT_FOUND, "NOT_FOUND", message, Vec::new())
}

/// 403 `SERVICE_DISABLED`: `service` (titled `title`) is not enabled in `project`. Google's
/// answer, as in <https://github.com/google-gemini/gemini-cli/issues/1343>: the message
/// with the activation URL, ErrorInfo metadata `serviceTitle`, `consumer`, `containerInfo`,
/// `service`, `activationUrl`, then LocalizedMessage and Help.
pub(crate) fn service_disabled(project: &str, service: &str, title: &str) -> Response {
    let number = project_number(project);
    let url = format!(
        "https://console.developers.google.com/apis/api/{service}/overview?project={number}"
    );
    let message = format!(
        "{title} has not been used in project {number} before or it is disabled. Enable it by \
         visiting {url} then retry. If you enabled this API recently, wait a few minutes for \
         the action to propagate to our systems and retry."
    );
    google_error(
        StatusCode::FORBIDDEN,
        "PERMISSION_DENIED",
        &message,
        vec![
            error_info(
                "SERVICE_DISABLED",
                json!({"serviceTitle": title, "consumer": format!("projects/{number}"),
                       "containerInfo": number.to_string(), "service": service,
                       "activationUrl": url}),
            ),
            localized(&message),
            help("Google developers console API activation", &url),
        ],
    )
}

/// 403 `CONSUMER_INVALID`: `project` does not exist or is not visible to the caller.
/// Google's answer, as in <https://github.com/google-gemini/gemini-cli/issues/1808>.
pub(crate) fn consumer_invalid(project: &str, service: &str) -> Response {
    let message = format!("Permission denied on resource project {project}.");
    google_error(
        StatusCode::FORBIDDEN,
        "PERMISSION_DENIED",
        &message,
        vec![
            error_info(
                "CONSUMER_INVALID",
                json!({"containerInfo": project, "consumer": format!("projects/{project}"),
                       "service": service}),
            ),
            localized(&message),
            help(
                "Google developers console",
                "https://console.developers.google.com",
            ),
        ],
    )
}

/// 429 `RESOURCE_EXHAUSTED` for Service Usage's own read quota: "Quota exceeded for quota
/// metric 'Read requests' and limit 'Read requests per minute' of service ..." with
/// ErrorInfo `RATE_LIMIT_EXCEEDED` (metadata as in `error_reason.proto`) and a RetryInfo.
pub(crate) fn rate_limited(project: &str) -> Response {
    let number = project_number(project);
    rate_limited_quota(
        &format!(
            "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per \
             minute' of service 'serviceusage.googleapis.com' for consumer \
             'project_number:{number}'."
        ),
        json!({"service": "serviceusage.googleapis.com",
               "consumer": format!("projects/{number}"),
               "quota_metric": "serviceusage.googleapis.com/read_requests",
               "quota_limit": "ReadRequestsPerMinutePerProject",
               "quota_location": "global"}),
    )
}

/// 429 `RESOURCE_EXHAUSTED` with Google's `message`, ErrorInfo `RATE_LIMIT_EXCEEDED` and a
/// `RetryInfo` of 1 s (Vertex AI's request-rate quota uses it too).
pub(crate) fn rate_limited_with(message: &str) -> Response {
    rate_limited_quota(message, json!({"service": "aiplatform.googleapis.com"}))
}

fn rate_limited_quota(message: &str, metadata: Value) -> Response {
    google_error(
        StatusCode::TOO_MANY_REQUESTS,
        "RESOURCE_EXHAUSTED",
        message,
        vec![
            error_info("RATE_LIMIT_EXCEEDED", metadata),
            help(
                "Request a higher quota limit.",
                "https://cloud.google.com/docs/quotas/help/request_increase",
            ),
            json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}),
        ],
    )
}

/// 400 `INVALID_ARGUMENT` for a request body that breaks the API's rules: Google's message
/// lists every violation (`List of found errors:\t1.Field: f; Message: m\t`) and a
/// `google.rpc.BadRequest` detail carries them as `fieldViolations` (`field`, `description`).
pub(crate) fn invalid_argument(violations: &[(String, String)]) -> Response {
    let mut message = String::from("List of found errors:");
    for (i, (field, description)) in violations.iter().enumerate() {
        message.push_str(&format!(
            "\t{}.Field: {field}; Message: {description}",
            i + 1
        ));
    }
    message.push('\t');
    let field_violations: Vec<_> = violations
        .iter()
        .map(|(field, description)| json!({"field": field, "description": description}))
        .collect();
    google_error(
        StatusCode::BAD_REQUEST,
        "INVALID_ARGUMENT",
        &message,
        vec![json!({"@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": field_violations})],
    )
}

/// 503 `UNAVAILABLE` with `Retry-After: 1`.
pub(crate) fn unavailable() -> Response {
    let mut r = google_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "UNAVAILABLE",
        "The service is currently unavailable.",
        Vec::new(),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// Cloud Monitoring's 403 for a caller without `monitoring.timeSeries.list` on the project
/// (or a project that does not exist): `PERMISSION_DENIED`, "Permission
/// monitoring.timeSeries.list denied (or the resource may not exist).", without details, as
/// the troubleshooting notes of Google's open-source autoscalers quote it
/// (`7 PERMISSION_DENIED: Permission monitoring.timeSeries.list denied (or the resource may
/// not exist).`).
pub(crate) fn monitoring_permission_denied() -> Response {
    google_error(
        StatusCode::FORBIDDEN,
        "PERMISSION_DENIED",
        "Permission monitoring.timeSeries.list denied (or the resource may not exist).",
        Vec::new(),
    )
}

/// 400 `INVALID_ARGUMENT` with `message` and no details (Cloud Monitoring's answer to a
/// malformed filter or interval).
pub(crate) fn invalid_argument_message(message: &str) -> Response {
    google_error(
        StatusCode::BAD_REQUEST,
        "INVALID_ARGUMENT",
        message,
        Vec::new(),
    )
}

/// 429 `RESOURCE_EXHAUSTED` for Cloud Monitoring's own read quota ("Time series queries
/// per minute"), with ErrorInfo `RATE_LIMIT_EXCEEDED` and a RetryInfo of 1 s.
pub(crate) fn monitoring_rate_limited(project: &str) -> Response {
    let number = project_number(project);
    rate_limited_quota(
        &format!(
            "Quota exceeded for quota metric 'Time series queries' and limit 'Time series \
             queries per minute' of service 'monitoring.googleapis.com' for consumer \
             'project_number:{number}'."
        ),
        json!({"service": "monitoring.googleapis.com",
               "consumer": format!("projects/{number}"),
               "quota_metric": "monitoring.googleapis.com/query_requests",
               "quota_limit": "QueryRequestsPerMinutePerProject",
               "quota_location": "global"}),
    )
}
