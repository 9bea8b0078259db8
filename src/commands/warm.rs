//! `quota-tui warm`: the warmer without a screen (SPEC §9; issue 4.6). A daemon until SIGINT,
//! SIGTERM or SIGHUP ([`crate::signals::cancel_on_signals`]), or one complete cycle with
//! `--once`, writing the same log files as the TUI. A daemon takes up a fresh snapshot or
//! shared cycle (SPEC §11); `--force` asks for a cycle at once even when the cache is fresh
//! (the warmer's warm-now). On a shared store it warms while it holds the lease.
//! `--once` ends as `check` does ([`crate::exit::for_checks`] over each check's last result).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::progress::{Progress, daemon_line};
use crate::catalog::{Catalog, Check, Limit};
use crate::exit::{self, Failure};
use crate::gcp::{ApiError, QuotaSource};
use crate::logs::{final_stats_details, warm_line};
use crate::session::WarmSession;
use crate::store::open::OpenStore;
use crate::store::redis::{LeaseState, RedisStore};
use crate::warmer::{StatsSnapshot, WarmNow, Warmer, WarmerConfig, WarmerEvent, WarmerHandle};

/// How long `warm` waits, after its last event, for the warmer's task and the log writer.
const FINISH_GRACE: Duration = Duration::from_secs(10);

/// How a `warm` run ended.
#[derive(Debug)]
pub struct WarmRun {
    /// The final statistics (`📊 FINAL_STATS`).
    pub stats: StatsSnapshot,
    /// The exit status of the checks' last results ([`exit::for_checks`]): `Ok` when any
    /// returned a value. `warm --once` ends with it.
    pub status: Result<(), Failure>,
}

/// Run the warmer into `store` until `cancel` fires (or, with `cfg.once`, until one cycle
/// completes). A daemon first takes up the store's last complete cycle (a snapshot's, the
/// shared store's) when it is still fresh; `--once` always runs a cycle; with `force`, a cycle
/// starts at once even when the cache is fresh (the warmer's warm-now). On a shared store it
/// warms only while holding the lease, saying once on stderr (with `notices`) when another
/// instance holds it. Returns the final statistics, after the log writer has written
/// `📊 FINAL_STATS`, and the exit status of each check's last result.
///
/// With `show_progress` (pass [`super::progress::stderr_is_terminal`]), `--once` draws a
/// bar of the cycle's checks on stderr, and the daemon prints one line per batch and per
/// cycle there ([`progress_line`]); without it nothing is printed (the log has it all).
#[allow(clippy::too_many_arguments)]
pub async fn run(
    cfg: WarmerConfig,
    catalog: &Catalog,
    source: Arc<dyn QuotaSource>,
    store: &OpenStore,
    notices: bool,
    cancel: CancellationToken,
    force: bool,
    show_progress: bool,
) -> WarmRun {
    let once = cfg.once;
    let warmer = Warmer::new(cfg, catalog, source, store.store.clone());
    let bar = Progress::bar(
        show_progress && once,
        catalog.all_checks().len() as u64,
        "checks",
        "Warming the cache",
    );
    // Subscribed before the session starts: it sees the resumed cycle too.
    let mut rx = warmer.subscribe();
    if notices && let Some(redis) = store.redis.clone() {
        tokio::spawn(say_who_warms(redis, cancel.clone()));
    }
    let session = WarmSession::start(warmer, store, !once, &cancel);
    let handle = session.handle.clone();
    if force {
        tokio::spawn(force_cycle(handle, cancel));
    }
    let mut last = StatsSnapshot::default();
    let mut results: HashMap<Check, Result<Limit, ApiError>> = HashMap::new();
    while let Ok(ev) = rx.recv().await {
        if show_progress
            && !once
            && let Some(line) = progress_line(&ev)
        {
            daemon_line(true, &line);
        }
        match ev {
            WarmerEvent::MetricLanded {
                outcome,
                done,
                total,
            } => {
                bar.set(done as u64, total as u64);
                results.extend(outcome.checks());
            }
            WarmerEvent::FinalStats(s) => {
                last = s;
                break;
            }
            _ => {}
        }
    }
    bar.finish();
    // The task ends with the cycle (`--once`) or the token; the log writer has the final
    // statistics to write.
    session.finish(FINISH_GRACE).await;
    WarmRun {
        stats: last,
        status: exit::for_checks(results.values()),
    }
}

/// Say on stderr, once each, that another instance holds the warmer lease (this one waits
/// for it) and that this one took it.
async fn say_who_warms(redis: Arc<RedisStore>, cancel: CancellationToken) {
    use std::io::Write as _;
    let mut lease = redis.lease();
    let (mut said_waiting, mut said_taken) = (false, false);
    loop {
        let line = match &*lease.borrow_and_update() {
            LeaseState::Elsewhere(holder) if !said_waiting => {
                said_waiting = true;
                let who = holder
                    .as_ref()
                    .map_or_else(|| "another instance".to_string(), |h| h.to_string());
                Some(format!(
                    "warmer lease held by {who} on {}: waiting for it (reading the shared cache meanwhile)",
                    redis.target()
                ))
            }
            LeaseState::Held if !said_taken => {
                said_taken = true;
                Some(format!("warmer lease taken on {}: warming", redis.target()))
            }
            _ => None,
        };
        if let Some(line) = line {
            // Not eprintln!, which panics when stderr is a closed pipe.
            let _ = writeln!(std::io::stderr(), "{line}");
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            changed = lease.changed() => if changed.is_err() { break },
        }
    }
}

/// `warm --force`: once the warmer has begun its first cycle (or taken up a saved one), ask
/// it to warm now (SPEC §7 warm-now), so a cycle starts at once even when the cache is fresh.
/// A new process begins its first cycle at once anyway (the answer is then "already
/// running"); a warmer that resumed a fresh saved cycle starts a new one.
async fn force_cycle(handle: WarmerHandle, cancel: CancellationToken) {
    let mut progress = handle.watch_progress();
    let begun = tokio::select! {
        _ = cancel.cancelled() => false,
        seen = progress.wait_for(|p| p.started_at.is_some()) => seen.is_ok(),
    };
    if !begun {
        return;
    }
    match handle.warm_now() {
        WarmNow::Started => tracing::info!("warm --force: a new cycle started at once"),
        WarmNow::AlreadyRunning => {
            tracing::info!("warm --force: a cycle is already running (nothing to add)")
        }
    }
}

/// The daemon's line on stderr for `event`, if it gets one: each batch and the start and
/// end of each cycle, as `cache_warm.log` words them, after the local time
/// (`14:02:07 🔥 BATCH_WARM: GPU 4/20, C3 18/18 - 1234ms (...)`).
pub fn progress_line(event: &WarmerEvent) -> Option<String> {
    match event {
        WarmerEvent::BatchDone(_)
        | WarmerEvent::CycleStarted { .. }
        | WarmerEvent::CycleComplete { .. } => warm_line(event)
            .map(|line| format!("{} {line}", chrono::Local::now().format("%H:%M:%S"))),
        _ => None,
    }
}

/// The statistics as people read them (`warm --once` without `--json`).
pub fn render_stats(s: &StatsSnapshot) -> String {
    format!(
        "cycle complete in {:.1}s\n{}\n",
        s.last_cycle_ms.unwrap_or(0) as f64 / 1000.0,
        final_stats_details(s)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daemon_prints_batches_and_cycles_only() {
        let batch = WarmerEvent::BatchDone(crate::tui::toast::report(2, 1234, Vec::new()));
        let line = progress_line(&batch).unwrap();
        let (time, rest) = line.split_once(' ').unwrap();
        assert_eq!(time.len(), 8, "HH:MM:SS first: {line}");
        assert!(
            rest.starts_with("🔥 BATCH_WARM: GPU 2/20, C3 2/18 - 1234ms"),
            "{line}"
        );
        assert!(progress_line(&WarmerEvent::Skipped).is_none());
        let complete = WarmerEvent::CycleComplete {
            cycle: 1,
            elapsed: std::time::Duration::from_secs(10),
            gpu: crate::warmer::ListPos { n: 20, total: 20 },
            c3: crate::warmer::ListPos { n: 18, total: 18 },
            failed: 0,
        };
        assert!(
            progress_line(&complete)
                .unwrap()
                .contains("✅ CACHE_WARM_COMPLETE")
        );
    }
}
