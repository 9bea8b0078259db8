//! Timing samples and their percentiles (nearest rank), in the unit the figure is named in.

use std::time::Duration;

/// Durations of one measured operation, many runs.
#[derive(Debug, Default, Clone)]
pub struct Samples(Vec<Duration>);

impl Samples {
    pub fn with_capacity(n: usize) -> Self {
        Samples(Vec::with_capacity(n))
    }

    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The `p`-th percentile (0–100, nearest rank): the smallest sample with at least `p` %
    /// of the samples at or below it. Zero when there are no samples.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    pub fn max(&self) -> Duration {
        self.0.iter().copied().max().unwrap_or_default()
    }
}

/// Microseconds, to 0.1 µs.
pub fn us(d: Duration) -> f64 {
    (d.as_nanos() as f64 / 100.0).round() / 10.0
}

/// Milliseconds, to 0.001 ms.
pub fn ms(d: Duration) -> f64 {
    (d.as_nanos() as f64 / 1000.0).round() / 1000.0
}

/// `x` rounded to 3 decimals.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
