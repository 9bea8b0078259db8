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
        let mut server = TestRedis {
            child: None,
            port: 0,
            dir,
        };
        // A port found free may be taken by another test's server before ours binds it:
        // then ours exits, and the one answering there is not ours. Try another port.
        for _ in 0..10 {
            server.port = free_port();
            match server.spawn() {
                Spawned::Missing => {
                    eprintln!("note: redis-server is not installed; skipping a Redis test");
                    return None;
                }
                Spawned::Ours => return Some(server),
                Spawned::NotOurs => server.stop(),
            }
        }
        panic!("no free port for redis-server after 10 tries");
    }

    fn spawn(&mut self) -> Spawned {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = child else {
            return Spawned::Missing;
        };
        let pid = child.id();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(c) = self.child.as_mut()
                && c.try_wait().ok().flatten().is_some()
            {
                return Spawned::NotOurs; // it could not bind the port
            }
            if let Some(server_pid) = self.server_pid() {
                return if server_pid == pid {
                    Spawned::Ours
                } else {
                    Spawned::NotOurs
                };
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "redis-server did not answer on port {} within 10 s",
            self.port
        );
    }

    /// The process id of the server answering on the port (`INFO server`), if one does.
    fn server_pid(&self) -> Option<u32> {
        let client = redis::Client::open(self.url()).ok()?;
        let mut conn = client
            .get_connection_with_timeout(Duration::from_millis(200))
            .ok()?;
        let info: String = redis::cmd("INFO").arg("server").query(&mut conn).ok()?;
        info.lines()
            .find_map(|l| l.strip_prefix("process_id:"))
            .and_then(|p| p.trim().parse().ok())
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
        assert!(
            matches!(self.spawn(), Spawned::Ours),
            "redis-server restarts on port {}",
            self.port
        );
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

/// What starting a server found.
enum Spawned {
    /// `redis-server` is not installed.
    Missing,
    /// Ours answers on the port.
    Ours,
    /// Ours exited, or another answers on the port.
    NotOurs,
}

/// A loopback port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
