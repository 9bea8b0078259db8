//! Ranking the regions of a fresh check for a launch (SPEC §10 Launch): regions whose quota
//! is at least the GPU count first, in the configured preference order, then the rest in
//! the same order, each with the reason it cannot take the launch.

use std::fmt;

use crate::catalog::Limit;
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
}

impl fmt::Display for Shortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shortfall::Zero => f.write_str("quota 0"),
            Shortfall::Below { limit, count } => write!(f, "quota {limit} < {count}"),
            Shortfall::Failed(e) => write!(f, "{e}"),
            Shortfall::NotChecked => f.write_str("not checked"),
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

/// Rank `results` (region, fresh result) for a launch of `count` GPUs.
///
/// Order: regions that fit, in `preference` order; then regions that do not, in `preference`
/// order. Regions in `results` but not in `preference` follow their peers in the order
/// given; regions in `preference` without a result are listed last of all as
/// [`Shortfall::NotChecked`]. A region listed twice counts once (its first result).
pub fn rank_regions(
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
            rank_one(region, result, count)
        })
        .collect();
    let (fits, rest): (Vec<_>, Vec<_>) = ranked.into_iter().partition(|r| r.fits);
    let (checked, unchecked): (Vec<_>, Vec<_>) = rest
        .into_iter()
        .partition(|r| r.reason != Some(Shortfall::NotChecked));
    fits.into_iter().chain(checked).chain(unchecked).collect()
}

fn rank_one(region: &str, result: Option<&Result<Limit, ApiError>>, count: u32) -> RankedRegion {
    let (limit, reason) = match result {
        None => (None, Some(Shortfall::NotChecked)),
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

/// One sentence on why no region can take the launch, when every region failed the same
/// way (e.g. `permission denied in every region`), else `None`.
pub fn common_failure(ranking: &[RankedRegion]) -> Option<String> {
    let kinds: Vec<ErrorKind> = ranking
        .iter()
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
            let r = rank_regions(&regions(), &acceptance(), *count);
            assert_eq!(order(&r), *want_order, "count {count}");
            assert_eq!(choose_region(&r, None).unwrap().region, *want_choice);
        }
        let r = rank_regions(&regions(), &acceptance(), 16);
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
        let r = rank_regions(&regions(), &results, 4);
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
        let r = rank_regions(&regions(), &results, 8);
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
        results.push(ok("asia-east1", 8));
        let r = rank_regions(&regions(), &results, 4);
        assert_eq!(order(&r)[..2], ["us-west1", "asia-east1"]);
    }

    #[test]
    fn a_wanted_region_is_chosen_only_when_it_fits() {
        let r = rank_regions(&regions(), &acceptance(), 1);
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
        let r = rank_regions(&regions(), &denied, 1);
        assert_eq!(
            common_failure(&r).as_deref(),
            Some("permission denied in every region")
        );
        let mut mixed = denied.clone();
        mixed[0] = err("us-central1", ErrorKind::RateLimited, "no");
        assert_eq!(common_failure(&rank_regions(&regions(), &mixed, 1)), None);
        let r = rank_regions(&regions(), &acceptance(), 64);
        assert_eq!(common_failure(&r), None);
    }
}
