//! The cycle's decisions, without tokio.

use std::time::Duration;

use super::*;
use crate::catalog::{AIPLATFORM_SERVICE, Limit};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-21T02:45:22Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// Every region of `work` answers `limit`, or the request fails with `kind`.
fn answer(work: &Work, result: Result<i64, ErrorKind>) -> MetricOutcome {
    let r = work.request.clone();
    let result = match result {
        Ok(v) => Ok(vec![Ok(Limit::Finite(v)); r.len()]),
        Err(kind) => Err(ApiError::new(kind, "scripted")),
    };
    MetricOutcome::new(r, result, Duration::from_millis(300))
}

/// Run `batch` with `answer_for` each work, then settle and finish it; true when complete.
fn run(
    cycle: &mut Cycle,
    batch: &Batch,
    answer_for: impl Fn(&Work) -> Result<i64, ErrorKind>,
) -> bool {
    for work in batch.works() {
        let outcome = answer(work, answer_for(work));
        cycle.record(batch, work, &outcome);
    }
    cycle.settle_disabled();
    cycle.finish_batch(batch)
}

#[test]
fn a_default_cycle_is_five_batches_and_six_requests_counting_38_cells() {
    let mut cycle = Cycle::new(&Catalog::default());
    assert!(
        !cycle.has_work(false),
        "nothing runs before the first begin"
    );
    let p = cycle.progress();
    assert_eq!((p.cycle, p.done, p.total, p.complete), (0, 0, 38, false));
    cycle.begin(t0());
    assert_eq!(cycle.progress().started_at, Some(t0()));
    let mut batches = Vec::new();
    while let Some(batch) = cycle.next_batch(false) {
        let labels: Vec<&str> = batch.works().map(|w| w.request.metric.label()).collect();
        let complete = run(&mut cycle, &batch, |_| Ok(4));
        batches.push((batch.number, labels, cycle.positions()));
        if complete {
            break;
        }
    }
    assert_eq!(batches.len(), 5);
    assert_eq!(
        batches[0].1,
        ["T4", "C3"],
        "the first batch: one GPU metric + C3"
    );
    assert_eq!(
        batches[0].2,
        (ListPos { n: 4, total: 20 }, ListPos { n: 18, total: 18 })
    );
    assert_eq!(batches[1].1, ["L4"]);
    assert_eq!(batches[4].1, ["H200"]);
    assert_eq!(batches[4].0, 5);
    let requests: usize = batches.iter().map(|b| b.1.len()).sum();
    assert_eq!(requests, 6);
    let p = cycle.progress();
    assert_eq!((p.done, p.total, p.failed), (38, 38, 0));
    assert!(p.complete && p.ever_complete);
    assert_eq!(cycle.next_batch(false), None, "complete: idle");
}

#[test]
fn failed_cells_are_counted_and_a_repair_batch_retries_the_metric() {
    let mut cycle = Cycle::new(&Catalog::default());
    cycle.begin(t0());
    let first = cycle.next_batch(false).unwrap();
    // C3 rate limited: its 18 cells done and failed.
    run(&mut cycle, &first, |w| match w.request.metric {
        QuotaMetric::C3 => Err(ErrorKind::RateLimited),
        _ => Ok(1),
    });
    assert_eq!(cycle.counts(), (22, 18));
    while let Some(b) = cycle.next_batch(false) {
        assert!(!b.repair);
        if run(&mut cycle, &b, |_| Ok(1)) {
            break;
        }
    }
    assert!(cycle.is_complete());
    assert_eq!(
        cycle.next_batch(true),
        None,
        "--once: no repair after the cycle"
    );
    let repair = cycle.next_batch(false).expect("a repair batch");
    assert!(repair.repair && repair.gpu.is_none());
    assert_eq!(repair.number, 5, "repairs keep the last number");
    let c3 = repair.c3.as_ref().unwrap();
    assert_eq!((c3.request.metric, c3.repairs), (QuotaMetric::C3, 1));
    let landing = cycle.record(&repair, c3, &answer(c3, Ok(88)));
    assert_eq!(landing.done, 38);
    assert_eq!(
        cycle.counts(),
        (38, 0),
        "a repaired metric is no longer failed"
    );
    assert!(!cycle.finish_batch(&repair));
    assert_eq!(cycle.next_batch(false), None);
}

#[test]
fn a_disabled_service_is_asked_once_and_its_metrics_settle_at_once() {
    let mut cycle = Cycle::new(&Catalog::default());
    cycle.begin(t0());
    let first = cycle.next_batch(false).unwrap();
    let mut announced = 0;
    for work in first.works() {
        let outcome = match work.request.metric {
            QuotaMetric::Gpu { .. } => answer(work, Err(ErrorKind::ServiceDisabled)),
            QuotaMetric::C3 => answer(work, Ok(176)),
        };
        announced += usize::from(cycle.record(&first, work, &outcome).announce_disabled);
    }
    assert_eq!(announced, 1);
    let settled = cycle.settle_disabled();
    let labels: Vec<&str> = settled.iter().map(|(r, _)| r.metric.label()).collect();
    assert_eq!(labels, ["L4", "A100", "H100", "H200"]);
    assert!(
        settled
            .iter()
            .all(|(_, e)| e.kind == ErrorKind::ServiceDisabled)
    );
    assert_eq!(cycle.counts(), (38, 20));
    assert!(cycle.finish_batch(&first), "one batch completes the cycle");
    let gated = Catalog::default().gpu_requests().remove(1);
    assert!(cycle.gate(&gated).is_some());

    // A new cycle asks the service again.
    cycle.begin(t0() + Duration::from_secs(60));
    assert_eq!(cycle.number(), 2);
    assert!(cycle.gate(&gated).is_none());
    let b = cycle.next_batch(false).unwrap();
    let gpu = b.gpu.as_ref().unwrap();
    assert_eq!(gpu.request.metric.service(), AIPLATFORM_SERVICE);
    let landing = cycle.record(&b, gpu, &answer(gpu, Err(ErrorKind::ServiceDisabled)));
    assert!(
        landing.announce_disabled,
        "announced again in the new cycle"
    );
}

#[test]
fn begin_resets_the_cycle_and_keeps_ever_complete() {
    let mut cycle = Cycle::new(&Catalog::default());
    cycle.begin(t0());
    while let Some(b) = cycle.next_batch(true) {
        run(&mut cycle, &b, |_| Ok(2));
    }
    cycle.begin(t0() + Duration::from_secs(1440));
    let p = cycle.progress();
    assert_eq!((p.cycle, p.done, p.failed, p.complete), (2, 0, 0, false));
    assert!(p.ever_complete);
    assert_eq!(cycle.positions().0, ListPos { n: 0, total: 20 });
    assert_eq!(
        p.started_at,
        Some(t0() + Duration::from_secs(1440)),
        "a wall-clock start"
    );
}

#[test]
fn a_resumed_cycle_is_warm_and_counts_refresh_from_its_start() {
    let catalog = Catalog::default();
    let mut cycle = Cycle::new(&catalog);
    assert!(!cycle.progress().complete);
    assert!(cycle.resume(t0(), 2));
    let p = cycle.progress();
    assert!(p.complete && p.ever_complete);
    assert_eq!((p.cycle, p.done, p.total, p.failed), (0, 38, 38, 2));
    assert_eq!(p.started_at, Some(t0()));
    assert!(!cycle.has_work(false), "nothing to do until refresh-ahead");
    assert!(cycle.next_batch(false).is_none());

    cycle.begin(t0() + Duration::from_secs(24 * 60));
    assert_eq!(cycle.progress().cycle, 1);
    assert!(!cycle.resume(t0(), 0), "a running cycle is left alone");
    assert!(!cycle.progress().complete);
}
