//! The warmer's async shell: the tick loop and one batch. It sleeps, fetches, writes to the
//! store and sends events; every decision is the [`Cycle`]'s.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::OwnedMutexGuard;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::cycle::{Batch, Cycle};
use super::events::{BatchLevel, BatchReport, CycleCause, ListPos, WarmerEvent};
use super::lane::Work;
use super::{CycleState, Shared};
use crate::catalog::QuotaMetric;
use crate::gcp::{ErrorKind, Gates, MetricOutcome, QuotaSource, fetch_gated};
use crate::store::elapsed_between;

type InFlight = Option<JoinHandle<Option<Duration>>>;

/// The warmer task: the first cycle at once, then one batch per tick while a cycle has work,
/// a refresh-ahead cycle `refresh` after the last began, warm-now when woken; until `cancel`
/// (or, with `once`, the first complete cycle). Ends with `Cancelled` (if a batch was cut)
/// and `FinalStats`.
pub(super) async fn run(shared: Arc<Shared>, cancel: CancellationToken) {
    let cfg = shared.cfg.clone();
    let mut gate = shared.gate.lock().expect("gate lock").take();
    if !begin(&shared, &mut gate, &cancel).await {
        shared.emit(WarmerEvent::FinalStats(shared.snapshot()));
        return;
    }
    let mut open = true;
    let mut ticker = tokio::time::interval(cfg.interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut in_flight: InFlight = None;
    let mut skipped_this_batch = false;

    loop {
        let progress = *shared.progress.borrow();
        if cfg.once && progress.complete && in_flight.is_none() {
            break;
        }
        let rewarm_in = rewarm_in(&shared, in_flight.is_some());
        // Complete with no repairs queued: nothing to do until a re-warm or "warm now"
        // (both wake the loop and reset the ticker), so the ticker sleeps too.
        let idle = !open
            || (in_flight.is_none()
                && shared
                    .state
                    .try_lock()
                    .is_ok_and(|st| !st.cycle.has_work(cfg.once)));
        let rewarm_in = rewarm_in.filter(|_| open);
        tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            joined = async { in_flight.as_mut().expect("guarded").await }, if in_flight.is_some() => {
                in_flight = None;
                skipped_this_batch = false;
                let elapsed = joined.ok().flatten().unwrap_or_default();
                if open && elapsed >= cfg.interval
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
            changed = gate_changed(&mut gate) => {
                open = changed;
                if open && in_flight.is_none() {
                    // Another instance may have warmed meanwhile: take its cycle if newer.
                    if let Ok(mut st) = shared.state.try_lock() {
                        shared.resume_from_store(&mut st);
                    }
                    in_flight = try_start_batch(&shared, &cancel);
                    ticker.reset();
                }
            }
            _ = shared.wake.notified(), if open => {
                if in_flight.is_none() {
                    in_flight = try_start_batch(&shared, &cancel);
                    ticker.reset();
                }
            }
            _ = sleep_opt(rewarm_in) => {
                if rewarm(&shared) {
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
    shared.emit(WarmerEvent::FinalStats(shared.snapshot()));
}

/// Before the first batch: wait for a gated warmer's gate to open (a shared store's lease),
/// then begin the first cycle unless one was resumed from the store. False when cancelled
/// while waiting.
async fn begin(
    shared: &Shared,
    gate: &mut Option<tokio::sync::watch::Receiver<bool>>,
    cancel: &CancellationToken,
) -> bool {
    if let Some(g) = gate.as_mut() {
        let opened = tokio::select! {
            _ = cancel.cancelled() => false,
            opened = g.wait_for(|open| *open) => opened.is_ok(),
        };
        if !opened {
            return false;
        }
    }
    let cfg = &shared.cfg;
    let mut st = shared.state.try_lock().expect("fresh warmer mutex is free");
    let wanted = shared
        .resume_wanted
        .load(std::sync::atomic::Ordering::Relaxed);
    // A gated warmer's store may know a newer cycle by now (another instance's).
    let newer = wanted && gate.is_some() && shared.resume_from_store(&mut st);
    let resumed = newer || shared.resumed.load(std::sync::atomic::Ordering::Relaxed);
    if !resumed {
        let cause = CycleCause::First {
            interval: cfg.interval,
            ttl: cfg.ttl,
            refresh: cfg.refresh,
        };
        shared.begin_cycle(&mut st, cause);
    }
    true
}

/// Time until the refresh-ahead cycle is due — `refresh` after the cycle began, on the
/// store's clock — when the cycle is complete and nothing is in flight (never with `once`).
pub(super) fn rewarm_in(shared: &Shared, in_flight: bool) -> Option<Duration> {
    let progress = *shared.progress.borrow();
    if !progress.complete || in_flight || shared.cfg.once {
        return None;
    }
    let due = progress.started_at? + shared.cfg.refresh;
    Some(elapsed_between(shared.store.now(), due))
}

/// The gate's new reading when it changes; never when there is no gate (or its sender is
/// gone, which leaves the last reading).
async fn gate_changed(gate: &mut Option<tokio::sync::watch::Receiver<bool>>) -> bool {
    let Some(g) = gate.as_mut() else {
        return std::future::pending().await;
    };
    if g.changed().await.is_err() {
        let last = *g.borrow();
        *gate = None;
        return last;
    }
    *g.borrow_and_update()
}

async fn sleep_opt(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// Begin a refresh-ahead cycle if the current one is complete and the mutex is free.
fn rewarm(shared: &Shared) -> bool {
    let Ok(mut st) = shared.state.try_lock() else {
        return false;
    };
    if !st.cycle.is_complete() {
        return false;
    }
    let now = shared.store.now();
    let since = st
        .cycle
        .started_at()
        .map_or(Duration::ZERO, |s| elapsed_between(s, now));
    shared.begin_cycle(&mut st, CycleCause::Refresh { since });
    true
}

/// Take the cycle mutex without waiting; if the cycle has work, spawn its next batch holding
/// the guard. `None` when the mutex is held or there is nothing to do.
fn try_start_batch(shared: &Arc<Shared>, cancel: &CancellationToken) -> InFlight {
    let mut guard = shared.state.clone().try_lock_owned().ok()?;
    let batch = guard.cycle.next_batch(shared.cfg.once)?;
    Some(tokio::spawn(run_batch(
        shared.clone(),
        guard,
        batch,
        cancel.child_token(),
    )))
}

/// Ask `work`'s metric: its limits (Service Usage) and its usage (Cloud Monitoring),
/// concurrently; a part whose gate is closed is answered with the gate's error, unasked (a
/// disabled service's limits; usage after Monitoring refused for the project).
async fn fetch(source: Arc<dyn QuotaSource>, work: Work, gates: Gates) -> (Work, MetricOutcome) {
    let outcome = fetch_gated(source.as_ref(), work.request.clone(), gates).await;
    (work, outcome)
}

/// Run `batch` holding the cycle mutex: ask its metrics concurrently, land each answer as it
/// comes, settle disabled services, report. Returns the batch's wall time, or `None` when it
/// was cancelled.
async fn run_batch(
    shared: Arc<Shared>,
    mut st: OwnedMutexGuard<CycleState>,
    batch: Batch,
    cancel: CancellationToken,
) -> Option<Duration> {
    let started = Instant::now();
    let mut pending: FuturesUnordered<_> = batch
        .works()
        .map(|w| fetch(shared.source.clone(), w.clone(), st.cycle.gates(&w.request)))
        .collect();
    let (mut gpu, mut c3) = (None, None);
    loop {
        let landed = tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                shared.emit(cancelled(&st.cycle, &batch, gpu.is_some(), c3.is_some()));
                return None;
            }
            landed = pending.next() => landed,
        };
        let Some((work, outcome)) = landed else {
            break;
        };
        land(&shared, &mut st.cycle, &batch, &work, &outcome);
        match work.request.metric {
            QuotaMetric::Gpu { .. } => gpu = Some(outcome),
            QuotaMetric::C3 => c3 = Some(outcome),
        }
    }
    settle_disabled(&shared, &mut st.cycle);
    let elapsed = started.elapsed();
    let (gpu_pos, c3_pos) = st.cycle.positions();
    shared.publish(&st);
    shared.emit(WarmerEvent::BatchDone(BatchReport {
        cycle: st.cycle.number(),
        batch: batch.number,
        repair: batch.repair,
        gpu: gpu_pos,
        c3: c3_pos,
        elapsed,
        level: BatchLevel::of(elapsed),
        outcomes: gpu.into_iter().chain(c3).collect(),
    }));
    if st.cycle.finish_batch(&batch) {
        shared.publish(&st);
        if let Some(started) = st.cycle.started_at() {
            // A snapshot saves itself; a shared store records the cycle (SPEC §11).
            shared.store.cycle_complete(started);
        }
        shared.emit(WarmerEvent::CycleComplete {
            cycle: st.cycle.number(),
            elapsed: st.started.elapsed(),
            gpu: gpu_pos,
            c3: c3_pos,
            failed: st.cycle.counts().1,
        });
    }
    Some(elapsed)
}

/// One answer landed: into the store (every region, one time), into the cycle, out as events.
fn land(shared: &Shared, cycle: &mut Cycle, batch: &Batch, work: &Work, outcome: &MetricOutcome) {
    shared.store.record_outcome(outcome);
    let landing = cycle.record(batch, work, outcome);
    shared.progress.send_replace(cycle.progress());
    shared.emit(WarmerEvent::MetricLanded {
        outcome: outcome.clone(),
        done: landing.done,
        total: cycle.total(),
    });
    let metric = work.request.metric;
    if landing.announce_usage
        && let Some(error) = outcome.usage_error()
    {
        let error = error.clone();
        shared.emit(WarmerEvent::UsageFailed { metric, error });
    }
    match outcome.request_error() {
        Some(error) if error.kind == ErrorKind::ServiceDisabled => {
            if landing.announce_disabled {
                let error = error.clone();
                shared.emit(WarmerEvent::ServiceDisabled { metric, error });
            }
        }
        Some(error) => {
            let error = error.clone();
            shared.emit(WarmerEvent::MetricFailed { metric, error });
        }
        None => {
            for (check, result) in outcome.checks() {
                if let Err(error) = result {
                    shared.emit(WarmerEvent::CheckFailed { check, error });
                }
            }
        }
    }
}

/// The metrics of services found disabled, settled without a request: their error written
/// for every region, `MetricLanded` sent for each.
fn settle_disabled(shared: &Shared, cycle: &mut Cycle) {
    for (request, error) in cycle.settle_disabled() {
        let outcome = MetricOutcome::new(request, Err(error), Duration::ZERO);
        shared.store.record_outcome(&outcome);
        shared.emit(WarmerEvent::MetricLanded {
            outcome,
            done: cycle.counts().0,
            total: cycle.total(),
        });
    }
}

/// The `Cancelled` event of `batch`: where each list would have been had its metric (not
/// yet landed) landed.
fn cancelled(cycle: &Cycle, batch: &Batch, gpu_landed: bool, c3_landed: bool) -> WarmerEvent {
    let (gpu_pos, c3_pos) = cycle.positions();
    let cut = |work: &Option<Work>, landed: bool, pos: ListPos| {
        let work = work.as_ref().filter(|_| !landed)?;
        let extra = if batch.repair { 0 } else { work.request.len() };
        Some(ListPos {
            n: pos.n + extra,
            total: pos.total,
        })
    };
    WarmerEvent::Cancelled {
        gpu: cut(&batch.gpu, gpu_landed, gpu_pos),
        c3: cut(&batch.c3, c3_landed, c3_pos),
    }
}
