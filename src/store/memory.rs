//! [`MemoryStore`]: the in-memory store, the default (SPEC §6).
//!
//! Reads never wait on the network or on the warmer: a short `std::sync::RwLock` guards the
//! map, and writers hold it only to store a finished result. Counters are atomics.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::{CacheCounters, Cached, Clock, Entry, Failure, GoodValue, QuotaStore, SystemClock};
use crate::catalog::Check;

/// The in-memory store. Shared as `Arc<MemoryStore>` (or `Arc<dyn QuotaStore>`) between the
/// warmer (writer) and readers.
pub struct MemoryStore {
    ttl: Duration,
    clock: Arc<dyn Clock>,
    entries: RwLock<HashMap<Check, Entry>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("ttl", &self.ttl)
            .field("len", &self.len())
            .field("counters", &self.counters())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store whose entries expire after `ttl`, on the system's wall clock.
    pub fn new(ttl: Duration) -> Self {
        Self::with_clock(ttl, Arc::new(SystemClock))
    }

    /// An empty store whose entries expire after `ttl` on `clock` (a [`super::TokioClock`]
    /// under tokio's paused clock in tests).
    pub fn with_clock(ttl: Duration, clock: Arc<dyn Clock>) -> Self {
        MemoryStore {
            ttl,
            clock,
            entries: RwLock::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Number of checks with an entry (good or failed).
    pub fn len(&self) -> usize {
        self.entries.read().expect("store lock poisoned").len()
    }

    /// True when nothing was ever stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl QuotaStore for MemoryStore {
    fn ttl(&self) -> Duration {
        self.ttl
    }

    fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    fn read(&self, checks: &[Check]) -> Vec<Cached> {
        let out = self.peek(checks);
        let hits = out.iter().filter(|c| c.is_hit()).count() as u64;
        self.hits.fetch_add(hits, Ordering::Relaxed);
        self.misses
            .fetch_add(out.len() as u64 - hits, Ordering::Relaxed);
        out
    }

    fn peek(&self, checks: &[Check]) -> Vec<Cached> {
        let now = self.clock.now();
        let map = self.entries.read().expect("store lock poisoned");
        checks
            .iter()
            .map(|c| Cached::new(map.get(c), self.ttl, now))
            .collect()
    }

    fn put_ok(&self, check: &Check, good: GoodValue) {
        let mut map = self.entries.write().expect("store lock poisoned");
        let e = map.entry(check.clone()).or_default();
        e.good = Some(good);
        e.last_error = None;
    }

    fn put_err(&self, check: &Check, failure: Failure) {
        let failure = Failure {
            error: failure.error.cap_message(),
            ..failure
        };
        let mut map = self.entries.write().expect("store lock poisoned");
        map.entry(check.clone()).or_default().last_error = Some(failure);
    }

    fn entries(&self) -> Vec<(Check, Entry)> {
        let map = self.entries.read().expect("store lock poisoned");
        map.iter().map(|(c, e)| (c.clone(), e.clone())).collect()
    }

    fn counters(&self) -> CacheCounters {
        CacheCounters {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::contract;

    #[test]
    fn memory_store_keeps_the_store_contract() {
        contract::check_all(&|ttl, clock| Box::new(MemoryStore::with_clock(ttl, clock)));
    }
}
