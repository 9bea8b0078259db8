//! Toasts: short messages in one slot just above the footer, dismissed after 6 s (SPEC §10,
//! k9s's flash messages). One shows at a time ([`Toasts::current`]: the answer to the
//! user's own key first, then errors before warnings before the rest, the oldest first
//! among equals, so a burst does not flicker and an error with a link to act on is not
//! hidden by the summary after it), with a count of the others still live (`+2`); a
//! progress toast (the warmer's "Already warming (6/38)") is replaced in place
//! and its count kept current, never stacked or left stale. Times are on tokio's clock so
//! tests can run them under a paused clock.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::catalog::QuotaMetric;
use crate::gcp::{ApiError, ErrorKind};
use crate::warmer::{BatchLevel, BatchReport};

/// How long a toast stays: 6 s.
pub const TOAST_TTL: Duration = Duration::from_secs(6);
/// At most this many toasts are kept; the oldest goes first.
pub const MAX_TOASTS: usize = 8;

/// A toast's tone (its style).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastLevel {
    Ok,
    Warn,
    Error,
}

/// A toast that follows the warmer's progress: at most one is live, and its count is
/// rewritten as checks land ([`Toasts::update_progress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressToast {
    /// "Warm now" started a cycle: `🔄 Warming now: 3/38`.
    WarmStarted,
    /// "Warm now" while a cycle runs: `⏳ Already warming (6/38)`.
    AlreadyWarming,
}

impl ProgressToast {
    /// The text at `done` of `total` checks.
    pub fn text(self, done: usize, total: usize) -> String {
        match self {
            ProgressToast::WarmStarted => format!("🔄 Warming now: new cycle, {done}/{total}"),
            ProgressToast::AlreadyWarming => format!("⏳ Already warming ({done}/{total})"),
        }
    }

    fn level(self) -> ToastLevel {
        match self {
            ProgressToast::WarmStarted => ToastLevel::Ok,
            ProgressToast::AlreadyWarming => ToastLevel::Warn,
        }
    }
}

/// One toast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub text: String,
    pub level: ToastLevel,
    /// When it disappears (tokio clock).
    pub expires: Instant,
    /// Set for the one toast that follows the warmer's progress.
    pub progress: Option<ProgressToast>,
}

/// The live toasts, oldest first; the newest is the one shown.
#[derive(Debug, Default)]
pub struct Toasts {
    items: VecDeque<Toast>,
    /// Expiry times not yet handed to the event loop's timer.
    new_deadlines: Vec<Instant>,
}

impl Toasts {
    /// Show `text` from `now` for [`TOAST_TTL`]. The text is sanitised (it may carry a job's
    /// name or state from the server): one line, escapes made visible, at most
    /// [`crate::sanitize::MAX_CHARS`] characters.
    pub fn push(&mut self, text: impl Into<String>, level: ToastLevel, now: Instant) {
        self.push_toast(crate::sanitize::sanitize(&text.into()), level, now, None);
    }

    /// Show the progress toast `kind` at `done`/`total` from now for [`TOAST_TTL`],
    /// replacing the live progress toast if there is one (it becomes the newest, with a new
    /// expiry): asking twice shows one toast, never two.
    pub fn push_progress(&mut self, kind: ProgressToast, done: usize, total: usize, now: Instant) {
        self.items.retain(|t| t.progress.is_none());
        self.push_toast(kind.text(done, total), kind.level(), now, Some(kind));
    }

    /// Rewrite the live progress toast's count to `done`/`total` (its expiry unchanged);
    /// true when its text changed.
    pub fn update_progress(&mut self, done: usize, total: usize) -> bool {
        let Some(t) = self.items.iter_mut().find(|t| t.progress.is_some()) else {
            return false;
        };
        let text = t.progress.expect("found by it").text(done, total);
        let changed = t.text != text;
        t.text = text;
        changed
    }

    /// Drop the progress toast (its cycle ended: the count would go stale); true when one
    /// was live.
    pub fn end_progress(&mut self) -> bool {
        let before = self.items.len();
        self.items.retain(|t| t.progress.is_none());
        self.items.len() != before
    }

    fn push_toast(
        &mut self,
        text: String,
        level: ToastLevel,
        now: Instant,
        progress: Option<ProgressToast>,
    ) {
        let expires = now + TOAST_TTL;
        if self.items.len() == MAX_TOASTS {
            self.items.pop_front();
        }
        self.items.push_back(Toast {
            text,
            level,
            expires,
            progress,
        });
        self.new_deadlines.push(expires);
    }

    /// Drop the toasts expired at `now`; true when any was dropped.
    pub fn expire(&mut self, now: Instant) -> bool {
        let before = self.items.len();
        self.items.retain(|t| t.expires > now);
        self.items.len() != before
    }

    /// The toast shown: the progress toast (the answer to the user's "warm now") if live,
    /// else the most severe live toast, the oldest among equals.
    pub fn current(&self) -> Option<&Toast> {
        let rank = |t: &Toast| {
            let level = match t.level {
                ToastLevel::Error => 2,
                ToastLevel::Warn => 1,
                ToastLevel::Ok => 0,
            };
            (t.progress.is_some(), level)
        };
        // max_by_key keeps the last of equals: walk newest first to get the oldest.
        self.items.iter().rev().max_by_key(|t| rank(t))
    }

    /// How many live toasts the shown one hides (the `+2` beside it).
    pub fn hidden(&self) -> usize {
        self.items.len().saturating_sub(1)
    }

    /// Live toasts, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Toast> {
        self.items.iter()
    }

    /// Number of live toasts.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when no toast is shown.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Expiry times of toasts pushed since the last call, for the loop to wake at.
    pub fn take_deadlines(&mut self) -> Vec<Instant> {
        std::mem::take(&mut self.new_deadlines)
    }
}

/// The toast at the end of a cycle of `total` checks, `failed` of which failed, that took
/// `elapsed`: `✅ Cache warm: 38/38 checks in 10.2s`, with `(3 failed)` as a warning, or
/// `💥 Cycle done in 10.2s: all 38 checks failed (Cache screen)` as an error.
pub fn cycle_complete_toast(
    total: usize,
    failed: usize,
    elapsed: Duration,
) -> (String, ToastLevel) {
    let (n, secs) = (total, elapsed.as_secs_f64());
    if n > 0 && failed >= n {
        (
            format!("💥 Cycle done in {secs:.1}s: all {n} checks failed (Cache screen)"),
            ToastLevel::Error,
        )
    } else if failed > 0 {
        (
            format!("✅ Cache warm: {n}/{n} checks in {secs:.1}s ({failed} failed)"),
            ToastLevel::Warn,
        )
    } else {
        (
            format!("✅ Cache warm: {n}/{n} checks in {secs:.1}s"),
            ToastLevel::Ok,
        )
    }
}

/// The toast for a slow batch (> 3000 ms, `BatchLevel::Slow`), if this one was.
pub fn slow_batch_toast(report: &BatchReport) -> Option<String> {
    (report.level == BatchLevel::Slow).then(|| {
        format!(
            "💀 Slow batch: {:.1}s (batch {} of cycle {})",
            report.elapsed.as_secs_f64(),
            report.batch,
            report.cycle
        )
    })
}

/// ONE toast summarising a batch's failed checks, if any failed: `💥 6 checks failed: T4 in
/// 4 regions (rate limited), C3 us-east4 (timed out), A100 us-west1 (unreadable answer)`. A
/// request that failed names its metric and how many regions it covers (its one region when
/// it had one); a region that failed alone in a good answer is named with its region. A
/// `service_disabled` answer is left out: it has its own toast, once per cycle
/// ([`service_disabled_toast`]).
pub fn failed_checks_toast(report: &BatchReport) -> Option<String> {
    let mut items: Vec<String> = Vec::new();
    let mut cells = 0;
    for o in &report.outcomes {
        let request = &o.request;
        match &o.result {
            Err(e) if e.kind == ErrorKind::ServiceDisabled => {}
            Err(e) if request.len() == 1 => {
                cells += 1;
                items.push(format!("{} ({})", request.check(0), e.kind.describe()));
            }
            Err(e) => {
                cells += request.len();
                items.push(format!(
                    "{} in {} regions ({})",
                    request.metric,
                    request.len(),
                    e.kind.describe()
                ));
            }
            Ok(limits) => {
                for (i, e) in limits
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e)))
                {
                    cells += 1;
                    items.push(format!("{} ({})", request.check(i), e.kind.describe()));
                }
            }
        }
    }
    if cells == 0 {
        return None;
    }
    let mut s = if cells == 1 {
        "💥 Check failed: ".to_string()
    } else {
        format!("💥 {cells} checks failed: ")
    };
    s.push_str(&items.join(", "));
    Some(s)
}

/// The one toast of a disabled API (SPEC §4): `⛔ Service Usage API not enabled: enable it
/// at https://console.developers.google.com/apis/api/...`. Short, so the URL fits whole in
/// the toast's lines; `metric`'s service names the API when Google's metadata does not.
pub fn service_disabled_toast(metric: QuotaMetric, error: &ApiError) -> String {
    let d = &error.details;
    let api = d
        .service_title()
        .or(d.service())
        .unwrap_or(metric.service());
    match &d.activation_url {
        Some(url) => format!("⛔ {api} not enabled: enable it at {url}"),
        None => format!("⛔ {api} not enabled: {}", error.message),
    }
}

/// The one toast of a usage failure (once per cycle and kind, SPEC §4 Usage): what to do so
/// usage can be read, short enough for the toast's lines. `🔒 Usage unknown (?): grant
/// Monitoring Viewer (roles/monitoring.viewer) to read it; limits still shown`, `⛔ Cloud
/// Monitoring API not enabled: enable it at URL (usage ?)`, or `⚠️ T4 usage not read (timed
/// out): the last reading is kept`.
pub fn usage_failed_toast(metric: QuotaMetric, error: &ApiError) -> String {
    use crate::gcp::monitoring::MONITORING_VIEWER_ROLE;
    match error.kind {
        ErrorKind::Permission => format!(
            "🔒 Usage unknown (?): grant Monitoring Viewer ({MONITORING_VIEWER_ROLE}) to read \
             it; limits still shown"
        ),
        ErrorKind::ServiceDisabled => {
            let d = &error.details;
            let api = d
                .service_title()
                .or(d.service())
                .unwrap_or("Cloud Monitoring API");
            match &d.activation_url {
                Some(url) => format!("⛔ {api} not enabled: enable it at {url} (usage ?)"),
                None => format!("⛔ {api} not enabled (usage ?): {}", error.message),
            }
        }
        kind => format!(
            "⚠️ {metric} usage not read ({}): the last reading is kept",
            kind.describe()
        ),
    }
}

/// A batch report for tests: batch `batch` of cycle 1 at positions `batch`/20 and
/// `batch`/18, taking `elapsed_ms`, with these outcomes. The one place tests build a report.
#[cfg(test)]
pub(crate) fn report(
    batch: usize,
    elapsed_ms: u64,
    outcomes: Vec<crate::gcp::MetricOutcome>,
) -> BatchReport {
    use crate::warmer::ListPos;
    let elapsed = Duration::from_millis(elapsed_ms);
    BatchReport {
        cycle: 1,
        batch,
        repair: false,
        gpu: ListPos {
            n: batch,
            total: 20,
        },
        c3: ListPos {
            n: batch,
            total: 18,
        },
        elapsed,
        level: BatchLevel::of(elapsed),
        outcomes,
    }
}

#[cfg(test)]
mod tests {
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
}
