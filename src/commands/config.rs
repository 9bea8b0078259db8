//! `quota-tui config` (SPEC §9): the resolved settings and where each came from (a flag, an
//! environment variable, the config file with its path, gcloud's configuration, a credentials
//! file, or the default). Credentials are described (source, type, file, account), never
//! printed; nothing is sent to Google.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};

use crate::config::{Config, default_config_path};
use crate::durations::fmt_duration;
use crate::exit::Failure;
use crate::gcp::auth::{
    ACCESS_TOKEN_ENV, CredentialInfo, Located, QuotaProject, SourceKind, check_token, locate,
};
use crate::gcp::serviceusage::DEFAULT_SERVICEUSAGE_URL;
use crate::origin::Origin;

/// One line of the report: a setting, its value, where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Setting {
    name: &'static str,
    value: Value,
    from: Option<Origin>,
}

/// What the credentials lookup found, without a secret.
fn credentials(env: &dyn Fn(&str) -> Option<String>) -> Result<CredentialInfo, String> {
    match locate(env) {
        Ok(Located::AccessToken(token)) => match check_token(&token) {
            Ok(()) => Ok(CredentialInfo::of(SourceKind::AccessTokenEnv)),
            Err(what) => Err(format!("{ACCESS_TOKEN_ENV} is malformed: {what}")),
        },
        Ok(Located::File(info, _) | Located::Metadata(info) | Located::GcloudCli(info)) => Ok(info),
        Err(e) => Err(e.message),
    }
}

/// The report for `cfg`, reading credentials through `env`, as text (or JSON with `json`),
/// and the failure to exit with: exit 3 when a project is set and its credentials cannot be
/// used (the report says why). Reads files only; sends nothing.
pub fn run(
    cfg: &Config,
    env: &dyn Fn(&str) -> Option<String>,
    json: bool,
) -> (String, Result<(), Failure>) {
    let creds = credentials(env);
    let quota: Option<QuotaProject> = cfg.billing_project.clone().or_else(|| {
        let info = creds.as_ref().ok()?;
        Some(QuotaProject {
            id: info.file_quota_project.clone()?,
            origin: Origin::CredentialsFile {
                path: info.path.clone()?,
            },
        })
    });
    let settings = settings(cfg, quota.as_ref());
    let failure = match (&creds, cfg.is_demo()) {
        (Err(e), false) => Err(Failure::auth(e.clone())),
        _ => Ok(()),
    };
    let out = if json {
        json_report(cfg, &creds, &settings)
    } else {
        text_report(cfg, &creds, &settings)
    };
    (out, failure)
}

fn settings(cfg: &Config, quota: Option<&QuotaProject>) -> Vec<Setting> {
    let o = &cfg.origins;
    let s = |name, value: Value, from: &Origin| Setting {
        name,
        value,
        from: Some(from.clone()),
    };
    let dur = |d| Value::from(fmt_duration(d));
    let c = &cfg.catalog;
    vec![
        s("project", json!(cfg.project), &o.project),
        Setting {
            name: "quota_project",
            value: json!(quota.map(|q| q.id.clone())),
            from: quota.map(|q| q.origin.clone()),
        },
        s(
            "gpu_types",
            json!(c.gpu_types.iter().map(|g| g.name()).collect::<Vec<_>>()),
            &o.gpu_types,
        ),
        s("gpu_regions", json!(c.gpu_regions), &o.gpu_regions),
        s("c3_regions", json!(c.c3_regions), &o.c3_regions),
        s(
            "capacity",
            json!(match c.capacity {
                crate::catalog::Capacity::Spot => "spot",
                crate::catalog::Capacity::OnDemand => "on-demand",
            }),
            &o.capacity,
        ),
        s("interval", dur(cfg.warmer.interval), &o.interval),
        s("ttl", dur(cfg.warmer.ttl), &o.ttl),
        s("refresh", dur(cfg.warmer.refresh), &o.refresh),
        s("check_timeout", dur(cfg.check_timeout), &o.check_timeout),
        s("log_dir", json!(cfg.log_dir), &o.log_dir),
        s(
            "serviceusage_url",
            json!(
                cfg.serviceusage_url
                    .as_deref()
                    .unwrap_or(DEFAULT_SERVICEUSAGE_URL)
            ),
            &o.serviceusage_url,
        ),
        s(
            "aiplatform_url",
            json!(
                cfg.aiplatform_url
                    .as_deref()
                    .unwrap_or("https://{REGION}-aiplatform.googleapis.com")
            ),
            &o.aiplatform_url,
        ),
        // The URL without its password (a secret like the token, SPEC §11).
        s(
            "store",
            json!(cfg.store.redis.as_ref().map_or("memory", |t| t.shown())),
            &cfg.store.store_origin,
        ),
        s(
            "snapshot",
            json!(cfg.store.snapshot),
            &cfg.store.snapshot_origin,
        ),
        s("theme", json!(cfg.theme.as_str()), &o.theme),
    ]
}

fn json_report(
    cfg: &Config,
    creds: &Result<CredentialInfo, String>,
    settings: &[Setting],
) -> String {
    let mut map = serde_json::Map::new();
    map.insert("demo".into(), json!(cfg.is_demo()));
    map.insert(
        "config_file".into(),
        json!(cfg.config_file.clone().or_else(default_config_path)),
    );
    map.insert(
        "config_file_present".into(),
        json!(cfg.config_file.is_some()),
    );
    for s in settings {
        map.insert(s.name.into(), json!({"value": s.value, "from": s.from}));
    }
    map.insert(
        "credentials".into(),
        match creds {
            Ok(info) => json!({"ok": true, "description": info.to_string(), "info": info}),
            Err(e) => json!({"ok": false, "error": e}),
        },
    );
    serde_json::to_string_pretty(&Value::Object(map)).expect("a JSON value serializes")
}

fn text_report(
    cfg: &Config,
    creds: &Result<CredentialInfo, String>,
    settings: &[Setting],
) -> String {
    let mut out = String::from("quota-tui settings (value, then where it came from)\n\n");
    let line = |out: &mut String, name: &str, value: &str, from: &str| {
        let _ = writeln!(out, "{name:<18} {value}  [{from}]");
    };
    let file = match (&cfg.config_file, default_config_path()) {
        (Some(p), _) => p.display().to_string(),
        (None, Some(p)) => format!("none ({} does not exist)", p.display()),
        (None, None) => "none".to_string(),
    };
    let _ = writeln!(out, "{:<18} {file}", "config file");
    for s in settings {
        let value = match &s.value {
            Value::Null if s.name == "project" => cfg.project_line().replacen("project: ", "", 1),
            Value::Null => "none (no x-goog-user-project header is sent)".to_string(),
            Value::String(v) => v.clone(),
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        let from = match &s.from {
            Some(Origin::Default) if s.name == "refresh" => "default: 80% of the TTL".to_string(),
            Some(o) => o.to_string(),
            None => "not set".to_string(),
        };
        if s.name == "project" && cfg.project.is_none() {
            let _ = writeln!(out, "{:<18} {value}", s.name);
            continue;
        }
        let label = match s.name {
            "serviceusage_url" => "Service Usage URL".to_string(),
            "aiplatform_url" => "Vertex AI URL".to_string(),
            name => name.replace('_', " "),
        };
        line(&mut out, &label, &value, &from);
    }
    let _ = match creds {
        Ok(info) => writeln!(out, "{:<18} {info}", "credentials"),
        Err(e) => writeln!(out, "{:<18} unusable: {e}", "credentials"),
    };
    if cfg.is_demo() {
        out.push_str("                 (demo mode uses the demo token; the credentials above are for a project)\n");
    }
    out
}
