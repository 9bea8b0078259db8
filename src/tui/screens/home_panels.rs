//! The Home dashboard's panels: the answers (free GPUs per type, the C3 answer), the
//! warmer (its state, the next re-warm, batch figures and a sparkline of the last batch
//! times, [`crate::warmer::StatsSnapshot::recent_batch_ms`]), and what needs attention
//! (failed checks with their error, usage that could not be read, stale values).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use super::View;
use super::answers::{c3_line, gpu_line};
use crate::catalog::Capacity;
use crate::store::{Cached, CachedState};
use crate::tui::screens::cache::next_rewarm;
use crate::tui::screens::fmt_age;
use crate::tui::widgets::table::titled_block;

/// The answers box: one line per GPU type, then the C3 line.
pub fn draw_answers(frame: &mut Frame, area: Rect, view: &View) {
    let theme = view.theme();
    let catalog = view.catalog();
    let regions = &catalog.gpu_regions;
    let width = area.width.saturating_sub(2) as usize;
    let capacity = match catalog.capacity {
        Capacity::Spot => "spot",
        Capacity::OnDemand => "on-demand",
    };
    let mut lines = Vec::with_capacity(catalog.gpu_types.len() + 1);
    for (ti, gpu) in catalog.gpu_types.iter().enumerate() {
        let cells: Vec<&Cached> = (0..regions.len())
            .filter_map(|ri| view.gpu_cached(ti, ri))
            .collect();
        lines.push(gpu_line(gpu.name(), regions, &cells, theme, width));
    }
    lines.push(c3_line(view, width));
    frame.render_widget(
        Paragraph::new(lines).block(titled_block(
            format!(" Where you can run now ({capacity}; most free, from the cache) "),
            theme,
        )),
        area,
    );
}

/// The warmer's state in words: the first cycle's progress, a re-warm's, or the last
/// complete cycle; with the checks that failed in it.
fn state_spans<'a>(view: &View) -> Vec<Span<'a>> {
    let theme = view.theme();
    let status = view.status();
    let stats = view.stats();
    let mut spans = if !status.hot {
        vec![Span::styled(
            format!(
                "warming: first cycle, {}/{} checks",
                status.done, status.total
            ),
            theme.pending,
        )]
    } else if status.rewarming {
        vec![Span::styled(
            format!(
                "re-warming: {}/{} checks (cache warm)",
                status.done, status.total
            ),
            theme.positive,
        )]
    } else {
        let last = stats
            .last_cycle_ms
            .map(|ms| format!(" in {:.1}s", ms as f64 / 1000.0))
            .unwrap_or_default();
        vec![Span::styled(
            format!("warm: {}/{} checks{last}", status.done, status.total),
            theme.positive,
        )]
    };
    if status.failed > 0 {
        spans.push(Span::styled(
            format!(" · {} failed", status.failed),
            theme.failed,
        ));
    }
    spans.push(Span::styled(" · next re-warm ", theme.muted));
    spans.push(Span::raw(next_rewarm(view)));
    spans
}

/// The warmer box: state and next re-warm, batch figures, the batch-time sparkline.
pub fn draw_warmer(frame: &mut Frame, area: Rect, view: &View) {
    let theme = view.theme();
    let s = view.stats();
    let recent = &s.recent_batch_ms;
    let figures = Line::from(vec![
        Span::styled("batches ", theme.muted),
        Span::raw(s.batches.to_string()),
        Span::styled(" · avg ", theme.muted),
        Span::raw(format!("{}ms", s.avg_ms)),
        Span::styled(" · p95 ", theme.muted),
        Span::raw(format!("{}ms", s.p95_ms)),
        Span::styled(" · max ", theme.muted),
        Span::raw(format!("{}ms", s.max_ms)),
        Span::styled(" · slow ", theme.muted),
        Span::styled(
            s.slow.to_string(),
            if s.slow > 0 {
                theme.toast_warn
            } else {
                theme.positive
            },
        ),
    ]);
    let inner_width = area.width.saturating_sub(2) as usize;
    // The newest batches that fit, oldest first.
    let shown = &recent[recent.len().saturating_sub(inner_width)..];
    let bottom = if shown.is_empty() {
        " batch times: none yet ".to_string()
    } else {
        format!(
            " last {} batch times, ms (max {}) ",
            shown.len(),
            shown.iter().max().copied().unwrap_or(0)
        )
    };
    let block = titled_block(" Warmer ", theme).title_bottom(Span::styled(bottom, theme.muted));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [text, spark] = Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(inner);
    frame.render_widget(
        Paragraph::new(vec![Line::from(state_spans(view)), figures]),
        text,
    );
    frame.render_widget(
        Sparkline::default()
            .data(shown)
            .style(theme.title)
            .absent_value_style(theme.muted),
        spark,
    );
}

/// One line per check that needs attention: a failed limit (its error), a usage that could
/// not be read (`usage: ...`), or a stale value (its age); checks in catalog order.
fn attention_lines<'a>(view: &View) -> Vec<Line<'a>> {
    let theme = view.theme();
    let mut lines = Vec::new();
    for (check, cached) in view.checks().iter().zip(view.snapshot()) {
        let (what, style) = match cached.state() {
            CachedState::Failed { error, .. } => (error.error.to_string(), theme.failed),
            CachedState::Stale(_) => (
                format!(
                    "stale: {} old (TTL {})",
                    view.age(cached).map(fmt_age).unwrap_or_default(),
                    fmt_age(view.ttl())
                ),
                theme.stale(theme.muted),
            ),
            _ => match cached.usage_error() {
                Some(f) => (format!("usage: {}", f.error), theme.toast_warn),
                None => continue,
            },
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<24} ", check.to_string()), theme.title),
            Span::styled(what, style),
        ]));
    }
    lines
}

/// The needs-attention box (where the terminal has room below the rest).
pub fn draw_attention(frame: &mut Frame, area: Rect, view: &View) {
    let theme = view.theme();
    let mut lines = attention_lines(view);
    let n = lines.len();
    let room = area.height.saturating_sub(2) as usize;
    if n == 0 {
        lines.push(Line::styled(
            " nothing: every value read is fresh and good",
            theme.muted,
        ));
    } else if n > room && room > 0 {
        lines.truncate(room - 1);
        lines.push(Line::styled(
            format!(" … and {} more on the Cache screen (4)", n - (room - 1)),
            theme.muted,
        ));
    }
    frame.render_widget(
        Paragraph::new(lines).block(titled_block(format!(" Needs attention ({n}) "), theme)),
        area,
    );
}
