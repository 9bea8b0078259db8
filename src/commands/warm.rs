//! `quota-tui warm`: the warmer without a screen (SPEC §9; issue 4.6). A daemon until SIGINT
//! or SIGTERM, or one complete cycle with `--once`, writing the same log files as the TUI.
//! `--once` ends as `check` does ([`crate::exit::for_checks`] over each check's last result).

use std::collections::HashMap;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::catalog::{Catalog, Check, Limit};
use crate::exit::{self, Failure};
use crate::gcp::{ApiError, QuotaSource};
use crate::logs::{final_stats_details, spawn_warm_log_writer};
use crate::store::open::OpenStore;
use crate::store::redis::{LeaseState, RedisStore};
use crate::warmer::{StatsSnapshot, Warmer, WarmerConfig, WarmerEvent, share};

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
/// completes). A daemon resumes the store's last complete cycle (a snapshot's, the shared
/// store's) unless `force`; `--once` always runs a cycle. On a shared store it warms only
/// while holding the lease, saying once on stderr (with `notices`) when another instance
/// holds it. Returns the final statistics, after the log writer has written `📊 FINAL_STATS`,
/// and the exit status of each check's last result.
pub async fn run(
    cfg: WarmerConfig,
    catalog: &Catalog,
    source: Arc<dyn QuotaSource>,
    store: &OpenStore,
    force: bool,
    notices: bool,
    cancel: CancellationToken,
) -> WarmRun {
    let once = cfg.once;
    let warmer = Warmer::new(cfg, catalog, source, store.store.clone());
    // Subscribed first: the log writer logs the resumed cycle.
    let log_writer = spawn_warm_log_writer(warmer.subscribe());
    let mut rx = warmer.subscribe();
    if !force && !once {
        warmer.resume_from_store();
    }
    let sharing = store.redis.clone().map(|redis| {
        if notices {
            tokio::spawn(say_who_warms(redis.clone(), cancel.clone()));
        }
        share::share(&warmer, redis, cancel.clone())
    });
    let (_handle, task) = warmer.start(cancel);
    let mut last = StatsSnapshot::default();
    let mut results: HashMap<Check, Result<Limit, ApiError>> = HashMap::new();
    while let Ok(ev) = rx.recv().await {
        match ev {
            WarmerEvent::MetricLanded { outcome, .. } => results.extend(outcome.checks()),
            WarmerEvent::FinalStats(s) => {
                last = s;
                break;
            }
            _ => {}
        }
    }
    let _ = task.await;
    let _ = log_writer.await;
    if let Some(sharing) = sharing {
        let _ = sharing.await;
    }
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

/// Cancel `cancel` on SIGINT or SIGTERM (and Ctrl-C).
pub fn cancel_on_signals(cancel: CancellationToken) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
            let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
            let mut hup = signal(SignalKind::hangup()).expect("SIGHUP handler");
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
                _ = int.recv() => tracing::info!("SIGINT: shutting down"),
                _ = hup.recv() => tracing::info!("SIGHUP: shutting down"),
                _ = cancel.cancelled() => return,
            }
        }
        #[cfg(not(unix))]
        {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = cancel.cancelled() => return,
            }
        }
        cancel.cancel();
    });
}

/// The statistics as people read them (`warm --once` without `--json`).
pub fn render_stats(s: &StatsSnapshot) -> String {
    format!(
        "cycle complete in {:.1}s\n{}\n",
        s.last_cycle_ms.unwrap_or(0) as f64 / 1000.0,
        final_stats_details(s)
    )
}
