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

pub mod clock;
pub mod contract;
mod memory;
pub mod open;
pub mod redis;
pub mod snapshot;
pub mod wire;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{Check, Limit};
use crate::gcp::{ApiError, MetricOutcome};
pub use clock::{Clock, ManualClock, SystemClock, TokioClock, elapsed_between};
pub use memory::MemoryStore;
pub use redis::RedisStore;
pub use snapshot::SnapshotStore;

/// Default TTL: 30 minutes (SPEC §6).
pub const DEFAULT_TTL: Duration = Duration::from_secs(30 * 60);

/// The last good value of a check. Saved and shared (SPEC §11) with serde: a field added
/// here travels through the snapshot and Redis stores (an old file without it must still
/// load: give it `#[serde(default)]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoodValue {
    /// The limit: GPUs for a GPU check, vCPUs for C3.
    pub limit: Limit,
    /// When it was fetched: the answer's arrival, on the store's clock.
    pub fetched_at: DateTime<Utc>,
    /// How long its metric request took, retries included.
    pub latency: Duration,
}

/// The last failure of a check (saved and shared like [`GoodValue`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// The classified error (SPEC §4); its message is capped when stored.
    pub error: ApiError,
    /// When it failed, on the store's clock.
    pub at: DateTime<Utc>,
    /// How long the failed request took (0 when answered without a request).
    pub latency: Duration,
}

/// One cache entry: the last good value (kept across failures) and the last error, if the
/// most recent fetch failed (cleared by the next success). Saved and shared with serde.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Entry {
    pub good: Option<GoodValue>,
    pub last_error: Option<Failure>,
}

/// What a read found for a check: the one definition of an entry's state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CachedState<'a> {
    /// Never fetched: no value, no error.
    Pending,
    /// A good value younger than the TTL, and the last fetch succeeded.
    Fresh(&'a GoodValue),
    /// A good value older than the TTL (a miss; shown dimmed with its age, never as fresh).
    Stale(&'a GoodValue),
    /// The last fetch failed. `last_good` is the value kept from before (shown `16!`), if any;
    /// `stale` says whether that value is also older than the TTL (`16!~`).
    Failed {
        last_good: Option<&'a GoodValue>,
        stale: bool,
        error: &'a Failure,
    },
}

/// A check as read from a store at one moment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cached {
    entry: Entry,
    /// The good value was younger than the TTL when read.
    fresh: bool,
}

impl Cached {
    /// `entry` as read at `now` by a store whose TTL is `ttl` (none: never fetched).
    pub fn new(entry: Option<&Entry>, ttl: Duration, now: DateTime<Utc>) -> Self {
        let entry = entry.cloned().unwrap_or_default();
        let fresh = entry
            .good
            .as_ref()
            .is_some_and(|g| elapsed_between(g.fetched_at, now) < ttl);
        Cached { entry, fresh }
    }

    /// The entry as read.
    pub fn entry(&self) -> &Entry {
        &self.entry
    }

    /// Pending, fresh, stale or failed ([`CachedState`]).
    pub fn state(&self) -> CachedState<'_> {
        match (&self.entry.good, &self.entry.last_error) {
            (None, None) => CachedState::Pending,
            (last_good, Some(error)) => CachedState::Failed {
                last_good: last_good.as_ref(),
                stale: last_good.is_some() && !self.fresh,
                error,
            },
            (Some(good), None) if self.fresh => CachedState::Fresh(good),
            (Some(good), None) => CachedState::Stale(good),
        }
    }

    /// The value to show, fresh or stale (the last good one after a failure).
    pub fn limit(&self) -> Option<Limit> {
        self.entry.good.as_ref().map(|g| g.limit)
    }

    /// True for a hit: a good value younger than the TTL (SPEC §6), even when a later
    /// refresh failed (the value is still within its TTL).
    pub fn is_hit(&self) -> bool {
        self.fresh
    }

    /// Age of the good value at `now` (the store's clock).
    pub fn age(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.entry
            .good
            .as_ref()
            .map(|g| elapsed_between(g.fetched_at, now))
    }
}

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

    /// Store `result` for `check`, stamped now: `put_ok` for a limit, `put_err` for an error.
    fn record(&self, check: &Check, result: Result<Limit, ApiError>, latency: Duration) {
        put_result(self, check, result, latency, self.now());
    }

    /// Store every region of a metric request's outcome, all with the same time (now) and
    /// the request's latency.
    fn record_outcome(&self, outcome: &MetricOutcome) {
        let now = self.now();
        for (check, result) in outcome.checks() {
            put_result(self, &check, result, outcome.latency, now);
        }
    }
}

fn put_result<S: QuotaStore + ?Sized>(
    store: &S,
    check: &Check,
    result: Result<Limit, ApiError>,
    latency: Duration,
    at: DateTime<Utc>,
) {
    match result {
        Ok(limit) => store.put_ok(
            check,
            GoodValue {
                limit,
                fetched_at: at,
                latency,
            },
        ),
        Err(error) => store.put_err(check, Failure { error, at, latency }),
    }
}
