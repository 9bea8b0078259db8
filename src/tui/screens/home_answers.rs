//! The Home screen's answers to "where can I run right now?", from the cache only (the
//! uncounted peek): for each GPU type the region with the most free GPUs
//! (`T4     us-central1 · 12 free of 16`), and for C3 the region with the most free vCPUs
//! and the biggest private-pool machine that fits them (SPEC §3, §10; issue 13).
//!
//! Free is limit − in use (SPEC §4 Usage). A region whose usage is unknown may still be the
//! answer when no region is known to have anything free: it is then `? free of 16 (usage
//! unknown)`, in the warning colour. A value that is stale or whose last refresh failed is
//! dimmed and says so.

use std::cmp::Reverse;

use ratatui::text::{Line, Span};

use super::View;
use crate::catalog::{Limit, best_c3_machine};
use crate::store::{Cached, CachedState};
use crate::tui::theme::Theme;
use crate::tui::widgets::quota_cell::{cell_value, free_style, value_marks, value_style};

/// What a shown value's marks mean: ` (stale)`, ` (refresh failed)`.
fn marks_note(cached: &Cached) -> &'static str {
    match value_marks(cached) {
        "!" => " (refresh failed)",
        "~" => " (stale)",
        "!~" => " (stale, refresh failed)",
        _ => "",
    }
}

/// Free as a number to rank by: unlimited above every finite value.
fn rank(l: Limit) -> i64 {
    l.finite().unwrap_or(i64::MAX)
}

/// The best of `cells` (in preference order) by free: the most free among those known to
/// have some, a fresh value before a stale or failed one with as much, then preference; if
/// none is known to have any, the first (fresh first) whose usage is unknown and limit > 0.
/// `None` when no cell may have anything free.
pub fn best_by_free(cells: &[&Cached]) -> Option<usize> {
    cells
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let v = cell_value(c)?;
            if v.has_free() {
                Some(((0, Reverse(rank(v.free?))), !v.fresh, i))
            } else if v.maybe_free() {
                Some(((1, Reverse(0)), !v.fresh, i))
            } else {
                None
            }
        })
        .min()
        .map(|(_, _, i)| i)
}

/// `12 free of 16 GPUs`, `? free of 16 GPUs (usage unknown)` (`unknown_note`), `unlimited
/// GPUs`.
fn free_of(cached: &Cached, unit: &str, unknown_note: bool) -> String {
    let Some(v) = cell_value(cached) else {
        return String::new();
    };
    match (v.free, v.limit) {
        (_, Limit::Unlimited) => format!("unlimited {unit}"),
        (Some(f), l) => format!("{f} free of {l} {unit}"),
        (None, l) if unknown_note => format!("? free of {l} {unit} (usage unknown)"),
        (None, l) => format!("? free of {l} {unit}"),
    }
}

/// Push `span` when it still fits in `width` columns after `spans`.
fn push_if_fits<'a>(spans: &mut Vec<Span<'a>>, span: Span<'a>, width: usize) -> bool {
    let used: usize = spans.iter().map(Span::width).sum();
    if used + span.width() <= width {
        spans.push(span);
        true
    } else {
        false
    }
}

/// The answer for one GPU type across its regions (`cells`, in preference order), in
/// `width` columns: the best region by free, then (as room allows) the other regions with
/// something free (`also us-east1 8/8`).
pub fn gpu_line<'a>(
    name: &str,
    regions: &[String],
    cells: &[&Cached],
    theme: &Theme,
    width: usize,
) -> Line<'a> {
    let mut spans = vec![Span::styled(format!(" {name:<6} "), theme.title)];
    let Some(i) = best_by_free(cells) else {
        no_region(&mut spans, cells, theme);
        return Line::from(spans);
    };
    let value = cell_value(cells[i]).expect("a best cell has a value");
    let style = value_style(cells[i], free_style(value.free, theme), theme);
    let unit = if value.limit == Limit::Finite(1) {
        "GPU"
    } else {
        "GPUs"
    };
    spans.push(Span::styled(
        format!("{} · {}", regions[i], free_of(cells[i], unit, true)),
        style,
    ));
    let note = marks_note(cells[i]);
    if !note.is_empty() {
        spans.push(Span::styled(note, theme.stale(theme.muted)));
    }
    let failed = failed_count(cells);
    if failed > 0 {
        push_if_fits(
            &mut spans,
            Span::styled(format!(" · {failed} failed"), theme.failed),
            width,
        );
    }
    let mut first = true;
    for (j, c) in cells.iter().enumerate() {
        let Some(v) = cell_value(c).filter(|v| j != i && v.has_free()) else {
            continue;
        };
        let lead = if first { " · also " } else { ", " };
        let text = format!(
            "{lead}{} {}/{}{}",
            regions[j],
            v.free.expect("has free"),
            v.limit,
            value_marks(c)
        );
        if !push_if_fits(
            &mut spans,
            Span::styled(text, value_style(c, theme.muted, theme)),
            width,
        ) {
            break;
        }
        first = false;
    }
    Line::from(spans)
}

/// Regions whose last refresh failed.
fn failed_count(cells: &[&Cached]) -> usize {
    cells
        .iter()
        .filter(|c| matches!(c.state(), CachedState::Failed { .. }))
        .count()
}

/// Why no region has anything free: still checking, every region failed, all in use, or no
/// quota anywhere.
fn no_region(spans: &mut Vec<Span<'_>>, cells: &[&Cached], theme: &Theme) {
    let unchecked = cells
        .iter()
        .filter(|c| matches!(c.state(), CachedState::Pending))
        .count();
    let no_value = cells.iter().filter(|c| cell_value(c).is_none()).count();
    let with_quota = cells
        .iter()
        .filter(|c| cell_value(c).is_some_and(|v| v.limit.is_positive()))
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
    } else if no_value == cells.len() {
        spans.push(Span::styled("!  every region failed", theme.failed));
    } else if with_quota > 0 {
        let regions = if with_quota == 1 { "region" } else { "regions" };
        spans.push(Span::styled(
            format!("—  none free: all in use ({with_quota} {regions} with quota)"),
            theme.zero,
        ));
    } else {
        spans.push(Span::styled("—  no quota in any region", theme.zero));
    }
    let failed = failed_count(cells);
    if unchecked == 0 && failed > 0 && no_value < cells.len() {
        spans.push(Span::styled(format!(" ({failed} failed)"), theme.failed));
    }
}

/// The C3 answer in `width` columns: the region with the most free vCPUs and the biggest
/// pool machine that fits them (green only then), then how many regions can build one now
/// (by free vCPUs), the pending and the failed, as room allows.
pub fn c3_line<'a>(view: &View, width: usize) -> Line<'a> {
    let theme = view.theme();
    let c3: Vec<&Cached> = view.c3_cached().iter().collect();
    let mut spans = vec![Span::styled(" C3     ", theme.title)];
    let can_build = c3
        .iter()
        .filter(|c| {
            cell_value(c)
                .and_then(|v| v.free)
                .and_then(best_c3_machine)
                .is_some()
        })
        .count();
    let pending = c3
        .iter()
        .filter(|c| matches!(c.state(), CachedState::Pending))
        .count();
    match best_by_free(&c3) {
        Some(i) => {
            let v = cell_value(c3[i]).expect("a best cell has a value");
            let region = &view.catalog().c3_regions[i];
            let (machine, fits) = match v.free {
                Some(free) => (best_c3_machine(free), true),
                None => (best_c3_machine(v.limit), false),
            };
            let style = match machine {
                Some(_) if fits => value_style(c3[i], theme.positive, theme),
                Some(_) => value_style(c3[i], theme.toast_warn, theme),
                None => value_style(c3[i], theme.zero, theme),
            };
            let machine = match machine {
                Some(m) if fits => format!(" → {m}"),
                Some(m) => format!(" → {m} if unused"),
                None => " → no pool machine (< 44)".to_string(),
            };
            spans.push(Span::styled(
                format!("{region} · {}{machine}", free_of(c3[i], "vCPUs", false)),
                style,
            ));
            let note = marks_note(c3[i]);
            if !note.is_empty() {
                spans.push(Span::styled(note, theme.stale(theme.muted)));
            }
        }
        None if pending == c3.len() => spans.push(Span::styled("…  checking", theme.pending)),
        None => spans.push(Span::styled("—  no region has 44 vCPUs free", theme.zero)),
    }
    let extras = [
        (
            format!(" · {can_build}/{} can build", c3.len()),
            theme.muted,
            true,
        ),
        (format!(" · {pending} pending"), theme.pending, pending > 0),
        (
            format!(" · {} failed", failed_count(&c3)),
            theme.failed,
            failed_count(&c3) > 0,
        ),
    ];
    for (text, style, shown) in extras {
        if shown && !push_if_fits(&mut spans, Span::styled(text, style), width) {
            break;
        }
    }
    Line::from(spans)
}
