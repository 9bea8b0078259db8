//! A centred popup: a bordered box with a title and a footer hint, drawn over the screen
//! (the `?` help, the Launch screen's confirmation).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

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
