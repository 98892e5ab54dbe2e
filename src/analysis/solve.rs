//! Solve: the value of one scenario input that just reaches a goal ("what crew rate gives 80%?").
//!
//! [`solve`] runs the scenario at both ends of the range, finds on which side the goal is met,
//! then bisects: every evaluation is a full run of the same trials with the same seed (common
//! random numbers), so the metric moves with the value, not with the draws. Three bisections
//! share their evaluations: one on the metric's estimate (the answer) and, for
//! P(target by deadline), one on each end of its 95% Wilson interval, whose crossings bound the
//! answer's interval (the values where the goal lies inside the metric's interval).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use jiff::civil::Date;
use serde::Serialize;

use super::AnalysisError;
use super::run::{DEFAULT_SEED, DEFAULT_TRIALS};
use super::sweep::{ParamValue, expand_wildcards, fixed_distribution_note, lookup, round_noise};
use crate::engine::{self, EngineConfig, RunHooks};
use crate::model::Model;
use crate::scenario;
use crate::stats::{Proportion, Summary};

/// The most evaluations one bisection makes after the range ends, unless the request says.
pub const DEFAULT_MAX_STEPS: u32 = 30;
/// The default tolerance of a real-valued input, as a share of the range.
pub const DEFAULT_RELATIVE_TOLERANCE: f64 = 1e-3;

/// What a goal measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// P(target by deadline), with its 95% Wilson interval.
    PTarget,
    /// The median of the available GPUs at the deadline.
    GpusAtDeadlineP50,
    /// The median full-capacity date (a trial that never reaches the target counts as late).
    FullCapacityP50,
}

impl Metric {
    const ALL: [Metric; 3] = [
        Metric::PTarget,
        Metric::GpusAtDeadlineP50,
        Metric::FullCapacityP50,
    ];

    /// The name a goal uses.
    pub fn name(self) -> &'static str {
        match self {
            Metric::PTarget => "p_target",
            Metric::GpusAtDeadlineP50 => "gpus_at_deadline_p50",
            Metric::FullCapacityP50 => "full_capacity_p50",
        }
    }
}

/// `>=` or `<=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// The metric must be at least the goal's value.
    AtLeast,
    /// The metric must be at most the goal's value.
    AtMost,
}

/// A goal: `METRIC>=VALUE` or `METRIC<=VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    /// What is measured.
    pub metric: Metric,
    /// How it compares with the value.
    pub comparison: Comparison,
    /// The value, in the metric's units (a probability; GPUs; days since 1970-01-01 for dates).
    pub value: f64,
    /// The goal as given, without spaces.
    pub text: String,
}

/// Days since 1970-01-01: the unit in which date goals compare.
fn epoch_day(date: Date) -> f64 {
    f64::from(
        date.since(Date::constant(1970, 1, 1))
            .map_or(0, |s| s.get_days()),
    )
}

impl Goal {
    /// Parses `METRIC>=VALUE` or `METRIC<=VALUE`: `p_target>=0.8` (or `80%`),
    /// `gpus_at_deadline_p50>=250000`, `full_capacity_p50<=2026-12-31`. The error says what
    /// would be valid.
    pub fn parse(text: &str) -> Result<Goal, String> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        let expected = format!(
            "--for {text}: expected METRIC>=VALUE or METRIC<=VALUE with METRIC one of {}, \
             e.g. `p_target>=0.8`, `gpus_at_deadline_p50>=250000`, \
             `full_capacity_p50<=2026-12-31`",
            names.join(", ")
        );
        let (name, comparison, value) = if let Some((n, v)) = compact.split_once(">=") {
            (n, Comparison::AtLeast, v)
        } else if let Some((n, v)) = compact.split_once("<=") {
            (n, Comparison::AtMost, v)
        } else {
            return Err(expected);
        };
        let metric = *Metric::ALL
            .iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| format!("{expected} (found the metric `{name}`)"))?;
        let value = match metric {
            Metric::PTarget => {
                let (number, scale) = match value.strip_suffix('%') {
                    Some(v) => (v, 100.0),
                    None => (value, 1.0),
                };
                match number.parse::<f64>().map(|p| p / scale) {
                    Ok(p) if p > 0.0 && p < 1.0 => p,
                    _ => {
                        return Err(format!(
                            "--for {text}: p_target takes a probability strictly between 0 and \
                             1 (`0.8`) or a percentage (`80%`), found `{value}`"
                        ));
                    }
                }
            }
            Metric::GpusAtDeadlineP50 => match value.parse::<f64>() {
                Ok(g) if g.is_finite() && g >= 0.0 => g,
                _ => {
                    return Err(format!(
                        "--for {text}: gpus_at_deadline_p50 takes a GPU count (`250000`), found \
                         `{value}`"
                    ));
                }
            },
            Metric::FullCapacityP50 => match value.parse::<Date>() {
                Ok(d) => epoch_day(d),
                Err(_) => {
                    return Err(format!(
                        "--for {text}: full_capacity_p50 takes a date (`2026-12-31`), found \
                         `{value}`"
                    ));
                }
            },
        };
        Ok(Goal {
            metric,
            comparison,
            value,
            text: compact,
        })
    }

    fn met_by(&self, x: f64) -> bool {
        match self.comparison {
            Comparison::AtLeast => x >= self.value,
            Comparison::AtMost => x <= self.value,
        }
    }
}

/// The varied input: a plain or wildcard `--set` path and the ends of its range, as given.
#[derive(Debug, Clone, PartialEq)]
pub struct SolveRange {
    /// A `--set` path, possibly with `*` segments.
    pub path: String,
    /// One end of the range (a number or a date).
    pub lo: String,
    /// The other end.
    pub hi: String,
}

impl SolveRange {
    /// Parses `PATH=LO:HI` (numbers, or dates such as `2026-06-01:2026-12-31`).
    pub fn parse(arg: &str) -> Result<SolveRange, String> {
        let expected = || {
            format!(
                "--vary {arg}: expected PATH=LO:HI, e.g. `supply.gb300.rate_scale=0.8:2.0` or \
                 `sites.*.phases.*.delay_days=0:120`"
            )
        };
        let (path, spec) = arg.split_once('=').ok_or_else(expected)?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(format!("--vary {arg}: `{path}` has an empty path segment"));
        }
        let (lo, hi) = spec.split_once(':').ok_or_else(expected)?;
        let (lo, hi) = (lo.trim(), hi.trim());
        if lo.is_empty() || hi.is_empty() || hi.contains(':') {
            return Err(expected());
        }
        Ok(SolveRange {
            path: path.to_owned(),
            lo: lo.to_owned(),
            hi: hi.to_owned(),
        })
    }
}

/// What to solve.
#[derive(Debug, Clone, PartialEq)]
pub struct SolveRequest {
    /// The scenario file.
    pub scenario: PathBuf,
    /// `--set` overrides applied at every evaluation, before the varied input's.
    pub overrides: Vec<String>,
    /// The varied input and its range.
    pub range: SolveRange,
    /// The goal.
    pub goal: Goal,
    /// Trials per evaluation (`None`: the scenario's, else [`DEFAULT_TRIALS`]).
    pub trials: Option<u64>,
    /// The seed of every evaluation (`None`: the scenario's, else [`DEFAULT_SEED`]).
    pub seed: Option<u64>,
    /// Worker threads (0: one per core). Never changes the results.
    pub threads: usize,
    /// Stop bisecting once the bracket is this narrow, in the input's units (days for dates)
    /// (`None`: a thousandth of the range; 1 for whole-number inputs and dates).
    pub tolerance: Option<f64>,
    /// The most evaluations one bisection makes.
    pub max_steps: u32,
}

impl SolveRequest {
    /// A request with the scenario's trials and seed, no overrides, the default tolerance and
    /// step cap, on every core.
    pub fn new(scenario: impl Into<PathBuf>, range: SolveRange, goal: Goal) -> SolveRequest {
        SolveRequest {
            scenario: scenario.into(),
            overrides: Vec::new(),
            range,
            goal,
            trials: None,
            seed: None,
            threads: 0,
            tolerance: None,
            max_steps: DEFAULT_MAX_STEPS,
        }
    }
}

/// The kind of values the input takes; bisection works on a coordinate `x` (the value itself,
/// or days after the range's first date).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Domain {
    /// A real number; bisection points are rounded to this many decimals (one more than the
    /// tolerance needs), so the steps read as plain numbers.
    Real(u32),
    Integer,
    Date(Date),
}

impl Domain {
    fn text(self, x: f64) -> String {
        match self {
            Domain::Real(_) => format!("{:?}", round_noise(x)),
            Domain::Integer => format!("{}", x as i64),
            Domain::Date(base) => base
                .checked_add(jiff::Span::new().days(x as i64))
                .map_or_else(|_| base.to_string(), |d| d.to_string()),
        }
    }

    fn value(self, x: f64) -> ParamValue {
        match self {
            Domain::Real(_) => ParamValue::Number(round_noise(x)),
            Domain::Integer => ParamValue::Number(x),
            Domain::Date(_) => ParamValue::Text(self.text(x)),
        }
    }

    /// The point halfway between `a` and `b` (whole for whole-number inputs and dates), if it
    /// differs from both.
    fn mid(self, a: f64, b: f64) -> Option<f64> {
        let m = match self {
            Domain::Real(decimals) => {
                let m = (a + b) / 2.0;
                format!("{m:.*}", decimals as usize).parse().unwrap_or(m)
            }
            Domain::Integer | Domain::Date(_) => ((a + b) / 2.0).floor(),
        };
        (m != a && m != b).then_some(m)
    }
}

/// Which bisection asked for an evaluation first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Search {
    /// One end of the range.
    RangeEnd,
    /// The bisection on the metric's estimate.
    Answer,
    /// A bisection on an end of the metric's 95% interval.
    Interval,
}

impl Search {
    /// The search's name in the table and CSV.
    pub fn name(self) -> &'static str {
        match self {
            Search::RangeEnd => "range end",
            Search::Answer => "answer",
            Search::Interval => "interval",
        }
    }
}

/// One evaluation: the input's value and the headline results there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SolveStep {
    /// The value.
    pub value: ParamValue,
    /// The value as given to `--set` (the table's and CSV's cell; not in `solve.json`).
    #[serde(skip)]
    pub text: String,
    /// Which search asked for it first.
    pub search: Search,
    /// P(target by deadline), with its 95% interval.
    pub p_target_by_deadline: Proportion,
    /// Median available GPUs at the deadline.
    pub gpus_at_deadline_p50: f64,
    /// Median full-capacity date (`null`: the median trial never gets there).
    pub full_capacity_p50: Option<String>,
    /// Whether the goal's metric meets the goal here.
    pub meets_goal: bool,
    #[serde(skip)]
    bounds: Bounds,
}

/// The goal's metric at one evaluation: its estimate and the ends of its 95% interval (the
/// estimate itself for metrics without one).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bounds {
    estimate: f64,
    low: f64,
    high: f64,
}

/// How a solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The goal is met at one end of the range and not at the other: the answer is bracketed.
    Found,
    /// The goal is met at both ends: the range does not hold the threshold.
    MetAtBothEnds,
    /// The goal is met at neither end: not reachable within the range.
    NotReachable,
}

/// Which value the answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// The goal is met at and above the answer.
    Smallest,
    /// The goal is met at and below the answer.
    Largest,
}

/// One end of the answer's interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntervalEnd {
    /// The value.
    pub value: ParamValue,
    /// The value as text.
    #[serde(skip)]
    pub text: String,
    /// The end is the range's own end: the interval may reach beyond it.
    pub at_range_end: bool,
}

/// A finished solve; serialized, it is `solve.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SolveResult {
    /// The version of capsim that ran it.
    pub capsim_version: String,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file, as given.
    pub file: String,
    /// The seed of every evaluation.
    pub seed: u64,
    /// Trials per evaluation.
    pub trials: u64,
    /// The target.
    pub target_gpus: u64,
    /// The deadline (a date).
    pub deadline: String,
    /// The varied path as given (with any `*`).
    pub path: String,
    /// The plain `--set` paths it expands to.
    pub expands_to: Vec<String>,
    /// The range's ends, as given.
    pub range: [ParamValue; 2],
    /// The goal.
    pub goal: String,
    /// The bracket width at which bisection stops, in the input's units (days for dates).
    pub tolerance: f64,
    /// How it ended.
    pub outcome: Outcome,
    /// Whether the answer is the smallest or largest value that meets the goal.
    pub answer_kind: Option<AnswerKind>,
    /// The answer: the value found by bisection on the metric's estimate.
    pub answer: Option<ParamValue>,
    /// The answer as text.
    #[serde(skip)]
    pub answer_text: Option<String>,
    /// The answer's 95% interval: where the goal lies inside the metric's 95% interval
    /// (P(target) goals only).
    pub interval: Option<[IntervalEnd; 2]>,
    /// Notes, e.g. that the input is a distribution in the scenario, fixed at each value.
    pub notes: Vec<String>,
    /// Every evaluation, in the order run.
    pub steps: Vec<SolveStep>,
}

/// A checked solve, ready to run.
#[derive(Debug, Clone)]
pub struct SolvePlan {
    /// Trials per evaluation.
    pub trials: u64,
    /// The seed of every evaluation.
    pub seed: u64,
    request: SolveRequest,
    domain: Domain,
    ends: [f64; 2],
    tolerance: f64,
    expands_to: Vec<String>,
    notes: Vec<String>,
    scenario_name: String,
    target_gpus: u64,
    deadline: String,
}

impl SolvePlan {
    /// Checks `request`: the range's ends (two numbers, or two dates; whole numbers for an
    /// integer field), the tolerance, the trial count (`1..=u32::MAX`); expands the path's
    /// wildcards, and loads and compiles the scenario at both ends, so that a bad path or
    /// value fails before anything runs.
    pub fn new(request: &SolveRequest) -> Result<SolvePlan, AnalysisError> {
        let bad = |m: String| AnalysisError::Request(m);
        let base = scenario::load(&request.scenario, &request.overrides)?;
        let trials = request.trials.or(base.trials).unwrap_or(DEFAULT_TRIALS);
        let seed = request.seed.or(base.seed).unwrap_or(DEFAULT_SEED);
        if trials < 1 || trials > u64::from(u32::MAX) {
            return Err(bad(format!(
                "--trials must be between 1 and {} (found {trials})",
                u32::MAX
            )));
        }
        if request.max_steps < 1 {
            return Err(bad("--max-steps must be at least 1".into()));
        }
        let doc: toml::Value = base
            .resolved_toml(seed, trials)
            .parse::<toml::Table>()
            .map(toml::Value::Table)
            .map_err(|e| bad(format!("reading back the resolved scenario: {e}")))?;
        let range = &request.range;
        let expands_to =
            expand_wildcards(&doc, &range.path).map_err(|m| bad(format!("--vary {m}")))?;
        let integer_field = expands_to
            .iter()
            .all(|p| lookup(&doc, p).is_some_and(toml::Value::is_integer));
        let (mut domain, ends) = match (range.lo.parse::<Date>(), range.hi.parse::<Date>()) {
            (Ok(a), Ok(b)) => {
                let days = b.since(a).map_or(0, |s| s.get_days());
                (Domain::Date(a), [0.0, f64::from(days)])
            }
            _ => {
                let number = |t: &str| match t.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(v),
                    _ => Err(bad(format!(
                        "--vary {}={}:{}: `{t}` is not a number (the range's ends are two \
                         numbers or two dates)",
                        range.path, range.lo, range.hi
                    ))),
                };
                let ends = [number(&range.lo)?, number(&range.hi)?];
                if integer_field {
                    if ends.iter().any(|v| v.fract() != 0.0) {
                        return Err(bad(format!(
                            "--vary {}: the field holds a whole number, so the range's ends \
                             must be whole numbers (found {}:{})",
                            range.path, range.lo, range.hi
                        )));
                    }
                    (Domain::Integer, ends)
                } else {
                    (Domain::Real(0), ends)
                }
            }
        };
        if ends[0] == ends[1] {
            return Err(bad(format!(
                "--vary {}: the range {}:{} is empty; give two different ends",
                range.path, range.lo, range.hi
            )));
        }
        let span = (ends[1] - ends[0]).abs();
        let tolerance = match (request.tolerance, domain) {
            (Some(t), _) if !(t.is_finite() && t > 0.0) => {
                return Err(bad(format!(
                    "--tolerance must be a positive number (found {t})"
                )));
            }
            (Some(t), Domain::Real(_)) => t,
            (Some(t), _) => t.ceil(),
            (None, Domain::Real(_)) => span * DEFAULT_RELATIVE_TOLERANCE,
            (None, _) => 1.0,
        };
        if let Domain::Real(_) = domain {
            domain = Domain::Real((1.0 - tolerance.log10().floor()).clamp(0.0, 15.0) as u32);
        }
        let notes = match domain {
            Domain::Date(_) => Vec::new(),
            _ => fixed_distribution_note(&doc, &range.path, &expands_to)
                .into_iter()
                .collect(),
        };
        let plan = SolvePlan {
            trials,
            seed,
            request: request.clone(),
            domain,
            ends,
            tolerance,
            expands_to,
            notes,
            scenario_name: base.name.clone(),
            target_gpus: base.target_gpus,
            deadline: base.deadline.to_string(),
        };
        for x in plan.ends {
            plan.build(x)?;
        }
        Ok(plan)
    }

    /// The most trials a run of the plan takes: both ends, then up to three bisections (for
    /// the progress bar; shared evaluations make the real count lower).
    pub fn max_trials(&self) -> u64 {
        let span = (self.ends[1] - self.ends[0]).abs();
        let halvings = (span / self.tolerance).log2().ceil().max(1.0) as u64;
        let searches = if self.request.goal.metric == Metric::PTarget {
            3
        } else {
            1
        };
        (2 + searches * halvings.min(u64::from(self.request.max_steps))) * self.trials
    }

    fn build(&self, x: f64) -> Result<(scenario::Scenario, Model), AnalysisError> {
        let text = self.domain.text(x);
        let mut sets = self.request.overrides.clone();
        sets.extend(self.expands_to.iter().map(|p| format!("{p}={text}")));
        let at = format!("{}={text}", self.request.range.path);
        let scenario = scenario::load(&self.request.scenario, &sets)
            .map_err(|e| AnalysisError::Request(format!("{at}: {e}")))?;
        let model = Model::compile(&scenario)
            .map_err(|e| AnalysisError::Request(format!("{at}: compiling the scenario: {e}")))?;
        Ok((scenario, model))
    }

    /// Runs the plan on `threads` workers: both ends, then the bisections. `progress` counts
    /// trials (at most [`max_trials`](Self::max_trials)); `cancel` stops the current run at its
    /// next batch with [`EngineError::Cancelled`](crate::engine::EngineError::Cancelled).
    pub fn run(
        self,
        threads: usize,
        cancel: Option<&AtomicBool>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<SolveResult, AnalysisError> {
        let config = EngineConfig::new(self.trials, self.seed, threads);
        let mut solver = Solver {
            plan: &self,
            config,
            cancel,
            progress,
            steps: Vec::new(),
        };
        let [lo, hi] = self.ends;
        let at_lo = solver.evaluate(lo, Search::RangeEnd)?;
        let at_hi = solver.evaluate(hi, Search::RangeEnd)?;
        let goal = &self.request.goal;
        let (outcome, answer_kind, answer, interval) = match (at_lo.meets_goal, at_hi.meets_goal) {
            (true, true) => (Outcome::MetAtBothEnds, None, None, None),
            (false, false) => (Outcome::NotReachable, None, None, None),
            (met_lo, _) => {
                // The goal is met from `pass` on, towards the range's end that meets it.
                let (fail, pass) = if met_lo { (hi, lo) } else { (lo, hi) };
                let kind = if pass > fail {
                    AnswerKind::Smallest
                } else {
                    AnswerKind::Largest
                };
                let estimate = |b: &Bounds| goal.met_by(b.estimate);
                let (answer, _) = solver.bisect(fail, pass, Search::Answer, &estimate)?;
                let interval = if goal.metric == Metric::PTarget {
                    // The optimistic end of P's interval (the upper for `>=`) meets the goal
                    // first, the pessimistic end last: between their crossings the goal lies
                    // inside the 95% interval.
                    let at_least = goal.comparison == Comparison::AtLeast;
                    let early = solver.bisect(fail, pass, Search::Interval, &|b: &Bounds| {
                        goal.met_by(if at_least { b.high } else { b.low })
                    })?;
                    let late = solver.bisect(fail, pass, Search::Interval, &|b: &Bounds| {
                        goal.met_by(if at_least { b.low } else { b.high })
                    })?;
                    let mut ends = [early, late];
                    ends.sort_by(|a, b| a.0.total_cmp(&b.0));
                    Some(ends.map(|(x, at_range_end)| IntervalEnd {
                        value: self.domain.value(x),
                        text: self.domain.text(x),
                        at_range_end,
                    }))
                } else {
                    None
                };
                (Outcome::Found, Some(kind), Some(answer), interval)
            }
        };
        let steps = solver.steps;
        let range = &self.request.range;
        let range_value = |t: &str, x: f64| match self.domain {
            Domain::Date(_) => ParamValue::Text(t.to_owned()),
            _ => ParamValue::Number(x),
        };
        Ok(SolveResult {
            capsim_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: self.scenario_name,
            file: self.request.scenario.display().to_string(),
            seed: self.seed,
            trials: self.trials,
            target_gpus: self.target_gpus,
            deadline: self.deadline,
            path: range.path.clone(),
            expands_to: self.expands_to,
            range: [range_value(&range.lo, lo), range_value(&range.hi, hi)],
            goal: goal.text.clone(),
            tolerance: self.tolerance,
            outcome,
            answer_kind,
            answer: answer.map(|x| self.domain.value(x)),
            answer_text: answer.map(|x| self.domain.text(x)),
            interval,
            notes: self.notes,
            steps,
        })
    }
}

/// The evaluations of one solve, shared by its bisections.
struct Solver<'a> {
    plan: &'a SolvePlan,
    config: EngineConfig,
    cancel: Option<&'a AtomicBool>,
    progress: &'a (dyn Fn(u64) + Sync),
    steps: Vec<SolveStep>,
}

impl Solver<'_> {
    /// The results at `x`: run once, then reused.
    fn evaluate(&mut self, x: f64, search: Search) -> Result<SolveStep, AnalysisError> {
        let text = self.plan.domain.text(x);
        if let Some(step) = self.steps.iter().find(|s| s.text == text) {
            return Ok(step.clone());
        }
        let (scenario, model) = self.plan.build(x)?;
        let hooks = RunHooks {
            cancel: self.cancel,
            progress: Some(self.progress),
            trial_sink: None,
        };
        let accumulator = engine::run(&model, &self.config, hooks)?;
        let summary = Summary::new(&accumulator, &engine::run_info(&scenario, self.plan.seed));
        let p = summary.p_target_by_deadline;
        let gpus = summary.available_gpus_at_deadline.p50;
        let full = summary.full_capacity_date.p50;
        let bounds = match self.plan.request.goal.metric {
            Metric::PTarget => Bounds {
                estimate: p.estimate,
                low: p.ci95_low,
                high: p.ci95_high,
            },
            Metric::GpusAtDeadlineP50 => Bounds {
                estimate: gpus,
                low: gpus,
                high: gpus,
            },
            Metric::FullCapacityP50 => {
                let day = full
                    .as_deref()
                    .and_then(|d| d.parse::<Date>().ok())
                    .map_or(f64::INFINITY, epoch_day);
                Bounds {
                    estimate: day,
                    low: day,
                    high: day,
                }
            }
        };
        let step = SolveStep {
            value: self.plan.domain.value(x),
            text,
            search,
            p_target_by_deadline: p,
            gpus_at_deadline_p50: gpus,
            full_capacity_p50: full,
            meets_goal: self.plan.request.goal.met_by(bounds.estimate),
            bounds,
        };
        self.steps.push(step.clone());
        Ok(step)
    }

    /// Bisects between `fail` (where `meets` is false) and `pass` (where it is true) until they
    /// are within the tolerance; returns the value nearest `fail` known to meet it, and whether
    /// that is a range end because `meets` already holds at `fail` or still fails at `pass`.
    fn bisect(
        &mut self,
        mut fail: f64,
        mut pass: f64,
        search: Search,
        meets: &dyn Fn(&Bounds) -> bool,
    ) -> Result<(f64, bool), AnalysisError> {
        if meets(&self.evaluate(fail, search)?.bounds) {
            return Ok((fail, true));
        }
        if !meets(&self.evaluate(pass, search)?.bounds) {
            return Ok((pass, true));
        }
        for _ in 0..self.plan.request.max_steps {
            if (pass - fail).abs() <= self.plan.tolerance {
                break;
            }
            let Some(mid) = self.plan.domain.mid(fail, pass) else {
                break;
            };
            if meets(&self.evaluate(mid, search)?.bounds) {
                pass = mid;
            } else {
                fail = mid;
            }
        }
        Ok((pass, false))
    }
}

/// Runs `request`: [`SolvePlan::new`], then [`SolvePlan::run`] with the request's threads.
pub fn solve(
    request: &SolveRequest,
    cancel: Option<&AtomicBool>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<SolveResult, AnalysisError> {
    SolvePlan::new(request)?.run(request.threads, cancel, progress)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_parse_with_percentages_dates_and_spaces() {
        let g = Goal::parse("p_target >= 80%").unwrap();
        assert_eq!(
            (g.metric, g.comparison),
            (Metric::PTarget, Comparison::AtLeast)
        );
        assert!((g.value - 0.8).abs() < 1e-12);
        assert_eq!(g.text, "p_target>=80%");
        assert_eq!(Goal::parse("p_target>=0.8").unwrap().value, 0.8);
        let g = Goal::parse("gpus_at_deadline_p50>=250000").unwrap();
        assert_eq!(g.value, 250_000.0);
        let g = Goal::parse("full_capacity_p50<=1970-01-11").unwrap();
        assert_eq!((g.comparison, g.value), (Comparison::AtMost, 10.0));
    }

    #[test]
    fn bad_goals_say_what_is_valid() {
        let err = |s: &str| Goal::parse(s).unwrap_err();
        let e = err("p_target=0.8");
        assert!(e.contains("expected METRIC>=VALUE or METRIC<=VALUE"), "{e}");
        assert!(
            e.contains("p_target, gpus_at_deadline_p50, full_capacity_p50"),
            "{e}"
        );
        assert!(err("p_tagret>=0.8").contains("found the metric `p_tagret`"));
        assert!(err("p_target>=1.2").contains("strictly between 0 and 1"));
        assert!(err("p_target>=0").contains("strictly between 0 and 1"));
        assert!(err("p_target>=100%").contains("strictly between 0 and 1"));
        assert!(err("gpus_at_deadline_p50>=many").contains("GPU count"));
        assert!(err("full_capacity_p50<=soon").contains("a date"));
    }

    #[test]
    fn ranges_parse_numbers_and_dates() {
        let r = SolveRange::parse("supply.main.rate_scale=0.5:2").unwrap();
        assert_eq!((r.lo.as_str(), r.hi.as_str()), ("0.5", "2"));
        let r = SolveRange::parse("scenario.deadline = 2026-06-01 : 2026-12-31").unwrap();
        assert_eq!(r.path, "scenario.deadline");
        assert_eq!(r.hi, "2026-12-31");
        for bad in ["x=1", "x=1:2:3", "x=:2", "noequals", "a..b=1:2"] {
            assert!(SolveRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn midpoints_stay_in_the_domain() {
        assert_eq!(Domain::Real(4).mid(0.0, 1.0), Some(0.5));
        assert_eq!(Domain::Real(4).mid(1.0625, 1.1), Some(1.0813));
        assert_eq!(Domain::Real(1).mid(1.0, 1.1), None);
        assert_eq!(Domain::Integer.mid(3.0, 8.0), Some(5.0));
        assert_eq!(Domain::Integer.mid(8.0, 3.0), Some(5.0));
        assert_eq!(Domain::Integer.mid(3.0, 4.0), None);
        let d = Domain::Date(Date::constant(2026, 12, 30));
        assert_eq!(d.text(2.0), "2027-01-01");
        assert_eq!(d.value(2.0), ParamValue::Text("2027-01-01".into()));
        assert_eq!(Domain::Real(4).text(0.1 + 0.2), "0.3");
    }
}
