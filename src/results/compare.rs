//! A comparison's results folder: each scenario's own results in a folder named by its label,
//! `compare.json`, `compare.csv`, the overlay chart and the paired-differences chart.

use std::fs;
use std::path::{Path, PathBuf};

use super::{
    ChartOptions, IoContext, ResultsError, report, write_atomic, write_chart_formats, write_run,
};
use crate::analysis::CompareResult;
use crate::analysis::compare::CompareReport;
use crate::chart::{self, ChartData};
use crate::output;

/// The files [`write_compare`] wrote, for the user's "Wrote ..." line.
#[derive(Debug, Default)]
pub struct CompareFiles {
    /// The comparison's own data files, by name, in the order written.
    pub files: Vec<&'static str>,
    /// The files of each scenario's folder, by name.
    pub scenario_files: Vec<&'static str>,
    /// The overlay and paired-differences charts.
    pub charts: Vec<PathBuf>,
    /// `report.html`, written with the charts.
    pub report: Option<PathBuf>,
}

/// Writes the results of `result` (unsharded) into `dir`: each scenario's `summary.json`,
/// `daily.csv` and `scenario.resolved.toml` in `dir/<label>/`, then `compare.json` and
/// `compare.csv`, then, when `charts` is given, the overlay of every scenario's available GPUs
/// (drawn from the files just written) as `charts/overlay.<format>`, the paired differences
/// of `compare.json` as `charts/differences.<format>`, and `report.html`.
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
        let (charts, report) = write_compare_charts(dir, &report, options)?;
        files.charts = charts;
        files.report = Some(report);
    }
    Ok(files)
}

/// Draws the overlay of the scenario folders in `dir` (read back from their files) and the
/// paired differences of `report` into `dir/charts/`, once per format, then `report.html`:
/// what [`write_compare`] draws and [`redraw`](super::redraw()) redraws. Returns the charts
/// and the report.
pub(super) fn write_compare_charts(
    dir: &Path,
    report: &CompareReport,
    options: &ChartOptions,
) -> Result<(Vec<PathBuf>, PathBuf), ResultsError> {
    let mut runs = Vec::with_capacity(report.scenarios.len());
    for scenario in &report.scenarios {
        let data = ChartData::read_dir(&dir.join(&scenario.label)).map_err(|source| {
            ResultsError::Chart {
                context: "reading the results back for the overlay chart".into(),
                source,
            }
        })?;
        runs.push((scenario.label.clone(), data));
    }
    let mut written = write_chart_formats(dir, "overlay", &options.formats, |format| {
        chart::render_overlay(&runs, format, options.size)
    })?;
    written.extend(write_chart_formats(
        dir,
        "differences",
        &options.formats,
        |format| chart::render_differences(report, format, options.size),
    )?);
    let page = report::write_compare_report(dir, report, options)?;
    Ok((written, page))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::analysis::compare::{CompareRequest, CompareScenario, compare};
    use crate::chart::ChartFormat;

    #[test]
    fn a_comparison_folder_holds_each_scenario_the_report_and_the_charts_asked_for() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/tiny.toml");
        let scenario = crate::scenario::load(&path, &[]).unwrap();
        let request = CompareRequest {
            scenarios: ["base", "again"]
                .map(|label| CompareScenario {
                    label: label.into(),
                    file: "tiny.toml".into(),
                    scenario: scenario.clone(),
                })
                .into(),
            trials: 40,
            shard: None,
            seed: 3,
            threads: 1,
        };
        let result = compare(&request, None, &|_| {}).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let options = ChartOptions {
            formats: vec![ChartFormat::Svg],
            size: (600, 400),
            command: None,
        };
        let written = write_compare(dir.path(), &result, Some(&options)).unwrap();
        assert_eq!(written.files, ["compare.json", "compare.csv"]);
        assert_eq!(
            written.charts,
            [
                dir.path().join("charts/overlay.svg"),
                dir.path().join("charts/differences.svg")
            ]
        );
        assert!(!dir.path().join("charts/overlay.png").exists());
        for label in ["base", "again"] {
            for file in &written.scenario_files {
                assert!(
                    dir.path().join(label).join(file).is_file(),
                    "{label}/{file}"
                );
            }
        }
        let json = fs::read_to_string(dir.path().join("compare.json")).unwrap();
        let report: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(report["trials"], 40);
        assert_eq!(report["comparisons"][0]["scenario"], "again");
        assert_eq!(
            report["comparisons"][0]["p_target_by_deadline"]["estimate"],
            0.0
        );
        let csv = fs::read_to_string(dir.path().join("compare.csv")).unwrap();
        let rows: Vec<&str> = csv.lines().map(|l| &l[..l.find(',').unwrap()]).collect();
        assert_eq!(rows, ["label", "base", "again"]);
        let summary = fs::read_to_string(dir.path().join("again/summary.json")).unwrap();
        assert!(summary.contains("\"trials\": 40"), "{summary}");
    }
}
