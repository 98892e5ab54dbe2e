//! Figures derived from a scenario's plan alone (no randomness): planned racks, the power the
//! target needs and the power planned. `capsim validate` prints them; the warnings use them.

use serde::Serialize;

use super::{Scenario, SchedulePoint, day_index};

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
    /// Most GPUs the planned power and floor space could host, with the most GPU-dense rack
    /// type each site accepts.
    pub max_gpus_hosted: f64,
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

/// ∫ rate(t) dt over [a, b] for a piecewise-linear rate given at `(day, per-day rate)` points,
/// zero outside the first and last point.
pub(crate) fn integrate_rate(points: &[(f64, f64)], a: f64, b: f64) -> f64 {
    if points.len() < 2 || b <= a {
        return 0.0;
    }
    let mut total = 0.0;
    for w in points.windows(2) {
        let ((t0, r0), (t1, r1)) = (w[0], w[1]);
        let lo = a.max(t0);
        let hi = b.min(t1);
        if hi <= lo || t1 <= t0 {
            continue;
        }
        let at = |t: f64| r0 + (r1 - r0) * (t - t0) / (t1 - t0);
        total += (at(lo) + at(hi)) / 2.0 * (hi - lo);
    }
    total
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
        let (mut mw, mut mw_by_deadline, mut pue_weighted, mut max_gpus) = (0.0, 0.0, 0.0, 0.0);
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
            let best = site
                .accepts
                .iter()
                .map(|&a| &self.accelerators[a])
                .max_by(|x, y| {
                    let dx = f64::from(x.gpus_per_rack) / x.rack_it_kw;
                    let dy = f64::from(y.gpus_per_rack) / y.rack_it_kw;
                    dx.total_cmp(&dy)
                });
            if let Some(a) = best {
                let racks_by_power = (site_mw * 1000.0 / site.pue / a.rack_it_kw).floor();
                let racks = site
                    .max_racks
                    .map(|m| racks_by_power.min(m as f64))
                    .unwrap_or(racks_by_power);
                max_gpus += racks * f64::from(a.gpus_per_rack);
            }
        }
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
            max_gpus_hosted: max_gpus,
        }
    }
}

/// Problems that do not stop a run but that a planner should see first.
pub(super) fn warnings(s: &Scenario) -> Vec<String> {
    let f = s.figures();
    let mut out = Vec::new();
    let target = s.target_gpus as f64;
    if f.max_gpus_hosted < target {
        out.push(format!(
            "the target of {} GPUs can never be reached: all planned power ({:.0} MW facility) and floor space host at most {:.0} GPUs",
            s.target_gpus, f.facility_mw_planned, f.max_gpus_hosted
        ));
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

    #[test]
    fn linear_rate_integrates_to_trapezoids() {
        let pts = [(0.0, 0.0), (10.0, 10.0), (20.0, 10.0)];
        assert!((integrate_rate(&pts, 0.0, 20.0) - 150.0).abs() < 1e-12);
        assert!((integrate_rate(&pts, 5.0, 15.0) - (37.5 + 50.0)).abs() < 1e-12);
        assert_eq!(integrate_rate(&pts, 25.0, 30.0), 0.0);
        assert_eq!(integrate_rate(&pts[..1], 0.0, 30.0), 0.0);
    }
}
