//! What the store keeps for a check and what a read found (SPEC §4 Usage, §6): the last good
//! value with its usage, the last failure, the entry holding both, and [`Cached`] with its
//! one classification, [`Cached::state`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::elapsed_between;
use crate::catalog::Limit;
use crate::gcp::ApiError;

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
    /// The last good usage (Cloud Monitoring), kept across usage failures; `None` while it
    /// was never read (shown `?`).
    #[serde(default)]
    pub usage: Option<Usage>,
    /// The last usage failure, when the latest usage read failed (cleared by the next good
    /// one): why usage is `?`, or why the usage shown is old. Boxed: rarely set, and it
    /// keeps every entry small.
    #[serde(default)]
    pub usage_error: Option<Box<Failure>>,
}

impl GoodValue {
    /// A limit fetched at `fetched_at` in `latency`, its usage not read.
    pub fn new(limit: Limit, fetched_at: DateTime<Utc>, latency: Duration) -> Self {
        GoodValue {
            limit,
            fetched_at,
            latency,
            usage: None,
            usage_error: None,
        }
    }

    /// Units in use, when the usage was read.
    pub fn in_use(&self) -> Option<i64> {
        self.usage.map(|u| u.in_use)
    }

    /// What is free ([`Limit::free`]: limit − in use, never below 0, unlimited stays
    /// unlimited); `None` while the usage is unknown.
    pub fn free(&self) -> Option<Limit> {
        self.in_use().map(|u| self.limit.free(u))
    }
}

/// The usage of a check: how much of its quota is in use (SPEC §4 Usage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Units in use (GPUs, vCPUs): the latest point of the last hour; 0 without a series.
    pub in_use: i64,
    /// When it was read: the answer's arrival, on the store's clock.
    pub fetched_at: DateTime<Utc>,
    /// How long its `timeSeries.list` took, every page and retry included.
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

    /// The last good usage kept with the value to show, if any was read.
    pub fn usage(&self) -> Option<&Usage> {
        self.entry.good.as_ref().and_then(|g| g.usage.as_ref())
    }

    /// What is free by the value to show and its usage ([`GoodValue::free`]); `None` while
    /// either is unknown (shown `?`).
    pub fn free(&self) -> Option<Limit> {
        self.entry.good.as_ref().and_then(GoodValue::free)
    }

    /// The last usage failure, when the latest usage read failed.
    pub fn usage_error(&self) -> Option<&Failure> {
        self.entry
            .good
            .as_ref()
            .and_then(|g| g.usage_error.as_deref())
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
