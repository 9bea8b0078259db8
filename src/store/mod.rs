//! The quota cache of SPEC §6, behind a trait: one entry per check, a TTL, hit/miss counters.
//!
//! [`QuotaStore`] is the surface every store gives the app (read counted, peek uncounted,
//! put a value, put an error, iterate, counters); [`MemoryStore`] keeps it in memory and is
//! the default. A saved snapshot and a shared Redis store (SPEC §11) stand behind the same
//! trait; [`contract`] holds the behaviour every store must show.
//!
//! Freshness is wall-clock time: an entry's `fetched_at` is a `chrono::DateTime<Utc>` from the
//! store's [`Clock`], and it is fresh while `clock.now() - fetched_at < ttl`, so an entry
//! means the same in another process. Tests drive the clock ([`TokioClock`] under tokio's
//! paused clock, [`ManualClock`] without tokio).
//!
//! What a read found is defined once, by [`Cached::state`]: pending, fresh, stale, or failed
//! (the last refresh failed, with the last good value kept). Every screen, `check` and the
//! timing log match on it.
//!
//! Beside its limit a good value holds the usage read with it (SPEC §4 Usage, §6): in use,
//! when it was read, and the last usage failure. What is free is derived from the two
//! ([`GoodValue::free`]: limit − in use, never below 0; unlimited stays unlimited; `None`, shown
//! `?`, while the usage is unknown). A usage failure never hides a limit, and keeps the last
//! good usage, as a limit failure keeps the last good limit.

pub mod clock;
pub mod contract;
mod entry;
mod memory;
pub mod open;
pub mod redis;
pub mod snapshot;
pub mod wire;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::catalog::{Check, Limit};
use crate::gcp::{ApiError, MetricOutcome};
pub use clock::{Clock, ManualClock, SystemClock, TokioClock, elapsed_between};
pub use entry::{Cached, CachedState, Entry, Failure, GoodValue, Usage};
pub use memory::MemoryStore;
pub use redis::RedisStore;
pub use snapshot::SnapshotStore;

/// Default TTL: 30 minutes (SPEC §6).
pub const DEFAULT_TTL: Duration = Duration::from_secs(30 * 60);

/// Hit and miss counts (SPEC §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheCounters {
    pub hits: u64,
    pub misses: u64,
}

impl CacheCounters {
    /// Reads counted (hits and misses).
    pub fn reads(&self) -> u64 {
        self.hits + self.misses
    }

    /// The counts since `earlier` (a copy of these counters taken before): what was read
    /// in between. Saturating, so a store whose counters were reset gives zeros, not a wrap.
    pub fn since(&self, earlier: CacheCounters) -> CacheCounters {
        CacheCounters {
            hits: self.hits.saturating_sub(earlier.hits),
            misses: self.misses.saturating_sub(earlier.misses),
        }
    }

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

/// What a snapshot load at start found (SPEC §11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotLoad {
    /// `--no-snapshot` / `snapshot = false`.
    Off,
    /// No file yet: a cold start.
    Missing,
    /// `entries` entries loaded at `at` (the store's clock).
    Loaded { at: DateTime<Utc>, entries: usize },
    /// The file was corrupt, unreadable, oversized or foreign, and was ignored: why.
    Ignored(String),
}

/// What keeps a store's entries, for the Cache screen (SPEC §10, §11).
#[derive(Debug, Clone, PartialEq)]
pub enum Backing {
    /// Memory only (`--no-snapshot`).
    Memory,
    /// Memory, saved to the snapshot file at `path`.
    Snapshot { path: PathBuf, load: SnapshotLoad },
    /// Shared on Redis (its link, the lease holder), with a local snapshot or none.
    Redis(redis::RedisView),
}

/// The surface every store gives the app (SPEC §6): in memory today ([`MemoryStore`]); a
/// snapshot file and Redis next (SPEC §11). Shared as `Arc<dyn QuotaStore>` by the warmer
/// (writer), the TUI, `warm` and launches. Reads never wait on the network or the warmer.
pub trait QuotaStore: Send + Sync + 'static {
    /// Entries older than this are misses.
    fn ttl(&self) -> Duration;

    /// The clock of every time the store keeps and of freshness.
    fn clock(&self) -> &Arc<dyn Clock>;

    /// Read `checks` (in order), counting a hit or a miss for each: the loads the counters
    /// measure (the infra screen opening or refreshing, the home summary).
    fn read(&self, checks: &[Check]) -> Vec<Cached>;

    /// Read `checks` without counting: for redrawing what a counted read already loaded.
    fn peek(&self, checks: &[Check]) -> Vec<Cached>;

    /// Store a good value (zero included: zero is a value, SPEC §6), clearing the last error.
    fn put_ok(&self, check: &Check, good: GoodValue);

    /// Record a failure, keeping the last good value. The error's message is kept capped
    /// ([`ApiError::cap_message`]), so a server sending huge messages cannot grow the store.
    fn put_err(&self, check: &Check, failure: Failure);

    /// Every entry, in no particular order (what a snapshot saves).
    fn entries(&self) -> Vec<(Check, Entry)>;

    /// Hit and miss counts so far.
    fn counters(&self) -> CacheCounters;

    /// A cycle that began at `started` has just completed (SPEC §7): the snapshot store
    /// saves itself, the Redis store records the cycle for whoever warms next (SPEC §11).
    /// Never waits on the disk or the network. Nothing for the memory store.
    fn cycle_complete(&self, _started: DateTime<Utc>) {}

    /// The start of the last complete cycle this store knows, perhaps from before this
    /// process (a snapshot, the shared store): the warmer schedules its next cycle from it
    /// (refresh-ahead). `None` for the memory store.
    fn last_cycle_start(&self) -> Option<DateTime<Utc>> {
        None
    }

    /// The process is ending: save or hand over what is pending, within a short bound
    /// (the snapshot is written; the Redis store flushes its writes for up to 1 s).
    fn close(&self) {}

    /// What keeps the entries, for the Cache screen (SPEC §10, §11).
    fn backing(&self) -> Backing {
        Backing::Memory
    }

    /// The store's time now.
    fn now(&self) -> DateTime<Utc> {
        self.clock().now()
    }

    /// Store `result` for `check`, stamped now: `put_ok` for a limit (its usage kept from
    /// the entry), `put_err` for an error.
    fn record(&self, check: &Check, result: Result<Limit, ApiError>, latency: Duration) {
        let at = self.now();
        let update = CheckUpdate {
            limit: result,
            latency,
            usage: None,
            usage_latency: Duration::ZERO,
        };
        put_update(self, check, update, at);
    }

    /// Store every region of a metric request's outcome, all with the same time (now) and
    /// the request's latencies: each region's limit and, when it was asked, its usage (see
    /// [`CheckUpdate`] for how the two combine with what the entry holds).
    fn record_outcome(&self, outcome: &MetricOutcome) {
        let now = self.now();
        for (i, (check, limit)) in outcome.checks().enumerate() {
            let update = CheckUpdate {
                limit,
                latency: outcome.latency,
                usage: outcome.region_usage(i),
                usage_latency: outcome.usage_latency,
            };
            put_update(self, &check, update, now);
        }
    }
}

/// What one fetch brought for one check: its limit and, when asked, its usage.
///
/// How it lands ([`QuotaStore::record_outcome`]), so that a usage failure never hides a limit
/// and nothing good is lost:
/// - limit read: a new good value; its usage is the one read now, else the entry's last good
///   usage (with the new usage failure, if the usage failed, or the entry's last one, if the
///   usage was not asked);
/// - limit failed: the failure is recorded and the last good value kept; a usage read with it
///   (or its failure) updates that kept value's usage.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckUpdate {
    pub limit: Result<Limit, ApiError>,
    pub latency: Duration,
    /// `None`: usage not asked.
    pub usage: Option<Result<i64, ApiError>>,
    pub usage_latency: Duration,
}

fn put_update<S: QuotaStore + ?Sized>(
    store: &S,
    check: &Check,
    update: CheckUpdate,
    at: DateTime<Utc>,
) {
    let usage_asked = update.usage.is_some();
    // The entry's good value, for its usage (read only when something must be kept from it).
    let kept = || {
        store.peek(std::slice::from_ref(check))[0]
            .entry()
            .good
            .clone()
    };
    let with_usage = |mut good: GoodValue, usage: Option<Result<i64, ApiError>>| {
        match usage {
            Some(Ok(in_use)) => {
                good.usage = Some(Usage {
                    in_use,
                    fetched_at: at,
                    latency: update.usage_latency,
                });
                good.usage_error = None;
            }
            Some(Err(error)) => {
                good.usage_error = Some(Box::new(Failure {
                    error: error.cap_message(),
                    at,
                    latency: update.usage_latency,
                }));
            }
            None => {}
        }
        good
    };
    match update.limit {
        Ok(limit) => {
            let mut good = GoodValue::new(limit, at, update.latency);
            let needs_old = !matches!(update.usage, Some(Ok(_)));
            if needs_old && let Some(old) = kept() {
                good.usage = old.usage;
                if !usage_asked {
                    good.usage_error = old.usage_error;
                }
            }
            store.put_ok(check, with_usage(good, update.usage));
        }
        Err(error) => {
            if usage_asked && let Some(old) = kept() {
                // The limit failed; the kept value's usage is updated (still a good value).
                store.put_ok(check, with_usage(old, update.usage));
            }
            store.put_err(
                check,
                Failure {
                    error,
                    at,
                    latency: update.latency,
                },
            );
        }
    }
}
