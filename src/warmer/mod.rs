//! The single-flight staggered cache warmer of SPEC §7.
//!
//! A tokio task ticks every `interval` (2 s by default). Each tick takes the cycle mutex with
//! `try_lock` — never waiting on it — and, if it got it and the cycle has work, runs one
//! **batch**: the next GPU metric and the next C3 metric, concurrently, each asked for its
//! limits (Service Usage) and its usage (Cloud Monitoring) together, each request bounded by
//! the client's own deadline. Every region an answer covers goes into the store as it lands,
//! and [`WarmerEvent`]s go out on a broadcast channel. The default catalog warms in 5 batches
//! (T4 + C3, L4, A100, H100, H200) and 12 requests (6 + 6); progress still counts cells,
//! `n/38`. A usage failure never hides a limit; it is said once per cycle
//! ([`WarmerEvent::UsageFailed`]), and after a project-wide refusal Cloud Monitoring is not
//! asked again until the next cycle.
//!
//! The decisions — what the next batch asks, what an answer means for the cycle — are plain
//! methods ([`cycle::Cycle`], [`lane::Lane`]) tested without tokio; the task ([`task`]) only
//! sleeps, fetches, writes and sends. The cycle's position lives inside the mutex, so no index
//! can run past its list, and a tick that finds the mutex held is a skip. A batch that
//! outlasts the interval is followed at once by the next (no tick wasted), so a cycle takes
//! about Σ max(interval, batch time). A new cycle starts `refresh` (80 % of the TTL) after the
//! last one began (a wall-clock time, on the store's clock), without clearing the cache.
//! Progress is published on a `tokio::sync::watch` channel. Shutdown goes through a
//! `CancellationToken`.

pub mod cycle;
pub mod events;
pub mod lane;
pub mod share;
pub mod stats;
mod task;

use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use tokio::sync::{Mutex, Notify, broadcast, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::catalog::{Catalog, Check};
use crate::gcp::QuotaSource;
use crate::store::{CachedState, QuotaStore, elapsed_between};
pub use cycle::{Batch, Cycle, Landing, Progress};
pub use events::{BatchLevel, BatchReport, CycleCause, ListPos, WarmerEvent};
pub use lane::{Lane, MAX_REPAIRS_PER_CYCLE, Work};
pub use stats::{StatsSnapshot, WarmerStats};

/// Default tick interval (SPEC §7).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);

/// Warmer settings. (The deadline of one request is the client's own, `--check-timeout`.)
#[derive(Debug, Clone, PartialEq)]
pub struct WarmerConfig {
    /// Tick interval between batches.
    pub interval: Duration,
    /// The cache TTL (only logged here; the store enforces it).
    pub ttl: Duration,
    /// Re-warm this long after the previous cycle began (80 % of the TTL by default).
    pub refresh: Duration,
    /// Stop after the first complete cycle (`warm --once`).
    pub once: bool,
}

impl WarmerConfig {
    /// The default refresh-ahead point: 80 % of `ttl`.
    pub fn refresh_for(ttl: Duration) -> Duration {
        ttl.mul_f64(0.8)
    }
}

impl Default for WarmerConfig {
    fn default() -> Self {
        let ttl = crate::store::DEFAULT_TTL;
        WarmerConfig {
            interval: DEFAULT_INTERVAL,
            ttl,
            refresh: Self::refresh_for(ttl),
            once: false,
        }
    }
}

/// The answer to "warm now" (key `r`/`w`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarmNow {
    /// A new cycle began.
    Started,
    /// A cycle is running; nothing was started.
    AlreadyRunning,
}

/// The cycle and when it began on tokio's clock (for its elapsed time): guarded by the
/// single-flight mutex.
#[derive(Debug)]
struct CycleState {
    cycle: Cycle,
    started: Instant,
}

struct Shared {
    cfg: WarmerConfig,
    source: Arc<dyn QuotaSource>,
    store: Arc<dyn QuotaStore>,
    state: Arc<Mutex<CycleState>>,
    events: broadcast::Sender<WarmerEvent>,
    stats: StdMutex<WarmerStats>,
    progress: watch::Sender<Progress>,
    wake: Notify,
    /// The catalog's checks (what a resumed cycle must cover).
    checks: Vec<Check>,
    /// Warm only while this reads true (the shared store's lease); taken by the task.
    gate: StdMutex<Option<watch::Receiver<bool>>>,
    /// [`Warmer::resume_from_store`] was called: resume rather than start at once, now or
    /// when the gate first opens.
    resume_wanted: std::sync::atomic::AtomicBool,
    /// A cycle from before this process was resumed before the task started.
    resumed: std::sync::atomic::AtomicBool,
}

impl Shared {
    fn emit(&self, event: WarmerEvent) {
        {
            let mut stats = self.stats.lock().expect("stats lock");
            stats.record(&event);
            if matches!(
                event,
                WarmerEvent::CycleComplete { .. } | WarmerEvent::CycleResumed { .. }
            ) {
                // Reads so far were made on a filling cache: cold (stats module). A cycle
                // taken up from the store (a snapshot's, the shared one's) is warm at once.
                stats.mark_warm(self.store.counters());
            }
        }
        // No subscriber is fine: the event is still counted.
        let _ = self.events.send(event);
    }

    fn publish(&self, st: &CycleState) {
        self.progress.send_replace(st.cycle.progress());
    }

    /// Begin a new cycle in `st` and announce it. Caller holds the cycle mutex.
    fn begin_cycle(&self, st: &mut CycleState, cause: CycleCause) {
        st.cycle.begin(self.store.now());
        st.started = Instant::now();
        self.publish(st);
        self.emit(WarmerEvent::CycleStarted {
            cycle: st.cycle.number(),
            cause,
            total: st.cycle.total(),
        });
    }

    /// Take the store's last complete cycle (a snapshot's, the shared store's) as this
    /// warmer's when it is later than the one it has, still before its refresh-ahead point,
    /// and every check has an entry; true when it did. Caller holds the cycle mutex.
    fn resume_from_store(&self, st: &mut CycleState) -> bool {
        let Some(started) = self.store.last_cycle_start() else {
            return false;
        };
        let now = self.store.now();
        let due = started + self.cfg.refresh;
        if due <= now || st.cycle.started_at().is_some_and(|mine| mine >= started) {
            return false;
        }
        let cached = self.store.peek(&self.checks);
        if cached
            .iter()
            .any(|c| matches!(c.state(), CachedState::Pending))
        {
            return false;
        }
        let failed = cached
            .iter()
            .filter(|c| matches!(c.state(), CachedState::Failed { .. }))
            .count();
        if !st.cycle.resume(started, failed) {
            return false;
        }
        self.publish(st);
        self.emit(WarmerEvent::CycleResumed {
            since: elapsed_between(started, now),
            next_in: elapsed_between(now, due),
            total: st.cycle.total(),
            failed,
            interval: self.cfg.interval,
            ttl: self.cfg.ttl,
            refresh: self.cfg.refresh,
        });
        true
    }

    fn snapshot(&self) -> StatsSnapshot {
        let counters = self.store.counters();
        self.stats.lock().expect("stats lock").snapshot(counters)
    }
}

/// A cloneable handle on a running warmer: subscribe, warm now, read statistics.
#[derive(Clone)]
pub struct WarmerHandle {
    shared: Arc<Shared>,
}

impl WarmerHandle {
    /// A new receiver of warmer events (from now on).
    pub fn subscribe(&self) -> broadcast::Receiver<WarmerEvent> {
        self.shared.events.subscribe()
    }

    /// Start a new cycle at once, keeping the cache; `AlreadyRunning` (and nothing started)
    /// while a cycle runs.
    pub fn warm_now(&self) -> WarmNow {
        let Ok(mut st) = self.shared.state.try_lock() else {
            return WarmNow::AlreadyRunning;
        };
        if !st.cycle.is_complete() {
            return WarmNow::AlreadyRunning;
        }
        self.shared.begin_cycle(&mut st, CycleCause::WarmNow);
        drop(st);
        self.shared.wake.notify_one();
        WarmNow::Started
    }

    /// The statistics now (batch times, failures, cache counters).
    pub fn stats(&self) -> StatsSnapshot {
        self.shared.snapshot()
    }

    /// The cache is warm although this warmer completed no cycle (another instance warmed
    /// the shared store): reads from now on are the steady state's, those before were cold
    /// ([`WarmerStats::mark_warm`]). Later calls change nothing.
    pub fn mark_warm(&self) {
        let counters = self.shared.store.counters();
        self.shared
            .stats
            .lock()
            .expect("stats lock")
            .mark_warm(counters);
    }

    /// Where the current cycle is.
    pub fn progress(&self) -> Progress {
        *self.shared.progress.borrow()
    }

    /// A receiver of the progress, marked changed at every change.
    pub fn watch_progress(&self) -> watch::Receiver<Progress> {
        self.shared.progress.subscribe()
    }

    /// Time until the next refresh-ahead cycle is due, when the current one is complete.
    pub fn next_rewarm_in(&self) -> Option<Duration> {
        task::rewarm_in(&self.shared, false)
    }

    /// The store this warmer fills.
    pub fn store(&self) -> &Arc<dyn QuotaStore> {
        &self.shared.store
    }

    /// The settings.
    pub fn config(&self) -> &WarmerConfig {
        &self.shared.cfg
    }
}

/// A warmer not yet started: subscribe first, then [`Warmer::start`], so no event is missed.
pub struct Warmer {
    shared: Arc<Shared>,
}

impl Warmer {
    /// A warmer for `catalog`'s metric requests (at the catalog's capacity) from `source`
    /// into `store`.
    pub fn new(
        cfg: WarmerConfig,
        catalog: &Catalog,
        source: Arc<dyn QuotaSource>,
        store: Arc<dyn QuotaStore>,
    ) -> Self {
        let (events, _) = broadcast::channel(4096);
        let cycle = Cycle::new(catalog);
        let (progress, _) = watch::channel(cycle.progress());
        Warmer {
            shared: Arc::new(Shared {
                cfg,
                source,
                store,
                state: Arc::new(Mutex::new(CycleState {
                    cycle,
                    started: Instant::now(),
                })),
                events,
                stats: StdMutex::new(WarmerStats::default()),
                progress,
                wake: Notify::new(),
                checks: catalog.all_checks(),
                gate: StdMutex::new(None),
                resume_wanted: std::sync::atomic::AtomicBool::new(false),
                resumed: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    /// Start from the store's last complete cycle (loaded from a snapshot, or the shared
    /// store's) when it is still before its refresh-ahead point and every check has an
    /// entry: the cache is warm now (the first frame shows `✅ Cache HOT! 38/38`), and the
    /// first cycle starts `refresh` after that cycle began (SPEC §11). Returns whether it did;
    /// otherwise the first cycle starts at once (as it does without this call: `warm --force`).
    /// A gated warmer tries again when its gate first opens (the shared store's cycle may be
    /// known by then).
    pub fn resume_from_store(&self) -> bool {
        let mut st = self
            .shared
            .state
            .try_lock()
            .expect("a new warmer's mutex is free");
        self.shared
            .resume_wanted
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let resumed = self.shared.resume_from_store(&mut st);
        self.shared
            .resumed
            .store(resumed, std::sync::atomic::Ordering::Relaxed);
        resumed
    }

    /// Warm only while `gate` reads true: an instance sharing a Redis store warms while it
    /// holds the lease (SPEC §11). While it reads false no batch starts (one in flight ends);
    /// when it opens again the warmer first takes any newer complete cycle from the store.
    pub fn gated(&self, gate: watch::Receiver<bool>) {
        *self.shared.gate.lock().expect("gate lock") = Some(gate);
    }

    /// A receiver of every event from the first (`CycleStarted`) on.
    pub fn subscribe(&self) -> broadcast::Receiver<WarmerEvent> {
        self.shared.events.subscribe()
    }

    /// A handle usable before and after start.
    pub fn handle(&self) -> WarmerHandle {
        WarmerHandle {
            shared: self.shared.clone(),
        }
    }

    /// Spawn the warmer task. It runs until `cancel` fires (or, with `once`, until the first
    /// cycle completes), then sends `Cancelled` if a batch was cut and `FinalStats` last.
    pub fn start(self, cancel: CancellationToken) -> (WarmerHandle, JoinHandle<()>) {
        let handle = self.handle();
        let task = tokio::spawn(task::run(self.shared, cancel));
        (handle, task)
    }
}
