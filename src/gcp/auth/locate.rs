//! Which credentials a run uses, found without any network call (SPEC §4 Authentication).
//!
//! The order: `GOOGLE_OAUTH_ACCESS_TOKEN`; then Application Default Credentials as Google
//! defines them (AIP-4110, <https://google.aip.dev/auth/4110>, and
//! <https://cloud.google.com/docs/authentication/application-default-credentials>): the file
//! named by `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's ADC file (in `$CLOUDSDK_CONFIG`,
//! else `~/.config/gcloud`), else the metadata server when this is a Google Cloud machine;
//! then, last, the gcloud CLI.
//!
//! A credentials file is used whatever its `type` among the four that Google's Rust library
//! `google-cloud-auth` builds from ADC (`service_account`, `authorized_user`,
//! `impersonated_service_account`, `external_account`: `google-cloud-auth` 1.18,
//! `src/credentials.rs`, `build_credentials`), each with the fields its builder requires. A
//! file that is present but cannot be used is an error naming the file and its type: never a
//! silent fall-through to another identity.
//!
//! Unlike `google-cloud-auth`'s own ADC lookup (which reads only
//! `$HOME/.config/gcloud/application_default_credentials.json`), gcloud's file is looked for
//! where gcloud writes it, honouring `CLOUDSDK_CONFIG`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::{ACCESS_TOKEN_ENV, APPLICATION_CREDENTIALS_ENV};
use crate::gcp::error::{ApiError, ErrorKind};
use crate::gcp::gcloud_config::{self, read_small_file};

/// Largest credentials file read (a service account key is about 2.4 KB).
pub const MAX_CREDENTIALS_BYTES: u64 = 1024 * 1024;

/// Environment variable that names the metadata server's host (honoured by
/// `google-cloud-auth`'s metadata client, `src/mds/client.rs`).
pub const METADATA_HOST_ENV: &str = "GCE_METADATA_HOST";

/// Environment variable that skips looking for a Google Cloud machine (as in `google-auth`).
pub const NO_GCE_CHECK_ENV: &str = "NO_GCE_CHECK";

/// Where the DMI product name of a Google Compute Engine VM can be read ("Google Compute
/// Engine"), as Google's Go and Python libraries check it before probing the metadata server.
const DMI_PRODUCT_NAME: &str = "/sys/class/dmi/id/product_name";

/// The credentials file types quota-tui can use, as `google-cloud-auth` names them.
pub const SUPPORTED_TYPES: [&str; 4] = [
    "service_account",
    "authorized_user",
    "impersonated_service_account",
    "external_account",
];

/// The kind of source that gives the Bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A ready token in `GOOGLE_OAUTH_ACCESS_TOKEN`.
    AccessTokenEnv,
    /// The file named by `GOOGLE_APPLICATION_CREDENTIALS`.
    CredentialsFile,
    /// gcloud's ADC file (`gcloud auth application-default login`).
    GcloudAdcFile,
    /// The metadata server of a Google Cloud machine.
    MetadataServer,
    /// `gcloud auth print-access-token`.
    GcloudCli,
    /// The dummy token of the embedded demo server.
    Demo,
    /// Credentials handed in by code (tests).
    Custom,
}

/// A description of the credentials in use: never a token, key or secret.
///
/// `Display` gives one line, e.g. `authorized_user credentials file
/// /home/a/.config/gcloud/application_default_credentials.json (gcloud's ADC file)` or
/// `the gcloud CLI (gcloud auth print-access-token), account alice@example.com`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialInfo {
    pub source: SourceKind,
    /// The file's `type`, for the two file sources.
    #[serde(rename = "type")]
    pub file_type: Option<String>,
    /// The credentials file, or the gcloud program.
    pub path: Option<PathBuf>,
    /// The account, when known: a service account's `client_email`, the impersonated service
    /// account, or gcloud's `[core] account`.
    pub account: Option<String>,
    /// The file's `quota_project_id`, when it has one.
    pub file_quota_project: Option<String>,
    /// Anything else worth saying (`GCE_METADATA_HOST=...`).
    pub detail: Option<String>,
}

impl CredentialInfo {
    /// Info of `source` with nothing else known.
    pub fn of(source: SourceKind) -> Self {
        CredentialInfo {
            source,
            file_type: None,
            path: None,
            account: None,
            file_quota_project: None,
            detail: None,
        }
    }

    /// A few words for the Cache screen: `authorized_user (gcloud's ADC file), account a@b`,
    /// `service_account (GOOGLE_APPLICATION_CREDENTIALS), account sa@p.iam...`, `the metadata
    /// server`, `the gcloud CLI, account a@b`, `GOOGLE_OAUTH_ACCESS_TOKEN`, `the demo token`.
    pub fn brief(&self) -> String {
        let ty = self.file_type.as_deref().unwrap_or("?");
        let mut s = match self.source {
            SourceKind::AccessTokenEnv => ACCESS_TOKEN_ENV.to_string(),
            SourceKind::CredentialsFile => format!("{ty} ({APPLICATION_CREDENTIALS_ENV})"),
            SourceKind::GcloudAdcFile => format!("{ty} (gcloud's ADC file)"),
            SourceKind::MetadataServer => "the metadata server".to_string(),
            SourceKind::GcloudCli => "the gcloud CLI".to_string(),
            SourceKind::Demo => "the demo token".to_string(),
            SourceKind::Custom => "supplied credentials".to_string(),
        };
        if let Some(a) = &self.account {
            s.push_str(&format!(", account {a}"));
        }
        s
    }

    /// A short name for logs: `GOOGLE_OAUTH_ACCESS_TOKEN`, `authorized_user file`, ...
    pub fn short_name(&self) -> String {
        match (self.source, &self.file_type) {
            (SourceKind::AccessTokenEnv, _) => ACCESS_TOKEN_ENV.to_string(),
            (SourceKind::CredentialsFile | SourceKind::GcloudAdcFile, Some(t)) => {
                format!("{t} credentials file")
            }
            (SourceKind::MetadataServer, _) => "metadata server".to_string(),
            (SourceKind::GcloudCli, _) => "gcloud CLI".to_string(),
            (SourceKind::Demo, _) => "demo".to_string(),
            _ => "credentials".to_string(),
        }
    }
}

impl fmt::Display for CredentialInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self
            .path
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let ty = self.file_type.as_deref().unwrap_or("?");
        match self.source {
            SourceKind::AccessTokenEnv => write!(f, "a ready access token in {ACCESS_TOKEN_ENV}")?,
            SourceKind::CredentialsFile => write!(
                f,
                "{ty} credentials file {path} (from {APPLICATION_CREDENTIALS_ENV})"
            )?,
            SourceKind::GcloudAdcFile => {
                write!(f, "{ty} credentials file {path} (gcloud's ADC file)")?
            }
            SourceKind::MetadataServer => write!(f, "the metadata server")?,
            SourceKind::GcloudCli => write!(f, "the gcloud CLI ({path} auth print-access-token)")?,
            SourceKind::Demo => write!(f, "the demo token of the embedded demo server")?,
            SourceKind::Custom => write!(f, "credentials supplied by the caller")?,
        }
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        if let Some(a) = &self.account {
            write!(f, ", account {a}")?;
        }
        Ok(())
    }
}

/// The JSON of a credentials file: holds secrets, so `Debug` prints nothing of it.
#[derive(Clone)]
pub struct SecretJson(pub(crate) Value);

impl fmt::Debug for SecretJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretJson(***)")
    }
}

/// What [`locate`] found.
#[derive(Debug)]
pub enum Located {
    /// `GOOGLE_OAUTH_ACCESS_TOKEN` (the value, trimmed; validated when used).
    AccessToken(super::Secret),
    /// A usable credentials file: its description and JSON.
    File(CredentialInfo, SecretJson),
    /// The metadata server.
    Metadata(CredentialInfo),
    /// The gcloud CLI at `info.path`.
    GcloudCli(CredentialInfo),
}

/// Find the credentials SPEC §4 says to use, reading `env` and files but sending nothing.
///
/// Errors (kind `Auth`): a credentials file that is missing (when named by
/// `GOOGLE_APPLICATION_CREDENTIALS`), unreadable, not JSON, of an unknown `type` or missing a
/// field its type requires: the message names the file and its type; or no source at all: the
/// message lists each source tried and says what to run.
pub fn locate(env: &dyn Fn(&str) -> Option<String>) -> Result<Located, ApiError> {
    let set = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    if let Some(token) = set(ACCESS_TOKEN_ENV) {
        return Ok(Located::AccessToken(super::Secret::new(token.trim())));
    }
    if let Some(p) = set(APPLICATION_CREDENTIALS_ENV) {
        let path = PathBuf::from(p);
        return match read_credentials(&path, SourceKind::CredentialsFile)? {
            Some(found) => Ok(found),
            None => Err(auth(format!(
                "credentials file {} (named by {APPLICATION_CREDENTIALS_ENV}) does not exist. \
                 Point {APPLICATION_CREDENTIALS_ENV} at a credentials file, or unset it to use \
                 gcloud's (`gcloud auth application-default login`)",
                path.display()
            ))),
        };
    }
    let adc = gcloud_config::adc_file(env);
    if let Some(path) = &adc
        && let Some(found) = read_credentials(path, SourceKind::GcloudAdcFile)?
    {
        return Ok(found);
    }
    if let Some(detail) = metadata_server_hint(env) {
        return Ok(Located::Metadata(CredentialInfo {
            detail: Some(detail),
            ..CredentialInfo::of(SourceKind::MetadataServer)
        }));
    }
    if let Some(program) = find_program("gcloud", env) {
        let account = gcloud_config::active_configuration(env)
            .ok()
            .flatten()
            .and_then(|c| c.account);
        return Ok(Located::GcloudCli(CredentialInfo {
            path: Some(program),
            account,
            ..CredentialInfo::of(SourceKind::GcloudCli)
        }));
    }
    let adc_shown = adc
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(no HOME or CLOUDSDK_CONFIG)".to_string());
    Err(auth(format!(
        "no Google credentials found. Tried: {ACCESS_TOKEN_ENV} (not set); \
         {APPLICATION_CREDENTIALS_ENV} (not set); gcloud's ADC file {adc_shown} (none); \
         the metadata server (not a Google Cloud machine, {METADATA_HOST_ENV} not set); \
         the gcloud CLI (not on PATH). Run `gcloud auth application-default login`, or set \
         {ACCESS_TOKEN_ENV} (e.g. to the output of `gcloud auth print-access-token`); \
         or run without a project to use the demo"
    )))
}

fn auth(message: String) -> ApiError {
    ApiError::new(ErrorKind::Auth, message)
}

/// Read and check one credentials file; `Ok(None)` when it does not exist.
fn read_credentials(path: &Path, source: SourceKind) -> Result<Option<Located>, ApiError> {
    let shown = path.display();
    let text = read_small_file(path, MAX_CREDENTIALS_BYTES)
        .map_err(|e| auth(format!("credentials file unusable (type unknown): {e}")))?;
    let Some(text) = text else { return Ok(None) };
    let json: Value = serde_json::from_str(&text).map_err(|e| {
        // serde_json's syntax errors give a position, never the text.
        auth(format!(
            "credentials file {shown} is not JSON (type unknown): line {} column {}",
            e.line(),
            e.column()
        ))
    })?;
    let Some(obj) = json.as_object() else {
        return Err(auth(format!(
            "credentials file {shown} is not a JSON object (type unknown)"
        )));
    };
    let file_type = match obj.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(_) => {
            return Err(auth(format!(
                "credentials file {shown} has a `type` that is not a string"
            )));
        }
        None => {
            return Err(auth(format!(
                "credentials file {shown} has no `type` field; expected one of {}",
                SUPPORTED_TYPES.join(", ")
            )));
        }
    };
    let shown_type: String = file_type.escape_default().take(60).collect();
    let required: &[&str] = match file_type.as_str() {
        "authorized_user" => &["client_id", "client_secret", "refresh_token"],
        "service_account" => &[
            "client_email",
            "private_key_id",
            "private_key",
            "project_id",
        ],
        "impersonated_service_account" => {
            &["service_account_impersonation_url", "source_credentials"]
        }
        "external_account" => &[
            "audience",
            "subject_token_type",
            "token_url",
            "credential_source",
        ],
        _ => {
            return Err(auth(format!(
                "credentials file {shown} has type '{shown_type}', which quota-tui cannot use; \
                 the types it can use are {}",
                SUPPORTED_TYPES.join(", ")
            )));
        }
    };
    if let Some(missing) = required
        .iter()
        .find(|k| obj.get(**k).is_none_or(Value::is_null))
    {
        return Err(auth(format!(
            "credentials file {shown} (type {shown_type}) cannot be used: \
             it has no `{missing}` field"
        )));
    }
    let text_of = |k: &str| {
        obj.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let account = match file_type.as_str() {
        "service_account" => text_of("client_email"),
        "impersonated_service_account" | "external_account" => {
            text_of("service_account_impersonation_url").and_then(|u| impersonated_email(&u))
        }
        _ => text_of("account"),
    };
    let info = CredentialInfo {
        source,
        file_type: Some(file_type),
        path: Some(path.to_path_buf()),
        account,
        file_quota_project: text_of("quota_project_id"),
        detail: None,
    };
    Ok(Some(Located::File(info, SecretJson(json))))
}

/// The service account of an IAM Credentials URL
/// (`.../projects/-/serviceAccounts/EMAIL:generateAccessToken`).
fn impersonated_email(url: &str) -> Option<String> {
    let (_, rest) = url.rsplit_once("/serviceAccounts/")?;
    let email = rest.split(':').next()?;
    (!email.is_empty()).then(|| email.to_string())
}

/// Why this looks like a Google Cloud machine with a metadata server, without probing the
/// network: `GCE_METADATA_HOST` set; else, unless `NO_GCE_CHECK` is set (the variable Google's
/// Python `google-auth` honours to skip this check), a DMI product name naming Google (Compute
/// Engine, GKE nodes) or the environment of Cloud Run (`K_SERVICE`, `CLOUD_RUN_JOB`).
fn metadata_server_hint(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let set = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    if let Some(host) = set(METADATA_HOST_ENV) {
        return Some(format!("{METADATA_HOST_ENV}={}", host.escape_default()));
    }
    if set(NO_GCE_CHECK_ENV).is_some_and(|v| !v.eq_ignore_ascii_case("false")) {
        return None;
    }
    if let Ok(Some(name)) = read_small_file(Path::new(DMI_PRODUCT_NAME), 256)
        && name.contains("Google")
    {
        return Some("a Google Compute Engine machine".to_string());
    }
    ["K_SERVICE", "CLOUD_RUN_JOB"]
        .into_iter()
        .find(|k| set(k).is_some())
        .map(|k| format!("Cloud Run ({k} is set)"))
}

/// The first executable file named `name` in `PATH`.
pub(crate) fn find_program(name: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let path = env("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

#[cfg(test)]
mod tests;
