//! `quota-tui completions SHELL` and `quota-tui man`: the bash script loads in bash and
//! completes commands, flags and GPU types; the man page is read by `man -l -` without a
//! warning; both end quietly with 141 when stdout's reader is gone.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

fn quota_tui(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quota-tui"))
        .args(args)
        .output()
        .unwrap()
}

fn has(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn every_shell_gets_a_script() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = quota_tui(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for word in ["quota-tui", "check", "launch", "check-timeout"] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
        assert!(out.stderr.is_empty(), "{shell}");
    }
    let out = quota_tui(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("[possible values: bash, elvish, fish"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The bash script, sourced in `bash`, registers itself and completes what a user types.
#[test]
fn the_bash_script_loads_and_completes() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("quota-tui.bash");
    let out = quota_tui(&["completions", "bash"]);
    std::fs::write(&script, &out.stdout).unwrap();
    // `complete -p` prints the registration; `try WORDS...` runs the completion function
    // as bash does for the last word and prints COMPREPLY.
    let driver = r#"
set -e
source "$1"
complete -p quota-tui
fn=$(complete -p quota-tui | sed -E 's/.*-F ([^ ]+).*/\1/')
try() {
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    "$fn" quota-tui "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    echo "$*|${COMPREPLY[*]}"
}
try quota-tui ch
try quota-tui check --
try quota-tui launch --gpu ''
try quota-tui completions ''
try quota-tui --demo w
"#;
    let out = Command::new("bash")
        .args(["-c", driver, "bash"])
        .arg(&script)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}\n{stdout}");
    assert!(stderr.is_empty(), "sourcing printed: {stderr}");
    let mut lines = stdout.lines();
    let registration = lines.next().unwrap();
    assert!(
        registration.starts_with("complete ") && registration.ends_with(" quota-tui"),
        "{registration}"
    );
    let replies: Vec<(&str, Vec<&str>)> = lines
        .map(|l| {
            let (words, reply) = l.split_once('|').unwrap();
            (words, reply.split_whitespace().collect())
        })
        .collect();
    let reply = |words: &str| {
        replies
            .iter()
            .find(|(w, _)| *w == words)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("no reply for {words}: {replies:?}"))
    };
    assert_eq!(reply("quota-tui ch"), ["check"]);
    let check = reply("quota-tui check --");
    for flag in [
        "--json",
        "--spot",
        "--on-demand",
        "--check-timeout",
        "--project",
    ] {
        assert!(check.contains(&flag), "check -- lacks {flag}: {check:?}");
    }
    for flag in ["--interval", "--ttl", "--refresh", "--log-dir"] {
        assert!(!check.contains(&flag), "check -- offers {flag}: {check:?}");
    }
    assert_eq!(
        reply("quota-tui launch --gpu "),
        ["T4", "L4", "A100", "H100", "H200"]
    );
    let shells = reply("quota-tui completions ");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert!(shells.contains(&shell), "{shells:?}");
    }
    assert_eq!(reply("quota-tui --demo w"), ["warm"]);
}

/// `man -l -` reads the page without a warning, and it documents every command.
#[test]
fn man_reads_the_page() {
    if !has("man") {
        eprintln!(
            "note: `man` is not installed (apt-get install man-db); the man page test is skipped"
        );
        return;
    }
    let page = quota_tui(&["man"]);
    assert_eq!(page.status.code(), Some(0));
    let roff = String::from_utf8(page.stdout).unwrap();
    assert!(roff.contains("\n.TH quota-tui 1 "), "{}", &roff[..200]);
    assert!(roff.is_ascii(), "plain ASCII roff");
    let mut man = Command::new("man")
        .args(["--warnings", "-l", "-"])
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "100")
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    man.stdin
        .take()
        .unwrap()
        .write_all(roff.as_bytes())
        .unwrap();
    let out = man.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "man warned: {stderr}");
    for heading in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "PROJECT",
        "WARMER",
        "DEMO SERVER",
        "COMMANDS",
        "ENVIRONMENT",
        "FILES",
        "EXIT STATUS",
        "EXAMPLES",
    ] {
        assert!(
            text.lines().any(|l| l == heading),
            "no {heading} section:\n{text}"
        );
    }
    assert!(
        text.contains("quota-tui - GPU and C3 quota dashboard for a Google Cloud project"),
        "{text}"
    );
    for command in [
        "warm",
        "check",
        "launch",
        "config",
        "fake-gcp",
        "completions",
        "man",
    ] {
        assert!(
            text.lines()
                .any(|l| l.trim() == format!("quota-tui {command}")),
            "no section for {command}:\n{text}"
        );
    }
    // A command's section lists its own flags and names the shared ones once.
    assert!(
        text.contains("It also takes --check-timeout, the Project flags and the Demo server"),
        "{text}"
    );
}

/// A closed stdout ends both commands quietly with 141, as any other output does.
#[test]
fn a_closed_stdout_ends_quietly() {
    for args in [&["man"][..], &["completions", "bash"][..]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_quota-tui"))
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(141), "{args:?}");
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
