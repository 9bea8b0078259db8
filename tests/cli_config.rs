//! Config files from the command line (issue 3.4): a bad file is an exit-2 error naming the
//! file and line, and nothing starts; a good file's project is used unless the environment or
//! a flag overrides it.

use std::process::Command;

fn bin(config: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_quota-tui"));
    c.env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .env_remove("CLOUDSDK_CONFIG") // gcloud's project is read from HOME's only
        .env("GOOGLE_OAUTH_ACCESS_TOKEN", "tok")
        .env("QUOTA_TUI_SERVICEUSAGE_URL", "http://127.0.0.1:9")
        .env("QUOTA_TUI_MONITORING_URL", "http://127.0.0.1:9")
        .arg("--config")
        .arg(config);
    c
}

fn write(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let p = dir.path().join("config.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_bad_file_exits_2_naming_the_line_and_starts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let p = write(&dir, "project = \"fine-project\"\nttl = \"half an hour\"\n");
    let out = bin(&p)
        .args(["warm", "--once", "--log-dir"])
        .arg(&logs)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("config.toml line 2") && err.contains("half an hour"),
        "{err}"
    );
    assert!(!logs.exists(), "nothing started: no log folder was made");

    let p = write(&dir, "project = [\n");
    let out = bin(&p).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line "));
}

#[test]
fn refresh_longer_than_ttl_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "ttl = \"5m\"\nrefresh = \"10m\"\n");
    let out = bin(&p).args(["check", "--demo"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refresh (10m) is longer than the TTL (5m)")
    );
}

#[test]
fn the_file_project_is_used_and_a_bad_one_names_itself() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "project = \"UPPER_case\"\n");
    let out = bin(&p).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'UPPER_case'"));
    // A flag overrides the file: the run goes on (to a closed port, reported per check).
    let out = bin(&p)
        .args([
            "check",
            "--json",
            "--project",
            "flag-project",
            "--check-timeout",
            "1s",
        ])
        .output()
        .unwrap();
    // Every check failed (nothing listens there): exit 4, the JSON still printed (SPEC §9).
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["project"], "flag-project");
    assert_eq!(v["checks"][0]["error"]["kind"], "unavailable");
}
