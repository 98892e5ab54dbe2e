//! One function per command: read, check, compile, run, write. Files are written atomically (a
//! temporary file in the target directory, renamed on success), results folders whole
//! ([`ResultsFolder`]), and standard output without panicking ([`to_stdout`]).

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use capsim::analysis::{self, RunRequest, RunResult, Simulated};
use capsim::engine::RunHooks;
use capsim::model::Model;
use capsim::output::{self, TrialsCsv};
use capsim::results::{self, ChartOptions};
use capsim::scenario::{self, Scenario};
use capsim::stats::{ConstraintCosts, PrecisionReport, PrecisionTarget};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::{
    OutputFlags, PlotArgs, PlotFormat, RunArgs, RunFlags, ScenarioArgs, ValidateArgs,
};
use super::folder::ResultsFolder;
use super::{CANCEL, to_stdout};
pub(crate) use capsim::analysis::run::{DEFAULT_SEED, DEFAULT_TRIALS};
use capsim::chart::{ChartData, ChartFormat};
pub(crate) use capsim::results::write_chart_pair;

/// An error in what the user gave us (scenario or flags): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct InputError(pub(crate) String);

/// Trials and seed of a command: the flag, else the scenario's value, else the default; the
/// trial count must lie in `min_trials..=u32::MAX`.
pub(crate) fn trials_and_seed(
    flags: &RunFlags,
    scenario: &Scenario,
    min_trials: u64,
) -> Result<(u64, u64)> {
    let trials = flags.trials.or(scenario.trials).unwrap_or(DEFAULT_TRIALS);
    let seed = flags.seed.or(scenario.seed).unwrap_or(DEFAULT_SEED);
    if trials < min_trials || trials > u64::from(u32::MAX) {
        bail!(InputError(format!(
            "--trials must be between {min_trials} and {} (found {trials})",
            u32::MAX
        )));
    }
    Ok((trials, seed))
}

/// A scenario file's stem, e.g. `aws-openai-2026` for `scenarios/aws-openai-2026.toml`.
pub(crate) fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into())
}

/// The results folder of a command: `--out`, else `out/<default_name>`. Not created here: a
/// [`ResultsFolder`] builds it.
pub(crate) fn out_dir(flags: &RunFlags, default_name: &str) -> Result<PathBuf> {
    Ok(flags
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(default_name)))
}

/// Prints `value` as pretty JSON on stdout.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let json = serde_json::to_string_pretty(value)?;
    Ok(to_stdout(|w| writeln!(w, "{json}"))?)
}

pub(crate) fn load(args: &ScenarioArgs) -> Result<Scenario> {
    Ok(scenario::load(&args.scenario, &args.overrides)?)
}

/// Unique labels from file stems: a repeated stem gets `-2`, `-3`, ...
pub(crate) fn labels(paths: &[PathBuf]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in paths {
        let stem = stem(p);
        let mut label = stem.clone();
        let mut k = 2;
        while out.contains(&label) {
            label = format!("{stem}-{k}");
            k += 1;
        }
        out.push(label);
    }
    out
}

pub(crate) fn compile(s: &Scenario) -> Result<Model> {
    Model::compile(s).context("compiling the scenario")
}

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
        return super::shard::run_shard(&args, &scenario, shard, &request);
    }
    let model = compile(&scenario)?;
    let out_dir = out_dir(&args.run, &stem(&args.scenario.scenario))?;
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
    let result = RunResult::new(&scenario, seed, simulated, costs);
    finish_results(folder, &result, args.trials_csv, &args.run.output, &timing)
}

/// What each constraint costs, on the first `min(cost_trials, run_trials)` trials of the run,
/// with a progress bar; `None` when that is 0.
pub(crate) fn constraint_costs(
    model: &Model,
    request: &RunRequest,
    run_trials: u64,
    silent: bool,
) -> Result<Option<ConstraintCosts>> {
    let total = request.cost_trials_total(run_trials);
    let spinner = progress_bar(total, silent || total == 0, "trials (constraint costs)");
    let costs = request.constraint_costs(model, run_trials, &|n| spinner.inc(n))?;
    spinner.finish_and_clear();
    Ok(costs)
}

/// Writes the results folder of `result` (`trials.csv`, when `trials_csv`, is already in it),
/// swaps it into place, then prints the table (or JSON); `done` ends the last line (e.g. the
/// timing).
pub(crate) fn finish_results(
    folder: ResultsFolder,
    result: &RunResult,
    trials_csv: bool,
    flags: &OutputFlags,
    done: &str,
) -> Result<()> {
    let charts = (!flags.no_charts).then(ChartOptions::default);
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
        let chart_note = format!("{} charts (charts/)", written.charts.files.len());
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

/// `capsim plot`: redraws the charts of a results folder without re-simulating.
pub(crate) fn plot(args: PlotArgs) -> Result<()> {
    let data = ChartData::read_dir(&args.out_dir).map_err(|e| InputError(e.to_string()))?;
    let formats = match args.format {
        PlotFormat::Png => vec![ChartFormat::Png],
        PlotFormat::Svg => vec![ChartFormat::Svg],
        PlotFormat::Both => vec![ChartFormat::Png, ChartFormat::Svg],
    };
    // Each chart is replaced atomically; a plot killed midway leaves only temporary files,
    // removed here by the next one.
    results::remove_stale_temp_files(&args.out_dir.join("charts"));
    let options = ChartOptions {
        formats,
        size: (args.width, args.height),
    };
    let written = results::write_charts(&args.out_dir, &data, &options)?;
    for note in &written.skipped {
        eprintln!("note: {note}");
    }
    let charts = args.out_dir.join("charts");
    Ok(to_stdout(|w| {
        writeln!(
            w,
            "Wrote {} charts to {}",
            written.files.len(),
            charts.display()
        )
    })?)
}

/// A progress bar on stderr counting `total` trials (`what` names them, e.g. "trials (all
/// scenarios)"), with rate and ETA; hidden when `hidden` or when stderr is not a terminal.
pub(crate) fn progress_bar(total: u64, hidden: bool, what: &str) -> ProgressBar {
    if hidden || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template =
        format!("{{bar:40.cyan/blue}} {{human_pos}}/{{human_len}} {what}  {{rate}}  ETA {{eta}}");
    bar.set_style(
        ProgressStyle::with_template(&template)
            .map(|style| {
                style.with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0} trials/s", state.per_sec());
                    },
                )
            })
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
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
/// start date), streams one row per trial into that file, written atomically.
pub(crate) fn simulate(
    model: &Model,
    request: &RunRequest,
    trials_csv: Option<(&Path, jiff::civil::Date)>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Simulated> {
    let Some((path, start)) = trials_csv else {
        let hooks = RunHooks {
            cancel: Some(&CANCEL),
            progress: Some(progress),
            trial_sink: None,
        };
        return Ok(analysis::simulate(model, request, hooks)?);
    };
    let tmp = results::temp_in(path.parent().unwrap_or(Path::new(".")))?;
    let file = tmp
        .reopen()
        .with_context(|| format!("writing {}", path.display()))?;
    let mut rows = TrialsCsv::new(
        BufWriter::new(file),
        model.input_names(),
        start,
        model.deadline_day as u32,
    )?;
    let mut sink =
        |t: u64, o: &capsim::stats::TrialOutcome| rows.write(t, o).map_err(std::io::Error::other);
    let hooks = RunHooks {
        cancel: Some(&CANCEL),
        progress: Some(progress),
        trial_sink: Some(&mut sink),
    };
    let simulated = analysis::simulate(model, request, hooks)
        .with_context(|| format!("writing {}", path.display()))?;
    rows.finish()?
        .flush()
        .with_context(|| format!("writing {}", path.display()))?;
    results::publish(tmp, path)?;
    Ok(simulated)
}

/// `capsim validate`.
pub(crate) fn validate(args: ValidateArgs) -> Result<()> {
    let s = load(&args.scenario)?;
    compile(&s)?;
    let seed = s.seed.unwrap_or(DEFAULT_SEED);
    let trials = s.trials.unwrap_or(DEFAULT_TRIALS);
    let f = s.figures();
    // Built whole, then written once: a closed pipe or a full disk is one error, never a panic.
    let mut out = Vec::new();
    writeln!(
        out,
        "# {} is valid. Resolved scenario:\n",
        args.scenario.scenario.display()
    )?;
    write!(out, "{}", s.resolved_toml(seed, trials))?;
    writeln!(out, "\n# Derived figures (plan only, no uncertainty)")?;
    let lines = [
        (
            "simulated days",
            format!("{} ({} to {})", s.days(), s.start, s.horizon),
        ),
        (
            "planned racks by deadline",
            format!(
                "{:.0} ({:.0} GPUs)",
                f.planned_racks_by_deadline, f.planned_gpus_by_deadline
            ),
        ),
        (
            "planned racks, whole schedules",
            format!("{:.0}", f.planned_racks_total),
        ),
        (
            "racks for the target",
            format!("{:.0} ({} GPUs)", f.racks_for_target, s.target_gpus),
        ),
        (
            "facility MW for the target",
            format!("{:.0}", f.facility_mw_for_target),
        ),
        (
            "facility MW planned",
            format!(
                "{:.0} ({:.0} by the deadline)",
                f.facility_mw_planned, f.facility_mw_planned_by_deadline
            ),
        ),
        (
            "most GPUs power and floor can host",
            format!("{:.0}", f.max_gpus_hosted),
        ),
        ("most GPUs hostable by the deadline", {
            let caps: Vec<String> = f
                .binding_caps_by_deadline
                .iter()
                .map(|c| format!("`{}`", c.id))
                .collect();
            if caps.is_empty() {
                format!("{:.0}", f.max_gpus_hosted_by_deadline)
            } else {
                format!(
                    "{:.0} (held by power cap{} {}; {:.0} without caps)",
                    f.max_gpus_hosted_by_deadline,
                    if caps.len() == 1 { "" } else { "s" },
                    caps.join(", "),
                    f.max_gpus_hosted_by_deadline_without_caps
                )
            }
        }),
    ];
    for (label, value) in lines {
        writeln!(out, "#   {label:<36}{value}")?;
    }
    for w in &s.warnings {
        writeln!(out, "# warning: {w}")?;
    }
    Ok(to_stdout(|w| w.write_all(&out))?)
}

/// Writes `path` through a temporary file in the same directory, renamed into place only when
/// `fill` succeeds: a failed run never leaves a half-written file or clobbers an earlier one.
pub(crate) fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = results::temp_in(dir)?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        fill(&mut w).with_context(|| format!("writing {}", path.display()))?;
        w.flush()
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(results::publish(tmp, path)?)
}
