//! Shared fixtures of the TUI tests: a warmer that is never started, a cache filled by hand
//! (warm or cold), events and keys as the loop would deliver them, and the buffer as text.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use quota_tui::catalog::{Capacity, Catalog, Check, GpuType, Limit, MetricRequest};
use quota_tui::gcp::{ApiError, ErrorKind, MetricOutcome, QuotaSource};
use quota_tui::store::{MemoryStore, QuotaStore, TokioClock};
use quota_tui::tui::TuiContext;
use quota_tui::tui::app::App;
use quota_tui::tui::event::Event;
use quota_tui::tui::screens::launch::{LaunchClients, LaunchEvent};
use quota_tui::tui::task::TaskDone;
use quota_tui::tui::theme::Theme;
use quota_tui::warmer::{
    BatchLevel, BatchReport, CycleCause, ListPos, Warmer, WarmerConfig, WarmerEvent, WarmerHandle,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

/// A source that is never asked (the warmer is not started).
pub struct UnusedSource;

#[async_trait]
impl QuotaSource for UnusedSource {
    async fn fetch_metric(
        &self,
        _request: &MetricRequest,
    ) -> Result<Vec<Result<Limit, ApiError>>, ApiError> {
        Err(ApiError::new(ErrorKind::Unavailable, "not in this test"))
    }
}

/// GPU limits of the warm fixture: rows T4, L4, A100, H100, H200; columns the GPU regions.
pub const GPU_LIMITS: [[i64; 4]; 5] = [
    [16, 8, 4, 0],
    [8, 0, 4, 2],
    [0, 0, 2, 0],
    [0, 1, 0, 0],
    [0, 0, 0, 0],
];

/// C3 vCPU limits of the warm fixture, in catalog region order (-1 = unlimited).
pub const C3_LIMITS: [i64; 18] = [
    176, 88, 44, 24, 0, 176, 88, -1, 44, 24, 88, 176, 0, 44, 88, 24, 176, 88,
];

/// A warmer handle (never started) on a fresh cache with `ttl`.
pub fn warmer(ttl: Duration) -> (WarmerHandle, Arc<MemoryStore>) {
    install_global_subscriber();
    let cache = Arc::new(MemoryStore::with_clock(ttl, Arc::new(TokioClock::new())));
    let cfg = WarmerConfig {
        ttl,
        refresh: WarmerConfig::refresh_for(ttl),
        ..WarmerConfig::default()
    };
    let warmer = Warmer::new(
        cfg,
        &Catalog::default(),
        Arc::new(UnusedSource),
        cache.clone(),
    );
    (warmer.handle(), cache)
}

/// Every check cached: values from `GPU_LIMITS` / `C3_LIMITS`; `C3 southamerica-east1`
/// failed with no good value; `A100 us-central1` failed after a good value.
pub fn fill_warm(cache: &MemoryStore) {
    let catalog = Catalog::default();
    for (i, check) in catalog.gpu_checks().iter().enumerate() {
        let limit = Limit::Finite(GPU_LIMITS[i / 4][i % 4]);
        cache.record(check, Ok(limit), Duration::from_millis(300 + 37 * i as u64));
    }
    for (i, check) in catalog.c3_checks().iter().enumerate() {
        if check.region == "southamerica-east1" {
            cache.record(
                check,
                Err(ApiError::new(
                    ErrorKind::Permission,
                    "Permission denied on resource project",
                )),
                Duration::from_millis(120),
            );
            continue;
        }
        let limit = match C3_LIMITS[i] {
            -1 => Limit::Unlimited,
            v => Limit::Finite(v),
        };
        cache.record(check, Ok(limit), Duration::from_millis(410 + 53 * i as u64));
    }
    cache.record(
        &Check::gpu(GpuType::A100, Capacity::Spot, "us-central1"),
        Err(ApiError::new(
            ErrorKind::RateLimited,
            "Quota exceeded for reads",
        )),
        Duration::from_millis(2710),
    );
}

/// GPUs in use, as `GPU_LIMITS` (-1: usage not read).
pub const GPU_USAGE: [[i64; 4]; 5] = [
    [14, 0, 4, 0],
    [2, 0, 1, -1],
    [0, 0, 1, 0],
    [0, 1, 0, 0],
    [0, 0, 0, 0],
];

/// C3 vCPUs in use, as `C3_LIMITS` (-1: usage not read).
pub const C3_USAGE: [i64; 18] = [
    88, 88, 0, 0, 0, 32, 40, 100, 44, 0, 0, -1, 0, 0, 50, 0, 0, 0,
];

/// Store `limit` for `check` with `in_use` in use (-1: usage not read), as one request's
/// outcome.
pub fn record_with_usage(cache: &MemoryStore, check: &Check, limit: Limit, in_use: i64) {
    let mut outcome = outcome(check, Ok(limit), 300);
    if in_use >= 0 {
        outcome.usage = Some(Ok(vec![in_use]));
        outcome.usage_latency = Duration::from_millis(180);
    }
    cache.record_outcome(&outcome);
}

/// The warm fixture ([`fill_warm`]) with usage beside the limits, as the warmer keeps them:
/// `free/limit` cells (T4 us-central1 `2/16`, L4 europe-west4 `?/2`: usage not read; C3
/// us-central1 `88/176`, us-east5 `24/24`, europe-west3 `?/176`).
pub fn fill_warm_with_usage(cache: &MemoryStore) {
    let catalog = Catalog::default();
    for (i, check) in catalog.gpu_checks().iter().enumerate() {
        let limit = Limit::Finite(GPU_LIMITS[i / 4][i % 4]);
        record_with_usage(cache, check, limit, GPU_USAGE[i / 4][i % 4]);
    }
    for (i, check) in catalog.c3_checks().iter().enumerate() {
        if check.region == "southamerica-east1" {
            continue; // failed, with no good value
        }
        let limit = match C3_LIMITS[i] {
            -1 => Limit::Unlimited,
            v => Limit::Finite(v),
        };
        record_with_usage(cache, check, limit, C3_USAGE[i]);
    }
    // The limits again (their usage kept), and the two failures.
    fill_warm(cache);
}

/// A cold cache: the first batch landed (T4 us-central1 = 16, C3 us-central1 = 176) and the
/// second batch's C3 check failed.
pub fn fill_cold(cache: &MemoryStore) {
    cache.record(
        &Check::gpu(GpuType::T4, Capacity::Spot, "us-central1"),
        Ok(Limit::Finite(16)),
        Duration::from_millis(812),
    );
    cache.record(
        &Check::c3("us-central1"),
        Ok(Limit::Finite(176)),
        Duration::from_millis(1234),
    );
    cache.record(
        &Check::c3("us-east1"),
        Err(ApiError::new(
            ErrorKind::Permission,
            "Permission denied on resource project demo",
        )),
        Duration::from_millis(95),
    );
}

/// Launch clients that are never asked: a quota source that fails, no Vertex AI client.
pub fn unused_launch_clients() -> LaunchClients {
    LaunchClients {
        project: "quota-tui-demo".to_string(),
        quota: Arc::new(UnusedSource),
        vertex: None,
    }
}

/// The app on `warmer` with `theme`, reading logs from `log_dir`, with launch clients that
/// are never asked. Its event queue's receiver is dropped: what tasks would send is lost
/// (use [`app_with_queue`] to receive it).
pub fn app(warmer: WarmerHandle, theme: Theme, log_dir: &Path) -> App {
    app_with_queue(warmer, theme, log_dir, unused_launch_clients()).0
}

/// The app with `launch` clients, and the receiver of its event queue: what its tasks send
/// (`Event::Task`) arrives there, for the test to hand to `App::handle_event`.
pub fn app_with_queue(
    warmer: WarmerHandle,
    theme: Theme,
    log_dir: &Path,
    launch: LaunchClients,
) -> (App, tokio::sync::mpsc::Receiver<Event>) {
    install_global_subscriber();
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let app = App::new(
        TuiContext {
            title: "DEMO".to_string(),
            credentials: "credentials: the demo token".to_string(),
            catalog: Catalog::default(),
            warmer,
            log_dir: log_dir.to_path_buf(),
            launch,
            shared: None,
        },
        theme,
        tx,
    );
    (app, rx)
}

/// Index of the Launch screen (key `3`).
pub const LAUNCH_SCREEN: usize = 2;

/// A Launch screen task's end, as its task delivers it.
pub fn launch_done(event: LaunchEvent) -> Event {
    Event::Task(TaskDone::new(LAUNCH_SCREEN, event))
}

/// A key press as crossterm delivers it.
pub fn key(code: KeyCode) -> Event {
    Event::Crossterm(TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// A character key press.
pub fn ch(c: char) -> Event {
    key(KeyCode::Char(c))
}

/// The warmer's first event.
pub fn cycle_started() -> Event {
    Event::Warmer(WarmerEvent::CycleStarted {
        cycle: 1,
        cause: CycleCause::First {
            interval: Duration::from_secs(2),
            ttl: Duration::from_secs(30 * 60),
            refresh: Duration::from_secs(24 * 60),
        },
        total: 38,
    })
}

/// The outcome of a request for `check` alone (one region) with `result` after `ms`.
pub fn outcome(check: &Check, result: Result<Limit, ApiError>, ms: u64) -> MetricOutcome {
    MetricOutcome::for_check(check, result, Duration::from_millis(ms))
}

/// A check landing with `limit` as the `done`-th of 38.
pub fn landed(check: Check, limit: Limit, done: usize) -> Event {
    Event::Warmer(WarmerEvent::MetricLanded {
        outcome: outcome(&check, Ok(limit), 800),
        done,
        total: 38,
    })
}

/// The end of a cycle of 38 checks.
pub fn cycle_complete() -> Event {
    Event::Warmer(WarmerEvent::CycleComplete {
        cycle: 1,
        elapsed: Duration::from_millis(41_200),
        gpu: ListPos { n: 20, total: 20 },
        c3: ListPos { n: 18, total: 18 },
        failed: 1,
    })
}

/// A finished batch of cycle 1 (positions `batch`/20 and `batch`/18) taking `elapsed_ms`.
/// The one place the integration tests build a `BatchReport`.
pub fn batch_done(batch: usize, elapsed_ms: u64, outcomes: Vec<MetricOutcome>) -> Event {
    let elapsed = Duration::from_millis(elapsed_ms);
    Event::Warmer(WarmerEvent::BatchDone(BatchReport {
        cycle: 1,
        batch,
        repair: false,
        gpu: ListPos {
            n: batch,
            total: 20,
        },
        c3: ListPos {
            n: batch,
            total: 18,
        },
        elapsed,
        level: BatchLevel::of(elapsed),
        outcomes,
    }))
}

/// Draw `app` on a `width`×`height` test terminal.
pub fn draw(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal.draw(|f| app.draw(f)).expect("draw");
    terminal.backend().buffer().clone()
}

/// The buffer as text, one line per row, trailing spaces cut; the cells hidden behind a
/// wide character (emoji) are skipped, so `🔥 Warming` reads as on a terminal.
pub fn text(buf: &Buffer) -> String {
    let width = buf.area.width as usize;
    let mut out = String::new();
    for row in buf.content.chunks(width.max(1)) {
        let mut line = String::new();
        let mut skip = 0usize;
        for cell in row {
            if skip == 0 {
                line.push_str(cell.symbol());
            }
            let w = unicode_width(cell.symbol());
            skip = skip.max(w).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn unicode_width(s: &str) -> usize {
    use ratatui::text::Span;
    Span::raw(s).width()
}

/// Position (x, y) of the first occurrence of `needle` in the buffer's rows (cell columns).
pub fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let width = buf.area.width;
    for y in 0..buf.area.height {
        let row: Vec<&str> = (0..width).map(|x| buf[(x, y)].symbol()).collect();
        for x in 0..width as usize {
            let mut s = String::new();
            for sym in &row[x..] {
                s.push_str(sym);
                if s.len() >= needle.len() {
                    break;
                }
            }
            if s.starts_with(needle) {
                return Some((x as u16, y));
            }
        }
    }
    None
}

/// Everything `tracing` writes while the returned guard lives, collected for assertions.
#[derive(Clone, Default)]
pub struct Collected(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Collected {
    /// What was written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for Collected {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

thread_local! {
    /// Where this thread's events go while a [`capture_tracing`] guard lives.
    static SINK: std::cell::RefCell<Option<Collected>> = const { std::cell::RefCell::new(None) };
}

/// The process-wide subscriber of the TUI test binaries: every event goes to the sink of
/// the thread that emitted it (a test's current-thread runtime), or nowhere.
///
/// Global rather than a thread-default dispatcher: tracing-core caches each callsite's
/// interest from the dispatchers registered when the callsite is first hit, so a test
/// thread hitting a callsite with no dispatcher while another test installs its own could
/// cache "never" for it and drop the other test's events (seen under load). With one global
/// dispatcher installed before any app is built, no callsite is ever cached as unwanted.
pub fn install_global_subscriber() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(|| ThreadSink)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        tracing::callsite::rebuild_interest_cache();
    });
}

struct ThreadSink;

impl std::io::Write for ThreadSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        SINK.with(|s| {
            if let Some(c) = s.borrow_mut().as_mut() {
                let _ = c.write(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Stops this thread's capture when dropped.
pub struct CaptureGuard;

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        SINK.with(|s| s.borrow_mut().take());
    }
}

/// Collect every event this thread emits (no colours) while the guard lives.
pub fn capture_tracing() -> (Collected, CaptureGuard) {
    install_global_subscriber();
    let collected = Collected::default();
    SINK.with(|s| *s.borrow_mut() = Some(collected.clone()));
    (collected, CaptureGuard)
}
