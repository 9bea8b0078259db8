//! The behaviour every [`QuotaStore`] must show (SPEC §6), written once and run against each
//! store: `MemoryStore` today; a snapshot store and a Redis store add one line each
//! (`contract::check_all(&|ttl, clock| Box::new(TheirStore::new(ttl, clock)))`).
//!
//! Each check takes a factory making an empty store with a TTL and a clock; the checks drive
//! the clock themselves ([`ManualClock`]), so they need no tokio. They panic on a broken
//! contract (they are test code, public so stores outside this crate's unit tests can run
//! them too).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{CachedState, Clock, ManualClock, QuotaStore};
use crate::catalog::{Capacity, Check, GpuType, Limit, MetricRequest, QuotaMetric};
use crate::gcp::error::MAX_MESSAGE_BYTES;
use crate::gcp::{ApiError, ErrorKind, MetricOutcome};

/// Makes an empty store with a TTL and a clock.
pub type StoreFactory<'a> = &'a dyn Fn(Duration, Arc<dyn Clock>) -> Box<dyn QuotaStore>;

const TTL: Duration = Duration::from_secs(60);

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-21T02:45:22Z")
        .expect("a valid time")
        .with_timezone(&Utc)
}

/// A store from `make` with a 60 s TTL, and the manual clock it reads.
fn fresh_store(make: StoreFactory<'_>) -> (Box<dyn QuotaStore>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(start()));
    (make(TTL, clock.clone()), clock)
}

/// Run every check of the contract.
pub fn check_all(make: StoreFactory<'_>) {
    ttl_turns_a_hit_into_a_stale_miss(make);
    zero_is_a_value(make);
    a_failure_keeps_the_last_good_value(make);
    read_counts_and_peek_does_not(make);
    entries_lists_everything(make);
    stored_messages_are_capped(make);
    an_outcome_fills_every_region_at_one_time(make);
    spot_and_on_demand_live_side_by_side(make);
    usage_lands_with_its_limit_and_free_is_derived(make);
    a_usage_failure_keeps_the_limit_and_the_last_usage(make);
    a_limit_failure_keeps_the_value_and_takes_the_new_usage(make);
}

/// A value younger than the TTL is a fresh hit; at the TTL it is a stale miss, still shown.
pub fn ttl_turns_a_hit_into_a_stale_miss(make: StoreFactory<'_>) {
    let (store, clock) = fresh_store(make);
    assert_eq!(store.ttl(), TTL);
    assert_eq!(store.now(), start(), "the store reads its clock");
    let c = Check::c3("us-east1");
    store.record(&c, Ok(Limit::Finite(44)), Duration::from_millis(5));
    clock.advance(TTL - Duration::from_secs(1));
    let r = store.read(std::slice::from_ref(&c));
    assert!(matches!(r[0].state(), CachedState::Fresh(g) if g.limit == Limit::Finite(44)));
    assert_eq!(r[0].age(store.now()), Some(TTL - Duration::from_secs(1)));
    clock.advance(Duration::from_secs(1));
    let r = store.read(std::slice::from_ref(&c));
    assert!(matches!(r[0].state(), CachedState::Stale(g) if g.latency == Duration::from_millis(5)));
    assert_eq!(r[0].limit(), Some(Limit::Finite(44)));
    let counters = store.counters();
    assert_eq!((counters.hits, counters.misses), (1, 1));
    assert_eq!(counters.hit_rate_pct(), 50.0);
}

/// Zero is a value, cached and counted like any other (SPEC §6).
pub fn zero_is_a_value(make: StoreFactory<'_>) {
    let (store, _clock) = fresh_store(make);
    let c = Check::gpu(GpuType::H200, Capacity::Spot, "us-west1");
    store.record(&c, Ok(Limit::Finite(0)), Duration::ZERO);
    let r = store.read(std::slice::from_ref(&c));
    assert_eq!(r[0].limit(), Some(Limit::Finite(0)));
    assert!(r[0].is_hit());
}

/// A failure keeps the last good value (`16!`), a success clears the failure, and a check
/// that never succeeded is failed without a value, never a zero.
pub fn a_failure_keeps_the_last_good_value(make: StoreFactory<'_>) {
    let (store, clock) = fresh_store(make);
    let c = Check::c3("us-east1");
    store.record(&c, Ok(Limit::Finite(88)), Duration::ZERO);
    clock.advance(Duration::from_secs(5));
    store.record(
        &c,
        Err(ApiError::new(ErrorKind::Permission, "denied")),
        Duration::from_millis(7),
    );
    let r = store.peek(std::slice::from_ref(&c));
    match r[0].state() {
        CachedState::Failed {
            last_good: Some(g),
            stale: false,
            error,
        } => {
            assert_eq!(g.limit, Limit::Finite(88));
            assert_eq!(error.error.kind, ErrorKind::Permission);
            assert_eq!(error.at, start() + Duration::from_secs(5));
        }
        other => panic!("expected a failure keeping 88, got {other:?}"),
    }
    assert!(r[0].is_hit(), "the kept value is still within its TTL");
    clock.advance(TTL);
    let r = store.peek(std::slice::from_ref(&c));
    assert!(matches!(
        r[0].state(),
        CachedState::Failed { stale: true, .. }
    ));
    store.record(&c, Ok(Limit::Finite(96)), Duration::ZERO);
    let r = store.peek(std::slice::from_ref(&c));
    assert!(matches!(r[0].state(), CachedState::Fresh(g) if g.limit == Limit::Finite(96)));

    let never = Check::c3("us-west2");
    store.record(
        &never,
        Err(ApiError::new(ErrorKind::Timeout, "late")),
        Duration::ZERO,
    );
    let r = store.peek(std::slice::from_ref(&never));
    assert!(matches!(
        r[0].state(),
        CachedState::Failed {
            last_good: None,
            stale: false,
            ..
        }
    ));
    assert_eq!(r[0].limit(), None);
    assert!(!r[0].is_hit());
}

/// `read` counts a hit or a miss per check (a missing check is a miss); `peek` counts nothing.
pub fn read_counts_and_peek_does_not(make: StoreFactory<'_>) {
    let (store, _clock) = fresh_store(make);
    let c = Check::c3("us-east1");
    store.record(&c, Ok(Limit::Finite(1)), Duration::ZERO);
    let both = [c, Check::c3("nowhere")];
    let r = store.peek(&both);
    assert!(matches!(r[1].state(), CachedState::Pending));
    assert_eq!(store.counters().hits + store.counters().misses, 0);
    store.read(&both);
    let counters = store.counters();
    assert_eq!((counters.hits, counters.misses), (1, 1));
}

/// `entries` lists every check with an entry, good or failed, and nothing else.
pub fn entries_lists_everything(make: StoreFactory<'_>) {
    let (store, _clock) = fresh_store(make);
    assert!(store.entries().is_empty());
    let ok = Check::c3("us-east1");
    let failed = Check::gpu(GpuType::T4, Capacity::Spot, "us-east1");
    store.record(&ok, Ok(Limit::Unlimited), Duration::ZERO);
    store.record(
        &failed,
        Err(ApiError::new(ErrorKind::Unavailable, "down")),
        Duration::ZERO,
    );
    let mut entries = store.entries();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].0, failed);
    assert!(entries[0].1.good.is_none() && entries[0].1.last_error.is_some());
    assert_eq!(entries[1].0, ok);
    assert_eq!(
        entries[1].1.good.as_ref().map(|g| g.limit),
        Some(Limit::Unlimited)
    );
}

/// A huge error message is stored capped ([`MAX_MESSAGE_BYTES`]).
pub fn stored_messages_are_capped(make: StoreFactory<'_>) {
    let (store, _clock) = fresh_store(make);
    let c = Check::c3("us-east1");
    let huge = "x".repeat(1 << 20);
    store.record(
        &c,
        Err(ApiError::new(ErrorKind::Invalid, huge)),
        Duration::ZERO,
    );
    let entries = store.entries();
    let stored = &entries[0].1.last_error.as_ref().expect("a failure").error;
    assert!(
        stored.message.len() < MAX_MESSAGE_BYTES + 64,
        "{} bytes kept",
        stored.message.len()
    );
}

/// A metric request's outcome fills each of its regions with the same time and latency; a
/// region that failed alone gets its own error.
pub fn an_outcome_fills_every_region_at_one_time(make: StoreFactory<'_>) {
    let (store, _clock) = fresh_store(make);
    let request = MetricRequest::new(QuotaMetric::C3, ["us-east1", "us-east4", "us-west2"]);
    let outcome = MetricOutcome::new(
        request.clone(),
        Ok(vec![
            Ok(Limit::Finite(176)),
            Err(ApiError::new(ErrorKind::Parse, "no bucket")),
            Ok(Limit::Finite(0)),
        ]),
        Duration::from_millis(1234),
    );
    store.record_outcome(&outcome);
    let r = store.peek(&request.checks());
    let good: Vec<_> = [&r[0], &r[2]]
        .iter()
        .map(|c| match c.state() {
            CachedState::Fresh(g) => (g.fetched_at, g.latency),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(good, [(start(), Duration::from_millis(1234)); 2]);
    assert!(
        matches!(r[1].state(), CachedState::Failed { error, .. } if error.error.kind == ErrorKind::Parse)
    );
}

/// Spot and on-demand values of the same GPU type and region are different entries.
pub fn spot_and_on_demand_live_side_by_side(make: StoreFactory<'_>) {
    let (store, _clock) = fresh_store(make);
    let spot = Check::gpu(GpuType::L4, Capacity::Spot, "us-west1");
    let on_demand = Check::gpu(GpuType::L4, Capacity::OnDemand, "us-west1");
    store.record(&spot, Ok(Limit::Finite(16)), Duration::ZERO);
    store.record(&on_demand, Ok(Limit::Finite(4)), Duration::ZERO);
    let r = store.peek(&[spot, on_demand]);
    assert_eq!(
        (r[0].limit(), r[1].limit()),
        (Some(Limit::Finite(16)), Some(Limit::Finite(4)))
    );
}

/// The T4 request of the default catalog's regions, answered with `limits` and `usage`.
fn t4_outcome(
    limits: Result<Vec<Result<Limit, ApiError>>, ApiError>,
    usage: Option<Result<Vec<i64>, ApiError>>,
) -> MetricOutcome {
    let request = MetricRequest::new(
        QuotaMetric::Gpu {
            gpu: GpuType::T4,
            capacity: Capacity::Spot,
        },
        ["us-central1", "us-west1", "europe-west4"],
    );
    MetricOutcome::new(request, limits, Duration::from_millis(900))
        .with_usage(usage, Duration::from_millis(400))
}

fn t4_checks() -> Vec<Check> {
    t4_outcome(Ok(Vec::new()), None).request.checks()
}

/// Usage lands with its limit, with its own time and latency; free is limit − in use, never
/// below 0, unlimited stays unlimited; a value whose usage was never read has no free.
pub fn usage_lands_with_its_limit_and_free_is_derived(make: StoreFactory<'_>) {
    let (store, _clock) = fresh_store(make);
    let limits = Ok(vec![
        Ok(Limit::Finite(16)),
        Ok(Limit::Finite(4)),
        Ok(Limit::Unlimited),
    ]);
    store.record_outcome(&t4_outcome(limits, Some(Ok(vec![14, 9, 3]))));
    let r = store.peek(&t4_checks());
    let free: Vec<_> = r.iter().map(|c| c.free()).collect();
    assert_eq!(
        free,
        [
            Some(Limit::Finite(2)),
            Some(Limit::Finite(0)),
            Some(Limit::Unlimited)
        ]
    );
    match r[0].state() {
        CachedState::Fresh(g) => {
            assert_eq!((g.limit, g.in_use()), (Limit::Finite(16), Some(14)));
            let u = g.usage.expect("usage read");
            assert_eq!(
                (u.fetched_at, u.latency),
                (start(), Duration::from_millis(400))
            );
            assert_eq!(g.latency, Duration::from_millis(900));
            assert!(g.usage_error.is_none());
        }
        other => panic!("{other:?}"),
    }
    let c = Check::c3("us-east1");
    store.record(&c, Ok(Limit::Finite(88)), Duration::ZERO);
    let r = store.peek(std::slice::from_ref(&c));
    assert_eq!(
        (r[0].limit(), r[0].usage(), r[0].free()),
        (Some(Limit::Finite(88)), None, None)
    );
    assert!(r[0].usage_error().is_none());
}

/// A usage failure never hides a limit: the new limit lands, the last good usage is kept
/// beside the failure (free still derived from it), and the next good usage clears it. A
/// fetch that did not ask for usage keeps both.
pub fn a_usage_failure_keeps_the_limit_and_the_last_usage(make: StoreFactory<'_>) {
    let (store, clock) = fresh_store(make);
    let all16 = || Ok(vec![Ok(Limit::Finite(16)); 3]);
    store.record_outcome(&t4_outcome(all16(), Some(Ok(vec![14, 0, 16]))));
    clock.advance(Duration::from_secs(10));
    let denied = ApiError::new(ErrorKind::Permission, "monitoring.timeSeries.list");
    let limits = Ok(vec![Ok(Limit::Finite(12)); 3]);
    store.record_outcome(&t4_outcome(limits, Some(Err(denied))));
    let r = store.peek(&t4_checks());
    let CachedState::Fresh(g) = r[0].state() else {
        panic!("{:?}", r[0].state())
    };
    assert_eq!(g.limit, Limit::Finite(12), "the new limit is shown");
    assert_eq!(g.fetched_at, start() + Duration::from_secs(10));
    assert_eq!(
        g.usage.map(|u| (u.in_use, u.fetched_at)),
        Some((14, start()))
    );
    assert_eq!(g.free(), Some(Limit::Finite(0)), "12 − 14, never below 0");
    let e = r[0].usage_error().expect("the usage failure");
    assert_eq!(
        (e.error.kind, e.at),
        (ErrorKind::Permission, start() + Duration::from_secs(10))
    );

    // A limit-only fetch (usage not asked) keeps the usage and its failure.
    store.record(&t4_checks()[0], Ok(Limit::Finite(16)), Duration::ZERO);
    let r = store.peek(&t4_checks()[..1]);
    assert_eq!(
        (r[0].free(), r[0].usage_error().is_some()),
        (Some(Limit::Finite(2)), true)
    );

    store.record_outcome(&t4_outcome(all16(), Some(Ok(vec![1, 0, 0]))));
    let r = store.peek(&t4_checks());
    assert_eq!(r[0].free(), Some(Limit::Finite(15)));
    assert!(
        r[0].usage_error().is_none(),
        "a good usage clears the failure"
    );

    // Never read: the failure alone, free unknown.
    let (store, _clock) = fresh_store(make);
    let off = ApiError::new(ErrorKind::ServiceDisabled, "Cloud Monitoring API off");
    store.record_outcome(&t4_outcome(all16(), Some(Err(off))));
    let r = store.peek(&t4_checks());
    assert!(
        r.iter()
            .all(|c| c.limit() == Some(Limit::Finite(16)) && c.free().is_none())
    );
    assert!(r.iter().all(|c| {
        c.usage_error()
            .is_some_and(|e| e.error.kind == ErrorKind::ServiceDisabled)
    }));
}

/// A limit failure keeps the last good value and takes the usage read with it; a check that
/// never had a limit keeps no usage (nothing to be free of).
pub fn a_limit_failure_keeps_the_value_and_takes_the_new_usage(make: StoreFactory<'_>) {
    let (store, _clock) = fresh_store(make);
    let request = t4_outcome(Ok(Vec::new()), None).request;
    let first = MetricOutcome::new(
        request.clone(),
        Ok(vec![
            Ok(Limit::Finite(16)),
            Err(ApiError::new(ErrorKind::Parse, "no bucket")),
            Ok(Limit::Finite(8)),
        ]),
        Duration::ZERO,
    )
    .with_usage(Some(Ok(vec![2, 3, 0])), Duration::ZERO);
    store.record_outcome(&first);
    let down = ApiError::new(ErrorKind::Unavailable, "503");
    store.record_outcome(&t4_outcome(Err(down), Some(Ok(vec![10, 5, 0]))));
    let r = store.peek(&request.checks());
    match r[0].state() {
        CachedState::Failed {
            last_good: Some(g),
            error,
            ..
        } => {
            assert_eq!((g.limit, g.in_use()), (Limit::Finite(16), Some(10)));
            assert_eq!(error.error.kind, ErrorKind::Unavailable);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r[0].free(), Some(Limit::Finite(6)));
    assert!(matches!(
        r[1].state(),
        CachedState::Failed {
            last_good: None,
            ..
        }
    ));
    assert_eq!((r[1].usage(), r[1].free()), (None, None));
}
