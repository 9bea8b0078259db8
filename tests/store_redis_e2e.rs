//! The release of issue 15 end to end: `quota-tui` processes sharing one Redis and one local
//! Google server (the embedded fake, in this test process, which counts every request).
//! Skipped with a note when `redis-server` or `tmux` is missing.
//!
//! - Two `warm` daemons and one TUI: Google sees one warmer's requests per cycle, not two;
//!   the second `warm` says once that it waits for the lease; the TUI is HOT at its first
//!   frame and names the warmer.
//! - `kill -9` of the lease holder: another instance takes over within the lease time (30 s),
//!   asking Google nothing (the shared cycle is fresh).
//! - `redis-server` stopped mid-run: every process keeps running, the TUI keeps answering
//!   keys and its values; after a restart the cache is written back and followed again.

mod common;
#[path = "common/tmux.rs"]
mod tmux;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::redis_server::TestRedis;
use quota_tui::fake_gcp::{DEMO_PROJECT, FakeGcp, FakeGcpConfig};
use tmux::{Tmux, shell_quote};

const BIN: &str = env!("CARGO_BIN_EXE_quota-tui");

/// The environment of every instance: the fake Google, a token, and folders of its own.
fn instance_env(fake: &str, home: &Path) -> Vec<(String, String)> {
    let h = home.display().to_string();
    vec![
        ("QUOTA_TUI_SERVICEUSAGE_URL".into(), fake.into()),
        ("QUOTA_TUI_AIPLATFORM_URL".into(), fake.into()),
        ("QUOTA_TUI_MONITORING_URL".into(), fake.into()),
        ("GOOGLE_OAUTH_ACCESS_TOKEN".into(), "fake".into()),
        ("HOME".into(), h.clone()),
        ("XDG_CACHE_HOME".into(), format!("{h}/cache")),
        ("XDG_CONFIG_HOME".into(), format!("{h}/config")),
    ]
}

/// A `warm` daemon on `store`; its stderr goes to `home/stderr`.
fn warm(fake: &str, store: &str, home: &Path) -> Child {
    std::fs::create_dir_all(home).unwrap();
    let stderr = std::fs::File::create(home.join("stderr")).unwrap();
    Command::new(BIN)
        .args(["warm", "--project", DEMO_PROJECT, "--interval", "100ms"])
        .args(["--store", store, "--log-dir"])
        .arg(home.join("logs"))
        .env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .envs(instance_env(fake, home))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start warm")
}

/// Wait up to `within` for `cond`, polling every 50 ms.
async fn eventually(within: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + within;
    while Instant::now() < end {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not within {within:?}: {what}");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

struct Kill(Vec<Child>);
impl Drop for Kill {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_share_one_warmer_take_over_and_ride_out_redis_down() {
    if !tmux::available() {
        eprintln!("note: tmux is not installed; skipping");
        return;
    }
    let Some(mut redis) = TestRedis::start() else {
        return;
    };
    let quiet = FakeGcpConfig::from_knobs(
        Some((Duration::from_millis(5), Duration::from_millis(20))),
        Some(0.0),
        None,
        None,
        None,
    );
    let fake = FakeGcp::start(quiet, 0).await.unwrap();
    let url = fake.base_url().to_string();
    let store = redis.url();
    let dir = tempfile::tempdir().unwrap();
    let (a_home, b_home) = (dir.path().join("a"), dir.path().join("b"));

    let mut procs = Kill(vec![warm(&url, &store, &a_home)]);
    eventually(Duration::from_secs(20), "the first cycle", || {
        read(&a_home.join("logs/cache_warm.log")).contains("CACHE_WARM_COMPLETE")
    })
    .await;
    procs.0.push(warm(&url, &store, &b_home));
    eventually(Duration::from_secs(10), "the second warm waits", || {
        read(&b_home.join("stderr")).contains("warmer lease held by")
    })
    .await;
    let one_cycle = fake.stats().requests.len();
    assert_eq!(one_cycle, 6, "one cycle of one warmer");

    // A TUI joining: HOT at its first frame, naming the warmer.
    let tui_home = dir.path().join("tui");
    let env: String = instance_env(&url, &tui_home)
        .iter()
        .map(|(k, v)| format!("{k}={} ", shell_quote(v)))
        .collect();
    let command = format!(
        "exec env {env}{} --project {DEMO_PROJECT} --store {} --log-dir {}",
        shell_quote(BIN),
        shell_quote(&store),
        shell_quote(&tui_home.join("logs").display().to_string())
    );
    let tmux = Tmux::start(
        &format!("i15-shared-{}", std::process::id()),
        dir.path(),
        120,
        40,
        &command,
    );
    let first = tmux.wait_for("quota-tui ·", Duration::from_secs(20));
    let header = first.lines().next().unwrap_or_default();
    assert!(
        header.contains("✅ Cache HOT! 38/38 · shared (warmer: "),
        "HOT at the first frame:\n{first}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(fake.stats().requests.len(), one_cycle, "nobody else asked");
    let b_stderr = read(&b_home.join("stderr"));
    assert_eq!(
        b_stderr.matches("warmer lease held by").count(),
        1,
        "said once: {b_stderr}"
    );

    // The holder dies: another instance (the other `warm` or the TUI) takes the lease
    // within the lease time.
    let t = Instant::now();
    procs.0[0].kill().unwrap();
    procs.0[0].wait().unwrap();
    eventually(Duration::from_secs(35), "the lease moves", || {
        read(&b_home.join("stderr")).contains("warmer lease taken")
            || tmux.capture().contains("shared (warming here)")
    })
    .await;
    assert!(t.elapsed() <= Duration::from_secs(31), "{:?}", t.elapsed());
    assert_eq!(
        fake.stats().requests.len(),
        one_cycle,
        "the new holder resumed the shared cycle"
    );

    // Redis stops: nothing blocks or dies, values stay; it comes back and is caught up.
    tmux.run(&["send-keys", "-t", "e2e", "2"]);
    tmux.wait_for("GPU quota", Duration::from_secs(5));
    // The screen as it settled (a busy machine may still be drawing the last landed value).
    let table = |s: &str| {
        s.lines()
            .skip(3)
            .take(8)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let mut before = tmux.capture();
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(500));
        let now = tmux.capture();
        if table(&now) == table(&before) {
            break;
        }
        before = now;
    }
    redis.stop();
    tmux.run(&["send-keys", "-t", "e2e", "4"]);
    let down = tmux.wait_for("unreachable since", Duration::from_secs(10));
    assert!(down.contains("Redis down"), "{down}");
    tmux.run(&["send-keys", "-t", "e2e", "2"]);
    let during = tmux.wait_for("GPU quota", Duration::from_secs(5));
    assert_eq!(
        table(&during),
        table(&before),
        "values kept while Redis is down"
    );
    assert!(procs.0[1].try_wait().unwrap().is_none(), "warm still runs");
    redis.restart();
    let back = tmux.wait_for("shared (warm", Duration::from_secs(20));
    assert!(!back.contains("Redis down"), "{back}");
    let mut conn = redis.conn().await;
    let mut n = 0;
    eventually(Duration::from_secs(15), "the cache written back", || {
        n = futures::executor::block_on(async {
            redis::cmd("HLEN")
                .arg(format!("quota-tui:{DEMO_PROJECT}:spot:entries"))
                .query_async::<i64>(&mut conn)
                .await
                .unwrap_or(0)
        });
        n == 38
    })
    .await;
    tmux.run(&["send-keys", "-t", "e2e", "q"]);
    tmux.wait_dead(Duration::from_secs(5));
}
