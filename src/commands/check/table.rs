//! `check`'s table for people: the GPU grid of `free/limit` (types × regions), the C3 table
//! (free and limit vCPUs, the best pool machine that fits the free vCPUs), the errors, why
//! usage is unknown, and a summary line.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::CheckRow;
use crate::catalog::{Capacity, Catalog, Limit, best_c3_machine};
use crate::gcp::ErrorKind;
use crate::gcp::disabled::announce_key;
use crate::sanitize::Sanitized;

/// The Cloud Monitoring API, named when Google's answer does not name it.
const MONITORING_API: &str = "monitoring.googleapis.com";

/// A cell: `2/16` (free of limit), `?/16` (usage unknown), `∞` (unlimited), `!` (failed).
fn cell(x: &CheckRow) -> String {
    match (x.as_limit(), x.as_free()) {
        (None, _) => "!".into(),
        (Some(Limit::Unlimited), _) => "∞".into(),
        (Some(limit), Some(free)) => format!("{free}/{limit}"),
        (Some(limit), None) => format!("?/{limit}"),
    }
}

/// The best pool machine for a C3 row: by the free vCPUs, else (usage unknown) by the limit,
/// said so; `?` when the limit failed, `-` when nothing fits.
fn c3_machine(x: &CheckRow) -> String {
    match (x.as_limit(), x.as_free()) {
        (None, _) => "?".into(),
        (Some(_), Some(free)) => best_c3_machine(free).unwrap_or("-").into(),
        (Some(limit), None) => match best_c3_machine(limit) {
            Some(m) => format!("{m} (by limit, usage ?)"),
            None => "-".into(),
        },
    }
}

/// Render rows as the people's table: the GPU grid (types × regions, `free/limit`), the C3
/// table, the errors, why usage is unknown, and a summary line.
pub fn render_table(catalog: &Catalog, rows: &[CheckRow], elapsed: Duration) -> String {
    let mut out = String::new();
    let cap = match catalog.capacity {
        Capacity::Spot => "spot",
        Capacity::OnDemand => "on-demand",
    };
    let _ = writeln!(out, "GPU quota ({cap}, free/limit GPUs)");
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
                .map(cell)
                .unwrap_or_default();
            let _ = write!(out, " {v:>14}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "\nC3 private-pool quota (free/limit vCPUs)");
    let _ = writeln!(out, "{:<26} {:>10}  BEST MACHINE", "REGION", "vCPUs");
    for x in rows.iter().filter(|x| x.kind == "c3") {
        let _ = writeln!(out, "{:<26} {:>10}  {}", x.region, cell(x), c3_machine(x));
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
            let message = Sanitized::new(&e.message);
            let _ = writeln!(out, "  {who} {}: [{}] {message}", x.region, e.kind);
        }
    }
    write_usage_errors(&mut out, rows);
    let unknown = rows.iter().filter(|x| x.usage.is_none()).count();
    let usage = if unknown == 0 {
        String::new()
    } else {
        format!("; usage unknown for {unknown}")
    };
    let _ = writeln!(
        out,
        "\n{} checks in {:.1}s: {} ok, {} failed{usage}",
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
        let line = Sanitized::new(line);
        let _ = writeln!(out, "  [service_disabled] {line} ({n} {})", checks(*n));
    }
}

/// Why usage is `?`, one line per distinct reason in order of first appearance, with the
/// checks it covers: `Usage unknown (?):` then `  [permission] permission denied (403 ...):
/// ... grant ... (roles/monitoring.viewer)] (38 checks)`. Nothing when every usage was read.
fn write_usage_errors(out: &mut String, rows: &[CheckRow]) {
    let mut order: Vec<String> = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for e in rows.iter().filter_map(|x| x.usage_api_error.as_ref()) {
        let line = match e.service_disabled_line(MONITORING_API) {
            Some(line) => format!("[{}] {line}", e.kind),
            None => format!("[{}] {e}", e.kind),
        };
        if !counts.contains_key(&line) {
            order.push(line.clone());
        }
        *counts.entry(line).or_default() += 1;
    }
    if order.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nUsage unknown (?):");
    for line in order {
        let n = counts[&line];
        let line = Sanitized::new(&line).max_chars(600);
        let _ = writeln!(out, "  {line} ({n} {})", checks(n));
    }
}

fn checks(n: usize) -> &'static str {
    if n == 1 { "check" } else { "checks" }
}
