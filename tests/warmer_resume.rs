//! The warmer across restarts and instances (SPEC §11, issue 15), under tokio's paused clock:
//! a restart with a snapshot is HOT at once and asks nothing until refresh-ahead is due; a
//! stale snapshot or `--force` starts a cycle at once; a gated warmer (the Redis lease) warms
//! only while its gate is open and takes a newer cycle from the store when it opens.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::fake_source::FakeSource;
use quota_tui::catalog::{Capacity, Catalog};
use quota_tui::store::snapshot::{SnapshotKey, SnapshotStore};
use quota_tui::store::{Clock, QuotaStore, SnapshotLoad, TokioClock};
use quota_tui::tui::widgets::status::WarmStatus;
use quota_tui::warmer::{CycleCause, Warmer, WarmerConfig, WarmerEvent};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

const TTL: Duration = Duration::from_secs(1800);
const REFRESH: Duration = Duration::from_secs(24 * 60);

fn key() -> SnapshotKey {
    SnapshotKey {
        project: "p".into(),
        capacity: Capacity::Spot,
        demo: false,
    }
}

fn snapshot_store(path: &std::path::Path, clock: Arc<dyn Clock>) -> Arc<SnapshotStore> {
    Arc::new(SnapshotStore::open(path.to_path_buf(), key(), TTL, clock))
}

/// Run one full cycle into `store` and stop; returns when the cycle began.
async fn warm_once(store: Arc<SnapshotStore>) -> chrono::DateTime<chrono::Utc> {
    let source = FakeSource::fixed(Duration::from_millis(300), 8);
    let cfg = WarmerConfig {
        once: true,
        ..WarmerConfig::default()
    };
    let warmer = Warmer::new(cfg, &Catalog::default(), source, store.clone());
    let (handle, task) = warmer.start(CancellationToken::new());
    task.await.unwrap();
    let started = handle.progress().started_at.expect("a cycle ran");
    store.close();
    started
}

fn requests(source: &FakeSource) -> usize {
    source.requests().len()
}

#[tokio::test(start_paused = true)]
async fn a_restart_with_a_snapshot_is_hot_at_once_and_asks_nothing_until_refresh_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(key().file_name());
    let clock = TokioClock::new();
    let first = warm_once(snapshot_store(&path, Arc::new(clock))).await;
    tokio::time::advance(Duration::from_secs(5 * 60)).await;

    let store = snapshot_store(&path, Arc::new(TokioClock::starting_at(clock.now())));
    assert!(matches!(
        store.load(),
        SnapshotLoad::Loaded { entries: 38, .. }
    ));
    assert_eq!(store.last_cycle_start(), Some(first));
    let source = FakeSource::fixed(Duration::from_millis(300), 8);
    let warmer = Warmer::new(
        WarmerConfig::default(),
        &Catalog::default(),
        source.clone(),
        store.clone(),
    );
    assert!(warmer.resume_from_store());
    let mut events = warmer.subscribe();
    let (handle, task) = warmer.start(CancellationToken::new());
    assert_eq!(
        WarmStatus::from_progress(handle.progress()).text(),
        "✅ Cache HOT! 38/38",
        "the first frame is HOT"
    );
    let due = quota_tui::store::elapsed_between(store.now(), first + REFRESH);
    tokio::time::sleep(due - Duration::from_secs(1)).await;
    assert_eq!(requests(&source), 0, "nothing asked before refresh-ahead");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(requests(&source) > 0, "refresh-ahead asked");
    let started = loop {
        if let WarmerEvent::CycleStarted { cause, .. } = events.recv().await.unwrap() {
            break cause;
        }
    };
    assert!(matches!(started, CycleCause::Refresh { since } if since >= REFRESH));
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn a_stale_snapshot_or_force_starts_a_cycle_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(key().file_name());
    let clock = TokioClock::new();
    warm_once(snapshot_store(&path, Arc::new(clock))).await;

    // --force: no resume, though the snapshot is fresh.
    let store = snapshot_store(&path, Arc::new(TokioClock::starting_at(clock.now())));
    let source = FakeSource::fixed(Duration::from_millis(300), 8);
    let warmer = Warmer::new(
        WarmerConfig::default(),
        &Catalog::default(),
        source.clone(),
        store,
    );
    let (handle, task) = warmer.start(CancellationToken::new());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(requests(&source), 2, "the first batch went out at once");
    assert_eq!(handle.progress().cycle, 1);
    task.abort();

    // Past the refresh-ahead point: resume refuses.
    tokio::time::advance(REFRESH).await;
    let store = snapshot_store(&path, Arc::new(TokioClock::starting_at(clock.now())));
    let warmer = Warmer::new(
        WarmerConfig::default(),
        &Catalog::default(),
        FakeSource::fixed(Duration::from_millis(300), 8),
        store,
    );
    assert!(!warmer.resume_from_store());
    assert!(!warmer.handle().progress().complete);

    // A snapshot missing a check (another catalog) is not resumed either.
    let mut wider = Catalog::default();
    wider.c3_regions.push("me-west1".into());
    let store = snapshot_store(&path, Arc::new(TokioClock::starting_at(clock.now())));
    let warmer = Warmer::new(
        WarmerConfig::default(),
        &wider,
        FakeSource::fixed(Duration::from_millis(300), 8),
        store,
    );
    assert!(!warmer.resume_from_store());
}

#[tokio::test(start_paused = true)]
async fn a_gated_warmer_warms_only_while_its_gate_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(key().file_name());
    let store = snapshot_store(&path, Arc::new(TokioClock::new()));
    let source = FakeSource::fixed(Duration::from_millis(300), 8);
    let warmer = Warmer::new(
        WarmerConfig::default(),
        &Catalog::default(),
        source.clone(),
        store.clone(),
    );
    let (gate, rx) = watch::channel(false);
    warmer.gated(rx);
    assert!(!warmer.resume_from_store(), "nothing to resume yet");
    let (handle, task) = warmer.start(CancellationToken::new());
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(requests(&source), 0, "no lease, no request");

    gate.send_replace(true);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let after_two_batches = requests(&source);
    assert_eq!(after_two_batches, 3, "T4 + C3, then L4");
    gate.send_replace(false);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        requests(&source),
        after_two_batches,
        "the lease lost: no new batch"
    );
    assert!(!handle.progress().complete);

    gate.send_replace(true);
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(requests(&source), 6, "the cycle went on where it was");
    assert!(handle.progress().complete);
    assert!(store.last_cycle_start().is_some(), "the store recorded it");
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn a_gate_that_opens_after_another_instance_warmed_takes_its_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(key().file_name());
    let clock = TokioClock::new();
    let store = snapshot_store(&path, Arc::new(clock));
    let source = FakeSource::fixed(Duration::from_millis(300), 8);
    let warmer = Warmer::new(
        WarmerConfig::default(),
        &Catalog::default(),
        source.clone(),
        store.clone(),
    );
    let (gate, rx) = watch::channel(false);
    warmer.gated(rx);
    warmer.resume_from_store();
    let (handle, task) = warmer.start(CancellationToken::new());
    // Another instance (the lease holder) fills the shared store and completes a cycle.
    warm_once(store.clone()).await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    gate.send_replace(true);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(requests(&source), 0, "the holder's cycle is still fresh");
    let p = handle.progress();
    assert!(p.complete && p.done == 38);
    task.abort();
}
