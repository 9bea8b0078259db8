//! Where the cache lives (SPEC §11): `--store`, `QUOTA_TUI_STORE` or `store = "..."` in the
//! config file (flag over environment over file), and whether the snapshot is kept
//! (`--no-snapshot`, `snapshot = false`).
//!
//! A store is `redis://[user:password@]host:port/db`, `rediss://...` (TLS), or `memory` (this
//! process only: a way to override a file's Redis for one run). The password never appears in
//! a message: errors show the URL without it ([`RedisTarget`]).

use std::path::Path;

use toml::Spanned;

use crate::exit::Failure;
use crate::origin::Origin;
use crate::store::redis::RedisTarget;

/// The environment variable naming the store.
pub const STORE_ENV: &str = "QUOTA_TUI_STORE";

/// The store settings, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreSettings {
    /// The shared Redis store, or `None` for this process's own store.
    pub redis: Option<RedisTarget>,
    /// Load the snapshot at start and save it after each complete cycle and on exit
    /// (default; off with `--no-snapshot` or `snapshot = false`).
    pub snapshot: bool,
    /// Where `redis` came from.
    pub store_origin: Origin,
    /// Where `snapshot` came from.
    pub snapshot_origin: Origin,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            redis: None,
            snapshot: true,
            store_origin: Origin::Default,
            snapshot_origin: Origin::Default,
        }
    }
}

impl StoreSettings {
    /// `memory`, `memory + snapshot`, or the Redis URL without its password: for
    /// `quota-tui config`.
    pub fn describe(&self) -> String {
        match (&self.redis, self.snapshot) {
            (Some(t), _) => t.shown().to_string(),
            (None, true) => "memory + snapshot".into(),
            (None, false) => "memory".into(),
        }
    }
}

/// What the config file said about the store.
#[derive(Debug, Default, Clone, Copy)]
pub struct FileStore<'a> {
    pub store: Option<&'a Spanned<String>>,
    pub snapshot: Option<&'a Spanned<bool>>,
}

/// The store settings from the flags (`--store`, `--no-snapshot`), the environment
/// ([`STORE_ENV`]; empty means unset) and the file at `path` (whose `text` gives line
/// numbers), in that order.
///
/// Errors (exit 2): a store that is neither `memory` nor a Redis URL (naming where it came
/// from, never the password).
pub fn resolve_store(
    flag: Option<&str>,
    no_snapshot: bool,
    env: &dyn Fn(&str) -> Option<String>,
    file: FileStore<'_>,
    path: &Path,
    text: &str,
) -> Result<StoreSettings, Failure> {
    let in_file = || Origin::ConfigFile {
        path: path.to_path_buf(),
    };
    let line =
        |span: std::ops::Range<usize>| text[..span.start.min(text.len())].matches('\n').count() + 1;
    let (value, store_origin, where_) = if let Some(f) = flag {
        (
            Some(f.to_string()),
            Origin::flag("--store"),
            "--store".to_string(),
        )
    } else if let Some(v) = env(STORE_ENV).filter(|v| !v.trim().is_empty()) {
        (Some(v), Origin::env(STORE_ENV), STORE_ENV.to_string())
    } else if let Some(s) = file.store {
        let where_ = format!(
            "config file {} line {}: store",
            path.display(),
            line(s.span())
        );
        (Some(s.get_ref().clone()), in_file(), where_)
    } else {
        (None, Origin::Default, String::new())
    };
    let redis = match value.as_deref().map(str::trim) {
        None | Some("memory") => None,
        Some(url) => {
            Some(RedisTarget::parse(url).map_err(|e| Failure::usage(format!("{where_}: {e}")))?)
        }
    };
    let (snapshot, snapshot_origin) = match (no_snapshot, file.snapshot) {
        (true, _) => (false, Origin::flag("--no-snapshot")),
        (false, Some(s)) => (*s.get_ref(), in_file()),
        (false, None) => (true, Origin::Default),
    };
    Ok(StoreSettings {
        redis,
        snapshot,
        store_origin,
        snapshot_origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct F {
        store: Option<Spanned<String>>,
        snapshot: Option<Spanned<bool>>,
    }

    fn resolve(
        flag: Option<&str>,
        no_snapshot: bool,
        env: Option<&str>,
        toml_text: &str,
    ) -> Result<StoreSettings, Failure> {
        let f: F = toml::from_str(toml_text).unwrap();
        let env = env.map(str::to_string);
        resolve_store(
            flag,
            no_snapshot,
            &|k| (k == STORE_ENV).then(|| env.clone()).flatten(),
            FileStore {
                store: f.store.as_ref(),
                snapshot: f.snapshot.as_ref(),
            },
            Path::new("/c.toml"),
            toml_text,
        )
    }

    #[test]
    fn flag_over_environment_over_file() {
        let file = "store = \"redis://file:6379/0\"\nsnapshot = false\n";
        let s = resolve(None, false, None, file).unwrap();
        assert_eq!(s.redis.unwrap().shown(), "redis://file:6379/0");
        assert!(!s.snapshot);
        assert!(matches!(s.snapshot_origin, Origin::ConfigFile { .. }));
        let s = resolve(None, false, Some("redis://env:1/2"), file).unwrap();
        assert_eq!(s.redis.unwrap().shown(), "redis://env:1/2");
        assert_eq!(s.store_origin, Origin::env(STORE_ENV));
        let s = resolve(Some("memory"), true, Some("redis://env:1/2"), file).unwrap();
        assert_eq!((s.redis, s.snapshot), (None, false));
        assert_eq!(s.store_origin, Origin::flag("--store"));
        assert_eq!(s.snapshot_origin, Origin::flag("--no-snapshot"));
        let s = resolve(None, false, Some(" "), "").unwrap();
        assert_eq!(s, StoreSettings::default());
        assert_eq!(s.describe(), "memory + snapshot");
    }

    #[test]
    fn a_bad_store_names_where_it_came_from_but_never_the_password() {
        let e = resolve(None, false, None, "\nstore = \"http://u:hunter22@h/0\"\n").unwrap_err();
        assert_eq!(e.code, crate::exit::USAGE);
        assert!(
            e.message.starts_with("config file /c.toml line 2: store: "),
            "{}",
            e.message
        );
        assert!(!e.message.contains("hunter22"), "{}", e.message);
        let e = resolve(None, false, Some("redis://u:hunter22@h/x"), "").unwrap_err();
        assert!(e.message.starts_with("QUOTA_TUI_STORE: "), "{}", e.message);
        assert!(!e.message.contains("hunter22"), "{}", e.message);
    }
}
