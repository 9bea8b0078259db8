//! The retry loop both Google clients share (SPEC §4): attempts until success, a final
//! error, or the deadline; one new token after a 401; exponential backoff with jitter
//! (backon) for `rate_limited` and `unavailable`, never shorter than what the server asked
//! for (`Retry-After` in seconds or as an HTTP-date, or `google.rpc.RetryInfo.retryDelay` in
//! the body, whichever is longer); everything inside one deadline.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::error::{ApiError, ErrorKind};
use super::serviceusage::RetryPolicy;
use crate::durations::fmt_duration;

/// A failed attempt: the error (whose `details.retry_delay` is the body's RetryInfo), the
/// server's `Retry-After`, and whether the server certainly made nothing (so even a
/// non-idempotent request may be sent again).
#[derive(Debug)]
pub(crate) struct AttemptFailure {
    pub error: ApiError,
    pub retry_after: Option<Duration>,
    pub nothing_made: bool,
}

impl From<ApiError> for AttemptFailure {
    /// A local failure before any request was sent (e.g. no token): nothing was made.
    fn from(error: ApiError) -> Self {
        AttemptFailure {
            error,
            retry_after: None,
            nothing_made: true,
        }
    }
}

/// How the loop ended without success.
#[derive(Debug)]
pub(crate) enum RetryEnd {
    /// The deadline passed during an attempt: the last retryable error (with its attempts),
    /// or `Timeout` if none came back.
    Deadline(ApiError),
    /// An error that is not retried here; `nothing_made` as the attempt reported it.
    Final { error: ApiError, nothing_made: bool },
    /// A retryable error with no time left in the deadline for another try.
    NoTimeLeft(ApiError),
}

impl RetryEnd {
    /// The error, whichever way the loop ended.
    pub fn into_error(self) -> ApiError {
        match self {
            RetryEnd::Deadline(e) | RetryEnd::NoTimeLeft(e) | RetryEnd::Final { error: e, .. } => e,
        }
    }
}

/// Run `attempt(n, renew_token)` (n from 1) until it succeeds or the loop ends, within
/// `policy.deadline`. A 401 gets one more attempt with `renew_token = true`. Retryable
/// errors are retried only while `may_replay(&failure)` allows it. Returns the value and the
/// attempts it took.
pub(crate) async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    url: &str,
    mut attempt: F,
    may_replay: impl Fn(&AttemptFailure) -> bool,
) -> Result<(T, u32), RetryEnd>
where
    F: FnMut(u32, bool) -> Fut,
    Fut: Future<Output = Result<T, AttemptFailure>>,
{
    let deadline = Instant::now() + policy.deadline;
    let mut backoff = policy.backoff();
    let mut attempts = 0u32;
    let mut renew_token = false;
    let mut renewed = false;
    let mut last_retryable: Option<ApiError> = None;
    loop {
        attempts += 1;
        let failure = match tokio::time::timeout_at(deadline, attempt(attempts, renew_token)).await
        {
            Ok(Ok(value)) => return Ok((value, attempts)),
            Ok(Err(failure)) => failure,
            Err(_elapsed) => {
                return Err(RetryEnd::Deadline(deadline_passed(
                    policy.deadline,
                    last_retryable,
                    attempts,
                )));
            }
        };
        renew_token = false;
        let mut error = failure.error.clone();
        error.attempts = attempts;
        if error.kind == ErrorKind::Auth && error.http_status == Some(401) && !renewed {
            tracing::debug!(%url, "401: getting a new token and trying once more");
            renew_token = true;
            renewed = true;
            continue;
        }
        if !error.kind.is_retryable() || !may_replay(&failure) {
            return Err(RetryEnd::Final {
                error,
                nothing_made: failure.nothing_made,
            });
        }
        let delay = backoff
            .next()
            .unwrap_or(policy.max_delay)
            .max(server_delay(&failure));
        if Instant::now() + delay >= deadline {
            tracing::debug!(%url, attempts, "no time left in the deadline for a retry");
            return Err(RetryEnd::NoTimeLeft(error));
        }
        tracing::debug!(%url, attempts, delay_ms = delay.as_millis() as u64, error = %error, "retrying");
        last_retryable = Some(error);
        tokio::time::sleep(delay).await;
    }
}

/// How long the server asked us to wait: the longer of `Retry-After` and the body's
/// `google.rpc.RetryInfo.retryDelay` (zero when it asked nothing).
fn server_delay(failure: &AttemptFailure) -> Duration {
    failure
        .retry_after
        .unwrap_or_default()
        .max(failure.error.details.retry_delay.unwrap_or_default())
}

/// The error when the deadline passes during attempt number `attempts`.
fn deadline_passed(
    deadline: Duration,
    last_retryable: Option<ApiError>,
    attempts: u32,
) -> ApiError {
    let deadline = fmt_duration(deadline);
    match last_retryable {
        Some(mut e) => {
            e.attempts = attempts;
            e.message = format!(
                "{}; then no answer within the {deadline} deadline",
                e.message
            );
            e
        }
        None => ApiError {
            attempts,
            ..ApiError::new(
                ErrorKind::Timeout,
                format!("no answer within the {deadline} deadline"),
            )
        },
    }
}
