//! The quota cell (SPEC §10 Infra): one cached check as the Infra, Cache, Home and Launch
//! screens show it, decided by [`Cached::state`] and the usage kept with the value
//! (SPEC §4 Usage, §6). The one place that decides a cell's text and style.
//!
//! A cell shows `free/limit` (`4/16`: limit − in use, never below 0): green when something
//! is free, red when nothing is, `?` in place of free while the usage is unknown (`?/16`, in
//! the warning colour: a limit, not a promise); `0/0` for a zero limit (nothing can be
//! free, whatever the usage); `∞` unlimited. `…` not yet checked, `!` failed with no good
//! value. A value whose last refresh failed (its limit, or its usage when an older usage is
//! kept) is dimmed with a `!` after it (`4/16!`: the last good values, kept), one that is
//! stale (older than the TTL) dimmed with a `~`.

use ratatui::style::Style;

use crate::catalog::Limit;
use crate::store::{Cached, CachedState};
use crate::tui::theme::Theme;

/// The values a cell shows: the limit, what is free, and whether the limit is fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellValue {
    /// GPUs or vCPUs.
    pub limit: Limit,
    /// Limit − in use, never below 0 ([`Limit::free`]); `None` while the usage is unknown,
    /// except for a zero limit, which has nothing free whatever is in use.
    pub free: Option<Limit>,
    /// The limit is younger than the TTL (a hit), even when a later refresh failed.
    pub fresh: bool,
}

impl CellValue {
    /// True when something is known to be free (free > 0; unlimited counts).
    pub fn has_free(&self) -> bool {
        self.free.is_some_and(Limit::is_positive)
    }

    /// True when the usage is unknown and the limit alone says there may be room.
    pub fn maybe_free(&self) -> bool {
        self.free.is_none() && self.limit.is_positive()
    }
}

/// What a cell shows; `None` while pending, or failed with no good value.
pub fn cell_value(cached: &Cached) -> Option<CellValue> {
    let (limit, fresh) = shown_value(cached)?;
    let free = cached
        .free()
        .or_else(|| (limit == Limit::Finite(0)).then_some(Limit::Finite(0)));
    Some(CellValue { limit, free, fresh })
}

/// The limit a cell shows and whether it is fresh (younger than the TTL, even when a later
/// refresh failed: still a hit); `None` while pending, or failed with no good value.
pub fn shown_value(cached: &Cached) -> Option<(Limit, bool)> {
    match cached.state() {
        CachedState::Pending
        | CachedState::Failed {
            last_good: None, ..
        } => None,
        CachedState::Fresh(good) => Some((good.limit, true)),
        CachedState::Stale(good) => Some((good.limit, false)),
        CachedState::Failed {
            last_good: Some(good),
            stale,
            ..
        } => Some((good.limit, !stale)),
    }
}

/// True when the last usage read failed while an older usage is kept: the free shown is
/// from that older reading. (With no usage kept the cell shows `?` instead.)
pub fn usage_refresh_failed(cached: &Cached) -> bool {
    cached.usage_error().is_some() && cached.usage().is_some()
}

/// The marks after a shown value: `!` when the last refresh failed (of the limit, or of the
/// usage behind a kept free: the values are the last good ones), `~` when the limit is stale
/// (older than the TTL); `""` for a fresh, good value.
pub fn value_marks(cached: &Cached) -> &'static str {
    let usage_failed = usage_refresh_failed(cached);
    match cached.state() {
        CachedState::Pending => "",
        CachedState::Fresh(_) if usage_failed => "!",
        CachedState::Fresh(_) => "",
        CachedState::Stale(_) if usage_failed => "!~",
        CachedState::Stale(_) => "~",
        CachedState::Failed { stale: false, .. } => "!",
        CachedState::Failed { stale: true, .. } => "!~",
    }
}

/// `style` for a shown value: dimmed when the value is stale or its last refresh failed
/// (shown, never as fresh: SPEC §6).
pub fn value_style(cached: &Cached, style: Style, theme: &Theme) -> Style {
    if value_marks(cached).is_empty() {
        style
    } else {
        theme.stale(style)
    }
}

/// `free/limit` (`4/16`), `?/16` while the usage is unknown, `∞` when unlimited.
pub fn free_limit_text(free: Option<Limit>, limit: Limit) -> String {
    match (free, limit) {
        (_, Limit::Unlimited) => "∞".to_string(),
        (Some(free), limit) => format!("{free}/{limit}"),
        (None, limit) => format!("?/{limit}"),
    }
}

/// The colour of what is free: `positive` when something is, `zero` when nothing is, the
/// warning colour while unknown.
pub fn free_style(free: Option<Limit>, theme: &Theme) -> Style {
    match free {
        Some(f) if f.is_positive() => theme.positive,
        Some(_) => theme.zero,
        None => theme.toast_warn,
    }
}

/// The text and style of one quota cell (GPUs or C3 vCPUs): see the module docs.
///
/// `None` (no entry) and an entry without a good value or error are `…`; an error with no
/// good value is `!`; a value is [`free_limit_text`] in [`free_style`], followed by its
/// [`value_marks`] and dimmed when it has any (`4/16!` when the last refresh failed, `8/8~`
/// when stale).
pub fn quota_cell(cached: Option<&Cached>, theme: &Theme) -> (String, Style) {
    let Some(cached) = cached else {
        return ("…".to_string(), theme.pending);
    };
    match cached.state() {
        CachedState::Pending => return ("…".to_string(), theme.pending),
        CachedState::Failed {
            last_good: None, ..
        } => return ("!".to_string(), theme.failed),
        _ => {}
    }
    let Some(value) = cell_value(cached) else {
        return ("…".to_string(), theme.pending);
    };
    (
        format!(
            "{}{}",
            free_limit_text(value.free, value.limit),
            value_marks(cached)
        ),
        value_style(cached, free_style(value.free, theme), theme),
    )
}

#[cfg(test)]
#[path = "quota_cell_tests.rs"]
mod tests;
