//! Colours and emphasis of the TUI, chosen once and passed into drawing.
//!
//! The config's `theme` ([`ThemeName`]: `default` for dark terminals, `light` for light
//! ones, `mono` for none) picks the styles; `NO_COLOR` (set and non-empty,
//! <https://no-color.org>) wins over it and selects [`Theme::no_color`] (what `mono` is): no
//! cell gets a foreground or background colour; meaning is carried by symbols (`…`, `!`,
//! `~`, `∞`) and by modifiers (bold, dim, reversed). Tests pick a theme explicitly.

use std::fmt;
use std::str::FromStr;

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
    /// Text a `/` filter matched.
    pub matched: Style,
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
            matched: Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
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
            matched: Style::new().add_modifier(Modifier::REVERSED | Modifier::UNDERLINED),
            toast_ok: Style::new(),
            toast_warn: Style::new().add_modifier(Modifier::BOLD),
            toast_error: Style::new().add_modifier(Modifier::BOLD),
        }
    }

    /// The theme for a light background: dark colours that read on white (no yellow or
    /// cyan text), the same meanings as [`Theme::colored`].
    pub fn light() -> Self {
        Theme {
            color: true,
            title: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            muted: Style::new().fg(Color::Gray),
            positive: Style::new().fg(Color::Green),
            zero: Style::new().fg(Color::Red),
            failed: Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
            pending: Style::new().fg(Color::Gray),
            key: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            selected: Style::new()
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            matched: Style::new()
                .fg(Color::Black)
                .bg(Color::LightYellow)
                .add_modifier(Modifier::BOLD),
            toast_ok: Style::new().fg(Color::Green),
            toast_warn: Style::new().fg(Color::Magenta),
            toast_error: Style::new().fg(Color::Red),
        }
    }

    /// The theme named `name`, unless `NO_COLOR` is set and non-empty: then
    /// [`Theme::no_color`] whatever the name.
    pub fn from_env(name: ThemeName) -> Self {
        Self::resolve(name, std::env::var_os("NO_COLOR").as_deref())
    }

    /// The theme named `name` given a value of `NO_COLOR` (`None` when unset), which wins
    /// when set and non-empty.
    pub fn resolve(name: ThemeName, no_color: Option<&std::ffi::OsStr>) -> Self {
        match (no_color, name) {
            (Some(v), _) if !v.is_empty() => Self::no_color(),
            (_, ThemeName::Mono) => Self::no_color(),
            (_, ThemeName::Light) => Self::light(),
            (_, ThemeName::Default) => Self::colored(),
        }
    }

    /// The default theme for a given value of `NO_COLOR` (`None` when unset).
    pub fn for_no_color(value: Option<&std::ffi::OsStr>) -> Self {
        Self::resolve(ThemeName::Default, value)
    }

    /// `style` marked stale: dimmed (SPEC §6: shown, never as fresh).
    pub fn stale(&self, style: Style) -> Style {
        style.add_modifier(Modifier::DIM)
    }
}

/// The config's `theme` (SPEC §9 config file; `QUOTA_TUI_THEME`): which styles the TUI
/// draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemeName {
    /// Colours for a dark background.
    #[default]
    Default,
    /// Colours for a light background.
    Light,
    /// No colour: modifiers only (what `NO_COLOR` gives).
    Mono,
}

impl ThemeName {
    /// Every name, as written in the config.
    pub const NAMES: [&'static str; 3] = ["default", "light", "mono"];

    /// The name as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            ThemeName::Default => "default",
            ThemeName::Light => "light",
            ThemeName::Mono => "mono",
        }
    }
}

impl fmt::Display for ThemeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ThemeName {
    type Err = String;

    /// `default`, `light` or `mono`; anything else is an error naming the three.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "default" => Ok(ThemeName::Default),
            "light" => Ok(ThemeName::Light),
            "mono" => Ok(ThemeName::Mono),
            other => Err(format!(
                "'{other}' is not a theme: use \"default\", \"light\" or \"mono\""
            )),
        }
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
    fn no_color_wins_over_the_configured_theme() {
        let set = Some(OsStr::new("1"));
        assert_eq!(Theme::resolve(ThemeName::Light, set), Theme::no_color());
        assert_eq!(Theme::resolve(ThemeName::Light, None), Theme::light());
        assert_eq!(Theme::resolve(ThemeName::Mono, None), Theme::no_color());
        assert_eq!(
            Theme::resolve(ThemeName::Default, Some(OsStr::new(""))),
            Theme::colored()
        );
        assert_ne!(Theme::light(), Theme::colored());
        assert_eq!("light".parse(), Ok(ThemeName::Light));
        let e = "solarized".parse::<ThemeName>().unwrap_err();
        assert!(e.contains("\"default\", \"light\" or \"mono\""), "{e}");
        for n in ThemeName::NAMES {
            assert_eq!(n.parse::<ThemeName>().unwrap().as_str(), n);
        }
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
            t.matched,
            t.toast_ok,
            t.toast_warn,
            t.toast_error,
        ] {
            assert_eq!(s.fg, None, "{s:?}");
            assert_eq!(s.bg, None, "{s:?}");
        }
    }
}
