//! A solve's results folder: `solve.json`, `solve.csv` and, with charts, `charts/solve.*` and
//! `report.html`.

use std::path::{Path, PathBuf};

use jiff::civil::Date;

use super::{ChartOptions, ResultsError, report, write_atomic, write_chart_formats};
use crate::analysis::solve::{Goal, Metric, SolveResult};
use crate::analysis::sweep::ParamValue;
use crate::chart::{self, SolveAnswer, SolveChart, SolvePoint};
use crate::output;

/// The files [`write_solve`] wrote, for the user's "Wrote ..." line.
#[derive(Debug, Default)]
pub struct SolveFiles {
    /// The data files, by name, in the order written.
    pub files: Vec<&'static str>,
    /// The chart files.
    pub charts: Vec<PathBuf>,
    /// `report.html`, written with the chart.
    pub report: Option<PathBuf>,
}

/// Writes `solve.json` and `solve.csv` of `result` into `dir`, then, when `charts` is given,
/// `charts/solve.*` in each of the options' formats and `report.html`.
pub fn write_solve(
    dir: &Path,
    result: &SolveResult,
    charts: Option<&ChartOptions>,
) -> Result<SolveFiles, ResultsError> {
    write_atomic(&dir.join("solve.json"), |w| {
        output::write_solve_json(result, w)
    })?;
    write_atomic(&dir.join("solve.csv"), |w| {
        output::write_solve_csv(result, w)
    })?;
    let mut written = SolveFiles {
        files: vec!["solve.json", "solve.csv"],
        ..SolveFiles::default()
    };
    let Some(options) = charts else {
        return Ok(written);
    };
    let data = chart_data(result)?;
    written.charts = write_chart_formats(dir, "solve", &options.formats, |format| {
        chart::render_solve(&data, format, options.size)
    })?;
    written.report = Some(report::write_solve_report(dir, &data, options)?);
    Ok(written)
}

/// A date value of the varied input.
fn date_of(v: &ParamValue) -> Option<Date> {
    match v {
        ParamValue::Text(t) => t.parse().ok(),
        ParamValue::Number(_) => None,
    }
}

/// What the solve chart of `r` shows: dates on the x axis as days after the range's first.
fn chart_data(r: &SolveResult) -> Result<SolveChart, ResultsError> {
    let goal =
        Goal::parse(&r.goal).map_err(|e| ResultsError::Failed(format!("solve.json: {e}")))?;
    let x_origin = match (date_of(&r.range[0]), date_of(&r.range[1])) {
        (Some(a), Some(b)) => Some(a.min(b)),
        _ => None,
    };
    let x = |v: &ParamValue| -> f64 {
        match (v, x_origin) {
            (ParamValue::Number(n), _) => *n,
            (ParamValue::Text(_), Some(origin)) => date_of(v)
                .and_then(|d| d.since(origin).ok())
                .map_or(f64::NAN, |s| f64::from(s.get_days())),
            (ParamValue::Text(_), None) => f64::NAN,
        }
    };
    let epoch = Date::constant(1970, 1, 1);
    let steps = r
        .steps
        .iter()
        .map(|s| {
            let p = &s.p_target_by_deadline;
            let (y, interval) = match goal.metric {
                Metric::PTarget => (Some(p.estimate), Some((p.ci95_low, p.ci95_high))),
                Metric::GpusAtDeadlineP50 => (Some(s.gpus_at_deadline_p50), None),
                Metric::FullCapacityP50 => (
                    s.full_capacity_p50
                        .as_deref()
                        .and_then(|d| d.parse::<Date>().ok())
                        .and_then(|d| d.since(epoch).ok())
                        .map(|s| f64::from(s.get_days())),
                    None,
                ),
            };
            SolvePoint {
                x: x(&s.value),
                y,
                interval,
            }
        })
        .collect();
    let answer = r.answer.as_ref().map(|a| SolveAnswer {
        x: x(a),
        text: r.answer_text.clone().unwrap_or_default(),
        interval: r.interval.as_ref().map(|[low, high]| {
            (
                (x(&low.value), x(&high.value)),
                format!("{} – {}", low.text, high.text),
            )
        }),
    });
    let answer_line = output::answer_line(r);
    Ok(SolveChart {
        scenario: r.scenario.clone(),
        trials: r.trials,
        seed: r.seed,
        path: r.path.clone(),
        x_origin,
        range: (x(&r.range[0]), x(&r.range[1])),
        goal,
        steps,
        answer,
        answer_line: answer_line.lines().next().unwrap_or_default().to_owned(),
    })
}
