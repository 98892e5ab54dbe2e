//! `capsim backtest`: runs backtest scenarios (scenarios written as of a past planning date,
//! with the actuals recorded as `[[observations]]`), ranks every observation in its simulated
//! distribution and reports the calibration over all of them (`docs/validation.md`). The
//! analysis is [`capsim::analysis::backtest()`], the files [`capsim::results::write_backtest`].
//!
//! Memory: per backtest, trials × (observations + bands × 121) values while it runs.

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use capsim::analysis::backtest::{BacktestEntry, BacktestReport};
use capsim::engine::EngineConfig;
use capsim::output::render_backtest_table;
use capsim::results;
use capsim::scenario::Scenario;

use super::args::BacktestArgs;
use super::common::to_stdout;
use super::common::{InputError, print_json, progress_bar, trials_and_seed};
use super::folder::ResultsFolder;

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
    let names = results::unique_labels(&files);
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
        entries.push(BacktestEntry {
            name: name.clone(),
            file: path.display().to_string(),
            result,
        });
    }
    bar.finish_and_clear();
    let report = BacktestReport::new(entries);
    let charts = super::common::chart_options(flags)?;
    let written = results::write_backtest(folder.path(), &report, charts.as_ref())?;

    folder.unless_interrupted(Ok(()), total, total)?;
    let shown = folder.shown().to_path_buf();
    folder.commit()?;
    if flags.json {
        print_json(&report)?;
    } else if !flags.quiet {
        let mut files = written.files.join(", ");
        if !written.charts.is_empty() {
            files.push_str(&format!(
                ", charts/{{<backtest>-fan,calibration}}.{}",
                flags.chart.extensions()
            ));
        }
        if written.report.is_some() {
            files.push_str(", ");
            files.push_str(results::REPORT_FILE);
        }
        to_stdout(|w| {
            write!(w, "{}", render_backtest_table(&report))?;
            writeln!(w, "\nWrote {files} to {}", shown.display())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_unique_stems() {
        let l = results::unique_labels(&[
            PathBuf::from("a/bt1.toml"),
            PathBuf::from("b/bt1.toml"),
            PathBuf::from("bt2.toml"),
        ]);
        assert_eq!(l, ["bt1", "bt1-2", "bt2"]);
    }
}
