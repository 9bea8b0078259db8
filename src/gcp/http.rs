//! HTTP plumbing shared by the Google API clients: the one reqwest client constructor,
//! the classification of Google's JSON error bodies (SPEC §4, in `google_error.rs`), and
//! `Retry-After`.
//!
//! reqwest is built with `rustls-no-provider`, so the process's rustls crypto provider
//! (ring) is installed here before any client is built.

use std::time::{Duration, SystemTime};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::error::{ApiError, ErrorKind};
pub use super::google_error::classify_google_error;

/// `User-Agent` sent with every request: `quota-tui/<version>`.
pub const USER_AGENT: &str = concat!("quota-tui/", env!("CARGO_PKG_VERSION"));

/// Time allowed to open a TCP (+TLS) connection; the per-check deadline bounds the rest.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Build the reqwest client for the Google APIs (HTTPS through rustls with ring, platform
/// root certificates; HTTP for loopback test servers).
///
/// Installs ring as the process-wide rustls provider first (a no-op when one is already
/// installed). Panics only if reqwest cannot build a TLS configuration at all, which is a
/// build defect rather than a run-time condition.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .expect("reqwest client with rustls (ring) must build")
}

/// Characters escaped in a path segment: everything but letters, digits and `-._~`
/// (RFC 3986 unreserved), so a quota metric's `/` becomes `%2F`.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encode `s` as one URL path segment:
/// `aiplatform.googleapis.com/custom_model_training_nvidia_t4_gpus` →
/// `aiplatform.googleapis.com%2Fcustom_model_training_nvidia_t4_gpus`.
pub fn encode_path_segment(s: &str) -> String {
    utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

/// The `Retry-After` header as a delay from now, in either form RFC 9110 §10.2.3 allows:
/// delay-seconds (`120`) or an HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`, parsed by
/// `httpdate`, which also takes the two obsolete forms). A date in the past is a zero delay;
/// garbage gives `None`.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    retry_after_at(headers, SystemTime::now())
}

/// [`retry_after`] with the wall-clock time `now` (for tests).
pub fn retry_after_at(headers: &reqwest::header::HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

/// A reqwest failure (connect refused, reset, body cut short) as `Unavailable`, with the
/// cause chain in the message. reqwest's messages hold the URL, never a header.
pub fn transport_error(e: &reqwest::Error) -> ApiError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    ApiError::new(ErrorKind::Unavailable, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_keep_unreserved_characters_and_escape_slashes() {
        assert_eq!(
            encode_path_segment("cloudbuild.googleapis.com/concurrent_private_pool_c3_build_cpus"),
            "cloudbuild.googleapis.com%2Fconcurrent_private_pool_c3_build_cpus"
        );
        assert_eq!(encode_path_segment("a b?c#d~e"), "a%20b%3Fc%23d~e");
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:07 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after_at(&h, now), Some(Duration::from_secs(7)));
        // The obsolete RFC 850 form, as RFC 9110 asks recipients to accept.
        h.insert(
            "retry-after",
            "Wednesday, 21-Oct-15 07:28:30 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after_at(&h, now), Some(Duration::from_secs(30)));
        // A date already past: retry at once.
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:27:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after_at(&h, now), Some(Duration::ZERO));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn builds_twice_in_one_process() {
        let _a = super::http_client();
        let _b = super::http_client();
    }
}
