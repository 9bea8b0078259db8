//! The Vertex AI CustomJob client (SPEC §10 Launch): `customJobs.create` and `customJobs.get`
//! of REST v1 (<https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.customJobs>).
//!
//! Same credentials, error classes and retries as the Service Usage client (SPEC §4): a
//! [`TokenSource`], one new token and one more try after a 401, backoff with jitter and
//! `Retry-After` for 429 / 5xx, all within one deadline ([`RetryPolicy`]).
//!
//! A create is a POST that may make a job, so it is replayed only when Google's answer proves
//! no job was made: a 4xx refusal (a 429 rate limit, a 401 before a new token; never 408 or
//! 499), or a connection that was never opened. A 503 proves nothing: `google.rpc.Code`
//! documents `UNAVAILABLE` (HTTP 503) as "most likely a transient condition ... Note that it
//! is not always safe to retry non-idempotent operations" (googleapis/googleapis
//! `google/rpc/code.proto`). So after a 500, 502, 503, 504, a dropped connection, the
//! deadline, or a 2xx without a job `name`, the job may exist: the error says so and where to
//! look, and nothing is sent again, so a launch never makes two jobs.
//!
//! A create refused because the project's GPU quota in that region is in use is Vertex AI's
//! 429 `RESOURCE_EXHAUSTED` "The following quota metrics exceed quota limits: <metric>" (as
//! users report it from `gcloud ai custom-jobs create`: GoogleCloudPlatform/
//! stable-diffusion-on-gcp#12, GoogleCloudPlatform/vertex-ai-samples#700). It is
//! [`ErrorKind::QuotaExceeded`]: final, never retried here; the launch goes to its next
//! ranked region (`launch::submit`).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::auth::TokenSource;
use super::error::{ApiError, ErrorKind};
use super::http::{
    api_base_url, classify_google_error, http_client, read_body, retry_after, transport_error,
};
use super::project::validate_project_id;
use super::retry::{AttemptFailure, RetryEnd, with_retries};
use super::serviceusage::RetryPolicy;

/// Environment variable that overrides the Vertex AI base URL, one for all regions (SPEC §4).
pub const AIPLATFORM_URL_ENV: &str = "QUOTA_TUI_AIPLATFORM_URL";

/// A Vertex AI CustomJob as `customJobs.create` / `customJobs.get` return it. Unknown
/// fields (`jobSpec`, `labels`, ...) are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CustomJob {
    /// `projects/{project number}/locations/{region}/customJobs/{job id}`.
    pub name: String,
    pub display_name: String,
    /// `JOB_STATE_QUEUED`, `JOB_STATE_PENDING`, `JOB_STATE_RUNNING`, `JOB_STATE_FAILED`, ...
    pub state: String,
    /// RFC 3339 time stamps, as Google sends them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_time: Option<String>,
    /// Why the job failed, when it did (`google.rpc.Status`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<JobStatus>,
}

/// `google.rpc.Status` of a failed job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobStatus {
    pub code: i32,
    pub message: String,
}

impl CustomJob {
    /// The job ID, the last segment of `name` (empty when `name` is).
    pub fn id(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or_default()
    }

    /// The region in `name` (`locations/{region}`), if the name has one.
    pub fn region(&self) -> Option<&str> {
        let mut parts = self.name.split('/');
        parts.find(|p| *p == "locations")?;
        parts.next().filter(|r| !r.is_empty())
    }
}

/// The Cloud Console page of a job:
/// `https://console.cloud.google.com/vertex-ai/locations/{R}/training/{JOB_ID}?project={P}`.
pub fn console_url(project: &str, region: &str, job_id: &str) -> String {
    format!(
        "https://console.cloud.google.com/vertex-ai/locations/{region}/training/{job_id}?project={project}"
    )
}

/// The Cloud Console list of a project's training jobs (where to look when a create's
/// outcome is unknown).
pub fn console_jobs_url(project: &str) -> String {
    format!("https://console.cloud.google.com/vertex-ai/training/custom-jobs?project={project}")
}

/// Check a region name before it goes into a host name or path: 1–63 lowercase letters,
/// digits and hyphens, starting with a letter (`us-west1`).
pub fn validate_region(region: &str) -> Result<(), String> {
    let ok = (1..=63).contains(&region.len())
        && region.starts_with(|c: char| c.is_ascii_lowercase())
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "region '{region}' is not valid: use a Google Cloud region such as us-west1"
        ))
    }
}

/// How a request may be sent again after a failed attempt.
#[derive(Debug, Clone)]
enum Replay {
    /// A GET: every retryable failure is retried.
    Idempotent,
    /// A create in `project`: only when Google certainly made nothing.
    CreateOnce { project: String },
}

/// The Vertex AI client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct VertexClient {
    http: reqwest::Client,
    /// One base URL for all regions (`QUOTA_TUI_AIPLATFORM_URL`), else per region.
    base_override: Option<String>,
    tokens: TokenSource,
    policy: RetryPolicy,
}

impl VertexClient {
    /// A client using `base_override` for every region when given (`QUOTA_TUI_AIPLATFORM_URL`,
    /// resolved by `config`), else `https://{REGION}-aiplatform.googleapis.com`; the
    /// default [`RetryPolicy`] (10 s deadline per call, retries included).
    ///
    /// Errors (kind `NotFound`, nothing sent) when `base_override` is not an http(s) URL.
    pub fn new(base_override: Option<&str>, tokens: TokenSource) -> Result<Self, ApiError> {
        let base_override = base_override
            .map(|b| api_base_url(b, "Vertex AI"))
            .transpose()?;
        Ok(VertexClient {
            http: http_client(),
            base_override,
            tokens,
            policy: RetryPolicy::default(),
        })
    }

    /// The same client with another retry policy (deadline, backoff).
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The base URL for `region`. Errors (kind `NotFound`) for a malformed region.
    pub fn base_url(&self, region: &str) -> Result<String, ApiError> {
        validate_region(region).map_err(|m| ApiError::new(ErrorKind::NotFound, m))?;
        Ok(match &self.base_override {
            Some(b) => b.clone(),
            None => format!("https://{region}-aiplatform.googleapis.com"),
        })
    }

    /// `{base}/v1/projects/{P}/locations/{R}/customJobs`, the URL a create POSTs to.
    ///
    /// Errors (kind `NotFound`, nothing sent) for a malformed project ID or region.
    pub fn custom_jobs_url(&self, project: &str, region: &str) -> Result<String, ApiError> {
        validate_project_id(project).map_err(|m| ApiError::new(ErrorKind::NotFound, m))?;
        Ok(format!(
            "{}/v1/projects/{project}/locations/{region}/customJobs",
            self.base_url(region)?
        ))
    }

    /// `customJobs.create`: POST `body` (a CustomJob, see `launch::LaunchPlan::custom_job_body`)
    /// to [`Self::custom_jobs_url`]; the created job.
    ///
    /// Errors as SPEC §4 classifies them; a 2xx without a job `name` is `Parse`. Sent again
    /// only when Google's answer proves no job was made (a 429 rate limit, a 401 once with a
    /// new token, a connection never opened), within the deadline. "The following quota
    /// metrics exceed quota limits: ..." is `QuotaExceeded` and never sent again. After a 500,
    /// 502, 503, 504, a dropped connection, the deadline or a 2xx without a name the job may
    /// exist: the error says so and where to look (see the module docs).
    pub async fn create_custom_job(
        &self,
        project: &str,
        region: &str,
        body: &Value,
    ) -> Result<CustomJob, ApiError> {
        let url = self.custom_jobs_url(project, region)?;
        let replay = Replay::CreateOnce {
            project: project.to_string(),
        };
        self.call(Method::POST, &url, Some(body), &replay).await
    }

    /// `customJobs.get` of `name` (`projects/P/locations/R/customJobs/ID`): GET
    /// `{base}/v1/{name}`, retried like any read.
    ///
    /// Errors as SPEC §4 classifies them; a malformed `name` is `NotFound` with nothing sent.
    pub async fn get_custom_job(&self, name: &str) -> Result<CustomJob, ApiError> {
        let malformed = || {
            ApiError::new(
                ErrorKind::NotFound,
                format!("'{name}' is not a CustomJob name (projects/P/locations/R/customJobs/ID)"),
            )
        };
        let parts: Vec<&str> = name.split('/').collect();
        let [p, project, l, region, c, id] = parts[..] else {
            return Err(malformed());
        };
        let segment_ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if (p, l, c) != ("projects", "locations", "customJobs")
            || !segment_ok(project)
            || !segment_ok(id)
        {
            return Err(malformed());
        }
        let url = format!("{}/v1/{name}", self.base_url(region)?);
        self.call(Method::GET, &url, None, &Replay::Idempotent)
            .await
    }

    /// Send one request with retries within the policy's deadline.
    async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        replay: &Replay,
    ) -> Result<CustomJob, ApiError> {
        let may_replay =
            |f: &AttemptFailure| matches!(replay, Replay::Idempotent) || f.nothing_made;
        let attempt = |n, renew| self.attempt(method.clone(), url, body, n, renew);
        let result = match with_retries(&self.policy, url, attempt, may_replay).await {
            Ok((job, _attempts)) => Ok(job),
            Err(RetryEnd::Deadline(e))
            | Err(RetryEnd::Final {
                error: e,
                nothing_made: false,
            }) => Err(with_outcome_note(e, replay)),
            Err(end) => Err(end.into_error()),
        };
        result.map_err(|e| self.tokens.explain(e))
    }

    /// One request: token, send, classification of the answer.
    async fn attempt(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        attempt: u32,
        renew_token: bool,
    ) -> Result<CustomJob, AttemptFailure> {
        let headers = self.tokens.headers(renew_token).await?;
        tracing::debug!(%url, %method, attempt, source = self.tokens.source_name(), "Vertex AI request");
        let mut request = self.http.request(method, url).headers(headers);
        if let Some(b) = body {
            request = request.json(b);
        }
        let response = request.send().await.map_err(|e| AttemptFailure {
            error: transport_error(&e),
            retry_after: None,
            nothing_made: e.is_connect(),
        })?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let bytes = read_body(response).await.map_err(|error| AttemptFailure {
            error,
            retry_after: None,
            nothing_made: false,
        })?;
        tracing::debug!(%url, attempt, status = status.as_u16(), "Vertex AI answer");
        if !status.is_success() {
            let error = classify_google_error(status.as_u16(), &bytes);
            // A refusal (4xx) made nothing; a 5xx (503 included) or 408 / 499 proves nothing.
            let nothing_made = status.is_client_error() && !matches!(status.as_u16(), 408 | 499);
            return Err(AttemptFailure {
                error,
                retry_after,
                nothing_made,
            });
        }
        let unreadable = |message: String| AttemptFailure {
            error: ApiError {
                http_status: Some(status.as_u16()),
                ..ApiError::new(ErrorKind::Parse, message)
            },
            retry_after: None,
            nothing_made: false,
        };
        let job = serde_json::from_slice::<CustomJob>(&bytes)
            .map_err(|e| unreadable(format!("the answer is not a CustomJob: {e}")))?;
        if job.name.trim().is_empty() {
            return Err(unreadable(format!(
                "Vertex AI answered {} without a job name",
                status.as_u16()
            )));
        }
        Ok(job)
    }
}

/// For a create whose outcome is unknown, say that the job may exist and where to look.
fn with_outcome_note(mut e: ApiError, replay: &Replay) -> ApiError {
    if let Replay::CreateOnce { project } = replay {
        e.message = format!(
            "{}; the job may have been created: look at {} before submitting again",
            e.message,
            console_jobs_url(project)
        );
    }
    e
}

#[cfg(test)]
#[path = "vertex_tests.rs"]
mod tests;
