//! A live tail of a log file: each poll reads only the bytes appended since the last one.
//!
//! Used by the Logs screen on `cache_warm.log` (SPEC §8). A poll reads at most
//! [`MAX_READ_BYTES`] (so one poll stays short however big the file grew), keeps the last
//! `max_lines` lines, holds a partial last line until its newline arrives, and starts over when
//! the file shrank (a new session truncated it). The file is opened without following a
//! symlink and without blocking, and only a regular file is read (a FIFO or a link in its
//! place is reported as the poll's error).
//! Lines are sanitised as they are read (SPEC §4): a control byte in the file is shown as
//! `\u{1b}`, never sent to the terminal.

use std::collections::VecDeque;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::sanitize::Sanitized;

/// Most bytes read by one poll: 256 KiB.
pub const MAX_READ_BYTES: u64 = 256 * 1024;

/// Most characters kept of one line (our own lines are far shorter).
pub const MAX_LINE_CHARS: usize = 2000;

/// The tail of one file.
#[derive(Debug)]
pub struct LogTail {
    path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
    lines: VecDeque<String>,
    max_lines: usize,
    /// Why the file could not be read at the last poll (e.g. not created yet).
    error: Option<String>,
}

impl LogTail {
    /// A tail of `path` keeping its last `max_lines` lines; nothing is read until [`poll`].
    ///
    /// [`poll`]: LogTail::poll
    pub fn new(path: impl Into<PathBuf>, max_lines: usize) -> Self {
        LogTail {
            path: path.into(),
            offset: 0,
            partial: Vec::new(),
            lines: VecDeque::new(),
            max_lines: max_lines.max(1),
            error: None,
        }
    }

    /// The file being tailed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Complete lines read so far (the last `max_lines`), oldest first.
    pub fn lines(&self) -> &VecDeque<String> {
        &self.lines
    }

    /// Why the last poll could not read the file, if it could not.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Read what was appended since the last poll; true when the lines or the error changed.
    pub fn poll(&mut self) -> bool {
        match self.read_new() {
            Ok(changed) => {
                let had_error = self.error.take().is_some();
                changed || had_error
            }
            Err(e) => {
                let msg = if e.kind() == io::ErrorKind::NotFound {
                    "not written yet".to_string()
                } else {
                    e.to_string()
                };
                let changed = self.error.as_deref() != Some(msg.as_str());
                self.error = Some(msg);
                changed
            }
        }
    }

    fn read_new(&mut self) -> io::Result<bool> {
        // No symlink followed, no FIFO waited on: only a regular file is read.
        let mut file = crate::logs::files::open_for_reading(&self.path)?;
        let len = file.metadata()?.len();
        let mut changed = false;
        if len < self.offset {
            // Truncated by a new session: start over.
            self.offset = 0;
            self.partial.clear();
            self.lines.clear();
            changed = true;
        }
        if len == self.offset {
            return Ok(changed);
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let want = (len - self.offset).min(MAX_READ_BYTES);
        let before = self.partial.len();
        let read = file.take(want).read_to_end(&mut self.partial)?;
        debug_assert_eq!(self.partial.len(), before + read);
        self.offset += read as u64;
        let mut start = 0;
        while let Some(nl) = self.partial[start..].iter().position(|&b| b == b'\n') {
            let line = &self.partial[start..start + nl];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            push_line(&mut self.lines, self.max_lines, line);
            start += nl + 1;
            changed = true;
        }
        self.partial.drain(..start);
        if self.partial.len() > MAX_PARTIAL_BYTES {
            // A line that never ends is shown as it stands rather than held without bound.
            push_line(&mut self.lines, self.max_lines, &self.partial);
            self.partial.clear();
            changed = true;
        }
        Ok(changed)
    }
}

/// Most bytes of an unfinished last line held back: 64 KiB.
const MAX_PARTIAL_BYTES: usize = 64 * 1024;

/// Add one line of the file, keeping the last `max_lines`. The file may hold anything
/// (another process wrote it, an old version): what reaches the screen is sanitised and
/// capped; our own lines come out unchanged.
fn push_line(lines: &mut VecDeque<String>, max_lines: usize, line: &[u8]) {
    if lines.len() == max_lines {
        lines.pop_front();
    }
    let text = String::from_utf8_lossy(line);
    lines.push_back(Sanitized::new(&text).max_chars(MAX_LINE_CHARS).to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::Write;

    #[test]
    fn reads_appended_lines_keeps_partial_and_restarts_on_truncate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache_warm.log");
        let mut tail = LogTail::new(&path, 3);
        assert!(tail.poll(), "a missing file is reported");
        assert_eq!(tail.error(), Some("not written yet"));
        assert!(!tail.poll(), "same error, no change");

        let mut f = File::create(&path).unwrap();
        f.write_all("# header\nline 1\nline 2 é".as_bytes())
            .unwrap();
        assert!(tail.poll());
        assert_eq!(tail.error(), None);
        assert_eq!(
            tail.lines(),
            &["# header", "line 1"],
            "partial line held back"
        );
        f.write_all("t\nline 3\nline 4\n".as_bytes()).unwrap();
        assert!(tail.poll());
        assert_eq!(
            tail.lines(),
            &["line 2 ét", "line 3", "line 4"],
            "last 3 kept"
        );
        assert!(!tail.poll(), "nothing new");

        let mut f = File::create(&path).unwrap();
        f.write_all(b"new\n").unwrap();
        assert!(tail.poll());
        assert_eq!(tail.lines(), &["new"]);
    }

    #[test]
    fn control_bytes_in_the_file_never_reach_the_screen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache_warm.log");
        let mut f = File::create(&path).unwrap();
        f.write_all("2026-11-21T02:45:22 🚀 CACHE_WARM_START: ok\nx\x1b[2J\x1b]0;pwned\x07\u{9b}1m\u{202e}y\r\n".as_bytes())
            .unwrap();
        let mut tail = LogTail::new(&path, 10);
        assert!(tail.poll());
        assert_eq!(
            tail.lines(),
            &[
                "2026-11-21T02:45:22 🚀 CACHE_WARM_START: ok",
                "x\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\u{9b}1m\\u{202e}y"
            ]
        );
        // A line without an end is shown, capped, instead of being held without bound.
        f.write_all(&vec![b'z'; 3 * MAX_READ_BYTES as usize])
            .unwrap();
        while tail.poll() {}
        assert!(tail.partial.len() <= MAX_PARTIAL_BYTES);
        let last = tail.lines().back().unwrap();
        assert!(
            last.starts_with("zzz") && last.contains("bytes cut"),
            "{last}"
        );
        assert!(last.chars().count() < MAX_LINE_CHARS + 30);
    }

    #[test]
    fn a_symlink_or_fifo_in_place_of_the_file_is_reported_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "do not show\n").unwrap();
        let path = dir.path().join("cache_warm.log");
        std::os::unix::fs::symlink(&secret, &path).unwrap();
        let mut tail = LogTail::new(&path, 3);
        assert!(tail.poll());
        assert!(tail.lines().is_empty());
        assert!(
            tail.error().unwrap().contains("symbolic link"),
            "{:?}",
            tail.error()
        );

        std::fs::remove_file(&path).unwrap();
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string; mkfifo creates a FIFO and touches nothing else.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // Without O_NONBLOCK this poll would wait for a writer forever.
        assert!(tail.poll());
        assert!(tail.error().unwrap().contains("FIFO"), "{:?}", tail.error());
    }
}
