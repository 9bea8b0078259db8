//! Capturing tracing output in the library's unit tests.
//!
//! One process-global subscriber sends every event to the sink of the thread that emitted it
//! (a test's current-thread runtime), or nowhere. Not a thread-default dispatcher
//! (`tracing::subscriber::set_default`): tracing-core caches each callsite's interest from
//! the dispatchers registered when it is first hit, so a test thread hitting a callsite with
//! no dispatcher while another test installs its own could cache "never" for it and drop that
//! test's events under load. (The same helper as `tests/tui_support`'s `capture_tracing`.)

use std::cell::RefCell;
use std::sync::{Arc, Mutex, Once};

/// Text collected from one thread's events.
#[derive(Clone, Default)]
pub struct Collected(Arc<Mutex<Vec<u8>>>);

impl Collected {
    /// Everything collected so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("collected lock")).into_owned()
    }
}

thread_local! {
    static SINK: RefCell<Option<Collected>> = const { RefCell::new(None) };
}

struct ThreadSink;

impl std::io::Write for ThreadSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        SINK.with(|s| {
            if let Some(c) = s.borrow().as_ref() {
                c.0.lock().expect("collected lock").extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Stops this thread's capture when dropped.
pub struct CaptureGuard;

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        SINK.with(|s| s.borrow_mut().take());
    }
}

/// Collect every event this thread emits (no colours, target and level included) while the
/// guard lives.
pub fn capture_tracing() -> (Collected, CaptureGuard) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(|| ThreadSink)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        tracing::callsite::rebuild_interest_cache();
    });
    let collected = Collected::default();
    SINK.with(|s| *s.borrow_mut() = Some(collected.clone()));
    (collected, CaptureGuard)
}
