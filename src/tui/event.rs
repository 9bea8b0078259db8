//! The one event type of the UI loop, and the task that feeds it (ratatui's
//! event-driven-async template).
//!
//! [`spawn_event_pump`] `select!`s over crossterm's `EventStream`, the warmer's broadcast
//! receiver, a 1 s clock (ages and the re-warm countdown only) and cancellation, and forwards
//! everything on one tokio mpsc channel (the Launch screen's tasks send on it too). It ends when the receiver is dropped
//! (`sender.closed()`). Only the UI loop changes UI state.

use std::time::Duration;

use crossterm::event::EventStream;
use futures::StreamExt;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::screens::launch::LaunchEvent;
use crate::warmer::WarmerEvent;

/// Period of the age clock.
pub const CLOCK_PERIOD: Duration = Duration::from_secs(1);

/// Everything the UI loop reacts to.
#[derive(Debug, Clone)]
pub enum Event {
    /// The 1 s age clock.
    Tick,
    /// Terminal input or a resize.
    Crossterm(crossterm::event::Event),
    /// Something the warmer said.
    Warmer(WarmerEvent),
    /// The UI missed this many warmer events (the channel lagged): resync from the handle.
    WarmerLagged(u64),
    /// A toast's display time ran out (the deadline it was scheduled for).
    ToastExpiry(Instant),
    /// A Launch screen task (fresh check, submission) ended.
    Launch(LaunchEvent),
    /// The shared store reported something (link, lease, progress, entries, warm-now).
    Shared(super::shared::SharedEvent),
    /// Quit at once: a signal (SIGTERM, SIGHUP, SIGINT, SIGQUIT) or someone cancelled the
    /// session (no confirmation, even during a submission).
    Quit,
}

/// Spawn the task that forwards terminal input, warmer events, clock ticks and cancellation
/// to `tx`. Terminal input errors end the session (`Quit`).
pub fn spawn_event_pump(
    tx: mpsc::Sender<Event>,
    mut warmer: broadcast::Receiver<WarmerEvent>,
    cancel: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut input = EventStream::new();
        let mut clock = tokio::time::interval_at(Instant::now() + CLOCK_PERIOD, CLOCK_PERIOD);
        clock.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut warmer_open = true;
        loop {
            let event = tokio::select! {
                _ = tx.closed() => break,
                _ = cancel.cancelled() => Event::Quit,
                input = input.next() => match input {
                    Some(Ok(ev)) => Event::Crossterm(ev),
                    Some(Err(e)) => {
                        tracing::error!("terminal input failed: {e}; quitting");
                        Event::Quit
                    }
                    None => Event::Quit,
                },
                ev = warmer.recv(), if warmer_open => match ev {
                    Ok(ev) => Event::Warmer(ev),
                    Err(broadcast::error::RecvError::Lagged(n)) => Event::WarmerLagged(n),
                    Err(broadcast::error::RecvError::Closed) => {
                        warmer_open = false;
                        continue;
                    }
                },
                _ = clock.tick() => Event::Tick,
            };
            let quit = matches!(event, Event::Quit);
            if tx.send(event).await.is_err() || quit {
                break;
            }
        }
    })
}

/// Spawn a task sending `Quit` on SIGTERM, SIGHUP, SIGINT or SIGQUIT (the TUI's quit on
/// signals). SIGQUIT's default action would dump core and leave the terminal in raw mode on
/// the alternate screen; caught, it quits like the others, restoring the terminal. (In raw
/// mode Ctrl-C, Ctrl-\ and Ctrl-Z reach the app as keys, not signals; a SIGTSTP sent with
/// `kill` keeps its default action: the process stops as it is.)
///
/// Errors when a signal handler cannot be installed.
#[cfg(unix)]
pub fn spawn_signal_listener(tx: mpsc::Sender<Event>) -> std::io::Result<JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut quit = signal(SignalKind::quit())?;
    Ok(tokio::spawn(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = hup.recv() => "SIGHUP",
            _ = int.recv() => "SIGINT",
            _ = quit.recv() => "SIGQUIT",
        };
        tracing::info!("{name} received; quitting");
        let _ = tx.send(Event::Quit).await;
    }))
}

/// Spawn a task sending `Quit` on Ctrl-C (platforms without Unix signals).
#[cfg(not(unix))]
pub fn spawn_signal_listener(tx: mpsc::Sender<Event>) -> std::io::Result<JoinHandle<()>> {
    Ok(tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send(Event::Quit).await;
        }
    }))
}
