//! A one-line text field with a cursor (the Launch screen's image and job name): pure
//! editing by characters, so it can be tested without a terminal.

/// A one-line text field with a cursor (a char index, `0..=len`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextField {
    text: String,
    cursor: usize,
}

impl TextField {
    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor, in chars from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map_or(self.text.len(), |(b, _)| b)
    }

    /// Insert `c` at the cursor and move past it.
    pub fn insert(&mut self, c: char) {
        let at = self.byte_at(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
    }

    /// Delete the char before the cursor (Backspace).
    pub fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    /// Delete the char under the cursor (Delete).
    pub fn delete(&mut self) {
        if self.cursor < self.text.chars().count() {
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    /// Move the cursor by `delta` chars, within the text.
    pub fn move_cursor(&mut self, delta: isize) {
        let len = self.text.chars().count();
        self.cursor = self.cursor.saturating_add_signed(delta).min(len);
    }

    /// Cursor to the start (`Home`) or the end (`End`).
    pub fn cursor_to(&mut self, end: bool) {
        self.cursor = if end { self.text.chars().count() } else { 0 };
    }

    /// Empty the field (Ctrl-U).
    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
    }

    /// Replace the text; the cursor goes to its end.
    pub fn set(&mut self, text: &str) {
        self.text = text.to_string();
        self.cursor = self.text.chars().count();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_editing_inserts_deletes_and_moves_by_chars() {
        let mut t = TextField::default();
        for c in "gcr.io/é:1".chars() {
            t.insert(c);
        }
        assert_eq!((t.text(), t.cursor()), ("gcr.io/é:1", 10));
        t.move_cursor(-2);
        t.backspace();
        assert_eq!((t.text(), t.cursor()), ("gcr.io/:1", 7));
        t.delete();
        assert_eq!(t.text(), "gcr.io/1");
        t.cursor_to(false);
        t.move_cursor(-5);
        assert_eq!(t.cursor(), 0);
        t.backspace();
        t.insert('x');
        assert_eq!(t.text(), "xgcr.io/1");
        t.cursor_to(true);
        t.delete();
        t.move_cursor(9);
        assert_eq!((t.text(), t.cursor()), ("xgcr.io/1", 9));
        t.clear();
        assert_eq!((t.text(), t.cursor()), ("", 0));
    }
}
