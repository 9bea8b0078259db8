//! A real `redis-server` for tests: on a free loopback port, nothing saved to disk
//! (`--save "" --appendonly no`), killed when dropped. `None` (with a note on stderr) when
//! `redis-server` is not installed, so the tests that need it skip. Used by the integration
//! tests and by the Redis store's unit tests (`src/store/redis`, through `#[path]`).

#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`.
pub struct TestRedis {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl TestRedis {
    /// Start one on a free port; `None` when `redis-server` is missing.
    pub fn start() -> Option<TestRedis> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let port = free_port();
        let mut server = TestRedis {
            child: None,
            port,
            dir,
        };
        if !server.spawn() {
            eprintln!("note: redis-server is not installed; skipping a Redis test");
            return None;
        }
        Some(server)
    }

    fn spawn(&mut self) -> bool {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = child else { return false };
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "redis-server did not listen on port {} within 10 s",
            self.port
        );
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Stop the server (as if it died: `SIGKILL`).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Start it again on the same port, empty.
    pub fn restart(&mut self) {
        self.stop();
        assert!(self.spawn(), "redis-server restarts");
    }

    /// A plain connection for the test's own commands.
    pub async fn conn(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .expect("the test's connection")
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
