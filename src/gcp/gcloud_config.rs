//! gcloud's own files, read the way gcloud reads them (SPEC §4 Project, Authentication).
//!
//! gcloud keeps its state in one directory: `$CLOUDSDK_CONFIG`, else `~/.config/gcloud`
//! (`%APPDATA%\gcloud` on Windows). In it, `active_config` holds the name of the active named
//! configuration (overridden by `CLOUDSDK_ACTIVE_CONFIG_NAME`; when absent, gcloud uses
//! `default`), `configurations/config_NAME` is that configuration's properties file (INI, read
//! with Python's `configparser`: `[core]` then `project = P`, `account = A`), and
//! `application_default_credentials.json` is the ADC file written by `gcloud auth
//! application-default login`. Source: the Google Cloud SDK's
//! `googlecloudsdk/core/config.py` (`_GetGlobalConfigDir`, `Paths.named_config_activator_path`)
//! and `googlecloudsdk/core/configurations/named_configs.py` (`_ActiveConfigNameFromFile`,
//! `_FileForConfig`, config names `^[a-z][-a-z0-9]*$`, the reserved `NONE`); the ADC path is
//! AIP-4113 (<https://google.aip.dev/auth/4113>) with `CLOUDSDK_CONFIG` honoured as gcloud
//! and Google's Python `google-auth` (`_cloud_sdk.get_config_path`) honour it.
//!
//! Everything here is read with a size cap, only from regular files, and never written.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Environment variable naming gcloud's configuration directory.
pub const CLOUDSDK_CONFIG_ENV: &str = "CLOUDSDK_CONFIG";

/// Environment variable naming the active gcloud configuration (overrides `active_config`).
pub const ACTIVE_CONFIG_ENV: &str = "CLOUDSDK_ACTIVE_CONFIG_NAME";

/// File name of gcloud's ADC file inside its configuration directory.
pub const ADC_FILE_NAME: &str = "application_default_credentials.json";

/// Largest gcloud properties or `active_config` file read (they are a few hundred bytes).
pub const MAX_PROPERTIES_BYTES: u64 = 64 * 1024;

/// gcloud's configuration directory: `$CLOUDSDK_CONFIG` when set and not blank, else
/// `$HOME/.config/gcloud` (`%APPDATA%\gcloud` on Windows); `None` when neither is known.
pub fn config_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    if let Some(dir) = set(CLOUDSDK_CONFIG_ENV) {
        return Some(PathBuf::from(dir));
    }
    if cfg!(windows) {
        set("APPDATA").map(|d| PathBuf::from(d).join("gcloud"))
    } else {
        set("HOME").map(|h| PathBuf::from(h).join(".config").join("gcloud"))
    }
}

/// The path of gcloud's ADC file (it need not exist).
pub fn adc_file(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    config_dir(env).map(|d| d.join(ADC_FILE_NAME))
}

/// gcloud's active named configuration, with the properties quota-tui uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcloudConfiguration {
    /// The configuration's name (`default`, `work`, ...).
    pub name: String,
    /// Its properties file, `<dir>/configurations/config_<name>`.
    pub path: PathBuf,
    /// `[core] project`, when set and not blank.
    pub project: Option<String>,
    /// `[core] account`, when set and not blank (gcloud's logged-in account).
    pub account: Option<String>,
}

/// Read gcloud's active configuration.
///
/// `Ok(None)` when gcloud has none: no configuration directory, the reserved `NONE`
/// configuration, or no properties file for the active name. Errors (a message naming the
/// file) when a file exists but cannot be read, is not a regular file, is larger than
/// [`MAX_PROPERTIES_BYTES`], or `CLOUDSDK_ACTIVE_CONFIG_NAME` is not a configuration name.
pub fn active_configuration(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<GcloudConfiguration>, String> {
    let Some(dir) = config_dir(env) else {
        return Ok(None);
    };
    let name = match env(ACTIVE_CONFIG_ENV).filter(|v| !v.trim().is_empty()) {
        Some(n) => {
            let n = n.trim().to_string();
            if !is_config_name(&n) && n != "NONE" {
                return Err(format!(
                    "{ACTIVE_CONFIG_ENV}='{}' is not a gcloud configuration name \
                     (lowercase letters, digits and hyphens, starting with a letter)",
                    n.escape_default()
                ));
            }
            n
        }
        None => {
            let file = dir.join("active_config");
            match read_small_file(&file, MAX_PROPERTIES_BYTES)? {
                // As gcloud does: an empty or corrupt activator means `default`.
                Some(text) if is_config_name(text.trim()) || text.trim() == "NONE" => {
                    text.trim().to_string()
                }
                _ => "default".to_string(),
            }
        }
    };
    if name == "NONE" {
        return Ok(None);
    }
    let path = dir.join("configurations").join(format!("config_{name}"));
    let Some(text) = read_small_file(&path, MAX_PROPERTIES_BYTES)? else {
        return Ok(None);
    };
    let value = |key: &str| {
        ini_value(&text, "core", key)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    Ok(Some(GcloudConfiguration {
        project: value("project"),
        account: value("account"),
        name,
        path,
    }))
}

/// gcloud's configuration names: `^[a-z][-a-z0-9]*$` (named_configs.py `_CONFIG_FILE_REGEX`).
fn is_config_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The value of `key` in `[section]` of an INI text, read as Python's `configparser` reads
/// gcloud's files: `key = value` or `key: value`, keys case-insensitive, whole-line comments
/// starting with `#` or `;`, indented lines continuing the previous value (ignored here). The
/// last occurrence wins. `None` when absent.
pub fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current: Option<&str> = None;
    let mut found = None;
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            continue; // a continuation line of a multi-line value
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            current = rest.split_once(']').map(|(name, _)| name.trim());
            continue;
        }
        if current != Some(section) {
            continue;
        }
        let Some(at) = trimmed.find(['=', ':']) else {
            continue;
        };
        let (k, v) = trimmed.split_at(at);
        if k.trim().eq_ignore_ascii_case(key) {
            found = Some(v[1..].trim().to_string());
        }
    }
    found
}

/// Read a small text file: `Ok(None)` when it does not exist; errors (naming the file) when it
/// is not a regular file (a FIFO, a directory: never opened, so never blocks), cannot be read,
/// is larger than `cap` bytes, or is not UTF-8.
pub fn read_small_file(path: &Path, cap: u64) -> Result<Option<String>, String> {
    let shown = path.display();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {shown}: {e}")),
    };
    if !meta.is_file() {
        return Err(format!("{shown} is not a regular file"));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(format!("{shown} is larger than {cap} bytes"));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| format!("{shown} is not UTF-8 text"))
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

    #[test]
    fn ini_reads_gcloud_properties_as_configparser_does() {
        let text = "# gcloud writes this\n[core]\naccount = alice@example.com\n\
                    Project: first\n    continued\ndisable_usage_reporting = True\n\
                    [compute]\nproject = not-core\n; comment\n[core]\nproject = my-project\r\n";
        assert_eq!(
            ini_value(text, "core", "project").as_deref(),
            Some("my-project")
        );
        assert_eq!(
            ini_value(text, "core", "account").as_deref(),
            Some("alice@example.com")
        );
        assert_eq!(ini_value(text, "core", "region"), None);
        assert_eq!(
            ini_value(text, "compute", "project").as_deref(),
            Some("not-core")
        );
        assert_eq!(ini_value("project = x\n", "core", "project"), None);
    }

    #[test]
    fn the_directory_honours_cloudsdk_config() {
        let e = env_of(&[("HOME", "/home/a"), ("CLOUDSDK_CONFIG", "/etc/g")]);
        assert_eq!(config_dir(&e), Some(PathBuf::from("/etc/g")));
        if !cfg!(windows) {
            let e = env_of(&[("HOME", "/home/a"), ("CLOUDSDK_CONFIG", " ")]);
            assert_eq!(
                adc_file(&e),
                Some(PathBuf::from(
                    "/home/a/.config/gcloud/application_default_credentials.json"
                ))
            );
        }
        assert_eq!(config_dir(&env_of(&[])), None);
    }

    #[test]
    fn reads_the_active_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap().to_string();
        let e = env_of(&[("CLOUDSDK_CONFIG", &d)]);
        assert_eq!(active_configuration(&e), Ok(None), "nothing there yet");
        std::fs::create_dir(dir.path().join("configurations")).unwrap();
        std::fs::write(
            dir.path().join("configurations/config_default"),
            "[core]\nproject = default-proj\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("configurations/config_work"),
            "[core]\naccount = bob@example.com\nproject = work-proj\n",
        )
        .unwrap();
        let c = active_configuration(&e).unwrap().unwrap();
        assert_eq!(
            (c.name.as_str(), c.project.as_deref()),
            ("default", Some("default-proj")),
            "no active_config file: gcloud uses `default`"
        );
        std::fs::write(dir.path().join("active_config"), "work\n").unwrap();
        let c = active_configuration(&e).unwrap().unwrap();
        assert_eq!(c.name, "work");
        assert_eq!(c.project.as_deref(), Some("work-proj"));
        assert_eq!(c.account.as_deref(), Some("bob@example.com"));
        assert_eq!(c.path, dir.path().join("configurations/config_work"));

        let e2 = env_of(&[("CLOUDSDK_CONFIG", &d), (ACTIVE_CONFIG_ENV, "default")]);
        assert_eq!(
            active_configuration(&e2).unwrap().unwrap().name,
            "default",
            "the environment overrides active_config"
        );
        let e3 = env_of(&[("CLOUDSDK_CONFIG", &d), (ACTIVE_CONFIG_ENV, "../etc")]);
        assert!(active_configuration(&e3).unwrap_err().contains("../etc"));
        let e4 = env_of(&[("CLOUDSDK_CONFIG", &d), (ACTIVE_CONFIG_ENV, "NONE")]);
        assert_eq!(active_configuration(&e4), Ok(None));
        std::fs::write(dir.path().join("active_config"), "../../x").unwrap();
        assert_eq!(
            active_configuration(&e).unwrap().unwrap().name,
            "default",
            "a corrupt activator is ignored, as gcloud ignores it"
        );
    }

    #[test]
    fn refuses_big_files_and_non_files_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'a'; 100]).unwrap();
        assert!(read_small_file(&big, 99).unwrap_err().contains("larger"));
        assert_eq!(read_small_file(&big, 100).unwrap().unwrap().len(), 100);
        assert!(
            read_small_file(dir.path(), 10)
                .unwrap_err()
                .contains("not a regular file")
        );
        assert_eq!(read_small_file(&dir.path().join("none"), 10), Ok(None));
        #[cfg(unix)]
        {
            let fifo = dir.path().join("fifo");
            let ok = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                assert!(
                    read_small_file(&fifo, 10)
                        .unwrap_err()
                        .contains("not a regular file")
                );
            }
        }
    }
}
