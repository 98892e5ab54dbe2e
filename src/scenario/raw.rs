//! `RawScenario`: the serde image of a scenario file, field for field, with defaults.
//!
//! Nothing here knows about other fields: a value is only checked on its own (a probability is
//! in [0, 1], a distribution's parameters are ordered). Checks across fields (ids that refer to
//! each other, dates in order) live in `validate.rs`. Every struct rejects unknown keys.

use std::fmt;

use jiff::civil::Date;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::dist_spec::DistSpec;

/// The whole file after `extends` and overrides are applied.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    /// `[scenario]`: name, dates, target.
    pub(crate) scenario: RawMeta,
    /// `[[accelerators]]`: rack types; built-ins are merged in underneath.
    #[serde(default)]
    pub(crate) accelerators: Vec<RawAccelerator>,
    /// `[[supply]]`: delivery streams.
    #[serde(default)]
    pub(crate) supply: Vec<RawSupply>,
    /// `[[sites]]`: data centers.
    #[serde(default)]
    pub(crate) sites: Vec<RawSite>,
    /// `[[power_limits]]`: regional or fleet-wide facility power caps.
    #[serde(default)]
    pub(crate) power_limits: Vec<RawPowerLimit>,
    /// `[bring_up]`: burn-in and rework.
    #[serde(default)]
    pub(crate) bring_up: RawBringUp,
    /// `[operations]`: interruptions and repairs of online GPUs.
    #[serde(default)]
    pub(crate) operations: RawOperations,
    /// `[allocation]`: which site gets racks first.
    #[serde(default)]
    pub(crate) allocation: RawAllocation,
    /// `[[correlations]]`: rank correlation between groups of per-trial inputs.
    #[serde(default)]
    pub(crate) correlations: Vec<RawCorrelation>,
    /// `[[observations]]`: recorded actuals (backtests compare them with the simulation).
    #[serde(default)]
    pub(crate) observations: Vec<RawObservation>,
    /// `[status]`: the state of the build-out at the end of a date; trials start from it.
    #[serde(default)]
    pub(crate) status: Option<RawStatus>,
}

/// `[status]`: what is done as of the end of `date`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStatus {
    #[serde(deserialize_with = "date")]
    pub(crate) date: Date,
    /// Racks delivered so far, per stream; a stream left out has delivered none.
    #[serde(default)]
    pub(crate) supply: Vec<RawStatusSupply>,
    /// Per-site state; a site left out has nothing energized and no racks.
    #[serde(default)]
    pub(crate) sites: Vec<RawStatusSite>,
}

/// One entry of `status.supply`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStatusSupply {
    pub(crate) stream: String,
    pub(crate) delivered_racks: u64,
}

/// `[[status.sites]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStatusSite {
    pub(crate) site: String,
    /// The first N phases (file order) are energized and commissioned.
    #[serde(default)]
    pub(crate) energized_phases: u64,
    /// Racks per rack type delivered and waiting at the site.
    #[serde(default, deserialize_with = "racks_by_type")]
    pub(crate) staged_racks: Vec<(String, u64)>,
    /// Racks per rack type on the floor, not yet online.
    #[serde(default, deserialize_with = "racks_by_type")]
    pub(crate) installed_racks: Vec<(String, u64)>,
    /// Racks per rack type online.
    #[serde(default, deserialize_with = "racks_by_type")]
    pub(crate) online_racks: Vec<(String, u64)>,
}

/// `[[observations]]`: a recorded actual value of one metric at the end of one day.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawObservation {
    #[serde(deserialize_with = "date")]
    pub(crate) date: Date,
    pub(crate) metric: ObservedMetric,
    /// A site id; absent = the whole fleet.
    #[serde(default)]
    pub(crate) site: Option<String>,
    pub(crate) value: f64,
    /// Where the value comes from (a citation), required.
    pub(crate) source: String,
}

/// What an observation measures, at the end of its day, fleet-wide or at one site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservedMetric {
    /// GPUs online (racks through burn-in and, with pods, their pod's acceptance test).
    OnlineGpus,
    /// GPUs in racks on a floor, any stage (waiting for power, in bring-up or online).
    InstalledGpus,
    /// GPUs delivered (at a site: in racks delivered to it).
    DeliveredGpus,
    /// Racks delivered (at a site: racks delivered to it).
    DeliveredRacks,
    /// Facility MW energized.
    EnergizedMw,
}

impl ObservedMetric {
    /// Every metric, in the order the docs list them.
    pub const ALL: [ObservedMetric; 5] = [
        ObservedMetric::OnlineGpus,
        ObservedMetric::InstalledGpus,
        ObservedMetric::DeliveredGpus,
        ObservedMetric::DeliveredRacks,
        ObservedMetric::EnergizedMw,
    ];

    /// The name scenario files and outputs use, e.g. `online_gpus`.
    pub fn name(self) -> &'static str {
        match self {
            ObservedMetric::OnlineGpus => "online_gpus",
            ObservedMetric::InstalledGpus => "installed_gpus",
            ObservedMetric::DeliveredGpus => "delivered_gpus",
            ObservedMetric::DeliveredRacks => "delivered_racks",
            ObservedMetric::EnergizedMw => "energized_mw",
        }
    }

    /// The unit, for labels: `GPUs`, `racks` or `MW`.
    pub fn unit(self) -> &'static str {
        match self {
            ObservedMetric::DeliveredRacks => "racks",
            ObservedMetric::EnergizedMw => "MW",
            _ => "GPUs",
        }
    }
}

/// `[[correlations]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCorrelation {
    pub(crate) id: String,
    /// Input names or patterns with `*`, as in `trials.csv`: `delay_days.<site>.phase<k>`,
    /// `slip_days.<stream>`, `install_racks_per_day.<site>`.
    pub(crate) inputs: Vec<String>,
    /// Spearman rank correlation between every pair of the group's inputs, in [0, 1).
    pub(crate) rho: f64,
}

/// `[scenario]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMeta {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: String,
    #[serde(deserialize_with = "date")]
    pub(crate) start: Date,
    #[serde(deserialize_with = "date")]
    pub(crate) deadline: Date,
    #[serde(deserialize_with = "date")]
    pub(crate) horizon: Date,
    pub(crate) target_gpus: u64,
    #[serde(default)]
    pub(crate) seed: Option<u64>,
    #[serde(default)]
    pub(crate) trials: Option<u64>,
}

/// `[[accelerators]]`; every field but `id` may be left to a built-in of the same id.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAccelerator {
    pub(crate) id: String,
    pub(crate) name: Option<String>,
    pub(crate) gpus_per_rack: Option<u32>,
    pub(crate) rack_it_kw: Option<f64>,
    pub(crate) fp8_pflops_per_gpu: Option<f64>,
    pub(crate) bf16_pflops_per_gpu: Option<f64>,
    pub(crate) price_per_rack_usd: Option<f64>,
}

/// `[[supply]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSupply {
    pub(crate) id: String,
    pub(crate) accelerator: String,
    pub(crate) schedule: Vec<RawSchedulePoint>,
    #[serde(default = "one")]
    pub(crate) rate_scale: f64,
    #[serde(default)]
    pub(crate) cap_racks: Option<u64>,
    #[serde(default = "zero_dist")]
    pub(crate) slip_days: DistSpec,
    #[serde(default = "one_dist")]
    pub(crate) noise: DistSpec,
    #[serde(default)]
    pub(crate) disruption: Option<RawDisruption>,
    /// Days from shipping to arrival at the site (or the staging pool); one draw per batch.
    #[serde(default = "zero_dist")]
    pub(crate) transit_days: DistSpec,
}

/// One point of a supply schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSchedulePoint {
    #[serde(deserialize_with = "date")]
    pub(crate) date: Date,
    pub(crate) racks_per_week: f64,
}

/// `[supply.disruption]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDisruption {
    /// A number, or a distribution drawn once per trial.
    pub(crate) weekly_probability: DistSpec,
    pub(crate) duration_weeks: DistSpec,
    pub(crate) severity: DistSpec,
}

/// `[[sites]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSite {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default = "default_region")]
    pub(crate) region: String,
    #[serde(default = "default_provider")]
    pub(crate) provider: String,
    pub(crate) pue: f64,
    pub(crate) accepts: Vec<String>,
    #[serde(default)]
    pub(crate) max_racks: Option<u64>,
    pub(crate) install_racks_per_day: DistSpec,
    #[serde(default = "one")]
    pub(crate) power_scale: f64,
    pub(crate) phases: Vec<RawPhase>,
    /// `install_racks_per_day` is per phase being fitted out rather than for the whole site.
    #[serde(default)]
    pub(crate) crews_per_phase: bool,
    /// Days for a crew to reach full pace after its phase opens (0 = full pace at once).
    #[serde(default)]
    pub(crate) mobilization_days: f64,
    /// Share of full pace on the day a crew starts, while mobilizing.
    #[serde(default = "default_mobilization_start")]
    pub(crate) mobilization_start: f64,
    /// Campus-wide ceiling on racks installed per day, whatever the crews.
    #[serde(default)]
    pub(crate) max_install_racks_per_day: Option<f64>,
    /// Days before a phase's energization that racks may be set in its halls.
    #[serde(default)]
    pub(crate) install_lead_days: u32,
    /// Racks per pod (scalable unit) accepted together; absent = racks go online one by one.
    #[serde(default)]
    pub(crate) pod_racks: Option<u32>,
    /// Days of a pod's acceptance test after its last rack passes burn-in; one draw per pod.
    #[serde(default = "zero_dist")]
    pub(crate) pod_acceptance_days: DistSpec,
}

/// `[[sites.phases]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPhase {
    pub(crate) mw: f64,
    #[serde(deserialize_with = "date")]
    pub(crate) planned: Date,
    #[serde(default = "zero_dist")]
    pub(crate) delay_days: DistSpec,
    /// Days over which the phase's MW arrive, hall by hall (0 or 1 = all on one day).
    #[serde(default)]
    pub(crate) ramp_days: u32,
    /// Days from energization until racks can be burned in (cooling and integrated-systems
    /// commissioning); one draw per trial.
    #[serde(default = "zero_dist")]
    pub(crate) commissioning_days: DistSpec,
}

/// `[[power_limits]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPowerLimit {
    pub(crate) id: String,
    /// Absent: the limit applies to the whole fleet.
    #[serde(default)]
    pub(crate) region: Option<String>,
    pub(crate) mw: f64,
    #[serde(default)]
    pub(crate) steps: Vec<RawLimitStep>,
}

/// A date from which a power limit takes a new value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimitStep {
    #[serde(deserialize_with = "date")]
    pub(crate) date: Date,
    pub(crate) mw: f64,
}

/// `[bring_up]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBringUp {
    #[serde(default = "zero_dist")]
    pub(crate) burn_in_days: DistSpec,
    /// A number, or a distribution drawn once per trial (lot quality).
    #[serde(default = "zero_dist")]
    pub(crate) failure_probability: DistSpec,
    /// Share of failed racks pulled off the floor for rework; the rest are fixed in place.
    #[serde(default = "default_pulled_fraction")]
    pub(crate) pulled_fraction: f64,
    /// Extra days a rack fixed in place spends before it passes.
    #[serde(default = "default_fix_days")]
    pub(crate) fix_in_place_days: DistSpec,
    #[serde(default = "zero_dist")]
    pub(crate) rework_days: DistSpec,
}

impl Default for RawBringUp {
    fn default() -> Self {
        Self {
            burn_in_days: zero_dist(),
            failure_probability: zero_dist(),
            pulled_fraction: default_pulled_fraction(),
            fix_in_place_days: default_fix_days(),
            rework_days: zero_dist(),
        }
    }
}

/// `[operations]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOperations {
    #[serde(default)]
    pub(crate) interruptions_per_gpu_year: f64,
    #[serde(default = "one_dist")]
    pub(crate) repair_days: DistSpec,
}

impl Default for RawOperations {
    fn default() -> Self {
        Self {
            interruptions_per_gpu_year: 0.0,
            repair_days: one_dist(),
        }
    }
}

/// `[allocation]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAllocation {
    #[serde(default)]
    pub(crate) policy: AllocationPolicy,
    #[serde(default)]
    pub(crate) staging: Staging,
    /// Days to move a waiting rack to another site; absent = racks never move.
    #[serde(default)]
    pub(crate) reroute_days: Option<u32>,
}

/// Where delivered racks wait to be installed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Staging {
    /// Each batch is assigned to a site when it ships and waits there.
    #[default]
    Site,
    /// One fleet-wide pool per rack type; racks move to any site instantly.
    Pool,
}

/// Which site gets racks first each day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationPolicy {
    /// Fill sites in file order.
    #[default]
    Ordered,
    /// Most room first: with `staging = "pool"`, sites in descending order of spare IT power at
    /// the start of each install step; with `staging = "site"`, each shipped batch goes to the
    /// site with the most planned room not yet claimed.
    MostHeadroom,
}

fn one() -> f64 {
    1.0
}
fn default_mobilization_start() -> f64 {
    0.25
}
fn default_pulled_fraction() -> f64 {
    0.3
}
fn default_fix_days() -> DistSpec {
    DistSpec::Fixed(2.0)
}
fn zero_dist() -> DistSpec {
    DistSpec::Fixed(0.0)
}
fn one_dist() -> DistSpec {
    DistSpec::Fixed(1.0)
}
fn default_region() -> String {
    "default".into()
}
fn default_provider() -> String {
    "aws".into()
}

/// Reads `{ "gb300-nvl72" = 40, ... }` as (rack type, racks) pairs in file order.
fn racks_by_type<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, u64)>, D::Error> {
    struct RacksVisitor;
    impl<'de> Visitor<'de> for RacksVisitor {
        type Value = Vec<(String, u64)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a table of racks per rack type, e.g. { \"gb300-nvl72\" = 40 }")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                let racks = map.next_value::<u64>()?;
                out.push((key, racks));
            }
            Ok(out)
        }
    }
    d.deserialize_map(RacksVisitor)
}

/// Reads a calendar date written either as a TOML date (`2026-12-31`) or as a string
/// (`"2026-12-31"`). TOML hands a native date over as a one-entry map, which date crates do not
/// accept on their own; times of day are refused because the model steps in whole days.
pub(crate) fn date<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    struct DateVisitor;
    impl<'de> Visitor<'de> for DateVisitor {
        type Value = Date;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a date such as 2026-12-31")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Date, E> {
            parse_date(s).map_err(E::custom)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Date, A::Error> {
            // Only TOML's own date is a map here: a one-entry map under its private key. Any
            // other table (`{ anything = "2026-01-05" }`) is not a date.
            let not_a_date =
                || de::Error::custom("expected a date such as 2026-12-31, found a table");
            let Some(key) = map.next_key::<String>()? else {
                return Err(not_a_date());
            };
            if key != TOML_DATETIME_KEY {
                return Err(not_a_date());
            }
            let text = map.next_value::<String>()?;
            if map.next_key::<String>()?.is_some() {
                return Err(not_a_date());
            }
            parse_date(&text).map_err(de::Error::custom)
        }
    }
    d.deserialize_any(DateVisitor)
}

/// The key under which the `toml` crate hands a native date to a deserializer.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

/// Parses `YYYY-MM-DD` exactly.
pub fn parse_date(s: &str) -> Result<Date, String> {
    let s = s.trim();
    let bytes = s.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return Err(format!(
            "`{s}` is not a calendar date; write YYYY-MM-DD, e.g. 2026-12-31 (no time of day)"
        ));
    }
    s.parse::<Date>()
        .map_err(|e| format!("`{s}` is not a valid date: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_plain_calendar_dates() {
        assert_eq!(parse_date("2026-12-31").unwrap().to_string(), "2026-12-31");
        assert!(parse_date("2026-12-31T10:00:00").is_err());
        assert!(parse_date("2026-02-30").is_err());
        assert!(parse_date("31/12/2026").is_err());
    }

    #[test]
    fn native_and_quoted_dates_both_deserialize() {
        #[derive(Deserialize)]
        struct T {
            #[serde(deserialize_with = "date")]
            a: Date,
            #[serde(deserialize_with = "date")]
            b: Date,
        }
        let v: toml::Value = toml::from_str("a = 2026-01-15\nb = \"2026-01-16\"").unwrap();
        let t: T = v.try_into().unwrap();
        assert_eq!(t.a.to_string(), "2026-01-15");
        assert_eq!(t.b.to_string(), "2026-01-16");
    }
}
