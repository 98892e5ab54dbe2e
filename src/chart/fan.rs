//! Ramp fan chart: available GPUs over time, median with P25–P75 and P10–P90 bands (the P10–P90
//! the summary and the compare overlay report), the target and the deadline, the start date
//! labelled on the x axis, and P(target by deadline) with its interval in the title.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::style::{self, Mark, Sizes, draw_err, okabe_ito as oi};
use super::{ChartData, ChartError};
use crate::stats::{DailyStat, Metric};

/// The band and median colour (tests look for it inside the plot area).
pub(super) const BAND: RGBColor = oi::BLUE;
/// Opacity of the outer (P10–P90) band.
pub(super) const OUTER_ALPHA: f64 = 0.18;
/// Opacity of the inner (P25–P75) band.
pub(super) const INNER_ALPHA: f64 = 0.38;

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    sz: &Sizes,
) -> Result<(), ChartError> {
    let d = &data.daily;
    let f = &data.facts;
    let available = |stat| d.metric(Metric::AvailableGpus, stat);
    let p10 = available(DailyStat::P10)?;
    let p25 = available(DailyStat::P25)?;
    let p50 = available(DailyStat::P50)?;
    let p75 = available(DailyStat::P75)?;
    let p90 = available(DailyStat::P90)?;

    let (lo, hi) = f.p_target_ci95;
    let title = format!(
        "Available GPUs over time · P(target by deadline) {} (95% CI {} – {})",
        style::fmt_pct(f.p_target),
        style::fmt_pct(lo),
        style::fmt_pct(hi)
    );
    let subtitle = vec![
        super::run_line(data),
        "Available = online minus GPUs out for repair; the target is scored on online GPUs. \
         Bands are per-day percentiles across trials."
            .to_owned(),
    ];
    let mut legend = vec![
        ("Median".to_owned(), Mark::Line(BAND)),
        ("P25–P75".to_owned(), Mark::Fill(BAND, INNER_ALPHA)),
        ("P10–P90".to_owned(), Mark::Fill(BAND, OUTER_ALPHA)),
    ];
    legend.extend(style::reference_legend(f));
    let area = style::header(root, sz, &title, &subtitle, &legend)?;

    let axis = style::DayAxis::new(d.dates[0], d.len());
    let ymax = style::y_top(p90.iter().copied().fold(f.target_gpus, f64::max));
    let mut chart = style::builder(&area, sz, false)
        .build_cartesian_2d(axis.clone(), 0.0..ymax)
        .map_err(draw_err)?;
    style::style_mesh(&mut chart, sz, &axis, "GPUs available (count)", &|v| {
        style::fmt_count(*v)
    })?;
    style::label_start(root, &chart, sz, &axis)?;

    chart
        .draw_series(std::iter::once(Polygon::new(
            style::band(p90, p10),
            BAND.mix(OUTER_ALPHA).filled(),
        )))
        .map_err(draw_err)?;
    chart
        .draw_series(std::iter::once(Polygon::new(
            style::band(p75, p25),
            BAND.mix(INNER_ALPHA).filled(),
        )))
        .map_err(draw_err)?;
    chart
        .draw_series(LineSeries::new(
            style::series(p50),
            BAND.stroke_width(sz.line()),
        ))
        .map_err(draw_err)?;

    let x_end = axis_end(d.len());
    reference_lines(root, &mut chart, sz, data, f.target_gpus, ymax, x_end)?;
    Ok(())
}

/// The last x value of the axis.
pub(super) fn axis_end(days: usize) -> f64 {
    (days.saturating_sub(1) as f64).max(1.0)
}

/// Target (horizontal, vermillion, dashed) and deadline (vertical, black, dashed), labelled.
pub(super) fn reference_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<style::DayAxis, plotters::coord::types::RangedCoordf64>,
    >,
    sz: &Sizes,
    data: &ChartData,
    target: f64,
    ymax: f64,
    x_end: f64,
) -> Result<(), ChartError> {
    let dash = sz.px(10.0);
    let gap = sz.px(6.0);
    chart
        .draw_series(DashedLineSeries::new(
            vec![(0.0, target), (x_end, target)],
            dash,
            gap,
            oi::VERMILLION.stroke_width(sz.pxu(2.5)),
        ))
        .map_err(draw_err)?;
    let (tx, ty) = chart.backend_coord(&(0.0, target));
    style::boxed_label(
        root,
        sz,
        &format!("target {}", style::fmt_plain(target)),
        (tx + sz.px(6.0), ty - style::label_height(sz) - sz.px(2.0)),
        HPos::Left,
        oi::VERMILLION,
    )?;
    deadline_line(root, chart, sz, data, ymax, x_end)
}

/// The deadline: a vertical black dashed line over the whole plot, labelled at its top (to the
/// left of the line near the right edge); nothing when the deadline is off the axis.
pub(super) fn deadline_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<style::DayAxis, plotters::coord::types::RangedCoordf64>,
    >,
    sz: &Sizes,
    data: &ChartData,
    ymax: f64,
    x_end: f64,
) -> Result<(), ChartError> {
    let dl = data.day_of(data.facts.deadline);
    if (0.0..=x_end).contains(&dl) {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(dl, 0.0), (dl, ymax)],
                sz.px(10.0),
                sz.px(6.0),
                oi::BLACK.stroke_width(sz.pxu(2.0)),
            ))
            .map_err(draw_err)?;
        let (px, py) = chart.backend_coord(&(dl, ymax));
        let (h, px) = if dl > x_end * 0.8 {
            (HPos::Right, px - sz.px(6.0))
        } else {
            (HPos::Left, px + sz.px(6.0))
        };
        style::boxed_label(
            root,
            sz,
            &format!("deadline {}", data.facts.deadline),
            (px, py + sz.px(4.0)),
            h,
            oi::BLACK,
        )?;
    }
    Ok(())
}
