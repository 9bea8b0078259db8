//! Cell styles of the Infra tables (zero red, positive green, stale dim, failed) and
//! `NO_COLOR` (no cell with a colour other than `Reset`), checked on the `TestBackend` buffer.

mod tui_support;

use std::time::Duration;

use quota_tui::catalog::{Capacity, Check, GpuType, Limit};
use quota_tui::store::DEFAULT_TTL;
use quota_tui::tui::event::Event;
use quota_tui::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use tui_support::*;

/// The cell at (`region` column, `gpu` row) of the GPU table.
fn gpu_cell(buf: &Buffer, gpu: &str, region: &str) -> (u16, u16) {
    let (_, header_y) = find(buf, "GPU   us-central1").expect("GPU table header");
    let (x, _) = find(buf, region).expect("region column");
    let y = (header_y + 1..buf.area.height)
        .find(|&y| {
            let row: String = (1..7).map(|x| buf[(x, y)].symbol()).collect();
            row.trim() == gpu
        })
        .expect("GPU row");
    (x, y)
}

#[tokio::test(start_paused = true)]
async fn positive_green_zero_red_failed_marked() {
    let logs = tempfile::tempdir().unwrap();
    let (handle, cache) = warmer(DEFAULT_TTL);
    fill_warm_with_usage(&cache);
    // H200 us-east1 never fetched, but failed.
    let mut app = app(handle, Theme::colored(), logs.path());
    app.handle_event(ch('2'));
    let buf = draw(&app, 120, 40);

    let (x, y) = gpu_cell(&buf, "T4", "us-central1");
    assert_eq!(buf[(x, y)].symbol(), "2", "T4 us-central1 = 2/16");
    assert_eq!(buf[(x, y)].fg, Color::Green);
    assert_eq!(buf[(x + 3, y)].fg, Color::Green);

    // Nothing free: T4 us-west1 (4 of 4 in use) and europe-west4 (a zero limit).
    for region in ["us-west1", "europe-west4"] {
        let (x, y) = gpu_cell(&buf, "T4", region);
        assert_eq!(buf[(x, y)].symbol(), "0");
        assert_eq!(buf[(x, y)].fg, Color::Red);
    }

    // Usage unknown: L4 europe-west4 is `?/2`, in the warning colour, never green.
    let (x, y) = gpu_cell(&buf, "L4", "europe-west4");
    assert_eq!(buf[(x, y)].symbol(), "?");
    assert_eq!(buf[(x, y)].fg, Color::Yellow);

    let (x, y) = find(&buf, "southamerica-east1").unwrap();
    let bang = (x..buf.area.width)
        .find(|&x| buf[(x, y)].symbol() == "!")
        .expect("failed C3 check shows !");
    assert_eq!(buf[(bang, y)].fg, Color::Yellow);
    assert!(
        !buf[(x, y)].modifier.contains(Modifier::DIM),
        "fresh is not dim"
    );
}

#[tokio::test(start_paused = true)]
async fn stale_cells_are_dimmed_after_the_ttl() {
    let logs = tempfile::tempdir().unwrap();
    let ttl = Duration::from_secs(60);
    let (handle, cache) = warmer(ttl);
    record_with_usage(
        &cache,
        &Check::gpu(GpuType::T4, Capacity::Spot, "us-central1"),
        Limit::Finite(16),
        14,
    );
    let mut app = app(handle, Theme::colored(), logs.path());
    app.handle_event(ch('2'));
    let buf = draw(&app, 80, 24);
    let (x, y) = gpu_cell(&buf, "T4", "us-central1");
    assert_eq!(buf[(x, y)].symbol(), "2");
    assert!(!buf[(x, y)].modifier.contains(Modifier::DIM));

    tokio::time::advance(ttl + Duration::from_secs(1)).await;
    app.handle_event(Event::Tick);
    let buf = draw(&app, 80, 24);
    let (x, y) = gpu_cell(&buf, "T4", "us-central1");
    let cell: String = (x..x + 5).map(|x| buf[(x, y)].symbol()).collect();
    assert_eq!(cell, "2/16~", "stale is marked by a symbol too");
    assert!(buf[(x, y)].modifier.contains(Modifier::DIM));
    assert_eq!(buf[(x, y)].fg, Color::Green, "still a positive value");
    assert!(text(&buf).contains("1 stale"), "{}", text(&buf));
}

#[tokio::test(start_paused = true)]
async fn no_color_leaves_every_cell_uncoloured() {
    let logs = tempfile::tempdir().unwrap();
    let (handle, cache) = warmer(Duration::from_secs(60));
    fill_warm(&cache);
    let mut app = app(handle, Theme::no_color(), logs.path());
    app.handle_event(cycle_started());
    app.handle_event(landed(
        Check::gpu(GpuType::T4, Capacity::Spot, "us-central1"),
        Limit::Finite(16),
        1,
    ));
    app.handle_event(cycle_complete()); // a toast
    tokio::time::advance(Duration::from_secs(61)).await; // everything stale
    app.handle_event(Event::Tick);
    app.handle_event(ch('w')); // another toast
    let mut checked = 0;
    for screen in ['1', '2', '3', '4', '5'] {
        app.handle_event(ch(screen));
        for help in [false, true] {
            if help {
                app.handle_event(ch('?'));
            }
            for (w, h) in [(80, 24), (120, 40)] {
                let buf = draw(&app, w, h);
                for cell in &buf.content {
                    assert_eq!(cell.fg, Color::Reset, "{screen}: {cell:?}");
                    assert_eq!(cell.bg, Color::Reset, "{screen}: {cell:?}");
                    checked += 1;
                }
            }
            if help {
                app.handle_event(ch('?'));
            }
        }
    }
    assert!(checked > 10_000);
    // Meaning without colour: the stale marker and the selected tab's emphasis remain.
    app.handle_event(ch('2'));
    let buf = draw(&app, 80, 24);
    assert!(text(&buf).contains("16~"));
    let (x, y) = find(&buf, "2 Infra").unwrap();
    assert!(buf[(x, y)].modifier.contains(Modifier::REVERSED));
}
