//! Google's JSON error body and its classification (SPEC §4): by the `google.rpc.ErrorInfo`
//! reason first, then by status, always keeping Google's message.
//!
//! The body is `{"error": {"code", "message", "status", "errors": [{"reason"}], "details":
//! [...]}}` (<https://cloud.google.com/apis/design/errors>). `details` holds typed messages:
//! `google.rpc.ErrorInfo` (`reason`, `domain`, `metadata`) and `google.rpc.RetryInfo`
//! (`retryDelay`, a `google.protobuf.Duration` such as `"7s"` or `"3.957525076s"`), both in
//! <https://github.com/googleapis/googleapis/blob/master/google/rpc/error_details.proto>.
//! The reasons of the `googleapis.com` domain are `google.api.ErrorReason`
//! (<https://github.com/googleapis/googleapis/blob/master/google/api/error_reason.proto>);
//! older APIs also send a legacy `errors[].reason` (`accessNotConfigured`,
//! `rateLimitExceeded`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::error::{
    ApiError, CONSUMER_INVALID, ErrorDetails, ErrorKind, MAX_METADATA_CHARS,
    consumer_invalid_message,
};

/// ErrorInfo reasons and legacy reasons that decide a kind (see the module docs).
mod reason {
    pub const SERVICE_DISABLED: &str = "SERVICE_DISABLED";
    pub const ACCESS_NOT_CONFIGURED: &str = "accessNotConfigured";
    pub const RESOURCE_QUOTA_EXCEEDED: &str = "RESOURCE_QUOTA_EXCEEDED";
    pub const RATE_LIMIT_EXCEEDED: &str = "RATE_LIMIT_EXCEEDED";
    pub const RATE_LIMIT_LEGACY: [&str; 2] = ["rateLimitExceeded", "userRateLimitExceeded"];
}

/// ErrorInfo metadata keys kept in [`ErrorDetails::metadata`].
const KEPT_METADATA: [&str; 8] = [
    "service",
    "serviceTitle",
    "consumer",
    "containerInfo",
    "activationUrl",
    "quota_metric",
    "quota_limit",
    "quota_location",
];

/// Longest activation URL accepted, in characters.
const MAX_URL_CHARS: usize = 500;

/// Longest piece of a non-Google error body kept in a message, in characters.
const BODY_EXCERPT_CHARS: usize = 200;

#[derive(Debug, Default, Deserialize)]
struct GoogleErrorBody {
    error: GoogleError,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct GoogleError {
    message: String,
    status: String,
    errors: Vec<LegacyReason>,
    details: Vec<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LegacyReason {
    reason: String,
}

/// What the body said, before the kind is decided.
struct Parsed {
    message: String,
    status: String,
    /// ErrorInfo reasons first, then legacy reasons.
    reasons: Vec<String>,
    details: ErrorDetails,
}

/// Classify a non-2xx answer of a Google API from its HTTP status and body (SPEC §4).
///
/// By reason first (ErrorInfo, then legacy `errors[].reason`), then by status:
/// - 401 / `UNAUTHENTICATED` → `Auth`;
/// - `SERVICE_DISABLED` / `accessNotConfigured` → `ServiceDisabled`, with the activation URL
///   (ErrorInfo metadata `activationUrl`, else the first `https://` URL of the message);
/// - `CONSUMER_INVALID` → `NotFound`, worded "project P not found, or you have no access to
///   it" with P from the ErrorInfo metadata (`containerInfo`, else `consumer`) until the
///   client names it ([`ApiError::in_project`]); Google's message follows;
/// - `RESOURCE_QUOTA_EXCEEDED`, or a 429 / `RESOURCE_EXHAUSTED` whose message says quota
///   metrics "exceed quota limits" (Vertex AI's answer to a create) → `QuotaExceeded`;
/// - `RATE_LIMIT_EXCEEDED` / `rateLimitExceeded` / `userRateLimitExceeded` (429 or 403),
///   or any other 429 / `RESOURCE_EXHAUSTED` → `RateLimited`;
/// - 403 / `PERMISSION_DENIED` → `Permission`; 400 / `INVALID_ARGUMENT` (and
///   `FAILED_PRECONDITION`, `OUT_OF_RANGE`, any other 4xx) → `Invalid`; 404 / `NOT_FOUND` →
///   `NotFound`; 409 / `ALREADY_EXISTS` / `ABORTED` → `Conflict`; 408, 5xx / `UNAVAILABLE`,
///   `INTERNAL`, `DEADLINE_EXCEEDED` → `Unavailable`.
///
/// The message is Google's `error.message`, or an excerpt of a body that is not Google's
/// JSON (a proxy's HTML page, say); `http_status`, `google_status` and `details` (reason,
/// metadata, activation URL, `RetryInfo` delay) are filled in; `attempts` is 1. The message
/// is kept to [`super::error::MAX_MESSAGE_BYTES`] ([`ApiError::cap_message`]).
pub fn classify_google_error(http_status: u16, body: &[u8]) -> ApiError {
    let parsed = match serde_json::from_slice::<GoogleErrorBody>(body) {
        Ok(b) => parse(b.error),
        Err(_) => Parsed {
            message: body_excerpt(http_status, body),
            status: String::new(),
            reasons: Vec::new(),
            details: ErrorDetails::default(),
        },
    };
    let kind = kind_of(http_status, &parsed);
    let Parsed {
        mut message,
        status,
        mut details,
        ..
    } = parsed;
    match kind {
        ErrorKind::ServiceDisabled => {
            details.activation_url = details
                .metadata
                .get("activationUrl")
                .and_then(|u| checked_url(u))
                .or_else(|| url_in(&message));
        }
        ErrorKind::NotFound if details.reason.as_deref() == Some(CONSUMER_INVALID) => {
            let project = details
                .metadata
                .get("containerInfo")
                .map(String::as_str)
                .or_else(|| {
                    details
                        .metadata
                        .get("consumer")
                        .map(|c| c.trim_start_matches("projects/"))
                })
                .unwrap_or("(unnamed)")
                .to_string();
            details.google_message = Some(std::mem::take(&mut message));
            message = consumer_invalid_message(
                &project,
                details.google_message.as_deref().unwrap_or_default(),
            );
        }
        _ => {}
    }
    ApiError {
        kind,
        message,
        http_status: Some(http_status),
        google_status: (!status.is_empty()).then_some(status),
        attempts: 1,
        details: Box::new(details),
    }
    .cap_message()
}

fn parse(e: GoogleError) -> Parsed {
    let mut details = ErrorDetails::default();
    let mut reasons = Vec::new();
    for d in &e.details {
        let Some(ty) = d.get("@type").and_then(|t| t.as_str()) else {
            continue;
        };
        if ty.ends_with("google.rpc.ErrorInfo") {
            let Some(r) = d.get("reason").and_then(|r| r.as_str()) else {
                continue;
            };
            reasons.push(r.to_string());
            if details.reason.is_none() {
                details.reason = Some(r.to_string());
                details.metadata = kept_metadata(d.get("metadata"));
            }
        } else if ty.ends_with("google.rpc.RetryInfo") && details.retry_delay.is_none() {
            details.retry_delay = d
                .get("retryDelay")
                .and_then(|v| v.as_str())
                .and_then(parse_proto_duration);
        }
    }
    for r in &e.errors {
        if !r.reason.is_empty() {
            reasons.push(r.reason.clone());
        }
    }
    if details.reason.is_none() {
        details.reason = e
            .errors
            .iter()
            .find(|r| !r.reason.is_empty())
            .map(|r| r.reason.clone());
    }
    Parsed {
        message: e.message,
        status: e.status,
        reasons,
        details,
    }
}

fn kind_of(http: u16, p: &Parsed) -> ErrorKind {
    let has = |r: &str| p.reasons.iter().any(|x| x == r);
    let status = p.status.as_str();
    let exhausted = http == 429 || status == "RESOURCE_EXHAUSTED";
    if http == 401 || status == "UNAUTHENTICATED" {
        ErrorKind::Auth
    } else if has(reason::SERVICE_DISABLED) || has(reason::ACCESS_NOT_CONFIGURED) {
        ErrorKind::ServiceDisabled
    } else if has(CONSUMER_INVALID) {
        ErrorKind::NotFound
    } else if has(reason::RESOURCE_QUOTA_EXCEEDED) || (exhausted && says_quota_exceeded(&p.message))
    {
        ErrorKind::QuotaExceeded
    } else if has(reason::RATE_LIMIT_EXCEEDED)
        || reason::RATE_LIMIT_LEGACY.iter().any(|r| has(r))
        || exhausted
    {
        ErrorKind::RateLimited
    } else {
        kind_of_status(http, status)
    }
}

/// The kind of a status without a deciding reason: the HTTP code, then Google's status.
fn kind_of_status(http: u16, status: &str) -> ErrorKind {
    match http {
        403 => ErrorKind::Permission,
        400 => ErrorKind::Invalid,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        408 | 500..=599 => ErrorKind::Unavailable,
        _ => match status {
            "PERMISSION_DENIED" => ErrorKind::Permission,
            "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => ErrorKind::Invalid,
            "NOT_FOUND" => ErrorKind::NotFound,
            "ALREADY_EXISTS" | "ABORTED" => ErrorKind::Conflict,
            "UNAVAILABLE" | "INTERNAL" | "DEADLINE_EXCEEDED" => ErrorKind::Unavailable,
            _ if (400..500).contains(&http) => ErrorKind::Invalid,
            _ => ErrorKind::Unavailable,
        },
    }
}

/// Whether Google's message says quota metrics exceed their limits ("The following quota
/// metrics exceed quota limits: ...", Vertex AI's answer to a create it cannot fit).
fn says_quota_exceeded(message: &str) -> bool {
    message.to_ascii_lowercase().contains("exceed quota limit")
}

/// The ErrorInfo metadata worth keeping, control characters dropped, values capped.
fn kept_metadata(metadata: Option<&serde_json::Value>) -> BTreeMap<String, String> {
    let Some(map) = metadata.and_then(|m| m.as_object()) else {
        return BTreeMap::new();
    };
    KEPT_METADATA
        .iter()
        .filter_map(|k| {
            let v = map.get(*k)?.as_str()?;
            let clean: String = v
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_METADATA_CHARS)
                .collect();
            Some((k.to_string(), clean))
        })
        .collect()
}

/// `url` when it is an `https://` URL without whitespace or control characters, at most
/// [`MAX_URL_CHARS`] long.
pub(crate) fn checked_url(url: &str) -> Option<String> {
    let ok = url.starts_with("https://")
        && url.len() > "https://".len()
        && url.chars().count() <= MAX_URL_CHARS
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| url.to_string())
}

/// The first `https://` URL in `message` ("... Enable it by visiting https://... then
/// retry."), trailing punctuation dropped.
fn url_in(message: &str) -> Option<String> {
    let start = message.find("https://")?;
    let rest = &message[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c.is_control() || c == '"' || c == '\'')
        .unwrap_or(rest.len());
    checked_url(rest[..end].trim_end_matches(['.', ',', ';', ')']))
}

/// A `google.protobuf.Duration` in JSON: seconds with up to 9 decimals and an `s`
/// (`"7s"`, `"0.5s"`, `"3.957525076s"`). Negative or malformed values give `None`.
pub(crate) fn parse_proto_duration(s: &str) -> Option<Duration> {
    let num = s.trim().strip_suffix('s')?;
    let (secs, frac) = num.split_once('.').unwrap_or((num, ""));
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: u64 = secs.parse().ok()?;
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    Some(Duration::new(secs, nanos))
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

#[cfg(test)]
#[path = "google_error_tests.rs"]
mod tests;
