//! Credentials for the Google APIs (SPEC §4): where a Bearer token comes from, and the
//! [`Secret`] type that keeps it out of every log, error and screen.
//!
//! Sources, in order: a ready token in `GOOGLE_OAUTH_ACCESS_TOKEN`; else Application Default
//! Credentials through `gcp_auth` (service account key in `GOOGLE_APPLICATION_CREDENTIALS`,
//! gcloud's ADC file, the metadata server, the gcloud CLI), which caches and refreshes
//! tokens itself. Demo mode uses a fixed dummy token that only the embedded fake accepts.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::error::{ApiError, ErrorKind};

/// OAuth scope of every request (SPEC §4).
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// Environment variable holding a ready access token (honoured by gcloud and Terraform too).
pub const ACCESS_TOKEN_ENV: &str = "GOOGLE_OAUTH_ACCESS_TOKEN";

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
    /// A valid token, cached where the source caches. Errors are of kind `Auth`.
    async fn token(&self) -> Result<Secret, ApiError>;

    /// A token obtained anew, not from a cache: called once after a 401 (SPEC §4).
    /// Sources that cannot renew (a fixed token) return the token they have.
    async fn fresh_token(&self) -> Result<Secret, ApiError>;

    /// Which source this is, for logs: `GOOGLE_OAUTH_ACCESS_TOKEN`, `application default
    /// credentials`, `demo`. Never the token.
    fn source_name(&self) -> &str;
}

/// The token source of a run; cheap to clone (shared).
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<dyn Credentials>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenSource({})", self.inner.source_name())
    }
}

impl TokenSource {
    /// Credentials from the environment, in SPEC §4 order: `GOOGLE_OAUTH_ACCESS_TOKEN` when
    /// set and not blank, else Application Default Credentials.
    ///
    /// Errors (kind `Auth`) when neither gives credentials; the message lists the sources
    /// tried and says what to run. Looking for ADC may query the GCE metadata server.
    pub async fn from_env() -> Result<TokenSource, ApiError> {
        match std::env::var(ACCESS_TOKEN_ENV) {
            Ok(v) if !v.trim().is_empty() => {
                Ok(TokenSource::fixed(Secret::new(v.trim()), ACCESS_TOKEN_ENV))
            }
            _ => TokenSource::application_default().await,
        }
    }

    /// Application Default Credentials through `gcp_auth::provider()` (scope
    /// [`CLOUD_PLATFORM_SCOPE`]); tokens are cached and refreshed by gcp_auth.
    ///
    /// Errors (kind `Auth`) with [`no_credentials_message`] when no ADC source is found.
    pub async fn application_default() -> Result<TokenSource, ApiError> {
        let provider = gcp_auth::provider()
            .await
            .map_err(|e| ApiError::new(ErrorKind::Auth, no_credentials_message(&e)))?;
        Ok(TokenSource::from_credentials(Arc::new(
            ApplicationDefault {
                provider: tokio::sync::Mutex::new(provider),
            },
        )))
    }

    /// A fixed token (e.g. from `GOOGLE_OAUTH_ACCESS_TOKEN`); `source_name` is for logs.
    pub fn fixed(token: Secret, source_name: &str) -> TokenSource {
        TokenSource::from_credentials(Arc::new(FixedToken {
            token,
            source_name: source_name.to_string(),
        }))
    }

    /// The dummy token of demo mode ([`DEMO_TOKEN`]).
    pub fn demo() -> TokenSource {
        TokenSource::fixed(Secret::new(DEMO_TOKEN), "demo")
    }

    /// Any other credentials (tests use a source that counts its calls).
    pub fn from_credentials(credentials: Arc<dyn Credentials>) -> TokenSource {
        TokenSource { inner: credentials }
    }

    /// A valid token (cached where the source caches). Errors are of kind `Auth`.
    pub async fn token(&self) -> Result<Secret, ApiError> {
        self.inner.token().await
    }

    /// A token obtained anew, after the API answered 401 (SPEC §4).
    pub async fn fresh_token(&self) -> Result<Secret, ApiError> {
        self.inner.fresh_token().await
    }

    /// The source's name for logs; never the token.
    pub fn source_name(&self) -> &str {
        self.inner.source_name()
    }
}

/// The message of the `Auth` error when no credentials were found: which sources were
/// tried, why each failed (gcp_auth's reasons), and what to run.
pub fn no_credentials_message(adc_error: &gcp_auth::Error) -> String {
    let reasons = match adc_error {
        gcp_auth::Error::NoAuthMethod(gcloud, metadata, adc_file) => format!(
            "gcloud's application default credentials file: {adc_file}; \
             the metadata server: {metadata}; the gcloud CLI: {gcloud}"
        ),
        other => other.to_string(),
    };
    format!(
        "no Google credentials found. Tried: {ACCESS_TOKEN_ENV} (not set); \
         GOOGLE_APPLICATION_CREDENTIALS (service account key); {reasons}. \
         Run `gcloud auth application-default login`, or set {ACCESS_TOKEN_ENV} \
         (e.g. to the output of `gcloud auth print-access-token`); \
         or run without a project to use the demo"
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

/// Application Default Credentials through gcp_auth. A fresh token rebuilds the provider,
/// which drops gcp_auth's cached token.
struct ApplicationDefault {
    provider: tokio::sync::Mutex<Arc<dyn gcp_auth::TokenProvider>>,
}

fn adc_error(e: gcp_auth::Error) -> ApiError {
    ApiError::new(
        ErrorKind::Auth,
        format!(
            "application default credentials gave no token: {e}. \
             Run `gcloud auth application-default login`, or set {ACCESS_TOKEN_ENV}"
        ),
    )
}

#[async_trait]
impl Credentials for ApplicationDefault {
    async fn token(&self) -> Result<Secret, ApiError> {
        let provider = self.provider.lock().await.clone();
        let token = provider
            .token(&[CLOUD_PLATFORM_SCOPE])
            .await
            .map_err(adc_error)?;
        Ok(Secret::new(token.as_str()))
    }

    async fn fresh_token(&self) -> Result<Secret, ApiError> {
        let provider = gcp_auth::provider()
            .await
            .map_err(|e| ApiError::new(ErrorKind::Auth, no_credentials_message(&e)))?;
        *self.provider.lock().await = provider.clone();
        let token = provider
            .token(&[CLOUD_PLATFORM_SCOPE])
            .await
            .map_err(adc_error)?;
        Ok(Secret::new(token.as_str()))
    }

    fn source_name(&self) -> &str {
        "application default credentials"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_characters() {
        let s = Secret::new("ya29.super-secret");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(***)");
        assert_eq!(s.expose(), "ya29.super-secret");
    }

    #[tokio::test]
    async fn fixed_and_demo_sources_hand_out_their_token() {
        let src = TokenSource::fixed(Secret::new("abc"), ACCESS_TOKEN_ENV);
        assert_eq!(src.token().await.unwrap().expose(), "abc");
        assert_eq!(src.fresh_token().await.unwrap().expose(), "abc");
        assert_eq!(format!("{src:?}"), "TokenSource(GOOGLE_OAUTH_ACCESS_TOKEN)");
        assert_eq!(
            TokenSource::demo().token().await.unwrap().expose(),
            DEMO_TOKEN
        );
    }

    #[test]
    fn no_credentials_message_names_sources_and_the_fix() {
        let e = gcp_auth::Error::NoAuthMethod(
            Box::new(gcp_auth::Error::Str("gcloud not found")),
            Box::new(gcp_auth::Error::Str("metadata server unreachable")),
            Box::new(gcp_auth::Error::Str("no ADC file")),
        );
        let m = no_credentials_message(&e);
        for part in [
            "GOOGLE_OAUTH_ACCESS_TOKEN",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "metadata server unreachable",
            "gcloud not found",
            "no ADC file",
            "gcloud auth application-default login",
        ] {
            assert!(m.contains(part), "missing {part:?} in {m}");
        }
    }
}
