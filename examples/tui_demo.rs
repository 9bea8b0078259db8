//! Try the TUI before the real wiring: a warmer over a fake quota source (random 0.3–2.5 s
//! latencies, a few percent failures, fixed quota values), the real log files, `tui::run`.
//!
//! ```text
//! cargo run --example tui_demo -- [--interval 2s] [--demo-latency 300ms..2500ms] [--log-dir DIR]
//! ```
//! Other arguments (e.g. `--demo`) are ignored, so it accepts what the tmux test passes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use quota_tui::catalog::{Catalog, Check, GpuType, Limit, MetricRequest, QuotaMetric};
use quota_tui::durations::{parse_duration, parse_latency_range};
use quota_tui::gcp::{ApiError, ErrorKind, QuotaSource};
use quota_tui::logs;
use quota_tui::store::{DEFAULT_TTL, MemoryStore};
use quota_tui::tui::{self, LaunchClients, TuiContext};
use quota_tui::warmer::{Warmer, WarmerConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio_util::sync::CancellationToken;

/// A fake Service Usage: plausible fixed limits, random latencies, 3 % failures.
struct FakeQuotaSource {
    latency: (Duration, Duration),
    rng: Mutex<StdRng>,
}

impl FakeQuotaSource {
    fn limit(check: &Check) -> Limit {
        let r = check.region.len() as i64;
        match check.metric {
            QuotaMetric::Gpu { gpu, .. } => match gpu {
                GpuType::T4 => Limit::Finite([16, 8, 4, 0][(r % 4) as usize]),
                GpuType::L4 => Limit::Finite([8, 0, 4, 2][(r % 4) as usize]),
                GpuType::A100 => Limit::Finite([0, 2][(r % 2) as usize]),
                GpuType::H100 => Limit::Finite([0, 1, 0][(r % 3) as usize]),
                GpuType::H200 => Limit::Finite(0),
            },
            QuotaMetric::C3 => Limit::Finite([176, 88, 44, 24, 0][(r % 5) as usize]),
        }
    }
}

#[async_trait]
impl QuotaSource for FakeQuotaSource {
    async fn fetch_metric(
        &self,
        request: &MetricRequest,
    ) -> Result<Vec<Result<Limit, ApiError>>, ApiError> {
        let (latency, fail) = {
            let mut rng = self.rng.lock().expect("rng lock");
            let (a, b) = self.latency;
            let ms = rng.random_range(a.as_millis() as u64..=b.as_millis() as u64);
            (Duration::from_millis(ms), rng.random_bool(0.03))
        };
        tokio::time::sleep(latency).await;
        if fail {
            let mut e = ApiError::new(ErrorKind::RateLimited, "Quota exceeded (fake)");
            e.http_status = Some(429);
            e.google_status = Some("RESOURCE_EXHAUSTED".into());
            e.attempts = 3;
            return Err(e);
        }
        Ok(request
            .checks()
            .iter()
            .map(|c| Ok(Self::limit(c)))
            .collect())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut cfg = WarmerConfig::default();
    let mut latency = (Duration::from_millis(300), Duration::from_millis(2500));
    let mut log_dir = std::env::temp_dir().join("quota-tui-demo-logs");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--interval" => cfg.interval = parse_duration(&value()?).map_err(anyhow::Error::msg)?,
            "--demo-latency" => {
                latency = parse_latency_range(&value()?).map_err(anyhow::Error::msg)?
            }
            "--log-dir" => log_dir = PathBuf::from(value()?),
            _ => {}
        }
    }
    let _guards = logs::init(&log_dir, logs::DirOrigin::Named, logs::LogStart::Truncate)?;
    let catalog = Catalog::default();
    let cache = Arc::new(MemoryStore::new(DEFAULT_TTL));
    let source = FakeQuotaSource {
        latency,
        rng: Mutex::new(StdRng::seed_from_u64(7)),
    };
    let source: Arc<dyn QuotaSource> = Arc::new(source);
    let warmer = Warmer::new(cfg, &catalog, source.clone(), cache);
    let writer = logs::spawn_warm_log_writer(warmer.subscribe());
    let cancel = CancellationToken::new();
    let (handle, task) = warmer.start(cancel.clone());
    let tui = TuiContext {
        title: "DEMO".to_string(),
        credentials: "credentials: the demo token".to_string(),
        catalog,
        warmer: handle,
        log_dir,
        // The Launch screen checks against the same fake; there is no Vertex AI here (the
        // real binary's demo mode has one).
        launch: LaunchClients {
            project: "quota-tui-demo".to_string(),
            quota: source,
            vertex: None,
        },
        shared: None,
    };
    let result = tui::run(tui, Default::default(), cancel.clone()).await;
    cancel.cancel();
    let _ = task.await;
    let _ = writer.await;
    result
}
