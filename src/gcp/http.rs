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

/// `base_url` as the clients use it (trimmed, no trailing `/`), for the API named `api` in
/// the error (`Service Usage`).
///
/// Errors (kind `NotFound`, nothing sent) when it is not an http(s) URL.
pub fn api_base_url(base_url: &str, api: &str) -> Result<String, ApiError> {
    let base_url = base_url.trim().trim_end_matches('/').to_string();
    if !(base_url.starts_with("http://") || base_url.starts_with("https://"))
        || reqwest::Url::parse(&base_url).is_err()
    {
        return Err(ApiError::new(
            ErrorKind::NotFound,
            format!("{api} URL '{base_url}' is not an http(s) URL"),
        ));
    }
    Ok(base_url)
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

/// Most bytes read of a successful answer: 4 MiB. A ConsumerQuotaMetric with every region's
/// bucket is about 20 KiB, a CustomJob a few KiB.
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// Most bytes read of an error answer: 64 KiB. Google's error bodies are under 2 KiB; a
/// proxy's HTML page is cut, and only its excerpt is kept anyway.
pub const MAX_ERROR_BODY_BYTES: usize = 64 << 10;

/// Read `response`'s body, never more than its cap (SPEC §4: "response bodies are read up
/// to a cap, never unbounded"), chunk by chunk as reqwest hands them over.
///
/// - A success (2xx) body over [`MAX_BODY_BYTES`] (announced by `Content-Length` or met while
///   reading) is an error of kind `Parse` ("the answer is over 4 MiB"); nothing more is read.
/// - An error body is read up to [`MAX_ERROR_BODY_BYTES`] and the rest left unread: a
///   truncated body is no longer Google's JSON, so [`classify_google_error`] classifies it by
///   its status and keeps an excerpt.
///
/// Dropping the response with its body half read closes the connection instead of
/// returning it to the pool. Errors: a transport failure while reading, as
/// [`transport_error`].
pub async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, ApiError> {
    let success = response.status().is_success();
    let cap = if success {
        MAX_BODY_BYTES
    } else {
        MAX_ERROR_BODY_BYTES
    };
    let too_big = || {
        ApiError::new(
            ErrorKind::Parse,
            format!(
                "the answer is over {} MiB, far more than a Google API sends; not read",
                MAX_BODY_BYTES >> 20
            ),
        )
    };
    let announced = response.content_length().unwrap_or(0);
    if success && announced > cap as u64 {
        return Err(too_big());
    }
    let mut body = Vec::with_capacity((announced as usize).min(cap));
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(&e))? {
        let room = cap - body.len();
        if chunk.len() > room {
            if success {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk[..room]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
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
