//! The words of `cache_warm.log` (SPEC §8): every line the warmer's events become, and the
//! writer that turns the event stream into lines. Warmer events carry raw values; this is
//! the one place their wording lives.

use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::WARM_TARGET;
use crate::catalog::QuotaMetric;
use crate::durations::fmt_duration;
use crate::gcp::monitoring::{LIST_PERMISSION, MONITORING_VIEWER_ROLE};
use crate::gcp::{ApiError, ErrorKind, MetricOutcome};
use crate::sanitize::Sanitized;
use crate::warmer::{BatchLevel, BatchReport, CycleCause, ListPos, StatsSnapshot, WarmerEvent};

/// Emoji and event name of a batch line (SPEC §8): `🔥 BATCH_WARM`, `⚠️ CACHE_WARM_WARN`,
/// `😤 CACHE_WARM_SLOWISH`, `💀 CACHE_WARM_SLOW`.
pub fn batch_tag(level: BatchLevel) -> (&'static str, &'static str) {
    match level {
        BatchLevel::Good => ("🔥", "BATCH_WARM"),
        BatchLevel::Warn => ("⚠️", "CACHE_WARM_WARN"),
        BatchLevel::Slowish => ("😤", "CACHE_WARM_SLOWISH"),
        BatchLevel::Slow => ("💀", "CACHE_WARM_SLOW"),
    }
}

/// The `📊 FINAL_STATS` details (SPEC §8), also printed by `warm --once`:
/// `batches=23 avg=1412ms p95=2710ms max=3890ms slow=2 failed=1 hits=57 misses=3 hit_rate=95.0%`;
/// hits, misses and the hit rate are the steady state's (reads after the first complete
/// cycle), and ` cold_reads=76 cold_hits=2` follows when screens were read before it.
pub fn final_stats_details(s: &StatsSnapshot) -> String {
    let mut line = format!(
        "batches={} avg={}ms p95={}ms max={}ms slow={} failed={} hits={} misses={} hit_rate={:.1}%",
        s.batches, s.avg_ms, s.p95_ms, s.max_ms, s.slow, s.failed, s.hits, s.misses, s.hit_rate
    );
    if s.cold_reads() > 0 {
        line.push_str(&format!(
            " cold_reads={} cold_hits={}",
            s.cold_reads(),
            s.cold_hits
        ));
    }
    line
}

/// `🚀 CACHE_WARM_START: Timers initialized (2s batch, 30m TTL, re-warm every 24m)` or
/// `🔄 CACHE_REWARM: 24m since last cycle began, re-warming (cache kept)`.
fn cycle_started(cause: CycleCause) -> String {
    match cause {
        CycleCause::First {
            interval,
            ttl,
            refresh,
        } => format!(
            "🚀 CACHE_WARM_START: Timers initialized ({} batch, {} TTL, re-warm every {})",
            fmt_duration(interval),
            fmt_duration(ttl),
            fmt_duration(refresh)
        ),
        CycleCause::Refresh { since } => format!(
            "🔄 CACHE_REWARM: {} since last cycle began, re-warming (cache kept)",
            fmt_duration(since)
        ),
        CycleCause::WarmNow => "🔄 CACHE_REWARM: warm now requested".to_string(),
    }
}

/// What one metric's answer filled: `T4: 4 regions`, `A100: 3 regions, 1 failed (parse)`,
/// `H100: failed (timeout)`; `, usage failed (permission)` when its usage could not be read.
fn metric_part(o: &MetricOutcome) -> String {
    let label = o.request.metric.label();
    let regions = |n: usize| if n == 1 { "region" } else { "regions" };
    let mut part = match &o.result {
        Err(e) => format!("{label}: failed ({})", e.kind),
        Ok(limits) => {
            let filled = o.filled();
            let mut part = format!("{label}: {filled} {}", regions(filled));
            if let Some(e) = limits.iter().find_map(|r| r.as_ref().err()) {
                part.push_str(&format!(", {} failed ({})", o.failed(), e.kind));
            }
            part
        }
    };
    if let Some(e) = o.usage_error() {
        part.push_str(&format!(", usage failed ({})", e.kind));
    }
    part
}

/// The Cloud Monitoring API, named when Google's answer does not name it.
const MONITORING_API: &str = "monitoring.googleapis.com";

/// `💥 CACHE_WARM_ERROR: usage of T4 - <why>; limits still shown, ... [kind]`: why usage is
/// unknown, with what to do (the role to grant, the API to enable), said once per cycle.
fn usage_failed(metric: QuotaMetric, error: &ApiError) -> String {
    let kind = error.kind;
    let (why, after) = match kind {
        ErrorKind::ServiceDisabled => (
            // Google's metadata and message: sanitised.
            Sanitized::new(
                &error
                    .service_disabled_line(MONITORING_API)
                    .unwrap_or_else(|| error.to_string()),
            )
            .max_chars(600)
            .to_string(),
            "limits still shown, usage ? (Cloud Monitoring not asked again this cycle)",
        ),
        ErrorKind::Permission => {
            // ApiError's Display sanitises and caps Google's message (SPEC §4).
            let mut why = error.to_string();
            if !error.message.contains(MONITORING_VIEWER_ROLE) {
                why.push_str(&format!(
                    "; reading usage needs {LIST_PERMISSION}: grant the Monitoring Viewer \
                     role ({MONITORING_VIEWER_ROLE})"
                ));
            }
            (
                why,
                "limits still shown, usage ? (Cloud Monitoring not asked again this cycle)",
            )
        }
        _ => (
            error.to_string(),
            "limits still shown, the last usage read kept",
        ),
    };
    format!("💥 CACHE_WARM_ERROR: usage of {metric} - {why}; {after} [{kind}]")
}

fn batch_line(b: &BatchReport) -> String {
    let (emoji, name) = batch_tag(b.level);
    let parts: Vec<String> = b.outcomes.iter().map(metric_part).collect();
    let ms = b.elapsed.as_millis();
    if b.repair {
        return format!(
            "{emoji} {name}: retry of failed metrics - {ms}ms ({})",
            parts.join(", ")
        );
    }
    format!(
        "{emoji} {name}: GPU {}/{}, C3 {}/{} - {ms}ms ({})",
        b.gpu.n,
        b.gpu.total,
        b.c3.n,
        b.c3.total,
        parts.join(", ")
    )
}

fn cancelled(gpu: Option<ListPos>, c3: Option<ListPos>) -> String {
    let what = match (gpu, c3) {
        (Some(g), Some(c)) => format!("GPU {}/{}, C3 {}/{}", g.n, g.total, c.n, c.total),
        (Some(g), None) => format!("GPU {}/{}", g.n, g.total),
        (None, Some(c)) => format!("C3 {}/{}", c.n, c.total),
        (None, None) => "(empty)".to_string(),
    };
    format!("🛑 CACHE_WARM_CANCELLED: batch {what} cut short by shutdown")
}

/// The `cache_warm.log` line of `event` (without the time stamp), or `None` for events that
/// are not logged (`MetricLanded`). Text from a server (Google's messages) is sanitised and
/// capped (SPEC §4).
pub fn warm_line(event: &WarmerEvent) -> Option<String> {
    Some(match event {
        WarmerEvent::CycleStarted { cause, .. } => cycle_started(*cause),
        WarmerEvent::MetricLanded { .. } => return None,
        // ApiError's Display sanitises and caps Google's message (SPEC §4).
        WarmerEvent::MetricFailed { metric, error } => {
            format!("💥 CACHE_WARM_ERROR: {metric} - {error} [{}]", error.kind)
        }
        WarmerEvent::CheckFailed { check, error } => {
            format!("💥 CACHE_WARM_ERROR: {check} - {error} [{}]", error.kind)
        }
        WarmerEvent::ServiceDisabled { metric, error } => format!(
            "💥 CACHE_WARM_ERROR: {metric} - {}; its metrics are not asked again until the next cycle [{}]",
            // The line names Google's metadata and message: sanitised too.
            Sanitized::new(
                &error
                    .service_disabled_line(metric.service())
                    .unwrap_or_else(|| error.to_string())
            )
            .max_chars(600),
            error.kind
        ),
        WarmerEvent::UsageFailed { metric, error } => usage_failed(*metric, error),
        WarmerEvent::BatchDone(b) => batch_line(b),
        WarmerEvent::Skipped => "⏭️ CACHE_WARM_SKIP: batch still in flight".to_string(),
        WarmerEvent::CycleComplete {
            elapsed,
            gpu,
            c3,
            failed,
            ..
        } => {
            // A cycle that checked everything is complete (SPEC §7), but a cache in which every
            // check failed is not hot: `tail -f` and grep must not read it as healthy (issue 11).
            let verdict = if *failed > 0 && *failed >= gpu.total + c3.total {
                format!("no value: every check failed ({failed} failed)")
            } else if *failed > 0 {
                format!("Cache is HOT! ({failed} failed)")
            } else {
                "Cache is HOT!".to_string()
            };
            format!(
                "✅ CACHE_WARM_COMPLETE: GPU {}/{}, C3 {}/{} - {:.1}s - {verdict}",
                gpu.n,
                gpu.total,
                c3.n,
                c3.total,
                elapsed.as_secs_f64()
            )
        }
        WarmerEvent::Cancelled { gpu, c3 } => cancelled(*gpu, *c3),
        WarmerEvent::CycleResumed {
            since,
            next_in,
            total,
            failed,
            interval,
            ttl,
            refresh,
        } => {
            let failed = if *failed > 0 {
                format!(" ({failed} failed)")
            } else {
                String::new()
            };
            format!(
                "♻️ CACHE_WARM_RESUMED: a complete cycle from {} ago, {total}/{total} cached{failed}; \
                 next cycle in {} ({} batch, {} TTL, re-warm every {}) - Cache is HOT!",
                fmt_duration(*since),
                fmt_duration(*next_in),
                fmt_duration(*interval),
                fmt_duration(*ttl),
                fmt_duration(*refresh)
            )
        }
        WarmerEvent::FinalStats(s) => format!("📊 FINAL_STATS: {}", final_stats_details(s)),
    })
}

/// Spawn the `cache_warm.log` writer: a subscriber that turns each event into a line on the
/// `cache_warm` target. Ends when the warmer's channel closes (after `FINAL_STATS`).
pub fn spawn_warm_log_writer(mut rx: broadcast::Receiver<WarmerEvent>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(ev) => {
                    let last = matches!(ev, WarmerEvent::FinalStats(_));
                    if let Some(line) = warm_line(&ev) {
                        tracing::info!(target: WARM_TARGET, "{line}");
                    }
                    if last {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!("cache_warm.log writer fell behind; {n} events not logged");
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}

#[cfg(test)]
#[path = "warm_tests.rs"]
mod tests;
