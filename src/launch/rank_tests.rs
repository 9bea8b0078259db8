//! Tests of the launch ranking: free GPUs first, then preference; the reasons as people read them.

use super::*;

fn regions() -> Vec<String> {
    ["us-central1", "us-east1", "us-west1", "europe-west4"]
        .map(String::from)
        .to_vec()
}

fn ok(region: &str, v: i64) -> (String, Reading) {
    (region.to_string(), Ok(Limit::Finite(v)).into())
}

fn err(region: &str, kind: ErrorKind, msg: &str) -> (String, Reading) {
    (region.to_string(), Err(ApiError::new(kind, msg)).into())
}

fn order(r: &[RankedRegion]) -> Vec<&str> {
    r.iter().map(|x| x.region.as_str()).collect()
}

/// The acceptance numbers of issue 5: L4 spot 1, 0, 12, 3.
fn acceptance() -> Vec<(String, Reading)> {
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
        (String::from("us-east1"), Ok(Limit::Unlimited).into()),
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
    let all = |kind: ErrorKind| -> Vec<(String, Reading)> {
        regions().iter().map(|r| err(r, kind, "m")).collect()
    };
    let rank = |results: &[(String, Reading)]| rank_regions(GpuType::H100, &regions(), results, 1);
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

fn with_usage(region: &str, limit: i64, in_use: i64) -> (String, Reading) {
    let reading = Reading::new(Ok(Limit::Finite(limit)), Some(Ok(in_use)));
    (region.to_string(), reading)
}

/// Issue 13's acceptance: a limit of 16 with 14 in use cannot take 4 GPUs (2 free); the next
/// region whose free GPUs cover the count is chosen.
#[test]
fn free_gpus_decide_not_the_limit() {
    let results = vec![
        with_usage("us-central1", 16, 14),
        with_usage("us-east1", 0, 0),
        with_usage("us-west1", 8, 0),
        with_usage("europe-west4", 16, 16),
    ];
    let r = rank_regions(GpuType::T4, &regions(), &results, 4);
    assert_eq!(
        order(&r),
        ["us-west1", "us-central1", "us-east1", "europe-west4"]
    );
    assert_eq!(choose_region(&r, None).unwrap().region, "us-west1");
    let verdicts: Vec<String> = r.iter().map(RankedRegion::verdict).collect();
    assert_eq!(
        verdicts,
        ["8 free of 8", "2 free, need 4", "quota 0", "0 free, need 4"]
    );
    let central = &r[1];
    assert_eq!(
        (central.limit, central.in_use, central.free),
        (Some(Limit::Finite(16)), Some(14), Some(Limit::Finite(2)))
    );
    assert!(!central.fits);
    assert!(
        r[1..]
            .iter()
            .all(|x| x.reason.as_ref().unwrap().wants_more_quota())
    );
    // Two GPUs fit in us-central1 again, first by preference.
    let r = rank_regions(GpuType::T4, &regions(), &results, 2);
    assert_eq!(order(&r)[..2], ["us-central1", "us-west1"]);
    assert_eq!(r[0].verdict(), "2 free of 16");
    assert_eq!(nobody_answered(&r), None);
}

/// Usage that could not be read: the limit decides, those regions come after the ones known
/// to fit, and the verdict says the usage is unknown.
#[test]
fn unknown_usage_ranks_by_limit_after_known_free() {
    let denied = ApiError::new(ErrorKind::Permission, "monitoring.timeSeries.list");
    let results = vec![
        (
            "us-central1".to_string(),
            Reading::new(Ok(Limit::Finite(16)), Some(Err(denied.clone()))),
        ),
        with_usage("us-west1", 8, 2),
        ok("europe-west4", 2),
    ];
    let r = rank_regions(GpuType::T4, &regions(), &results, 4);
    assert_eq!(
        order(&r),
        ["us-west1", "us-central1", "europe-west4", "us-east1"]
    );
    assert_eq!(r[0].verdict(), "6 free of 8");
    assert_eq!(r[1].verdict(), "quota 16, usage unknown");
    assert_eq!(r[1].usage_error.as_ref(), Some(&denied));
    assert_eq!(r[2].verdict(), "quota 2 < 4");
    assert!(r[2].reason.as_ref().unwrap().wants_more_quota());
    assert!(!Shortfall::NotChecked.wants_more_quota());
    assert!(!Shortfall::Failed(denied).wants_more_quota());
    // Unlimited always fits, whatever is in use.
    let r = rank_regions(
        GpuType::T4,
        &regions(),
        &[(
            "us-east1".to_string(),
            Reading::new(Ok(Limit::Unlimited), Some(Ok(99))),
        )],
        8,
    );
    assert!(r[0].fits);
    assert_eq!(r[0].verdict(), "unlimited");
}
