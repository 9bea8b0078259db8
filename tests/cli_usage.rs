//! Usage beside every limit, end to end through the binary (issue 13) against a local server
//! answering Service Usage and Cloud Monitoring: `check --json`'s `usage`, `free` and
//! `usage_error` for all 38 checks (SPEC §9), the table's `free/limit`, a launch that goes
//! where the free GPUs are, and a denied Monitoring that hides no limit and is said once.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::quota_server::{Answer, QuotaServer, UsageAnswer, all_regions};
use serde_json::Value;

const TOKEN: &str = "tok-usage-7";

fn regions(pairs: &[(&str, i64)]) -> HashMap<String, i64> {
    pairs.iter().map(|(r, v)| (r.to_string(), *v)).collect()
}

/// Issue 13's acceptance numbers: T4 us-central1 16 with 14 in use, us-west1 8 with 0 in
/// use (us-east1 and europe-west4 0); every other GPU metric 16 everywhere, nothing in use;
/// C3 88 everywhere with 100 in use in us-east1 (above its limit).
async fn acceptance_server(denied: bool) -> QuotaServer {
    QuotaServer::start_with_usage(
        |m| {
            let per_region = if m.ends_with("preemptible_nvidia_t4_gpus") {
                regions(&[("us-central1", 16), ("us-west1", 8)])
            } else if m.starts_with("cloudbuild") {
                all_regions(88)
            } else {
                all_regions(16)
            };
            Answer::Quota {
                delay: Duration::from_millis(20),
                per_region,
            }
        },
        move |m| {
            if denied {
                UsageAnswer::Error {
                    code: 403,
                    status: "PERMISSION_DENIED",
                    message: "Permission monitoring.timeSeries.list denied (or the resource may not exist).",
                }
            } else if m.ends_with("preemptible_nvidia_t4_gpus") {
                UsageAnswer::Series(regions(&[("us-central1", 14), ("us-west1", 0)]))
            } else if m.starts_with("cloudbuild") {
                UsageAnswer::Series(regions(&[("us-east1", 100)]))
            } else {
                UsageAnswer::Series(HashMap::new())
            }
        },
    )
    .await
}

async fn run(args: &[&str], url: &str, log_dir: &std::path::Path) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_quota-tui"));
    c.env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .env_remove("CLOUDSDK_CONFIG")
        .env("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN)
        .env("HOME", log_dir)
        .env("XDG_CONFIG_HOME", log_dir.join("config"))
        .env("QUOTA_TUI_SERVICEUSAGE_URL", url)
        .env("QUOTA_TUI_MONITORING_URL", url)
        .env("QUOTA_TUI_AIPLATFORM_URL", url)
        .args(args)
        .args(["--project", "test-project-1"]);
    if args[0] != "check" {
        c.arg("--log-dir").arg(log_dir);
    }
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

fn find<'a>(checks: &'a [Value], gpu: Option<&str>, region: &str) -> &'a Value {
    checks
        .iter()
        .find(|c| c["gpu"].as_str() == gpu && c["region"] == region)
        .unwrap_or_else(|| panic!("no check {gpu:?} {region}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_json_reports_usage_and_free_for_all_38_checks_in_the_spec_shape() {
    let server = acceptance_server(false).await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["check", "--json"], &server.url, dir.path()).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 38);
    for c in checks {
        assert!(c["usage"].is_i64() && c["free"].is_i64(), "{c}");
        assert!(c["usage_error"].is_null() && c["error"].is_null(), "{c}");
        let (limit, usage) = (c["limit"].as_i64().unwrap(), c["usage"].as_i64().unwrap());
        assert_eq!(c["free"].as_i64().unwrap(), (limit - usage).max(0), "{c}");
    }
    let t4 = find(checks, Some("T4"), "us-central1");
    assert_eq!(
        (&t4["limit"], &t4["usage"], &t4["free"]),
        (&Value::from(16), &Value::from(14), &Value::from(2))
    );
    let west = find(checks, Some("T4"), "us-west1");
    assert_eq!(
        (&west["usage"], &west["free"]),
        (&Value::from(0), &Value::from(8))
    );
    let over = find(checks, None, "us-east1");
    assert_eq!(
        (&over["usage"], &over["free"]),
        (&Value::from(100), &Value::from(0)),
        "never below 0"
    );
    // The keys in SPEC §9's order.
    let first = &stdout[stdout.find("\"kind\"").unwrap()..stdout.find('}').unwrap()];
    let at = |k: &str| {
        first
            .find(&format!("\"{k}\""))
            .unwrap_or_else(|| panic!("{k}: {first}"))
    };
    let order = [
        "kind",
        "gpu",
        "region",
        "metric",
        "limit",
        "unlimited",
        "usage",
        "free",
        "error",
        "usage_error",
        "latency_ms",
    ];
    assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "{first}");
    // One limit and one usage request per metric: 12.
    assert_eq!((server.seen().len(), server.usage_seen().len()), (6, 6));
    assert!(
        server
            .usage_seen()
            .iter()
            .all(|s| s.bearer.as_deref() == Some(TOKEN))
    );

    // The table shows free/limit.
    let out = run(&["check"], &server.url, dir.path()).await;
    let table = String::from_utf8_lossy(&out.stdout);
    let t4_row = table.lines().find(|l| l.starts_with("T4 ")).expect(&table);
    let cells: Vec<&str> = t4_row.split_whitespace().collect();
    assert_eq!(cells, ["T4", "2/16", "0/0", "8/8", "0/0"], "{table}");
    assert!(
        table.contains("GPU quota (spot, free/limit GPUs)"),
        "{table}"
    );
    assert!(!table.contains("Usage unknown"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launch_of_4_t4_goes_where_4_are_free() {
    let server = acceptance_server(false).await;
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "launch",
        "--gpu",
        "T4",
        "--count",
        "4",
        "--image",
        "gcr.io/x/y:1",
        "--dry-run",
    ];
    let out = run(&args, &server.url, dir.path()).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Region:  us-west1"), "{stdout}");
    let line = |region: &str| {
        stdout
            .lines()
            .find(|l| l.contains(region))
            .unwrap_or_else(|| panic!("{region}: {stdout}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("us-west1 "), "ok us-west1 8/8 8 free of 8");
    assert_eq!(line("us-central1 "), "-- us-central1 2/16 2 free, need 4");
    assert_eq!(line("us-east1 "), "-- us-east1 0/0 quota 0");
    assert!(
        stdout.contains(
            "Short of quota? Ask for an increase: https://console.cloud.google.com/iam-admin/quotas?\
             project=test-project-1&service=aiplatform.googleapis.com&metric=aiplatform.googleapis.com\
             %2Fcustom_model_training_preemptible_nvidia_t4_gpus"
        ),
        "{stdout}"
    );
    let timing = std::fs::read_to_string(dir.path().join("infra_verify_timing.log")).unwrap();
    assert!(
        timing.contains("(FRESH, launch T4) checks=4 fails=0 found=2"),
        "free > 0 in 2 regions: {timing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_monitoring_every_limit_is_reported_and_the_reason_said_once() {
    let server = acceptance_server(true).await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["check", "--json"], &server.url, dir.path()).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "a usage failure alone never fails check"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 38);
    for c in checks {
        assert!(c["limit"].is_i64() && c["error"].is_null(), "{c}");
        assert!(c["usage"].is_null() && c["free"].is_null(), "{c}");
        assert_eq!(c["usage_error"]["kind"], "permission", "{c}");
        assert!(
            c["usage_error"]["message"]
                .as_str()
                .unwrap()
                .contains("roles/monitoring.viewer"),
            "{c}"
        );
    }

    let out = run(&["check"], &server.url, dir.path()).await;
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("?/16"), "{table}");
    assert_eq!(
        table.matches("[permission]").count(),
        1,
        "one line for the reason: {table}"
    );
    assert!(table.contains("(38 checks)"), "{table}");

    let out = run(&["warm", "--once"], &server.url, dir.path()).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = std::fs::read_to_string(dir.path().join("cache_warm.log")).unwrap();
    let said: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CACHE_WARM_ERROR: usage of"))
        .collect();
    assert_eq!(said.len(), 1, "{log}");
    assert!(
        said[0].contains("roles/monitoring.viewer") && said[0].ends_with("[permission]"),
        "{}",
        said[0]
    );
    assert!(
        log.contains("✅ CACHE_WARM_COMPLETE: GPU 20/20, C3 18/18 - "),
        "{log}"
    );
    assert!(!log.contains("Cache is HOT! ("), "no check failed: {log}");
}
