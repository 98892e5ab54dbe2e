//! Where the missing GPUs are: for each day, the mean shortfall (target − online GPUs) split by
//! cause — bring-up, install crews, power, floor space, not yet delivered — stacked, so the top
//! of the stack is the mean gap to the target (`docs/model.md`, "Where the missing GPUs are").

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
    // Bottom to top: nearest to online first, not yet delivered on top.
    let layers = [
        (
            "Bring-up (burn-in, repair, pod tests)",
            d.column("shortfall_bring_up_gpus_mean")?,
            oi::GREEN,
        ),
        (
            "Waiting for install crews",
            d.column("shortfall_install_gpus_mean")?,
            oi::ORANGE,
        ),
        (
            "Waiting for power",
            d.column("shortfall_power_gpus_mean")?,
            oi::VERMILLION,
        ),
        (
            "Waiting for floor space",
            d.column("shortfall_space_gpus_mean")?,
            oi::PURPLE,
        ),
        (
            "Not yet delivered",
            d.column("shortfall_supply_gpus_mean")?,
            oi::SKY_BLUE,
        ),
    ];
    let subtitle = vec![
        super::run_line(data),
        "Each day, the mean number of GPUs still missing from the target, by why they are not \
         online yet; the top of the stack is the mean gap."
            .to_owned(),
    ];
    let mut legend: Vec<(String, Mark)> = layers
        .iter()
        .map(|(l, _, c)| ((*l).to_owned(), Mark::Fill(*c, 0.85)))
        .collect();
    legend.extend(style::reference_legend(&data.facts));
    let area = style::header(root, sz, "Where the missing GPUs are", &subtitle, &legend)?;

    let axis = style::DayAxis::new(d.dates[0], d.len());
    let target = data.facts.target_gpus;
    let ymax = style::y_top(target);
    let mut chart = style::builder(&area, sz, false)
        .build_cartesian_2d(axis.clone(), 0.0..ymax)
        .map_err(draw_err)?;
    style::style_mesh(&mut chart, sz, &axis, "Missing GPUs (mean)", &|v| {
        style::fmt_count(*v)
    })?;
    let mut lower = vec![0.0; d.len()];
    for (_, v, c) in layers {
        let upper: Vec<f64> = lower.iter().zip(v).map(|(l, s)| l + s).collect();
        chart
            .draw_series(std::iter::once(Polygon::new(
                style::band(&upper, &lower),
                c.mix(0.85).filled(),
            )))
            .map_err(draw_err)?;
        lower = upper;
    }
    let x_end = super::fan::axis_end(d.len());
    super::fan::reference_lines(root, &mut chart, sz, data, target, ymax, x_end)?;
    Ok(())
}
