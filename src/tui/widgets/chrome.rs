//! The frame around every screen (SPEC §10, k9s's conventions): the header line (`quota-tui ·
//! <project>` on the left, the status widget on the right), the tab bar, the footer of key
//! hints and the `?` help popup.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};

use super::popup::draw_popup;
use crate::tui::keys::{GLOBAL_KEYS, KeyHint};
use crate::tui::theme::Theme;

/// The header: `quota-tui · <title>` on the left, the status widget's `status` in
/// `status_style` on the right.
pub fn draw_header(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    status: &str,
    status_style: Style,
    theme: &Theme,
) {
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("quota-tui", theme.title),
            Span::raw(" · "),
            Span::styled(title, theme.key),
        ])),
        area,
    );
    frame.render_widget(
        Paragraph::new(Span::styled(status, status_style)).alignment(Alignment::Right),
        area,
    );
}

/// The tab bar: `labels` (`1 Home`, ...) with `current` highlighted.
pub fn draw_tabs(frame: &mut Frame, area: Rect, labels: &[String], current: usize, theme: &Theme) {
    let titles = labels.iter().map(|l| Line::from(l.as_str()));
    frame.render_widget(
        Tabs::new(titles)
            .select(current)
            .style(theme.muted)
            .highlight_style(theme.selected)
            .divider("│"),
        area,
    );
}

/// `keys action · keys action · ...`
pub fn hint_spans<'a>(hints: impl Iterator<Item = &'a KeyHint>, theme: &Theme) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    for h in hints {
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", theme.muted));
        }
        spans.push(Span::styled(h.keys, theme.key));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(h.action, theme.muted));
    }
    spans
}

/// The footer: the footer hints of `hints`, in order.
pub fn draw_footer<'a>(
    frame: &mut Frame,
    area: Rect,
    hints: impl Iterator<Item = &'a KeyHint>,
    theme: &Theme,
) {
    let hints = hints.filter(|h| h.footer);
    frame.render_widget(Paragraph::new(Line::from(hint_spans(hints, theme))), area);
}

/// The `?` help popup: the screen's own keys (`screen` is its title), then the global ones.
pub fn draw_help(frame: &mut Frame, area: Rect, screen: &str, keys: &[KeyHint], theme: &Theme) {
    let mut lines = vec![Line::styled(format!("{screen} screen"), theme.title)];
    let row = |h: &KeyHint| {
        Line::from(vec![
            Span::styled(format!("  {:<11}", h.keys), theme.key),
            Span::raw(h.action),
        ])
    };
    if keys.is_empty() {
        lines.push(Line::styled("  (no keys of its own)", theme.muted));
    }
    lines.extend(keys.iter().map(row));
    lines.push(Line::raw(""));
    lines.push(Line::styled("Everywhere", theme.title));
    lines.extend(GLOBAL_KEYS.iter().map(row));
    draw_popup(
        frame,
        area,
        52,
        lines,
        "Help",
        Span::styled(" Esc or ? to close ", theme.muted),
        theme,
    );
}
