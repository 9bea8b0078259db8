//! The Launch screen following the job it submitted (issue 13, SPEC §10 Launch): one
//! `customJobs.get` every [`WaitPolicy::interval`] (10 s; doubled per failed ask, at most
//! [`WaitPolicy::max_backoff`]), each in its own task ([`tasks::poll`]), each answer folded
//! into the same [`JobTracker`] `launch --wait` uses, each state change kept with the wall
//! time it was seen, until `JOB_STATE_RUNNING` or an ended state ([`Phase`]). It stops when
//! the user leaves the screen ([`Follow::stop`], from `on_leave`: the task in flight is
//! aborted) and when the app quits (the queue closes: the task ends unheard).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::tasks::{self, LaunchEvent};
use crate::gcp::ApiError;
use crate::gcp::vertex::CustomJob;
use crate::launch::{Created, JobSource, JobTracker, Phase, WaitPolicy};
use crate::tui::screens::ScreenCtx;

/// Where a follow stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FollowStatus {
    /// The next `customJobs.get` is due at `next_at` (tokio clock), or is in flight.
    Polling { next_at: Instant },
    /// `JOB_STATE_RUNNING` or `JOB_STATE_SUCCEEDED`: followed to the end of the wait.
    Arrived,
    /// An ended state that is not success (`JOB_STATE_FAILED`, ...).
    Ended,
    /// Asking failed for good, or too often ([`WaitPolicy::gives_up`]): the job may still run.
    Lost(ApiError),
    /// The user left the screen: no more asks.
    Stopped,
}

/// A submitted job being followed: its name, the tracker of its states, when each change
/// was seen (wall clock), the failed asks in a row, and the ask in flight.
pub(super) struct Follow {
    /// `projects/P/locations/R/customJobs/ID`, as created.
    pub name: String,
    pub tracker: JobTracker,
    /// The wall time of each of `tracker.changes()`, in the same order.
    pub seen: Vec<DateTime<Utc>>,
    pub status: FollowStatus,
    /// The last failed ask (cleared by an answer) and when the next one goes.
    pub last_failure: Option<(ApiError, Duration)>,
    policy: WaitPolicy,
    source: Arc<dyn JobSource>,
    started: Instant,
    failures: u32,
    task: Option<JoinHandle<()>>,
}

impl Follow {
    /// Follow `created` (its state as created, then as read back: both seen now) through
    /// `source`, asking as `policy` says; the first ask is spawned unless the job already
    /// runs or ended, or `shown` is false (the submission was answered after the user left
    /// the screen: the follow starts stopped, `f` resumes it).
    pub fn start(
        created: &Created,
        source: Arc<dyn JobSource>,
        policy: WaitPolicy,
        shown: bool,
        ctx: &mut ScreenCtx,
    ) -> Follow {
        let job = &created.job;
        let as_created = CustomJob {
            state: created.created_state.clone(),
            error: None,
            ..job.clone()
        };
        let mut follow = Follow {
            name: job.name.clone(),
            tracker: JobTracker::default(),
            seen: Vec::new(),
            status: FollowStatus::Stopped,
            last_failure: None,
            policy,
            source,
            started: ctx.view().now(),
            failures: 0,
            task: None,
        };
        for j in [&as_created, job] {
            follow.observe(j, ctx);
        }
        match (follow.tracker.phase(), shown) {
            (Phase::Waiting, false) => follow.status = FollowStatus::Stopped,
            _ => follow.next(ctx),
        }
        follow
    }

    /// Whether asks are still going on.
    pub fn polling(&self) -> bool {
        matches!(self.status, FollowStatus::Polling { .. })
    }

    /// The user left the screen: abort the ask in flight and ask no more.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if self.polling() {
            self.status = FollowStatus::Stopped;
        }
    }

    /// `f`: follow again after the user left the screen or asking failed: ask now, then
    /// every interval. False when the follow is still going or the job ran or ended.
    pub fn resume(&mut self, ctx: &mut ScreenCtx) -> bool {
        if !matches!(self.status, FollowStatus::Stopped | FollowStatus::Lost(_)) {
            return false;
        }
        self.failures = 0;
        self.last_failure = None;
        self.spawn(Duration::ZERO, ctx);
        true
    }

    /// An ask answered (`event` a [`LaunchEvent::Polled`]): fold it in and ask again if the
    /// job is still on its way. False when it is not for this follow or the follow stopped.
    pub fn land(&mut self, event: &LaunchEvent, ctx: &mut ScreenCtx) -> bool {
        let LaunchEvent::Polled { name, job } = event else {
            return false;
        };
        if *name != self.name || !self.polling() {
            return false;
        }
        // One ask at a time: this answer ends the one in flight (a no-op when it is the
        // task that answered).
        if let Some(task) = self.task.take() {
            task.abort();
        }
        match job.as_ref() {
            Ok(job) => {
                self.failures = 0;
                self.last_failure = None;
                self.observe(job, ctx);
                self.next(ctx);
            }
            Err(error) => {
                self.failures += 1;
                if self.policy.gives_up(error, self.failures) {
                    self.status = FollowStatus::Lost(error.clone());
                    self.last_failure = None;
                } else {
                    let retry_in = self.policy.delay(self.failures);
                    self.last_failure = Some((error.clone(), retry_in));
                    self.spawn(retry_in, ctx);
                }
            }
        }
        true
    }

    fn observe(&mut self, job: &CustomJob, ctx: &ScreenCtx) {
        let after = ctx.view().now().saturating_duration_since(self.started);
        if self.tracker.observe(job, after).is_some() {
            self.seen.push(ctx.view().wall_now());
        }
    }

    /// After an answer: stop where the state leads there, else ask again in an interval.
    fn next(&mut self, ctx: &mut ScreenCtx) {
        match self.tracker.phase() {
            Phase::Arrived => self.status = FollowStatus::Arrived,
            Phase::Ended => self.status = FollowStatus::Ended,
            Phase::Waiting => self.spawn(self.policy.delay(0), ctx),
        }
    }

    fn spawn(&mut self, delay: Duration, ctx: &mut ScreenCtx) {
        self.status = FollowStatus::Polling {
            next_at: ctx.view().now() + delay,
        };
        self.task = Some(ctx.spawn(
            "launch: job state",
            tasks::poll(self.source.clone(), self.name.clone(), delay),
        ));
    }
}

impl std::fmt::Debug for Follow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follow")
            .field("name", &self.name)
            .field("tracker", &self.tracker)
            .field("status", &self.status)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
#[path = "follow_tests.rs"]
mod tests;
