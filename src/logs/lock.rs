//! One process per log folder (SPEC §8, issue 11): an advisory lock on `quota-tui.lock`.
//!
//! The TUI and `warm` truncate `cache_warm.log` and `infra_verify_timing.log` when they start,
//! so a second one on the same folder would empty the first one's logs. Each takes an
//! exclusive, non-blocking `flock` ([`File::try_lock`]) on the lock file before it touches
//! the logs and keeps it for its whole run; the kernel drops it when the process ends, however
//! it ends, so a leftover lock file never blocks anyone. The holder writes who it is
//! (`pid=`, `host=`, `started=`) into the file, and a refused instance reads that back to say
//! which process holds the folder. `launch` (and `check`) only append entries (`O_APPEND`)
//! and take no lock: a launch from a second terminal beside a running TUI keeps working.
//!
//! The lock file is opened like the logs (no symlink, no FIFO, mode 0600; see
//! [`super::files`]) and never removed: removing it would let a third process lock a new
//! file while the second still holds the old one.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::path::Path;

use super::files::{LogFileError, open_regular};

/// The lock file's name inside the log folder.
pub const LOCK_FILE: &str = "quota-tui.lock";

/// Most bytes read back from a lock file someone else wrote.
const MAX_HOLDER_BYTES: u64 = 4096;

/// The held lock on a log folder; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// Who holds a log folder, as read back from its lock file (fields it did not write, or
/// wrote in a shape we do not accept, are `None`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Holder {
    pub pid: Option<u32>,
    pub host: Option<String>,
    pub started: Option<String>,
}

impl Holder {
    /// Parse the lock file's `key=value` lines. Every value is someone else's text, so only
    /// the shapes we write are kept: digits for the pid, a host name of letters, digits, `.`,
    /// `-` and `_` (at most 253), a time stamp of digits, `-`, `:` and `T`.
    pub fn parse(text: &str) -> Self {
        let mut h = Holder::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim();
            match key.trim() {
                "pid" => h.pid = value.parse().ok(),
                "host" if is_host(value) => h.host = Some(value.to_string()),
                "started" if is_timestamp(value) => h.started = Some(value.to_string()),
                _ => {}
            }
        }
        h
    }

    /// `pid 1234 on host build-7 (started 2026-11-21T02:45:22)`, as much as is known.
    pub fn describe(&self) -> String {
        let mut s = match self.pid {
            Some(pid) => format!("pid {pid}"),
            None => "a process that has not written its pid yet".to_string(),
        };
        if let Some(host) = &self.host {
            s.push_str(&format!(" on host {host}"));
        }
        if let Some(started) = &self.started {
            s.push_str(&format!(" (started {started})"));
        }
        s
    }
}

fn is_host(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 253
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

fn is_timestamp(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 32
        && v.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b':' | b'T' | b'+'))
}

/// This machine's host name (empty when it cannot be read).
fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for `buf.len()` bytes; gethostname writes at most that many.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the folder.
    #[error(
        "the log folder {dir} is in use by another quota-tui: {holder}; only one TUI or warm \
         daemon writes a log folder at a time (it empties the logs when it starts): quit that \
         one, or pass --log-dir to use another folder",
        dir = dir.display(),
        holder = holder.describe()
    )]
    Held {
        dir: std::path::PathBuf,
        holder: Holder,
    },
    /// The lock file cannot be opened (a symlink, a FIFO, not ours, ...).
    #[error(transparent)]
    File(#[from] LogFileError),
    /// Locking or writing the lock file failed.
    #[error("cannot lock {path}: {error}; pass --log-dir to use another folder", path = path.display())]
    Io {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
}

/// Take the lock of log folder `dir` (already checked by
/// [`prepare_dir`](super::files::prepare_dir)) without waiting, and write this process's pid,
/// host and `started` time stamp into the lock file.
///
/// Errors: [`LockError::Held`] naming the holder when another process has it; the lock file's
/// own problems otherwise.
pub fn lock_dir(dir: &Path, started: &str) -> Result<DirLock, LockError> {
    let path = dir.join(LOCK_FILE);
    let mut file = open_regular(
        &path,
        OpenOptions::new().read(true).write(true).create(true),
    )?;
    let io = |error| LockError::Io {
        path: path.clone(),
        error,
    };
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            // Best effort: a holder that has not written yet is described as such.
            let _ = (&mut file).take(MAX_HOLDER_BYTES).read_to_string(&mut text);
            return Err(LockError::Held {
                dir: dir.to_path_buf(),
                holder: Holder::parse(&text),
            });
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    file.set_len(0).map_err(io)?;
    let me = format!(
        "pid={}\nhost={}\nstarted={started}\n",
        std::process::id(),
        host_name()
    );
    file.write_all(me.as_bytes()).map_err(io)?;
    file.flush().map_err(io)?;
    Ok(DirLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_naming_the_holder_and_freed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_dir(dir.path(), "2026-11-21T02:45:22").unwrap();
        let e = lock_dir(dir.path(), "2026-11-21T02:45:23").unwrap_err();
        let LockError::Held { holder, .. } = &e else {
            panic!("{e}")
        };
        assert_eq!(holder.pid, Some(std::process::id()));
        assert_eq!(holder.started.as_deref(), Some("2026-11-21T02:45:22"));
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        assert!(msg.contains("--log-dir"), "{msg}");
        drop(first);
        lock_dir(dir.path(), "2026-11-21T02:45:24").expect("free again");
    }

    #[test]
    fn holder_text_keeps_only_the_shapes_we_write() {
        let h = Holder::parse("pid=12\nhost=build-7.example\nstarted=2026-11-21T02:45:22\n");
        assert_eq!(
            h.describe(),
            "pid 12 on host build-7.example (started 2026-11-21T02:45:22)"
        );
        let h = Holder::parse("pid=1\x1b[2J\nhost=evil\x1b]0;title\x07\nstarted=\n");
        assert_eq!(h, Holder::default());
        assert_eq!(h.describe(), "a process that has not written its pid yet");
    }
}
