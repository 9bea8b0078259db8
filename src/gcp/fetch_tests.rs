//! Tests of fresh fetches: one outcome per request, limits and usage together, the gates.

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

/// Limits 16 everywhere after 1 s; usage after 2 s: 14 in the first region, 0 elsewhere,
/// or `usage_error` for every request; counts usage requests.
struct WithUsage {
    usage_error: Option<ErrorKind>,
    short: bool,
    usage_asked: Mutex<usize>,
}

#[async_trait]
impl QuotaSource for WithUsage {
    async fn fetch_metric(
        &self,
        request: &MetricRequest,
    ) -> Result<Vec<Result<Limit, ApiError>>, ApiError> {
        tokio::time::sleep(Duration::from_secs(1)).await;
        Ok(vec![Ok(Limit::Finite(16)); request.len()])
    }

    async fn fetch_usage(&self, request: &MetricRequest) -> Option<Result<Vec<i64>, ApiError>> {
        *self.usage_asked.lock().unwrap() += 1;
        tokio::time::sleep(Duration::from_secs(2)).await;
        if let Some(kind) = self.usage_error {
            return Some(Err(ApiError::new(kind, "no usage")));
        }
        let n = request.len() - usize::from(self.short);
        Some(Ok((0..n).map(|i| if i == 0 { 14 } else { 0 }).collect()))
    }
}

fn with_usage(usage_error: Option<ErrorKind>, short: bool) -> Arc<WithUsage> {
    Arc::new(WithUsage {
        usage_error,
        short,
        usage_asked: Mutex::new(0),
    })
}

#[tokio::test(start_paused = true)]
async fn limits_and_usage_are_asked_together_and_free_is_read_per_region() {
    let source = with_usage(None, false);
    let t4 = Catalog::default().gpu_requests().remove(0);
    let started = Instant::now();
    let o = fetch_one(source.as_ref(), t4).await;
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(2),
        "concurrently, not 3 s"
    );
    assert_eq!(
        (o.latency, o.usage_latency),
        (Duration::from_secs(1), Duration::from_secs(2))
    );
    assert_eq!(o.elapsed(), Duration::from_secs(2));
    assert_eq!(o.region_usage(0), Some(Ok(14)));
    assert_eq!(o.region_free(0), Some(Limit::Finite(2)));
    assert_eq!(
        o.region_free(1),
        Some(Limit::Finite(16)),
        "no series: 0 in use"
    );
    assert!(o.usage_error().is_none());

    let short = fetch_one(with_usage(None, true).as_ref(), o.request.clone()).await;
    assert_eq!(
        short.usage_error().map(|e| e.kind),
        Some(ErrorKind::Parse),
        "a missing region's usage is never a zero"
    );
    assert_eq!(short.region_free(0), None);
    assert_eq!(
        short.region_result(0),
        Ok(Limit::Finite(16)),
        "the limit stays"
    );
}

#[tokio::test(start_paused = true)]
async fn a_project_wide_usage_refusal_is_asked_once_in_a_pass_and_hides_no_limit() {
    let source = with_usage(Some(ErrorKind::Permission), false);
    let out = fetch_all(&Catalog::default().requests(), source.clone(), 1).await;
    assert_eq!(*source.usage_asked.lock().unwrap(), 1, "the gate closed");
    assert!(
        out.iter().all(|o| o.filled() == o.request.len()),
        "every limit read"
    );
    assert!(
        out.iter()
            .all(|o| o.usage_error().map(|e| e.kind) == Some(ErrorKind::Permission))
    );
    assert_eq!(
        out[1].usage_latency,
        Duration::ZERO,
        "answered without a request"
    );
    assert_eq!(out[0].region_free(0), None, "usage unknown: free unknown");

    // A timeout is the metric's own: every metric is asked.
    let source = with_usage(Some(ErrorKind::Timeout), false);
    fetch_all(&Catalog::default().requests(), source.clone(), 1).await;
    assert_eq!(*source.usage_asked.lock().unwrap(), 6);

    // A limit-only source: usage not asked, nothing about it in the outcome.
    let limit_only = Arc::new(Indexed {
        disabled: "none",
        asked: Mutex::new(Vec::new()),
    });
    let out = fetch_all(&Catalog::default().requests(), limit_only, 8).await;
    assert!(
        out.iter()
            .all(|o| o.usage.is_none() && o.usage_latency.is_zero())
    );
}
