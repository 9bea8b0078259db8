//! What the screens share: a read-only [`View`] of the state (catalog, the cache as last
//! peeked, statistics, status, theme, the time) and the [`ScreenCtx`] around it, whose
//! methods are the few services a screen may ask for: re-read the cache, read it counted,
//! toast, warm now, spawn a background task, copy a link to the clipboard. Owned by the app,
//! changed only by the UI loop.

use std::any::Any;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::catalog::{Catalog, Check};
use crate::store::redis::RedisStore;
use crate::store::{Backing, Cached, QuotaStore};
use crate::tui::event::Event;
use crate::tui::shared::{SharedView, request_warm_now};
use crate::tui::task::spawn_task;
use crate::tui::theme::Theme;
use crate::tui::toast::{ProgressToast, ToastLevel, Toasts};
use crate::tui::widgets::status::WarmStatus;
use crate::warmer::{StatsSnapshot, WarmNow, WarmerConfig, WarmerHandle};

/// The state every screen reads and draws from; screens cannot change it.
pub struct View {
    /// `quota-tui · <title>`: the project ID, or `DEMO`.
    title: String,
    /// The project the quotas are of (the demo's own in demo mode): for console links.
    project: String,
    catalog: Catalog,
    theme: Theme,
    /// Every check in catalog order: GPU (type-major), then C3.
    checks: Vec<Check>,
    /// `checks` as last peeked from the cache (not counted as hits or misses).
    snapshot: Vec<Cached>,
    stats: StatsSnapshot,
    next_rewarm_in: Option<Duration>,
    status: WarmStatus,
    now: Instant,
    wall_now: DateTime<Utc>,
    screen_titles: Vec<(&'static str, &'static str)>,
    warmer_config: WarmerConfig,
    ttl: Duration,
    /// What keeps the cache (SPEC §11), as of the last refresh.
    backing: Backing,
    /// The shared store's link, lease and holder's progress, when the cache is shared.
    shared: Option<SharedView>,
}

impl View {
    /// The project ID, or `DEMO`.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The project the quotas are of (the demo's own project in demo mode), for the Cloud
    /// Console's links.
    pub fn project(&self) -> &str {
        &self.project
    }

    /// GPU types, regions, capacity.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Styles (colours, or `NO_COLOR`).
    pub fn theme(&self) -> &Theme {
        &self.theme
    }

    /// Every check in catalog order: GPU (type-major), then C3.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// [`Self::checks`] as last peeked from the cache, in the same order.
    pub fn snapshot(&self) -> &[Cached] {
        &self.snapshot
    }

    /// Warmer statistics as of the last event.
    pub fn stats(&self) -> &StatsSnapshot {
        &self.stats
    }

    /// Time to the next refresh-ahead cycle, when the current one is complete.
    pub fn next_rewarm_in(&self) -> Option<Duration> {
        self.next_rewarm_in
    }

    /// The status widget's state.
    pub fn status(&self) -> &WarmStatus {
        &self.status
    }

    /// The time of the event being handled (tokio clock): toasts and tasks are timed on it.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Titles and summaries of the screens, in digit-key order (the tab bar, Home's list).
    pub fn screen_titles(&self) -> &[(&'static str, &'static str)] {
        &self.screen_titles
    }

    /// The warmer's settings (interval, TTL, refresh-ahead, `--once`).
    pub fn warmer_config(&self) -> &WarmerConfig {
        &self.warmer_config
    }

    /// The store's TTL.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// What keeps the cache: memory, a snapshot, or Redis (the Cache screen).
    pub fn backing(&self) -> &Backing {
        &self.backing
    }

    /// The shared store's side, when the cache is shared on Redis.
    pub fn shared(&self) -> Option<&SharedView> {
        self.shared.as_ref()
    }

    /// Number of GPU checks (they come first in [`Self::checks`]).
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

    /// Age of a cached good value now (the store's wall clock).
    pub fn age(&self, cached: &Cached) -> Option<Duration> {
        cached.age(self.wall_now)
    }

    /// The time of the event being handled on the store's wall clock: what ages are
    /// measured against, and when a job's states were seen.
    pub fn wall_now(&self) -> DateTime<Utc> {
        self.wall_now
    }
}

/// The [`View`] and the services: the warmer (and the cache it fills), the app's event
/// queue, the toasts.
pub struct ScreenCtx {
    view: View,
    warmer: WarmerHandle,
    events: mpsc::Sender<Event>,
    toasts: Toasts,
    /// The screen the app is calling (its index): where a task it spawns reports back.
    caller: usize,
    /// Bytes for the terminal that draw nothing (OSC 52 clipboard writes), written by the
    /// UI loop after the events it handled ([`crate::tui::clipboard`]).
    terminal_out: Vec<u8>,
}

impl ScreenCtx {
    /// The context of an app titled `title` over `warmer`, with the cache peeked now.
    /// `project` is the project the quotas are of (console links); `events` is the app's
    /// queue; `screen_titles` the screens in digit-key order; `shared` the Redis store when
    /// the cache is shared (the status then follows the lease holder's progress where this
    /// instance does not warm).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        title: String,
        project: String,
        catalog: Catalog,
        theme: Theme,
        warmer: WarmerHandle,
        events: mpsc::Sender<Event>,
        screen_titles: Vec<(&'static str, &'static str)>,
        shared: Option<Arc<RedisStore>>,
    ) -> Self {
        let progress = warmer.progress();
        let shared = shared.map(|redis| SharedView::new(redis, progress.ever_complete));
        let checks = catalog.all_checks();
        let status = shared
            .as_ref()
            .and_then(|s| s.reader_status(checks.len()))
            .unwrap_or_else(|| WarmStatus::from_progress(progress));
        let view = View {
            title,
            project,
            checks,
            catalog,
            theme,
            snapshot: Vec::new(),
            stats: warmer.stats(),
            next_rewarm_in: None,
            status,
            now: Instant::now(),
            wall_now: DateTime::default(),
            screen_titles,
            warmer_config: warmer.config().clone(),
            ttl: warmer.store().ttl(),
            backing: warmer.store().backing(),
            shared,
        };
        let mut ctx = ScreenCtx {
            view,
            warmer,
            events,
            toasts: Toasts::default(),
            caller: 0,
            terminal_out: Vec::new(),
        };
        ctx.refresh();
        ctx
    }

    /// The state, read-only.
    pub fn view(&self) -> &View {
        &self.view
    }

    /// The live toasts.
    pub fn toasts(&self) -> &Toasts {
        &self.toasts
    }

    /// Re-read the clock, the cache (peek), the statistics and the re-warm countdown; true
    /// when the cache snapshot changed (a value landed, or one turned stale).
    pub fn refresh(&mut self) -> bool {
        let v = &mut self.view;
        v.now = Instant::now();
        v.wall_now = self.warmer.store().now();
        let snapshot = self.warmer.store().peek(&v.checks);
        let changed = snapshot != v.snapshot;
        v.snapshot = snapshot;
        v.stats = self.warmer.stats();
        v.next_rewarm_in = self.warmer.next_rewarm_in();
        v.backing = self.warmer.store().backing();
        changed
    }

    /// The cache the warmer fills: for counted reads (a screen's load) and for fresh values
    /// a screen writes into it.
    pub fn store(&self) -> &Arc<dyn QuotaStore> {
        self.warmer.store()
    }

    /// Show a toast from now.
    pub fn toast(&mut self, text: impl Into<String>, level: ToastLevel) {
        self.toasts.push(text, level, self.view.now);
    }

    /// Ask the warmer for a new cycle now and toast its answer (SPEC §7 "warm now"): this
    /// instance's warmer, as the one progress toast (asking again replaces it, and its
    /// count follows the cycle), or, where another instance holds the shared cache's lease,
    /// a request to it whose answer comes later as a toast (`None` here; SPEC §11).
    pub fn warm_now(&mut self) -> Option<WarmNow> {
        if let Some(shared) = self.view.shared.as_ref().filter(|s| !s.warms_here()) {
            let who = shared.holder_name();
            request_warm_now(shared.redis().clone(), self.events.clone());
            self.toast(
                format!("🔄 Asking the warmer ({who}) to warm now…"),
                ToastLevel::Ok,
            );
            return None;
        }
        let answer = self.warmer.warm_now();
        let kind = match answer {
            WarmNow::Started => ProgressToast::WarmStarted,
            WarmNow::AlreadyRunning => ProgressToast::AlreadyWarming,
        };
        let p = self.warmer.progress();
        self.toasts
            .push_progress(kind, p.done, p.total, self.view.now);
        Some(answer)
    }

    /// Put `text` on the clipboard of the user's terminal (OSC 52, [`crate::tui::clipboard`]:
    /// over SSH and inside tmux with `set-clipboard on`) and say so in a toast naming `what`
    /// was copied (`the quota-increase link`). The UI loop writes the sequence after this
    /// event; nothing reaches the terminal from here.
    pub fn copy(&mut self, text: &str, what: &str) {
        self.terminal_out
            .extend_from_slice(crate::tui::clipboard::osc52(text).as_bytes());
        self.toast(crate::tui::clipboard::copied_toast(what), ToastLevel::Ok);
    }

    /// Run `work` in the background for the calling screen; its output comes back to that
    /// screen's [`Screen::on_task`](super::Screen::on_task) ([`crate::tui::task`]). `name`
    /// is logged if the UI quits first.
    pub fn spawn<T, F>(&self, name: &'static str, work: F) -> JoinHandle<()>
    where
        T: Any + Send,
        F: Future<Output = T> + Send + 'static,
    {
        spawn_task(self.events.clone(), self.caller, name, work)
    }

    // For the app: the loop's side of the state.

    /// The screen about to be called (where its tasks report back).
    pub(in crate::tui) fn set_caller(&mut self, screen: usize) {
        self.caller = screen;
    }

    /// Take the time of a new event (tokio clock and the store's wall clock).
    pub(in crate::tui) fn stamp(&mut self) {
        self.view.now = Instant::now();
        self.view.wall_now = self.warmer.store().now();
    }

    /// The status widget's state, to fold a warmer event in.
    pub(in crate::tui) fn status_mut(&mut self) -> &mut WarmStatus {
        &mut self.view.status
    }

    /// Read the status from the warmer's progress again (missed events), keeping the last
    /// batch's level.
    pub(in crate::tui) fn resync_status(&mut self) {
        let level = self.view.status.level;
        self.view.status = WarmStatus::from_progress(self.warmer.progress());
        self.view.status.level = level;
    }

    /// The live toasts, to keep the progress toast current.
    pub(in crate::tui) fn toasts_mut(&mut self) -> &mut Toasts {
        &mut self.toasts
    }

    /// The shared store's side, to fold its events in.
    pub(in crate::tui) fn shared_mut(&mut self) -> Option<&mut SharedView> {
        self.view.shared.as_mut()
    }

    /// Set the status widget's state (from the lease holder's progress, or this instance's
    /// warmer after it took the lease).
    pub(in crate::tui) fn set_status(&mut self, status: WarmStatus) {
        self.view.status = status;
    }

    /// The cache is warm though this instance's warmer completed no cycle (the shared
    /// store's holder did): reads from now on count in the steady-state hit rate.
    pub(in crate::tui) fn mark_warm(&self) {
        self.warmer.mark_warm();
    }

    /// The status as this instance's own warmer has it.
    pub(in crate::tui) fn own_status(&self) -> WarmStatus {
        WarmStatus::from_progress(self.warmer.progress())
    }

    /// Drop the toasts expired now; true when any was.
    pub(in crate::tui) fn expire_toasts(&mut self) -> bool {
        self.toasts.expire(self.view.now)
    }

    /// Expiry times of toasts shown since the last call.
    pub(in crate::tui) fn take_toast_deadlines(&mut self) -> Vec<Instant> {
        self.toasts.take_deadlines()
    }

    /// The bytes for the terminal asked for since the last call ([`Self::copy`]).
    pub(in crate::tui) fn take_terminal_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.terminal_out)
    }
}
