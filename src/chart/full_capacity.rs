//! Full-capacity date: histogram (share of trials first reaching the target in each week, or
//! each day for short runs) and CDF, from the day-to-day increments of `reached_target_share`,
//! with P10/P50/P90 from `summary.json` and the share that never gets there. The date axis starts
//! shortly before the first trial (or the deadline, if earlier) gets there, so the histogram
//! fills the plot; the top of the plot is kept free of bars and curve for the percentile labels.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::style::{self, Mark, Sizes, draw_err, okabe_ito as oi};
use super::{ChartData, ChartError, fan};
use crate::stats::REACHED_TARGET_COLUMN;

/// The deadline line's colour (tests look for it).
pub(super) const DEADLINE: RGBColor = oi::VERMILLION;
/// Width of the deadline line, design pixels: wider than the dashed percentile lines.
pub(super) const DEADLINE_WIDTH: f64 = 6.0;

/// Runs longer than this many days are binned by week.
const DAILY_BINS_UP_TO: usize = 120;

/// Days shown before the first trial reaching the target (or the deadline), as a share of the
/// days from there to the horizon.
const LEAD_IN: f64 = 0.15;

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    sz: &Sizes,
) -> Result<(), ChartError> {
    let d = &data.daily;
    let f = &data.facts;
    let reached = d.column(REACHED_TARGET_COLUMN)?;
    let bin = if d.len() > DAILY_BINS_UP_TO { 7 } else { 1 };
    let per = if bin == 7 { "week" } else { "day" };
    let mut bins = vec![0.0; d.len().div_ceil(bin)];
    let mut prev = 0.0;
    for (i, &r) in reached.iter().enumerate() {
        bins[i / bin] += (r - prev).max(0.0) * 100.0;
        prev = r;
    }

    let names = ["P10", "P50", "P90"];
    let pct_text: Vec<String> = names
        .iter()
        .zip(f.full_capacity)
        .map(|(n, d)| match d {
            Some(d) => format!("{n} {d}"),
            None => format!("{n} after {}", f.horizon),
        })
        .collect();
    let subtitle = vec![
        super::run_line(data),
        format!(
            "Full-capacity date, the first day online GPUs reach the target: {}; never by {}: {}.",
            pct_text.join(", "),
            f.horizon,
            style::fmt_pct(f.never_fraction)
        ),
    ];
    let legend = vec![
        (
            format!("Trials reaching the target (% per {per}, left axis)"),
            Mark::Fill(oi::SKY_BLUE, 0.9),
        ),
        (
            "Cumulative (%, right axis)".to_owned(),
            Mark::Line(oi::BLUE),
        ),
        ("P10 / P50 / P90".to_owned(), Mark::Dashed(oi::BLACK)),
        (format!("Deadline ({})", f.deadline), Mark::Line(DEADLINE)),
    ];
    let area = style::header(
        root,
        sz,
        "When is the target reached? Full-capacity date",
        &subtitle,
        &legend,
    )?;

    let x_end = fan::axis_end(d.len());
    let first_reached = bins.iter().position(|h| *h > 0.0).map(|i| (i * bin) as f64);
    let dl = data.day_of(f.deadline);
    let lo = match first_reached {
        Some(first) => {
            let from = first.min(dl).max(0.0);
            (from - (x_end - from) * LEAD_IN).max(0.0).floor()
        }
        None => 0.0,
    };
    let axis = style::DayAxis::window(d.dates[0], lo, x_end);
    // Headroom for two rows of percentile labels above the bars and the curve.
    let plot_h = {
        let probe = style::builder(&area, sz, true)
            .build_cartesian_2d(axis.clone(), 0.0..1.0)
            .map_err(draw_err)?;
        f64::from(probe.plotting_area().dim_in_pixel().1.max(1))
    };
    let label_rows = f64::from(2 * style::label_height(sz) + sz.px(16.0));
    let data_share = (1.0 - label_rows / plot_h).clamp(0.5, 0.9);
    let ymax = style::y_top(bins.iter().copied().fold(0.0, f64::max)) / data_share;
    let cum_top = 100.0 / data_share;
    let mut chart = style::builder(&area, sz, true)
        .build_cartesian_2d(axis.clone(), 0.0..ymax)
        .map_err(draw_err)?
        .set_secondary_coord(axis.clone(), 0.0..cum_top);
    style::style_mesh(
        &mut chart,
        sz,
        &axis,
        &format!("Trials reaching the target (% per {per})"),
        &|v| format!("{v:.1}%"),
    )?;
    chart
        .configure_secondary_axes()
        .y_labels(7)
        .label_style(sz.tick())
        .axis_desc_style(sz.axis_title())
        .y_label_formatter(&|v| {
            if *v <= 100.0 + 1e-9 {
                format!("{v:.0}%")
            } else {
                String::new()
            }
        })
        .y_desc("Cumulative share of trials (%)")
        .draw()
        .map_err(draw_err)?;

    let gap = (bin as f64 * 0.12).min(0.9);
    chart
        .draw_series(
            bins.iter()
                .enumerate()
                .filter(|(i, h)| **h > 0.0 && ((i * bin) as f64) >= lo)
                .map(|(i, &h)| {
                    let x0 = (i * bin) as f64;
                    let x1 = (x0 + bin as f64 - gap).min(x_end).max(x0 + 0.1);
                    Rectangle::new([(x0, 0.0), (x1, h)], oi::SKY_BLUE.mix(0.9).filled())
                }),
        )
        .map_err(draw_err)?;
    chart
        .draw_secondary_series(LineSeries::new(
            reached
                .iter()
                .enumerate()
                .skip(lo as usize)
                .map(|(i, r)| (i as f64, r * 100.0)),
            oi::BLUE.stroke_width(sz.line()),
        ))
        .map_err(draw_err)?;

    let dash = sz.px(10.0);
    let space = sz.px(6.0);
    // The deadline wide and solid, under the dashed percentile lines: both show where they meet.
    if (lo..=x_end).contains(&dl) {
        chart
            .draw_series(LineSeries::new(
                vec![(dl, 0.0), (dl, ymax)],
                DEADLINE.stroke_width(sz.pxu(DEADLINE_WIDTH)),
            ))
            .map_err(draw_err)?;
    }
    let mut labels = Vec::new();
    for (k, (date, text)) in f.full_capacity.iter().zip(&pct_text).enumerate() {
        let Some(date) = date else { continue };
        let x = data.day_of(*date);
        if !(lo..=x_end).contains(&x) {
            continue;
        }
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x, 0.0), (x, ymax)],
                dash,
                space,
                oi::BLACK.stroke_width(sz.pxu(2.0)),
            ))
            .map_err(draw_err)?;
        let (px, py) = chart.backend_coord(&(x, ymax));
        // P10 labelled to the left of its line (usually empty), P50 and P90 to the right,
        // P90 one row lower so it does not meet P50's label; flipped near the right edge.
        let (h, px) = if k == 0 || x > lo + (x_end - lo) * 0.8 {
            (HPos::Right, px - sz.px(6.0))
        } else {
            (HPos::Left, px + sz.px(6.0))
        };
        let row = (style::label_height(sz) + sz.px(4.0)) * i32::from(k == 2);
        labels.push((text, (px, py + sz.px(4.0) + row), h));
    }
    // Labels after every line, so no line crosses a label.
    for (text, at, h) in labels {
        style::boxed_label(root, sz, text, at, h, oi::BLACK)?;
    }
    if reached.last().copied().unwrap_or(0.0) <= 0.0 {
        style::centred_note(
            &chart.plotting_area().strip_coord_spec(),
            sz,
            &format!(
                "No trial reaches {} online GPUs by {}",
                style::fmt_plain(f.target_gpus),
                f.horizon
            ),
        )?;
    }
    Ok(())
}
