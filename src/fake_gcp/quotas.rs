//! The fake's quota values (SPEC §5): fixed by the seed, plausible (H200 mostly 0, T4
//! common, C3 tiers varied). The bodies that carry them are built in `metric_body.rs`.

use crate::catalog::{
    C3_METRIC, Capacity, DEFAULT_C3_REGIONS, DEFAULT_GPU_REGIONS, GpuType, Limit, QuotaMetric,
};

/// Regions beyond the default catalog that the fake also knows (so custom catalogs work).
pub const EXTRA_REGIONS: [&str; 4] = ["us-south1", "asia-east1", "asia-south1", "me-west1"];

/// The `build_origin` of the C3 decoy buckets: never the one a check reads.
pub const DECOY_BUILD_ORIGIN: &str = "trigger";

/// Every region with its own bucket: the default catalog's C3 and GPU regions, then
/// [`EXTRA_REGIONS`]. Other regions fall to the default bucket.
pub fn fake_regions() -> Vec<&'static str> {
    let mut regions: Vec<&'static str> = DEFAULT_C3_REGIONS.to_vec();
    for r in DEFAULT_GPU_REGIONS.iter().chain(EXTRA_REGIONS.iter()) {
        if !regions.contains(r) {
            regions.push(r);
        }
    }
    regions
}

/// What a known metric measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Measured {
    Gpu(GpuType),
    C3,
}

/// Every metric the fake answers: spot and on-demand for every GPU type, and C3.
pub fn known_metrics() -> Vec<String> {
    QuotaMetric::all().map(|m| m.name().to_string()).collect()
}

pub(super) fn measured(metric: &str) -> Option<Measured> {
    if metric == C3_METRIC {
        return Some(Measured::C3);
    }
    GpuType::ALL
        .into_iter()
        .find(|g| metric == g.metric(Capacity::Spot) || metric == g.metric(Capacity::OnDemand))
        .map(Measured::Gpu)
}

/// Values a region can draw; repeats weight the draw.
fn value_table(m: Measured) -> &'static [i64] {
    match m {
        Measured::Gpu(GpuType::T4) => &[0, 4, 8, 8, 16, 16, 32, 64],
        Measured::Gpu(GpuType::L4) => &[0, 0, 4, 8, 8, 16, 32],
        Measured::Gpu(GpuType::A100) => &[0, 0, 0, 4, 8, 16],
        Measured::Gpu(GpuType::H100) => &[0, 8, 0, 16, 8, 0],
        Measured::Gpu(GpuType::H200) => &[0, 0, 0, 0, 0, 0, 0, 8],
        Measured::C3 => &[0, 24, 44, 48, 88, 96, 176, 176, 512],
    }
}

/// The default bucket's value (what Google grants a project that asked for nothing).
pub(super) fn default_value(m: Measured) -> i64 {
    match m {
        Measured::Gpu(GpuType::T4 | GpuType::L4) => 4,
        Measured::Gpu(_) => 0,
        Measured::C3 => 24,
    }
}

/// A stable 64-bit hash of the seed and words (FNV-1a, then a splitmix64 finish), so values
/// do not change with the Rust version.
pub(super) fn stable_hash(seed: u64, words: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    seed.to_le_bytes().into_iter().for_each(&mut eat);
    for w in words {
        w.bytes().for_each(&mut eat);
        eat(0xff);
    }
    let mut z = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn draw(seed: u64, m: Measured, words: &[&str]) -> i64 {
    let table = value_table(m);
    table[(stable_hash(seed, words) % table.len() as u64) as usize]
}

/// The value of `metric` in `region` for `seed`, as a correct client reads it from the
/// fake's body: `None` for a metric the fake does not know; the default bucket's value for
/// a region without its own bucket.
pub fn quota_limit(seed: u64, metric: &str, region: &str) -> Option<Limit> {
    let m = measured(metric)?;
    if !fake_regions().contains(&region) {
        return Some(Limit::Finite(default_value(m)));
    }
    Some(Limit::Finite(draw(seed, m, &[metric, region])))
}

/// For C3 regions: whether the region's bucket omits `build_origin` (about 1 in 5).
pub(super) fn region_only_bucket(seed: u64, region: &str) -> bool {
    stable_hash(seed, &["region-only", region]).is_multiple_of(5)
}

/// The decoy value for a C3 region: a draw that differs from the real one.
pub(super) fn decoy_value(seed: u64, real: i64, region: &str) -> i64 {
    let v = draw(seed, Measured::C3, &["decoy", region]);
    if v == real { real + 40 } else { v }
}

#[cfg(test)]
mod tests {
    use super::super::metric_body::{Consumer, metric_body};
    use super::*;
    use crate::catalog::{CLOUDBUILD_SERVICE, Catalog};
    use crate::gcp::quota_metric::read_limit;

    #[test]
    fn every_catalog_check_reads_back_the_fakes_value() {
        for seed in [1, 7, 42, 1234] {
            for capacity in [Capacity::Spot, Capacity::OnDemand] {
                let catalog = Catalog {
                    capacity,
                    ..Catalog::default()
                };
                for check in catalog.all_checks() {
                    let metric = check.metric.name();
                    let body =
                        metric_body(seed, Consumer::Project("p"), check.service(), metric).unwrap();
                    let want = quota_limit(seed, metric, &check.region).unwrap();
                    assert_eq!(read_limit(&body, &check), Ok(want), "seed {seed} {check}");
                }
            }
        }
    }

    #[test]
    fn values_are_fixed_by_the_seed_and_vary_with_it() {
        let m = C3_METRIC;
        let all = |seed| {
            fake_regions()
                .iter()
                .map(|r| quota_limit(seed, m, r))
                .collect::<Vec<_>>()
        };
        assert_eq!(all(7), all(7));
        assert_ne!(all(7), all(8));
    }

    #[test]
    fn values_are_plausible() {
        let regions = fake_regions();
        let h200 = GpuType::H200.metric(Capacity::Spot);
        let t4 = GpuType::T4.metric(Capacity::Spot);
        let count = |metric: &str, pred: &dyn Fn(i64) -> bool| {
            (0..50u64)
                .flat_map(|seed| regions.iter().map(move |r| (seed, *r)))
                .filter(|(seed, r)| pred(quota_limit(*seed, metric, r).unwrap().finite().unwrap()))
                .count()
        };
        let n = 50 * regions.len();
        assert!(count(h200, &|v| v == 0) * 10 > n * 7, "H200 mostly 0");
        assert!(count(t4, &|v| v > 0) * 10 > n * 7, "T4 common");
        let mut tiers: Vec<i64> = regions
            .iter()
            .map(|r| quota_limit(7, C3_METRIC, r).unwrap().finite().unwrap())
            .collect();
        tiers.sort();
        tiers.dedup();
        assert!(tiers.len() >= 4, "C3 tiers varied: {tiers:?}");
    }

    #[test]
    fn c3_body_has_decoys_and_region_only_buckets() {
        let body = metric_body(7, Consumer::Project("p"), CLOUDBUILD_SERVICE, C3_METRIC).unwrap();
        let buckets = &body.consumer_quota_limits[0].quota_buckets;
        assert!(buckets[0].dimensions.is_empty(), "default bucket first");
        let decoys = buckets
            .iter()
            .filter(|b| {
                b.dimensions.get("build_origin").map(String::as_str) == Some(DECOY_BUILD_ORIGIN)
            })
            .count();
        assert_eq!(decoys, fake_regions().len());
        let region_only = buckets.iter().filter(|b| b.dimensions.len() == 1).count();
        assert!(
            region_only > 0,
            "some C3 buckets name a region but no build_origin"
        );
    }

    #[test]
    fn unknown_metric_has_no_body() {
        assert!(
            metric_body(
                7,
                Consumer::Project("p"),
                "compute.googleapis.com",
                "compute.googleapis.com/cpus"
            )
            .is_none()
        );
        assert!(quota_limit(7, "x/y", "us-east1").is_none());
    }
}
