//! The snapshot across restarts, end to end (SPEC §11, issue 15): a TUI warms against a local
//! Google server (the embedded fake, counting requests) and quits; a second TUI against the
//! same server shows `✅ Cache HOT! 38/38` on its first frame and asks nothing until
//! refresh-ahead is due. Skipped with a note when tmux is missing.

#[path = "common/tmux.rs"]
mod tmux;

use std::path::Path;
use std::time::Duration;

use quota_tui::fake_gcp::{DEMO_PROJECT, FakeGcp, FakeGcpConfig};
use tmux::{Tmux, shell_quote};

/// `quota-tui` against `fake`, its snapshot under `home/cache`, logs in `home/logs-RUN`.
fn command(fake: &str, home: &Path, run: u32) -> String {
    let h = |p: &str| shell_quote(&home.join(p).display().to_string());
    format!(
        "exec env QUOTA_TUI_SERVICEUSAGE_URL={fake} QUOTA_TUI_AIPLATFORM_URL={fake} \
         QUOTA_TUI_MONITORING_URL={fake} GOOGLE_OAUTH_ACCESS_TOKEN=fake HOME={} \
         XDG_CACHE_HOME={} XDG_CONFIG_HOME={} {} --project {DEMO_PROJECT} --interval 100ms \
         --log-dir {}",
        h(""),
        h("cache"),
        h("config"),
        shell_quote(env!("CARGO_BIN_EXE_quota-tui")),
        h(&format!("logs-{run}"))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_is_hot_at_its_first_frame_and_asks_nothing() {
    if !tmux::available() {
        eprintln!("note: tmux is not installed; skipping");
        return;
    }
    let quiet = FakeGcpConfig::from_knobs(
        Some((Duration::from_millis(5), Duration::from_millis(20))),
        Some(0.0),
        None,
        None,
        None,
    );
    let fake = FakeGcp::start(quiet, 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let socket = format!("i15-restart-{}", std::process::id());

    let first = Tmux::start(
        &format!("{socket}-1"),
        dir.path(),
        120,
        40,
        &command(fake.base_url(), dir.path(), 1),
    );
    first.wait_for("✅ Cache HOT! 38/38", Duration::from_secs(30));
    first.run(&["send-keys", "-t", "e2e", "q"]);
    first.wait_dead(Duration::from_secs(5));
    let snapshot = dir
        .path()
        .join("cache/quota-tui")
        .join(format!("project-{DEMO_PROJECT}-spot.json"));
    assert!(snapshot.is_file(), "saved on exit: {snapshot:?}");
    let asked = fake.stats().requests.len();
    assert_eq!(asked, 6, "one cycle");

    let second = Tmux::start(
        &format!("{socket}-2"),
        dir.path(),
        120,
        40,
        &command(fake.base_url(), dir.path(), 2),
    );
    let screen = second.wait_for("quota-tui ·", Duration::from_secs(20));
    let header = screen.lines().next().unwrap_or_default();
    assert!(
        header.contains("✅ Cache HOT! 38/38"),
        "HOT at the first frame: {header}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        fake.stats().requests.len(),
        asked,
        "nothing asked before refresh-ahead"
    );
    second.run(&["send-keys", "-t", "e2e", "4"]);
    let cache = second.wait_for("snapshot", Duration::from_secs(5));
    assert!(cache.contains("loaded"), "{cache}");
    assert!(cache.contains("(38 entries)"), "{cache}");
    let log = std::fs::read_to_string(dir.path().join("logs-2/cache_warm.log")).unwrap();
    assert!(log.contains("♻️ CACHE_WARM_RESUMED"), "{log}");
    assert!(!log.contains("BATCH_WARM"), "{log}");
    second.run(&["send-keys", "-t", "e2e", "q"]);
    second.wait_dead(Duration::from_secs(5));
}
