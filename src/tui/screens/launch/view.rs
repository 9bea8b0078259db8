//! Drawing the Launch screen from its state alone: the form (with the machine type the
//! choice maps to), the fresh check's ranking, the job ([`super::view_job`]), and the
//! confirmation popup.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::view_job::{draw_outcome, field_line, shape};
use super::{CheckState, Field, Launch, Outcome, capacity_word};
use crate::launch::{LaunchPlan, RankedRegion, create_order};
use crate::tui::screens::{View, fmt_age};
use crate::tui::theme::Theme;
use crate::tui::widgets::input::{Input, input_spans};
use crate::tui::widgets::popup::draw_popup;

/// Width of the form's labels, marker included.
const LABEL_WIDTH: usize = 12;

/// Draw the screen into `area`.
pub(super) fn draw(s: &Launch, frame: &mut Frame, area: Rect, view: &View) {
    let ranking_rows = view.catalog().gpu_regions.len().max(1) as u16 + 2;
    let [form_area, rank_area, outcome_area] = Layout::vertical([
        Constraint::Length(Field::ALL.len() as u16 + 3),
        Constraint::Length(ranking_rows),
        Constraint::Min(0),
    ])
    .areas(area);
    s.form_rows
        .set(form_area.inner(ratatui::layout::Margin::new(1, 1)));
    draw_form(s, frame, form_area, view);
    draw_ranking(s, frame, rank_area, view);
    draw_outcome(s, frame, outcome_area, view);
    if let Some(plan) = &s.confirm {
        draw_confirm(s, plan, frame, area, view);
    }
    draw_dry_run(s, frame, area, view);
}

/// The dry run's request in its scrollable popup, while open: the method and URL, the
/// shape, then the body pretty-printed as the command line prints it.
fn draw_dry_run(s: &Launch, frame: &mut Frame, area: Rect, view: &View) {
    let (Some(popup), Outcome::DryRun { plan, url, body }) = (&s.dry_run_popup, &s.outcome) else {
        return;
    };
    let theme = view.theme();
    let mut lines = vec![
        match url {
            Ok(url) => (format!("POST {url}"), theme.title),
            Err(why) => (format!("no request URL: {why}"), theme.failed),
        },
        (shape(plan), theme.muted),
        (String::new(), Style::new()),
    ];
    let pretty = serde_json::to_string_pretty(body).unwrap_or_else(|e| e.to_string());
    lines.extend(pretty.lines().map(|l| (l.to_string(), Style::new())));
    popup.draw(
        frame,
        area,
        area.width.saturating_sub(4).clamp(20, 100),
        &lines,
        "Dry run · nothing submitted",
        Span::styled(" j/k scroll · Esc close ", theme.key),
        theme,
    );
}

fn label(field: Field, focused: bool, theme: &Theme) -> Vec<Span<'static>> {
    let marker = if focused { "▶ " } else { "  " };
    let style = if focused { theme.selected } else { theme.title };
    vec![
        Span::styled(marker, theme.key),
        Span::styled(format!("{:<w$}", field.label(), w = LABEL_WIDTH - 2), style),
        Span::raw(" "),
    ]
}

/// A choice's value: `‹ L4 ›` when focused (arrows change it), plain otherwise.
fn choice(value: String, focused: bool, style: Style) -> Vec<Span<'static>> {
    if focused {
        vec![Span::raw("‹ "), Span::styled(value, style), Span::raw(" ›")]
    } else {
        vec![Span::styled(value, style)]
    }
}

/// A text field's value; while editing, the part that holds the cursor, with the cursor
/// cell reversed ([`input_spans`]).
fn text_value(
    t: &Input,
    editing: bool,
    width: usize,
    placeholder: &str,
    theme: &Theme,
) -> Vec<Span<'static>> {
    if editing {
        input_spans(t, width, Style::new())
    } else if t.value().is_empty() {
        vec![Span::styled(placeholder.to_string(), theme.muted)]
    } else {
        vec![Span::raw(t.value().to_string())]
    }
}

fn draw_form(s: &Launch, frame: &mut Frame, area: Rect, view: &View) {
    let theme = view.theme();
    let f = &s.form;
    let value_width = (area.width as usize).saturating_sub(LABEL_WIDTH + 3);
    let fitting = s.fitting();
    let mut lines = Vec::new();
    for field in Field::ALL {
        let focused = f.focus == field;
        let mut spans = label(field, focused, theme);
        match field {
            Field::Gpu => spans.extend(choice(f.gpu.to_string(), focused, theme.key)),
            Field::Count => spans.extend(choice(f.count.to_string(), focused, theme.key)),
            Field::Capacity => spans.extend(choice(
                capacity_word(f.capacity).to_string(),
                focused,
                theme.key,
            )),
            Field::Image => spans.extend(text_value(
                &f.image,
                focused && f.editing,
                value_width,
                "(Enter, then type the container image URI)",
                theme,
            )),
            Field::Name => spans.extend(text_value(
                &f.name,
                focused && f.editing,
                value_width,
                &format!(
                    "(default: quota-tui-{}-<time>)",
                    f.gpu.name().to_ascii_lowercase()
                ),
                theme,
            )),
            Field::Region => match (&f.region, s.ranking()) {
                (Some(r), _) => {
                    spans.extend(choice(r.clone(), focused, theme.positive));
                    let pos = fitting.iter().position(|x| &x.region == r).unwrap_or(0);
                    spans.push(Span::styled(
                        format!("  {} of {} that fit", pos + 1, fitting.len()),
                        theme.muted,
                    ));
                }
                (None, Some(_)) => spans.push(Span::styled("no region fits", theme.zero)),
                (None, None) => spans.push(Span::styled("— (after c)", theme.muted)),
            },
        }
        lines.push(Line::from(spans));
    }
    let mut machine = vec![
        Span::raw("  "),
        Span::styled(
            format!("{:<w$}", "Machine", w = LABEL_WIDTH - 2),
            theme.title,
        ),
        Span::raw(" "),
    ];
    match f.machine_type() {
        Ok(m) => machine.push(Span::raw(format!(
            "{m} · {} × {} · {}",
            f.count,
            f.gpu.accelerator_type(),
            f.capacity.scheduling_strategy()
        ))),
        Err(e) => machine.push(Span::styled(e.to_string(), theme.failed)),
    }
    lines.push(Line::from(machine));
    let mut block = Block::bordered().title(Span::styled(
        " Launch a Vertex AI training job ",
        theme.title,
    ));
    if let Some(n) = &s.notice {
        block = block.title_bottom(Span::styled(format!(" {n} "), theme.failed));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn ranking_line(r: &RankedRegion, chosen: bool, width: usize, theme: &Theme) -> Line<'static> {
    let (mark, style) = if r.fits {
        ("✓", theme.positive)
    } else if r.limit.is_none() {
        ("✗", theme.failed)
    } else {
        ("✗", theme.zero)
    };
    // The verdict is the CLI's (`12 free of 16`, `2 free, need 4`, `quota 0`, `not offered
    // in REGION`, the error), sanitised where it quotes Google.
    let verdict = crate::sanitize::sanitize(&r.verdict());
    Line::from(vec![
        Span::styled(if chosen { "▶" } else { " " }, theme.key),
        Span::styled(format!("{mark} {:<width$}", r.region), style),
        Span::raw("  "),
        Span::styled(verdict, if r.fits { theme.positive } else { style }),
    ])
}

fn draw_ranking(s: &Launch, frame: &mut Frame, area: Rect, view: &View) {
    let theme = view.theme();
    let f = &s.form;
    let want = format!("{} ({})", f.gpu, capacity_word(f.capacity));
    let mut block = Block::bordered();
    let lines: Vec<Line> = match &s.check {
        CheckState::Idle => {
            block = block.title(Span::styled(" Fresh check ", theme.title));
            vec![Line::styled(
                format!(
                    "c checks {want} quota in {} straight from the API (never the cache), \
                     then ranks the regions for {} GPU{}.",
                    view.catalog().gpu_regions.join(", "),
                    f.count,
                    if f.count == 1 { "" } else { "s" }
                ),
                theme.muted,
            )]
        }
        CheckState::Checking {
            gpu,
            capacity,
            regions,
            started,
        } => {
            let took = view.now().saturating_duration_since(*started);
            block = block.title(Span::styled(" Fresh check · checking… ", theme.title));
            vec![Line::from(format!(
                "⏳ Checking {gpu} ({}) in {regions} regions… {}",
                capacity_word(*capacity),
                fmt_age(took)
            ))]
        }
        CheckState::Done { fresh, at } => {
            let age = view.now().saturating_duration_since(*at);
            let mut title = format!(
                " Fresh check · {} {} · {:.2}s · {} ago",
                fresh.gpu,
                capacity_word(fresh.capacity),
                fresh.elapsed.as_secs_f64(),
                fmt_age(age)
            );
            if fresh.wrote_cache {
                title.push_str(" · cache updated");
            }
            title.push(' ');
            block = block.title(Span::styled(title, theme.title));
            let ranking = fresh.rank(f.count);
            if fresh.gpu != f.gpu || fresh.capacity != f.capacity {
                block = block.title_bottom(Span::styled(
                    format!(" form changed: c checks {want} "),
                    theme.failed,
                ));
            } else if let Some(hint) = increase_hint(&ranking) {
                block = block.title_bottom(Span::styled(hint, theme.key));
            }
            // Why the usage is unknown, once (its rows say `usage unknown` and rank by limit).
            if let Some(e) = ranking.iter().find_map(|r| r.usage_error.as_ref()) {
                block = block.title_bottom(
                    Line::styled(format!(" usage: {} ", e.kind.describe()), theme.failed)
                        .right_aligned(),
                );
            }
            let width = ranking.iter().map(|r| r.region.len()).max().unwrap_or(0);
            ranking
                .iter()
                .map(|r| ranking_line(r, f.region.as_ref() == Some(&r.region), width, theme))
                .collect()
        }
    };
    // The hint wraps; ranking rows are clipped so each region keeps its one row.
    let mut paragraph = Paragraph::new(lines).block(block);
    if !matches!(s.check, CheckState::Done { .. }) {
        paragraph = paragraph.wrap(Wrap { trim: true });
    }
    frame.render_widget(paragraph, area);
}

/// Where a region is short of quota (`quota 0`, `2 free, need 4`, `quota 2 < 4`), the bottom
/// line of the ranking says how to ask for more: ` short of quota? i copies the increase link `
/// (the console's quota page of the GPU metric, `gcp::console`).
fn increase_hint(ranking: &[RankedRegion]) -> Option<&'static str> {
    ranking
        .iter()
        .any(|r| r.reason.as_ref().is_some_and(|s| s.wants_more_quota()))
        .then_some(" short of quota? i copies the increase link ")
}

fn draw_confirm(s: &Launch, plan: &LaunchPlan, frame: &mut Frame, area: Rect, view: &View) {
    let theme = view.theme();
    let mut lines = vec![
        Line::styled("Submit this CustomJob?", theme.title),
        Line::raw(""),
        field_line("Shape", shape(plan), theme, Style::new()),
        field_line("Image", plan.image.clone(), theme, Style::new()),
        field_line("Name", plan.display_name.clone(), theme, Style::new()),
        field_line("Project", s.clients.project.clone(), theme, Style::new()),
    ];
    let ranking = s.ranking().map(|(_, r)| r).unwrap_or_default();
    let order = create_order(&ranking, &plan.region, false);
    if order.len() > 1 {
        lines.push(field_line(
            "Fallback",
            format!("if its quota is in use: {}", order[1..].join(", then ")),
            theme,
            theme.muted,
        ));
    }
    draw_popup(
        frame,
        area,
        72,
        lines,
        "Confirm",
        Span::styled(" y/Enter submit · n/Esc cancel ", theme.key),
        theme,
    );
}
