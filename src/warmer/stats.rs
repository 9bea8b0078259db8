//! Warmer statistics, kept in one place (SPEC §7, issue 4): batch times, slow and failed
//! counts, cycles, and the cache's hit/miss counters, ready for the Cache screen and
//! `📊 FINAL_STATS`.

use serde::Serialize;

use super::events::{BatchLevel, WarmerEvent};
use crate::store::CacheCounters;

/// Running statistics, fed every warmer event.
#[derive(Debug, Clone, Default)]
pub struct WarmerStats {
    batch_ms: Vec<u64>,
    slow: u64,
    failed: u64,
    cycles_started: u64,
    cycles_completed: u64,
    last_cycle_ms: Option<u64>,
}

/// A copy of the statistics at one moment. Times in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatsSnapshot {
    pub batches: u64,
    pub min_ms: u64,
    pub avg_ms: u64,
    pub p95_ms: u64,
    pub max_ms: u64,
    /// Batches over 3000 ms.
    pub slow: u64,
    /// Checks (cells) whose fetch failed, repairs included.
    pub failed: u64,
    pub hits: u64,
    pub misses: u64,
    /// Percent, 0–100.
    pub hit_rate: f64,
    pub cycles_started: u64,
    pub cycles_completed: u64,
    /// Duration of the last complete cycle.
    pub last_cycle_ms: Option<u64>,
}

impl WarmerStats {
    /// Account for one event.
    pub fn record(&mut self, event: &WarmerEvent) {
        match event {
            WarmerEvent::BatchDone(b) => {
                self.batch_ms.push(b.elapsed.as_millis() as u64);
                if b.level == BatchLevel::Slow {
                    self.slow += 1;
                }
            }
            // Every failed check (cell) counts once, including those a disabled service's
            // answer settled without a request.
            WarmerEvent::MetricLanded { outcome, .. } => self.failed += outcome.failed() as u64,
            WarmerEvent::CycleStarted { .. } => self.cycles_started += 1,
            WarmerEvent::CycleComplete { elapsed, .. } => {
                self.cycles_completed += 1;
                self.last_cycle_ms = Some(elapsed.as_millis() as u64);
            }
            _ => {}
        }
    }

    /// The statistics now, with the cache's counters.
    pub fn snapshot(&self, counters: CacheCounters) -> StatsSnapshot {
        let mut sorted = self.batch_ms.clone();
        sorted.sort_unstable();
        let n = sorted.len();
        let pct = |p: f64| -> u64 {
            if n == 0 {
                0
            } else {
                // nearest-rank percentile
                let rank = ((p / 100.0) * n as f64).ceil().max(1.0) as usize;
                sorted[rank.min(n) - 1]
            }
        };
        StatsSnapshot {
            batches: n as u64,
            min_ms: sorted.first().copied().unwrap_or(0),
            avg_ms: if n == 0 {
                0
            } else {
                sorted.iter().sum::<u64>() / n as u64
            },
            p95_ms: pct(95.0),
            max_ms: sorted.last().copied().unwrap_or(0),
            slow: self.slow,
            failed: self.failed,
            hits: counters.hits,
            misses: counters.misses,
            hit_rate: counters.hit_rate_pct(),
            cycles_started: self.cycles_started,
            cycles_completed: self.cycles_completed,
            last_cycle_ms: self.last_cycle_ms,
        }
    }
}
