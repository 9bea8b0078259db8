//! The ConsumerQuotaMetric body of Service Usage v1beta1 and how a check's limit is read
//! from it (SPEC §4).
//!
//! Shape: <https://cloud.google.com/service-usage/docs/reference/rest/v1beta1/services.consumerQuotaMetrics#ConsumerQuotaMetric>.
//! Unknown fields are ignored; `effectiveLimit` is an int64 sent as a JSON string.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorKind};
use crate::catalog::{Check, CheckKind, Limit};

/// The `build_origin` dimension value the C3 checks read (SPEC §3).
pub const DEFAULT_BUILD_ORIGIN: &str = "default";

/// A consumer quota metric (`consumerQuotaMetrics.get?view=FULL`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerQuotaMetric {
    /// Resource name, `projects/P/services/S/consumerQuotaMetrics/M` (M URL-encoded).
    pub name: String,
    /// The quota metric, e.g. `aiplatform.googleapis.com/custom_model_training_nvidia_t4_gpus`.
    pub metric: String,
    pub display_name: String,
    /// e.g. `1/{project}/{region}`.
    pub unit: String,
    pub consumer_quota_limits: Vec<ConsumerQuotaLimit>,
}

/// One limit of a metric: a unit and its buckets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerQuotaLimit {
    pub name: String,
    pub metric: String,
    /// `1/{project}` (project-wide), `1/{project}/{region}` (per region),
    /// `1/{project}/{region}/{build_origin}` (the C3 limit).
    pub unit: String,
    pub is_precise: Option<bool>,
    pub quota_buckets: Vec<QuotaBucket>,
}

/// One bucket of a limit: the value for the dimensions it names (none = the default bucket).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QuotaBucket {
    /// int64 as a JSON string; `"-1"` = unlimited. Kept raw so one bad value fails only
    /// the check that reads it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_limit: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_limit: Option<serde_json::Value>,
    /// e.g. `{"region": "us-central1", "build_origin": "default"}`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub dimensions: BTreeMap<String, String>,
}

/// The dimension values a check wants: `region = R`, and for C3 `build_origin = default`.
pub fn wanted_dimensions(check: &Check) -> BTreeMap<&'static str, &str> {
    let mut wanted = BTreeMap::from([("region", check.region.as_str())]);
    if check.kind == CheckKind::C3 {
        wanted.insert("build_origin", DEFAULT_BUILD_ORIGIN);
    }
    wanted
}

/// Read `check`'s limit from `metric` (SPEC §4).
///
/// Takes the limits whose `unit` contains `{region}` (else the first limit), then the most
/// specific bucket that matches: a bucket matches when every dimension it names has the
/// wanted value (a dimension it lacks matches anything; one the check has no value for does
/// not match). Ties go to the bucket listed first. `"-1"` → [`Limit::Unlimited`].
///
/// Errors (kind `Parse`, one check only): no limit, no matching bucket (never read as
/// zero), `effectiveLimit` missing, not an int64, or below -1.
pub fn read_limit(metric: &ConsumerQuotaMetric, check: &Check) -> Result<Limit, ApiError> {
    let parse_error = |why: String| {
        ApiError::new(
            ErrorKind::Parse,
            format!("{check}: {why} in {}", name_of(metric)),
        )
    };
    let regional: Vec<&ConsumerQuotaLimit> = metric
        .consumer_quota_limits
        .iter()
        .filter(|l| l.unit.contains("{region}"))
        .collect();
    let limits = if regional.is_empty() {
        metric.consumer_quota_limits.iter().take(1).collect()
    } else {
        regional
    };
    if limits.is_empty() {
        return Err(parse_error("no consumerQuotaLimits".into()));
    }
    let wanted = wanted_dimensions(check);
    let mut best: Option<&QuotaBucket> = None;
    for bucket in limits.iter().flat_map(|l| &l.quota_buckets) {
        let matches = bucket
            .dimensions
            .iter()
            .all(|(k, v)| wanted.get(k.as_str()) == Some(&v.as_str()));
        if matches && best.is_none_or(|b| bucket.dimensions.len() > b.dimensions.len()) {
            best = Some(bucket);
        }
    }
    let Some(bucket) = best else {
        return Err(parse_error(format!(
            "no quota bucket matches {}",
            wanted
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let raw = bucket
        .effective_limit
        .as_ref()
        .ok_or_else(|| parse_error("the bucket has no effectiveLimit".into()))?;
    parse_effective_limit(raw).map_err(parse_error)
}

fn name_of(metric: &ConsumerQuotaMetric) -> &str {
    if metric.metric.is_empty() {
        "the answer"
    } else {
        &metric.metric
    }
}

/// Parse an `effectiveLimit`: an int64 as a JSON string (a bare JSON integer is accepted
/// too); `-1` = unlimited. Errors name the value found.
fn parse_effective_limit(raw: &serde_json::Value) -> Result<Limit, String> {
    let n = match raw {
        serde_json::Value::String(s) => s.trim().parse::<i64>().ok(),
        serde_json::Value::Number(n) => n.as_i64(),
        _ => None,
    };
    match n {
        Some(-1) => Ok(Limit::Unlimited),
        Some(v) if v >= 0 => Ok(Limit::Finite(v)),
        _ => Err(format!("effectiveLimit {raw} is not a limit")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::GpuType;
    use serde_json::json;

    fn metric(body: serde_json::Value) -> ConsumerQuotaMetric {
        serde_json::from_value(body).expect("SPEC-shaped body")
    }

    fn t4_body() -> ConsumerQuotaMetric {
        metric(json!({
        "name": "projects/p/services/aiplatform.googleapis.com/consumerQuotaMetrics/x",
        "metric": "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus",
        "displayName": "T4", "unit": "1/{project}/{region}", "someNewField": {"x": 1},
        "consumerQuotaLimits": [{
          "name": "l", "metric": "m", "unit": "1/{project}/{region}", "isPrecise": true,
          "quotaBuckets": [
            {"effectiveLimit": "4",  "defaultLimit": "4"},
            {"effectiveLimit": "16", "defaultLimit": "4", "dimensions": {"region": "us-central1"}},
            {"effectiveLimit": "0",  "defaultLimit": "4", "dimensions": {"region": "europe-west4"}},
            {"effectiveLimit": "-1", "defaultLimit": "4", "dimensions": {"region": "us-west1"}}
          ]}]}))
    }

    fn gpu(region: &str) -> Check {
        Check::gpu(GpuType::T4, region)
    }

    #[test]
    fn region_bucket_wins_over_default() {
        assert_eq!(
            read_limit(&t4_body(), &gpu("us-central1")),
            Ok(Limit::Finite(16))
        );
    }

    #[test]
    fn zero_region_bucket_is_a_zero() {
        assert_eq!(
            read_limit(&t4_body(), &gpu("europe-west4")),
            Ok(Limit::Finite(0))
        );
    }

    #[test]
    fn default_bucket_applies_to_unlisted_regions() {
        assert_eq!(
            read_limit(&t4_body(), &gpu("us-east1")),
            Ok(Limit::Finite(4))
        );
    }

    #[test]
    fn minus_one_is_unlimited() {
        assert_eq!(
            read_limit(&t4_body(), &gpu("us-west1")),
            Ok(Limit::Unlimited)
        );
    }

    #[test]
    fn project_wide_limit_listed_first_is_skipped_for_the_regional_one() {
        let m = metric(json!({"consumerQuotaLimits": [
            {"unit": "1/{project}", "quotaBuckets": [{"effectiveLimit": "64"}]},
            {"unit": "1/{project}/{region}", "quotaBuckets": [
                {"effectiveLimit": "2"},
                {"effectiveLimit": "8", "dimensions": {"region": "us-east1"}}]}]}));
        assert_eq!(read_limit(&m, &gpu("us-east1")), Ok(Limit::Finite(8)));
        assert_eq!(read_limit(&m, &gpu("us-west1")), Ok(Limit::Finite(2)));
    }

    #[test]
    fn without_a_regional_limit_the_first_limit_is_read() {
        let m = metric(json!({"consumerQuotaLimits": [
            {"unit": "1/{project}", "quotaBuckets": [{"effectiveLimit": "64"}]},
            {"unit": "1/{project}/{zone}", "quotaBuckets": [{"effectiveLimit": "1"}]}]}));
        assert_eq!(read_limit(&m, &gpu("us-east1")), Ok(Limit::Finite(64)));
    }

    fn c3_body() -> ConsumerQuotaMetric {
        metric(json!({
        "metric": "cloudbuild.googleapis.com/concurrent_private_pool_c3_build_cpus",
        "consumerQuotaLimits": [{
          "unit": "1/{project}/{region}/{build_origin}",
          "quotaBuckets": [
            {"effectiveLimit": "24"},
            {"effectiveLimit": "999", "dimensions": {"region": "us-east1", "build_origin": "trigger"}},
            {"effectiveLimit": "176", "dimensions": {"region": "us-east1", "build_origin": "default"}},
            {"effectiveLimit": "777", "dimensions": {"region": "us-west2", "build_origin": "trigger"}},
            {"effectiveLimit": "48",  "dimensions": {"region": "us-east4"}},
            {"effectiveLimit": "555", "dimensions": {"build_origin": "trigger"}}
          ]}]}))
    }

    #[test]
    fn c3_reads_the_default_build_origin_never_the_decoy() {
        let m = c3_body();
        assert_eq!(
            read_limit(&m, &Check::c3("us-east1")),
            Ok(Limit::Finite(176))
        );
        // Only a decoy names us-west2: the default bucket applies, not 777.
        assert_eq!(
            read_limit(&m, &Check::c3("us-west2")),
            Ok(Limit::Finite(24))
        );
    }

    #[test]
    fn c3_bucket_with_region_but_no_build_origin_counts_for_its_region() {
        assert_eq!(
            read_limit(&c3_body(), &Check::c3("us-east4")),
            Ok(Limit::Finite(48))
        );
    }

    #[test]
    fn gpu_check_never_reads_a_bucket_with_a_dimension_it_has_no_value_for() {
        let m = metric(
            json!({"consumerQuotaLimits": [{"unit": "1/{project}/{region}",
            "quotaBuckets": [{"effectiveLimit": "9", "dimensions": {"region": "us-east1", "gpu_family": "x"}}]}]}),
        );
        let err = read_limit(&m, &gpu("us-east1")).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Parse);
    }

    #[test]
    fn no_matching_bucket_is_an_error_not_a_zero() {
        let m = metric(
            json!({"consumerQuotaLimits": [{"unit": "1/{project}/{region}",
            "quotaBuckets": [{"effectiveLimit": "8", "dimensions": {"region": "us-east1"}}]}]}),
        );
        let err = read_limit(&m, &gpu("europe-west4")).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Parse);
        assert!(
            err.message
                .contains("no quota bucket matches region=europe-west4"),
            "{err}"
        );
    }

    #[test]
    fn missing_or_non_numeric_effective_limit_is_a_parse_error() {
        for bucket in [
            json!({"defaultLimit": "4"}),
            json!({"effectiveLimit": "lots"}),
            json!({"effectiveLimit": "-7"}),
            json!({"effectiveLimit": true}),
        ] {
            let m = metric(
                json!({"consumerQuotaLimits": [{"unit": "1/{project}/{region}",
                "quotaBuckets": [bucket.clone()]}]}),
            );
            let err = read_limit(&m, &gpu("us-east1")).unwrap_err();
            assert_eq!(err.kind, ErrorKind::Parse, "{bucket}");
        }
    }

    #[test]
    fn a_body_without_limits_is_a_parse_error() {
        let err = read_limit(&metric(json!({"metric": "x"})), &gpu("us-east1")).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Parse);
    }
}
