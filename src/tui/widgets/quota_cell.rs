//! The quota cell (SPEC §10 Infra): one cached limit as the Infra, Cache and Home screens
//! show it, decided by [`Cached::state`] alone.
//!
//! A cell shows the limit: green above zero, red at zero, `…` not yet checked, `!` failed
//! with no good value, `∞` unlimited; a value whose last refresh failed is dimmed with a `!`
//! after it (`16!`: the last good value, kept), one that is stale (older than the TTL)
//! dimmed with a `~`.

use ratatui::style::Style;

use crate::catalog::Limit;
use crate::store::{Cached, CachedState};
use crate::tui::theme::Theme;

/// The value a cell shows and whether it is fresh (younger than the TTL, even when a later
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

/// The marks after a shown value: `!` when the last refresh failed (the value is the last
/// good one), `~` when it is stale (older than the TTL); `""` for a fresh, good value.
pub fn value_marks(cached: &Cached) -> &'static str {
    match cached.state() {
        CachedState::Pending | CachedState::Fresh(_) => "",
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

/// The text and style of one quota cell (GPU limit or C3 vCPUs).
///
/// `None` (no entry) and an entry without a good value or error are `…`; an error with no
/// good value is `!`; a value is its limit (`∞` when unlimited), `positive` above zero,
/// `zero` at zero, followed by its [`value_marks`] and dimmed when it has any (`16!` when the
/// last refresh failed, `8~` when stale).
pub fn quota_cell(cached: Option<&Cached>, theme: &Theme) -> (String, Style) {
    let Some(cached) = cached else {
        return ("…".to_string(), theme.pending);
    };
    let limit = match cached.state() {
        CachedState::Pending => return ("…".to_string(), theme.pending),
        CachedState::Failed {
            last_good: None, ..
        } => return ("!".to_string(), theme.failed),
        CachedState::Fresh(good)
        | CachedState::Stale(good)
        | CachedState::Failed {
            last_good: Some(good),
            ..
        } => good.limit,
    };
    let style = if limit.is_positive() {
        theme.positive
    } else {
        theme.zero
    };
    (
        format!("{limit}{}", value_marks(cached)),
        value_style(cached, style, theme),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gcp::{ApiError, ErrorKind};
    use crate::store::{Entry, Failure, GoodValue};
    use chrono::{DateTime, Utc};
    use ratatui::style::Modifier;
    use std::time::Duration;

    const TTL: Duration = Duration::from_secs(60);

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-21T02:45:22Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    /// An entry holding `limit` fetched `age` ago (stale from the 60 s TTL on), and the
    /// failure `error` after it when given.
    fn cached(limit: Option<Limit>, age: Duration, error: Option<ErrorKind>) -> Cached {
        let entry = Entry {
            good: limit.map(|limit| GoodValue::new(limit, now() - age, Duration::ZERO)),
            last_error: error.map(|kind| Failure {
                error: ApiError::new(kind, "no"),
                at: now(),
                latency: Duration::ZERO,
            }),
        };
        Cached::new(Some(&entry), TTL, now())
    }

    fn good(limit: Limit, age: Duration) -> Cached {
        cached(Some(limit), age, None)
    }

    #[test]
    fn cells_carry_meaning_by_symbol_and_style() {
        let t = Theme::colored();
        let (fresh, stale) = (Duration::from_secs(1), Duration::from_secs(61));
        assert_eq!(quota_cell(None, &t), ("…".into(), t.pending));
        assert_eq!(
            quota_cell(Some(&cached(None, fresh, None)), &t),
            ("…".into(), t.pending)
        );
        assert_eq!(
            quota_cell(Some(&good(Limit::Finite(16), fresh)), &t),
            ("16".into(), t.positive)
        );
        assert_eq!(
            quota_cell(Some(&good(Limit::Finite(0), fresh)), &t),
            ("0".into(), t.zero)
        );
        assert_eq!(
            quota_cell(Some(&good(Limit::Unlimited, fresh)), &t),
            ("∞".into(), t.positive)
        );
        let (text, style) = quota_cell(Some(&good(Limit::Finite(8), stale)), &t);
        assert_eq!(text, "8~");
        assert!(style.add_modifier.contains(Modifier::DIM));
        let failed = cached(None, fresh, Some(ErrorKind::Permission));
        assert_eq!(quota_cell(Some(&failed), &t), ("!".into(), t.failed));

        // A good value whose last refresh failed: kept, marked, dimmed; stale too: both marks.
        let kept = cached(Some(Limit::Finite(16)), fresh, Some(ErrorKind::Permission));
        let (text, style) = quota_cell(Some(&kept), &t);
        assert_eq!(text, "16!");
        assert!(style.add_modifier.contains(Modifier::DIM));
        assert_eq!(style.fg, t.positive.fg);
        let kept_stale = cached(Some(Limit::Finite(16)), stale, Some(ErrorKind::Permission));
        assert_eq!(quota_cell(Some(&kept_stale), &t).0, "16!~");

        // What the cell shows, and whether it is still a hit.
        assert_eq!(shown_value(&cached(None, fresh, None)), None);
        assert_eq!(shown_value(&failed), None);
        assert_eq!(
            shown_value(&good(Limit::Finite(0), fresh)),
            Some((Limit::Finite(0), true))
        );
        assert_eq!(
            shown_value(&good(Limit::Finite(8), stale)),
            Some((Limit::Finite(8), false))
        );
        assert_eq!(shown_value(&kept), Some((Limit::Finite(16), true)));
        assert_eq!(shown_value(&kept_stale), Some((Limit::Finite(16), false)));
    }
}
