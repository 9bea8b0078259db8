//! Ranking the regions of a fresh check for a launch (SPEC §10 Launch): regions whose quota
//! is at least the GPU count first, in the configured preference order, then the rest in
//! the same order, each with the reason it cannot take the launch. A region where Vertex AI
//! training does not offer the GPU type (Google's locations page, `GpuType::trains_in`) never
//! fits, whatever its quota: it is listed as "not offered in REGION".

use std::fmt;

use crate::catalog::{GpuType, Limit};
use crate::gcp::{ApiError, ErrorKind};

/// Why a region cannot take the launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shortfall {
    /// The limit is zero: `quota 0`.
    Zero,
    /// The limit is above zero but below the GPU count: `quota 2 < 4`.
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

impl fmt::Display for Shortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shortfall::Zero => f.write_str("quota 0"),
            Shortfall::Below { limit, count } => write!(f, "quota {limit} < {count}"),
            Shortfall::Failed(e) => write!(f, "{e}"),
            Shortfall::NotChecked => f.write_str("not checked"),
            Shortfall::NotOffered { gpu, region } => {
                write!(f, "{gpu} not offered in {region} (Vertex AI training)")
            }
        }
    }
}

/// One region of a ranking: its fresh limit (GPUs) when the check succeeded, whether it
/// fits the launch, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankedRegion {
    pub region: String,
    /// The limit in GPUs; `None` when the check failed.
    pub limit: Option<Limit>,
    /// True when the limit is at least the GPU count (unlimited always fits).
    pub fits: bool,
    /// Why it does not fit; `None` exactly when `fits`.
    pub reason: Option<Shortfall>,
}

/// Rank `results` (region, fresh result) for a launch of `count` GPUs of `gpu`.
///
/// Order: regions that fit, in `preference` order; then regions that do not, in `preference`
/// order; then regions that do not offer `gpu` ([`Shortfall::NotOffered`], with their
/// limit); regions in `preference` without a result are listed last of all as
/// [`Shortfall::NotChecked`]. Regions in `results` but not in `preference` follow their
/// peers in the order given. A region listed twice counts once (its first result).
pub fn rank_regions(
    gpu: GpuType,
    preference: &[String],
    results: &[(String, Result<Limit, ApiError>)],
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
    let (unchecked, rest): (Vec<_>, Vec<_>) = rest
        .into_iter()
        .partition(|r| r.reason == Some(Shortfall::NotChecked));
    let (not_offered, checked): (Vec<_>, Vec<_>) = rest
        .into_iter()
        .partition(|r| matches!(r.reason, Some(Shortfall::NotOffered { .. })));
    fits.into_iter()
        .chain(checked)
        .chain(not_offered)
        .chain(unchecked)
        .collect()
}

fn rank_one(
    gpu: GpuType,
    region: &str,
    result: Option<&Result<Limit, ApiError>>,
    count: u32,
) -> RankedRegion {
    let (limit, reason) = match result {
        None => (None, Some(Shortfall::NotChecked)),
        Some(r) if !gpu.trains_in(region) => (
            r.as_ref().ok().copied(),
            Some(Shortfall::NotOffered {
                gpu,
                region: region.to_string(),
            }),
        ),
        Some(Err(e)) => (None, Some(Shortfall::Failed(e.clone()))),
        Some(Ok(limit)) if limit.at_least(i64::from(count)) => (Some(*limit), None),
        Some(Ok(limit)) => {
            let v = limit.finite().unwrap_or_default();
            let why = if v <= 0 {
                Shortfall::Zero
            } else {
                Shortfall::Below { limit: v, count }
            };
            (Some(*limit), Some(why))
        }
    };
    RankedRegion {
        region: region.to_string(),
        limit,
        fits: reason.is_none(),
        reason,
    }
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
mod tests {
    use super::*;

    fn regions() -> Vec<String> {
        ["us-central1", "us-east1", "us-west1", "europe-west4"]
            .map(String::from)
            .to_vec()
    }

    fn ok(region: &str, v: i64) -> (String, Result<Limit, ApiError>) {
        (region.to_string(), Ok(Limit::Finite(v)))
    }

    fn err(region: &str, kind: ErrorKind, msg: &str) -> (String, Result<Limit, ApiError>) {
        (region.to_string(), Err(ApiError::new(kind, msg)))
    }

    fn order(r: &[RankedRegion]) -> Vec<&str> {
        r.iter().map(|x| x.region.as_str()).collect()
    }

    /// The acceptance numbers of issue 5: L4 spot 1, 0, 12, 3.
    fn acceptance() -> Vec<(String, Result<Limit, ApiError>)> {
        vec![
            ok("us-central1", 1),
            ok("us-east1", 0),
            ok("us-west1", 12),
            ok("europe-west4", 3),
        ]
    }

    #[test]
    fn fits_first_then_the_rest_in_preference_order() {
        let table: &[(u32, &[&str], &str)] = &[
            (
                1,
                &["us-central1", "us-west1", "europe-west4", "us-east1"],
                "us-central1",
            ),
            (
                2,
                &["us-west1", "europe-west4", "us-central1", "us-east1"],
                "us-west1",
            ),
            (
                3,
                &["us-west1", "europe-west4", "us-central1", "us-east1"],
                "us-west1",
            ),
            (
                4,
                &["us-west1", "us-central1", "us-east1", "europe-west4"],
                "us-west1",
            ),
            (
                12,
                &["us-west1", "us-central1", "us-east1", "europe-west4"],
                "us-west1",
            ),
        ];
        for (count, want_order, want_choice) in table {
            let r = rank_regions(GpuType::L4, &regions(), &acceptance(), *count);
            assert_eq!(order(&r), *want_order, "count {count}");
            assert_eq!(choose_region(&r, None).unwrap().region, *want_choice);
        }
        let r = rank_regions(GpuType::L4, &regions(), &acceptance(), 16);
        assert!(r.iter().all(|x| !x.fits));
        assert_eq!(choose_region(&r, None), None);
    }

    #[test]
    fn reasons_are_worded_for_people() {
        let mut results = acceptance();
        results[3] = err(
            "europe-west4",
            ErrorKind::Permission,
            "Permission denied on metric",
        );
        let r = rank_regions(GpuType::L4, &regions(), &results, 4);
        let reasons: Vec<String> = r
            .iter()
            .map(|x| x.reason.as_ref().map(|s| s.to_string()).unwrap_or_default())
            .collect();
        assert_eq!(
            reasons,
            [
                "",
                "quota 1 < 4",
                "quota 0",
                "permission denied: Permission denied on metric"
            ]
        );
        assert_eq!(r[0].limit, Some(Limit::Finite(12)));
        assert_eq!(r[3].limit, None);
        assert!(r[0].fits && r[0].reason.is_none());
    }

    #[test]
    fn unlimited_fits_any_count_and_missing_results_go_last() {
        let results = vec![
            (String::from("us-east1"), Ok(Limit::Unlimited)),
            err("us-central1", ErrorKind::RateLimited, "slow down"),
        ];
        let r = rank_regions(GpuType::L4, &regions(), &results, 8);
        assert_eq!(
            order(&r),
            ["us-east1", "us-central1", "us-west1", "europe-west4"]
        );
        assert!(r[0].fits);
        assert_eq!(r[2].reason, Some(Shortfall::NotChecked));
        assert_eq!(
            r[1].reason.as_ref().unwrap().to_string(),
            "rate limited: slow down"
        );
    }

    #[test]
    fn a_region_outside_the_preference_follows_its_peers() {
        let mut results = acceptance();
        results.push(ok("asia-northeast3", 8));
        let r = rank_regions(GpuType::L4, &regions(), &results, 4);
        assert_eq!(order(&r)[..2], ["us-west1", "asia-northeast3"]);
    }

    /// H100 is not trained in us-east1 (Google's locations page): that region never fits,
    /// whatever its quota, and says why; its limit is still shown.
    #[test]
    fn a_region_that_does_not_offer_the_type_is_never_ranked_to_fit() {
        let results = vec![
            ok("us-central1", 0),
            ok("us-east1", 16),
            ok("us-west1", 8),
            err("europe-west4", ErrorKind::Permission, "no"),
        ];
        let r = rank_regions(GpuType::H100, &regions(), &results, 8);
        assert_eq!(
            order(&r),
            ["us-west1", "us-central1", "europe-west4", "us-east1"]
        );
        assert!(r[0].fits);
        let east = &r[3];
        assert!(!east.fits);
        assert_eq!(east.limit, Some(Limit::Finite(16)));
        assert_eq!(
            east.reason.as_ref().unwrap().to_string(),
            "H100 not offered in us-east1 (Vertex AI training)"
        );
        assert_eq!(choose_region(&r, Some("us-east1")), None);
        // Only us-east1 has quota for 16: still nothing fits.
        let r = rank_regions(GpuType::H100, &regions(), &results, 16);
        assert_eq!(choose_region(&r, None), None);
        assert_eq!(nobody_answered(&r), None, "regions answered: exit 5");
    }

    #[test]
    fn nobody_answered_tells_auth_from_other_failures() {
        let all = |kind: ErrorKind| -> Vec<(String, Result<Limit, ApiError>)> {
            regions().iter().map(|r| err(r, kind, "m")).collect()
        };
        let rank = |results: &[(String, Result<Limit, ApiError>)]| {
            rank_regions(GpuType::H100, &regions(), results, 1)
        };
        assert_eq!(
            nobody_answered(&rank(&all(ErrorKind::Auth))),
            Some(ErrorKind::Auth)
        );
        assert_eq!(
            nobody_answered(&rank(&all(ErrorKind::Permission))),
            Some(ErrorKind::Permission)
        );
        assert_eq!(
            nobody_answered(&rank(&all(ErrorKind::NotFound))),
            Some(ErrorKind::NotFound)
        );
        let mut mixed = all(ErrorKind::Auth);
        mixed[2] = err("us-west1", ErrorKind::NotFound, "m");
        assert_eq!(nobody_answered(&rank(&mixed)), Some(ErrorKind::NotFound));
        // us-east1 (not offering H100) answering does not count; us-west1 answering does.
        let mut east_ok = all(ErrorKind::Auth);
        east_ok[1] = ok("us-east1", 8);
        assert_eq!(nobody_answered(&rank(&east_ok)), Some(ErrorKind::Auth));
        assert_eq!(
            common_failure(&rank(&east_ok)).as_deref(),
            Some("authentication failed in every region")
        );
        let mut west_ok = all(ErrorKind::Auth);
        west_ok[2] = ok("us-west1", 0);
        assert_eq!(nobody_answered(&rank(&west_ok)), None);
        assert_eq!(nobody_answered(&rank(&[])), None, "nothing checked");
    }

    #[test]
    fn a_wanted_region_is_chosen_only_when_it_fits() {
        let r = rank_regions(GpuType::L4, &regions(), &acceptance(), 1);
        assert_eq!(
            choose_region(&r, Some("us-west1")).unwrap().region,
            "us-west1"
        );
        assert_eq!(choose_region(&r, Some("us-east1")), None);
        assert_eq!(choose_region(&r, Some("mars-north1")), None);
    }

    #[test]
    fn common_failure_only_when_every_region_failed_alike() {
        let denied: Vec<_> = regions()
            .iter()
            .map(|r| err(r, ErrorKind::Permission, "no"))
            .collect();
        let r = rank_regions(GpuType::L4, &regions(), &denied, 1);
        assert_eq!(
            common_failure(&r).as_deref(),
            Some("permission denied in every region")
        );
        let mut mixed = denied.clone();
        mixed[0] = err("us-central1", ErrorKind::RateLimited, "no");
        assert_eq!(
            common_failure(&rank_regions(GpuType::L4, &regions(), &mixed, 1)),
            None
        );
        let r = rank_regions(GpuType::L4, &regions(), &acceptance(), 64);
        assert_eq!(common_failure(&r), None);
    }
}
