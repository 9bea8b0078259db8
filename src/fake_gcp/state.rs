//! What the fake's routes share: the configuration, the seeded random draws of latency and
//! faults, the request statistics, and the shutdown token.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio_util::sync::CancellationToken;

use super::FakeGcpConfig;
use super::vertex::CustomJobs;

/// One Service Usage request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub project: String,
    pub service: String,
    /// The quota metric, decoded (`aiplatform.googleapis.com/custom_...`).
    pub metric: String,
    /// Whether it carried a non-empty `Authorization: Bearer` header.
    pub bearer: bool,
}

/// One Cloud Monitoring `timeSeries.list` request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedUsageRequest {
    pub project: String,
    /// The filter's `metric.labels.quota_metric` (empty when the filter has none or does
    /// not parse).
    pub quota_metric: String,
    /// Whether it asked for a next page (`pageToken`).
    pub page_token: bool,
    /// Whether it carried a non-empty `Authorization: Bearer` header.
    pub bearer: bool,
}

/// Request statistics for tests (see [`super::FakeGcp::stats`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeStats {
    /// HTTP requests of any route, answered or not.
    pub total_requests: usize,
    /// Most requests in flight at once.
    pub max_in_flight: usize,
    /// Service Usage `consumerQuotaMetrics.get` requests, in arrival order.
    pub requests: Vec<RecordedRequest>,
    /// Names of the Vertex AI CustomJobs created (`projects/P/locations/R/customJobs/ID`),
    /// in order.
    pub custom_jobs: Vec<String>,
    /// Cloud Monitoring `timeSeries.list` requests, in arrival order.
    pub usage_requests: Vec<RecordedUsageRequest>,
}

/// What to do with one request after its latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Answer normally.
    None,
    /// Never answer (until shutdown).
    Hang,
    /// 503 `UNAVAILABLE`.
    Unavailable,
    /// 429 `RESOURCE_EXHAUSTED`.
    RateLimited,
    /// 200 with a cut-off body.
    Malformed,
}

/// State shared by every route via `Arc` (the Vertex AI routes use it too).
pub(crate) struct FakeState {
    pub(crate) cfg: FakeGcpConfig,
    pub(crate) cancel: CancellationToken,
    rng: Mutex<ChaCha8Rng>,
    stats: Mutex<FakeStats>,
    in_flight: AtomicUsize,
    /// The Vertex AI CustomJobs made so far.
    pub(crate) jobs: Mutex<CustomJobs>,
}

/// Counts a request in flight until dropped (also when the request is abandoned).
pub(crate) struct InFlight<'a>(&'a FakeState);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl FakeState {
    pub(crate) fn new(cfg: FakeGcpConfig, cancel: CancellationToken) -> Self {
        FakeState {
            cfg,
            cancel,
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(cfg.seed)),
            stats: Mutex::new(FakeStats::default()),
            in_flight: AtomicUsize::new(0),
            jobs: Mutex::new(CustomJobs::new(cfg.seed)),
        }
    }

    /// Count a request of any route; the guard keeps it in flight.
    pub(crate) fn enter(&self) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let mut stats = self.stats.lock().expect("stats lock");
        stats.total_requests += 1;
        stats.max_in_flight = stats.max_in_flight.max(now);
        InFlight(self)
    }

    /// Record a Service Usage request.
    pub(crate) fn record(&self, request: RecordedRequest) {
        self.stats
            .lock()
            .expect("stats lock")
            .requests
            .push(request);
    }

    /// Record a Cloud Monitoring `timeSeries.list` request.
    pub(crate) fn record_usage(&self, request: RecordedUsageRequest) {
        self.stats
            .lock()
            .expect("stats lock")
            .usage_requests
            .push(request);
    }

    /// Record a created CustomJob by name.
    pub(crate) fn record_job(&self, name: String) {
        self.stats
            .lock()
            .expect("stats lock")
            .custom_jobs
            .push(name);
    }

    /// A copy of the statistics so far.
    pub(crate) fn stats(&self) -> FakeStats {
        self.stats.lock().expect("stats lock").clone()
    }

    /// Draw this request's latency and fault from the seeded generator.
    pub(crate) fn draw(&self) -> (Duration, Fault) {
        let cfg = &self.cfg;
        let mut rng = self.rng.lock().expect("rng lock");
        let (lo, hi) = if rng.random_bool(cfg.slow_rate.clamp(0.0, 1.0)) {
            cfg.slow_latency()
        } else {
            cfg.latency
        };
        let latency = lo + (hi.saturating_sub(lo)).mul_f64(rng.random::<f64>());
        let fault = if rng.random_bool(cfg.hang_rate.clamp(0.0, 1.0)) {
            Fault::Hang
        } else if rng.random_bool(cfg.error_rate.clamp(0.0, 1.0)) {
            if rng.random_bool(0.5) {
                Fault::Unavailable
            } else {
                Fault::RateLimited
            }
        } else if rng.random_bool(cfg.malformed_rate.clamp(0.0, 1.0)) {
            Fault::Malformed
        } else {
            Fault::None
        };
        (latency, fault)
    }

    /// Wait this request's latency (`tokio::time::sleep`, so a paused clock drives it) and
    /// return its fault; a hang waits here until shutdown. `None` when the server is
    /// stopping: answer at once.
    pub(crate) async fn delay(&self) -> Option<Fault> {
        let (latency, fault) = self.draw();
        tokio::select! {
            _ = tokio::time::sleep(latency) => {}
            _ = self.cancel.cancelled() => return None,
        }
        if fault == Fault::Hang {
            self.cancel.cancelled().await;
            return None;
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(cfg: FakeGcpConfig) -> FakeState {
        FakeState::new(cfg, CancellationToken::new())
    }

    #[test]
    fn draws_are_fixed_by_the_seed() {
        let a = state(FakeGcpConfig::default());
        let b = state(FakeGcpConfig::default());
        let da: Vec<_> = (0..50).map(|_| a.draw()).collect();
        let db: Vec<_> = (0..50).map(|_| b.draw()).collect();
        assert_eq!(da, db);
    }

    #[test]
    fn default_draws_follow_spec_5() {
        let s = state(FakeGcpConfig::default());
        let draws: Vec<_> = (0..4000).map(|_| s.draw()).collect();
        let ms = |d: &Duration| d.as_millis();
        assert!(draws.iter().all(|(d, _)| (300..=4000).contains(&ms(d))));
        let slow = draws.iter().filter(|(d, _)| ms(d) > 2500).count();
        assert!((200..600).contains(&slow), "about 10% slow: {slow}");
        let errors = draws
            .iter()
            .filter(|(_, f)| matches!(f, Fault::Unavailable | Fault::RateLimited))
            .count();
        assert!((60..200).contains(&errors), "about 3% errors: {errors}");
        assert!(
            draws
                .iter()
                .all(|(_, f)| !matches!(f, Fault::Hang | Fault::Malformed))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn latency_runs_on_tokio_time() {
        let s = state(FakeGcpConfig::default());
        let started = tokio::time::Instant::now();
        let mut faults = Vec::new();
        for _ in 0..20 {
            faults.push(s.delay().await);
        }
        let took = started.elapsed();
        // 20 draws of 0.3–4 s each, run in no real time on the paused clock.
        assert!(
            took >= Duration::from_secs(6) && took <= Duration::from_secs(80),
            "{took:?}"
        );
        assert!(faults.iter().all(Option::is_some));
    }

    #[tokio::test(start_paused = true)]
    async fn a_hang_ends_at_shutdown() {
        let cfg = FakeGcpConfig {
            hang_rate: 1.0,
            ..FakeGcpConfig::quiet()
        };
        let s = std::sync::Arc::new(state(cfg));
        let s2 = s.clone();
        let hung = tokio::spawn(async move { s2.delay().await });
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert!(!hung.is_finished(), "still hanging after an hour");
        s.cancel.cancel();
        assert_eq!(hung.await.unwrap(), None);
    }
}
