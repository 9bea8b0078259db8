//! insta snapshots of every screen at 80×24 and 120×40, warm and cold, drawn on a
//! `TestBackend` from state built by hand (paused clock: ages are deterministic); and draws at
//! tiny sizes that must not panic.

mod tui_support;

use std::time::Duration;

use quota_tui::catalog::{Capacity, Check, GpuType, Limit};
use quota_tui::gcp::{ApiError, ErrorKind};
use quota_tui::store::DEFAULT_TTL;
use quota_tui::tui::app::App;
use quota_tui::tui::event::Event;
use quota_tui::tui::theme::Theme;
use tui_support::*;

const SCREENS: [&str; 5] = ["home", "infra", "launch", "cache", "logs"];
const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

const WARM_LOG: &str = "\
# Cache warming log - Session started 2026-11-21T02:45:22
# Format: timestamp emoji EVENT: details
# Events: 🚀=START, 🔥=BATCH, ⚠️=WARN, 😤=SLOWISH, 💀=SLOW, ✅=COMPLETE, ⏭️=SKIP, 🔄=REWARM, 💥=ERROR, 🛑=CANCELLED, 📊=STATS
#
2026-11-21T02:45:22 🚀 CACHE_WARM_START: Timers initialized (2s batch, 30m TTL, re-warm every 24m)
2026-11-21T02:45:24 🔥 BATCH_WARM: GPU 1/20, C3 1/18 - 1234ms (T4 us-central1=16, C3 us-central1=176)
2026-11-21T02:45:27 😤 CACHE_WARM_SLOWISH: GPU 2/20, C3 2/18 - 2710ms (T4 us-east1=8, C3 us-east1=88)
2026-11-21T02:46:09 ✅ CACHE_WARM_COMPLETE: GPU 20/20, C3 18/18 - 41.2s - Cache is HOT!
";

/// The warm state: every check cached with its usage, a cycle complete, its toast gone
/// (7 s later).
async fn warm_app(log_dir: &std::path::Path) -> App {
    let (handle, cache) = warmer(DEFAULT_TTL);
    fill_warm_with_usage(&cache);
    let mut app = app(handle, Theme::colored(), log_dir);
    app.handle_event(cycle_started());
    app.handle_event(cycle_complete());
    tokio::time::advance(Duration::from_secs(7)).await;
    app.handle_event(Event::Tick);
    app
}

/// The cold state: three checks landed (one failed), 3 s ago.
async fn cold_app(log_dir: &std::path::Path) -> App {
    let (handle, cache) = warmer(DEFAULT_TTL);
    fill_cold(&cache);
    let mut app = app(handle, Theme::colored(), log_dir);
    app.handle_event(cycle_started());
    app.handle_event(landed(
        Check::gpu(GpuType::T4, Capacity::Spot, "us-central1"),
        Limit::Finite(16),
        1,
    ));
    app.handle_event(landed(Check::c3("us-central1"), Limit::Finite(176), 2));
    tokio::time::advance(Duration::from_secs(3)).await;
    app.handle_event(Event::Tick);
    app
}

fn snapshot_all(app: &mut App, state: &str, log_dir: &std::path::Path) {
    let dir = log_dir.display().to_string();
    for (i, name) in SCREENS.iter().enumerate() {
        app.handle_event(ch(char::from(b'1' + i as u8)));
        assert_eq!(app.current(), i);
        for (w, h) in SIZES {
            let shown = text(&draw(app, w, h)).replace(&dir, "<LOG_DIR>");
            insta::assert_snapshot!(format!("{name}_{state}_{w}x{h}"), shown);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn every_screen_warm() {
    let logs = tempfile::tempdir().unwrap();
    std::fs::write(logs.path().join("cache_warm.log"), WARM_LOG).unwrap();
    let mut app = warm_app(logs.path()).await;
    snapshot_all(&mut app, "warm", logs.path());
}

#[tokio::test(start_paused = true)]
async fn every_screen_cold() {
    let logs = tempfile::tempdir().unwrap();
    let mut app = cold_app(logs.path()).await;
    snapshot_all(&mut app, "cold", logs.path());
}

fn slow_failed_batch() -> Event {
    batch_done(
        2,
        3400,
        vec![
            outcome(
                &Check::gpu(GpuType::T4, Capacity::Spot, "us-east1"),
                Ok(Limit::Finite(8)),
                3400,
            ),
            outcome(
                &Check::c3("us-east1"),
                Err(ApiError::new(ErrorKind::Permission, "denied")),
                95,
            ),
        ],
    )
}

#[tokio::test(start_paused = true)]
async fn toasts_and_help_popup() {
    let logs = tempfile::tempdir().unwrap();
    let mut app = cold_app(logs.path()).await;
    app.handle_event(ch('2'));
    app.handle_event(slow_failed_batch());
    insta::assert_snapshot!("infra_toasts_80x24", text(&draw(&app, 80, 24)));
    app.handle_event(ch('?'));
    assert!(app.help_open());
    insta::assert_snapshot!("infra_help_80x24", text(&draw(&app, 80, 24)));
}

#[tokio::test(start_paused = true)]
async fn tiny_terminals_do_not_panic() {
    let logs = tempfile::tempdir().unwrap();
    std::fs::write(logs.path().join("cache_warm.log"), WARM_LOG).unwrap();
    let mut app = warm_app(logs.path()).await;
    app.handle_event(slow_failed_batch());
    for i in 0..SCREENS.len() {
        app.handle_event(ch(char::from(b'1' + i as u8)));
        for help in [false, true] {
            if help != app.help_open() {
                app.handle_event(ch('?'));
            }
            for (w, h) in [(0, 0), (1, 1), (20, 5), (30, 8), (79, 23), (200, 60)] {
                let buf = draw(&app, w, h);
                assert_eq!((buf.area.width, buf.area.height), (w, h));
            }
        }
        app.handle_event(ch('?'));
        assert!(!app.help_open());
    }
}
