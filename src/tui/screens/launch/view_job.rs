//! Drawing the Launch screen's job box: the hint, the dry-run request, the submission in
//! flight, or the job it made (or why there is none).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::{Launch, Outcome};
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
        Outcome::Done { plan, submission } => done_lines(plan, submission, theme),
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(Span::styled(title, theme.title))),
        area,
    );
}

/// The title and lines of a finished submission: the job (first, so its name and link fit
/// at 80×24), or why there is none; then each region's quota refusal.
fn done_lines(
    plan: &LaunchPlan,
    submission: &Submission,
    theme: &Theme,
) -> (String, Vec<Line<'static>>) {
    let refusals = submission
        .refusals
        .iter()
        .map(|r| Line::styled(r.to_string(), theme.failed));
    match &submission.outcome {
        Ok(created) => created_lines(created, submission, refusals.collect(), theme),
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

/// The title and lines of a created job: its name, console link and shape, each region's
/// quota refusal before it (`refusals`), when it was made, and a failed read-back.
fn created_lines(
    created: &Created,
    submission: &Submission,
    refusals: Vec<Line<'static>>,
    theme: &Theme,
) -> (String, Vec<Line<'static>>) {
    // The job's fields came from the server: sanitised before they are drawn.
    let job = &created.job;
    let state = if job.state.is_empty() {
        "(no state)".to_string()
    } else {
        sanitize(&job.state)
    };
    let mut lines = vec![
        Line::styled(sanitize(&job.name), theme.positive),
        Line::raw(sanitize(&created.console_url)),
        Line::styled(
            format!(
                "{} · {}",
                Sanitized::new(&job.display_name),
                shape(&created.plan)
            ),
            theme.muted,
        ),
    ];
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
    let title = format!(
        " Job submitted in {}{after} · {state} ",
        created.plan.region
    );
    (title, lines)
}
