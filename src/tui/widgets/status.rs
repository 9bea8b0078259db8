//! The status widget at the top right of every screen (SPEC §10): how far the warmer is, and
//! how much of it failed.
//!
//! `🔥 Warming... 15/38`; after a warn / slowish / slow batch `⚠️ Warming... 15/38`,
//! `😤 Warming... 15/38`, `💀 SLOW! 15/38`; `✅ Cache HOT! 38/38` once a cycle completed (a
//! re-warm keeps HOT and adds `🔄 n/38`); `💥 ERROR` while the last batch failed outright.
//! Failures are never hidden: any count above zero adds `· N failed` (`✅ Cache HOT! 38/38 ·
//! 3 failed`, in the warning colour), and a complete cycle in which every check failed shows
//! `💥 ERROR 0/38 ok` in red; a cycle started after such a one shows as warming, not HOT.

use std::fmt::Write as _;

use ratatui::style::Style;

use crate::tui::theme::Theme;
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
    /// A cycle has completed: the cache is warm (SPEC §7, whatever the outcomes).
    pub hot: bool,
    /// A cycle is running after a completed one (refresh-ahead or warm now).
    pub rewarming: bool,
    /// Every check of the last batch failed (`BatchReport::all_failed`).
    pub failed_outright: bool,
    /// Checks of the current cycle whose last fetch failed (repairs that succeed lower it).
    pub failed: usize,
    /// Every check of the last completed cycle failed (set when the next cycle starts).
    pub previous_all_failed: bool,
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
            failed: p.failed,
            previous_all_failed: false,
        }
    }

    /// True when the current cycle is complete and every one of its checks failed.
    pub fn all_failed(&self) -> bool {
        self.hot && !self.rewarming && self.total > 0 && self.failed >= self.total
    }

    /// Fold one warmer event in; true when the widget's text changed.
    pub fn apply(&mut self, event: &WarmerEvent) -> bool {
        let before = *self;
        match event {
            WarmerEvent::CycleStarted { total, .. } => {
                self.previous_all_failed = self.all_failed();
                self.total = *total;
                self.done = 0;
                self.failed = 0;
                self.rewarming = self.hot;
            }
            WarmerEvent::MetricLanded {
                outcome,
                done,
                total,
            } => {
                self.done = *done;
                self.total = *total;
                // Every landing counts its failed checks, those settled without a request (a
                // disabled service) included; a repair batch's are taken back at its
                // `BatchDone`.
                self.failed += outcome.failed();
            }
            WarmerEvent::BatchDone(report) => {
                self.level = report.level;
                if report.repair {
                    // Its checks were already counted failed: a failure again changes nothing,
                    // a success lowers the count. The complete cycle's own state stays shown.
                    let cells: usize = report.outcomes.iter().map(|o| o.request.len()).sum();
                    self.failed = self.failed.saturating_sub(cells);
                } else {
                    self.failed_outright = report.all_failed();
                }
            }
            WarmerEvent::CycleComplete { failed, .. } => {
                self.hot = true;
                self.rewarming = false;
                self.done = self.total;
                self.failed = *failed;
                // Warm means complete (SPEC §7), even if the last batch failed; a cycle that
                // failed everywhere shows as an error of its own (`all_failed`).
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
        let _ = if self.all_failed() {
            write!(out, "💥 ERROR 0/{total} ok")
        } else if self.failed_outright {
            write!(out, "💥 ERROR")
        } else if self.hot && self.rewarming && !self.previous_all_failed {
            write!(out, "✅ Cache HOT! 🔄 {done}/{total}")
        } else if self.hot && !self.rewarming {
            write!(out, "✅ Cache HOT! {total}/{total}")
        } else {
            match self.level {
                BatchLevel::Good => write!(out, "🔥 Warming... {done}/{total}"),
                BatchLevel::Warn => write!(out, "⚠️ Warming... {done}/{total}"),
                BatchLevel::Slowish => write!(out, "😤 Warming... {done}/{total}"),
                BatchLevel::Slow => write!(out, "💀 SLOW! {done}/{total}"),
            }
        };
        if self.failed > 0 && !self.all_failed() {
            let _ = write!(out, " · {} failed", self.failed);
        }
    }

    /// The widget's text.
    pub fn text(&self) -> String {
        let mut s = String::new();
        self.write_text(&mut s);
        s
    }

    /// The widget's style under `theme`: red for an error, the warning colour when checks
    /// failed or batches are slow, green when HOT with no failure.
    pub fn style(&self, theme: &Theme) -> Style {
        if self.failed_outright || self.all_failed() {
            theme.toast_error
        } else if self.failed > 0 {
            theme.toast_warn
        } else if self.hot && !(self.rewarming && self.previous_all_failed) {
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
    use crate::gcp::{ApiError, ErrorKind, MetricOutcome};
    use crate::warmer::{CycleCause, ListPos};
    use std::time::Duration;

    fn progress() -> Progress {
        Progress {
            cycle: 0,
            done: 0,
            total: 38,
            complete: false,
            ever_complete: false,
            failed: 0,
            started_at: None,
        }
    }

    fn outcome(ms: u64, ok: bool) -> MetricOutcome {
        let result = if ok {
            Ok(Limit::Finite(4))
        } else {
            Err(ApiError::new(ErrorKind::Unavailable, "down"))
        };
        MetricOutcome::for_check(&Check::c3("us-east1"), result, Duration::from_millis(ms))
    }

    fn landed(ms: u64, ok: bool) -> WarmerEvent {
        WarmerEvent::MetricLanded {
            outcome: outcome(ms, ok),
            done: 0,
            total: 38,
        }
    }

    fn batch(ms: u64, ok: bool) -> WarmerEvent {
        WarmerEvent::BatchDone(crate::tui::toast::report(1, ms, vec![outcome(ms, ok)]))
    }

    fn repair(ok: bool) -> WarmerEvent {
        let mut r = crate::tui::toast::report(1, 100, vec![outcome(100, ok)]);
        r.repair = true;
        WarmerEvent::BatchDone(r)
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
        s.apply(&landed(100, false));
        s.apply(&batch(100, false));
        assert_eq!(s.text(), "💥 ERROR · 1 failed");
        s.apply(&batch(100, true));
        assert_eq!(
            s.text(),
            "🔥 Warming... 0/38 · 1 failed",
            "failures stay counted"
        );
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
            cause: CycleCause::WarmNow,
            total: 38,
        });
        assert_eq!(s.text(), "✅ Cache HOT! 🔄 0/38");
        assert!(!s.apply(&WarmerEvent::Skipped), "a skip changes nothing");
    }

    fn complete(failed: usize) -> WarmerEvent {
        WarmerEvent::CycleComplete {
            cycle: 1,
            elapsed: Duration::from_secs(40),
            gpu: ListPos { n: 20, total: 20 },
            c3: ListPos { n: 18, total: 18 },
            failed,
        }
    }

    #[test]
    fn failures_are_counted_and_an_all_failed_cycle_is_an_error() {
        let t = Theme::colored();
        let mut s = WarmStatus::from_progress(progress());
        s.apply(&complete(3));
        assert_eq!(s.text(), "✅ Cache HOT! 38/38 · 3 failed");
        assert_eq!(s.style(&t), t.toast_warn);
        s.apply(&complete(0));
        assert_eq!(s.text(), "✅ Cache HOT! 38/38");
        assert_eq!(s.style(&t), t.positive);
        s.apply(&complete(38));
        assert_eq!(s.text(), "💥 ERROR 0/38 ok");
        assert_eq!(s.style(&t), t.toast_error);
        // A repair batch that fails again changes nothing.
        s.apply(&landed(100, false));
        s.apply(&repair(false));
        assert_eq!(s.text(), "💥 ERROR 0/38 ok");

        // The next cycle after an all-failed one is warming, not HOT.
        s.apply(&WarmerEvent::CycleStarted {
            cycle: 2,
            cause: CycleCause::WarmNow,
            total: 38,
        });
        assert_eq!(s.text(), "🔥 Warming... 0/38");
        assert_ne!(s.style(&t), t.positive);

        // Failures count as they land (a disabled service's settled checks too).
        s.apply(&landed(0, false));
        s.apply(&landed(0, false));
        assert_eq!(s.text(), "🔥 Warming... 0/38 · 2 failed");
        // A repair batch that succeeds lowers the count.
        s.apply(&complete(2));
        s.apply(&landed(100, true));
        s.apply(&repair(true));
        assert_eq!(s.text(), "✅ Cache HOT! 38/38 · 1 failed");
    }
}
