//! Entries as they leave the process and come back (SPEC §11): the shape a snapshot file and
//! the Redis store both carry, the checks made on whatever comes back, and the rule that
//! merges an entry from outside into a local store (the newer one wins).
//!
//! Everything read back is hostile until checked: a region that is not a Google region name
//! is dropped, every error goes through [`ApiError::checked`] (texts capped; they are still
//! sanitised where they are shown), and an entry with nothing in it is dropped.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Entry, QuotaStore};
use crate::catalog::Check;

/// One check's entry as saved or shared: `{"check": {...}, "entry": {...}}`. The entry's
/// fields are serde's, so a field added to [`Entry`] (issue 13's usage) travels too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedEntry {
    pub check: Check,
    pub entry: Entry,
}

/// Longest region name kept (Google's are at most 30 characters today).
const MAX_REGION_BYTES: usize = 63;

/// `saved` made safe to keep, or `None` when it cannot be: a region that is not lowercase
/// letters, digits and `-` (at most 63), or an entry with neither a value nor an error.
pub fn checked(saved: SavedEntry) -> Option<SavedEntry> {
    let region = &saved.check.region;
    let region_ok = !region.is_empty()
        && region.len() <= MAX_REGION_BYTES
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !region_ok {
        return None;
    }
    let Entry { good, last_error } = saved.entry;
    if good.is_none() && last_error.is_none() {
        return None;
    }
    let last_error = last_error.map(|mut f| {
        f.error = f.error.checked();
        f
    });
    Some(SavedEntry {
        check: saved.check,
        entry: Entry { good, last_error },
    })
}

/// When `entry` last changed: the later of its value's fetch time and its failure's time.
pub fn stamp(entry: &Entry) -> Option<DateTime<Utc>> {
    let good = entry.good.as_ref().map(|g| g.fetched_at);
    let failed = entry.last_error.as_ref().map(|f| f.at);
    good.max(failed)
}

/// Put `entry` from outside into `store` when it is newer than what `store` holds for
/// `check` (by [`stamp`]); returns whether it did. The result is the outside entry, except
/// that a failure without a value keeps the value `store` already had (the last good value
/// is never lost, SPEC §6).
pub fn merge_newer(store: &dyn QuotaStore, check: &Check, entry: &Entry) -> bool {
    let current = store.peek(std::slice::from_ref(check));
    let local = current.first().map(|c| stamp(c.entry())).unwrap_or(None);
    let Some(theirs) = stamp(entry) else {
        return false;
    };
    if local.is_some_and(|mine| mine >= theirs) {
        return false;
    }
    put_entry(store, check, entry);
    true
}

/// Put `entry` into `store` through its two writes: the value (clearing the error), then the
/// failure (keeping the value).
pub fn put_entry(store: &dyn QuotaStore, check: &Check, entry: &Entry) {
    if let Some(good) = &entry.good {
        store.put_ok(check, good.clone());
    }
    if let Some(failure) = &entry.last_error {
        store.put_err(check, failure.clone());
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::catalog::Limit;
    use crate::gcp::{ApiError, ErrorKind};
    use crate::store::{CachedState, Failure, GoodValue, MemoryStore};

    fn good(limit: i64, at: DateTime<Utc>) -> GoodValue {
        GoodValue {
            limit: Limit::Finite(limit),
            fetched_at: at,
            latency: Duration::from_millis(3),
        }
    }

    #[test]
    fn hostile_regions_and_empty_entries_are_dropped_and_errors_capped() {
        let at = Utc::now();
        let entry = Entry {
            good: Some(good(1, at)),
            last_error: None,
        };
        for bad in [
            "",
            "US-EAST1",
            "us east1",
            "us-east1\u{1b}[2J",
            &"a".repeat(64),
        ] {
            let saved = SavedEntry {
                check: Check::c3(bad),
                entry: entry.clone(),
            };
            assert!(checked(saved).is_none(), "{bad:?} kept");
        }
        let empty = SavedEntry {
            check: Check::c3("us-east1"),
            entry: Entry::default(),
        };
        assert!(checked(empty).is_none());
        let mut error = ApiError::new(ErrorKind::Invalid, "x".repeat(100_000));
        error.details.activation_url = Some("javascript:alert(1)".into());
        error.details.metadata = (0..100)
            .map(|i| (i.to_string(), "v".repeat(9999)))
            .collect();
        let saved = SavedEntry {
            check: Check::c3("us-east1"),
            entry: Entry {
                good: None,
                last_error: Some(Failure {
                    error,
                    at,
                    latency: Duration::ZERO,
                }),
            },
        };
        let kept = checked(saved).expect("a failure is kept");
        let e = &kept.entry.last_error.unwrap().error;
        assert!(e.message.len() < 3000);
        assert_eq!(e.details.activation_url, None);
        assert_eq!(e.details.metadata.len(), 16);
        assert!(e.details.metadata.values().all(|v| v.len() <= 300));
    }

    #[test]
    fn the_newer_entry_wins_and_a_failure_keeps_the_local_value() {
        let store = MemoryStore::new(Duration::from_secs(60));
        let c = Check::c3("us-east1");
        let t0 = Utc::now();
        let t1 = t0 + Duration::from_secs(5);
        store.put_ok(&c, good(44, t1));
        let older = Entry {
            good: Some(good(88, t0)),
            last_error: None,
        };
        assert!(
            !merge_newer(&store, &c, &older),
            "an older entry is ignored"
        );
        assert_eq!(
            store.peek(std::slice::from_ref(&c))[0].limit(),
            Some(Limit::Finite(44))
        );
        let failed_later = Entry {
            good: None,
            last_error: Some(Failure {
                error: ApiError::new(ErrorKind::Timeout, "late"),
                at: t1 + Duration::from_secs(1),
                latency: Duration::ZERO,
            }),
        };
        assert!(merge_newer(&store, &c, &failed_later));
        let r = store.peek(std::slice::from_ref(&c));
        assert!(matches!(
            r[0].state(),
            CachedState::Failed { last_good: Some(g), .. } if g.limit == Limit::Finite(44)
        ));
        let newer = Entry {
            good: Some(good(176, t1 + Duration::from_secs(2))),
            last_error: None,
        };
        assert!(merge_newer(&store, &c, &newer));
        assert!(matches!(
            store.peek(std::slice::from_ref(&c))[0].state(),
            CachedState::Fresh(g) if g.limit == Limit::Finite(176)
        ));
        assert!(!merge_newer(&store, &c, &Entry::default()));
    }
}
