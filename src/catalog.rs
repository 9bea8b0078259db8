//! The check catalog of SPEC §3: GPU types, regions, quota metrics, machine shapes.
//!
//! A *check* is one (quota metric, region) pair: a cell of the dashboard ([`Check`]). A
//! *metric request* is one Service Usage request for one quota metric, whose answer holds
//! every region of that metric (SPEC §4) ([`MetricRequest`]). The default catalog has 20 GPU
//! checks (5 types × 4 regions, type-major) and 18 C3 checks, 38 in all, answered by 6
//! metric requests (one per GPU type at the catalog's capacity, and one for C3).
//!
//! Every name here is Google's, checked against Google's own material (each item cites its
//! source). What Vertex AI training offers where, and which machine shapes each capacity
//! may use, is in [`vertex`].

mod gpu;
mod metric;
mod vertex;

pub use gpu::{Capacity, GpuType};
pub use metric::{Check, MetricRequest, QuotaMetric};
pub use vertex::{ShapeError, TRAINING_OFFER_AS_OF, training_regions};

use std::fmt;

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

/// A quota limit read from `effectiveLimit` (SPEC §4): a count, or unlimited (`"-1"`).
///
/// Units: GPUs for GPU checks, vCPUs for C3 checks. Saved and shared (SPEC §11) as
/// `{"finite": 16}` or `"unlimited"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    /// The quota metric of GPU type `gpu` at the catalog's capacity.
    pub fn gpu_metric(&self, gpu: GpuType) -> QuotaMetric {
        QuotaMetric::Gpu {
            gpu,
            capacity: self.capacity,
        }
    }

    /// One metric request per GPU type (type order, at the catalog's capacity), each for
    /// every GPU region; none when there are no GPU regions.
    pub fn gpu_requests(&self) -> Vec<MetricRequest> {
        if self.gpu_regions.is_empty() {
            return Vec::new();
        }
        self.gpu_types
            .iter()
            .map(|&g| MetricRequest::new(self.gpu_metric(g), self.gpu_regions.iter().cloned()))
            .collect()
    }

    /// The C3 metric request, for every C3 region; `None` when there are no C3 regions.
    pub fn c3_request(&self) -> Option<MetricRequest> {
        (!self.c3_regions.is_empty())
            .then(|| MetricRequest::new(QuotaMetric::C3, self.c3_regions.iter().cloned()))
    }

    /// Every metric request: the GPU requests, then C3 (6 by default). Their checks, in this
    /// order, are [`Catalog::all_checks`].
    pub fn requests(&self) -> Vec<MetricRequest> {
        let mut v = self.gpu_requests();
        v.extend(self.c3_request());
        v
    }

    /// GPU checks in type-major order (all regions of the first type, then the next, ...).
    pub fn gpu_checks(&self) -> Vec<Check> {
        self.gpu_requests()
            .iter()
            .flat_map(MetricRequest::checks)
            .collect()
    }

    /// C3 checks in catalog order.
    pub fn c3_checks(&self) -> Vec<Check> {
        self.c3_request().map(|r| r.checks()).unwrap_or_default()
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
mod tests;
