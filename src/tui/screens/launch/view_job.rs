//! Drawing the Launch screen's job box: the hint, the dry-run request, the submission in
//! flight, or the job it made (or why there is none).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::follow::{Follow, FollowStatus};
use super::{Launch, Outcome};
use crate::durations::fmt_duration;
use crate::launch::{Created, LaunchPlan, Submission, SubmitFailure};
use crate::sanitize::{Sanitized, sanitize};
use crate::tui::screens::{View, fmt_age};
use crate::tui::theme::Theme;

pub(super) fn field_line(name: &str, value: String, theme: &Theme, style: Style) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:<9}"), theme.title),
        Span::styled(value, style),
    ])
}

pub(super) fn shape(plan: &LaunchPlan) -> String {
    format!(
        "{} × {} · {} · {} · {}",
        plan.count,
        plan.gpu,
        plan.machine_type,
        plan.capacity.scheduling_strategy(),
        plan.region
    )
}

pub(super) fn draw_outcome(s: &Launch, frame: &mut Frame, area: Rect, view: &View) {
    let theme = view.theme();
    let (title, lines): (String, Vec<Line>) = match &s.outcome {
        Outcome::None => (
            " Job ".into(),
            vec![Line::styled(
                "s submits a CustomJob to the chosen region after a confirmation; \
                 d shows the request instead.",
                theme.muted,
            )],
        ),
        Outcome::DryRun { plan, url, .. } => (
            " Dry run · nothing submitted ".into(),
            vec![
                match url {
                    Ok(url) => Line::from(vec![
                        Span::styled("POST ", theme.title),
                        Span::raw(url.clone()),
                    ]),
                    Err(why) => Line::styled(format!("no request URL: {why}"), theme.failed),
                },
                Line::styled(shape(plan), theme.muted),
                Line::styled("d shows the request body again", theme.muted),
            ],
        ),
        Outcome::Submitting {
            plan,
            regions,
            started,
        } => {
            let mut lines = vec![Line::from(format!(
                "⏳ Submitting {} to {}… {}",
                plan.display_name,
                plan.region,
                fmt_age(view.now().saturating_duration_since(*started))
            ))];
            if regions.len() > 1 {
                lines.push(Line::styled(
                    format!(
                        "if its quota is in use: then {}",
                        regions[1..].join(", then ")
                    ),
                    theme.muted,
                ));
            }
            (" Job · submitting… ".into(), lines)
        }
        Outcome::Done { plan, submission } => done_lines(plan, submission, s.follow.as_ref(), view),
    };
    let mut block = Block::bordered().title(Span::styled(title, theme.title));
    if let Outcome::Done { submission, .. } = &s.outcome
        && submission.outcome.is_ok()
    {
        block = block.title_bottom(Span::styled(" y copies the job link ", theme.key));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

/// The title and lines of a finished submission: the job (first, so its name and link fit
/// at 80×24), or why there is none; then each region's quota refusal.
fn done_lines(
    plan: &LaunchPlan,
    submission: &Submission,
    follow: Option<&Follow>,
    view: &View,
) -> (String, Vec<Line<'static>>) {
    let theme = view.theme();
    let refusals = submission
        .refusals
        .iter()
        .map(|r| Line::styled(r.to_string(), theme.failed));
    match &submission.outcome {
        Ok(created) => created_lines(created, submission, refusals.collect(), follow, view),
        Err(SubmitFailure::QuotaInUseEverywhere) => {
            let mut lines: Vec<Line> = refusals.collect();
            lines.push(Line::styled(
                format!("{} · {} · nothing created", plan.display_name, shape(plan)),
                theme.muted,
            ));
            (
                " No job · quota in use in every region asked ".into(),
                lines,
            )
        }
        Err(SubmitFailure::Failed { region, error }) => {
            let mut lines = vec![Line::styled(error.to_string(), theme.failed)];
            lines.extend(refusals);
            let plan = LaunchPlan {
                region: region.clone(),
                ..plan.clone()
            };
            lines.push(Line::styled(
                format!("{} · {}", plan.display_name, shape(&plan)),
                theme.muted,
            ));
            (
                format!(" Submission failed · {} ", error.kind.describe()),
                lines,
            )
        }
    }
}

/// The title and lines of a created job: the states it went through (Google's error when it
/// failed, why a read failed), its name, console link, shape, each
/// region's quota refusal before it (`refusals`), when it was made, and a failed read-back.
fn created_lines(
    created: &Created,
    submission: &Submission,
    refusals: Vec<Line<'static>>,
    follow: Option<&Follow>,
    view: &View,
) -> (String, Vec<Line<'static>>) {
    let theme = view.theme();
    // The job's fields came from the server: sanitised before they are drawn.
    let job = &created.job;
    let last = follow.and_then(|f| f.tracker.state()).unwrap_or(&job.state);
    let state = if last.is_empty() {
        "(no state)".to_string()
    } else {
        sanitize(last)
    };
    // The states (and Google's error) first, so they show at 80×24 beside the name and link.
    let mut lines = follow.map(|f| follow_lines(f, view)).unwrap_or_default();
    lines.push(Line::styled(sanitize(&job.name), theme.positive));
    lines.push(Line::raw(sanitize(&created.console_url)));
    lines.push(Line::styled(
        format!(
            "{} · {}",
            Sanitized::new(&job.display_name),
            shape(&created.plan)
        ),
        theme.muted,
    ));
    lines.extend(refusals);
    if let Some(t) = &job.create_time {
        lines.push(field_line("Created", sanitize(t), theme, theme.muted));
    }
    if let Some(e) = &created.read_back_error {
        lines.push(field_line(
            "Note",
            format!("the job exists; reading it back failed: {e}"),
            theme,
            theme.failed,
        ));
    }
    let left: Vec<&str> = submission
        .refusals
        .iter()
        .map(|r| r.region.as_str())
        .collect();
    let after = if left.is_empty() {
        String::new()
    } else {
        format!(" (quota in use in {})", left.join(", "))
    };
    let follow = follow.map_or(String::new(), |f| follow_word(f, view));
    let title = format!(
        " Job submitted in {}{after} · {state}{follow} ",
        created.plan.region
    );
    (title, lines)
}

/// How the follow stands, for the job box's title: ` · next check in 7s`, ` · running`, ...
fn follow_word(f: &Follow, view: &View) -> String {
    match &f.status {
        FollowStatus::Polling { next_at } => {
            let left = next_at.saturating_duration_since(view.now());
            if left.is_zero() {
                " · checking…".to_string()
            } else {
                format!(" · next check in {}", fmt_age(left))
            }
        }
        FollowStatus::Arrived => " · followed".to_string(),
        FollowStatus::Ended => " · ended".to_string(),
        FollowStatus::Lost(_) => " · not followed · f follows again".to_string(),
        FollowStatus::Stopped => " · stopped when you left · f follows again".to_string(),
    }
}

/// The states the job went through, each with the local time it was seen and how long after
/// the submission (`States   QUEUED 04:15:20 → PENDING 04:15:30 (+10s) → RUNNING ...`), then
/// Google's error when it ended badly, or why asking failed.
fn follow_lines(f: &Follow, view: &View) -> Vec<Line<'static>> {
    let theme = view.theme();
    let mut path = Vec::new();
    for (i, (c, at)) in f.tracker.changes().iter().zip(&f.seen).enumerate() {
        let mut step = format!(
            "{} {}",
            sanitize(c.state.trim_start_matches("JOB_STATE_")),
            at.with_timezone(&chrono::Local).format("%H:%M:%S")
        );
        if !c.after.is_zero() {
            step.push_str(&format!(" (+{})", fmt_age(c.after)));
        }
        if i > 0 {
            path.push(" → ".to_string());
        }
        path.push(step);
    }
    let style = match f.status {
        FollowStatus::Arrived => theme.positive,
        FollowStatus::Ended | FollowStatus::Lost(_) => theme.failed,
        _ => Style::new(),
    };
    let mut lines = vec![field_line("States", path.concat(), theme, style)];
    match &f.status {
        FollowStatus::Ended => {
            let why = match f.tracker.error() {
                Some(e) if !e.message.is_empty() || e.code != 0 => {
                    format!("{} (code {})", Sanitized::new(&e.message), e.code)
                }
                _ => "Google gave no error".to_string(),
            };
            lines.push(field_line("Error", why, theme, theme.failed));
        }
        FollowStatus::Lost(e) => lines.push(field_line(
            "Note",
            format!("could not follow the job: {e}; it may still run (see the link)"),
            theme,
            theme.failed,
        )),
        _ => {}
    }
    if let Some((e, retry_in)) = &f.last_failure {
        lines.push(field_line(
            "Note",
            format!(
                "could not read the job: {e}; next try in {}",
                fmt_duration(*retry_in)
            ),
            theme,
            theme.failed,
        ));
    }
    lines
}
