//! The ConsumerQuotaMetric body of Service Usage v1beta1 and how a check's limit is read
//! from it (SPEC §4).
//!
//! Shapes: the `ConsumerQuotaMetric`, `ConsumerQuotaLimit`, `QuotaBucket`, `QuotaOverride`,
//! `ProducerQuotaPolicy` and `RolloutInfo` schemas of Google's Discovery document
//! (`serviceusage/v1beta1/serviceusage-api.json` in googleapis/google-api-go-client;
//! <https://cloud.google.com/service-usage/docs/reference/rest/v1beta1/services.consumerQuotaMetrics#ConsumerQuotaMetric>).
//! The JSON is proto3 JSON: a field holding its default (0, `""`, `false`, an empty list or
//! map, an absent message) is left out, so a bucket whose limit is 0 comes without
//! `effectiveLimit` (and often without `defaultLimit`). Serializing here leaves them out the
//! same way, so the embedded fake answers as Google does. Unknown fields are ignored;
//! int64 values are JSON strings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorKind};
use crate::catalog::{Check, Limit, QuotaMetric};

/// The `build_origin` dimension value the C3 checks read (SPEC §3).
pub const DEFAULT_BUILD_ORIGIN: &str = "default";

fn is_false(b: &bool) -> bool {
    !*b
}

/// A consumer quota metric (`consumerQuotaMetrics.get?view=FULL`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerQuotaMetric {
    /// Resource name, `projects/123/services/S/consumerQuotaMetrics/M` (the project
    /// number, M URL-encoded); opaque.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The quota metric, e.g. `aiplatform.googleapis.com/custom_model_training_nvidia_t4_gpus`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub metric: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    /// e.g. `1/{project}/{region}`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unit: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consumer_quota_limits: Vec<ConsumerQuotaLimit>,
    /// The per-project limits of a folder or organization consumer, without buckets; empty
    /// (so absent) when the consumer is a project, as it always is here.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub descendant_consumer_quota_limits: Vec<ConsumerQuotaLimit>,
}

/// One limit of a metric: a unit and its buckets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerQuotaLimit {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub metric: String,
    /// `1/{project}` (project-wide), `1/{project}/{region}` (per region),
    /// `1/{project}/{region}/{build_origin}` (the C3 limit).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// Whether the limit is precise (absent = false).
    #[serde(skip_serializing_if = "is_false")]
    pub is_precise: bool,
    /// Whether admin overrides are allowed on this limit (absent = false).
    #[serde(skip_serializing_if = "is_false")]
    pub allows_admin_overrides: bool,
    /// Every location of the limit; present only when the unit has `{region}` or `{zone}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supported_locations: Vec<String>,
    /// Least specific first: the default bucket (no dimensions) always comes first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quota_buckets: Vec<QuotaBucket>,
}

/// One bucket of a limit: the value for the dimensions it names (none = the default bucket).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QuotaBucket {
    /// int64 as a JSON string; `"-1"` = unlimited; absent = 0. Kept raw so one bad value
    /// fails only the check that reads it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_limit: Option<serde_json::Value>,
    /// The service's default for this bucket (int64 string; absent = 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_limit: Option<serde_json::Value>,
    /// e.g. `{"region": "us-central1", "build_origin": "default"}`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub dimensions: BTreeMap<String, String>,
    /// An override set by the service producer (e.g. a granted quota increase).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub producer_override: Option<QuotaOverride>,
    /// An override the consumer set (usually to cap their own use).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_override: Option<QuotaOverride>,
    /// An override set by an organization or folder admin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_override: Option<QuotaOverride>,
    /// A producer policy inherited from the closest ancestor of the consumer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub producer_quota_policy: Option<ProducerQuotaPolicy>,
    /// Present only while a rollout of the service config changes the effective limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_info: Option<RolloutInfo>,
}

/// A quota override on a bucket. `effectiveLimit` already accounts for it; it is modelled so
/// the parser meets it, not read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QuotaOverride {
    /// e.g. `projects/123/services/S/consumerQuotaMetrics/M/limits/L/consumerOverrides/4a3f2c1d`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// int64 as a JSON string, ≥ 0 or `-1`; absent = 0. Kept raw, never read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_value: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub dimensions: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub metric: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// `organizations/N` or `folders/N`; admin overrides only.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub admin_override_ancestor: String,
}

/// A quota policy of the service producer, inherited by the consumer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProducerQuotaPolicy {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// int64 as a JSON string; absent = 0. Kept raw, never read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_value: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub dimensions: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub metric: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// `{container_type}/{container_number}`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub container: String,
}

/// Rollout information of a bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RolloutInfo {
    #[serde(skip_serializing_if = "is_false")]
    pub default_limit_ongoing_rollout: bool,
}

/// An int64 field in proto3 JSON: `None` (left out) for 0, else the decimal string.
pub fn int64_field(v: i64) -> Option<serde_json::Value> {
    (v != 0).then(|| serde_json::Value::String(v.to_string()))
}

/// The dimension values a check wants: `region = R`, and for C3 `build_origin = default`.
pub fn wanted_dimensions(check: &Check) -> BTreeMap<&'static str, &str> {
    let mut wanted = BTreeMap::from([("region", check.region.as_str())]);
    if check.metric == QuotaMetric::C3 {
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
/// A bucket without `effectiveLimit` has a limit of 0 (proto3 JSON leaves zeros out).
///
/// Errors (kind `Parse`, one check only): no limit, no matching bucket (never read as
/// zero), an `effectiveLimit` present but not an int64, or below -1.
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
    match &bucket.effective_limit {
        None => Ok(Limit::Finite(0)),
        Some(raw) => parse_effective_limit(raw).map_err(parse_error),
    }
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
#[path = "quota_metric_tests.rs"]
mod tests;
