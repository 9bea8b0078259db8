use super::*;
use std::collections::HashMap;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| m.get(k).cloned()
}

fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("config.toml");
    std::fs::write(&p, text).unwrap();
    (dir, p)
}

#[test]
fn flags_override_env_override_file() {
    let (_d, p) = write("project = \"file-project\"\ninterval = \"5s\"\nttl = \"10m\"\n");
    let mut args = GlobalArgs {
        config: Some(p),
        ..Default::default()
    };
    let c = resolve(&args, &env_of(&[])).unwrap();
    assert_eq!(c.project.as_deref(), Some("file-project"));
    assert_eq!(c.warmer.interval, Duration::from_secs(5));
    assert_eq!(c.warmer.refresh, Duration::from_secs(480), "80 % of 10m");
    let c = resolve(&args, &env_of(&[("CLOUDSDK_CORE_PROJECT", "sdk-project")])).unwrap();
    assert_eq!(c.project.as_deref(), Some("sdk-project"));
    let env = env_of(&[
        ("CLOUDSDK_CORE_PROJECT", "sdk-project"),
        ("GOOGLE_CLOUD_PROJECT", "env-project"),
    ]);
    assert_eq!(
        resolve(&args, &env).unwrap().project.as_deref(),
        Some("env-project")
    );
    args.project = Some("flag-project".into());
    args.interval = Some(Duration::from_millis(200));
    let c = resolve(&args, &env).unwrap();
    assert_eq!(c.project.as_deref(), Some("flag-project"));
    assert_eq!(c.warmer.interval, Duration::from_millis(200));
    args.demo = true;
    assert!(resolve(&args, &env).unwrap().is_demo());
}

#[test]
fn bad_files_name_the_line() {
    let (_d, p) = write("project = \"ok-project\"\n\ninterval = \"soon\"\n");
    let args = GlobalArgs {
        config: Some(p),
        ..Default::default()
    };
    let e = resolve(&args, &env_of(&[])).unwrap_err();
    assert_eq!(e.code, 2);
    assert!(
        e.message.contains("line 3") && e.message.contains("'soon'"),
        "{}",
        e.message
    );

    let (_d, p) = write("projekt = \"x\"\n");
    let e = resolve(
        &GlobalArgs {
            config: Some(p),
            ..Default::default()
        },
        &env_of(&[]),
    )
    .unwrap_err();
    assert!(
        e.message.contains("line 1") && e.message.contains("projekt"),
        "{}",
        e.message
    );

    let (_d, p) = write("gpu_types = [\"T4\", \"V100\"]\n");
    let e = resolve(
        &GlobalArgs {
            config: Some(p),
            ..Default::default()
        },
        &env_of(&[]),
    )
    .unwrap_err();
    assert!(e.message.contains("V100"), "{}", e.message);
}

#[test]
fn bad_project_ids_are_usage_errors() {
    let args = GlobalArgs {
        project: Some("Bad/../x".into()),
        ..Default::default()
    };
    let e = resolve(&args, &env_of(&[])).unwrap_err();
    assert_eq!(e.code, 2);
    assert!(e.message.contains("Bad/../x"), "{}", e.message);
}

#[test]
fn duplicates_in_lists_name_the_key_and_the_entry() {
    for (text, key, dup, line) in [
        (
            "gpu_types = [\"T4\", \"L4\", \"NVIDIA_TESLA_T4\"]\n",
            "gpu_types",
            "'NVIDIA_TESLA_T4'",
            1,
        ),
        (
            "\ngpu_regions = [\"us-east1\", \"us-east1\"]\n",
            "gpu_regions",
            "'us-east1'",
            2,
        ),
        (
            "c3_regions = [\"us-east1\", \"europe-west4\", \"europe-west4\"]\n",
            "c3_regions",
            "'europe-west4'",
            1,
        ),
    ] {
        let (_d, p) = write(text);
        let args = GlobalArgs {
            config: Some(p),
            ..Default::default()
        };
        let e = resolve(&args, &env_of(&[])).unwrap_err();
        assert_eq!(e.code, 2, "{}", e.message);
        for part in [key, dup, "more than once", &format!("line {line}")] {
            assert!(e.message.contains(part), "{part}: {}", e.message);
        }
    }
}

#[test]
fn origins_say_where_each_setting_came_from() {
    let (_d, p) = write("ttl = \"10m\"\ngpu_regions = [\"us-east1\"]\n");
    let args = GlobalArgs {
        config: Some(p.clone()),
        interval: Some(Duration::from_secs(3)),
        project: Some("flag-project".into()),
        billing_project: Some("bill-proj".into()),
        ..Default::default()
    };
    let c = resolve(
        &args,
        &env_of(&[("QUOTA_TUI_SERVICEUSAGE_URL", "http://127.0.0.1:9")]),
    )
    .unwrap();
    let file = Origin::ConfigFile { path: p };
    assert_eq!(c.origins.interval, Origin::flag("--interval"));
    assert_eq!(c.origins.ttl, file);
    assert_eq!(c.origins.gpu_regions, file);
    assert_eq!(c.origins.gpu_types, Origin::Default);
    assert_eq!(c.origins.refresh, Origin::Default);
    assert_eq!(c.origins.project, Origin::flag("--project"));
    assert_eq!(
        c.origins.serviceusage_url,
        Origin::env("QUOTA_TUI_SERVICEUSAGE_URL")
    );
    assert_eq!(
        c.billing_project.as_ref().unwrap().origin,
        Origin::flag("--billing-project")
    );
    assert_eq!(c.project_line(), "project: flag-project (from --project)");
    let demo = resolve(
        &GlobalArgs {
            demo: true,
            ..Default::default()
        },
        &env_of(&[]),
    )
    .unwrap();
    assert!(demo.project_line().starts_with("project: DEMO (--demo"));
}

#[test]
fn missing_config_file_is_an_error() {
    let args = GlobalArgs {
        config: Some(PathBuf::from("/nonexistent/quota-tui.toml")),
        ..Default::default()
    };
    let e = resolve(&args, &env_of(&[])).unwrap_err();
    assert!(e.message.contains("/nonexistent/quota-tui.toml"));
}

#[test]
fn the_monitoring_url_comes_from_the_environment_then_the_file() {
    let (_d, p) = write("monitoring_url = \"http://127.0.0.1:7\"\n");
    let args = GlobalArgs {
        config: Some(p.clone()),
        ..Default::default()
    };
    let c = resolve(&args, &env_of(&[])).unwrap();
    assert_eq!(c.monitoring_url.as_deref(), Some("http://127.0.0.1:7"));
    assert_eq!(c.origins.monitoring_url, Origin::ConfigFile { path: p });
    let env = env_of(&[("QUOTA_TUI_MONITORING_URL", "http://127.0.0.1:8")]);
    let c = resolve(&args, &env).unwrap();
    assert_eq!(c.monitoring_url.as_deref(), Some("http://127.0.0.1:8"));
    assert_eq!(
        c.origins.monitoring_url,
        Origin::env("QUOTA_TUI_MONITORING_URL")
    );
    let (_e, empty) = write("");
    let args = GlobalArgs {
        config: Some(empty),
        ..Default::default()
    };
    let c = resolve(&args, &env_of(&[])).unwrap();
    assert_eq!(
        (c.monitoring_url, c.origins.monitoring_url),
        (None, Origin::Default)
    );
}

#[test]
fn fake_gcp_plays_the_refusals_it_is_asked_for_and_keeps_its_knobs() {
    let args = crate::cli::FakeGcpArgs {
        seed: Some(9),
        monitoring_denied: true,
        ..Default::default()
    };
    let cfg = fake_gcp_standalone(&args);
    assert_eq!(cfg.seed, 9);
    assert!(cfg.monitoring_denied);
    assert!(!cfg.service_disabled && !cfg.monitoring_disabled);
    let args = crate::cli::FakeGcpArgs {
        service_disabled: true,
        monitoring_disabled: true,
        ..Default::default()
    };
    let cfg = fake_gcp_standalone(&args);
    assert!(cfg.service_disabled && cfg.monitoring_disabled && !cfg.monitoring_denied);
    assert_eq!(cfg.seed, crate::fake_gcp::DEFAULT_SEED);
}

#[test]
fn the_theme_comes_from_the_env_else_the_file_and_a_bad_one_names_its_line() {
    let (_d, p) = write("project = \"ok-project\"\ntheme = \"light\"\n");
    let args = GlobalArgs {
        config: Some(p),
        ..Default::default()
    };
    let c = resolve(&args, &env_of(&[])).unwrap();
    assert_eq!(c.theme, ThemeName::Light);
    assert!(matches!(c.origins.theme, Origin::ConfigFile { .. }));
    let c = resolve(&args, &env_of(&[("QUOTA_TUI_THEME", "mono")])).unwrap();
    assert_eq!(
        (c.theme, c.origins.theme),
        (ThemeName::Mono, Origin::env("QUOTA_TUI_THEME"))
    );
    let e = resolve(&args, &env_of(&[("QUOTA_TUI_THEME", "neon")])).unwrap_err();
    assert_eq!(e.code, 2);
    assert!(
        e.message
            .starts_with("QUOTA_TUI_THEME: 'neon' is not a theme"),
        "{}",
        e.message
    );

    let (_d, p) = write("project = \"ok-project\"\n\ntheme = \"dark\"\n");
    let args = GlobalArgs {
        config: Some(p),
        ..Default::default()
    };
    let e = resolve(&args, &env_of(&[])).unwrap_err();
    assert!(
        e.message.contains("line 3") && e.message.contains("theme: 'dark' is not a theme"),
        "{}",
        e.message
    );
    let (_d, p) = write("project = \"ok-project\"\n");
    let args = GlobalArgs {
        config: Some(p),
        ..Default::default()
    };
    assert_eq!(
        resolve(&args, &env_of(&[])).unwrap().theme,
        ThemeName::Default
    );
}
