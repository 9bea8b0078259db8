//! A screen's background work (the Launch screen's fresh check and submission, say): a
//! future spawned for the screen, whose output comes back through the app's one event queue
//! as [`Event::Task`] and is handed to the screen that spawned it
//! ([`Screen::on_task`](super::screens::Screen::on_task)). The loop and the event enum carry
//! it as an opaque payload: they know no screen's messages (gitui's `asyncjob`: the channel
//! carries a small notification for its owner).
//!
//! Tasks never touch the terminal, and end early without a word when the queue closes (the
//! UI quit).

use std::any::Any;
use std::fmt;
use std::future::Future;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::event::Event;

/// A task's output, for the screen that spawned it to downcast.
pub type Payload = Box<dyn Any + Send>;

/// The end of a screen's task: the index of the screen that spawned it (in
/// [`screen_table`](super::screens::screen_table) order) and the task's output.
pub struct TaskDone {
    screen: usize,
    payload: Payload,
}

impl TaskDone {
    /// `payload` for screen `screen`.
    pub fn new(screen: usize, payload: impl Any + Send) -> Self {
        TaskDone {
            screen,
            payload: Box::new(payload),
        }
    }

    /// The screen the output goes to.
    pub fn screen(&self) -> usize {
        self.screen
    }

    /// The output, when it is a `T`.
    pub fn payload<T: Any>(&self) -> Option<&T> {
        self.payload.downcast_ref()
    }

    /// The output, for the screen to downcast.
    pub fn into_payload(self) -> Payload {
        self.payload
    }
}

impl fmt::Debug for TaskDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskDone")
            .field("screen", &self.screen)
            .finish_non_exhaustive()
    }
}

/// Spawn `work` for screen `screen`; its output goes to `events` as [`Event::Task`]. When the
/// queue closes first (the UI quit), the work is dropped and `name` logged as cut short.
pub fn spawn_task<T, F>(
    events: mpsc::Sender<Event>,
    screen: usize,
    name: &'static str,
    work: F,
) -> JoinHandle<()>
where
    T: Any + Send,
    F: Future<Output = T> + Send + 'static,
{
    tokio::spawn(async move {
        tokio::select! {
            _ = events.closed() => tracing::info!("{name}: cut short, the UI is gone"),
            out = work => {
                let _ = events.send(Event::Task(TaskDone::new(screen, out))).await;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_output_comes_back_for_the_screen_that_spawned_it() {
        let (tx, mut rx) = mpsc::channel(4);
        spawn_task(tx, 2, "test", async { 41u32 + 1 })
            .await
            .unwrap();
        let Some(Event::Task(done)) = rx.recv().await else {
            panic!("a task event");
        };
        assert_eq!(done.screen(), 2);
        assert_eq!(done.payload::<u32>(), Some(&42));
        assert!(done.payload::<String>().is_none());
        assert_eq!(*done.into_payload().downcast::<u32>().unwrap(), 42);
    }

    #[tokio::test(start_paused = true)]
    async fn a_closed_queue_drops_the_work() {
        let (tx, rx) = mpsc::channel(4);
        drop(rx);
        let never = spawn_task(tx, 0, "test", std::future::pending::<()>());
        tokio::time::timeout(std::time::Duration::from_secs(60), never)
            .await
            .expect("the task ends although its work never does")
            .unwrap();
    }
}
