//! `compare.json`, `compare.csv` and the terminal table of a comparison
//! ([`CompareReport`]).

use std::fmt::Write as _;
use std::io::Write;

use super::csv::{headline_cells, headline_columns};
use super::{ExportError, percent, thousands};
use crate::analysis::compare::CompareReport;
use crate::stats::Bottleneck;

/// Writes `compare.json`: the report as pretty-printed JSON with a trailing newline.
pub fn write_compare_json(report: &CompareReport, mut w: impl Write) -> Result<(), ExportError> {
    serde_json::to_writer_pretty(&mut w, report)?;
    w.write_all(b"\n")?;
    Ok(())
}

/// Writes `compare.csv`: one row per scenario, baseline first, with its headline figures
/// ([`headline_columns`]) and its differences from the baseline (empty cells on the baseline's
/// row).
pub fn write_compare_csv(report: &CompareReport, w: &mut dyn Write) -> Result<(), ExportError> {
    let mut out = ::csv::Writer::from_writer(w);
    let mut header = vec!["label", "file", "scenario", "is_baseline"];
    let headline = headline_columns("p_target");
    header.extend(headline.iter().map(String::as_str));
    header.extend([
        "p_target_diff",
        "p_target_diff_paired_ci95_low",
        "p_target_diff_paired_ci95_high",
        "p_target_diff_unpaired_ci95_low",
        "p_target_diff_unpaired_ci95_high",
        "only_scenario_met_fraction",
        "only_baseline_met_fraction",
        "full_capacity_median_diff_days",
        "both_reach_fraction",
        "only_scenario_reach_fraction",
        "only_baseline_reach_fraction",
        "neither_reach_fraction",
        "available_gpus_mean_diff",
        "available_gpus_diff_paired_ci95_low",
        "available_gpus_diff_paired_ci95_high",
        "available_gpus_diff_unpaired_ci95_low",
        "available_gpus_diff_unpaired_ci95_high",
    ]);
    out.write_record(&header)?;
    for (i, s) in report.scenarios.iter().enumerate() {
        let mut row = vec![
            s.label.clone(),
            s.file.clone(),
            s.scenario.clone(),
            (i == 0).to_string(),
        ];
        row.extend(headline_cells(
            &s.p_target_by_deadline,
            &s.full_capacity_date,
            &s.available_gpus_at_deadline,
            &s.bottleneck_share,
        ));
        if i == 0 {
            row.extend(std::iter::repeat_n(String::new(), 17));
        } else {
            let c = &report.comparisons[i - 1].diff;
            let t = &c.p_target_by_deadline;
            let d = &c.full_capacity_days;
            let g = &c.available_gpus_at_deadline;
            row.extend(
                [
                    t.estimate,
                    t.paired_ci95_low,
                    t.paired_ci95_high,
                    t.unpaired_ci95_low,
                    t.unpaired_ci95_high,
                    t.only_scenario_fraction,
                    t.only_baseline_fraction,
                ]
                .map(|v| v.to_string()),
            );
            row.push(d.median_days.map(|v| v.to_string()).unwrap_or_default());
            row.extend(
                [
                    d.both_fraction,
                    d.only_scenario_fraction,
                    d.only_baseline_fraction,
                    d.neither_fraction,
                    g.estimate,
                    g.paired_ci95_low,
                    g.paired_ci95_high,
                    g.unpaired_ci95_low,
                    g.unpaired_ci95_high,
                ]
                .map(|v| v.to_string()),
            );
        }
        out.write_record(&row)?;
    }
    out.flush()?;
    Ok(())
}

/// Percentage points with a sign.
fn pts(v: f64) -> String {
    format!("{:+.2}", v * 100.0)
}

fn signed_count(v: f64) -> String {
    if v.round() > 0.0 {
        format!("+{}", thousands(v))
    } else {
        thousands(v)
    }
}

/// The terminal table of a comparison: each scenario's headline figures side by side, then each
/// comparison with the baseline.
pub fn render_compare_table(r: &CompareReport) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "compare · {} trials · seed {} · baseline {} · common random numbers\n",
        thousands(r.trials as f64),
        r.seed,
        r.baseline
    );
    let w = r
        .scenarios
        .iter()
        .map(|s| s.label.len())
        .max()
        .unwrap_or(0)
        .max(22)
        + 2;
    let mut line = |label: &str, cells: Vec<String>| {
        let mut l = format!("  {label:<30}");
        for c in cells {
            let _ = write!(l, "{c:<w$}");
        }
        let _ = writeln!(t, "{}", l.trim_end());
    };
    let sc = &r.scenarios;
    line("", sc.iter().map(|s| s.label.clone()).collect());
    line(
        "target",
        sc.iter()
            .map(|s| format!("{} by {}", thousands(s.target_gpus as f64), s.deadline))
            .collect(),
    );
    line(
        "P(target by deadline)",
        sc.iter()
            .map(|s| percent(s.p_target_by_deadline.estimate))
            .collect(),
    );
    line(
        "  95% CI (Wilson)",
        sc.iter()
            .map(|s| {
                let p = &s.p_target_by_deadline;
                format!("{} – {}", percent(p.ci95_low), percent(p.ci95_high))
            })
            .collect(),
    );
    let date = |d: &Option<String>| d.clone().unwrap_or_else(|| "not reached".into());
    line(
        "Full capacity P10",
        sc.iter().map(|s| date(&s.full_capacity_date.p10)).collect(),
    );
    line(
        "              P50",
        sc.iter().map(|s| date(&s.full_capacity_date.p50)).collect(),
    );
    line(
        "              P90",
        sc.iter().map(|s| date(&s.full_capacity_date.p90)).collect(),
    );
    line(
        "  never (by horizon)",
        sc.iter()
            .map(|s| percent(s.full_capacity_date.never_fraction))
            .collect(),
    );
    line(
        "GPUs available at deadline",
        sc.iter()
            .map(|s| format!("mean {}", thousands(s.available_gpus_at_deadline.mean)))
            .collect(),
    );
    line(
        "  P10 – P90",
        sc.iter()
            .map(|s| {
                let a = &s.available_gpus_at_deadline;
                format!("{} – {}", thousands(a.p10), thousands(a.p90))
            })
            .collect(),
    );
    line(
        "Missing GPU-days s/p/i/f/b",
        sc.iter()
            .map(|s| {
                let b = &s.bottleneck_share;
                let shares = Bottleneck::ALL.map(|k| format!("{:.0}", b.get(k) * 100.0));
                format!("{}%", shares.join("/"))
            })
            .collect(),
    );
    for c in &r.comparisons {
        let p = &c.diff.p_target_by_deadline;
        let d = &c.diff.full_capacity_days;
        let g = &c.diff.available_gpus_at_deadline;
        let _ = writeln!(
            t,
            "\n{} vs {} (paired, scenario − baseline)",
            c.scenario, c.baseline
        );
        let _ = writeln!(
            t,
            "  P(target) difference          {} pts   paired 95% CI {} – {}   unpaired (Newcombe) {} – {}",
            pts(p.estimate),
            pts(p.paired_ci95_low),
            pts(p.paired_ci95_high),
            pts(p.unpaired_ci95_low),
            pts(p.unpaired_ci95_high)
        );
        let _ = writeln!(
            t,
            "    trials met only by scenario {}, only by baseline {}",
            percent(p.only_scenario_fraction),
            percent(p.only_baseline_fraction)
        );
        let median = d
            .median_days
            .map(|m| format!("{m:+.0} days"))
            .unwrap_or_else(|| "n/a".into());
        let _ = writeln!(
            t,
            "  Full-capacity day shift       median {}   (both reach {}; only scenario {}; only baseline {}; neither {})",
            median,
            percent(d.both_fraction),
            percent(d.only_scenario_fraction),
            percent(d.only_baseline_fraction),
            percent(d.neither_fraction)
        );
        let _ = writeln!(
            t,
            "  GPUs at deadline difference   mean {}   paired 95% CI {} – {}   unpaired {} – {}",
            signed_count(g.estimate),
            signed_count(g.paired_ci95_low),
            signed_count(g.paired_ci95_high),
            signed_count(g.unpaired_ci95_low),
            signed_count(g.unpaired_ci95_high)
        );
    }
    t
}
