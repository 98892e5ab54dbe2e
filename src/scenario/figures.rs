//! Figures derived from a scenario's plan alone (no randomness): planned racks, the power the
//! target needs, the power planned and the most GPUs that power, floor space and the power caps
//! can host. `capsim validate` prints them; the warnings use them.

use jiff::civil::Date;
use serde::Serialize;

use super::{PowerLimit, Scenario, SchedulePoint, day_index};
use crate::numeric::integrate_rate;
use crate::numeric::thousands;

/// Tolerance when rounding a rack count down to whole racks (as the engine's install step does),
/// so that `12,000 kW / 120 kW` is 100 racks even when the division lands a hair below 100.
const RACK_EPS: f64 = 1e-9;

/// What the plan implies before any uncertainty.
#[derive(Debug, Clone, Serialize)]
pub struct PlanFigures {
    /// Racks the streams plan to deliver by the deadline, including any planned before the start
    /// (they arrive on the start day): schedules × `rate_scale`, capped.
    pub planned_racks_by_deadline: f64,
    /// GPUs in those racks.
    pub planned_gpus_by_deadline: f64,
    /// Racks the streams plan to deliver over their whole schedules.
    pub planned_racks_total: f64,
    /// Racks needed for the target, at the planned mix of rack types.
    pub racks_for_target: f64,
    /// Facility MW those racks draw, at the sites' mean PUE (weighted by planned MW).
    pub facility_mw_for_target: f64,
    /// Facility MW of every planned phase (× `power_scale`).
    pub facility_mw_planned: f64,
    /// Facility MW of the phases planned to be energized by the deadline.
    pub facility_mw_planned_by_deadline: f64,
    /// Most GPUs the whole plan could ever host: every planned phase, floor space and every
    /// power cap at the highest value it takes from the start on. See
    /// [`Scenario::hosting_capacity`] (with `None`) for the method; without power caps this is
    /// the sum over sites of whole racks of the site's most GPU-dense rack type.
    pub max_gpus_hosted: f64,
    /// Most GPUs the plan could host by the deadline: the phases planned to be energized by the
    /// deadline, floor space, and every regional and fleet power cap at the highest value it
    /// takes from the start through the deadline (the value in force at the deadline unless a
    /// step lowers the cap before it). An upper bound on GPUs installed, hence online, at the
    /// deadline if phases energize as planned; see [`Scenario::hosting_capacity`].
    pub max_gpus_hosted_by_deadline: f64,
    /// [`max_gpus_hosted_by_deadline`](Self::max_gpus_hosted_by_deadline) if there were no power
    /// caps: planned power and floor space alone.
    pub max_gpus_hosted_by_deadline_without_caps: f64,
    /// The power caps that hold [`max_gpus_hosted_by_deadline`](Self::max_gpus_hosted_by_deadline)
    /// below [`max_gpus_hosted_by_deadline_without_caps`](Self::max_gpus_hosted_by_deadline_without_caps),
    /// in scenario order; empty when no cap binds.
    pub binding_caps_by_deadline: Vec<BindingCap>,
}

/// The most GPUs a plan can host by some date: [`Scenario::hosting_capacity`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostingCapacity {
    /// Most GPUs hosted, respecting site power, floor space and every power cap.
    pub gpus: f64,
    /// Most GPUs hosted with site power and floor space alone (as if there were no power caps).
    pub gpus_without_caps: f64,
    /// The caps that stopped the fill at some site, in scenario order; empty when no cap binds.
    pub binding_caps: Vec<BindingCap>,
}

/// A power cap that binds in [`Scenario::hosting_capacity`]: some site it covers could have taken
/// more racks but for this cap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BindingCap {
    /// Index into [`Scenario::power_limits`].
    pub limit: usize,
    /// The cap's id.
    pub id: String,
    /// The region the cap covers; `None` for a fleet-wide cap.
    pub region: Option<String>,
    /// The cap's value used, facility MW.
    pub mw: f64,
    /// GPUs hosted at the sites the cap covers.
    pub gpus: f64,
}

impl BindingCap {
    /// How a warning names the cap, e.g. ``regional cap `pjm` (12 MW facility, region `us-east`)``.
    pub fn describe(&self) -> String {
        match &self.region {
            Some(region) => format!(
                "regional cap `{}` ({} MW facility, region `{region}`)",
                self.id,
                mw_text(self.mw)
            ),
            None => format!("fleet cap `{}` ({} MW facility)", self.id, mw_text(self.mw)),
        }
    }
}

/// MW as a warning prints it: whole numbers without decimals, others with up to three.
fn mw_text(mw: f64) -> String {
    let text = format!("{mw:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl PowerLimit {
    /// The cap in force on `date`, facility MW: the last step dated on or before `date`, else
    /// [`mw`](Self::mw). This is the value the engine uses on that day.
    pub fn mw_on(&self, date: Date) -> f64 {
        self.steps
            .iter()
            .rev()
            .find(|(from, _)| *from <= date)
            .map(|(_, mw)| *mw)
            .unwrap_or(self.mw)
    }

    /// The highest value the cap takes on any day from `from` through `to` (every later date
    /// when `to` is `None`), facility MW. A cap only stops new installs (racks installed under a
    /// higher value stay when a step lowers it), so this, not the value on `to`, bounds the
    /// facility power the cap lets racks draw by `to`. When the cap never falls it is the value
    /// in force on `to`.
    pub fn max_mw_between(&self, from: Date, to: Option<Date>) -> f64 {
        self.steps
            .iter()
            .filter(|(date, _)| *date > from && to.is_none_or(|t| *date <= t))
            .fold(self.mw_on(from), |max, &(_, mw)| max.max(mw))
    }
}

/// Racks a schedule delivers between two dates: the integral of its piecewise-linear weekly rate.
pub(crate) fn schedule_racks(
    schedule: &[SchedulePoint],
    from_day: f64,
    to_day: f64,
    origin: jiff::civil::Date,
) -> f64 {
    let points: Vec<(f64, f64)> = schedule
        .iter()
        .map(|p| (day_index(origin, p.date) as f64, p.racks_per_week / 7.0))
        .collect();
    integrate_rate(&points, from_day, to_day)
}

impl Scenario {
    /// The plan's derived figures.
    pub fn figures(&self) -> PlanFigures {
        let deadline = self.day_of(self.deadline) as f64 + 1.0;
        let mut by_deadline = 0.0;
        let mut total = 0.0;
        let mut gpus = 0.0;
        let mut kw_per_gpu_weighted = 0.0;
        for s in &self.supply {
            let cap = s.cap_racks.map(|c| c as f64).unwrap_or(f64::INFINITY);
            let upto = (schedule_racks(&s.schedule, f64::NEG_INFINITY, deadline, self.start)
                * s.rate_scale)
                .min(cap);
            let all = (schedule_racks(&s.schedule, f64::NEG_INFINITY, f64::INFINITY, self.start)
                * s.rate_scale)
                .min(cap);
            let a = &self.accelerators[s.accelerator];
            by_deadline += upto;
            total += all;
            gpus += upto * f64::from(a.gpus_per_rack);
            kw_per_gpu_weighted += upto * a.rack_it_kw;
        }
        let (mut mw, mut mw_by_deadline, mut pue_weighted) = (0.0, 0.0, 0.0);
        for site in &self.sites {
            let site_mw: f64 = site.phases.iter().map(|p| p.mw * site.power_scale).sum();
            mw += site_mw;
            mw_by_deadline += site
                .phases
                .iter()
                .filter(|p| p.planned <= self.deadline)
                .map(|p| p.mw * site.power_scale)
                .sum::<f64>();
            pue_weighted += site_mw * site.pue;
        }
        let whole_plan = self.hosting_capacity(None);
        let by_deadline_hosting = self.hosting_capacity(Some(self.deadline));
        let mean_pue = if mw > 0.0 { pue_weighted / mw } else { 1.0 };
        // kW per GPU at the planned mix; with no planned racks, fall back to the first stream's type.
        let kw_per_gpu = if gpus > 0.0 {
            kw_per_gpu_weighted / gpus
        } else {
            self.supply
                .first()
                .map(|s| {
                    let a = &self.accelerators[s.accelerator];
                    a.rack_it_kw / f64::from(a.gpus_per_rack)
                })
                .unwrap_or(0.0)
        };
        let gpus_per_rack = if by_deadline > 0.0 {
            gpus / by_deadline
        } else {
            72.0
        };
        let target = self.target_gpus as f64;
        PlanFigures {
            planned_racks_by_deadline: by_deadline,
            planned_gpus_by_deadline: gpus,
            planned_racks_total: total,
            racks_for_target: target / gpus_per_rack,
            facility_mw_for_target: target * kw_per_gpu * mean_pue / 1000.0,
            facility_mw_planned: mw,
            facility_mw_planned_by_deadline: mw_by_deadline,
            max_gpus_hosted: whole_plan.gpus,
            max_gpus_hosted_by_deadline: by_deadline_hosting.gpus,
            max_gpus_hosted_by_deadline_without_caps: by_deadline_hosting.gpus_without_caps,
            binding_caps_by_deadline: by_deadline_hosting.binding_caps,
        }
    }

    /// The most GPUs the plan can host by `by` (the whole plan when `None`), respecting:
    ///
    /// - **site power**: the facility MW of the phases planned to be energized on or before `by`
    ///   (every phase when `None`) × `power_scale`, divided by the site's PUE to give IT MW;
    /// - **floor space**: `max_racks`;
    /// - **power caps**: every regional and fleet [`PowerLimit`] that covers the site, at
    ///   [`PowerLimit::max_mw_between`] the start and `by`. Caps count facility power, so a rack
    ///   draws `rack_it_kw × pue` of the cap's MW.
    ///
    /// Each site is filled, in whole racks, with the accepted rack type that has the most GPUs
    /// per IT kW; sites are visited in decreasing GPUs per facility kW (ties in file order), each
    /// taking as many racks as its power, its floor and the room left under every cap covering it
    /// allow. Without caps this is exact for that rack choice; with caps the greedy order is the
    /// optimum of the fractional problem (caps over regions and the fleet nest), and whole racks
    /// lose less than a rack per site. The result is therefore an upper bound, up to that
    /// rounding, on what phases energized as planned can host, unless a site's floor space binds
    /// and another accepted type has more GPUs per rack. Phase delays, supply, crews and burn-in
    /// only lower what a run reaches.
    pub fn hosting_capacity(&self, by: Option<Date>) -> HostingCapacity {
        /// One site's part of the fill.
        struct Fill {
            site: usize,
            gpus_per_rack: f64,
            /// Facility kW one rack draws against a cap: `rack_it_kw × pue`.
            facility_kw_per_rack: f64,
            /// Racks the site's own power and floor space allow.
            racks: f64,
        }
        let whole = |racks: f64| {
            if racks > 0.0 {
                (racks + RACK_EPS).floor()
            } else {
                0.0
            }
        };
        let mut fills = Vec::new();
        for (i, site) in self.sites.iter().enumerate() {
            let best = site
                .accepts
                .iter()
                .map(|&a| &self.accelerators[a])
                .max_by(|x, y| {
                    let dx = f64::from(x.gpus_per_rack) / x.rack_it_kw;
                    let dy = f64::from(y.gpus_per_rack) / y.rack_it_kw;
                    dx.total_cmp(&dy)
                });
            let Some(a) = best else { continue };
            let site_mw: f64 = site
                .phases
                .iter()
                .filter(|p| by.is_none_or(|d| p.planned <= d))
                .map(|p| p.mw * site.power_scale)
                .sum();
            let racks_by_power = whole(site_mw * 1000.0 / site.pue / a.rack_it_kw);
            let racks = site
                .max_racks
                .map(|m| racks_by_power.min(m as f64))
                .unwrap_or(racks_by_power);
            fills.push(Fill {
                site: i,
                gpus_per_rack: f64::from(a.gpus_per_rack),
                facility_kw_per_rack: a.rack_it_kw * site.pue,
                racks,
            });
        }
        let gpus_without_caps = fills.iter().map(|f| f.racks * f.gpus_per_rack).sum();

        let cap_kw: Vec<f64> = self
            .power_limits
            .iter()
            .map(|l| l.max_mw_between(self.start, by) * 1000.0)
            .collect();
        let mut used_kw = vec![0.0; cap_kw.len()];
        let mut cap_gpus = vec![0.0; cap_kw.len()];
        let mut binds = vec![false; cap_kw.len()];
        // Most GPUs per facility kW first; `sort_by` is stable, so ties keep file order.
        fills.sort_by(|x, y| {
            let dx = x.gpus_per_rack / x.facility_kw_per_rack;
            let dy = y.gpus_per_rack / y.facility_kw_per_rack;
            dy.total_cmp(&dx)
        });
        let mut gpus = 0.0;
        for f in &fills {
            let region = self.sites[f.site].region;
            let covering: Vec<usize> = (0..cap_kw.len())
                .filter(|&l| self.power_limits[l].region.is_none_or(|r| r == region))
                .collect();
            let room = |l: usize| whole((cap_kw[l] - used_kw[l]) / f.facility_kw_per_rack);
            let mut racks = f.racks;
            if let Some(cap_racks) = covering.iter().map(|&l| room(l)).reduce(f64::min)
                && cap_racks < racks
            {
                racks = cap_racks;
                for &l in &covering {
                    if room(l) == cap_racks {
                        binds[l] = true;
                    }
                }
            }
            for &l in &covering {
                used_kw[l] += racks * f.facility_kw_per_rack;
                cap_gpus[l] += racks * f.gpus_per_rack;
            }
            gpus += racks * f.gpus_per_rack;
        }
        let binding_caps = self
            .power_limits
            .iter()
            .enumerate()
            .filter(|&(l, _)| binds[l])
            .map(|(l, limit)| BindingCap {
                limit: l,
                id: limit.id.clone(),
                region: limit.region.map(|r| self.regions[r].clone()),
                mw: cap_kw[l] / 1000.0,
                gpus: cap_gpus[l],
            })
            .collect();
        HostingCapacity {
            gpus,
            gpus_without_caps,
            binding_caps,
        }
    }
}

/// The caps of a warning, e.g. ``regional cap `a` (…) and fleet cap `b` (…)``, with the verb
/// agreeing: `limits` for one cap, `limit` for several.
fn caps_phrase(caps: &[BindingCap]) -> (String, &'static str) {
    let names: Vec<String> = caps.iter().map(BindingCap::describe).collect();
    let verb = if caps.len() == 1 { "limits" } else { "limit" };
    (names.join(" and "), verb)
}

/// Problems that do not stop a run but that a planner should see first.
pub(super) fn warnings(s: &Scenario) -> Vec<String> {
    let f = s.figures();
    let mut out = Vec::new();
    let target = s.target_gpus as f64;
    if f.max_gpus_hosted < target {
        let whole_plan = s.hosting_capacity(None);
        if whole_plan.binding_caps.is_empty() {
            out.push(format!(
                "the target of {} GPUs can never be reached: all planned power ({:.0} MW facility) and floor space host at most {:.0} GPUs",
                s.target_gpus, f.facility_mw_planned, f.max_gpus_hosted
            ));
        } else {
            let (caps, verb) = caps_phrase(&whole_plan.binding_caps);
            out.push(format!(
                "the target of {} GPUs can never be reached: {caps} {verb} the whole plan to {} GPUs (all planned power, {} MW facility, and floor space alone would host {})",
                thousands(target),
                thousands(whole_plan.gpus),
                thousands(f.facility_mw_planned),
                thousands(whole_plan.gpus_without_caps)
            ));
        }
    } else if f.max_gpus_hosted_by_deadline < target {
        if f.binding_caps_by_deadline.is_empty() {
            out.push(format!(
                "the power planned by the deadline {} ({} MW facility) and floor space host at most {} GPUs, below the target of {}",
                s.deadline,
                thousands(f.facility_mw_planned_by_deadline),
                thousands(f.max_gpus_hosted_by_deadline),
                thousands(target)
            ));
        } else {
            let (caps, verb) = caps_phrase(&f.binding_caps_by_deadline);
            out.push(format!(
                "{caps} {verb} the plan to {} GPUs by {}, below the target of {} (planned power and floor space alone would host {})",
                thousands(f.max_gpus_hosted_by_deadline),
                s.deadline,
                thousands(target),
                thousands(f.max_gpus_hosted_by_deadline_without_caps)
            ));
        }
    }
    if f.planned_gpus_by_deadline < target {
        out.push(format!(
            "the supply plan delivers {:.0} GPUs by the deadline {}, short of the target of {}",
            f.planned_gpus_by_deadline, s.deadline, s.target_gpus
        ));
    }
    for stream in &s.supply {
        let before_start =
            schedule_racks(&stream.schedule, f64::NEG_INFINITY, 0.0, s.start) * stream.rate_scale;
        if before_start >= 0.5 {
            out.push(format!(
                "supply stream `{}` plans {:.0} racks before the start {}; they all arrive on the start day",
                stream.id, before_start, s.start
            ));
        }
        if !s
            .sites
            .iter()
            .any(|site| site.accepts.contains(&stream.accelerator))
        {
            out.push(format!(
                "supply stream `{}` delivers `{}` racks, which no site accepts: they will wait in staging forever",
                stream.id, s.accelerators[stream.accelerator].id
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Two sites of 10-GPU, 100 kW racks: `s1` in region `a` (PUE 1, 5 MW: 50 racks, 100 facility
    /// kW a rack) and `s2` in region `b` (PUE 1.25, 5 MW: 40 racks, 125 facility kW a rack), plus
    /// `caps` (TOML `[[power_limits]]` tables). Deadline 2026-06-30; `s2` has a second 5 MW phase
    /// planned after it (whole plan: 80 racks).
    fn two_sites(caps: &str) -> Scenario {
        let text = format!(
            r#"
[scenario]
name = "t"
start = 2026-01-05
deadline = 2026-06-30
horizon = 2026-12-31
target_gpus = 100

[[accelerators]]
id = "r"
gpus_per_rack = 10
rack_it_kw = 100
fp8_pflops_per_gpu = 1.0
bf16_pflops_per_gpu = 0.5

[[supply]]
id = "s"
accelerator = "r"
schedule = [ {{ date = 2026-01-05, racks_per_week = 10 }}, {{ date = 2026-12-31, racks_per_week = 10 }} ]

[[sites]]
id = "s1"
region = "a"
pue = 1.0
accepts = ["r"]
install_racks_per_day = 5
phases = [ {{ mw = 5, planned = 2026-01-05 }} ]

[[sites]]
id = "s2"
region = "b"
pue = 1.25
accepts = ["r"]
install_racks_per_day = 5
phases = [ {{ mw = 5, planned = 2026-01-05 }}, {{ mw = 5, planned = 2026-09-01 }} ]

{caps}
"#
        );
        super::super::parse(&text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"))
    }

    fn ids(caps: &[BindingCap]) -> Vec<&str> {
        caps.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn without_caps_each_site_hosts_whole_racks_of_its_own_power() {
        let s = two_sites("");
        let f = s.figures();
        // By the deadline: 50 + 40 racks; whole plan: 50 + 80 racks.
        assert_eq!(f.max_gpus_hosted_by_deadline, 900.0);
        assert_eq!(f.max_gpus_hosted_by_deadline_without_caps, 900.0);
        assert_eq!(f.max_gpus_hosted, 1300.0);
        assert!(f.binding_caps_by_deadline.is_empty());
    }

    #[test]
    fn a_cap_that_steps_down_counts_at_its_highest_value_so_far() {
        let limit = PowerLimit {
            id: "x".into(),
            region: None,
            mw: 9.0,
            steps: vec![
                ("2026-03-01".parse().unwrap(), 4.0),
                ("2026-08-01".parse().unwrap(), 15.0),
            ],
        };
        let d = |t: &str| t.parse::<Date>().unwrap();
        assert_eq!(limit.mw_on(d("2026-02-28")), 9.0);
        assert_eq!(limit.mw_on(d("2026-03-01")), 4.0);
        assert_eq!(
            limit.max_mw_between(d("2026-01-05"), Some(d("2026-06-30"))),
            9.0
        );
        assert_eq!(
            limit.max_mw_between(d("2026-04-01"), Some(d("2026-06-30"))),
            4.0
        );
        assert_eq!(limit.max_mw_between(d("2026-01-05"), None), 15.0);
    }

    #[test]
    fn a_fleet_cap_fills_the_densest_site_first() {
        // Fleet cap 9 MW, stepping down to 4 MW before the deadline: racks installed under 9 MW
        // stay, so 9 MW counts. s1 (0.1 GPU per facility kW) first: 50 racks, 5,000 kW; s2
        // (0.08): room 4,000 kW / 125 = 32 racks < 40. 500 + 320 = 820 GPUs.
        let s = two_sites(
            r#"[[power_limits]]
id = "fleet"
mw = 9
steps = [ { date = 2026-03-01, mw = 4 } ]"#,
        );
        let f = s.figures();
        assert_eq!(f.max_gpus_hosted_by_deadline, 820.0);
        assert_eq!(f.max_gpus_hosted_by_deadline_without_caps, 900.0);
        assert_eq!(
            f.binding_caps_by_deadline,
            vec![BindingCap {
                limit: 0,
                id: "fleet".into(),
                region: None,
                mw: 9.0,
                gpus: 820.0,
            }]
        );
        assert_eq!(
            f.binding_caps_by_deadline[0].describe(),
            "fleet cap `fleet` (9 MW facility)"
        );
        // Whole plan: s2 could take 80 racks; 4,000 kW of room still gives 32.
        assert_eq!(f.max_gpus_hosted, 820.0);
        let w = warnings(&s);
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn regional_and_fleet_caps_bind_together_and_are_both_named() {
        // a-cap 3 MW: s1 takes 3,000 / 100 = 30 racks (not 50); fleet 6 MW has 3,000 kW left:
        // s2 takes 3,000 / 125 = 24 racks (not 40). 300 + 240 = 540 GPUs.
        let mut s = two_sites(
            r#"[[power_limits]]
id = "a-cap"
region = "a"
mw = 3

[[power_limits]]
id = "fleet"
mw = 6"#,
        );
        s.target_gpus = 600;
        let f = s.figures();
        assert_eq!(f.max_gpus_hosted_by_deadline, 540.0);
        assert_eq!(ids(&f.binding_caps_by_deadline), ["a-cap", "fleet"]);
        assert_eq!(f.binding_caps_by_deadline[0].gpus, 300.0);
        assert_eq!(f.binding_caps_by_deadline[1].gpus, 540.0);
        let w = warnings(&s);
        assert!(
            w.iter().any(|w| w.contains(
                "the target of 600 GPUs can never be reached: regional cap `a-cap` (3 MW facility, region `a`) and fleet cap `fleet` (6 MW facility) limit the whole plan to 540 GPUs"
            )),
            "{w:?}"
        );
        // Without the fleet cap: s1 still 30 racks, s2 (no cap in region b) 40: 700 GPUs.
        s.power_limits.pop();
        let f = s.figures();
        assert_eq!(f.max_gpus_hosted_by_deadline, 700.0);
        assert_eq!(ids(&f.binding_caps_by_deadline), ["a-cap"]);
    }

    #[test]
    fn a_cap_that_leaves_room_does_not_bind() {
        let s = two_sites(
            r#"[[power_limits]]
id = "b-cap"
region = "b"
mw = 5"#,
        );
        let f = s.figures();
        // s2 draws 40 x 125 kW = 5,000 kW: exactly the cap, which therefore does not bind.
        assert_eq!(f.max_gpus_hosted_by_deadline, 900.0);
        assert!(f.binding_caps_by_deadline.is_empty());
        // The whole plan's second phase would take s2 to 80 racks, 10 MW: the cap holds it at 40.
        assert_eq!(f.max_gpus_hosted, 900.0);
        assert_eq!(ids(&s.hosting_capacity(None).binding_caps), ["b-cap"]);
    }

    #[test]
    fn mw_text_drops_trailing_zeros() {
        assert_eq!(mw_text(12.0), "12");
        assert_eq!(mw_text(12.5), "12.5");
        assert_eq!(mw_text(0.125), "0.125");
    }
}
