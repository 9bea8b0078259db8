//! Warmer pacing on tokio's paused clock, 3 s requests at a 2 s interval (issue 7, SPEC §7):
//! quota-tui's warmer against the original's skip-a-tick pacing over the same batches, in the
//! same run; and the requests one cycle sends (issue 12: one per metric; issue 13: its
//! limit and its usage, 12 for the default catalog).

use std::sync::Arc;
use std::time::Duration;

use quota_tui::catalog::Catalog;
use quota_tui::gcp::QuotaSource;
use quota_tui::store::{MemoryStore, TokioClock};
use quota_tui::warmer::{Warmer, WarmerConfig, WarmerEvent};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::fake_source::{FakeSource, Plan, UsagePlan};

const INTERVAL: Duration = Duration::from_secs(2);
const CHECK: Duration = Duration::from_secs(3);

/// Both ratios and the cycle times they come from (paused clock, so exact).
pub struct Pacing {
    /// quota-tui: one full cycle's time over the ideal Σ max(interval, batch time).
    pub cycle_time_ratio: f64,
    pub cycle: Duration,
    /// The original's pacing: the same ratio.
    pub baseline_skip_tick_ratio: f64,
    pub baseline_cycle: Duration,
    /// Σ max(interval, batch time) over the cycle's batches.
    pub ideal: Duration,
    /// Batches in one cycle (5 for the default catalog).
    pub batches: usize,
    /// Requests quota-tui's warmer sent in one cycle (12 for the default catalog: per metric
    /// one for the limits and one for the usage, sent together, each answering every region).
    pub requests_per_cycle: usize,
}

pub fn measure() -> Pacing {
    let (cycle, batches, requests_per_cycle) = quota_tui_cycle();
    let (baseline_cycle, base_batches) = baseline_cycle();
    assert_eq!(batches, base_batches, "both pacings run the same batches");
    let ideal = ideal(batches);
    Pacing {
        cycle_time_ratio: cycle.as_secs_f64() / ideal.as_secs_f64(),
        cycle,
        baseline_skip_tick_ratio: baseline_cycle.as_secs_f64() / ideal.as_secs_f64(),
        baseline_cycle,
        ideal,
        batches,
        requests_per_cycle,
    }
}

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime")
}

/// Ideal cycle time: Σ over the batches of max(interval, batch time).
fn ideal(batches: usize) -> Duration {
    INTERVAL.max(CHECK) * batches as u32
}

/// quota-tui's warmer: time from start to `CycleComplete`, the number of batches and of
/// requests (limits and usage, each taking `CHECK`).
fn quota_tui_cycle() -> (Duration, usize, usize) {
    paused_runtime().block_on(async {
        let source = FakeSource::with_usage(
            |_, _| Plan::Answer(CHECK, quota_tui::catalog::Limit::Finite(4)),
            |_, _| UsagePlan::Answer(CHECK, 1),
        );
        let cache = Arc::new(MemoryStore::with_clock(
            Duration::from_secs(1800),
            Arc::new(TokioClock::new()),
        ));
        let cfg = WarmerConfig {
            interval: INTERVAL,
            ..WarmerConfig::default()
        };
        let warmer = Warmer::new(cfg, &Catalog::default(), source.clone(), cache);
        let mut rx = warmer.subscribe();
        let cancel = CancellationToken::new();
        let (_h, task) = warmer.start(cancel.clone());
        let mut batches = 0;
        let elapsed = loop {
            match rx.recv().await.expect("warmer events") {
                WarmerEvent::BatchDone(_) => batches += 1,
                WarmerEvent::CycleComplete { elapsed, .. } => break elapsed,
                _ => {}
            }
        };
        let requests = source.requests().len() + source.usage_requests().len();
        cancel.cancel();
        let _ = task.await;
        (elapsed, batches, requests)
    })
}

/// The original's pacing over the same batches (the next GPU metric and the next C3 metric):
/// every tick, skip if a batch is in flight, else start the next.
fn baseline_cycle() -> (Duration, usize) {
    paused_runtime().block_on(async {
        let source: Arc<dyn QuotaSource> = FakeSource::fixed(CHECK, 4);
        let catalog = Catalog::default();
        let gpu = catalog.gpu_requests();
        let c3: Vec<_> = catalog.c3_request().into_iter().collect();
        let batches = gpu.len().max(c3.len());
        let start = Instant::now();
        let mut ticker = tokio::time::interval(INTERVAL);
        let mut in_flight: Option<tokio::task::JoinHandle<Instant>> = None;
        let mut next = 0;
        let last_end = loop {
            ticker.tick().await;
            if in_flight.as_ref().is_some_and(|h| !h.is_finished()) {
                continue; // the original skipped this tick and waited for the next
            }
            if next == batches {
                break in_flight.take().expect("a batch ran").await.expect("batch");
            }
            let (g, c) = (gpu.get(next).cloned(), c3.get(next).cloned());
            let s = source.clone();
            in_flight = Some(tokio::spawn(async move {
                let gf = async {
                    if let Some(g) = g {
                        let _ = s.fetch_metric(&g).await;
                    }
                };
                let cf = async {
                    if let Some(c) = c {
                        let _ = s.fetch_metric(&c).await;
                    }
                };
                futures::join!(gf, cf);
                Instant::now()
            }));
            next += 1;
        };
        (last_end - start, batches)
    })
}
