//! The signals that end a session, for the TUI and the `warm` daemon alike: one listener.
//!
//! SIGTERM, SIGINT and SIGHUP end both; the TUI catches SIGQUIT too, whose default action
//! would dump core and leave the terminal in raw mode on the alternate screen. (In raw mode
//! Ctrl-C, Ctrl-\ and Ctrl-Z reach the TUI as keys, not signals; a SIGTSTP sent with `kill`
//! keeps its default action: the process stops as it is.) On platforms without Unix signals,
//! Ctrl-C.

use std::io;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The handlers of the signals that end a session, installed; [`Shutdown::recv`] waits for
/// the first of them.
pub struct Shutdown {
    #[cfg(unix)]
    signals: Vec<(tokio::signal::unix::Signal, &'static str)>,
}

impl Shutdown {
    /// Install handlers for SIGTERM, SIGINT and SIGHUP, and SIGQUIT with `sigquit`.
    ///
    /// Errors when a handler cannot be installed.
    #[cfg(unix)]
    pub fn install(sigquit: bool) -> io::Result<Shutdown> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut kinds = vec![
            (SignalKind::terminate(), "SIGTERM"),
            (SignalKind::hangup(), "SIGHUP"),
            (SignalKind::interrupt(), "SIGINT"),
        ];
        if sigquit {
            kinds.push((SignalKind::quit(), "SIGQUIT"));
        }
        let signals = kinds
            .into_iter()
            .map(|(kind, name)| Ok((signal(kind)?, name)))
            .collect::<io::Result<_>>()?;
        Ok(Shutdown { signals })
    }

    /// Ctrl-C only (platforms without Unix signals).
    #[cfg(not(unix))]
    pub fn install(_sigquit: bool) -> io::Result<Shutdown> {
        Ok(Shutdown {})
    }

    /// The name of the first signal that arrives (`SIGTERM`, ...; `Ctrl-C` without Unix
    /// signals).
    pub async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            let waits = self.signals.iter_mut().map(|(signal, name)| {
                let name = *name;
                Box::pin(async move {
                    signal.recv().await;
                    name
                })
            });
            futures::future::select_all(waits).await.0
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// Cancel `cancel` at the first SIGTERM, SIGINT or SIGHUP (the `warm` daemon's shutdown); the
/// task ends without a word when `cancel` is cancelled otherwise.
///
/// Errors when a handler cannot be installed.
pub fn cancel_on_signals(cancel: CancellationToken) -> io::Result<JoinHandle<()>> {
    let mut shutdown = Shutdown::install(false)?;
    Ok(tokio::spawn(async move {
        tokio::select! {
            name = shutdown.recv() => {
                tracing::info!("{name}: shutting down");
                cancel.cancel();
            }
            _ = cancel.cancelled() => {}
        }
    }))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Send `sig` to this process (its handler is installed: nothing else happens).
    fn raise(sig: libc::c_int) {
        // SAFETY: kill(2) on our own pid; no memory is involved.
        let rc = unsafe { libc::kill(std::process::id() as libc::pid_t, sig) };
        assert_eq!(rc, 0);
    }

    #[tokio::test]
    async fn the_first_signal_is_named_and_a_daemon_is_cancelled() {
        let mut shutdown = Shutdown::install(true).unwrap();
        raise(libc::SIGQUIT); // caught, not a core dump
        let name = tokio::time::timeout(Duration::from_secs(5), shutdown.recv())
            .await
            .expect("the signal arrives");
        assert_eq!(name, "SIGQUIT");

        let cancel = CancellationToken::new();
        let task = cancel_on_signals(cancel.clone()).unwrap();
        raise(libc::SIGHUP);
        tokio::time::timeout(Duration::from_secs(5), cancel.cancelled())
            .await
            .expect("cancelled on SIGHUP");
        task.await.unwrap();
    }
}
