//! Exit codes of `check` and `warm --once` (SPEC §9, one rule for both): 0 when any check
//! returned a value, 3 when every check failed authentication, 4 when every check failed
//! otherwise; and SERVICE_DISABLED on every call shown as one line with the activation URL.

mod common;

use std::time::Duration;

use common::quota_server::{Answer, QuotaServer, all_regions, service_disabled_body};
use serde_json::{Value, json};

const TOKEN: &str = "tok-exit-SECRET-5150";

fn google(code: u16, status: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message, "status": status}})
}

/// Every metric answered `code` with `body`, at once.
async fn server_answering(code: u16, body: Value) -> QuotaServer {
    QuotaServer::start(move |_| Answer::Custom {
        delay: Duration::from_millis(5),
        code,
        body: body.clone(),
        retry_after: None,
    })
    .await
}

async fn run(args: &[&str], url: &str, logs: &std::path::Path) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_quota-tui"));
    c.args(args).args(["--project", "test-project-1"]);
    // `check` writes no log and takes no --log-dir.
    if args.first() != Some(&"check") {
        c.arg("--log-dir").arg(logs);
    }
    c.env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .env("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN)
        .env("HOME", std::env::temp_dir())
        .env("XDG_CACHE_HOME", test_cache_dir())
        .env("QUOTA_TUI_SERVICEUSAGE_URL", url);
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

fn out(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const CHECK: &[&str] = &["check"];
const CHECK_JSON: &[&str] = &["check", "--json"];
const WARM_ONCE: &[&str] = &["warm", "--once", "--interval", "50ms"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_check_failing_exits_3_for_auth_and_4_for_anything_else() {
    let cases = [
        (
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials.",
            3,
        ),
        (
            403,
            "PERMISSION_DENIED",
            "Permission 'serviceusage.quotas.get' denied.",
            4,
        ),
        (404, "NOT_FOUND", "Metric not found.", 4),
    ];
    for (code, status, message, want) in cases {
        let server = server_answering(code, google(code, status, message)).await;
        for args in [CHECK, CHECK_JSON, WARM_ONCE] {
            let logs = tempfile::tempdir().unwrap();
            let o = run(args, &server.url, logs.path()).await;
            let text = out(&o);
            assert_eq!(o.status.code(), Some(want), "{code} {args:?}: {text}");
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(
                stderr.contains("no check returned a value: 38 failed"),
                "{code} {args:?}: {stderr}"
            );
            assert!(!text.contains(TOKEN));
            if args == CHECK_JSON {
                let v: Value = serde_json::from_slice(&o.stdout).expect("JSON still printed");
                assert_eq!(v["checks"].as_array().unwrap().len(), 38);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_value_among_failures_exits_0() {
    let server = QuotaServer::start(|m| {
        if m.starts_with("cloudbuild") {
            Answer::Quota {
                delay: Duration::from_millis(5),
                per_region: all_regions(176),
            }
        } else {
            Answer::Custom {
                delay: Duration::from_millis(5),
                code: 401,
                body: google(401, "UNAUTHENTICATED", "expired"),
                retry_after: None,
            }
        }
    })
    .await;
    for args in [CHECK, WARM_ONCE] {
        let logs = tempfile::tempdir().unwrap();
        let o = run(args, &server.url, logs.path()).await;
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", out(&o));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_disabled_on_every_call_is_one_line_with_the_url_and_exit_4() {
    let (body, url) = service_disabled_body(
        "serviceusage.googleapis.com",
        "Service Usage API",
        123456789012,
    );
    let server = server_answering(403, body).await;
    let logs = tempfile::tempdir().unwrap();

    let o = run(CHECK, &server.url, logs.path()).await;
    let text = out(&o);
    assert_eq!(o.status.code(), Some(4), "{text}");
    let with_url: Vec<&str> = text.lines().filter(|l| l.contains(&url)).collect();
    assert_eq!(with_url.len(), 1, "{text}");
    assert!(
        with_url[0].contains("Service Usage API (serviceusage.googleapis.com) is not enabled")
            && with_url[0].ends_with("(38 checks)"),
        "{}",
        with_url[0]
    );
    assert!(
        server.seen().len() < 38,
        "a disabled service is not asked 38 times"
    );

    let o = run(CHECK_JSON, &server.url, logs.path()).await;
    assert_eq!(o.status.code(), Some(4));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let checks = v["checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .all(|c| c["error"]["kind"] == "service_disabled"),
        "{v}"
    );

    // The warmer: at most one request per service in its cycle, the URL once in its log.
    let before = server.seen().len();
    let o = run(WARM_ONCE, &server.url, logs.path()).await;
    assert_eq!(o.status.code(), Some(4), "{}", out(&o));
    assert!(
        server.seen().len() - before <= 2,
        "{}",
        server.seen().len() - before
    );
    let log = std::fs::read_to_string(logs.path().join("cache_warm.log")).unwrap();
    assert_eq!(log.matches(url.as_str()).count(), 1, "{log}");
}

/// The snapshot folder of this test process, never the user's (`XDG_CACHE_HOME`).
fn test_cache_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("quota-tui-test-cache-{}", std::process::id()))
}
