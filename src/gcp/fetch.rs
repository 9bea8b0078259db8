//! Metric requests fetched fresh, for the front-ends that do not go through the cache:
//! `check` (every metric of the catalog) and a launch's fresh check (one GPU metric); the
//! warmer's batches use [`fetch_gated`] too.
//!
//! One [`MetricRequest`] is one `consumerQuotaMetrics.get` (SPEC §4) for the limits and, from
//! a source that reads usage, one `timeSeries.list` (SPEC §4 Usage) for the usage, sent
//! concurrently; each answer holds every region of the metric, so a [`MetricOutcome`] carries
//! one limit and one usage per region of the request. A service that answered
//! `service_disabled` is not asked again in the same pass (SPEC §4, [`DisabledServices`]);
//! nor is Cloud Monitoring once it refused for the whole project ([`UsageGate`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio::time::Instant;

use super::QuotaSource;
use super::disabled::DisabledServices;
use super::error::{ApiError, ErrorKind};
use super::usage_gate::UsageGate;
use crate::catalog::{Check, Limit, MetricRequest};

/// Metric requests in flight at once during `check` (6 for the default catalog, so all of
/// them at once).
pub const CHECK_CONCURRENCY: usize = 8;

/// What one metric request brought back: the limit of each of its regions, their usage, and
/// how long each request took (retries included; 0 when it was answered without a request).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricOutcome {
    pub request: MetricRequest,
    /// `Err`: the request failed, and every region has that error. `Ok`: one result per
    /// region of the request, in its order (a region the answer has no value for is a
    /// `parse` error of that region only, SPEC §4).
    pub result: Result<Vec<Result<Limit, ApiError>>, ApiError>,
    /// How long the limit request took.
    pub latency: Duration,
    /// The usage: `None` when it was not asked (a source that reads no usage, or a metric
    /// whose limits were not asked); `Some(Err)` when it could not be read (every region's
    /// usage is then unknown); `Some(Ok)`: in use per region of the request, in its order.
    pub usage: Option<Result<Vec<i64>, ApiError>>,
    /// How long the usage request took (0 when not asked or answered without a request).
    pub usage_latency: Duration,
}

impl MetricOutcome {
    /// The outcome of `request`'s limits, its usage not asked. A source that returned fewer
    /// results than regions leaves the missing ones as `parse` errors; extra results are
    /// dropped.
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
            usage: None,
            usage_latency: Duration::ZERO,
        }
    }

    /// The same outcome with its usage, read in `latency`. An answer that does not give one
    /// usage per region is a `parse` error of the usage (never a zero).
    pub fn with_usage(
        mut self,
        usage: Option<Result<Vec<i64>, ApiError>>,
        latency: Duration,
    ) -> Self {
        let n = self.request.len();
        self.usage = usage.map(|u| {
            u.and_then(|v| {
                if v.len() == n {
                    Ok(v)
                } else {
                    Err(ApiError::new(
                        ErrorKind::Parse,
                        format!(
                            "usage of {}: {} values for {n} regions",
                            self.request.metric,
                            v.len()
                        ),
                    ))
                }
            })
        });
        self.usage_latency = latency;
        self
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

    /// The usage of region number `i`: `None` when not asked, the usage request's error when
    /// it failed.
    pub fn region_usage(&self, i: usize) -> Option<Result<i64, ApiError>> {
        self.usage.as_ref().map(|u| match u {
            Ok(v) => Ok(v[i]),
            Err(e) => Err(e.clone()),
        })
    }

    /// What is free in region number `i` ([`Limit::free`]): `None` unless both its limit and
    /// its usage were read.
    pub fn region_free(&self, i: usize) -> Option<Limit> {
        let limit = self.region_result(i).ok()?;
        let in_use = self.region_usage(i)?.ok()?;
        Some(limit.free(in_use))
    }

    /// Each check of the request with its result, in region order.
    pub fn checks(&self) -> impl Iterator<Item = (Check, Result<Limit, ApiError>)> + '_ {
        (0..self.request.len()).map(|i| (self.request.check(i), self.region_result(i)))
    }

    /// The request's own error, when it failed as a whole.
    pub fn request_error(&self) -> Option<&ApiError> {
        self.result.as_ref().err()
    }

    /// The usage request's error, when it was asked and failed.
    pub fn usage_error(&self) -> Option<&ApiError> {
        self.usage.as_ref().and_then(|u| u.as_ref().err())
    }

    /// Wall time of the metric: its two requests ran concurrently, so the longer one.
    pub fn elapsed(&self) -> Duration {
        self.latency.max(self.usage_latency)
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

/// Errors to answer a metric with, without a request: its service was found disabled
/// (`limits`: then its usage is not asked either), or Cloud Monitoring refused for the whole
/// project (`usage`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gates {
    pub limits: Option<ApiError>,
    pub usage: Option<ApiError>,
}

/// Send `request` to `source` (its limits and its usage, concurrently) and time each.
pub async fn fetch_one(source: &dyn QuotaSource, request: MetricRequest) -> MetricOutcome {
    fetch_gated(source, request, Gates::default()).await
}

/// [`fetch_one`], answering a gated part with its gate's error (latency 0) instead of asking:
/// with `gates.limits`, nothing is asked and the usage is left unasked; with `gates.usage`,
/// only the limits are asked.
pub async fn fetch_gated(
    source: &dyn QuotaSource,
    request: MetricRequest,
    gates: Gates,
) -> MetricOutcome {
    if let Some(e) = gates.limits {
        return MetricOutcome::new(request, Err(e), Duration::ZERO);
    }
    let limits = async {
        let started = Instant::now();
        let r = source.fetch_metric(&request).await;
        (r, started.elapsed())
    };
    let usage = async {
        if let Some(e) = gates.usage {
            return (Some(Err(e)), Duration::ZERO);
        }
        let started = Instant::now();
        let u = source.fetch_usage(&request).await;
        (u, started.elapsed())
    };
    let ((result, latency), (usage, usage_latency)) = tokio::join!(limits, usage);
    MetricOutcome::new(request, result, latency).with_usage(usage, usage_latency)
}

/// The gates of one pass of [`fetch_all`].
#[derive(Default)]
struct PassGates {
    disabled: DisabledServices,
    usage: UsageGate,
}

/// Fetch `requests` fresh from `source` (limits and usage), at most `concurrency` at once,
/// returning one outcome per request in the order given. Each is bounded by the source's own
/// deadline.
///
/// Once a service answered `service_disabled`, its requests not yet sent get that same
/// error (latency 0) without a request (SPEC §4); once Cloud Monitoring refused for the
/// project (`permission`, `service_disabled`), the usage not yet asked gets that error.
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
    let pass = Arc::new(Mutex::new(PassGates::default()));
    futures::stream::iter(requests.iter().cloned())
        .map(|request| {
            let source = source.clone();
            let pass = pass.clone();
            async move {
                let service = request.metric.service();
                let gates = {
                    let p = pass.lock().expect("gates lock");
                    Gates {
                        limits: p.disabled.error_for(service).cloned(),
                        usage: p.usage.error().cloned(),
                    }
                };
                let outcome = fetch_gated(source.as_ref(), request, gates).await;
                let mut p = pass.lock().expect("gates lock");
                if let Some(e) = outcome.request_error() {
                    p.disabled.note(service, e);
                }
                if let Some(e) = outcome.usage_error() {
                    p.usage.note(e);
                }
                drop(p);
                on_outcome(&outcome);
                outcome
            }
        })
        .buffered(concurrency.max(1))
        .collect()
        .await
}

#[cfg(test)]
#[path = "fetch_tests.rs"]
mod tests;
