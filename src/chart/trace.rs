//! One traced trial (`trace-<TRIAL>.csv`), site by site: racks staged, awaiting power, in
//! bring-up and online, stacked, over time, with the deadline, and under each site a strip
//! coloured by the constraint that held it each day, in the bottlenecks chart's colours. Drawn
//! from the CSV alone, as every chart is drawn from files. Two traces drawn on one scale per
//! site ([`shared_site_scale`]) compare side by side; [`render_examples`] draws their fleet's
//! online GPUs on one axis, against the target.

use std::path::Path;

use jiff::civil::Date;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, Mark, Sizes, draw_err, okabe_ito as oi};
use super::{ChartData, ChartError, ChartFormat};
use crate::output::TRACE_COLUMNS;
use crate::stats::Bottleneck;

/// The stacked layers, bottom to top: (label, `trace-<TRIAL>.csv` column, colour, opacity).
/// Bring-up and awaiting power take their cause's colour, lighter than its strip.
const LAYERS: [(&str, &str, RGBColor, f64); 4] = [
    ("Online", "racks_online", oi::BLUE, 0.9),
    ("In bring-up", "racks_in_bring_up", oi::GREEN, 0.45),
    (
        "Installed, awaiting power",
        "racks_awaiting_power",
        oi::VERMILLION,
        0.4,
    ),
    (
        "Staged (delivered, waiting)",
        "racks_staged",
        oi::YELLOW,
        0.9,
    ),
];

/// A traced trial read back from its `trace-<TRIAL>.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceChart {
    /// The trial traced (from the file name, `trace-<TRIAL>.csv`).
    pub trial: u64,
    /// First date of the file.
    pub start: Date,
    /// The scenario's deadline.
    pub deadline: Date,
    /// Per site, in file order: its id, its racks by stage and what held it, by day.
    pub sites: Vec<TraceSite>,
}

/// One site of a [`TraceChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct TraceSite {
    /// Site id.
    pub id: String,
    /// Racks online, in bring-up, awaiting power and staged, by day.
    pub layers: [Vec<f64>; 4],
    /// The constraint that held the site each day.
    pub held_by: Vec<Option<Bottleneck>>,
}

impl TraceChart {
    /// Reads `path` (a `trace-<TRIAL>.csv` as capsim writes it); `deadline` is the scenario's.
    pub fn read(path: &Path, deadline: Date) -> Result<TraceChart, ChartError> {
        let bad = |problem: String| ChartError::Input {
            path: path.to_path_buf(),
            problem,
        };
        let trial = path
            .file_stem()
            .and_then(|s| s.to_str()?.strip_prefix("trace-")?.parse().ok())
            .ok_or_else(|| bad("the file name is not trace-<TRIAL>.csv".into()))?;
        let mut reader = ::csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
        let header = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
        if header.iter().ne(TRACE_COLUMNS) {
            return Err(bad(format!(
                "expected the columns {}",
                TRACE_COLUMNS.join(",")
            )));
        }
        let column = |name: &str| TRACE_COLUMNS.iter().position(|c| *c == name).unwrap_or(0);
        let layer_columns = LAYERS.map(|(_, name, _, _)| column(name));
        let mut sites: Vec<TraceSite> = Vec::new();
        let mut start = None;
        for (line, record) in reader.records().enumerate() {
            let record = record.map_err(|e| bad(e.to_string()))?;
            let at = |problem: &str| bad(format!("row {}: {problem}", line + 2));
            let date: Date = record[0].parse().map_err(|_| at("bad date"))?;
            let start = *start.get_or_insert(date);
            let id = &record[1];
            let site = match sites.iter().position(|s| s.id == id) {
                Some(i) => &mut sites[i],
                None if date == start => {
                    sites.push(TraceSite {
                        id: id.to_string(),
                        layers: Default::default(),
                        held_by: Vec::new(),
                    });
                    sites.last_mut().expect("just pushed")
                }
                None => return Err(at("a site that was not there on the first day")),
            };
            for (values, &c) in site.layers.iter_mut().zip(&layer_columns) {
                values.push(record[c].parse().map_err(|_| at("bad rack count"))?);
            }
            let held = &record[TRACE_COLUMNS.len() - 1];
            site.held_by.push(if held == "none" {
                None
            } else {
                Some(
                    Bottleneck::ALL
                        .into_iter()
                        .find(|b| b.name() == held)
                        .ok_or_else(|| at("held_by is not a cause or `none`"))?,
                )
            });
        }
        let start = start.ok_or_else(|| bad("no rows".into()))?;
        Ok(TraceChart {
            trial,
            start,
            deadline,
            sites,
        })
    }
}

impl TraceChart {
    /// Each site's largest stack (racks staged, awaiting power, in bring-up and online) over
    /// the days, in file order.
    pub fn site_peaks(&self) -> Vec<f64> {
        self.sites
            .iter()
            .map(|site| {
                (0..site.held_by.len())
                    .map(|d| site.layers.iter().map(|l| l[d]).sum::<f64>())
                    .fold(0.0, f64::max)
            })
            .collect()
    }

    /// The fleet's racks online each day: the sites' `racks_online` added up.
    pub fn fleet_racks_online(&self) -> Vec<f64> {
        let days = self.sites.first().map_or(0, |s| s.held_by.len());
        (0..days)
            .map(|d| self.sites.iter().map(|s| s.layers[0][d]).sum())
            .collect()
    }
}

/// One y scale per site for `charts` drawn side by side: each site's largest stack over all of
/// them (sites matched by position; the charts of one run have the same sites).
pub fn shared_site_scale(charts: &[&TraceChart]) -> Vec<f64> {
    let mut tops: Vec<f64> = Vec::new();
    for chart in charts {
        for (i, peak) in chart.site_peaks().into_iter().enumerate() {
            match tops.get_mut(i) {
                Some(top) => *top = top.max(peak),
                None => tops.push(peak),
            }
        }
    }
    tops
}

/// Draws `chart` as `format` at `size` (width, height in pixels) and returns the file's bytes.
pub fn render_trace(
    chart: &TraceChart,
    format: ChartFormat,
    size: (u32, u32),
) -> Result<Vec<u8>, ChartError> {
    render_trace_on_scale(chart, None, format, size)
}

/// [`render_trace`] with each site's y axis reaching at least `site_tops[site]` racks (from
/// [`shared_site_scale`]), so that traces drawn with the same tops compare panel by panel.
pub fn render_trace_on_scale(
    chart: &TraceChart,
    site_tops: Option<&[f64]>,
    format: ChartFormat,
    size: (u32, u32),
) -> Result<Vec<u8>, ChartError> {
    check_size(size)?;
    render_to!(format, size, |root| draw(
        &root,
        chart,
        site_tops,
        &Sizes::new(size)
    ))
}

fn check_size(size: (u32, u32)) -> Result<(), ChartError> {
    super::check_drawable(size)?;
    Ok(())
}

/// One trial's line in [`render_examples`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleLine {
    /// Legend label, e.g. `Trial 12 (missed)`.
    pub label: String,
    /// Whether the trial met the target (drawn blue) or missed it (reddish purple).
    pub met: bool,
    /// The fleet's online GPUs each day from the run's start.
    pub online_gpus: Vec<f64>,
}

/// Draws the fleet's online GPUs of each of `lines` over time on one axis, with `data`'s target
/// and deadline, as `format` at `size`; returns the file's bytes.
pub fn render_examples(
    data: &ChartData,
    lines: &[ExampleLine],
    format: ChartFormat,
    size: (u32, u32),
) -> Result<Vec<u8>, ChartError> {
    check_size(size)?;
    render_to!(format, size, |root| draw_examples(
        &root,
        data,
        lines,
        &Sizes::new(size)
    ))
}

fn draw_examples<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    lines: &[ExampleLine],
    sz: &Sizes,
) -> Result<(), ChartError> {
    let f = &data.facts;
    let colour = |met: bool| if met { oi::BLUE } else { oi::PURPLE };
    let mut legend: Vec<(String, Mark)> = lines
        .iter()
        .map(|l| (l.label.clone(), Mark::Line(colour(l.met))))
        .collect();
    legend.extend(style::reference_legend(f));
    let subtitle = vec![format!(
        "Fleet online GPUs day by day of one trial that missed the target and one that met it,          each the median of its kind among the first trials of the run; {}.",
        super::run_line(data)
    )];
    let area = style::header(
        root,
        sz,
        "A run that missed and a run that met the target",
        &subtitle,
        &legend,
    )?;
    let days = lines
        .iter()
        .map(|l| l.online_gpus.len())
        .max()
        .unwrap_or(0)
        .max(data.daily.len());
    let axis = style::DayAxis::new(data.daily.dates[0], days);
    let peak = lines
        .iter()
        .flat_map(|l| l.online_gpus.iter().copied())
        .fold(f.target_gpus, f64::max);
    let ymax = style::y_top(peak);
    let mut chart = style::builder(&area, sz, false)
        .build_cartesian_2d(axis.clone(), 0.0..ymax)
        .map_err(draw_err)?;
    style::style_mesh(&mut chart, sz, &axis, "GPUs online (count)", &|v| {
        style::fmt_count(*v)
    })?;
    style::label_start(root, &chart, sz, &axis)?;
    for line in lines {
        chart
            .draw_series(LineSeries::new(
                style::series(&line.online_gpus),
                colour(line.met).stroke_width(sz.line()),
            ))
            .map_err(draw_err)?;
    }
    let x_end = super::fan::axis_end(days);
    super::fan::reference_lines(root, &mut chart, sz, data, f.target_gpus, ymax, x_end)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &TraceChart,
    site_tops: Option<&[f64]>,
    sz: &Sizes,
) -> Result<(), ChartError> {
    let mut legend: Vec<(String, Mark)> = LAYERS
        .iter()
        .map(|&(label, _, c, a)| (label.to_owned(), Mark::Fill(c, a)))
        .collect();
    legend.extend(Bottleneck::NEAREST_TO_ONLINE_FIRST.map(|b| {
        let (_, c) = super::bottlenecks::layer_style(b);
        (
            format!("held by {}", b.name().replace('_', "-")),
            Mark::Fill(c, 1.0),
        )
    }));
    let subtitle = vec![format!(
        "Racks per site by stage, stacked; the strip under each site is the constraint that \
         held it that day (blank: nothing, e.g. once the target is met). Dashed: the deadline, \
         {}.",
        chart.deadline
    )];
    let title = format!(
        "Trial {} day by day: racks per site, and what held each site",
        chart.trial
    );
    let area = style::header(root, sz, &title, &subtitle, &legend)?;
    let days = chart.sites.first().map_or(0, |s| s.held_by.len());
    let axis = style::DayAxis::new(chart.start, days);
    let deadline_day = (chart.deadline - chart.start).get_days() as f64;
    let n = chart.sites.len().max(1);
    let (w, h) = area.dim_in_pixel();
    let label_rows = sz.px(40.0);
    let panel_h = ((h as i32 - label_rows) / n as i32).max(1);
    let mut rest = area;
    for (i, site) in chart.sites.iter().enumerate() {
        let last = i + 1 == chart.sites.len();
        let (panel, below) = if last {
            (rest.clone(), rest.clone())
        } else {
            rest.split_vertically(panel_h)
        };
        let shared = site_tops.and_then(|t| t.get(i)).copied().unwrap_or(0.0);
        let top = (0..days)
            .map(|d| site.layers.iter().map(|l| l[d]).sum::<f64>())
            .fold(shared.max(1.0), f64::max)
            * 1.08;
        // The strip sits below zero, inside the plot: a sixth of the panel's height.
        let strip = top / 5.0;
        let mut c = ChartBuilder::on(&panel)
            .margin_left(sz.px(12.0))
            .margin_right(sz.px(36.0))
            .margin_top(sz.px(4.0))
            .margin_bottom(sz.px(4.0))
            .x_label_area_size(if last { label_rows } else { 0 })
            .y_label_area_size(sz.px(96.0))
            .caption(&site.id, sz.legend())
            .build_cartesian_2d(axis.clone(), -strip..top)
            .map_err(draw_err)?;
        let x_fmt = |d: &f64| axis.label(d);
        c.configure_mesh()
            .x_labels(if last {
                ((f64::from(w) / f64::from(sz.px(110.0).max(1))) as usize).max(2)
            } else {
                0
            })
            .y_labels(3)
            .max_light_lines(0)
            .bold_line_style(RGBColor(0xE3, 0xE3, 0xE3).stroke_width(1))
            .axis_style(style::MUTED.stroke_width(1))
            .label_style(sz.tick())
            .axis_desc_style(sz.axis_title())
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&|v| {
                if *v < 0.0 {
                    String::new()
                } else {
                    style::fmt_count(*v)
                }
            })
            .y_desc("Racks")
            .draw()
            .map_err(draw_err)?;
        let mut lower = vec![0.0; days];
        for (values, &(_, _, colour, alpha)) in site.layers.iter().zip(&LAYERS) {
            let upper: Vec<f64> = lower.iter().zip(values).map(|(l, v)| l + v).collect();
            c.draw_series(std::iter::once(Polygon::new(
                style::band(&upper, &lower),
                colour.mix(alpha).filled(),
            )))
            .map_err(draw_err)?;
            lower = upper;
        }
        // Runs of equal days as one rectangle each.
        let mut from = 0;
        while from < days {
            let held = site.held_by[from];
            let mut to = from + 1;
            while to < days && site.held_by[to] == held {
                to += 1;
            }
            if let Some(b) = held {
                let (_, colour) = super::bottlenecks::layer_style(b);
                c.draw_series(std::iter::once(Rectangle::new(
                    [
                        (from as f64 - 0.5, -strip * 0.85),
                        (to as f64 - 0.5, -strip * 0.15),
                    ],
                    colour.filled(),
                )))
                .map_err(draw_err)?;
            }
            from = to;
        }
        if (0.0..days as f64).contains(&deadline_day) {
            c.draw_series(DashedLineSeries::new(
                vec![(deadline_day, -strip), (deadline_day, top)],
                sz.px(8.0),
                sz.px(5.0),
                oi::BLACK.stroke_width(sz.pxu(2.0)),
            ))
            .map_err(draw_err)?;
        }
        rest = below;
    }
    Ok(())
}
