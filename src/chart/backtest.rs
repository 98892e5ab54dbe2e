//! Charts for `capsim backtest`: per backtest, the simulated P10–P90 band and median over time of
//! each observed metric with the observations drawn as points (one panel per metric and site);
//! over all backtests, the histogram of the observations' ranks against the uniform expectation.
//! The caller converts its results into these plain structs, as for the tornado chart.

use jiff::civil::Date;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{self, Mark, Sizes, draw_err, okabe_ito as oi};
use super::{ChartError, ChartFormat};

/// The band and median colour.
const BAND: RGBColor = oi::BLUE;
/// Opacity of the P10–P90 band.
const BAND_ALPHA: f64 = 0.25;
/// Observations inside the band.
const INSIDE: RGBColor = oi::BLACK;
/// Observations outside the band.
const OUTSIDE: RGBColor = oi::VERMILLION;

/// One observation drawn on a panel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObservedPoint {
    /// Day index (0 = the chart's start).
    pub day: f64,
    /// Observed value.
    pub value: f64,
    /// Whether it lies inside the simulated P10–P90 band (drawn black; outside: vermillion).
    pub inside: bool,
}

/// One metric (fleet-wide or at one site) over time.
#[derive(Debug, Clone, PartialEq)]
pub struct FanPanel {
    /// Panel heading, e.g. `online GPUs · site b1`.
    pub label: String,
    /// Value-axis title with its unit.
    pub axis: String,
    /// Whether values are counts (k/M suffixes) rather than plain quantities (MW).
    pub counts: bool,
    /// Day indices of the band points.
    pub days: Vec<f64>,
    /// P10 at each day.
    pub p10: Vec<f64>,
    /// Median at each day.
    pub p50: Vec<f64>,
    /// P90 at each day.
    pub p90: Vec<f64>,
    /// The observations of this metric.
    pub observed: Vec<ObservedPoint>,
}

/// A backtest's fan chart: one panel per observed metric, stacked, sharing the date axis.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestFan {
    /// Title.
    pub title: String,
    /// Subtitle lines.
    pub subtitle: Vec<String>,
    /// Date of day 0.
    pub start: Date,
    /// Simulated days (the x axis runs over `0..days`).
    pub days: usize,
    /// Panels, top to bottom.
    pub panels: Vec<FanPanel>,
}

/// A calibration chart: ranks of observations in their simulated distributions.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationChart {
    /// Title.
    pub title: String,
    /// Subtitle lines.
    pub subtitle: Vec<String>,
    /// Observations per equal-width bin of the 0–100% rank scale, lowest first.
    pub counts: Vec<u64>,
}

/// A good image size for a fan chart of `panels` panels: the default width, 300 pixels per
/// panel under the header.
pub fn backtest_fan_size(panels: usize) -> (u32, u32) {
    let (w, h) = super::DEFAULT_SIZE;
    (w, h.max(220 + 300 * panels.max(1) as u32))
}

fn check_size(size: (u32, u32)) -> Result<(), ChartError> {
    super::check_drawable(size)?;
    Ok(())
}

/// Draws `fan` as `format` at `size` and returns the file's bytes.
pub fn render_backtest_fan(
    fan: &BacktestFan,
    format: ChartFormat,
    size: (u32, u32),
) -> Result<Vec<u8>, ChartError> {
    check_size(size)?;
    if fan.panels.is_empty() {
        return Err(ChartError::NoData {
            chart: "backtest fan",
            reason: "no observed metric to draw".into(),
        });
    }
    render_to!(format, size, |root| draw_fan(&root, fan, size))
}

/// Draws `chart` as `format` at `size` and returns the file's bytes.
pub fn render_calibration(
    chart: &CalibrationChart,
    format: ChartFormat,
    size: (u32, u32),
) -> Result<Vec<u8>, ChartError> {
    check_size(size)?;
    if chart.counts.is_empty() {
        return Err(ChartError::NoData {
            chart: "calibration",
            reason: "no rank bins".into(),
        });
    }
    render_to!(format, size, |root| draw_calibration(
        &root,
        chart,
        &Sizes::new(size)
    ))
}

fn draw_fan<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fan: &BacktestFan,
    size: (u32, u32),
) -> Result<(), ChartError> {
    // Text is sized for a 1200 × 700 chart whatever the number of panels.
    let sz = Sizes::new((size.0, size.1.min(700)));
    let legend = vec![
        ("Simulated median".to_owned(), Mark::Line(BAND)),
        ("Simulated P10–P90".to_owned(), Mark::Fill(BAND, BAND_ALPHA)),
        ("Observed, inside P10–P90".to_owned(), Mark::Dot(INSIDE)),
        ("Observed, outside".to_owned(), Mark::Dot(OUTSIDE)),
    ];
    let area = style::header(root, &sz, &fan.title, &fan.subtitle, &legend)?;
    let axis = style::DayAxis::new(fan.start, fan.days);
    let panels = area.split_evenly((fan.panels.len(), 1));
    for (panel, p) in panels.iter().zip(&fan.panels) {
        let caption = sz.axis_title().pos(Pos::new(HPos::Left, VPos::Top));
        panel
            .draw_text(&p.label, &caption, (sz.px(20.0), sz.px(4.0)))
            .map_err(draw_err)?;
        let (_, plot) = panel.split_vertically(sz.px(30.0));
        let top = p
            .p90
            .iter()
            .chain(p.observed.iter().map(|o| &o.value))
            .copied()
            .fold(0.0, f64::max);
        let ymax = style::y_top(top);
        let mut chart = style::builder(&plot, &sz, false)
            .build_cartesian_2d(axis.clone(), 0.0..ymax)
            .map_err(draw_err)?;
        let counts = p.counts;
        style::style_mesh(&mut chart, &sz, &axis, &p.axis, &move |v| {
            if counts {
                style::fmt_count(*v)
            } else {
                style::fmt_plain(*v)
            }
        })?;
        let mut band: Vec<(f64, f64)> = p.days.iter().copied().zip(p.p90.iter().copied()).collect();
        band.extend(p.days.iter().copied().zip(p.p10.iter().copied()).rev());
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                BAND.mix(BAND_ALPHA).filled(),
            )))
            .map_err(draw_err)?;
        chart
            .draw_series(LineSeries::new(
                p.days.iter().copied().zip(p.p50.iter().copied()),
                BAND.stroke_width(sz.line()),
            ))
            .map_err(draw_err)?;
        chart
            .draw_series(p.observed.iter().map(|o| {
                let colour = if o.inside { INSIDE } else { OUTSIDE };
                Circle::new((o.day, o.value), sz.px(7.0), colour.filled())
            }))
            .map_err(draw_err)?;
        // A white ring keeps overlapping points apart.
        chart
            .draw_series(
                p.observed
                    .iter()
                    .map(|o| Circle::new((o.day, o.value), sz.px(7.0), WHITE.stroke_width(1))),
            )
            .map_err(draw_err)?;
    }
    Ok(())
}

fn draw_calibration<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &CalibrationChart,
    sz: &Sizes,
) -> Result<(), ChartError> {
    let bins = c.counts.len();
    let total: u64 = c.counts.iter().sum();
    let expected = total as f64 / bins as f64;
    let legend = vec![
        (
            "Observations per bin (inner bins)".to_owned(),
            Mark::Fill(oi::BLUE, 0.85),
        ),
        (
            "Outer bins (ranks below 10% or above 90%)".to_owned(),
            Mark::Fill(OUTSIDE, 0.85),
        ),
        (
            format!("Uniform expectation ({expected:.1} per bin)"),
            Mark::Dashed(oi::BLACK),
        ),
    ];
    let area = style::header(root, sz, &c.title, &c.subtitle, &legend)?;
    let top = c.counts.iter().copied().max().unwrap_or(0) as f64;
    let ymax = style::y_top(top.max(expected).max(1.0));
    let mut chart = style::builder(&area, sz, false)
        .build_cartesian_2d(0.0..100.0, 0.0..ymax)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_labels(bins + 1)
        .y_labels(8)
        .max_light_lines(0)
        .bold_line_style(RGBColor(0xE3, 0xE3, 0xE3).stroke_width(1))
        .axis_style(style::MUTED.stroke_width(1))
        .label_style(sz.tick())
        .axis_desc_style(sz.axis_title())
        .x_label_formatter(&|v| format!("{v:.0}%"))
        .y_label_formatter(&|v| {
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                String::new()
            }
        })
        .x_desc("Rank of the observed value among the trials (%)")
        .y_desc("Observations")
        .draw()
        .map_err(draw_err)?;
    let width = 100.0 / bins as f64;
    chart
        .draw_series(c.counts.iter().enumerate().map(|(k, &n)| {
            let x0 = k as f64 * width;
            let outer = k == 0 || k + 1 == bins;
            let colour = if outer { OUTSIDE } else { oi::BLUE };
            Rectangle::new(
                [(x0 + width * 0.06, 0.0), (x0 + width * 0.94, n as f64)],
                colour.mix(0.85).filled(),
            )
        }))
        .map_err(draw_err)?;
    chart
        .draw_series(DashedLineSeries::new(
            vec![(0.0, expected), (100.0, expected)],
            sz.px(10.0),
            sz.px(6.0),
            oi::BLACK.stroke_width(sz.pxu(2.5)),
        ))
        .map_err(draw_err)?;
    if total == 0 {
        style::centred_note(
            &chart.plotting_area().strip_coord_spec(),
            sz,
            "No observations",
        )?;
    }
    Ok(())
}
