//! A sensitivity analysis's results folder: `sensitivity.json`, `sensitivity.csv` and the
//! tornado chart.

use std::path::{Path, PathBuf};

use super::{ChartOptions, ResultsError, report, write_atomic, write_chart_formats};
use crate::analysis::sensitivity::{Ranking, SensitivityResult};
use crate::chart::{self, Tornado, TornadoRow, TornadoScale};
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
    let tornado = tornado(result);
    let Some(options) = charts else {
        return Ok(written);
    };
    if !tornado.rows.is_empty() {
        written.charts = write_chart_formats(dir, "tornado", &options.formats, |format| {
            chart::render_tornado(&tornado, format, options.size)
        })?;
    }
    written.report = Some(report::write_sensitivity_report(dir, &tornado, options)?);
    Ok(written)
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

/// The tornado chart of `r`: ρ with both outcomes, P(target) at P10 and P90 around the
/// baseline, or the first-order and total Sobol indices of "target met".
fn tornado(r: &SensitivityResult) -> Tornado {
    let sub = run_line(&r.scenario, r.trials, r.seed, r.target_gpus, &r.deadline);
    match &r.inputs {
        Ranking::Spearman(rows) => Tornado {
            title: "Which inputs move the outcome: Spearman rank correlation".into(),
            subtitle: vec![
                sub,
                "Positive: a larger input value goes with a later full-capacity day (or more GPUs). \
                 Sorted by |ρ| with the full-capacity day."
                    .into(),
            ],
            axis: "Spearman ρ".into(),
            centre: 0.0,
            centre_label: None,
            series: [
                "ρ with full-capacity day".into(),
                "ρ with GPUs available at deadline".into(),
            ],
            scale: TornadoScale::Plain,
            range: Some((-1.0, 1.0)),
            rows: rows
                .iter()
                .map(|x| TornadoRow {
                    label: x.input.clone(),
                    first: x.rho_full_capacity_day,
                    second: x.rho_available_gpus,
                })
                .collect(),
        },
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
            series: ["Input at its P10".into(), "Input at its P90".into()],
            scale: TornadoScale::Percent,
            range: None,
            rows: rows
                .iter()
                .map(|x| TornadoRow {
                    label: x.input.clone(),
                    first: Some(x.p_target_at_p10),
                    second: Some(x.p_target_at_p90),
                })
                .collect(),
        },
        Ranking::Sobol(rows) => Tornado {
            title: "Sobol indices of 'target met by deadline'".into(),
            subtitle: vec![
                sub,
                "First order: share of the variance due to the input alone; total: including its \
                 interactions."
                    .into(),
            ],
            axis: "Sobol index".into(),
            centre: 0.0,
            centre_label: None,
            series: ["First-order index".into(), "Total index".into()],
            scale: TornadoScale::Plain,
            range: None,
            rows: rows
                .iter()
                .map(|x| TornadoRow {
                    label: x.input.clone(),
                    first: Some(x.met_by_deadline.first_order.estimate),
                    second: Some(x.met_by_deadline.total.estimate),
                })
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::run_line;

    #[test]
    fn tornado_subtitle_counts_have_thousands_separators() {
        assert_eq!(
            run_line("base", 2000, 20251103, 300_000, "2026-12-31"),
            "base · 2,000 trials per run · seed 20251103 · target 300,000 GPUs by 2026-12-31"
        );
    }
}
