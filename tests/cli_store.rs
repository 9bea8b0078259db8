//! The store settings from the command line (SPEC §9, §11; issue 15): `--store`,
//! `QUOTA_TUI_STORE` and `store =` in the config file, flag over environment over file;
//! `--no-snapshot` and `snapshot = false`. A Redis password is a secret: never in an output.

use std::process::{Command, Output};

const PASSWORD: &str = "hunter22-secret";

fn bin(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_quota-tui"));
    c.env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .env_remove("QUOTA_TUI_STORE")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_CACHE_HOME", dir.join("cache"));
    c
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn line<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} line in:\n{out}"))
}

#[test]
fn config_shows_the_store_without_its_password_and_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("redis://alice:{PASSWORD}@cache.internal:6380/3");
    let out = bin(dir.path())
        .args(["--demo", "config", "--store", &url])
        .output()
        .unwrap();
    let s = text(&out);
    assert!(out.status.success(), "{s}");
    assert!(!s.contains(PASSWORD), "{s}");
    assert!(!s.contains("alice"), "{s}");
    assert_eq!(
        line(&s, "store").split_whitespace().collect::<Vec<_>>(),
        ["store", "redis://cache.internal:6380/3", "[--store]"]
    );
    assert!(line(&s, "snapshot").contains("true  [default]"), "{s}");

    let out = bin(dir.path())
        .env("QUOTA_TUI_STORE", &url)
        .args(["--demo", "config", "--json", "--no-snapshot"])
        .output()
        .unwrap();
    let s = text(&out);
    assert!(!s.contains(PASSWORD), "{s}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["store"]["value"], "redis://cache.internal:6380/3");
    assert_eq!(json["store"]["from"]["name"], "QUOTA_TUI_STORE");
    assert_eq!(json["snapshot"]["value"], false);
    assert_eq!(json["snapshot"]["from"]["name"], "--no-snapshot");
}

#[test]
fn the_config_file_names_the_store_and_turns_the_snapshot_off() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("q.toml");
    std::fs::write(
        &file,
        format!("store = \"rediss://:{PASSWORD}@team-cache:6390/1\"\nsnapshot = false\n"),
    )
    .unwrap();
    let out = bin(dir.path())
        .args(["--demo", "config", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    let s = text(&out);
    assert!(out.status.success(), "{s}");
    assert!(!s.contains(PASSWORD), "{s}");
    assert!(
        line(&s, "store").contains("rediss://team-cache:6390/1  [config file"),
        "{s}"
    );
    assert!(line(&s, "snapshot").contains("false  [config file"), "{s}");
}

#[test]
fn a_bad_store_is_a_usage_error_naming_it_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    for (args, env, want) in [
        (
            vec![
                "--demo",
                "config",
                "--store",
                "http://u:hunter22-secret@h:1/0",
            ],
            None,
            "--store: http://h:1/0: unknown scheme 'http'",
        ),
        (
            vec!["--demo", "warm", "--once"],
            Some("redis://u:hunter22-secret@h/zero"),
            "QUOTA_TUI_STORE: redis://h/zero: not a Redis URL",
        ),
    ] {
        let mut c = bin(dir.path());
        if let Some(v) = env {
            c.env("QUOTA_TUI_STORE", v);
        }
        let out = c.args(&args).output().unwrap();
        let s = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {s}");
        assert!(s.contains(want), "{args:?}: {s}");
        assert!(!s.contains(PASSWORD), "{s}");
    }
    // `check` keeps no cache: it takes no --store.
    let out = bin(dir.path())
        .args(["--demo", "check", "--store", "redis://h:1/0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}
