//! The fake's ConsumerQuotaMetric bodies, shaped as Google sends them (SPEC §4, §5).
//!
//! Shapes follow the Service Usage v1beta1 Discovery document
//! (`serviceusage/v1beta1/serviceusage-api.json` in googleapis/google-api-go-client):
//! - proto3 JSON leaves defaults out: a zero `effectiveLimit` / `defaultLimit` /
//!   `overrideValue`, `isPrecise: false`, an empty list are absent, so H200's default
//!   bucket is `{}`;
//! - names carry the project *number* (`projects/123456789012/services/...`);
//! - a regional limit has `supportedLocations` ("present only if the limit has a {region}
//!   or {zone} dimension") and `allowsAdminOverrides`;
//! - a bucket whose value differs from the default carries the override that made it: a
//!   `producerOverride` for a granted increase, a `consumerOverride` (or, for some regions,
//!   an `adminOverride` with `adminOverrideAncestor`) for a cap below the default;
//! - `descendantConsumerQuotaLimits` is "empty if the consumer is a project", so only a
//!   folder or organization consumer gets it: the per-project limits without buckets.
//!
//! A GPU metric has a project-wide limit (`1/{project}`) listed first, then the per-region
//! limit; C3 has the `1/{project}/{region}/{build_origin}` limit with a decoy bucket of
//! another build origin per region, and for about 1 region in 5 a bucket naming the region
//! only.

use std::collections::BTreeMap;

use super::quotas::{
    DECOY_BUILD_ORIGIN, Measured, decoy_value, default_value, fake_regions, measured, quota_limit,
    region_only_bucket, stable_hash,
};
use crate::catalog::Limit;
use crate::gcp::http::encode_path_segment;
use crate::gcp::quota_metric::{
    ConsumerQuotaLimit, ConsumerQuotaMetric, DEFAULT_BUILD_ORIGIN, QuotaBucket, QuotaOverride,
    int64_field,
};

/// The consumer a request names: `projects/P`, `folders/N` or `organizations/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Consumer<'a> {
    Project(&'a str),
    Folder(&'a str),
    Organization(&'a str),
}

/// The 12-digit project number Google would give project `project` (stable, seed-free).
pub fn project_number(project: &str) -> u64 {
    100_000_000_000 + stable_hash(0, &["project-number", project]) % 900_000_000_000
}

/// What an override on one bucket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OverrideKind {
    Producer,
    Consumer,
    Admin,
}

/// Builds the buckets of one limit.
struct LimitBuilder<'a> {
    seed: u64,
    metric: &'a str,
    unit: &'a str,
    limit_name: String,
    buckets: Vec<QuotaBucket>,
}

impl LimitBuilder<'_> {
    /// A bucket of `value` where the service default is `default`, with the override that
    /// explains a difference.
    fn push(&mut self, value: i64, default: i64, dims: &[(&str, &str)]) {
        let dimensions: BTreeMap<String, String> = dims
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut bucket = QuotaBucket {
            effective_limit: int64_field(value),
            default_limit: int64_field(default),
            dimensions: dimensions.clone(),
            ..QuotaBucket::default()
        };
        if value != default && !dimensions.is_empty() {
            let words: Vec<&str> = dims.iter().flat_map(|(k, v)| [*k, *v]).collect();
            let h = stable_hash(
                self.seed,
                &[&["override", self.metric][..], &words].concat(),
            );
            let kind = if value > default {
                OverrideKind::Producer
            } else if h.is_multiple_of(3) {
                OverrideKind::Admin
            } else {
                OverrideKind::Consumer
            };
            let (collection, ancestor) = match kind {
                OverrideKind::Producer => ("producerOverrides", String::new()),
                OverrideKind::Consumer => ("consumerOverrides", String::new()),
                OverrideKind::Admin => (
                    "adminOverrides",
                    format!("organizations/{}", 100_000_000 + h % 900_000_000),
                ),
            };
            let o = QuotaOverride {
                name: format!("{}/{collection}/{:08x}", self.limit_name, h as u32),
                override_value: int64_field(value),
                dimensions,
                metric: self.metric.to_string(),
                unit: self.unit.to_string(),
                admin_override_ancestor: ancestor,
            };
            match kind {
                OverrideKind::Producer => bucket.producer_override = Some(o),
                OverrideKind::Consumer => bucket.consumer_override = Some(o),
                OverrideKind::Admin => bucket.admin_override = Some(o),
            }
        }
        self.buckets.push(bucket);
    }
}

/// The `consumerQuotaMetrics.get?view=FULL` body of `metric` (owned by `service`) for
/// `consumer`; `None` for a metric the fake does not know (the caller answers 404).
pub(crate) fn metric_body(
    seed: u64,
    consumer: Consumer<'_>,
    service: &str,
    metric: &str,
) -> Option<ConsumerQuotaMetric> {
    let m = measured(metric)?;
    let parent = match consumer {
        Consumer::Project(p) => format!("projects/{}", project_number(p)),
        Consumer::Folder(n) => format!("folders/{n}"),
        Consumer::Organization(n) => format!("organizations/{n}"),
    };
    let name = format!(
        "{parent}/services/{service}/consumerQuotaMetrics/{}",
        encode_path_segment(metric)
    );
    let limit_name = |unit: &str| {
        let suffix = unit.replace("1/", "/").replace(['{', '}'], "");
        format!("{name}/limits/{}", encode_path_segment(&suffix))
    };
    let default = default_value(m);
    let regions = fake_regions();
    let unit = match m {
        Measured::Gpu(_) => "1/{project}/{region}",
        Measured::C3 => "1/{project}/{region}/{build_origin}",
    };
    let mut b = LimitBuilder {
        seed,
        metric,
        unit,
        limit_name: limit_name(unit),
        buckets: Vec::new(),
    };
    b.push(default, default, &[]);
    let mut project_total = 0;
    for region in &regions {
        let Some(Limit::Finite(v)) = quota_limit(seed, metric, region) else {
            continue;
        };
        project_total += v;
        match m {
            Measured::Gpu(_) if v != default => b.push(v, default, &[("region", region)]),
            Measured::Gpu(_) => {}
            Measured::C3 => {
                let decoy = decoy_value(seed, v, region);
                b.push(
                    decoy,
                    default,
                    &[("region", region), ("build_origin", DECOY_BUILD_ORIGIN)],
                );
                if region_only_bucket(seed, region) {
                    b.push(v, default, &[("region", region)]);
                } else if v != default {
                    b.push(
                        v,
                        default,
                        &[("region", region), ("build_origin", DEFAULT_BUILD_ORIGIN)],
                    );
                }
            }
        }
    }
    let regional = ConsumerQuotaLimit {
        name: b.limit_name.clone(),
        metric: metric.to_string(),
        unit: unit.to_string(),
        is_precise: true,
        allows_admin_overrides: true,
        supported_locations: regions.iter().map(|r| r.to_string()).collect(),
        quota_buckets: b.buckets,
    };
    let mut limits = Vec::new();
    if let Measured::Gpu(_) = m {
        // Project-wide: not precise (so `isPrecise` is left out), no admin overrides.
        let total = project_total.max(default);
        let mut g = LimitBuilder {
            seed,
            metric,
            unit: "1/{project}",
            limit_name: limit_name("1/{project}"),
            buckets: Vec::new(),
        };
        g.push(total, total, &[]);
        limits.push(ConsumerQuotaLimit {
            name: g.limit_name,
            metric: metric.to_string(),
            unit: "1/{project}".to_string(),
            quota_buckets: g.buckets,
            ..ConsumerQuotaLimit::default()
        });
    }
    let descendants = match consumer {
        Consumer::Project(_) => Vec::new(),
        Consumer::Folder(_) | Consumer::Organization(_) => vec![ConsumerQuotaLimit {
            quota_buckets: Vec::new(),
            ..regional.clone()
        }],
    };
    limits.push(regional);
    let display = match m {
        Measured::Gpu(g) => format!("Custom model training {} GPUs per region", g.name()),
        Measured::C3 => "Concurrent C3 build CPUs (private pool) per region".to_string(),
    };
    Some(ConsumerQuotaMetric {
        name,
        metric: metric.to_string(),
        display_name: display,
        unit: unit.to_string(),
        consumer_quota_limits: limits,
        descendant_consumer_quota_limits: descendants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{AIPLATFORM_SERVICE, Capacity, GpuType};

    fn json_of(consumer: Consumer<'_>, g: GpuType) -> serde_json::Value {
        let metric = g.metric(Capacity::Spot);
        serde_json::to_value(metric_body(7, consumer, AIPLATFORM_SERVICE, metric).unwrap()).unwrap()
    }

    /// Every bucket of every limit, as JSON objects.
    fn buckets(v: &serde_json::Value) -> Vec<serde_json::Value> {
        v["consumerQuotaLimits"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|l| l["quotaBuckets"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    #[test]
    fn zeros_are_left_out_as_google_leaves_them_out() {
        let h200 = json_of(Consumer::Project("p"), GpuType::H200);
        let regional = &h200["consumerQuotaLimits"][1];
        // H200's default is 0: the default bucket is an empty object.
        assert_eq!(regional["quotaBuckets"][0], serde_json::json!({}));
        let all = buckets(&h200);
        assert!(all.len() > 2);
        for b in &all {
            for field in ["effectiveLimit", "defaultLimit"] {
                assert_ne!(b.get(field), Some(&serde_json::json!("0")), "{b}");
            }
        }
        // The project-wide limit is not precise: `isPrecise` is absent, never `false`.
        assert_eq!(h200["consumerQuotaLimits"][0].get("isPrecise"), None);
        assert!(h200.get("descendantConsumerQuotaLimits").is_none());
        // Names carry the project number.
        let name = h200["name"].as_str().unwrap();
        assert!(
            name.starts_with(&format!("projects/{}/", project_number("p"))),
            "{name}"
        );
    }

    #[test]
    fn limits_carry_supported_locations_admin_overrides_and_bucket_overrides() {
        for g in GpuType::ALL {
            let v = json_of(Consumer::Project("p"), g);
            let regional = &v["consumerQuotaLimits"][1];
            assert_eq!(regional["allowsAdminOverrides"], true);
            assert_eq!(
                regional["supportedLocations"].as_array().unwrap().len(),
                fake_regions().len()
            );
            // Every region bucket differs from the default, so carries its override.
            for b in regional["quotaBuckets"].as_array().unwrap().iter().skip(1) {
                let n = ["producerOverride", "consumerOverride", "adminOverride"]
                    .iter()
                    .filter(|k| b.get(**k).is_some())
                    .count();
                assert_eq!(n, 1, "{g:?}: {b}");
            }
        }
        let overrides: Vec<&str> = GpuType::ALL
            .iter()
            .flat_map(|g| buckets(&json_of(Consumer::Project("p"), *g)))
            .flat_map(|b| {
                ["producerOverride", "consumerOverride", "adminOverride"]
                    .into_iter()
                    .filter(move |k| b.get(*k).is_some())
            })
            .collect();
        for kind in ["producerOverride", "consumerOverride", "adminOverride"] {
            assert!(overrides.contains(&kind), "seed 7 shows a {kind}");
        }
    }

    #[test]
    fn a_folder_consumer_gets_descendant_limits_without_buckets() {
        let v = json_of(Consumer::Folder("123"), GpuType::T4);
        let d = v["descendantConsumerQuotaLimits"].as_array().unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0]["unit"], "1/{project}/{region}");
        assert!(d[0].get("quotaBuckets").is_none());
        assert!(v["name"].as_str().unwrap().starts_with("folders/123/"));
    }
}
