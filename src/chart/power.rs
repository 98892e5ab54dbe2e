//! Power over time: energized facility MW, IT MW in use and stranded facility MW (energized but
//! unused), medians with P10–P90 bands.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, Mark, Sizes, draw_err, okabe_ito as oi};
use super::{ChartData, ChartError};
use crate::stats::{DailyStat, Metric};

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    sz: &Sizes,
) -> Result<(), ChartError> {
    let d = &data.daily;
    let metrics = [
        ("Energized (facility MW)", Metric::EnergizedMw, oi::ORANGE),
        ("IT load in use (IT MW)", Metric::ItMwInUse, oi::BLUE),
        (
            "Stranded: energized, unused (facility MW)",
            Metric::StrandedMw,
            oi::VERMILLION,
        ),
    ];
    let mut cols = Vec::new();
    for (label, m, c) in metrics {
        cols.push((
            label,
            d.metric(m, DailyStat::P10)?,
            d.metric(m, DailyStat::P50)?,
            d.metric(m, DailyStat::P90)?,
            c,
        ));
    }
    let subtitle = vec![
        super::run_line(data),
        "Lines: per-day medians across trials; bands: P10–P90. Facility MW include cooling and \
         losses (PUE); IT MW do not."
            .to_owned(),
    ];
    let mut legend: Vec<(String, Mark)> = cols
        .iter()
        .map(|(l, _, _, _, c)| ((*l).to_owned(), Mark::Line(*c)))
        .collect();
    legend.push(("P10–P90".to_owned(), Mark::Fill(oi::BLACK, 0.15)));
    let area = style::header(
        root,
        sz,
        "Power: energized, in use and stranded",
        &subtitle,
        &legend,
    )?;

    let axis = style::DayAxis::new(d.dates[0], d.len());
    let max = cols
        .iter()
        .flat_map(|(_, _, _, p90, _)| p90.iter().copied())
        .fold(0.0, f64::max);
    let ymax = style::y_top(max);
    let mut chart = style::builder(&area, sz, false)
        .build_cartesian_2d(axis.clone(), 0.0..ymax)
        .map_err(draw_err)?;
    style::style_mesh(&mut chart, sz, &axis, "Power (MW)", &|v| {
        style::fmt_plain(*v)
    })?;
    for (_, p10, _, p90, c) in &cols {
        chart
            .draw_series(std::iter::once(Polygon::new(
                style::band(p90, p10),
                c.mix(0.2).filled(),
            )))
            .map_err(draw_err)?;
    }
    for (_, _, p50, _, c) in &cols {
        chart
            .draw_series(LineSeries::new(
                style::series(p50),
                c.stroke_width(sz.line()),
            ))
            .map_err(draw_err)?;
    }
    Ok(())
}
