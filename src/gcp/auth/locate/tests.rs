use super::*;
use serde_json::json;
use std::collections::HashMap;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| m.get(k).cloned()
}

fn file_with(dir: &tempfile::TempDir, name: &str, v: &Value) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p.to_str().unwrap().to_string()
}

fn user() -> Value {
    json!({"type": "authorized_user", "client_id": "id", "client_secret": "cs",
           "refresh_token": "rt-SECRET", "quota_project_id": "billing-proj"})
}

#[test]
fn the_access_token_variable_comes_first() {
    let e = env_of(&[
        (ACCESS_TOKEN_ENV, " tok \n"),
        (APPLICATION_CREDENTIALS_ENV, "/x"),
    ]);
    match locate(&e).unwrap() {
        Located::AccessToken(t) => assert_eq!(t.expose(), "tok"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_named_file_of_each_type_is_described_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let p = file_with(&dir, "user.json", &user());
    let Located::File(info, json) = locate(&env_of(&[(APPLICATION_CREDENTIALS_ENV, &p)])).unwrap()
    else {
        panic!()
    };
    assert_eq!(info.file_type.as_deref(), Some("authorized_user"));
    assert_eq!(info.file_quota_project.as_deref(), Some("billing-proj"));
    assert_eq!(info.source, SourceKind::CredentialsFile);
    assert!(!format!("{info} {info:?} {json:?}").contains("SECRET"));

    let sa = json!({"type": "service_account", "client_email": "sa@p.iam.gserviceaccount.com",
                    "private_key_id": "k", "private_key": "-----BEGIN SECRET", "project_id": "p"});
    let p = file_with(&dir, "sa.json", &sa);
    let Located::File(info, _) = locate(&env_of(&[(APPLICATION_CREDENTIALS_ENV, &p)])).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        info.account.as_deref(),
        Some("sa@p.iam.gserviceaccount.com")
    );

    let imp = json!({"type": "impersonated_service_account",
        "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/robot@p.iam.gserviceaccount.com:generateAccessToken",
        "source_credentials": user()});
    let p = file_with(&dir, "imp.json", &imp);
    let Located::File(info, _) = locate(&env_of(&[(APPLICATION_CREDENTIALS_ENV, &p)])).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        info.account.as_deref(),
        Some("robot@p.iam.gserviceaccount.com")
    );
    assert!(info.to_string().starts_with(&format!(
        "impersonated_service_account credentials file {p} (from GOOGLE_APPLICATION_CREDENTIALS)"
    )));
}

#[test]
fn unusable_files_name_the_file_and_type_and_never_fall_through() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_str().unwrap().to_string();
    // A good gcloud ADC file is there too: it must not be used instead.
    std::fs::create_dir_all(dir.path().join(".config/gcloud")).unwrap();
    file_with(
        &dir,
        ".config/gcloud/application_default_credentials.json",
        &user(),
    );
    let cases: Vec<(Value, &[&str])> = vec![
        (
            json!({"type": "gdch_service_account"}),
            &["type 'gdch_service_account'", "cannot use"],
        ),
        (
            json!({"client_id": "x"}),
            &["no `type` field", "authorized_user"],
        ),
        (
            json!({"type": "authorized_user", "client_id": "a", "client_secret": "b"}),
            &["type authorized_user", "`refresh_token`"],
        ),
    ];
    for (v, wants) in cases {
        let p = file_with(&dir, "bad.json", &v);
        let e = locate(&env_of(&[
            (APPLICATION_CREDENTIALS_ENV, &p),
            ("HOME", &home),
        ]))
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert!(e.message.contains(&p), "{}", e.message);
        for w in wants {
            assert!(e.message.contains(w), "{w}: {}", e.message);
        }
    }
    std::fs::write(
        dir.path().join("bad.json"),
        "{\"type\": \"authorized_user\",\n oops",
    )
    .unwrap();
    let p = dir.path().join("bad.json").to_str().unwrap().to_string();
    let e = locate(&env_of(&[(APPLICATION_CREDENTIALS_ENV, &p)])).unwrap_err();
    assert!(
        e.message.contains("is not JSON") && e.message.contains("line 2"),
        "{}",
        e.message
    );
    let e = locate(&env_of(&[(
        APPLICATION_CREDENTIALS_ENV,
        "/nonexistent/k.json",
    )]))
    .unwrap_err();
    assert!(
        e.message.contains("/nonexistent/k.json") && e.message.contains("does not exist"),
        "{}",
        e.message
    );
}

#[test]
fn gcloud_adc_file_honours_cloudsdk_config_then_metadata_then_gcloud() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().to_str().unwrap().to_string();
    file_with(&dir, "application_default_credentials.json", &user());
    let e = env_of(&[("CLOUDSDK_CONFIG", &cfg), ("HOME", "/nonexistent")]);
    let Located::File(info, _) = locate(&e).unwrap() else {
        panic!()
    };
    assert_eq!(info.source, SourceKind::GcloudAdcFile);
    assert_eq!(
        info.path,
        Some(dir.path().join("application_default_credentials.json"))
    );

    let empty = tempfile::tempdir().unwrap();
    let cfg = empty.path().to_str().unwrap().to_string();
    let e = env_of(&[
        ("CLOUDSDK_CONFIG", &cfg),
        (METADATA_HOST_ENV, "127.0.0.1:1"),
    ]);
    assert!(matches!(locate(&e).unwrap(), Located::Metadata(_)));

    let bin = tempfile::tempdir().unwrap();
    let gcloud = bin.path().join("gcloud");
    std::fs::write(&gcloud, "#!/bin/sh\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gcloud, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let bin_s = bin.path().to_str().unwrap().to_string();
    let e = env_of(&[
        ("CLOUDSDK_CONFIG", &cfg),
        ("PATH", &bin_s),
        (NO_GCE_CHECK_ENV, "True"),
    ]);
    let Located::GcloudCli(info) = locate(&e).unwrap() else {
        panic!()
    };
    assert_eq!(info.path, Some(gcloud));

    let e = env_of(&[
        ("CLOUDSDK_CONFIG", &cfg),
        ("PATH", "/nonexistent"),
        (NO_GCE_CHECK_ENV, "True"),
    ]);
    let err = locate(&e).unwrap_err();
    for part in [
        "GOOGLE_OAUTH_ACCESS_TOKEN",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "metadata server",
        "gcloud CLI",
        "gcloud auth application-default login",
    ] {
        assert!(err.message.contains(part), "{part}: {}", err.message);
    }
}
