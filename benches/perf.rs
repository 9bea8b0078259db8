//! quota-tui's benchmarks (issue 7). `cargo bench --bench perf` prints the figures;
//! `cargo bench --bench perf -- --json` also prints them as one JSON object on the last line.
//! `BENCHMARKS.md` explains each figure and records a run.
//!
//! Figures (modules under `benches/perf/`):
//! - `render_infra_us_p50` / `_p99` (`render`): drawing the Infra screen with a full cache
//!   into a 200×60 `TestBackend`, µs; `render_infra_full_us_p99`: the same after a clear
//!   (every cell sent, as on a resize); `render_infra_allocs_per_frame`: heap allocations;
//! - `key_to_frame_ms_p50` / `_p99` (`key_to_frame`): the real UI loop fed screen switches
//!   while a real warmer checks against a 0.5–3 s source with failures: key sent to the end
//!   of the frame showing the new screen, ms;
//! - `cycle_time_ratio` / `baseline_skip_tick_ratio` (`pacing`): a full cycle over the ideal
//!   Σ max(interval, batch time), paused clock, 3 s requests at a 2 s interval; quota-tui's
//!   warmer and the original's skip-a-tick pacing; `requests_per_cycle`: the requests that
//!   cycle sent (one per metric);
//! - `time_to_hot_s` (`hot`): the release binary's `--demo warm --once` at default settings on
//!   the real clock, cycle start to complete, median of 3 runs, s;
//! - `startup_to_first_frame_ms`, `rss_after_warm_kib`, `idle_cpu_pct`, `idle_wakeups_per_s`
//!   (`release_binary`): the release binary on the embedded demo in tmux; null (with a
//!   note) without tmux;
//! - `hostile_check_json_peak_rss_kib`, `hostile_check_json_stdout_bytes`,
//!   `hostile_warm_once_peak_rss_kib` (`hostile`): the release binary's peak RSS against a
//!   server whose error messages are 50 MB (`check --json`) and 20 MB (`warm --once`);
//! - `first_frame_hot_ms`, `shared_reader_first_frame_ms`, `google_requests_per_cycle`
//!   (`stores`): a restart with a snapshot, a TUI joining a warm Redis, and the requests of
//!   one cycle with 1, 3 and 10 instances on one Redis; null (with a note) without tmux or
//!   `redis-server`.
//!
//! Cargo runs benches with `--bench`; without it (`cargo test --benches`) this prints a note
//! and exits, so `cargo test` never runs the benchmarks.

#[path = "../tests/common/fake_source.rs"]
mod fake_source;
#[path = "../tests/common/hostile_server.rs"]
mod hostile_server;
#[path = "../tests/common/redis_server.rs"]
mod redis_server;
#[path = "../tests/tui_support/mod.rs"]
mod tui_support;

#[path = "perf/allocations.rs"]
mod allocations;
#[path = "perf/hostile.rs"]
mod hostile;
#[path = "perf/key_to_frame.rs"]
mod key_to_frame;
#[path = "perf/pacing.rs"]
mod pacing;
#[path = "perf/release_binary.rs"]
mod release_binary;
#[path = "perf/render.rs"]
mod render;
#[path = "perf/samples.rs"]
mod samples;
#[path = "perf/stores.rs"]
mod stores;
#[path = "perf/time_to_hot.rs"]
mod time_to_hot;

use serde_json::{Map, Value, json};

use samples::{ms, round3, us};

#[global_allocator]
static ALLOCATOR: allocations::Counting = allocations::Counting;

/// Draws timed per render mode.
const RENDER_ITERATIONS: usize = 5_000;
/// Screen switches timed in the live loop.
const KEYS: usize = 500;
/// Timed starts of the release binary (after one untimed).
const STARTS: usize = 9;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("perf: benchmarks run under `cargo bench --bench perf` only; skipped");
        return;
    }
    let json_out = args.iter().any(|a| a == "--json");
    // Other words filter the groups to run (`render`, `key_to_frame`, `pacing`, `binary`,
    // `hostile`, `hot`, `stores`).
    let filters: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    let wanted = |group: &str| filters.is_empty() || filters.iter().any(|f| group.contains(f));
    let mut figures = Map::new();
    let mut put = |key: &str, value: Value| {
        figures.insert(key.to_string(), value);
    };

    if wanted("render") {
        measure_render(&mut put);
    }
    if wanted("key_to_frame") {
        measure_key_to_frame(&mut put);
    }
    if wanted("pacing") {
        measure_pacing(&mut put);
    }
    if wanted("binary") {
        measure_binary(&mut put);
    }
    if wanted("hot") {
        measure_time_to_hot(&mut put);
    }
    if wanted("hostile") {
        measure_hostile(&mut put);
    }
    if wanted("stores") {
        measure_stores(&mut put);
    }
    if json_out {
        println!("{}", Value::Object(figures));
    }
}

fn measure_render(put: &mut impl FnMut(&str, Value)) {
    let render = render::measure(RENDER_ITERATIONS);
    let (p50, p99) = (
        render.steady.percentile(50.0),
        render.steady.percentile(99.0),
    );
    let full_p99 = render.full.percentile(99.0);
    println!(
        "render_infra_us           p50 {:.1}  p99 {:.1}  max {:.1}  (200×60, {} draws; after a clear: p99 {:.1})",
        us(p50),
        us(p99),
        us(render.steady.max()),
        render.steady.len(),
        us(full_p99),
    );
    put("render_infra_us_p50", json!(us(p50)));
    put("render_infra_us_p99", json!(us(p99)));
    put("render_infra_full_us_p99", json!(us(full_p99)));
    println!(
        "render_infra_allocs       {:.1} allocations, {:.0} bytes per frame",
        render.allocations_per_frame, render.bytes_per_frame
    );
    put(
        "render_infra_allocs_per_frame",
        json!((render.allocations_per_frame * 10.0).round() / 10.0),
    );
}

fn measure_key_to_frame(put: &mut impl FnMut(&str, Value)) {
    let keys = key_to_frame::measure(KEYS);
    let (p50, p99) = (keys.samples.percentile(50.0), keys.samples.percentile(99.0));
    println!(
        "key_to_frame_ms           p50 {:.3}  p99 {:.3}  max {:.3}  ({} keys, {} with checks in flight; {} requests landed, {} failed; {} frames)",
        ms(p50),
        ms(p99),
        ms(keys.samples.max()),
        keys.samples.len(),
        keys.keys_in_flight,
        keys.checks_done,
        keys.checks_failed,
        keys.frames,
    );
    put("key_to_frame_ms_p50", json!(ms(p50)));
    put("key_to_frame_ms_p99", json!(ms(p99)));
}

fn measure_pacing(put: &mut impl FnMut(&str, Value)) {
    let pacing = pacing::measure();
    println!(
        "cycle_time_ratio          {:.3}  ({:.1} s for an ideal {:.1} s: {} batches, 3 s requests, 2 s interval)",
        pacing.cycle_time_ratio,
        pacing.cycle.as_secs_f64(),
        pacing.ideal.as_secs_f64(),
        pacing.batches,
    );
    println!(
        "baseline_skip_tick_ratio  {:.3}  ({:.1} s: the original's skip-a-tick pacing)",
        pacing.baseline_skip_tick_ratio,
        pacing.baseline_cycle.as_secs_f64(),
    );
    println!(
        "requests_per_cycle        {}  (one per metric, each answering every region: 38 checks)",
        pacing.requests_per_cycle
    );
    put("cycle_time_ratio", json!(round3(pacing.cycle_time_ratio)));
    put("requests_per_cycle", json!(pacing.requests_per_cycle));
    put(
        "baseline_skip_tick_ratio",
        json!(round3(pacing.baseline_skip_tick_ratio)),
    );
}

fn measure_time_to_hot(put: &mut impl FnMut(&str, Value)) {
    let hot = time_to_hot::measure();
    let median = hot.median_s();
    match median {
        Some(s) => println!(
            "time_to_hot_s             {s:.1}  (median of {:?} s, {:?} batches; demo, 2 s interval, real clock; original logged 47–51 s, 20 batches: 41.7 s)",
            hot.runs_s, hot.batches
        ),
        None => println!("time_to_hot_s             null"),
    }
    for note in &hot.notes {
        println!("note: {note}");
    }
    put(
        "time_to_hot_s",
        json!(median.map(|s| (s * 10.0).round() / 10.0)),
    );
}

fn measure_binary(put: &mut impl FnMut(&str, Value)) {
    let binary = release_binary::measure(STARTS);
    let startup = (binary.startup.len() > 0).then(|| binary.startup.percentile(50.0));
    match startup {
        Some(median) => println!(
            "startup_to_first_frame_ms median {:.1}  min {:.1}  max {:.1}  ({} starts; one capture-pane poll ≈ {:.1} ms)",
            ms(median),
            ms(binary.startup.percentile(0.0)),
            ms(binary.startup.max()),
            binary.startup.len(),
            ms(binary.poll),
        ),
        None => println!("startup_to_first_frame_ms null"),
    }
    match binary.rss_after_warm_kib {
        Some(kib) => println!(
            "rss_after_warm_kib        {kib}  ({:.1} MiB)",
            kib as f64 / 1024.0
        ),
        None => println!("rss_after_warm_kib        null"),
    }
    match binary.idle_cpu_pct {
        Some(pct) => println!(
            "idle_cpu_pct              {pct:.2}  (% of one core, warm, Infra screen, {} s)",
            release_binary::IDLE_WINDOW.as_secs()
        ),
        None => println!("idle_cpu_pct              null"),
    }
    match binary.idle_wakeups_per_s {
        Some(n) => println!(
            "idle_wakeups_per_s        {n:.1}  (context switches of all threads, same window)"
        ),
        None => println!("idle_wakeups_per_s        null"),
    }
    for note in &binary.notes {
        println!("note: {note}");
    }
    put(
        "startup_to_first_frame_ms",
        json!(startup.map(|d| (ms(d) * 10.0).round() / 10.0)),
    );
    put("rss_after_warm_kib", json!(binary.rss_after_warm_kib));
    put(
        "idle_cpu_pct",
        json!(binary.idle_cpu_pct.map(|p| (p * 100.0).round() / 100.0)),
    );
    put(
        "idle_wakeups_per_s",
        json!(binary.idle_wakeups_per_s.map(|n| (n * 10.0).round() / 10.0)),
    );
}

fn measure_hostile(put: &mut impl FnMut(&str, Value)) {
    let h = hostile::measure();
    let mib = |kib: Option<u64>| {
        kib.map_or("null".to_string(), |k| {
            format!("{:.1} MiB", k as f64 / 1024.0)
        })
    };
    println!(
        "hostile_check_json_peak_rss_kib {}  ({}; 6 answers (38 checks) with 50 MB messages; stdout {} bytes)",
        h.check_json_peak_rss_kib
            .map_or("null".into(), |k| k.to_string()),
        mib(h.check_json_peak_rss_kib),
        h.check_json_stdout_bytes
            .map_or("null".into(), |n| n.to_string()),
    );
    println!(
        "hostile_warm_once_peak_rss_kib  {}  ({}; 6 answers (38 checks) with 20 MB messages)",
        h.warm_once_peak_rss_kib
            .map_or("null".into(), |k| k.to_string()),
        mib(h.warm_once_peak_rss_kib),
    );
    for note in &h.notes {
        println!("note: {note}");
    }
    put(
        "hostile_check_json_peak_rss_kib",
        json!(h.check_json_peak_rss_kib),
    );
    put(
        "hostile_check_json_stdout_bytes",
        json!(h.check_json_stdout_bytes),
    );
    put(
        "hostile_warm_once_peak_rss_kib",
        json!(h.warm_once_peak_rss_kib),
    );
}

fn measure_stores(put: &mut impl FnMut(&str, Value)) {
    let f = stores::measure();
    let median = |s: &samples::Samples| (s.len() > 0).then(|| ms(s.percentile(50.0)));
    match median(&f.first_frame_hot) {
        Some(m) => println!(
            "first_frame_hot_ms        median {m:.1}  min {:.1}  max {:.1}  ({} starts with the demo's snapshot; each first frame HOT 38/38)",
            ms(f.first_frame_hot.percentile(0.0)),
            ms(f.first_frame_hot.max()),
            f.first_frame_hot.len()
        ),
        None => println!("first_frame_hot_ms        null"),
    }
    put("first_frame_hot_ms", json!(median(&f.first_frame_hot)));
    match median(&f.shared_reader_first_frame) {
        Some(m) => println!(
            "shared_reader_first_frame_ms median {m:.1}  min {:.1}  max {:.1}  ({} TUIs joining a warm Redis; each first frame HOT · shared)",
            ms(f.shared_reader_first_frame.percentile(0.0)),
            ms(f.shared_reader_first_frame.max()),
            f.shared_reader_first_frame.len()
        ),
        None => println!("shared_reader_first_frame_ms null"),
    }
    put(
        "shared_reader_first_frame_ms",
        json!(median(&f.shared_reader_first_frame)),
    );
    let per_cycle: Map<String, Value> = f
        .requests_per_cycle
        .iter()
        .map(|(n, r)| (n.to_string(), json!(r)))
        .collect();
    if !per_cycle.is_empty() {
        let parts: Vec<String> = f
            .requests_per_cycle
            .iter()
            .map(|(n, r)| format!("{n} instance{}: {r}", if *n == 1 { "" } else { "s" }))
            .collect();
        println!(
            "google_requests_per_cycle {}  (warm --store daemons on one Redis, first cycle)",
            parts.join(" · ")
        );
    } else {
        println!("google_requests_per_cycle null");
    }
    put(
        "google_requests_per_cycle",
        if per_cycle.is_empty() {
            Value::Null
        } else {
            Value::Object(per_cycle)
        },
    );
    for note in &f.notes {
        println!("note: {note}");
    }
}
