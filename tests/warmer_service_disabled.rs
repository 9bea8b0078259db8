//! SERVICE_DISABLED once, in the warmer and the TUI (SPEC §4, §7), under tokio's paused
//! clock: at most one request per disabled service per cycle, one log line and one toast
//! with the activation URL, and a new cycle (warm-now or refresh-ahead) asks again.

mod tui_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use quota_tui::catalog::{AIPLATFORM_SERVICE, Catalog, Check, Limit, MetricRequest};
use quota_tui::gcp::{ApiError, ErrorKind, QuotaSource};
use quota_tui::logs::warm_line;
use quota_tui::store::{CachedState, DEFAULT_TTL, MemoryStore, QuotaStore, TokioClock};
use quota_tui::tui::event::Event;
use quota_tui::tui::theme::Theme;
use quota_tui::warmer::{CycleCause, WarmNow, Warmer, WarmerConfig, WarmerEvent, WarmerHandle};
use tokio::sync::broadcast::Receiver;
use tokio_util::sync::CancellationToken;

const SU_URL: &str = "https://console.developers.google.com/apis/api/serviceusage.googleapis.com/\
    overview?project=123456789012";
const VERTEX_URL: &str = "https://console.developers.google.com/apis/api/aiplatform.googleapis.com/\
    overview?project=123456789012";

/// Google's SERVICE_DISABLED for the API at `url`, as `classify_google_error` gives it.
fn disabled(service: &str, title: &str, url: &str) -> ApiError {
    let mut e = ApiError::new(
        ErrorKind::ServiceDisabled,
        format!("{title} has not been used in project 123456789012 before or it is disabled."),
    );
    e.http_status = Some(403);
    e.google_status = Some("PERMISSION_DENIED".into());
    e.details.reason = Some("SERVICE_DISABLED".into());
    e.details.activation_url = Some(url.to_string());
    e.details.metadata.insert("service".into(), service.into());
    e.details
        .metadata
        .insert("serviceTitle".into(), title.into());
    e
}

type Answer = dyn Fn(&Check) -> Result<Limit, ApiError> + Send + Sync;

/// Answers every metric request with `answer(its first check)` after 300 ms, recording each
/// request.
struct Source {
    answer: Box<Answer>,
    asked: Mutex<Vec<Check>>,
}

impl Source {
    fn new(
        answer: impl Fn(&Check) -> Result<Limit, ApiError> + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Source {
            answer: Box::new(answer),
            asked: Mutex::new(Vec::new()),
        })
    }
    fn asked(&self) -> Vec<Check> {
        self.asked.lock().unwrap().clone()
    }
}

/// One request per metric: `answer` of its first check decides the whole request (an error
/// fails the request, a value goes to every region). `asked` records that first check.
#[async_trait]
impl QuotaSource for Source {
    async fn fetch_metric(
        &self,
        request: &MetricRequest,
    ) -> Result<Vec<Result<Limit, ApiError>>, ApiError> {
        let first = request.check(0);
        self.asked.lock().unwrap().push(first.clone());
        tokio::time::sleep(Duration::from_millis(300)).await;
        let limit = (self.answer)(&first)?;
        Ok(vec![Ok(limit); request.len()])
    }
}

fn start(
    source: Arc<Source>,
    cfg: WarmerConfig,
) -> (
    WarmerHandle,
    Receiver<WarmerEvent>,
    Arc<MemoryStore>,
    CancellationToken,
) {
    let cache = Arc::new(MemoryStore::with_clock(
        DEFAULT_TTL,
        Arc::new(TokioClock::new()),
    ));
    let warmer = Warmer::new(cfg, &Catalog::default(), source, cache.clone());
    let rx = warmer.subscribe();
    let cancel = CancellationToken::new();
    let (handle, _task) = warmer.start(cancel.clone());
    (handle, rx, cache, cancel)
}

async fn until_complete(rx: &mut Receiver<WarmerEvent>) -> Vec<WarmerEvent> {
    let mut out = Vec::new();
    loop {
        let ev = rx.recv().await.expect("warmer open");
        let done = matches!(ev, WarmerEvent::CycleComplete { .. });
        out.push(ev);
        if done {
            return out;
        }
    }
}

fn count(events: &[WarmerEvent], pred: impl Fn(&WarmerEvent) -> bool) -> usize {
    events.iter().filter(|e| pred(e)).count()
}

#[tokio::test(start_paused = true)]
async fn service_usage_disabled_everywhere_costs_two_requests_one_line_and_one_toast() {
    let source = Source::new(|_| {
        Err(disabled(
            "serviceusage.googleapis.com",
            "Service Usage API",
            SU_URL,
        ))
    });
    let (handle, mut rx, cache, cancel) = start(source.clone(), WarmerConfig::default());
    let logs = tempfile::tempdir().unwrap();
    let mut app = tui_support::app(handle.clone(), Theme::colored(), logs.path());
    let events = until_complete(&mut rx).await;

    let asked = source.asked();
    assert_eq!(asked.len(), 2, "one request per service: {asked:?}");
    assert_ne!(asked[0].service(), asked[1].service());
    assert_eq!(
        count(&events, |e| matches!(
            e,
            WarmerEvent::ServiceDisabled { .. }
        )),
        1
    );
    assert_eq!(
        count(&events, |e| matches!(
            e,
            WarmerEvent::CheckFailed { .. } | WarmerEvent::MetricFailed { .. }
        )),
        0
    );
    let landed: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            WarmerEvent::MetricLanded { outcome, .. } => Some(outcome),
            _ => None,
        })
        .collect();
    assert_eq!(landed.len(), 6, "every metric of the cycle is recorded");
    let checks: Vec<_> = landed.iter().flat_map(|o| o.checks()).collect();
    assert_eq!(checks.len(), 38, "covering every check");
    assert!(checks.iter().all(|(_, r)| matches!(r,
        Err(e) if e.kind == ErrorKind::ServiceDisabled && e.message.starts_with("Service Usage API"))));
    let Some(WarmerEvent::CycleComplete {
        failed, gpu, c3, ..
    }) = events.last()
    else {
        panic!("ends complete")
    };
    assert_eq!((*failed, gpu.n, c3.n), (38, 20, 18));
    assert_eq!(handle.stats().failed, 38);
    let all = Catalog::default().all_checks();
    assert!(
        cache.peek(&all).iter().all(|r| matches!(
            r.state(),
            CachedState::Failed { error, .. } if error.error.kind == ErrorKind::ServiceDisabled
        )),
        "38 entries written, each with the service's error"
    );

    // cache_warm.log: the URL once, never 38 times.
    let lines: Vec<String> = events.iter().filter_map(warm_line).collect();
    let with_url: Vec<&String> = lines.iter().filter(|l| l.contains(SU_URL)).collect();
    assert_eq!(with_url.len(), 1, "{lines:#?}");
    assert!(
        with_url[0].starts_with(
            "💥 CACHE_WARM_ERROR: T4 - Service Usage API \
             (serviceusage.googleapis.com) is not enabled"
        ),
        "{}",
        with_url[0]
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("CACHE_WARM_ERROR"))
            .count(),
        1
    );

    // The TUI: one toast for the disabled API (plus the cycle's "Cache warm" one).
    for ev in &events {
        app.handle_event(Event::Warmer(ev.clone()));
    }
    assert_eq!(app.take_toast_deadlines().len(), 2);
    let screen = tui_support::text(&tui_support::draw(&app, 120, 40));
    assert!(
        screen.contains("Service Usage API not enabled: enable it at"),
        "{screen}"
    );

    // Warm now: a new cycle asks both services again, once each.
    assert_eq!(handle.warm_now(), WarmNow::Started);
    let again = until_complete(&mut rx).await;
    assert_eq!(source.asked().len(), 4);
    assert_eq!(
        count(&again, |e| matches!(e, WarmerEvent::ServiceDisabled { .. })),
        1
    );
    cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn a_refresh_ahead_cycle_asks_a_disabled_service_again() {
    let source = Source::new(|c| {
        Err(disabled(
            c.service(),
            "Some API",
            "https://console.example/enable",
        ))
    });
    let cfg = WarmerConfig {
        refresh: Duration::from_secs(60),
        ..WarmerConfig::default()
    };
    let (_handle, mut rx, _cache, cancel) = start(source.clone(), cfg);
    until_complete(&mut rx).await;
    assert_eq!(source.asked().len(), 2);
    let t0 = tokio::time::Instant::now();
    let second = until_complete(&mut rx).await;
    assert!(
        t0.elapsed() >= Duration::from_secs(50),
        "the re-warm waited for refresh"
    );
    assert!(second.iter().any(|e| matches!(
        e,
        WarmerEvent::CycleStarted {
            cause: CycleCause::Refresh { .. },
            ..
        }
    )));
    assert_eq!(source.asked().len(), 4, "asked again in the new cycle");
    cancel.cancel();
}

#[tokio::test(start_paused = true)]
async fn only_vertex_disabled_leaves_cloud_build_asked_as_usual() {
    let source = Source::new(|c| {
        if c.service() == AIPLATFORM_SERVICE {
            Err(disabled(AIPLATFORM_SERVICE, "Vertex AI API", VERTEX_URL))
        } else {
            Ok(Limit::Finite(176))
        }
    });
    let (_handle, mut rx, cache, cancel) = start(source.clone(), WarmerConfig::default());
    let events = until_complete(&mut rx).await;
    let asked = source.asked();
    let vertex = asked
        .iter()
        .filter(|c| c.service() == AIPLATFORM_SERVICE)
        .count();
    assert_eq!(
        (vertex, asked.len() - vertex),
        (1, 1),
        "one request per metric asked"
    );
    assert_eq!(
        count(&events, |e| matches!(
            e,
            WarmerEvent::ServiceDisabled { .. }
        )),
        1
    );
    // One batch: the GPU list was settled with the first answer, C3 answered in it.
    assert_eq!(
        count(&events, |e| matches!(e, WarmerEvent::BatchDone(_))),
        1
    );
    let c3 = cache.peek(&Catalog::default().c3_checks());
    assert!(c3.iter().all(|r| r.limit() == Some(Limit::Finite(176))));
    cancel.cancel();
}
