//! The one warmer event type (SPEC §7), broadcast to every subscriber: the log writer,
//! the UI, statistics.

use std::time::Duration;

use crate::catalog::{Check, Limit};
use crate::gcp::ApiError;

use super::stats::StatsSnapshot;

/// Batch time thresholds of SPEC §7: < 2000 ms good; 2000–2500 warn; 2500–3000 slowish;
/// > 3000 slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BatchLevel {
    Good,
    Warn,
    Slowish,
    Slow,
}

impl BatchLevel {
    /// The level of a batch that took `elapsed`.
    pub fn of(elapsed: Duration) -> Self {
        match elapsed.as_millis() {
            0..2000 => BatchLevel::Good,
            2000..2500 => BatchLevel::Warn,
            2500..=3000 => BatchLevel::Slowish,
            _ => BatchLevel::Slow,
        }
    }

    /// Emoji and event name of the batch log line (SPEC §8).
    pub fn log_tag(self) -> (&'static str, &'static str) {
        match self {
            BatchLevel::Good => ("🔥", "BATCH_WARM"),
            BatchLevel::Warn => ("⚠️", "CACHE_WARM_WARN"),
            BatchLevel::Slowish => ("😤", "CACHE_WARM_SLOWISH"),
            BatchLevel::Slow => ("💀", "CACHE_WARM_SLOW"),
        }
    }
}

/// Position of a check within its list: `n` of `total` (1-based `n`, as logged `GPU 3/20`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListPos {
    pub n: usize,
    pub total: usize,
}

/// One check's result as it landed.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    pub check: Check,
    pub result: Result<Limit, ApiError>,
    /// Time from request to answer, retries included.
    pub latency: Duration,
}

/// A finished batch: at most one GPU and one C3 check.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchReport {
    pub cycle: u64,
    /// 1-based batch number within the cycle (repair batches keep the last number).
    pub batch: usize,
    /// True for a repair batch: a retry, after the cycle completed, of checks that failed
    /// transiently (positions are then `None`).
    pub repair: bool,
    /// Position of this batch's GPU check, `None` when the GPU list was done.
    pub gpu: Option<ListPos>,
    /// Position of this batch's C3 check, `None` when the C3 list was done.
    pub c3: Option<ListPos>,
    /// Wall time of the batch, ms precision.
    pub elapsed: Duration,
    pub level: BatchLevel,
    /// GPU outcome first, then C3.
    pub outcomes: Vec<CheckOutcome>,
}

impl BatchReport {
    /// True when every check of the batch failed.
    pub fn all_failed(&self) -> bool {
        !self.outcomes.is_empty() && self.outcomes.iter().all(|o| o.result.is_err())
    }
}

/// What the warmer says. Sent on a `tokio::sync::broadcast` channel; clone-cheap enough for
/// a few subscribers.
#[derive(Debug, Clone, PartialEq)]
pub enum WarmerEvent {
    /// A cycle began. `rewarm` is false for the first cycle (`🚀 CACHE_WARM_START`), true for
    /// refresh-ahead and warm-now cycles (`🔄 CACHE_REWARM`).
    CycleStarted {
        cycle: u64,
        rewarm: bool,
        /// Why: e.g. `24m since last cycle began` or `warm now requested`.
        reason: String,
        /// Checks in this cycle (38 by default).
        total: usize,
    },
    /// A check's result landed in the cache (sent before its batch's `BatchDone`).
    CheckLanded {
        outcome: CheckOutcome,
        /// Checks done in this cycle so far, this one included.
        done: usize,
        total: usize,
    },
    /// A check failed (`💥 CACHE_WARM_ERROR`); also sent as `CheckLanded`. Not sent for a
    /// `service_disabled` answer, which is announced once as [`WarmerEvent::ServiceDisabled`].
    CheckFailed { check: Check, error: ApiError },
    /// `check`'s service answered `service_disabled` (SPEC §4), for an API not announced yet
    /// in this cycle: one `💥 CACHE_WARM_ERROR` line and one toast with the activation URL.
    /// The service's remaining checks of the cycle land as failed with the same error
    /// (`CheckLanded`), without a request, until the next cycle or a warm-now.
    ServiceDisabled { check: Check, error: ApiError },
    /// A batch finished (one of the four batch levels).
    BatchDone(BatchReport),
    /// A tick found a batch in flight (`⏭️ CACHE_WARM_SKIP`), at most once per batch.
    Skipped,
    /// All checks of the cycle ran (`✅ CACHE_WARM_COMPLETE`).
    CycleComplete {
        cycle: u64,
        elapsed: Duration,
        gpu: ListPos,
        c3: ListPos,
        failed: usize,
    },
    /// Shutdown cut an in-flight batch (`🛑 CACHE_WARM_CANCELLED`).
    Cancelled {
        gpu: Option<ListPos>,
        c3: Option<ListPos>,
    },
    /// The final statistics, sent last at shutdown (`📊 FINAL_STATS`).
    FinalStats(StatsSnapshot),
}
