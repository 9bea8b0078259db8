//! Where a shared store lives: a `redis://` or `rediss://` URL (SPEC §11), whose password is
//! a secret like the token: never in a log, an output or a screen.
//!
//! [`RedisTarget`] keeps the URL to itself: `Display` and `Debug` show only the scheme, host,
//! port and database (`redis://cache.internal:6379/0`), and [`RedisTarget::redact`] takes
//! the password (and the username) out of any text before it is logged, in case a client
//! error ever quotes them.

use std::fmt;

/// A parsed `--store` URL: `redis://[user:password@]host[:port][/db]` (TCP) or `rediss://...`
/// (TLS through rustls, certificates checked against the platform's roots).
#[derive(Clone)]
pub struct RedisTarget {
    client: redis::Client,
    shown: String,
    secrets: Vec<String>,
}

/// A `--store` value that is not a Redis URL this program accepts. Its text never holds the
/// password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(String);

const EXPECTED: &str = "expected redis://[user:password@]host:port/db or rediss://... (TLS)";

impl RedisTarget {
    /// Parse `url` (from `--store`, `QUOTA_TUI_STORE` or `store =` in the config).
    ///
    /// Errors: not a URL, a scheme other than `redis` / `rediss`, no host, a `#fragment`
    /// (`#insecure` would turn certificate checks off), a database that is not a number.
    /// The message shows the URL without its password.
    pub fn parse(url: &str) -> Result<Self, TargetError> {
        let url = url.trim();
        let parsed = url::Url::parse(url).ok();
        let shown_input = parsed
            .as_ref()
            .map(without_credentials)
            .unwrap_or_else(|| "(not a URL)".into());
        let bad = |why: &str| TargetError(format!("{shown_input}: {why}; {EXPECTED}"));
        let Some(parsed) = parsed else {
            return Err(bad("not a URL"));
        };
        if !matches!(parsed.scheme(), "redis" | "rediss") {
            return Err(bad(&format!("unknown scheme '{}'", parsed.scheme())));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(bad("no host"));
        }
        if parsed.fragment().is_some() {
            return Err(bad(
                "a #fragment is not accepted (certificate checks stay on)",
            ));
        }
        let client = redis::Client::open(url).map_err(|_| bad("not a Redis URL"))?;
        let info = client.get_connection_info();
        let tls = matches!(info.addr(), redis::ConnectionAddr::TcpTls { .. });
        let shown = format!(
            "{}://{}/{}",
            if tls { "rediss" } else { "redis" },
            info.addr(),
            info.redis_settings().db()
        );
        let secrets = [
            info.redis_settings().password(),
            info.redis_settings().username(),
            Some(parsed.password().unwrap_or_default()),
        ]
        .into_iter()
        .flatten()
        .filter(|s| s.len() >= 3)
        .map(str::to_string)
        .collect();
        Ok(RedisTarget {
            client,
            shown,
            secrets,
        })
    }

    /// The client for this URL (credentials inside).
    pub(crate) fn client(&self) -> &redis::Client {
        &self.client
    }

    /// `redis://host:port/db` (or `rediss://`): the URL without user or password.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// `text` with the password and username of the URL replaced by `***`: for any text
    /// from the Redis client before it is logged or shown.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            out = out.replace(s.as_str(), "***");
        }
        out
    }
}

/// `scheme://host:port/path` of `u`, without user and password.
fn without_credentials(u: &url::Url) -> String {
    let mut u = u.clone();
    let _ = u.set_password(None);
    let _ = u.set_username("");
    u.set_fragment(None);
    u.set_query(None);
    u.to_string()
}

impl fmt::Display for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisTarget({})", self.shown)
    }
}

impl PartialEq for RedisTarget {
    fn eq(&self, other: &Self) -> bool {
        self.shown == other.shown && self.secrets == other.secrets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_credentials() {
        let t = RedisTarget::parse("redis://alice:s3cr3t-pw@cache.internal:6380/2").unwrap();
        assert_eq!(t.shown(), "redis://cache.internal:6380/2");
        assert_eq!(t.to_string(), "redis://cache.internal:6380/2");
        assert!(!format!("{t:?}").contains("s3cr3t"));
        assert_eq!(t.redact("WRONGPASS alice s3cr3t-pw"), "WRONGPASS *** ***");
        let t = RedisTarget::parse("redis://127.0.0.1").unwrap();
        assert_eq!(t.shown(), "redis://127.0.0.1:6379/0");
        let t = RedisTarget::parse("rediss://:pw-only@h.example:6390/1").unwrap();
        assert_eq!(t.shown(), "rediss://h.example:6390/1");
        assert!(t.redact("x pw-only y").contains("***"));
    }

    #[test]
    fn bad_urls_are_refused_without_echoing_the_password() {
        for (url, why) in [
            ("http://u:hunter22@h:1/0", "unknown scheme 'http'"),
            ("rediss://u:hunter22@h:1/0#insecure", "fragment"),
            ("redis://u:hunter22@h:1/zero", "not a Redis URL"),
            ("not a url", "not a URL"),
            ("unix:///tmp/redis.sock", "unknown scheme"),
        ] {
            let e = RedisTarget::parse(url).unwrap_err().to_string();
            assert!(e.contains(why), "{url}: {e}");
            assert!(!e.contains("hunter22"), "{e}");
            assert!(e.contains("redis://"), "says what is expected: {e}");
        }
    }
}
