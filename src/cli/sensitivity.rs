//! `capsim sensitivity`: which uncertain input drives the outcome.
//!
//! Three methods, all with common random numbers (every run uses the same seed, and each input
//! draws from its own generator, so holding or re-seeding one input leaves every other input's
//! draws untouched):
//!
//! - `spearman` (one run): Spearman's ρ of each per-trial input with the full-capacity day
//!   ("never" ranked last) and with GPUs available at the deadline. Memory: every trial's inputs
//!   and outcomes are kept, O(trials × inputs) (8 bytes each: 1.6 MB for 10,000 trials of 20
//!   inputs).
//! - `swing` (1 + 2 × inputs runs): each input held at its P10 and at its P90, the others random.
//! - `sobol` (2 + groups runs): pick-freeze with two seeds A and B; run A_B^(i) re-seeds only
//!   input group i with B's seed ([`capsim::model::Model::override_seed`]). Memory: O(trials) per
//!   run kept.

use std::fmt::Write as _;
use std::io::Write;

use anyhow::Result;
use capsim::chart::{self, Tornado, TornadoRow, TornadoScale};
use capsim::engine::{self, EngineConfig, RunHooks};
use capsim::model::Model;
use capsim::numeric::seed::mix64;
use capsim::output::thousands;
use capsim::scenario::InputRef;
use capsim::stats::{SobolIndices, TrialOutcome, sobol, spearman, type7};
use indicatif::ProgressBar;
use serde::Serialize;

use super::app::{
    compile, load, out_dir, print_json, stem, trials_and_seed, write_atomic, write_chart_pair,
};
use super::args::{SensitivityArgs, SensitivityMethod};
use super::folder::ResultsFolder;
use super::{CANCEL, to_stdout};

/// Bootstrap resamples behind each Sobol interval.
const BOOTSTRAP_RESAMPLES: usize = 200;

/// Runs of one model's variants with a shared trial count, threads and progress bar, building
/// one results folder.
struct Runs<'a> {
    model: &'a Model,
    seed: u64,
    trials: u64,
    threads: usize,
    bar: &'a ProgressBar,
    folder: &'a ResultsFolder,
    /// Trials of all runs together.
    total: u64,
}

/// The outcomes of one run, one entry per trial.
struct Outcomes {
    /// Full-capacity day, `+∞` for never.
    full_day: Vec<f64>,
    /// 1 if the target was met by the deadline, else 0.
    met: Vec<f64>,
    /// Available GPUs at the deadline.
    available: Vec<f64>,
    /// Inputs, trial-major (`inputs[t * n + i]`), when asked for.
    inputs: Vec<f64>,
}

impl Outcomes {
    fn p_target(&self) -> f64 {
        self.met.iter().sum::<f64>() / self.met.len().max(1) as f64
    }

    /// Median full-capacity day (type 7), `None` when it falls among the trials that never
    /// get there.
    fn median_day(&self) -> Option<f64> {
        let mut d = self.full_day.clone();
        d.sort_by(f64::total_cmp);
        let m = type7(0.5, d.len() as u64, |k| d[k as usize]);
        m.is_finite().then_some(m)
    }
}

impl Runs<'_> {
    fn run(&self, model: &Model, seed: u64, keep_inputs: bool) -> Result<Outcomes> {
        let cfg = EngineConfig::new(self.trials, seed, self.threads);
        let n = self.trials as usize;
        let mut out = Outcomes {
            full_day: Vec::with_capacity(n),
            met: Vec::with_capacity(n),
            available: Vec::with_capacity(n),
            inputs: Vec::new(),
        };
        let deadline = model.deadline_day;
        let mut sink = |_t: u64, o: &TrialOutcome| {
            out.full_day
                .push(o.full_capacity_day.map_or(f64::INFINITY, f64::from));
            out.met.push(f64::from(u8::from(
                o.full_capacity_day.is_some_and(|d| d as usize <= deadline),
            )));
            out.available.push(o.available_gpus_at_deadline as f64);
            if keep_inputs {
                out.inputs.extend_from_slice(&o.inputs);
            }
            Ok(())
        };
        let progress = |k: u64| self.bar.inc(k);
        let run = engine::run(
            model,
            &cfg,
            RunHooks {
                cancel: Some(&CANCEL),
                progress: Some(&progress),
                trial_sink: Some(&mut sink),
            },
        );
        self.folder.unless_interrupted(
            run.map_err(anyhow::Error::from),
            self.bar.position(),
            self.total,
        )?;
        Ok(out)
    }
}

/// One input's Spearman correlations.
#[derive(Debug, Serialize)]
struct SpearmanRow {
    input: String,
    /// ρ with the full-capacity day (never ranked last); `None` if that outcome is constant.
    rho_full_capacity_day: Option<f64>,
    rho_full_capacity_day_ci95: Option<[f64; 2]>,
    /// ρ with GPUs available at the deadline.
    rho_available_gpus: Option<f64>,
    rho_available_gpus_ci95: Option<[f64; 2]>,
}

/// One input's swing.
#[derive(Debug, Serialize)]
struct SwingRow {
    input: String,
    value_at_p10: f64,
    value_at_p90: f64,
    p_target_at_p10: f64,
    p_target_at_p90: f64,
    /// P(target) with the input at P90 minus at P10.
    p_target_swing: f64,
    median_full_capacity_date_at_p10: Option<String>,
    median_full_capacity_date_at_p90: Option<String>,
    /// Median full-capacity day at P90 minus at P10, days (`None` if either is never).
    median_full_capacity_swing_days: Option<f64>,
}

/// One input group's Sobol indices.
#[derive(Debug, Serialize)]
struct SobolRow {
    input: String,
    met_by_deadline: SobolIndices,
    available_gpus: SobolIndices,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Rows {
    Spearman(Vec<SpearmanRow>),
    Swing(Vec<SwingRow>),
    Sobol(Vec<SobolRow>),
}

/// The baseline run (all inputs random, the run seed).
#[derive(Debug, Serialize)]
struct Baseline {
    p_target_by_deadline: f64,
    median_full_capacity_date: Option<String>,
    mean_available_gpus: f64,
}

/// `sensitivity.json`.
#[derive(Debug, Serialize)]
struct Report {
    capsim_version: String,
    scenario: String,
    file: String,
    method: &'static str,
    seed: u64,
    /// Seed of the B matrix (Sobol only).
    #[serde(skip_serializing_if = "Option::is_none")]
    seed_b: Option<u64>,
    trials: u64,
    runs: usize,
    target_gpus: u64,
    deadline: String,
    baseline: Baseline,
    how: &'static str,
    /// Inputs left out because they do not vary.
    constant_inputs: Vec<String>,
    inputs: Rows,
}

/// Fisher-z 95% interval of a rank correlation, with the 1.06 variance factor for Spearman's
/// ρ (Fieller, Hartley & Pearson 1957): tanh(atanh ρ ± 1.96·√(1.06/(n − 3))).
fn fisher_ci(rho: f64, n: usize) -> Option<[f64; 2]> {
    if n < 4 {
        return None;
    }
    let z = rho.clamp(-0.999_999, 0.999_999).atanh();
    let h = 1.959_964 * (1.06 / (n as f64 - 3.0)).sqrt();
    Some([(z - h).tanh(), (z + h).tanh()])
}

/// `capsim sensitivity`.
pub(crate) fn sensitivity(args: SensitivityArgs) -> Result<()> {
    let scenario = load(&args.scenario)?;
    let (trials, seed) = trials_and_seed(&args.run, &scenario, 2)?;
    let model = compile(&scenario)?;
    let out_dir = out_dir(
        &args.run,
        &format!("sensitivity-{}", stem(&args.scenario.scenario)),
    )?;
    // Before the first trial: an unwritable --out fails now, not after the simulation.
    let folder = ResultsFolder::create(&out_dir, "sensitivity")?;

    // The per-trial inputs, in `trials.csv` order.
    let (named, names): (Vec<InputRef>, Vec<String>) = scenario.inputs().into_iter().unzip();
    let varying: Vec<usize> = (0..named.len())
        .filter(|&i| !model.input_is_constant(named[i]))
        .collect();
    let constant_inputs: Vec<String> = (0..named.len())
        .filter(|i| !varying.contains(i))
        .map(|i| names[i].clone())
        .collect();
    let groups = model.input_groups();
    let runs = match args.method {
        SensitivityMethod::Spearman => 1,
        SensitivityMethod::Swing => 1 + 2 * varying.len(),
        SensitivityMethod::Sobol => 2 + groups.len(),
    };
    let total = trials * runs as u64;
    let bar = super::app::progress_bar(total, args.run.output.silent(), "trials (all runs)");
    let r = Runs {
        model: &model,
        seed,
        trials,
        threads: args.run.threads,
        bar: &bar,
        folder: &folder,
        total,
    };
    let base = r.run(r.model, r.seed, args.method == SensitivityMethod::Spearman)?;
    let date = |d: Option<f64>| d.map(|d| scenario.date_of(d as i64).to_string());
    let baseline = Baseline {
        p_target_by_deadline: base.p_target(),
        median_full_capacity_date: date(base.median_day()),
        mean_available_gpus: base.available.iter().sum::<f64>() / trials as f64,
    };
    let mut seed_b = None;
    let (how, rows) = match args.method {
        SensitivityMethod::Spearman => {
            let n_in = names.len();
            let mut rows: Vec<SpearmanRow> = varying
                .iter()
                .map(|&i| {
                    let x: Vec<f64> = (0..trials as usize)
                        .map(|t| base.inputs[t * n_in + i])
                        .collect();
                    let rf = spearman(&x, &base.full_day);
                    let ra = spearman(&x, &base.available);
                    SpearmanRow {
                        input: names[i].clone(),
                        rho_full_capacity_day: rf,
                        rho_full_capacity_day_ci95: rf.and_then(|r| fisher_ci(r, x.len())),
                        rho_available_gpus: ra,
                        rho_available_gpus_ci95: ra.and_then(|r| fisher_ci(r, x.len())),
                    }
                })
                .collect();
            let key = |r: &SpearmanRow| {
                (
                    r.rho_full_capacity_day.map_or(-1.0, f64::abs),
                    r.rho_available_gpus.map_or(-1.0, f64::abs),
                )
            };
            rows.sort_by(|a, b| {
                let (ka, kb) = (key(a), key(b));
                kb.0.total_cmp(&ka.0).then(kb.1.total_cmp(&ka.1))
            });
            (
                "Spearman rank correlation (average ranks for ties) of each per-trial input with \
                 the full-capacity day (trials that never reach the target ranked last, tied) and \
                 with GPUs available at the deadline; 95% intervals by Fisher's z with variance \
                 1.06/(n − 3). Sorted by |rho| with the full-capacity day.",
                Rows::Spearman(rows),
            )
        }
        SensitivityMethod::Swing => {
            let mut rows = Vec::new();
            for &i in &varying {
                let n = named[i];
                let lo = model.input_quantile(&scenario, n, 0.1);
                let hi = model.input_quantile(&scenario, n, 0.9);
                let at_lo = r.run(&model.with_input_held(n, lo), seed, false)?;
                let at_hi = r.run(&model.with_input_held(n, hi), seed, false)?;
                let (ml, mh) = (at_lo.median_day(), at_hi.median_day());
                rows.push(SwingRow {
                    input: names[i].clone(),
                    value_at_p10: lo,
                    value_at_p90: hi,
                    p_target_at_p10: at_lo.p_target(),
                    p_target_at_p90: at_hi.p_target(),
                    p_target_swing: at_hi.p_target() - at_lo.p_target(),
                    median_full_capacity_date_at_p10: date(ml),
                    median_full_capacity_date_at_p90: date(mh),
                    median_full_capacity_swing_days: ml.zip(mh).map(|(a, b)| b - a),
                });
            }
            rows.sort_by(|a, b| {
                b.p_target_swing
                    .abs()
                    .total_cmp(&a.p_target_swing.abs())
                    .then(
                        b.median_full_capacity_swing_days
                            .map_or(f64::INFINITY, f64::abs)
                            .total_cmp(
                                &a.median_full_capacity_swing_days
                                    .map_or(f64::INFINITY, f64::abs),
                            ),
                    )
            });
            (
                "One at a time: each uncertain input held at its P10 and at its P90 (whole-day \
                 inputs: smallest day with CDF >= p; install rates: CDF inverted by bisection), \
                 every other input random, same seed (common random numbers). Swing = value with \
                 the input at P90 minus value at P10.",
                Rows::Swing(rows),
            )
        }
        SensitivityMethod::Sobol => {
            let sb = mix64(seed ^ 0x5ae1_7e11_1b00_0b0b) >> 1;
            seed_b = Some(sb);
            let b = r.run(&model, sb, false)?;
            let mut rows = Vec::new();
            for (gi, &g) in groups.iter().enumerate() {
                let mut m = model.clone();
                m.override_seed(g, Some(sb));
                let ab = r.run(&m, seed, false)?;
                let boot = mix64(seed ^ gi as u64);
                rows.push(SobolRow {
                    input: model.group_name(g),
                    met_by_deadline: sobol(&base.met, &b.met, &ab.met, BOOTSTRAP_RESAMPLES, boot),
                    available_gpus: sobol(
                        &base.available,
                        &b.available,
                        &ab.available,
                        BOOTSTRAP_RESAMPLES,
                        boot ^ 1,
                    ),
                });
            }
            rows.sort_by(|a, b| {
                b.met_by_deadline
                    .total
                    .estimate
                    .total_cmp(&a.met_by_deadline.total.estimate)
                    .then(
                        b.available_gpus
                            .total
                            .estimate
                            .total_cmp(&a.available_gpus.total.estimate),
                    )
            });
            (
                "Pick-freeze: A = the run seed, B = seed_b; A_B(i) takes input group i's draws \
                 from B and every other group's from A. First order S = mean(f_B (f_AB - f_A)) / \
                 V (Saltelli 2010), total T = mean((f_A - f_AB)^2) / (2V) (Jansen 1999), V the \
                 variance of f_A and f_B pooled; 95% percentile bootstrap intervals over 200 \
                 resamples of trials. Outcomes: target met by the deadline (0/1) and GPUs \
                 available at the deadline.",
                Rows::Sobol(rows),
            )
        }
    };
    bar.finish_and_clear();
    let report = Report {
        capsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario.name.clone(),
        file: args.scenario.scenario.display().to_string(),
        method: match args.method {
            SensitivityMethod::Spearman => "spearman",
            SensitivityMethod::Swing => "swing",
            SensitivityMethod::Sobol => "sobol",
        },
        seed,
        seed_b,
        trials,
        runs,
        target_gpus: scenario.target_gpus,
        deadline: scenario.deadline.to_string(),
        baseline,
        how,
        constant_inputs,
        inputs: rows,
    };
    let out_dir = folder.path();
    write_atomic(&out_dir.join("sensitivity.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &report)?;
        Ok(w.write_all(b"\n")?)
    })?;
    write_atomic(&out_dir.join("sensitivity.csv"), |w| write_csv(&report, w))?;
    let mut charts = Vec::new();
    if !args.run.output.no_charts {
        let t = tornado(&report);
        if !t.rows.is_empty() {
            charts = write_chart_pair(out_dir, "tornado", |format| {
                chart::render_tornado(&t, format, chart::DEFAULT_SIZE)
            })?;
        }
    }
    folder.unless_interrupted(Ok(()), total, total)?;
    let shown = folder.shown().to_path_buf();
    folder.commit()?;
    if args.run.output.json {
        print_json(&report)?;
    } else if !args.run.output.quiet {
        let mut files = "sensitivity.json, sensitivity.csv".to_owned();
        if !charts.is_empty() {
            files.push_str(", charts/tornado.{png,svg}");
        }
        to_stdout(|w| {
            write!(w, "{}", render_table(&report))?;
            writeln!(w, "\nWrote {files} to {}", shown.display())
        })?;
    }
    Ok(())
}

fn opt(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn write_csv(r: &Report, w: &mut dyn Write) -> Result<()> {
    let mut out = csv::Writer::from_writer(w);
    match &r.inputs {
        Rows::Spearman(rows) => {
            out.write_record([
                "input",
                "rho_full_capacity_day",
                "rho_full_capacity_day_ci95_low",
                "rho_full_capacity_day_ci95_high",
                "rho_available_gpus",
                "rho_available_gpus_ci95_low",
                "rho_available_gpus_ci95_high",
            ])?;
            for x in rows {
                let ci = |c: Option<[f64; 2]>, k: usize| opt(c.map(|c| c[k]));
                out.write_record([
                    x.input.clone(),
                    opt(x.rho_full_capacity_day),
                    ci(x.rho_full_capacity_day_ci95, 0),
                    ci(x.rho_full_capacity_day_ci95, 1),
                    opt(x.rho_available_gpus),
                    ci(x.rho_available_gpus_ci95, 0),
                    ci(x.rho_available_gpus_ci95, 1),
                ])?;
            }
        }
        Rows::Swing(rows) => {
            out.write_record([
                "input",
                "value_at_p10",
                "value_at_p90",
                "p_target_at_p10",
                "p_target_at_p90",
                "p_target_swing",
                "median_full_capacity_date_at_p10",
                "median_full_capacity_date_at_p90",
                "median_full_capacity_swing_days",
            ])?;
            for x in rows {
                out.write_record([
                    x.input.clone(),
                    x.value_at_p10.to_string(),
                    x.value_at_p90.to_string(),
                    x.p_target_at_p10.to_string(),
                    x.p_target_at_p90.to_string(),
                    x.p_target_swing.to_string(),
                    x.median_full_capacity_date_at_p10
                        .clone()
                        .unwrap_or_default(),
                    x.median_full_capacity_date_at_p90
                        .clone()
                        .unwrap_or_default(),
                    opt(x.median_full_capacity_swing_days),
                ])?;
            }
        }
        Rows::Sobol(rows) => {
            let mut header = vec!["input".to_owned()];
            for o in ["met", "gpus"] {
                for i in ["first_order", "total"] {
                    for f in ["", "_ci95_low", "_ci95_high"] {
                        header.push(format!("{o}_{i}{f}"));
                    }
                }
            }
            out.write_record(&header)?;
            for x in rows {
                let mut row = vec![x.input.clone()];
                for s in [&x.met_by_deadline, &x.available_gpus] {
                    for i in [&s.first_order, &s.total] {
                        row.extend([i.estimate, i.ci95_low, i.ci95_high].map(|v| v.to_string()));
                    }
                }
                out.write_record(&row)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn tornado(r: &Report) -> Tornado {
    let sub = format!(
        "{} · {} trials per run · seed {} · target {} GPUs by {}",
        r.scenario, r.trials, r.seed, r.target_gpus, r.deadline
    );
    match &r.inputs {
        Rows::Spearman(rows) => Tornado {
            title: "Which inputs move the outcome: Spearman rank correlation".into(),
            subtitle: vec![
                sub,
                "Positive: a larger input value goes with a later full-capacity day (or more GPUs). \
                 Sorted by |ρ| with the full-capacity day."
                    .into(),
            ],
            axis: "Spearman ρ".into(),
            centre: 0.0,
            centre_label: None,
            series: [
                "ρ with full-capacity day".into(),
                "ρ with GPUs available at deadline".into(),
            ],
            scale: TornadoScale::Plain,
            range: Some((-1.0, 1.0)),
            rows: rows
                .iter()
                .map(|x| TornadoRow {
                    label: x.input.clone(),
                    first: x.rho_full_capacity_day,
                    second: x.rho_available_gpus,
                })
                .collect(),
        },
        Rows::Swing(rows) => Tornado {
            title: "One-at-a-time swing: P(target by deadline)".into(),
            subtitle: vec![
                sub,
                "Each input held at its P10, then at its P90; all other inputs random, common \
                 random numbers."
                    .into(),
            ],
            axis: "P(target by deadline)".into(),
            centre: r.baseline.p_target_by_deadline,
            centre_label: Some(format!(
                "All inputs random ({:.1}%)",
                r.baseline.p_target_by_deadline * 100.0
            )),
            series: ["Input at its P10".into(), "Input at its P90".into()],
            scale: TornadoScale::Percent,
            range: None,
            rows: rows
                .iter()
                .map(|x| TornadoRow {
                    label: x.input.clone(),
                    first: Some(x.p_target_at_p10),
                    second: Some(x.p_target_at_p90),
                })
                .collect(),
        },
        Rows::Sobol(rows) => Tornado {
            title: "Sobol indices of 'target met by deadline'".into(),
            subtitle: vec![
                sub,
                "First order: share of the variance due to the input alone; total: including its \
                 interactions."
                    .into(),
            ],
            axis: "Sobol index".into(),
            centre: 0.0,
            centre_label: None,
            series: ["First-order index".into(), "Total index".into()],
            scale: TornadoScale::Plain,
            range: None,
            rows: rows
                .iter()
                .map(|x| TornadoRow {
                    label: x.input.clone(),
                    first: Some(x.met_by_deadline.first_order.estimate),
                    second: Some(x.met_by_deadline.total.estimate),
                })
                .collect(),
        },
    }
}

fn render_table(r: &Report) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "sensitivity ({}) · {} · {} trials × {} run{} · seed {}\n",
        r.method,
        r.scenario,
        thousands(r.trials as f64),
        r.runs,
        if r.runs == 1 { "" } else { "s" },
        r.seed
    );
    let _ = writeln!(
        t,
        "Baseline: P(target by deadline) {:.1}%, median full capacity {}\n",
        r.baseline.p_target_by_deadline * 100.0,
        r.baseline
            .median_full_capacity_date
            .as_deref()
            .unwrap_or("never")
    );
    let rho = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:+.3}"));
    let w = match &r.inputs {
        Rows::Spearman(rows) => rows.iter().map(|x| x.input.len()).max(),
        Rows::Swing(rows) => rows.iter().map(|x| x.input.len()).max(),
        Rows::Sobol(rows) => rows.iter().map(|x| x.input.len()).max(),
    }
    .unwrap_or(0)
    .max(12)
        + 2;
    match &r.inputs {
        Rows::Spearman(rows) => {
            let _ = writeln!(
                t,
                "  {:<w$}{:>18}{:>18}",
                "input", "rho full-capacity", "rho GPUs@deadline"
            );
            for x in rows {
                let _ = writeln!(
                    t,
                    "  {:<w$}{:>18}{:>18}",
                    x.input,
                    rho(x.rho_full_capacity_day),
                    rho(x.rho_available_gpus)
                );
            }
        }
        Rows::Swing(rows) => {
            let _ = writeln!(
                t,
                "  {:<w$}{:>10}{:>10}{:>12}{:>12}{:>10}{:>13}{:>13}{:>11}",
                "input",
                "P10",
                "P90",
                "P(t)@P10",
                "P(t)@P90",
                "swing",
                "median@P10",
                "median@P90",
                "swing d"
            );
            for x in rows {
                let d = |v: &Option<String>| v.clone().unwrap_or_else(|| "never".into());
                let _ = writeln!(
                    t,
                    "  {:<w$}{:>10}{:>10}{:>12}{:>12}{:>10}{:>13}{:>13}{:>11}",
                    x.input,
                    format!("{:.4}", x.value_at_p10)
                        .trim_end_matches('0')
                        .trim_end_matches('.'),
                    format!("{:.4}", x.value_at_p90)
                        .trim_end_matches('0')
                        .trim_end_matches('.'),
                    format!("{:.1}%", x.p_target_at_p10 * 100.0),
                    format!("{:.1}%", x.p_target_at_p90 * 100.0),
                    format!("{:+.1} pts", x.p_target_swing * 100.0),
                    d(&x.median_full_capacity_date_at_p10),
                    d(&x.median_full_capacity_date_at_p90),
                    x.median_full_capacity_swing_days
                        .map_or("n/a".to_owned(), |v| format!("{v:+.0}")),
                );
            }
        }
        Rows::Sobol(rows) => {
            let _ = writeln!(
                t,
                "  {:<w$}{:>24}{:>24}{:>24}{:>24}",
                "input", "S met (95% CI)", "T met (95% CI)", "S GPUs (95% CI)", "T GPUs (95% CI)"
            );
            let c = |i: &capsim::stats::Index| {
                format!("{:.3} [{:.3}, {:.3}]", i.estimate, i.ci95_low, i.ci95_high)
            };
            for x in rows {
                let _ = writeln!(
                    t,
                    "  {:<w$}{:>24}{:>24}{:>24}{:>24}",
                    x.input,
                    c(&x.met_by_deadline.first_order),
                    c(&x.met_by_deadline.total),
                    c(&x.available_gpus.first_order),
                    c(&x.available_gpus.total)
                );
            }
        }
    }
    if !r.constant_inputs.is_empty() {
        let _ = writeln!(
            t,
            "\n  Constant (not ranked): {}",
            r.constant_inputs.join(", ")
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fisher_interval_brackets_rho() {
        let [lo, hi] = fisher_ci(0.5, 403).unwrap();
        assert!(lo < 0.5 && 0.5 < hi && hi - lo < 0.2, "{lo} {hi}");
        assert_eq!(fisher_ci(0.5, 3), None);
    }
}
