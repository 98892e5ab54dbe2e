//! One trial: draw the per-trial inputs, then step the ramp day by day across every site.
//!
//! The order of each day is documented in `docs/model.md` and mirrored by the numbered comments
//! in [`run_trial`]. Counts are kept per rack (a rack is the unit delivered, installed, burned in
//! and failed); GPUs are only counted for interruptions, which take single GPUs out of service.

use rand::distr::Distribution;
use rand::RngExt;
use rand_distr::{Binomial, Poisson};

use super::seed::{TrialRng, input_rng};
use crate::model::Model;
use crate::scenario::AllocationPolicy;
use crate::stats::{Accumulator, Bottleneck, TrialOutcome};

/// Guards floor() of ratios of power figures against rounding just below a whole rack.
const EPS: f64 = 1e-9;

/// Per-thread buffers, reused from trial to trial so that a trial allocates nothing.
#[derive(Debug)]
pub struct Scratch {
    /// Racks arriving in staging: `[day * types + type]`.
    arrivals: Vec<u32>,
    /// Reworked racks returning to staging: `[day * types + type]`.
    rework_returns: Vec<u32>,
    /// Burn-in batches finishing: `[(day * sites + site) * types + type]` = (pass, fail).
    completions: Vec<(u32, u32)>,
    /// GPUs coming back from repair: `[day]`.
    repair_returns: Vec<u64>,
    /// Energization events (day, site, facility kW), sorted by day.
    energize: Vec<(i64, usize, f64)>,
    /// Site visiting order for the day.
    order: Vec<usize>,
    site: Vec<SiteState>,
    limit_used_kw: Vec<f64>,
    /// Limits that apply to each site.
    site_limits: Vec<Vec<usize>>,
    bring_up_rng: Vec<TrialRng>,
    /// Racks waiting in staging, per type.
    pool: Vec<u64>,
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
}

impl Scratch {
    /// Buffers sized for `model`.
    pub fn new(model: &Model) -> Scratch {
        let (days, types, sites) = (model.days, model.accelerators.len(), model.sites.len());
        Scratch {
            arrivals: vec![0; days * types],
            rework_returns: vec![0; days * types],
            completions: vec![(0, 0); days * sites * types],
            repair_returns: vec![0; days],
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
            outcome: TrialOutcome::default(),
        }
    }

    /// The outcome of the last trial run with this scratch.
    pub fn outcome(&self) -> &TrialOutcome {
        &self.outcome
    }
}

/// Rounds a drawn duration to whole days.
#[inline]
fn whole_days(x: f64) -> i64 {
    x.round() as i64
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

/// Runs trial `trial` of `model` with `seed`, recording its daily series into `acc`; the
/// outcome is left in `scratch.outcome()` and pushed into `acc`.
pub fn run_trial(model: &Model, seed: u64, trial: u64, scratch: &mut Scratch, acc: &mut Accumulator) {
    let days = model.days;
    let types = model.accelerators.len();
    let n_sites = model.sites.len();
    let s = scratch;
    s.arrivals.fill(0);
    s.rework_returns.fill(0);
    s.completions.fill((0, 0));
    s.repair_returns.fill(0);
    s.limit_used_kw.fill(0.0);
    s.energize.clear();
    let o = &mut s.outcome;
    o.inputs.clear();
    o.phase_energized_day.clear();
    o.site_online_racks_at_deadline.clear();
    o.bottleneck_days = [0; 4];
    o.full_capacity_day = None;

    // Per-trial inputs. Each has its own generator keyed by its name, so the order below only
    // fixes the order of `trials.csv` columns: streams (slip), then sites (install rate, then
    // each phase's delay).
    for st in &model.streams {
        let slip = whole_days(st.slip_days.sample(&mut input_rng(seed, trial, st.slip_key)));
        o.inputs.push(slip as f64);
        deliver_stream(model, st, slip, &mut input_rng(seed, trial, st.weekly_key), &mut s.arrivals, types);
    }
    s.bring_up_rng.clear();
    for (i, site) in model.sites.iter().enumerate() {
        let rate = site
            .install_racks_per_day
            .sample(&mut input_rng(seed, trial, site.install_key))
            .max(0.0);
        o.inputs.push(rate);
        s.site[i] = SiteState {
            install_rate: rate,
            ..SiteState::default()
        };
        for phase in &site.phases {
            let delay = whole_days(phase.delay_days.sample(&mut input_rng(seed, trial, phase.key)));
            let day = phase.planned_day + delay;
            o.inputs.push(delay as f64);
            o.phase_energized_day.push(day);
            if day < days as i64 {
                s.energize.push((day, i, phase.facility_kw));
            }
        }
        s.bring_up_rng.push(input_rng(seed, trial, site.bring_up_key));
    }
    s.energize.sort_by_key(|e| e.0);
    let mut ops_rng = input_rng(seed, trial, model.operations_key);

    let mut pool = std::mem::take(&mut s.pool);
    pool.clear();
    pool.resize(types, 0);
    let mut next_event = 0;
    let mut energized_kw = 0.0;
    let mut delivered_gpus = 0u64;
    let mut online_gpus = 0u64;
    let mut installed_gpus = 0u64;
    let mut online_fp8_pf = 0.0;
    let mut in_repair = 0u64;

    for day in 0..days {
        // 1. Energize phases whose realized date has come (earlier dates count from day 0).
        while next_event < s.energize.len() && s.energize[next_event].0 <= day as i64 {
            let (_, i, kw) = s.energize[next_event];
            s.site[i].energized_it_kw += kw / model.sites[i].pue;
            energized_kw += kw;
            next_event += 1;
        }
        // 2. Deliver the supply batches due today; 3. return reworked racks to staging.
        let row = day * types;
        for a in 0..types {
            let arrived = u64::from(s.arrivals[row + a]);
            delivered_gpus += arrived * u64::from(model.accelerators[a].gpus_per_rack);
            pool[a] += arrived + u64::from(s.rework_returns[row + a]);
        }
        // 4. Install racks, following the allocation policy.
        let bottleneck = if pool.iter().any(|&p| p > 0) {
            install(model, s, &mut pool, day, &mut installed_gpus)
        } else {
            Bottleneck::Supply
        };
        // 5. Burn-in batches finishing today: passes go online, failures release their power
        //    and leave for rework.
        for i in 0..n_sites {
            for a in 0..types {
                let idx = (day * n_sites + i) * types + a;
                let (pass, fail) = s.completions[idx];
                if pass == 0 && fail == 0 {
                    continue;
                }
                let acc_model = &model.accelerators[a];
                let gpus = u64::from(acc_model.gpus_per_rack);
                let st = &mut s.site[i];
                st.online_racks += u64::from(pass);
                online_gpus += u64::from(pass) * gpus;
                online_fp8_pf += f64::from(pass) * gpus as f64 * acc_model.fp8_pflops_per_gpu;
                if fail > 0 {
                    let fail64 = u64::from(fail);
                    st.racks_on_floor -= fail64;
                    st.committed_it_kw -= fail64 as f64 * acc_model.rack_it_kw;
                    installed_gpus -= fail64 * gpus;
                    let facility = fail64 as f64 * acc_model.rack_it_kw * model.sites[i].pue;
                    for &l in &s.site_limits[i] {
                        s.limit_used_kw[l] -= facility;
                    }
                    let back = day as i64
                        + whole_days(model.rework_days.sample(&mut s.bring_up_rng[i])).max(0);
                    if back < days as i64 {
                        s.rework_returns[back as usize * types + a] += fail;
                    }
                }
            }
        }
        let o = &mut s.outcome;
        if o.full_capacity_day.is_none() {
            if online_gpus >= model.target_gpus {
                o.full_capacity_day = Some(day as u32);
            } else {
                o.bottleneck_days[bottleneck as usize] += 1;
                acc.record_bottleneck(day, bottleneck);
            }
        }
        // 6. Interruptions of available GPUs and returns from repair.
        in_repair -= s.repair_returns[day];
        let available = online_gpus - in_repair;
        if model.interruptions_per_gpu_day > 0.0 && available > 0 {
            let lambda = available as f64 * model.interruptions_per_gpu_day;
            let hit = Poisson::new(lambda)
                .map(|p| p.sample(&mut ops_rng) as u64)
                .unwrap_or(0)
                .min(available);
            if hit > 0 {
                // Snapshots covered by an outage of r days starting at a uniform time of day:
                // floor(r + U), whose mean is exactly r (Little's law holds at daily resolution).
                let r = model.repair_days.sample(&mut ops_rng).max(0.0);
                let u: f64 = ops_rng.random();
                let covered = (r + u).floor() as usize;
                if covered > 0 {
                    in_repair += hit;
                    if day + covered < days {
                        s.repair_returns[day + covered] += hit;
                    }
                }
            }
        }
        // 7. Record the day.
        let available = online_gpus - in_repair;
        let staged: u64 = pool
            .iter()
            .zip(&model.accelerators)
            .map(|(&p, a)| p * u64::from(a.gpus_per_rack))
            .sum();
        let committed_it: f64 = s.site.iter().map(|x| x.committed_it_kw).sum();
        let committed_facility: f64 = s
            .site
            .iter()
            .zip(&model.sites)
            .map(|(x, m)| x.committed_it_kw * m.pue)
            .sum();
        let fp8 = if online_gpus > 0 {
            online_fp8_pf * available as f64 / online_gpus as f64
        } else {
            0.0
        };
        acc.record_day(
            day,
            &[
                delivered_gpus as i64,
                installed_gpus as i64,
                online_gpus as i64,
                available as i64,
                staged as i64,
                energized_kw.round() as i64,
                committed_it.round() as i64,
                (energized_kw - committed_facility).max(0.0).round() as i64,
                fp8.round() as i64,
            ],
        );
        if day == model.deadline_day {
            let o = &mut s.outcome;
            o.online_gpus_at_deadline = online_gpus;
            o.available_gpus_at_deadline = available;
            o.delivered_gpus_at_deadline = delivered_gpus;
            o.site_online_racks_at_deadline
                .extend(s.site.iter().map(|x| x.online_racks));
        }
    }
    s.pool = pool;
    acc.push(&s.outcome);
}

/// Schedules one stream's weekly batches into `arrivals`. Week `k` of the plan covers days
/// `[7k, 7k + 7)` and is delivered on day `7k + 6 + slip`. Noise and disruptions are drawn for
/// every planned week in order, whether or not it lands inside the horizon, so that a slip does
/// not change which draw a week gets.
fn deliver_stream(
    model: &Model,
    st: &crate::model::StreamModel,
    slip: i64,
    rng: &mut TrialRng,
    arrivals: &mut [u32],
    types: usize,
) {
    let cap = st.cap_racks.unwrap_or(u64::MAX);
    let mut cumulative = 0.0f64;
    let mut delivered = 0u64;
    let mut disrupted_weeks = 0i64;
    let mut severity = 0.0;
    for (j, &planned) in st.planned_racks.iter().enumerate() {
        let mut factor = 1.0;
        if let Some(d) = &st.disruption {
            if disrupted_weeks == 0 && rng.random::<f64>() < d.weekly_probability {
                disrupted_weeks = whole_days(d.duration_weeks.sample(rng)).max(1);
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
        let whole = ((cumulative + EPS).floor() as u64).min(cap);
        let batch = whole.saturating_sub(delivered);
        delivered = delivered.max(whole);
        let day = 7 * (st.first_week + j as i64) + 6 + slip;
        if batch > 0 && day >= 0 && (day as usize) < model.days {
            let slot = &mut arrivals[day as usize * types + st.accelerator];
            *slot = slot.saturating_add(batch.min(u64::from(u32::MAX)) as u32);
        }
    }
}

/// The install step of one day. Returns the day's binding constraint (before knowing whether the
/// day counts as "before full capacity").
fn install(
    model: &Model,
    s: &mut Scratch,
    pool: &mut [u64],
    day: usize,
    installed_gpus: &mut u64,
) -> Bottleneck {
    let types = model.accelerators.len();
    let n_sites = model.sites.len();
    for st in s.site.iter_mut() {
        // Fractional rates spread evenly without banking unused capacity: floor(r(d+1)) - floor(rd).
        let r = st.install_rate;
        st.crew_left = ((r * (day + 1) as f64).floor() - (r * day as f64).floor()).max(0.0) as u64;
    }
    if model.policy == AllocationPolicy::MostHeadroom {
        let site = &s.site;
        // Stable sort: ties keep file order.
        s.order.sort_by(|&x, &y| {
            let hx = site[x].energized_it_kw - site[x].committed_it_kw;
            let hy = site[y].energized_it_kw - site[y].committed_it_kw;
            hy.total_cmp(&hx).then(x.cmp(&y))
        });
    }
    for a in 0..types {
        if pool[a] == 0 {
            continue;
        }
        let kw = model.accelerators[a].rack_it_kw;
        for k in 0..n_sites {
            let i = s.order[k];
            let site = &model.sites[i];
            if !site.accepts[a] || pool[a] == 0 {
                continue;
            }
            let n = pool[a]
                .min(s.site[i].crew_left)
                .min(site.max_racks - s.site[i].racks_on_floor)
                .min(power_room(s, model, i, a, day));
            if n == 0 {
                continue;
            }
            pool[a] -= n;
            let st = &mut s.site[i];
            st.crew_left -= n;
            st.racks_on_floor += n;
            st.committed_it_kw += n as f64 * kw;
            *installed_gpus += n * u64::from(model.accelerators[a].gpus_per_rack);
            let facility = n as f64 * kw * site.pue;
            for &l in &s.site_limits[i] {
                s.limit_used_kw[l] += facility;
            }
            // One burn-in duration and one failure draw per site-day batch.
            let rng = &mut s.bring_up_rng[i];
            let done = day as i64 + whole_days(model.burn_in_days.sample(rng)).max(0);
            let failed = binomial(rng, n, model.failure_probability);
            if done < model.days as i64 {
                let slot = &mut s.completions[(done as usize * n_sites + i) * types + a];
                slot.0 += (n - failed) as u32;
                slot.1 += failed as u32;
            }
        }
    }
    // Attribute the day: which constraint would have let one more rack in? Crews first, then
    // power, then floor space; racks that no site accepts count as space (nowhere to put them).
    let (mut install, mut power) = (false, false);
    for a in 0..types {
        if pool[a] == 0 {
            continue;
        }
        for i in 0..n_sites {
            if !model.sites[i].accepts[a] {
                continue;
            }
            if s.site[i].racks_on_floor >= model.sites[i].max_racks {
                continue;
            } else if power_room(s, model, i, a, day) == 0 {
                power = true;
            } else {
                install = true;
            }
        }
    }
    if pool.iter().all(|&p| p == 0) {
        Bottleneck::Supply
    } else if install {
        Bottleneck::Install
    } else if power {
        Bottleneck::Power
    } else {
        Bottleneck::Space
    }
}

/// Racks of type `a` that site `i` has power for today: its spare IT power, and the room under
/// every power cap that applies to it.
#[inline]
fn power_room(s: &Scratch, model: &Model, i: usize, a: usize, day: usize) -> u64 {
    let kw = model.accelerators[a].rack_it_kw;
    let st = &s.site[i];
    let mut room = ((st.energized_it_kw - st.committed_it_kw) / kw + EPS).floor();
    let facility_per_rack = kw * model.sites[i].pue;
    for &l in &s.site_limits[i] {
        let cap = model.limits[l].cap_kw_by_day[day];
        room = room.min(((cap - s.limit_used_kw[l]) / facility_per_rack + EPS).floor());
    }
    room.max(0.0) as u64
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
        let xs: Vec<f64> = (0..n).map(|_| binomial(&mut rng, 20, 0.15) as f64).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        assert!((mean - 3.0).abs() < 5.0 * 0.005, "{mean}");
        assert!((var - 2.55).abs() < 0.05 * 2.55, "{var}");
        assert_eq!(binomial(&mut rng, 0, 0.5), 0);
        assert_eq!(binomial(&mut rng, 10, 0.0), 0);
    }
}
