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

use capsim::analysis;
use capsim::engine::{self, EngineConfig, EngineError, RunHooks};
use capsim::model::{Lift, Model};
use capsim::output::{self, TrialsCsv};
use capsim::scenario::{self, limits::MAX_TRIALS};
use capsim::stats::{self, Accumulator, Bottleneck, ConstraintCosts, Summary, TrialOutcome};
use numpy::datetime::{Datetime, units::Days};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

create_exception!(
    capsim,
    ScenarioError,
    PyValueError,
    "A scenario that cannot be read or checked; the message names file, line, column and field."
);

/// Most worker threads a run takes, as `capsim run --threads`.
const MAX_THREADS: usize = 1024;

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
        let cost_trials = cost_trials.min(trials);
        let total = trials + cost_trials * (Lift::ALL.len() as u64 + 1);
        let model = &self.model;
        let done = AtomicU64::new(0);
        let cancel = AtomicBool::new(false);
        let work = || -> Result<Simulated, EngineError> {
            let count = |n: u64| {
                done.fetch_add(n, Ordering::Relaxed);
            };
            let mut table = TrialColumns::new(model.input_names().len(), model.deadline_day);
            let mut sink = |t: u64, o: &TrialOutcome| {
                table.push(t, o);
                Ok(())
            };
            let hooks = RunHooks {
                cancel: Some(&cancel),
                progress: Some(&count),
                trial_sink: keep_trials.then_some(&mut sink as &mut dyn FnMut(_, &_) -> _),
            };
            let acc = engine::run(model, &EngineConfig::new(trials, seed, threads), hooks)?;
            let costs = if cost_trials > 0 {
                let config = EngineConfig::new(cost_trials, seed, threads);
                Some(analysis::constraint_costs(model, &config, &count)?)
            } else {
                None
            };
            Ok(Simulated {
                acc,
                costs,
                trials: keep_trials.then_some(table),
            })
        };
        let simulated = supervise(py, work, &done, total, &cancel, progress.as_ref())?
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        Ok(RunResult {
            scenario: self.scenario.clone(),
            start: self.scenario.start,
            input_names: model.input_names().to_vec(),
            deadline_day: model.deadline_day,
            seed,
            simulated,
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

/// What a run produced.
struct Simulated {
    acc: Accumulator,
    costs: Option<ConstraintCosts>,
    trials: Option<TrialColumns>,
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

/// A finished run.
#[pyclass(module = "capsim._capsim", frozen)]
struct RunResult {
    scenario: scenario::Scenario,
    start: jiff::civil::Date,
    input_names: Vec<String>,
    deadline_day: usize,
    seed: u64,
    simulated: Simulated,
}

impl RunResult {
    fn summary(&self) -> Summary {
        let info = engine::run_info(&self.scenario, self.seed);
        let mut summary = Summary::new(&self.simulated.acc, &info);
        summary.constraint_costs = self.simulated.costs.clone();
        summary
    }

    /// Days since 1970-01-01 of `start + day`, as NumPy's `datetime64[D]`.
    fn date(&self, day: u32) -> Datetime<Days> {
        let epoch = jiff::civil::date(1970, 1, 1);
        let offset = self
            .start
            .since(epoch)
            .map(|span| i64::from(span.get_days()))
            .unwrap_or(0);
        Datetime::from(offset + i64::from(day))
    }
}

/// The header row a CSV writer of the capsim crate writes, split into column names.
fn header(csv: &[u8]) -> PyResult<Vec<String>> {
    let text = std::str::from_utf8(csv).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    let line = text.lines().next().unwrap_or_default();
    // Column names are plain identifiers except site ids, which the writer would quote if needed.
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
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
        output::write_summary_json(&self.summary(), &mut json)
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
        let site_ids: Vec<String> = self.scenario.sites.iter().map(|s| s.id.clone()).collect();
        let mut csv = Vec::new();
        output::write_daily_csv(&[], &site_ids, &mut csv)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        let columns = header(&csv)?;
        let rows = stats::daily_rows(&self.simulated.acc, self.start);
        let dates: Vec<Datetime<Days>> = (0..rows.len() as u32).map(|d| self.date(d)).collect();
        let values: Vec<Vec<f64>> = rows
            .iter()
            .map(|row| {
                let mut values: Vec<f64> = row.metrics.iter().flatten().copied().collect();
                values.push(row.reached_target);
                values.extend(&row.site_online_gpus_mean);
                values
            })
            .collect();
        if values.iter().any(|row| row.len() + 1 != columns.len()) {
            return Err(PyRuntimeError::new_err(
                "daily rows do not match the daily.csv header",
            ));
        }
        let matrix = if values.is_empty() {
            numpy::ndarray::Array2::zeros((0, columns.len() - 1)).into_pyarray(py)
        } else {
            PyArray2::from_vec2(py, &values).map_err(|e| PyRuntimeError::new_err(e.to_string()))?
        };
        Ok((columns, dates.into_pyarray(py), matrix))
    }

    /// `trials.csv` as arrays: `(name, array)` per column, in its column order; `None` when the
    /// run did not keep its trials.
    fn trials<'py>(&self, py: Python<'py>) -> PyResult<Option<Vec<(String, Bound<'py, PyAny>)>>> {
        let Some(t) = &self.simulated.trials else {
            return Ok(None);
        };
        let mut csv = Vec::new();
        TrialsCsv::new(&mut csv, &self.input_names, self.start, self.deadline_day as u32)
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

    /// `scenario.resolved.toml`, as `capsim run` writes it.
    fn resolved_toml(&self) -> String {
        self.scenario
            .resolved_toml(self.seed, self.simulated.acc.trials())
    }
}

/// The native module.
#[pymodule]
fn _capsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_class::<Scenario>()?;
    m.add_class::<RunResult>()?;
    Ok(())
}
