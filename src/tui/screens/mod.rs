//! The screens of SPEC §10 and what they share.
//!
//! A screen is a type implementing [`Screen`]; [`screen_table`] lists them in the order of
//! their digit keys (`1` Home, `2` Infra, ...). Adding a screen is one new file here and one
//! line in the table. Screens keep their own state (scroll positions, a log tail) and what
//! only they read (the Cache screen's credentials line, the Logs screen's folder, the Launch
//! screen's clients); what they share is the [`ScreenCtx`]: a read-only [`View`] (catalog,
//! the cache as last peeked, statistics, status, theme, time) and a few services (re-read,
//! toast, warm now, spawn a task), owned by the `App` and changed only by the UI loop.
//! A screen's background work comes back to it as a generic task payload
//! ([`Screen::on_task`], [`crate::tui::task`]).

pub mod cache;
pub mod ctx;
pub mod home;
pub mod infra;
pub mod launch;
pub mod logs;

use std::path::PathBuf;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::keys::KeyHint;
use super::task::Payload;
use super::widgets::filter::Filter;
use crate::warmer::WarmerEvent;
pub use ctx::{ScreenCtx, View};

/// What a screen's key handler asks of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// Not this screen's key: the app may try its global keys.
    Ignored,
    /// Handled; redraw.
    Redraw,
    /// Open the screen at this index of [`screen_table`].
    Open(usize),
}

/// One screen of the TUI.
pub trait Screen {
    /// The title shown in the tab bar and the screen's frame.
    fn title(&self) -> &'static str;

    /// One line on what the screen is for (the home screen's list).
    fn summary(&self) -> &'static str;

    /// The screen's key table: footer hints and the first part of the `?` help.
    fn keys(&self) -> &'static [KeyHint];

    /// Called when the screen is switched to (and once at start for the first screen).
    fn on_enter(&mut self, _ctx: &mut ScreenCtx) {}

    /// Called when another screen is switched to: what the screen follows only while it is
    /// shown stops here (the Launch screen's job poll), and its popups close.
    fn on_leave(&mut self, _ctx: &mut ScreenCtx) {}

    /// True while the screen wants every key first (a text field), before the global keys.
    fn captures_input(&self) -> bool {
        false
    }

    /// True while printable keys type into a field (`q`, `?` and digits included): the
    /// footer then shows only the screen's own hints.
    fn typing(&self) -> bool {
        false
    }

    /// A key pressed while this screen is shown.
    fn on_key(&mut self, _key: &KeyEvent, _ctx: &mut ScreenCtx) -> Reply {
        Reply::Ignored
    }

    /// The mouse wheel turned (`down` = towards the end of the list).
    fn on_wheel(&mut self, _down: bool, _ctx: &mut ScreenCtx) -> Reply {
        Reply::Ignored
    }

    /// The left button was pressed at (`column`, `row`) of the terminal, inside the area
    /// the screen last drew in: a screen with a row selection selects the row there.
    fn on_click(&mut self, _column: u16, _row: u16, _ctx: &mut ScreenCtx) -> Reply {
        Reply::Ignored
    }

    /// The screen's `/` filter, if it has one: while it is open the app draws its input in
    /// place of the footer.
    fn filter(&self) -> Option<&Filter> {
        None
    }

    /// A warmer event arrived while this screen is shown (the ctx is already refreshed);
    /// true to redraw for the screen's own sake.
    fn on_warmer(&mut self, _event: &WarmerEvent, _ctx: &mut ScreenCtx) -> bool {
        false
    }

    /// The 1 s clock ticked while this screen is shown; true to redraw (ages changed).
    fn on_tick(&mut self, _ctx: &mut ScreenCtx) -> bool {
        false
    }

    /// A task this screen spawned ([`ScreenCtx::spawn`]) ended with `payload`, whether or
    /// not the screen is `shown`; a screen not shown says what happened with a toast.
    fn on_task(&mut self, _payload: Payload, _shown: bool, _ctx: &mut ScreenCtx) {}

    /// While a request the screen sent may still create something remotely (the Launch
    /// screen's CustomJob submission), the project it may create it in: quitting then asks
    /// first, and leaves that project's console link.
    fn submission_pending(&self) -> Option<&str> {
        None
    }

    /// Draw into `area` from the view alone.
    fn draw(&self, frame: &mut Frame, area: Rect, view: &View);
}

/// The screens in digit-key order: `1` Home, `2` Infra, `3` Launch, `4` Cache, `5` Logs,
/// each given what only it reads: the Cache screen the `credentials` line (never a secret),
/// the Logs screen the folder of `cache_warm.log`, the Launch screen its clients.
pub fn screen_table(
    credentials: String,
    log_dir: PathBuf,
    launch: launch::LaunchClients,
) -> Vec<Box<dyn Screen>> {
    vec![
        Box::new(home::Home::default()),
        Box::new(infra::Infra::default()),
        Box::new(launch::Launch::new(launch)),
        Box::new(cache::CacheScreen::new(credentials)),
        Box::new(logs::Logs::new(log_dir)),
    ]
}

pub use crate::durations::fmt_age;

#[cfg(test)]
mod tests {
    use super::*;

    struct Unused;

    #[async_trait::async_trait]
    impl crate::gcp::QuotaSource for Unused {
        async fn fetch_metric(
            &self,
            _request: &crate::catalog::MetricRequest,
        ) -> Result<Vec<Result<crate::catalog::Limit, crate::gcp::ApiError>>, crate::gcp::ApiError>
        {
            unreachable!("never asked")
        }
    }

    #[test]
    fn table_has_the_five_screens_in_digit_order() {
        let clients = launch::LaunchClients {
            project: "p".into(),
            quota: std::sync::Arc::new(Unused),
            vertex: None,
        };
        let table = screen_table(String::new(), PathBuf::new(), clients);
        let titles: Vec<_> = table.iter().map(|s| s.title()).collect();
        assert_eq!(titles, ["Home", "Infra", "Launch", "Cache", "Logs"]);
    }
}
