//! The app driven through the same handler the UI loop uses: keys and warmer events in,
//! screens, status widget, toasts, counted cache reads and the live log tail out; plus the
//! loop itself on a `TestBackend`, and the real warmer feeding the app under a paused clock.

mod tui_support;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind,
};
use quota_tui::catalog::{Capacity, Catalog, Check, GpuType, Limit, MetricRequest};
use quota_tui::gcp::{ApiError, ErrorKind, QuotaSource};
use quota_tui::store::{CacheCounters, DEFAULT_TTL, MemoryStore, QuotaStore, TokioClock};
use quota_tui::tui::app::Action;
use quota_tui::tui::event::Event;
use quota_tui::tui::theme::Theme;
use quota_tui::tui::toast::TOAST_TTL;
use quota_tui::warmer::{Warmer, WarmerConfig, WarmerEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio_util::sync::CancellationToken;
use tui_support::*;

fn screen_text(app: &quota_tui::tui::app::App) -> String {
    text(&draw(app, 80, 24))
}

/// The cells of the Infra GPU table's `gpu` row (`free/limit`, `?/16` while the usage is
/// unknown), whatever the column widths.
fn gpu_row<'a>(screen: &'a str, gpu: &str) -> Vec<&'a str> {
    let line = screen
        .lines()
        .find(|l| l.starts_with(&format!("│{gpu} ")))
        .unwrap_or_else(|| panic!("no {gpu} row in\n{screen}"));
    line.trim_matches('│').split_whitespace().skip(1).collect()
}

#[tokio::test(start_paused = true)]
async fn keys_switch_screens_and_status_counts() {
    let logs = tempfile::tempdir().unwrap();
    let (handle, _cache) = warmer(DEFAULT_TTL);
    let mut app = app(handle, Theme::colored(), logs.path());
    assert_eq!(app.current_title(), "Home");
    assert!(screen_text(&app).contains("Where you can run now"));

    assert_eq!(app.handle_event(ch('2')), Action::Redraw);
    assert_eq!(app.current_title(), "Infra");
    let s = screen_text(&app);
    assert!(s.contains("GPU quota (spot"), "{s}");
    assert!(s.contains("C3 private pools"), "{s}");

    app.handle_event(cycle_started());
    app.handle_event(landed(
        Check::gpu(GpuType::T4, Capacity::Spot, "us-central1"),
        Limit::Finite(16),
        1,
    ));
    app.handle_event(landed(Check::c3("us-central1"), Limit::Finite(176), 2));
    assert!(screen_text(&app).contains("🔥 Warming... 2/38"));
    assert_eq!(app.status_text(), "🔥 Warming... 2/38");

    app.handle_event(cycle_complete());
    let s = screen_text(&app);
    assert!(s.contains("✅ Cache HOT! 38/38"), "{s}");
    assert!(
        s.contains("Cache warm: 38/38 checks in 41.2s (1 failed)"),
        "{s}"
    );

    app.handle_event(ch('4'));
    assert!(screen_text(&app).contains("Warmer statistics"));
    app.handle_event(key(KeyCode::Esc));
    assert_eq!(app.current_title(), "Infra", "Esc goes back");
    app.handle_event(key(KeyCode::Esc));
    assert_eq!(app.current_title(), "Home");
    assert_eq!(app.handle_event(key(KeyCode::Esc)), Action::None);
    app.handle_event(key(KeyCode::Tab));
    assert_eq!(app.current_title(), "Infra");
    app.handle_event(key(KeyCode::BackTab));
    app.handle_event(key(KeyCode::BackTab));
    assert_eq!(app.current_title(), "Logs", "Shift-Tab wraps");
    app.handle_event(ch('3'));
    assert!(screen_text(&app).contains("Launch a Vertex AI training job"));
    assert_eq!(app.handle_event(ch('9')), Action::None, "no screen 9");

    app.handle_event(ch('?'));
    assert!(app.help_open());
    let s = screen_text(&app);
    assert!(
        s.contains("Help") && s.contains("Ctrl-C") && s.contains("quit"),
        "{s}"
    );
    app.handle_event(ch('2'));
    assert_eq!(
        app.current_title(),
        "Launch",
        "keys do not leak through the popup"
    );
    app.handle_event(key(KeyCode::Esc));
    assert!(!app.help_open());
    assert_eq!(app.current_title(), "Launch", "Esc closed only the popup");

    assert_eq!(app.handle_event(ch('q')), Action::Quit);
    let ctrl_c = Event::Crossterm(TermEvent::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert_eq!(app.handle_event(ctrl_c), Action::Quit);
    assert_eq!(app.handle_event(Event::Quit), Action::Quit);
}

#[tokio::test(start_paused = true)]
async fn screens_count_reads_on_open_and_r_only() {
    let logs = tempfile::tempdir().unwrap();
    let (handle, cache) = warmer(DEFAULT_TTL);
    fill_warm(&cache);
    let mut app = app(handle, Theme::colored(), logs.path());
    // Home opened at start: one counted load of its summaries. 37 good values; C3
    // southamerica-east1 has only a failure: a miss.
    assert_eq!(
        cache.counters(),
        CacheCounters {
            hits: 37,
            misses: 1
        }
    );

    app.handle_event(ch('2'));
    assert_eq!(
        cache.counters(),
        CacheCounters {
            hits: 74,
            misses: 2
        }
    );

    // Live updates and ticks redraw from uncounted peeks.
    cache.record(
        &Check::gpu(GpuType::H200, Capacity::Spot, "us-east1"),
        Ok(Limit::Finite(7)),
        Duration::ZERO,
    );
    app.handle_event(landed(
        Check::gpu(GpuType::H200, Capacity::Spot, "us-east1"),
        Limit::Finite(7),
        3,
    ));
    app.handle_event(Event::Tick);
    let s = screen_text(&app);
    assert_eq!(
        gpu_row(&s, "H200"),
        ["0/0", "?/7", "0/0", "0/0"],
        "cell filled live"
    );
    assert_eq!(
        cache.counters(),
        CacheCounters {
            hits: 74,
            misses: 2
        }
    );

    // `r`: a counted read and "warm now" (the unstarted warmer's cycle is idle → started).
    app.handle_event(ch('r'));
    assert_eq!(
        cache.counters(),
        CacheCounters {
            hits: 111,
            misses: 3
        }
    );
    assert!(screen_text(&app).contains("Warming now: new cycle, 0/38"));
    app.handle_event(ch('r'));
    assert!(screen_text(&app).contains("Already warming (0/38)"));
    assert_eq!(
        app.toasts().len(),
        1,
        "the progress toast is replaced, not stacked"
    );
    assert_eq!(
        cache.counters(),
        CacheCounters {
            hits: 148,
            misses: 4
        }
    );

    // Switching away and back: two more openings (Home, then Infra).
    app.handle_event(ch('1'));
    app.handle_event(ch('2'));
    assert_eq!(cache.counters().hits, 222);
}

#[tokio::test(start_paused = true)]
async fn cold_cache_shows_the_partial_table_at_once() {
    let logs = tempfile::tempdir().unwrap();
    let (handle, cache) = warmer(DEFAULT_TTL);
    fill_cold(&cache);
    let mut app = app(handle, Theme::colored(), logs.path());
    app.handle_event(ch('2'));
    let s = screen_text(&app);
    assert_eq!(gpu_row(&s, "T4"), ["?/16", "…", "…", "…"]);
    assert!(s.contains("us-east1                !"), "{s}");
    assert!(s.contains("3/38 checked"), "{s}");
}

#[tokio::test(start_paused = true)]
async fn toasts_expire_after_six_seconds_and_failures_make_one_toast() {
    let logs = tempfile::tempdir().unwrap();
    let (handle, _cache) = warmer(DEFAULT_TTL);
    let mut app = app(handle, Theme::colored(), logs.path());
    app.handle_event(cycle_complete());
    let deadlines = app.take_toast_deadlines();
    assert_eq!(deadlines.len(), 1);
    assert!(screen_text(&app).contains("Cache warm"));
    tokio::time::advance(TOAST_TTL - Duration::from_millis(1)).await;
    assert_eq!(
        app.handle_event(Event::ToastExpiry(deadlines[0])),
        Action::None
    );
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(
        app.handle_event(Event::ToastExpiry(deadlines[0])),
        Action::Redraw
    );
    assert!(!screen_text(&app).contains("Cache warm"));

    // A batch with two failed checks: one toast naming both.
    let failure = |check: Check| {
        outcome(
            &check,
            Err(ApiError::new(ErrorKind::Unavailable, "503")),
            700,
        )
    };
    app.handle_event(batch_done(
        4,
        700,
        vec![
            failure(Check::gpu(GpuType::L4, Capacity::Spot, "us-east1")),
            failure(Check::c3("us-east5")),
        ],
    ));
    assert_eq!(app.take_toast_deadlines().len(), 1, "one toast per batch");
    assert_eq!(app.toasts().len(), 1);
    assert_eq!(
        app.toasts().iter().next().map(|t| t.text.as_str()),
        Some("💥 2 checks failed: L4 us-east1 (unavailable), C3 us-east5 (unavailable)")
    );
    let s = text(&draw(&app, 80, 24));
    let rows: Vec<&str> = s.lines().collect();
    assert_eq!(
        rows[22], "▌ 💥 2 checks failed: L4 us-east1 (unavailable), C3 us-east5 (unavailable)",
        "in the slot just above the footer:\n{s}"
    );
    assert!(
        s.contains("💥 ERROR"),
        "every check of the last batch failed:\n{s}"
    );
}

#[tokio::test(start_paused = true)]
async fn cache_screen_scrolls_by_keys_and_wheel() {
    let logs = tempfile::tempdir().unwrap();
    let (handle, cache) = warmer(DEFAULT_TTL);
    fill_warm(&cache);
    let mut app = app(handle, Theme::colored(), logs.path());
    app.handle_event(ch('4'));
    assert!(screen_text(&app).contains("Checks (1–11 of 38)"));
    // j moves the selected row; the window follows once it passes the last row shown.
    for _ in 0..10 {
        app.handle_event(ch('j'));
    }
    assert!(screen_text(&app).contains("Checks (1–11 of 38)"));
    app.handle_event(ch('j'));
    assert!(screen_text(&app).contains("Checks (2–12 of 38)"));
    app.handle_event(ch('G'));
    let s = screen_text(&app);
    assert!(
        s.contains("Checks (28–38 of 38)") && s.contains("C3 southamerica-east1"),
        "{s}"
    );
    app.handle_event(ch('g'));
    let wheel = |kind| {
        Event::Crossterm(TermEvent::Mouse(MouseEvent {
            kind,
            column: 10,
            row: 10,
            modifiers: KeyModifiers::NONE,
        }))
    };
    assert!(screen_text(&app).contains("Checks (1–11 of 38)"));
    // The wheel moves the selection 3 rows: 4 turns select row 13 of 38.
    for _ in 0..4 {
        app.handle_event(wheel(MouseEventKind::ScrollDown));
    }
    let s = screen_text(&app);
    assert!(s.contains("Checks (3–13 of 38)"), "{s}");
    app.handle_event(wheel(MouseEventKind::ScrollUp));
    assert!(
        screen_text(&app).contains("Checks (3–13 of 38)"),
        "row 10 is in view: the window stays"
    );
    app.handle_event(ch('g'));
    assert!(screen_text(&app).contains("Checks (1–11 of 38)"));
    app.handle_event(key(KeyCode::PageDown));
    assert!(
        screen_text(&app).contains("Checks (2–12 of 38)"),
        "a page: row 12"
    );
}

#[tokio::test(start_paused = true)]
async fn logs_screen_tails_new_lines() {
    let logs = tempfile::tempdir().unwrap();
    let path = logs.path().join("cache_warm.log");
    std::fs::write(
        &path,
        "# Cache warming log - Session started 2026-11-21T02:45:22\n",
    )
    .unwrap();
    let (handle, _cache) = warmer(DEFAULT_TTL);
    let mut app = app(handle, Theme::colored(), logs.path());
    app.handle_event(ch('5'));
    assert!(screen_text(&app).contains("# Cache warming log"));
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    for i in 1..=40 {
        writeln!(f, "2026-11-21T02:45:{i:02} 🔥 BATCH_WARM: batch {i}").unwrap();
    }
    assert_eq!(app.handle_event(Event::Tick), Action::Redraw);
    let s = screen_text(&app);
    assert!(s.contains("batch 40"), "follows the end:\n{s}");
    assert!(
        !s.contains("# Cache warming log"),
        "scrolled past the header"
    );
    app.handle_event(ch('g'));
    assert!(screen_text(&app).contains("# Cache warming log"));
    assert!(screen_text(&app).contains("G to follow"));
}

#[tokio::test(start_paused = true)]
async fn the_loop_drains_events_draws_and_quits() {
    let logs = tempfile::tempdir().unwrap();
    let (handle, _cache) = warmer(DEFAULT_TTL);
    let mut app = app(handle, Theme::colored(), logs.path());
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let feed = {
        let tx = tx.clone();
        async move {
            tx.send(ch('2')).await.unwrap();
            tx.send(cycle_started()).await.unwrap();
            tx.send(landed(Check::c3("us-east1"), Limit::Finite(88), 1))
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
            tx.send(ch('q')).await.unwrap();
        }
    };
    let (result, ()) = tokio::join!(
        quota_tui::tui::ui_loop(&mut terminal, &mut app, &mut rx, &tx),
        feed
    );
    result.unwrap();
    let s = text(terminal.backend().buffer());
    assert!(s.contains("GPU quota"), "drew the Infra screen:\n{s}");
    assert!(s.contains("🔥 Warming... 1/38"), "{s}");
}

/// A quota source answering every check after a fixed latency (tokio clock).
struct FixedSource;

#[async_trait]
impl QuotaSource for FixedSource {
    async fn fetch_metric(
        &self,
        request: &MetricRequest,
    ) -> Result<Vec<Result<Limit, ApiError>>, ApiError> {
        let ms = if request.metric.gpu_type().is_some() {
            900
        } else {
            400
        };
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(request
            .regions
            .iter()
            .map(|r| Ok(Limit::Finite(if r == "us-central1" { 8 } else { 0 })))
            .collect())
    }
}

#[tokio::test(start_paused = true)]
async fn the_real_warmer_warms_the_app() {
    let logs = tempfile::tempdir().unwrap();
    let cache = Arc::new(MemoryStore::with_clock(
        DEFAULT_TTL,
        Arc::new(TokioClock::new()),
    ));
    let catalog = Catalog::default();
    let warmer = Warmer::new(
        WarmerConfig::default(),
        &catalog,
        Arc::new(FixedSource),
        cache.clone(),
    );
    let mut rx = warmer.subscribe();
    let mut app = app(warmer.handle(), Theme::colored(), logs.path());
    app.handle_event(ch('2'));
    let cancel = CancellationToken::new();
    let (_handle, task) = warmer.start(cancel.clone());
    let mut landed = 0;
    loop {
        let ev = rx.recv().await.unwrap();
        let done = matches!(ev, WarmerEvent::CycleComplete { .. });
        if matches!(ev, WarmerEvent::MetricLanded { .. }) {
            landed += 1;
            if landed == 2 {
                // The C3 metric (400 ms) landed first: its 18 regions at once.
                assert_eq!(app.status_text(), "🔥 Warming... 18/38");
            }
        }
        app.handle_event(Event::Warmer(ev));
        if done {
            break;
        }
    }
    assert_eq!(landed, 6, "one landing per metric");
    let s = screen_text(&app);
    assert!(s.contains("✅ Cache HOT! 38/38"), "{s}");
    assert_eq!(
        &gpu_row(&s, "T4")[..2],
        ["?/8", "0/0"],
        "no usage read: ?/8"
    );
    app.handle_event(ch('4'));
    let s = screen_text(&app);
    assert!(s.contains("batches 5"), "{s}");
    assert!(s.contains("max 900"), "{s}");
    assert!(s.contains("next re-warm in 23m"), "{s}");
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn opening_infra_writes_a_quota_timing_entry() {
    let (collected, _guard) = capture_tracing();

    let logs = tempfile::tempdir().unwrap();
    let (handle, cache) = warmer(DEFAULT_TTL);
    fill_warm(&cache);
    let mut app = app(handle, Theme::colored(), logs.path());
    app.handle_event(ch('4'));
    app.handle_event(Event::Tick);
    let written = collected.text();
    assert!(
        !written.contains("QUOTA_TIMING"),
        "only the Infra screen logs timing"
    );

    app.handle_event(ch('2'));
    let written = collected.text();
    assert_eq!(written.matches("⏱️ QUOTA_TIMING:").count(), 1, "{written}");
    assert!(
        written.contains("infra_timing"),
        "on the timing log's target: {written}"
    );
    // GPU: 20 good values, A100 us-central1's last fetch failed; 8 above zero.
    assert!(
        written.contains("(CACHE HIT) checks=20 hits=20 misses=0 fails=1 found=8"),
        "{written}"
    );
    // C3: southamerica-east1 has no good value (a miss); 15 above zero.
    assert!(
        written.contains("(PARTIAL) checks=18 hits=17 misses=1 fails=1 found=15"),
        "{written}"
    );
    app.handle_event(Event::Tick);
    app.handle_event(ch('r'));
    let written = collected.text();
    assert_eq!(
        written.matches("⏱️ QUOTA_TIMING:").count(),
        2,
        "`r` logs again, ticks do not"
    );
}
