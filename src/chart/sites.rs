//! Online GPUs per site over time: stacked per-site means. Means, because the means of the
//! parts add up to the mean of the whole; per-site medians would not add up to anything.
//! The y axis ends on a labelled tick, so the top of the stack (the mean total) reads off a
//! label; the legend names only the sites (the target and deadline lines carry their own
//! labels), so it fits on one row at the default size.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, Mark, Sizes, draw_err, okabe_ito as oi};
use super::{ChartData, ChartError, fan};

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    sz: &Sizes,
) -> Result<(), ChartError> {
    let d = &data.daily;
    let f = &data.facts;
    let sites = d.site_online_means();
    let subtitle = vec![
        super::run_line(data),
        "Mean online GPUs per site, stacked: means of the parts add up to the mean of the whole \
         (medians would not)."
            .to_owned(),
    ];
    let color = |i: usize| oi::CYCLE[i % oi::CYCLE.len()];
    let legend: Vec<(String, Mark)> = sites
        .iter()
        .enumerate()
        .map(|(i, (id, _))| ((*id).to_owned(), Mark::Fill(color(i), 0.85)))
        .collect();
    let area = style::header(
        root,
        sz,
        "Online GPUs by site (means, stacked)",
        &subtitle,
        &legend,
    )?;

    let mut stacks = Vec::with_capacity(sites.len());
    let mut lower = vec![0.0; d.len()];
    for (_, v) in &sites {
        let upper: Vec<f64> = lower.iter().zip(v.iter()).map(|(l, s)| l + s).collect();
        stacks.push((lower, upper.clone()));
        lower = upper;
    }
    let max = lower.iter().copied().fold(f.target_gpus, f64::max);
    let ymax = labelled_top(max);
    let axis = style::DayAxis::new(d.dates[0], d.len());
    let mut chart = style::builder(&area, sz, false)
        .build_cartesian_2d(axis.clone(), 0.0..ymax)
        .map_err(draw_err)?;
    style::style_mesh(&mut chart, sz, &axis, "Online GPUs, mean (count)", &|v| {
        style::fmt_count(*v)
    })?;
    for (i, (lo, up)) in stacks.iter().enumerate() {
        chart
            .draw_series(std::iter::once(Polygon::new(
                style::band(up, lo),
                color(i).mix(0.85).filled(),
            )))
            .map_err(draw_err)?;
    }
    fan::reference_lines(
        root,
        &mut chart,
        sz,
        data,
        f.target_gpus,
        ymax,
        fan::axis_end(d.len()),
    )
}

/// Most y labels `style::style_mesh` asks for.
const Y_LABELS: usize = 8;

/// The top of a count axis that starts at 0: the smallest multiple of a 1, 2 or 5 × 10ⁿ step at
/// least 2% above `max` that needs at most [`Y_LABELS`] labels, so the label step plotters
/// picks for `0..top` (the smallest such step) lands on `top` and the top tick is labelled.
pub(super) fn labelled_top(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return style::y_top(max);
    }
    let want = max * 1.02;
    let mut step = 10f64.powf(want.log10().floor() - 1.0);
    loop {
        for m in [1.0, 2.0, 5.0] {
            let s = step * m;
            let top = (want / s).ceil() * s;
            // Labels at 0, s, 2s, ..., top.
            if ((top / s).round() as usize) < Y_LABELS {
                return top;
            }
        }
        step *= 10.0;
    }
}
