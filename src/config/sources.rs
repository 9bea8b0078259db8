//! Where each setting comes from (SPEC §4 Project, §9): the project as gcloud users have it,
//! the quota project, and the [`Origins`] record that `quota-tui config` prints.

use std::path::PathBuf;

use serde::Serialize;

use crate::exit::Failure;
use crate::gcp::auth::{QUOTA_PROJECT_ENV, QuotaProject, validate_quota_project};
use crate::gcp::gcloud_config;
use crate::gcp::project::validate_project_id;
use crate::origin::Origin;

/// Where each resolved setting of a [`super::Config`] came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Origins {
    pub project: Origin,
    pub gpu_types: Origin,
    pub gpu_regions: Origin,
    pub c3_regions: Origin,
    pub capacity: Origin,
    pub interval: Origin,
    pub ttl: Origin,
    pub refresh: Origin,
    pub check_timeout: Origin,
    pub log_dir: Origin,
    pub serviceusage_url: Origin,
    pub aiplatform_url: Origin,
    pub monitoring_url: Origin,
    pub theme: Origin,
}

impl Default for Origins {
    fn default() -> Self {
        Origins {
            project: Origin::Default,
            gpu_types: Origin::Default,
            gpu_regions: Origin::Default,
            c3_regions: Origin::Default,
            capacity: Origin::Default,
            interval: Origin::Default,
            ttl: Origin::Default,
            refresh: Origin::Default,
            check_timeout: Origin::Default,
            log_dir: Origin::Default,
            serviceusage_url: Origin::Default,
            aiplatform_url: Origin::Default,
            monitoring_url: Origin::Default,
            theme: Origin::Default,
        }
    }
}

/// The project and where it came from: `--demo` (none), `--project`, `GOOGLE_CLOUD_PROJECT`,
/// `CLOUDSDK_CORE_PROJECT`, the config file's `project`, then gcloud's active configuration
/// (`[core] project`); none of these → `(None, Origin::Default)`, demo mode.
///
/// gcloud's files are read only when nothing before them gave a project. Errors (exit 2): a
/// project ID that breaks Google's rule (the message names where it came from), or gcloud's
/// configuration present but unreadable.
pub fn resolve_project(
    demo: bool,
    flag: Option<&str>,
    file: Option<(&str, PathBuf)>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Option<String>, Origin), Failure> {
    if demo {
        return Ok((None, Origin::flag("--demo")));
    }
    let non_empty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let found = if let Some(p) = flag {
        Some((p.to_string(), Origin::flag("--project")))
    } else if let Some((p, name)) = ["GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"]
        .into_iter()
        .find_map(|k| non_empty(k).map(|v| (v, k)))
    {
        Some((p.trim().to_string(), Origin::env(name)))
    } else if let Some((p, path)) = file {
        Some((p.to_string(), Origin::ConfigFile { path }))
    } else {
        let gcloud = gcloud_config::active_configuration(env).map_err(|e| {
            Failure::usage(format!(
                "cannot read gcloud's configuration for the project: {e}; \
                 set --project or GOOGLE_CLOUD_PROJECT"
            ))
        })?;
        gcloud.and_then(|c| {
            let origin = Origin::Gcloud {
                configuration: c.name,
                path: c.path,
            };
            c.project.map(|p| (p, origin))
        })
    };
    match found {
        None => Ok((None, Origin::Default)),
        Some((p, origin)) => {
            validate_project_id(&p).map_err(|m| Failure::usage(format!("{m} (from {origin})")))?;
            Ok((Some(p), origin))
        }
    }
}

/// The quota project chosen before credentials are known: `--billing-project`, else
/// `GOOGLE_CLOUD_QUOTA_PROJECT` (the credentials file's `quota_project_id` comes last, when
/// the credentials are found). Errors (exit 2) for a value that is not a project ID.
pub fn resolve_billing_project(
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<QuotaProject>, Failure> {
    let found = match flag {
        Some(p) => Some((p.trim().to_string(), Origin::flag("--billing-project"))),
        None => env(QUOTA_PROJECT_ENV)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (v.trim().to_string(), Origin::env(QUOTA_PROJECT_ENV))),
    };
    let Some((id, origin)) = found else {
        return Ok(None);
    };
    validate_quota_project(&id).map_err(|m| Failure::usage(format!("{m} (from {origin})")))?;
    Ok(Some(QuotaProject { id, origin }))
}

/// The first entry of `items` that an earlier entry equals under `key`, if any.
pub fn first_duplicate<T, K: PartialEq>(items: &[T], key: impl Fn(&T) -> K) -> Option<&T> {
    items
        .iter()
        .enumerate()
        .find(|(i, x)| items[..*i].iter().any(|y| key(y) == key(x)))
        .map(|(_, x)| x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn gcloud_dir(project: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("configurations")).unwrap();
        std::fs::write(dir.path().join("active_config"), "work").unwrap();
        std::fs::write(
            dir.path().join("configurations/config_work"),
            format!("[core]\naccount = a@example.com\nproject = {project}\n"),
        )
        .unwrap();
        dir
    }

    #[test]
    fn the_project_order_ends_with_gcloud_then_demo() {
        let g = gcloud_dir("gcloud-proj");
        let gdir = g.path().to_str().unwrap();
        let file = || Some(("file-proj", PathBuf::from("/c.toml")));
        let env = env_of(&[
            ("CLOUDSDK_CONFIG", gdir),
            ("CLOUDSDK_CORE_PROJECT", "sdk-proj"),
            ("GOOGLE_CLOUD_PROJECT", "env-proj"),
        ]);
        let r = |flag, file, env: &dyn Fn(&str) -> Option<String>| {
            resolve_project(false, flag, file, env).unwrap()
        };
        assert_eq!(
            r(Some("flag-proj"), file(), &env),
            (Some("flag-proj".into()), Origin::flag("--project"))
        );
        assert_eq!(
            r(None, file(), &env),
            (Some("env-proj".into()), Origin::env("GOOGLE_CLOUD_PROJECT"))
        );
        let env = env_of(&[
            ("CLOUDSDK_CONFIG", gdir),
            ("CLOUDSDK_CORE_PROJECT", "sdk-proj"),
        ]);
        assert_eq!(
            r(None, file(), &env).1,
            Origin::env("CLOUDSDK_CORE_PROJECT")
        );
        let env = env_of(&[("CLOUDSDK_CONFIG", gdir)]);
        assert_eq!(
            r(None, file(), &env).1,
            Origin::ConfigFile {
                path: "/c.toml".into()
            }
        );
        assert_eq!(
            r(None, None, &env),
            (
                Some("gcloud-proj".into()),
                Origin::Gcloud {
                    configuration: "work".into(),
                    path: g.path().join("configurations/config_work")
                }
            )
        );
        let empty = tempfile::tempdir().unwrap();
        let env = env_of(&[("CLOUDSDK_CONFIG", empty.path().to_str().unwrap())]);
        assert_eq!(r(None, None, &env), (None, Origin::Default), "demo");
        assert_eq!(
            resolve_project(true, Some("flag-proj"), None, &env).unwrap(),
            (None, Origin::flag("--demo"))
        );
    }

    #[test]
    fn a_bad_gcloud_project_names_the_gcloud_file() {
        let g = gcloud_dir("Bad_Proj");
        let env = env_of(&[("CLOUDSDK_CONFIG", g.path().to_str().unwrap())]);
        let e = resolve_project(false, None, None, &env).unwrap_err();
        assert_eq!(e.code, 2);
        assert!(
            e.message.contains("'Bad_Proj'") && e.message.contains("config_work"),
            "{}",
            e.message
        );
    }

    #[test]
    fn the_billing_project_comes_from_the_flag_then_the_environment() {
        let env = env_of(&[(QUOTA_PROJECT_ENV, "env-billing")]);
        let q = resolve_billing_project(Some("flag-billing"), &env)
            .unwrap()
            .unwrap();
        assert_eq!(
            (q.id.as_str(), q.origin),
            ("flag-billing", Origin::flag("--billing-project"))
        );
        let q = resolve_billing_project(None, &env).unwrap().unwrap();
        assert_eq!(q.origin, Origin::env(QUOTA_PROJECT_ENV));
        assert_eq!(resolve_billing_project(None, &env_of(&[])), Ok(None));
        let e = resolve_billing_project(Some("Bad Billing"), &env).unwrap_err();
        assert!(
            e.message.contains("'Bad Billing'") && e.message.contains("--billing-project"),
            "{}",
            e.message
        );
    }

    #[test]
    fn finds_the_first_duplicate() {
        assert_eq!(first_duplicate(&["a", "b", "a", "b"], |s| *s), Some(&"a"));
        assert_eq!(first_duplicate(&["a", "b"], |s| *s), None);
        assert_eq!(
            first_duplicate(&["T4", "l4", "L4"], |s| s.to_lowercase()),
            Some(&"L4")
        );
    }
}
