//! A selected row in a list (the Cache screen's checks, the Infra screen's C3 pools): the
//! same vim / arrow / page keys and mouse wheel as [`Scroll`](super::keys::Scroll), moving
//! the selection, and a window of rows that always keeps it in view.

use std::cell::Cell;
use std::ops::Range;

use crossterm::event::{KeyCode, KeyEvent};

/// The selected row of a list, and the first row and height it was last drawn at.
///
/// The first row and height are `Cell`s written by drawing (drawing takes `&self`), so page
/// keys move by what the user saw and the window follows the selection.
#[derive(Debug, Default)]
pub struct Selection {
    selected: usize,
    offset: Cell<usize>,
    viewport: Cell<usize>,
}

impl Selection {
    /// The selected row (clamped by the caller to the rows it has).
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The first row of the window last drawn.
    pub fn offset(&self) -> usize {
        self.offset.get()
    }

    /// Select row `row`.
    pub fn select(&mut self, row: usize) {
        self.selected = row;
    }

    /// Handle a list key for a list of `rows`: j/k ↑/↓ one row, g/G Home/End the ends,
    /// PgUp/PgDn (Space) a page. True when it was one of them.
    pub fn key(&mut self, key: &KeyEvent, rows: usize) -> bool {
        let last = rows.saturating_sub(1);
        let page = self.viewport.get().max(1);
        let at = self.selected.min(last);
        self.selected = match key.code {
            KeyCode::Char('j') | KeyCode::Down => (at + 1).min(last),
            KeyCode::Char('k') | KeyCode::Up => at.saturating_sub(1),
            KeyCode::Char('g') | KeyCode::Home => 0,
            KeyCode::Char('G') | KeyCode::End => last,
            KeyCode::PageDown | KeyCode::Char(' ') => (at + page).min(last),
            KeyCode::PageUp => at.saturating_sub(page),
            _ => return false,
        };
        true
    }

    /// Move the selection by the mouse wheel: 3 rows down (`down`) or up.
    pub fn wheel(&mut self, down: bool, rows: usize) {
        let last = rows.saturating_sub(1);
        let at = self.selected.min(last);
        self.selected = if down {
            (at + 3).min(last)
        } else {
            at.saturating_sub(3)
        };
    }

    /// The rows to draw in `height` lines, the selection among them (records the window).
    pub fn visible(&self, rows: usize, height: usize) -> Range<usize> {
        self.viewport.set(height);
        let selected = self.selected.min(rows.saturating_sub(1));
        let max = rows.saturating_sub(height);
        let mut start = self.offset.get().min(max);
        if selected < start {
            start = selected;
        } else if height > 0 && selected >= start + height {
            start = selected + 1 - height;
        }
        self.offset.set(start);
        start..(start + height).min(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn the_window_follows_the_selection() {
        let mut s = Selection::default();
        assert_eq!(s.visible(38, 10), 0..10);
        for _ in 0..12 {
            assert!(s.key(&key(KeyCode::Char('j')), 38));
        }
        assert_eq!(s.selected(), 12);
        assert_eq!(
            s.visible(38, 10),
            3..13,
            "the selection is the last row shown"
        );
        s.key(&key(KeyCode::Char('k')), 38);
        assert_eq!(
            s.visible(38, 10),
            3..13,
            "moving inside the window keeps it"
        );
        s.key(&key(KeyCode::Char('G')), 38);
        assert_eq!((s.selected(), s.visible(38, 10)), (37, 28..38));
        s.key(&key(KeyCode::PageUp), 38);
        assert_eq!(s.selected(), 27);
        assert_eq!(s.visible(38, 10), 27..37);
        s.key(&key(KeyCode::Char('g')), 38);
        assert_eq!((s.selected(), s.visible(38, 10)), (0, 0..10));
        s.wheel(true, 38);
        assert_eq!(s.selected(), 3);
        s.wheel(false, 38);
        s.wheel(false, 38);
        assert_eq!(s.selected(), 0);
        assert!(!s.key(&key(KeyCode::Char('x')), 38));
    }

    #[test]
    fn stays_within_the_list() {
        let mut s = Selection::default();
        s.key(&key(KeyCode::Char('j')), 2);
        s.key(&key(KeyCode::Char('j')), 2);
        assert_eq!(s.selected(), 1, "no selecting past the end");
        assert_eq!(s.visible(2, 10), 0..2, "short lists show whole");
        s.key(&key(KeyCode::Char('k')), 0);
        assert_eq!(s.selected(), 0, "an empty list selects row 0");
        assert_eq!(s.visible(0, 10), 0..0);
        assert_eq!(s.visible(5, 0), 0..0, "no room: nothing shown, no panic");
    }
}
