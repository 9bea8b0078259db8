//! Quota metrics, checks and metric requests (SPEC §3).
//!
//! A [`QuotaMetric`] is one of Google's quota metrics the catalog reads: a GPU type's Vertex AI
//! training quota at a capacity (spot or on-demand), or Cloud Build's C3 private-pool vCPUs.
//! A [`Check`] is one (quota metric, region) pair: one cell of the dashboard, and the key of
//! the cache, so a spot value and an on-demand value of the same GPU type and region live
//! side by side. A [`MetricRequest`] is one Service Usage `consumerQuotaMetrics.get` of a
//! metric, whose answer holds every region of that metric (SPEC §4), so it answers all the
//! checks of its metric at once.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{AIPLATFORM_SERVICE, C3_METRIC, CLOUDBUILD_SERVICE, Capacity, GpuType};

/// The Vertex AI training metrics, `[spot, on-demand]` per GPU type in [`GpuType::ALL`]
/// order: `{service}/custom_model_training_preemptible_{suffix}` and
/// `{service}/custom_model_training_{suffix}` (sources at [`GpuType::metric_suffix`]). A static
/// table, so a metric's name costs no allocation.
const GPU_METRICS: [[&str; 2]; 5] = [
    [
        "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus",
        "aiplatform.googleapis.com/custom_model_training_nvidia_t4_gpus",
    ],
    [
        "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_l4_gpus",
        "aiplatform.googleapis.com/custom_model_training_nvidia_l4_gpus",
    ],
    [
        "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_a100_gpus",
        "aiplatform.googleapis.com/custom_model_training_nvidia_a100_gpus",
    ],
    [
        "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_h100_gpus",
        "aiplatform.googleapis.com/custom_model_training_nvidia_h100_gpus",
    ],
    [
        "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_h200_gpus",
        "aiplatform.googleapis.com/custom_model_training_nvidia_h200_gpus",
    ],
];

/// A quota metric of the catalog (SPEC §3): a GPU type's Vertex AI training quota at a
/// capacity, or Cloud Build's C3 private-pool vCPUs. Its full Google name comes from
/// [`QuotaMetric::name`]; units are GPUs for GPU metrics, vCPUs for C3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum QuotaMetric {
    Gpu { gpu: GpuType, capacity: Capacity },
    C3,
}

impl QuotaMetric {
    /// Every metric the catalog knows: each GPU type spot then on-demand, then C3.
    pub fn all() -> impl Iterator<Item = QuotaMetric> {
        GpuType::ALL
            .into_iter()
            .flat_map(|gpu| {
                [Capacity::Spot, Capacity::OnDemand]
                    .map(|capacity| QuotaMetric::Gpu { gpu, capacity })
            })
            .chain(std::iter::once(QuotaMetric::C3))
    }

    /// The full metric name, capacity included, e.g.
    /// `aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus` or
    /// `cloudbuild.googleapis.com/concurrent_private_pool_c3_build_cpus`.
    pub fn name(self) -> &'static str {
        match self {
            QuotaMetric::Gpu { gpu, capacity } => {
                let row = GpuType::ALL
                    .iter()
                    .position(|g| *g == gpu)
                    .expect("every GPU type is in ALL");
                GPU_METRICS[row][match capacity {
                    Capacity::Spot => 0,
                    Capacity::OnDemand => 1,
                }]
            }
            QuotaMetric::C3 => C3_METRIC,
        }
    }

    /// The metric whose full name is `name`, if the catalog knows it (for stores that save
    /// entries by name, and for the demo server).
    pub fn from_name(name: &str) -> Option<QuotaMetric> {
        QuotaMetric::all().find(|m| m.name() == name)
    }

    /// The Service Usage service that owns the metric (the name's prefix):
    /// `aiplatform.googleapis.com` or `cloudbuild.googleapis.com`.
    pub fn service(self) -> &'static str {
        match self {
            QuotaMetric::Gpu { .. } => AIPLATFORM_SERVICE,
            QuotaMetric::C3 => CLOUDBUILD_SERVICE,
        }
    }

    /// The GPU type, for a GPU metric.
    pub fn gpu_type(self) -> Option<GpuType> {
        match self {
            QuotaMetric::Gpu { gpu, .. } => Some(gpu),
            QuotaMetric::C3 => None,
        }
    }

    /// The capacity, for a GPU metric.
    pub fn capacity(self) -> Option<Capacity> {
        match self {
            QuotaMetric::Gpu { capacity, .. } => Some(capacity),
            QuotaMetric::C3 => None,
        }
    }

    /// `T4`, `L4`, `A100`, `H100`, `H200` or `C3`, as in log lines (SPEC §8).
    pub fn label(self) -> &'static str {
        match self {
            QuotaMetric::Gpu { gpu, .. } => gpu.name(),
            QuotaMetric::C3 => "C3",
        }
    }
}

impl fmt::Display for QuotaMetric {
    /// The label (`T4`, `C3`), as in log lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One (quota metric, region) pair: one cell of the dashboard and one cache entry (SPEC §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Check {
    pub metric: QuotaMetric,
    pub region: String,
}

impl Check {
    /// The check of `gpu`'s training quota at `capacity` in `region`.
    pub fn gpu(gpu: GpuType, capacity: Capacity, region: impl Into<String>) -> Self {
        Check {
            metric: QuotaMetric::Gpu { gpu, capacity },
            region: region.into(),
        }
    }

    /// The C3 private-pool check of `region`.
    pub fn c3(region: impl Into<String>) -> Self {
        Check {
            metric: QuotaMetric::C3,
            region: region.into(),
        }
    }

    /// The Service Usage service that owns the metric.
    pub fn service(&self) -> &'static str {
        self.metric.service()
    }

    /// The GPU type, if this is a GPU check.
    pub fn gpu_type(&self) -> Option<GpuType> {
        self.metric.gpu_type()
    }

    /// `T4`, `L4`, ... or `C3`.
    pub fn label(&self) -> &'static str {
        self.metric.label()
    }
}

impl fmt::Display for Check {
    /// `T4 us-central1` or `C3 europe-west4`, as in the logs (SPEC §8).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.label(), self.region)
    }
}

/// One metric request: one `consumerQuotaMetrics.get` of `metric`, answering the checks of
/// `regions` (the catalog regions of that metric, in catalog order) from its one answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MetricRequest {
    pub metric: QuotaMetric,
    pub regions: Vec<String>,
}

impl MetricRequest {
    /// A request for `metric` in `regions`.
    pub fn new(metric: QuotaMetric, regions: impl IntoIterator<Item = impl Into<String>>) -> Self {
        MetricRequest {
            metric,
            regions: regions.into_iter().map(Into::into).collect(),
        }
    }

    /// The checks this request answers, in region order.
    pub fn checks(&self) -> Vec<Check> {
        self.regions
            .iter()
            .map(|r| Check {
                metric: self.metric,
                region: r.clone(),
            })
            .collect()
    }

    /// The check of region number `i`.
    pub fn check(&self, i: usize) -> Check {
        Check {
            metric: self.metric,
            region: self.regions[i].clone(),
        }
    }

    /// The number of checks (regions) it answers.
    pub fn len(&self) -> usize {
        self.regions.len()
    }

    /// True when it answers no check.
    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }
}
