//! The credentials seam in process (SPEC §4): `TokenSource` built by `google-cloud-auth` from
//! an `authorized_user` file gets one new token after a 401 (a second refresh-token exchange),
//! and a 403 for `serviceusage.services.use` on the quota project is explained with the fix.

use quota_tui::catalog::{Capacity, Check, GpuType, Limit};
use quota_tui::gcp::ErrorKind;
use quota_tui::gcp::auth::{QuotaProject, Secret, TokenSource};
use quota_tui::gcp::serviceusage::ServiceUsageClient;
use quota_tui::gcp::vertex::VertexClient;
use quota_tui::origin::Origin;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PROJECT: &str = "e2e-project";
const FILE_QUOTA: &str = "file-billing";
const T4: &str = "aiplatform.googleapis.com/custom_model_training_preemptible_nvidia_t4_gpus";

fn t4_path() -> String {
    format!(
        "/v1beta1/projects/{PROJECT}/services/aiplatform.googleapis.com/consumerQuotaMetrics/{}",
        T4.replace('/', "%2F")
    )
}

/// In process, through the library: a 401 gets exactly one new refresh-token exchange, and
/// the request is sent again with the new token.
#[tokio::test]
async fn a_401_makes_google_cloud_auth_exchange_the_refresh_token_once_more() {
    let server = MockServer::start().await;
    let issued = |t: &str| {
        ResponseTemplate::new(200)
            .set_body_json(json!({"access_token": t, "expires_in": 3599, "token_type": "Bearer"}))
    };
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(issued("tok-1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(issued("tok-2"))
        .expect(1)
        .mount(&server)
        .await;
    let metric = T4;
    let metric_path = t4_path();
    Mock::given(path(metric_path.clone()))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "code": 401, "status": "UNAUTHENTICATED",
            "message": "Request had invalid authentication credentials."}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path(metric_path))
        .and(header("authorization", "Bearer tok-2"))
        .and(header("x-goog-user-project", FILE_QUOTA))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "metric": metric, "unit": "1/{project}/{region}",
            "consumerQuotaLimits": [{"unit": "1/{project}/{region}", "metric": metric,
                "quotaBuckets": [{}, {"effectiveLimit": "16", "defaultLimit": "4",
                                      "dimensions": {"region": "us-central1"}}]}]})))
        .expect(1)
        .mount(&server)
        .await;

    let dir = tempfile::tempdir().unwrap();
    let adc = dir.path().join("adc.json");
    std::fs::write(
        &adc,
        json!({"type": "authorized_user", "client_id": "c", "client_secret": "s",
               "refresh_token": "r", "quota_project_id": FILE_QUOTA,
               "token_uri": format!("{}/token", server.uri())})
        .to_string(),
    )
    .unwrap();
    let adc_s = adc.to_str().unwrap().to_string();
    let env = move |k: &str| match k {
        "GOOGLE_APPLICATION_CREDENTIALS" => Some(adc_s.clone()),
        "NO_GCE_CHECK" => Some("True".into()),
        _ => None,
    };
    let tokens = TokenSource::from_lookup(&env, None).await.unwrap();
    assert_eq!(tokens.source_name(), "authorized_user credentials file");
    assert_eq!(tokens.quota_project().unwrap().id, FILE_QUOTA);
    let client = ServiceUsageClient::new(PROJECT, &server.uri(), tokens).unwrap();
    let limit = client
        .fetch_limit(&Check::gpu(GpuType::T4, Capacity::Spot, "us-central1"))
        .await
        .map(|f| f.limit)
        .unwrap();
    assert_eq!(limit, Limit::Finite(16));
    // The `expect`s above are checked when the server drops: 2 exchanges, 2 API calls.
}

fn user_project_denied() -> ResponseTemplate {
    // Google's answer when the caller lacks serviceusage.services.use on the quota project.
    ResponseTemplate::new(403).set_body_json(json!({"error": {
        "code": 403,
        "message": "Caller does not have required permission to use project other-billing. Grant the caller the roles/serviceusage.serviceUsageConsumer role, or a custom role with the serviceusage.services.use permission, by visiting https://console.developers.google.com/iam-admin/iam/project?project=other-billing and then retry. Propagation of the new permission may take a few minutes.",
        "status": "PERMISSION_DENIED",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "USER_PROJECT_DENIED",
                     "domain": "googleapis.com",
                     "metadata": {"consumer": "projects/other-billing", "service": "serviceusage.googleapis.com"}}]}}))
}

#[tokio::test]
async fn a_refused_quota_project_is_explained_with_the_fix_on_both_clients() {
    let server = MockServer::start().await;
    Mock::given(header("x-goog-user-project", "other-billing"))
        .respond_with(user_project_denied())
        .expect(2)
        .mount(&server)
        .await;
    let tokens =
        TokenSource::fixed(Secret::new("tok"), "test").with_quota_project(Some(QuotaProject {
            id: "other-billing".into(),
            origin: Origin::env("GOOGLE_CLOUD_QUOTA_PROJECT"),
        }));
    let su = ServiceUsageClient::new(PROJECT, &server.uri(), tokens.clone()).unwrap();
    let e = su
        .fetch_limit(&Check::gpu(GpuType::T4, Capacity::Spot, "us-central1"))
        .await
        .map(|f| f.limit)
        .unwrap_err();
    let vertex = VertexClient::new(Some(&server.uri()), tokens).unwrap();
    let e2 = vertex
        .create_custom_job(PROJECT, "us-central1", &json!({"displayName": "x"}))
        .await
        .unwrap_err();
    for e in [e, e2] {
        assert_eq!(e.kind, ErrorKind::Permission, "{e}");
        assert!(
            e.message
                .starts_with("Caller does not have required permission"),
            "{e}"
        );
        for part in [
            "x-goog-user-project: other-billing",
            "from GOOGLE_CLOUD_QUOTA_PROJECT",
            "gcloud auth application-default set-quota-project PROJECT",
            "--billing-project PROJECT",
        ] {
            assert!(e.message.contains(part), "{part}: {e}");
        }
    }
}
