//! `quota-tui launch` against the embedded demo GCP, end to end (issue 5): the fresh check
//! through the real Service Usage client, a CustomJob created and read back through the real
//! Vertex AI client, the `FRESH, launch T4` timing entry in the log folder, and a dry run.

use assert_cmd::Command;
use predicates::prelude::*;

fn launch(log_dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("quota-tui").unwrap();
    c.env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .env_remove("GOOGLE_OAUTH_ACCESS_TOKEN")
        .env_remove("QUOTA_TUI_AIPLATFORM_URL")
        .env_remove("QUOTA_TUI_SERVICEUSAGE_URL")
        .env("HOME", log_dir)
        .env("XDG_CONFIG_HOME", log_dir.join("config"))
        .args([
            "launch",
            "--gpu",
            "T4",
            "--count",
            "1",
            "--image",
            "gcr.io/x/y:1",
            "--demo-latency",
            "1ms..5ms",
            "--demo-error-rate",
            "0",
            "--log-dir",
        ])
        .arg(log_dir);
    c
}

#[test]
fn launch_on_the_demo_creates_and_reads_back_a_job() {
    let dir = tempfile::tempdir().unwrap();
    let out = launch(dir.path())
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(
                r"(?m)^Job:     projects/quota-tui-demo/locations/[a-z0-9-]+/customJobs/\d{19}$",
            )
            .unwrap(),
        )
        // Read back at once: the demo's job is queued for its first 2 s.
        .stdout(predicate::str::contains("State:   JOB_STATE_QUEUED"))
        .stdout(predicate::str::contains(
            "Machine: n1-standard-4 (1 × NVIDIA_TESLA_T4, SPOT)",
        ))
        .stdout(predicate::str::contains(
            "Console: https://console.cloud.google.com/vertex-ai/locations/",
        ))
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    // The job went to the region the ranking chose (the first line that fits).
    let region = out
        .lines()
        .find_map(|l| l.strip_prefix("Region:  "))
        .expect(&out);
    assert!(
        out.contains(&format!("/locations/{region}/customJobs/")),
        "{out}"
    );

    let timing = std::fs::read_to_string(dir.path().join("infra_verify_timing.log")).unwrap();
    assert!(timing.contains("FRESH, launch T4"), "{timing}");
    assert!(timing.contains("checks=4"), "{timing}");
}

#[test]
fn a_dry_run_prints_the_body_and_submits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = launch(dir.path())
        .args(["--dry-run", "--name", "dry-1"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Dry run: nothing submitted. Would POST http://127.0.0.1:",
        ))
        .stdout(predicate::str::contains("\"imageUri\": \"gcr.io/x/y:1\""))
        .stdout(predicate::str::contains("\"displayName\": \"dry-1\""))
        .stdout(predicate::str::contains("\"strategy\": \"SPOT\""))
        .stdout(predicate::str::contains("customJobs/").not())
        .get_output()
        .stdout
        .clone();
    assert!(!String::from_utf8(out).unwrap().contains("Job:"));
    let timing = std::fs::read_to_string(dir.path().join("infra_verify_timing.log")).unwrap();
    assert!(timing.contains("FRESH, launch T4"), "{timing}");
}
