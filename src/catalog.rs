//! The check catalog of SPEC §3: GPU types, regions, quota metrics, machine shapes.
//!
//! A *check* is one (quota metric, region) pair fetched with one Service Usage request
//! (SPEC §4). The default catalog has 20 GPU checks (5 types × 4 regions, type-major)
//! and 18 C3 checks: 38 in all.
//!
//! Every name here is Google's, checked against Google's own material (each item cites its
//! source). What Vertex AI training offers where, and which machine shapes each capacity
//! may use, is in [`vertex`].

mod vertex;

pub use vertex::{ShapeError, TRAINING_OFFER_AS_OF, training_regions};

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Default GPU regions (SPEC §3), in preference order.
pub const DEFAULT_GPU_REGIONS: [&str; 4] = ["us-central1", "us-east1", "us-west1", "europe-west4"];

/// Default Cloud Build C3 regions (SPEC §3), in catalog order.
pub const DEFAULT_C3_REGIONS: [&str; 18] = [
    "us-central1",
    "us-east1",
    "us-east4",
    "us-east5",
    "us-west1",
    "us-west2",
    "us-west3",
    "us-west4",
    "northamerica-northeast1",
    "europe-west1",
    "europe-west2",
    "europe-west3",
    "europe-west4",
    "europe-west9",
    "asia-northeast1",
    "asia-southeast1",
    "australia-southeast1",
    "southamerica-east1",
];

/// Service Usage service name of the Vertex AI GPU metrics.
pub const AIPLATFORM_SERVICE: &str = "aiplatform.googleapis.com";
/// Service Usage service name of the Cloud Build C3 metric.
pub const CLOUDBUILD_SERVICE: &str = "cloudbuild.googleapis.com";
/// The C3 private-pool quota metric (vCPUs), SPEC §3.
///
/// Source: Cloud Monitoring's metric list for Cloud Build ("Google Cloud metrics: C",
/// <https://cloud.google.com/monitoring/api/metrics_gcp_c>, section `cloudbuild`):
/// `quota/concurrent_private_pool_c3_build_cpus/exceeded`, "Number of attempts to exceed the
/// limit on quota metric `cloudbuild.googleapis.com/concurrent_private_pool_c3_build_cpus`",
/// with the labels `limit_name` and `build_origin` (the dimension a C3 check reads, SPEC §4).
pub const C3_METRIC: &str = "cloudbuild.googleapis.com/concurrent_private_pool_c3_build_cpus";

/// A GPU type of the catalog (SPEC §3 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GpuType {
    T4,
    L4,
    A100,
    H100,
    H200,
}

impl GpuType {
    /// All GPU types in catalog order.
    pub const ALL: [GpuType; 5] = [
        GpuType::T4,
        GpuType::L4,
        GpuType::A100,
        GpuType::H100,
        GpuType::H200,
    ];

    /// Display name: `T4`, `L4`, `A100`, `H100`, `H200`.
    pub fn name(self) -> &'static str {
        match self {
            GpuType::T4 => "T4",
            GpuType::L4 => "L4",
            GpuType::A100 => "A100",
            GpuType::H100 => "H100",
            GpuType::H200 => "H200",
        }
    }

    /// Vertex AI accelerator type (`machineSpec.acceleratorType`).
    ///
    /// Source: the `AcceleratorType` enum of `GoogleCloudAiplatformV1MachineSpec` in the
    /// aiplatform v1 Discovery document (googleapis/google-api-go-client
    /// `aiplatform/v1/aiplatform-api.json`; checked through the client generated from it,
    /// google-api-php-client-services `GoogleCloudAiplatformV1MachineSpec.php`: "Accepted
    /// values: ... NVIDIA_TESLA_T4, NVIDIA_TESLA_A100, NVIDIA_A100_80GB, NVIDIA_L4,
    /// NVIDIA_H100_80GB, NVIDIA_H100_MEGA_80GB, NVIDIA_H200_141GB, ..."), and the same enum in
    /// googleapis/googleapis `google/cloud/aiplatform/v1/accelerator_type.proto`.
    /// `NVIDIA_TESLA_A100` is the A100 40GB of the `a2-highgpu-*` machine types.
    pub fn accelerator_type(self) -> &'static str {
        match self {
            GpuType::T4 => "NVIDIA_TESLA_T4",
            GpuType::L4 => "NVIDIA_L4",
            GpuType::A100 => "NVIDIA_TESLA_A100",
            GpuType::H100 => "NVIDIA_H100_80GB",
            GpuType::H200 => "NVIDIA_H200_141GB",
        }
    }

    /// Suffix of the Vertex AI training quota metric, e.g. `nvidia_t4_gpus`.
    ///
    /// Sources:
    /// - T4, L4, A100, H100: Google's Model Garden notebook helper
    ///   (GoogleCloudPlatform/vertex-ai-samples,
    ///   `community-content/vertex_model_garden/model_oss/notebook_util/common_util.py`,
    ///   `get_resource_id`): `NVIDIA_TESLA_T4` → `custom_model_training_nvidia_t4_gpus`,
    ///   `NVIDIA_L4` → `custom_model_training_nvidia_l4_gpus`, `NVIDIA_TESLA_A100` →
    ///   `custom_model_training_nvidia_a100_gpus`, `NVIDIA_H100_80GB` →
    ///   `custom_model_training_nvidia_h100_gpus`.
    /// - H100 again, with its spot twin: the Dynamic Workload Scheduler page ("Schedule
    ///   training jobs based on resource availability", section Quota,
    ///   <https://cloud.google.com/vertex-ai/docs/training/schedule-jobs-dws#quota>): "instead
    ///   of consuming `aiplatform.googleapis.com/custom_model_training_nvidia_h100_gpus`,
    ///   Vertex AI consumes `..._preemptible_nvidia_h100_gpus`". There is no
    ///   `nvidia_h100_80gb_gpus` metric.
    /// - H200: `nvidia_h200_gpus` follows the same pattern; no Google page or sample naming
    ///   the Vertex AI H200 training metric was found (only third-party notes), so a real
    ///   project's answer is the authority: an unknown metric comes back 404 (SPEC §4).
    pub fn metric_suffix(self) -> &'static str {
        match self {
            GpuType::T4 => "nvidia_t4_gpus",
            GpuType::L4 => "nvidia_l4_gpus",
            GpuType::A100 => "nvidia_a100_gpus",
            GpuType::H100 => "nvidia_h100_gpus",
            GpuType::H200 => "nvidia_h200_gpus",
        }
    }

    /// The full quota metric for this type and capacity, e.g.
    /// `aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus`.
    ///
    /// Spot (and Dynamic Workload Scheduler) jobs consume the `preemptible` metric, on-demand
    /// jobs the plain one (the Dynamic Workload Scheduler page, section Quota, cited at
    /// [`GpuType::metric_suffix`]).
    pub fn metric(self, capacity: Capacity) -> String {
        let infix = match capacity {
            Capacity::Spot => "custom_model_training_preemptible_",
            Capacity::OnDemand => "custom_model_training_",
        };
        format!("{AIPLATFORM_SERVICE}/{infix}{}", self.metric_suffix())
    }
}

impl fmt::Display for GpuType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for GpuType {
    type Err = String;
    /// Accepts the display name (`L4`, case-insensitive) or the accelerator type (`NVIDIA_L4`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GpuType::ALL
            .into_iter()
            .find(|g| {
                g.name().eq_ignore_ascii_case(s) || g.accelerator_type().eq_ignore_ascii_case(s)
            })
            .ok_or_else(|| {
                format!("unknown GPU type '{s}': expected one of T4, L4, A100, H100, H200")
            })
    }
}

/// Spot (preemptible, the default) or on-demand capacity: selects the GPU quota metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capacity {
    #[default]
    Spot,
    OnDemand,
}

impl Capacity {
    /// `spot` or `on-demand`, as the command line and the screens say it.
    pub fn word(self) -> &'static str {
        match self {
            Capacity::Spot => "spot",
            Capacity::OnDemand => "on-demand",
        }
    }

    /// Vertex AI `scheduling.strategy`: `SPOT` or `STANDARD`.
    pub fn scheduling_strategy(self) -> &'static str {
        match self {
            Capacity::Spot => "SPOT",
            Capacity::OnDemand => "STANDARD",
        }
    }
}

/// What a check measures: a GPU type's training quota, or Cloud Build C3 vCPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckKind {
    Gpu(GpuType),
    C3,
}

/// One (quota metric, region) pair: one Service Usage request (SPEC §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Check {
    pub kind: CheckKind,
    pub region: String,
}

impl Check {
    /// A GPU check.
    pub fn gpu(gpu: GpuType, region: impl Into<String>) -> Self {
        Check {
            kind: CheckKind::Gpu(gpu),
            region: region.into(),
        }
    }

    /// A C3 check.
    pub fn c3(region: impl Into<String>) -> Self {
        Check {
            kind: CheckKind::C3,
            region: region.into(),
        }
    }

    /// The quota metric this check reads (GPU metrics depend on `capacity`; C3 does not).
    pub fn metric(&self, capacity: Capacity) -> String {
        match self.kind {
            CheckKind::Gpu(g) => g.metric(capacity),
            CheckKind::C3 => C3_METRIC.to_string(),
        }
    }

    /// The Service Usage service that owns the metric (the metric's prefix).
    pub fn service(&self) -> &'static str {
        match self.kind {
            CheckKind::Gpu(_) => AIPLATFORM_SERVICE,
            CheckKind::C3 => CLOUDBUILD_SERVICE,
        }
    }

    /// `T4`, `L4`, ... or `C3`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            CheckKind::Gpu(g) => g.name(),
            CheckKind::C3 => "C3",
        }
    }

    /// The GPU type, if this is a GPU check.
    pub fn gpu_type(&self) -> Option<GpuType> {
        match self.kind {
            CheckKind::Gpu(g) => Some(g),
            CheckKind::C3 => None,
        }
    }
}

impl fmt::Display for Check {
    /// `T4 us-central1` or `C3 europe-west4`, as in the logs (SPEC §8).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind_name(), self.region)
    }
}

/// A quota limit read from `effectiveLimit` (SPEC §4): a count, or unlimited (`"-1"`).
///
/// Units: GPUs for GPU checks, vCPUs for C3 checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    Finite(i64),
    Unlimited,
}

impl Limit {
    /// True when the quota allows at least `n` units.
    pub fn at_least(self, n: i64) -> bool {
        match self {
            Limit::Finite(v) => v >= n,
            Limit::Unlimited => true,
        }
    }

    /// True when the quota is above zero (`found` in SPEC §8).
    pub fn is_positive(self) -> bool {
        self.at_least(1)
    }

    /// The count, `None` when unlimited.
    pub fn finite(self) -> Option<i64> {
        match self {
            Limit::Finite(v) => Some(v),
            Limit::Unlimited => None,
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Finite(v) => write!(f, "{v}"),
            Limit::Unlimited => f.write_str("∞"),
        }
    }
}

/// Best Cloud Build private-pool machine for a C3 quota in vCPUs (SPEC §3):
/// ≥ 176 → `c3-standard-176`; ≥ 88 → `c3-standard-88`; ≥ 44 → `c3-standard-44`; else none.
pub fn best_c3_machine(limit: Limit) -> Option<&'static str> {
    if limit.at_least(176) {
        Some("c3-standard-176")
    } else if limit.at_least(88) {
        Some("c3-standard-88")
    } else if limit.at_least(44) {
        Some("c3-standard-44")
    } else {
        None
    }
}

/// The configured checks: GPU types × GPU regions (type-major) and C3 regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub gpu_types: Vec<GpuType>,
    /// GPU regions in preference order.
    pub gpu_regions: Vec<String>,
    pub c3_regions: Vec<String>,
    /// Which GPU metrics the warmer reads (spot by default, SPEC §3).
    pub capacity: Capacity,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog {
            gpu_types: GpuType::ALL.to_vec(),
            gpu_regions: DEFAULT_GPU_REGIONS.iter().map(|s| s.to_string()).collect(),
            c3_regions: DEFAULT_C3_REGIONS.iter().map(|s| s.to_string()).collect(),
            capacity: Capacity::Spot,
        }
    }
}

impl Catalog {
    /// GPU checks in type-major order (all regions of the first type, then the next, ...).
    pub fn gpu_checks(&self) -> Vec<Check> {
        self.gpu_types
            .iter()
            .flat_map(|&g| {
                self.gpu_regions
                    .iter()
                    .map(move |r| Check::gpu(g, r.clone()))
            })
            .collect()
    }

    /// C3 checks in catalog order.
    pub fn c3_checks(&self) -> Vec<Check> {
        self.c3_regions
            .iter()
            .map(|r| Check::c3(r.clone()))
            .collect()
    }

    /// Every check: GPU checks then C3 checks (the order of `check --json`, SPEC §9).
    pub fn all_checks(&self) -> Vec<Check> {
        let mut v = self.gpu_checks();
        v.extend(self.c3_checks());
        v
    }

    /// Number of checks (38 by default).
    pub fn len(&self) -> usize {
        self.gpu_types.len() * self.gpu_regions.len() + self.c3_regions.len()
    }

    /// True when the catalog has no checks.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_catalog_has_38_checks_type_major() {
        let c = Catalog::default();
        let gpu = c.gpu_checks();
        assert_eq!(gpu.len(), 20);
        assert_eq!(c.c3_checks().len(), 18);
        assert_eq!(c.all_checks().len(), 38);
        assert_eq!(c.len(), 38);
        assert_eq!(gpu[0], Check::gpu(GpuType::T4, "us-central1"));
        assert_eq!(gpu[3], Check::gpu(GpuType::T4, "europe-west4"));
        assert_eq!(gpu[4], Check::gpu(GpuType::L4, "us-central1"));
        assert_eq!(gpu[19], Check::gpu(GpuType::H200, "europe-west4"));
    }

    #[test]
    fn metrics_are_named_as_in_the_spec() {
        assert_eq!(
            GpuType::T4.metric(Capacity::Spot),
            "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus"
        );
        // Google's names (see the sources at `GpuType::metric_suffix`): the H100 metric has
        // no `80gb` in it, spot or on-demand.
        assert_eq!(
            GpuType::H100.metric(Capacity::OnDemand),
            "aiplatform.googleapis.com/custom_model_training_nvidia_h100_gpus"
        );
        assert_eq!(
            GpuType::H100.metric(Capacity::Spot),
            "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_h100_gpus"
        );
        let on_demand: Vec<String> = GpuType::ALL
            .iter()
            .map(|g| g.metric(Capacity::OnDemand))
            .collect();
        assert_eq!(
            on_demand,
            [
                "aiplatform.googleapis.com/custom_model_training_nvidia_t4_gpus",
                "aiplatform.googleapis.com/custom_model_training_nvidia_l4_gpus",
                "aiplatform.googleapis.com/custom_model_training_nvidia_a100_gpus",
                "aiplatform.googleapis.com/custom_model_training_nvidia_h100_gpus",
                "aiplatform.googleapis.com/custom_model_training_nvidia_h200_gpus",
            ]
        );
        let accelerators: Vec<&str> = GpuType::ALL.iter().map(|g| g.accelerator_type()).collect();
        assert_eq!(
            accelerators,
            [
                "NVIDIA_TESLA_T4",
                "NVIDIA_L4",
                "NVIDIA_TESLA_A100",
                "NVIDIA_H100_80GB",
                "NVIDIA_H200_141GB"
            ]
        );
        assert_eq!(
            Check::c3("us-east1").metric(Capacity::Spot),
            "cloudbuild.googleapis.com/concurrent_private_pool_c3_build_cpus"
        );
    }

    #[test]
    fn c3_tiers() {
        assert_eq!(best_c3_machine(Limit::Finite(176)), Some("c3-standard-176"));
        assert_eq!(best_c3_machine(Limit::Finite(175)), Some("c3-standard-88"));
        assert_eq!(best_c3_machine(Limit::Finite(44)), Some("c3-standard-44"));
        assert_eq!(best_c3_machine(Limit::Finite(43)), None);
        assert_eq!(best_c3_machine(Limit::Unlimited), Some("c3-standard-176"));
    }

    #[test]
    fn gpu_type_parses_both_spellings() {
        assert_eq!("l4".parse::<GpuType>(), Ok(GpuType::L4));
        assert_eq!("NVIDIA_H100_80GB".parse::<GpuType>(), Ok(GpuType::H100));
        assert!("V100".parse::<GpuType>().is_err());
    }
}
