//! Scenario files: reading, `extends` variants, `--set` overrides and every input check.
//!
//! The flow is `file text → Node tree (with line numbers) → merged tree → RawScenario (serde) →
//! Scenario (checked)`. This module is the only place in the library that reads a file. A
//! [`Scenario`] is trusted downstream: every id resolves, every date is in order, every
//! distribution is valid. Errors name the file, line, field path and what would be valid.

mod dist_spec;
mod fields;
mod figures;
pub mod limits;
mod raw;
mod source;
mod validate;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use jiff::civil::Date;

pub use dist_spec::DistSpec;
pub(crate) use dist_spec::number;
pub use fields::{FieldLabel, field_label};
pub use figures::{BindingCap, HostingCapacity, PlanFigures};
pub use raw::{AllocationPolicy, ObservedMetric, Staging, parse_date};
pub use source::Origin;

use source::{Node, Segment};

/// The distribution of an input that does not exist (a disruption probability of a stream
/// without disruptions): always 0.
static ZERO: DistSpec = DistSpec::Fixed(0.0);

/// Built-in accelerator types, merged underneath every scenario's `[[accelerators]]`.
const BUILT_IN_ACCELERATORS: &str = include_str!("builtin_accelerators.toml");

/// What went wrong reading a scenario.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario file {}", source::one_line(&path.display().to_string()))]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not a plain file of a readable size, or `extends` goes too deep.
    #[error("{}: {message}", source::one_line(&path.display().to_string()))]
    Refused {
        /// The file.
        path: PathBuf,
        /// Why it is refused and what is accepted.
        message: String,
    },
    /// The file is not valid TOML.
    #[error("{}:{line}:{column}: TOML syntax error: {}", source::one_line(&file.display().to_string()), source::one_line(message))]
    Syntax {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A `--set` argument could not be applied.
    #[error("--set {}: {}", source::one_line(arg), source::one_line(message))]
    Override {
        /// The argument as given.
        arg: String,
        /// What was wrong.
        message: String,
    },
    /// One or more fields are missing, mistyped or inconsistent.
    #[error("{}", diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// Every problem found, in file order where possible.
        diagnostics: Vec<Diagnostic>,
    },
}

/// One problem with one field.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Where the field (or its closest written ancestor) was written.
    pub origin: Origin,
    /// The field path, e.g. `sites[2].phases[0].mw`.
    pub path: String,
    /// What is wrong and what would be valid.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    /// One line, whatever user text (ids in the path or the message) holds: control
    /// characters, newlines included, are escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = source::one_line(&self.message);
        if self.path.is_empty() {
            write!(f, "{}: {message}", self.origin)
        } else {
            let path = source::one_line(&self.path);
            write!(f, "{}: `{path}`: {message}", self.origin)
        }
    }
}

/// A rack type.
#[derive(Debug, Clone, PartialEq)]
pub struct Accelerator {
    /// Identifier used by streams and sites.
    pub id: String,
    /// Display name.
    pub name: String,
    /// GPUs in one rack (the unit that is delivered, installed and burned in).
    pub gpus_per_rack: u32,
    /// IT power of one rack, kW.
    pub rack_it_kw: f64,
    /// Dense FP8 PFLOPS per GPU.
    pub fp8_pflops_per_gpu: f64,
    /// Dense BF16 PFLOPS per GPU.
    pub bf16_pflops_per_gpu: f64,
    /// Price of one rack, USD, if known.
    pub price_per_rack_usd: Option<f64>,
}

/// A planned delivery rate at a date; rates are linearly interpolated between points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SchedulePoint {
    /// The date of this point.
    pub date: Date,
    /// Planned racks per week on that date.
    pub racks_per_week: f64,
}

/// Random loss of supply: disruptions start in a week with `weekly_probability`, last
/// `duration_weeks` and remove `severity` of each affected week's racks.
#[derive(Debug, Clone, PartialEq)]
pub struct Disruption {
    /// Probability that a disruption starts in a given undisrupted week; drawn once per trial.
    pub weekly_probability: DistSpec,
    /// Length in weeks (rounded to a whole number, at least 1).
    pub duration_weeks: DistSpec,
    /// Fraction of each affected week's supply lost, in [0, 1].
    pub severity: DistSpec,
}

/// Deliveries from Nvidia and its rack assemblers to the buyer.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplyStream {
    /// Identifier.
    pub id: String,
    /// Index into [`Scenario::accelerators`].
    pub accelerator: usize,
    /// Planned rate, sorted by date; zero before the first and after the last point.
    pub schedule: Vec<SchedulePoint>,
    /// Multiplies every planned rate (the what-if knob).
    pub rate_scale: f64,
    /// Most racks this stream ever delivers.
    pub cap_racks: Option<u64>,
    /// Shift of the whole stream, days (positive = late).
    pub slip_days: DistSpec,
    /// Multiplicative noise on each weekly batch (median 1 for an unbiased plan).
    pub noise: DistSpec,
    /// Random disruptions, if any.
    pub disruption: Option<Disruption>,
    /// Days from shipping to arrival, one draw per weekly batch.
    pub transit_days: DistSpec,
}

/// A tranche of facility power at a site.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerPhase {
    /// Facility power, MW (before the site's `power_scale`).
    pub mw: f64,
    /// Planned energization date.
    pub planned: Date,
    /// Delay after `planned`, days (rounded to whole days; negative = early).
    pub delay_days: DistSpec,
    /// Days over which the MW arrive, in equal daily steps (0 or 1 = all on one day).
    pub ramp_days: u32,
    /// Days from energization until racks can start burn-in; one draw per trial.
    pub commissioning_days: DistSpec,
}

/// A data center.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Index into [`Scenario::regions`].
    pub region: usize,
    /// Cloud provider.
    pub provider: String,
    /// Power usage effectiveness (facility power / IT power), >= 1.
    pub pue: f64,
    /// Indices into [`Scenario::accelerators`] of the rack types this site takes.
    pub accepts: Vec<usize>,
    /// Floor space, racks.
    pub max_racks: Option<u64>,
    /// Racks the crews can install per day; drawn once per trial.
    pub install_racks_per_day: DistSpec,
    /// Multiplies every phase's MW.
    pub power_scale: f64,
    /// Power phases in file order.
    pub phases: Vec<PowerPhase>,
    /// Install crews (`install_racks_per_day`) per phase being fitted out, not per site.
    pub crews_per_phase: bool,
    /// Days for crews to reach full pace after their phase opens.
    pub mobilization_days: f64,
    /// Share of full pace while mobilization starts, in (0, 1].
    pub mobilization_start: f64,
    /// Campus-wide ceiling on racks installed per day.
    pub max_install_racks_per_day: Option<f64>,
    /// Days before energization that racks may be set in a phase's halls.
    pub install_lead_days: u32,
    /// Racks accepted together as one pod; `None` = each rack goes online on its own.
    pub pod_racks: Option<u32>,
    /// Days of a pod's acceptance test; one draw per pod.
    pub pod_acceptance_days: DistSpec,
}

/// A cap on facility MW drawn by racks, for one region or for the fleet.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerLimit {
    /// Identifier.
    pub id: String,
    /// Index into [`Scenario::regions`]; `None` means the whole fleet.
    pub region: Option<usize>,
    /// Cap from the start, MW.
    pub mw: f64,
    /// Later values, sorted by date: from each date on, the cap is its `mw`.
    pub steps: Vec<(Date, f64)>,
}

/// Burn-in and rework of installed racks.
#[derive(Debug, Clone, PartialEq)]
pub struct BringUp {
    /// Burn-in length, days; one draw per site-day batch.
    pub burn_in_days: DistSpec,
    /// Probability that a rack fails burn-in; drawn once per trial (lot quality).
    pub failure_probability: DistSpec,
    /// Share of failed racks pulled off the floor for rework; the others are fixed in place.
    pub pulled_fraction: f64,
    /// Extra days a rack fixed in place needs before it passes; one draw per site, rack type
    /// and day of failures.
    pub fix_in_place_days: DistSpec,
    /// Time from a pulled rack's failure until it is back at its site (or the staging pool),
    /// days; one draw per site, rack type and day of failures.
    pub rework_days: DistSpec,
}

/// Failures of GPUs in service.
#[derive(Debug, Clone, PartialEq)]
pub struct Operations {
    /// Interruptions per GPU per year.
    pub interruptions_per_gpu_year: f64,
    /// Time an interrupted GPU is out of service, days; the engine uses its whole distribution
    /// (see `docs/model.md`, interruptions).
    pub repair_days: DistSpec,
}

/// One per-trial input, as `trials.csv` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputRef {
    /// The slip of supply stream `i`.
    Slip(usize),
    /// The install rate of site `i`.
    InstallRate(usize),
    /// The delay of phase `k` of site `i`.
    PhaseDelay(usize, usize),
    /// The weekly disruption probability of supply stream `i` (which has a disruption).
    DisruptionProbability(usize),
    /// The fleet's burn-in failure probability.
    FailureProbability,
}

/// A group of per-trial inputs drawn with a common rank correlation (Gaussian copula).
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    /// Identifier (also names the group's random stream).
    pub id: String,
    /// The inputs in the group, at least two, each in no other group.
    pub inputs: Vec<InputRef>,
    /// Spearman rank correlation between every pair of inputs, in [0, 1).
    pub rho: f64,
}

/// A recorded actual: the value of one metric at the end of one day, fleet-wide or at one site,
/// with its source. Backtests ([`mod@crate::analysis::backtest`]) rank it in the simulated
/// distribution of that metric on that day.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The day (the value is at its end), within `start..=horizon`.
    pub date: Date,
    /// What was measured.
    pub metric: ObservedMetric,
    /// Index into [`Scenario::sites`]; `None` = the whole fleet.
    pub site: Option<usize>,
    /// The observed value, >= 0, in the metric's unit.
    pub value: f64,
    /// Where the value comes from.
    pub source: String,
}

/// The state of the build-out at the end of one day (`[status]`): trials start from it instead
/// of from nothing, and simulate only the days after it (`docs/model.md`, "Starting from a
/// status").
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// The day the state holds at the end of, within `start..horizon`.
    pub date: Date,
    /// Racks each stream has delivered by the end of `date`, in [`Scenario::supply`] order
    /// (0 for a stream the status does not list).
    pub delivered_racks: Vec<u64>,
    /// Each site's state, in [`Scenario::sites`] order (nothing energized and no racks for a
    /// site the status does not list).
    pub sites: Vec<SiteStatus>,
}

/// One site's state in a [`Status`]. Rack counts are `(index into Scenario::accelerators,
/// racks)`, each rack type at most once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteStatus {
    /// The first `energized_phases` phases (file order) are energized and commissioned.
    pub energized_phases: usize,
    /// Racks delivered and waiting to be installed.
    pub staged_racks: Vec<(usize, u64)>,
    /// Racks on the floor, not yet online (they start burn-in again).
    pub installed_racks: Vec<(usize, u64)>,
    /// Racks online.
    pub online_racks: Vec<(usize, u64)>,
}

/// A checked scenario: every reference resolved, every value in range.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// First simulated day.
    pub start: Date,
    /// The date the target is scored against.
    pub deadline: Date,
    /// Last simulated day.
    pub horizon: Date,
    /// GPUs that must be online.
    pub target_gpus: u64,
    /// Seed from the file, if any.
    pub seed: Option<u64>,
    /// Trial count from the file, if any.
    pub trials: Option<u64>,
    /// Rack types (built-ins and the file's own).
    pub accelerators: Vec<Accelerator>,
    /// Supply streams in file order.
    pub supply: Vec<SupplyStream>,
    /// Sites in file order.
    pub sites: Vec<Site>,
    /// Region names, in order of first mention by a site.
    pub regions: Vec<String>,
    /// Regional and fleet-wide power caps.
    pub power_limits: Vec<PowerLimit>,
    /// Burn-in and rework.
    pub bring_up: BringUp,
    /// Interruptions and repairs.
    pub operations: Operations,
    /// Allocation policy.
    pub allocation: AllocationPolicy,
    /// Where delivered racks wait.
    pub staging: Staging,
    /// Days to move a waiting rack to another site, if racks may move.
    pub reroute_days: Option<u32>,
    /// Correlated groups of per-trial inputs.
    pub correlations: Vec<Correlation>,
    /// Recorded actuals, in file order.
    pub observations: Vec<Observation>,
    /// The state to start from, if the scenario states one.
    pub status: Option<Status>,
    /// Problems that do not stop a run, such as a target the planned power cannot reach.
    pub warnings: Vec<String>,
    resolved: toml::Value,
}

impl Scenario {
    /// The fully resolved scenario (after `extends` and overrides) as TOML, with the given seed
    /// and trial count written in, so that a run can be reproduced from this text alone.
    pub fn resolved_toml(&self, seed: u64, trials: u64) -> String {
        let mut doc = self.resolved.clone();
        if let Some(meta) = doc.get_mut("scenario").and_then(|m| m.as_table_mut()) {
            meta.insert("seed".into(), toml::Value::Integer(seed as i64));
            meta.insert("trials".into(), toml::Value::Integer(trials as i64));
        }
        toml::to_string_pretty(&doc).unwrap_or_default()
    }

    /// Every per-trial input with its `trials.csv` name, in column order: each stream's slip
    /// (and disruption probability, if it has disruptions), then for each site its install rate
    /// and each phase's delay, then the failure probability.
    pub fn inputs(&self) -> Vec<(InputRef, String)> {
        let mut out: Vec<(InputRef, String)> = Vec::new();
        for (i, s) in self.supply.iter().enumerate() {
            out.push((InputRef::Slip(i), format!("slip_days.{}", s.id)));
            if s.disruption.is_some() {
                out.push((
                    InputRef::DisruptionProbability(i),
                    format!("disruption_probability.{}", s.id),
                ));
            }
        }
        for (i, site) in self.sites.iter().enumerate() {
            out.push((
                InputRef::InstallRate(i),
                format!("install_racks_per_day.{}", site.id),
            ));
            for k in 0..site.phases.len() {
                out.push((
                    InputRef::PhaseDelay(i, k),
                    format!("delay_days.{}.phase{k}", site.id),
                ));
            }
        }
        out.push((InputRef::FailureProbability, "failure_probability".into()));
        out
    }

    /// The distribution of a per-trial input.
    pub fn input_spec(&self, input: InputRef) -> &DistSpec {
        match input {
            InputRef::Slip(i) => &self.supply[i].slip_days,
            InputRef::InstallRate(i) => &self.sites[i].install_racks_per_day,
            InputRef::PhaseDelay(i, k) => &self.sites[i].phases[k].delay_days,
            InputRef::DisruptionProbability(i) => match &self.supply[i].disruption {
                Some(d) => &d.weekly_probability,
                None => &ZERO,
            },
            InputRef::FailureProbability => &self.bring_up.failure_probability,
        }
    }

    /// Number of simulated days, `start` to `horizon` inclusive.
    pub fn days(&self) -> usize {
        day_index(self.start, self.horizon) as usize + 1
    }

    /// Day index of `date` (0 = `start`); negative before the start.
    pub fn day_of(&self, date: Date) -> i64 {
        day_index(self.start, date)
    }

    /// The date of day index `day`.
    pub fn date_of(&self, day: i64) -> Date {
        self.start
            .checked_add(jiff::Span::new().days(day))
            .unwrap_or(self.horizon)
    }
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub(crate) fn day_index(from: Date, to: Date) -> i64 {
    // For civil dates jiff's largest default unit is the day, so this is an exact day count.
    to.since(from)
        .map(|span| i64::from(span.get_days()))
        .unwrap_or(0)
}

/// Reads a scenario file, follows its `extends` chain, applies `overrides` (`PATH=VALUE`) and
/// checks the result.
pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let mut chain = Vec::new();
    let mut tree = load_chain(path, &mut chain)?;
    for arg in overrides {
        tree.set(arg)?;
    }
    validate::check(tree)
}

/// Parses scenario text that does not use `extends` (for tests and embedding).
pub fn parse(text: &str, origin: &Path) -> Result<Scenario, ScenarioError> {
    let mut tree = Node::parse_file(text, origin)?;
    if tree.get("extends").is_some() {
        return Err(ScenarioError::Invalid {
            diagnostics: vec![Diagnostic {
                origin: tree.origin_of(&[Segment::Key("extends".into())]).clone(),
                path: "extends".into(),
                message: "`extends` needs a file on disk; use `scenario::load`".into(),
            }],
        });
    }
    tree = with_built_ins(tree)?;
    validate::check(tree)
}

/// Loads `path` and, recursively, the files it extends. `chain` holds the files being loaded
/// (canonical path for the cycle check, path as written for messages).
fn load_chain(path: &Path, chain: &mut Vec<(PathBuf, PathBuf)>) -> Result<Node, ScenarioError> {
    let text = read_scenario_file(path)?;
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    chain.push((canonical, path.to_path_buf()));
    let mut tree = Node::parse_file(&text, path)?;
    let base = match tree.remove("extends") {
        None => with_built_ins(Node::from_value(
            toml::Value::Table(toml::Table::new()),
            &Origin::BuiltIn,
        ))?,
        Some(node) => {
            let invalid = |message: String| ScenarioError::Invalid {
                diagnostics: vec![Diagnostic {
                    origin: node.origin.clone(),
                    path: "extends".into(),
                    message,
                }],
            };
            let toml::Value::String(target) = node.to_value() else {
                return Err(invalid(format!(
                    "expected a file name such as \"aws-openai-2026.toml\", found {}",
                    node.to_value()
                )));
            };
            let next = source::extends_path(path, &target);
            let next_canonical = next.canonicalize().unwrap_or_else(|_| next.clone());
            if chain.len() >= limits::MAX_EXTENDS_DEPTH {
                return Err(invalid(format!(
                    "`extends` goes deeper than {} files (from {}); a chain of variants may be at most {} files long",
                    limits::MAX_EXTENDS_DEPTH,
                    chain[0].1.display(),
                    limits::MAX_EXTENDS_DEPTH
                )));
            }
            if chain.iter().any(|(c, _)| *c == next_canonical) {
                let mut names: Vec<String> =
                    chain.iter().map(|(_, p)| p.display().to_string()).collect();
                names.push(next.display().to_string());
                return Err(invalid(format!(
                    "`extends` cycle: {}; a variant must not extend itself",
                    names.join(" -> ")
                )));
            }
            match load_chain(&next, chain) {
                Err(ScenarioError::Io { path, source }) if path == next => {
                    return Err(invalid(format!(
                        "cannot read the base scenario \"{target}\" ({}): {source}",
                        path.display()
                    )));
                }
                Err(ScenarioError::Refused { path, message }) if path == next => {
                    return Err(invalid(format!(
                        "cannot use the base scenario \"{target}\" ({}): {message}",
                        path.display()
                    )));
                }
                other => other?,
            }
        }
    };
    Ok(base.merge(tree))
}

/// Reads a scenario file: a regular file (not a device, a pipe or a folder, which could be read
/// forever or block), checked before it is opened, of at most [`limits::MAX_FILE_BYTES`].
fn read_scenario_file(path: &Path) -> Result<String, ScenarioError> {
    let io = |source: std::io::Error| ScenarioError::Io {
        path: path.to_path_buf(),
        source,
    };
    let refused = |message: String| ScenarioError::Refused {
        path: path.to_path_buf(),
        message,
    };
    let not_plain = || {
        refused("is not a regular file (it is a device, a pipe or a folder); a scenario must be a plain TOML file".into())
    };
    let too_big = |bytes: u64| {
        refused(format!(
            "is {bytes} bytes long; a scenario file may be at most {} bytes (16 MiB)",
            limits::MAX_FILE_BYTES
        ))
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(not_plain());
    }
    if meta.len() > limits::MAX_FILE_BYTES {
        return Err(too_big(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    // The path may have been replaced between the check and the open: check what was opened.
    if !file.metadata().map_err(io)?.is_file() {
        return Err(not_plain());
    }
    let mut bytes = Vec::new();
    file.take(limits::MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limits::MAX_FILE_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|_| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })
}

fn with_built_ins(tree: Node) -> Result<Node, ScenarioError> {
    let built_in: toml::Table =
        toml::from_str(BUILT_IN_ACCELERATORS).map_err(|e| ScenarioError::Syntax {
            file: PathBuf::from("<built-in accelerators>"),
            line: 1,
            column: 1,
            message: e.to_string(),
        })?;
    Ok(Node::from_value(toml::Value::Table(built_in), &Origin::BuiltIn).merge(tree))
}

/// Longest word, in characters, that [`suggest`] compares: an edit distance costs the product
/// of the two lengths in time and memory.
const SUGGEST_MAX_CHARS: usize = 64;
/// Most candidates [`suggest`] compares a word with.
const SUGGEST_MAX_CANDIDATES: usize = 1_000;

/// The closest candidate to `word` by edit distance, if it is close enough to be a likely typo.
/// Words and candidates longer than 64 characters get no suggestion, nor candidates past the
/// first 1,000 of a length within reach, so that a hostile id costs little.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let chars = word.chars().count();
    if chars > SUGGEST_MAX_CHARS {
        return None;
    }
    let allowed = |c: &str| 2.max(c.len() / 3);
    candidates
        .filter(|c| {
            let n = c.chars().count();
            n <= SUGGEST_MAX_CHARS && n.abs_diff(chars) <= allowed(c)
        })
        .take(SUGGEST_MAX_CANDIDATES)
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= allowed(c))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_index_counts_calendar_days() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(day_index(d("2025-11-03"), d("2026-12-31")), 423);
        assert_eq!(day_index(d("2026-03-01"), d("2026-02-28")), -1);
        assert_eq!(day_index(d("2024-02-28"), d("2024-03-01")), 2);
    }

    #[test]
    fn suggestions_catch_typos_only() {
        let keys = ["pue", "phases", "power_scale", "max_racks"];
        assert_eq!(suggest("phase", keys.iter().copied()), Some("phases"));
        assert_eq!(suggest("max_rack", keys.iter().copied()), Some("max_racks"));
        assert_eq!(suggest("zebra", keys.iter().copied()), None);
    }
}
