//! Quitting while a CustomJob submission is in flight (issue 11): `q` and Ctrl-C ask first,
//! `n` keeps the app running, `y` quits and leaves the console link for stderr; a signal
//! (`Event::Quit`) quits at once and leaves the link too; without a submission `q` quits at
//! once. Driven through the app's one event handler.

mod tui_support;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use quota_tui::catalog::{Capacity, GpuType, Limit};
use quota_tui::gcp::auth::TokenSource;
use quota_tui::gcp::vertex::{VertexClient, console_jobs_url};
use quota_tui::gcp::{ApiError, ErrorKind};
use quota_tui::launch::{FreshCheck, RegionResult, Submission, SubmitFailure};
use quota_tui::store::DEFAULT_TTL;
use quota_tui::tui::app::{Action, App};
use quota_tui::tui::event::Event;
use quota_tui::tui::screens::launch::{LaunchClients, LaunchEvent};
use quota_tui::tui::theme::Theme;
use tui_support::*;

fn ctrl_c() -> Event {
    Event::Crossterm(TermEvent::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )))
}

fn screen(app: &App) -> String {
    text(&draw(app, 80, 24))
}

/// The app on the Launch screen with a T4 × 1 submission to us-central1 in flight (its
/// answer never delivered: the queue's receiver is dropped).
fn submitting(logs: &std::path::Path) -> App {
    let (handle, cache) = warmer(DEFAULT_TTL);
    fill_warm(&cache);
    let clients = LaunchClients {
        vertex: Some(Arc::new(
            VertexClient::new(Some("http://127.0.0.1:9"), TokenSource::demo()).unwrap(),
        )),
        ..unused_launch_clients()
    };
    let (mut app, rx) = app_with_queue(handle, Theme::colored(), logs, clients);
    drop(rx);
    app.handle_event(ch('3'));
    for _ in 0..3 {
        app.handle_event(ch('j')); // GPU type → count → capacity → image
    }
    app.handle_event(key(KeyCode::Enter));
    for c in "gcr.io/acme/train:1".chars() {
        app.handle_event(ch(c));
    }
    app.handle_event(key(KeyCode::Esc));
    app.handle_event(launch_done(LaunchEvent::Checked(FreshCheck {
        gpu: GpuType::T4,
        capacity: Capacity::Spot,
        results: vec![RegionResult {
            region: "us-central1".into(),
            result: Ok(Limit::Finite(8)),
            usage: None,
            latency: Duration::from_millis(400),
        }],
        elapsed: Duration::from_millis(400),
        wrote_cache: true,
    })));
    app.handle_event(ch('s'));
    app.handle_event(ch('y'));
    let s = screen(&app);
    assert!(s.contains("Submitting"), "a submission in flight:\n{s}");
    app
}

#[tokio::test(start_paused = true)]
async fn q_during_a_submission_asks_n_stays_y_quits_with_the_console_link() {
    let logs = tempfile::tempdir().unwrap();
    let mut app = submitting(logs.path());

    assert_eq!(
        app.handle_event(ch('q')),
        Action::Redraw,
        "asks, does not quit"
    );
    assert!(app.quit_confirm_open());
    let s = screen(&app);
    assert!(s.contains("A submission is in flight"), "{s}");
    assert!(s.contains("the job may be created anyway"), "{s}");
    assert!(s.contains("y/Ctrl-C quit anyway"), "footer: {s}");
    assert_eq!(app.handle_event(ch('2')), Action::None, "other keys wait");
    assert_eq!(app.current_title(), "Launch");

    assert_eq!(app.handle_event(ch('n')), Action::Redraw);
    assert!(!app.quit_confirm_open());
    assert!(!screen(&app).contains("A submission is in flight"));
    assert_eq!(app.exit_notice(), None);

    assert_eq!(
        app.handle_event(ctrl_c()),
        Action::Redraw,
        "Ctrl-C asks too"
    );
    assert!(app.quit_confirm_open());
    assert_eq!(app.handle_event(key(KeyCode::Esc)), Action::Redraw);
    assert_eq!(app.handle_event(ctrl_c()), Action::Redraw);
    assert_eq!(app.handle_event(ch('y')), Action::Quit);
    let notice = app.exit_notice().expect("a notice for stderr");
    assert!(notice.contains("may have been created anyway"), "{notice}");
    assert!(
        notice.contains(&console_jobs_url("quota-tui-demo")),
        "{notice}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_second_ctrl_c_quits_and_a_signal_quits_at_once() {
    let logs = tempfile::tempdir().unwrap();
    let mut app = submitting(logs.path());
    assert_eq!(app.handle_event(ctrl_c()), Action::Redraw);
    assert_eq!(app.handle_event(ctrl_c()), Action::Quit);
    assert!(app.exit_notice().is_some());

    let mut app = submitting(logs.path());
    assert_eq!(
        app.handle_event(Event::Quit),
        Action::Quit,
        "SIGTERM does not ask"
    );
    assert!(
        app.exit_notice()
            .is_some_and(|n| n.contains(&console_jobs_url("quota-tui-demo")))
    );
}

#[tokio::test(start_paused = true)]
async fn the_answer_closes_the_question_and_without_a_submission_q_quits() {
    let logs = tempfile::tempdir().unwrap();
    let mut app = submitting(logs.path());
    app.handle_event(ch('q'));
    assert!(app.quit_confirm_open());
    app.handle_event(launch_done(LaunchEvent::Submitted(Box::new(Submission {
        refusals: vec![],
        outcome: Err(SubmitFailure::Failed {
            region: "us-central1".into(),
            error: ApiError::new(ErrorKind::Unavailable, "connection refused"),
        }),
    }))));
    assert!(!app.quit_confirm_open(), "nothing in doubt any more");
    assert!(screen(&app).contains("press q again to quit"));
    assert_eq!(app.handle_event(ch('q')), Action::Quit);
    assert_eq!(app.exit_notice(), None, "no submission in flight");

    let (handle, _) = warmer(DEFAULT_TTL);
    let mut idle = tui_support::app(handle, Theme::colored(), logs.path());
    assert_eq!(idle.handle_event(ch('q')), Action::Quit);
    assert_eq!(idle.exit_notice(), None);
}
