//! HTTP plumbing shared by the Google API clients: the one reqwest client constructor,
//! the classification of Google's JSON error bodies (SPEC §4), and `Retry-After`.
//!
//! reqwest is built with `rustls-no-provider`, so the process's rustls crypto provider
//! (ring) is installed here before any client is built.

use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use super::error::{ApiError, ErrorKind};

/// `User-Agent` sent with every request: `quota-tui/<version>`.
pub const USER_AGENT: &str = concat!("quota-tui/", env!("CARGO_PKG_VERSION"));

/// Time allowed to open a TCP (+TLS) connection; the per-check deadline bounds the rest.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Build the reqwest client for the Google APIs (HTTPS through rustls with ring, platform
/// root certificates; HTTP for loopback test servers).
///
/// Installs ring as the process-wide rustls provider first (a no-op when one is already
/// installed). Panics only if reqwest cannot build a TLS configuration at all, which is a
/// build defect rather than a run-time condition.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .expect("reqwest client with rustls (ring) must build")
}

/// Characters escaped in a path segment: everything but letters, digits and `-._~`
/// (RFC 3986 unreserved), so a quota metric's `/` becomes `%2F`.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encode `s` as one URL path segment:
/// `aiplatform.googleapis.com/custom_model_training_nvidia_t4_gpus` →
/// `aiplatform.googleapis.com%2Fcustom_model_training_nvidia_t4_gpus`.
pub fn encode_path_segment(s: &str) -> String {
    utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

/// Google's error body, `{"error": {...}}` (<https://cloud.google.com/apis/design/errors>).
#[derive(Debug, Default, Deserialize)]
struct GoogleErrorBody {
    error: GoogleError,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct GoogleError {
    message: String,
    status: String,
    errors: Vec<GoogleErrorReason>,
    details: Vec<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct GoogleErrorReason {
    reason: String,
}

/// Longest piece of a non-Google error body kept in a message, in characters.
const BODY_EXCERPT_CHARS: usize = 200;

/// Classify a non-2xx answer of a Google API from its HTTP status and body (SPEC §4).
///
/// - 401 / `UNAUTHENTICATED` → `Auth`;
/// - 429 / `RESOURCE_EXHAUSTED`, or `errors[].reason` `rateLimitExceeded` /
///   `userRateLimitExceeded`, or an ErrorInfo detail with reason `RATE_LIMIT_EXCEEDED`
///   (Google sends these with a 403) → `RateLimited`;
/// - 403 / `PERMISSION_DENIED` → `Permission`;
/// - 404 / `NOT_FOUND`, and any other 4xx (e.g. 400 `INVALID_ARGUMENT` for a malformed
///   metric name: the request names nothing that exists) → `NotFound`;
/// - 5xx / `UNAVAILABLE`, `INTERNAL`, `DEADLINE_EXCEEDED` → `Unavailable`.
///
/// The message is Google's `error.message`, or an excerpt of a body that is not Google's
/// JSON (a proxy's HTML page, say); `http_status` and `google_status` are filled in;
/// `attempts` is 1.
pub fn classify_google_error(http_status: u16, body: &[u8]) -> ApiError {
    let parsed = serde_json::from_slice::<GoogleErrorBody>(body).ok();
    let (message, status, rate_reason) = match &parsed {
        Some(b) => {
            let e = &b.error;
            let rate_reason =
                e.errors.iter().any(|r| {
                    r.reason == "rateLimitExceeded" || r.reason == "userRateLimitExceeded"
                }) || e.details.iter().any(|d| {
                    d.get("@type")
                        .and_then(|t| t.as_str())
                        .is_some_and(|t| t.ends_with("google.rpc.ErrorInfo"))
                        && d.get("reason").and_then(|r| r.as_str()) == Some("RATE_LIMIT_EXCEEDED")
                });
            (e.message.clone(), e.status.clone(), rate_reason)
        }
        None => (body_excerpt(http_status, body), String::new(), false),
    };
    let kind = match (http_status, status.as_str()) {
        (401, _) | (_, "UNAUTHENTICATED") => ErrorKind::Auth,
        (429, _) | (_, "RESOURCE_EXHAUSTED") => ErrorKind::RateLimited,
        _ if rate_reason => ErrorKind::RateLimited,
        (403, _) | (_, "PERMISSION_DENIED") => ErrorKind::Permission,
        (500..=599, _) | (_, "UNAVAILABLE" | "INTERNAL" | "DEADLINE_EXCEEDED") => {
            ErrorKind::Unavailable
        }
        _ => ErrorKind::NotFound,
    };
    ApiError {
        kind,
        message,
        http_status: Some(http_status),
        google_status: (!status.is_empty()).then_some(status),
        attempts: 1,
    }
    .cap_message()
}

fn body_excerpt(http_status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return format!("HTTP {http_status} without a body");
    }
    let mut excerpt: String = text.chars().take(BODY_EXCERPT_CHARS).collect();
    if text.chars().count() > BODY_EXCERPT_CHARS {
        excerpt.push('…');
    }
    format!("not a Google error body: {excerpt}")
}

/// The `Retry-After` header as a delay, when it is a number of seconds (the form Google
/// uses); an HTTP date or garbage gives `None`.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Most bytes read of a successful answer: 4 MiB. A ConsumerQuotaMetric with every region's
/// bucket is about 20 KiB, a CustomJob a few KiB.
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// Most bytes read of an error answer: 64 KiB. Google's error bodies are under 2 KiB; a
/// proxy's HTML page is cut, and only its excerpt is kept anyway.
pub const MAX_ERROR_BODY_BYTES: usize = 64 << 10;

/// Read `response`'s body, never more than its cap (SPEC §4: "response bodies are read up
/// to a cap, never unbounded"), chunk by chunk as reqwest hands them over.
///
/// - A success (2xx) body over [`MAX_BODY_BYTES`] (announced by `Content-Length` or met while
///   reading) is an error of kind `Parse` ("the answer is over 4 MiB"); nothing more is read.
/// - An error body is read up to [`MAX_ERROR_BODY_BYTES`] and the rest left unread: a
///   truncated body is no longer Google's JSON, so [`classify_google_error`] classifies it by
///   its status and keeps an excerpt.
///
/// Dropping the response with its body half read closes the connection instead of
/// returning it to the pool. Errors: a transport failure while reading, as
/// [`transport_error`].
pub async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, ApiError> {
    let success = response.status().is_success();
    let cap = if success {
        MAX_BODY_BYTES
    } else {
        MAX_ERROR_BODY_BYTES
    };
    let too_big = || {
        ApiError::new(
            ErrorKind::Parse,
            format!(
                "the answer is over {} MiB, far more than a Google API sends; not read",
                MAX_BODY_BYTES >> 20
            ),
        )
    };
    let announced = response.content_length().unwrap_or(0);
    if success && announced > cap as u64 {
        return Err(too_big());
    }
    let mut body = Vec::with_capacity((announced as usize).min(cap));
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(&e))? {
        let room = cap - body.len();
        if chunk.len() > room {
            if success {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk[..room]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A reqwest failure (connect refused, reset, body cut short) as `Unavailable`, with the
/// cause chain in the message. reqwest's messages hold the URL, never a header.
pub fn transport_error(e: &reqwest::Error) -> ApiError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    ApiError::new(ErrorKind::Unavailable, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn classify(code: u16, body: serde_json::Value) -> ApiError {
        classify_google_error(code, body.to_string().as_bytes())
    }

    #[test]
    fn classifies_google_error_bodies() {
        let e = classify(
            403,
            json!({"error": {"code": 403, "message": "Permission denied on resource project p.", "status": "PERMISSION_DENIED", "errors": [{"reason": "forbidden"}]}}),
        );
        assert_eq!(e.kind, ErrorKind::Permission);
        assert_eq!(e.message, "Permission denied on resource project p.");
        assert_eq!(e.google_status.as_deref(), Some("PERMISSION_DENIED"));
        assert_eq!(e.http_status, Some(403));

        let e = classify(
            403,
            json!({"error": {"code": 403, "message": "Quota exceeded", "status": "PERMISSION_DENIED", "errors": [{"reason": "rateLimitExceeded"}]}}),
        );
        assert_eq!(e.kind, ErrorKind::RateLimited);
        let e = classify(
            403,
            json!({"error": {"code": 403, "message": "m", "status": "PERMISSION_DENIED",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED"}]}}),
        );
        assert_eq!(e.kind, ErrorKind::RateLimited);
        let e = classify(
            429,
            json!({"error": {"code": 429, "message": "m", "status": "RESOURCE_EXHAUSTED"}}),
        );
        assert_eq!(e.kind, ErrorKind::RateLimited);
        let e = classify(
            401,
            json!({"error": {"code": 401, "message": "m", "status": "UNAUTHENTICATED"}}),
        );
        assert_eq!(e.kind, ErrorKind::Auth);
        let e = classify(
            404,
            json!({"error": {"code": 404, "message": "m", "status": "NOT_FOUND"}}),
        );
        assert_eq!(e.kind, ErrorKind::NotFound);
        for code in [500, 502, 503, 504] {
            assert_eq!(
                classify(code, json!({})).kind,
                ErrorKind::Unavailable,
                "{code}"
            );
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
        let e = classify_google_error(404, b"");
        assert_eq!(e.message, "HTTP 404 without a body");
    }

    #[test]
    fn path_segments_keep_unreserved_characters_and_escape_slashes() {
        assert_eq!(
            encode_path_segment("cloudbuild.googleapis.com/concurrent_private_pool_c3_build_cpus"),
            "cloudbuild.googleapis.com%2Fconcurrent_private_pool_c3_build_cpus"
        );
        assert_eq!(encode_path_segment("a b?c#d~e"), "a%20b%3Fc%23d~e");
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn builds_twice_in_one_process() {
        let _a = super::http_client();
        let _b = super::http_client();
    }
}
