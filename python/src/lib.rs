//! `capsim._capsim`: the native core of the Python package. It loads scenarios, runs them with
//! the GIL released and hands results over as JSON text and NumPy arrays; the public API
//! (`capsim.load`, `Scenario`, `Result`: pandas, tqdm, defaults) is the Python layer in
//! `capsim/__init__.py`.
//!
//! Everything a file of `capsim run` holds comes from the capsim crate's own writers and schema
//! (summary JSON, daily and trial column names), so Python and the CLI cannot drift apart.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use capsim::analysis::{self, AnalysisError, RunRequest};
use capsim::engine::RunHooks;
use capsim::model::Model;
use capsim::output::{self, TrialsCsv};
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

/// A checked scenario and its compiled model.
#[pyclass(module = "capsim._capsim", frozen)]
struct Scenario {
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
    Ok(Scenario { scenario, model })
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
        if !(1..=MAX_TRIALS).contains(&trials) {
            return Err(PyValueError::new_err(format!(
                "trials must be between 1 and {MAX_TRIALS} (found {trials})"
            )));
        }
        if seed > i64::MAX as u64 {
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
        let request = RunRequest {
            trials,
            seed,
            threads,
            cost_trials,
            ..RunRequest::for_scenario(&self.scenario)
        };
        let total = request.planned_trials() + request.cost_trials_total(trials);
        let model = &self.model;
        let done = AtomicU64::new(0);
        let cancel = AtomicBool::new(false);
        let work = || -> Result<(analysis::RunResult, Option<TrialColumns>), AnalysisError> {
            let count = |n: u64| {
                done.fetch_add(n, Ordering::Relaxed);
            };
            let mut table = TrialColumns::new(model.input_names().len(), model.deadline_day());
            let mut sink = |t: u64, o: &TrialOutcome| {
                table.push(t, o);
                Ok(())
            };
            let hooks = RunHooks {
                cancel: Some(&cancel),
                progress: Some(&count),
                trial_sink: keep_trials.then_some(&mut sink as &mut dyn FnMut(_, &_) -> _),
            };
            let simulated = analysis::simulate(model, &request, hooks)?;
            let costs = request.constraint_costs(model, simulated.accumulator.trials(), &count)?;
            let result = analysis::RunResult::new(&self.scenario, seed, simulated, costs);
            Ok((result, keep_trials.then_some(table)))
        };
        let (result, trials) = supervise(py, work, &done, total, &cancel, progress.as_ref())?
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        Ok(RunResult {
            result,
            input_names: model.input_names().to_vec(),
            deadline_day: model.deadline_day(),
            trials,
        })
    }
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
}

impl TrialColumns {
    fn new(inputs: usize, deadline_day: usize) -> TrialColumns {
        TrialColumns {
            deadline_day,
            trial: Vec::new(),
            inputs: vec![Vec::new(); inputs],
            full_capacity_day: Vec::new(),
            online_gpus_at_deadline: Vec::new(),
            available_gpus_at_deadline: Vec::new(),
            delivered_gpus_at_deadline: Vec::new(),
            gpu_days_short: vec![Vec::new(); Bottleneck::COUNT],
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
    }
}

/// A finished run, and the trials it kept.
#[pyclass(module = "capsim._capsim", frozen)]
struct RunResult {
    result: analysis::RunResult,
    /// Names of the per-trial inputs, in `trials.csv` column order.
    input_names: Vec<String>,
    deadline_day: usize,
    trials: Option<TrialColumns>,
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
    fn write_trials_csv(&self, path: &std::path::Path) -> Result<(), ResultsError> {
        let Some(t) = &self.trials else {
            return Err(ResultsError::Refused(
                "this run did not keep its trials: run it with keep_trials=True".into(),
            ));
        };
        results::write_atomic(path, |w| {
            let start = self.result.scenario.start;
            let mut rows = TrialsCsv::new(w, &self.input_names, start, self.deadline_day as u32)?;
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
        let mut json = Vec::new();
        output::write_summary_json(&self.result.summary(), &mut json)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        String::from_utf8(json).map_err(|e| PyRuntimeError::new_err(e.to_string()))
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

    /// `trials.csv` as arrays: `(name, array)` per column, in its column order; `None` when the
    /// run did not keep its trials.
    fn trials<'py>(&self, py: Python<'py>) -> PyResult<Option<Columns<'py>>> {
        let Some(t) = &self.trials else {
            return Ok(None);
        };
        let mut csv = Vec::new();
        let start = self.result.scenario.start;
        TrialsCsv::new(&mut csv, &self.input_names, start, self.deadline_day as u32)
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
        {
            arrays.push(column.clone().into_pyarray(py).into_any());
        }
        if names.len() != arrays.len() {
            return Err(PyRuntimeError::new_err(
                "trial columns do not match the trials.csv header",
            ));
        }
        Ok(Some(names.into_iter().zip(arrays).collect()))
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
        py.detach(|| {
            let folder = ResultsFolder::create(&path, "run")?;
            if trials_csv {
                self.write_trials_csv(&folder.path().join("trials.csv"))?;
            }
            let options = charts.then(ChartOptions::default);
            results::write_run(folder.path(), &self.result, options.as_ref())?;
            folder.commit()
        })
        .map_err(results_error)
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
    m.add_class::<Scenario>()?;
    m.add_class::<RunResult>()?;
    Ok(())
}
