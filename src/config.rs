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
//! A bad file is an error naming the file and line; nothing starts. The project also comes
//! from gcloud's active configuration ([`sources::resolve_project`]); where each setting came
//! from is kept in [`Origins`] for `quota-tui config`.

mod sources;
pub mod store;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::catalog::{Capacity, Catalog, GpuType};
use crate::cli::{FakeKnobs, GlobalArgs};
use crate::durations::parse_duration;
use crate::exit::Failure;
use crate::fake_gcp::FakeGcpConfig;
use crate::gcp::auth::QuotaProject;
use crate::gcp::serviceusage::DEFAULT_CHECK_DEADLINE;
use crate::origin::Origin;
use crate::warmer::{DEFAULT_INTERVAL, WarmerConfig};
pub use sources::{Origins, first_duplicate, resolve_billing_project, resolve_project};

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
    /// The quota project from `--billing-project` or `GOOGLE_CLOUD_QUOTA_PROJECT`; `None`
    /// leaves it to the credentials file's `quota_project_id` (SPEC §4).
    pub billing_project: Option<QuotaProject>,
    pub catalog: Catalog,
    pub warmer: WarmerConfig,
    /// The deadline of one Google request, retries included (`--check-timeout`, SPEC §4):
    /// the clients' own, the only one.
    pub check_timeout: Duration,
    pub log_dir: PathBuf,
    /// Service Usage base URL override (`QUOTA_TUI_SERVICEUSAGE_URL`).
    pub serviceusage_url: Option<String>,
    /// Vertex AI base URL override (`QUOTA_TUI_AIPLATFORM_URL`), one for all regions.
    pub aiplatform_url: Option<String>,
    /// The embedded demo server's settings (the `--demo-*` flags over SPEC §5's defaults).
    pub fake: FakeGcpConfig,
    /// Where the config came from, for messages (`None`: no file).
    pub config_file: Option<PathBuf>,
    /// Where each setting came from.
    pub origins: Origins,
}

impl Config {
    /// True when running against the embedded demo server.
    pub fn is_demo(&self) -> bool {
        self.project.is_none()
    }

    /// The line every headless command prints on stderr (SPEC §4): `project: P (from
    /// GOOGLE_CLOUD_PROJECT)`, or `project: DEMO (...)` in demo mode.
    pub fn project_line(&self) -> String {
        match (&self.project, &self.origins.project) {
            (Some(p), origin) => format!("project: {p} (from {origin})"),
            (None, Origin::Flag { .. }) => {
                "project: DEMO (--demo: the embedded demo server)".to_string()
            }
            (None, _) => "project: DEMO (no project set: the embedded demo server; set \
                          --project, GOOGLE_CLOUD_PROJECT or gcloud's project)"
                .to_string(),
        }
    }
}

/// The demo server's settings from the command line's knobs (`--demo-*`, or `fake-gcp`'s
/// own flags): SPEC §5's defaults where a knob is not given ([`FakeGcpConfig::from_knobs`]).
pub fn fake_gcp_config(knobs: &FakeKnobs) -> FakeGcpConfig {
    FakeGcpConfig::from_knobs(
        knobs.latency,
        knobs.error_rate,
        knobs.hang_rate,
        knobs.malformed_rate,
        knobs.seed,
    )
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
    if let Some(d) = first_duplicate(list.get_ref(), |r| r.clone()) {
        return Err(bad(
            path,
            text,
            list.span(),
            &format!("{key} lists '{d}' more than once; list each region once"),
        ));
    }
    Ok(Some(list.get_ref().clone()))
}

/// Resolve the configuration: file (if any) < environment (`env`) < flags (`args`).
///
/// The project comes from `--project`, else `GOOGLE_CLOUD_PROJECT`, else
/// `CLOUDSDK_CORE_PROJECT`, else the file, else gcloud's active configuration; `--demo` or no
/// project at all means demo mode. A project ID is validated before anything uses it. The
/// quota project comes from `--billing-project`, else `GOOGLE_CLOUD_QUOTA_PROJECT`. Errors
/// are exit-2 failures naming what was wrong (and for a list with a duplicate, the key and the
/// duplicate).
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
    let in_file = Origin::ConfigFile { path: path.clone() };
    let mut origins = Origins::default();
    let from_file = |present: bool| {
        if present {
            in_file.clone()
        } else {
            Origin::Default
        }
    };

    let catalog = file_catalog(&file, &path, &text, &mut origins)?;

    let pick = |flag: Option<Duration>,
                name: &str,
                v: &Option<Spanned<String>>,
                origin: &mut Origin|
     -> Result<Option<Duration>, Failure> {
        if flag.is_some() {
            *origin = Origin::flag(name);
            return Ok(flag);
        }
        let key = name.trim_start_matches("--").replace('-', "_");
        let d = file_duration(v, &path, &text, &key)?;
        *origin = from_file(d.is_some());
        Ok(d)
    };
    let interval = pick(
        args.interval,
        "--interval",
        &file.interval,
        &mut origins.interval,
    )?
    .unwrap_or(DEFAULT_INTERVAL);
    let ttl =
        pick(args.ttl, "--ttl", &file.ttl, &mut origins.ttl)?.unwrap_or(crate::store::DEFAULT_TTL);
    let refresh = pick(
        args.refresh,
        "--refresh",
        &file.refresh,
        &mut origins.refresh,
    )?
    .unwrap_or_else(|| WarmerConfig::refresh_for(ttl));
    let check_timeout = pick(
        args.check_timeout,
        "--check-timeout",
        &file.check_timeout,
        &mut origins.check_timeout,
    )?
    .unwrap_or(DEFAULT_CHECK_DEADLINE);
    if refresh > ttl {
        return Err(Failure::usage(format!(
            "refresh ({}) is longer than the TTL ({}): entries would expire before being re-warmed; \
             lower --refresh or raise --ttl",
            crate::durations::fmt_duration(refresh),
            crate::durations::fmt_duration(ttl)
        )));
    }

    let (project, project_origin) = resolve_project(
        args.demo,
        args.project.as_deref(),
        file.project
            .as_ref()
            .map(|p| (p.get_ref().as_str(), path.clone())),
        env,
    )?;
    origins.project = project_origin;
    let billing_project = resolve_billing_project(args.billing_project.as_deref(), env)?;

    let log_dir = match (&args.log_dir, &file.log_dir) {
        (Some(d), _) => {
            origins.log_dir = Origin::flag("--log-dir");
            d.clone()
        }
        (None, Some(d)) => {
            origins.log_dir = in_file.clone();
            d.clone()
        }
        (None, None) => PathBuf::from("logs"),
    };
    let url = |var: &str, v: Option<String>, origin: &mut Origin| match env(var)
        .filter(|v| !v.trim().is_empty())
    {
        Some(u) => {
            *origin = Origin::env(var);
            Some(u)
        }
        None => {
            *origin = from_file(v.is_some());
            v
        }
    };
    let serviceusage_url = url(
        "QUOTA_TUI_SERVICEUSAGE_URL",
        file.serviceusage_url,
        &mut origins.serviceusage_url,
    );
    let aiplatform_url = url(
        "QUOTA_TUI_AIPLATFORM_URL",
        file.aiplatform_url,
        &mut origins.aiplatform_url,
    );

    Ok(Config {
        project,
        billing_project,
        catalog,
        warmer: WarmerConfig {
            interval,
            ttl,
            refresh,
            once: false,
        },
        check_timeout,
        log_dir,
        serviceusage_url,
        aiplatform_url,
        fake: fake_gcp_config(&args.fake),
        config_file,
        origins,
    })
}

/// The catalog the file describes (defaults where it is silent), recording the origins of
/// `gpu_types`, `gpu_regions`, `c3_regions` and `capacity`.
fn file_catalog(
    file: &FileConfig,
    path: &Path,
    text: &str,
    origins: &mut Origins,
) -> Result<Catalog, Failure> {
    let in_file = Origin::ConfigFile {
        path: path.to_path_buf(),
    };
    let mut catalog = Catalog::default();
    if let Some(types) = &file.gpu_types {
        let mut parsed = Vec::new();
        for t in types.get_ref() {
            parsed.push(
                t.parse::<GpuType>()
                    .map_err(|e| bad(path, text, types.span(), &format!("gpu_types: {e}")))?,
            );
        }
        if let Some(d) = first_duplicate(types.get_ref(), |t| t.parse::<GpuType>().ok()) {
            return Err(bad(
                path,
                text,
                types.span(),
                &format!("gpu_types lists '{d}' more than once; list each GPU type once"),
            ));
        }
        catalog.gpu_types = parsed;
        origins.gpu_types = in_file.clone();
    }
    if let Some(r) = file_regions(&file.gpu_regions, path, text, "gpu_regions")? {
        catalog.gpu_regions = r;
        origins.gpu_regions = in_file.clone();
    }
    if let Some(r) = file_regions(&file.c3_regions, path, text, "c3_regions")? {
        catalog.c3_regions = r;
        origins.c3_regions = in_file.clone();
    }
    if let Some(c) = &file.capacity {
        catalog.capacity = match c.get_ref().as_str() {
            "spot" => Capacity::Spot,
            "on-demand" | "on_demand" => Capacity::OnDemand,
            other => {
                return Err(bad(
                    path,
                    text,
                    c.span(),
                    &format!("capacity: '{other}' is neither \"spot\" nor \"on-demand\""),
                ));
            }
        };
        origins.capacity = in_file;
    }
    Ok(catalog)
}

#[cfg(test)]
mod tests;
