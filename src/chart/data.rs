//! Reading a results folder (`summary.json` + `daily.csv`) back into typed data for the charts.
//!
//! Charts read only these two files (and the power caps of `scenario.resolved.toml`, when the
//! folder has one), never the engine, so `capsim plot` can redraw a run without re-simulating it.
//! Every error names the file and says what is wrong with it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use jiff::civil::Date;
use serde::Deserialize;

use super::ChartError;
use crate::stats::{Bottleneck, DailyStat, Metric, REACHED_TARGET_COLUMN, site_of_online_column};

/// The run's conclusions that the charts quote (a subset of `summary.json`).
#[derive(Debug, Clone, PartialEq)]
pub struct RunFacts {
    /// `scenario`: the scenario's name.
    pub scenario: String,
    /// `trials`: trials run.
    pub trials: u64,
    /// `target_gpus`: the target, in online GPUs.
    pub target_gpus: f64,
    /// `start`: day 0.
    pub start: Date,
    /// `deadline`: the scoring day.
    pub deadline: Date,
    /// `horizon`: the last simulated day.
    pub horizon: Date,
    /// `p_target_by_deadline.estimate`, fraction 0–1.
    pub p_target: f64,
    /// `p_target_by_deadline.ci95_low`, `.ci95_high`: 95% Wilson interval, fractions 0–1.
    pub p_target_ci95: (f64, f64),
    /// `full_capacity_date.p10`, `.p50`, `.p90`; `None` is "after the horizon, if ever".
    pub full_capacity: [Option<Date>; 3],
    /// `full_capacity_date.never_fraction`: share of trials that never reach the target.
    pub never_fraction: f64,
}

/// `daily.csv`: one row per day, columns by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Daily {
    /// The file it was read from (for error messages).
    pub path: PathBuf,
    /// The `date` column.
    pub dates: Vec<Date>,
    names: Vec<String>,
    index: HashMap<String, usize>,
    columns: Vec<Vec<f64>>,
}

impl Daily {
    /// Number of rows (days).
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// Whether there are no rows (never true for data returned by [`ChartData::read_dir`]).
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// Keeps only the first `n` rows.
    #[cfg(test)]
    pub(crate) fn truncate(&mut self, n: usize) {
        self.dates.truncate(n);
        for c in &mut self.columns {
            c.truncate(n);
        }
    }

    /// The numeric column `name`, or an error naming the file and the column.
    pub fn column(&self, name: &str) -> Result<&[f64], ChartError> {
        self.index
            .get(name)
            .map(|&i| self.columns[i].as_slice())
            .ok_or_else(|| ChartError::Input {
                path: self.path.clone(),
                problem: format!("no column `{name}`"),
            })
    }

    /// The column of `stat` of `metric` ([`Metric::column`]), or an error naming the file and
    /// the column.
    pub fn metric(&self, metric: Metric, stat: DailyStat) -> Result<&[f64], ChartError> {
        self.column(&metric.column(stat))
    }

    /// Per-site mean online GPUs: `(site id, column)` for every `site_<id>_online_gpus_mean`
    /// column, in file order. Empty when the file has no per-site columns.
    pub fn site_online_means(&self) -> Vec<(&str, &[f64])> {
        self.names
            .iter()
            .filter_map(|n| {
                let id = site_of_online_column(n)?;
                Some((id, self.columns[self.index[n.as_str()]].as_slice()))
            })
            .collect()
    }
}

/// Everything a chart may draw: the run's facts and its daily rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    /// From `summary.json`.
    pub facts: RunFacts,
    /// From `daily.csv`.
    pub daily: Daily,
    /// The scenario's `[[power_limits]]`, from `scenario.resolved.toml` (empty without one).
    pub power_caps: Vec<PowerCap>,
}

/// A `[[power_limits]]` cap, as the power chart draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerCap {
    /// `id`.
    pub id: String,
    /// The region it covers, with how many of the scenario's sites are in it; `None` is the
    /// whole fleet.
    pub region: Option<(String, usize)>,
    /// Facility MW from the start, then `(date, MW)` from each step's date on.
    pub mw: f64,
    /// The steps, sorted by date.
    pub steps: Vec<(Date, f64)>,
}

impl PowerCap {
    /// The caps of `scenario`.
    pub fn of_scenario(scenario: &crate::scenario::Scenario) -> Vec<PowerCap> {
        scenario
            .power_limits
            .iter()
            .map(|l| PowerCap {
                id: l.id.clone(),
                region: l.region.map(|r| {
                    let sites = scenario.sites.iter().filter(|s| s.region == r).count();
                    (scenario.regions[r].clone(), sites)
                }),
                mw: l.mw,
                steps: l.steps.clone(),
            })
            .collect()
    }

    /// The cap on `date`, facility MW.
    pub fn mw_on(&self, date: Date) -> f64 {
        self.steps
            .iter()
            .take_while(|(d, _)| *d <= date)
            .last()
            .map_or(self.mw, |&(_, mw)| mw)
    }
}

/// The metric statistics the charts draw, besides each cause's mean shortfall (the bottlenecks
/// chart).
const CHARTED: &[(Metric, &[DailyStat])] = {
    use DailyStat::{P5, P10, P25, P50, P75, P90, P95};
    &[
        (Metric::AvailableGpus, &[P5, P25, P50, P75, P95]),
        (Metric::DeliveredGpus, &[P50]),
        (Metric::InstalledGpus, &[P50]),
        (Metric::OnlineGpus, &[P50]),
        (Metric::EnergizedMw, &[P10, P50, P90]),
        (Metric::ItMwInUse, &[P10, P50, P90]),
        (Metric::StrandedMw, &[P10, P50, P90]),
    ]
};

/// Columns every chart set needs; checked when reading so a chart never fails halfway.
pub(super) static REQUIRED: LazyLock<Vec<String>> = LazyLock::new(|| {
    let charted = CHARTED
        .iter()
        .flat_map(|&(metric, stats)| stats.iter().map(move |&stat| metric.column(stat)));
    let shortfalls = Bottleneck::ALL.map(|b| b.shortfall_metric().column(DailyStat::Mean));
    charted
        .chain(shortfalls)
        .chain([REACHED_TARGET_COLUMN.to_owned()])
        .collect()
});

impl ChartData {
    /// Reads `dir/summary.json` and `dir/daily.csv`.
    pub fn read_dir(dir: &Path) -> Result<Self, ChartError> {
        let summary_path = dir.join("summary.json");
        let daily_path = dir.join("daily.csv");
        let summary = read_file(&summary_path)?;
        let daily = read_file(&daily_path)?;
        let mut data = Self::parse(&summary, &summary_path, &daily, &daily_path)?;
        let resolved_path = dir.join("scenario.resolved.toml");
        if resolved_path.exists() {
            let text = read_file(&resolved_path)?;
            let text = String::from_utf8_lossy(&text);
            let scenario =
                crate::scenario::parse(&text, &resolved_path).map_err(|e| ChartError::Input {
                    path: resolved_path.clone(),
                    problem: format!("not a valid scenario: {e}"),
                })?;
            data.power_caps = PowerCap::of_scenario(&scenario);
        }
        Ok(data)
    }

    /// Parses the two files' contents (no power caps); the paths only label errors.
    pub fn parse(
        summary: &[u8],
        summary_path: &Path,
        daily: &[u8],
        daily_path: &Path,
    ) -> Result<Self, ChartError> {
        let facts = parse_summary(summary, summary_path)?;
        let daily = parse_daily(daily, daily_path)?;
        if daily.dates[0] != facts.start {
            return Err(ChartError::Input {
                path: daily_path.to_path_buf(),
                problem: format!(
                    "first date {} does not match the start {} in summary.json",
                    daily.dates[0], facts.start
                ),
            });
        }
        Ok(ChartData {
            facts,
            daily,
            power_caps: Vec::new(),
        })
    }

    /// Day index (days since the first row) of `date`; negative before the start.
    pub fn day_of(&self, date: Date) -> f64 {
        days_between(self.daily.dates[0], date) as f64
    }
}

pub(super) fn days_between(a: Date, b: Date) -> i64 {
    a.until(b).map(|s| i64::from(s.get_days())).unwrap_or(0)
}

fn read_file(path: &Path) -> Result<Vec<u8>, ChartError> {
    std::fs::read(path).map_err(|e| ChartError::Input {
        path: path.to_path_buf(),
        problem: if e.kind() == std::io::ErrorKind::NotFound {
            "file not found (is this a capsim results folder?)".into()
        } else {
            format!("cannot read: {e}")
        },
    })
}

#[derive(Deserialize)]
struct RawSummary {
    scenario: String,
    trials: u64,
    target_gpus: f64,
    start: Date,
    deadline: Date,
    horizon: Date,
    p_target_by_deadline: RawP,
    full_capacity_date: RawFull,
}

#[derive(Deserialize)]
struct RawP {
    estimate: f64,
    ci95_low: f64,
    ci95_high: f64,
}

#[derive(Deserialize)]
struct RawFull {
    p10: Option<Date>,
    p50: Option<Date>,
    p90: Option<Date>,
    never_fraction: f64,
}

fn parse_summary(bytes: &[u8], path: &Path) -> Result<RunFacts, ChartError> {
    let raw: RawSummary = serde_json::from_slice(bytes).map_err(|e| ChartError::Input {
        path: path.to_path_buf(),
        problem: format!("not a valid capsim summary: {e}"),
    })?;
    Ok(RunFacts {
        scenario: raw.scenario,
        trials: raw.trials,
        target_gpus: raw.target_gpus,
        start: raw.start,
        deadline: raw.deadline,
        horizon: raw.horizon,
        p_target: raw.p_target_by_deadline.estimate,
        p_target_ci95: (
            raw.p_target_by_deadline.ci95_low,
            raw.p_target_by_deadline.ci95_high,
        ),
        full_capacity: [
            raw.full_capacity_date.p10,
            raw.full_capacity_date.p50,
            raw.full_capacity_date.p90,
        ],
        never_fraction: raw.full_capacity_date.never_fraction,
    })
}

fn parse_daily(bytes: &[u8], path: &Path) -> Result<Daily, ChartError> {
    let bad = |problem: String| ChartError::Input {
        path: path.to_path_buf(),
        problem,
    };
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| bad(format!("unreadable header: {e}")))?
        .clone();
    if header.get(0) != Some("date") {
        return Err(bad("the first column is not `date`".into()));
    }
    let names: Vec<String> = header.iter().skip(1).map(str::to_owned).collect();
    let index: HashMap<String, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect();
    if let Some(missing) = REQUIRED.iter().find(|c| !index.contains_key(*c)) {
        return Err(bad(format!("no column `{missing}`")));
    }
    let mut dates = Vec::new();
    let mut columns = vec![Vec::new(); names.len()];
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let record = record.map_err(|e| bad(format!("line {line}: {e}")))?;
        let date = record.get(0).unwrap_or("");
        dates.push(
            date.parse::<Date>()
                .map_err(|_| bad(format!("line {line}: `{date}` is not a date (YYYY-MM-DD)")))?,
        );
        for (i, col) in columns.iter_mut().enumerate() {
            let cell = record.get(i + 1).unwrap_or("");
            let v: f64 = cell
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| {
                    bad(format!(
                        "line {line}, column `{}`: `{cell}` is not a number",
                        names[i]
                    ))
                })?;
            col.push(v);
        }
    }
    if dates.is_empty() {
        return Err(bad("no data rows".into()));
    }
    Ok(Daily {
        path: path.to_path_buf(),
        dates,
        names,
        index,
        columns,
    })
}
