//! The Launch screen (SPEC §10 Launch, key `3`) driven through the app's one event handler:
//! snapshots of its states at 80×24 and 120×40; typing into its text fields (digits and `q`
//! type there); `c` reaching the quota source fresh (never the cache) with a `QUOTA_TIMING
//! FRESH` entry; the guards before a submission; and a whole check → confirm → submit against
//! the embedded fake GCP through the real clients.

mod tui_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use quota_tui::catalog::{Capacity, Check, GpuType, Limit, MetricRequest, QuotaMetric};
use quota_tui::fake_gcp::{DEMO_PROJECT, FakeGcp, FakeGcpConfig};
use quota_tui::gcp::auth::TokenSource;
use quota_tui::gcp::serviceusage::ServiceUsageClient;
use quota_tui::gcp::vertex::{CustomJob, VertexClient, console_url};
use quota_tui::gcp::{ApiError, ErrorKind, QuotaSource};
use quota_tui::launch::{
    Created, FreshCheck, LaunchPlan, Refusal, RegionResult, Submission, SubmitFailure,
};
use quota_tui::store::{DEFAULT_TTL, QuotaStore};
use quota_tui::tui::app::{Action, App};
use quota_tui::tui::event::Event;
use quota_tui::tui::screens::launch::{LaunchClients, LaunchEvent};
use quota_tui::tui::theme::Theme;
use tokio::sync::mpsc;
use tui_support::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn snapshot(app: &App, name: &str) {
    for (w, h) in SIZES {
        insta::assert_snapshot!(
            format!("{name}_{w}x{h}"),
            clock_free(&text(&draw(app, w, h)))
        );
    }
}

/// `text` with every `HH:MM:SS` (the local times a job's states were seen, which follow the
/// wall clock) written `hh:mm:ss`, so a snapshot does not depend on when it runs.
fn clock_free(text: &str) -> String {
    let mut out: Vec<char> = text.chars().collect();
    let digit = |c: char| c.is_ascii_digit();
    let mut i = 0;
    while i + 8 <= out.len() {
        let w = &out[i..i + 8];
        if digit(w[0])
            && digit(w[1])
            && w[2] == ':'
            && digit(w[3])
            && digit(w[4])
            && w[5] == ':'
            && digit(w[6])
            && digit(w[7])
            && (i == 0 || out[i - 1] == ' ')
        {
            out.splice(i..i + 8, "hh:mm:ss".chars());
            i += 8;
        } else {
            i += 1;
        }
    }
    out.into_iter().collect()
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        app.handle_event(ch(c));
    }
}

fn screen(app: &App) -> String {
    text(&draw(app, 80, 24))
}

fn wide(app: &App) -> String {
    text(&draw(app, 160, 40))
}

/// A Vertex AI client that is never reached (the app's queue is closed in these tests, so a
/// submission task ends at once).
fn idle_vertex() -> Option<Arc<VertexClient>> {
    Some(Arc::new(
        VertexClient::new(Some("http://127.0.0.1:9"), TokenSource::demo()).unwrap(),
    ))
}

/// Fill the form: L4 × 4, spot, an image and a name (from the Launch screen, GPU type focused).
fn fill_l4_x4(app: &mut App) {
    app.handle_event(key(KeyCode::Right)); // GPU type T4 → L4
    app.handle_event(ch('j'));
    app.handle_event(ch('l')); // count 1 → 2
    app.handle_event(ch(' ')); // 2 → 4
    app.handle_event(ch('j'));
    app.handle_event(ch('j'));
    app.handle_event(key(KeyCode::Enter));
    typed(app, "us-docker.pkg.dev/acme/train/l4:7");
    app.handle_event(key(KeyCode::Tab)); // done, on to the job name
    app.handle_event(key(KeyCode::Enter));
    typed(app, "train-l4-x4");
    app.handle_event(key(KeyCode::Esc));
}

fn denied() -> ApiError {
    ApiError {
        kind: ErrorKind::Permission,
        message: "Permission denied on resource project quota-tui-demo.".into(),
        http_status: Some(403),
        google_status: Some("PERMISSION_DENIED".into()),
        attempts: 1,
        details: Default::default(),
    }
}

/// L4 spot quota 1, 0, 12 and denied in us-central1, us-east1, us-west1, europe-west4.
fn l4_check() -> FreshCheck {
    let r = |region: &str, result, ms| RegionResult {
        region: region.to_string(),
        result,
        usage: None,
        latency: Duration::from_millis(ms),
    };
    FreshCheck {
        gpu: GpuType::L4,
        capacity: Capacity::Spot,
        results: vec![
            r("us-central1", Ok(Limit::Finite(1)), 812),
            r("us-east1", Ok(Limit::Finite(0)), 2410),
            r("us-west1", Ok(Limit::Finite(12)), 1304),
            r("europe-west4", Err(denied()), 95),
        ],
        elapsed: Duration::from_millis(2410),
        wrote_cache: true,
    }
}

fn plan(region: &str) -> LaunchPlan {
    LaunchPlan::new(
        GpuType::L4,
        4,
        Capacity::Spot,
        region,
        "us-docker.pkg.dev/acme/train/l4:7",
        "train-l4-x4",
    )
    .unwrap()
}

fn submitted() -> Submission {
    let job = CustomJob {
        name: format!("projects/{DEMO_PROJECT}/locations/us-west1/customJobs/7018027440424182931"),
        display_name: "train-l4-x4".into(),
        state: "JOB_STATE_PENDING".into(),
        create_time: Some("2026-11-21T02:47:03.123456Z".into()),
        ..CustomJob::default()
    };
    Submission {
        refusals: vec![],
        outcome: Ok(Created {
            plan: plan("us-west1"),
            console_url: console_url(DEMO_PROJECT, "us-west1", job.id()),
            job,
            read_back_error: None,
            created_state: "JOB_STATE_QUEUED".into(),
        }),
    }
}

/// Vertex AI's answer to a create beyond the region's GPU quota (see `fake_gcp::vertex`).
fn quota_exceeded() -> ApiError {
    ApiError {
        kind: ErrorKind::QuotaExceeded,
        message: "The following quota metrics exceed quota limits: \
                  aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_l4_gpus"
            .into(),
        http_status: Some(429),
        google_status: Some("RESOURCE_EXHAUSTED".into()),
        attempts: 1,
        details: Default::default(),
    }
}

/// us-west1, the only region that fits, refused the create for quota: nothing created.
fn refused_everywhere() -> Submission {
    Submission {
        refusals: vec![Refusal {
            region: "us-west1".into(),
            error: quota_exceeded(),
        }],
        outcome: Err(SubmitFailure::QuotaInUseEverywhere),
    }
}

#[tokio::test(start_paused = true)]
async fn launch_screen_states() {
    let logs = tempfile::tempdir().unwrap();
    let (handle, cache) = warmer(DEFAULT_TTL);
    fill_warm(&cache);
    let clients = LaunchClients {
        vertex: idle_vertex(),
        ..unused_launch_clients()
    };
    let (mut app, rx) = app_with_queue(handle, Theme::colored(), logs.path(), clients);
    drop(rx);
    app.handle_event(ch('3'));
    snapshot(&app, "launch_empty");

    fill_l4_x4(&mut app);
    app.handle_event(ch('c'));
    tokio::time::advance(Duration::from_secs(1)).await;
    app.handle_event(Event::Tick);
    let s = screen(&app);
    assert!(s.contains("⏳ Checking L4 (spot) in 4 regions… 1s"), "{s}");

    tokio::time::advance(Duration::from_millis(1410)).await;
    app.handle_event(launch_done(LaunchEvent::Checked(l4_check())));
    tokio::time::advance(Duration::from_secs(12)).await;
    app.handle_event(Event::Tick);
    snapshot(&app, "launch_checked");
    assert!(app.toasts().is_empty(), "shown on the screen, not toasted");

    app.handle_event(ch('s'));
    snapshot(&app, "launch_confirm");
    for (w, h) in [(0, 0), (1, 1), (20, 5), (30, 8), (79, 23)] {
        let buf = draw(&app, w, h);
        assert_eq!(
            (buf.area.width, buf.area.height),
            (w, h),
            "no panic when tiny"
        );
    }
    app.handle_event(ch('y'));
    assert!(screen(&app).contains("⏳ Submitting train-l4-x4 to us-west1… 0s"));
    app.handle_event(launch_done(LaunchEvent::Submitted(Box::new(submitted()))));
    snapshot(&app, "launch_submitted");

    app.handle_event(ch('s'));
    app.handle_event(key(KeyCode::Enter));
    app.handle_event(launch_done(LaunchEvent::Submitted(Box::new(
        refused_everywhere(),
    ))));
    snapshot(&app, "launch_error");

    app.handle_event(ch('d'));
    let s = wide(&app);
    assert!(s.contains("Dry run · nothing submitted"), "{s}");
    assert!(
        s.contains(
            "POST http://127.0.0.1:9/v1/projects/quota-tui-demo/locations/us-west1/customJobs"
        ),
        "{s}"
    );
    // The body is pretty-printed in a popup, one field a line, as the command line prints it.
    assert!(
        s.contains(r#"          "machineType": "g2-standard-48""#),
        "{s}"
    );
    assert!(s.contains("j/k scroll · Esc close"), "{s}");
    // At 80×24 the body is longer than the popup: it scrolls, and Esc closes it.
    let small = screen(&app);
    assert!(
        !small.contains(r#""replicaCount""#),
        "below the fold first:\n{small}"
    );
    for _ in 0..30 {
        app.handle_event(ch('j'));
    }
    let small = screen(&app);
    assert!(
        small.contains(r#""replicaCount": 1"#),
        "scrolled down:\n{small}"
    );
    assert!(
        !small.contains("POST http"),
        "scrolled past the URL:\n{small}"
    );
    app.handle_event(key(KeyCode::Esc));
    let closed = wide(&app);
    assert!(!closed.contains("j/k scroll · Esc close"), "{closed}");
    assert!(
        closed.contains("d shows the request body again"),
        "{closed}"
    );
    assert_eq!(app.current(), LAUNCH_SCREEN, "Esc closed the popup only");
}

/// Records the metric requests asked of it; answers every region with 4 after 2 s (tokio
/// clock).
#[derive(Default)]
struct CountingSource {
    asked: Mutex<Vec<MetricRequest>>,
}

#[async_trait]
impl QuotaSource for CountingSource {
    async fn fetch_metric(
        &self,
        request: &MetricRequest,
    ) -> Result<Vec<Result<Limit, ApiError>>, ApiError> {
        self.asked.lock().unwrap().push(request.clone());
        tokio::time::sleep(Duration::from_secs(2)).await;
        Ok(vec![Ok(Limit::Finite(4)); request.len()])
    }
}

async fn next_launch_event(rx: &mut mpsc::Receiver<Event>) -> Event {
    let ev = tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("the task reports back")
        .expect("queue open");
    assert!(
        matches!(&ev, Event::Task(done) if done.payload::<LaunchEvent>().is_some()),
        "{ev:?}"
    );
    ev
}

#[tokio::test(start_paused = true)]
async fn text_fields_take_digits_and_q_and_c_checks_fresh() {
    let (collected, _guard) = capture_tracing();

    let logs = tempfile::tempdir().unwrap();
    let (handle, cache) = warmer(DEFAULT_TTL);
    fill_warm(&cache);
    let source = Arc::new(CountingSource::default());
    let clients = LaunchClients {
        quota: source.clone(),
        ..unused_launch_clients()
    };
    let (mut app, mut rx) = app_with_queue(handle, Theme::colored(), logs.path(), clients);
    app.handle_event(ch('3'));
    assert_eq!(app.current_title(), "Launch");

    // To the image field; Enter edits; `q`, digits, `?`, `w`, `c` and `j` all type.
    for _ in 0..3 {
        app.handle_event(ch('j'));
    }
    app.handle_event(key(KeyCode::Enter));
    let s = screen(&app);
    assert!(
        s.contains("Esc/Enter done"),
        "editing keys in the footer:\n{s}"
    );
    assert!(!s.contains("q quit"), "q types while editing:\n{s}");
    for c in "gcr.io/q1/x:23?wcj".chars() {
        assert_eq!(app.handle_event(ch(c)), Action::Redraw, "{c}");
        assert_eq!(app.current_title(), "Launch", "{c} did not switch screens");
        assert!(!app.help_open(), "{c} did not open help");
    }
    app.handle_event(key(KeyCode::Backspace));
    app.handle_event(key(KeyCode::Left));
    app.handle_event(key(KeyCode::Backspace));
    app.handle_event(key(KeyCode::Esc));
    assert_eq!(app.current_title(), "Launch", "Esc only left editing");
    let s = screen(&app);
    assert!(s.contains("Image      gcr.io/q1/x:23?c"), "{s}");
    assert!(s.contains("q quit"), "{s}");

    // Re-entering the field puts the cursor at the end (it was left mid-string): typing
    // appends; Ctrl-W deletes the word before it, Ctrl-A goes to the start.
    app.handle_event(key(KeyCode::Enter));
    typed(&mut app, "9");
    app.handle_event(key(KeyCode::Enter));
    assert!(
        screen(&app).contains("Image      gcr.io/q1/x:23?c9"),
        "{}",
        screen(&app)
    );
    app.handle_event(key(KeyCode::Enter));
    let ctrl_key = |c| {
        Event::Crossterm(TermEvent::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        )))
    };
    app.handle_event(ctrl_key('a'));
    typed(&mut app, ">");
    app.handle_event(ctrl_key('e'));
    app.handle_event(ctrl_key('w'));
    app.handle_event(key(KeyCode::Enter));
    let s = screen(&app);
    assert!(s.contains("Image      >gcr.io/q1/x:"), "{s}");
    assert!(!s.contains("23?c9"), "Ctrl-W took the last word:\n{s}");

    // Ctrl-U clears; Ctrl-C still quits while editing.
    app.handle_event(key(KeyCode::Enter));
    let ctrl = |c| {
        Event::Crossterm(TermEvent::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        )))
    };
    app.handle_event(ctrl('u'));
    typed(&mut app, "gcr.io/x/y:1");
    app.handle_event(key(KeyCode::Enter));
    assert!(screen(&app).contains("Image      gcr.io/x/y:1"));

    // `c`: one fresh request for T4 spot in the four regions, through the source, not the
    // cache.
    let before = cache.counters();
    assert_eq!(app.handle_event(ch('c')), Action::Redraw);
    let ev = next_launch_event(&mut rx).await;
    assert_eq!(app.handle_event(ev), Action::Redraw);
    let asked = source.asked.lock().unwrap().clone();
    let want = MetricRequest::new(
        QuotaMetric::Gpu {
            gpu: GpuType::T4,
            capacity: Capacity::Spot,
        },
        ["us-central1", "us-east1", "us-west1", "europe-west4"],
    );
    assert_eq!(asked, [want]);
    assert_eq!(cache.counters(), before, "the cache was not read");
    // Same capacity as the warmer: the fresh values went into the cache (T4 us-central1
    // was 16 in the warm fixture).
    let peeked = cache.peek(&[Check::gpu(GpuType::T4, Capacity::Spot, "us-central1")]);
    assert_eq!(peeked[0].limit(), Some(Limit::Finite(4)));

    let s = screen(&app);
    assert!(
        s.contains("Fresh check · T4 spot · 2.00s · 0s ago · cache updated"),
        "{s}"
    );
    assert!(s.contains("▶✓ us-central1"), "{s}");
    assert!(s.contains("Region     us-central1  1 of 4 that fit"), "{s}");

    let written = collected.text();
    assert!(
        written.contains("infra_timing"),
        "on the timing log's target: {written}"
    );
    assert!(
        written.contains("GPU: 2.00s (FRESH, launch T4) checks=4 fails=0 found=4"),
        "{written}"
    );

    // A second `c` while one runs is refused, not doubled.
    app.handle_event(ch('c'));
    app.handle_event(ch('c'));
    assert!(screen(&app).contains("already checking T4"));
    let ev = next_launch_event(&mut rx).await;
    app.handle_event(ev);
    assert_eq!(source.asked.lock().unwrap().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn submission_needs_a_fresh_fitting_check_and_a_yes() {
    let logs = tempfile::tempdir().unwrap();
    let (handle, _cache) = warmer(DEFAULT_TTL);
    let clients = LaunchClients {
        vertex: idle_vertex(),
        ..unused_launch_clients()
    };
    let (mut app, rx) = app_with_queue(handle, Theme::colored(), logs.path(), clients);
    drop(rx);
    app.handle_event(ch('3'));
    let notice = |app: &App| screen(app).lines().nth(10).unwrap_or_default().to_string();

    app.handle_event(ch('s'));
    assert!(
        notice(&app).contains("the image is empty"),
        "{}",
        notice(&app)
    );
    fill_l4_x4(&mut app);
    app.handle_event(ch('s'));
    assert!(notice(&app).contains("press c first"), "{}", notice(&app));

    // Denied everywhere: no region, and the one reason.
    let mut all_denied = l4_check();
    for r in &mut all_denied.results {
        r.result = Err(denied());
    }
    app.handle_event(launch_done(LaunchEvent::Checked(all_denied)));
    assert!(
        wide(&app).contains("Region     no region fits"),
        "{}",
        wide(&app)
    );
    app.handle_event(ch('s'));
    let s = wide(&app);
    assert!(
        s.contains("no region can take 4 × L4 (spot): permission denied in every region"),
        "{s}"
    );

    // 1, 0, 12, denied: 4 fits us-west1 only; at 1 GPU the choice stays and us-central1
    // fits too.
    app.handle_event(launch_done(LaunchEvent::Checked(l4_check())));
    assert!(wide(&app).contains("Region     us-west1  1 of 1 that fit"));
    for _ in 0..3 {
        app.handle_event(ch('k'));
    }
    app.handle_event(ch('l'));
    app.handle_event(ch('l'));
    let s = wide(&app);
    assert!(s.contains("GPUs       ‹ 1 ›"), "{s}");
    assert!(s.contains("Region     us-west1  2 of 2 that fit"), "{s}");
    assert!(s.contains("▶✓ us-west1"), "{s}");

    // The confirmation: n and Esc send nothing; other keys stay in the popup.
    app.handle_event(ch('s'));
    assert!(screen(&app).contains("Submit this CustomJob?"));
    app.handle_event(ch('2'));
    assert_eq!(app.current_title(), "Launch", "the popup holds the keys");
    app.handle_event(ch('n'));
    assert!(!screen(&app).contains("Submit this CustomJob?"));
    assert!(notice(&app).contains("submission cancelled"));
    app.handle_event(ch('s'));
    app.handle_event(key(KeyCode::Esc));
    assert_eq!(app.current_title(), "Launch", "Esc closed only the popup");

    // The form changed after the check: a new check is needed.
    app.handle_event(ch('k'));
    app.handle_event(key(KeyCode::Left));
    app.handle_event(ch('s'));
    let s = wide(&app);
    assert!(
        s.contains("the last check was of L4 (spot): press c to check T4 (spot)"),
        "{s}"
    );
    assert!(s.contains("form changed: c checks T4 (spot)"), "{s}");
    app.handle_event(key(KeyCode::Right));

    // A check older than 5 minutes is not acted on.
    tokio::time::advance(Duration::from_secs(301)).await;
    app.handle_event(Event::Tick);
    app.handle_event(ch('s'));
    assert!(
        notice(&app).contains("the check is 5m01s old"),
        "{}",
        notice(&app)
    );

    // A result landing while another screen is shown becomes a toast.
    app.handle_event(ch('1'));
    app.handle_event(launch_done(LaunchEvent::Checked(l4_check())));
    assert_eq!(
        app.toasts().iter().next().map(|t| t.text.as_str()),
        Some("🔎 Fresh L4 check: quota in 2 of 4 regions (2.41s)")
    );
}

#[tokio::test]
async fn check_and_submit_against_the_embedded_fake_gcp() {
    let fake = FakeGcp::start(FakeGcpConfig::quiet(), 0).await.unwrap();
    let quota =
        ServiceUsageClient::new(DEMO_PROJECT, fake.base_url(), TokenSource::demo()).unwrap();
    let vertex = VertexClient::new(Some(fake.base_url()), TokenSource::demo()).unwrap();
    let clients = LaunchClients {
        project: DEMO_PROJECT.to_string(),
        quota: Arc::new(quota),
        vertex: Some(Arc::new(vertex)),
    };
    let logs = tempfile::tempdir().unwrap();
    let (handle, cache) = warmer(DEFAULT_TTL);
    let (mut app, mut rx) = app_with_queue(handle, Theme::colored(), logs.path(), clients);
    app.handle_event(ch('3'));
    for _ in 0..3 {
        app.handle_event(ch('j'));
    }
    app.handle_event(key(KeyCode::Enter));
    typed(&mut app, "gcr.io/x/y:1");
    app.handle_event(key(KeyCode::Esc));
    let before = cache.counters();
    app.handle_event(ch('c'));
    assert!(screen(&app).contains("Fresh check · checking…"));
    let ev = next_launch_event(&mut rx).await;
    app.handle_event(ev);
    let stats = fake.stats();
    assert_eq!(
        stats.requests.len(),
        1,
        "one fresh request answers the four regions"
    );
    assert!(
        stats
            .requests
            .iter()
            .all(|r| r.metric.ends_with("preemptible_nvidia_t4_gpus"))
    );
    assert_eq!(cache.counters(), before, "the cache was not read");

    app.handle_event(ch('d'));
    assert!(
        fake.stats().custom_jobs.is_empty(),
        "a dry run sends nothing"
    );
    app.handle_event(key(KeyCode::Esc));
    app.handle_event(ch('s'));
    app.handle_event(ch('y'));
    let ev = next_launch_event(&mut rx).await;
    app.handle_event(ev);
    let jobs = fake.stats().custom_jobs;
    assert_eq!(jobs.len(), 1);
    let s = wide(&app);
    assert!(
        s.contains(&format!(
            "Job submitted in {} · JOB_STATE_QUEUED",
            "us-central1"
        )),
        "{s}"
    );
    assert!(s.contains(&format!("│{}", jobs[0])), "{s}");
    assert!(
        s.contains("│https://console.cloud.google.com/vertex-ai/locations/"),
        "{s}"
    );
    fake.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn no_color_launch_screen_has_no_colour_and_keeps_its_marks() {
    let logs = tempfile::tempdir().unwrap();
    let (handle, _cache) = warmer(DEFAULT_TTL);
    let clients = LaunchClients {
        vertex: idle_vertex(),
        ..unused_launch_clients()
    };
    let (mut app, rx) = app_with_queue(handle, Theme::no_color(), logs.path(), clients);
    drop(rx);
    app.handle_event(ch('3'));
    fill_l4_x4(&mut app);
    app.handle_event(launch_done(LaunchEvent::Checked(l4_check())));
    app.handle_event(ch('s'));
    app.handle_event(ch('y'));
    let unavailable = ApiError {
        kind: ErrorKind::Unavailable,
        message: "The service is currently unavailable.; the job may have been created: look at \
                  https://console.cloud.google.com/vertex-ai/training/custom-jobs?project=quota-tui-demo \
                  before submitting again"
            .into(),
        http_status: Some(503),
        google_status: Some("UNAVAILABLE".into()),
        attempts: 1,
        details: Default::default(),
    };
    let failed = Submission {
        refusals: vec![],
        outcome: Err(SubmitFailure::Failed {
            region: "us-west1".into(),
            error: unavailable,
        }),
    };
    app.handle_event(launch_done(LaunchEvent::Submitted(Box::new(failed))));
    let buf = draw(&app, 120, 40);
    for cell in &buf.content {
        assert_eq!(cell.fg, ratatui::style::Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, ratatui::style::Color::Reset, "{cell:?}");
    }
    let s = text(&buf);
    assert!(
        s.contains("▶✓ us-west1") && s.contains(" ✗ us-east1"),
        "{s}"
    );
    assert!(s.contains("Submission failed · unavailable"), "{s}");
    assert!(s.contains("the job may have been created"), "{s}");
}

/// Answers every region with 8 at once.
struct EightEverywhere;

#[async_trait]
impl QuotaSource for EightEverywhere {
    async fn fetch_metric(
        &self,
        request: &MetricRequest,
    ) -> Result<Vec<Result<Limit, ApiError>>, ApiError> {
        Ok(vec![Ok(Limit::Finite(8)); request.len()])
    }
}

/// Issue 10's acceptance, from the Launch screen: the first-ranked region answers quota
/// exceeded; exactly one POST goes to it, then exactly one job is created in the next ranked
/// region; the screen says where the job is and why the first region was left.
#[tokio::test]
async fn quota_in_use_in_the_first_region_submits_once_to_the_next() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let jobs = |r: &str| format!("/v1/projects/{DEMO_PROJECT}/locations/{r}/customJobs");
    let metric = GpuType::T4.metric(Capacity::Spot);
    Mock::given(method("POST"))
        .and(path(jobs("us-central1")))
        .respond_with(
            ResponseTemplate::new(429).set_body_json(serde_json::json!({"error": {
            "code": 429, "status": "RESOURCE_EXHAUSTED",
            "message": format!("The following quota metrics exceed quota limits: {metric}")}})),
        )
        .mount(&server)
        .await;
    let name = format!("projects/{DEMO_PROJECT}/locations/us-east1/customJobs/4242");
    let job =
        serde_json::json!({"name": name, "displayName": "t4-job", "state": "JOB_STATE_QUEUED"});
    Mock::given(method("POST"))
        .and(path(jobs("us-east1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(job.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/{name}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(job))
        .mount(&server)
        .await;
    let clients = LaunchClients {
        project: DEMO_PROJECT.to_string(),
        quota: Arc::new(EightEverywhere),
        vertex: Some(Arc::new(
            VertexClient::new(Some(&server.uri()), TokenSource::demo()).unwrap(),
        )),
    };
    let logs = tempfile::tempdir().unwrap();
    let (handle, _cache) = warmer(DEFAULT_TTL);
    let (mut app, mut rx) = app_with_queue(handle, Theme::colored(), logs.path(), clients);
    app.handle_event(ch('3'));
    for _ in 0..3 {
        app.handle_event(ch('j'));
    }
    app.handle_event(key(KeyCode::Enter));
    typed(&mut app, "gcr.io/x/y:1");
    app.handle_event(key(KeyCode::Tab));
    app.handle_event(key(KeyCode::Enter));
    typed(&mut app, "t4-job");
    app.handle_event(key(KeyCode::Esc));
    app.handle_event(ch('c'));
    let ev = next_launch_event(&mut rx).await;
    app.handle_event(ev);
    app.handle_event(ch('s'));
    let s = wide(&app);
    assert!(
        s.contains("Fallback if its quota is in use: us-east1, then us-west1"),
        "the confirmation names where it goes next: {s}"
    );
    app.handle_event(ch('y'));
    let s = wide(&app);
    assert!(s.contains("⏳ Submitting t4-job to us-central1…"), "{s}");
    assert!(
        s.contains("if its quota is in use: then us-east1, then us-west1"),
        "{s}"
    );
    let ev = next_launch_event(&mut rx).await;
    app.handle_event(ev);

    let posts = |region: &'static str| {
        let server = &server;
        async move {
            server
                .received_requests()
                .await
                .unwrap()
                .iter()
                .filter(|r| r.method == wiremock::http::Method::POST)
                .filter(|r| r.url.path() == jobs(region))
                .count()
        }
    };
    assert_eq!(posts("us-central1").await, 1, "never resent");
    assert_eq!(
        posts("us-east1").await,
        1,
        "exactly one job, in the next region"
    );
    assert_eq!(posts("us-west1").await, 0);
    let s = wide(&app);
    assert!(
        s.contains("Job submitted in us-east1 (quota in use in us-central1) · JOB_STATE_QUEUED"),
        "{s}"
    );
    assert!(s.contains(&format!("│{name}")), "{s}");
    assert!(
        s.contains("quota in use in us-central1 (429 RESOURCE_EXHAUSTED): The following quota"),
        "{s}"
    );
}
