//! A sweep's results folder: `sweep.csv`, `sweep.json` and the chart (`charts/sweep.*` for one
//! parameter, `charts/heatmap.*` for two).

use std::path::{Path, PathBuf};

use super::{ChartOptions, ResultsError, report, write_atomic, write_chart_formats};
use crate::analysis::sweep::{ParamValue, SweepResult};
use crate::chart::{self, SweepChart, SweepPoint};
use crate::output;

/// The files [`write_sweep`] wrote, for the user's "Wrote ..." line.
#[derive(Debug, Default)]
pub struct SweepFiles {
    /// The data files, by name, in the order written.
    pub files: Vec<&'static str>,
    /// The chart files.
    pub charts: Vec<PathBuf>,
    /// `report.html`, written with the chart.
    pub report: Option<PathBuf>,
}

/// Writes `sweep.csv` and `sweep.json` of `result` into `dir`, then, when `charts` is given,
/// its chart in each of the options' formats and `report.html`.
pub fn write_sweep(
    dir: &Path,
    result: &SweepResult,
    charts: Option<&ChartOptions>,
) -> Result<SweepFiles, ResultsError> {
    write_atomic(&dir.join("sweep.csv"), |w| {
        output::write_sweep_csv(result, w)
    })?;
    write_atomic(&dir.join("sweep.json"), |w| {
        output::write_sweep_json(result, w)
    })?;
    let mut written = SweepFiles {
        files: vec!["sweep.csv", "sweep.json"],
        charts: Vec::new(),
        report: None,
    };
    if let Some(options) = charts {
        let (charts, report) = write_sweep_charts(dir, result, options)?;
        written.charts = charts;
        written.report = Some(report);
    }
    Ok(written)
}

/// Draws the chart of `result` into `dir/charts/` (`sweep.*` for one parameter, `heatmap.*`
/// for two), once per format, then `report.html`: what [`write_sweep`] draws and
/// [`redraw`](super::redraw()) redraws. Returns the charts and the report.
pub(super) fn write_sweep_charts(
    dir: &Path,
    result: &SweepResult,
    options: &ChartOptions,
) -> Result<(Vec<PathBuf>, PathBuf), ResultsError> {
    let data = chart_data(result);
    let name = if result.parameters.len() == 1 {
        "sweep"
    } else {
        "heatmap"
    };
    let charts = write_chart_formats(dir, name, &options.formats, |format| {
        chart::render_sweep(&data, format, options.size)
    })?;
    let page = report::write_sweep_report(dir, &data, options)?;
    Ok((charts, page))
}

/// What the sweep chart of `r` shows: a parameter whose values are not all numbers (dates,
/// policies, distributions) is drawn as categories in sweep order.
fn chart_data(r: &SweepResult) -> SweepChart {
    let text = |v: &ParamValue| match v {
        ParamValue::Number(n) => n.to_string(),
        ParamValue::Text(t) => t.clone(),
    };
    let (values, categories) = r
        .parameters
        .iter()
        .map(
            |p| match p.values.iter().map(ParamValue::as_number).collect() {
                Some(values) => (values, None),
                None => (
                    (0..p.values.len()).map(|k| k as f64).collect(),
                    Some(p.values.iter().map(text).collect()),
                ),
            },
        )
        .unzip();
    SweepChart {
        scenario: r.scenario.clone(),
        trials: r.trials,
        target_gpus: r.target_gpus as f64,
        deadline: r.deadline.clone(),
        params: r.parameters.iter().map(|p| p.path.clone()).collect(),
        values,
        categories,
        points: r
            .points
            .iter()
            .map(|p| SweepPoint {
                p_target: p.headline.p_target_by_deadline.estimate,
                p_low: p.headline.p_target_by_deadline.ci95_low,
                p_high: p.headline.p_target_by_deadline.ci95_high,
                gpus_p10: p.headline.available_gpus_at_deadline.p10,
                gpus_p50: p.headline.available_gpus_at_deadline.p50,
                gpus_p90: p.headline.available_gpus_at_deadline.p90,
            })
            .collect(),
        threshold: r.threshold,
    }
}
