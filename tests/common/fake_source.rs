//! A scripted `QuotaSource` for paused-clock warmer tests: per-request latency and outcome
//! from a seeded RNG or a closure, with a record of every request's start and end.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use quota_tui::catalog::{Capacity, Check, Limit};
use quota_tui::gcp::{ApiError, ErrorKind, QuotaSource};
use tokio::time::Instant;

/// What one request does.
#[derive(Debug, Clone)]
pub enum Plan {
    Answer(Duration, Limit),
    Fail(Duration, ErrorKind),
    Hang,
}

/// One request as seen by the source.
#[derive(Debug, Clone)]
pub struct Request {
    pub check: Check,
    pub start: Instant,
    pub end: Option<Instant>,
    pub ok: bool,
}

type Planner = dyn Fn(&Check, usize) -> Plan + Send + Sync;

pub struct FakeSource {
    planner: Box<Planner>,
    in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    pub requests: Mutex<Vec<Request>>,
}

impl FakeSource {
    /// A source whose request number `n` (0-based) for `check` does `planner(check, n)`.
    pub fn new(planner: impl Fn(&Check, usize) -> Plan + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(FakeSource {
            planner: Box::new(planner),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
        })
    }

    /// Every check answers `limit` after `latency`.
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
    async fn fetch(&self, check: &Check, _capacity: Capacity) -> Result<Limit, ApiError> {
        let idx = {
            let mut reqs = self.requests.lock().unwrap();
            reqs.push(Request {
                check: check.clone(),
                start: Instant::now(),
                end: None,
                ok: false,
            });
            reqs.len() - 1
        };
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let _guard = InFlight(self);
        let plan = (self.planner)(check, idx);
        let result = match plan {
            Plan::Answer(d, limit) => {
                tokio::time::sleep(d).await;
                Ok(limit)
            }
            Plan::Fail(d, kind) => {
                tokio::time::sleep(d).await;
                Err(ApiError::new(kind, "scripted failure"))
            }
            Plan::Hang => std::future::pending().await,
        };
        let mut reqs = self.requests.lock().unwrap();
        reqs[idx].end = Some(Instant::now());
        reqs[idx].ok = result.is_ok();
        result
    }
}
