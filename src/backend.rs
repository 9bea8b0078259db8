//! Which Google a run talks to: the real APIs of a project, or the embedded demo server
//! (SPEC §5), reached through the very same clients.

use std::sync::Arc;

use crate::config::Config;
use crate::exit::Failure;
use crate::fake_gcp::FakeGcp;
use crate::gcp::QuotaClients;
use crate::gcp::auth::TokenSource;
use crate::gcp::monitoring::{DEFAULT_MONITORING_URL, MonitoringClient};
use crate::gcp::serviceusage::{DEFAULT_SERVICEUSAGE_URL, ServiceUsageClient};

pub use crate::fake_gcp::DEMO_PROJECT;

/// A connected backend: the quota clients, the credentials, and in demo mode the server.
pub struct Backend {
    /// The project the clients address (the demo's own in demo mode).
    pub project: String,
    pub demo: bool,
    /// Limits (Service Usage) and usage (Cloud Monitoring), asked together per metric.
    pub quota: Arc<QuotaClients>,
    pub tokens: TokenSource,
    /// Vertex AI base URL override (the demo server in demo mode).
    pub aiplatform_url: Option<String>,
    /// Keeps the demo server running; `None` for a real project.
    pub fake: Option<FakeGcp>,
}

impl Backend {
    /// What the credentials are, for the Cache screen: `credentials: authorized_user
    /// (gcloud's ADC file), account a@b · quota project P` (the quota project when one is
    /// sent; `quota-tui config` gives paths and origins). Never a secret.
    pub fn credentials_line(&self) -> String {
        let mut line = format!("credentials: {}", self.tokens.info().brief());
        if let Some(q) = self.tokens.quota_project() {
            line.push_str(&format!(" · quota project {}", q.id));
        }
        line
    }

    /// The header's left text: the project ID, or `DEMO`.
    pub fn title(&self) -> String {
        if self.demo {
            "DEMO".to_string()
        } else {
            self.project.clone()
        }
    }
}

/// Connect as `cfg` says: with no project, start the embedded demo server on a free loopback
/// port and point the clients at it with the demo token; else find credentials
/// (`GOOGLE_OAUTH_ACCESS_TOKEN`, Application Default Credentials, the gcloud CLI: SPEC §4)
/// with the quota project `cfg.billing_project`, else the credentials file's.
///
/// Errors: no credentials, an unusable credentials file or a malformed token → exit 3 (the
/// message names the source, file and type, and what to run); a bad base URL → exit 2; the
/// demo server failing to bind → exit 4.
pub async fn connect(cfg: &Config) -> Result<Backend, Failure> {
    let (project, demo, tokens, su_url, mon_url, ai_url, fake) = match &cfg.project {
        None => {
            let fake = FakeGcp::start(cfg.fake, 0)
                .await
                .map_err(|e| Failure::api(format!("could not start the demo server: {e}")))?;
            let url = fake.base_url().to_string();
            (
                DEMO_PROJECT.to_string(),
                true,
                TokenSource::demo(),
                url.clone(),
                url.clone(),
                Some(url),
                Some(fake),
            )
        }
        Some(p) => {
            let tokens = TokenSource::from_env(cfg.billing_project.clone())
                .await
                .map_err(Failure::from)?;
            (
                p.clone(),
                false,
                tokens,
                cfg.serviceusage_url
                    .clone()
                    .unwrap_or_else(|| DEFAULT_SERVICEUSAGE_URL.to_string()),
                cfg.monitoring_url
                    .clone()
                    .unwrap_or_else(|| DEFAULT_MONITORING_URL.to_string()),
                cfg.aiplatform_url.clone(),
                None,
            )
        }
    };
    let limits = ServiceUsageClient::new(&project, &su_url, tokens.clone())
        .map_err(|e| Failure::usage(e.message))?
        .with_deadline(cfg.check_timeout);
    let usage = MonitoringClient::new(&project, &mon_url, tokens.clone())
        .map_err(|e| Failure::usage(e.message))?
        .with_deadline(cfg.check_timeout);
    let quota = QuotaClients::new(limits, usage);
    tracing::info!(
        project = %project,
        demo,
        serviceusage = %su_url,
        monitoring = %mon_url,
        credentials = tokens.source_name(),
        quota_project = tokens.quota_project().map(|q| q.id.as_str()).unwrap_or("-"),
        "connected"
    );
    Ok(Backend {
        project,
        demo,
        quota: Arc::new(quota),
        tokens,
        aiplatform_url: ai_url,
        fake,
    })
}
