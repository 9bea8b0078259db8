//! Reading and writing the snapshot file without being tricked (SPEC §11; the rules of the
//! log files, issue 11).
//!
//! - A read opens the file with `O_NOFOLLOW | O_NONBLOCK` (a symlink is refused, a FIFO cannot
//!   block), checks the descriptor is a regular file of this user, and reads at most
//!   [`MAX_SNAPSHOT_BYTES`].
//! - A write never touches the file in place: it creates a temporary file beside it with
//!   `O_CREAT | O_EXCL | O_NOFOLLOW` and mode 0600, writes, `fsync`s, and renames it over the
//!   file. A rename replaces a symlink standing at the path; it never writes through it.
//! - The folder (`~/.cache/quota-tui/`) is created with mode 0700 when missing; it must be a
//!   directory of this user (not a symlink) that not everyone can write to.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

/// Most bytes a snapshot file may have: 4 MiB (the default catalog's is about 20 KiB, and
/// every error message in it is capped at 2 KiB).
pub const MAX_SNAPSHOT_BYTES: u64 = 4 << 20;

/// Mode of a snapshot file: read and write for the owner only.
pub const FILE_MODE: u32 = 0o600;
/// Mode of the snapshot folder when this program creates it.
pub const DIR_MODE: u32 = 0o700;

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The bytes of the snapshot at `path`, `Ok(None)` when there is none.
///
/// Errors: a symlink, FIFO, device or directory at `path` (never followed nor opened), a
/// file of another user, a file over [`MAX_SNAPSHOT_BYTES`], or any I/O error.
pub fn read_capped(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(invalid(
                "is a symbolic link, which is never followed".into(),
            ));
        }
        Err(e) => return Err(e),
    };
    let m = file.metadata()?;
    if !m.is_file() {
        return Err(invalid("is not a regular file".into()));
    }
    if m.uid() != effective_uid() {
        return Err(invalid(format!("belongs to user {}", m.uid())));
    }
    if m.len() > MAX_SNAPSHOT_BYTES {
        return Err(invalid(format!(
            "has {} bytes, more than the {MAX_SNAPSHOT_BYTES} a snapshot may have",
            m.len()
        )));
    }
    let mut bytes = Vec::with_capacity(m.len() as usize);
    file.take(MAX_SNAPSHOT_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SNAPSHOT_BYTES {
        return Err(invalid(format!(
            "grew past the {MAX_SNAPSHOT_BYTES} bytes a snapshot may have"
        )));
    }
    Ok(Some(bytes))
}

/// Make sure `dir` is a folder this program may write its snapshot into: created (mode
/// 0700, parents included) when missing; else a real directory (not a symlink) of this user
/// that not everyone can write to.
pub fn prepare_dir(dir: &Path) -> io::Result<()> {
    let m = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(dir)?;
            fs::symlink_metadata(dir)?
        }
        Err(e) => return Err(e),
    };
    if m.file_type().is_symlink() {
        return Err(invalid(format!(
            "folder {} is a symbolic link, which is never followed",
            dir.display()
        )));
    }
    if !m.is_dir() {
        return Err(invalid(format!("{} is not a folder", dir.display())));
    }
    if m.uid() != effective_uid() {
        return Err(invalid(format!(
            "folder {} belongs to user {}",
            dir.display(),
            m.uid()
        )));
    }
    if m.mode() & 0o002 != 0 {
        return Err(invalid(format!(
            "folder {} is writable by every user",
            dir.display()
        )));
    }
    Ok(())
}

/// Replace the file at `path` by `bytes` atomically: a temporary file beside it (created
/// new, mode 0600, never through a symlink), written and `fsync`ed, renamed over `path`, and
/// the folder `fsync`ed. A reader sees the old file or the new one, never half of one; a
/// symlink at `path` is replaced, not followed.
///
/// Errors: the folder is not safe ([`prepare_dir`]), or any I/O error (the temporary file is
/// removed).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    prepare_dir(dir)?;
    let name = path
        .file_name()
        .ok_or_else(|| invalid(format!("{} names no file", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    // A temporary file left by a crash of an earlier process with this pid: unlink never
    // follows a symlink.
    match fs::remove_file(&tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let result = write_new(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{PermissionsExt, symlink};

    use super::*;

    #[test]
    fn a_write_is_atomic_private_and_replaces_a_symlink_without_following_it() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache").join("quota-tui");
        let path = cache.join("p.json");
        write_atomic(&path, b"one").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"one");
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&cache), 0o700);

        let victim = dir.path().join("victim");
        fs::write(&victim, "keep me").unwrap();
        fs::remove_file(&path).unwrap();
        symlink(&victim, &path).unwrap();
        let err = read_capped(&path).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep me");
        assert!(
            !fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(read_capped(&path).unwrap().unwrap(), b"two");
        let leftovers: Vec<_> = fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
    }

    #[test]
    fn reads_refuse_big_files_fifos_and_linked_folders() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_capped(&dir.path().join("missing")).unwrap(), None);
        let big = dir.path().join("big");
        fs::File::create(&big)
            .unwrap()
            .set_len(MAX_SNAPSHOT_BYTES + 1)
            .unwrap();
        assert!(read_capped(&big).unwrap_err().to_string().contains("bytes"));
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(
            read_capped(&fifo).is_err(),
            "a FIFO is refused without blocking"
        );

        let real = dir.path().join("real");
        fs::create_dir(&real).unwrap();
        let linked = dir.path().join("linked");
        symlink(&real, &linked).unwrap();
        let err = write_atomic(&linked.join("p.json"), b"x").unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(fs::read_dir(&real).unwrap().count(), 0);
    }
}
