use std::fs;
use std::os::unix::fs::symlink;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::*;
use crate::catalog::{Capacity, Check, GpuType, Limit};
use crate::gcp::{ApiError, ErrorKind};
use crate::store::{CachedState, ManualClock, contract};

const TTL: Duration = Duration::from_secs(30 * 60);

fn key() -> SnapshotKey {
    SnapshotKey {
        project: "my-project".into(),
        capacity: Capacity::Spot,
        demo: false,
    }
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn snapshot_store_keeps_the_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    contract::check_all(&|ttl, clock| {
        let path = dir
            .path()
            .join(format!("{}.json", n.fetch_add(1, Ordering::Relaxed)));
        Box::new(SnapshotStore::open(path, key(), ttl, clock))
    });
}

/// A store that saves its snapshot after every write and reads through a store freshly
/// loaded from that file: the store contract run through the file format.
struct Reloading {
    path: PathBuf,
    ttl: Duration,
    clock: Arc<dyn Clock>,
    store: Mutex<SnapshotStore>,
    counters: Mutex<CacheCounters>,
}

impl Reloading {
    fn reload(&self) {
        let mut store = self.store.lock().unwrap();
        store.save().unwrap();
        *store = SnapshotStore::open(self.path.clone(), key(), self.ttl, self.clock.clone());
        assert!(matches!(store.load(), SnapshotLoad::Loaded { .. }));
    }
}

impl QuotaStore for Reloading {
    fn ttl(&self) -> Duration {
        self.ttl
    }
    fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
    fn read(&self, checks: &[Check]) -> Vec<Cached> {
        let out = self.peek(checks);
        let mut c = self.counters.lock().unwrap();
        let hits = out.iter().filter(|c| c.is_hit()).count() as u64;
        c.hits += hits;
        c.misses += out.len() as u64 - hits;
        out
    }
    fn peek(&self, checks: &[Check]) -> Vec<Cached> {
        self.store.lock().unwrap().peek(checks)
    }
    fn put_ok(&self, check: &Check, good: GoodValue) {
        self.store.lock().unwrap().put_ok(check, good);
        self.reload();
    }
    fn put_err(&self, check: &Check, failure: Failure) {
        self.store.lock().unwrap().put_err(check, failure);
        self.reload();
    }
    fn entries(&self) -> Vec<(Check, Entry)> {
        self.store.lock().unwrap().entries()
    }
    fn counters(&self) -> CacheCounters {
        *self.counters.lock().unwrap()
    }
}

#[test]
fn the_store_contract_holds_through_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    contract::check_all(&|ttl, clock| {
        let path = dir
            .path()
            .join(format!("{}.json", n.fetch_add(1, Ordering::Relaxed)));
        let store = SnapshotStore::open(path.clone(), key(), ttl, clock.clone());
        Box::new(Reloading {
            path,
            ttl,
            clock,
            store: Mutex::new(store),
            counters: Mutex::default(),
        })
    });
}

/// A store at `path` on a manual clock reading `now`.
fn open_at(path: &Path, now: DateTime<Utc>) -> (SnapshotStore, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(now));
    let store = SnapshotStore::open(path.to_path_buf(), key(), TTL, clock.clone());
    (store, clock)
}

#[test]
fn a_restart_loads_young_entries_fresh_old_ones_stale_and_the_cycle_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(key().file_name());
    let (store, clock) = open_at(&path, t0());
    assert_eq!(store.load(), SnapshotLoad::Missing);
    let old = Check::gpu(GpuType::T4, Capacity::Spot, "us-central1");
    let young = Check::c3("us-east1");
    let failed = Check::gpu(GpuType::L4, Capacity::Spot, "us-west1");
    store.record(&old, Ok(Limit::Finite(64)), Duration::from_millis(900));
    store.record(&failed, Ok(Limit::Finite(16)), Duration::ZERO);
    clock.advance(Duration::from_secs(20 * 60));
    store.record(&young, Ok(Limit::Finite(0)), Duration::from_millis(1200));
    store.record(
        &failed,
        Err(ApiError::new(ErrorKind::Unavailable, "503")),
        Duration::ZERO,
    );
    store.cycle_complete(t0());
    assert_eq!(store.last_cycle_start(), Some(t0()));
    drop(store);

    // 15 minutes later: `old` is 35 minutes old, `young` 15.
    let (again, _clock) = open_at(&path, t0() + Duration::from_secs(35 * 60));
    assert!(matches!(
        again.load(),
        SnapshotLoad::Loaded { entries: 3, .. }
    ));
    assert_eq!(
        again.last_cycle_start(),
        Some(t0()),
        "refresh-ahead starts from it"
    );
    let r = again.read(&[old.clone(), young.clone(), failed.clone()]);
    assert!(matches!(r[0].state(), CachedState::Stale(g) if g.limit == Limit::Finite(64)));
    assert_eq!(r[0].age(again.now()), Some(Duration::from_secs(35 * 60)));
    assert!(
        matches!(r[1].state(), CachedState::Fresh(g) if g.limit == Limit::Finite(0) && g.latency == Duration::from_millis(1200))
    );
    assert!(matches!(
        r[2].state(),
        CachedState::Failed { last_good: Some(g), stale: true, error }
            if g.limit == Limit::Finite(16) && error.error.kind == ErrorKind::Unavailable
    ));
    assert_eq!(
        (again.counters().hits, again.counters().misses),
        (1, 2),
        "counters are per process"
    );
}

#[test]
fn bad_files_are_ignored_with_a_reason_never_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.json");
    let good = {
        let (store, _) = open_at(&path, t0());
        store.record(
            &Check::c3("us-east1"),
            Ok(Limit::Finite(44)),
            Duration::ZERO,
        );
        store.save().unwrap();
        fs::read_to_string(&path).unwrap()
    };
    let cases: Vec<(String, &str)> = vec![
        ("\u{0}\u{1}garbage".into(), "not a quota-tui snapshot"),
        (good[..good.len() / 2].into(), "not a quota-tui snapshot"),
        ("[1,2,3]".into(), "not a quota-tui snapshot"),
        (
            good.replace(FORMAT, "someone else's"),
            "not a quota-tui snapshot",
        ),
        (
            good.replace("\"version\":1", "\"version\":2"),
            "format version 2",
        ),
        (
            good.replace("my-project", "their-project"),
            "saved for their-project",
        ),
        (
            good.replace("\"capacity\":\"spot\"", "\"capacity\":\"on-demand\""),
            "at on-demand capacity",
        ),
        (good.replace("\"demo\":false", "\"demo\":true"), "(demo)"),
        (
            good.replace("\"entries\":[", "\"entries\":[{\"check\":7},"),
            "corrupt",
        ),
    ];
    for (text, why) in cases {
        fs::write(&path, &text).unwrap();
        let (store, _) = open_at(&path, t0());
        match store.load() {
            SnapshotLoad::Ignored(reason) => assert!(reason.contains(why), "{reason} ({why})"),
            other => panic!("{text:?} loaded as {other:?}"),
        }
        assert!(store.entries().is_empty());
    }
}

#[test]
fn a_symlink_in_place_of_the_file_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.json");
    let elsewhere = dir.path().join("elsewhere.json");
    {
        let (store, _) = open_at(&elsewhere, t0());
        store.record(
            &Check::c3("us-east1"),
            Ok(Limit::Finite(44)),
            Duration::ZERO,
        );
        store.save().unwrap();
    }
    let planted = fs::read(&elsewhere).unwrap();
    symlink(&elsewhere, &path).unwrap();
    let (store, _) = open_at(&path, t0());
    assert!(
        matches!(store.load(), SnapshotLoad::Ignored(ref r) if r.contains("symbolic link")),
        "{:?}",
        store.load()
    );
    assert!(store.entries().is_empty(), "nothing read through the link");
    store.record(&Check::c3("us-west2"), Ok(Limit::Finite(1)), Duration::ZERO);
    store.close();
    assert_eq!(
        fs::read(&elsewhere).unwrap(),
        planted,
        "the target is untouched"
    );
    assert!(fs::symlink_metadata(&path).unwrap().is_file());
}

#[test]
fn hostile_entries_are_dropped_and_their_texts_capped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.json");
    let (store, _) = open_at(&path, t0());
    store.record(
        &Check::c3("us-east1"),
        Ok(Limit::Finite(44)),
        Duration::ZERO,
    );
    store.record(
        &Check::c3("\u{1b}]0;owned\u{7}"),
        Ok(Limit::Finite(1)),
        Duration::ZERO,
    );
    store.save().unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let huge = "\u{1b}[2J".repeat(100_000);
    let text = text.replace(
        "\"entries\":[",
        &format!(
            "\"entries\":[{{\"check\":{{\"metric\":\"C3\",\"region\":\"us-west1\"}},\"entry\":{{\"last_error\":{{\"error\":{{\"kind\":\"invalid\",\"message\":\"{}\",\"attempts\":1}},\"at\":\"2026-11-21T12:00:00Z\",\"latency\":{{\"secs\":0,\"nanos\":0}}}}}}}},",
            huge.replace('\u{1b}', "\\u001b")
        ),
    );
    fs::write(&path, text).unwrap();
    let (again, _) = open_at(&path, t0());
    let mut entries = again.entries();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let regions: Vec<_> = entries.iter().map(|(c, _)| c.region.as_str()).collect();
    assert_eq!(
        regions,
        ["us-east1", "us-west1"],
        "the hostile region is dropped"
    );
    let message = &entries[1].1.last_error.as_ref().unwrap().error.message;
    assert!(message.len() < 3000, "{} bytes kept", message.len());
}

#[test]
fn file_names_are_per_project_and_capacity_and_the_demo_has_its_own() {
    let mut k = key();
    assert_eq!(k.file_name(), "project-my-project-spot.json");
    k.capacity = Capacity::OnDemand;
    assert_eq!(k.file_name(), "project-my-project-on-demand.json");
    k.project = "example.com:a/../b".into();
    assert_eq!(k.file_name(), "project-example.com:a_.._b-on-demand.json");
    k.demo = true;
    assert_eq!(k.file_name(), "demo-on-demand.json");
    let path = key().default_path().expect("a home folder");
    assert!(
        path.ends_with("quota-tui/project-my-project-spot.json"),
        "{path:?}"
    );
}
