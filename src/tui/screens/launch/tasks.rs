//! The Launch screen's network work, run in spawned tasks so the UI never waits: the fresh
//! check (`launch::fresh_check`, never the cache) and the submission (`launch::submit`, the
//! same function `quota-tui launch` uses: `customJobs.create` in ranked order past
//! `quota_exceeded`, then `customJobs.get` to read the job back).
//!
//! Each task ends with one [`LaunchEvent`], which the app hands back to the screen as a task
//! payload ([`crate::tui::task`]); a task ends early when the app's queue closes (the UI
//! quit). Tasks never touch the terminal.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::catalog::{Capacity, GpuType};
use crate::gcp::ApiError;
use crate::gcp::QuotaSource;
use crate::gcp::vertex::{CustomJob, VertexClient};
use crate::launch::{FreshCheck, JobSource, LaunchPlan, Submission, fresh_check, submit};
use crate::store::QuotaStore;
use crate::tui::toast::ToastLevel;

/// What the Launch screen talks to (SPEC §10 Launch).
#[derive(Clone)]
pub struct LaunchClients {
    /// The project jobs go to (the demo's own in demo mode).
    pub project: String,
    /// Answers the fresh checks: the Service Usage client (never the cache).
    pub quota: Arc<dyn QuotaSource>,
    /// Submits and reads CustomJobs; `None` when no Vertex AI client could be made (the
    /// screen then says so instead of submitting).
    pub vertex: Option<Arc<VertexClient>>,
}

impl fmt::Debug for LaunchClients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LaunchClients")
            .field("project", &self.project)
            .field("vertex", &self.vertex.is_some())
            .finish_non_exhaustive()
    }
}

/// The end of a Launch screen task: the payload of its `Event::Task`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchEvent {
    /// A fresh check of one GPU type in every region finished.
    Checked(FreshCheck),
    /// A submission finished: the regions that refused for quota, and the job or why there
    /// is none.
    Submitted(Box<Submission>),
    /// One `customJobs.get` of the job being followed (`name`) answered: the job as read, or
    /// why it could not be read.
    Polled {
        name: String,
        job: Box<Result<CustomJob, ApiError>>,
    },
}

impl LaunchEvent {
    /// A toast for when the event lands while another screen is shown.
    pub fn toast(&self) -> (String, ToastLevel) {
        match self {
            LaunchEvent::Checked(f) => (
                format!(
                    "🔎 Fresh {} check: quota in {} of {} regions ({:.2}s)",
                    f.gpu,
                    f.found(),
                    f.results.len(),
                    f.elapsed.as_secs_f64()
                ),
                if f.fails() > 0 {
                    ToastLevel::Warn
                } else {
                    ToastLevel::Ok
                },
            ),
            LaunchEvent::Submitted(s) => match &s.outcome {
                Ok(c) => (
                    format!(
                        "🚀 Job submitted in {}: {} ({})",
                        c.plan.region, c.job.display_name, c.job.state
                    ),
                    ToastLevel::Ok,
                ),
                Err(_) => (format!("💥 {}", s.summary()), ToastLevel::Error),
            },
            LaunchEvent::Polled { job, .. } => match job.as_ref() {
                Ok(job) => (
                    format!("🚀 Job {}: {}", job.display_name, job.state),
                    ToastLevel::Ok,
                ),
                Err(e) => (format!("💥 Could not read the job: {e}"), ToastLevel::Warn),
            },
        }
    }
}

/// The fresh check of `gpu` for `capacity` in `regions` (preference order) through `quota`:
/// it writes its `QUOTA_TIMING (FRESH, launch <type>)` entry, and what it read into `cache`
/// (keyed by the checks of `capacity`) when given.
pub async fn check(
    gpu: GpuType,
    capacity: Capacity,
    regions: Vec<String>,
    quota: Arc<dyn QuotaSource>,
    cache: Option<Arc<dyn QuotaStore>>,
) -> LaunchEvent {
    LaunchEvent::Checked(fresh_check(gpu, capacity, &regions, quota, cache.as_deref()).await)
}

/// The submission of `plan` in `project`, asking `regions` in order (`launch::create_order`;
/// a region is left only after a `quota_exceeded` refusal, see [`submit`]).
pub async fn submission(
    vertex: Arc<VertexClient>,
    project: String,
    plan: LaunchPlan,
    regions: Vec<String>,
) -> LaunchEvent {
    let submission = submit(&vertex, &project, &plan, &regions).await;
    tracing::info!("launch: {}", submission.summary());
    LaunchEvent::Submitted(Box::new(submission))
}

/// One ask of the job being followed: wait `delay` (tokio clock), then `customJobs.get` of
/// `name` through `source` (the Vertex AI client: Google's
/// [`projects.locations.customJobs.get`](https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.customJobs/get),
/// retried as any read). Dropping or aborting the task stops the follow.
pub async fn poll(source: Arc<dyn JobSource>, name: String, delay: Duration) -> LaunchEvent {
    tokio::time::sleep(delay).await;
    let job = source.get_job(&name).await;
    LaunchEvent::Polled {
        name,
        job: Box::new(job),
    }
}
