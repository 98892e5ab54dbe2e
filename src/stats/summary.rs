//! `Summary`: what a run concludes, computed once from an [`Accumulator`]; the JSON field names
//! here are a public interface (scripts read them) and are documented in `docs/outputs.md`.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::accumulator::Accumulator;
use super::quantile::{type7, wilson95};
use super::schema::{Bottleneck, DailyStat, Metric};

/// Facts about the run that the accumulator does not hold.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// First simulated day.
    pub start: Date,
    /// Deadline.
    pub deadline: Date,
    /// Last simulated day.
    pub horizon: Date,
    /// Sites, in scenario order.
    pub sites: Vec<SiteInfo>,
    /// Warnings from the scenario checks.
    pub warnings: Vec<String>,
    /// Each rack type some stream delivers (scenario order): its id and `price_per_rack_usd`.
    pub prices: Vec<(String, Option<f64>)>,
}

/// A site as the summary names it.
#[derive(Debug, Clone)]
pub struct SiteInfo {
    /// Identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Region.
    pub region: String,
    /// (facility MW after `power_scale`, planned date) of each phase.
    pub phases: Vec<(f64, Date)>,
}

/// A proportion with its 95% Wilson score interval.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Proportion {
    /// Point estimate: successes / trials.
    pub estimate: f64,
    /// Lower end of the 95% interval.
    pub ci95_low: f64,
    /// Upper end of the 95% interval.
    pub ci95_high: f64,
}

/// When trials reach the target. A percentile that falls among trials that never reach it
/// within the horizon is `null`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FullCapacityDate {
    /// 10th percentile (ISO date).
    pub p10: Option<String>,
    /// Median (ISO date).
    pub p50: Option<String>,
    /// 90th percentile (ISO date).
    pub p90: Option<String>,
    /// Share of trials that never reach the target within the horizon.
    pub never_fraction: f64,
}

/// A distribution of GPU counts.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct GpuDistribution {
    /// Mean.
    pub mean: f64,
    /// 10th percentile.
    pub p10: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
}

/// How the missing GPU-days up to the deadline (target − online, each day from the start to the
/// deadline, summed over trials) divide by cause (`docs/model.md`, "Where the missing GPUs
/// are"). Shares sum to 1 when anything was missing; all are 0 otherwise. The fields are the
/// [`Bottleneck`] kinds, named by [`Bottleneck::name`] (a test holds them in step).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct BottleneckShare {
    /// Not yet delivered.
    pub supply: f64,
    /// Delivered, waiting for power.
    pub power: f64,
    /// Delivered, waiting for install crews.
    pub install: f64,
    /// Delivered, waiting for floor space.
    pub space: f64,
    /// In burn-in, repair, rework or pod acceptance.
    pub bring_up: f64,
}

impl BottleneckShare {
    /// Shares of `gpu_days` (in `Bottleneck::ALL` order).
    pub fn from_gpu_days(gpu_days: [u128; Bottleneck::COUNT]) -> Self {
        let total: u128 = gpu_days.iter().sum();
        BottleneckShare::from_fn(|b| {
            if total == 0 {
                0.0
            } else {
                gpu_days[b as usize] as f64 / total as f64
            }
        })
    }

    /// The shares `share(b)` of every kind `b`.
    fn from_fn(share: impl Fn(Bottleneck) -> f64) -> Self {
        BottleneckShare {
            supply: share(Bottleneck::Supply),
            power: share(Bottleneck::Power),
            install: share(Bottleneck::Install),
            space: share(Bottleneck::Space),
            bring_up: share(Bottleneck::BringUp),
        }
    }

    /// The share of `b`.
    pub fn get(&self, b: Bottleneck) -> f64 {
        match b {
            Bottleneck::Supply => self.supply,
            Bottleneck::Power => self.power,
            Bottleneck::Install => self.install,
            Bottleneck::Space => self.space,
            Bottleneck::BringUp => self.bring_up,
        }
    }
}

/// Mean missing GPUs (target − online, if positive) at the end of the deadline day, by cause;
/// the causes add up to `total`. The fields after `total` are the [`Bottleneck`] kinds, named
/// by [`Bottleneck::name`] (a test holds them in step).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct ShortfallAtDeadline {
    /// Mean missing GPUs.
    pub total: f64,
    /// Not yet delivered.
    pub supply: f64,
    /// Delivered, waiting for power.
    pub power: f64,
    /// Delivered, waiting for install crews.
    pub install: f64,
    /// Delivered, waiting for floor space.
    pub space: f64,
    /// In burn-in, repair, rework or pod acceptance.
    pub bring_up: f64,
}

impl ShortfallAtDeadline {
    fn new(acc: &Accumulator) -> Self {
        let n = acc.trials().max(1) as f64;
        let day = acc.layout().deadline_day;
        let mean = |b: Bottleneck| acc.daily(b.shortfall_metric(), day).sum as f64 / n;
        let parts = Bottleneck::ALL.map(mean);
        ShortfallAtDeadline {
            total: parts.iter().sum(),
            supply: parts[Bottleneck::Supply as usize],
            power: parts[Bottleneck::Power as usize],
            install: parts[Bottleneck::Install as usize],
            space: parts[Bottleneck::Space as usize],
            bring_up: parts[Bottleneck::BringUp as usize],
        }
    }

    /// The mean missing GPUs of cause `b`.
    pub fn get(&self, b: Bottleneck) -> f64 {
        match b {
            Bottleneck::Supply => self.supply,
            Bottleneck::Power => self.power,
            Bottleneck::Install => self.install,
            Bottleneck::Space => self.space,
            Bottleneck::BringUp => self.bring_up,
        }
    }
}

/// A power phase's result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PhaseSummary {
    /// Facility MW.
    pub mw: f64,
    /// Planned energization date.
    pub planned: String,
    /// Median realized energization date.
    pub median_energized: String,
}

/// A site's result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SiteSummary {
    /// Identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Region.
    pub region: String,
    /// Power phases.
    pub phases: Vec<PhaseSummary>,
    /// Median racks online at the deadline.
    pub median_racks_online_at_deadline: f64,
}

/// A distribution of US dollars.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct UsdDistribution {
    /// Mean.
    pub mean: f64,
    /// 10th percentile.
    pub p10: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
}

/// Racks delivered but not online, by cause (the [`Bottleneck`] kinds other than supply, named
/// by [`Bottleneck::name`]: these racks are delivered).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct IdleByCause {
    /// Waiting for power: installed before their phase is commissioned, moving between
    /// sites, or waiting to be installed with floor room but no power room.
    pub power: f64,
    /// Waiting to be installed, with power and floor room: waiting for crews.
    pub install: f64,
    /// Waiting to be installed without floor room (or accepted by no site).
    pub space: f64,
    /// On a floor and powered, in burn-in, repair or pod acceptance, or pulled for rework.
    pub bring_up: f64,
}

impl IdleByCause {
    /// Every cause it holds, in field order.
    pub const CAUSES: [Bottleneck; 4] = [
        Bottleneck::Power,
        Bottleneck::Install,
        Bottleneck::Space,
        Bottleneck::BringUp,
    ];

    /// `per_cause` (in `Bottleneck::ALL` order) divided by `trials` (1 when 0).
    fn mean(per_cause: [u128; Bottleneck::COUNT], trials: u64) -> Self {
        let n = trials.max(1) as f64;
        let at = |b: Bottleneck| per_cause[b as usize] as f64 / n;
        IdleByCause {
            power: at(Bottleneck::Power),
            install: at(Bottleneck::Install),
            space: at(Bottleneck::Space),
            bring_up: at(Bottleneck::BringUp),
        }
    }

    /// The figure of cause `b` (0 for supply).
    pub fn get(&self, b: Bottleneck) -> f64 {
        match b {
            Bottleneck::Supply => 0.0,
            Bottleneck::Power => self.power,
            Bottleneck::Install => self.install,
            Bottleneck::Space => self.space,
            Bottleneck::BringUp => self.bring_up,
        }
    }

    /// The cause with the largest figure, `None` when all are 0 (ties: the first in field
    /// order).
    pub fn largest(&self) -> Option<Bottleneck> {
        Self::CAUSES
            .into_iter()
            .filter(|&b| self.get(b) > 0.0)
            .fold(None, |best: Option<Bottleneck>, b| match best {
                Some(x) if self.get(x) >= self.get(b) => Some(x),
                _ => Some(b),
            })
    }
}

/// A rack type's price as the money figures use it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RackPrice {
    /// Rack type id.
    pub accelerator: String,
    /// `price_per_rack_usd` from the scenario; `null` when it gives none (its racks then count
    /// 0).
    pub price_per_rack_usd: Option<f64>,
}

/// Capital deployed and idle inventory (`docs/model.md`, "Money").
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Money {
    /// Value of the racks delivered by the end of the deadline day, USD.
    pub capital_deployed_at_deadline_usd: UsdDistribution,
    /// Value of the racks delivered but not online at the end of the deadline day, USD.
    pub idle_inventory_at_deadline_usd: UsdDistribution,
    /// Mean rack-days delivered but not online, each day from the start through the deadline,
    /// by cause.
    pub rack_days_idle_to_deadline: IdleByCause,
    /// Their value: mean USD-days (rack-days × price), by cause.
    pub usd_days_idle_to_deadline: IdleByCause,
    /// The price of each rack type the streams deliver.
    pub prices: Vec<RackPrice>,
    /// What the figures leave out (rack types without a price).
    pub notes: Vec<String>,
}

impl Money {
    fn new(acc: &Accumulator, info: &RunInfo) -> Money {
        let n = acc.trials();
        let day = acc.layout().deadline_day;
        let usd = |metric: Metric| {
            let cell = acc.daily(metric, day);
            let width = acc.layout().bin_width[metric as usize] as f64 * metric.scale();
            let q = cell
                .histogram
                .quantiles(&[0.1, 0.5, 0.9])
                .unwrap_or_else(|| vec![0.0; 3]);
            UsdDistribution {
                mean: metric.output(cell.sum as f64 / n.max(1) as f64 * metric.scale()),
                p10: metric.output(q[0] * width),
                p50: metric.output(q[1] * width),
                p90: metric.output(q[2] * width),
            }
        };
        let unpriced: Vec<&str> = info
            .prices
            .iter()
            .filter(|(_, price)| price.is_none())
            .map(|(id, _)| id.as_str())
            .collect();
        let notes = if unpriced.is_empty() {
            Vec::new()
        } else {
            vec![format!(
                "no price_per_rack_usd for {}: their racks count 0 in every money figure",
                unpriced.join(", ")
            )]
        };
        Money {
            capital_deployed_at_deadline_usd: usd(Metric::CapitalDeployedUsd),
            idle_inventory_at_deadline_usd: usd(Metric::IdleInventoryUsd),
            rack_days_idle_to_deadline: IdleByCause::mean(acc.waiting_rack_days(), n),
            usd_days_idle_to_deadline: IdleByCause::mean(acc.waiting_usd_days(), n),
            prices: info
                .prices
                .iter()
                .map(|(id, price)| RackPrice {
                    accelerator: id.clone(),
                    price_per_rack_usd: *price,
                })
                .collect(),
            notes,
        }
    }
}

/// Version of the `summary.json` and `daily.csv` layout; it changes whenever a field or
/// column changes meaning or goes away (`CHANGELOG.md` says what changed).
pub const SCHEMA_VERSION: u32 = 2;

/// The run's conclusions: `summary.json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// [`SCHEMA_VERSION`] of this file.
    pub schema_version: u32,
    /// Version of capsim that produced this.
    pub capsim_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Trials.
    pub trials: u64,
    /// Target GPUs.
    pub target_gpus: u64,
    /// First simulated day.
    pub start: String,
    /// Deadline.
    pub deadline: String,
    /// Last simulated day.
    pub horizon: String,
    /// Probability that online GPUs reach the target on or before the deadline.
    pub p_target_by_deadline: Proportion,
    /// Date online GPUs first reach the target.
    pub full_capacity_date: FullCapacityDate,
    /// Available GPUs (online, not in repair) at the end of the deadline day.
    pub available_gpus_at_deadline: GpuDistribution,
    /// How the missing GPU-days up to the deadline divide by cause.
    pub bottleneck_share: BottleneckShare,
    /// Where the missing GPUs are at the end of the deadline day (means over trials).
    pub shortfall_at_deadline: ShortfallAtDeadline,
    /// What each class of constraint costs: the same trials rerun with it lifted. Absent when
    /// the run skipped it (`run --cost-trials 0`) and in `compare` and `sweep` results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint_costs: Option<super::costs::ConstraintCosts>,
    /// Capital deployed and idle inventory.
    pub money: Money,
    /// Per-site results.
    pub sites: Vec<SiteSummary>,
    /// Scenario warnings.
    pub warnings: Vec<String>,
    /// The precision target and what was reached, when the run was asked for one
    /// (`run --precision`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<super::precision::PrecisionReport>,
}

/// One day of `daily.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyRow {
    /// The date.
    pub date: Date,
    /// For each metric (in `Metric::ALL` order), each statistic (in `DailyStat::ALL` order: the
    /// mean, then percentiles), in output units.
    pub metrics: Vec<[f64; DailyStat::COUNT]>,
    /// Share of all trials that have reached the target on or before this day.
    pub reached_target: f64,
    /// Mean online GPUs of each site (scenario order). Means, not medians: the sites' means add
    /// up to the mean of the whole, so they can be stacked.
    pub site_online_gpus_mean: Vec<f64>,
}

impl DailyRow {
    /// One statistic of one metric on this day, in output units (the value of `daily.csv`'s
    /// column [`Metric::column`]).
    pub fn get(&self, metric: Metric, stat: DailyStat) -> f64 {
        self.metrics[metric as usize][stat as usize]
    }
}

/// The date `day` days after `start`; empty past the calendar's range (year 9999), which
/// validated scenarios cannot reach.
pub(crate) fn date_after(start: Date, day: f64) -> String {
    jiff::Span::new()
        .try_days(day.round() as i64)
        .ok()
        .and_then(|span| start.checked_add(span).ok())
        .map(|d| d.to_string())
        .unwrap_or_default()
}

impl Summary {
    /// Summarises `acc`.
    pub fn new(acc: &Accumulator, info: &RunInfo) -> Summary {
        let n = acc.trials();
        let (lo, hi) = wilson95(acc.met_by_deadline(), n);
        let reached = acc.full_capacity_day();
        // Trials that never reach the target sort after every day.
        let date_pct = |p: f64| -> Option<String> {
            if n == 0 {
                return None;
            }
            let h = (n - 1) as f64 * p;
            if h.ceil() as u64 >= reached.total() {
                return None;
            }
            let day = type7(p, n, |k| reached.order_statistic(k).unwrap_or(0) as f64);
            Some(date_after(info.start, day))
        };
        let avail = acc.available_at_deadline();
        let q = avail
            .quantiles(&[0.1, 0.5, 0.9])
            .unwrap_or_else(|| vec![0.0; 3]);
        let mut phase_index = 0;
        let sites = info
            .sites
            .iter()
            .enumerate()
            .map(|(i, s)| SiteSummary {
                id: s.id.clone(),
                name: s.name.clone(),
                region: s.region.clone(),
                phases: s
                    .phases
                    .iter()
                    .map(|&(mw, planned)| {
                        let h = acc.phase_energized_day(phase_index);
                        phase_index += 1;
                        let median = h.quantiles(&[0.5]).map(|q| q[0]).unwrap_or(0.0);
                        PhaseSummary {
                            mw,
                            planned: planned.to_string(),
                            median_energized: date_after(info.start, median),
                        }
                    })
                    .collect(),
                median_racks_online_at_deadline: acc
                    .site_online_racks(i)
                    .quantiles(&[0.5])
                    .map(|q| q[0])
                    .unwrap_or(0.0),
            })
            .collect();
        Summary {
            schema_version: SCHEMA_VERSION,
            capsim_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: info.scenario.clone(),
            seed: info.seed,
            trials: n,
            target_gpus: acc.layout().target_gpus,
            start: info.start.to_string(),
            deadline: info.deadline.to_string(),
            horizon: info.horizon.to_string(),
            p_target_by_deadline: Proportion {
                estimate: if n == 0 {
                    0.0
                } else {
                    acc.met_by_deadline() as f64 / n as f64
                },
                ci95_low: lo,
                ci95_high: hi,
            },
            full_capacity_date: FullCapacityDate {
                p10: date_pct(0.1),
                p50: date_pct(0.5),
                p90: date_pct(0.9),
                never_fraction: if n == 0 {
                    0.0
                } else {
                    (n - reached.total()) as f64 / n as f64
                },
            },
            available_gpus_at_deadline: GpuDistribution {
                mean: if n == 0 {
                    0.0
                } else {
                    acc.available_at_deadline_sum() as f64 / n as f64
                },
                p10: q[0],
                p50: q[1],
                p90: q[2],
            },
            bottleneck_share: BottleneckShare::from_gpu_days(acc.shortfall_gpu_days()),
            shortfall_at_deadline: ShortfallAtDeadline::new(acc),
            constraint_costs: None,
            money: Money::new(acc, info),
            sites,
            warnings: info.warnings.clone(),
            precision: None,
        }
    }
}

/// The daily rows of `daily.csv`, in date order.
pub fn daily_rows(acc: &Accumulator, start: Date) -> Vec<DailyRow> {
    let lay = acc.layout();
    let n = acc.trials().max(1) as f64;
    // The percentile statistics: where each goes in a row, and its fraction.
    let (slots, ps): (Vec<usize>, Vec<f64>) = DailyStat::ALL
        .iter()
        .enumerate()
        .filter_map(|(slot, stat)| Some((slot, stat.quantile()?)))
        .unzip();
    let mut reached_by_day = vec![0u64; lay.days];
    for (day, count) in acc.full_capacity_day().iter() {
        if let Some(slot) = reached_by_day.get_mut(day.max(0) as usize) {
            *slot += u64::from(count);
        }
    }
    let mut reached = 0u64;
    (0..lay.days)
        .map(|day| {
            reached += reached_by_day[day];
            let metrics = Metric::ALL
                .iter()
                .enumerate()
                .map(|(m, &metric)| {
                    let cell = acc.daily(metric, day);
                    let scale = metric.scale();
                    let width = lay.bin_width[m] as f64;
                    let mut row = [0.0; DailyStat::COUNT];
                    row[DailyStat::Mean as usize] = metric.output(cell.sum as f64 / n * scale);
                    if let Some(q) = cell.histogram.quantiles(&ps) {
                        for (&slot, v) in slots.iter().zip(q) {
                            row[slot] = metric.output(v * width * scale);
                        }
                    }
                    row
                })
                .collect();
            DailyRow {
                // Simulated days lie between the start and the horizon, both valid dates.
                date: jiff::Span::new()
                    .try_days(day as i64)
                    .ok()
                    .and_then(|span| start.checked_add(span).ok())
                    .unwrap_or(start),
                metrics,
                reached_target: reached as f64 / n,
                site_online_gpus_mean: (0..lay.sites)
                    .map(|site| acc.site_online_gpus_sum(site, day) as f64 / n)
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys, in order, of `value`: a flat JSON object of numbers.
    fn keys(value: impl Serialize) -> Vec<String> {
        let json = serde_json::to_string(&value).expect("serializes");
        let body = json.strip_prefix('{').and_then(|j| j.strip_suffix('}'));
        let entries = body.expect("an object").split(',');
        entries
            .map(|entry| {
                entry
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .trim_matches('"')
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn per_cause_keys_are_the_bottleneck_names_in_order() {
        let names: Vec<String> = Bottleneck::ALL.map(|b| b.name().to_owned()).into();
        let gpu_days: [u128; Bottleneck::COUNT] = std::array::from_fn(|b| b as u128 + 1);
        let share = BottleneckShare::from_gpu_days(gpu_days);
        assert_eq!(keys(share), names);
        let total: u128 = gpu_days.iter().sum();
        for b in Bottleneck::ALL {
            assert_eq!(share.get(b), gpu_days[b as usize] as f64 / total as f64);
        }
        let at_deadline = ShortfallAtDeadline {
            total: 15.0,
            supply: 1.0,
            power: 2.0,
            install: 3.0,
            space: 4.0,
            bring_up: 5.0,
        };
        assert_eq!(keys(at_deadline)[1..], names);
        for b in Bottleneck::ALL {
            assert_eq!(at_deadline.get(b), b as usize as f64 + 1.0);
        }
    }

    #[test]
    fn idle_causes_are_the_delivered_bottleneck_names_and_the_largest_wins() {
        let idle = IdleByCause::mean([0, 6, 2, 0, 8], 2);
        let names: Vec<String> = IdleByCause::CAUSES.map(|b| b.name().to_owned()).into();
        assert_eq!(keys(idle), names);
        assert_eq!(
            IdleByCause::CAUSES.map(|b| idle.get(b)),
            [3.0, 1.0, 0.0, 4.0]
        );
        assert_eq!(idle.largest(), Some(Bottleneck::BringUp));
        // A tie goes to the first in field order; nothing idle names nothing.
        assert_eq!(
            IdleByCause::mean([0, 5, 0, 5, 0], 1).largest(),
            Some(Bottleneck::Power)
        );
        assert_eq!(IdleByCause::mean([0; 5], 0).largest(), None);
    }
}
