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

use super::{Reply, Screen, ScreenCtx};
use crate::cache::{Cached, Freshness};
use crate::catalog::{Limit, best_c3_machine};
use crate::tui::keys::KeyHint;
use crate::tui::theme::Theme;

const KEYS: &[KeyHint] = &[
    KeyHint::main("j/k", "select"),
    KeyHint::main("Enter", "open"),
];

/// The Home screen's state: the selected row of the screens list.
#[derive(Debug, Default)]
pub struct Home {
    selected: usize,
}

/// The answer for one GPU type across its regions (in preference order).
fn gpu_line<'a>(name: &'a str, regions: &[String], cells: &[&Cached], theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled(format!("  {name:<5} "), theme.title)];
    let best = cells
        .iter()
        .position(|c| c.is_hit() && c.limit().is_some_and(Limit::is_positive))
        .map(|i| (i, false))
        .or_else(|| {
            cells
                .iter()
                .position(|c| c.limit().is_some_and(Limit::is_positive))
                .map(|i| (i, true))
        });
    match best {
        Some((i, stale)) => {
            let limit = cells[i].limit().unwrap_or(Limit::Finite(0));
            let style = if stale {
                theme.stale(theme.positive)
            } else {
                theme.positive
            };
            spans.push(Span::styled(format!("{:<14}", regions[i]), style));
            spans.push(Span::styled(format!("{limit:>4} GPUs"), style));
            if stale {
                spans.push(Span::styled(" (stale)", theme.stale(theme.muted)));
            }
            let others = cells
                .iter()
                .enumerate()
                .filter(|&(j, c)| j != i && c.limit().is_some_and(Limit::is_positive))
                .count();
            if others > 0 {
                spans.push(Span::styled(
                    format!(
                        "  +{others} more region{}",
                        if others == 1 { "" } else { "s" }
                    ),
                    theme.muted,
                ));
            }
        }
        None => {
            let unchecked = cells
                .iter()
                .filter(|c| c.entry.good.is_none() && c.entry.last_error.is_none())
                .count();
            let failed = cells
                .iter()
                .filter(|c| c.freshness == Freshness::Missing && c.entry.last_error.is_some())
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
    }
    Line::from(spans)
}

/// The C3 summary: the biggest machine and how many regions can build.
fn c3_line<'a>(ctx: &ScreenCtx) -> Line<'a> {
    let theme = &ctx.theme;
    let c3 = ctx.c3_cached();
    let mut spans = vec![Span::styled("  C3    ", theme.title)];
    let mut best: Option<(usize, Limit)> = None;
    let mut can_build = 0;
    for (i, c) in c3.iter().enumerate() {
        let Some(limit) = c.limit() else { continue };
        if best_c3_machine(limit).is_some() {
            can_build += 1;
        }
        let better = match (best, limit) {
            (None, _) => true,
            (Some((_, Limit::Unlimited)), _) => false,
            (Some(_), Limit::Unlimited) => true,
            (Some((_, Limit::Finite(b))), Limit::Finite(v)) => v > b,
        };
        if better {
            best = Some((i, limit));
        }
    }
    let checked = c3.iter().filter(|c| c.limit().is_some()).count();
    match best.and_then(|(i, l)| best_c3_machine(l).map(|m| (i, l, m))) {
        Some((i, limit, machine)) => {
            spans.push(Span::styled(
                format!("{machine} in {} ({limit} vCPUs)", ctx.catalog.c3_regions[i]),
                theme.positive,
            ));
        }
        None if checked == 0 => {
            spans.push(Span::styled("…  checking", theme.pending));
        }
        None => spans.push(Span::styled("—  no region has 44 vCPUs", theme.zero)),
    }
    spans.push(Span::styled(
        format!(" · {can_build}/{} regions can build", c3.len()),
        theme.muted,
    ));
    if checked < c3.len() {
        spans.push(Span::styled(format!(" ({checked} checked)"), theme.pending));
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

    fn on_key(&mut self, key: &KeyEvent, ctx: &mut ScreenCtx) -> Reply {
        let n = ctx.screen_titles.len();
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

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &ScreenCtx) {
        let theme = &ctx.theme;
        let n_screens = ctx.screen_titles.len() as u16;
        let [screens, answers] =
            Layout::vertical([Constraint::Length(n_screens + 2), Constraint::Min(0)]).areas(area);
        let lines: Vec<Line> = ctx
            .screen_titles
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

        let regions = &ctx.catalog.gpu_regions;
        let capacity = match ctx.catalog.capacity {
            crate::catalog::Capacity::Spot => "spot",
            crate::catalog::Capacity::OnDemand => "on-demand",
        };
        let mut lines = Vec::with_capacity(ctx.catalog.gpu_types.len() + 1);
        let mut cells: Vec<&Cached> = Vec::with_capacity(regions.len());
        for (ti, gpu) in ctx.catalog.gpu_types.iter().enumerate() {
            cells.clear();
            cells.extend((0..regions.len()).filter_map(|ri| ctx.gpu_cached(ti, ri)));
            lines.push(gpu_line(gpu.name(), regions, &cells, theme));
        }
        lines.push(c3_line(ctx));
        frame.render_widget(
            Paragraph::new(lines).block(Block::bordered().title(Span::styled(
                format!(" Where you can run now ({capacity}; best region by preference) "),
                theme.title,
            ))),
            answers,
        );
    }
}
