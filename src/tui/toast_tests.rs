use super::*;
use crate::catalog::{Capacity, Check, GpuType, Limit, MetricRequest};
use crate::gcp::{ApiError, ErrorKind, MetricOutcome};

#[tokio::test(start_paused = true)]
async fn toasts_expire_after_six_seconds_and_stack_is_bounded() {
    let mut t = Toasts::default();
    let now = Instant::now();
    t.push("a", ToastLevel::Ok, now);
    assert_eq!(t.take_deadlines(), vec![now + TOAST_TTL]);
    assert!(t.take_deadlines().is_empty());
    tokio::time::advance(Duration::from_secs(5)).await;
    assert!(!t.expire(Instant::now()));
    tokio::time::advance(Duration::from_secs(1)).await;
    assert!(t.expire(Instant::now()));
    assert!(t.is_empty());
    for i in 0..MAX_TOASTS + 2 {
        t.push(format!("{i}"), ToastLevel::Warn, Instant::now());
    }
    assert_eq!(t.len(), MAX_TOASTS);
    assert_eq!(t.iter().next().map(|x| x.text.as_str()), Some("2"));
    assert_eq!(
        t.current().map(|x| x.text.as_str()),
        Some("2"),
        "the oldest of equals"
    );
    assert_eq!(t.hidden(), MAX_TOASTS - 1);
    t.push("err", ToastLevel::Error, Instant::now());
    t.push("ok", ToastLevel::Ok, Instant::now());
    assert_eq!(
        t.current().map(|x| x.text.as_str()),
        Some("err"),
        "errors first"
    );
    t.push_progress(ProgressToast::WarmStarted, 0, 38, Instant::now());
    assert_eq!(
        t.current().and_then(|x| x.progress),
        Some(ProgressToast::WarmStarted),
        "the answer to the user's key first"
    );
}

#[tokio::test(start_paused = true)]
async fn a_progress_toast_is_replaced_in_place_and_kept_current() {
    let mut t = Toasts::default();
    let now = Instant::now();
    t.push("✅ other", ToastLevel::Ok, now);
    t.push_progress(ProgressToast::AlreadyWarming, 6, 38, now);
    tokio::time::advance(Duration::from_secs(2)).await;
    t.push_progress(ProgressToast::AlreadyWarming, 7, 38, Instant::now());
    assert_eq!(t.len(), 2, "one progress toast, never two");
    assert_eq!(t.current().unwrap().text, "⏳ Already warming (7/38)");
    assert!(t.update_progress(8, 38));
    assert!(!t.update_progress(8, 38), "same count, no change");
    assert_eq!(t.current().unwrap().text, "⏳ Already warming (8/38)");
    assert_eq!(t.hidden(), 1);
    // The second push has a new expiry: the first one's deadline does not end it.
    tokio::time::advance(Duration::from_secs(5)).await;
    assert!(t.expire(Instant::now()), "the plain toast went");
    assert_eq!(
        t.current().unwrap().progress,
        Some(ProgressToast::AlreadyWarming)
    );
    assert!(t.end_progress());
    assert!(t.is_empty() && !t.update_progress(9, 38));
}

#[tokio::test(start_paused = true)]
async fn a_toast_with_a_servers_text_is_one_sanitised_line() {
    let mut t = Toasts::default();
    let state = "JOB_STATE_PENDING\u{1b}[2J\n\u{202e}x";
    t.push(
        format!("🚀 Job submitted: train ({state})"),
        ToastLevel::Ok,
        Instant::now(),
    );
    assert_eq!(
        t.iter().next().unwrap().text,
        "🚀 Job submitted: train (JOB_STATE_PENDING\\u{1b}[2J⏎\\u{202e}x)"
    );
    t.push("y".repeat(10_000), ToastLevel::Ok, Instant::now());
    assert!(t.iter().last().unwrap().text.chars().count() < 600);
}

#[test]
fn one_toast_per_batch_names_every_failure() {
    let report = report(
        3,
        3200,
        vec![
            MetricOutcome::for_check(
                &Check::gpu(GpuType::T4, Capacity::Spot, "us-west1"),
                Err(ApiError::new(ErrorKind::RateLimited, "slow down")),
                Duration::from_millis(3200),
            ),
            MetricOutcome::for_check(
                &Check::c3("us-east4"),
                Err(ApiError::new(ErrorKind::Timeout, "late")),
                Duration::from_millis(3200),
            ),
        ],
    );
    assert_eq!(
        failed_checks_toast(&report).as_deref(),
        Some("💥 2 checks failed: T4 us-west1 (rate limited), C3 us-east4 (timed out)")
    );
    // A whole metric's request, and a region failing alone in a good answer.
    let gpu = MetricRequest::new(
        crate::catalog::QuotaMetric::Gpu {
            gpu: GpuType::L4,
            capacity: Capacity::Spot,
        },
        ["us-central1", "us-east1", "us-west1", "europe-west4"],
    );
    let whole = MetricOutcome::new(
        gpu.clone(),
        Err(ApiError::new(ErrorKind::Unavailable, "503")),
        Duration::ZERO,
    );
    let one_region = MetricOutcome::new(
        gpu,
        Ok(vec![
            Ok(Limit::Finite(1)),
            Err(ApiError::new(ErrorKind::Parse, "no bucket")),
        ]),
        Duration::ZERO,
    );
    let text = failed_checks_toast(&super::report(1, 10, vec![whole, one_region])).unwrap();
    assert!(
        text.starts_with("💥 7 checks failed: L4 in 4 regions (unavailable), L4 us-east1 ("),
        "{text}"
    );
    assert_eq!(
        slow_batch_toast(&report).as_deref(),
        Some("💀 Slow batch: 3.2s (batch 3 of cycle 1)")
    );
    let mut ok = report.clone();
    ok.level = BatchLevel::Good;
    ok.outcomes[0].result = Ok(vec![Ok(Limit::Finite(1))]);
    ok.outcomes.truncate(1);
    assert_eq!(failed_checks_toast(&ok), None);
    assert_eq!(slow_batch_toast(&ok), None);
}

#[test]
fn a_disabled_api_has_its_own_toast_with_the_url_not_a_failed_checks_toast() {
    let mut e = ApiError::new(
        ErrorKind::ServiceDisabled,
        "Cloud Build API has not been used",
    );
    e.details.activation_url = Some("https://console.example/cloudbuild".into());
    let c3 = Check::c3("us-central1");
    let only_disabled = report(
        1,
        900,
        vec![MetricOutcome::for_check(
            &c3,
            Err(e.clone()),
            Duration::from_millis(900),
        )],
    );
    assert_eq!(failed_checks_toast(&only_disabled), None);
    assert_eq!(
        service_disabled_toast(c3.metric, &e),
        "⛔ cloudbuild.googleapis.com not enabled: enable it at https://console.example/cloudbuild"
    );
    e.details
        .metadata
        .insert("serviceTitle".into(), "Cloud Build API".into());
    e.details.activation_url = None;
    assert_eq!(
        service_disabled_toast(c3.metric, &e),
        "⛔ Cloud Build API not enabled: Cloud Build API has not been used"
    );
}

#[test]
fn a_usage_failure_toast_says_what_to_do() {
    let t4 = crate::catalog::QuotaMetric::Gpu {
        gpu: GpuType::T4,
        capacity: Capacity::Spot,
    };
    let denied = ApiError::new(ErrorKind::Permission, "denied");
    assert_eq!(
        usage_failed_toast(t4, &denied),
        "🔒 Usage unknown (?): grant Monitoring Viewer (roles/monitoring.viewer) to read it; \
         limits still shown"
    );
    let mut off = ApiError::new(ErrorKind::ServiceDisabled, "off");
    off.details.activation_url = Some("https://console.developers.google.com/x".into());
    assert_eq!(
        usage_failed_toast(t4, &off),
        "⛔ Cloud Monitoring API not enabled: enable it at https://console.developers.google.com/x (usage ?)"
    );
    let late = ApiError::new(ErrorKind::Timeout, "late");
    assert_eq!(
        usage_failed_toast(t4, &late),
        "⚠️ T4 usage not read (timed out): the last reading is kept"
    );
}
