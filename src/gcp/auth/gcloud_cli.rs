//! The last source of SPEC §4: the gcloud CLI's own login, through
//! `gcloud auth print-access-token` (<https://cloud.google.com/sdk/gcloud/reference/auth/print-access-token>).
//!
//! gcloud prints a token of its logged-in account (refreshing it when it has expired). The
//! token is reused for [`REUSE_FOR`] (gcloud's tokens live an hour), then asked for again; a
//! 401 asks at once. One run at a time; its output is read up to a cap, and a run that takes
//! longer than [`RUN_TIMEOUT`] is killed.

use std::process::Stdio;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

use super::locate::CredentialInfo;
use super::{Credentials, Secret};
use crate::gcp::error::{ApiError, ErrorKind};

/// How long a token from gcloud is reused before gcloud is asked again.
pub const REUSE_FOR: Duration = Duration::from_secs(10 * 60);

/// Longest a `gcloud auth print-access-token` run may take.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(30);

/// Most bytes read of gcloud's stdout (a token is about 200) and stderr.
const MAX_OUTPUT: u64 = 64 * 1024;

/// Tokens from `gcloud auth print-access-token`.
pub(super) struct GcloudCli {
    info: CredentialInfo,
    cached: tokio::sync::Mutex<Option<(Secret, Instant)>>,
}

impl GcloudCli {
    /// The gcloud at `info.path`.
    pub(super) fn new(info: CredentialInfo) -> Self {
        GcloudCli {
            info,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    async fn get(&self, renew: bool) -> Result<Secret, ApiError> {
        let mut cached = self.cached.lock().await;
        if !renew
            && let Some((token, at)) = cached.as_ref()
            && at.elapsed() < REUSE_FOR
        {
            return Ok(token.clone());
        }
        let token = self.run().await?;
        *cached = Some((token.clone(), Instant::now()));
        Ok(token)
    }

    async fn run(&self) -> Result<Secret, ApiError> {
        let fail = |what: String| {
            ApiError::new(
                ErrorKind::Auth,
                format!(
                    "the gcloud CLI gave no access token: {what}. Run `gcloud auth login` (or \
                     `gcloud auth application-default login`), or set GOOGLE_OAUTH_ACCESS_TOKEN"
                ),
            )
        };
        let program = self.info.path.clone().unwrap_or_else(|| "gcloud".into());
        let mut child = tokio::process::Command::new(&program)
            .args(["auth", "print-access-token", "--quiet"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| fail(format!("cannot run {}: {e}", program.display())))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(fail("no output".into()));
        };
        let read = async {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let (mut stdout, mut stderr) = (stdout.take(MAX_OUTPUT), stderr.take(MAX_OUTPUT));
            let (a, b) = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
            a.and(b)?;
            let status = child.wait().await?;
            Ok::<_, std::io::Error>((status, out, err))
        };
        let (status, out, err) = tokio::time::timeout(RUN_TIMEOUT, read)
            .await
            .map_err(|_| {
                fail(format!(
                    "it did not finish within {}s",
                    RUN_TIMEOUT.as_secs()
                ))
            })?
            .map_err(|e| fail(e.to_string()))?;
        if !status.success() {
            return Err(fail(last_line(&err)));
        }
        let token = String::from_utf8_lossy(&out).trim().to_string();
        if token.is_empty() {
            return Err(fail("it printed nothing".into()));
        }
        Ok(Secret::new(token))
    }
}

/// gcloud's error: the last non-blank line of its stderr (`ERROR: (gcloud.auth...) ...`),
/// control characters replaced, at most 300 characters.
fn last_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("it failed without a message");
    let clean: String = line
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    clean
}

#[async_trait]
impl Credentials for GcloudCli {
    async fn token(&self) -> Result<Secret, ApiError> {
        self.get(false).await
    }

    async fn fresh_token(&self) -> Result<Secret, ApiError> {
        self.get(true).await
    }

    fn source_name(&self) -> &str {
        "gcloud CLI"
    }
}
