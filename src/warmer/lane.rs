//! One side of a warm cycle (GPU or C3): its metric requests in catalog order, how far the
//! cycle got, and the requests to retry after it (SPEC §7). Plain data and methods, no tokio.

use std::collections::VecDeque;

use super::events::ListPos;
use crate::catalog::MetricRequest;
use crate::gcp::disabled::DisabledServices;
use crate::gcp::{ErrorKind, MetricOutcome};

/// Times a metric whose request failed transiently (timeout, rate limited, unavailable) is
/// asked again in the repair batches that follow a complete cycle, so one bad answer does
/// not let its entries expire before the next cycle. A transient failure of its usage
/// request alone counts too (the repair asks both again).
pub const MAX_REPAIRS_PER_CYCLE: u32 = 3;

/// A metric request handed out for a batch, with how often it was already repaired in this
/// cycle (0: its first ask).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Work {
    pub request: MetricRequest,
    pub repairs: u32,
}

/// One lane of the warmer: the GPU metrics (one request per GPU type) or the C3 metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    work: Vec<MetricRequest>,
    /// Index of the next request of the cycle.
    next: usize,
    /// Requests to ask again once the cycle's lists are done, with their repair count.
    repairs: VecDeque<(MetricRequest, u32)>,
    /// Cells (checks) whose request of this cycle has been answered or settled.
    cells_done: usize,
}

impl Lane {
    /// A lane asking `work` in order.
    pub fn new(work: Vec<MetricRequest>) -> Self {
        Lane {
            work,
            next: 0,
            repairs: VecDeque::new(),
            cells_done: 0,
        }
    }

    /// Back to the start of a new cycle: nothing asked, nothing to repair.
    pub fn restart(&mut self) {
        self.next = 0;
        self.repairs.clear();
        self.cells_done = 0;
    }

    /// Cells (checks) in one cycle of this lane: the regions of all its requests.
    pub fn cells_total(&self) -> usize {
        self.work.iter().map(MetricRequest::len).sum()
    }

    /// Cells done so far in this cycle, of the total: `GPU 8/20` in a batch line.
    pub fn position(&self) -> ListPos {
        ListPos {
            n: self.cells_done,
            total: self.cells_total(),
        }
    }

    /// True once every request of the cycle was handed out.
    pub fn is_done(&self) -> bool {
        self.next >= self.work.len()
    }

    /// The next request of the cycle, if any is left.
    pub fn next_batch(&mut self) -> Option<Work> {
        let request = self.work.get(self.next)?.clone();
        self.next += 1;
        Some(Work {
            request,
            repairs: 0,
        })
    }

    /// The next request to repair, if any is queued.
    pub fn next_repair(&mut self) -> Option<Work> {
        self.repairs
            .pop_front()
            .map(|(request, repairs)| Work { request, repairs })
    }

    /// True when requests wait for a repair batch.
    pub fn has_repairs(&self) -> bool {
        !self.repairs.is_empty()
    }

    /// Account for `outcome`, the answer to `work`: a first ask counts its cells done, and a
    /// request that failed transiently is queued for repair (at most
    /// [`MAX_REPAIRS_PER_CYCLE`] times). Returns whether it was queued.
    pub fn record(&mut self, work: &Work, outcome: &MetricOutcome) -> bool {
        if work.repairs == 0 {
            self.cells_done += work.request.len();
        }
        let transient = |e: &crate::gcp::ApiError| {
            matches!(
                e.kind,
                ErrorKind::Timeout | ErrorKind::RateLimited | ErrorKind::Unavailable
            )
        };
        let transient = outcome.request_error().is_some_and(transient)
            || outcome.usage_error().is_some_and(transient);
        let queue = transient && work.repairs < MAX_REPAIRS_PER_CYCLE;
        if queue {
            self.repairs
                .push_back((work.request.clone(), work.repairs + 1));
        }
        queue
    }

    /// Settle the requests of services found disabled in this cycle (SPEC §4): the next
    /// requests of the cycle whose service is disabled are handed out as done, without a
    /// request, and queued repairs of those services are dropped. Returns the settled
    /// requests, in order, for the caller to record with the service's error.
    pub fn settle_disabled(&mut self, disabled: &DisabledServices) -> Vec<MetricRequest> {
        self.repairs
            .retain(|(r, _)| disabled.error_for(r.metric.service()).is_none());
        let mut settled = Vec::new();
        while let Some(r) = self.work.get(self.next) {
            if disabled.error_for(r.metric.service()).is_none() {
                break;
            }
            self.cells_done += r.len();
            settled.push(r.clone());
            self.next += 1;
        }
        settled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, Limit, QuotaMetric};
    use crate::gcp::ApiError;
    use std::time::Duration;

    fn answered(work: &Work, result: Result<(), ErrorKind>) -> MetricOutcome {
        let r = work.request.clone();
        let result = match result {
            Ok(()) => Ok(vec![Ok(Limit::Finite(1)); r.len()]),
            Err(kind) => Err(ApiError::new(kind, "no")),
        };
        MetricOutcome::new(r, result, Duration::ZERO)
    }

    #[test]
    fn hands_out_each_metric_once_and_counts_cells() {
        let mut lane = Lane::new(Catalog::default().gpu_requests());
        assert_eq!(lane.position(), ListPos { n: 0, total: 20 });
        let mut labels = Vec::new();
        while let Some(w) = lane.next_batch() {
            labels.push(w.request.metric.label());
            assert!(!lane.record(&w, &answered(&w, Ok(()))));
        }
        assert_eq!(labels, ["T4", "L4", "A100", "H100", "H200"]);
        assert!(lane.is_done());
        assert_eq!(lane.position(), ListPos { n: 20, total: 20 });
        assert_eq!(lane.next_batch(), None, "no index runs past its list");
        lane.restart();
        assert_eq!(lane.position().n, 0);
        assert_eq!(lane.next_batch().unwrap().request.metric.label(), "T4");
    }

    #[test]
    fn transient_failures_are_repaired_three_times_at_most_others_never() {
        let mut lane = Lane::new(Catalog::default().c3_request().into_iter().collect());
        let first = lane.next_batch().unwrap();
        assert!(lane.record(&first, &answered(&first, Err(ErrorKind::RateLimited))));
        assert_eq!(
            lane.position().n,
            18,
            "a failed ask still counts its cells done"
        );
        let mut repairs = 0;
        while let Some(w) = lane.next_repair() {
            repairs += 1;
            assert_eq!(w.repairs, repairs);
            lane.record(&w, &answered(&w, Err(ErrorKind::Timeout)));
        }
        assert_eq!(repairs, MAX_REPAIRS_PER_CYCLE);
        assert_eq!(lane.position().n, 18, "repairs count no cells");

        let mut lane = Lane::new(Catalog::default().gpu_requests());
        for kind in [ErrorKind::Permission, ErrorKind::Parse, ErrorKind::NotFound] {
            let w = lane.next_batch().unwrap();
            assert!(!lane.record(&w, &answered(&w, Err(kind))), "{kind:?}");
        }
        assert!(!lane.has_repairs());
        // A region that failed alone in a good answer is not a transient failure.
        let w = lane.next_batch().unwrap();
        let partial = MetricOutcome::new(
            w.request.clone(),
            Ok(vec![Err(ApiError::new(ErrorKind::Unavailable, "odd"))]),
            Duration::ZERO,
        );
        assert!(!lane.record(&w, &partial));
    }

    #[test]
    fn a_disabled_service_settles_the_rest_of_its_lane_and_drops_its_repairs() {
        let mut lane = Lane::new(Catalog::default().gpu_requests());
        let t4 = lane.next_batch().unwrap();
        lane.record(&t4, &answered(&t4, Err(ErrorKind::Unavailable)));
        assert!(lane.has_repairs());
        let mut disabled = DisabledServices::default();
        assert!(lane.settle_disabled(&disabled).is_empty());
        disabled.note(
            QuotaMetric::C3.service(),
            &ApiError::new(ErrorKind::ServiceDisabled, "off"),
        );
        assert!(
            lane.settle_disabled(&disabled).is_empty(),
            "another service"
        );
        disabled.note(
            t4.request.metric.service(),
            &ApiError::new(ErrorKind::ServiceDisabled, "off"),
        );
        let settled = lane.settle_disabled(&disabled);
        assert_eq!(settled.len(), 4, "L4, A100, H100, H200");
        assert!(lane.is_done());
        assert_eq!(lane.position(), ListPos { n: 20, total: 20 });
        assert!(!lane.has_repairs());
    }
}
