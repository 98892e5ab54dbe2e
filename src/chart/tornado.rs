//! Tornado chart for `capsim sensitivity`: one row per input, sorted with the largest effect on
//! top, each row holding one or two horizontal bars drawn from a common centre line (e.g. ρ with
//! the full-capacity day; the outcome with the input held at its P10 and at its P90, from the
//! baseline; first-order and total Sobol indices), each bar with its 95% interval as a whisker
//! when it has one. Estimates below a floor (Sobol indices below 0, by sampling error) are drawn
//! at the floor, their whiskers in full, and the subtitle says so. Input names are paths; their
//! dots are drawn as " › ", which stay visible at tick size.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{self, Mark, Sizes, draw_err, okabe_ito as oi};
use super::{ChartError, ChartFormat};

/// How the value axis is labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TornadoScale {
    /// Plain numbers with two decimals (correlations, indices).
    Plain,
    /// Fractions shown as percentages.
    Percent,
    /// Whole days.
    Days,
}

/// One bar: where it ends and, if known, its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TornadoBar {
    /// The estimate: the bar runs from the centre to here.
    pub value: f64,
    /// Its 95% interval (low, high), drawn as a whisker.
    pub interval: Option<(f64, f64)>,
}

impl TornadoBar {
    /// A bar without an interval.
    pub fn plain(value: f64) -> Self {
        TornadoBar {
            value,
            interval: None,
        }
    }
}

/// One row: an input and one bar per series (`None` leaves a bar out).
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoRow {
    /// Input name.
    pub label: String,
    /// The bars, in series order (the first on top, blue; the second below, orange).
    pub bars: Vec<Option<TornadoBar>>,
}

/// What a tornado chart shows. Rows are drawn in the order given, the first on top.
#[derive(Debug, Clone, PartialEq)]
pub struct Tornado {
    /// Title.
    pub title: String,
    /// Subtitle lines.
    pub subtitle: Vec<String>,
    /// Value-axis title.
    pub axis: String,
    /// Where the bars start (0 for correlations, the baseline for swings).
    pub centre: f64,
    /// The centre line's legend label, if it should be shown.
    pub centre_label: Option<String>,
    /// Legend labels of the series: one or two.
    pub series: Vec<String>,
    /// Value-axis format.
    pub scale: TornadoScale,
    /// Fixed value range, e.g. −1..1 for correlations; else fitted to the bars.
    pub range: Option<(f64, f64)>,
    /// Estimates below this are drawn at it (e.g. 0 for Sobol indices, which cannot be
    /// negative but whose estimates can); their intervals are drawn in full.
    pub floor: Option<f64>,
    /// Rows, largest effect first.
    pub rows: Vec<TornadoRow>,
}

/// The series' colours, in order.
const SERIES_COLOURS: [RGBColor; 2] = [oi::BLUE, oi::ORANGE];

/// The whiskers' colour: the text's near-black, over either series' colour.
const WHISKER: RGBColor = style::INK;

/// Most rows drawn; the rest are summarised in a note.
const MAX_ROWS: usize = 25;

/// Draws `t` as `format` at `size` and returns the file's bytes.
pub fn render_tornado(
    t: &Tornado,
    format: ChartFormat,
    size: (u32, u32),
) -> Result<Vec<u8>, ChartError> {
    super::check_drawable(size)?;
    if t.rows.is_empty() {
        return Err(ChartError::NoData {
            chart: "tornado",
            reason: "no uncertain inputs to rank".into(),
        });
    }
    if t.series.is_empty()
        || t.series.len() > SERIES_COLOURS.len()
        || t.rows.iter().any(|r| r.bars.len() != t.series.len())
    {
        return Err(ChartError::NoData {
            chart: "tornado",
            reason: "a tornado needs one or two series and one bar per series in every row".into(),
        });
    }
    render_to!(format, size, |root| draw(&root, t, &Sizes::new(size)))
}

/// An input name as drawn: the path's dots, which nearly vanish at tick size, become " › "
/// (a dot between two digits, as in a number, stays).
pub(super) fn display_label(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let digit = |j: Option<&char>| j.is_some_and(char::is_ascii_digit);
        let in_number = i > 0 && digit(chars.get(i - 1)) && digit(chars.get(i + 1));
        if c == '.' && !in_number {
            out.push_str(" › ");
        } else {
            out.push(c);
        }
    }
    out
}

pub(super) fn fmt_value(scale: TornadoScale, v: f64) -> String {
    let text = match scale {
        TornadoScale::Plain => format!("{v:.2}"),
        TornadoScale::Percent => format!("{:.0}%", v * 100.0),
        TornadoScale::Days => format!("{v:.0}"),
    };
    // A tick a rounding error below 0 reads "0.00", not "-0.00".
    match text.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| matches!(c, '0' | '.' | '%')) => rest.to_owned(),
        _ => text,
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &Tornado,
    sz: &Sizes,
) -> Result<(), ChartError> {
    let rows = &t.rows[..t.rows.len().min(MAX_ROWS)];
    let mut subtitle = t.subtitle.clone();
    if t.rows.len() > rows.len() {
        subtitle.push(format!(
            "Showing the {} largest of {} inputs.",
            rows.len(),
            t.rows.len()
        ));
    }
    let drawn = |b: &Option<TornadoBar>| b.filter(|b| b.value.is_finite());
    let floored = rows
        .iter()
        .flat_map(|r| r.bars.iter().filter_map(drawn))
        .any(|b| t.floor.is_some_and(|f| b.value < f));
    if let (true, Some(f)) = (floored, t.floor) {
        let f = super::sweep::fmt_value(f);
        subtitle.push(format!(
            "Estimates below {f} (sampling error) are drawn as {f}; their whiskers show the \
             95% interval in full."
        ));
    }
    let mut legend: Vec<(String, Mark)> = t
        .series
        .iter()
        .zip(SERIES_COLOURS)
        .map(|(label, c)| (label.clone(), Mark::Fill(c, 1.0)))
        .collect();
    let whiskers = rows
        .iter()
        .flat_map(|r| r.bars.iter().filter_map(drawn))
        .any(|b| b.interval.is_some());
    if whiskers {
        legend.push(("95% interval".to_owned(), Mark::Line(WHISKER)));
    }
    if let Some(c) = &t.centre_label {
        legend.push((c.clone(), Mark::Line(oi::BLACK)));
    }
    let area = style::header(root, sz, &t.title, &subtitle, &legend)?;

    let (lo, hi) = t.range.unwrap_or_else(|| {
        let mut lo = t.centre;
        let mut hi = t.centre;
        for b in rows.iter().flat_map(|r| r.bars.iter().filter_map(drawn)) {
            let (l, h) = b.interval.unwrap_or((b.value, b.value));
            for v in [b.value, l, h] {
                if v.is_finite() {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
        let pad = ((hi - lo) * 0.08).max(match t.scale {
            TornadoScale::Percent => 0.01,
            TornadoScale::Days => 1.0,
            TornadoScale::Plain => 0.02,
        });
        match t.scale {
            // Probabilities: never pad past 0% or 100%.
            TornadoScale::Percent => ((lo - pad).max(0.0), (hi + pad).min(1.0)),
            _ => (lo - pad, hi + pad),
        }
    });
    // Labels sit left of the plot: size their area to the longest one.
    let label_style = sz.tick();
    let labels: Vec<String> = rows.iter().map(|r| display_label(&r.label)).collect();
    let mut label_w = 0;
    for label in &labels {
        let (w, _) = root
            .estimate_text_size(label, &label_style)
            .map_err(draw_err)?;
        label_w = label_w.max(w as i32);
    }
    let max_label = (f64::from(sz.width) * 0.45) as i32;
    let label_w = label_w.min(max_label) + sz.px(16.0);
    let n = rows.len() as f64;
    let mut chart = ChartBuilder::on(&area)
        .margin_left(sz.px(12.0))
        .margin_right(sz.px(36.0))
        .margin_top(sz.px(8.0))
        .margin_bottom(sz.px(12.0))
        .x_label_area_size(sz.px(62.0))
        .y_label_area_size(label_w)
        .build_cartesian_2d(lo..hi, 0.0..n)
        .map_err(draw_err)?;
    let scale = t.scale;
    let x_fmt = move |v: &f64| fmt_value(scale, *v);
    chart
        .configure_mesh()
        .x_labels(((sz.width as f64) / (sz.px(110.0).max(1) as f64)).floor() as usize)
        .y_labels(0)
        .disable_y_mesh()
        .max_light_lines(0)
        .bold_line_style(RGBColor(0xE3, 0xE3, 0xE3).stroke_width(1))
        .axis_style(style::MUTED.stroke_width(1))
        .label_style(sz.tick())
        .axis_desc_style(sz.axis_title())
        .x_label_formatter(&x_fmt)
        .x_desc(t.axis.as_str())
        .draw()
        .map_err(draw_err)?;
    let clamp = |v: f64| v.clamp(lo, hi);
    for (i, r) in rows.iter().enumerate() {
        // Row i occupies [n − i − 1, n − i], split evenly among the series, first on top.
        let top = n - i as f64;
        let gap = 0.12;
        let slot = (1.0 - 2.0 * gap) / r.bars.len() as f64;
        for (k, (bar, colour)) in r.bars.iter().zip(SERIES_COLOURS).enumerate() {
            let Some(bar) = drawn(bar) else { continue };
            let (y_hi, y_lo) = (
                top - gap - k as f64 * slot,
                top - gap - (k + 1) as f64 * slot,
            );
            let end = t.floor.map_or(bar.value, |f| bar.value.max(f));
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(clamp(t.centre), y_hi), (clamp(end), y_lo)],
                    colour.filled(),
                )))
                .map_err(draw_err)?;
            if let Some((l, h)) = bar.interval.filter(|(l, h)| l.is_finite() && h.is_finite()) {
                let y = (y_hi + y_lo) / 2.0;
                let cap = slot * 0.3;
                let width = WHISKER.stroke_width(sz.pxu(2.0));
                let lines = [
                    vec![(clamp(l), y), (clamp(h), y)],
                    vec![(clamp(l), y - cap), (clamp(l), y + cap)],
                    vec![(clamp(h), y - cap), (clamp(h), y + cap)],
                ];
                chart
                    .draw_series(lines.into_iter().map(|p| PathElement::new(p, width)))
                    .map_err(draw_err)?;
            }
        }
        let mid = top - 0.5;
        // The label, right-aligned just left of the plot, shortened if it would not fit.
        let (px, py) = chart.backend_coord(&(lo, mid));
        let mut label = labels[i].clone();
        while label.chars().count() > 4 {
            let (w, _) = root
                .estimate_text_size(&label, &label_style)
                .map_err(draw_err)?;
            if (w as i32) <= max_label {
                break;
            }
            let keep = label.chars().count() - 2;
            label = format!("{}…", label.chars().take(keep).collect::<String>());
        }
        root.draw_text(
            &label,
            &label_style.pos(Pos::new(HPos::Right, VPos::Center)),
            (px - sz.px(8.0), py),
        )
        .map_err(draw_err)?;
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(clamp(t.centre), 0.0), (clamp(t.centre), n)],
            oi::BLACK.stroke_width(sz.pxu(2.0)),
        )))
        .map_err(draw_err)?;
    Ok(())
}
