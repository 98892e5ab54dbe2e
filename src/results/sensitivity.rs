//! A sensitivity analysis's results folder: `sensitivity.json`, `sensitivity.csv` and the
//! tornado chart.

use std::path::{Path, PathBuf};

use super::{ChartOptions, ResultsError, report, write_atomic, write_chart_formats};
use crate::analysis::sensitivity::{Ranking, SensitivityResult};
use crate::chart::{self, Tornado, TornadoBar, TornadoRow, TornadoScale};
use crate::numeric::thousands;
use crate::output;

/// The files [`write_sensitivity`] wrote, for the user's "Wrote ..." line.
#[derive(Debug, Default)]
pub struct SensitivityFiles {
    /// The data files, by name, in the order written.
    pub files: Vec<&'static str>,
    /// The tornado chart, once per format (none when not asked for, or nothing was ranked).
    pub charts: Vec<PathBuf>,
    /// `report.html`, written when charts are.
    pub report: Option<PathBuf>,
}

/// Writes `sensitivity.json` and `sensitivity.csv` of `result` into `dir`, then, when `charts`
/// is given, `report.html` and, when some input was ranked, `charts/tornado.<format>`.
pub fn write_sensitivity(
    dir: &Path,
    result: &SensitivityResult,
    charts: Option<&ChartOptions>,
) -> Result<SensitivityFiles, ResultsError> {
    write_atomic(&dir.join("sensitivity.json"), |w| {
        output::write_sensitivity_json(result, w)
    })?;
    write_atomic(&dir.join("sensitivity.csv"), |w| {
        output::write_sensitivity_csv(result, w)
    })?;
    let mut written = SensitivityFiles {
        files: vec!["sensitivity.json", "sensitivity.csv"],
        charts: Vec::new(),
        report: None,
    };
    if let Some(options) = charts {
        let (charts, report) = write_tornado(dir, result, options)?;
        written.charts = charts;
        written.report = Some(report);
    }
    Ok(written)
}

/// Draws the tornado chart of `result` into `dir/charts/`, once per format (nothing when no
/// input was ranked), then `report.html`: what [`write_sensitivity`] draws and
/// [`redraw`](super::redraw()) redraws. Returns the charts and the report.
pub(super) fn write_tornado(
    dir: &Path,
    result: &SensitivityResult,
    options: &ChartOptions,
) -> Result<(Vec<PathBuf>, PathBuf), ResultsError> {
    let tornado = tornado(result);
    let mut charts = Vec::new();
    if !tornado.rows.is_empty() {
        charts = write_chart_formats(dir, "tornado", &options.formats, |format| {
            chart::render_tornado(&tornado, format, options.size)
        })?;
    }
    let page = report::write_sensitivity_report(dir, &tornado, options)?;
    Ok((charts, page))
}

/// The tornado chart's first subtitle line: scenario, trials, seed, target and deadline, with
/// counts in thousands (the seed is an identifier, printed whole).
pub(crate) fn run_line(
    scenario: &str,
    trials: u64,
    seed: u64,
    target_gpus: u64,
    deadline: &str,
) -> String {
    format!(
        "{scenario} · {} trials per run · seed {seed} · target {} GPUs by {deadline}",
        thousands(trials as f64),
        thousands(target_gpus as f64)
    )
}

/// The tornado chart of `r`: ρ with the full-capacity day (ρ with GPUs at the deadline when
/// that day never varies) with its interval, P(target) at P10 and P90 around the baseline, or
/// the first-order and total Sobol indices of "target met" with their intervals.
fn tornado(r: &SensitivityResult) -> Tornado {
    let sub = run_line(&r.scenario, r.trials, r.seed, r.target_gpus, &r.deadline);
    match &r.inputs {
        Ranking::Spearman(rows) => {
            // One signed bar per input: ρ with GPUs is close to the mirror image of ρ with the
            // full-capacity day, so drawing both says the same thing twice.
            let by_day = rows.iter().any(|x| x.rho_full_capacity_day.is_some());
            let (series, reading) = if by_day {
                (
                    "ρ with the full-capacity day",
                    "Positive: a larger input value goes with a later full-capacity day. ρ with \
                     GPUs available at the deadline is in sensitivity.csv.",
                )
            } else {
                (
                    "ρ with GPUs available at the deadline",
                    "Positive: a larger input value goes with more GPUs at the deadline (the \
                     full-capacity day does not vary).",
                )
            };
            Tornado {
                title: "Which inputs move the outcome: Spearman rank correlation".into(),
                subtitle: vec![sub, reading.into()],
                axis: "Spearman ρ".into(),
                centre: 0.0,
                centre_label: None,
                series: vec![series.into()],
                scale: TornadoScale::Plain,
                range: Some((-1.0, 1.0)),
                floor: None,
                rows: rows
                    .iter()
                    .map(|x| {
                        let (rho, ci) = if by_day {
                            (x.rho_full_capacity_day, x.rho_full_capacity_day_ci95)
                        } else {
                            (x.rho_available_gpus, x.rho_available_gpus_ci95)
                        };
                        TornadoRow {
                            label: x.input.clone(),
                            bars: vec![rho.map(|value| TornadoBar {
                                value,
                                interval: ci.map(|[l, h]| (l, h)),
                            })],
                        }
                    })
                    .collect(),
            }
        }
        Ranking::Swing(rows) => Tornado {
            title: "One-at-a-time swing: P(target by deadline)".into(),
            subtitle: vec![
                sub,
                "Each input held at its P10, then at its P90; all other inputs random, common \
                 random numbers."
                    .into(),
            ],
            axis: "P(target by deadline)".into(),
            centre: r.baseline.p_target_by_deadline,
            centre_label: Some(format!(
                "All inputs random ({:.1}%)",
                r.baseline.p_target_by_deadline * 100.0
            )),
            series: vec!["Input at its P10".into(), "Input at its P90".into()],
            scale: TornadoScale::Percent,
            range: None,
            floor: None,
            rows: rows
                .iter()
                .map(|x| TornadoRow {
                    label: x.input.clone(),
                    bars: vec![
                        Some(TornadoBar::plain(x.p_target_at_p10)),
                        Some(TornadoBar::plain(x.p_target_at_p90)),
                    ],
                })
                .collect(),
        },
        Ranking::Sobol(rows) => {
            let bar = |i: &crate::stats::Index| TornadoBar {
                value: i.estimate,
                interval: Some((i.ci95_low, i.ci95_high)),
            };
            Tornado {
                title: "Sobol indices of 'target met by deadline'".into(),
                subtitle: vec![
                    sub,
                    "First order: share of the variance due to the input alone; total: including \
                     its interactions."
                        .into(),
                ],
                axis: "Sobol index".into(),
                centre: 0.0,
                centre_label: None,
                series: vec!["First-order index".into(), "Total index".into()],
                scale: TornadoScale::Plain,
                range: None,
                floor: Some(0.0),
                rows: rows
                    .iter()
                    .map(|x| TornadoRow {
                        label: x.input.clone(),
                        bars: vec![
                            Some(bar(&x.met_by_deadline.first_order)),
                            Some(bar(&x.met_by_deadline.total)),
                        ],
                    })
                    .collect(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::sensitivity::{Baseline, Method, SobolRow, SpearmanRow};
    use crate::stats::{Index, SobolIndices};

    fn result(method: Method, inputs: Ranking) -> SensitivityResult {
        SensitivityResult {
            capsim_version: "0".into(),
            scenario: "s".into(),
            file: "s.toml".into(),
            method,
            seed: 1,
            seed_b: None,
            trials: 100,
            runs: 1,
            target_gpus: 10,
            deadline: "2026-12-31".into(),
            baseline: Baseline {
                p_target_by_deadline: 0.5,
                median_full_capacity_date: None,
                mean_available_gpus: 9.0,
            },
            how: "",
            constant_inputs: vec![],
            inputs,
        }
    }

    #[test]
    fn spearman_tornado_has_one_signed_bar_per_input_with_its_interval() {
        let row = |rho_day: Option<f64>| SpearmanRow {
            input: "slip_days.a".into(),
            rho_full_capacity_day: rho_day,
            rho_full_capacity_day_ci95: rho_day.map(|r| [r - 0.1, r + 0.1]),
            rho_available_gpus: Some(-0.4),
            rho_available_gpus_ci95: Some([-0.5, -0.3]),
        };
        let t = tornado(&result(
            Method::Spearman,
            Ranking::Spearman(vec![row(Some(0.6))]),
        ));
        assert_eq!(t.series, ["ρ with the full-capacity day"]);
        let bar = TornadoBar {
            value: 0.6,
            interval: Some((0.5, 0.7)),
        };
        assert_eq!(t.rows[0].bars, [Some(bar)]);
        // A full-capacity day that never varies: ρ with GPUs instead.
        let t = tornado(&result(
            Method::Spearman,
            Ranking::Spearman(vec![row(None)]),
        ));
        assert_eq!(t.series, ["ρ with GPUs available at the deadline"]);
        assert_eq!(t.rows[0].bars[0].unwrap().interval, Some((-0.5, -0.3)));
    }

    #[test]
    fn sobol_tornado_draws_both_indices_with_intervals_floored_at_zero() {
        let index = |estimate: f64| Index {
            estimate,
            ci95_low: estimate - 0.125,
            ci95_high: estimate + 0.125,
        };
        let met = SobolIndices {
            first_order: index(-0.25),
            total: index(0.5),
        };
        let row = SobolRow {
            input: "supply/a/slip".into(),
            met_by_deadline: met,
            available_gpus: met,
        };
        let t = tornado(&result(Method::Sobol, Ranking::Sobol(vec![row])));
        assert_eq!(t.floor, Some(0.0));
        assert_eq!(t.series.len(), 2);
        assert_eq!(
            t.rows[0].bars[0],
            Some(TornadoBar {
                value: -0.25,
                interval: Some((-0.375, -0.125))
            })
        );
        assert_eq!(t.rows[0].bars[1].unwrap().interval, Some((0.375, 0.625)));
    }

    #[test]
    fn tornado_subtitle_counts_have_thousands_separators() {
        assert_eq!(
            run_line("base", 2000, 20251103, 300_000, "2026-12-31"),
            "base · 2,000 trials per run · seed 20251103 · target 300,000 GPUs by 2026-12-31"
        );
    }
}
