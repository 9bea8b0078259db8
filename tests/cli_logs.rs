//! The log folder end to end (issue 11): the symlink trap for each log file (a link to a
//! file outside the folder, and a dangling one), a FIFO in place of a log file, a second
//! instance on a busy folder, and `launch` appending beside a running daemon. Each run uses
//! the embedded demo and its own temporary folders.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const LOGS: [&str; 3] = ["cache_warm.log", "infra_verify_timing.log", "quota-tui.log"];

fn bin(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_quota-tui"));
    c.env_remove("GOOGLE_CLOUD_PROJECT")
        .env_remove("CLOUDSDK_CORE_PROJECT")
        .env_remove("GOOGLE_OAUTH_ACCESS_TOKEN")
        .env_remove("QUOTA_TUI_SERVICEUSAGE_URL")
        .env_remove("QUOTA_TUI_AIPLATFORM_URL")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn warm(home: &Path, log_dir: &Path, once: bool) -> Command {
    let mut c = bin(home);
    c.arg("warm");
    if once {
        c.arg("--once");
    }
    c.args(["--demo", "--interval", "50ms", "--demo-latency", "1ms..5ms"])
        .args(["--demo-error-rate", "0", "--log-dir"])
        .arg(log_dir);
    c
}

/// Run `cmd` to its end, killing it after `limit` (a hang fails the test instead of
/// blocking the suite).
fn run_bounded(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd.spawn().expect("spawn quota-tui");
    let t0 = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "quota-tui hung for {limit:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_symlink_in_place_of_any_log_file_is_refused_and_its_target_untouched() {
    for name in LOGS {
        for dangling in [false, true] {
            let home = tempfile::tempdir().unwrap();
            let outside = tempfile::tempdir().unwrap();
            let logs = home.path().join("logs");
            std::fs::create_dir(&logs).unwrap();
            let target = outside
                .path()
                .join(if dangling { "nothing" } else { "precious" });
            if !dangling {
                std::fs::write(&target, "keep me\n").unwrap();
            }
            let link = logs.join(name);
            symlink(&target, &link).unwrap();
            // The other logs hold a previous session: a refused start must not empty them.
            for other in LOGS.iter().filter(|&&o| o != name) {
                std::fs::write(logs.join(other), "previous session\n").unwrap();
            }

            let out = run_bounded(warm(home.path(), &logs, true), Duration::from_secs(30));
            let err = stderr(&out);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{name} dangling={dangling}: {err}"
            );
            assert!(
                err.contains(&link.display().to_string()),
                "names the path: {err}"
            );
            assert!(err.contains("symbolic link"), "{err}");
            if dangling {
                assert!(
                    !target.exists(),
                    "{name}: the dangling link created its target"
                );
            } else {
                assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
            }
            for other in LOGS.iter().filter(|&&o| o != name) {
                assert_eq!(
                    std::fs::read_to_string(logs.join(other)).unwrap(),
                    "previous session\n",
                    "{other} left as it was when {name} was refused"
                );
            }
            assert!(
                std::fs::symlink_metadata(&link)
                    .unwrap()
                    .file_type()
                    .is_symlink(),
                "the link itself is left alone"
            );
        }
    }
}

#[test]
fn launch_appending_refuses_a_symlinked_log_too() {
    let home = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let logs = home.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let target = outside.path().join("precious");
    std::fs::write(&target, "keep me\n").unwrap();
    symlink(&target, logs.join("infra_verify_timing.log")).unwrap();
    let mut cmd = bin(home.path());
    cmd.args([
        "launch",
        "--gpu",
        "T4",
        "--image",
        "gcr.io/x/y:1",
        "--dry-run",
    ])
    .args([
        "--demo-latency",
        "1ms..5ms",
        "--demo-error-rate",
        "0",
        "--log-dir",
    ])
    .arg(&logs);
    let out = run_bounded(cmd, Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("infra_verify_timing.log"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
}

#[test]
fn the_default_log_folder_must_not_be_a_symlink_but_a_named_one_is_followed() {
    let home = tempfile::tempdir().unwrap();
    let real = home.path().join("real-logs");
    std::fs::create_dir(&real).unwrap();
    let cwd = home.path().join("work");
    std::fs::create_dir(&cwd).unwrap();
    symlink(&real, cwd.join("logs")).unwrap();

    let mut cmd = bin(home.path());
    cmd.current_dir(&cwd)
        .args(["warm", "--once", "--demo", "--interval", "50ms"])
        .args(["--demo-latency", "1ms..5ms", "--demo-error-rate", "0"]);
    let out = run_bounded(cmd, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("log folder logs"), "{}", stderr(&out));
    assert!(
        std::fs::read_dir(&real).unwrap().next().is_none(),
        "nothing written"
    );

    let out = run_bounded(
        warm(home.path(), &cwd.join("logs"), true),
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(real.join("cache_warm.log").is_file());
}

#[test]
fn a_fifo_in_place_of_a_log_file_is_refused_without_hanging() {
    for name in LOGS {
        let home = tempfile::tempdir().unwrap();
        let logs = home.path().join("logs");
        std::fs::create_dir(&logs).unwrap();
        let fifo = logs.join(name);
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string; mkfifo creates a FIFO and touches nothing else.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let out = run_bounded(warm(home.path(), &logs, true), Duration::from_secs(15));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(&fifo.display().to_string()), "{err}");
        assert!(err.contains("FIFO"), "{err}");
    }
}

/// Wait until the daemon wrote its pid into the lock file.
fn wait_for_lock(logs: &Path, child: &mut Child) -> String {
    let t0 = Instant::now();
    loop {
        let text = std::fs::read_to_string(logs.join("quota-tui.lock")).unwrap_or_default();
        if text.contains("pid=") && text.contains("started=") {
            return text;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the daemon ended early"
        );
        assert!(t0.elapsed() < Duration::from_secs(30), "no lock file");
        std::thread::sleep(Duration::from_millis(20));
    }
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_line(path: &PathBuf, needle: &str) {
    let t0 = Instant::now();
    while !std::fs::read_to_string(path)
        .unwrap_or_default()
        .contains(needle)
    {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no {needle} in {path:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_second_instance_on_a_busy_folder_is_refused_naming_the_holder() {
    let home = tempfile::tempdir().unwrap();
    let logs = home.path().join("logs");
    let mut daemon = KillOnDrop(warm(home.path(), &logs, false).spawn().unwrap());
    let pid = daemon.0.id();
    let lock = wait_for_lock(&logs, &mut daemon.0);
    assert!(lock.contains(&format!("pid={pid}\n")), "{lock}");
    let warm_log = logs.join("cache_warm.log");
    wait_for_line(&warm_log, "CACHE_WARM_COMPLETE");
    let before = std::fs::read_to_string(&warm_log).unwrap();

    let out = run_bounded(warm(home.path(), &logs, true), Duration::from_secs(30));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("pid {pid}")),
        "names the holder: {err}"
    );
    assert!(err.contains("--log-dir"), "{err}");
    let after = std::fs::read_to_string(&warm_log).unwrap();
    assert!(
        after.starts_with(&before),
        "the first one's log was not emptied"
    );

    // `launch` only appends: it works beside the daemon, and its entry lands in the log.
    let mut cmd = bin(home.path());
    cmd.args([
        "launch",
        "--gpu",
        "T4",
        "--image",
        "gcr.io/x/y:1",
        "--dry-run",
    ])
    .args([
        "--demo-latency",
        "1ms..5ms",
        "--demo-error-rate",
        "0",
        "--log-dir",
    ])
    .arg(&logs);
    let out = run_bounded(cmd, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "launch beside the daemon: {}",
        stderr(&out)
    );
    wait_for_line(&logs.join("infra_verify_timing.log"), "FRESH, launch T4");

    // Another folder: runs normally.
    let other = home.path().join("other-logs");
    let out = run_bounded(warm(home.path(), &other, true), Duration::from_secs(60));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(other.join("cache_warm.log"))
            .unwrap()
            .contains("CACHE_WARM_COMPLETE")
    );

    // The daemon still holds its folder, and frees it when it ends.
    assert!(
        daemon.0.try_wait().unwrap().is_none(),
        "daemon still running"
    );
    // SAFETY: sending SIGTERM to our own child.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGTERM) }, 0);
    let status = daemon.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let out = run_bounded(warm(home.path(), &logs, true), Duration::from_secs(60));
    assert!(
        out.status.success(),
        "free after the holder ended: {}",
        stderr(&out)
    );
}
