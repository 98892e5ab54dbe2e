//! Power over time, in two panels so no line is read against another basis. Top, facility MW
//! (cooling and losses included, PUE): energized, and energized but not drawn by racks
//! (`stranded_mw`), with the scenario's `[[power_limits]]` caps as step lines; bottom, IT MW of
//! racks drawing power. Medians with P10–P90 bands; the deadline marked as on the fan chart.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::data::PowerCap;
use super::style::{self, Mark, Sizes, draw_err, okabe_ito as oi};
use super::{ChartData, ChartError, fan};
use crate::stats::{DailyStat, Metric};

/// Colours of the cap lines, in the order of the scenario's `[[power_limits]]` (cycled).
const CAP_COLOURS: [RGBColor; 3] = [oi::PURPLE, oi::GREEN, oi::BLACK];

/// The top panel's value axis ends this many times above its highest value (itself with a little
/// headroom), leaving a strip for the deadline's label.
const LABEL_HEADROOM: f64 = 1.2;

/// A metric's P10, P50 and P90 columns, its legend label and colour.
struct Banded<'a> {
    label: &'static str,
    p10: &'a [f64],
    p50: &'a [f64],
    p90: &'a [f64],
    colour: RGBColor,
}

impl<'a> Banded<'a> {
    fn read(
        data: &'a ChartData,
        label: &'static str,
        metric: Metric,
        colour: RGBColor,
    ) -> Result<Self, ChartError> {
        let d = &data.daily;
        Ok(Banded {
            label,
            p10: d.metric(metric, DailyStat::P10)?,
            p50: d.metric(metric, DailyStat::P50)?,
            p90: d.metric(metric, DailyStat::P90)?,
            colour,
        })
    }
}

/// Legend label of a cap: its id and what it covers.
fn cap_label(cap: &PowerCap, site_count: Option<usize>) -> String {
    match &cap.region {
        Some((region, n)) => {
            let of = site_count.map_or(String::new(), |t| format!(" of {t}"));
            format!("Cap {} (region {region}: {n}{of} sites)", cap.id)
        }
        None => format!("Cap {} (whole fleet)", cap.id),
    }
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    sz: &Sizes,
) -> Result<(), ChartError> {
    let d = &data.daily;
    let facility = [
        Banded::read(data, "Energized", Metric::EnergizedMw, oi::ORANGE)?,
        Banded::read(
            data,
            "Energized, not drawn by racks",
            Metric::StrandedMw,
            oi::VERMILLION,
        )?,
    ];
    let it = Banded::read(
        data,
        "IT load of racks drawing power",
        Metric::ItMwInUse,
        oi::BLUE,
    )?;
    let site_count = data.daily.site_online_means().len();
    let site_count = (site_count > 0).then_some(site_count);

    let caps_note = if data.power_caps.is_empty() {
        "Not drawn: no racks there yet, crews, commissioning, or rack types a site cannot take."
    } else {
        "Caps limit the facility MW of racks installed in the sites they cover: energized power \
         above a cap is not usable headroom."
    };
    let subtitle = vec![
        super::run_line(data),
        format!(
            "Top: facility MW (with cooling and losses, PUE); bottom: IT MW. Lines: per-day \
             medians across trials; bands: P10–P90. {caps_note}"
        ),
    ];
    let mut legend: Vec<(String, Mark)> = facility
        .iter()
        .chain([&it])
        .map(|b| (b.label.to_owned(), Mark::Line(b.colour)))
        .collect();
    legend.push(("P10–P90".to_owned(), Mark::Fill(oi::BLACK, 0.15)));
    for (cap, colour) in data.power_caps.iter().zip(CAP_COLOURS.iter().cycle()) {
        legend.push((cap_label(cap, site_count), Mark::Dashed(*colour)));
    }
    legend.push((
        format!("Deadline ({})", data.facts.deadline),
        Mark::Dashed(oi::BLACK),
    ));
    let area = style::header(
        root,
        sz,
        "Power: energized, drawn and not drawn",
        &subtitle,
        &legend,
    )?;
    let (_, h) = area.dim_in_pixel();
    let (top, bottom) = area.split_vertically((f64::from(h) * 0.58).round() as i32);

    let axis = style::DayAxis::new(d.dates[0], d.len());
    let x_end = fan::axis_end(d.len());
    let cap_lines: Vec<Vec<(f64, f64)>> = data
        .power_caps
        .iter()
        .map(|cap| {
            d.dates
                .iter()
                .enumerate()
                .map(|(i, date)| (i as f64, cap.mw_on(*date)))
                .collect()
        })
        .collect();
    let top_max = facility
        .iter()
        .flat_map(|b| b.p90.iter().copied())
        .chain(cap_lines.iter().flatten().map(|(_, mw)| *mw))
        .fold(0.0, f64::max);
    // Headroom above the lines for the deadline's label, so it hides no data.
    let ymax = style::y_top(top_max) * LABEL_HEADROOM;
    let mut builder = style::builder(&top, sz, false);
    builder.x_label_area_size(0).margin_bottom(sz.px(4.0));
    let mut chart = builder
        .build_cartesian_2d(axis.clone(), 0.0..ymax)
        .map_err(draw_err)?;
    style::style_mesh(&mut chart, sz, &axis, "Facility MW", &|v| {
        style::fmt_plain(*v)
    })?;
    draw_banded(&mut chart, sz, &facility)?;
    for (points, colour) in cap_lines.iter().zip(CAP_COLOURS.iter().cycle()) {
        chart
            .draw_series(DashedLineSeries::new(
                points.iter().copied(),
                sz.px(14.0),
                sz.px(5.0),
                colour.stroke_width(sz.pxu(2.5)),
            ))
            .map_err(draw_err)?;
    }
    fan::deadline_line(root, &mut chart, sz, data, ymax, x_end)?;
    for ((cap, points), colour) in data
        .power_caps
        .iter()
        .zip(&cap_lines)
        .zip(CAP_COLOURS.iter().cycle())
    {
        // Labelled at the right end, where energized power has usually levelled off above.
        let Some(&(x, mw)) = points.last() else {
            continue;
        };
        let (px, py) = chart.backend_coord(&(x, mw));
        style::boxed_label(
            root,
            sz,
            &format!("cap {} {} MW", cap.id, style::fmt_plain(mw)),
            (px - sz.px(6.0), py - style::label_height(sz) - sz.px(2.0)),
            HPos::Right,
            *colour,
        )?;
    }

    let it_max = style::y_top(it.p90.iter().copied().fold(0.0, f64::max));
    let mut chart = style::builder(&bottom, sz, false)
        .build_cartesian_2d(axis.clone(), 0.0..it_max)
        .map_err(draw_err)?;
    style::style_mesh(&mut chart, sz, &axis, "IT MW", &|v| style::fmt_plain(*v))?;
    style::label_start(root, &chart, sz, &axis)?;
    draw_banded(&mut chart, sz, std::slice::from_ref(&it))?;
    let dl = data.day_of(data.facts.deadline);
    if (0.0..=x_end).contains(&dl) {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(dl, 0.0), (dl, it_max)],
                sz.px(10.0),
                sz.px(6.0),
                oi::BLACK.stroke_width(sz.pxu(2.0)),
            ))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// Each metric's P10–P90 band, then its median on top.
fn draw_banded<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<style::DayAxis, plotters::coord::types::RangedCoordf64>,
    >,
    sz: &Sizes,
    metrics: &[Banded<'_>],
) -> Result<(), ChartError> {
    for b in metrics {
        chart
            .draw_series(std::iter::once(Polygon::new(
                style::band(b.p90, b.p10),
                b.colour.mix(0.2).filled(),
            )))
            .map_err(draw_err)?;
    }
    for b in metrics {
        chart
            .draw_series(LineSeries::new(
                style::series(b.p50),
                b.colour.stroke_width(sz.line()),
            ))
            .map_err(draw_err)?;
    }
    Ok(())
}
