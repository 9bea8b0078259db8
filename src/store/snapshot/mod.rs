//! The snapshot store (SPEC §11): the memory store, saved to a file after each complete
//! cycle and on exit, and loaded before the first frame, so a restart is warm at once.
//!
//! One file per project and capacity in the platform cache folder
//! (`~/.cache/quota-tui/project-P-spot.json` on Linux; the demo keeps `demo-spot.json`). It
//! holds a format name and version, the project, capacity and demo flag (so a foreign or old
//! file is recognised), when it was saved, the start of the last complete cycle (the warmer
//! schedules its next cycle from it: refresh-ahead), and every entry (values, errors, fetch
//! times, latencies; never a credential). Entries keep their wall-clock fetch times, so one
//! younger than the TTL loads fresh and an older one stale, with its age (SPEC §6).
//!
//! A missing file starts cold; a corrupt, unreadable, oversized or foreign one is logged and
//! ignored, never fatal. The file is read and written as [`file`] says: never through a
//! symlink, mode 0600, replaced atomically.

pub mod file;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::wire::{self, SavedEntry};
use super::{Backing, CacheCounters, Cached, Clock, Entry, Failure, GoodValue, MemoryStore};
use super::{QuotaStore, SnapshotLoad};
use crate::catalog::{Capacity, Check};

/// The format name written in every snapshot.
pub const FORMAT: &str = "quota-tui snapshot";
/// The format version this build writes and reads.
pub const VERSION: u32 = 1;
/// Most entries loaded from a file (the default catalog has 38 per capacity).
pub const MAX_ENTRIES: usize = 2_000;

/// Whose snapshot a file is: a project (or the demo) at a capacity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotKey {
    pub project: String,
    pub capacity: Capacity,
    pub demo: bool,
}

impl SnapshotKey {
    /// The file's name: `demo-spot.json`, or `project-P-on-demand.json` with characters
    /// outside `A-Za-z0-9._:-` of the project replaced by `_` (the file also names the
    /// project, so two projects that map to one name are told apart on load).
    pub fn file_name(&self) -> String {
        let capacity = self.capacity.word();
        if self.demo {
            return format!("demo-{capacity}.json");
        }
        let project: String = self
            .project
            .chars()
            .take(100)
            .map(|c| match c {
                'A'..='Z' | 'a'..='z' | '0'..='9' | '.' | '_' | ':' | '-' => c,
                _ => '_',
            })
            .collect();
        format!("project-{project}-{capacity}.json")
    }

    /// The file in the platform cache folder (`~/.cache/quota-tui/` on Linux, following
    /// `XDG_CACHE_HOME`); `None` when the platform has no home folder.
    pub fn default_path(&self) -> Option<PathBuf> {
        let dirs = directories::ProjectDirs::from("", "", "quota-tui")?;
        Some(dirs.cache_dir().join(self.file_name()))
    }
}

/// A snapshot file (format [`VERSION`] 1).
#[derive(Debug, Serialize, Deserialize)]
struct SnapshotFile {
    format: String,
    version: u32,
    #[serde(flatten)]
    key: SnapshotKey,
    saved_at: DateTime<Utc>,
    /// The start of the last complete cycle (SPEC §7).
    cycle_started: Option<DateTime<Utc>>,
    entries: Vec<SavedEntry>,
}

/// The first fields of a file, read first to tell a foreign or newer file from a corrupt one.
#[derive(Deserialize)]
struct Header {
    format: String,
    version: u32,
    #[serde(flatten)]
    key: SnapshotKey,
}

/// Why a snapshot file was not loaded (logged; the app starts cold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored(pub String);

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The snapshot in `bytes`, checked against `key`: the entries kept (each checked,
/// [`wire::checked`]) and the saved cycle start.
fn decode(
    bytes: &[u8],
    key: &SnapshotKey,
) -> Result<(Vec<SavedEntry>, Option<DateTime<Utc>>), Ignored> {
    let header: Header = serde_json::from_slice(bytes)
        .map_err(|e| Ignored(format!("not a quota-tui snapshot ({e})")))?;
    if header.format != FORMAT {
        return Err(Ignored("not a quota-tui snapshot".into()));
    }
    if header.version != VERSION {
        return Err(Ignored(format!(
            "format version {} (this quota-tui reads version {VERSION})",
            header.version
        )));
    }
    if header.key != *key {
        return Err(Ignored(format!(
            "saved for {} at {} capacity{}, not this run's",
            header.key.project,
            header.key.capacity.word(),
            if header.key.demo { " (demo)" } else { "" }
        )));
    }
    let file: SnapshotFile =
        serde_json::from_slice(bytes).map_err(|e| Ignored(format!("corrupt ({e})")))?;
    if file.entries.len() > MAX_ENTRIES {
        return Err(Ignored(format!(
            "{} entries, more than the {MAX_ENTRIES} a snapshot may hold",
            file.entries.len()
        )));
    }
    let entries = file.entries.into_iter().filter_map(wire::checked).collect();
    Ok((entries, file.cycle_started))
}

/// The memory store saved to a snapshot file (SPEC §11). Shared as `Arc<SnapshotStore>` or
/// `Arc<dyn QuotaStore>`; reads and writes are the memory store's.
pub struct SnapshotStore {
    inner: Arc<Inner>,
}

struct Inner {
    memory: MemoryStore,
    path: PathBuf,
    key: SnapshotKey,
    state: Mutex<State>,
    /// Held while saving, so two saves of this process never share the temporary file.
    saving: Mutex<()>,
}

struct State {
    load: SnapshotLoad,
    cycle_started: Option<DateTime<Utc>>,
}

impl fmt::Debug for SnapshotStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnapshotStore")
            .field("path", &self.inner.path)
            .field("memory", &self.inner.memory)
            .finish()
    }
}

impl SnapshotStore {
    /// A store whose entries expire after `ttl` on `clock`, filled from the snapshot at
    /// `path` when there is a good one for `key`. Never fails: a missing file starts cold, a
    /// bad one is logged (warn) and ignored ([`SnapshotStore::load`] says which).
    pub fn open(path: PathBuf, key: SnapshotKey, ttl: Duration, clock: Arc<dyn Clock>) -> Self {
        let memory = MemoryStore::with_clock(ttl, clock);
        let (load, cycle_started) = match file::read_capped(&path) {
            Ok(None) => (SnapshotLoad::Missing, None),
            Err(e) => (SnapshotLoad::Ignored(format!("unreadable: {e}")), None),
            Ok(Some(bytes)) => match decode(&bytes, &key) {
                Err(why) => (SnapshotLoad::Ignored(why.0), None),
                Ok((entries, cycle_started)) => {
                    for saved in &entries {
                        wire::put_entry(&memory, &saved.check, &saved.entry);
                    }
                    let load = SnapshotLoad::Loaded {
                        at: memory.now(),
                        entries: entries.len(),
                    };
                    (load, cycle_started)
                }
            },
        };
        match &load {
            SnapshotLoad::Loaded { entries, .. } => {
                tracing::info!("snapshot {}: {entries} entries loaded", path.display())
            }
            SnapshotLoad::Ignored(why) => {
                tracing::warn!("snapshot {} ignored: {why}", path.display())
            }
            SnapshotLoad::Missing | SnapshotLoad::Off => {}
        }
        let state = Mutex::new(State {
            load,
            cycle_started,
        });
        SnapshotStore {
            inner: Arc::new(Inner {
                memory,
                path,
                key,
                state,
                saving: Mutex::new(()),
            }),
        }
    }

    /// The snapshot file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// What the load at start found.
    pub fn load(&self) -> SnapshotLoad {
        self.inner
            .state
            .lock()
            .expect("snapshot state")
            .load
            .clone()
    }

    /// Write every entry and the last complete cycle's start to the file now (atomically, as
    /// [`file::write_atomic`] says). Nothing is written while the store is empty.
    ///
    /// Errors: the folder or the file cannot be written (the message names the path).
    pub fn save(&self) -> Result<(), String> {
        self.inner.save()
    }

    /// Save on the blocking thread pool when a tokio runtime runs this thread, else here;
    /// a failure is logged (warn).
    fn save_in_background(&self) {
        let inner = self.inner.clone();
        let job = move || {
            if let Err(e) = inner.save() {
                tracing::warn!("{e}");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(job)),
            Err(_) => job(),
        }
    }
}

impl Inner {
    fn save(&self) -> Result<(), String> {
        let _one_at_a_time = self.saving.lock().expect("snapshot save lock");
        let mut entries: Vec<SavedEntry> = self
            .memory
            .entries()
            .into_iter()
            .map(|(check, entry)| SavedEntry { check, entry })
            .collect();
        if entries.is_empty() {
            return Ok(());
        }
        entries.sort_by(|a, b| a.check.cmp(&b.check));
        let cycle_started = self.state.lock().expect("snapshot state").cycle_started;
        let file = SnapshotFile {
            format: FORMAT.into(),
            version: VERSION,
            key: self.key.clone(),
            saved_at: self.memory.now(),
            cycle_started,
            entries,
        };
        let bytes = serde_json::to_vec(&file).expect("a snapshot serializes");
        file::write_atomic(&self.path, &bytes)
            .map_err(|e| format!("snapshot {} not saved: {e}", self.path.display()))
    }
}

impl QuotaStore for SnapshotStore {
    fn ttl(&self) -> Duration {
        self.inner.memory.ttl()
    }

    fn clock(&self) -> &Arc<dyn Clock> {
        self.inner.memory.clock()
    }

    fn read(&self, checks: &[Check]) -> Vec<Cached> {
        self.inner.memory.read(checks)
    }

    fn peek(&self, checks: &[Check]) -> Vec<Cached> {
        self.inner.memory.peek(checks)
    }

    fn put_ok(&self, check: &Check, good: GoodValue) {
        self.inner.memory.put_ok(check, good)
    }

    fn put_err(&self, check: &Check, failure: Failure) {
        self.inner.memory.put_err(check, failure)
    }

    fn entries(&self) -> Vec<(Check, Entry)> {
        self.inner.memory.entries()
    }

    fn counters(&self) -> CacheCounters {
        self.inner.memory.counters()
    }

    /// Record the cycle's start and save the snapshot (on the blocking pool).
    fn cycle_complete(&self, started: DateTime<Utc>) {
        self.inner
            .state
            .lock()
            .expect("snapshot state")
            .cycle_started = Some(started);
        self.save_in_background();
    }

    fn last_cycle_start(&self) -> Option<DateTime<Utc>> {
        self.inner
            .state
            .lock()
            .expect("snapshot state")
            .cycle_started
    }

    /// Save now (the process is ending); a failure is logged.
    fn close(&self) {
        if let Err(e) = self.save() {
            tracing::warn!("{e}");
        }
    }

    fn backing(&self) -> Backing {
        Backing::Snapshot {
            path: self.inner.path.clone(),
            load: self.load(),
        }
    }
}

#[cfg(test)]
mod tests;
