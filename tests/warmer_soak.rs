//! A 24-hour warmer run under tokio's paused clock (issue 4): random latencies 0.1–5 s,
//! 5 % failures, 1 % answers that never come. Cycles every 24 min without overlap, never
//! two batches at once, every entry refreshed before its TTL, 38 entries, and a 100 % hit
//! rate once the first cycle is done.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::fake_source::{FakeSource, Plan};
use quota_tui::catalog::{Catalog, Check, Limit, QuotaMetric};
use quota_tui::gcp::ErrorKind;
use quota_tui::store::{MemoryStore, QuotaStore, TokioClock};
use quota_tui::warmer::{Warmer, WarmerConfig, WarmerEvent};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const DAY: Duration = Duration::from_secs(24 * 3600);
const TTL: Duration = Duration::from_secs(30 * 60);

#[tokio::test(start_paused = true)]
async fn a_day_of_warming_keeps_every_entry_fresh() {
    let source = FakeSource::new(|_check, n| {
        let mut rng = ChaCha8Rng::seed_from_u64(0x5eed ^ n as u64);
        let latency = Duration::from_millis(rng.random_range(100..=5000));
        let roll: f64 = rng.random();
        if roll < 0.01 {
            Plan::Hang
        } else if roll < 0.06 {
            Plan::Fail(latency, ErrorKind::Unavailable)
        } else {
            Plan::Answer(latency, Limit::Finite(rng.random_range(0..=16)))
        }
    });
    let catalog = Catalog::default();
    let cache = Arc::new(MemoryStore::with_clock(TTL, Arc::new(TokioClock::new())));
    let cfg = WarmerConfig {
        interval: Duration::from_secs(2),
        ttl: TTL,
        refresh: WarmerConfig::refresh_for(TTL),
        once: false,
    };
    let warmer = Warmer::new(cfg, &catalog, source.clone(), cache.clone());
    let mut rx = warmer.subscribe();
    let log: Arc<Mutex<Vec<(Instant, WarmerEvent)>>> = Arc::default();
    let recorder = {
        let log = log.clone();
        tokio::spawn(async move {
            while let Ok(ev) = rx.recv().await {
                let last = matches!(ev, WarmerEvent::FinalStats(_));
                log.lock().unwrap().push((Instant::now(), ev));
                if last {
                    break;
                }
            }
        })
    };
    let cancel = CancellationToken::new();
    let t0 = Instant::now();
    let (handle, task) = warmer.start(cancel.clone());

    // Read the whole catalog every minute, as the infra screen would.
    let checks = catalog.all_checks();
    let mut reads_after_first_cycle = 0;
    while t0.elapsed() <= DAY {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let was_warm = handle.progress().ever_complete;
        let before = cache.counters();
        let read = cache.read(&checks);
        if was_warm {
            reads_after_first_cycle += 1;
            let misses: Vec<_> = read
                .iter()
                .zip(&checks)
                .filter(|(c, _)| !c.is_hit())
                .map(|(_, k)| k.to_string())
                .collect();
            assert!(misses.is_empty(), "miss at {:?}: {misses:?}", t0.elapsed());
            assert_eq!(cache.counters().hits - before.hits, 38);
        }
        assert!(cache.len() <= 38);
    }
    cancel.cancel();
    task.await.expect("warmer joined");
    recorder.await.unwrap();
    assert_eq!(cache.len(), 38);
    assert!(reads_after_first_cycle > 1400);

    let events = log.lock().unwrap().clone();
    // A cycle every 24 minutes, each complete before the next starts.
    let starts: Vec<Instant> = events
        .iter()
        .filter(|(_, e)| matches!(e, WarmerEvent::CycleStarted { .. }))
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(starts.len(), 61, "cycles at 0, 24m, ..., 24h");
    for (k, t) in starts.iter().enumerate() {
        assert_eq!(
            *t - t0,
            Duration::from_secs(24 * 60) * k as u32,
            "cycle {k}"
        );
    }
    let mut running = false;
    for (_, e) in &events {
        match e {
            WarmerEvent::CycleStarted { .. } => {
                assert!(!running, "a cycle started while another ran");
                running = true;
            }
            WarmerEvent::CycleComplete { .. } => running = false,
            _ => {}
        }
    }
    let failures = events
        .iter()
        .filter(|(_, e)| matches!(e, WarmerEvent::MetricFailed { .. }))
        .count();
    // About 370 requests (6 per cycle, 61 cycles, and repairs), 5 % of them failing.
    assert!(
        failures > 10,
        "the soak really failed some metrics: {failures}"
    );
    let timeouts = events
        .iter()
        .filter(|(_, e)| matches!(e, WarmerEvent::MetricFailed { error, .. } if error.kind == ErrorKind::Timeout))
        .count();
    assert!(timeouts >= 2, "some answers never came: {timeouts}");

    // Never two batches at once: requests of one list never overlap each other (a request
    // that never answered ended at its 10 s deadline).
    let reqs = source.requests();
    let mut by_list: HashMap<bool, Vec<(Instant, Instant)>> = HashMap::new();
    for r in &reqs {
        let end = r.end.unwrap_or(r.start + Duration::from_secs(10));
        by_list
            .entry(matches!(r.metric(), QuotaMetric::Gpu { .. }))
            .or_default()
            .push((r.start, end));
    }
    for spans in by_list.values() {
        for w in spans.windows(2) {
            assert!(
                w[1].0 >= w[0].1,
                "two batches overlapped at {:?}",
                w[1].0 - t0
            );
        }
    }
    assert!(source.max_in_flight() <= 2);

    // Every entry refreshed before its TTL ran out.
    let mut last_ok: HashMap<Check, Instant> = HashMap::new();
    for r in reqs.iter().filter(|r| r.ok) {
        let end = r.end.unwrap();
        for check in r.request.checks() {
            if let Some(prev) = last_ok.insert(check.clone(), end) {
                assert!(
                    end - prev < TTL,
                    "{check} went {:?} without a refresh",
                    end - prev
                );
            }
        }
    }
    assert_eq!(last_ok.len(), 38);
}
