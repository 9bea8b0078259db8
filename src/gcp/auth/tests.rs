use super::*;

#[test]
fn secret_never_prints_its_characters() {
    let s = Secret::new("ya29.super-secret");
    assert_eq!(format!("{s}"), "***");
    assert_eq!(format!("{s:?}"), "***");
    assert_eq!(format!("{:?}", Some(s.clone())), "Some(***)");
    assert_eq!(s.expose(), "ya29.super-secret");
}

#[tokio::test]
async fn fixed_and_demo_sources_hand_out_their_token() {
    let src = TokenSource::fixed(Secret::new("abc"), ACCESS_TOKEN_ENV);
    assert_eq!(src.token().await.unwrap().expose(), "abc");
    assert_eq!(src.fresh_token().await.unwrap().expose(), "abc");
    assert_eq!(format!("{src:?}"), "TokenSource(GOOGLE_OAUTH_ACCESS_TOKEN)");
    assert_eq!(
        TokenSource::demo().token().await.unwrap().expose(),
        DEMO_TOKEN
    );
    assert_eq!(TokenSource::demo().info().source, SourceKind::Demo);
}

#[tokio::test]
async fn headers_carry_the_token_marked_sensitive_and_the_quota_project() {
    let q = QuotaProject {
        id: "billing-1".into(),
        origin: Origin::flag("--billing-project"),
    };
    let src = TokenSource::fixed(Secret::new("tok-SECRET"), "t").with_quota_project(Some(q));
    let h = src.headers(false).await.unwrap();
    let auth = h.get(AUTHORIZATION).unwrap();
    assert_eq!(auth.to_str().unwrap(), "Bearer tok-SECRET");
    assert!(auth.is_sensitive());
    assert!(!format!("{h:?}").contains("SECRET"), "{h:?}");
    assert_eq!(h.get(USER_PROJECT_HEADER).unwrap(), "billing-1");
    let h = TokenSource::demo().headers(true).await.unwrap();
    assert!(h.get(USER_PROJECT_HEADER).is_none());
}

#[tokio::test]
async fn a_malformed_token_is_an_auth_error_naming_the_flaw_not_the_token() {
    for (token, flaw) in [
        ("abc\ndef-SECRET", "a line break at character 4 of 14"),
        ("abc def-SECRET", "a space"),
        ("abc\u{1b}[2J-SECRET", "a control character (U+001B)"),
        ("abcé-SECRET", "a non-ASCII character"),
        ("", "it is empty"),
    ] {
        let e = TokenSource::fixed(Secret::new(token), "t")
            .headers(false)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth, "{token:?}");
        assert!(!e.kind.is_retryable());
        assert!(e.message.contains(flaw), "{token:?}: {}", e.message);
        assert!(!e.message.contains("SECRET"), "{}", e.message);
    }
}

#[tokio::test]
async fn a_malformed_access_token_variable_is_refused_before_anything_is_sent() {
    let e = TokenSource::from_lookup(
        &|k| (k == ACCESS_TOKEN_ENV).then(|| "ya29.a\nb-SECRET".to_string()),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth);
    assert!(
        e.message
            .contains("GOOGLE_OAUTH_ACCESS_TOKEN is malformed: it contains a line break"),
        "{}",
        e.message
    );
    assert!(!e.message.contains("SECRET"));
}

#[test]
fn quota_project_ids_are_checked_before_they_reach_a_header() {
    for ok in ["my-project", "example.com:my-project", "123456789"] {
        assert_eq!(validate_quota_project(ok), Ok(()), "{ok}");
    }
    for bad in ["", "My_Project", "a\nb", "p q"] {
        assert!(validate_quota_project(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn a_403_for_serviceusage_services_use_is_explained_with_the_fix() {
    let q = QuotaProject {
        id: "other-proj".into(),
        origin: Origin::CredentialsFile {
            path: "/h/adc.json".into(),
        },
    };
    let src = TokenSource::demo().with_quota_project(Some(q));
    let denied = ApiError {
        http_status: Some(403),
        ..ApiError::new(
            ErrorKind::Permission,
            "Caller does not have required permission to use project other-proj. Grant the \
             caller the roles/serviceusage.serviceUsageConsumer role, or a custom role with the \
             serviceusage.services.use permission",
        )
    };
    let e = src.explain(denied.clone());
    for part in [
        "x-goog-user-project: other-proj",
        "credentials file /h/adc.json",
        "gcloud auth application-default set-quota-project",
        "--billing-project",
    ] {
        assert!(e.message.contains(part), "{part}: {}", e.message);
    }
    assert!(
        e.message.starts_with("Caller does not have"),
        "Google's message is kept"
    );
    let other = ApiError {
        http_status: Some(403),
        ..ApiError::new(
            ErrorKind::Permission,
            "Permission denied on resource project p.",
        )
    };
    assert_eq!(
        src.explain(other.clone()),
        other,
        "other 403s are left alone"
    );
}
