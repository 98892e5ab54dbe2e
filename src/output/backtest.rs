//! A backtest report's CSV (`backtest.csv`) and terminal table.

use std::fmt::Write as _;
use std::io::Write;

use super::ExportError;
use crate::analysis::backtest::{BacktestReport, Calibration, Position};
use crate::numeric::thousands;
use crate::scenario::ObservedMetric;

/// How a metric reads in tables and charts, e.g. `online GPUs`.
pub fn observed_metric_label(m: ObservedMetric) -> &'static str {
    match m {
        ObservedMetric::OnlineGpus => "online GPUs",
        ObservedMetric::InstalledGpus => "installed GPUs",
        ObservedMetric::DeliveredGpus => "delivered GPUs",
        ObservedMetric::DeliveredRacks => "delivered racks",
        ObservedMetric::EnergizedMw => "energized MW",
    }
}

/// Where an observation was made: its site id, or `fleet`.
pub fn observed_site_label(site: Option<&str>) -> &str {
    site.unwrap_or("fleet")
}

/// A value in its metric's unit: MW with one decimal, counts with thousands separators.
fn value(m: ObservedMetric, v: f64) -> String {
    match m {
        ObservedMetric::EnergizedMw => format!("{v:.1}"),
        _ => thousands(v),
    }
}

/// Writes `backtest.csv`: one row per observation of every backtest.
pub fn write_backtest_csv(report: &BacktestReport, w: &mut dyn Write) -> Result<(), ExportError> {
    let mut out = ::csv::Writer::from_writer(w);
    out.write_record([
        "backtest", "file", "scenario", "trials", "seed", "date", "metric", "site", "value", "p10",
        "p50", "p90", "rank_pct", "position", "source",
    ])?;
    for e in &report.backtests {
        for o in &e.result.observations {
            let r = &o.ranked;
            out.write_record([
                e.name.clone(),
                e.file.clone(),
                e.result.scenario.clone(),
                e.result.trials.to_string(),
                e.result.seed.to_string(),
                o.date.to_string(),
                o.metric.name().to_owned(),
                o.site.clone().unwrap_or_default(),
                o.value.to_string(),
                r.p10.to_string(),
                r.p50.to_string(),
                r.p90.to_string(),
                r.rank_pct.to_string(),
                r.position.name().to_owned(),
                o.source.clone(),
            ])?;
        }
    }
    out.flush()?;
    Ok(())
}

/// The terminal table of `report`: each backtest's observations with their ranks, then the
/// calibration over all of them and what it suggests.
pub fn render_backtest_table(report: &BacktestReport) -> String {
    let mut t = String::new();
    for e in &report.backtests {
        let b = &e.result;
        let _ = writeln!(
            t,
            "backtest {} ({}) · {} · {} trials · seed {}\n",
            e.name,
            e.file,
            b.scenario,
            thousands(b.trials as f64),
            b.seed
        );
        let site_w = b
            .observations
            .iter()
            .map(|o| observed_site_label(o.site.as_deref()).len())
            .max()
            .unwrap_or(0)
            .max(5);
        let _ = writeln!(
            t,
            "  {:<10}  {:<15}  {:<site_w$}  {:>10}  {:>10}  {:>10}  {:>10}  {:>6}  position",
            "date", "metric", "site", "observed", "P10", "P50", "P90", "rank"
        );
        for o in &b.observations {
            let k = &o.ranked;
            let position = match k.position {
                Position::Inside => "inside",
                Position::Below => "BELOW P10",
                Position::Above => "ABOVE P90",
            };
            let _ = writeln!(
                t,
                "  {:<10}  {:<15}  {:<site_w$}  {:>10}  {:>10}  {:>10}  {:>10}  {:>5.1}%  {position}",
                o.date.to_string(),
                o.metric.name(),
                observed_site_label(o.site.as_deref()),
                value(o.metric, o.value),
                value(o.metric, k.p10),
                value(o.metric, k.p50),
                value(o.metric, k.p90),
                k.rank_pct,
            );
        }
        let c = &b.calibration;
        let _ = writeln!(
            t,
            "  {} of {} inside P10–P90, {} below P10, {} above P90; mean rank {:.1}%\n",
            c.inside, c.observations, c.below, c.above, c.mean_rank_pct
        );
    }
    t.push_str(&calibration_text(
        &report.calibration,
        report.backtests.len(),
    ));
    t
}
/// The calibration summary over all backtests, with what it suggests.
fn calibration_text(c: &Calibration, backtests: usize) -> String {
    let mut t = String::new();
    let pct = |v: f64| format!("{:.1}%", v * 100.0);
    let _ = writeln!(
        t,
        "Calibration over {backtests} backtest{} ({} observation{})",
        if backtests == 1 { "" } else { "s" },
        c.observations,
        if c.observations == 1 { "" } else { "s" }
    );
    let (lo, hi) = c.inside_share_ci95;
    let _ = writeln!(
        t,
        "  inside P10–P90   {:>4}  {:>6}   (95% CI {} – {}; calibrated: about 80%)",
        c.inside,
        pct(c.inside_share),
        pct(lo),
        pct(hi)
    );
    let _ = writeln!(
        t,
        "  below P10        {:>4}  {:>6}   (calibrated: about 10%)",
        c.below,
        pct(c.below_share)
    );
    let _ = writeln!(
        t,
        "  above P90        {:>4}  {:>6}   (calibrated: about 10%)",
        c.above,
        pct(c.above_share)
    );
    let _ = writeln!(
        t,
        "  mean rank              {:>5.1}%   (calibrated: about 50%)",
        c.mean_rank_pct
    );
    let width = if hi < 0.8 {
        "the bands are too narrow: fewer observations fall inside P10–P90 than the 80% a calibrated model gives (overconfident)"
    } else if lo > 0.8 {
        "the bands are wider than needed: more observations fall inside P10–P90 than 80% (underconfident)"
    } else {
        "the inside share is consistent with 80%"
    };
    let misses = c.below + c.above;
    let side = if misses == 0 {
        "no misses".to_owned()
    } else if c.below == c.above {
        format!("misses balanced ({} below, {} above)", c.below, c.above)
    } else if c.below > c.above {
        format!(
            "misses fall mostly below P10 ({} below, {} above): reality came in lower than simulated, the model is optimistic",
            c.below, c.above
        )
    } else {
        format!(
            "misses fall mostly above P90 ({} above, {} below): reality came in higher than simulated, the model is pessimistic",
            c.above, c.below
        )
    };
    let _ = writeln!(t, "  Reading: {width}; {side}.");
    if c.observations < 20 {
        let _ = writeln!(
            t,
            "  With {} observations these shares are rough; see the interval.",
            c.observations
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::backtest::Ranked;

    #[test]
    fn the_reading_names_the_side_of_the_misses() {
        let at = |position| Ranked {
            p10: 0.0,
            p50: 0.0,
            p90: 0.0,
            rank_pct: 0.0,
            position,
        };
        let obs = [
            at(Position::Below),
            at(Position::Below),
            at(Position::Above),
            at(Position::Inside),
        ];
        let text = calibration_text(&Calibration::new(&obs), 1);
        assert!(
            text.contains("mostly below P10 (2 below, 1 above)"),
            "{text}"
        );
        assert!(text.contains("optimistic"), "{text}");
    }
}
