//! `capsim solve`: the flags become a [`SolveRequest`], the library bisects
//! ([`capsim::analysis::solve`]) and writes the folder ([`results::write_solve`]); here are the
//! progress bar and what is printed.

use std::path::PathBuf;

use anyhow::Result;
use capsim::analysis::solve::{Goal, SolvePlan, SolveRange, SolveRequest};
use capsim::output;
use capsim::results;

use super::args::SolveArgs;
use super::common::{CANCEL, InputError, print_json, progress_bar, to_stdout};
use super::folder::ResultsFolder;

/// `capsim solve`.
pub(crate) fn solve(args: SolveArgs) -> Result<()> {
    let range = SolveRange::parse(&args.vary).map_err(InputError)?;
    let goal = Goal::parse(&args.goal).map_err(InputError)?;
    let request = SolveRequest {
        overrides: args.overrides.clone(),
        trials: args.run.trials,
        seed: args.run.seed,
        threads: args.run.threads,
        tolerance: args.tolerance,
        max_steps: args.max_steps,
        ..SolveRequest::new(args.scenario.clone(), range, goal)
    };
    let plan = SolvePlan::new(&request)?;
    let dir = args.run.out.clone().unwrap_or_else(|| {
        PathBuf::from("out").join(format!("solve-{}", results::file_stem(&args.scenario)))
    });
    // Before the first trial: an unwritable --out fails now, not after the runs.
    let folder = ResultsFolder::create(&dir, "solve")?;
    let total = plan.max_trials();
    let bar = progress_bar(
        total,
        args.run.output.silent(),
        "trials (at most, all steps)",
    );
    let result = plan.run(request.threads, Some(&CANCEL), &|n| bar.inc(n));
    let result = folder.unless_interrupted(result.map_err(Into::into), bar.position(), total)?;
    bar.finish_and_clear();

    let charts = super::common::chart_options(&args.run.output)?;
    let written = results::write_solve(folder.path(), &result, charts.as_ref())?;
    let done = bar.position();
    folder.unless_interrupted(Ok(()), done, done)?;
    let shown = folder.shown().to_path_buf();
    folder.commit()?;
    if args.run.output.json {
        print_json(&result)?;
    } else if !args.run.output.quiet {
        let mut files: Vec<String> = written.files.iter().map(|f| (*f).to_owned()).collect();
        files.extend(written.charts.iter().map(|path| {
            let file = path.file_name().unwrap_or_default().to_string_lossy();
            format!("charts/{file}")
        }));
        if written.report.is_some() {
            files.push(results::REPORT_FILE.to_owned());
        }
        to_stdout(|w| {
            write!(w, "{}", output::render_solve_table(&result))?;
            writeln!(w, "\nWrote {} to {}", files.join(", "), shown.display())
        })?;
    }
    Ok(())
}
