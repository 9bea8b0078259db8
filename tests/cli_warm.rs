//! `quota-tui warm` end to end against a local Service Usage server (issues 2, 4 and 12
//! acceptance): exact request counts (one per metric: 6 a cycle), single flight, pacing, the bearer token, timeouts named
//! in the log, refresh-ahead and SIGINT shutdown. Real time, generous bounds.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::quota_server::{Answer, QuotaServer, all_regions};

const TOKEN: &str = "tok-SECRET-4242";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_quota-tui"));
    c.env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .env_remove("CLOUDSDK_CONFIG") // gcloud's project is read from HOME's only
        .env("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN)
        .env("HOME", std::env::temp_dir()) // no user config file
        .env("XDG_CACHE_HOME", test_cache_dir()); // no user snapshot
    c
}

fn fixed(ms: u64) -> Answer {
    Answer::Quota {
        delay: Duration::from_millis(ms),
        per_region: all_regions(4),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_once_makes_6_paced_single_flight_requests_with_the_token() {
    let server = QuotaServer::start(|_| fixed(300)).await;
    let logs = tempfile::tempdir().unwrap();
    let out = tokio::task::spawn_blocking({
        let url = server.url.clone();
        let dir = logs.path().to_path_buf();
        move || {
            bin()
                .args(["warm", "--once", "--json", "--interval", "100ms"])
                .args(["--project", "test-project-1", "--log-dir"])
                .arg(&dir)
                .env("QUOTA_TUI_SERVICEUSAGE_URL", url)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");

    let seen = server.seen();
    assert_eq!(
        seen.len(),
        6,
        "one cycle is exactly 6 requests, one per metric"
    );
    assert!(
        server.max_in_flight() <= 2,
        "max in flight {}",
        server.max_in_flight()
    );
    assert!(seen.iter().all(|s| s.bearer.as_deref() == Some(TOKEN)));
    let first_two: Vec<&str> = seen[..2].iter().map(|s| s.metric.as_str()).collect();
    assert!(
        first_two
            .iter()
            .any(|m| m.starts_with("aiplatform.googleapis.com/"))
    );
    assert!(first_two.contains(&"cloudbuild.googleapis.com/concurrent_private_pool_c3_build_cpus"));
    // 5 batches of 0.3 s at a 0.1 s interval: about 1.5 s.
    let span = seen.iter().filter_map(|s| s.end).max().unwrap() - seen[0].start;
    assert!(
        span <= Duration::from_secs_f64(1.15 * 1.5),
        "cycle spanned {span:?}"
    );

    let stats: serde_json::Value = serde_json::from_str(stdout.trim()).expect("JSON stats");
    assert_eq!(stats["batches"], 5);
    assert_eq!(stats["failed"], 0);

    let log = std::fs::read_to_string(logs.path().join("cache_warm.log")).unwrap();
    assert!(
        log.starts_with("# Cache warming log - Session started "),
        "{log}"
    );
    assert_eq!(log.matches("🚀 CACHE_WARM_START: ").count(), 1);
    let batch_lines: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("🔥 BATCH_WARM: ")
                || l.contains("CACHE_WARM_WARN")
                || l.contains("CACHE_WARM_SLOW")
        })
        .collect();
    assert_eq!(batch_lines.len(), 5, "{log}");
    assert!(
        batch_lines[0].contains("GPU 4/20, C3 18/18 - ")
            && batch_lines[0].ends_with("ms (T4: 4 regions, C3: 18 regions)"),
        "{}",
        batch_lines[0]
    );
    assert!(
        batch_lines[4].contains("GPU 20/20, C3 18/18 - ")
            && batch_lines[4].ends_with("ms (H200: 4 regions)"),
        "{}",
        batch_lines[4]
    );
    assert!(log.contains("✅ CACHE_WARM_COMPLETE: GPU 20/20, C3 18/18 - "));
    assert!(log.contains("📊 FINAL_STATS: batches=5 "));
    for text in [&*stdout, &*stderr, &log] {
        assert!(!text.contains(TOKEN), "the token leaked");
    }
    let app_log = std::fs::read_to_string(logs.path().join("quota-tui.log")).unwrap_or_default();
    assert!(
        !app_log.contains(TOKEN),
        "the token leaked into quota-tui.log"
    );
}

/// `--force` goes through the warmer's warm-now: a new process has begun its first cycle
/// already, so it adds nothing (one cycle, 6 requests) and says so in quota-tui.log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_force_asks_for_a_cycle_at_once_and_a_new_process_has_one_running() {
    let server = QuotaServer::start(|_| fixed(50)).await;
    let logs = tempfile::tempdir().unwrap();
    let out = tokio::task::spawn_blocking({
        let url = server.url.clone();
        let dir = logs.path().to_path_buf();
        move || {
            bin()
                .args(["warm", "--once", "--force", "--interval", "100ms"])
                .args(["--project", "test-project-1", "--log-dir"])
                .arg(&dir)
                .env("QUOTA_TUI_SERVICEUSAGE_URL", url)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");
    assert_eq!(server.seen().len(), 6, "one cycle, not two");
    let log = std::fs::read_to_string(logs.path().join("cache_warm.log")).unwrap();
    assert_eq!(log.matches("🚀 CACHE_WARM_START: ").count(), 1, "{log}");
    assert!(!log.contains("CACHE_REWARM"), "{log}");
    let app_log = std::fs::read_to_string(logs.path().join("quota-tui.log")).unwrap();
    assert!(
        app_log.contains("warm --force: a cycle is already running"),
        "{app_log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metric_that_never_answers_times_out_and_is_named() {
    let server = QuotaServer::start(|m| {
        if m.ends_with("_nvidia_h100_gpus") {
            Answer::Hang
        } else {
            fixed(300)
        }
    })
    .await;
    let logs = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let out = tokio::task::spawn_blocking({
        let url = server.url.clone();
        let dir = logs.path().to_path_buf();
        move || {
            bin()
                .args([
                    "warm",
                    "--once",
                    "--interval",
                    "100ms",
                    "--check-timeout",
                    "1s",
                ])
                .args(["--project", "test-project-1", "--log-dir"])
                .arg(&dir)
                .env("QUOTA_TUI_SERVICEUSAGE_URL", url)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let took = t0.elapsed();
    assert!(out.status.success());
    // 4 batches of 0.3 s and one cut at the 1 s deadline: about 2.2 s.
    let log = std::fs::read_to_string(logs.path().join("cache_warm.log")).unwrap();
    assert!(took < Duration::from_secs(15), "took {took:?}\n{log}");
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("💥 CACHE_WARM_ERROR: "))
        .collect();
    // One request for the metric, so one line naming it.
    assert_eq!(errors.len(), 1, "{log}");
    assert!(errors[0].contains("H100 - timed out"), "{}", errors[0]);
    assert!(errors[0].contains("[timeout]"), "{}", errors[0]);
    assert!(
        log.contains("(H100: failed (timeout))"),
        "the batch line names it: {log}"
    );
    assert!(log.contains("✅ CACHE_WARM_COMPLETE: GPU 20/20, C3 18/18"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_daemon_rewarms_at_80_percent_of_the_ttl_and_stops_on_sigint() {
    let server = QuotaServer::start(|_| fixed(10)).await;
    let logs = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args([
            "warm",
            "--no-snapshot",
            "--ttl",
            "5s",
            "--interval",
            "100ms",
        ])
        .args(["--project", "test-project-1", "--log-dir"])
        .arg(logs.path())
        .env("QUOTA_TUI_SERVICEUSAGE_URL", &server.url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(6500)).await;
    let t_sig = Instant::now();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    let stop = t_sig.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(stop < Duration::from_secs(1), "exit took {stop:?}");

    let seen = server.seen();
    let first = seen[0].start;
    // The second cycle's first request comes about 4 s after the first cycle's.
    let second_start = seen[6].start - first;
    assert!(
        (Duration::from_millis(3800)..Duration::from_millis(4600)).contains(&second_start),
        "second cycle began at {second_start:?}"
    );
    assert!(server.max_in_flight() <= 2);
    let log = std::fs::read_to_string(logs.path().join("cache_warm.log")).unwrap();
    assert!(log.contains("🔄 CACHE_REWARM: "), "{log}");
    // Never overlapping: each start after the previous cycle's complete line.
    let events: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("CACHE_WARM_START")
                || l.contains("CACHE_REWARM")
                || l.contains("CACHE_WARM_COMPLETE")
        })
        .collect();
    for pair in events.windows(2) {
        let starts = |l: &str| l.contains("CACHE_WARM_START") || l.contains("CACHE_REWARM");
        assert!(!(starts(pair[0]) && starts(pair[1])), "overlap: {pair:?}");
    }
    assert!(
        log.trim_end()
            .lines()
            .last()
            .unwrap()
            .contains("📊 FINAL_STATS: "),
        "{log}"
    );
}

/// The snapshot folder of this test process, never the user's (`XDG_CACHE_HOME`).
fn test_cache_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("quota-tui-test-cache-{}", std::process::id()))
}
