//! One trial: draw the per-trial inputs, then step the ramp day by day across every site.
//!
//! The order of each day is documented in `docs/model.md` and mirrored by the numbered comments
//! in [`run_trial`]. Counts are kept per rack (a rack is the unit delivered, installed, burned in
//! and failed); GPUs are only counted for interruptions, which take single GPUs out of service.
//!
//! Performance notes: a trial allocates nothing (every buffer lives in [`Scratch`] and the
//! event calendars clear themselves as each day consumes its slot), and every per-day loop runs
//! over sites × rack types, both small.

use rand::RngExt;
use rand::distr::Distribution;
use rand_distr::{Binomial, Poisson, StandardNormal};

use super::seed::{TrialRng, input_rng};
use crate::model::{Model, StreamModel};
use crate::scenario::{AllocationPolicy, std_normal_cdf};
use crate::stats::{Accumulator, Bottleneck, DailyBuffer, TrialOutcome};

/// Guards the whole-rack count of a power ratio against rounding just below an integer.
const EPS: f64 = 1e-9;

/// Per-thread buffers, reused from trial to trial so that a trial allocates nothing.
#[derive(Debug)]
pub struct Scratch {
    /// Racks arriving in staging: `[day * types + type]`; each slot is zeroed when consumed.
    arrivals: Vec<u32>,
    /// Reworked racks returning to staging: `[day * types + type]`; zeroed when consumed.
    rework_returns: Vec<u32>,
    /// Burn-in batches finishing: `[(day * sites + site) * types + type]` = (pass, fail);
    /// zeroed when consumed.
    completions: Vec<(u32, u32)>,
    /// Whether any burn-in batch finishes on a day; zeroed when consumed.
    completions_due: Vec<bool>,
    /// Expected interruptions of each day so far, for the outage convolution.
    interruption_rate: Vec<f64>,
    /// Energization events (day, site, facility kW), sorted by day.
    energize: Vec<(i64, usize, f64)>,
    /// Site visiting order for the day.
    order: Vec<usize>,
    site: Vec<SiteState>,
    /// Facility kW drawn under each power limit.
    limit_used_kw: Vec<f64>,
    /// Limits that apply to each site.
    site_limits: Vec<Vec<usize>>,
    /// Each site's generator for burn-in, failure and rework draws.
    bring_up_rng: Vec<TrialRng>,
    /// Racks waiting in staging, per type.
    pool: Vec<u64>,
    /// Common factor of each correlation group for the trial.
    factors: Vec<f64>,
    /// The trial's per-input draws before they are applied: slips, install rates, delays.
    slips: Vec<i64>,
    rates: Vec<f64>,
    delays: Vec<i64>,
    outcome: TrialOutcome,
}

#[derive(Debug, Clone, Default)]
struct SiteState {
    energized_it_kw: f64,
    committed_it_kw: f64,
    racks_on_floor: u64,
    crew_left: u64,
    install_rate: f64,
    online_racks: u64,
    online_gpus: u64,
}

impl Scratch {
    /// Buffers sized for `model`.
    pub fn new(model: &Model) -> Scratch {
        let (days, types, sites) = (model.days, model.accelerators.len(), model.sites.len());
        Scratch {
            arrivals: vec![0; days * types],
            rework_returns: vec![0; days * types],
            completions: vec![(0, 0); days * sites * types],
            completions_due: vec![false; days],
            interruption_rate: vec![0.0; days],
            energize: Vec::new(),
            order: (0..sites).collect(),
            site: vec![SiteState::default(); sites],
            limit_used_kw: vec![0.0; model.limits.len()],
            site_limits: model
                .sites
                .iter()
                .map(|s| {
                    model
                        .limits
                        .iter()
                        .enumerate()
                        .filter(|(_, l)| l.region.is_none_or(|r| r == s.region))
                        .map(|(i, _)| i)
                        .collect()
                })
                .collect(),
            bring_up_rng: Vec::with_capacity(sites),
            pool: vec![0; types],
            factors: Vec::with_capacity(model.correlations.len()),
            slips: Vec::with_capacity(model.streams.len()),
            rates: Vec::with_capacity(sites),
            delays: Vec::with_capacity(model.sites.iter().map(|s| s.phases.len()).sum()),
            outcome: TrialOutcome::default(),
        }
    }

    /// The outcome of the last trial run with this scratch.
    pub fn outcome(&self) -> &TrialOutcome {
        &self.outcome
    }
}

/// ⌊x⌋ for values well inside the i64 range, with a truncating cast (`f64::floor` is a
/// library call on baseline x86-64).
#[inline]
fn floor(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) > x { t - 1 } else { t }
}

/// Binomial(n, p) by sequential inversion for the small batches of the hot loop (cost O(np)),
/// rand_distr's BTPE above that. Exact up to floating-point rounding of the pmf recursion.
fn binomial(rng: &mut TrialRng, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if n > 256 {
        return Binomial::new(n, p).map(|b| b.sample(rng)).unwrap_or(0);
    }
    let q = 1.0 - p;
    let ratio = p / q;
    let mut pmf = q.powi(n as i32);
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

/// Running totals of one trial.
#[derive(Debug, Default)]
struct Totals {
    energized_kw: f64,
    committed_it_kw: f64,
    committed_facility_kw: f64,
    delivered_gpus: u64,
    installed_gpus: u64,
    online_gpus: u64,
    online_fp8_pf: f64,
}

/// Runs trial `trial` of `model` with `seed`: its daily series go into `daily` (absorbed into
/// `acc` whenever the buffer fills), its outcome is left in `scratch.outcome()` and pushed into
/// `acc`.
pub fn run_trial(
    model: &Model,
    seed: u64,
    trial: u64,
    scratch: &mut Scratch,
    daily: &mut DailyBuffer,
    acc: &mut Accumulator,
) {
    let days = model.days;
    let types = model.accelerators.len();
    let s = scratch;
    s.limit_used_kw.fill(0.0);
    s.pool.fill(0);
    s.energize.clear();
    let o = &mut s.outcome;
    o.inputs.clear();
    o.phase_energized_day.clear();
    o.site_online_racks_at_deadline.clear();
    o.bottleneck_days = [0; 4];
    o.full_capacity_day = None;

    // Per-trial inputs. Each has its own generator keyed by its name, so the order below only
    // fixes the order of `trials.csv` columns: streams (slip), then sites (install rate, then
    // each phase's delay). An input in a correlation group is drawn through a Gaussian copula:
    // its normal score mixes the group's common factor with its own normal draw, and the
    // marginal is kept exactly by reading the score's probability through the input's quantile
    // function.
    s.factors.clear();
    for g in &model.correlations {
        s.factors
            .push(StandardNormal.sample(&mut input_rng(seed, trial, g.key)));
    }
    let correlated = |group: usize, rng: &mut TrialRng| -> f64 {
        let loading = model.correlations[group].loading;
        let own: f64 = StandardNormal.sample(rng);
        let z = loading * s.factors[group] + (1.0 - loading * loading).sqrt() * own;
        std_normal_cdf(z)
    };
    s.slips.clear();
    s.rates.clear();
    s.delays.clear();
    for st in &model.streams {
        let rng = &mut input_rng(st.slip_seed.unwrap_or(seed), trial, st.slip_key);
        let slip = match st.slip_group {
            Some(g) if !st.slip_days.is_fixed() => st.slip_days.quantile(correlated(g, rng)),
            _ => st.slip_days.sample(rng),
        };
        s.slips.push(slip);
    }
    for site in &model.sites {
        let rng = &mut input_rng(site.install_seed.unwrap_or(seed), trial, site.install_key);
        let rate = match site.install_group {
            Some(g) if !site.install_racks_per_day.is_fixed() => {
                crate::model::cdf::quantile(&site.install_spec, correlated(g, rng))
            }
            _ => site.install_racks_per_day.sample(rng),
        };
        s.rates.push(rate.max(0.0));
        for phase in &site.phases {
            let rng = &mut input_rng(phase.seed.unwrap_or(seed), trial, phase.key);
            let delay = match phase.group {
                Some(g) if !phase.delay_days.is_fixed() => {
                    phase.delay_days.quantile(correlated(g, rng))
                }
                _ => phase.delay_days.sample(rng),
            };
            s.delays.push(delay);
        }
    }
    let o = &mut s.outcome;
    for (st, &slip) in model.streams.iter().zip(&s.slips) {
        o.inputs.push(slip as f64);
        deliver_stream(
            model,
            st,
            slip,
            &mut input_rng(st.weekly_seed.unwrap_or(seed), trial, st.weekly_key),
            &mut s.arrivals,
        );
    }
    s.bring_up_rng.clear();
    let mut delays = s.delays.iter();
    for (i, (site, &rate)) in model.sites.iter().zip(&s.rates).enumerate() {
        o.inputs.push(rate);
        s.site[i] = SiteState {
            install_rate: rate,
            ..SiteState::default()
        };
        for phase in &site.phases {
            let delay = delays.next().copied().unwrap_or(0);
            let day = phase.planned_day + delay;
            o.inputs.push(delay as f64);
            o.phase_energized_day.push(day);
            if day < days as i64 {
                s.energize.push((day, i, phase.facility_kw));
            }
        }
        s.bring_up_rng.push(input_rng(
            site.bring_up_seed.unwrap_or(seed),
            trial,
            site.bring_up_key,
        ));
    }
    s.energize.sort_by_key(|e| e.0);
    let mut ops_rng = input_rng(
        model.operations_seed.unwrap_or(seed),
        trial,
        model.operations_key,
    );

    let mut next_event = 0;
    let mut t = Totals::default();
    for day in 0..days {
        // 1. Energize phases whose realized date has come (earlier dates count from day 0).
        while let Some(&(when, i, kw)) = s.energize.get(next_event) {
            if when > day as i64 {
                break;
            }
            s.site[i].energized_it_kw += kw / model.sites[i].pue;
            t.energized_kw += kw;
            next_event += 1;
        }
        // 2. Deliver the supply batches due today; 3. return reworked racks to staging.
        let row = day * types;
        let mut waiting = false;
        for (a, acc_model) in model.accelerators.iter().enumerate() {
            let arrived = u64::from(std::mem::take(&mut s.arrivals[row + a]));
            let reworked = u64::from(std::mem::take(&mut s.rework_returns[row + a]));
            t.delivered_gpus += arrived * u64::from(acc_model.gpus_per_rack);
            s.pool[a] += arrived + reworked;
            waiting |= s.pool[a] > 0;
        }
        // 4. Install racks, following the allocation policy; then, while the target is not yet
        //    reached, attribute the day to its binding constraint.
        if waiting {
            install(model, s, day, &mut t);
        }
        let bottleneck = if s.outcome.full_capacity_day.is_some() {
            Bottleneck::Supply // not recorded: the day is after full capacity
        } else {
            binding_constraint(model, s, day)
        };
        // 5. Burn-in batches finishing today: passes go online, failures release their power
        //    and leave for rework.
        if std::mem::take(&mut s.completions_due[day]) {
            finish_burn_in(model, s, day, &mut t);
        }
        let o = &mut s.outcome;
        if o.full_capacity_day.is_none() {
            if t.online_gpus >= model.target_gpus {
                o.full_capacity_day = Some(day as u32);
            } else {
                o.bottleneck_days[bottleneck as usize] += 1;
                acc.record_bottleneck(day, bottleneck);
            }
        }
        // 6. Interruptions. Each online GPU is interrupted at `interruptions_per_gpu_day`, and
        //    each interruption keeps its GPU out for its own repair time. GPUs out of service at
        //    today's snapshot are then Poisson with mean Σ_j rate[today − j] · P(M > j)
        //    (an M/G/∞ queue), drawn afresh each day: every per-day distribution is exact, the
        //    day-to-day correlation of outages is not simulated.
        let rate = t.online_gpus as f64 * model.interruptions_per_gpu_day;
        s.interruption_rate[day] = rate;
        let in_repair = if rate > 0.0 {
            let survival = &model.outage_survival;
            let from = (day + 1).saturating_sub(survival.len());
            let past = &s.interruption_rate[from..=day];
            let mean: f64 = past.iter().rev().zip(survival).map(|(r, p)| r * p).sum();
            Poisson::new(mean)
                .map(|p| p.sample(&mut ops_rng) as u64)
                .unwrap_or(0)
                .min(t.online_gpus)
        } else {
            0
        };
        // 7. Record the day.
        let available = t.online_gpus - in_repair;
        let staged: u64 = s
            .pool
            .iter()
            .zip(&model.accelerators)
            .map(|(&p, a)| p * u64::from(a.gpus_per_rack))
            .sum();
        let fp8_pf = if t.online_gpus > 0 {
            t.online_fp8_pf * available as f64 / t.online_gpus as f64
        } else {
            0.0
        };
        daily.record_day(
            day,
            &[
                t.delivered_gpus as i64,
                t.installed_gpus as i64,
                t.online_gpus as i64,
                available as i64,
                staged as i64,
                floor(t.energized_kw + 0.5),
                floor(t.committed_it_kw + 0.5),
                floor((t.energized_kw - t.committed_facility_kw).max(0.0) + 0.5),
                floor(fp8_pf + 0.5),
            ],
        );
        acc.record_site_online(day, s.site.iter().map(|x| x.online_gpus));
        if day == model.deadline_day {
            let o = &mut s.outcome;
            o.online_gpus_at_deadline = t.online_gpus;
            o.available_gpus_at_deadline = available;
            o.delivered_gpus_at_deadline = t.delivered_gpus;
            o.site_online_racks_at_deadline
                .extend(s.site.iter().map(|x| x.online_racks));
        }
    }
    acc.push(&s.outcome);
    if daily.end_trial() {
        acc.absorb(daily);
    }
}

/// Schedules one stream's weekly batches into `arrivals`. Week `k` of the plan covers days
/// `[7k, 7k + 7)` and is delivered on day `max(0, 7k + 6 + slip)`. Noise and disruptions are drawn for
/// every planned week in order, whether or not it lands inside the horizon, so that a slip does
/// not change which draw a week gets.
fn deliver_stream(
    model: &Model,
    st: &StreamModel,
    slip: i64,
    rng: &mut TrialRng,
    arrivals: &mut [u32],
) {
    let types = model.accelerators.len();
    let cap = st.cap_racks.unwrap_or(u64::MAX);
    let mut cumulative = 0.0f64;
    let mut delivered = 0u64;
    let mut disrupted_weeks = 0i64;
    let mut severity = 0.0;
    for (j, &planned) in st.planned_racks.iter().enumerate() {
        let mut factor = 1.0;
        if let Some(d) = &st.disruption {
            if disrupted_weeks == 0 && rng.random::<f64>() < d.weekly_probability {
                disrupted_weeks = d.duration_weeks.sample(rng).max(1);
                severity = d.severity.sample(rng).clamp(0.0, 1.0);
            }
            if disrupted_weeks > 0 {
                factor = 1.0 - severity;
                disrupted_weeks -= 1;
            }
        }
        let noise = st.noise.sample(rng).max(0.0);
        cumulative += planned * noise * factor;
        // Whole racks: deliver the whole part of the running total, so rounding never drifts.
        let whole = (floor(cumulative + EPS).max(0) as u64).min(cap);
        let batch = whole.saturating_sub(delivered);
        delivered = delivered.max(whole);
        // A batch due before the start arrives on the start day (as a phase energized before
        // the start counts from day 0); one due after the horizon is not simulated.
        let day = (7 * (st.first_week + j as i64) + 6 + slip).max(0);
        if batch > 0 && (day as usize) < model.days {
            let slot = &mut arrivals[day as usize * types + st.accelerator];
            *slot = slot.saturating_add(u32::try_from(batch).unwrap_or(u32::MAX));
        }
    }
}

/// IT kW that site `i` can still commit today: its spare IT power, and the room under every
/// power cap that applies to it (caps count facility power, so their room is divided by PUE).
#[inline]
fn spare_it_kw(s: &Scratch, model: &Model, i: usize, day: usize) -> f64 {
    let st = &s.site[i];
    let mut room = st.energized_it_kw - st.committed_it_kw;
    let limits = &s.site_limits[i];
    if !limits.is_empty() {
        let pue = model.sites[i].pue;
        for &l in limits {
            let cap = model.limits[l].cap_kw_by_day[day];
            room = room.min((cap - s.limit_used_kw[l]) / pue);
        }
    }
    room
}

/// Whole racks that fit in `it_kw` of spare IT power at `racks_per_kw`.
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

/// The install step of one day.
fn install(model: &Model, s: &mut Scratch, day: usize, t: &mut Totals) {
    let types = model.accelerators.len();
    let n_sites = model.sites.len();
    for st in s.site.iter_mut() {
        // Fractional rates spread evenly without banking unused capacity: ⌊r(d+1)⌋ − ⌊rd⌋.
        let r = st.install_rate;
        st.crew_left = (floor(r * (day + 1) as f64) - floor(r * day as f64)).max(0) as u64;
    }
    if model.policy == AllocationPolicy::MostHeadroom {
        // Insertion sort by spare IT power, descending; ties keep file order.
        let site = &s.site;
        let headroom = |i: usize| site[i].energized_it_kw - site[i].committed_it_kw;
        for k in 1..n_sites {
            let mut j = k;
            while j > 0 {
                let (x, y) = (s.order[j - 1], s.order[j]);
                if headroom(y) > headroom(x) || (headroom(y) == headroom(x) && y < x) {
                    s.order.swap(j - 1, j);
                    j -= 1;
                } else {
                    break;
                }
            }
        }
    }
    for a in 0..types {
        if s.pool[a] == 0 {
            continue;
        }
        let acc_model = &model.accelerators[a];
        for k in 0..n_sites {
            let i = s.order[k];
            let site = &model.sites[i];
            if !site.accepts[a] || s.pool[a] == 0 {
                continue;
            }
            let st = &s.site[i];
            if st.crew_left == 0 || st.racks_on_floor >= site.max_racks {
                continue;
            }
            let n = s.pool[a]
                .min(st.crew_left)
                .min(site.max_racks - st.racks_on_floor)
                .min(whole_racks(
                    spare_it_kw(s, model, i, day),
                    acc_model.racks_per_kw,
                ));
            if n == 0 {
                continue;
            }
            s.pool[a] -= n;
            let st = &mut s.site[i];
            st.crew_left -= n;
            st.racks_on_floor += n;
            let it_kw = n as f64 * acc_model.rack_it_kw;
            st.committed_it_kw += it_kw;
            t.committed_it_kw += it_kw;
            t.committed_facility_kw += it_kw * site.pue;
            t.installed_gpus += n * u64::from(acc_model.gpus_per_rack);
            for &l in &s.site_limits[i] {
                s.limit_used_kw[l] += it_kw * site.pue;
            }
            // One burn-in duration and one failure draw per site-day batch.
            let rng = &mut s.bring_up_rng[i];
            let done = day as i64 + model.burn_in_days.sample(rng).max(0);
            let failed = binomial(rng, n, model.failure_probability);
            if done < model.days as i64 {
                let done = done as usize;
                let slot = &mut s.completions[(done * n_sites + i) * types + a];
                slot.0 += (n - failed) as u32;
                slot.1 += failed as u32;
                s.completions_due[done] = true;
            }
        }
    }
}

/// The day's binding constraint, from the state right after the install step.
fn binding_constraint(model: &Model, s: &Scratch, day: usize) -> Bottleneck {
    if s.pool.iter().all(|&p| p == 0) {
        return Bottleneck::Supply;
    }
    // Racks are waiting. Attribute the day to the constraint whose relaxation alone would have
    // let the most waiting racks in today: at each accepting site, more crews would admit
    // min(power room, floor room) racks, more power min(crews left, floor room), more floor
    // min(crews left, power room). Ties go to install, then power, then space; when no single
    // relaxation admits a rack, the constraint that is exhausted at the most sites wins.
    let mut extra = [0u64; 3];
    let mut exhausted = [0u64; 3];
    for (i, site) in model.sites.iter().enumerate() {
        let crews = s.site[i].crew_left;
        let floor_room = site.max_racks - s.site[i].racks_on_floor;
        let spare_kw = spare_it_kw(s, model, i, day);
        for (a, acc_model) in model.accelerators.iter().enumerate() {
            let waiting = s.pool[a];
            if waiting == 0 || !site.accepts[a] {
                continue;
            }
            let power = whole_racks(spare_kw, acc_model.racks_per_kw);
            extra[0] += power.min(floor_room).min(waiting);
            extra[1] += crews.min(floor_room).min(waiting);
            extra[2] += crews.min(power).min(waiting);
            exhausted[0] += u64::from(crews == 0);
            exhausted[1] += u64::from(power == 0);
            exhausted[2] += u64::from(floor_room == 0);
        }
    }
    let kinds = [Bottleneck::Install, Bottleneck::Power, Bottleneck::Space];
    let score = if extra.iter().any(|&e| e > 0) {
        extra
    } else {
        exhausted
    };
    let mut best = 0;
    for k in 1..3 {
        if score[k] > score[best] {
            best = k;
        }
    }
    if score[best] == 0 {
        // Waiting racks that no site accepts: there is nowhere to put them.
        Bottleneck::Space
    } else {
        kinds[best]
    }
}

/// Step 5 for one day: the burn-in batches that finish today.
fn finish_burn_in(model: &Model, s: &mut Scratch, day: usize, t: &mut Totals) {
    let types = model.accelerators.len();
    let n_sites = model.sites.len();
    for i in 0..n_sites {
        for (a, acc_model) in model.accelerators.iter().enumerate() {
            let (pass, fail) = std::mem::take(&mut s.completions[(day * n_sites + i) * types + a]);
            if pass == 0 && fail == 0 {
                continue;
            }
            let gpus = u64::from(acc_model.gpus_per_rack);
            let st = &mut s.site[i];
            st.online_racks += u64::from(pass);
            st.online_gpus += u64::from(pass) * gpus;
            t.online_gpus += u64::from(pass) * gpus;
            t.online_fp8_pf += f64::from(pass) * gpus as f64 * acc_model.fp8_pflops_per_gpu;
            if fail > 0 {
                let fail = u64::from(fail);
                let it_kw = fail as f64 * acc_model.rack_it_kw;
                let pue = model.sites[i].pue;
                st.racks_on_floor -= fail;
                st.committed_it_kw -= it_kw;
                t.committed_it_kw -= it_kw;
                t.committed_facility_kw -= it_kw * pue;
                t.installed_gpus -= fail * gpus;
                for &l in &s.site_limits[i] {
                    s.limit_used_kw[l] -= it_kw * pue;
                }
                // One rework draw per failed batch. Today's install step is over, so a rack
                // rejoins staging on the day its rework ends but never before tomorrow.
                let back = day as i64 + model.rework_days.sample(&mut s.bring_up_rng[i]).max(1);
                if back < model.days as i64 {
                    s.rework_returns[back as usize * types + a] += fail as u32;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::seed::test_rng;

    #[test]
    fn binomial_inversion_has_the_right_mean_and_variance() {
        // 100,000 draws of Binomial(20, 0.15): mean 3, variance 2.55, SE of the mean 0.005.
        let mut rng = test_rng(3);
        let n = 100_000;
        let xs: Vec<f64> = (0..n)
            .map(|_| binomial(&mut rng, 20, 0.15) as f64)
            .collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        assert!((mean - 3.0).abs() < 5.0 * 0.005, "{mean}");
        assert!((var - 2.55).abs() < 0.05 * 2.55, "{var}");
        assert_eq!(binomial(&mut rng, 0, 0.5), 0);
        assert_eq!(binomial(&mut rng, 10, 0.0), 0);
        // q^n underflows here; the draw must still be plausible (mean 240, sd < 4).
        let k = binomial(&mut rng, 250, 0.96);
        assert!((220..=250).contains(&k), "{k}");
    }

    /// One site, power from day 0, 10 racks a week, failures and zero-day rework.
    const SMALL: &str = r#"
[scenario]
name = "small"
start = 2026-01-01
deadline = 2026-03-01
horizon = 2026-04-01
target_gpus = 720
[[supply]]
id = "s"
accelerator = "gb300-nvl72"
schedule = [ { date = 2026-01-01, racks_per_week = 10 }, { date = 2026-03-01, racks_per_week = 10 } ]
[[sites]]
id = "a"
pue = 1.2
accepts = ["gb300-nvl72"]
install_racks_per_day = 3
phases = [ { mw = 50, planned = 2025-12-01 } ]
[bring_up]
burn_in_days = { kind = "uniform", min = 0, max = 3 }
failure_probability = 0.3
rework_days = 0
"#;

    fn small_model() -> Model {
        let s = crate::scenario::parse(SMALL, std::path::Path::new("small.toml")).unwrap();
        Model::compile(&s).unwrap()
    }

    #[test]
    fn calendars_are_empty_after_every_trial() {
        // The calendars clear themselves as days consume their slots; a slot written for a day
        // already past would leak into the next trial.
        let model = small_model();
        let lay = crate::engine::layout(&model);
        let mut scratch = Scratch::new(&model);
        let mut daily = DailyBuffer::new(&lay, 4);
        let mut acc = Accumulator::new(lay);
        for trial in 0..50 {
            run_trial(&model, 7, trial, &mut scratch, &mut daily, &mut acc);
            assert!(
                scratch.arrivals.iter().all(|&x| x == 0),
                "arrivals, trial {trial}"
            );
            assert!(
                scratch.rework_returns.iter().all(|&x| x == 0),
                "rework, trial {trial}"
            );
            assert!(
                scratch.completions_due.iter().all(|&x| !x),
                "due, trial {trial}"
            );
        }
        assert_eq!(acc.trials(), 50);
    }

    #[test]
    fn a_trial_is_a_pure_function_of_seed_and_index() {
        let model = small_model();
        let lay = crate::engine::layout(&model);
        let run = |scratch: &mut Scratch, trial: u64| {
            let mut daily = DailyBuffer::new(&lay, 1);
            let mut acc = Accumulator::new(lay.clone());
            run_trial(&model, 99, trial, scratch, &mut daily, &mut acc);
            scratch.outcome().clone()
        };
        let mut fresh = Scratch::new(&model);
        let mut used = Scratch::new(&model);
        for t in 0..5 {
            run(&mut used, t);
        }
        assert_eq!(run(&mut fresh, 3), run(&mut used, 3));
    }

    #[test]
    fn floor_matches_std() {
        for x in [-2.5, -2.0, -0.1, 0.0, 0.4, 0.5, 1.0, 7.99, 1e12 + 0.5] {
            assert_eq!(floor(x), x.floor() as i64, "{x}");
        }
    }
}
