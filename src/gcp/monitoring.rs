//! The Cloud Monitoring v3 usage client (SPEC §4 "Usage: Google Cloud Monitoring v3"): how
//! much of each allocation quota is in use, per region, from one paginated
//! `projects.timeSeries.list` per quota metric, with retries inside one deadline.
//!
//! ```text
//! GET {base}/v3/projects/{P}/timeSeries
//!     ?filter=metric.type="serviceruntime.googleapis.com/quota/allocation/usage"
//!             AND resource.type="consumer_quota" AND metric.labels.quota_metric="{METRIC}"
//!     &interval.startTime={now − 1 h}&interval.endTime={now}        (RFC 3339, UTC)
//!     &aggregation.alignmentPeriod=3600s&aggregation.perSeriesAligner=ALIGN_NEXT_OLDER
//!     &view=FULL[&pageToken=...]
//! ```
//!
//! Sources:
//! - the method and its parameters: the Monitoring v3 Discovery document
//!   (`monitoring/v3/monitoring-api.json` in googleapis/google-api-go-client;
//!   <https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.timeSeries/list>).
//!   `filter`, `interval.endTime` and `view` are required; `ALIGN_NEXT_OLDER` "moves the most
//!   recent data point before the end of the alignment period to the boundary at the end",
//!   so with a one-hour alignment period over the last hour each series answers with one
//!   point, its latest value (the period "must be at least 60 seconds" and is required with
//!   an aligner); points come "in reverse time order (most recent to oldest)"; `pageSize`
//!   defaults to 100,000 points, and `nextPageToken` is followed until it is empty;
//! - the metric: Google's "Chart and monitor quota metrics" page
//!   (<https://cloud.google.com/monitoring/alerts/using-quota-metrics>): consumer quota usage
//!   is `serviceruntime.googleapis.com/quota/allocation/usage` on the `consumer_quota`
//!   resource, whose `location` label is the region; the `quota_metric` label holds the
//!   quota metric's full name as the Console's Quotas page shows it
//!   (`compute.googleapis.com/subnetworks`), i.e. exactly the Service Usage metric name;
//! - reading it: OpenShift's installer (`pkg/quota/gcp/usage.go`, openshift/installer) lists
//!   the last hour and takes each series' first (latest) point; Google's Spanner autoscaler
//!   reads the same metric with `ALIGN_NEXT_OLDER` and tells series apart by `limit_name`.
//!
//! What is taken (see [`Usage`]): each series' latest point; a location with several series
//! (one per limit of the metric, e.g. the per-region limit and a project-wide one) counts the
//! largest; a region without a series has 0 in use. The project-wide limit's series has the
//! location `global`: it is kept under that name and never read as a region's.
//!
//! Same credentials (`Authorization`, `x-goog-user-project`), retry rules, deadline and
//! [`ErrorKind`]s as the Service Usage client ([`super::retry`], [`classify_google_error`]);
//! bodies are read up to [`super::http::MAX_BODY_BYTES`] a page.
//!
//! Why not Google's `google-cloud-monitoring-v3` crate: its HTTP layer reads whole bodies
//! without a cap (SPEC §4 forbids it), and its retry loop honours neither `Retry-After` nor
//! `RetryInfo`; see the commit that added this file.

mod series;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use tokio::time::Instant;

use super::auth::TokenSource;
use super::error::{ApiError, ErrorKind};
use super::http::{
    api_base_url, classify_google_error, http_client, read_body, retry_after, transport_error,
};
use super::project::validate_project_id;
use super::retry::{AttemptFailure, with_retries};
use super::serviceusage::RetryPolicy;
use series::{ListTimeSeriesResponse, UsageReader};

/// Environment variable that overrides the Cloud Monitoring base URL (SPEC §4).
pub const MONITORING_URL_ENV: &str = "QUOTA_TUI_MONITORING_URL";

/// Google's Cloud Monitoring endpoint.
pub const DEFAULT_MONITORING_URL: &str = "https://monitoring.googleapis.com";

/// The metric type of allocation quota usage.
pub const USAGE_METRIC_TYPE: &str = "serviceruntime.googleapis.com/quota/allocation/usage";

/// The monitored resource type of consumer quotas.
pub const CONSUMER_QUOTA_RESOURCE: &str = "consumer_quota";

/// How far back the query looks: the last hour (SPEC §4).
pub const USAGE_WINDOW: Duration = Duration::from_secs(3600);

/// The IAM permission `timeSeries.list` needs, and the predefined role that grants it.
pub const LIST_PERMISSION: &str = "monitoring.timeSeries.list";
pub const MONITORING_VIEWER_ROLE: &str = "roles/monitoring.viewer";

/// Most pages followed for one metric: far beyond Google's (one page holds 100,000 points),
/// so a server that keeps answering with a next page cannot hold a check forever.
pub const MAX_PAGES: u32 = 100;

/// The usage of one quota metric, as read from every page of its `timeSeries.list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// In use per `resource.labels.location` (a region, or `global` for a project-wide
    /// limit), in the metric's unit (GPUs, vCPUs): each series' latest point in the last
    /// hour, the largest where a location has several series. Locations without a series
    /// are absent.
    pub by_location: BTreeMap<String, i64>,
    /// Pages read (1 when the answer had no `nextPageToken`).
    pub pages: u32,
    /// HTTP attempts made, retries of every page included.
    pub attempts: u32,
}

impl Usage {
    /// In use in `region`: 0 when Monitoring has no series for it (SPEC §4).
    pub fn in_region(&self, region: &str) -> i64 {
        self.by_location.get(region).copied().unwrap_or(0)
    }

    /// In use in each of `regions`, in their order.
    pub fn in_regions(&self, regions: &[String]) -> Vec<i64> {
        regions.iter().map(|r| self.in_region(r)).collect()
    }
}

/// The Cloud Monitoring client of one project.
#[derive(Debug, Clone)]
pub struct MonitoringClient {
    http: reqwest::Client,
    base_url: String,
    project: String,
    tokens: TokenSource,
    policy: RetryPolicy,
}

impl MonitoringClient {
    /// A client for `project` at `base_url` (the resolved `monitoring_url`), with the
    /// default [`RetryPolicy`] (10 s deadline) and [`http_client`].
    ///
    /// Errors (kind `NotFound`, no request sent) when `project` breaks Google's project ID
    /// rule or `base_url` is not an http(s) URL.
    pub fn new(project: &str, base_url: &str, tokens: TokenSource) -> Result<Self, ApiError> {
        validate_project_id(project).map_err(|m| ApiError::new(ErrorKind::NotFound, m))?;
        let base_url = api_base_url(base_url, "Cloud Monitoring")?;
        Ok(MonitoringClient {
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

    /// The same client with another deadline for one metric, every page and retry included
    /// (`--check-timeout`).
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

    /// The `timeSeries.list` URL of `metric`'s usage over the hour ending at `end` (see the
    /// module docs), asking for the page `page_token` when given; query values are
    /// form-encoded.
    ///
    /// Errors (kind `Invalid`, nothing sent) when `metric` is not a quota metric name
    /// ([`usage_filter`]).
    pub fn timeseries_url(
        &self,
        metric: &str,
        end: DateTime<Utc>,
        page_token: Option<&str>,
    ) -> Result<String, ApiError> {
        let filter = usage_filter(metric)?;
        let start = end - chrono::Duration::from_std(USAGE_WINDOW).unwrap_or_default();
        let rfc3339 = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        let mut url = reqwest::Url::parse(&format!(
            "{}/v3/projects/{}/timeSeries",
            self.base_url, self.project
        ))
        .map_err(|e| ApiError::new(ErrorKind::Invalid, format!("bad Monitoring URL: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("filter", &filter)
                .append_pair("interval.startTime", &rfc3339(start))
                .append_pair("interval.endTime", &rfc3339(end))
                .append_pair(
                    "aggregation.alignmentPeriod",
                    &format!("{}s", USAGE_WINDOW.as_secs()),
                )
                .append_pair("aggregation.perSeriesAligner", "ALIGN_NEXT_OLDER")
                .append_pair("view", "FULL");
            if let Some(token) = page_token {
                q.append_pair("pageToken", token);
            }
        }
        Ok(url.into())
    }

    /// How much of `metric` is in use in each of `regions`, in their order (0 where
    /// Monitoring has no series). Errors as [`Self::fetch_usage`].
    pub async fn usage(&self, metric: &str, regions: &[String]) -> Result<Vec<i64>, ApiError> {
        Ok(self.fetch_usage(metric).await?.in_regions(regions))
    }

    /// The usage of `metric` in every location Monitoring has a series for: every page of
    /// `timeSeries.list` over the hour ending now, within one deadline
    /// ([`RetryPolicy::deadline`]) for all pages and retries.
    ///
    /// Errors, as `classify_google_error` gives them (SPEC §4): 401 → one fresh token and
    /// one more try, then `Auth`; 403 → `Permission`, its message naming the permission
    /// and the role to grant (Monitoring Viewer, `roles/monitoring.viewer`), or the quota
    /// project fix; `SERVICE_DISABLED` → `ServiceDisabled` (the Cloud Monitoring API is not
    /// enabled) with the activation URL; 400 → `Invalid`; 429 and 5xx → retried, then
    /// `RateLimited` / `Unavailable`; an answer with `executionErrors` (possibly incomplete)
    /// → retried as `Unavailable`; a body that is not a `ListTimeSeriesResponse`, a value
    /// that is not a count, a series of another metric, a repeated page token or more than
    /// [`MAX_PAGES`] pages → `Parse`; past the deadline → `Timeout` (or the last retryable
    /// error). `attempts` counts every page's attempts. No token is ever in a message.
    pub async fn fetch_usage(&self, metric: &str) -> Result<Usage, ApiError> {
        let deadline = Instant::now() + self.policy.deadline;
        let end = Utc::now();
        let mut reader = UsageReader::new(metric);
        let mut token: Option<String> = None;
        let (mut pages, mut attempts) = (0u32, 0u32);
        loop {
            let url = self.timeseries_url(metric, end, token.as_deref())?;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.deadline_passed(pages, attempts));
            }
            let policy = RetryPolicy {
                deadline: left,
                ..self.policy
            };
            let (page, n) = with_retries(
                &policy,
                &url,
                |n, renew| self.attempt(&url, n, renew),
                |_| true, // a GET may always be sent again
            )
            .await
            .map_err(|stop| {
                let mut e = self.explain(stop.into_error());
                e.attempts += attempts;
                e
            })?;
            attempts += n;
            pages += 1;
            reader.add(&page).map_err(|e| ApiError { attempts, ..e })?;
            let next = page.next_page_token;
            if next.is_empty() {
                break;
            }
            let stuck = token.as_deref() == Some(next.as_str());
            if stuck || pages >= MAX_PAGES {
                let why = if stuck {
                    "the same nextPageToken twice".to_string()
                } else {
                    format!("more than {MAX_PAGES} pages")
                };
                return Err(ApiError {
                    attempts,
                    ..ApiError::new(
                        ErrorKind::Parse,
                        format!("usage of {metric}: Cloud Monitoring answered with {why}"),
                    )
                });
            }
            token = Some(next);
        }
        tracing::debug!(
            metric,
            pages,
            attempts,
            series = reader.series(),
            "usage read"
        );
        Ok(Usage {
            by_location: reader.by_location(),
            pages,
            attempts,
        })
    }

    /// One request for one page: token, GET, classification of the answer.
    async fn attempt(
        &self,
        url: &str,
        attempt: u32,
        renew_token: bool,
    ) -> Result<ListTimeSeriesResponse, AttemptFailure> {
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
        let page: ListTimeSeriesResponse = serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                ErrorKind::Parse,
                format!("the answer is not a ListTimeSeriesResponse: {e}"),
            )
        })?;
        if let Some(first) = page.execution_errors.first() {
            return Err(ApiError::new(
                ErrorKind::Unavailable,
                format!(
                    "Cloud Monitoring says the answer may be incomplete: {}",
                    first.message
                ),
            )
            .cap_message()
            .into());
        }
        Ok(page)
    }

    /// `e` as met by this project's usage client: a refused quota project explained
    /// ([`TokenSource::explain`]), any other permission refusal completed with the
    /// permission and the role that grants it.
    fn explain(&self, e: ApiError) -> ApiError {
        let mut e = self.tokens.explain(e.in_project(&self.project));
        if e.kind == ErrorKind::Permission && !e.message.contains("serviceusage.services.use") {
            e.message = format!(
                "{} [reading quota usage needs {LIST_PERMISSION} on project {}: grant the \
                 account the Monitoring Viewer role ({MONITORING_VIEWER_ROLE})]",
                e.message, self.project
            );
        }
        e
    }

    /// The error when the deadline passed between two pages.
    fn deadline_passed(&self, pages: u32, attempts: u32) -> ApiError {
        ApiError {
            attempts,
            ..ApiError::new(
                ErrorKind::Timeout,
                format!(
                    "no complete answer within the {} deadline ({pages} pages read)",
                    humantime::format_duration(self.policy.deadline)
                ),
            )
        }
    }
}

/// The Monitoring filter of `metric`'s usage:
/// `metric.type="serviceruntime.googleapis.com/quota/allocation/usage" AND
/// resource.type="consumer_quota" AND metric.labels.quota_metric="METRIC"`.
///
/// Errors (kind `Invalid`) unless `metric` is a quota metric name: 1–200 characters of ASCII
/// letters, digits and `._/-` (so nothing can break out of the filter's quotes).
pub fn usage_filter(metric: &str) -> Result<String, ApiError> {
    let ok = (1..=200).contains(&metric.len())
        && metric
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b));
    if !ok {
        return Err(ApiError::new(
            ErrorKind::Invalid,
            format!(
                "'{}' is not a quota metric name (letters, digits and ._/-)",
                metric.escape_default()
            ),
        ));
    }
    Ok(format!(
        "metric.type=\"{USAGE_METRIC_TYPE}\" AND resource.type=\"{CONSUMER_QUOTA_RESOURCE}\" \
         AND metric.labels.quota_metric=\"{metric}\""
    ))
}

#[cfg(test)]
mod tests;
