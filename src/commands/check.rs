//! `quota-tui check`: one fresh pass over every metric request of the catalog (SPEC §9: 6
//! metrics answer the 38 checks, each asked for its limits and its usage concurrently, 12
//! requests), with bounded concurrency, printed as a table of `free/limit` for people or as
//! the JSON object of SPEC §9 for scripts. Per-check errors are part of the output. The exit
//! code follows [`exit::for_checks`] on the limits: 0 when any check returned a value, 3 when
//! every check failed authentication, 4 when every check failed otherwise; a usage failure
//! alone never fails `check` (usage is `null`, its reason in `usage_error`). A service that
//! answered `service_disabled` is not asked again in the pass, and the table says so in one
//! line per disabled API, with its activation URL; so is a usage failure, once per reason.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use super::progress::Progress;
use crate::catalog::{Catalog, Check, Limit, QuotaMetric};
use crate::exit::{self, Failure};
use crate::gcp::{ApiError, CHECK_CONCURRENCY, ErrorKind, QuotaSource, fetch_all_reporting};

mod table;
pub use table::render_table;

/// `error` (or `usage_error`) of one check in the JSON output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckErrorJson {
    pub kind: ErrorKind,
    /// The error's text with Google's message as it came, not sanitised (at most 2 KiB of
    /// it, [`ApiError::unsanitized_text`]): serde escapes it in JSON; sanitise it
    /// ([`crate::sanitize`]) before showing it anywhere else.
    pub message: String,
}

impl CheckErrorJson {
    fn of(e: &ApiError) -> Self {
        CheckErrorJson {
            kind: e.kind,
            // Google's text as it came (capped); serde escapes it.
            message: e.unsanitized_text(),
        }
    }
}

/// One check in the JSON output (SPEC §9).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckRow {
    /// `gpu` or `c3`.
    pub kind: &'static str,
    /// `T4`, ..., or null for C3.
    pub gpu: Option<&'static str>,
    pub region: String,
    pub metric: String,
    /// The limit (GPUs or vCPUs); null when unlimited or failed.
    pub limit: Option<i64>,
    pub unlimited: bool,
    /// In use (GPUs or vCPUs, Cloud Monitoring); null when the usage could not be read.
    pub usage: Option<i64>,
    /// Free: limit − usage, never below 0; null when unlimited, or when the limit or the
    /// usage is unknown.
    pub free: Option<i64>,
    pub error: Option<CheckErrorJson>,
    /// Why the usage could not be read (a usage failure never fails the check).
    pub usage_error: Option<CheckErrorJson>,
    /// Wall time of the check's metric: its limit and usage requests, concurrent.
    pub latency_ms: u64,
    /// The error itself, for the table (not part of the JSON).
    #[serde(skip)]
    pub api_error: Option<ApiError>,
    /// The usage error itself, for the table (not part of the JSON).
    #[serde(skip)]
    pub usage_api_error: Option<ApiError>,
    /// The service the check asks (`aiplatform.googleapis.com`, ...; not part of the JSON).
    #[serde(skip)]
    pub service: &'static str,
}

impl CheckRow {
    /// The row for `check`'s result and usage (`None`: not asked); `latency` is its
    /// metric's.
    pub fn new(
        check: &Check,
        result: &Result<Limit, ApiError>,
        usage: Option<&Result<i64, ApiError>>,
        latency: Duration,
    ) -> Self {
        let (limit, unlimited, error) = match result {
            Ok(Limit::Finite(v)) => (Some(*v), false, None),
            Ok(Limit::Unlimited) => (None, true, None),
            Err(e) => (None, false, Some(CheckErrorJson::of(e))),
        };
        let in_use = usage.and_then(|u| u.as_ref().ok().copied());
        let usage_api_error = usage.and_then(|u| u.as_ref().err().cloned());
        let free = match (result, in_use) {
            (Ok(l), Some(u)) => l.free(u).finite(),
            _ => None,
        };
        CheckRow {
            kind: match check.metric {
                QuotaMetric::Gpu { .. } => "gpu",
                QuotaMetric::C3 => "c3",
            },
            gpu: check.gpu_type().map(|g| g.name()),
            region: check.region.clone(),
            metric: check.metric.name().to_string(),
            limit,
            unlimited,
            usage: in_use,
            free,
            error,
            usage_error: usage_api_error.as_ref().map(CheckErrorJson::of),
            latency_ms: latency.as_millis() as u64,
            api_error: result.as_ref().err().cloned(),
            usage_api_error,
            service: check.service(),
        }
    }

    /// The limit, when read.
    fn as_limit(&self) -> Option<Limit> {
        if self.error.is_some() {
            None
        } else if self.unlimited {
            Some(Limit::Unlimited)
        } else {
            self.limit.map(Limit::Finite)
        }
    }

    /// What is free, when both the limit and the usage were read (unlimited stays unlimited).
    fn as_free(&self) -> Option<Limit> {
        Some(self.as_limit()?.free(self.usage?))
    }
}

/// The JSON object of SPEC §9.
#[derive(Debug, Serialize)]
pub struct CheckReport<'a> {
    pub project: &'a str,
    pub demo: bool,
    pub checks: &'a [CheckRow],
}

/// What `check` prints, and how it ends ([`exit::for_checks`]).
#[derive(Debug)]
pub struct CheckRun {
    /// The table or the JSON object, to print on stdout.
    pub text: String,
    /// `Ok` for exit 0; else exit 3 or 4 with a one-line reason for stderr.
    pub status: Result<(), Failure>,
}

/// Run `check`: fetch every metric request of `catalog` (limits and usage, each answering all
/// the regions of its metric) and return the text to print (JSON or table, one row per check)
/// and the exit status (by the limits alone). `progress` counts the checks as their answers
/// land (a bar on stderr when it is a terminal, [`Progress`]) and is cleared before returning.
pub async fn run(
    catalog: &Catalog,
    source: Arc<dyn QuotaSource>,
    project: &str,
    demo: bool,
    json: bool,
    progress: &Progress,
) -> CheckRun {
    let t0 = Instant::now();
    let requests = catalog.requests();
    let total: usize = requests.iter().map(|r| r.len()).sum();
    progress.set(0, total as u64);
    let outcomes = fetch_all_reporting(&requests, source, CHECK_CONCURRENCY, &|o| {
        progress.inc(o.request.len() as u64)
    })
    .await;
    progress.finish();
    let mut rows: Vec<CheckRow> = Vec::new();
    let mut results: Vec<Result<Limit, ApiError>> = Vec::new();
    for o in &outcomes {
        for (i, (check, result)) in o.checks().enumerate() {
            let usage = o.region_usage(i);
            rows.push(CheckRow::new(&check, &result, usage.as_ref(), o.elapsed()));
            results.push(result);
        }
    }
    let status = exit::for_checks(results.iter());
    let text = if json {
        crate::sanitize::to_json_pretty(&CheckReport {
            project,
            demo,
            checks: &rows,
        })
        .expect("rows serialize")
    } else {
        render_table(catalog, &rows, t0.elapsed())
    };
    CheckRun { text, status }
}
