//! The command line as a user reads it: each command's `--help` lists only the flags that
//! mean something to it, says every default, and cites nothing internal; a dashboard flag
//! given before a command that does not take it is refused; `launch --region` outside the
//! GPU regions and Vertex AI's training regions is refused before any request.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use wiremock::MockServer;

fn bin(home: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_quota-tui"));
    c.env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .env_remove("CLOUDSDK_CONFIG")
        .env_remove("QUOTA_TUI_SERVICEUSAGE_URL")
        .env_remove("QUOTA_TUI_AIPLATFORM_URL")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"));
    c
}

fn run(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    bin(home.path()).args(args).output().unwrap()
}

fn help(command: &str) -> String {
    let mut args: Vec<&str> = command.split_whitespace().collect();
    args.push("--help");
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{command} --help");
    String::from_utf8(out.stdout).unwrap()
}

/// One option of a help text: its long name, whether it takes a value, its description.
#[derive(Debug)]
struct Flag {
    long: String,
    takes_value: bool,
    text: String,
}

/// The options of a `--help` text (clap's long format: an option line indented at most six
/// spaces, its description indented ten).
fn flags(help: &str) -> Vec<Flag> {
    let mut flags: Vec<Flag> = Vec::new();
    for line in help.lines() {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        if (1..=6).contains(&indent) && t.starts_with('-') {
            let long = t
                .split([' ', ','])
                .find(|w| w.starts_with("--"))
                .unwrap_or(t)
                .to_string();
            flags.push(Flag {
                long,
                takes_value: t.contains('<'),
                text: String::new(),
            });
        } else if indent >= 10 {
            if let Some(f) = flags.last_mut() {
                f.text.push_str(t);
                f.text.push(' ');
            }
        } else if indent == 0 && !t.is_empty() {
            // A heading ends the description before it.
            flags.push(Flag {
                long: String::new(),
                takes_value: false,
                text: String::new(),
            });
        }
    }
    flags.retain(|f| !f.long.is_empty());
    flags
}

fn longs(help: &str) -> Vec<String> {
    flags(help).into_iter().map(|f| f.long).collect()
}

const COMMANDS: [&str; 8] = [
    "",
    "warm",
    "check",
    "launch",
    "config",
    "fake-gcp",
    "completions",
    "man",
];

#[test]
fn each_command_lists_only_the_flags_that_apply() {
    let expect: &[(&str, &[&str], &[&str])] = &[
        (
            "",
            &[
                "--log-dir",
                "--interval",
                "--ttl",
                "--refresh",
                "--check-timeout",
                "--project",
            ],
            &["--once", "--json", "--port"],
        ),
        (
            "warm",
            &[
                "--once",
                "--force",
                "--json",
                "--log-dir",
                "--interval",
                "--ttl",
                "--refresh",
            ],
            &["--port", "--spot"],
        ),
        (
            "check",
            &[
                "--json",
                "--spot",
                "--on-demand",
                "--check-timeout",
                "--project",
                "--demo",
            ],
            &[
                "--interval",
                "--ttl",
                "--refresh",
                "--log-dir",
                "--once",
                "--force",
            ],
        ),
        (
            "launch",
            &[
                "--gpu",
                "--region",
                "--project",
                "--config",
                "--check-timeout",
                "--log-dir",
            ],
            &["--interval", "--ttl", "--refresh", "--spot"],
        ),
        (
            "config",
            &[
                "--json",
                "--project",
                "--log-dir",
                "--interval",
                "--ttl",
                "--check-timeout",
            ],
            &["--demo-latency", "--demo-seed", "--once"],
        ),
        (
            "fake-gcp",
            &["--port", "--latency", "--error-rate", "--seed"],
            &[
                "--project",
                "--demo-latency",
                "--interval",
                "--log-dir",
                "--config",
            ],
        ),
        ("completions", &["--help"], &["--project", "--interval"]),
        ("man", &["--help"], &["--project", "--interval"]),
    ];
    for (command, has, lacks) in expect {
        let got = longs(&help(command));
        for f in *has {
            assert!(
                got.iter().any(|g| g == f),
                "'{command} --help' lacks {f}: {got:?}"
            );
        }
        for f in *lacks {
            assert!(
                !got.iter().any(|g| g == f),
                "'{command} --help' lists {f}: {got:?}"
            );
        }
    }
}

#[test]
fn help_texts_cite_nothing_internal_and_leave_no_sentence_unfinished() {
    for command in COMMANDS {
        let text = help(command);
        for bad in ["SPEC", "§", "issue ", "...", "TODO", "FIXME"] {
            assert!(
                !text.contains(bad),
                "'{command} --help' contains {bad:?}:\n{text}"
            );
        }
    }
    let warm = help("warm");
    let force = flags(&warm)
        .into_iter()
        .find(|f| f.long == "--force")
        .unwrap();
    assert!(
        force
            .text
            .starts_with("Start a cycle at once even when the cache is fresh"),
        "{force:?}"
    );
}

/// Every flag that takes a value says its default, unless it is required (`launch --gpu`,
/// `--image`); every duration flag says it is a duration.
#[test]
fn every_flag_with_a_value_says_its_default() {
    for command in COMMANDS {
        for f in flags(&help(command)) {
            if !f.takes_value || (command == "launch" && ["--gpu", "--image"].contains(&&*f.long)) {
                continue;
            }
            assert!(
                f.text.contains("[default:"),
                "'{command} {}' says no default: {f:?}",
                f.long
            );
        }
    }
    let dashboard = help("");
    for line in dashboard.lines().filter(|l| {
        ["--interval", "--ttl", "--refresh", "--check-timeout"]
            .iter()
            .any(|f| l.trim_start().starts_with(f))
    }) {
        assert!(line.contains("<DURATION>"), "{line}");
    }
}

#[test]
fn the_dashboard_help_has_a_description_and_examples() {
    for flag in ["-h", "--help"] {
        let out = run(&[flag]);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.starts_with("GPU and C3 quota dashboard for a Google Cloud project"),
            "{text}"
        );
        assert!(text.contains("\nExamples:\n"), "{text}");
        for (line, _) in quota_tui::cli::EXAMPLES {
            assert!(
                text.contains(line),
                "{flag} lacks the example {line}:\n{text}"
            );
        }
    }
}

#[test]
fn a_flag_before_a_command_that_does_not_take_it_is_refused() {
    let t0 = Instant::now();
    let out = run(&["--ttl", "5m", "check", "--json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "'--ttl' is not a flag of 'check'; the dashboard, 'warm' and 'config' take it"
        ),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "refused before anything ran"
    );

    let out = run(&["--interval", "2s", "fake-gcp"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["check", "--interval", "2s"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--interval"), "{err}");
}

#[test]
fn a_flag_before_a_command_that_takes_it_still_applies() {
    // --demo, the demo's knobs and --check-timeout before `check` reach it: a demo whose
    // every answer is a 503 or a 429 fails every check within the 1 s deadline (exit 4); the
    // default error rate (0.03) would leave nearly all of them answered.
    let t0 = Instant::now();
    let out = run(&[
        "--demo",
        "--demo-latency",
        "1ms..3ms",
        "--demo-error-rate",
        "1",
        "--check-timeout",
        "1s",
        "check",
        "--json",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["demo"], true);
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 38);
    for c in checks {
        let kind = c["error"]["kind"].as_str().unwrap_or_default();
        assert!(
            ["unavailable", "rate_limited", "timeout"].contains(&kind),
            "every answer an error: {c}"
        );
    }
    assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());
}

/// `launch --region mars-west1` is a usage error (exit 2) naming the regions that work, and
/// nothing reaches the server (Service Usage and Vertex AI both point at it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_region_outside_the_catalog_and_vertex_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let home = tempfile::tempdir().unwrap();
    let mut c = bin(home.path());
    c.env("GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.test-token")
        .env("QUOTA_TUI_SERVICEUSAGE_URL", server.uri())
        .env("QUOTA_TUI_AIPLATFORM_URL", server.uri())
        .env("QUOTA_TUI_MONITORING_URL", server.uri())
        .args(["launch", "--project", "test-project-1", "--gpu", "L4"])
        .args(["--image", "gcr.io/x/y:1", "--region", "mars-west1"])
        .arg("--log-dir")
        .arg(home.path().join("logs"));
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--region mars-west1"), "{err}");
    assert!(
        err.contains("(us-central1, us-east1, us-west1, europe-west4)"),
        "names the GPU regions: {err}"
    );
    assert!(
        err.contains("another region that trains L4: asia-northeast3"),
        "names Vertex AI's other L4 regions: {err}"
    );
    assert!(out.stdout.is_empty());
    let requests = server.received_requests().await.unwrap();
    assert!(requests.is_empty(), "sent {requests:?}");
}

/// `check --spot` wins over a config file's `capacity = "on-demand"`, as `--on-demand` wins
/// over its absence.
#[test]
fn check_spot_overrides_the_config_files_capacity() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/quota-tui");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), "capacity = \"on-demand\"\n").unwrap();
    let metric = |flag: Option<&str>| {
        let mut c = bin(home.path());
        c.args(["check", "--demo", "--json", "--demo-latency", "1ms..2ms"]);
        c.args(flag);
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{flag:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["checks"][0]["metric"].as_str().unwrap().to_string()
    };
    let t4 = "aiplatform.googleapis.com/custom_model_training";
    assert_eq!(
        metric(None),
        format!("{t4}_nvidia_t4_gpus"),
        "the file's on-demand"
    );
    assert_eq!(
        metric(Some("--spot")),
        format!("{t4}_preemptible_nvidia_t4_gpus")
    );
    assert_eq!(metric(Some("--on-demand")), format!("{t4}_nvidia_t4_gpus"));
}
