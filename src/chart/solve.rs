//! The chart of `capsim solve`: the goal's metric at every value the bisection ran (dots, with
//! P(target)'s 95% interval as whiskers), the goal as a horizontal line, and the answer as a
//! vertical line with its 95% interval shaded. The x axis names the varied input with its unit
//! ([`field_label`]); dates are drawn as dates on either axis.

use jiff::ToSpan;
use jiff::civil::Date;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, Mark, Sizes, draw_err, okabe_ito as oi};
use super::{ChartError, ChartFormat};
use crate::analysis::solve::{Comparison, Goal, Metric};
use crate::scenario::field_label;

/// One evaluation of a solve, as the chart draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct SolvePoint {
    /// The input's value: the number, or days after [`SolveChart::x_origin`] for dates.
    pub x: f64,
    /// The goal's metric there (a probability, GPUs, or days since 1970-01-01 for the
    /// full-capacity date); `None` when the median trial never reaches the target.
    pub y: Option<f64>,
    /// The metric's 95% interval (P(target) only).
    pub interval: Option<(f64, f64)>,
}

/// The answer of a solve, as the chart draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct SolveAnswer {
    /// Where it is on the x axis.
    pub x: f64,
    /// The answer as text, for the legend.
    pub text: String,
    /// The ends of its 95% interval on the x axis (P(target) goals only), and as text.
    pub interval: Option<((f64, f64), String)>,
}

/// What the solve chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct SolveChart {
    /// Scenario name.
    pub scenario: String,
    /// Trials per step.
    pub trials: u64,
    /// The seed of every step.
    pub seed: u64,
    /// The varied `--set` path.
    pub path: String,
    /// `Some(date)` when the input's values are dates: x is days after it.
    pub x_origin: Option<Date>,
    /// The range's two ends on the x axis, in either order.
    pub range: (f64, f64),
    /// The goal.
    pub goal: Goal,
    /// Every evaluation, in the order run.
    pub steps: Vec<SolvePoint>,
    /// The answer, when the solve found one.
    pub answer: Option<SolveAnswer>,
    /// The answer in words (or why there is none): the chart's second subtitle line.
    pub answer_line: String,
}

/// Opacity of the answer's interval.
const INTERVAL_ALPHA: f64 = 0.16;

/// The goal's metric as words: "P(target by deadline)", "Median GPUs at the deadline", ...
pub fn metric_label(metric: Metric) -> &'static str {
    match metric {
        Metric::PTarget => "P(target by deadline)",
        Metric::GpusAtDeadlineP50 => "Median GPUs at the deadline",
        Metric::FullCapacityP50 => "Median full-capacity date",
    }
}

/// The goal in words: "P(target by deadline) ≥ 80%", "Median full-capacity date ≤ 2026-12-31".
pub fn goal_label(goal: &Goal) -> String {
    let sign = match goal.comparison {
        Comparison::AtLeast => "≥",
        Comparison::AtMost => "≤",
    };
    format!(
        "{} {sign} {}",
        metric_label(goal.metric),
        metric_value(goal.metric, goal.value)
    )
}

/// A value of `metric` as text: a percentage, a GPU count or a date.
fn metric_value(metric: Metric, v: f64) -> String {
    match metric {
        Metric::PTarget => format!("{}%", super::sweep::fmt_value(v * 100.0)),
        Metric::GpusAtDeadlineP50 => style::fmt_plain(v),
        Metric::FullCapacityP50 => epoch_date(v).to_string(),
    }
}

/// The date `days` after 1970-01-01.
fn epoch_date(days: f64) -> Date {
    let epoch = Date::constant(1970, 1, 1);
    epoch
        .checked_add((days.round() as i64).days())
        .unwrap_or(epoch)
}

/// Draws the solve chart as `format` at `size` and returns the file's bytes.
pub fn render_solve(
    data: &SolveChart,
    format: ChartFormat,
    size: (u32, u32),
) -> Result<Vec<u8>, ChartError> {
    super::check_drawable(size)?;
    if data.steps.is_empty() {
        return Err(ChartError::NoData {
            chart: "solve",
            reason: "the solve ran no steps".into(),
        });
    }
    let sz = Sizes::new(size);
    render_to!(format, size, |root| draw(&root, data, &sz))
}

/// The x range: the solve's range padded by 3% on each side, so the end dots are not clipped.
fn x_range(data: &SolveChart) -> (f64, f64) {
    let (a, b) = data.range;
    let (lo, hi) = (a.min(b), a.max(b));
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        let c = if lo.is_finite() { lo } else { 0.0 };
        return (c - 0.5, c + 0.5);
    }
    let pad = (hi - lo) * 0.03;
    (lo - pad, hi + pad)
}

/// The y range: 0–100% for P(target), else fitted to the steps and the goal with a margin.
fn y_range(data: &SolveChart) -> (f64, f64) {
    if data.goal.metric == Metric::PTarget {
        return (-0.03, 1.03);
    }
    let values = data
        .steps
        .iter()
        .filter_map(|s| s.y)
        .chain([data.goal.value]);
    let lo = values.clone().fold(f64::INFINITY, f64::min);
    let hi = values.fold(f64::NEG_INFINITY, f64::max);
    let span = (hi - lo).max(if data.goal.metric == Metric::FullCapacityP50 {
        10.0
    } else {
        hi.abs().max(1.0) * 0.02
    });
    let lo = lo - span * 0.08;
    let lo = if data.goal.metric == Metric::GpusAtDeadlineP50 {
        lo.max(0.0)
    } else {
        lo
    };
    (lo, hi + span * 0.08)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &SolveChart,
    sz: &Sizes,
) -> Result<(), ChartError> {
    let field = field_label(&data.path);
    let metric = data.goal.metric;
    let title = format!(
        "{} against {}",
        metric_label(metric),
        lower_first(&field.name)
    );
    let mut subtitle = vec![format!(
        "{} · {} trials per step, same seed {} (common random numbers) · goal {}",
        data.scenario,
        style::fmt_thousands(data.trials),
        data.seed,
        goal_label(&data.goal)
    )];
    subtitle.push(data.answer_line.clone());
    let never = data.steps.iter().any(|s| s.y.is_none());
    if never {
        subtitle.push(
            "Dots on the top edge: steps whose median trial never reaches the target.".into(),
        );
    }
    let mut legend = vec![(
        format!("{} at each step", metric_label(metric)),
        Mark::Dot(oi::BLUE),
    )];
    if data.steps.iter().any(|s| s.interval.is_some()) {
        legend.push(("95% interval (whisker)".into(), Mark::Line(oi::BLUE)));
    }
    legend.push((
        format!("Goal ({})", goal_label(&data.goal)),
        Mark::Dashed(oi::BLACK),
    ));
    if let Some(answer) = &data.answer {
        legend.push((
            format!("Answer ({})", answer.text),
            Mark::Line(oi::VERMILLION),
        ));
        if let Some((_, text)) = &answer.interval {
            legend.push((
                format!("95% interval of the answer ({text})"),
                Mark::Fill(oi::VERMILLION, INTERVAL_ALPHA),
            ));
        }
    }
    let area = style::header(root, sz, &title, &subtitle, &legend)?;

    let (x_lo, x_hi) = x_range(data);
    let (y_lo, y_hi) = y_range(data);
    let mut builder = style::builder(&area, sz, false);
    if metric == Metric::FullCapacityP50 {
        // Dates are wider tick labels than counts.
        builder.y_label_area_size(sz.px(140.0));
    }
    let mut chart = builder
        .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
        .map_err(draw_err)?;
    let x_fmt = |v: &f64| match data.x_origin {
        Some(origin) => origin
            .checked_add((v.round() as i64).days())
            .map_or_else(|_| String::new(), |d| d.to_string()),
        None => super::sweep::fmt_value(*v),
    };
    let y_fmt = |v: &f64| match metric {
        Metric::PTarget if *v < 0.0 || *v > 1.0 => String::new(),
        Metric::PTarget => format!("{:.0}%", v * 100.0),
        Metric::GpusAtDeadlineP50 => style::fmt_count(*v),
        Metric::FullCapacityP50 => epoch_date(*v).to_string(),
    };
    // Dates are wider labels than numbers.
    let per_label = if data.x_origin.is_some() {
        150.0
    } else {
        110.0
    };
    let x_labels =
        ((f64::from(sz.width) / f64::from(sz.px(per_label).max(1))).floor() as usize).max(2);
    chart
        .configure_mesh()
        .x_labels(x_labels)
        .y_labels(if metric == Metric::PTarget { 6 } else { 5 })
        .max_light_lines(0)
        .bold_line_style(RGBColor(0xE3, 0xE3, 0xE3).stroke_width(1))
        .axis_style(style::MUTED.stroke_width(1))
        .label_style(sz.tick())
        .axis_desc_style(sz.axis_title())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(field.axis_title())
        .y_desc(metric_label(metric))
        .draw()
        .map_err(draw_err)?;

    if let Some(answer) = &data.answer {
        if let Some(((a, b), _)) = answer.interval {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a.min(b), y_lo), (a.max(b), y_hi)],
                    oi::VERMILLION.mix(INTERVAL_ALPHA).filled(),
                )))
                .map_err(draw_err)?;
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(answer.x, y_lo), (answer.x, y_hi)],
                oi::VERMILLION.stroke_width(sz.line()),
            )))
            .map_err(draw_err)?;
    }
    let dash = sz.px(8.0);
    chart
        .draw_series(DashedLineSeries::new(
            vec![(x_lo, data.goal.value), (x_hi, data.goal.value)],
            dash,
            dash,
            oi::BLACK.stroke_width(sz.pxu(2.0)),
        ))
        .map_err(draw_err)?;
    chart
        .draw_series(data.steps.iter().filter_map(|s| {
            s.interval.map(|(low, high)| {
                PathElement::new(
                    vec![(s.x, low), (s.x, high)],
                    oi::BLUE.stroke_width(sz.line()),
                )
            })
        }))
        .map_err(draw_err)?;
    let marker = sz.pxu(4.5);
    chart
        .draw_series(
            data.steps
                .iter()
                .map(|s| Circle::new((s.x, s.y.unwrap_or(y_hi)), marker, oi::BLUE.filled())),
        )
        .map_err(draw_err)?;
    Ok(())
}

/// `name` with its first letter in lower case, to follow "against" in a title, unless it
/// starts with an abbreviation ("PUE").
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => {
            format!("{}{}", a.to_lowercase(), &name[a.len_utf8()..])
        }
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{svg_attr, svg_tags, svg_texts};
    use super::*;

    fn chart(metric_goal: &str, x_origin: Option<Date>) -> SolveChart {
        let goal = Goal::parse(metric_goal).unwrap();
        let ys = [0.05, 0.95, 0.7, 0.85, 0.78, 0.81];
        let xs = [0.8, 1.5, 1.15, 1.325, 1.2375, 1.28];
        SolveChart {
            scenario: "demo".into(),
            trials: 400,
            seed: 7,
            path: "supply.gb300.rate_scale".into(),
            x_origin,
            range: (0.8, 1.5),
            goal,
            steps: xs
                .iter()
                .zip(ys)
                .map(|(&x, y)| SolvePoint {
                    x,
                    y: Some(y),
                    interval: Some((y - 0.03, y + 0.02)),
                })
                .collect(),
            answer: Some(SolveAnswer {
                x: 1.28,
                text: "1.28".into(),
                interval: Some(((1.24, 1.33), "1.24 – 1.33".into())),
            }),
            answer_line: "Answer: 1.28".into(),
        }
    }

    fn svg(data: &SolveChart) -> String {
        String::from_utf8(render_solve(data, ChartFormat::Svg, (1200, 700)).unwrap()).unwrap()
    }

    const BLUE: &str = "#0072B2";
    const VERMILLION: &str = "#D55E00";

    /// The centre of every blue dot: the legend's first, then the plot's.
    fn dots(svg: &str) -> Vec<(f64, f64)> {
        svg_tags(svg, "circle")
            .into_iter()
            .filter(|t| svg_attr(t, "fill") == Some(BLUE))
            .map(|t| {
                let n = |a| svg_attr(t, a).unwrap().parse::<f64>().unwrap();
                (n("cx"), n("cy"))
            })
            .collect()
    }

    /// Vertical lines `(x, y top, y bottom)` of stroke `colour`.
    fn verticals(svg: &str, colour: &str) -> Vec<(f64, f64, f64)> {
        svg_tags(svg, "polyline")
            .into_iter()
            .filter(|t| svg_attr(t, "stroke") == Some(colour))
            .filter_map(|t| {
                let p: Vec<(f64, f64)> = svg_attr(t, "points")
                    .unwrap()
                    .split_whitespace()
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect();
                (p.len() == 2 && p[0].0 == p[1].0 && p[0].1 != p[1].1)
                    .then(|| (p[0].0, p[0].1.min(p[1].1), p[0].1.max(p[1].1)))
            })
            .collect()
    }

    #[test]
    fn every_step_is_a_dot_with_its_whisker_and_the_answer_line_sits_at_the_answer() {
        let data = chart("p_target>=0.8", None);
        let svg = svg(&data);
        // One dot per step plus the legend's.
        let dots = dots(&svg);
        assert_eq!(dots.len(), data.steps.len() + 1, "{dots:?}");
        let plot = &dots[1..];
        // The x scale from the two range ends (0.8 and 1.5), then every other dot on it.
        let px = |x: f64| plot[0].0 + (x - 0.8) / 0.7 * (plot[1].0 - plot[0].0);
        for (dot, step) in plot.iter().zip(&data.steps) {
            assert!((dot.0 - px(step.x)).abs() <= 2.0, "{dot:?} vs {step:?}");
        }
        // Higher P(target) is drawn higher.
        assert!(plot[1].1 < plot[3].1 && plot[3].1 < plot[0].1);
        // The answer: one full-height vermillion line at x = 1.28 within 2 px.
        let answer: Vec<_> = verticals(&svg, VERMILLION);
        assert_eq!(answer.len(), 1, "{answer:?}");
        assert!((answer[0].0 - px(1.28)).abs() <= 2.0, "{answer:?}");
        // Every step has a blue whisker through its dot.
        let whiskers = verticals(&svg, BLUE);
        assert_eq!(whiskers.len(), data.steps.len());
        for (w, dot) in whiskers.iter().zip(plot) {
            assert!((w.0 - dot.0).abs() <= 1.0 && w.1 < dot.1 && dot.1 < w.2);
        }
        // The interval: a vermillion rectangle from 1.24 to 1.33.
        let shade: Vec<_> = svg_tags(&svg, "rect")
            .into_iter()
            .filter(|t| svg_attr(t, "fill") == Some(VERMILLION))
            .filter(|t| svg_attr(t, "opacity") == Some("0.16"))
            .map(|t| {
                let n = |a| svg_attr(t, a).unwrap().parse::<f64>().unwrap();
                (n("x"), n("x") + n("width"))
            })
            .collect();
        // The legend's swatch, then the plot's.
        assert_eq!(shade.len(), 2, "{shade:?}");
        assert!((shade[1].0 - px(1.24)).abs() <= 2.0 && (shade[1].1 - px(1.33)).abs() <= 2.0);
        let texts: Vec<String> = svg_texts(&svg).into_iter().map(|t| t.text).collect();
        assert!(
            texts
                .iter()
                .any(|t| t == "Supply rate scale, stream gb300 (×)"),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t == "Goal (P(target by deadline) ≥ 80%)")
        );
    }

    #[test]
    fn the_goal_line_is_at_the_goal_and_date_axes_read_as_dates() {
        let mut data = chart(
            "full_capacity_p50<=2026-12-31",
            Date::constant(2026, 6, 1).into(),
        );
        data.path = "scenario.deadline".into();
        data.range = (0.0, 120.0);
        let goal = data.goal.value;
        for (i, s) in data.steps.iter_mut().enumerate() {
            s.x = (i * 20) as f64;
            s.y = Some(goal - 40.0 + (i * 15) as f64);
            s.interval = None;
        }
        data.steps[5].y = None;
        data.answer = Some(SolveAnswer {
            x: 60.0,
            text: "2026-07-31".into(),
            interval: None,
        });
        let svg = svg(&data);
        let texts: Vec<String> = svg_texts(&svg).into_iter().map(|t| t.text).collect();
        assert!(texts.iter().any(|t| t == "2026-06-01"), "{texts:?}");
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("2027-") || t.starts_with("2026-12"))
        );
        assert!(texts.iter().any(|t| t.starts_with("Dots on the top edge")));
        assert!(
            verticals(&svg, BLUE).is_empty(),
            "no whiskers without an interval"
        );
        // The goal's dashes lie between the dots of the steps just below and above it.
        let plot = dots(&svg)[1..].to_vec();
        let goal_y: Vec<f64> = svg_tags(&svg, "polyline")
            .into_iter()
            .filter(|t| svg_attr(t, "stroke") == Some("#000000"))
            .filter(|t| svg_attr(t, "stroke-width") == Some("2"))
            .filter_map(|t| {
                let p = svg_attr(t, "points").unwrap();
                let (_, y) = p.split_whitespace().next()?.split_once(',')?;
                y.parse().ok()
            })
            .collect();
        assert!(goal_y.len() > 2, "{goal_y:?}");
        // Steps 2 (goal - 10 days) and 3 (goal + 5 days) straddle the goal.
        assert!(goal_y.iter().all(|&y| plot[2].1 > y && y > plot[3].1));
        // The never-step sits on the top edge, above every other.
        assert!(plot[..5].iter().all(|d| d.1 > plot[5].1));
    }
}
