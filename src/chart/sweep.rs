//! Charts for `capsim sweep`: a line chart for one varied parameter (P(target by deadline) with
//! its 95% interval, and median available GPUs at the deadline with P10–P90, against the
//! parameter) and a heatmap for two (P(target by deadline) over the grid, with the contour where
//! it crosses a chosen probability). The GPU panel's axis is fitted to the data (see
//! [`gpu_range`]), not drawn from 0. Parameters are named by what they are, with their units
//! ([`field_label`]), not by their `--set` paths; the heatmap's colour bar is titled with its
//! quantity.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{self, Mark, Sizes, draw_err, okabe_ito as oi};
use super::{ChartError, ChartFormat};
use crate::scenario::field_label;

/// One grid point's results, as the sweep charts need them.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPoint {
    /// P(target by deadline).
    pub p_target: f64,
    /// Lower end of its 95% interval.
    pub p_low: f64,
    /// Upper end of its 95% interval.
    pub p_high: f64,
    /// Available GPUs at the deadline: 10th percentile.
    pub gpus_p10: f64,
    /// Median.
    pub gpus_p50: f64,
    /// 90th percentile.
    pub gpus_p90: f64,
}

/// What a sweep chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepChart {
    /// Scenario name.
    pub scenario: String,
    /// Trials per grid point.
    pub trials: u64,
    /// Target GPUs.
    pub target_gpus: f64,
    /// Deadline (ISO date).
    pub deadline: String,
    /// The varied parameters' paths (one or two), first on the x axis.
    pub params: Vec<String>,
    /// Each parameter's values, in sweep order; for a categorical parameter, the positions
    /// `0, 1, 2, ...` of its categories.
    pub values: Vec<Vec<f64>>,
    /// Per parameter: `None` when its values are numbers, else its values' texts (dates,
    /// policies, distributions), drawn as evenly spaced categories in sweep order.
    pub categories: Vec<Option<Vec<String>>>,
    /// Results, row-major: the first parameter's index outermost
    /// (`points[i * values[1].len() + j]`).
    pub points: Vec<SweepPoint>,
    /// The probability whose contour the heatmap draws.
    pub threshold: f64,
}

/// Opacity of the interval bands.
const BAND_ALPHA: f64 = 0.22;

/// Draws the sweep chart (line chart for one parameter, heatmap for two) as `format` at `size`
/// and returns the file's bytes.
pub fn render_sweep(
    data: &SweepChart,
    format: ChartFormat,
    size: (u32, u32),
) -> Result<Vec<u8>, ChartError> {
    super::check_drawable(size)?;
    let cells: usize = data.values.iter().map(Vec::len).product();
    if data.params.is_empty()
        || data.params.len() > 2
        || data.values.len() != data.params.len()
        || data.categories.len() != data.params.len()
        || data
            .categories
            .iter()
            .zip(&data.values)
            .any(|(c, v)| c.as_ref().is_some_and(|c| c.len() != v.len()))
        || cells != data.points.len()
        || cells == 0
    {
        return Err(ChartError::NoData {
            chart: "sweep",
            reason: "the sweep needs one or two parameters and one result per grid point".into(),
        });
    }
    let sz = Sizes::new(size);
    render_to!(format, size, |root| draw(&root, data, &sz))
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &SweepChart,
    sz: &Sizes,
) -> Result<(), ChartError> {
    if data.params.len() == 1 {
        draw_line(root, data, sz)
    } else {
        draw_heatmap(root, data, sz)
    }
}

fn run_line(data: &SweepChart) -> String {
    let swept = |path: &str| data.params.iter().any(|p| p == path);
    let target = if swept("scenario.target_gpus") {
        "each point's target".to_owned()
    } else {
        format!("target {} online GPUs", style::fmt_plain(data.target_gpus))
    };
    let deadline = if swept("scenario.deadline") {
        "each point's deadline".to_owned()
    } else {
        data.deadline.clone()
    };
    format!(
        "{} · {} trials per point, same seed (common random numbers) · {target} by {deadline}",
        data.scenario,
        style::fmt_thousands(data.trials),
    )
}

/// A parameter value for tick labels: up to 4 significant decimals, no trailing zeros.
pub(super) fn fmt_value(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_owned() }
}

/// The tick label of a categorical value: its text, shortened to `max` characters with "…".
fn category_label(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let kept: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

/// The tick label at position `v` of a parameter: its value, or its category's text at whole
/// positions of a categorical parameter (nothing between them).
fn tick_label(categories: Option<&Vec<String>>, v: f64) -> String {
    let Some(categories) = categories else {
        return fmt_value(v);
    };
    let k = v.round();
    if (v - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < categories.len() {
        category_label(&categories[k as usize], 24)
    } else {
        String::new()
    }
}

/// `name` with its first letter in lower case, to follow "vs" in a title ("vs power scale"),
/// unless it starts with an abbreviation ("PUE").
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => {
            format!("{}{}", a.to_lowercase(), &name[a.len_utf8()..])
        }
        _ => name.to_owned(),
    }
}

fn draw_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &SweepChart,
    sz: &Sizes,
) -> Result<(), ChartError> {
    let xs = &data.values[0];
    let param = field_label(&data.params[0]);
    let title = format!(
        "P(target by deadline) and GPUs at the deadline vs {}",
        lower_first(&param.name)
    );
    let subtitle = vec![run_line(data)];
    let categories = data.categories[0].as_ref();
    let mut legend = if categories.is_some() {
        vec![
            ("P(target by deadline)".to_owned(), Mark::Dot(oi::BLUE)),
            ("95% interval (whisker)".to_owned(), Mark::Line(oi::BLUE)),
            ("Median GPUs at deadline".to_owned(), Mark::Dot(oi::GREEN)),
            ("P10–P90 (whisker)".to_owned(), Mark::Line(oi::GREEN)),
        ]
    } else {
        vec![
            ("P(target by deadline)".to_owned(), Mark::Line(oi::BLUE)),
            ("95% interval".to_owned(), Mark::Fill(oi::BLUE, BAND_ALPHA)),
            ("Median GPUs at deadline".to_owned(), Mark::Line(oi::GREEN)),
            ("P10–P90".to_owned(), Mark::Fill(oi::GREEN, BAND_ALPHA)),
        ]
    };
    // A swept target has no one line to draw.
    let target_line = !data.params.iter().any(|p| p == "scenario.target_gpus");
    if target_line {
        legend.push((
            format!("Target ({} GPUs)", style::fmt_plain(data.target_gpus)),
            Mark::Dashed(oi::VERMILLION),
        ));
    }
    let area = style::header(root, sz, &title, &subtitle, &legend)?;
    let (w, h) = area.dim_in_pixel();
    let (top, bottom) = area.split_vertically(h / 2);
    let _ = w;

    let (lo, hi) = match categories {
        Some(c) => (-0.5, c.len() as f64 - 0.5),
        None => x_range(xs),
    };
    let x_labels = ((sz.width as f64) / (sz.px(110.0).max(1) as f64)).floor() as usize;
    let x_fmt = |v: &f64| tick_label(categories, *v);
    let n = data.points.len();
    let pts = |f: &dyn Fn(&SweepPoint) -> f64| -> Vec<(f64, f64)> {
        xs.iter()
            .zip(&data.points)
            .map(|(&x, p)| (x, f(p)))
            .collect()
    };
    let band = |upper: &dyn Fn(&SweepPoint) -> f64, lower: &dyn Fn(&SweepPoint) -> f64| {
        let mut v = pts(upper);
        v.extend(pts(lower).into_iter().rev());
        v
    };
    let marker = sz.pxu(4.5);
    // Categories (dates, policies, distributions) are not a continuum: each gets its marker and
    // its interval as a whisker, with no line or band between them.
    let categorical = categories.is_some();
    let whiskers =
        |low: &dyn Fn(&SweepPoint) -> f64, high: &dyn Fn(&SweepPoint) -> f64, colour: RGBColor| {
            xs.iter()
                .zip(&data.points)
                .map(|(&x, p)| {
                    PathElement::new(
                        vec![(x, low(p)), (x, high(p))],
                        colour.stroke_width(sz.line()),
                    )
                })
                .collect::<Vec<_>>()
        };

    // Top panel: P(target by deadline).
    {
        let mut chart = panel_builder(&top, sz)
            .build_cartesian_2d(lo..hi, -0.03..1.03)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_labels(if categorical {
                n.min(x_labels.max(2))
            } else {
                x_labels.clamp(2, n.max(2) * 2)
            })
            .y_labels(6)
            .y_label_formatter(&|v| {
                if *v < 0.0 || *v > 1.0 {
                    String::new()
                } else {
                    format!("{:.0}%", v * 100.0)
                }
            })
            .max_light_lines(0)
            .bold_line_style(RGBColor(0xE3, 0xE3, 0xE3).stroke_width(1))
            .axis_style(style::MUTED.stroke_width(1))
            .label_style(sz.tick())
            .axis_desc_style(sz.axis_title())
            .x_label_formatter(&x_fmt)
            .y_desc("P(target by deadline)")
            .draw()
            .map_err(draw_err)?;
        if categorical {
            chart
                .draw_series(whiskers(&|p| p.p_low, &|p| p.p_high, oi::BLUE))
                .map_err(draw_err)?;
        } else {
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band(&|p| p.p_high, &|p| p.p_low),
                    oi::BLUE.mix(BAND_ALPHA).filled(),
                )))
                .map_err(draw_err)?;
            chart
                .draw_series(LineSeries::new(
                    pts(&|p| p.p_target),
                    oi::BLUE.stroke_width(sz.line()),
                ))
                .map_err(draw_err)?;
        }
        chart
            .draw_series(
                pts(&|p| p.p_target)
                    .into_iter()
                    .map(|c| Circle::new(c, marker, oi::BLUE.filled())),
            )
            .map_err(draw_err)?;
    }
    // Bottom panel: available GPUs at the deadline.
    {
        let (ymin, ymax) = gpu_range(&data.points, data.target_gpus);
        let mut chart = panel_builder(&bottom, sz)
            .x_label_area_size(sz.px(62.0))
            .build_cartesian_2d(lo..hi, ymin..ymax)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_labels(if categorical {
                n.min(x_labels.max(2))
            } else {
                x_labels.clamp(2, n.max(2) * 2)
            })
            .y_labels(5)
            .max_light_lines(0)
            .bold_line_style(RGBColor(0xE3, 0xE3, 0xE3).stroke_width(1))
            .axis_style(style::MUTED.stroke_width(1))
            .label_style(sz.tick())
            .axis_desc_style(sz.axis_title())
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&|v| style::fmt_count(*v))
            .x_desc(param.axis_title())
            .y_desc("GPUs at deadline")
            .draw()
            .map_err(draw_err)?;
        if categorical {
            chart
                .draw_series(whiskers(&|p| p.gpus_p10, &|p| p.gpus_p90, oi::GREEN))
                .map_err(draw_err)?;
        } else {
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band(&|p| p.gpus_p90, &|p| p.gpus_p10),
                    oi::GREEN.mix(BAND_ALPHA).filled(),
                )))
                .map_err(draw_err)?;
        }
        let t = data.target_gpus;
        if !target_line {
        } else if (ymin..=ymax).contains(&t) {
            let dash = sz.px(8.0);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(lo, t), (hi, t)],
                    dash,
                    dash,
                    oi::VERMILLION.stroke_width(sz.pxu(2.5)),
                ))
                .map_err(draw_err)?;
        } else {
            // The axis is fitted to the data; say where the target is instead.
            let (below, y) = if t < ymin {
                (true, ymin)
            } else {
                (false, ymax)
            };
            let (px, py) = chart.backend_coord(&(hi, y));
            let note = format!(
                "target {} is {} this axis",
                style::fmt_plain(t),
                if below { "below" } else { "above" }
            );
            let vpos = if below { VPos::Bottom } else { VPos::Top };
            let dy = if below { -sz.px(6.0) } else { sz.px(6.0) };
            root.draw_text(
                &note,
                &sz.note()
                    .color(&oi::VERMILLION)
                    .pos(Pos::new(HPos::Right, vpos)),
                (px - sz.px(8.0), py + dy),
            )
            .map_err(draw_err)?;
        }
        if !categorical {
            chart
                .draw_series(LineSeries::new(
                    pts(&|p| p.gpus_p50),
                    oi::GREEN.stroke_width(sz.line()),
                ))
                .map_err(draw_err)?;
        }
        chart
            .draw_series(
                pts(&|p| p.gpus_p50)
                    .into_iter()
                    .map(|c| Circle::new(c, marker, oi::GREEN.filled())),
            )
            .map_err(draw_err)?;
    }
    Ok(())
}

/// The GPU panel's value range: fitted to the P10–P90 band with a margin, not from 0, so a
/// small movement stays visible; the target is included when it lies within one band height of
/// the band (else the chart notes where it is). Never below 0, never empty.
pub(super) fn gpu_range(points: &[SweepPoint], target: f64) -> (f64, f64) {
    let finite = |v: &f64| v.is_finite();
    let lows = points.iter().map(|p| p.gpus_p10).filter(finite);
    let highs = points.iter().map(|p| p.gpus_p90).filter(finite);
    let mut lo = lows.fold(f64::INFINITY, f64::min);
    let mut hi = highs.fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, style::y_top(target));
    }
    let (lo0, hi0) = (lo.min(hi), lo.max(hi));
    (lo, hi) = (lo0, hi0);
    let span = hi - lo;
    if target.is_finite() && target >= lo - span && target <= hi + span {
        lo = lo.min(target);
        hi = hi.max(target);
    }
    let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.005).max(1.0);
    ((lo - pad).max(0.0), hi + pad)
}

fn panel_builder<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    sz: &Sizes,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(area);
    b.margin_left(sz.px(12.0))
        .margin_right(sz.px(36.0))
        .margin_top(sz.px(8.0))
        .margin_bottom(sz.px(8.0))
        .x_label_area_size(sz.px(34.0))
        .y_label_area_size(sz.px(96.0));
    b
}

/// The x range of a parameter, padded by 3% on each side so end markers are not clipped.
fn x_range(xs: &[f64]) -> (f64, f64) {
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        let c = if lo.is_finite() { lo } else { 0.0 };
        return (c - 0.5, c + 0.5);
    }
    let pad = (hi - lo) * 0.03;
    (lo - pad, hi + pad)
}

/// A sequential, colour-blind-safe scale (viridis, sampled at nine stops): 0 → dark purple,
/// 1 → yellow.
fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Black or white, whichever reads better on `c`.
fn text_on(c: RGBColor) -> RGBColor {
    let luma = 0.299 * f64::from(c.0) + 0.587 * f64::from(c.1) + 0.114 * f64::from(c.2);
    if luma > 140.0 { style::INK } else { WHITE }
}

/// Line segments where the grid `z` (`z[i][j]` at x index `i`, y index `j`) crosses `level`, by
/// marching squares with linear interpolation along cell edges; coordinates are fractional grid
/// indices. Saddle cells are split by the cell-centre average.
pub(crate) fn contour(z: &[Vec<f64>], level: f64) -> Vec<[(f64, f64); 2]> {
    let mut segs = Vec::new();
    let nx = z.len();
    if nx < 2 {
        return segs;
    }
    let ny = z[0].len();
    if ny < 2 || z.iter().any(|c| c.len() != ny) {
        return segs;
    }
    for i in 0..nx - 1 {
        for j in 0..ny - 1 {
            // Corners counter-clockwise from (i, j).
            let c = [
                ((i as f64, j as f64), z[i][j]),
                (((i + 1) as f64, j as f64), z[i + 1][j]),
                (((i + 1) as f64, (j + 1) as f64), z[i + 1][j + 1]),
                ((i as f64, (j + 1) as f64), z[i][j + 1]),
            ];
            let above = |k: usize| c[k].1 >= level;
            // Crossing points on the four edges (k, k+1).
            let mut cross: Vec<(usize, (f64, f64))> = Vec::new();
            for k in 0..4 {
                let (a, b) = (c[k], c[(k + 1) % 4]);
                if above(k) != above((k + 1) % 4) {
                    let t = (level - a.1) / (b.1 - a.1);
                    let t = if t.is_finite() {
                        t.clamp(0.0, 1.0)
                    } else {
                        0.5
                    };
                    cross.push((
                        k,
                        (a.0.0 + (b.0.0 - a.0.0) * t, a.0.1 + (b.0.1 - a.0.1) * t),
                    ));
                }
            }
            match cross.len() {
                2 => segs.push([cross[0].1, cross[1].1]),
                4 => {
                    // Saddle: pair the edges so the centre's side decides the connection.
                    let centre = c.iter().map(|p| p.1).sum::<f64>() / 4.0;
                    if (centre >= level) == above(0) {
                        segs.push([cross[0].1, cross[1].1]);
                        segs.push([cross[2].1, cross[3].1]);
                    } else {
                        segs.push([cross[0].1, cross[3].1]);
                        segs.push([cross[1].1, cross[2].1]);
                    }
                }
                _ => {}
            }
        }
    }
    segs
}

fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &SweepChart,
    sz: &Sizes,
) -> Result<(), ChartError> {
    let (xs, ys) = (&data.values[0], &data.values[1]);
    let (nx, ny) = (xs.len(), ys.len());
    let z: Vec<Vec<f64>> = (0..nx)
        .map(|i| (0..ny).map(|j| data.points[i * ny + j].p_target).collect())
        .collect();
    let (x_param, y_param) = (field_label(&data.params[0]), field_label(&data.params[1]));
    let title = format!(
        "P(target by deadline) over {} × {}",
        lower_first(&x_param.name),
        lower_first(&y_param.name)
    );
    let subtitle = vec![
        run_line(data),
        "Each cell: P(target by deadline) at that grid point. The colour bar on the right gives \
         the scale."
            .to_owned(),
    ];
    let segs = contour(&z, data.threshold);
    let all = z.iter().flatten();
    let reached = all.clone().filter(|&&v| v >= data.threshold).count();
    let contour_label = if !segs.is_empty() {
        format!(
            "Contour where P(target) = {}",
            style::fmt_pct(data.threshold)
        )
    } else if reached == 0 {
        format!(
            "No grid point reaches P(target) = {}: no contour",
            style::fmt_pct(data.threshold)
        )
    } else {
        format!(
            "Every grid point reaches P(target) = {}: no contour",
            style::fmt_pct(data.threshold)
        )
    };
    let legend = vec![(contour_label, Mark::Line(oi::BLACK))];
    let area = style::header(root, sz, &title, &subtitle, &legend)?;
    let (w, _) = area.dim_in_pixel();
    let bar_w = sz.px(150.0).max(60) as u32;
    let (plot, bar) = area.split_horizontally(w.saturating_sub(bar_w));

    let mut chart = ChartBuilder::on(&plot)
        .margin_left(sz.px(12.0))
        .margin_right(sz.px(12.0))
        .margin_top(sz.px(8.0))
        .margin_bottom(sz.px(12.0))
        .x_label_area_size(sz.px(62.0))
        .y_label_area_size(sz.px(96.0))
        .build_cartesian_2d(-0.5..nx as f64 - 0.5, -0.5..ny as f64 - 0.5)
        .map_err(draw_err)?;
    // Cells sit at whole positions; a numeric parameter's tick shows the value of its cell.
    let label_at = |vals: &[f64], categories: Option<&Vec<String>>, v: f64| -> String {
        let k = v.round();
        if (v - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < vals.len() {
            match categories {
                Some(_) => tick_label(categories, v),
                None => fmt_value(vals[k as usize]),
            }
        } else {
            String::new()
        }
    };
    let x_fmt = |v: &f64| label_at(xs, data.categories[0].as_ref(), *v);
    let y_fmt = |v: &f64| label_at(ys, data.categories[1].as_ref(), *v);
    let max_x = ((sz.width as f64) / (sz.px(90.0).max(1) as f64)).floor() as usize;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(nx.min(max_x.max(2)) + 1)
        .y_labels(ny.min(16) + 1)
        .axis_style(style::MUTED.stroke_width(1))
        .label_style(sz.tick())
        .axis_desc_style(sz.axis_title())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(x_param.axis_title())
        .y_desc(y_param.axis_title())
        .draw()
        .map_err(draw_err)?;
    chart
        .draw_series((0..nx).flat_map(|i| {
            let z = &z;
            (0..ny).map(move |j| {
                let (x, y) = (i as f64, j as f64);
                Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    viridis(z[i][j]).filled(),
                )
            })
        }))
        .map_err(draw_err)?;
    // Values in the cells, when they fit.
    let cell_w = chart.backend_coord(&(1.0, 0.0)).0 - chart.backend_coord(&(0.0, 0.0)).0;
    let cell_h = chart.backend_coord(&(0.0, 0.0)).1 - chart.backend_coord(&(0.0, 1.0)).1;
    let text = sz.note();
    let (tw, th) = root.estimate_text_size("100.0%", &text).map_err(draw_err)?;
    if cell_w > tw as i32 + sz.px(4.0) && cell_h > th as i32 + sz.px(2.0) {
        for (i, column) in z.iter().enumerate() {
            for (j, &v) in column.iter().enumerate() {
                let ink = text_on(viridis(v));
                let style = text
                    .clone()
                    .color(&ink)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                let at = chart.backend_coord(&(i as f64, j as f64));
                root.draw_text(&style::fmt_pct(v), &style, at)
                    .map_err(draw_err)?;
            }
        }
    }
    // The contour: white halo under a black line, so it reads on dark and light cells.
    for (colour, width) in [(WHITE, sz.pxu(7.0)), (oi::BLACK, sz.pxu(3.5))] {
        chart
            .draw_series(
                segs.iter()
                    .map(|s| PathElement::new(vec![s[0], s[1]], colour.stroke_width(width))),
            )
            .map_err(draw_err)?;
    }

    // Colour bar.
    let (bw, bh) = bar.dim_in_pixel();
    let (bw, bh) = (bw as i32, bh as i32);
    let top = sz.px(8.0);
    let bottom = bh - sz.px(12.0) - sz.px(62.0);
    let x0 = sz.px(16.0);
    let x1 = x0 + sz.px(28.0).min(bw / 3).max(8);
    let steps = 100;
    for k in 0..steps {
        let t0 = k as f64 / steps as f64;
        let y_hi = bottom - ((bottom - top) as f64 * (k + 1) as f64 / steps as f64).round() as i32;
        let y_lo = bottom - ((bottom - top) as f64 * t0).round() as i32;
        bar.draw(&Rectangle::new(
            [(x0, y_hi), (x1, y_lo)],
            viridis(t0 + 0.5 / steps as f64).filled(),
        ))
        .map_err(draw_err)?;
    }
    bar.draw(&Rectangle::new(
        [(x0, top), (x1, bottom)],
        style::MUTED.stroke_width(1),
    ))
    .map_err(draw_err)?;
    let tick = sz.tick().pos(Pos::new(HPos::Left, VPos::Center));
    for k in 0..=5 {
        let t = k as f64 / 5.0;
        let y = bottom - ((bottom - top) as f64 * t).round() as i32;
        bar.draw(&PathElement::new(
            vec![(x1, y), (x1 + sz.px(6.0), y)],
            style::MUTED.stroke_width(1),
        ))
        .map_err(draw_err)?;
        bar.draw_text(&format!("{:.0}%", t * 100.0), &tick, (x1 + sz.px(10.0), y))
            .map_err(draw_err)?;
    }
    // The bar's title, upright along its right side.
    let title = format!("P(target by {})", data.deadline);
    let title_style = sz
        .axis_title()
        .transform(FontTransform::Rotate270)
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    let (label_w, _) = bar.estimate_text_size("100%", &tick).map_err(draw_err)?;
    bar.draw_text(
        &title,
        &title_style,
        (
            (x1 + sz.px(10.0) + label_w as i32 + sz.px(30.0)).min(bw - sz.px(4.0)),
            (top + bottom) / 2,
        ),
    )
    .map_err(draw_err)?;
    // The threshold on the bar.
    let y = bottom - ((bottom - top) as f64 * data.threshold.clamp(0.0, 1.0)).round() as i32;
    bar.draw(&PathElement::new(
        vec![(x0 - sz.px(6.0), y), (x1, y)],
        oi::BLACK.stroke_width(sz.pxu(3.0)),
    ))
    .map_err(draw_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contour_crosses_edges_by_linear_interpolation() {
        // z rises along x: 0.6 → 1.0; the 0.8 contour is the vertical line at x = 0.5.
        let z = vec![vec![0.6, 0.6], vec![1.0, 1.0]];
        let segs = contour(&z, 0.8);
        assert_eq!(segs.len(), 1);
        let [a, b] = segs[0];
        assert!(
            (a.0 - 0.5).abs() < 1e-12 && (b.0 - 0.5).abs() < 1e-12,
            "{segs:?}"
        );
        let mut ys = [a.1, b.1];
        ys.sort_by(f64::total_cmp);
        assert_eq!(ys, [0.0, 1.0]);
        // A level nothing crosses draws nothing.
        assert!(contour(&z, 0.5).is_empty());
        assert!(contour(&z, 1.5).is_empty());
    }

    #[test]
    fn saddle_cells_draw_two_segments() {
        let z = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        assert_eq!(contour(&z, 0.5).len(), 2);
    }

    #[test]
    fn viridis_runs_dark_to_light() {
        let luma = |c: RGBColor| u32::from(c.0) + u32::from(c.1) + u32::from(c.2);
        assert!(luma(viridis(0.0)) < luma(viridis(0.5)));
        assert!(luma(viridis(0.5)) < luma(viridis(1.0)));
        assert_eq!(text_on(viridis(0.0)), WHITE);
        assert_eq!(text_on(viridis(1.0)), style::INK);
    }

    #[test]
    fn values_format_without_float_noise() {
        assert_eq!(fmt_value(0.7000000000000001), "0.7");
        assert_eq!(fmt_value(1.0), "1");
        assert_eq!(fmt_value(-0.0), "0");
    }
}
