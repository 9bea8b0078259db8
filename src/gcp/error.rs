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

/// Most bytes of a message an `ApiError` keeps ([`ApiError::cap_message`]): 2 KiB, four
/// times Google's longest useful messages. With response bodies capped (64 KiB for an
/// error), what the cache and the warmer's event channel hold stays small.
pub const MAX_MESSAGE_BYTES: usize = 2 * 1024;

impl ApiError {
    /// The same error with its message cut to [`MAX_MESSAGE_BYTES`] (on a character boundary,
    /// `…(N bytes more)` appended when cut). Errors are capped when they are classified and
    /// when the cache stores them.
    pub fn cap_message(mut self) -> Self {
        crate::sanitize::truncate_bytes(&mut self.message, MAX_MESSAGE_BYTES);
        if let Some(s) = &mut self.google_status {
            crate::sanitize::truncate_bytes(s, 64);
        }
        self
    }

    /// The text of `Display` with Google's message and status as they came, neither
    /// sanitised nor shortened for display (cut only to [`MAX_MESSAGE_BYTES`]): for JSON
    /// output, where serde escapes it (SPEC §9 `error.message`).
    pub fn unsanitized_text(&self) -> String {
        let mut message = self.message.clone();
        crate::sanitize::truncate_bytes(&mut message, MAX_MESSAGE_BYTES);
        let status = self.google_status.as_deref().map(|s| {
            let mut s = s.to_string();
            crate::sanitize::truncate_bytes(&mut s, 64);
            s
        });
        DisplayParts {
            error: self,
            message: &message,
            google_status: status.as_deref(),
        }
        .to_string()
    }
}

/// The pieces of an `ApiError`'s text, with its outside parts already made fit to show.
struct DisplayParts<'a, M: fmt::Display, S: fmt::Display> {
    error: &'a ApiError,
    message: M,
    google_status: Option<S>,
}

impl<M: fmt::Display, S: fmt::Display> fmt::Display for DisplayParts<'_, M, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.error;
        f.write_str(e.kind.describe())?;
        if e.attempts > 1 {
            write!(f, " after {} tries", e.attempts)?;
        }
        match (e.http_status, &self.google_status) {
            (Some(code), Some(status)) => write!(f, " ({code} {status})")?,
            (Some(code), None) => write!(f, " ({code})")?,
            _ => {}
        }
        if !e.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl fmt::Display for ApiError {
    /// `rate limited after 3 tries (429 RESOURCE_EXHAUSTED): Quota exceeded`, with Google's
    /// message and status sanitised ([`crate::sanitize::Sanitized`]): control characters
    /// and escape sequences made visible, newlines folded, the message capped at
    /// [`crate::sanitize::MAX_CHARS`] characters. Fit for a log line, stderr or the screen.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::sanitize::Sanitized;
        DisplayParts {
            error: self,
            message: Sanitized::new(&self.message),
            google_status: self
                .google_status
                .as_deref()
                .map(|s| Sanitized::new(s).max_chars(64)),
        }
        .fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hostile() -> ApiError {
        let mut e = ApiError::new(
            ErrorKind::Permission,
            "no\u{1b}[2J\n2026-11-21T02:45:33 ✅ CACHE_WARM_COMPLETE: forged",
        );
        e.http_status = Some(403);
        e.google_status = Some("PERMISSION\u{1b}]0;t\u{7}".to_string());
        e
    }

    #[test]
    fn display_sanitises_google_text_and_json_text_keeps_it() {
        let e = hostile();
        assert_eq!(
            e.to_string(),
            "permission denied (403 PERMISSION\\u{1b}]0;t\\u{7}): no\\u{1b}[2J⏎2026-11-21T02:45:33 ✅ CACHE_WARM_COMPLETE: forged"
        );
        assert_eq!(
            e.unsanitized_text(),
            "permission denied (403 PERMISSION\u{1b}]0;t\u{7}): no\u{1b}[2J\n2026-11-21T02:45:33 ✅ CACHE_WARM_COMPLETE: forged"
        );
    }

    #[test]
    fn messages_are_capped_when_kept_and_when_shown() {
        let e = ApiError::new(ErrorKind::Unavailable, "x".repeat(20 << 20)).cap_message();
        assert_eq!(
            e.message,
            format!(
                "{}…({} bytes more)",
                "x".repeat(MAX_MESSAGE_BYTES),
                (20 << 20) - MAX_MESSAGE_BYTES
            )
        );
        let shown = e.to_string();
        assert!(shown.len() < 600, "{}", shown.len());
        assert!(shown.starts_with("unavailable: xxx"), "{shown}");
        assert!(shown.ends_with("bytes more)"), "the tail is kept: {shown}");
        let raw = ApiError::new(ErrorKind::Unavailable, "y".repeat(1 << 20)).unsanitized_text();
        assert!(raw.len() < MAX_MESSAGE_BYTES + 100, "{}", raw.len());
    }
}
