//! Credentials end to end through Google's own library (SPEC §4; issue 10 items 4 and 6,
//! issue 11's malformed token): the binary, with no `GOOGLE_OAUTH_ACCESS_TOKEN`, an
//! `authorized_user` file whose `token_uri` points at a local token endpoint and which carries
//! a `quota_project_id`, against the embedded fake behind a recording proxy. HOME and
//! CLOUDSDK_CONFIG are temporary folders, so the developer's own gcloud files are never read,
//! and PATH holds no gcloud.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::google_proxy::{ApiCall, GoogleProxy};
use serde_json::{Value, json};

const ISSUED: &str = "ya29.e2e-ISSUED-token-77";
const REFRESH: &str = "1//e2e-REFRESH-token-88";
const SECRET: &str = "e2e-CLIENT-secret-99";
const PROJECT: &str = "e2e-project";
const FILE_QUOTA: &str = "file-billing";

/// A temporary home: HOME, an empty CLOUDSDK_CONFIG, an empty PATH, a log dir.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        for d in ["home", "gcloud", "bin", "logs"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
        }
        Home { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// Write an `authorized_user` credentials file as `gcloud auth application-default login`
    /// writes it, with `token_uri` pointing at `token_uri`.
    fn authorized_user(&self, name: &str, token_uri: &str) -> PathBuf {
        let p = self.path(name);
        let body = json!({
            "account": "",
            "client_id": "764086051850-e2e.apps.googleusercontent.com",
            "client_secret": SECRET,
            "quota_project_id": FILE_QUOTA,
            "refresh_token": REFRESH,
            "token_uri": token_uri,
            "type": "authorized_user",
            "universe_domain": "googleapis.com"
        });
        std::fs::write(&p, body.to_string()).unwrap();
        p
    }

    /// The binary with a clean environment: only what the test sets.
    fn cmd(&self, proxy_url: &str) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_quota-tui"));
        c.env_clear()
            .env("HOME", self.path("home"))
            .env("CLOUDSDK_CONFIG", self.path("gcloud"))
            .env("PATH", self.path("bin"))
            .env("NO_GCE_CHECK", "True")
            .env("RUST_LOG", "debug")
            .env("QUOTA_TUI_SERVICEUSAGE_URL", proxy_url)
            .env("QUOTA_TUI_AIPLATFORM_URL", proxy_url)
            .env("QUOTA_TUI_MONITORING_URL", proxy_url);
        c
    }

    /// [`Home::cmd`] for a command that writes logs (`launch`, `warm`): they go to `logs/`.
    fn logged_cmd(&self, proxy_url: &str) -> std::process::Command {
        let mut c = self.cmd(proxy_url);
        c.arg("--log-dir").arg(self.path("logs"));
        c
    }
}

async fn output(mut c: std::process::Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// No secret in `s`.
fn assert_no_secret(what: &str, s: &str) {
    for secret in [
        ISSUED,
        REFRESH,
        SECRET,
        "e2e-ISSUED",
        "e2e-REFRESH",
        "e2e-CLIENT",
    ] {
        assert!(!s.contains(secret), "{secret} leaked into {what}:\n{s}");
    }
}

fn log_files(dir: &Path) -> Vec<(String, String)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorized_user_file_works_end_to_end_through_google_cloud_auth() {
    let proxy = GoogleProxy::start(ISSUED).await;
    let home = Home::new();
    let adc = home.authorized_user("adc.json", &proxy.token_uri());

    // check: the refresh-token exchange, then Service Usage with the issued token.
    let mut c = home.cmd(&proxy.url);
    c.env("GOOGLE_APPLICATION_CREDENTIALS", &adc).args([
        "check",
        "--project",
        PROJECT,
        "--check-timeout",
        "5s",
    ]);
    let out = output(c).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("project: {PROJECT} (from --project)")),
        "{stderr}"
    );
    let exchanges = proxy.token_requests();
    assert!(!exchanges.is_empty(), "no refresh-token exchange happened");
    assert_eq!(exchanges[0]["grant_type"], "refresh_token");
    assert_eq!(exchanges[0]["refresh_token"], REFRESH);
    assert_eq!(exchanges[0]["client_secret"], SECRET);
    let (calls, usage) = quota_and_usage(proxy.calls());
    assert_eq!(calls.len(), 6, "one Service Usage call per metric");
    assert!(usage.len() >= 6, "and the usage of each (paginated)");
    for call in &usage {
        assert!(call.path == format!("/v3/projects/{PROJECT}/timeSeries"));
    }
    for call in calls.iter().chain(&usage) {
        assert!(
            call.path
                .starts_with(&format!("/v1beta1/projects/{PROJECT}/"))
                || call.path.starts_with(&format!("/v3/projects/{PROJECT}/"))
        );
        assert_eq!(
            call.authorization.as_deref(),
            Some(&*format!("Bearer {ISSUED}"))
        );
        assert_eq!(call.user_project.as_deref(), Some(FILE_QUOTA));
    }
    assert!(!stdout.contains('!'), "every check has a value:\n{stdout}");
    assert_no_secret("check stdout", &stdout);
    assert_no_secret("check stderr", &stderr);

    // launch --dry-run: fresh checks, nothing submitted.
    let before = proxy.calls().len();
    let mut c = home.logged_cmd(&proxy.url);
    c.env("GOOGLE_APPLICATION_CREDENTIALS", &adc).args([
        "launch",
        "--project",
        PROJECT,
        "--gpu",
        "T4",
        "--image",
        "us-docker.pkg.dev/p/r/i:1",
        "--dry-run",
    ]);
    let out = output(c).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        proxy.calls()[before..].iter().all(|c| c.method == "GET"),
        "a dry run posts nothing"
    );
    assert_no_secret("launch --dry-run output", &(stdout + &stderr));

    // A real launch against the fake Vertex AI: the create carries the quota project.
    let mut c = home.logged_cmd(&proxy.url);
    c.env("GOOGLE_APPLICATION_CREDENTIALS", &adc).args([
        "launch",
        "--project",
        PROJECT,
        "--gpu",
        "T4",
        "--image",
        "us-docker.pkg.dev/p/r/i:1",
        "--name",
        "e2e-job",
    ]);
    let out = output(c).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let vertex: Vec<_> = proxy
        .calls()
        .into_iter()
        .filter(|c| c.path.starts_with("/v1/projects/"))
        .collect();
    let posts = vertex.iter().filter(|c| c.method == "POST").count();
    assert_eq!(posts, 1, "exactly one create: {vertex:?}");
    for call in &vertex {
        assert_eq!(call.user_project.as_deref(), Some(FILE_QUOTA), "{call:?}");
        assert_eq!(
            call.authorization.as_deref(),
            Some(&*format!("Bearer {ISSUED}"))
        );
    }
    assert_eq!(proxy.fake.stats().custom_jobs.len(), 1);
    assert_no_secret("launch output", &(stdout + &stderr));

    // warm --once writes the three log files at debug level: no secret in any of them.
    let mut c = home.logged_cmd(&proxy.url);
    c.env("GOOGLE_APPLICATION_CREDENTIALS", &adc).args([
        "warm",
        "--once",
        "--interval",
        "10ms",
        "--project",
        PROJECT,
    ]);
    let out = output(c).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_no_secret("warm output", &(text(&out.stdout) + &text(&out.stderr)));
    let logs = log_files(&home.path("logs"));
    // The three logs, and the log folder's lock file (pid, host, start time).
    assert_eq!(
        logs.iter().filter(|l| l.0.ends_with(".log")).count(),
        3,
        "{:?}",
        logs.iter().map(|l| &l.0).collect::<Vec<_>>()
    );
    for (name, body) in &logs {
        assert_no_secret(name, body);
    }
    let main_log = logs
        .iter()
        .find(|l| l.0.ends_with("quota-tui.log"))
        .unwrap();
    assert!(
        main_log.1.contains("authorized_user credentials file"),
        "the log names the source: {}",
        main_log.1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_billing_project_flag_and_variable_override_the_file() {
    let proxy = GoogleProxy::start(ISSUED).await;
    let home = Home::new();
    let adc = home.authorized_user("adc.json", &proxy.token_uri());
    for (flag, env, want) in [
        (Some("flag-billing"), Some("env-billing"), "flag-billing"),
        (None, Some("env-billing"), "env-billing"),
    ] {
        let before = proxy.calls().len();
        let mut c = home.cmd(&proxy.url);
        c.env("GOOGLE_APPLICATION_CREDENTIALS", &adc).args([
            "check",
            "--json",
            "--project",
            PROJECT,
        ]);
        if let Some(f) = flag {
            c.args(["--billing-project", f]);
        }
        if let Some(e) = env {
            c.env("GOOGLE_CLOUD_QUOTA_PROJECT", e);
        }
        let out = output(c).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let calls = proxy.calls();
        assert!(calls.len() > before);
        assert!(
            calls[before..]
                .iter()
                .all(|c| c.user_project.as_deref() == Some(want)),
            "{want}: {:?}",
            &calls[before..before + 1]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcloud_s_adc_file_is_found_through_cloudsdk_config() {
    let proxy = GoogleProxy::start(ISSUED).await;
    let home = Home::new();
    home.authorized_user(
        "gcloud/application_default_credentials.json",
        &proxy.token_uri(),
    );
    let mut c = home.cmd(&proxy.url);
    c.args(["check", "--json", "--project", PROJECT]);
    let out = output(c).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(proxy.token_requests().len(), 1);
    let (calls, usage) = quota_and_usage(proxy.calls());
    assert_eq!(calls.len(), 6, "one Service Usage call per metric");
    assert!(
        calls
            .iter()
            .chain(&usage)
            .all(|c| c.user_project.as_deref() == Some(FILE_QUOTA))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_credentials_file_exits_3_naming_file_and_type_and_sends_nothing() {
    let proxy = GoogleProxy::start(ISSUED).await;
    let home = Home::new();
    // A usable gcloud ADC file is there too: never a silent fall-through to it.
    home.authorized_user(
        "gcloud/application_default_credentials.json",
        &proxy.token_uri(),
    );
    let bad_type = home.path("gdch.json");
    std::fs::write(
        &bad_type,
        r#"{"type": "gdch_service_account", "format_version": "1"}"#,
    )
    .unwrap();
    let missing_field = home.path("partial.json");
    std::fs::write(
        &missing_field,
        r#"{"type": "authorized_user", "client_id": "x", "client_secret": "e2e-CLIENT-secret-99"}"#,
    )
    .unwrap();
    let not_a_file = home.path("bin"); // a directory: unreadable as a credentials file
    let cases: [(&Path, &[&str]); 3] = [
        (&bad_type, &["type 'gdch_service_account'", "cannot use"]),
        (&missing_field, &["type authorized_user", "refresh_token"]),
        (&not_a_file, &["not a regular file", "type unknown"]),
    ];
    for (file, wants) in cases {
        let mut c = home.cmd(&proxy.url);
        c.env("GOOGLE_APPLICATION_CREDENTIALS", file)
            .args(["check", "--project", PROJECT]);
        let out = output(c).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains(&file.display().to_string()), "{stderr}");
        for w in wants {
            assert!(stderr.contains(w), "{w}: {stderr}");
        }
        assert_no_secret("stderr", &stderr);
    }
    assert!(proxy.calls().is_empty(), "nothing was sent");
    assert!(proxy.token_requests().is_empty(), "no token was asked for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_token_is_an_auth_error_never_retried() {
    // From the environment: refused before anything is sent, exit 3.
    let proxy = GoogleProxy::start("ya29.bad\nSECOND-LINE").await;
    let home = Home::new();
    let mut c = home.cmd(&proxy.url);
    c.env(
        "GOOGLE_OAUTH_ACCESS_TOKEN",
        "ya29.a\r\nInjected: e2e-ISSUED",
    )
    .args(["check", "--project", PROJECT]);
    let out = output(c).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("GOOGLE_OAUTH_ACCESS_TOKEN is malformed: it contains a line break"),
        "{stderr}"
    );
    assert_no_secret("stderr", &stderr);
    assert!(proxy.calls().is_empty());

    // Issued by the token endpoint: every check fails `auth` after one attempt; no API call.
    let adc = home.authorized_user("adc.json", &proxy.token_uri());
    let mut c = home.cmd(&proxy.url);
    c.env("GOOGLE_APPLICATION_CREDENTIALS", &adc)
        .args(["check", "--json", "--project", PROJECT]);
    let out = output(c).await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "every check failed authentication"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 38);
    for c in checks {
        assert_eq!(c["error"]["kind"], "auth", "{c}");
        let m = c["error"]["message"].as_str().unwrap();
        assert!(m.contains("is malformed: it contains a line break"), "{m}");
        assert!(!m.contains("SECOND-LINE"), "{m}");
        assert!(!m.contains(" tries"), "one attempt, never retried: {m}");
    }
    assert!(proxy.calls().is_empty(), "a malformed token is never sent");
    assert_eq!(
        proxy.token_requests().len(),
        1,
        "and never re-fetched in a loop"
    );
}

/// Write an executable `gcloud` script into the home's PATH.
#[cfg(unix)]
fn fake_gcloud(home: &Home, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    let p = home.path("bin/gcloud");
    std::fs::write(&p, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gcloud_cli_comes_last_and_its_failure_is_an_auth_error() {
    let proxy = GoogleProxy::start(ISSUED).await;
    let home = Home::new();
    // No ADC file, not a Google Cloud machine: gcloud's own login gives the token.
    fake_gcloud(
        &home,
        r#"[ "$1 $2" = "auth print-access-token" ] || exit 9; echo "ya29.from-GCLOUD-cli""#,
    );
    let mut c = home.cmd(&proxy.url);
    c.args([
        "check",
        "--json",
        "--project",
        PROJECT,
        "--billing-project",
        "cli-billing",
    ]);
    let out = output(c).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (calls, usage) = quota_and_usage(proxy.calls());
    assert_eq!(calls.len(), 6, "one Service Usage call per metric");
    assert!(calls.iter().chain(&usage).all(|c| {
        c.authorization.as_deref() == Some("Bearer ya29.from-GCLOUD-cli")
            && c.user_project.as_deref() == Some("cli-billing")
    }));
    assert!(!text(&out.stdout).contains("from-GCLOUD"));

    fake_gcloud(
        &home,
        "echo 'ERROR: (gcloud.auth.print-access-token) You do not currently have an active account selected.' >&2; exit 1",
    );
    let sent = proxy.calls().len();
    let mut c = home.cmd(&proxy.url);
    c.args(["check", "--project", PROJECT]);
    let out = output(c).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("the gcloud CLI gave no access token: ERROR: (gcloud.auth.print-access-token) You do not currently have an active account selected."),
        "{stderr}"
    );
    assert_eq!(proxy.calls().len(), sent, "nothing more was sent");
}

/// The Service Usage calls and the Cloud Monitoring (usage) calls among `calls`.
fn quota_and_usage(calls: Vec<ApiCall>) -> (Vec<ApiCall>, Vec<ApiCall>) {
    calls
        .into_iter()
        .partition(|c| !c.path.ends_with("/timeSeries"))
}
