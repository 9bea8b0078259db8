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

/// The tab under column `x` of the tab bar drawn by [`draw_tabs`] (`x` counted from the
/// bar's left edge): each tab is its label with one space either side (ratatui's `Tabs`
/// padding), tabs are parted by a one-column divider, which belongs to none.
pub fn tab_at(labels: &[String], x: u16) -> Option<usize> {
    let mut start = 0u16;
    for (i, label) in labels.iter().enumerate() {
        let width = Line::raw(label.as_str()).width() as u16 + 2;
        if (start..start + width).contains(&x) {
            return Some(i);
        }
        start += width + 1;
    }
    None
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

/// The `?` help popup: the screen's own keys (`screen` is its title), then the global ones
/// the screen does not take for itself (the Logs screen's `w` is wrap, not warm now).
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
    lines.extend(
        GLOBAL_KEYS
            .iter()
            .filter(|g| !keys.iter().any(|k| k.keys == g.keys))
            .map(row),
    );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::Theme;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    #[test]
    fn a_click_finds_the_tab_drawn_under_it() {
        let labels: Vec<String> = ["1 Home", "2 Infra", "3 Launch"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut t = Terminal::new(TestBackend::new(40, 1)).unwrap();
        t.draw(|f| draw_tabs(f, f.area(), &labels, 0, &Theme::no_color()))
            .unwrap();
        let row: String = (0..40)
            .map(|x| t.backend().buffer()[(x, 0)].symbol().to_string())
            .collect();
        let col = |byte: usize| row[..byte].chars().count() as u16;
        for (i, label) in labels.iter().enumerate() {
            let x = col(row.find(label.as_str()).unwrap());
            assert_eq!(tab_at(&labels, x), Some(i), "{label} at {x}");
            let end = x + label.len() as u16 - 1;
            assert_eq!(tab_at(&labels, end), Some(i));
        }
        assert_eq!(tab_at(&labels, col(row.find('│').unwrap())), None);
        assert_eq!(tab_at(&labels, 39), None);
    }
}
