//! The fake's quota usage (SPEC §5): what Cloud Monitoring publishes as
//! `serviceruntime.googleapis.com/quota/allocation/usage` for each quota metric and region,
//! fixed by the seed and never above the fake's limit, plus the GPUs the fake's Vertex AI
//! jobs hold. The series are shaped in [`series_json`] as Google sends them; the route that
//! lists them is `monitoring.rs`.
//!
//! Per region of [`fake_regions`] with a positive limit: about 3 in 10 are fully used, 4 in 10
//! partly (1 to limit − 1), 1 in 10 has a series at zero (its points carry `"value": {}`),
//! 2 in 10 have no series at all. A region whose limit is 0 has no series, or (3 in 10) one
//! at zero. A GPU metric also has the series of its project-wide limit, at the location
//! `global`, holding the sum of every region's usage. Limit names (`limit_name`) follow
//! Google's `…PerProjectPerRegion` form; the exact words are the fake's own.

use serde_json::{Value, json};

use super::quotas::{Measured, fake_regions, measured, quota_limit, stable_hash};
use crate::catalog::{AIPLATFORM_SERVICE, CLOUDBUILD_SERVICE, Limit};
use crate::gcp::monitoring::{CONSUMER_QUOTA_RESOURCE, USAGE_METRIC_TYPE};

/// The location of a project-wide limit's series.
pub const GLOBAL_LOCATION: &str = "global";

/// What Monitoring holds for `metric` in `region` before any job of the fake: `None` for no
/// series, else the allocation in use (0 ≤ usage ≤ the fake's limit there). `None` too for
/// a metric the fake does not know or a region outside [`fake_regions`].
pub fn seeded_usage(seed: u64, metric: &str, region: &str) -> Option<i64> {
    if !fake_regions().contains(&region) {
        return None;
    }
    let limit = quota_limit(seed, metric, region)?.finite()?;
    let h = stable_hash(seed, &["usage", metric, region]);
    let pick = h % 10;
    if limit <= 0 {
        return (pick >= 7).then_some(0);
    }
    match pick {
        0..=2 => Some(limit),
        3..=6 if limit > 1 => Some(1 + ((h >> 16) % (limit as u64 - 1)) as i64),
        3..=6 => Some(limit),
        7 => Some(0),
        _ => None,
    }
}

/// The value of the older points of a series (a minute and more before the newest): a
/// seeded draw in `0..=limit`, so a client that reads anything but the latest point is
/// caught.
pub(super) fn earlier_usage(seed: u64, metric: &str, region: &str) -> i64 {
    let limit = quota_limit(seed, metric, region)
        .and_then(Limit::finite)
        .unwrap_or(0)
        .max(0);
    (stable_hash(seed, &["usage-before", metric, region]) % (limit as u64 + 1)) as i64
}

/// The service that owns `metric` (its prefix), for the resource's `service` label.
fn service_of(metric: &str) -> &'static str {
    match measured(metric) {
        Some(Measured::C3) => CLOUDBUILD_SERVICE,
        _ => AIPLATFORM_SERVICE,
    }
}

/// `custom_model_training_nvidia_t4_gpus` → `CustomModelTrainingNvidiaT4Gpus`.
fn camel(metric: &str) -> String {
    let short = metric.rsplit('/').next().unwrap_or(metric);
    short
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The `limit_name` of `metric`'s per-region limit, or of its project-wide one.
pub(super) fn limit_name(metric: &str, project_wide: bool) -> String {
    match (measured(metric), project_wide) {
        (_, true) => format!("{}PerProject", camel(metric)),
        (Some(Measured::C3), false) => {
            format!("{}PerProjectPerRegionPerBuildOrigin", camel(metric))
        }
        (_, false) => format!("{}PerProjectPerRegion", camel(metric)),
    }
}

/// One usage series of what the fake knows, before it is shaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Series {
    pub metric: String,
    pub location: String,
    pub limit_name: String,
    /// In use now (the newest point).
    pub now: i64,
    /// In use a minute and more ago (older points).
    pub before: i64,
}

/// Every usage series of `metric` (a known metric), in the order the fake lists them: the
/// regions of [`fake_regions`] that have one, then `global` for a GPU metric. `held(region)`
/// is what the fake's jobs hold there (added to the seeded usage; a region with jobs has a
/// series even when the seed gave it none).
pub(super) fn series_of(seed: u64, metric: &str, held: &dyn Fn(&str) -> i64) -> Vec<Series> {
    let Some(m) = measured(metric) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (mut total_now, mut total_before) = (0, 0);
    for region in fake_regions() {
        let seeded = seeded_usage(seed, metric, region);
        let jobs = held(region);
        if seeded.is_none() && jobs == 0 {
            continue;
        }
        let now = seeded.unwrap_or(0) + jobs;
        let before = earlier_usage(seed, metric, region);
        total_now += now;
        total_before += before;
        out.push(Series {
            metric: metric.to_string(),
            location: region.to_string(),
            limit_name: limit_name(metric, false),
            now,
            before,
        });
    }
    if matches!(m, Measured::Gpu(_)) && !out.is_empty() {
        out.push(Series {
            metric: metric.to_string(),
            location: GLOBAL_LOCATION.to_string(),
            limit_name: limit_name(metric, true),
            now: total_now,
            before: total_before,
        });
    }
    out
}

/// A point as Google sends it: a gauge's interval (start = end) and a `TypedValue` whose
/// `int64Value` is a string, left out when 0 (proto3 JSON).
pub(super) fn point_json(at: &str, value: i64) -> Value {
    let value = if value == 0 {
        json!({})
    } else {
        json!({"int64Value": value.to_string()})
    };
    json!({"interval": {"startTime": at, "endTime": at}, "value": value})
}

/// The `TimeSeries` JSON of `s` in `project` with `points` (newest first; none for the
/// HEADERS view, which also leaves `points` out).
pub(super) fn series_json(project: &str, s: &Series, points: Vec<Value>) -> Value {
    let mut v = json!({
        "metric": {"labels": {"limit_name": s.limit_name, "quota_metric": s.metric},
                   "type": USAGE_METRIC_TYPE},
        "resource": {"type": CONSUMER_QUOTA_RESOURCE,
                     "labels": {"project_id": project, "service": service_of(&s.metric),
                                "location": s.location}},
        "metricKind": "GAUGE",
        "valueType": "INT64",
    });
    if !points.is_empty() {
        v["points"] = Value::Array(points);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_gcp::known_metrics;

    #[test]
    fn usage_never_passes_the_limit_and_has_every_kind_of_region() {
        let (mut full, mut partly, mut zero, mut none) = (0, 0, 0, 0);
        for metric in known_metrics() {
            for region in fake_regions() {
                let limit = quota_limit(7, &metric, region).unwrap().finite().unwrap();
                match seeded_usage(7, &metric, region) {
                    None => none += 1,
                    Some(0) => zero += 1,
                    Some(u) if u == limit => full += 1,
                    Some(u) => {
                        assert!(0 < u && u < limit, "{metric} {region}: {u} of {limit}");
                        partly += 1;
                    }
                }
                assert!(earlier_usage(7, &metric, region) <= limit.max(0));
            }
        }
        assert!(
            full > 10 && partly > 10 && zero > 5 && none > 10,
            "full {full}, partly {partly}, zero {zero}, none {none}"
        );
        assert_eq!(seeded_usage(7, "x/y", "us-east1"), None);
        assert_eq!(seeded_usage(7, &known_metrics()[0], "mars-north1"), None);
    }

    #[test]
    fn jobs_add_to_their_region_and_to_global() {
        let metric = &known_metrics()[0];
        let region = fake_regions()
            .into_iter()
            .find(|r| seeded_usage(7, metric, r).is_none())
            .expect("a region without a series");
        let quiet = series_of(7, metric, &|_| 0);
        assert!(quiet.iter().all(|s| s.location != region));
        let busy = series_of(7, metric, &|r| if r == region { 2 } else { 0 });
        let s = busy
            .iter()
            .find(|s| s.location == region)
            .expect("a series now");
        assert_eq!(s.now, 2);
        let global = |v: &[Series]| {
            v.iter()
                .find(|s| s.location == GLOBAL_LOCATION)
                .unwrap()
                .now
        };
        assert_eq!(global(&busy), global(&quiet) + 2);
        assert_eq!(
            limit_name(metric, false),
            "CustomModelTrainingPreemptibleNvidiaT4GpusPerProjectPerRegion"
        );
    }

    #[test]
    fn zero_values_are_left_out() {
        assert_eq!(point_json("t", 0)["value"], json!({}));
        assert_eq!(point_json("t", 12)["value"], json!({"int64Value": "12"}));
    }
}
