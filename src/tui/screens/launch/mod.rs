//! The Launch screen (SPEC §10, key `3`): choose a GPU type, count, spot or on-demand, a
//! container image and a job name; `c` checks that GPU type's quota fresh in every region
//! (never the cache) and ranks the regions (a region that does not offer the type never
//! fits); `s` submits a Vertex AI CustomJob to the chosen region after a confirmation, going
//! on to the next fitting regions (3 in all) when Vertex AI answers `quota_exceeded`
//! (`launch::submit`, shared with `quota-tui launch`); `d` shows the request instead.
//! The ranking says each region's verdict as `launch` prints it (`12 free of 16`, `2 free,
//! need 4`, `quota 0`, `not offered in REGION`, the error) and, where regions are short of
//! quota, that `i` copies the Cloud Console quota-increase link. After a submission the job
//! is followed (`follow`: `customJobs.get` every 10 s with `launch --wait`'s tracker and
//! policy, each state with its time, until it runs or ends; stopped when the user leaves the
//! screen, `f` resumes); `y` copies its console link (OSC 52).
//!
//! The network work runs in spawned tasks (`tasks`, through
//! [`ScreenCtx::spawn`](crate::tui::screens::ScreenCtx::spawn)) whose answers come back
//! through the app's one event queue as this screen's task payload; until then the screen
//! shows "checking…" or "submitting…" and stays responsive. `actions` holds what the keys
//! do, on the one launch flow `quota-tui launch` uses. The screen wants every key first
//! ([`Screen::captures_input`]): Tab moves between fields here, and while a text field is
//! edited every printable key types (digits and `q` included); keys it does not use fall
//! through to the global ones.

mod actions;
mod follow;
mod form;
mod keys;
mod tasks;
mod view;
mod view_job;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use serde_json::Value;
use tokio::time::Instant;

use super::{Reply, Screen, ScreenCtx, View};
use crate::catalog::{Capacity, GpuType};
use crate::launch::{FreshCheck, LaunchPlan, RankedRegion, Submission, WaitPolicy};
use crate::tui::keys::KeyHint;
use crate::tui::task::Payload;
use crate::tui::widgets::input::edit;
use crate::tui::widgets::popup::ScrollPopup;
use follow::Follow;
pub use form::{Field, Form};
use keys::{CONFIRM_KEYS, DRY_RUN_KEYS, EDIT_KEYS, KEYS};
pub use tasks::{LaunchClients, LaunchEvent};

/// How long a fresh check is trusted for a submission; after that `s` asks for a new `c`
/// (a launch must not act on stale numbers, SPEC §1).
pub const MAX_CHECK_AGE: Duration = Duration::from_secs(5 * 60);

/// Where the fresh check stands.
#[derive(Debug, Clone, Default)]
enum CheckState {
    /// None run yet.
    #[default]
    Idle,
    /// Running since `started` (tokio clock).
    Checking {
        gpu: GpuType,
        capacity: Capacity,
        regions: usize,
        started: Instant,
    },
    /// The last check, landed `at`.
    Done { fresh: FreshCheck, at: Instant },
}

/// Where the submission stands.
#[derive(Debug, Clone, Default)]
enum Outcome {
    #[default]
    None,
    /// `d`: the request that `s` would send: the Vertex AI client's URL for it (or why
    /// there is none) and the body.
    DryRun {
        plan: LaunchPlan,
        url: Result<String, String>,
        body: Value,
    },
    /// In flight: `plan` goes to `regions` in order (the first is `plan.region`).
    Submitting {
        plan: LaunchPlan,
        regions: Vec<String>,
        started: Instant,
    },
    /// Finished: the job, or why there is none, with every region's quota refusal.
    Done {
        plan: LaunchPlan,
        submission: Box<Submission>,
    },
}

/// The Launch screen's state, and the clients it checks and submits with.
#[derive(Debug)]
pub struct Launch {
    clients: LaunchClients,
    form: Form,
    /// The form was set up from the catalog (first `on_enter`).
    ready: bool,
    check: CheckState,
    outcome: Outcome,
    /// The plan awaiting y/n in the confirmation popup.
    confirm: Option<LaunchPlan>,
    /// The dry run's request in a scrollable popup, while it is open.
    dry_run_popup: Option<ScrollPopup>,
    /// One line of feedback on the last key (why `s` did nothing, ...).
    notice: Option<String>,
    /// Where the form's field rows were last drawn (for mouse clicks; drawing takes `&self`).
    form_rows: std::cell::Cell<Rect>,
    /// The submitted job being followed (or followed last), while its outcome is shown.
    follow: Option<Follow>,
    /// How the job is followed: every 10 s, backing off after failures
    /// ([`WaitPolicy::default`], as `launch --wait`).
    follow_policy: WaitPolicy,
}

fn capacity_word(c: Capacity) -> &'static str {
    c.word()
}

impl Launch {
    /// The screen, checking and submitting with `clients`.
    pub fn new(clients: LaunchClients) -> Self {
        Launch {
            clients,
            form: Form::default(),
            ready: false,
            check: CheckState::default(),
            outcome: Outcome::default(),
            confirm: None,
            dry_run_popup: None,
            notice: None,
            form_rows: std::cell::Cell::new(Rect::default()),
            follow: None,
            follow_policy: WaitPolicy::default(),
        }
    }

    /// The screen following submitted jobs as `policy` says (a short interval in tests).
    pub fn with_follow_policy(mut self, policy: WaitPolicy) -> Self {
        self.follow_policy = policy;
        self
    }

    /// The launch being submitted right now, if one is in flight (its CustomJob may be
    /// created whatever happens to the screen): the plan and the regions it asks, in order.
    pub fn submission_in_flight(&self) -> Option<(&LaunchPlan, &[String])> {
        match &self.outcome {
            Outcome::Submitting { plan, regions, .. } => Some((plan, regions)),
            _ => None,
        }
    }

    /// The last check's ranking for the form's count, when that check was of the form's GPU
    /// type and capacity.
    fn ranking(&self) -> Option<(&FreshCheck, Vec<RankedRegion>)> {
        match &self.check {
            CheckState::Done { fresh, .. }
                if fresh.gpu == self.form.gpu && fresh.capacity == self.form.capacity =>
            {
                Some((fresh, fresh.rank(self.form.count)))
            }
            _ => None,
        }
    }

    fn fitting(&self) -> Vec<RankedRegion> {
        self.ranking()
            .map(|(_, r)| r.into_iter().filter(|r| r.fits).collect())
            .unwrap_or_default()
    }

    fn sync_region(&mut self) {
        let fitting = self.fitting();
        let refs: Vec<&RankedRegion> = fitting.iter().collect();
        self.form.sync_region(&refs);
    }

    fn on_confirm_key(&mut self, key: &KeyEvent, ctx: &mut ScreenCtx) -> Reply {
        match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => {
                if let Some(plan) = self.confirm.take() {
                    self.submit(plan, ctx);
                }
            }
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                self.confirm = None;
                self.notice = Some("submission cancelled: nothing sent".into());
            }
            KeyCode::Char('q') => return Reply::Ignored,
            _ => {}
        }
        Reply::Redraw
    }

    /// A key while a text field is edited: Esc/Enter end the edit, Tab/↑/↓ go to another
    /// field, the rest edits ([`edit`]: every printable key types).
    fn on_edit_key(&mut self, key: &KeyEvent) {
        match key.code {
            KeyCode::Esc | KeyCode::Enter => self.form.editing = false,
            KeyCode::Tab | KeyCode::Down => self.form.move_focus(true),
            KeyCode::BackTab | KeyCode::Up => self.form.move_focus(false),
            _ => match self.form.text_mut() {
                Some(text) => {
                    edit(text, key);
                }
                None => self.form.editing = false,
            },
        }
    }

    /// A key while the dry run's popup is open: scroll keys scroll, Esc/Enter/d close, `q`
    /// and the rest fall through to the global keys.
    fn on_dry_run_key(&mut self, key: &KeyEvent) -> Reply {
        let Some(popup) = self.dry_run_popup.as_mut() else {
            return Reply::Ignored;
        };
        if popup.key(key) {
            return Reply::Redraw;
        }
        match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('d') => {
                self.dry_run_popup = None;
                Reply::Redraw
            }
            _ => Reply::Ignored,
        }
    }

    fn cycle(&mut self, forward: bool) {
        let fitting = self.fitting();
        let refs: Vec<&RankedRegion> = fitting.iter().collect();
        if self.form.cycle(forward, &refs) {
            self.sync_region();
            self.notice = None;
        }
    }
}

impl Screen for Launch {
    fn title(&self) -> &'static str {
        "Launch"
    }

    fn summary(&self) -> &'static str {
        "check a GPU fresh in every region and submit a training job"
    }

    fn keys(&self) -> &'static [KeyHint] {
        if self.confirm.is_some() {
            CONFIRM_KEYS
        } else if self.dry_run_popup.is_some() {
            DRY_RUN_KEYS
        } else if self.form.editing {
            EDIT_KEYS
        } else {
            KEYS
        }
    }

    fn on_enter(&mut self, ctx: &mut ScreenCtx) {
        if !self.ready {
            let catalog = ctx.view().catalog();
            self.form = Form::new(&catalog.gpu_types, catalog.capacity);
            self.ready = true;
        }
    }

    /// The job's follow stops (the ask in flight is aborted) and the popups close.
    fn on_leave(&mut self, _ctx: &mut ScreenCtx) {
        if let Some(follow) = self.follow.as_mut() {
            follow.stop();
        }
        self.dry_run_popup = None;
        if self.confirm.take().is_some() {
            self.notice = Some("submission cancelled: nothing sent".into());
        }
        self.form.editing = false;
    }

    /// Always: Tab moves between the form's fields, a text field being edited takes every
    /// key, and the confirmation popup takes y/n/Esc. Keys the screen does not use come back
    /// `Ignored` and reach the global keys.
    fn captures_input(&self) -> bool {
        true
    }

    fn typing(&self) -> bool {
        self.form.editing && self.confirm.is_none()
    }

    fn on_key(&mut self, key: &KeyEvent, ctx: &mut ScreenCtx) -> Reply {
        if self.confirm.is_some() {
            return self.on_confirm_key(key, ctx);
        }
        if self.dry_run_popup.is_some() {
            return self.on_dry_run_key(key);
        }
        if self.form.editing {
            self.on_edit_key(key);
            return Reply::Redraw;
        }
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return Reply::Ignored;
        }
        match key.code {
            KeyCode::Tab | KeyCode::Down | KeyCode::Char('j') => self.form.move_focus(true),
            KeyCode::BackTab | KeyCode::Up | KeyCode::Char('k') => self.form.move_focus(false),
            KeyCode::Right | KeyCode::Char('l' | ' ') => self.cycle(true),
            KeyCode::Left | KeyCode::Char('h') => self.cycle(false),
            KeyCode::Enter if self.form.focus.is_text() => {
                self.form.start_editing();
            }
            KeyCode::Char('c') => self.start_check(ctx),
            KeyCode::Char('s') => self.ask_submit(ctx),
            KeyCode::Char('d') => self.dry_run(ctx),
            KeyCode::Char('y') => self.copy_job_link(ctx),
            KeyCode::Char('i') => self.copy_increase_link(ctx),
            KeyCode::Char('f') => self.follow_again(ctx),
            _ => return Reply::Ignored,
        }
        Reply::Redraw
    }

    /// A task's answer; when the screen is not shown, or the answer is not for its current
    /// state, a toast says what happened (an answer about a job no longer followed is
    /// dropped).
    fn on_task(&mut self, payload: Payload, shown: bool, ctx: &mut ScreenCtx) {
        let Ok(event) = payload.downcast::<LaunchEvent>() else {
            tracing::warn!("the Launch screen got a task answer that is not its own");
            return;
        };
        if let LaunchEvent::Polled { .. } = *event {
            if let Some(follow) = self.follow.as_mut() {
                follow.land(&event, ctx);
            }
            return;
        }
        if !(self.land(&event, shown, ctx) && shown) {
            let (text, level) = event.toast();
            ctx.toast(text, level);
        }
    }

    /// A click on a field of the form focuses it (and edits it, for the image and the job
    /// name); nothing while a popup is open.
    fn on_click(&mut self, column: u16, row: u16, _ctx: &mut ScreenCtx) -> Reply {
        let rows = self.form_rows.get();
        if self.confirm.is_some()
            || self.dry_run_popup.is_some()
            || !rows.contains(ratatui::layout::Position::new(column, row))
        {
            return Reply::Ignored;
        }
        let Some(field) = Field::ALL.get((row - rows.y) as usize) else {
            return Reply::Ignored;
        };
        self.form.focus = *field;
        self.form.editing = false;
        self.form.start_editing();
        Reply::Redraw
    }

    fn on_tick(&mut self, _ctx: &mut ScreenCtx) -> bool {
        // Elapsed times and the check's age are shown to the second.
        !matches!(self.check, CheckState::Idle)
            || matches!(self.outcome, Outcome::Submitting { .. })
            || self.follow.as_ref().is_some_and(Follow::polling)
    }

    fn submission_pending(&self) -> Option<&str> {
        self.submission_in_flight()
            .map(|_| self.clients.project.as_str())
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        view::draw(self, frame, area, view);
    }
}
