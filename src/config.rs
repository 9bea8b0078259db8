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
//! monitoring_url = "https://monitoring.googleapis.com"
//! store = "redis://cache.internal:6379/0"   # or "rediss://...", "memory"
//! snapshot = true
//! theme = "default"            # or "light", "mono" (NO_COLOR wins; QUOTA_TUI_THEME)
//! ```
//!
//! A bad file is an error naming the file and line; nothing starts. The project also comes
//! from gcloud's active configuration ([`sources::resolve_project`]); where each setting came
//! from is kept in [`Origins`] for `quota-tui config`.

mod file;
mod sources;
pub mod store;

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use crate::catalog::Catalog;
use crate::cli::{FakeGcpArgs, FakeKnobs, GlobalArgs};
use crate::exit::Failure;
use crate::fake_gcp::FakeGcpConfig;
use crate::gcp::auth::QuotaProject;
use crate::gcp::serviceusage::DEFAULT_CHECK_DEADLINE;
use crate::origin::Origin;
use crate::tui::theme::ThemeName;
use crate::warmer::{DEFAULT_INTERVAL, WarmerConfig};
pub use file::{FileConfig, load_file};
use file::{file_catalog, file_duration, file_theme};
pub use sources::{Origins, first_duplicate, resolve_billing_project, resolve_project};

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
    /// Cloud Monitoring base URL override (`QUOTA_TUI_MONITORING_URL`).
    pub monitoring_url: Option<String>,
    /// The TUI's colours (`QUOTA_TUI_THEME`, else the file's `theme`); `NO_COLOR` wins over
    /// it when the TUI starts.
    pub theme: ThemeName,
    /// The embedded demo server's settings (the `--demo-*` flags over SPEC §5's defaults).
    pub fake: FakeGcpConfig,
    /// Where the cache lives: memory (with a snapshot unless off) or a shared Redis store
    /// (SPEC §11).
    pub store: store::StoreSettings,
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

impl Config {
    /// What store to open for `project` (the demo's own in demo mode), at the catalog's
    /// capacity, asking for the warmer lease when shared (SPEC §11).
    pub fn store_plan(&self, project: &str, demo: bool) -> crate::store::open::StorePlan {
        crate::store::open::StorePlan {
            redis: self.store.redis.clone(),
            snapshot: self.store.snapshot,
            key: crate::store::snapshot::SnapshotKey {
                project: project.to_string(),
                capacity: self.catalog.capacity,
                demo,
            },
            ttl: self.warmer.ttl,
            role: crate::store::redis::Role::Warmer,
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

/// `quota-tui fake-gcp`'s settings: its knobs as [`fake_gcp_config`] reads them, and the
/// refusals it is asked to play (`--service-disabled`, `--monitoring-denied`,
/// `--monitoring-disabled`).
pub fn fake_gcp_standalone(args: &FakeGcpArgs) -> FakeGcpConfig {
    FakeGcpConfig {
        service_disabled: args.service_disabled,
        monitoring_denied: args.monitoring_denied,
        monitoring_disabled: args.monitoring_disabled,
        ..fake_gcp_config(&args.knobs())
    }
}

/// The default config file path: `<platform config dir>/quota-tui/config.toml`.
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "quota-tui").map(|d| d.config_dir().join("config.toml"))
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
    let catalog = file_catalog(&file, &path, &text, &mut origins)?;

    let (warmer, check_timeout) = resolve_timers(args, &file, &path, &text, &mut origins)?;

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
    let [serviceusage_url, aiplatform_url, monitoring_url] =
        resolve_urls(&file, &in_file, env, &mut origins);
    let store = store::resolve_store(
        args.store.as_deref(),
        args.no_snapshot,
        env,
        store::FileStore {
            store: file.store.as_ref(),
            snapshot: file.snapshot.as_ref(),
        },
        &path,
        &text,
    )?;
    let theme = resolve_theme(&file, &path, &text, env, &mut origins)?;

    Ok(Config {
        project,
        billing_project,
        catalog,
        warmer,
        check_timeout,
        log_dir,
        serviceusage_url,
        aiplatform_url,
        monitoring_url,
        theme,
        fake: fake_gcp_config(&args.fake),
        store,
        config_file,
        origins,
    })
}

/// The warmer's timers and the request deadline: each from its flag, else the file, else its
/// default (the refresh: 80 % of the TTL), recording where each came from. A refresh longer
/// than the TTL is refused (exit 2).
fn resolve_timers(
    args: &GlobalArgs,
    file: &FileConfig,
    path: &Path,
    text: &str,
    origins: &mut Origins,
) -> Result<(WarmerConfig, Duration), Failure> {
    let in_file = Origin::ConfigFile {
        path: path.to_path_buf(),
    };
    let from_file = |present: bool| {
        if present {
            in_file.clone()
        } else {
            Origin::Default
        }
    };
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
        let d = file_duration(v, path, text, &key)?;
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

    Ok((
        WarmerConfig {
            interval,
            ttl,
            refresh,
            once: false,
        },
        check_timeout,
    ))
}

/// The theme: `QUOTA_TUI_THEME` when set and not blank, else the file's `theme`, else
/// `default`, recording where it came from. A name that is not a theme is an error (exit 2)
/// naming where it came from.
fn resolve_theme(
    file: &FileConfig,
    path: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    origins: &mut Origins,
) -> Result<ThemeName, Failure> {
    const VAR: &str = "QUOTA_TUI_THEME";
    if let Some(v) = env(VAR).filter(|v| !v.trim().is_empty()) {
        let theme = v
            .trim()
            .parse()
            .map_err(|e| Failure::usage(format!("{VAR}: {e}")))?;
        origins.theme = Origin::env(VAR);
        return Ok(theme);
    }
    match file_theme(file, path, text)? {
        Some(theme) => {
            origins.theme = Origin::ConfigFile {
                path: path.to_path_buf(),
            };
            Ok(theme)
        }
        None => Ok(ThemeName::Default),
    }
}

/// The base URL overrides (Service Usage, Vertex AI, Cloud Monitoring): each from its
/// environment variable when set and not blank, else the file's, recording where each came
/// from.
fn resolve_urls(
    file: &FileConfig,
    in_file: &Origin,
    env: &dyn Fn(&str) -> Option<String>,
    origins: &mut Origins,
) -> [Option<String>; 3] {
    let url = |var: &str, v: &Option<String>, origin: &mut Origin| match env(var)
        .filter(|v| !v.trim().is_empty())
    {
        Some(u) => {
            *origin = Origin::env(var);
            Some(u)
        }
        None => {
            *origin = if v.is_some() {
                in_file.clone()
            } else {
                Origin::Default
            };
            v.clone()
        }
    };
    [
        url(
            "QUOTA_TUI_SERVICEUSAGE_URL",
            &file.serviceusage_url,
            &mut origins.serviceusage_url,
        ),
        url(
            "QUOTA_TUI_AIPLATFORM_URL",
            &file.aiplatform_url,
            &mut origins.aiplatform_url,
        ),
        url(
            "QUOTA_TUI_MONITORING_URL",
            &file.monitoring_url,
            &mut origins.monitoring_url,
        ),
    ]
}

#[cfg(test)]
mod tests;
