//! The Home dashboard and the Cache screen with usage (issues 13 and 14), on a
//! `TestBackend` under tokio's paused clock: a real warmer runs four cycles against a
//! scripted source (so the statistics and the batch-time sparkline are the warmer's own),
//! then the cache is given limits and usage by hand, region by region.

mod common;
mod tui_support;

use std::sync::Arc;
use std::time::Duration;

use common::fake_source::{FakeSource, Plan, UsagePlan};
use quota_tui::catalog::{Capacity, Catalog, Check, GpuType, Limit};
use quota_tui::gcp::console::quota_increase_url;
use quota_tui::gcp::{ApiError, ErrorKind, MetricOutcome};
use quota_tui::store::{DEFAULT_TTL, MemoryStore, QuotaStore, TokioClock};
use quota_tui::tui::app::App;
use quota_tui::tui::clipboard::osc52;
use quota_tui::tui::event::Event;
use quota_tui::tui::theme::Theme;
use quota_tui::warmer::{Warmer, WarmerConfig, WarmerEvent};
use tokio_util::sync::CancellationToken;
use tui_support::{ch, draw, find, key, text};

/// (limit, in use) per GPU type (T4, L4, A100, H100, H200) and GPU region (us-central1,
/// us-east1, us-west1, europe-west4); `None` in use: the usage read failed.
const GPU: [[(i64, Option<i64>); 4]; 5] = [
    [(16, Some(4)), (8, Some(8)), (4, Some(0)), (0, Some(0))],
    [(8, Some(8)), (0, Some(0)), (4, None), (2, Some(2))],
    [(2, Some(0)), (0, Some(0)), (2, Some(2)), (0, Some(0))],
    [(0, Some(0)), (1, Some(0)), (0, Some(0)), (0, Some(0))],
    [(8, Some(8)), (0, Some(0)), (0, Some(0)), (0, Some(0))],
];

/// Run a warmer for four cycles (20 batches, their times varied by request number), then
/// stop it; give every check its fixture value. The A100 us-central1 refresh then fails
/// (its 2 free are kept), C3 southamerica-east1 fails (the warmer's 16 kept, usage never
/// read), L4 us-west1's usage read fails.
async fn dashboard_app(logs: &std::path::Path) -> App {
    tui_support::install_global_subscriber();
    let source = FakeSource::with_usage(
        |_, n| {
            Plan::Answer(
                Duration::from_millis(300 + (n as u64 * 377) % 2900),
                Limit::Finite(16),
            )
        },
        // Usage never read by the warmer: each check's usage is the fixture's alone.
        |_, _| UsagePlan::Fail(Duration::from_millis(250), ErrorKind::Permission),
    );
    let cache = Arc::new(MemoryStore::with_clock(
        DEFAULT_TTL,
        Arc::new(TokioClock::new()),
    ));
    let cfg = WarmerConfig {
        ttl: DEFAULT_TTL,
        refresh: WarmerConfig::refresh_for(DEFAULT_TTL),
        ..WarmerConfig::default()
    };
    let warmer = Warmer::new(cfg, &Catalog::default(), source, cache.clone());
    let mut rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let (handle, task) = warmer.start(cancel.clone());
    for cycle in 0..4 {
        if cycle > 0 {
            handle.warm_now();
        }
        while !matches!(rx.recv().await, Ok(WarmerEvent::CycleComplete { .. })) {}
    }
    cancel.cancel();
    task.await.unwrap();
    fill_with_usage(&cache);
    let mut app = tui_support::app(handle, Theme::colored(), logs);
    tokio::time::advance(Duration::from_secs(7)).await;
    app.handle_event(Event::Tick);
    app
}

fn fill_with_usage(cache: &MemoryStore) {
    let catalog = Catalog::default();
    let put = |check: &Check, limit: i64, in_use: Option<i64>, ms: u64| {
        let usage = match in_use {
            Some(n) => Ok(vec![n]),
            None => Err(ApiError::new(
                ErrorKind::Permission,
                "Permission monitoring.timeSeries.list denied (needs Monitoring Viewer)",
            )),
        };
        let outcome =
            MetricOutcome::for_check(check, Ok(Limit::Finite(limit)), Duration::from_millis(ms))
                .with_usage(Some(usage), Duration::from_millis(ms / 2));
        cache.record_outcome(&outcome);
    };
    for (i, check) in catalog.gpu_checks().iter().enumerate() {
        let (limit, in_use) = GPU[i / 4][i % 4];
        put(check, limit, in_use, 300 + 41 * i as u64);
    }
    for (i, check) in catalog.c3_checks().iter().enumerate() {
        match (i, check.region.as_str()) {
            (_, "southamerica-east1") => cache.record(
                check,
                Err(ApiError::new(
                    ErrorKind::Permission,
                    "Permission denied on resource project",
                )),
                Duration::from_millis(120),
            ),
            (0, _) => put(check, 176, Some(100), 900),
            (1, _) => put(check, 88, Some(0), 880),
            _ => put(check, 24, Some(0), 400 + 13 * i as u64),
        }
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

/// `text` with the wall-clock times (`2026-11-22 04:21:58 UTC`: the test clock starts at the
/// real time) replaced by `<TIME>`, padded to the same width.
fn redact_times(text: &str) -> String {
    text.lines()
        .map(|line| {
            let mut line = line.to_string();
            while let Some(i) = line.find(" UTC") {
                let Some(start) = i.checked_sub(19) else {
                    break;
                };
                let stamp = &line.as_bytes()[start..i];
                if !(stamp[4] == b'-' && stamp[10] == b' ' && stamp[13] == b':') {
                    break;
                }
                line.replace_range(start..i + 4, "<TIME>                 ");
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        app.handle_event(ch(c));
    }
}

/// The body rows of the Cache screen's check table (between its header and its bottom
/// border), as text.
fn table_rows(screen: &str) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.contains("Check") && l.contains("Latency"))
        .expect("the check table's header");
    lines[header + 1..]
        .iter()
        .take_while(|l| !l.starts_with('└'))
        .filter(|l| !l.trim_matches(['│', '█', '║', ' ']).is_empty())
        .map(|l| l.to_string())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn home_is_a_dashboard_of_free_gpus_the_warmer_and_what_needs_attention() {
    let logs = tempfile::tempdir().unwrap();
    let mut app = dashboard_app(logs.path()).await;
    app.handle_event(ch('1'));
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let buf = draw(&app, w, h);
        let shown = text(&buf);
        insta::assert_snapshot!(format!("home_dashboard_{w}x{h}"), shown);
        // The answers are by free, not by limit: T4's best is 12 free of 16, though
        // us-east1's 8 of 8 are all in use.
        assert!(
            shown.contains("T4     us-central1 · 12 free of 16 GPUs"),
            "{shown}"
        );
        assert!(
            shown.contains("H100   us-east1 · 1 free of 1 GPU"),
            "{shown}"
        );
        // Nothing known free for L4: the region whose usage is unknown, said so.
        assert!(
            shown.contains("L4     us-west1 · ? free of 4 GPUs (usage unknown)"),
            "{shown}"
        );
        assert!(shown.contains("A100   us-central1 · 2 free of 2 GPUs (refresh failed)"));
        assert!(shown.contains("H200   —  none free"), "{shown}");
        // C3: the most free vCPUs is us-east1 (88 of 88), not us-central1 (76 of 176).
        assert!(
            shown.contains("C3     us-east1 · 88 free of 88 vCPUs → c3-standard-88"),
            "{shown}"
        );
        assert!(shown.contains("warm: 38/38 checks"), "{shown}");
        assert!(shown.contains("next re-warm in "), "{shown}");
        // The sparkline: 20 batches, drawn with block characters, the title saying so.
        assert!(shown.contains("last 20 batch times, ms"), "{shown}");
        let bars = shown.chars().filter(|c| ('▁'..='█').contains(c)).count();
        assert!(bars >= 20, "{bars} bar cells:\n{shown}");
        // No line runs into the border: every answer line ends inside its box.
        for line in shown.lines().filter(|l| l.starts_with("│ ")) {
            assert!(line.ends_with('│'), "cut: {line:?}");
        }
    }
    let small = text(&draw(&app, 80, 24));
    assert!(small.contains("1 Home") && small.contains("5 Logs     live tail"));
    let big = text(&draw(&app, 120, 40));
    assert!(big.contains("Needs attention (3)"), "{big}");
    assert!(big.contains("usage: permission denied"), "{big}");
}

#[tokio::test(start_paused = true)]
async fn cache_shows_limit_in_use_and_free_per_check() {
    let logs = tempfile::tempdir().unwrap();
    let mut app = dashboard_app(logs.path()).await;
    app.handle_event(ch('4'));
    let shown = text(&draw(&app, 120, 40));
    insta::assert_snapshot!("cache_warm_usage_120x40", shown);
    let rows = table_rows(&shown);
    let cols = |row: &str| -> Vec<String> {
        row.trim_matches(|c| c == '│' || c == '█' || c == '║')
            .split("  ")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        cols(&rows[0])[..4],
        ["T4 us-central1", "16", "4", "12"],
        "check, limit, in use, free"
    );
    assert_eq!(cols(&rows[1])[..4], ["T4 us-east1", "8", "8", "0"]);
    let l4_west = rows.iter().find(|r| r.contains("L4 us-west1")).unwrap();
    assert_eq!(cols(l4_west)[1..3], ["4", "?"], "usage unknown: ?");
    assert!(l4_west.contains("usage: permission denied"), "{l4_west}");
    // L4 us-west1, and C3 southamerica-east1 (its value is the warmer's, whose usage reads
    // all failed).
    assert!(
        shown.contains("usage failed 2"),
        "the usage errors counted: {shown}"
    );
    // The statistics are the warmer's: 4 cycles of 5 batches.
    assert!(shown.contains("batches 20"), "{shown}");
    assert!(shown.contains("cycles 4/4 complete"), "{shown}");
    // At 80×24 the statistics line is whole (wrapped, never cut).
    let small = text(&draw(&app, 80, 24));
    assert!(small.contains("re-warm every 24m"), "{small}");
}

#[tokio::test(start_paused = true)]
async fn cache_filter_narrows_to_h100_highlights_and_esc_clears() {
    let logs = tempfile::tempdir().unwrap();
    let mut app = dashboard_app(logs.path()).await;
    app.handle_event(ch('4'));
    app.handle_event(ch('/'));
    typed(&mut app, "h100");
    assert_eq!(
        app.current_title(),
        "Cache",
        "digits typed, no screen switch"
    );
    let buf = draw(&app, 80, 24);
    let shown = text(&buf);
    insta::assert_snapshot!("cache_filter_h100_80x24", shown);
    let rows = table_rows(&shown);
    assert_eq!(rows.len(), 4, "{shown}");
    assert!(rows.iter().all(|r| r.contains("H100 ")), "{rows:#?}");
    assert!(shown.contains("/h100 (4 of 38)"), "{shown}");
    assert!(!shown.contains("T4 us-central1"), "{shown}");
    // The match is highlighted in the theme's match style.
    let (x, y) = find(&buf, "H100 us-central1").unwrap();
    let matched = Theme::colored().matched;
    assert_eq!(
        buf[(x, y)].style().add_modifier,
        matched.add_modifier.union(buf[(x, y)].style().add_modifier)
    );
    assert_ne!(
        buf[(x, y)].style(),
        buf[(x + 5, y)].style(),
        "H100 apart from the region"
    );
    // Enter keeps it; Esc clears it; a digit then switches screens again.
    app.handle_event(key(crossterm::event::KeyCode::Enter));
    assert_eq!(table_rows(&text(&draw(&app, 80, 24))).len(), 4);
    app.handle_event(key(crossterm::event::KeyCode::Esc));
    let cleared = text(&draw(&app, 80, 24));
    assert!(cleared.contains("T4 us-central1"), "{cleared}");
    assert_eq!(app.current_title(), "Cache");
    app.handle_event(ch('1'));
    assert_eq!(app.current_title(), "Home");
}

#[tokio::test(start_paused = true)]
async fn cache_s_sorts_by_latency_and_y_copies_the_selected_checks_link() {
    let logs = tempfile::tempdir().unwrap();
    let mut app = dashboard_app(logs.path()).await;
    app.handle_event(ch('4'));
    let mut titles = Vec::new();
    for _ in 0..4 {
        app.handle_event(ch('s'));
        let s = text(&draw(&app, 80, 24));
        let title = s
            .lines()
            .find(|l| l.starts_with("┌ Checks"))
            .unwrap()
            .to_string();
        titles.push(title);
    }
    assert!(titles[0].contains("· by value"), "{titles:#?}");
    assert!(titles[1].contains("· by free"), "{titles:#?}");
    assert!(titles[2].contains("· by age"), "{titles:#?}");
    assert!(titles[3].contains("· by latency"), "{titles:#?}");
    let shown = text(&draw(&app, 80, 24));
    insta::assert_snapshot!("cache_sorted_latency_80x24", shown);
    let latencies: Vec<u64> = table_rows(&shown)
        .iter()
        .filter_map(|r| {
            r.split_whitespace()
                .find_map(|w| w.strip_suffix("ms").and_then(|n| n.parse().ok()))
        })
        .collect();
    assert!(latencies.len() >= 10, "{shown}");
    assert!(
        latencies.windows(2).all(|w| w[0] >= w[1]),
        "slowest first: {latencies:?}"
    );
    assert_eq!(latencies[0], 2710, "the failed A100 refresh took 2710 ms");
    // The selected row is the first; y copies its console quota link (OSC 52).
    app.handle_event(ch('y'));
    let out = String::from_utf8(app.take_terminal_output()).unwrap();
    let a100 = Check::gpu(GpuType::A100, Capacity::Spot, "us-central1");
    let project = "quota-tui-demo";
    assert_eq!(
        out,
        osc52(&quota_increase_url(project, a100.metric)),
        "the A100 quota page, in OSC 52"
    );
    assert!(
        text(&draw(&app, 80, 24)).contains("Copied the quota-increase link"),
        "a toast says so"
    );
    // j moves the selection: the next y copies the next row's check.
    app.handle_event(ch('j'));
    app.handle_event(ch('y'));
    let out = String::from_utf8(app.take_terminal_output()).unwrap();
    assert!(out.starts_with("\x1b]52;c;"), "{out:?}");
    assert_ne!(out, osc52(&quota_increase_url(project, a100.metric)));
    // s wraps back to the catalog order after error.
    app.handle_event(ch('s'));
    app.handle_event(ch('s'));
    let s = text(&draw(&app, 80, 24));
    assert!(!s.contains("· by "), "{s}");
}

#[tokio::test(start_paused = true)]
async fn cache_enter_opens_the_detail_of_the_selected_check_with_its_whole_error() {
    let logs = tempfile::tempdir().unwrap();
    let mut app = dashboard_app(logs.path()).await;
    app.handle_event(ch('4'));
    // Sorted by error: the failed checks first; the second is C3 southamerica-east1.
    for _ in 0..5 {
        app.handle_event(ch('s'));
    }
    let s = text(&draw(&app, 80, 24));
    assert!(s.contains("· by error"), "{s}");
    app.handle_event(ch('j'));
    app.handle_event(key(crossterm::event::KeyCode::Enter));
    let shown = text(&draw(&app, 80, 24));
    insta::assert_snapshot!("cache_detail_80x24", redact_times(&shown));
    assert!(shown.contains("southamerica-east1"), "{shown}");
    // The whole error, which the table's column cuts at 80 columns.
    assert!(
        shown.contains("Permission denied on resource project"),
        "{shown}"
    );
    assert!(
        shown.contains("iam-admin/quotas"),
        "the console link: {shown}"
    );
    // Esc closes the popup (not the screen); leaving the screen closes it too.
    app.handle_event(key(crossterm::event::KeyCode::Esc));
    let closed = text(&draw(&app, 80, 24));
    assert!(
        !closed.contains("iam-admin/quotas"),
        "Esc closes it: {closed}"
    );
    assert_eq!(app.current_title(), "Cache", "Esc closed the popup only");
    app.handle_event(key(crossterm::event::KeyCode::Enter));
    app.handle_event(ch('1'));
    app.handle_event(ch('4'));
    let back = text(&draw(&app, 80, 24));
    assert!(
        !back.contains("iam-admin/quotas"),
        "closed on leave: {back}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_click_on_a_cache_row_selects_it() {
    let logs = tempfile::tempdir().unwrap();
    let mut app = dashboard_app(logs.path()).await;
    app.handle_event(ch('4'));
    let buf = draw(&app, 80, 24);
    let (x, y) = find(&buf, "L4 us-west1").expect("the row on screen");
    app.handle_event(Event::Crossterm(crossterm::event::Event::Mouse(
        crossterm::event::MouseEvent {
            kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
            column: x + 3,
            row: y,
            modifiers: crossterm::event::KeyModifiers::NONE,
        },
    )));
    app.handle_event(key(crossterm::event::KeyCode::Enter));
    let shown = text(&draw(&app, 80, 24));
    assert!(shown.contains("L4 us-west1 · quota detail"), "{shown}");
    // The usage error in full in the popup (the table cuts it), at 120×40 without scrolling.
    let big = text(&draw(&app, 120, 40));
    assert!(big.contains("(needs Monitoring Viewer)"), "{big}");
}
