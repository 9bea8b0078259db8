//! The one event type of the UI loop, and the task that feeds it (ratatui's
//! event-driven-async template).
//!
//! [`spawn_event_pump`] `select!`s over crossterm's `EventStream`, the warmer's broadcast
//! receiver, a 1 s clock (ages and the re-warm countdown only) and cancellation, and forwards
//! everything on one tokio mpsc channel (screens' tasks send on it too, as [`Event::Task`]).
//! It ends when the receiver is dropped (`sender.closed()`). Only the UI loop changes UI
//! state.

use std::time::Duration;

use crossterm::event::EventStream;
use futures::StreamExt;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::task::TaskDone;
use crate::signals::Shutdown;
use crate::warmer::WarmerEvent;

/// Period of the age clock.
pub const CLOCK_PERIOD: Duration = Duration::from_secs(1);

/// Everything the UI loop reacts to.
#[derive(Debug)]
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
    /// A screen's background task ended: its output, for the screen that spawned it
    /// ([`super::task`]).
    Task(TaskDone),
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
/// signals, [`crate::signals`]): caught, SIGQUIT quits like the others, restoring the
/// terminal, instead of dumping core with the terminal in raw mode.
///
/// Errors when a signal handler cannot be installed.
pub fn spawn_signal_listener(tx: mpsc::Sender<Event>) -> std::io::Result<JoinHandle<()>> {
    let mut shutdown = Shutdown::install(true)?;
    Ok(tokio::spawn(async move {
        let name = shutdown.recv().await;
        tracing::info!("{name} received; quitting");
        let _ = tx.send(Event::Quit).await;
    }))
}
