//! The screens of SPEC §10 and what they share.
//!
//! A screen is a type implementing [`Screen`]; [`screen_table`] lists them in the order of
//! their digit keys (`1` Home, `2` Infra, ...). Adding a screen is one new file here and one
//! line in the table. Screens keep their own state (scroll positions, a log tail); what they
//! share — catalog, warmer handle, the cache as last peeked, statistics, toasts, the launch
//! clients and the sender of the app's event queue — is the [`ScreenCtx`], owned by the
//! `App` and changed only by the UI loop.

pub mod cache;
pub mod home;
pub mod infra;
pub mod launch;
pub mod logs;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::event::Event;
use super::keys::KeyHint;
use super::shared::SharedView;
use super::status::WarmStatus;
use super::theme::Theme;
use super::toast::{ToastLevel, Toasts};
use crate::catalog::{Catalog, Check};
use crate::store::Cached;
use crate::warmer::{StatsSnapshot, WarmNow, WarmerEvent, WarmerHandle};
use launch::{LaunchClients, LaunchEvent};

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

    /// A warmer event arrived while this screen is shown (the ctx is already refreshed);
    /// true to redraw for the screen's own sake.
    fn on_warmer(&mut self, _event: &WarmerEvent, _ctx: &mut ScreenCtx) -> bool {
        false
    }

    /// The 1 s clock ticked while this screen is shown; true to redraw (ages changed).
    fn on_tick(&mut self, _ctx: &mut ScreenCtx) -> bool {
        false
    }

    /// A Launch screen task ended (delivered to every screen, whichever is shown); true
    /// when this screen took it.
    fn on_launch(&mut self, _event: &LaunchEvent, _ctx: &mut ScreenCtx) -> bool {
        false
    }

    /// True while a request the screen sent may still create something remotely (the
    /// Launch screen's CustomJob submission): quitting then asks first.
    fn submission_pending(&self) -> bool {
        false
    }

    /// Draw into `area` from state alone.
    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &ScreenCtx);
}

/// The screens in digit-key order: `1` Home, `2` Infra, `3` Launch, `4` Cache, `5` Logs.
pub fn screen_table() -> Vec<Box<dyn Screen>> {
    vec![
        Box::new(home::Home::default()),
        Box::new(infra::Infra::default()),
        Box::new(launch::Launch::default()),
        Box::new(cache::CacheScreen::default()),
        Box::new(logs::Logs::default()),
    ]
}

/// State every screen reads: owned by the app, changed only by the UI loop.
pub struct ScreenCtx {
    /// `quota-tui · <title>`: the project ID, or `DEMO`.
    pub title: String,
    /// What the credentials are (`credentials: ...`), shown on the Cache screen.
    pub credentials: String,
    pub demo: bool,
    pub catalog: Catalog,
    pub warmer: WarmerHandle,
    /// Folder of `cache_warm.log` (the Logs screen).
    pub log_dir: PathBuf,
    pub theme: Theme,
    /// The time of the event being handled (tokio clock): toasts and tasks are timed on it.
    pub now: Instant,
    /// The same moment on the store's wall clock: the ages of cached values are measured
    /// against it.
    pub wall_now: DateTime<Utc>,
    /// Every check in catalog order: GPU (type-major), then C3.
    pub checks: Vec<Check>,
    /// `checks` as last peeked from the cache (not counted as hits or misses).
    pub snapshot: Vec<Cached>,
    /// Warmer statistics as of the last event.
    pub stats: StatsSnapshot,
    /// Time to the next refresh-ahead cycle, when the current one is complete.
    pub next_rewarm_in: Option<Duration>,
    pub status: WarmStatus,
    pub toasts: Toasts,
    /// Titles and summaries of [`screen_table`], for the tab bar and the home screen.
    pub screen_titles: Vec<(&'static str, &'static str)>,
    /// The project and clients the Launch screen checks and submits with.
    pub launch: LaunchClients,
    /// The app's one event queue: spawned tasks report back on it.
    pub events: mpsc::Sender<Event>,
    /// The shared store's link, lease and holder's progress, when the cache is shared.
    pub shared: Option<SharedView>,
}

impl ScreenCtx {
    /// Re-read the clock, the cache (peek), the statistics and the re-warm countdown; true
    /// when the cache snapshot changed (a value landed, or one turned stale).
    pub fn refresh(&mut self) -> bool {
        self.now = Instant::now();
        self.wall_now = self.warmer.store().now();
        let snapshot = self.warmer.store().peek(&self.checks);
        let changed = snapshot != self.snapshot;
        self.snapshot = snapshot;
        self.stats = self.warmer.stats();
        self.next_rewarm_in = self.warmer.next_rewarm_in();
        changed
    }

    /// Number of GPU checks (they come first in `checks`).
    pub fn gpu_len(&self) -> usize {
        self.catalog.gpu_types.len() * self.catalog.gpu_regions.len()
    }

    /// The snapshot entry of GPU type `type_idx` in GPU region `region_idx`.
    pub fn gpu_cached(&self, type_idx: usize, region_idx: usize) -> Option<&Cached> {
        self.snapshot
            .get(type_idx * self.catalog.gpu_regions.len() + region_idx)
    }

    /// The snapshot entries of the C3 checks, in catalog order.
    pub fn c3_cached(&self) -> &[Cached] {
        self.snapshot.get(self.gpu_len()..).unwrap_or(&[])
    }

    /// Age of a cached good value at `wall_now`.
    pub fn age(&self, cached: &Cached) -> Option<Duration> {
        cached.age(self.wall_now)
    }

    /// Show a toast from now.
    pub fn toast(&mut self, text: impl Into<String>, level: ToastLevel) {
        self.toasts.push(text, level, self.now);
    }

    /// Ask the warmer for a new cycle now and toast its answer (SPEC §7 "warm now"): this
    /// instance's warmer, or, where another instance holds the shared cache's lease, a
    /// request to it whose answer comes later as a toast (`None` here; SPEC §11).
    pub fn warm_now(&mut self) -> Option<WarmNow> {
        if let Some(shared) = self.shared.as_ref().filter(|s| !s.warms_here()) {
            let who = shared.holder_name();
            super::shared::request_warm_now(shared.redis().clone(), self.events.clone());
            self.toast(
                format!("🔄 Asking the warmer ({who}) to warm now…"),
                ToastLevel::Ok,
            );
            return None;
        }
        let answer = self.warmer.warm_now();
        match answer {
            WarmNow::Started => self.toast("🔄 Warming now: new cycle started", ToastLevel::Ok),
            WarmNow::AlreadyRunning => {
                let p = self.warmer.progress();
                self.toast(
                    format!("⏳ Already warming ({}/{})", p.done, p.total),
                    ToastLevel::Warn,
                );
            }
        }
        Some(answer)
    }
}

pub use crate::durations::fmt_age;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_the_five_screens_in_digit_order() {
        let titles: Vec<_> = screen_table().iter().map(|s| s.title()).collect();
        assert_eq!(titles, ["Home", "Infra", "Launch", "Cache", "Logs"]);
    }
}
