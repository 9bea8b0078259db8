//! The Infra screen with usage (issues 13 and 14): `free/limit` cells, C3 coloured by what
//! its free vCPUs can build, the cell cursor and its detail popup, `y` copying the console
//! link (OSC 52), the `/` filter, the C3 sort, and the side-by-side layout from 160 columns.
//! Drawn on a `TestBackend` under a paused clock, as `tui_snapshots`.

mod tui_support;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::KeyCode;
use quota_tui::catalog::{Capacity, Check, GpuType};
use quota_tui::gcp::console::quota_increase_url;
use quota_tui::gcp::{ApiError, ErrorKind};
use quota_tui::store::{DEFAULT_TTL, MemoryStore, QuotaStore};
use quota_tui::tui::app::App;
use quota_tui::tui::clipboard::osc52;
use quota_tui::tui::event::Event;
use quota_tui::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use tui_support::*;

/// The warm app with usage, on the Infra screen.
async fn infra_app(log_dir: &std::path::Path) -> (App, Arc<MemoryStore>) {
    let (handle, cache) = warmer(DEFAULT_TTL);
    fill_warm_with_usage(&cache);
    let mut app = app(handle, Theme::colored(), log_dir);
    app.handle_event(cycle_started());
    app.handle_event(cycle_complete());
    tokio::time::advance(Duration::from_secs(7)).await;
    app.handle_event(Event::Tick);
    app.handle_event(ch('2'));
    assert_eq!(app.current_title(), "Infra");
    (app, cache)
}

fn click(column: u16, row: u16) -> Event {
    use crossterm::event::{
        Event as TermEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
    };
    Event::Crossterm(TermEvent::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }))
}

/// `text` with the wall-clock times (`2026-11-22 04:21:58 UTC`: the test clock starts at the
/// real time) replaced by `<TIME>`.
fn redact_times(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(" UTC") {
        let start = rest[..i].len().saturating_sub(19);
        let stamp = &rest[start..i];
        let is_time = stamp.len() == 19
            && stamp.as_bytes()[4] == b'-'
            && stamp.as_bytes()[10] == b' '
            && stamp.as_bytes()[13] == b':';
        if is_time {
            out.push_str(&rest[..start]);
            out.push_str("<TIME>             ");
        } else {
            out.push_str(&rest[..i]);
        }
        out.push_str(" UTC");
        rest = &rest[i + 4..];
    }
    out.push_str(rest);
    out
}

fn fg_at(buf: &Buffer, needle: &str) -> Color {
    let (x, y) = find(buf, needle).unwrap_or_else(|| panic!("{needle} not on screen"));
    buf[(x, y)].fg
}

#[tokio::test(start_paused = true)]
async fn cells_show_free_of_limit_and_c3_is_green_only_where_a_machine_fits() {
    let logs = tempfile::tempdir().unwrap();
    let (app, _) = infra_app(logs.path()).await;
    let buf = draw(&app, 120, 40);
    let shown = text(&buf);
    insta::assert_snapshot!("infra_usage_warm_120x40", shown);
    // T4 us-central1: 16 with 14 in use; L4 europe-west4: usage unknown.
    assert!(shown.contains("2/16"), "{shown}");
    assert!(shown.contains("?/2"), "{shown}");
    assert!(
        shown.contains("free / limit"),
        "the titles say what the cells are"
    );
    // us-east5: 24 free vCPUs build nothing, so not green; us-central1's 88 free do.
    let line = |region: &str| {
        shown
            .lines()
            .find(|l| l.contains(region) && l.contains('/'))
            .unwrap_or_else(|| panic!("{region} row"))
            .to_string()
    };
    assert!(line("us-central1   ").contains("88/176"));
    assert!(line("us-central1   ").contains("c3-standard-88"));
    assert!(line("us-east5").contains("24/24"));
    assert!(line("us-east5").contains("< 44 free"));
    assert_eq!(fg_at(&buf, "c3-standard-88"), Color::Green);
    assert_eq!(fg_at(&buf, "— (< 44 free)"), Color::Red);
    assert_eq!(
        fg_at(&buf, "24/24"),
        Color::Red,
        "24 free vCPUs build nothing"
    );
    assert_eq!(fg_at(&buf, "88/176"), Color::Green);
    assert_eq!(fg_at(&buf, "?/176"), Color::Yellow, "usage unknown");
    insta::assert_snapshot!("infra_usage_warm_80x24", text(&draw(&app, 80, 24)));
}

#[tokio::test(start_paused = true)]
async fn at_200_columns_the_tables_sit_side_by_side_and_the_gpu_table_takes_the_room() {
    let logs = tempfile::tempdir().unwrap();
    let (app, _) = infra_app(logs.path()).await;
    let buf = draw(&app, 200, 60);
    let shown = text(&buf);
    insta::assert_snapshot!("infra_usage_warm_200x60", shown);
    let top = shown.lines().nth(3).unwrap();
    let gpu_end = top.find('┐').expect("the GPU table's corner");
    let c3_start = top.rfind('┌').expect("the C3 table's corner");
    let (gpu_w, c3_w) = (
        top[..gpu_end].chars().count(),
        top[c3_start..].chars().count(),
    );
    assert!(
        gpu_w > 2 * c3_w,
        "GPU {gpu_w} columns wide, C3 {c3_w}: {top}"
    );
    // Every C3 row fits: no scrolled title, and `j` keeps it so.
    assert!(!shown.contains("of 18)"), "{shown}");
}

#[tokio::test(start_paused = true)]
async fn j_when_every_c3_row_fits_moves_the_cursor_not_the_table() {
    let logs = tempfile::tempdir().unwrap();
    let (mut app, _) = infra_app(logs.path()).await;
    // Into the C3 table (side by side: → past the last GPU column), then down a row.
    draw(&app, 200, 60);
    for _ in 0..4 {
        app.handle_event(key(KeyCode::Right));
    }
    app.handle_event(ch('j'));
    let buf = draw(&app, 200, 60);
    let shown = text(&buf);
    assert!(!shown.contains("of 18)"), "still every row: {shown}");
    // The C3 table starts at the first row's region; the cursor is on the second row.
    let row_of = |region: &str| -> u16 {
        (0..60)
            .find(|&y| {
                let line: String = (130..200).map(|x| buf[(x, y)].symbol()).collect();
                line.contains(&format!("│{region} "))
            })
            .unwrap_or_else(|| panic!("{region}'s C3 row"))
    };
    let (first, second) = (row_of("us-central1"), row_of("us-east1"));
    assert_eq!(second, first + 1);
    let x = (130..200)
        .find(|&x| buf[(x, second)].symbol() == "u")
        .unwrap();
    assert_eq!(buf[(x, second)].bg, Color::Cyan, "the cursor's row");
    assert_ne!(buf[(x, first)].bg, Color::Cyan);
}

#[tokio::test(start_paused = true)]
async fn enter_on_a_failed_cell_shows_the_whole_error_and_the_console_link() {
    let logs = tempfile::tempdir().unwrap();
    let (mut app, cache) = infra_app(logs.path()).await;
    let words: Vec<String> = (0..150).map(|i| format!("w{i:03}")).collect();
    let message = format!("{} \u{1b}[2J end-of-error", words.join(" "));
    let h100 = Check::gpu(GpuType::H100, Capacity::Spot, "us-east1");
    cache.record(
        &h100,
        Err(ApiError::new(ErrorKind::Permission, message)),
        Duration::from_millis(95),
    );
    app.handle_event(Event::Tick);
    // H100 is the fourth row, us-east1 the second column.
    for k in [KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('j')] {
        app.handle_event(key(k));
    }
    app.handle_event(ch('l'));
    app.handle_event(key(KeyCode::Enter));
    let buf = draw(&app, 120, 60);
    let shown = text(&buf);
    assert!(shown.contains("H100 us-east1 · quota detail"), "{shown}");
    assert!(
        shown.contains(
            "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_h100_gpus"
        ),
        "{shown}"
    );
    // 150 words are more than the 500 characters a log line keeps: every one is shown.
    for w in &words {
        assert!(shown.contains(w.as_str()), "{w} missing:\n{shown}");
    }
    assert!(shown.contains("end-of-error"));
    assert!(shown.contains("\\u{1b}[2J"), "the escape is made visible");
    assert!(shown.contains("y copies the link · Esc closes"));
    // Esc closes it; Infra stays.
    app.handle_event(key(KeyCode::Esc));
    assert_eq!(app.current_title(), "Infra");
    assert!(!text(&draw(&app, 120, 60)).contains("quota detail"));
}

#[tokio::test(start_paused = true)]
async fn the_detail_popup_of_a_cell() {
    let logs = tempfile::tempdir().unwrap();
    let (mut app, _) = infra_app(logs.path()).await;
    // A100 us-central1: a good value kept, the last refresh rate limited.
    app.handle_event(ch('j'));
    app.handle_event(ch('j'));
    app.handle_event(key(KeyCode::Enter));
    let shown = redact_times(&text(&draw(&app, 120, 40)));
    insta::assert_snapshot!("infra_detail_120x40", shown);
    assert!(shown.contains("Quota exceeded for reads"), "{shown}");
    assert!(shown.contains("project=quota-tui-demo"), "{shown}");
    insta::assert_snapshot!(
        "infra_detail_80x24",
        redact_times(&text(&draw(&app, 80, 24)))
    );
}

#[tokio::test(start_paused = true)]
async fn y_copies_the_cells_console_link_with_osc_52() {
    let logs = tempfile::tempdir().unwrap();
    let (mut app, _) = infra_app(logs.path()).await;
    assert!(app.take_terminal_output().is_empty());
    app.handle_event(ch('l')); // T4 us-east1
    app.handle_event(ch('y'));
    let t4 = Check::gpu(GpuType::T4, Capacity::Spot, "us-east1");
    let link = quota_increase_url("quota-tui-demo", t4.metric);
    let out = app.take_terminal_output();
    assert_eq!(String::from_utf8(out).unwrap(), osc52(&link));
    assert!(text(&draw(&app, 120, 40)).contains("Copied the quota-increase link"));
    assert!(app.take_terminal_output().is_empty(), "written once");
    // From the popup too, and for C3 a Cloud Build link (stacked at 120 columns: down
    // past the GPU table's last row).
    for _ in 0..5 {
        app.handle_event(key(KeyCode::Down));
    }
    app.handle_event(key(KeyCode::Enter));
    app.handle_event(ch('y'));
    let out = String::from_utf8(app.take_terminal_output()).unwrap();
    let c3 = quota_increase_url("quota-tui-demo", Check::c3("us-central1").metric);
    assert_eq!(out, osc52(&c3));
}

#[tokio::test(start_paused = true)]
async fn the_filter_narrows_both_tables_and_digits_type_into_it() {
    let logs = tempfile::tempdir().unwrap();
    let (mut app, _) = infra_app(logs.path()).await;
    app.handle_event(ch('/'));
    for c in "h100".chars() {
        app.handle_event(ch(c));
    }
    assert_eq!(app.current_title(), "Infra", "1 typed, no screen switch");
    let shown = text(&draw(&app, 120, 40));
    insta::assert_snapshot!("infra_filter_h100_120x40", shown);
    assert!(shown.contains("H100"));
    assert!(!shown.contains("T4 "), "{shown}");
    app.handle_event(key(KeyCode::Enter));
    // A region filter: GPU columns and C3 rows.
    app.handle_event(key(KeyCode::Esc));
    app.handle_event(ch('/'));
    for c in "west".chars() {
        app.handle_event(ch(c));
    }
    app.handle_event(key(KeyCode::Enter));
    let shown = text(&draw(&app, 120, 40));
    insta::assert_snapshot!("infra_filter_west_120x40", shown);
    assert!(shown.contains("us-west1") && shown.contains("europe-west4"));
    assert!(!shown.contains("us-central1"), "{shown}");
    assert!(!shown.contains("asia-"), "{shown}");
    // Esc clears it; the next Esc goes back.
    app.handle_event(key(KeyCode::Esc));
    assert!(text(&draw(&app, 120, 40)).contains("us-central1"));
    assert_eq!(app.current_title(), "Infra");
}

#[tokio::test(start_paused = true)]
async fn o_sorts_c3_by_region_then_by_free_vcpus() {
    let logs = tempfile::tempdir().unwrap();
    let (mut app, _) = infra_app(logs.path()).await;
    draw(&app, 200, 60);
    let c3_rows = |app: &App| -> Vec<String> {
        text(&draw(app, 200, 60))
            .lines()
            .filter(|l| l.contains('│'))
            .filter_map(|l| {
                l.split('│')
                    .rfind(|s| !s.trim().is_empty())
                    .map(|s| s.trim().to_string())
            })
            .filter(|l| l.contains("  ") && !l.starts_with("Region") && !l.starts_with("GPU"))
            .collect()
    };
    // The cursor on us-west4's C3 row (the eighth) stays on it through the sorts.
    for _ in 0..4 {
        app.handle_event(key(KeyCode::Right));
    }
    for _ in 0..7 {
        app.handle_event(ch('j'));
    }
    app.handle_event(key(KeyCode::Enter));
    assert!(text(&draw(&app, 200, 60)).contains("C3 us-west4 · quota detail"));
    app.handle_event(key(KeyCode::Esc));
    app.handle_event(ch('o'));
    let shown = text(&draw(&app, 200, 60));
    assert!(shown.contains("by region"), "{shown}");
    let rows = c3_rows(&app);
    assert!(rows[0].starts_with("asia-northeast1"), "{rows:?}");
    app.handle_event(ch('o'));
    assert!(text(&draw(&app, 200, 60)).contains("by free vCPUs"));
    let rows = c3_rows(&app);
    // Unlimited first, then the 176 free.
    assert!(rows[0].starts_with("us-west4"), "{rows:?}");
    assert!(rows[1].contains("176/176"), "{rows:?}");
    assert!(
        rows.last().unwrap().starts_with("southamerica-east1"),
        "no value last: {rows:?}"
    );
    app.handle_event(key(KeyCode::Enter));
    assert!(
        text(&draw(&app, 200, 60)).contains("C3 us-west4 · quota detail"),
        "the cursor followed its region to the top"
    );
}

#[tokio::test(start_paused = true)]
async fn a_click_selects_the_cell_enter_opens() {
    let logs = tempfile::tempdir().unwrap();
    let (mut app, _) = infra_app(logs.path()).await;
    let buf = draw(&app, 120, 40);
    // L4's row, under us-west1's header.
    let (x, _) = find(&buf, "us-west1").unwrap();
    let (_, y) = find(&buf, "L4 ").unwrap();
    app.handle_event(click(x + 1, y));
    app.handle_event(key(KeyCode::Enter));
    let shown = text(&draw(&app, 120, 40));
    assert!(shown.contains("L4 us-west1 · quota detail"), "{shown}");
}

#[tokio::test(start_paused = true)]
async fn the_popup_names_a_usage_failure_and_draws_at_any_size() {
    let logs = tempfile::tempdir().unwrap();
    let (mut app, cache) = infra_app(logs.path()).await;
    // T4 us-central1: the limit read, the usage denied (no monitoring.timeSeries.list).
    let t4 = Check::gpu(GpuType::T4, Capacity::Spot, "us-central1");
    let mut denied = outcome(&t4, Ok(quota_tui::catalog::Limit::Finite(16)), 300);
    denied.usage = Some(Err(ApiError::new(
        ErrorKind::Permission,
        "Permission monitoring.timeSeries.list denied",
    )));
    cache.record_outcome(&denied);
    app.handle_event(Event::Tick);
    app.handle_event(key(KeyCode::Enter));
    let shown = text(&draw(&app, 120, 40));
    assert!(shown.contains("Usage error"), "{shown}");
    assert!(
        shown.contains("permission denied: Permission monitoring.timeSeries.list denied"),
        "{shown}"
    );
    // The kept usage (14 in use) is still shown, marked as from before the failure.
    assert!(shown.contains("2/16!"), "{shown}");
    for (w, h) in [(0, 0), (1, 1), (20, 5), (30, 8), (79, 23), (200, 60)] {
        let buf = draw(&app, w, h);
        assert_eq!((buf.area.width, buf.area.height), (w, h));
    }
}
