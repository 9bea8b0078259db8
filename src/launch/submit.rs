//! Submitting a launch (SPEC §10 Launch): create the CustomJob in the chosen region and, when
//! Vertex AI refuses it because the region's GPU quota is in use (`quota_exceeded`), in the
//! next ranked region, up to [`MAX_CREATE_REGIONS`] regions in all; then read the job back.
//!
//! The one place this is done: `quota-tui launch` and the Launch screen both call
//! [`submit`]. Exactly one job is created at most: a region is left only after Vertex AI's
//! answer proved nothing was made there (a `quota_exceeded` 429), and every other failure
//! ends the submission (it may say the job may exist; see `gcp::vertex`).

use std::fmt;

use crate::gcp::vertex::{CustomJob, VertexClient, console_url};
use crate::gcp::{ApiError, ErrorKind};

use super::plan::LaunchPlan;
use super::rank::RankedRegion;

/// At most this many regions are asked to create the job (SPEC §10: "up to 3").
pub const MAX_CREATE_REGIONS: usize = 3;

/// A region that refused the create because its quota is in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub region: String,
    /// Vertex AI's `quota_exceeded` answer, Google's message kept.
    pub error: ApiError,
}

impl fmt::Display for Refusal {
    /// `quota in use in us-west1 (429 RESOURCE_EXHAUSTED): The following quota metrics ...`,
    /// Google's status and message sanitised as in `ApiError`'s `Display` (SPEC §4).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::sanitize::Sanitized;
        write!(f, "quota in use in {}", self.region)?;
        let status = self.error.google_status.as_deref();
        match (
            self.error.http_status,
            status.map(|s| Sanitized::new(s).max_chars(64)),
        ) {
            (Some(code), Some(status)) => write!(f, " ({code} {status})")?,
            (Some(code), None) => write!(f, " ({code})")?,
            _ => {}
        }
        if !self.error.message.is_empty() {
            write!(f, ": {}", Sanitized::new(&self.error.message))?;
        }
        Ok(())
    }
}

/// A job that was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The plan as submitted: `region` is where the job was made.
    pub plan: LaunchPlan,
    /// The job as `customJobs.get` read it back, or as `customJobs.create` returned it when
    /// the read-back failed.
    pub job: CustomJob,
    /// Its Cloud Console page.
    pub console_url: String,
    /// Why reading the job back failed (the job exists all the same).
    pub read_back_error: Option<ApiError>,
    /// The job's state as `customJobs.create` answered it, before the read-back (a follow
    /// starts from it: `JOB_STATE_QUEUED`, then the read-back's).
    pub created_state: String,
}

/// Why no job was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitFailure {
    /// Every region asked refused with `quota_exceeded` (see [`Submission::refusals`]):
    /// regions answered and none could take the job (exit 5, SPEC §9).
    QuotaInUseEverywhere,
    /// The create in `region` failed otherwise: the classified error, which says when the job
    /// may have been created (exit 3 for `auth`, else 4).
    Failed { region: String, error: ApiError },
}

/// What a submission did: the regions that refused for quota, in the order asked, and the
/// job or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub refusals: Vec<Refusal>,
    pub outcome: Result<Created, SubmitFailure>,
}

impl Submission {
    /// The one-line summary for logs and toasts.
    pub fn summary(&self) -> String {
        let tried = if self.refusals.is_empty() {
            String::new()
        } else {
            let regions: Vec<&str> = self.refusals.iter().map(|r| r.region.as_str()).collect();
            format!(" (quota in use in {})", regions.join(", "))
        };
        match &self.outcome {
            Ok(c) => format!("job created in {}{tried}", c.plan.region),
            Err(SubmitFailure::QuotaInUseEverywhere) => {
                format!("no job created: quota in use in every region asked{tried}")
            }
            Err(SubmitFailure::Failed { region, error }) => {
                format!(
                    "submission to {region} failed: {}{tried}",
                    error.kind.describe()
                )
            }
        }
    }
}

/// The regions a submission asks, in order: `chosen` first, then the other regions of
/// `ranking` that fit (ranked order), [`MAX_CREATE_REGIONS`] at most. With `only_chosen`
/// (the user named the region) just `chosen`.
pub fn create_order(ranking: &[RankedRegion], chosen: &str, only_chosen: bool) -> Vec<String> {
    let mut regions = vec![chosen.to_string()];
    if !only_chosen {
        regions.extend(
            ranking
                .iter()
                .filter(|r| r.fits && r.region != chosen)
                .map(|r| r.region.clone()),
        );
    }
    regions.truncate(MAX_CREATE_REGIONS);
    regions
}

/// Create `plan`'s CustomJob in `project`, trying `regions` in order ([`create_order`]; at
/// most [`MAX_CREATE_REGIONS`] are used): a region whose create is refused with
/// `quota_exceeded` is reported and the next one is asked; the first job created ends it and
/// is read back once. Any other failure ends it at once, without asking another region.
/// `plan.region` is ignored; each attempt uses the region it is sent to.
pub async fn submit(
    vertex: &VertexClient,
    project: &str,
    plan: &LaunchPlan,
    regions: &[String],
) -> Submission {
    let mut refusals = Vec::new();
    for region in regions.iter().take(MAX_CREATE_REGIONS) {
        let plan = LaunchPlan {
            region: region.clone(),
            ..plan.clone()
        };
        match vertex
            .create_custom_job(project, region, &plan.custom_job_body())
            .await
        {
            Ok(created) => {
                tracing::info!(job = %created.name, %region, "launch: CustomJob created");
                let outcome = Ok(read_back(vertex, project, plan, created).await);
                return Submission { refusals, outcome };
            }
            Err(error) if error.kind == ErrorKind::QuotaExceeded => {
                let refusal = Refusal {
                    region: region.clone(),
                    error,
                };
                tracing::warn!(%region, "launch: {refusal}; trying the next ranked region");
                refusals.push(refusal);
            }
            Err(error) => {
                tracing::warn!(%region, "launch: submission failed: {error}");
                let outcome = Err(SubmitFailure::Failed {
                    region: region.clone(),
                    error,
                });
                return Submission { refusals, outcome };
            }
        }
    }
    Submission {
        refusals,
        outcome: Err(SubmitFailure::QuotaInUseEverywhere),
    }
}

/// Read a created job back with `customJobs.get`; a failure is kept, never fatal.
async fn read_back(
    vertex: &VertexClient,
    project: &str,
    plan: LaunchPlan,
    created: CustomJob,
) -> Created {
    let created_state = created.state.clone();
    let (job, read_back_error) = match vertex.get_custom_job(&created.name).await {
        Ok(job) => (job, None),
        Err(e) => {
            tracing::warn!(job = %created.name, "launch: reading the job back failed: {e}");
            (created, Some(e))
        }
    };
    let console_url = console_url(project, &plan.region, job.id());
    Created {
        plan,
        job,
        console_url,
        read_back_error,
        created_state,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Limit;

    fn ranked(region: &str, fits: bool) -> RankedRegion {
        RankedRegion {
            fits,
            ..RankedRegion::fitting(region, Limit::Finite(if fits { 8 } else { 0 }))
        }
    }

    #[test]
    fn the_chosen_region_first_then_the_fitting_ones_three_at_most() {
        let ranking = [
            ranked("a", true),
            ranked("b", true),
            ranked("x", false),
            ranked("c", true),
            ranked("d", true),
        ];
        assert_eq!(create_order(&ranking, "b", false), ["b", "a", "c"]);
        assert_eq!(create_order(&ranking, "a", false), ["a", "b", "c"]);
        assert_eq!(create_order(&ranking, "b", true), ["b"]);
        assert_eq!(create_order(&ranking[2..3], "x", false), ["x"]);
    }

    #[test]
    fn refusals_and_summaries_read_as_sentences() {
        let refusal = Refusal {
            region: "us-west1".into(),
            error: ApiError {
                http_status: Some(429),
                google_status: Some("RESOURCE_EXHAUSTED".into()),
                ..ApiError::new(
                    ErrorKind::QuotaExceeded,
                    "The following quota metrics exceed",
                )
            },
        };
        assert_eq!(
            refusal.to_string(),
            "quota in use in us-west1 (429 RESOURCE_EXHAUSTED): The following quota metrics exceed"
        );
        let s = Submission {
            refusals: vec![refusal],
            outcome: Err(SubmitFailure::QuotaInUseEverywhere),
        };
        assert_eq!(
            s.summary(),
            "no job created: quota in use in every region asked (quota in use in us-west1)"
        );
    }
}
