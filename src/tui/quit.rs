//! Quitting while a CustomJob submission is in flight (issue 11).
//!
//! A create whose answer has not come back may still create the job: quitting then would
//! leave the user not knowing. So `q` / Ctrl-C ask first ("a submission is in flight: the job
//! may be created anyway; quit? y/n"); `y` (or a second Ctrl-C) quits, `n` / Esc stays. A
//! signal quits at once without asking (SIGTERM must end the process promptly). Whenever the
//! app quits with a submission in flight, it leaves a notice with the project's Vertex AI
//! custom jobs page, printed on stderr once the terminal is restored.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::app::Action;
use super::keys::{KeyHint, is_ctrl_c};
use super::theme::Theme;
use super::widgets::popup::draw_popup;
use crate::gcp::vertex::console_jobs_url;

/// The footer while the question is open.
pub const KEYS: &[KeyHint] = &[
    KeyHint::main("y/Ctrl-C", "quit anyway"),
    KeyHint::main("n/Esc", "stay"),
];

/// The question's state and the notice left for stderr.
#[derive(Debug, Default)]
pub struct QuitGuard {
    open: bool,
    notice: Option<String>,
}

impl QuitGuard {
    /// True while the question is shown.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The notice for stderr, once the app quit with a submission in flight.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// `q` or Ctrl-C: quit, unless a submission is in flight (`pending`: the project it may
    /// create a job in): then ask.
    pub fn request(&mut self, pending: Option<&str>) -> Action {
        if pending.is_some() {
            self.open = true;
            Action::Redraw
        } else {
            self.now(None)
        }
    }

    /// Quit without asking; with a submission in flight to project `pending`, leave the
    /// notice with that project's custom jobs page.
    pub fn now(&mut self, pending: Option<&str>) -> Action {
        if let Some(project) = pending {
            let url = console_jobs_url(project);
            tracing::warn!("quit with a CustomJob submission in flight; check {url}");
            self.notice = Some(format!(
                "a CustomJob submission was in flight when quota-tui quit: the job may have \
                 been created anyway; check {url}"
            ));
        }
        Action::Quit
    }

    /// A key while the question is open (`pending` as in [`Self::now`]).
    pub fn on_key(&mut self, key: &KeyEvent, pending: Option<&str>) -> Action {
        if is_ctrl_c(key) {
            return self.now(pending);
        }
        match key.code {
            KeyCode::Char('y' | 'Y') => self.now(pending),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                self.open = false;
                Action::Redraw
            }
            _ => Action::None,
        }
    }

    /// The submission was answered: close the question (nothing is in doubt any more); true
    /// when it was open.
    pub fn answered(&mut self) -> bool {
        std::mem::take(&mut self.open)
    }

    /// Draw the question, centred in `area`.
    pub fn draw(frame: &mut Frame, area: Rect, theme: &Theme) {
        let lines = vec![
            Line::styled("A submission is in flight:", theme.toast_warn),
            Line::raw("the job may be created anyway."),
            Line::raw(""),
            Line::from(vec![
                Span::raw("Quit? "),
                Span::styled("y", theme.key),
                Span::raw("/"),
                Span::styled("n", theme.key),
            ]),
        ];
        draw_popup(
            frame,
            area,
            40,
            lines,
            "Quit?",
            Span::styled(" y quit · n stay ", theme.muted),
            theme,
        );
    }
}
