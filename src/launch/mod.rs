//! Launches (SPEC §1, §10 Launch): a fresh check of one GPU type in every region (never the
//! cache), the regions ranked for the GPU count, the machine type for the shape, and the
//! Vertex AI CustomJob request that is submitted to the chosen region.
//!
//! The pieces are pure where they can be ([`rank`], [`plan`]), so the command line
//! (`commands::launch`) and the Launch screen share them.

pub mod fresh;
pub mod plan;
pub mod rank;

pub use fresh::{FreshCheck, RegionResult, WarmCache, fresh_check};
pub use plan::{LaunchPlan, PlanError, default_job_name, validate_display_name};
pub use rank::{RankedRegion, Shortfall, choose_region, common_failure, rank_regions};
