//! Where a setting came from (SPEC §4 Project, §9 `quota-tui config`): a flag, an environment
//! variable, the quota-tui config file, gcloud's active configuration, a credentials file, or
//! the default. Shown by `quota-tui config` and in the `project: P (from SOURCE)` line of every
//! headless command.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// The source of one resolved setting.
///
/// `Display` gives the words used after "from": `--project`, `GOOGLE_CLOUD_PROJECT`,
/// `config file /home/a/.config/quota-tui/config.toml`, `gcloud configuration 'default' in
/// /home/a/.config/gcloud/configurations/config_default`, `credentials file /tmp/adc.json`,
/// `default`. JSON (for `config --json`): `{"kind": "env", "name": "GOOGLE_CLOUD_PROJECT"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A command-line flag, named with its dashes (`--project`).
    Flag { name: String },
    /// An environment variable, by name.
    Env { name: String },
    /// The quota-tui config file (TOML), by path.
    ConfigFile { path: PathBuf },
    /// A gcloud named configuration: its name and the properties file read.
    Gcloud {
        configuration: String,
        path: PathBuf,
    },
    /// A Google credentials file (e.g. its `quota_project_id`), by path.
    CredentialsFile { path: PathBuf },
    /// Nothing set it: the built-in default.
    Default,
}

impl Origin {
    /// A flag, e.g. `Origin::flag("--project")`.
    pub fn flag(name: &str) -> Origin {
        Origin::Flag {
            name: name.to_string(),
        }
    }

    /// An environment variable, e.g. `Origin::env("GOOGLE_CLOUD_PROJECT")`.
    pub fn env(name: &str) -> Origin {
        Origin::Env {
            name: name.to_string(),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag { name } | Origin::Env { name } => f.write_str(name),
            Origin::ConfigFile { path } => write!(f, "config file {}", path.display()),
            Origin::Gcloud {
                configuration,
                path,
            } => write!(
                f,
                "gcloud configuration '{configuration}' in {}",
                path.display()
            ),
            Origin::CredentialsFile { path } => write!(f, "credentials file {}", path.display()),
            Origin::Default => f.write_str("default"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_source_as_a_person_reads_it() {
        assert_eq!(Origin::flag("--project").to_string(), "--project");
        assert_eq!(
            Origin::env("CLOUDSDK_CORE_PROJECT").to_string(),
            "CLOUDSDK_CORE_PROJECT"
        );
        assert_eq!(
            Origin::Gcloud {
                configuration: "work".into(),
                path: "/g/configurations/config_work".into()
            }
            .to_string(),
            "gcloud configuration 'work' in /g/configurations/config_work"
        );
        assert_eq!(
            serde_json::to_value(Origin::env("X")).unwrap(),
            serde_json::json!({"kind": "env", "name": "X"})
        );
        assert_eq!(
            serde_json::to_value(Origin::Default).unwrap(),
            serde_json::json!({"kind": "default"})
        );
    }
}
