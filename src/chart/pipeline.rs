//! Delivered, installed and online GPUs (per-day medians): the gap between delivered and
//! installed is racks waiting in staging, the gap between installed and online is burn-in and
//! rework. Installed is dashed and blue, online solid and green, so the burn-in gap shows
//! even where the two lines run a few pixels apart.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, Mark, Sizes, draw_err, okabe_ito as oi};
use super::{ChartData, ChartError, fan};
use crate::stats::{DailyStat, Metric};

/// Colour of the delivered line.
pub(super) const DELIVERED: RGBColor = oi::ORANGE;
/// Colour of the installed line (dashed).
pub(super) const INSTALLED: RGBColor = oi::BLUE;
/// Colour of the online line (solid).
pub(super) const ONLINE: RGBColor = oi::GREEN;
/// Dash and gap of the installed line, in design pixels.
pub(super) const INSTALLED_DASH: (f64, f64) = (12.0, 7.0);

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
            DELIVERED,
            false,
        ),
        (
            "Installed",
            d.metric(Metric::InstalledGpus, DailyStat::P50)?,
            INSTALLED,
            true,
        ),
        (
            "Online (passed burn-in)",
            d.metric(Metric::OnlineGpus, DailyStat::P50)?,
            ONLINE,
            false,
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
        .map(|&(l, _, c, dashed)| {
            let mark = if dashed {
                Mark::Dashed(c)
            } else {
                Mark::Line(c)
            };
            (l.to_owned(), mark)
        })
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
        .flat_map(|(_, v, _, _)| v.iter().copied())
        .fold(f.target_gpus, f64::max);
    let ymax = style::y_top(max);
    let mut chart = style::builder(&area, sz, false)
        .build_cartesian_2d(axis.clone(), 0.0..ymax)
        .map_err(draw_err)?;
    style::style_mesh(&mut chart, sz, &axis, "GPUs (count)", &|v| {
        style::fmt_count(*v)
    })?;
    // Online first, installed dashed over it: where the two coincide the dashes alternate
    // blue and green; where burn-in holds racks back they part.
    for (_, v, c, dashed) in lines.into_iter().rev() {
        let stroke = c.stroke_width(sz.line());
        if dashed {
            let (dash, gap) = INSTALLED_DASH;
            chart
                .draw_series(DashedLineSeries::new(
                    style::series(v),
                    sz.px(dash),
                    sz.px(gap),
                    stroke,
                ))
                .map_err(draw_err)?;
        } else {
            chart
                .draw_series(LineSeries::new(style::series(v), stroke))
                .map_err(draw_err)?;
        }
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
