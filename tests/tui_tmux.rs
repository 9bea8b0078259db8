//! End to end in a real terminal: the built binary on the embedded demo in a detached tmux
//! session (120×40). Waits for the cache to be warm, switches screens, opens help, then sends
//! SIGTERM and checks the terminal left the alternate screen, all within 2 s.
//!
//! Skipped, with a note, when `tmux` is not installed. `QUOTA_TUI_TMUX_BIN` runs another
//! binary taking the same flags instead (e.g. a release build: `target/release/quota-tui`).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server (its own socket and config), killed when dropped.
struct Tmux {
    socket: String,
    config: PathBuf,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f"])
            .arg(&self.config)
            .args(args)
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn capture(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "e2e"])
    }

    /// Poll the pane until `want` is on it; panics with the last capture after `within`.
    fn wait_for(&self, want: &str, within: Duration) -> String {
        self.wait_for_all(&[want], within)
    }

    /// Wait until every one of `want` is on the screen at once.
    fn wait_for_all(&self, want: &[&str], within: Duration) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if want.iter().all(|w| screen.contains(w)) {
                return screen;
            }
            let dead = self.run(&["display-message", "-p", "-t", "e2e", "#{pane_dead}"]);
            assert!(
                dead.trim() != "1",
                "the program exited before {want:?} showed:\n{}",
                self.run(&["capture-pane", "-p", "-S", "-", "-t", "e2e"])
                    .trim()
            );
            assert!(
                start.elapsed() < within,
                "no {want:?} on the screen after {within:?}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn warm_switch_help_and_sigterm_in_tmux() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("note: tmux is not installed; skipping the tmux end-to-end test");
        return;
    }
    let bin = std::env::var_os("QUOTA_TUI_TMUX_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_quota-tui")));
    let logs = tempfile::tempdir().unwrap();
    let command = format!(
        "exec {} --demo --no-snapshot --interval 100ms --demo-latency 5ms..20ms --log-dir {}",
        shell_quote(&bin.display().to_string()),
        shell_quote(&logs.path().display().to_string())
    );
    // remain-on-exit from the start: a binary that exits at once leaves its output to read.
    let config = logs.path().join("tmux.conf");
    std::fs::write(&config, "set -g remain-on-exit on\n").unwrap();
    let tmux = Tmux {
        socket: format!("quota-tui-e2e-{}", std::process::id()),
        config,
    };
    tmux.run(&[
        "new-session",
        "-d",
        "-x",
        "120",
        "-y",
        "40",
        "-s",
        "e2e",
        &command,
    ]);

    let screen = tmux.wait_for("38/38", Duration::from_secs(30));
    assert!(screen.contains("quota-tui · DEMO"), "{screen}");

    tmux.run(&["send-keys", "-t", "e2e", "2"]);
    // Wait for every part: a capture can land while a frame is half written.
    tmux.wait_for_all(
        &["GPU quota", "C3 private pools", "H200"],
        Duration::from_secs(5),
    );

    tmux.run(&["send-keys", "-t", "e2e", "4"]);
    tmux.wait_for_all(
        &["Warmer statistics", "hit rate", "C3 us-central1"],
        Duration::from_secs(5),
    );

    tmux.run(&["send-keys", "-t", "e2e", "?"]);
    let screen = tmux.wait_for("Esc or ? to close", Duration::from_secs(5));
    assert!(screen.contains("Ctrl-C"), "{screen}");

    let pid = tmux.run(&["display-message", "-p", "-t", "e2e", "#{pane_pid}"]);
    let pid = pid.trim();
    assert!(
        !pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit()),
        "pid {pid:?}"
    );
    assert_eq!(
        tmux.run(&["display-message", "-p", "-t", "e2e", "#{alternate_on}"])
            .trim(),
        "1",
        "the TUI runs on the alternate screen"
    );
    let sent = Instant::now();
    let kill = Command::new("kill").args(["-TERM", pid]).status().unwrap();
    assert!(kill.success());
    loop {
        let state = tmux.run(&[
            "display-message",
            "-p",
            "-t",
            "e2e",
            "#{pane_dead} #{alternate_on}",
        ]);
        if state.trim() == "1 0" {
            break;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(2),
            "still {state:?} (pane_dead alternate_on) 2 s after SIGTERM:\n{}",
            tmux.capture()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
