//! The single-flight staggered cache warmer of SPEC §7.
//!
//! A tokio task ticks every `interval` (2 s by default). Each tick takes the cycle mutex with
//! `try_lock` — never waiting on it — and, if it got it and the cycle is not complete, runs
//! one **batch**: the next GPU check and the next C3 check, concurrently, each bounded by the
//! per-check deadline. Results go into the cache as each lands, and [`WarmerEvent`]s go out on
//! a broadcast channel. The cycle's position lives inside the mutex, so no index can run past
//! its list, and a tick that finds the mutex held is a skip. A batch that outlasts the interval
//! is followed at once by the next (no tick wasted), so a cycle takes about
//! Σ max(interval, batch time). A new cycle starts `refresh` (80 % of the TTL) after the last
//! one began, without clearing the cache. Shutdown goes through a `CancellationToken`.

pub mod events;
mod skip;
pub mod stats;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use tokio::sync::{Mutex, Notify, OwnedMutexGuard, broadcast};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::catalog::{Catalog, Check};
use crate::gcp::disabled::DisabledServices;
use crate::gcp::{ApiError, ErrorKind, QuotaSource};
use crate::store::QuotaStore;
pub use events::{BatchLevel, BatchReport, CheckOutcome, ListPos, WarmerEvent};
pub use stats::{StatsSnapshot, WarmerStats};

/// Default tick interval (SPEC §7).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);
/// Default per-check deadline, retries included (SPEC §4).
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(10);
/// Times a check that failed transiently (timeout, rate limited, unavailable) is retried in
/// the repair batches that follow a complete cycle, so one bad answer does not let its entry
/// expire before the next cycle.
pub const MAX_REPAIRS_PER_CYCLE: u32 = 3;

/// Warmer settings.
#[derive(Debug, Clone, PartialEq)]
pub struct WarmerConfig {
    /// Tick interval between batches.
    pub interval: Duration,
    /// The cache TTL (only logged here; the cache enforces it).
    pub ttl: Duration,
    /// Re-warm this long after the previous cycle began (80 % of the TTL by default).
    pub refresh: Duration,
    /// Deadline of one check.
    pub check_timeout: Duration,
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
            check_timeout: DEFAULT_CHECK_TIMEOUT,
            once: false,
        }
    }
}

/// The answer to "warm now" (key `r`/`w`, `warm --force`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarmNow {
    /// A new cycle began.
    Started,
    /// A cycle is running; nothing was started.
    AlreadyRunning,
}

/// Where the current cycle is; readable at any time without touching the cycle mutex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// 1-based cycle number; 0 before the first.
    pub cycle: u64,
    /// Checks done in this cycle.
    pub done: usize,
    /// Checks in a cycle (38 by default).
    pub total: usize,
    /// True once every check of the cycle ran (whatever the outcomes).
    pub complete: bool,
    /// True once any cycle completed: the cache is warm.
    pub ever_complete: bool,
    /// Checks of this cycle whose last fetch failed (a repair batch that succeeds lowers it).
    pub failed: usize,
    /// When the cycle began (tokio clock).
    pub started: Option<Instant>,
}

/// The cycle's position: guarded by the single-flight mutex.
#[derive(Debug)]
struct CycleState {
    cycle: u64,
    started: Instant,
    gpu_next: usize,
    c3_next: usize,
    batch_no: usize,
    done: usize,
    failed: usize,
    complete: bool,
    /// Checks to retry after the cycle's lists are done, with their repair count.
    gpu_repair: VecDeque<(Check, u32)>,
    c3_repair: VecDeque<(Check, u32)>,
    /// Services that answered `service_disabled` in this cycle: not asked again until the
    /// next cycle or a warm-now (SPEC §4).
    disabled: DisabledServices,
}

impl CycleState {
    fn has_work(&self) -> bool {
        !self.complete || !self.gpu_repair.is_empty() || !self.c3_repair.is_empty()
    }
}

struct Shared {
    cfg: WarmerConfig,
    source: Arc<dyn QuotaSource>,
    store: Arc<dyn QuotaStore>,

    gpu_checks: Vec<Check>,
    c3_checks: Vec<Check>,
    state: Arc<Mutex<CycleState>>,
    events: broadcast::Sender<WarmerEvent>,
    stats: StdMutex<WarmerStats>,
    progress: StdMutex<Progress>,
    wake: Notify,
}

impl Shared {
    fn emit(&self, event: WarmerEvent) {
        self.stats.lock().expect("stats lock").record(&event);
        // No subscriber is fine: the event is still counted.
        let _ = self.events.send(event);
    }

    fn total(&self) -> usize {
        self.gpu_checks.len() + self.c3_checks.len()
    }

    /// Reset `st` to a new cycle and announce it. Caller holds the cycle mutex.
    fn begin_cycle(&self, st: &mut CycleState, rewarm: bool, reason: String) {
        st.cycle += 1;
        st.started = Instant::now();
        st.gpu_next = 0;
        st.c3_next = 0;
        st.batch_no = 0;
        st.done = 0;
        st.failed = 0;
        st.complete = false;
        st.gpu_repair.clear();
        st.c3_repair.clear();
        st.disabled.clear();
        {
            let mut p = self.progress.lock().expect("progress lock");
            p.cycle = st.cycle;
            p.done = 0;
            p.failed = 0;
            p.complete = false;
            p.started = Some(st.started);
        }
        self.emit(WarmerEvent::CycleStarted {
            cycle: st.cycle,
            rewarm,
            reason,
            total: self.total(),
        });
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
        if !st.complete {
            return WarmNow::AlreadyRunning;
        }
        self.shared
            .begin_cycle(&mut st, true, "warm now requested".to_string());
        drop(st);
        self.shared.wake.notify_one();
        WarmNow::Started
    }

    /// The statistics now (batch times, failures, cache counters).
    pub fn stats(&self) -> StatsSnapshot {
        let counters = self.shared.store.counters();
        self.shared
            .stats
            .lock()
            .expect("stats lock")
            .snapshot(counters)
    }

    /// Where the current cycle is.
    pub fn progress(&self) -> Progress {
        *self.shared.progress.lock().expect("progress lock")
    }

    /// Time until the next refresh-ahead cycle is due, when the current one is complete.
    pub fn next_rewarm_in(&self) -> Option<Duration> {
        let p = self.progress();
        if !p.complete || self.shared.cfg.once {
            return None;
        }
        p.started
            .map(|s| (s + self.shared.cfg.refresh).saturating_duration_since(Instant::now()))
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
    /// A warmer for `catalog`'s checks (at the catalog's capacity) from `source` into `cache`.
    pub fn new(
        cfg: WarmerConfig,
        catalog: &Catalog,
        source: Arc<dyn QuotaSource>,
        store: Arc<dyn QuotaStore>,
    ) -> Self {
        let (events, _) = broadcast::channel(4096);
        let total = catalog.len();
        let state = CycleState {
            cycle: 0,
            started: Instant::now(),
            gpu_next: 0,
            c3_next: 0,
            batch_no: 0,
            done: 0,
            failed: 0,
            complete: true,
            gpu_repair: VecDeque::new(),
            c3_repair: VecDeque::new(),
            disabled: DisabledServices::default(),
        };
        Warmer {
            shared: Arc::new(Shared {
                cfg,
                source,
                store,

                gpu_checks: catalog.gpu_checks(),
                c3_checks: catalog.c3_checks(),
                state: Arc::new(Mutex::new(state)),
                events,
                stats: StdMutex::new(WarmerStats::default()),
                progress: StdMutex::new(Progress {
                    cycle: 0,
                    done: 0,
                    total,
                    complete: false,
                    ever_complete: false,
                    failed: 0,
                    started: None,
                }),
                wake: Notify::new(),
            }),
        }
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
        let task = tokio::spawn(run(self.shared, cancel));
        (handle, task)
    }
}

fn settings_line(cfg: &WarmerConfig) -> String {
    format!(
        "Timers initialized ({} batch, {} TTL, re-warm every {})",
        crate::durations::fmt_duration(cfg.interval),
        crate::durations::fmt_duration(cfg.ttl),
        crate::durations::fmt_duration(cfg.refresh)
    )
}

async fn run(shared: Arc<Shared>, cancel: CancellationToken) {
    let cfg = shared.cfg.clone();
    {
        let mut st = shared.state.try_lock().expect("fresh warmer mutex is free");
        shared.begin_cycle(&mut st, false, settings_line(&cfg));
    }
    let mut ticker = tokio::time::interval(cfg.interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut in_flight: Option<JoinHandle<Option<Duration>>> = None;
    let mut skipped_this_batch = false;

    loop {
        let progress = *shared.progress.lock().expect("progress lock");
        if cfg.once && progress.complete && in_flight.is_none() {
            break;
        }
        let rewarm_at = match progress.started {
            Some(s) if progress.complete && in_flight.is_none() && !cfg.once => {
                Some(s + cfg.refresh)
            }
            _ => None,
        };
        // Complete with no repairs queued: nothing to do until a re-warm or "warm now"
        // (both wake the loop and reset the ticker), so the ticker sleeps too.
        let idle = in_flight.is_none() && shared.state.try_lock().is_ok_and(|st| !st.has_work());
        tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            joined = async { in_flight.as_mut().expect("guarded").await }, if in_flight.is_some() => {
                in_flight = None;
                skipped_this_batch = false;
                let elapsed = joined.ok().flatten().unwrap_or_default();
                if elapsed >= cfg.interval
                    && let Some(h) = try_start_batch(&shared, &cancel)
                {
                    // No tick wasted: the next batch starts as this one ends.
                    in_flight = Some(h);
                    ticker.reset();
                }
            }
            _ = ticker.tick(), if !idle => {
                if in_flight.is_some() {
                    if !skipped_this_batch {
                        skipped_this_batch = true;
                        shared.emit(WarmerEvent::Skipped);
                    }
                } else {
                    in_flight = try_start_batch(&shared, &cancel);
                }
            }
            _ = shared.wake.notified() => {
                if in_flight.is_none() {
                    in_flight = try_start_batch(&shared, &cancel);
                    ticker.reset();
                }
            }
            _ = sleep_until_opt(rewarm_at) => {
                if let Ok(mut st) = shared.state.clone().try_lock_owned()
                    && st.complete
                {
                    let since = Instant::now().saturating_duration_since(st.started);
                    let reason = format!(
                        "{} since last cycle began, re-warming (cache kept)",
                        crate::durations::fmt_duration(since)
                    );
                    shared.begin_cycle(&mut st, true, reason);
                    drop(st);
                    in_flight = try_start_batch(&shared, &cancel);
                    ticker.reset();
                }
            }
        }
    }

    // Shutdown: cut the in-flight batch (it reports `Cancelled` itself) and wait for it.
    cancel.cancel();
    if let Some(h) = in_flight {
        let _ = h.await;
    }
    let snapshot = {
        let counters = shared.store.counters();
        shared.stats.lock().expect("stats lock").snapshot(counters)
    };
    shared.emit(WarmerEvent::FinalStats(snapshot));
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// Take the cycle mutex without waiting; if the cycle has work left, spawn its next batch
/// holding the guard. `None` when the mutex is held or the cycle is complete.
fn try_start_batch(
    shared: &Arc<Shared>,
    cancel: &CancellationToken,
) -> Option<JoinHandle<Option<Duration>>> {
    let guard = shared.state.clone().try_lock_owned().ok()?;
    // `--once` ends with the cycle: no repair batches after it.
    if !guard.has_work() || (guard.complete && shared.cfg.once) {
        return None;
    }
    Some(tokio::spawn(run_batch(
        shared.clone(),
        guard,
        cancel.child_token(),
    )))
}

/// Run one batch holding the cycle mutex. Returns the batch's wall time, or `None` when it
/// was cancelled.
async fn run_batch(
    shared: Arc<Shared>,
    mut st: OwnedMutexGuard<CycleState>,
    cancel: CancellationToken,
) -> Option<Duration> {
    let gpu_total = shared.gpu_checks.len();
    let c3_total = shared.c3_checks.len();
    let repair = st.complete;
    let (gpu_check, c3_check, gpu_pos, c3_pos);
    if repair {
        // Repair batch: retry what failed transiently in this cycle.
        let g = st.gpu_repair.pop_front();
        let c = st.c3_repair.pop_front();
        gpu_pos = None;
        c3_pos = None;
        gpu_check = g;
        c3_check = c;
    } else {
        let gi = (st.gpu_next < gpu_total).then(|| {
            st.gpu_next += 1;
            st.gpu_next - 1
        });
        let ci = (st.c3_next < c3_total).then(|| {
            st.c3_next += 1;
            st.c3_next - 1
        });
        st.batch_no += 1;
        gpu_pos = gi.map(|i| ListPos {
            n: i + 1,
            total: gpu_total,
        });
        c3_pos = ci.map(|i| ListPos {
            n: i + 1,
            total: c3_total,
        });
        gpu_check = gi.map(|i| (shared.gpu_checks[i].clone(), 0));
        c3_check = ci.map(|i| (shared.c3_checks[i].clone(), 0));
    }
    let total = shared.total();
    let done = AtomicUsize::new(st.done);
    let failed = AtomicUsize::new(0);
    let started = Instant::now();
    // A service found disabled earlier in the cycle is answered from here, unasked.
    let gate = st.disabled.clone();

    let run_one = |check: Option<(Check, u32)>| {
        let shared = &shared;
        let done = &done;
        let failed = &failed;
        let gate = &gate;
        async move {
            let (check, repairs) = check?;
            let t0 = Instant::now();
            let fetched = match gate.error_for(check.service()) {
                Some(e) => Ok(Err(e.clone())),
                None => tokio::time::timeout(
                    shared.cfg.check_timeout,
                    crate::gcp::fetch_one(
                        shared.source.as_ref(),
                        crate::catalog::MetricRequest::new(check.metric, [check.region.clone()]),
                    ),
                )
                .await
                .map(|o| o.region_result(0)),
            };
            let result = match fetched {
                Ok(r) => r,
                Err(_) => Err(ApiError::new(
                    ErrorKind::Timeout,
                    format!(
                        "no answer within {}",
                        crate::durations::fmt_duration(shared.cfg.check_timeout)
                    ),
                )),
            };
            let latency = t0.elapsed();
            if result.is_err() {
                failed.fetch_add(1, Ordering::Relaxed);
            }
            shared.store.record(&check, result.clone(), latency);
            let n = if repair {
                total
            } else {
                done.fetch_add(1, Ordering::Relaxed) + 1
            };
            let outcome = CheckOutcome {
                check: check.clone(),
                result: result.clone(),
                latency,
            };
            if !repair {
                shared.progress.lock().expect("progress lock").done = n;
            }
            shared.emit(WarmerEvent::CheckLanded {
                outcome: outcome.clone(),
                done: n,
                total,
            });
            if let Err(error) = result
                && error.kind != ErrorKind::ServiceDisabled
            {
                shared.emit(WarmerEvent::CheckFailed { check, error });
            }
            Some((outcome, repairs))
        }
    };

    let both = futures::future::join(run_one(gpu_check), run_one(c3_check));
    let (gpu_out, c3_out) = tokio::select! {
        biased;
        _ = cancel.cancelled() => {
            shared.emit(WarmerEvent::Cancelled { gpu: gpu_pos, c3: c3_pos });
            return None;
        }
        outs = both => outs,
    };
    let elapsed = started.elapsed();
    if repair {
        // A repaired check no longer counts as failed in this cycle.
        let repaired = [&gpu_out, &c3_out]
            .into_iter()
            .flatten()
            .filter(|(o, _)| o.result.is_ok())
            .count();
        st.failed = st.failed.saturating_sub(repaired);
    } else {
        st.done = done.load(Ordering::Relaxed);
        st.failed += failed.load(Ordering::Relaxed);
    }
    skip::note_disabled(&shared, &mut st, [&gpu_out, &c3_out]);
    shared.progress.lock().expect("progress lock").failed = st.failed;
    // Queue transient failures for a repair batch once the cycle's lists are done.
    for (out, repairs) in [&gpu_out, &c3_out].into_iter().flatten() {
        if let Err(e) = &out.result
            && matches!(
                e.kind,
                ErrorKind::Timeout | ErrorKind::RateLimited | ErrorKind::Unavailable
            )
            && *repairs < MAX_REPAIRS_PER_CYCLE
        {
            let item = (out.check.clone(), repairs + 1);
            match out.check.metric {
                crate::catalog::QuotaMetric::Gpu { .. } => st.gpu_repair.push_back(item),
                crate::catalog::QuotaMetric::C3 => st.c3_repair.push_back(item),
            }
        }
    }
    let report = BatchReport {
        cycle: st.cycle,
        batch: st.batch_no,
        repair,
        gpu: gpu_pos,
        c3: c3_pos,
        elapsed,
        level: BatchLevel::of(elapsed),
        outcomes: gpu_out.into_iter().chain(c3_out).map(|(o, _)| o).collect(),
    };
    shared.emit(WarmerEvent::BatchDone(report));
    if !repair && st.gpu_next >= gpu_total && st.c3_next >= c3_total {
        st.complete = true;
        {
            let mut p = shared.progress.lock().expect("progress lock");
            p.complete = true;
            p.ever_complete = true;
        }
        shared.emit(WarmerEvent::CycleComplete {
            cycle: st.cycle,
            elapsed: st.started.elapsed(),
            gpu: ListPos {
                n: st.gpu_next,
                total: gpu_total,
            },
            c3: ListPos {
                n: st.c3_next,
                total: c3_total,
            },
            failed: st.failed,
        });
    }
    Some(elapsed)
}
