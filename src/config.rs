//! Configuration: the TOML file, then the environment, then flags (SPEC §4, §9; issue 3.4).
//!
//! The file lives at the platform config dir (`~/.config/quota-tui/config.toml` on Linux) or
//! at `--config FILE`. Every key is optional:
//!
//! ```toml
//! project = "my-project"
//! gpu_types = ["T4", "L4", "A100", "H100", "H200"]
//! gpu_regions = ["us-central1", "us-east1", "us-west1", "europe-west4"]
//! c3_regions = ["us-central1", "europe-west4"]
//! capacity = "spot"            # or "on-demand"
//! interval = "2s"
//! ttl = "30m"
//! refresh = "24m"
//! check_timeout = "10s"
//! log_dir = "logs"
//! serviceusage_url = "https://serviceusage.googleapis.com"
//! aiplatform_url = "https://us-central1-aiplatform.googleapis.com"
//! ```
//!
//! A bad file is an error naming the file and line; nothing starts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::catalog::{Capacity, Catalog, GpuType};
use crate::cli::{FakeKnobs, GlobalArgs, parse_duration};
use crate::exit::Failure;
use crate::gcp::project::validate_project_id;
use crate::warmer::{DEFAULT_CHECK_TIMEOUT, DEFAULT_INTERVAL, WarmerConfig};

/// The config file as written; every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub project: Option<Spanned<String>>,
    pub gpu_types: Option<Spanned<Vec<String>>>,
    pub gpu_regions: Option<Spanned<Vec<String>>>,
    pub c3_regions: Option<Spanned<Vec<String>>>,
    pub capacity: Option<Spanned<String>>,
    pub interval: Option<Spanned<String>>,
    pub ttl: Option<Spanned<String>>,
    pub refresh: Option<Spanned<String>>,
    pub check_timeout: Option<Spanned<String>>,
    pub log_dir: Option<PathBuf>,
    pub serviceusage_url: Option<String>,
    pub aiplatform_url: Option<String>,
}

/// Everything a command needs, resolved and validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The project, or `None` for demo mode.
    pub project: Option<String>,
    pub catalog: Catalog,
    pub warmer: WarmerConfig,
    pub log_dir: PathBuf,
    /// Service Usage base URL override (`QUOTA_TUI_SERVICEUSAGE_URL`).
    pub serviceusage_url: Option<String>,
    /// Vertex AI base URL override (`QUOTA_TUI_AIPLATFORM_URL`), one for all regions.
    pub aiplatform_url: Option<String>,
    /// Demo server knobs.
    pub fake: FakeKnobs,
    /// Where the config came from, for messages (`None`: no file).
    pub config_file: Option<PathBuf>,
}

impl Config {
    /// True when running against the embedded demo server.
    pub fn is_demo(&self) -> bool {
        self.project.is_none()
    }
}

/// The default config file path: `<platform config dir>/quota-tui/config.toml`.
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "quota-tui").map(|d| d.config_dir().join("config.toml"))
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn bad(path: &Path, text: &str, span: std::ops::Range<usize>, what: &str) -> Failure {
    Failure::usage(format!(
        "config file {} line {}: {what}",
        path.display(),
        line_of(text, span.start)
    ))
}

/// Read and parse a config file. Errors (exit 2) name the file and line.
pub fn load_file(path: &Path) -> Result<(FileConfig, String), Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read config file {}: {e}", path.display())))?;
    let parsed: FileConfig = toml::from_str(&text).map_err(|e| {
        let line = e.span().map(|s| line_of(&text, s.start)).unwrap_or(0);
        Failure::usage(format!(
            "config file {} line {line}: {}",
            path.display(),
            e.message()
        ))
    })?;
    Ok((parsed, text))
}

fn file_duration(
    v: &Option<Spanned<String>>,
    path: &Path,
    text: &str,
    key: &str,
) -> Result<Option<Duration>, Failure> {
    match v {
        None => Ok(None),
        Some(s) => parse_duration(s.get_ref())
            .map(Some)
            .map_err(|e| bad(path, text, s.span(), &format!("{key}: {e}"))),
    }
}

fn file_regions(
    v: &Option<Spanned<Vec<String>>>,
    path: &Path,
    text: &str,
    key: &str,
) -> Result<Option<Vec<String>>, Failure> {
    let Some(list) = v else { return Ok(None) };
    for r in list.get_ref() {
        let ok = !r.is_empty()
            && r.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Err(bad(
                path,
                text,
                list.span(),
                &format!("{key}: '{r}' is not a region name (like us-central1)"),
            ));
        }
    }
    if list.get_ref().is_empty() {
        return Err(bad(path, text, list.span(), &format!("{key} is empty")));
    }
    Ok(Some(list.get_ref().clone()))
}

/// Resolve the configuration: file (if any) < environment (`env`) < flags (`args`).
///
/// The project comes from `--project`, else `GOOGLE_CLOUD_PROJECT`, else
/// `CLOUDSDK_CORE_PROJECT`, else the file; `--demo` or no project at all means demo mode. A
/// project ID is validated before anything uses it. Errors are exit-2 failures naming what was
/// wrong.
pub fn resolve(args: &GlobalArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, Failure> {
    let (file, text, config_file) = match &args.config {
        Some(p) => {
            let (f, t) = load_file(p)?;
            (f, t, Some(p.clone()))
        }
        None => match default_config_path().filter(|p| p.exists()) {
            Some(p) => {
                let (f, t) = load_file(&p)?;
                (f, t, Some(p))
            }
            None => (FileConfig::default(), String::new(), None),
        },
    };
    let path = config_file.clone().unwrap_or_default();

    let mut catalog = Catalog::default();
    if let Some(types) = &file.gpu_types {
        let mut parsed = Vec::new();
        for t in types.get_ref() {
            parsed.push(
                t.parse::<GpuType>()
                    .map_err(|e| bad(&path, &text, types.span(), &format!("gpu_types: {e}")))?,
            );
        }
        catalog.gpu_types = parsed;
    }
    if let Some(r) = file_regions(&file.gpu_regions, &path, &text, "gpu_regions")? {
        catalog.gpu_regions = r;
    }
    if let Some(r) = file_regions(&file.c3_regions, &path, &text, "c3_regions")? {
        catalog.c3_regions = r;
    }
    if let Some(c) = &file.capacity {
        catalog.capacity = match c.get_ref().as_str() {
            "spot" => Capacity::Spot,
            "on-demand" | "on_demand" => Capacity::OnDemand,
            other => {
                return Err(bad(
                    &path,
                    &text,
                    c.span(),
                    &format!("capacity: '{other}' is neither \"spot\" nor \"on-demand\""),
                ));
            }
        };
    }

    let interval = args
        .interval
        .or(file_duration(&file.interval, &path, &text, "interval")?)
        .unwrap_or(DEFAULT_INTERVAL);
    let ttl = args
        .ttl
        .or(file_duration(&file.ttl, &path, &text, "ttl")?)
        .unwrap_or(crate::cache::DEFAULT_TTL);
    let refresh = args
        .refresh
        .or(file_duration(&file.refresh, &path, &text, "refresh")?)
        .unwrap_or_else(|| WarmerConfig::refresh_for(ttl));
    let check_timeout = args
        .check_timeout
        .or(file_duration(
            &file.check_timeout,
            &path,
            &text,
            "check_timeout",
        )?)
        .unwrap_or(DEFAULT_CHECK_TIMEOUT);
    if refresh > ttl {
        return Err(Failure::usage(format!(
            "refresh ({}) is longer than the TTL ({}): entries would expire before being re-warmed; \
             lower --refresh or raise --ttl",
            crate::cli::fmt_duration(refresh),
            crate::cli::fmt_duration(ttl)
        )));
    }

    let non_empty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let project = if args.demo {
        None
    } else {
        args.project
            .clone()
            .or_else(|| non_empty("GOOGLE_CLOUD_PROJECT"))
            .or_else(|| non_empty("CLOUDSDK_CORE_PROJECT"))
            .or_else(|| file.project.as_ref().map(|p| p.get_ref().clone()))
    };
    if let Some(p) = &project {
        validate_project_id(p).map_err(Failure::usage)?;
    }

    Ok(Config {
        project,
        catalog,
        warmer: WarmerConfig {
            interval,
            ttl,
            refresh,
            check_timeout,
            once: false,
        },
        log_dir: args
            .log_dir
            .clone()
            .or(file.log_dir.clone())
            .unwrap_or_else(|| PathBuf::from("logs")),
        serviceusage_url: non_empty("QUOTA_TUI_SERVICEUSAGE_URL").or(file.serviceusage_url),
        aiplatform_url: non_empty("QUOTA_TUI_AIPLATFORM_URL").or(file.aiplatform_url),
        fake: args.fake.clone(),
        config_file,
    })
}

#[cfg(test)]
mod tests {
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
    fn missing_config_file_is_an_error() {
        let args = GlobalArgs {
            config: Some(PathBuf::from("/nonexistent/quota-tui.toml")),
            ..Default::default()
        };
        let e = resolve(&args, &env_of(&[])).unwrap_err();
        assert!(e.message.contains("/nonexistent/quota-tui.toml"));
    }
}
