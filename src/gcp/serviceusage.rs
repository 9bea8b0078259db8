//! The Service Usage v1beta1 quota client (SPEC §4): one `consumerQuotaMetrics.get` per
//! metric request, answering every region of the metric, with retries inside one deadline.
//!
//! `GET {base}/v1beta1/projects/{P}/services/{S}/consumerQuotaMetrics/{M}?view=FULL`
//! (<https://cloud.google.com/service-usage/docs/reference/rest/v1beta1/services.consumerQuotaMetrics/get>).

use std::time::Duration;

use async_trait::async_trait;
use backon::{BackoffBuilder, ExponentialBuilder};
use tokio::time::Instant;

use super::QuotaSource;
use super::auth::TokenSource;
use super::error::{ApiError, ErrorKind};
use super::http::{
    api_base_url, classify_google_error, encode_path_segment, http_client, read_body, retry_after,
    transport_error,
};
use super::project::validate_project_id;
use super::quota_metric::{ConsumerQuotaMetric, read_limit};
use super::retry::{AttemptFailure, with_retries};
use crate::catalog::{Check, Limit, MetricRequest};

/// Environment variable that overrides the Service Usage base URL (SPEC §4).
pub const SERVICEUSAGE_URL_ENV: &str = "QUOTA_TUI_SERVICEUSAGE_URL";

/// Google's Service Usage endpoint.
pub const DEFAULT_SERVICEUSAGE_URL: &str = "https://serviceusage.googleapis.com";

/// Default deadline of one check, retries included (SPEC §4, `--check-timeout`).
pub const DEFAULT_CHECK_DEADLINE: Duration = Duration::from_secs(10);

/// How one check retries: everything within `deadline`; backoff grows from `min_delay` by
/// `factor` up to `max_delay`, with jitter (up to +100 %); a longer `Retry-After` wins.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Deadline of one check, retries included.
    pub deadline: Duration,
    pub min_delay: Duration,
    pub max_delay: Duration,
    pub factor: f32,
}

impl Default for RetryPolicy {
    /// 10 s deadline; backoff 250 ms × 2 up to 4 s.
    fn default() -> Self {
        RetryPolicy {
            deadline: DEFAULT_CHECK_DEADLINE,
            min_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            factor: 2.0,
        }
    }
}

impl RetryPolicy {
    /// The backoff delays: exponential from `min_delay` by `factor` up to `max_delay`, jittered.
    pub(crate) fn backoff(&self) -> impl Iterator<Item = Duration> {
        ExponentialBuilder::new()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_factor(self.factor)
            .with_jitter()
            .without_max_times()
            .build()
    }
}

/// A limit read by the client, with the attempts it took (retries included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetched {
    pub limit: Limit,
    pub attempts: u32,
}

/// The Service Usage client of one project. Implements [`QuotaSource`].
#[derive(Debug, Clone)]
pub struct ServiceUsageClient {
    http: reqwest::Client,
    base_url: String,
    project: String,
    tokens: TokenSource,
    policy: RetryPolicy,
}

impl ServiceUsageClient {
    /// A client for `project` at `base_url` (`QUOTA_TUI_SERVICEUSAGE_URL`, else
    /// [`DEFAULT_SERVICEUSAGE_URL`]; resolved by `config`), with the
    /// default [`RetryPolicy`] and [`http_client`].
    ///
    /// Errors (kind `NotFound`, no request sent) when `project` breaks Google's project ID
    /// rule ([`validate_project_id`]) or `base_url` is not an http(s) URL.
    pub fn new(project: &str, base_url: &str, tokens: TokenSource) -> Result<Self, ApiError> {
        validate_project_id(project).map_err(|m| ApiError::new(ErrorKind::NotFound, m))?;
        let base_url = api_base_url(base_url, "Service Usage")?;
        Ok(ServiceUsageClient {
            http: http_client(),
            base_url,
            project: project.to_string(),
            tokens,
            policy: RetryPolicy::default(),
        })
    }

    /// The same client with another retry policy (deadline, backoff).
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The same client with another per-check deadline (`--check-timeout`).
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.policy.deadline = deadline;
        self
    }

    /// The validated project ID.
    pub fn project(&self) -> &str {
        &self.project
    }

    /// The retry policy in force.
    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// `{base}/v1beta1/projects/{P}/services/{S}/consumerQuotaMetrics/{M}?view=FULL`, with
    /// the service and metric percent-encoded as path segments.
    pub fn metric_url(&self, service: &str, metric: &str) -> String {
        format!(
            "{}/v1beta1/projects/{}/services/{}/consumerQuotaMetrics/{}?view=FULL",
            self.base_url,
            self.project,
            encode_path_segment(service),
            encode_path_segment(metric),
        )
    }

    /// Read one check's limit (GPUs or vCPUs) with one request for its metric, retries
    /// included.
    ///
    /// Errors: every [`ErrorKind`], as SPEC §4 classifies them; see [`Self::get_metric`].
    pub async fn fetch_limit(&self, check: &Check) -> Result<Fetched, ApiError> {
        let (body, attempts) = self
            .get_metric(check.service(), check.metric.name())
            .await?;
        let limit = read_limit(&body, check).map_err(|e| ApiError { attempts, ..e })?;
        Ok(Fetched { limit, attempts })
    }

    /// `consumerQuotaMetrics.get` of `metric` (owned by `service`), with the attempts made.
    ///
    /// Errors as `classify_google_error` gives them (SPEC §4): 401 → one fresh token and one
    /// more try, then `Auth`; `SERVICE_DISABLED` → `ServiceDisabled` with the activation URL;
    /// `CONSUMER_INVALID` → `NotFound` ("project P not found, or you have no access to it");
    /// 403 → `Permission`; 404 → `NotFound`; 400 → `Invalid`; rate-limit reasons and 429s →
    /// `RateLimited` and 5xx / connection failures → `Unavailable`, both retried with backoff,
    /// `Retry-After` and `RetryInfo`; a 2xx body that is not a ConsumerQuotaMetric for
    /// `metric` → `Parse`. All within the policy's deadline: past it, the last retryable
    /// error (with its attempts), or `Timeout` if none came back.
    pub async fn get_metric(
        &self,
        service: &str,
        metric: &str,
    ) -> Result<(ConsumerQuotaMetric, u32), ApiError> {
        let url = self.metric_url(service, metric);
        with_retries(
            &self.policy,
            &url,
            |n, renew| self.attempt(&url, metric, n, renew),
            |_| true, // a GET may always be sent again
        )
        .await
        .map_err(|end| {
            self.tokens
                .explain(end.into_error().in_project(&self.project))
        })
    }

    /// One request: token, GET, classification of the answer.
    async fn attempt(
        &self,
        url: &str,
        metric: &str,
        attempt: u32,
        renew_token: bool,
    ) -> Result<ConsumerQuotaMetric, AttemptFailure> {
        let headers = self.tokens.headers(renew_token).await?;
        let started = Instant::now();
        tracing::debug!(%url, attempt, source = self.tokens.source_name(), "GET");
        let response = self
            .http
            .get(url)
            .headers(headers)
            .send()
            .await
            .map_err(|e| AttemptFailure::from(transport_error(&e)))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = read_body(response).await.map_err(AttemptFailure::from)?;
        tracing::debug!(
            %url,
            attempt,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "answer"
        );
        if !status.is_success() {
            return Err(AttemptFailure {
                error: classify_google_error(status.as_u16(), &body),
                retry_after,
                nothing_made: true,
            });
        }
        let parsed: ConsumerQuotaMetric = serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                ErrorKind::Parse,
                format!("the answer for {metric} is not a ConsumerQuotaMetric: {e}"),
            )
        })?;
        if !parsed.metric.is_empty() && parsed.metric != metric {
            return Err(ApiError::new(
                ErrorKind::Parse,
                format!("asked for {metric}, the answer is for {}", parsed.metric),
            )
            .into());
        }
        Ok(parsed)
    }
}

#[async_trait]
impl QuotaSource for ServiceUsageClient {
    /// One [`Self::get_metric`] of `request.metric`, then [`read_limit`] for each region of
    /// the request from that one answer. A region's parse error carries the attempts the
    /// request took.
    async fn fetch_metric(
        &self,
        request: &MetricRequest,
    ) -> Result<Vec<Result<Limit, ApiError>>, ApiError> {
        let metric = request.metric;
        let (body, attempts) = self.get_metric(metric.service(), metric.name()).await?;
        Ok(request
            .checks()
            .iter()
            .map(|check| read_limit(&body, check).map_err(|e| ApiError { attempts, ..e }))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Capacity, GpuType};

    #[test]
    fn url_encodes_the_metric_and_asks_for_the_full_view() {
        let c = ServiceUsageClient::new("my-project", "http://127.0.0.1:9/", TokenSource::demo())
            .unwrap();
        let check = Check::gpu(GpuType::T4, Capacity::Spot, "us-central1");
        assert_eq!(
            c.metric_url(check.service(), check.metric.name()),
            "http://127.0.0.1:9/v1beta1/projects/my-project/services/aiplatform.googleapis.com/\
             consumerQuotaMetrics/aiplatform.googleapis.com%2Fcustom_model_training_preemptible_nvidia_t4_gpus?view=FULL"
        );
    }

    #[test]
    fn refuses_a_bad_project_or_base_url() {
        let e =
            ServiceUsageClient::new("Bad_Project", DEFAULT_SERVICEUSAGE_URL, TokenSource::demo())
                .unwrap_err();
        assert!(e.message.contains("'Bad_Project'"), "{e}");
        assert!(ServiceUsageClient::new("my-project", "ftp://x", TokenSource::demo()).is_err());
    }
}
