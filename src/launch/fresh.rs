//! The fresh check of a launch (SPEC §1, §10): one GPU type's quota in every region, straight
//! from the API, never from the cache. It may write what it read into the warmer's cache,
//! and it writes a `QUOTA_TIMING (FRESH, launch <type>)` entry (SPEC §8).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::rank::{RankedRegion, rank_regions};
use crate::cache::QuotaCache;
use crate::catalog::{Capacity, Check, GpuType, Limit};
use crate::commands::check::{CHECK_CONCURRENCY, fetch_all};
use crate::gcp::{ApiError, QuotaSource};
use crate::logs::{QuotaTiming, TimingPart, TimingSource, log_quota_timing};

/// The warmer's cache and the capacity (spot or on-demand) its GPU entries hold.
///
/// The cache is keyed by check alone, so a fresh check writes into it only when it read the
/// same capacity; an on-demand launch never overwrites spot values.
#[derive(Debug, Clone, Copy)]
pub struct WarmCache<'a> {
    pub cache: &'a QuotaCache,
    pub capacity: Capacity,
}

/// One region's fresh result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionResult {
    pub region: String,
    /// The limit in GPUs, or the classified API error.
    pub result: Result<Limit, ApiError>,
    /// How long the check took, retries included.
    pub latency: Duration,
}

/// The outcome of a fresh check of one GPU type in every region asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreshCheck {
    pub gpu: GpuType,
    pub capacity: Capacity,
    /// One result per region, in the order asked for.
    pub results: Vec<RegionResult>,
    /// Wall time of the whole check (the checks run concurrently).
    pub elapsed: Duration,
    /// Whether the values were written into the warmer's cache.
    pub wrote_cache: bool,
}

impl FreshCheck {
    /// Checks that failed.
    pub fn fails(&self) -> usize {
        self.results.iter().filter(|r| r.result.is_err()).count()
    }

    /// Checks whose limit is above zero (`found`, SPEC §8).
    pub fn found(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.result.as_ref().is_ok_and(|l| l.is_positive()))
            .count()
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
        let results: Vec<(String, Result<Limit, ApiError>)> = self
            .results
            .iter()
            .map(|r| (r.region.clone(), r.result.clone()))
            .collect();
        rank_regions(self.gpu, &preference, &results, count)
    }
}

/// Check `gpu`'s quota for `capacity` in each of `regions` (preference order) through
/// `source`: concurrently, at most [`CHECK_CONCURRENCY`] at once, each bounded by the
/// source's per-check deadline. Never reads the cache.
///
/// When `cache` is given and holds the same capacity, every result is written into it (a
/// value with `put_ok`, an error with `put_err`) and that is logged at info level. Always
/// writes one `QUOTA_TIMING` entry marked `FRESH, launch <type>`.
pub async fn fresh_check(
    gpu: GpuType,
    capacity: Capacity,
    regions: &[String],
    source: Arc<dyn QuotaSource>,
    cache: Option<WarmCache<'_>>,
) -> FreshCheck {
    let checks: Vec<Check> = regions.iter().map(|r| Check::gpu(gpu, r.clone())).collect();
    let started = Instant::now();
    let fetched = fetch_all(&checks, capacity, source, CHECK_CONCURRENCY).await;
    let elapsed = started.elapsed();
    let results: Vec<RegionResult> = checks
        .iter()
        .zip(fetched)
        .map(|(check, (result, latency))| RegionResult {
            region: check.region.clone(),
            result,
            latency,
        })
        .collect();
    let wrote_cache = match cache {
        Some(w) if w.capacity == capacity => {
            for (check, r) in checks.iter().zip(&results) {
                match &r.result {
                    Ok(limit) => w.cache.put_ok(check, *limit, r.latency),
                    Err(e) => w.cache.put_err(check, e.clone(), r.latency),
                }
            }
            tracing::info!(
                gpu = %gpu,
                checks = checks.len(),
                "launch: wrote the fresh {gpu} quota of {} regions into the cache",
                checks.len()
            );
            true
        }
        _ => false,
    };
    let check = FreshCheck {
        gpu,
        capacity,
        results,
        elapsed,
        wrote_cache,
    };
    log_quota_timing(&check.timing());
    check
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::Freshness;
    use crate::gcp::ErrorKind;
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Answers L4 us-central1=1, us-east1=0, us-west1=12, europe-west4=denied, after 2 s.
    struct Fixed {
        calls: AtomicUsize,
    }

    #[async_trait]
    impl QuotaSource for Fixed {
        async fn fetch(&self, check: &Check, _c: Capacity) -> Result<Limit, ApiError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(2)).await;
            match check.region.as_str() {
                "us-central1" => Ok(Limit::Finite(1)),
                "us-east1" => Ok(Limit::Finite(0)),
                "us-west1" => Ok(Limit::Finite(12)),
                _ => Err(ApiError::new(ErrorKind::Permission, "denied")),
            }
        }
    }

    fn regions() -> Vec<String> {
        crate::catalog::DEFAULT_GPU_REGIONS
            .map(String::from)
            .to_vec()
    }

    #[tokio::test(start_paused = true)]
    async fn checks_concurrently_counts_and_ranks() {
        let source = Arc::new(Fixed {
            calls: AtomicUsize::new(0),
        });
        let f = fresh_check(
            GpuType::L4,
            Capacity::Spot,
            &regions(),
            source.clone(),
            None,
        )
        .await;
        assert_eq!(source.calls.load(Ordering::SeqCst), 4);
        assert_eq!(f.elapsed, Duration::from_secs(2), "concurrent, not 8 s");
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
    async fn writes_the_cache_only_for_its_capacity_and_never_reads_it() {
        let cache = QuotaCache::new(Duration::from_secs(1800));
        let west = Check::gpu(GpuType::L4, "us-west1");
        cache.put_ok(&west, Limit::Finite(99), Duration::ZERO);
        let source = Arc::new(Fixed {
            calls: AtomicUsize::new(0),
        });
        let spot_cache = WarmCache {
            cache: &cache,
            capacity: Capacity::Spot,
        };

        let f = fresh_check(
            GpuType::L4,
            Capacity::OnDemand,
            &regions(),
            source.clone(),
            Some(spot_cache),
        )
        .await;
        assert!(!f.wrote_cache);
        assert_eq!(
            cache.peek(std::slice::from_ref(&west))[0].limit(),
            Some(Limit::Finite(99))
        );
        assert_eq!(
            f.results[2].result,
            Ok(Limit::Finite(12)),
            "the API, not the cache"
        );

        let f = fresh_check(
            GpuType::L4,
            Capacity::Spot,
            &regions(),
            source.clone(),
            Some(spot_cache),
        )
        .await;
        assert!(f.wrote_cache);
        let all: Vec<Check> = regions()
            .into_iter()
            .map(|r| Check::gpu(GpuType::L4, r))
            .collect();
        let read = cache.peek(&all);
        assert_eq!(read[2].limit(), Some(Limit::Finite(12)));
        assert_eq!(read[1].limit(), Some(Limit::Finite(0)));
        assert_eq!(read[3].freshness, Freshness::Missing);
        assert_eq!(
            read[3].entry.last_error.as_ref().map(|e| e.error.kind),
            Some(ErrorKind::Permission)
        );
        assert_eq!(
            cache.counters().hits + cache.counters().misses,
            0,
            "never read"
        );
        assert_eq!(source.calls.load(Ordering::SeqCst), 8);
    }

    /// Captures formatted tracing events for one test.
    #[derive(Clone, Default)]
    struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn logs_the_fresh_timing_entry_and_the_cache_write() {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let cache = QuotaCache::new(Duration::from_secs(1800));
        let source = Arc::new(Fixed {
            calls: AtomicUsize::new(0),
        });
        let warm = WarmCache {
            cache: &cache,
            capacity: Capacity::Spot,
        };
        fresh_check(GpuType::L4, Capacity::Spot, &regions(), source, Some(warm)).await;
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
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
