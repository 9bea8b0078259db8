//! What the Launch screen's keys do (`c`, `s`, `d`, the confirmation) and what their tasks'
//! answers do to it. The launch itself is the one flow `quota-tui launch` uses: the form is
//! checked by [`LaunchPlan::from_request`], the job is created and read back by
//! `launch::submit` in a task ([`tasks`](super::tasks)), and the URL shown is the Vertex AI
//! client's own ([`VertexClient::custom_jobs_url`](crate::gcp::vertex::VertexClient::custom_jobs_url)).

use super::follow::Follow;
use super::tasks::{self, LaunchEvent};
use super::{CheckState, Launch, MAX_CHECK_AGE, Outcome, capacity_word};
use crate::catalog::QuotaMetric;
use crate::gcp::console::quota_increase_url;
use crate::launch::{LaunchPlan, LaunchRequest, PlanError, common_failure, create_order};
use crate::tui::screens::{ScreenCtx, fmt_age};
use crate::tui::widgets::popup::ScrollPopup;

impl Launch {
    /// `c`: check the form's GPU type fresh in every GPU region, in a task.
    pub(super) fn start_check(&mut self, ctx: &mut ScreenCtx) {
        if let CheckState::Checking { gpu, .. } = self.check {
            self.notice = Some(format!("already checking {gpu}: one fresh check at a time"));
            return;
        }
        let regions = ctx.view().catalog().gpu_regions.clone();
        ctx.spawn(
            "launch: fresh check",
            tasks::check(
                self.form.gpu,
                self.form.capacity,
                regions.clone(),
                self.clients.quota.clone(),
                Some(ctx.store().clone()),
            ),
        );
        self.check = CheckState::Checking {
            gpu: self.form.gpu,
            capacity: self.form.capacity,
            regions: regions.len(),
            started: ctx.view().now(),
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
            image: f.image.value().to_string(),
            name: Some(f.name.value().trim())
                .filter(|n| !n.is_empty())
                .map(str::to_string),
            region: None,
        };
        let plan =
            LaunchPlan::from_request(&request, &ctx.view().catalog().gpu_regions).map_err(|e| {
                match e {
                    PlanError::EmptyImage => {
                        "the image is empty: select Image, press Enter and type a URI".to_string()
                    }
                    e => e.to_string(),
                }
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
        let age = ctx.view().now().saturating_duration_since(at);
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

    /// `s`: open the confirmation for the plan, or say why there is none.
    pub(super) fn ask_submit(&mut self, ctx: &mut ScreenCtx) {
        if matches!(self.outcome, Outcome::Submitting { .. }) {
            self.notice = Some("a submission is in flight: wait for its answer".into());
            return;
        }
        if self.clients.vertex.is_none() {
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

    /// `y`: submit `plan` in a task: to its region, then to the other fitting regions of the
    /// ranking when Vertex AI answers `quota_exceeded` (`launch::create_order`).
    pub(super) fn submit(&mut self, plan: LaunchPlan, ctx: &mut ScreenCtx) {
        let Some(vertex) = self.clients.vertex.clone() else {
            return;
        };
        let ranking = self.ranking().map(|(_, r)| r).unwrap_or_default();
        let regions = create_order(&ranking, &plan.region, false);
        ctx.spawn(
            "launch: submission",
            tasks::submission(
                vertex,
                self.clients.project.clone(),
                plan.clone(),
                regions.clone(),
            ),
        );
        self.outcome = Outcome::Submitting {
            plan,
            regions,
            started: ctx.view().now(),
        };
        self.follow = None;
    }

    /// `d`: show the request `s` would send (the client's URL and the body, pretty-printed)
    /// in a scrollable popup; nothing is sent.
    pub(super) fn dry_run(&mut self, ctx: &mut ScreenCtx) {
        match self.plan(ctx) {
            Ok(plan) => {
                let url = match &self.clients.vertex {
                    Some(v) => v
                        .custom_jobs_url(&self.clients.project, &plan.region)
                        .map_err(|e| e.message),
                    None => Err("no Vertex AI client (see quota-tui.log)".to_string()),
                };
                let body = plan.custom_job_body();
                self.outcome = Outcome::DryRun { plan, url, body };
                self.follow = None;
                self.dry_run_popup = Some(ScrollPopup::default());
                self.notice = None;
            }
            Err(why) => self.notice = Some(why),
        }
    }

    /// `y`: copy the submitted job's console link (OSC 52), or say there is none yet.
    pub(super) fn copy_job_link(&mut self, ctx: &mut ScreenCtx) {
        match &self.outcome {
            Outcome::Done { submission, .. } => match &submission.outcome {
                Ok(created) => {
                    // The job ID in the link came from the server: sanitised like the
                    // line that shows it.
                    let url = crate::sanitize::sanitize(&created.console_url);
                    ctx.copy(&url, "the job's console link");
                    self.notice = None;
                }
                Err(_) => self.notice = Some("no job was created: no link to copy".into()),
            },
            _ => self.notice = Some("y copies a job's link once s has submitted one".into()),
        }
    }

    /// `f`: follow the job again (after the user left the screen, or asking failed).
    pub(super) fn follow_again(&mut self, ctx: &mut ScreenCtx) {
        let resumed = self.follow.as_mut().is_some_and(|f| f.resume(ctx));
        self.notice = (!resumed).then(|| match &self.follow {
            Some(_) => "the job is followed already, or it ran or ended".to_string(),
            None => "no job to follow: s submits one".to_string(),
        });
    }

    /// `i`: copy the Cloud Console quota page of the checked GPU type and capacity (where an
    /// increase is asked for, [`quota_increase_url`]), or say there is no check yet.
    pub(super) fn copy_increase_link(&mut self, ctx: &mut ScreenCtx) {
        let CheckState::Done { fresh, .. } = &self.check else {
            self.notice = Some("press c first: i copies the checked GPU's quota page".into());
            return;
        };
        let metric = QuotaMetric::Gpu {
            gpu: fresh.gpu,
            capacity: fresh.capacity,
        };
        let url = quota_increase_url(&self.clients.project, metric);
        let what = format!(
            "the {} ({}) quota-increase link",
            fresh.gpu,
            capacity_word(fresh.capacity)
        );
        ctx.copy(&url, &what);
        self.notice = None;
    }

    /// A task's answer: the check lands (the region choice follows it), or the submission in
    /// flight ends; a created job is then followed (from the start if the screen is `shown`,
    /// else when `f` asks). False when it was not for this screen's current state (a
    /// submission answered after another began is only toasted; a job's state goes to the
    /// follow, not here).
    pub(super) fn land(&mut self, event: &LaunchEvent, shown: bool, ctx: &mut ScreenCtx) -> bool {
        match event {
            LaunchEvent::Checked(fresh) => {
                self.check = CheckState::Done {
                    fresh: fresh.clone(),
                    at: ctx.view().now(),
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
                if let (Ok(created), Some(vertex)) = (&submission.outcome, &self.clients.vertex) {
                    let source: std::sync::Arc<dyn crate::launch::JobSource> = vertex.clone();
                    let policy = self.follow_policy;
                    self.follow = Some(Follow::start(created, source, policy, shown, ctx));
                }
                true
            }
            LaunchEvent::Polled { .. } => false,
        }
    }
}
