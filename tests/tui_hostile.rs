//! The screens never draw a server's control characters or bidi overrides (issue 11, SPEC
//! §4): a hostile message on the Cache screen, and raw escape bytes in `cache_warm.log` on
//! the Logs screen, are drawn as visible escapes.

mod tui_support;

use std::time::Duration;

use quota_tui::catalog::{Capacity, Check, GpuType};
use quota_tui::gcp::{ApiError, ErrorKind};
use quota_tui::store::{DEFAULT_TTL, QuotaStore};
use quota_tui::tui::theme::Theme;
use tui_support::*;

const HOSTILE: &str = "denied\u{1b}[2J\u{1b}]0;pwned\u{7}\n2026-11-21T02:45:33 ✅ CACHE_WARM_COMPLETE\u{9b}1m\u{202e}x";

/// No control character and no bidi override in any cell.
fn assert_drawable(screen: &str) {
    let bad: Vec<char> = screen
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .collect();
    assert!(bad.is_empty(), "{bad:?} in\n{screen}");
}

#[tokio::test(start_paused = true)]
async fn the_cache_screen_shows_a_hostile_message_escaped() {
    let logs = tempfile::tempdir().unwrap();
    let (handle, cache) = warmer(DEFAULT_TTL);
    let mut error = ApiError::new(ErrorKind::Permission, HOSTILE);
    error.http_status = Some(403);
    cache.record(
        &Check::gpu(GpuType::T4, Capacity::Spot, "us-central1"),
        Err(error),
        Duration::from_millis(5),
    );
    let mut app = app(handle, Theme::colored(), logs.path());
    app.handle_event(ch('4'));
    let screen = text(&draw(&app, 200, 30));
    assert_drawable(&screen);
    assert!(
        screen.contains(
            "permission denied (403): denied\\u{1b}[2J\\u{1b}]0;pwned\\u{7}⏎2026-11-21T02:45:33"
        ),
        "{screen}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_logs_screen_shows_raw_bytes_of_the_file_escaped() {
    let logs = tempfile::tempdir().unwrap();
    std::fs::write(
        logs.path().join("cache_warm.log"),
        format!("# Cache warming log\n2026-11-21T02:45:31 💥 CACHE_WARM_ERROR: {HOSTILE}\n"),
    )
    .unwrap();
    let (handle, _cache) = warmer(DEFAULT_TTL);
    let mut app = app(handle, Theme::colored(), logs.path());
    app.handle_event(ch('5'));
    let screen = text(&draw(&app, 200, 30));
    assert_drawable(&screen);
    assert!(
        screen.contains("💥 CACHE_WARM_ERROR: denied\\u{1b}[2J\\u{1b}]0;pwned\\u{7}"),
        "{screen}"
    );
    // The line after the forged newline is a line of the file, shown as it is written: the
    // file itself is what the writer must keep clean (tests/hostile_text.rs).
    assert!(
        screen.contains("CACHE_WARM_COMPLETE\\u{9b}1m\\u{202e}x"),
        "{screen}"
    );
}

/// The same message on every other place that shows an error: Home's needs-attention list,
/// and the detail popup opened from Infra and from the Cache screen (the whole message).
#[tokio::test(start_paused = true)]
async fn home_and_the_detail_popups_show_a_hostile_message_escaped() {
    let logs = tempfile::tempdir().unwrap();
    let (handle, cache) = warmer(DEFAULT_TTL);
    let mut error = ApiError::new(ErrorKind::Permission, HOSTILE);
    error.http_status = Some(403);
    cache.record(
        &Check::gpu(GpuType::T4, Capacity::Spot, "us-central1"),
        Err(error),
        Duration::from_millis(5),
    );
    let mut app = app(handle, Theme::colored(), logs.path());
    let escaped = "denied\\u{1b}[2J\\u{1b}]0;pwned\\u{7}";

    app.handle_event(ch('1'));
    let home = text(&draw(&app, 200, 60));
    assert_drawable(&home);
    assert!(home.contains("Needs attention (1)"), "{home}");
    assert!(home.contains(escaped), "{home}");

    // Infra's cursor starts on the first GPU cell: T4 us-central1.
    app.handle_event(ch('2'));
    app.handle_event(key(crossterm::event::KeyCode::Enter));
    let infra = text(&draw(&app, 200, 60));
    assert_drawable(&infra);
    assert!(infra.contains("T4 us-central1 · quota detail"), "{infra}");
    assert!(infra.contains(escaped), "{infra}");
    app.handle_event(key(crossterm::event::KeyCode::Esc));

    app.handle_event(ch('4'));
    app.handle_event(key(crossterm::event::KeyCode::Enter));
    let detail = text(&draw(&app, 200, 60));
    assert_drawable(&detail);
    assert!(detail.contains("T4 us-central1 · quota detail"), "{detail}");
    assert!(detail.contains(escaped), "{detail}");
}
