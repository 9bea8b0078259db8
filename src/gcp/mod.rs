//! The Google APIs quota-tui talks to: credentials, the Service Usage quota client
//! (SPEC §4), the Cloud Monitoring usage client (SPEC §4 Usage), the Vertex AI CustomJob
//! client (SPEC §10), and their errors.

pub mod auth;
pub mod clients;
pub mod console;
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
pub mod usage_gate;
pub mod vertex;

use async_trait::async_trait;

use crate::catalog::{Limit, MetricRequest};
pub use clients::QuotaClients;
pub use error::{ApiError, ErrorKind};
pub use fetch::{
    CHECK_CONCURRENCY, Gates, MetricOutcome, fetch_all, fetch_all_reporting, fetch_gated, fetch_one,
};
pub use usage_gate::UsageGate;

/// Anything that can answer a metric request with the limit of each of its regions, and
/// (when it can read it) the usage: [`QuotaClients`] (Service Usage and Cloud Monitoring
/// together), the Service Usage client alone (limits only), or a fake in tests.
///
/// One `consumerQuotaMetrics.get?view=FULL` answer holds the buckets of every region of the
/// metric (Google's reference,
/// <https://cloud.google.com/service-usage/docs/reference/rest/v1beta1/services.consumerQuotaMetrics/get>;
/// SPEC §4), so one request answers all the checks of its metric; one (paginated)
/// `timeSeries.list` answers the usage of every region of it (SPEC §4 Usage). The two are
/// asked concurrently ([`fetch_one`]).
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

    /// How much of `request.metric` is in use in each of `request.regions`, in their order
    /// (GPUs or vCPUs; 0 where Cloud Monitoring has no series): one `timeSeries.list`, every
    /// page, bounded by the source's own deadline. `Some(Err)`: the usage could not be read
    /// (e.g. `permission` without `monitoring.timeSeries.list`), which never hides a limit.
    ///
    /// `None`: this source reads no usage (the Service Usage client alone, or a limit-only
    /// fake), so usage stays unknown (`?`) and nothing about it is recorded. The default.
    async fn fetch_usage(&self, _request: &MetricRequest) -> Option<Result<Vec<i64>, ApiError>> {
        None
    }
}
