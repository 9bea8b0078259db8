//! The fake's Vertex AI routes (SPEC §5), so the demo can launch:
//! `customJobs.create` (`POST /v1/projects/{P}/locations/{R}/customJobs`) and
//! `customJobs.get` (`GET /v1/projects/{P}/locations/{R}/customJobs/{ID}`), shaped as REST v1
//! (<https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.customJobs>).
//!
//! A create checks the body as Vertex AI does for what this program sends (display name,
//! one worker pool with `machineSpec{machineType, acceleratorType, acceleratorCount}` whose
//! machine type carries that shape for the scheduling strategy, `containerSpec.imageUri`,
//! `scheduling.strategy`) and answers a Google-shaped 400 `INVALID_ARGUMENT` listing every
//! violation (the wording of each violation is the fake's own).
//!
//! GPUs are counted as Vertex AI counts them: the jobs the fake made hold their GPUs (they
//! never end), so a create asking for more than the region's seeded limit minus the GPUs in
//! use there is refused with Vertex AI's quota answer ([`quota_exceeded`]): the demo fills a
//! region after a few launches and a launch then goes on to the next region.
//!
//! Jobs live in memory and move as Google's `JobState` says a job does
//! (<https://cloud.google.com/vertex-ai/docs/reference/rest/v1/JobState>: QUEUED "just
//! created ... processing has not yet begun", PENDING "the service is preparing to run the
//! job", RUNNING "in progress"), over a few seconds: `JOB_STATE_QUEUED` when created,
//! `JOB_STATE_PENDING` from [`PENDING_AFTER`], `JOB_STATE_RUNNING` from [`RUNNING_AFTER`]
//! (on tokio's clock). A real job spends minutes pending, far longer than a 10 s poll, so
//! every follower sees each state; the demo keeps that true at its speed: a get moves a job
//! at most one state past the one last answered for it.
//!
//! A job's GPUs count in the usage Cloud Monitoring shows (`usage.rs`) from its create on,
//! queued included: Vertex AI checks the quota when a job is created (its quota refusal is
//! the create's answer), so an accepted job holds its GPUs from then on, and the demo's usage
//! and its create check count the same jobs. Latency and faults come from
//! [`FakeState::delay`] like every route of the fake.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

mod spec;

use self::spec::{JobShape, validate_custom_job};
use super::errors;
use super::quotas::quota_limit;
use super::serviceusage::has_bearer;
use super::state::{FakeState, Fault};
use super::usage::seeded_usage;
use crate::catalog::Limit;
use crate::gcp::project::validate_project_id;
use crate::gcp::vertex::validate_region;

/// How long a demo job stays `JOB_STATE_QUEUED` after its create.
pub const PENDING_AFTER: Duration = Duration::from_secs(2);

/// When a demo job is `JOB_STATE_RUNNING`, after its create.
pub const RUNNING_AFTER: Duration = Duration::from_secs(5);

/// The states a demo job goes through, in order.
const STATES: [&str; 3] = ["JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING"];

/// Path of `customJobs.create` (axum syntax).
pub(crate) const CUSTOM_JOBS_ROUTE: &str = "/v1/projects/{project}/locations/{region}/customJobs";

/// Path of `customJobs.get` (axum syntax).
pub(crate) const CUSTOM_JOB_ROUTE: &str =
    "/v1/projects/{project}/locations/{region}/customJobs/{id}";

/// The Vertex AI routes, to merge into the fake's router.
pub(crate) fn routes() -> Router<Arc<FakeState>> {
    Router::new()
        .route(CUSTOM_JOBS_ROUTE, post(create_custom_job))
        .route(CUSTOM_JOB_ROUTE, get(get_custom_job))
}

/// One job the fake made: its CustomJob JSON as last answered, when it was made, the state
/// last answered (an index of [`STATES`]), and the GPUs it holds in its region.
#[derive(Debug)]
struct FakeJob {
    job: Value,
    created: tokio::time::Instant,
    shown: usize,
    region: String,
    shape: JobShape,
}

impl FakeJob {
    /// The state to answer now: the one its age calls for, at most one past the one last
    /// answered (see the module docs).
    fn next_state(&mut self) -> &'static str {
        self.shown = next_shown(self.shown, self.created.elapsed());
        STATES[self.shown]
    }
}

/// The index of [`STATES`] to answer for a job `age` old whose last answer was `shown`: the
/// state its age calls for, at most one past `shown`, never back.
fn next_shown(shown: usize, age: Duration) -> usize {
    let due = if age >= RUNNING_AFTER {
        2
    } else if age >= PENDING_AFTER {
        1
    } else {
        0
    };
    due.min(shown + 1).max(shown)
}

/// The CustomJobs the fake made, by resource name, and the next job ID (each create takes
/// the next number).
#[derive(Debug)]
pub(crate) struct CustomJobs {
    next_id: u64,
    jobs: BTreeMap<String, FakeJob>,
}

impl CustomJobs {
    /// An empty store whose job IDs are 19 digits, as Google's, starting at a value drawn
    /// from `seed` and the start time (so two demo sessions do not name the same job).
    pub(crate) fn new(seed: u64) -> Self {
        const BASE: u64 = 1_000_000_000_000_000_000;
        let started = Utc::now().timestamp_micros() as u64;
        let spread =
            (seed ^ started).wrapping_mul(0x9E37_79B9_7F4A_7C15) % 8_000_000_000_000_000_000;
        CustomJobs {
            next_id: BASE + spread,
            jobs: BTreeMap::new(),
        }
    }
}

impl CustomJobs {
    /// GPUs of `metric` that the fake's jobs in `region` hold (they hold them from their
    /// create on and never end); Cloud Monitoring's usage counts them (`usage.rs`).
    pub(crate) fn gpus_held(&self, metric: &str, region: &str) -> u32 {
        self.jobs
            .values()
            .filter(|j| j.region == region && j.shape.gpu.metric(j.shape.capacity) == metric)
            .map(|j| j.shape.count)
            .sum()
    }
}

/// Vertex AI's answer to a create whose GPUs would exceed the region's quota: HTTP 429,
/// `{"error": {"code": 429, "message": "The following quota metrics exceed quota limits:
/// <metric>", "status": "RESOURCE_EXHAUSTED"}}`, without `errors`, `details` or
/// `Retry-After`. That is the answer users quote from `gcloud ai custom-jobs create`
/// (GoogleCloudPlatform/stable-diffusion-on-gcp#12: `"code": 429, "message": "The following
/// quota metrics exceed quota limits:
/// aiplatform.googleapis.com/custom_model_training_nvidia_l4_gpus", "status":
/// "RESOURCE_EXHAUSTED"`; the same message as gRPC code 8 in
/// GoogleCloudPlatform/vertex-ai-samples#700). No public answer shows an ErrorInfo detail on
/// it, so the fake sends none: the client must know it by its message.
pub(crate) fn quota_exceeded(metric: &str) -> Response {
    let body = json!({"error": {
        "code": 429,
        "message": format!("The following quota metrics exceed quota limits: {metric}"),
        "status": "RESOURCE_EXHAUSTED",
    }});
    (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response()
}

fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn malformed(name: &str) -> Response {
    let cut = format!("{{\"name\": \"{name}\", \"state\": \"JOB_STATE_QUE");
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        cut,
    )
        .into_response()
}

/// What to do with a request once its bearer, latency and injected fault are known.
enum Gate {
    /// Send this answer instead (401, 503, 429).
    Refuse(Response),
    /// Do the work and answer normally.
    Answer,
    /// Do the work, then answer with a cut-off body.
    CutBody,
}

/// Bearer, latency and injected faults shared by both routes.
async fn gate(state: &FakeState, headers: &HeaderMap) -> Gate {
    if !has_bearer(headers) {
        return Gate::Refuse(errors::unauthenticated());
    }
    match state.delay().await {
        None | Some(Fault::Unavailable | Fault::Hang) => Gate::Refuse(errors::unavailable()),
        Some(Fault::RateLimited) => Gate::Refuse(errors::rate_limited_with(
            "Quota exceeded for quota metric 'Resource management (CRUD) requests' and limit \
             'Resource management (CRUD) requests per minute per region' of service \
             'aiplatform.googleapis.com'.",
        )),
        Some(Fault::Malformed) => Gate::CutBody,
        Some(Fault::None) => Gate::Answer,
    }
}

/// A 404 unless `project` and `region` could name a Vertex AI location.
fn location_error(project: &str, region: &str) -> Option<Response> {
    if validate_project_id(project).is_err() {
        return Some(errors::not_found(&format!(
            "Project '{project}' was not found."
        )));
    }
    if validate_region(region).is_err() {
        return Some(errors::not_found(&format!(
            "Location '{region}' is not supported by Vertex AI."
        )));
    }
    None
}

async fn create_custom_job(
    State(state): State<Arc<FakeState>>,
    Path((project, region)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let cut = match gate(&state, &headers).await {
        Gate::Refuse(answer) => return answer,
        Gate::Answer => false,
        Gate::CutBody => true,
    };
    if let Some(answer) = location_error(&project, &region) {
        return answer;
    }
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return errors::invalid_argument(&[(
                "custom_job".to_string(),
                format!("Invalid JSON payload received. {e}"),
            )]);
        }
    };
    let shape = match validate_custom_job(&body) {
        Ok(shape) => shape,
        Err(violations) => return errors::invalid_argument(&violations),
    };
    let metric = shape.gpu.metric(shape.capacity);
    let limit = quota_limit(state.cfg.seed, metric, &region).unwrap_or(Limit::Finite(0));
    let job = {
        let mut store = state.jobs.lock().expect("jobs lock");
        // What Monitoring shows in use there: the seeded usage and the fake's own jobs.
        let seeded = seeded_usage(state.cfg.seed, metric, &region).unwrap_or(0);
        let held = seeded + i64::from(store.gpus_held(metric, &region));
        if !limit.at_least(held + i64::from(shape.count)) {
            drop(store);
            tracing::info!(%metric, %region, held, "fake GCP: CustomJob refused for quota");
            return quota_exceeded(metric);
        }
        let id = store.next_id;
        store.next_id += 1;
        let name = format!("projects/{project}/locations/{region}/customJobs/{id}");
        let now = now_rfc3339();
        let job = json!({
            "name": name,
            "displayName": body["displayName"],
            "jobSpec": body["jobSpec"],
            "state": STATES[0],
            "createTime": now,
            "updateTime": now,
        });
        store.jobs.insert(
            name,
            FakeJob {
                job: job.clone(),
                created: tokio::time::Instant::now(),
                shown: 0,
                region: region.clone(),
                shape,
            },
        );
        job
    };
    let name = job["name"].as_str().unwrap_or_default().to_string();
    tracing::info!(%name, "fake GCP: CustomJob created");
    state.record_job(name.clone());
    if cut {
        return malformed(&name);
    }
    Json(job).into_response()
}

async fn get_custom_job(
    State(state): State<Arc<FakeState>>,
    Path((project, region, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let cut = match gate(&state, &headers).await {
        Gate::Refuse(answer) => return answer,
        Gate::Answer => false,
        Gate::CutBody => true,
    };
    if let Some(answer) = location_error(&project, &region) {
        return answer;
    }
    let name = format!("projects/{project}/locations/{region}/customJobs/{id}");
    let job = {
        let mut store = state.jobs.lock().expect("jobs lock");
        let Some(job) = store.jobs.get_mut(&name) else {
            return errors::not_found(&format!("CustomJob {name} is not found."));
        };
        let now = now_rfc3339();
        let next = job.next_state();
        if job.job["state"] != next {
            job.job["state"] = json!(next);
            job.job["updateTime"] = json!(now);
            if next == STATES[2] {
                job.job["startTime"] = json!(now);
            }
        }
        job.job.clone()
    };
    if cut {
        return malformed(&name);
    }
    Json(job).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_moves_with_its_age_one_state_per_read_at_most() {
        let s = Duration::from_secs;
        assert_eq!(next_shown(0, s(1)), 0, "queued for its first 2 s");
        assert_eq!(next_shown(0, s(2)), 1);
        assert_eq!(next_shown(1, s(4)), 1);
        assert_eq!(next_shown(1, s(5)), 2);
        // A follower polling every 10 s still sees each state.
        assert_eq!(next_shown(0, s(11)), 1);
        assert_eq!(next_shown(1, s(21)), 2);
        assert_eq!(next_shown(2, s(99)), 2, "running stays running");
        assert_eq!(next_shown(2, s(0)), 2, "never back");
    }

    #[test]
    fn job_ids_are_nineteen_digits() {
        for seed in [0, 7, u64::MAX] {
            let id = CustomJobs::new(seed).next_id.to_string();
            assert_eq!(id.len(), 19, "{id}");
        }
    }
}
