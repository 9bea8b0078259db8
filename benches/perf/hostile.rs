//! Memory of the release binary against a hostile Google (issue 11): every quota check
//! answers 403 with Google's error body whose `error.message` is tens of megabytes.
//!
//! - `hostile_check_json_peak_rss_kib`, `hostile_check_json_stdout_bytes`: `check --json`
//!   with 50 MB messages: peak RSS (`VmHWM`) and what it printed;
//! - `hostile_warm_once_peak_rss_kib`: `warm --once --interval 50ms` with 20 MB messages.
//!
//! Peak RSS is `VmHWM` of `/proc/PID/status` (the kernel's high-water mark), read every 5 ms
//! until the process exits; the last reading before the exit is the figure.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::hostile_server::{Answer, HostileServer, huge_google_error};
use crate::release_binary::BINARY;

/// The figures; `None` when a run failed (see `notes`).
#[derive(Debug, Default)]
pub struct HostileFigures {
    pub check_json_peak_rss_kib: Option<u64>,
    pub check_json_stdout_bytes: Option<usize>,
    pub warm_once_peak_rss_kib: Option<u64>,
    pub notes: Vec<String>,
}

/// Run both commands against servers sending 50 MB and 20 MB messages.
pub fn measure() -> HostileFigures {
    let mut figures = HostileFigures::default();
    let dir = tempfile::tempdir().expect("a temp dir");
    let server = |mib: usize| {
        let body = huge_google_error(403, "PERMISSION_DENIED", mib << 20);
        HostileServer::start_in_thread(move |_, _| Answer::Full(403, body.clone()))
    };
    let big = server(50);
    match peak_rss(&big.url, dir.path(), &["check", "--json"]) {
        Ok((kib, stdout)) => {
            figures.check_json_peak_rss_kib = Some(kib);
            figures.check_json_stdout_bytes = Some(stdout);
        }
        Err(e) => figures.notes.push(format!("check --json: {e}")),
    }
    let medium = server(20);
    match peak_rss(
        &medium.url,
        dir.path(),
        &["warm", "--once", "--interval", "50ms"],
    ) {
        Ok((kib, _)) => figures.warm_once_peak_rss_kib = Some(kib),
        Err(e) => figures.notes.push(format!("warm --once: {e}")),
    }
    figures
}

/// Run the binary with `args` against `url`; its peak RSS (KiB) and the bytes it printed.
fn peak_rss(url: &str, log_dir: &Path, args: &[&str]) -> Result<(u64, usize), String> {
    let mut command = Command::new(BINARY);
    command.args(args).args(["--project", "bench-project"]);
    // `check` writes no log and takes no --log-dir.
    if args.first() != Some(&"check") {
        command.arg("--log-dir").arg(log_dir);
    }
    let mut child = command
        .env("GOOGLE_OAUTH_ACCESS_TOKEN", "bench-token")
        .env("QUOTA_TUI_SERVICEUSAGE_URL", url)
        .env("QUOTA_TUI_MONITORING_URL", url)
        .env("QUOTA_TUI_AIPLATFORM_URL", url)
        .env("HOME", log_dir)
        .env("XDG_CONFIG_HOME", log_dir.join("config"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{BINARY}: {e}"))?;
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut n = 0usize;
        let mut buf = [0u8; 64 * 1024];
        while let Ok(k) = stdout.read(&mut buf) {
            if k == 0 {
                break;
            }
            n += k;
        }
        n
    });
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = None;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path)
            && let Some(kib) = vm_hwm_kib(&status)
        {
            peak = Some(kib);
        }
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let printed = reader.join().expect("the reader thread");
    let peak = peak.ok_or_else(|| format!("no VmHWM in {status_path}"))?;
    Ok((peak, printed))
}

/// `VmHWM:   12345 kB` → 12345.
fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
