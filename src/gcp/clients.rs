//! [`QuotaClients`]: the quota source of a run, Service Usage for the limits (SPEC §4) and
//! Cloud Monitoring for the usage (SPEC §4 Usage), one pair of requests per quota metric,
//! sent concurrently by [`super::fetch_one`].

use async_trait::async_trait;

use super::QuotaSource;
use super::error::ApiError;
use super::monitoring::MonitoringClient;
use super::serviceusage::ServiceUsageClient;
use crate::catalog::{Limit, MetricRequest};

/// The limit client and the usage client of one project, with the same credentials, quota
/// project and deadline (`--check-timeout`, each request its own).
#[derive(Debug, Clone)]
pub struct QuotaClients {
    limits: ServiceUsageClient,
    usage: MonitoringClient,
}

impl QuotaClients {
    /// Both clients, for the same project.
    pub fn new(limits: ServiceUsageClient, usage: MonitoringClient) -> Self {
        QuotaClients { limits, usage }
    }

    /// The Service Usage client (limits).
    pub fn limits(&self) -> &ServiceUsageClient {
        &self.limits
    }

    /// The Cloud Monitoring client (usage).
    pub fn usage(&self) -> &MonitoringClient {
        &self.usage
    }
}

#[async_trait]
impl QuotaSource for QuotaClients {
    /// The limits: one `consumerQuotaMetrics.get` ([`ServiceUsageClient`]).
    async fn fetch_metric(
        &self,
        request: &MetricRequest,
    ) -> Result<Vec<Result<Limit, ApiError>>, ApiError> {
        self.limits.fetch_metric(request).await
    }

    /// The usage: one paginated `timeSeries.list` ([`MonitoringClient::usage`]); always
    /// `Some`, this source reads usage.
    async fn fetch_usage(&self, request: &MetricRequest) -> Option<Result<Vec<i64>, ApiError>> {
        Some(
            self.usage
                .usage(request.metric.name(), &request.regions)
                .await,
        )
    }
}
