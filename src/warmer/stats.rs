//! Warmer statistics, kept in one place (SPEC §7, issue 4): batch times, slow and failed
//! counts, cycles, and the cache's hit/miss counters, ready for the Cache screen and
//! `📊 FINAL_STATS`.
//!
//! Reads before the first complete cycle are **cold reads**: the screens were opened while
//! the cache was still filling, so most were misses by design. They are counted apart and
//! left out of the steady-state hit rate (SPEC §7: 100 % while the app runs), which would
//! otherwise read "2.6 %" during the first warm. The split needs nothing of the store: the
//! warmer copies the store's counters when the first cycle completes
//! ([`WarmerStats::mark_warm`]) and counts from there.

use serde::Serialize;

use super::events::{BatchLevel, WarmerEvent};
use crate::store::CacheCounters;

/// How many of the last batch times a snapshot carries.
pub const RECENT_BATCHES: usize = 60;

/// Running statistics, fed every warmer event.
#[derive(Debug, Clone, Default)]
pub struct WarmerStats {
    batch_ms: Vec<u64>,
    slow: u64,
    failed: u64,
    cycles_started: u64,
    cycles_completed: u64,
    last_cycle_ms: Option<u64>,
    /// The store's counters when the first cycle completed: the cold reads.
    cold: Option<CacheCounters>,
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
    /// Hits since the first complete cycle (steady state; 0 before it).
    pub hits: u64,
    /// Misses since the first complete cycle (steady state; 0 before it).
    pub misses: u64,
    /// Steady-state hit rate: hits over reads since the first complete cycle, in percent
    /// (0–100; 0 before any such read).
    pub hit_rate: f64,
    /// Hits among the reads before the first complete cycle (the cold reads).
    pub cold_hits: u64,
    /// Misses among the reads before the first complete cycle.
    pub cold_misses: u64,
    pub cycles_started: u64,
    pub cycles_completed: u64,
    /// Duration of the last complete cycle.
    pub last_cycle_ms: Option<u64>,
    /// The last batches' times, oldest first (at most [`RECENT_BATCHES`]): the Home
    /// screen's sparkline. Not in `warm --json` (the figures above sum them up).
    #[serde(skip)]
    pub recent_batch_ms: Vec<u64>,
}

impl StatsSnapshot {
    /// Reads before the first complete cycle.
    pub fn cold_reads(&self) -> u64 {
        self.cold_hits + self.cold_misses
    }

    /// True once the steady state began (a cycle completed).
    pub fn steady(&self) -> bool {
        self.cycles_completed > 0
    }
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

    /// The first cycle completed and the store's counters read `counters`: every read so
    /// far was cold. Later calls change nothing.
    pub fn mark_warm(&mut self, counters: CacheCounters) {
        self.cold.get_or_insert(counters);
    }

    /// The statistics now, with the cache's counters (split into cold reads and the steady
    /// state at the first complete cycle).
    pub fn snapshot(&self, counters: CacheCounters) -> StatsSnapshot {
        let (cold, steady) = match self.cold {
            Some(cold) => (cold, counters.since(cold)),
            None => (counters, CacheCounters::default()),
        };
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
            hits: steady.hits,
            misses: steady.misses,
            hit_rate: steady.hit_rate_pct(),
            cold_hits: cold.hits,
            cold_misses: cold.misses,
            cycles_started: self.cycles_started,
            cycles_completed: self.cycles_completed,
            last_cycle_ms: self.last_cycle_ms,
            recent_batch_ms: self.batch_ms[self.batch_ms.len().saturating_sub(RECENT_BATCHES)..]
                .to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn counters(hits: u64, misses: u64) -> CacheCounters {
        CacheCounters { hits, misses }
    }

    #[test]
    fn reads_before_the_first_complete_cycle_are_cold_and_left_out_of_the_hit_rate() {
        let mut stats = WarmerStats::default();
        // "hits 2 · misses 74" during the first warm: all cold, no steady-state rate yet.
        let s = stats.snapshot(counters(2, 74));
        assert_eq!((s.cold_hits, s.cold_misses, s.cold_reads()), (2, 74, 76));
        assert_eq!((s.hits, s.misses, s.hit_rate), (0, 0, 0.0));
        assert!(!s.steady());

        stats.record(&WarmerEvent::CycleComplete {
            cycle: 1,
            elapsed: Duration::from_secs(10),
            gpu: crate::warmer::ListPos { n: 20, total: 20 },
            c3: crate::warmer::ListPos { n: 18, total: 18 },
            failed: 0,
        });
        stats.mark_warm(counters(2, 74));
        stats.mark_warm(counters(40, 74)); // a later cycle: the split stays where it was
        let s = stats.snapshot(counters(2 + 38, 74));
        assert_eq!(s.cold_reads(), 76, "the cold reads stay counted apart");
        assert_eq!((s.hits, s.misses), (38, 0));
        assert_eq!(s.hit_rate, 100.0, "the steady state is all hits");
        assert!(s.steady());
    }

    #[test]
    fn the_last_batch_times_are_kept_for_the_sparkline() {
        let mut stats = WarmerStats::default();
        for ms in 0..RECENT_BATCHES as u64 + 5 {
            let elapsed = Duration::from_millis(ms);
            stats.record(&WarmerEvent::BatchDone(crate::warmer::BatchReport {
                cycle: 1,
                batch: 1,
                repair: false,
                gpu: crate::warmer::ListPos { n: 1, total: 20 },
                c3: crate::warmer::ListPos { n: 1, total: 18 },
                elapsed,
                level: BatchLevel::of(elapsed),
                outcomes: Vec::new(),
            }));
        }
        let s = stats.snapshot(CacheCounters::default());
        assert_eq!(s.recent_batch_ms.len(), RECENT_BATCHES);
        assert_eq!(
            s.recent_batch_ms.first(),
            Some(&5),
            "oldest first, the last 60"
        );
        assert_eq!(s.batches, RECENT_BATCHES as u64 + 5);
        assert!(!serde_json::to_string(&s).unwrap().contains("recent"));
    }
}
