//! Toasts on screen (SPEC §10): stacked at the bottom right of the body, newest lowest,
//! never over the footer; long text wraps at spaces, up to 3 lines.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::theme::Theme;
use crate::tui::toast::{ToastLevel, Toasts};

/// Widest a toast gets, borders included (longer text wraps, up to 3 lines).
const TOAST_MAX_WIDTH: u16 = 72;

/// Draw `toasts` in `area`, newest at the bottom; those that do not fit are left out.
pub fn draw_toasts(frame: &mut Frame, area: Rect, toasts: &Toasts, theme: &Theme) {
    let mut bottom = area.bottom();
    for toast in toasts.iter().rev() {
        let text_width = Line::raw(toast.text.as_str()).width() as u16;
        let width = (text_width + 4).min(area.width).min(TOAST_MAX_WIDTH);
        let lines = wrap_words(&toast.text, width.saturating_sub(4) as usize, 3);
        let height = lines.len() as u16 + 2;
        if bottom < area.y + height {
            break;
        }
        let rect = Rect::new(
            area.right().saturating_sub(width),
            bottom - height,
            width,
            height,
        )
        .intersection(area);
        let style = match toast.level {
            ToastLevel::Ok => theme.toast_ok,
            ToastLevel::Warn => theme.toast_warn,
            ToastLevel::Error => theme.toast_error,
        };
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(lines.into_iter().map(Line::raw).collect::<Vec<_>>())
                .block(Block::bordered().border_style(style)),
            rect,
        );
        bottom -= height;
    }
}

/// Break `text` at spaces into at most `max_lines` lines of at most `width` columns; a word
/// longer than a line (a URL) is broken across lines so it shows whole. Width 0 gives one
/// empty line.
fn wrap_words(text: &str, width: usize, max_lines: usize) -> Vec<String> {
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
