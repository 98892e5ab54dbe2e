//! A comparison's results folder: each scenario's own results in a folder named by its label,
//! `compare.json`, `compare.csv` and the overlay chart.

use std::fs;
use std::path::{Path, PathBuf};

use super::{ChartOptions, IoContext, ResultsError, write_atomic, write_run};
use crate::analysis::CompareResult;
use crate::chart::{self, ChartData};
use crate::output;

/// The files [`write_compare`] wrote, for the user's "Wrote ..." line.
#[derive(Debug, Default)]
pub struct CompareFiles {
    /// The comparison's own data files, by name, in the order written.
    pub files: Vec<&'static str>,
    /// The files of each scenario's folder, by name.
    pub scenario_files: Vec<&'static str>,
    /// The overlay charts.
    pub charts: Vec<PathBuf>,
}

/// Writes the results of `result` (unsharded) into `dir`: each scenario's `summary.json`,
/// `daily.csv` and `scenario.resolved.toml` in `dir/<label>/`, then `compare.json` and
/// `compare.csv`, then, when `charts` is given, the overlay of every scenario's available GPUs
/// (drawn from the files just written) as `charts/overlay.<format>`.
pub fn write_compare(
    dir: &Path,
    result: &CompareResult,
    charts: Option<&ChartOptions>,
) -> Result<CompareFiles, ResultsError> {
    let mut files = CompareFiles::default();
    for compared in &result.runs {
        let run_dir = dir.join(&compared.label);
        fs::create_dir_all(&run_dir).context(|| format!("creating {}", run_dir.display()))?;
        files.scenario_files = write_run(&run_dir, &compared.run, None)?.files;
    }
    let report = result.report();
    write_atomic(&dir.join("compare.json"), |w| {
        output::write_compare_json(&report, w)
    })?;
    write_atomic(&dir.join("compare.csv"), |w| {
        output::write_compare_csv(&report, w)
    })?;
    files.files = vec!["compare.json", "compare.csv"];
    if let Some(options) = charts {
        files.charts = write_overlay(dir, result, options)?;
    }
    Ok(files)
}

/// Draws the overlay chart of the scenario folders in `dir` into `dir/charts/`, once per format.
fn write_overlay(
    dir: &Path,
    result: &CompareResult,
    options: &ChartOptions,
) -> Result<Vec<PathBuf>, ResultsError> {
    let mut runs = Vec::with_capacity(result.runs.len());
    for label in result.labels() {
        let data = ChartData::read_dir(&dir.join(label)).map_err(|source| ResultsError::Chart {
            context: "reading the results back for the overlay chart".into(),
            source,
        })?;
        runs.push((label.to_owned(), data));
    }
    let charts = dir.join("charts");
    fs::create_dir_all(&charts).context(|| format!("creating {}", charts.display()))?;
    let mut written = Vec::new();
    for &format in &options.formats {
        let bytes = chart::render_overlay(&runs, format, options.size).map_err(|source| {
            ResultsError::Chart {
                context: "drawing the overlay chart".into(),
                source,
            }
        })?;
        let path = charts.join(format!("overlay.{}", format.extension()));
        write_atomic(&path, |w| Ok(w.write_all(&bytes)?))?;
        written.push(path);
    }
    Ok(written)
}
