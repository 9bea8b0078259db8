//! Errors of the Google APIs, classified as SPEC §4 says.
//!
//! Google's error body is `{"error": {"code": 403, "message": "...", "status":
//! "PERMISSION_DENIED", "errors": [{"reason": "..."}], "details": [...]}}`
//! (<https://cloud.google.com/apis/design/errors>). The classification keeps Google's message.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The class of a failed API call (SPEC §4; `error.kind` of `check --json`, SPEC §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// 401 / `UNAUTHENTICATED`, or no credentials at all.
    Auth,
    /// 403 / `PERMISSION_DENIED`: never retried, never shown as a zero quota.
    Permission,
    /// 429 / `RESOURCE_EXHAUSTED`, or 403 with reason `rateLimitExceeded`: retried.
    RateLimited,
    /// 403 with reason `SERVICE_DISABLED` or `accessNotConfigured`: the API is not enabled in
    /// the project; Google's message (or ErrorInfo metadata `activationUrl`) gives the URL to
    /// enable it. Not retried.
    ServiceDisabled,
    /// 429 whose reason or message says quota metrics exceed their limits
    /// (`RESOURCE_QUOTA_EXCEEDED`, "exceed quota limits"; Vertex AI answers a create this way):
    /// final, never retried.
    QuotaExceeded,
    /// 400 / `INVALID_ARGUMENT`: the request was refused as malformed.
    Invalid,
    /// 404 / `NOT_FOUND` (or 403 `CONSUMER_INVALID`): unknown project or metric.
    NotFound,
    /// 409 / `ALREADY_EXISTS`.
    Conflict,
    /// 500, 502, 503, 504 / `UNAVAILABLE`, or a connection failure: retried.
    Unavailable,
    /// The per-check deadline passed (retries included).
    Timeout,
    /// The body was not the expected JSON, or no bucket / no numeric `effectiveLimit`.
    Parse,
}

impl ErrorKind {
    /// The snake_case name used in JSON and logs (`rate_limited`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Auth => "auth",
            ErrorKind::Permission => "permission",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::ServiceDisabled => "service_disabled",
            ErrorKind::QuotaExceeded => "quota_exceeded",
            ErrorKind::Invalid => "invalid",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Parse => "parse",
        }
    }

    /// Human words for logs and screens: `permission denied`, `rate limited`, ...
    pub fn describe(self) -> &'static str {
        match self {
            ErrorKind::Auth => "authentication failed",
            ErrorKind::Permission => "permission denied",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::ServiceDisabled => "API not enabled",
            ErrorKind::QuotaExceeded => "quota exceeded",
            ErrorKind::Invalid => "invalid request",
            ErrorKind::NotFound => "not found",
            ErrorKind::Conflict => "already exists",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Parse => "unreadable answer",
        }
    }

    /// Whether SPEC §4 retries this class within the deadline.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::RateLimited | ErrorKind::Unavailable)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed call to a Google API (or the embedded fake), with Google's message kept.
///
/// `Display` gives e.g. `rate limited after 3 tries (429 RESOURCE_EXHAUSTED): Quota exceeded`.
/// Never carries a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ApiError {
    pub kind: ErrorKind,
    /// Google's `error.message`, or what went wrong locally.
    pub message: String,
    /// HTTP status, when an answer came.
    pub http_status: Option<u16>,
    /// Google's `error.status` (`PERMISSION_DENIED`, ...), when the body had one.
    pub google_status: Option<String>,
    /// Attempts made, retries included (1 when not retried).
    pub attempts: u32,
}

impl ApiError {
    /// An error of `kind` with `message`, no HTTP status, one attempt.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            http_status: None,
            google_status: None,
            attempts: 1,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.describe())?;
        if self.attempts > 1 {
            write!(f, " after {} tries", self.attempts)?;
        }
        match (self.http_status, &self.google_status) {
            (Some(code), Some(status)) => write!(f, " ({code} {status})")?,
            (Some(code), None) => write!(f, " ({code})")?,
            _ => {}
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}
