//! The `/` filter of a list (SPEC §10; k9s's and lazygit's `/`): a one-line input at the
//! bottom of the screen. While it is open every printable key types into it (digits and
//! `q` included: they never switch screens or quit), the list narrows as one types, and the
//! matches are highlighted. Enter keeps the filter and leaves the input; Esc clears it (and
//! a kept filter too, before Esc goes back a screen); `/` opens it again on the kept text.
//!
//! Matching is by substring, ASCII letters in either case (`h100` finds `H100`).
//! A screen owns a [`Filter`], gives it keys first ([`Filter::key`]), asks
//! [`Filter::matches`] / [`Filter::find`] of each row, and says
//! [`Filter::captures`] from `Screen::captures_input`; the app draws the open input
//! ([`draw_filter_input`]) in place of the footer.

// Lists of byte ranges are what these functions return: one range is a list of one.
#![allow(clippy::single_range_in_vec_init)]

use std::ops::Range;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::input::{Input, cursor_to_end, edit, input_spans};
use crate::tui::keys::KeyHint;
use crate::tui::theme::Theme;

/// The hints shown while the filter is open.
pub const FILTER_KEYS: &[KeyHint] = &[
    KeyHint::main("Enter", "keep filter"),
    KeyHint::main("Esc", "clear"),
    KeyHint::more("←/→ Ctrl-U/W", "edit"),
];

/// The hint of `/` in a screen's key table.
pub const FILTER_HINT: KeyHint = KeyHint::main("/", "filter");

/// What a key did to the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKey {
    /// Not the filter's key: the screen (then the app) handles it.
    Ignored,
    /// Handled; the filter text may have changed (the list must be narrowed again).
    Changed,
}

/// A list's filter: the input, whether it is open (typing), and the text kept.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    input: Input,
    open: bool,
}

impl Filter {
    /// True while the input is open: every printable key types into it.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The filter's text (while typing too); empty when no filter applies.
    pub fn text(&self) -> &str {
        self.input.value()
    }

    /// True when a non-empty filter narrows the list.
    pub fn is_active(&self) -> bool {
        !self.text().is_empty()
    }

    /// True when the filter wants keys before the app's global ones: while open (typing),
    /// and while a kept filter waits for Esc to clear it.
    pub fn captures(&self) -> bool {
        self.open || self.is_active()
    }

    /// Open the input on the kept text, the cursor at its end.
    pub fn open(&mut self) {
        self.open = true;
        cursor_to_end(&mut self.input);
    }

    /// Close the input and drop the filter.
    pub fn clear(&mut self) {
        self.open = false;
        self.input = Input::default();
    }

    /// Handle `key`: `/` opens the filter; while open, Enter keeps it, Esc clears it and
    /// editing keys edit it; a kept filter is cleared by Esc. Other keys are `Ignored`.
    pub fn key(&mut self, key: &KeyEvent) -> FilterKey {
        if !self.open {
            let plain = !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
            return match key.code {
                KeyCode::Char('/') if plain => {
                    self.open();
                    FilterKey::Changed
                }
                KeyCode::Esc if self.is_active() => {
                    self.clear();
                    FilterKey::Changed
                }
                _ => FilterKey::Ignored,
            };
        }
        match key.code {
            KeyCode::Enter => {
                self.open = false;
                if !self.is_active() {
                    self.clear();
                }
            }
            KeyCode::Esc => self.clear(),
            // Ctrl-C stays quit, whatever is open.
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                return FilterKey::Ignored;
            }
            _ => {
                // Every other key stays in the input (Tab, ↑/↓ included): nothing leaks.
                edit(&mut self.input, key);
            }
        }
        FilterKey::Changed
    }

    /// Byte ranges of `text` the filter matches (empty when none, or no filter applies).
    pub fn find(&self, text: &str) -> Vec<Range<usize>> {
        find_all(text, self.text())
    }

    /// True when `text` shows under the filter (always, when no filter applies).
    pub fn matches(&self, text: &str) -> bool {
        !self.is_active() || !self.find(text).is_empty()
    }

    /// True when any of `texts` matches (a row is shown when any of its cells does).
    pub fn matches_any<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> bool {
        !self.is_active() || texts.into_iter().any(|t| !self.find(t).is_empty())
    }

    /// ` /text (n of total)` for a list's title when a filter applies; empty otherwise.
    pub fn title_note(&self, shown: usize, total: usize) -> String {
        if self.is_active() {
            format!(" /{} ({shown} of {total})", self.text())
        } else {
            String::new()
        }
    }

    /// `text` in `base` style with the filter's matches in the theme's match style.
    pub fn highlight<'a>(&self, text: &'a str, base: Style, theme: &Theme) -> Vec<Span<'a>> {
        highlight(text, &self.find(text), base, theme.matched)
    }
}

/// Byte ranges where `needle` occurs in `haystack`, ASCII letters compared in either case,
/// not overlapping, in order. An empty needle matches nothing.
pub fn find_all(haystack: &str, needle: &str) -> Vec<Range<usize>> {
    if needle.is_empty() {
        return Vec::new();
    }
    // ASCII lowering keeps every byte offset.
    let h = haystack.to_ascii_lowercase();
    let n = needle.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = h[from..].find(&n) {
        let start = from + i;
        out.push(start..start + n.len());
        from = start + n.len();
    }
    out
}

/// `text` cut into spans: the `ranges` (byte ranges, in order, on char boundaries) in
/// `matched`, the rest in `base`.
pub fn highlight<'a>(
    text: &'a str,
    ranges: &[Range<usize>],
    base: Style,
    matched: Style,
) -> Vec<Span<'a>> {
    let mut spans = Vec::with_capacity(ranges.len() * 2 + 1);
    let mut at = 0;
    for r in ranges {
        let (start, end) = (r.start.clamp(at, text.len()), r.end.min(text.len()));
        if start > at {
            spans.push(Span::styled(&text[at..start], base));
        }
        if end > start {
            spans.push(Span::styled(&text[start..end], base.patch(matched)));
        }
        at = end.max(at);
    }
    if at < text.len() || spans.is_empty() {
        spans.push(Span::styled(&text[at..], base));
    }
    spans
}

/// The open filter's input line in `area` (the footer's row): `/` and the text with its
/// cursor, then the filter's keys.
pub fn draw_filter_input(frame: &mut Frame, area: Rect, filter: &Filter, theme: &Theme) {
    let hints = super::chrome::hint_spans(FILTER_KEYS.iter().filter(|h| h.footer), theme);
    let hints_width: usize = hints.iter().map(Span::width).sum();
    let width = (area.width as usize).saturating_sub(hints_width + 3).max(8);
    let mut spans = vec![Span::styled("/", theme.key)];
    spans.extend(input_spans(&filter.input, width, Style::new()));
    let used: usize = spans.iter().map(Span::width).sum();
    spans.push(Span::raw(" ".repeat((width + 1).saturating_sub(used) + 1)));
    spans.extend(hints);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn slash_opens_typing_filters_enter_keeps_esc_clears() {
        let mut f = Filter::default();
        assert_eq!(f.key(&key(KeyCode::Char('j'))), FilterKey::Ignored);
        assert_eq!(f.key(&key(KeyCode::Char('/'))), FilterKey::Changed);
        assert!(f.is_open() && f.captures());
        for c in "h100q1".chars() {
            assert_eq!(f.key(&key(KeyCode::Char(c))), FilterKey::Changed);
        }
        assert_eq!(f.text(), "h100q1", "digits and q type");
        f.key(&key(KeyCode::Backspace));
        f.key(&key(KeyCode::Backspace));
        assert!(f.matches("H100 us-east1") && !f.matches("A100 us-east1"));
        f.key(&key(KeyCode::Enter));
        assert!(!f.is_open() && f.is_active() && f.captures(), "kept");
        assert_eq!(f.key(&key(KeyCode::Char('j'))), FilterKey::Ignored);
        f.key(&key(KeyCode::Char('/')));
        assert!(f.is_open());
        assert_eq!(f.text(), "h100", "reopened on the kept text");
        f.key(&key(KeyCode::Enter));
        assert_eq!(f.key(&key(KeyCode::Esc)), FilterKey::Changed);
        assert!(!f.is_active() && !f.captures() && f.matches("anything"));
        assert_eq!(
            f.key(&key(KeyCode::Esc)),
            FilterKey::Ignored,
            "Esc goes back"
        );
        // Enter on an empty input closes it without a filter.
        f.key(&key(KeyCode::Char('/')));
        f.key(&key(KeyCode::Enter));
        assert!(!f.captures());
        // Ctrl-C is never eaten.
        f.key(&key(KeyCode::Char('/')));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(f.key(&ctrl_c), FilterKey::Ignored);
    }

    #[test]
    fn matches_ignore_ascii_case_and_highlight_them() {
        assert_eq!(find_all("H100 h100 x", "h100"), [0..4, 5..9]);
        assert_eq!(find_all("ééH1", "h1"), [4..6], "byte offsets of the text");
        assert!(find_all("abc", "").is_empty());
        let hl = Style::new().add_modifier(ratatui::style::Modifier::REVERSED);
        let spans = highlight("a H100 b", &[2..6], Style::new(), hl);
        let parts: Vec<_> = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(parts, ["a ", "H100", " b"]);
        assert_eq!(spans[1].style, hl);
        assert_eq!(highlight("", &[], Style::new(), hl).len(), 1);
    }
}
