//! The Google APIs quota-tui talks to: credentials, the Service Usage quota client
//! (SPEC §4), the Vertex AI CustomJob client (SPEC §10), and their errors.

pub mod auth;
pub mod disabled;
pub mod error;
pub mod fetch;
pub mod gcloud_config;
pub mod google_error;
pub mod http;
pub mod monitoring;
pub mod project;
pub mod quota_metric;
pub(crate) mod retry;
pub mod serviceusage;
pub mod vertex;

use async_trait::async_trait;

use crate::catalog::{Limit, MetricRequest};
pub use error::{ApiError, ErrorKind};
pub use fetch::{CHECK_CONCURRENCY, MetricOutcome, fetch_all, fetch_all_reporting, fetch_one};

/// Anything that can answer a metric request with the limit of each of its regions: the
/// Service Usage client, or a fake in tests.
///
/// One `consumerQuotaMetrics.get?view=FULL` answer holds the buckets of every region of the
/// metric (Google's reference,
/// <https://cloud.google.com/service-usage/docs/reference/rest/v1beta1/services.consumerQuotaMetrics/get>;
/// SPEC §4), so one request answers all the checks of its metric.
#[async_trait]
pub trait QuotaSource: Send + Sync + 'static {
    /// One request for `request.metric`; the limit (GPUs or vCPUs) of each of
    /// `request.regions` read from the one answer, in the same order (a region whose value
    /// cannot be read fails alone, kind `parse`). `Err`: the request failed, and every region
    /// gets that error.
    ///
    /// Bounded by the source's own deadline (SPEC §4: the client owns the only deadline,
    /// `RetryPolicy::deadline` = `--check-timeout`); past it, `ErrorKind::Timeout` or the last
    /// retryable error.
    async fn fetch_metric(
        &self,
        request: &MetricRequest,
    ) -> Result<Vec<Result<Limit, ApiError>>, ApiError>;
}
