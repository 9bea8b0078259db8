//! A warm cycle's decisions (SPEC §7), as plain data and methods tested without tokio: which
//! metrics the next batch asks, what an answer means for the cycle (cells done and failed,
//! repairs, a disabled service), and when the cycle is complete. The warmer's task only
//! sleeps, fetches, writes and sends what these methods decide.

use chrono::{DateTime, Utc};

use super::events::ListPos;
use super::lane::{Lane, Work};
use crate::catalog::{Catalog, MetricRequest, QuotaMetric};
use crate::gcp::disabled::DisabledServices;
use crate::gcp::{ApiError, ErrorKind, MetricOutcome};

/// Where the current cycle is; published on a `tokio::sync::watch` channel, so it can be read
/// at any time without the cycle mutex. Counts are cells (checks): `n/38`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// 1-based cycle number; 0 before the first.
    pub cycle: u64,
    /// Checks done in this cycle (answered or settled, whatever the outcome).
    pub done: usize,
    /// Checks in a cycle (38 by default).
    pub total: usize,
    /// True once every metric of the cycle was asked (whatever the outcomes).
    pub complete: bool,
    /// True once any cycle completed: the cache is warm.
    pub ever_complete: bool,
    /// Checks of this cycle whose last fetch failed (a repair that succeeds lowers it).
    pub failed: usize,
    /// When the cycle began (wall clock, the store's clock); `None` before the first.
    pub started_at: Option<DateTime<Utc>>,
}

/// One batch: at most the next GPU metric and the next C3 metric, asked concurrently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// 1-based batch number in the cycle (repair batches keep the last number).
    pub number: usize,
    /// A retry, after the cycle completed, of metrics that failed transiently.
    pub repair: bool,
    pub gpu: Option<Work>,
    pub c3: Option<Work>,
}

impl Batch {
    /// The batch's work, GPU first.
    pub fn works(&self) -> impl Iterator<Item = &Work> {
        self.gpu.iter().chain(&self.c3)
    }
}

/// What a landed answer meant for the cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landing {
    /// Checks done in the cycle, this answer included.
    pub done: usize,
    /// The answer was `service_disabled` for an API not announced yet in this cycle: show
    /// its activation URL now (once per cycle).
    pub announce_disabled: bool,
}

/// The cycle: both lanes, counts, disabled services.
#[derive(Debug, Clone)]
pub struct Cycle {
    number: u64,
    started_at: Option<DateTime<Utc>>,
    gpu: Lane,
    c3: Lane,
    batch: usize,
    done: usize,
    failed: usize,
    complete: bool,
    ever_complete: bool,
    /// The last complete cycle is one from before this process ([`Cycle::resume`]).
    resumed: bool,
    /// Services that answered `service_disabled` in this cycle: not asked again until the
    /// next cycle or a warm-now (SPEC §4).
    disabled: DisabledServices,
}

impl Cycle {
    /// The cycles of `catalog`'s metric requests; none running until [`Cycle::begin`].
    pub fn new(catalog: &Catalog) -> Self {
        Cycle {
            number: 0,
            started_at: None,
            gpu: Lane::new(catalog.gpu_requests()),
            c3: Lane::new(catalog.c3_request().into_iter().collect()),
            batch: 0,
            done: 0,
            failed: 0,
            complete: true,
            ever_complete: false,
            resumed: false,
            disabled: DisabledServices::default(),
        }
    }

    /// Start the next cycle at `started_at`, keeping nothing of the last but the count.
    pub fn begin(&mut self, started_at: DateTime<Utc>) {
        self.number += 1;
        self.started_at = Some(started_at);
        self.gpu.restart();
        self.c3.restart();
        self.batch = 0;
        self.done = 0;
        self.failed = 0;
        self.complete = false;
        self.disabled.clear();
    }

    /// Take a cycle that completed before this process (saved in a snapshot, or by another
    /// instance in the shared store; SPEC §11) as the last complete one: it began at
    /// `started_at` and `failed` of its checks failed. The cache is warm, and refresh-ahead
    /// counts from `started_at`. A cycle running here is left alone (false).
    pub fn resume(&mut self, started_at: DateTime<Utc>, failed: usize) -> bool {
        if !self.complete {
            return false;
        }
        self.started_at = Some(started_at);
        self.done = self.total();
        self.failed = failed;
        self.ever_complete = true;
        self.resumed = true;
        self.gpu.restart();
        self.c3.restart();
        true
    }

    /// The cycle number (0 before the first).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// When the cycle began.
    pub fn started_at(&self) -> Option<DateTime<Utc>> {
        self.started_at
    }

    /// True once every metric of the cycle was asked.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Checks in a cycle.
    pub fn total(&self) -> usize {
        self.gpu.cells_total() + self.c3.cells_total()
    }

    /// Cells done of each lane: `(GPU, C3)`.
    pub fn positions(&self) -> (ListPos, ListPos) {
        (self.gpu.position(), self.c3.position())
    }

    /// True when a batch would do something: the cycle is running, or (unless `once`, which
    /// ends with the cycle) metrics wait for repair.
    pub fn has_work(&self, once: bool) -> bool {
        !self.complete || (!once && (self.gpu.has_repairs() || self.c3.has_repairs()))
    }

    /// The next batch: the next GPU and C3 metrics of a running cycle, else one repair of
    /// each lane; `None` when there is nothing to do.
    pub fn next_batch(&mut self, once: bool) -> Option<Batch> {
        if !self.has_work(once) {
            return None;
        }
        if !self.complete {
            self.batch += 1;
            return Some(Batch {
                number: self.batch,
                repair: false,
                gpu: self.gpu.next_batch(),
                c3: self.c3.next_batch(),
            });
        }
        Some(Batch {
            number: self.batch,
            repair: true,
            gpu: self.gpu.next_repair(),
            c3: self.c3.next_repair(),
        })
    }

    /// The error to answer `request` with, without asking, when its service was found
    /// disabled earlier in this cycle.
    pub fn gate(&self, request: &MetricRequest) -> Option<ApiError> {
        self.disabled.error_for(request.metric.service()).cloned()
    }

    /// Account for `outcome`, the answer to `work` of `batch`: cells done and failed (a
    /// repair's filled cells are no longer failed), a repair queued for a transient failure,
    /// a `service_disabled` noted.
    pub fn record(&mut self, batch: &Batch, work: &Work, outcome: &MetricOutcome) -> Landing {
        self.lane(work.request.metric).record(work, outcome);
        if batch.repair {
            self.failed = self.failed.saturating_sub(outcome.filled());
        } else {
            self.done += work.request.len();
            self.failed += outcome.failed();
        }
        let announce_disabled = match outcome.request_error() {
            Some(e) if e.kind == ErrorKind::ServiceDisabled => {
                self.disabled.note(work.request.metric.service(), e)
            }
            _ => false,
        };
        Landing {
            done: if batch.repair {
                self.total()
            } else {
                self.done
            },
            announce_disabled,
        }
    }

    /// After a batch: the rest of the cycle's metrics of every disabled service, settled
    /// without a request (each answered with its service's error, counted done and failed),
    /// in lane order; their repairs are dropped.
    pub fn settle_disabled(&mut self) -> Vec<(MetricRequest, ApiError)> {
        if self.disabled.is_empty() {
            return Vec::new();
        }
        let mut settled = self.gpu.settle_disabled(&self.disabled);
        settled.extend(self.c3.settle_disabled(&self.disabled));
        if self.complete {
            return Vec::new();
        }
        settled
            .into_iter()
            .map(|r| {
                let error = self
                    .gate(&r)
                    .expect("settled because its service is disabled");
                self.done += r.len();
                self.failed += r.len();
                (r, error)
            })
            .collect()
    }

    /// After a batch's answers and settlements: true when it completed the cycle (every
    /// metric asked), which it then is.
    pub fn finish_batch(&mut self, batch: &Batch) -> bool {
        if batch.repair || self.complete || !(self.gpu.is_done() && self.c3.is_done()) {
            return false;
        }
        self.complete = true;
        self.ever_complete = true;
        true
    }

    /// Checks done and checks failed in this cycle.
    pub fn counts(&self) -> (usize, usize) {
        (self.done, self.failed)
    }

    /// The progress to publish (before the first cycle: nothing done, not complete).
    pub fn progress(&self) -> Progress {
        let complete = self.complete && (self.number > 0 || self.resumed);
        Progress {
            cycle: self.number,
            done: if complete { self.total() } else { self.done },
            total: self.total(),
            complete,
            ever_complete: self.ever_complete,
            failed: self.failed,
            started_at: self.started_at,
        }
    }

    fn lane(&mut self, metric: QuotaMetric) -> &mut Lane {
        match metric {
            QuotaMetric::Gpu { .. } => &mut self.gpu,
            QuotaMetric::C3 => &mut self.c3,
        }
    }
}

#[cfg(test)]
#[path = "cycle_tests.rs"]
mod tests;
