//! The app: all UI state, the one event handler, and the pure draw.
//!
//! [`App::handle_event`] is what the UI loop calls for every [`Event`]; tests call it too,
//! with keys and warmer events they make up, then [`App::draw`] on a `TestBackend`. Drawing
//! reads state only (the cache as last peeked, statistics as of the last event). A screen's
//! background task comes back as [`Event::Task`] and goes to the screen that spawned it; the
//! app knows no screen's messages.

use std::cell::Cell;

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::TuiContext;
use super::event::Event;
use super::keys::is_ctrl_c;
use super::quit::QuitGuard;
use super::screens::{Reply, Screen, ScreenCtx, screen_table};
use super::shared::fold_shared;
use super::task::TaskDone;
use super::theme::Theme;
use super::toast::{ToastLevel, Toasts};
use super::widgets::chrome::tab_at;

#[path = "app_draw.rs"]
mod draw;
#[path = "app_warmer.rs"]
mod warmer;

/// How many screens Esc can go back through.
const HISTORY: usize = 32;

/// What the loop should do after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing visible changed.
    None,
    /// Draw again.
    Redraw,
    /// Leave the TUI.
    Quit,
}

/// All UI state. Only the UI loop (or a test) changes it.
pub struct App {
    ctx: ScreenCtx,
    screens: Vec<Box<dyn Screen>>,
    current: usize,
    history: Vec<usize>,
    help: bool,
    status_text: String,
    /// The tab bar's labels (`1 Home`, ...), made once rather than every frame.
    tab_labels: Vec<String>,
    /// The "a submission is in flight: quit?" question, and the notice left for stderr.
    quit: QuitGuard,
    /// Where the tab bar and the screen's body were last drawn (drawing takes `&self`), for
    /// mouse clicks.
    tabs_area: Cell<Rect>,
    body_area: Cell<Rect>,
}

impl App {
    /// The app over `tui` (each part goes to the one that reads it: the screens their own,
    /// the shared view the rest), drawn with `theme`, on its first screen (Home), with the
    /// warmer's current progress and the cache as it is now (peeked, not counted). `events`
    /// is the sender of the queue the app is fed from: screens' tasks report back on it.
    pub fn new(tui: TuiContext, theme: Theme, events: mpsc::Sender<Event>) -> Self {
        let TuiContext {
            title,
            credentials,
            catalog,
            warmer,
            log_dir,
            launch,
            shared,
        } = tui;
        let project = launch.project.clone();
        let screens = screen_table(credentials, log_dir, launch);
        let screen_titles: Vec<_> = screens.iter().map(|s| (s.title(), s.summary())).collect();
        let tab_labels = screen_titles
            .iter()
            .enumerate()
            .map(|(i, (t, _))| format!("{} {t}", i + 1))
            .collect();
        let ctx = ScreenCtx::new(
            title,
            project,
            catalog,
            theme,
            warmer,
            events,
            screen_titles,
            shared,
        );
        let mut app = App {
            status_text: String::new(),
            ctx,
            screens,
            current: 0,
            history: Vec::new(),
            help: false,
            tab_labels,
            quit: QuitGuard::default(),
            tabs_area: Cell::new(Rect::default()),
            body_area: Cell::new(Rect::default()),
        };
        let (home, ctx) = app.call(0);
        home.on_enter(ctx);
        app.write_status_text();
        app
    }

    /// The live toasts.
    pub fn toasts(&self) -> &Toasts {
        self.ctx.toasts()
    }

    /// Index of the screen shown, in [`screen_table`] order (0 = Home).
    pub fn current(&self) -> usize {
        self.current
    }

    /// Title of the screen shown.
    pub fn current_title(&self) -> &'static str {
        self.screens[self.current].title()
    }

    /// True while the `?` help popup is open.
    pub fn help_open(&self) -> bool {
        self.help
    }

    /// True while the "a submission is in flight: quit?" confirmation is open.
    pub fn quit_confirm_open(&self) -> bool {
        self.quit.is_open()
    }

    /// What to print on stderr after the terminal is restored, once the app quit: when it
    /// quit (by key after a `y`, or by signal) with a CustomJob submission in flight, a line
    /// saying the job may exist and the project's Vertex AI custom jobs page to check.
    pub fn exit_notice(&self) -> Option<&str> {
        self.quit.notice()
    }

    /// The status widget's text.
    pub fn status_text(&self) -> &str {
        &self.status_text
    }

    /// Expiry times of toasts shown since the last call (the loop wakes at each).
    pub fn take_toast_deadlines(&mut self) -> Vec<Instant> {
        self.ctx.take_toast_deadlines()
    }

    /// Bytes for the terminal that draw nothing, asked for since the last call: the OSC 52
    /// clipboard writes of `y` ([`super::clipboard`]). The UI loop writes them; empty when
    /// nothing was asked.
    pub fn take_terminal_output(&mut self) -> Vec<u8> {
        self.ctx.take_terminal_output()
    }

    /// Switch to screen `idx` (ignored when out of range or already shown), remembering the
    /// current one for Esc.
    pub fn open(&mut self, idx: usize) -> Action {
        if idx >= self.screens.len() || idx == self.current {
            return Action::None;
        }
        if self.history.len() == HISTORY {
            self.history.remove(0);
        }
        self.history.push(self.current);
        self.switch_to(idx);
        Action::Redraw
    }

    /// Screen `idx` and the ctx, set up so that what the screen spawns reports back to it.
    fn call(&mut self, idx: usize) -> (&mut dyn Screen, &mut ScreenCtx) {
        self.ctx.set_caller(idx);
        (self.screens[idx].as_mut(), &mut self.ctx)
    }

    /// `q` or Ctrl-C: quit, or ask first while a submission is in flight.
    fn request_quit(&mut self) -> Action {
        self.quit.request(pending(&self.screens))
    }

    fn switch_to(&mut self, idx: usize) {
        let (left, ctx) = self.call(self.current);
        left.on_leave(ctx);
        self.current = idx;
        self.ctx.refresh();
        let (screen, ctx) = self.call(idx);
        screen.on_enter(ctx);
    }

    fn back(&mut self) -> Action {
        match self.history.pop() {
            Some(idx) => {
                self.switch_to(idx);
                Action::Redraw
            }
            None => Action::None,
        }
    }

    fn reply(&mut self, reply: Reply) -> Action {
        match reply {
            Reply::Ignored => Action::None,
            Reply::Redraw => Action::Redraw,
            Reply::Open(idx) => self.open(idx),
        }
    }

    /// Handle one event: the single place UI state changes.
    pub fn handle_event(&mut self, event: Event) -> Action {
        self.ctx.stamp();
        match event {
            // A signal or a cancelled session: at once, without asking (SIGTERM must end the
            // process promptly); a submission in flight leaves its notice for stderr.
            Event::Quit => self.quit.now(pending(&self.screens)),
            Event::Tick => {
                let cache_changed = self.ctx.refresh();
                let expired = self.ctx.expire_toasts();
                let (screen, ctx) = self.call(self.current);
                let screen = screen.on_tick(ctx);
                redraw_if(cache_changed || expired || screen)
            }
            Event::ToastExpiry(_) => redraw_if(self.ctx.expire_toasts()),
            Event::Warmer(ev) => self.on_warmer(ev),
            Event::Task(done) => self.on_task(done),
            Event::Shared(ev) => {
                if !fold_shared(&mut self.ctx, &ev) {
                    return Action::None;
                }
                self.write_status_text();
                Action::Redraw
            }
            Event::WarmerLagged(n) => {
                tracing::warn!("the UI missed {n} warmer events; resyncing");
                if self.warms_here() {
                    self.ctx.resync_status();
                }
                self.write_status_text();
                self.ctx.refresh();
                Action::Redraw
            }
            Event::Crossterm(TermEvent::Key(key)) if key.kind != KeyEventKind::Release => {
                self.on_key(&key)
            }
            Event::Crossterm(TermEvent::Mouse(m)) => self.on_mouse(&m),
            Event::Crossterm(TermEvent::Resize(..)) => Action::Redraw,
            Event::Crossterm(_) => Action::None,
        }
    }

    /// The wheel scrolls the screen's list; a left click on a tab switches to it, and one in
    /// the body goes to the screen (which selects the row there). Nothing while a popup
    /// (help, the quit question) is open.
    fn on_mouse(&mut self, m: &MouseEvent) -> Action {
        if self.help || self.quit.is_open() {
            return Action::None;
        }
        let at = Position::new(m.column, m.row);
        let reply = match m.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let down = m.kind == MouseEventKind::ScrollDown;
                let (screen, ctx) = self.call(self.current);
                screen.on_wheel(down, ctx)
            }
            MouseEventKind::Down(MouseButton::Left) if self.tabs_area.get().contains(at) => {
                let x = m.column - self.tabs_area.get().x;
                return match tab_at(&self.tab_labels, x) {
                    Some(idx) => self.open(idx),
                    None => Action::None,
                };
            }
            MouseEventKind::Down(MouseButton::Left) if self.body_area.get().contains(at) => {
                let (screen, ctx) = self.call(self.current);
                screen.on_click(m.column, m.row, ctx)
            }
            _ => return Action::None,
        };
        self.reply(reply)
    }

    /// True unless the cache is shared and another instance warms it.
    fn warms_here(&self) -> bool {
        self.ctx.view().shared().is_none_or(|s| s.warms_here())
    }

    /// The status widget's text from the view's status, with the shared store's suffix.
    fn write_status_text(&mut self) {
        let view = self.ctx.view();
        view.status().write_text(&mut self.status_text);
        if let Some(shared) = view.shared() {
            self.status_text.push_str(&shared.suffix());
        }
    }

    /// A screen's task ended: its output goes to the screen that spawned it (which toasts
    /// when it is not the one shown).
    fn on_task(&mut self, done: TaskDone) -> Action {
        let idx = done.screen();
        if idx >= self.screens.len() {
            tracing::warn!("a task answered for screen {idx}, which does not exist");
            return Action::None;
        }
        let shown = idx == self.current;
        let (screen, ctx) = self.call(idx);
        screen.on_task(done.into_payload(), shown, ctx);
        if pending(&self.screens).is_none() && self.quit.answered() {
            // The answer came while the user was asked: nothing is in doubt any more.
            self.ctx.toast(
                "The submission was answered: press q again to quit",
                ToastLevel::Ok,
            );
        }
        Action::Redraw
    }

    fn on_key(&mut self, key: &KeyEvent) -> Action {
        if self.quit.is_open() {
            return self.quit.on_key(key, pending(&self.screens));
        }
        if is_ctrl_c(key) {
            return self.request_quit();
        }
        if self.help {
            return match key.code {
                KeyCode::Esc | KeyCode::Char('?') | KeyCode::Enter => {
                    self.help = false;
                    Action::Redraw
                }
                KeyCode::Char('q') => self.request_quit(),
                _ => Action::None,
            };
        }
        let c = self.current;
        if self.screens[c].captures_input() {
            let (screen, ctx) = self.call(c);
            let reply = screen.on_key(key, ctx);
            if reply != Reply::Ignored {
                return self.reply(reply);
            }
        }
        let n = self.screens.len();
        match key.code {
            KeyCode::Char('q') => self.request_quit(),
            KeyCode::Char('?') => {
                self.help = true;
                Action::Redraw
            }
            KeyCode::Char(d @ '1'..='9') => self.open(d as usize - '1' as usize),
            KeyCode::Tab => self.open((c + 1) % n),
            KeyCode::BackTab => self.open((c + n - 1) % n),
            KeyCode::Esc => self.back(),
            KeyCode::Char('w') => {
                self.ctx.warm_now();
                Action::Redraw
            }
            _ => {
                let (screen, ctx) = self.call(c);
                let reply = screen.on_key(key, ctx);
                self.reply(reply)
            }
        }
    }
}

/// The project of a submission in flight on any screen (its CustomJob may be created
/// whatever happens to the app).
fn pending(screens: &[Box<dyn Screen>]) -> Option<&str> {
    screens.iter().find_map(|s| s.submission_pending())
}

fn redraw_if(changed: bool) -> Action {
    if changed {
        Action::Redraw
    } else {
        Action::None
    }
}
