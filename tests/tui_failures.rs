//! Failure is never shown as health (issue 11): the status widget after a cycle in which
//! every check failed or some did, and the cells after a re-warm that failed everywhere on top
//! of good values, on Infra, Cache and Home; stale marks on Home's C3 line. Checked on the
//! `TestBackend` buffer (text and colour).

mod tui_support;

use std::time::Duration;

use quota_tui::catalog::Catalog;
use quota_tui::gcp::{ApiError, ErrorKind};
use quota_tui::store::{DEFAULT_TTL, MemoryStore, QuotaStore};
use quota_tui::tui::app::App;
use quota_tui::tui::event::Event;
use quota_tui::tui::theme::Theme;
use quota_tui::warmer::{CycleCause, ListPos, WarmerEvent};
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use tui_support::*;

fn complete(cycle: u64, failed: usize) -> Event {
    Event::Warmer(WarmerEvent::CycleComplete {
        cycle,
        elapsed: Duration::from_millis(41_200),
        gpu: ListPos { n: 20, total: 20 },
        c3: ListPos { n: 18, total: 18 },
        failed,
    })
}

fn rewarm(cycle: u64) -> Event {
    Event::Warmer(WarmerEvent::CycleStarted {
        cycle,
        cause: CycleCause::Refresh {
            since: Duration::from_secs(24 * 60),
        },
        total: 38,
    })
}

/// Every check's last refresh failed with 403 (the good values, if any, kept).
fn fail_everything(cache: &MemoryStore) {
    for check in Catalog::default().all_checks() {
        cache.record(
            &check,
            Err(ApiError::new(
                ErrorKind::Permission,
                "Permission denied on resource project",
            )),
            Duration::from_millis(90),
        );
    }
}

/// The header's status text (right of the title) and its colour.
fn status(buf: &Buffer) -> (String, Color) {
    let line = text(buf).lines().next().unwrap_or_default().to_string();
    let status = line
        .split_once("DEMO")
        .map(|(_, s)| s.trim().to_string())
        .unwrap_or_default();
    let x = buf.area.width - 3;
    (status, buf[(x, 0)].fg)
}

fn hot_app(logs: &std::path::Path) -> (App, std::sync::Arc<MemoryStore>) {
    let (handle, cache) = warmer(DEFAULT_TTL);
    let mut app = app(handle, Theme::colored(), logs);
    app.handle_event(cycle_started());
    (app, cache)
}

#[tokio::test(start_paused = true)]
async fn a_cycle_in_which_every_check_failed_is_a_red_error() {
    let logs = tempfile::tempdir().unwrap();
    let (mut app, cache) = hot_app(logs.path());
    fail_everything(&cache);
    app.handle_event(complete(1, 38));
    let buf = draw(&app, 80, 24);
    let (text, colour) = status(&buf);
    assert_eq!(text, "💥 ERROR 0/38 ok");
    assert_eq!(colour, Color::Red);
    let screen = self::text(&buf);
    assert!(!screen.contains("HOT"), "{screen}");
    assert!(
        screen.contains("all 38 checks failed"),
        "an error toast: {screen}"
    );
    let (x, y) = find(&buf, "all 38 checks failed").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Red, "the toast is an error");
    assert_eq!(buf[(0, y)].symbol(), "▌", "in the toast slot");
    assert_eq!(buf[(0, y)].fg, Color::Red);

    // The next cycle does not claim a hot cache either.
    app.handle_event(rewarm(2));
    let (text, colour) = status(&draw(&app, 80, 24));
    assert_eq!(text, "🔥 Warming... 0/38");
    assert_ne!(colour, Color::Green);
}

#[tokio::test(start_paused = true)]
async fn a_partial_failure_shows_its_count() {
    let logs = tempfile::tempdir().unwrap();
    let (mut app, cache) = hot_app(logs.path());
    fill_warm(&cache);
    app.handle_event(complete(1, 3));
    let (text, colour) = status(&draw(&app, 80, 24));
    assert_eq!(text, "✅ Cache HOT! 38/38 · 3 failed");
    assert_eq!(colour, Color::Yellow, "not the all-good green");
    app.handle_event(complete(2, 0));
    let (text, colour) = status(&draw(&app, 80, 24));
    assert_eq!(text, "✅ Cache HOT! 38/38");
    assert_eq!(colour, Color::Green);
}

/// The cell at the start of `needle` on the row that starts with `row` (after `from_y`).
fn cell_on_row(buf: &Buffer, row: &str, needle: &str) -> (u16, u16) {
    let t = text(buf);
    let (y, line) = t
        .lines()
        .enumerate()
        .find(|(_, l)| l.trim_start_matches('│').trim_start().starts_with(row))
        .unwrap_or_else(|| panic!("no row {row:?} in\n{t}"));
    let x = line
        .find(needle)
        .unwrap_or_else(|| panic!("no {needle:?} in {line:?}"));
    // Byte offset to column: the rows searched hold ASCII and box characters only.
    let col = line[..x].chars().count() as u16;
    (col, y as u16)
}

/// Home's answer line for `what` (`T4`, `C3`).
fn answer<'a>(screen: &'a str, what: &str) -> &'a str {
    screen
        .lines()
        .find(|l| {
            l.trim_start_matches('│')
                .trim_start()
                .starts_with(&format!("{what} "))
        })
        .unwrap_or_else(|| panic!("no {what} answer in\n{screen}"))
}

#[tokio::test(start_paused = true)]
async fn a_rewarm_that_failed_everywhere_leaves_no_cell_plain_green() {
    let logs = tempfile::tempdir().unwrap();
    let (mut app, cache) = hot_app(logs.path());
    fill_warm_with_usage(&cache);
    app.handle_event(complete(1, 0));
    app.handle_event(ch('2'));
    let buf = draw(&app, 120, 40);
    let (x, y) = cell_on_row(&buf, "T4", "2/16");
    assert_eq!(buf[(x, y)].fg, Color::Green);
    assert!(!buf[(x, y)].modifier.contains(Modifier::DIM));

    app.handle_event(rewarm(2));
    fail_everything(&cache);
    app.handle_event(complete(2, 38));
    app.handle_event(ch('r'));
    let buf = draw(&app, 120, 40);
    let screen = text(&buf);
    assert_eq!(status(&buf).0, "💥 ERROR 0/38 ok");
    // GPU table: every value marked and dimmed, none plain green.
    let (x, y) = cell_on_row(&buf, "T4", "2/16!");
    assert!(buf[(x, y)].modifier.contains(Modifier::DIM), "{screen}");
    assert_eq!(buf[(x + 4, y)].symbol(), "!");
    for cell in &buf.content {
        let value = cell
            .symbol()
            .chars()
            .all(|c| c.is_ascii_digit() || c == '∞');
        if value && cell.fg == Color::Green {
            assert!(
                cell.modifier.contains(Modifier::DIM),
                "plain green {cell:?}\n{screen}"
            );
        }
    }
    // C3 table and legend.
    let (x, y) = find(&buf, "88/176!").expect("C3 us-central1 marked");
    assert!(buf[(x, y)].modifier.contains(Modifier::DIM));
    assert!(screen.contains("n! refresh failed"), "{screen}");
    assert!(screen.contains("38 failed"), "{screen}");

    // Cache screen rows.
    app.handle_event(ch('4'));
    let buf = draw(&app, 120, 40);
    // Limit 16, 14 in use: the 2 free are the last good values, marked and dimmed.
    let (x, y) = cell_on_row(&buf, "T4 us-central1", "2!");
    assert!(buf[(x, y)].modifier.contains(Modifier::DIM));
    let (x, y) = cell_on_row(&buf, "T4 us-central1", "16");
    assert!(
        buf[(x, y)].modifier.contains(Modifier::DIM),
        "the limit too"
    );

    // Home: the answers say the refresh failed.
    app.handle_event(ch('1'));
    let screen = text(&draw(&app, 120, 40));
    let t4 = answer(&screen, "T4");
    assert!(t4.contains("(refresh failed)"), "{t4}");
    let also = t4
        .split(" · also ")
        .nth(1)
        .expect("other regions with free GPUs");
    for item in also.trim_end_matches(['│', ' ']).split(", ") {
        assert!(item.ends_with('!'), "also-list marked: {item:?} in {t4}");
    }
    let c3 = answer(&screen, "C3");
    assert!(c3.contains("(refresh failed)"), "{c3}");
    assert!(c3.contains("18 failed"), "{c3}");
}

#[tokio::test(start_paused = true)]
async fn stale_values_are_marked_on_home_c3_line_too() {
    let logs = tempfile::tempdir().unwrap();
    let ttl = Duration::from_secs(60);
    let (handle, cache) = warmer(ttl);
    fill_warm(&cache);
    let mut app = app(handle, Theme::colored(), logs.path());
    let screen = text(&draw(&app, 120, 40));
    let c3 = answer(&screen, "C3");
    assert!(!c3.contains("stale"), "{c3}");
    tokio::time::advance(ttl + Duration::from_secs(1)).await;
    app.handle_event(Event::Tick);
    let buf = draw(&app, 120, 40);
    let screen = text(&buf);
    let c3 = answer(&screen, "C3");
    assert!(c3.contains("(stale)"), "{c3}");
    let (x, y) = find(&buf, "c3-standard-176").unwrap();
    assert!(buf[(x, y)].modifier.contains(Modifier::DIM));
    let t4 = answer(&screen, "T4");
    assert!(t4.contains("(stale)"), "{t4}");
}
