//! Which uncertain input drives the outcome: [`sensitivity`] ranks a scenario's inputs by one
//! of three [`Method`]s, all with common random numbers (every run uses the same seed, and each
//! input draws from its own generator, so holding or re-seeding one input leaves every other
//! input's draws untouched):
//!
//! - `spearman` (one run): Spearman's ρ of each per-trial input with the full-capacity day
//!   ("never" ranked last) and with GPUs available at the deadline. Memory: every trial's inputs
//!   and outcomes are kept, O(trials × inputs) (8 bytes each: 1.6 MB for 10,000 trials of 20
//!   inputs).
//! - `swing` (1 + 2 × inputs runs): each input held at its P10 and at its P90, the others random.
//! - `sobol` (2 + groups runs): pick-freeze with two seeds A and B; run A_B^(i) re-seeds only
//!   input group i with B's seed ([`Model::override_seed`]). Memory: O(trials) per run kept.
//!
//! [`SensitivityResult`] is `sensitivity.json`: its serde form is the file's schema.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use super::AnalysisError;
use super::run::{DEFAULT_SEED, DEFAULT_TRIALS};
use crate::engine::{self, EngineConfig, RunHooks};
use crate::model::Model;
use crate::numeric::seed::mix64;
use crate::scenario::{InputRef, Scenario};
use crate::stats::{SobolIndices, TrialOutcome, sobol, spearman, type7};

/// Bootstrap resamples behind each Sobol interval.
pub const BOOTSTRAP_RESAMPLES: usize = 200;

/// Fewest trials a sensitivity run takes (a rank correlation needs two).
pub const MIN_TRIALS: u64 = 2;

/// How inputs are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Spearman rank correlation of each input with the outcomes, from one run.
    Spearman,
    /// One at a time: each input held at its P10 and at its P90 (2 runs per input).
    Swing,
    /// First-order and total Sobol indices by pick-freeze (input groups + 2 runs).
    Sobol,
}

impl Method {
    /// The name the outputs use: `spearman`, `swing` or `sobol`.
    pub fn name(self) -> &'static str {
        match self {
            Method::Spearman => "spearman",
            Method::Swing => "swing",
            Method::Sobol => "sobol",
        }
    }
}

/// What to rank, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivityRequest {
    /// The method.
    pub method: Method,
    /// Trials of each run, [`MIN_TRIALS`] to `u32::MAX`.
    pub trials: u64,
    /// The seed every run shares (Sobol's B matrix derives its own from it).
    pub seed: u64,
    /// Worker threads (0: one per core). Never changes the results.
    pub threads: usize,
    /// The scenario file as the user named it, recorded in the result.
    pub file: PathBuf,
}

impl SensitivityRequest {
    /// Ranking the inputs of the scenario read from `file` by `method`, with the scenario's own
    /// trial count and seed (else [`DEFAULT_TRIALS`], [`DEFAULT_SEED`]), on every core.
    pub fn for_scenario(
        scenario: &Scenario,
        file: impl Into<PathBuf>,
        method: Method,
    ) -> SensitivityRequest {
        SensitivityRequest {
            method,
            trials: scenario.trials.unwrap_or(DEFAULT_TRIALS),
            seed: scenario.seed.unwrap_or(DEFAULT_SEED),
            threads: 0,
            file: file.into(),
        }
    }

    /// Runs of `trials` trials each that the request takes on `scenario` (compiled as
    /// `model`): progress counts `runs × trials` in all.
    pub fn runs(&self, scenario: &Scenario, model: &Model) -> usize {
        match self.method {
            Method::Spearman => 1,
            Method::Swing => 1 + 2 * Inputs::new(scenario, model).varying.len(),
            Method::Sobol => 2 + model.input_groups().len(),
        }
    }
}

/// One input's Spearman correlations. Its fields are all optional but its keys are its own, so
/// an untagged [`Ranking`] read back tells it from the other kinds of row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpearmanRow {
    /// The input, as `trials.csv` names it.
    pub input: String,
    /// ρ with the full-capacity day (never ranked last); `None` if that outcome is constant.
    pub rho_full_capacity_day: Option<f64>,
    /// Its 95% interval (Fisher's z).
    pub rho_full_capacity_day_ci95: Option<[f64; 2]>,
    /// ρ with GPUs available at the deadline; `None` if that outcome is constant.
    pub rho_available_gpus: Option<f64>,
    /// Its 95% interval (Fisher's z).
    pub rho_available_gpus_ci95: Option<[f64; 2]>,
}

/// One input's swing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwingRow {
    /// The input, as `trials.csv` names it.
    pub input: String,
    /// The input's P10, as the engine uses it.
    pub value_at_p10: f64,
    /// The input's P90.
    pub value_at_p90: f64,
    /// P(target by deadline) with the input held at its P10.
    pub p_target_at_p10: f64,
    /// P(target by deadline) with the input held at its P90.
    pub p_target_at_p90: f64,
    /// P(target) with the input at P90 minus at P10.
    pub p_target_swing: f64,
    /// Median full-capacity date with the input at P10 (`None`: never).
    pub median_full_capacity_date_at_p10: Option<String>,
    /// Median full-capacity date with the input at P90 (`None`: never).
    pub median_full_capacity_date_at_p90: Option<String>,
    /// Median full-capacity day at P90 minus at P10, days (`None` if either is never).
    pub median_full_capacity_swing_days: Option<f64>,
}

/// One input group's Sobol indices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SobolRow {
    /// The input group, as `docs/model.md` names it (e.g. `site/a/phase/0`).
    pub input: String,
    /// Indices of "target met by the deadline" (0/1).
    pub met_by_deadline: SobolIndices,
    /// Indices of GPUs available at the deadline.
    pub available_gpus: SobolIndices,
}

/// The ranked inputs, largest effect first; one kind per [`Method`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Ranking {
    /// Spearman correlations, by |ρ| with the full-capacity day.
    Spearman(Vec<SpearmanRow>),
    /// Swings, by |swing of P(target)|.
    Swing(Vec<SwingRow>),
    /// Sobol indices, by the total index of "target met".
    Sobol(Vec<SobolRow>),
}

impl Ranking {
    /// The ranked input names, in order.
    pub fn inputs(&self) -> Vec<&str> {
        match self {
            Ranking::Spearman(rows) => rows.iter().map(|r| r.input.as_str()).collect(),
            Ranking::Swing(rows) => rows.iter().map(|r| r.input.as_str()).collect(),
            Ranking::Sobol(rows) => rows.iter().map(|r| r.input.as_str()).collect(),
        }
    }
}

/// The baseline run (all inputs random, the run seed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Share of trials that reach the target by the deadline.
    pub p_target_by_deadline: f64,
    /// Median full-capacity date (`None`: never).
    pub median_full_capacity_date: Option<String>,
    /// Mean GPUs available at the deadline.
    pub mean_available_gpus: f64,
}

/// A finished sensitivity analysis: `sensitivity.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityResult {
    /// The capsim version that ran it.
    pub capsim_version: String,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file as the user named it.
    pub file: String,
    /// The method.
    pub method: Method,
    /// The seed (of the A matrix, for Sobol).
    pub seed: u64,
    /// Seed of the B matrix (Sobol only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed_b: Option<u64>,
    /// Trials of each run.
    pub trials: u64,
    /// Runs made.
    pub runs: usize,
    /// The scenario's target GPUs.
    pub target_gpus: u64,
    /// The scenario's deadline.
    pub deadline: String,
    /// The baseline run.
    pub baseline: Baseline,
    /// How the ranking was computed, in words (fixed text, not read back: empty in a
    /// deserialized result).
    #[serde(skip_deserializing)]
    pub how: &'static str,
    /// Inputs left out because they do not vary.
    pub constant_inputs: Vec<String>,
    /// The ranked inputs.
    pub inputs: Ranking,
}

/// The per-trial inputs of a scenario, split into those that vary and those that do not.
struct Inputs {
    /// Every input, in `trials.csv` order.
    named: Vec<InputRef>,
    /// Their names.
    names: Vec<String>,
    /// Indices of the inputs that vary from trial to trial.
    varying: Vec<usize>,
}

impl Inputs {
    fn new(scenario: &Scenario, model: &Model) -> Inputs {
        let (named, names): (Vec<InputRef>, Vec<String>) = scenario.inputs().into_iter().unzip();
        let varying = (0..named.len())
            .filter(|&i| !model.input_is_constant(named[i]))
            .collect();
        Inputs {
            named,
            names,
            varying,
        }
    }

    fn constant_names(&self) -> Vec<String> {
        (0..self.named.len())
            .filter(|i| !self.varying.contains(i))
            .map(|i| self.names[i].clone())
            .collect()
    }
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

/// Runs of one model's variants with a shared trial count, threads, cancel flag and progress.
struct Runs<'a> {
    trials: u64,
    threads: usize,
    /// Day index of the deadline.
    deadline_day: usize,
    cancel: Option<&'a AtomicBool>,
    progress: &'a (dyn Fn(u64) + Sync),
}

impl Runs<'_> {
    fn run(&self, model: &Model, seed: u64, keep_inputs: bool) -> Result<Outcomes, AnalysisError> {
        let cfg = EngineConfig::new(self.trials, seed, self.threads);
        let n = self.trials as usize;
        let mut out = Outcomes {
            full_day: Vec::with_capacity(n),
            met: Vec::with_capacity(n),
            available: Vec::with_capacity(n),
            inputs: Vec::new(),
        };
        let deadline = self.deadline_day;
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
        engine::run(
            model,
            &cfg,
            RunHooks {
                cancel: self.cancel,
                progress: Some(self.progress),
                trial_sink: Some(&mut sink),
            },
        )?;
        Ok(out)
    }
}

/// Fisher-z 95% interval of a rank correlation, with the 1.06 variance factor for Spearman's
/// ρ (Fieller, Hartley & Pearson 1957): tanh(atanh ρ ± 1.96·√(1.06/(n − 3))); `None` below 4
/// trials.
fn fisher_ci(rho: f64, n: usize) -> Option<[f64; 2]> {
    if n < 4 {
        return None;
    }
    let z = rho.clamp(-0.999_999, 0.999_999).atanh();
    let h = 1.959_964 * (1.06 / (n as f64 - 3.0)).sqrt();
    Some([(z - h).tanh(), (z + h).tanh()])
}

/// Ranks the uncertain inputs of `scenario` (compiled as `model`) as `request` says.
/// `progress` counts every trial of every run (`request.runs(..) × request.trials` in all);
/// `cancel` stops at the next batch with [`crate::engine::EngineError::Cancelled`]. A trial
/// count outside [`MIN_TRIALS`]`..=u32::MAX` is an [`AnalysisError::Request`].
pub fn sensitivity(
    scenario: &Scenario,
    model: &Model,
    request: &SensitivityRequest,
    cancel: Option<&AtomicBool>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<SensitivityResult, AnalysisError> {
    let (trials, seed) = (request.trials, request.seed);
    if !(MIN_TRIALS..=u64::from(u32::MAX)).contains(&trials) {
        return Err(AnalysisError::Request(format!(
            "--trials must be between {MIN_TRIALS} and {} (found {trials})",
            u32::MAX
        )));
    }
    let inputs = Inputs::new(scenario, model);
    let runs = Runs {
        trials,
        threads: request.threads,
        deadline_day: model.deadline_day(),
        cancel,
        progress,
    };
    let base = runs.run(model, seed, request.method == Method::Spearman)?;
    let date = |d: Option<f64>| d.map(|d| scenario.date_of(d as i64).to_string());
    let baseline = Baseline {
        p_target_by_deadline: base.p_target(),
        median_full_capacity_date: date(base.median_day()),
        mean_available_gpus: base.available.iter().sum::<f64>() / trials as f64,
    };
    let mut seed_b = None;
    let (how, ranking) = match request.method {
        Method::Spearman => (SPEARMAN_HOW, rank_by_spearman(&inputs, &base, trials)),
        Method::Swing => (
            SWING_HOW,
            rank_by_swing(scenario, model, &inputs, &runs, seed, &date)?,
        ),
        Method::Sobol => {
            let b = mix64(seed ^ 0x5ae1_7e11_1b00_0b0b) >> 1;
            seed_b = Some(b);
            (SOBOL_HOW, rank_by_sobol(model, &base, &runs, seed, b)?)
        }
    };
    Ok(SensitivityResult {
        capsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario.name.clone(),
        file: request.file.display().to_string(),
        method: request.method,
        seed,
        seed_b,
        trials,
        runs: request.runs(scenario, model),
        target_gpus: scenario.target_gpus,
        deadline: scenario.deadline.to_string(),
        baseline,
        how,
        constant_inputs: inputs.constant_names(),
        inputs: ranking,
    })
}

const SPEARMAN_HOW: &str = "Spearman rank correlation (average ranks for ties) of each per-trial \
    input with the full-capacity day (trials that never reach the target ranked last, tied) and \
    with GPUs available at the deadline; 95% intervals by Fisher's z with variance 1.06/(n − 3). \
    Sorted by |rho| with the full-capacity day.";

const SWING_HOW: &str = "One at a time: each uncertain input held at its P10 and at its P90 \
    (whole-day inputs: smallest day with CDF >= p; install rates: CDF inverted by bisection), \
    every other input random, same seed (common random numbers). Swing = value with the input at \
    P90 minus value at P10.";

const SOBOL_HOW: &str = "Pick-freeze: A = the run seed, B = seed_b; A_B(i) takes input group i's \
    draws from B and every other group's from A. First order S = mean(f_B (f_AB - f_A)) / V \
    (Saltelli 2010), total T = mean((f_A - f_AB)^2) / (2V) (Jansen 1999), V the variance of f_A \
    and f_B pooled; 95% percentile bootstrap intervals over 200 resamples of trials. Outcomes: \
    target met by the deadline (0/1) and GPUs available at the deadline.";

/// Spearman's ρ of each varying input (from the baseline run's inputs) with both outcomes,
/// sorted by |ρ| with the full-capacity day, then with GPUs.
fn rank_by_spearman(inputs: &Inputs, base: &Outcomes, trials: u64) -> Ranking {
    let n_in = inputs.names.len();
    let mut rows: Vec<SpearmanRow> = inputs
        .varying
        .iter()
        .map(|&i| {
            let x: Vec<f64> = (0..trials as usize)
                .map(|t| base.inputs[t * n_in + i])
                .collect();
            let rf = spearman(&x, &base.full_day);
            let ra = spearman(&x, &base.available);
            SpearmanRow {
                input: inputs.names[i].clone(),
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
    Ranking::Spearman(rows)
}

/// Two runs per varying input, held at its P10 and its P90, sorted by |swing of P(target)|,
/// then by |swing of the median day| (never first).
fn rank_by_swing(
    scenario: &Scenario,
    model: &Model,
    inputs: &Inputs,
    runs: &Runs<'_>,
    seed: u64,
    date: &dyn Fn(Option<f64>) -> Option<String>,
) -> Result<Ranking, AnalysisError> {
    let mut rows = Vec::new();
    for &i in &inputs.varying {
        let n = inputs.named[i];
        let lo = model.input_quantile(scenario, n, 0.1);
        let hi = model.input_quantile(scenario, n, 0.9);
        let at_lo = runs.run(&model.with_input_held(n, lo), seed, false)?;
        let at_hi = runs.run(&model.with_input_held(n, hi), seed, false)?;
        let (ml, mh) = (at_lo.median_day(), at_hi.median_day());
        rows.push(SwingRow {
            input: inputs.names[i].clone(),
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
    let days = |r: &SwingRow| {
        r.median_full_capacity_swing_days
            .map_or(f64::INFINITY, f64::abs)
    };
    rows.sort_by(|a, b| {
        b.p_target_swing
            .abs()
            .total_cmp(&a.p_target_swing.abs())
            .then(days(b).total_cmp(&days(a)))
    });
    Ok(Ranking::Swing(rows))
}

/// The B run (seed `seed_b`) and one A_B run per input group, sorted by the total index of
/// "target met", then of GPUs.
fn rank_by_sobol(
    model: &Model,
    base: &Outcomes,
    runs: &Runs<'_>,
    seed: u64,
    seed_b: u64,
) -> Result<Ranking, AnalysisError> {
    let b = runs.run(model, seed_b, false)?;
    let mut rows = Vec::new();
    for (gi, &g) in model.input_groups().iter().enumerate() {
        let mut m = model.clone();
        m.override_seed(g, Some(seed_b));
        let ab = runs.run(&m, seed, false)?;
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
    Ok(Ranking::Sobol(rows))
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
