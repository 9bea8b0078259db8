//! What Vertex AI custom training offers, from Google's pages: which GPU types train in
//! which region, and which machine shapes each capacity (spot, on-demand) may use.
//!
//! - Regions: "Vertex AI locations", section "Using accelerators"
//!   (<https://cloud.google.com/vertex-ai/docs/general/locations#accelerators>, last updated
//!   2026-04-10). Accelerators marked † there ("isn't available for training") are left out.
//!   The page says "A100 40GB" for `NVIDIA_TESLA_A100`.
//! - Shapes: Compute Engine's "Accelerator-optimized machine family"
//!   (<https://cloud.google.com/compute/docs/accelerator-optimized-machines>, last updated
//!   2026-04-13): A2 Standard `a2-highgpu-{1,2,4,8}g` carry 1, 2, 4, 8 A100 40GB; G2
//!   `g2-standard-{4,24,48,96}` carry 1, 2, 4, 8 L4 (the other G2 sizes carry 1 L4 too, with
//!   more vCPUs); A3 High `a3-highgpu-{1,2,4,8}g` carry 1, 2, 4, 8 H100, and "when
//!   provisioning a3-highgpu-1g, a3-highgpu-2g, or a3-highgpu-4g machine types, you must
//!   create instances by using Spot VMs or Flex-start VMs" (as Google's announcement of the
//!   smaller A3 High machine types said,
//!   <https://cloud.google.com/blog/products/compute/announcing-smaller-machine-types-for-a3-high-vms>);
//!   A3 Ultra `a3-ultragpu-8g` carries 8 H200. T4 runs on N1 general-purpose machines with 1,
//!   2 or 4 GPUs (`n1-standard-4/8/16` here); that page was not found in the stored material
//!   and the shapes are kept as SPEC §3 gives them.
//!
//! A flex-start (Dynamic Workload Scheduler) launch is not offered by quota-tui, so the
//! capacities here are spot and on-demand only.

use std::fmt;

use super::{Capacity, GpuType};

/// When the region table below was read from Google's locations page.
pub const TRAINING_OFFER_AS_OF: &str = "2026-04-10";

use GpuType::{A100, H100, H200, L4, T4};

/// Every region on Google's Vertex AI locations page that trains at least one catalog GPU
/// type, with the catalog types it trains (Using accelerators table, † entries removed).
/// A region that is not listed trains none of them.
const TRAINING_OFFER: &[(&str, &[GpuType])] = &[
    ("asia-east1", &[T4]),
    ("asia-east2", &[T4]),
    ("asia-northeast1", &[H100, T4]),
    ("asia-northeast3", &[A100, H100, L4, T4]),
    ("asia-south1", &[H100, L4, T4, H200]),
    ("asia-south2", &[H200]),
    ("asia-southeast1", &[A100, H100, L4, T4]),
    ("asia-southeast2", &[T4]),
    ("australia-southeast1", &[T4]),
    ("europe-central2", &[T4]),
    ("europe-west1", &[H100, H200, T4]),
    ("europe-west2", &[H100, L4, T4]),
    ("europe-west3", &[H100, T4]),
    ("europe-west4", &[A100, H100, H200, L4, T4]),
    ("me-central2", &[L4]),
    ("me-west1", &[A100]),
    ("northamerica-northeast1", &[T4]),
    ("northamerica-northeast2", &[H100, L4]),
    ("southamerica-east1", &[T4]),
    ("us-central1", &[A100, H100, H200, L4, T4]),
    ("us-east1", &[A100, L4, T4]),
    ("us-east4", &[H100, H200, L4, T4]),
    ("us-east5", &[H100, H200]),
    ("us-south1", &[H200]),
    ("us-west1", &[H200, L4, T4, H100]),
    ("us-west2", &[T4]),
    ("us-west3", &[A100]),
    ("us-west4", &[A100, H100, T4]),
];

/// The regions where Vertex AI custom training offers `gpu`, in the table's order.
pub fn training_regions(gpu: GpuType) -> Vec<&'static str> {
    TRAINING_OFFER
        .iter()
        .filter(|(_, types)| types.contains(&gpu))
        .map(|(region, _)| *region)
        .collect()
}

/// No machine type carries this many GPUs of this type for this capacity (all usage errors:
/// nothing is sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    pub gpu: GpuType,
    pub count: u32,
    pub capacity: Capacity,
    /// The counts that work for `capacity`, ascending.
    pub valid: &'static [u32],
    /// The machine type that carries `count` but is not offered for `capacity` (e.g.
    /// `a3-highgpu-2g` on demand); `None` when no machine carries `count` at all.
    pub not_for_capacity: Option<&'static str>,
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (gpu, count, cap) = (self.gpu, self.count, self.capacity.word());
        let counts = list(self.valid);
        match self.not_for_capacity {
            Some(machine) => write!(
                f,
                "{machine} ({count} × {gpu}) is offered for spot and flex-start only, not \
                 {cap} (Google's A3 High machine types): {cap} {gpu} works with {counts} GPUs \
                 ({}), or choose spot",
                self.gpu
                    .machine_type(self.valid[0], self.capacity)
                    .unwrap_or_default()
            ),
            None if self.gpu.valid_counts(Capacity::Spot)
                == self.gpu.valid_counts(Capacity::OnDemand) =>
            {
                write!(
                    f,
                    "no machine type carries {count} × {gpu}: valid counts for {gpu} are {:?}",
                    self.valid
                )
            }
            None => write!(
                f,
                "no machine type carries {count} × {gpu} {cap}: valid counts for {cap} {gpu} \
                 are {:?}",
                self.valid
            ),
        }
    }
}

impl std::error::Error for ShapeError {}

/// `8`, `1 or 2`, `1, 2 or 4`.
fn list(counts: &[u32]) -> String {
    match counts {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => {
            let rest: Vec<String> = rest.iter().map(u32::to_string).collect();
            format!("{} or {last}", rest.join(", "))
        }
    }
}

impl GpuType {
    /// The machine type carrying `count` GPUs of this type, whatever the capacity.
    fn shape(self, count: u32) -> Option<&'static str> {
        match (self, count) {
            (T4, 1) => Some("n1-standard-4"),
            (T4, 2) => Some("n1-standard-8"),
            (T4, 4) => Some("n1-standard-16"),
            (L4, 1) => Some("g2-standard-4"),
            (L4, 2) => Some("g2-standard-24"),
            (L4, 4) => Some("g2-standard-48"),
            (L4, 8) => Some("g2-standard-96"),
            (A100, 1) => Some("a2-highgpu-1g"),
            (A100, 2) => Some("a2-highgpu-2g"),
            (A100, 4) => Some("a2-highgpu-4g"),
            (A100, 8) => Some("a2-highgpu-8g"),
            (H100, 1) => Some("a3-highgpu-1g"),
            (H100, 2) => Some("a3-highgpu-2g"),
            (H100, 4) => Some("a3-highgpu-4g"),
            (H100, 8) => Some("a3-highgpu-8g"),
            (H200, 8) => Some("a3-ultragpu-8g"),
            _ => None,
        }
    }

    /// The machine type carrying `count` GPUs of this type for `capacity` (Google's shapes,
    /// SPEC §3; see the module docs for the sources).
    ///
    /// Errors with the counts that work: for a count no machine carries (H200 × 3), and for
    /// an A3 High shape smaller than `a3-highgpu-8g` on demand (spot and flex-start only).
    pub fn machine_type(self, count: u32, capacity: Capacity) -> Result<&'static str, ShapeError> {
        let valid = self.valid_counts(capacity);
        match self.shape(count) {
            Some(m) if valid.contains(&count) => Ok(m),
            other => Err(ShapeError {
                gpu: self,
                count,
                capacity,
                valid,
                not_for_capacity: other,
            }),
        }
    }

    /// GPU counts that have a machine type for `capacity`, ascending.
    pub fn valid_counts(self, capacity: Capacity) -> &'static [u32] {
        match (self, capacity) {
            (T4, _) => &[1, 2, 4],
            (H100, Capacity::OnDemand) => &[8],
            (L4 | A100 | H100, _) => &[1, 2, 4, 8],
            (H200, _) => &[8],
        }
    }

    /// Whether Vertex AI custom training offers this type in `region` (Google's locations
    /// page, as of [`TRAINING_OFFER_AS_OF`]).
    pub fn trains_in(self, region: &str) -> bool {
        TRAINING_OFFER
            .iter()
            .any(|(r, types)| *r == region && types.contains(&self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::DEFAULT_GPU_REGIONS;

    #[test]
    fn shapes_follow_googles_machine_types() {
        let spot = Capacity::Spot;
        assert_eq!(L4.machine_type(4, spot), Ok("g2-standard-48"));
        assert_eq!(L4.machine_type(2, spot), Ok("g2-standard-24"));
        assert_eq!(A100.machine_type(2, spot), Ok("a2-highgpu-2g"));
        assert_eq!(A100.machine_type(8, spot), Ok("a2-highgpu-8g"));
        assert_eq!(T4.machine_type(4, spot), Ok("n1-standard-16"));
        assert_eq!(H200.machine_type(8, spot), Ok("a3-ultragpu-8g"));
        assert_eq!(
            H200.machine_type(8, Capacity::OnDemand),
            Ok("a3-ultragpu-8g")
        );
        let err = H200.machine_type(3, spot).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no machine type carries 3 × H200: valid counts for H200 are [8]"
        );
        assert_eq!(err.not_for_capacity, None);
    }

    /// Google: a3-highgpu-1g, -2g and -4g are for Spot or Flex-start VMs only.
    #[test]
    fn small_a3_high_shapes_are_spot_only() {
        for (count, machine) in [
            (1, "a3-highgpu-1g"),
            (2, "a3-highgpu-2g"),
            (4, "a3-highgpu-4g"),
        ] {
            assert_eq!(H100.machine_type(count, Capacity::Spot), Ok(machine));
            let e = H100.machine_type(count, Capacity::OnDemand).unwrap_err();
            assert_eq!(e.not_for_capacity, Some(machine));
            assert_eq!(e.valid, &[8]);
            assert_eq!(
                e.to_string(),
                format!(
                    "{machine} ({count} × H100) is offered for spot and flex-start only, not \
                     on-demand (Google's A3 High machine types): on-demand H100 works with 8 \
                     GPUs (a3-highgpu-8g), or choose spot"
                )
            );
        }
        assert_eq!(
            H100.machine_type(8, Capacity::OnDemand),
            Ok("a3-highgpu-8g")
        );
        let e = H100.machine_type(3, Capacity::OnDemand).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no machine type carries 3 × H100 on-demand: valid counts for on-demand H100 are [8]"
        );
        // Other types' shapes do not depend on the capacity.
        for g in [T4, L4, A100, H200] {
            assert_eq!(
                g.valid_counts(Capacity::Spot),
                g.valid_counts(Capacity::OnDemand)
            );
        }
        assert_eq!(list(&[1, 2, 4]), "1, 2 or 4");
    }

    /// The default regions against Google's locations page: us-east1 trains no H100 or H200,
    /// us-west1 no A100 40GB; us-central1 and europe-west4 train all five.
    #[test]
    fn default_regions_offer_what_googles_locations_page_says() {
        let offered = |g: GpuType| -> Vec<&str> {
            DEFAULT_GPU_REGIONS
                .into_iter()
                .filter(|r| g.trains_in(r))
                .collect()
        };
        let all = ["us-central1", "us-east1", "us-west1", "europe-west4"];
        assert_eq!(offered(T4), all);
        assert_eq!(offered(L4), all);
        assert_eq!(offered(A100), ["us-central1", "us-east1", "europe-west4"]);
        assert_eq!(offered(H100), ["us-central1", "us-west1", "europe-west4"]);
        assert_eq!(offered(H200), ["us-central1", "us-west1", "europe-west4"]);
        // † on Google's page: L4 is not for training in europe-west6, T4 not in
        // southamerica-west1; an unknown region trains nothing.
        assert!(!L4.trains_in("europe-west6"));
        assert!(!T4.trains_in("southamerica-west1"));
        assert!(!T4.trains_in("mars-north1"));
        assert_eq!(training_regions(H200).len(), 9);
    }
}
