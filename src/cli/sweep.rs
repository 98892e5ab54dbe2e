//! `capsim sweep`: the flags become a [`SweepRequest`], the library plans and runs it
//! ([`capsim::analysis::sweep`]) and writes its folder ([`results::write_sweep`]); here are the
//! progress bar, the shard's partial and what is printed.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use capsim::analysis::sweep::{SweepPlan, SweepRequest, SweepResult, Swept, Vary};
use capsim::output;
use capsim::results;
use capsim::shard::MergedRuns;

use super::args::{OutputFlags, SweepArgs};
use super::common::{CANCEL, to_stdout};
use super::common::{InputError, print_json, progress_bar};
use super::folder::ResultsFolder;

/// `capsim sweep`.
pub(crate) fn sweep(args: SweepArgs) -> Result<()> {
    let vary: Vec<Vary> = args
        .vary
        .iter()
        .map(|a| Vary::parse(a).map_err(InputError))
        .collect::<Result<_, _>>()?;
    let request = SweepRequest {
        scenario: args.scenario.clone(),
        overrides: args.overrides.clone(),
        vary,
        threshold: args.threshold,
        trials: args.run.trials,
        seed: args.run.seed,
        threads: args.run.threads,
        shard: None,
    };
    let plan = SweepPlan::new(&request)?;
    let quiet = args.run.output.silent();
    let shard = super::shard::resolve(&args.shard, plan.trials, quiet)?;
    let name = format!("sweep-{}", results::file_stem(&args.scenario));
    let dir = super::shard::results_dir(&args.run, shard, &name)?;
    // Unsharded, the results folder is built aside from the first trial on (an unwritable --out
    // fails now); a shard writes its partial into a folder shared by all shards.
    let folder = match shard {
        None => Some(ResultsFolder::create(&dir, "sweep")?),
        Some(_) => None,
    };
    let total = plan.trials_to_run(shard);
    let bar = progress_bar(total, quiet, "trials (all grid points)");
    let started = Instant::now();
    let swept = plan.run(request.threads, shard, Some(&CANCEL), &|n| bar.inc(n));
    let swept = match &folder {
        Some(f) => f.unless_interrupted(swept.map_err(Into::into), bar.position(), total)?,
        None => swept?,
    };
    bar.finish_and_clear();
    match swept {
        Swept::Whole(result) => {
            let folder = folder.context("an unsharded sweep has a results folder")?;
            write_outputs(&result, folder, &args.run.output)
        }
        Swept::Shard(partial) => {
            let seconds = started.elapsed().as_secs_f64();
            let flags = &args.run.output;
            super::shard::write_shard(&dir, partial.header, &partial.bodies, flags, seconds)
        }
    }
}

/// `merge` of a sharded sweep: the outputs the unsharded sweep writes, as the results folder
/// `dir`, whole.
pub(crate) fn write_merged(m: &MergedRuns<'_>, dir: &Path, flags: &OutputFlags) -> Result<()> {
    let result = SweepResult::from_merged(m)?;
    write_outputs(&result, ResultsFolder::create(dir, "sweep")?, flags)
}

/// Writes the folder of `result`, swaps it into place and prints the table or JSON.
fn write_outputs(result: &SweepResult, folder: ResultsFolder, flags: &OutputFlags) -> Result<()> {
    let charts = super::common::chart_options(flags)?;
    let written = results::write_sweep(folder.path(), result, charts.as_ref())?;
    let done = result.trials * result.points.len() as u64;
    folder.unless_interrupted(Ok(()), done, done)?;
    let shown = folder.shown().to_path_buf();
    folder.commit()?;

    if flags.json {
        print_json(result)?;
    } else if !flags.quiet {
        let mut files: Vec<String> = written.files.iter().map(|f| (*f).to_owned()).collect();
        files.extend(written.charts.iter().map(|path| {
            let file = path.file_name().unwrap_or_default().to_string_lossy();
            format!("charts/{file}")
        }));
        if written.report.is_some() {
            files.push(results::REPORT_FILE.to_owned());
        }
        to_stdout(|w| {
            write!(w, "{}", output::render_sweep_table(result))?;
            writeln!(w, "\nWrote {} to {}", files.join(", "), shown.display())?;
            Ok(())
        })?;
    }
    Ok(())
}
