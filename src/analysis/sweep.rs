//! A sweep: one scenario run over a grid of one or two parameters, every grid point with the
//! same seed and trial count (so with common random numbers), reporting P(target by deadline)
//! and the other headline results of each point.
//!
//! A parameter is a `--set` path and its values ([`Vary`], parsed from `PATH=VALUES`); a `*`
//! segment of the path stands for every item of an array in the scenario. [`sweep`] checks the
//! request and every grid point ([`SweepPlan::new`]), then runs them ([`SweepPlan::run`]); a
//! sharded sweep returns its partial result instead, and [`SweepResult::from_merged`] rebuilds
//! the unsharded result from the merged partials.
//!
//! Memory: each grid point keeps only its plan (label, values, `--set`s) and headline results;
//! its scenario, model and statistics exist only while it runs. A sharded sweep also keeps each
//! point's statistics, which its partial stores.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use super::AnalysisError;
use super::run::{DEFAULT_SEED, DEFAULT_TRIALS};
use crate::engine::{self, EngineConfig, RunHooks};
use crate::model::Model;
use crate::numeric::thousands;
use crate::scenario::{self, Scenario};
use crate::shard::{MergedRuns, PartialBody, PartialHeader, PartialRun, Shard};
use crate::stats::{BottleneckShare, FullCapacityDate, GpuDistribution, Proportion, Summary};

/// The most grid points a sweep runs (e.g. 1000 × 1000). Each axis takes up to
/// [`MAX_VALUES`] values, but 10,000 × 10,000 points would take days just to check and more
/// memory than a machine has for the report alone.
pub const MAX_GRID_POINTS: usize = 1_000_000;
/// The most values one parameter takes.
pub const MAX_VALUES: usize = 10_000;
/// The probability whose contour the two-parameter heatmap draws, unless the request says.
pub const DEFAULT_THRESHOLD: f64 = 0.8;

/// A parameter's value as `sweep.json` lists it: a number, or, for a parameter whose values
/// are not all numbers (dates, policies, distribution tables), each value's text as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A number.
    Number(f64),
    /// Any other TOML value, as written after `=`.
    Text(String),
}

impl ParamValue {
    /// The number, for a numeric value.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            ParamValue::Number(v) => Some(*v),
            ParamValue::Text(_) => None,
        }
    }
}

/// One varied parameter: the path as given and its values, each as a [`ParamValue`] and as the
/// text `--set` receives (list items verbatim, so `150` stays an integer; range points formatted
/// without floating-point noise).
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    /// A `--set` path, possibly with `*` segments.
    pub path: String,
    /// The values, as values and as text.
    pub values: Vec<(ParamValue, String)>,
}

impl Vary {
    /// Parses `PATH=VALUES`: VALUES is a comma list of TOML values (`0.8,1.0,1.2`,
    /// `ordered,most_headroom`, `2026-12-31,2027-03-31`,
    /// `{ kind = "fixed", value = 3 },{ kind = "uniform", min = 0, max = 9 }`), split on commas
    /// outside `{}`, `[]` and quotes, or an inclusive, evenly spaced numeric range
    /// `start:stop:count` with count ≥ 2. The error explains the problem in full.
    pub fn parse(arg: &str) -> Result<Vary, String> {
        let (path, spec) = arg.split_once('=').ok_or_else(|| {
            format!(
                "--vary {arg}: expected PATH=VALUES, e.g. `supply.gb300.rate_scale=0.6:1.4:9` or \
                 `sites.*.power_scale=0.8,1.0,1.2`"
            )
        })?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(format!("--vary {arg}: `{path}` has an empty path segment"));
        }
        let values = parse_values(spec).map_err(|m| format!("--vary {arg}: {m}"))?;
        Ok(Vary {
            path: path.to_owned(),
            values,
        })
    }

    /// Whether every value is a number (a numeric axis); otherwise every value is its text.
    pub fn is_numeric(&self) -> bool {
        self.values
            .iter()
            .all(|(v, _)| matches!(v, ParamValue::Number(_)))
    }
}

/// Splits a list on its top-level commas: commas inside `{}`, `[]`, `"…"` or `'…'` belong to
/// their item. Items come back trimmed. Unbalanced brackets or an unterminated quote are errors.
pub(crate) fn split_top_level(spec: &str) -> Result<Vec<&str>, String> {
    let mut items = Vec::new();
    let mut closers: Vec<char> = Vec::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in spec.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '{' => closers.push('}'),
            '[' => closers.push(']'),
            '}' | ']' => match closers.pop() {
                Some(expected) if expected == c => {}
                _ => {
                    return Err(format!(
                        "`{spec}`: `{c}` at character {} closes nothing",
                        i + 1
                    ));
                }
            },
            ',' if closers.is_empty() => {
                items.push(spec[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if let Some(q) = quote {
        return Err(format!("`{spec}`: a {q} quote is not closed"));
    }
    if let Some(c) = closers.last() {
        return Err(format!("`{spec}`: a `{c}` is missing"));
    }
    items.push(spec[start..].trim());
    Ok(items)
}

/// Parses VALUES: a comma list of TOML values or an inclusive, evenly spaced numeric range
/// `start:stop:count` with count ≥ 2. A list whose items are not all numbers keeps every item
/// as text.
fn parse_values(spec: &str) -> Result<Vec<(ParamValue, String)>, String> {
    let spec = spec.trim();
    let number = |t: &str| -> Result<f64, String> {
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(format!("`{t}` is not a number")),
        }
    };
    let structured = spec.contains(['{', '[', '"', '\'', ',']);
    if spec.contains(':') && !structured {
        let parts: Vec<&str> = spec.split(':').map(str::trim).collect();
        let [start, stop, count] = parts[..] else {
            return Err(format!(
                "a range is start:stop:count, e.g. `0.6:1.4:9` (found `{spec}`)"
            ));
        };
        let (a, b) = (number(start)?, number(stop)?);
        let n: usize = count.parse().map_err(|_| {
            format!("the range count `{count}` is not a whole number (start:stop:count)")
        })?;
        if n < 2 {
            return Err(format!(
                "the range count must be at least 2 (found {n}); for one value use `--set`"
            ));
        }
        if n > MAX_VALUES {
            return Err(format!(
                "the range count must be at most {MAX_VALUES} (found {n})"
            ));
        }
        let steps = (n - 1) as f64;
        // Integers stay integers when the start, stop and step are whole numbers.
        let whole = |t: &str| t.parse::<i64>().is_ok();
        let integral = whole(start) && whole(stop) && ((b - a) / steps).fract() == 0.0;
        Ok((0..n)
            .map(|k| {
                let v = if k + 1 == n {
                    b
                } else {
                    a + (b - a) * k as f64 / steps
                };
                if integral {
                    (ParamValue::Number(v), format!("{}", v as i64))
                } else {
                    let v = round_noise(v);
                    (ParamValue::Number(v), format!("{v:?}"))
                }
            })
            .collect())
    } else {
        let items = split_top_level(spec)?;
        if items.iter().any(|t| t.is_empty()) {
            return Err(format!(
                "`{spec}` has an empty item; give a comma list (`0.8,1.0,1.2`, \
                 `ordered,most_headroom`) or a range (`0.6:1.4:9`)"
            ));
        }
        if items.len() > MAX_VALUES {
            return Err(format!(
                "a list takes at most {MAX_VALUES} values (found {})",
                items.len()
            ));
        }
        let numbers: Vec<Option<f64>> = items.iter().map(|t| t.parse::<f64>().ok()).collect();
        if let Some((t, _)) = items
            .iter()
            .zip(&numbers)
            .find(|(_, v)| v.is_some_and(|v| !v.is_finite()))
        {
            return Err(format!("`{t}` is not a number"));
        }
        let numeric = numbers.iter().all(Option::is_some);
        Ok(items
            .into_iter()
            .zip(numbers)
            .map(|(t, v)| match v {
                Some(v) if numeric => (ParamValue::Number(v), t.to_owned()),
                _ => (ParamValue::Text(t.to_owned()), t.to_owned()),
            })
            .collect())
    }
}

/// `v` rounded to 12 significant digits, which drops the noise of `a + k·step`
/// (0.7000000000000001).
pub(crate) fn round_noise(v: f64) -> f64 {
    format!("{v:.11e}").parse().unwrap_or(v)
}

/// The value at the plain `--set` path `path` of the resolved scenario `doc` (segments are keys,
/// and in arrays an item's id or 0-based index), if there is one.
pub(crate) fn lookup<'a>(doc: &'a toml::Value, path: &str) -> Option<&'a toml::Value> {
    path.split('.').try_fold(doc, |node, seg| match node {
        toml::Value::Table(t) => t.get(seg),
        toml::Value::Array(a) => a
            .iter()
            .find(|item| item.get("id").and_then(toml::Value::as_str) == Some(seg))
            .or_else(|| seg.parse::<usize>().ok().and_then(|i| a.get(i))),
        _ => None,
    })
}

/// Whether `value` is a distribution table (it names its `kind`).
pub(crate) fn is_distribution(value: &toml::Value) -> bool {
    value.get("kind").is_some_and(toml::Value::is_str)
}

/// The note a parameter with numbers among its values carries when any of its `paths` holds a
/// distribution in the scenario `doc`: its numbers replace the distribution by a fixed value.
pub(crate) fn fixed_distribution_note(
    doc: &toml::Value,
    path: &str,
    paths: &[String],
) -> Option<String> {
    let held = paths
        .iter()
        .filter(|p| lookup(doc, p).is_some_and(is_distribution))
        .count();
    match held {
        0 => None,
        n if n == paths.len() => Some(format!(
            "{path}: a distribution in the scenario, fixed at each swept value"
        )),
        n => Some(format!(
            "{path}: a distribution in the scenario at {n} of its {} paths, fixed at each swept \
             value",
            paths.len()
        )),
    }
}

/// Expands every `*` segment of `path` into the ids (or, for items without an `id`, the 0-based
/// indices) of the array it stands for in the resolved scenario `doc`; a path without `*` comes
/// back as is. Segments that name nothing are kept, so `--set` reports them.
pub(crate) fn expand_wildcards(doc: &toml::Value, path: &str) -> Result<Vec<String>, String> {
    fn walk(
        node: Option<&toml::Value>,
        segs: &[&str],
        prefix: String,
        full: &str,
        out: &mut Vec<String>,
    ) -> Result<(), String> {
        let Some((seg, rest)) = segs.split_first() else {
            out.push(prefix);
            return Ok(());
        };
        let join = |s: &str| {
            if prefix.is_empty() {
                s.to_owned()
            } else {
                format!("{prefix}.{s}")
            }
        };
        if *seg == "*" {
            let Some(items) = node.and_then(toml::Value::as_array) else {
                let at = if prefix.is_empty() {
                    "the top level".to_owned()
                } else {
                    format!("`{prefix}`")
                };
                return Err(format!(
                    "`{full}`: `*` stands for every item of an array, but {at} is not an array \
                     in the scenario"
                ));
            };
            if items.is_empty() {
                return Err(format!(
                    "`{full}`: `{prefix}` has no items for `*` to stand for"
                ));
            }
            for (i, item) in items.iter().enumerate() {
                let label = item
                    .get("id")
                    .and_then(toml::Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_owned);
                walk(Some(item), rest, join(&label), full, out)?;
            }
            Ok(())
        } else {
            let child = match node {
                Some(toml::Value::Table(t)) => t.get(*seg),
                Some(toml::Value::Array(a)) => a
                    .iter()
                    .find(|item| item.get("id").and_then(toml::Value::as_str) == Some(seg))
                    .or_else(|| seg.parse::<usize>().ok().and_then(|i| a.get(i))),
                _ => None,
            };
            walk(child, rest, join(seg), full, out)
        }
    }
    let segs: Vec<&str> = path.split('.').collect();
    let mut out = Vec::new();
    walk(Some(doc), &segs, String::new(), path, &mut out)?;
    Ok(out)
}

/// What to sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRequest {
    /// The scenario file.
    pub scenario: PathBuf,
    /// `--set` overrides applied at every grid point, before the point's own.
    pub overrides: Vec<String>,
    /// One or two parameters; the grid is every combination of their values, the first
    /// parameter outermost.
    pub vary: Vec<Vary>,
    /// The probability whose contour the two-parameter heatmap draws, in `0..=1`.
    pub threshold: f64,
    /// Trials per grid point (`None`: the scenario's, else [`DEFAULT_TRIALS`]).
    pub trials: Option<u64>,
    /// The seed of every grid point (`None`: the scenario's, else [`DEFAULT_SEED`]).
    pub seed: Option<u64>,
    /// Worker threads (0: one per core). Never changes the results.
    pub threads: usize,
    /// Run only this shard's slice of every grid point's trials, for a partial result.
    pub shard: Option<Shard>,
}

impl SweepRequest {
    /// A sweep of `scenario` over `vary` with the scenario's trials and seed, the default
    /// threshold, no overrides, on every core.
    pub fn new(scenario: impl Into<PathBuf>, vary: Vec<Vary>) -> SweepRequest {
        SweepRequest {
            scenario: scenario.into(),
            overrides: Vec::new(),
            vary,
            threshold: DEFAULT_THRESHOLD,
            trials: None,
            seed: None,
            threads: 0,
            shard: None,
        }
    }
}

/// One varied parameter, as `sweep.json` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepParameter {
    /// The path as given (with any `*`).
    pub path: String,
    /// Its values: numbers, or each value's text when they are not all numbers.
    pub values: Vec<ParamValue>,
    /// The plain `--set` paths the path expands to (more than one with `*`).
    pub expands_to: Vec<String>,
}

/// One grid point of a plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PlanPoint {
    /// `path=value` of each parameter, for messages and partials.
    label: String,
    /// The parameters' values, as numbers and as the text given to `--set`.
    values: Vec<ParamValue>,
    texts: Vec<String>,
    /// The `--set` arguments of the point.
    set: Vec<String>,
}

/// Everything a sweep's report needs besides the grid points' statistics. A sharded sweep
/// stores it in its partials (as the header's context), so that a merge rebuilds the report
/// the unsharded sweep would have.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Outline {
    scenario: String,
    file: String,
    target_gpus: u64,
    deadline: String,
    threshold: f64,
    parameters: Vec<SweepParameter>,
    points: Vec<PlanPoint>,
    /// What the report should say about the parameters (a distribution fixed by the sweep).
    #[serde(default)]
    notes: Vec<String>,
}

impl Outline {
    /// The result of `headlines` (one per grid point, in grid order).
    fn into_result(self, seed: u64, trials: u64, headlines: Vec<Headline>) -> SweepResult {
        SweepResult {
            capsim_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: self.scenario,
            file: self.file,
            seed,
            trials,
            target_gpus: self.target_gpus,
            deadline: self.deadline,
            threshold: self.threshold,
            parameters: self.parameters,
            notes: self.notes,
            points: self
                .points
                .into_iter()
                .zip(headlines)
                .map(|(p, headline)| GridPoint {
                    values: p.values,
                    texts: p.texts,
                    set: p.set,
                    headline,
                })
                .collect(),
        }
    }
}

/// A checked sweep, ready to run: every grid point loads and compiles.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    /// Trials per grid point.
    pub trials: u64,
    /// The seed of every grid point.
    pub seed: u64,
    file: PathBuf,
    overrides: Vec<String>,
    outline: Outline,
}

impl SweepPlan {
    /// Checks `request` (one or two parameters with distinct paths, a threshold in `0..=1`, at
    /// most [`MAX_GRID_POINTS`] points, a trial count in `1..=u32::MAX`), expands the wildcards
    /// against the scenario, and loads and compiles every grid point once, so that a bad value
    /// fails before anything runs. `request.threads` and `request.shard` are not used here.
    pub fn new(request: &SweepRequest) -> Result<SweepPlan, AnalysisError> {
        let params = &request.vary;
        if params.is_empty() || params.len() > 2 {
            return Err(AnalysisError::Request(format!(
                "sweep takes one or two --vary (found {})",
                params.len()
            )));
        }
        if !(0.0..=1.0).contains(&request.threshold) {
            return Err(AnalysisError::Request(format!(
                "--threshold must be a probability between 0 and 1 (found {})",
                request.threshold
            )));
        }
        if params.len() == 2 && params[0].path == params[1].path {
            return Err(AnalysisError::Request(format!(
                "--vary names `{}` twice",
                params[0].path
            )));
        }
        check_grid_size(params)?;
        let base = scenario::load(&request.scenario, &request.overrides)?;
        let trials = request.trials.or(base.trials).unwrap_or(DEFAULT_TRIALS);
        let seed = request.seed.or(base.seed).unwrap_or(DEFAULT_SEED);
        if trials < 1 || trials > u64::from(u32::MAX) {
            return Err(AnalysisError::Request(format!(
                "--trials must be between 1 and {} (found {trials})",
                u32::MAX
            )));
        }
        let doc: toml::Value = base
            .resolved_toml(seed, trials)
            .parse::<toml::Table>()
            .map(toml::Value::Table)
            .map_err(|e| {
                AnalysisError::Request(format!("reading back the resolved scenario: {e}"))
            })?;
        let expanded: Vec<Vec<String>> = params
            .iter()
            .map(|p| {
                expand_wildcards(&doc, &p.path)
                    .map_err(|m| AnalysisError::Request(format!("--vary {m}")))
            })
            .collect::<Result<_, _>>()?;
        let points = plan_points(params, &expanded);
        let notes = params
            .iter()
            .zip(&expanded)
            .filter(|(p, _)| p.values.iter().any(|(_, t)| t.parse::<f64>().is_ok()))
            .filter_map(|(p, paths)| fixed_distribution_note(&doc, &p.path, paths))
            .collect();
        // A value valid on its own can clash with the other parameter's, so every point is
        // checked; a load and compile cost far less than a run.
        for point in &points {
            build(&request.scenario, &request.overrides, point)?;
        }
        Ok(SweepPlan {
            trials,
            seed,
            file: request.scenario.clone(),
            overrides: request.overrides.clone(),
            outline: Outline {
                scenario: base.name.clone(),
                file: request.scenario.display().to_string(),
                target_gpus: base.target_gpus,
                deadline: base.deadline.to_string(),
                threshold: request.threshold,
                parameters: params
                    .iter()
                    .zip(expanded)
                    .map(|(p, expands_to)| SweepParameter {
                        path: p.path.clone(),
                        values: p.values.iter().map(|v| v.0.clone()).collect(),
                        expands_to,
                    })
                    .collect(),
                points,
                notes,
            },
        })
    }

    /// The number of grid points.
    pub fn grid_points(&self) -> usize {
        self.outline.points.len()
    }

    /// The trials a run of the plan takes over all grid points: every trial, or `shard`'s
    /// slice of each point's.
    pub fn trials_to_run(&self, shard: Option<Shard>) -> u64 {
        self.engine_config(0, shard).trials * self.grid_points() as u64
    }

    fn engine_config(&self, threads: usize, shard: Option<Shard>) -> EngineConfig {
        crate::shard::engine_config(shard, self.trials, self.seed, threads)
    }

    /// Runs every grid point in grid order on `threads` workers: the whole sweep, or `shard`'s
    /// slice of every point as a partial result. `progress` counts the trials of every point
    /// (at most [`trials_to_run`](Self::trials_to_run)); `cancel` stops the run at the next batch
    /// with [`EngineError::Cancelled`](crate::engine::EngineError::Cancelled).
    pub fn run(
        self,
        threads: usize,
        shard: Option<Shard>,
        cancel: Option<&AtomicBool>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Swept, AnalysisError> {
        if let Some(shard) = shard
            && shard.count > self.trials
        {
            return Err(AnalysisError::Request(format!(
                "{} shards for {} trials would leave shards empty: use at most {} shards, or \
                 more trials",
                shard.count, self.trials, self.trials
            )));
        }
        let config = self.engine_config(threads, shard);
        // Unsharded, each point's statistics shrink to its headline at once; a shard keeps them
        // whole (with the resolved scenario) for its partial.
        let mut headlines = Vec::new();
        let mut runs = Vec::new();
        let mut bodies = Vec::new();
        for point in &self.outline.points {
            let (scenario, model) = build(&self.file, &self.overrides, point)?;
            let hooks = RunHooks {
                cancel,
                progress: Some(progress),
                trial_sink: None,
            };
            let accumulator = engine::run(&model, &config, hooks)?;
            if shard.is_some() {
                runs.push(PartialRun {
                    label: point.label.clone(),
                    scenario_toml: scenario.resolved_toml(self.seed, self.trials),
                });
                bodies.push(PartialBody {
                    accumulator,
                    records: None,
                });
            } else {
                let summary = Summary::new(&accumulator, &engine::run_info(&scenario, self.seed));
                headlines.push(Headline::from(summary));
            }
        }
        let Some(shard) = shard else {
            return Ok(Swept::Whole(self.outline.into_result(
                self.seed,
                self.trials,
                headlines,
            )));
        };
        let context = serde_json::to_value(&self.outline)
            .map_err(|e| AnalysisError::Request(format!("storing the sweep plan: {e}")))?;
        let header = PartialHeader {
            context,
            ..PartialHeader::new(
                "sweep",
                &self.outline.scenario,
                runs,
                self.seed,
                self.trials,
                shard,
            )
        };
        Ok(Swept::Shard(SweepPartial { header, bodies }))
    }
}

/// Every combination of the parameters' value indices, the first parameter outermost.
fn grid(params: &[Vary]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new()];
    for p in params {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                (0..p.values.len()).map(move |k| {
                    let mut v = prefix.clone();
                    v.push(k);
                    v
                })
            })
            .collect();
    }
    out
}

/// The plan of every grid point, in grid order: its label, values and `--set` arguments.
fn plan_points(params: &[Vary], expanded: &[Vec<String>]) -> Vec<PlanPoint> {
    grid(params)
        .into_iter()
        .map(|indices| {
            let chosen = || {
                params
                    .iter()
                    .zip(expanded)
                    .zip(&indices)
                    .map(|((p, paths), &k)| (p, paths, &p.values[k]))
            };
            PlanPoint {
                label: chosen()
                    .map(|(p, _, (_, text))| format!("{}={text}", p.path))
                    .collect::<Vec<_>>()
                    .join(", "),
                values: chosen().map(|(_, _, (value, _))| value.clone()).collect(),
                texts: chosen().map(|(_, _, (_, text))| text.clone()).collect(),
                set: chosen()
                    .flat_map(|(_, paths, (_, text))| {
                        paths.iter().map(move |path| format!("{path}={text}"))
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Loads grid point `point`'s scenario and compiles its model; errors name the point.
fn build(
    file: &Path,
    base_sets: &[String],
    point: &PlanPoint,
) -> Result<(Scenario, Model), AnalysisError> {
    let mut sets = base_sets.to_vec();
    sets.extend(point.set.iter().cloned());
    let scenario = scenario::load(file, &sets)
        .map_err(|e| AnalysisError::Request(format!("grid point {}: {e}", point.label)))?;
    let model = Model::compile(&scenario).map_err(|e| {
        AnalysisError::Request(format!(
            "grid point {}: compiling the scenario: {e}",
            point.label
        ))
    })?;
    Ok((scenario, model))
}

/// Refuses a grid of more than [`MAX_GRID_POINTS`] before anything is loaded.
fn check_grid_size(params: &[Vary]) -> Result<(), AnalysisError> {
    let counts: Vec<usize> = params.iter().map(|p| p.values.len()).collect();
    let points: usize = counts.iter().product();
    if points > MAX_GRID_POINTS {
        let axes: Vec<String> = counts.iter().map(usize::to_string).collect();
        return Err(AnalysisError::Request(format!(
            "the grid has {} points ({}); a sweep runs at most {} grid points (e.g. 1000 × \
             1000): give the --vary fewer values",
            thousands(points as f64),
            axes.join(" × "),
            thousands(MAX_GRID_POINTS as f64)
        )));
    }
    Ok(())
}

/// What a sweep returned: the whole result, or a shard's partial.
#[derive(Debug)]
pub enum Swept {
    /// An unsharded sweep's result.
    Whole(SweepResult),
    /// A shard's partial result, for `merge`.
    Shard(SweepPartial),
}

/// A shard of a sweep: the header and bodies of its partial file
/// ([`write_partial`](crate::shard::write_partial)), one body per grid point.
#[derive(Debug)]
pub struct SweepPartial {
    /// The header: the sweep's plan is its context.
    pub header: PartialHeader,
    /// Each grid point's statistics over the shard's trials, in grid order.
    pub bodies: Vec<PartialBody>,
}

/// The results of one grid point that the report shows: the headline of its [`Summary`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Headline {
    /// P(target by deadline), with its 95% interval.
    pub p_target_by_deadline: Proportion,
    /// When trials reach the target.
    pub full_capacity_date: FullCapacityDate,
    /// Available GPUs at the deadline.
    pub available_gpus_at_deadline: GpuDistribution,
    /// Where the missing GPU-days are.
    pub bottleneck_share: BottleneckShare,
}

impl From<Summary> for Headline {
    fn from(s: Summary) -> Headline {
        Headline {
            p_target_by_deadline: s.p_target_by_deadline,
            full_capacity_date: s.full_capacity_date,
            available_gpus_at_deadline: s.available_gpus_at_deadline,
            bottleneck_share: s.bottleneck_share,
        }
    }
}

/// One grid point's values and results, as `sweep.json` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridPoint {
    /// Each parameter's value.
    pub values: Vec<ParamValue>,
    /// Each parameter's value as given to `--set` (the CSV's and table's cells; not in
    /// `sweep.json`).
    #[serde(skip)]
    pub texts: Vec<String>,
    /// The `--set` arguments of the point.
    pub set: Vec<String>,
    /// Its results.
    #[serde(flatten)]
    pub headline: Headline,
}

/// A finished sweep; serialized, it is `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    /// The version of capsim that ran it.
    pub capsim_version: String,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file, as given.
    pub file: String,
    /// The seed of every grid point.
    pub seed: u64,
    /// Trials per grid point.
    pub trials: u64,
    /// The target.
    pub target_gpus: u64,
    /// The deadline (a date).
    pub deadline: String,
    /// The probability whose contour the heatmap draws.
    pub threshold: f64,
    /// The varied parameters.
    pub parameters: Vec<SweepParameter>,
    /// Notes on the parameters, e.g. that a sweep fixes what the scenario draws from a
    /// distribution (absent when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Every grid point, the first parameter outermost.
    pub points: Vec<GridPoint>,
}

impl SweepResult {
    /// The result of the unsharded sweep, from the merged partials of its shards.
    pub fn from_merged(m: &MergedRuns<'_>) -> Result<SweepResult, AnalysisError> {
        let outline: Outline = serde_json::from_value(m.header.context.clone()).map_err(|e| {
            AnalysisError::Request(format!(
                "reading the sweep plan stored in the partials: {e}"
            ))
        })?;
        if outline.points.len() != m.bodies.len() || m.scenarios.len() != m.bodies.len() {
            return Err(AnalysisError::Request(format!(
                "the partials hold {} grid points but their plan lists {}",
                m.bodies.len(),
                outline.points.len()
            )));
        }
        let seed = m.header.seed;
        let headlines = m
            .scenarios
            .iter()
            .zip(m.bodies)
            .map(|(s, b)| Summary::new(&b.accumulator, &engine::run_info(s, seed)).into())
            .collect();
        Ok(outline.into_result(seed, m.header.total_trials, headlines))
    }
}

/// Runs `request`: [`SweepPlan::new`], then [`SweepPlan::run`] with the request's threads and
/// shard. Callers that choose the shard from the trial count (the CLI) take the two steps.
pub fn sweep(
    request: &SweepRequest,
    cancel: Option<&AtomicBool>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Swept, AnalysisError> {
    SweepPlan::new(request)?.run(request.threads, request.shard, cancel, progress)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(v: &[(ParamValue, String)]) -> Vec<&str> {
        v.iter().map(|(_, t)| t.as_str()).collect()
    }

    #[test]
    fn lists_keep_their_text() {
        let v = parse_values("0.8, 1.0,1.2").unwrap();
        assert_eq!(texts(&v), ["0.8", "1.0", "1.2"]);
        assert_eq!(v[1].0, ParamValue::Number(1.0));
        assert_eq!(texts(&parse_values("150").unwrap()), ["150"]);
    }

    #[test]
    fn ranges_are_inclusive_and_evenly_spaced() {
        let v = parse_values("0.6:1.4:9").unwrap();
        assert_eq!(
            texts(&v),
            [
                "0.6", "0.7", "0.8", "0.9", "1.0", "1.1", "1.2", "1.3", "1.4"
            ]
        );
        let v = parse_values("0:30:4").unwrap();
        assert_eq!(texts(&v), ["0", "10", "20", "30"]);
        // Whole-number ends with a fractional step give floats.
        let v = parse_values("0:1:3").unwrap();
        assert_eq!(texts(&v), ["0.0", "0.5", "1.0"]);
        // Descending ranges are fine.
        assert_eq!(texts(&parse_values("2:1:2").unwrap()), ["2", "1"]);
    }

    #[test]
    fn bad_values_are_explained() {
        let err = |s: &str| parse_values(s).unwrap_err();
        assert!(
            err("0.6:1.4:1").contains("at least 2"),
            "{}",
            err("0.6:1.4:1")
        );
        assert!(err("0.6:1.4:0").contains("at least 2"));
        assert!(err("0:1:10001").contains("at most 10000 (found 10001)"));
        assert!(err("0.6:1.4:x").contains("not a whole number"));
        assert!(err("0.6:1.4").contains("start:stop:count"));
        assert!(err("a:1:3").contains("`a` is not a number"));
        assert!(err("0.8,inf").contains("`inf` is not a number"));
        assert!(err("{ kind = 1").contains("a `}` is missing"));
        assert!(err("1],2").contains("`]` at character 2 closes nothing"));
        assert!(err("\"a,b").contains("quote is not closed"));
        assert!(err("0.8,,1").contains("empty item"));
        assert!(err("").contains("empty item"));
        assert!(err("nan").contains("not a number"));
        let e = Vary::parse("supply.main.rate_scale").unwrap_err();
        assert!(e.contains("expected PATH=VALUES"), "{e}");
        let e = Vary::parse("supply..x=1,2").unwrap_err();
        assert!(e.contains("empty path segment"), "{e}");
        let v = Vary::parse("supply.main.rate_scale=0.5:1:2").unwrap();
        assert_eq!(v.path, "supply.main.rate_scale");
        assert_eq!(texts(&v.values), ["0.5", "1.0"]);
    }

    #[test]
    fn lists_of_other_values_keep_every_item_as_text() {
        let v = parse_values("ordered, most_headroom").unwrap();
        assert_eq!(texts(&v), ["ordered", "most_headroom"]);
        assert_eq!(v[0].0, ParamValue::Text("ordered".into()));
        let v = parse_values("2026-12-31,2027-03-31").unwrap();
        assert_eq!(v[1].0, ParamValue::Text("2027-03-31".into()));
        // One item that is not a number makes the whole axis text, numbers included.
        let v = parse_values("0.8,fast").unwrap();
        assert_eq!(v[0].0, ParamValue::Text("0.8".into()));
        let dists =
            r#"7, { kind = "uniform", min = 0, max = 9 }, {kind="pert",min=0,mode=3,max=9}"#;
        assert_eq!(
            texts(&parse_values(dists).unwrap()),
            [
                "7",
                r#"{ kind = "uniform", min = 0, max = 9 }"#,
                r#"{kind="pert",min=0,mode=3,max=9}"#
            ]
        );
        // A colon inside a table or a string is not a range.
        let v = parse_values(r#""a:b", [1, 2]"#).unwrap();
        assert_eq!(texts(&v), [r#""a:b""#, "[1, 2]"]);
    }

    #[test]
    fn the_tokenizer_splits_on_top_level_commas_only() {
        fn split(s: &str) -> Vec<&str> {
            split_top_level(s).unwrap()
        }
        assert_eq!(split("a"), ["a"]);
        assert_eq!(split(" a , b "), ["a", "b"]);
        assert_eq!(
            split("{ a = [1, 2], b = { c = 3 } },x"),
            ["{ a = [1, 2], b = { c = 3 } }", "x"]
        );
        assert_eq!(
            split(r#""x,\"y,", 'p,q', z"#),
            [r#""x,\"y,""#, "'p,q'", "z"]
        );
        assert_eq!(split("a,,b"), ["a", "", "b"]);
        assert!(split_top_level("{ a = 1 ]").is_err());
    }

    #[test]
    fn distributions_fixed_by_numbers_are_noted() {
        let doc: toml::Value = toml::Value::Table(
            r#"
            [[sites]]
            id = "a"
            delay = { kind = "pert", min = 0, mode = 1, max = 3 }
            pue = 1.2
            [[sites]]
            id = "b"
            delay = 4
            pue = 1.3
            "#
            .parse::<toml::Table>()
            .unwrap(),
        );
        let one = ["sites.a.delay".to_owned()];
        assert_eq!(
            fixed_distribution_note(&doc, "sites.a.delay", &one).unwrap(),
            "sites.a.delay: a distribution in the scenario, fixed at each swept value"
        );
        let both = ["sites.a.delay".to_owned(), "sites.b.delay".to_owned()];
        let note = fixed_distribution_note(&doc, "sites.*.delay", &both).unwrap();
        assert!(note.contains("at 1 of its 2 paths"), "{note}");
        let pue = ["sites.a.pue".to_owned(), "sites.b.pue".to_owned()];
        assert_eq!(fixed_distribution_note(&doc, "sites.*.pue", &pue), None);
    }

    #[test]
    fn wildcards_expand_to_ids_or_indices() {
        let doc: toml::Value = toml::Value::Table(
            r#"
            [[sites]]
            id = "a"
            phases = [ { mw = 1 }, { mw = 2 } ]
            [[sites]]
            id = "b"
            phases = [ { mw = 3 } ]
            "#
            .parse::<toml::Table>()
            .unwrap(),
        );
        assert_eq!(
            expand_wildcards(&doc, "sites.*.power_scale").unwrap(),
            ["sites.a.power_scale", "sites.b.power_scale"]
        );
        assert_eq!(
            expand_wildcards(&doc, "sites.*.phases.*.mw").unwrap(),
            [
                "sites.a.phases.0.mw",
                "sites.a.phases.1.mw",
                "sites.b.phases.0.mw"
            ]
        );
        assert_eq!(
            expand_wildcards(&doc, "sites.b.phases.*.mw").unwrap(),
            ["sites.b.phases.0.mw"]
        );
        assert_eq!(
            expand_wildcards(&doc, "sites.1.phases.*.mw").unwrap(),
            ["sites.1.phases.0.mw"]
        );
        // No wildcard: unchanged, even when it names nothing (`--set` reports that).
        assert_eq!(expand_wildcards(&doc, "nope.x").unwrap(), ["nope.x"]);
        let e = expand_wildcards(&doc, "supply.*.rate_scale").unwrap_err();
        assert!(e.contains("`supply` is not an array"), "{e}");
        let e = expand_wildcards(&doc, "sites.a.*").unwrap_err();
        assert!(e.contains("`sites.a` is not an array"), "{e}");
    }

    #[test]
    fn grids_beyond_the_cap_are_refused() {
        let v = |n: usize| Vary {
            path: "x".into(),
            values: vec![(ParamValue::Number(0.0), "0".into()); n],
        };
        assert!(check_grid_size(&[v(1000), v(1000)]).is_ok());
        assert!(check_grid_size(&[v(10_000)]).is_ok());
        let e = check_grid_size(&[v(1001), v(1000)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("1,001,000 points (1001 × 1000)"), "{e}");
        assert!(e.contains("at most 1,000,000 grid points"), "{e}");
    }

    #[test]
    fn the_grid_runs_the_first_parameter_outermost() {
        let v = |n: usize| Vary {
            path: "x".into(),
            values: (0..n)
                .map(|k| (ParamValue::Number(k as f64), k.to_string()))
                .collect(),
        };
        assert_eq!(
            grid(&[v(2), v(3)]),
            [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
        );
        assert_eq!(grid(&[v(2)]), [[0], [1]]);
    }
}
