//! Metric requests fetched fresh, for the front-ends that do not go through the cache:
//! `check` (every metric of the catalog) and a launch's fresh check (one GPU metric).
//!
//! One [`MetricRequest`] is one `consumerQuotaMetrics.get` (SPEC §4); its answer holds every
//! region of the metric, so a [`MetricOutcome`] carries one result per region of the request.
//! A service that answered `service_disabled` is not asked again in the same pass (SPEC §4,
//! [`DisabledServices`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio::time::Instant;

use super::QuotaSource;
use super::disabled::DisabledServices;
use super::error::{ApiError, ErrorKind};
use crate::catalog::{Check, Limit, MetricRequest};

/// Metric requests in flight at once during `check` (6 for the default catalog, so all of
/// them at once).
pub const CHECK_CONCURRENCY: usize = 8;

/// What one metric request brought back: the limit of each of its regions, and how long the
/// request took (retries included; 0 when it was answered without a request).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricOutcome {
    pub request: MetricRequest,
    /// `Err`: the request failed, and every region has that error. `Ok`: one result per
    /// region of the request, in its order (a region the answer has no value for is a
    /// `parse` error of that region only, SPEC §4).
    pub result: Result<Vec<Result<Limit, ApiError>>, ApiError>,
    pub latency: Duration,
}

impl MetricOutcome {
    /// The outcome of `request`. A source that returned fewer results than regions leaves
    /// the missing ones as `parse` errors; extra results are dropped.
    pub fn new(
        request: MetricRequest,
        result: Result<Vec<Result<Limit, ApiError>>, ApiError>,
        latency: Duration,
    ) -> Self {
        let result = result.map(|mut limits| {
            limits.truncate(request.len());
            for region in &request.regions[limits.len()..] {
                limits.push(Err(ApiError::new(
                    ErrorKind::Parse,
                    format!("{} {region}: no value in the answer", request.metric),
                )));
            }
            limits
        });
        MetricOutcome {
            request,
            result,
            latency,
        }
    }

    /// The outcome of a request for one check only (e.g. a launch's named region, or tests).
    pub fn for_check(check: &Check, result: Result<Limit, ApiError>, latency: Duration) -> Self {
        let request = MetricRequest::new(check.metric, [check.region.clone()]);
        let result = result.map(|limit| vec![Ok(limit)]);
        MetricOutcome::new(request, result, latency)
    }

    /// The result of region number `i` of the request (the request's error when it failed).
    pub fn region_result(&self, i: usize) -> Result<Limit, ApiError> {
        match &self.result {
            Ok(limits) => limits[i].clone(),
            Err(e) => Err(e.clone()),
        }
    }

    /// Each check of the request with its result, in region order.
    pub fn checks(&self) -> impl Iterator<Item = (Check, Result<Limit, ApiError>)> + '_ {
        (0..self.request.len()).map(|i| (self.request.check(i), self.region_result(i)))
    }

    /// The request's own error, when it failed as a whole.
    pub fn request_error(&self) -> Option<&ApiError> {
        self.result.as_ref().err()
    }

    /// Regions that got a value.
    pub fn filled(&self) -> usize {
        match &self.result {
            Ok(limits) => limits.iter().filter(|r| r.is_ok()).count(),
            Err(_) => 0,
        }
    }

    /// Regions that got no value (all of them when the request failed).
    pub fn failed(&self) -> usize {
        self.request.len() - self.filled()
    }
}

/// Send `request` to `source` and time it.
pub async fn fetch_one(source: &dyn QuotaSource, request: MetricRequest) -> MetricOutcome {
    let started = Instant::now();
    let result = source.fetch_metric(&request).await;
    MetricOutcome::new(request, result, started.elapsed())
}

/// Fetch `requests` fresh from `source`, at most `concurrency` at once, returning one
/// outcome per request in the order given. Each is bounded by the source's own deadline.
///
/// Once a service answered `service_disabled`, its requests not yet sent get that same
/// error (latency 0) without a request (SPEC §4).
pub async fn fetch_all(
    requests: &[MetricRequest],
    source: Arc<dyn QuotaSource>,
    concurrency: usize,
) -> Vec<MetricOutcome> {
    fetch_all_reporting(requests, source, concurrency, &|_| {}).await
}

/// [`fetch_all`], calling `on_outcome` with each outcome as it lands (in the order they
/// land, not the order given): for a front-end's progress (`check`'s progress bar). The
/// callback runs on the fetching task and must return quickly.
pub async fn fetch_all_reporting(
    requests: &[MetricRequest],
    source: Arc<dyn QuotaSource>,
    concurrency: usize,
    on_outcome: &(dyn Fn(&MetricOutcome) + Sync),
) -> Vec<MetricOutcome> {
    let disabled = Arc::new(Mutex::new(DisabledServices::default()));
    futures::stream::iter(requests.iter().cloned())
        .map(|request| {
            let source = source.clone();
            let disabled = disabled.clone();
            async move {
                let service = request.metric.service();
                let known = disabled
                    .lock()
                    .expect("disabled lock")
                    .error_for(service)
                    .cloned();
                if let Some(e) = known {
                    let outcome = MetricOutcome::new(request, Err(e), Duration::ZERO);
                    on_outcome(&outcome);
                    return outcome;
                }
                let outcome = fetch_one(source.as_ref(), request).await;
                if let Some(e) = outcome.request_error() {
                    disabled.lock().expect("disabled lock").note(service, e);
                }
                on_outcome(&outcome);
                outcome
            }
        })
        .buffered(concurrency.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Capacity, Catalog, GpuType, QuotaMetric};
    use async_trait::async_trait;

    /// Answers every region with its index, except that a service listed in `disabled`
    /// answers `service_disabled`; counts requests.
    struct Indexed {
        disabled: &'static str,
        asked: Mutex<Vec<QuotaMetric>>,
    }

    #[async_trait]
    impl QuotaSource for Indexed {
        async fn fetch_metric(
            &self,
            request: &MetricRequest,
        ) -> Result<Vec<Result<Limit, ApiError>>, ApiError> {
            self.asked.lock().unwrap().push(request.metric);
            tokio::time::sleep(Duration::from_millis(100)).await;
            if request.metric.service() == self.disabled {
                return Err(ApiError::new(ErrorKind::ServiceDisabled, "off"));
            }
            Ok((0..request.len() as i64 - 1)
                .map(|i| Ok(Limit::Finite(i)))
                .collect())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_outcome_per_request_in_order_with_every_region() {
        let source = Arc::new(Indexed {
            disabled: "none",
            asked: Mutex::new(Vec::new()),
        });
        let requests = Catalog::default().requests();
        let out = fetch_all(&requests, source.clone(), 8).await;
        assert_eq!(
            source.asked.lock().unwrap().len(),
            6,
            "one request per metric"
        );
        source.asked.lock().unwrap().clear();
        assert_eq!(out.len(), 6);
        assert_eq!(out[5].request.metric, QuotaMetric::C3);
        // The reporting variant tells each outcome as it lands: every region once.
        let landed = Mutex::new(0usize);
        let again = fetch_all_reporting(&requests, source.clone(), 8, &|o| {
            *landed.lock().unwrap() += o.request.len();
        })
        .await;
        assert_eq!(again.len(), 6);
        assert_eq!(*landed.lock().unwrap(), 38);
        assert_eq!(out[0].latency, Duration::from_millis(100));
        let t4: Vec<_> = out[0].checks().collect();
        assert_eq!(
            t4[1],
            (
                crate::catalog::Check::gpu(GpuType::T4, Capacity::Spot, "us-east1"),
                Ok(Limit::Finite(1))
            )
        );
        // The source answered one region short: the last is a parse error of its own.
        assert_eq!((out[0].filled(), out[0].failed()), (3, 1));
        assert_eq!(
            t4[3].1.as_ref().unwrap_err().kind,
            ErrorKind::Parse,
            "a missing region is never a zero"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_disabled_service_is_asked_once_in_a_pass() {
        let source = Arc::new(Indexed {
            disabled: crate::catalog::AIPLATFORM_SERVICE,
            asked: Mutex::new(Vec::new()),
        });
        let out = fetch_all(&Catalog::default().requests(), source.clone(), 1).await;
        let asked = source.asked.lock().unwrap().clone();
        assert_eq!(
            asked,
            [
                QuotaMetric::Gpu {
                    gpu: GpuType::T4,
                    capacity: Capacity::Spot
                },
                QuotaMetric::C3
            ]
        );
        assert!(out[..5].iter().all(|o| {
            o.request_error()
                .is_some_and(|e| e.kind == ErrorKind::ServiceDisabled)
        }));
        assert_eq!(out[1].latency, Duration::ZERO, "answered without a request");
        assert_eq!(out[5].failed(), 1);
    }
}
