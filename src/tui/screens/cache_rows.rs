//! The Cache screen's check table: one row per check with its limit, usage (in use) and
//! free, age, latency and last error; which rows the `/` filter lets through and in which
//! order `s` sorts them ([`CacheSort`]).

use std::cmp::{Ordering, Reverse};
use std::time::Duration;

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row};

use super::{View, fmt_age};
use crate::catalog::Limit;
use crate::store::{Cached, CachedState, Failure};
use crate::tui::widgets::filter::Filter;
use crate::tui::widgets::quota_cell::{quota_cell, value_marks, value_style};
use crate::tui::widgets::sort::SortKey;

/// The orders `s` cycles through on the Cache screen; the first is the catalog's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheSort {
    /// Catalog order: GPU (type-major, regions by preference), then C3.
    Name,
    /// Largest limit first (unlimited first, no value last).
    Value,
    /// Most free first (unknown usage after every known free, no value last).
    Free,
    /// Oldest value first (never fetched last).
    Age,
    /// Slowest last fetch first.
    Latency,
    /// Failed checks first (a failed limit, then a failed usage), then the rest.
    Error,
}

impl SortKey for CacheSort {
    const ALL: &'static [CacheSort] = &[
        CacheSort::Name,
        CacheSort::Value,
        CacheSort::Free,
        CacheSort::Age,
        CacheSort::Latency,
        CacheSort::Error,
    ];

    fn label(self) -> &'static str {
        match self {
            CacheSort::Name => "name",
            CacheSort::Value => "value",
            CacheSort::Free => "free",
            CacheSort::Age => "age",
            CacheSort::Latency => "latency",
            CacheSort::Error => "error",
        }
    }
}

/// The last fetch's latency: the good value's, or the failed request's.
pub fn latency(cached: &Cached) -> Option<Duration> {
    match cached.state() {
        CachedState::Fresh(g) | CachedState::Stale(g) => Some(g.latency),
        CachedState::Failed { error, .. } => Some(error.latency),
        CachedState::Pending => None,
    }
}

/// The failure to show: the limit's, else the usage's (the limit is then still good).
pub fn shown_failure(cached: &Cached) -> Option<(&'static str, &Failure)> {
    match cached.state() {
        CachedState::Failed { error, .. } => Some(("", error)),
        _ => cached.usage_error().map(|f| ("usage: ", f)),
    }
}

/// The text the filter searches in a row: the check, then its error.
fn row_texts(view: &View, i: usize) -> (String, String) {
    let check = view.checks()[i].to_string();
    let error = view
        .snapshot()
        .get(i)
        .and_then(shown_failure)
        .map(|(what, f)| format!("{what}{}", f.error))
        .unwrap_or_default();
    (check, error)
}

/// Limit as a sortable number: unlimited above every finite one.
fn limit_rank(l: Limit) -> i64 {
    l.finite().unwrap_or(i64::MAX)
}

/// The sort key of `cached` for `by`: smaller sorts first (ties keep catalog order).
fn rank(cached: Option<&Cached>, by: CacheSort, view: &View) -> (u8, Reverse<i64>) {
    let Some(c) = cached else {
        return (9, Reverse(0));
    };
    match by {
        CacheSort::Name => (0, Reverse(0)),
        CacheSort::Value => c
            .limit()
            .map_or((9, Reverse(0)), |l| (0, Reverse(limit_rank(l)))),
        CacheSort::Free => match (c.free(), c.limit()) {
            (Some(f), _) => (0, Reverse(limit_rank(f))),
            (None, Some(_)) => (1, Reverse(0)),
            (None, None) => (9, Reverse(0)),
        },
        CacheSort::Age => view
            .age(c)
            .map_or((9, Reverse(0)), |d| (0, Reverse(d.as_millis() as i64))),
        CacheSort::Latency => {
            latency(c).map_or((9, Reverse(0)), |d| (0, Reverse(d.as_millis() as i64)))
        }
        CacheSort::Error => match shown_failure(c) {
            Some(("", _)) => (0, Reverse(0)),
            Some(_) => (1, Reverse(0)),
            None => (2, Reverse(0)),
        },
    }
}

/// The checks shown, by index into [`View::checks`]: those `filter` lets through (by check
/// name or error text), in the order `by`.
pub fn shown_rows(view: &View, filter: &Filter, by: CacheSort) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..view.checks().len())
        .filter(|&i| {
            let (check, error) = row_texts(view, i);
            filter.matches_any([check.as_str(), error.as_str()])
        })
        .collect();
    if by != CacheSort::Name {
        let snapshot = view.snapshot();
        rows.sort_by(|&a, &b| {
            rank(snapshot.get(a), by, view)
                .cmp(&rank(snapshot.get(b), by, view))
                .then(Ordering::Equal)
        });
    }
    rows
}

/// Checks whose last usage read failed (their usage is `?`, or older than their limit).
pub fn usage_errors(view: &View) -> usize {
    view.snapshot()
        .iter()
        .filter(|c| c.usage_error().is_some())
        .count()
}

/// The row of check `i`: check (filter matches highlighted), limit, in use (`?` when
/// unknown), free (as the Infra screen's cell: `4`, `?`, with its marks), age, latency of
/// the last fetch, last error (the limit's, else `usage: ...`).
pub fn check_row(view: &View, i: usize, filter: &Filter) -> Row<'static> {
    let theme = view.theme();
    let cached = view.snapshot().get(i);
    let (check, error) = row_texts(view, i);
    let check_spans: Vec<Span<'static>> = filter
        .highlight(&check, Style::new(), theme)
        .into_iter()
        .map(|s| Span::styled(s.content.into_owned(), s.style))
        .collect();
    let (cell, cell_style) = quota_cell(cached, theme);
    let value = cached.and_then(Cached::limit);
    let dim = |style: Style| cached.map_or(style, |c| value_style(c, style, theme));
    let limit = value.map_or_else(|| cell.clone(), |l| l.to_string());
    let in_use = match (value, cached.and_then(Cached::usage)) {
        (None, _) => String::new(),
        (Some(_), Some(u)) => u.in_use.to_string(),
        (Some(_), None) => "?".to_string(),
    };
    let free = match value {
        None => Span::styled(String::new(), cell_style),
        Some(Limit::Unlimited) => Span::styled("∞", cell_style),
        Some(_) => {
            let marks = cached.map_or("", value_marks);
            let f = cached
                .and_then(Cached::free)
                .or_else(|| (value == Some(Limit::Finite(0))).then_some(Limit::Finite(0)));
            let text = f.map_or_else(|| "?".to_string(), |f| f.to_string());
            Span::styled(format!("{text}{marks}"), cell_style)
        }
    };
    let age = cached
        .and_then(|c| view.age(c))
        .map(fmt_age)
        .unwrap_or_else(|| "—".to_string());
    let latency = cached
        .and_then(latency)
        .map(|d| format!("{}ms", d.as_millis()))
        .unwrap_or_else(|| "—".to_string());
    let limit_style = if value.is_none() {
        cell_style
    } else {
        dim(Style::new())
    };
    let error_style = match cached.and_then(shown_failure) {
        Some(("", _)) => theme.failed,
        _ => theme.toast_warn,
    };
    let error_spans: Vec<Span<'static>> = filter
        .highlight(&error, error_style, theme)
        .into_iter()
        .map(|s| Span::styled(s.content.into_owned(), s.style))
        .collect();
    Row::new([
        Cell::from(Line::from(check_spans)),
        Cell::from(Span::styled(limit, limit_style)),
        Cell::from(Span::styled(in_use, dim(Style::new()))),
        Cell::from(free),
        Cell::from(age),
        Cell::from(latency),
        Cell::from(Line::from(error_spans)),
    ])
}
