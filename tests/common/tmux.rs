//! A private tmux server for end-to-end terminal tests: its own socket and config file,
//! one session `e2e`, killed when dropped. Use with `#[path = "common/tmux.rs"] mod tmux;`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// True when tmux can be run (tests skip, with a note, when it cannot).
pub fn available() -> bool {
    Command::new("tmux").arg("-V").output().is_ok()
}

/// `s` quoted for `sh`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A tmux server on socket `socket` whose session `e2e` runs one command.
pub struct Tmux {
    socket: String,
    config: PathBuf,
}

impl Tmux {
    /// Start session `e2e` (`width`×`height`) running `command` (through `sh -c`), with
    /// `remain-on-exit` so the pane (its screen and modes) outlives the program. `dir` holds
    /// the config file.
    pub fn start(socket: &str, dir: &Path, width: u16, height: u16, command: &str) -> Self {
        let config = dir.join("tmux.conf");
        std::fs::write(&config, "set -g remain-on-exit on\n").unwrap();
        let tmux = Tmux {
            socket: socket.to_string(),
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
            command,
        ]);
        tmux
    }

    /// Run a tmux command on this server; panics when it fails.
    pub fn run(&self, args: &[&str]) -> String {
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

    /// A tmux format (`#{alternate_on}`, ...) evaluated on the pane.
    pub fn format(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", "e2e", format])
            .trim()
            .to_string()
    }

    /// The visible screen.
    pub fn capture(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "e2e"])
    }

    /// The screen and its scroll-back.
    pub fn capture_all(&self) -> String {
        self.run(&["capture-pane", "-p", "-S", "-", "-t", "e2e"])
    }

    /// Send keys (tmux key names).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Poll the pane until `want` is on it; panics with the last capture after `within`, or
    /// when the program ended first.
    pub fn wait_for(&self, want: &str, within: Duration) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if screen.contains(want) {
                return screen;
            }
            assert!(
                self.format("#{pane_dead}") != "1",
                "the program exited before {want:?} showed:\n{}",
                self.capture_all().trim()
            );
            assert!(
                start.elapsed() < within,
                "no {want:?} on the screen after {within:?}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Poll until the program in the pane ended; panics after `within`. (tmux may mark the
    /// pane dead before it has the exit status: read a status from elsewhere.)
    pub fn wait_dead(&self, within: Duration) {
        let start = Instant::now();
        while self.format("#{pane_dead}") != "1" {
            assert!(
                start.elapsed() < within,
                "still running after {within:?}:\n{}",
                self.capture()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The pane's terminal modes a TUI must give back: `alternate_on`, and every mouse
    /// reporting flag, as `alt=… mouse=…` (all `0` once restored).
    pub fn modes(&self) -> String {
        self.format(
            "alt=#{alternate_on} mouse=#{mouse_any_flag}#{mouse_button_flag}\
             #{mouse_standard_flag}#{mouse_sgr_flag}#{mouse_utf8_flag}",
        )
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}
