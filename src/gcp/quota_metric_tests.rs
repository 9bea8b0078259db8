//! Reading limits from ConsumerQuotaMetric bodies shaped like Google's answers (SPEC §4).

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
    Check::gpu(GpuType::T4, crate::catalog::Capacity::Spot, region)
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
fn present_but_non_numeric_or_below_minus_one_effective_limit_is_a_parse_error() {
    for bucket in [
        json!({"effectiveLimit": "lots"}),
        json!({"effectiveLimit": ""}),
        json!({"effectiveLimit": {"v": 1}}),
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

/// A T4 body as Google sends it for a project that asked for little: proto3 JSON leaves
/// every zero out (`effectiveLimit`, `defaultLimit`, `overrideValue`, `isPrecise: false`),
/// and the limits carry `allowsAdminOverrides`, `supportedLocations` and override fields.
fn google_shaped_t4() -> ConsumerQuotaMetric {
    let metric_name = "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus";
    let limit_name = "projects/123456789012/services/aiplatform.googleapis.com/consumerQuotaMetrics/\
        aiplatform.googleapis.com%2Fcustom_model_training_preemptible_nvidia_t4_gpus/limits/%2Fproject%2Fregion";
    metric(json!({
    "name": "projects/123456789012/services/aiplatform.googleapis.com/consumerQuotaMetrics/\
             aiplatform.googleapis.com%2Fcustom_model_training_preemptible_nvidia_t4_gpus",
    "metric": metric_name,
    "displayName": "Custom model training preemptible Nvidia T4 GPUs per region",
    "unit": "1/{project}/{region}",
    "consumerQuotaLimits": [
      {"name": "global", "metric": metric_name, "unit": "1/{project}",
       "quotaBuckets": [{"effectiveLimit": "64", "defaultLimit": "64"}]},
      {"name": limit_name, "metric": metric_name, "unit": "1/{project}/{region}",
       "isPrecise": true, "allowsAdminOverrides": true,
       "supportedLocations": ["us-central1", "us-east1", "us-west1", "europe-west4"],
       "quotaBuckets": [
         {},
         {"effectiveLimit": "16", "dimensions": {"region": "us-central1"},
          "producerOverride": {"name": format!("{limit_name}/producerOverrides/a1"),
            "overrideValue": "16", "dimensions": {"region": "us-central1"},
            "metric": metric_name, "unit": "1/{project}/{region}"}},
         {"defaultLimit": "4", "dimensions": {"region": "us-west1"},
          "consumerOverride": {"name": format!("{limit_name}/consumerOverrides/b2"),
            "dimensions": {"region": "us-west1"}, "metric": metric_name,
            "unit": "1/{project}/{region}"}},
         {"effectiveLimit": "8", "defaultLimit": "4", "dimensions": {"region": "europe-west4"},
          "adminOverride": {"name": format!("{limit_name}/adminOverrides/c3"),
            "overrideValue": "8", "dimensions": {"region": "europe-west4"},
            "adminOverrideAncestor": "organizations/4242"},
          "producerQuotaPolicy": {"name": "p", "policyValue": "8", "container": "organizations/4242"},
          "rolloutInfo": {"defaultLimitOngoingRollout": true}}
       ]}]}))
}

#[test]
fn a_bucket_without_effective_limit_is_a_zero_not_an_error() {
    let m = google_shaped_t4();
    // The default bucket `{}`: no effectiveLimit, no defaultLimit.
    assert_eq!(read_limit(&m, &gpu("us-east1")), Ok(Limit::Finite(0)));
    // A consumer override to 0 leaves effectiveLimit (and overrideValue) out.
    assert_eq!(read_limit(&m, &gpu("us-west1")), Ok(Limit::Finite(0)));
    // `null` is proto3 JSON's other way of saying "default".
    let m = metric(
        json!({"consumerQuotaLimits": [{"unit": "1/{project}/{region}",
        "quotaBuckets": [{"effectiveLimit": null}]}]}),
    );
    assert_eq!(read_limit(&m, &gpu("us-east1")), Ok(Limit::Finite(0)));
}

#[test]
fn override_fields_are_parsed_and_effective_limit_is_what_counts() {
    let m = google_shaped_t4();
    assert_eq!(read_limit(&m, &gpu("us-central1")), Ok(Limit::Finite(16)));
    assert_eq!(read_limit(&m, &gpu("europe-west4")), Ok(Limit::Finite(8)));
    let buckets = &m.consumer_quota_limits[1].quota_buckets;
    let producer = buckets[1]
        .producer_override
        .as_ref()
        .expect("producerOverride");
    assert_eq!(producer.override_value, Some(json!("16")));
    let consumer = buckets[2]
        .consumer_override
        .as_ref()
        .expect("consumerOverride");
    assert_eq!(
        consumer.override_value, None,
        "an override to 0 has no overrideValue"
    );
    let admin = buckets[3].admin_override.as_ref().expect("adminOverride");
    assert_eq!(admin.admin_override_ancestor, "organizations/4242");
    assert_eq!(
        buckets[3]
            .producer_quota_policy
            .as_ref()
            .map(|p| p.container.as_str()),
        Some("organizations/4242")
    );
    assert_eq!(
        buckets[3].rollout_info,
        Some(RolloutInfo {
            default_limit_ongoing_rollout: true
        })
    );
}

#[test]
fn supported_locations_and_admin_override_flags_are_parsed() {
    let m = google_shaped_t4();
    let regional = &m.consumer_quota_limits[1];
    assert!(regional.allows_admin_overrides && regional.is_precise);
    assert_eq!(regional.supported_locations.len(), 4);
    let global = &m.consumer_quota_limits[0];
    assert!(
        !global.is_precise && !global.allows_admin_overrides,
        "absent = false"
    );
    assert!(global.supported_locations.is_empty());
}

#[test]
fn descendant_limits_of_a_folder_answer_are_parsed_and_never_read() {
    // A folder consumer's answer: per-project limits without buckets beside its own.
    let m = metric(json!({
      "metric": "aiplatform.googleapis.com/custom_model_training_nvidia_t4_gpus",
      "consumerQuotaLimits": [{"unit": "1/{project}/{region}", "quotaBuckets": [
          {"effectiveLimit": "4", "defaultLimit": "4"}]}],
      "descendantConsumerQuotaLimits": [
          {"name": "folders/9/x/limits/%2Fproject%2Fregion", "unit": "1/{project}/{region}",
           "isPrecise": true, "supportedLocations": ["us-east1"]}]}));
    assert_eq!(m.descendant_consumer_quota_limits.len(), 1);
    assert!(
        m.descendant_consumer_quota_limits[0]
            .quota_buckets
            .is_empty()
    );
    assert_eq!(read_limit(&m, &gpu("us-east1")), Ok(Limit::Finite(4)));
}

#[test]
fn serializing_leaves_zeros_out_as_proto3_json_does() {
    let bucket = QuotaBucket {
        effective_limit: int64_field(0),
        default_limit: int64_field(4),
        dimensions: BTreeMap::from([("region".to_string(), "us-east1".to_string())]),
        consumer_override: Some(QuotaOverride {
            override_value: int64_field(0),
            ..QuotaOverride::default()
        }),
        ..QuotaBucket::default()
    };
    let limit = ConsumerQuotaLimit {
        unit: "1/{project}".into(),
        quota_buckets: vec![QuotaBucket::default(), bucket],
        ..ConsumerQuotaLimit::default()
    };
    assert_eq!(
        serde_json::to_value(&limit).unwrap(),
        json!({"unit": "1/{project}", "quotaBuckets": [{}, {"defaultLimit": "4",
            "dimensions": {"region": "us-east1"}, "consumerOverride": {}}]})
    );
    assert_eq!(int64_field(-1), Some(json!("-1")));
}
