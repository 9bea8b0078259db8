//! The Launch screen (SPEC §10, key `3`): choose a GPU type, count, spot or on-demand, a
//! container image and a job name; `c` checks that GPU type's quota fresh in every region
//! (never the cache) and ranks the regions (a region that does not offer the type never
//! fits); `s` submits a Vertex AI CustomJob to the chosen region after a confirmation, going
//! on to the next fitting regions (3 in all) when Vertex AI answers `quota_exceeded`
//! (`launch::submit`, shared with `quota-tui launch`); `d` shows the request instead.
//!
//! The network work runs in spawned tasks ([`tasks`]) that report back through the app's one
//! event queue as `Event::Launch`; until then the screen shows "checking…" or
//! "submitting…" and stays responsive. The screen wants every key first
//! ([`Screen::captures_input`]): Tab moves between fields here, and while a text field is
//! edited every printable key types (digits and `q` included); keys it does not use fall
//! through to the global ones.

mod form;
mod tasks;
mod view;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use serde_json::Value;
use tokio::time::Instant;

use super::{Reply, Screen, ScreenCtx, fmt_age};
use crate::catalog::{Capacity, GpuType};
use crate::launch::{
    FreshCheck, LaunchPlan, LaunchRequest, PlanError, RankedRegion, Submission, common_failure,
    create_order,
};
use crate::tui::keys::KeyHint;
pub use form::{Field, Form, TextField};
pub use tasks::{LaunchClients, LaunchEvent, spawn_check, spawn_submit};

/// How long a fresh check is trusted for a submission; after that `s` asks for a new `c`
/// (a launch must not act on stale numbers, SPEC §1).
pub const MAX_CHECK_AGE: Duration = Duration::from_secs(5 * 60);

const KEYS: &[KeyHint] = &[
    KeyHint::main("j/k", "field"),
    KeyHint::main("←/→", "change"),
    KeyHint::main("c", "check"),
    KeyHint::main("s", "submit"),
    KeyHint::main("d", "dry run"),
    KeyHint::more("Enter", "edit the image or job name"),
    KeyHint::more("Tab/↑/↓", "next / previous field (here)"),
    KeyHint::more("Space/h/l", "change a choice"),
];

const EDIT_KEYS: &[KeyHint] = &[
    KeyHint::main("Esc/Enter", "done"),
    KeyHint::main("Tab/↑/↓", "other field"),
    KeyHint::main("Ctrl-U", "clear"),
    KeyHint::more("←/→ Home/End", "move the cursor"),
    KeyHint::more("Backspace/Del", "delete"),
];

const CONFIRM_KEYS: &[KeyHint] = &[
    KeyHint::main("y/Enter", "submit"),
    KeyHint::main("n/Esc", "cancel"),
];

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
    /// `d`: the request that `s` would send.
    DryRun {
        plan: LaunchPlan,
        url: String,
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

/// The Launch screen's state.
#[derive(Debug, Default)]
pub struct Launch {
    form: Form,
    /// The form was set up from the catalog (first `on_enter`).
    ready: bool,
    check: CheckState,
    outcome: Outcome,
    /// The plan awaiting y/n in the confirmation popup.
    confirm: Option<LaunchPlan>,
    /// One line of feedback on the last key (why `s` did nothing, ...).
    notice: Option<String>,
}

fn capacity_word(c: Capacity) -> &'static str {
    c.word()
}

impl Launch {
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

    fn start_check(&mut self, ctx: &mut ScreenCtx) {
        if let CheckState::Checking { gpu, .. } = self.check {
            self.notice = Some(format!("already checking {gpu}: one fresh check at a time"));
            return;
        }
        let regions = ctx.catalog.gpu_regions.clone();
        spawn_check(
            self.form.gpu,
            self.form.capacity,
            regions.clone(),
            ctx.launch.quota.clone(),
            Some(ctx.warmer.store().clone()),
            ctx.events.clone(),
        );
        self.check = CheckState::Checking {
            gpu: self.form.gpu,
            capacity: self.form.capacity,
            regions: regions.len(),
            started: ctx.now,
        };
        self.notice = None;
    }

    /// The plan `s` and `d` act on, or why there is none yet: what the form asks, checked as
    /// `quota-tui launch` checks it ([`LaunchPlan::from_request`]; a blank job name takes the
    /// default), then a fresh check of the form's GPU type and capacity, recent enough, and a
    /// region that fits.
    fn plan(&self, ctx: &ScreenCtx) -> Result<LaunchPlan, String> {
        let f = &self.form;
        let request = LaunchRequest {
            gpu: f.gpu,
            count: f.count,
            capacity: f.capacity,
            image: f.image.text().to_string(),
            name: Some(f.name.text().trim())
                .filter(|n| !n.is_empty())
                .map(str::to_string),
            region: None,
        };
        let plan =
            LaunchPlan::from_request(&request, &ctx.catalog.gpu_regions).map_err(|e| match e {
                PlanError::EmptyImage => {
                    "the image is empty: select Image, press Enter and type a URI".to_string()
                }
                e => e.to_string(),
            })?;
        let want = format!("{} ({})", f.gpu, capacity_word(f.capacity));
        let at = match &self.check {
            CheckState::Idle => return Err(format!("press c first: a launch checks {want} fresh")),
            CheckState::Checking { .. } => return Err("wait for the fresh check to finish".into()),
            CheckState::Done { fresh, at } => {
                if fresh.gpu != f.gpu || fresh.capacity != f.capacity {
                    return Err(format!(
                        "the last check was of {} ({}): press c to check {want}",
                        fresh.gpu,
                        capacity_word(fresh.capacity)
                    ));
                }
                *at
            }
        };
        let age = ctx.now.saturating_duration_since(at);
        if age > MAX_CHECK_AGE {
            return Err(format!(
                "the check is {} old: press c to check again",
                fmt_age(age)
            ));
        }
        let Some(region) = &f.region else {
            let ranking = self.ranking().map(|(_, r)| r).unwrap_or_default();
            let why = common_failure(&ranking).unwrap_or_else(|| "see the ranking".into());
            return Err(format!("no region can take {} × {want}: {why}", f.count));
        };
        Ok(plan.in_region(region))
    }

    fn ask_submit(&mut self, ctx: &mut ScreenCtx) {
        if matches!(self.outcome, Outcome::Submitting { .. }) {
            self.notice = Some("a submission is in flight: wait for its answer".into());
            return;
        }
        if ctx.launch.vertex.is_none() {
            self.notice = Some("no Vertex AI client (see quota-tui.log): cannot submit".into());
            return;
        }
        match self.plan(ctx) {
            Ok(plan) => {
                self.confirm = Some(plan);
                self.notice = None;
            }
            Err(why) => self.notice = Some(why),
        }
    }

    /// Submit `plan`: to its region, then to the other fitting regions of the ranking when
    /// Vertex AI answers `quota_exceeded` (`launch::create_order`).
    fn submit(&mut self, plan: LaunchPlan, ctx: &mut ScreenCtx) {
        let Some(vertex) = ctx.launch.vertex.clone() else {
            return;
        };
        let ranking = self.ranking().map(|(_, r)| r).unwrap_or_default();
        let regions = create_order(&ranking, &plan.region, false);
        spawn_submit(
            vertex,
            ctx.launch.project.clone(),
            plan.clone(),
            regions.clone(),
            ctx.events.clone(),
        );
        self.outcome = Outcome::Submitting {
            plan,
            regions,
            started: ctx.now,
        };
    }

    fn dry_run(&mut self, ctx: &mut ScreenCtx) {
        match self.plan(ctx) {
            Ok(plan) => {
                let project = &ctx.launch.project;
                let url = match &ctx.launch.vertex {
                    Some(v) => v
                        .custom_jobs_url(project, &plan.region)
                        .unwrap_or_else(|e| e.message),
                    None => format!(
                        "https://{r}-aiplatform.googleapis.com/v1/projects/{project}/locations/{r}/customJobs",
                        r = plan.region
                    ),
                };
                let body = plan.custom_job_body();
                self.outcome = Outcome::DryRun { plan, url, body };
                self.notice = None;
            }
            Err(why) => self.notice = Some(why),
        }
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

    fn on_edit_key(&mut self, key: &KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Esc | KeyCode::Enter => self.form.editing = false,
            KeyCode::Tab | KeyCode::Down => self.form.move_focus(true),
            KeyCode::BackTab | KeyCode::Up => self.form.move_focus(false),
            code => {
                let Some(text) = self.form.text_mut() else {
                    self.form.editing = false;
                    return;
                };
                match code {
                    KeyCode::Char('u') if ctrl => text.clear(),
                    KeyCode::Char(c) if !ctrl && !alt => text.insert(c),
                    KeyCode::Backspace => text.backspace(),
                    KeyCode::Delete => text.delete(),
                    KeyCode::Left => text.move_cursor(-1),
                    KeyCode::Right => text.move_cursor(1),
                    KeyCode::Home => text.cursor_to(false),
                    KeyCode::End => text.cursor_to(true),
                    _ => {}
                }
            }
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
        } else if self.form.editing {
            EDIT_KEYS
        } else {
            KEYS
        }
    }

    fn on_enter(&mut self, ctx: &mut ScreenCtx) {
        if !self.ready {
            self.form = Form::new(&ctx.catalog.gpu_types, ctx.catalog.capacity);
            self.ready = true;
        }
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
            _ => return Reply::Ignored,
        }
        Reply::Redraw
    }

    fn on_launch(&mut self, event: &LaunchEvent, ctx: &mut ScreenCtx) -> bool {
        match event {
            LaunchEvent::Checked(fresh) => {
                self.check = CheckState::Done {
                    fresh: fresh.clone(),
                    at: ctx.now,
                };
                self.sync_region();
                true
            }
            LaunchEvent::Submitted(submission) => {
                if !matches!(self.outcome, Outcome::Submitting { .. }) {
                    return false;
                }
                let Outcome::Submitting { plan, .. } = std::mem::take(&mut self.outcome) else {
                    return false;
                };
                self.outcome = Outcome::Done {
                    plan,
                    submission: submission.clone(),
                };
                true
            }
        }
    }

    fn on_tick(&mut self, _ctx: &mut ScreenCtx) -> bool {
        // Elapsed times and the check's age are shown to the second.
        !matches!(self.check, CheckState::Idle)
            || matches!(self.outcome, Outcome::Submitting { .. })
    }

    fn submission_pending(&self) -> bool {
        self.submission_in_flight().is_some()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &ScreenCtx) {
        view::draw(self, frame, area, ctx);
    }
}
