//! A centred popup: a bordered box with a title and a footer hint, drawn over the screen
//! (the `?` help, the Launch screen's confirmation), and [`ScrollPopup`] for text longer
//! than the screen (the Launch screen's dry run).

use std::cell::Cell;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::table::draw_scrollbar;
use super::wrap::wrap_ranges;
use crate::tui::keys::Scroll;
use crate::tui::theme::Theme;

/// Draw `lines` in a box `width` columns wide (at most the area's), centred in `area`,
/// titled `title`, with `footer` on its bottom border. Clamped to the area at any size.
pub fn draw_popup(
    frame: &mut Frame,
    area: Rect,
    width: u16,
    lines: Vec<Line<'_>>,
    title: &str,
    footer: Span<'_>,
    theme: &Theme,
) {
    let width = width.min(area.width);
    let height = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .border_style(theme.title)
                .title(Span::styled(format!(" {title} "), theme.title))
                .title_bottom(footer),
        ),
        rect,
    );
}

/// A popup whose text may be longer than the screen (the Launch screen's dry run): lines
/// wrapped at the popup's width, scrolled with the list keys, with a scrollbar when they do
/// not all fit. Owns its scroll position; the count of rows is that of the last draw.
#[derive(Debug, Default)]
pub struct ScrollPopup {
    scroll: Scroll,
    rows: Cell<usize>,
}

impl ScrollPopup {
    /// Handle a scroll key (j/k, ↑/↓, g/G, PgUp/PgDn, Space); true when it was one.
    pub fn key(&mut self, key: &KeyEvent) -> bool {
        self.scroll.key(key, self.rows.get())
    }

    /// Scroll by the mouse wheel.
    pub fn wheel(&mut self, down: bool) {
        self.scroll.wheel(down, self.rows.get());
    }

    /// Draw `lines` (each a text and its style) in a box `width` columns wide (at most the
    /// area's) and as high as they need (at most the area's), centred in `area`, titled
    /// `title`, with `footer` on its bottom border.
    #[allow(clippy::too_many_arguments)]
    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        width: u16,
        lines: &[(String, Style)],
        title: &str,
        footer: Span<'_>,
        theme: &Theme,
    ) {
        let width = width.min(area.width);
        let text_width = width.saturating_sub(3) as usize;
        let rows: Vec<Line> = lines
            .iter()
            .flat_map(|(text, style)| {
                wrap_ranges(text, text_width)
                    .into_iter()
                    .map(move |r| Line::styled(text[r].to_string(), *style))
            })
            .collect();
        self.rows.set(rows.len());
        let height = (rows.len() as u16 + 2).min(area.height);
        let rect = Rect::new(
            area.x + (area.width - width) / 2,
            area.y + (area.height - height) / 2,
            width,
            height,
        );
        let range = self
            .scroll
            .visible(rows.len(), height.saturating_sub(2) as usize);
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(rows[range.clone()].to_vec()).block(
                Block::bordered()
                    .border_style(theme.title)
                    .title(Span::styled(format!(" {title} "), theme.title))
                    .title_bottom(footer),
            ),
            rect,
        );
        draw_scrollbar(frame, rect, &range, rows.len(), 0, theme);
    }
}
