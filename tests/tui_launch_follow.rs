//! The Launch screen after a submission (issue 13 items 3–5, issue 14's "copy a job's URL
//! without leaving the keyboard"): the job is followed with `customJobs.get` every 10 s
//! (tokio's paused clock) until it runs, each state with its time, then the asks stop; a
//! FAILED job shows Google's error (sanitised); leaving the screen stops the follow; `y`
//! queues the OSC 52 sequence of the job's console link, `i` the quota-increase link; the
//! ranking says `2 free, need 4` and how to ask for more.

mod tui_support;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::KeyCode;
use quota_tui::catalog::{Capacity, GpuType, Limit, QuotaMetric};
use quota_tui::fake_gcp::{DEMO_PROJECT, FakeGcp, FakeGcpConfig};
use quota_tui::gcp::auth::TokenSource;
use quota_tui::gcp::console::quota_increase_url;
use quota_tui::gcp::serviceusage::ServiceUsageClient;
use quota_tui::gcp::vertex::{CustomJob, JobStatus, VertexClient, console_url};
use quota_tui::gcp::{ApiError, ErrorKind};
use quota_tui::launch::{Created, FreshCheck, LaunchPlan, RegionResult, Submission};
use quota_tui::store::DEFAULT_TTL;
use quota_tui::tui::app::App;
use quota_tui::tui::event::Event;
use quota_tui::tui::screens::launch::{LaunchClients, LaunchEvent};
use quota_tui::tui::theme::Theme;
use tokio::sync::mpsc;
use tui_support::*;

/// `text` with every ` HH:MM:SS` (the local times a job's states were seen) written
/// ` hh:mm:ss`, so a snapshot does not depend on when it runs.
fn clock_free(text: &str) -> String {
    let mut out: Vec<char> = text.chars().collect();
    let digit = |c: char| c.is_ascii_digit();
    let mut i = 1;
    while i + 8 <= out.len() {
        let w = &out[i..i + 8];
        let clock = digit(w[0])
            && digit(w[1])
            && w[2] == ':'
            && digit(w[3])
            && digit(w[4])
            && w[5] == ':'
            && digit(w[6])
            && digit(w[7]);
        if clock && out[i - 1] == ' ' {
            out.splice(i..i + 8, "hh:mm:ss".chars());
            i += 8;
        } else {
            i += 1;
        }
    }
    out.into_iter().collect()
}

fn wide(app: &App) -> String {
    text(&draw(app, 160, 40))
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        app.handle_event(ch(c));
    }
}

/// The next event of the queue within `within` (tokio clock), if any.
async fn next_event(rx: &mut mpsc::Receiver<Event>, within: Duration) -> Option<Event> {
    tokio::time::timeout(within, rx.recv()).await.ok().flatten()
}

/// The app on the Launch screen with `clients`, its image typed in.
fn launch_app(clients: LaunchClients) -> (App, mpsc::Receiver<Event>, tempfile::TempDir) {
    let logs = tempfile::tempdir().unwrap();
    let (handle, _cache) = warmer(DEFAULT_TTL);
    let (mut app, rx) = app_with_queue(handle, Theme::colored(), logs.path(), clients);
    app.handle_event(ch('3'));
    for _ in 0..3 {
        app.handle_event(ch('j'));
    }
    app.handle_event(key(KeyCode::Enter));
    typed(&mut app, "gcr.io/x/y:1");
    app.handle_event(key(KeyCode::Esc));
    (app, rx, logs)
}

/// What the app's terminal output holds as OSC 52 clipboard writes, decoded.
fn clipboard_writes(bytes: &[u8]) -> Vec<String> {
    let out = String::from_utf8(bytes.to_vec()).unwrap();
    out.split("\x1b]52;c;")
        .skip(1)
        .map(|s| {
            let b64 = s.split("\x1b\\").next().unwrap();
            String::from_utf8(from_base64(b64)).unwrap()
        })
        .collect()
}

/// Standard base64 (RFC 4648 §4, `=` padding) decoded; panics on anything else.
fn from_base64(b64: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    assert_eq!(b64.len() % 4, 0, "padded: {b64}");
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in b64.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Hand every event that arrives within `within` (tokio clock) to the app; how many were
/// answers of a job's follow (`customJobs.get`).
async fn polls_within(app: &mut App, rx: &mut mpsc::Receiver<Event>, within: Duration) -> usize {
    let until = tokio::time::Instant::now() + within;
    let mut polls = 0;
    while let Ok(Some(ev)) = tokio::time::timeout_at(until, rx.recv()).await {
        if let Event::Task(done) = &ev
            && matches!(
                done.payload::<LaunchEvent>(),
                Some(LaunchEvent::Polled { .. })
            )
        {
            polls += 1;
        }
        app.handle_event(ev);
    }
    polls
}

/// On the demo (the embedded fake GCP: a job goes QUEUED, then PENDING from 2 s, RUNNING
/// from 5 s, one step per answer), a launch from the screen is followed every 10 s to
/// RUNNING, each state shown with its time, and then nothing more is asked.
#[tokio::test(start_paused = true)]
async fn a_demo_launch_is_followed_to_running_then_the_asks_stop() {
    let fake = FakeGcp::start(FakeGcpConfig::quiet(), 0).await.unwrap();
    let quota =
        ServiceUsageClient::new(DEMO_PROJECT, fake.base_url(), TokenSource::demo()).unwrap();
    let vertex = VertexClient::new(Some(fake.base_url()), TokenSource::demo()).unwrap();
    let (mut app, mut rx, _logs) = launch_app(LaunchClients {
        project: DEMO_PROJECT.to_string(),
        quota: Arc::new(quota),
        vertex: Some(Arc::new(vertex)),
    });
    app.handle_event(ch('c'));
    let ev = next_event(&mut rx, Duration::from_secs(60)).await.unwrap();
    app.handle_event(ev);
    app.handle_event(ch('s'));
    app.handle_event(ch('y'));
    let submitted_at = tokio::time::Instant::now();
    let ev = next_event(&mut rx, Duration::from_secs(60)).await.unwrap();
    app.handle_event(ev);
    let s = wide(&app);
    assert!(s.contains("· JOB_STATE_QUEUED · next check in 10s"), "{s}");
    assert!(s.contains("│States   QUEUED "), "{s}");
    assert!(!s.contains("PENDING"), "{s}");

    // Each ask comes 10 s after the last answer; the screen shows every new state.
    let mut titles = Vec::new();
    while !wide(&app).contains("· JOB_STATE_RUNNING") {
        let ev = next_event(&mut rx, Duration::from_secs(60))
            .await
            .expect("the follow asks again");
        app.handle_event(ev);
        let s = wide(&app);
        let title = s.lines().find(|l| l.contains("Job submitted in")).unwrap();
        titles.push(title.to_string());
        assert!(titles.len() < 5, "RUNNING within a few asks: {titles:#?}");
    }
    let asked = submitted_at.elapsed();
    assert_eq!(
        (asked.as_secs(), titles.len()),
        (20, 2),
        "two asks 10 s apart: {titles:#?}"
    );
    assert!(titles[0].contains("· JOB_STATE_PENDING · next check in 10s"));
    assert!(titles[1].contains("· JOB_STATE_RUNNING · followed"));
    let s = wide(&app);
    let states = s.lines().find(|l| l.contains("│States")).unwrap();
    assert_eq!(
        clock_free(states.trim_end_matches(['│', ' '])),
        "│States   QUEUED hh:mm:ss → PENDING hh:mm:ss (+10s) → RUNNING hh:mm:ss (+20s)"
    );
    // The job box's head at 120 columns (the link on one row); the demo draws job IDs,
    // default names and creation times afresh each run: the ID is named `<job id>`, and the
    // rows after the states are left out.
    let name = fake.stats().custom_jobs[0].clone();
    let id = name.rsplit('/').next().unwrap();
    let screen = clock_free(&text(&draw(&app, 120, 40))).replace(id, "<job id>");
    let head: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.contains("Job submitted in"))
        .take(4)
        .collect();
    insta::assert_snapshot!("launch_followed_to_running_120x40", head.join("\n"));

    // Running: nothing more is asked, however long one waits.
    let requests = fake.stats().total_requests;
    assert!(
        next_event(&mut rx, Duration::from_secs(600))
            .await
            .is_none(),
        "no task after RUNNING"
    );
    assert_eq!(fake.stats().total_requests, requests);
    fake.shutdown().await.unwrap();
}

/// Launch clients whose Vertex AI client points at a closed port (asks fail with
/// `unavailable` and are retried, backing off).
fn closed_port_clients() -> LaunchClients {
    LaunchClients {
        vertex: Some(Arc::new(
            VertexClient::new(Some("http://127.0.0.1:9"), TokenSource::demo()).unwrap(),
        )),
        ..unused_launch_clients()
    }
}

fn plan() -> LaunchPlan {
    LaunchPlan::new(
        GpuType::T4,
        1,
        Capacity::Spot,
        "us-central1",
        "gcr.io/x/y:1",
        "t4-job",
    )
    .unwrap()
}

const JOB: &str = "projects/quota-tui-demo/locations/us-central1/customJobs/4242";

fn job(state: &str) -> CustomJob {
    CustomJob {
        name: JOB.into(),
        display_name: "t4-job".into(),
        state: state.into(),
        ..CustomJob::default()
    }
}

/// A created T4 job, QUEUED as created and as read back.
fn created() -> Submission {
    Submission {
        refusals: vec![],
        outcome: Ok(Created {
            plan: plan(),
            console_url: console_url(DEMO_PROJECT, "us-central1", "4242"),
            job: job("JOB_STATE_QUEUED"),
            read_back_error: None,
            created_state: "JOB_STATE_QUEUED".into(),
        }),
    }
}

fn polled(job: Result<CustomJob, ApiError>) -> Event {
    launch_done(LaunchEvent::Polled {
        name: JOB.into(),
        job: Box::new(job),
    })
}

/// T4 spot: us-central1 16 with 14 in use (2 free), us-east1 8 with none in use, us-west1
/// quota 0, europe-west4 4 with 1 in use (3 free).
fn t4_check() -> FreshCheck {
    let r = |region: &str, limit: i64, usage: i64| RegionResult {
        region: region.to_string(),
        result: Ok(Limit::Finite(limit)),
        usage: Some(Ok(usage)),
        latency: Duration::from_millis(300),
    };
    FreshCheck {
        gpu: GpuType::T4,
        capacity: Capacity::Spot,
        results: vec![
            r("us-central1", 16, 14),
            r("us-east1", 8, 0),
            r("us-west1", 0, 0),
            r("europe-west4", 4, 1),
        ],
        elapsed: Duration::from_millis(1200),
        wrote_cache: false,
    }
}

/// A job that FAILED shows Google's error, its control characters made harmless, and the
/// follow ends there; an answer about it after that changes nothing.
#[tokio::test(start_paused = true)]
async fn a_failed_job_shows_googles_error_and_the_follow_ends() {
    let (mut app, mut rx, _logs) = launch_app(closed_port_clients());
    app.handle_event(launch_done(LaunchEvent::Checked(t4_check())));
    app.handle_event(ch('s'));
    app.handle_event(ch('y'));
    app.handle_event(launch_done(LaunchEvent::Submitted(Box::new(created()))));
    let s = wide(&app);
    assert!(s.contains("· JOB_STATE_QUEUED · next check in 10s"), "{s}");

    tokio::time::advance(Duration::from_secs(10)).await;
    app.handle_event(polled(Ok(job("JOB_STATE_PENDING"))));
    tokio::time::advance(Duration::from_secs(10)).await;
    let failed = CustomJob {
        error: Some(JobStatus {
            code: 8,
            message: "The replica workerpool0-0 exited with a non-zero status of 1.\x1b[31m".into(),
        }),
        ..job("JOB_STATE_FAILED")
    };
    app.handle_event(polled(Ok(failed)));
    let s = wide(&app);
    assert!(s.contains("· JOB_STATE_FAILED · ended"), "{s}");
    assert!(
        s.contains(
            "│Error    The replica workerpool0-0 exited with a non-zero status of 1.\\u{1b}[31m (code 8)"
        ),
        "{s}"
    );
    insta::assert_snapshot!(
        "launch_job_failed_80x24",
        clock_free(&text(&draw(&app, 80, 24)))
    );
    let states = s.lines().find(|l| l.contains("│States")).unwrap();
    assert!(
        clock_free(states)
            .contains("QUEUED hh:mm:ss → PENDING hh:mm:ss (+10s) → FAILED hh:mm:ss (+20s)"),
        "{states}"
    );
    // The follow ended: a late answer is dropped, and no task is waiting.
    app.handle_event(polled(Ok(job("JOB_STATE_RUNNING"))));
    assert!(wide(&app).contains("· JOB_STATE_FAILED · ended"));
    assert!(app.toasts().is_empty(), "nothing toasted");
    // No ask is in flight or to come (the real submission's own answer, to a closed port,
    // may still arrive: it is only toasted).
    assert_eq!(
        polls_within(&mut app, &mut rx, Duration::from_secs(600)).await,
        0
    );
    assert!(wide(&app).contains("· JOB_STATE_FAILED · ended"));
}

/// A failed ask is shown with when the next one goes (the interval doubled); leaving the
/// screen stops the follow: the ask in flight is aborted and nothing more is asked.
#[tokio::test(start_paused = true)]
async fn a_failed_ask_backs_off_and_leaving_the_screen_stops_the_follow() {
    let (mut app, mut rx, _logs) = launch_app(closed_port_clients());
    app.handle_event(launch_done(LaunchEvent::Checked(t4_check())));
    app.handle_event(ch('s'));
    app.handle_event(ch('y'));
    app.handle_event(launch_done(LaunchEvent::Submitted(Box::new(created()))));
    app.handle_event(polled(Err(ApiError::new(
        ErrorKind::Unavailable,
        "The service is currently unavailable.",
    ))));
    let s = wide(&app);
    assert!(
        s.contains("│Note     could not read the job: ") && s.contains("next try in 20s"),
        "{s}"
    );
    assert!(s.contains("· next check in 20s"), "{s}");
    app.handle_event(polled(Ok(job("JOB_STATE_PENDING"))));
    let s = wide(&app);
    assert!(
        !s.contains("could not read the job"),
        "an answer clears it: {s}"
    );
    assert!(s.contains("· next check in 10s"), "the interval again: {s}");

    app.handle_event(ch('1'));
    app.handle_event(ch('3'));
    let s = wide(&app);
    assert!(
        s.contains("· stopped when you left · f follows again"),
        "{s}"
    );
    assert_eq!(
        polls_within(&mut app, &mut rx, Duration::from_secs(600)).await,
        0,
        "the ask in flight was aborted, and none follows"
    );
    // An answer that was already on its way is dropped.
    app.handle_event(polled(Ok(job("JOB_STATE_RUNNING"))));
    assert!(wide(&app).contains("JOB_STATE_PENDING · stopped when you left"));

    // `f` follows again: one ask at once (to the closed port: it fails and is retried).
    app.handle_event(ch('f'));
    assert!(wide(&app).contains("JOB_STATE_PENDING · checking…"));
    assert!(polls_within(&mut app, &mut rx, Duration::from_secs(120)).await >= 1);
    let s = wide(&app);
    assert!(s.contains("│Note     could not read the job: "), "{s}");
    app.handle_event(ch('f'));
    assert!(
        wide(&app).contains("the job is followed already, or it ran or ended"),
        "{}",
        wide(&app)
    );
}

/// `y` puts the job's console link on the clipboard (OSC 52, written by the UI loop) and
/// says so; `i` the quota-increase link of the GPU checked. The ranking says `2 free, need
/// 4` and where to ask for more.
#[tokio::test(start_paused = true)]
async fn y_copies_the_job_link_and_i_the_quota_increase_link() {
    let (mut app, _rx, _logs) = launch_app(closed_port_clients());
    app.handle_event(ch('y'));
    assert!(app.take_terminal_output().is_empty(), "no job yet");
    assert!(
        wide(&app).contains("y copies a job's link once s has submitted one"),
        "{}",
        wide(&app)
    );

    // Four T4s: us-central1 has 2 free of 16.
    app.handle_event(ch('k'));
    app.handle_event(ch('k'));
    app.handle_event(ch('l'));
    app.handle_event(ch('l'));
    app.handle_event(launch_done(LaunchEvent::Checked(t4_check())));
    insta::assert_snapshot!(
        "launch_ranking_free_of_limit_80x24",
        text(&draw(&app, 80, 24))
    );
    let s = wide(&app);
    assert!(s.contains("│▶✓ us-east1      8 free of 8"), "{s}");
    assert!(s.contains("│ ✗ us-central1   2 free, need 4"), "{s}");
    assert!(s.contains("│ ✗ us-west1      quota 0"), "{s}");
    assert!(s.contains("│ ✗ europe-west4  3 free, need 4"), "{s}");
    assert!(
        s.contains("└ short of quota? i copies the increase link ─"),
        "{s}"
    );
    app.handle_event(ch('i'));
    let metric = QuotaMetric::Gpu {
        gpu: GpuType::T4,
        capacity: Capacity::Spot,
    };
    assert_eq!(
        clipboard_writes(&app.take_terminal_output()),
        [quota_increase_url(DEMO_PROJECT, metric)]
    );
    assert!(
        app.toasts()
            .iter()
            .any(|t| t.text.contains("Copied the T4 (spot) quota-increase link")),
        "{:?}",
        app.toasts().iter().map(|t| &t.text).collect::<Vec<_>>()
    );

    app.handle_event(ch('s'));
    app.handle_event(ch('y')); // confirms: the confirmation's y is not a copy
    assert!(app.take_terminal_output().is_empty());
    app.handle_event(launch_done(LaunchEvent::Submitted(Box::new(created()))));
    assert!(wide(&app).contains("└ y copies the job link"));
    app.handle_event(ch('y'));
    let url = "https://console.cloud.google.com/vertex-ai/locations/us-central1/training/4242?project=quota-tui-demo";
    let out = app.take_terminal_output();
    assert_eq!(clipboard_writes(&out), [url]);
    let out = String::from_utf8(out).unwrap();
    // OSC 52 to the clipboard, the link in base64 (worked out apart: Python's base64).
    assert_eq!(
        out,
        "\x1b]52;c;aHR0cHM6Ly9jb25zb2xlLmNsb3VkLmdvb2dsZS5jb20vdmVydGV4LWFpL2xvY2F0aW9ucy91\
         cy1jZW50cmFsMS90cmFpbmluZy80MjQyP3Byb2plY3Q9cXVvdGEtdHVpLWRlbW8=\x1b\\"
    );
    assert!(
        app.toasts()
            .iter()
            .any(|t| t.text.starts_with("📋 Copied the job's console link")),
    );
}

/// A submission answered while another screen is shown is toasted, and its job is not
/// followed until the user comes back and presses `f`.
#[tokio::test(start_paused = true)]
async fn a_job_created_while_away_is_followed_only_after_f() {
    let (mut app, mut rx, _logs) = launch_app(closed_port_clients());
    app.handle_event(launch_done(LaunchEvent::Checked(t4_check())));
    app.handle_event(ch('s'));
    app.handle_event(ch('y'));
    app.handle_event(ch('1'));
    app.handle_event(launch_done(LaunchEvent::Submitted(Box::new(created()))));
    assert!(
        app.toasts()
            .iter()
            .any(|t| t.text.contains("Job submitted in us-central1: t4-job")),
        "toasted"
    );
    assert_eq!(
        polls_within(&mut app, &mut rx, Duration::from_secs(600)).await,
        0,
        "not followed while away"
    );
    app.handle_event(ch('3'));
    let s = wide(&app);
    assert!(
        s.contains("· JOB_STATE_QUEUED · stopped when you left · f follows again"),
        "{s}"
    );
    app.handle_event(ch('f'));
    app.handle_event(polled(Ok(job("JOB_STATE_RUNNING"))));
    assert!(wide(&app).contains("· JOB_STATE_RUNNING · followed"));
}

/// With the usage unknown (no `monitoring.timeSeries.list`), the rows rank by limit and the
/// ranking says why, once.
#[tokio::test(start_paused = true)]
async fn an_unknown_usage_is_explained_once_under_the_ranking() {
    let (mut app, _rx, _logs) = launch_app(closed_port_clients());
    let mut check = t4_check();
    for r in &mut check.results {
        r.usage = Some(Err(ApiError::new(
            ErrorKind::Permission,
            "Permission monitoring.timeSeries.list denied (or the resource may not exist).",
        )));
    }
    app.handle_event(launch_done(LaunchEvent::Checked(check)));
    let s = text(&draw(&app, 80, 24));
    assert!(
        s.contains("│▶✓ us-central1   quota 16, usage unknown"),
        "{s}"
    );
    assert!(s.contains("│ ✗ us-west1      quota 0"), "{s}");
    assert_eq!(s.matches("permission denied").count(), 1, "{s}");
    assert!(
        s.contains("└ short of quota? i copies the increase link ")
            && s.contains("─ usage: permission denied ┘"),
        "{s}"
    );
}
