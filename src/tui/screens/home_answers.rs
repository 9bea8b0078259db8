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
/// have some, an unmarked value (fresh, its last refresh good) before a stale or failed one
/// with as much, then preference; if none is known to have any, the first (unmarked first)
/// whose usage is unknown and limit > 0.
/// `None` when no cell may have anything free.
pub fn best_by_free(cells: &[&Cached]) -> Option<usize> {
    let marked = |c: &Cached| !value_marks(c).is_empty();
    cells
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let v = cell_value(c)?;
            if v.has_free() {
                Some(((0, Reverse(rank(v.free?))), marked(c), i))
            } else if v.maybe_free() {
                Some(((1, Reverse(0)), marked(c), i))
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
            pending < c3.len(),
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{DateTime, Utc};

    use super::*;
    use crate::gcp::{ApiError, ErrorKind};
    use crate::store::{Entry, Failure, GoodValue, Usage};

    const TTL: Duration = Duration::from_secs(1800);

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    /// A cell with `limit`, `in_use` (None: never read), fetched `age_s` ago, its last
    /// refresh failed when `failed`.
    fn cell(limit: i64, in_use: Option<i64>, age_s: i64, failed: bool) -> Cached {
        let at = now() - chrono::Duration::seconds(age_s);
        let mut good = GoodValue::new(Limit::Finite(limit), at, Duration::from_millis(5));
        good.usage = in_use.map(|in_use| Usage {
            in_use,
            fetched_at: at,
            latency: Duration::ZERO,
        });
        let last_error = failed.then(|| Failure {
            error: ApiError::new(ErrorKind::Unavailable, "down"),
            at: now(),
            latency: Duration::ZERO,
        });
        let entry = Entry {
            good: Some(good),
            last_error,
        };
        Cached::new(Some(&entry), TTL, now())
    }

    #[test]
    fn the_best_region_is_the_one_with_most_free_not_the_biggest_limit() {
        let a = cell(16, Some(14), 1, false); // 2 free of 16
        let b = cell(8, Some(0), 1, false); // 8 free of 8
        let c = cell(64, None, 1, false); // usage unknown
        assert_eq!(best_by_free(&[&a, &b, &c]), Some(1));
        // Among equals, the fresh value before the stale one, then preference.
        let stale = cell(8, Some(0), 3600, false);
        let failed = cell(8, Some(0), 1, true);
        assert_eq!(best_by_free(&[&stale, &failed, &b]), Some(2));
        assert_eq!(best_by_free(&[&b, &b.clone()]), Some(0));
        // Nothing known free: the region whose usage is unknown may be the answer...
        let full = cell(16, Some(16), 1, false);
        assert_eq!(best_by_free(&[&full, &c]), Some(1));
        // ...but a known free one always wins over an unknown one.
        assert_eq!(best_by_free(&[&c, &a]), Some(1));
        // All in use, or no quota: no answer.
        assert_eq!(best_by_free(&[&full, &cell(0, None, 1, false)]), None);
        assert_eq!(best_by_free(&[]), None);
    }

    #[test]
    fn a_gpu_line_says_free_of_limit_and_why_there_is_none() {
        let theme = Theme::no_color();
        let regions = vec!["us-central1".to_string(), "us-east1".to_string()];
        let line_text = |cells: &[&Cached]| -> String {
            gpu_line("T4", &regions, cells, &theme, 78)
                .spans
                .iter()
                .map(|s| s.content.as_ref())
                .collect()
        };
        let a = cell(16, Some(4), 1, false);
        let b = cell(8, Some(7), 1, false);
        assert_eq!(
            line_text(&[&a, &b]),
            " T4     us-central1 · 12 free of 16 GPUs · also us-east1 1/8"
        );
        let full = cell(16, Some(16), 1, false);
        assert_eq!(
            line_text(&[&full, &cell(0, Some(0), 1, false)]),
            " T4     —  none free: all in use (1 region with quota)"
        );
        assert!(
            line_text(&[&cell(4, None, 1, false)]).contains("? free of 4 GPUs (usage unknown)")
        );
        assert!(line_text(&[&cell(4, Some(1), 3600, false)]).ends_with("3 free of 4 GPUs (stale)"));
        // A narrow line drops the also-list rather than cut it.
        let narrow: String = gpu_line("T4", &regions, &[&a, &b], &theme, 45)
            .spans
            .iter()
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(narrow, " T4     us-central1 · 12 free of 16 GPUs");
    }
}
