//! A scripted `QuotaSource` for paused-clock warmer tests: per-request latency and outcome
//! from a seeded RNG or a closure, with a record of every metric request's start and end;
//! optionally a usage (Cloud Monitoring) answer per metric too, recorded the same way.
//!
//! Like the real client it owns its deadline (SPEC §4): a request planned to hang ends with
//! `ErrorKind::Timeout` after [`DEADLINE`].

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use quota_tui::catalog::{Limit, MetricRequest, QuotaMetric};
use quota_tui::gcp::{ApiError, ErrorKind, QuotaSource};
use tokio::time::Instant;

/// The source's own deadline for one request, as `--check-timeout`'s default.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// What one request does.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Every region of the request gets `Limit` after the latency.
    Answer(Duration, Limit),
    /// The request fails after the latency.
    Fail(Duration, ErrorKind),
    /// No answer: a `Timeout` at the deadline.
    Hang,
}

/// One request as seen by the source.
#[derive(Debug, Clone)]
pub struct Request {
    pub request: MetricRequest,
    pub start: Instant,
    pub end: Option<Instant>,
    pub ok: bool,
}

impl Request {
    /// The metric asked for.
    pub fn metric(&self) -> QuotaMetric {
        self.request.metric
    }
}

type Planner = dyn Fn(&MetricRequest, usize) -> Plan + Send + Sync;

/// What one usage request does.
#[derive(Debug, Clone)]
pub enum UsagePlan {
    /// Every region has `i64` in use, after the latency.
    Answer(Duration, i64),
    /// The usage request fails after the latency.
    Fail(Duration, ErrorKind),
}

type UsagePlanner = dyn Fn(&MetricRequest, usize) -> UsagePlan + Send + Sync;

pub struct FakeSource {
    planner: Box<Planner>,
    usage: Option<Box<UsagePlanner>>,
    in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    pub requests: Mutex<Vec<Request>>,
    /// Usage requests, in order (their `ok` says whether they answered).
    pub usage_requests: Mutex<Vec<Request>>,
}

impl FakeSource {
    /// A source whose request number `n` (0-based) for `request` does `planner(request, n)`.
    pub fn new(
        planner: impl Fn(&MetricRequest, usize) -> Plan + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(FakeSource {
            planner: Box::new(planner),
            usage: None,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            usage_requests: Mutex::new(Vec::new()),
        })
    }

    /// A source whose limits do `planner(request, n)` and whose usage request number `n`
    /// does `usage(request, n)`.
    pub fn with_usage(
        planner: impl Fn(&MetricRequest, usize) -> Plan + Send + Sync + 'static,
        usage: impl Fn(&MetricRequest, usize) -> UsagePlan + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(FakeSource {
            planner: Box::new(planner),
            usage: Some(Box::new(usage)),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            usage_requests: Mutex::new(Vec::new()),
        })
    }

    pub fn usage_requests(&self) -> Vec<Request> {
        self.usage_requests.lock().unwrap().clone()
    }

    /// Every region of every metric answers `limit` after `latency`.
    pub fn fixed(latency: Duration, limit: i64) -> Arc<Self> {
        Self::new(move |_, _| Plan::Answer(latency, Limit::Finite(limit)))
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

struct InFlight<'a>(&'a FakeSource);
impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl QuotaSource for FakeSource {
    async fn fetch_metric(
        &self,
        request: &MetricRequest,
    ) -> Result<Vec<Result<Limit, ApiError>>, ApiError> {
        let idx = {
            let mut reqs = self.requests.lock().unwrap();
            reqs.push(Request {
                request: request.clone(),
                start: Instant::now(),
                end: None,
                ok: false,
            });
            reqs.len() - 1
        };
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let _guard = InFlight(self);
        let plan = (self.planner)(request, idx);
        let result = match plan {
            Plan::Answer(d, limit) if d < DEADLINE => {
                tokio::time::sleep(d).await;
                Ok(vec![Ok(limit); request.len()])
            }
            Plan::Fail(d, kind) if d < DEADLINE => {
                tokio::time::sleep(d).await;
                Err(ApiError::new(kind, "scripted failure"))
            }
            _ => {
                tokio::time::sleep(DEADLINE).await;
                Err(ApiError::new(ErrorKind::Timeout, "no answer within 10s"))
            }
        };
        let mut reqs = self.requests.lock().unwrap();
        reqs[idx].end = Some(Instant::now());
        reqs[idx].ok = result.is_ok();
        result
    }

    async fn fetch_usage(&self, request: &MetricRequest) -> Option<Result<Vec<i64>, ApiError>> {
        let planner = self.usage.as_ref()?;
        let idx = {
            let mut reqs = self.usage_requests.lock().unwrap();
            reqs.push(Request {
                request: request.clone(),
                start: Instant::now(),
                end: None,
                ok: false,
            });
            reqs.len() - 1
        };
        let result = match planner(request, idx) {
            UsagePlan::Answer(d, in_use) => {
                tokio::time::sleep(d.min(DEADLINE)).await;
                Ok(vec![in_use; request.len()])
            }
            UsagePlan::Fail(d, kind) => {
                tokio::time::sleep(d.min(DEADLINE)).await;
                Err(ApiError::new(kind, "scripted usage failure"))
            }
        };
        let mut reqs = self.usage_requests.lock().unwrap();
        reqs[idx].end = Some(Instant::now());
        reqs[idx].ok = result.is_ok();
        Some(result)
    }
}
