//! The warmer reading limits and usage together (SPEC §7, issue 13), under tokio's paused
//! clock: each metric of a batch asks Service Usage and Cloud Monitoring concurrently, a
//! cycle is 12 requests in 5 batches, free lands in the store, and a usage failure never
//! hides a limit and is said once per cycle.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::fake_source::{FakeSource, Plan, UsagePlan};
use quota_tui::catalog::{Catalog, Limit};
use quota_tui::gcp::ErrorKind;
use quota_tui::logs::warm_line;
use quota_tui::store::{CachedState, MemoryStore, QuotaStore, TokioClock};
use quota_tui::warmer::{WarmNow, Warmer, WarmerConfig, WarmerEvent};
use tokio::sync::broadcast::Receiver;
use tokio_util::sync::CancellationToken;

fn store() -> Arc<MemoryStore> {
    Arc::new(MemoryStore::with_clock(
        Duration::from_secs(1800),
        Arc::new(TokioClock::new()),
    ))
}

async fn until_complete(rx: &mut Receiver<WarmerEvent>) -> Vec<WarmerEvent> {
    let mut out = Vec::new();
    loop {
        let ev = rx.recv().await.expect("warmer channel open");
        let done = matches!(ev, WarmerEvent::CycleComplete { .. });
        out.push(ev);
        if done {
            return out;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_cycle_is_12_requests_in_5_batches_and_free_lands_with_every_limit() {
    // Limits 16 after 300 ms; usage 14 after 500 ms (C3: 200 in use of 16: never below 0).
    let source = FakeSource::with_usage(
        |_, _| Plan::Answer(Duration::from_millis(300), Limit::Finite(16)),
        |r, _| {
            let in_use = if r.metric.gpu_type().is_some() {
                14
            } else {
                200
            };
            UsagePlan::Answer(Duration::from_millis(500), in_use)
        },
    );
    let cache = store();
    let warmer = Warmer::new(
        WarmerConfig::default(),
        &Catalog::default(),
        source.clone(),
        cache.clone(),
    );
    let mut rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let (_handle, task) = warmer.start(cancel.clone());
    let events = until_complete(&mut rx).await;

    let batches: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            WarmerEvent::BatchDone(b) => Some(b),
            _ => None,
        })
        .collect();
    assert_eq!(batches.len(), 5, "still 5 batches");
    assert!(
        batches
            .iter()
            .all(|b| b.elapsed == Duration::from_millis(500)),
        "limit and usage asked together: the longer of the two, not their sum"
    );
    let (limits, usage) = (source.requests(), source.usage_requests());
    assert_eq!(limits.len() + usage.len(), 12, "6 + 6 requests per cycle");
    assert_eq!(usage.len(), 6);
    for (l, u) in limits.iter().zip(&usage) {
        assert_eq!(l.metric(), u.metric(), "the same metric, in the same order");
        assert_eq!(l.start, u.start, "asked at the same time");
    }
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, WarmerEvent::UsageFailed { .. }))
    );

    let all = Catalog::default().all_checks();
    let read = cache.read(&all);
    assert!(
        read.iter()
            .all(|c| c.is_hit() && c.limit() == Some(Limit::Finite(16)))
    );
    let (gpu, c3) = read.split_at(20);
    assert!(gpu.iter().all(|c| c.free() == Some(Limit::Finite(2))));
    assert!(
        c3.iter().all(|c| c.free() == Some(Limit::Finite(0))),
        "200 in use of 16: free never below 0"
    );
    match read[0].state() {
        CachedState::Fresh(g) => {
            let u = g.usage.expect("usage stored");
            assert_eq!((u.in_use, u.latency), (14, Duration::from_millis(500)));
            assert_eq!(g.latency, Duration::from_millis(300));
            assert!(u.fetched_at >= g.fetched_at, "each with its own fetch time");
        }
        other => panic!("{other:?}"),
    }
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn without_monitoring_permission_every_limit_lands_and_the_reason_is_said_once_per_cycle() {
    let source = FakeSource::with_usage(
        |_, _| Plan::Answer(Duration::from_millis(300), Limit::Finite(8)),
        |_, _| UsagePlan::Fail(Duration::from_millis(200), ErrorKind::Permission),
    );
    let cache = store();
    let warmer = Warmer::new(
        WarmerConfig::default(),
        &Catalog::default(),
        source.clone(),
        cache.clone(),
    );
    let mut rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let (handle, task) = warmer.start(cancel.clone());

    for cycle in 1..=2 {
        let events = until_complete(&mut rx).await;
        let said: Vec<String> = events
            .iter()
            .filter(|e| matches!(e, WarmerEvent::UsageFailed { .. }))
            .filter_map(warm_line)
            .collect();
        assert_eq!(said.len(), 1, "cycle {cycle}: once per cycle: {said:?}");
        assert!(
            said[0].starts_with("💥 CACHE_WARM_ERROR: usage of T4 - ")
                && said[0].contains("Monitoring Viewer role (roles/monitoring.viewer)"),
            "{}",
            said[0]
        );
        assert_eq!(
            source.usage_requests().len(),
            2 * cycle,
            "Monitoring asked by the first batch's two metrics (together), then not until \
             the next cycle"
        );
        assert_eq!(source.requests().len(), 6 * cycle, "every limit asked");
        let complete = events.last().unwrap();
        assert!(
            matches!(complete, WarmerEvent::CycleComplete { failed: 0, .. }),
            "a usage failure fails no check: {complete:?}"
        );
        let read = cache.peek(&Catalog::default().all_checks());
        assert!(
            read.iter().all(|c| c.limit() == Some(Limit::Finite(8))),
            "limits shown"
        );
        assert!(read.iter().all(|c| c.free().is_none()), "usage ?");
        assert!(read.iter().all(|c| {
            c.usage_error()
                .is_some_and(|e| e.error.kind == ErrorKind::Permission)
        }));
        if cycle == 1 {
            assert_eq!(handle.warm_now(), WarmNow::Started);
        }
    }
    cancel.cancel();
    task.await.unwrap();
}
