//! `time_to_hot_s` (issue 12): how long the release binary takes to warm the whole catalog on
//! the embedded demo at default settings (2 s interval, the demo's 0.3–4 s latencies with a
//! few 503/429s), on the real clock. `quota-tui --demo warm --once --json` runs one cycle and
//! prints its statistics; the figure is the median of three runs' `last_cycle_ms` (cycle
//! start to `✅ CACHE_WARM_COMPLETE`, the moment the status says `Cache HOT!`).

use std::process::Command;

use crate::release_binary::BINARY;

/// Runs of `warm --once` whose median is the figure.
pub const RUNS: usize = 3;

/// The cycle time of each run, seconds, and what went wrong in runs that failed.
#[derive(Debug, Default)]
pub struct TimeToHot {
    pub runs_s: Vec<f64>,
    /// Batches of each run (5 for the default catalog).
    pub batches: Vec<u64>,
    pub notes: Vec<String>,
}

impl TimeToHot {
    /// The median run, seconds; `None` when no run succeeded.
    pub fn median_s(&self) -> Option<f64> {
        let mut v = self.runs_s.clone();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    }
}

/// Run `warm --once` on the demo [`RUNS`] times.
pub fn measure() -> TimeToHot {
    let mut out = TimeToHot::default();
    for _ in 0..RUNS {
        match one_run() {
            Ok((ms, batches)) => {
                out.runs_s.push(ms as f64 / 1000.0);
                out.batches.push(batches);
            }
            Err(e) => out.notes.push(e),
        }
    }
    out
}

/// One cycle: `last_cycle_ms` and `batches` from the JSON statistics.
fn one_run() -> Result<(u64, u64), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out = Command::new(BINARY)
        .args(["--demo", "warm", "--once", "--json", "--log-dir"])
        .arg(dir.path().join("logs"))
        .env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .env("HOME", dir.path()) // no user config file
        .output()
        .map_err(|e| format!("{BINARY}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "warm --once exited {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("warm --once printed no JSON: {e}"))?;
    let ms = stats["last_cycle_ms"]
        .as_u64()
        .ok_or("no last_cycle_ms in the statistics")?;
    Ok((ms, stats["batches"].as_u64().unwrap_or(0)))
}
