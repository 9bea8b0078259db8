//! Following a submitted CustomJob until it runs or ends (SPEC §9 `launch --wait`, §10
//! Launch): `customJobs.get` every 10 s, each state change reported once with when it was
//! seen, until `JOB_STATE_RUNNING` or an ended state.
//!
//! The decisions are plain data ([`JobTracker`]: which answer is a change, where a state
//! leads; [`WaitPolicy`]: when to ask next), tested without tokio; [`follow`] only sleeps,
//! asks and reports, so `launch --wait` and the Launch screen share it.
//!
//! States are Google's `JobState`
//! (<https://cloud.google.com/vertex-ai/docs/reference/rest/v1/JobState>): `RUNNING` ("the job
//! is in progress") and `SUCCEEDED` end the wait well; `FAILED`, `CANCELLED`, `EXPIRED` and
//! `PARTIALLY_SUCCEEDED` end it badly, with the job's `error` (a `google.rpc.Status`, "only
//! populated when job's state is JOB_STATE_FAILED or JOB_STATE_CANCELLED", CustomJob in
//! <https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.customJobs>);
//! every other state (`QUEUED`, `PENDING`, `CANCELLING`, `PAUSED`, `UPDATING`, unknown ones)
//! is waited through.

use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::gcp::vertex::{CustomJob, JobStatus, VertexClient};
use crate::gcp::{ApiError, ErrorKind};

/// How often the job is asked for (SPEC §9).
pub const POLL_INTERVAL: Duration = Duration::from_secs(10);

/// The longest wait between two asks after failures (the interval doubles per failure).
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Failed asks in a row after which the job is given up on (about 4 minutes of backoff).
pub const MAX_FAILED_POLLS: u32 = 6;

/// Where a state leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not there yet: keep asking.
    Waiting,
    /// The job runs or ran to its end: the wait ends well (exit 0).
    Arrived,
    /// The job ended without running to success: the wait ends badly (exit 4).
    Ended,
}

impl Phase {
    /// The phase of Google's `state` (see the module docs).
    pub fn of(state: &str) -> Phase {
        match state {
            "JOB_STATE_RUNNING" | "JOB_STATE_SUCCEEDED" => Phase::Arrived,
            "JOB_STATE_FAILED"
            | "JOB_STATE_CANCELLED"
            | "JOB_STATE_EXPIRED"
            | "JOB_STATE_PARTIALLY_SUCCEEDED" => Phase::Ended,
            _ => Phase::Waiting,
        }
    }
}

/// A state seen for the first time (or again after another): `after` the follow began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    /// Google's state as answered (`JOB_STATE_PENDING`); `(not given)` when left out.
    pub state: String,
    pub after: Duration,
}

/// Which answers are changes, and where the last one leads. Plain data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobTracker {
    changes: Vec<StateChange>,
    /// Google's error on the last answer, when it carried one.
    error: Option<JobStatus>,
}

impl JobTracker {
    /// Take an answer seen `after` the follow began: the change it is, if its state differs
    /// from the last one seen.
    pub fn observe(&mut self, job: &CustomJob, after: Duration) -> Option<StateChange> {
        let state = if job.state.is_empty() {
            "(not given)".to_string()
        } else {
            job.state.clone()
        };
        self.error = job.error.clone();
        if self.changes.last().is_some_and(|c| c.state == state) {
            return None;
        }
        let change = StateChange { state, after };
        self.changes.push(change.clone());
        Some(change)
    }

    /// Every change seen, in order.
    pub fn changes(&self) -> &[StateChange] {
        &self.changes
    }

    /// The last state seen.
    pub fn state(&self) -> Option<&str> {
        self.changes.last().map(|c| c.state.as_str())
    }

    /// Where the last state leads (`Waiting` before any).
    pub fn phase(&self) -> Phase {
        self.state().map_or(Phase::Waiting, Phase::of)
    }

    /// Google's error of the last answer (set when the job failed or was cancelled).
    pub fn error(&self) -> Option<&JobStatus> {
        self.error.as_ref()
    }
}

/// When to ask next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitPolicy {
    /// Between two answers ([`POLL_INTERVAL`]).
    pub interval: Duration,
    /// The longest wait after failures ([`MAX_BACKOFF`]).
    pub max_backoff: Duration,
    /// Failed asks in a row before giving up ([`MAX_FAILED_POLLS`]).
    pub max_failures: u32,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        WaitPolicy {
            interval: POLL_INTERVAL,
            max_backoff: MAX_BACKOFF,
            max_failures: MAX_FAILED_POLLS,
        }
    }
}

impl WaitPolicy {
    /// The wait before the next ask after `failures` failed asks in a row: the interval,
    /// doubled per failure, at most `max_backoff` (never below the interval).
    pub fn delay(&self, failures: u32) -> Duration {
        let factor = 1u32 << failures.min(16);
        self.interval
            .saturating_mul(factor)
            .min(self.max_backoff.max(self.interval))
    }

    /// Whether to give up after `error`, the `failures`-th failed ask in a row: at once for
    /// an error asking again cannot mend (`permission`, `not_found`, `invalid`, `auth`: the
    /// client already renewed its token), else after `max_failures`.
    pub fn gives_up(&self, error: &ApiError, failures: u32) -> bool {
        matches!(
            error.kind,
            ErrorKind::Permission | ErrorKind::NotFound | ErrorKind::Invalid | ErrorKind::Auth
        ) || failures >= self.max_failures
    }
}

/// What [`follow`] reports as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitEvent {
    /// The job's state changed (the first answer, the submission's, is one too).
    Changed(StateChange),
    /// An ask failed; the next one is `retry_in` later.
    PollFailed {
        error: ApiError,
        failures: u32,
        retry_in: Duration,
    },
}

/// How a follow ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitEnd {
    /// `JOB_STATE_RUNNING` or `JOB_STATE_SUCCEEDED` (exit 0).
    Arrived { state: String, after: Duration },
    /// An ended state that is not success (exit 4), with Google's error when it gave one.
    Ended {
        state: String,
        error: Option<JobStatus>,
        after: Duration,
    },
    /// Asking failed too often, or for good (exit 4): the job may still run.
    Lost { error: ApiError, after: Duration },
}

/// Anything that can read a CustomJob by name: the Vertex AI client, or a fake in tests.
#[async_trait]
pub trait JobSource: Send + Sync {
    /// `customJobs.get` of `name`.
    async fn get_job(&self, name: &str) -> Result<CustomJob, ApiError>;
}

#[async_trait]
impl JobSource for VertexClient {
    async fn get_job(&self, name: &str) -> Result<CustomJob, ApiError> {
        self.get_custom_job(name).await
    }
}

/// Follow a submitted job through `source` until it runs or ends. `known` are the answers
/// already in hand, in order (the create's and the read-back's: their changes are reported at
/// 0 s); then one `customJobs.get` of the last one's name every `policy.interval` (backing off
/// after failures, giving up as [`WaitPolicy::gives_up`] says). Each state change and failed
/// ask goes to `report` as it happens. Runs on tokio's clock; drop the future to stop
/// following (the user left the screen, or quit).
///
/// # Panics
/// When `known` is empty (there is no job to follow).
pub async fn follow(
    source: &dyn JobSource,
    known: &[CustomJob],
    policy: WaitPolicy,
    report: &mut (dyn FnMut(WaitEvent) + Send),
) -> WaitEnd {
    let started = Instant::now();
    let mut tracker = JobTracker::default();
    let name = known.last().expect("a job to follow").name.clone();
    for job in known {
        if let Some(change) = tracker.observe(job, Duration::ZERO) {
            report(WaitEvent::Changed(change));
        }
    }
    loop {
        let after = started.elapsed();
        match tracker.phase() {
            Phase::Arrived => {
                let state = tracker.state().unwrap_or_default().to_string();
                return WaitEnd::Arrived { state, after };
            }
            Phase::Ended => {
                let state = tracker.state().unwrap_or_default().to_string();
                let error = tracker.error().cloned();
                return WaitEnd::Ended {
                    state,
                    error,
                    after,
                };
            }
            Phase::Waiting => {}
        }
        let job = match next_answer(source, &name, policy, &started, report).await {
            Ok(job) => job,
            Err(lost) => return lost,
        };
        if let Some(change) = tracker.observe(&job, started.elapsed()) {
            report(WaitEvent::Changed(change));
        }
    }
}

/// Wait the interval, then ask for the job until an answer comes (backing off, reporting
/// each failed ask) or the policy gives up (`Err`: how the follow ends).
async fn next_answer(
    source: &dyn JobSource,
    name: &str,
    policy: WaitPolicy,
    started: &Instant,
    report: &mut (dyn FnMut(WaitEvent) + Send),
) -> Result<CustomJob, WaitEnd> {
    let mut failures = 0u32;
    tokio::time::sleep(policy.delay(0)).await;
    loop {
        match source.get_job(name).await {
            Ok(job) => return Ok(job),
            Err(error) => {
                failures += 1;
                if policy.gives_up(&error, failures) {
                    let after = started.elapsed();
                    return Err(WaitEnd::Lost { error, after });
                }
                let retry_in = policy.delay(failures);
                report(WaitEvent::PollFailed {
                    error,
                    failures,
                    retry_in,
                });
                tokio::time::sleep(retry_in).await;
            }
        }
    }
}

#[cfg(test)]
#[path = "wait_tests.rs"]
mod tests;
