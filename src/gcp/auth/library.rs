//! Application Default Credentials through Google's official Rust library, `google-cloud-auth`
//! 1.18 (googleapis/google-cloud-rust, <https://docs.rs/google-cloud-auth>).
//!
//! The file found by [`super::locate`] is handed to the builder of its type, as
//! `google-cloud-auth`'s own ADC builder does (`src/credentials.rs`, `build_credentials`):
//! `user_account::Builder` (`authorized_user`; it honours the file's `token_uri` and
//! `quota_project_id`, `src/credentials/user_account.rs`), `service_account::Builder`,
//! `impersonated::Builder`, `external_account::Builder`; with no file, `mds::Builder` (the
//! metadata server, `GCE_METADATA_HOST` honoured). The quota project chosen by quota-tui is set
//! on the builder with `with_quota_project_id`, which overrides the file's.
//!
//! The library caches the token and refreshes it ahead of expiry in a background task
//! (`src/token_cache.rs`); it has no "refresh now", so a fresh token after a 401 rebuilds the
//! credentials from the same JSON, which starts with an empty cache. A failure reported by the
//! cache stays there until the next refresh, so after any failure the next call rebuilds too.

use async_trait::async_trait;
use google_cloud_auth::credentials::{
    AccessTokenCredentials, external_account, impersonated, mds, service_account, user_account,
};

use super::locate::{CredentialInfo, SecretJson};
use super::{CLOUD_PLATFORM_SCOPE, Credentials, Secret};
use crate::gcp::error::{ApiError, ErrorKind};

/// Credentials built by `google-cloud-auth` from a credentials file, or the metadata server.
pub(super) struct LibraryCredentials {
    info: CredentialInfo,
    name: String,
    json: Option<SecretJson>,
    quota_project: Option<String>,
    state: tokio::sync::Mutex<State>,
}

struct State {
    credentials: AccessTokenCredentials,
    /// The last call failed: build anew before the next.
    rebuild: bool,
}

impl LibraryCredentials {
    /// Build the credentials (must run inside the tokio runtime: the library starts fetching
    /// a token at once). `json` is the file's JSON, or `None` for the metadata server.
    ///
    /// Errors (kind `Auth`): the library refused the file; the message names it and its type.
    pub(super) fn new(
        info: CredentialInfo,
        json: Option<SecretJson>,
        quota_project: Option<String>,
    ) -> Result<Self, ApiError> {
        let credentials = build(&info, json.as_ref(), quota_project.as_deref())?;
        Ok(LibraryCredentials {
            name: info.short_name(),
            info,
            json,
            quota_project,
            state: tokio::sync::Mutex::new(State {
                credentials,
                rebuild: false,
            }),
        })
    }

    async fn get(&self, renew: bool) -> Result<Secret, ApiError> {
        let credentials = {
            let mut state = self.state.lock().await;
            if renew || state.rebuild {
                state.credentials = build(
                    &self.info,
                    self.json.as_ref(),
                    self.quota_project.as_deref(),
                )?;
                state.rebuild = false;
            }
            state.credentials.clone()
        };
        match credentials.access_token().await {
            Ok(t) => Ok(Secret::new(t.token)),
            Err(e) => {
                self.state.lock().await.rebuild = true;
                Err(token_error(&self.info, &e))
            }
        }
    }
}

#[async_trait]
impl Credentials for LibraryCredentials {
    async fn token(&self) -> Result<Secret, ApiError> {
        self.get(false).await
    }

    async fn fresh_token(&self) -> Result<Secret, ApiError> {
        self.get(true).await
    }

    fn source_name(&self) -> &str {
        &self.name
    }
}

/// Build the library's credentials for `info`'s type, scope cloud-platform (the user's own
/// login scopes for `authorized_user`), quota project `quota`.
fn build(
    info: &CredentialInfo,
    json: Option<&SecretJson>,
    quota: Option<&str>,
) -> Result<AccessTokenCredentials, ApiError> {
    let scopes = [CLOUD_PLATFORM_SCOPE];
    let Some(json) = json else {
        let b = mds::Builder::default().with_scopes(scopes);
        let b = match quota {
            Some(q) => b.with_quota_project_id(q),
            None => b,
        };
        return b.build_access_token_credentials().map_err(|e| {
            ApiError::new(
                ErrorKind::Auth,
                format!("the metadata server credentials cannot be built: {e}"),
            )
        });
    };
    let v = json.0.clone();
    let ty = info.file_type.as_deref().unwrap_or_default();
    macro_rules! with_quota {
        ($b:expr) => {{
            let b = $b;
            match quota {
                Some(q) => b.with_quota_project_id(q),
                None => b,
            }
        }};
    }
    let built = match ty {
        "authorized_user" => {
            with_quota!(user_account::Builder::new(v)).build_access_token_credentials()
        }
        "service_account" => with_quota!(
            service_account::Builder::new(v)
                .with_access_specifier(service_account::AccessSpecifier::from_scopes(scopes))
        )
        .build_access_token_credentials(),
        "impersonated_service_account" => {
            with_quota!(impersonated::Builder::new(v).with_scopes(scopes))
                .build_access_token_credentials()
        }
        "external_account" => with_quota!(external_account::Builder::new(v).with_scopes(scopes))
            .build_access_token_credentials(),
        other => {
            return Err(ApiError::new(
                ErrorKind::Auth,
                format!("credentials of type '{other}' are not supported"),
            ));
        }
    };
    built.map_err(|e| {
        let path = info
            .path
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        ApiError::new(
            ErrorKind::Auth,
            format!(
                "credentials file {path} (type {ty}) cannot be used: {}",
                chain(&e)
            ),
        )
    })
}

/// The error of a failed token fetch: `Unavailable` (retried) when the library calls it
/// transient (the token endpoint unreachable, 5xx, 429), else `Auth`.
fn token_error(info: &CredentialInfo, e: &google_cloud_auth::errors::CredentialsError) -> ApiError {
    let fix = match (info.source, info.file_type.as_deref()) {
        (super::SourceKind::GcloudAdcFile, Some("authorized_user")) => {
            ". Run `gcloud auth application-default login` again"
        }
        (super::SourceKind::MetadataServer, _) => {
            ". Check the machine's service account, or set GOOGLE_APPLICATION_CREDENTIALS"
        }
        _ => "",
    };
    let kind = if e.is_transient() {
        ErrorKind::Unavailable
    } else {
        ErrorKind::Auth
    };
    ApiError::new(
        kind,
        format!("{} gave no access token: {}{fix}", info, chain(e)),
    )
}

/// An error and its sources, `: `-joined, on one line, at most 600 characters (the token
/// endpoint's answer is remote text).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(c) = source {
        let next = c.to_string();
        if !s.contains(&next) {
            s.push_str(": ");
            s.push_str(&next);
        }
        source = c.source();
    }
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out: String = one_line.chars().take(600).collect();
    if one_line.chars().count() > 600 {
        out.push('…');
    }
    out
}
