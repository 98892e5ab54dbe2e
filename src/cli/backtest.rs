//! `capsim backtest`: runs backtest scenarios (scenarios written as of a past planning date,
//! with the actuals recorded as `[[observations]]`), ranks every observation in its simulated
//! distribution and reports the calibration over all of them (`docs/validation.md`).
//!
//! Memory: per backtest, trials × (observations + bands × 121) values while it runs.

use std::fmt::Write as _;
use std::fs;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use capsim::analysis::backtest::{Backtest, Calibration, Position, RankedObservation};
use capsim::chart::{self, BacktestFan, CalibrationChart, FanPanel, ObservedPoint};
use capsim::engine::EngineConfig;
use capsim::output::thousands;
use capsim::scenario::{ObservedMetric, Scenario};
use serde::Serialize;

use super::app::{
    InputError, labels, print_json, progress_bar, trials_and_seed, write_atomic, write_chart_pair,
};
use super::args::BacktestArgs;
use super::folder::ResultsFolder;
use super::to_stdout;

/// One backtest in `backtest.json`.
#[derive(Debug, Serialize)]
struct Entry {
    /// Unique label (file stem), also the chart's name.
    name: String,
    /// The file as given.
    file: String,
    #[serde(flatten)]
    result: Backtest,
}

/// `backtest.json`.
#[derive(Debug, Serialize)]
struct Report {
    capsim_version: String,
    backtests: Vec<Entry>,
    /// Over every observation of every backtest.
    calibration: Calibration,
}

/// The scenario files named by `paths`: a file as is, a folder as every `*.toml` in it, sorted.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = fs::read_dir(p)
                .with_context(|| format!("reading folder {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "toml"))
                .collect();
            if files.is_empty() {
                bail!(InputError(format!(
                    "{}: the folder holds no *.toml scenario files",
                    p.display()
                )));
            }
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// `capsim backtest`.
pub(crate) fn backtest(args: BacktestArgs) -> Result<()> {
    let files = expand(&args.paths)?;
    // Check every file before running any.
    let mut scenarios: Vec<Scenario> = Vec::new();
    for path in &files {
        let s = capsim::scenario::load(path, &[])?;
        if s.observations.is_empty() {
            bail!(InputError(format!(
                "{}: no [[observations]]: a backtest needs at least one recorded actual \
                 (date, metric, value, source; see docs/scenario-format.md#observations)",
                path.display()
            )));
        }
        scenarios.push(s);
    }
    let mut configs = Vec::new();
    for s in &scenarios {
        let (trials, seed) = trials_and_seed(&args.run, s, 1)?;
        configs.push(EngineConfig::new(trials, seed, args.run.threads));
    }
    let names = labels(&files);
    let flags = &args.run.output;
    let dir = args
        .run
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join("backtest"));
    // Before the first trial: an unwritable --out fails now, not after the simulation.
    let folder = ResultsFolder::create(&dir, "backtest")?;

    let total: u64 = configs.iter().map(|c| c.trials).sum();
    let bar = progress_bar(total, flags.silent(), "trials (all backtests)");
    let progress = |n: u64| bar.inc(n);
    let mut entries = Vec::new();
    for (((s, cfg), path), name) in scenarios.iter().zip(&configs).zip(&files).zip(&names) {
        let result = capsim::analysis::backtest(s, cfg, Some(&progress))
            .with_context(|| format!("backtest {}", path.display()));
        // A backtest runs to its end; Ctrl-C stops before the next one.
        let result = folder.unless_interrupted(result, bar.position(), total)?;
        entries.push(Entry {
            name: name.clone(),
            file: path.display().to_string(),
            result,
        });
    }
    bar.finish_and_clear();
    let calibration = Calibration::new(
        entries
            .iter()
            .flat_map(|e| e.result.observations.iter().map(|o| &o.ranked)),
    );
    let report = Report {
        capsim_version: env!("CARGO_PKG_VERSION").into(),
        backtests: entries,
        calibration,
    };

    let dir = folder.path();
    write_atomic(&dir.join("backtest.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &report)?;
        Ok(w.write_all(b"\n")?)
    })?;
    write_atomic(&dir.join("backtest.csv"), |w| write_csv(&report, w))?;
    let mut charts = 0;
    if !flags.no_charts {
        for e in &report.backtests {
            let fan = fan_chart(e);
            let size = chart::backtest_fan_size(fan.panels.len());
            charts += write_chart_pair(dir, &format!("{}-fan", e.name), |format| {
                chart::render_backtest_fan(&fan, format, size)
            })?
            .len();
        }
        let cal = calibration_chart(&report);
        charts += write_chart_pair(dir, "calibration", |format| {
            chart::render_calibration(&cal, format, chart::DEFAULT_SIZE)
        })?
        .len();
    }

    folder.unless_interrupted(Ok(()), total, total)?;
    let shown = folder.shown().to_path_buf();
    folder.commit()?;
    if flags.json {
        print_json(&report)?;
    } else if !flags.quiet {
        let mut files = "backtest.json, backtest.csv".to_owned();
        if charts > 0 {
            files.push_str(", charts/{<backtest>-fan,calibration}.{png,svg}");
        }
        to_stdout(|w| {
            write!(w, "{}", render_table(&report))?;
            writeln!(w, "\nWrote {files} to {}", shown.display())
        })?;
    }
    Ok(())
}

/// How a metric reads in tables and charts.
fn metric_label(m: ObservedMetric) -> &'static str {
    match m {
        ObservedMetric::OnlineGpus => "online GPUs",
        ObservedMetric::InstalledGpus => "installed GPUs",
        ObservedMetric::DeliveredGpus => "delivered GPUs",
        ObservedMetric::DeliveredRacks => "delivered racks",
        ObservedMetric::EnergizedMw => "energized MW",
    }
}

/// A value in its metric's unit: MW with one decimal, counts with thousands separators.
fn value(m: ObservedMetric, v: f64) -> String {
    match m {
        ObservedMetric::EnergizedMw => format!("{v:.1}"),
        _ => thousands(v),
    }
}

fn where_(site: &Option<String>) -> String {
    site.clone().unwrap_or_else(|| "fleet".into())
}

fn write_csv(report: &Report, w: &mut dyn Write) -> Result<()> {
    let mut out = csv::Writer::from_writer(w);
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

fn render_table(r: &Report) -> String {
    let mut t = String::new();
    for e in &r.backtests {
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
            .map(|o| where_(&o.site).len())
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
                where_(&o.site),
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
    t.push_str(&calibration_text(&r.calibration, r.backtests.len()));
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

fn fan_chart(e: &Entry) -> BacktestFan {
    let b = &e.result;
    let days = (b.horizon - b.start).get_days().max(0) as usize + 1;
    let day_of = |o: &RankedObservation| (o.date - b.start).get_days() as f64;
    let panels = b
        .bands
        .iter()
        .map(|band| FanPanel {
            label: format!("{} · {}", metric_label(band.metric), where_(&band.site)),
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

fn calibration_chart(r: &Report) -> CalibrationChart {
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

    #[test]
    fn labels_are_unique_stems() {
        let l = labels(&[
            PathBuf::from("a/bt1.toml"),
            PathBuf::from("b/bt1.toml"),
            PathBuf::from("bt2.toml"),
        ]);
        assert_eq!(l, ["bt1", "bt1-2", "bt2"]);
    }

    #[test]
    fn the_reading_names_the_side_of_the_misses() {
        let at = |position| capsim::analysis::backtest::Ranked {
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
