//! Bottlenecks over time: for each day, the share of all trials held back by supply, power,
//! install crews or floor space, and the share already at the target (stacked; they sum to 1).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, Mark, Sizes, draw_err, okabe_ito as oi};
use super::{ChartData, ChartError};

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    sz: &Sizes,
) -> Result<(), ChartError> {
    let d = &data.daily;
    // Bottom to top: the reached share grows from below, the constraints fill the rest.
    let layers = [
        ("At target", d.column("reached_target_share")?, oi::GREEN),
        (
            "Install crews",
            d.column("bottleneck_install_share")?,
            oi::ORANGE,
        ),
        ("Power", d.column("bottleneck_power_share")?, oi::VERMILLION),
        (
            "Floor space",
            d.column("bottleneck_space_share")?,
            oi::PURPLE,
        ),
        (
            "Supply (nothing waiting to install)",
            d.column("bottleneck_supply_share")?,
            oi::SKY_BLUE,
        ),
    ];
    let subtitle = vec![
        super::run_line(data),
        "Each day, the share of all trials held back by each constraint, and the share already at \
         the target (together 100%)."
            .to_owned(),
    ];
    let legend: Vec<(String, Mark)> = layers
        .iter()
        .map(|(l, _, c)| ((*l).to_owned(), Mark::Fill(*c, 0.85)))
        .collect();
    let area = style::header(
        root,
        sz,
        "What holds the ramp back, day by day",
        &subtitle,
        &legend,
    )?;

    let axis = style::DayAxis::new(d.dates[0], d.len());
    let mut chart = style::builder(&area, sz, false)
        .build_cartesian_2d(axis.clone(), 0.0..100.0)
        .map_err(draw_err)?;
    style::style_mesh(&mut chart, sz, &axis, "Share of trials (%)", &|v| {
        format!("{v:.0}%")
    })?;
    let mut lower = vec![0.0; d.len()];
    for (_, v, c) in layers {
        let upper: Vec<f64> = lower
            .iter()
            .zip(v)
            .map(|(l, s)| (l + s * 100.0).min(100.0))
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(
                style::band(&upper, &lower),
                c.mix(0.85).filled(),
            )))
            .map_err(draw_err)?;
        lower = upper;
    }
    Ok(())
}
