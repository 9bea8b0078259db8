//! The one warmer event type (SPEC §7), broadcast to every subscriber: the log writer, the
//! UI, `warm`, statistics. Events carry raw values (counts, durations, errors, metrics); the
//! words of `cache_warm.log` are all in `logs`.

use std::time::Duration;

use crate::catalog::{Check, QuotaMetric};
use crate::gcp::{ApiError, MetricOutcome};

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
}

/// Cells (checks) of a list done in the cycle: `n` of `total` (logged `GPU 8/20`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListPos {
    pub n: usize,
    pub total: usize,
}

/// Why a cycle began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleCause {
    /// The warmer's first cycle, with its timers (`🚀 CACHE_WARM_START`).
    First {
        interval: Duration,
        ttl: Duration,
        refresh: Duration,
    },
    /// Refresh-ahead: `since` after the previous cycle began (`🔄 CACHE_REWARM`).
    Refresh { since: Duration },
    /// "Warm now" was asked for (`🔄 CACHE_REWARM`).
    WarmNow,
}

/// A finished batch: at most one GPU metric and one C3 metric.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchReport {
    pub cycle: u64,
    /// 1-based batch number within the cycle (repair batches keep the last number).
    pub batch: usize,
    /// True for a repair batch: a retry, after the cycle completed, of metrics that failed
    /// transiently.
    pub repair: bool,
    /// GPU cells done in the cycle after this batch.
    pub gpu: ListPos,
    /// C3 cells done in the cycle after this batch.
    pub c3: ListPos,
    /// Wall time of the batch, ms precision.
    pub elapsed: Duration,
    pub level: BatchLevel,
    /// The batch's answers, GPU first, each with every region it covers.
    pub outcomes: Vec<MetricOutcome>,
}

impl BatchReport {
    /// True when no request of the batch brought a value back.
    pub fn all_failed(&self) -> bool {
        !self.outcomes.is_empty() && self.outcomes.iter().all(|o| o.filled() == 0)
    }
}

/// What the warmer says. Sent on a `tokio::sync::broadcast` channel; clone-cheap enough for
/// a few subscribers.
#[derive(Debug, Clone, PartialEq)]
pub enum WarmerEvent {
    /// A cycle began.
    CycleStarted {
        cycle: u64,
        cause: CycleCause,
        /// Checks in this cycle (38 by default).
        total: usize,
    },
    /// A metric's answer landed in the store, every region it covers (sent before its
    /// batch's `BatchDone`); also sent for the metrics of a disabled service, settled
    /// without a request.
    MetricLanded {
        outcome: MetricOutcome,
        /// Checks done in this cycle so far, these included (the total in a repair batch).
        done: usize,
        total: usize,
    },
    /// A metric request failed (`💥 CACHE_WARM_ERROR`): every region it covers kept its
    /// last good value. Not sent for `service_disabled`, announced once as
    /// [`WarmerEvent::ServiceDisabled`].
    MetricFailed {
        metric: QuotaMetric,
        error: ApiError,
    },
    /// One region of a good answer could not be read (`💥 CACHE_WARM_ERROR`), e.g. no
    /// bucket matches it.
    CheckFailed { check: Check, error: ApiError },
    /// `metric`'s service answered `service_disabled` (SPEC §4), for an API not announced yet
    /// in this cycle: one `💥 CACHE_WARM_ERROR` line and one toast with the activation URL.
    /// The service's remaining metrics of the cycle land as failed with the same error
    /// (`MetricLanded`), without a request, until the next cycle or a warm-now.
    ServiceDisabled {
        metric: QuotaMetric,
        error: ApiError,
    },
    /// A batch finished (one of the four batch levels).
    BatchDone(BatchReport),
    /// A tick found a batch in flight (`⏭️ CACHE_WARM_SKIP`), at most once per batch.
    Skipped,
    /// A cycle that completed before this warmer ran (a snapshot's, or another instance's
    /// on the shared store) was taken as the last complete one (`♻️ CACHE_WARM_RESUMED`):
    /// it began `since` ago, the next begins in `next_in`; `failed` of its `total` checks
    /// failed (SPEC §11).
    CycleResumed {
        since: Duration,
        next_in: Duration,
        total: usize,
        failed: usize,
        interval: Duration,
        ttl: Duration,
        refresh: Duration,
    },
    /// All metrics of the cycle were asked (`✅ CACHE_WARM_COMPLETE`).
    CycleComplete {
        cycle: u64,
        elapsed: Duration,
        gpu: ListPos,
        c3: ListPos,
        /// Checks of the cycle whose last fetch failed.
        failed: usize,
    },
    /// Shutdown cut an in-flight batch (`🛑 CACHE_WARM_CANCELLED`): where each list would
    /// have been had its metric landed (`None`: no metric of that list in flight).
    Cancelled {
        gpu: Option<ListPos>,
        c3: Option<ListPos>,
    },
    /// The final statistics, sent last at shutdown (`📊 FINAL_STATS`).
    FinalStats(StatsSnapshot),
}
