//! The Google APIs quota-tui talks to: credentials, the Service Usage quota client
//! (SPEC §4), the Vertex AI CustomJob client (SPEC §10), and their errors.

pub mod auth;
pub mod disabled;
pub mod error;
pub mod gcloud_config;
pub mod google_error;
pub mod http;
pub mod monitoring;
pub mod project;
pub mod quota_metric;
pub(crate) mod retry;
pub mod serviceusage;
pub mod vertex;

use async_trait::async_trait;

use crate::catalog::{Capacity, Check, Limit};
pub use error::{ApiError, ErrorKind};

/// Anything that can answer one check with its quota limit: the Service Usage client,
/// or a fake in tests.
///
/// Implementations bound each call by their own per-check deadline (SPEC §4) and return
/// `ErrorKind::Timeout` when it passes.
#[async_trait]
pub trait QuotaSource: Send + Sync + 'static {
    /// Fetch the current limit of `check` for `capacity` (GPUs or vCPUs).
    async fn fetch(&self, check: &Check, capacity: Capacity) -> Result<Limit, ApiError>;
}
