//! Where the missing GPUs are: for each day, the mean shortfall (target − online GPUs) split by
//! cause — bring-up, install crews, power, floor space, not yet delivered — stacked, so the top
//! of the stack is the mean gap to the target (`docs/model.md`, "Where the missing GPUs are").
//! The target and the deadline are drawn as on the fan chart ([`super::fan::reference_lines`]).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, Mark, Sizes, draw_err, okabe_ito as oi};
use super::{ChartData, ChartError};
use crate::stats::{Bottleneck, DailyStat};

/// The legend label and colour of a cause's layer.
pub(super) fn layer_style(cause: Bottleneck) -> (&'static str, RGBColor) {
    match cause {
        Bottleneck::BringUp => ("Bring-up (burn-in, repair, pod tests)", oi::GREEN),
        Bottleneck::Install => ("Waiting for install crews", oi::ORANGE),
        Bottleneck::Power => ("Waiting for power", oi::VERMILLION),
        Bottleneck::Space => ("Waiting for floor space", oi::PURPLE),
        Bottleneck::Supply => ("Not yet delivered", oi::SKY_BLUE),
    }
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    sz: &Sizes,
) -> Result<(), ChartError> {
    let d = &data.daily;
    // Bottom to top: nearest to online first, not yet delivered on top.
    let mut layers = Vec::with_capacity(Bottleneck::COUNT);
    for cause in Bottleneck::NEAREST_TO_ONLINE_FIRST {
        let (label, color) = layer_style(cause);
        let missing = d.metric(cause.shortfall_metric(), DailyStat::Mean)?;
        layers.push((label, missing, color));
    }
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
