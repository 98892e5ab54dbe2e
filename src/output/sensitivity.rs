//! A sensitivity analysis as text: `sensitivity.csv` (one row per ranked input) and the
//! terminal table.

use std::fmt::Write as _;
use std::io::Write;

use super::ExportError;
use crate::analysis::sensitivity::{Ranking, SensitivityResult};
use crate::numeric::thousands;
use crate::stats::Index;

/// An optional number as a CSV cell: empty for `None`.
fn cell(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Writes `result` as pretty-printed JSON with a trailing newline: `sensitivity.json`.
pub fn write_sensitivity_json(
    result: &SensitivityResult,
    mut w: impl Write,
) -> Result<(), ExportError> {
    serde_json::to_writer_pretty(&mut w, result)?;
    w.write_all(b"\n")?;
    Ok(())
}

/// Writes `sensitivity.csv`: one row per ranked input, with the method's columns.
pub fn write_sensitivity_csv(
    result: &SensitivityResult,
    w: &mut dyn Write,
) -> Result<(), ExportError> {
    let mut out = ::csv::Writer::from_writer(w);
    match &result.inputs {
        Ranking::Spearman(rows) => {
            out.write_record([
                "input",
                "rho_full_capacity_day",
                "rho_full_capacity_day_ci95_low",
                "rho_full_capacity_day_ci95_high",
                "rho_available_gpus",
                "rho_available_gpus_ci95_low",
                "rho_available_gpus_ci95_high",
            ])?;
            for x in rows {
                let ci = |c: Option<[f64; 2]>, k: usize| cell(c.map(|c| c[k]));
                out.write_record([
                    x.input.clone(),
                    cell(x.rho_full_capacity_day),
                    ci(x.rho_full_capacity_day_ci95, 0),
                    ci(x.rho_full_capacity_day_ci95, 1),
                    cell(x.rho_available_gpus),
                    ci(x.rho_available_gpus_ci95, 0),
                    ci(x.rho_available_gpus_ci95, 1),
                ])?;
            }
        }
        Ranking::Swing(rows) => {
            out.write_record([
                "input",
                "value_at_p10",
                "value_at_p90",
                "p_target_at_p10",
                "p_target_at_p90",
                "p_target_swing",
                "median_full_capacity_date_at_p10",
                "median_full_capacity_date_at_p90",
                "median_full_capacity_swing_days",
            ])?;
            for x in rows {
                out.write_record([
                    x.input.clone(),
                    x.value_at_p10.to_string(),
                    x.value_at_p90.to_string(),
                    x.p_target_at_p10.to_string(),
                    x.p_target_at_p90.to_string(),
                    x.p_target_swing.to_string(),
                    x.median_full_capacity_date_at_p10
                        .clone()
                        .unwrap_or_default(),
                    x.median_full_capacity_date_at_p90
                        .clone()
                        .unwrap_or_default(),
                    cell(x.median_full_capacity_swing_days),
                ])?;
            }
        }
        Ranking::Sobol(rows) => {
            let mut header = vec!["input".to_owned()];
            for o in ["met", "gpus"] {
                for i in ["first_order", "total"] {
                    for f in ["", "_ci95_low", "_ci95_high"] {
                        header.push(format!("{o}_{i}{f}"));
                    }
                }
            }
            out.write_record(&header)?;
            for x in rows {
                let mut row = vec![x.input.clone()];
                for s in [&x.met_by_deadline, &x.available_gpus] {
                    for i in [&s.first_order, &s.total] {
                        row.extend([i.estimate, i.ci95_low, i.ci95_high].map(|v| v.to_string()));
                    }
                }
                out.write_record(&row)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// A value with at most four decimals and no trailing zeros: `4.0` → `4`, `0.125` → `0.125`.
fn short(v: f64) -> String {
    format!("{v:.4}")
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_owned()
}

/// The terminal table of a sensitivity analysis: the run, the baseline, one line per ranked
/// input, then the constant inputs.
pub fn render_sensitivity_table(r: &SensitivityResult) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "sensitivity ({}) · {} · {} trials × {} run{} · seed {}\n",
        r.method.name(),
        r.scenario,
        thousands(r.trials as f64),
        r.runs,
        if r.runs == 1 { "" } else { "s" },
        r.seed
    );
    let _ = writeln!(
        t,
        "Baseline: P(target by deadline) {:.1}%, median full capacity {}\n",
        r.baseline.p_target_by_deadline * 100.0,
        r.baseline
            .median_full_capacity_date
            .as_deref()
            .unwrap_or("never")
    );
    let rho = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:+.3}"));
    let w = r
        .inputs
        .inputs()
        .iter()
        .map(|name| name.len())
        .max()
        .unwrap_or(0)
        .max(12)
        + 2;
    match &r.inputs {
        Ranking::Spearman(rows) => {
            let _ = writeln!(
                t,
                "  {:<w$}{:>18}{:>18}",
                "input", "rho full-capacity", "rho GPUs@deadline"
            );
            for x in rows {
                let _ = writeln!(
                    t,
                    "  {:<w$}{:>18}{:>18}",
                    x.input,
                    rho(x.rho_full_capacity_day),
                    rho(x.rho_available_gpus)
                );
            }
        }
        Ranking::Swing(rows) => {
            let _ = writeln!(
                t,
                "  {:<w$}{:>10}{:>10}{:>12}{:>12}{:>10}{:>13}{:>13}{:>11}",
                "input",
                "P10",
                "P90",
                "P(t)@P10",
                "P(t)@P90",
                "swing",
                "median@P10",
                "median@P90",
                "swing d"
            );
            for x in rows {
                let d = |v: &Option<String>| v.clone().unwrap_or_else(|| "never".into());
                let _ = writeln!(
                    t,
                    "  {:<w$}{:>10}{:>10}{:>12}{:>12}{:>10}{:>13}{:>13}{:>11}",
                    x.input,
                    short(x.value_at_p10),
                    short(x.value_at_p90),
                    format!("{:.1}%", x.p_target_at_p10 * 100.0),
                    format!("{:.1}%", x.p_target_at_p90 * 100.0),
                    format!("{:+.1} pts", x.p_target_swing * 100.0),
                    d(&x.median_full_capacity_date_at_p10),
                    d(&x.median_full_capacity_date_at_p90),
                    x.median_full_capacity_swing_days
                        .map_or("n/a".to_owned(), |v| format!("{v:+.0}")),
                );
            }
        }
        Ranking::Sobol(rows) => {
            let _ = writeln!(
                t,
                "  {:<w$}{:>24}{:>24}{:>24}{:>24}",
                "input", "S met (95% CI)", "T met (95% CI)", "S GPUs (95% CI)", "T GPUs (95% CI)"
            );
            let c =
                |i: &Index| format!("{:.3} [{:.3}, {:.3}]", i.estimate, i.ci95_low, i.ci95_high);
            for x in rows {
                let _ = writeln!(
                    t,
                    "  {:<w$}{:>24}{:>24}{:>24}{:>24}",
                    x.input,
                    c(&x.met_by_deadline.first_order),
                    c(&x.met_by_deadline.total),
                    c(&x.available_gpus.first_order),
                    c(&x.available_gpus.total)
                );
            }
        }
    }
    if !r.constant_inputs.is_empty() {
        let _ = writeln!(
            t,
            "\n  Constant (not ranked): {}",
            r.constant_inputs.join(", ")
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn short_values_drop_trailing_zeros() {
        assert_eq!(short(4.0), "4");
        assert_eq!(short(0.125), "0.125");
        assert_eq!(short(21.30004), "21.3");
        assert_eq!(short(0.00001), "0");
    }
}
