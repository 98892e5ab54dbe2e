//! One scenario's run: its trials (a fixed count, or as many as a precision target takes), then
//! what each constraint costs on the first trials of it.
//!
//! [`run`] does both; [`simulate`] and [`RunRequest::constraint_costs`] are its two steps, for
//! callers that report them separately (the CLI draws one progress bar each). A sharded request
//! simulates its shard's trials, which [`partial`] turns into a partial result; once merged,
//! [`RunResult::from_merged`] rebuilds the whole run's result from the partials.

use std::sync::atomic::AtomicBool;

use super::AnalysisError;
use crate::engine::{self, EngineConfig, EngineError, RunHooks};
use crate::model::{Lift, Model};
use crate::scenario::Scenario;
use crate::shard::{MergedRuns, PartialBody, PartialHeader, PartialRun, Shard};
use crate::stats::{
    Accumulator, ConstraintCosts, DailyRow, PrecisionReport, PrecisionTarget, Summary, daily_rows,
};

/// Seed used when neither the caller nor the scenario gives one.
pub const DEFAULT_SEED: u64 = 42;
/// Trials run when neither the caller nor the scenario gives a count.
pub const DEFAULT_TRIALS: u64 = 10_000;
/// Trials of the constraint-cost reruns when the caller does not say (each class reruns them).
pub const DEFAULT_COST_TRIALS: u64 = 2_000;

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRequest {
    /// Trials of the whole run (with a precision target: to start with).
    pub trials: u64,
    /// Run only this shard's slice of the trials (see [`Shard::trials`]); its statistics merge
    /// exactly with the other shards' into the whole run's. No precision target, no constraint
    /// costs: those need the whole run.
    pub shard: Option<Shard>,
    /// The seed: with the trial count, it fixes every draw.
    pub seed: u64,
    /// Worker threads (0: one per core). Never changes the results.
    pub threads: usize,
    /// Run until this precision is reached, up to `max_trials`.
    pub precision: Option<PrecisionTarget>,
    /// The most trials a precision run may take.
    pub max_trials: u64,
    /// Trials of the constraint-cost reruns (at most the run's; 0: none).
    pub cost_trials: u64,
}

impl RunRequest {
    /// A fixed run of the scenario's own trial count and seed (else [`DEFAULT_TRIALS`],
    /// [`DEFAULT_SEED`]), with [`DEFAULT_COST_TRIALS`] of constraint costs, on every core.
    pub fn for_scenario(scenario: &Scenario) -> RunRequest {
        RunRequest {
            trials: scenario.trials.unwrap_or(DEFAULT_TRIALS),
            shard: None,
            seed: scenario.seed.unwrap_or(DEFAULT_SEED),
            threads: 0,
            precision: None,
            max_trials: 0,
            cost_trials: DEFAULT_COST_TRIALS,
        }
    }

    /// The unsharded request whose shards wrote partials with `header`, on `threads` workers:
    /// what their merge computes the constraint costs with.
    pub fn of_partials(header: &PartialHeader, threads: usize) -> RunRequest {
        RunRequest {
            trials: header.total_trials,
            shard: None,
            seed: header.seed,
            threads,
            precision: None,
            max_trials: 0,
            cost_trials: header.context["cost_trials"].as_u64().unwrap_or(0),
        }
    }

    /// The engine's configuration for the trials this request runs: all of them, or its
    /// shard's slice.
    pub fn engine_config(&self) -> EngineConfig {
        crate::shard::engine_config(self.shard, self.trials, self.seed, self.threads)
    }

    /// The most trials the run itself may take: its (shard's) trials, or with a precision
    /// target its cap.
    pub fn planned_trials(&self) -> u64 {
        match self.precision {
            Some(_) => self.max_trials.clamp(self.trials, u64::from(u32::MAX)),
            None => self.engine_config().trials,
        }
    }

    /// Trials the constraint costs run when the run took `run_trials`: a baseline and one rerun
    /// per class of constraint, each of `min(cost_trials, run_trials)` trials.
    pub fn cost_trials_total(&self, run_trials: u64) -> u64 {
        if self.shard.is_some() {
            return 0;
        }
        self.cost_trials.min(run_trials) * (Lift::ALL.len() as u64 + 1)
    }

    /// What each constraint costs, on the first `min(cost_trials, run_trials)` trials of the
    /// run; `None` when that is 0 or the request is a shard. `progress` counts the trials of
    /// every rerun.
    pub fn constraint_costs(
        &self,
        model: &Model,
        run_trials: u64,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Option<ConstraintCosts>, EngineError> {
        let trials = self.cost_trials.min(run_trials);
        if trials == 0 || self.shard.is_some() {
            return Ok(None);
        }
        let config = EngineConfig::new(trials, self.seed, self.threads);
        super::constraint_costs(model, &config, progress).map(Some)
    }
}

/// The trials of a run: their statistics, and where a precision run ended.
#[derive(Debug, Clone)]
pub struct Simulated {
    /// Every trial's statistics.
    pub accumulator: Accumulator,
    /// Where a precision run ended (`None` for a fixed count).
    pub precision: Option<PrecisionReport>,
}

/// Runs the request's trials of `model`: a fixed count, or with a precision target as many as it
/// takes. `hooks` may cancel, count progress and see every trial's outcome.
pub fn simulate(
    model: &Model,
    request: &RunRequest,
    hooks: RunHooks<'_>,
) -> Result<Simulated, AnalysisError> {
    if request.precision.is_some() && request.shard.is_some() {
        return Err(AnalysisError::Request(
            "a precision target cannot be combined with sharding: a shard runs a fixed slice \
             of a fixed trial count"
                .into(),
        ));
    }
    let config = request.engine_config();
    Ok(match &request.precision {
        None => Simulated {
            accumulator: engine::run(model, &config, hooks)?,
            precision: None,
        },
        Some(target) => {
            let max = request.max_trials.min(u64::from(u32::MAX));
            let (accumulator, report) =
                engine::run_to_precision(model, &config, target, max, hooks)?;
            Simulated {
                accumulator,
                precision: Some(report),
            }
        }
    })
}

/// A finished run of one scenario: everything its results folder shows.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The scenario as run.
    pub scenario: Scenario,
    /// `scenario.resolved.toml`: the scenario with every default filled in, the seed and the
    /// trial count.
    pub resolved_toml: String,
    /// The seed.
    pub seed: u64,
    /// Every trial's statistics.
    pub accumulator: Accumulator,
    /// Where a precision run ended.
    pub precision: Option<PrecisionReport>,
    /// What each constraint costs, if computed.
    pub constraint_costs: Option<ConstraintCosts>,
}

impl RunResult {
    /// The run's results from its parts; the resolved scenario records the final trial count.
    pub fn new(
        scenario: &Scenario,
        seed: u64,
        simulated: Simulated,
        constraint_costs: Option<ConstraintCosts>,
    ) -> RunResult {
        RunResult {
            resolved_toml: scenario.resolved_toml(seed, simulated.accumulator.trials()),
            scenario: scenario.clone(),
            seed,
            accumulator: simulated.accumulator,
            precision: simulated.precision,
            constraint_costs,
        }
    }

    /// The conclusions: `summary.json`.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::new(
            &self.accumulator,
            &engine::run_info(&self.scenario, self.seed),
        );
        summary.precision = self.precision;
        summary.constraint_costs = self.constraint_costs.clone();
        summary
    }

    /// The whole run's result from the merged partials of a sharded `run`, exactly what the
    /// unsharded run gives: the constraint costs (which need the whole run) are computed here,
    /// on `threads` workers (0: one per core); `progress` counts their trials.
    pub fn from_merged(
        merged: &MergedRuns<'_>,
        threads: usize,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<RunResult, AnalysisError> {
        let header = merged.header;
        let (Some(scenario), Some(body), Some(run), "run") = (
            merged.scenarios.first(),
            merged.bodies.first(),
            header.runs.first(),
            header.command.as_str(),
        ) else {
            return Err(AnalysisError::Request(format!(
                "the partials are of `{}`, not of one `run`",
                header.command
            )));
        };
        let request = RunRequest::of_partials(header, threads);
        let model = Model::compile(scenario)?;
        let costs = request.constraint_costs(&model, header.total_trials, progress)?;
        Ok(RunResult {
            scenario: scenario.clone(),
            resolved_toml: run.scenario_toml.clone(),
            seed: header.seed,
            accumulator: body.accumulator.clone(),
            precision: None,
            constraint_costs: costs,
        })
    }

    /// One row per simulated day: `daily.csv`.
    pub fn daily_rows(&self) -> Vec<DailyRow> {
        daily_rows(&self.accumulator, self.scenario.start)
    }

    /// The site ids, in the order of the per-site columns.
    pub fn site_ids(&self) -> Vec<String> {
        self.scenario.sites.iter().map(|s| s.id.clone()).collect()
    }
}

/// Runs `scenario` (compiled as `model`) as `request` says: its trials, then its constraint
/// costs. `progress` counts every trial, the reruns' included (at most
/// `request.planned_trials() + request.cost_trials_total(...)`); `cancel` stops the run at the
/// next batch with [`EngineError::Cancelled`] (constraint-cost reruns, once started, finish).
pub fn run(
    scenario: &Scenario,
    model: &Model,
    request: &RunRequest,
    cancel: Option<&AtomicBool>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RunResult, AnalysisError> {
    let hooks = RunHooks {
        cancel,
        progress: Some(progress),
        trial_sink: None,
    };
    let simulated = simulate(model, request, hooks)?;
    let costs = request.constraint_costs(model, simulated.accumulator.trials(), progress)?;
    Ok(RunResult::new(scenario, request.seed, simulated, costs))
}

/// The partial result of a sharded `request`'s trials (`simulated`) of `scenario`: its header
/// (with `trials_csv`, the name of the shard's `trials.csv` beside the partial, if one was
/// written) and its one body. The constraint costs are left to the merge, which has the whole
/// run. A request without a shard is refused.
pub fn partial(
    scenario: &Scenario,
    request: &RunRequest,
    simulated: Simulated,
    trials_csv: Option<String>,
) -> Result<(PartialHeader, PartialBody), AnalysisError> {
    let Some(shard) = request.shard else {
        return Err(AnalysisError::Request(
            "a partial result is written by a shard: the request has none".into(),
        ));
    };
    let (seed, total_trials) = (request.seed, request.trials);
    let runs = vec![PartialRun {
        label: scenario.name.clone(),
        scenario_toml: scenario.resolved_toml(seed, total_trials),
    }];
    let mut header = PartialHeader::new("run", &scenario.name, runs, seed, total_trials, shard);
    header.trials_csv = trials_csv;
    header.context = serde_json::json!({ "cost_trials": request.cost_trials });
    let body = PartialBody {
        accumulator: simulated.accumulator,
        records: None,
    };
    Ok((header, body))
}
