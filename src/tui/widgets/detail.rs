//! The detail popup of one check (SPEC §10; issue 13 "Enter on a cell opens a detail
//! popup"): what the cache holds for it, in full, and where to ask for more quota.
//!
//! It shows the quota metric's full name (`aiplatform.googleapis.com/…` or
//! `cloudbuild.googleapis.com/…`), the region, the capacity (GPU checks), the limit, the
//! usage and what is free, when the limit and the usage were fetched (UTC) and how old they
//! are, the latency, the state (fresh, stale, failed), the last error in full (sanitised:
//! control characters made visible, never cut at 500 characters; [`crate::sanitize`]), the
//! usage error, and the Cloud Console quota page of the metric
//! ([`crate::gcp::console::quota_increase_url`]), where an increase is asked for. Long text
//! wraps; a popup taller than the screen scrolls ([`ScrollPopup`]).
//!
//! # Embedding it in a screen
//!
//! A screen owns a [`DetailPopup`] and:
//! - opens it on a check with [`DetailPopup::open`], passing the check's index in
//!   [`View::checks`] (catalog order: GPU type-major, then C3; the same index as
//!   [`View::snapshot`]);
//! - returns `true` from `Screen::captures_input` while [`DetailPopup::is_open`], and gives
//!   it every key first with [`DetailPopup::key`]: `true` means handled (Esc / Enter close
//!   it, `y` copies the link with [`ScreenCtx::copy`], the list keys scroll it); `false`
//!   means the screen should answer `Reply::Ignored` so the app's global keys (`q`, digits,
//!   Ctrl-C) still work;
//! - gives it the mouse wheel while open ([`DetailPopup::wheel`]);
//! - closes it in `Screen::on_leave` ([`DetailPopup::close`]);
//! - draws it last, over the screen's own area, with [`DetailPopup::draw`].
//!
//! The popup reads the check's entry from the [`View`] at each draw, so it follows the
//! warmer as values land.

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;

use super::popup::ScrollPopup;
use super::quota_cell::{free_style, quota_cell};
use super::wrap::wrap_ranges;
use crate::catalog::{Check, QuotaMetric};
use crate::durations::fmt_duration;
use crate::gcp::ApiError;
use crate::gcp::console::quota_increase_url;
use crate::sanitize::Sanitized;
use crate::store::{Cached, CachedState, Failure};
use crate::tui::screens::{ScreenCtx, View, fmt_age};
use crate::tui::theme::Theme;

/// The footer hint on the popup's bottom border.
pub const DETAIL_FOOTER: &str = " y copies the link · Esc closes ";

/// What the toast names after `y` ("📋 Copied the quota-increase link …").
pub const COPIED_WHAT: &str = "the quota-increase link";

/// Widest the popup gets, in columns.
const MAX_WIDTH: u16 = 100;

/// The detail popup of one check: which check is open (an index into [`View::checks`]) and
/// its scroll position. See the module docs for how a screen embeds it.
#[derive(Debug, Default)]
pub struct DetailPopup {
    open: Option<usize>,
    scroll: ScrollPopup,
}

impl DetailPopup {
    /// Open the popup on the check at `check_index` of [`View::checks`] (scrolled to the top).
    pub fn open(&mut self, check_index: usize) {
        self.open = Some(check_index);
        self.scroll = ScrollPopup::default();
    }

    /// Close the popup.
    pub fn close(&mut self) {
        self.open = None;
    }

    /// True while the popup is shown.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// The index in [`View::checks`] of the check shown, while open.
    pub fn check_index(&self) -> Option<usize> {
        self.open
    }

    /// A key while the popup may be open: Esc / Enter close it, `y` copies the check's
    /// console link (toast included), the list keys scroll it. True when the key was the
    /// popup's; false when it is closed or the key is not one of its own (the caller then
    /// answers `Reply::Ignored`, so `q`, the digits and Ctrl-C keep working).
    pub fn key(&mut self, key: &KeyEvent, ctx: &mut ScreenCtx) -> bool {
        let Some(index) = self.open else {
            return false;
        };
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return false;
        }
        match key.code {
            KeyCode::Esc | KeyCode::Enter => {
                self.close();
                true
            }
            KeyCode::Char('y') => {
                if let Some(link) = console_link(ctx.view(), index) {
                    ctx.copy(&link, COPIED_WHAT);
                }
                true
            }
            _ => self.scroll.key(key),
        }
    }

    /// Scroll by the mouse wheel (while open).
    pub fn wheel(&mut self, down: bool) {
        if self.is_open() {
            self.scroll.wheel(down);
        }
    }

    /// Draw the popup, when open, centred over `area`.
    pub fn draw(&self, frame: &mut Frame, area: Rect, view: &View) {
        let Some(index) = self.open else {
            return;
        };
        let Some(check) = view.checks().get(index) else {
            return;
        };
        let theme = view.theme();
        let cached = view.snapshot().get(index).cloned().unwrap_or_default();
        let width = area.width.saturating_sub(4).clamp(20, MAX_WIDTH);
        // The popup's text width: inside the borders, less a column for the scrollbar.
        let text_width = width.min(area.width).saturating_sub(3) as usize;
        let lines = detail_lines_at(check, &cached, view, text_width);
        self.scroll.draw(
            frame,
            area,
            width,
            &lines,
            &format!("{check} · quota detail"),
            Span::styled(DETAIL_FOOTER, theme.muted),
            theme,
        );
    }
}

/// The Cloud Console quota page of the check at `index` of [`View::checks`], in the view's
/// project.
pub fn console_link(view: &View, index: usize) -> Option<String> {
    let check = view.checks().get(index)?;
    Some(quota_increase_url(view.project(), check.metric))
}

/// `2026-11-21 02:46:09 UTC · 7s ago · took 300ms`.
fn when(at: DateTime<Utc>, latency: Duration, now: DateTime<Utc>) -> String {
    let age = crate::store::elapsed_between(at, now);
    format!(
        "{} · {} ago · took {}",
        at.format("%Y-%m-%d %H:%M:%S UTC"),
        fmt_age(age),
        fmt_duration(latency)
    )
}

/// An error's whole text, sanitised (escape sequences made visible) but not cut at the
/// display cap; its lines kept apart.
fn error_text(error: &ApiError) -> Vec<String> {
    let full = error.unsanitized_text();
    let shown = Sanitized::new(&full).uncapped().keep_newlines().to_string();
    let mut lines: Vec<String> = shown.lines().map(str::to_string).collect();
    if let Some(url) = &error.details.activation_url {
        lines.push(format!("Enable the API: {}", Sanitized::new(url)));
    }
    lines
}

/// A failure's lines: when it happened, then its text.
fn failure_lines(
    title: &str,
    failure: &Failure,
    now: DateTime<Utc>,
    theme: &Theme,
) -> Vec<(String, Style)> {
    let mut out = vec![
        (String::new(), Style::new()),
        (
            format!(
                "{title} · {}",
                when(failure.at, failure.latency, now).replace("took", "after")
            ),
            theme.failed,
        ),
    ];
    out.extend(
        error_text(&failure.error)
            .into_iter()
            .map(|l| (l, Style::new())),
    );
    out
}

/// Columns of a row's label (`In use    `) and the space after it.
const LABEL_WIDTH: usize = 11;

/// A labelled row, `Label      value`; with a `width` (the text's columns, 30 or more) the
/// value wraps under itself, the label's columns left blank on the rows after the first.
fn push_row(
    out: &mut Vec<(String, Style)>,
    label: &str,
    value: impl AsRef<str>,
    style: Style,
    width: usize,
) {
    let value = value.as_ref();
    if width < 30 {
        out.push((format!("{label:<10} {value}"), style));
        return;
    }
    // One word too long beside its label (a metric name, a link) goes whole on the next
    // line rather than cut mid-word.
    let one_word = !value.contains(char::is_whitespace);
    let cols = value.chars().count();
    if one_word && cols > width - LABEL_WIDTH && cols <= width {
        out.push((label.to_string(), style));
        out.push((value.to_string(), style));
        return;
    }
    for (i, r) in wrap_ranges(value, width - LABEL_WIDTH)
        .into_iter()
        .enumerate()
    {
        let head = if i == 0 {
            format!("{label:<10} ")
        } else {
            " ".repeat(LABEL_WIDTH)
        };
        out.push((head + &value[r], style));
    }
}

/// The popup's lines (text and style), for the popup to wrap at its width.
pub fn detail_lines(check: &Check, cached: &Cached, view: &View) -> Vec<(String, Style)> {
    detail_lines_at(check, cached, view, 0)
}

/// [`detail_lines`] with the labelled rows' values wrapped under themselves at `width`
/// columns of text (the popup's inner width less its scrollbar column; below 30 they are
/// left to the popup's wrapping).
pub fn detail_lines_at(
    check: &Check,
    cached: &Cached,
    view: &View,
    width: usize,
) -> Vec<(String, Style)> {
    let theme = view.theme();
    let now = view.wall_now();
    let plain = Style::new();
    let mut out = Vec::with_capacity(24);
    push_row(&mut out, "Metric", check.metric.name(), plain, width);
    push_row(&mut out, "Region", &check.region, plain, width);
    let kind = match check.metric {
        QuotaMetric::Gpu { capacity, .. } => {
            format!("{} GPUs (Vertex AI training)", capacity.word())
        }
        QuotaMetric::C3 => "C3 vCPUs (Cloud Build private pools)".to_string(),
    };
    push_row(&mut out, "Quota", kind, plain, width);
    let (cell, cell_style) = quota_cell(Some(cached), theme);
    let state = match cached.state() {
        CachedState::Pending => "not checked yet".to_string(),
        CachedState::Fresh(_) => "fresh".to_string(),
        CachedState::Stale(_) => {
            format!("stale (older than the TTL, {})", fmt_duration(view.ttl()))
        }
        CachedState::Failed {
            last_good: None, ..
        } => "failed, no value yet".to_string(),
        CachedState::Failed { stale, .. } => format!(
            "last refresh failed: showing the last good value{}",
            if stale { " (stale)" } else { "" }
        ),
    };
    push_row(
        &mut out,
        "Shown",
        format!("{cell} · {state}"),
        cell_style,
        width,
    );
    if let Some(good) = &cached.entry().good {
        push_row(&mut out, "Limit", good.limit.to_string(), plain, width);
        let in_use = match &good.usage {
            Some(u) => format!("{} · read {}", u.in_use, when(u.fetched_at, u.latency, now)),
            None => "? (usage not read)".to_string(),
        };
        push_row(&mut out, "In use", in_use, plain, width);
        let free = good.free();
        let free_text = free.map_or("?".to_string(), |f| f.to_string());
        push_row(&mut out, "Free", free_text, free_style(free, theme), width);
        let fetched = when(good.fetched_at, good.latency, now);
        push_row(&mut out, "Fetched", fetched, plain, width);
    }
    if let Some(failure) = &cached.entry().last_error {
        out.extend(failure_lines("Last error", failure, now, theme));
    }
    if let Some(failure) = cached.usage_error() {
        out.extend(failure_lines("Usage error", failure, now, theme));
    }
    out.push((String::new(), plain));
    out.push((
        "Ask for more quota in the Cloud Console (y copies the link):".to_string(),
        theme.title,
    ));
    out.push((quota_increase_url(view.project(), check.metric), plain));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_shown_whole_and_defused() {
        let long = format!("start {} end", "x".repeat(900));
        let e = ApiError::new(crate::gcp::ErrorKind::Permission, long.clone());
        let text = error_text(&e).join("\n");
        assert!(text.contains(&long), "not cut at the 500-character cap");
        let hostile = ApiError::new(
            crate::gcp::ErrorKind::Permission,
            "a\u{1b}[2Jb\nsecond line",
        );
        let lines = error_text(&hostile);
        assert_eq!(lines, ["permission denied: a\\u{1b}[2Jb", "second line"]);
    }

    #[test]
    fn a_long_value_wraps_under_itself() {
        let mut out = Vec::new();
        let metric = "aiplatform.googleapis.com/custom_model_training_nvidia_a100_gpus";
        push_row(&mut out, "Metric", metric, Style::new(), 40);
        let rows: Vec<&str> = out.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            rows,
            [
                "Metric     aiplatform.googleapis.com/cus",
                "           tom_model_training_nvidia_a10",
                "           0_gpus",
            ]
        );
        assert!(rows.iter().all(|r| r.chars().count() <= 40));
        // Too narrow to indent: one row, left to the popup.
        out.clear();
        push_row(&mut out, "Metric", metric, Style::new(), 20);
        assert_eq!(out.len(), 1);
    }
}
