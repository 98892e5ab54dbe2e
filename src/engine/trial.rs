//! One trial: draw the per-trial inputs, then step the ramp day by day across every site.
//!
//! The order of each day is documented in `docs/model.md`, "The day, step by step"; the day loop
//! of [`run_trial`] calls one function per step, named after it. Counts are kept per rack (a
//! rack is the unit delivered, installed, burned in and failed); GPUs are only counted for
//! interruptions, which take single GPUs out of service.
//!
//! A rack's path: shipped by its stream → in transit → waiting at its site (or in the fleet
//! pool) → installed (crews, floor, hall room under the power caps) → powered (burn-in starts
//! once its site has commissioned power for it) → passes, is fixed in place, or is pulled for
//! rework → waits for its pod's acceptance → online.
//!
//! Index names: `i` (or `j`) is a site, `a` a rack type (in model order) and `k` a (site, rack
//! type) pair, `i * types + a`; `state` is the trial's [`TrialState`] and `totals` its fleet-wide
//! `Totals`.
//!
//! Performance notes: a trial allocates nothing (every buffer lives in [`TrialState`] and the
//! event calendars clear themselves as each day consumes its slot), and every per-day loop runs
//! over sites × rack types, both small.

use rand::RngExt;
use rand::distr::Distribution;
use rand_distr::{Binomial, Poisson, StandardNormal};

use crate::model::{
    AcceleratorModel, AllocationPolicy, Model, Probe, Staging, StatusModel, StreamModel,
};
use crate::numeric::seed::{TrialRng, input_rng};
use crate::numeric::std_normal_cdf;
use crate::scenario::{DistSpec, ObservedMetric};
use crate::stats::{Accumulator, Bottleneck, DailyBuffer, Metric, TrialOutcome};

/// Guards the whole-rack count of a power ratio against rounding just below an integer.
const EPS: f64 = 1e-9;

/// Racks "waiting" at every accepting site when supply is lifted: more than any site can take.
const UNLIMITED: u64 = 1 << 40;

/// Racks arriving at a destination on one day.
#[derive(Debug, Clone, Copy, Default)]
struct Arrival {
    /// Newly delivered racks (counted in `delivered_gpus`).
    new: u32,
    /// Racks back from rework.
    reworked: u32,
    /// Racks moved from another site.
    moved: u32,
}

/// Bring-up steps ending at a site on one day, for one rack type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct BringUpDay {
    /// Racks whose burn-in ends and passes.
    pass: u32,
    /// Racks whose burn-in ends and fails.
    fail: u32,
    /// Racks whose fix in place ends.
    fixed: u32,
    /// Racks whose pod passes acceptance.
    pods: u32,
}

/// What a power event changes at its site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PowerKind {
    /// The phase's halls open for racks (design IT kW).
    Open,
    /// Facility kW energized (metric only).
    Energize,
    /// IT kW that racks may burn in on.
    Usable,
}

/// A power event: from `day` on, `kw` arrives at `site` in `ramp` equal daily steps.
#[derive(Debug, Clone, Copy)]
struct PowerEvent {
    day: i64,
    site: usize,
    kind: PowerKind,
    kw: f64,
    ramp: i64,
    /// kW applied so far (for ramps in progress).
    applied: f64,
}

/// Rack counts per (site, type), `[site * types + type]`, with the set of non-zero entries, so
/// the daily steps visit only the pairs that hold racks.
#[derive(Debug, Clone)]
struct PairCounts {
    counts: Vec<u64>,
    /// Bit k % 64 of word k / 64 is set when `counts[k] > 0`.
    nonzero: Vec<u64>,
}

impl PairCounts {
    fn new(pairs: usize) -> PairCounts {
        PairCounts {
            counts: vec![0; pairs],
            nonzero: vec![0; pairs.div_ceil(64)],
        }
    }

    #[inline]
    fn get(&self, k: usize) -> u64 {
        self.counts[k]
    }

    #[inline]
    fn set(&mut self, k: usize, n: u64) {
        self.counts[k] = n;
        let bit = 1 << (k % 64);
        if n > 0 {
            self.nonzero[k / 64] |= bit;
        } else {
            self.nonzero[k / 64] &= !bit;
        }
    }

    #[inline]
    fn add(&mut self, k: usize, n: u64) {
        self.set(k, self.counts[k] + n);
    }

    #[inline]
    fn sub(&mut self, k: usize, n: u64) {
        self.set(k, self.counts[k] - n);
    }

    fn clear(&mut self) {
        self.counts.fill(0);
        self.nonzero.fill(0);
    }

    /// Word `w` of the non-zero set: pairs 64w … 64w + 63. Callers walk a copy, so the counts
    /// may change while they do.
    #[inline]
    fn word(&self, w: usize) -> u64 {
        self.nonzero[w]
    }

    fn words(&self) -> usize {
        self.nonzero.len()
    }
}

/// Calls `f(k)` for every pair k that was non-zero in `set` when its word was read, in order.
#[inline]
fn for_each_pair(
    state: &mut TrialState,
    set: fn(&TrialState) -> &PairCounts,
    mut f: impl FnMut(&mut TrialState, usize),
) {
    for w in 0..set(state).words() {
        let mut bits = set(state).word(w);
        while bits != 0 {
            let k = w * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            f(state, k);
        }
    }
}

/// The live state of a trial: calendars, rack counts, site states, generators and the outcome.
/// One per thread, reused from trial to trial (each [`run_trial`] resets it) so that a trial
/// allocates nothing.
#[derive(Debug)]
pub struct TrialState {
    /// Racks shipped: `[day * streams + stream]`; zeroed when consumed.
    shipped: Vec<u32>,
    /// Racks arriving: `[(day * dests + dest) * types + type]`, dest = site or the pool (last);
    /// zeroed when consumed.
    arrivals: Vec<Arrival>,
    /// Bring-up steps ending: `[(day * sites + site) * types + type]`; zeroed when consumed.
    bring_up: Vec<BringUpDay>,
    /// Destinations with an entry in `arrivals` on a day (a [`DueMask`]); cleared when
    /// consumed.
    arrivals_due: Vec<DueMask>,
    /// Sites with an entry in `bring_up` on a day (a [`DueMask`]); cleared when consumed.
    bring_up_due: Vec<DueMask>,
    /// Expected interruptions of each day so far, for the outage convolution.
    interruption_rate: Vec<f64>,
    /// The last outage mean and its Poisson law (`None` for a mean of 0).
    outages: (f64, Option<Poisson<f64>>),
    /// Power events, sorted by day, the next one due, and the ramps in progress.
    power: Vec<PowerEvent>,
    next_power_event: usize,
    ramps: Vec<PowerEvent>,
    /// Site visiting order for the day (pool staging, `most_headroom`).
    order: Vec<usize>,
    site: Vec<SiteState>,
    /// Racks delivered and waiting at each site (site staging).
    waiting: PairCounts,
    /// Racks installed and waiting for power.
    awaiting_power: PairCounts,
    /// Per (site, type): `[site * types + type]`.
    testing: Vec<u64>,
    pod_open: Vec<u64>,
    inbound: Vec<u64>,
    /// Each phase's (open day, design IT kW), per site in order of opening.
    phase_open: Vec<Vec<(i64, f64)>>,
    /// Facility kW drawn under each power limit.
    limit_used_kw: Vec<f64>,
    /// Limits that apply to each site.
    site_limits: Vec<Vec<usize>>,
    /// Each site's generator for burn-in, failure, fix, rework and pod draws.
    bring_up_rng: Vec<TrialRng>,
    /// Each stream's generator for transit times.
    transit_rng: Vec<TrialRng>,
    /// Racks waiting in the fleet pool per type (pool staging), or racks no site accepts.
    pool: Vec<u64>,
    /// Common factor of each correlation group for the trial.
    factors: Vec<f64>,
    /// The trial's per-input draws before they are applied.
    slips: Vec<i64>,
    disruption_p: Vec<f64>,
    rates: Vec<f64>,
    delays: Vec<i64>,
    commissioning: Vec<i64>,
    /// Burn-in failures at the trial's failure probability.
    failures: Binomial01,
    /// The pulled share of failed racks.
    pulls: Binomial01,
    /// The next entry of [`Model::probe_schedule`] to take.
    next_probe: usize,
    /// The interruption generator.
    operations_rng: TrialRng,
    /// Today's waiting racks of each rack type by what holds them ([`waiting_by_cause`]).
    waiting_split: Vec<Waiting>,
    /// The same summed over the days so far up to the deadline (rack-days per type).
    waiting_days: Vec<Waiting>,
    /// Idle racks and their value summed over the days so far up to the deadline.
    idle_days: IdleDays,
    outcome: TrialOutcome,
}

#[derive(Debug, Clone, Default)]
struct SiteState {
    /// Facility kW energized.
    energized_kw: f64,
    /// Design IT kW of the phases open for racks.
    open_it_kw: f64,
    /// IT kW commissioned for burn-in.
    usable_it_kw: f64,
    /// IT kW of racks on the floor (any stage).
    committed_it_kw: f64,
    /// IT kW of racks drawing power (burn-in onwards).
    powered_it_kw: f64,
    racks_on_floor: u64,
    crew_left: u64,
    install_rate: f64,
    /// Whether crews keep one constant pace ([`crate::model::SiteModel::constant_crews`]).
    constant_crews: bool,
    /// The day `crew_left` was set for (set on first use each day).
    crew_day: usize,
    /// Cumulative crew capacity (racks) through day `crew_through`, for paces that change.
    crew_capacity: f64,
    crew_through: i64,
    /// Today's pace (paces that change), the last day it holds, and the floor's IT kW it was
    /// worked out for.
    pace: f64,
    pace_valid_through: i64,
    pace_committed_kw: f64,
    /// Planned IT kW and racks already assigned to this site (site staging).
    claimed_kw: f64,
    claimed_racks: u64,
    online_racks: u64,
    online_gpus: u64,
    /// Racks and GPUs newly delivered to this site (site staging; probes only).
    delivered_racks: u64,
    delivered_gpus: u64,
    /// GPUs in racks on this site's floor, any stage (probes only).
    installed_gpus: u64,
}

impl TrialState {
    /// Buffers sized for `model`.
    pub fn new(model: &Model) -> TrialState {
        let (days, types, sites) = (model.days, model.accelerators.len(), model.sites.len());
        TrialState {
            shipped: vec![0; days * model.streams.len()],
            arrivals: vec![Arrival::default(); days * (sites + 1) * types],
            bring_up: vec![BringUpDay::default(); days * sites * types],
            arrivals_due: vec![0; days],
            bring_up_due: vec![0; days],
            interruption_rate: vec![0.0; days],
            outages: (0.0, None),
            power: Vec::new(),
            next_power_event: 0,
            ramps: Vec::new(),
            order: (0..sites).collect(),
            site: vec![SiteState::default(); sites],
            waiting: PairCounts::new(sites * types),
            awaiting_power: PairCounts::new(sites * types),
            testing: vec![0; sites * types],
            pod_open: vec![0; sites * types],
            inbound: vec![0; sites * types],
            phase_open: model
                .sites
                .iter()
                .map(|site| Vec::with_capacity(site.phases.len()))
                .collect(),
            limit_used_kw: vec![0.0; model.limits.len()],
            site_limits: model
                .sites
                .iter()
                .map(|site| {
                    model
                        .limits
                        .iter()
                        .enumerate()
                        .filter(|(_, l)| l.region.is_none_or(|r| r == site.region))
                        .map(|(i, _)| i)
                        .collect()
                })
                .collect(),
            bring_up_rng: Vec::with_capacity(sites),
            transit_rng: Vec::with_capacity(model.streams.len()),
            pool: vec![0; types],
            factors: Vec::with_capacity(model.correlations.len()),
            slips: Vec::with_capacity(model.streams.len()),
            disruption_p: Vec::with_capacity(model.streams.len()),
            rates: Vec::with_capacity(sites),
            delays: Vec::with_capacity(model.sites.iter().map(|site| site.phases.len()).sum()),
            commissioning: Vec::with_capacity(
                model.sites.iter().map(|site| site.phases.len()).sum(),
            ),
            failures: Binomial01::new(0.0),
            pulls: Binomial01::new(model.pulled_fraction),
            next_probe: 0,
            operations_rng: input_rng(0, 0, 0),
            waiting_split: vec![Waiting::default(); types],
            waiting_days: vec![Waiting::default(); types],
            idle_days: IdleDays::default(),
            outcome: TrialOutcome::default(),
        }
    }

    /// The outcome of the last trial run with this state.
    pub fn outcome(&self) -> &TrialOutcome {
        &self.outcome
    }
}

/// ⌊x⌋ for values well inside the i64 range, with a truncating cast (`f64::floor` is a
/// library call on baseline x86-64).
#[inline]
fn floor(x: f64) -> i64 {
    let truncated = x as i64;
    if (truncated as f64) > x {
        truncated - 1
    } else {
        truncated
    }
}

/// Batches up to this size read q^n from a table instead of computing it.
const SMALL_BATCH: usize = 32;

/// Binomial draws with one success probability p, by sequential inversion for the small batches
/// of the hot loop (cost O(np), q^n tabulated for n <= [`SMALL_BATCH`]) and rand_distr's BTPE
/// above 256. Exact up to floating-point rounding of the pmf recursion.
#[derive(Debug, Clone)]
struct Binomial01 {
    p: f64,
    /// `q_pow[n]` = (1 − p)^n, as `powi` computes it.
    q_pow: [f64; SMALL_BATCH + 1],
}

impl Binomial01 {
    fn new(p: f64) -> Self {
        let q = 1.0 - p;
        Binomial01 {
            p,
            q_pow: std::array::from_fn(|n| q.powi(n as i32)),
        }
    }

    /// Makes the draws use probability `p` (rebuilding the table only when p changes).
    fn set(&mut self, p: f64) {
        if self.p.to_bits() != p.to_bits() {
            *self = Binomial01::new(p);
        }
    }

    fn sample(&self, rng: &mut TrialRng, n: u64) -> u64 {
        let p = self.p;
        if n == 0 || p <= 0.0 {
            return 0;
        }
        if p >= 1.0 {
            return n;
        }
        if n > 256 {
            return Binomial::new(n, p).map(|b| b.sample(rng)).unwrap_or(0);
        }
        let q = 1.0 - p;
        let ratio = p / q;
        let mut pmf = match self.q_pow.get(n as usize) {
            Some(&v) => v,
            None => q.powi(n as i32),
        };
        if pmf < 1e-300 {
            // q^n underflows for extreme inputs; BTPE has no such limit.
            return Binomial::new(n, p).map(|b| b.sample(rng)).unwrap_or(0);
        }
        let mut cdf = pmf;
        let u: f64 = rng.random();
        let mut k = 0;
        while u > cdf && k < n {
            pmf *= (n - k) as f64 / (k + 1) as f64 * ratio;
            k += 1;
            cdf += pmf;
        }
        k
    }
}

/// Running totals of one trial.
#[derive(Debug, Default)]
struct Totals {
    energized_kw: f64,
    powered_it_kw: f64,
    powered_facility_kw: f64,
    delivered_gpus: u64,
    delivered_racks: u64,
    /// GPUs in racks on a floor, any stage.
    installed_gpus: u64,
    /// GPUs in racks installed but not yet powered.
    awaiting_power_gpus: u64,
    online_gpus: u64,
    online_fp8_pf: f64,
    /// GPUs in racks pulled for rework, until they are back.
    rework_gpus: u64,
    /// GPUs in racks being moved between sites.
    moving_gpus: u64,
    /// Value of the racks delivered so far, USD.
    delivered_usd: u64,
    /// Racks online, installed and waiting for power, and being moved between sites, with
    /// their value: the money figures (`docs/model.md`, "Money").
    online: Held,
    awaiting_power: Held,
    moving: Held,
}

/// Racks in one state and their value.
#[derive(Debug, Default, Clone, Copy)]
struct Held {
    racks: u64,
    usd: u64,
}

impl Held {
    #[inline]
    fn add(&mut self, n: u64, rack: &AcceleratorModel) {
        self.racks += n;
        self.usd = self.usd.saturating_add(value(n, rack));
    }

    #[inline]
    fn sub(&mut self, n: u64, rack: &AcceleratorModel) {
        self.racks -= n;
        self.usd = self.usd.saturating_sub(value(n, rack));
    }
}

/// The value of `n` racks of type `rack`, USD. Validation keeps a plan's value far inside
/// `u64` (`MAX_PLAN_USD`); saturating keeps a larger status from wrapping.
#[inline]
fn value(n: u64, rack: &AcceleratorModel) -> u64 {
    n.saturating_mul(rack.price_usd)
}

/// Where [`run_trial`] puts the daily series: recorded runs fill a buffer and an accumulator;
/// counterfactual runs only need each trial's outcome.
#[derive(Debug)]
pub enum Recorder<'a> {
    /// Record every day into `daily` (absorbed into `accumulator` whenever it fills) and push the
    /// outcome into `accumulator`.
    Record {
        /// The daily buffer.
        daily: &'a mut DailyBuffer,
        /// The accumulator.
        accumulator: &'a mut Accumulator,
    },
    /// Keep only the outcome (`state.outcome()`): full-capacity day and deadline figures.
    OutcomeOnly,
}

/// One site's state at the end of a traced day ([`trace_trial`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiteDay {
    /// Facility MW energized.
    pub energized_mw: f64,
    /// Racks delivered to the site and waiting to be installed (site staging; 0 with the fleet
    /// pool, whose racks belong to no site).
    pub racks_staged: u64,
    /// Racks installed and waiting for usable power.
    pub racks_awaiting_power: u64,
    /// Racks powered and not yet online: burn-in, fixes in place, pod acceptance.
    pub racks_in_bring_up: u64,
    /// Racks online.
    pub racks_online: u64,
    /// What held the site that day (`docs/outputs.md`, `trace-N.csv`); `None` when nothing did.
    pub held_by: Option<Bottleneck>,
}

/// The per-trial inputs: drawn first, each from its own generator, so the order below only
/// fixes the order of `trials.csv` columns. An input in a correlation group is drawn through a
/// Gaussian copula: its normal score mixes the group's common factor with its own normal draw,
/// and the marginal is kept exactly by reading the score's probability through the input's
/// quantile function. Returns the trial's failure probability.
fn draw_inputs(model: &Model, seed: u64, trial: u64, state: &mut TrialState) -> f64 {
    state.factors.clear();
    for g in &model.correlations {
        state
            .factors
            .push(StandardNormal.sample(&mut input_rng(seed, trial, g.key)));
    }
    let factors = &state.factors;
    let correlated = |group: usize, rng: &mut TrialRng| -> f64 {
        let loading = model.correlations[group].loading;
        let own: f64 = StandardNormal.sample(rng);
        let z = loading * factors[group] + (1.0 - loading * loading).sqrt() * own;
        std_normal_cdf(z)
    };
    let continuous = |spec: &DistSpec,
                      dist: &crate::model::Dist,
                      group: Option<usize>,
                      rng: &mut TrialRng| match group {
        Some(g) if !dist.is_fixed() => crate::model::cdf::quantile(spec, correlated(g, rng)),
        _ => dist.sample(rng),
    };
    // A per-trial probability, clamped to [0, 1] as the engine uses it.
    let probability =
        |spec: &DistSpec, dist: &crate::model::Dist, group: Option<usize>, rng: &mut TrialRng| {
            continuous(spec, dist, group, rng).clamp(0.0, 1.0)
        };
    let days = |dist: &crate::model::DayDist, group: Option<usize>, rng: &mut TrialRng| match group
    {
        Some(g) if !dist.is_fixed() => dist.quantile(correlated(g, rng)),
        _ => dist.sample(rng),
    };
    // The same, given the draw is above `k` (a phase the status says is not yet energized).
    let days_above = |dist: &crate::model::DayDist,
                      group: Option<usize>,
                      rng: &mut TrialRng,
                      k: i64| match group {
        Some(g) if !dist.is_fixed() => dist.quantile_above(correlated(g, rng), k),
        _ => dist.sample_above(rng, k),
    };
    state.slips.clear();
    state.disruption_p.clear();
    state.rates.clear();
    state.delays.clear();
    state.commissioning.clear();
    let outcome = &mut state.outcome;
    for stream in &model.streams {
        let rng = &mut input_rng(stream.slip_seed.unwrap_or(seed), trial, stream.slip_key);
        let slip = days(&stream.slip_days, stream.slip_group, rng);
        state.slips.push(slip);
        outcome.inputs.push(slip as f64);
        if let Some(d) = &stream.disruption {
            let rng = &mut input_rng(d.probability_seed.unwrap_or(seed), trial, d.probability_key);
            let p = probability(
                &d.probability_spec,
                &d.weekly_probability,
                d.probability_group,
                rng,
            );
            state.disruption_p.push(p);
            outcome.inputs.push(p);
        } else {
            state.disruption_p.push(0.0);
        }
    }
    for (i, site) in model.sites.iter().enumerate() {
        let rng = &mut input_rng(site.install_seed.unwrap_or(seed), trial, site.install_key);
        let rate = continuous(
            &site.install_spec,
            &site.install_racks_per_day,
            site.install_group,
            rng,
        )
        .max(0.0);
        state.rates.push(rate);
        outcome.inputs.push(rate);
        for (k, phase) in site.phases.iter().enumerate() {
            let rng = &mut input_rng(phase.seed.unwrap_or(seed), trial, phase.key);
            // From a status: a phase not yet energized is energized after the status day (its
            // delay drawn given that); one energized and commissioned is dated by its draws,
            // moved back so that it is open, energized and usable in full by the status day.
            let status = model.status.as_ref().map(|status| {
                let day = status.day as i64;
                (day, k < status.sites[i].energized_phases)
            });
            let mut delay = match status {
                Some((day, false)) => {
                    days_above(&phase.delay_days, phase.group, rng, day - phase.planned_day)
                }
                _ => days(&phase.delay_days, phase.group, rng),
            };
            let mut commissioning = phase.commissioning_days.sample(rng).max(0);
            if let Some((day, true)) = status {
                let last = day + 1 - phase.ramp_days;
                let energized = (phase.planned_day + delay).min(last);
                let usable = (energized + commissioning).min(last);
                delay = energized - phase.planned_day;
                commissioning = usable - energized;
            }
            state.delays.push(delay);
            state.commissioning.push(commissioning);
            outcome.inputs.push(delay as f64);
        }
    }
    let rng = &mut input_rng(model.failure_seed.unwrap_or(seed), trial, model.failure_key);
    let p = probability(
        &model.failure_spec,
        &model.failure_probability,
        model.failure_group,
        rng,
    );
    outcome.inputs.push(p);
    p
}

/// Runs trial `trial` of `model` with `seed`. Its outcome is left in `state.outcome()`; with
/// [`Recorder::Record`] its daily series and outcome also go into the accumulator.
///
/// After the set-up (draw the inputs, schedule the deliveries and the power events, start from
/// the status if any), each day runs the steps of `docs/model.md`, "The day, step by step", one
/// function each.
pub fn run_trial(
    model: &Model,
    seed: u64,
    trial: u64,
    state: &mut TrialState,
    recorder: Recorder<'_>,
) {
    run_observed(model, seed, trial, state, recorder, None);
}

/// Runs trial `trial` of `model` with `seed` as [`run_trial`] does with [`Recorder::Record`],
/// and appends each site's [`SiteDay`] to `sites` at the end of every day (day-major: all sites
/// of day 0, then of day 1, …). The untraced [`run_trial`] compiles without this observer.
pub fn trace_trial(
    model: &Model,
    seed: u64,
    trial: u64,
    state: &mut TrialState,
    daily: &mut DailyBuffer,
    accumulator: &mut Accumulator,
    sites: &mut Vec<SiteDay>,
) {
    run_observed(
        model,
        seed,
        trial,
        state,
        Recorder::Record { daily, accumulator },
        Some(&mut |model, state, day, totals| trace_sites(model, state, day, totals, sites)),
    );
}

/// The trial itself: [`run_trial`], calling `observe`, if any, at the end of every day, after
/// the record. One function for both, so that the day's steps stay inlined into one loop (two
/// instances of a generic loop would each call them instead, 5% slower untraced).
#[allow(clippy::type_complexity)]
fn run_observed(
    model: &Model,
    seed: u64,
    trial: u64,
    state: &mut TrialState,
    mut recorder: Recorder<'_>,
    mut observe: Option<&mut dyn FnMut(&Model, &TrialState, usize, &Totals)>,
) {
    state.reset(model);
    let failure_probability = draw_inputs(model, seed, trial, state);
    state.failures.set(failure_probability);
    state.pulls.set(model.pulled_fraction);
    schedule_deliveries(model, seed, trial, state);
    // From a status, the days up to its date are not simulated.
    let first_day = model.status.as_ref().map_or(0, |status| status.day + 1);
    schedule_power(model, seed, trial, state, first_day);
    let mut totals = Totals::default();
    if let Some(status) = &model.status {
        start_from_status(model, status, state, &mut totals);
        apply_power(state, status.day as i64, &mut totals);
    }
    if model.unlimited_supply {
        stock_unlimited_supply(model, state);
    }
    state.operations_rng = input_rng(
        model.operations_seed.unwrap_or(seed),
        trial,
        model.operations_key,
    );
    if first_day > 0 {
        // From a status: the days up to the status day are not simulated; each shows the
        // status (probes, interruptions and the record as on a simulated day).
        if totals.online_gpus >= model.target_gpus {
            state.outcome.full_capacity_day = Some((first_day - 1) as u32);
        }
        for day in 0..first_day {
            end_day(model, state, day, &totals, &mut recorder);
            if let Some(observe) = observe.as_deref_mut() {
                observe(model, state, day, &totals);
            }
        }
    }
    for day in first_day..model.days {
        power_events(state, day, &mut totals);
        ship(model, state, day);
        arrivals(model, state, day, &mut totals);
        crews_and_install(model, state, day, &mut totals);
        power_on_and_burn_in(model, state, day, &mut totals);
        finish(model, state, day, &mut totals);
        reroute(model, state, day, &mut totals);
        end_day(model, state, day, &totals, &mut recorder);
        if let Some(observe) = observe.as_deref_mut() {
            observe(model, state, day, &totals);
        }
    }
    if let Recorder::Record { daily, accumulator } = recorder {
        accumulator.push(&state.outcome);
        if daily.end_trial() {
            accumulator.absorb(daily);
        }
    }
}

impl TrialState {
    /// Clears the state of the last trial.
    fn reset(&mut self, model: &Model) {
        self.limit_used_kw.fill(0.0);
        self.pool.fill(0);
        self.waiting.clear();
        self.awaiting_power.clear();
        self.testing.fill(0);
        self.pod_open.fill(0);
        self.inbound.fill(0);
        self.power.clear();
        self.ramps.clear();
        self.next_power_event = 0;
        self.next_probe = 0;
        let outcome = &mut self.outcome;
        outcome.inputs.clear();
        outcome.phase_energized_day.clear();
        outcome.site_online_racks_at_deadline.clear();
        outcome.shortfall_gpu_days = [0; Bottleneck::COUNT];
        outcome.waiting_rack_days = [0; Bottleneck::COUNT];
        outcome.waiting_usd_days = [0; Bottleneck::COUNT];
        self.waiting_days.fill(Waiting::default());
        self.idle_days = IdleDays::default();
        outcome.full_capacity_day = None;
        outcome.probes.resize(model.probes().len(), 0.0);
    }
}

/// Ships nothing yet: draws every stream's weekly batches into the shipping calendar
/// ([`deliver_stream`]) and seeds each stream's transit generator. From a status, the batches
/// it covers keep their transit draws, so later batches get the draws they get without one.
fn schedule_deliveries(model: &Model, seed: u64, trial: u64, state: &mut TrialState) {
    state.transit_rng.clear();
    for stream in &model.streams {
        state.transit_rng.push(input_rng(
            stream.transit_seed.unwrap_or(seed),
            trial,
            stream.transit_key,
        ));
    }
    if model.unlimited_supply {
        return;
    }
    for (k, stream) in model.streams.iter().enumerate() {
        let status = model
            .status
            .as_ref()
            .map(|x| (x.day as i64, x.delivered_racks[k]));
        let covered = deliver_stream(
            model,
            k,
            stream,
            state.slips[k],
            state.disruption_p[k],
            &mut input_rng(stream.weekly_seed.unwrap_or(seed), trial, stream.weekly_key),
            &mut state.shipped,
            status,
        );
        for _ in 0..covered {
            stream.transit_days.sample(&mut state.transit_rng[k]);
        }
    }
}

/// Sets up each site for the trial: its state (install rate, crews counting from `first_day`),
/// its phases' power events (open, energize, usable) sorted by day, and its bring-up generator.
fn schedule_power(model: &Model, seed: u64, trial: u64, state: &mut TrialState, first_day: usize) {
    state.bring_up_rng.clear();
    let mut phase_index = 0;
    for (i, site) in model.sites.iter().enumerate() {
        state.site[i] = SiteState {
            install_rate: state.rates[i],
            constant_crews: site.constant_crews(),
            crew_day: usize::MAX,
            // Crews start counting on the first simulated day.
            crew_through: first_day as i64 - 1,
            pace_valid_through: -1,
            ..SiteState::default()
        };
        state.phase_open[i].clear();
        for phase in &site.phases {
            let day = phase.planned_day + state.delays[phase_index];
            let commissioned = day + state.commissioning[phase_index];
            phase_index += 1;
            state.outcome.phase_energized_day.push(day);
            let it_kw = phase.facility_kw / site.pue;
            let open = day - site.install_lead_days;
            state.phase_open[i].push((open, it_kw));
            for (kind, from, kw) in [
                (PowerKind::Open, open, it_kw),
                (PowerKind::Energize, day, phase.facility_kw),
                (PowerKind::Usable, commissioned, it_kw),
            ] {
                if from < model.days as i64 {
                    state.power.push(PowerEvent {
                        day: from,
                        site: i,
                        kind,
                        kw,
                        ramp: if kind == PowerKind::Open {
                            1
                        } else {
                            phase.ramp_days
                        },
                        applied: 0.0,
                    });
                }
            }
        }
        state.phase_open[i].sort_by_key(|a| a.0);
        state.bring_up_rng.push(input_rng(
            site.bring_up_seed.unwrap_or(seed),
            trial,
            site.bring_up_key,
        ));
    }
    state.power.sort_by_key(|e| e.day);
}

/// Lifted supply: racks are always waiting at every site that accepts them (and in the pool).
fn stock_unlimited_supply(model: &Model, state: &mut TrialState) {
    let types = model.accelerators.len();
    for (i, site) in model.sites.iter().enumerate() {
        for a in 0..types {
            if site.accepts[a] {
                state.waiting.set(i * types + a, UNLIMITED);
            }
        }
    }
    if model.staging == Staging::Pool {
        state.pool.fill(UNLIMITED);
    }
}

/// Step 1, power events: phases open for racks, energize and commission (ramps day by day).
#[inline]
fn power_events(state: &mut TrialState, day: usize, totals: &mut Totals) {
    if state.next_power_event < state.power.len() || !state.ramps.is_empty() {
        apply_power(state, day as i64, totals);
    }
}

/// Step 2, ship: today's batches of every stream are assigned to sites (or the pool) and start
/// their transit.
#[inline]
fn ship(model: &Model, state: &mut TrialState, day: usize) {
    if model.unlimited_supply {
        return;
    }
    for k in 0..model.streams.len() {
        let n = std::mem::take(&mut state.shipped[day * model.streams.len() + k]);
        if n > 0 {
            ship_batch(model, state, k, u64::from(n), day);
        }
    }
}

/// Step 3, arrivals: delivered batches, reworked racks and moved racks reach their site.
#[inline]
fn arrivals(model: &Model, state: &mut TrialState, day: usize, totals: &mut Totals) {
    let due = std::mem::take(&mut state.arrivals_due[day]);
    if due != 0 {
        arrive(model, state, day, due, totals);
    }
}

/// Step 6, finish: burn-in, fixes and pod tests finishing today; then the full-capacity check.
#[inline]
fn finish(model: &Model, state: &mut TrialState, day: usize, totals: &mut Totals) {
    let due = std::mem::take(&mut state.bring_up_due[day]);
    if due != 0 {
        finish_bring_up(model, state, day, due, totals);
    }
    let outcome = &mut state.outcome;
    if outcome.full_capacity_day.is_none() && totals.online_gpus >= model.target_gpus {
        outcome.full_capacity_day = Some(day as u32);
    }
}

/// Step 7, reroute: racks stranded at sites without room move, if the scenario allows it.
#[inline]
fn reroute(model: &Model, state: &mut TrialState, day: usize, totals: &mut Totals) {
    if let Some(reroute) = model.reroute_days
        && model.staging == Staging::Site
        && !model.unlimited_supply
    {
        reroute_racks(model, state, day, reroute, totals);
    }
}

/// The end of `day`: probes, then steps 8 (interruptions) and 9 (record) in recorded runs, or
/// the deadline figures in outcome-only runs.
#[inline]
fn end_day(
    model: &Model,
    state: &mut TrialState,
    day: usize,
    totals: &Totals,
    recorder: &mut Recorder<'_>,
) {
    take_probes(model, state, day, totals);
    match recorder {
        Recorder::Record { daily, accumulator } => {
            let in_repair = interruptions(model, state, day, totals);
            record(model, state, day, totals, in_repair, daily, accumulator);
        }
        Recorder::OutcomeOnly => {
            if day == model.deadline_day {
                let outcome = &mut state.outcome;
                outcome.online_gpus_at_deadline = totals.online_gpus;
                outcome.available_gpus_at_deadline = totals.online_gpus;
                outcome.delivered_gpus_at_deadline = totals.delivered_gpus;
            }
        }
    }
}

/// Probes (observations): values at the end of the day, before interruptions.
#[inline]
fn take_probes(model: &Model, state: &mut TrialState, day: usize, totals: &Totals) {
    let schedule = model.probe_schedule();
    while let Some(&(probe_day, k)) = schedule.get(state.next_probe)
        && probe_day == day
    {
        let v = probe_value(model, state, totals, &model.probes()[k]);
        state.outcome.probes[k] = v;
        state.next_probe += 1;
    }
}

/// Step 8, interruptions: the GPUs out of service at today's snapshot. Each online GPU is
/// interrupted at `interruptions_per_gpu_day`, and each interruption keeps its GPU out for its
/// own repair time. GPUs out of service at today's snapshot are then Poisson with mean
/// Σ_j rate[today − j] · P(M > j) (an M/G/∞ queue), drawn afresh each day: every per-day
/// distribution is exact, the day-to-day correlation of outages is not simulated.
#[inline]
fn interruptions(model: &Model, state: &mut TrialState, day: usize, totals: &Totals) -> u64 {
    let rate = totals.online_gpus as f64 * model.interruptions_per_gpu_day;
    state.interruption_rate[day] = rate;
    if rate <= 0.0 {
        return 0;
    }
    let survival = &model.outage_survival;
    let from = (day + 1).saturating_sub(survival.len());
    let past = &state.interruption_rate[from..=day];
    let mean: f64 = past.iter().rev().zip(survival).map(|(r, p)| r * p).sum();
    // The mean is often the same as yesterday's (nothing came online): reuse its law.
    if state.outages.0.to_bits() != mean.to_bits() {
        state.outages = (mean, Poisson::new(mean).ok());
    }
    match &state.outages.1 {
        Some(law) => (law.sample(&mut state.operations_rng) as u64).min(totals.online_gpus),
        // No law: a mean of zero (nothing is out), or one past the Poisson law's range
        // (about 1.8e19, far above any GPU count: everything is out).
        None if mean > 0.0 => totals.online_gpus,
        None => 0,
    }
}

/// Step 9, record: the day's metrics, with where the missing GPUs are, and on the deadline day
/// the trial's deadline figures.
#[inline]
fn record(
    model: &Model,
    state: &mut TrialState,
    day: usize,
    totals: &Totals,
    in_repair: u64,
    daily: &mut DailyBuffer,
    accumulator: &mut Accumulator,
) {
    let types = model.accelerators.len();
    let n_sites = model.sites.len();
    let available = totals.online_gpus - in_repair;
    let staged: u64 = (0..types)
        .map(|a| {
            let racks = state.pool[a]
                + (0..n_sites)
                    .map(|i| state.waiting.get(i * types + a))
                    .sum::<u64>();
            racks * u64::from(model.accelerators[a].gpus_per_rack)
        })
        .sum();
    let fp8_pf = if totals.online_gpus > 0 {
        totals.online_fp8_pf * available as f64 / totals.online_gpus as f64
    } else {
        0.0
    };
    let mut split = std::mem::take(&mut state.waiting_split);
    // The split serves the money figures (up to the deadline) and the shortfall (below target);
    // with nothing staged neither reads it.
    if staged > 0 && (day <= model.deadline_day || totals.online_gpus < model.target_gpus) {
        waiting_by_cause(model, state, day, &mut split);
    }
    let short = shortfall(model, totals, staged, &split);
    if day <= model.deadline_day {
        for (total, v) in state.outcome.shortfall_gpu_days.iter_mut().zip(short) {
            *total += v;
        }
        let idle = &mut state.idle_days;
        idle.racks += totals.delivered_racks.saturating_sub(totals.online.racks);
        idle.usd += u128::from(totals.delivered_usd.saturating_sub(totals.online.usd));
        idle.held_racks += totals.awaiting_power.racks + totals.moving.racks;
        idle.held_usd += u128::from(totals.awaiting_power.usd) + u128::from(totals.moving.usd);
        if staged > 0 {
            for (sum, w) in state.waiting_days.iter_mut().zip(&split) {
                sum.install += w.install;
                sum.power += w.power;
                sum.space += w.space;
            }
        }
        if day == model.deadline_day {
            settle_idle_days(model, state);
        }
    }
    state.waiting_split = split;
    let missing = |b: Bottleneck| short[b as usize] as i64;
    // One straight-line store per metric (a `match` over `Metric::ALL` compiles to a loop with
    // a jump table, 2% of a trial); `every_metric_is_recorded` below makes a new metric a
    // compile error here.
    let mut values = [0i64; Metric::COUNT];
    values[Metric::DeliveredGpus as usize] = totals.delivered_gpus as i64;
    values[Metric::InstalledGpus as usize] = totals.installed_gpus as i64;
    values[Metric::OnlineGpus as usize] = totals.online_gpus as i64;
    values[Metric::AvailableGpus as usize] = available as i64;
    values[Metric::StagedGpus as usize] = staged as i64;
    values[Metric::EnergizedMw as usize] = floor(totals.energized_kw + 0.5);
    values[Metric::ItMwInUse as usize] = floor(totals.powered_it_kw + 0.5);
    values[Metric::StrandedMw as usize] =
        floor((totals.energized_kw - totals.powered_facility_kw).max(0.0) + 0.5);
    values[Metric::Fp8EflopsAvailable as usize] = floor(fp8_pf + 0.5);
    for b in Bottleneck::ALL {
        values[b.shortfall_metric() as usize] = missing(b);
    }
    values[Metric::CapitalDeployedUsd as usize] = thousands(totals.delivered_usd);
    values[Metric::IdleInventoryUsd as usize] =
        thousands(totals.delivered_usd.saturating_sub(totals.online.usd));
    daily.record_day(day, &values);
    accumulator.record_site_online(day, state.site.iter().map(|x| x.online_gpus));
    if day == model.deadline_day {
        let outcome = &mut state.outcome;
        outcome.online_gpus_at_deadline = totals.online_gpus;
        outcome.available_gpus_at_deadline = available;
        outcome.delivered_gpus_at_deadline = totals.delivered_gpus;
        outcome
            .site_online_racks_at_deadline
            .extend(state.site.iter().map(|x| x.online_racks));
    }
}

/// Appends every site's [`SiteDay`] at the end of `day` (traced trials only).
fn trace_sites(
    model: &Model,
    state: &TrialState,
    day: usize,
    totals: &Totals,
    sites: &mut Vec<SiteDay>,
) {
    let types = model.accelerators.len();
    for (i, site_state) in state.site.iter().enumerate() {
        let pairs = i * types..(i + 1) * types;
        let racks_staged = pairs.clone().map(|k| state.waiting.get(k)).sum();
        let racks_awaiting_power: u64 = pairs.map(|k| state.awaiting_power.get(k)).sum();
        sites.push(SiteDay {
            energized_mw: site_state.energized_kw / 1000.0,
            racks_staged,
            racks_awaiting_power,
            racks_in_bring_up: site_state.racks_on_floor
                - site_state.online_racks
                - racks_awaiting_power,
            racks_online: site_state.online_racks,
            held_by: site_held_by(model, state, i, day, totals),
        });
    }
}

/// What held site `i` at the end of `day`, in the words of [`Bottleneck`] (`docs/outputs.md`,
/// `trace-N.csv`): `None` once the fleet has reached the target. Otherwise the first stage, from
/// the crews on, where the site's racks are stuck: racks waiting with hall and floor room
/// (install: the crews would have set them today otherwise); installed without usable power, or
/// waiting without hall room under the power caps (power); waiting without floor room (space);
/// in burn-in, repair or pod acceptance (bring-up). A site with none of these is held by supply
/// if it has room for a rack, by space if only its floor is full, by power while a phase is
/// still to open or a power cap leaves its open halls unusable, and by nothing when it is built
/// out.
fn site_held_by(
    model: &Model,
    state: &TrialState,
    i: usize,
    day: usize,
    totals: &Totals,
) -> Option<Bottleneck> {
    if totals.online_gpus >= model.target_gpus {
        return None;
    }
    let types = model.accelerators.len();
    let site = &model.sites[i];
    let site_state = &state.site[i];
    let floor_room = site.max_racks - site_state.racks_on_floor;
    let hall_kw = room_it_kw(state, model, i, day);
    let (mut install, mut power, mut space) = (false, false, false);
    let mut awaiting = 0u64;
    let (mut has_room, mut has_power_room) = (false, false);
    for (a, rack) in model.accelerators.iter().enumerate() {
        let k = i * types + a;
        awaiting += state.awaiting_power.get(k);
        if !site.accepts[a] {
            continue;
        }
        let waiting = if model.staging == Staging::Site {
            state.waiting.get(k)
        } else {
            state.pool[a]
        };
        let power_room = whole_racks(hall_kw, rack.racks_per_kw);
        let fit = waiting.min(power_room).min(floor_room);
        install |= fit > 0;
        power |= waiting.min(floor_room) > fit;
        space |= waiting > floor_room;
        has_room |= power_room > 0 && floor_room > 0;
        has_power_room |= power_room > 0;
    }
    power |= awaiting > 0;
    let bring_up = site_state.racks_on_floor > site_state.online_racks + awaiting;
    let phase_to_open = state.phase_open[i]
        .iter()
        .any(|&(open, _)| open > day as i64);
    let capped = site_state.open_it_kw - site_state.committed_it_kw > hall_kw + EPS;
    [
        (install, Bottleneck::Install),
        (power, Bottleneck::Power),
        (space, Bottleneck::Space),
        (bring_up, Bottleneck::BringUp),
        (has_room, Bottleneck::Supply),
        (has_power_room, Bottleneck::Space),
        (phase_to_open || capped, Bottleneck::Power),
    ]
    .into_iter()
    .find_map(|(holds, kind)| holds.then_some(kind))
}

/// The metrics [`record`] records: adding a [`Metric`] fails to compile here until `record`
/// stores its value.
const fn every_metric_is_recorded(m: Metric) {
    match m {
        Metric::DeliveredGpus
        | Metric::InstalledGpus
        | Metric::OnlineGpus
        | Metric::AvailableGpus
        | Metric::StagedGpus
        | Metric::EnergizedMw
        | Metric::ItMwInUse
        | Metric::StrandedMw
        | Metric::Fp8EflopsAvailable
        // Stored through `Bottleneck::shortfall_metric`.
        | Metric::ShortfallSupplyGpus
        | Metric::ShortfallPowerGpus
        | Metric::ShortfallInstallGpus
        | Metric::ShortfallSpaceGpus
        | Metric::ShortfallBringUpGpus
        | Metric::CapitalDeployedUsd
        | Metric::IdleInventoryUsd => {}
    }
}

/// USD in whole thousands, rounded: the unit the money metrics are recorded in.
#[inline]
fn thousands(usd: u64) -> i64 {
    (usd.saturating_add(500) / 1000) as i64
}

/// Racks delivered but not online and their value, summed over a trial's days up to the
/// deadline: all of them, and those installed without usable power or moving between sites.
#[derive(Debug, Default, Clone, Copy)]
struct IdleDays {
    racks: u64,
    usd: u128,
    held_racks: u64,
    held_usd: u128,
}

/// Puts the trial's idle rack-days and USD-days by cause (`docs/model.md`, "Money") into its
/// outcome, in `Bottleneck::ALL` order: the waiting racks by what holds them (priced per type),
/// racks installed without power or moving between sites (power), and the rest, on a floor in
/// burn-in, repair or pod acceptance or pulled for rework (bring-up). Supply is 0: these racks
/// are delivered. Summed per day as totals and per type, priced once here: the day loop adds
/// only counts.
fn settle_idle_days(model: &Model, state: &mut TrialState) {
    let idle = state.idle_days;
    let mut racks = [0u64; Bottleneck::COUNT];
    let mut usd = [0u128; Bottleneck::COUNT];
    racks[Bottleneck::Power as usize] = idle.held_racks;
    usd[Bottleneck::Power as usize] = idle.held_usd;
    for (w, rack) in state.waiting_days.iter().zip(&model.accelerators) {
        for (cause, n) in [
            (Bottleneck::Install, w.install),
            (Bottleneck::Power, w.power),
            (Bottleneck::Space, w.space),
        ] {
            racks[cause as usize] += n;
            usd[cause as usize] += u128::from(n) * u128::from(rack.price_usd);
        }
    }
    racks[Bottleneck::BringUp as usize] = idle.racks.saturating_sub(racks.iter().sum());
    usd[Bottleneck::BringUp as usize] = idle.usd.saturating_sub(usd.iter().sum());
    state.outcome.waiting_rack_days = racks;
    state.outcome.waiting_usd_days = usd;
}

const _: () = every_metric_is_recorded(Metric::DeliveredGpus);

/// A probe's value at the end of today (`docs/model.md`, "Observations"). A site's deliveries
/// are the racks that arrived there new (reworked and rerouted racks are not counted again);
/// with the fleet pool, racks are assigned to a site only when installed, so a site's
/// deliveries are its installed racks.
fn probe_value(model: &Model, state: &TrialState, totals: &Totals, p: &Probe) -> f64 {
    let pool = model.staging == Staging::Pool || model.unlimited_supply;
    match (p.site.map(|i| &state.site[i]), p.metric) {
        (None, ObservedMetric::OnlineGpus) => totals.online_gpus as f64,
        (None, ObservedMetric::InstalledGpus) => totals.installed_gpus as f64,
        (None, ObservedMetric::DeliveredGpus) => totals.delivered_gpus as f64,
        (None, ObservedMetric::DeliveredRacks) => totals.delivered_racks as f64,
        (None, ObservedMetric::EnergizedMw) => totals.energized_kw / 1000.0,
        (Some(site_state), ObservedMetric::OnlineGpus) => site_state.online_gpus as f64,
        (Some(site_state), ObservedMetric::InstalledGpus) => site_state.installed_gpus as f64,
        (Some(site_state), ObservedMetric::DeliveredGpus) if pool => {
            site_state.installed_gpus as f64
        }
        (Some(site_state), ObservedMetric::DeliveredGpus) => site_state.delivered_gpus as f64,
        (Some(site_state), ObservedMetric::DeliveredRacks) if pool => {
            site_state.racks_on_floor as f64
        }
        (Some(site_state), ObservedMetric::DeliveredRacks) => site_state.delivered_racks as f64,
        (Some(site_state), ObservedMetric::EnergizedMw) => site_state.energized_kw / 1000.0,
    }
}

/// Step 1 (for [`power_events`]): applies the power events due by `day` and advances ramps in
/// progress. A ramp of R days that starts on day e has delivered min(1, (d − e + 1) / R) of its kW
/// by the end of day d (events dated before day 0 count from day 0 with the share they would have
/// reached).
fn apply_power(state: &mut TrialState, day: i64, totals: &mut Totals) {
    while let Some(&e) = state.power.get(state.next_power_event) {
        if e.day > day {
            break;
        }
        state.ramps.push(e);
        state.next_power_event += 1;
    }
    let mut k = 0;
    while k < state.ramps.len() {
        let e = &mut state.ramps[k];
        let share = ((day - e.day + 1) as f64 / e.ramp as f64).min(1.0);
        let delta = e.kw * share - e.applied;
        e.applied += delta;
        let site_state = &mut state.site[e.site];
        match e.kind {
            PowerKind::Open => site_state.open_it_kw += delta,
            PowerKind::Energize => {
                site_state.energized_kw += delta;
                totals.energized_kw += delta;
            }
            PowerKind::Usable => site_state.usable_it_kw += delta,
        }
        if share >= 1.0 {
            state.ramps.swap_remove(k);
        } else {
            k += 1;
        }
    }
}

/// The sites (or destinations) with calendar entries on a day: bit `min(i, 63)` for entry `i`,
/// so bit 63 stands for every index from 63 on.
type DueMask = u64;

/// The indices a [`DueMask`] covers, in order, out of `n`.
#[inline]
fn due_indices(mut mask: DueMask, n: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if mask == 0 {
            return None;
        }
        let b = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        Some(if b == 63 { 63..n } else { b..b + 1 })
    })
    .flatten()
}

/// Marks index `i` (a site or destination) as having calendar entries on `day`, if the day is
/// inside the horizon.
#[inline]
fn schedule(due: &mut [DueMask], day: i64, i: usize) -> Option<usize> {
    if day >= 0 && (day as usize) < due.len() {
        due[day as usize] |= 1 << i.min(63);
        Some(day as usize)
    } else {
        None
    }
}

/// Step 2 (for [`ship`]) for one stream's batch shipped today: draw its transit time and assign it
/// to destinations (`docs/model.md`, "Site-bound deliveries").
fn ship_batch(model: &Model, state: &mut TrialState, index: usize, n: u64, day: usize) {
    let stream = &model.streams[index];
    let a = stream.accelerator;
    let types = model.accelerators.len();
    let n_sites = model.sites.len();
    let dests = n_sites + 1;
    let arrival = (day as i64).saturating_add(
        stream
            .transit_days
            .sample(&mut state.transit_rng[index])
            .max(0),
    );
    let put = |state: &mut TrialState, dest: usize, k: u64| {
        if dest < n_sites {
            state.inbound[dest * types + a] += k;
        }
        if let Some(d) = schedule(&mut state.arrivals_due, arrival, dest) {
            let slot = &mut state.arrivals[(d * dests + dest) * types + a];
            slot.new = slot
                .new
                .saturating_add(u32::try_from(k).unwrap_or(u32::MAX));
        }
    };
    if model.staging == Staging::Pool {
        put(state, n_sites, n);
        return;
    }
    allocate(model, state, a, n, arrival, put);
}

/// Assigns `n` racks of type `a` that reach their destination on day `arrival` to sites by
/// planned room (site staging; `docs/model.md`, "Site-bound deliveries"): claims them at each
/// site and hands each share to `put(destination, racks)`, the destination being a site or, for
/// a type no site accepts, the pool (`sites.len()`).
fn allocate(
    model: &Model,
    state: &mut TrialState,
    a: usize,
    n: u64,
    arrival: i64,
    mut put: impl FnMut(&mut TrialState, usize, u64),
) {
    let n_sites = model.sites.len();
    let mut give = |state: &mut TrialState, dest: usize, k: u64| {
        if dest < n_sites {
            let site_state = &mut state.site[dest];
            site_state.claimed_kw += k as f64 * model.accelerators[a].rack_it_kw;
            site_state.claimed_racks += k;
        }
        put(state, dest, k);
    };
    let rack = &model.accelerators[a];
    // Planned room of site i by day `by` (phases planned to open by then), in racks of type a,
    // less what is already claimed.
    let room = |state: &TrialState, i: usize, by: i64| -> i64 {
        let site = &model.sites[i];
        if !site.accepts[a] {
            return i64::MIN;
        }
        let planned: f64 = site
            .phases
            .iter()
            .filter(|p| p.planned_day - site.install_lead_days <= by)
            .map(|p| p.facility_kw / site.pue)
            .sum();
        let site_state = &state.site[i];
        let by_power = floor((planned - site_state.claimed_kw) * rack.racks_per_kw + EPS);
        let by_floor = site
            .max_racks
            .saturating_sub(site_state.claimed_racks)
            .min(i64::MAX as u64) as i64;
        by_power.min(by_floor)
    };
    let mut left = n;
    for by in [arrival, i64::MAX] {
        while left > 0 {
            // (room, site) of the chosen site: the first with room, or the most room (ties
            // to the first).
            let mut pick: Option<(i64, usize)> = None;
            for i in 0..n_sites {
                let r = room(state, i, by);
                if r > 0 && pick.is_none_or(|(best, _)| r > best) {
                    pick = Some((r, i));
                    if model.policy == AllocationPolicy::Ordered {
                        break;
                    }
                }
            }
            let Some((r, i)) = pick else { break };
            let k = left.min(r as u64);
            give(state, i, k);
            left -= k;
        }
    }
    if left > 0 {
        // Every accepting site is fully claimed: the site with the most planned room overall
        // (the least over-claimed) takes the rest; with no accepting site, nobody does.
        let fallback = (0..n_sites)
            .filter(|&i| model.sites[i].accepts[a])
            .max_by_key(|&i| (room(state, i, i64::MAX), std::cmp::Reverse(i)));
        give(state, fallback.unwrap_or(n_sites), left);
    }
}

/// The state at the end of the status day (`docs/model.md`, "Starting from a status"): the
/// racks the status puts at each site (waiting, installed and waiting for power, online), their
/// claims, power and caps, and the deliveries; delivered racks the status puts at no site wait
/// where allocation by planned room sends them (site staging) or in the pool. Power comes from
/// the phase events, applied by the caller.
fn start_from_status(
    model: &Model,
    status: &StatusModel,
    state: &mut TrialState,
    totals: &mut Totals,
) {
    let types = model.accelerators.len();
    let n_sites = model.sites.len();
    for (i, (site, at)) in model.sites.iter().zip(&status.sites).enumerate() {
        for (a, rack) in model.accelerators.iter().enumerate() {
            let (staged, installed, online) = (at.staged[a], at.installed[a], at.online[a]);
            let (racks, on_floor) = (staged + installed + online, installed + online);
            if racks == 0 {
                continue;
            }
            let gpus = u64::from(rack.gpus_per_rack);
            let floor_kw = on_floor as f64 * rack.rack_it_kw;
            let online_kw = online as f64 * rack.rack_it_kw;
            let k = i * types + a;
            match model.staging {
                Staging::Site => state.waiting.add(k, staged),
                Staging::Pool => state.pool[a] += staged,
            }
            state.awaiting_power.add(k, installed);
            let site_state = &mut state.site[i];
            site_state.racks_on_floor += on_floor;
            site_state.installed_gpus += on_floor * gpus;
            site_state.committed_it_kw += floor_kw;
            site_state.powered_it_kw += online_kw;
            site_state.online_racks += online;
            site_state.online_gpus += online * gpus;
            site_state.claimed_kw += racks as f64 * rack.rack_it_kw;
            site_state.claimed_racks += racks;
            site_state.delivered_racks += racks;
            site_state.delivered_gpus += racks * gpus;
            for &l in &state.site_limits[i] {
                state.limit_used_kw[l] += floor_kw * site.pue;
            }
            totals.installed_gpus += on_floor * gpus;
            totals.awaiting_power_gpus += installed * gpus;
            totals.awaiting_power.add(installed, rack);
            totals.online_gpus += online * gpus;
            totals.online.add(online, rack);
            totals.online_fp8_pf += (online * gpus) as f64 * rack.fp8_pflops_per_gpu;
            totals.powered_it_kw += online_kw;
            totals.powered_facility_kw += online_kw * site.pue;
            if model.unlimited_supply {
                // Lifted supply counts racks as delivered when they are installed.
                totals.delivered_gpus += on_floor * gpus;
                totals.delivered_racks += on_floor;
                totals.delivered_usd = totals.delivered_usd.saturating_add(value(on_floor, rack));
            }
        }
    }
    if model.unlimited_supply {
        return;
    }
    for (a, rack) in model.accelerators.iter().enumerate() {
        let gpus = u64::from(rack.gpus_per_rack);
        let delivered: u64 = model
            .streams
            .iter()
            .zip(&status.delivered_racks)
            .filter(|(stream, _)| stream.accelerator == a)
            .map(|(_, &n)| n)
            .sum();
        totals.delivered_racks += delivered;
        totals.delivered_gpus += delivered * gpus;
        totals.delivered_usd = totals.delivered_usd.saturating_add(value(delivered, rack));
        let placed: u64 = status
            .sites
            .iter()
            .map(|x| x.staged[a] + x.installed[a] + x.online[a])
            .sum();
        let left = delivered.saturating_sub(placed);
        if left == 0 {
            continue;
        }
        if model.staging == Staging::Pool {
            state.pool[a] += left;
            continue;
        }
        allocate(
            model,
            state,
            a,
            left,
            status.day as i64,
            |state, dest, k| {
                if dest < n_sites {
                    state.waiting.add(dest * types + a, k);
                    state.site[dest].delivered_racks += k;
                    state.site[dest].delivered_gpus += k * gpus;
                } else {
                    state.pool[a] += k;
                }
            },
        );
    }
}

/// Step 3 (for [`arrivals`]): racks arriving today join their site's waiting racks (or the pool).
fn arrive(model: &Model, state: &mut TrialState, day: usize, due: DueMask, totals: &mut Totals) {
    let types = model.accelerators.len();
    let n_sites = model.sites.len();
    let dests = n_sites + 1;
    for dest in due_indices(due, dests) {
        for (a, rack) in model.accelerators.iter().enumerate() {
            let slot = std::mem::take(&mut state.arrivals[(day * dests + dest) * types + a]);
            let (new, reworked, moved) = (
                u64::from(slot.new),
                u64::from(slot.reworked),
                u64::from(slot.moved),
            );
            let all = new + reworked + moved;
            if all == 0 {
                continue;
            }
            let gpus = u64::from(rack.gpus_per_rack);
            totals.delivered_gpus += new * gpus;
            totals.delivered_racks += new;
            totals.delivered_usd = totals.delivered_usd.saturating_add(value(new, rack));
            totals.rework_gpus -= reworked * gpus;
            totals.moving_gpus -= moved * gpus;
            totals.moving.sub(moved, rack);
            if dest < n_sites {
                state.site[dest].delivered_racks += new;
                state.site[dest].delivered_gpus += new * gpus;
                state.inbound[dest * types + a] -= new + moved;
                state.waiting.add(dest * types + a, all);
            } else {
                state.pool[a] += all;
            }
        }
    }
}

/// The share of full pace of crews that started `days` ago: `mobilization_start` on their first
/// day (days = 0), rising linearly to 1 at `mobilization_days`.
#[inline]
fn mobilized(site: &crate::model::SiteModel, days: i64) -> f64 {
    if site.mobilization_days <= 0.0 {
        1.0
    } else {
        let ramp = (days as f64 / site.mobilization_days).min(1.0);
        site.mobilization_start + (1.0 - site.mobilization_start) * ramp
    }
}

/// What the crews of site `i` can still install today: day d's whole-rack increment of the
/// crews' running capacity, less what was installed today. A constant pace r gives
/// ⌊r(d + 1)⌋ − ⌊rd⌋; a pace that changes (mobilization, crews per phase, a ceiling) gives the
/// whole-rack increments of its running total. Unused capacity is never banked. Worked out the
/// first time a day asks: most site-days have nothing to install.
#[inline]
fn crews_left(model: &Model, state: &mut TrialState, i: usize, day: usize) -> u64 {
    let site_state = &mut state.site[i];
    if site_state.crew_day != day {
        if site_state.constant_crews {
            let (r, d) = (site_state.install_rate, day as i64);
            site_state.crew_left = (floor(r * (d + 1) as f64) - floor(r * d as f64)).max(0) as u64;
        } else {
            advance_crews(
                &model.sites[i],
                &state.phase_open[i],
                site_state,
                day as i64,
            );
        }
        site_state.crew_day = day;
    }
    site_state.crew_left
}

/// Adds a site's pace of every day after the last one added, through `day`, to its running
/// crew capacity (paces that change), and sets `crew_left` to `day`'s increment. The days are
/// added one by one, as if each were stepped, so the running total does not depend on which
/// days asked. The pace of a day depends on the racks on the floor at its start, so callers
/// advance a site before anything changes its floor.
fn advance_crews(
    site: &crate::model::SiteModel,
    phases: &[(i64, f64)],
    site_state: &mut SiteState,
    day: i64,
) {
    while site_state.crew_through < day {
        let d = site_state.crew_through + 1;
        // The pace holds while no crew is mobilizing, no phase opens and the racks on the
        // floor are the same.
        if d > site_state.pace_valid_through
            || site_state.pace_committed_kw.to_bits() != site_state.committed_it_kw.to_bits()
        {
            let (pace, valid_through) = crew_pace(site, phases, site_state, d);
            site_state.pace = pace.min(site.max_install_racks_per_day);
            site_state.pace_valid_through = valid_through;
            site_state.pace_committed_kw = site_state.committed_it_kw;
        }
        let before = site_state.crew_capacity;
        site_state.crew_capacity += site_state.pace;
        site_state.crew_left =
            (floor(site_state.crew_capacity + EPS) - floor(before + EPS)).max(0) as u64;
        site_state.crew_through = d;
    }
}

/// A site's crew pace on day `d` (racks/day, before the site's ceiling), and the last day it
/// holds if the racks on the floor stay the same.
fn crew_pace(
    site: &crate::model::SiteModel,
    phases: &[(i64, f64)],
    site_state: &SiteState,
    d: i64,
) -> (f64, i64) {
    let r = site_state.install_rate;
    // A crew that started on `open` works at a pace that changes daily until it is mobilized.
    // (d − open ≥ mobilization_days puts the ramp at exactly 1; nearer days count as changing.)
    let mobilizing = |open: i64| ((d - open) as f64) < site.mobilization_days;
    let next_open = phases
        .iter()
        .map(|&(open, _)| open)
        .find(|&open| open > d)
        .unwrap_or(i64::MAX);
    let mut valid_through = next_open.saturating_sub(1);
    if site.crews_per_phase {
        // Phases are fitted out in the order they open: a phase's crews work while the
        // racks on the floor have not yet filled it and the phases opened before it.
        let mut filled = site_state.committed_it_kw;
        let mut pace = 0.0;
        for &(open, kw) in phases {
            if open > d {
                break;
            }
            if filled + EPS >= kw {
                filled -= kw;
                continue;
            }
            filled = 0.0;
            pace += r * mobilized(site, d - open);
            if mobilizing(open) {
                valid_through = d;
            }
        }
        (pace, valid_through)
    } else {
        match phases.first() {
            Some(&(open, _)) if open <= d => {
                if mobilizing(open) {
                    valid_through = d;
                }
                (r * mobilized(site, d - open), valid_through)
            }
            _ => (0.0, valid_through),
        }
    }
}

/// IT kW of hall room at site `i` for more racks today: its open design room, and the room
/// under every power cap that applies to it (caps count facility power, so their room is divided
/// by PUE).
#[inline]
fn room_it_kw(state: &TrialState, model: &Model, i: usize, day: usize) -> f64 {
    let site_state = &state.site[i];
    let mut room = site_state.open_it_kw - site_state.committed_it_kw;
    let limits = &state.site_limits[i];
    if !limits.is_empty() {
        let pue = model.sites[i].pue;
        for &l in limits {
            let cap = model.limits[l].cap_kw_by_day[day];
            room = room.min((cap - state.limit_used_kw[l]) / pue);
        }
    }
    room
}

/// Whole racks that fit in `it_kw` of IT power at `racks_per_kw`.
#[inline]
fn whole_racks(it_kw: f64, racks_per_kw: f64) -> u64 {
    let racks = it_kw * racks_per_kw;
    // Through i64: a float-to-u64 conversion is a multi-instruction sequence on x86-64.
    if racks <= 0.0 {
        0
    } else {
        (racks + EPS) as i64 as u64
    }
}

/// Step 4, crews and install: installs where racks wait, following the staging and allocation
/// policy; each site's crews are worked out the first time a day asks ([`crews_left`]).
fn crews_and_install(model: &Model, state: &mut TrialState, day: usize, totals: &mut Totals) {
    let types = model.accelerators.len();
    let n_sites = model.sites.len();
    if model.staging == Staging::Site {
        for_each_pair(
            state,
            |state| &state.waiting,
            |state, k| {
                let (i, a) = (k / types, k % types);
                let n = state.waiting.get(k);
                if n > 0 && crews_left(model, state, i, day) > 0 {
                    place(model, state, i, a, n, day, totals);
                }
            },
        );
        return;
    }
    if model.policy == AllocationPolicy::MostHeadroom {
        // Insertion sort by spare room, descending; ties keep file order.
        let site_states = &state.site;
        let headroom = |i: usize| site_states[i].open_it_kw - site_states[i].committed_it_kw;
        for k in 1..n_sites {
            let mut j = k;
            while j > 0 {
                let (x, y) = (state.order[j - 1], state.order[j]);
                if headroom(y) > headroom(x) || (headroom(y) == headroom(x) && y < x) {
                    state.order.swap(j - 1, j);
                    j -= 1;
                } else {
                    break;
                }
            }
        }
    }
    for a in 0..types {
        for k in 0..n_sites {
            if state.pool[a] == 0 {
                break;
            }
            let i = state.order[k];
            if model.sites[i].accepts[a] {
                let placed = place(model, state, i, a, state.pool[a], day, totals);
                if !model.unlimited_supply {
                    state.pool[a] -= placed;
                }
            }
        }
    }
}

/// Installs up to `offered` racks of type `a` at site `i` today; returns how many. Racks taken
/// from the site's own waiting racks are removed there.
fn place(
    model: &Model,
    state: &mut TrialState,
    i: usize,
    a: usize,
    offered: u64,
    day: usize,
    totals: &mut Totals,
) -> u64 {
    let site = &model.sites[i];
    let rack = &model.accelerators[a];
    if crews_left(model, state, i, day) == 0 {
        return 0;
    }
    let site_state = &state.site[i];
    if site_state.racks_on_floor >= site.max_racks {
        return 0;
    }
    let n = offered
        .min(site_state.crew_left)
        .min(site.max_racks - site_state.racks_on_floor)
        .min(whole_racks(
            room_it_kw(state, model, i, day),
            rack.racks_per_kw,
        ));
    if n == 0 {
        return 0;
    }
    let types = model.accelerators.len();
    if model.staging == Staging::Site && !model.unlimited_supply {
        state.waiting.sub(i * types + a, n);
    }
    if model.unlimited_supply {
        totals.delivered_gpus += n * u64::from(rack.gpus_per_rack);
        totals.delivered_racks += n;
        totals.delivered_usd = totals.delivered_usd.saturating_add(value(n, rack));
    }
    state.awaiting_power.add(i * types + a, n);
    totals.awaiting_power.add(n, rack);
    let gpus = n * u64::from(rack.gpus_per_rack);
    totals.installed_gpus += gpus;
    totals.awaiting_power_gpus += gpus;
    let site_state = &mut state.site[i];
    site_state.crew_left -= n;
    site_state.racks_on_floor += n;
    site_state.installed_gpus += gpus;
    let it_kw = n as f64 * rack.rack_it_kw;
    site_state.committed_it_kw += it_kw;
    for &l in &state.site_limits[i] {
        state.limit_used_kw[l] += it_kw * site.pue;
    }
    n
}

/// Step 5, power-on and burn-in: racks installed and waiting for power start burn-in as far as
/// commissioned power allows, rack types in model order. Each (site, type) batch draws its burn-in
/// length and its failures.
fn power_on_and_burn_in(model: &Model, state: &mut TrialState, day: usize, totals: &mut Totals) {
    let types = model.accelerators.len();
    let n_sites = model.sites.len();
    for_each_pair(
        state,
        |state| &state.awaiting_power,
        |state, k| {
            let (i, a) = (k / types, k % types);
            let rack = &model.accelerators[a];
            let site_state = &state.site[i];
            let n = state.awaiting_power.get(k).min(whole_racks(
                site_state.usable_it_kw - site_state.powered_it_kw,
                rack.racks_per_kw,
            ));
            if n == 0 {
                return;
            }
            state.awaiting_power.sub(k, n);
            state.testing[k] += n;
            totals.awaiting_power_gpus -= n * u64::from(rack.gpus_per_rack);
            totals.awaiting_power.sub(n, rack);
            let it_kw = n as f64 * rack.rack_it_kw;
            state.site[i].powered_it_kw += it_kw;
            totals.powered_it_kw += it_kw;
            totals.powered_facility_kw += it_kw * model.sites[i].pue;
            // One burn-in duration and one failure draw per site-day batch.
            let rng = &mut state.bring_up_rng[i];
            let done = (day as i64).saturating_add(model.burn_in_days.sample(rng).max(0));
            let failed = state.failures.sample(rng, n);
            if let Some(done) = schedule(&mut state.bring_up_due, done, i) {
                let slot = &mut state.bring_up[(done * n_sites + i) * types + a];
                slot.pass += (n - failed) as u32;
                slot.fail += failed as u32;
            }
        },
    );
}

/// Racks of type `a` at site `i` that passed burn-in (or their fix) today: they join the
/// site's open pod, or go online at once without pods.
fn passed(
    model: &Model,
    state: &mut TrialState,
    i: usize,
    a: usize,
    n: u64,
    day: usize,
    totals: &mut Totals,
) {
    let types = model.accelerators.len();
    state.testing[i * types + a] -= n;
    let pod = model.sites[i].pod_racks;
    if pod == 0 {
        go_online(model, state, i, a, n, totals);
        return;
    }
    state.pod_open[i * types + a] += n;
    while state.pod_open[i * types + a] >= pod {
        state.pod_open[i * types + a] -= pod;
        accept_pod(model, state, i, a, pod, day, totals);
    }
}

/// A pod of `n` racks starts its acceptance test today.
fn accept_pod(
    model: &Model,
    state: &mut TrialState,
    i: usize,
    a: usize,
    n: u64,
    day: usize,
    totals: &mut Totals,
) {
    let test = model.sites[i]
        .pod_acceptance_days
        .sample(&mut state.bring_up_rng[i])
        .max(0);
    if test == 0 {
        go_online(model, state, i, a, n, totals);
    } else if let Some(d) = schedule(
        &mut state.bring_up_due,
        (day as i64).saturating_add(test),
        i,
    ) {
        let types = model.accelerators.len();
        state.bring_up[(d * model.sites.len() + i) * types + a].pods += n as u32;
    }
}

fn go_online(
    model: &Model,
    state: &mut TrialState,
    i: usize,
    a: usize,
    n: u64,
    totals: &mut Totals,
) {
    let rack = &model.accelerators[a];
    let gpus = n * u64::from(rack.gpus_per_rack);
    let site_state = &mut state.site[i];
    site_state.online_racks += n;
    site_state.online_gpus += gpus;
    totals.online_gpus += gpus;
    totals.online.add(n, rack);
    totals.online_fp8_pf += gpus as f64 * rack.fp8_pflops_per_gpu;
}

/// Step 6: burn-in batches, fixes and pod tests finishing today, site by site (for [`finish`]).
fn finish_bring_up(
    model: &Model,
    state: &mut TrialState,
    day: usize,
    due: DueMask,
    totals: &mut Totals,
) {
    let types = model.accelerators.len();
    let n_sites = model.sites.len();
    for i in due_indices(due, n_sites) {
        let site = &model.sites[i];
        let mut changed = false;
        for (a, rack) in model.accelerators.iter().enumerate() {
            let at = (day * n_sites + i) * types + a;
            let done = std::mem::take(&mut state.bring_up[at]);
            if done == BringUpDay::default() {
                continue;
            }
            let (pass, fail, fixed_today, pods_today) =
                (done.pass, done.fail, done.fixed, done.pods);
            changed = true;
            if pass > 0 {
                passed(model, state, i, a, u64::from(pass), day, totals);
            }
            if fail > 0 {
                // Failures: a pulled share leaves the floor for rework, the rest are fixed in
                // place (one fix draw and, if any are pulled, one rework draw per batch).
                let fail = u64::from(fail);
                let rng = &mut state.bring_up_rng[i];
                let pulled = state.pulls.sample(rng, fail);
                let fixed = fail - pulled;
                if fixed > 0 {
                    let fix = model.fix_in_place_days.sample(rng).max(0);
                    if fix == 0 {
                        passed(model, state, i, a, fixed, day, totals);
                    } else if let Some(d) =
                        schedule(&mut state.bring_up_due, (day as i64).saturating_add(fix), i)
                    {
                        state.bring_up[(d * n_sites + i) * types + a].fixed += fixed as u32;
                    }
                }
                if pulled > 0 {
                    let gpus = u64::from(rack.gpus_per_rack);
                    let it_kw = pulled as f64 * rack.rack_it_kw;
                    state.testing[i * types + a] -= pulled;
                    let site_state = &mut state.site[i];
                    if !site_state.constant_crews {
                        // Today's pace was set by the floor before these racks left it.
                        advance_crews(site, &state.phase_open[i], site_state, day as i64);
                    }
                    site_state.racks_on_floor -= pulled;
                    site_state.installed_gpus -= pulled * gpus;
                    site_state.committed_it_kw -= it_kw;
                    site_state.powered_it_kw -= it_kw;
                    totals.powered_it_kw -= it_kw;
                    totals.powered_facility_kw -= it_kw * site.pue;
                    totals.installed_gpus -= pulled * gpus;
                    totals.rework_gpus += pulled * gpus;
                    for &l in &state.site_limits[i] {
                        state.limit_used_kw[l] -= it_kw * site.pue;
                    }
                    // Today's install step is over, so a rack is back on the day its rework
                    // ends but never before tomorrow.
                    let back = (day as i64).saturating_add(
                        model.rework_days.sample(&mut state.bring_up_rng[i]).max(1),
                    );
                    let dest = if model.staging == Staging::Site {
                        i
                    } else {
                        n_sites
                    };
                    if let Some(d) = schedule(&mut state.arrivals_due, back, dest) {
                        state.arrivals[(d * (n_sites + 1) + dest) * types + a].reworked +=
                            pulled as u32;
                    }
                }
            }
            if fixed_today > 0 {
                passed(model, state, i, a, u64::from(fixed_today), day, totals);
            }
            if pods_today > 0 {
                go_online(model, state, i, a, u64::from(pods_today), totals);
            }
        }
        // A partial pod is tested once nothing else at its site can join it soon: no rack of
        // its type in burn-in or fix, none installed waiting for power, and none delivered
        // that the site has hall room and floor for (those wait only for crews).
        if changed && site.pod_racks > 0 {
            for a in 0..types {
                let k = i * types + a;
                let open = state.pod_open[k];
                if open > 0
                    && state.testing[k] == 0
                    && state.awaiting_power.get(k) == 0
                    && !installable_soon(model, state, i, a, day)
                {
                    state.pod_open[k] = 0;
                    accept_pod(model, state, i, a, open, day, totals);
                }
            }
        }
    }
}

/// Whether racks of type `a` are delivered and waiting for site `i` (at the site, or in the
/// pool if it accepts them) and the site has hall room and floor for at least one: only crews
/// hold them back.
fn installable_soon(model: &Model, state: &TrialState, i: usize, a: usize, day: usize) -> bool {
    let site = &model.sites[i];
    let waiting = match model.staging {
        Staging::Site => state.waiting.get(i * model.accelerators.len() + a),
        Staging::Pool => state.pool[a],
    };
    waiting > 0
        && site.accepts[a]
        && state.site[i].racks_on_floor < site.max_racks
        && whole_racks(
            room_it_kw(state, model, i, day),
            model.accelerators[a].racks_per_kw,
        ) > 0
}

/// Step 7 (for [`reroute`]): racks waiting at a site beyond its hall room (power or floor) move to
/// sites with room they have not already claimed, arriving `reroute` days later.
fn reroute_racks(
    model: &Model,
    state: &mut TrialState,
    day: usize,
    reroute: i64,
    totals: &mut Totals,
) {
    let types = model.accelerators.len();
    let n_sites = model.sites.len();
    let room = |state: &TrialState, i: usize, a: usize| -> u64 {
        let site = &model.sites[i];
        if !site.accepts[a] {
            return 0;
        }
        let power = whole_racks(
            room_it_kw(state, model, i, day),
            model.accelerators[a].racks_per_kw,
        );
        power.min(site.max_racks - state.site[i].racks_on_floor)
    };
    for a in 0..types {
        for i in 0..n_sites {
            let k = i * types + a;
            let surplus = state.waiting.get(k).saturating_sub(room(state, i, a));
            if surplus == 0 {
                continue;
            }
            let mut left = surplus;
            for j in 0..n_sites {
                if j == i || left == 0 {
                    continue;
                }
                let free = room(state, j, a).saturating_sub(
                    state.waiting.get(j * types + a) + state.inbound[j * types + a],
                );
                let n = left.min(free);
                if n == 0 {
                    continue;
                }
                let Some(d) = schedule(
                    &mut state.arrivals_due,
                    (day as i64).saturating_add(reroute),
                    j,
                ) else {
                    return;
                };
                left -= n;
                state.waiting.sub(k, n);
                state.inbound[j * types + a] += n;
                state.arrivals[(d * (n_sites + 1) + j) * types + a].moved += n as u32;
                let kw = n as f64 * model.accelerators[a].rack_it_kw;
                state.site[i].claimed_kw -= kw;
                state.site[i].claimed_racks -= n;
                state.site[j].claimed_kw += kw;
                state.site[j].claimed_racks += n;
                totals.moving_gpus += n * u64::from(model.accelerators[a].gpus_per_rack);
                totals.moving.add(n, &model.accelerators[a]);
            }
        }
    }
}

/// Racks of one type delivered and waiting to be installed, by what holds them.
#[derive(Debug, Clone, Copy, Default)]
struct Waiting {
    /// With power and floor room: waiting for crews.
    install: u64,
    /// With floor room but no power room.
    power: u64,
    /// Without floor room, or accepted by no site.
    space: u64,
}

/// Splits today's waiting racks of each rack type (at sites, or in the pool) into `split[a]` by
/// what holds them (`docs/model.md`, "Where the missing GPUs are"): as many as both the power
/// room and the floor room take wait for crews; of the rest, those the floor takes wait for
/// power; the others for space.
fn waiting_by_cause(model: &Model, state: &TrialState, day: usize, split: &mut [Waiting]) {
    let types = model.accelerators.len();
    let n_sites = model.sites.len();
    for ((a, rack), out) in model.accelerators.iter().enumerate().zip(split) {
        *out = Waiting::default();
        // (waiting racks, power room, floor room) split into crews / power / space.
        let mut divide = |w: u64, p: u64, f: u64| {
            let inst = w.min(p).min(f);
            out.install += inst;
            out.power += w.min(f) - inst;
            out.space += w - w.min(f);
        };
        let room = |i: usize| {
            let site = &model.sites[i];
            let p = whole_racks(room_it_kw(state, model, i, day), rack.racks_per_kw);
            (p, site.max_racks - state.site[i].racks_on_floor)
        };
        if model.staging == Staging::Site {
            for i in 0..n_sites {
                let w = state.waiting.get(i * types + a);
                if w > 0 {
                    let (p, f) = room(i);
                    divide(w, p, f);
                }
            }
            // Racks that no site accepts: nowhere to put them.
            out.space += state.pool[a];
        } else if state.pool[a] > 0 {
            let (mut p, mut f) = (0u64, 0u64);
            for i in (0..n_sites).filter(|&i| model.sites[i].accepts[a]) {
                let (pi, fi) = room(i);
                p = p.saturating_add(pi);
                f = f.saturating_add(fi);
            }
            divide(state.pool[a], p, f);
        }
    }
}

/// Where today's missing GPUs (target − online, if positive) are, by cause, in
/// `Bottleneck::ALL` order (`docs/model.md`, "Where the missing GPUs are"), given the GPUs
/// staged and the waiting racks' split ([`waiting_by_cause`], read only when some are staged).
/// Racks nearest to online fill the gap first: bring-up, then waiting for crews, power and
/// floor; what is left is not yet delivered.
fn shortfall(
    model: &Model,
    totals: &Totals,
    staged_gpus: u64,
    waiting: &[Waiting],
) -> [u64; Bottleneck::COUNT] {
    let mut out = [0u64; Bottleneck::COUNT];
    let Some(mut left) = model.target_gpus.checked_sub(totals.online_gpus) else {
        return out;
    };
    if left == 0 {
        return out;
    }
    let bring_up = totals.installed_gpus - totals.online_gpus - totals.awaiting_power_gpus
        + totals.rework_gpus;
    let (mut crews, mut power, mut space) =
        (0u64, totals.awaiting_power_gpus + totals.moving_gpus, 0u64);
    // Waiting racks only matter if any wait and bring-up (filled first) does not already cover
    // the gap.
    let waiting_matter = staged_gpus > 0 && bring_up < left;
    for (w, rack) in waiting
        .iter()
        .zip(&model.accelerators)
        .filter(|_| waiting_matter)
    {
        let gpus = u64::from(rack.gpus_per_rack);
        crews += w.install * gpus;
        power += w.power * gpus;
        space += w.space * gpus;
    }
    for (kind, amount) in [
        (Bottleneck::BringUp, bring_up),
        (Bottleneck::Install, crews),
        (Bottleneck::Power, power),
        (Bottleneck::Space, space),
    ] {
        let take = left.min(amount);
        out[kind as usize] = take;
        left -= take;
    }
    out[Bottleneck::Supply as usize] = left;
    out
}

/// Schedules one stream's weekly batches into `shipped`. Week `k` of the plan covers days
/// `[7k, 7k + 7)` and ships on day `max(0, 7k + 6 + slip)`. Noise and disruptions are drawn for
/// every planned week in order, whether or not it lands inside the horizon, so that a slip does
/// not change which draw a week gets.
///
/// From a status `(status day, racks delivered)`, the batches due on or before the status day
/// are the status's: they are drawn but not shipped, later batches are the whole racks the
/// running total gains after them, and the cap counts the racks delivered. Returns how many
/// batches the status covers (batches of at least one rack inside the horizon).
#[allow(clippy::too_many_arguments)]
fn deliver_stream(
    model: &Model,
    index: usize,
    stream: &StreamModel,
    slip: i64,
    disruption_probability: f64,
    rng: &mut TrialRng,
    shipped: &mut [u32],
    status: Option<(i64, u64)>,
) -> usize {
    let streams = model.streams.len();
    let cap = stream.cap_racks.unwrap_or(u64::MAX);
    let (status_day, status_racks) = status.unwrap_or((-1, 0));
    let cap_after = cap.saturating_sub(status_racks);
    // Whole racks of the weeks the status covers, and how many batches they made.
    let mut covered_racks = 0u64;
    let mut covered = 0usize;
    let mut cumulative = 0.0f64;
    let mut delivered = 0u64;
    let mut disrupted_weeks = 0i64;
    let mut severity = 0.0;
    for (j, &planned) in stream.planned_racks.iter().enumerate() {
        let mut factor = 1.0;
        if let Some(d) = &stream.disruption {
            if disrupted_weeks == 0 && rng.random::<f64>() < disruption_probability {
                disrupted_weeks = d.duration_weeks.sample(rng).max(1);
                severity = d.severity.sample(rng).clamp(0.0, 1.0);
            }
            if disrupted_weeks > 0 {
                factor = 1.0 - severity;
                disrupted_weeks -= 1;
            }
        }
        let noise = stream.noise.sample(rng).max(0.0);
        cumulative += planned * noise * factor;
        // A batch due before the start ships on the start day (as a phase energized before
        // the start counts from day 0); one due after the horizon is not simulated.
        let day = (7 * (stream.first_week + j as i64) + 6)
            .saturating_add(slip)
            .max(0);
        let total = floor(cumulative + EPS).max(0) as u64;
        if day <= status_day {
            if total.min(cap) > covered_racks.min(cap) {
                covered += 1;
            }
            covered_racks = total;
            continue;
        }
        // Whole racks: deliver the whole part of the running total, so rounding never drifts.
        let whole = total.saturating_sub(covered_racks).min(cap_after);
        let batch = whole.saturating_sub(delivered);
        delivered = delivered.max(whole);
        if batch > 0 && (day as usize) < model.days {
            let slot = &mut shipped[day as usize * streams + index];
            *slot = slot.saturating_add(u32::try_from(batch).unwrap_or(u32::MAX));
        }
    }
    covered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::seed::test_rng;
    use crate::test_support::TestScenario;

    #[test]
    fn binomial_inversion_has_the_right_mean_and_variance() {
        // 100,000 draws of Binomial(20, 0.15): mean 3, variance 2.55, SE of the mean 0.005;
        // the same from the table (n <= 32) and from powi (n = 40, mean 6, variance 5.1).
        let binomial = |rng: &mut TrialRng, n: u64, p: f64| Binomial01::new(p).sample(rng, n);
        let mut rng = test_rng(3);
        let draws = 100_000;
        for (n, p) in [(20, 0.15), (40, 0.15)] {
            let b = Binomial01::new(p);
            let xs: Vec<f64> = (0..draws).map(|_| b.sample(&mut rng, n) as f64).collect();
            let mean = xs.iter().sum::<f64>() / draws as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (draws - 1) as f64;
            let (m, v) = (n as f64 * p, n as f64 * p * (1.0 - p));
            assert!(
                (mean - m).abs() < 5.0 * (v / draws as f64).sqrt(),
                "{n}: {mean}"
            );
            assert!((var - v).abs() < 0.05 * v, "{n}: {var}");
        }
        assert_eq!(binomial(&mut rng, 0, 0.5), 0);
        assert_eq!(binomial(&mut rng, 10, 0.0), 0);
        assert_eq!(binomial(&mut rng, 10, 1.0), 10);
        // q^n underflows here; the draw must still be plausible (mean 240, sd < 4).
        let k = binomial(&mut rng, 250, 0.96);
        assert!((220..=250).contains(&k), "{k}");
        // The table holds powi's values, so the draws do not depend on the batch size path.
        let b = Binomial01::new(0.3);
        assert!((0..=SMALL_BATCH).all(|n| b.q_pow[n] == 0.7f64.powi(n as i32)));
    }

    #[test]
    fn pair_counts_visit_exactly_the_non_zero_pairs_in_order() {
        // 130 pairs span three words of the set.
        let model = small_model();
        let mut s = TrialState::new(&model);
        s.waiting = PairCounts::new(130);
        for k in [129, 0, 64, 63, 5, 70] {
            s.waiting.add(k, 2);
        }
        s.waiting.sub(70, 2);
        s.waiting.set(5, 0);
        s.waiting.sub(63, 1);
        let mut seen = Vec::new();
        for_each_pair(
            &mut s,
            |s| &s.waiting,
            |s, k| {
                seen.push((k, s.waiting.get(k)));
                // Emptying a pair while walking does not disturb the walk.
                s.waiting.set(k, 0);
            },
        );
        assert_eq!(seen, [(0, 2), (63, 1), (64, 2), (129, 2)]);
        let mut after = 0;
        for_each_pair(&mut s, |s| &s.waiting, |_, _| after += 1);
        assert_eq!(after, 0);
        assert!(s.waiting.counts.iter().all(|&n| n == 0));
    }

    #[test]
    fn due_masks_name_each_index_once_and_fold_the_rest_into_bit_63() {
        let mut due = vec![0; 3];
        for i in [0, 5, 5, 62, 63, 70] {
            schedule(&mut due, 1, i);
        }
        assert_eq!(schedule(&mut due, 3, 0), None, "outside the horizon");
        assert_eq!(schedule(&mut due, -1, 0), None, "before the start");
        assert_eq!(due[0], 0);
        let got: Vec<usize> = due_indices(due[1], 72).collect();
        // Bit 63 stands for every index from 63 on; the day's slots of the others are empty.
        let mut want = vec![0, 5, 62];
        want.extend(63..72);
        assert_eq!(got, want);
        assert_eq!(due_indices(0, 72).count(), 0);
    }

    /// One site, power from day 0, 10 racks a week, failures and zero-day rework.
    fn small_model() -> Model {
        let text = TestScenario::new("small")
            .dates("2026-03-01", "2026-04-01")
            .target_gpus(720)
            .supply(10, "2026-03-01")
            .site("a", 1.2, 3, "{ mw = 50, planned = 2025-12-01 }")
            .site_key("pod_racks = 4")
            .site_key(r#"pod_acceptance_days = { kind = "uniform", min = 0, max = 3 }"#)
            .table(
                r#"[bring_up]
burn_in_days = { kind = "uniform", min = 0, max = 3 }
failure_probability = 0.3
pulled_fraction = 0.5
fix_in_place_days = { kind = "uniform", min = 0, max = 4 }
rework_days = 0"#,
            )
            .text();
        let s = crate::scenario::parse(&text, std::path::Path::new("small.toml")).unwrap();
        Model::compile(&s).unwrap()
    }

    fn record<'a>(daily: &'a mut DailyBuffer, acc: &'a mut Accumulator) -> Recorder<'a> {
        Recorder::Record {
            daily,
            accumulator: acc,
        }
    }

    #[test]
    fn calendars_are_empty_after_every_trial() {
        // The calendars clear themselves as days consume their slots; a slot written for a day
        // already past would leak into the next trial.
        let model = small_model();
        let lay = crate::engine::layout(&model);
        let mut state = TrialState::new(&model);
        let mut daily = DailyBuffer::new(&lay, 4);
        let mut acc = Accumulator::new(lay);
        for trial in 0..50 {
            run_trial(&model, 7, trial, &mut state, record(&mut daily, &mut acc));
            let s = &state;
            assert!(s.shipped.iter().all(|&x| x == 0), "shipped, trial {trial}");
            assert!(
                s.arrivals
                    .iter()
                    .all(|x| x.new == 0 && x.reworked == 0 && x.moved == 0),
                "arrivals, trial {trial}"
            );
            assert!(
                s.bring_up.iter().all(|x| *x == BringUpDay::default()),
                "bring-up, trial {trial}"
            );
            assert!(
                s.arrivals_due.iter().all(|&x| x == 0),
                "arrivals due, trial {trial}"
            );
            assert!(
                s.bring_up_due.iter().all(|&x| x == 0),
                "bring-up due, trial {trial}"
            );
        }
        assert_eq!(acc.trials(), 50);
    }

    #[test]
    fn a_trial_is_a_pure_function_of_seed_and_index() {
        let model = small_model();
        let lay = crate::engine::layout(&model);
        let run = |state: &mut TrialState, trial: u64| {
            let mut daily = DailyBuffer::new(&lay, 1);
            let mut acc = Accumulator::new(lay.clone());
            run_trial(&model, 99, trial, state, record(&mut daily, &mut acc));
            state.outcome().clone()
        };
        let mut fresh = TrialState::new(&model);
        let mut used = TrialState::new(&model);
        for t in 0..5 {
            run(&mut used, t);
        }
        assert_eq!(run(&mut fresh, 3), run(&mut used, 3));
    }

    #[test]
    fn outcome_only_runs_reach_full_capacity_on_the_same_day() {
        let model = small_model();
        let lay = crate::engine::layout(&model);
        let mut state = TrialState::new(&model);
        for trial in 0..20 {
            let mut daily = DailyBuffer::new(&lay, 1);
            let mut acc = Accumulator::new(lay.clone());
            run_trial(&model, 5, trial, &mut state, record(&mut daily, &mut acc));
            let recorded = state.outcome().clone();
            run_trial(&model, 5, trial, &mut state, Recorder::OutcomeOnly);
            let bare = state.outcome();
            assert_eq!(recorded.full_capacity_day, bare.full_capacity_day);
            assert_eq!(
                recorded.online_gpus_at_deadline,
                bare.online_gpus_at_deadline
            );
        }
    }

    #[test]
    fn floor_matches_std() {
        for x in [-2.5, -2.0, -0.1, 0.0, 0.4, 0.5, 1.0, 7.99, 1e12 + 0.5] {
            assert_eq!(floor(x), x.floor() as i64, "{x}");
        }
    }
}
