//! `infra_verify_timing.log` entries (SPEC §8): `⏱️ QUOTA_TIMING`, written when the infra
//! screen loads or refreshes (cache reads) and when a launch checks fresh.

use std::time::Duration;

use super::TIMING_TARGET;

/// Where one side of a `QUOTA_TIMING` entry got its numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimingSource {
    /// Cache reads: `CACHE HIT` when every read hit, else `PARTIAL`.
    Cache { hits: usize, misses: usize },
    /// Fresh API calls, with what asked for them (e.g. `launch L4`).
    Fresh { purpose: String },
}

/// One side (GPU or C3) of a `QUOTA_TIMING` entry (SPEC §8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimingPart {
    pub elapsed: Duration,
    pub source: TimingSource,
    /// Checks read.
    pub checks: usize,
    /// Checks whose last fetch failed.
    pub fails: usize,
    /// Checks whose value is above zero.
    pub found: usize,
}

/// A `⏱️ QUOTA_TIMING` entry: written when the infra screen loads or refreshes, and when a
/// launch checks fresh.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QuotaTiming {
    pub gpu: Option<TimingPart>,
    pub c3: Option<TimingPart>,
}

fn timing_part(label: &str, p: &TimingPart) -> String {
    let secs = format!("{:.2}s", p.elapsed.as_secs_f64());
    match &p.source {
        TimingSource::Cache { hits, misses } => format!(
            "  {label} {secs} ({}) checks={} hits={hits} misses={misses} fails={} found={}",
            if *misses == 0 { "CACHE HIT" } else { "PARTIAL" },
            p.checks,
            p.fails,
            p.found
        ),
        TimingSource::Fresh { purpose } => format!(
            "  {label} {secs} (FRESH, {purpose}) checks={} fails={} found={}",
            p.checks, p.fails, p.found
        ),
    }
}

impl QuotaTiming {
    /// The entry's text after the time stamp: `⏱️ QUOTA_TIMING:` and its indented lines.
    pub fn render(&self) -> String {
        let mut lines = vec!["⏱️ QUOTA_TIMING:".to_string()];
        let mut total = Duration::ZERO;
        if let Some(g) = &self.gpu {
            lines.push(timing_part("GPU:", g));
            total += g.elapsed;
        }
        if let Some(c) = &self.c3 {
            lines.push(timing_part("C3: ", c));
            total += c.elapsed;
        }
        lines.push(format!("  TOTAL: {:.2}s", total.as_secs_f64()));
        lines.join("\n")
    }
}

/// Write a `QUOTA_TIMING` entry to `infra_verify_timing.log`.
pub fn log_quota_timing(entry: &QuotaTiming) {
    tracing::info!(target: TIMING_TARGET, "{}", entry.render());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_entry_matches_spec_shape() {
        let t = QuotaTiming {
            gpu: Some(TimingPart {
                elapsed: Duration::ZERO,
                source: TimingSource::Cache {
                    hits: 20,
                    misses: 0,
                },
                checks: 20,
                fails: 0,
                found: 7,
            }),
            c3: Some(TimingPart {
                elapsed: Duration::ZERO,
                source: TimingSource::Cache {
                    hits: 17,
                    misses: 1,
                },
                checks: 18,
                fails: 0,
                found: 16,
            }),
        };
        assert_eq!(
            t.render(),
            "⏱️ QUOTA_TIMING:\n  GPU: 0.00s (CACHE HIT) checks=20 hits=20 misses=0 fails=0 found=7\n  C3:  0.00s (PARTIAL) checks=18 hits=17 misses=1 fails=0 found=16\n  TOTAL: 0.00s"
        );
        let fresh = QuotaTiming {
            gpu: Some(TimingPart {
                elapsed: Duration::from_millis(2410),
                source: TimingSource::Fresh {
                    purpose: "launch L4".into(),
                },
                checks: 4,
                fails: 0,
                found: 3,
            }),
            c3: None,
        };
        assert_eq!(
            fresh.render(),
            "⏱️ QUOTA_TIMING:\n  GPU: 2.41s (FRESH, launch L4) checks=4 fails=0 found=3\n  TOTAL: 2.41s"
        );
    }
}
