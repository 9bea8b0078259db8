//! Pieces of the bordered, scrollable tables (the Infra screen's C3 table, the Cache screen's
//! checks): the rows that fit, the title that says which rows are shown, the block and the
//! header row in the theme's title style.

use std::borrow::Cow;
use std::ops::Range;

use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Cell, Row};

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
