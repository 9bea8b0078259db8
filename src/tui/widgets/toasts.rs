//! Toasts on screen (SPEC §10): one slot just above the footer, never over a table. The
//! app gives the slot the lines the shown toast needs ([`toast_height`], at most 3; none
//! when no toast is live) and the screen above shrinks by as much, so a toast never hides a
//! row. One toast shows ([`Toasts::current`]), with `+N` for the others still live; long text wraps at
//! spaces (a URL is broken across lines, never cut).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::tui::theme::Theme;
use crate::tui::toast::{ToastLevel, Toasts};

/// Most lines a toast takes.
pub const TOAST_MAX_LINES: usize = 3;

/// ` +N` after the shown toast when it hides `N` others.
fn hidden_note(toasts: &Toasts) -> String {
    match toasts.hidden() {
        0 => String::new(),
        n => format!("  +{n}"),
    }
}

/// The shown toast's lines at `width` columns: the text wrapped after a 2-column marker,
/// with room for the `+N` note.
fn toast_lines(toasts: &Toasts, width: u16) -> Vec<String> {
    let Some(toast) = toasts.current() else {
        return Vec::new();
    };
    let note = Span::raw(hidden_note(toasts)).width();
    let text_width = (width as usize).saturating_sub(2 + note);
    wrap_words(&toast.text, text_width, TOAST_MAX_LINES)
}

/// Rows the toast slot needs at `width` columns: 0 with no live toast, else the shown
/// toast's lines (1 to [`TOAST_MAX_LINES`]).
pub fn toast_height(toasts: &Toasts, width: u16) -> u16 {
    toast_lines(toasts, width).len() as u16
}

/// Draw the shown toast in `area` (the slot [`toast_height`] sized): a marker in its level's
/// style, the text (plain for an Ok toast, in the level's style for a warning or an error),
/// then `+N` muted.
pub fn draw_toast_slot(frame: &mut Frame, area: Rect, toasts: &Toasts, theme: &Theme) {
    let Some(toast) = toasts.current() else {
        return;
    };
    let (marker, style) = match toast.level {
        ToastLevel::Ok => (theme.toast_ok, Style::new()),
        ToastLevel::Warn => (theme.toast_warn, theme.toast_warn),
        ToastLevel::Error => (theme.toast_error, theme.toast_error),
    };
    let lines = toast_lines(toasts, area.width);
    let last = lines.len().saturating_sub(1);
    let note = hidden_note(toasts);
    let lines: Vec<Line> = lines
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let mut spans = vec![Span::styled("▌ ", marker), Span::styled(text, style)];
            if i == last && !note.is_empty() {
                spans.push(Span::styled(note.clone(), theme.muted));
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines), area);
}

/// Break `text` at spaces into at most `max_lines` lines of at most `width` columns; a word
/// longer than a line (a URL) is broken across lines so it shows whole. Width 0 gives one
/// empty line.
pub fn wrap_words(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = vec![String::new()];
    if width == 0 {
        return lines;
    }
    let mut used = 0;
    for word in text.split(' ').flat_map(|w| split_long(w, width)) {
        let w = Span::raw(word.as_str()).width();
        if used > 0 && used + 1 + w > width {
            if lines.len() == max_lines {
                break;
            }
            lines.push(String::new());
            used = 0;
        }
        let line = lines.last_mut().expect("one line at least");
        if used > 0 {
            line.push(' ');
            used += 1;
        }
        line.push_str(&word);
        used += w;
    }
    lines
}

/// `word` in pieces of at most `width` columns (one piece when it fits).
fn split_long(word: &str, width: usize) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut used = 0;
    for c in word.chars() {
        let w = Span::raw(c.to_string()).width();
        if used + w > width && used > 0 {
            pieces.push(String::new());
            used = 0;
        }
        pieces.last_mut().expect("one piece").push(c);
        used += w;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::wrap_words;

    #[test]
    fn toast_text_wraps_at_spaces() {
        assert_eq!(wrap_words("a bb ccc", 4, 3), ["a bb", "ccc"]);
        assert_eq!(wrap_words("a bb ccc dd", 4, 2), ["a bb", "ccc"]);
        assert_eq!(wrap_words("short", 20, 3), ["short"]);
        assert_eq!(wrap_words("x", 0, 3), [""]);
        // A URL longer than the toast is broken across lines, never cut.
        assert_eq!(
            wrap_words("go to https://e.x/abcdefgh now", 8, 4),
            ["go to", "https://", "e.x/abcd", "efgh now"]
        );
    }
}
