//! A solve's `solve.json`, `solve.csv` (one row per evaluation, in the order run) and terminal
//! table.

use std::fmt::Write as _;
use std::io::Write;

use super::{ExportError, percent};
use crate::analysis::solve::{AnswerKind, IntervalEnd, Outcome, SolveResult, SolveStep};
use crate::analysis::sweep::ParamValue;
use crate::numeric::thousands;

/// Writes `result` as pretty-printed JSON with a trailing newline: `solve.json`.
pub fn write_solve_json(result: &SolveResult, mut w: impl Write) -> Result<(), ExportError> {
    serde_json::to_writer_pretty(&mut w, result)?;
    w.write_all(b"\n")?;
    Ok(())
}

/// Writes `solve.csv`: one row per evaluation, in the order run: the step number, the varied
/// path's value (column named by the path), the search that asked for it, P(target by deadline)
/// with its 95% interval, the median GPUs at the deadline, the median full-capacity date and
/// whether the goal is met.
pub fn write_solve_csv(result: &SolveResult, w: impl Write) -> Result<(), ExportError> {
    let mut out = ::csv::Writer::from_writer(w);
    out.write_record([
        "step",
        result.path.as_str(),
        "search",
        "p_target_by_deadline",
        "p_target_ci95_low",
        "p_target_ci95_high",
        "gpus_at_deadline_p50",
        "full_capacity_p50",
        "meets_goal",
    ])?;
    for (i, s) in result.steps.iter().enumerate() {
        let p = &s.p_target_by_deadline;
        out.write_record([
            (i + 1).to_string(),
            s.text.clone(),
            s.search.name().to_owned(),
            p.estimate.to_string(),
            p.ci95_low.to_string(),
            p.ci95_high.to_string(),
            s.gpus_at_deadline_p50.to_string(),
            s.full_capacity_p50.clone().unwrap_or_default(),
            s.meets_goal.to_string(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// The terminal table of a solve: every evaluation, then the answer.
pub fn render_solve_table(r: &SolveResult) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "solve {} · {} from {} to {} · goal {} · {} trials per step · seed {} · common random \
         numbers\n",
        r.scenario,
        r.path,
        value_text(&r.range[0]),
        value_text(&r.range[1]),
        r.goal,
        thousands(r.trials as f64),
        r.seed
    );
    let _ = writeln!(
        t,
        "Target: {} GPUs online by {}\n",
        thousands(r.target_gpus as f64),
        r.deadline
    );
    for note in &r.notes {
        let _ = writeln!(t, "Note: {note}\n");
    }
    let width = r
        .steps
        .iter()
        .map(|s| s.text.len())
        .chain([r.path.len()])
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        t,
        "  {:>4}  {:<width$}  {:<9}  {:>9}  {:<15}  {:>9}  {:<10}  goal",
        "step", r.path, "search", "P(target)", "95% CI", "GPUs P50", "full P50"
    );
    for (i, s) in r.steps.iter().enumerate() {
        let _ = writeln!(t, "{}", step_line(i + 1, s, width).trim_end());
    }
    let _ = writeln!(t, "\n{}", answer_line(r));
    t
}

fn step_line(n: usize, s: &SolveStep, width: usize) -> String {
    let p = &s.p_target_by_deadline;
    format!(
        "  {:>4}  {:<width$}  {:<9}  {:>9}  {:<15}  {:>9}  {:<10}  {}",
        n,
        s.text,
        s.search.name(),
        percent(p.estimate),
        format!("{} – {}", percent(p.ci95_low), percent(p.ci95_high)),
        thousands(s.gpus_at_deadline_p50),
        s.full_capacity_p50.as_deref().unwrap_or("never"),
        if s.meets_goal { "met" } else { "not met" }
    )
}

fn value_text(v: &ParamValue) -> String {
    match v {
        ParamValue::Number(x) => format!("{x}"),
        ParamValue::Text(s) => s.clone(),
    }
}

/// The answer in a sentence: the value with its interval, or why there is none.
pub fn answer_line(r: &SolveResult) -> String {
    let (lo, hi) = (value_text(&r.range[0]), value_text(&r.range[1]));
    match r.outcome {
        Outcome::NotReachable => format!(
            "Not reachable within {lo} – {hi}: the goal {} is met at neither end (see the \
             steps); widen the range",
            r.goal
        ),
        Outcome::MetAtBothEnds => format!(
            "The goal {} is already met at both ends of {lo} – {hi}: the threshold lies outside \
             the range; widen it",
            r.goal
        ),
        Outcome::Found => {
            let which = match r.answer_kind {
                Some(AnswerKind::Largest) => "largest",
                _ => "smallest",
            };
            let answer = r.answer_text.clone().unwrap_or_default();
            let mut line = format!(
                "Answer: the {which} {} that meets {} is {answer}",
                r.path, r.goal
            );
            if let Some([low, high]) = &r.interval {
                let end = |e: &IntervalEnd| {
                    if e.at_range_end {
                        format!("{} (range end)", e.text)
                    } else {
                        e.text.clone()
                    }
                };
                let _ = write!(line, " (95% interval {} – {})", end(low), end(high));
                if low.at_range_end || high.at_range_end {
                    line.push_str(
                        "\nThe interval reaches an end of the range: widen the range or run \
                         more trials to bound it.",
                    );
                }
            }
            line
        }
    }
}
