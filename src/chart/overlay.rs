//! Overlay fan chart for `capsim compare`: available GPUs over time of several scenarios on one
//! plot, each as its median with a P10–P90 band, plus the target and deadline lines (labelled on
//! the plot, not in the legend, which keeps a small image's plot tall). Each scenario's legend
//! swatch is its line over its band, so the bands need no grey entry of their own; scenario
//! colours avoid the target line's vermillion and put orange, close to it, last.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{self, Sizes, draw_err, okabe_ito as oi};
use super::{ChartData, ChartError, ChartFormat};
use crate::stats::{DailyStat, Metric};

/// Opacity of each scenario's P10–P90 band (low: bands overlap).
const BAND_ALPHA: f64 = 0.16;

/// Draws the overlay of `runs` (label, results read back from the scenario's folder) as `format`
/// at `size`; the first run is the baseline and sets the date axis start, the target and the
/// deadline lines (other scenarios' target and deadline, when different, are drawn unlabelled in
/// their colour). Returns the file's bytes.
pub fn render_overlay(
    runs: &[(String, ChartData)],
    format: ChartFormat,
    size: (u32, u32),
) -> Result<Vec<u8>, ChartError> {
    super::check_drawable(size)?;
    if runs.is_empty() {
        return Err(ChartError::NoData {
            chart: "overlay",
            reason: "no scenarios to draw".into(),
        });
    }
    render_to!(format, size, |root| draw(&root, runs, &Sizes::new(size)))
}

/// Scenario colours, in order. Vermillion marks the target line and orange is close to it, so
/// orange comes last and vermillion is left out.
const COLOURS: [RGBColor; 6] = [
    oi::BLUE,
    oi::GREEN,
    oi::PURPLE,
    oi::SKY_BLUE,
    oi::YELLOW,
    oi::ORANGE,
];

/// Colour of the `i`-th scenario (0: the baseline), also in the differences chart.
pub(super) fn colour(i: usize) -> RGBColor {
    COLOURS[i % COLOURS.len()]
}

/// Draws the legend at the top of `area` (wrapped like the header's): each scenario's label
/// with its swatch, its median line over its P10–P90 band, in its colour. The target and
/// deadline lines are labelled on the plot, so they take no legend room. Returns the area below.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    sz: &Sizes,
    entries: &[(String, RGBColor)],
) -> Result<DrawingArea<DB, Shift>, ChartError> {
    let pad = sz.px(20.0);
    let row_h = sz.px(26.0);
    let swatch = sz.px(34.0);
    let gap = sz.px(26.0);
    let half = sz.px(9.0);
    let text = sz.legend().pos(Pos::new(HPos::Left, VPos::Center));
    let right = sz.width as i32 - pad;
    let mut x = pad;
    let mut cy = row_h / 2;
    for (label, c) in entries {
        let (tw, _) = area.estimate_text_size(label, &text).map_err(draw_err)?;
        let w = swatch + sz.px(8.0) + tw as i32;
        if x > pad && x + w > right {
            x = pad;
            cy += row_h;
        }
        area.draw(&Rectangle::new(
            [(x, cy - half), (x + swatch, cy + half)],
            c.mix(BAND_ALPHA).filled(),
        ))
        .map_err(draw_err)?;
        area.draw(&PathElement::new(
            vec![(x, cy), (x + swatch, cy)],
            c.stroke_width(sz.line()),
        ))
        .map_err(draw_err)?;
        area.draw_text(label, &text, (x + swatch + sz.px(8.0), cy))
            .map_err(draw_err)?;
        x += w + gap;
    }
    let (_, rest) = area.split_vertically(cy + row_h / 2 + sz.px(6.0));
    Ok(rest)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    runs: &[(String, ChartData)],
    sz: &Sizes,
) -> Result<(), ChartError> {
    let base = &runs[0].1;
    // Each run's columns, shifted onto the baseline's day axis.
    let mut curves = Vec::new();
    let mut x_end: f64 = 1.0;
    let mut ymax = base.facts.target_gpus;
    for (_, data) in runs {
        let offset = base.day_of(data.daily.dates[0]);
        let shift = |v: &[f64]| -> Vec<(f64, f64)> {
            v.iter()
                .enumerate()
                .map(|(i, &y)| (i as f64 + offset, y))
                .filter(|(x, _)| *x >= 0.0)
                .collect()
        };
        let available = |stat| data.daily.metric(Metric::AvailableGpus, stat);
        let p10 = shift(available(DailyStat::P10)?);
        let p50 = shift(available(DailyStat::P50)?);
        let p90 = shift(available(DailyStat::P90)?);
        for &(x, y) in &p90 {
            x_end = x_end.max(x);
            ymax = ymax.max(y);
        }
        ymax = ymax.max(data.facts.target_gpus);
        curves.push((p10, p50, p90));
    }
    let title = "Available GPUs over time, scenarios compared (same seed, paired trials)";
    let mut subtitle = vec![format!(
        "{} trials each · target {} online GPUs by {} (baseline {})",
        style::fmt_thousands(base.facts.trials),
        style::fmt_plain(base.facts.target_gpus),
        base.facts.deadline,
        runs[0].0
    )];
    subtitle.push("Lines are medians, bands P10–P90 across trials, per day.".to_owned());
    let entries: Vec<(String, RGBColor)> = runs
        .iter()
        .enumerate()
        .map(|(i, (label, data))| {
            (
                format!(
                    "{label} (P(target) {})",
                    style::fmt_pct(data.facts.p_target)
                ),
                colour(i),
            )
        })
        .collect();
    let area = style::header(root, sz, title, &subtitle, &[])?;
    let area = legend(&area, sz, &entries)?;

    let days = x_end as usize + 1;
    let axis = style::DayAxis::new(base.daily.dates[0], days);
    let ymax = style::y_top(ymax);
    let mut chart = style::builder(&area, sz, false)
        .build_cartesian_2d(axis.clone(), 0.0..ymax)
        .map_err(draw_err)?;
    style::style_mesh(&mut chart, sz, &axis, "GPUs available (count)", &|v| {
        style::fmt_count(*v)
    })?;

    for (i, (p10, _, p90)) in curves.iter().enumerate() {
        let mut pts = p90.clone();
        pts.extend(p10.iter().rev().copied());
        chart
            .draw_series(std::iter::once(Polygon::new(
                pts,
                colour(i).mix(BAND_ALPHA).filled(),
            )))
            .map_err(draw_err)?;
    }
    for (i, (_, p50, _)) in curves.iter().enumerate() {
        chart
            .draw_series(LineSeries::new(
                p50.clone(),
                colour(i).stroke_width(sz.line()),
            ))
            .map_err(draw_err)?;
    }
    // Other scenarios' target and deadline, where they differ from the baseline's.
    for (i, (_, data)) in runs.iter().enumerate().skip(1) {
        let dash = sz.px(6.0);
        let c = colour(i).stroke_width(sz.pxu(1.5));
        if data.facts.target_gpus != base.facts.target_gpus {
            let t = data.facts.target_gpus;
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(0.0, t), (x_end, t)],
                    dash,
                    dash,
                    c,
                ))
                .map_err(draw_err)?;
        }
        if data.facts.deadline != base.facts.deadline {
            let dl = base.day_of(data.facts.deadline);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(dl, 0.0), (dl, ymax)],
                    dash,
                    dash,
                    c,
                ))
                .map_err(draw_err)?;
        }
    }
    super::fan::reference_lines(
        root,
        &mut chart,
        sz,
        base,
        base.facts.target_gpus,
        ymax,
        x_end,
    )?;
    Ok(())
}
