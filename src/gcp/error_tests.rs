use super::*;

fn hostile() -> ApiError {
    let mut e = ApiError::new(
        ErrorKind::Permission,
        "no\u{1b}[2J\n2026-11-21T02:45:33 ✅ CACHE_WARM_COMPLETE: forged",
    );
    e.http_status = Some(403);
    e.google_status = Some("PERMISSION\u{1b}]0;t\u{7}".to_string());
    e
}

#[test]
fn display_sanitises_google_text_and_json_text_keeps_it() {
    let e = hostile();
    assert_eq!(
        e.to_string(),
        "permission denied (403 PERMISSION\\u{1b}]0;t\\u{7}): no\\u{1b}[2J⏎2026-11-21T02:45:33 ✅ CACHE_WARM_COMPLETE: forged"
    );
    assert_eq!(
        e.unsanitized_text(),
        "permission denied (403 PERMISSION\u{1b}]0;t\u{7}): no\u{1b}[2J\n2026-11-21T02:45:33 ✅ CACHE_WARM_COMPLETE: forged"
    );
}

#[test]
fn messages_are_capped_when_kept_and_when_shown() {
    let e = ApiError::new(ErrorKind::Unavailable, "x".repeat(20 << 20)).cap_message();
    assert_eq!(
        e.message,
        format!(
            "{}…({} bytes more)",
            "x".repeat(MAX_MESSAGE_BYTES),
            (20 << 20) - MAX_MESSAGE_BYTES
        )
    );
    let shown = e.to_string();
    assert!(shown.len() < 600, "{}", shown.len());
    assert!(shown.starts_with("unavailable: xxx"), "{shown}");
    assert!(shown.ends_with("bytes more)"), "the tail is kept: {shown}");
    let raw = ApiError::new(ErrorKind::Unavailable, "y".repeat(1 << 20)).unsanitized_text();
    assert!(raw.len() < MAX_MESSAGE_BYTES + 100, "{}", raw.len());
}

/// `error.kind` of `check --json` is exactly SPEC §9's list, in JSON as in `as_str`.
#[test]
fn kinds_are_spec_9s_list() {
    let all = [
        ErrorKind::Auth,
        ErrorKind::Permission,
        ErrorKind::ServiceDisabled,
        ErrorKind::RateLimited,
        ErrorKind::QuotaExceeded,
        ErrorKind::Invalid,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::Unavailable,
        ErrorKind::Timeout,
        ErrorKind::Parse,
    ];
    let names: Vec<String> = all
        .iter()
        .map(|k| {
            let json = serde_json::to_value(k).unwrap();
            assert_eq!(json, k.as_str(), "serde and as_str agree");
            k.as_str().to_string()
        })
        .collect();
    assert_eq!(
        names.join(" "),
        "auth permission service_disabled rate_limited quota_exceeded invalid not_found \
         conflict unavailable timeout parse"
    );
    let retried: Vec<_> = all.iter().filter(|k| k.is_retryable()).collect();
    assert_eq!(retried, [&ErrorKind::RateLimited, &ErrorKind::Unavailable]);
}
