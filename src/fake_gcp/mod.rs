//! The embedded fake GCP (SPEC §5): a loopback axum server that speaks the Service Usage
//! `consumerQuotaMetrics.get` of SPEC §4 with seeded, plausible quotas, and Vertex AI
//! `customJobs.create` / `customJobs.get` with jobs kept in memory, and Cloud Monitoring
//! `timeSeries.list` with seeded quota usage (plus the GPUs its jobs hold), all with
//! realistic latency and a few 503/429s, so demo mode and tests run the real client code path.
//!
//! Routes are composed in [`router`] from per-API files (`serviceusage.rs`, `vertex.rs`,
//! `monitoring.rs`) sharing one [`FakeState`].

mod config;
mod errors;
mod metric_body;
mod monitoring;
mod quotas;
mod serviceusage;
mod state;
mod usage;
mod vertex;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use config::{DEFAULT_SEED, FakeGcpConfig};
pub use metric_body::project_number;
pub use monitoring::SERIES_PER_PAGE;
pub use quotas::{DECOY_BUILD_ORIGIN, EXTRA_REGIONS, fake_regions, known_metrics, quota_limit};
pub(crate) use state::FakeState;
pub use state::{FakeStats, RecordedRequest, RecordedUsageRequest};
pub use usage::{GLOBAL_LOCATION, seeded_usage};

/// Project ID shown in demo mode; the fake answers for any valid project.
pub const DEMO_PROJECT: &str = "quota-tui-demo";

/// How long [`FakeGcp::shutdown`] waits for open connections before aborting the server.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Every route of the fake, sharing `state`; unknown paths get a Google-shaped 404.
pub(crate) fn router(state: Arc<FakeState>) -> Router {
    Router::new()
        .merge(serviceusage::routes())
        .merge(vertex::routes())
        .merge(monitoring::routes())
        .fallback(unknown_route)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_in_flight,
        ))
        .with_state(state)
}

async fn unknown_route(request: Request) -> Response {
    errors::not_found(&format!(
        "The requested URL {} was not found on this server.",
        request.uri().path()
    ))
}

async fn count_in_flight(
    State(state): State<Arc<FakeState>>,
    request: Request,
    next: Next,
) -> Response {
    let _in_flight = state.enter();
    next.run(request).await
}

/// A running fake on 127.0.0.1. Dropping it stops the server (without waiting);
/// [`FakeGcp::shutdown`] stops it and waits.
pub struct FakeGcp {
    base_url: String,
    addr: SocketAddr,
    state: Arc<FakeState>,
    cancel: CancellationToken,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl FakeGcp {
    /// Start the fake on `127.0.0.1:port` (`0` picks a free port).
    ///
    /// Errors when the port cannot be bound. Must be called inside a tokio runtime.
    pub async fn start(cfg: FakeGcpConfig, port: u16) -> anyhow::Result<FakeGcp> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
        let addr = listener.local_addr()?;
        let cancel = CancellationToken::new();
        let state = Arc::new(FakeState::new(cfg, cancel.clone()));
        let app = router(state.clone());
        let stop = cancel.clone().cancelled_owned();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await
        });
        tracing::info!(%addr, ?cfg, "fake GCP started");
        Ok(FakeGcp {
            base_url: format!("http://{addr}"),
            addr,
            state,
            cancel,
            server: Some(server),
        })
    }

    /// `http://127.0.0.1:PORT`: the Service Usage (and Vertex AI) base URL to use.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration it runs with.
    pub fn config(&self) -> FakeGcpConfig {
        self.state.cfg
    }

    /// Request statistics so far: total requests, most in flight at once, each Service
    /// Usage request (service, metric, whether it had a bearer token) in order, and the
    /// names of the CustomJobs created.
    pub fn stats(&self) -> FakeStats {
        self.state.stats()
    }

    /// Stop accepting requests, end hanging ones, and wait (at most 2 s) for the server.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.cancel.cancel();
        if let Some(mut server) = self.server.take() {
            match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
                Ok(joined) => joined.context("fake GCP server task")??,
                Err(_) => server.abort(),
            }
        }
        tracing::info!(addr = %self.addr, "fake GCP stopped");
        Ok(())
    }
}

impl Drop for FakeGcp {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// `quota-tui fake-gcp`: start on `port`, print the URL and how to point quota-tui at it,
/// serve until Ctrl-C or SIGTERM, then stop.
///
/// Errors when the port cannot be bound or the signal handlers cannot be installed.
pub async fn run_standalone(port: u16, cfg: FakeGcpConfig) -> anyhow::Result<()> {
    let fake = FakeGcp::start(cfg, port).await?;
    let url = fake.base_url();
    println!("fake-gcp listening on {url}");
    println!("point quota-tui at it with:");
    println!(
        "  QUOTA_TUI_SERVICEUSAGE_URL={url} QUOTA_TUI_AIPLATFORM_URL={url} \
         QUOTA_TUI_MONITORING_URL={url} GOOGLE_OAUTH_ACCESS_TOKEN=fake \
         quota-tui --project {DEMO_PROJECT} check"
    );
    println!("stop with Ctrl-C");
    wait_for_stop_signal().await?;
    println!("fake-gcp stopping");
    fake.shutdown().await
}

#[cfg(unix)]
async fn wait_for_stop_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("installing the Ctrl-C handler")?,
        _ = term.recv() => {}
    }
    Ok(())
}

#[cfg(not(unix))]
async fn wait_for_stop_signal() -> anyhow::Result<()> {
    tokio::signal::ctrl_c()
        .await
        .context("installing the Ctrl-C handler")
}
