//! `Model`: a checked [`Scenario`] compiled for simulation: dates become day indices, schedules
//! become weekly batches, distributions become samplers, ids become indices and input keys.
//!
//! A `Model` is immutable and `Sync`: every trial of a run reads the same one.

pub mod cdf;
pub mod day_dist;
pub mod dist;

use crate::numeric::integrate_rate;
use crate::numeric::seed::input_key;
use crate::scenario::{self, DistSpec, InputRef, ObservedMetric, Scenario};
pub use day_dist::DayDist;
pub use dist::{Dist, DistError};

/// A rack type as the engine needs it.
#[derive(Debug, Clone)]
pub struct AcceleratorModel {
    /// Identifier.
    pub(crate) id: String,
    /// GPUs per rack.
    pub(crate) gpus_per_rack: u32,
    /// IT power per rack, kW.
    pub(crate) rack_it_kw: f64,
    /// 1 / `rack_it_kw`: racks per kW of spare IT power.
    pub(crate) racks_per_kw: f64,
    /// Dense FP8 PFLOPS per GPU.
    pub(crate) fp8_pflops_per_gpu: f64,
    /// Price of one rack, whole USD (`price_per_rack_usd` rounded); 0 when the scenario gives
    /// none.
    pub(crate) price_usd: u64,
}

impl AcceleratorModel {
    /// Identifier, as in the scenario.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// GPUs per rack.
    pub fn gpus_per_rack(&self) -> u32 {
        self.gpus_per_rack
    }

    /// IT power per rack, kW.
    pub fn rack_it_kw(&self) -> f64 {
        self.rack_it_kw
    }

    /// Dense FP8 PFLOPS per GPU.
    pub fn fp8_pflops_per_gpu(&self) -> f64 {
        self.fp8_pflops_per_gpu
    }

    /// Price of one rack, whole USD; 0 when the scenario gives none.
    pub fn price_usd(&self) -> u64 {
        self.price_usd
    }
}

/// A supply stream: planned racks per weekly batch, before slip, noise and disruption.
#[derive(Debug, Clone)]
pub struct StreamModel {
    /// Identifier.
    pub(crate) id: String,
    /// Index of the rack type.
    pub(crate) accelerator: usize,
    /// Index `k` of the first planned week; week `k` covers days `[7k, 7k + 7)`.
    pub(crate) first_week: i64,
    /// Planned racks of each week from `first_week` on (× `rate_scale`).
    pub(crate) planned_racks: Vec<f64>,
    /// Cap on racks ever delivered.
    pub(crate) cap_racks: Option<u64>,
    /// Whole-stream shift, days.
    pub(crate) slip_days: DayDist,
    /// Multiplicative weekly noise.
    pub(crate) noise: Dist,
    /// Disruptions, if any.
    pub(crate) disruption: Option<DisruptionModel>,
    /// Key of the slip draw.
    pub(crate) slip_key: u64,
    /// Key of the weekly noise and disruption draws.
    pub(crate) weekly_key: u64,
    /// Seed of the slip draw instead of the run's, if set (see [`Model::override_seed`]).
    pub(crate) slip_seed: Option<u64>,
    /// Seed of the weekly draws instead of the run's, if set.
    pub(crate) weekly_seed: Option<u64>,
    /// Correlation group the slip belongs to, if any.
    pub(crate) slip_group: Option<usize>,
    /// Days from shipping to arrival; one draw per batch.
    pub(crate) transit_days: DayDist,
    /// Key of the transit draws.
    pub(crate) transit_key: u64,
    /// Seed of the transit draws instead of the run's, if set.
    pub(crate) transit_seed: Option<u64>,
}

impl StreamModel {
    /// Identifier, as in the scenario.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Index of the stream's rack type in [`Model::accelerators`].
    pub fn accelerator(&self) -> usize {
        self.accelerator
    }
}

/// Supply disruptions of one stream.
#[derive(Debug, Clone)]
pub struct DisruptionModel {
    /// Probability a disruption starts in an undisrupted week; drawn once per trial.
    pub(crate) weekly_probability: Dist,
    /// Its distribution, for its quantile function (correlated draws).
    pub(crate) probability_spec: DistSpec,
    /// Key of the per-trial probability draw.
    pub(crate) probability_key: u64,
    /// Seed of that draw instead of the run's, if set.
    pub(crate) probability_seed: Option<u64>,
    /// Correlation group of the probability, if any.
    pub(crate) probability_group: Option<usize>,
    /// Duration, weeks (at least 1 is applied by the engine).
    pub(crate) duration_weeks: DayDist,
    /// Fraction of a week's supply lost.
    pub(crate) severity: Dist,
}

/// A power phase.
#[derive(Debug, Clone)]
pub struct PhaseModel {
    /// Facility power, kW (× site `power_scale`).
    pub(crate) facility_kw: f64,
    /// Planned energization day.
    pub(crate) planned_day: i64,
    /// Delay, days.
    pub(crate) delay_days: DayDist,
    /// Key of the delay draw.
    pub(crate) key: u64,
    /// Seed of the delay draw instead of the run's, if set.
    pub(crate) seed: Option<u64>,
    /// Correlation group the delay belongs to, if any.
    pub(crate) group: Option<usize>,
    /// Days over which the MW arrive (at least 1).
    pub(crate) ramp_days: i64,
    /// Days from energization until racks can start burn-in; drawn with the delay.
    pub(crate) commissioning_days: DayDist,
}

/// A site.
#[derive(Debug, Clone)]
pub struct SiteModel {
    /// Identifier.
    pub(crate) id: String,
    /// Region index.
    pub(crate) region: usize,
    /// PUE.
    pub(crate) pue: f64,
    /// `accepts[a]`: does this site take rack type `a`?
    pub(crate) accepts: Vec<bool>,
    /// Floor space, racks.
    pub(crate) max_racks: u64,
    /// Install rate, racks/day.
    pub(crate) install_racks_per_day: Dist,
    /// Key of the install-rate draw.
    pub(crate) install_key: u64,
    /// Key of the site's burn-in, failure and rework draws.
    pub(crate) bring_up_key: u64,
    /// Seed of the install-rate draw instead of the run's, if set.
    pub(crate) install_seed: Option<u64>,
    /// Seed of the bring-up draws instead of the run's, if set.
    pub(crate) bring_up_seed: Option<u64>,
    /// The install rate's distribution, for its quantile function (correlated draws).
    pub(crate) install_spec: DistSpec,
    /// Correlation group the install rate belongs to, if any.
    pub(crate) install_group: Option<usize>,
    /// Power phases.
    pub(crate) phases: Vec<PhaseModel>,
    /// `install_racks_per_day` is per phase being fitted out.
    pub(crate) crews_per_phase: bool,
    /// Days for crews to reach full pace after their phase opens (0 = at once).
    pub(crate) mobilization_days: f64,
    /// Share of full pace on a crew's first day.
    pub(crate) mobilization_start: f64,
    /// Ceiling on racks installed per day (infinite if none).
    pub(crate) max_install_racks_per_day: f64,
    /// Days before energization that racks may be set in a phase's halls.
    pub(crate) install_lead_days: i64,
    /// Racks per pod; 0 = racks go online one by one.
    pub(crate) pod_racks: u64,
    /// Days of a pod's acceptance test.
    pub(crate) pod_acceptance_days: DayDist,
}

impl SiteModel {
    /// Identifier, as in the scenario.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Index of the site's region (below [`Model::regions`]).
    pub fn region(&self) -> usize {
        self.region
    }

    /// Whether crews install at one constant pace from day 0 (the pattern of
    /// `docs/model.md`, step 4, without mobilization, phases or a ceiling).
    pub fn constant_crews(&self) -> bool {
        !self.crews_per_phase
            && self.mobilization_days == 0.0
            && self.max_install_racks_per_day == f64::INFINITY
    }
}

/// A correlation group: members' normal scores load `loading` on the group's common factor.
#[derive(Debug, Clone)]
pub struct CorrelationModel {
    /// Identifier.
    pub(crate) id: String,
    /// Key of the group's common-factor draw.
    pub(crate) key: u64,
    /// √r, with r = 2 sin(π ρ / 6) the normal correlation whose rank correlation is ρ.
    pub(crate) loading: f64,
}

impl CorrelationModel {
    /// Identifier, as in the scenario.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A power cap as a daily series.
#[derive(Debug, Clone)]
pub struct LimitModel {
    /// Region index, or `None` for the fleet.
    pub(crate) region: Option<usize>,
    /// Cap on facility kW drawn by installed racks, for each simulated day.
    pub(crate) cap_kw_by_day: Vec<f64>,
}

/// Which site gets racks first each day (the scenario's `allocation.policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocationPolicy {
    /// Fill sites in file order.
    Ordered,
    /// Most room first: with [`Staging::Pool`], sites in descending order of spare IT power at
    /// the start of each install step; with [`Staging::Site`], each shipped batch goes to the
    /// site with the most planned room not yet claimed.
    MostHeadroom,
}

impl From<scenario::AllocationPolicy> for AllocationPolicy {
    fn from(policy: scenario::AllocationPolicy) -> AllocationPolicy {
        match policy {
            scenario::AllocationPolicy::Ordered => AllocationPolicy::Ordered,
            scenario::AllocationPolicy::MostHeadroom => AllocationPolicy::MostHeadroom,
        }
    }
}

/// Where delivered racks wait to be installed (the scenario's `allocation.staging`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staging {
    /// Each batch is assigned to a site when it ships and waits there.
    Site,
    /// One fleet-wide pool per rack type; racks move to any site instantly.
    Pool,
}

impl From<scenario::Staging> for Staging {
    fn from(staging: scenario::Staging) -> Staging {
        match staging {
            scenario::Staging::Site => Staging::Site,
            scenario::Staging::Pool => Staging::Pool,
        }
    }
}

/// A value each trial records at the end of one day ([`crate::stats::TrialOutcome::probes`]):
/// one metric, fleet-wide or at one site. Observations compile to probes; backtests add more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Probe {
    /// Day index (0 = start), within the simulated days.
    pub day: usize,
    /// What to record.
    pub metric: ObservedMetric,
    /// Site index; `None` = the whole fleet.
    pub site: Option<usize>,
}

/// A scenario's `[status]` compiled: the state at the end of day `day`, from which every trial
/// starts (`docs/model.md`, "Starting from a status").
#[derive(Debug, Clone, PartialEq)]
pub struct StatusModel {
    /// The status day (0 = start); the day loop starts the day after.
    pub(crate) day: usize,
    /// Racks delivered per stream ([`Model::streams`] order).
    pub(crate) delivered_racks: Vec<u64>,
    /// Per site ([`Model::sites`] order).
    pub(crate) sites: Vec<SiteStatusModel>,
}

impl StatusModel {
    /// The status day (0 = start).
    pub fn day(&self) -> usize {
        self.day
    }
}

/// One site of a [`StatusModel`]; rack counts are per rack type in [`Model::accelerators`]
/// order.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteStatusModel {
    /// The first phases that are energized and commissioned.
    pub(crate) energized_phases: usize,
    /// Racks waiting to be installed.
    pub(crate) staged: Vec<u64>,
    /// Racks on the floor, not yet online.
    pub(crate) installed: Vec<u64>,
    /// Racks online.
    pub(crate) online: Vec<u64>,
}

/// The compiled scenario.
#[derive(Debug, Clone)]
pub struct Model {
    /// Simulated days, `start..=horizon`.
    pub(crate) days: usize,
    /// Day index of the deadline.
    pub(crate) deadline_day: usize,
    /// Target GPUs online.
    pub(crate) target_gpus: u64,
    /// Rack types that some stream delivers, in order of first delivery in the file.
    pub(crate) accelerators: Vec<AcceleratorModel>,
    /// Names of the per-trial inputs ([`Model::input_names`]).
    input_names: Vec<String>,
    /// Supply streams.
    pub(crate) streams: Vec<StreamModel>,
    /// Sites.
    pub(crate) sites: Vec<SiteModel>,
    /// Number of regions.
    pub(crate) regions: usize,
    /// Power caps.
    pub(crate) limits: Vec<LimitModel>,
    /// Burn-in length, days.
    pub(crate) burn_in_days: DayDist,
    /// Burn-in failure probability per rack; drawn once per trial.
    pub(crate) failure_probability: Dist,
    /// Its distribution, for its quantile function (correlated draws).
    pub(crate) failure_spec: DistSpec,
    /// Key of the failure-probability draw.
    pub(crate) failure_key: u64,
    /// Seed of that draw instead of the run's, if set.
    pub(crate) failure_seed: Option<u64>,
    /// Correlation group of the failure probability, if any.
    pub(crate) failure_group: Option<usize>,
    /// Share of failed racks pulled off the floor for rework.
    pub(crate) pulled_fraction: f64,
    /// Extra days of a rack fixed in place.
    pub(crate) fix_in_place_days: DayDist,
    /// Rework time, days.
    pub(crate) rework_days: DayDist,
    /// Interruptions per GPU per day.
    pub(crate) interruptions_per_gpu_day: f64,
    /// `outage_survival[j]`: probability that an interruption still keeps its GPU out of
    /// service `j` snapshots after the one of its own day (see [`cdf::outage_survival`]).
    pub(crate) outage_survival: Vec<f64>,
    /// Key of the interruption draws.
    pub(crate) operations_key: u64,
    /// Seed of the interruption draws instead of the run's, if set.
    pub(crate) operations_seed: Option<u64>,
    /// Which site gets racks first.
    pub(crate) policy: AllocationPolicy,
    /// Where delivered racks wait.
    pub(crate) staging: Staging,
    /// Days to move a waiting rack to another site, if racks may move.
    pub(crate) reroute_days: Option<i64>,
    /// Supply is lifted: every accepting site (or the pool) always has racks waiting.
    pub(crate) unlimited_supply: bool,
    /// Correlation groups of per-trial inputs.
    pub(crate) correlations: Vec<CorrelationModel>,
    /// GPUs in the smallest rack type: the resolution of GPU percentiles.
    pub(crate) gpus_per_smallest_rack: u32,
    /// The state trials start from, if the scenario has a `[status]`.
    pub(crate) status: Option<StatusModel>,
    /// Values each trial records ([`Model::probes`]).
    probes: Vec<Probe>,
    /// `(day, probe index)` of every probe, sorted by day: the engine walks it with a cursor.
    probe_schedule: Vec<(usize, usize)>,
}

impl Model {
    /// Compiles a checked scenario.
    pub fn compile(s: &Scenario) -> Result<Model, DistError> {
        let days = s.days();
        // Only rack types some stream delivers take part; `type_of[i]` maps scenario index i.
        let mut used: Vec<usize> = Vec::new();
        for st in &s.supply {
            if !used.contains(&st.accelerator) {
                used.push(st.accelerator);
            }
        }
        let type_of = |i: usize| used.iter().position(|&u| u == i);
        let accelerators = used
            .iter()
            .map(|&i| &s.accelerators[i])
            .map(|a| AcceleratorModel {
                id: a.id.clone(),
                gpus_per_rack: a.gpus_per_rack,
                rack_it_kw: a.rack_it_kw,
                racks_per_kw: 1.0 / a.rack_it_kw,
                fp8_pflops_per_gpu: a.fp8_pflops_per_gpu,
                price_usd: a.price_per_rack_usd.map_or(0, |p| p.round() as u64),
            })
            .collect();
        let group_of = |input: InputRef| {
            s.correlations
                .iter()
                .position(|c| c.inputs.contains(&input))
        };
        let mut streams = Vec::new();
        for st in &s.supply {
            let first = s.day_of(st.schedule[0].date);
            let last = s.day_of(st.schedule[st.schedule.len() - 1].date);
            let first_week = first.div_euclid(7);
            let last_week = last.div_euclid(7);
            let points: Vec<(f64, f64)> = st
                .schedule
                .iter()
                .map(|p| (s.day_of(p.date) as f64, p.racks_per_week / 7.0))
                .collect();
            // Each week integrates only the segments from the one holding its start on: linear
            // in weeks plus points.
            let mut segment = 0;
            let planned_racks = (first_week..=last_week)
                .map(|k| {
                    let from = (7 * k) as f64;
                    while segment + 2 < points.len() && points[segment + 1].0 <= from {
                        segment += 1;
                    }
                    integrate_rate(&points[segment..], from, from + 7.0) * st.rate_scale
                })
                .collect();
            streams.push(StreamModel {
                id: st.id.clone(),
                accelerator: type_of(st.accelerator).unwrap_or(0),
                first_week,
                planned_racks,
                cap_racks: st.cap_racks,
                slip_days: DayDist::new(&st.slip_days),
                noise: Dist::new(&st.noise)?,
                disruption: match &st.disruption {
                    Some(d) => Some(DisruptionModel {
                        weekly_probability: Dist::new(&d.weekly_probability)?,
                        probability_spec: d.weekly_probability.clone(),
                        probability_key: input_key(&format!("supply/{}/disruption", st.id)),
                        probability_seed: None,
                        probability_group: group_of(InputRef::DisruptionProbability(streams.len())),
                        duration_weeks: DayDist::new(&d.duration_weeks),
                        severity: Dist::new(&d.severity)?,
                    }),
                    None => None,
                },
                slip_key: input_key(&format!("supply/{}/slip", st.id)),
                weekly_key: input_key(&format!("supply/{}/weekly", st.id)),
                slip_seed: None,
                weekly_seed: None,
                slip_group: group_of(InputRef::Slip(streams.len())),
                transit_days: DayDist::new(&st.transit_days),
                transit_key: input_key(&format!("supply/{}/transit", st.id)),
                transit_seed: None,
            });
        }
        let mut sites = Vec::new();
        for site in &s.sites {
            let mut phases = Vec::new();
            for (k, p) in site.phases.iter().enumerate() {
                phases.push(PhaseModel {
                    facility_kw: p.mw * site.power_scale * 1000.0,
                    planned_day: s.day_of(p.planned),
                    delay_days: DayDist::new(&p.delay_days),
                    key: input_key(&format!("site/{}/phase/{k}", site.id)),
                    seed: None,
                    group: group_of(InputRef::PhaseDelay(sites.len(), k)),
                    ramp_days: i64::from(p.ramp_days.max(1)),
                    commissioning_days: DayDist::new(&p.commissioning_days),
                });
            }
            sites.push(SiteModel {
                id: site.id.clone(),
                region: site.region,
                pue: site.pue,
                accepts: {
                    let mut takes = vec![false; s.accelerators.len()];
                    for &a in &site.accepts {
                        takes[a] = true;
                    }
                    used.iter().map(|&a| takes[a]).collect()
                },
                max_racks: site.max_racks.unwrap_or(u64::MAX),
                install_racks_per_day: Dist::new(&site.install_racks_per_day)?,
                install_key: input_key(&format!("site/{}/install", site.id)),
                bring_up_key: input_key(&format!("site/{}/bring_up", site.id)),
                install_seed: None,
                bring_up_seed: None,
                install_spec: site.install_racks_per_day.clone(),
                install_group: group_of(InputRef::InstallRate(sites.len())),
                phases,
                crews_per_phase: site.crews_per_phase,
                mobilization_days: site.mobilization_days,
                mobilization_start: site.mobilization_start,
                max_install_racks_per_day: site.max_install_racks_per_day.unwrap_or(f64::INFINITY),
                install_lead_days: i64::from(site.install_lead_days),
                pod_racks: site.pod_racks.map_or(0, u64::from),
                pod_acceptance_days: DayDist::new(&site.pod_acceptance_days),
            });
        }
        let status = s.status.as_ref().map(|st| {
            let per_type = |list: &[(usize, u64)]| {
                let mut v = vec![0u64; used.len()];
                for &(a, n) in list {
                    // A rack type no stream delivers cannot be at a site (the checks refuse it).
                    if let Some(k) = type_of(a) {
                        v[k] += n;
                    }
                }
                v
            };
            StatusModel {
                day: s.day_of(st.date).clamp(0, days as i64 - 1) as usize,
                delivered_racks: st.delivered_racks.clone(),
                sites: st
                    .sites
                    .iter()
                    .map(|site| SiteStatusModel {
                        energized_phases: site.energized_phases,
                        staged: per_type(&site.staged_racks),
                        installed: per_type(&site.installed_racks),
                        online: per_type(&site.online_racks),
                    })
                    .collect(),
            }
        });
        let limits = s
            .power_limits
            .iter()
            .map(|l| {
                // Steps are in date order: walk them with the days.
                let mut taken = 0;
                LimitModel {
                    region: l.region,
                    cap_kw_by_day: (0..days as i64)
                        .map(|d| {
                            let date = s.date_of(d);
                            while taken < l.steps.len() && l.steps[taken].0 <= date {
                                taken += 1;
                            }
                            let mw = taken.checked_sub(1).map_or(l.mw, |i| l.steps[i].1);
                            mw * 1000.0
                        })
                        .collect(),
                }
            })
            .collect();
        Ok(Model {
            days,
            deadline_day: s.day_of(s.deadline).clamp(0, days as i64 - 1) as usize,
            target_gpus: s.target_gpus,
            accelerators,
            input_names: s.inputs().into_iter().map(|(_, name)| name).collect(),
            streams,
            sites,
            regions: s.regions.len(),
            limits,
            burn_in_days: DayDist::new(&s.bring_up.burn_in_days),
            failure_probability: Dist::new(&s.bring_up.failure_probability)?,
            failure_spec: s.bring_up.failure_probability.clone(),
            failure_key: input_key("bring_up/failure"),
            failure_seed: None,
            failure_group: group_of(InputRef::FailureProbability),
            pulled_fraction: s.bring_up.pulled_fraction,
            fix_in_place_days: DayDist::new(&s.bring_up.fix_in_place_days),
            rework_days: DayDist::new(&s.bring_up.rework_days),
            interruptions_per_gpu_day: s.operations.interruptions_per_gpu_year / 365.25,
            outage_survival: cdf::outage_survival(&s.operations.repair_days),
            operations_key: input_key("operations"),
            operations_seed: None,
            policy: s.allocation.into(),
            staging: s.staging.into(),
            reroute_days: s.reroute_days.map(|d| i64::from(d.max(1))),
            unlimited_supply: false,
            correlations: s
                .correlations
                .iter()
                .map(|c| CorrelationModel {
                    id: c.id.clone(),
                    key: input_key(&format!("correlation/{}", c.id)),
                    loading: (2.0 * (std::f64::consts::PI * c.rho / 6.0).sin())
                        .max(0.0)
                        .sqrt(),
                })
                .collect(),
            gpus_per_smallest_rack: used
                .iter()
                .map(|&a| s.accelerators[a].gpus_per_rack)
                .min()
                .unwrap_or(1)
                .max(1),
            status,
            probes: Vec::new(),
            probe_schedule: Vec::new(),
        }
        .with_probes(
            s.observations
                .iter()
                .map(|o| Probe {
                    day: s.day_of(o.date).clamp(0, days as i64 - 1) as usize,
                    metric: o.metric,
                    site: o.site,
                })
                .collect(),
        ))
    }
}

impl Model {
    /// Simulated days, `start..=horizon`.
    pub fn days(&self) -> usize {
        self.days
    }

    /// Day index of the deadline (0 = start).
    pub fn deadline_day(&self) -> usize {
        self.deadline_day
    }

    /// Target GPUs online.
    pub fn target_gpus(&self) -> u64 {
        self.target_gpus
    }

    /// Rack types that some stream delivers, in order of first delivery in the file: the
    /// "model order" of rack types.
    pub fn accelerators(&self) -> &[AcceleratorModel] {
        &self.accelerators
    }

    /// Supply streams, in file order.
    pub fn streams(&self) -> &[StreamModel] {
        &self.streams
    }

    /// Sites, in file order.
    pub fn sites(&self) -> &[SiteModel] {
        &self.sites
    }

    /// Number of regions.
    pub fn regions(&self) -> usize {
        self.regions
    }

    /// Correlation groups of per-trial inputs, in file order.
    pub fn correlations(&self) -> &[CorrelationModel] {
        &self.correlations
    }

    /// GPUs in the smallest rack type: the resolution of GPU percentiles.
    pub fn gpus_per_smallest_rack(&self) -> u32 {
        self.gpus_per_smallest_rack
    }

    /// The state trials start from, if the scenario has a `[status]`.
    pub fn status(&self) -> Option<&StatusModel> {
        self.status.as_ref()
    }

    /// The values each trial records, in [`crate::stats::TrialOutcome::probes`] order: by
    /// default one per observation of the scenario, in file order.
    pub fn probes(&self) -> &[Probe] {
        &self.probes
    }

    /// The same model recording `probes` instead. Probes only read the state of a trial, so
    /// every other result is unchanged.
    ///
    /// # Panics
    ///
    /// If a probe's day lies outside the simulated days or its site does not exist.
    pub fn with_probes(mut self, probes: Vec<Probe>) -> Model {
        for p in &probes {
            assert!(p.day < self.days, "probe day {} outside the horizon", p.day);
            assert!(
                p.site.is_none_or(|i| i < self.sites.len()),
                "no site {:?}",
                p.site
            );
        }
        let mut schedule: Vec<(usize, usize)> =
            probes.iter().enumerate().map(|(k, p)| (p.day, k)).collect();
        schedule.sort_unstable();
        self.probes = probes;
        self.probe_schedule = schedule;
        self
    }

    /// `(day, probe index)` of every probe, sorted by day.
    pub(crate) fn probe_schedule(&self) -> &[(usize, usize)] {
        &self.probe_schedule
    }
}

impl Model {
    /// Names of the per-trial inputs in `TrialOutcome::inputs` order, as `trials.csv` columns
    /// ([`Scenario::inputs`]: each stream's slip and disruption probability, each site's
    /// install rate and phase delays, then the failure probability).
    pub fn input_names(&self) -> &[String] {
        &self.input_names
    }

    /// True when a site's bring-up can draw anything: a random burn-in or pod test length, or
    /// failures (which draw who fails, who is pulled and how long a fix takes).
    fn bring_up_is_random(&self, site: &SiteModel) -> bool {
        let can_fail = !matches!(self.failure_probability, Dist::Fixed(p) if p <= 0.0);
        !self.burn_in_days.is_fixed()
            || (site.pod_racks > 0 && !site.pod_acceptance_days.is_fixed())
            || can_fail
    }

    /// The generator groups of a trial, one per named input of `docs/model.md` ("Random inputs
    /// and seeding"): each stream's slip and weekly draws, each site's install rate, phase
    /// delays and bring-up, and operations. Groups whose draws cannot vary (a fixed
    /// distribution, no failures, no interruptions) are left out.
    pub fn input_groups(&self) -> Vec<InputGroup> {
        let mut out = Vec::new();
        for (i, st) in self.streams.iter().enumerate() {
            if !st.slip_days.is_fixed() {
                out.push(InputGroup::StreamSlip(i));
            }
            if !st.noise.is_fixed() || st.disruption.is_some() {
                out.push(InputGroup::StreamWeekly(i));
            }
            if st
                .disruption
                .as_ref()
                .is_some_and(|d| !d.weekly_probability.is_fixed())
            {
                out.push(InputGroup::StreamDisruption(i));
            }
            if !st.transit_days.is_fixed() {
                out.push(InputGroup::StreamTransit(i));
            }
        }
        for (i, site) in self.sites.iter().enumerate() {
            if !site.install_racks_per_day.is_fixed() {
                out.push(InputGroup::SiteInstall(i));
            }
            for (k, p) in site.phases.iter().enumerate() {
                if !p.delay_days.is_fixed() || !p.commissioning_days.is_fixed() {
                    out.push(InputGroup::SitePhase(i, k));
                }
            }
            if self.bring_up_is_random(site) {
                out.push(InputGroup::SiteBringUp(i));
            }
        }
        if !self.failure_probability.is_fixed() {
            out.push(InputGroup::FailureProbability);
        }
        if self.interruptions_per_gpu_day > 0.0 {
            out.push(InputGroup::Operations);
        }
        out
    }

    /// The name of a generator group, as `docs/model.md` spells input names
    /// (e.g. `site/a/phase/0`).
    pub fn group_name(&self, g: InputGroup) -> String {
        match g {
            InputGroup::StreamSlip(i) => format!("supply/{}/slip", self.streams[i].id),
            InputGroup::StreamWeekly(i) => format!("supply/{}/weekly", self.streams[i].id),
            InputGroup::StreamDisruption(i) => {
                format!("supply/{}/disruption", self.streams[i].id)
            }
            InputGroup::StreamTransit(i) => format!("supply/{}/transit", self.streams[i].id),
            InputGroup::FailureProbability => "bring_up/failure".to_owned(),
            InputGroup::SiteInstall(i) => format!("site/{}/install", self.sites[i].id),
            InputGroup::SitePhase(i, k) => format!("site/{}/phase/{k}", self.sites[i].id),
            InputGroup::SiteBringUp(i) => format!("site/{}/bring_up", self.sites[i].id),
            InputGroup::Operations => "operations".to_owned(),
        }
    }

    /// Makes group `g` draw from generators seeded with `seed` instead of the run's seed (the
    /// key and trial index stay): trial `t` then gets exactly the draws a run with `seed`
    /// would give that input, while every other input keeps the run's. This is the
    /// pick-freeze matrix A_B of Sobol estimation. `None` restores the run's seed.
    pub fn override_seed(&mut self, g: InputGroup, seed: Option<u64>) {
        match g {
            InputGroup::StreamSlip(i) => self.streams[i].slip_seed = seed,
            InputGroup::StreamWeekly(i) => self.streams[i].weekly_seed = seed,
            InputGroup::StreamDisruption(i) => {
                if let Some(d) = &mut self.streams[i].disruption {
                    d.probability_seed = seed;
                }
            }
            InputGroup::StreamTransit(i) => self.streams[i].transit_seed = seed,
            InputGroup::FailureProbability => self.failure_seed = seed,
            InputGroup::SiteInstall(i) => self.sites[i].install_seed = seed,
            InputGroup::SitePhase(i, k) => self.sites[i].phases[k].seed = seed,
            InputGroup::SiteBringUp(i) => self.sites[i].bring_up_seed = seed,
            InputGroup::Operations => self.operations_seed = seed,
        }
    }
}

/// One generator group of a trial (see [`Model::input_groups`]); indices are into
/// `Model::streams`, `Model::sites` and a site's `phases`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputGroup {
    /// A stream's slip.
    StreamSlip(usize),
    /// A stream's weekly noise and disruptions.
    StreamWeekly(usize),
    /// A stream's per-trial disruption probability.
    StreamDisruption(usize),
    /// A stream's transit times.
    StreamTransit(usize),
    /// The fleet's per-trial failure probability.
    FailureProbability,
    /// A site's install rate.
    SiteInstall(usize),
    /// A site's phase delay: (site, phase).
    SitePhase(usize, usize),
    /// A site's burn-in, failures, fixes, rework and pod acceptance.
    SiteBringUp(usize),
    /// Interruptions in service.
    Operations,
}

/// A class of constraint that [`Model::lifted`] removes, for counterfactual runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lift {
    /// Racks are always waiting at every site that accepts them (no shipping, transit or
    /// disruption).
    Supply,
    /// Every phase is energized and commissioned in full on day 0, and no power cap applies.
    Power,
    /// Crews install any number of racks a day.
    Install,
    /// Floor space is unlimited.
    Space,
    /// Burn-in takes no time, no rack fails and pods are accepted at once.
    BringUp,
}

impl Lift {
    /// Every class, in the order the outputs list them.
    pub const ALL: [Lift; 5] = [
        Lift::Supply,
        Lift::Power,
        Lift::Install,
        Lift::Space,
        Lift::BringUp,
    ];
}

/// An install rate no site reaches: crews are never the limit.
const UNLIMITED_RACKS_PER_DAY: f64 = 1e9;

impl Model {
    /// The same model with one class of constraint lifted (see [`Lift`] and
    /// `docs/model.md`, "What each constraint costs"). Every other input keeps its generator, so
    /// trial `t` of the lifted model is trial `t` of this one with that constraint removed.
    pub fn lifted(&self, lift: Lift) -> Model {
        let mut m = self.clone();
        let zero_days = DayDist::new(&DistSpec::Fixed(0.0));
        match lift {
            Lift::Supply => m.unlimited_supply = true,
            Lift::Power => {
                for site in &mut m.sites {
                    for p in &mut site.phases {
                        p.planned_day = p.planned_day.min(0);
                        p.delay_days = zero_days.clone();
                        p.ramp_days = 1;
                        p.commissioning_days = zero_days.clone();
                    }
                }
                m.limits.clear();
                // From a status, every phase is energized and commissioned by the status date.
                if let Some(status) = &mut m.status {
                    for (st, site) in status.sites.iter_mut().zip(&m.sites) {
                        st.energized_phases = site.phases.len();
                    }
                }
            }
            Lift::Install => {
                let spec = DistSpec::Fixed(UNLIMITED_RACKS_PER_DAY);
                for site in &mut m.sites {
                    site.install_racks_per_day =
                        Dist::new(&spec).expect("a fixed rate is a valid distribution");
                    site.install_spec = spec.clone();
                    site.crews_per_phase = false;
                    site.mobilization_days = 0.0;
                    site.max_install_racks_per_day = f64::INFINITY;
                }
            }
            Lift::Space => {
                for site in &mut m.sites {
                    site.max_racks = u64::MAX;
                }
            }
            Lift::BringUp => {
                let spec = DistSpec::Fixed(0.0);
                m.burn_in_days = zero_days.clone();
                m.failure_probability =
                    Dist::new(&spec).expect("a fixed probability is a valid distribution");
                m.failure_spec = spec;
                m.fix_in_place_days = zero_days.clone();
                for site in &mut m.sites {
                    site.pod_racks = 0;
                    site.pod_acceptance_days = zero_days.clone();
                }
            }
        }
        m
    }
}

/// One per-trial input seen on its own, for sensitivity analyses: is it random, what are its
/// quantiles, and the model with it held at one value.
impl Model {
    /// Whether input `n` never varies from trial to trial.
    pub fn input_is_constant(&self, n: InputRef) -> bool {
        match n {
            InputRef::Slip(i) => self.streams[i].slip_days.is_fixed(),
            InputRef::InstallRate(i) => self.sites[i].install_racks_per_day.is_fixed(),
            InputRef::PhaseDelay(i, k) => self.sites[i].phases[k].delay_days.is_fixed(),
            InputRef::DisruptionProbability(i) => self.streams[i]
                .disruption
                .as_ref()
                .is_none_or(|d| d.weekly_probability.is_fixed()),
            InputRef::FailureProbability => self.failure_probability.is_fixed(),
        }
    }

    /// Input `n`'s `p`-quantile as the engine uses it: whole days from its [`DayDist`], rates
    /// and probabilities by bisection on the CDF of the scenario's distribution, then clamped as
    /// the engine clamps them.
    pub fn input_quantile(&self, scenario: &Scenario, n: InputRef, p: f64) -> f64 {
        let continuous = || cdf::quantile(scenario.input_spec(n), p);
        match n {
            InputRef::Slip(i) => self.streams[i].slip_days.quantile(p) as f64,
            InputRef::PhaseDelay(i, k) => self.sites[i].phases[k].delay_days.quantile(p) as f64,
            InputRef::InstallRate(_) => continuous().max(0.0),
            InputRef::DisruptionProbability(_) | InputRef::FailureProbability => {
                continuous().clamp(0.0, 1.0)
            }
        }
    }

    /// The same model with input `n` held at `value`. A one-point law consumes no randomness
    /// and every other input has its own generator, so the other inputs' draws are unchanged.
    pub fn with_input_held(&self, n: InputRef, value: f64) -> Model {
        let mut m = self.clone();
        match n {
            InputRef::Slip(i) => m.streams[i].slip_days = DayDist::new(&DistSpec::Fixed(value)),
            InputRef::InstallRate(i) => m.sites[i].install_racks_per_day = Dist::Fixed(value),
            InputRef::PhaseDelay(i, k) => {
                m.sites[i].phases[k].delay_days = DayDist::new(&DistSpec::Fixed(value));
            }
            InputRef::DisruptionProbability(i) => {
                if let Some(d) = &mut m.streams[i].disruption {
                    d.weekly_probability = Dist::Fixed(value);
                }
            }
            InputRef::FailureProbability => m.failure_probability = Dist::Fixed(value),
        }
        m
    }
}
