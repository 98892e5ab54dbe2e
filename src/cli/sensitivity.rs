//! `capsim sensitivity`: the flags become a [`SensitivityRequest`], the library ranks the inputs
//! ([`capsim::analysis::sensitivity`]) and writes the folder
//! ([`capsim::results::write_sensitivity`]); here are the progress bar and the printing.

use anyhow::Result;
use capsim::analysis::sensitivity::{self, Method, SensitivityRequest};
use capsim::output::render_sensitivity_table;
use capsim::results;

use super::args::{SensitivityArgs, SensitivityMethod};
use super::common::{CANCEL, to_stdout};
use super::common::{compile, load, out_dir, print_json, trials_and_seed};
use super::folder::ResultsFolder;

/// `capsim sensitivity`.
pub(crate) fn sensitivity(args: SensitivityArgs) -> Result<()> {
    let scenario = load(&args.scenario)?;
    let (trials, seed) = trials_and_seed(&args.run, &scenario, sensitivity::MIN_TRIALS)?;
    let model = compile(&scenario)?;
    let out_dir = out_dir(
        &args.run,
        &format!(
            "sensitivity-{}",
            results::file_stem(&args.scenario.scenario)
        ),
    )?;
    // Before the first trial: an unwritable --out fails now, not after the simulation.
    let folder = ResultsFolder::create(&out_dir, "sensitivity")?;

    let request = SensitivityRequest {
        method: match args.method {
            SensitivityMethod::Spearman => Method::Spearman,
            SensitivityMethod::Swing => Method::Swing,
            SensitivityMethod::Sobol => Method::Sobol,
        },
        trials,
        seed,
        threads: args.run.threads,
        file: args.scenario.scenario.clone(),
    };
    let total = trials * request.runs(&scenario, &model) as u64;
    let bar = super::common::progress_bar(total, args.run.output.silent(), "trials (all runs)");
    let result =
        sensitivity::sensitivity(&scenario, &model, &request, Some(&CANCEL), &|n| bar.inc(n));
    let result = folder.unless_interrupted(result.map_err(Into::into), bar.position(), total)?;
    bar.finish_and_clear();

    let charts = super::common::chart_options(&args.run.output)?;
    let written = results::write_sensitivity(folder.path(), &result, charts.as_ref())?;
    folder.unless_interrupted(Ok(()), total, total)?;
    let shown = folder.shown().to_path_buf();
    folder.commit()?;
    if args.run.output.json {
        print_json(&result)?;
    } else if !args.run.output.quiet {
        let mut files = written.files.join(", ");
        if written.report.is_some() {
            files.push_str(", report.html");
        }
        if !written.charts.is_empty() {
            files.push_str(&format!(
                ", charts/tornado.{}",
                args.run.output.chart.extensions()
            ));
        }
        to_stdout(|w| {
            write!(w, "{}", render_sensitivity_table(&result))?;
            writeln!(w, "\nWrote {files} to {}", shown.display())
        })?;
    }
    Ok(())
}
