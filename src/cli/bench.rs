//! `capsim bench`: timed whole runs of a scenario at several thread counts.
//!
//! Reports, per thread count, the median over measured runs of trials/s and simulated
//! site-days/s, the scaling against the first thread count, the process's peak resident memory
//! and the machine. Timing lives here and in `benches/`, never in tests.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use capsim::engine::{self, EngineConfig, RunHooks};
use serde::Serialize;

use super::app::{DEFAULT_SEED, compile, load};
use super::args::{BenchArgs, ScenarioArgs};

#[derive(Debug, Serialize)]
struct BenchRow {
    threads: usize,
    runs_s: Vec<f64>,
    median_s: f64,
    trials_per_s: f64,
    site_days_per_s: f64,
    scaling: f64,
}

#[derive(Debug, Serialize)]
struct BenchReport {
    capsim_version: &'static str,
    scenario: String,
    trials: u64,
    cpu: String,
    cores: usize,
    rows: Vec<BenchRow>,
    peak_rss_mb: Option<f64>,
}

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

/// Peak resident set size of this process (VmHWM), MB; Linux only.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
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

pub(crate) fn bench(args: BenchArgs) -> Result<()> {
    let path = args
        .scenario
        .clone()
        .unwrap_or_else(|| PathBuf::from("scenarios/aws-openai-2026.toml"));
    let scenario = load(&ScenarioArgs {
        scenario: path.clone(),
        overrides: Vec::new(),
    })?;
    let model = compile(&scenario)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = if args.threads.is_empty() {
        if cores > 1 { vec![1, cores] } else { vec![1] }
    } else {
        args.threads.clone()
    };
    let site_days = (model.days * model.sites.len()) as f64;
    let mut rows: Vec<BenchRow> = Vec::new();
    for &t in &threads {
        let config = EngineConfig {
            trials: args.trials,
            first_trial: 0,
            seed: scenario.seed.unwrap_or(DEFAULT_SEED),
            threads: t,
            batch_size: EngineConfig::DEFAULT_BATCH_SIZE,
        };
        let mut times = Vec::new();
        for i in 0..args.warmup + args.runs.max(1) {
            let started = Instant::now();
            let acc = engine::run(&model, &config, RunHooks::default())?;
            let secs = started.elapsed().as_secs_f64();
            std::hint::black_box(acc.trials());
            if i >= args.warmup {
                times.push(secs);
            }
        }
        let m = median(&times);
        let trials_per_s = args.trials as f64 / m;
        let scaling = rows
            .first()
            .map(|r| trials_per_s / r.trials_per_s)
            .unwrap_or(1.0);
        rows.push(BenchRow {
            threads: t,
            runs_s: times,
            median_s: m,
            trials_per_s,
            site_days_per_s: trials_per_s * site_days,
            scaling,
        });
    }
    let report = BenchReport {
        capsim_version: env!("CARGO_PKG_VERSION"),
        scenario: path.display().to_string(),
        trials: args.trials,
        cpu: cpu_model(),
        cores,
        rows,
        peak_rss_mb: peak_rss_mb(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "capsim {} bench: {} · {} trials per run · {} measured runs (+{} warm-up) per thread count",
        report.capsim_version, report.scenario, report.trials, args.runs, args.warmup
    );
    println!("machine: {} · {} cores\n", report.cpu, report.cores);
    println!(
        "  {:>7}  {:>10}  {:>12}  {:>16}  {:>8}",
        "threads", "median s", "trials/s", "site-days/s", "scaling"
    );
    for r in &report.rows {
        println!(
            "  {:>7}  {:>10.3}  {:>12.0}  {:>16.3e}  {:>7.2}x",
            r.threads, r.median_s, r.trials_per_s, r.site_days_per_s, r.scaling
        );
    }
    match report.peak_rss_mb {
        Some(mb) => println!("\npeak memory (VmHWM): {mb:.1} MB"),
        None => println!("\npeak memory: not available on this platform"),
    }
    Ok(())
}
