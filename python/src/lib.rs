//! `capsim._capsim`: the native core of the Python package. It loads scenarios, runs them and
//! their analyses (compare, sweep, sensitivity) with the GIL released and hands results over as
//! JSON text, CSV text and NumPy arrays; the public API (`capsim.load`, `Scenario`, `Result`,
//! `compare`, `sweep`, `sensitivity`: pandas, tqdm, defaults) is the Python layer in
//! `capsim/__init__.py`.
//!
//! Everything a file of capsim holds comes from the capsim crate's own writers and schema
//! (summary JSON, reports, CSV files, daily and trial column names), so Python and the CLI
//! cannot drift apart.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use capsim::analysis::compare::{CompareReport, CompareRequest, CompareResult, CompareScenario};
use capsim::analysis::sensitivity::{self, Method, SensitivityRequest, SensitivityResult};
use capsim::analysis::sweep::{
    DEFAULT_THRESHOLD, SweepPlan, SweepRequest, SweepResult, Swept, Vary,
};
use capsim::analysis::{self, AnalysisError, RunRequest};
use capsim::engine::RunHooks;
use capsim::model::Model;
use capsim::output::{self, ExportError, TrialsCsv};
use capsim::results::{self, ChartOptions, ResultsError, ResultsFolder};
use capsim::scenario::{
    self,
    limits::{MAX_THREADS, MAX_TRIALS},
};
use capsim::stats::{Bottleneck, TrialOutcome};
use numpy::datetime::{Datetime, units::Days};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::create_exception;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

create_exception!(
    capsim,
    ScenarioError,
    PyValueError,
    "A scenario that cannot be read or checked; the message names file, line, column and field."
);

/// How often a running simulation looks at Ctrl-C and reports progress.
const POLL: Duration = Duration::from_millis(50);

/// A checked scenario and its compiled model, and where it came from (a sweep reloads the file
/// with the same overrides; analyses report the file).
#[pyclass(module = "capsim._capsim", frozen)]
struct Scenario {
    /// The file, as given to `load`.
    path: PathBuf,
    /// The `PATH=VALUE` overrides applied to it, in order.
    overrides: Vec<String>,
    scenario: scenario::Scenario,
    model: Model,
}

/// Reads `path`, applies the `PATH=VALUE` overrides in order and compiles the result.
#[pyfunction]
fn load(path: PathBuf, overrides: Vec<String>) -> PyResult<Scenario> {
    let scenario =
        scenario::load(&path, &overrides).map_err(|e| ScenarioError::new_err(e.to_string()))?;
    let model = Model::compile(&scenario)
        .map_err(|e| ScenarioError::new_err(format!("compiling the scenario: {e}")))?;
    Ok(Scenario {
        path,
        overrides,
        scenario,
        model,
    })
}

/// Checks a simulation's counts as the CLI's flags bound them: `trials` (when given) from
/// `min_trials` to `MAX_TRIALS`, `seed` (when given) at most 2^63 - 1, `threads` at most
/// `MAX_THREADS`.
fn check_counts(
    trials: Option<u64>,
    min_trials: u64,
    seed: Option<u64>,
    threads: usize,
) -> PyResult<()> {
    if let Some(trials) = trials
        && !(min_trials..=MAX_TRIALS).contains(&trials)
    {
        return Err(PyValueError::new_err(format!(
            "trials must be between {min_trials} and {MAX_TRIALS} (found {trials})"
        )));
    }
    if let Some(seed) = seed
        && seed > i64::MAX as u64
    {
        return Err(PyValueError::new_err(format!(
            "seed must be between 0 and {} (found {seed})",
            i64::MAX
        )));
    }
    if threads > MAX_THREADS {
        return Err(PyValueError::new_err(format!(
            "threads must be between 0 (all cores) and {MAX_THREADS} (found {threads})"
        )));
    }
    Ok(())
}

/// An analysis error as Python's, with the CLI's message: a scenario that does not load or
/// compile is a ScenarioError, a request that cannot run a ValueError.
fn analysis_error(e: AnalysisError) -> PyErr {
    match e {
        AnalysisError::Scenario(e) => ScenarioError::new_err(e.to_string()),
        AnalysisError::Compile(e) => ScenarioError::new_err(format!("compiling the scenario: {e}")),
        AnalysisError::Request(message) => PyValueError::new_err(message),
        e => PyRuntimeError::new_err(e.to_string()),
    }
}

/// Compares `scenarios` (the first is the baseline) with common random numbers: `trials`
/// trials of each with `seed` on `threads` workers, labelled `labels` (default: the files'
/// stems). Progress counts the trials of every scenario; as `Scenario.run`, the GIL is
/// released and Ctrl-C (or an exception from `progress`) stops it.
#[pyfunction]
#[pyo3(signature = (scenarios, labels, trials, seed, threads, progress=None))]
fn compare(
    py: Python<'_>,
    scenarios: Vec<PyRef<'_, Scenario>>,
    labels: Option<Vec<String>>,
    trials: u64,
    seed: u64,
    threads: usize,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<Comparison> {
    check_counts(Some(trials), 1, Some(seed), threads)?;
    let labels = labels.unwrap_or_else(|| {
        results::unique_labels(
            &scenarios
                .iter()
                .map(|s| s.path.as_path())
                .collect::<Vec<_>>(),
        )
    });
    let request = CompareRequest {
        scenarios: labels
            .into_iter()
            .zip(&scenarios)
            .map(|(label, s)| CompareScenario {
                label,
                file: s.path.display().to_string(),
                scenario: s.scenario.clone(),
            })
            .collect(),
        trials,
        shard: None,
        seed,
        threads,
    };
    let total = request.planned_trials();
    let result = supervised(py, total, progress.as_ref(), |cancel, count| {
        analysis::compare(&request, Some(cancel), count)
    })?;
    Ok(Comparison {
        report: result.report(),
        result,
    })
}

#[pymethods]
impl Scenario {
    #[getter]
    fn name(&self) -> &str {
        &self.scenario.name
    }

    /// First simulated day, ISO 8601.
    #[getter]
    fn start(&self) -> String {
        self.scenario.start.to_string()
    }

    #[getter]
    fn deadline(&self) -> String {
        self.scenario.deadline.to_string()
    }

    #[getter]
    fn horizon(&self) -> String {
        self.scenario.horizon.to_string()
    }

    #[getter]
    fn target_gpus(&self) -> u64 {
        self.scenario.target_gpus
    }

    /// Site ids, in file order.
    #[getter]
    fn sites(&self) -> Vec<String> {
        self.scenario.sites.iter().map(|s| s.id.clone()).collect()
    }

    /// Supply stream ids, in file order.
    #[getter]
    fn streams(&self) -> Vec<String> {
        self.scenario.supply.iter().map(|s| s.id.clone()).collect()
    }

    /// The scenario's own trial count, if it sets one.
    #[getter]
    fn trials(&self) -> Option<u64> {
        self.scenario.trials
    }

    /// The scenario's own seed, if it sets one.
    #[getter]
    fn seed(&self) -> Option<u64> {
        self.scenario.seed
    }

    /// Runs `trials` trials with `seed` on `threads` workers (0: one per core), then, on the
    /// first `min(cost_trials, trials)` of them, what each constraint costs. Keeps every trial's
    /// inputs and outcomes when `keep_trials`. `progress(done, total)` is called on this thread
    /// while the run proceeds, `total` counting the constraint-cost reruns too. The GIL is
    /// released while simulating; Ctrl-C (or an exception from `progress`) stops the run.
    #[pyo3(signature = (trials, seed, threads, cost_trials, keep_trials, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        py: Python<'_>,
        trials: u64,
        seed: u64,
        threads: usize,
        cost_trials: u64,
        keep_trials: bool,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<RunResult> {
        check_counts(Some(trials), 1, Some(seed), threads)?;
        let request = RunRequest {
            trials,
            seed,
            threads,
            cost_trials,
            ..RunRequest::for_scenario(&self.scenario)
        };
        let total = request.planned_trials() + request.cost_trials_total(trials);
        let model = &self.model;
        let (result, trials) = supervised(py, total, progress.as_ref(), |cancel, count| {
            let site_ids: Vec<String> = model.sites().iter().map(|s| s.id().to_string()).collect();
            let mut table = TrialColumns::new(model.input_names(), &site_ids, model.deadline_day());
            let mut sink = |t: u64, o: &TrialOutcome| {
                table.push(t, o);
                Ok(())
            };
            let hooks = RunHooks {
                cancel: Some(cancel),
                progress: Some(count),
                trial_sink: keep_trials.then_some(&mut sink as &mut dyn FnMut(_, &_) -> _),
            };
            let simulated = analysis::simulate(model, &request, hooks)?;
            let costs = request.constraint_costs(model, simulated.accumulator.trials(), count)?;
            let result = analysis::RunResult::new(&self.scenario, seed, simulated, costs);
            Ok((result, table))
        })?;
        let trials = if keep_trials {
            Ok(trials)
        } else {
            Err("this run did not keep its trials: run it with keep_trials=True")
        };
        Ok(RunResult { result, trials })
    }

    /// Sweeps the scenario over the grid of `vary` (`PATH=VALUES` each, parsed as the CLI's
    /// `--vary`), reloading its file with its overrides, then `overrides`, at every grid point.
    /// `trials` and `seed` default to the scenario's, `threshold` to the CLI's. Progress counts
    /// the trials of every grid point; the GIL is released as in `run`.
    #[pyo3(signature = (vary, overrides, threshold, trials, seed, threads, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn sweep(
        &self,
        py: Python<'_>,
        vary: Vec<String>,
        overrides: Vec<String>,
        threshold: Option<f64>,
        trials: Option<u64>,
        seed: Option<u64>,
        threads: usize,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Sweep> {
        check_counts(trials, 1, seed, threads)?;
        let vary = vary
            .iter()
            .map(|arg| Vary::parse(arg))
            .collect::<Result<Vec<_>, _>>()
            .map_err(PyValueError::new_err)?;
        let request = SweepRequest {
            scenario: self.path.clone(),
            overrides: self.overrides.iter().chain(&overrides).cloned().collect(),
            vary,
            threshold: threshold.unwrap_or(DEFAULT_THRESHOLD),
            trials,
            seed,
            threads,
            shard: None,
        };
        let plan = py
            .detach(|| SweepPlan::new(&request))
            .map_err(analysis_error)?;
        let total = plan.trials_to_run(None);
        let swept = supervised(py, total, progress.as_ref(), |cancel, count| {
            plan.run(threads, None, Some(cancel), count)
        })?;
        match swept {
            Swept::Whole(result) => Ok(Sweep { result }),
            Swept::Shard(_) => Err(PyRuntimeError::new_err(
                "an unsharded sweep returned a shard's partial result",
            )),
        }
    }

    /// Ranks the scenario's uncertain inputs by `method` (`spearman`, `swing` or `sobol`), each
    /// run `trials` trials with `seed`. Progress counts the trials of every run; the GIL is
    /// released as in `run`.
    #[pyo3(signature = (method, trials, seed, threads, progress=None))]
    fn sensitivity(
        &self,
        py: Python<'_>,
        method: &str,
        trials: u64,
        seed: u64,
        threads: usize,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Sensitivity> {
        let methods = [Method::Spearman, Method::Swing, Method::Sobol];
        let Some(&method) = methods.iter().find(|m| m.name() == method) else {
            let names: Vec<&str> = methods.iter().map(|m| m.name()).collect();
            return Err(PyValueError::new_err(format!(
                "invalid value '{method}' for method [possible values: {}]",
                names.join(", ")
            )));
        };
        check_counts(Some(trials), sensitivity::MIN_TRIALS, Some(seed), threads)?;
        let request = SensitivityRequest {
            method,
            trials,
            seed,
            threads,
            file: self.path.clone(),
        };
        let total = trials * request.runs(&self.scenario, &self.model) as u64;
        let result = supervised(py, total, progress.as_ref(), |cancel, count| {
            sensitivity::sensitivity(&self.scenario, &self.model, &request, Some(cancel), count)
        })?;
        Ok(Sensitivity { result })
    }
}

/// Runs `work` under [`supervise`], handing it the flag that cancels it and the callback that
/// counts its finished trials (up to `total`); its error becomes Python's.
fn supervised<T: Send>(
    py: Python<'_>,
    total: u64,
    progress: Option<&Bound<'_, PyAny>>,
    work: impl FnOnce(&AtomicBool, &(dyn Fn(u64) + Sync)) -> Result<T, AnalysisError> + Send,
) -> PyResult<T> {
    let done = AtomicU64::new(0);
    let cancel = AtomicBool::new(false);
    let count = |n: u64| {
        done.fetch_add(n, Ordering::Relaxed);
    };
    supervise(
        py,
        || work(&cancel, &count),
        &done,
        total,
        &cancel,
        progress,
    )?
    .map_err(analysis_error)
}

/// Runs `work` on a thread of its own while this one, GIL released between looks, reports
/// progress to `progress` and checks for Ctrl-C. On Ctrl-C or an exception from `progress` it
/// raises `cancel`, waits for `work` to stop and returns that exception.
fn supervise<T: Send>(
    py: Python<'_>,
    work: impl FnOnce() -> T + Send,
    done: &AtomicU64,
    total: u64,
    cancel: &AtomicBool,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<T> {
    let caller = std::thread::current();
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            let result = work();
            caller.unpark();
            result
        });
        let mut reported = 0;
        let mut failure: Option<PyErr> = None;
        let mut report = |failure: &mut Option<PyErr>| {
            let now = done.load(Ordering::Relaxed);
            if now != reported {
                reported = now;
                if let Some(callback) = progress
                    && let Err(e) = callback.call1((now, total))
                {
                    *failure = Some(e);
                }
            }
        };
        while !worker.is_finished() {
            py.detach(|| std::thread::park_timeout(POLL));
            if failure.is_none() {
                report(&mut failure);
            }
            if failure.is_none()
                && let Err(e) = py.check_signals()
            {
                failure = Some(e);
            }
            if failure.is_some() {
                cancel.store(true, Ordering::Relaxed);
            }
        }
        let result = py.detach(|| worker.join());
        let result = match result {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        if failure.is_none() {
            report(&mut failure);
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(result),
        }
    })
}

/// Every trial's row of `trials.csv`, column by column, unformatted.
struct TrialColumns {
    /// Names of the per-trial inputs, in `trials.csv` column order.
    input_names: Vec<String>,
    deadline_day: usize,
    trial: Vec<u64>,
    inputs: Vec<Vec<f64>>,
    /// Day index of full capacity, `None` when never reached.
    full_capacity_day: Vec<Option<u32>>,
    online_gpus_at_deadline: Vec<u64>,
    available_gpus_at_deadline: Vec<u64>,
    delivered_gpus_at_deadline: Vec<u64>,
    /// By cause, in `Bottleneck::ALL` order.
    gpu_days_short: Vec<Vec<u64>>,
    /// Site ids, in scenario order.
    site_ids: Vec<String>,
    /// Racks online at the deadline, by site.
    site_racks_at_deadline: Vec<Vec<u64>>,
}

impl TrialColumns {
    fn new(input_names: &[String], site_ids: &[String], deadline_day: usize) -> TrialColumns {
        TrialColumns {
            input_names: input_names.to_vec(),
            deadline_day,
            trial: Vec::new(),
            inputs: vec![Vec::new(); input_names.len()],
            full_capacity_day: Vec::new(),
            online_gpus_at_deadline: Vec::new(),
            available_gpus_at_deadline: Vec::new(),
            delivered_gpus_at_deadline: Vec::new(),
            gpu_days_short: vec![Vec::new(); Bottleneck::COUNT],
            site_ids: site_ids.to_vec(),
            site_racks_at_deadline: vec![Vec::new(); site_ids.len()],
        }
    }

    fn push(&mut self, trial: u64, o: &TrialOutcome) {
        self.trial.push(trial);
        for (column, &v) in self.inputs.iter_mut().zip(&o.inputs) {
            column.push(v);
        }
        self.full_capacity_day.push(o.full_capacity_day);
        self.online_gpus_at_deadline.push(o.online_gpus_at_deadline);
        self.available_gpus_at_deadline
            .push(o.available_gpus_at_deadline);
        self.delivered_gpus_at_deadline
            .push(o.delivered_gpus_at_deadline);
        for (column, &d) in self.gpu_days_short.iter_mut().zip(&o.shortfall_gpu_days) {
            column.push(d);
        }
        for (column, &r) in self
            .site_racks_at_deadline
            .iter_mut()
            .zip(&o.site_online_racks_at_deadline)
        {
            column.push(r);
        }
    }
}

/// A finished run, and the trials it kept.
#[pyclass(module = "capsim._capsim", frozen)]
struct RunResult {
    result: analysis::RunResult,
    /// Every trial's inputs and outcomes, or why the run has none.
    trials: Result<TrialColumns, &'static str>,
}

impl RunResult {
    /// `start + day` as NumPy's `datetime64[D]` (days since 1970-01-01).
    fn date(&self, day: u32) -> Datetime<Days> {
        let epoch = jiff::civil::date(1970, 1, 1);
        let offset = self
            .result
            .scenario
            .start
            .since(epoch)
            .map(|span| i64::from(span.get_days()))
            .unwrap_or(0);
        Datetime::from(offset + i64::from(day))
    }

    /// Writes `trials.csv` of the kept trials into `path`.
    fn write_trials_csv(&self, path: &Path) -> Result<(), ResultsError> {
        let t = self
            .trials
            .as_ref()
            .map_err(|&why| ResultsError::Refused(why.into()))?;
        results::write_atomic(path, |w| {
            let start = self.result.scenario.start;
            let mut rows =
                TrialsCsv::new(w, &t.input_names, &t.site_ids, start, t.deadline_day as u32)?;
            let mut outcome = TrialOutcome::default();
            for (i, &trial) in t.trial.iter().enumerate() {
                outcome.inputs = t.inputs.iter().map(|column| column[i]).collect();
                outcome.full_capacity_day = t.full_capacity_day[i];
                outcome.online_gpus_at_deadline = t.online_gpus_at_deadline[i];
                outcome.available_gpus_at_deadline = t.available_gpus_at_deadline[i];
                outcome.delivered_gpus_at_deadline = t.delivered_gpus_at_deadline[i];
                for (days, column) in outcome.shortfall_gpu_days.iter_mut().zip(&t.gpu_days_short) {
                    *days = column[i];
                }
                outcome.site_online_racks_at_deadline = t
                    .site_racks_at_deadline
                    .iter()
                    .map(|column| column[i])
                    .collect();
                rows.write(trial, &outcome)?;
            }
            rows.finish()?;
            Ok(())
        })
    }
}

/// Named columns, in a file's column order.
type Columns<'py> = Vec<(String, Bound<'py, PyAny>)>;

/// A results-folder error as Python's: a folder capsim may not replace is a ValueError, the
/// rest OSError, each with the CLI's message and its cause.
fn results_error(e: ResultsError) -> PyErr {
    let mut message = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        message = format!("{message}: {c}");
        cause = c.source();
    }
    if e.is_input_error() {
        PyValueError::new_err(message)
    } else {
        PyOSError::new_err(message)
    }
}

/// The text `write` writes: a JSON or CSV file of the capsim crate's writers.
fn text(write: impl FnOnce(&mut Vec<u8>) -> Result<(), ExportError>) -> PyResult<String> {
    let mut bytes = Vec::new();
    write(&mut bytes).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// Writes the results folder of `command` at `path` with `write`, built aside and swapped in
/// whole, with the GIL released. Returns a note for the user, if any (an old folder that could
/// not be removed).
fn write_folder(
    py: Python<'_>,
    path: &Path,
    command: &'static str,
    write: impl FnOnce(&Path) -> Result<(), ResultsError> + Send,
) -> PyResult<Option<String>> {
    py.detach(|| {
        let folder = ResultsFolder::create(path, command)?;
        write(folder.path())?;
        folder.commit()
    })
    .map_err(results_error)
}

/// The header row a CSV writer of the capsim crate writes, split into column names.
fn header(csv: &[u8]) -> PyResult<Vec<String>> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv);
    let record = reader
        .records()
        .next()
        .transpose()
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?
        .unwrap_or_default();
    Ok(record.iter().map(String::from).collect())
}

#[pymethods]
impl RunResult {
    /// `summary.json`, as `capsim run` writes it.
    fn summary_json(&self) -> PyResult<String> {
        text(|w| output::write_summary_json(&self.result.summary(), w))
    }

    /// `daily.csv` as arrays: the column names (the first is `date`), the dates
    /// (`datetime64[D]`) and a days × other-columns matrix of values.
    #[allow(clippy::type_complexity)]
    fn daily<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(
        Vec<String>,
        Bound<'py, PyArray1<Datetime<Days>>>,
        Bound<'py, PyArray2<f64>>,
    )> {
        let mut csv = Vec::new();
        output::write_daily_csv(&[], &self.result.site_ids(), &mut csv)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        let columns = header(&csv)?;
        let rows = self.result.daily_rows();
        let dates: Vec<Datetime<Days>> = (0..rows.len() as u32).map(|d| self.date(d)).collect();
        let mut values = numpy::ndarray::Array2::zeros((rows.len(), columns.len() - 1));
        for (mut line, row) in values.rows_mut().into_iter().zip(&rows) {
            let cells = row
                .metrics
                .iter()
                .flatten()
                .chain([&row.reached_target])
                .chain(&row.site_online_gpus_mean);
            let mut written = 0;
            for (slot, &v) in line.iter_mut().zip(cells) {
                *slot = v;
                written += 1;
            }
            if written + 1 != columns.len() {
                return Err(PyRuntimeError::new_err(
                    "daily rows do not match the daily.csv header",
                ));
            }
        }
        Ok((columns, dates.into_pyarray(py), values.into_pyarray(py)))
    }

    /// `trials.csv` as arrays: `(name, array)` per column, in its column order. Raises
    /// ValueError when the run kept no trials.
    fn trials<'py>(&self, py: Python<'py>) -> PyResult<Columns<'py>> {
        let t = self
            .trials
            .as_ref()
            .map_err(|&why| PyValueError::new_err(why))?;
        let mut csv = Vec::new();
        let start = self.result.scenario.start;
        TrialsCsv::new(
            &mut csv,
            &t.input_names,
            &t.site_ids,
            start,
            t.deadline_day as u32,
        )
        .and_then(|w| w.finish())
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        let names = header(&csv)?;
        let met: Vec<bool> = t
            .full_capacity_day
            .iter()
            .map(|d| d.is_some_and(|d| d as usize <= t.deadline_day))
            .collect();
        let dates: Vec<Datetime<Days>> = t
            .full_capacity_day
            .iter()
            .map(|d| d.map_or(Datetime::from(i64::MIN), |d| self.date(d)))
            .collect();
        let mut arrays: Vec<Bound<'py, PyAny>> = vec![t.trial.clone().into_pyarray(py).into_any()];
        arrays.extend(
            t.inputs
                .iter()
                .map(|column| column.clone().into_pyarray(py).into_any()),
        );
        arrays.push(dates.into_pyarray(py).into_any());
        arrays.push(met.into_pyarray(py).into_any());
        for column in [
            &t.online_gpus_at_deadline,
            &t.available_gpus_at_deadline,
            &t.delivered_gpus_at_deadline,
        ]
        .into_iter()
        .chain(&t.gpu_days_short)
        .chain(&t.site_racks_at_deadline)
        {
            arrays.push(column.clone().into_pyarray(py).into_any());
        }
        if names.len() != arrays.len() {
            return Err(PyRuntimeError::new_err(
                "trial columns do not match the trials.csv header",
            ));
        }
        Ok(names.into_iter().zip(arrays).collect())
    }

    /// Writes the results folder `capsim run --out path` writes (with `trials.csv` when
    /// `trials_csv`, the charts when `charts`), built aside and swapped in whole. Returns a note
    /// for the user, if any (an old folder that could not be removed).
    fn to_dir(
        &self,
        py: Python<'_>,
        path: PathBuf,
        charts: bool,
        trials_csv: bool,
    ) -> PyResult<Option<String>> {
        write_folder(py, &path, "run", |dir| {
            if trials_csv {
                self.write_trials_csv(&dir.join("trials.csv"))?;
            }
            let options = charts.then(ChartOptions::default);
            results::write_run(dir, &self.result, options.as_ref()).map(drop)
        })
    }
}

/// A finished comparison, and its report (`compare.json`).
#[pyclass(module = "capsim._capsim", frozen)]
struct Comparison {
    result: CompareResult,
    report: CompareReport,
}

#[pymethods]
impl Comparison {
    /// `compare.json`, as `capsim compare` writes it.
    fn summary_json(&self) -> PyResult<String> {
        text(|w| output::write_compare_json(&self.report, w))
    }

    /// `compare.csv`, as `capsim compare` writes it.
    fn csv(&self) -> PyResult<String> {
        text(|w| output::write_compare_csv(&self.report, w))
    }

    /// The table `capsim compare` prints.
    fn table(&self) -> String {
        output::render_compare_table(&self.report)
    }

    /// Each scenario's label and results, baseline first.
    fn runs(&self) -> Vec<(String, RunResult)> {
        self.result
            .runs
            .iter()
            .map(|compared| {
                let run = RunResult {
                    result: compared.run.clone(),
                    trials: Err("the runs of a comparison keep no trials"),
                };
                (compared.label.clone(), run)
            })
            .collect()
    }

    /// Writes the results folder `capsim compare --out path` writes (the overlay chart when
    /// `charts`), built aside and swapped in whole. Returns a note for the user, if any.
    fn to_dir(&self, py: Python<'_>, path: PathBuf, charts: bool) -> PyResult<Option<String>> {
        let options = charts.then(ChartOptions::default);
        write_folder(py, &path, "compare", |dir| {
            results::write_compare(dir, &self.result, options.as_ref()).map(drop)
        })
    }
}

/// A finished sweep.
#[pyclass(module = "capsim._capsim", frozen)]
struct Sweep {
    result: SweepResult,
}

#[pymethods]
impl Sweep {
    /// `sweep.json`, as `capsim sweep` writes it.
    fn summary_json(&self) -> PyResult<String> {
        text(|w| output::write_sweep_json(&self.result, w))
    }

    /// `sweep.csv`, as `capsim sweep` writes it.
    fn csv(&self) -> PyResult<String> {
        text(|w| output::write_sweep_csv(&self.result, w))
    }

    /// The table `capsim sweep` prints.
    fn table(&self) -> String {
        output::render_sweep_table(&self.result)
    }

    /// Writes the results folder `capsim sweep --out path` writes (its chart when `charts`),
    /// built aside and swapped in whole. Returns a note for the user, if any.
    fn to_dir(&self, py: Python<'_>, path: PathBuf, charts: bool) -> PyResult<Option<String>> {
        let options = charts.then(ChartOptions::default);
        write_folder(py, &path, "sweep", |dir| {
            results::write_sweep(dir, &self.result, options.as_ref()).map(drop)
        })
    }
}

/// A finished sensitivity analysis.
#[pyclass(module = "capsim._capsim", frozen)]
struct Sensitivity {
    result: SensitivityResult,
}

#[pymethods]
impl Sensitivity {
    /// `sensitivity.json`, as `capsim sensitivity` writes it.
    fn summary_json(&self) -> PyResult<String> {
        text(|w| output::write_sensitivity_json(&self.result, w))
    }

    /// `sensitivity.csv`, as `capsim sensitivity` writes it.
    fn csv(&self) -> PyResult<String> {
        text(|w| output::write_sensitivity_csv(&self.result, w))
    }

    /// The table `capsim sensitivity` prints.
    fn table(&self) -> String {
        output::render_sensitivity_table(&self.result)
    }

    /// Writes the results folder `capsim sensitivity --out path` writes (the tornado chart when
    /// `charts`), built aside and swapped in whole. Returns a note for the user, if any.
    fn to_dir(&self, py: Python<'_>, path: PathBuf, charts: bool) -> PyResult<Option<String>> {
        let options = charts.then(ChartOptions::default);
        write_folder(py, &path, "sensitivity", |dir| {
            results::write_sensitivity(dir, &self.result, options.as_ref()).map(drop)
        })
    }
}

/// The native module.
#[pymodule]
fn _capsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add("DEFAULT_TRIALS", analysis::run::DEFAULT_TRIALS)?;
    m.add("DEFAULT_SEED", analysis::run::DEFAULT_SEED)?;
    m.add("DEFAULT_COST_TRIALS", analysis::run::DEFAULT_COST_TRIALS)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_class::<Scenario>()?;
    m.add_class::<RunResult>()?;
    m.add_class::<Comparison>()?;
    m.add_class::<Sweep>()?;
    m.add_class::<Sensitivity>()?;
    Ok(())
}
