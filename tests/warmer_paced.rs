//! The warmer under tokio's paused clock (SPEC §7; issues 2, 4 and 12): batch shape, single
//! flight, pacing, skips, warm now, refresh-ahead and shutdown. The unit of work is a metric
//! request, which answers every region of its metric: a default cycle is 5 batches and 6
//! requests, and still fills 38 checks.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::fake_source::{FakeSource, Plan};
use quota_tui::catalog::{Capacity, Catalog, Check, GpuType, Limit, QuotaMetric};
use quota_tui::gcp::ErrorKind;
use quota_tui::store::{CachedState, MemoryStore, QuotaStore, TokioClock};
use quota_tui::warmer::{CycleCause, WarmNow, Warmer, WarmerConfig, WarmerEvent};
use tokio::sync::broadcast::Receiver;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

fn config(interval_ms: u64) -> WarmerConfig {
    WarmerConfig {
        interval: Duration::from_millis(interval_ms),
        ..WarmerConfig::default()
    }
}

/// A store of 30-minute entries on tokio's (paused) clock.
fn store() -> Arc<MemoryStore> {
    Arc::new(MemoryStore::with_clock(
        Duration::from_secs(1800),
        Arc::new(TokioClock::new()),
    ))
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
async fn one_cycle_is_5_batches_and_6_requests_the_first_one_gpu_metric_and_c3() {
    let source = FakeSource::fixed(Duration::from_millis(300), 4);
    let cache = store();
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

    let events = collect_until(&mut rx, is_complete).await;
    let batches: Vec<_> = events
        .iter()
        .filter_map(|(t, e)| match e {
            WarmerEvent::BatchDone(b) => Some((*t, b.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(batches.len(), 5, "38 checks take 5 batches");
    // The first batch: one GPU metric (T4, its 4 regions) and the C3 metric (18 regions).
    let first = &batches[0].1;
    assert_eq!(first.outcomes.len(), 2);
    assert_eq!(
        first.outcomes[0].request.metric,
        QuotaMetric::Gpu {
            gpu: GpuType::T4,
            capacity: Capacity::Spot
        }
    );
    assert_eq!(first.outcomes[0].request.regions[0], "us-central1");
    assert_eq!(first.outcomes[1].request.metric, QuotaMetric::C3);
    assert_eq!((first.gpu.n, first.c3.n), (4, 18));
    // Batches 2 to 5 carry only a GPU metric (L4, A100, H100, H200).
    let rest: Vec<&str> = batches[1..]
        .iter()
        .map(|(_, b)| {
            assert_eq!(b.outcomes.len(), 1);
            b.outcomes[0].request.metric.label()
        })
        .collect();
    assert_eq!(rest, ["L4", "A100", "H100", "H200"]);
    // One batch per 2 s tick, the first at once: the last starts at 8 s, ends at 8.3 s.
    let (t_last, _) = batches[4];
    assert_eq!(t_last - t0, Duration::from_millis(8_300));
    // The status still counts cells.
    let done: Vec<usize> = events
        .iter()
        .filter_map(|(_, e)| match e {
            WarmerEvent::MetricLanded { done, total, .. } => Some(*done * 100 + *total),
            _ => None,
        })
        .collect();
    assert_eq!(done.last(), Some(&(38 * 100 + 38)));
    assert_eq!(handle.progress().done, 38);
    assert_eq!(cache.len(), 38);
    assert_eq!(source.requests().len(), 6, "one request per metric");
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
async fn never_two_batches_at_once_even_with_5s_requests() {
    let source = FakeSource::fixed(Duration::from_secs(5), 1);
    let warmer = Warmer::new(config(2000), &Catalog::default(), source.clone(), store());
    let mut rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let (_h, task) = warmer.start(cancel.clone());
    let events = collect_until(&mut rx, is_complete).await;

    assert!(
        source.max_in_flight() <= 2,
        "at most one GPU + one C3 in flight"
    );
    // The first batch is a pair, then one request each; each batch starts after the
    // previous one ended.
    let reqs = source.requests();
    assert_eq!(reqs.len(), 6);
    let batches = [
        &reqs[0..2],
        &reqs[2..3],
        &reqs[3..4],
        &reqs[4..5],
        &reqs[5..6],
    ];
    for (i, pair) in batches.windows(2).enumerate() {
        let prev_end = pair[0].iter().map(|r| r.end.unwrap()).max().unwrap();
        assert!(
            pair[1].iter().all(|r| r.start >= prev_end),
            "batch {} overlapped",
            i + 2
        );
    }
    // One skip line per batch at most, and there were skips (ticks found a batch in flight).
    let skips = events
        .iter()
        .filter(|(_, e)| matches!(e, WarmerEvent::Skipped))
        .count();
    assert!(skips > 0 && skips <= 5, "skips={skips}");
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn slow_batches_waste_no_ticks() {
    // 3 s requests at a 2 s interval: Σ max(2 s, 3 s) over 5 batches = 15 s, not 20 s.
    let source = FakeSource::fixed(Duration::from_secs(3), 1);
    let warmer = Warmer::new(config(2000), &Catalog::default(), source, store());
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
        (Duration::from_secs(14)..=Duration::from_secs(16)).contains(elapsed),
        "cycle took {elapsed:?}, expected 15 s"
    );
    assert_eq!((gpu.n, gpu.total, c3.n, c3.total), (20, 20, 18, 18));
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn warm_now_during_a_cycle_starts_nothing_and_after_it_starts_one() {
    let source = FakeSource::fixed(Duration::from_millis(500), 2);
    let warmer = Warmer::new(config(2000), &Catalog::default(), source.clone(), store());
    let mut rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let (handle, task) = warmer.start(cancel.clone());
    tokio::time::sleep(Duration::from_millis(100)).await; // batch 1 in flight
    assert_eq!(handle.warm_now(), WarmNow::AlreadyRunning);
    tokio::time::sleep(Duration::from_millis(1000)).await; // between batches
    assert_eq!(handle.warm_now(), WarmNow::AlreadyRunning);
    collect_until(&mut rx, is_complete).await;
    assert_eq!(source.requests().len(), 6, "nothing doubled");
    assert_eq!(handle.progress().cycle, 1);

    assert_eq!(handle.warm_now(), WarmNow::Started);
    let events = collect_until(&mut rx, is_complete).await;
    assert!(matches!(
        &events[0].1,
        WarmerEvent::CycleStarted {
            cause: CycleCause::WarmNow,
            cycle: 2,
            ..
        }
    ));
    assert_eq!(source.requests().len(), 12);
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn refresh_ahead_starts_a_cycle_at_80_percent_of_the_ttl() {
    let source = FakeSource::fixed(Duration::from_millis(200), 8);
    let cache = store();
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
    let due = handle.next_rewarm_in().expect("complete: a re-warm is due");
    assert!(due <= Duration::from_secs(24 * 60) && due > Duration::from_secs(23 * 60));
    let ev = collect_until(&mut rx, |e| matches!(e, WarmerEvent::CycleStarted { .. })).await;
    let (t, WarmerEvent::CycleStarted { cause, .. }) = ev.last().unwrap().clone() else {
        unreachable!()
    };
    assert_eq!(t - t0, Duration::from_secs(24 * 60), "re-warm at 24 m");
    assert_eq!(
        cause,
        CycleCause::Refresh {
            since: Duration::from_secs(24 * 60)
        }
    );
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
    let warmer = Warmer::new(config(2000), &Catalog::default(), source, store());
    let mut rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let (_h, task) = warmer.start(cancel.clone());
    tokio::time::sleep(Duration::from_secs(4)).await; // batch 2 (L4) in flight (3 s..6 s)
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
            WarmerEvent::Cancelled { gpu: Some(g), c3: None } if g.n == 8 && g.total == 20
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
    // The first C3 request is rate limited; its repair (one request again) succeeds.
    let c3_asked = Arc::new(AtomicUsize::new(0));
    let counter = c3_asked.clone();
    let source = FakeSource::new(move |request, _| {
        if request.metric == QuotaMetric::C3 && counter.fetch_add(1, Ordering::SeqCst) == 0 {
            Plan::Fail(Duration::from_millis(100), ErrorKind::RateLimited)
        } else {
            Plan::Answer(Duration::from_millis(100), Limit::Finite(44))
        }
    });
    let cache = store();
    let warmer = Warmer::new(
        config(2000),
        &Catalog::default(),
        source.clone(),
        cache.clone(),
    );
    let mut rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let (handle, task) = warmer.start(cancel.clone());
    let events = collect_until(
        &mut rx,
        |e| matches!(e, WarmerEvent::BatchDone(b) if b.repair),
    )
    .await;
    assert!(events.iter().any(|(_, e)| matches!(
        e,
        WarmerEvent::MetricFailed { metric, error } if *metric == QuotaMetric::C3 && error.kind == ErrorKind::RateLimited
    )));
    assert!(
        events
            .iter()
            .any(|(_, e)| matches!(e, WarmerEvent::CycleComplete { failed: 18, .. }))
    );
    let read = cache.read(&[Check::c3("us-east4"), Check::c3("asia-northeast1")]);
    assert!(read.iter().all(|c| c.limit() == Some(Limit::Finite(44))));
    assert_eq!(source.requests().len(), 7, "6 and one repair");
    assert_eq!(handle.progress().failed, 0, "repaired");
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn permission_errors_are_not_retried_and_keep_no_zero() {
    let source = FakeSource::new(|request, _| {
        if request.metric.gpu_type() == Some(GpuType::H100) {
            Plan::Fail(Duration::from_millis(50), ErrorKind::Permission)
        } else {
            Plan::Answer(Duration::from_millis(50), Limit::Finite(1))
        }
    });
    let cache = store();
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
        6,
        "permission errors are not repaired"
    );
    let h100 = Check::gpu(GpuType::H100, Capacity::Spot, "us-east1");
    let read = cache.peek(&[h100]);
    assert_eq!(read[0].limit(), None, "a denied check is never a zero");
    assert!(matches!(
        read[0].state(),
        CachedState::Failed { last_good: None, error, .. } if error.error.kind == ErrorKind::Permission
    ));
    cancel.cancel();
    task.await.unwrap();
}
