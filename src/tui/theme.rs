//! Colours and emphasis of the TUI, chosen once and passed into drawing.
//!
//! `NO_COLOR` (set and non-empty, <https://no-color.org>) selects [`Theme::no_color`]: no cell
//! gets a foreground or background colour; meaning is carried by symbols (`…`, `!`, `~`, `∞`)
//! and by modifiers (bold, dim, reversed). Tests pick a theme explicitly.

use ratatui::style::{Color, Modifier, Style};

/// The styles every screen draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// False under `NO_COLOR`.
    pub color: bool,
    /// Screen and block titles.
    pub title: Style,
    /// Secondary text: hints, legends, ages.
    pub muted: Style,
    /// A quota above zero (or unlimited).
    pub positive: Style,
    /// A quota of zero.
    pub zero: Style,
    /// A failed check with no good value (`!`), and error text.
    pub failed: Style,
    /// A check not yet fetched (`…`).
    pub pending: Style,
    /// The key of a key hint.
    pub key: Style,
    /// The selected tab or list row.
    pub selected: Style,
    /// Toast borders by level.
    pub toast_ok: Style,
    pub toast_warn: Style,
    pub toast_error: Style,
}

impl Theme {
    /// The coloured theme.
    pub fn colored() -> Self {
        Theme {
            color: true,
            title: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            muted: Style::new().fg(Color::DarkGray),
            positive: Style::new().fg(Color::Green),
            zero: Style::new().fg(Color::Red),
            failed: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            pending: Style::new().fg(Color::DarkGray),
            key: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            selected: Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            toast_ok: Style::new().fg(Color::Green),
            toast_warn: Style::new().fg(Color::Yellow),
            toast_error: Style::new().fg(Color::Red),
        }
    }

    /// The theme for `NO_COLOR`: modifiers only, every colour left at `Reset`.
    pub fn no_color() -> Self {
        Theme {
            color: false,
            title: Style::new().add_modifier(Modifier::BOLD),
            muted: Style::new(),
            positive: Style::new(),
            zero: Style::new().add_modifier(Modifier::BOLD),
            failed: Style::new().add_modifier(Modifier::BOLD),
            pending: Style::new(),
            key: Style::new().add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            toast_ok: Style::new(),
            toast_warn: Style::new().add_modifier(Modifier::BOLD),
            toast_error: Style::new().add_modifier(Modifier::BOLD),
        }
    }

    /// [`Theme::no_color`] when `NO_COLOR` is set and non-empty, else [`Theme::colored`].
    pub fn from_env() -> Self {
        Self::for_no_color(std::env::var_os("NO_COLOR").as_deref())
    }

    /// The theme for a given value of `NO_COLOR` (`None` when unset).
    pub fn for_no_color(value: Option<&std::ffi::OsStr>) -> Self {
        match value {
            Some(v) if !v.is_empty() => Self::no_color(),
            _ => Self::colored(),
        }
    }

    /// `style` marked stale: dimmed (SPEC §6: shown, never as fresh).
    pub fn stale(&self, style: Style) -> Style {
        style.add_modifier(Modifier::DIM)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn no_color_only_when_set_and_non_empty() {
        assert!(Theme::for_no_color(None).color);
        assert!(Theme::for_no_color(Some(OsStr::new(""))).color);
        assert!(!Theme::for_no_color(Some(OsStr::new("1"))).color);
    }

    #[test]
    fn no_color_theme_has_no_colour() {
        let t = Theme::no_color();
        for s in [
            t.title,
            t.muted,
            t.positive,
            t.zero,
            t.failed,
            t.pending,
            t.key,
            t.selected,
            t.toast_ok,
            t.toast_warn,
            t.toast_error,
        ] {
            assert_eq!(s.fg, None, "{s:?}");
            assert_eq!(s.bg, None, "{s:?}");
        }
    }
}
