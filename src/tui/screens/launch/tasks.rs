//! The Launch screen's network work, run in spawned tasks so the UI never waits: the fresh
//! check (`launch::fresh_check`, never the cache) and the submission (Vertex AI
//! `customJobs.create`, then `customJobs.get` to read the job back).
//!
//! Each task sends one [`LaunchEvent`] into the app's one event queue when it ends, and ends
//! early without a word when the queue closes (the UI quit). Tasks never touch the terminal.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::cache::QuotaCache;
use crate::catalog::{Capacity, GpuType};
use crate::gcp::vertex::{CustomJob, VertexClient, console_url};
use crate::gcp::{ApiError, QuotaSource};
use crate::launch::{FreshCheck, LaunchPlan, WarmCache, fresh_check};
use crate::tui::event::Event;
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

/// A job the Launch screen submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedJob {
    /// The job as read back by `customJobs.get`, or as `customJobs.create` returned it when
    /// the read-back failed.
    pub job: CustomJob,
    /// Its Cloud Console page.
    pub console_url: String,
    /// Why reading the job back failed (the job exists all the same).
    pub read_back_error: Option<ApiError>,
}

/// The end of a Launch screen task, delivered as `Event::Launch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchEvent {
    /// A fresh check of one GPU type in every region finished.
    Checked(FreshCheck),
    /// A submission finished: the job, or the classified error of `customJobs.create`.
    Submitted(Result<Box<SubmittedJob>, ApiError>),
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
            LaunchEvent::Submitted(Ok(s)) => (
                format!("🚀 Job submitted: {} ({})", s.job.display_name, s.job.state),
                ToastLevel::Ok,
            ),
            LaunchEvent::Submitted(Err(e)) => (
                format!("💥 Submission failed: {}", e.kind.describe()),
                ToastLevel::Error,
            ),
        }
    }
}

/// The warmer's cache and the capacity its GPU entries hold: where a fresh check may write
/// what it read ([`WarmCache`]).
pub type CacheTarget = (Arc<QuotaCache>, Capacity);

/// Spawn the fresh check of `gpu` for `capacity` in `regions` (preference order) through
/// `quota`; it writes its `QUOTA_TIMING (FRESH, launch <type>)` entry, and writes into the
/// cache when `cache` holds the same capacity. Sends `LaunchEvent::Checked` on `events`.
pub fn spawn_check(
    gpu: GpuType,
    capacity: Capacity,
    regions: Vec<String>,
    quota: Arc<dyn QuotaSource>,
    cache: Option<CacheTarget>,
    events: mpsc::Sender<Event>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let check = async {
            let warm = cache.as_ref().map(|(cache, capacity)| WarmCache {
                cache,
                capacity: *capacity,
            });
            fresh_check(gpu, capacity, &regions, quota, warm).await
        };
        tokio::select! {
            _ = events.closed() => tracing::debug!("launch: fresh check dropped, the UI is gone"),
            fresh = check => {
                let _ = events.send(Event::Launch(LaunchEvent::Checked(fresh))).await;
            }
        }
    })
}

/// Spawn the submission of `body` (the CustomJob of `plan`) to `plan.region` in `project`:
/// create it once (see [`VertexClient::create_custom_job`] on replays), then read it back.
/// Sends `LaunchEvent::Submitted` on `events`.
pub fn spawn_submit(
    vertex: Arc<VertexClient>,
    project: String,
    plan: LaunchPlan,
    body: Value,
    events: mpsc::Sender<Event>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let submit = async {
            let created = vertex
                .create_custom_job(&project, &plan.region, &body)
                .await?;
            tracing::info!(job = %created.name, region = %plan.region, "launch: CustomJob created");
            let (job, read_back_error) = match vertex.get_custom_job(&created.name).await {
                Ok(job) => (job, None),
                Err(e) => {
                    tracing::warn!(job = %created.name, "launch: reading the job back failed: {e}");
                    (created, Some(e))
                }
            };
            let console_url = console_url(&project, &plan.region, job.id());
            Ok(Box::new(SubmittedJob {
                job,
                console_url,
                read_back_error,
            }))
        };
        tokio::select! {
            _ = events.closed() => tracing::warn!("launch: submission cut short, the UI is gone"),
            outcome = submit => {
                if let Err(e) = &outcome {
                    tracing::warn!(region = %plan.region, "launch: submission failed: {e}");
                }
                let _ = events.send(Event::Launch(LaunchEvent::Submitted(outcome))).await;
            }
        }
    })
}
