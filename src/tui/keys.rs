//! Key tables and list scrolling.
//!
//! Each screen has one table of [`KeyHint`]s: the footer shows it (with the global hints),
//! and the `?` help popup lists it in full followed by [`GLOBAL_KEYS`]. [`Scroll`] gives every
//! list the same vim / arrow / page keys and the mouse wheel.

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One key binding as shown to the user: `keys` (e.g. `j/k`) and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyHint {
    pub keys: &'static str,
    pub action: &'static str,
    /// Shown in the footer (else only in the help popup).
    pub footer: bool,
}

impl KeyHint {
    /// A hint shown in the footer and the help popup.
    pub const fn main(keys: &'static str, action: &'static str) -> Self {
        KeyHint {
            keys,
            action,
            footer: true,
        }
    }

    /// A hint shown only in the help popup.
    pub const fn more(keys: &'static str, action: &'static str) -> Self {
        KeyHint {
            keys,
            action,
            footer: false,
        }
    }
}

/// Keys that work on every screen.
pub const GLOBAL_KEYS: &[KeyHint] = &[
    KeyHint::more("1-5", "switch screen"),
    KeyHint::more("Tab/S-Tab", "next / previous screen"),
    KeyHint::more("Esc", "back (previous screen, close popup)"),
    KeyHint::more("w", "warm now (start a new cycle)"),
    KeyHint::main("?", "help"),
    KeyHint::main("q", "quit"),
    KeyHint::more("Ctrl-C", "quit"),
];

/// The hints of a scrollable list.
pub const SCROLL_KEYS: &[KeyHint] = &[
    KeyHint::main("j/k", "scroll"),
    KeyHint::more("↑/↓", "scroll"),
    KeyHint::main("g/G", "top / bottom"),
    KeyHint::more("PgUp/PgDn", "page"),
    KeyHint::more("wheel", "scroll"),
];

/// True for Ctrl-C.
pub fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C'))
}

/// The top row of a list and the height it was last drawn at.
///
/// The height is a `Cell` written by drawing (drawing takes `&self`), so page keys and `G`
/// move by what the user saw.
#[derive(Debug, Default)]
pub struct Scroll {
    offset: usize,
    viewport: Cell<usize>,
    /// Stick to the bottom as rows are added (for live tails).
    pub follow: bool,
}

impl Scroll {
    /// A scroll position that starts at, and sticks to, the bottom (a live tail).
    pub fn following() -> Self {
        Scroll {
            follow: true,
            ..Scroll::default()
        }
    }

    /// The first visible row.
    pub fn offset(&self) -> usize {
        self.offset
    }

    fn current(&self, max: usize) -> usize {
        if self.follow {
            max
        } else {
            self.offset.min(max)
        }
    }

    fn max_offset(&self, rows: usize) -> usize {
        rows.saturating_sub(self.viewport.get().max(1))
    }

    /// Handle a scroll key for a list of `rows`; true when the key was a scroll key. When
    /// every row fits nothing moves (a list that fits never starts following its end).
    pub fn key(&mut self, key: &KeyEvent, rows: usize) -> bool {
        let page = self.viewport.get().max(1);
        let max = self.max_offset(rows);
        let scroll_key = matches!(
            key.code,
            KeyCode::Char('j' | 'k' | 'g' | 'G' | ' ')
                | KeyCode::Down
                | KeyCode::Up
                | KeyCode::Home
                | KeyCode::End
                | KeyCode::PageDown
                | KeyCode::PageUp
        );
        if max == 0 {
            return scroll_key;
        }
        let offset = self.current(max);
        let new = match key.code {
            KeyCode::Char('j') | KeyCode::Down => (offset + 1).min(max),
            KeyCode::Char('k') | KeyCode::Up => offset.saturating_sub(1),
            KeyCode::Char('g') | KeyCode::Home => 0,
            KeyCode::Char('G') | KeyCode::End => max,
            KeyCode::PageDown | KeyCode::Char(' ') => (offset + page).min(max),
            KeyCode::PageUp => offset.saturating_sub(page),
            _ => return false,
        };
        self.offset = new;
        self.follow = new == max;
        true
    }

    /// Scroll by the mouse wheel: 3 rows down (`down`) or up; nothing when every row fits.
    pub fn wheel(&mut self, down: bool, rows: usize) {
        let max = self.max_offset(rows);
        if max == 0 {
            return;
        }
        let offset = self.current(max);
        self.offset = if down {
            (offset + 3).min(max)
        } else {
            offset.saturating_sub(3)
        };
        self.follow = self.offset == max;
    }

    /// The range of rows to draw in `height` lines (records the height for paging).
    pub fn visible(&self, rows: usize, height: usize) -> std::ops::Range<usize> {
        self.viewport.set(height);
        let max = rows.saturating_sub(height);
        let start = if self.follow {
            max
        } else {
            self.offset.min(max)
        };
        start..(start + height).min(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn scroll_keys_stay_within_the_list() {
        let mut s = Scroll::default();
        assert_eq!(s.visible(38, 10), 0..10);
        assert!(s.key(&key(KeyCode::Char('G')), 38));
        assert_eq!(s.visible(38, 10), 28..38);
        assert!(s.key(&key(KeyCode::Char('j')), 38));
        assert_eq!(s.offset(), 28, "no scrolling past the end");
        s.key(&key(KeyCode::Char('k')), 38);
        assert_eq!(
            s.visible(38, 10),
            27..37,
            "k moves up from the bottom at once"
        );
        s.key(&key(KeyCode::PageUp), 38);
        assert_eq!(s.offset(), 17);
        s.key(&key(KeyCode::Char('g')), 38);
        assert_eq!(s.offset(), 0);
        s.wheel(true, 38);
        assert_eq!(s.offset(), 3);
        assert!(!s.key(&key(KeyCode::Char('x')), 38));
        assert_eq!(s.visible(2, 10), 0..2, "short lists show whole");
    }

    #[test]
    fn a_list_that_fits_never_starts_following() {
        let mut s = Scroll::default();
        assert_eq!(s.visible(18, 20), 0..18);
        for c in [KeyCode::Char('j'), KeyCode::Char('G'), KeyCode::PageDown] {
            assert!(s.key(&key(c), 18), "still a scroll key");
            assert!(!s.follow, "{c:?} made a list that fits follow its end");
        }
        s.wheel(true, 18);
        assert!(!s.follow);
        // It grows past the viewport: the list shows its top, not its end.
        assert_eq!(s.visible(30, 20), 0..20);
        let mut tail = Scroll::following();
        tail.visible(5, 20);
        tail.key(&key(KeyCode::Char('k')), 5);
        assert!(tail.follow, "a live tail that fits keeps following");
    }

    #[test]
    fn ctrl_c_is_recognised() {
        assert!(is_ctrl_c(&KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL
        )));
        assert!(!is_ctrl_c(&key(KeyCode::Char('c'))));
    }
}
