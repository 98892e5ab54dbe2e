//! `capsim run`: a fixed trial count or a precision target, then the constraint costs; one shard
//! of the trials with `--shard`/`--shards`.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use capsim::analysis::{self, RunRequest, RunResult, Simulated};
use capsim::engine::RunHooks;
use capsim::model::Model;
use capsim::output;
use capsim::results::{self, TrialsCsvFile};
use capsim::scenario::Scenario;
use capsim::shard::Shard;
use capsim::stats::{ConstraintCosts, PrecisionReport, PrecisionTarget, TrialOutcome};
use indicatif::ProgressBar;

use super::args::{OutputFlags, RunArgs};
use super::common::{
    CANCEL, InputError, compile, load, out_dir, progress_bar, to_stdout, trials_and_seed,
};
use super::folder::ResultsFolder;
use super::shard::{shard_dir, write_shard};

/// `capsim run`.
pub(crate) fn run(args: RunArgs) -> Result<()> {
    let scenario = load(&args.scenario)?;
    let (trials, seed) = trials_and_seed(&args.run, &scenario, 1)?;
    let precision = precision_target(&args)?;
    let quiet = args.run.output.silent();
    if precision.is_some() && (args.shard.shard.is_some() || args.shard.shards.is_some()) {
        bail!(InputError(
            "--precision and --precision-days cannot be combined with sharding: a shard runs a \
             fixed slice of a fixed trial count (pick --trials from an unsharded precision run)"
                .into()
        ));
    }
    let request = RunRequest {
        trials,
        shard: super::shard::resolve(&args.shard, trials, quiet)?,
        seed,
        threads: args.run.threads,
        precision,
        max_trials: args.max_trials,
        cost_trials: args.cost_trials,
    };
    if let Some(shard) = request.shard {
        if !args.trace.is_empty() {
            bail!(InputError(
                "--trace cannot be combined with sharding: trace the trial in an unsharded run \
                 (it re-simulates only that trial)"
                    .into()
            ));
        }
        return run_shard(&args, &scenario, shard, &request);
    }
    if precision.is_none() {
        check_traces(&args.trace, trials)?;
    }
    let model = compile(&scenario)?;
    let out_dir = out_dir(&args.run, &results::file_stem(&args.scenario.scenario))?;
    // Before the first trial: an unwritable --out fails now, not after the simulation.
    let folder = ResultsFolder::create(&out_dir, "run")?;

    let bar = progress_bar(trials, quiet, "trials");
    let progress = |n: u64| {
        bar.inc(n);
        // A precision run adds trials as it goes: let the bar grow with it.
        if bar.length().is_some_and(|len| bar.position() > len) {
            bar.set_length(bar.position());
        }
    };
    let started = Instant::now();
    let trials_csv = args.trials_csv.then(|| folder.path().join("trials.csv"));
    let simulated = simulate(
        &model,
        &request,
        trials_csv.as_deref().map(|p| (p, scenario.start)),
        &progress,
    );
    let simulated =
        folder.unless_interrupted(simulated, bar.position(), request.planned_trials())?;
    // A precision run decides its own trial count; everything below reports the final one.
    let run_trials = simulated.accumulator.trials();
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    let timing = format!(
        "{} trials in {:.2} s ({:.0} trials/s)",
        run_trials,
        elapsed.as_secs_f64(),
        run_trials as f64 / elapsed.as_secs_f64().max(1e-9),
    );
    let costs = constraint_costs(&model, &request, run_trials, quiet);
    let costs = folder.unless_interrupted(costs, run_trials, run_trials)?;
    // A precision run knows its trial count only now.
    check_traces(&args.trace, run_trials)?;
    let charts = super::common::chart_options(&args.run.output)?;
    let mut trace_summaries = String::new();
    for &trial in &args.trace {
        let trace = analysis::trace(&model, seed, trial);
        results::write_trace(
            folder.path(),
            &trace,
            scenario.start,
            scenario.deadline,
            charts.as_ref(),
        )?;
        trace_summaries.push('\n');
        trace_summaries.push_str(&output::render_trace_summary(
            &trace,
            scenario.target_gpus,
            scenario.start,
        ));
    }
    let result = RunResult::new(&scenario, seed, simulated, costs);
    finish_results(
        folder,
        &result,
        args.trials_csv,
        &args.trace,
        &args.run.output,
        &timing,
    )?;
    if !args.run.output.silent() {
        to_stdout(|w| w.write_all(trace_summaries.as_bytes()))?;
    }
    Ok(())
}

/// Every `--trace` trial must be one of the run's `trials` (0-based).
fn check_traces(traces: &[u64], trials: u64) -> Result<()> {
    if let Some(&bad) = traces.iter().find(|&&t| t >= trials) {
        bail!(InputError(format!(
            "--trace {bad}: trials are numbered from 0 to {} in this run of {trials} trials \
             (trials.csv's `trial` column)",
            trials - 1
        )));
    }
    Ok(())
}

/// What each constraint costs, on the first `min(cost_trials, run_trials)` trials of the run,
/// with a progress bar; `None` when that is 0.
fn constraint_costs(
    model: &Model,
    request: &RunRequest,
    run_trials: u64,
    silent: bool,
) -> Result<Option<ConstraintCosts>> {
    let spinner = cost_spinner(request, run_trials, silent);
    let costs = request.constraint_costs(model, run_trials, &|n| spinner.inc(n))?;
    spinner.finish_and_clear();
    Ok(costs)
}

/// The progress bar of the constraint costs of `request` after `run_trials`; hidden when
/// `silent` or when there are none.
pub(crate) fn cost_spinner(request: &RunRequest, run_trials: u64, silent: bool) -> ProgressBar {
    let total = request.cost_trials_total(run_trials);
    progress_bar(total, silent || total == 0, "trials (constraint costs)")
}

/// Writes the results folder of `result` (`trials.csv`, when `trials_csv`, and the
/// `trace-<TRIAL>.csv` files of `traces` are already in it), swaps it into place, then prints
/// the table (or JSON); `done` ends the last line (e.g. the timing).
pub(crate) fn finish_results(
    folder: ResultsFolder,
    result: &RunResult,
    trials_csv: bool,
    traces: &[u64],
    flags: &OutputFlags,
    done: &str,
) -> Result<()> {
    let charts = super::common::chart_options(flags)?;
    let written = results::write_run(folder.path(), result, charts.as_ref())?;
    if !flags.silent() {
        for note in &written.charts.skipped {
            eprintln!("note: {note}");
        }
    }
    let trials = result.accumulator.trials();
    folder.unless_interrupted(Ok(()), trials, trials)?;
    let shown = folder.shown().to_path_buf();
    folder.commit()?;

    let summary = result.summary();
    if flags.json {
        let mut json = Vec::new();
        output::write_summary_json(&summary, &mut json)?;
        to_stdout(|w| w.write_all(&json))?;
    } else if !flags.quiet {
        let mut files = written.files.clone();
        if trials_csv {
            files.push("trials.csv");
        }
        let trace_files: Vec<String> = traces.iter().map(|t| format!("trace-{t}.csv")).collect();
        files.extend(trace_files.iter().map(String::as_str));
        let chart_note = format!("{} charts (charts/)", written.charts.files.len());
        if written.report.is_some() {
            files.push(results::REPORT_FILE);
        }
        if !written.charts.files.is_empty() {
            files.push(&chart_note);
        }
        to_stdout(|w| {
            write!(w, "{}", output::render_table(&summary))?;
            if let Some(p) = &summary.precision {
                writeln!(w, "\n{}", precision_line(p))?;
            }
            writeln!(
                w,
                "\n{done}. Wrote {} to {}",
                files.join(", "),
                shown.display()
            )
        })?;
    }
    Ok(())
}

/// The precision target of `run`, if one was asked for.
fn precision_target(args: &RunArgs) -> Result<Option<PrecisionTarget>> {
    if let Some(h) = args.precision
        && !(h > 0.0 && h <= 0.5)
    {
        bail!(InputError(format!(
            "--precision is a half-width for a probability and must lie in (0, 0.5], e.g. 0.005 (found {h})"
        )));
    }
    if let Some(d) = args.precision_days
        && !(d > 0.0 && d.is_finite())
    {
        bail!(InputError(format!(
            "--precision-days must be a positive number of days, e.g. 3 (found {d})"
        )));
    }
    Ok(
        (args.precision.is_some() || args.precision_days.is_some()).then_some(PrecisionTarget {
            p_target_half_width: args.precision,
            median_day_half_width: args.precision_days,
        }),
    )
}

/// One line on where a precision run ended.
fn precision_line(p: &PrecisionReport) -> String {
    let mut parts = vec![format!(
        "P(target) ±{:.4}{}",
        p.p_target_half_width,
        p.p_target_half_width_target
            .map(|t| format!(" (target ±{t})"))
            .unwrap_or_default()
    )];
    if let Some(t) = p.median_day_half_width_target {
        let reached = p
            .median_day_half_width
            .map(|h| format!("±{h:.1} days"))
            .unwrap_or_else(|| "unbounded (too many trials never reach the target)".into());
        parts.push(format!(
            "median full-capacity day {reached} (target ±{t} days)"
        ));
    }
    format!(
        "Precision: {} after {} trials: {}",
        parts.join(", "),
        p.trials,
        if p.met {
            "target met"
        } else {
            "target NOT met (trial cap reached; raise --max-trials)"
        }
    )
}

/// Runs the request's trials (see [`analysis::simulate`]); with `trials_csv` (file, scenario
/// start date), streams one row per trial into that file ([`TrialsCsvFile`]).
pub(crate) fn simulate(
    model: &Model,
    request: &RunRequest,
    trials_csv: Option<(&Path, jiff::civil::Date)>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Simulated> {
    let mut hooks = RunHooks {
        cancel: Some(&CANCEL),
        progress: Some(progress),
        trial_sink: None,
    };
    let Some((path, start)) = trials_csv else {
        return Ok(analysis::simulate(model, request, hooks)?);
    };
    let mut file = TrialsCsvFile::create(path, model, start)?;
    let mut sink = |trial: u64, outcome: &TrialOutcome| file.write(trial, outcome);
    hooks.trial_sink = Some(&mut sink);
    let simulated = analysis::simulate(model, request, hooks)
        .with_context(|| format!("writing {}", path.display()))?;
    file.finish()?;
    Ok(simulated)
}

/// `capsim run --shard K/N` or `--shards N`: runs one shard and writes its partial result.
pub(crate) fn run_shard(
    args: &RunArgs,
    scenario: &Scenario,
    shard: Shard,
    request: &RunRequest,
) -> Result<()> {
    let model = compile(scenario)?;
    let dir = shard_dir(&args.run, &results::file_stem(&args.scenario.scenario))?;
    let csv_name = format!("{}.trials.csv", shard.stem());
    let csv_path = dir.join(&csv_name);
    let bar = progress_bar(request.planned_trials(), args.run.output.silent(), "trials");
    let started = Instant::now();
    let simulated = simulate(
        &model,
        request,
        args.trials_csv
            .then_some((csv_path.as_path(), scenario.start)),
        &|n| bar.inc(n),
    )?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let trials_csv = args.trials_csv.then_some(csv_name);
    let (header, body) = analysis::run::partial(scenario, request, simulated, trials_csv)?;
    write_shard(&dir, header, &[body], &args.run.output, seconds)
}
