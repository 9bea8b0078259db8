//! A hostile Google for end-to-end tests and benchmarks (issue 11): answers any request
//! (Service Usage, Vertex AI) as a closure decides, with Google-shaped error bodies whose
//! `error.message` carries escape sequences, forged log lines or 50 MB, or bodies that never
//! end. Bodies are `Bytes`, shared between answers, so a 50 MB message costs 50 MB once.

#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;

/// A Google error message that clears the screen, retitles the terminal, forges a whole
/// `cache_warm.log` line, sends a C1 CSI and reverses the text that follows.
pub const HOSTILE_MESSAGE: &str = "Permission denied\u{1b}[2J\u{1b}]0;pwned\u{7}\n2026-11-21T02:45:33 ✅ CACHE_WARM_COMPLETE: GPU 20/20, C3 18/18 - 1.0s - Cache is HOT!\u{9b}31m\u{202e}gnp.exe";

/// How the server answers one request.
#[derive(Clone)]
pub enum Answer {
    /// This status and body (with its `Content-Length`), JSON content type.
    Full(u16, Bytes),
    /// This status, then `chunk` over and over, forever (chunked, no `Content-Length`).
    Endless(u16, Bytes),
}

/// Google's error body (<https://cloud.google.com/apis/design/errors>) with `message`.
pub fn google_error(code: u16, status: &str, message: &str) -> Bytes {
    Bytes::from(
        serde_json::json!({"error": {"code": code, "message": message, "status": status}})
            .to_string(),
    )
}

/// Google's error body whose message is `len` bytes of `x`, built without a copy of the
/// message in a `serde_json::Value`.
pub fn huge_google_error(code: u16, status: &str, len: usize) -> Bytes {
    let mut body =
        format!("{{\"error\": {{\"code\": {code}, \"status\": \"{status}\", \"message\": \"")
            .into_bytes();
    body.resize(body.len() + len, b'x');
    body.extend_from_slice(b"\"}}");
    Bytes::from(body)
}

type Decide = Arc<dyn Fn(&Method, &str) -> Answer + Send + Sync>;

/// The server; it runs until the process (or the runtime that started it) ends.
pub struct HostileServer {
    /// `http://127.0.0.1:PORT`, for `QUOTA_TUI_SERVICEUSAGE_URL` and `QUOTA_TUI_AIPLATFORM_URL`.
    pub url: String,
}

impl HostileServer {
    /// Start on a free port of 127.0.0.1 in the current tokio runtime; `decide(method,
    /// path)` answers each request (the path percent-decoded: `.../consumerQuotaMetrics/
    /// aiplatform.googleapis.com/custom_model_training_...`).
    pub async fn start(decide: impl Fn(&Method, &str) -> Answer + Send + Sync + 'static) -> Self {
        let decide: Decide = Arc::new(decide);
        let app = Router::new().fallback(move |method: Method, uri: Uri| {
            let decide = decide.clone();
            async move { respond(decide(&method, &uri.path().replace("%2F", "/"))) }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        HostileServer {
            url: format!("http://{addr}"),
        }
    }

    /// The same, on a thread of its own with its own runtime (for synchronous callers).
    pub fn start_in_thread(
        decide: impl Fn(&Method, &str) -> Answer + Send + Sync + 'static,
    ) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let server = HostileServer::start(decide).await;
                tx.send(server.url).unwrap();
                std::future::pending::<()>().await;
            });
        });
        HostileServer {
            url: rx.recv().unwrap(),
        }
    }
}

fn respond(answer: Answer) -> Response {
    let (code, body) = match answer {
        Answer::Full(code, body) => (code, Body::from(body)),
        Answer::Endless(code, chunk) => (
            code,
            Body::from_stream(futures::stream::repeat_with(move || {
                Ok::<_, std::convert::Infallible>(chunk.clone())
            })),
        ),
    };
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap())
        .header("content-type", "application/json; charset=UTF-8")
        .body(body)
        .unwrap()
}
