//! Opening the log folder and its files without being tricked (SPEC §8, issue 11).
//!
//! The log folder and its files sit where other people and programs may have been first: a
//! symlink named `cache_warm.log` pointing at `/etc/passwd` would have the truncating open of
//! a naive tool destroy its target (as root, any file on the machine), a dangling one would
//! create the file it points at, and a FIFO would hang the open forever. So:
//!
//! - every file is opened with `O_NOFOLLOW` (a symlink is refused, never followed) and
//!   `O_NONBLOCK` (a FIFO cannot block the open; the flag is cleared again once the open file
//!   is known to be a regular file), created with mode 0600;
//! - the opened descriptor (not the path) is then checked: a regular file, owned by this user,
//!   with one link (a hard link to someone else's file is refused too); anything else is an
//!   error naming the path and what was found there;
//! - truncation happens on that descriptor (`set_len(0)`), never by re-opening the path;
//! - the folder is created with mode 0700 when missing; it must be a directory owned by this
//!   user and not writable by every user. The default folder (`logs`) must not be a symlink;
//!   a folder the user named (`--log-dir`, the config file) is followed if it is one, since
//!   the user asked for that path; the folder it leads to is checked the same way.
//!
//! Every error here is a configuration error (exit 2): the message names the path and says
//! what to do.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// The folder used when none is named.
pub const DEFAULT_DIR: &str = "logs";

/// Mode of a log file this program creates: read and write for the owner only.
pub const FILE_MODE: u32 = 0o600;
/// Mode of a log folder this program creates.
pub const DIR_MODE: u32 = 0o700;

/// How the log folder was chosen: decides whether a symlink in its place is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirOrigin {
    /// The default `logs` folder, which nobody asked for by name: a symlink there is refused.
    Default,
    /// Named by the user (`--log-dir`, the config file's `log_dir`): followed if a symlink.
    Named,
}

/// Why a log folder or file was refused. Its `Display` names the path and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct LogFileError {
    /// The path refused.
    pub path: PathBuf,
    message: String,
}

impl LogFileError {
    fn new(path: &Path, what: impl std::fmt::Display) -> Self {
        LogFileError {
            path: path.to_path_buf(),
            message: format!(
                "log file {} {what}; pass --log-dir to use another folder",
                path.display()
            ),
        }
    }

    fn dir(path: &Path, what: impl std::fmt::Display) -> Self {
        LogFileError {
            path: path.to_path_buf(),
            message: format!(
                "log folder {} {what}; pass --log-dir to use another folder",
                path.display()
            ),
        }
    }
}

/// The effective user ID of this process (the owner files and folders must have).
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid takes no arguments, cannot fail and touches no memory of ours.
    unsafe { libc::geteuid() }
}

/// What sits at `path`, as a phrase (`a symbolic link (to "/etc/passwd")`, `a FIFO`), from
/// `lstat`; `None` when nothing is there or it cannot be read. A link's target is shown with
/// `Debug` escaping: it is someone else's text.
fn describe(path: &Path) -> Option<String> {
    let m = fs::symlink_metadata(path).ok()?;
    let t = m.file_type();
    Some(if t.is_symlink() {
        match fs::read_link(path) {
            Ok(target) => format!("a symbolic link (to {target:?})"),
            Err(_) => "a symbolic link".to_string(),
        }
    } else {
        kind_of(&m).to_string()
    })
}

/// The kind of file `m` describes, as a phrase.
fn kind_of(m: &fs::Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_file() {
        "a regular file"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

/// Check that the folder described by `m` (at `path`) is one this user owns and nobody else
/// can write into.
fn check_dir(path: &Path, m: &fs::Metadata) -> Result<(), LogFileError> {
    if !m.is_dir() {
        return Err(LogFileError::dir(
            path,
            format!("is {}, not a directory", kind_of(m)),
        ));
    }
    let me = effective_uid();
    if m.uid() != me {
        return Err(LogFileError::dir(
            path,
            format!(
                "belongs to user {} (this is user {me}); logs go only into a folder of your own",
                m.uid()
            ),
        ));
    }
    if m.mode() & 0o002 != 0 {
        return Err(LogFileError::dir(
            path,
            format!(
                "is writable by every user (mode {:o}); logs go only into a folder of your own",
                m.mode() & 0o7777
            ),
        ));
    }
    Ok(())
}

/// Make sure the log folder `dir` exists and is safe to write into; returns the folder to
/// open files in (`dir` itself, or the folder a named symlink leads to).
///
/// Creates `dir` (and missing parents) with mode 0700 when it does not exist.
///
/// Errors: `dir` is something other than a directory; it is a symlink and `origin` is
/// [`DirOrigin::Default`]; the folder belongs to another user or is writable by everyone; it
/// cannot be created or read.
pub fn prepare_dir(dir: &Path, origin: DirOrigin) -> Result<PathBuf, LogFileError> {
    let m = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(dir)
                .map_err(|e| LogFileError::dir(dir, format!("cannot be created: {e}")))?;
            fs::symlink_metadata(dir)
                .map_err(|e| LogFileError::dir(dir, format!("cannot be read: {e}")))?
        }
        Err(e) => return Err(LogFileError::dir(dir, format!("cannot be read: {e}"))),
    };
    if !m.file_type().is_symlink() {
        check_dir(dir, &m)?;
        return Ok(dir.to_path_buf());
    }
    let what = describe(dir).unwrap_or_else(|| "a symbolic link".into());
    if origin == DirOrigin::Default {
        return Err(LogFileError {
            path: dir.to_path_buf(),
            message: format!(
                "log folder {d} is {what}; quota-tui does not follow a link it was not asked to \
                 follow: pass --log-dir {d} to use it, or --log-dir with another folder",
                d = dir.display()
            ),
        });
    }
    let target = fs::canonicalize(dir)
        .map_err(|e| LogFileError::dir(dir, format!("is {what} that cannot be followed: {e}")))?;
    let m = fs::metadata(&target)
        .map_err(|e| LogFileError::dir(&target, format!("cannot be read: {e}")))?;
    check_dir(&target, &m)?;
    Ok(target)
}

/// How [`open_file`] treats what is already in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Empty it (on the opened descriptor) and write `header`.
    Truncate,
    /// Keep it; write `header` only when the file is new or empty.
    Append,
}

/// Open the log file `path` for appending (every write lands at the end, `O_APPEND`), as
/// the module doc says: never through a symlink, never blocking, only a regular file of this
/// user with one link; created with mode 0600. Nothing in it is changed yet: open every log
/// first, then [`start_file`] each, so a refused file leaves the others as they were.
///
/// Errors name `path` and what was found there (a symlink and its target, a FIFO, ...).
pub fn open_file(path: &Path) -> Result<File, LogFileError> {
    open_regular(path, OpenOptions::new().append(true).create(true))
}

/// Start a session in `file` (opened by [`open_file`] from `path`): empty it on the
/// descriptor or not as `mode` says, then write `header` if the file is empty (nothing when
/// `header` is empty).
pub fn start_file(
    file: &mut File,
    path: &Path,
    mode: OpenMode,
    header: &str,
) -> Result<(), LogFileError> {
    let io_err = |e: io::Error| LogFileError::new(path, format!("cannot be written: {e}"));
    let empty = match mode {
        OpenMode::Truncate => {
            file.set_len(0).map_err(io_err)?;
            true
        }
        OpenMode::Append => file.metadata().map_err(io_err)?.len() == 0,
    };
    if empty && !header.is_empty() {
        file.write_all(header.as_bytes()).map_err(io_err)?;
        file.flush().map_err(io_err)?;
    }
    Ok(())
}

/// Open `path` read-only for the Logs screen's tail: no symlink, no blocking, regular files
/// only (owned by anyone: reading harms nothing). A missing file is `NotFound`.
///
/// Errors: `io::Error`s whose message says what was found at `path`.
pub fn open_for_reading(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match refusal(path, &e) {
            Some(what) => io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} {what}", path.display()),
            ),
            None => e,
        })?;
    let m = file.metadata()?;
    if !m.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is {}, not a regular file", path.display(), kind_of(&m)),
        ));
    }
    clear_nonblocking(&file)?;
    Ok(file)
}

/// When an open of `path` failed with `e` because of what is there (a symlink gives `ELOOP`,
/// a FIFO without a reader `ENXIO`, a directory `EISDIR`), the phrase saying so (`is a
/// symbolic link (to "/etc/passwd"), not a regular file ...`); `None` otherwise (`NotFound`
/// included).
fn refusal(path: &Path, e: &io::Error) -> Option<String> {
    if e.kind() == io::ErrorKind::NotFound {
        return None;
    }
    match describe(path) {
        Some(what) if what != "a regular file" => Some(format!(
            "is {what}, not a regular file (quota-tui does not follow links in its log folder \
             nor open pipes or devices)"
        )),
        _ => None,
    }
}

/// Open `path` with `options` plus `O_NOFOLLOW | O_NONBLOCK` and mode 0600 (when created),
/// check the descriptor is a regular file of this user with one link, and clear
/// `O_NONBLOCK`.
pub(crate) fn open_regular(path: &Path, options: &mut OpenOptions) -> Result<File, LogFileError> {
    let file = options
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match refusal(path, &e) {
            Some(what) => LogFileError::new(path, what),
            None => LogFileError::new(path, format!("cannot be opened: {e}")),
        })?;
    let m = file
        .metadata()
        .map_err(|e| LogFileError::new(path, format!("cannot be read: {e}")))?;
    if !m.is_file() {
        return Err(LogFileError::new(
            path,
            format!("is {}, not a regular file", kind_of(&m)),
        ));
    }
    let me = effective_uid();
    if m.uid() != me {
        return Err(LogFileError::new(
            path,
            format!("belongs to user {} (this is user {me})", m.uid()),
        ));
    }
    if m.nlink() > 1 {
        return Err(LogFileError::new(
            path,
            format!(
                "has {} hard links; a log file must be the only name of its contents",
                m.nlink()
            ),
        ));
    }
    clear_nonblocking(&file)
        .map_err(|e| LogFileError::new(path, format!("cannot be set to blocking: {e}")))?;
    Ok(file)
}

/// Clear `O_NONBLOCK` on an open regular file (it was set only so the open could not block).
fn clear_nonblocking(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: fcntl F_GETFL / F_SETFL on a descriptor we own (borrowed from `file`, open for
    // the whole call); no memory is passed.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    if flags & libc::O_NONBLOCK != 0 {
        // SAFETY: as above.
        let rc = unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
