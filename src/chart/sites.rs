//! Online GPUs per site over time: stacked per-site means. Means, because the means of the
//! parts add up to the mean of the whole; per-site medians would not add up to anything.

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
    let mut legend: Vec<(String, Mark)> = sites
        .iter()
        .enumerate()
        .map(|(i, (id, _))| ((*id).to_owned(), Mark::Fill(color(i), 0.85)))
        .collect();
    legend.extend(style::reference_legend(f));
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
    let ymax = style::y_top(max);
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
