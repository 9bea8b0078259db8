//! The app: all UI state, the one event handler, and the pure draw.
//!
//! [`App::handle_event`] is what the UI loop calls for every [`Event`]; tests call it too,
//! with keys and warmer events they make up, then [`App::draw`] on a `TestBackend`. Drawing
//! reads state only (the cache as last peeked, statistics as of the last event).

use std::path::PathBuf;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Tabs};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::event::Event;
use super::keys::{GLOBAL_KEYS, KeyHint, is_ctrl_c};
use super::popup::draw_popup;
use super::quit::{self, QuitGuard};
use super::screens::launch::{LaunchClients, LaunchEvent};
use super::screens::{Reply, Screen, ScreenCtx, screen_table};
use super::shared::{SharedEvent, SharedView};
use super::status::WarmStatus;
use super::theme::Theme;
use super::toast::{ToastLevel, failed_checks_toast, service_disabled_toast, slow_batch_toast};
use crate::catalog::Catalog;
use crate::warmer::{WarmerEvent, WarmerHandle};

/// Widest a toast gets, borders included (longer text wraps, up to 3 lines).
const TOAST_MAX_WIDTH: u16 = 72;

/// How many screens Esc can go back through.
const HISTORY: usize = 32;

/// What the app needs to start: the parts of `TuiContext` that are UI state, and a theme.
pub struct AppParts {
    /// The project ID, or `DEMO`.
    pub title: String,
    /// What the credentials are, for the Cache screen (never a secret).
    pub credentials: String,
    pub demo: bool,
    pub catalog: Catalog,
    pub warmer: WarmerHandle,
    /// Folder of `cache_warm.log`.
    pub log_dir: PathBuf,
    pub theme: Theme,
    /// The project and clients of the Launch screen.
    pub launch: LaunchClients,
    /// Sender of the event queue the app is fed from: spawned tasks (the Launch screen's
    /// fresh check and submission) report back on it as [`Event::Launch`].
    pub events: mpsc::Sender<Event>,
    /// The shared Redis store, when the cache is shared (SPEC §11).
    pub shared: Option<std::sync::Arc<crate::store::redis::RedisStore>>,
}

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
}

impl App {
    /// The app on its first screen (Home), with the warmer's current progress and the cache
    /// as it is now (peeked, not counted).
    pub fn new(parts: AppParts) -> Self {
        let screens = screen_table();
        let screen_titles: Vec<_> = screens.iter().map(|s| (s.title(), s.summary())).collect();
        let tab_labels = screen_titles
            .iter()
            .enumerate()
            .map(|(i, (t, _))| format!("{} {t}", i + 1))
            .collect();
        let checks = parts.catalog.all_checks();
        let progress = parts.warmer.progress();
        let shared = parts
            .shared
            .map(|redis| SharedView::new(redis, progress.ever_complete));
        let status = shared
            .as_ref()
            .and_then(|s| s.reader_status(checks.len()))
            .unwrap_or_else(|| WarmStatus::from_progress(progress));
        let mut ctx = ScreenCtx {
            title: parts.title,
            credentials: parts.credentials,
            demo: parts.demo,
            catalog: parts.catalog,
            stats: parts.warmer.stats(),
            next_rewarm_in: None,
            warmer: parts.warmer,
            log_dir: parts.log_dir,
            theme: parts.theme,
            now: Instant::now(),
            wall_now: chrono::DateTime::default(),
            snapshot: Vec::new(),
            checks,
            status,
            toasts: Default::default(),
            screen_titles,
            launch: parts.launch,
            events: parts.events,
            shared,
        };
        ctx.refresh();
        let mut app = App {
            ctx,
            screens,
            current: 0,
            history: Vec::new(),
            help: false,
            status_text: String::new(),
            tab_labels,
            quit: QuitGuard::default(),
        };
        app.screens[0].on_enter(&mut app.ctx);
        app.write_status_text();
        app
    }

    /// The status widget's text from `ctx.status`, with the shared store's suffix.
    fn write_status_text(&mut self) {
        self.ctx.status.write_text(&mut self.status_text);
        if let Some(shared) = &self.ctx.shared {
            self.status_text.push_str(&shared.suffix());
        }
    }

    /// Something the shared store reported: the status follows the holder's progress where
    /// this instance does not warm, and its own warmer's where it does.
    fn on_shared(&mut self, ev: SharedEvent) -> Action {
        let Some(shared) = self.ctx.shared.as_mut() else {
            return Action::None;
        };
        let warmed_here = shared.warms_here();
        if let Some((text, level)) = shared.apply(&ev) {
            self.ctx.toast(text, level);
        }
        let shared = self.ctx.shared.as_ref().expect("checked above");
        match shared.reader_status(self.ctx.checks.len()) {
            Some(status) => self.ctx.status = status,
            None if !warmed_here => {
                self.ctx.status = WarmStatus::from_progress(self.ctx.warmer.progress());
            }
            None => {}
        }
        self.ctx.refresh();
        self.write_status_text();
        Action::Redraw
    }

    /// The shared screen state (read).
    pub fn ctx(&self) -> &ScreenCtx {
        &self.ctx
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

    /// True while a screen has a request in flight that may create something (a CustomJob).
    fn submission_in_flight(&self) -> bool {
        self.screens.iter().any(|s| s.submission_pending())
    }

    /// `q` or Ctrl-C: quit, or ask first while a submission is in flight.
    fn request_quit(&mut self) -> Action {
        let in_flight = self.submission_in_flight();
        self.quit.request(in_flight, &self.ctx.launch.project)
    }

    /// The status widget's text.
    pub fn status_text(&self) -> &str {
        &self.status_text
    }

    /// Expiry times of toasts shown since the last call (the loop wakes at each).
    pub fn take_toast_deadlines(&mut self) -> Vec<Instant> {
        self.ctx.toasts.take_deadlines()
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

    fn switch_to(&mut self, idx: usize) {
        self.current = idx;
        self.ctx.refresh();
        self.screens[idx].on_enter(&mut self.ctx);
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
        self.ctx.now = Instant::now();
        self.ctx.wall_now = self.ctx.warmer.store().now();
        match event {
            // A signal or a cancelled session: at once, without asking (SIGTERM must end the
            // process promptly); a submission in flight leaves its notice for stderr.
            Event::Quit => {
                let in_flight = self.submission_in_flight();
                self.quit.now(in_flight, &self.ctx.launch.project)
            }
            Event::Tick => {
                let cache_changed = self.ctx.refresh();
                let expired = self.ctx.toasts.expire(self.ctx.now);
                let screen = self.screens[self.current].on_tick(&mut self.ctx);
                if cache_changed || expired || screen {
                    Action::Redraw
                } else {
                    Action::None
                }
            }
            Event::ToastExpiry(_) => {
                if self.ctx.toasts.expire(self.ctx.now) {
                    Action::Redraw
                } else {
                    Action::None
                }
            }
            Event::Warmer(ev) => self.on_warmer(ev),
            Event::Launch(ev) => self.on_launch(ev),
            Event::Shared(ev) => self.on_shared(ev),
            Event::WarmerLagged(n) => {
                tracing::warn!("the UI missed {n} warmer events; resyncing");
                let level = self.ctx.status.level;
                self.ctx.status = WarmStatus::from_progress(self.ctx.warmer.progress());
                self.ctx.status.level = level;
                self.write_status_text();
                self.ctx.refresh();
                Action::Redraw
            }
            Event::Crossterm(TermEvent::Key(key)) if key.kind != KeyEventKind::Release => {
                self.on_key(&key)
            }
            Event::Crossterm(TermEvent::Mouse(m)) => {
                let down = match m.kind {
                    MouseEventKind::ScrollDown => true,
                    MouseEventKind::ScrollUp => false,
                    _ => return Action::None,
                };
                if self.help || self.quit.is_open() {
                    return Action::None;
                }
                let reply = self.screens[self.current].on_wheel(down, &mut self.ctx);
                self.reply(reply)
            }
            Event::Crossterm(TermEvent::Resize(..)) => Action::Redraw,
            Event::Crossterm(_) => Action::None,
        }
    }

    fn on_warmer(&mut self, ev: WarmerEvent) -> Action {
        if self.ctx.shared.as_ref().is_some_and(|s| !s.warms_here()) {
            // Not the warmer of the shared cache: the holder's progress is the status.
            return Action::None;
        }
        let mut changed = self.ctx.status.apply(&ev);
        if changed {
            self.write_status_text();
        }
        match &ev {
            WarmerEvent::MetricLanded { .. } | WarmerEvent::CycleStarted { .. } => {
                self.ctx.refresh();
                changed = true;
            }
            WarmerEvent::BatchDone(report) => {
                self.ctx.refresh();
                if let Some(text) = slow_batch_toast(report) {
                    self.ctx.toast(text, ToastLevel::Warn);
                    changed = true;
                }
                if let Some(text) = failed_checks_toast(report) {
                    self.ctx.toast(text, ToastLevel::Error);
                    changed = true;
                }
            }
            WarmerEvent::ServiceDisabled { metric, error } => {
                self.ctx
                    .toast(service_disabled_toast(*metric, error), ToastLevel::Error);
                changed = true;
            }
            WarmerEvent::CycleComplete {
                elapsed, failed, ..
            } => {
                self.ctx.refresh();
                let (n, secs) = (self.ctx.status.total, elapsed.as_secs_f64());
                let (text, level) = if n > 0 && *failed >= n {
                    (
                        format!(
                            "💥 Cycle done in {secs:.1}s: all {n} checks failed (Cache screen)"
                        ),
                        ToastLevel::Error,
                    )
                } else if *failed > 0 {
                    (
                        format!("✅ Cache warm: {n}/{n} checks in {secs:.1}s ({failed} failed)"),
                        ToastLevel::Warn,
                    )
                } else {
                    (
                        format!("✅ Cache warm: {n}/{n} checks in {secs:.1}s"),
                        ToastLevel::Ok,
                    )
                };
                self.ctx.toast(text, level);
                changed = true;
            }
            _ => {}
        }
        changed |= self.screens[self.current].on_warmer(&ev, &mut self.ctx);
        if changed {
            Action::Redraw
        } else {
            Action::None
        }
    }

    /// A Launch task ended: every screen may take it; when the one shown did not, a toast
    /// says what happened.
    fn on_launch(&mut self, ev: LaunchEvent) -> Action {
        let mut shown = false;
        for (i, screen) in self.screens.iter_mut().enumerate() {
            if screen.on_launch(&ev, &mut self.ctx) && i == self.current {
                shown = true;
            }
        }
        if !shown {
            let (text, level) = ev.toast();
            self.ctx.toast(text, level);
        }
        if !self.submission_in_flight() && self.quit.answered() {
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
            let in_flight = self.submission_in_flight();
            return self.quit.on_key(key, in_flight, &self.ctx.launch.project);
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
        if self.screens[self.current].captures_input() {
            let reply = self.screens[self.current].on_key(key, &mut self.ctx);
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
            KeyCode::Tab => self.open((self.current + 1) % n),
            KeyCode::BackTab => self.open((self.current + n - 1) % n),
            KeyCode::Esc => self.back(),
            KeyCode::Char('w') => {
                self.ctx.warm_now();
                Action::Redraw
            }
            _ => {
                let reply = self.screens[self.current].on_key(key, &mut self.ctx);
                self.reply(reply)
            }
        }
    }

    /// Draw the whole screen from state.
    pub fn draw(&self, frame: &mut Frame) {
        let area = frame.area();
        let [header, tabs, body, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(area);
        self.draw_header(frame, header);
        self.draw_tabs(frame, tabs);
        self.screens[self.current].draw(frame, body, &self.ctx);
        self.draw_footer(frame, footer);
        self.draw_toasts(frame, body);
        if self.help {
            self.draw_help(frame, body);
        }
        if self.quit.is_open() {
            QuitGuard::draw(frame, body, &self.ctx.theme);
        }
    }

    fn draw_header(&self, frame: &mut Frame, area: Rect) {
        let theme = &self.ctx.theme;
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled("quota-tui", theme.title),
                Span::raw(" · "),
                Span::styled(self.ctx.title.as_str(), theme.key),
            ])),
            area,
        );
        frame.render_widget(
            Paragraph::new(Span::styled(
                self.status_text.as_str(),
                self.ctx.status.style(theme),
            ))
            .alignment(Alignment::Right),
            area,
        );
    }

    fn draw_tabs(&self, frame: &mut Frame, area: Rect) {
        let theme = &self.ctx.theme;
        let titles = self.tab_labels.iter().map(|l| Line::from(l.as_str()));
        frame.render_widget(
            Tabs::new(titles)
                .select(self.current)
                .style(theme.muted)
                .highlight_style(theme.selected)
                .divider("│"),
            area,
        );
    }

    fn hint_spans<'a>(hints: impl Iterator<Item = &'a KeyHint>, theme: &Theme) -> Vec<Span<'a>> {
        let mut spans = Vec::new();
        for h in hints {
            if !spans.is_empty() {
                spans.push(Span::styled(" · ", theme.muted));
            }
            spans.push(Span::styled(h.keys, theme.key));
            spans.push(Span::raw(" "));
            spans.push(Span::styled(h.action, theme.muted));
        }
        spans
    }

    fn draw_footer(&self, frame: &mut Frame, area: Rect) {
        let screen = &self.screens[self.current];
        if self.quit.is_open() {
            let hints = quit::KEYS.iter();
            frame.render_widget(
                Paragraph::new(Line::from(Self::hint_spans(hints, &self.ctx.theme))),
                area,
            );
            return;
        }
        // While a field takes every key, `q` and `?` type: their hints would mislead.
        let globals = if screen.typing() {
            &[][..]
        } else {
            GLOBAL_KEYS
        };
        let hints = screen.keys().iter().chain(globals).filter(|h| h.footer);
        frame.render_widget(
            Paragraph::new(Line::from(Self::hint_spans(hints, &self.ctx.theme))),
            area,
        );
    }

    fn draw_toasts(&self, frame: &mut Frame, area: Rect) {
        let theme = &self.ctx.theme;
        let mut bottom = area.bottom();
        for toast in self.ctx.toasts.iter().rev() {
            let text_width = Line::raw(toast.text.as_str()).width() as u16;
            let width = (text_width + 4).min(area.width).min(TOAST_MAX_WIDTH);
            let lines = wrap_words(&toast.text, width.saturating_sub(4) as usize, 3);
            let height = lines.len() as u16 + 2;
            if bottom < area.y + height {
                break;
            }
            let rect = Rect::new(
                area.right().saturating_sub(width),
                bottom - height,
                width,
                height,
            )
            .intersection(area);
            let style = match toast.level {
                ToastLevel::Ok => theme.toast_ok,
                ToastLevel::Warn => theme.toast_warn,
                ToastLevel::Error => theme.toast_error,
            };
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(lines.into_iter().map(Line::raw).collect::<Vec<_>>())
                    .block(Block::bordered().border_style(style)),
                rect,
            );
            bottom -= height;
        }
    }

    fn draw_help(&self, frame: &mut Frame, area: Rect) {
        let theme = &self.ctx.theme;
        let screen = &self.screens[self.current];
        let mut lines = vec![Line::styled(
            format!("{} screen", screen.title()),
            theme.title,
        )];
        let row = |h: &KeyHint| {
            Line::from(vec![
                Span::styled(format!("  {:<11}", h.keys), theme.key),
                Span::raw(h.action),
            ])
        };
        if screen.keys().is_empty() {
            lines.push(Line::styled("  (no keys of its own)", theme.muted));
        }
        lines.extend(screen.keys().iter().map(row));
        lines.push(Line::raw(""));
        lines.push(Line::styled("Everywhere", theme.title));
        lines.extend(GLOBAL_KEYS.iter().map(row));
        draw_popup(
            frame,
            area,
            52,
            lines,
            "Help",
            Span::styled(" Esc or ? to close ", theme.muted),
            theme,
        );
    }
}

/// Break `text` at spaces into at most `max_lines` lines of at most `width` columns; a word
/// longer than a line (a URL) is broken across lines so it shows whole. Width 0 gives one
/// empty line.
fn wrap_words(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = vec![String::new()];
    if width == 0 {
        return lines;
    }
    let mut used = 0;
    for word in text.split(' ').flat_map(|w| split_long(w, width)) {
        let w = Span::raw(word.as_str()).width();
        if used > 0 && used + 1 + w > width {
            if lines.len() == max_lines {
                break;
            }
            lines.push(String::new());
            used = 0;
        }
        let line = lines.last_mut().expect("one line at least");
        if used > 0 {
            line.push(' ');
            used += 1;
        }
        line.push_str(&word);
        used += w;
    }
    lines
}

/// `word` in pieces of at most `width` columns (one piece when it fits).
fn split_long(word: &str, width: usize) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut used = 0;
    for c in word.chars() {
        let w = Span::raw(c.to_string()).width();
        if used + w > width && used > 0 {
            pieces.push(String::new());
            used = 0;
        }
        pieces.last_mut().expect("one piece").push(c);
        used += w;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::wrap_words;

    #[test]
    fn toast_text_wraps_at_spaces() {
        assert_eq!(wrap_words("a bb ccc", 4, 3), ["a bb", "ccc"]);
        assert_eq!(wrap_words("a bb ccc dd", 4, 2), ["a bb", "ccc"]);
        assert_eq!(wrap_words("short", 20, 3), ["short"]);
        assert_eq!(wrap_words("x", 0, 3), [""]);
        // A URL longer than the toast is broken across lines, never cut.
        assert_eq!(
            wrap_words("go to https://e.x/abcdefgh now", 8, 4),
            ["go to", "https://", "e.x/abcd", "efgh now"]
        );
    }
}
