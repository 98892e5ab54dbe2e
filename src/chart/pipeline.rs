//! Delivered, installed and online GPUs (per-day medians): the gap between delivered and
//! installed is racks waiting in staging, the gap between installed and online is burn-in and
//! rework.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, Mark, Sizes, draw_err, okabe_ito as oi};
use super::{ChartData, ChartError, fan};
use crate::stats::{DailyStat, Metric};

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    sz: &Sizes,
) -> Result<(), ChartError> {
    let d = &data.daily;
    let f = &data.facts;
    let lines = [
        (
            "Delivered",
            d.metric(Metric::DeliveredGpus, DailyStat::P50)?,
            oi::ORANGE,
        ),
        (
            "Installed",
            d.metric(Metric::InstalledGpus, DailyStat::P50)?,
            oi::SKY_BLUE,
        ),
        (
            "Online (passed burn-in)",
            d.metric(Metric::OnlineGpus, DailyStat::P50)?,
            oi::GREEN,
        ),
    ];
    let subtitle = vec![
        super::run_line(data),
        "Per-day medians across trials. Delivered − installed: racks waiting for crews, power or \
         space; installed − online: burn-in and rework."
            .to_owned(),
    ];
    let mut legend: Vec<(String, Mark)> = lines
        .iter()
        .map(|(l, _, c)| ((*l).to_owned(), Mark::Line(*c)))
        .collect();
    legend.extend(style::reference_legend(f));
    let area = style::header(
        root,
        sz,
        "GPUs delivered, installed and online (medians)",
        &subtitle,
        &legend,
    )?;

    let axis = style::DayAxis::new(d.dates[0], d.len());
    let max = lines
        .iter()
        .flat_map(|(_, v, _)| v.iter().copied())
        .fold(f.target_gpus, f64::max);
    let ymax = style::y_top(max);
    let mut chart = style::builder(&area, sz, false)
        .build_cartesian_2d(axis.clone(), 0.0..ymax)
        .map_err(draw_err)?;
    style::style_mesh(&mut chart, sz, &axis, "GPUs (count)", &|v| {
        style::fmt_count(*v)
    })?;
    for (_, v, c) in lines {
        chart
            .draw_series(LineSeries::new(style::series(v), c.stroke_width(sz.line())))
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
