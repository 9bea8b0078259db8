//! `render_infra_us_*`: drawing the Infra screen with a full cache into a 200×60
//! `TestBackend` (the app's pure draw, ratatui's diff and the backend write), many times.

use std::time::{Duration, Instant};

use quota_tui::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::allocations::AllocCount;
use crate::samples::Samples;
use crate::tui_support::{app, ch, fill_warm, warmer};

const WIDTH: u16 = 200;
const HEIGHT: u16 = 60;
const WARMUP: usize = 500;

/// Per-draw times of the Infra screen on a warm cache.
pub struct InfraRender {
    /// Frames identical to the last one (the usual redraw: ratatui sends an empty diff).
    pub steady: Samples,
    /// Frames after the terminal was cleared (every cell is sent: a resize or the first frame).
    pub full: Samples,
    /// Heap allocations of one steady frame (the mean over the steady draws).
    pub allocations_per_frame: f64,
    /// Bytes asked of the heap by one steady frame (mean).
    pub bytes_per_frame: f64,
}

/// Draw the Infra screen `iterations` times in each mode, after a warm-up.
pub fn measure(iterations: usize) -> InfraRender {
    // The app reads tokio's clock; give it a runtime.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _enter = rt.enter();
    let logs = tempfile::tempdir().expect("temp dir");
    let (handle, cache) = warmer(Duration::from_secs(1800));
    fill_warm(&cache);
    let mut app = app(handle, Theme::colored(), logs.path());
    app.handle_event(ch('2'));
    assert_eq!(app.current_title(), "Infra");
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal");

    for _ in 0..WARMUP {
        terminal.draw(|f| app.draw(f)).expect("draw");
    }
    let mut steady = Samples::with_capacity(iterations);
    let allocated = AllocCount::now();
    for _ in 0..iterations {
        let t = Instant::now();
        terminal.draw(|f| app.draw(f)).expect("draw");
        steady.push(t.elapsed());
    }
    let allocated = allocated.since();
    let screen = format!("{:?}", terminal.backend().buffer());
    assert!(screen.contains("GPU quota"), "the Infra screen was drawn");

    let mut full = Samples::with_capacity(iterations);
    for _ in 0..iterations {
        terminal.clear().expect("clear");
        let t = Instant::now();
        terminal.draw(|f| app.draw(f)).expect("draw");
        full.push(t.elapsed());
    }
    InfraRender {
        steady,
        full,
        allocations_per_frame: allocated.allocations as f64 / iterations as f64,
        bytes_per_frame: allocated.bytes as f64 / iterations as f64,
    }
}
