//! The in-memory quota cache of SPEC §6: one entry per check, a TTL, hit/miss counters.
//!
//! Reads never wait on the network or on the warmer: a short `std::sync::RwLock` guards the
//! map, and writers hold it only to store a finished result. Ages are measured on tokio's
//! clock (`tokio::time::Instant`), so tests can run a 30-minute TTL under a paused clock;
//! wall-clock times (chrono) are kept for display.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Local};
use tokio::time::Instant;

use crate::catalog::{Check, Limit};
use crate::gcp::ApiError;

/// Default TTL: 30 minutes (SPEC §6).
pub const DEFAULT_TTL: Duration = Duration::from_secs(30 * 60);

/// The last good value of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct GoodValue {
    pub limit: Limit,
    /// When it was fetched (wall clock, for display).
    pub fetched_at: DateTime<Local>,
    /// When it was fetched (tokio clock, for the TTL).
    pub fetched: Instant,
    /// How long the fetch took, retries included.
    pub latency: Duration,
}

/// The last failure of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub error: ApiError,
    pub at: DateTime<Local>,
    pub latency: Duration,
}

/// One cache entry: the last good value (kept across failures) and the last error, if the
/// most recent fetch failed (cleared by the next success).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Entry {
    pub good: Option<GoodValue>,
    pub last_error: Option<Failure>,
}

/// How a read found a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// A good value younger than the TTL: a hit.
    Fresh,
    /// A good value older than the TTL: a miss, shown dimmed with its age.
    Stale,
    /// No good value at all (never fetched, or only failures): a miss.
    Missing,
}

/// A check as read from the cache.
#[derive(Debug, Clone, PartialEq)]
pub struct Cached {
    pub freshness: Freshness,
    pub entry: Entry,
}

impl Cached {
    /// The value to show, fresh or stale.
    pub fn limit(&self) -> Option<Limit> {
        self.entry.good.as_ref().map(|g| g.limit)
    }

    /// True when the last fetch failed, whether or not a good value is kept (shown as `!`).
    pub fn last_fetch_failed(&self) -> bool {
        self.entry.last_error.is_some()
    }

    /// True for a hit.
    pub fn is_hit(&self) -> bool {
        self.freshness == Freshness::Fresh
    }

    /// Age of the good value on tokio's clock.
    pub fn age(&self) -> Option<Duration> {
        self.entry.good.as_ref().map(|g| g.fetched.elapsed())
    }
}

/// Hit and miss counts (SPEC §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheCounters {
    pub hits: u64,
    pub misses: u64,
}

impl CacheCounters {
    /// Hits over reads in percent; 0 before any read.
    pub fn hit_rate_pct(&self) -> f64 {
        let total = self.hits + self.misses;
        if total == 0 {
            0.0
        } else {
            self.hits as f64 * 100.0 / total as f64
        }
    }
}

/// The TTL cache. Shared as `Arc<QuotaCache>` between the warmer (writer) and readers.
#[derive(Debug)]
pub struct QuotaCache {
    ttl: Duration,
    entries: RwLock<HashMap<Check, Entry>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl QuotaCache {
    /// An empty cache whose entries expire after `ttl`.
    pub fn new(ttl: Duration) -> Self {
        QuotaCache {
            ttl,
            entries: RwLock::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The TTL.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn classify(&self, entry: Option<&Entry>, now: Instant) -> Cached {
        let entry = entry.cloned().unwrap_or_default();
        let freshness = match &entry.good {
            Some(g) if now.duration_since(g.fetched) < self.ttl => Freshness::Fresh,
            Some(_) => Freshness::Stale,
            None => Freshness::Missing,
        };
        Cached { freshness, entry }
    }

    /// Read `checks`, counting a hit or a miss for each (SPEC §6). Used by the loads that the
    /// counters measure: the infra screen opening or refreshing, the home summary.
    pub fn read(&self, checks: &[Check]) -> Vec<Cached> {
        let now = Instant::now();
        let map = self.entries.read().expect("cache lock poisoned");
        let out: Vec<Cached> = checks
            .iter()
            .map(|c| self.classify(map.get(c), now))
            .collect();
        drop(map);
        let hits = out.iter().filter(|c| c.is_hit()).count() as u64;
        self.hits.fetch_add(hits, Ordering::Relaxed);
        self.misses
            .fetch_add(out.len() as u64 - hits, Ordering::Relaxed);
        out
    }

    /// Read `checks` without counting: for redrawing what a counted read already loaded.
    pub fn peek(&self, checks: &[Check]) -> Vec<Cached> {
        let now = Instant::now();
        let map = self.entries.read().expect("cache lock poisoned");
        checks
            .iter()
            .map(|c| self.classify(map.get(c), now))
            .collect()
    }

    /// Store a good value (zero included: zero is a value, SPEC §6), clearing the last error.
    pub fn put_ok(&self, check: &Check, limit: Limit, latency: Duration) {
        let good = GoodValue {
            limit,
            fetched_at: Local::now(),
            fetched: Instant::now(),
            latency,
        };
        let mut map = self.entries.write().expect("cache lock poisoned");
        let e = map.entry(check.clone()).or_default();
        e.good = Some(good);
        e.last_error = None;
    }

    /// Record a failure, keeping the last good value. The error's message is kept capped
    /// ([`ApiError::cap_message`]), so a server sending huge messages cannot grow the cache.
    pub fn put_err(&self, check: &Check, error: ApiError, latency: Duration) {
        let failure = Failure {
            error: error.cap_message(),
            at: Local::now(),
            latency,
        };
        let mut map = self.entries.write().expect("cache lock poisoned");
        map.entry(check.clone()).or_default().last_error = Some(failure);
    }

    /// Number of checks with an entry (good or failed).
    pub fn len(&self) -> usize {
        self.entries.read().expect("cache lock poisoned").len()
    }

    /// True when nothing was ever stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hit and miss counts so far.
    pub fn counters(&self) -> CacheCounters {
        CacheCounters {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gcp::ErrorKind;

    #[tokio::test(start_paused = true)]
    async fn ttl_turns_hits_into_stale_misses() {
        let cache = QuotaCache::new(Duration::from_secs(60));
        let c = Check::c3("us-east1");
        cache.put_ok(&c, Limit::Finite(0), Duration::from_millis(5));
        let r = cache.read(std::slice::from_ref(&c));
        assert_eq!(r[0].freshness, Freshness::Fresh);
        assert_eq!(r[0].limit(), Some(Limit::Finite(0)), "zero is a value");
        tokio::time::advance(Duration::from_secs(61)).await;
        let r = cache.read(std::slice::from_ref(&c));
        assert_eq!(r[0].freshness, Freshness::Stale);
        assert_eq!(r[0].limit(), Some(Limit::Finite(0)));
        assert_eq!(cache.counters(), CacheCounters { hits: 1, misses: 1 });
        assert_eq!(cache.counters().hit_rate_pct(), 50.0);
    }

    #[tokio::test(start_paused = true)]
    async fn failure_keeps_last_good_value_and_peek_does_not_count() {
        let cache = QuotaCache::new(DEFAULT_TTL);
        let c = Check::c3("us-east1");
        cache.put_ok(&c, Limit::Finite(88), Duration::ZERO);
        cache.put_err(
            &c,
            ApiError::new(ErrorKind::Permission, "denied"),
            Duration::ZERO,
        );
        let r = cache.peek(std::slice::from_ref(&c));
        assert_eq!(r[0].limit(), Some(Limit::Finite(88)));
        assert_eq!(
            r[0].entry.last_error.as_ref().map(|f| f.error.kind),
            Some(ErrorKind::Permission)
        );
        assert_eq!(cache.counters(), CacheCounters::default());
        let missing = cache.read(&[Check::c3("nowhere")]);
        assert_eq!(missing[0].freshness, Freshness::Missing);
        assert_eq!(cache.counters().misses, 1);
    }
}
