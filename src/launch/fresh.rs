//! The fresh check of a launch (SPEC §1, §10): one GPU type's limit and usage in every
//! region, straight from the APIs (one metric request: Service Usage and Cloud Monitoring,
//! concurrently), never from the cache. It may write what it read into the warmer's cache,
//! and it writes a `QUOTA_TIMING (FRESH, launch <type>)` entry (SPEC §8) whose `found` counts
//! the regions with free GPUs.

use std::sync::Arc;
use std::time::Duration;

use super::rank::{RankedRegion, Reading, rank_regions};
use crate::catalog::{Capacity, GpuType, Limit, MetricRequest, QuotaMetric};
use crate::gcp::{ApiError, QuotaSource, fetch_one};
use crate::logs::{QuotaTiming, TimingPart, TimingSource, log_quota_timing};
use crate::store::QuotaStore;

/// One region's fresh result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionResult {
    pub region: String,
    /// The limit in GPUs, or the classified API error.
    pub result: Result<Limit, ApiError>,
    /// GPUs in use (Cloud Monitoring): `None` when the source reads no usage, `Some(Err)`
    /// when it could not be read.
    pub usage: Option<Result<i64, ApiError>>,
    /// How long the check took, retries included (its metric's limit and usage requests,
    /// concurrent: the same for every region).
    pub latency: Duration,
}

impl RegionResult {
    /// The limit and usage read, for the ranking.
    pub fn reading(&self) -> Reading {
        Reading::new(self.result.clone(), self.usage.clone())
    }

    /// True when the region has GPUs free: free > 0, or, the usage unknown, a limit > 0.
    pub fn has_free(&self) -> bool {
        match (self.reading().free(), &self.result) {
            (Some(free), _) => free.is_positive(),
            (None, Ok(limit)) => limit.is_positive(),
            (None, Err(_)) => false,
        }
    }
}

/// The outcome of a fresh check of one GPU type in every region asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreshCheck {
    pub gpu: GpuType,
    pub capacity: Capacity,
    /// One result per region, in the order asked for.
    pub results: Vec<RegionResult>,
    /// Wall time of the whole check (one metric request).
    pub elapsed: Duration,
    /// Whether the values were written into the warmer's cache.
    pub wrote_cache: bool,
}

impl FreshCheck {
    /// Checks that failed.
    pub fn fails(&self) -> usize {
        self.results.iter().filter(|r| r.result.is_err()).count()
    }

    /// Regions with GPUs free (`found`, SPEC §8): free > 0, or a limit > 0 where the usage
    /// is unknown ([`RegionResult::has_free`]).
    pub fn found(&self) -> usize {
        self.results.iter().filter(|r| r.has_free()).count()
    }

    /// The `QUOTA_TIMING` entry of this check: `GPU: 2.41s (FRESH, launch L4) checks=4
    /// fails=0 found=3`.
    pub fn timing(&self) -> QuotaTiming {
        QuotaTiming {
            gpu: Some(TimingPart {
                elapsed: self.elapsed,
                source: TimingSource::Fresh {
                    purpose: format!("launch {}", self.gpu),
                },
                checks: self.results.len(),
                fails: self.fails(),
                found: self.found(),
            }),
            c3: None,
        }
    }

    /// The regions ranked for `count` GPUs, preference being the order checked; regions that
    /// do not offer the type for training never fit ([`rank_regions`]).
    pub fn rank(&self, count: u32) -> Vec<RankedRegion> {
        let preference: Vec<String> = self.results.iter().map(|r| r.region.clone()).collect();
        let results: Vec<(String, Reading)> = self
            .results
            .iter()
            .map(|r| (r.region.clone(), r.reading()))
            .collect();
        rank_regions(self.gpu, &preference, &results, count)
    }
}

/// Check `gpu`'s quota for `capacity` in each of `regions` (preference order) through
/// `source`: one metric request, its limits and its usage asked concurrently, whose answers
/// hold every region (SPEC §4), each bounded by the source's deadline. Never reads the cache.
///
/// When `cache` is given, every result is written into it (values and errors, all with the
/// answer's time and latency: [`QuotaStore::record_outcome`]), keyed by the checks of this
/// capacity, so spot and on-demand values never
/// overwrite each other; that is logged at info level. Always writes one `QUOTA_TIMING` entry
/// marked `FRESH, launch <type>`.
pub async fn fresh_check(
    gpu: GpuType,
    capacity: Capacity,
    regions: &[String],
    source: Arc<dyn QuotaSource>,
    cache: Option<&dyn QuotaStore>,
) -> FreshCheck {
    let request = MetricRequest::new(QuotaMetric::Gpu { gpu, capacity }, regions.iter().cloned());
    let outcome = fetch_one(source.as_ref(), request).await;
    let results: Vec<RegionResult> = outcome
        .checks()
        .enumerate()
        .map(|(i, (check, result))| RegionResult {
            region: check.region,
            result,
            usage: outcome.region_usage(i),
            latency: outcome.elapsed(),
        })
        .collect();
    let wrote_cache = match cache {
        Some(cache) => {
            cache.record_outcome(&outcome);
            tracing::info!(
                gpu = %gpu,
                checks = results.len(),
                "launch: wrote the fresh {gpu} quota of {} regions into the cache",
                results.len()
            );
            true
        }
        None => false,
    };
    let check = FreshCheck {
        gpu,
        capacity,
        results,
        elapsed: outcome.elapsed(),
        wrote_cache,
    };
    log_quota_timing(&check.timing());
    check
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Check;
    use crate::gcp::ErrorKind;
    use crate::store::{CachedState, MemoryStore};
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Answers L4 us-central1=1, us-east1=0, us-west1=12, europe-west4=denied, after 2 s
    /// (12 more for on-demand).
    struct Fixed {
        calls: AtomicUsize,
    }

    #[async_trait]
    impl QuotaSource for Fixed {
        async fn fetch_metric(
            &self,
            request: &MetricRequest,
        ) -> Result<Vec<Result<Limit, ApiError>>, ApiError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(2)).await;
            let extra = match request.metric.capacity() {
                Some(Capacity::OnDemand) => 12,
                _ => 0,
            };
            Ok(request
                .regions
                .iter()
                .map(|region| match region.as_str() {
                    "us-central1" => Ok(Limit::Finite(1 + extra)),
                    "us-east1" => Ok(Limit::Finite(0)),
                    "us-west1" => Ok(Limit::Finite(12 + extra)),
                    _ => Err(ApiError::new(ErrorKind::Permission, "denied")),
                })
                .collect())
        }
    }

    fn regions() -> Vec<String> {
        crate::catalog::DEFAULT_GPU_REGIONS
            .map(String::from)
            .to_vec()
    }

    fn source() -> Arc<Fixed> {
        Arc::new(Fixed {
            calls: AtomicUsize::new(0),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn one_request_answers_every_region_counts_and_ranks() {
        let source = source();
        let f = fresh_check(
            GpuType::L4,
            Capacity::Spot,
            &regions(),
            source.clone(),
            None,
        )
        .await;
        assert_eq!(source.calls.load(Ordering::SeqCst), 1, "one metric request");
        assert_eq!(f.elapsed, Duration::from_secs(2));
        assert!(f.results.iter().all(|r| r.latency == f.elapsed));
        assert_eq!((f.fails(), f.found()), (1, 2));
        assert!(!f.wrote_cache);
        assert_eq!(
            f.timing().render(),
            "⏱️ QUOTA_TIMING:\n  GPU: 2.00s (FRESH, launch L4) checks=4 fails=1 found=2\n  TOTAL: 2.00s"
        );
        let ranked = f.rank(2);
        assert_eq!(ranked[0].region, "us-west1");
        assert!(ranked[1..].iter().all(|r| !r.fits));
    }

    #[tokio::test(start_paused = true)]
    async fn writes_its_own_capacitys_entries_and_never_reads_the_cache() {
        let cache = MemoryStore::new(Duration::from_secs(1800));
        let spot_west = Check::gpu(GpuType::L4, Capacity::Spot, "us-west1");
        let on_demand_west = Check::gpu(GpuType::L4, Capacity::OnDemand, "us-west1");
        cache.record(&spot_west, Ok(Limit::Finite(99)), Duration::ZERO);
        let source = source();

        let f = fresh_check(
            GpuType::L4,
            Capacity::OnDemand,
            &regions(),
            source.clone(),
            Some(&cache),
        )
        .await;
        assert!(f.wrote_cache);
        assert_eq!(
            f.results[2].result,
            Ok(Limit::Finite(24)),
            "the API, not the cache"
        );
        let read = cache.peek(&[spot_west.clone(), on_demand_west]);
        assert_eq!(read[0].limit(), Some(Limit::Finite(99)), "spot kept");
        assert_eq!(
            read[1].limit(),
            Some(Limit::Finite(24)),
            "on-demand beside it"
        );

        fresh_check(
            GpuType::L4,
            Capacity::Spot,
            &regions(),
            source.clone(),
            Some(&cache),
        )
        .await;
        let spot: Vec<Check> = regions()
            .into_iter()
            .map(|r| Check::gpu(GpuType::L4, Capacity::Spot, r))
            .collect();
        let read = cache.peek(&spot);
        assert_eq!(read[2].limit(), Some(Limit::Finite(12)));
        assert_eq!(read[1].limit(), Some(Limit::Finite(0)));
        assert!(matches!(
            read[3].state(),
            CachedState::Failed { last_good: None, error, .. } if error.error.kind == ErrorKind::Permission
        ));
        assert_eq!(
            cache.counters().hits + cache.counters().misses,
            0,
            "never read"
        );
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn logs_the_fresh_timing_entry_and_the_cache_write() {
        let (captured, _guard) = crate::test_tracing::capture_tracing();
        let cache = MemoryStore::new(Duration::from_secs(1800));
        fresh_check(
            GpuType::L4,
            Capacity::Spot,
            &regions(),
            source(),
            Some(&cache),
        )
        .await;
        let text = captured.text();
        assert!(text.contains(crate::logs::TIMING_TARGET), "{text}");
        assert!(
            text.contains("GPU: 2.00s (FRESH, launch L4) checks=4 fails=1 found=2"),
            "{text}"
        );
        assert!(
            text.contains("INFO")
                && text.contains("wrote the fresh L4 quota of 4 regions into the cache"),
            "{text}"
        );
    }
}
