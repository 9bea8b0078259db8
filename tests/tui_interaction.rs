//! Finding things and the parts around every screen (issue 14), through the app's event
//! handler on a `TestBackend`: the `/` filter (digits type, matches highlighted, Enter keeps,
//! Esc clears), Logs wrapping and sideways scrolling, toasts in their slot above the footer
//! (never over a table row), the warm-now progress toast kept current, and mouse clicks on
//! tabs and rows.

mod tui_support;

use std::time::Duration;

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use quota_tui::catalog::{Capacity, Check, GpuType, Limit};
use quota_tui::gcp::{ApiError, ErrorKind};
use quota_tui::store::DEFAULT_TTL;
use quota_tui::tui::app::App;
use quota_tui::tui::event::Event;
use quota_tui::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use tui_support::*;

const LOG: &str = "\
# Cache warming log - Session started 2026-11-21T02:45:22
2026-11-21T02:45:22 🚀 CACHE_WARM_START: Timers initialized (2s batch, 30m TTL, re-warm every 24m)
2026-11-21T02:45:24 🔥 BATCH_WARM: GPU 4/20, C3 18/18 - 1234ms (GPU 4/20, C3, C3: 18 regions)
2026-11-21T02:45:27 🔥 BATCH_WARM: GPU 16/20, C3 18/18 - 1502ms (H100: 4 regions)
2026-11-21T02:45:31 💥 CACHE_WARM_ERROR: H100 us-east1 - rate limited after 3 tries: Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'serviceusage.googleapis.com' [rate_limited]
2026-11-21T02:45:33 ✅ CACHE_WARM_COMPLETE: GPU 20/20, C3 18/18 - 9.8s - Cache is HOT!
";

fn click(column: u16, row: u16) -> Event {
    Event::Crossterm(TermEvent::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }))
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        app.handle_event(ch(c));
    }
}

/// The rows of `buf` as text.
fn rows(buf: &Buffer) -> Vec<String> {
    text(buf).lines().map(str::to_string).collect()
}

async fn warm_app(logs: &std::path::Path) -> (App, std::sync::Arc<quota_tui::store::MemoryStore>) {
    let (handle, cache) = warmer(DEFAULT_TTL);
    fill_warm(&cache);
    let mut app = app(handle, Theme::colored(), logs);
    app.handle_event(cycle_started());
    app.handle_event(cycle_complete());
    tokio::time::advance(Duration::from_secs(7)).await;
    app.handle_event(Event::Tick);
    (app, cache)
}

#[tokio::test(start_paused = true)]
async fn logs_filter_types_digits_highlights_keeps_and_clears() {
    let logs = tempfile::tempdir().unwrap();
    std::fs::write(logs.path().join("cache_warm.log"), LOG).unwrap();
    let (mut app, _cache) = warm_app(logs.path()).await;
    app.handle_event(ch('5'));
    app.handle_event(ch('/'));
    // "h100": the digits type into the filter, they never switch screens.
    typed(&mut app, "h100");
    assert_eq!(app.current_title(), "Logs");
    let buf = draw(&app, 80, 24);
    let shown = text(&buf).replace(&logs.path().display().to_string(), "<LOG_DIR>");
    insta::assert_snapshot!("logs_filter_80x24", shown);
    assert!(shown.contains("/h100 (2 of 6)"), "{shown}");
    assert!(!shown.contains("GPU 4/20, C3"), "{shown}");
    assert!(
        shown.contains("Enter keep filter"),
        "the input's keys:\n{shown}"
    );
    // The matches are highlighted.
    let (x, y) = find(&buf, "H100: 4").unwrap();
    assert_eq!(buf[(x, y)].bg, Color::Yellow);
    assert_eq!(buf[(x + 4, y)].bg, Color::Reset, "only the match");

    // Enter keeps the filter and leaves the input: keys act on the list again.
    app.handle_event(key(KeyCode::Enter));
    let s = text(&draw(&app, 80, 24));
    assert!(s.contains("/h100 (2 of 6)") && s.contains("q quit"), "{s}");
    app.handle_event(ch('2'));
    assert_eq!(app.current_title(), "Infra", "digits switch screens again");
    app.handle_event(ch('5'));
    assert!(text(&draw(&app, 80, 24)).contains("/h100 (2 of 6)"), "kept");
    // Esc clears the filter first, then goes back.
    app.handle_event(key(KeyCode::Esc));
    let s = text(&draw(&app, 80, 24));
    assert!(s.contains("GPU 4/20, C3") && !s.contains("/h100"), "{s}");
    assert_eq!(app.current_title(), "Logs");
    app.handle_event(key(KeyCode::Esc));
    assert_eq!(app.current_title(), "Infra");

    // Esc while typing clears and closes at once.
    app.handle_event(ch('5'));
    app.handle_event(ch('/'));
    typed(&mut app, "zzz");
    assert!(text(&draw(&app, 80, 24)).contains("(no line matches /zzz)"));
    app.handle_event(key(KeyCode::Esc));
    assert!(text(&draw(&app, 80, 24)).contains("GPU 4/20, C3"));
}

#[tokio::test(start_paused = true)]
async fn logs_wrap_by_default_and_w_scrolls_sideways() {
    let logs = tempfile::tempdir().unwrap();
    std::fs::write(logs.path().join("cache_warm.log"), LOG).unwrap();
    let (mut app, _cache) = warm_app(logs.path()).await;
    app.handle_event(ch('5'));
    let s = text(&draw(&app, 80, 24));
    // The long error line wraps: its end is on the screen.
    assert!(
        s.contains("'serviceusage.googleapis.com' [rate_limited]"),
        "{s}"
    );

    app.handle_event(ch('w'));
    assert_eq!(app.toasts().len(), 0, "w is wrap here, not warm now");
    let s = text(&draw(&app, 80, 24));
    assert!(s.contains("no wrap · col 1"), "{s}");
    assert!(!s.contains("[rate_limited]"), "cut at the edge:\n{s}");
    for _ in 0..30 {
        app.handle_event(ch('l'));
    }
    let s = text(&draw(&app, 80, 24));
    assert!(s.contains("[rate_limited]"), "scrolled to the end:\n{s}");
    assert!(!s.contains("2026-11-21T02:45:31"), "{s}");
    app.handle_event(key(KeyCode::Left));
    app.handle_event(ch('h'));
    assert!(!text(&draw(&app, 80, 24)).contains("col 1 "));
    app.handle_event(ch('w'));
    let s = text(&draw(&app, 80, 24));
    assert!(
        !s.contains("no wrap") && s.contains("2026-11-21T02:45:31"),
        "{s}"
    );
}

#[tokio::test(start_paused = true)]
async fn toasts_sit_above_the_footer_and_never_cover_a_table_row() {
    let logs = tempfile::tempdir().unwrap();
    let (mut app, _cache) = warm_app(logs.path()).await;
    app.handle_event(ch('4'));
    let before = rows(&draw(&app, 80, 24));
    // Three toasts: a slow batch, a failure, warm now.
    app.handle_event(batch_done(
        2,
        3400,
        vec![outcome(
            &Check::c3("us-east1"),
            Err(ApiError::new(ErrorKind::Permission, "denied")),
            95,
        )],
    ));
    app.handle_event(ch('w'));
    let buf = draw(&app, 80, 24);
    let shown = rows(&buf);
    insta::assert_snapshot!("cache_toasts_80x24", shown.join("\n"));
    let footer = shown.len() - 1;
    assert!(shown[footer].starts_with("j/k select"), "{shown:#?}");
    assert!(
        shown[footer - 1].starts_with("▌ 🔄 Warming now: new cycle, 0/38  +2"),
        "one toast, the answer to the key, with the count of the rest, just above the footer:\n{}",
        shown.join("\n")
    );
    // The table ends above the toast; every row inside it is a table row.
    let top = shown
        .iter()
        .position(|r| r.starts_with("┌ Checks"))
        .unwrap();
    let bottom = shown.iter().rposition(|r| r.starts_with("└")).unwrap();
    assert_eq!(bottom, footer - 2, "the table shrank by the toast's row");
    for row in &shown[top + 1..bottom] {
        assert!(row.starts_with('│'), "a table row: {row:?}");
        assert!(
            !row.contains('▌') && !row.contains("Warming now"),
            "{row:?}"
        );
    }
    // The rows it still shows are the same rows as before (one fewer; the scrollbar's
    // thumb, in the last column, grew).
    let cut = |rows: &[String]| -> Vec<String> {
        rows.iter().map(|r| r.chars().take(79).collect()).collect()
    };
    assert_eq!(
        cut(&shown[top + 1..bottom]),
        cut(&before[top + 1..bottom]),
        "none hidden"
    );

    // Landing checks keeps the progress toast's count current; the cycle's end removes it.
    app.handle_event(ch('w'));
    assert_eq!(
        app.toasts().len(),
        3,
        "the progress toast was replaced, not stacked"
    );
    app.handle_event(landed(
        Check::gpu(GpuType::T4, Capacity::Spot, "us-central1"),
        Limit::Finite(16),
        8,
    ));
    let s = text(&draw(&app, 80, 24));
    assert!(s.contains("▌ ⏳ Already warming (8/38)  +2"), "{s}");
    app.handle_event(cycle_complete());
    let s = text(&draw(&app, 80, 24));
    assert!(!s.contains("Already warming"), "no stale count:\n{s}");
    assert!(
        s.contains("▌ 💥 Check failed: C3 us-east1 (permission denied)  +2"),
        "then the error, before the slow batch and the cycle's summary:\n{s}"
    );
    // Six seconds later the slot is gone and the table has its rows back.
    tokio::time::advance(Duration::from_secs(7)).await;
    app.handle_event(Event::Tick);
    assert!(app.toasts().is_empty());
    let after = rows(&draw(&app, 80, 24));
    assert_eq!(after[top], before[top], "the table's rows are back");
    let bottom_after = after.iter().rposition(|r| r.starts_with('└')).unwrap();
    assert_eq!(bottom_after, after.len() - 2, "just above the footer again");
}

#[tokio::test(start_paused = true)]
async fn clicking_a_tab_switches_screens_and_a_row_selects_it() {
    let logs = tempfile::tempdir().unwrap();
    let (mut app, _cache) = warm_app(logs.path()).await;
    let buf = draw(&app, 80, 24);
    let (x, y) = find(&buf, "4 Cache").unwrap();
    app.handle_event(click(x + 2, y));
    assert_eq!(app.current_title(), "Cache");
    let buf = draw(&app, 80, 24);
    let (x, y) = find(&buf, "2 Infra").unwrap();
    app.handle_event(click(x, y));
    assert_eq!(app.current_title(), "Infra");
    // The divider between two tabs belongs to neither.
    let buf = draw(&app, 80, 24);
    let (x, y) = find(&buf, "3 Launch").unwrap();
    assert_eq!(buf[(x - 2, y)].symbol(), "│");
    app.handle_event(click(x - 2, y));
    assert_eq!(app.current_title(), "Infra");

    // Home: a click selects a row of the screens list, Enter opens it.
    let (x, y) = find(&draw(&app, 80, 24), "1 Home").unwrap();
    app.handle_event(click(x, y));
    let buf = draw(&app, 80, 24);
    let (x, y) = find(&buf, "live tail of cache_warm.log").unwrap();
    app.handle_event(click(x, y));
    let buf = draw(&app, 80, 24);
    // " › 5 Logs" inside the list's border: the label is highlighted.
    assert_eq!(buf[(4, y)].symbol(), "5");
    assert_eq!(buf[(4, y)].bg, Color::Cyan, "the clicked row is selected");
    assert_eq!(buf[(2, y)].symbol(), "›");
    app.handle_event(key(KeyCode::Enter));
    assert_eq!(app.current_title(), "Logs");

    // The Launch screen: a click on a field focuses it; on the image, edits it.
    app.handle_event(ch('3'));
    assert_eq!(app.current_title(), "Launch");
    let buf = draw(&app, 80, 24);
    let (x, y) = find(&buf, "Image").unwrap_or_else(|| panic!("{}", text(&buf)));
    app.handle_event(click(x, y));
    let s = text(&draw(&app, 80, 24));
    assert!(s.contains("▶ Image") && s.contains("Esc/Enter done"), "{s}");
    typed(&mut app, "2");
    assert_eq!(app.current_title(), "Launch", "typing, not switching");
}
