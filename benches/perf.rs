//! quota-tui's benchmarks (issue 7). `cargo bench --bench perf` prints the figures;
//! `cargo bench --bench perf -- --json` prints them as one JSON object on the last line.
//!
//! Figures:
//! - `cycle_time_ratio`: one full warm cycle's time over the ideal Σ max(interval, batch time),
//!   on tokio's paused clock, with 3 s checks at a 2 s interval;
//! - `baseline_skip_tick_ratio`: the same for the original's pacing (a tick that finds a batch
//!   in flight is skipped and the next batch waits for the next tick), in the same run.

#[path = "../tests/common/fake_source.rs"]
mod fake_source;

use std::sync::Arc;
use std::time::Duration;

use fake_source::FakeSource;
use quota_tui::cache::QuotaCache;
use quota_tui::catalog::{Capacity, Catalog};
use quota_tui::gcp::QuotaSource;
use quota_tui::warmer::{Warmer, WarmerConfig, WarmerEvent};
use serde_json::{Map, Value, json};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const INTERVAL: Duration = Duration::from_secs(2);
const CHECK: Duration = Duration::from_secs(3);

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime")
}

/// Ideal cycle time: Σ over the 20 batches of max(interval, batch time).
fn ideal(batches: usize) -> Duration {
    INTERVAL.max(CHECK) * batches as u32
}

/// quota-tui's warmer: time from start to `CycleComplete`.
fn cycle_time_ratio() -> f64 {
    paused_runtime().block_on(async {
        let source = FakeSource::fixed(CHECK, 4);
        let cache = Arc::new(QuotaCache::new(Duration::from_secs(1800)));
        let cfg = WarmerConfig {
            interval: INTERVAL,
            ..WarmerConfig::default()
        };
        let warmer = Warmer::new(cfg, &Catalog::default(), source, cache);
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
        cancel.cancel();
        let _ = task.await;
        elapsed.as_secs_f64() / ideal(batches).as_secs_f64()
    })
}

/// The original's pacing: every tick, skip if a batch is in flight, else start the next.
fn baseline_skip_tick_ratio() -> f64 {
    paused_runtime().block_on(async {
        let source: Arc<dyn QuotaSource> = FakeSource::fixed(CHECK, 4);
        let catalog = Catalog::default();
        let (gpu, c3) = (catalog.gpu_checks(), catalog.c3_checks());
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
                        let _ = s.fetch(&g, Capacity::Spot).await;
                    }
                };
                let cf = async {
                    if let Some(c) = c {
                        let _ = s.fetch(&c, Capacity::Spot).await;
                    }
                };
                futures::join!(gf, cf);
                Instant::now()
            }));
            next += 1;
        };
        let elapsed = last_end - start;
        elapsed.as_secs_f64() / ideal(batches).as_secs_f64()
    })
}

fn main() {
    let json_out = std::env::args().any(|a| a == "--json");
    let mut figures = Map::new();
    let ratio = cycle_time_ratio();
    println!("cycle_time_ratio          {ratio:.3}  (3 s checks, 2 s interval; ideal = 1.0)");
    figures.insert("cycle_time_ratio".into(), json!(round3(ratio)));
    let base = baseline_skip_tick_ratio();
    println!("baseline_skip_tick_ratio  {base:.3}  (the original's skip-a-tick pacing)");
    figures.insert("baseline_skip_tick_ratio".into(), json!(round3(base)));
    if json_out {
        println!("{}", Value::Object(figures));
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
