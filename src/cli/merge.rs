//! `capsim merge`: the shards of a run, sweep or comparison, merged into exactly what the unsharded
//! command would have written.

use std::time::Instant;

use anyhow::Result;
use capsim::analysis::{RunRequest, RunResult};
use capsim::output::thousands;
use capsim::results;
use capsim::shard::PartialSet;

use super::args::MergeArgs;
use super::common::progress_bar;
use super::folder::ResultsFolder;
use super::run::{cost_spinner, finish_results};

/// `capsim merge`: [`capsim::shard::PartialSet`] reads and checks everything (headers, stored
/// scenarios, bodies, the shards' `trials.csv` files) before the output folder is touched.
pub(crate) fn merge(args: MergeArgs) -> Result<()> {
    let started = Instant::now();
    let set = PartialSet::open(&args.partials)?;
    let bar = progress_bar(set.trials_to_merge(), args.output.silent(), "trials merged");
    let all = set.merge(&|n| bar.inc(n))?;
    bar.finish_and_clear();
    if !args.output.quiet {
        for note in &all.notes {
            eprintln!("note: {note}");
        }
    }
    let first = &all.header;
    let merged = all.runs();
    if first.command != "run" {
        return match first.command.as_str() {
            "sweep" => super::sweep::write_merged(&merged, &args.out, &args.output),
            _ => super::compare::write_merged(&merged, &args.out, &args.output),
        };
    }
    let folder = ResultsFolder::create(&args.out, "run")?;
    let request = RunRequest::of_partials(first, 0);
    let spinner = cost_spinner(&request, first.total_trials, args.output.silent());
    let result = RunResult::from_merged(&merged, request.threads, &|n| spinner.inc(n))?;
    spinner.finish_and_clear();
    if let Some(sources) = &all.trials_csv {
        results::write_merged_trials_csv(folder.path(), sources)?;
    }
    let done = format!(
        "Merged {} shards ({} trials) in {:.2} s",
        all.shards,
        thousands(first.total_trials as f64),
        started.elapsed().as_secs_f64()
    );
    finish_results(
        folder,
        &result,
        all.trials_csv.is_some(),
        &[],
        &args.output,
        &done,
    )
}
