//! Google-shaped error answers of the fake (<https://cloud.google.com/apis/design/errors>):
//! `{"error": {"code", "message", "status", "errors": [{"reason"}], "details": [ErrorInfo]}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A Google error answer: HTTP `code`, `status` (`NOT_FOUND`, ...), Google's `message`,
/// the legacy `errors[].reason` and an ErrorInfo detail with `info_reason`.
pub(crate) fn google_error(
    code: StatusCode,
    status: &str,
    message: &str,
    reason: &str,
    info_reason: &str,
) -> Response {
    let body = json!({"error": {
        "code": code.as_u16(),
        "message": message,
        "status": status,
        "errors": [{"message": message, "domain": "global", "reason": reason}],
        "details": [{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": info_reason,
            "domain": "googleapis.com",
        }],
    }});
    (code, Json(body)).into_response()
}

/// 401 `UNAUTHENTICATED`: no `Authorization: Bearer` header.
pub(crate) fn unauthenticated() -> Response {
    google_error(
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
        "Request is missing required authentication credential. Expected OAuth 2 access \
         token, login cookie or other valid authentication credential.",
        "required",
        "CREDENTIALS_MISSING",
    )
}

/// 404 `NOT_FOUND` with `message`.
pub(crate) fn not_found(message: &str) -> Response {
    google_error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        message,
        "notFound",
        "NOT_FOUND",
    )
}

/// 429 `RESOURCE_EXHAUSTED` with `Retry-After: 1`, as Service Usage's read quota sends it.
pub(crate) fn rate_limited() -> Response {
    rate_limited_with(
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' \
         of service 'serviceusage.googleapis.com'.",
    )
}

/// 429 `RESOURCE_EXHAUSTED` with `Retry-After: 1` and Google's `message` (e.g. Vertex AI's
/// "The following quota metrics exceed quota limits: ...").
pub(crate) fn rate_limited_with(message: &str) -> Response {
    retry_after_1(google_error(
        StatusCode::TOO_MANY_REQUESTS,
        "RESOURCE_EXHAUSTED",
        message,
        "rateLimitExceeded",
        "RATE_LIMIT_EXCEEDED",
    ))
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
    let body = json!({"error": {
        "code": 400,
        "message": message,
        "status": "INVALID_ARGUMENT",
        "errors": [{"message": message, "domain": "global", "reason": "badRequest"}],
        "details": [{
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": field_violations,
        }],
    }});
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// 503 `UNAVAILABLE` with `Retry-After: 1`.
pub(crate) fn unavailable() -> Response {
    retry_after_1(google_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "UNAVAILABLE",
        "The service is currently unavailable.",
        "backendError",
        "SERVICE_UNAVAILABLE",
    ))
}

fn retry_after_1(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}
