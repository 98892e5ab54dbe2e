//! Charts of a run, drawn with plotters from the saved results (`summary.json` + `daily.csv`),
//! never from the engine, so a results folder can be redrawn without re-simulating.
//!
//! ```no_run
//! use capsim::chart::{self, ChartData, ChartFormat, ChartKind};
//!
//! let data = ChartData::read_dir(std::path::Path::new("out/aws-openai-2026"))?;
//! let png = chart::render(ChartKind::Fan, &data, ChartFormat::Png, chart::DEFAULT_SIZE)?;
//! std::fs::write("fan.png", png)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every chart uses the Okabe–Ito colour-blind-safe palette and the DejaVu Sans font embedded in
//! the binary: text renders with no system fonts. Legends sit above the plot, never over data.

/// Draws `$draw` (an expression using the drawing area `$root`, returning `Result<(), ChartError>`)
/// on a `$size` canvas in `$format`, and returns the file's bytes. A macro because the drawing
/// functions are generic over the plotters backend, which a closure cannot be.
macro_rules! render_to {
    ($format:expr, $size:expr, |$root:ident| $draw:expr) => {{
        let size: (u32, u32) = $size;
        $crate::chart::style::init_fonts();
        match $format {
            $crate::chart::ChartFormat::Png => {
                let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
                {
                    let $root = ::plotters::prelude::IntoDrawingArea::into_drawing_area(
                        ::plotters::prelude::BitMapBackend::with_buffer(&mut rgb, size),
                    );
                    $draw?;
                    $root.present().map_err($crate::chart::style::draw_err)?;
                }
                $crate::chart::encode_png(&rgb, size)
            }
            $crate::chart::ChartFormat::Svg => {
                let mut svg = String::new();
                {
                    let $root = ::plotters::prelude::IntoDrawingArea::into_drawing_area(
                        ::plotters::prelude::SVGBackend::with_string(&mut svg, size),
                    );
                    $draw?;
                    $root.present().map_err($crate::chart::style::draw_err)?;
                }
                $crate::chart::style::embed_fonts(&svg).map(String::into_bytes)
            }
        }
    }};
}

mod backtest;
mod bottlenecks;
mod data;
mod differences;
mod fan;
mod full_capacity;
mod overlay;
mod pipeline;
mod power;
mod sites;
mod solve;
mod style;
mod sweep;
mod tornado;
mod trace;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_analyses;

use std::path::PathBuf;

use plotters::coord::Shift;
use plotters::prelude::*;

pub use backtest::{
    BacktestFan, CalibrationChart, FanPanel, ObservedPoint, backtest_fan_size, render_backtest_fan,
    render_calibration,
};
pub use data::{ChartData, Daily, PowerCap, RunFacts};
pub use differences::render_differences;
pub use overlay::render_overlay;
pub use solve::{SolveAnswer, SolveChart, SolvePoint, goal_label, metric_label, render_solve};
pub use sweep::{SweepChart, SweepPoint, render_sweep};
pub use tornado::{Tornado, TornadoBar, TornadoRow, TornadoScale, render_tornado};
pub use trace::{
    ExampleLine, TraceChart, TraceSite, render_examples, render_trace, render_trace_on_scale,
    shared_site_scale,
};

/// Default image size in pixels (width, height): legible on a slide, and still legible when
/// scaled to a paper column.
pub const DEFAULT_SIZE: (u32, u32) = (1200, 700);

/// Smallest width or height the commands draw at, in pixels: below it titles and legends no
/// longer fit.
pub const MIN_SIDE: u32 = 200;

/// Largest width or height the commands draw at, in pixels: an 8000 × 8000 PNG already holds
/// 192 MB of pixels while it is drawn.
pub const MAX_SIDE: u32 = 8000;

/// Which chart to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartKind {
    /// Available GPUs over time: median, P25–P75 and P10–P90 bands, target and deadline.
    Fan,
    /// Delivered, installed and online GPUs (medians): the gaps are staging and burn-in.
    Pipeline,
    /// Histogram and CDF of the full-capacity date, with P10/P50/P90 and the never-share.
    FullCapacity,
    /// Facility MW energized and not drawn, with the power caps (top), and IT MW drawn (bottom);
    /// medians with P10–P90 bands.
    Power,
    /// Share of trials held back by each constraint, and already at target, per day (stacked).
    Bottlenecks,
    /// Mean online GPUs per site, stacked (needs per-site columns in `daily.csv`).
    Sites,
}

impl ChartKind {
    /// Every chart, in the order a report would show them.
    pub const ALL: [ChartKind; 6] = [
        ChartKind::Fan,
        ChartKind::Pipeline,
        ChartKind::FullCapacity,
        ChartKind::Power,
        ChartKind::Bottlenecks,
        ChartKind::Sites,
    ];

    /// File name without extension, e.g. `fan` → `charts/fan.png`.
    pub fn file_stem(self) -> &'static str {
        match self {
            ChartKind::Fan => "fan",
            ChartKind::Pipeline => "pipeline",
            ChartKind::FullCapacity => "full-capacity",
            ChartKind::Power => "power",
            ChartKind::Bottlenecks => "bottlenecks",
            ChartKind::Sites => "sites",
        }
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartFormat {
    /// PNG, 8-bit RGB.
    Png,
    /// SVG with text kept as text, in the subset of DejaVu Sans it uses (embedded as a
    /// base64 `@font-face`; `sans-serif` is the fallback).
    Svg,
}

impl ChartFormat {
    /// File extension without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ChartFormat::Png => "png",
            ChartFormat::Svg => "svg",
        }
    }
}

/// What can go wrong while reading results or drawing a chart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChartError {
    /// A results file is missing or not what capsim writes.
    #[error("{}: {problem}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The data hold nothing this chart can show (e.g. no per-site columns); not a failure.
    #[error("{chart} chart skipped: {reason}")]
    NoData {
        /// The chart's file stem.
        chart: &'static str,
        /// Why.
        reason: String,
    },
    /// The image size is unusable.
    #[error("image size {0}×{1} is too small (at least 200×150)")]
    Size(u32, u32),
    /// Drawing or encoding failed.
    #[error("drawing failed: {0}")]
    Draw(String),
}

/// Every renderer's size check: at least 200 × 150 pixels (room for a header and a plot) and
/// at most 20,000 on a side (a tall backtest fan chart; callers' own limits, [`MIN_SIDE`] and
/// [`MAX_SIDE`], are tighter).
fn check_drawable(size: (u32, u32)) -> Result<(), ChartError> {
    if size.0 < 200 || size.1 < 150 || size.0 > 20_000 || size.1 > 20_000 {
        return Err(ChartError::Size(size.0, size.1));
    }
    Ok(())
}

/// Draws `kind` from `data` as `format` at `size` (width, height in pixels) and returns the
/// file's bytes.
pub fn render(
    kind: ChartKind,
    data: &ChartData,
    format: ChartFormat,
    size: (u32, u32),
) -> Result<Vec<u8>, ChartError> {
    check_drawable(size)?;
    if kind == ChartKind::Sites && data.daily.site_online_means().is_empty() {
        return Err(ChartError::NoData {
            chart: kind.file_stem(),
            reason: format!(
                "{} has no per-site columns ({})",
                data.daily.path.display(),
                crate::stats::site_online_column("<id>")
            ),
        });
    }
    render_to!(format, size, |root| draw(kind, &root, data, size))
}

fn draw<DB: DrawingBackend>(
    kind: ChartKind,
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    size: (u32, u32),
) -> Result<(), ChartError> {
    let sz = style::Sizes::new(size);
    match kind {
        ChartKind::Fan => fan::draw(root, data, &sz),
        ChartKind::Pipeline => pipeline::draw(root, data, &sz),
        ChartKind::FullCapacity => full_capacity::draw(root, data, &sz),
        ChartKind::Power => power::draw(root, data, &sz),
        ChartKind::Bottlenecks => bottlenecks::draw(root, data, &sz),
        ChartKind::Sites => sites::draw(root, data, &sz),
    }
}

fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::High);
        let mut writer = enc.write_header().map_err(style::draw_err)?;
        writer.write_image_data(rgb).map_err(style::draw_err)?;
        writer.finish().map_err(style::draw_err)?;
    }
    Ok(out)
}

/// The subtitle line every chart starts with: scenario, trials, target, deadline.
fn run_line(data: &ChartData) -> String {
    let f = &data.facts;
    format!(
        "{} · {} trials · target {} online GPUs by {}",
        f.scenario,
        style::fmt_thousands(f.trials),
        style::fmt_plain(f.target_gpus),
        f.deadline
    )
}
