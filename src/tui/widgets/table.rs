//! Pieces of the bordered, scrollable tables (the Infra screen's C3 table, the Cache screen's
//! checks): the rows that fit, the title that says which rows are shown, the block and the
//! header row in the theme's title style.

use std::borrow::Cow;
use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Cell, Row, Scrollbar, ScrollbarOrientation, ScrollbarState};

use crate::tui::theme::Theme;

/// Body rows a bordered table with a one-line header shows in `area` (borders and header
/// take 3 lines).
pub fn body_rows(area: Rect) -> usize {
    area.height.saturating_sub(3) as usize
}

/// ` name (first–last of total) ` when `range` is part of the `total` rows; `None` when every
/// row shows.
pub fn scrolled_title(name: &str, range: &Range<usize>, total: usize) -> Option<String> {
    (range.len() < total)
        .then(|| format!(" {name} ({}–{} of {total}) ", range.start + 1, range.end))
}

/// A bordered block titled `title` in the title style.
pub fn titled_block<'a>(title: impl Into<Cow<'a, str>>, theme: &Theme) -> Block<'a> {
    Block::bordered().title(Span::styled(title, theme.title))
}

/// A header row of `cells` in the title style.
pub fn header_row<'a, C>(cells: impl IntoIterator<Item = C>, theme: &Theme) -> Row<'a>
where
    C: Into<Cell<'a>>,
{
    Row::new(cells).style(theme.title)
}

/// A vertical scrollbar on the right border of the bordered `area` when the `range` of rows
/// shown is not all `total` rows (`header` rows under the top border are left out of its
/// track); nothing when every row shows.
pub fn draw_scrollbar(
    frame: &mut Frame,
    area: Rect,
    range: &Range<usize>,
    total: usize,
    header: u16,
    theme: &Theme,
) {
    if range.len() >= total {
        return;
    }
    let track = area.inner(Margin {
        horizontal: 0,
        vertical: 1,
    });
    let track = Rect {
        y: track.y + header.min(track.height),
        height: track.height.saturating_sub(header),
        ..track
    };
    // The thumb's position runs over the offsets a list can take: 0 ..= total - shown.
    let mut state = ScrollbarState::new(total.saturating_sub(range.len()) + 1)
        .viewport_content_length(range.len())
        .position(range.start);
    frame.render_stateful_widget(
        Scrollbar::new(ScrollbarOrientation::VerticalRight)
            .begin_symbol(None)
            .end_symbol(None)
            .thumb_style(theme.title)
            .track_style(theme.muted),
        track,
        &mut state,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_says_which_rows_show_when_not_all_do() {
        assert_eq!(
            scrolled_title("Checks", &(0..14), 38).as_deref(),
            Some(" Checks (1–14 of 38) ")
        );
        assert_eq!(
            scrolled_title("C3 private pools", &(4..18), 18).as_deref(),
            Some(" C3 private pools (5–18 of 18) ")
        );
        assert_eq!(scrolled_title("Checks", &(0..38), 38), None);
        assert_eq!(body_rows(Rect::new(0, 0, 10, 17)), 14);
        assert_eq!(body_rows(Rect::new(0, 0, 10, 2)), 0);
    }
}
