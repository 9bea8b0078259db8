//! Nothing from outside reaches a terminal or a file raw (issue 11, SPEC §4, §8, §9): the
//! release-shaped binary against a hostile Google whose `error.message` clears the screen
//! (`ESC[2J`), retitles the terminal (OSC `ESC]0;pwned BEL`), sends a C1 CSI and a bidi
//! override, and forges a whole `✅ CACHE_WARM_COMPLETE` line with a newline; against 50 MB
//! messages; and with stdout's pipe closed by its reader.

mod common;
#[path = "common/hostile_server.rs"]
mod hostile;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use axum::body::Bytes;
use common::quota_server::{all_regions, body};
use hostile::{Answer, HOSTILE_MESSAGE, HostileServer, google_error, huge_google_error};

const TOKEN: &str = "tok-hostile-SECRET-11";
/// The time stamp of the line the hostile message tries to forge.
const FORGED_STAMP: &str = "2026-11-21T02:45:33";

fn bin(url: &str, log_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_quota-tui"));
    c.env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .env("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN)
        .env("HOME", log_dir)
        .env("XDG_CONFIG_HOME", log_dir.join("config"))
        .env("QUOTA_TUI_SERVICEUSAGE_URL", url)
        .env("QUOTA_TUI_AIPLATFORM_URL", url)
        .env("QUOTA_TUI_MONITORING_URL", url)
        .env("RUST_LOG", "debug")
        .args(["--project", "my-project"]);
    c
}

/// [`bin`] for a command that writes logs (`warm`, `launch`): they go to `log_dir`.
fn logged_bin(url: &str, log_dir: &Path) -> Command {
    let mut c = bin(url, log_dir);
    c.arg("--log-dir").arg(log_dir);
    c
}

/// The metric a Service Usage path asks for, if it is one.
fn metric(path: &str) -> Option<&str> {
    path.split_once("/consumerQuotaMetrics/").map(|(_, m)| m)
}

/// Every quota metric answers `limit` in every region, except those containing `failing`,
/// which answer `error` with status `code`; Vertex AI answers `vertex`.
fn hostile_server(failing: &'static str, code: u16, error: Bytes, vertex: Answer) -> HostileServer {
    HostileServer::start_in_thread(move |_, path| match metric(path) {
        Some(m) if m.contains(failing) => Answer::Full(code, error.clone()),
        Some(m) => Answer::Full(200, Bytes::from(body(m, &all_regions(4)).to_string())),
        None => vertex.clone(),
    })
}

fn hostile_403() -> Bytes {
    google_error(403, "PERMISSION_DENIED", HOSTILE_MESSAGE)
}

fn no_vertex() -> Answer {
    Answer::Full(404, google_error(404, "NOT_FOUND", "no such job"))
}

/// Text that may reach a terminal: no byte below 0x20 but the newline, no C1 control, no
/// bidi override or isolate; and no line forged by the hostile message.
fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad: Vec<(usize, char)> = text
        .char_indices()
        .filter(|&(_, c)| {
            (c.is_control() && c != '\n')
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .collect();
    assert!(bad.is_empty(), "{what}: raw {bad:?} in\n{text}");
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with(FORGED_STAMP),
            "{what}: forged line {line:?}"
        );
    }
}

/// `YYYY-MM-DDTHH:MM:SS ` at the start of `line`.
fn starts_with_timestamp(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 20
        && b[..19].iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
        && b[19] == b' '
}

fn run(c: &mut Command) -> Output {
    c.stdin(Stdio::null()).output().unwrap()
}

#[test]
fn warm_once_logs_google_text_escaped_and_no_forged_line() {
    // A 503 is retried, so the debug lines of quota-tui.log carry the message too.
    let unavailable = google_error(503, "UNAVAILABLE", HOSTILE_MESSAGE);
    let server = hostile_server("nvidia_t4", 503, unavailable, no_vertex());
    let dir = tempfile::tempdir().unwrap();
    let out = run(logged_bin(&server.url, dir.path()).args([
        "warm",
        "--once",
        "--interval",
        "50ms",
        "--check-timeout",
        "1s",
    ]));
    assert_clean("warm stdout", &out.stdout);
    assert_clean("warm stderr", &out.stderr);

    let log = std::fs::read(dir.path().join("cache_warm.log")).unwrap();
    assert_clean("cache_warm.log", &log);
    let log = String::from_utf8(log).unwrap();
    for line in log.lines() {
        assert!(
            line.starts_with('#') || starts_with_timestamp(line),
            "a line that is neither a comment nor an event: {line:?}\n{log}"
        );
    }
    let complete: Vec<&str> = log
        .lines()
        .filter(|l| starts_with_timestamp(l) && l[20..].starts_with("✅ CACHE_WARM_COMPLETE"))
        .collect();
    assert_eq!(complete.len(), 1, "{log}");
    assert!(
        !complete[0].contains("Cache is HOT!\\u"),
        "the real line: {}",
        complete[0]
    );
    // Google's message is there, its escapes visible.
    let error_line = log
        .lines()
        .find(|l| l.contains("💥 CACHE_WARM_ERROR: T4 "))
        .expect(&log);
    assert!(
        error_line.contains(
            "Permission denied\\u{1b}[2J\\u{1b}]0;pwned\\u{7}⏎2026-11-21T02:45:33 ✅ CACHE_WARM_COMPLETE"
        ),
        "{error_line}"
    );
    assert!(
        error_line.contains("\\u{9b}31m\\u{202e}gnp.exe"),
        "{error_line}"
    );

    let app_log = std::fs::read(dir.path().join("quota-tui.log")).unwrap();
    assert_clean("quota-tui.log", &app_log);
    let app_log = String::from_utf8_lossy(&app_log);
    assert!(
        app_log.contains("Permission denied\\u{1b}[2J"),
        "the debug retry lines name the error"
    );
    assert!(!app_log.contains(TOKEN));
}

#[test]
fn check_prints_google_text_escaped_in_the_table_and_exact_in_json() {
    let server = hostile_server("nvidia_t4", 403, hostile_403(), no_vertex());
    let dir = tempfile::tempdir().unwrap();
    let table = run(bin(&server.url, dir.path()).arg("check"));
    assert_clean("check stdout", &table.stdout);
    assert_clean("check stderr", &table.stderr);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("  T4 us-central1: [permission] permission denied (403 PERMISSION_DENIED): Permission denied\\u{1b}[2J\\u{1b}]0;pwned\\u{7}⏎2026-11-21T02:45:33"),
        "{text}"
    );

    let json = run(bin(&server.url, dir.path()).args(["check", "--json"]));
    assert_clean("check --json stdout", &json.stdout);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let t4 = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["gpu"] == "T4" && c["region"] == "us-central1")
        .unwrap();
    assert_eq!(
        t4["error"]["message"],
        format!("permission denied (403 PERMISSION_DENIED): {HOSTILE_MESSAGE}"),
        "JSON keeps Google's text as it came"
    );
}

#[test]
fn launch_stderr_and_stdout_show_google_text_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let launch = |url: &str| {
        let mut c = logged_bin(url, dir.path());
        c.args(["launch", "--gpu", "L4", "--image", "gcr.io/x/y:1"])
            .args(["--name", "train-l4", "--check-timeout", "2s"]);
        run(&mut c)
    };

    // Every region's fresh check fails with the hostile message.
    let server = hostile_server("nvidia_l4", 403, hostile_403(), no_vertex());
    let out = launch(&server.url);
    assert!(matches!(out.status.code(), Some(4 | 5)), "{:?}", out.status);
    assert_clean("launch stderr (fresh check)", &out.stderr);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Permission denied\\u{1b}[2J"), "{stderr}");

    // The quota fits; the create is refused with the hostile message.
    let refused = Answer::Full(400, google_error(400, "INVALID_ARGUMENT", HOSTILE_MESSAGE));
    let server = hostile_server("no metric has this", 403, hostile_403(), refused);
    let out = launch(&server.url);
    assert_eq!(out.status.code(), Some(4), "{:?}", out);
    assert_clean("launch stdout (create refused)", &out.stdout);
    assert_clean("launch stderr (create refused)", &out.stderr);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("pwned\\u{7}⏎2026-11-21T02:45:33"),
        "{stderr}"
    );

    // Every region asked refuses the create: its quota is in use (Vertex AI's 429), with
    // the hostile text in Google's message.
    let in_use = Answer::Full(
        429,
        google_error(
            429,
            "RESOURCE_EXHAUSTED",
            &format!("The following quota metrics exceed quota limits: {HOSTILE_MESSAGE}"),
        ),
    );
    let server = hostile_server("no metric has this", 403, hostile_403(), in_use);
    let out = launch(&server.url);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    assert_clean("launch stdout (quota in use)", &out.stdout);
    assert_clean("launch stderr (quota in use)", &out.stderr);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("quota in use in us-central1 (429 RESOURCE_EXHAUSTED): The following quota metrics exceed quota limits: Permission denied\\u{1b}[2J"), "{stderr}");

    // The create answers a job whose name and state are hostile.
    let job = serde_json::json!({
        "name": format!("projects/1/locations/us-central1/customJobs/7{HOSTILE_MESSAGE}"),
        "displayName": format!("train-l4{HOSTILE_MESSAGE}"),
        "state": format!("JOB_STATE_PENDING{HOSTILE_MESSAGE}"),
    });
    let created = Answer::Full(200, Bytes::from(job.to_string()));
    let server = hostile_server("no metric has this", 403, hostile_403(), created);
    let out = launch(&server.url);
    assert_clean("launch stdout (hostile job)", &out.stdout);
    assert_clean("launch stderr (hostile job)", &out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("State:   JOB_STATE_PENDINGPermission denied\\u{1b}[2J"),
        "{stdout}"
    );
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn a_50_mb_message_gives_output_under_1_mib() {
    let server = HostileServer::start_in_thread({
        let huge = huge_google_error(403, "PERMISSION_DENIED", 50 << 20);
        move |_, _| Answer::Full(403, huge.clone())
    });
    let dir = tempfile::tempdir().unwrap();
    for args in [&["check", "--json"][..], &["check"][..]] {
        let out = run(bin(&server.url, dir.path()).args(args));
        assert!(
            out.stdout.len() < 1 << 20,
            "{args:?}: {} bytes on stdout",
            out.stdout.len()
        );
        assert!(
            out.stderr.len() < 1 << 20,
            "{args:?}: {} bytes",
            out.stderr.len()
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("permission"),
            "{args:?}: the checks still say what failed"
        );
    }
}

#[test]
fn a_closed_stdout_pipe_ends_check_quietly() {
    let server = hostile_server("no metric has this", 403, hostile_403(), no_vertex());
    let dir = tempfile::tempdir().unwrap();

    // The reader is gone before anything is written: the write meets EPIPE.
    let mut child = bin(&server.url, dir.path())
        .args(["check", "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(141), "stderr: {stderr}");
    assert_eq!(stderr, "", "quiet");

    // As a shell runs it: `check --json | head -c 5`.
    let pipeline =
        "\"$0\" check --json --project my-project | head -c 5; echo \" ${PIPESTATUS[0]}\"";
    let out = Command::new("bash")
        .args(["-c", pipeline, env!("CARGO_BIN_EXE_quota-tui")])
        .envs(
            bin(&server.url, dir.path())
                .get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (head, code) = stdout.split_at(5);
    assert_eq!(head, "{\n  \"", "{stdout}");
    assert!(
        matches!(code.trim(), "0" | "141"),
        "check's status {code}, stderr {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
