//! The warmer under tokio's paused clock (SPEC §7; issues 2 and 4): batch shape, single
//! flight, pacing, skips, warm now, refresh-ahead and shutdown.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::fake_source::{FakeSource, Plan};
use quota_tui::catalog::{Capacity, Catalog, Limit, QuotaMetric};
use quota_tui::gcp::ErrorKind;
use quota_tui::store::{CachedState, MemoryStore, QuotaStore, TokioClock};
use quota_tui::warmer::{WarmNow, Warmer, WarmerConfig, WarmerEvent};
use tokio::sync::broadcast::Receiver;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

fn config(interval_ms: u64) -> WarmerConfig {
    WarmerConfig {
        interval: Duration::from_millis(interval_ms),
        ..WarmerConfig::default()
    }
}

/// Events with the (paused) time they were received.
async fn collect_until(
    rx: &mut Receiver<WarmerEvent>,
    mut stop: impl FnMut(&WarmerEvent) -> bool,
) -> Vec<(Instant, WarmerEvent)> {
    let mut out = Vec::new();
    loop {
        let ev = rx.recv().await.expect("warmer channel open");
        let done = stop(&ev);
        out.push((Instant::now(), ev));
        if done {
            return out;
        }
    }
}

fn is_complete(e: &WarmerEvent) -> bool {
    matches!(e, WarmerEvent::CycleComplete { .. })
}

#[tokio::test(start_paused = true)]
async fn one_cycle_is_38_checks_in_20_batches_of_one_gpu_and_one_c3() {
    let source = FakeSource::fixed(Duration::from_millis(300), 4);
    let cache = Arc::new(MemoryStore::with_clock(
        Duration::from_secs(1800),
        Arc::new(TokioClock::new()),
    ));
    let warmer = Warmer::new(
        config(2000),
        &Catalog::default(),
        source.clone(),
        cache.clone(),
    );
    let mut rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let t0 = Instant::now();
    let (_h, task) = warmer.start(cancel.clone());

    let events = collect_until(&mut rx, is_complete).await;
    let batches: Vec<_> = events
        .iter()
        .filter_map(|(t, e)| match e {
            WarmerEvent::BatchDone(b) => Some((*t, b.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(batches.len(), 20, "38 checks take 20 batches");
    // The first batch: one GPU check and one C3 check, T4 us-central1 and C3 us-central1.
    let first = &batches[0].1;
    assert_eq!(first.outcomes.len(), 2);
    assert_eq!(
        first.outcomes[0].check.metric,
        QuotaMetric::Gpu {
            gpu: quota_tui::catalog::GpuType::T4,
            capacity: Capacity::Spot
        }
    );
    assert_eq!(first.outcomes[1].check.metric, QuotaMetric::C3);
    assert_eq!(first.outcomes[0].check.region, "us-central1");
    // Batches 19 and 20 carry only GPU checks (the C3 list has 18).
    assert_eq!(batches[18].1.outcomes.len(), 1);
    assert!(batches[18].1.c3.is_none());
    // One batch per 2 s tick, the first at once: the last starts at 38 s, ends at 38.3 s.
    let (t_last, _) = batches[19];
    assert_eq!(t_last - t0, Duration::from_millis(38_300));
    assert_eq!(cache.len(), 38);
    assert_eq!(source.requests().len(), 38);
    assert!(source.max_in_flight() <= 2);
    let hits = cache.read(&Catalog::default().all_checks());
    assert!(
        hits.iter()
            .all(|c| c.is_hit() && c.limit() == Some(Limit::Finite(4)))
    );
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn never_two_batches_at_once_even_with_5s_checks() {
    let source = FakeSource::fixed(Duration::from_secs(5), 1);
    let cache = Arc::new(MemoryStore::with_clock(
        Duration::from_secs(1800),
        Arc::new(TokioClock::new()),
    ));
    let warmer = Warmer::new(
        config(2000),
        &Catalog::default(),
        source.clone(),
        cache.clone(),
    );
    let mut rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let (_h, task) = warmer.start(cancel.clone());
    let events = collect_until(&mut rx, is_complete).await;

    assert!(
        source.max_in_flight() <= 2,
        "at most one GPU + one C3 in flight"
    );
    // Requests come in pairs; each pair starts after the previous pair ended.
    let reqs = source.requests();
    assert_eq!(reqs.len(), 38);
    let mut prev_end = None;
    let mut i = 0;
    while i < reqs.len() {
        let pair_len = if i < 36 { 2 } else { 1 };
        let pair = &reqs[i..i + pair_len];
        if let Some(prev) = prev_end {
            assert!(
                pair.iter().all(|r| r.start >= prev),
                "batch {} overlapped",
                i / 2
            );
        }
        prev_end = pair.iter().map(|r| r.end.unwrap()).max();
        i += pair_len;
    }
    // One skip line per batch at most, and there were skips (ticks found a batch in flight).
    let skips = events
        .iter()
        .filter(|(_, e)| matches!(e, WarmerEvent::Skipped))
        .count();
    assert!(skips > 0 && skips <= 20, "skips={skips}");
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn slow_batches_waste_no_ticks() {
    // 3 s checks at a 2 s interval: Σ max(2 s, 3 s) over 20 batches = 60 s, not 80 s.
    let source = FakeSource::fixed(Duration::from_secs(3), 1);
    let cache = Arc::new(MemoryStore::with_clock(
        Duration::from_secs(1800),
        Arc::new(TokioClock::new()),
    ));
    let warmer = Warmer::new(config(2000), &Catalog::default(), source, cache);
    let mut rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let (_h, task) = warmer.start(cancel.clone());
    let events = collect_until(&mut rx, is_complete).await;
    let Some((
        _,
        WarmerEvent::CycleComplete {
            elapsed, gpu, c3, ..
        },
    )) = events.last()
    else {
        panic!("no complete event")
    };
    assert!(
        (Duration::from_secs(57)..=Duration::from_secs(63)).contains(elapsed),
        "cycle took {elapsed:?}, expected 60 s ± one batch"
    );
    assert_eq!((gpu.n, gpu.total, c3.n, c3.total), (20, 20, 18, 18));
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn warm_now_during_a_cycle_starts_nothing_and_after_it_starts_one() {
    let source = FakeSource::fixed(Duration::from_millis(500), 2);
    let cache = Arc::new(MemoryStore::with_clock(
        Duration::from_secs(1800),
        Arc::new(TokioClock::new()),
    ));
    let warmer = Warmer::new(config(2000), &Catalog::default(), source.clone(), cache);
    let mut rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let (handle, task) = warmer.start(cancel.clone());
    tokio::time::sleep(Duration::from_millis(100)).await; // batch 1 in flight
    assert_eq!(handle.warm_now(), WarmNow::AlreadyRunning);
    tokio::time::sleep(Duration::from_millis(1000)).await; // between batches
    assert_eq!(handle.warm_now(), WarmNow::AlreadyRunning);
    collect_until(&mut rx, is_complete).await;
    assert_eq!(source.requests().len(), 38, "nothing doubled");
    assert_eq!(handle.progress().cycle, 1);

    assert_eq!(handle.warm_now(), WarmNow::Started);
    let events = collect_until(&mut rx, is_complete).await;
    assert!(matches!(
        &events[0].1,
        WarmerEvent::CycleStarted {
            rewarm: true,
            cycle: 2,
            ..
        }
    ));
    assert_eq!(source.requests().len(), 76);
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn refresh_ahead_starts_a_cycle_at_80_percent_of_the_ttl() {
    let source = FakeSource::fixed(Duration::from_millis(200), 8);
    let ttl = Duration::from_secs(30 * 60);
    let cache = Arc::new(MemoryStore::with_clock(ttl, Arc::new(TokioClock::new())));
    let warmer = Warmer::new(
        config(2000),
        &Catalog::default(),
        source.clone(),
        cache.clone(),
    );
    let mut rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let t0 = Instant::now();
    let (handle, task) = warmer.start(cancel.clone());
    collect_until(&mut rx, is_complete).await;
    let ev = collect_until(&mut rx, |e| matches!(e, WarmerEvent::CycleStarted { .. })).await;
    let (t, WarmerEvent::CycleStarted { rewarm, reason, .. }) = ev.last().unwrap().clone() else {
        unreachable!()
    };
    assert!(rewarm);
    assert_eq!(t - t0, Duration::from_secs(24 * 60), "re-warm at 24 m");
    assert!(reason.contains("24m since last cycle began"), "{reason}");
    // The cache was kept: every entry still a hit while the new cycle runs.
    assert!(
        cache
            .read(&Catalog::default().all_checks())
            .iter()
            .all(|c| c.is_hit())
    );
    assert_eq!(handle.progress().cycle, 2);
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn shutdown_mid_batch_cancels_it_and_sends_final_stats_last() {
    let source = FakeSource::fixed(Duration::from_secs(3), 1);
    let cache = Arc::new(MemoryStore::with_clock(
        Duration::from_secs(1800),
        Arc::new(TokioClock::new()),
    ));
    let warmer = Warmer::new(config(2000), &Catalog::default(), source, cache);
    let mut rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let (_h, task) = warmer.start(cancel.clone());
    tokio::time::sleep(Duration::from_secs(4)).await; // batch 2 in flight (3 s..6 s)
    let t_cancel = Instant::now();
    cancel.cancel();
    task.await.expect("warmer task joined");
    assert!(
        Instant::now() - t_cancel < Duration::from_millis(10),
        "prompt shutdown"
    );
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    let n = events.len();
    assert!(
        matches!(
            &events[n - 2],
            WarmerEvent::Cancelled { gpu: Some(g), c3: Some(c) } if g.n == 2 && c.n == 2
        ),
        "{:?}",
        &events[n - 2]
    );
    let WarmerEvent::FinalStats(stats) = &events[n - 1] else {
        panic!("FinalStats is last")
    };
    assert_eq!(stats.batches, 1);
    assert_eq!(stats.avg_ms, 3000);
}

#[tokio::test(start_paused = true)]
async fn transient_failures_are_repaired_after_the_cycle() {
    // The first request for C3 us-east4 is rate limited; its repair succeeds.
    let source = FakeSource::new(|request, n| {
        if request.regions.contains(&"us-east4".to_string()) && n < 10 {
            Plan::Fail(Duration::from_millis(100), ErrorKind::RateLimited)
        } else {
            Plan::Answer(Duration::from_millis(100), Limit::Finite(44))
        }
    });
    let cache = Arc::new(MemoryStore::with_clock(
        Duration::from_secs(1800),
        Arc::new(TokioClock::new()),
    ));
    let warmer = Warmer::new(
        config(2000),
        &Catalog::default(),
        source.clone(),
        cache.clone(),
    );
    let mut rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let (_h, task) = warmer.start(cancel.clone());
    let events = collect_until(
        &mut rx,
        |e| matches!(e, WarmerEvent::BatchDone(b) if b.repair),
    )
    .await;
    assert!(events.iter().any(|(_, e)| matches!(
        e,
        WarmerEvent::CheckFailed { check, error } if check.region == "us-east4" && error.kind == ErrorKind::RateLimited
    )));
    assert!(events.iter().any(|(_, e)| is_complete(e)));
    let read = cache.read(&[quota_tui::catalog::Check::c3("us-east4")]);
    assert_eq!(read[0].limit(), Some(Limit::Finite(44)));
    assert_eq!(source.requests().len(), 39);
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn permission_errors_are_not_retried_and_keep_no_zero() {
    let source = FakeSource::new(|request, _| {
        if request.metric.gpu_type() == Some(quota_tui::catalog::GpuType::H100) {
            Plan::Fail(Duration::from_millis(50), ErrorKind::Permission)
        } else {
            Plan::Answer(Duration::from_millis(50), Limit::Finite(1))
        }
    });
    let cache = Arc::new(MemoryStore::with_clock(
        Duration::from_secs(1800),
        Arc::new(TokioClock::new()),
    ));
    let warmer = Warmer::new(
        config(2000),
        &Catalog::default(),
        source.clone(),
        cache.clone(),
    );
    let mut rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let (_h, task) = warmer.start(cancel.clone());
    collect_until(&mut rx, is_complete).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(
        source.requests().len(),
        38,
        "permission errors are not repaired"
    );
    let h100 = quota_tui::catalog::Check::gpu(
        quota_tui::catalog::GpuType::H100,
        Capacity::Spot,
        "us-east1",
    );
    let read = cache.peek(&[h100]);
    assert_eq!(read[0].limit(), None, "a denied check is never a zero");
    assert!(matches!(
        read[0].state(),
        CachedState::Failed { last_good: None, error, .. } if error.error.kind == ErrorKind::Permission
    ));
    cancel.cancel();
    task.await.unwrap();
}
