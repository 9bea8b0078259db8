//! `quota-tui check`: one fresh pass over every metric request of the catalog (SPEC §9: 6
//! requests answer the 38 checks), with bounded concurrency, printed as a table for people or as the JSON object of SPEC §9 for scripts.
//! Per-check errors are part of the output. The exit code follows [`exit::for_checks`]: 0
//! when any check returned a value, 3 when every check failed authentication, 4 when every
//! check failed otherwise. A service that answered `service_disabled` is not asked again in
//! the pass, and the table says so in one line per disabled API, with its activation URL.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use super::progress::Progress;
use crate::catalog::{Capacity, Catalog, Check, Limit, QuotaMetric, best_c3_machine};
use crate::exit::{self, Failure};
use crate::gcp::disabled::announce_key;
use crate::gcp::{ApiError, CHECK_CONCURRENCY, ErrorKind, QuotaSource, fetch_all_reporting};

/// `error` of one check in the JSON output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckErrorJson {
    pub kind: ErrorKind,
    /// The error's text with Google's message as it came, not sanitised (at most 2 KiB of
    /// it, [`ApiError::unsanitized_text`]): serde escapes it in JSON; sanitise it
    /// ([`crate::sanitize`]) before showing it anywhere else.
    pub message: String,
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
    pub error: Option<CheckErrorJson>,
    pub latency_ms: u64,
    /// The error itself, for the table (not part of the JSON).
    #[serde(skip)]
    pub api_error: Option<ApiError>,
    /// The service the check asks (`aiplatform.googleapis.com`, ...; not part of the JSON).
    #[serde(skip)]
    pub service: &'static str,
}

impl CheckRow {
    /// The row for `check`'s result; `latency` is its metric request's.
    pub fn new(check: &Check, result: &Result<Limit, ApiError>, latency: Duration) -> Self {
        let (limit, unlimited, error) = match result {
            Ok(Limit::Finite(v)) => (Some(*v), false, None),
            Ok(Limit::Unlimited) => (None, true, None),
            Err(e) => (
                None,
                false,
                Some(CheckErrorJson {
                    kind: e.kind,
                    // Google's text as it came (capped); serde escapes it.
                    message: e.unsanitized_text(),
                }),
            ),
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
            error,
            latency_ms: latency.as_millis() as u64,
            api_error: result.as_ref().err().cloned(),
            service: check.service(),
        }
    }

    fn value_text(&self) -> String {
        match (&self.error, self.unlimited, self.limit) {
            (Some(_), _, _) => "!".into(),
            (None, true, _) => "∞".into(),
            (None, false, Some(v)) => v.to_string(),
            (None, false, None) => "?".into(),
        }
    }

    fn as_limit(&self) -> Option<Limit> {
        if self.error.is_some() {
            None
        } else if self.unlimited {
            Some(Limit::Unlimited)
        } else {
            self.limit.map(Limit::Finite)
        }
    }
}

/// The JSON object of SPEC §9.
#[derive(Debug, Serialize)]
pub struct CheckReport<'a> {
    pub project: &'a str,
    pub demo: bool,
    pub checks: &'a [CheckRow],
}

/// Render rows as the people's table: the GPU grid (types × regions), the C3 table, the errors
/// and a summary line.
pub fn render_table(catalog: &Catalog, rows: &[CheckRow], elapsed: Duration) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let cap = match catalog.capacity {
        Capacity::Spot => "spot",
        Capacity::OnDemand => "on-demand",
    };
    let _ = writeln!(out, "GPU quota ({cap}, GPUs)");
    let _ = write!(out, "{:<6}", "TYPE");
    for r in &catalog.gpu_regions {
        let _ = write!(out, " {r:>14}");
    }
    out.push('\n');
    for g in &catalog.gpu_types {
        let _ = write!(out, "{:<6}", g.name());
        for r in &catalog.gpu_regions {
            let v = rows
                .iter()
                .find(|x| x.gpu == Some(g.name()) && &x.region == r)
                .map(|x| x.value_text())
                .unwrap_or_default();
            let _ = write!(out, " {v:>14}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "\nC3 private-pool quota (vCPUs)");
    let _ = writeln!(out, "{:<26} {:>6}  BEST MACHINE", "REGION", "vCPUs");
    for x in rows.iter().filter(|x| x.kind == "c3") {
        let best = x
            .as_limit()
            .and_then(best_c3_machine)
            .unwrap_or(if x.error.is_some() { "?" } else { "-" });
        let _ = writeln!(out, "{:<26} {:>6}  {best}", x.region, x.value_text());
    }
    let failed: Vec<&CheckRow> = rows.iter().filter(|x| x.error.is_some()).collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "\nErrors:");
        write_disabled_apis(&mut out, &failed);
        for x in &failed {
            let e = x.error.as_ref().expect("filtered");
            if e.kind == ErrorKind::ServiceDisabled {
                continue;
            }
            let who = x.gpu.unwrap_or("C3");
            let message = crate::sanitize::Sanitized::new(&e.message);
            let _ = writeln!(out, "  {who} {}: [{}] {message}", x.region, e.kind);
        }
    }
    let _ = writeln!(
        out,
        "\n{} checks in {:.1}s: {} ok, {} failed",
        rows.len(),
        elapsed.as_secs_f64(),
        rows.len() - failed.len(),
        failed.len()
    );
    out
}

/// One line per disabled API among `failed`, in order of first appearance: `  [service_disabled]
/// Service Usage API (serviceusage.googleapis.com) is not enabled in project N: enable it
/// at URL (38 checks)`, instead of one line per check.
fn write_disabled_apis(out: &mut String, failed: &[&CheckRow]) {
    use std::fmt::Write as _;
    let mut order: Vec<String> = Vec::new();
    let mut by_key: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for x in failed {
        let Some(e) = x.api_error.as_ref() else {
            continue;
        };
        let Some(line) = e.service_disabled_line(x.service) else {
            continue;
        };
        let key = announce_key(x.service, e);
        if !by_key.contains_key(&key) {
            order.push(key.clone());
        }
        by_key.entry(key).or_insert((line, 0)).1 += 1;
    }
    for key in order {
        let (line, n) = &by_key[&key];
        let checks = if *n == 1 { "check" } else { "checks" };
        let line = crate::sanitize::Sanitized::new(line);
        let _ = writeln!(out, "  [service_disabled] {line} ({n} {checks})");
    }
}

/// What `check` prints, and how it ends ([`exit::for_checks`]).
#[derive(Debug)]
pub struct CheckRun {
    /// The table or the JSON object, to print on stdout.
    pub text: String,
    /// `Ok` for exit 0; else exit 3 or 4 with a one-line reason for stderr.
    pub status: Result<(), Failure>,
}

/// Run `check`: fetch every metric request of `catalog` (each answering all the regions of
/// its metric) and return the text to print (JSON or table, one row per check) and the exit
/// status. `progress` counts the checks as their answers land (a bar on stderr when it is a
/// terminal, [`Progress`]) and is cleared before returning.
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
    let results: Vec<(Check, Result<Limit, ApiError>, Duration)> = outcomes
        .iter()
        .flat_map(|o| o.checks().map(|(c, r)| (c, r, o.latency)))
        .collect();
    let rows: Vec<CheckRow> = results
        .iter()
        .map(|(c, r, latency)| CheckRow::new(c, r, *latency))
        .collect();
    let status = exit::for_checks(results.iter().map(|(_, r, _)| r));
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
