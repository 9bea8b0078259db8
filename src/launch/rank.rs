//! Ranking the regions of a fresh check for a launch (SPEC §10 Launch): regions whose
//! **free** GPUs (limit − in use, from a fresh limit and a fresh usage) cover the GPU count
//! first, in the configured preference order, then the rest in the same order, each with the
//! reason it cannot take the launch: `quota 0`, `2 free, need 4`, the error, or `not offered
//! in REGION` (a region where Vertex AI training does not offer the GPU type, Google's
//! locations page, `GpuType::trains_in`, never fits whatever its quota).
//!
//! Where the usage could not be read (e.g. no `monitoring.timeSeries.list`), the limit alone
//! decides, as before usage was read, and such regions come after the ones whose free GPUs
//! are known to fit; a create the limit allowed but the usage does not is refused by Vertex
//! AI with `quota_exceeded`, and the launch goes on to the next region
//! ([`super::submit`]).

use std::fmt;

use crate::catalog::{GpuType, Limit};
use crate::gcp::{ApiError, ErrorKind};

/// What a fresh check read for one region: its limit and, when asked, its usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub limit: Result<Limit, ApiError>,
    /// In use (GPUs): `None` when not asked, `Some(Err)` when it could not be read.
    pub usage: Option<Result<i64, ApiError>>,
}

impl Reading {
    /// A limit and its usage.
    pub fn new(limit: Result<Limit, ApiError>, usage: Option<Result<i64, ApiError>>) -> Self {
        Reading { limit, usage }
    }

    /// What is free, when both were read.
    pub fn free(&self) -> Option<Limit> {
        let limit = self.limit.as_ref().ok()?;
        let in_use = self.usage.as_ref()?.as_ref().ok()?;
        Some(limit.free(*in_use))
    }
}

impl From<Result<Limit, ApiError>> for Reading {
    /// A limit whose usage was not asked.
    fn from(limit: Result<Limit, ApiError>) -> Self {
        Reading { limit, usage: None }
    }
}

/// Why a region cannot take the launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shortfall {
    /// The limit is zero: `quota 0`.
    Zero,
    /// The free GPUs (limit − in use) are fewer than the count: `2 free, need 4`.
    Short { free: i64, count: u32 },
    /// The usage is unknown and the limit is above zero but below the GPU count: `quota 2 <
    /// 4`.
    Below { limit: i64, count: u32 },
    /// The fresh check failed: `permission denied (403 PERMISSION_DENIED): <Google's message>`,
    /// `rate limited after 3 tries (429 ...)`, ...
    Failed(ApiError),
    /// The region was asked for but no result came back for it: `not checked`.
    NotChecked,
    /// Vertex AI training does not offer the GPU type in the region (Google's locations
    /// page): `H100 not offered in us-east1`. Its quota is still checked and shown.
    NotOffered { gpu: GpuType, region: String },
}

impl Shortfall {
    /// True when more quota would let the region take the launch (a zero or too-small limit,
    /// or too few free GPUs): the ranking then shows where to ask for an increase
    /// (`gcp::console::quota_increase_url`).
    pub fn wants_more_quota(&self) -> bool {
        matches!(
            self,
            Shortfall::Zero | Shortfall::Short { .. } | Shortfall::Below { .. }
        )
    }
}

impl fmt::Display for Shortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shortfall::Zero => f.write_str("quota 0"),
            Shortfall::Short { free, count } => write!(f, "{free} free, need {count}"),
            Shortfall::Below { limit, count } => write!(f, "quota {limit} < {count}"),
            Shortfall::Failed(e) => write!(f, "{e}"),
            Shortfall::NotChecked => f.write_str("not checked"),
            Shortfall::NotOffered { gpu, region } => {
                write!(f, "{gpu} not offered in {region} (Vertex AI training)")
            }
        }
    }
}

/// One region of a ranking: its fresh limit and usage when read, whether it fits the
/// launch, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankedRegion {
    pub region: String,
    /// The limit in GPUs; `None` when the check failed.
    pub limit: Option<Limit>,
    /// GPUs in use; `None` when the usage is unknown (see `usage_error`).
    pub in_use: Option<i64>,
    /// Free GPUs (limit − in use, never below 0); `None` when the limit or the usage is
    /// unknown.
    pub free: Option<Limit>,
    /// True when the free GPUs cover the count (unlimited always does); with the usage
    /// unknown, when the limit does.
    pub fits: bool,
    /// Why it does not fit; `None` exactly when `fits`.
    pub reason: Option<Shortfall>,
    /// Why the usage is unknown, when it was asked and could not be read.
    pub usage_error: Option<ApiError>,
}

impl RankedRegion {
    /// A region that fits with `limit` and nothing known of its usage (for tests and callers
    /// that rank by limit only).
    pub fn fitting(region: &str, limit: Limit) -> Self {
        RankedRegion {
            region: region.to_string(),
            limit: Some(limit),
            in_use: None,
            free: None,
            fits: true,
            reason: None,
            usage_error: None,
        }
    }

    /// What the ranking says of the region: `12 free of 16`, `unlimited`, `quota 16, usage
    /// unknown` for one that fits; its [`Shortfall`] (`quota 0`, `2 free, need 4`, ...)
    /// otherwise.
    pub fn verdict(&self) -> String {
        if let Some(why) = &self.reason {
            return why.to_string();
        }
        match (self.limit, self.free) {
            (Some(Limit::Unlimited), _) => "unlimited".to_string(),
            (Some(limit), Some(free)) => format!("{free} free of {limit}"),
            (Some(limit), None) => format!("quota {limit}, usage unknown"),
            (None, _) => "fits".to_string(),
        }
    }
}

/// Rank `results` (region, fresh reading) for a launch of `count` GPUs of `gpu`.
///
/// Order: regions that fit, in `preference` order (those whose free GPUs are known first,
/// then those judged by their limit alone, their usage unknown); then regions that do not, in
/// `preference` order; then regions that do not offer `gpu` ([`Shortfall::NotOffered`], with
/// their limit); regions in `preference` without a result are listed last of all as
/// [`Shortfall::NotChecked`]. Regions in `results` but not in `preference` follow their peers
/// in the order given. A region listed twice counts once (its first result).
pub fn rank_regions(
    gpu: GpuType,
    preference: &[String],
    results: &[(String, Reading)],
    count: u32,
) -> Vec<RankedRegion> {
    let mut order: Vec<&str> = Vec::new();
    for r in preference
        .iter()
        .map(String::as_str)
        .chain(results.iter().map(|(r, _)| r.as_str()))
    {
        if !order.contains(&r) {
            order.push(r);
        }
    }
    let ranked: Vec<RankedRegion> = order
        .into_iter()
        .map(|region| {
            let result = results.iter().find(|(r, _)| r == region).map(|(_, x)| x);
            rank_one(gpu, region, result, count)
        })
        .collect();
    let (fits, rest): (Vec<_>, Vec<_>) = ranked.into_iter().partition(|r| r.fits);
    let (known, by_limit): (Vec<_>, Vec<_>) = fits
        .into_iter()
        .partition(|r| r.free.is_some() || r.limit == Some(Limit::Unlimited));
    let (unchecked, rest): (Vec<_>, Vec<_>) = rest
        .into_iter()
        .partition(|r| r.reason == Some(Shortfall::NotChecked));
    let (not_offered, checked): (Vec<_>, Vec<_>) = rest
        .into_iter()
        .partition(|r| matches!(r.reason, Some(Shortfall::NotOffered { .. })));
    known
        .into_iter()
        .chain(by_limit)
        .chain(checked)
        .chain(not_offered)
        .chain(unchecked)
        .collect()
}

fn rank_one(gpu: GpuType, region: &str, reading: Option<&Reading>, count: u32) -> RankedRegion {
    let need = i64::from(count);
    let mut ranked = RankedRegion {
        region: region.to_string(),
        limit: None,
        in_use: None,
        free: None,
        fits: false,
        reason: None,
        usage_error: None,
    };
    let Some(reading) = reading else {
        ranked.reason = Some(Shortfall::NotChecked);
        return ranked;
    };
    ranked.limit = reading.limit.as_ref().ok().copied();
    ranked.free = reading.free();
    match &reading.usage {
        Some(Ok(u)) => ranked.in_use = Some(*u),
        Some(Err(e)) => ranked.usage_error = Some(e.clone()),
        None => {}
    }
    ranked.reason = match (&reading.limit, ranked.free) {
        _ if !gpu.trains_in(region) => Some(Shortfall::NotOffered {
            gpu,
            region: region.to_string(),
        }),
        (Err(e), _) => Some(Shortfall::Failed(e.clone())),
        (Ok(limit), _) if limit.finite().is_some_and(|v| v <= 0) => Some(Shortfall::Zero),
        (Ok(_), Some(free)) if free.at_least(need) => None,
        (Ok(_), Some(free)) => Some(Shortfall::Short {
            free: free.finite().unwrap_or_default(),
            count,
        }),
        (Ok(limit), None) if limit.at_least(need) => None,
        (Ok(limit), None) => Some(Shortfall::Below {
            limit: limit.finite().unwrap_or_default(),
            count,
        }),
    };
    if let Some(Shortfall::Failed(_)) = ranked.reason {
        ranked.limit = None;
    }
    ranked.fits = ranked.reason.is_none();
    ranked
}

/// The region a launch goes to: the first that fits, or `wanted` (`--region`) when given
/// and it fits. `None` when no region (or not `wanted`) can take it.
pub fn choose_region<'a>(
    ranking: &'a [RankedRegion],
    wanted: Option<&str>,
) -> Option<&'a RankedRegion> {
    ranking
        .iter()
        .filter(|r| r.fits)
        .find(|r| wanted.is_none_or(|w| r.region == w))
}

/// One sentence on why no region can take the launch, when every region that offers the
/// GPU type failed the same way (e.g. `permission denied in every region`), else `None`.
pub fn common_failure(ranking: &[RankedRegion]) -> Option<String> {
    let kinds: Vec<ErrorKind> = offering(ranking)
        .map(|r| match &r.reason {
            Some(Shortfall::Failed(e)) => Some(e.kind),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    let first = *kinds.first()?;
    kinds
        .iter()
        .all(|k| *k == first)
        .then(|| format!("{} in every region", first.describe()))
}

/// The ranked regions that offer the GPU type (not [`Shortfall::NotOffered`]).
fn offering(ranking: &[RankedRegion]) -> impl Iterator<Item = &RankedRegion> {
    ranking
        .iter()
        .filter(|r| !matches!(r.reason, Some(Shortfall::NotOffered { .. })))
}

/// Whether no region could be asked: every region that offers the GPU type and was checked
/// failed. `Some(Auth)` when every one of them failed authentication (exit 3, SPEC §9),
/// `Some(kind)` of the first other failure otherwise (exit 4); `None` when any region
/// answered with a quota (then "no region fits" is exit 5) or none was checked.
pub fn nobody_answered(ranking: &[RankedRegion]) -> Option<ErrorKind> {
    let mut kinds = offering(ranking)
        .filter(|r| r.reason != Some(Shortfall::NotChecked))
        .map(|r| match &r.reason {
            Some(Shortfall::Failed(e)) => Some(e.kind),
            _ => None,
        })
        .collect::<Option<Vec<ErrorKind>>>()?;
    if kinds.is_empty() {
        return None;
    }
    if kinds.iter().all(|k| *k == ErrorKind::Auth) {
        return Some(ErrorKind::Auth);
    }
    kinds.retain(|k| *k != ErrorKind::Auth);
    kinds.first().copied()
}

#[cfg(test)]
#[path = "rank_tests.rs"]
mod tests;
