//! Scenarios compared with common random numbers: every scenario runs the same seed and trials,
//! so trial `t` draws the same random numbers in each, and each scenario is compared with the
//! first (the baseline) trial by trial ([`PairedComparison`]).
//!
//! [`compare`] runs a [`CompareRequest`] into a [`CompareResult`]: each scenario's own results
//! (a [`RunResult`], for its usual files) and one [`TrialRecord`] per trial, from which
//! [`CompareResult::report`] builds `compare.json` ([`CompareReport`]). A sharded request runs
//! its shard's slice of the trials; [`CompareResult::partial`] is what the shard writes, and
//! [`CompareResult::from_merged`] rebuilds the unsharded result from the merged partials.
//!
//! Memory: one 16-byte [`TrialRecord`] per trial and scenario on top of the usual per-run
//! statistics, so O(trials × scenarios) (1.6 MB for 10,000 trials of 10 scenarios).

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use super::{AnalysisError, RunResult};
use crate::engine::{self, EngineConfig, RunHooks};
use crate::model::Model;
use crate::scenario::Scenario;
use crate::shard::{self, MergedRuns, PartialBody, PartialHeader, PartialRun, Shard};
use crate::stats::{
    BottleneckShare, FullCapacityDate, GpuDistribution, PairedComparison, Proportion, TrialOutcome,
    TrialRecord,
};

/// One scenario to compare.
#[derive(Debug, Clone)]
pub struct CompareScenario {
    /// Its unique label: the name of its results folder inside the comparison's (the CLI uses
    /// the file stem), so a plain file name.
    pub label: String,
    /// The file it was read from, as the user gave it (reported in `compare.json`).
    pub file: String,
    /// The scenario itself.
    pub scenario: Scenario,
}

/// What to compare.
#[derive(Debug, Clone)]
pub struct CompareRequest {
    /// The scenarios, at least two; the first is the baseline.
    pub scenarios: Vec<CompareScenario>,
    /// Trials of each scenario (1 to `u32::MAX`).
    pub trials: u64,
    /// Run only this shard's slice of the trials (see [`Shard::trials`]).
    pub shard: Option<Shard>,
    /// The seed every scenario shares.
    pub seed: u64,
    /// Worker threads (0: one per core). Never changes the results.
    pub threads: usize,
}

impl CompareRequest {
    /// The engine's configuration for the trials each scenario runs: all of them, or the
    /// shard's slice.
    pub fn engine_config(&self) -> EngineConfig {
        crate::shard::engine_config(self.shard, self.trials, self.seed, self.threads)
    }

    /// Trials run over all scenarios: what [`compare`]'s progress counts up to.
    pub fn planned_trials(&self) -> u64 {
        self.engine_config().trials * self.scenarios.len() as u64
    }

    /// Checks what [`compare`] cannot run: fewer than two scenarios, labels that are not unique
    /// plain file names, a trial count out of range, a shard that does not exist.
    fn check(&self) -> Result<(), AnalysisError> {
        if self.scenarios.len() < 2 {
            return Err(request("compare needs at least two scenarios".into()));
        }
        check_labels(self.scenarios.iter().map(|s| s.label.as_str()))?;
        let max = u64::from(u32::MAX);
        if !(1..=max).contains(&self.trials) {
            return Err(request(format!(
                "--trials must be between 1 and {max} (found {})",
                self.trials
            )));
        }
        if let Some(s) = self.shard
            && (s.index >= s.count || s.count > self.trials)
        {
            return Err(request(format!(
                "shard {} of {} does not exist for {} trials",
                s.index, s.count, self.trials
            )));
        }
        Ok(())
    }
}

fn request(message: String) -> AnalysisError {
    AnalysisError::Request(message)
}

/// Refuses labels that are not unique plain file names: they name folders.
fn check_labels<'a>(labels: impl Iterator<Item = &'a str>) -> Result<(), AnalysisError> {
    let mut seen = HashSet::new();
    for label in labels {
        if !shard::is_plain_file_name(label) || !seen.insert(label) {
            return Err(request(format!(
                "the comparison label {label:?} is not a plain, unique folder name"
            )));
        }
    }
    Ok(())
}

/// One compared scenario's results.
#[derive(Debug, Clone)]
pub struct ComparedRun {
    /// Its label (see [`CompareScenario::label`]).
    pub label: String,
    /// Its file (see [`CompareScenario::file`]).
    pub file: String,
    /// Its own results, as a plain run of the same seed and trials (without constraint costs)
    /// would give them: `summary()` and `daily_rows()`.
    pub run: RunResult,
    /// One record per trial, in trial order: what the paired comparison pairs.
    pub records: Vec<TrialRecord>,
}

/// A finished comparison (or one shard of it).
#[derive(Debug, Clone)]
pub struct CompareResult {
    /// The seed.
    pub seed: u64,
    /// Trials of the whole comparison, per scenario.
    pub trials: u64,
    /// The shard these results cover, if only one.
    pub shard: Option<Shard>,
    /// Each scenario's results; the first is the baseline.
    pub runs: Vec<ComparedRun>,
}

/// What a comparison's report needs besides the scenarios and their statistics; a sharded
/// comparison stores it in its partials (the partial's `context`).
#[derive(Debug, Serialize, Deserialize)]
struct ComparePlan {
    /// The scenario files, as given.
    files: Vec<String>,
    /// Their unique labels (result folder names).
    labels: Vec<String>,
}

/// Runs every scenario of `request` (its shard's trials, if sharded) with the same seed, in
/// order, recording every trial. `progress` counts the trials of every scenario (up to
/// [`CompareRequest::planned_trials`]); `cancel` stops at the next batch with
/// [`EngineError::Cancelled`](crate::engine::EngineError::Cancelled).
pub fn compare(
    request: &CompareRequest,
    cancel: Option<&AtomicBool>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<CompareResult, AnalysisError> {
    request.check()?;
    let models = request
        .scenarios
        .iter()
        .map(|s| Model::compile(&s.scenario))
        .collect::<Result<Vec<_>, _>>()?;
    let config = request.engine_config();
    let mut runs = Vec::with_capacity(models.len());
    for (compared, model) in request.scenarios.iter().zip(&models) {
        let mut records = Vec::with_capacity(config.trials as usize);
        let deadline_day = model.deadline_day();
        let mut sink = |_trial: u64, o: &TrialOutcome| {
            records.push(TrialRecord::new(
                o.full_capacity_day,
                o.available_gpus_at_deadline,
                deadline_day,
            ));
            Ok(())
        };
        let hooks = RunHooks {
            cancel,
            progress: Some(progress),
            trial_sink: Some(&mut sink),
        };
        let accumulator = engine::run(model, &config, hooks)?;
        let scenario = &compared.scenario;
        let run = RunResult {
            resolved_toml: scenario.resolved_toml(request.seed, request.trials),
            scenario: scenario.clone(),
            seed: request.seed,
            accumulator,
            precision: None,
            constraint_costs: None,
        };
        runs.push(ComparedRun {
            label: compared.label.clone(),
            file: compared.file.clone(),
            run,
            records,
        });
    }
    Ok(CompareResult {
        seed: request.seed,
        trials: request.trials,
        shard: request.shard,
        runs,
    })
}

impl CompareResult {
    /// The labels, baseline first.
    pub fn labels(&self) -> Vec<&str> {
        self.runs.iter().map(|r| r.label.as_str()).collect()
    }

    /// `compare.json`: each scenario's headline figures and each comparison with the baseline.
    /// Of a shard's result, it covers the shard's trials only. Needs at least one run, as
    /// [`compare`] and [`CompareResult::from_merged`] give.
    pub fn report(&self) -> CompareReport {
        let baseline = &self.runs[0];
        let scenarios = self
            .runs
            .iter()
            .map(|r| {
                let s = r.run.summary();
                ScenarioEntry {
                    label: r.label.clone(),
                    file: r.file.clone(),
                    scenario: s.scenario,
                    results_dir: r.label.clone(),
                    target_gpus: s.target_gpus,
                    deadline: s.deadline,
                    p_target_by_deadline: s.p_target_by_deadline,
                    full_capacity_date: s.full_capacity_date,
                    available_gpus_at_deadline: s.available_gpus_at_deadline,
                    bottleneck_share: s.bottleneck_share,
                }
            })
            .collect();
        let comparisons = self.runs[1..]
            .iter()
            .map(|r| ComparisonEntry {
                scenario: r.label.clone(),
                baseline: baseline.label.clone(),
                diff: PairedComparison::new(&baseline.records, &r.records),
            })
            .collect();
        CompareReport {
            capsim_version: env!("CARGO_PKG_VERSION").to_string(),
            seed: self.seed,
            trials: self.trials,
            baseline: baseline.label.clone(),
            methods: Methods {
                paired: "mean of per-trial differences ± 1.959964·sd/√n (exact [d, d] when all pairs agree)",
                p_target_unpaired: "Newcombe hybrid score interval (Newcombe 1998, method 10)",
                gpus_unpaired: "Welch normal interval: ± 1.959964·√(var_a/n + var_b/n)",
                difference: "scenario minus baseline",
            },
            scenarios,
            comparisons,
        }
    }

    /// The partial result a shard writes (header and one body per scenario, with its
    /// records); `None` for an unsharded result.
    pub fn partial(&self) -> Option<(PartialHeader, Vec<PartialBody>)> {
        let shard = self.shard?;
        let plan = ComparePlan {
            files: self.runs.iter().map(|r| r.file.clone()).collect(),
            labels: self.runs.iter().map(|r| r.label.clone()).collect(),
        };
        let runs = self
            .runs
            .iter()
            .map(|r| PartialRun {
                label: r.label.clone(),
                scenario_toml: r.run.resolved_toml.clone(),
            })
            .collect();
        let name = &self.runs[0].run.scenario.name;
        let header = PartialHeader {
            context: serde_json::to_value(&plan).expect("a list of strings is JSON"),
            ..PartialHeader::new("compare", name, runs, self.seed, self.trials, shard)
        };
        let bodies = self
            .runs
            .iter()
            .map(|r| PartialBody {
                accumulator: r.run.accumulator.clone(),
                records: Some(r.records.clone()),
            })
            .collect();
        Some((header, bodies))
    }

    /// The unsharded comparison's result, rebuilt from its merged partials: exactly what
    /// [`compare`] of the whole request returns.
    pub fn from_merged(merged: &MergedRuns<'_>) -> Result<CompareResult, AnalysisError> {
        let header = merged.header;
        let plan: ComparePlan = serde_json::from_value(header.context.clone()).map_err(|e| {
            request(format!(
                "reading the comparison plan stored in the partials: {e}"
            ))
        })?;
        let count = merged.bodies.len();
        let one_each = [
            plan.labels.len(),
            plan.files.len(),
            merged.scenarios.len(),
            header.runs.len(),
        ];
        let trials = usize::try_from(header.total_trials).unwrap_or(usize::MAX);
        if count < 2
            || one_each.iter().any(|&n| n != count)
            || merged
                .bodies
                .iter()
                .any(|b| b.records.as_ref().is_none_or(|r| r.len() != trials))
        {
            return Err(request(
                "the partials do not hold one set of trial records per compared scenario".into(),
            ));
        }
        check_labels(plan.labels.iter().map(String::as_str))?;
        let runs = plan
            .labels
            .into_iter()
            .zip(plan.files)
            .zip(merged.scenarios.iter().zip(merged.bodies))
            .zip(&header.runs)
            .map(|(((label, file), (scenario, body)), stored)| ComparedRun {
                label,
                file,
                run: RunResult {
                    scenario: scenario.clone(),
                    resolved_toml: stored.scenario_toml.clone(),
                    seed: header.seed,
                    accumulator: body.accumulator.clone(),
                    precision: None,
                    constraint_costs: None,
                },
                records: body.records.clone().unwrap_or_default(),
            })
            .collect();
        Ok(CompareResult {
            seed: header.seed,
            trials: header.total_trials,
            shard: None,
            runs,
        })
    }
}

/// `compare.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareReport {
    /// The capsim version that wrote it.
    pub capsim_version: String,
    /// The seed every scenario ran.
    pub seed: u64,
    /// Trials per scenario.
    pub trials: u64,
    /// The baseline's label.
    pub baseline: String,
    /// How the intervals are computed.
    pub methods: Methods,
    /// Each scenario's own headline figures, baseline first.
    pub scenarios: Vec<ScenarioEntry>,
    /// Each scenario after the first compared with the baseline.
    pub comparisons: Vec<ComparisonEntry>,
}

/// One scenario's own results, as `compare.json` lists them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioEntry {
    /// Its label.
    pub label: String,
    /// Its file, as given.
    pub file: String,
    /// The scenario's name.
    pub scenario: String,
    /// Its results folder, inside the comparison's (its label).
    pub results_dir: String,
    /// The target, in GPUs.
    pub target_gpus: u64,
    /// The deadline (`YYYY-MM-DD`).
    pub deadline: String,
    /// P(target by deadline), with its Wilson interval.
    pub p_target_by_deadline: Proportion,
    /// Percentiles of the full-capacity date.
    pub full_capacity_date: FullCapacityDate,
    /// Available GPUs at the deadline.
    pub available_gpus_at_deadline: GpuDistribution,
    /// The missing GPU-days up to the deadline, by cause.
    pub bottleneck_share: BottleneckShare,
}

/// One scenario compared with the baseline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComparisonEntry {
    /// The scenario's label.
    pub scenario: String,
    /// The baseline's label.
    pub baseline: String,
    /// The paired differences, scenario minus baseline.
    #[serde(flatten)]
    pub diff: PairedComparison,
}

/// How the intervals are computed (so a reader of the JSON need not look it up). Fixed text,
/// not read back: a deserialized report has empty strings here.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Methods {
    /// The paired intervals.
    #[serde(skip_deserializing)]
    pub paired: &'static str,
    /// The unpaired interval of the P(target) difference.
    #[serde(skip_deserializing)]
    pub p_target_unpaired: &'static str,
    /// The unpaired interval of the GPU difference.
    #[serde(skip_deserializing)]
    pub gpus_unpaired: &'static str,
    /// Which way differences are taken.
    #[serde(skip_deserializing)]
    pub difference: &'static str,
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::analysis::{RunRequest, run};
    use crate::stats::{DailyRow, Summary};

    /// The tiny fixture (seed 11), with `overrides`.
    fn tiny(overrides: &[&str]) -> Scenario {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/tiny.toml");
        let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        crate::scenario::load(&path, &overrides).unwrap()
    }

    /// A comparison of `scenarios` (labelled `a`, `b`, ...) over `trials` trials, seed 11.
    fn request(scenarios: Vec<Scenario>, trials: u64) -> CompareRequest {
        CompareRequest {
            scenarios: scenarios
                .into_iter()
                .zip('a'..)
                .map(|(scenario, label)| CompareScenario {
                    label: label.to_string(),
                    file: format!("{label}.toml"),
                    scenario,
                })
                .collect(),
            trials,
            shard: None,
            seed: 11,
            threads: 2,
        }
    }

    fn slower() -> Scenario {
        tiny(&["supply.main.rate_scale=0.9"])
    }

    /// What `summary.json` and `daily.csv` of `run` show.
    fn files(run: &RunResult) -> (Summary, Vec<DailyRow>) {
        (run.summary(), run.daily_rows())
    }

    fn json(report: &CompareReport) -> String {
        serde_json::to_string(report).unwrap()
    }

    #[test]
    fn a_scenario_compared_with_itself_differs_by_exactly_zero() {
        let counted = std::sync::atomic::AtomicU64::new(0);
        let req = request(vec![tiny(&[]), tiny(&[])], 200);
        let result = compare(&req, None, &|n| {
            counted.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(
            counted.into_inner(),
            400,
            "progress counts both scenarios' trials"
        );
        assert_eq!(result.runs[0].records, result.runs[1].records);
        assert_eq!(result.runs[0].records.len(), 200);
        let d = result.report().comparisons[0].diff;
        let p = d.p_target_by_deadline;
        assert_eq!(
            [p.estimate, p.paired_ci95_low, p.paired_ci95_high],
            [0.0; 3]
        );
        assert_eq!(d.full_capacity_days.median_days, Some(0.0));
        assert_eq!(d.available_gpus_at_deadline.estimate, 0.0);
        assert!(p.unpaired_ci95_high - p.unpaired_ci95_low > 0.05, "{p:?}");
        assert!(
            result.partial().is_none(),
            "an unsharded result has no partial"
        );
    }

    #[test]
    fn each_scenario_is_a_plain_run_and_the_difference_is_that_of_the_runs() {
        let req = request(vec![tiny(&[]), slower()], 150);
        let result = compare(&req, None, &|_| {}).unwrap();
        let report = result.report();
        for (compared, scenario) in result.runs.iter().zip([tiny(&[]), slower()]) {
            let plain = RunRequest {
                trials: 150,
                seed: 11,
                cost_trials: 0,
                ..RunRequest::for_scenario(&scenario)
            };
            let model = Model::compile(&scenario).unwrap();
            let plain = run(&scenario, &model, &plain, None, &|_| {}).unwrap();
            assert_eq!(files(&compared.run), files(&plain), "{}", compared.label);
            assert_eq!(compared.run.resolved_toml, plain.resolved_toml);
        }
        // The paired mean difference is the difference of the two proportions, and the records
        // count the trials that met the target.
        let met = |r: &ComparedRun| r.records.iter().filter(|t| t.met_by_deadline).count();
        let (a, b) = (met(&result.runs[0]), met(&result.runs[1]));
        assert_eq!(
            report.scenarios[0].p_target_by_deadline.estimate,
            a as f64 / 150.0
        );
        let diff = report.comparisons[0].diff.p_target_by_deadline.estimate;
        assert!(
            (diff - (b as f64 - a as f64) / 150.0).abs() < 1e-12,
            "{diff}"
        );
        assert!(diff < 0.0, "slower supply lowers P(target): {diff}");
        assert_eq!(
            (
                report.baseline.as_str(),
                report.comparisons[0].scenario.as_str()
            ),
            ("a", "b")
        );
    }

    #[test]
    fn merged_shards_rebuild_the_unsharded_result() {
        let whole = request(
            vec![tiny(&[]), slower(), tiny(&["scenario.target_gpus=1200"])],
            90,
        );
        let expected = compare(&whole, None, &|_| {}).unwrap();
        let mut header = None;
        let mut merged: Vec<PartialBody> = Vec::new();
        for index in 0..3 {
            let req = CompareRequest {
                shard: Some(Shard { index, count: 3 }),
                ..whole.clone()
            };
            let (h, bodies) = compare(&req, None, &|_| {}).unwrap().partial().unwrap();
            assert_eq!(h.command, "compare");
            assert_eq!(h.trials, 30);
            if merged.is_empty() {
                merged = bodies;
            } else {
                for (total, body) in merged.iter_mut().zip(bodies) {
                    total.accumulator.merge(&body.accumulator);
                    total
                        .records
                        .as_mut()
                        .unwrap()
                        .extend(body.records.unwrap());
                }
            }
            header.get_or_insert(h);
        }
        let scenarios: Vec<Scenario> = whole.scenarios.iter().map(|s| s.scenario.clone()).collect();
        let header = header.unwrap();
        let runs = MergedRuns {
            header: &header,
            scenarios: &scenarios,
            bodies: &merged,
        };
        let rebuilt = CompareResult::from_merged(&runs).unwrap();
        assert_eq!(json(&rebuilt.report()), json(&expected.report()));
        for (r, e) in rebuilt.runs.iter().zip(&expected.runs) {
            assert_eq!((&r.label, &r.file), (&e.label, &e.file));
            assert_eq!(r.records, e.records);
            assert_eq!(files(&r.run), files(&e.run));
            assert_eq!(r.run.resolved_toml, e.run.resolved_toml);
        }

        merged[1].records = None;
        let runs = MergedRuns {
            header: &header,
            scenarios: &scenarios,
            bodies: &merged,
        };
        let err = CompareResult::from_merged(&runs).unwrap_err();
        assert!(
            err.to_string().contains("one set of trial records"),
            "{err}"
        );
    }

    #[test]
    fn requests_that_cannot_run_are_refused_as_bad_input() {
        let refused = |req: CompareRequest, why: &str| {
            let err = compare(&req, None, &|_| {}).unwrap_err();
            assert!(
                err.is_input_error() && err.to_string().contains(why),
                "{err}"
            );
        };
        let two = request(vec![tiny(&[]), tiny(&[])], 10);
        refused(request(vec![tiny(&[])], 10), "at least two scenarios");
        let mut same = two.clone();
        same.scenarios[1].label = "a".into();
        refused(same, "\"a\" is not a plain, unique folder name");
        let mut nested = two.clone();
        nested.scenarios[0].label = "../a".into();
        refused(nested, "\"../a\" is not a plain");
        refused(
            CompareRequest {
                trials: 0,
                ..two.clone()
            },
            "--trials must be between 1",
        );
        let shard = Some(Shard { index: 3, count: 3 });
        refused(
            CompareRequest { shard, ..two },
            "shard 3 of 3 does not exist",
        );
    }
}
