//! Progress on the command line (issue 14): `check` in a terminal shows a progress bar on
//! stderr while it runs, even with stdout sent to a file; with stderr sent to a file there
//! is none, and stderr holds only the project line. Run in a private tmux server (a real
//! pty); skipped, with a note, when tmux is missing.

#[path = "common/tmux.rs"]
mod tmux;

use std::time::Duration;

use tmux::{Tmux, available, shell_quote};

fn bin() -> String {
    shell_quote(env!("CARGO_BIN_EXE_quota-tui"))
}

#[test]
fn check_shows_a_bar_on_a_terminal_and_none_when_stderr_is_a_file() {
    if !available() {
        eprintln!("note: tmux is not installed; skipping the progress test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("check.out");
    let err = dir.path().join("check.err");
    let socket = format!("quota-tui-progress-{}", std::process::id());

    // stdout to a file, stderr the pane: the bar shows while the demo answers (slowly).
    let command = format!(
        "{} check --demo --demo-latency 1500ms..2500ms > {}; echo DONE",
        bin(),
        shell_quote(&out.display().to_string())
    );
    let tmux = Tmux::start(&socket, dir.path(), 100, 10, &command);
    let screen = tmux.wait_for("/38 checks", Duration::from_secs(20));
    assert!(screen.contains("Checking quotas ["), "{screen}");
    let screen = tmux.wait_for("DONE", Duration::from_secs(30));
    assert!(
        !screen.contains("/38 checks"),
        "the bar is cleared at the end:\n{screen}"
    );
    let table = std::fs::read_to_string(&out).unwrap();
    assert!(table.contains("38 checks in"), "{table}");
    assert!(!table.contains("Checking quotas"), "nothing on stdout");
    drop(tmux);

    // stderr to a file: no bar there, nor on the pane.
    let command = format!(
        "{} check --demo --demo-latency 300ms..600ms 2> {}; echo DONE",
        bin(),
        shell_quote(&err.display().to_string())
    );
    let tmux = Tmux::start(&socket, dir.path(), 100, 60, &command);
    let screen = tmux.wait_for("DONE", Duration::from_secs(30));
    assert!(screen.contains("38 checks in"), "{screen}");
    assert!(!screen.contains("Checking quotas"), "{screen}");
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert_eq!(
        stderr, "project: DEMO (--demo: the embedded demo server)\n",
        "only the project line: no bar, no escape sequence"
    );
}
