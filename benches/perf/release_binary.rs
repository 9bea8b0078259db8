//! Figures of the release binary on the embedded demo, measured from outside in a detached
//! tmux session (120×40) with its own socket: `startup_to_first_frame_ms` (spawn to
//! `quota-tui · DEMO` on the pane), `rss_after_warm_kib` (`VmRSS` once the status widget
//! shows `38/38`) and `idle_cpu_pct` (utime + stime of the warm, idle process over 10 s, on
//! the Infra screen, which redraws every second for its ages).
//!
//! The binary is `target/release/quota-tui`, which `cargo bench` builds (bench profile =
//! release) before running this bench, and hands over as `CARGO_BIN_EXE_quota-tui`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::samples::Samples;

/// The binary `cargo bench` built for this run.
pub const BINARY: &str = env!("CARGO_BIN_EXE_quota-tui");
pub const SESSION: &str = "bench";
/// Fast warm settings: a whole cycle in about 2 s.
const FAST: &str = "--interval 100ms --demo-latency 5ms..20ms";
/// Cold starts: no snapshot is read or written (`stores` measures the warm start).
const COLD: &str = "--no-snapshot";
/// Length of the idle window.
pub const IDLE_WINDOW: Duration = Duration::from_secs(10);

/// The figures, each `None` when it could not be measured (see `notes`).
#[derive(Debug, Default)]
pub struct BinaryFigures {
    pub startup: Samples,
    /// Median time of one `capture-pane` poll: the resolution of `startup`.
    pub poll: Duration,
    pub rss_after_warm_kib: Option<u64>,
    pub idle_cpu_pct: Option<f64>,
    /// Context switches per second of all the process's threads in the idle window: how
    /// often it wakes up when nothing happens.
    pub idle_wakeups_per_s: Option<f64>,
    pub notes: Vec<String>,
}

/// A private tmux server, killed when dropped.
pub struct Tmux {
    socket: String,
    config: PathBuf,
}

impl Tmux {
    pub fn start(dir: &Path) -> Result<Self, String> {
        let config = dir.join("tmux.conf");
        std::fs::write(&config, "set -g remain-on-exit on\n").map_err(|e| e.to_string())?;
        let tmux = Tmux {
            socket: format!(
                "quota-tui-bench-{}-{}",
                std::process::id(),
                dir.file_name().unwrap_or_default().to_string_lossy()
            ),
            config,
        };
        tmux.run(&[
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            "-s",
            SESSION,
            "sleep 86400",
        ])?;
        Ok(tmux)
    }

    pub fn run(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f"])
            .arg(&self.config)
            .args(args)
            .output()
            .map_err(|e| format!("tmux: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "tmux {args:?}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    pub fn capture(&self) -> Result<String, String> {
        self.run(&["capture-pane", "-p", "-t", SESSION])
    }

    /// Replace what runs in the pane (the previous program gets SIGHUP).
    pub fn respawn(&self, command: &str) -> Result<(), String> {
        self.run(&["respawn-pane", "-k", "-t", SESSION, command])
            .map(drop)
    }

    fn pane_pid(&self) -> Result<u32, String> {
        let pid = self.run(&["display-message", "-p", "-t", SESSION, "#{pane_pid}"])?;
        pid.trim().parse().map_err(|_| format!("pane pid {pid:?}"))
    }

    /// Poll the pane, as fast as tmux answers, until `want` shows; the time it took and the
    /// number of polls.
    pub fn wait_for(&self, want: &str, within: Duration) -> Result<(Duration, u32), String> {
        let start = Instant::now();
        let mut polls = 0;
        loop {
            polls += 1;
            let screen = self.capture()?;
            if screen.contains(want) {
                return Ok((start.elapsed(), polls));
            }
            if start.elapsed() > within {
                return Err(format!("no {want:?} after {within:?}:\n{screen}"));
            }
        }
    }

    /// Park the pane on an idle program and wait for its screen to be empty.
    pub fn park(&self) -> Result<(), String> {
        self.respawn("sleep 86400")?;
        self.run(&["clear-history", "-t", SESSION])?;
        let start = Instant::now();
        while self.capture()?.contains("quota-tui") {
            if start.elapsed() > Duration::from_secs(5) {
                return Err("the pane still shows the last run".into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // Let the previous process finish its shutdown off the clock.
        std::thread::sleep(Duration::from_millis(300));
        Ok(())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

pub fn quote(s: &Path) -> String {
    format!("'{}'", s.display().to_string().replace('\'', r"'\''"))
}

/// Run everything: `runs` timed starts (after one untimed), then one warm + idle run.
pub fn measure(runs: usize) -> BinaryFigures {
    let mut figures = BinaryFigures::default();
    if Command::new("tmux").arg("-V").output().is_err() {
        figures
            .notes
            .push("tmux is not installed: the release-binary figures are null".into());
        return figures;
    }
    if let Err(e) = measure_in_tmux(runs, &mut figures) {
        figures.notes.push(format!("release binary: {e}"));
    }
    figures
}

fn measure_in_tmux(runs: usize, figures: &mut BinaryFigures) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let tmux = Tmux::start(dir.path())?;
    let bin = quote(Path::new(BINARY));

    let mut polls = Samples::default();
    for run in 0..=runs {
        let logs = dir.path().join(format!("logs-{run}"));
        tmux.park()?;
        let command = format!("exec {bin} --demo {COLD} --log-dir {}", quote(&logs));
        let t0 = Instant::now();
        tmux.respawn(&command)?;
        let (_, n) = tmux.wait_for("quota-tui · DEMO", Duration::from_secs(10))?;
        let elapsed = t0.elapsed();
        if run > 0 {
            // Run 0 warms the page cache and is not counted.
            figures.startup.push(elapsed);
        }
        polls.push(elapsed / n.max(1));
    }
    figures.poll = polls.percentile(50.0);

    let logs = dir.path().join("logs-warm");
    tmux.park()?;
    tmux.respawn(&format!(
        "exec {bin} --demo {FAST} {COLD} --log-dir {}",
        quote(&logs)
    ))?;
    tmux.wait_for("38/38", Duration::from_secs(60))?;
    let pid = tmux.pane_pid()?;
    std::thread::sleep(Duration::from_millis(200));
    figures.rss_after_warm_kib = Some(vm_rss_kib(pid)?);

    tmux.run(&["send-keys", "-t", SESSION, "2"])?;
    tmux.wait_for("GPU quota", Duration::from_secs(5))?;
    std::thread::sleep(Duration::from_secs(1));
    let (cpu0, switches0, t0) = (cpu_ticks(pid)?, context_switches(pid)?, Instant::now());
    std::thread::sleep(IDLE_WINDOW);
    let (cpu1, switches1, wall) = (cpu_ticks(pid)?, context_switches(pid)?, t0.elapsed());
    let cpu = (cpu1 - cpu0) as f64 / clock_ticks_per_s() as f64;
    figures.idle_cpu_pct = Some(100.0 * cpu / wall.as_secs_f64());
    figures.idle_wakeups_per_s =
        Some(switches1.saturating_sub(switches0) as f64 / wall.as_secs_f64());
    tmux.park()?;
    Ok(())
}

/// `VmRSS` of `pid` from `/proc/PID/status`, KiB.
fn vm_rss_kib(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmRSS in /proc/{pid}/status"))
}

/// utime + stime of `pid` from `/proc/PID/stat`, clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    // Fields after the command name (which may hold spaces) start at field 3 (state);
    // utime and stime are fields 14 and 15.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or("bad /proc stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Result<u64, String> {
        fields
            .get(n - 3)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| format!("no field {n} in /proc/{pid}/stat"))
    };
    Ok(field(14)? + field(15)?)
}

/// Voluntary and involuntary context switches of every thread of `pid`
/// (`/proc/PID/task/*/status`); threads that ended are not counted.
fn context_switches(pid: u32) -> Result<u64, String> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map_err(|e| format!("/proc/{pid}/task: {e}"))?;
    let mut total = 0;
    for task in tasks.flatten() {
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        total += status
            .lines()
            .filter(|l| l.contains("ctxt_switches:"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum::<u64>();
    }
    Ok(total)
}

/// `getconf CLK_TCK`, 100 when unknown.
fn clock_ticks_per_s() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}
