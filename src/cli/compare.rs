//! `capsim compare`: runs scenarios with the same seed and trial count (so with common random
//! numbers) and compares each with the first, trial by trial.
//!
//! Memory: one 16-byte [`TrialRecord`] per trial and scenario on top of the usual per-run
//! statistics, so O(trials × scenarios) (1.6 MB for 10,000 trials of 10 scenarios).

use std::fmt::Write as _;
use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use capsim::chart::{self, ChartData};
use capsim::engine::{self, RunHooks};
use capsim::output::{self, percent, thousands};
use capsim::stats::{
    Bottleneck, BottleneckShare, FullCapacityDate, GpuDistribution, PairedComparison, Proportion,
    Summary, TrialOutcome, TrialRecord,
};
use serde::{Deserialize, Serialize};

use super::app::{
    InputError, compile, labels, print_json, trials_and_seed, write_atomic, write_chart_pair,
};
use super::args::{CompareArgs, OutputFlags};
use super::folder::ResultsFolder;
use super::{CANCEL, to_stdout};
use capsim::scenario::Scenario;
use capsim::shard::{MergedRuns, PartialBody, PartialHeader, PartialRun};

/// One scenario's own results, as `compare.json` lists them.
#[derive(Debug, Serialize)]
struct ScenarioEntry {
    label: String,
    file: String,
    scenario: String,
    results_dir: String,
    target_gpus: u64,
    deadline: String,
    p_target_by_deadline: Proportion,
    full_capacity_date: FullCapacityDate,
    available_gpus_at_deadline: GpuDistribution,
    bottleneck_share: BottleneckShare,
}

/// One scenario compared with the baseline.
#[derive(Debug, Serialize)]
struct ComparisonEntry {
    scenario: String,
    baseline: String,
    #[serde(flatten)]
    diff: PairedComparison,
}

/// How the intervals are computed (so a reader of the JSON need not look it up).
#[derive(Debug, Serialize)]
struct Methods {
    paired: &'static str,
    p_target_unpaired: &'static str,
    gpus_unpaired: &'static str,
    difference: &'static str,
}

/// `compare.json`.
#[derive(Debug, Serialize)]
struct CompareReport {
    capsim_version: String,
    seed: u64,
    trials: u64,
    baseline: String,
    methods: Methods,
    scenarios: Vec<ScenarioEntry>,
    comparisons: Vec<ComparisonEntry>,
}

/// `capsim compare`.
pub(crate) fn compare(args: CompareArgs) -> Result<()> {
    if args.scenarios.len() < 2 {
        bail!(InputError("compare needs at least two scenarios".into()));
    }
    let mut scenarios = Vec::new();
    for path in &args.scenarios {
        scenarios.push(capsim::scenario::load(path, &args.overrides)?);
    }
    let mut models = Vec::new();
    for (s, path) in scenarios.iter().zip(&args.scenarios) {
        models.push(compile(s).with_context(|| path.display().to_string())?);
    }
    let (trials, seed) = trials_and_seed(&args.run, &scenarios[0], 1)?;
    let plan = ComparePlan {
        files: args
            .scenarios
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        labels: labels(&args.scenarios),
    };
    let quiet = args.run.output.silent();
    let shard = super::shard::resolve(&args.shard, trials, quiet)?;
    let name = format!("compare-{}-vs-{}", plan.labels[0], plan.labels[1]);
    let (dir, config) = super::shard::dir_and_config(&args.run, shard, &name, trials, seed)?;
    // Unsharded, the results folder is built aside from the first trial on (an unwritable --out
    // fails now); a shard writes its partial into a folder shared by all shards.
    let folder = match shard {
        None => Some(ResultsFolder::create(&dir, "compare")?),
        Some(_) => None,
    };
    let total = config.trials * scenarios.len() as u64;

    let bar = super::app::progress_bar(total, quiet, "trials (all scenarios)");
    let progress = |n: u64| bar.inc(n);
    let started = std::time::Instant::now();
    let mut bodies = Vec::new();
    for model in &models {
        let mut recs = Vec::with_capacity(config.trials as usize);
        let deadline_day = model.deadline_day;
        let mut sink = |_t: u64, o: &TrialOutcome| {
            recs.push(TrialRecord::new(
                o.full_capacity_day,
                o.available_gpus_at_deadline,
                deadline_day,
            ));
            Ok(())
        };
        let run = engine::run(
            model,
            &config,
            RunHooks {
                cancel: Some(&CANCEL),
                progress: Some(&progress),
                trial_sink: Some(&mut sink),
            },
        )
        .map_err(anyhow::Error::from);
        let accumulator = match &folder {
            Some(f) => f.unless_interrupted(run, bar.position(), total)?,
            None => run?,
        };
        bodies.push(PartialBody {
            accumulator,
            records: Some(recs),
        });
    }
    bar.finish_and_clear();
    let resolved: Vec<String> = scenarios
        .iter()
        .map(|s| s.resolved_toml(seed, trials))
        .collect();

    if let Some(shard) = shard {
        let runs = plan
            .labels
            .iter()
            .zip(resolved)
            .map(|(label, scenario_toml)| PartialRun {
                label: label.clone(),
                scenario_toml,
            })
            .collect();
        let context = serde_json::to_value(&plan).context("storing the comparison plan")?;
        let header = PartialHeader {
            context,
            ..PartialHeader::new("compare", &scenarios[0].name, runs, seed, trials, shard)
        };
        let seconds = started.elapsed().as_secs_f64();
        return super::shard::write_shard(&dir, header, &bodies, &args.run.output, seconds);
    }
    let folder = folder.context("an unsharded comparison has a results folder")?;
    write_outputs(
        &plan,
        &scenarios,
        &resolved,
        &bodies,
        seed,
        trials,
        folder,
        &args.run.output,
    )
}

/// What a comparison's report needs besides the scenarios and their statistics; a sharded
/// comparison stores it in its partials.
#[derive(Debug, Serialize, Deserialize)]
struct ComparePlan {
    /// The scenario files, as given.
    files: Vec<String>,
    /// Their unique labels (result folder names).
    labels: Vec<String>,
}

/// `merge` of a sharded comparison: the outputs the unsharded comparison writes, as the
/// results folder `dir`, whole.
pub(crate) fn write_merged(m: &MergedRuns<'_>, dir: &Path, flags: &OutputFlags) -> Result<()> {
    let plan: ComparePlan = serde_json::from_value(m.header.context.clone())
        .context("reading the comparison plan stored in the partials")?;
    if plan.labels.len() != m.bodies.len() || m.bodies.iter().any(|b| b.records.is_none()) {
        bail!(InputError(
            "the partials do not hold one set of trial records per compared scenario".into()
        ));
    }
    let resolved: Vec<String> = m
        .header
        .runs
        .iter()
        .map(|r| r.scenario_toml.clone())
        .collect();
    write_outputs(
        &plan,
        m.scenarios,
        &resolved,
        m.bodies,
        m.header.seed,
        m.header.total_trials,
        ResultsFolder::create(dir, "compare")?,
        flags,
    )
}

/// Writes each scenario's results folder, compare.json, compare.csv and the overlay chart into
/// `folder`, swaps it into place and prints the table or JSON. `bodies` hold each scenario's
/// statistics and records.
#[allow(clippy::too_many_arguments)]
fn write_outputs(
    plan: &ComparePlan,
    scenarios: &[Scenario],
    resolved: &[String],
    bodies: &[PartialBody],
    seed: u64,
    trials: u64,
    folder: ResultsFolder,
    flags: &OutputFlags,
) -> Result<()> {
    let dir = folder.path();
    let mut summaries = Vec::new();
    for ((scenario, body), (label, toml)) in scenarios
        .iter()
        .zip(bodies)
        .zip(plan.labels.iter().zip(resolved))
    {
        let run_dir = dir.join(label);
        fs::create_dir_all(&run_dir).with_context(|| format!("creating {}", run_dir.display()))?;
        let summary = Summary::new(&body.accumulator, &engine::run_info(scenario, seed));
        let rows = capsim::stats::daily_rows(&body.accumulator, scenario.start);
        write_atomic(&run_dir.join("summary.json"), |w| {
            Ok(output::write_summary_json(&summary, w)?)
        })?;
        write_atomic(&run_dir.join("daily.csv"), |w| {
            let site_ids: Vec<String> = scenario.sites.iter().map(|s| s.id.clone()).collect();
            Ok(output::write_daily_csv(&rows, &site_ids, w)?)
        })?;
        write_atomic(&run_dir.join("scenario.resolved.toml"), |w| {
            Ok(w.write_all(toml.as_bytes())?)
        })?;
        summaries.push(summary);
    }
    let records: Vec<&[TrialRecord]> = bodies
        .iter()
        .map(|b| b.records.as_deref().unwrap_or_default())
        .collect();
    let report = build_report(plan, &summaries, &records, seed, trials);
    write_atomic(&dir.join("compare.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &report)?;
        Ok(w.write_all(b"\n")?)
    })?;
    write_atomic(&dir.join("compare.csv"), |w| write_csv(&report, w))?;

    let mut charts = Vec::new();
    if !flags.no_charts {
        let mut runs = Vec::new();
        for label in &plan.labels {
            let data = ChartData::read_dir(&dir.join(label))
                .context("reading the results back for the overlay chart")?;
            runs.push((label.clone(), data));
        }
        charts = write_chart_pair(dir, "overlay", |format| {
            chart::render_overlay(&runs, format, chart::DEFAULT_SIZE)
        })?;
    }

    let done = trials * plan.labels.len() as u64;
    folder.unless_interrupted(Ok(()), done, done)?;
    let shown = folder.shown().to_path_buf();
    folder.commit()?;

    if flags.json {
        print_json(&report)?;
    } else if !flags.quiet {
        let mut files = format!(
            "compare.json, compare.csv, {}/{{summary.json, daily.csv, scenario.resolved.toml}}",
            plan.labels.join("|")
        );
        if !charts.is_empty() {
            files.push_str(", charts/overlay.{png,svg}");
        }
        to_stdout(|w| {
            write!(w, "{}", render_table(&report))?;
            writeln!(w, "\nWrote {files} to {}", shown.display())
        })?;
    }
    Ok(())
}

fn build_report(
    plan: &ComparePlan,
    summaries: &[Summary],
    records: &[&[TrialRecord]],
    seed: u64,
    trials: u64,
) -> CompareReport {
    let labels = &plan.labels;
    let scenarios = summaries
        .iter()
        .zip(labels)
        .zip(&plan.files)
        .map(|((s, label), file)| ScenarioEntry {
            label: label.clone(),
            file: file.clone(),
            scenario: s.scenario.clone(),
            results_dir: label.clone(),
            target_gpus: s.target_gpus,
            deadline: s.deadline.clone(),
            p_target_by_deadline: s.p_target_by_deadline,
            full_capacity_date: s.full_capacity_date.clone(),
            available_gpus_at_deadline: s.available_gpus_at_deadline,
            bottleneck_share: s.bottleneck_share,
        })
        .collect();
    let comparisons = records[1..]
        .iter()
        .zip(&labels[1..])
        .map(|(r, label)| ComparisonEntry {
            scenario: label.clone(),
            baseline: labels[0].clone(),
            diff: PairedComparison::new(records[0], r),
        })
        .collect();
    CompareReport {
        capsim_version: env!("CARGO_PKG_VERSION").to_string(),
        seed,
        trials,
        baseline: labels[0].clone(),
        methods: Methods {
            paired: "mean of per-trial differences ± 1.959964·sd/√n (exact [d, d] when all pairs agree)",
            p_target_unpaired: "Newcombe hybrid score interval (Newcombe 1998, method 10)",
            gpus_unpaired: "Welch normal interval: ± 1.959964·√(var_a/n + var_b/n)",
            difference: "scenario minus baseline",
        },
        scenarios,
        comparisons,
    }
}

fn write_csv(report: &CompareReport, w: &mut dyn Write) -> Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let mut header = vec!["label", "file", "scenario", "is_baseline"];
    let headline = output::headline_columns("p_target");
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
        row.extend(output::headline_cells(
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

fn render_table(r: &CompareReport) -> String {
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn labels_are_unique_stems() {
        let l = labels(&[
            PathBuf::from("a/base.toml"),
            PathBuf::from("b/base.toml"),
            PathBuf::from("slow.toml"),
        ]);
        assert_eq!(l, ["base", "base-2", "slow"]);
    }
}
