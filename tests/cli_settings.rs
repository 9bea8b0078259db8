//! `quota-tui config` and the project as gcloud users have it (SPEC §4 Project, §9; issue 10
//! item 6): from a temporary CLOUDSDK_CONFIG holding an active configuration, each setting
//! with where it came from, credentials described and never printed; the `project: P (from
//! SOURCE)` line of headless commands; duplicate list entries refused (issue 11).

use std::path::PathBuf;

use serde_json::{Value, json};

const REFRESH: &str = "1//settings-REFRESH-token";
const SECRET: &str = "settings-CLIENT-secret";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    /// HOME, and a gcloud directory whose active configuration `work` sets project
    /// `gcloud-proj` and account `alice@example.com`, with an `authorized_user` ADC file.
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let g = dir.path().join("gcloud");
        std::fs::create_dir_all(g.join("configurations")).unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::write(g.join("active_config"), "work").unwrap();
        std::fs::write(
            g.join("configurations/config_default"),
            "[core]\nproject = default-proj\n",
        )
        .unwrap();
        std::fs::write(
            g.join("configurations/config_work"),
            "[core]\naccount = alice@example.com\nproject = gcloud-proj\n\n[compute]\nregion = us-west1\n",
        )
        .unwrap();
        std::fs::write(
            g.join("application_default_credentials.json"),
            json!({"type": "authorized_user", "client_id": "cid", "client_secret": SECRET,
                   "refresh_token": REFRESH, "quota_project_id": "adc-billing"})
            .to_string(),
        )
        .unwrap();
        Env { dir }
    }

    fn gcloud(&self) -> PathBuf {
        self.dir.path().join("gcloud")
    }

    fn cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_quota-tui"));
        c.env_clear()
            .env("HOME", self.dir.path().join("home"))
            .env("CLOUDSDK_CONFIG", self.gcloud())
            .env("PATH", "/nonexistent")
            .env("NO_GCE_CHECK", "True");
        c
    }
}

fn run(mut c: std::process::Command) -> (Option<i32>, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_shows_the_gcloud_project_and_describes_the_credentials() {
    let env = Env::new();
    let mut c = env.cmd();
    c.arg("config");
    let (code, out, err) = run(c);
    assert_eq!(code, Some(0), "{err}");
    let work = env.gcloud().join("configurations/config_work");
    assert!(
        out.contains(&format!(
            "gcloud-proj  [gcloud configuration 'work' in {}]",
            work.display()
        )),
        "{out}"
    );
    let adc = env.gcloud().join("application_default_credentials.json");
    assert!(
        out.contains(&format!(
            "authorized_user credentials file {} (gcloud's ADC file)",
            adc.display()
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "adc-billing  [credentials file {}]",
            adc.display()
        )),
        "{out}"
    );
    assert!(out.contains("ttl                30m  [default]"), "{out}");
    for secret in [REFRESH, SECRET] {
        assert!(!out.contains(secret) && !err.contains(secret), "{out}{err}");
    }

    // JSON, with flags and environment overriding.
    let mut c = env.cmd();
    c.env("GOOGLE_CLOUD_PROJECT", "env-proj").args([
        "config",
        "--json",
        "--ttl",
        "10m",
        "--billing-project",
        "flag-billing",
    ]);
    let (code, out, err) = run(c);
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["project"]["value"], "env-proj");
    assert_eq!(
        v["project"]["from"],
        json!({"kind": "env", "name": "GOOGLE_CLOUD_PROJECT"})
    );
    assert_eq!(
        v["ttl"],
        json!({"value": "10m", "from": {"kind": "flag", "name": "--ttl"}})
    );
    assert_eq!(v["quota_project"]["value"], "flag-billing");
    assert_eq!(v["refresh"]["value"], "8m");
    assert_eq!(v["credentials"]["info"]["type"], "authorized_user");
    assert_eq!(v["credentials"]["info"]["source"], "gcloud_adc_file");
    assert!(!out.contains(REFRESH) && !out.contains(SECRET));
}

#[test]
fn config_names_an_unusable_credentials_file_and_exits_3() {
    let env = Env::new();
    let bad = env.dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"type": "service_account", "client_email": "x@y"}"#,
    )
    .unwrap();
    let mut c = env.cmd();
    c.env("GOOGLE_APPLICATION_CREDENTIALS", &bad).arg("config");
    let (code, out, err) = run(c);
    assert_eq!(code, Some(3), "{out}{err}");
    assert!(
        out.contains("credentials        unusable: credentials file"),
        "{out}"
    );
    assert!(
        err.contains(&bad.display().to_string()) && err.contains("type service_account"),
        "{err}"
    );
}

#[test]
fn the_active_configuration_gives_the_project_and_each_source_is_named_on_stderr() {
    let env = Env::new();
    // check needs credentials: a ready token that the closed port never sees used.
    let base = |c: &mut std::process::Command| {
        c.env("GOOGLE_OAUTH_ACCESS_TOKEN", "tok")
            .env("QUOTA_TUI_SERVICEUSAGE_URL", "http://127.0.0.1:9")
            .env("QUOTA_TUI_MONITORING_URL", "http://127.0.0.1:9")
            .args(["check", "--check-timeout", "1s"]);
    };
    let mut c = env.cmd();
    base(&mut c);
    let (code, _, err) = run(c);
    assert_eq!(
        code,
        Some(4),
        "every check failed at the closed port: {err}"
    );
    let work = env.gcloud().join("configurations/config_work");
    assert!(
        err.contains(&format!(
            "project: gcloud-proj (from gcloud configuration 'work' in {})",
            work.display()
        )),
        "{err}"
    );

    let mut c = env.cmd();
    base(&mut c);
    c.env("CLOUDSDK_ACTIVE_CONFIG_NAME", "default");
    let (_, _, err) = run(c);
    assert!(
        err.contains("project: default-proj (from gcloud configuration 'default'"),
        "{err}"
    );

    let mut c = env.cmd();
    base(&mut c);
    c.env("CLOUDSDK_CORE_PROJECT", "sdk-proj");
    let (_, _, err) = run(c);
    assert!(
        err.contains("project: sdk-proj (from CLOUDSDK_CORE_PROJECT)"),
        "{err}"
    );

    // No project anywhere: the demo, and the line says so.
    let mut c = env.cmd();
    c.env("CLOUDSDK_CONFIG", env.dir.path().join("home")).args([
        "check",
        "--demo-latency",
        "1ms..2ms",
        "--demo-error-rate",
        "0",
    ]);
    let (code, out, err) = run(c);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("project: DEMO (no project set"), "{err}");
    assert!(!out.contains("project:"), "stdout keeps the data only");
}

#[test]
fn duplicate_list_entries_exit_2_naming_the_key_and_the_entry() {
    let env = Env::new();
    let file = env.dir.path().join("config.toml");
    std::fs::write(
        &file,
        "gpu_types = [\"T4\", \"L4\"]\nc3_regions = [\"us-east1\", \"europe-west4\", \"us-east1\"]\n",
    )
    .unwrap();
    let mut c = env.cmd();
    c.arg("--config").arg(&file).args(["check", "--demo"]);
    let (code, _, err) = run(c);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("line 2") && err.contains("c3_regions lists 'us-east1' more than once"),
        "{err}"
    );
}
