//! Credentials for the Google APIs (SPEC §4 Authentication): where a Bearer token comes from,
//! the quota project sent with it, the request headers every Google call carries, and the
//! [`Secret`] type that keeps a token out of every log, error and screen.
//!
//! Sources, in order ([`locate`]): a ready token in `GOOGLE_OAUTH_ACCESS_TOKEN`; else
//! Application Default Credentials through Google's official Rust library `google-cloud-auth`
//! (googleapis/google-cloud-rust): `GOOGLE_APPLICATION_CREDENTIALS` of any of its four file
//! types, gcloud's ADC file (honouring `CLOUDSDK_CONFIG`), the metadata server; else, last,
//! the gcloud CLI (`gcloud auth print-access-token`). Demo mode uses a fixed dummy token that
//! only the embedded fake accepts.
//!
//! The quota project ([`QuotaProject`]) is `--billing-project`, else
//! `GOOGLE_CLOUD_QUOTA_PROJECT`, else the credentials file's `quota_project_id`: the precedence
//! of Google's "Set the quota project" page
//! (<https://cloud.google.com/docs/quotas/set-quota-project>: programmatically, environment
//! variable, credentials). It goes out as `x-goog-user-project` on every call, next to
//! `Authorization: Bearer`, exactly as `google-cloud-auth` builds its headers
//! (`src/headers_util.rs`, `AuthHeadersBuilder::as_headers`: the token marked sensitive).

mod gcloud_cli;
mod library;
pub mod locate;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};

use super::error::{ApiError, ErrorKind};
use crate::origin::Origin;
pub use locate::{CredentialInfo, Located, SourceKind, locate};

/// OAuth scope of every request (SPEC §4).
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// Environment variable holding a ready access token (honoured by gcloud and Terraform too).
pub const ACCESS_TOKEN_ENV: &str = "GOOGLE_OAUTH_ACCESS_TOKEN";

/// Environment variable naming a credentials file (AIP-4110).
pub const APPLICATION_CREDENTIALS_ENV: &str = "GOOGLE_APPLICATION_CREDENTIALS";

/// Environment variable naming the quota project (as `google-cloud-auth` reads it,
/// `src/constants.rs` `GOOGLE_CLOUD_QUOTA_PROJECT_VAR`).
pub const QUOTA_PROJECT_ENV: &str = "GOOGLE_CLOUD_QUOTA_PROJECT";

/// The header that names the quota project (`google-cloud-auth` `QUOTA_PROJECT_KEY`).
pub const USER_PROJECT_HEADER: &str = "x-goog-user-project";

/// The dummy token of demo mode (SPEC §5). Not a secret: the embedded fake accepts any
/// Bearer token.
pub const DEMO_TOKEN: &str = "quota-tui-demo-token";

/// An access token. `Debug` and `Display` print `***`; only [`Secret::expose`] gives the
/// characters, for the `Authorization` header and nothing else.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a token.
    pub fn new(token: impl Into<String>) -> Self {
        Secret(token.into())
    }

    /// The token's characters, for an `Authorization: Bearer` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Something that hands out Bearer tokens: a fixed token, ADC, or a counting fake in tests.
#[async_trait]
pub trait Credentials: Send + Sync + 'static {
    /// A valid token, cached where the source caches. Errors are of kind `Auth` (or
    /// `Unavailable` when the token endpoint could not be reached).
    async fn token(&self) -> Result<Secret, ApiError>;

    /// A token obtained anew, not from a cache: called once after a 401 (SPEC §4).
    /// Sources that cannot renew (a fixed token) return the token they have.
    async fn fresh_token(&self) -> Result<Secret, ApiError>;

    /// Which source this is, for logs: `GOOGLE_OAUTH_ACCESS_TOKEN`, `authorized_user
    /// credentials file`, `demo`. Never the token.
    fn source_name(&self) -> &str;
}

/// The quota project sent as `x-goog-user-project`, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaProject {
    pub id: String,
    pub origin: Origin,
}

/// Check a quota project ID before it goes into a header: 1–100 characters of lowercase
/// letters, digits, hyphens, and the `.` and `:` of domain-scoped project IDs
/// (`example.com:my-project`). Errors with a message naming the value.
pub fn validate_quota_project(id: &str) -> Result<(), String> {
    let ok = (1..=100).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.:".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "quota project '{}' is not a project ID (lowercase letters, digits and hyphens)",
            id.escape_default()
        ))
    }
}

/// The token source of a run, with the description of its credentials and the quota project;
/// cheap to clone (shared).
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<dyn Credentials>,
    info: Arc<CredentialInfo>,
    quota_project: Option<QuotaProject>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenSource({})", self.inner.source_name())
    }
}

impl TokenSource {
    /// Credentials from the process environment in SPEC §4 order ([`locate`]), with the quota
    /// project `billing` (from `--billing-project` or `GOOGLE_CLOUD_QUOTA_PROJECT`), else the
    /// credentials file's `quota_project_id`.
    ///
    /// Errors (kind `Auth`, exit 3): no source; a credentials file that cannot be used (the
    /// message names the file and its `type`); a `GOOGLE_OAUTH_ACCESS_TOKEN` that is not a
    /// usable token; the gcloud CLI failing. Nothing is sent to a Google API; a credentials
    /// file's token is fetched in the background from here on (`google-cloud-auth`'s cache).
    pub async fn from_env(billing: Option<QuotaProject>) -> Result<TokenSource, ApiError> {
        TokenSource::from_lookup(&|k| std::env::var(k).ok(), billing).await
    }

    /// [`Self::from_env`] reading variables through `env` (tests).
    pub async fn from_lookup(
        env: &dyn Fn(&str) -> Option<String>,
        billing: Option<QuotaProject>,
    ) -> Result<TokenSource, ApiError> {
        // google-cloud-auth is built without its aws-lc default: it uses the process's
        // rustls provider, ring, as the rest of quota-tui does.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (inner, info, quota_project): (Arc<dyn Credentials>, _, _) = match locate(env)? {
            Located::AccessToken(token) => {
                let info = CredentialInfo::of(SourceKind::AccessTokenEnv);
                bearer_value(&token).map_err(|what| malformed(&info, &what))?;
                (
                    Arc::new(FixedToken {
                        token,
                        source_name: ACCESS_TOKEN_ENV.to_string(),
                    }),
                    info,
                    billing,
                )
            }
            Located::File(info, json) => {
                let quota = billing.or_else(|| {
                    Some(QuotaProject {
                        id: info.file_quota_project.clone()?,
                        origin: Origin::CredentialsFile {
                            path: info.path.clone()?,
                        },
                    })
                });
                if let Some(q) = &quota {
                    validate_quota_project(&q.id).map_err(|m| {
                        ApiError::new(ErrorKind::Auth, format!("{m} (from {})", q.origin))
                    })?;
                }
                let creds = library::LibraryCredentials::new(
                    info.clone(),
                    Some(json),
                    quota.as_ref().map(|q| q.id.clone()),
                )?;
                (Arc::new(creds), info, quota)
            }
            Located::Metadata(info) => {
                let creds = library::LibraryCredentials::new(
                    info.clone(),
                    None,
                    billing.as_ref().map(|q| q.id.clone()),
                )?;
                (Arc::new(creds), info, billing)
            }
            Located::GcloudCli(info) => {
                let creds = gcloud_cli::GcloudCli::new(info.clone());
                let token = creds.token().await?;
                bearer_value(&token).map_err(|what| malformed(&info, &what))?;
                (Arc::new(creds), info, billing)
            }
        };
        Ok(TokenSource {
            inner,
            info: Arc::new(info),
            quota_project,
        })
    }

    /// A fixed token (e.g. in tests); `source_name` is for logs.
    pub fn fixed(token: Secret, source_name: &str) -> TokenSource {
        TokenSource::from_credentials(Arc::new(FixedToken {
            token,
            source_name: source_name.to_string(),
        }))
    }

    /// The dummy token of demo mode ([`DEMO_TOKEN`]).
    pub fn demo() -> TokenSource {
        TokenSource {
            info: Arc::new(CredentialInfo::of(SourceKind::Demo)),
            ..TokenSource::fixed(Secret::new(DEMO_TOKEN), "demo")
        }
    }

    /// Any other credentials (tests use a source that counts its calls); no quota project.
    pub fn from_credentials(credentials: Arc<dyn Credentials>) -> TokenSource {
        TokenSource {
            inner: credentials,
            info: Arc::new(CredentialInfo::of(SourceKind::Custom)),
            quota_project: None,
        }
    }

    /// The same source sending `quota_project` as `x-goog-user-project`.
    pub fn with_quota_project(mut self, quota_project: Option<QuotaProject>) -> TokenSource {
        self.quota_project = quota_project;
        self
    }

    /// A valid token (cached where the source caches).
    pub async fn token(&self) -> Result<Secret, ApiError> {
        self.inner.token().await
    }

    /// A token obtained anew, after the API answered 401 (SPEC §4).
    pub async fn fresh_token(&self) -> Result<Secret, ApiError> {
        self.inner.fresh_token().await
    }

    /// The headers of one Google call: `Authorization: Bearer TOKEN` (marked sensitive, so
    /// never printed by `Debug`) and, when a quota project is set, `x-goog-user-project`. With
    /// `renew`, the token is obtained anew (after a 401).
    ///
    /// Errors: the source's errors; kind `Auth`, never retried, when the token has a byte a
    /// header cannot carry (a line break, a control character): the message says what is
    /// wrong and with which source, never the token.
    pub async fn headers(&self, renew: bool) -> Result<HeaderMap, ApiError> {
        let token = if renew {
            self.fresh_token().await?
        } else {
            self.token().await?
        };
        let value = bearer_value(&token).map_err(|what| malformed(&self.info, &what))?;
        let mut headers = HeaderMap::with_capacity(2);
        headers.insert(AUTHORIZATION, value);
        if let Some(q) = &self.quota_project
            && let Ok(v) = HeaderValue::from_str(&q.id)
        {
            headers.insert(HeaderName::from_static(USER_PROJECT_HEADER), v);
        }
        Ok(headers)
    }

    /// The source's name for logs; never the token.
    pub fn source_name(&self) -> &str {
        self.inner.source_name()
    }

    /// What the credentials are (source, file, type, account): never a secret.
    pub fn info(&self) -> &CredentialInfo {
        &self.info
    }

    /// The quota project sent as `x-goog-user-project`, if any.
    pub fn quota_project(&self) -> Option<&QuotaProject> {
        self.quota_project.as_ref()
    }

    /// `e` with the fix added when Google refused the quota project: a 403 naming
    /// `serviceusage.services.use` (reason `USER_PROJECT_DENIED`: "Caller does not have
    /// required permission to use project P ...").
    pub fn explain(&self, mut e: ApiError) -> ApiError {
        if e.http_status != Some(403) || !e.message.contains("serviceusage.services.use") {
            return e;
        }
        let sent = match &self.quota_project {
            Some(q) => format!(
                "quota-tui sent {USER_PROJECT_HEADER}: {} (the quota project, from {}), and \
                 the account needs serviceusage.services.use on it",
                q.id, q.origin
            ),
            None => "the account needs serviceusage.services.use on the quota project".into(),
        };
        e.message = format!(
            "{} [{sent}. Fix: choose a quota project where you have it (e.g. the project you \
             check) with `gcloud auth application-default set-quota-project PROJECT`, or \
             pass --billing-project PROJECT]",
            e.message
        );
        e
    }
}

/// Whether `token` can be sent as a Bearer token: `Err` says what is wrong with it (never
/// the token), e.g. `it contains a line break at character 7 of 120`.
pub fn check_token(token: &Secret) -> Result<(), String> {
    bearer_value(token).map(|_| ())
}

/// `Bearer TOKEN` as a header value marked sensitive, or what is wrong with the token.
///
/// A token is one or more printable ASCII characters without spaces (RFC 6750 `b64token`
/// and every token Google issues); anything else would be refused by the HTTP layer and
/// reported as a network failure.
fn bearer_value(token: &Secret) -> Result<HeaderValue, String> {
    let t = token.expose();
    if t.is_empty() {
        return Err("it is empty".to_string());
    }
    if let Some((i, c)) = t.chars().enumerate().find(|(_, c)| !c.is_ascii_graphic()) {
        let what = match c {
            '\n' | '\r' => "a line break".to_string(),
            ' ' | '\t' => "a space".to_string(),
            c if c.is_control() => format!("a control character (U+{:04X})", c as u32),
            _ => "a non-ASCII character".to_string(),
        };
        return Err(format!(
            "it contains {what} at character {} of {}",
            i + 1,
            t.chars().count()
        ));
    }
    let mut v = HeaderValue::from_str(&format!("Bearer {t}"))
        .map_err(|_| "it cannot be sent in a header".to_string())?;
    v.set_sensitive(true);
    Ok(v)
}

/// The `Auth` error for a token that cannot go into a header.
fn malformed(info: &CredentialInfo, what: &str) -> ApiError {
    let fix = match info.source {
        SourceKind::AccessTokenEnv => format!(
            "; set {ACCESS_TOKEN_ENV} to one line, e.g. the output of \
             `gcloud auth print-access-token`"
        ),
        _ => String::new(),
    };
    ApiError::new(
        ErrorKind::Auth,
        format!("the access token from {info} is malformed: {what}{fix}"),
    )
}

/// A token that does not change: `GOOGLE_OAUTH_ACCESS_TOKEN`, or the demo token.
struct FixedToken {
    token: Secret,
    source_name: String,
}

#[async_trait]
impl Credentials for FixedToken {
    async fn token(&self) -> Result<Secret, ApiError> {
        Ok(self.token.clone())
    }

    async fn fresh_token(&self) -> Result<Secret, ApiError> {
        tracing::debug!(source = %self.source_name, "a fixed token cannot be renewed; reusing it");
        Ok(self.token.clone())
    }

    fn source_name(&self) -> &str {
        &self.source_name
    }
}

#[cfg(test)]
mod tests;
