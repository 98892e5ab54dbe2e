//! The paired-differences chart for `capsim compare` (`charts/differences.*`): for each scenario
//! against the baseline, the figures `compare.json` pairs trial by trial, one panel each, as a
//! dot (in the scenario's overlay colour) on its paired 95% interval (dark whisker), with the
//! unpaired interval the same trials would give without pairing just below it (thin, grey), and
//! a zero line: P(target by deadline) in percentage points, mean GPUs available at the deadline, and
//! the median full-capacity day (over trials where both reach the target; `compare.json` has no
//! interval for it, so a dot alone).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{self, Mark, Sizes, draw_err};
use super::{ChartError, ChartFormat};
use crate::analysis::compare::CompareReport;

/// The unpaired intervals' colour.
const UNPAIRED: RGBColor = RGBColor(0xA0, 0xA0, 0xA0);
/// The paired intervals' colour.
const PAIRED: RGBColor = style::INK;
/// The zero line's colour, lighter than the paired intervals.
const ZERO: RGBColor = style::MUTED;

/// One panel's figure for one scenario: the estimate and its intervals, in the panel's unit.
#[derive(Debug, Clone, Copy)]
struct Figure {
    estimate: Option<f64>,
    paired: Option<(f64, f64)>,
    unpaired: Option<(f64, f64)>,
}

/// One panel: its title and axis title (each long, and short for a narrow panel) and each
/// scenario's figure.
struct Panel {
    title: [&'static str; 2],
    axis: [&'static str; 2],
    format: fn(f64) -> String,
    figures: Vec<Figure>,
}

/// Draws the paired differences of `report` (as in `compare.json`) as `format` at `size` and
/// returns the file's bytes.
pub fn render_differences(
    report: &CompareReport,
    format: ChartFormat,
    size: (u32, u32),
) -> Result<Vec<u8>, ChartError> {
    super::check_drawable(size)?;
    if report.comparisons.is_empty() {
        return Err(ChartError::NoData {
            chart: "differences",
            reason: "no scenario to compare with the baseline".into(),
        });
    }
    render_to!(format, size, |root| draw(&root, report, &Sizes::new(size)))
}

fn signed(v: f64, text: String) -> String {
    if v > 0.0 { format!("+{text}") } else { text }
}

fn fmt_points(v: f64) -> String {
    signed(v, format!("{v:.0}"))
}

fn fmt_gpus(v: f64) -> String {
    signed(v, style::fmt_count(v))
}

fn panels(report: &CompareReport) -> [Panel; 3] {
    let c = &report.comparisons;
    let points = |(l, h): (f64, f64)| Some((l * 100.0, h * 100.0));
    [
        Panel {
            title: ["P(target by deadline)", "P(target)"],
            axis: ["difference (percentage points)", "points"],
            format: fmt_points,
            figures: c
                .iter()
                .map(|e| {
                    let d = &e.diff.p_target_by_deadline;
                    Figure {
                        estimate: Some(d.estimate * 100.0),
                        paired: points((d.paired_ci95_low, d.paired_ci95_high)),
                        unpaired: points((d.unpaired_ci95_low, d.unpaired_ci95_high)),
                    }
                })
                .collect(),
        },
        Panel {
            title: ["Mean GPUs available at deadline", "GPUs at deadline"],
            axis: ["difference (GPUs)", "GPUs"],
            format: fmt_gpus,
            figures: c
                .iter()
                .map(|e| {
                    let d = &e.diff.available_gpus_at_deadline;
                    Figure {
                        estimate: Some(d.estimate),
                        paired: Some((d.paired_ci95_low, d.paired_ci95_high)),
                        unpaired: Some((d.unpaired_ci95_low, d.unpaired_ci95_high)),
                    }
                })
                .collect(),
        },
        Panel {
            title: ["Median full-capacity day", "Full-capacity day"],
            axis: ["difference (days; − = earlier)", "days (− = earlier)"],
            format: fmt_points,
            figures: c
                .iter()
                .map(|e| Figure {
                    estimate: e.diff.full_capacity_days.median_days,
                    paired: None,
                    unpaired: None,
                })
                .collect(),
        },
    ]
}

/// The value range of a panel: every estimate and interval end, and 0, padded.
fn range(panel: &Panel) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for f in &panel.figures {
        let ends = [f.paired, f.unpaired].into_iter().flatten();
        for v in f.estimate.into_iter().chain(ends.flat_map(|(l, h)| [l, h])) {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    let pad = ((hi - lo) * 0.1).max(1.0);
    (lo - pad, hi + pad)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &CompareReport,
    sz: &Sizes,
) -> Result<(), ChartError> {
    let title = "Paired differences from the baseline, scenario minus baseline";
    let subtitle = vec![
        format!(
            "{} paired trials each (same seed, trial by trial) · baseline {} · target {} GPUs by {}",
            style::fmt_thousands(report.trials),
            report.baseline,
            style::fmt_plain(report.scenarios[0].target_gpus as f64),
            report.scenarios[0].deadline
        ),
        "Dots: the difference; whiskers: its 95% interval. The full-capacity day is the median \
         over trials where both reach the target (no interval)."
            .to_owned(),
    ];
    let legend = vec![
        ("Paired 95% interval".to_owned(), Mark::Line(PAIRED)),
        (
            "Unpaired 95% interval (for contrast)".to_owned(),
            Mark::Line(UNPAIRED),
        ),
    ];
    let area = style::header(root, sz, title, &subtitle, &legend)?;

    // Scenario labels on the left, then one column per panel.
    let labels: Vec<&str> = report
        .comparisons
        .iter()
        .map(|c| c.scenario.as_str())
        .collect();
    let label_style = sz.tick();
    let (w, _) = area.dim_in_pixel();
    let max_label = w as i32 * 3 / 10;
    let mut shown = Vec::with_capacity(labels.len());
    let mut label_w = 0;
    for l in &labels {
        // Too long: keep the end, where scenario variants differ ("…-late-buildings").
        let mut text = (*l).to_owned();
        loop {
            let (tw, _) = root
                .estimate_text_size(&text, &label_style)
                .map_err(draw_err)?;
            if tw as i32 <= max_label || text.chars().count() <= 4 {
                label_w = label_w.max(tw as i32);
                break;
            }
            text = format!("…{}", text.chars().skip(2).collect::<String>());
        }
        shown.push(text);
    }
    let label_w = label_w + sz.px(16.0);
    let (_, plots) = area.split_horizontally(label_w);
    let columns = plots.split_evenly((1, 3));
    let n = labels.len() as f64;
    for (i, (panel, column)) in panels(report).iter().zip(&columns).enumerate() {
        let (lo, hi) = range(panel);
        let (cw, _) = column.dim_in_pixel();
        let fits = |text: &str, style: &TextStyle| -> Result<bool, ChartError> {
            let (w, _) = root.estimate_text_size(text, style).map_err(draw_err)?;
            Ok((w as i32) < cw as i32 - sz.px(24.0))
        };
        let pick = |pair: [&'static str; 2], style: &TextStyle| -> Result<&str, ChartError> {
            Ok(if fits(pair[0], style)? {
                pair[0]
            } else {
                pair[1]
            })
        };
        let title = pick(panel.title, &sz.axis_title())?;
        let axis = pick(panel.axis, &sz.note())?;
        let mut chart = ChartBuilder::on(column)
            .caption(title, sz.axis_title())
            .margin_left(sz.px(10.0))
            .margin_right(sz.px(22.0))
            .margin_top(sz.px(4.0))
            .margin_bottom(sz.px(12.0))
            .x_label_area_size(sz.px(62.0))
            .y_label_area_size(0)
            .build_cartesian_2d(lo..hi, 0.0..n)
            .map_err(draw_err)?;
        let fmt = panel.format;
        let x_fmt = move |v: &f64| fmt(*v);
        chart
            .configure_mesh()
            .x_labels(((f64::from(cw) / f64::from(sz.pxu(90.0))).floor() as usize).max(3))
            .disable_y_mesh()
            .y_labels(0)
            .max_light_lines(0)
            .bold_line_style(RGBColor(0xE3, 0xE3, 0xE3).stroke_width(1))
            .axis_style(style::MUTED.stroke_width(1))
            .label_style(sz.tick())
            .axis_desc_style(sz.note())
            .x_label_formatter(&x_fmt)
            .x_desc(axis)
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (0.0, n)],
                ZERO.stroke_width(sz.pxu(1.5)),
            )))
            .map_err(draw_err)?;
        // Caps and the unpaired interval's offset are set in pixels, whatever the row height.
        let row_px = f64::from(
            (chart.backend_coord(&(lo, 0.0)).1 - chart.backend_coord(&(lo, 1.0)).1).max(1),
        );
        let in_rows = |px: f64| f64::from(sz.px(px)) / row_px;
        let unpaired_offset = in_rows(14.0).min(0.3);
        for (k, f) in panel.figures.iter().enumerate() {
            // Row k (scenario k + 1) occupies [n − k − 1, n − k], the first on top.
            let y = n - k as f64 - 0.5;
            let colour = super::overlay::colour(k + 1);
            // A whisker: the interval's line, and thinner caps at its ends.
            let whisker = |(l, h): (f64, f64), y: f64, c: RGBColor, width: u32, cap: f64| {
                let caps = c.stroke_width(sz.pxu(2.0));
                [
                    PathElement::new(vec![(l, y), (h, y)], c.stroke_width(width)),
                    PathElement::new(vec![(l, y - cap), (l, y + cap)], caps),
                    PathElement::new(vec![(h, y - cap), (h, y + cap)], caps),
                ]
            };
            // Unpaired just below the paired interval, so it shows even where they agree.
            if let Some(u) = f.unpaired {
                chart
                    .draw_series(whisker(
                        u,
                        y - unpaired_offset,
                        UNPAIRED,
                        sz.pxu(2.0),
                        in_rows(4.0),
                    ))
                    .map_err(draw_err)?;
            }
            if let Some(p) = f.paired {
                chart
                    .draw_series(whisker(p, y, PAIRED, sz.pxu(3.0), in_rows(8.0)))
                    .map_err(draw_err)?;
            }
            match f.estimate.filter(|v| v.is_finite()) {
                Some(v) => {
                    chart
                        .draw_series(std::iter::once(Circle::new(
                            (v, y),
                            sz.pxu(6.0),
                            colour.filled(),
                        )))
                        .map_err(draw_err)?;
                }
                None => {
                    let at = chart.backend_coord(&(0.0, y));
                    root.draw_text(
                        "no trial reaches it in both",
                        &sz.note()
                            .color(&style::MUTED)
                            .pos(Pos::new(HPos::Center, VPos::Bottom)),
                        (at.0, at.1 - sz.px(4.0)),
                    )
                    .map_err(draw_err)?;
                }
            }
            if i == 0 {
                let (_, py) = chart.backend_coord(&(lo, y));
                let x = area.get_base_pixel().0 + label_w - sz.px(8.0);
                root.draw_text(
                    &shown[k],
                    &label_style.pos(Pos::new(HPos::Right, VPos::Center)),
                    (x, py),
                )
                .map_err(draw_err)?;
            }
        }
    }
    Ok(())
}
