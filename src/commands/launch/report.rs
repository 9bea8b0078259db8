//! What `launch` prints: the ranking for people (one line per region, `free/limit` and its
//! verdict, where to ask for more quota, why usage is unknown) and the JSON object.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};

use super::LaunchOptions;
use crate::catalog::{Limit, QuotaMetric};
use crate::gcp::console::quota_increase_url;
use crate::gcp::vertex::CustomJob;
use crate::launch::{FreshCheck, LaunchPlan, RankedRegion, Refusal};

/// A region's `free/limit`: `2/16`, `?/16` (usage unknown), `∞`, `!` (failed).
fn quota_text(r: &RankedRegion) -> String {
    match (r.limit, r.free) {
        (None, _) => "!".to_string(),
        (Some(Limit::Unlimited), _) => "∞".to_string(),
        (Some(limit), Some(free)) => format!("{free}/{limit}"),
        (Some(limit), None) => format!("?/{limit}"),
    }
}

/// The ranking as people read it: one line per region, fitting regions first, each with its
/// `free/limit` and verdict (`12 free of 16`, `2 free, need 4`, `quota 0`, ...); where a
/// region lacks quota, the console page to ask for more; why the usage is unknown, once.
pub(super) fn ranking_text(
    opts: &LaunchOptions,
    fresh: &FreshCheck,
    ranking: &[RankedRegion],
    project: &str,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Fresh {} quota ({}, free/limit GPUs) in {} regions, {:.2}s, for {} × {}:",
        opts.gpu,
        opts.capacity.word(),
        ranking.len(),
        fresh.elapsed.as_secs_f64(),
        opts.count,
        opts.gpu
    );
    for r in ranking {
        let mark = if r.fits { "ok" } else { "--" };
        let _ = writeln!(
            out,
            "  {mark} {:<24} {:>7}  {}",
            r.region,
            quota_text(r),
            r.verdict()
        );
    }
    if let Some(e) = ranking.iter().find_map(|r| r.usage_error.as_ref()) {
        let _ = writeln!(out, "  Usage unknown ({e}): ranked by limit");
    }
    if ranking
        .iter()
        .any(|r| r.reason.as_ref().is_some_and(|s| s.wants_more_quota()))
    {
        let metric = QuotaMetric::Gpu {
            gpu: opts.gpu,
            capacity: opts.capacity,
        };
        let _ = writeln!(
            out,
            "  Short of quota? Ask for an increase: {}",
            quota_increase_url(project, metric)
        );
    }
    out
}

/// One ranked region in the JSON output.
#[derive(Debug, Serialize)]
struct RankedJson<'a> {
    region: &'a str,
    /// GPUs; null when unlimited or failed.
    limit: Option<i64>,
    unlimited: bool,
    /// GPUs in use; null when the usage is unknown.
    usage: Option<i64>,
    /// Free GPUs (limit − usage, never below 0); null when unlimited or unknown.
    free: Option<i64>,
    fits: bool,
    /// Why it does not fit (`quota 0`, `2 free, need 4`, `permission denied ...`); null if it
    /// fits.
    reason: Option<String>,
    /// The error kind (`permission`, `rate_limited`, ...) when the check failed.
    error_kind: Option<&'static str>,
    /// The error kind when the usage could not be read (the region is then ranked by limit).
    usage_error_kind: Option<&'static str>,
}

fn ranked_json(r: &RankedRegion) -> RankedJson<'_> {
    RankedJson {
        region: &r.region,
        limit: r.limit.and_then(Limit::finite),
        unlimited: r.limit == Some(Limit::Unlimited),
        usage: r.in_use,
        free: r.free.and_then(Limit::finite),
        fits: r.fits,
        reason: r.reason.as_ref().map(|s| s.to_string()),
        error_kind: match &r.reason {
            Some(crate::launch::Shortfall::Failed(e)) => Some(e.kind.as_str()),
            _ => None,
        },
        usage_error_kind: r.usage_error.as_ref().map(|e| e.kind.as_str()),
    }
}

pub(super) fn job_json(job: &CustomJob, link: &str, read_back_error: Option<&str>) -> Value {
    json!({
        "name": job.name,
        "display_name": job.display_name,
        "state": job.state,
        "create_time": job.create_time,
        "console_url": link,
        "read_back_error": read_back_error,
    })
}

/// `{"project", "gpu", "count", "capacity", "ranking": [...], "refusals": [...], "region",
/// "machine_type", "accelerator_type", "display_name", "quota_increase_url", ...extra}` as
/// pretty JSON. `refusals` lists the regions whose create was refused for quota (`{"region",
/// "reason", "error_kind"}`), in the order asked; `region` is where the job was made (or would
/// be); `quota_increase_url` is the console page of the GPU metric, to ask for more.
pub(super) fn report_json(
    project: &str,
    plan: &LaunchPlan,
    ranking: &[RankedRegion],
    refusals: &[Refusal],
    extra: Value,
) -> String {
    let ranking: Vec<RankedJson> = ranking.iter().map(ranked_json).collect();
    let refusals: Vec<Value> = refusals
        .iter()
        .map(|r| json!({"region": r.region, "reason": r.to_string(), "error_kind": r.error.kind.as_str()}))
        .collect();
    let mut v = json!({
        "project": project,
        "gpu": plan.gpu.name(),
        "count": plan.count,
        "capacity": plan.capacity.word(),
        "ranking": ranking,
        "refusals": refusals,
        "region": plan.region,
        "machine_type": plan.machine_type,
        "accelerator_type": plan.gpu.accelerator_type(),
        "display_name": plan.display_name,
        "quota_increase_url": quota_increase_url(
            project,
            QuotaMetric::Gpu {
                gpu: plan.gpu,
                capacity: plan.capacity
            }
        ),
    });
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    pretty(&v)
}

pub(super) fn pretty(v: &Value) -> String {
    crate::sanitize::to_json_pretty(v).expect("a serde_json::Value serializes")
}
