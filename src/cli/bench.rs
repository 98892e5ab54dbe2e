//! `capsim bench`: timed whole runs of a scenario at several thread counts and trial counts.
//!
//! Reports, per (thread count, trial count), the median over measured runs of trials/s,
//! simulated site-days/s and nanoseconds per trial; the cost per trial against the smallest trial
//! count (≈ 1.0 when time grows linearly with trials); the scaling against the first thread count;
//! the peak resident memory of the measured runs and the accumulator's heap (flat when memory does
//! not grow with trials); and the machine. Timing lives here and in `benches/`, never in tests.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use capsim::engine::{self, EngineConfig, RunHooks};
use serde::Serialize;

use super::args::{BenchArgs, ScenarioArgs};
use super::common::to_stdout;
use super::common::{DEFAULT_SEED, compile, load, print_json};

#[derive(Debug, Serialize)]
struct BenchRow {
    threads: usize,
    trials: u64,
    runs_s: Vec<f64>,
    median_s: f64,
    trials_per_s: f64,
    site_days_per_s: f64,
    /// Median wall time per trial, ns: constant when cost grows linearly with trials.
    ns_per_trial: f64,
    /// `ns_per_trial` over that of the smallest trial count at the same thread count.
    cost_vs_smallest: f64,
    /// `trials_per_s` over that of the first thread count at the same trial count.
    scaling: f64,
    /// Resident memory when the peak was reset, just before a measured run, MB (the largest
    /// over the measured runs); `null` where the peak cannot be reset.
    base_rss_mb: Option<f64>,
    /// Peak resident memory during a measured run (VmHWM after resetting it), MB (the largest
    /// over the measured runs); `null` where the peak cannot be reset.
    peak_rss_mb: Option<f64>,
    /// Heap bytes of the run's merged accumulator.
    accumulator_heap_bytes: usize,
}

/// What `capsim bench --json` prints. Fields are only ever added (a removal or a change of
/// meaning bumps `schema_version`), so a series of reports can be tracked over time.
#[derive(Debug, Serialize)]
struct BenchReport {
    schema_version: u32,
    capsim_version: &'static str,
    scenario: String,
    /// The seed the runs used (the scenario's, or capsim's default).
    seed: u64,
    /// Size of the simulated work: sites and days per trial.
    sites: usize,
    days: usize,
    trials: Vec<u64>,
    threads: Vec<usize>,
    runs: usize,
    warmup: usize,
    cpu: String,
    cores: usize,
    rows: Vec<BenchRow>,
}

/// The scenario `bench` measures when none is given: the shipped base case, as it was when
/// this binary was built.
const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/aws-openai-2026.toml");

/// Where [`DEFAULT_SCENARIO`] lives in the repository (named in the report and in errors).
const DEFAULT_SCENARIO_PATH: &str = "scenarios/aws-openai-2026.toml";

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// A `kB` field of /proc/self/status (`VmHWM`, `VmRSS`), in MB; Linux only.
fn proc_status_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status
        .lines()
        .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Resets this process's peak resident memory (VmHWM) to its current resident memory, so the
/// next reading covers only what runs after. Writing "5" to clear_refs does this on Linux ≥ 4.0;
/// without it VmHWM keeps the peak of earlier, larger runs. Returns the resident memory at the
/// reset, MB, or `None` where the reset is unavailable.
fn reset_peak_rss() -> Option<f64> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    proc_status_mb("VmRSS")
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The larger of two optional readings; `None` once any reading is missing, so a row never
/// shows a peak taken over only some of its runs.
fn max_reading(acc: Option<Option<f64>>, x: Option<f64>) -> Option<Option<f64>> {
    Some(match (acc, x) {
        (None, x) => x,
        (Some(Some(a)), Some(x)) => Some(a.max(x)),
        _ => None,
    })
}

fn mb(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{v:.1}"))
}

pub(crate) fn bench(args: BenchArgs) -> Result<()> {
    let (path, scenario) = match &args.scenario {
        Some(path) => {
            let scenario = load(&ScenarioArgs {
                scenario: path.clone(),
                overrides: Vec::new(),
            })?;
            (path.display().to_string(), scenario)
        }
        // Built into the binary, so `bench` works from any folder and without the repository.
        None => (
            format!("{DEFAULT_SCENARIO_PATH} (built in)"),
            capsim::scenario::parse(DEFAULT_SCENARIO, Path::new(DEFAULT_SCENARIO_PATH))?,
        ),
    };
    let model = compile(&scenario)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = if args.threads.is_empty() {
        if cores > 1 { vec![1, cores] } else { vec![1] }
    } else {
        args.threads.clone()
    };
    let runs = args.runs.max(1);
    let site_days = (model.days() * model.sites().len()) as f64;
    let progress = !args.json && std::io::stderr().is_terminal();
    let mut rows: Vec<BenchRow> = Vec::new();
    for &t in &threads {
        for &trials in &args.trials {
            if progress {
                eprintln!("  measuring {trials} trials on {t} threads…");
            }
            let config = EngineConfig {
                trials,
                first_trial: 0,
                seed: scenario.seed.unwrap_or(DEFAULT_SEED),
                threads: t,
                batch_size: EngineConfig::DEFAULT_BATCH_SIZE,
            };
            let mut times = Vec::new();
            let mut base: Option<Option<f64>> = None;
            let mut peak: Option<Option<f64>> = None;
            let mut heap = 0;
            for i in 0..args.warmup + runs {
                let measured = i >= args.warmup;
                // The previous run's accumulator is dropped by now, so the reset starts from
                // what the process holds between runs.
                let before = if measured { reset_peak_rss() } else { None };
                let started = Instant::now();
                let acc = engine::run(&model, &config, RunHooks::default())?;
                let secs = started.elapsed().as_secs_f64();
                std::hint::black_box(acc.trials());
                if measured {
                    times.push(secs);
                    base = max_reading(base, before);
                    peak = max_reading(peak, before.and(proc_status_mb("VmHWM")));
                    heap = acc.heap_bytes();
                }
            }
            let m = median(&times);
            let trials_per_s = trials as f64 / m;
            rows.push(BenchRow {
                threads: t,
                trials,
                runs_s: times,
                median_s: m,
                trials_per_s,
                site_days_per_s: trials_per_s * site_days,
                ns_per_trial: m * 1e9 / trials as f64,
                cost_vs_smallest: 1.0,
                scaling: 1.0,
                base_rss_mb: base.flatten(),
                peak_rss_mb: peak.flatten(),
                accumulator_heap_bytes: heap,
            });
        }
    }
    // Ratios once every row is measured, whatever order the lists came in.
    let smallest = args.trials.iter().copied().min().unwrap_or(0);
    let first_threads = threads.first().copied().unwrap_or(1);
    let find = |threads: usize, trials: u64| {
        rows.iter()
            .find(|r| r.threads == threads && r.trials == trials)
            .map(|r| (r.ns_per_trial, r.trials_per_s))
    };
    let ratios: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| {
            let cost = find(r.threads, smallest).map_or(1.0, |(ns, _)| r.ns_per_trial / ns);
            let scaling =
                find(first_threads, r.trials).map_or(1.0, |(_, tps)| r.trials_per_s / tps);
            (cost, scaling)
        })
        .collect();
    for (r, (cost, scaling)) in rows.iter_mut().zip(ratios) {
        r.cost_vs_smallest = cost;
        r.scaling = scaling;
    }
    let report = BenchReport {
        schema_version: 1,
        capsim_version: env!("CARGO_PKG_VERSION"),
        scenario: path,
        seed: scenario.seed.unwrap_or(DEFAULT_SEED),
        sites: model.sites().len(),
        days: model.days(),
        trials: args.trials.clone(),
        threads,
        runs,
        warmup: args.warmup,
        cpu: cpu_model(),
        cores,
        rows,
    };
    if args.json {
        return print_json(&report);
    }
    let counts: Vec<String> = report.trials.iter().map(u64::to_string).collect();
    Ok(to_stdout(|w| {
        writeln!(
            w,
            "capsim {} bench: {} · trials per run {} · {} measured runs (+{} warm-up) each",
            report.capsim_version,
            report.scenario,
            counts.join(", "),
            report.runs,
            report.warmup
        )?;
        writeln!(w, "machine: {} · {} cores\n", report.cpu, report.cores)?;
        writeln!(
            w,
            "  {:>7}  {:>9}  {:>9}  {:>9}  {:>11}  {:>8}  {:>6}  {:>7}  {:>7}  {:>8}",
            "threads",
            "trials",
            "median s",
            "trials/s",
            "site-days/s",
            "ns/trial",
            "cost",
            "scaling",
            "peak MB",
            "acc heap"
        )?;
        for r in &report.rows {
            writeln!(
                w,
                "  {:>7}  {:>9}  {:>9.3}  {:>9.0}  {:>11.3e}  {:>8.0}  {:>5.2}x  {:>6.2}x  {:>7}  {:>5.1} MB",
                r.threads,
                r.trials,
                r.median_s,
                r.trials_per_s,
                r.site_days_per_s,
                r.ns_per_trial,
                r.cost_vs_smallest,
                r.scaling,
                mb(r.peak_rss_mb),
                r.accumulator_heap_bytes as f64 / (1024.0 * 1024.0)
            )?;
        }
        writeln!(
            w,
            "\ncost: time per trial over that of {smallest} trials at the same thread count (1.00x = \
         linear); scaling: trials/s over {first_threads} thread(s) at the same trial count."
        )?;
        if report.rows.iter().any(|r| r.peak_rss_mb.is_some()) {
            writeln!(
                w,
                "peak MB: the process's peak resident memory (VmHWM) during a measured run, reset \
             before each run; acc heap: the merged accumulator's heap."
            )?;
        } else {
            writeln!(
                w,
                "peak MB: n/a, the peak resident memory cannot be reset on this platform \
             (/proc/self/clear_refs); acc heap: the merged accumulator's heap."
            )?;
        }
        Ok(())
    })?)
}
