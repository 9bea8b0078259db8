//! The knobs of the embedded fake GCP (SPEC §5): latency, error, hang and malformed-body
//! rates, and the seed of quota values and random draws.

use std::time::Duration;

/// Seed used when none is given: the demo shows the same quotas on every run.
pub const DEFAULT_SEED: u64 = 7;

/// How the fake answers. `Default` is SPEC §5: most calls 0.3–2.5 s, about 10 % 2.5–4 s,
/// about 3 % 503 or 429 (with `Retry-After: 1`), no hangs, no malformed bodies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FakeGcpConfig {
    /// Latency of most answers, drawn uniformly in `[lo, hi]`.
    pub latency: (Duration, Duration),
    /// Fraction (0–1) of answers drawn instead from the slow tail `[hi, hi × 1.6]`
    /// (2.5–4 s with the default range).
    pub slow_rate: f64,
    /// Fraction (0–1) of answers that are a Google-shaped 503 `UNAVAILABLE` or 429
    /// `RESOURCE_EXHAUSTED` (half each), with `Retry-After: 1`.
    pub error_rate: f64,
    /// Fraction (0–1) of requests never answered (until the server stops).
    pub hang_rate: f64,
    /// Fraction (0–1) of answers that are a 200 with a cut-off JSON body.
    pub malformed_rate: f64,
    /// Seed of the quota values and of the latency and fault draws.
    pub seed: u64,
    /// Answer every Service Usage call with Google's 403 `SERVICE_DISABLED` for the Service
    /// Usage API (a project where it is not enabled), after the usual latency.
    pub service_disabled: bool,
    /// Answer every Cloud Monitoring call with its 403 for a caller without
    /// `monitoring.timeSeries.list` (usage unreadable, limits still readable).
    pub monitoring_denied: bool,
    /// Answer every Cloud Monitoring call with Google's 403 `SERVICE_DISABLED` for the Cloud
    /// Monitoring API (a project where it is not enabled: usage unreadable, limits still
    /// readable).
    pub monitoring_disabled: bool,
}

impl Default for FakeGcpConfig {
    fn default() -> Self {
        FakeGcpConfig {
            latency: (Duration::from_millis(300), Duration::from_millis(2500)),
            slow_rate: 0.10,
            error_rate: 0.03,
            hang_rate: 0.0,
            malformed_rate: 0.0,
            seed: DEFAULT_SEED,
            service_disabled: false,
            monitoring_denied: false,
            monitoring_disabled: false,
        }
    }
}

impl FakeGcpConfig {
    /// The default with the given knobs applied (`None` keeps the default). A latency range
    /// given explicitly turns the slow tail off: the range is what the caller asked for.
    pub fn from_knobs(
        latency: Option<(Duration, Duration)>,
        error_rate: Option<f64>,
        hang_rate: Option<f64>,
        malformed_rate: Option<f64>,
        seed: Option<u64>,
    ) -> Self {
        let d = FakeGcpConfig::default();
        FakeGcpConfig {
            latency: latency.unwrap_or(d.latency),
            slow_rate: if latency.is_some() { 0.0 } else { d.slow_rate },
            error_rate: error_rate.unwrap_or(d.error_rate),
            hang_rate: hang_rate.unwrap_or(d.hang_rate),
            malformed_rate: malformed_rate.unwrap_or(d.malformed_rate),
            seed: seed.unwrap_or(d.seed),
            service_disabled: false,
            monitoring_denied: false,
            monitoring_disabled: false,
        }
    }

    /// A fast, fault-free configuration for tests: 1–5 ms, no errors, hangs or bad bodies.
    pub fn quiet() -> Self {
        FakeGcpConfig {
            latency: (Duration::from_millis(1), Duration::from_millis(5)),
            slow_rate: 0.0,
            error_rate: 0.0,
            ..FakeGcpConfig::default()
        }
    }

    /// The slow tail's range: `[hi, hi × 1.6]`.
    pub fn slow_latency(&self) -> (Duration, Duration) {
        let hi = self.latency.1;
        (hi, hi.mul_f64(1.6))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_spec_5() {
        let c = FakeGcpConfig::default();
        assert_eq!(
            c.latency,
            (Duration::from_millis(300), Duration::from_millis(2500))
        );
        assert_eq!(
            c.slow_latency(),
            (Duration::from_millis(2500), Duration::from_millis(4000))
        );
        assert_eq!((c.hang_rate, c.malformed_rate), (0.0, 0.0));
        assert!(c.error_rate > 0.0 && c.error_rate < 0.1);
    }

    #[test]
    fn knobs_override_only_what_is_given() {
        let c = FakeGcpConfig::from_knobs(None, Some(1.0), None, None, Some(9));
        assert_eq!((c.error_rate, c.seed), (1.0, 9));
        assert_eq!(c.latency, FakeGcpConfig::default().latency);
        assert_eq!(c.slow_rate, 0.10);
        let ms = |m| Duration::from_millis(m);
        let c = FakeGcpConfig::from_knobs(Some((ms(1), ms(5))), None, None, None, None);
        assert_eq!((c.latency, c.slow_rate), ((ms(1), ms(5)), 0.0));
    }
}
