//! The wording of `cache_warm.log` lines (SPEC §8).

use std::time::Duration;

use super::*;
use crate::catalog::{Capacity, Catalog, GpuType, Limit, MetricRequest, QuotaMetric};
use crate::gcp::{ApiError, ErrorKind};

fn ok(request: MetricRequest, ms: u64) -> MetricOutcome {
    let n = request.len();
    MetricOutcome::new(
        request,
        Ok(vec![Ok(Limit::Finite(4)); n]),
        Duration::from_millis(ms),
    )
}

fn report(outcomes: Vec<MetricOutcome>, ms: u64, gpu: usize, c3: usize) -> BatchReport {
    let elapsed = Duration::from_millis(ms);
    BatchReport {
        cycle: 1,
        batch: 1,
        repair: false,
        gpu: ListPos { n: gpu, total: 20 },
        c3: ListPos { n: c3, total: 18 },
        elapsed,
        level: BatchLevel::of(elapsed),
        outcomes,
    }
}

#[test]
fn batch_lines_keep_their_fields_and_name_each_metric_with_its_regions() {
    let requests = Catalog::default().requests();
    let first = report(
        vec![ok(requests[0].clone(), 900), ok(requests[5].clone(), 1234)],
        1234,
        4,
        18,
    );
    assert_eq!(
        warm_line(&WarmerEvent::BatchDone(first)).unwrap(),
        "🔥 BATCH_WARM: GPU 4/20, C3 18/18 - 1234ms (T4: 4 regions, C3: 18 regions)"
    );
    let slowish = report(vec![ok(requests[1].clone(), 2710)], 2710, 8, 18);
    assert_eq!(
        warm_line(&WarmerEvent::BatchDone(slowish)).unwrap(),
        "😤 CACHE_WARM_SLOWISH: GPU 8/20, C3 18/18 - 2710ms (L4: 4 regions)"
    );
    // A request that failed, and an answer with a region that could not be read.
    let failed = MetricOutcome::new(
        requests[2].clone(),
        Err(ApiError::new(ErrorKind::Timeout, "late")),
        Duration::from_secs(10),
    );
    let partial = MetricOutcome::new(
        requests[3].clone(),
        Ok(vec![
            Ok(Limit::Finite(1)),
            Err(ApiError::new(ErrorKind::Parse, "no bucket")),
            Ok(Limit::Finite(0)),
            Ok(Limit::Finite(8)),
        ]),
        Duration::from_millis(40),
    );
    let mut repair = report(vec![failed, partial], 3100, 20, 18);
    let line = warm_line(&WarmerEvent::BatchDone(repair.clone())).unwrap();
    assert_eq!(
        line,
        "💀 CACHE_WARM_SLOW: GPU 20/20, C3 18/18 - 3100ms (A100: failed (timeout), H100: 3 regions, 1 failed (parse))"
    );
    repair.repair = true;
    assert!(
        warm_line(&WarmerEvent::BatchDone(repair))
            .unwrap()
            .starts_with("💀 CACHE_WARM_SLOW: retry of failed metrics - 3100ms (A100: failed")
    );
}

#[test]
fn cycle_start_lines_name_their_cause() {
    let first = WarmerEvent::CycleStarted {
        cycle: 1,
        cause: CycleCause::First {
            interval: Duration::from_secs(2),
            ttl: Duration::from_secs(1800),
            refresh: Duration::from_secs(1440),
        },
        total: 38,
    };
    assert_eq!(
        warm_line(&first).unwrap(),
        "🚀 CACHE_WARM_START: Timers initialized (2s batch, 30m TTL, re-warm every 24m)"
    );
    let refresh = WarmerEvent::CycleStarted {
        cycle: 2,
        cause: CycleCause::Refresh {
            since: Duration::from_secs(1440),
        },
        total: 38,
    };
    assert_eq!(
        warm_line(&refresh).unwrap(),
        "🔄 CACHE_REWARM: 24m since last cycle began, re-warming (cache kept)"
    );
    let resumed = WarmerEvent::CycleResumed {
        since: Duration::from_secs(300),
        next_in: Duration::from_secs(1140),
        total: 38,
        failed: 2,
        interval: Duration::from_secs(2),
        ttl: Duration::from_secs(1800),
        refresh: Duration::from_secs(1440),
    };
    assert_eq!(
        warm_line(&resumed).unwrap(),
        "♻️ CACHE_WARM_RESUMED: a complete cycle from 5m ago, 38/38 cached (2 failed); next \
         cycle in 19m (2s batch, 30m TTL, re-warm every 24m) - Cache is HOT!"
    );
}

#[test]
fn error_cancel_complete_and_stats_lines() {
    let metric = QuotaMetric::Gpu {
        gpu: GpuType::A100,
        capacity: Capacity::Spot,
    };
    let mut error = ApiError::new(ErrorKind::RateLimited, "Quota exceeded");
    error.attempts = 3;
    let line = warm_line(&WarmerEvent::MetricFailed { metric, error }).unwrap();
    assert!(
        line.starts_with("💥 CACHE_WARM_ERROR: A100 - rate limited after 3 tries"),
        "{line}"
    );
    assert!(line.ends_with("[rate_limited]"), "{line}");
    let check = crate::catalog::Check::c3("us-east4");
    let line = warm_line(&WarmerEvent::CheckFailed {
        check,
        error: ApiError::new(ErrorKind::Parse, "no bucket"),
    })
    .unwrap();
    assert!(
        line.starts_with("💥 CACHE_WARM_ERROR: C3 us-east4 - "),
        "{line}"
    );
    let cut = WarmerEvent::Cancelled {
        gpu: Some(ListPos { n: 8, total: 20 }),
        c3: None,
    };
    assert_eq!(
        warm_line(&cut).unwrap(),
        "🛑 CACHE_WARM_CANCELLED: batch GPU 8/20 cut short by shutdown"
    );
    let complete = WarmerEvent::CycleComplete {
        cycle: 1,
        elapsed: Duration::from_millis(9800),
        gpu: ListPos { n: 20, total: 20 },
        c3: ListPos { n: 18, total: 18 },
        failed: 4,
    };
    assert_eq!(
        warm_line(&complete).unwrap(),
        "✅ CACHE_WARM_COMPLETE: GPU 20/20, C3 18/18 - 9.8s - Cache is HOT! (4 failed)"
    );
    let all_failed = WarmerEvent::CycleComplete {
        cycle: 1,
        elapsed: Duration::from_millis(100),
        gpu: ListPos { n: 20, total: 20 },
        c3: ListPos { n: 18, total: 18 },
        failed: 38,
    };
    assert_eq!(
        warm_line(&all_failed).unwrap(),
        "✅ CACHE_WARM_COMPLETE: GPU 20/20, C3 18/18 - 0.1s - no value: every check failed (38 failed)",
        "a cycle in which every check failed is not called hot"
    );
    let stats = StatsSnapshot {
        batches: 23,
        avg_ms: 1412,
        p95_ms: 2710,
        max_ms: 3890,
        slow: 2,
        failed: 1,
        hits: 57,
        misses: 3,
        hit_rate: 95.0,
        ..StatsSnapshot::default()
    };
    assert_eq!(
        warm_line(&WarmerEvent::FinalStats(stats.clone())).unwrap(),
        "📊 FINAL_STATS: batches=23 avg=1412ms p95=2710ms max=3890ms slow=2 failed=1 hits=57 misses=3 hit_rate=95.0%"
    );
    let with_cold = StatsSnapshot {
        cold_hits: 2,
        cold_misses: 74,
        ..stats
    };
    assert!(
        warm_line(&WarmerEvent::FinalStats(with_cold))
            .unwrap()
            .ends_with("hit_rate=95.0% cold_reads=76 cold_hits=2")
    );
    assert_eq!(
        warm_line(&WarmerEvent::Skipped).unwrap(),
        "⏭️ CACHE_WARM_SKIP: batch still in flight"
    );
}

#[test]
fn a_usage_failure_says_why_usage_is_unknown_and_what_to_do() {
    let t4 = QuotaMetric::Gpu {
        gpu: GpuType::T4,
        capacity: Capacity::Spot,
    };
    let mut denied = ApiError::new(
        ErrorKind::Permission,
        "Permission monitoring.timeSeries.list denied (or the resource may not exist).",
    );
    denied.http_status = Some(403);
    let line = warm_line(&WarmerEvent::UsageFailed {
        metric: t4,
        error: denied.clone(),
    })
    .unwrap();
    assert!(
        line.starts_with("💥 CACHE_WARM_ERROR: usage of T4 - "),
        "{line}"
    );
    assert!(
        line.contains("grant the Monitoring Viewer role (roles/monitoring.viewer)"),
        "{line}"
    );
    assert!(
        line.ends_with(
            "limits still shown, usage ? (Cloud Monitoring not asked again this cycle) [permission]"
        ),
        "{line}"
    );
    // The client's own hint is not said twice.
    denied
        .message
        .push_str(" [grant the Monitoring Viewer role (roles/monitoring.viewer)]");
    let line = warm_line(&WarmerEvent::UsageFailed {
        metric: t4,
        error: denied,
    })
    .unwrap();
    assert_eq!(line.matches("roles/monitoring.viewer").count(), 1, "{line}");

    let mut off = ApiError::new(
        ErrorKind::ServiceDisabled,
        "Cloud Monitoring API has not been used",
    );
    off.details.activation_url =
        Some("https://console.developers.google.com/apis/api/monitoring.googleapis.com/overview?project=1".into());
    let line = warm_line(&WarmerEvent::UsageFailed {
        metric: QuotaMetric::C3,
        error: off,
    })
    .unwrap();
    assert_eq!(
        line,
        "💥 CACHE_WARM_ERROR: usage of C3 - monitoring.googleapis.com is not enabled: enable it at \
         https://console.developers.google.com/apis/api/monitoring.googleapis.com/overview?project=1; \
         limits still shown, usage ? (Cloud Monitoring not asked again this cycle) [service_disabled]"
    );

    let late = ApiError::new(ErrorKind::Timeout, "no answer within 10s");
    let line = warm_line(&WarmerEvent::UsageFailed {
        metric: t4,
        error: late.clone(),
    })
    .unwrap();
    assert!(
        line.ends_with("; limits still shown, the last usage read kept [timeout]"),
        "{line}"
    );

    // The batch line names the metric's usage failure beside its regions.
    let requests = Catalog::default().requests();
    let with_failed_usage =
        ok(requests[0].clone(), 900).with_usage(Some(Err(late)), Duration::from_secs(10));
    let b = report(vec![with_failed_usage], 10_000, 4, 0);
    assert!(
        warm_line(&WarmerEvent::BatchDone(b))
            .unwrap()
            .ends_with("(T4: 4 regions, usage failed (timeout))")
    );
}
