//! A local stand-in for Google in front of the embedded fake (SPEC §5): an OAuth token
//! endpoint (`POST /token`, answering a refresh-token exchange as Google's
//! `https://oauth2.googleapis.com/token` does) and a proxy that records the credentials
//! headers of every other request before forwarding it to the fake's Service Usage and
//! Vertex AI routes.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use quota_tui::fake_gcp::{FakeGcp, FakeGcpConfig};
use serde_json::{Value, json};

/// One API request as the proxy saw it.
#[derive(Debug, Clone)]
pub struct ApiCall {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub user_project: Option<String>,
}

#[derive(Default)]
struct Recorded {
    token_requests: Vec<Value>,
    calls: Vec<ApiCall>,
}

#[derive(Clone)]
struct ProxyState {
    recorded: Arc<Mutex<Recorded>>,
    issued_token: String,
    fake_url: String,
    http: reqwest::Client,
}

/// The token endpoint and recording proxy, with the fake behind it.
pub struct GoogleProxy {
    pub url: String,
    recorded: Arc<Mutex<Recorded>>,
    pub fake: FakeGcp,
}

impl GoogleProxy {
    /// Start the fake (quiet: fast, no faults) and the proxy on free loopback ports; the token
    /// endpoint issues `issued_token`.
    pub async fn start(issued_token: &str) -> GoogleProxy {
        let fake = FakeGcp::start(FakeGcpConfig::quiet(), 0).await.unwrap();
        let recorded: Arc<Mutex<Recorded>> = Arc::default();
        let state = ProxyState {
            recorded: recorded.clone(),
            issued_token: issued_token.to_string(),
            fake_url: fake.base_url().to_string(),
            http: quota_tui::gcp::http::http_client(),
        };
        let app = Router::new().fallback(handle).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        GoogleProxy {
            url: format!("http://{addr}"),
            recorded,
            fake,
        }
    }

    /// The token endpoint's URL (for a credentials file's `token_uri`).
    pub fn token_uri(&self) -> String {
        format!("{}/token", self.url)
    }

    /// The JSON bodies of the refresh-token exchanges, in order.
    pub fn token_requests(&self) -> Vec<Value> {
        self.recorded.lock().unwrap().token_requests.clone()
    }

    /// Every API call (anything but `/token`), in order.
    pub fn calls(&self) -> Vec<ApiCall> {
        self.recorded.lock().unwrap().calls.clone()
    }
}

async fn handle(State(st): State<ProxyState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if parts.uri.path() == "/token" {
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        st.recorded.lock().unwrap().token_requests.push(body);
        return axum::Json(json!({
            "access_token": st.issued_token,
            "expires_in": 3599,
            "scope": "https://www.googleapis.com/auth/cloud-platform",
            "token_type": "Bearer"
        }))
        .into_response();
    }
    st.recorded.lock().unwrap().calls.push(ApiCall {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        authorization: header("authorization"),
        user_project: header("x-goog-user-project"),
    });
    let url = format!(
        "{}{}",
        st.fake_url,
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let mut forward = st
        .http
        .request(parts.method.clone(), url)
        .body(bytes.to_vec());
    for name in ["content-type", "authorization", "x-goog-user-project"] {
        if let Some(v) = header(name) {
            forward = forward.header(name, v);
        }
    }
    match forward.send().await {
        Ok(r) => {
            let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
            let body = r.bytes().await.unwrap_or_default();
            Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}
