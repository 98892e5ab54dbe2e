//! A backtest's results folder: `backtest.json`, `backtest.csv`, the charts (one fan chart per
//! backtest, `<name>-fan`, and the `calibration` chart over all of them) and `report.html`.

use std::path::{Path, PathBuf};

use super::{ChartOptions, ResultsError, write_atomic, write_chart_formats};
use crate::analysis::backtest::{BacktestEntry, BacktestReport, Position, RankedObservation};
use crate::chart::{self, BacktestFan, CalibrationChart, FanPanel, ObservedPoint};
use crate::numeric::thousands;
use crate::output::{observed_metric_label, observed_site_label, write_backtest_csv};
use crate::scenario::ObservedMetric;

/// The files [`write_backtest`] wrote.
#[derive(Debug, Default)]
pub struct BacktestFiles {
    /// The data files, by name, in the order written.
    pub files: Vec<&'static str>,
    /// The charts.
    pub charts: Vec<PathBuf>,
    /// `report.html`, written with the charts.
    pub report: Option<PathBuf>,
}

/// Writes `backtest.json` and `backtest.csv` of `report` into `dir`, then, when `charts` is
/// given, its charts: each backtest's fan chart (as wide as `charts.size`, its height scaled
/// from it) and the calibration chart (at `charts.size`), and `report.html`.
pub fn write_backtest(
    dir: &Path,
    report: &BacktestReport,
    charts: Option<&ChartOptions>,
) -> Result<BacktestFiles, ResultsError> {
    write_atomic(&dir.join("backtest.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, report)?;
        Ok(w.write_all(b"\n")?)
    })?;
    write_atomic(&dir.join("backtest.csv"), |w| write_backtest_csv(report, w))?;
    let mut written = BacktestFiles {
        files: vec!["backtest.json", "backtest.csv"],
        charts: Vec::new(),
        report: None,
    };
    if let Some(options) = charts {
        let (charts, page) = write_backtest_charts(dir, report, options)?;
        written.charts = charts;
        written.report = Some(page);
    }
    Ok(written)
}

/// Draws each backtest's fan chart (sized by [`fan_size`]) and the calibration chart (at
/// `options.size`) of `report` into `dir/charts/`, once per format, then `report.html`: what
/// [`write_backtest`] draws and [`redraw`](super::redraw()) redraws. Returns the charts and the
/// report written.
pub(super) fn write_backtest_charts(
    dir: &Path,
    report: &BacktestReport,
    options: &ChartOptions,
) -> Result<(Vec<PathBuf>, PathBuf), ResultsError> {
    let mut written = Vec::new();
    for e in &report.backtests {
        let fan = fan_chart(e);
        let size = fan_size(fan.panels.len(), options.size);
        written.extend(write_chart_formats(
            dir,
            &format!("{}-fan", e.name),
            &options.formats,
            |format| chart::render_backtest_fan(&fan, format, size),
        )?);
    }
    let calibration = calibration_chart(report);
    written.extend(write_chart_formats(
        dir,
        "calibration",
        &options.formats,
        |format| chart::render_calibration(&calibration, format, options.size),
    )?);
    let fans: Vec<BacktestFan> = report.backtests.iter().map(fan_chart).collect();
    let page = super::report::write_backtest_report(dir, &fans, &calibration, options)?;
    Ok((written, page))
}

/// Tallest fan chart drawn, in pixels: the chart renderer's own limit.
const FAN_MAX_HEIGHT: u32 = 20_000;

/// The size of a fan chart of `panels` panels when the charts are asked for at `size`: the
/// asked width, and [`chart::backtest_fan_size`]'s height (220 pixels of header and 300 per
/// panel, at least the default height) scaled by the asked height over the default height, at
/// most [`FAN_MAX_HEIGHT`]. At the default size it is `backtest_fan_size`'s.
fn fan_size(panels: usize, (width, height): (u32, u32)) -> (u32, u32) {
    let (_, natural) = chart::backtest_fan_size(panels);
    let scaled = u64::from(natural) * u64::from(height) / u64::from(chart::DEFAULT_SIZE.1);
    (width, scaled.min(u64::from(FAN_MAX_HEIGHT)) as u32)
}

/// The fan chart of one backtest: its bands over time with the observations on them.
fn fan_chart(e: &BacktestEntry) -> BacktestFan {
    let b = &e.result;
    let days = (b.horizon - b.start).get_days().max(0) as usize + 1;
    let day_of = |o: &RankedObservation| (o.date - b.start).get_days() as f64;
    let panels = b
        .bands
        .iter()
        .map(|band| FanPanel {
            label: format!(
                "{} · {}",
                observed_metric_label(band.metric),
                observed_site_label(band.site.as_deref())
            ),
            axis: band.metric.unit().to_owned(),
            counts: band.metric != ObservedMetric::EnergizedMw,
            days: band.days.iter().map(|&d| d as f64).collect(),
            p10: band.p10.clone(),
            p50: band.p50.clone(),
            p90: band.p90.clone(),
            observed: b
                .observations
                .iter()
                .filter(|o| o.metric == band.metric && o.site == band.site)
                .map(|o| ObservedPoint {
                    day: day_of(o),
                    value: o.value,
                    inside: o.ranked.position == Position::Inside,
                })
                .collect(),
        })
        .collect();
    let c = &b.calibration;
    BacktestFan {
        title: format!("Backtest {}: observed vs simulated", e.name),
        subtitle: vec![
            format!(
                "{} · {} trials · seed {} · {} of {} observations inside P10–P90, mean rank {:.0}%",
                b.scenario,
                thousands(b.trials as f64),
                b.seed,
                c.inside,
                c.observations,
                c.mean_rank_pct
            ),
            "Bands: per-day P10–P90 and median across trials, at the end of each day. Points: \
             the recorded actuals ([[observations]])."
                .to_owned(),
        ],
        start: b.start,
        days,
        panels,
    }
}

/// The calibration chart: the ranks of every observation of every backtest.
fn calibration_chart(r: &BacktestReport) -> CalibrationChart {
    let c = &r.calibration;
    CalibrationChart {
        title: "Calibration: where the actuals fall in the simulated distributions".into(),
        subtitle: vec![
            format!(
                "{} observations from {} backtests · inside P10–P90 {:.0}% (calibrated: 80%) · \
                 below P10 {:.0}% · above P90 {:.0}% · mean rank {:.0}%",
                c.observations,
                r.backtests.len(),
                c.inside_share * 100.0,
                c.below_share * 100.0,
                c.above_share * 100.0,
                c.mean_rank_pct
            ),
            "A calibrated model spreads the ranks evenly (the dashed line); a U shape means bands \
             too narrow, a hump too wide, a tilt a bias."
                .into(),
        ],
        counts: c.rank_histogram.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::ChartFormat;
    use crate::engine::EngineConfig;

    #[test]
    fn a_backtest_folder_holds_one_row_per_observation_and_the_charts_asked_for() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/backtests/rainier-2024.toml");
        let scenario = crate::scenario::load(&path, &[]).unwrap();
        let result =
            crate::analysis::backtest(&scenario, &EngineConfig::new(60, 1, 1), None).unwrap();
        let observations = result.observations.len();
        let report = BacktestReport::new(vec![BacktestEntry {
            name: "rainier".into(),
            file: "rainier-2024.toml".into(),
            result,
        }]);
        assert_eq!(report.calibration.observations, observations);

        let dir = tempfile::tempdir().unwrap();
        let written = write_backtest(dir.path(), &report, None).unwrap();
        assert_eq!(written.files, ["backtest.json", "backtest.csv"]);
        assert!(written.charts.is_empty());
        let csv = std::fs::read_to_string(dir.path().join("backtest.csv")).unwrap();
        assert_eq!(csv.lines().count(), observations + 1);
        assert!(csv.starts_with("backtest,file,scenario,trials,seed,date,metric,site,value,"));
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("backtest.json")).unwrap())
                .unwrap();
        assert_eq!(json["backtests"][0]["name"], "rainier");
        assert_eq!(json["backtests"][0]["trials"], 60);

        let svg = ChartOptions {
            formats: vec![ChartFormat::Svg],
            ..ChartOptions::default()
        };
        let written = write_backtest(dir.path(), &report, Some(&svg)).unwrap();
        let names: Vec<_> = written
            .charts
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["rainier-fan.svg", "calibration.svg"]);
    }

    #[test]
    fn a_fan_chart_takes_the_asked_width_and_scales_its_panel_heights_with_the_asked_height() {
        // Default size: 220 + 300 per panel, at least 700.
        assert_eq!(fan_size(1, chart::DEFAULT_SIZE), (1200, 700));
        assert_eq!(fan_size(3, chart::DEFAULT_SIZE), (1200, 1120));
        // Half the default height: half of each.
        assert_eq!(fan_size(3, (800, 350)), (800, 560));
        assert_eq!(fan_size(1, (2400, 1400)), (2400, 1400));
        // Never taller than the renderer draws.
        assert_eq!(fan_size(40, (1200, 8000)), (1200, FAN_MAX_HEIGHT));
    }
}
