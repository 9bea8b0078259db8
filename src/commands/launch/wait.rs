//! `launch --wait`: follow the created job ([`crate::launch::follow`]) with one progress line
//! per state change (and per failed read) for stderr, and end as SPEC §9 says: exit 0 on
//! `JOB_STATE_RUNNING` or `JOB_STATE_SUCCEEDED`, 4 when the job ended otherwise (Google's
//! error shown, sanitised) or could not be read any more.

use std::time::Duration;

use serde_json::{Value, json};

use crate::durations::fmt_duration;
use crate::exit::Failure;
use crate::gcp::vertex::{CustomJob, VertexClient, console_jobs_url};
use crate::launch::{Created, StateChange, WaitEnd, WaitEvent, WaitPolicy, follow};
use crate::logs::timestamp;
use crate::sanitize::{Sanitized, sanitize};

/// A finished follow: how it ended and every state seen.
#[derive(Debug, Clone)]
pub struct Followed {
    pub end: WaitEnd,
    pub changes: Vec<StateChange>,
    /// The job's name (the project's, from its create).
    pub name: String,
}

/// Follow the `created` job (its state as created, then as read back) through `vertex` every
/// 10 s, sending each progress line to `progress` as it happens.
pub async fn follow_job(
    vertex: &VertexClient,
    created: &Created,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Followed {
    let job = &created.job;
    let as_created = CustomJob {
        state: created.created_state.clone(),
        error: None,
        ..job.clone()
    };
    let mut changes = Vec::new();
    let mut report = |event: WaitEvent| {
        let line = match &event {
            WaitEvent::Changed(c) => changed_line(c, changes.len()),
            WaitEvent::PollFailed {
                error, retry_in, ..
            } => format!(
                "{} could not read the job: {error}; next try in {}",
                timestamp(),
                fmt_duration(*retry_in)
            ),
        };
        progress(&line);
        if let WaitEvent::Changed(c) = event {
            changes.push(c);
        }
    };
    let end = follow(
        vertex,
        &[as_created, job.clone()],
        WaitPolicy::default(),
        &mut report,
    )
    .await;
    Followed {
        end,
        changes,
        name: job.name.clone(),
    }
}

/// `2026-11-21T02:47:14 JOB_STATE_PENDING (11s after the submission)`; the first line (`seen`
/// changes before it: 0), the state the create answered, says what follows; one at 0 s after
/// it is the read-back's.
fn changed_line(c: &StateChange, seen: usize) -> String {
    // The state came from the server: sanitised (SPEC §4).
    let state = sanitize(&c.state);
    if seen == 0 {
        format!(
            "{} {state} (submitted; following it every 10s until it runs or ends)",
            timestamp()
        )
    } else if c.after.is_zero() {
        format!("{} {state} (read back)", timestamp())
    } else {
        format!(
            "{} {state} ({} after the submission)",
            timestamp(),
            fmt_duration(c.after)
        )
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

impl Followed {
    /// One line for the report: `JOB_STATE_RUNNING after 21s (QUEUED → PENDING → RUNNING)`.
    pub fn summary(&self) -> String {
        let path: Vec<String> = self
            .changes
            .iter()
            .map(|c| sanitize(c.state.trim_start_matches("JOB_STATE_")))
            .collect();
        let path = path.join(" → ");
        match &self.end {
            WaitEnd::Arrived { state, after } | WaitEnd::Ended { state, after, .. } => format!(
                "{} after {} ({path})",
                sanitize(state),
                fmt_duration(*after)
            ),
            WaitEnd::Lost { error, after } => {
                format!("lost after {}: {error} ({path})", fmt_duration(*after))
            }
        }
    }

    /// `{"state", "after_ms", "states": [{"state", "after_ms"}], "error"}` for `--json`.
    pub fn json(&self) -> Value {
        let states: Vec<Value> = self
            .changes
            .iter()
            .map(|c| json!({"state": c.state, "after_ms": ms(c.after)}))
            .collect();
        let (state, after) = match &self.end {
            WaitEnd::Arrived { state, after } | WaitEnd::Ended { state, after, .. } => {
                (Some(state.as_str()), *after)
            }
            WaitEnd::Lost { after, .. } => (None, *after),
        };
        json!({"state": state, "after_ms": ms(after), "states": states})
    }

    /// `report` on stdout when the job arrived (exit 0); else exit 4 with what happened,
    /// Google's error (sanitised where it is printed) and the report.
    pub fn status(&self, report: String) -> Result<String, Failure> {
        let why = match &self.end {
            WaitEnd::Arrived { .. } => return Ok(report),
            WaitEnd::Ended { state, error, .. } => {
                let mut why = format!("the job ended {}", Sanitized::new(state));
                if let Some(e) = error
                    .as_ref()
                    .filter(|e| !e.message.is_empty() || e.code != 0)
                {
                    why.push_str(&format!(
                        ": {} (code {})",
                        Sanitized::new(&e.message),
                        e.code
                    ));
                }
                why
            }
            WaitEnd::Lost { error, .. } => {
                let project = self.name.split('/').nth(1).unwrap_or_default();
                format!(
                    "could not follow the job: {error}; it may still run: see {}",
                    console_jobs_url(project)
                )
            }
        };
        Err(Failure::api(format!(
            "{} ({})\n{}",
            why,
            self.summary(),
            report.trim_end()
        )))
    }
}
