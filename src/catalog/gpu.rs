//! The GPU types of the catalog and the capacity (spot or on-demand) of their quota metrics
//! (SPEC §3 table).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::QuotaMetric;

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
    /// `aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus`
    /// ([`QuotaMetric::name`]).
    ///
    /// Spot (and Dynamic Workload Scheduler) jobs consume the `preemptible` metric, on-demand
    /// jobs the plain one (the Dynamic Workload Scheduler page, section Quota, cited at
    /// [`GpuType::metric_suffix`]).
    pub fn metric(self, capacity: Capacity) -> &'static str {
        QuotaMetric::Gpu {
            gpu: self,
            capacity,
        }
        .name()
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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
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
