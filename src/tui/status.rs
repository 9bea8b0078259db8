//! The status widget at the top right of every screen (SPEC §10): how far the warmer is.
//!
//! `🔥 Warming... 15/38`; after a warn / slowish / slow batch `⚠️ Warming... 15/38`,
//! `😤 Warming... 15/38`, `💀 SLOW! 15/38`; `✅ Cache HOT! 38/38` once a cycle completed (a
//! re-warm keeps HOT and adds `🔄 n/38`); `💥 ERROR` while the last batch failed outright.

use std::fmt::Write as _;

use ratatui::style::Style;

use super::theme::Theme;
use crate::warmer::{BatchLevel, Progress, WarmerEvent};

/// What the status widget shows, folded from warmer events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarmStatus {
    /// Checks done in the current cycle.
    pub done: usize,
    /// Checks in a cycle (38 by default).
    pub total: usize,
    /// Level of the last finished batch.
    pub level: BatchLevel,
    /// A cycle has completed: the cache is warm.
    pub hot: bool,
    /// A cycle is running after a completed one (refresh-ahead or warm now).
    pub rewarming: bool,
    /// Every check of the last batch failed (`BatchReport::all_failed`).
    pub failed_outright: bool,
}

impl WarmStatus {
    /// The status as read from the warmer's progress (at start, or after missed events).
    pub fn from_progress(p: Progress) -> Self {
        WarmStatus {
            done: if p.complete { p.total } else { p.done },
            total: p.total,
            level: BatchLevel::Good,
            hot: p.ever_complete,
            rewarming: p.ever_complete && !p.complete && p.cycle > 0,
            failed_outright: false,
        }
    }

    /// Fold one warmer event in; true when the widget's text changed.
    pub fn apply(&mut self, event: &WarmerEvent) -> bool {
        let before = *self;
        match event {
            WarmerEvent::CycleStarted { total, .. } => {
                self.total = *total;
                self.done = 0;
                self.rewarming = self.hot;
            }
            WarmerEvent::CheckLanded { done, total, .. } => {
                self.done = *done;
                self.total = *total;
            }
            WarmerEvent::BatchDone(report) => {
                self.level = report.level;
                self.failed_outright = report.all_failed();
            }
            WarmerEvent::CycleComplete { .. } => {
                self.hot = true;
                self.rewarming = false;
                self.done = self.total;
                // Warm means complete (SPEC §7), even if the last batch failed.
                self.failed_outright = false;
            }
            _ => {}
        }
        *self != before
    }

    /// Write the widget's text into `out` (cleared first; reused to keep frames allocation-light).
    pub fn write_text(&self, out: &mut String) {
        out.clear();
        let (done, total) = (self.done, self.total);
        let _ = if self.failed_outright {
            write!(out, "💥 ERROR")
        } else if self.hot && self.rewarming {
            write!(out, "✅ Cache HOT! 🔄 {done}/{total}")
        } else if self.hot {
            write!(out, "✅ Cache HOT! {total}/{total}")
        } else {
            match self.level {
                BatchLevel::Good => write!(out, "🔥 Warming... {done}/{total}"),
                BatchLevel::Warn => write!(out, "⚠️ Warming... {done}/{total}"),
                BatchLevel::Slowish => write!(out, "😤 Warming... {done}/{total}"),
                BatchLevel::Slow => write!(out, "💀 SLOW! {done}/{total}"),
            }
        };
    }

    /// The widget's text.
    pub fn text(&self) -> String {
        let mut s = String::new();
        self.write_text(&mut s);
        s
    }

    /// The widget's style under `theme`.
    pub fn style(&self, theme: &Theme) -> Style {
        if self.failed_outright {
            theme.toast_error
        } else if self.hot {
            theme.positive
        } else if self.level >= BatchLevel::Slowish {
            theme.toast_warn
        } else {
            theme.title
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Check, Limit};
    use crate::gcp::{ApiError, ErrorKind};
    use crate::warmer::{CheckOutcome, ListPos};
    use std::time::Duration;

    fn progress() -> Progress {
        Progress {
            cycle: 0,
            done: 0,
            total: 38,
            complete: false,
            ever_complete: false,
            started: None,
        }
    }

    fn batch(ms: u64, ok: bool) -> WarmerEvent {
        let result = if ok {
            Ok(Limit::Finite(4))
        } else {
            Err(ApiError::new(ErrorKind::Unavailable, "down"))
        };
        WarmerEvent::BatchDone(crate::tui::toast::report(
            1,
            ms,
            vec![CheckOutcome {
                check: Check::c3("us-east1"),
                result,
                latency: Duration::from_millis(ms),
            }],
        ))
    }

    #[test]
    fn levels_error_and_hot() {
        let mut s = WarmStatus::from_progress(progress());
        assert_eq!(s.text(), "🔥 Warming... 0/38");
        assert!(s.apply(&batch(2100, true)));
        assert_eq!(s.text(), "⚠️ Warming... 0/38");
        s.apply(&batch(2700, true));
        assert_eq!(s.text(), "😤 Warming... 0/38");
        s.apply(&batch(3100, true));
        assert_eq!(s.text(), "💀 SLOW! 0/38");
        s.apply(&batch(100, false));
        assert_eq!(s.text(), "💥 ERROR");
        s.apply(&batch(100, true));
        assert_eq!(s.text(), "🔥 Warming... 0/38");
        s.apply(&WarmerEvent::CycleComplete {
            cycle: 1,
            elapsed: Duration::from_secs(40),
            gpu: ListPos { n: 20, total: 20 },
            c3: ListPos { n: 18, total: 18 },
            failed: 0,
        });
        assert_eq!(s.text(), "✅ Cache HOT! 38/38");
        s.apply(&WarmerEvent::CycleStarted {
            cycle: 2,
            rewarm: true,
            reason: "warm now requested".into(),
            total: 38,
        });
        assert_eq!(s.text(), "✅ Cache HOT! 🔄 0/38");
        assert!(!s.apply(&WarmerEvent::Skipped), "a skip changes nothing");
    }
}
