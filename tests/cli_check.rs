//! `quota-tui check` end to end (issue 3): against a local server answering every SPEC §4
//! shape and error at once, against the embedded demo, and with a bad project ID.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::quota_server::{Answer, QuotaServer, body};
use serde_json::{Value, json};

const TOKEN: &str = "tok-check-SECRET-77";

fn bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_quota-tui"));
    c.env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .env_remove("CLOUDSDK_CONFIG") // gcloud's project is read from HOME's only
        .env("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN)
        .env("HOME", std::env::temp_dir());
    c
}

async fn run(args: Vec<String>, url: Option<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let mut c = bin();
        c.args(&args);
        if let Some(u) = url {
            c.env("QUOTA_TUI_SERVICEUSAGE_URL", &u)
                .env("QUOTA_TUI_MONITORING_URL", &u);
        }
        c.output().unwrap()
    })
    .await
    .unwrap()
}

fn regions(pairs: &[(&str, i64)]) -> HashMap<String, i64> {
    pairs.iter().map(|(r, v)| (r.to_string(), *v)).collect()
}

fn find<'a>(checks: &'a [Value], gpu: Option<&str>, region: &str) -> &'a Value {
    checks
        .iter()
        .find(|c| c["gpu"].as_str() == gpu && c["region"] == region)
        .unwrap_or_else(|| panic!("no check {gpu:?} {region}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_json_reads_every_spec_shape_right() {
    let h200_calls = Arc::new(AtomicUsize::new(0));
    let calls = h200_calls.clone();
    let server = QuotaServer::start(move |m| {
        let quick = Duration::from_millis(20);
        if m.ends_with("preemptible_nvidia_t4_gpus") {
            // Only the default bucket (after a project-wide limit listed first).
            let mut b = body(m, &HashMap::new());
            b["consumerQuotaLimits"][1]["quotaBuckets"][0]["effectiveLimit"] = json!("8");
            Answer::Custom {
                delay: quick,
                code: 200,
                body: b,
                retry_after: None,
            }
        } else if m.ends_with("preemptible_nvidia_l4_gpus") {
            Answer::Quota {
                delay: quick,
                per_region: regions(&[
                    ("us-central1", 1),
                    ("us-east1", 0),
                    ("us-west1", -1),
                    ("europe-west4", 3),
                ]),
            }
        } else if m.ends_with("preemptible_nvidia_a100_gpus") {
            let mut b = body(
                m,
                &regions(&[
                    ("us-central1", 2),
                    ("us-east1", 2),
                    ("us-west1", 2),
                    ("europe-west4", 2),
                ]),
            );
            for bucket in b["consumerQuotaLimits"][1]["quotaBuckets"]
                .as_array_mut()
                .unwrap()
            {
                if bucket["dimensions"]["region"] == "europe-west4" {
                    bucket["effectiveLimit"] = json!("lots");
                }
            }
            Answer::Custom {
                delay: quick,
                code: 200,
                body: b,
                retry_after: None,
            }
        } else if m.ends_with("preemptible_nvidia_h100_gpus") {
            Answer::Error {
                delay: quick,
                code: 403,
                status: "PERMISSION_DENIED",
                message: "Permission denied on resource project test-project-1.",
            }
        } else if m.ends_with("preemptible_nvidia_h200_gpus") {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Answer::Custom {
                    delay: quick,
                    code: 429,
                    body: json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                        "message": "Quota exceeded for quota metric 'Queries'."}}),
                    retry_after: Some(1),
                }
            } else {
                Answer::Quota {
                    delay: quick,
                    per_region: common::quota_server::all_regions(5),
                }
            }
        } else {
            let per_region = quota_tui::catalog::DEFAULT_C3_REGIONS
                .iter()
                .enumerate()
                .map(|(i, r)| (r.to_string(), (i as i64) * 11))
                .collect();
            Answer::Quota {
                delay: quick,
                per_region,
            }
        }
    })
    .await;

    let out = run(
        vec![
            "check".into(),
            "--json".into(),
            "--project".into(),
            "test-project-1".into(),
        ],
        Some(server.url.clone()),
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains(TOKEN));
    let v: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(v["project"], "test-project-1");
    assert_eq!(v["demo"], false);
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 38);
    assert_eq!(checks[0]["gpu"], "T4");
    assert_eq!(checks[20]["kind"], "c3");

    for r in ["us-central1", "us-east1", "us-west1", "europe-west4"] {
        assert_eq!(find(checks, Some("T4"), r)["limit"], 8, "default bucket");
        assert_eq!(
            find(checks, Some("H200"), r)["limit"],
            5,
            "429, 429, then 200"
        );
        let h100 = find(checks, Some("H100"), r);
        assert_eq!(h100["limit"], Value::Null, "denied is never a zero");
        assert_eq!(h100["error"]["kind"], "permission");
        assert!(
            h100["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Permission denied on resource")
        );
    }
    assert_eq!(find(checks, Some("L4"), "us-central1")["limit"], 1);
    assert_eq!(find(checks, Some("L4"), "us-east1")["limit"], 0);
    let unlimited = find(checks, Some("L4"), "us-west1");
    assert_eq!(unlimited["unlimited"], true);
    assert_eq!(unlimited["limit"], Value::Null);
    assert_eq!(find(checks, Some("A100"), "us-central1")["limit"], 2);
    assert_eq!(
        find(checks, Some("A100"), "europe-west4")["error"]["kind"],
        "parse"
    );
    for (i, r) in quota_tui::catalog::DEFAULT_C3_REGIONS.iter().enumerate() {
        let c3 = find(checks, None, r);
        assert_eq!(
            c3["limit"],
            (i as i64) * 11,
            "C3 {r}: build_origin=default, not the decoy"
        );
        assert_eq!(
            c3["metric"],
            "cloudbuild.googleapis.com/concurrent_private_pool_c3_build_cpus"
        );
    }
    // One H200 request (it answers the four regions): 429, 429, then 200.
    assert_eq!(
        h200_calls.load(Ordering::SeqCst),
        3,
        "the 429s were retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_json_against_the_embedded_demo() {
    let out = run(
        [
            "check",
            "--json",
            "--demo-latency",
            "1ms..5ms",
            "--demo-error-rate",
            "0",
        ]
        .map(String::from)
        .to_vec(),
        None,
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["demo"], true);
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 38);
    assert!(checks.iter().all(|c| c["error"].is_null()), "{v}");
    assert!(
        checks
            .iter()
            .all(|c| c["limit"].is_i64() || c["unlimited"] == true)
    );
    // The demo leaves zero limits out as Google does; they still read as values.
    assert!(checks.iter().any(|c| c["limit"] == 0), "{v}");
    assert!(out.status.code() == Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_project_exits_2_and_sends_nothing() {
    let server = QuotaServer::start(|_| Answer::Hang).await;
    let out = run(
        ["check", "--project", "Bad/../x"]
            .map(String::from)
            .to_vec(),
        Some(server.url.clone()),
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Bad/../x"), "{stderr}");
    assert!(server.seen().is_empty(), "no request may be sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credentials_exits_3_with_what_to_run() {
    let out = tokio::task::spawn_blocking(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_quota-tui"))
            .args(["check", "--project", "test-project-1"])
            .env_remove("GOOGLE_OAUTH_ACCESS_TOKEN")
            // A key file that does not exist: gcp_auth fails at its first source, so the test
            // never probes the GCE metadata server (no traffic leaves loopback).
            .env("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/key.json")
            .env("HOME", "/nonexistent-home")
            .env("PATH", "/nonexistent-bin") // no gcloud
            .env("QUOTA_TUI_SERVICEUSAGE_URL", "http://127.0.0.1:9")
            .env("QUOTA_TUI_MONITORING_URL", "http://127.0.0.1:9")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("gcloud auth application-default login"),
        "{stderr}"
    );
}
