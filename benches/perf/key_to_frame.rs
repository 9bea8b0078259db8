//! `key_to_frame_ms_*`: the real UI loop ([`quota_tui::tui::ui_loop`]) on a 200×60
//! `TestBackend`, fed screen-switch keys (`1`..`5`) through its event channel while a real
//! [`Warmer`] checks against a source answering in 0.5–3 s with some failures (real clock,
//! 100 ms interval and a 100 ms refresh, so a new cycle follows each one and requests are in
//! flight all the time: a cycle is only 6 requests). A sample is the time from sending
//! the key to the end (`flush`) of the first frame showing the screen the key asked for.
//!
//! The event channel is fed as the product's event pump feeds it (warmer events, the 1 s
//! clock), minus terminal input: the keys come from the bench instead.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quota_tui::catalog::{Catalog, Limit};
use quota_tui::gcp::ErrorKind;
use quota_tui::store::MemoryStore;
use quota_tui::tui::TuiContext;
use quota_tui::tui::app::App;
use quota_tui::tui::event::{CLOCK_PERIOD, Event};
use quota_tui::tui::theme::Theme;
use quota_tui::warmer::{Warmer, WarmerConfig, WarmerEvent};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::style::Color;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use crate::fake_source::{FakeSource, Plan};
use crate::samples::Samples;
use crate::tui_support::ch;

const WIDTH: u16 = 200;
const HEIGHT: u16 = 60;
/// The warmer's interval: short, so a new batch starts as soon as one ends.
const INTERVAL: Duration = Duration::from_millis(100);
/// The screens, in the order the keys visit them (each key changes the screen).
const KEYS: [char; 5] = ['2', '3', '4', '5', '1'];

/// One frame as the backend saw it end.
#[derive(Debug, Clone, Copy)]
struct FrameEnd {
    at: Instant,
    /// The digit of the highlighted tab (the screen shown).
    tab: Option<char>,
}

/// A `TestBackend` that reports the end of every frame (`flush`, which ratatui calls last in
/// `Terminal::draw`) with the screen it shows.
struct FrameClock {
    inner: TestBackend,
    frames: mpsc::UnboundedSender<FrameEnd>,
}

impl FrameClock {
    /// The digit of the tab drawn in the theme's `selected` colours (row 1, the tab bar).
    fn selected_tab(&self) -> Option<char> {
        let buf = self.inner.buffer();
        (0..buf.area.width)
            .map(|x| &buf[(x, 1)])
            .filter(|c| c.bg == Color::Cyan)
            .find_map(|c| c.symbol().chars().next().filter(char::is_ascii_digit))
    }
}

impl quota_tui::tui::Passthrough for FrameClock {
    /// Nothing is copied in the benchmark.
    fn pass_through(&mut self, _bytes: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}

impl Backend for FrameClock {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()?;
        let at = Instant::now();
        let _ = self.frames.send(FrameEnd {
            at,
            tab: self.selected_tab(),
        });
        Ok(())
    }
}

/// The figures of one run.
pub struct KeyToFrame {
    pub samples: Samples,
    /// Keys sent while at least one check was in flight.
    pub keys_in_flight: usize,
    /// Checks that landed (answered or failed) during the run.
    pub checks_done: usize,
    /// Of which failed.
    pub checks_failed: usize,
    /// Frames drawn during the run.
    pub frames: usize,
}

/// Seeded per request: 0.5–3 s, 6 % unavailable, 3 % rate limited.
fn plan(seed: u64, n: usize) -> Plan {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let latency = Duration::from_millis(rng.random_range(500..=3000));
    match rng.random_range(0..100) {
        0..6 => Plan::Fail(latency, ErrorKind::Unavailable),
        6..9 => Plan::Fail(latency, ErrorKind::RateLimited),
        _ => Plan::Answer(latency, Limit::Finite(rng.random_range(0..=16))),
    }
}

/// Send `keys` screen switches, 10–40 ms apart, and time each one's frame.
pub fn measure(keys: usize) -> KeyToFrame {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(keys))
}

async fn run(keys: usize) -> KeyToFrame {
    let logs = tempfile::tempdir().expect("temp dir");
    let source = FakeSource::new(|_, n| plan(0x7, n));
    let cache = Arc::new(MemoryStore::new(Duration::from_secs(1800)));
    let cfg = WarmerConfig {
        interval: INTERVAL,
        // A cycle is 6 requests: re-warm at once so checks stay in flight for every key.
        refresh: INTERVAL,
        ..WarmerConfig::default()
    };
    let catalog = Catalog::default();
    let warmer = Warmer::new(cfg, &catalog, source.clone(), cache);
    let warmer_rx = warmer.subscribe();
    let (tx, mut rx) = mpsc::channel(256);
    let mut app = App::new(
        TuiContext {
            title: "DEMO".to_string(),
            credentials: "credentials: the demo token".to_string(),
            catalog,
            warmer: warmer.handle(),
            log_dir: logs.path().to_path_buf(),
            launch: crate::tui_support::unused_launch_clients(),
            shared: None,
        },
        Theme::colored(),
        tx.clone(),
    );
    let cancel = CancellationToken::new();
    let (_handle, warmer_task) = warmer.start(cancel.clone());

    let pump = tokio::spawn(pump(tx.clone(), warmer_rx, cancel.clone()));
    let (frames_tx, frames_rx) = mpsc::unbounded_channel();
    let mut terminal = Terminal::new(FrameClock {
        inner: TestBackend::new(WIDTH, HEIGHT),
        frames: frames_tx,
    })
    .expect("test terminal");
    let driver = tokio::spawn(drive(keys, tx.clone(), frames_rx));
    quota_tui::tui::ui_loop(&mut terminal, &mut app, &mut rx, &tx)
        .await
        .expect("ui loop");
    let (samples, sent_at, frames) = driver.await.expect("driver");
    cancel.cancel();
    let _ = pump.await;
    let _ = warmer_task.await;

    let requests = source.requests();
    let keys_in_flight = sent_at
        .iter()
        .filter(|&&t| {
            requests
                .iter()
                .any(|r| r.start.into_std() <= t && r.end.is_none_or(|e| e.into_std() > t))
        })
        .count();
    let first_key = sent_at.first().copied();
    let last_key = sent_at.last().copied();
    let landed_in_run: Vec<_> = requests
        .iter()
        .filter_map(|r| r.end.map(|e| (e.into_std(), r.ok)))
        .filter(|(e, _)| first_key.is_some_and(|f| *e >= f) && last_key.is_some_and(|l| *e <= l))
        .collect();
    KeyToFrame {
        samples,
        keys_in_flight,
        checks_done: landed_in_run.len(),
        checks_failed: landed_in_run.iter().filter(|(_, ok)| !ok).count(),
        frames,
    }
}

/// The product's event pump without terminal input: warmer events and the 1 s clock.
async fn pump(
    tx: mpsc::Sender<Event>,
    mut warmer: broadcast::Receiver<WarmerEvent>,
    cancel: CancellationToken,
) {
    let start = tokio::time::Instant::now() + CLOCK_PERIOD;
    let mut clock = tokio::time::interval_at(start, CLOCK_PERIOD);
    loop {
        let event = tokio::select! {
            _ = cancel.cancelled() => break,
            ev = warmer.recv() => match ev {
                Ok(ev) => Event::Warmer(ev),
                Err(broadcast::error::RecvError::Lagged(n)) => Event::WarmerLagged(n),
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = clock.tick() => Event::Tick,
        };
        if tx.send(event).await.is_err() {
            break;
        }
    }
}

/// Send the keys and time their frames; then quit the loop. Returns the samples, when each
/// key was sent, and how many frames were drawn.
async fn drive(
    keys: usize,
    tx: mpsc::Sender<Event>,
    mut frames: mpsc::UnboundedReceiver<FrameEnd>,
) -> (Samples, Vec<Instant>, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut samples = Samples::with_capacity(keys);
    let mut sent_at = Vec::with_capacity(keys);
    let mut drawn = 0;
    // The first frame, then let the first batch get under way.
    frames.recv().await.expect("first frame");
    drawn += 1;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for i in 0..keys {
        tokio::time::sleep(Duration::from_millis(rng.random_range(10..=40))).await;
        while frames.try_recv().is_ok() {
            drawn += 1;
        }
        let want = KEYS[i % KEYS.len()];
        let t0 = Instant::now();
        tx.send(ch(want)).await.expect("ui loop is running");
        loop {
            let frame = frames.recv().await.expect("frames");
            drawn += 1;
            if frame.tab == Some(want) && frame.at >= t0 {
                samples.push(frame.at - t0);
                break;
            }
        }
        sent_at.push(t0);
    }
    tx.send(Event::Quit).await.expect("ui loop is running");
    (samples, sent_at, drawn)
}
