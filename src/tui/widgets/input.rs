//! One-line text input, on `tui-input`'s [`Input`] (the Launch screen's image and job name,
//! the `/` filter): the usual editing keys, and the line drawn with the cursor cell
//! reversed, scrolled so the cursor stays in view.
//!
//! Keys ([`edit`], tui-input's crossterm mapping): ←/→ (Ctrl-B/F), Home/End (Ctrl-A/E),
//! Ctrl-←/→ by word, Backspace/Delete, Ctrl-U (the whole line), Ctrl-W (the word before
//! the cursor), Ctrl-K (to the end), Ctrl-Y (paste what was cut); printable characters type.

use crossterm::event::{Event as TermEvent, KeyEvent};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use tui_input::backend::crossterm::to_input_request;
pub use tui_input::{Input, InputRequest};

/// Apply an editing key to `input`; true when the key is an editing key (whether or not it
/// changed anything), false for a key the input does not use (Enter, Esc, Tab, ↑/↓, ...).
pub fn edit(input: &mut Input, key: &KeyEvent) -> bool {
    match to_input_request(&TermEvent::Key(*key)) {
        Some(request) => {
            input.handle(request);
            true
        }
        None => false,
    }
}

/// Put the cursor at the end of the text (entering a field: typing appends).
pub fn cursor_to_end(input: &mut Input) {
    input.handle(InputRequest::GoToEnd);
}

/// The visible part of `input` in `width` columns with the cursor cell reversed: the text
/// scrolled sideways so the cursor shows (tui-input's `visual_scroll`), then the cell under
/// the cursor (a space at the end). Wide characters count their display width.
pub fn input_spans(input: &Input, width: usize, style: Style) -> Vec<Span<'static>> {
    let width = width.max(2);
    // One column is kept for the cursor cell at the end.
    let scroll = input.visual_scroll(width - 1);
    let cursor = input.cursor();
    let (mut before, mut at, mut after) = (String::new(), None, String::new());
    let mut col = 0usize;
    for (i, c) in input.value().chars().enumerate() {
        let w = Span::raw(c.to_string()).width();
        let visible = col >= scroll;
        col += w;
        if !visible {
            continue;
        }
        if i < cursor {
            before.push(c);
        } else if i == cursor {
            at = Some(c.to_string());
        } else {
            after.push(c);
        }
    }
    let cursor_style = style.add_modifier(Modifier::REVERSED);
    vec![
        Span::styled(before, style),
        Span::styled(at.unwrap_or_else(|| " ".to_string()), cursor_style),
        Span::styled(after, style),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn text(spans: &[Span]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn editing_keys_move_by_chars_and_words() {
        let mut i = Input::default();
        for c in "gcr.io/p/img:1".chars() {
            assert!(edit(&mut i, &key(KeyCode::Char(c))));
        }
        assert_eq!((i.value(), i.cursor()), ("gcr.io/p/img:1", 14));
        assert!(edit(&mut i, &ctrl('a')));
        assert_eq!(i.cursor(), 0);
        edit(&mut i, &ctrl('e'));
        assert_eq!(i.cursor(), 14);
        edit(&mut i, &key(KeyCode::Left));
        edit(&mut i, &key(KeyCode::Backspace));
        assert_eq!(i.value(), "gcr.io/p/img1");
        edit(&mut i, &key(KeyCode::Home));
        edit(&mut i, &key(KeyCode::Delete));
        assert_eq!(i.value(), "cr.io/p/img1");
        edit(&mut i, &key(KeyCode::End));
        edit(&mut i, &ctrl('w'));
        assert!(i.value().len() < "cr.io/p/img1".len(), "{}", i.value());
        edit(&mut i, &ctrl('u'));
        assert_eq!(i.value(), "");
        assert!(!edit(&mut i, &key(KeyCode::Enter)), "not an editing key");
        assert!(!edit(&mut i, &key(KeyCode::Esc)));
    }

    #[test]
    fn the_cursor_goes_to_the_end_on_entering() {
        let mut i = Input::from("us-central1").with_cursor(3);
        cursor_to_end(&mut i);
        assert_eq!(i.cursor(), 11);
        edit(&mut i, &key(KeyCode::Char('x')));
        assert_eq!(i.value(), "us-central1x", "typing appends");
    }

    #[test]
    fn the_visible_part_keeps_the_cursor_in_view() {
        let i = Input::from("abcdefghij");
        let spans = input_spans(&i, 5, Style::new());
        assert_eq!(text(&spans), "ghij ", "the tail and the cursor cell");
        assert!(spans[1].style.add_modifier.contains(Modifier::REVERSED));
        let i = i.with_cursor(2);
        let spans = input_spans(&i, 20, Style::new());
        assert_eq!(
            (
                spans[0].content.as_ref(),
                spans[1].content.as_ref(),
                spans[2].content.as_ref()
            ),
            ("ab", "c", "defghij")
        );
    }
}
