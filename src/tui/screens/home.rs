//! The Home screen (SPEC §10, key `1`): the screens, and where one can run right now.
//!
//! One line per GPU type: the best region with quota now, from the cache (uncounted peek),
//! in the catalog's region preference order; then one C3 line: the biggest private-pool
//! machine any region can take and how many regions can build at all.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{Reply, Screen, ScreenCtx, View};
use crate::catalog::{Capacity, Limit, best_c3_machine};
use crate::store::{Cached, CachedState};
use crate::tui::keys::KeyHint;
use crate::tui::theme::Theme;
use crate::tui::widgets::quota_cell::{shown_value, value_marks, value_style};

const KEYS: &[KeyHint] = &[
    KeyHint::main("j/k", "select"),
    KeyHint::main("Enter", "open"),
];

/// The Home screen's state: the selected row of the screens list, and where that list's
/// rows were last drawn (for mouse clicks; drawing takes `&self`).
#[derive(Debug, Default)]
pub struct Home {
    selected: usize,
    list_rows: std::cell::Cell<Rect>,
}

/// What a shown value's marks mean, for the answer lines: ` (stale)`, ` (refresh failed)`.
fn marks_note(cached: &Cached) -> &'static str {
    match value_marks(cached) {
        "!" => " (refresh failed)",
        "~" => " (stale)",
        "!~" => " (stale, refresh failed)",
        _ => "",
    }
}

/// The answer for one GPU type across its regions (in preference order): the first region
/// with a fresh positive value, else the first with any positive value. A value whose last
/// refresh failed or that is stale is dimmed and says so, in the "also" list too (`8!`, `8~`).
fn gpu_line<'a>(name: &'a str, regions: &[String], cells: &[&Cached], theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled(format!(" {name:<5} "), theme.title)];
    let positive = |c: &&Cached, fresh_only: bool| {
        shown_value(c).is_some_and(|(l, fresh)| l.is_positive() && (fresh || !fresh_only))
    };
    let best = cells
        .iter()
        .position(|c| positive(c, true))
        .or_else(|| cells.iter().position(|c| positive(c, false)));
    match best {
        Some(i) => best_region(&mut spans, i, regions, cells, theme),
        None => no_region(&mut spans, cells, theme),
    }
    Line::from(spans)
}

/// The best region `i` with its value, then the other regions with quota (`also ...`).
fn best_region(
    spans: &mut Vec<Span<'_>>,
    i: usize,
    regions: &[String],
    cells: &[&Cached],
    theme: &Theme,
) {
    let limit = shown_value(cells[i]).map_or(Limit::Finite(0), |(l, _)| l);
    let style = value_style(cells[i], theme.positive, theme);
    let unit = if limit == Limit::Finite(1) {
        "GPU"
    } else {
        "GPUs"
    };
    spans.push(Span::styled(format!("{:<14}", regions[i]), style));
    spans.push(Span::styled(
        format!("{:>3} {unit:<4}", limit.to_string()),
        style,
    ));
    let note = marks_note(cells[i]);
    if !note.is_empty() {
        spans.push(Span::styled(note, theme.stale(theme.muted)));
    }
    let mut first = true;
    for (j, c) in cells.iter().enumerate() {
        let Some((other, _)) = shown_value(c).filter(|(l, _)| j != i && l.is_positive()) else {
            continue;
        };
        spans.push(Span::styled(
            if first { "  also " } else { ", " },
            theme.muted,
        ));
        first = false;
        spans.push(Span::styled(
            format!("{} {other}{}", regions[j], value_marks(c)),
            value_style(c, theme.muted, theme),
        ));
    }
}

/// Why no region has quota: still checking, every region failed, or none has any.
fn no_region(spans: &mut Vec<Span<'_>>, cells: &[&Cached], theme: &Theme) {
    let unchecked = cells
        .iter()
        .filter(|c| matches!(c.state(), CachedState::Pending))
        .count();
    let failed = cells
        .iter()
        .filter(|c| {
            matches!(
                c.state(),
                CachedState::Failed {
                    last_good: None,
                    ..
                }
            )
        })
        .count();
    if unchecked > 0 {
        spans.push(Span::styled(
            format!(
                "…  checking ({}/{} regions so far)",
                cells.len() - unchecked,
                cells.len()
            ),
            theme.pending,
        ));
    } else if failed == cells.len() {
        spans.push(Span::styled("!  every region failed", theme.failed));
    } else {
        spans.push(Span::styled("—  no quota in any region", theme.zero));
    }
    if unchecked == 0 && failed > 0 && failed < cells.len() {
        spans.push(Span::styled(format!(" ({failed} failed)"), theme.failed));
    }
}

/// The C3 summary: the biggest machine and how many regions can build; the best region's
/// value dimmed and noted when stale or its last refresh failed; `· N failed` counts every
/// region whose last refresh failed.
fn c3_line<'a>(view: &View) -> Line<'a> {
    let theme = view.theme();
    let c3 = view.c3_cached();
    let mut spans = vec![Span::styled(" C3    ", theme.title)];
    // The biggest machine tier; the first region in catalog order among equals.
    let mut best: Option<(usize, Limit, &'static str)> = None; // (region index, vCPUs, machine)
    let (mut can_build, mut pending, mut failed) = (0, 0, 0);
    for (i, c) in c3.iter().enumerate() {
        let limit = match c.state() {
            CachedState::Pending => {
                pending += 1;
                continue;
            }
            CachedState::Failed { last_good, .. } => {
                failed += 1;
                match last_good {
                    Some(g) => g.limit,
                    None => continue,
                }
            }
            CachedState::Fresh(g) | CachedState::Stale(g) => g.limit,
        };
        let Some(machine) = best_c3_machine(limit) else {
            continue;
        };
        can_build += 1;
        let tier = |l: Limit| l.finite().map_or(176, |v| v.min(176)) / 44;
        if best.is_none_or(|(_, b, _)| tier(limit) > tier(b)) {
            best = Some((i, limit, machine));
        }
    }
    match best {
        Some((i, _, machine)) => {
            spans.push(Span::styled(
                format!("{machine} in {}", view.catalog().c3_regions[i]),
                value_style(&c3[i], theme.positive, theme),
            ));
            let note = marks_note(&c3[i]);
            if !note.is_empty() {
                spans.push(Span::styled(note, theme.stale(theme.muted)));
            }
        }
        None if pending == c3.len() => spans.push(Span::styled("…  checking", theme.pending)),
        None => spans.push(Span::styled("—  no region has 44 vCPUs", theme.zero)),
    }
    spans.push(Span::styled(
        format!(" · {can_build}/{} can build", c3.len()),
        theme.muted,
    ));
    if pending > 0 {
        spans.push(Span::styled(format!(" · {pending} pending"), theme.pending));
    }
    if failed > 0 {
        spans.push(Span::styled(format!(" · {failed} failed"), theme.failed));
    }
    Line::from(spans)
}

impl Screen for Home {
    fn title(&self) -> &'static str {
        "Home"
    }

    fn summary(&self) -> &'static str {
        "where you can run right now"
    }

    fn keys(&self) -> &'static [KeyHint] {
        KEYS
    }

    /// Opening Home is a load of its summaries: a counted cache read (SPEC §6 hits/misses).
    fn on_enter(&mut self, ctx: &mut ScreenCtx) {
        ctx.store().read(ctx.view().checks());
        ctx.refresh();
    }

    fn on_key(&mut self, key: &KeyEvent, ctx: &mut ScreenCtx) -> Reply {
        let n = ctx.view().screen_titles().len();
        match key.code {
            KeyCode::Char('j') | KeyCode::Down => {
                self.selected = (self.selected + 1).min(n.saturating_sub(1));
                Reply::Redraw
            }
            KeyCode::Char('k') | KeyCode::Up => {
                self.selected = self.selected.saturating_sub(1);
                Reply::Redraw
            }
            KeyCode::Enter => Reply::Open(self.selected),
            _ => Reply::Ignored,
        }
    }

    /// A click on a row of the screens list selects it.
    fn on_click(&mut self, column: u16, row: u16, ctx: &mut ScreenCtx) -> Reply {
        let rows = self.list_rows.get();
        if !rows.contains(ratatui::layout::Position::new(column, row)) {
            return Reply::Ignored;
        }
        let idx = (row - rows.y) as usize;
        if idx >= ctx.view().screen_titles().len() {
            return Reply::Ignored;
        }
        self.selected = idx;
        Reply::Redraw
    }

    fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        let theme = view.theme();
        let n_screens = view.screen_titles().len() as u16;
        let [screens, answers] =
            Layout::vertical([Constraint::Length(n_screens + 2), Constraint::Min(0)]).areas(area);
        self.list_rows
            .set(screens.inner(ratatui::layout::Margin::new(1, 1)));
        let lines: Vec<Line> = view
            .screen_titles()
            .iter()
            .enumerate()
            .map(|(i, (title, summary))| {
                let marker = if i == self.selected { "›" } else { " " };
                let style = if i == self.selected {
                    theme.selected
                } else {
                    theme.title
                };
                Line::from(vec![
                    Span::raw(format!(" {marker} ")),
                    Span::styled(format!("{} {title:<7}", i + 1), style),
                    Span::styled(format!("  {summary}"), theme.muted),
                ])
            })
            .collect();
        frame.render_widget(
            Paragraph::new(lines)
                .block(Block::bordered().title(Span::styled(" Screens ", theme.title))),
            screens,
        );

        let catalog = view.catalog();
        let regions = &catalog.gpu_regions;
        let capacity = match catalog.capacity {
            Capacity::Spot => "spot",
            Capacity::OnDemand => "on-demand",
        };
        let mut lines = Vec::with_capacity(catalog.gpu_types.len() + 1);
        let mut cells: Vec<&Cached> = Vec::with_capacity(regions.len());
        for (ti, gpu) in catalog.gpu_types.iter().enumerate() {
            cells.clear();
            cells.extend((0..regions.len()).filter_map(|ri| view.gpu_cached(ti, ri)));
            lines.push(gpu_line(gpu.name(), regions, &cells, theme));
        }
        lines.push(c3_line(view));
        frame.render_widget(
            Paragraph::new(lines).block(Block::bordered().title(Span::styled(
                format!(" Where you can run now ({capacity}; best region by preference) "),
                theme.title,
            ))),
            answers,
        );
    }
}
