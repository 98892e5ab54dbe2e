//! The look shared by every chart: the Okabe–Ito palette, the embedded font, sizes that scale
//! with the image, the header (title, subtitle, legend above the plot so it never hides data),
//! number formats and the date axis.

use std::ops::Range;
use std::sync::Once;

use jiff::ToSpan;
use jiff::civil::Date;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::ChartError;
use super::data::RunFacts;

/// Okabe–Ito, the colour-blind-safe palette every chart uses.
pub(super) mod okabe_ito {
    use plotters::style::RGBColor;
    /// Black.
    pub(crate) const BLACK: RGBColor = RGBColor(0, 0, 0);
    /// Orange.
    pub(crate) const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    /// Sky blue.
    pub(crate) const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    /// Bluish green.
    pub(crate) const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    /// Yellow.
    pub(crate) const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    /// Blue.
    pub(crate) const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    /// Vermillion.
    pub(crate) const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    /// Reddish purple.
    pub(crate) const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
    /// The seven colours for categories (black is kept for reference lines).
    /// Vermillion comes last: it also marks the target line.
    pub(crate) const CYCLE: [RGBColor; 7] =
        [BLUE, ORANGE, GREEN, SKY_BLUE, PURPLE, YELLOW, VERMILLION];
}

/// Text colour (near-black reads softer than pure black next to the data).
pub(super) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text (subtitles, notes).
pub(super) const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Grid lines.
const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);

/// Registers the embedded DejaVu Sans as "sans-serif" once, so text renders with no system fonts.
pub(super) fn init_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font shipped by the `dejavu` crate; registration can
        // only fail on invalid font data, and plotters then reports the missing font when drawing.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Sizes in pixels, scaled from the 1200 × 700 design size.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sizes {
    pub(super) width: u32,
    scale: f64,
    /// Short images (under [`COMPACT_BELOW`] pixels high) get a compact header: the subtitle's
    /// first line only and a tighter legend, so the plot keeps most of the height.
    compact: bool,
}

/// Images shorter than this many pixels get a compact header.
pub(super) const COMPACT_BELOW: u32 = 500;

impl Sizes {
    pub(super) fn new((w, h): (u32, u32)) -> Self {
        // Text shrinks more slowly than the image, so a column-sized chart stays legible; lines
        // too long for a small image are shrunk to fit (see `header`).
        let scale = (f64::from(w) / 1200.0)
            .min(f64::from(h) / 700.0)
            .sqrt()
            .clamp(0.6, 4.0);
        Sizes {
            width: w,
            scale,
            compact: h < COMPACT_BELOW,
        }
    }
    pub(super) fn px(&self, v: f64) -> i32 {
        (v * self.scale).round() as i32
    }
    pub(super) fn pxu(&self, v: f64) -> u32 {
        self.px(v).max(1) as u32
    }
    pub(super) fn title(&self) -> TextStyle<'static> {
        FontDesc::new(FontFamily::SansSerif, 28.0 * self.scale, FontStyle::Bold).color(&INK)
    }
    pub(super) fn subtitle(&self) -> TextStyle<'static> {
        ("sans-serif", 18.0 * self.scale).into_font().color(&MUTED)
    }
    pub(super) fn legend(&self) -> TextStyle<'static> {
        let size = if self.compact { 15.0 } else { 18.0 };
        ("sans-serif", size * self.scale).into_font().color(&INK)
    }
    pub(super) fn tick(&self) -> TextStyle<'static> {
        ("sans-serif", 17.0 * self.scale).into_font().color(&INK)
    }
    pub(super) fn axis_title(&self) -> TextStyle<'static> {
        ("sans-serif", 19.0 * self.scale).into_font().color(&INK)
    }
    pub(super) fn note(&self) -> TextStyle<'static> {
        ("sans-serif", 16.0 * self.scale).into_font().color(&INK)
    }
    pub(super) fn line(&self) -> u32 {
        self.pxu(3.0)
    }
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy)]
pub(super) enum Mark {
    /// A solid line.
    Line(RGBColor),
    /// A dashed line.
    Dashed(RGBColor),
    /// A filled swatch with this opacity.
    Fill(RGBColor, f64),
    /// A filled dot (an observed point).
    Dot(RGBColor),
}

/// Converts any plotters error into a [`ChartError::Draw`].
pub(super) fn draw_err<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError::Draw(format!("{e:?}"))
}

/// Draws the white background, title, subtitle and legend; returns the area left for the plot.
pub(super) fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    sz: &Sizes,
    title: &str,
    subtitle: &[String],
    legend: &[(String, Mark)],
) -> Result<DrawingArea<DB, Shift>, ChartError> {
    root.fill(&WHITE).map_err(draw_err)?;
    let pad = sz.px(20.0);
    let mut y = sz.px(16.0);
    let room = f64::from(sz.width) - 2.0 * f64::from(pad);
    // Draws one line of text, shrunk to fit the width; returns its height.
    let fit = |text: &str, style: TextStyle<'static>, y: i32| -> Result<i32, ChartError> {
        let (w, _) = root.estimate_text_size(text, &style).map_err(draw_err)?;
        let style = if f64::from(w) > room {
            let size = match style.font.get_size() {
                s if s > 0.0 => s * room / f64::from(w),
                s => s,
            };
            TextStyle {
                font: style.font.clone().resize(size),
                ..style
            }
        } else {
            style
        };
        let (_, h) = root.estimate_text_size(text, &style).map_err(draw_err)?;
        let style = style.pos(Pos::new(HPos::Left, VPos::Top));
        root.draw_text(text, &style, (pad, y)).map_err(draw_err)?;
        Ok(h as i32)
    };
    y += fit(title, sz.title(), y)? + sz.px(8.0);
    // Subtitles wrap at word boundaries rather than shrink, into lines of even length (no word
    // left alone on the last line). A compact header keeps only the first subtitle line.
    let shown = if sz.compact { 1 } else { subtitle.len() };
    for line in subtitle.iter().take(shown) {
        let mut width_err = None;
        let measure = |text: &str| match root.estimate_text_size(text, &sz.subtitle()) {
            Ok((w, _)) => f64::from(w),
            Err(e) => {
                width_err.get_or_insert(draw_err(e));
                0.0
            }
        };
        let lines = wrap_evenly(line, room, measure);
        if let Some(e) = width_err {
            return Err(e);
        }
        for l in lines {
            y += fit(&l, sz.subtitle(), y)? + sz.px(5.0);
        }
    }
    // Legend: one row of entries, wrapped when wider than the image.
    y += sz.px(if sz.compact { 4.0 } else { 8.0 });
    let row_h = sz.px(if sz.compact { 21.0 } else { 26.0 });
    let swatch = sz.px(if sz.compact { 24.0 } else { 34.0 });
    let gap = sz.px(if sz.compact { 16.0 } else { 26.0 });
    let text = sz.legend().pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = pad;
    let right = sz.width as i32 - pad;
    if !legend.is_empty() {
        let cy_first = y + row_h / 2;
        let mut cy = cy_first;
        for (label, mark) in legend {
            let (tw, _) = root.estimate_text_size(label, &text).map_err(draw_err)?;
            let w = swatch + sz.px(8.0) + tw as i32;
            if x > pad && x + w > right {
                x = pad;
                cy += row_h;
            }
            draw_mark(root, sz, *mark, x, cy, swatch)?;
            root.draw_text(label, &text, (x + swatch + sz.px(8.0), cy))
                .map_err(draw_err)?;
            x += w + gap;
        }
        y = cy + row_h / 2;
    }
    y += sz.px(6.0);
    let (_, rest) = root.split_vertically(y);
    Ok(rest)
}

/// Splits `text` at spaces into the fewest lines no wider than `room` (as `measure` gives
/// widths), then evens them out: the narrowest width that needs no more lines, so the last line
/// is not a lone word. A word wider than `room` gets a line of its own.
pub(super) fn wrap_evenly(
    text: &str,
    room: f64,
    mut measure: impl FnMut(&str) -> f64,
) -> Vec<String> {
    let mut greedy = |room: f64| {
        let mut lines = Vec::new();
        let mut current = String::new();
        for word in text.split(' ') {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if measure(&candidate) > room && !current.is_empty() {
                lines.push(std::mem::replace(&mut current, word.to_owned()));
            } else {
                current = candidate;
            }
        }
        lines.push(current);
        lines
    };
    let mut best = greedy(room);
    if best.len() < 2 {
        return best;
    }
    // Narrow the width in 2% steps while the line count holds.
    let mut width = room;
    loop {
        width *= 0.98;
        let lines = greedy(width);
        if lines.len() > best.len() || width < room / 2.0 {
            return best;
        }
        best = lines;
    }
}

fn draw_mark<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    sz: &Sizes,
    mark: Mark,
    x: i32,
    cy: i32,
    w: i32,
) -> Result<(), ChartError> {
    match mark {
        Mark::Line(c) => root
            .draw(&PathElement::new(
                vec![(x, cy), (x + w, cy)],
                c.stroke_width(sz.line()),
            ))
            .map_err(draw_err),
        Mark::Dashed(c) => {
            let dash = (w / 5).max(2);
            let mut x0 = x;
            while x0 < x + w {
                let x1 = (x0 + dash).min(x + w);
                root.draw(&PathElement::new(
                    vec![(x0, cy), (x1, cy)],
                    c.stroke_width(sz.pxu(2.5)),
                ))
                .map_err(draw_err)?;
                x0 += 2 * dash;
            }
            Ok(())
        }
        Mark::Dot(c) => root
            .draw(&Circle::new((x + w / 2, cy), sz.px(7.0), c.filled()))
            .map_err(draw_err),
        Mark::Fill(c, a) => {
            let h = sz.px(9.0);
            root.draw(&Rectangle::new(
                [(x, cy - h), (x + w, cy + h)],
                c.mix(a).filled(),
            ))
            .map_err(draw_err)
        }
    }
}

/// Writes a centred note over an area (e.g. "no trial reaches the target").
pub(super) fn centred_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    sz: &Sizes,
    text: &str,
) -> Result<(), ChartError> {
    let (w, h) = area.dim_in_pixel();
    let style = sz.axis_title().pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text(text, &style, (w as i32 / 2, h as i32 / 2))
        .map_err(draw_err)
}

/// Counts with k/M suffixes: 0, 50k, 1.2M.
pub(super) fn fmt_count(v: f64) -> String {
    let a = v.abs();
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    };
    if a >= 1e6 {
        format!("{}M", trim(format!("{:.2}", v / 1e6)))
    } else if a >= 1e3 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else {
        trim(format!("{v:.1}"))
    }
}

/// A fraction as a percentage with one decimal.
pub(super) fn fmt_pct(f: f64) -> String {
    format!("{:.1}%", f * 100.0)
}

/// Trial count with thousands separators.
pub(super) fn fmt_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The upper end of a value axis: a little headroom over `max`, never empty.
pub(super) fn y_top(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * 1.08
    } else {
        1.0
    }
}

/// The date axis: days since the first row, with key points on month starts (or on days for
/// runs shorter than two months) and labels as dates.
#[derive(Debug, Clone)]
pub(super) struct DayAxis {
    start: Date,
    lo: f64,
    hi: f64,
}

impl DayAxis {
    /// An axis over `days` rows starting on `start` (at least one day wide).
    pub(super) fn new(start: Date, days: usize) -> Self {
        let hi = (days.saturating_sub(1) as f64).max(1.0);
        DayAxis { start, lo: 0.0, hi }
    }

    /// The days `lo..=hi` of an axis whose day 0 is `start` (at least one day wide).
    pub(super) fn window(start: Date, lo: f64, hi: f64) -> Self {
        DayAxis {
            start,
            lo,
            hi: hi.max(lo + 1.0),
        }
    }

    fn date(&self, day: f64) -> Date {
        self.start
            .checked_add((day.round() as i64).days())
            .unwrap_or(self.start)
    }

    fn month_starts(&self) -> Vec<(f64, Date)> {
        let mut out = Vec::new();
        let mut d = self.start.first_of_month();
        loop {
            let x = super::data::days_between(self.start, d) as f64;
            if x > self.hi {
                break;
            }
            if x >= self.lo {
                out.push((x, d));
            }
            match d.checked_add(1.month()) {
                Ok(n) => d = n,
                Err(_) => break,
            }
        }
        out
    }

    /// Label for a key point: "Mar 2026" on month starts, "3 Mar" otherwise.
    pub(super) fn label(&self, day: &f64) -> String {
        let d = self.date(*day);
        if d.day() == 1 && self.month_starts().len() >= 2 {
            d.strftime("%b %Y").to_string()
        } else {
            d.strftime("%-d %b").to_string()
        }
    }
}

impl Ranged for DayAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let f = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let max = hint.max_num_points();
        if max == 0 {
            return Vec::new();
        }
        let months = self.month_starts();
        if months.len() >= 2 {
            for step in [1i8, 2, 3, 6, 12] {
                let pts: Vec<f64> = months
                    .iter()
                    .filter(|(_, d)| (d.month() - 1) % step == 0)
                    .map(|(x, _)| *x)
                    .collect();
                if pts.len() <= max {
                    return pts;
                }
            }
            let every = months.len().div_ceil(max);
            return months.iter().step_by(every).map(|(x, _)| *x).collect();
        }
        for step in [1.0, 2.0, 7.0, 14.0, 28.0] {
            let n = ((self.hi - self.lo) / step).floor() as usize + 1;
            if n <= max {
                return (0..n).map(|i| self.lo + i as f64 * step).collect();
            }
        }
        vec![self.lo]
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// Shared axis styling: light grid, tick labels, axis titles with units.
pub(super) fn style_mesh<DB, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<DayAxis, Y>>,
    sz: &Sizes,
    axis: &DayAxis,
    y_desc: &str,
    y_fmt: &dyn Fn(&f64) -> String,
) -> Result<(), ChartError>
where
    DB: DrawingBackend,
    Y: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
{
    let x_fmt = |d: &f64| axis.label(d);
    // About one y label per two and a half tick-text heights, 4 to 8.
    let (_, plot_h) = chart.plotting_area().dim_in_pixel();
    let y_labels = (f64::from(plot_h) / (17.0 * 2.5 * sz.scale)).floor() as usize;
    chart
        .configure_mesh()
        .x_labels(x_label_count(sz))
        .y_labels(y_labels.clamp(4, 8))
        .max_light_lines(0)
        .bold_line_style(GRID.stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .label_style(sz.tick())
        .axis_desc_style(sz.axis_title())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(y_fmt)
        .x_desc("Date (end of day)")
        .y_desc(y_desc)
        .draw()
        .map_err(draw_err)
}

/// How many date labels the x axis asks for: one per ~110 design pixels, at least two.
fn x_label_count(sz: &Sizes) -> usize {
    (((sz.width as f64) / (sz.px(110.0).max(1) as f64)).floor() as usize).max(2)
}

/// Labels the start date under the first day of a date axis drawn by [`style_mesh`] (with a
/// tick, as the mesh draws its own), unless the mesh already labels day 0 or the label would
/// overlap the first month label (very narrow images).
pub(super) fn label_start<DB, Y>(
    root: &DrawingArea<DB, Shift>,
    chart: &ChartContext<'_, DB, Cartesian2d<DayAxis, Y>>,
    sz: &Sizes,
    axis: &DayAxis,
) -> Result<(), ChartError>
where
    DB: DrawingBackend,
    Y: Ranged<ValueType = f64>,
{
    let keys = axis.key_points(x_label_count(sz));
    if keys.first().is_some_and(|&k| k <= axis.lo) {
        return Ok(());
    }
    let text = if axis.start.day() == 1 {
        axis.start.strftime("%b %Y").to_string()
    } else {
        axis.start.strftime("%-d %b %Y").to_string()
    };
    let style = sz.tick().pos(Pos::new(HPos::Center, VPos::Top));
    let (x0, y0) = chart.backend_coord(&(axis.lo, chart.y_range().start));
    let (w, _) = root.estimate_text_size(&text, &style).map_err(draw_err)?;
    if let Some(&k) = keys.first() {
        let (kx, _) = chart.backend_coord(&(k, chart.y_range().start));
        let (kw, _) = root
            .estimate_text_size(&axis.label(&k), &style)
            .map_err(draw_err)?;
        if x0 + (w as i32 + kw as i32) / 2 + sz.px(8.0) > kx {
            return Ok(());
        }
    }
    // Where plotters puts x tick marks (5 px below the plot) and their labels (5 px further).
    root.draw(&PathElement::new(
        vec![(x0, y0 + 1), (x0, y0 + 6)],
        MUTED.stroke_width(1),
    ))
    .map_err(draw_err)?;
    root.draw_text(&text, &style, (x0, y0 + 11))
        .map_err(draw_err)
}

/// The chart builder with the margins every chart uses.
pub(super) fn builder<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    sz: &Sizes,
    right_axis: bool,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(area);
    b.margin_left(sz.px(12.0))
        .margin_right(sz.px(if right_axis { 12.0 } else { 36.0 }))
        .margin_top(sz.px(8.0))
        .margin_bottom(sz.px(12.0))
        .x_label_area_size(sz.px(62.0))
        .y_label_area_size(sz.px(96.0));
    if right_axis {
        b.right_y_label_area_size(sz.px(96.0));
    }
    b
}

/// A closed polygon between an upper and a lower series (a band or a stacked layer).
pub(super) fn band(upper: &[f64], lower: &[f64]) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = upper
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as f64, v))
        .collect();
    pts.extend(lower.iter().enumerate().rev().map(|(i, &v)| (i as f64, v)));
    pts
}

/// Points `(day, value)` of a series.
pub(super) fn series(v: &[f64]) -> Vec<(f64, f64)> {
    v.iter().enumerate().map(|(i, &v)| (i as f64, v)).collect()
}

/// Labels a reference line: text on a white box (so lines and data under it do not garble it),
/// its top corner at backend pixel `at`, extending right (`HPos::Left`) or left (`HPos::Right`).
pub(super) fn boxed_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    sz: &Sizes,
    text: &str,
    at: (i32, i32),
    h: HPos,
    color: RGBColor,
) -> Result<(), ChartError> {
    let style = sz.note().color(&color).pos(Pos::new(HPos::Left, VPos::Top));
    let (tw, th) = root.estimate_text_size(text, &style).map_err(draw_err)?;
    let pad = sz.px(4.0);
    let (w, hgt) = (tw as i32 + 2 * pad, th as i32 + 2 * pad);
    let x0 = match h {
        HPos::Right => at.0 - w,
        _ => at.0,
    };
    root.draw(&Rectangle::new(
        [(x0, at.1), (x0 + w, at.1 + hgt)],
        WHITE.mix(0.9).filled(),
    ))
    .map_err(draw_err)?;
    root.draw_text(text, &style, (x0 + pad, at.1 + pad))
        .map_err(draw_err)
}

/// Height of a [`boxed_label`] in pixels.
pub(super) fn label_height(sz: &Sizes) -> i32 {
    sz.px(16.0 * 1.2 + 8.0 + 4.0)
}

/// MW and other plain quantities: thousands separators, no suffix.
pub(super) fn fmt_plain(v: f64) -> String {
    if v.abs() < 10.0 && v.fract() != 0.0 {
        format!("{v:.1}")
    } else {
        let sign = if v < 0.0 { "-" } else { "" };
        format!("{sign}{}", fmt_thousands(v.abs().round() as u64))
    }
}

/// Legend entries for the target and deadline lines that every ramp chart draws.
pub(super) fn reference_legend(facts: &RunFacts) -> [(String, Mark); 2] {
    [
        (
            format!("Target ({} GPUs)", fmt_plain(facts.target_gpus)),
            Mark::Dashed(okabe_ito::VERMILLION),
        ),
        (
            format!("Deadline ({})", facts.deadline),
            Mark::Dashed(okabe_ito::BLACK),
        ),
    ]
}

/// Family name prefix of the DejaVu Sans subsets embedded in SVGs.
pub(super) const EMBEDDED_FAMILY_PREFIX: &str = "capsim-dejavu-";

/// Embeds in `svg` (as written by plotters' SVG backend) the subset of DejaVu Sans it uses: one
/// `@font-face` per weight (regular, and bold if any text is bold) holding only the glyphs of the
/// characters in its `<text>` elements, as a base64 `data:` URL, under a family name unique to
/// the subset; every `font-family="sans-serif"` then names that family with `sans-serif` as the
/// fallback. The SVG renders the same wherever it is opened, and stays small.
pub(super) fn embed_fonts(svg: &str) -> Result<String, ChartError> {
    let (regular, bold) = text_chars(svg);
    let mut faces = Vec::new();
    for (chars, font, weight) in [
        (regular, dejavu::sans::regular(), "normal"),
        (bold, dejavu::sans::bold(), "bold"),
    ] {
        if !chars.is_empty() {
            faces.push((subset_font(font, &chars)?, weight));
        }
    }
    if faces.is_empty() {
        return Ok(svg.to_owned());
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in faces.iter().flat_map(|(bytes, _)| bytes) {
        hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    let family = format!("{EMBEDDED_FAMILY_PREFIX}{:012x}", hash >> 16);
    let mut style = String::from("<defs><style>");
    for (bytes, weight) in &faces {
        style.push_str(&format!(
            "@font-face{{font-family:\"{family}\";font-weight:{weight};\
             src:url(data:font/ttf;base64,{}) format(\"truetype\")}}",
            base64(bytes)
        ));
    }
    style.push_str("</style></defs>\n");
    let body_at = svg
        .find("<svg")
        .and_then(|i| svg[i..].find('>').map(|j| i + j + 1))
        .ok_or_else(|| ChartError::Draw("the SVG backend wrote no <svg> element".into()))?;
    let (head, body) = svg.split_at(body_at);
    let body = body.replace(
        "font-family=\"sans-serif\"",
        &format!("font-family=\"{family}, sans-serif\""),
    );
    Ok(format!("{head}\n{style}{body}"))
}

/// The characters of an SVG's `<text>` elements: (regular, bold), XML entities decoded.
fn text_chars(
    svg: &str,
) -> (
    std::collections::BTreeSet<char>,
    std::collections::BTreeSet<char>,
) {
    let (mut regular, mut bold) = (Default::default(), Default::default());
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        rest = &rest[start..];
        let Some(open_end) = rest.find('>') else {
            break;
        };
        let Some(close) = rest.find("</text>") else {
            break;
        };
        let set: &mut std::collections::BTreeSet<char> =
            if rest[..open_end].contains("font-weight=\"bold\"") {
                &mut bold
            } else {
                &mut regular
            };
        let content = rest[open_end + 1..close]
            .trim()
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&");
        set.extend(content.chars());
        rest = &rest[close..];
    }
    (regular, bold)
}

/// A TrueType font holding only `.notdef` and the glyphs of `chars` (with their components),
/// with a Unicode cmap so browsers map text to them.
fn subset_font(
    font: &[u8],
    chars: &std::collections::BTreeSet<char>,
) -> Result<Vec<u8>, ChartError> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font::MatchingPresentation;
    use allsorts::subset::{CmapTarget, SubsetProfile, subset};
    use allsorts::tables::OpenTypeFont;

    let err = |e: &dyn std::fmt::Display| ChartError::Draw(format!("embedding DejaVu Sans: {e}"));
    let file = ReadScope::new(font)
        .read::<OpenTypeFont<'_>>()
        .map_err(|e| err(&e))?;
    let provider = file.table_provider(0).map_err(|e| err(&e))?;
    let mut glyphs = vec![0u16];
    {
        let mut parsed = allsorts::Font::new(file.table_provider(0).map_err(|e| err(&e))?)
            .map_err(|e| err(&e))?;
        for &c in chars {
            let (id, _) = parsed.lookup_glyph_index(c, MatchingPresentation::NotRequired, None);
            if id != 0 {
                glyphs.push(id);
            }
        }
    }
    glyphs[1..].sort_unstable();
    glyphs.dedup();
    subset(
        &provider,
        &glyphs,
        &SubsetProfile::Minimal,
        CmapTarget::Unicode,
    )
    .map_err(|e| err(&e))
}

/// Standard base64 with padding (RFC 4648), for `data:` URLs.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
