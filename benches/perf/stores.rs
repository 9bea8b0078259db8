//! Figures of the stores (issue 15), from the release binary:
//!
//! - `first_frame_hot_ms`: a second start of the TUI on the demo, with the snapshot the
//!   first run saved: spawn to the first frame, which must show `✅ Cache HOT! 38/38`
//!   (median of [`STARTS`]);
//! - `shared_reader_first_frame_ms`: a TUI joining a warm shared cache (a `warm --store`
//!   daemon on a local `redis-server`, against the embedded Google fake run in this process):
//!   spawn to the first frame, which must show `✅ Cache HOT! 38/38 · shared` (median);
//! - `google_requests_per_cycle`: with 1, 3 and 10 `warm --store` daemons on one Redis, the
//!   requests the fake Google receives for the first cycle, counted 2 s after it completed
//!   (the goal: the same number for all three).
//!
//! Each figure is null, with a note, when tmux or `redis-server` is missing.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use quota_tui::fake_gcp::{DEMO_PROJECT, FakeGcp, FakeGcpConfig};

use crate::redis_server::TestRedis;
use crate::release_binary::{BINARY, SESSION, Tmux, quote};
use crate::samples::Samples;

/// Timed starts per first-frame figure.
pub const STARTS: usize = 5;
/// Instance counts of `google_requests_per_cycle`.
pub const INSTANCES: [usize; 3] = [1, 3, 10];

#[derive(Debug, Default)]
pub struct StoreFigures {
    pub first_frame_hot: Samples,
    pub shared_reader_first_frame: Samples,
    /// (instances, requests of the first cycle)
    pub requests_per_cycle: Vec<(usize, usize)>,
    pub notes: Vec<String>,
}

pub fn measure() -> StoreFigures {
    let mut f = StoreFigures::default();
    if Command::new("tmux").arg("-V").output().is_err() {
        f.notes
            .push("tmux is not installed: the store figures are null".into());
        return f;
    }
    if let Err(e) = first_frame_hot(&mut f) {
        f.notes.push(format!("first_frame_hot_ms: {e}"));
    }
    let Some(redis) = TestRedis::start() else {
        f.notes
            .push("redis-server is not installed: the shared figures are null".into());
        return f;
    };
    let rt = tokio::runtime::Runtime::new().expect("a runtime for the fake Google");
    if let Err(e) = shared(&rt, &redis, &mut f) {
        f.notes.push(format!("shared figures: {e}"));
    }
    f
}

/// Poll the pane until its first line shows `quota-tui ·`: the time it took and that line.
fn first_frame(tmux: &Tmux, t0: Instant) -> Result<(Duration, String), String> {
    loop {
        let screen = tmux.capture()?;
        if let Some(header) = screen.lines().next().filter(|l| l.contains("quota-tui ·")) {
            return Ok((t0.elapsed(), header.to_string()));
        }
        if t0.elapsed() > Duration::from_secs(20) {
            return Err(format!("no frame after 20 s:\n{screen}"));
        }
    }
}

fn first_frame_hot(f: &mut StoreFigures) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let tmux = Tmux::start(dir.path())?;
    let bin = quote(Path::new(BINARY));
    let cache = quote(&dir.path().join("cache"));
    let run = |n: usize| {
        format!(
            "exec env XDG_CACHE_HOME={cache} {bin} --demo --interval 100ms --demo-latency \
             5ms..20ms --log-dir {}",
            quote(&dir.path().join(format!("logs-{n}")))
        )
    };
    tmux.park()?;
    tmux.respawn(&run(0))?;
    tmux.wait_for("Cache HOT! 38/38", Duration::from_secs(60))?;
    tmux.run(&["send-keys", "-t", SESSION, "q"])?;
    std::thread::sleep(Duration::from_millis(500));
    for n in 1..=STARTS {
        tmux.park()?;
        let t0 = Instant::now();
        tmux.respawn(&run(n))?;
        let (elapsed, header) = first_frame(&tmux, t0)?;
        if !header.contains("✅ Cache HOT! 38/38") {
            return Err(format!(
                "start {n} was not HOT at its first frame: {header}"
            ));
        }
        f.first_frame_hot.push(elapsed);
        tmux.run(&["send-keys", "-t", SESSION, "q"])?;
    }
    tmux.park()
}

/// The environment of one instance against the fake at `url`, its folders under `home`.
fn env_of(url: &str, home: &Path) -> Vec<(String, String)> {
    let h = home.display().to_string();
    vec![
        ("QUOTA_TUI_SERVICEUSAGE_URL".into(), url.into()),
        ("QUOTA_TUI_AIPLATFORM_URL".into(), url.into()),
        ("QUOTA_TUI_MONITORING_URL".into(), url.into()),
        ("GOOGLE_OAUTH_ACCESS_TOKEN".into(), "fake".into()),
        ("HOME".into(), h.clone()),
        ("XDG_CACHE_HOME".into(), format!("{h}/cache")),
        ("XDG_CONFIG_HOME".into(), format!("{h}/config")),
    ]
}

/// A `warm --store` daemon.
fn warm(url: &str, store: &str, home: &Path) -> Result<Child, String> {
    Command::new(BINARY)
        .args(["warm", "--project", DEMO_PROJECT, "--interval", "100ms"])
        .args(["--store", store, "--log-dir"])
        .arg(home.join("logs"))
        .env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .envs(env_of(url, home))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{BINARY}: {e}"))
}

/// Children killed when dropped.
struct Kill(Vec<Child>);
impl Drop for Kill {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Wait until one of `homes` logged a complete cycle.
fn wait_complete(homes: &[std::path::PathBuf]) -> Result<(), String> {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(60) {
        let done = homes.iter().any(|h| {
            std::fs::read_to_string(h.join("logs/cache_warm.log"))
                .is_ok_and(|l| l.contains("CACHE_WARM_COMPLETE"))
        });
        if done {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("no complete cycle within 60 s".into())
}

fn fresh_fake(rt: &tokio::runtime::Runtime) -> Result<FakeGcp, String> {
    let quiet = FakeGcpConfig::from_knobs(
        Some((Duration::from_millis(5), Duration::from_millis(20))),
        Some(0.0),
        None,
        None,
        None,
    );
    rt.block_on(FakeGcp::start(quiet, 0))
        .map_err(|e| e.to_string())
}

fn flush(rt: &tokio::runtime::Runtime, redis: &TestRedis) {
    rt.block_on(async {
        let mut conn = redis.conn().await;
        let _: Result<(), _> = redis::cmd("FLUSHALL").query_async(&mut conn).await;
    });
}

fn shared(
    rt: &tokio::runtime::Runtime,
    redis: &TestRedis,
    f: &mut StoreFigures,
) -> Result<(), String> {
    let store = redis.url();
    for n in INSTANCES {
        flush(rt, redis);
        let fake = fresh_fake(rt)?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let homes: Vec<_> = (0..n).map(|i| dir.path().join(format!("w{i}"))).collect();
        let mut procs = Kill(Vec::new());
        for h in &homes {
            procs.0.push(warm(fake.base_url(), &store, h)?);
        }
        wait_complete(&homes)?;
        std::thread::sleep(Duration::from_secs(2));
        let s = fake.stats();
        f.requests_per_cycle
            .push((n, s.requests.len() + s.usage_requests.len()));
        drop(procs);
        rt.block_on(fake.shutdown()).map_err(|e| e.to_string())?;
    }

    // A TUI joining a warm shared cache.
    flush(rt, redis);
    let fake = fresh_fake(rt)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let home = dir.path().join("warmer");
    let _warmer = Kill(vec![warm(fake.base_url(), &store, &home)?]);
    wait_complete(std::slice::from_ref(&home))?;
    let tmux = Tmux::start(dir.path())?;
    for n in 0..=STARTS {
        let tui = dir.path().join(format!("tui-{n}"));
        let env: String = env_of(fake.base_url(), &tui)
            .iter()
            .map(|(k, v)| format!("{k}={} ", quote(Path::new(v))))
            .collect();
        let command = format!(
            "exec env {env}{} --project {DEMO_PROJECT} --store {store} --log-dir {}",
            quote(Path::new(BINARY)),
            quote(&tui.join("logs"))
        );
        tmux.park()?;
        let t0 = Instant::now();
        tmux.respawn(&command)?;
        let (elapsed, header) = first_frame(&tmux, t0)?;
        if !header.contains("✅ Cache HOT! 38/38 · shared") {
            return Err(format!(
                "reader {n} was not HOT at its first frame: {header}"
            ));
        }
        if n > 0 {
            // Start 0 warms the page cache and is not counted.
            f.shared_reader_first_frame.push(elapsed);
        }
        tmux.run(&["send-keys", "-t", SESSION, "q"])?;
    }
    tmux.park()?;
    rt.block_on(fake.shutdown()).map_err(|e| e.to_string())
}
