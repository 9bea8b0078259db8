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
