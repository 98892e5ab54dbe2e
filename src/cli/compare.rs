//! `capsim compare`: turns the flags into a [`CompareRequest`], runs it
//! ([`capsim::analysis::compare()`]) with a progress bar and writes its results folder
//! ([`capsim::results::write_compare`]), or a shard's partial result, then prints.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use capsim::analysis::compare::{CompareRequest, CompareResult, CompareScenario};
use capsim::output;
use capsim::results;
use capsim::shard::MergedRuns;

use super::args::{CompareArgs, OutputFlags};
use super::common::{CANCEL, to_stdout};
use super::common::{print_json, progress_bar, trials_and_seed};
use super::folder::ResultsFolder;

/// `capsim compare`.
pub(crate) fn compare(args: CompareArgs) -> Result<()> {
    let mut scenarios = Vec::new();
    for path in &args.scenarios {
        scenarios.push(capsim::scenario::load(path, &args.overrides)?);
    }
    let (trials, seed) = trials_and_seed(&args.run, &scenarios[0], 1)?;
    let labels = results::unique_labels(&args.scenarios);
    let quiet = args.run.output.silent();
    let request = CompareRequest {
        shard: super::shard::resolve(&args.shard, trials, quiet)?,
        scenarios: labels
            .iter()
            .zip(&args.scenarios)
            .zip(scenarios)
            .map(|((label, path), scenario)| CompareScenario {
                label: label.clone(),
                file: path.display().to_string(),
                scenario,
            })
            .collect(),
        trials,
        seed,
        threads: args.run.threads,
    };
    let name = format!("compare-{}-vs-{}", labels[0], labels[1]);
    let dir = super::shard::results_dir(&args.run, request.shard, &name)?;
    // Unsharded, the results folder is built aside from the first trial on (an unwritable --out
    // fails now); a shard writes its partial into a folder shared by all shards.
    let folder = match request.shard {
        None => Some(ResultsFolder::create(&dir, "compare")?),
        Some(_) => None,
    };

    let total = request.planned_trials();
    let bar = progress_bar(total, quiet, "trials (all scenarios)");
    let started = Instant::now();
    let result = capsim::analysis::compare(&request, Some(&CANCEL), &|n| bar.inc(n))
        .map_err(anyhow::Error::from);
    let result = match &folder {
        Some(f) => f.unless_interrupted(result, bar.position(), total)?,
        None => result?,
    };
    bar.finish_and_clear();
    let Some(folder) = folder else {
        let (header, bodies) = result
            .partial()
            .context("a sharded comparison has a partial result")?;
        let seconds = started.elapsed().as_secs_f64();
        return super::shard::write_shard(&dir, header, &bodies, &args.run.output, seconds);
    };
    finish(folder, &result, &args.run.output)
}

/// `merge` of a sharded comparison: the outputs the unsharded comparison writes, as the
/// results folder `dir`, whole.
pub(crate) fn write_merged(m: &MergedRuns<'_>, dir: &Path, flags: &OutputFlags) -> Result<()> {
    let result = CompareResult::from_merged(m)?;
    finish(ResultsFolder::create(dir, "compare")?, &result, flags)
}

/// Writes the results of `result` into `folder`, swaps it into place and prints the table or
/// JSON.
fn finish(folder: ResultsFolder, result: &CompareResult, flags: &OutputFlags) -> Result<()> {
    let charts = super::common::chart_options(flags)?;
    let written = results::write_compare(folder.path(), result, charts.as_ref())?;
    let done = result.trials * result.runs.len() as u64;
    folder.unless_interrupted(Ok(()), done, done)?;
    let shown = folder.shown().to_path_buf();
    folder.commit()?;

    let report = result.report();
    if flags.json {
        print_json(&report)?;
    } else if !flags.quiet {
        let mut files = format!(
            "{}, {}/{{{}}}",
            written.files.join(", "),
            result.labels().join("|"),
            written.scenario_files.join(", ")
        );
        if written.report.is_some() {
            files.push_str(", report.html");
        }
        if !written.charts.is_empty() {
            files.push_str(&format!(
                ", charts/{{overlay,differences}}.{}",
                flags.chart.extensions()
            ));
        }
        to_stdout(|w| {
            write!(w, "{}", output::render_compare_table(&report))?;
            writeln!(w, "\nWrote {files} to {}", shown.display())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn labels_are_unique_stems() {
        let l = results::unique_labels(&[
            PathBuf::from("a/base.toml"),
            PathBuf::from("b/base.toml"),
            PathBuf::from("slow.toml"),
        ]);
        assert_eq!(l, ["base", "base-2", "slow"]);
    }
}
