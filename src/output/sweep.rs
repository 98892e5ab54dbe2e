//! A sweep's `sweep.json`, `sweep.csv` (one row per grid point: the parameters' values, then the
//! headline columns) and terminal table.

use std::fmt::Write as _;
use std::io::Write;

use super::{ExportError, headline_cells, headline_columns, percent};
use crate::analysis::sweep::SweepResult;
use crate::numeric::thousands;

/// Writes `result` as pretty-printed JSON with a trailing newline: `sweep.json`.
pub fn write_sweep_json(result: &SweepResult, mut w: impl Write) -> Result<(), ExportError> {
    serde_json::to_writer_pretty(&mut w, result)?;
    w.write_all(b"\n")?;
    Ok(())
}

/// Writes `sweep.csv`: a column per parameter (named by its path, each cell its value as given)
/// and the [`headline_columns`].
pub fn write_sweep_csv(result: &SweepResult, w: impl Write) -> Result<(), ExportError> {
    let mut out = ::csv::Writer::from_writer(w);
    let mut header: Vec<&str> = result.parameters.iter().map(|p| p.path.as_str()).collect();
    let headline = headline_columns("p_target_by_deadline");
    header.extend(headline.iter().map(String::as_str));
    out.write_record(&header)?;
    for p in &result.points {
        let mut row = p.texts.clone();
        row.extend(headline_cells(
            &p.headline.p_target_by_deadline,
            &p.headline.full_capacity_date,
            &p.headline.available_gpus_at_deadline,
            &p.headline.bottleneck_share,
        ));
        out.write_record(&row)?;
    }
    out.flush()?;
    Ok(())
}

/// The terminal table of a sweep: one line per grid point, then how many reach the threshold.
pub fn render_sweep_table(r: &SweepResult) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "sweep {} · {} grid points × {} trials · seed {} · common random numbers\n",
        r.scenario,
        r.points.len(),
        thousands(r.trials as f64),
        r.seed
    );
    // A swept target or deadline differs row by row: the line gives the scenario's own.
    let swept: Vec<&str> = ["scenario.target_gpus", "scenario.deadline"]
        .into_iter()
        .filter(|field| {
            r.parameters
                .iter()
                .any(|p| p.expands_to.iter().any(|e| e == field))
        })
        .collect();
    let varies = if swept.is_empty() {
        String::new()
    } else {
        format!(" (the scenario's; {} varies by row)", swept.join(" and "))
    };
    let _ = writeln!(
        t,
        "Target: {} GPUs online by {}{varies}\n",
        thousands(r.target_gpus as f64),
        r.deadline
    );
    for note in &r.notes {
        let _ = writeln!(t, "Note: {note}\n");
    }
    let widths: Vec<usize> = r
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| {
            r.points
                .iter()
                .map(|point| point.texts.get(i).map_or(0, String::len))
                .chain([p.path.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut head = String::from(" ");
    for (p, w) in r.parameters.iter().zip(&widths) {
        let _ = write!(head, " {:<w$}", p.path);
    }
    let _ = write!(
        head,
        "  {:>9}  {:<15}  {:<11}  {:>6}  {:>9}  {:<19}",
        "P(target)", "95% CI", "full P50", "never", "GPUs P50", "GPUs P10 – P90"
    );
    let _ = writeln!(t, "{}", head.trim_end());
    for p in &r.points {
        let mut line = String::from(" ");
        for (v, w) in p.texts.iter().zip(&widths) {
            let _ = write!(line, " {v:<w$}");
        }
        let pt = &p.headline.p_target_by_deadline;
        let a = &p.headline.available_gpus_at_deadline;
        let ci = format!("{} – {}", percent(pt.ci95_low), percent(pt.ci95_high));
        let _ = write!(
            line,
            "  {:>9}  {:<15}  {:<11}  {:>6}  {:>9}  {} – {}",
            percent(pt.estimate),
            ci,
            p.headline
                .full_capacity_date
                .p50
                .clone()
                .unwrap_or_else(|| "never".into()),
            percent(p.headline.full_capacity_date.never_fraction),
            thousands(a.p50),
            thousands(a.p10),
            thousands(a.p90),
        );
        let _ = writeln!(t, "{}", line.trim_end());
    }
    let reaching = r
        .points
        .iter()
        .filter(|p| p.headline.p_target_by_deadline.estimate >= r.threshold)
        .count();
    let _ = writeln!(
        t,
        "\nGrid points with P(target) ≥ {}: {} of {}",
        percent(r.threshold),
        reaching,
        r.points.len()
    );
    t
}
