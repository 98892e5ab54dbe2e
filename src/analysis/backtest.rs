//! Backtests: how well the simulated distributions cover what actually happened.
//!
//! A backtest is a scenario written as of a past planning date, with the values later observed
//! recorded as `[[observations]]` ([`crate::scenario::Observation`]). [`backtest`] runs the
//! scenario, records each observed metric on its day in every trial (a [`Probe`]), and places the
//! observed value in that simulated distribution: its percentile rank and whether it lies inside
//! the P10–P90 band. Over many observations a calibrated model puts about 80% inside the band,
//! with the misses split evenly below and above, and ranks spread evenly over 0–100%
//! ([`Calibration`]). `docs/validation.md` explains how to read and add backtests.
//!
//! Definitions (known-answer tests below):
//!
//! - **rank**: the mid-rank (below + ½ · equal) / n, as a percentage: 50% for a value equal to
//!   every trial's, 0% below all of them, 100% above all of them.
//! - **P10, P50, P90**: type-7 quantiles ([`type7`]) of the trials' values.
//! - **position**: `below` if value < P10, `above` if value > P90, else `inside` (the band is
//!   closed).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::engine::{self, EngineConfig, EngineError};
use crate::model::{DistError, Model, Probe};
use crate::scenario::{ObservedMetric, Scenario};
use crate::stats::{type7, wilson95};

/// Most points of each simulated band over time ([`Band`]), start to horizon.
pub const BAND_POINTS: usize = 120;

/// Bins of the rank histogram ([`Calibration::rank_histogram`]): tenths of 0–100%.
pub const RANK_BINS: usize = 10;

/// What can stop a backtest.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BacktestError {
    /// The scenario records no `[[observations]]`: there is nothing to test.
    #[error(
        "scenario `{0}` has no [[observations]]: a backtest needs at least one recorded actual (see docs/validation.md)"
    )]
    NoObservations(String),
    /// The scenario did not compile.
    #[error("compiling the scenario: {0}")]
    Compile(#[from] DistError),
    /// The run failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Where an observed value falls against the simulated P10–P90 band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// Below P10: reality came in lower than most trials (the model was optimistic).
    Below,
    /// Within [P10, P90].
    Inside,
    /// Above P90: reality came in higher than most trials (the model was pessimistic).
    Above,
}

impl Position {
    /// The name the outputs use: `below`, `inside` or `above`.
    pub fn name(self) -> &'static str {
        match self {
            Position::Below => "below",
            Position::Inside => "inside",
            Position::Above => "above",
        }
    }
}

/// An observed value placed in a simulated distribution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    /// Simulated P10.
    pub p10: f64,
    /// Simulated median.
    pub p50: f64,
    /// Simulated P90.
    pub p90: f64,
    /// Mid-rank of the observed value among the trials, 0–100 (%).
    pub rank_pct: f64,
    /// Below, inside or above [P10, P90].
    pub position: Position,
}

/// Places `value` among `samples` (any order; at least one): quantiles, mid-rank, position.
///
/// # Panics
///
/// If `samples` is empty.
pub fn rank(samples: &[f64], value: f64) -> Ranked {
    assert!(!samples.is_empty(), "ranking needs at least one sample");
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as u64;
    let q = |p: f64| type7(p, n, |k| sorted[k as usize]);
    let (p10, p50, p90) = (q(0.1), q(0.5), q(0.9));
    let position = if value < p10 {
        Position::Below
    } else if value > p90 {
        Position::Above
    } else {
        Position::Inside
    };
    Ranked {
        p10,
        p50,
        p90,
        rank_pct: mid_rank_pct(&sorted, value),
        position,
    }
}

/// The mid-rank of `value` among `sorted` (ascending): (below + ½ · equal) / n × 100.
///
/// # Panics
///
/// If `sorted` is empty.
pub fn mid_rank_pct(sorted: &[f64], value: f64) -> f64 {
    assert!(!sorted.is_empty(), "ranking needs at least one sample");
    let below = sorted.partition_point(|&x| x < value);
    let not_above = sorted.partition_point(|&x| x <= value);
    let equal = not_above - below;
    (below as f64 + 0.5 * equal as f64) / sorted.len() as f64 * 100.0
}

/// One observation with its place in the simulated distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedObservation {
    /// The day (the value is at its end).
    pub date: Date,
    /// What was observed.
    pub metric: ObservedMetric,
    /// Site id; `None` = the whole fleet.
    pub site: Option<String>,
    /// The observed value.
    pub value: f64,
    /// Where the value comes from.
    pub source: String,
    /// Its place among the trials.
    #[serde(flatten)]
    pub ranked: Ranked,
}

/// How well a set of observations is covered: a calibrated model puts about 80% inside
/// [P10, P90], about 10% on each side, with ranks spread evenly (mean near 50%).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Observations counted.
    pub observations: usize,
    /// Inside [P10, P90].
    pub inside: usize,
    /// Below P10.
    pub below: usize,
    /// Above P90.
    pub above: usize,
    /// `inside / observations` (0 when there are none).
    pub inside_share: f64,
    /// 95% Wilson interval of the inside share: with few observations it is wide, and 80%
    /// inside it is consistent with a calibrated model.
    pub inside_share_ci95: (f64, f64),
    /// `below / observations`.
    pub below_share: f64,
    /// `above / observations`.
    pub above_share: f64,
    /// Mean rank, 0–100 (%); 50 when there are no observations.
    pub mean_rank_pct: f64,
    /// Observations per tenth of the rank scale: bin k holds ranks in [10k, 10k + 10) %, the
    /// last bin also 100%.
    pub rank_histogram: [u64; RANK_BINS],
}

impl Calibration {
    /// The calibration of `observations`.
    pub fn new<'a>(observations: impl IntoIterator<Item = &'a Ranked>) -> Calibration {
        let mut c = Calibration {
            observations: 0,
            inside: 0,
            below: 0,
            above: 0,
            inside_share: 0.0,
            inside_share_ci95: (0.0, 1.0),
            below_share: 0.0,
            above_share: 0.0,
            mean_rank_pct: 50.0,
            rank_histogram: [0; RANK_BINS],
        };
        let mut rank_sum = 0.0;
        for r in observations {
            c.observations += 1;
            match r.position {
                Position::Below => c.below += 1,
                Position::Inside => c.inside += 1,
                Position::Above => c.above += 1,
            }
            rank_sum += r.rank_pct;
            let bin = ((r.rank_pct / 100.0 * RANK_BINS as f64).floor().max(0.0) as usize)
                .min(RANK_BINS - 1);
            c.rank_histogram[bin] += 1;
        }
        if c.observations > 0 {
            let n = c.observations as f64;
            c.inside_share = c.inside as f64 / n;
            c.below_share = c.below as f64 / n;
            c.above_share = c.above as f64 / n;
            c.mean_rank_pct = rank_sum / n;
            c.inside_share_ci95 = wilson95(c.inside as u64, c.observations as u64);
        }
        c
    }
}

/// The simulated P10, median and P90 of one observed metric (fleet-wide or at one site) over
/// time, at up to [`BAND_POINTS`] days from start to horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// The metric.
    pub metric: ObservedMetric,
    /// Site id; `None` = the whole fleet.
    pub site: Option<String>,
    /// Day indices (0 = start).
    pub days: Vec<usize>,
    /// P10 on each day.
    pub p10: Vec<f64>,
    /// Median on each day.
    pub p50: Vec<f64>,
    /// P90 on each day.
    pub p90: Vec<f64>,
}

/// The result of one backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    /// Scenario name.
    pub scenario: String,
    /// First simulated day.
    pub start: Date,
    /// Last simulated day.
    pub horizon: Date,
    /// Trials run.
    pub trials: u64,
    /// Seed.
    pub seed: u64,
    /// Every observation, in file order, with its rank.
    pub observations: Vec<RankedObservation>,
    /// The calibration of these observations.
    pub calibration: Calibration,
    /// One band over time per distinct (metric, site) observed, in order of first observation.
    pub bands: Vec<Band>,
}

/// One backtest in a report: the result with the name and file it was run from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestEntry {
    /// Unique label (the file stem), also the name of its fan chart.
    pub name: String,
    /// The scenario file as given.
    pub file: String,
    /// What the backtest found.
    #[serde(flatten)]
    pub result: Backtest,
}

/// Several backtests and the calibration over all of their observations: `backtest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestReport {
    /// The capsim version that ran them.
    pub capsim_version: String,
    /// Each backtest, in the order run.
    pub backtests: Vec<BacktestEntry>,
    /// Over every observation of every backtest.
    pub calibration: Calibration,
}

impl BacktestReport {
    /// The report of `backtests`, with their calibration taken over all observations.
    pub fn new(backtests: Vec<BacktestEntry>) -> BacktestReport {
        let calibration = Calibration::new(
            backtests
                .iter()
                .flat_map(|e| e.result.observations.iter().map(|o| &o.ranked)),
        );
        BacktestReport {
            capsim_version: env!("CARGO_PKG_VERSION").into(),
            backtests,
            calibration,
        }
    }
}

/// The days of a band: every `step`-th day from 0 and the last day, at most [`BAND_POINTS`]
/// (+1).
fn band_days(days: usize) -> Vec<usize> {
    let step = days.div_ceil(BAND_POINTS).max(1);
    let mut out: Vec<usize> = (0..days).step_by(step).collect();
    if out.last() != Some(&(days - 1)) {
        out.push(days - 1);
    }
    out
}

/// Runs trials `cfg.first_trial..` of `scenario` (`cfg.trials` of them, outcome-only mode) and
/// ranks each observation in its simulated distribution. Time: one outcome-only run; memory:
/// trials × (observations + bands × [`BAND_POINTS`]) values. `progress`, if any, is called from
/// worker threads with the number of trials just finished.
pub fn backtest(
    scenario: &Scenario,
    cfg: &EngineConfig,
    progress: Option<&(dyn Fn(u64) + Sync)>,
) -> Result<Backtest, BacktestError> {
    if scenario.observations.is_empty() {
        return Err(BacktestError::NoObservations(scenario.name.clone()));
    }
    let model = Model::compile(scenario)?;
    // The observations' own probes first, then each band's.
    let mut probes: Vec<Probe> = model.probes().to_vec();
    let mut series: Vec<(ObservedMetric, Option<usize>)> = Vec::new();
    for p in model.probes() {
        if !series.contains(&(p.metric, p.site)) {
            series.push((p.metric, p.site));
        }
    }
    let days = band_days(model.days());
    for &(metric, site) in &series {
        probes.extend(days.iter().map(|&day| Probe { day, metric, site }));
    }
    let model = model.with_probes(probes);
    let values = engine::probe_values(&model, cfg, progress)?;
    let site_id = |i: Option<usize>| i.map(|i| scenario.sites[i].id.clone());

    let observations: Vec<RankedObservation> = scenario
        .observations
        .iter()
        .zip(&values)
        .map(|(o, samples)| RankedObservation {
            date: o.date,
            metric: o.metric,
            site: site_id(o.site),
            value: o.value,
            source: o.source.clone(),
            ranked: rank(samples, o.value),
        })
        .collect();
    let mut rest = values[scenario.observations.len()..].chunks(days.len());
    let bands = series
        .iter()
        .map(|&(metric, site)| {
            let mut band = Band {
                metric,
                site: site_id(site),
                days: days.clone(),
                p10: Vec::with_capacity(days.len()),
                p50: Vec::with_capacity(days.len()),
                p90: Vec::with_capacity(days.len()),
            };
            for samples in rest.next().unwrap_or_default() {
                let r = rank(samples, 0.0);
                band.p10.push(r.p10);
                band.p50.push(r.p50);
                band.p90.push(r.p90);
            }
            band
        })
        .collect();
    Ok(Backtest {
        scenario: scenario.name.clone(),
        start: scenario.start,
        horizon: scenario.horizon,
        trials: cfg.trials,
        seed: cfg.seed,
        calibration: Calibration::new(observations.iter().map(|o| &o.ranked)),
        observations,
        bands,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn mid_ranks_count_ties_as_half() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert!(close(mid_rank_pct(&s, 0.5), 0.0));
        assert!(close(mid_rank_pct(&s, 5.0), 100.0));
        // Between 2 and 3: two below, none equal.
        assert!(close(mid_rank_pct(&s, 2.5), 50.0));
        // Equal to 3: two below, one equal: (2 + 0.5) / 4.
        assert!(close(mid_rank_pct(&s, 3.0), 62.5));
        // Ties: [1, 2, 2, 2, 3]: 2 has one below and three equal: (1 + 1.5) / 5 = 50%.
        assert!(close(mid_rank_pct(&[1.0, 2.0, 2.0, 2.0, 3.0], 2.0), 50.0));
        // All equal: 50% whatever n.
        assert!(close(mid_rank_pct(&[7.0; 9], 7.0), 50.0));
        assert!(close(mid_rank_pct(&[7.0], 7.0), 50.0));
    }

    #[test]
    fn rank_gives_quantiles_and_position() {
        // 0..=100: type-7 P10 = 10, P50 = 50, P90 = 90.
        let samples: Vec<f64> = (0..=100).rev().map(f64::from).collect();
        let r = rank(&samples, 10.0);
        assert_eq!((r.p10, r.p50, r.p90), (10.0, 50.0, 90.0));
        assert_eq!(r.position, Position::Inside, "the band is closed");
        assert!(close(r.rank_pct, 10.5 / 101.0 * 100.0));
        assert_eq!(rank(&samples, 9.99).position, Position::Below);
        assert_eq!(rank(&samples, 90.0).position, Position::Inside);
        assert_eq!(rank(&samples, 90.01).position, Position::Above);
        // All equal: equal is inside at 50%, anything else outside at 0% or 100%.
        let flat = [4.0; 10];
        let r = rank(&flat, 4.0);
        assert_eq!((r.position, r.rank_pct), (Position::Inside, 50.0));
        let r = rank(&flat, 5.0);
        assert_eq!((r.position, r.rank_pct), (Position::Above, 100.0));
        let r = rank(&flat, 0.0);
        assert_eq!((r.position, r.rank_pct), (Position::Below, 0.0));
    }

    #[test]
    fn calibration_counts_shares_and_bins() {
        let at = |rank_pct: f64, position: Position| Ranked {
            p10: 0.0,
            p50: 0.0,
            p90: 0.0,
            rank_pct,
            position,
        };
        let obs = [
            at(0.0, Position::Below),
            at(5.0, Position::Below),
            at(50.0, Position::Inside),
            at(55.0, Position::Inside),
            at(99.9, Position::Above),
            at(100.0, Position::Above),
            at(10.0, Position::Inside),
            at(90.0, Position::Inside),
        ];
        let c = Calibration::new(&obs);
        assert_eq!((c.observations, c.inside, c.below, c.above), (8, 4, 2, 2));
        assert!(close(c.inside_share, 0.5));
        assert!(close(c.below_share, 0.25));
        assert!(close(c.above_share, 0.25));
        assert!(close(c.mean_rank_pct, 409.9 / 8.0));
        // 0 and 5 in bin 0; 10 in bin 1; 50, 55 in bin 5; 90, 99.9 and 100 in bin 9.
        assert_eq!(c.rank_histogram, [2, 1, 0, 0, 0, 2, 0, 0, 0, 3]);
        let empty = Calibration::new(&[]);
        assert_eq!(empty.observations, 0);
        assert_eq!(empty.inside_share, 0.0);
        assert_eq!(empty.mean_rank_pct, 50.0);
    }

    #[test]
    fn band_days_cover_start_to_horizon() {
        assert_eq!(band_days(1), vec![0]);
        assert_eq!(band_days(5), vec![0, 1, 2, 3, 4]);
        let d = band_days(500);
        assert_eq!(d[0], 0);
        assert_eq!(*d.last().unwrap(), 499);
        assert!(d.len() <= BAND_POINTS + 1, "{}", d.len());
    }

    #[test]
    fn a_scenario_without_observations_is_refused() {
        let text = r#"
[scenario]
name = "none"
start = 2026-01-01
deadline = 2026-02-01
horizon = 2026-02-01
target_gpus = 72
[[supply]]
id = "s"
accelerator = "gb300-nvl72"
schedule = [ { date = 2026-01-01, racks_per_week = 1 }, { date = 2026-02-01, racks_per_week = 1 } ]
[[sites]]
id = "a"
pue = 1.2
accepts = ["gb300-nvl72"]
install_racks_per_day = 1
phases = [ { mw = 5, planned = 2026-01-01 } ]
"#;
        let s = crate::scenario::parse(text, std::path::Path::new("none.toml")).unwrap();
        let err = backtest(&s, &EngineConfig::new(10, 1, 1), None).unwrap_err();
        assert!(matches!(err, BacktestError::NoObservations(_)), "{err}");
    }
}
