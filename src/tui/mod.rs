//! The terminal UI (SPEC §10): a ratatui event loop over the warmer's cache.
//!
//! [`run`] owns the terminal for the whole session: raw mode, alternate screen, mouse
//! capture, a panic hook that restores the terminal before printing, quit on SIGTERM / SIGHUP /
//! SIGINT, and restoration on every exit path. Inside, one [`event::Event`] channel feeds the
//! [`app::App`], which owns all UI state; drawing is pure and happens only when something
//! changed. Workers never touch the terminal; nothing is printed on it while the TUI runs.

pub mod app;
pub mod event;
pub mod keys;
pub mod log_tail;
pub mod popup;
pub mod screens;
pub mod status;
pub mod theme;
pub mod toast;

use std::io::{self, Stdout};
use std::panic::PanicHookInfo;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use crate::catalog::Catalog;
use crate::gcp::QuotaSource;
use crate::gcp::vertex::VertexClient;
use crate::warmer::{WarmerEvent, WarmerHandle};
use app::{Action, App, AppParts};
use event::{Event, spawn_event_pump, spawn_signal_listener};
use screens::launch::LaunchClients;
use theme::Theme;

/// Everything the TUI needs from `main`.
pub struct TuiContext {
    /// The project ID, or `DEMO` (shown as `quota-tui · <title>`).
    pub title: String,
    /// What the credentials are (`credentials: <source, file, type, account>`), for the Cache
    /// screen; never a secret.
    pub credentials: String,
    pub demo: bool,
    pub catalog: Catalog,
    /// The running warmer: events, "warm now", statistics, and the cache it fills.
    pub warmer: WarmerHandle,
    /// Folder of `cache_warm.log`, tailed by the Logs screen.
    pub log_dir: PathBuf,
    /// Cancelled by the TUI when it quits; if someone else cancels it, the TUI quits too.
    pub cancel: CancellationToken,
    /// The project ID the Launch screen submits to (the demo's own in demo mode).
    pub project: String,
    /// Answers the Launch screen's fresh checks (the Service Usage client; never the cache).
    pub quota: Arc<dyn QuotaSource>,
    /// Submits the Launch screen's CustomJobs; `None` when no Vertex AI client could be made.
    pub vertex: Option<Arc<VertexClient>>,
}

/// Run the TUI until the user quits, a signal (SIGTERM, SIGHUP, SIGINT) arrives or
/// `ctx.cancel` is cancelled. Restores the terminal on every path and cancels `ctx.cancel`
/// before returning.
///
/// Errors when the terminal cannot be set up, drawn on or restored.
pub async fn run(ctx: TuiContext) -> anyhow::Result<()> {
    let TuiContext {
        title,
        credentials,
        demo,
        catalog,
        warmer,
        log_dir,
        cancel,
        project,
        quota,
        vertex,
    } = ctx;
    // Subscribe before reading the progress so no event falls between the two.
    let warmer_rx = warmer.subscribe();
    let (tx, rx) = mpsc::channel(256);
    let mut app = App::new(AppParts {
        title,
        credentials,
        demo,
        catalog,
        warmer,
        log_dir,
        theme: Theme::from_env(),
        launch: LaunchClients {
            project,
            quota,
            vertex,
        },
        events: tx.clone(),
    });
    let result = run_in_terminal(&mut app, warmer_rx, tx, rx, &cancel).await;
    cancel.cancel();
    if let Err(e) = &result {
        tracing::error!("the TUI ended with an error: {e:#}");
    }
    result
}

async fn run_in_terminal(
    app: &mut App,
    warmer_rx: broadcast::Receiver<WarmerEvent>,
    tx: mpsc::Sender<Event>,
    mut rx: mpsc::Receiver<Event>,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    let hook = PanicHook::install(cancel.clone());
    let mut term = TerminalGuard::enter().context("cannot set up the terminal")?;
    let pump = spawn_event_pump(tx.clone(), warmer_rx, cancel.clone());
    // On an early return the guard restores the terminal and the pump ends with `rx`.
    let signals =
        spawn_signal_listener(tx.clone()).context("cannot install the signal handlers")?;
    let result = ui_loop(&mut term.terminal, app, &mut rx, &tx).await;
    signals.abort();
    pump.abort();
    let _ = pump.await;
    let restored = term.restore().context("cannot restore the terminal");
    let result = result.and(restored);
    if hook.panicked.load(Ordering::SeqCst) {
        // A worker panicked: the hook restored the terminal and cancelled the session.
        return result.and(Err(anyhow::anyhow!(
            "a panic ended the session (its message is above and in quota-tui.log)"
        )));
    }
    result
}

/// The UI loop: wait for an event, handle it and everything queued behind it, then draw if
/// anything changed. Toast expiries are scheduled as `ToastExpiry` events.
///
/// Errors when drawing fails.
pub async fn ui_loop<B>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    rx: &mut mpsc::Receiver<Event>,
    tx: &mpsc::Sender<Event>,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    terminal.draw(|f| app.draw(f))?;
    while let Some(first) = rx.recv().await {
        let mut redraw = false;
        let mut next = Some(first);
        while let Some(event) = next.take() {
            match app.handle_event(event) {
                Action::Quit => return Ok(()),
                Action::Redraw => redraw = true,
                Action::None => {}
            }
            next = rx.try_recv().ok();
        }
        for deadline in app.take_toast_deadlines() {
            let tx = tx.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(deadline).await;
                let _ = tx.send(Event::ToastExpiry(deadline)).await;
            });
        }
        if redraw {
            terminal.draw(|f| app.draw(f))?;
        }
    }
    Ok(())
}

/// True while the TUI holds the terminal (raw mode, alternate screen, mouse capture).
static TERMINAL_TAKEN: AtomicBool = AtomicBool::new(false);

/// Leave raw mode, the alternate screen and mouse capture, and show the cursor. Every step
/// is tried; the first error is returned. Only the first call after the TUI took the
/// terminal does anything (the panic hook and the exit path may both call it; a second
/// "leave alternate screen" would move the cursor over what the first one printed).
pub fn restore_terminal() -> io::Result<()> {
    if !TERMINAL_TAKEN.swap(false, Ordering::SeqCst) {
        return Ok(());
    }
    let raw = disable_raw_mode();
    let screen = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    raw.and(screen)
}

/// The terminal in TUI mode; restores it when dropped (every exit path, errors included).
struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    fn enter() -> io::Result<Self> {
        enable_raw_mode()?;
        TERMINAL_TAKEN.store(true, Ordering::SeqCst);
        let setup = execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)
            .and_then(|()| Terminal::new(CrosstermBackend::new(io::stdout())));
        match setup {
            Ok(mut terminal) => {
                terminal.hide_cursor()?;
                terminal.clear()?;
                Ok(TerminalGuard { terminal })
            }
            Err(e) => {
                let _ = restore_terminal();
                Err(e)
            }
        }
    }

    fn restore(&mut self) -> io::Result<()> {
        restore_terminal()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = self.restore();
    }
}

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Send + Sync + 'static>;

/// A panic hook for the session: restore the terminal first, log the panic to
/// `quota-tui.log`, cancel the session, then let the previous hook print the message on the
/// restored terminal. Dropping the guard puts the previous hook back.
struct PanicHook {
    previous: Arc<Hook>,
    /// Set by the hook: some thread or task panicked during the session.
    panicked: Arc<AtomicBool>,
}

impl PanicHook {
    fn install(cancel: CancellationToken) -> Self {
        let previous: Arc<Hook> = Arc::new(std::panic::take_hook());
        let chained = previous.clone();
        let panicked = Arc::new(AtomicBool::new(false));
        let flag = panicked.clone();
        std::panic::set_hook(Box::new(move |info| {
            flag.store(true, Ordering::SeqCst);
            let _ = restore_terminal();
            tracing::error!("panic: {info}");
            cancel.cancel();
            chained(info);
        }));
        PanicHook { previous, panicked }
    }
}

impl Drop for PanicHook {
    fn drop(&mut self) {
        // set_hook panics while panicking; the session's hook then stays, which is harmless.
        if !std::thread::panicking() {
            let previous = self.previous.clone();
            std::panic::set_hook(Box::new(move |info| previous(info)));
        }
    }
}
