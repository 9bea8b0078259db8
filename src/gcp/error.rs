//! Errors of the Google APIs, classified as SPEC §4 says.
//!
//! Google's error body is `{"error": {"code": 403, "message": "...", "status":
//! "PERMISSION_DENIED", "errors": [{"reason": "..."}], "details": [...]}}`
//! (<https://cloud.google.com/apis/design/errors>). The classification keeps Google's message.
//! What the `details` said that decides what to do (the `google.rpc.ErrorInfo` reason and
//! metadata, the `google.rpc.RetryInfo` delay) is kept in [`ErrorDetails`].

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The class of a failed API call (SPEC §4; `error.kind` of `check --json`, SPEC §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// 401 / `UNAUTHENTICATED`, or no credentials at all.
    Auth,
    /// 403 / `PERMISSION_DENIED`: never retried, never shown as a zero quota.
    Permission,
    /// Reason `RATE_LIMIT_EXCEEDED` / `rateLimitExceeded` (429 or 403), or a 429 without a
    /// quota reason: retried.
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

/// What Google's `error.details` (and the legacy `errors[].reason`) said about a failure:
/// the reason that classified it, the metadata that names the API and the project, the
/// activation URL of a disabled API, and how long Google asked us to wait.
///
/// Reasons and metadata keys are Google's: `google.api.ErrorReason` in
/// <https://github.com/googleapis/googleapis/blob/master/google/api/error_reason.proto>
/// (`SERVICE_DISABLED`, `CONSUMER_INVALID`, `RATE_LIMIT_EXCEEDED`, `RESOURCE_QUOTA_EXCEEDED`,
/// with metadata `service`, `consumer`, and for a disabled API `serviceTitle`,
/// `containerInfo` and `activationUrl`, as Google's answers show, e.g.
/// <https://github.com/google-gemini/gemini-cli/issues/1343>); `retryDelay` is
/// `google.rpc.RetryInfo` of
/// <https://github.com/googleapis/googleapis/blob/master/google/rpc/error_details.proto>.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorDetails {
    /// The `google.rpc.ErrorInfo` reason (`SERVICE_DISABLED`, ...), else the first legacy
    /// `errors[].reason` (`accessNotConfigured`, `rateLimitExceeded`, ...).
    pub reason: Option<String>,
    /// The ErrorInfo metadata kept (`service`, `serviceTitle`, `consumer`, `containerInfo`,
    /// `activationUrl`, `quota_metric`, `quota_limit`), each value capped at
    /// [`MAX_METADATA_CHARS`] characters.
    pub metadata: BTreeMap<String, String>,
    /// Where the API is enabled: ErrorInfo metadata `activationUrl`, else the first
    /// `https://` URL of Google's message. Only set for `ServiceDisabled`; always an
    /// `https://` URL without whitespace or control characters.
    pub activation_url: Option<String>,
    /// `google.rpc.RetryInfo.retryDelay`, when the body had one.
    pub retry_delay: Option<Duration>,
    /// Google's own `error.message`, kept here when [`ApiError::message`] is worded for
    /// people (a `CONSUMER_INVALID` refusal).
    pub google_message: Option<String>,
}

/// Longest ErrorInfo metadata value kept, in characters (longer values are cut).
pub const MAX_METADATA_CHARS: usize = 300;

impl ErrorDetails {
    /// ErrorInfo metadata `service`: the API that refused, e.g. `serviceusage.googleapis.com`.
    pub fn service(&self) -> Option<&str> {
        self.metadata.get("service").map(String::as_str)
    }

    /// ErrorInfo metadata `serviceTitle`, e.g. `Service Usage API`.
    pub fn service_title(&self) -> Option<&str> {
        self.metadata.get("serviceTitle").map(String::as_str)
    }
}

/// A failed call to a Google API (or the embedded fake), with Google's message kept.
///
/// `Display` gives e.g. `rate limited after 3 tries (429 RESOURCE_EXHAUSTED): Quota exceeded`.
/// Never carries a token. Saved and shared with the store's entries (SPEC §11); one read
/// back from outside goes through [`ApiError::checked`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
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
    /// What Google's `error.details` said (reason, metadata, activation URL, retry delay);
    /// empty for local failures. Boxed so a `Result<_, ApiError>` stays small.
    #[serde(default)]
    pub details: Box<ErrorDetails>,
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
            details: Box::default(),
        }
    }

    /// The ErrorInfo (or legacy) reason, when Google gave one.
    pub fn reason(&self) -> Option<&str> {
        self.details.reason.as_deref()
    }

    /// The same error as met by a client of `project`: a `CONSUMER_INVALID` refusal is
    /// worded "project P not found, or you have no access to it" (SPEC §4), with Google's
    /// message kept after it. Other errors are returned unchanged.
    pub fn in_project(mut self, project: &str) -> Self {
        if self.kind == ErrorKind::NotFound && self.reason() == Some(CONSUMER_INVALID) {
            let google = self.details.google_message.as_deref().unwrap_or_default();
            self.message = consumer_invalid_message(project, google);
        }
        self
    }

    /// For a `ServiceDisabled` error, the one line that says which API to enable and where:
    /// `Service Usage API (serviceusage.googleapis.com) is not enabled in project P: enable
    /// it at URL`. `fallback_api` names the API when Google's metadata does not (the
    /// service the request was for). `None` for other kinds.
    pub fn service_disabled_line(&self, fallback_api: &str) -> Option<String> {
        if self.kind != ErrorKind::ServiceDisabled {
            return None;
        }
        let d = &self.details;
        let api = match (d.service_title(), d.service()) {
            (Some(title), Some(service)) => format!("{title} ({service})"),
            (None, Some(service)) => service.to_string(),
            (Some(title), None) => title.to_string(),
            (None, None) => fallback_api.to_string(),
        };
        let project = d
            .metadata
            .get("containerInfo")
            .map(String::as_str)
            .or_else(|| {
                d.metadata
                    .get("consumer")
                    .map(|c| c.trim_start_matches("projects/"))
            });
        let mut line = match project {
            Some(p) => format!("{api} is not enabled in project {p}"),
            None => format!("{api} is not enabled"),
        };
        match &d.activation_url {
            Some(url) => line.push_str(&format!(": enable it at {url}")),
            None => line.push_str(&format!(": {}", self.message)),
        }
        Some(line)
    }
}

/// ErrorInfo reason of a request for a project that does not exist or is not visible
/// (`google.api.ErrorReason.CONSUMER_INVALID`).
pub const CONSUMER_INVALID: &str = "CONSUMER_INVALID";

/// "project P not found, or you have no access to it (Google: ...)".
pub(crate) fn consumer_invalid_message(project: &str, google: &str) -> String {
    if google.is_empty() {
        format!("project {project} not found, or you have no access to it")
    } else {
        format!("project {project} not found, or you have no access to it (Google: {google})")
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
        if let Some(m) = &mut self.details.google_message {
            crate::sanitize::truncate_bytes(m, MAX_MESSAGE_BYTES);
        }
        self
    }

    /// The same error made safe to keep after it came back from outside the process (a
    /// snapshot file, another instance through Redis; SPEC §11): every text capped as
    /// [`ApiError::cap_message`] does, at most 16 metadata entries (keys cut to 64 bytes,
    /// values to [`MAX_METADATA_CHARS`] characters), the reason cut to 128 bytes, and an
    /// activation URL kept only when it is an `https://` URL without whitespace or control
    /// characters. Text is still sanitised where it is shown, as every error's is.
    pub fn checked(self) -> Self {
        let mut e = self.cap_message();
        let d = &mut *e.details;
        if let Some(r) = &mut d.reason {
            crate::sanitize::truncate_bytes(r, 128);
        }
        d.metadata = std::mem::take(&mut d.metadata)
            .into_iter()
            .take(16)
            .map(|(mut k, v)| {
                crate::sanitize::truncate_bytes(&mut k, 64);
                (k, v.chars().take(MAX_METADATA_CHARS).collect())
            })
            .collect();
        d.activation_url = d
            .activation_url
            .take()
            .and_then(|u| super::google_error::checked_url(&u));
        e
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
#[path = "error_tests.rs"]
mod tests;
