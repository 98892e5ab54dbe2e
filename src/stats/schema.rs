//! The output schema: what a run reports per day ([`Metric`], each as the statistics of
//! [`DailyStat`]) and why missing GPUs are missing ([`Bottleneck`]), with the names they give
//! columns and keys.
//!
//! Everything that spells a metric or a cause (the accumulator's arrays, the partial-file
//! codec, `daily.csv`, `trials.csv`, the headline columns of `compare.csv` and `sweep.csv`,
//! `summary.json`'s keys, the terminal table and the charts' column lookups) takes it from
//! here, so a name is written once.
//!
//! # Adding a metric
//!
//! A daily metric is a [`Metric`] variant, its place in [`Metric::ALL`] (its columns' place in
//! `daily.csv`), its [`Metric::name`] and, if it is not counted in GPUs, its
//! [`Metric::scale`]; the compiler then asks for its value in the engine's day record
//! (`engine::trial`). Nothing else names it: the accumulator, the partial files and
//! `daily.csv` follow [`Metric::ALL`]. By hand: its bin width in `engine::layout` (one rack
//! unless listed), `shard::FORMAT_VERSION` (the partial body grows) and `docs/outputs.md`.
//!
//! A cause of missing GPUs is a [`Bottleneck`] variant with its `shortfall_<cause>_gpus`
//! metric; the compiler then asks for its name, its place nearest to online, its field in
//! [`BottleneckShare`](super::BottleneckShare) and
//! [`ShortfallAtDeadline`](super::ShortfallAtDeadline), its layer in the bottlenecks chart and
//! its daily value. By hand: its attribution (`engine::trial`'s `shortfall`) and how it is
//! lifted for the constraint costs (`model::Lift`, then `analysis::constraint_costs`).

/// The daily metrics, in `daily.csv` column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// GPUs delivered so far (cumulative).
    DeliveredGpus,
    /// GPUs in racks on a site floor: installed and waiting for power, in burn-in, being fixed,
    /// waiting for their pod, or online.
    InstalledGpus,
    /// GPUs in racks that passed burn-in.
    OnlineGpus,
    /// Online GPUs not out for repair.
    AvailableGpus,
    /// GPUs in racks waiting in staging to be installed.
    StagedGpus,
    /// Facility MW of energized phases (recorded in kW).
    EnergizedMw,
    /// IT MW of racks drawing power: from the start of burn-in on (recorded in kW).
    ItMwInUse,
    /// Energized facility MW not drawn by racks (recorded in kW).
    StrandedMw,
    /// Dense FP8 EFLOPS of available GPUs (recorded in PFLOPS).
    Fp8EflopsAvailable,
    /// Missing GPUs (target − online) not yet delivered.
    ShortfallSupplyGpus,
    /// Missing GPUs delivered but waiting for power: installed and waiting for their phase,
    /// in transit between sites, or not installable for lack of power room.
    ShortfallPowerGpus,
    /// Missing GPUs delivered, with power and floor room, waiting for install crews.
    ShortfallInstallGpus,
    /// Missing GPUs delivered but waiting for floor space (or for a site that accepts them).
    ShortfallSpaceGpus,
    /// Missing GPUs in bring-up: burn-in, repair, rework or pod acceptance.
    ShortfallBringUpGpus,
    /// Value of the racks delivered so far (racks × their type's `price_per_rack_usd`; 0 for
    /// a type without a price), USD (recorded in whole thousands).
    CapitalDeployedUsd,
    /// Value of the racks delivered but not online, USD (recorded in whole thousands).
    IdleInventoryUsd,
}

impl Metric {
    /// Number of metrics.
    pub const COUNT: usize = 16;

    /// Every metric, in column order.
    pub const ALL: [Metric; Metric::COUNT] = [
        Metric::DeliveredGpus,
        Metric::InstalledGpus,
        Metric::OnlineGpus,
        Metric::AvailableGpus,
        Metric::StagedGpus,
        Metric::EnergizedMw,
        Metric::ItMwInUse,
        Metric::StrandedMw,
        Metric::Fp8EflopsAvailable,
        Metric::ShortfallSupplyGpus,
        Metric::ShortfallPowerGpus,
        Metric::ShortfallInstallGpus,
        Metric::ShortfallSpaceGpus,
        Metric::ShortfallBringUpGpus,
        Metric::CapitalDeployedUsd,
        Metric::IdleInventoryUsd,
    ];

    /// Column stem, e.g. `online_gpus`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::DeliveredGpus => "delivered_gpus",
            Metric::InstalledGpus => "installed_gpus",
            Metric::OnlineGpus => "online_gpus",
            Metric::AvailableGpus => "available_gpus",
            Metric::StagedGpus => "staged_gpus",
            Metric::EnergizedMw => "energized_mw",
            Metric::ItMwInUse => "it_mw_in_use",
            Metric::StrandedMw => "stranded_mw",
            Metric::Fp8EflopsAvailable => "fp8_eflops_available",
            Metric::ShortfallSupplyGpus => "shortfall_supply_gpus",
            Metric::ShortfallPowerGpus => "shortfall_power_gpus",
            Metric::ShortfallInstallGpus => "shortfall_install_gpus",
            Metric::ShortfallSpaceGpus => "shortfall_space_gpus",
            Metric::ShortfallBringUpGpus => "shortfall_bring_up_gpus",
            Metric::CapitalDeployedUsd => "capital_deployed_usd",
            Metric::IdleInventoryUsd => "idle_inventory_usd",
        }
    }

    /// The `daily.csv` column of `stat` of this metric, e.g. `online_gpus_p50`.
    pub fn column(self, stat: DailyStat) -> String {
        format!("{}_{}", self.name(), stat.name())
    }

    /// What the engine records it in: adding a metric asks for its unit here.
    pub fn unit(self) -> RecordedUnit {
        match self {
            Metric::DeliveredGpus
            | Metric::InstalledGpus
            | Metric::OnlineGpus
            | Metric::AvailableGpus
            | Metric::StagedGpus
            | Metric::ShortfallSupplyGpus
            | Metric::ShortfallPowerGpus
            | Metric::ShortfallInstallGpus
            | Metric::ShortfallSpaceGpus
            | Metric::ShortfallBringUpGpus => RecordedUnit::Gpus,
            Metric::EnergizedMw | Metric::ItMwInUse | Metric::StrandedMw => RecordedUnit::Kilowatts,
            Metric::Fp8EflopsAvailable => RecordedUnit::Pflops,
            Metric::CapitalDeployedUsd | Metric::IdleInventoryUsd => RecordedUnit::ThousandUsd,
        }
    }

    /// A value of this metric in output units as the outputs show it: whole dollars for money
    /// (its resolution is a thousand), as computed otherwise.
    pub fn output(self, v: f64) -> f64 {
        match self.unit() {
            RecordedUnit::ThousandUsd => v.round(),
            RecordedUnit::Gpus | RecordedUnit::Kilowatts | RecordedUnit::Pflops => v,
        }
    }

    /// Output units per recorded base unit (kW → MW, PFLOPS → EFLOPS, thousands of USD → USD).
    pub fn scale(self) -> f64 {
        match self.unit() {
            RecordedUnit::Gpus => 1.0,
            RecordedUnit::Kilowatts | RecordedUnit::Pflops => 1e-3,
            RecordedUnit::ThousandUsd => 1e3,
        }
    }
}

/// The unit a [`Metric`] is recorded in; `daily.csv` shows GPUs as recorded, kW as MW, PFLOPS
/// as EFLOPS and thousands of USD as USD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordedUnit {
    /// GPUs.
    Gpus,
    /// Kilowatts.
    Kilowatts,
    /// Dense FP8 PFLOPS.
    Pflops,
    /// Thousands of US dollars (whole thousands keep a fleet's value inside the buffer's fast
    /// 32-bit bin path and its sums far inside `i64`).
    ThousandUsd,
}

/// Why a missing GPU (one of target − online) is not online yet (`docs/model.md`, "Where the
/// missing GPUs are").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bottleneck {
    /// Not yet delivered.
    Supply,
    /// Delivered, waiting for power (installed before its phase, in transit between sites, or
    /// no power room where it waits).
    Power,
    /// Delivered, with power and floor room, waiting for install crews.
    Install,
    /// Delivered, waiting for floor space.
    Space,
    /// Installed and powered, in burn-in, repair, rework or pod acceptance.
    BringUp,
}

impl Bottleneck {
    /// Number of kinds.
    pub const COUNT: usize = 5;

    /// Every kind, in output order (keys, columns, and the partial-file codec).
    pub const ALL: [Bottleneck; Bottleneck::COUNT] = [
        Bottleneck::Supply,
        Bottleneck::Power,
        Bottleneck::Install,
        Bottleneck::Space,
        Bottleneck::BringUp,
    ];

    /// The daily metric that holds this kind's share of the missing GPUs.
    pub fn shortfall_metric(self) -> Metric {
        match self {
            Bottleneck::Supply => Metric::ShortfallSupplyGpus,
            Bottleneck::Power => Metric::ShortfallPowerGpus,
            Bottleneck::Install => Metric::ShortfallInstallGpus,
            Bottleneck::Space => Metric::ShortfallSpaceGpus,
            Bottleneck::BringUp => Metric::ShortfallBringUpGpus,
        }
    }

    /// Output name: the key under `bottleneck_share`, `shortfall_at_deadline` and
    /// `constraint_costs` in `summary.json`, and the stem of its columns.
    pub fn name(self) -> &'static str {
        match self {
            Bottleneck::Supply => "supply",
            Bottleneck::Power => "power",
            Bottleneck::Install => "install",
            Bottleneck::Space => "space",
            Bottleneck::BringUp => "bring_up",
        }
    }

    /// Every kind, nearest to online first: the order in which the missing GPUs are attributed
    /// (`docs/model.md`, "Where the missing GPUs are") and the bottlenecks chart stacks them.
    pub const NEAREST_TO_ONLINE_FIRST: [Bottleneck; Bottleneck::COUNT] = [
        Bottleneck::BringUp,
        Bottleneck::Install,
        Bottleneck::Power,
        Bottleneck::Space,
        Bottleneck::Supply,
    ];

    /// Its column in the headline of `compare.csv` and `sweep.csv`, e.g. `bottleneck_supply_share`.
    pub fn share_column(self) -> String {
        format!("bottleneck_{}_share", self.name())
    }

    /// Its column in `trials.csv`, e.g. `gpu_days_short_supply`.
    pub fn gpu_days_column(self) -> String {
        format!("gpu_days_short_{}", self.name())
    }
}

/// The statistics `daily.csv` reports for every metric, in column order: the mean over trials,
/// then percentiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DailyStat {
    /// Mean over trials (exact).
    Mean,
    /// 5th percentile.
    P5,
    /// 10th percentile.
    P10,
    /// 25th percentile.
    P25,
    /// Median.
    P50,
    /// 75th percentile.
    P75,
    /// 90th percentile.
    P90,
    /// 95th percentile.
    P95,
}

impl DailyStat {
    /// Number of statistics.
    pub const COUNT: usize = 8;

    /// Every statistic, in column order.
    pub const ALL: [DailyStat; DailyStat::COUNT] = [
        DailyStat::Mean,
        DailyStat::P5,
        DailyStat::P10,
        DailyStat::P25,
        DailyStat::P50,
        DailyStat::P75,
        DailyStat::P90,
        DailyStat::P95,
    ];

    /// Column suffix, e.g. `p50`.
    pub fn name(self) -> &'static str {
        match self {
            DailyStat::Mean => "mean",
            DailyStat::P5 => "p5",
            DailyStat::P10 => "p10",
            DailyStat::P25 => "p25",
            DailyStat::P50 => "p50",
            DailyStat::P75 => "p75",
            DailyStat::P90 => "p90",
            DailyStat::P95 => "p95",
        }
    }

    /// The percentile as a fraction (0–1); `None` for the mean.
    pub fn quantile(self) -> Option<f64> {
        match self {
            DailyStat::Mean => None,
            DailyStat::P5 => Some(0.05),
            DailyStat::P10 => Some(0.10),
            DailyStat::P25 => Some(0.25),
            DailyStat::P50 => Some(0.50),
            DailyStat::P75 => Some(0.75),
            DailyStat::P90 => Some(0.90),
            DailyStat::P95 => Some(0.95),
        }
    }
}

/// The `daily.csv` column of the share of trials that have reached the target by each day.
pub const REACHED_TARGET_COLUMN: &str = "reached_target_share";

/// The `daily.csv` column of site `id`'s mean online GPUs, e.g. `site_ohio_online_gpus_mean`.
pub fn site_online_column(id: &str) -> String {
    format!("{SITE_COLUMN_PREFIX}{id}{SITE_ONLINE_COLUMN_SUFFIX}")
}

/// The site id of a [`site_online_column`], `None` for any other column.
pub fn site_of_online_column(column: &str) -> Option<&str> {
    column
        .strip_prefix(SITE_COLUMN_PREFIX)?
        .strip_suffix(SITE_ONLINE_COLUMN_SUFFIX)
}

const SITE_COLUMN_PREFIX: &str = "site_";
const SITE_ONLINE_COLUMN_SUFFIX: &str = "_online_gpus_mean";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_holds_each_variant_once_at_its_index() {
        for (i, m) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(m as usize, i, "{}", m.name());
        }
        for (i, b) in Bottleneck::ALL.into_iter().enumerate() {
            assert_eq!(b as usize, i, "{}", b.name());
        }
        for (i, s) in DailyStat::ALL.into_iter().enumerate() {
            assert_eq!(s as usize, i, "{}", s.name());
        }
        let mut nearest = Bottleneck::NEAREST_TO_ONLINE_FIRST.map(|b| b as usize);
        nearest.sort_unstable();
        assert_eq!(nearest, std::array::from_fn(|i| i));
    }

    #[test]
    fn each_cause_has_its_own_shortfall_metric_named_after_it() {
        for b in Bottleneck::ALL {
            let m = b.shortfall_metric();
            assert_eq!(m.name(), format!("shortfall_{}_gpus", b.name()));
        }
        let mut metrics = Bottleneck::ALL.map(|b| b.shortfall_metric() as usize);
        metrics.sort_unstable();
        metrics.windows(2).for_each(|w| assert!(w[0] < w[1]));
    }

    #[test]
    fn columns_are_named_from_the_enumerations() {
        assert_eq!(Metric::OnlineGpus.column(DailyStat::P50), "online_gpus_p50");
        assert_eq!(
            Metric::ShortfallBringUpGpus.column(DailyStat::Mean),
            "shortfall_bring_up_gpus_mean"
        );
        assert_eq!(Bottleneck::Space.share_column(), "bottleneck_space_share");
        assert_eq!(
            Bottleneck::Supply.gpu_days_column(),
            "gpu_days_short_supply"
        );
        let column = site_online_column("ohio_1");
        assert_eq!(column, "site_ohio_1_online_gpus_mean");
        assert_eq!(site_of_online_column(&column), Some("ohio_1"));
        assert_eq!(site_of_online_column("online_gpus_mean"), None);
        assert_eq!(site_of_online_column(REACHED_TARGET_COLUMN), None);
    }
}
