//! End to end in a real terminal: the built binary on the embedded demo in a detached tmux
//! session (120×40). Waits for the cache to be warm, switches screens, opens help, then sends
//! SIGTERM and checks the terminal left the alternate screen, all within 2 s. And finding
//! things: `/` then `h100` narrows the Cache screen to the H100 rows, and a mouse click (SGR
//! bytes, as a terminal sends them) on a tab switches screens.
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

/// The demo in a private tmux server, `width`×`height`, logging to a temp dir; `None` (with
/// a note) when tmux is not installed.
fn start_demo(name: &str, width: u16, height: u16) -> Option<(Tmux, tempfile::TempDir)> {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("note: tmux is not installed; skipping the tmux end-to-end test");
        return None;
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
        socket: format!("quota-tui-{name}-{}", std::process::id()),
        config,
    };
    tmux.run(&[
        "new-session",
        "-d",
        "-x",
        &width.to_string(),
        "-y",
        &height.to_string(),
        "-s",
        "e2e",
        &command,
    ]);
    Some((tmux, logs))
}

#[test]
fn warm_switch_help_and_sigterm_in_tmux() {
    let Some((tmux, _logs)) = start_demo("e2e", 120, 40) else {
        return;
    };
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

/// The left button pressed and released at 0-based (`column`, `row`), as a terminal with
/// SGR mouse reporting (crossterm's) sends it: `ESC [ < 0 ; x ; y M` then `... m`, 1-based.
fn sgr_click(column: u16, row: u16) -> Vec<String> {
    let seq = format!(
        "\x1b[<0;{x};{y}M\x1b[<0;{x};{y}m",
        x = column + 1,
        y = row + 1
    );
    seq.bytes().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn slash_h100_filters_the_cache_and_a_click_on_a_tab_switches_screens_in_tmux() {
    let Some((tmux, _logs)) = start_demo("filter", 120, 40) else {
        return;
    };
    tmux.wait_for("38/38", Duration::from_secs(30));
    tmux.run(&["send-keys", "-t", "e2e", "4"]);
    tmux.wait_for_all(
        &["Warmer statistics", "T4 us-central1"],
        Duration::from_secs(5),
    );
    tmux.run(&["send-keys", "-t", "e2e", "/"]);
    tmux.run(&["send-keys", "-t", "e2e", "-l", "h100"]);
    let screen = tmux.wait_for("/h100 (4 of 38)", Duration::from_secs(5));
    for region in ["us-central1", "us-east1", "us-west1", "europe-west4"] {
        assert!(screen.contains(&format!("H100 {region}")), "{screen}");
    }
    assert!(!screen.contains("T4 us-"), "only H100 rows: {screen}");
    assert!(!screen.contains("C3 us-"), "only H100 rows: {screen}");
    assert!(
        screen.contains("Warmer statistics"),
        "1 typed, no switch to Home: {screen}"
    );
    // Enter keeps the filter; Esc clears it, every check back.
    tmux.run(&["send-keys", "-t", "e2e", "Enter"]);
    tmux.run(&["send-keys", "-t", "e2e", "Escape"]);
    tmux.wait_for_all(&["T4 us-central1", "Checks (1–"], Duration::from_secs(5));

    // A click on the tab "5 Logs" (row 1; where its label is on the tab bar).
    let tabs = tmux.capture();
    let tab_row = tabs.lines().nth(1).expect("the tab bar");
    let col = tab_row.find("5 Logs").expect("the Logs tab") as u16;
    // Byte offset → column: the tab bar's separators are 3-byte `│`, one column each.
    let col = tab_row[..col as usize].chars().count() as u16 + 2;
    let mut args = vec!["send-keys", "-t", "e2e", "-H"];
    let hex = sgr_click(col, 1);
    args.extend(hex.iter().map(String::as_str));
    tmux.run(&args);
    tmux.wait_for("cache_warm.log (live tail)", Duration::from_secs(5));
    // And back: a click on "1 Home".
    let col = tab_row[..tab_row.find("1 Home").unwrap()].chars().count() as u16 + 2;
    let hex = sgr_click(col, 1);
    let mut args = vec!["send-keys", "-t", "e2e", "-H"];
    args.extend(hex.iter().map(String::as_str));
    tmux.run(&args);
    tmux.wait_for("Where you can run now", Duration::from_secs(5));
}
