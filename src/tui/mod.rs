//! The terminal UI (SPEC §10): a ratatui event loop over the warmer's cache.
//!
//! [`run`] owns the terminal for the whole session: raw mode, alternate screen, mouse
//! capture, a panic hook that restores the terminal before printing, quit on SIGTERM / SIGHUP /
//! SIGINT / SIGQUIT, and restoration on every exit path, a setup that fails half-way
//! included. Inside, one [`event::Event`] channel feeds the [`app::App`], which owns all UI
//! state; drawing is pure ([`widgets`] for the shared pieces) and happens only when something
//! changed. Workers and screens' tasks ([`task`]) never touch the terminal; nothing is
//! printed on it while the TUI runs.

pub mod app;
pub mod clipboard;
pub mod event;
pub mod keys;
pub mod log_tail;
pub mod quit;
pub mod screens;
pub mod selection;
pub mod shared;
pub mod task;
pub mod theme;
pub mod toast;
pub mod widgets;

use std::io::{self, Stdout, Write};
use std::panic::PanicHookInfo;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use anyhow::Context as _;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend, TestBackend};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use crate::catalog::Catalog;
use crate::store::redis::RedisStore;
use crate::warmer::{WarmerEvent, WarmerHandle};
use app::{Action, App};
use event::{Event, spawn_event_pump, spawn_signal_listener};
pub use screens::launch::LaunchClients;
use theme::Theme;

/// Everything the TUI needs from `main`; it flows into the [`App`] as one struct, each part
/// to the one that reads it.
pub struct TuiContext {
    /// The project ID, or `DEMO` (shown as `quota-tui · <title>`).
    pub title: String,
    /// What the credentials are (`credentials: <source, file, type, account>`), for the Cache
    /// screen; never a secret.
    pub credentials: String,
    pub catalog: Catalog,
    /// The running warmer: events, "warm now", statistics, and the cache it fills.
    pub warmer: WarmerHandle,
    /// Folder of `cache_warm.log`, tailed by the Logs screen.
    pub log_dir: PathBuf,
    /// The project, quota source and Vertex AI client the Launch screen checks and submits
    /// with (never the cache).
    pub launch: LaunchClients,
    /// The shared Redis store (SPEC §11), when the cache is shared; `None` otherwise.
    pub shared: Option<Arc<RedisStore>>,
}

/// Run the TUI until the user quits, a signal (SIGTERM, SIGHUP, SIGINT, SIGQUIT) arrives or
/// `cancel` is cancelled (someone else ending the session), drawn with the configured
/// `theme` (`NO_COLOR` wins over it). Restores the terminal on every path and cancels
/// `cancel` before returning.
///
/// Errors when the terminal cannot be set up, drawn on or restored.
pub async fn run(
    ctx: TuiContext,
    theme: theme::ThemeName,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    // Subscribe before reading the progress so no event falls between the two.
    let warmer_rx = ctx.warmer.subscribe();
    let (tx, rx) = mpsc::channel(256);
    let shared_pump = ctx
        .shared
        .clone()
        .map(|redis| shared::spawn_shared_pump(redis, tx.clone()));
    let mut app = App::new(ctx, Theme::from_env(theme), tx.clone());
    let result = run_in_terminal(&mut app, warmer_rx, tx, rx, &cancel).await;
    if let Some(pump) = shared_pump {
        pump.abort();
    }
    cancel.cancel();
    // The terminal is restored by now: what must outlive the screen goes on stderr.
    if let Some(notice) = app.exit_notice() {
        eprintln!("quota-tui: {notice}");
    }
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
    // Signals first: one arriving during the setup below quits through the loop (restoring
    // the terminal) instead of killing the process with the terminal half set up.
    let signals =
        spawn_signal_listener(tx.clone()).context("cannot install the signal handlers")?;
    let mut term = match TerminalGuard::enter() {
        Ok(term) => term,
        Err(e) => {
            signals.abort();
            return Err(anyhow::Error::new(e).context("cannot set up the terminal"));
        }
    };
    // On an early return the guard restores the terminal and the pump ends with `rx`.
    let pump = spawn_event_pump(tx.clone(), warmer_rx, cancel.clone());
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

/// A terminal backend that takes bytes which draw nothing: the OSC 52 clipboard writes of
/// `y` ([`clipboard`]), written by the UI loop between frames.
pub trait Passthrough {
    /// Write `bytes` to the terminal as they are, and flush.
    ///
    /// Errors when the terminal cannot be written to.
    fn pass_through(&mut self, bytes: &[u8]) -> io::Result<()>;
}

impl<W: Write> Passthrough for CrosstermBackend<W> {
    fn pass_through(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_all(bytes)?;
        Write::flush(self)
    }
}

impl Passthrough for TestBackend {
    /// A test terminal has no clipboard: the bytes are dropped (tests read them from
    /// [`App::take_terminal_output`]).
    fn pass_through(&mut self, _bytes: &[u8]) -> io::Result<()> {
        Ok(())
    }
}

/// The UI loop: wait for an event, handle it and everything queued behind it, write what
/// the app asked to send the terminal (a clipboard copy), then draw if anything changed.
/// Toast expiries are scheduled as `ToastExpiry` events.
///
/// Errors when drawing or writing to the terminal fails.
pub async fn ui_loop<B>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    rx: &mut mpsc::Receiver<Event>,
    tx: &mpsc::Sender<Event>,
) -> anyhow::Result<()>
where
    B: Backend + Passthrough,
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
        let out = app.take_terminal_output();
        if !out.is_empty() {
            terminal
                .backend_mut()
                .pass_through(&out)
                .context("cannot write to the terminal")?;
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

/// What the TUI changed in the terminal: one bit per setup step ([`RAW`], [`ALT`],
/// [`MOUSE`], [`CURSOR`]), set *before* the step is tried (a step can half-succeed: its
/// escape sequence written, then an error), cleared by [`restore_terminal`].
static TERMINAL_TAKEN: AtomicU8 = AtomicU8::new(0);
const RAW: u8 = 1;
const ALT: u8 = 2;
const MOUSE: u8 = 4;
const CURSOR: u8 = 8;

/// Undo what the TUI changed in the terminal: mouse capture off, alternate screen left,
/// cursor shown, raw mode off. Every step is tried even when an earlier one failed; the first
/// error is returned. Only the steps that were taken are undone, and only once (the panic
/// hook and the exit path may both call it; a second "leave alternate screen" would move the
/// cursor over what the first one printed).
pub fn restore_terminal() -> io::Result<()> {
    let taken = TERMINAL_TAKEN.swap(0, Ordering::SeqCst);
    let mut out = io::stdout();
    let mut first: io::Result<()> = Ok(());
    let mut step = |bit: u8, r: &mut dyn FnMut() -> io::Result<()>| {
        if taken & bit != 0 {
            let result = r();
            if first.is_ok() {
                first = result;
            }
        }
    };
    step(MOUSE, &mut || execute!(out, DisableMouseCapture));
    step(ALT, &mut || execute!(out, LeaveAlternateScreen));
    step(CURSOR, &mut || execute!(out, crossterm::cursor::Show));
    step(RAW, &mut disable_raw_mode);
    first
}

/// Mark `bit` as taken, then run the setup step.
fn take<T>(bit: u8, step: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
    TERMINAL_TAKEN.fetch_or(bit, Ordering::SeqCst);
    step()
}

/// The terminal in TUI mode; restores it when dropped (every exit path, errors included).
struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
    _restore: RestoreOnDrop,
}

/// Restores the terminal when dropped: armed before the first setup step, so a setup that
/// fails half-way (say the cursor-position query of the first clear times out after the
/// alternate screen and mouse capture were entered) still leaves the terminal as it was.
struct RestoreOnDrop;

impl Drop for RestoreOnDrop {
    fn drop(&mut self) {
        let _ = restore_terminal();
    }
}

impl TerminalGuard {
    fn enter() -> io::Result<Self> {
        let restore = RestoreOnDrop;
        take(RAW, enable_raw_mode)?;
        take(ALT, || execute!(io::stdout(), EnterAlternateScreen))?;
        take(MOUSE, || execute!(io::stdout(), EnableMouseCapture))?;
        let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        take(CURSOR, || terminal.hide_cursor())?;
        // Asks the terminal where the cursor is: a terminal that never answers makes this
        // fail after about 2 s (crossterm's timeout), with everything above taken.
        terminal.clear()?;
        Ok(TerminalGuard {
            terminal,
            _restore: restore,
        })
    }

    fn restore(&mut self) -> io::Result<()> {
        restore_terminal()
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
