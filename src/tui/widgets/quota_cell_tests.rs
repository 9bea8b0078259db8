use super::*;
use crate::gcp::{ApiError, ErrorKind};
use crate::store::{Entry, Failure, GoodValue, Usage};
use chrono::{DateTime, Utc};
use ratatui::style::Modifier;
use std::time::Duration;

const TTL: Duration = Duration::from_secs(60);
const FRESH: Duration = Duration::from_secs(1);
const STALE: Duration = Duration::from_secs(61);

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-21T02:45:22Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn failure(kind: ErrorKind) -> Failure {
    Failure {
        error: ApiError::new(kind, "no"),
        at: now(),
        latency: Duration::ZERO,
    }
}

/// An entry holding `limit` fetched `age` ago (stale from the 60 s TTL on) with `in_use`
/// read with it, and the failure `error` after it when given.
fn cached(
    limit: Option<Limit>,
    in_use: Option<i64>,
    age: Duration,
    error: Option<ErrorKind>,
) -> Cached {
    let entry = Entry {
        good: limit.map(|limit| {
            let mut good = GoodValue::new(limit, now() - age, Duration::ZERO);
            good.usage = in_use.map(|in_use| Usage {
                in_use,
                fetched_at: now() - age,
                latency: Duration::ZERO,
            });
            good
        }),
        last_error: error.map(failure),
    };
    Cached::new(Some(&entry), TTL, now())
}

fn good(limit: i64, in_use: i64, age: Duration) -> Cached {
    cached(Some(Limit::Finite(limit)), Some(in_use), age, None)
}

#[test]
fn cells_show_free_over_limit_coloured_by_what_is_free() {
    let t = Theme::colored();
    assert_eq!(quota_cell(None, &t), ("…".into(), t.pending));
    assert_eq!(
        quota_cell(Some(&cached(None, None, FRESH, None)), &t),
        ("…".into(), t.pending)
    );
    assert_eq!(
        quota_cell(Some(&good(16, 12, FRESH)), &t),
        ("4/16".into(), t.positive)
    );
    // A limit all in use is red, like a zero limit; usage over the limit is still 0 free.
    assert_eq!(
        quota_cell(Some(&good(16, 16, FRESH)), &t),
        ("0/16".into(), t.zero)
    );
    assert_eq!(
        quota_cell(Some(&good(8, 9, FRESH)), &t),
        ("0/8".into(), t.zero)
    );
    assert_eq!(
        quota_cell(Some(&good(0, 0, FRESH)), &t),
        ("0/0".into(), t.zero)
    );
    let unlimited = cached(Some(Limit::Unlimited), Some(3), FRESH, None);
    assert_eq!(quota_cell(Some(&unlimited), &t), ("∞".into(), t.positive));
    let failed = cached(None, None, FRESH, Some(ErrorKind::Permission));
    assert_eq!(quota_cell(Some(&failed), &t), ("!".into(), t.failed));
}

#[test]
fn unknown_usage_reads_question_mark_but_a_zero_limit_is_known_full() {
    let t = Theme::colored();
    let unknown = cached(Some(Limit::Finite(16)), None, FRESH, None);
    assert_eq!(
        quota_cell(Some(&unknown), &t),
        ("?/16".into(), t.toast_warn)
    );
    let value = cell_value(&unknown).unwrap();
    assert_eq!(value.free, None);
    assert!(value.maybe_free() && !value.has_free());
    let zero = cached(Some(Limit::Finite(0)), None, FRESH, None);
    assert_eq!(quota_cell(Some(&zero), &t), ("0/0".into(), t.zero));
    assert_eq!(cell_value(&zero).unwrap().free, Some(Limit::Finite(0)));
}

#[test]
fn failed_and_stale_values_keep_issue_11s_marks_and_are_dimmed() {
    let t = Theme::colored();
    let (text, style) = quota_cell(Some(&good(8, 0, STALE)), &t);
    assert_eq!(text, "8/8~");
    assert!(style.add_modifier.contains(Modifier::DIM));

    // A good value whose last refresh failed: kept, marked, dimmed; stale too: both marks.
    let kept = cached(
        Some(Limit::Finite(16)),
        Some(12),
        FRESH,
        Some(ErrorKind::Permission),
    );
    let (text, style) = quota_cell(Some(&kept), &t);
    assert_eq!(text, "4/16!");
    assert!(style.add_modifier.contains(Modifier::DIM));
    assert_eq!(style.fg, t.positive.fg);
    let kept_stale = cached(
        Some(Limit::Finite(16)),
        Some(12),
        STALE,
        Some(ErrorKind::Permission),
    );
    assert_eq!(quota_cell(Some(&kept_stale), &t).0, "4/16!~");

    // The usage read failed behind a kept usage: the free shown is old, so marked too.
    let mut usage_failed = good(16, 12, FRESH);
    let mut entry = usage_failed.entry().clone();
    entry.good.as_mut().unwrap().usage_error = Some(Box::new(failure(ErrorKind::Timeout)));
    usage_failed = Cached::new(Some(&entry), TTL, now());
    assert!(usage_refresh_failed(&usage_failed));
    let (text, style) = quota_cell(Some(&usage_failed), &t);
    assert_eq!(text, "4/16!");
    assert!(style.add_modifier.contains(Modifier::DIM));
    // With no usage ever read, `?` says it: no extra mark, not dimmed.
    let mut never = cached(Some(Limit::Finite(16)), None, FRESH, None);
    let mut entry = never.entry().clone();
    entry.good.as_mut().unwrap().usage_error = Some(Box::new(failure(ErrorKind::Permission)));
    never = Cached::new(Some(&entry), TTL, now());
    assert_eq!(quota_cell(Some(&never), &t), ("?/16".into(), t.toast_warn));
}

#[test]
fn shown_values_say_what_is_still_a_hit() {
    let failed = cached(None, None, FRESH, Some(ErrorKind::Permission));
    assert_eq!(shown_value(&cached(None, None, FRESH, None)), None);
    assert_eq!(shown_value(&failed), None);
    assert_eq!(cell_value(&failed), None);
    assert_eq!(
        shown_value(&good(0, 0, FRESH)),
        Some((Limit::Finite(0), true))
    );
    assert_eq!(
        shown_value(&good(8, 0, STALE)),
        Some((Limit::Finite(8), false))
    );
    let kept = cached(
        Some(Limit::Finite(16)),
        None,
        FRESH,
        Some(ErrorKind::QuotaExceeded),
    );
    assert_eq!(shown_value(&kept), Some((Limit::Finite(16), true)));
    assert_eq!(
        cell_value(&good(16, 14, STALE)),
        Some(CellValue {
            limit: Limit::Finite(16),
            free: Some(Limit::Finite(2)),
            fresh: false
        })
    );
}

#[test]
fn free_limit_text_is_shared_with_the_launch_ranking() {
    let t = Theme::colored();
    assert_eq!(
        free_limit_text(Some(Limit::Finite(2)), Limit::Finite(16)),
        "2/16"
    );
    assert_eq!(free_limit_text(None, Limit::Finite(16)), "?/16");
    assert_eq!(free_limit_text(None, Limit::Unlimited), "∞");
    assert_eq!(free_style(Some(Limit::Finite(0)), &t), t.zero);
    assert_eq!(free_style(Some(Limit::Unlimited), &t), t.positive);
    assert_eq!(free_style(None, &t), t.toast_warn);
}
