//! What a launch submits: the [`LaunchPlan`] (GPU type and count, machine type, region,
//! image, job name) and the Vertex AI CustomJob request body built from it.
//!
//! A launch as asked for — `quota-tui launch`'s flags or the Launch screen's form — is a
//! [`LaunchRequest`]; [`LaunchPlan::from_request`] is the one place it is checked (shape for
//! the capacity, image, job name, region) before anything is sent.
//!
//! Body shape: Vertex AI REST v1 `projects.locations.customJobs.create`
//! (<https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.customJobs>):
//! `CustomJob{displayName, jobSpec: CustomJobSpec{workerPoolSpecs: [WorkerPoolSpec{machineSpec,
//! replicaCount, containerSpec}], scheduling: Scheduling{strategy}}}`.

use chrono::{DateTime, TimeZone};
use serde_json::{Value, json};

use crate::catalog::{Capacity, GpuType, ShapeError};
use crate::gcp::vertex::validate_region;

use super::region::check_region;

/// Longest Vertex AI `displayName`, in characters (UTF-8 allowed).
pub const MAX_DISPLAY_NAME_CHARS: usize = 128;

/// A launch that is ready to submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchPlan {
    pub gpu: GpuType,
    /// GPUs on the one replica.
    pub count: u32,
    pub capacity: Capacity,
    /// Google's machine type for `count` × `gpu` (SPEC §3), e.g. `g2-standard-48`.
    pub machine_type: &'static str,
    pub region: String,
    /// Container image URI (`containerSpec.imageUri`).
    pub image: String,
    /// The job's `displayName`.
    pub display_name: String,
}

/// Why a plan cannot be made (all usage errors: exit 2, nothing sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// No machine type carries this shape for this capacity (e.g. H200 × 3, or H100 × 2 on
    /// demand); the message lists the counts that work.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    #[error(
        "the container image URI is empty: give --image, e.g. us-docker.pkg.dev/P/repo/trainer:latest"
    )]
    EmptyImage,
    #[error("the job name is empty: give --name a non-empty name or leave it out")]
    EmptyName,
    #[error(
        "the job name has {chars} characters; Vertex AI allows at most {MAX_DISPLAY_NAME_CHARS}"
    )]
    NameTooLong { chars: usize },
    /// A named region that is malformed, or neither one of the GPU regions nor a region where
    /// Vertex AI trains the GPU type (the message names the regions that would work).
    #[error("{0}")]
    Region(String),
}

/// A launch as asked for, before it is checked: `quota-tui launch`'s flags or the Launch
/// screen's form (SPEC §10 Launch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchRequest {
    pub gpu: GpuType,
    /// GPUs on the one replica.
    pub count: u32,
    pub capacity: Capacity,
    /// Container image URI (`containerSpec.imageUri`); surrounding blanks are dropped.
    pub image: String,
    /// The job's `displayName`; `None` → `quota-tui-<gpu>-<YYYYmmdd-HHMMSS>` (local time, when
    /// the plan is made).
    pub name: Option<String>,
    /// The region asked for (`launch --region`, the screen's chosen region); `None` until a
    /// fresh check's ranking chooses one.
    pub region: Option<String>,
}

impl LaunchPlan {
    /// A plan for `count` × `gpu` in `region`, with the machine type the catalog gives for
    /// `capacity`.
    ///
    /// Errors: [`PlanError::Shape`] for an impossible shape, [`PlanError::EmptyImage`] for a
    /// blank image, and the [`validate_display_name`] errors.
    pub fn new(
        gpu: GpuType,
        count: u32,
        capacity: Capacity,
        region: &str,
        image: &str,
        display_name: &str,
    ) -> Result<LaunchPlan, PlanError> {
        let machine_type = gpu.machine_type(count, capacity)?;
        let image = image.trim();
        if image.is_empty() {
            return Err(PlanError::EmptyImage);
        }
        validate_display_name(display_name)?;
        Ok(LaunchPlan {
            gpu,
            count,
            capacity,
            machine_type,
            region: region.to_string(),
            image: image.to_string(),
            display_name: display_name.to_string(),
        })
    }

    /// Check `request` and make its plan: the machine type for the shape and capacity, the
    /// image, the job name (the default one when none was given), and the region — the one
    /// asked for, which must be well formed and one of `gpu_regions` (the config's, in
    /// preference order) or a region where Vertex AI trains the type; with none asked for,
    /// the first of `gpu_regions` until the ranking chooses ([`LaunchPlan::in_region`]).
    ///
    /// Errors (usage errors: exit 2, nothing sent): [`PlanError::Shape`],
    /// [`PlanError::EmptyImage`], [`PlanError::EmptyName`], [`PlanError::NameTooLong`],
    /// [`PlanError::Region`].
    pub fn from_request(
        request: &LaunchRequest,
        gpu_regions: &[String],
    ) -> Result<LaunchPlan, PlanError> {
        let name = match &request.name {
            Some(n) => n.clone(),
            None => default_job_name(request.gpu, &chrono::Local::now()),
        };
        let plan = LaunchPlan::new(
            request.gpu,
            request.count,
            request.capacity,
            gpu_regions.first().map_or("us-central1", |r| r),
            &request.image,
            &name,
        )?;
        match &request.region {
            Some(r) => {
                validate_region(r).map_err(PlanError::Region)?;
                check_region(request.gpu, r, gpu_regions).map_err(PlanError::Region)?;
                Ok(plan.in_region(r))
            }
            None => Ok(plan),
        }
    }

    /// The same plan in `region`.
    pub fn in_region(&self, region: &str) -> LaunchPlan {
        LaunchPlan {
            region: region.to_string(),
            ..self.clone()
        }
    }

    /// The CustomJob request body: one worker pool of one replica with `machineType`,
    /// `acceleratorType` and `acceleratorCount`, the image, and `scheduling.strategy`
    /// `SPOT` or `STANDARD`.
    pub fn custom_job_body(&self) -> Value {
        json!({
            "displayName": self.display_name,
            "jobSpec": {
                "workerPoolSpecs": [{
                    "machineSpec": {
                        "machineType": self.machine_type,
                        "acceleratorType": self.gpu.accelerator_type(),
                        "acceleratorCount": self.count,
                    },
                    "replicaCount": 1,
                    "containerSpec": {"imageUri": self.image},
                }],
                "scheduling": {"strategy": self.capacity.scheduling_strategy()},
            }
        })
    }
}

/// The default job name: `quota-tui-<gpu lowercase>-<YYYYmmdd-HHMMSS>` at `now`.
pub fn default_job_name<Tz: TimeZone>(gpu: GpuType, now: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    format!(
        "quota-tui-{}-{}",
        gpu.name().to_ascii_lowercase(),
        now.format("%Y%m%d-%H%M%S")
    )
}

/// Check a Vertex AI `displayName`: not blank and at most 128 characters.
pub fn validate_display_name(name: &str) -> Result<(), PlanError> {
    if name.trim().is_empty() {
        return Err(PlanError::EmptyName);
    }
    let chars = name.chars().count();
    if chars > MAX_DISPLAY_NAME_CHARS {
        return Err(PlanError::NameTooLong { chars });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn machine_choice_follows_googles_shapes() {
        let table: &[(GpuType, u32, Result<&str, &str>)] = &[
            (GpuType::T4, 1, Ok("n1-standard-4")),
            (GpuType::T4, 4, Ok("n1-standard-16")),
            (GpuType::T4, 8, Err("valid counts for T4 are [1, 2, 4]")),
            (GpuType::L4, 1, Ok("g2-standard-4")),
            (GpuType::L4, 4, Ok("g2-standard-48")),
            (GpuType::L4, 8, Ok("g2-standard-96")),
            (GpuType::A100, 2, Ok("a2-highgpu-2g")),
            (GpuType::H100, 8, Ok("a3-highgpu-8g")),
            (GpuType::H200, 8, Ok("a3-ultragpu-8g")),
            (GpuType::H200, 3, Err("no machine type carries 3 × H200")),
            (GpuType::L4, 0, Err("valid counts for L4 are [1, 2, 4, 8]")),
            (GpuType::H100, 1, Ok("a3-highgpu-1g")),
        ];
        for (gpu, count, want) in table {
            let got = LaunchPlan::new(*gpu, *count, Capacity::Spot, "us-west1", "img", "n");
            match (got, want) {
                (Ok(p), Ok(m)) => assert_eq!(p.machine_type, *m, "{gpu} × {count}"),
                (Err(e), Err(part)) => {
                    assert!(e.to_string().contains(part), "{gpu} × {count}: {e}")
                }
                (got, want) => panic!("{gpu} × {count}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn on_demand_h100_needs_eight() {
        for count in [1, 2, 4] {
            let e = LaunchPlan::new(
                GpuType::H100,
                count,
                Capacity::OnDemand,
                "us-west1",
                "i",
                "n",
            )
            .unwrap_err();
            assert!(
                e.to_string()
                    .contains("on-demand H100 works with 8 GPUs (a3-highgpu-8g)"),
                "{e}"
            );
        }
        let p = LaunchPlan::new(GpuType::H100, 8, Capacity::OnDemand, "us-west1", "i", "n");
        assert_eq!(p.unwrap().machine_type, "a3-highgpu-8g");
    }

    #[test]
    fn body_is_exactly_the_customjob_shape() {
        let p = LaunchPlan::new(
            GpuType::L4,
            4,
            Capacity::Spot,
            "us-west1",
            " us-docker.pkg.dev/p/r/t:1 ",
            "train-1",
        )
        .unwrap();
        assert_eq!(
            p.custom_job_body(),
            json!({"displayName": "train-1", "jobSpec": {"workerPoolSpecs": [{"machineSpec":
                {"machineType": "g2-standard-48", "acceleratorType": "NVIDIA_L4", "acceleratorCount": 4},
                "replicaCount": 1, "containerSpec": {"imageUri": "us-docker.pkg.dev/p/r/t:1"}}],
                "scheduling": {"strategy": "SPOT"}}})
        );
        let on_demand = LaunchPlan {
            capacity: Capacity::OnDemand,
            ..p
        };
        assert_eq!(
            on_demand.custom_job_body()["jobSpec"]["scheduling"]["strategy"],
            "STANDARD"
        );
    }

    #[test]
    fn default_names_and_their_rule() {
        let t = Utc.with_ymd_and_hms(2026, 11, 21, 2, 45, 22).unwrap();
        assert_eq!(
            default_job_name(GpuType::H100, &t),
            "quota-tui-h100-20261121-024522"
        );
        assert_eq!(validate_display_name("ok"), Ok(()));
        assert_eq!(validate_display_name(&"é".repeat(128)), Ok(()));
        assert_eq!(validate_display_name("  "), Err(PlanError::EmptyName));
        let e = validate_display_name(&"x".repeat(129)).unwrap_err();
        assert_eq!(e, PlanError::NameTooLong { chars: 129 });
        assert!(e.to_string().contains("at most 128"), "{e}");
        assert_eq!(
            LaunchPlan::new(GpuType::T4, 1, Capacity::Spot, "r", " ", "n"),
            Err(PlanError::EmptyImage)
        );
    }

    fn request(region: Option<&str>) -> LaunchRequest {
        LaunchRequest {
            gpu: GpuType::L4,
            count: 4,
            capacity: Capacity::Spot,
            image: " img ".into(),
            name: Some("job".into()),
            region: region.map(str::to_string),
        }
    }

    #[test]
    fn a_request_is_checked_once_for_both_front_ends() {
        let mine: Vec<String> = ["us-central1", "us-east1"].map(String::from).to_vec();
        let p = LaunchPlan::from_request(&request(None), &mine).unwrap();
        assert_eq!(
            (p.region.as_str(), p.machine_type, p.image.as_str()),
            ("us-central1", "g2-standard-48", "img"),
            "no region asked: the first of the preference order until the ranking chooses"
        );
        assert_eq!(p.in_region("us-east1").region, "us-east1");
        let p = LaunchPlan::from_request(&request(Some("us-east1")), &mine).unwrap();
        assert_eq!(p.region, "us-east1");
        // Not one of mine, but Vertex AI trains L4 there.
        assert!(LaunchPlan::from_request(&request(Some("asia-northeast3")), &mine).is_ok());
        let e = LaunchPlan::from_request(&request(Some("mars-west1")), &mine).unwrap_err();
        assert!(
            matches!(&e, PlanError::Region(m) if m.starts_with("--region mars-west1: ")),
            "{e}"
        );
        let e = LaunchPlan::from_request(&request(Some("US_EAST1")), &mine).unwrap_err();
        assert!(e.to_string().contains("is not valid"), "{e}");
        let e = LaunchPlan::from_request(
            &LaunchRequest {
                count: 3,
                ..request(None)
            },
            &mine,
        );
        assert!(matches!(e, Err(PlanError::Shape(_))), "{e:?}");
        let unnamed = LaunchRequest {
            name: None,
            ..request(None)
        };
        let p = LaunchPlan::from_request(&unnamed, &mine).unwrap();
        assert!(p.display_name.starts_with("quota-tui-l4-"), "{p:?}");
    }
}
