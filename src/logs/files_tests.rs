//! Tests of `files.rs`.

use super::*;
use std::os::unix::fs::{PermissionsExt, symlink};

fn open(path: &Path, mode: OpenMode, header: &str) -> Result<File, LogFileError> {
    let mut f = open_file(path)?;
    start_file(&mut f, path, mode, header)?;
    Ok(f)
}

fn flags(file: &File) -> i32 {
    // SAFETY: F_GETFL on an open descriptor.
    unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) }
}

#[test]
fn creates_0600_truncates_on_the_descriptor_and_clears_nonblocking() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cache_warm.log");
    let f = open(&p, OpenMode::Truncate, "# h\n").unwrap();
    assert_eq!(fs::metadata(&p).unwrap().mode() & 0o777, 0o600);
    assert_eq!(flags(&f) & libc::O_NONBLOCK, 0, "O_NONBLOCK cleared");
    assert_ne!(flags(&f) & libc::O_APPEND, 0, "appends");
    drop(f);
    fs::write(&p, "old session\n").unwrap();
    let mut f = open(&p, OpenMode::Append, "# h\n").unwrap();
    f.write_all(b"more\n").unwrap();
    assert_eq!(fs::read_to_string(&p).unwrap(), "old session\nmore\n");
    open(&p, OpenMode::Truncate, "# h\n").unwrap();
    assert_eq!(fs::read_to_string(&p).unwrap(), "# h\n");
}

#[test]
fn symlinks_fifos_and_hard_links_are_refused_and_their_targets_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("precious");
    fs::write(&target, "keep me").unwrap();
    let link = dir.path().join("cache_warm.log");
    symlink(&target, &link).unwrap();
    let e = open(&link, OpenMode::Truncate, "# h\n").unwrap_err();
    assert!(e.to_string().contains("cache_warm.log"), "{e}");
    assert!(e.to_string().contains("symbolic link"), "{e}");
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep me");
    assert!(open_for_reading(&link).is_err());

    let dangling = dir.path().join("infra_verify_timing.log");
    let nowhere = outside.path().join("created-by-a-fool");
    symlink(&nowhere, &dangling).unwrap();
    assert!(open(&dangling, OpenMode::Append, "# h\n").is_err());
    assert!(!nowhere.exists(), "a dangling link creates nothing");

    let fifo = dir.path().join("quota-tui.log");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string; mkfifo creates a FIFO and touches nothing else.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let e = open(&fifo, OpenMode::Append, "").unwrap_err();
    assert!(e.to_string().contains("FIFO"), "{e}");
    let e = open_for_reading(&fifo).unwrap_err();
    assert!(e.to_string().contains("FIFO"), "{e}");

    let hard = dir.path().join("hard.log");
    fs::hard_link(&target, &hard).unwrap();
    let e = open(&hard, OpenMode::Truncate, "").unwrap_err();
    assert!(e.to_string().contains("hard links"), "{e}");
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep me");
}

#[test]
fn folders_created_0700_symlinked_default_refused_named_followed_open_to_all_refused() {
    let base = tempfile::tempdir().unwrap();
    let made = base.path().join("a/b/logs");
    assert_eq!(prepare_dir(&made, DirOrigin::Default).unwrap(), made);
    assert_eq!(fs::metadata(&made).unwrap().mode() & 0o777, 0o700);

    let link = base.path().join("linked");
    symlink(&made, &link).unwrap();
    let e = prepare_dir(&link, DirOrigin::Default).unwrap_err();
    assert!(e.to_string().contains("symbolic link"), "{e}");
    assert_eq!(
        prepare_dir(&link, DirOrigin::Named).unwrap(),
        fs::canonicalize(&made).unwrap()
    );

    let open = base.path().join("open");
    fs::create_dir(&open).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    let e = prepare_dir(&open, DirOrigin::Named).unwrap_err();
    assert!(e.to_string().contains("writable by every user"), "{e}");

    let file = base.path().join("plain");
    fs::write(&file, "").unwrap();
    let e = prepare_dir(&file, DirOrigin::Named).unwrap_err();
    assert!(e.to_string().contains("not a directory"), "{e}");
}
