//! Launches (SPEC §1, §10 Launch): a fresh check of one GPU type in every region (never the
//! cache), the regions ranked for the GPU count, the machine type for the shape, and the
//! Vertex AI CustomJob request that is submitted to the chosen region.
//!
//! The pieces are pure where they can be ([`rank`], [`plan`], [`region`],
//! [`wait::JobTracker`]), so the command line (`commands::launch`) and the Launch screen share
//! one flow: both check what was asked with [`LaunchPlan::from_request`], submit through the
//! one [`submit::submit`] (create in ranked order, going on past `quota_exceeded`, then read
//! the job back) and follow the job with the one [`wait::follow`].

pub mod fresh;
pub mod plan;
pub mod rank;
pub mod region;
pub mod submit;
pub mod wait;

pub use fresh::{FreshCheck, RegionResult, fresh_check};
pub use plan::{LaunchPlan, LaunchRequest, PlanError, default_job_name, validate_display_name};
pub use rank::{
    RankedRegion, Reading, Shortfall, choose_region, common_failure, nobody_answered, rank_regions,
};
pub use submit::{
    Created, MAX_CREATE_REGIONS, Refusal, Submission, SubmitFailure, create_order, submit,
};
pub use wait::{JobSource, JobTracker, Phase, StateChange, WaitEnd, WaitEvent, WaitPolicy, follow};
