//! The fake's Vertex AI routes (SPEC §5), so the demo can launch:
//! `customJobs.create` (`POST /v1/projects/{P}/locations/{R}/customJobs`) and
//! `customJobs.get` (`GET /v1/projects/{P}/locations/{R}/customJobs/{ID}`), shaped as REST v1
//! (<https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.customJobs>).
//!
//! A create checks the body as Vertex AI does for what this program sends (display name,
//! one worker pool with `machineSpec{machineType, acceleratorType, acceleratorCount}` whose
//! machine type carries that shape, `containerSpec.imageUri`, `scheduling.strategy`) and
//! answers a Google-shaped 400 `INVALID_ARGUMENT` listing every violation; asks for more GPUs
//! than the region's seeded quota get Vertex AI's 429 "The following quota metrics exceed
//! quota limits". Jobs live in memory: `JOB_STATE_QUEUED` when created, `JOB_STATE_PENDING`
//! at the first get, `JOB_STATE_RUNNING` from the second on. Latency and faults come from
//! [`FakeState::delay`] like every route of the fake.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::errors;
use super::quotas::quota_limit;
use super::serviceusage::has_bearer;
use super::state::{FakeState, Fault};
use crate::catalog::{Capacity, GpuType, Limit};
use crate::gcp::project::validate_project_id;
use crate::gcp::vertex::validate_region;

/// Path of `customJobs.create` (axum syntax).
pub(crate) const CUSTOM_JOBS_ROUTE: &str = "/v1/projects/{project}/locations/{region}/customJobs";

/// Path of `customJobs.get` (axum syntax).
pub(crate) const CUSTOM_JOB_ROUTE: &str =
    "/v1/projects/{project}/locations/{region}/customJobs/{id}";

/// `scheduling.strategy` values Vertex AI knows (`Scheduling.Strategy`).
const STRATEGIES: [&str; 5] = ["SPOT", "STANDARD", "ON_DEMAND", "LOW_COST", "FLEX_START"];

/// Longest `displayName` Vertex AI takes, in characters.
const MAX_DISPLAY_NAME_CHARS: usize = 128;

/// The Vertex AI routes, to merge into the fake's router.
pub(crate) fn routes() -> Router<Arc<FakeState>> {
    Router::new()
        .route(CUSTOM_JOBS_ROUTE, post(create_custom_job))
        .route(CUSTOM_JOB_ROUTE, get(get_custom_job))
}

/// One job the fake made: its CustomJob JSON as last answered, and how often it was read.
#[derive(Debug)]
struct FakeJob {
    job: Value,
    gets: u32,
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

/// What a valid create asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JobShape {
    pub gpu: GpuType,
    /// GPUs on the one replica.
    pub count: u32,
    pub capacity: Capacity,
}

/// A JSON integer as proto3 JSON allows it: a number or a string of digits.
fn json_u32(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn non_empty_str(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

/// Check a CustomJob request body: `Ok` with the shape asked for, or every violation as
/// (`field` in Google's snake_case path, description).
pub(crate) fn validate_custom_job(body: &Value) -> Result<JobShape, Vec<(String, String)>> {
    let mut violations: Vec<(String, String)> = Vec::new();
    let mut violation = |field: &str, description: String| {
        violations.push((field.to_string(), description));
    };
    let required = "Required field is not set.".to_string();
    match body.get("displayName").and_then(Value::as_str) {
        Some(n) if n.trim().is_empty() => violation("display_name", required.clone()),
        Some(n) if n.chars().count() > MAX_DISPLAY_NAME_CHARS => violation(
            "display_name",
            format!("Display name can be at most {MAX_DISPLAY_NAME_CHARS} characters."),
        ),
        Some(_) => {}
        None => violation("display_name", required.clone()),
    }
    let spec = body.get("jobSpec");
    let pool = spec
        .and_then(|s| s.get("workerPoolSpecs"))
        .and_then(Value::as_array)
        .and_then(|pools| pools.first());
    let mut shape = None;
    match pool {
        None => violation("job_spec.worker_pool_specs", required.clone()),
        Some(pool) => {
            let p = "job_spec.worker_pool_specs[0]";
            let machine = pool.get("machineSpec");
            let machine_type = non_empty_str(machine.and_then(|m| m.get("machineType")));
            if machine_type.is_none() {
                violation(&format!("{p}.machine_spec.machine_type"), required.clone());
            }
            let accel = machine.and_then(|m| m.get("acceleratorType"));
            let gpu = accel
                .and_then(Value::as_str)
                .and_then(|a| GpuType::ALL.into_iter().find(|g| g.accelerator_type() == a));
            if gpu.is_none() {
                violation(
                    &format!("{p}.machine_spec.accelerator_type"),
                    format!(
                        "Invalid accelerator type {}.",
                        accel.unwrap_or(&Value::Null)
                    ),
                );
            }
            let count = machine
                .and_then(|m| m.get("acceleratorCount"))
                .and_then(json_u32)
                .filter(|c| *c > 0);
            if count.is_none() {
                violation(
                    &format!("{p}.machine_spec.accelerator_count"),
                    "Accelerator count must be a positive integer.".to_string(),
                );
            }
            if let (Some(m), Some(g), Some(c)) = (machine_type, gpu, count) {
                match g.machine_type(c) {
                    Ok(want) if want == m => shape = Some((g, c)),
                    _ => violation(
                        &format!("{p}.machine_spec"),
                        format!(
                            "Machine type \"{m}\" does not support {c} accelerator(s) of type {}.",
                            g.accelerator_type()
                        ),
                    ),
                }
            }
            if let Some(r) = pool.get("replicaCount")
                && json_u32(r).is_none_or(|r| r == 0)
            {
                violation(
                    &format!("{p}.replica_count"),
                    "Replica count must be a positive integer.".to_string(),
                );
            }
            if non_empty_str(pool.get("containerSpec").and_then(|c| c.get("imageUri"))).is_none() {
                violation(&format!("{p}.container_spec.image_uri"), required.clone());
            }
        }
    }
    let strategy = spec
        .and_then(|s| s.get("scheduling"))
        .and_then(|s| s.get("strategy"));
    let capacity = match strategy.and_then(Value::as_str) {
        Some("SPOT") => Some(Capacity::Spot),
        Some(s) if STRATEGIES.contains(&s) => Some(Capacity::OnDemand),
        _ => {
            violation(
                "job_spec.scheduling.strategy",
                format!(
                    "Invalid scheduling strategy {}: expected one of {}.",
                    strategy.unwrap_or(&Value::Null),
                    STRATEGIES.join(", ")
                ),
            );
            None
        }
    };
    match (shape, capacity) {
        (Some((gpu, count)), Some(capacity)) if violations.is_empty() => Ok(JobShape {
            gpu,
            count,
            capacity,
        }),
        _ => Err(violations),
    }
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
    let limit = quota_limit(state.cfg.seed, &metric, &region).unwrap_or(Limit::Finite(0));
    if !limit.at_least(i64::from(shape.count)) {
        return errors::resource_quota_exceeded(&metric);
    }
    let job = {
        let mut store = state.jobs.lock().expect("jobs lock");
        let id = store.next_id;
        store.next_id += 1;
        let name = format!("projects/{project}/locations/{region}/customJobs/{id}");
        let now = now_rfc3339();
        let job = json!({
            "name": name,
            "displayName": body["displayName"],
            "jobSpec": body["jobSpec"],
            "state": "JOB_STATE_QUEUED",
            "createTime": now,
            "updateTime": now,
        });
        store.jobs.insert(
            name,
            FakeJob {
                job: job.clone(),
                gets: 0,
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
        job.gets += 1;
        let now = now_rfc3339();
        let next = if job.gets == 1 {
            "JOB_STATE_PENDING"
        } else {
            "JOB_STATE_RUNNING"
        };
        if job.job["state"] != next {
            job.job["state"] = json!(next);
            job.job["updateTime"] = json!(now);
            if next == "JOB_STATE_RUNNING" {
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

    fn body() -> Value {
        json!({"displayName": "train-1", "jobSpec": {"workerPoolSpecs": [{"machineSpec":
            {"machineType": "g2-standard-48", "acceleratorType": "NVIDIA_L4", "acceleratorCount": 4},
            "replicaCount": 1, "containerSpec": {"imageUri": "us-docker.pkg.dev/p/r/t:1"}}],
            "scheduling": {"strategy": "SPOT"}}})
    }

    fn fields(r: Result<JobShape, Vec<(String, String)>>) -> Vec<String> {
        r.unwrap_err().into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn a_well_formed_body_gives_its_shape() {
        assert_eq!(
            validate_custom_job(&body()),
            Ok(JobShape {
                gpu: GpuType::L4,
                count: 4,
                capacity: Capacity::Spot
            })
        );
        let mut b = body();
        b["jobSpec"]["scheduling"]["strategy"] = json!("STANDARD");
        b["jobSpec"]["workerPoolSpecs"][0]["machineSpec"]["acceleratorCount"] = json!("4");
        let shape = validate_custom_job(&b).unwrap();
        assert_eq!((shape.count, shape.capacity), (4, Capacity::OnDemand));
    }

    #[test]
    fn every_violation_is_named_by_its_field() {
        assert_eq!(
            fields(validate_custom_job(&json!({}))),
            [
                "display_name",
                "job_spec.worker_pool_specs",
                "job_spec.scheduling.strategy"
            ]
        );
        let mut b = body();
        b["displayName"] = json!(" ");
        let pool = &mut b["jobSpec"]["workerPoolSpecs"][0];
        pool["machineSpec"]["acceleratorType"] = json!("NVIDIA_V100X");
        pool["machineSpec"]["acceleratorCount"] = json!(0);
        pool["containerSpec"] = json!({});
        pool["replicaCount"] = json!(0);
        b["jobSpec"]["scheduling"]["strategy"] = json!("CHEAP");
        let p = "job_spec.worker_pool_specs[0]";
        assert_eq!(
            fields(validate_custom_job(&b)),
            [
                "display_name".to_string(),
                format!("{p}.machine_spec.accelerator_type"),
                format!("{p}.machine_spec.accelerator_count"),
                format!("{p}.replica_count"),
                format!("{p}.container_spec.image_uri"),
                "job_spec.scheduling.strategy".to_string(),
            ]
        );
    }

    #[test]
    fn the_machine_type_must_carry_the_shape() {
        let mut b = body();
        b["jobSpec"]["workerPoolSpecs"][0]["machineSpec"]["machineType"] = json!("g2-standard-4");
        let e = validate_custom_job(&b).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].0, "job_spec.worker_pool_specs[0].machine_spec");
        assert!(e[0].1.contains("g2-standard-4"), "{}", e[0].1);
    }

    #[test]
    fn job_ids_are_nineteen_digits() {
        for seed in [0, 7, u64::MAX] {
            let id = CustomJobs::new(seed).next_id.to_string();
            assert_eq!(id.len(), 19, "{id}");
        }
    }
}
