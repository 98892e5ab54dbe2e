//! A run's results folder: `summary.json`, `daily.csv`, `scenario.resolved.toml` and the charts.

use std::path::Path;

use super::{ChartOptions, ResultsError, WrittenCharts, write_atomic, write_charts};
use crate::analysis::RunResult;
use crate::chart::ChartData;
use crate::output;

/// The files [`write_run`] wrote, for the user's "Wrote ..." line.
#[derive(Debug, Default)]
pub struct RunFiles {
    /// The data files, by name, in the order written.
    pub files: Vec<&'static str>,
    /// The charts.
    pub charts: WrittenCharts,
}

/// Writes `summary.json`, `daily.csv` and `scenario.resolved.toml` of `result` into `dir`, then
/// its charts when `charts` is given (drawn from the files just written, as `capsim plot`
/// would redraw them).
pub fn write_run(
    dir: &Path,
    result: &RunResult,
    charts: Option<&ChartOptions>,
) -> Result<RunFiles, ResultsError> {
    let summary = result.summary();
    write_atomic(&dir.join("summary.json"), |w| {
        output::write_summary_json(&summary, w)
    })?;
    let rows = result.daily_rows();
    write_atomic(&dir.join("daily.csv"), |w| {
        output::write_daily_csv(&rows, &result.site_ids(), w)
    })?;
    write_atomic(&dir.join("scenario.resolved.toml"), |w| {
        Ok(w.write_all(result.resolved_toml.as_bytes())?)
    })?;
    let mut files = RunFiles {
        files: vec!["summary.json", "daily.csv", "scenario.resolved.toml"],
        charts: WrittenCharts::default(),
    };
    if let Some(options) = charts {
        let data = ChartData::read_dir(dir).map_err(|source| ResultsError::Chart {
            context: "reading the results back for the charts".into(),
            source,
        })?;
        files.charts = write_charts(dir, &data, options)?;
    }
    Ok(files)
}
